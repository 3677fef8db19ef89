//! A short transfer flood against the real bitshares-core node (`../shared/oracle`):
//! senders bootstrapped from init0 (a lifetime member funded by nathan), and every
//! transaction the run broadcasts accepted and included.

mod support;

use std::path::Path;
use std::time::Duration;

use btsops::chain::{ChainId, PrivateKey};
use btsops::rpc::{ConnectOptions, RpcClient};
use btsops::stress::{keys, plan, targets};
use support::ops;
use support::oracle::{CHAIN_ID, DEV_WIF, Oracle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_transfer_run_on_the_reference_node_has_no_rejection() {
    let Some(node) = Oracle::start("a_short_transfer_run_on_the_reference_node_has_no_rejection")
    else {
        return;
    };
    node.fund_nathan();
    let opts = ConnectOptions {
        timeout: Duration::from_secs(10),
        ..ConnectOptions::default()
    };
    let c = RpcClient::connect(&node.ws_url, opts).await.unwrap();
    let key = PrivateKey::from_wif(DEV_WIF).unwrap();
    // nathan (1.2.17) → init0 (1.2.6), which may register accounts.
    let fee = c
        .get_required_fees(
            serde_json::to_value(vec![ops::transfer(17, 6, 1, 0)]).unwrap(),
            "1.3.0",
        )
        .await
        .unwrap()[0]
        .amount;
    let fund = ops::head_tx(&c, vec![ops::transfer(17, 6, 100_000_000_000, fee)], 60)
        .await
        .sign(&key, &ChainId::from_hex(CHAIN_ID).unwrap());
    c.broadcast_transaction_synchronous(&fund, Duration::from_secs(20))
        .await
        .unwrap();

    let cfg_text = format!(
        "[[network]]\nname = \"oracle\"\nrole = \"testnet\"\nchain_id = \"{CHAIN_ID}\"\nprefix = \"BTS\"\n\n  [[network.node]]\n  name = \"witness\"\n  url = \"{}\"\n\n[stress]\nnetwork = \"oracle\"\nmax_tps = 50\n",
        node.ws_url
    );
    let cfg = btsops::config::parse(Path::new("oracle-stress.toml"), &cfg_text).unwrap();
    let p = plan::parse(
        "plan",
        "kind = \"transfer\"\nrate = 10\nduration_s = 3\nsenders = 2\nfunder = \"init0\"\n",
    )
    .unwrap();
    let effective = plan::effective("plan", &p, cfg.stress.as_ref().unwrap()).unwrap();
    let (network, targets) = targets::resolve(&cfg, &effective.targets).unwrap();
    let data = tempfile::tempdir().unwrap();
    let opts = btsops::stress::Options {
        plan: p,
        effective,
        network,
        targets,
        funder: Some(keys::Account {
            name: "init0".into(),
            key,
        }),
        data_dir: data.path().to_path_buf(),
    };
    let r = support::stress::run_within(opts, Duration::from_secs(120)).await;
    assert_eq!(r.aborted, None);
    assert_eq!(r.totals.sent, 30);
    assert_eq!(r.totals.rejected_total, 0, "{:?}", r.totals.rejected);
    assert!(r.totals.errors.is_empty(), "{:?}", r.totals.errors);
    assert_eq!(r.totals.accepted, 30);
    assert_eq!(r.totals.included, 30, "{:?}", r.totals);
}
