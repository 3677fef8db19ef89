//! The console on a running monitor engine: engine output forwarded into the run
//! loop's feed, the console's effects carried out on the engine.

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::alert_command::{self, ALERT_COMMAND_TIMEOUT, ALERT_LIMITS, AlertJob};
use super::app::{App, Effect, Msg};
use super::stress_task::{self, StressTask};
use super::terminal::{self, Options, TuiError};
use super::{faucet_task, ops_task};
use crate::config::Config;
use crate::monitor::engine::{Engine, EngineOptions};
use crate::monitor::{EndpointKind, FleetSnapshot};
use crate::text;

pub use super::alert_command::run_alert_command;

/// Feed depth: snapshots come from a watch channel (only the newest matters) and
/// events are few, so a short queue only ever waits on a busy UI, never loses state.
const FEED: usize = 256;

/// Starts the engine on `config` and runs the console on it until the operator
/// quits; then stops the engine (flushing its recording).
pub async fn run(
    app: App,
    config: Config,
    engine_opts: EngineOptions,
    opts: Options,
) -> Result<App, TuiError> {
    run_with_feed(app, config, engine_opts, opts, feed()).await
}

/// A feed channel for `run_with_feed`: keep a clone of the sender to put your own
/// messages (notices) on the screen beside the engine's.
pub fn feed() -> (mpsc::Sender<Msg>, mpsc::Receiver<Msg>) {
    mpsc::channel(FEED)
}

/// As `run`, on a feed the caller also writes to.
pub async fn run_with_feed(
    mut app: App,
    config: Config,
    engine_opts: EngineOptions,
    opts: Options,
    (tx, rx): (mpsc::Sender<Msg>, mpsc::Receiver<Msg>),
) -> Result<App, TuiError> {
    terminal::require_tty()?;
    // The LBs and safety settings of this config, whoever built the app.
    app.configure(&config);
    if app.stress.data_dir.is_none() {
        app.stress.data_dir = crate::stress::keys::data_dir();
    }
    let engine =
        Engine::start(&config, engine_opts).map_err(|e| TuiError::Engine(e.to_string()))?;
    let (etx, erx) = mpsc::unbounded_channel();
    let (result, engine) = tokio::join!(
        terminal::run(app, rx, etx, opts),
        drive(engine, config, tx, erx)
    );
    // Flushed, and a recording that lost lines (a full disk) is said, not dropped.
    let recorded = engine.finish().await;
    let app = result?;
    recorded.map_err(|e| TuiError::Engine(format!("--record: {e}")))?;
    Ok(app)
}

/// Carries out the console's effects until it closes its effect channel; returns
/// the engine in use then.
async fn drive(
    mut engine: Engine,
    mut config: Config,
    tx: mpsc::Sender<Msg>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) -> Engine {
    let forwards = forward(&engine, tx.clone());
    let mut lbs = LbTasks::start(&config, tx.clone());
    let mut stress = StressTask::new(crate::audit::state_dir());
    load_stress_plan(&config, None, &tx).await;
    // One dispatcher for the session, so the rate limit spans config reloads.
    let (alerts, dispatcher) =
        alert_command::spawn_dispatcher(ALERT_LIMITS, ALERT_COMMAND_TIMEOUT, tx.clone());
    while let Some(e) = effects.recv().await {
        if stress.handle(&e, &config, &tx).await {
            continue;
        }
        match e {
            Effect::Ack(id) => engine.ack(&id),
            Effect::Snooze { id, until } => engine.snooze(&id, until),
            Effect::Unsnooze(id) => engine.unsnooze(&id),
            Effect::FetchRaw(name) => {
                tokio::spawn(fetch_raw(
                    config.clone(),
                    engine.snapshot(),
                    name,
                    tx.clone(),
                ));
            }
            // The engine moves to the new config in place: unchanged endpoints keep
            // their probes, history, statuses and alerts (and the recording goes on);
            // the console forgets the history of the others.
            Effect::ApplyConfig(c) => {
                let opts = EngineOptions::from_config(&c.monitor);
                let done = engine.reconfigure(&c, &opts);
                let old = std::mem::replace(&mut config, *c);
                load_stress_plan(&config, Some(&old), &tx).await;
                lbs.stop();
                lbs = LbTasks::start(&config, tx.clone());
                let _ = tx.send(Msg::Reconfigured(Box::new(done))).await;
            }
            Effect::AlertRaised(a) => {
                if !config.ui.alert_command.is_empty() {
                    let _ = alerts.send(AlertJob {
                        command: config.ui.alert_command.clone(),
                        alert: a,
                    });
                }
            }
            Effect::FaucetRefresh => match &lbs.faucet_read {
                Some(n) => n.notify_one(),
                None => {
                    let _ = tx
                        .send(Msg::Notice {
                            text: "no [faucet] in the config: nothing to read".into(),
                            error: true,
                        })
                        .await;
                }
            },
            Effect::Action(plan) => {
                // (A stress start went to the stress task above.)
                if lbs.ops.send(*plan).is_err() {
                    let _ = tx
                        .send(Msg::Notice {
                            text: "the ops task has stopped: action not sent".into(),
                            error: true,
                        })
                        .await;
                }
            }
            // The run loop carries out the rest itself; nothing replays here.
            Effect::Quit
            | Effect::FullRedraw
            | Effect::Reload
            | Effect::Copy(_)
            | Effect::SaveMarks(_)
            | Effect::Replay(_)
            | Effect::LoadStressPlan(_)
            | Effect::StopStress(_) => {}
        }
    }
    // Quitting stops a stress run; its report and audit line are still written.
    stress.finish("the console quit").await;
    for f in forwards {
        f.abort();
    }
    lbs.stop();
    // Commands still running are killed on drop; a summary still owed is not sent
    // (the operator is quitting the console that would show it).
    drop(alerts);
    dispatcher.abort();
    engine
}

/// Reads `stress.plan` into the stress pane: at start, and after a reload that names
/// another plan.
async fn load_stress_plan(config: &Config, old: Option<&Config>, tx: &mpsc::Sender<Msg>) {
    let plan_of = |c: &Config| c.stress.as_ref().and_then(|s| s.plan.clone());
    let Some(path) = plan_of(config) else {
        return;
    };
    if old.is_some_and(|o| plan_of(o).as_ref() == Some(&path)) {
        return;
    }
    let _ = tx.send(stress_task::load_plan(&path)).await;
}

/// The LB pollers, the faucet's reader and the ops task of one config.
struct LbTasks {
    ops: mpsc::UnboundedSender<super::ops::Plan>,
    /// Wakes the faucet's reader (`r` in its pane); `None` without `[faucet]`.
    faucet_read: Option<std::sync::Arc<tokio::sync::Notify>>,
    tasks: Vec<JoinHandle<()>>,
}

impl LbTasks {
    fn start(config: &Config, tx: mpsc::Sender<Msg>) -> LbTasks {
        let clients = ops_task::LbClients::new(config);
        let interval = std::time::Duration::from_millis(config.monitor.probe_interval_ms.max(100));
        let mut tasks = ops_task::spawn_pollers(&clients, interval, tx.clone());
        let cache_dir = crate::faucet::cache::cache_dir();
        let faucet_read = faucet_task::spawn_reader(
            config.clone(),
            cache_dir.clone(),
            faucet_task::READ_PERIOD,
            tx.clone(),
        )
        .map(|(notify, task)| {
            tasks.push(task);
            notify
        });
        let opts = ops_task::OpsOptions {
            faucet: faucet_task::FaucetSetup::from_config(config, cache_dir),
            ..ops_task::OpsOptions::default()
        };
        let (ops, task) = ops_task::spawn_ops(clients, opts, tx);
        tasks.push(task);
        LbTasks {
            ops,
            faucet_read,
            tasks,
        }
    }

    /// Stops polling; an action under way is cut short (its audit line may be missing
    /// only if the console quits or reloads mid-action).
    fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

fn forward(engine: &Engine, tx: mpsc::Sender<Msg>) -> Vec<JoinHandle<()>> {
    let mut snaps = engine.snapshots();
    let snap_tx = tx.clone();
    let snapshots = tokio::spawn(async move {
        loop {
            let s = snaps.borrow_and_update().clone();
            if snap_tx.send(Msg::Snapshot(Box::new(s))).await.is_err() {
                break;
            }
            if snaps.changed().await.is_err() {
                break;
            }
        }
    });
    let mut events = engine.events();
    let events = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if tx.send(Msg::Event(e)).await.is_err() {
                        break;
                    }
                }
                // Fell behind: the snapshots still carry every status; go on.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    vec![snapshots, events]
}

/// Longest raw reply shown; a real one is about a kilobyte.
const RAW_REPLY_CHARS: usize = 64 * 1024;

/// Asks the endpoint for its dynamic global properties on a fresh connection and
/// shows that reply verbatim: the engine keeps parsed values, not raw replies.
async fn fetch_raw(config: Config, snap: FleetSnapshot, name: String, tx: mpsc::Sender<Msg>) {
    let text = match raw_reply(&config, &snap, &name).await {
        Ok(t) => t,
        Err(e) => format!("no reply: {}", text::node_text(&e)),
    };
    let _ = tx
        .send(Msg::RawReply {
            endpoint: name,
            text,
        })
        .await;
}

async fn raw_reply(config: &Config, snap: &FleetSnapshot, name: &str) -> Result<String, String> {
    let e = snap
        .endpoint(name)
        .ok_or_else(|| format!("{name} is not in the fleet"))?;
    if e.kind == EndpointKind::Seed {
        return Err("seed nodes speak P2P, not JSON-RPC: there is no reply to show".into());
    }
    let target = crate::monitor::engine::targets(config)
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("{name} is not in the config"))?;
    let credentials = match &target.credentials {
        Some(c) => Some(crate::rpc::Credentials::new(c.user.clone(), c.password()?)),
        None => None,
    };
    let opts = crate::rpc::ConnectOptions {
        timeout: std::time::Duration::from_millis(config.monitor.timeout_ms),
        credentials,
        ca_file: target.ca_file.clone(),
        ..Default::default()
    };
    let client = crate::rpc::RpcClient::connect(&target.url, opts)
        .await
        .map_err(|e| e.to_string())?;
    let reply = client
        .call(
            crate::rpc::Api::Database,
            "get_dynamic_global_properties",
            serde_json::json!([]),
        )
        .await
        .map_err(|e| e.to_string());
    client.close().await;
    let v = reply?;
    let body = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
    // JSON escapes C0 controls but not C1 ones or bidi overrides: clean it as any
    // node text, keeping its lines.
    Ok(format!(
        "get_dynamic_global_properties →\n{}",
        text::sanitize_lines(&body, RAW_REPLY_CHARS)
    ))
}
