//! A simnet fleet and a btsops config pointing at it, for monitor and `check` tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use btsops::config::{self, Config};
use btsops::monitor::{EndpointSnapshot, Engine, EngineOptions, FleetSnapshot};
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
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn btsops");
    // Read both pipes meanwhile, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for btsops") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("btsops still running after {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    (status.code(), stdout, stderr)
}
