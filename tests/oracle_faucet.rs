//! The faucet's chain side against the reference node (`../shared/oracle`): an
//! `account_create` built and signed by btsops with a lifetime member as registrar is
//! accepted and reads back; and every `account_create`/`transfer` rejection simnet answers
//! is sent to both, in the node's check order, and must come back with the same code,
//! name, `stack[0].format` and message.

mod support;

use std::time::{Duration, Instant};

use btsops::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, ChainId, Operation, PrivateKey,
    SignedTransaction,
};
use btsops::rpc::{ConnectOptions, RpcClient};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};
use support::ops::{core_balance, head_tx, transfer};
use support::oracle::{CHAIN_ID, DEV_PUB, DEV_WIF, Oracle};

const INIT0: u64 = 6;
const INIT1: u64 = 7;
const NATHAN: u64 = 17;
/// Enough for any fee the genesis schedule asks (premium names: 2000 BTS).
const BIG_FEE: i64 = 300_000_000;

fn opts() -> ConnectOptions {
    ConnectOptions {
        timeout: Duration::from_secs(10),
        ..ConnectOptions::default()
    }
}

fn dev() -> PrivateKey {
    PrivateKey::from_wif(DEV_WIF).unwrap()
}

fn chain_id() -> ChainId {
    ChainId::from_hex(CHAIN_ID).unwrap()
}

fn create(name: &str, registrar: u64, referrer: u64, percent: u16, fee: i64) -> Operation {
    let key = |role: &str| {
        PrivateKey::from_password(name, role, "oracle faucet test password")
            .unwrap()
            .public_key()
    };
    AccountCreateOp {
        fee: Asset::core(fee),
        registrar: AccountId(registrar),
        referrer: AccountId(referrer),
        referrer_percent: percent,
        name: name.into(),
        owner: Authority::single_key(key("owner")),
        active: Authority::single_key(key("active")),
        options: AccountOptions::with_memo_key(key("memo")),
        extensions: Default::default(),
    }
    .into()
}

/// simnet laid out like the oracle's chain: same id and prefix, init0..init10 at
/// 1.2.6..1.2.16 (lifetime members), nathan at 1.2.17 holding funds.
fn simnet_toml() -> String {
    let mut t = format!(
        "[[network]]\nname = \"oracle-like\"\nchain_id = \"{CHAIN_ID}\"\nprefix = \"BTS\"\nblock_interval = 1\n"
    );
    for i in 0..=10 {
        t.push_str(&format!(
            "  [[network.account]]\n  name = \"init{i}\"\n  owner_key = \"{DEV_PUB}\"\n  lifetime_member = true\n"
        ));
    }
    t.push_str(&format!(
        "  [[network.account]]\n  name = \"nathan\"\n  owner_key = \"{DEV_PUB}\"\n  balance = 100000000000000\n  [[network.node]]\n  name = \"a\"\n"
    ));
    t
}

async fn start_simnet() -> (FleetHandle, RpcClient) {
    let desc = FleetDescription::from_toml(&simnet_toml()).unwrap();
    let fleet = Fleet::start(&desc).await.unwrap();
    let url = fleet.endpoint("oracle-like", "a").unwrap().url.clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fleet.head("oracle-like").unwrap_or(0) < 2 {
        assert!(Instant::now() < deadline, "simnet produced no blocks");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = RpcClient::connect(&url, opts()).await.unwrap();
    (fleet, c)
}

/// (code, name, stack[0].format, message) of a rejection, or None when accepted.
type Outcome = Option<(i64, String, String, String)>;

async fn send(c: &RpcClient, tx: &SignedTransaction) -> Outcome {
    match c.broadcast_transaction(tx).await {
        Ok(()) => None,
        Err(e) => {
            let n = e
                .node_error()
                .unwrap_or_else(|| panic!("{}: not a node error: {e}", c.endpoint()));
            Some((
                n.code,
                n.name.clone().unwrap_or_default(),
                n.format.clone().unwrap_or_default(),
                n.message.clone(),
            ))
        }
    }
}

/// How a case builds its transaction on a given node.
enum Build {
    /// Ops referencing the head, expiring in `expires_in` s, signed by the dev key.
    Ops(Vec<Operation>, i64),
    /// Signed by a stranger's key.
    Stranger(Vec<Operation>),
    /// Signed by the dev key and again by a stranger.
    ExtraSig(Vec<Operation>),
    /// The dev key's signature twice.
    DupSig(Vec<Operation>),
    /// The TaPoS prefix flipped.
    BadTapos(Vec<Operation>),
}

async fn build(c: &RpcClient, b: &Build) -> SignedTransaction {
    let stranger = PrivateKey::from_password("mallory", "active", "x").unwrap();
    match b {
        Build::Ops(ops, exp) => head_tx(c, ops.clone(), *exp)
            .await
            .sign(&dev(), &chain_id()),
        Build::Stranger(ops) => head_tx(c, ops.clone(), 60)
            .await
            .sign(&stranger, &chain_id()),
        Build::ExtraSig(ops) => {
            let mut s = head_tx(c, ops.clone(), 60).await.sign(&dev(), &chain_id());
            s.sign(&stranger, &chain_id());
            s
        }
        Build::DupSig(ops) => {
            let mut s = head_tx(c, ops.clone(), 60).await.sign(&dev(), &chain_id());
            let first = s.signatures[0];
            s.signatures.push(first);
            s
        }
        Build::BadTapos(ops) => {
            let mut t = head_tx(c, ops.clone(), 60).await;
            t.ref_block_prefix ^= 1;
            t.sign(&dev(), &chain_id())
        }
    }
}

/// Digits replaced, for messages that quote balances (the two chains' differ).
fn shape(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_create_and_transfer_rejections_match_the_reference_node() {
    let Some(node) =
        Oracle::start("account_create_and_transfer_rejections_match_the_reference_node")
    else {
        return;
    };
    node.fund_nathan();
    let oracle = RpcClient::connect(&node.ws_url, opts()).await.unwrap();
    let (fleet, sim) = start_simnet().await;
    let fee = 2_000_000;
    use Build::*;
    // In the node's order: validate, signatures, authorities, TaPoS, expiration, fees,
    // then each evaluator's checks. `true` marks messages that quote chain state.
    let cases: Vec<(&str, Build, bool)> = vec![
        (
            "transfer validate from == to",
            Ops(vec![transfer(NATHAN, NATHAN, 1, fee)], 60),
            false,
        ),
        (
            "transfer validate amount 0",
            Ops(vec![transfer(NATHAN, INIT0, 0, fee)], 60),
            false,
        ),
        (
            "transfer validate negative fee",
            Ops(vec![transfer(NATHAN, INIT0, 1, -1)], 60),
            false,
        ),
        (
            "create validate bad name",
            Ops(vec![create("Bad_Name", INIT0, INIT0, 0, BIG_FEE)], 60),
            false,
        ),
        (
            "create validate referrer_percent",
            Ops(vec![create("ok-name-1", INIT0, INIT0, 10_001, BIG_FEE)], 60),
            false,
        ),
        (
            "duplicate signature",
            DupSig(vec![transfer(NATHAN, INIT0, 2, fee)]),
            false,
        ),
        (
            "unknown sender",
            Ops(vec![transfer(999, INIT0, 1, fee)], 60),
            false,
        ),
        (
            "missing active authority",
            Stranger(vec![transfer(NATHAN, INIT0, 3, fee)]),
            false,
        ),
        (
            "irrelevant signature",
            ExtraSig(vec![transfer(NATHAN, INIT0, 4, fee)]),
            false,
        ),
        (
            "bad TaPoS",
            BadTapos(vec![transfer(NATHAN, INIT0, 5, fee)]),
            false,
        ),
        (
            "expired",
            Ops(vec![transfer(NATHAN, INIT0, 6, fee)], -5),
            false,
        ),
        (
            "expiration too far",
            Ops(vec![transfer(NATHAN, INIT0, 7, fee)], 86_400 + 60),
            false,
        ),
        (
            "transfer fee too low",
            Ops(vec![transfer(NATHAN, INIT0, 8, fee - 1)], 60),
            false,
        ),
        (
            "create fee too low",
            Ops(vec![create("ok-name-2", INIT0, INIT0, 0, 1)], 60),
            false,
        ),
        (
            "premium name at the basic fee",
            Ops(vec![create("alice", INIT0, INIT0, 0, 500_000)], 60),
            false,
        ),
        (
            "transfer to an unknown account",
            Ops(vec![transfer(NATHAN, 999, 9, fee)], 60),
            false,
        ),
        (
            "transfer above the balance",
            Ops(vec![transfer(INIT1, NATHAN, 10, fee)], 60),
            true,
        ),
        (
            "registrar not a lifetime member",
            Ops(vec![create("ok-name-3", NATHAN, INIT0, 0, BIG_FEE)], 60),
            false,
        ),
        (
            "referrer a basic account",
            Ops(vec![create("ok-name-4", INIT0, NATHAN, 0, BIG_FEE)], 60),
            false,
        ),
        (
            "name taken",
            Ops(vec![create("init5", INIT0, INIT0, 0, BIG_FEE)], 60),
            false,
        ),
        (
            "registrar without funds",
            Ops(vec![create("ok-name-5", INIT1, INIT1, 0, BIG_FEE)], 60),
            true,
        ),
    ];
    let mut specials: Vec<(String, Build, bool)> = Vec::new();
    for s in 0..=5u64 {
        specials.push((
            format!("transfer from special 1.2.{s}"),
            Ops(vec![transfer(s, NATHAN, 11, fee)], 60),
            true,
        ));
        specials.push((
            format!("special 1.2.{s} as registrar"),
            Ops(
                vec![create(&format!("sp-reg-{s}"), s, INIT0, 0, BIG_FEE)],
                60,
            ),
            true,
        ));
        specials.push((
            format!("special 1.2.{s} as referrer"),
            Ops(
                vec![create(&format!("sp-ref-{s}"), INIT0, s, 0, BIG_FEE)],
                60,
            ),
            true,
        ));
    }
    let mut mismatches = Vec::new();
    for (what, b, state) in cases
        .into_iter()
        .map(|(w, b, s)| (w.to_string(), b, s))
        .chain(specials)
    {
        let o = send(&oracle, &build(&oracle, &b).await).await;
        let s = send(&sim, &build(&sim, &b).await).await;
        let same = match (&o, &s) {
            (None, None) => true,
            (Some(o), Some(s)) => {
                o.0 == s.0
                    && o.1 == s.1
                    && o.2 == s.2
                    && if state {
                        shape(&o.3) == shape(&s.3)
                    } else {
                        o.3 == s.3
                    }
            }
            _ => false,
        };
        if !same {
            mismatches.push(format!("{what}:\n  node:   {o:?}\n  simnet: {s:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_create_signed_by_btsops_is_accepted_and_reads_back() {
    let Some(node) = Oracle::start("account_create_signed_by_btsops_is_accepted_and_reads_back")
    else {
        return;
    };
    node.fund_nathan();
    let c = RpcClient::connect(&node.ws_url, opts()).await.unwrap();
    // init0 is a lifetime member with nothing to pay with: fund it from nathan.
    let tx = head_tx(
        &c,
        vec![transfer(NATHAN, INIT0, 100_000_000_000, 2_000_000)],
        60,
    )
    .await;
    c.broadcast_transaction_synchronous(&tx.sign(&dev(), &chain_id()), Duration::from_secs(20))
        .await
        .unwrap();
    let before = core_balance(&c, "init0").await;

    let name = "faucet-made-1";
    let probe = serde_json::to_value(vec![create(name, INIT0, INIT1, 5000, 0)]).unwrap();
    let fee = c.get_required_fees(probe, "1.3.0").await.unwrap()[0].amount;
    let op = create(name, INIT0, INIT1, 5000, fee);
    let tx = head_tx(&c, vec![op.clone()], 60)
        .await
        .sign(&dev(), &chain_id());
    let conf = c
        .broadcast_transaction_synchronous(&tx, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(conf.block_num > 0);

    let a = c
        .get_account_by_name(name)
        .await
        .unwrap()
        .expect("account exists");
    assert_eq!(a.registrar, "1.2.6");
    assert_eq!(a.referrer, "1.2.7");
    let Operation::AccountCreate(op) = op else {
        unreachable!()
    };
    let key = |k: &btsops::chain::Authority| k.key_auths[0].0.to_string_with_prefix("BTS");
    assert_eq!(a.rest["owner"]["key_auths"][0][0], key(&op.owner).as_str());
    assert_eq!(
        a.rest["active"]["key_auths"][0][0],
        key(&op.active).as_str()
    );
    assert_eq!(
        a.rest["options"]["memo_key"],
        op.options.memo_key.to_string_with_prefix("BTS").as_str()
    );
    assert_eq!(a.rest["referrer_rewards_percentage"], 5000);
    assert_eq!(
        before - core_balance(&c, "init0").await,
        fee,
        "the registrar paid the fee"
    );

    // `faucet stats` reads the registration back from the node's own history API.
    let dir = tempfile::tempdir().unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[network]]\nname = \"oracle\"\nrole = \"testnet\"\nchain_id = \"{CHAIN_ID}\"\nprefix = \"BTS\"\n\
             [[network.node]]\nname = \"n\"\nurl = \"{}\"\n\
             [faucet]\nnetwork = \"oracle\"\nurl = \"http://127.0.0.1:9\"\nregistrar = \"init0\"\n\
             target_accounts = 10\nstart_date = \"{}\"\ntarget_date = \"{}\"\n",
            node.ws_url,
            today - time::Duration::days(1),
            today + time::Duration::days(9)
        ),
    )
    .unwrap();
    let stats = || {
        let cfg = config.display().to_string();
        let d = dir.path().to_path_buf();
        async move {
            let run = tokio::task::spawn_blocking(move || {
                support::faucet::btsops(
                    &d,
                    &["faucet", "stats", "--json", "--config", &cfg],
                    "",
                    &[],
                )
            })
            .await
            .unwrap();
            assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
            serde_json::from_str::<serde_json::Value>(run.stdout.trim()).unwrap()
        }
    };
    let v = stats().await;
    let k = &v["kpis"];
    assert_eq!(k["today"], 1, "{v}");
    assert_eq!(k["since_start"], 1);
    assert_eq!(k["last_registrations"][0]["name"], name);
    assert_eq!(k["last_registrations"][0]["account"], a.id.as_str());
    assert_eq!(k["last_registrations"][0]["fee"], fee);
    assert_eq!(k["balance"], core_balance(&c, "init0").await);
    assert!(k["fee"].as_i64().unwrap() > 0);
    assert_eq!(
        v["read"]["ops"], 2,
        "the funding transfer and the account_create"
    );
    assert_eq!(
        v["faucet"]["reachable"], false,
        "nothing listens on the discard port"
    );
    assert_eq!(v["read"]["accounts"], 1, "{v}");
    // From the cache: the node's statistics object of the account is read again, and it
    // is unchanged, so its account object is not; the same numbers.
    let warm = stats().await;
    assert_eq!(warm["read"]["ops"], 0, "{warm}");
    assert_eq!(warm["read"]["statistics"], 1, "{warm}");
    assert_eq!(warm["read"]["accounts"], 0, "{warm}");
    assert_eq!(warm["kpis"]["rewards"], v["kpis"]["rewards"]);
    assert_eq!(warm["kpis"]["since_start"], v["kpis"]["since_start"]);
}
