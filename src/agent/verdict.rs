//! The agent's decision, pure: each node's monitor samples in, `up` or `down #reason`
//! out, with hysteresis between the warn and crit lag thresholds (LOADBALANCER.md §12,
//! "Recommendation for the btsops agent").
//!
//! - Lag is judged against the network's best head (`lag_blocks`), never against the
//!   wall clock alone: on a chain-wide stall every node would be `down` and the backend
//!   would have no server left.
//! - `down` after [`DOWN_AFTER`] consecutive samples past a crit threshold (or failed
//!   probes); `up` again only at or below the warn thresholds. In between, the verdict
//!   stays as it was.
//! - A chain-id mismatch is certain after one sample: `down` at once.
//! - `up` when nothing is known (not probed yet, no best head, not a node): a `down`
//!   outlives the agent, and HAProxy's own check still catches a dead node.

use std::collections::HashMap;

use crate::config::Thresholds;
use crate::monitor::rules::Rules;
use crate::monitor::{ConnState, EndpointKind, EndpointSnapshot, FleetSnapshot};

/// Consecutive bad samples before a node is `down`.
pub const DOWN_AFTER: u32 = 2;

/// Longest reason sent after `down #` (HAProxy logs it; keep it one short line).
const REASON_MAX: usize = 80;

/// What the agent answers for one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Up,
    Down(String),
}

impl Verdict {
    /// The reply line, newline included. Only `up` and `down #…`: `drain`, `maint`,
    /// `ready` and `N%` would rewrite the operator's own admin state or weight at every
    /// poll (LOADBALANCER.md §12).
    pub fn line(&self) -> String {
        match self {
            Verdict::Up => "up\n".into(),
            Verdict::Down(why) => format!("down #{}\n", clean_reason(why)),
        }
    }

    pub fn is_up(&self) -> bool {
        matches!(self, Verdict::Up)
    }
}

/// A reason HAProxy can carry: printable ASCII on one line, bounded.
fn clean_reason(why: &str) -> String {
    why.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(REASON_MAX)
        .collect()
}

/// One monitor sample of one node, as the agent reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Lag unknown: not probed yet, no best head, head not believed.
    Unknown,
    /// At or below both warn thresholds.
    Good,
    /// Between warn and crit: the verdict holds.
    Between,
    /// Past a crit threshold, or the probe failed.
    Bad(String),
    /// Certainly wrong (another chain): `down` at once.
    Wrong(String),
}

/// Classifies one node's snapshot under its network's thresholds.
pub fn classify(e: &EndpointSnapshot, th: &Thresholds) -> Sample {
    if e.probes == 0 {
        return Sample::Unknown;
    }
    if e.chain_mismatch {
        return Sample::Wrong("chain-id mismatch".into());
    }
    if e.state == ConnState::Backoff {
        let kind = e.last_error.as_ref().map_or("error", |l| l.kind.as_str());
        return Sample::Bad(format!("probe failed: {kind}"));
    }
    let Some(blocks) = e.lag_blocks else {
        return Sample::Unknown;
    };
    // Seconds behind the best head, from blocks: the best node's head time is not in
    // this node's snapshot, and the interval is the chain's own.
    let behind_s = blocks as f64 * f64::from(e.block_interval_s.unwrap_or(3));
    if blocks >= th.lag_crit_blocks || behind_s > th.lag_crit_s {
        Sample::Bad(format!("lag {blocks} blocks ({behind_s:.0}s) behind best"))
    } else if blocks < th.lag_warn_blocks && behind_s <= th.lag_warn_s {
        Sample::Good
    } else {
        Sample::Between
    }
}

#[derive(Debug, Clone)]
struct NodeState {
    verdict: Verdict,
    bad_streak: u32,
    /// The engine's probe count of the last sample taken: a snapshot republished
    /// without a new probe is not a second sample.
    last_probes: u64,
}

/// The verdict of every node, fed snapshot by snapshot.
#[derive(Debug, Clone)]
pub struct Judge {
    thresholds: HashMap<String, Thresholds>,
    nodes: HashMap<String, NodeState>,
}

impl Judge {
    pub fn new(rules: &Rules) -> Judge {
        Judge {
            thresholds: rules
                .networks
                .iter()
                .map(|n| (n.name.clone(), n.thresholds.clone()))
                .collect(),
            nodes: HashMap::new(),
        }
    }

    /// Takes the new samples of `snap`; returns the nodes whose verdict changed, with
    /// the old and new verdicts.
    pub fn update(&mut self, snap: &FleetSnapshot) -> Vec<(String, Verdict, Verdict)> {
        let default_th = Thresholds::default();
        let mut changed = Vec::new();
        for e in snap
            .endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Node)
        {
            let th = self.thresholds.get(&e.network).unwrap_or(&default_th);
            let sample = classify(e, th);
            let st = self.nodes.entry(e.name.clone()).or_insert(NodeState {
                verdict: Verdict::Up,
                bad_streak: 0,
                last_probes: 0,
            });
            if e.probes == st.last_probes {
                continue;
            }
            st.last_probes = e.probes;
            let old = st.verdict.clone();
            step(st, sample);
            if st.verdict != old {
                changed.push((e.name.clone(), old, st.verdict.clone()));
            }
        }
        changed
    }

    /// The answer for a server name. Unknown names get `up`: the agent must never be
    /// the reason a server it knows nothing about leaves the rotation (a typo in
    /// `agent-send`, a node missing from this config); HAProxy's own check still
    /// judges that server.
    pub fn verdict(&self, name: &str) -> Verdict {
        self.nodes
            .get(name)
            .map_or(Verdict::Up, |s| s.verdict.clone())
    }

    /// Every node's verdict, for the server to answer from.
    pub fn verdicts(&self) -> HashMap<String, Verdict> {
        self.nodes
            .iter()
            .map(|(n, s)| (n.clone(), s.verdict.clone()))
            .collect()
    }
}

/// One sample's effect on a node's verdict.
fn step(st: &mut NodeState, sample: Sample) {
    match sample {
        Sample::Unknown => {
            st.bad_streak = 0;
            st.verdict = Verdict::Up;
        }
        Sample::Good => {
            st.bad_streak = 0;
            st.verdict = Verdict::Up;
        }
        Sample::Between => st.bad_streak = 0,
        Sample::Bad(why) => {
            st.bad_streak = st.bad_streak.saturating_add(1);
            if st.bad_streak >= DOWN_AFTER {
                st.verdict = Verdict::Down(why);
            }
        }
        Sample::Wrong(why) => {
            st.bad_streak = st.bad_streak.saturating_add(1);
            st.verdict = Verdict::Down(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::rules::NetworkRules;
    use crate::monitor::{LastError, Status};

    fn th() -> Thresholds {
        Thresholds {
            lag_warn_s: 6.0,
            lag_crit_s: 30.0,
            lag_warn_blocks: 2,
            lag_crit_blocks: 10,
            ..Thresholds::default()
        }
    }

    fn rules() -> Rules {
        Rules {
            networks: vec![NetworkRules {
                name: "mainnet".into(),
                chain_id: "x".into(),
                thresholds: th(),
            }],
            clock_warn_s: 5.0,
            regions: Default::default(),
        }
    }

    fn node(name: &str, probes: u64, lag_blocks: Option<u64>) -> EndpointSnapshot {
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "mainnet", name, "ws://x");
        e.probes = probes;
        e.state = ConnState::Connected;
        e.lag_blocks = lag_blocks;
        e.block_interval_s = Some(3);
        e.status = Status::Ok;
        e
    }

    fn snap(endpoints: Vec<EndpointSnapshot>) -> FleetSnapshot {
        FleetSnapshot {
            endpoints,
            ..FleetSnapshot::empty()
        }
    }

    /// Feeds one sample per lag value (probe counts 1, 2, …) and returns the verdicts.
    fn run(lags: &[Option<u64>]) -> Vec<Verdict> {
        let mut j = Judge::new(&rules());
        lags.iter()
            .enumerate()
            .map(|(i, l)| {
                j.update(&snap(vec![node("n", i as u64 + 1, *l)]));
                j.verdict("n")
            })
            .collect()
    }

    fn ups(v: &[Verdict]) -> Vec<bool> {
        v.iter().map(Verdict::is_up).collect()
    }

    #[test]
    fn classify_against_both_thresholds() {
        let t = th();
        assert_eq!(classify(&node("n", 1, Some(0)), &t), Sample::Good);
        assert_eq!(classify(&node("n", 1, Some(1)), &t), Sample::Good);
        // 2 blocks: the block warn threshold (≥ 2), 6 s is not past 6 s.
        assert_eq!(classify(&node("n", 1, Some(2)), &t), Sample::Between);
        assert_eq!(classify(&node("n", 1, Some(9)), &t), Sample::Between);
        // 10 blocks = crit blocks; 11 blocks at 3 s = 33 s > 30 s.
        assert!(matches!(
            classify(&node("n", 1, Some(10)), &t),
            Sample::Bad(_)
        ));
        let mut slow = node("n", 1, Some(4));
        slow.block_interval_s = Some(10);
        assert_eq!(
            classify(&slow, &t),
            Sample::Bad("lag 4 blocks (40s) behind best".into()),
            "seconds behind count with the chain's own interval"
        );
        assert_eq!(classify(&node("n", 0, Some(50)), &t), Sample::Unknown);
        assert_eq!(classify(&node("n", 1, None), &t), Sample::Unknown);
    }

    #[test]
    fn down_after_two_bad_samples_and_up_only_below_warn() {
        let v = run(&[
            Some(0),
            Some(12),
            Some(13),
            Some(14),
            Some(5),
            Some(3),
            Some(1),
            Some(0),
        ]);
        assert_eq!(
            ups(&v),
            [true, true, false, false, false, false, true, true],
            "{v:?}"
        );
        assert_eq!(
            v[2],
            Verdict::Down("lag 13 blocks (39s) behind best".into())
        );
        // The reason follows the latest bad sample.
        assert_eq!(
            v[3],
            Verdict::Down("lag 14 blocks (42s) behind best".into())
        );
        // Between warn and crit the reason of the last bad sample stays.
        assert_eq!(v[5], v[3]);
    }

    #[test]
    fn a_bad_streak_broken_by_a_between_sample_starts_over() {
        let v = run(&[Some(12), Some(5), Some(12), Some(5), Some(12), Some(12)]);
        assert_eq!(ups(&v), [true, true, true, true, true, false]);
    }

    #[test]
    fn hovering_at_crit_does_not_flap() {
        // Down, then swinging between crit and warn: stays down without a good sample.
        let v = run(&[Some(12), Some(12), Some(9), Some(11), Some(9), Some(10)]);
        assert_eq!(ups(&v), [true, false, false, false, false, false]);
    }

    #[test]
    fn unknown_lag_is_up() {
        let v = run(&[Some(12), Some(12), None]);
        assert_eq!(ups(&v), [true, false, true]);
    }

    #[test]
    fn chain_id_mismatch_is_down_at_once() {
        let mut j = Judge::new(&rules());
        let mut e = node("n", 1, None);
        e.chain_mismatch = true;
        j.update(&snap(vec![e]));
        assert_eq!(j.verdict("n"), Verdict::Down("chain-id mismatch".into()));
        assert_eq!(j.verdict("n").line(), "down #chain-id mismatch\n");
        j.update(&snap(vec![node("n", 2, Some(0))]));
        assert_eq!(j.verdict("n"), Verdict::Up);
    }

    #[test]
    fn failed_probes_count_as_bad() {
        let mut j = Judge::new(&rules());
        for p in 1..=2 {
            let mut e = node("n", p, None);
            e.state = ConnState::Backoff;
            e.last_error = Some(LastError {
                time: 0.0,
                message: "timed out".into(),
                kind: "timeout".into(),
            });
            j.update(&snap(vec![e]));
        }
        assert_eq!(j.verdict("n").line(), "down #probe failed: timeout\n");
    }

    #[test]
    fn a_republished_snapshot_is_not_a_new_sample() {
        let mut j = Judge::new(&rules());
        for _ in 0..3 {
            j.update(&snap(vec![node("n", 1, Some(12))]));
        }
        assert!(j.verdict("n").is_up());
        let changed = j.update(&snap(vec![node("n", 2, Some(12))]));
        assert_eq!(changed.len(), 1);
        assert!(!j.verdict("n").is_up());
    }

    #[test]
    fn a_chain_wide_stall_keeps_every_node_up() {
        // No node is behind the best when none moves: lag_blocks stays 0 for all.
        let mut j = Judge::new(&rules());
        for p in 1..=5 {
            let mut a = node("a", p, Some(0));
            let mut b = node("b", p, Some(0));
            a.lag_s = Some(60.0 * p as f64);
            b.lag_s = Some(60.0 * p as f64);
            j.update(&snap(vec![a, b]));
        }
        assert!(j.verdict("a").is_up() && j.verdict("b").is_up());
    }

    #[test]
    fn unknown_names_seeds_and_lbs_are_up() {
        let mut j = Judge::new(&rules());
        let mut lb = node("lb", 1, Some(50));
        lb.kind = EndpointKind::Lb;
        let mut lb2 = lb.clone();
        lb2.probes = 2;
        j.update(&snap(vec![lb]));
        j.update(&snap(vec![lb2]));
        assert_eq!(j.verdict("lb"), Verdict::Up);
        assert_eq!(j.verdict("nobody"), Verdict::Up);
        assert_eq!(j.verdict("nobody").line(), "up\n");
    }

    #[test]
    fn reasons_are_one_printable_bounded_line() {
        let v = Verdict::Down(format!("bad\nthing\u{7}é{}", "x".repeat(200)));
        let line = v.line();
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.starts_with("down #bad?thing??x"), "{line}");
        assert!(line.len() <= "down #".len() + REASON_MAX + 1);
    }
}
