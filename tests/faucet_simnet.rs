//! The faucet end to end on simnet: the simnet faucet registers on chain, the client
//! classifies every error class the faucet produces, `btsops faucet register|stats` run as
//! processes (safety gate, audit line, password never leaked), and the KPIs read over RPC
//! match what the test created, from the chain, from the cache, and again without it.

mod support;

use std::path::Path;
use std::time::Duration;

use btsops::chain::{ChainId, PrivateKey};
use btsops::faucet::{Class, Keys, Request};
use serde_json::Value;
use support::faucet::{self as f, ConfigOpts, Run};
use support::ops::{core_balance, head_tx, transfer};

/// Long enough to satisfy the reference wallet's minimum, and unmistakable in any output.
const PASSWORD: &str = "Zq7-faucet-test-password-never-shown";

fn request(name: &str, keys: Keys, referrer: Option<&str>) -> Request {
    Request {
        name: name.into(),
        keys,
        referrer: referrer.map(str::to_string),
    }
}

fn keys(name: &str) -> Keys {
    Keys::from_password(name, PASSWORD, "TEST").expect("derive keys")
}

async fn run(dir: &Path, args: Vec<String>, stdin: &str, env: Vec<(String, String)>) -> Run {
    let dir = dir.to_path_buf();
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        f::btsops(&dir, &args, &stdin, &env)
    })
    .await
    .expect("btsops runner")
}

fn args(config: &Path, rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    v.push("--config".into());
    v.push(config.display().to_string());
    v
}

async fn stats(dir: &Path, config: &Path) -> Value {
    let r = run(
        dir,
        args(config, &["faucet", "stats", "--json"]),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(r.code, 0, "faucet stats failed: {}{}", r.stdout, r.stderr);
    serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("stats JSON: {e}: {}", r.stdout))
}

fn stat_u64(v: &Value, path: &[&str]) -> u64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_u64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

fn stat_i64(v: &Value, path: &[&str]) -> i64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_i64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_registration_creates_the_account_and_never_leaks_the_password() {
    let fleet = f::start().await;
    let c = f::connect(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let config = f::write_config(dir.path(), &fleet, ConfigOpts::default());
    let fee_before = stat_i64(
        &c.get_objects(&["2.6.6"]).await.unwrap()[0].clone().unwrap(),
        &["lifetime_fees_paid"],
    );
    let balance_before = core_balance(&c, "faucet").await;

    let name = "new-user-1";
    let verbose = vec![
        ("RUST_LOG".to_string(), "trace".to_string()),
        ("RUST_BACKTRACE".to_string(), "full".to_string()),
    ];
    let r = run(
        dir.path(),
        args(
            &config,
            &["faucet", "register", name, "--password-stdin", "--yes"],
        ),
        &format!("{PASSWORD}\n"),
        verbose,
    )
    .await;
    assert_eq!(r.code, 0, "register failed: {}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("registered {name}")),
        "{}",
        r.stdout
    );
    // The faucet's reply is shown verbatim.
    assert!(
        r.stdout.contains(r#"{"account":{"name":"new-user-1""#),
        "{}",
        r.stdout
    );

    // On chain with the keys `keys derive` gives, registered by the faucet's registrar.
    let id = f::wait_account(&c, name).await;
    let k = keys(name);
    let acct = c.get_objects(&[id.as_str()]).await.unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(acct["owner"]["key_auths"][0][0], k.owner.as_str());
    assert_eq!(acct["active"]["key_auths"][0][0], k.active.as_str());
    assert_eq!(acct["options"]["memo_key"], k.memo.as_str());
    assert_eq!(acct["registrar"], "1.2.6");
    assert_eq!(acct["referrer"], "1.2.6");
    assert_eq!(
        acct["referrer_rewards_percentage"],
        u64::from(f::REFERRER_PERCENT) * 100
    );

    // The registrar paid the fee the node asks for: its fee statistics grew by exactly that
    // (simnet pays the registrar's cashback at once, so its balance fell by the network's
    // 20% only).
    let hist = c
        .call(
            btsops::rpc::Api::History,
            "get_relative_account_history",
            serde_json::json!(["faucet", 0, 1, 0]),
        )
        .await
        .unwrap();
    let op = &hist[0]["op"];
    assert_eq!(op[0], 5);
    let fee = op[1]["fee"]["amount"].as_i64().unwrap();
    let ops = serde_json::json!([[5, op[1].clone()]]);
    assert_eq!(
        c.get_required_fees(ops, "1.3.0").await.unwrap()[0].amount,
        fee
    );
    let fee_after = stat_i64(
        &c.get_objects(&["2.6.6"]).await.unwrap()[0].clone().unwrap(),
        &["lifetime_fees_paid"],
    );
    assert_eq!(fee_after - fee_before, fee);
    assert_eq!(
        balance_before - core_balance(&c, "faucet").await,
        fee * 2000 / 10_000
    );

    // One audit line, with the public keys and the result.
    let audit = f::audit_lines(dir.path());
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], format!("register {name}"));
    assert_eq!(audit[0]["result"], "registered");
    assert_eq!(audit[0]["after"]["owner_key"], k.owner.as_str());

    // A stats run fills the cache; then nothing anywhere holds the password.
    let _ = stats(dir.path(), &config).await;
    let mut files = Vec::new();
    collect_files(dir.path(), &mut files);
    assert!(
        files.len() >= 3,
        "audit, config and cache expected: {files:?}"
    );
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "password found in {}",
            p.display()
        );
    }
    assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD));
    fleet.shutdown().await;
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_refuses_without_yes_in_read_only_and_on_a_protected_network() {
    let fleet = f::start().await;
    let c = f::connect(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let pw = format!("{PASSWORD}\n");
    let register = |config: &Path, extra: &[&str]| {
        let mut a = vec!["faucet", "register", "gated-1", "--password-stdin"];
        a.extend_from_slice(extra);
        args(config, &a)
    };

    let plain = f::write_config(dir.path(), &fleet, ConfigOpts::default());
    let r = run(dir.path(), register(&plain, &[]), &pw, Vec::new()).await;
    assert_eq!(r.code, 4, "no --yes: {}", r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    let r = run(
        dir.path(),
        register(&plain, &["--yes", "--read-only"]),
        &pw,
        Vec::new(),
    )
    .await;
    assert_eq!(r.code, 4, "--read-only: {}", r.stderr);

    let ro = f::write_config(
        dir.path(),
        &fleet,
        ConfigOpts {
            read_only: true,
            ..Default::default()
        },
    );
    let r = run(
        dir.path(),
        register(&ro, &["--yes", "--armed"]),
        &pw,
        Vec::new(),
    )
    .await;
    assert_eq!(r.code, 4, "ui.read_only: {}", r.stderr);

    let prot = f::write_config(
        dir.path(),
        &fleet,
        ConfigOpts {
            protected: true,
            ..Default::default()
        },
    );
    let r = run(dir.path(), register(&prot, &["--yes"]), &pw, Vec::new()).await;
    assert_eq!(r.code, 4, "protected: {}", r.stderr);
    assert!(r.stderr.contains("protected"), "{}", r.stderr);
    assert!(
        f::audit_lines(dir.path()).is_empty(),
        "refusals send nothing"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(c.get_account_by_name("gated-1").await.unwrap().is_none());

    // Armed and confirmed, it goes through, with public keys instead of a password.
    let k = keys("gated-1");
    let r = run(
        dir.path(),
        register(&prot, &["--yes", "--armed"])
            .into_iter()
            .filter(|a| a != "--password-stdin")
            .chain(
                [
                    "--owner", &k.owner, "--active", &k.active, "--memo", &k.memo,
                ]
                .map(String::from),
            )
            .collect(),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    f::wait_account(&c, "gated-1").await;
    assert_eq!(f::audit_lines(dir.path()).len(), 1);

    // A name the chain refuses is never sent.
    let r = run(
        dir.path(),
        args(
            &plain,
            &[
                "faucet",
                "register",
                "Bad_Name",
                "--password-stdin",
                "--yes",
            ],
        ),
        &pw,
        Vec::new(),
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("not a valid account name"),
        "{}",
        r.stderr
    );
    assert_eq!(
        f::audit_lines(dir.path()).len(),
        1,
        "nothing sent, nothing audited"
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_is_produced_by_the_faucet_and_classified() {
    let fleet = f::start().await;
    let c = f::connect(&fleet).await;
    let main = f::client(&fleet, "faucet");

    let ok = main
        .register(&request("class-1", keys("class-1"), None))
        .await;
    assert_eq!(ok.class(), Class::Registered, "{}", ok.body);
    f::wait_account(&c, "class-1").await;

    let cases: Vec<(&str, Request, Class, &str)> = vec![
        (
            "faucet",
            request("class-1", keys("class-1"), None),
            Class::Taken,
            "Account exists",
        ),
        (
            "faucet",
            request("Bad-Name-1", keys("x"), None),
            Class::InvalidName,
            "is_valid_name( name ): ",
        ),
        (
            "faucet",
            request(
                "class-2",
                Keys {
                    owner: "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV".into(),
                    ..keys("class-2")
                },
                None,
            ),
            Class::InvalidKey,
            "Error loading Base58 object",
        ),
        (
            "faucet",
            request("alice", keys("alice"), None),
            Class::Premium,
            "Only cheap names allowed!",
        ),
        (
            "faucet",
            request("class-3", keys("class-3"), Some("nobody-9")),
            Class::UnknownReferrer,
            "Unknown referrer: nobody-9",
        ),
        (
            "poor",
            request("class-4", keys("class-4"), None),
            Class::RegistrarOutOfFunds,
            "Insufficient Balance: poor-reg's balance of",
        ),
        (
            "basic",
            request("class-5", keys("class-5"), None),
            Class::Unknown,
            "Only Lifetime members may register an account.",
        ),
    ];
    for (faucet, req, want, text) in cases {
        // `send` skips the client's own name check, to see what the faucet says.
        let r = f::client(&fleet, faucet).send(&req).await;
        assert_eq!(r.class(), want, "{faucet} {}: {}", req.name, r.body);
        assert_eq!(r.status, Some(200), "tapin answers errors with 200");
        assert!(r.body.contains(text), "{}: {}", req.name, r.body);
        assert!(r.body.starts_with(r#"{"error":{"base":["#), "{}", r.body);
    }
    // The client itself never sends a bad name.
    let r = main.register(&request("Bad-Name-1", keys("x"), None)).await;
    assert_eq!((r.class(), r.sent), (Class::InvalidName, false));

    // One account per IP, keyed on the peer address here (no proxy in front).
    let strict = f::client(&fleet, "strict");
    assert_eq!(
        strict
            .register(&request("class-6", keys("class-6"), None))
            .await
            .class(),
        Class::Registered
    );
    let r = strict
        .register(&request("class-7", keys("class-7"), None))
        .await;
    assert_eq!(r.class(), Class::Throttled, "{}", r.body);
    assert!(r.body.contains("Only one account per IP"));
    f::wait_account(&c, "class-6").await;

    // Behind a proxy the limit keys on X-Real-IP: another address may register, the same
    // one may not.
    let post = |ip: &'static str, name: &'static str| {
        let u = format!("{}/api/v1/accounts", f::url(&fleet, "strict"));
        let body = request(name, keys(name), None).body();
        async move {
            let r = reqwest::Client::new()
                .post(u)
                .header("X-Real-IP", ip)
                .json(&body)
                .send()
                .await
                .expect("post");
            btsops::faucet::classify(200, &r.text().await.expect("body")).class
        }
    };
    assert_eq!(post("198.51.100.1", "class-9").await, Class::Registered);
    assert_eq!(post("198.51.100.2", "class-10").await, Class::Registered);
    assert_eq!(post("198.51.100.1", "class-11").await, Class::Throttled);
    f::wait_account(&c, "class-10").await;

    // The probe: reachable, with no side effect; then the faucet goes down.
    let count = |c: &btsops::rpc::RpcClient| {
        let c = c.clone();
        async move {
            c.call(
                btsops::rpc::Api::Database,
                "get_account_count",
                serde_json::json!([]),
            )
            .await
            .unwrap()
        }
    };
    let before = count(&c).await;
    let p = main.probe().await;
    assert!(p.reachable && p.status == Some(400), "{p:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&c).await, before, "the probe registered nothing");
    let quick = p.latency_ms.expect("a latency with a reply");
    fleet.faults(f::NET, "faucet").unwrap().refuse_connections();
    let r = main
        .register(&request("class-8", keys("class-8"), None))
        .await;
    assert_eq!(r.class(), Class::FaucetDown, "{}", r.body);
    assert!(!main.probe().await.reachable);

    // Back up but slow: the probe's latency shows it (the listener comes back on its own
    // time, so a few tries).
    let faults = fleet.faults(f::NET, "faucet").unwrap();
    faults.recover();
    faults.set_slow_processing(Duration::from_millis(400), Duration::ZERO);
    let mut slow = None;
    for _ in 0..50 {
        let p = f::client(&fleet, "faucet").probe().await;
        if p.reachable {
            slow = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let slow = slow.expect("the faucet answers again");
    let slow_ms = slow.latency_ms.expect("a latency with a reply");
    assert!(
        slow_ms >= 400.0 && slow_ms > quick,
        "probe took {slow_ms} ms with a 400 ms faucet ({quick} ms before)"
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_and_rewards_come_from_the_chain_with_or_without_the_cache() {
    let fleet = f::start().await;
    let c = f::connect(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let config = f::write_config(dir.path(), &fleet, ConfigOpts::default());
    let main = f::client(&fleet, "faucet");
    let names = ["kpi-1", "kpi-2", "kpi-3"];
    for n in names {
        let r = main.register(&request(n, keys(n), None)).await;
        assert_eq!(r.class(), Class::Registered, "{}", r.body);
    }
    let mut ids = Vec::new();
    for n in names {
        ids.push(f::wait_account(&c, n).await);
    }

    // kpi-1 gets funds from nathan, then pays three transfer fees of its own.
    let chain_id = ChainId::from_hex(f::CHAIN_ID).unwrap();
    let dev = PrivateKey::from_wif(support::simnet::DEV_WIF).unwrap();
    let user = PrivateKey::from_password("kpi-1", "active", PASSWORD).unwrap();
    let user_id: u64 = ids[0].trim_start_matches("1.2.").parse().unwrap();
    let nathan = 7;
    let fee = 2_000_000;
    let tx = head_tx(&c, vec![transfer(nathan, user_id, 100_000_000, fee)], 60).await;
    c.broadcast_transaction(&tx.sign(&dev, &chain_id))
        .await
        .unwrap();
    f::wait_head(&fleet, fleet.head(f::NET).unwrap() + 2).await;
    let faucet_before = core_balance(&c, "faucet").await;
    for i in 0..3 {
        let tx = head_tx(&c, vec![transfer(user_id, nathan, 1_000 + i, fee)], 60).await;
        c.broadcast_transaction(&tx.sign(&user, &chain_id))
            .await
            .unwrap();
    }
    f::wait_head(&fleet, fleet.head(f::NET).unwrap() + 2).await;
    let faucet_gain = core_balance(&c, "faucet").await - faucet_before;

    // PROTOCOL §21 with the account's stored percentages (20% network, 30% lifetime
    // referrer, referrer_percent 50% of the rest); faucet holds all three roles.
    let total = 3 * fee;
    let network = total * 2000 / 10_000;
    let lifetime = total * 3000 / 10_000;
    let referral = total - network - lifetime;
    let referrer = referral * i64::from(f::REFERRER_PERCENT) / 100;
    let registrar = referral - referrer;

    let cold = stats(dir.path(), &config).await;
    let k = &cold["kpis"];
    for w in ["today", "last_7_days", "last_30_days", "since_start"] {
        assert_eq!(stat_u64(k, &[w]), 3, "{w}: {k}");
    }
    assert_eq!(stat_i64(k, &["rewards", "as_registrar"]), registrar);
    assert_eq!(stat_i64(k, &["rewards", "as_referrer"]), referrer);
    assert_eq!(stat_i64(k, &["rewards", "as_lifetime_referrer"]), lifetime);
    assert_eq!(
        stat_i64(k, &["rewards", "total"]),
        faucet_gain,
        "what the chain credited"
    );
    assert_eq!(stat_i64(k, &["balance"]), core_balance(&c, "faucet").await);
    let acct_fee = stat_i64(k, &["fee"]);
    assert!(acct_fee > 0);
    assert_eq!(
        stat_i64(k, &["runway"]),
        stat_i64(k, &["balance"]) / acct_fee
    );
    assert_eq!(k["last_registrations"][0]["name"], "kpi-3");
    assert_eq!(stat_u64(k, &["pace", "remaining"]), 27);
    assert_eq!(k["since"], Value::Null);
    assert!(stat_u64(&cold, &["read", "ops"]) >= 3);
    assert!(cold["faucet"]["reachable"].as_bool().unwrap());

    // A restart reads nothing old: the same counts, from the cache.
    let warm = stats(dir.path(), &config).await;
    assert_eq!(stat_u64(&warm, &["read", "ops"]), 0, "{warm}");
    assert_eq!(warm["kpis"]["since_start"], cold["kpis"]["since_start"]);
    assert_eq!(warm["kpis"]["rewards"], cold["kpis"]["rewards"]);

    // A new registration is read incrementally.
    let r = main.register(&request("kpi-4", keys("kpi-4"), None)).await;
    assert_eq!(r.class(), Class::Registered, "{}", r.body);
    f::wait_account(&c, "kpi-4").await;
    let inc = stats(dir.path(), &config).await;
    assert_eq!(stat_u64(&inc, &["kpis", "today"]), 4);
    assert_eq!(stat_u64(&inc, &["read", "ops"]), 1, "{inc}");

    // Without the cache: everything again from the chain, the same numbers.
    std::fs::remove_dir_all(dir.path().join("cache")).unwrap();
    let again = stats(dir.path(), &config).await;
    assert!(stat_u64(&again, &["read", "ops"]) >= 4);
    assert_eq!(again["kpis"]["today"], inc["kpis"]["today"]);
    assert_eq!(
        again["kpis"]["last_registrations"],
        inc["kpis"]["last_registrations"]
    );
    fleet.shutdown().await;
}

/// JSON-RPC requests the simnet node has answered so far.
fn node_requests(fleet: &btsops::simnet::FleetHandle) -> u64 {
    fleet
        .node(f::NET, "a")
        .expect("node a")
        .requests
        .load(std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_read_asks_only_for_what_changed_and_counts_the_same() {
    let fleet = f::start().await;
    let c = f::connect(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let config = f::write_config(dir.path(), &fleet, ConfigOpts::default());
    let main = f::client(&fleet, "faucet");
    // More than one page of history and of objects (100 each).
    let n = 150;
    let pubkey = keys("warm-x");
    for i in 0..n {
        let name = format!("warm-{i}");
        let r = main.register(&request(&name, pubkey.clone(), None)).await;
        assert_eq!(r.class(), Class::Registered, "{name}: {}", r.body);
    }
    let last = f::wait_account(&c, &format!("warm-{}", n - 1)).await;

    let before = node_requests(&fleet);
    let cold = stats(dir.path(), &config).await;
    let cold_requests = node_requests(&fleet) - before;
    assert_eq!(stat_u64(&cold, &["kpis", "today"]), n);
    assert_eq!(stat_u64(&cold, &["read", "accounts"]), n);

    let before = node_requests(&fleet);
    let warm = stats(dir.path(), &config).await;
    let warm_requests = node_requests(&fleet) - before;
    // Warm: no history page, no account object; one statistics call per 100 accounts.
    assert_eq!(stat_u64(&warm, &["read", "ops"]), 0, "{warm}");
    assert_eq!(stat_u64(&warm, &["read", "accounts"]), 0, "{warm}");
    assert_eq!(stat_u64(&warm, &["read", "fee_calls"]), 2, "{warm}");
    // Cold read those pages and two calls of account objects more (both read the
    // statistics).
    let saved = stat_u64(&cold, &["read", "pages"]) + 2;
    assert!(
        warm_requests + saved <= cold_requests,
        "the node answered {cold_requests} requests cold and {warm_requests} warm"
    );
    assert_eq!(warm["kpis"], cold["kpis"], "same KPIs from the cache");

    // One account pays a fee: only it is read again, and its fees count.
    let chain_id = ChainId::from_hex(f::CHAIN_ID).unwrap();
    let dev = PrivateKey::from_wif(support::simnet::DEV_WIF).unwrap();
    let user = PrivateKey::from_password("warm-x", "active", PASSWORD).unwrap();
    let user_id: u64 = last.trim_start_matches("1.2.").parse().unwrap();
    let fee = 2_000_000;
    let tx = head_tx(&c, vec![transfer(7, user_id, 100_000_000, fee)], 60).await;
    c.broadcast_transaction(&tx.sign(&dev, &chain_id))
        .await
        .unwrap();
    f::wait_head(&fleet, fleet.head(f::NET).unwrap() + 2).await;
    let tx = head_tx(&c, vec![transfer(user_id, 7, 1_000, fee)], 60).await;
    c.broadcast_transaction(&tx.sign(&user, &chain_id))
        .await
        .unwrap();
    f::wait_head(&fleet, fleet.head(f::NET).unwrap() + 2).await;
    let after = stats(dir.path(), &config).await;
    assert_eq!(stat_u64(&after, &["read", "accounts"]), 1, "{after}");
    let gained = stat_i64(&after, &["kpis", "rewards", "total"])
        - stat_i64(&cold, &["kpis", "rewards", "total"]);
    assert_eq!(
        gained,
        fee - fee * 2000 / 10_000,
        "all but the network's 20%"
    );
    // And the same numbers with no cache at all.
    std::fs::remove_dir_all(dir.path().join("cache")).unwrap();
    let again = stats(dir.path(), &config).await;
    assert_eq!(again["kpis"]["rewards"], after["kpis"]["rewards"]);
    assert_eq!(again["kpis"]["since_start"], after["kpis"]["since_start"]);
    fleet.shutdown().await;
}
