//! The rpc client against a real bitshares-core 7.0.2 witness_node (`../shared/oracle`).

mod support;

use std::time::Duration;

use btsops::rpc::{Api, ConnectOptions, RpcClient, http_call};
use serde_json::json;
use support::oracle::{CHAIN_ID, DEV_PUB, Oracle};

fn opts() -> ConnectOptions {
    ConnectOptions {
        timeout: Duration::from_secs(10),
        ..ConnectOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_calls_parse_real_answers_over_ws_and_http() {
    let Some(node) = Oracle::start("typed_calls_parse_real_answers_over_ws_and_http") else {
        return;
    };
    let c = RpcClient::connect(&node.ws_url, opts()).await.unwrap();
    assert!(c.login("", "").await.unwrap());
    assert_eq!(c.get_chain_id().await.unwrap(), CHAIN_ID);
    let sets = c.get_available_api_sets().await.unwrap();
    assert!(sets.iter().any(|s| s == "database_api"), "{sets:?}");

    let dgp = c.get_dynamic_global_properties().await.unwrap();
    assert_eq!(dgp.id, "2.1.0");
    assert!(dgp.head_block_number >= 1);
    assert_eq!(
        &dgp.head_block_id[..8],
        &format!("{:08x}", dgp.head_block_number)
    );

    let gp = c.get_global_properties().await.unwrap();
    assert_eq!(gp.parameters.block_interval, 3);
    assert!(gp.parameters.maximum_transaction_size > 0);
    assert_eq!(gp.active_witnesses.len(), 11);

    let header = c
        .get_block_header(1)
        .await
        .unwrap()
        .expect("block 1 exists");
    assert!(header.witness.starts_with("1.6."));
    let block = c.get_block(1).await.unwrap().expect("block 1 exists");
    assert_eq!(block.previous, header.previous);
    assert_eq!(block.witness_signature.len(), 130);
    assert!(c.get_block_header(99_999_999).await.unwrap().is_none());

    let objs = c
        .get_objects(&["2.1.0", "1.2.17", "1.2.999999"])
        .await
        .unwrap();
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[1].as_ref().unwrap()["name"], "nathan");
    assert!(objs[2].is_none());

    let accts = c
        .lookup_account_names(&["nathan", "no-such-acct"])
        .await
        .unwrap();
    assert_eq!(accts[0].as_ref().unwrap().id, "1.2.17");
    assert!(accts[1].is_none());
    let init0 = c.get_account_by_name("init0").await.unwrap().unwrap();
    assert_eq!(init0.id, "1.2.6");
    assert!(
        c.get_account_by_name("no-such-acct")
            .await
            .unwrap()
            .is_none()
    );

    // Genesis puts the whole supply in a balance object, not on nathan yet.
    let bal = c.get_account_balances("1.2.17", &["1.3.0"]).await.unwrap();
    assert_eq!(bal.len(), 1);
    assert_eq!(bal[0].asset_id, "1.3.0");

    let op = json!([[0, {"fee": {"amount": 0, "asset_id": "1.3.0"}, "from": "1.2.17", "to": "1.2.6",
        "amount": {"amount": 1, "asset_id": "1.3.0"}, "extensions": []}]]);
    let fees = c.get_required_fees(op, "1.3.0").await.unwrap();
    assert_eq!(fees.len(), 1);
    assert_eq!(
        fees[0].amount,
        20 * 100_000,
        "genesis-dev transfer fee is 20 BTS"
    );

    // A named API set resolves and its calls reach the node.
    let keys = c
        .call(Api::Database, "get_key_references", json!([[DEV_PUB]]))
        .await
        .unwrap();
    assert!(keys[0].as_array().is_some_and(|a| !a.is_empty()), "{keys}");
    let hist = c
        .call(
            Api::History,
            "get_account_history",
            json!(["1.2.17", "1.11.0", 10, "1.11.0"]),
        )
        .await
        .unwrap();
    assert!(hist.is_array());

    // An unknown method is the node's error, kept verbatim.
    let err = c
        .call(Api::Database, "no_such_method", json!([]))
        .await
        .unwrap_err();
    assert!(err.node_error().is_some(), "{err}");
    assert!(err.to_string().contains(&node.ws_url), "{err}");

    // The same calls as one-shot HTTP POSTs.
    let id = http_call(
        &node.http_url,
        Api::Database,
        "get_chain_id",
        json!([]),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(id, CHAIN_ID);
    let dgp2 = http_call(
        &node.ws_url,
        Api::Database,
        "get_dynamic_global_properties",
        json!([]),
        &opts(),
    )
    .await
    .unwrap();
    assert!(dgp2["head_block_number"].as_u64().unwrap() >= dgp.head_block_number as u64);
    let err = http_call(
        &node.http_url,
        Api::Database,
        "get_block_header",
        json!(["x"]),
        &opts(),
    )
    .await
    .unwrap_err();
    assert!(err.node_error().is_some(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_delivers_a_notice_every_block() {
    let Some(node) = Oracle::start("subscription_delivers_a_notice_every_block") else {
        return;
    };
    let c = RpcClient::connect(&node.ws_url, opts()).await.unwrap();
    let mut notices = c.take_notices().unwrap();
    c.set_subscribe_callback(1, false).await.unwrap();
    c.get_objects(&["2.1.0"]).await.unwrap();
    c.set_block_applied_callback(2).await.unwrap();

    // Blocks come every 3 s, after a one-off gap of up to ~12 s following block 1 on a
    // fresh chain: collect until three distinct heads were pushed on each callback.
    let mut heads = std::collections::BTreeSet::new();
    let mut applied = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    while heads.len() < 3 || applied.len() < 3 {
        let Ok(Some(n)) = tokio::time::timeout_at(deadline, notices.recv()).await else {
            break;
        };
        match n.callback {
            1 => {
                for obj in n.args[0].as_array().unwrap() {
                    if obj["id"] == "2.1.0" {
                        heads.insert(obj["head_block_number"].as_u64().unwrap());
                    }
                }
            }
            2 => {
                let id = n.args[0].as_str().unwrap();
                applied.insert(btsops::rpc::types::block_num_from_id(id).unwrap());
            }
            other => panic!("notice for unknown callback {other}"),
        }
    }
    assert!(heads.len() >= 3, "2.1.0 pushes: {heads:?}");
    assert!(applied.len() >= 3, "block-applied pushes: {applied:?}");
    // One push per block: consecutive heads, none skipped.
    let v: Vec<_> = heads.iter().copied().collect();
    assert!(v.windows(2).all(|w| w[1] == w[0] + 1), "{v:?}");
    c.cancel_all_subscriptions().await.unwrap();
}
