//! The console's side of fleet-changing actions, inside `update`: a `mutates` command
//! becomes a `Plan`, passes the gate (read-only, protected and unarmed, replay) or is
//! refused with the reason on screen, waits in a confirmation overlay, and on `y` (`F`
//! when it takes out a backend's last server) leaves as one `Effect::Action`. The
//! result comes back as `Msg::ActionDone`, after its audit lines are on disk.

use super::keymap::{Code, Key};
use super::lb_pane::{LastAction, Row};
use super::msg::{ActionReport, Effect, StressNews};
use super::node_actions::{self, Output};
use super::ops::{self, ARM_S, Context, Op, Plan};
use super::overlay::Overlay;
use super::state::{App, Input};
use super::stress_pane::{Field, NO_PLAN, NO_STRESS};
use crate::lb::action::{self as lb_action, Refusal as LbRefusal, undo_plan};
use crate::lb::{Action, Mode, Target};
use crate::node_action::{ActionSpec, Resolved, Scope};

pub(super) fn context(app: &App, network: &str) -> Context {
    Context {
        read_only: app.is_read_only(),
        protected: app.protected.contains(network),
        armed: app.arming.is_armed(network, app.now),
        replaying: app.replay.is_some(),
    }
}

/// Gates the plan and opens its confirmation, or says why not.
pub(super) fn ask(app: &mut App, plan: Plan) -> Vec<Effect> {
    if let Err(r) = ops::gate(context(app, &plan.network), &plan.network) {
        app.notify(format!("{}: refused: {r}", plan.title), true);
        return Vec::new();
    }
    app.overlays.push(Overlay::Confirm(Box::new(plan)));
    Vec::new()
}

/// A server action on the LB pane's selected row.
pub(super) fn lb_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(row) = app.lb.selected_row() else {
        app.notify(no_servers_text(app), true);
        return Vec::new();
    };
    match plan_for(
        &[row],
        action,
        &format!("{} {}", action.name(), row_name(&row)),
    ) {
        Ok(plan) => ask(app, plan),
        Err(e) => {
            app.notify(e, true);
            Vec::new()
        }
    }
}

fn no_servers_text(app: &App) -> String {
    if app.lb.lbs.is_empty() {
        "no load balancers configured ([[lb]] in the config)".into()
    } else {
        "no server selected (the load balancers have not answered yet)".into()
    }
}

fn row_name(r: &Row<'_>) -> String {
    format!("{}/{}/{}", r.lb.conf.name, r.server.backend, r.server.name)
}

/// One plan for `action` on every row (all of one network), checked against each LB's
/// last poll: unknown names refuse, a backend's last server taking traffic needs force.
fn plan_for(rows: &[Row<'_>], action: Action, title: &str) -> Result<Plan, String> {
    let Some(first) = rows.first() else {
        return Err(format!("{title}: nothing to do"));
    };
    let mut plan = Plan {
        title: title.to_string(),
        network: first.lb.conf.network.clone(),
        ops: Vec::new(),
        consequences: Vec::new(),
        needs_force: false,
    };
    let mut lbs: Vec<&str> = rows.iter().map(|r| r.lb.conf.name.as_str()).collect();
    lbs.dedup();
    for lb in lbs {
        let on_lb: Vec<&Row<'_>> = rows.iter().filter(|r| r.lb.conf.name == lb).collect();
        let Some(snap) = on_lb.first().and_then(|r| r.lb.snap.as_ref()) else {
            continue;
        };
        let mut targets = Vec::new();
        for r in &on_lb {
            let t = Target::new(&r.server.backend, &r.server.name)
                .map_err(|e| format!("{title}: {e}"))?;
            // Each server is checked as if the others on this LB were already out.
            let mut after = snap.clone();
            for (other, _) in &targets {
                let other: &Target = other;
                if let Some(s) = after
                    .servers
                    .iter_mut()
                    .find(|s| s.backend == other.backend && s.name == other.server)
                {
                    s.state.uweight = 0;
                }
            }
            match lb_action::check(&after, &t, action, false) {
                Ok(()) => {}
                Err(LbRefusal::LastUp { .. }) => plan.needs_force = true,
                Err(e) => return Err(format!("{title}: refused: {e}")),
            }
            targets.push((t, action));
        }
        let pairs: Vec<(&Target, Action)> = targets.iter().map(|(t, a)| (t, *a)).collect();
        plan.consequences
            .extend(ops::consequences(snap, lb, &pairs));
        plan.ops
            .extend(targets.into_iter().map(|(target, action)| Op::Lb {
                lb: lb.to_string(),
                target,
                action,
                force: false,
            }));
    }
    if plan.needs_force {
        plan.consequences.push(
            "this takes out the LAST server taking new traffic in a backend: F forces it".into(),
        );
    }
    Ok(plan)
}

/// Takes the focused node out of every LB that serves it (MAINT), or puts it back.
pub(super) fn node_everywhere(app: &mut App, out: bool) -> Vec<Effect> {
    if app.lb.lbs.is_empty() {
        app.notify(no_servers_text(app), true);
        return Vec::new();
    }
    let Some(node) = app.focused_node() else {
        app.notify("no node selected", true);
        return Vec::new();
    };
    let name = node.name.clone();
    let rows: Vec<Row<'_>> = app
        .lb
        .servers_of(&app.fleet, node)
        .into_iter()
        .filter(|r| (r.server.mode == Mode::MaintForced) != out)
        .collect();
    if rows.is_empty() {
        let served = !app.lb.servers_of(&app.fleet, node).is_empty();
        let text = if !served {
            format!(
                "no load balancer serves {name} (servers are matched to nodes by address and port)"
            )
        } else if out {
            format!("{name} is already in MAINT on every load balancer that serves it")
        } else {
            format!("{name} is not in MAINT on any load balancer")
        };
        app.notify(text, true);
        return Vec::new();
    }
    let (action, title) = if out {
        (
            Action::Maint,
            format!("take {name} out of every load balancer"),
        )
    } else {
        (
            Action::Ready,
            format!("put {name} back in every load balancer"),
        )
    };
    match plan_for(&rows, action, &title) {
        Ok(plan) => ask(app, plan),
        Err(e) => {
            app.notify(e, true);
            Vec::new()
        }
    }
}

/// A node action (`[[action]]`) on what the operator points at: the selected node (a
/// node action), the LB pane's selected server, or the tab's or selected node's network.
pub(super) fn node_action(app: &mut App, spec: &ActionSpec) -> Vec<Effect> {
    let target = match spec.scope {
        Scope::Node => match app.focused_node().map(|n| n.name.clone()) {
            Some(name) => app
                .node_actions
                .node(&name)
                .cloned()
                .ok_or_else(|| format!("{}: {name} is not a [[network.node]]", spec.name)),
            None => Err(format!("{}: no node selected", spec.name)),
        },
        Scope::Network => {
            let network = app
                .tab
                .clone()
                .or_else(|| app.focused_node().map(|n| n.network.clone()));
            match network {
                Some(n) => app
                    .node_actions
                    .network(&n)
                    .cloned()
                    .ok_or_else(|| format!("{}: no network {n:?}", spec.name)),
                None => Err(format!(
                    "{}: which network? pick a tab or a node",
                    spec.name
                )),
            }
        }
        Scope::LbServer => match app.lb.selected_row() {
            Some(r) => Ok(Resolved {
                network: r.lb.conf.network.clone(),
                target: row_name(&r),
                values: crate::node_action::lb_server_values(
                    &r.lb.conf.network,
                    app.node_actions.lb_region(&r.lb.conf.name),
                    &r.server.name,
                    &r.server.state.addr,
                ),
            }),
            None => Err(format!(
                "{}: {} (in the LB pane, 4)",
                spec.name,
                no_servers_text(app)
            )),
        },
    };
    match target.and_then(|t| node_actions::plan(spec, &t)) {
        Ok(plan) => ask(app, plan),
        Err(e) => {
            app.notify(e, true);
            Vec::new()
        }
    }
}

/// Undoes the last action, unless a server it touched changed since.
pub(super) fn undo(app: &mut App) -> Vec<Effect> {
    let Some(last) = app.lb.last.clone() else {
        app.notify(
            "nothing to undo (no LB action verified in this session)",
            true,
        );
        return Vec::new();
    };
    for (lb, done) in &last.done {
        let Some(snap) = app.lb.lb(lb).and_then(|v| v.snap.as_ref()) else {
            app.notify(format!("undo: {lb} has not answered; try again"), true);
            return Vec::new();
        };
        if let Err(e) = undo_plan(done, snap) {
            app.notify(format!("undo {}: refused: {lb}: {e}", last.title), true);
            return Vec::new();
        }
    }
    let plan = Plan {
        title: format!("undo: {}", last.title),
        network: last.network.clone(),
        ops: last
            .done
            .iter()
            .map(|(lb, done)| Op::LbUndo {
                lb: lb.clone(),
                done: done.clone(),
            })
            .collect(),
        consequences: Vec::new(),
        needs_force: false,
    };
    ask(app, plan)
}

/// Opens the confirmation that arms a protected network.
pub(super) fn arm(app: &mut App, arg: Option<&str>) {
    // In the faucet pane, the faucet's network.
    let faucet_network = app
        .faucet
        .conf
        .as_ref()
        .filter(|_| app.pane == super::state::Pane::Faucet)
        .map(|c| c.network.clone());
    let network = arg
        .map(str::to_string)
        .or(faucet_network)
        .or_else(|| app.tab.clone())
        .or_else(|| app.focused_node().map(|n| n.network.clone()));
    let Some(network) = network else {
        app.notify("arm which network? :arm NAME", true);
        return;
    };
    if !app.protected.contains(&network) {
        app.notify(format!("{network} is not protected: nothing to arm"), false);
        return;
    }
    app.overlays.push(Overlay::Arm(network));
}

/// Keys for a confirmation on top; `None` when none is open (or the help is on top).
pub(super) fn overlay_key(app: &mut App, k: Key) -> Option<Vec<Effect>> {
    let top = app.overlays.last()?;
    if matches!(top, Overlay::Help { .. } | Overlay::Error(_)) {
        return None;
    }
    if matches!(top, Overlay::Output) {
        // Closing it leaves the action running; its result still comes to the status bar.
        if matches!(k.code, Code::Esc | Code::Enter | Code::Char('q')) && !k.ctrl {
            app.overlays.pop();
        }
        return Some(Vec::new());
    }
    let cancel = matches!(k.code, Code::Esc | Code::Char('n') | Code::Char('q')) && !k.ctrl;
    let yes = matches!(k.code, Code::Enter | Code::Char('y')) && !k.ctrl && !k.alt;
    let force = k.code == Code::Char('F') && !k.ctrl && !k.alt;
    if cancel {
        app.overlays.pop();
        app.notify("cancelled", false);
        return Some(Vec::new());
    }
    if !(yes || force) {
        return Some(Vec::new());
    }
    let Some(top) = app.overlays.pop() else {
        return Some(Vec::new());
    };
    match top {
        Overlay::Arm(network) => {
            app.arming.arm(&network, app.now);
            app.notify(
                format!("{network} armed for {} minutes", (ARM_S / 60.0) as u32),
                false,
            );
            Some(Vec::new())
        }
        Overlay::Confirm(mut plan) => {
            // Arming may have run out while the overlay was open.
            if let Err(r) = ops::gate(context(app, &plan.network), &plan.network) {
                app.notify(format!("{}: refused: {r}", plan.title), true);
                return Some(Vec::new());
            }
            if let [Op::Stress(start)] = &plan.ops[..] {
                if app.stress.running() {
                    app.notify("a stress run is under way: one at a time", true);
                    return Some(Vec::new());
                }
                app.stress.started((**start).clone(), app.now);
                app.notify(format!("{}: starting", plan.title), false);
                return Some(vec![Effect::Action(plan)]);
            }
            if plan.needs_force && !force {
                app.overlays.push(Overlay::Confirm(plan));
                app.notify(
                    "this takes out a backend's last server: F forces it, Esc cancels",
                    true,
                );
                return Some(Vec::new());
            }
            if force {
                for op in &mut plan.ops {
                    if let Op::Lb { force, .. } = op {
                        *force = true;
                    }
                }
            }
            app.running = Some(plan.title.clone());
            app.notify(format!("{}: running", plan.title), false);
            if let Some(Op::NodeAction { argv, .. }) = plan.ops.first() {
                app.node_actions.output = Some(Output {
                    title: plan.title.clone(),
                    argv: crate::node_action::display(argv),
                    ..Output::default()
                });
                app.overlays.push(Overlay::Output);
            }
            Some(vec![Effect::Action(plan)])
        }
        // Never here: update sends the form its keys first.
        form @ Overlay::FaucetForm(_) => {
            app.overlays.push(form);
            None
        }
        Overlay::Help { .. } | Overlay::Error(_) | Overlay::Output => None,
    }
}

/// Folds a finished action in: its result on screen, and its changes kept for undo.
pub(super) fn done(app: &mut App, r: ActionReport) -> Vec<Effect> {
    app.running = None;
    if r.faucet.is_some() {
        return super::faucet_act::done(app, r);
    }
    let ok = !r.lines.is_empty() && r.lines.iter().all(|(ok, _)| *ok);
    if r.undo {
        if ok {
            app.lb.last = None;
        }
    } else if !r.done.is_empty() {
        app.lb.last = Some(LastAction {
            title: r.title.clone(),
            network: r.network.clone(),
            done: r.done.clone(),
        });
    }
    let steps: Vec<&str> = r.lines.iter().map(|(_, l)| l.as_str()).collect();
    let audit = match &r.audit {
        Ok(p) => format!("audit: {}", p.display()),
        Err(e) => format!("AUDIT LOG NOT WRITTEN: {e}"),
    };
    // A command's lines already say how it ended (`exit 0`, `failed: exit 3`).
    let verdict = match (r.ran_command, ok) {
        (true, _) => "",
        (false, true) => "verified: ",
        (false, false) => "NOT verified: ",
    };
    if r.ran_command
        && let Some(o) = &mut app.node_actions.output
    {
        o.result = Some(steps.join(" | "));
    }
    app.notify(
        format!("{}: {verdict}{} ({audit})", r.title, steps.join(" | ")),
        !ok || r.audit.is_err(),
    );
    Vec::new()
}

/// Starts the loaded plan: checked, gated, then confirmed like any action.
pub(super) fn stress_start(app: &mut App) -> Vec<Effect> {
    match app.stress.start_plan(app.now) {
        Ok(start) => {
            let plan = Plan {
                title: format!("stress {}", start.network),
                network: start.network.clone(),
                consequences: start.consequences(),
                ops: vec![Op::Stress(Box::new(start))],
                needs_force: false,
            };
            ask(app, plan)
        }
        Err(e) => {
            app.notify(format!("stress: not started: {e}"), true);
            Vec::new()
        }
    }
}

/// Stops the run at once: no confirmation, whatever the gate says (stopping is safe).
pub(super) fn stress_stop(app: &mut App) -> Vec<Effect> {
    const WHY: &str = "stopped from the console";
    if app.stress.stop(WHY) {
        app.notify("stress: stopping (the report is still written)", false);
        vec![Effect::StopStress(WHY.into())]
    } else {
        app.notify("stress: no run under way", true);
        Vec::new()
    }
}

/// Opens the editor on the selected plan field; `kind` toggles at once.
pub(super) fn stress_edit(app: &mut App) {
    if app.stress.conf.is_none() {
        app.notify(NO_STRESS, true);
        return;
    }
    let Some(text) = app.stress.edit_text() else {
        app.notify(NO_PLAN, true);
        return;
    };
    app.stress.edit_error = None;
    if app.stress.field() == Field::Kind {
        if let Err(e) = app.stress.apply("") {
            app.notify(format!("kind not changed: {e}"), true);
        }
        return;
    }
    app.input = Input::Edit(text);
}

/// Folds the stress task's news in; the end is also said in the status bar.
pub(super) fn stress_news(app: &mut App, news: StressNews) {
    if let StressNews::Done(d) = &news {
        let how = match &d.aborted {
            None => "completed".to_string(),
            Some(why) => format!("ended: {why}"),
        };
        let report = match &d.report {
            Ok((json, _)) => format!("report {}", json.display()),
            Err(e) => format!("REPORT NOT WRITTEN: {e}"),
        };
        let audit = match &d.audit {
            Ok(_) => String::new(),
            Err(e) => format!(" (AUDIT LOG NOT WRITTEN: {e})"),
        };
        app.notify(
            format!("stress run {how}; {report}{audit}"),
            d.report.is_err() || d.audit.is_err(),
        );
    }
    app.stress.news(news);
}
