//! Sliding-window statistics of one endpoint: latency percentiles from HDR histograms,
//! availability, and a short latency history for sparklines. Pure: time is passed in.
//!
//! The window is a ring of `SLOTS` histograms, each covering `window / SLOTS`; the
//! oldest slot is cleared as time moves on, so the percentiles cover between
//! `window × (SLOTS−1)/SLOTS` and `window` of samples without keeping every sample.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::model::Latency;

/// Ring slots per window.
pub const SLOTS: usize = 4;
/// Lowest and highest trackable latency, in microseconds (40 µs … 60 s). Latencies show
/// in milliseconds; each halving of the lowest value would add 256 bytes to each of the
/// five histograms of every endpoint (1,000 endpoints: 1.3 MB) for digits nobody reads.
pub const LOW_US: u64 = 40;
pub const HIGH_US: u64 = 60_000_000;
/// Two significant digits: 1 % resolution is plenty for p99 on a dashboard and keeps each
/// histogram small (see `memory_per_endpoint_is_bounded`).
pub const SIGFIG: u8 = 2;
/// Samples kept for sparklines.
pub const HISTORY: usize = 60;

struct Slot {
    /// Index of the time period this slot holds (`t / slot_len`).
    period: i64,
    /// `u16` counts keep a slot at a few KB; a slot never holds more than
    /// `slot_len / interval` samples, and `saturating_record` bounds the rest.
    hist: Histogram<u16>,
    ok: u32,
    failed: u32,
}

/// Latency and availability over a sliding window.
pub struct Window {
    slot_len_s: f64,
    slots: Vec<Slot>,
    /// The sum of the live slots, kept as samples arrive and rebuilt when a slot
    /// expires: a summary is asked for after every probe, and merging the slots for each
    /// one was a tenth of the monitor's CPU at 1,000 endpoints.
    merged: Histogram<u16>,
    history: VecDeque<Option<f32>>,
    last_ms: Option<f64>,
}

impl Window {
    /// `window_s` is the window length; zero is treated as one second.
    pub fn new(window_s: f64) -> Window {
        let window_s = if window_s > 0.0 { window_s } else { 1.0 };
        let slots = (0..SLOTS)
            .map(|_| Slot {
                period: i64::MIN,
                hist: new_hist(),
                ok: 0,
                failed: 0,
            })
            .collect();
        Window {
            slot_len_s: window_s / SLOTS as f64,
            slots,
            merged: new_hist(),
            history: VecDeque::with_capacity(HISTORY),
            last_ms: None,
        }
    }

    fn slot(&mut self, now: f64) -> &mut Slot {
        self.expire(now);
        let period = (now / self.slot_len_s).floor() as i64;
        let idx = period.rem_euclid(SLOTS as i64) as usize;
        let slot = &mut self.slots[idx];
        if slot.period != period {
            slot.period = period;
            slot.ok = 0;
            slot.failed = 0;
        }
        slot
    }

    /// Empties the slots that fell out of the window at `now` (or lie in its future,
    /// after the clock stepped back) and rebuilds the merged histogram without them.
    fn expire(&mut self, now: f64) {
        let current = (now / self.slot_len_s).floor() as i64;
        let mut changed = false;
        for s in &mut self.slots {
            if s.period != i64::MIN && !is_live(s.period, current) {
                s.period = i64::MIN;
                s.hist.reset();
                s.ok = 0;
                s.failed = 0;
                changed = true;
            }
        }
        if changed {
            self.merged.reset();
            for s in &self.slots {
                // Same bounds on both sides and u16 counts that saturate: cannot fail.
                let _ = self.merged.add(&s.hist);
            }
        }
    }

    /// A successful probe that took `ms` milliseconds, at unix time `now`, standing for
    /// `weight` probe intervals of availability: a seed probed every ten intervals
    /// stands for ten, so one failed seed probe among thirty is not 3 % of the window.
    pub fn record_ok(&mut self, now: f64, ms: f64, weight: u32) {
        let us = micros(ms);
        let slot = self.slot(now);
        slot.hist.saturating_record(us);
        slot.ok = slot.ok.saturating_add(weight.max(1));
        self.merged.saturating_record(us);
        self.last_ms = Some(ms);
        self.push_history(Some(ms as f32));
    }

    /// A failed probe at unix time `now`, standing for `weight` probe intervals of
    /// unavailability: the time spent in reconnect backoff since the previous failure.
    pub fn record_failure(&mut self, now: f64, weight: u32) {
        let slot = self.slot(now);
        slot.failed = slot.failed.saturating_add(weight.max(1));
        self.push_history(None);
    }

    fn push_history(&mut self, v: Option<f32>) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(v);
    }

    fn live(&self, now: f64) -> impl Iterator<Item = &Slot> {
        let current = (now / self.slot_len_s).floor() as i64;
        self.slots
            .iter()
            .filter(move |s| is_live(s.period, current))
    }

    /// Share of successful probes in the window, in percent; `None` without probes.
    pub fn availability_pct(&self, now: f64) -> Option<f64> {
        let (ok, failed) = self.live(now).fold((0u64, 0u64), |(o, f), s| {
            (o + u64::from(s.ok), f + u64::from(s.failed))
        });
        let total = ok + failed;
        (total > 0).then(|| ok as f64 * 100.0 / total as f64)
    }

    /// Percentiles over the window plus the history.
    #[cfg(test)]
    pub fn latency(&mut self, now: f64) -> Latency {
        let mut l = Latency::default();
        self.latency_into(now, &mut l);
        l
    }

    /// [`Window::latency`] written into `out`, reusing its history's allocation (this
    /// runs after every probe of every endpoint).
    pub fn latency_into(&mut self, now: f64, out: &mut Latency) {
        self.expire(now);
        let merged = &self.merged;
        let n = merged.len();
        let q = |p: f64| (n > 0).then(|| merged.value_at_quantile(p) as f64 / 1000.0);
        out.samples = n;
        out.p50_ms = q(0.50);
        out.p95_ms = q(0.95);
        out.p99_ms = q(0.99);
        out.max_ms = (n > 0).then(|| merged.max() as f64 / 1000.0);
        out.last_ms = self.last_ms;
        out.history.clear();
        out.history.extend(
            self.history
                .iter()
                .map(|v| v.map(|x| (f64::from(x) * 1000.0).round() / 1000.0)),
        );
    }

    /// Bytes held by the histograms and history (approximate, for the memory budget).
    pub fn approx_bytes(&self) -> usize {
        let hist: usize = self
            .slots
            .iter()
            .map(|s| s.hist.distinct_values() * std::mem::size_of::<u16>())
            .sum::<usize>()
            + self.merged.distinct_values() * std::mem::size_of::<u16>();
        hist + HISTORY * std::mem::size_of::<Option<f32>>() + std::mem::size_of::<Self>()
    }
}

/// A slot of `period` still holds samples of the window ending in period `current`.
fn is_live(period: i64, current: i64) -> bool {
    period <= current && period > current - SLOTS as i64
}

/// A latency in milliseconds as the histograms record it: whole microseconds within
/// their bounds.
fn micros(ms: f64) -> u64 {
    (ms * 1000.0).round().clamp(LOW_US as f64, HIGH_US as f64) as u64
}

fn new_hist<T: hdrhistogram::Counter>() -> Histogram<T> {
    // Constant bounds, checked by `memory_per_endpoint_is_bounded`; never user data.
    Histogram::new_with_bounds(LOW_US, HIGH_US, SIGFIG)
        .expect("constant histogram bounds are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut w = Window::new(60.0);
        for i in 1..=100 {
            w.record_ok(1000.0 + f64::from(i) * 0.1, f64::from(i), 1);
        }
        let l = w.latency(1010.0);
        assert_eq!(l.samples, 100);
        let p50 = l.p50_ms.unwrap();
        assert!((49.0..=51.0).contains(&p50), "{p50}");
        let p99 = l.p99_ms.unwrap();
        assert!((98.0..=100.5).contains(&p99), "{p99}");
        assert!((99.0..=101.0).contains(&l.max_ms.unwrap()));
        assert_eq!(l.last_ms, Some(100.0));
        assert_eq!(l.history.len(), HISTORY);
    }

    #[test]
    fn old_samples_leave_the_window() {
        let mut w = Window::new(60.0);
        w.record_ok(0.0, 500.0, 1);
        w.record_failure(1.0, 1);
        assert_eq!(w.availability_pct(2.0), Some(50.0));
        w.record_ok(100.0, 5.0, 1);
        let l = w.latency(100.0);
        assert_eq!(l.samples, 1);
        assert!(l.max_ms.unwrap() < 6.0);
        assert_eq!(w.availability_pct(100.0), Some(100.0));
        assert_eq!(w.availability_pct(1000.0), None);
    }

    #[test]
    fn availability_weighs_probes_by_the_time_they_stand_for() {
        let mut w = Window::new(600.0);
        // A seed: 29 probes ten intervals apart, then one failure retried a probe
        // interval later.
        for i in 0..29 {
            w.record_ok(1000.0 + f64::from(i) * 10.0, 1.0, 10);
        }
        w.record_failure(1290.0, 1);
        w.record_ok(1291.0, 1.0, 1);
        let a = w.availability_pct(1291.0).unwrap();
        assert!((a - 100.0 * 291.0 / 292.0).abs() < 1e-9, "{a}");
        // The latency histogram still holds one sample per probe.
        assert_eq!(w.latency(1291.0).samples, 30);
        // A weight of zero counts as one.
        w.record_failure(1292.0, 0);
        assert!(w.availability_pct(1292.0).unwrap() < a);
    }

    #[test]
    fn extreme_values_are_clamped_not_lost() {
        let mut w = Window::new(10.0);
        w.record_ok(0.0, 0.0, 1);
        w.record_ok(0.0, 1e9, 1);
        let l = w.latency(0.0);
        assert_eq!(l.samples, 2);
        assert!(l.max_ms.unwrap() <= 61_000.0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The merged histogram kept as samples arrive summarises exactly the samples
        /// of the live slots, as merging them afresh would.
        #[test]
        fn incremental_summary_matches_a_fresh_merge(
            steps in proptest::collection::vec((0.0f64..40.0, 0.01f64..3_000.0, proptest::bool::ANY), 1..300)
        ) {
            let mut w = Window::new(60.0);
            let mut t = 1_000.0;
            let mut samples: Vec<(f64, f64)> = Vec::new();
            for (dt, ms, ok) in steps {
                t += dt;
                if ok {
                    w.record_ok(t, ms, 1);
                    samples.push((t, ms));
                } else {
                    w.record_failure(t, 1);
                }
                let current = (t / w.slot_len_s).floor() as i64;
                let mut fresh: Histogram<u32> = new_hist();
                for (st, sms) in &samples {
                    if is_live((st / w.slot_len_s).floor() as i64, current) {
                        fresh.saturating_record(micros(*sms));
                    }
                }
                let l = w.latency(t);
                proptest::prop_assert_eq!(l.samples, fresh.len());
                if !fresh.is_empty() {
                    for (got, q) in [(l.p50_ms, 0.5), (l.p95_ms, 0.95), (l.p99_ms, 0.99)] {
                        proptest::prop_assert_eq!(got, Some(fresh.value_at_quantile(q) as f64 / 1000.0));
                    }
                    proptest::prop_assert_eq!(l.max_ms, Some(fresh.max() as f64 / 1000.0));
                }
            }
        }
    }

    #[test]
    fn memory_per_endpoint_is_bounded() {
        let w = Window::new(300.0);
        assert!(w.approx_bytes() <= 64 * 1024, "{} bytes", w.approx_bytes());
    }
}
