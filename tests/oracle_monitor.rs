//! `btsops check --json` against the real witness_node (`../shared/oracle`): healthy with
//! real head, LIB, participation, API sets and get_info; down while SIGSTOPped; back
//! after SIGCONT.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use btsops::rpc::{Api, ConnectOptions, RpcClient};
use serde_json::{Value, json};
use support::oracle::{CHAIN_ID, Oracle};
use support::process::output_within;

/// The node continues after SIGCONT even if the test fails halfway.
struct Resume<'a>(&'a Oracle);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.0.signal("CONT");
    }
}

fn config(url: &str) -> String {
    format!(
        r#"
[monitor]
probe_interval_ms = 1000
timeout_ms = 3000
window_s = 10

[[network]]
name = "oracle"
role = "testnet"
chain_id = "{CHAIN_ID}"
prefix = "BTS"
# A fresh single-node chain: blocks every 3 s after a one-off gap.
lag_warn_s = 20
lag_crit_s = 60
# The post-genesis gap can leave as few as the blocks made since (2 of the last 128
# slots at head 3) filled for minutes, more so on a loaded machine.
participation_warn_pct = 1
participation_crit_pct = 0.5

  [[network.node]]
  name = "oracle-1"
  url = "{url}"
"#
    )
}

fn check(cfg: &std::path::Path, timeout: &str) -> (i32, Value, String) {
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["check", "--json", "--timeout", timeout, "--config"])
            .arg(cfg),
        Duration::from_secs(120),
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc = serde_json::from_str(&text).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), doc, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_real_node_then_frozen_then_recovered() {
    let Some(node) = Oracle::start("check_reports_real_node_then_frozen_then_recovered") else {
        return;
    };
    // Past the post-genesis gap: a few blocks on top of block 1.
    let c = RpcClient::connect(
        &node.ws_url,
        ConnectOptions {
            timeout: Duration::from_secs(10),
            ..ConnectOptions::default()
        },
    )
    .await
    .expect("connect to the oracle");
    let deadline = Instant::now() + Duration::from_secs(60);
    while c
        .get_dynamic_global_properties()
        .await
        .expect("dgp")
        .head_block_number
        < 3
    {
        assert!(Instant::now() < deadline, "oracle chain does not advance");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The node's own witness participation, straight from its bitmap of the last 128
    // slots: bracketed by a read before and after the check (a block may come between).
    let filled_pct = || async {
        let d = c
            .call(Api::Database, "get_dynamic_global_properties", json!([]))
            .await
            .expect("dgp");
        let bits: u128 = d["recent_slots_filled"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("recent_slots_filled in {d}"));
        f64::from(bits.count_ones()) * 100.0 / 128.0
    };
    let part_before = filled_pct().await;

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, config(&node.ws_url)).unwrap();

    let (code, doc, text) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || check(&cfg, "5")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{text}");
    let e = &doc["endpoints"][0];
    assert_eq!(e["status"], "ok", "{e}");
    assert_eq!(e["chain_id"], CHAIN_ID);
    assert!(e["head_num"].as_u64().unwrap() >= 3, "{e}");
    assert_eq!(e["head_id"].as_str().unwrap().len(), 40);
    assert!(e["lib_num"].is_number() && e["lib_lag"].is_number(), "{e}");
    let part = e["participation_pct"].as_f64().unwrap();
    let part_after = filled_pct().await;
    drop(c);
    assert!(
        (part_before..=part_after).contains(&part),
        "participation {part} outside the node's own {part_before}..={part_after}: {e}"
    );
    assert_eq!(e["block_interval_s"], 3);
    assert_eq!(e["active_witnesses"], 11);
    let sets: Vec<&str> = e["api_sets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(sets.contains(&"database_api"), "{sets:?}");
    assert!(e["info"].is_string(), "get_info text: {e}");
    assert_eq!(e["version"]["at_least"], "7.0.0", "{}", e["version"]);

    // Frozen: the process exists, the socket accepts, nothing answers.
    node.signal("STOP");
    let resume = Resume(&node);
    let (code, doc, text) = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || check(&cfg, "2")
    })
    .await
    .unwrap();
    assert_eq!(code, 2, "{text}");
    assert_eq!(doc["endpoints"][0]["status"], "down", "{text}");

    drop(resume);
    // Back: the node answers again at once; its head is fresh within a few blocks.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, doc, text) = tokio::task::spawn_blocking({
            let cfg = cfg.clone();
            move || check(&cfg, "5")
        })
        .await
        .unwrap();
        if code == 0 {
            assert_eq!(doc["endpoints"][0]["status"], "ok");
            break;
        }
        assert!(Instant::now() < deadline, "node did not recover:\n{text}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
