//! The `?` overlay, generated from the command registry and the active keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::commands::{COMMANDS, CommandId, Scope};

/// Help text lines: one heading per scope, one line per command.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for scope in [
        Scope::Global,
        Scope::Overview,
        Scope::Detail,
        Scope::Events,
        Scope::Alerts,
        Scope::Replay,
    ] {
        // Replay keys mean nothing on a live fleet: listed only while replaying.
        if scope == Scope::Replay && app.replay.is_none() {
            continue;
        }
        let cmds: Vec<_> = COMMANDS.iter().filter(|c| c.scope == scope).collect();
        if cmds.is_empty() {
            continue;
        }
        out.push(Line::styled(scope.title().to_string(), t.header));
        for c in cmds {
            let keys: Vec<String> = app
                .keymap
                .keys_of(c.id)
                .iter()
                .map(|k| k.to_string())
                .collect();
            let name = match c.arg {
                Some(a) => format!(":{} {a}", c.name),
                None => format!(":{}", c.name),
            };
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", keys.join(" ")), t.accent),
                Span::styled(format!("{name:<17}"), t.dim),
                Span::styled(c.description.to_string(), t.text),
            ]));
        }
    }
    out
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let w = area.width.min(100);
    let h = area.height;
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let lines = lines(app);
    let km = &app.keymap;
    let title = format!(
        " help: {}/{} scroll, {} or {} closes ",
        km.hint(CommandId::Down),
        km.hint(CommandId::Up),
        km.hint(CommandId::Back),
        km.hint(CommandId::Help)
    );
    let max_scroll = (lines.len() as u16).saturating_sub(h.saturating_sub(2));
    Paragraph::new(lines)
        .style(app.theme.text)
        .scroll((app.help_scroll.min(max_scroll), 0))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border)
                .title(Span::styled(title, app.theme.title)),
        )
        .render(r, buf);
}
