//! Stress runs against simnet: the chain-id gate, the caps and the stop, a frozen node,
//! the read flood, rejection classes from real node replies, and the one big transfer
//! run (200 tx/s for 10 s) whose counts must match the chain.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use btsops::chain::{ChainId, PrivateKey};
use btsops::rpc::Api;
use btsops::simnet::chain_state::TESTNET_CHAIN_ID;
use btsops::simnet::faults::Fault;
use btsops::stress::{Class, Run, classify, keys};
use serde_json::json;
use support::ops::{head_tx, transfer};
use support::simnet::DEV_WIF;
use support::stress::{self as st, FUNDER};

const READ_PLAN: &str = "kind = \"read\"\nrate = 40\nduration_s = 2\ntargets = [\"a\", \"b\"]\ncalls = [\"get_dynamic_global_properties\", \"get_block\", \"get_objects\"]\n";

#[tokio::test]
async fn a_target_serving_mainnet_aborts_before_anything_is_broadcast() {
    let fleet = st::start().await;
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let plan = "kind = \"transfer\"\nrate = 20\nduration_s = 2\nsenders = 2\nfunder = \"funder\"\ntargets = [\"a\", \"impostor\"]\n";
    let r = st::run_within(st::options(&cfg, plan, dir.path()), Duration::from_secs(30)).await;
    let why = r.aborted.expect("aborted");
    assert!(
        why.contains("impostor") && why.contains(st::MAINNET),
        "{why}"
    );
    assert_eq!(r.totals.sent, 0);
    assert_eq!(st::broadcasts(&fleet, "testnet", "a"), 0);
    assert_eq!(st::broadcasts(&fleet, "mainnet", "main"), 0);
}

#[tokio::test]
async fn a_wrong_chain_id_fault_aborts_and_nothing_reaches_any_node() {
    let fleet = st::start().await;
    fleet
        .faults("testnet", "b")
        .unwrap()
        .inject(Fault::WrongChainId);
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let plan = "kind = \"transfer\"\nrate = 20\nduration_s = 2\nsenders = 2\nfunder = \"funder\"\ntargets = [\"a\", \"b\"]\n";
    let r = st::run_within(st::options(&cfg, plan, dir.path()), Duration::from_secs(30)).await;
    assert!(
        r.aborted.as_deref().unwrap_or("").contains("chain id"),
        "{:?}",
        r.aborted
    );
    for n in ["a", "b", "victim"] {
        assert_eq!(st::broadcasts(&fleet, "testnet", n), 0, "{n}");
    }
}

#[tokio::test]
async fn read_flood_counts_every_call_per_node() {
    let fleet = st::start().await;
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let r = st::run_within(
        st::options(&cfg, READ_PLAN, dir.path()),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(r.aborted, None);
    assert_eq!(r.totals.sent, 80);
    assert_eq!(r.totals.accepted, 80, "{:?}", r.totals);
    assert_eq!(r.nodes["a"].sent + r.nodes["b"].sent, 80);
    assert!(r.nodes["a"].sent > 0 && r.nodes["b"].sent > 0);
    assert_eq!(r.totals.latency.as_ref().unwrap().count, 80);
    assert_eq!(r.series.iter().map(|s| s.sent).sum::<u64>(), 80);
}

#[tokio::test]
async fn the_total_cap_ends_a_run_and_its_report_says_so() {
    let fleet = st::start().await;
    let cfg = st::config(
        &fleet,
        "max_tps = 50\nmax_duration_s = 30\nmax_total = 30\nmax_error_rate = 1.0\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let plan = "kind = \"read\"\nrate = 500\nduration_s = 600\ntargets = [\"a\"]\n";
    let opts = st::options(&cfg, plan, dir.path());
    let capped: Vec<_> = opts.effective.capped.iter().map(|c| c.field).collect();
    assert_eq!(capped, ["rate", "duration_s", "total"]);
    let r = st::run_within(opts, Duration::from_secs(30)).await;
    assert_eq!(r.totals.sent, 30);
    assert_eq!(r.aborted, None);
    // The written report carries it too.
    let path = dir.path().join("r.json");
    btsops::stress::report::write(&r, &path).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["totals"]["sent"], 30);
    assert_eq!(doc["effective"]["capped"][0]["field"], "rate");
    assert!(
        std::fs::read_to_string(dir.path().join("r.md"))
            .unwrap()
            .contains("rate 500 capped to 50")
    );
}

#[tokio::test]
async fn stop_ends_a_run_at_once_and_the_error_rate_cap_aborts() {
    let fleet = st::start().await;
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let plan = "kind = \"read\"\nrate = 20\nduration_s = 30\ntargets = [\"a\"]\n";
    let mut run = Run::start(st::options(&cfg, plan, dir.path()));
    // Stop after two progress seconds: far less than the 30 s planned.
    let mut seconds = 0;
    while let Some(p) = tokio::time::timeout(Duration::from_secs(20), run.progress.recv())
        .await
        .expect("progress")
    {
        if matches!(p, btsops::stress::Progress::Second { .. }) {
            seconds += 1;
            if seconds == 2 {
                run.stop("stopped by the operator");
            }
        }
    }
    let r = run.finish().await.unwrap();
    assert_eq!(r.aborted.as_deref(), Some("stopped by the operator"));
    assert!(
        r.totals.sent > 0 && r.totals.sent < 20 * 5,
        "{}",
        r.totals.sent
    );

    // Every call to a frozen node times out: above max_error_rate the run aborts.
    fleet
        .faults("testnet", "victim")
        .unwrap()
        .inject(Fault::Freeze);
    let cfg = st::config(
        &fleet,
        "max_tps = 400\nmax_duration_s = 30\nmax_total = 5000\nmax_error_rate = 0.2\n",
    );
    let plan = "kind = \"read\"\nrate = 40\nduration_s = 20\ntargets = [\"a\", \"victim\"]\ntimeout_ms = 300\n";
    // Connecting to a frozen node fails (no chain id answer), so freeze after connecting.
    fleet.faults("testnet", "victim").unwrap().clear("freeze");
    let run = Run::start(st::options(&cfg, plan, dir.path()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    fleet
        .faults("testnet", "victim")
        .unwrap()
        .inject(Fault::Freeze);
    let stopper = run.stopper();
    let r = tokio::time::timeout(Duration::from_secs(25), run.finish()).await;
    let Ok(r) = r else {
        stopper.trigger("test deadline");
        panic!("error-rate cap did not end the run");
    };
    let r = r.unwrap();
    assert!(
        r.aborted.as_deref().unwrap_or("").contains("error rate"),
        "{:?}",
        r.aborted
    );
    assert!(
        r.nodes["victim"]
            .failed
            .get("timeout")
            .copied()
            .unwrap_or(0)
            > 0
    );
}

#[tokio::test]
async fn a_node_frozen_mid_run_shows_timeouts_without_stalling_the_run() {
    let fleet = st::start().await;
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let plan = "kind = \"transfer\"\nrate = 20\nduration_s = 4\nsenders = 2\nfunder = \"funder\"\ntargets = [\"a\", \"victim\"]\ntimeout_ms = 500\n";
    let mut run = Run::start(st::options(&cfg, plan, dir.path()));
    let stopper = run.stopper();
    let victim = fleet.faults("testnet", "victim").unwrap();
    let watch = async {
        while let Some(p) = run.progress.recv().await {
            if p == btsops::stress::Progress::Phase("running".into()) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                victim.inject(Fault::Freeze);
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), watch)
        .await
        .is_err()
    {
        stopper.trigger("test deadline");
        panic!("run stalled");
    }
    let r = run.finish().await.unwrap();
    assert_eq!(r.aborted, None, "max_error_rate is 1.0 here");
    // Every slot was sent on time although half went to a node that never answered.
    assert_eq!(r.totals.sent, 80);
    let v = &r.nodes["victim"];
    assert!(v.failed.get("timeout").copied().unwrap_or(0) > 0, "{v:?}");
    assert!(v.probe_failures > 0, "{v:?}");
    assert_eq!(r.nodes["a"].accepted, 40);
    assert!(r.totals.included >= 40, "{:?}", r.totals);
}

/// Node replies to bad transactions, as a run would receive them, land in their class.
#[tokio::test]
async fn rejections_from_the_node_are_classified() {
    let fleet = st::start().await;
    let c = support::simnet::connect_to(&fleet, "testnet", "a").await;
    let key = PrivateKey::from_wif(DEV_WIF).unwrap();
    let chain = ChainId::from_hex(TESTNET_CHAIN_ID).unwrap();
    let funder: u64 = c.get_account_by_name(FUNDER).await.unwrap().unwrap().id[4..]
        .parse()
        .unwrap();
    let fee = 2_000_000;
    // 1.2.0 (committee) as receiver: any other existing account would do.
    let cases = [
        (
            head_tx(&c, vec![transfer(funder, 0, 1, 1)], 60).await,
            Class::Fee,
        ),
        (
            head_tx(&c, vec![transfer(funder, 0, 1, fee)], -10).await,
            Class::Expired,
        ),
        (
            head_tx(&c, vec![transfer(funder, 0, i64::MAX / 4, fee)], 60).await,
            Class::InsufficientBalance,
        ),
    ];
    for (tx, want) in cases {
        let e = c
            .broadcast_transaction(&tx.sign(&key, &chain))
            .await
            .expect_err("rejected");
        assert_eq!(classify::classify(&e), want, "{e}");
    }
    let ok = head_tx(&c, vec![transfer(funder, 0, 7, fee)], 60)
        .await
        .sign(&key, &chain);
    c.broadcast_transaction(&ok).await.unwrap();
    let e = c.broadcast_transaction(&ok).await.expect_err("duplicate");
    assert_eq!(classify::classify(&e), Class::Duplicate, "{e}");
    let mut tapos = head_tx(&c, vec![transfer(funder, 0, 8, fee)], 60).await;
    tapos.ref_block_prefix ^= 1;
    let e = c
        .broadcast_transaction(&tapos.sign(&key, &chain))
        .await
        .expect_err("tapos");
    assert_eq!(classify::classify(&e), Class::Tapos, "{e}");
}

/// The one big run: 200 tx/s for 10 s; ≥ 99 % included and the report's counts equal to
/// the transactions the chain holds. A second run reuses the senders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_flood_200_per_s_is_included_and_matches_the_chain() {
    let fleet = st::start().await;
    let cfg = st::config(&fleet, st::LIMITS);
    let dir = tempfile::tempdir().unwrap();
    let c = support::simnet::connect_to(&fleet, "testnet", "a").await;
    let first_block = fleet.head("testnet").unwrap() + 1;
    let plan = "kind = \"transfer\"\nrate = 200\nduration_s = 10\nsenders = 8\nfunder = \"funder\"\ntargets = [\"a\", \"b\"]\n";
    let r = st::run_within(
        st::options(&cfg, plan, dir.path()),
        Duration::from_secs(120),
    )
    .await;
    assert_eq!(r.aborted, None);
    assert_eq!(r.totals.sent, 2000);
    assert_eq!(r.totals.rejected_total, 0, "{:?}", r.totals.rejected);
    assert!(
        r.totals.included * 100 >= r.totals.sent * 99,
        "{:?}",
        r.totals
    );
    assert_eq!(
        r.environment.signer_threads,
        std::thread::available_parallelism().unwrap().get()
    );

    // The chain's view: every transaction of the senders in the blocks since the start.
    let store = keys::load(&keys::sender_store(dir.path(), "testnet")).unwrap();
    assert_eq!(store.len(), 8);
    let names: Vec<&str> = store.iter().map(|a| a.name.as_str()).collect();
    let ids: HashSet<String> = c
        .lookup_account_names(&names)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.expect("sender registered").id)
        .collect();
    let last = fleet.head("testnet").unwrap();
    let mut on_chain = 0;
    for n in first_block..=last {
        let b = c
            .call(Api::Database, "get_block", json!([n]))
            .await
            .unwrap();
        for t in b["transactions"].as_array().into_iter().flatten() {
            let op = &t["operations"][0];
            if op[0] == 0 && ids.contains(op[1]["from"].as_str().unwrap_or("")) {
                on_chain += 1;
            }
        }
    }
    assert_eq!(on_chain, r.totals.included, "report vs chain");
    assert_eq!(
        on_chain, r.totals.accepted,
        "accepted transactions all in blocks"
    );

    // Second run: the same senders, no account_create.
    let creates_before = account_count(&c).await;
    let plan2 = "kind = \"transfer\"\nrate = 20\nduration_s = 1\nsenders = 8\nfunder = \"funder\"\ntargets = [\"a\"]\n";
    let r2 = st::run_within(
        st::options(&cfg, plan2, dir.path()),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(r2.aborted, None);
    assert_eq!(r2.totals.accepted, 20);
    assert_eq!(account_count(&c).await, creates_before, "no new accounts");
    assert_eq!(
        keys::load(&keys::sender_store(dir.path(), "testnet")).unwrap(),
        store
    );
}

async fn account_count(c: &btsops::rpc::RpcClient) -> u64 {
    c.call(Api::Database, "get_account_count", json!([]))
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}
