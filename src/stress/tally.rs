//! Counting a run as it goes: totals, a per-second series and per-node figures. Pure;
//! the runners feed it events, the report reads it.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::classify::Class;

/// Latencies are kept in microseconds up to a minute; later ones count as a minute.
const MAX_LATENCY_US: u64 = 60_000_000;

/// Replies needed before the error-rate cap applies, so one early failure of a small
/// run does not end it.
pub const MIN_REPLIES_FOR_ERROR_RATE: u64 = 20;

fn histogram() -> Histogram<u64> {
    // 3 significant digits over 1 µs..60 s: constant, valid bounds.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant histogram bounds")
}

fn record(h: &mut Histogram<u64>, us: u64) {
    h.saturating_record(us.clamp(1, MAX_LATENCY_US));
}

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Second {
    /// Seconds since the clock started.
    pub t: u64,
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Timeouts and transport failures.
    pub errors: u64,
    pub included: u64,
}

/// Figures of one target.
#[derive(Debug, Clone)]
pub struct NodeTally {
    pub sent: u64,
    pub accepted: u64,
    pub failed: BTreeMap<Class, u64>,
    /// Reply latency from the intended send time.
    pub latency: Histogram<u64>,
    /// Latency of the side probe (`get_dynamic_global_properties`) while under load.
    pub probe_latency: Histogram<u64>,
    pub probe_failures: u64,
    /// Largest head lag behind the best head seen, in blocks.
    pub max_head_lag: u32,
    pub last_head: Option<u32>,
}

impl Default for NodeTally {
    fn default() -> Self {
        NodeTally {
            sent: 0,
            accepted: 0,
            failed: BTreeMap::new(),
            latency: histogram(),
            probe_latency: histogram(),
            probe_failures: 0,
            max_head_lag: 0,
            last_head: None,
        }
    }
}

/// Everything counted so far.
#[derive(Debug, Clone)]
pub struct Tally {
    pub sent: u64,
    pub accepted: u64,
    pub failed: BTreeMap<Class, u64>,
    pub included: u64,
    pub latency: Histogram<u64>,
    pub inclusion: Histogram<u64>,
    pub series: Vec<Second>,
    pub nodes: BTreeMap<String, NodeTally>,
}

impl Tally {
    pub fn new(targets: &[String]) -> Tally {
        Tally {
            sent: 0,
            accepted: 0,
            failed: BTreeMap::new(),
            included: 0,
            latency: histogram(),
            inclusion: histogram(),
            series: Vec::new(),
            nodes: targets
                .iter()
                .map(|t| (t.clone(), NodeTally::default()))
                .collect(),
        }
    }

    fn second(&mut self, t: u64) -> &mut Second {
        let idx = t as usize;
        while self.series.len() <= idx {
            let t = self.series.len() as u64;
            self.series.push(Second {
                t,
                ..Second::default()
            });
        }
        &mut self.series[idx]
    }

    fn node(&mut self, name: &str) -> &mut NodeTally {
        // Every target is known from the start: look it up without allocating a key on
        // each request (this runs under the tally's lock, twice per request).
        if !self.nodes.contains_key(name) {
            self.nodes.insert(name.to_string(), NodeTally::default());
        }
        self.nodes
            .get_mut(name)
            .expect("the node's entry was inserted just above")
    }

    pub fn sent(&mut self, t: u64, node: &str) {
        self.sent += 1;
        self.second(t).sent += 1;
        self.node(node).sent += 1;
    }

    /// A reply (or its absence) `latency_us` after the intended send time.
    pub fn replied(&mut self, t: u64, node: &str, latency_us: u64, outcome: Result<(), Class>) {
        record(&mut self.latency, latency_us);
        let n = self.node(node);
        record(&mut n.latency, latency_us);
        match outcome {
            Ok(()) => {
                n.accepted += 1;
                self.accepted += 1;
                self.second(t).accepted += 1;
            }
            Err(c) => {
                *n.failed.entry(c).or_default() += 1;
                *self.failed.entry(c).or_default() += 1;
                let s = self.second(t);
                if c.is_rejection() {
                    s.rejected += 1;
                } else {
                    s.errors += 1;
                }
            }
        }
    }

    /// A transaction seen in a block `latency_us` after its intended send time.
    pub fn included(&mut self, t: u64, latency_us: u64) {
        self.included += 1;
        record(&mut self.inclusion, latency_us);
        self.second(t).included += 1;
    }

    /// A side probe of `node`: its head and the answer's latency, or a failure.
    pub fn probed(&mut self, node: &str, outcome: Option<(u32, u64)>) {
        let n = self.node(node);
        match outcome {
            Some((head, us)) => {
                n.last_head = Some(head);
                record(&mut n.probe_latency, us);
            }
            None => n.probe_failures += 1,
        }
        let best = self.nodes.values().filter_map(|n| n.last_head).max();
        if let Some(best) = best {
            for n in self.nodes.values_mut() {
                if let Some(h) = n.last_head {
                    n.max_head_lag = n.max_head_lag.max(best.saturating_sub(h));
                }
            }
        }
    }

    pub fn rejected_total(&self) -> u64 {
        self.failed
            .iter()
            .filter(|(c, _)| c.is_rejection())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    /// Failed replies over all replies, once there are enough replies to judge.
    pub fn error_rate(&self) -> Option<f64> {
        let replies = self.accepted + self.failed_total();
        (replies >= MIN_REPLIES_FOR_ERROR_RATE).then(|| self.failed_total() as f64 / replies as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_totals_series_and_nodes() {
        let mut t = Tally::new(&["a".into(), "b".into()]);
        t.sent(0, "a");
        t.sent(2, "b");
        t.replied(0, "a", 1_000, Ok(()));
        t.replied(2, "b", 5_000, Err(Class::Expired));
        t.replied(2, "b", 5_000, Err(Class::Timeout));
        t.included(3, 2_000_000);
        assert_eq!((t.sent, t.accepted, t.included), (2, 1, 1));
        assert_eq!(t.rejected_total(), 1);
        assert_eq!(t.failed_total(), 2);
        assert_eq!(t.series.len(), 4);
        assert_eq!(
            (t.series[2].sent, t.series[2].rejected, t.series[2].errors),
            (1, 1, 1)
        );
        assert_eq!(t.series[3].included, 1);
        assert_eq!(t.nodes["b"].failed[&Class::Timeout], 1);
        assert_eq!(t.error_rate(), None, "too few replies to judge");
    }

    #[test]
    fn head_lag_is_against_the_best_node() {
        let mut t = Tally::new(&["a".into(), "b".into()]);
        t.probed("a", Some((100, 10)));
        t.probed("b", Some((97, 10)));
        t.probed("b", None);
        assert_eq!(t.nodes["b"].max_head_lag, 3);
        assert_eq!(t.nodes["a"].max_head_lag, 0);
        assert_eq!(t.nodes["b"].probe_failures, 1);
    }

    #[test]
    fn error_rate_after_enough_replies() {
        let mut t = Tally::new(&["a".into()]);
        for i in 0..MIN_REPLIES_FOR_ERROR_RATE {
            let r = if i % 4 == 0 {
                Err(Class::Other)
            } else {
                Ok(())
            };
            t.replied(0, "a", 1, r);
        }
        assert_eq!(t.error_rate(), Some(0.25));
    }
}
