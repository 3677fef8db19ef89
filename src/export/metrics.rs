//! The exporter's metrics: a registry built fresh for each scrape from the newest fleet
//! snapshot, load-balancer reads and faucet KPIs, plus the latency histograms, which
//! accumulate across scrapes ([`LatencyFeed`]). Pure: no I/O, time is passed in.
//!
//! Metric and label names are a stable interface (README "Prometheus exporter"): alert
//! rules and dashboards depend on them. Labels only take values from the config (names)
//! or from closed sets (status, kind, mode, window), so the number of series is bounded
//! by the config, never by what a node answers.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::faucet::kpi::Kpis;
use crate::lb::{Mode, Snapshot as LbSnapshot};
use crate::monitor::{EndpointKind, FleetSnapshot, Status};

type G = Gauge<f64, AtomicU64>;

/// Latency histogram buckets, seconds: a local node answers in a few ms, a distant
/// one in 100–300 ms, and the monitor's timeout is seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub network: String,
    pub endpoint: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    network: String,
    endpoint: String,
    kind: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    network: String,
    endpoint: String,
    kind: &'static str,
    at_least: String,
    below: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NetworkLabels {
    network: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NetworkStatusLabels {
    network: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LbLabels {
    lb: String,
    network: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BackendLabels {
    lb: String,
    backend: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerLabels {
    lb: String,
    backend: String,
    server: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServerModeLabels {
    lb: String,
    backend: String,
    server: String,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaucetLabels {
    network: String,
    registrar: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaucetWindowLabels {
    network: String,
    registrar: String,
    window: &'static str,
}

/// Every server mode, for the one-hot `btsops_lb_server_mode` (a server has exactly one
/// series at 1, the others at 0, so a `== 1` alert also sees the mode go away).
const MODES: [Mode; 9] = [
    Mode::Ready,
    Mode::Draining,
    Mode::MaintForced,
    Mode::MaintConfig,
    Mode::MaintInherited,
    Mode::MaintDns,
    Mode::Down,
    Mode::Starting,
    Mode::Stopping,
];

/// A mode as a label value (snake case, no spaces).
pub fn mode_label(m: Mode) -> &'static str {
    match m {
        Mode::Ready => "ready",
        Mode::Draining => "draining",
        Mode::MaintForced => "maint",
        Mode::MaintConfig => "maint_config",
        Mode::MaintInherited => "maint_tracked",
        Mode::MaintDns => "maint_dns",
        Mode::Down => "down",
        Mode::Starting => "starting",
        Mode::Stopping => "stopping",
    }
}

fn new_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Per-endpoint latency histograms, fed from the probe latencies each snapshot adds.
/// Snapshots carry each endpoint's probe count and its recent latencies (one entry per
/// probe, newest last), so the probes since the previous snapshot are the last
/// `probes − seen` entries; failed probes (no latency) count in availability, not here.
pub struct LatencyFeed {
    family: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    seen: HashMap<String, u64>,
}

impl Default for LatencyFeed {
    fn default() -> Self {
        LatencyFeed {
            family: Family::new_with_constructor(new_histogram as fn() -> Histogram),
            seen: HashMap::new(),
        }
    }
}

impl LatencyFeed {
    /// Observes the latencies of the probes `snap` adds; returns how many it observed.
    pub fn observe(&mut self, snap: &FleetSnapshot) -> usize {
        let mut observed = 0;
        for e in &snap.endpoints {
            let seen = self.seen.insert(e.name.clone(), e.probes).unwrap_or(0);
            let new = e.probes.saturating_sub(seen) as usize;
            if new == 0 {
                continue;
            }
            let h = &e.latency.history;
            let fresh = &h[h.len().saturating_sub(new)..];
            let labels = endpoint_labels(e.kind, &e.network, &e.name);
            let hist = self.family.get_or_create(&labels);
            for ms in fresh.iter().flatten() {
                hist.observe(ms / 1000.0);
                observed += 1;
            }
        }
        observed
    }
}

fn endpoint_labels(kind: EndpointKind, network: &str, name: &str) -> EndpointLabels {
    EndpointLabels {
        network: network.to_string(),
        endpoint: name.to_string(),
        kind: kind.as_str(),
    }
}

/// The newest read of one load balancer.
#[derive(Debug, Clone, PartialEq)]
pub struct LbReading {
    pub name: String,
    pub network: String,
    /// The backend of the API nodes (`[[lb]] backend`).
    pub backend: String,
    /// `None` before the first poll finished; `Err` with why the last one failed.
    pub last: Option<Result<LbSnapshot, String>>,
}

/// The newest faucet KPIs.
#[derive(Debug, Clone, PartialEq)]
pub struct FaucetReading {
    pub network: String,
    /// The registrar's account name (from the config).
    pub registrar: String,
    /// `None` before the first read finished; `Err` with why the last one failed.
    pub last: Option<Result<Kpis, String>>,
    /// The faucet's HTTP endpoint answered on the last read.
    pub reachable: bool,
    /// Unix seconds of the last successful read.
    pub read_at: Option<f64>,
}

/// Everything one scrape shows.
pub struct Sources<'a> {
    pub snap: &'a FleetSnapshot,
    pub latency: &'a LatencyFeed,
    pub lbs: &'a [LbReading],
    pub faucet: Option<&'a FaucetReading>,
}

/// A gauge family registered under `name`, filled by the caller.
fn family<L>(r: &mut Registry, name: &str, help: &str) -> Family<L, G>
where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    let f = Family::<L, G>::default();
    r.register(name, help, f.clone());
    f
}

/// The exposition text of one scrape.
pub fn render(s: &Sources<'_>) -> String {
    let mut r = Registry::with_prefix("btsops");
    endpoint_metrics(&mut r, s);
    network_metrics(&mut r, s.snap);
    lb_metrics(&mut r, s.lbs);
    if let Some(f) = s.faucet {
        faucet_metrics(&mut r, f);
    }
    crate::exposition::encode(&r)
}

fn endpoint_metrics(r: &mut Registry, s: &Sources<'_>) {
    let status = family::<StatusLabels>(
        r,
        "endpoint_status",
        "1 for the endpoint's current status (down, crit, warn, ok, unknown), 0 for the others",
    );
    let mismatch = family::<EndpointLabels>(
        r,
        "endpoint_chain_mismatch",
        "1 when the endpoint answered another chain id than its network's",
    );
    let head = family::<EndpointLabels>(
        r,
        "endpoint_head_block",
        "Head block number the endpoint reported",
    );
    let lag_blocks = family::<EndpointLabels>(
        r,
        "endpoint_lag_blocks",
        "Blocks behind the best node of the same network",
    );
    let lag_s = family::<EndpointLabels>(
        r,
        "endpoint_lag_seconds",
        "Age of the endpoint's head block against this host's clock",
    );
    let lib_lag = family::<EndpointLabels>(
        r,
        "endpoint_lib_lag_blocks",
        "Head block minus last irreversible block",
    );
    let participation = family::<EndpointLabels>(
        r,
        "endpoint_participation_ratio",
        "Witness participation (recent slots filled), 0 to 1",
    );
    let availability = family::<EndpointLabels>(
        r,
        "endpoint_availability_ratio",
        "Share of successful probes over the monitor window, 0 to 1",
    );
    let cert = family::<EndpointLabels>(
        r,
        "endpoint_cert_days_left",
        "Days until the endpoint's TLS certificate expires",
    );
    let version = family::<VersionLabels>(
        r,
        "endpoint_version_info",
        "Software version bracket inferred from the node's features (empty label: unknown)",
    );
    let probes = Family::<EndpointLabels, Counter>::default();
    r.register(
        "endpoint_probes",
        "Probe rounds completed (success or failure) since the exporter started",
        probes.clone(),
    );
    r.register(
        "endpoint_latency_seconds",
        "Probe round-trip latency of successful probes",
        s.latency.family.clone(),
    );
    for e in &s.snap.endpoints {
        let l = endpoint_labels(e.kind, &e.network, &e.name);
        for st in Status::ALL {
            let sl = StatusLabels {
                network: l.network.clone(),
                endpoint: l.endpoint.clone(),
                kind: l.kind,
                status: st.as_str(),
            };
            status
                .get_or_create(&sl)
                .set(if e.status == st { 1.0 } else { 0.0 });
        }
        mismatch
            .get_or_create(&l)
            .set(if e.chain_mismatch { 1.0 } else { 0.0 });
        probes.get_or_create(&l).inc_by(e.probes);
        let set = |f: &Family<EndpointLabels, G>, v: Option<f64>| {
            if let Some(v) = v {
                f.get_or_create(&l).set(v);
            }
        };
        set(&head, e.head_num.map(f64::from));
        set(&lag_blocks, e.lag_blocks.map(|v| v as f64));
        set(&lag_s, e.lag_s);
        set(&lib_lag, e.lib_lag.map(|v| v as f64));
        set(&participation, e.participation_pct.map(|p| p / 100.0));
        set(&availability, e.availability_pct.map(|p| p / 100.0));
        set(&cert, e.cert_days);
        if e.kind != EndpointKind::Seed {
            let v = VersionLabels {
                network: l.network.clone(),
                endpoint: l.endpoint.clone(),
                kind: l.kind,
                at_least: e.version.at_least.clone().unwrap_or_default(),
                below: e.version.below.clone().unwrap_or_default(),
            };
            version.get_or_create(&v).set(1.0);
        }
    }
}

fn network_metrics(r: &mut Registry, snap: &FleetSnapshot) {
    let best = family::<NetworkLabels>(
        r,
        "network_best_head_block",
        "Highest believable head among the network's nodes on the right chain",
    );
    let counts = family::<NetworkStatusLabels>(
        r,
        "network_endpoints",
        "Endpoints of the network in each status",
    );
    for n in &snap.networks {
        let l = NetworkLabels {
            network: n.name.clone(),
        };
        if let Some(b) = n.best_head {
            best.get_or_create(&l).set(f64::from(b));
        }
        let c = n.counts;
        for (st, v) in [
            (Status::Down, c.down),
            (Status::Crit, c.crit),
            (Status::Warn, c.warn),
            (Status::Ok, c.ok),
            (Status::Unknown, c.unknown),
        ] {
            counts
                .get_or_create(&NetworkStatusLabels {
                    network: n.name.clone(),
                    status: st.as_str(),
                })
                .set(f64::from(v));
        }
    }
    let offset = Gauge::<f64, AtomicU64>::default();
    r.register(
        "host_clock_offset_seconds",
        "Seconds this host's clock is ahead of the chain (NaN when no node gave a usable head)",
        offset.clone(),
    );
    offset.set(snap.clock.offset_s.unwrap_or(f64::NAN));
    let samples = Gauge::<f64, AtomicU64>::default();
    r.register(
        "host_clock_samples",
        "Node heads the clock offset estimate rests on",
        samples.clone(),
    );
    samples.set(f64::from(snap.clock.samples));
    let at = Gauge::<f64, AtomicU64>::default();
    r.register(
        "snapshot_timestamp_seconds",
        "Unix time the fleet snapshot shown was built",
        at.clone(),
    );
    at.set(snap.time);
}

fn lb_metrics(r: &mut Registry, lbs: &[LbReading]) {
    let up = family::<LbLabels>(
        r,
        "lb_up",
        "1 when the last read of the load balancer's runtime API succeeded",
    );
    let healthy = family::<BackendLabels>(
        r,
        "lb_backend_healthy_servers",
        "Servers of the API backend taking new traffic (ready, weight above 0)",
    );
    let servers = family::<BackendLabels>(r, "lb_backend_servers", "Servers of the API backend");
    let mode = family::<ServerModeLabels>(
        r,
        "lb_server_mode",
        "1 for the server's current mode, 0 for the others",
    );
    let weight = family::<ServerLabels>(r, "lb_server_weight", "The server's current weight");
    let sessions = family::<ServerLabels>(r, "lb_server_sessions", "Current sessions (scur)");
    let check_passed = family::<ServerLabels>(
        r,
        "lb_server_check_passed",
        "1 when the server's last health check passed",
    );
    let total = Family::<ServerLabels, Counter>::default();
    r.register(
        "lb_server_sessions_started",
        "Sessions since HAProxy started (stot)",
        total.clone(),
    );
    for lb in lbs {
        let ok = matches!(lb.last, Some(Ok(_)));
        up.get_or_create(&LbLabels {
            lb: lb.name.clone(),
            network: lb.network.clone(),
        })
        .set(if ok { 1.0 } else { 0.0 });
        let Some(Ok(snap)) = &lb.last else { continue };
        let b = BackendLabels {
            lb: lb.name.clone(),
            backend: lb.backend.clone(),
        };
        let in_backend: Vec<_> = snap.backend_servers(&lb.backend).collect();
        healthy
            .get_or_create(&b)
            .set(in_backend.iter().filter(|s| s.takes_new_traffic()).count() as f64);
        servers.get_or_create(&b).set(in_backend.len() as f64);
        for s in &snap.servers {
            let l = ServerLabels {
                lb: lb.name.clone(),
                backend: s.backend.clone(),
                server: s.name.clone(),
            };
            for m in MODES {
                let ml = ServerModeLabels {
                    lb: l.lb.clone(),
                    backend: l.backend.clone(),
                    server: l.server.clone(),
                    mode: mode_label(m),
                };
                mode.get_or_create(&ml)
                    .set(if s.mode == m { 1.0 } else { 0.0 });
            }
            weight.get_or_create(&l).set(f64::from(s.state.uweight));
            check_passed
                .get_or_create(&l)
                .set(if s.checked { 1.0 } else { 0.0 });
            if let Some(v) = s.scur {
                sessions.get_or_create(&l).set(v as f64);
            }
            if let Some(v) = s.stot {
                total.get_or_create(&l).inc_by(v);
            }
        }
    }
}

fn faucet_metrics(r: &mut Registry, f: &FaucetReading) {
    let l = FaucetLabels {
        network: f.network.clone(),
        registrar: f.registrar.clone(),
    };
    let up = family::<FaucetLabels>(
        r,
        "faucet_up",
        "1 when the last read of the registrar's history succeeded",
    );
    up.get_or_create(&l).set(if matches!(f.last, Some(Ok(_))) {
        1.0
    } else {
        0.0
    });
    let reachable = family::<FaucetLabels>(
        r,
        "faucet_reachable",
        "1 when the faucet's HTTP endpoint answered on the last read",
    );
    reachable
        .get_or_create(&l)
        .set(if f.reachable { 1.0 } else { 0.0 });
    let read_at = family::<FaucetLabels>(
        r,
        "faucet_read_timestamp_seconds",
        "Unix time of the last successful read",
    );
    if let Some(t) = f.read_at {
        read_at.get_or_create(&l).set(t);
    }
    let Some(Ok(k)) = &f.last else { return };
    let regs = family::<FaucetWindowLabels>(
        r,
        "faucet_registrations",
        "Accounts registered in the window (today, 7d, 30d, since_start; UTC days)",
    );
    for (window, v) in [
        ("today", k.today),
        ("7d", k.last_7_days),
        ("30d", k.last_30_days),
        ("since_start", k.since_start),
    ] {
        regs.get_or_create(&FaucetWindowLabels {
            network: l.network.clone(),
            registrar: l.registrar.clone(),
            window,
        })
        .set(v as f64);
    }
    let gauges: [(&str, &str, f64); 7] = [
        (
            "faucet_registrar_balance_satoshis",
            "The registrar's core asset balance, in satoshis",
            k.balance as f64,
        ),
        (
            "faucet_account_fee_satoshis",
            "The current account_create fee for a cheap name, in satoshis",
            k.fee as f64,
        ),
        (
            "faucet_registrar_runway_registrations",
            "Registrations the registrar's balance still pays for at the current fee",
            k.runway as f64,
        ),
        (
            "faucet_target_remaining",
            "Accounts still to register by the target date",
            k.pace.remaining as f64,
        ),
        (
            "faucet_target_needed_per_day",
            "Registrations per day needed from now on to reach the target",
            k.pace.needed_per_day,
        ),
        (
            "faucet_target_days_left",
            "Days left to the target date",
            k.pace.days_left as f64,
        ),
        (
            "faucet_on_track",
            "1 when registrations are at or ahead of the straight line to the target",
            if k.pace.on_track { 1.0 } else { 0.0 },
        ),
    ];
    for (name, help, v) in gauges {
        family::<FaucetLabels>(r, name, help)
            .get_or_create(&l)
            .set(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::EndpointSnapshot;

    fn snap(probes: u64, history: &[Option<f64>]) -> FleetSnapshot {
        let mut s = FleetSnapshot::empty();
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "main", "n1", "ws://x");
        e.probes = probes;
        e.latency.history = history.to_vec();
        e.status = Status::Warn;
        e.lag_s = Some(3.5);
        s.endpoints.push(e);
        s
    }

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[test]
    fn the_latency_feed_observes_each_probe_once_and_skips_failures() {
        let mut feed = LatencyFeed::default();
        assert_eq!(feed.observe(&snap(2, &[Some(3.0), Some(200.0)])), 2);
        // The same snapshot again adds nothing; one new failed probe adds nothing.
        assert_eq!(feed.observe(&snap(2, &[Some(3.0), Some(200.0)])), 0);
        assert_eq!(feed.observe(&snap(3, &[Some(3.0), Some(200.0), None])), 0);
        assert_eq!(
            feed.observe(&snap(
                5,
                &[Some(3.0), Some(200.0), None, Some(40.0), Some(4.0)]
            )),
            2
        );
        let s = snap(5, &[]);
        let t = render(&Sources {
            snap: &s,
            latency: &feed,
            lbs: &[],
            faucet: None,
        });
        let labels = r#"{network="main",endpoint="n1",kind="node""#;
        let count = format!("btsops_endpoint_latency_seconds_count{labels}}}");
        assert_eq!(line(&t, &count), Some(format!("{count} 4").as_str()), "{t}");
        let under = format!(
            "btsops_endpoint_latency_seconds_bucket{{le=\"0.005\",{}}}",
            &labels[1..]
        );
        assert_eq!(line(&t, &under), Some(format!("{under} 2").as_str()), "{t}");
    }

    #[test]
    fn status_is_one_hot_and_absent_values_have_no_series() {
        let s = snap(1, &[]);
        let t = render(&Sources {
            snap: &s,
            latency: &LatencyFeed::default(),
            lbs: &[],
            faucet: None,
        });
        let st = |status: &str| {
            format!(
                r#"btsops_endpoint_status{{network="main",endpoint="n1",kind="node",status="{status}"}}"#
            )
        };
        assert!(t.contains(&format!("{} 1.0\n", st("warn"))), "{t}");
        for other in ["ok", "crit", "down", "unknown"] {
            assert!(t.contains(&format!("{} 0.0\n", st(other))), "{t}");
        }
        assert!(t.contains(
            r#"btsops_endpoint_lag_seconds{network="main",endpoint="n1",kind="node"} 3.5"#
        ));
        assert!(!t.contains("btsops_endpoint_head_block{"), "{t}");
        assert!(t.contains("btsops_host_clock_offset_seconds NaN"), "{t}");
    }

    #[test]
    fn an_unreadable_lb_is_down_and_has_no_server_series() {
        let s = snap(1, &[]);
        let lbs = [LbReading {
            name: "lb-eu".into(),
            network: "main".into(),
            backend: "be".into(),
            last: Some(Err("connection refused".into())),
        }];
        let t = render(&Sources {
            snap: &s,
            latency: &LatencyFeed::default(),
            lbs: &lbs,
            faucet: None,
        });
        assert!(
            t.contains(r#"btsops_lb_up{lb="lb-eu",network="main"} 0.0"#),
            "{t}"
        );
        assert!(!t.contains("btsops_lb_backend_healthy_servers{"), "{t}");
        assert!(
            !t.contains("btsops_faucet"),
            "no [faucet], no faucet metrics: {t}"
        );
    }
}
