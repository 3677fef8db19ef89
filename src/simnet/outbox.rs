//! When each frame a websocket connection sends reaches the client, under the two ways a
//! node can be slow (see [`Fault::Latency`](super::Fault::Latency) and
//! [`Fault::SlowProcessing`](super::Fault::SlowProcessing)):
//!
//! - processing: a connection's requests are handled one after another, each taking the
//!   processing time, so replies to requests sent together leave one delay apart;
//! - the link: every frame, once it leaves, travels the link delay by itself (a delay
//!   line), so frames sent together arrive together. Frames keep the order they left in,
//!   as on one TCP stream, even when jitter would let a later one overtake.
//!
//! Pure bookkeeping over instants: the connection task asks when the next frame is due
//! and sends what is due, so a slow frame never keeps the task from reading requests.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::faults::FaultState;

/// The frames of one connection not yet delivered.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Replies still being processed, with the instant each leaves the node (ascending).
    processing: VecDeque<(Instant, String)>,
    /// When the request being processed last finishes (later requests wait for it).
    busy_until: Option<Instant>,
    /// Frames on the link, with the instant each arrives (ascending).
    link: VecDeque<(Instant, String)>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// A reply to a request read at `now`: it leaves once the node has processed every
    /// earlier request of the connection and this one.
    pub fn reply(&mut self, now: Instant, text: String, faults: &FaultState) {
        match faults.processing_time() {
            Some(took) => {
                let start = self.busy_until.map_or(now, |b| b.max(now));
                let done = start + took;
                self.busy_until = Some(done);
                self.processing.push_back((done, text));
            }
            // Replies already being processed still leave first.
            None => match self.processing.back() {
                Some((last, _)) => {
                    let left = (*last).max(now);
                    self.processing.push_back((left, text));
                }
                None => self.send(now, text, faults),
            },
        }
    }

    /// A frame the node sends at `now` without processing a request (a notice).
    pub fn notice(&mut self, now: Instant, text: String, faults: &FaultState) {
        self.send(now, text, faults);
    }

    /// Puts a frame that leaves the node at `sent` on the link.
    fn send(&mut self, sent: Instant, text: String, faults: &FaultState) {
        let travel = faults.link_delay().unwrap_or(Duration::ZERO);
        let mut arrives = sent + travel;
        if let Some((last, _)) = self.link.back() {
            arrives = arrives.max(*last);
        }
        self.link.push_back((arrives, text));
    }

    /// The next instant something happens (a reply leaves the node or a frame arrives).
    pub fn next_due(&self) -> Option<Instant> {
        let left = self.processing.front().map(|(t, _)| *t);
        let arrives = self.link.front().map(|(t, _)| *t);
        match (left, arrives) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves processed replies onto the link and returns the frames that have arrived by
    /// `now`, in order.
    pub fn take_due(&mut self, now: Instant, faults: &FaultState) -> Vec<String> {
        while self.processing.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((left, text)) = self.processing.pop_front() {
                self.send(left, text, faults);
            }
        }
        if self.processing.is_empty() && self.busy_until.is_some_and(|b| b <= now) {
            self.busy_until = None;
        }
        let mut due = Vec::new();
        while self.link.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, text)) = self.link.pop_front() {
                due.push(text);
            }
        }
        due
    }

    /// Frames not yet delivered.
    pub fn len(&self) -> usize {
        self.processing.len() + self.link.len()
    }

    pub fn is_empty(&self) -> bool {
        self.processing.is_empty() && self.link.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::Fault;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn state(faults: &[Fault]) -> FaultState {
        let mut s = FaultState::default();
        for f in faults {
            s.apply(*f);
        }
        s
    }

    /// Every frame's arrival, in order, stepping through `next_due`.
    fn drain(o: &mut Outbox, t0: Instant, s: &FaultState) -> Vec<(String, Duration)> {
        let mut out = Vec::new();
        for _ in 0..100 {
            let Some(at) = o.next_due() else { break };
            for text in o.take_due(at, s) {
                out.push((text, at - t0));
            }
        }
        assert!(o.is_empty());
        out
    }

    #[test]
    fn latency_is_a_delay_line() {
        let s = state(&[Fault::Latency {
            delay_ms: 800,
            jitter_ms: 0,
        }]);
        let t0 = Instant::now();
        let mut o = Outbox::new();
        o.reply(t0, "a".into(), &s);
        o.reply(t0, "b".into(), &s);
        o.notice(t0 + ms(100), "n".into(), &s);
        assert!(o.take_due(t0 + ms(799), &s).is_empty());
        assert_eq!(
            drain(&mut o, t0, &s),
            vec![
                ("a".into(), ms(800)),
                ("b".into(), ms(800)),
                ("n".into(), ms(900))
            ]
        );
    }

    #[test]
    fn slow_processing_queues_replies_but_not_notices() {
        let s = state(&[Fault::SlowProcessing {
            delay_ms: 800,
            jitter_ms: 0,
        }]);
        let t0 = Instant::now();
        let mut o = Outbox::new();
        o.reply(t0, "a".into(), &s);
        o.reply(t0, "b".into(), &s);
        o.notice(t0 + ms(100), "n".into(), &s);
        assert_eq!(
            drain(&mut o, t0, &s),
            vec![
                ("n".into(), ms(100)),
                ("a".into(), ms(800)),
                ("b".into(), ms(1600))
            ]
        );
        // Idle again: the next request waits for nobody.
        let t1 = t0 + ms(5000);
        o.reply(t1, "c".into(), &s);
        assert_eq!(drain(&mut o, t1, &s), vec![("c".into(), ms(800))]);
    }

    #[test]
    fn both_add_up_and_jitter_never_reorders() {
        let s = state(&[
            Fault::SlowProcessing {
                delay_ms: 100,
                jitter_ms: 0,
            },
            Fault::Latency {
                delay_ms: 300,
                jitter_ms: 0,
            },
        ]);
        let t0 = Instant::now();
        let mut o = Outbox::new();
        o.reply(t0, "a".into(), &s);
        o.reply(t0, "b".into(), &s);
        assert_eq!(
            drain(&mut o, t0, &s),
            vec![("a".into(), ms(400)), ("b".into(), ms(500))]
        );
        let jittery = state(&[Fault::Latency {
            delay_ms: 100,
            jitter_ms: 100,
        }]);
        let mut o = Outbox::new();
        for i in 0..50 {
            o.notice(t0 + ms(i), i.to_string(), &jittery);
        }
        let got = drain(&mut o, t0, &jittery);
        let order: Vec<String> = got.iter().map(|(t, _)| t.clone()).collect();
        let sent: Vec<String> = (0..50).map(|i: u64| i.to_string()).collect();
        assert_eq!(order, sent);
        assert!(got.iter().all(|(_, at)| *at <= ms(250)), "{got:?}");
    }

    /// A reply read after the slow-processing fault cleared does not overtake replies
    /// still being processed.
    #[test]
    fn clearing_slow_processing_keeps_order() {
        let slow = state(&[Fault::SlowProcessing {
            delay_ms: 500,
            jitter_ms: 0,
        }]);
        let t0 = Instant::now();
        let mut o = Outbox::new();
        o.reply(t0, "a".into(), &slow);
        let healthy = FaultState::default();
        o.reply(t0 + ms(10), "b".into(), &healthy);
        assert_eq!(
            drain(&mut o, t0, &healthy),
            vec![("a".into(), ms(500)), ("b".into(), ms(500))]
        );
    }
}
