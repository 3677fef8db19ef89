//! The pure `update`: folds each `Msg` into `App` and returns the effects (I/O) the
//! run loop or the integrator carries out. Nothing here reads the clock or does I/O,
//! so key-sequence tests drive it directly.

use super::act;
use super::actions;
use super::commands::CommandId;
use super::faucet_act;
use super::keymap::{Code, Key, Keymap};
use super::msg::{Effect, Msg};
use super::overlay::Overlay;
use super::state::{App, ERRORS_KEPT, EVENTS_KEPT, Input, LAG_HISTORY, LagSample};
use crate::monitor::FleetSnapshot;
use crate::monitor::alerts::REFIRE_GRACE_S;

/// Folds one message into the state.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut effects = handle(app, msg);
    if app.state_file.is_some() {
        let marks = app.marks();
        if marks != app.saved_marks {
            app.saved_marks = marks.clone();
            effects.push(Effect::SaveMarks(marks));
        }
    }
    effects
}

fn handle(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => {
            if matches!(app.overlays.last(), Some(Overlay::Error(_))) {
                app.overlays.pop();
                // Any key closes it; under it a confirmation must not take that key
                // as its answer.
                if matches!(
                    app.overlays.last(),
                    Some(Overlay::Confirm(_) | Overlay::Arm(_) | Overlay::FaucetForm(_))
                ) {
                    return Vec::new();
                }
            }
            key(app, k)
        }
        Msg::Paste(text) => {
            if let Some(Overlay::FaucetForm(form)) = app.overlays.last_mut() {
                form.paste(&text);
                return Vec::new();
            }
            let line: String = text.chars().filter(|c| !c.is_control()).collect();
            match &mut app.input {
                Input::Filter(s) => {
                    s.push_str(&line);
                    app.overview.filter = s.clone();
                }
                Input::Command(s) | Input::Edit(s) => s.push_str(&line),
                Input::None => {}
            }
            Vec::new()
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            app.page = usize::from(h.saturating_sub(8)).max(1);
            Vec::new()
        }
        Msg::Tick(now) => {
            app.now = app.now.max(now.floor());
            app.arming.expire(app.now);
            if app.notice.as_ref().is_some_and(|n| n.until <= app.now) {
                app.notice = None;
            }
            Vec::new()
        }
        Msg::Snapshot(s) => snapshot(app, *s),
        Msg::Event(e) => {
            if app.events.len() >= EVENTS_KEPT {
                app.events.pop_front();
            }
            // Keep the operator's place while they read back through the list.
            if app.events_pane.scroll > 0 {
                app.events_pane.scroll += 1;
            }
            app.events.push_back(e);
            Vec::new()
        }
        Msg::RawReply { endpoint, text } => {
            if app.detail.node.as_ref() == Some(&endpoint) {
                app.detail.fetching = false;
            }
            app.raw_fetched.insert(endpoint.clone(), app.now);
            app.raw.insert(endpoint, text);
            Vec::new()
        }
        Msg::Reloaded(Ok(r)) => {
            let r = *r;
            carry_over_alerts(app);
            app.theme = r.theme;
            app.keymap = r.keymap;
            app.configure(&r.config);
            app.notify(format!("reloaded {}", r.config.source.display()), false);
            vec![Effect::ApplyConfig(Box::new(r.config))]
        }
        Msg::Reconfigured(r) => {
            reconfigured(app, &r);
            Vec::new()
        }
        Msg::Reloaded(Err(e)) => {
            app.notify(format!("reload failed, old config kept: {e}"), true);
            Vec::new()
        }
        Msg::TermRate(r) => {
            app.term_rate = r;
            Vec::new()
        }
        Msg::Notice { text, error } => {
            app.notify(text, error);
            Vec::new()
        }
        Msg::Lb { name, time, result } => {
            app.lb.polled(&name, time, result.map(|s| *s));
            Vec::new()
        }
        Msg::ActionDone(report) => act::done(app, *report),
        Msg::Faucet(m) => {
            if app.faucet.fold(m) {
                vec![Effect::FaucetRefresh]
            } else {
                Vec::new()
            }
        }
        Msg::StressPlan { path, result } => {
            match &result {
                Ok(_) => app.notify(format!("stress plan {path} loaded"), false),
                Err(e) => app.notify(format!("stress plan not loaded: {e}"), true),
            }
            app.stress.loaded(path, result);
            Vec::new()
        }
        Msg::Stress(news) => {
            act::stress_news(app, news);
            Vec::new()
        }
        Msg::ActionOutput { stderr, text } => {
            if let Some(o) = &mut app.node_actions.output {
                o.push(stderr, &text);
            }
            Vec::new()
        }
        Msg::ReplayEnded => {
            if let Some(r) = &mut app.replay {
                r.ended = true;
            }
            Vec::new()
        }
        Msg::ReplayRewound => {
            app.rewind();
            Vec::new()
        }
    }
}

fn snapshot(app: &mut App, s: FleetSnapshot) -> Vec<Effect> {
    let mut effects = restore_acks(app, &s);
    effects.extend(
        s.alerts
            .iter()
            .filter(|a| {
                if a.active && app.carried_over.remove(&a.id) {
                    app.announced.insert(a.id.clone(), a.raised);
                    return false;
                }
                // A snoozed alert rings when its snooze ends, if still unacknowledged.
                a.active
                    && !app.held_for_maint(a)
                    && !app.is_acked(a)
                    && app.snoozed_until(a).is_none()
                    && app.announced.insert(a.id.clone(), a.raised) != Some(a.raised)
            })
            .map(|a| Effect::AlertRaised(a.clone()))
            .collect::<Vec<_>>(),
    );
    // An alert that left the list may come back later as a new one.
    app.announced
        .retain(|id, _| s.alerts.iter().any(|a| &a.id == id));
    // A local unsnooze lasts while the engine still has the snooze it lifted.
    app.unsnoozed.retain(|id, until| {
        s.alerts
            .iter()
            .any(|a| &a.id == id && a.snoozed_until == Some(*until))
    });
    // A local ack lasts until the engine confirms it or its episode ends.
    app.acked.retain(|id, raised| {
        s.alerts
            .iter()
            .any(|a| &a.id == id && a.raised == *raised && !a.acked)
    });
    app.now = app.now.max(s.time.floor());
    for e in &s.endpoints {
        app.first_seen.entry(e.name.clone()).or_insert(s.time);
        if let Some(err) = &e.last_error {
            let h = app.errors.entry(e.name.clone()).or_default();
            if h.back() != Some(err) {
                if h.len() >= ERRORS_KEPT {
                    h.pop_front();
                }
                h.push_back(err.clone());
            }
        }
        let h = app.lag_history.entry(e.name.clone()).or_default();
        if h.back().is_some_and(|l| l.time >= s.time) {
            continue;
        }
        if h.len() >= LAG_HISTORY {
            h.pop_front();
        }
        h.push_back(LagSample {
            time: s.time,
            blocks: e.lag_blocks,
            seconds: e.lag_s,
        });
    }
    app.fleet = s;
    if app
        .tab
        .as_ref()
        .is_some_and(|t| !app.networks().contains(&t.as_str()))
    {
        app.tab = None;
    }
    effects
}

/// The engine applied a reloaded config: endpoints changed or removed lose the
/// history kept here (they start afresh), and the status bar says what happened.
fn reconfigured(app: &mut App, r: &crate::monitor::Reconfigured) {
    for name in r.changed.iter().chain(&r.removed) {
        app.lag_history.remove(name);
        app.errors.remove(name);
        app.first_seen.remove(name);
        app.raw.remove(name);
        app.raw_fetched.remove(name);
    }
    let mut parts = vec![format!("{} kept", r.kept)];
    for (what, names) in [
        ("added", &r.added),
        ("changed", &r.changed),
        ("removed", &r.removed),
    ] {
        if !names.is_empty() {
            parts.push(format!("{what} {}", names.join(", ")));
        }
    }
    let path = app
        .config_path
        .as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default();
    app.notify(format!("reloaded{path}: {}", parts.join("; ")), false);
}

/// On a reload, endpoints whose settings changed are probed afresh and may raise
/// their still-active alerts as new episodes: keep them announced, and acknowledged
/// where they were, through the same path as acknowledgements saved by a previous run.
/// (Unchanged endpoints keep their alerts in the engine; for them this is a no-op.)
fn carry_over_alerts(app: &mut App) {
    let active: Vec<(String, bool)> = app
        .fleet
        .alerts
        .iter()
        .filter(|a| a.active)
        .map(|a| (a.id.clone(), app.is_acked(a)))
        .collect();
    for (id, acked) in active {
        if acked {
            app.restored_acks.insert(id.clone(), 0.0);
        }
        app.carried_over.insert(id);
    }
    app.watching_since = None;
}

/// Acknowledges again, here and in the engine, the alerts a previous run acknowledged
/// that are active as this console starts (see [`App::restore_marks`]).
fn restore_acks(app: &mut App, s: &FleetSnapshot) -> Vec<Effect> {
    let since = *app.watching_since.get_or_insert(s.time);
    if s.time - since > REFIRE_GRACE_S {
        // Past the grace, an alert is a new incident, not one carried over a reload.
        app.carried_over.clear();
    }
    if app.restored_acks.is_empty() {
        return Vec::new();
    }
    let mut effects = Vec::new();
    for a in &s.alerts {
        if a.active
            && a.raised - since <= REFIRE_GRACE_S
            && app.restored_acks.remove(&a.id).is_some()
        {
            app.acked.insert(a.id.clone(), a.raised);
            effects.push(Effect::Ack(a.id.clone()));
        }
    }
    if s.time - since > REFIRE_GRACE_S {
        app.restored_acks.clear();
    }
    effects
}

fn key(app: &mut App, k: Key) -> Vec<Effect> {
    // Typed text goes to the input line first, so `q` in a filter is a letter.
    let is_filter = matches!(app.input, Input::Filter(_));
    // The choices a Tab listed last hold only until the next key.
    app.completions.clear();
    if let Input::Edit(s) = &mut app.input {
        match k.code {
            Code::Esc => {
                app.input = Input::None;
                app.stress.edit_error = None;
            }
            Code::Enter => {
                let text = s.clone();
                match app.stress.apply(&text) {
                    Ok(()) => {
                        app.input = Input::None;
                        app.stress.edit_error = None;
                    }
                    // The editor stays open on the refused text, with the reason.
                    Err(e) => app.stress.edit_error = Some(e),
                }
            }
            Code::Backspace => {
                s.pop();
            }
            Code::Char(c) if !k.ctrl && !k.alt => s.push(c),
            _ => {}
        }
        return Vec::new();
    }
    match &mut app.input {
        Input::None | Input::Edit(_) => {}
        Input::Filter(s) | Input::Command(s) => {
            match k.code {
                Code::Esc => {
                    if is_filter {
                        app.overview.filter.clear();
                    }
                    app.input = Input::None;
                }
                Code::Enter => {
                    let text = std::mem::take(s);
                    app.input = Input::None;
                    if !is_filter {
                        return actions::command_line(app, text.trim());
                    }
                }
                Code::Backspace => {
                    s.pop();
                    if is_filter {
                        app.overview.filter = s.clone();
                    }
                }
                Code::Char(c) if !k.ctrl && !k.alt => {
                    s.push(c);
                    if is_filter {
                        app.overview.filter = s.clone();
                    }
                }
                Code::Tab if !is_filter => {
                    let typed = s.clone();
                    let done = super::complete::complete(app, &typed);
                    app.input = Input::Command(done.line);
                    app.completions = done.choices;
                    return Vec::new();
                }
                _ => {}
            }
            return Vec::new();
        }
    }
    if matches!(app.overlays.last(), Some(Overlay::FaucetForm(_))) {
        return faucet_act::form_key(app, k);
    }
    if let Some(effects) = act::overlay_key(app, k) {
        return effects;
    }
    let Some(id) = app.keymap.lookup(k, app.pane.scope(), app.replay.is_some()) else {
        // Not a command: an `[[action]]` key (checked at load to clash with none).
        if app.overlays.is_empty()
            && let Some(spec) = Keymap::action_for(k, &app.node_actions.specs).cloned()
        {
            return act::node_action(app, &spec);
        }
        return Vec::new();
    };
    if matches!(app.overlays.last(), Some(Overlay::Help { .. })) {
        return help_key(app, id, k);
    }
    actions::run(app, id, None)
}

/// Keys while the help is on top: it scrolls like a pager (lines, pages, ends) and
/// `q`, Esc or `?` close it; Ctrl-C still quits.
fn help_key(app: &mut App, id: CommandId, k: Key) -> Vec<Effect> {
    let max = super::view::help::max_scroll(app);
    let page = u16::try_from(app.page).unwrap_or(u16::MAX);
    let Some(Overlay::Help { scroll }) = app.overlays.last_mut() else {
        return Vec::new();
    };
    // The view clamps too; clamped here, `k` after `G` moves at once.
    let s = (*scroll).min(max);
    match id {
        CommandId::Quit if k.ctrl => return actions::run(app, id, None),
        CommandId::Help | CommandId::Back | CommandId::Quit => {
            app.overlays.pop();
        }
        CommandId::Up => *scroll = s.saturating_sub(1),
        CommandId::Down => *scroll = s.saturating_add(1).min(max),
        CommandId::PageUp => *scroll = s.saturating_sub(page),
        CommandId::PageDown => *scroll = s.saturating_add(page).min(max),
        CommandId::Top => *scroll = 0,
        CommandId::Bottom => *scroll = max,
        CommandId::Redraw => return actions::run(app, id, None),
        _ => {}
    }
    Vec::new()
}
