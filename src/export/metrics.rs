//! The exporter's metrics, encoded straight from the newest fleet snapshot,
//! load-balancer reads and faucet KPIs on each scrape, plus the latency histograms,
//! which accumulate across scrapes ([`LatencyFeed`]). Pure: no I/O, time is passed in.
//!
//! A scrape borrows its sources ([`Lend`]) and streams them through one
//! `prometheus-client` collector: no copy of the snapshot and no per-scrape registry of
//! labelled series (at 1,000 endpoints that was about 40,000 series and their label
//! strings built and dropped every second, and the allocator kept the peak). Series
//! come out in the snapshot's order, so two scrapes list them alike.
//!
//! Metric and label names are a stable interface (README "Prometheus exporter"): alert
//! rules and dashboards depend on them. Labels only take values from the config (names)
//! or from closed sets (status, kind, mode, window), so the number of series is bounded
//! by the config, never by what a node answers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::faucet::kpi::Kpis;
use crate::lb::{Mode, Server, Snapshot as LbSnapshot};
use crate::monitor::{EndpointKind, EndpointSnapshot, FleetSnapshot, Status};

/// Latency histogram buckets, seconds: a local node answers in a few ms, a distant
/// one in 100–300 ms, and the monitor's timeout is seconds.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A label set of borrowed names: `(label, value)` pairs, in the order they print.
type Labels<'a, const N: usize> = [(&'static str, &'a str); N];

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

/// Per-endpoint latency histograms, fed from the probe latencies each snapshot adds.
/// Snapshots carry each endpoint's probe count and its recent latencies (one entry per
/// probe, newest last), so the probes since the previous snapshot are the last
/// `probes − seen` entries; failed probes (no latency) count in availability, not here.
#[derive(Default)]
pub struct LatencyFeed {
    by_endpoint: HashMap<String, Observed>,
}

struct Observed {
    /// The endpoint's probe count at the last snapshot observed.
    seen: u64,
    /// `None` until a probe of the endpoint was seen.
    histogram: Option<Histogram>,
}

impl LatencyFeed {
    /// Observes the latencies of the probes `snap` adds; returns how many it observed.
    pub fn observe(&mut self, snap: &FleetSnapshot) -> usize {
        let mut observed = 0;
        for e in &snap.endpoints {
            // Looked up before inserting: the name is copied once per endpoint, not
            // once per snapshot.
            let o = match self.by_endpoint.get_mut(&e.name) {
                Some(o) => o,
                None => self.by_endpoint.entry(e.name.clone()).or_insert(Observed {
                    seen: 0,
                    histogram: None,
                }),
            };
            let new = e.probes.saturating_sub(o.seen) as usize;
            o.seen = e.probes;
            if new == 0 {
                continue;
            }
            let h = &e.latency.history;
            let fresh = &h[h.len().saturating_sub(new)..];
            let hist = o
                .histogram
                .get_or_insert_with(|| Histogram::new(LATENCY_BUCKETS));
            for ms in fresh.iter().flatten() {
                hist.observe(ms / 1000.0);
                observed += 1;
            }
        }
        observed
    }

    fn histogram(&self, endpoint: &str) -> Option<&Histogram> {
        self.by_endpoint.get(endpoint)?.histogram.as_ref()
    }
}

fn endpoint_labels(e: &EndpointSnapshot) -> Labels<'_, 3> {
    [
        ("network", e.network.as_str()),
        ("endpoint", e.name.as_str()),
        ("kind", e.kind.as_str()),
    ]
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

/// Lends a scrape its sources for the length of one encoding: the exporter borrows its
/// live state under its locks, a test lends values it owns.
pub trait Lend: Send + Sync + 'static {
    fn lend(&self, scrape: &mut dyn FnMut(&Sources<'_>) -> fmt::Result) -> fmt::Result;
}

/// The one collector of the exporter's registry: encodes whatever its lender lends.
struct FleetCollector<L>(Arc<L>);

impl<L> fmt::Debug for FleetCollector<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FleetCollector")
    }
}

impl<L: Lend> Collector for FleetCollector<L> {
    fn encode(&self, encoder: DescriptorEncoder) -> fmt::Result {
        let mut encoder = Some(encoder);
        self.0.lend(&mut |s| match encoder.take() {
            Some(enc) => encode(s, enc),
            None => Ok(()),
        })
    }
}

/// The exporter's registry: built once, it encodes `lender`'s sources on every scrape.
pub fn registry<L: Lend>(lender: Arc<L>) -> Registry {
    let mut r = Registry::with_prefix("btsops");
    r.register_collector(Box::new(FleetCollector(lender)));
    r
}

/// Every metric family of one scrape, in a fixed order.
fn encode(s: &Sources<'_>, mut enc: DescriptorEncoder) -> fmt::Result {
    endpoint_metrics(&mut enc, s)?;
    network_metrics(&mut enc, s.snap)?;
    lb_metrics(&mut enc, s.lbs)?;
    if let Some(f) = s.faucet {
        faucet_metrics(&mut enc, f)?;
    }
    Ok(())
}

/// A family's `# HELP` and `# TYPE` lines. The help ends with a period, as a registered
/// metric's does (`Registry::register` adds it), so the text reads the same either way.
fn describe<'e>(
    enc: &'e mut DescriptorEncoder<'_>,
    name: &'e str,
    help: &str,
    ty: MetricType,
) -> Result<MetricEncoder<'e>, fmt::Error> {
    enc.encode_descriptor(name, &format!("{help}."), None, ty)
}

fn gauge(m: &mut MetricEncoder<'_>, labels: &impl EncodeLabelSet, v: f64) -> fmt::Result {
    ConstGauge::new(v).encode(m.encode_family(labels)?)
}

fn counter(m: &mut MetricEncoder<'_>, labels: &impl EncodeLabelSet, v: u64) -> fmt::Result {
    ConstCounter::new(v).encode(m.encode_family(labels)?)
}

fn one_if(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// A gauge family with one series per endpoint that has a value.
fn per_endpoint(
    enc: &mut DescriptorEncoder<'_>,
    snap: &FleetSnapshot,
    name: &str,
    help: &str,
    value: impl Fn(&EndpointSnapshot) -> Option<f64>,
) -> fmt::Result {
    let mut m = describe(enc, name, help, MetricType::Gauge)?;
    for e in &snap.endpoints {
        if let Some(v) = value(e) {
            gauge(&mut m, &endpoint_labels(e), v)?;
        }
    }
    Ok(())
}

fn endpoint_metrics(enc: &mut DescriptorEncoder<'_>, s: &Sources<'_>) -> fmt::Result {
    let snap = s.snap;
    {
        let mut m = describe(
            enc,
            "endpoint_status",
            "1 for the endpoint's current status (down, crit, warn, ok, unknown), 0 for the others",
            MetricType::Gauge,
        )?;
        for e in &snap.endpoints {
            let [n, ep, k] = endpoint_labels(e);
            for st in Status::ALL {
                gauge(
                    &mut m,
                    &[n, ep, k, ("status", st.as_str())],
                    one_if(e.status == st),
                )?;
            }
        }
    }
    per_endpoint(
        enc,
        snap,
        "endpoint_chain_mismatch",
        "1 when the endpoint answered another chain id than its network's",
        |e| Some(one_if(e.chain_mismatch)),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_head_block",
        "Head block number the endpoint reported",
        |e| e.head_num.map(f64::from),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_lag_blocks",
        "Blocks behind the best node of the same network",
        |e| e.lag_blocks.map(|v| v as f64),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_lag_seconds",
        "Age of the endpoint's head block against this host's clock",
        |e| e.lag_s,
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_lib_lag_blocks",
        "Head block minus last irreversible block",
        |e| e.lib_lag.map(|v| v as f64),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_participation_ratio",
        "Witness participation (recent slots filled), 0 to 1",
        |e| e.participation_pct.map(|p| p / 100.0),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_availability_ratio",
        "Share of successful probes over the monitor window, 0 to 1",
        |e| e.availability_pct.map(|p| p / 100.0),
    )?;
    per_endpoint(
        enc,
        snap,
        "endpoint_cert_days_left",
        "Days until the endpoint's TLS certificate expires",
        |e| e.cert_days,
    )?;
    {
        let mut m = describe(
            enc,
            "endpoint_version_info",
            "Software version bracket inferred from the node's features (empty label: unknown)",
            MetricType::Gauge,
        )?;
        for e in snap
            .endpoints
            .iter()
            .filter(|e| e.kind != EndpointKind::Seed)
        {
            let [n, ep, k] = endpoint_labels(e);
            let at_least = ("at_least", e.version.at_least.as_deref().unwrap_or(""));
            let below = ("below", e.version.below.as_deref().unwrap_or(""));
            gauge(&mut m, &[n, ep, k, at_least, below], 1.0)?;
        }
    }
    {
        let mut m = describe(
            enc,
            "endpoint_probes",
            "Probe rounds completed (success or failure) since the exporter started",
            MetricType::Counter,
        )?;
        for e in &snap.endpoints {
            counter(&mut m, &endpoint_labels(e), e.probes)?;
        }
    }
    let mut m = describe(
        enc,
        "endpoint_latency_seconds",
        "Probe round-trip latency of successful probes",
        MetricType::Histogram,
    )?;
    for e in &snap.endpoints {
        if let Some(h) = s.latency.histogram(&e.name) {
            h.encode(m.encode_family(&endpoint_labels(e))?)?;
        }
    }
    Ok(())
}

fn network_metrics(enc: &mut DescriptorEncoder<'_>, snap: &FleetSnapshot) -> fmt::Result {
    {
        let mut m = describe(
            enc,
            "network_best_head_block",
            "Highest believable head among the network's nodes on the right chain",
            MetricType::Gauge,
        )?;
        for n in &snap.networks {
            if let Some(b) = n.best_head {
                gauge(&mut m, &[("network", n.name.as_str())], f64::from(b))?;
            }
        }
    }
    {
        let mut m = describe(
            enc,
            "network_endpoints",
            "Endpoints of the network in each status",
            MetricType::Gauge,
        )?;
        for n in &snap.networks {
            let c = n.counts;
            for (st, v) in [
                (Status::Down, c.down),
                (Status::Crit, c.crit),
                (Status::Warn, c.warn),
                (Status::Ok, c.ok),
                (Status::Unknown, c.unknown),
            ] {
                let labels = [("network", n.name.as_str()), ("status", st.as_str())];
                gauge(&mut m, &labels, f64::from(v))?;
            }
        }
    }
    for (name, help, v) in [
        (
            "host_clock_offset_seconds",
            "Seconds this host's clock is ahead of the chain (NaN when no node gave a usable head)",
            snap.clock.offset_s.unwrap_or(f64::NAN),
        ),
        (
            "host_clock_samples",
            "Node heads the clock offset estimate rests on",
            f64::from(snap.clock.samples),
        ),
        (
            "snapshot_timestamp_seconds",
            "Unix time the fleet snapshot shown was built",
            snap.time,
        ),
    ] {
        ConstGauge::new(v).encode(describe(enc, name, help, MetricType::Gauge)?)?;
    }
    Ok(())
}

/// The servers of every load balancer read successfully, with the balancer's name.
fn lb_servers(lbs: &[LbReading]) -> impl Iterator<Item = (&str, &Server)> {
    lbs.iter().flat_map(|lb| {
        let servers = match &lb.last {
            Some(Ok(snap)) => snap.servers.as_slice(),
            _ => &[],
        };
        servers.iter().map(move |s| (lb.name.as_str(), s))
    })
}

fn server_labels<'a>(lb: &'a str, s: &'a Server) -> Labels<'a, 3> {
    [
        ("lb", lb),
        ("backend", s.backend.as_str()),
        ("server", s.name.as_str()),
    ]
}

/// A gauge family with one series per load-balancer server that has a value.
fn per_server(
    enc: &mut DescriptorEncoder<'_>,
    lbs: &[LbReading],
    name: &str,
    help: &str,
    value: impl Fn(&Server) -> Option<f64>,
) -> fmt::Result {
    let mut m = describe(enc, name, help, MetricType::Gauge)?;
    for (lb, s) in lb_servers(lbs) {
        if let Some(v) = value(s) {
            gauge(&mut m, &server_labels(lb, s), v)?;
        }
    }
    Ok(())
}

fn lb_metrics(enc: &mut DescriptorEncoder<'_>, lbs: &[LbReading]) -> fmt::Result {
    {
        let mut m = describe(
            enc,
            "lb_up",
            "1 when the last read of the load balancer's runtime API succeeded",
            MetricType::Gauge,
        )?;
        for lb in lbs {
            let labels = [("lb", lb.name.as_str()), ("network", lb.network.as_str())];
            gauge(&mut m, &labels, one_if(matches!(lb.last, Some(Ok(_)))))?;
        }
    }
    // The API backend of each balancer read successfully, and its servers.
    let backends = || {
        lbs.iter().filter_map(|lb| match &lb.last {
            Some(Ok(snap)) => Some((lb, snap.backend_servers(&lb.backend))),
            _ => None,
        })
    };
    for (name, help, healthy_only) in [
        (
            "lb_backend_healthy_servers",
            "Servers of the API backend taking new traffic (ready, weight above 0)",
            true,
        ),
        ("lb_backend_servers", "Servers of the API backend", false),
    ] {
        let mut m = describe(enc, name, help, MetricType::Gauge)?;
        for (lb, servers) in backends() {
            let n = servers
                .filter(|s| !healthy_only || s.takes_new_traffic())
                .count();
            let labels = [("lb", lb.name.as_str()), ("backend", lb.backend.as_str())];
            gauge(&mut m, &labels, n as f64)?;
        }
    }
    {
        let mut m = describe(
            enc,
            "lb_server_mode",
            "1 for the server's current mode, 0 for the others",
            MetricType::Gauge,
        )?;
        for (lb, s) in lb_servers(lbs) {
            let [l, b, sv] = server_labels(lb, s);
            for mode in MODES {
                let labels = [l, b, sv, ("mode", mode_label(mode))];
                gauge(&mut m, &labels, one_if(s.mode == mode))?;
            }
        }
    }
    per_server(
        enc,
        lbs,
        "lb_server_weight",
        "The server's current weight",
        |s| Some(f64::from(s.state.uweight)),
    )?;
    per_server(
        enc,
        lbs,
        "lb_server_sessions",
        "Current sessions (scur)",
        |s| s.scur.map(|v| v as f64),
    )?;
    per_server(
        enc,
        lbs,
        "lb_server_check_passed",
        "1 when the server's last health check passed",
        |s| Some(one_if(s.checked)),
    )?;
    let mut m = describe(
        enc,
        "lb_server_sessions_started",
        "Sessions since HAProxy started (stot)",
        MetricType::Counter,
    )?;
    for (lb, s) in lb_servers(lbs) {
        if let Some(v) = s.stot {
            counter(&mut m, &server_labels(lb, s), v)?;
        }
    }
    Ok(())
}

/// A gauge family of at most one series.
fn single(
    enc: &mut DescriptorEncoder<'_>,
    labels: &impl EncodeLabelSet,
    name: &str,
    help: &str,
    v: Option<f64>,
) -> fmt::Result {
    let mut m = describe(enc, name, help, MetricType::Gauge)?;
    match v {
        Some(v) => gauge(&mut m, labels, v),
        None => Ok(()),
    }
}

fn faucet_metrics(enc: &mut DescriptorEncoder<'_>, f: &FaucetReading) -> fmt::Result {
    let l = [
        ("network", f.network.as_str()),
        ("registrar", f.registrar.as_str()),
    ];
    single(
        enc,
        &l,
        "faucet_up",
        "1 when the last read of the registrar's history succeeded",
        Some(one_if(matches!(f.last, Some(Ok(_))))),
    )?;
    single(
        enc,
        &l,
        "faucet_reachable",
        "1 when the faucet's HTTP endpoint answered on the last read",
        Some(one_if(f.reachable)),
    )?;
    single(
        enc,
        &l,
        "faucet_read_timestamp_seconds",
        "Unix time of the last successful read",
        f.read_at,
    )?;
    let Some(Ok(k)) = &f.last else { return Ok(()) };
    {
        let mut m = describe(
            enc,
            "faucet_registrations",
            "Accounts registered in the window (today, 7d, 30d, since_start; UTC days)",
            MetricType::Gauge,
        )?;
        for (window, v) in [
            ("today", k.today),
            ("7d", k.last_7_days),
            ("30d", k.last_30_days),
            ("since_start", k.since_start),
        ] {
            gauge(&mut m, &[l[0], l[1], ("window", window)], v as f64)?;
        }
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
            one_if(k.pace.on_track),
        ),
    ];
    for (name, help, v) in gauges {
        single(enc, &l, name, help, Some(v))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::EndpointSnapshot;

    /// Sources owned by value, lent to one rendering.
    struct Owned {
        snap: FleetSnapshot,
        latency: LatencyFeed,
        lbs: Vec<LbReading>,
        faucet: Option<FaucetReading>,
    }

    impl Lend for Owned {
        fn lend(&self, scrape: &mut dyn FnMut(&Sources<'_>) -> fmt::Result) -> fmt::Result {
            scrape(&Sources {
                snap: &self.snap,
                latency: &self.latency,
                lbs: &self.lbs,
                faucet: self.faucet.as_ref(),
            })
        }
    }

    /// The exposition text of owned sources.
    fn render(sources: Owned) -> String {
        crate::exposition::encode(&registry(Arc::new(sources)))
    }

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
        let t = render(Owned {
            snap: snap(5, &[]),
            latency: feed,
            lbs: vec![],
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
        let t = render(Owned {
            snap: snap(1, &[]),
            latency: LatencyFeed::default(),
            lbs: vec![],
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
    fn series_follow_the_snapshot_order_in_every_scrape() {
        let mut s = snap(1, &[Some(3.0)]);
        let mut second = s.endpoints[0].clone();
        second.name = "a-first-by-name".into();
        s.endpoints.insert(0, second);
        let mut feed = LatencyFeed::default();
        feed.observe(&s);
        let owned = Arc::new(Owned {
            snap: s,
            latency: feed,
            lbs: vec![],
            faucet: None,
        });
        let r = registry(owned);
        let t = crate::exposition::encode(&r);
        for family in [
            "btsops_endpoint_status{",
            "btsops_endpoint_latency_seconds_count{",
        ] {
            let order: Vec<&str> = t
                .lines()
                .filter(|l| l.starts_with(family))
                .filter_map(|l| l.split("endpoint=\"").nth(1)?.split('"').next())
                .collect();
            assert_eq!(order.first(), Some(&"a-first-by-name"), "{family}: {t}");
            assert_eq!(order.last(), Some(&"n1"), "{family}: {t}");
        }
        assert_eq!(
            crate::exposition::encode(&r),
            t,
            "a second scrape reads the same"
        );
    }

    #[test]
    fn an_unreadable_lb_is_down_and_has_no_server_series() {
        let lbs = vec![LbReading {
            name: "lb-eu".into(),
            network: "main".into(),
            backend: "be".into(),
            last: Some(Err("connection refused".into())),
        }];
        let t = render(Owned {
            snap: snap(1, &[]),
            latency: LatencyFeed::default(),
            lbs,
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
