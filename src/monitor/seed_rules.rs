//! Status rules for seed nodes beyond L1 (PROTOCOL.md §10), pure like [`super::rules`].
//!
//! A seed's hello is a snapshot taken at its probe, and seeds are probed rarely
//! (`monitor.seed_interval_ms`, 10 s by default) while the network moves on every
//! block. So a seed's lag is measured as of its probe: its head's age when the hello
//! came (`lag_s`), and the blocks it was behind the network's best node then
//! (`lag_blocks`). Measured against "now" instead, every healthy seed would drift into
//! warn between probes.

use super::model::{EndpointSnapshot, SeedLevel, Status};

/// The network's best head, as the aggregator found it: height, its block's chain
/// time (unix seconds) and the block interval (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestHead {
    pub num: u32,
    pub time: Option<i64>,
    pub interval_s: u32,
}

/// Fills a seed's `lag_s` and `lag_blocks` from its last hello. Seeds without one
/// (L1, down, never probed) get neither; a seed on another chain gets no block lag
/// (its heights mean nothing on this chain).
pub fn apply_lag(e: &mut EndpointSnapshot, best: Option<BestHead>) {
    e.lag_s = None;
    e.lag_blocks = None;
    if e.seed_level != Some(SeedLevel::L2) {
        return;
    }
    let Some(probed) = e.last_probe else { return };
    e.lag_s = e
        .head_time
        .map(|t| ((probed - t as f64) * 1000.0).round() / 1000.0);
    if e.chain_mismatch {
        return;
    }
    if let (Some(head), Some(best)) = (e.head_num, best) {
        e.lag_blocks = Some(u64::from(best_at(best, probed).saturating_sub(head)));
    }
}

/// The best node's height at wall-clock `at`: its current height less the blocks
/// stamped after `at` (one per block interval, rounded up). Missed slots only make
/// this an underestimate of the seed's lag, never a false alarm.
fn best_at(best: BestHead, at: f64) -> u32 {
    let Some(t) = best.time else { return best.num };
    let newer = (t as f64 - at) / f64::from(best.interval_s.max(1));
    if newer <= 0.0 {
        return best.num;
    }
    best.num
        .saturating_sub(newer.ceil().min(f64::from(u32::MAX)) as u32)
}

/// A seed that answered at L1 but not L2: a graphene P2P stack is there, but it did
/// not complete the handshake a real node completes at once (or its hello was not
/// this session's), so its chain and head are unknown. Warn, with the L2 error.
pub fn level_flag(e: &EndpointSnapshot) -> Option<(Status, String)> {
    if e.seed_level != Some(SeedLevel::L1) {
        return None;
    }
    let why = e
        .last_error
        .as_ref()
        .map(|le| le.message.as_str())
        .unwrap_or("no hello");
    Some((
        Status::Warn,
        format!("answered at L1 only (key, no verified hello): {why}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::model::{ConnState, EndpointKind, LastError};

    fn seed(level: Option<SeedLevel>, head: u32, head_time: i64, probed: f64) -> EndpointSnapshot {
        let mut e = EndpointSnapshot::new(EndpointKind::Seed, "net", "s", "127.0.0.1:1");
        e.state = ConnState::Connected;
        e.probes = 1;
        e.seed_level = level;
        e.head_num = Some(head);
        e.head_time = Some(head_time);
        e.last_probe = Some(probed);
        e
    }

    fn best(num: u32, time: i64) -> Option<BestHead> {
        Some(BestHead {
            num,
            time: Some(time),
            interval_s: 3,
        })
    }

    /// Probed at 1000.5 with head 100 (stamped 999); the best node is now at 110,
    /// stamped 1029: ten blocks after the probe, so at the probe it was at 100.
    #[test]
    fn lag_is_measured_as_of_the_probe() {
        let mut e = seed(Some(SeedLevel::L2), 100, 999, 1000.5);
        apply_lag(&mut e, best(110, 1029));
        assert_eq!(e.lag_blocks, Some(0));
        assert_eq!(e.lag_s, Some(1.5));
        // The best node has not moved since the probe: compared as is.
        apply_lag(&mut e, best(104, 999));
        assert_eq!(e.lag_blocks, Some(4));
        // A seed stuck 20 blocks back is 20 behind, whenever the aggregate runs.
        let mut stuck = seed(Some(SeedLevel::L2), 80, 939, 1000.5);
        apply_lag(&mut stuck, best(110, 1029));
        assert_eq!(stuck.lag_blocks, Some(20));
        assert_eq!(stuck.lag_s, Some(61.5));
    }

    #[test]
    fn no_lag_without_a_verified_hello_or_on_another_chain() {
        let mut l1 = seed(Some(SeedLevel::L1), 100, 999, 1000.5);
        apply_lag(&mut l1, best(200, 1300));
        assert_eq!((l1.lag_blocks, l1.lag_s), (None, None));
        let mut other = seed(Some(SeedLevel::L2), 5, 999, 1000.5);
        other.chain_mismatch = true;
        apply_lag(&mut other, best(200, 1300));
        assert_eq!(other.lag_blocks, None);
        // No API node to compare with: the head's age still tells.
        let mut alone = seed(Some(SeedLevel::L2), 5, 900, 1000.0);
        apply_lag(&mut alone, None);
        assert_eq!((alone.lag_blocks, alone.lag_s), (None, Some(100.0)));
    }

    #[test]
    fn kind_label_names_the_level() {
        let mut e = seed(None, 0, 0, 0.0);
        assert_eq!(e.kind_label(), "seed");
        e.seed_level = Some(SeedLevel::L1);
        assert_eq!(e.kind_label(), "seed L1");
        e.seed_level = Some(SeedLevel::L2);
        assert_eq!(e.kind_label(), "seed L2");
        let n = EndpointSnapshot::new(EndpointKind::Node, "net", "n", "ws://x");
        assert_eq!(n.kind_label(), "node");
    }

    #[test]
    fn l1_only_is_a_warning_naming_the_l2_error() {
        let mut e = seed(Some(SeedLevel::L1), 0, 0, 0.0);
        e.last_error = Some(LastError {
            time: 0.0,
            message: "127.0.0.1:1: L2: no hello within 2s".into(),
            kind: "timeout".into(),
        });
        let (s, why) = level_flag(&e).unwrap();
        assert_eq!(s, Status::Warn);
        assert!(
            why.contains("L1 only") && why.contains("no hello within 2s"),
            "{why}"
        );
        e.seed_level = Some(SeedLevel::L2);
        assert_eq!(level_flag(&e), None);
    }
}
