//! The end-of-run report: JSON for tools, Markdown for people. Building it is pure; only
//! [`write`] touches the disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::classify::Class;
use super::plan::{Effective, Plan};
use super::tally::Tally;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Option<Percentiles> {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        (!h.is_empty()).then(|| Percentiles {
            count: h.len(),
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
        })
    }
}

/// Where and how the run ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    pub btsops_version: String,
    pub network: String,
    pub chain_id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub cores: usize,
    /// Transfer runs: threads that sign.
    pub signer_threads: usize,
    /// Transfer runs: transactions are signed before their send time, at most this many
    /// ahead of the sender.
    pub pre_signed_ahead: usize,
    /// Target name → URL (credentials never appear).
    pub targets: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub sent: u64,
    pub accepted: u64,
    /// Node rejections by class.
    pub rejected: BTreeMap<&'static str, u64>,
    pub rejected_total: u64,
    /// No answer: timeouts and transport failures.
    pub errors: BTreeMap<&'static str, u64>,
    /// Transfer runs: accepted transactions seen in a block.
    pub included: u64,
    /// Reply latency from the intended send time.
    pub latency: Option<Percentiles>,
    /// Transfer runs: block notice latency from the intended send time.
    pub inclusion: Option<Percentiles>,
    /// Offered rate actually achieved (sent / elapsed).
    pub sent_per_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeFigures {
    pub sent: u64,
    pub accepted: u64,
    pub failed: BTreeMap<&'static str, u64>,
    pub latency: Option<Percentiles>,
    /// `get_dynamic_global_properties` on a side connection while under load.
    pub probe_latency: Option<Percentiles>,
    pub probe_failures: u64,
    pub max_head_lag_blocks: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub plan: Plan,
    pub effective: Effective,
    pub environment: Environment,
    pub elapsed_s: f64,
    pub series: Vec<super::tally::Second>,
    pub totals: Totals,
    pub nodes: BTreeMap<String, NodeFigures>,
    /// Why the run ended early; `None` for a run that completed.
    pub aborted: Option<String>,
}

fn by_class(m: &BTreeMap<Class, u64>, rejection: bool) -> BTreeMap<&'static str, u64> {
    m.iter()
        .filter(|(c, _)| c.is_rejection() == rejection)
        .map(|(c, n)| (c.name(), *n))
        .collect()
}

/// Assembles the report from what was counted.
pub fn build(
    plan: &Plan,
    effective: &Effective,
    environment: Environment,
    tally: &Tally,
    elapsed_s: f64,
    aborted: Option<String>,
) -> Report {
    let nodes = tally
        .nodes
        .iter()
        .map(|(name, n)| {
            (
                name.clone(),
                NodeFigures {
                    sent: n.sent,
                    accepted: n.accepted,
                    failed: n.failed.iter().map(|(c, k)| (c.name(), *k)).collect(),
                    latency: Percentiles::of(&n.latency),
                    probe_latency: Percentiles::of(&n.probe_latency),
                    probe_failures: n.probe_failures,
                    max_head_lag_blocks: n.max_head_lag,
                },
            )
        })
        .collect();
    Report {
        plan: plan.clone(),
        effective: effective.clone(),
        environment,
        elapsed_s,
        series: tally.series.clone(),
        totals: Totals {
            sent: tally.sent,
            accepted: tally.accepted,
            rejected: by_class(&tally.failed, true),
            rejected_total: tally.rejected_total(),
            errors: by_class(&tally.failed, false),
            included: tally.included,
            latency: Percentiles::of(&tally.latency),
            inclusion: Percentiles::of(&tally.inclusion),
            sent_per_s: if elapsed_s > 0.0 {
                tally.sent as f64 / elapsed_s
            } else {
                0.0
            },
        },
        nodes,
        aborted,
    }
}

fn pct(p: &Option<Percentiles>) -> String {
    match p {
        Some(p) => format!(
            "{:.1} / {:.1} / {:.1} / {:.1}",
            p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms
        ),
        None => "-".into(),
    }
}

fn classes(m: &BTreeMap<&'static str, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown summary.
pub fn markdown(r: &Report) -> String {
    let e = &r.effective;
    let t = &r.totals;
    let mut s = format!(
        "# btsops stress run: {:?} on {}\n\n",
        e.kind, r.environment.network
    );
    s += &match &r.aborted {
        None => "**Completed.**\n\n".to_string(),
        Some(why) => format!("**Aborted:** {why}\n\n"),
    };
    s += &format!(
        "Started {} · chain `{}` · {:.1} s · offered {} /s for {} s (at most {} requests){}\n\n",
        r.environment.started_at,
        r.environment.chain_id,
        r.elapsed_s,
        e.rate,
        e.duration_s,
        e.total,
        if e.open_loop { "" } else { ", closed loop" }
    );
    for c in &e.capped {
        s += &format!("- {c}\n");
    }
    if e.kind == super::plan::Kind::Transfer {
        s += &format!(
            "- signed on {} threads, up to {} transactions ahead of their send time\n",
            r.environment.signer_threads, r.environment.pre_signed_ahead
        );
    }
    s += "\n| total | value |\n|---|---|\n";
    s += &format!("| sent | {} ({:.1}/s) |\n", t.sent, t.sent_per_s);
    s += &format!("| accepted | {} |\n", t.accepted);
    s += &format!(
        "| rejected | {} ({}) |\n",
        t.rejected_total,
        classes(&t.rejected)
    );
    s += &format!("| no answer | {} |\n", classes(&t.errors));
    if e.kind == super::plan::Kind::Transfer {
        s += &format!("| included | {} |\n", t.included);
        s += &format!("| inclusion ms p50/p90/p99/max | {} |\n", pct(&t.inclusion));
    }
    s += &format!("| latency ms p50/p90/p99/max | {} |\n\n", pct(&t.latency));
    s += "| node | sent | accepted | failed | latency ms p50/p90/p99/max | probe ms p50/p99 | max head lag |\n|---|---|---|---|---|---|---|\n";
    for (name, n) in &r.nodes {
        let probe = n
            .probe_latency
            .as_ref()
            .map_or("-".into(), |p| format!("{:.1} / {:.1}", p.p50_ms, p.p99_ms));
        s += &format!(
            "| {name} | {} | {} | {} | {} | {probe} | {} |\n",
            n.sent,
            n.accepted,
            classes(&n.failed),
            pct(&n.latency),
            n.max_head_lag_blocks
        );
    }
    s
}

/// Where a run's report goes by default: `<data dir>/stress/reports/<UTC time>-<kind>.json`,
/// the time being the run's start (`unix_s`) without colons, so names sort by time.
pub fn default_path(data_dir: &Path, kind: super::plan::Kind, unix_s: i64) -> PathBuf {
    let stamp = time::OffsetDateTime::from_unix_timestamp(unix_s)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix_s.to_string())
        .replace(':', "");
    let kind = match kind {
        super::plan::Kind::Transfer => "transfer",
        super::plan::Kind::Read => "read",
    };
    data_dir
        .join("stress")
        .join("reports")
        .join(format!("{stamp}-{kind}.json"))
}

/// The JSON report at `json_path` and the Markdown beside it (same name, `.md`).
/// Returns both paths.
pub fn write(r: &Report, json_path: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    if let Some(dir) = json_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_vec_pretty(r).map_err(std::io::Error::other)?;
    std::fs::write(json_path, json)?;
    let md_path = json_path.with_extension("md");
    std::fs::write(&md_path, markdown(r))?;
    Ok((json_path.to_path_buf(), md_path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::plan;

    #[test]
    fn the_default_path_sorts_by_start_time() {
        let p = default_path(Path::new("/d"), plan::Kind::Read, 1_764_000_000);
        assert_eq!(
            p,
            Path::new("/d/stress/reports/2025-11-24T160000Z-read.json")
        );
    }

    #[test]
    fn report_carries_totals_by_class_and_the_abort_reason() {
        let p = plan::parse("p", "kind = \"read\"\nrate = 10\nduration_s = 2\n").unwrap();
        let e = plan::effective("p", &p, &crate::config::Stress::default()).unwrap();
        let mut t = Tally::new(&["a".into()]);
        for _ in 0..3 {
            t.sent(0, "a");
        }
        t.replied(0, "a", 2_000, Ok(()));
        t.replied(0, "a", 2_000, Err(Class::Fee));
        t.replied(0, "a", 9_000, Err(Class::Timeout));
        let env = Environment {
            btsops_version: "0".into(),
            network: "testnet".into(),
            chain_id: "00".into(),
            started_at: "now".into(),
            cores: 2,
            signer_threads: 0,
            pre_signed_ahead: 0,
            targets: BTreeMap::new(),
        };
        let r = build(&p, &e, env, &t, 1.5, Some("stopped".into()));
        assert_eq!(r.totals.sent, 3);
        assert_eq!(r.totals.rejected, BTreeMap::from([("fee", 1)]));
        assert_eq!(r.totals.errors, BTreeMap::from([("timeout", 1)]));
        assert_eq!(r.totals.sent_per_s, 2.0);
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["aborted"], "stopped");
        assert_eq!(j["totals"]["rejected"]["fee"], 1);
        let md = markdown(&r);
        assert!(md.contains("**Aborted:** stopped"), "{md}");
        assert!(md.contains("| a | 3 | 1 | fee 1, timeout 1 |"), "{md}");
    }
}
