//! The `?` overlay, generated from the command registry and the active keymap, and
//! a legend of every symbol the screens draw.

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
        Scope::Faucet,
        Scope::Stress,
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
    out.push(Line::styled("symbols on screen".to_string(), t.header));
    for (symbol, meaning) in LEGEND {
        let mut words = wrap(meaning, width.saturating_sub(LEGEND_COLUMN).max(20)).into_iter();
        out.push(Line::from(vec![
            Span::styled(
                format!("  {symbol:<width$}", width = LEGEND_COLUMN - 2),
                t.accent,
            ),
            Span::styled(words.next().unwrap_or_default(), t.text),
        ]));
        for more in words {
            out.push(Line::from(vec![
                Span::raw(" ".repeat(LEGEND_COLUMN)),
                Span::styled(more, t.text),
            ]));
        }
    }
    out
}

/// Columns before a legend entry's meaning.
const LEGEND_COLUMN: usize = 2 + 20;

/// Every mark the console draws and what it means (`every_drawn_symbol_is_explained`
/// checks the screens against it).
pub const LEGEND: &[(&str, &str)] = &[
    (
        "✓ ok  ▲ warn",
        "Status: answers and keeps up; something to watch",
    ),
    (
        "✗ crit  ▼ down",
        "Status: act now (wrong chain, far behind, ...); no answer at all",
    ),
    (
        "? ---",
        "Not probed yet; `connecting… 5s` says a first probe is under way and for how long",
    ),
    (
        "net!  net~",
        "Network tab: a node of it is down or crit; one warns",
    ),
    ("▼n ✗n ▲n ✓n", "How many endpoints are down, crit, warn, ok"),
    (
        "lag b/s",
        "Blocks behind the network's best head / seconds its head is behind the clock",
    ),
    (
        "p50/p99 ms",
        "Median and 99th-percentile RPC latency over the window",
    ),
    (
        "▁▂▃▅▇█  ×",
        "Latency sparkline, scaled to its highest; × a failed probe",
    ),
    (
        "avail  part",
        "Probes answered over the window; witness participation",
    ),
    (
        "LIB lag",
        "Blocks from the head back to the last irreversible block",
    ),
    ("cert", "Days until the endpoint's TLS certificate expires"),
    (
        "≠6.0.0..6.1.0",
        "Version: not the one most of the network's nodes run (a rollout under way)",
    ),
    (
        "versions v ×n",
        "Network line: how many API nodes run each version, most common first",
    ),
    (
        "title↓  title↑",
        "The rows are sorted by this column, worst first; reversed",
    ),
    ("•name", "A pinned row: it stays on top"),
    (
        "● ACTIVE  ● acked",
        "Alert: active, not acknowledged; acknowledged, still active",
    ),
    ("○ cleared", "Alert whose condition has cleared"),
    (
        "ARMED net m:ss",
        "Protected network armed: actions need only their confirmation",
    ),
    ("n↑  n↓", "LB sessions: more, fewer than at the last poll"),
    (
        "↓n",
        "Node detail: its lower panes are scrolled down n lines",
    ),
    (
        "out 1.2KB/s",
        "Bytes per second this console writes to the terminal",
    ),
    (
        "REPLAY ▶ x1",
        "Replaying a recording: playing (PAUSED, END), speed, position",
    ),
];

/// How far the help scrolls at the app's terminal size: to its last line.
pub fn max_scroll(app: &App) -> u16 {
    let (w, h) = app.size;
    let width = usize::from(w.min(MAX_WIDTH).saturating_sub(2));
    let body = h.saturating_sub(2);
    let n = u16::try_from(lines(app, width).len()).unwrap_or(u16::MAX);
    n.saturating_sub(body.saturating_sub(2))
}

/// The help is at most this wide, centred.
const MAX_WIDTH: u16 = 100;

pub fn draw(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let w = area.width.min(MAX_WIDTH);
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
    let max_scroll = (lines.len() as u16).saturating_sub(h.saturating_sub(2));
    let at = scroll.min(max_scroll);
    let more = if max_scroll == 0 {
        String::new()
    } else {
        format!(" {}/{}", at, max_scroll)
    };
    let title = format!(
        " help{more}: {}/{} {}/{} {}/{} scroll, {} {} {} close ",
        km.hint(CommandId::Down),
        km.hint(CommandId::Up),
        km.hint(CommandId::PageDown),
        km.hint(CommandId::PageUp),
        km.hint(CommandId::Top),
        km.hint(CommandId::Bottom),
        km.hint(CommandId::Quit),
        km.hint(CommandId::Back),
        km.hint(CommandId::Help)
    );
    Paragraph::new(lines)
        .style(app.theme.text)
        .scroll((at, 0))
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
