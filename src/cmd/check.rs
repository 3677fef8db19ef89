//! `btsops check`: one probe round of every endpoint, as a table or JSON, with an exit
//! code for cron and scripts (0 all ok, 1 any warn, 2 any crit/down).

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use crate::config::Config;
use crate::monitor::probe::FIRST_ROUND_TRIPS;
use crate::monitor::{
    ClockEstimate, ConnState, EndpointKind, EndpointSnapshot, Engine, EngineOptions, FleetSnapshot,
    NetworkSummary, RecordError, SeedLevel, Status, StatusCounts,
};

/// Version of the `check --json` shape; bumped only on incompatible changes.
pub const JSON_FORMAT: u32 = 1;

/// What `check` prints and the exit code it ends with.
pub struct CheckOutput {
    pub text: String,
    pub code: u8,
    /// `--record` lost lines (e.g. a full disk): said on stderr, and the exit code
    /// is at least 1 so a script notices.
    pub record_error: Option<RecordError>,
}

/// The `check --json` document (see README, "check --json").
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub format: u32,
    /// Unix seconds of the snapshot.
    pub time: f64,
    /// Worst endpoint status.
    pub status: Status,
    pub exit_code: u8,
    pub clock: &'a ClockEstimate,
    pub networks: &'a [NetworkSummary],
    /// One object per endpoint, in config order, see [`endpoint_json`].
    pub endpoints: Vec<serde_json::Value>,
}

/// Keys that mean nothing for a seed (a P2P port: no login, no TLS, no RPC).
const NOT_FOR_SEEDS: &[&str] = &[
    "login_ms",
    "fork_suspect",
    "head_suspect",
    "lib_num",
    "lib_lag",
    "participation_pct",
    "missed_slots",
    "recently_missed",
    "block_interval_s",
    "active_witnesses",
    "in_maintenance",
    "api_sets",
    "info",
    "version",
    "peer_count",
    "cert_days",
    "cert_not_after",
];

/// Keys a seed answers only through its decrypted `hello` (L2): `null` for a seed that
/// answered at L1 alone, so its `chain_mismatch` is not a made-up `false`.
const FROM_A_SEEDS_HELLO: &[&str] = &[
    "chain_id",
    "chain_mismatch",
    "head_num",
    "head_id",
    "head_time",
    "lag_blocks",
    "lag_s",
];

/// Keys that mean something only for a seed.
const ONLY_FOR_SEEDS: &[&str] = &["seed_key", "seed_level", "seed_hello"];

/// One endpoint of `check --json`: its snapshot, with `null` for every key that does not
/// apply to its kind, so a seed's `chain_mismatch` is not a made-up `false`.
pub fn endpoint_json(e: &EndpointSnapshot) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(e)?;
    let hello = e.seed_level == Some(SeedLevel::L2);
    let not_applicable: Vec<&str> = match e.kind {
        EndpointKind::Seed if hello => NOT_FOR_SEEDS.to_vec(),
        EndpointKind::Seed => [NOT_FOR_SEEDS, FROM_A_SEEDS_HELLO].concat(),
        EndpointKind::Node | EndpointKind::Lb => ONLY_FOR_SEEDS.to_vec(),
    };
    if let Some(obj) = v.as_object_mut() {
        for k in not_applicable {
            if let Some(x) = obj.get_mut(k) {
                *x = serde_json::Value::Null;
            }
        }
    }
    Ok(v)
}

/// Exit code of a snapshot: 2 for any crit/down, 1 for any warn (or a drifted host
/// clock), else 0.
pub fn exit_code(s: &FleetSnapshot) -> u8 {
    let worst = s.worst();
    match worst {
        Status::Down | Status::Crit => 2,
        Status::Warn => 1,
        _ if s.clock.warn => 1,
        _ => 0,
    }
}

/// Endpoints that never finished their round are down: `check` reports on every
/// endpoint it was asked about.
pub fn finalize(mut s: FleetSnapshot, waited: Duration) -> FleetSnapshot {
    for e in &mut s.endpoints {
        if e.status == Status::Unknown {
            e.status = Status::Down;
            e.state = ConnState::Backoff;
            e.reasons = vec![format!(
                "no complete probe round within {:.1} s",
                waited.as_secs_f64()
            )];
        }
    }
    for n in &mut s.networks {
        let mut counts = StatusCounts::default();
        let mut status = Status::Unknown;
        for e in s.endpoints.iter().filter(|e| e.network == n.name) {
            counts.add(e.status);
            status = if status == Status::Unknown {
                e.status
            } else {
                status.worst(e.status)
            };
        }
        n.counts = counts;
        n.status = status;
    }
    s
}

/// Longest `--timeout`, as `monitor.timeout_ms` is capped.
pub const MAX_TIMEOUT_S: f64 = crate::config::MAX_TIMEOUT_S as f64;

/// Runs one round against `config`. `timeout` overrides `monitor.timeout_ms` per call;
/// the round as a whole is bounded by one timeout per round trip of a first round
/// ([`FIRST_ROUND_TRIPS`]) plus a second: an endpoint that answers every call within the
/// timeout finishes its round, however far it is.
pub fn run(
    config: &Config,
    json: bool,
    timeout: Option<Duration>,
    record: Option<PathBuf>,
) -> Result<CheckOutput> {
    let mut opts = EngineOptions::from_config(&config.monitor);
    if let Some(t) = timeout {
        opts.timeout = t;
    }
    opts.record = record;
    let deadline = opts.timeout * FIRST_ROUND_TRIPS + Duration::from_secs(1);
    let rt = crate::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    let (snap, recorded) = rt.block_on(async {
        let engine = Engine::start(config, opts)?;
        let snap = engine.wait_rounds(1, deadline).await;
        let recorded = engine.finish().await;
        Ok::<_, color_eyre::eyre::Report>((snap, recorded))
    })?;
    // The probe tasks were aborted above. A DNS lookup runs on a blocking thread that
    // cannot be aborted; don't wait for a slow resolver past the deadline.
    rt.shutdown_timeout(Duration::from_millis(100));
    let snap = finalize(snap, deadline);
    let record_error = recorded.err();
    let code = match record_error {
        Some(_) => exit_code(&snap).max(crate::cli::EXIT_FAILURE as u8),
        None => exit_code(&snap),
    };
    let text = if json {
        let report = CheckReport {
            format: JSON_FORMAT,
            time: snap.time,
            status: snap.worst(),
            exit_code: code,
            clock: &snap.clock,
            networks: &snap.networks,
            endpoints: snap
                .endpoints
                .iter()
                .map(endpoint_json)
                .collect::<serde_json::Result<_>>()?,
        };
        let mut t = serde_json::to_string_pretty(&report)?;
        t.push('\n');
        t
    } else {
        table(&snap)
    };
    Ok(CheckOutput {
        text,
        code,
        record_error,
    })
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

/// The human table: one line per endpoint, worst first, then the clock line.
pub fn table(s: &FleetSnapshot) -> String {
    let mut rows: Vec<&EndpointSnapshot> = s.endpoints.iter().collect();
    rows.sort_by_key(|e| e.status);
    let header = [
        "STATUS", "NAME", "KIND", "NETWORK", "HEAD", "LAG", "AGE_S", "LIB_LAG", "PART%", "P99_MS",
        "AVAIL%", "VERSION", "DETAIL",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for e in rows {
        lines.push(vec![
            e.status.to_string(),
            e.name.clone(),
            e.kind_label(),
            e.network.clone(),
            opt(e.head_num),
            opt(e.lag_blocks),
            opt(e.lag_s.map(|x| format!("{x:.1}"))),
            opt(e.lib_lag),
            opt(e.participation_pct.map(|x| format!("{x:.0}"))),
            opt(e.latency.p99_ms.map(|x| format!("{x:.1}"))),
            opt(e.availability_pct.map(|x| format!("{x:.0}"))),
            e.version.label(),
            e.reasons.join("; "),
        ]);
    }
    let cols = header.len();
    let widths: Vec<usize> = (0..cols - 1)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        for (c, cell) in l.iter().enumerate() {
            if c + 1 < cols {
                out.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            } else {
                out.push_str(cell);
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    match (s.clock.offset_s, s.clock.warn) {
        (Some(o), true) => out.push_str(&format!(
            "warning: this host's clock looks off by {o:+.1} s against {} node(s)\n",
            s.clock.samples
        )),
        (Some(o), false) => out.push_str(&format!(
            "clock offset estimate {o:+.2} s ({} node(s))\n",
            s.clock.samples
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::EndpointKind;

    fn snap(statuses: &[Status]) -> FleetSnapshot {
        let mut s = FleetSnapshot::empty();
        for (i, st) in statuses.iter().enumerate() {
            let mut e = EndpointSnapshot::new(EndpointKind::Node, "n", &format!("e{i}"), "ws://x");
            e.status = *st;
            s.endpoints.push(e);
        }
        s
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(&snap(&[])), 0);
        assert_eq!(exit_code(&snap(&[Status::Ok, Status::Ok])), 0);
        assert_eq!(exit_code(&snap(&[Status::Ok, Status::Warn])), 1);
        assert_eq!(exit_code(&snap(&[Status::Warn, Status::Crit])), 2);
        assert_eq!(exit_code(&snap(&[Status::Down])), 2);
        let mut s = snap(&[Status::Ok]);
        s.clock.warn = true;
        assert_eq!(exit_code(&s), 1);
    }

    #[test]
    fn keys_that_do_not_apply_to_the_kind_are_null() {
        let seed = EndpointSnapshot::new(EndpointKind::Seed, "n", "s", "127.0.0.1:1776");
        let v = endpoint_json(&seed).unwrap();
        for k in NOT_FOR_SEEDS.iter().chain(FROM_A_SEEDS_HELLO) {
            // Present (a renamed field would silently escape the list) and null.
            assert_eq!(v.get(*k), Some(&serde_json::Value::Null), "seed {k}");
        }
        let mut l2 = seed.clone();
        l2.seed_level = Some(SeedLevel::L2);
        l2.head_num = Some(7);
        let v = endpoint_json(&l2).unwrap();
        assert_eq!(v["chain_mismatch"], false, "an L2 seed answered its chain");
        assert_eq!(v["head_num"], 7);
        assert_eq!(v["login_ms"], serde_json::Value::Null);
        assert_eq!(v["name"], "s");
        assert!(v["latency"].is_object() && v["reasons"].is_array());
        let node = EndpointSnapshot::new(EndpointKind::Node, "n", "a", "ws://x");
        let v = endpoint_json(&node).unwrap();
        assert_eq!(v.get("seed_key"), Some(&serde_json::Value::Null));
        assert_eq!(v["chain_mismatch"], false);
        assert!(v["api_sets"].is_array() && v["version"].is_object());
    }

    #[test]
    fn unfinished_endpoints_are_down() {
        let s = finalize(snap(&[Status::Ok, Status::Unknown]), Duration::from_secs(4));
        assert_eq!(s.endpoints[1].status, Status::Down);
        assert!(s.endpoints[1].reasons[0].contains("4.0 s"));
        assert_eq!(exit_code(&s), 2);
        let t = table(&s);
        assert!(t.lines().nth(1).unwrap().starts_with("down"), "{t}");
    }
}
