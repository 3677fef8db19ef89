//! Live fault injection for one node or seed, through a cloneable [`FaultHandle`].
//!
//! The state sits in a `watch` channel: connection tasks read it at each step (cheap borrow)
//! and wake on changes, so a fault takes effect on open connections at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;

/// A fault, as the Rust API and scenario files name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// A slow network link: every frame the endpoint sends (the websocket upgrade answer,
    /// replies, notices, seed keys) arrives `delay_ms` ± a uniform `jitter_ms` after it
    /// was sent, each by itself: a delay line, so two replies sent together arrive
    /// together. Frames keep their order, as on one TCP stream.
    Latency {
        delay_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// A node slow to process: each request on a connection takes `delay_ms` ± a uniform
    /// `jitter_ms`, one after another (replies queue, so two requests sent together are
    /// answered after one and two delays). Notices are not held up.
    SlowProcessing {
        delay_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// The node stops applying blocks and keeps answering from the head it had.
    StallHead,
    /// Connections are accepted, requests read, nothing answered.
    Freeze,
    /// One-shot: every open connection is cut (TCP closed without a websocket close).
    DropConnections,
    /// The listener is closed: connects fail with "connection refused".
    RefuseConnections,
    /// `get_chain_id` and `get_chain_properties` report another chain's id.
    WrongChainId,
    /// Replies and notices are sent as truncated, unparsable JSON.
    MalformedFrames,
    /// Bytes leave at `bytes_per_tick` every `tick_ms` (replies, notices, seed keys).
    SlowDrip { bytes_per_tick: u32, tick_ms: u64 },
    /// Seed only: accepts TCP and never sends its 33-byte key.
    MuteSeed,
}

impl Fault {
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Latency { .. } => "latency",
            Fault::SlowProcessing { .. } => "slow_processing",
            Fault::StallHead => "stall_head",
            Fault::Freeze => "freeze",
            Fault::DropConnections => "drop_connections",
            Fault::RefuseConnections => "refuse_connections",
            Fault::WrongChainId => "wrong_chain_id",
            Fault::MalformedFrames => "malformed_frames",
            Fault::SlowDrip { .. } => "slow_drip",
            Fault::MuteSeed => "mute_seed",
        }
    }
}

/// The faults active on one target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultState {
    /// Link delay and jitter.
    pub latency: Option<(Duration, Duration)>,
    /// Processing time per request and its jitter.
    pub processing: Option<(Duration, Duration)>,
    pub stalled: bool,
    pub frozen: bool,
    pub refusing: bool,
    pub wrong_chain_id: bool,
    pub malformed: bool,
    pub drip: Option<(usize, Duration)>,
    pub mute_seed: bool,
    /// Bumped by each `DropConnections`; connections opened before a bump close.
    pub drop_generation: u64,
}

impl FaultState {
    pub fn apply(&mut self, f: Fault) {
        match f {
            Fault::Latency {
                delay_ms,
                jitter_ms,
            } => self.latency = Some(millis(delay_ms, jitter_ms)),
            Fault::SlowProcessing {
                delay_ms,
                jitter_ms,
            } => self.processing = Some(millis(delay_ms, jitter_ms)),
            Fault::StallHead => self.stalled = true,
            Fault::Freeze => self.frozen = true,
            Fault::DropConnections => self.drop_generation += 1,
            Fault::RefuseConnections => self.refusing = true,
            Fault::WrongChainId => self.wrong_chain_id = true,
            Fault::MalformedFrames => self.malformed = true,
            Fault::SlowDrip {
                bytes_per_tick,
                tick_ms,
            } => {
                self.drip = Some((
                    (bytes_per_tick as usize).max(1),
                    Duration::from_millis(tick_ms.max(1)),
                ))
            }
            Fault::MuteSeed => self.mute_seed = true,
        }
    }

    /// Clears one kind of fault (a one-shot drop has nothing to clear).
    pub fn clear(&mut self, kind: &str) {
        match kind {
            "latency" => self.latency = None,
            "slow_processing" => self.processing = None,
            "stall_head" => self.stalled = false,
            "freeze" => self.frozen = false,
            "refuse_connections" => self.refusing = false,
            "wrong_chain_id" => self.wrong_chain_id = false,
            "malformed_frames" => self.malformed = false,
            "slow_drip" => self.drip = None,
            "mute_seed" => self.mute_seed = false,
            _ => {}
        }
    }

    /// How long the link holds the next frame: `delay ± jitter`, never negative.
    pub fn link_delay(&self) -> Option<Duration> {
        self.latency.map(jittered)
    }

    /// How long the node takes over the next request: `delay ± jitter`, never negative.
    pub fn processing_time(&self) -> Option<Duration> {
        self.processing.map(jittered)
    }
}

fn millis(delay_ms: u64, jitter_ms: u64) -> (Duration, Duration) {
    (
        Duration::from_millis(delay_ms),
        Duration::from_millis(jitter_ms),
    )
}

/// `delay` moved by a uniform offset in `-jitter ..= +jitter`, never negative.
fn jittered((delay, jitter): (Duration, Duration)) -> Duration {
    if jitter.is_zero() {
        return delay;
    }
    let span = jitter.as_micros() as u64 * 2 + 1;
    let offset = Duration::from_micros(next_random() % span);
    (delay + offset).saturating_sub(jitter)
}

/// Jitter only needs spread, not quality: a splitmix64 step over a global counter.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Control of one node's or seed's faults.
#[derive(Debug, Clone)]
pub struct FaultHandle {
    tx: watch::Sender<FaultState>,
}

impl Default for FaultHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultHandle {
    pub fn new() -> Self {
        FaultHandle {
            tx: watch::Sender::new(FaultState::default()),
        }
    }

    pub fn inject(&self, fault: Fault) {
        self.tx.send_modify(|s| s.apply(fault));
    }

    /// Clears one fault kind ([`Fault::kind`]).
    pub fn clear(&self, kind: &str) {
        self.tx.send_modify(|s| s.clear(kind));
    }

    /// Clears every fault.
    pub fn recover(&self) {
        self.tx.send_modify(|s| {
            let generation = s.drop_generation;
            *s = FaultState {
                drop_generation: generation,
                ..FaultState::default()
            };
        });
    }

    pub fn state(&self) -> FaultState {
        self.tx.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<FaultState> {
        self.tx.subscribe()
    }

    pub fn set_latency(&self, delay: Duration, jitter: Duration) {
        self.inject(Fault::Latency {
            delay_ms: delay.as_millis() as u64,
            jitter_ms: jitter.as_millis() as u64,
        });
    }
    pub fn set_slow_processing(&self, delay: Duration, jitter: Duration) {
        self.inject(Fault::SlowProcessing {
            delay_ms: delay.as_millis() as u64,
            jitter_ms: jitter.as_millis() as u64,
        });
    }
    pub fn stall_head(&self) {
        self.inject(Fault::StallHead);
    }
    pub fn freeze(&self) {
        self.inject(Fault::Freeze);
    }
    pub fn drop_connections(&self) {
        self.inject(Fault::DropConnections);
    }
    pub fn refuse_connections(&self) {
        self.inject(Fault::RefuseConnections);
    }
    pub fn wrong_chain_id(&self) {
        self.inject(Fault::WrongChainId);
    }
    pub fn malformed_frames(&self) {
        self.inject(Fault::MalformedFrames);
    }
    pub fn slow_drip(&self, bytes_per_tick: u32, tick: Duration) {
        self.inject(Fault::SlowDrip {
            bytes_per_tick,
            tick_ms: tick.as_millis() as u64,
        });
    }
    pub fn mute_seed(&self) {
        self.inject(Fault::MuteSeed);
    }
}

/// Cuts a reply in half so no JSON parser accepts it.
pub fn malform(text: &str) -> String {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}\u{0}", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds() {
        let mut s = FaultState::default();
        s.apply(Fault::Latency {
            delay_ms: 100,
            jitter_ms: 20,
        });
        for _ in 0..1000 {
            let d = s.link_delay().unwrap();
            assert!(d >= Duration::from_millis(80) && d <= Duration::from_millis(120));
        }
        assert_eq!(s.processing_time(), None);
    }

    #[test]
    fn recover_clears_all_but_keeps_the_drop_generation() {
        let h = FaultHandle::new();
        h.freeze();
        h.drop_connections();
        h.wrong_chain_id();
        h.recover();
        let s = h.state();
        assert!(!s.frozen && !s.wrong_chain_id);
        assert_eq!(s.drop_generation, 1);
        h.stall_head();
        h.clear("stall_head");
        assert!(!h.state().stalled);
    }

    #[test]
    fn malformed_text_does_not_parse() {
        let m = malform(r#"{"id":1,"result":"é"}"#);
        assert!(serde_json::from_str::<serde_json::Value>(&m).is_err());
    }

    #[test]
    fn scenario_names() {
        let f: Fault = toml::from_str("fault = \"latency\"\ndelay_ms = 5\njitter_ms = 1").unwrap();
        assert_eq!(f.kind(), "latency");
        let f: Fault = toml::from_str("fault = \"stall_head\"").unwrap();
        assert_eq!(f, Fault::StallHead);
        let f: Fault =
            toml::from_str("fault = \"slow_processing\"\ndelay_ms = 5\njitter_ms = 0").unwrap();
        assert_eq!(f.kind(), "slow_processing");
        let mut s = FaultState::default();
        s.apply(f);
        assert_eq!(s.processing_time(), Some(Duration::from_millis(5)));
        assert_eq!(s.link_delay(), None);
        s.clear("slow_processing");
        assert_eq!(s, FaultState::default());
    }
}
