//! Status hysteresis: an endpoint's published status gets worse at once and better only
//! after the better status has held for a dwell time. A node hovering at a threshold
//! (a head that is sometimes 7 s old against a 6 s warning, a p99 around its limit)
//! would otherwise flip with an event and an alert on every swing; this way it raises
//! one event when it gets worse and one when it has stayed better for the dwell.
//! Events and alerts are computed from the held status, so they follow it.
//!
//! Pure: the engine hands in each raw snapshot with its time.

use std::collections::HashMap;

use super::model::{FleetSnapshot, Status};
use super::rules::recount_networks;

/// Probe intervals a better status must hold before it is published.
pub const DWELL_PROBES: u32 = 5;

/// The published status of each endpoint, by name.
#[derive(Debug, Clone)]
pub struct Hysteresis {
    dwell_s: f64,
    held: HashMap<String, Held>,
}

#[derive(Debug, Clone)]
struct Held {
    status: Status,
    /// The reasons last seen for the held status.
    reasons: Vec<String>,
    /// Since when the raw status has been better than the held one, continuously.
    better_since: Option<f64>,
}

impl Hysteresis {
    /// `dwell_s`: how long a better status must hold, in seconds.
    pub fn new(dwell_s: f64) -> Hysteresis {
        Hysteresis {
            dwell_s,
            held: HashMap::new(),
        }
    }

    /// Forgets an endpoint: after a config change it is probed afresh, and its old
    /// status must not hold the new one back.
    pub fn forget(&mut self, name: &str) {
        self.held.remove(name);
    }

    /// Replaces the raw statuses of `snap` (built at `now`) by the held ones where a
    /// better status has not held long enough, and recounts the networks.
    pub fn apply(&mut self, now: f64, snap: &mut FleetSnapshot) {
        for e in &mut snap.endpoints {
            let raw = e.status;
            let Some(h) = self.held.get_mut(&e.name) else {
                self.held.insert(
                    e.name.clone(),
                    Held {
                        status: raw,
                        reasons: e.reasons.clone(),
                        better_since: None,
                    },
                );
                continue;
            };
            // `Status` orders worst first; `Unknown` (not probed yet) is never held.
            let better = raw > h.status && h.status != Status::Unknown;
            if !better {
                h.status = raw;
                h.better_since = None;
                // Most snapshots change nothing: keep the allocation.
                if h.reasons != e.reasons {
                    h.reasons.clone_from(&e.reasons);
                }
                continue;
            }
            let since = *h.better_since.get_or_insert(now);
            if now - since >= self.dwell_s {
                *h = Held {
                    status: raw,
                    reasons: e.reasons.clone(),
                    better_since: None,
                };
                continue;
            }
            e.status = h.status;
            let mut reasons = h.reasons.clone();
            reasons.push(format!(
                "now {raw}, held {} until that lasts {:.0} s (for {:.0} s so far)",
                h.status,
                self.dwell_s,
                now - since
            ));
            e.reasons = reasons;
        }
        recount_networks(snap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::model::{EndpointKind, EndpointSnapshot, NetworkSummary, StatusCounts};

    fn snap(now: f64, status: Status, why: &str) -> FleetSnapshot {
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "net", "a", "ws://x");
        e.status = status;
        e.reasons = if why.is_empty() {
            vec![]
        } else {
            vec![why.to_string()]
        };
        let mut s = FleetSnapshot::empty();
        s.time = now;
        s.endpoints = vec![e];
        s.networks = vec![NetworkSummary {
            name: "net".into(),
            chain_id: "aa".into(),
            best_head: None,
            best_node: None,
            counts: StatusCounts::default(),
            status: Status::Unknown,
            versions: Vec::new(),
        }];
        s
    }

    /// Feeds raw statuses at times; returns the published status after each.
    fn run(h: &mut Hysteresis, steps: &[(f64, Status)]) -> Vec<Status> {
        steps
            .iter()
            .map(|(t, st)| {
                let mut s = snap(*t, *st, if *st == Status::Ok { "" } else { "why" });
                h.apply(*t, &mut s);
                assert_eq!(s.networks[0].status, s.endpoints[0].status);
                s.endpoints[0].status
            })
            .collect()
    }

    #[test]
    fn worse_at_once_better_after_the_dwell() {
        use Status::*;
        let mut h = Hysteresis::new(5.0);
        let out = run(
            &mut h,
            &[
                (0.0, Unknown),
                (1.0, Ok),   // first status: as is
                (2.0, Crit), // worse: at once
                (3.0, Warn), // better: held (dwell starts)
                (7.9, Warn),
                (8.0, Warn), // 5 s better: published
                (9.0, Ok),   // better again: held
                (14.0, Ok),
            ],
        );
        assert_eq!(out, [Unknown, Ok, Crit, Crit, Crit, Warn, Warn, Ok]);
    }

    /// A node flipping warn/crit on every probe stays crit: each crit restarts the dwell.
    #[test]
    fn a_flapping_node_holds_its_worst_status() {
        let mut h = Hysteresis::new(5.0);
        let steps: Vec<(f64, Status)> = (0..40)
            .map(|i| {
                let st = if i % 3 == 0 {
                    Status::Crit
                } else {
                    Status::Warn
                };
                (f64::from(i), st)
            })
            .collect();
        let out = run(&mut h, &steps);
        assert!(out.iter().all(|s| *s == Status::Crit), "{out:?}");
    }

    #[test]
    fn held_status_keeps_its_reasons_and_says_why() {
        let mut h = Hysteresis::new(5.0);
        let mut s = snap(0.0, Status::Crit, "head 9 s old (crit > 8 s)");
        h.apply(0.0, &mut s);
        let mut s = snap(1.0, Status::Warn, "head 5 s old (warn > 4 s)");
        h.apply(1.0, &mut s);
        let e = &s.endpoints[0];
        assert_eq!(e.status, Status::Crit);
        assert_eq!(e.reasons[0], "head 9 s old (crit > 8 s)");
        assert!(e.reasons[1].starts_with("now warn, held crit"), "{e:?}");
        assert_eq!(s.networks[0].counts.crit, 1);
    }

    #[test]
    fn a_zero_dwell_publishes_raw_statuses() {
        use Status::*;
        let mut h = Hysteresis::new(0.0);
        let out = run(&mut h, &[(0.0, Crit), (1.0, Ok), (2.0, Down), (3.0, Warn)]);
        assert_eq!(out, [Crit, Ok, Down, Warn]);
    }
}
