//! Node detail: facts, handshake timings and API sets; latency chart and histogram;
//! head-lag chart; the node's events; its last error verbatim, or the raw last reply.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Widget, Wrap};

use super::fmt;
use crate::monitor::{EndpointKind, EndpointSnapshot, SeedLevel};
use crate::tui::app::App;
use crate::tui::columns::status_label;
use crate::tui::commands::CommandId;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(e) = app.detail_endpoint() else {
        let name = app.detail.node.as_deref().unwrap_or("?");
        buf.set_stringn(
            area.x,
            area.y,
            format!("{name} is not in the fleet (any more); Esc goes back"),
            area.width as usize,
            t.dim,
        );
        return;
    };
    let wide = area.width >= 120;
    let [facts, charts, rest] = Layout::vertical([
        Constraint::Length(if wide { 8 } else { 7 }),
        Constraint::Length(if area.height >= 40 { 10 } else { 5 }),
        Constraint::Min(3),
    ])
    .areas(area);
    draw_facts(app, e, facts, buf);
    draw_charts(app, e, charts, buf);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .spacing(1)
            .areas(rest);
    draw_events(app, e, left, buf);
    if app.detail.show_raw {
        let text = app
            .raw
            .get(&e.name)
            .map(String::as_str)
            .unwrap_or("fetching the last reply…");
        Paragraph::new(text)
            .style(t.text)
            .wrap(Wrap { trim: false })
            .scroll((app.detail.scroll, 0))
            .block(titled(
                app,
                &format!("{}{}", raw_title(app, &e.name, right.width), scrolled(app)),
            ))
            .render(right, buf);
    } else {
        // Newest first, verbatim; the newest is what `copy` takes.
        let lines: Vec<Line> = match app.errors.get(&e.name) {
            Some(errs) if !errs.is_empty() => errs
                .iter()
                .rev()
                .map(|x| {
                    Line::from(vec![
                        Span::styled(
                            format!("{} ago ({}): ", fmt::age(app.now, x.time), x.kind),
                            t.dim,
                        ),
                        Span::styled(x.message.clone(), t.text),
                    ])
                })
                .collect(),
            _ => vec![Line::styled("none", t.dim)],
        };
        Paragraph::new(lines)
            .style(t.text)
            .wrap(Wrap { trim: false })
            .scroll((app.detail.scroll, 0))
            .block(titled(
                app,
                &format!(
                    "last errors ({} raw reply, {} copy)",
                    app.keymap.hint(CommandId::Raw),
                    app.keymap.hint(CommandId::Copy)
                ),
            ))
            .render(right, buf);
    }
}

/// The raw reply's title: when it was fetched, and how to fetch it again or hide it;
/// the clock time only where `width` has room for it.
fn raw_title(app: &App, name: &str, width: u16) -> String {
    let km = &app.keymap;
    let keys = format!(
        "{} again, {} hides",
        km.hint(CommandId::Raw),
        km.hint(CommandId::Back)
    );
    match (app.detail.fetching, app.raw_fetched.get(name)) {
        (true, _) => format!("raw reply, fetching… ({keys})"),
        (false, Some(at)) => {
            let age = fmt::age(app.now, *at);
            let full = format!("raw reply of {}Z, {age} ago ({keys})", fmt::hms(*at));
            // The block's corners and a space each side.
            if full.chars().count() + 4 <= usize::from(width) {
                full
            } else {
                format!("raw reply, {age} old ({keys})")
            }
        }
        (false, None) => format!("raw reply ({keys})"),
    }
}

/// ` ↓N` in a title while the lower panes are scrolled, so nothing looks missing.
fn scrolled(app: &App) -> String {
    match app.detail.scroll {
        0 => String::new(),
        n => format!(" ↓{n}"),
    }
}

fn titled<'a>(app: &App, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(app.theme.border)
        .title(Span::styled(title, app.theme.title))
}

fn draw_facts(app: &App, e: &EndpointSnapshot, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let reasons = if e.reasons.is_empty() {
        String::new()
    } else {
        format!(
            ": {}",
            e.reasons
                .iter()
                .map(|r| fmt::without_url(r, &e.url))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let head_age = e
        .head_time
        .map(|h| format!(" ({} old)", fmt::age(app.now, h as f64)))
        .unwrap_or_default();
    let lag = match (e.lag_blocks, e.lag_s) {
        (None, None) => "-".into(),
        (b, s) => format!(
            "{} blocks, {}s",
            fmt::opt(b),
            s.map(|s| format!("{s:.0}")).unwrap_or("-".into())
        ),
    };
    let mut flags = Vec::new();
    if e.chain_mismatch {
        flags.push(format!(
            "WRONG CHAIN ID {}",
            e.chain_id.as_deref().unwrap_or("?")
        ));
    }
    if e.fork_suspect {
        flags.push("fork suspected".into());
    }
    if e.in_maintenance {
        flags.push("maintenance".into());
    }
    let left = vec![
        Line::from(vec![
            Span::styled(status_label(e.status), fmt::status_style(t, e.status)),
            Span::styled(
                format!(" {} · {} · {}{reasons}", e.name, e.network, e.url),
                t.title,
            ),
        ]),
        Line::styled(
            format!("head   #{}{head_age}  lag {lag}", fmt::opt(e.head_num)),
            t.text,
        ),
        Line::styled(
            format!(
                "LIB    #{} (lag {})  participation {}  missed {}",
                fmt::opt(e.lib_num),
                fmt::opt(e.lib_lag),
                e.participation_pct
                    .map(|p| format!("{p:.0}%"))
                    .unwrap_or("-".into()),
                fmt::opt(e.missed_slots)
            ),
            t.text,
        ),
        Line::styled(
            format!(
                "latency p50 {} p95 {} p99 {} max {} ms  avail {}",
                fmt::ms(e.latency.p50_ms),
                fmt::ms(e.latency.p95_ms),
                fmt::ms(e.latency.p99_ms),
                fmt::ms(e.latency.max_ms),
                fmt::pct(e.availability_pct)
            ),
            t.text,
        ),
        Line::styled(
            format!(
                "handshake connect {} ms, login {} ms  {:?}, {} probes, last {} ago",
                fmt::ms(e.connect_ms),
                fmt::ms(e.login_ms),
                e.state,
                e.probes,
                e.last_probe
                    .map(|p| fmt::age(app.now, p))
                    .unwrap_or("-".into())
            ),
            t.text,
        ),
        Line::styled(
            format!(
                "version {}{}  cert {}  peers {}",
                // First when it is there: the news during a rollout, and an 80-column
                // line cuts from the right.
                app.off_majority(e)
                    .map(|m| format!("≠ majority {m}: "))
                    .unwrap_or_default(),
                version_sentence(&e.version),
                e.cert_days
                    .map(|d| format!("{d:.0} days"))
                    .unwrap_or("-".into()),
                fmt::opt(e.peer_count)
            ),
            t.text,
        ),
        // A seed has no API sets; its line says what its P2P port answered instead.
        if e.kind == EndpointKind::Seed {
            Line::styled(format!("P2P    {}", seed_facts(e)), t.text)
        } else {
            Line::styled(
                format!(
                    "APIs   {}",
                    if e.api_sets.is_empty() {
                        "-".into()
                    } else {
                        e.api_sets.join(" ")
                    }
                ),
                t.text,
            )
        },
    ];
    let mut text = Text::from(left);
    if !flags.is_empty() {
        text.lines
            .insert(1, Line::styled(flags.join(" · "), t.banner));
    }
    Paragraph::new(text).render(area, buf);
}

/// The probe level a seed answered at and what its hello said.
fn seed_facts(e: &EndpointSnapshot) -> String {
    let Some(level) = e.seed_level else {
        return "no answer".into();
    };
    let mut parts = vec![level.as_str().to_string()];
    if let Some(h) = &e.seed_hello {
        parts.push(format!(
            "{} (protocol {})",
            h.user_agent, h.core_protocol_version
        ));
        if let Some(id) = &h.node_id {
            parts.push(format!("node {}", id.get(..16).unwrap_or(id)));
        }
        if let Some(p) = &h.platform {
            parts.push(p.clone());
        }
        if let Some(c) = &e.chain_id {
            parts.push(format!("chain {}", c.get(..8).unwrap_or(c)));
        }
    } else if level == SeedLevel::L1 {
        parts.push("key only, no verified hello".into());
    }
    parts.join(" · ")
}

fn draw_charts(app: &App, e: &EndpointSnapshot, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let [lat, hist, lag] = Layout::horizontal([
        Constraint::Percentage(40),
        Constraint::Percentage(25),
        Constraint::Percentage(35),
    ])
    .areas(area);
    let values: Vec<u64> = e
        .latency
        .history
        .iter()
        .map(|v| v.map(|v| v.round() as u64).unwrap_or(0))
        .collect();
    let tail = &values[values.len().saturating_sub(lat.width as usize)..];
    Sparkline::default()
        .data(tail)
        .style(t.chart)
        .block(titled(app, "latency ms"))
        .render(lat, buf);
    histogram(app, e, hist, buf);
    let lags: Vec<u64> = app
        .lag_history
        .get(&e.name)
        .map(|h| h.iter().map(|s| s.blocks.unwrap_or(0)).collect())
        .unwrap_or_default();
    let tail = &lags[lags.len().saturating_sub(lag.width as usize)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    Sparkline::default()
        .data(tail)
        .style(t.chart)
        .block(titled(app, &format!("head lag, blocks (max {max})")))
        .render(lag, buf);
}

/// Latency histogram of the window's history in fixed buckets, as text bars.
fn histogram(app: &App, e: &EndpointSnapshot, area: Rect, buf: &mut Buffer) {
    const EDGES: [(f64, &str); 6] = [
        (50.0, "<50"),
        (100.0, "<100"),
        (250.0, "<250"),
        (500.0, "<500"),
        (1000.0, "<1k"),
        (f64::INFINITY, "≥1k"),
    ];
    let mut counts = [0usize; 7];
    for v in &e.latency.history {
        match v {
            Some(v) => {
                let i = EDGES.iter().position(|(edge, _)| v < edge).unwrap_or(5);
                counts[i] += 1;
            }
            None => counts[6] += 1,
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let bar_w = area.width.saturating_sub(11) as usize;
    let labels = EDGES.iter().map(|(_, l)| *l).chain(["fail"]);
    let lines: Vec<Line> = labels
        .zip(counts)
        .map(|(l, n)| {
            let bar = "█".repeat(n * bar_w / max);
            Line::from(vec![
                Span::styled(format!("{l:>4} {n:>4} "), app.theme.text),
                Span::styled(bar, app.theme.chart),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(titled(app, "histogram"))
        .render(area, buf);
}

fn draw_events(app: &App, e: &EndpointSnapshot, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lines: Vec<Line> = app
        .events_of(Some(&e.name))
        .map(|ev| {
            Line::from(vec![
                Span::styled(format!("{} ", fmt::hms(ev.time)), t.dim),
                Span::styled(status_label(ev.to), fmt::status_style(t, ev.to)),
                Span::styled(format!(" {}", ev.reason), t.text),
            ])
        })
        .collect();
    let n = lines.len();
    Paragraph::new(lines)
        .scroll((app.detail.scroll, 0))
        .block(titled(app, &format!("events ({n}){}", scrolled(app))))
        .render(area, buf);
}

/// The version bracket as a sentence: `≥ 7.0.0 (has 6.1.0's API methods, 78 operation
/// types)`.
pub fn version_sentence(v: &crate::monitor::VersionBracket) -> String {
    let bracket = match (&v.at_least, &v.below) {
        (Some(a), Some(b)) => format!("≥ {a} and < {b}"),
        (Some(a), None) => format!("≥ {a}"),
        (None, Some(b)) => format!("< {b}"),
        (None, None) => "unknown".into(),
    };
    if v.evidence.is_empty() {
        return bracket;
    }
    let evidence: Vec<String> = v
        .evidence
        .iter()
        .map(|e| match e.strip_prefix("API methods of ") {
            // Recordings say it the older way round.
            Some(release) => format!("has {release}'s API methods"),
            None => e.clone(),
        })
        .collect();
    format!("{bracket} ({})", evidence.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::SeedHello;

    #[test]
    fn version_reads_as_a_sentence() {
        let mut v = crate::monitor::VersionBracket {
            at_least: Some("7.0.0".into()),
            below: None,
            evidence: vec!["API methods of 6.1.0".into(), "78 operation types".into()],
        };
        assert_eq!(
            version_sentence(&v),
            "≥ 7.0.0 (has 6.1.0's API methods, 78 operation types)"
        );
        v.below = Some("8.0.0".into());
        v.evidence.clear();
        assert_eq!(version_sentence(&v), "≥ 7.0.0 and < 8.0.0");
    }

    #[test]
    fn seed_line_says_the_level_and_the_hello() {
        let mut e = EndpointSnapshot::new(EndpointKind::Seed, "net", "s", "127.0.0.1:1776");
        assert_eq!(seed_facts(&e), "no answer");
        e.seed_level = Some(SeedLevel::L1);
        assert_eq!(seed_facts(&e), "L1 · key only, no verified hello");
        e.seed_level = Some(SeedLevel::L2);
        e.chain_id =
            Some("b5b0417c3cf004966f97f630ed8f27b93ce134c690371066c7ae94cf476888de".into());
        e.seed_hello = Some(SeedHello {
            user_agent: "BitShares Reference Implementation".into(),
            core_protocol_version: 106,
            node_id: Some(
                "04db8f9ff673667c75cc2aac1efbdb9988dc90857bff7788fc3a2ddd4c08b17aa9".into(),
            ),
            platform: Some("linux".into()),
            ..SeedHello::default()
        });
        assert_eq!(
            seed_facts(&e),
            "L2 · BitShares Reference Implementation (protocol 106) · node 04db8f9ff673667c · linux · chain b5b0417c"
        );
    }
}
