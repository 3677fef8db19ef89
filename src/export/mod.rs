//! `btsops export`: the monitor headless, its knowledge served to a monitoring stack.
//!
//! - [`metrics`]: the Prometheus metrics of one scrape (pure) and the latency
//!   histograms fed from snapshots.
//! - [`nodes`]: `/nodes.json`, the healthy public nodes in the wallet's list shape (pure).
//! - here: the running exporter: the tasks that read load balancers and faucet KPIs
//!   and feed the histograms, and the routes the exposition server answers.

pub mod metrics;
pub mod nodes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::exposition::{self, Reply};
use crate::lb::{Client, Endpoint};
use crate::monitor::{Engine, FleetSnapshot};

use metrics::{FaucetReading, LatencyFeed, LbReading, Lend, Sources};
use prometheus_client::registry::Registry;

/// How often the faucet's KPIs are read: each read walks the registrar's new history,
/// and registrations move in minutes, not seconds.
pub const FAUCET_INTERVAL: Duration = Duration::from_secs(60);
/// A load balancer's runtime API answers in milliseconds; a hung one is cut here.
const LB_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the routes read, shared with the tasks that keep it fresh.
struct Shared {
    config: Config,
    snapshots: watch::Receiver<FleetSnapshot>,
    latency: Mutex<LatencyFeed>,
    lbs: Mutex<Vec<LbReading>>,
    faucet: Mutex<Option<FaucetReading>>,
    /// `/healthz` fails when the newest snapshot is older than this.
    stale_after_s: f64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running exporter; dropping it stops its tasks (not the engine it reads).
pub struct Exporter {
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Exporter {
    /// Serves `engine`'s fleet on `listener`. Needs a tokio runtime.
    pub fn start(
        config: &Config,
        engine: &Engine,
        listener: TcpListener,
    ) -> std::io::Result<Exporter> {
        let addr = listener.local_addr()?;
        let interval = Duration::from_millis(config.monitor.probe_interval_ms.max(100));
        let shared = Arc::new(Shared {
            config: config.clone(),
            snapshots: engine.snapshots(),
            latency: Mutex::new(LatencyFeed::default()),
            lbs: Mutex::new(
                config
                    .lbs
                    .iter()
                    .map(|l| LbReading {
                        name: l.name.clone(),
                        network: l.network.clone(),
                        backend: l.backend.clone(),
                        last: None,
                    })
                    .collect(),
            ),
            faucet: Mutex::new(config.faucet.as_ref().map(|f| FaucetReading {
                network: f.network.clone(),
                registrar: f.registrar.clone(),
                last: None,
                reachable: false,
                read_at: None,
            })),
            // Three probe intervals, and never less than the aggregator's own beat.
            stale_after_s: (interval * 3).as_secs_f64().max(5.0),
        });
        let mut tasks = vec![tokio::spawn(feed_latency(Arc::clone(&shared)))];
        for (i, l) in config.lbs.iter().enumerate() {
            let client = Client::new(Endpoint::from(&l.runtime_api), LB_CALL_TIMEOUT);
            tasks.push(tokio::spawn(poll_lb(
                Arc::clone(&shared),
                i,
                client,
                interval,
            )));
        }
        if config.faucet.is_some() {
            tasks.push(tokio::spawn(poll_faucet(Arc::clone(&shared))));
        }
        let registry = metrics::registry(Arc::clone(&shared));
        let route_state = Arc::clone(&shared);
        let route: exposition::Route =
            Arc::new(move |path, query| route(&route_state, &registry, path, query));
        tasks.push(tokio::spawn(exposition::serve(
            listener,
            route,
            std::future::pending(),
        )));
        Ok(Exporter { addr, tasks })
    }

    /// The address it serves on (the port the OS picked for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A scrape reads the live state in place. The locks are held for one encoding; the
/// runtime has one thread, so nothing waits on them meanwhile.
impl Lend for Shared {
    fn lend(&self, scrape: &mut dyn FnMut(&Sources<'_>) -> std::fmt::Result) -> std::fmt::Result {
        let snap = self.snapshots.borrow();
        let latency = lock(&self.latency);
        let lbs = lock(&self.lbs);
        let faucet = lock(&self.faucet);
        scrape(&Sources {
            snap: &snap,
            latency: &latency,
            lbs: &lbs,
            faucet: faucet.as_ref(),
        })
    }
}

fn route(s: &Shared, registry: &Registry, path: &str, query: Option<&str>) -> Reply {
    match path {
        "/metrics" => Reply::ok(
            exposition::METRICS_CONTENT_TYPE,
            exposition::encode(registry),
        ),
        "/nodes.json" => {
            let network =
                query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("network=")));
            let list = nodes::public_nodes(&s.config, &s.snapshots.borrow(), network);
            match serde_json::to_string_pretty(&list) {
                Ok(body) => Reply::ok(exposition::JSON_CONTENT_TYPE, body + "\n"),
                Err(e) => Reply {
                    status: 500,
                    content_type: exposition::TEXT_CONTENT_TYPE,
                    body: format!("encoding the node list: {e}\n"),
                },
            }
        }
        "/healthz" => {
            let age = crate::monitor::probe::unix_now() - s.snapshots.borrow().time;
            if age <= s.stale_after_s {
                Reply::ok(exposition::TEXT_CONTENT_TYPE, "ok\n".into())
            } else {
                Reply {
                    status: 503,
                    content_type: exposition::TEXT_CONTENT_TYPE,
                    body: format!("monitor stalled: newest snapshot is {age:.0} s old\n"),
                }
            }
        }
        "/" => Reply::ok(
            exposition::TEXT_CONTENT_TYPE,
            "btsops exporter: /metrics /nodes.json /healthz\n".into(),
        ),
        _ => Reply::not_found(),
    }
}

/// Feeds every snapshot's new probe latencies into the histograms.
async fn feed_latency(s: Arc<Shared>) {
    let mut rx = s.snapshots.clone();
    loop {
        {
            let snap = rx.borrow_and_update();
            lock(&s.latency).observe(&snap);
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Reads load balancer `i` every `interval`; a slow one delays only itself.
async fn poll_lb(s: Arc<Shared>, i: usize, client: Client, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let read = client.snapshot().await.map_err(|e| e.to_string());
        if let Some(r) = lock(&s.lbs).get_mut(i) {
            r.last = Some(read);
        }
    }
}

/// Reads the faucet's KPIs every [`FAUCET_INTERVAL`].
async fn poll_faucet(s: Arc<Shared>) {
    let mut tick = tokio::time::interval(FAUCET_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let read = crate::cmd::faucet::collect(&s.config).await;
        let mut f = lock(&s.faucet);
        let Some(f) = f.as_mut() else { return };
        match read {
            Ok(stats) => {
                f.reachable = stats.probe.reachable;
                f.last = Some(Ok(stats.kpis));
                f.read_at = Some(crate::monitor::probe::unix_now());
            }
            Err(e) => {
                // The read stopped before the faucet was probed: not known to answer.
                f.reachable = false;
                f.last = Some(Err(e.to_string()));
            }
        }
    }
}
