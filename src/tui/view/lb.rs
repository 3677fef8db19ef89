//! The load-balancer pane: per LB its version, uptime and reloads, then every server
//! with its state, check, sessions, weight and the node it is (lag and latency).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::fmt;
use crate::lb::{Mode, Server};
use crate::tui::app::App;
use crate::tui::commands::CommandId;
use crate::tui::lb_pane::{LbView, node_of};

/// From this width the check duration, session total and rate get columns.
const WIDE_FROM: u16 = 120;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let hint = |id| app.keymap.hint(id);
    let title = format!(
        "LBs  {} drain {} maint {} ready {} weight {} cut {} undo  {}/{} node out/in",
        hint(CommandId::Drain),
        hint(CommandId::Maint),
        hint(CommandId::Ready),
        hint(CommandId::Weight),
        hint(CommandId::Cut),
        hint(CommandId::Undo),
        hint(CommandId::TakeOut),
        hint(CommandId::PutBack),
    );
    buf.set_stringn(area.x, area.y, &title, area.width as usize, t.header);
    let mut y = area.y + 1;
    let bottom = area.bottom();
    let line = |buf: &mut Buffer, y: &mut u16, text: &str, style: Style| {
        if *y < bottom {
            buf.set_stringn(area.x, *y, text, area.width as usize, style);
            *y += 1;
        }
    };
    if app.lb.lbs.is_empty() {
        line(
            buf,
            &mut y,
            "no load balancers configured (add [[lb]] to the config: see config.example.toml)",
            t.dim,
        );
        return;
    }
    if let Some(r) = &app.running {
        line(buf, &mut y, &format!("running: {r}"), t.warn);
    } else if let Some(last) = &app.lb.last {
        line(
            buf,
            &mut y,
            &format!(
                "last action: {} ({} undoes it)",
                last.title,
                hint(CommandId::Undo)
            ),
            t.dim,
        );
    }
    let wide = area.width >= WIDE_FROM;
    let rows = app.lb.rows();
    let sel = app.lb.selected_index(&rows);
    let mut i = 0;
    let mut runtime_changes = false;
    for v in &app.lb.lbs {
        line(buf, &mut y, &lb_header(app, v, wide), t.title);
        if let Some(e) = &v.error {
            line(
                buf,
                &mut y,
                &format!("  ERROR {}", fmt::first_line(e)),
                t.down,
            );
        }
        if let Some((at, r)) = &v.reload {
            line(
                buf,
                &mut y,
                &format!(
                    "  reloaded {} ago (pid {} -> {}): runtime changes made before are gone unless it keeps a server-state-file",
                    fmt::age(app.now, *at),
                    r.old_pid,
                    r.new_pid
                ),
                t.warn,
            );
        }
        let Some(snap) = &v.snap else {
            if v.error.is_none() {
                line(buf, &mut y, "  waiting for the first poll", t.dim);
            }
            continue;
        };
        line(buf, &mut y, &columns_header(wide), t.header);
        for s in &snap.servers {
            let text = server_row(app, v, s, wide);
            runtime_changes |= runtime_only(s);
            let style = if i == sel {
                t.selected
            } else {
                state_style(app, s)
            };
            line(buf, &mut y, &text, style);
            i += 1;
        }
    }
    if runtime_changes {
        line(
            buf,
            &mut y,
            "* runtime only: a reload drops this change unless HAProxy keeps a server-state-file",
            t.dim,
        );
    }
}

fn lb_header(app: &App, v: &LbView, wide: bool) -> String {
    let c = &v.conf;
    if !wide {
        return match &v.snap {
            Some(s) => format!(
                "{} ({}) {} HAProxy {} up {} pid {}",
                c.name,
                c.network,
                c.backend,
                s.info.version.split('-').next().unwrap_or("?"),
                fmt::duration(s.info.uptime_sec as f64),
                s.info.pid
            ),
            None => format!("{} ({}) {} {}", c.name, c.network, c.backend, c.runtime_api),
        };
    }
    match &v.snap {
        Some(s) => format!(
            "{} ({}) {} backend {}: HAProxy {} up {} pid {}{}",
            c.name,
            c.network,
            c.runtime_api,
            c.backend,
            if s.info.version.is_empty() {
                "?"
            } else {
                &s.info.version
            },
            fmt::duration(s.info.uptime_sec as f64),
            s.info.pid,
            v.polled
                .map(|p| format!(", read {} ago", fmt::age(app.now, p)))
                .unwrap_or_default()
        ),
        None => format!(
            "{} ({}) {} backend {}",
            c.name, c.network, c.runtime_api, c.backend
        ),
    }
}

fn columns_header(wide: bool) -> String {
    let mut s = format!(
        "  {:<w$} {:<14} {:<7} {:>6}",
        "SERVER",
        "STATE",
        "CHECK",
        "SESS",
        w = server_width(wide)
    );
    if wide {
        s += &format!(" {:>6} {:>7} {:>5}", "CHK MS", "TOTAL", "RATE");
    }
    s += &format!(" {:>3}  {:<10} {:>6} {:>7}", "WT", "NODE", "LAG", "P50");
    s
}

/// A server's state as an operator names it; weight 0 reads `UP` in HAProxy but takes
/// no new connections, so it says so.
fn state_text(s: &Server) -> String {
    let base = match s.mode {
        Mode::Ready if s.state.uweight == 0 => "no new traffic",
        Mode::Ready => "UP",
        Mode::Draining => "DRAIN",
        Mode::MaintForced => "MAINT",
        Mode::MaintConfig => "MAINT (config)",
        Mode::MaintInherited => "MAINT (tracked)",
        Mode::MaintDns => "MAINT (dns)",
        Mode::Down => "DOWN",
        Mode::Starting => "starting",
        Mode::Stopping => "stopping",
    };
    if s.backup {
        format!("{base} bk")
    } else {
        base.to_string()
    }
}

fn state_style(app: &App, s: &Server) -> Style {
    let t = &app.theme;
    match s.mode {
        Mode::Ready if s.state.uweight > 0 => t.ok,
        Mode::Ready | Mode::Draining | Mode::Starting | Mode::Stopping => t.warn,
        Mode::Down => t.down,
        _ => t.crit,
    }
}

/// Set at runtime (drain, maint, a changed weight): lost on reload without a state file.
fn runtime_only(s: &Server) -> bool {
    use crate::lb::servers_state::admin;
    s.state.admin_state & (admin::FORCED_MAINT | admin::FORCED_DRAIN) != 0
        || s.state.uweight != s.state.iweight
}

fn server_row(app: &App, v: &LbView, s: &Server, wide: bool) -> String {
    let prev = v
        .prev
        .as_ref()
        .and_then(|p| p.server(&s.backend, &s.name))
        .and_then(|p| p.scur);
    let sess = match (s.scur, prev) {
        (Some(n), Some(p)) if n < p => format!("{n}↓"),
        (Some(n), Some(p)) if n > p => format!("{n}↑"),
        (Some(n), _) => n.to_string(),
        (None, _) => "-".into(),
    };
    let check = if s.check_status.is_empty() {
        "-"
    } else {
        &s.check_status
    };
    let mark = if runtime_only(s) { "*" } else { " " };
    let mut row = format!(
        "{mark} {:<w$} {:<14} {:<7} {:>6}",
        clip(&format!("{}/{}", s.backend, s.name), server_width(wide)),
        state_text(s),
        clip(check, 7),
        sess,
        w = server_width(wide)
    );
    if wide {
        row += &format!(
            " {:>6} {:>7} {:>5}",
            fmt::opt(s.check_ms),
            fmt::opt(s.stot),
            fmt::opt(s.rate)
        );
    }
    let node = node_of(&app.fleet, &v.conf.network, s);
    let (name, lag, p50) = match node {
        Some(e) => (
            e.name.as_str(),
            e.lag_blocks.map_or("-".into(), |b| format!("{b}b")),
            fmt::ms(e.latency.p50_ms),
        ),
        None => ("?", "-".into(), "-".into()),
    };
    row += &format!(
        " {:>3}  {:<10} {:>6} {:>7}",
        s.state.uweight,
        clip(name, 10),
        lag,
        p50
    );
    row
}

fn server_width(wide: bool) -> usize {
    if wide { 28 } else { 16 }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}
