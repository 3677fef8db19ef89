//! The faucet pane: reachability, the registrar's balance and runway, registrations over
//! time windows against the target's pace (with a chart per day), referral rewards, the
//! last registrations and failures, and the last registration sent from here. Every number
//! comes from the last read of the chain (`faucet_pane`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Sparkline, Widget};

use super::fmt;
use crate::faucet::collect::Stats;
use crate::faucet::kpi::{DAILY_DAYS, coins};
use crate::rpc::ChainTime;
use crate::tui::app::App;
use crate::tui::commands::CommandId;
use crate::tui::faucet_pane::FaucetConf;

/// Rows of the registrations-per-day chart, by terminal height.
const CHART_ROWS_SMALL: u16 = 3;
const CHART_ROWS_TALL: u16 = 6;
const TALL_FROM: u16 = 40;

/// Draws lines top-down in `area`, dropping what does not fit.
struct Lines<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    y: u16,
}

impl Lines<'_> {
    fn line(&mut self, text: &str, style: Style) {
        if self.y < self.area.bottom() {
            self.buf.set_stringn(
                self.area.x,
                self.y,
                text,
                usize::from(self.area.width),
                style,
            );
            self.y += 1;
        }
    }

    fn left(&self) -> u16 {
        self.area.bottom().saturating_sub(self.y)
    }
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let hint = |id| app.keymap.hint(id);
    let mut out = Lines {
        buf,
        area,
        y: area.y,
    };
    out.line(
        &format!(
            "faucet  {} register  {} read now",
            hint(CommandId::Register),
            hint(CommandId::FaucetRefresh)
        ),
        t.header,
    );
    let Some(conf) = &app.faucet.conf else {
        out.line("no faucet configured.", t.dim);
        out.line(
            "Add a [faucet] section to the config (network, url, registrar, target_accounts,",
            t.dim,
        );
        out.line(
            "start_date, target_date; see config.example.toml), then :reload.",
            t.dim,
        );
        return;
    };
    out.line(
        &format!(
            "{} on {}, registrar {}",
            conf.url,
            conf.network,
            app.faucet
                .stats
                .as_ref()
                .map_or(conf.registrar.clone(), |s| s.registrar.clone())
        ),
        t.title,
    );
    if let Some(p) = app.faucet.progress {
        let pct = (p.read * 100).checked_div(p.total).unwrap_or(0);
        out.line(
            &format!(
                "reading the registrar's history: {} of {} ops ({pct}%)",
                p.read, p.total
            ),
            t.warn,
        );
    }
    if let Some(e) = &app.faucet.error {
        out.line(&format!("ERROR {}", fmt::first_line(e)), t.down);
    }
    let Some(s) = &app.faucet.stats else {
        if app.faucet.progress.is_none() && app.faucet.error.is_none() {
            out.line("reading the chain…", t.dim);
        }
        last_from_here(app, &mut out);
        return;
    };
    let read = app
        .faucet
        .read_at
        .map(|at| format!("read {} ago", fmt::age(app.now, at)))
        .unwrap_or_default();
    let (reach, style) = match s.probe.status {
        Some(st) if s.probe.reachable => (
            format!(
                "reachable in {} ms (HTTP {st} to a malformed probe)",
                fmt::ms(s.probe.latency_ms)
            ),
            t.ok,
        ),
        _ => (
            format!("DOWN: {}", fmt::first_line(&s.probe.detail)),
            t.down,
        ),
    };
    out.line(&format!("faucet      {reach}   {read}"), style);
    numbers(app, conf, s, &mut out);
    chart(app, s, &mut out);
    lists(app, s, &mut out);
    last_from_here(app, &mut out);
}

fn numbers(app: &App, conf: &FaucetConf, s: &Stats, out: &mut Lines<'_>) {
    let t = &app.theme;
    let k = &s.kpis;
    out.line(
        &format!(
            "balance     {}  fee {}  runway {} registrations",
            coins(k.balance),
            coins(k.fee),
            k.runway
        ),
        if k.runway < 10 { t.crit } else { t.text },
    );
    let since = k.since.as_ref().map_or(String::new(), |d| {
        format!("  (history trimmed: counts since {d})")
    });
    out.line(
        &format!(
            "registered  today {}  7 days {}  30 days {}  since {}: {}{since}",
            k.today, k.last_7_days, k.last_30_days, conf.start_date, k.since_start
        ),
        if k.since.is_some() { t.warn } else { t.text },
    );
    let p = &k.pace;
    out.line(
        &format!(
            "target      {} by {}: {} to go in {} days, {:.1}/day needed: {} (expected {} by now)",
            conf.target_accounts,
            conf.target_date,
            p.remaining,
            p.days_left,
            p.needed_per_day,
            if p.on_track { "on track" } else { "BEHIND" },
            p.expected_by_now
        ),
        if p.on_track { t.ok } else { t.crit },
    );
    out.line(
        &format!(
            "rewards     {} (registrar {}, referrer {}, lifetime referrer {})",
            coins(k.rewards.total),
            coins(k.rewards.as_registrar),
            coins(k.rewards.as_referrer),
            coins(k.rewards.as_lifetime_referrer)
        ),
        t.text,
    );
}

/// Registrations per day (bars) against the pace needed from today (a dotted line).
fn chart(app: &App, s: &Stats, out: &mut Lines<'_>) {
    let t = &app.theme;
    let k = &s.kpis;
    let rows = if out.area.height >= TALL_FROM {
        CHART_ROWS_TALL
    } else {
        CHART_ROWS_SMALL
    };
    if out.left() < rows + 1 || k.daily.is_empty() {
        return;
    }
    out.line(
        &format!(
            "per day, last {DAILY_DAYS} days (today right), ┈ = {:.1}/day needed",
            k.pace.needed_per_day
        ),
        t.header,
    );
    // Each day as wide as the pane allows, up to 4 columns.
    let per_day = (out.area.width as usize / k.daily.len()).clamp(1, 4);
    let data: Vec<u64> = k
        .daily
        .iter()
        .flat_map(|v| std::iter::repeat_n(*v, per_day))
        .collect();
    let needed = k.pace.needed_per_day;
    let top = k
        .daily
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(needed.ceil() as u64)
        .max(1);
    let r = Rect {
        x: out.area.x,
        y: out.y,
        width: (data.len() as u16).min(out.area.width),
        height: rows,
    };
    Sparkline::default()
        .data(&data)
        .max(top)
        .style(t.chart)
        .render(r, out.buf);
    if needed > 0.0 {
        // The row the needed pace reaches, counted from the bottom.
        let level = ((needed / top as f64) * f64::from(rows)).ceil() as u16;
        let y = r.bottom().saturating_sub(level.clamp(1, rows));
        for x in r.left()..r.right() {
            let cell = &mut out.buf[(x, y)];
            if cell.symbol() == " " {
                cell.set_symbol("┈").set_style(t.warn);
            }
        }
    }
    out.y += rows;
}

fn lists(app: &App, s: &Stats, out: &mut Lines<'_>) {
    let t = &app.theme;
    let k = &s.kpis;
    let when =
        |unix: i64| ChainTime::from_unix_timestamp(unix).map_or(String::new(), |c| c.to_string());
    out.line("last registrations", t.header);
    if k.last_registrations.is_empty() {
        out.line("  none", t.dim);
    }
    for r in &k.last_registrations {
        out.line(
            &format!("  {} {:<24} {}", when(r.time), r.name, r.account),
            t.text,
        );
    }
    out.line(
        "last failures (sent from here or `faucet register`)",
        t.header,
    );
    if k.last_failures.is_empty() {
        out.line("  none", t.dim);
    }
    for f in &k.last_failures {
        out.line(
            &format!("  {} {:<24} {}: {}", when(f.time), f.name, f.class, f.text),
            t.warn,
        );
    }
}

fn last_from_here(app: &App, out: &mut Lines<'_>) {
    let t = &app.theme;
    if let Some(r) = app.running.as_ref().filter(|r| r.starts_with("register ")) {
        out.line(&format!("running: {r}"), t.warn);
    }
    let Some(l) = &app.faucet.last else {
        return;
    };
    let status = l
        .status
        .map_or("no HTTP reply".to_string(), |s| format!("HTTP {s}"));
    out.line(
        &format!("sent from here: {} → {} ({status})", l.name, l.class),
        if l.registered { t.ok } else { t.crit },
    );
    out.line(&format!("  reply {}", fmt::first_line(&l.reply)), t.text);
    if l.registered {
        let (text, style) = match &l.account {
            None => ("  account: waiting for the chain…".to_string(), t.dim),
            Some(Ok(id)) => (format!("  account {} is {id} on chain", l.name), t.ok),
            Some(Err(e)) => (format!("  account: {e}"), t.warn),
        };
        out.line(&text, style);
    }
}
