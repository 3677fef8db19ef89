//! Pure aggregation: best head per network, lag, fork suspicion, the host clock
//! estimate, and status rules from the configured thresholds. Time is an argument.
//!
//! One node must not be able to skew the network's view: a head number further ahead of
//! the median than the chain could have grown is not believed ([`head_limit`]), the
//! clock estimate needs several nodes that agree ([`estimate_clock`]) and is subtracted
//! only within a bound, and a head time in the future is flagged, never read as fresh.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};

use crate::config::Thresholds;

use super::model::{
    ClockEstimate, ConnState, EndpointKind, EndpointSnapshot, Event, FleetSnapshot, NetworkSummary,
    Status, StatusCounts, VersionShare,
};
use super::seed_rules::{BestHead, apply_lag, level_flag};

/// Recent (height, block id) pairs an endpoint served; compared across nodes for forks.
pub const RECENT_IDS: usize = 16;
/// Fresh-head clock samples kept per endpoint.
pub const CLOCK_SAMPLES: usize = 16;
/// Clock samples older than this (seconds) are ignored: a network that stopped producing
/// must not look like a drifting host clock.
pub const CLOCK_HORIZON_S: f64 = 120.0;
/// Nodes whose clock samples must agree before this host's clock offset is estimated
/// at all: with fewer, one node with a bad clock (or a 1970 head) would be the estimate
/// and shift every lag.
pub const CLOCK_MIN_NODES: usize = 3;
/// Node samples within this many seconds of their median agree: heads reach healthy
/// nodes within a fraction of a second of each other.
pub const CLOCK_AGREE_S: f64 = 2.0;
/// An estimated offset larger than this is reported (and warned about) but never
/// subtracted from lags: no drifting host clock is that far off, and subtracting it
/// would let nodes serving ancient heads look fresh.
pub const CLOCK_MAX_CORRECTION_S: f64 = 300.0;
/// A head time this far in the future beyond `clock_warn_s` is flagged: the host clock
/// may be behind by up to `clock_warn_s` without a warning, and chain times are whole
/// seconds.
pub const FUTURE_SLACK_S: f64 = 1.0;
/// Blocks a head may be ahead of the network's median beyond those the chain could
/// have produced since the median head: one block in flight, and one of rounding.
pub const HEAD_SLACK_BLOCKS: u32 = 2;

/// What one probe task knows about its endpoint, handed to the aggregator.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Measured fields; the aggregate fields (lag, fork, status) are filled in by
    /// [`aggregate`].
    pub snap: EndpointSnapshot,
    /// Heights and [`id_key`]s of the block ids seen recently, oldest first. Keys, not
    /// strings: the observation is copied on every publish, thousands of times a second
    /// in a big fleet.
    pub recent_ids: Vec<(u32, u64)>,
    /// `(observed_at, observed_at − head_time)` for each head first seen, unix seconds.
    pub clock_samples: Vec<(f64, f64)>,
    /// The last `next_maintenance_time` that has passed (unix seconds).
    pub last_maintenance: Option<i64>,
    /// `dynamic_flags & 1`: the head block was a maintenance block.
    pub maintenance_block: bool,
    pub maintenance_skip_slots: u32,
}

impl Observation {
    pub fn new(snap: EndpointSnapshot) -> Observation {
        Observation {
            snap,
            recent_ids: Vec::new(),
            clock_samples: Vec::new(),
            last_maintenance: None,
            maintenance_block: false,
            maintenance_skip_slots: 3,
        }
    }

    /// The last probe succeeded.
    pub fn ok(&self) -> bool {
        self.snap.state == ConnState::Connected && self.snap.probes > 0
    }

    fn is_api(&self) -> bool {
        matches!(self.snap.kind, EndpointKind::Node | EndpointKind::Lb)
    }

    /// Counts towards a network's median head and, unless that head is suspect, its
    /// best head, its agreed block ids and the clock estimate. API nodes only: a load
    /// balancer's public URL proxies one of them, and counting it too would give that
    /// node two votes.
    fn trusted_head(&self) -> Option<u32> {
        if self.snap.kind == EndpointKind::Node && self.ok() && !self.snap.chain_mismatch {
            self.snap.head_num
        } else {
            None
        }
    }
}

/// What the rules need to know about a network.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRules {
    pub name: String,
    pub chain_id: String,
    pub thresholds: Thresholds,
}

/// Fleet-wide rule settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub networks: Vec<NetworkRules>,
    pub clock_warn_s: f64,
    /// Endpoint name → its config `region`, copied into the snapshot.
    pub regions: HashMap<String, String>,
}

/// The host clock offset from the per-node minimum offsets, or `None` unless at least
/// [`CLOCK_MIN_NODES`] of them, and more than half, lie within [`CLOCK_AGREE_S`] of their
/// median; then the median of those that agree. The minimum over fresh heads
/// approximates the moment a block appeared (propagation only adds delay); the median
/// and the agreement ignore a node with a bad network path or a bad clock.
pub fn estimate_clock(per_node_min: &[f64]) -> Option<f64> {
    let v: Vec<f64> = per_node_min
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let m = median(&v)?;
    let agree: Vec<f64> = v
        .iter()
        .copied()
        .filter(|x| (x - m).abs() <= CLOCK_AGREE_S)
        .collect();
    if agree.len() < CLOCK_MIN_NODES || agree.len() * 2 <= v.len() {
        return None;
    }
    median(&agree)
}

/// Median of finite values (the mean of the middle two for an even count).
fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The highest head number believable in a network whose trusted nodes report `heads`
/// (head number, head time in unix seconds): the median head, plus the blocks the chain
/// can have produced since the median head time at one per `interval_s`, plus
/// [`HEAD_SLACK_BLOCKS`] and the blocks of `clock_warn_s` (this host's clock may be that
/// far behind unnoticed). The lower median head and the upper median time, so a
/// minority reporting huge heads or ancient times moves neither; `None` without heads.
pub fn head_limit(
    now: f64,
    heads: &[(u32, Option<i64>)],
    interval_s: u32,
    clock_warn_s: f64,
) -> Option<u32> {
    let mut nums: Vec<u32> = heads.iter().map(|(h, _)| *h).collect();
    nums.sort_unstable();
    let median_head = *nums.get(nums.len().checked_sub(1)? / 2)?;
    let mut times: Vec<i64> = heads.iter().filter_map(|(_, t)| *t).collect();
    times.sort_unstable();
    let interval = f64::from(interval_s.max(1));
    let since = times
        .get(times.len() / 2)
        .map_or(0.0, |t| (now - *t as f64).max(0.0));
    let allowance = f64::from(HEAD_SLACK_BLOCKS)
        + (clock_warn_s.max(0.0) / interval).ceil()
        + (since / interval).floor();
    // Saturates at u32::MAX: a network idle for centuries believes any head.
    Some((f64::from(median_head) + allowance).min(f64::from(u32::MAX)) as u32)
}

/// One node's clock sample: the smallest offset among samples newer than the horizon.
pub fn node_clock_min(samples: &[(f64, f64)], now: f64) -> Option<f64> {
    samples
        .iter()
        .filter(|(at, _)| now - at <= CLOCK_HORIZON_S)
        .map(|(_, off)| *off)
        .min_by(f64::total_cmp)
}

/// Whether the endpoint is in the tolerance window around a maintenance block, when
/// the chain skips `maintenance_skip_slots` slots (PROTOCOL.md §8).
pub fn in_maintenance(o: &Observation, now: f64) -> bool {
    let interval = f64::from(o.snap.block_interval_s.unwrap_or(3).max(1));
    let window = (2.0 + f64::from(o.maintenance_skip_slots)) * interval;
    o.maintenance_block
        || o.last_maintenance
            .is_some_and(|t| now >= t as f64 && now - (t as f64) <= window)
}

/// What the lag rules know about this host's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagClock {
    /// Subtracted from every wall-clock lag: the host clock offset when it is known to
    /// be off (and believable), so a drifted console host does not page everyone.
    pub correction_s: f64,
    /// A head time further than this in the future (after the correction) is flagged.
    pub future_tolerance_s: f64,
}

impl LagClock {
    /// No correction, and the tolerance that goes with `clock_warn_s`.
    pub fn exact(clock_warn_s: f64) -> LagClock {
        LagClock {
            correction_s: 0.0,
            future_tolerance_s: clock_warn_s.max(0.0) + FUTURE_SLACK_S,
        }
    }
}

/// Status and reasons of one endpoint whose aggregate fields are filled in.
pub fn evaluate(e: &EndpointSnapshot, th: &Thresholds, clock: LagClock) -> (Status, Vec<String>) {
    if e.probes == 0 {
        // A first probe under way (a slow connect, TLS, login) is not "not probed".
        let why = if e.state == ConnState::Connecting {
            "connecting…"
        } else {
            "not probed yet"
        };
        return (Status::Unknown, vec![why.into()]);
    }
    // A certificate that does not cover the host is refused, so the endpoint does not
    // connect; but it answered, and every client of it fails the same way: crit, with
    // the names it does cover, rather than a bare "down".
    if let Some(why) = &e.cert_mismatch {
        let refused = e.last_error.iter().map(|le| le.message.clone());
        return (
            Status::Crit,
            std::iter::once(why.clone()).chain(refused).collect(),
        );
    }
    if e.state != ConnState::Connected {
        let why = e
            .last_error
            .as_ref()
            .map(|le| le.message.clone())
            .unwrap_or_else(|| "no answer".into());
        return (Status::Down, vec![why]);
    }
    let mut status = Status::Ok;
    let mut flagged: Vec<(Status, String)> = Vec::new();
    let mut flag = |s: Status, why: String| {
        status = status.worst(s);
        flagged.push((s, why));
    };
    if e.chain_mismatch {
        flag(
            Status::Crit,
            format!(
                "chain id {} is not the network's",
                e.chain_id.as_deref().map(short).unwrap_or("?")
            ),
        );
    }
    if let Some((s, why)) = level_flag(e) {
        flag(s, why);
    }
    if e.fork_suspect {
        flag(
            Status::Crit,
            "fork suspected: a recent block differs from the one the network agrees on".into(),
        );
    }
    if e.head_suspect {
        flag(
            Status::Crit,
            format!(
                "head {} is further ahead of the network's median than the chain can have \
                 grown: not believed",
                e.head_num.map_or_else(|| "?".into(), |h| h.to_string())
            ),
        );
    }
    if let Some(lag) = e.lag_s.map(|l| l - clock.correction_s) {
        let interval = f64::from(e.block_interval_s.unwrap_or(3));
        let warn = if e.in_maintenance {
            th.lag_warn_s + 4.0 * interval
        } else {
            th.lag_warn_s
        };
        if lag < -clock.future_tolerance_s {
            flag(
                Status::Crit,
                format!(
                    "head time {} s in the future (tolerance {} s)",
                    beyond(-lag, clock.future_tolerance_s, Side::Above, 0),
                    clock.future_tolerance_s
                ),
            );
        } else if lag > th.lag_crit_s {
            flag(
                Status::Crit,
                format!(
                    "head {} s old (crit > {} s)",
                    beyond(lag, th.lag_crit_s, Side::Above, 0),
                    th.lag_crit_s
                ),
            );
        } else if lag > warn {
            flag(
                Status::Warn,
                format!(
                    "head {} s old (warn > {warn} s)",
                    beyond(lag, warn, Side::Above, 0)
                ),
            );
        }
    }
    if let Some(b) = e.lag_blocks {
        if b >= th.lag_crit_blocks {
            flag(
                Status::Crit,
                format!("{b} blocks behind best (crit ≥ {})", th.lag_crit_blocks),
            );
        } else if b >= th.lag_warn_blocks {
            flag(
                Status::Warn,
                format!("{b} blocks behind best (warn ≥ {})", th.lag_warn_blocks),
            );
        }
    }
    if let Some(p99) = e.latency.p99_ms {
        if p99 > th.latency_crit_ms {
            flag(
                Status::Crit,
                format!(
                    "latency p99 {} ms (crit > {} ms)",
                    beyond(p99, th.latency_crit_ms, Side::Above, 0),
                    th.latency_crit_ms
                ),
            );
        } else if p99 > th.latency_warn_ms {
            flag(
                Status::Warn,
                format!(
                    "latency p99 {} ms (warn > {} ms)",
                    beyond(p99, th.latency_warn_ms, Side::Above, 0),
                    th.latency_warn_ms
                ),
            );
        }
    }
    if let Some(a) = e.availability_pct {
        if a < th.availability_crit_pct {
            flag(
                Status::Crit,
                format!(
                    "availability {}% (crit < {}%)",
                    beyond(a, th.availability_crit_pct, Side::Below, 1),
                    th.availability_crit_pct
                ),
            );
        } else if a < th.availability_warn_pct {
            flag(
                Status::Warn,
                format!(
                    "availability {}% (warn < {}%)",
                    beyond(a, th.availability_warn_pct, Side::Below, 1),
                    th.availability_warn_pct
                ),
            );
        }
    }
    if let Some(p) = e.participation_pct {
        if p < th.participation_crit_pct {
            flag(
                Status::Crit,
                format!(
                    "participation {}% (crit < {}%)",
                    beyond(p, th.participation_crit_pct, Side::Below, 0),
                    th.participation_crit_pct
                ),
            );
        } else if p < th.participation_warn_pct {
            flag(
                Status::Warn,
                format!(
                    "participation {}% (warn < {}%)",
                    beyond(p, th.participation_warn_pct, Side::Below, 0),
                    th.participation_warn_pct
                ),
            );
        }
    }
    if let (Some(lag), Some(w)) = (e.lib_lag, e.active_witnesses) {
        let limit = 2 * u64::from(w.max(1));
        if lag > limit {
            flag(
                Status::Warn,
                format!("LIB {lag} blocks behind head (warn > {limit})"),
            );
        }
    }
    if let Some(d) = e.cert_days {
        if d < th.cert_crit_days as f64 {
            flag(
                Status::Crit,
                format!(
                    "certificate expires in {} days (crit < {})",
                    beyond(d, th.cert_crit_days as f64, Side::Below, 1),
                    th.cert_crit_days
                ),
            );
        } else if d < th.cert_warn_days as f64 {
            flag(
                Status::Warn,
                format!(
                    "certificate expires in {} days (warn < {})",
                    beyond(d, th.cert_warn_days as f64, Side::Below, 1),
                    th.cert_warn_days
                ),
            );
        }
    }
    // The reasons that set the status come first: a crit row whose "why" column or
    // alert text led with a warn reason hid what made it crit once cut to width.
    // (`Status` orders worst first.)
    flagged.sort_by_key(|(s, _)| *s);
    (status, flagged.into_iter().map(|(_, why)| why).collect())
}

/// Which side of its threshold a flagged value lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Above,
    Below,
}

/// Most decimals a reason shows to tell a value from its threshold.
const MAX_DECIMALS: usize = 3;

/// `value` for a reason that says it is beyond `limit`: with `decimals`, or as many
/// more (up to [`MAX_DECIMALS`]) as it takes for the number shown to lie on the same
/// side as the value, so `head 4.4 s old (warn > 4 s)` never reads `head 4 s old`.
/// A value closer than that is rounded away from the limit at the last decimal.
pub fn beyond(value: f64, limit: f64, side: Side, decimals: usize) -> String {
    let agrees = |shown: f64| match side {
        Side::Above => shown > limit,
        Side::Below => shown < limit,
    };
    for d in decimals..=MAX_DECIMALS.max(decimals) {
        let text = format!("{value:.d$}");
        if text.parse::<f64>().is_ok_and(agrees) {
            return text;
        }
    }
    let d = MAX_DECIMALS.max(decimals);
    let scale = 10f64.powi(d as i32);
    let away = match side {
        Side::Above => (value * scale).ceil() / scale,
        Side::Below => (value * scale).floor() / scale,
    };
    format!("{away:.d$}")
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Builds the fleet snapshot (without alerts and sequence number) from the endpoints'
/// observations, in the order given.
pub fn aggregate<O: Borrow<Observation>>(now: f64, obs: &[O], rules: &Rules) -> FleetSnapshot {
    let obs: Vec<&Observation> = obs.iter().map(Borrow::borrow).collect();
    // Heads beyond what the chain can have produced since the median head are not
    // believed: such a node neither votes on block ids nor counts as best, so one
    // hostile node cannot put every honest one behind.
    let limits = head_limits(now, &obs, rules.clock_warn_s);
    let suspect: Vec<bool> = obs
        .iter()
        .map(|o| {
            o.is_api()
                && o.ok()
                && !o.snap.chain_mismatch
                && o.snap
                    .head_num
                    .zip(limits.get(o.snap.network.as_str()))
                    .is_some_and(|(h, limit)| h > *limit)
        })
        .collect();
    let votes: Vec<Option<u32>> = obs
        .iter()
        .zip(&suspect)
        .map(|(o, s)| o.trusted_head().filter(|_| !s))
        .collect();
    let agreed = consensus(&obs, &votes);
    let forked: Vec<bool> = obs
        .iter()
        .map(|o| o.is_api() && !o.snap.chain_mismatch && disagrees(o, &agreed))
        .collect();
    // Best head per network among voting nodes that agree with their network; if none
    // does, among all voting nodes. A node ahead on a minority fork is not "best".
    // Among nodes at the best height, the freshest head time not in the future wins
    // (then the first in config order): a node lying about its head time is not named.
    let future_limit = now + LagClock::exact(rules.clock_warn_s).future_tolerance_s;
    let time_rank = |o: &Observation| match o.snap.head_time {
        Some(t) if (t as f64) <= future_limit => t,
        _ => i64::MIN,
    };
    let mut best: HashMap<&str, (u32, usize)> = HashMap::new();
    for pass_forked in [false, true] {
        for (i, o) in obs.iter().enumerate() {
            let Some(h) = votes[i] else { continue };
            if forked[i] != pass_forked {
                continue;
            }
            let net = o.snap.network.as_str();
            if pass_forked && best.get(net).is_some_and(|(_, bi)| !forked[*bi]) {
                continue;
            }
            let e = best.entry(net).or_insert((h, i));
            if (h, time_rank(o)) > (e.0, time_rank(obs[e.1])) {
                *e = (h, i);
            }
        }
    }

    // Clock from voting nodes at (or one block from) their network's best head: a node
    // stuck behind would look like a host clock running ahead.
    let mins: Vec<f64> = obs
        .iter()
        .zip(&votes)
        .filter(|(o, v)| {
            v.is_some_and(|h| {
                best.get(o.snap.network.as_str())
                    .is_some_and(|(bh, _)| h + 1 >= *bh)
            })
        })
        .filter_map(|(o, _)| node_clock_min(&o.clock_samples, now))
        .collect();
    let offset = estimate_clock(&mins);
    let clock_warn = offset.is_some_and(|o| o.abs() > rules.clock_warn_s);
    let clock = ClockEstimate {
        offset_s: offset.map(|o| (o * 1000.0).round() / 1000.0),
        samples: mins.len() as u32,
        warn: clock_warn,
    };
    // The lag rules discount a known host clock offset, within a bound.
    let mut lag_clock = LagClock::exact(rules.clock_warn_s);
    if let Some(o) = offset.filter(|o| clock_warn && o.abs() <= CLOCK_MAX_CORRECTION_S) {
        lag_clock.correction_s = o;
    }

    let default_th = Thresholds::default();
    let mut endpoints = Vec::with_capacity(obs.len());
    for (i, o) in obs.iter().enumerate() {
        let mut e = o.snap.clone();
        let th = rules
            .networks
            .iter()
            .find(|n| n.name == e.network)
            .map(|n| &n.thresholds)
            .unwrap_or(&default_th);
        e.lag_s = e
            .head_time
            .map(|t| ((now - t as f64) * 1000.0).round() / 1000.0);
        e.in_maintenance = in_maintenance(o, now);
        e.region = rules.regions.get(&e.name).cloned();
        e.lag_blocks = None;
        e.fork_suspect = forked[i];
        e.head_suspect = suspect[i];
        if o.is_api() && !e.chain_mismatch && !e.head_suspect {
            if let (Some(h), Some((bh, _))) = (e.head_num, best.get(e.network.as_str())) {
                e.lag_blocks = Some(u64::from(bh.saturating_sub(h)));
            }
        }
        if e.kind == EndpointKind::Seed {
            let b = best.get(e.network.as_str()).map(|&(num, bi)| BestHead {
                num,
                time: obs[bi].snap.head_time,
                interval_s: obs[bi].snap.block_interval_s.unwrap_or(3),
            });
            apply_lag(&mut e, b);
        }
        let (status, reasons) = evaluate(&e, th, lag_clock);
        e.status = status;
        e.reasons = reasons;
        endpoints.push(e);
    }

    let mut snap = FleetSnapshot {
        time: now,
        seq: 0,
        endpoints,
        networks: rules
            .networks
            .iter()
            .map(|n| {
                let b = best.get(n.name.as_str());
                NetworkSummary {
                    name: n.name.clone(),
                    chain_id: n.chain_id.clone(),
                    best_head: b.map(|(h, _)| *h),
                    best_node: b.map(|(_, i)| obs[*i].snap.name.clone()),
                    counts: StatusCounts::default(),
                    status: Status::Unknown,
                    versions: Vec::new(),
                }
            })
            .collect(),
        clock,
        alerts: Vec::new(),
    };
    recount_networks(&mut snap);
    snap
}

/// Each network's head limit ([`head_limit`]) from its trusted nodes.
fn head_limits<'a>(now: f64, obs: &[&'a Observation], clock_warn_s: f64) -> HashMap<&'a str, u32> {
    type Heads = (Vec<(u32, Option<i64>)>, Vec<u32>);
    let mut per_net: HashMap<&str, Heads> = HashMap::new();
    for o in obs {
        if let Some(h) = o.trusted_head() {
            let (heads, intervals) = per_net.entry(o.snap.network.as_str()).or_default();
            heads.push((h, o.snap.head_time));
            intervals.push(o.snap.block_interval_s.unwrap_or(3));
        }
    }
    per_net
        .into_iter()
        .filter_map(|(net, (heads, mut intervals))| {
            // The lower median interval: a shorter one only loosens the limit.
            intervals.sort_unstable();
            let interval = intervals[(intervals.len() - 1) / 2];
            head_limit(now, &heads, interval, clock_warn_s).map(|l| (net, l))
        })
        .collect()
}

/// Recomputes each network's status counts and worst status from its endpoints'
/// statuses (after aggregation, and again after [`super::hysteresis`] holds some).
pub fn recount_networks(snap: &mut FleetSnapshot) {
    for n in &mut snap.networks {
        let mut counts = StatusCounts::default();
        let mut status = Status::Unknown;
        for e in snap.endpoints.iter().filter(|e| e.network == n.name) {
            counts.add(e.status);
            if e.status != Status::Unknown {
                status = if status == Status::Unknown {
                    e.status
                } else {
                    status.worst(e.status)
                };
            }
        }
        n.counts = counts;
        n.status = status;
        n.versions = version_shares(
            snap.endpoints
                .iter()
                .filter(|e| e.network == n.name && e.kind == EndpointKind::Node),
        );
    }
}

/// The known versions of `nodes`, most common first (ties by label, for a stable line).
pub fn version_shares<'a>(nodes: impl Iterator<Item = &'a EndpointSnapshot>) -> Vec<VersionShare> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for e in nodes.filter(|e| e.version.at_least.is_some() || e.version.below.is_some()) {
        *counts.entry(e.version.label()).or_default() += 1;
    }
    let mut shares: Vec<VersionShare> = counts
        .into_iter()
        .map(|(version, nodes)| VersionShare { version, nodes })
        .collect();
    shares.sort_by(|a, b| {
        b.nodes
            .cmp(&a.nodes)
            .then_with(|| a.version.cmp(&b.version))
    });
    shares
}

/// A compact stand-in for a block id (a 64-bit hash): equal ids give equal keys, and two
/// different ids at one height collide with negligible probability.
pub fn id_key(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Where a network's block ids disagree, the id it agrees on at a height: the one most
/// of its trusted nodes hold; on a tie, the one held by the node with the highest head
/// (earliest in config order, so the operator's primary node settles a two-node
/// fleet). Heights where every node holds the same id are left out.
/// `votes` holds each endpoint's head when it votes (trusted and believable), else `None`.
pub fn consensus<'a>(
    obs: &[&'a Observation],
    votes: &[Option<u32>],
) -> HashMap<(&'a str, u32), u64> {
    // Per (network, height): (id, holders, best holder's rank), where a lower rank is a
    // higher head, then an earlier endpoint.
    type Tally = Vec<(u64, u32, (std::cmp::Reverse<u32>, usize))>;
    let mut tally: HashMap<(&str, u32), Tally> = HashMap::new();
    for (i, (o, vote)) in obs.iter().zip(votes).enumerate() {
        let Some(head) = *vote else {
            continue;
        };
        let rank = (std::cmp::Reverse(head), i);
        for &(h, id) in &o.recent_ids {
            let ids = tally.entry((o.snap.network.as_str(), h)).or_default();
            match ids.iter_mut().find(|t| t.0 == id) {
                Some(t) => {
                    t.1 += 1;
                    t.2 = t.2.min(rank);
                }
                None => ids.push((id, 1, rank)),
            }
        }
    }
    tally
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .filter_map(|(k, ids)| {
            ids.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
                .map(|t| (k, t.0))
        })
        .collect()
}

/// The endpoint served, at some recent height, a block other than the one its network
/// agrees on.
fn disagrees(o: &Observation, agreed: &HashMap<(&str, u32), u64>) -> bool {
    let net = o.snap.network.as_str();
    o.recent_ids
        .iter()
        .any(|(h, id)| agreed.get(&(net, *h)).is_some_and(|a| a != id))
}

/// Status-change events between two snapshots, by endpoint name.
pub fn status_events(prev: &FleetSnapshot, next: &FleetSnapshot) -> Vec<Event> {
    let before: HashMap<&str, Status> = prev
        .endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.status))
        .collect();
    next.endpoints
        .iter()
        .filter_map(|e| {
            let from = before
                .get(e.name.as_str())
                .copied()
                .unwrap_or(Status::Unknown);
            (from != e.status).then(|| Event {
                time: next.time,
                endpoint: e.name.clone(),
                network: e.network.clone(),
                from,
                to: e.status,
                reason: if e.reasons.is_empty() {
                    if from == Status::Unknown {
                        "first probe ok".into()
                    } else {
                        "recovered: every check passes".into()
                    }
                } else {
                    e.reasons.join("; ")
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::model::LastError;

    const CHAIN: &str = "aa";

    #[test]
    fn numbers_in_reasons_agree_with_their_thresholds() {
        // 4.4 s against a 4 s threshold: one decimal tells them apart.
        assert_eq!(beyond(4.4, 4.0, Side::Above, 0), "4.4");
        assert_eq!(beyond(10.0, 6.0, Side::Above, 0), "10");
        assert_eq!(beyond(4.0001, 4.0, Side::Above, 0), "4.001");
        assert_eq!(beyond(99.86, 99.9, Side::Below, 1), "99.86");
        assert_eq!(beyond(29.9999, 30.0, Side::Below, 1), "29.999");
        assert_eq!(beyond(97.0, 99.0, Side::Below, 1), "97.0");
        // Through the rules: the number shown is above the threshold it names.
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "net", "n", "ws://x");
        e.state = ConnState::Connected;
        e.probes = 3;
        e.lag_s = Some(6.3);
        e.latency.p99_ms = Some(1000.4);
        let th = Thresholds {
            latency_crit_ms: 1000.0,
            ..Thresholds::default()
        };
        let (_, reasons) = evaluate(&e, &th, LagClock::exact(2.0));
        let head = reasons.iter().find(|r| r.starts_with("head ")).unwrap();
        assert_eq!(
            head,
            &format!("head 6.3 s old (warn > {} s)", th.lag_warn_s)
        );
        let p99 = reasons.iter().find(|r| r.starts_with("latency")).unwrap();
        assert_eq!(
            p99,
            &format!("latency p99 1000.4 ms (crit > {} ms)", th.latency_crit_ms)
        );
    }

    fn node(name: &str, head: u32, head_time: i64) -> Observation {
        let mut s = EndpointSnapshot::new(EndpointKind::Node, "net", name, "ws://x");
        s.state = ConnState::Connected;
        s.probes = 3;
        s.chain_id = Some(CHAIN.into());
        s.head_num = Some(head);
        s.head_id = Some(format!("{head:08x}{name}"));
        s.head_time = Some(head_time);
        s.block_interval_s = Some(3);
        let mut o = Observation::new(s);
        o.recent_ids = vec![(head, id_key(&format!("{head:08x}")))];
        o
    }

    fn rules() -> Rules {
        Rules {
            networks: vec![NetworkRules {
                name: "net".into(),
                chain_id: CHAIN.into(),
                thresholds: Thresholds::default(),
            }],
            clock_warn_s: 2.0,
            regions: Default::default(),
        }
    }

    fn status_of(s: &FleetSnapshot, name: &str) -> Status {
        s.endpoint(name).unwrap().status
    }

    #[test]
    fn healthy_fleet_is_ok() {
        let now = 1000.0;
        let obs = vec![node("a", 100, 999), node("b", 100, 999)];
        let s = aggregate(now, &obs, &rules());
        assert_eq!(status_of(&s, "a"), Status::Ok);
        assert_eq!(s.networks[0].best_head, Some(100));
        assert_eq!(s.networks[0].counts.ok, 2);
        assert_eq!(s.endpoint("a").unwrap().lag_s, Some(1.0));
        assert_eq!(s.endpoint("b").unwrap().lag_blocks, Some(0));
    }

    #[test]
    fn lag_thresholds_in_seconds_and_blocks() {
        let now = 1000.0;
        let obs = vec![
            node("best", 100, 999),
            node("slow", 100, 990),  // 10 s old: warn (> 6)
            node("stale", 100, 960), // 40 s: crit (> 30)
            node("behind", 97, 999), // 3 blocks: warn (≥ 2)
            node("far", 80, 999),    // 20 blocks: crit (≥ 10)
        ];
        let s = aggregate(now, &obs, &rules());
        assert_eq!(status_of(&s, "best"), Status::Ok);
        assert_eq!(status_of(&s, "slow"), Status::Warn);
        assert_eq!(status_of(&s, "stale"), Status::Crit);
        assert_eq!(status_of(&s, "behind"), Status::Warn);
        assert_eq!(status_of(&s, "far"), Status::Crit);
        let r = &s.endpoint("far").unwrap().reasons;
        assert!(r.iter().any(|r| r.contains("20 blocks behind")), "{r:?}");
    }

    #[test]
    fn maintenance_window_tolerates_a_short_lag() {
        let now = 1000.0;
        let mut o = node("a", 100, 990); // 10 s old
        assert_eq!(
            status_of(&aggregate(now, std::slice::from_ref(&o), &rules()), "a"),
            Status::Warn
        );
        o.last_maintenance = Some(995);
        let s = aggregate(now, &[o], &rules());
        assert_eq!(status_of(&s, "a"), Status::Ok);
        assert!(s.endpoint("a").unwrap().in_maintenance);
    }

    #[test]
    fn wrong_chain_is_crit_and_never_best() {
        let mut liar = node("liar", 500, 999);
        liar.snap.chain_mismatch = true;
        liar.snap.chain_id = Some("bb".into());
        let s = aggregate(1000.0, &[node("a", 100, 999), liar], &rules());
        assert_eq!(status_of(&s, "liar"), Status::Crit);
        assert_eq!(s.networks[0].best_head, Some(100));
        assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));
        assert_eq!(status_of(&s, "a"), Status::Ok);
    }

    #[test]
    fn down_unknown_and_failed_nodes_are_not_best() {
        let mut dead = node("dead", 500, 999);
        dead.snap.state = ConnState::Backoff;
        dead.snap.last_error = Some(LastError {
            time: 1.0,
            message: "x: connect: no answer within 2s".into(),
            kind: "timeout".into(),
        });
        let mut fresh = node("fresh", 0, 0);
        fresh.snap.probes = 0;
        let s = aggregate(1000.0, &[node("a", 100, 999), dead, fresh], &rules());
        assert_eq!(status_of(&s, "dead"), Status::Down);
        assert_eq!(
            s.endpoint("dead").unwrap().reasons,
            vec!["x: connect: no answer within 2s".to_string()]
        );
        assert_eq!(status_of(&s, "fresh"), Status::Unknown);
        assert_eq!(s.networks[0].best_head, Some(100));
        assert_eq!(s.networks[0].status, Status::Down);
        assert_eq!(s.worst(), Status::Down);
    }

    /// An LB routed to the forked node must not outvote the healthy one, nor be the
    /// best node or a second clock sample; it is still checked against the network.
    #[test]
    fn a_load_balancer_has_no_vote() {
        let a = node("a", 100, 999);
        let mut b = node("b", 100, 999);
        b.recent_ids = vec![(100, id_key("fork-100"))];
        let mut lb = node("lb", 101, 999);
        lb.snap.kind = EndpointKind::Lb;
        lb.recent_ids = vec![(100, id_key("fork-100"))];
        lb.clock_samples = vec![(999.0, 0.5)];
        let s = aggregate(1000.0, &[a, b, lb], &rules());
        assert!(!s.endpoint("a").unwrap().fork_suspect);
        assert!(s.endpoint("b").unwrap().fork_suspect);
        assert!(s.endpoint("lb").unwrap().fork_suspect);
        assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));
        assert_eq!(s.clock.samples, 0);
    }

    /// The reason that made the status comes first, whatever order the rules ran in.
    #[test]
    fn the_worst_reason_leads() {
        let th = Thresholds::default();
        let mut e = node("a", 100, 999).snap;
        e.lag_s = Some(th.lag_warn_s + 1.0);
        e.latency.p99_ms = Some(th.latency_crit_ms + 100.0);
        let (status, reasons) = evaluate(&e, &th, LagClock::exact(2.0));
        assert_eq!(status, Status::Crit);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("latency"), "{reasons:?}");
        assert!(reasons[1].contains("old"), "{reasons:?}");
    }

    #[test]
    fn fork_is_suspected_at_a_common_height() {
        let a = node("a", 100, 999);
        let mut b = node("b", 100, 999);
        b.recent_ids = vec![(100, id_key("different"))];
        let s = aggregate(1000.0, &[a, b], &rules());
        // Two nodes, one each: the first-listed node's block is taken as agreed.
        assert!(!s.endpoint("a").unwrap().fork_suspect);
        assert!(s.endpoint("b").unwrap().fork_suspect);
        assert_eq!(status_of(&s, "b"), Status::Crit);
    }

    /// The majority decides, not the node with the highest head: a lone node ahead on
    /// its own fork is the one flagged, and it is not the network's best head either.
    #[test]
    fn the_minority_is_forked_even_when_it_is_ahead() {
        let mut liar = node("liar", 101, 999);
        liar.recent_ids = vec![(100, id_key("other-100")), (101, id_key("other-101"))];
        let a = node("a", 100, 999);
        let b = node("b", 100, 999);
        let s = aggregate(1000.0, &[liar, a, b], &rules());
        assert!(s.endpoint("liar").unwrap().fork_suspect);
        assert!(!s.endpoint("a").unwrap().fork_suspect);
        assert!(!s.endpoint("b").unwrap().fork_suspect);
        assert_eq!(s.networks[0].best_head, Some(100));
        assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));
        assert_eq!(s.endpoint("a").unwrap().lag_blocks, Some(0));
        assert_eq!(status_of(&s, "a"), Status::Ok);
    }

    /// Nodes that never held a block at the same height cannot disagree, and a network
    /// whose every node is on its own fork still has a best head.
    #[test]
    fn no_common_height_no_fork_and_best_falls_back() {
        let a = node("a", 100, 999);
        let b = node("b", 101, 999);
        let s = aggregate(1000.0, &[a, b], &rules());
        assert!(s.endpoints.iter().all(|e| !e.fork_suspect));
        assert_eq!(s.networks[0].best_head, Some(101));

        let mut x = node("x", 100, 999);
        x.recent_ids = vec![(100, id_key("x"))];
        let mut y = node("y", 100, 999);
        y.recent_ids = vec![(100, id_key("y"))];
        let mut z = node("z", 102, 999);
        z.recent_ids = vec![(100, id_key("z"))];
        let s = aggregate(1000.0, &[x, y, z], &rules());
        // Three ids, one holder each: z (highest head) settles the tie.
        assert!(!s.endpoint("z").unwrap().fork_suspect);
        assert!(s.endpoint("x").unwrap().fork_suspect);
        assert!(s.endpoint("y").unwrap().fork_suspect);
        assert_eq!(s.networks[0].best_head, Some(102));
    }

    #[test]
    fn latency_availability_participation_cert_lib() {
        let th = Thresholds::default();
        let mut e = node("a", 100, 999).snap;
        e.lag_s = Some(1.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Ok);
        e.latency.p99_ms = Some(400.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Warn);
        e.latency.p99_ms = Some(2000.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Crit);
        e.latency.p99_ms = None;
        e.availability_pct = Some(95.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Warn);
        e.availability_pct = Some(50.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Crit);
        e.availability_pct = Some(100.0);
        e.participation_pct = Some(70.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Warn);
        e.participation_pct = Some(100.0);
        e.cert_days = Some(10.0);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Warn);
        e.cert_days = Some(1.0);
        let (s, r) = evaluate(&e, &th, LagClock::exact(2.0));
        assert_eq!(s, Status::Crit);
        assert!(r[0].starts_with("certificate expires"), "{r:?}");
        e.cert_days = None;
        e.active_witnesses = Some(11);
        e.lib_lag = Some(30);
        assert_eq!(evaluate(&e, &th, LagClock::exact(2.0)).0, Status::Warn);
    }

    #[test]
    fn clock_estimate_is_the_median_of_node_minimums_that_agree() {
        assert_eq!(estimate_clock(&[]), None);
        // One or two nodes are not enough, whatever they say.
        assert_eq!(estimate_clock(&[0.3]), None);
        assert_eq!(estimate_clock(&[0.2, 0.4]), None);
        assert_eq!(estimate_clock(&[0.2, 0.4, 0.3]), Some(0.3));
        // The outlier is left out of the median of those that agree.
        assert_eq!(estimate_clock(&[0.2, 10.0, 0.4, 0.3]), Some(0.3));
        // Only two of three agree: no estimate.
        assert_eq!(estimate_clock(&[0.2, 1.7e9, 0.4]), None);
        // Three agree but are no majority: no estimate.
        assert_eq!(
            estimate_clock(&[0.1, 0.2, 0.3, 50.0, 51.0, 52.0, 53.0]),
            None
        );
        let samples = [(100.0, 1.2), (101.0, 0.3), (102.0, 0.9)];
        assert_eq!(node_clock_min(&samples, 102.0), Some(0.3));
        assert_eq!(
            node_clock_min(&samples, 102.0 + CLOCK_HORIZON_S + 10.0),
            None
        );
    }

    #[test]
    fn drifted_host_clock_warns_and_does_not_page() {
        // This host is 20 s ahead: every head looks 20 s old on arrival.
        let now = 1000.0;
        let mut obs = vec![
            node("a", 100, 980),
            node("b", 100, 980),
            node("c", 100, 980),
        ];
        for o in &mut obs {
            o.clock_samples = vec![(999.0, 20.1), (1000.0, 20.4)];
        }
        let s = aggregate(now, &obs, &rules());
        assert!(s.clock.warn);
        assert_eq!(s.clock.samples, 3);
        assert!((s.clock.offset_s.unwrap() - 20.1).abs() < 1e-9);
        assert_eq!(status_of(&s, "a"), Status::Ok, "{:?}", s.endpoint("a"));
        // A network that stopped producing gives no fresh samples: no estimate.
        let s = aggregate(now + CLOCK_HORIZON_S + 5.0, &obs, &rules());
        assert_eq!(s.clock.offset_s, None);
        assert!(!s.clock.warn);
    }

    #[test]
    fn nodes_behind_best_do_not_skew_the_clock() {
        let now = 1000.0;
        let mut obs: Vec<Observation> = ["a", "b", "c"]
            .iter()
            .map(|n| {
                let mut o = node(n, 100, 1000);
                o.clock_samples = vec![(999.0, 0.2)];
                o
            })
            .collect();
        // Two slow nodes behind best: with them the median would be 10.2.
        for n in ["slow", "slower"] {
            let mut slow = node(n, 90, 990);
            slow.clock_samples = vec![(999.0, 10.2)];
            obs.push(slow);
        }
        let s = aggregate(now, &obs, &rules());
        assert_eq!(s.clock.samples, 3);
        assert_eq!(s.clock.offset_s, Some(0.2));
        assert!(!s.clock.warn);
    }

    /// Three honest nodes and, listed first where the primary node goes, one whose
    /// head number is the largest u32: it is suspect, not best, and puts nobody behind.
    #[test]
    fn a_huge_head_number_is_suspect_and_never_best() {
        let now = 1000.0;
        let mut liar = node("liar", u32::MAX, 999);
        liar.clock_samples = vec![(999.0, 0.3)];
        let mut obs = vec![liar];
        for n in ["a", "b", "c"] {
            obs.push(node(n, 1000, 999));
        }
        let s = aggregate(now, &obs, &rules());
        let l = s.endpoint("liar").unwrap();
        assert!(l.head_suspect);
        assert_eq!(l.status, Status::Crit);
        assert!(l.reasons[0].contains("not believed"), "{:?}", l.reasons);
        assert_eq!(l.lag_blocks, None);
        assert_eq!(s.networks[0].best_head, Some(1000));
        assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));
        for n in ["a", "b", "c"] {
            let e = s.endpoint(n).unwrap();
            assert_eq!(
                (e.status, e.lag_blocks, e.head_suspect),
                (Status::Ok, Some(0), false)
            );
        }
        assert_eq!(s.clock.samples, 0, "a suspect node is no clock sample");
        // Two nodes: the lower median is the honest one.
        let s = aggregate(
            now,
            &[node("liar", u32::MAX, 999), node("a", 1000, 999)],
            &rules(),
        );
        assert_eq!(status_of(&s, "liar"), Status::Crit);
        assert_eq!(status_of(&s, "a"), Status::Ok);
        assert_eq!(s.networks[0].best_head, Some(1000));
    }

    /// The limit is the median head plus the blocks the chain can have produced since
    /// the median head time: a node legitimately ahead of stalled ones is believed.
    #[test]
    fn the_head_limit_grows_with_the_time_since_the_median_head() {
        // 1 s to the 2 s host-clock allowance of 3 s blocks: 100 + 2 + 1 + 0.
        assert_eq!(head_limit(1000.0, &[(100, Some(999))], 3, 2.0), Some(103));
        // The median head is 60 s old: 20 more blocks can exist.
        let heads = [(100, Some(940)), (100, Some(940)), (120, Some(999))];
        assert_eq!(head_limit(1000.0, &heads, 3, 2.0), Some(123));
        // Ancient or future head times of a minority move nothing.
        let heads = [(100, Some(999)), (100, Some(999)), (100, Some(0))];
        assert_eq!(head_limit(1000.0, &heads, 3, 2.0), Some(103));
        let heads = [(100, Some(999)), (100, Some(999)), (100, Some(9999))];
        assert_eq!(head_limit(1000.0, &heads, 3, 2.0), Some(103));
        assert_eq!(head_limit(1000.0, &[], 3, 2.0), None);
        assert_eq!(
            head_limit(1e12, &[(u32::MAX - 1, Some(0))], 1, 2.0),
            Some(u32::MAX)
        );

        let now = 1000.0;
        let stalled = |n| node(n, 100, 940);
        let s = aggregate(
            now,
            &[stalled("a"), stalled("b"), node("c", 120, 999)],
            &rules(),
        );
        assert!(s.endpoints.iter().all(|e| !e.head_suspect));
        assert_eq!(s.networks[0].best_node.as_deref(), Some("c"));
        assert_eq!(status_of(&s, "c"), Status::Ok);
        assert_eq!(status_of(&s, "a"), Status::Crit);
        let s = aggregate(
            now,
            &[stalled("a"), stalled("b"), node("c", 124, 999)],
            &rules(),
        );
        assert!(s.endpoint("c").unwrap().head_suspect);
        assert_eq!(s.networks[0].best_head, Some(100));
    }

    /// At the same height, a node whose head time is stale or in the future is not
    /// named best even when listed first.
    #[test]
    fn a_time_liar_is_not_the_best_node() {
        for t in [0, 940, 1100] {
            let s = aggregate(
                1000.0,
                &[node("liar", 100, t), node("a", 100, 999)],
                &rules(),
            );
            assert_eq!(
                s.networks[0].best_node.as_deref(),
                Some("a"),
                "head time {t}"
            );
            assert_eq!(s.networks[0].best_head, Some(100));
        }
    }

    #[test]
    fn a_head_time_in_the_future_is_crit() {
        let now = 1000.0;
        // clock_warn_s is 2: the tolerance is 3 s.
        let s = aggregate(
            now,
            &[
                node("a", 100, 999),
                node("soon", 100, 1003),
                node("late", 100, 1060),
            ],
            &rules(),
        );
        assert_eq!(status_of(&s, "a"), Status::Ok);
        assert_eq!(status_of(&s, "soon"), Status::Ok);
        let late = s.endpoint("late").unwrap();
        assert_eq!(late.status, Status::Crit);
        assert_eq!(late.lag_s, Some(-60.0));
        assert!(
            late.reasons[0].contains("60 s in the future"),
            "{:?}",
            late.reasons
        );
    }

    /// One node with a bad clock (its heads 60 s in the future, or from 1970) is no
    /// clock estimate: the honest node's lag is not shifted, the 1970 head is not fresh.
    #[test]
    fn one_bad_clock_skews_nothing() {
        let now = 2_000_000_000.0;
        let t = now as i64 - 1;
        let mut a = node("a", 100, t);
        a.clock_samples = vec![(now - 1.0, 0.2)];
        let mut ahead = node("ahead", 100, t + 60);
        ahead.clock_samples = vec![(now - 1.0, -59.8)];
        let s = aggregate(now, &[a.clone(), ahead], &rules());
        assert_eq!(s.clock.offset_s, None);
        assert!(!s.clock.warn);
        assert_eq!(status_of(&s, "a"), Status::Ok);
        assert_eq!(status_of(&s, "ahead"), Status::Crit);

        let mut old = node("old", 100, 0);
        old.clock_samples = vec![(now - 1.0, now - 1.0)];
        for obs in [vec![old.clone()], vec![old.clone(), a]] {
            let s = aggregate(now, &obs, &rules());
            assert_eq!(s.clock.offset_s, None);
            let o = s.endpoint("old").unwrap();
            assert_eq!(o.status, Status::Crit, "{o:?}");
            assert!(o.reasons[0].contains("s old"), "{:?}", o.reasons);
            if let Some(a) = s.endpoint("a") {
                assert_eq!(a.status, Status::Ok, "{a:?}");
            }
        }

        // Three nodes agreeing on 1970 are reported and warned about, never subtracted.
        let obs: Vec<Observation> = ["x", "y", "z"]
            .iter()
            .map(|n| {
                let mut o = old.clone();
                o.snap.name = n.to_string();
                o
            })
            .collect();
        let s = aggregate(now, &obs, &rules());
        assert!(s.clock.warn);
        assert!(s.clock.offset_s.is_some_and(|o| o > CLOCK_MAX_CORRECTION_S));
        assert!(s.endpoints.iter().all(|e| e.status == Status::Crit));
    }

    #[test]
    fn events_carry_reasons() {
        let now = 1000.0;
        let a = aggregate(now, &[node("a", 100, 999)], &rules());
        let b = aggregate(now, &[node("a", 100, 960)], &rules());
        let ev = status_events(&a, &b);
        assert_eq!(ev.len(), 1);
        assert_eq!((ev[0].from, ev[0].to), (Status::Ok, Status::Crit));
        assert!(ev[0].reason.contains("s old"), "{}", ev[0].reason);
        let back = status_events(&b, &a);
        assert_eq!(back[0].reason, "recovered: every check passes");
        assert!(status_events(&a, &a).is_empty());
    }

    #[test]
    fn status_orders_worst_first() {
        let mut v = vec![
            Status::Ok,
            Status::Unknown,
            Status::Down,
            Status::Warn,
            Status::Crit,
        ];
        v.sort();
        assert_eq!(v, Status::ALL.to_vec());
        assert_eq!(Status::Ok.worst(Status::Unknown), Status::Ok);
        assert_eq!(Status::Warn.worst(Status::Down), Status::Down);
    }
}
