//! Faucet KPIs over a registrar history of 100,000 operations, paged over RPC from simnet:
//! `faucet stats`' whole computation (`cmd::faucet::collect`) cold (no cache: every page of
//! history is read) and warm (from the cache: only the fee statistics of the accounts are
//! read again), and the ratio between them.
//!
//! `FAUCET_BENCH_OPS` overrides the history length (default 100000).

use std::path::Path;
use std::time::{Duration, Instant};

use btsops::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, ChainId, PrivateKey,
    TimePointSec, Transaction, tapos_from_block_id,
};
use btsops::simnet::chain_state::TESTNET_CHAIN_ID;
use btsops::simnet::{Fleet, FleetDescription};

const DEV_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
/// With the `BTS` prefix: transactions serialize their keys with it, so the bench's
/// testnet uses it too.
const DEV_PUB: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

fn main() {
    let n: u64 = std::env::var("FAUCET_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

async fn run(n: u64) {
    let toml = format!(
        "[[network]]\nname = \"testnet\"\nrole = \"testnet\"\nprefix = \"BTS\"\nblock_interval = 1\n\
         [[network.account]]\nname = \"faucet\"\nowner_key = \"{DEV_PUB}\"\nlifetime_member = true\nbalance = 100000000000000\n\
         [[network.node]]\nname = \"a\"\n"
    );
    let desc = FleetDescription::from_toml(&toml).expect("fleet");
    let fleet = Fleet::start(&desc).await.expect("fleet starts");
    let net = fleet.network("testnet").expect("network");
    let key = PrivateKey::from_wif(DEV_WIF).expect("wif");
    let chain_id = ChainId::from_hex(TESTNET_CHAIN_ID).expect("chain id");
    let pubkey = key.public_key();

    let t0 = Instant::now();
    for i in 0..n {
        let op = AccountCreateOp {
            fee: Asset::core(1_000_000),
            registrar: AccountId(6),
            referrer: AccountId(6),
            referrer_percent: 0,
            name: format!("bench-{i}"),
            owner: Authority::single_key(pubkey),
            active: Authority::single_key(pubkey),
            options: AccountOptions::with_memo_key(pubkey),
            extensions: Default::default(),
        };
        net.with_chain(|c| {
            let s = c.state();
            let tapos = tapos_from_block_id(&s.dgp.head_block_id.hex()).expect("tapos");
            let t = Transaction::new(
                &tapos,
                TimePointSec((s.dgp.time + 600) as u32),
                vec![op.into()],
            );
            let tx = serde_json::to_value(t.sign(&key, &chain_id)).expect("json");
            btsops::simnet::transactions::push_transaction(c, &tx).expect("accepted");
        });
    }
    // Everything in blocks.
    let deadline = Instant::now() + Duration::from_secs(60);
    while net.with_chain(|c| !c.pending().is_empty()) {
        assert!(
            Instant::now() < deadline,
            "pending transactions never included"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let head = net.head_num();
    while net.head_num() < head + 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "built a history of {n} account_create ops in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    // The bench is one process and sets this before any KPI read.
    unsafe { std::env::set_var("BTSOPS_CACHE_DIR", dir.path().join("cache")) };
    let today = time::OffsetDateTime::now_utc().date();
    let url = fleet.endpoint("testnet", "a").expect("node").url.clone();
    let cfg_text = format!(
        "[[network]]\nname = \"testnet\"\nrole = \"testnet\"\nchain_id = \"{TESTNET_CHAIN_ID}\"\nprefix = \"TEST\"\n\
         [[network.node]]\nname = \"a\"\nurl = \"{url}\"\n\
         [faucet]\nnetwork = \"testnet\"\nurl = \"http://127.0.0.1:9\"\nregistrar = \"faucet\"\n\
         target_accounts = {}\nstart_date = \"{}\"\ntarget_date = \"{}\"\n",
        n * 2,
        today - time::Duration::days(1),
        today + time::Duration::days(30)
    );
    let cfg = btsops::config::parse(Path::new("(bench)"), &cfg_text).expect("config");

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(dir.path().join("cache"));
        let t = Instant::now();
        let s = btsops::cmd::faucet::collect(&cfg)
            .await
            .expect("cold stats");
        cold.push(t.elapsed().as_secs_f64());
        assert_eq!(s.kpis.today, n, "cold count");
        assert_eq!(s.read.ops, n, "cold read every op");
        let t = Instant::now();
        let s = btsops::cmd::faucet::collect(&cfg)
            .await
            .expect("warm stats");
        warm.push(t.elapsed().as_secs_f64());
        assert_eq!(s.kpis.today, n, "warm count");
        assert_eq!(s.read.ops, 0, "warm read no history");
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (c, w) = (median(&mut cold), median(&mut warm));
    println!("faucet KPIs over {n} registrar ops (median of 3):");
    println!(
        "  cold (history paged over RPC, {} pages): {c:.3} s",
        n.div_ceil(100)
    );
    println!("  warm (from the cache):                   {w:.3} s");
    println!("  cold / warm:                             {:.1}x", c / w);
    fleet.shutdown().await;
}
