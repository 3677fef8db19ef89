//! The stress pane: the plan (editable, with the caps that lower it), the run's load
//! per second as sparklines (offered, accepted, included), latency percentiles, errors
//! by class, each target's lag under load from the monitor, and how the run ended.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Widget, Wrap};

use super::fmt;
use crate::stress::Kind;
use crate::stress::plan::Effective;
use crate::tui::app::{App, Input};
use crate::tui::commands::CommandId;
use crate::tui::stress_pane::{Field, RunView, StressConf, cap_of, field_text, kind_name};

/// From this width the plan column is wider and the hints longer.
const WIDE_FROM: u16 = 120;
/// Columns of a sparkline's label (`included `) and of its value (` 1234/s`).
const LABEL_W: u16 = 9;
const VALUE_W: u16 = 8;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(conf) = &app.stress.conf else {
        no_stress(app, area, buf);
        return;
    };
    let hint = |id| app.keymap.hint(id);
    let title = format!(
        "Stress  {} (chain {})  {} edit  {} start  {} stop",
        conf.network(),
        short_id(&conf.chain_id),
        hint(CommandId::StressEdit),
        hint(CommandId::StressStart),
        hint(CommandId::StressStop),
    );
    buf.set_stringn(area.x, area.y, &title, area.width as usize, t.header);
    if area.height < 2 {
        return;
    }
    let body = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let left_w = if area.width >= WIDE_FROM { 60 } else { 38 }.min(body.width / 2);
    let left = Rect {
        width: left_w,
        ..body
    };
    let right = Rect {
        x: body.x + left_w + 1,
        width: body.width.saturating_sub(left_w + 1),
        ..body
    };
    let used = plan_box(app, conf, left, buf);
    let below = Rect {
        y: left.y + used,
        height: left.height.saturating_sub(used),
        ..left
    };
    nodes(app, conf, below, buf);
    match &app.stress.run {
        Some(r) => run(app, r, right, buf),
        None => idle(app, conf, right, buf),
    }
}

/// `39f5e2ed…`: enough of a chain id to tell testnet from mainnet at a glance.
fn short_id(id: &str) -> String {
    if id.len() > 8 {
        format!("{}…", &id[..8])
    } else if id.is_empty() {
        "?".into()
    } else {
        id.to_string()
    }
}

fn no_stress(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lines = vec![
        Line::styled("Stress tests", t.header),
        Line::styled(
            "No [stress] section in the config: stress tests are off. To use them, add:",
            t.text,
        ),
        Line::raw(""),
        Line::styled("  [stress]", t.accent),
        Line::styled(
            "  network = \"testnet\"        # a network with role = \"testnet\"",
            t.accent,
        ),
        Line::styled(
            "  keys_file = \"~/.config/btsops/stress-keys.toml\"  # transfer runs: the funder",
            t.accent,
        ),
        Line::styled(
            "  plan = \"stress-plan.toml\"  # the plan this pane opens with",
            t.accent,
        ),
        Line::styled("  max_tps = 200", t.accent),
        Line::styled("  max_duration_s = 300", t.accent),
        Line::raw(""),
        Line::styled(
            "then :reload. config.example.toml and stress-plan.example.toml explain each key.",
            t.text,
        ),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// The plan with its fields, the caps that apply, and whether it can start. Returns
/// the rows it used.
fn plan_box(app: &App, conf: &StressConf, area: Rect, buf: &mut Buffer) -> u16 {
    let t = &app.theme;
    let pane = &app.stress;
    let title = match &pane.plan {
        Some(p) => format!(
            " plan {}{} ",
            p.path,
            if p.edited { " (edited)" } else { "" }
        ),
        None => " plan ".into(),
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let effective = pane.effective();
    match &pane.plan {
        None => {
            if let Some(e) = &pane.load_error {
                lines.push(Line::styled(format!("not loaded: {e}"), t.crit));
            }
            lines.push(Line::styled("no plan loaded:", t.text));
            lines.push(Line::styled(":stress plan FILE", t.accent));
            lines.push(Line::styled(
                "(or stress.plan in the config; see stress-plan.example.toml)",
                t.dim,
            ));
        }
        Some(p) => {
            let ok = effective.as_ref().and_then(|e| e.as_ref().ok());
            for (i, f) in Field::ALL.iter().enumerate() {
                let selected = i == pane.selected;
                let value = match (&app.input, selected) {
                    (Input::Edit(s), true) => format!("{s}▏"),
                    _ => value_text(&p.plan, *f),
                };
                let cap = ok
                    .and_then(|e| cap_of(e, *f))
                    .map(|(c, key)| format!(" → {} ({key})", c.limit))
                    .unwrap_or_default();
                let marker = if selected { "▶ " } else { "  " };
                let style = if selected { t.selected } else { t.text };
                lines.push(Line::from(vec![
                    Span::styled(format!("{marker}{:<11}", f.key()), style),
                    Span::styled(value, style),
                    Span::styled(cap, t.warn),
                ]));
            }
            if let Some(e) = ok {
                let total = match e.capped.iter().find(|c| c.field == "total") {
                    Some(c) => vec![
                        Span::styled(c.asked.to_string(), t.dim),
                        Span::styled(format!(" → {} (max_total)", c.limit), t.warn),
                    ],
                    None => vec![Span::styled(e.total.to_string(), t.dim)],
                };
                let mut spans = vec![Span::styled(format!("  {:<11}", "total"), t.dim)];
                spans.extend(total);
                lines.push(Line::from(spans));
                if e.kind == Kind::Transfer {
                    lines.push(Line::styled(
                        format!("  {:<11}{}", "funder", e.funder.as_deref().unwrap_or("-")),
                        t.dim,
                    ));
                }
            }
            match effective {
                Some(Err(e)) => lines.push(Line::styled(format!("not valid: {e}"), t.crit)),
                Some(Ok(_)) => lines.push(Line::styled(
                    format!(
                        "caps: {}/s, {} s, {} total",
                        conf.limits.max_tps, conf.limits.max_duration_s, conf.limits.max_total
                    ),
                    t.dim,
                )),
                None => {}
            }
            if let Some(e) = &pane.edit_error {
                lines.push(Line::styled(format!("refused: {e}"), t.crit));
            }
        }
    }
    // Wrapped lines take more rows at 80 columns: count them as drawn.
    let inner_w = area.width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let h = (rows as u16 + 2).min(area.height);
    let r = Rect { height: h, ..area };
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border)
                .title(Span::styled(title, t.title)),
        )
        .render(r, buf);
    h
}

fn value_text(p: &crate::stress::Plan, f: Field) -> String {
    let v = field_text(p, f);
    match f {
        Field::Kind => kind_name(p.kind).into(),
        Field::Rate if v.is_empty() => "as fast as answered".into(),
        Field::Duration => format!("{v} s"),
        Field::Senders if p.kind == Kind::Read => "-".into(),
        Field::Targets if v.is_empty() => "every node".into(),
        Field::Calls if p.kind == Kind::Transfer => "-".into(),
        Field::Calls if v.is_empty() => "get_dynamic_global_properties".into(),
        _ if v.is_empty() => "-".into(),
        _ => v,
    }
}

/// Each target's lag and latency as the monitor sees it now: the fleet under load.
fn nodes(app: &App, conf: &StressConf, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let targets: Vec<String> = match (&app.stress.run, app.stress.effective()) {
        (Some(r), _) => r.start.targets.clone(),
        (None, Some(Ok(e))) if !e.targets.is_empty() => e.targets,
        _ => conf.nodes.clone(),
    };
    let mut y = area.y;
    let mut line = |text: &str, style: Style| {
        if y < area.bottom() {
            buf.set_stringn(area.x, y, text, area.width as usize, style);
            y += 1;
        }
    };
    line("nodes under load (monitor)", t.header);
    line(
        &format!(
            "  {:<12} {:<7} {:>5} {:>7}",
            "NODE", "STATUS", "LAG", "P50 MS"
        ),
        t.dim,
    );
    for name in &targets {
        let e = app
            .fleet
            .endpoints
            .iter()
            .find(|e| &e.name == name && e.network == conf.network());
        match e {
            Some(e) => line(
                &format!(
                    "  {:<12} {:<7} {:>5} {:>7}",
                    clip(name, 12),
                    e.status.as_str(),
                    e.lag_blocks.map_or("-".into(), |b| format!("{b}b")),
                    fmt::ms(e.latency.p50_ms)
                ),
                fmt::status_style(t, e.status),
            ),
            // A load balancer target, or a node the monitor has not probed yet.
            None => line(&format!("  {:<12} (not monitored)", clip(name, 12)), t.dim),
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// No run yet: what starting would do.
fn idle(app: &App, conf: &StressConf, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let mut lines = vec![Line::styled("no run yet", t.header)];
    match app.stress.effective() {
        Some(Ok(e)) => {
            lines.push(Line::styled(
                format!(
                    "{} starts: {}",
                    app.keymap.hint(CommandId::StressStart),
                    load(&e)
                ),
                t.text,
            ));
            lines.push(Line::styled(
                format!(
                    "on {}{}, after a confirmation",
                    conf.network(),
                    if conf.protected {
                        " (protected: arm it first)"
                    } else {
                        ""
                    }
                ),
                t.dim,
            ));
        }
        Some(Err(_)) => lines.push(Line::styled(
            "the plan is not valid: fix it to start",
            t.warn,
        )),
        None => {}
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// `transfer 200/s × 60 s`.
fn load(e: &Effective) -> String {
    let rate = if e.open_loop {
        format!("{}/s", e.rate)
    } else {
        format!("as fast as answered (≤ {}/s)", e.rate)
    };
    format!("{} {rate} × {} s", kind_name(e.kind), e.duration_s)
}

fn run(app: &App, r: &RunView, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let e = &r.start.effective;
    let mut y = area.y;
    let bottom = area.bottom();
    let put = |buf: &mut Buffer, y: &mut u16, text: &str, style: Style| {
        if *y < bottom {
            buf.set_stringn(area.x, *y, text, area.width as usize, style);
            *y += 1;
        }
    };
    let state = match (&r.end, &r.stopping) {
        (Some(_), _) => r.phase.clone(),
        (None, Some(why)) => format!("stopping ({why})"),
        (None, None) => r.phase.clone(),
    };
    let style = match &r.end {
        Some(d) if d.aborted.is_some() => t.warn,
        Some(_) => t.ok,
        None => t.accent,
    };
    put(buf, &mut y, &load(e), t.header);
    put(buf, &mut y, &state, style);
    put(
        buf,
        &mut y,
        &format!(
            "elapsed {} s of {} s, {} s left",
            r.elapsed_s,
            e.duration_s,
            r.remaining_s(),
        ),
        t.text,
    );
    // The three series share one scale (the offered rate), so they compare at a glance.
    // Rows the lines under the charts take.
    let fixed = 7 + u16::from(r.end.is_some()) * 3;
    let spark_h = (bottom.saturating_sub(y).saturating_sub(fixed) / 3).clamp(1, 6);
    let width = area.width.saturating_sub(LABEL_W + VALUE_W) as usize;
    let tail: Vec<_> = r
        .series
        .iter()
        .skip(r.series.len().saturating_sub(width))
        .copied()
        .collect();
    let max = tail
        .iter()
        .map(|s| s.offered.max(s.accepted).max(s.included))
        .max()
        .unwrap_or(0)
        .max(u64::from(e.rate))
        .max(1);
    let series: [(&str, Vec<u64>, Style); 3] = [
        (
            "offered",
            tail.iter().map(|s| s.offered).collect(),
            t.accent,
        ),
        ("accepted", tail.iter().map(|s| s.accepted).collect(), t.ok),
        (
            "included",
            tail.iter().map(|s| s.included).collect(),
            t.title,
        ),
    ];
    for (label, data, style) in &series {
        if y + spark_h > bottom {
            break;
        }
        buf.set_stringn(area.x, y, label, LABEL_W as usize, t.dim);
        let last = data.last().copied().unwrap_or(0);
        let value = format!("{last:>6}/s");
        buf.set_stringn(
            area.right().saturating_sub(VALUE_W),
            y + spark_h - 1,
            &value,
            VALUE_W as usize,
            t.text,
        );
        Sparkline::default()
            .data(data)
            .max(max)
            .style(*style)
            .render(
                Rect {
                    x: area.x + LABEL_W,
                    y,
                    width: width as u16,
                    height: spark_h,
                },
                buf,
            );
        y += spark_h;
    }
    let tot = &r.totals;
    put(
        buf,
        &mut y,
        &format!(
            "sent {}  accepted {}  included {}",
            tot.sent, tot.accepted, tot.included
        ),
        t.text,
    );
    put(
        buf,
        &mut y,
        &format!("rejected {}  no answer {}", tot.rejected, tot.errors),
        t.text,
    );
    let pcts = |p: Option<[u64; 3]>| match p {
        Some([a, b, c]) => format!("p50 {}  p95 {}  p99 {}", us(a), us(b), us(c)),
        None => "-".into(),
    };
    if e.kind == Kind::Transfer {
        put(
            buf,
            &mut y,
            &format!("inclusion  {}", pcts(r.figures.inclusion_us)),
            t.text,
        );
    }
    put(
        buf,
        &mut y,
        &format!("reply      {}", pcts(r.figures.latency_us)),
        t.text,
    );
    let errors = if r.figures.failed.is_empty() {
        "none".to_string()
    } else {
        r.figures
            .failed
            .iter()
            .map(|(c, n)| format!("{} {n}", c.name()))
            .collect::<Vec<_>>()
            .join("  ")
    };
    put(
        buf,
        &mut y,
        &format!("errors     {errors}"),
        if r.figures.failed.is_empty() {
            t.text
        } else {
            t.warn
        },
    );
    put(
        buf,
        &mut y,
        &format!("targets    {}", r.start.targets.join(", ")),
        t.dim,
    );
    if let Some(d) = &r.end {
        if let Some(tot) = &d.totals {
            put(
                buf,
                &mut y,
                &format!(
                    "totals: sent {} accepted {} rejected {} included {} in {:.1} s ({:.1}/s)",
                    tot.sent,
                    tot.accepted,
                    tot.rejected_total,
                    tot.included,
                    d.elapsed_s,
                    tot.sent_per_s
                ),
                t.header,
            );
        }
        match &d.report {
            Ok((json, md)) => {
                let w = area.width as usize;
                put(
                    buf,
                    &mut y,
                    &fit(&format!("report {}", json.display()), w),
                    t.text,
                );
                put(
                    buf,
                    &mut y,
                    &fit(&format!("       {}", md.display()), w),
                    t.text,
                );
            }
            Err(e) => put(buf, &mut y, &format!("REPORT NOT WRITTEN: {e}"), t.crit),
        }
        if let Err(e) = &d.audit {
            put(buf, &mut y, &format!("AUDIT LOG NOT WRITTEN: {e}"), t.crit);
        }
    } else {
        put(
            buf,
            &mut y,
            &fit(
                &format!("report     {}", r.start.report.display()),
                area.width as usize,
            ),
            t.dim,
        );
    }
}

/// A `label path` line cut from the middle of the path when too wide: the file name
/// (the run's time and kind) is what tells reports apart.
fn fit(line: &str, width: usize) -> String {
    let n = line.chars().count();
    if n <= width || width < 12 {
        return line.to_string();
    }
    let keep_head = 11.min(width / 3);
    let keep_tail = width - keep_head - 1;
    let head: String = line.chars().take(keep_head).collect();
    let tail: String = line.chars().skip(n - keep_tail).collect();
    format!("{head}…{tail}")
}

/// `850µs`, `12ms`, `1.4s`.
fn us(v: u64) -> String {
    if v < 1_000 {
        format!("{v}µs")
    } else if v < 1_000_000 {
        format!("{}ms", v / 1_000)
    } else {
        format!("{:.1}s", v as f64 / 1_000_000.0)
    }
}
