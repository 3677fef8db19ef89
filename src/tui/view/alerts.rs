//! Alerts list with acknowledge and snooze; or the snoozed alerts, to unsnooze.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::fmt;
use crate::monitor::{Alert, Status};
use crate::tui::app::App;
use crate::tui::commands::CommandId;

/// From this width the kind of alert gets its own column; below, the message (which
/// names the endpoint and what is wrong) needs the room.
const KIND_COLUMN_FROM: u16 = 120;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let list = app.alert_list();
    let hint = |id| app.keymap.hint(id);
    let title = if app.alerts_pane.snoozed_view {
        format!(
            "snoozed alerts ({})  {} unsnooze  {} all alerts",
            list.len(),
            hint(CommandId::Unsnooze),
            hint(CommandId::Snoozed),
        )
    } else {
        let snoozed = app.snoozed_count();
        format!(
            "alerts ({}{})  {} ack  {} snooze 1h  {} snoozed",
            list.len(),
            if snoozed > 0 {
                format!(", {snoozed} snoozed")
            } else {
                String::new()
            },
            hint(CommandId::Ack),
            hint(CommandId::Snooze),
            hint(CommandId::Snoozed),
        )
    };
    buf.set_stringn(area.x, area.y, &title, area.width as usize, t.header);
    if list.is_empty() {
        if area.height > 1 {
            let none = if app.alerts_pane.snoozed_view {
                "no snoozed alerts"
            } else {
                "no alerts"
            };
            buf.set_stringn(area.x, area.y + 1, none, area.width as usize, t.dim);
        }
        return;
    }
    let sel = app
        .alerts_pane
        .selected
        .as_ref()
        .and_then(|id| list.iter().position(|a| &a.id == id))
        .unwrap_or(0);
    let rows = area.height.saturating_sub(1) as usize;
    let offset = (sel + 1).saturating_sub(rows);
    let kind_column = app.alerts_pane.snoozed_view || area.width >= KIND_COLUMN_FROM;
    for (i, a) in list.iter().enumerate().skip(offset).take(rows) {
        let y = area.y + 1 + (i - offset) as u16;
        let (state, style) = state_mark(app, a);
        let severity = match a.severity {
            Status::Unknown => "-",
            s => s.as_str(),
        };
        let endpoint = if a.endpoint.is_empty() {
            "host"
        } else {
            a.endpoint.as_str()
        };
        let third = if app.alerts_pane.snoozed_view {
            let until = app.snoozed_until(a).unwrap_or(app.now);
            format!("until {} ", fmt::hms(until))
        } else {
            format!("{:<14}", a.kind.label())
        };
        let mut cells = vec![
            (format!("{state:<10}"), style),
            (format!("{severity:<5}"), fmt::status_style(t, a.severity)),
            (format!("{:<24}", span(app.now, a)), t.dim),
        ];
        if kind_column {
            cells.push((format!("{third:<15}"), t.text));
        }
        cells.push((format!("{endpoint:<12} "), t.text));
        cells.push((a.message.clone(), t.text));
        let mut x = area.x;
        for (text, st) in cells {
            if x >= area.right() {
                break;
            }
            let (nx, _) = buf.set_stringn(x, y, &text, (area.right() - x) as usize, st);
            x = nx;
        }
        if i == sel {
            buf.set_style(
                Rect {
                    y,
                    height: 1,
                    ..area
                },
                t.selected,
            );
        }
    }
}

/// An alert's state in words, not only colour: active or cleared, and acknowledged.
pub fn state_mark(app: &App, a: &Alert) -> (&'static str, ratatui::style::Style) {
    let t = &app.theme;
    match (a.active, app.is_acked(a)) {
        (true, false) => ("● ACTIVE", t.crit),
        (true, true) => ("● acked ", t.warn),
        (false, false) => ("○ cleared", t.ok),
        (false, true) => ("○ acked ", t.dim),
    }
}

/// When the episode ran: `since 22:31:03 (40s)` while active,
/// `22:31:03–22:36:03 (5m)` once cleared.
fn span(now: f64, a: &Alert) -> String {
    match (a.active, a.cleared, a.lasted()) {
        (false, Some(end), Some(lasted)) => format!(
            "{}–{} ({})",
            fmt::hms(a.raised),
            fmt::hms(end),
            fmt::age(lasted, 0.0)
        ),
        // Recorded before alerts kept their end.
        (false, _, _) => format!("{}–?", fmt::hms(a.raised)),
        _ => format!("since {} ({})", fmt::hms(a.raised), fmt::age(now, a.raised)),
    }
}
