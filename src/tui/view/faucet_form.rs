//! The registration form overlay: each field with its value (the password as `•`), the
//! focused one marked, and the error of the last submit next to its field.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::faucet_form::{FIELDS, FaucetForm, Field};

pub fn draw(app: &App, form: &FaucetForm, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let w = area.width.min(96);
    let mut lines = vec![Line::styled(
        format!(
            "on {}: a password (the keys are derived from it, then it is dropped), or three public keys",
            form.network
        ),
        t.dim,
    )];
    for f in FIELDS {
        let focused = form.focus == f;
        let value = form.shown(f);
        let mark = if focused { "▸" } else { " " };
        let mut spans = vec![
            Span::styled(
                format!("{mark} {:<11}", f.label()),
                if focused { t.accent } else { t.dim },
            ),
            Span::styled(
                if focused {
                    format!("{value}▏")
                } else {
                    value
                },
                if focused { t.input } else { t.text },
            ),
        ];
        if let Some(e) = form.error(f) {
            spans.push(Span::styled(format!("  ✗ {e}"), t.crit));
        }
        lines.push(Line::from(spans));
        if f == Field::Password {
            lines.push(Line::styled("  or", t.dim));
        }
    }
    lines.push(Line::styled(
        "Tab/↓ next  S-Tab/↑ previous  Enter check and confirm  Esc cancel",
        t.title,
    ));
    // Rows once wrapped inside the borders, so the last line (the keys) always shows.
    let inner = usize::from(w.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let h = (rows as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    Paragraph::new(lines)
        .style(t.text)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.warn)
                .title(Span::styled(" register an account ", t.title)),
        )
        .render(r, buf);
}
