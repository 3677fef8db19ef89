//! What each command does to the state: the body of `update` for key presses and
//! `:` command lines, kept apart from the state's definition.

use super::act;
use super::columns;
use super::commands::{self, CommandId};
use super::faucet_act;
use super::msg::{Effect, ReplayCmd};
use super::overlay::Overlay;
use super::state::{App, Input, MAX_SPEED, MIN_SPEED, Pane, SEEK_S, SNOOZE_S};
use crate::lb;
use crate::monitor::Alert;

/// Runs a `:` command line: a registry command with its argument, or a bare
/// network, node or pane name to jump to.
pub(super) fn command_line(app: &mut App, line: &str) -> Vec<Effect> {
    if line.is_empty() {
        return Vec::new();
    }
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    if let Some(spec) = commands::by_name(name) {
        if spec.arg.is_some_and(|a| !a.starts_with('[')) && arg.is_none() {
            app.notify(
                format!(":{} needs {}", spec.name, spec.arg.unwrap_or("")),
                true,
            );
            return Vec::new();
        }
        return run(app, spec.id, arg);
    }
    if arg.is_none() {
        if name == "all" || app.networks().contains(&name) {
            return run(app, CommandId::Network, Some(name));
        }
        if app.fleet.endpoint(name).is_some() {
            return run(app, CommandId::Node, Some(name));
        }
    }
    app.notify(
        format!("unknown command {name:?}: ? lists commands, or type a network or node name"),
        true,
    );
    Vec::new()
}

pub(super) fn run(app: &mut App, id: CommandId, arg: Option<&str>) -> Vec<Effect> {
    use CommandId as C;
    match id {
        C::Quit => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        C::Help => {
            if app.help_open() {
                app.overlays.retain(|o| !matches!(o, Overlay::Help { .. }));
            } else {
                app.overlays.push(Overlay::Help { scroll: 0 });
            }
        }
        C::CommandLine => app.input = Input::Command(String::new()),
        C::Redraw => return vec![Effect::FullRedraw],
        C::Up => step(app, -1),
        C::Down => step(app, 1),
        C::PageUp => step(app, -(app.page as isize)),
        C::PageDown => step(app, app.page as isize),
        C::Top => step(app, isize::MIN / 2),
        C::Bottom => step(app, isize::MAX / 2),
        C::NextTab => tab(app, 1),
        C::PrevTab => tab(app, -1),
        C::Overview => {
            app.back.clear();
            app.pane = Pane::Overview;
        }
        C::Events => app.go(Pane::Events),
        C::Alerts => {
            app.alerts_pane.snoozed_view = false;
            app.go(Pane::Alerts);
        }
        C::Back => back(app),
        C::Filter => app.input = Input::Filter(app.overview.filter.clone()),
        C::Sort => match arg {
            None => {
                app.overview.sort = app.overview.sort.next_sortable();
                app.overview.sort_reversed = false;
            }
            Some(a) => match columns::Column::from_key(a).filter(|c| c.sortable()) {
                Some(c) => {
                    app.overview.sort = c;
                    app.overview.sort_reversed = false;
                }
                None => {
                    let names: Vec<_> = columns::ALL
                        .iter()
                        .filter(|c| c.sortable())
                        .map(|c| c.key())
                        .collect();
                    app.notify(
                        format!("no column {a:?} (columns: {})", names.join(", ")),
                        true,
                    );
                }
            },
        },
        C::SortReverse => app.overview.sort_reversed = !app.overview.sort_reversed,
        C::Pin => {
            let rows = app.rows();
            if let Some(name) = rows.get(app.selected_index(&rows)).map(|e| e.name.clone()) {
                if !app.overview.pinned.remove(&name) {
                    app.overview.pinned.insert(name.clone());
                }
                app.overview.selected = Some(name);
            }
        }
        C::Open => {
            let rows = app.rows();
            if let Some(name) = rows.get(app.selected_index(&rows)).map(|e| e.name.clone()) {
                open_detail(app, name);
            }
        }
        // Shows the raw reply, or fetches it again while it shows: a reply is a
        // moment's state, and an old head in it misleads. Back hides it.
        C::Raw => {
            if let Some(name) = app.detail.node.clone() {
                if !app.detail.show_raw {
                    app.detail.show_raw = true;
                    app.detail.scroll = 0;
                }
                app.detail.fetching = true;
                return vec![Effect::FetchRaw(name)];
            }
        }
        C::Copy => {
            let Some(e) = app.detail_endpoint() else {
                return Vec::new();
            };
            let text = if app.detail.show_raw {
                app.raw.get(&e.name).cloned()
            } else {
                e.last_error.as_ref().map(|x| x.message.clone())
            };
            match text {
                Some(t) => {
                    app.notify(format!("copied {} bytes to the clipboard", t.len()), false);
                    return vec![Effect::Copy(t)];
                }
                None => app.notify("nothing to copy", true),
            }
        }
        C::Ack | C::Snooze | C::Unsnooze => {
            let list = app.alert_list();
            let i = alert_index(app, &list);
            let Some((id_, raised, title, engine_snooze)) = list
                .get(i)
                .map(|a| (a.id.clone(), a.raised, a.title(), a.snoozed_until))
            else {
                return Vec::new();
            };
            // The next alert takes the place of one that leaves the list.
            let next = list
                .get(i + 1)
                .or_else(|| i.checked_sub(1).and_then(|j| list.get(j)))
                .map(|a| a.id.clone());
            match id {
                C::Ack => {
                    app.acked.insert(id_.clone(), raised);
                    app.notify(format!("acknowledged {title}"), false);
                    return vec![Effect::Ack(id_)];
                }
                C::Snooze => {
                    let until = app.now + SNOOZE_S;
                    app.snoozed.insert(id_.clone(), until);
                    app.unsnoozed.remove(&id_);
                    if !app.alerts_pane.snoozed_view {
                        app.alerts_pane.selected = next;
                    }
                    app.notify(format!("snoozed {title} for an hour"), false);
                    return vec![Effect::Snooze { id: id_, until }];
                }
                _ => {
                    if !app.alerts_pane.snoozed_view {
                        let hint = app.keymap.hint(C::Snoozed);
                        app.notify(
                            format!("{title} is not snoozed ({hint} lists those that are)"),
                            true,
                        );
                        return Vec::new();
                    }
                    app.snoozed.remove(&id_);
                    if let Some(until) = engine_snooze {
                        app.unsnoozed.insert(id_.clone(), until);
                    }
                    app.alerts_pane.selected = next;
                    app.notify(format!("{title} shows again"), false);
                    return vec![Effect::Unsnooze(id_)];
                }
            }
        }
        C::Snoozed => {
            app.alerts_pane.snoozed_view = !app.alerts_pane.snoozed_view;
            app.alerts_pane.selected = None;
            app.go(Pane::Alerts);
        }
        C::Reload => {
            if app.config_path.is_none() {
                app.notify("no config file to reload (demo or replay)", true);
                return Vec::new();
            }
            return vec![Effect::Reload];
        }
        C::Network => match arg {
            Some("all") | None => app.tab = None,
            Some(n) if app.networks().contains(&n) => {
                app.tab = Some(n.to_string());
                app.back.clear();
                app.pane = Pane::Overview;
            }
            Some(n) => app.notify(format!("no network {n:?}"), true),
        },
        C::Pause
        | C::Faster
        | C::Slower
        | C::Step
        | C::SeekBack
        | C::SeekForward
        | C::ReplayStart
        | C::ReplayEnd => {
            let now = app.now;
            let Some(r) = &mut app.replay else {
                app.notify("nothing is replaying", true);
                return Vec::new();
            };
            let (first, last) = r.span;
            let cmd = match id {
                // At the end, play starts again from the beginning.
                C::Pause if r.ended => {
                    r.paused = false;
                    r.ended = false;
                    return vec![
                        Effect::Replay(ReplayCmd::Pause(false)),
                        Effect::Replay(ReplayCmd::Seek(first)),
                    ];
                }
                C::Pause => {
                    r.paused = !r.paused;
                    ReplayCmd::Pause(r.paused)
                }
                C::SeekBack => ReplayCmd::Seek((now - SEEK_S).max(first)),
                C::SeekForward => ReplayCmd::Seek((now + SEEK_S).min(last)),
                C::ReplayStart => ReplayCmd::Seek(first),
                C::ReplayEnd => ReplayCmd::Seek(last),
                C::Faster => {
                    r.speed = (r.speed * 2.0).min(MAX_SPEED);
                    ReplayCmd::Speed(r.speed)
                }
                C::Slower => {
                    r.speed = (r.speed / 2.0).max(MIN_SPEED);
                    ReplayCmd::Speed(r.speed)
                }
                _ => {
                    r.paused = true;
                    ReplayCmd::Step
                }
            };
            return vec![Effect::Replay(cmd)];
        }
        C::LbPane => app.go(Pane::Lb),
        C::FaucetPane => app.go(Pane::Faucet),
        C::Register => return faucet_act::open_form(app),
        C::FaucetRefresh => return faucet_act::refresh(app),
        C::StressPane => return stress_command(app, arg),
        C::StressEdit => act::stress_edit(app),
        C::StressStart => return act::stress_start(app),
        C::StressStop => return act::stress_stop(app),
        C::Drain => return act::lb_action(app, lb::Action::Drain),
        C::Maint => return act::lb_action(app, lb::Action::Maint),
        C::Ready => return act::lb_action(app, lb::Action::Ready),
        C::Cut => return act::lb_action(app, lb::Action::Cut),
        C::Weight => match arg.map(|a| a.parse::<u32>()) {
            None => app.input = Input::Command("weight ".into()),
            Some(Ok(n)) => return act::lb_action(app, lb::Action::Weight(n)),
            Some(Err(_)) => app.notify(
                format!(
                    "weight {:?}: a number 0..={} (0: no new traffic)",
                    arg.unwrap_or(""),
                    lb::action::MAX_WEIGHT
                ),
                true,
            ),
        },
        C::Undo => return act::undo(app),
        C::TakeOut => return act::node_everywhere(app, true),
        C::PutBack => return act::node_everywhere(app, false),
        C::Arm => act::arm(app, arg),
        C::Node => match arg {
            Some(n) if app.fleet.endpoint(n).is_some() => {
                app.overview.selected = Some(n.to_string());
                open_detail(app, n.to_string());
            }
            Some(n) => app.notify(format!("no node {n:?}"), true),
            None => {}
        },
    }
    Vec::new()
}

/// `:stress` (the pane), `:stress plan FILE`, `:stress start`, `:stress stop`.
fn stress_command(app: &mut App, arg: Option<&str>) -> Vec<Effect> {
    let (sub, rest) = match arg {
        None => (None, None),
        Some(a) => match a.split_once(char::is_whitespace) {
            Some((s, r)) => (Some(s), Some(r.trim()).filter(|r| !r.is_empty())),
            None => (Some(a), None),
        },
    };
    match (sub, rest) {
        (None, _) => app.go(Pane::Stress),
        (Some("plan"), Some(file)) => {
            app.go(Pane::Stress);
            return vec![Effect::LoadStressPlan(std::path::PathBuf::from(file))];
        }
        (Some("plan"), None) => app.notify(":stress plan needs FILE", true),
        (Some("start"), None) => {
            app.go(Pane::Stress);
            return act::stress_start(app);
        }
        (Some("stop"), None) => return act::stress_stop(app),
        _ => app.notify(
            format!(
                ":stress {}: use :stress, :stress plan FILE, :stress start or :stress stop",
                arg.unwrap_or("")
            ),
            true,
        ),
    }
    Vec::new()
}

fn open_detail(app: &mut App, name: String) {
    if app.detail.node.as_ref() != Some(&name) {
        app.detail.show_raw = false;
        app.detail.fetching = false;
        app.detail.scroll = 0;
    }
    app.detail.node = Some(name);
    app.go(Pane::Detail);
}

fn back(app: &mut App) {
    if app.pane == Pane::Overview && !app.overview.filter.is_empty() {
        app.overview.filter.clear();
        return;
    }
    if app.pane == Pane::Detail && app.detail.show_raw {
        app.detail.show_raw = false;
        app.detail.scroll = 0;
        return;
    }
    app.pane = app.back.pop().unwrap_or(Pane::Overview);
}

fn tab(app: &mut App, dir: isize) {
    let mut tabs: Vec<Option<String>> = vec![None];
    tabs.extend(app.networks().into_iter().map(|n| Some(n.to_string())));
    let i = tabs.iter().position(|t| *t == app.tab).unwrap_or(0) as isize;
    let n = tabs.len() as isize;
    app.tab = tabs[((i + dir).rem_euclid(n)) as usize].clone();
}

pub(super) fn alert_index(app: &App, list: &[&Alert]) -> usize {
    app.alerts_pane
        .selected
        .as_ref()
        .and_then(|id| list.iter().position(|a| &a.id == id))
        .unwrap_or(0)
}

fn moved(i: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (i as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize
}

fn step(app: &mut App, delta: isize) {
    match app.pane {
        Pane::Overview => {
            let rows = app.rows();
            let i = moved(app.selected_index(&rows), delta, rows.len());
            app.overview.selected = rows.get(i).map(|e| e.name.clone());
        }
        Pane::Alerts => {
            let list = app.alert_list();
            let i = moved(alert_index(app, &list), delta, list.len());
            app.alerts_pane.selected = list.get(i).map(|a| a.id.clone());
        }
        // Scrolling back in time: down shows older events.
        Pane::Events => {
            let len = app.events.len();
            app.events_pane.scroll = moved(app.events_pane.scroll, delta, len);
        }
        Pane::Lb => {
            let rows = app.lb.rows();
            let i = moved(app.lb.selected_index(&rows), delta, rows.len());
            let next = rows.get(i).map(|r| {
                (
                    r.lb.conf.name.clone(),
                    r.server.backend.clone(),
                    r.server.name.clone(),
                )
            });
            app.lb.selected = next;
        }
        // One screen of numbers: nothing to move through.
        Pane::Faucet => {}
        Pane::Stress => app.stress.step(delta),
        Pane::Detail => {
            let node = app.detail.node.as_deref();
            let events = app.events_of(node).count();
            let raw = node
                .and_then(|n| app.raw.get(n))
                .map_or(0, |r| r.lines().count());
            let errors = node.and_then(|n| app.errors.get(n)).map_or(0, |e| e.len());
            let len = events.max(raw).max(errors).min(usize::from(u16::MAX));
            app.detail.scroll = moved(usize::from(app.detail.scroll), delta, len) as u16;
        }
    }
}
