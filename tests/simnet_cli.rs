//! `btsops simnet` as a process: endpoint lines, `{"ready":true}`, a scenario, the written
//! config, and a clean exit on SIGTERM and SIGINT.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use btsops::rpc::{ConnectOptions, RpcClient};
use serde_json::Value;
use support::process::{lines_until, output_within};
use support::simnet::MAINNET_ID;

/// The simnet process; killed on drop so a failing test leaves no orphan.
struct Simnet(Option<Child>);

impl Drop for Simnet {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(args: &[&str]) -> (Simnet, Vec<Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .arg("simnet")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn btsops simnet");
    let stdout = child.stdout.take().expect("stdout");
    let child = Simnet(Some(child));
    let is_ready = |l: &str| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| v == serde_json::json!({"ready": true}))
    };
    let mut lines = lines_until(stdout, Duration::from_secs(60), "btsops simnet", is_ready);
    if !lines.last().is_some_and(|l| is_ready(l)) {
        panic!("btsops simnet ended before ready: {lines:?}");
    }
    lines.pop();
    let lines = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    (child, lines)
}

fn stop(mut simnet: Simnet, signal: &str) {
    let Some(mut child) = simnet.0.take() else {
        return;
    };
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            assert!(s.success(), "exit status {s}");
            return;
        }
        assert!(Instant::now() < deadline, "simnet did not stop on {signal}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_a_fleet_file_with_a_scenario_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(&fleet, support::simnet::fleet_toml()).unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(
        &scenario,
        "[[event]]\nat = 0\ntarget = \"mainnet/victim\"\nfault = \"wrong_chain_id\"\nduration = 2\n",
    )
    .unwrap();
    let config = dir.path().join("btsops.toml");
    let (child, lines) = spawn(&[
        "--fleet",
        fleet.to_str().unwrap(),
        "--scenario",
        scenario.to_str().unwrap(),
        "--write-config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(lines.len(), 5);
    for l in &lines {
        let keys: Vec<&String> = l.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["network", "kind", "name", "url"]);
    }
    let url = |name: &str| {
        lines.iter().find(|l| l["name"] == name).unwrap()["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let a = RpcClient::connect(&url("a"), ConnectOptions::default())
        .await
        .unwrap();
    assert_eq!(a.get_chain_id().await.unwrap(), MAINNET_ID);
    let victim = RpcClient::connect(&url("victim"), ConnectOptions::default())
        .await
        .unwrap();
    assert_ne!(
        victim.get_chain_id().await.unwrap(),
        MAINNET_ID,
        "scenario fault active"
    );
    let deadline = Instant::now() + Duration::from_secs(6);
    while victim.get_chain_id().await.unwrap() != MAINNET_ID {
        assert!(
            Instant::now() < deadline,
            "fault not cleared after its duration"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(&config).unwrap();
    let cfg = btsops::config::parse(&config, &text).expect("written config is valid");
    assert_eq!(cfg.networks[0].nodes.len(), 4);
    assert_eq!(cfg.networks[0].seeds.len(), 1);
    stop(child, "-TERM");
}

#[test]
fn default_fleet_until_sigint() {
    let (child, lines) = spawn(&[]);
    let count = |net: &str, kind: &str| {
        lines
            .iter()
            .filter(|l| l["network"] == net && l["kind"] == kind)
            .count()
    };
    assert_eq!(count("mainnet", "node"), 6);
    assert_eq!(count("mainnet", "seed"), 2);
    assert_eq!(count("testnet", "node"), 4);
    assert_eq!(count("testnet", "seed"), 1);
    stop(child, "-INT");
}

#[test]
fn a_bad_fleet_file_fails_before_ready() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(&fleet, "[[network]]\nname = \"x\"\nnonsense = 1\n").unwrap();
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops")).args([
            "simnet",
            "--fleet",
            fleet.to_str().unwrap(),
        ]),
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonsense"));
    assert!(out.stdout.is_empty());
}

/// A scenario mistake names file, line and column; the first event here has no
/// `jitter_ms`, which defaults to 0, so the error is the second event's.
#[test]
fn scenario_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(
        &scenario,
        "[[event]]\nat = 0\ntarget = \"a\"\nfault = \"latency\"\ndelay_ms = 50\n\n[[event]]\nat = 1\nfault = \"freeze\"\n",
    )
    .unwrap();
    let out = support::process::output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["simnet", "--scenario", scenario.to_str().unwrap()])
            .stdin(Stdio::null()),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains(&format!(
            "{}:7:1: scenario event 2: `target`",
            scenario.display()
        )),
        "{err}"
    );
    std::fs::write(&scenario, "[[event]]\nat = 1\ntarget = = \"a\"\n").unwrap();
    let out = support::process::output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["simnet", "--scenario", scenario.to_str().unwrap()])
            .stdin(Stdio::null()),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:3:", scenario.display())), "{err}");
}

/// A missing file's OS error is said once.
#[test]
fn a_missing_fleet_file_is_one_clear_error() {
    let out = support::process::output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["simnet", "--fleet", "/nonexistent-btsops/fleet.toml"])
            .stdin(Stdio::null()),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("reading /nonexistent-btsops/fleet.toml"),
        "{err}"
    );
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}
