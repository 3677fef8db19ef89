//! The engine: starts one probe task per endpoint and one aggregator task that folds
//! their observations into fleet snapshots, status events and alerts.
//!
//! Consumers read snapshots from a `watch` channel (latest value wins, nothing to
//! block on) and events from a `broadcast` channel (a lagging receiver loses the oldest
//! events and is told so, the engine never waits).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast, mpsc, watch};

use super::probe::SharedObservation;
use tokio::task::JoinHandle;

use crate::config::{Config, Monitor};

use super::alerts::{AlertBook, conditions};
use super::hysteresis::{DWELL_PROBES, Hysteresis};
use super::model::{EndpointKind, Event, FleetSnapshot};
use super::probe::{self, ProbeSettings, Target, unix_now};
use super::record::{FORMAT, Record, RecordError, Recorder};
use super::rules::{self, NetworkRules, Observation, Rules};

/// Events buffered per receiver before the oldest are dropped for a slow consumer.
pub const EVENT_QUEUE: usize = 4096;

/// How the engine runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    pub interval: Duration,
    pub timeout: Duration,
    pub window_s: f64,
    pub clock_warn_s: f64,
    /// Longest wait between reconnect attempts.
    pub backoff_max: Duration,
    /// Interval of seed probes (`monitor.seed_interval_ms`).
    pub seed_interval: Duration,
    /// `--record FILE`.
    pub record: Option<PathBuf>,
}

impl EngineOptions {
    pub fn from_config(m: &Monitor) -> EngineOptions {
        let interval = Duration::from_millis(m.probe_interval_ms.max(10));
        EngineOptions {
            interval,
            timeout: Duration::from_millis(m.timeout_ms.max(10)),
            window_s: m.window_s.max(1) as f64,
            clock_warn_s: m.clock_warn_s,
            // Ten intervals, at most 30 s: a node back from a restart is seen quickly.
            backoff_max: (interval * 10).min(Duration::from_secs(30)),
            seed_interval: Duration::from_millis(m.seed_interval_ms.max(10)),
            record: None,
        }
    }
}

/// The runtime the engine (and a console on top of it) runs on: one thread. The
/// monitor is I/O-bound; with two workers, 1,000 endpoints cost 0.106 CPU-s per probe
/// round against 0.065 on one thread, the difference spent on cross-thread wake-ups and
/// work stealing. Nothing on it blocks: DNS and recording have their own threads, a
/// frame draws in well under a millisecond, and every endpoint waits asynchronously,
/// so a frozen one still delays no other.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("recording: {0}")]
    Record(#[from] RecordError),
}

/// Every endpoint of a config, in config order: per network its nodes then seeds, then
/// the load balancers' public URLs.
pub fn targets(config: &Config) -> Vec<Target> {
    let mut out = Vec::new();
    for n in &config.networks {
        for node in &n.nodes {
            out.push(Target {
                kind: EndpointKind::Node,
                network: n.name.clone(),
                name: node.name.clone(),
                url: ws_url(&node.url),
                credentials: node.credentials.clone(),
                ca_file: node.ca_file.clone(),
                chain_id: n.chain_id.clone(),
            });
        }
        for seed in &n.seeds {
            out.push(Target {
                kind: EndpointKind::Seed,
                network: n.name.clone(),
                name: seed.name.clone(),
                url: seed.addr.clone(),
                credentials: None,
                ca_file: None,
                chain_id: n.chain_id.clone(),
            });
        }
    }
    for lb in &config.lbs {
        let (Some(url), Some(net)) = (&lb.public_url, config.network(&lb.network)) else {
            continue;
        };
        out.push(Target {
            kind: EndpointKind::Lb,
            network: lb.network.clone(),
            name: lb.name.clone(),
            url: ws_url(url),
            credentials: lb.credentials.clone(),
            ca_file: lb.ca_file.clone(),
            chain_id: net.chain_id.clone(),
        });
    }
    out
}

/// A node configured by its HTTP URL is watched over the websocket on the same port
/// (graphene serves both there): subscriptions need a socket.
fn ws_url(u: &url::Url) -> String {
    let s = u.to_string();
    match u.scheme() {
        "http" => s.replacen("http", "ws", 1),
        "https" => s.replacen("https", "wss", 1),
        _ => s,
    }
}

/// The rule settings of a config.
pub fn rules(config: &Config) -> Rules {
    Rules {
        networks: config
            .networks
            .iter()
            .map(|n| NetworkRules {
                name: n.name.clone(),
                chain_id: n.chain_id.clone(),
                thresholds: n.thresholds.clone(),
            })
            .collect(),
        clock_warn_s: config.monitor.clock_warn_s,
        regions: config
            .networks
            .iter()
            .flat_map(|n| {
                let nodes = n.nodes.iter().map(|x| (&x.name, &x.region));
                nodes.chain(n.seeds.iter().map(|s| (&s.name, &s.region)))
            })
            .chain(config.lbs.iter().map(|l| (&l.name, &l.region)))
            .filter_map(|(name, region)| Some((name.clone(), region.clone()?)))
            .collect(),
    }
}

fn probe_settings(opts: &EngineOptions) -> ProbeSettings {
    ProbeSettings {
        interval: opts.interval,
        timeout: opts.timeout,
        window_s: opts.window_s,
        backoff_max: opts.backoff_max,
        seed_interval: opts.seed_interval,
    }
}

/// Longest gap between two endpoints' first connections at start.
const START_STAGGER: Duration = Duration::from_millis(1);

/// When the `i`th of `n` endpoints first connects: one after another, at most
/// [`START_STAGGER`] apart and all within one probe interval. A thousand connects and
/// handshakes at one instant spike the CPU and hold every endpoint's setup replies in
/// memory at once (the allocator keeps that peak); ten endpoints start within 10 ms.
fn start_delay(i: usize, n: usize, interval: Duration) -> Duration {
    let step = START_STAGGER.min(interval / (n.max(1) as u32));
    step * (i as u32)
}

/// Starts probing `t` after `delay`, reporting into a fresh observation that starts as
/// `obs`.
fn spawn_probe(
    t: Target,
    obs: Observation,
    settings: &ProbeSettings,
    notify: &Arc<Notify>,
    delay: Duration,
) -> ProbeTask {
    let observation: SharedObservation = Arc::new(std::sync::Mutex::new(obs));
    let shared = Arc::clone(&observation);
    let n = Arc::clone(notify);
    let s = settings.clone();
    let target = t.clone();
    let task = tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match t.kind {
            EndpointKind::Seed => probe::run_seed(t, s, shared, n).await,
            EndpointKind::Node | EndpointKind::Lb => probe::run_node(t, s, shared, n).await,
        }
    });
    ProbeTask {
        target,
        task,
        observation,
    }
}

/// What differs between two targets of one name, in words for the event log.
fn what_changed(old: &Target, new: &Target, same_timing: bool) -> String {
    let mut what = Vec::new();
    if old.url != new.url {
        what.push(format!("url {} → {}", old.url, new.url));
    }
    if old.network != new.network {
        what.push(format!("network {} → {}", old.network, new.network));
    }
    if old.kind != new.kind {
        what.push("kind".to_string());
    }
    if old.chain_id != new.chain_id {
        what.push("chain id".to_string());
    }
    if old.credentials != new.credentials {
        what.push("login".to_string());
    }
    if old.ca_file != new.ca_file {
        what.push("ca_file".to_string());
    }
    if !same_timing {
        what.push("probe timing".to_string());
    }
    what.join(", ")
}

enum Command {
    Ack(String),
    Snooze(String, f64),
    Unsnooze(String),
    /// A new config's endpoints, rules and timing; see [`Engine::reconfigure`].
    Reconfigure(Box<Reconfig>),
}

/// What the aggregator takes over on a reconfigure.
struct Reconfig {
    observations: Vec<SharedObservation>,
    rules: Rules,
    interval: Duration,
    /// Endpoints probed afresh (changed) or gone: their held statuses go.
    forget: Vec<String>,
    /// Endpoints gone from the config.
    removed: Vec<String>,
    /// One event per endpoint added, changed or removed.
    events: Vec<Event>,
}

/// One endpoint's probe: what it probes, its task, what it reports into.
struct ProbeTask {
    target: Target,
    task: JoinHandle<()>,
    observation: SharedObservation,
}

/// What a reconfigure did, by endpoint name, in config order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconfigured {
    pub added: Vec<String>,
    /// In both configs, but probed differently (URL, login, chain id, probe timing):
    /// probed afresh, their history gone.
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// Unchanged: probes, history, alerts and statuses go on.
    pub kept: usize,
}

/// A running monitor. Dropping it stops every task.
pub struct Engine {
    snapshots: watch::Receiver<FleetSnapshot>,
    events: broadcast::Sender<Event>,
    /// Subscribed before any task started, handed to the first `events()` caller so it
    /// sees every event from the very first probe.
    first_events: std::sync::Mutex<Option<broadcast::Receiver<Event>>>,
    commands: mpsc::UnboundedSender<Command>,
    probes: Vec<ProbeTask>,
    settings: ProbeSettings,
    notify: Arc<Notify>,
    aggregator: Option<JoinHandle<Option<Recorder>>>,
}

impl Engine {
    /// Starts watching every endpoint of `config`. Needs a tokio runtime.
    pub fn start(config: &Config, opts: EngineOptions) -> Result<Engine, MonitorError> {
        let mut rules = rules(config);
        rules.clock_warn_s = opts.clock_warn_s;
        Engine::start_targets(targets(config), rules, opts)
    }

    /// Starts watching `targets` under `rules`.
    pub fn start_targets(
        targets: Vec<Target>,
        rules: Rules,
        opts: EngineOptions,
    ) -> Result<Engine, MonitorError> {
        let recorder = opts.record.as_deref().map(Recorder::create).transpose()?;
        let settings = probe_settings(&opts);
        let notify = Arc::new(Notify::new());
        // The first snapshot comes from the initial observations, before any task runs:
        // a probe that finished early must still produce its unknown → status event.
        let initial: Vec<Observation> = targets.iter().map(probe::initial_observation).collect();
        let first = rules::aggregate(unix_now(), &initial, &rules);
        let n = targets.len();
        let probes: Vec<ProbeTask> = targets
            .into_iter()
            .zip(initial)
            .enumerate()
            .map(|(i, (t, obs))| {
                let delay = start_delay(i, n, settings.interval);
                spawn_probe(t, obs, &settings, &notify, delay)
            })
            .collect();
        let observations = probes.iter().map(|p| Arc::clone(&p.observation)).collect();
        let (snap_tx, snap_rx) = watch::channel(first);
        let (ev_tx, first_events) = broadcast::channel(EVENT_QUEUE);
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        if let Some(r) = &recorder {
            r.write(
                unix_now(),
                &Record::Start {
                    format: FORMAT,
                    btsops: env!("CARGO_PKG_VERSION").to_string(),
                    probe_interval_ms: opts.interval.as_millis() as u64,
                },
            );
        }
        let agg = Aggregator {
            observations,
            notify: Arc::clone(&notify),
            rules,
            book: AlertBook::default(),
            hysteresis: Hysteresis::new((opts.interval * DWELL_PROBES).as_secs_f64()),
            snap_tx,
            ev_tx: ev_tx.clone(),
            recorder,
            interval: opts.interval,
            last_recorded: f64::MIN,
        };
        let aggregator = tokio::spawn(agg.run(cmd_rx));
        Ok(Engine {
            snapshots: snap_rx,
            events: ev_tx,
            first_events: std::sync::Mutex::new(Some(first_events)),
            commands: cmd_tx,
            probes,
            settings,
            notify,
            aggregator: Some(aggregator),
        })
    }

    /// Moves the engine to a new config without starting over: endpoints whose
    /// target and probe timing are unchanged keep their probe, its latency and
    /// availability window, their status and their alerts; changed ones are probed
    /// afresh; removed ones stop; new ones start. The recording, if any, goes on. Each
    /// added, changed or removed endpoint gets an event saying so.
    pub fn reconfigure(&mut self, config: &Config, opts: &EngineOptions) -> Reconfigured {
        let mut rules = rules(config);
        rules.clock_warn_s = opts.clock_warn_s;
        let settings = probe_settings(opts);
        // New timing changes what every probe measures: all start afresh.
        let same_timing = settings == self.settings;
        let mut old: Vec<Option<ProbeTask>> = std::mem::take(&mut self.probes)
            .into_iter()
            .map(Some)
            .collect();
        let prev = self.snapshot();
        let status_of = |name: &str| {
            prev.endpoint(name)
                .map_or(super::model::Status::Unknown, |e| e.status)
        };
        let now = unix_now();
        let mut done = Reconfigured::default();
        let mut events = Vec::new();
        let mut forget = Vec::new();
        for t in targets(config) {
            let slot = old
                .iter_mut()
                .find(|p| p.as_ref().is_some_and(|p| p.target.name == t.name));
            let kept = match slot {
                Some(slot) => match slot.take() {
                    Some(p) if same_timing && p.target == t => Some(p),
                    Some(p) => {
                        p.task.abort();
                        events.push(Event {
                            time: now,
                            endpoint: t.name.clone(),
                            network: t.network.clone(),
                            from: status_of(&t.name),
                            to: super::model::Status::Unknown,
                            reason: format!(
                                "config changed ({}): probed afresh",
                                what_changed(&p.target, &t, same_timing)
                            ),
                        });
                        forget.push(t.name.clone());
                        done.changed.push(t.name.clone());
                        None
                    }
                    None => None,
                },
                None => {
                    events.push(Event {
                        time: now,
                        endpoint: t.name.clone(),
                        network: t.network.clone(),
                        from: super::model::Status::Unknown,
                        to: super::model::Status::Unknown,
                        reason: "added to the config".into(),
                    });
                    done.added.push(t.name.clone());
                    None
                }
            };
            match kept {
                Some(p) => {
                    done.kept += 1;
                    self.probes.push(p);
                }
                None => {
                    let obs = probe::initial_observation(&t);
                    self.probes
                        .push(spawn_probe(t, obs, &settings, &self.notify, Duration::ZERO));
                }
            }
        }
        for p in old.into_iter().flatten() {
            p.task.abort();
            events.push(Event {
                time: now,
                endpoint: p.target.name.clone(),
                network: p.target.network.clone(),
                from: status_of(&p.target.name),
                to: super::model::Status::Unknown,
                reason: "removed from the config".into(),
            });
            forget.push(p.target.name.clone());
            done.removed.push(p.target.name);
        }
        self.settings = settings;
        let reconfig = Reconfig {
            observations: self
                .probes
                .iter()
                .map(|p| Arc::clone(&p.observation))
                .collect(),
            rules,
            interval: opts.interval,
            forget,
            removed: done.removed.clone(),
            events,
        };
        let _ = self.commands.send(Command::Reconfigure(Box::new(reconfig)));
        done
    }

    /// The snapshot channel: `borrow()` for the latest, `changed().await` to wait.
    pub fn snapshots(&self) -> watch::Receiver<FleetSnapshot> {
        self.snapshots.clone()
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> FleetSnapshot {
        self.snapshots.borrow().clone()
    }

    /// A receiver of status-change events. The first call gets every event since the
    /// engine started; later calls get events from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.first_events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| self.events.subscribe())
    }

    /// Acknowledges an alert by id; applied on the next aggregation.
    pub fn ack(&self, alert_id: &str) {
        let _ = self.commands.send(Command::Ack(alert_id.to_string()));
    }

    /// Hides an alert until `until` (unix seconds).
    pub fn snooze(&self, alert_id: &str, until: f64) {
        let _ = self
            .commands
            .send(Command::Snooze(alert_id.to_string(), until));
    }

    /// Shows a snoozed alert again.
    pub fn unsnooze(&self, alert_id: &str) {
        let _ = self.commands.send(Command::Unsnooze(alert_id.to_string()));
    }

    /// Waits until every endpoint has completed at least `rounds` probes (success or
    /// failure) after the call, or `deadline` passes; returns the latest snapshot.
    pub async fn wait_rounds(&self, rounds: u64, deadline: Duration) -> FleetSnapshot {
        let mut rx = self.snapshots();
        let base: Vec<u64> = rx.borrow().endpoints.iter().map(|e| e.probes).collect();
        let done = |s: &FleetSnapshot| {
            s.endpoints
                .iter()
                .zip(&base)
                .all(|(e, b)| e.probes >= b + rounds)
        };
        let wait = async {
            loop {
                if done(&rx.borrow_and_update()) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(deadline, wait).await;
        self.snapshot()
    }

    /// Stops every task and flushes the recording, if any, ignoring whether it was
    /// all written; a run that records uses [`Engine::finish`].
    pub async fn shutdown(self) {
        let _ = self.finish().await;
    }

    /// Stops every task and flushes the recording; an error when the recording lost
    /// lines (a full disk), with how many.
    pub async fn finish(mut self) -> Result<(), RecordError> {
        for p in &self.probes {
            p.task.abort();
        }
        let Some(a) = self.aggregator.take() else {
            return Ok(());
        };
        // Dropping the command sender ends the aggregator loop, which hands back the
        // recorder so its queue can be written out here rather than lost.
        let (tx, _) = mpsc::unbounded_channel();
        self.commands = tx;
        match a.await {
            Ok(Some(r)) => tokio::task::spawn_blocking(move || r.finish())
                .await
                .unwrap_or_else(|e| {
                    Err(RecordError::Io {
                        path: PathBuf::from("(recording)"),
                        source: std::io::Error::other(e.to_string()),
                    })
                }),
            _ => Ok(()),
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        for p in &self.probes {
            p.task.abort();
        }
        if let Some(a) = &self.aggregator {
            a.abort();
        }
    }
}

struct Aggregator {
    observations: Vec<SharedObservation>,
    notify: Arc<Notify>,
    rules: Rules,
    book: AlertBook,
    /// Statuses get better only after a dwell; events and alerts follow the held ones.
    hysteresis: Hysteresis,
    snap_tx: watch::Sender<FleetSnapshot>,
    ev_tx: broadcast::Sender<Event>,
    recorder: Option<Recorder>,
    interval: Duration,
    last_recorded: f64,
}

impl Aggregator {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) -> Option<Recorder> {
        loop {
            // Coalesce bursts of probe reports: a 1,000-endpoint fleet reports ~2,000
            // times a second. A small fleet gets a snapshot every quarter interval; a big
            // one, whose snapshot costs more to build, proportionally fewer (one per
            // interval at 1,000). Computed each time: a reconfigure changes both.
            let scale = self.observations.len().div_ceil(250).max(1) as u32;
            let gap = (self.interval / 4 * scale).clamp(
                Duration::from_millis(20),
                self.interval.max(Duration::from_millis(20)),
            );
            tokio::select! {
                _ = self.notify.notified() => {
                    tokio::time::sleep(gap).await;
                }
                // Time alone changes lag against the wall clock: re-evaluate a node
                // that stopped reporting.
                _ = tokio::time::sleep(self.interval) => {}
                c = commands.recv() => match c {
                    Some(Command::Ack(id)) => { self.book.ack(&id); }
                    Some(Command::Snooze(id, until)) => { self.book.snooze(&id, until); }
                    Some(Command::Unsnooze(id)) => { self.book.unsnooze(&id); }
                    Some(Command::Reconfigure(r)) => { self.reconfigure(*r); }
                    None => {
                        self.step(true);
                        return self.recorder.take();
                    }
                },
            }
            self.step(false);
        }
    }

    fn reconfigure(&mut self, r: Reconfig) {
        self.observations = r.observations;
        self.rules = r.rules;
        if r.interval != self.interval {
            self.interval = r.interval;
            self.hysteresis = Hysteresis::new((r.interval * DWELL_PROBES).as_secs_f64());
        }
        for name in &r.forget {
            self.hysteresis.forget(name);
        }
        // The events below say what happened to these endpoints; the snapshot they
        // are compared with must not say it again as a status change.
        self.snap_tx.send_if_modified(|prev| {
            prev.endpoints.retain(|e| !r.removed.contains(&e.name));
            for e in &mut prev.endpoints {
                if r.forget.contains(&e.name) {
                    e.status = super::model::Status::Unknown;
                }
            }
            false
        });
        for e in r.events {
            if let Some(rec) = &self.recorder {
                rec.write(e.time, &Record::Event(e.clone()));
            }
            let _ = self.ev_tx.send(e);
        }
    }

    fn step(&mut self, last: bool) {
        let now = unix_now();
        // Read the observations in place: cloning a thousand of them four times a
        // second was most of the engine's CPU. Probe tasks wait for these locks only
        // while one snapshot is built.
        let mut snap = {
            let obs: Vec<std::sync::MutexGuard<'_, Observation>> =
                self.observations.iter().map(probe::lock).collect();
            let refs: Vec<&Observation> = obs.iter().map(|r| &**r).collect();
            rules::aggregate(now, &refs, &self.rules)
        };
        self.hysteresis.apply(now, &mut snap);
        let events = {
            let prev = self.snap_tx.borrow();
            snap.seq = prev.seq + 1;
            rules::status_events(&prev, &snap)
        };
        self.book.update(now, &conditions(&snap));
        snap.alerts = self.book.list();
        if let Some(r) = &self.recorder {
            for e in &events {
                r.write(e.time, &Record::Event(e.clone()));
            }
            if last || !events.is_empty() || now - self.last_recorded >= self.interval.as_secs_f64()
            {
                self.last_recorded = now;
                r.write(now, &Record::Snapshot(snap.clone()));
            }
        }
        for e in events {
            let _ = self.ev_tx.send(e);
        }
        self.snap_tx.send_replace(snap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_connections_are_staggered_within_one_interval() {
        let second = Duration::from_secs(1);
        assert_eq!(start_delay(0, 10, second), Duration::ZERO);
        assert_eq!(start_delay(9, 10, second), Duration::from_millis(9));
        assert_eq!(start_delay(999, 1000, second), Duration::from_millis(999));
        // More endpoints than milliseconds in the interval: closer together, still within it.
        let last = start_delay(99_999, 100_000, second);
        assert!(last < second && last > second / 2, "{last:?}");
        assert!(start_delay(3, 4, Duration::from_millis(2)) < Duration::from_millis(2));
    }

    #[test]
    fn targets_in_config_order_with_ws_urls() {
        let text = r#"
[[network]]
name = "main"
role = "mainnet"
chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8"
prefix = "BTS"
  [[network.node]]
  name = "a"
  url = "http://127.0.0.1:8090"
  [[network.node]]
  name = "b"
  url = "https://node.example.org/ws"
  [[network.seed]]
  name = "s"
  addr = "127.0.0.1:1776"
[[lb]]
name = "lb"
network = "main"
public_url = "wss://api.example.org/ws"
runtime_api = "tcp:127.0.0.1:9999"
backend = "bts"
[[lb]]
name = "lb-private"
network = "main"
runtime_api = "tcp:127.0.0.1:9998"
backend = "bts"
"#;
        let cfg = crate::config::parse(std::path::Path::new("t.toml"), text).unwrap();
        let t = targets(&cfg);
        let names: Vec<(&str, EndpointKind, &str)> = t
            .iter()
            .map(|t| (t.name.as_str(), t.kind, t.url.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a", EndpointKind::Node, "ws://127.0.0.1:8090/"),
                ("b", EndpointKind::Node, "wss://node.example.org/ws"),
                ("s", EndpointKind::Seed, "127.0.0.1:1776"),
                ("lb", EndpointKind::Lb, "wss://api.example.org/ws"),
            ]
        );
        assert!(t.iter().all(|t| t.chain_id.len() == 64));
    }
}
