//! Events pane: every status change, newest first, scrollable.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::fmt;
use crate::monitor::Event;
use crate::tui::app::App;
use crate::tui::columns::status_label;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let total = app.events.len();
    let title = if app.events_pane.scroll > 0 {
        format!(
            "events ({total}), newest first, {} newer above",
            app.events_pane.scroll
        )
    } else {
        format!("events ({total}), newest first")
    };
    buf.set_stringn(area.x, area.y, &title, area.width as usize, t.header);
    if total == 0 {
        if area.height > 1 {
            buf.set_stringn(
                area.x,
                area.y + 1,
                "no status changes yet",
                area.width as usize,
                t.dim,
            );
        }
        return;
    }
    let rows = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    draw_rows(
        app,
        app.events_of(None).skip(app.events_pane.scroll),
        rows,
        buf,
    );
}

/// One line per event, from the top of `area` down, as many as fit.
pub fn draw_rows<'a>(
    app: &App,
    events: impl Iterator<Item = &'a Event>,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    for (i, ev) in events.take(usize::from(area.height)).enumerate() {
        let y = area.y + i as u16;
        let mut x = area.x;
        let right = area.right();
        for (text, style) in [
            (format!("{} ", fmt::hms(ev.time)), t.dim),
            (format!("{:<8} ", ev.network), t.text),
            (format!("{:<12} ", ev.endpoint), t.text),
            (
                format!("{:<6}", status_label(ev.from)),
                fmt::status_style(t, ev.from),
            ),
            (" → ".to_string(), t.dim),
            (
                format!("{:<6} ", status_label(ev.to)),
                fmt::status_style(t, ev.to),
            ),
            (ev.reason.clone(), t.text),
        ] {
            if x >= right {
                break;
            }
            let (nx, _) = buf.set_stringn(x, y, &text, (right - x) as usize, style);
            x = nx;
        }
    }
}
