//! The L2 seed probe against the real witness_node's P2P port (`../shared/oracle`): the
//! chain id and head in its decrypted hello match what its RPC port says, and the
//! monitor's seed row reports L2, ok on the right chain and crit on another.

mod support;

use std::time::Duration;

use btsops::chain::p2p::{Hello, Variant};
use btsops::monitor::seed_probe;
use btsops::monitor::{SeedLevel, Status};
use btsops::rpc::{ConnectOptions, RpcClient};
use support::monitor::{ep, parse, start_engine, start_fleet, wait_for};
use support::oracle::{CHAIN_ID, Oracle};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn rpc(node: &Oracle) -> RpcClient {
    RpcClient::connect(
        &node.ws_url,
        ConnectOptions {
            timeout: Duration::from_secs(10),
            ..ConnectOptions::default()
        },
    )
    .await
    .expect("connect to the oracle's RPC port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2_hello_matches_the_nodes_rpc_answers() {
    let Some(node) = Oracle::start("l2_hello_matches_the_nodes_rpc_answers") else {
        return;
    };
    let c = rpc(&node).await;
    let rpc_chain = c.get_chain_id().await.expect("get_chain_id");
    assert_eq!(rpc_chain, CHAIN_ID);
    let addr = format!("127.0.0.1:{}", node.p2p_port);

    // Blocks come every 3 s and a probe takes milliseconds: retry (bounded) until one
    // probe falls between two RPC reads of the same head.
    let mut compared = false;
    for _ in 0..5 {
        let before = c.get_dynamic_global_properties().await.expect("dgp");
        let answer = seed_probe::probe(&addr, TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("L1 failed against the reference node: {e:?}"));
        let after = c.get_dynamic_global_properties().await.expect("dgp");
        let hello = answer
            .l2
            .unwrap_or_else(|e| panic!("L2 failed against the reference node: {e:?}"));
        let facts = seed_probe::facts(&hello);
        eprintln!("reference node hello: {facts:?}");
        assert_eq!(facts.chain_id, rpc_chain);
        assert_eq!(facts.hello.user_agent, "BitShares Reference Implementation");
        assert!(facts.hello.core_protocol_version > 0);
        assert!(facts.hello.node_id.is_some(), "{facts:?}");
        if before.head_block_number != after.head_block_number {
            continue;
        }
        assert_eq!(facts.head_num, Some(after.head_block_number));
        assert_eq!(facts.head_id.as_deref(), Some(after.head_block_id.as_str()));
        assert_eq!(facts.head_time, Some(after.time.unix_timestamp()));
        compared = true;
        break;
    }
    assert!(compared, "the head moved during every one of 5 probes");
}

fn config(seed_addr: &str, node_url: &str, chain_id: &str) -> String {
    format!(
        r#"
[monitor]
probe_interval_ms = 1000
timeout_ms = 3000
window_s = 10
seed_interval_ms = 1000

[[network]]
name = "oracle"
role = "testnet"
chain_id = "{chain_id}"
prefix = "BTS"
lag_warn_s = 20
lag_crit_s = 60
participation_warn_pct = 1
participation_crit_pct = 0.5

  [[network.node]]
  name = "oracle-1"
  url = "{node_url}"

  [[network.seed]]
  name = "oracle-seed"
  addr = "{seed_addr}"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_row_is_l2_ok_on_its_chain_and_crit_on_another() {
    let Some(node) = Oracle::start("seed_row_is_l2_ok_on_its_chain_and_crit_on_another") else {
        return;
    };
    let addr = format!("127.0.0.1:{}", node.p2p_port);
    let engine = start_engine(&parse(&config(&addr, &node.ws_url, CHAIN_ID)));
    let s = wait_for(
        &engine,
        "seed at L2 with a head",
        Duration::from_secs(30),
        |s| {
            let e = ep(s, "oracle-seed");
            e.seed_level == Some(SeedLevel::L2) && e.lag_blocks.is_some()
        },
    )
    .await;
    let seed = ep(&s, "oracle-seed");
    assert_eq!(seed.status, Status::Ok, "{:?}", seed.reasons);
    assert_eq!(seed.chain_id.as_deref(), Some(CHAIN_ID));
    assert!(!seed.chain_mismatch);
    assert!(seed.lag_blocks.is_some_and(|b| b <= 1), "{seed:?}");
    engine.shutdown().await;

    // The same node configured under another chain id: the seed's hello says which
    // chain it is on, and that is crit.
    let other = "11".repeat(32);
    let engine = start_engine(&parse(&config(&addr, &node.ws_url, &other)));
    let s = wait_for(
        &engine,
        "seed on another chain",
        Duration::from_secs(30),
        |s| ep(s, "oracle-seed").seed_level == Some(SeedLevel::L2),
    )
    .await;
    let seed = ep(&s, "oracle-seed");
    assert_eq!(seed.status, Status::Crit, "{:?}", seed.reasons);
    assert!(seed.chain_mismatch);
    assert!(
        seed.reasons[0].contains("chain id b5b0417c"),
        "{:?}",
        seed.reasons
    );
    engine.shutdown().await;
}

/// The type of each `user_data` entry, by name, in order.
fn shape(h: &Hello) -> Vec<(String, std::mem::Discriminant<Variant>)> {
    h.user_data
        .iter()
        .map(|(k, v)| (k.clone(), std::mem::discriminant(v)))
        .collect()
}

/// simnet's seed says what the reference node says, in the same layout: the same
/// fields and user_data keys in the same order with the same types, ports announced the
/// same way; only the values of its own chain differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simnet_seed_hello_has_the_reference_nodes_layout() {
    let Some(node) = Oracle::start("simnet_seed_hello_has_the_reference_nodes_layout") else {
        return;
    };
    let real = seed_probe::probe(&format!("127.0.0.1:{}", node.p2p_port), TIMEOUT)
        .await
        .expect("L1 against the reference node")
        .l2
        .expect("L2 against the reference node");
    let fleet = start_fleet().await;
    let sim_addr = fleet.endpoint("mainnet", "seed-1").expect("seed-1").addr;
    let sim = seed_probe::probe(&sim_addr.to_string(), TIMEOUT)
        .await
        .expect("L1 against simnet's seed")
        .l2
        .expect("L2 against simnet's seed");

    assert_eq!(sim.user_agent, real.user_agent);
    assert_eq!(sim.core_protocol_version, real.core_protocol_version);
    assert_eq!(sim.inbound_address, real.inbound_address);
    assert_eq!(real.inbound_port, node.p2p_port);
    assert_eq!(real.outbound_port, real.inbound_port);
    assert_eq!(sim.inbound_port, sim_addr.port());
    assert_eq!(sim.outbound_port, sim.inbound_port);
    assert_eq!(shape(&sim), shape(&real));
    assert_eq!(sim.encode().len(), real.encode().len(), "same field widths");
    for key in ["platform", "bitness", "fc_git_revision_sha"] {
        assert_eq!(sim.get(key), real.get(key), "{key}");
    }
    let sim_facts = seed_probe::facts(&sim);
    assert_eq!(sim_facts.chain_id, support::monitor::CHAIN_ID);
    assert!(sim_facts.head_num.is_some() && sim_facts.head_time.is_some());
}
