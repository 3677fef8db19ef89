//! Overview: one line per network, the clock warning, then every endpoint worst
//! first, with columns dropped by priority on narrow terminals.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::fmt;
use crate::monitor::{ConnState, EndpointKind, EndpointSnapshot, Status};
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
        let counts = format!(
            "  ▼{} down ✗{} crit ▲{} warn ✓{} ok  {best}",
            c.down, c.crit, c.warn, c.ok
        );
        // Whole or not at all: a cut version list would name versions wrongly.
        let rollout = n
            .rollout()
            .map(|r| format!("  versions {r}"))
            .filter(|r| 18 + counts.chars().count() + r.chars().count() <= area.width as usize)
            .unwrap_or_default();
        let mut x = area.x;
        for (text, style) in [
            (format!("{:<10} ", n.name), t.title),
            (
                format!("{:<7}", columns::status_label(n.status)),
                fmt::status_style(t, n.status),
            ),
            (format!("{counts}{rollout}"), t.text),
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
    let rest = Rect {
        y,
        height: bottom - y,
        ..area
    };
    let (table, strip) = split_for_strip(rest, app.rows().len());
    draw_table(app, table, buf);
    if let Some(strip) = strip {
        draw_strip(app, strip, buf);
    }
}

/// From this height the overview has room under its table for the active alerts and
/// the latest events (a 200x50 terminal showed 13 rows of table and 37 blank).
const STRIP_FROM_HEIGHT: u16 = 30;
/// The fewest rows the strip is drawn with.
const STRIP_MIN: u16 = 6;

/// The table's area, and under it, on a tall terminal, the strip's: the table keeps a
/// row per endpoint (and a blank line after) as far as it can.
fn split_for_strip(area: Rect, rows: usize) -> (Rect, Option<Rect>) {
    if area.height < STRIP_FROM_HEIGHT {
        return (area, None);
    }
    let wanted = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let table_h = wanted.min(area.height - STRIP_MIN);
    let table = Rect {
        height: table_h,
        ..area
    };
    let strip = Rect {
        y: area.y + table_h,
        height: area.height - table_h,
        ..area
    };
    (table, Some(strip))
}

/// The regions (when the config names any), active alerts, then the newest events,
/// under the table.
fn draw_strip(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut y = draw_regions(app, area, buf);
    let active: Vec<_> = app.alerts().into_iter().filter(|a| a.active).collect();
    if !active.is_empty() {
        let title = format!("active alerts ({})", active.len());
        buf.set_stringn(area.x, y, &title, area.width as usize, t.header);
        y += 1;
        // At most a third of the strip: the events below say how it came to this.
        let most = usize::from(area.height / 3).max(1);
        for a in active.iter().take(most) {
            let (mark, style) = super::alerts::state_mark(app, a);
            let mut x = area.x;
            for (text, st) in [
                (format!("{mark} "), style),
                (
                    format!("{:<5} ", a.severity.as_str()),
                    fmt::status_style(t, a.severity),
                ),
                (a.message.clone(), t.text),
            ] {
                if x < area.right() {
                    let (nx, _) = buf.set_stringn(x, y, &text, (area.right() - x) as usize, st);
                    x = nx;
                }
            }
            y += 1;
        }
    }
    if y + 1 >= area.bottom() {
        return;
    }
    let title = format!("latest events ({}), newest first", app.events.len());
    buf.set_stringn(area.x, y, &title, area.width as usize, t.header);
    let rows = Rect {
        y: y + 1,
        height: area.bottom() - y - 1,
        ..area
    };
    if app.events.is_empty() {
        buf.set_stringn(
            rows.x,
            rows.y,
            "no status changes yet",
            area.width as usize,
            t.dim,
        );
        return;
    }
    super::events::draw_rows(app, app.events_of(None), rows, buf);
}

/// One line per region of the current tab: its nodes ok, best lag, median latency from
/// here and its LBs' servers taking traffic. Returns the next free row.
fn draw_regions(app: &App, area: Rect, buf: &mut Buffer) -> u16 {
    let t = &app.theme;
    let regions = crate::monitor::regions::summarize(&app.fleet, app.tab.as_deref());
    let mut y = area.y;
    if regions.is_empty() || area.height < 2 * STRIP_MIN {
        return y;
    }
    buf.set_stringn(area.x, y, "regions", area.width as usize, t.header);
    y += 1;
    // At most a quarter of the strip: alerts and events follow.
    for r in regions.iter().take(usize::from(area.height / 4).max(1)) {
        let lbs: Vec<String> = r
            .lbs
            .iter()
            .map(
                |name| match app.lb.lbs.iter().find(|l| &l.conf.name == name) {
                    Some(l) => match &l.snap {
                        Some(s) => {
                            let servers = s.backend_servers(&l.conf.backend);
                            let (up, all) = servers.fold((0, 0), |(u, a), sv| {
                                let healthy = sv.takes_new_traffic() && sv.status.starts_with("UP");
                                (u + usize::from(healthy), a + 1)
                            });
                            format!("{name} {up}/{all} servers up")
                        }
                        None => format!("{name} not polled yet"),
                    },
                    None => name.clone(),
                },
            )
            .collect();
        let text = format!(
            "{:<10} nodes {}/{} ok  best lag {}  median p50 {}{}",
            r.region,
            r.nodes_ok,
            r.nodes,
            fmt::opt(r.best_lag),
            r.median_p50_ms
                .map(|m| format!("{m:.0} ms"))
                .unwrap_or_else(|| "-".into()),
            if lbs.is_empty() {
                String::new()
            } else {
                format!("  lb {}", lbs.join(", "))
            }
        );
        buf.set_stringn(area.x, y, &text, area.width as usize, t.text);
        y += 1;
    }
    y
}

fn draw_table(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let rows = app.rows();
    let cols = table_columns(app, &rows, area.width);
    let mut x = area.x;
    for (c, w) in &cols {
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
                (*w).min(area.right() - x) as usize,
                t.header,
            );
        }
        x = x.saturating_add(w + 1);
    }
    let body = area.height.saturating_sub(1) as usize;
    if rows.is_empty() {
        if area.height > 1 {
            buf.set_stringn(
                area.x,
                area.y + 1,
                empty_text(app),
                area.width as usize,
                t.dim,
            );
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
        for (c, w) in &cols {
            if x >= area.right() {
                break;
            }
            let (text, style) = cell(app, e, *c, usize::from(*w));
            buf.set_stringn(x, y, &text, (*w).min(area.right() - x) as usize, style);
            x = x.saturating_add(w + 1);
        }
        if i == sel {
            buf.set_style(row, t.selected);
        }
    }
}

/// What the table says when it has no rows.
fn empty_text(app: &App) -> &'static str {
    if !app.fleet.endpoints.is_empty() {
        "no endpoint matches the filter (Esc clears it)"
    } else if app.replay.is_some() {
        "no snapshot in the recording yet: nothing to show until one plays"
    } else {
        "waiting for the first probe results…"
    }
}

/// The columns at this width, each as wide as its title and the values of every row
/// (not only those on screen, so widths hold still while scrolling) need; the reason
/// takes the rest. One network needs no network column: its tab names it.
pub fn table_columns(app: &App, rows: &[&EndpointSnapshot], width: u16) -> Vec<(Column, u16)> {
    let skip_network = app.tab.is_some() || app.networks().len() <= 1;
    let natural = |c: Column| -> u16 {
        // The title, and the sort arrow after it.
        let title = c.title().chars().count() + usize::from(c == app.overview.sort);
        let values = match c {
            // A sparkline is as long as it is given room for.
            Column::Trend | Column::Error => usize::from(c.width()),
            _ => rows
                .iter()
                .map(|e| cell(app, e, c, usize::from(c.width())).0.chars().count())
                .max()
                .unwrap_or(0),
        };
        title.max(values).min(usize::from(u16::MAX)) as u16
    };
    columns::layout(width, skip_network, Some(app.overview.sort), natural)
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
        Column::Version if app.off_majority(e).is_some() => format!("≠{}", e.version.label()),
        Column::Version => e.version.label(),
        // Why it is not ok comes first; an old error of a healthy node still shows, aged.
        Column::Error if e.status == Status::Unknown && e.state == ConnState::Connecting => {
            match app.first_seen.get(&e.name) {
                Some(since) => format!("connecting… {}", fmt::age(app.now, *since)),
                None => "connecting…".into(),
            }
        }
        Column::Error if !e.reasons.is_empty() => {
            let reasons: Vec<&str> = e
                .reasons
                .iter()
                .map(|r| fmt::without_url(r, &e.url))
                .collect();
            fmt::reasons_in(&reasons, width)
        }
        Column::Error => match &e.last_error {
            Some(x) => fmt::fit_words(
                &format!(
                    "{} ago: {}",
                    fmt::age(app.now, x.time),
                    fmt::without_url(fmt::first_line(&x.message), &e.url)
                ),
                width,
            ),
            None => String::new(),
        },
    };
    (text, t.text)
}
