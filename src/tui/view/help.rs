//! The `?` overlay, generated from the command registry and the active keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::commands::{COMMANDS, CommandId, Scope};

/// Columns before a command's description: indent, keys, `:name`.
const DESC_COLUMN: usize = 2 + 15 + 17;

/// Help text lines for an overlay `width` columns wide inside its border: one heading
/// per scope, one line per command, descriptions wrapped under their own column so an
/// 80-column terminal loses none of them.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    // Below this the description column would be too narrow to read; let it clip.
    let desc_width = width.saturating_sub(DESC_COLUMN).max(20);
    let t = &app.theme;
    let mut out = Vec::new();
    for scope in [
        Scope::Global,
        Scope::Overview,
        Scope::Detail,
        Scope::Events,
        Scope::Alerts,
        Scope::Lb,
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
            let mut desc = wrap(c.description, desc_width).into_iter();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", keys.join(" ")), t.accent),
                Span::styled(format!("{name:<17}"), t.dim),
                Span::styled(desc.next().unwrap_or_default(), t.text),
            ]));
            for more in desc {
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(DESC_COLUMN)),
                    Span::styled(more, t.text),
                ]));
            }
        }
    }
    // The config's [[action]]s: their keys, and what each runs (placeholders unfilled).
    let actions = &app.node_actions.specs;
    if !actions.is_empty() {
        out.push(Line::styled(
            "Node actions ([[action]], confirmed)",
            t.header,
        ));
        for a in actions {
            let runs = format!(
                "on the selected {}: {}",
                a.scope.as_str().replace('_', " "),
                crate::node_action::display(&a.command)
            );
            let mut desc = wrap(&runs, desc_width).into_iter();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", a.key), t.accent),
                Span::styled(format!("{:<17}", a.name), t.dim),
                Span::styled(desc.next().unwrap_or_default(), t.text),
            ]));
            for more in desc {
                out.push(Line::from(vec![
                    Span::raw(" ".repeat(DESC_COLUMN)),
                    Span::styled(more, t.text),
                ]));
            }
        }
    }
    out
}

pub fn draw(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let w = area.width.min(100);
    let h = area.height;
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let lines = lines(app, usize::from(w.saturating_sub(2)));
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
        .scroll((scroll.min(max_scroll), 0))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border)
                .title(Span::styled(title, app.theme.title)),
        )
        .render(r, buf);
}

/// Splits `text` at spaces into lines of at most `width` characters; a word longer than
/// the width gets a line of its own rather than being cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_keeps_every_word() {
        let text = "Back: close help, clear the filter, or leave the node detail";
        let lines = wrap(text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("short", 20), ["short"]);
        assert_eq!(wrap("", 20), [""]);
        assert_eq!(wrap("unbreakable-word-longer-than-width", 10).len(), 1);
    }
}
