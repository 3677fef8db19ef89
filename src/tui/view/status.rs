//! The header (network tabs) and the bottom line (status bar, or the input line).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::fmt;
use crate::monitor::{Status, StatusCounts};
use crate::tui::app::{App, Input};
use crate::tui::commands::CommandId;

pub fn tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    buf.set_style(area, t.text);
    let mut x = area.x;
    let right = area.right();
    let mut put = |buf: &mut Buffer, s: &str, style| {
        if x < right {
            let (nx, _) = buf.set_stringn(x, area.y, s, (right - x) as usize, style);
            x = nx;
        }
    };
    put(buf, "btsops ", t.title);
    let mut names: Vec<Option<&str>> = vec![None];
    names.extend(app.networks().into_iter().map(Some));
    for n in names {
        let active = app.tab.as_deref() == n;
        let label = match n {
            None => " all ".to_string(),
            Some(n) => {
                let worst = app
                    .fleet
                    .networks
                    .iter()
                    .find(|s| s.name == n)
                    .map(|s| s.status)
                    .unwrap_or(Status::Unknown);
                let mark = match worst {
                    Status::Down | Status::Crit => "!",
                    Status::Warn => "~",
                    _ => "",
                };
                format!(" {n}{mark} ")
            }
        };
        put(buf, &label, if active { t.tab_active } else { t.tab });
        put(buf, "│", t.border);
    }
    // Armed networks at the right, with the time left: while it shows, actions on
    // that network only need their confirmation.
    let armed: Vec<String> = app
        .arming
        .armed(app.now)
        .into_iter()
        .map(|(n, left)| {
            let left = left.ceil() as u64;
            format!(" ARMED {n} {}:{:02} ", left / 60, left % 60)
        })
        .collect();
    let text = armed.concat();
    let w = text.chars().count() as u16;
    if w > 0 && w <= area.width {
        buf.set_stringn(right - w, area.y, &text, w as usize, t.crit);
    }
}

fn counts_text(c: &StatusCounts) -> String {
    format!("▼{} ✗{} ▲{} ✓{}", c.down, c.crit, c.warn, c.ok)
}

/// The open input line as drawn: `/filter`, `:command`, or `rate = 50` while a stress
/// plan field is edited.
pub fn input_line(app: &App) -> Option<String> {
    match &app.input {
        Input::Filter(s) => Some(format!("/{s}")),
        Input::Command(s) => Some(format!(":{s}")),
        Input::Edit(s) => Some(format!("{} = {s}", app.stress.field().key())),
        Input::None => None,
    }
}

pub fn bar(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    if let Some(line) = input_line(app) {
        buf.set_style(area, t.input);
        buf.set_stringn(area.x, area.y, line, area.width as usize, t.input);
        return;
    }
    buf.set_style(area, t.bar);
    let mut counts = StatusCounts::default();
    for e in &app.fleet.endpoints {
        counts.add(e.status);
    }
    let right = match &app.replay {
        None => format!(
            " {}Z out {} {} help ",
            fmt::hms(app.now),
            fmt::rate(app.term_rate),
            app.keymap.hint(CommandId::Help)
        ),
        // Where playback stands in the recording takes the place of the output rate,
        // which says nothing about a file being played.
        Some(r) => {
            let (first, last) = r.span;
            let state = if r.ended {
                format!("END ({} restarts)", app.keymap.hint(CommandId::Pause))
            } else {
                format!("{} x{}", if r.paused { "PAUSED" } else { "▶" }, r.speed)
            };
            format!(
                " REPLAY {state} {}/{} {}Z {} help ",
                fmt::duration(app.now - first),
                fmt::duration(last - first),
                fmt::hms(app.now),
                app.keymap.hint(CommandId::Help)
            )
        }
    };
    let left = match &app.notice {
        Some(n) => format!(" {}", n.text),
        None => {
            let mut s = format!(" {} {}", app.pane.title(), counts_text(&counts));
            if !app.overview.filter.is_empty() {
                s.push_str(&format!(" /{}", app.overview.filter));
            }
            s.push_str(&format!(
                " sort:{}{}",
                app.overview.sort.key(),
                if app.overview.sort_reversed {
                    "↑"
                } else {
                    ""
                }
            ));
            if !app.overview.pinned.is_empty() {
                s.push_str(&format!(" pinned:{}", app.overview.pinned.len()));
            }
            s
        }
    };
    let style = match &app.notice {
        Some(n) if n.error => t.banner,
        _ => t.bar,
    };
    let mut rw = right.chars().count() as u16;
    // A notice longer than the room beside the clock takes the whole line; one longer
    // than the line is also drawn in full above it (`long_notice`).
    if app.notice.is_some() && left.chars().count() + usize::from(rw) > usize::from(area.width) {
        rw = 0;
    }
    let lw = area.width.saturating_sub(rw) as usize;
    buf.set_stringn(area.x, area.y, &left, lw, style);
    if rw > 0 && rw <= area.width {
        buf.set_stringn(area.right() - rw, area.y, &right, rw as usize, t.bar);
    }
}

/// Where a replay stands in its recording: the part played, the position, the rest;
/// with the keys that move it.
pub fn timeline(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(r) = &app.replay else {
        return;
    };
    let t = &app.theme;
    let km = &app.keymap;
    let (first, last) = r.span;
    let left = format!(
        " {} -{}s ",
        km.hint(CommandId::SeekBack),
        crate::tui::app::SEEK_S
    );
    let right = format!(
        " +{}s {}  {} start {} end{} ",
        crate::tui::app::SEEK_S,
        km.hint(CommandId::SeekForward),
        km.hint(CommandId::ReplayStart),
        km.hint(CommandId::ReplayEnd),
        if r.ended {
            format!("  {} again", km.hint(CommandId::Pause))
        } else {
            String::new()
        }
    );
    let bar_w = usize::from(area.width)
        .saturating_sub(left.chars().count() + right.chars().count())
        .max(3);
    let frac = if last > first {
        ((app.now - first) / (last - first)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let at = ((bar_w - 1) as f64 * frac).round() as usize;
    let bar: String = (0..bar_w)
        .map(|i| match i.cmp(&at) {
            std::cmp::Ordering::Less => '━',
            std::cmp::Ordering::Equal => '●',
            std::cmp::Ordering::Greater => '─',
        })
        .collect();
    let mut x = area.x;
    for (text, style) in [(left, t.dim), (bar, t.accent), (right, t.dim)] {
        if x < area.right() {
            let (nx, _) = buf.set_stringn(x, area.y, &text, (area.right() - x) as usize, style);
            x = nx;
        }
    }
}

/// The words Tab matched on the command line, wrapped, just above it.
pub fn completions(app: &App, body: Rect, buf: &mut Buffer) {
    use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};
    if app.completions.is_empty() || !matches!(app.input, Input::Command(_)) {
        return;
    }
    let text = app.completions.join("  ");
    let width = usize::from(body.width.max(1));
    let height = (text.chars().count().div_ceil(width) as u16 + 1).min(body.height);
    let area = Rect {
        y: body.bottom() - height,
        height,
        ..body
    };
    Clear.render(area, buf);
    Paragraph::new(text)
        .style(app.theme.input)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// A notice too long for the bar, in full, wrapped, just above it. Long errors have
/// their own overlay that stays until a key (`Overlay::Error`); this is for the rest,
/// which leave with the notice.
pub fn long_notice(app: &App, body: Rect, buf: &mut Buffer) {
    use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};
    let Some(n) = &app.notice else {
        return;
    };
    if !matches!(app.input, Input::None) || n.text.chars().count() < usize::from(body.width) {
        return;
    }
    if app
        .overlays
        .iter()
        .any(|o| matches!(o, crate::tui::overlay::Overlay::Error(e) if *e == n.text))
    {
        return;
    }
    let width = usize::from(body.width.max(1));
    let lines = (n.text.chars().count() + 1).div_ceil(width) + 1;
    let height = (lines as u16).min(body.height);
    let area = Rect {
        y: body.bottom() - height,
        height,
        ..body
    };
    let style = if n.error {
        app.theme.banner
    } else {
        app.theme.bar
    };
    Clear.render(area, buf);
    Paragraph::new(format!(" {}", n.text))
        .style(style)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// A sticky error notice (one too long for the bar) in full, wrapped, at the bottom of
/// `body`, just above the status bar.
pub fn long_error(app: &App, text: &str, body: Rect, buf: &mut Buffer) {
    use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};
    let width = usize::from(body.width.max(1));
    // Word wrapping can take a line more than the characters need.
    let lines: usize = text
        .lines()
        .map(|l| l.chars().count().div_ceil(width).max(1))
        .sum::<usize>()
        + 2;
    let height = (lines as u16).min(body.height);
    let area = Rect {
        y: body.bottom() - height,
        height,
        ..body
    };
    Clear.render(area, buf);
    Paragraph::new(format!("{text}\n(any key closes)"))
        .style(app.theme.banner)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}
