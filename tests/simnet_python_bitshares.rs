//! An unmodified client library against `btsops simnet`: python-bitshares 0.7.1 (installed
//! from the package registry into a virtualenv by `.ci/run`) connects, reads, transfers and
//! registers an account; our own client then sees the effects.
//!
//! The interpreter comes from `BTSOPS_PYTHON_BITSHARES`, else `target/pybts/bin/python`.
//! Without one the test prints a SKIP line, unless `BTSOPS_REQUIRE_PYTHON_BITSHARES=1`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use btsops::rpc::{Api, ConnectOptions, RpcClient};
use serde_json::{Value, json};

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BTSOPS_PYTHON_BITSHARES") {
        return Some(PathBuf::from(p));
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pybts/bin/python");
    local.exists().then_some(local)
}

async fn core_balance(c: &RpcClient, account: &str) -> i64 {
    let v = c
        .call(
            Api::Database,
            "get_account_balances",
            json!([account, ["1.3.0"]]),
        )
        .await
        .unwrap();
    let a = &v[0]["amount"];
    a.as_i64()
        .or_else(|| a.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_bitshares_transfers_and_registers_on_simnet() {
    let Some(python) = python() else {
        let required = std::env::var("BTSOPS_REQUIRE_PYTHON_BITSHARES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "BTSOPS_REQUIRE_PYTHON_BITSHARES=1 but no python-bitshares venv"
        );
        support::oracle::skip_line(
            "SKIP python_bitshares_transfers_and_registers_on_simnet: no python-bitshares venv (see .ci/run)",
        );
        return;
    };
    let mut simnet = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .arg("simnet")
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn btsops simnet"),
    );
    let stdout = simnet.0.stdout.take().unwrap();
    let mut url = None;
    for line in BufReader::new(stdout).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["name"] == "main-1" {
            url = v["url"].as_str().map(str::to_string);
        }
        if v["ready"] == true {
            break;
        }
    }
    let url = url.expect("main-1 endpoint");
    let ours = RpcClient::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    let bob_before = core_balance(&ours, "bob").await;
    // The script reads block 1.
    let deadline = Instant::now() + Duration::from_secs(15);
    while ours
        .get_dynamic_global_properties()
        .await
        .unwrap()
        .head_block_number
        < 1
    {
        assert!(Instant::now() < deadline, "no block 1");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/bitshares_client.py");
    let run = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            Command::new("timeout")
                .arg("120")
                .arg(&python)
                .arg(&script)
                .arg(&url)
                .output()
        })
    };
    let out = run.await.expect("join").expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python-bitshares failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .map(|s| s["value"].clone())
    };
    assert_eq!(step("chain_id"), Some(json!(support::simnet::MAINNET_ID)));
    assert_eq!(step("transfer"), Some(json!(0)));
    assert_eq!(step("account_create"), Some(json!(5)));

    // The effects, seen through our own client once the next blocks are in.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let carol = ours.get_account_by_name("carol-test1").await.unwrap();
        let bob = core_balance(&ours, "bob").await;
        if let Some(carol) = carol
            && bob == bob_before + 1_250_000
        {
            assert_eq!(carol.id, "1.2.9");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "python-bitshares' transactions never showed up"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Stops the simnet process however the test ends, so a failed assertion leaves no
/// orphan behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
