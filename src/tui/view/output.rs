//! The node action output overlay: the argv, the newest output lines (stderr marked),
//! and how it ended once it has.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::App;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(o) = &app.node_actions.output else {
        return;
    };
    let t = &app.theme;
    let w = area.width.min(100);
    let h = area.height.min(24);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    // Borders, the argv line and the status line around the output.
    let room = usize::from(h.saturating_sub(4));
    let mut lines = vec![Line::from(vec![
        Span::styled("$ ", t.dim),
        Span::styled(o.argv.clone(), t.accent),
    ])];
    let skip = o.lines.len().saturating_sub(room);
    lines.extend(o.lines.iter().skip(skip).map(|(stderr, text)| {
        if *stderr {
            Line::styled(text.clone(), t.warn)
        } else {
            Line::styled(text.clone(), t.text)
        }
    }));
    let status = match &o.result {
        None => Line::styled("running…   Esc close (it keeps running)", t.title),
        Some(res) if res.starts_with("exit 0") => Line::styled(format!("{res}   Esc close"), t.ok),
        Some(res) => Line::styled(format!("{res}   Esc close"), t.crit),
    };
    while lines.len() < usize::from(h.saturating_sub(3)) {
        lines.push(Line::raw(""));
    }
    lines.push(status);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .style(t.text)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.accent)
                .title(Span::styled(format!(" {} ", o.title), t.title)),
        )
        .render(r, buf);
}
