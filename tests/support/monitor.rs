//! A simnet fleet and a btsops config pointing at it, for monitor and `check` tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use btsops::config::{self, Config};
use btsops::monitor::{EndpointSnapshot, Engine, EngineOptions, FleetSnapshot, Record};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};

pub const CHAIN_ID: &str = btsops::simnet::chain_state::MAINNET_CHAIN_ID;

pub fn fleet_toml() -> String {
    format!(
        r#"
[[network]]
name = "mainnet"
chain_id = "{CHAIN_ID}"
block_interval = 1

  [[network.node]]
  name = "a"
  info = "node a, ops@example.org"

  [[network.node]]
  name = "b"

  [[network.node]]
  name = "lagging"
  lag_blocks = 3

  [[network.node]]
  name = "victim"

  [[network.node]]
  name = "ops"
    [[network.node.user]]
    name = "ops"
    password = "secret"
    apis = ["database_api", "network_broadcast_api", "history_api", "network_node_api"]

  [[network.seed]]
  name = "seed-1"
"#
    )
}

pub async fn start_fleet() -> FleetHandle {
    let desc = FleetDescription::from_toml(&fleet_toml()).expect("fleet parses");
    Fleet::start(&desc).await.expect("fleet starts")
}

/// Monitor settings for tests: quick probes, short window, thresholds in whole blocks of
/// the 1 s test chain.
pub const MONITOR: &str = r#"
[monitor]
probe_interval_ms = 400
timeout_ms = 1000
window_s = 4
clock_warn_s = 5.0
seed_interval_ms = 400
"#;

/// A config watching the named nodes and seeds of the fleet.
pub fn config_text(fleet: &FleetHandle, nodes: &[&str], seeds: &[&str]) -> String {
    let mut t = String::from(MONITOR);
    t.push_str(&format!(
        r#"
[[network]]
name = "mainnet"
role = "mainnet"
chain_id = "{CHAIN_ID}"
prefix = "BTS"
lag_warn_s = 4
lag_crit_s = 8
lag_warn_blocks = 2
lag_crit_blocks = 6
latency_warn_ms = 800
latency_crit_ms = 2000
availability_warn_pct = 40
availability_crit_pct = 10
"#
    ));
    for n in nodes {
        let e = fleet.endpoint("mainnet", n).expect("node exists");
        t.push_str(&node_entry(n, &e.url));
    }
    for s in seeds {
        let e = fleet.endpoint("mainnet", s).expect("seed exists");
        t.push_str(&format!(
            "\n  [[network.seed]]\n  name = \"{s}\"\n  addr = \"{}\"\n",
            e.addr
        ));
    }
    t
}

/// A `[[network.node]]` table to append to a config's last network.
pub fn node_entry(name: &str, url: &str) -> String {
    format!("\n  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n")
}

pub fn parse(text: &str) -> Config {
    config::parse(Path::new("monitor-test.toml"), text).expect("test config is valid")
}

pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(&p, text).expect("write config");
    p
}

pub fn start_engine(cfg: &Config) -> Engine {
    Engine::start(cfg, EngineOptions::from_config(&cfg.monitor)).expect("engine starts")
}

pub fn ep<'a>(s: &'a FleetSnapshot, name: &str) -> &'a EndpointSnapshot {
    s.endpoint(name).expect("endpoint in snapshot")
}

/// The events received so far, without waiting.
pub fn drain(
    rx: &mut tokio::sync::broadcast::Receiver<btsops::monitor::Event>,
) -> Vec<btsops::monitor::Event> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

/// Waits (bounded) for a snapshot satisfying `pred`; panics with the last one if none.
pub async fn wait_for(
    engine: &Engine,
    what: &str,
    limit: Duration,
    pred: impl Fn(&FleetSnapshot) -> bool,
) -> FleetSnapshot {
    let mut rx = engine.snapshots();
    let deadline = Instant::now() + limit;
    loop {
        {
            let s = rx.borrow_and_update();
            if pred(&s) {
                return s.clone();
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tokio::time::timeout(left, rx.changed()).await.is_err() {
            let s = rx.borrow().clone();
            panic!(
                "timed out waiting for {what}; last snapshot:\n{}",
                serde_json::to_string_pretty(&s.endpoints).unwrap_or_default()
            );
        }
    }
}

/// A websocket proxy on loopback in front of `upstream` that passes every text frame it
/// relays towards the client (replies and notices) through `rewrite` as JSON: a hostile
/// node made from an honest one. Returns its `ws://` URL.
pub async fn rewriting_proxy(
    upstream: String,
    rewrite: impl Fn(&mut serde_json::Value) + Send + Sync + 'static,
) -> String {
    use futures_util::{SinkExt, StreamExt};
    use std::sync::Arc;
    use tokio_tungstenite::tungstenite::Message;

    let rewrite = Arc::new(rewrite);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let port = l.local_addr().expect("proxy address").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = l.accept().await {
            let upstream = upstream.clone();
            let rewrite = Arc::clone(&rewrite);
            tokio::spawn(async move {
                let Ok(down) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let Ok((up, _)) = tokio_tungstenite::connect_async(upstream.as_str()).await else {
                    return;
                };
                let (mut down_tx, mut down_rx) = down.split();
                let (mut up_tx, mut up_rx) = up.split();
                let to_up = async {
                    while let Some(Ok(m)) = down_rx.next().await {
                        if up_tx.send(m).await.is_err() {
                            break;
                        }
                    }
                };
                let to_down = async {
                    while let Some(Ok(m)) = up_rx.next().await {
                        let m = match m {
                            Message::Text(t) => match serde_json::from_str::<serde_json::Value>(&t)
                            {
                                Ok(mut v) => {
                                    rewrite(&mut v);
                                    Message::text(v.to_string())
                                }
                                Err(_) => Message::Text(t),
                            },
                            other => other,
                        };
                        if down_tx.send(m).await.is_err() {
                            break;
                        }
                    }
                };
                tokio::select! { _ = to_up => {}, _ = to_down => {} }
            });
        }
    });
    format!("ws://127.0.0.1:{port}")
}

/// Calls `f` on every dynamic-global-properties object (`"id": "2.1.0"`) inside `v`.
pub fn each_dgp(
    v: &mut serde_json::Value,
    f: &impl Fn(&mut serde_json::Map<String, serde_json::Value>),
) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("id").and_then(|i| i.as_str()) == Some("2.1.0") {
                f(m);
            }
            m.values_mut().for_each(|x| each_dgp(x, f));
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| each_dgp(x, f)),
        _ => {}
    }
}

/// A chain time string (`2026-12-06T10:00:00`) moved by `by_s` seconds, or set to
/// `to_unix` when given.
pub fn chain_time(s: &str, by_s: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let t = time::PrimitiveDateTime::parse(s, f).expect("simnet sends chain times");
    (t + time::Duration::seconds(by_s))
        .format(f)
        .expect("format chain time")
}

/// A proxy whose head block time is moved by `by_s` seconds (a node with a bad clock,
/// or one lying about its head time).
pub async fn time_shifting_proxy(upstream: String, by_s: i64) -> String {
    rewriting_proxy(upstream, move |v| {
        each_dgp(v, &|m| {
            if let Some(t) = m.get("time").and_then(|t| t.as_str()) {
                let moved = chain_time(t, by_s);
                m.insert("time".into(), moved.into());
            }
        })
    })
    .await
}

/// Runs a child process to completion, killing it and failing the test if it is still
/// running after `limit`. Its output is read on threads meanwhile, so a chatty child
/// never blocks on a full pipe.
pub fn output_within(cmd: &mut std::process::Command, limit: Duration) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    fn drain(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for child") {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let Some(status) = status else {
        panic!(
            "child still running after {limit:?}, killed; stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs `btsops ARGS` (with `envs` set) to its end and returns (exit code, stdout,
/// stderr); kills it and panics if it is still running after `limit`.
pub fn run_btsops<I, S>(
    args: I,
    envs: &[(&str, &str)],
    limit: Duration,
) -> (Option<i32>, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_btsops"));
    cmd.args(args).envs(envs.iter().copied());
    let out = output_within(&mut cmd, limit);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The last snapshot among a recording's records.
pub fn last_snapshot(records: &[(f64, Record)]) -> &FleetSnapshot {
    records
        .iter()
        .rev()
        .find_map(|(_, r)| match r {
            Record::Snapshot(s) => Some(s),
            _ => None,
        })
        .expect("a snapshot in the recording")
}
