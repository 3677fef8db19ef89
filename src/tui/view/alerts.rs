//! Alerts list with acknowledge and snooze.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::fmt;
use crate::monitor::AlertKind;
use crate::tui::app::App;
use crate::tui::commands::CommandId;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let list = app.alerts();
    let snoozed = app.snoozed_count();
    let title = format!(
        "alerts ({}{})  {} ack  {} snooze 1h",
        list.len(),
        if snoozed > 0 {
            format!(", {snoozed} snoozed")
        } else {
            String::new()
        },
        app.keymap.hint(CommandId::Ack),
        app.keymap.hint(CommandId::Snooze),
    );
    buf.set_stringn(area.x, area.y, &title, area.width as usize, t.header);
    if list.is_empty() {
        if area.height > 1 {
            buf.set_stringn(area.x, area.y + 1, "no alerts", area.width as usize, t.dim);
        }
        return;
    }
    let sel = app
        .alert_selected
        .as_ref()
        .and_then(|id| list.iter().position(|a| &a.id == id))
        .unwrap_or(0);
    let rows = area.height.saturating_sub(1) as usize;
    let offset = (sel + 1).saturating_sub(rows);
    for (i, a) in list.iter().enumerate().skip(offset).take(rows) {
        let y = area.y + 1 + (i - offset) as u16;
        // Words, not only colour: active/cleared and acked are spelled out.
        let (state, style) = match (a.active, app.is_acked(a)) {
            (true, false) => ("● ACTIVE", t.crit),
            (true, true) => ("● acked ", t.warn),
            (false, false) => ("○ cleared", t.ok),
            (false, true) => ("○ acked ", t.dim),
        };
        let endpoint = if a.endpoint.is_empty() {
            "host"
        } else {
            a.endpoint.as_str()
        };
        let kind = match a.kind {
            AlertKind::Status => "status",
            AlertKind::ChainMismatch => "wrong chain",
            AlertKind::ForkSuspect => "fork suspect",
            AlertKind::CertExpiring => "cert expiring",
            AlertKind::ClockOffset => "clock offset",
        };
        let mut x = area.x;
        for (text, st) in [
            (format!("{state:<10}"), style),
            (format!("{} ", fmt::hms(a.raised)), t.dim),
            (format!("{:<14} ", kind), t.text),
            (format!("{endpoint:<12} "), t.text),
            (a.message.clone(), t.text),
        ] {
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
