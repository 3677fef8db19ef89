//! The console on a running monitor engine: engine output forwarded into the run
//! loop's feed, the console's effects carried out on the engine.

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::app::{App, Effect, Msg};
use super::terminal::{self, Options, TuiError};
use crate::config::Config;
use crate::monitor::engine::{Engine, EngineOptions};
use crate::monitor::{Alert, EndpointKind, FleetSnapshot};

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
    app: App,
    config: Config,
    engine_opts: EngineOptions,
    opts: Options,
    (tx, rx): (mpsc::Sender<Msg>, mpsc::Receiver<Msg>),
) -> Result<App, TuiError> {
    terminal::require_tty()?;
    let engine =
        Engine::start(&config, engine_opts).map_err(|e| TuiError::Engine(e.to_string()))?;
    let (etx, erx) = mpsc::unbounded_channel();
    let (result, engine) = tokio::join!(
        terminal::run(app, rx, etx, opts),
        drive(engine, config, tx, erx)
    );
    engine.shutdown().await;
    result
}

/// Carries out the console's effects until it closes its effect channel; returns
/// the engine in use then.
async fn drive(
    mut engine: Engine,
    mut config: Config,
    tx: mpsc::Sender<Msg>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
) -> Engine {
    let mut forwards = forward(&engine, tx.clone());
    while let Some(e) = effects.recv().await {
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
            Effect::ApplyConfig(c) => {
                // A recording is written by the first engine only: a restarted one
                // would truncate it.
                let opts = EngineOptions::from_config(&c.monitor);
                match Engine::start(&c, opts) {
                    Ok(new) => {
                        for f in forwards.drain(..) {
                            f.abort();
                        }
                        std::mem::replace(&mut engine, new).shutdown().await;
                        forwards = forward(&engine, tx.clone());
                        config = *c;
                    }
                    Err(e) => {
                        let _ = tx
                            .send(Msg::Notice {
                                text: format!("monitor restart failed, old fleet kept: {e}"),
                                error: true,
                            })
                            .await;
                    }
                }
            }
            Effect::AlertRaised(a) => {
                if !config.ui.alert_command.is_empty() {
                    tokio::spawn(alert_command(
                        config.ui.alert_command.clone(),
                        a,
                        tx.clone(),
                    ));
                }
            }
            // The run loop carries out the rest itself; nothing replays here.
            Effect::Quit
            | Effect::FullRedraw
            | Effect::Reload
            | Effect::Copy(_)
            | Effect::SaveMarks(_)
            | Effect::Replay(_) => {}
        }
    }
    for f in forwards {
        f.abort();
    }
    engine
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

/// Asks the endpoint for its dynamic global properties on a fresh connection and
/// shows that reply verbatim: the engine keeps parsed values, not raw replies.
async fn fetch_raw(config: Config, snap: FleetSnapshot, name: String, tx: mpsc::Sender<Msg>) {
    let text = match raw_reply(&config, &snap, &name).await {
        Ok(t) => t,
        Err(e) => format!("no reply: {e}"),
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
    Ok(format!("get_dynamic_global_properties →\n{body}"))
}

/// How long `alert_command` may run before it is killed.
pub const ALERT_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `alert_command` for one alert: no shell (the message cannot inject
/// anything), no terminal (it must not draw over the console), a timeout.
async fn alert_command(cmd: Vec<String>, a: Alert, tx: mpsc::Sender<Msg>) {
    let problem = match run_alert_command(&cmd, &a, ALERT_COMMAND_TIMEOUT).await {
        Ok(()) => return,
        Err(e) => e,
    };
    let _ = tx
        .send(Msg::Notice {
            text: format!("alert_command: {problem}"),
            error: true,
        })
        .await;
}

/// Runs `cmd` with the alert's message as its last argument; `Err` says what went wrong.
pub async fn run_alert_command(
    cmd: &[String],
    a: &Alert,
    timeout: std::time::Duration,
) -> Result<(), String> {
    let (program, args) = cmd.split_first().ok_or("no program")?;
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .arg(&a.message)
        .env("BTSOPS_ALERT_ID", &a.id)
        .env("BTSOPS_ALERT_KIND", kind)
        .env("BTSOPS_ALERT_ENDPOINT", &a.endpoint)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{program} exited with {status}")),
        Ok(Err(e)) => Err(format!("{program}: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "{program} still running after {}s, killed",
                timeout.as_secs()
            ))
        }
    }
}
