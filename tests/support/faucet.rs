//! A simnet testnet with tapin-like faucets for the faucet tests, the btsops config that
//! points at it, and `btsops faucet ...` run as a process with a deadline.
//!
//! Faucets: `faucet` (registrar `faucet`, no IP window), `strict` (300 s per IP), `poor`
//! (a lifetime-member registrar holding 1 satoshi), `basic` (registrar nathan, not a
//! lifetime member).

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use btsops::rpc::{ConnectOptions, RpcClient};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};

use super::process::wait_within;
use super::simnet::DEV_WIF;

pub const NET: &str = "testnet";
pub const DEV_PUB_TEST: &str = "TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
pub const CHAIN_ID: &str = btsops::simnet::chain_state::TESTNET_CHAIN_ID;
/// Percent, as tapin's config has it.
pub const REFERRER_PERCENT: u16 = 50;
/// Each btsops run gets this long before it is killed and the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub fn fleet_toml() -> String {
    format!(
        r#"
[[network]]
name = "{NET}"
role = "testnet"
block_interval = 1

  [[network.account]]
  name = "faucet"
  owner_key = "{DEV_PUB_TEST}"
  lifetime_member = true
  balance = 100000000000

  [[network.account]]
  name = "nathan"
  owner_key = "{DEV_PUB_TEST}"
  balance = 5000000000000

  [[network.account]]
  name = "poor-reg"
  owner_key = "{DEV_PUB_TEST}"
  lifetime_member = true
  balance = 1

  [[network.node]]
  name = "a"

  [[network.faucet]]
  name = "faucet"
  registrar = "faucet"
  registrar_wif = "{DEV_WIF}"
  referrer_percent = {REFERRER_PERCENT}
  min_ip_age_s = 0

  [[network.faucet]]
  name = "strict"
  registrar = "faucet"
  registrar_wif = "{DEV_WIF}"

  [[network.faucet]]
  name = "poor"
  registrar = "poor-reg"
  registrar_wif = "{DEV_WIF}"
  min_ip_age_s = 0

  [[network.faucet]]
  name = "basic"
  registrar = "nathan"
  registrar_wif = "{DEV_WIF}"
  min_ip_age_s = 0
"#
    )
}

pub async fn start() -> FleetHandle {
    let desc = FleetDescription::from_toml(&fleet_toml()).expect("faucet fleet parses");
    Fleet::start(&desc).await.expect("faucet fleet starts")
}

pub fn url(fleet: &FleetHandle, name: &str) -> String {
    fleet
        .endpoint(NET, name)
        .expect("endpoint exists")
        .url
        .clone()
}

pub async fn connect(fleet: &FleetHandle) -> RpcClient {
    RpcClient::connect(&url(fleet, "a"), ConnectOptions::default())
        .await
        .expect("connect to simnet node")
}

pub fn client(fleet: &FleetHandle, faucet: &str) -> btsops::faucet::FaucetClient {
    let u = url::Url::parse(&url(fleet, faucet)).expect("faucet url");
    btsops::faucet::FaucetClient::new(&u, None, Duration::from_secs(10)).expect("faucet client")
}

/// Config knobs of [`write_config`].
#[derive(Default, Clone, Copy)]
pub struct ConfigOpts {
    pub read_only: bool,
    pub protected: bool,
}

/// A btsops config for the fleet's `faucet`, KPI targets around today.
pub fn write_config(dir: &Path, fleet: &FleetHandle, o: ConfigOpts) -> PathBuf {
    let today = time::OffsetDateTime::now_utc().date();
    let start = today - time::Duration::days(10);
    let end = today + time::Duration::days(20);
    let text = format!(
        r#"[ui]
read_only = {}

[[network]]
name = "{NET}"
role = "testnet"
protected = {}
chain_id = "{CHAIN_ID}"
prefix = "TEST"

  [[network.node]]
  name = "a"
  url = "{}"

[faucet]
network = "{NET}"
url = "{}"
registrar = "faucet"
target_accounts = 30
start_date = "{start}"
target_date = "{end}"
"#,
        o.read_only,
        o.protected,
        url(fleet, "a"),
        url(fleet, "faucet"),
    );
    let path = dir.join(format!("config-ro{}-prot{}.toml", o.read_only, o.protected));
    std::fs::write(&path, text).expect("write config");
    path
}

/// Output of one btsops run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs btsops with `stdin` fed in, the state and cache dirs under `dir`, within the
/// deadline. Blocking: call it from `spawn_blocking` in async tests.
pub fn btsops(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btsops"));
    cmd.args(args)
        .env_remove("BTSOPS_CONFIG")
        .env("HOME", "/nonexistent-btsops-home")
        .env("BTSOPS_STATE_DIR", dir.join("state"))
        .env("BTSOPS_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let what = format!("btsops {args:?}");
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: spawn: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = wait_within(&mut child, DEADLINE, &what);
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits (bounded) until `name` exists on the node; its account id.
pub async fn wait_account(c: &RpcClient, name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(a) = c
            .get_account_by_name(name)
            .await
            .expect("get_account_by_name")
        {
            return a.id;
        }
        assert!(Instant::now() < deadline, "account {name} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (bounded) until the network head reaches `num`.
pub async fn wait_head(fleet: &FleetHandle, num: u32) {
    let deadline = Instant::now() + Duration::from_secs(u64::from(num) + 10);
    while fleet.head(NET).unwrap_or(0) < num {
        assert!(Instant::now() < deadline, "network head stuck below {num}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(dir.join("state").join("audit.jsonl")) {
        Ok(t) => t
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect(),
        Err(_) => Vec::new(),
    }
}
