//! Overview: one line per network, the clock warning, then every endpoint worst
//! first, with columns dropped by priority on narrow terminals.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::fmt;
use crate::monitor::{EndpointKind, EndpointSnapshot};
use crate::tui::app::App;
use crate::tui::columns::{self, Column, status_label};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut y = area.y;
    let bottom = area.bottom();
    let line = |buf: &mut Buffer, y: u16, s: &str, style: Style| {
        buf.set_stringn(area.x, y, s, area.width as usize, style);
    };
    for n in app
        .fleet
        .networks
        .iter()
        .filter(|n| app.tab.as_ref().is_none_or(|t| *t == n.name))
    {
        if y >= bottom {
            return;
        }
        let c = &n.counts;
        let best = match (&n.best_head, &n.best_node) {
            (Some(h), Some(node)) => format!("best #{h} on {node}"),
            (Some(h), None) => format!("best #{h}"),
            _ => "no head yet".into(),
        };
        let mut x = area.x;
        for (text, style) in [
            (format!("{:<10} ", n.name), t.title),
            (
                format!("{:<7}", columns::status_label(n.status)),
                fmt::status_style(t, n.status),
            ),
            (
                format!(
                    "  ▼{} down ✗{} crit ▲{} warn ✓{} ok  {best}",
                    c.down, c.crit, c.warn, c.ok
                ),
                t.text,
            ),
        ] {
            if x < area.right() {
                let (nx, _) = buf.set_stringn(x, y, &text, (area.right() - x) as usize, style);
                x = nx;
            }
        }
        y += 1;
    }
    if app.fleet.clock.warn && y < bottom {
        let text = match app.fleet.clock.offset_s {
            Some(o) => format!(
                "⚠ this host's clock is {:.1}s {} of the chain: lag in seconds is off; check NTP",
                o.abs(),
                if o >= 0.0 { "ahead" } else { "behind" }
            ),
            None => "⚠ this host's clock looks wrong; check NTP".into(),
        };
        line(buf, y, &text, t.banner);
        y += 1;
    }
    if y >= bottom {
        return;
    }
    let table = Rect {
        y,
        height: bottom - y,
        ..area
    };
    draw_table(app, table, buf);
}

fn draw_table(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let cols = columns::fit(area.width, app.tab.is_some());
    let fixed: u16 = cols
        .iter()
        .filter(|c| **c != Column::Error)
        .map(|c| c.width() + 1)
        .sum();
    let width = |c: Column| -> u16 {
        if c == Column::Error {
            area.width.saturating_sub(fixed).max(c.width())
        } else {
            c.width()
        }
    };
    let mut x = area.x;
    for c in &cols {
        let mut title = c.title().to_string();
        if *c == app.overview.sort {
            title.push(if app.overview.sort_reversed {
                '↑'
            } else {
                '↓'
            });
        }
        if x < area.right() {
            buf.set_stringn(
                x,
                area.y,
                &title,
                width(*c).min(area.right() - x) as usize,
                t.header,
            );
        }
        x = x.saturating_add(width(*c) + 1);
    }
    let rows = app.rows();
    let body = area.height.saturating_sub(1) as usize;
    if rows.is_empty() {
        let text = if app.fleet.endpoints.is_empty() {
            "waiting for the first probe results…"
        } else {
            "no endpoint matches the filter (Esc clears it)"
        };
        if area.height > 1 {
            buf.set_stringn(area.x, area.y + 1, text, area.width as usize, t.dim);
        }
        return;
    }
    let sel = app.selected_index(&rows);
    let offset = (sel + 1).saturating_sub(body);
    for (i, e) in rows.iter().enumerate().skip(offset).take(body) {
        let y = area.y + 1 + (i - offset) as u16;
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        let mut x = area.x;
        for c in &cols {
            let w = width(*c);
            if x >= area.right() {
                break;
            }
            let (text, style) = cell(app, e, *c, w as usize);
            buf.set_stringn(x, y, &text, w.min(area.right() - x) as usize, style);
            x = x.saturating_add(w + 1);
        }
        if i == sel {
            buf.set_style(row, t.selected);
        }
    }
}

fn cell(app: &App, e: &EndpointSnapshot, c: Column, width: usize) -> (String, Style) {
    let t = &app.theme;
    let text = match c {
        Column::Status => {
            return (
                status_label(e.status).into(),
                fmt::status_style(t, e.status),
            );
        }
        Column::Network => e.network.clone(),
        Column::Name => {
            let pin = if app.overview.pinned.contains(&e.name) {
                "•"
            } else {
                ""
            };
            let style = if pin.is_empty() { t.text } else { t.pinned };
            return (format!("{pin}{}", e.name), style);
        }
        Column::Head => fmt::opt(e.head_num),
        Column::Lag => match (e.lag_blocks, e.lag_s) {
            (None, None) => "-".into(),
            (b, s) => format!(
                "{}/{}s",
                fmt::opt(b),
                s.map(|s| format!("{s:.0}")).unwrap_or("-".into())
            ),
        },
        Column::Latency => format!(
            "{}/{}",
            fmt::ms(e.latency.p50_ms),
            fmt::ms(e.latency.p99_ms)
        ),
        Column::Trend => return (fmt::sparkline(&e.latency.history, width), t.chart),
        Column::Availability => fmt::pct(e.availability_pct),
        Column::LibLag => fmt::opt(e.lib_lag),
        Column::Participation => e
            .participation_pct
            .map(|p| format!("{p:.0}%"))
            .unwrap_or_else(|| "-".into()),
        Column::Cert => e
            .cert_days
            .map(|d| format!("{d:.0}d"))
            .unwrap_or_else(|| "-".into()),
        // Seeds have no version bracket; the level their probe answered at instead.
        Column::Version if e.kind == EndpointKind::Seed => e.kind_label(),
        Column::Version => e.version.label(),
        // Why it is not ok comes first; an old error of a healthy node still shows, aged.
        Column::Error if !e.reasons.is_empty() => e
            .reasons
            .iter()
            .map(|r| fmt::without_url(r, &e.url))
            .collect::<Vec<_>>()
            .join("; "),
        Column::Error => match &e.last_error {
            Some(x) => format!(
                "{} ago: {}",
                fmt::age(app.now, x.time),
                fmt::without_url(fmt::first_line(&x.message), &e.url)
            ),
            None => String::new(),
        },
    };
    (text, t.text)
}
