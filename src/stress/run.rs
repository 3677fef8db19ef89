//! The engine: a [`Run`] handle (stop, per-second progress, the final report) and the
//! pieces both floods share: chain-id-checked connections, the open-loop pacer, the
//! side probe and the progress ticker.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::abort::Abort;
use super::keys;
use super::plan::{Effective, Kind, Plan};
use super::report::{self, Environment, Report};
use super::tally::Tally;
use super::targets::Target;
use crate::config::Network;
use crate::rpc::{self, ConnectOptions, RpcClient};

/// Everything a run needs, resolved and checked by the caller.
#[derive(Debug, Clone)]
pub struct Options {
    pub plan: Plan,
    pub effective: Effective,
    pub network: Network,
    pub targets: Vec<Target>,
    /// Transfer runs: the funder from the keys file.
    pub funder: Option<keys::Account>,
    /// Where the sender store lives.
    pub data_dir: PathBuf,
}

/// Sent once per second while the clock runs, and at phase changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Connecting, bootstrapping senders, waiting for inclusion...
    Phase(String),
    /// Totals so far, after `elapsed_s` seconds of load.
    Second {
        elapsed_s: u64,
        sent: u64,
        accepted: u64,
        rejected: u64,
        errors: u64,
        included: u64,
        /// Percentiles and failures so far, for live views.
        figures: Figures,
    },
}

/// What a live view shows beside the totals: latency percentiles so far and the
/// failures by class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Reply latency from the intended send time: p50, p95, p99 in µs.
    pub latency_us: Option<[u64; 3]>,
    /// Transfer runs: inclusion latency from the intended send time, p50, p95, p99 in µs.
    pub inclusion_us: Option<[u64; 3]>,
    /// Failed answers by class (rejections and no answers), largest class first.
    pub failed: Vec<(super::Class, u64)>,
}

impl Figures {
    /// The figures of a tally (a few histogram lookups: cheap once a second).
    pub fn of(t: &Tally) -> Figures {
        let q = |h: &hdrhistogram::Histogram<u64>| {
            (!h.is_empty()).then(|| {
                [
                    h.value_at_quantile(0.5),
                    h.value_at_quantile(0.95),
                    h.value_at_quantile(0.99),
                ]
            })
        };
        let mut failed: Vec<(super::Class, u64)> = t.failed.iter().map(|(c, n)| (*c, *n)).collect();
        failed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Figures {
            latency_us: q(&t.latency),
            inclusion_us: q(&t.inclusion),
            failed,
        }
    }
}

/// A running stress test.
pub struct Run {
    abort: Abort,
    /// Per-second progress; the run never blocks on a slow reader (old messages drop).
    pub progress: mpsc::Receiver<Progress>,
    task: JoinHandle<Report>,
}

impl Run {
    /// Starts the run on the current tokio runtime.
    pub fn start(opts: Options) -> Run {
        let abort = Abort::default();
        let (tx, rx) = mpsc::channel(64);
        let a = abort.clone();
        let task = tokio::spawn(async move { run(opts, a, tx).await });
        Run {
            abort,
            progress: rx,
            task,
        }
    }

    /// Stops at once: nothing more is sent; the report is still written.
    pub fn stop(&self, why: &str) {
        self.abort.trigger(why);
    }

    /// A handle that stops the run from elsewhere (a signal handler, a key).
    pub fn stopper(&self) -> Abort {
        self.abort.clone()
    }

    /// Waits for the end and returns the report.
    pub async fn finish(self) -> Result<Report, String> {
        self.task
            .await
            .map_err(|e| format!("the stress run task failed: {e}"))
    }
}

/// State shared by the tasks of one run.
pub(crate) struct Shared {
    pub tally: Mutex<Tally>,
    pub abort: Abort,
    pub progress: mpsc::Sender<Progress>,
    pub effective: Effective,
    /// When the load clock started (read on every request: no lock).
    pub start: OnceLock<Instant>,
}

impl Shared {
    pub fn tally(&self) -> MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn phase(&self, what: impl Into<String>) {
        let _ = self.progress.try_send(Progress::Phase(what.into()));
    }

    /// Seconds since the clock started, for the per-second series.
    pub fn second_of(&self, at: Instant) -> u64 {
        self.start
            .get()
            .map_or(0, |s| at.saturating_duration_since(*s).as_secs())
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.effective.timeout_ms)
    }
}

async fn run(opts: Options, abort: Abort, progress: mpsc::Sender<Progress>) -> Report {
    let names: Vec<String> = opts.targets.iter().map(|t| t.name.clone()).collect();
    let shared = Arc::new(Shared {
        tally: Mutex::new(Tally::new(&names)),
        abort: abort.clone(),
        progress,
        effective: opts.effective.clone(),
        start: OnceLock::new(),
    });
    let started_at = crate::audit::Entry::now("", "", "").time;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut env = Environment {
        btsops_version: env!("CARGO_PKG_VERSION").into(),
        network: opts.network.name.clone(),
        chain_id: opts.network.chain_id.clone(),
        started_at,
        cores,
        signer_threads: 0,
        pre_signed_ahead: 0,
        targets: opts
            .targets
            .iter()
            .map(|t| (t.name.clone(), crate::secrets::redact_userinfo(&t.url)))
            .collect(),
    };
    let outcome = match opts.effective.kind {
        Kind::Transfer => super::transfer::run(&opts, &shared, &mut env).await,
        Kind::Read => super::read::run(&opts, &shared).await,
    };
    if let Err(e) = outcome {
        abort.trigger(e);
    }
    let elapsed = shared
        .start
        .get()
        .map_or(0.0, |s| s.elapsed().as_secs_f64());
    let tally = shared.tally().clone();
    report::build(
        &opts.plan,
        &opts.effective,
        env,
        &tally,
        elapsed,
        abort.reason(),
    )
}

/// Connects to `target` and checks its live chain id before anything else is sent on
/// that connection. A wrong chain id stops the whole run: through a load balancer, one
/// connection can reach a backend of another chain.
pub(crate) async fn connect_checked(
    target: &Target,
    chain_id: &str,
    timeout: Duration,
    abort: &Abort,
) -> Result<RpcClient, String> {
    let credentials = match &target.credentials {
        Some(c) => Some(rpc::Credentials::new(c.user.clone(), c.password()?)),
        None => None,
    };
    let opts = ConnectOptions {
        timeout,
        credentials,
        ca_file: target.ca_file.clone(),
        ..ConnectOptions::default()
    };
    let client = RpcClient::connect(&target.url, opts)
        .await
        .map_err(|e| format!("{}: {e}", target.name))?;
    let live = client
        .get_chain_id()
        .await
        .map_err(|e| format!("{}: {e}", target.name))?;
    if !live.eq_ignore_ascii_case(chain_id) {
        let why = format!(
            "{} ({}) answers chain id {live}, not the {} chain id {chain_id}: nothing more is sent",
            target.name,
            crate::secrets::redact_userinfo(&target.url),
            "configured",
        );
        abort.trigger(why.clone());
        return Err(why);
    }
    Ok(client)
}

/// One connection per target, each chain-id checked. Targets that cannot be reached are
/// left out (and reported); a wrong chain id anywhere aborts.
pub(crate) async fn connect_all(
    targets: &[Target],
    chain_id: &str,
    shared: &Shared,
) -> Result<Vec<(String, RpcClient)>, String> {
    let tries = targets.iter().map(|t| async move {
        (
            t.name.clone(),
            connect_checked(t, chain_id, shared.timeout(), &shared.abort).await,
        )
    });
    let results = futures_util::future::join_all(tries).await;
    if let Some(why) = shared.abort.reason() {
        return Err(why);
    }
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for (name, r) in results {
        match r {
            Ok(c) => out.push((name, c)),
            Err(e) => failures.push(e),
        }
    }
    for f in &failures {
        shared.phase(format!("not used: {f}"));
    }
    if out.is_empty() {
        return Err(format!(
            "no target could be reached: {}",
            failures.join("; ")
        ));
    }
    Ok(out)
}

/// How far past the planned duration a late sender may go on.
const LATE_GRACE: Duration = Duration::from_secs(1);

/// Hands out send slots at the offered rate (open loop: slot i is due at start + i/rate,
/// whatever happened to earlier ones) until the total, the duration or a stop.
pub struct Pacer {
    start: Instant,
    interval: Duration,
    next: u64,
    total: u64,
    deadline: Instant,
}

impl Pacer {
    pub fn new(start: Instant, rate: u32, total: u64, duration: Duration) -> Pacer {
        Pacer {
            start,
            interval: Duration::from_secs(1) / rate.max(1),
            next: 0,
            total,
            deadline: start + duration,
        }
    }

    /// The next slot's index and intended send time, after waiting for it; `None` when
    /// the run is over.
    pub async fn next(&mut self, abort: &Abort) -> Option<(u64, Instant)> {
        if self.next >= self.total || abort.is_set() {
            return None;
        }
        let due = self.start + self.interval * u32::try_from(self.next).unwrap_or(u32::MAX);
        // The duration is wall-clock time too: a sender that fell behind (or a closed
        // loop waiting for answers) stops a moment after the deadline, slots unsent.
        if due >= self.deadline || now() >= self.deadline + LATE_GRACE {
            return None;
        }
        // A slot already due (a closed loop, or a sender behind) goes at once: no timer.
        if due > now() {
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = abort.wait() => return None,
            }
        }
        let i = self.next;
        self.next += 1;
        Some((i, due))
    }
}

/// The time on tokio's clock (the same as `Instant::now()` except in paused-time tests).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Every second: a progress message and the error-rate cap.
pub(crate) async fn ticker(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut elapsed = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.abort.wait() => return,
        }
        elapsed += 1;
        let (msg, rate) = {
            let t = shared.tally();
            (
                Progress::Second {
                    elapsed_s: elapsed,
                    sent: t.sent,
                    accepted: t.accepted,
                    rejected: t.rejected_total(),
                    errors: t.failed_total() - t.rejected_total(),
                    included: t.included,
                    figures: Figures::of(&t),
                },
                t.error_rate(),
            )
        };
        let _ = shared.progress.try_send(msg);
        if let Some(r) = rate.filter(|r| *r > shared.effective.max_error_rate) {
            shared.abort.trigger(format!(
                "error rate {:.1}% above stress.max_error_rate {:.1}%",
                r * 100.0,
                shared.effective.max_error_rate * 100.0
            ));
            return;
        }
    }
}

/// Every second per target: head and latency of `get_dynamic_global_properties` on the
/// loaded connection, so the figures are the ones a user sees under this load.
pub(crate) async fn probe(shared: Arc<Shared>, name: String, client: RpcClient) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.abort.wait() => return,
        }
        let t0 = Instant::now();
        let r =
            tokio::time::timeout(shared.timeout(), client.get_dynamic_global_properties()).await;
        let outcome = match r {
            Ok(Ok(d)) => Some((d.head_block_number, t0.elapsed().as_micros() as u64)),
            _ => None,
        };
        shared.tally().probed(&name, outcome);
    }
}

/// Marks the load clock's start.
pub(crate) fn start_clock(shared: &Shared) -> Instant {
    *shared.start.get_or_init(Instant::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_hands_out_slots_on_time_until_total_or_duration() {
        let start = now();
        let abort = Abort::default();
        let mut p = Pacer::new(start, 100, 1_000, Duration::from_secs(1));
        let mut n = 0;
        while let Some((i, due)) = p.next(&abort).await {
            assert_eq!(due, start + Duration::from_millis(10 * i));
            assert!(now() >= due);
            n += 1;
        }
        assert_eq!(n, 100, "the duration ends it");
        let mut p = Pacer::new(now(), 100, 7, Duration::from_secs(10));
        let mut n = 0;
        while p.next(&abort).await.is_some() {
            n += 1;
        }
        assert_eq!(n, 7, "the total ends it");
        abort.trigger("stop");
        let mut p = Pacer::new(now(), 100, 7, Duration::from_secs(10));
        assert!(p.next(&abort).await.is_none(), "a stop ends it");
    }
}
