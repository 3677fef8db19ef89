//! The confirmation overlays: exactly what will run, where, and what it leaves.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::ops::{ARM_S, Plan};

fn boxed(app: &App, title: &str, lines: Vec<Line<'static>>, area: Rect, buf: &mut Buffer) {
    let w = area.width.min(90);
    // Borders, and a line of slack for wrapping.
    let h = (lines.len() as u16 + 3).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    Paragraph::new(lines)
        .style(app.theme.text)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.crit)
                .title(Span::styled(format!(" {title} "), app.theme.title)),
        )
        .render(r, buf);
}

pub fn draw(app: &App, plan: &Plan, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("network ", t.dim),
            Span::styled(plan.network.clone(), t.accent),
            Span::styled(
                if app.protected.contains(&plan.network) {
                    " (protected, armed)"
                } else {
                    ""
                },
                t.warn,
            ),
        ]),
        Line::styled("will send:", t.header),
    ];
    lines.extend(
        plan.ops
            .iter()
            .flat_map(|o| o.describe().lines().map(str::to_string).collect::<Vec<_>>())
            .map(|l| Line::styled(format!("  {l}"), t.text)),
    );
    if !plan.consequences.is_empty() {
        lines.push(Line::styled("consequences:", t.header));
        lines.extend(plan.consequences.iter().map(|c| {
            let style = if c.contains("NO server") || c.contains("LAST server") {
                t.crit
            } else {
                t.text
            };
            Line::styled(format!("  {c}"), style)
        }));
    }
    lines.push(Line::styled(
        if plan.needs_force {
            "F force it   Esc cancel"
        } else {
            "y confirm   Esc cancel"
        },
        t.title,
    ));
    boxed(app, &format!("confirm: {}", plan.title), lines, area, buf);
}

pub fn draw_arm(app: &App, network: &str, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lines = vec![
        Line::styled(
            format!(
                "{network} is protected. Arming lets confirmed actions change it for {} minutes.",
                (ARM_S / 60.0) as u32
            ),
            t.text,
        ),
        Line::styled("y arm   Esc cancel", t.title),
    ];
    boxed(app, &format!("arm {network}"), lines, area, buf);
}
