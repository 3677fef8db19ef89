//! The python-bitshares client script against the real node: proves the script itself
//! is right, so when it fails against simnet the fault is simnet's.

mod support;

use std::time::Duration;

use btsops::rpc::{ConnectOptions, RpcClient};
use support::oracle::{CHAIN_ID, DEV_WIF, Oracle};
use support::pybitshares;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_bitshares_reads_transfers_and_registers_on_the_real_node() {
    let test = "python_bitshares_reads_transfers_and_registers_on_the_real_node";
    let Some(python) = pybitshares::python_required_by(test, &["BTSOPS_REQUIRE_ORACLE"]) else {
        return;
    };
    let Some(node) = Oracle::start(test) else {
        return;
    };
    node.fund_nathan();
    let extra = format!("{CHAIN_ID}:BTS:BTS");
    #[rustfmt::skip]
    let out = pybitshares::run_client(&python, &[
        "--url", &node.ws_url, "--wif", DEV_WIF, "--sender", "nathan", "--to", "init0",
        "--amount", "100", "--registrar", "init0", "--new-account", "py-oracle1",
        "--extra-chain", &extra,
    ]);
    assert_eq!(out["chain_id"], CHAIN_ID);
    assert_eq!(out["core_symbol"], "BTS");
    assert_eq!(out["new_account_registrar"], "1.2.6");

    // The effects are visible to our own client.
    let opts = ConnectOptions {
        timeout: Duration::from_secs(10),
        ..ConnectOptions::default()
    };
    let c = RpcClient::connect(&node.ws_url, opts).await.unwrap();
    let acct = c
        .get_account_by_name("py-oracle1")
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(Some(acct.id.as_str()), out["new_account_id"].as_str());
    assert_eq!(acct.registrar, "1.2.6");
}
