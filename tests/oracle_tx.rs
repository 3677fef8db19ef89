//! Transactions built and signed by `chain/`, sent by the rpc client to a real
//! bitshares-core 7.0.2 witness_node (`../shared/oracle`).

mod support;

use std::time::{Duration, Instant};

use btsops::chain::{ChainId, PrivateKey, SignedTransaction, Transaction};
use btsops::rpc::{Api, ConnectOptions, ErrorKind, RpcClient};
use serde_json::json;
use support::ops;
use support::oracle::{CHAIN_ID, DEV_WIF, NATHAN, Oracle};

const INIT0: &str = "1.2.6";

/// A transfer nathan → init0 paying the node's required fee, referencing its head block and
/// expiring a minute after it.
async fn transfer(c: &RpcClient, amount: i64) -> Transaction {
    let ops = serde_json::to_value(vec![ops::transfer(17, 6, amount, 0)]).unwrap();
    let fee = c.get_required_fees(ops, "1.3.0").await.unwrap()[0].amount;
    ops::head_tx(c, vec![ops::transfer(17, 6, amount, fee)], 60).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_transfer_is_accepted_and_moves_balances() {
    let Some(node) = Oracle::start("signed_transfer_is_accepted_and_moves_balances") else {
        return;
    };
    node.fund_nathan();
    let opts = ConnectOptions {
        timeout: Duration::from_secs(10),
        ..ConnectOptions::default()
    };
    let c = RpcClient::connect(&node.ws_url, opts).await.unwrap();
    let chain_id = ChainId::from_hex(CHAIN_ID).unwrap();
    let key = PrivateKey::from_wif(DEV_WIF).unwrap();
    let before = ops::core_balance(&c, INIT0).await;

    let tx = transfer(&c, 12_345).await;
    let signed = tx.sign(&key, &chain_id);

    // The node's own serialization of our JSON equals our bytes.
    let node_hex = c
        .call(Api::Database, "get_transaction_hex", json!([signed]))
        .await
        .unwrap();
    assert_eq!(node_hex, signed.to_hex());
    let node_hex = c
        .call(
            Api::Database,
            "get_transaction_hex_without_sig",
            json!([signed]),
        )
        .await
        .unwrap();
    assert_eq!(node_hex, hex::encode(signed.trx.pack()));

    c.broadcast_transaction(&signed).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut after = before;
    while after == before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = ops::core_balance(&c, INIT0).await;
    }
    assert_eq!(
        after - before,
        12_345,
        "init0's balance moved by the amount"
    );

    // The same body again is a duplicate, whatever its signature.
    let err = c.broadcast_transaction(&signed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate, "{err}");
    assert!(err.to_string().contains(&signed.id_hex()), "{err}");

    // Signed with a stranger's key: the node names the missing authority.
    let stranger = PrivateKey::from_password("mallory", "active", "not nathan's password").unwrap();
    let bad: SignedTransaction = transfer(&c, 777).await.sign(&stranger, &chain_id);
    let err = c.broadcast_transaction(&bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let ne = err.node_error().unwrap();
    assert_eq!(ne.name.as_deref(), Some("tx_missing_active_auth"), "{err}");
    assert_eq!(ne.format.as_deref(), Some("Missing Active Authority ${id}"));
    assert!(err.to_string().contains(NATHAN), "{err}");

    // Synchronous broadcast returns once the transfer is in a block.
    let tx = transfer(&c, 1_000).await.sign(&key, &chain_id);
    let conf = c
        .broadcast_transaction_synchronous(&tx, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(conf.id, tx.id_hex());
    assert!(conf.block_num > 0);
}
