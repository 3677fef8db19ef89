//! Transactions signed with chain/ against simnet: acceptance and effects, and every
//! rejection case with the real node's code, name and `stack[0].format`.

mod support;

use std::time::Duration;

use btsops::chain::{ChainId, PrivateKey, SignedTransaction};
use btsops::rpc::{Api, RpcClient};
use serde_json::{Value, json};
use support::ops::{core_balance, create, head_tx, transfer};
use support::simnet::{self, DEV_WIF, MAINNET_ID};

const FAUCET: u64 = 6;
const NATHAN: u64 = 7;

fn key() -> PrivateKey {
    PrivateKey::from_wif(DEV_WIF).unwrap()
}

fn chain_id() -> ChainId {
    ChainId::from_hex(MAINNET_ID).unwrap()
}

/// Broadcasts and returns the node error's (code, name, stack[0].format, message).
async fn reject(c: &RpcClient, signed: &SignedTransaction) -> (i64, String, String, String) {
    let err = c
        .broadcast_transaction(signed)
        .await
        .expect_err("must be rejected");
    let e = err
        .node_error()
        .unwrap_or_else(|| panic!("not a node error: {err}"));
    (
        e.code,
        e.name.clone().unwrap_or_default(),
        e.format.clone().unwrap_or_default(),
        e.message.clone(),
    )
}

async fn setup() -> (btsops::simnet::FleetHandle, RpcClient) {
    let fleet = simnet::start().await;
    simnet::wait_head(&fleet, 2).await;
    let c = simnet::connect(&fleet, "a").await;
    (fleet, c)
}

#[tokio::test]
async fn signed_transfer_is_accepted_included_and_moves_balances() {
    let (fleet, c) = setup().await;
    let fee = c
        .get_required_fees(
            serde_json::to_value(vec![transfer(NATHAN, FAUCET, 1, 0)]).unwrap(),
            "1.3.0",
        )
        .await
        .unwrap()[0]
        .amount;
    assert_eq!(fee, 2_000_000);
    let (n0, f0) = (
        core_balance(&c, &format!("1.2.{NATHAN}")).await,
        core_balance(&c, &format!("1.2.{FAUCET}")).await,
    );
    let signed = head_tx(&c, vec![transfer(NATHAN, FAUCET, 12_345, fee)], 60)
        .await
        .sign(&key(), &chain_id());
    let node_hex = c
        .call(Api::Database, "get_transaction_hex", json!([signed]))
        .await
        .unwrap();
    assert_eq!(node_hex, signed.to_hex());
    let conf = c
        .broadcast_transaction_synchronous(&signed, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(conf.id, signed.id_hex());
    assert_eq!(conf.trx["operation_results"], json!([[0, {}]]));
    let block = c.get_block(conf.block_num).await.unwrap().expect("block");
    let raw = c
        .call(Api::Database, "get_block", json!([conf.block_num]))
        .await
        .unwrap();
    assert_eq!(
        raw["transactions"][conf.trx_num as usize]["signatures"][0],
        json!(signed.signatures[0].to_hex())
    );
    assert!(!block.transactions.is_empty());
    // nathan (basic member, referrer committee) pays the fee; the faucet gets the amount.
    assert_eq!(
        core_balance(&c, &format!("1.2.{NATHAN}")).await,
        n0 - 12_345 - fee
    );
    assert_eq!(
        core_balance(&c, &format!("1.2.{FAUCET}")).await,
        f0 + 12_345
    );
    let full = c
        .call(
            Api::Database,
            "get_full_accounts",
            json!([["nathan"], false]),
        )
        .await
        .unwrap();
    let stats = &full[0][1]["statistics"];
    assert_eq!(stats["total_ops"], 1);
    assert_eq!(stats["lifetime_fees_paid"], fee);
    // History: newest first, the transfer in both accounts' histories.
    for who in ["nathan", "faucet"] {
        let h = c
            .call(
                Api::History,
                "get_account_history",
                json!([who, "1.11.0", 10, "1.11.0"]),
            )
            .await
            .unwrap();
        assert_eq!(h[0]["op"][0], 0, "{who}");
        assert_eq!(h[0]["op"][1]["amount"]["amount"], 12_345);
        assert_eq!(h[0]["block_num"], conf.block_num);
        let r = c
            .call(
                Api::History,
                "get_relative_account_history",
                json!([who, 0, 10, 0]),
            )
            .await
            .unwrap();
        assert_eq!(r[0]["id"], h[0]["id"]);
    }
    let none = c
        .call(
            Api::History,
            "get_account_history",
            json!(["nobody", "1.11.0", 10, "1.11.0"]),
        )
        .await
        .unwrap();
    assert_eq!(none, json!([]));
    let err = c
        .call(
            Api::History,
            "get_account_history",
            json!(["nathan", "1.11.0", 101, "1.11.0"]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.node_error().unwrap().format.as_deref(),
        Some("limit <= configured_limit: limit can not be greater than ${configured_limit}")
    );
    // Resending the same body is a duplicate.
    let (code, name, format, message) = reject(&c, &signed).await;
    assert_eq!((code, name.as_str()), (3030001, "duplicate_transaction"));
    assert_eq!(format, "Transaction '${txid}' is already in the database");
    assert_eq!(
        message,
        format!(
            "Execution error: duplicate transaction: Transaction '{}' is already in the database",
            signed.id_hex()
        )
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn broadcast_with_callback_notifies_once_included() {
    let (fleet, c) = setup().await;
    let mut notices = c.take_notices().unwrap();
    c.call(
        Api::Database,
        "set_pending_transaction_callback",
        json!([11]),
    )
    .await
    .unwrap();
    c.set_subscribe_callback(12, false).await.unwrap();
    c.call(
        Api::Database,
        "get_full_accounts",
        json!([["nathan"], true]),
    )
    .await
    .unwrap();
    let signed = head_tx(&c, vec![transfer(NATHAN, FAUCET, 1, 2_000_000)], 60)
        .await
        .sign(&key(), &chain_id());
    c.broadcast_transaction_with_callback(42, &signed)
        .await
        .unwrap();
    // The pending-transaction notice, the changed objects of nathan's full account, and the
    // inclusion notice.
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 3 {
        let n = tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("notices within 5 s")
            .unwrap();
        seen.entry(n.callback).or_insert(n);
    }
    assert_eq!(seen[&11].args[0]["signatures"], json!(signed.signatures));
    let changed: Vec<&str> = seen[&12].args[0]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert!(changed.contains(&"2.6.7"), "{changed:?}");
    assert!(
        changed.iter().any(|id| id.starts_with("2.5.")),
        "{changed:?}"
    );
    let n = &seen[&42];
    assert_eq!(n.args[0]["id"], signed.id_hex());
    assert!(n.args[0]["block_num"].as_u64().unwrap() > 0);
    fleet.shutdown().await;
}

#[tokio::test]
async fn account_create_by_a_lifetime_member() {
    let (fleet, c) = setup().await;
    let f0 = core_balance(&c, &format!("1.2.{FAUCET}")).await;
    let op = create("alice-test1", FAUCET, 0);
    let fee = c
        .get_required_fees(serde_json::to_value(vec![op]).unwrap(), "1.3.0")
        .await
        .unwrap()[0]
        .amount;
    assert!(fee >= 500_000, "basic fee plus data fee: {fee}");
    let signed = head_tx(&c, vec![create("alice-test1", FAUCET, fee)], 60)
        .await
        .sign(&key(), &chain_id());
    let conf = c
        .broadcast_transaction_synchronous(&signed, Duration::from_secs(10))
        .await
        .unwrap();
    let new_id = conf.trx["operation_results"][0][1]
        .as_str()
        .unwrap()
        .to_string();
    let acct = c
        .get_account_by_name("alice-test1")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(json!(acct.id), json!(new_id));
    let obj = c.get_objects(&[&new_id]).await.unwrap();
    let obj = obj[0].as_ref().unwrap();
    assert_eq!(obj["registrar"], "1.2.6");
    assert_eq!(obj["referrer"], "1.2.6");
    assert_eq!(obj["lifetime_referrer"], "1.2.6");
    // A lifetime-member registrar gets all but the network's 20 % of its fee back
    // (credited at once in simnet; rounding leftovers go to the registrar).
    assert_eq!(
        core_balance(&c, &format!("1.2.{FAUCET}")).await,
        f0 - fee * 2000 / 10000
    );
    // Same name again: taken.
    let again = head_tx(&c, vec![create("alice-test1", FAUCET, fee)], 61)
        .await
        .sign(&key(), &chain_id());
    let (code, _, format, message) = reject(&c, &again).await;
    assert_eq!(code, 10);
    assert_eq!(
        format,
        "current_account_itr == acnt_indx.indices().get<by_name>().end(): Account '${a}' already exists."
    );
    assert_eq!(
        message,
        "Execution error: Assert Exception: current_account_itr == acnt_indx.indices().get<by_name>().end(): Account 'alice-test1' already exists."
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn rejections_match_the_real_node() {
    let (fleet, c) = setup().await;
    let k = key();
    let cid = chain_id();
    let fee = 2_000_000;

    // Expired.
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 1, fee)], -5)
        .await
        .sign(&k, &cid);
    let (code, _, format, message) = reject(&c, &s).await;
    assert_eq!((code, format.as_str()), (10, "now <= trx.expiration: "));
    assert_eq!(
        message,
        "Execution error: Assert Exception: now <= trx.expiration: "
    );

    // Too far ahead.
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 2, fee)], 86_400 + 60)
        .await
        .sign(&k, &cid);
    let (_, _, format, _) = reject(&c, &s).await;
    assert_eq!(
        format,
        "trx.expiration <= now + chain_parameters.maximum_time_until_expiration: "
    );

    // Bad TaPoS.
    let mut t = head_tx(&c, vec![transfer(NATHAN, FAUCET, 3, fee)], 60).await;
    t.ref_block_prefix ^= 1;
    let (_, _, format, _) = reject(&c, &t.sign(&k, &cid)).await;
    assert_eq!(
        format,
        "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1].value(): "
    );

    // Signed by a stranger: missing active authority.
    let stranger = PrivateKey::from_password("x", "active", "y").unwrap();
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 4, fee)], 60)
        .await
        .sign(&stranger, &cid);
    let (code, name, format, message) = reject(&c, &s).await;
    assert_eq!(
        (code, name.as_str(), format.as_str()),
        (
            4010001,
            "tx_missing_active_auth",
            "Missing Active Authority ${id}"
        )
    );
    assert_eq!(
        message,
        "Execution error: missing required active authority: Missing Active Authority 1.2.7"
    );

    // Wrong chain id in the digest reads the same.
    let other = ChainId::from_hex(&"11".repeat(32)).unwrap();
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 5, fee)], 60)
        .await
        .sign(&k, &other);
    assert_eq!(reject(&c, &s).await.0, 4010001);

    // An extra, unneeded signature.
    let mut s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 6, fee)], 60)
        .await
        .sign(&k, &cid);
    s.sign(&stranger, &cid);
    let (code, name, format, _) = reject(&c, &s).await;
    assert_eq!(
        (code, name.as_str(), format.as_str()),
        (
            4010004,
            "tx_irrelevant_sig",
            "Unnecessary signature(s) detected"
        )
    );

    // The same key twice.
    let mut s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 7, fee)], 60)
        .await
        .sign(&k, &cid);
    let dup = s.signatures[0];
    s.signatures.push(dup);
    let (code, name, format, _) = reject(&c, &s).await;
    assert_eq!(
        (code, name.as_str(), format.as_str()),
        (4010005, "tx_duplicate_sig", "Duplicate Signature detected")
    );

    // Non-canonical signature.
    let mut s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 8, fee)], 60)
        .await
        .sign(&k, &cid);
    s.signatures[0].0[1] |= 0x80;
    let (code, _, format, _) = reject(&c, &s).await;
    assert_eq!(
        (code, format.as_str()),
        (10, "is_canonical( c ): signature is not canonical")
    );

    // Recovery byte out of range.
    let mut s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 9, fee)], 60)
        .await
        .sign(&k, &cid);
    s.signatures[0].0[0] = 26;
    let (code, name, format, _) = reject(&c, &s).await;
    assert_eq!(
        (code, name.as_str(), format.as_str()),
        (
            0,
            "exception",
            "unable to reconstruct public key from signature"
        )
    );

    // Fee below the schedule.
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, 10, fee - 1)], 60)
        .await
        .sign(&k, &cid);
    let (code, name, format, message) = reject(&c, &s).await;
    assert_eq!(
        (code, name.as_str(), format.as_str()),
        (4010007, "insufficient_fee", "Insufficient Fee Paid")
    );
    assert_eq!(
        message,
        "Execution error: insufficient fee: Insufficient Fee Paid"
    );

    // Amount above the balance.
    let n = core_balance(&c, &format!("1.2.{NATHAN}")).await;
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, n + 1, fee)], 60)
        .await
        .sign(&k, &cid);
    let (code, _, format, message) = reject(&c, &s).await;
    assert_eq!(code, 10);
    assert_eq!(
        format,
        "insufficient_balance: Insufficient Balance: ${balance}, unable to transfer '${total_transfer}' from account '${a}' to '${t}'"
    );
    assert!(
        message.ends_with(&format!(
            "from account 'nathan' to 'faucet' Unable to transfer {} from nathan to faucet",
            btsops::chain::to_pretty_string(n + 1, 5, "BTS")
        )),
        "{message}"
    );

    // Enough for the amount, not for amount + fee.
    let s = head_tx(&c, vec![transfer(NATHAN, FAUCET, n - 1, fee)], 60)
        .await
        .sign(&k, &cid);
    let (code, _, format, _) = reject(&c, &s).await;
    assert_eq!(code, 10);
    assert_eq!(
        format,
        "abo->get_balance() >= -delta: Insufficient Balance: ${a}'s balance of ${b} is less than required ${r}"
    );

    // validate(): from == to.
    let s = head_tx(&c, vec![transfer(NATHAN, NATHAN, 1, fee)], 60)
        .await
        .sign(&k, &cid);
    assert_eq!(reject(&c, &s).await.2, "from != to: ");

    // Unknown account.
    let s = head_tx(&c, vec![transfer(999, FAUCET, 1, fee)], 60)
        .await
        .sign(&k, &cid);
    let (_, _, format, message) = reject(&c, &s).await;
    assert_eq!(
        format,
        "maybe_found != nullptr: Unable to find Object ${id}"
    );
    assert!(message.ends_with("Unable to find Object 1.2.999"));

    // account_create: invalid name, registrar not a lifetime member.
    let s = head_tx(&c, vec![create("Bad_Name", FAUCET, 100_000_000)], 60)
        .await
        .sign(&k, &cid);
    assert_eq!(reject(&c, &s).await.2, "is_valid_name( name ): ");
    let s = head_tx(&c, vec![create("bob-test1", NATHAN, 100_000_000)], 60)
        .await
        .sign(&k, &cid);
    let (_, _, format, _) = reject(&c, &s).await;
    assert_eq!(
        format,
        "fee_paying_account->is_lifetime_member(): Only Lifetime members may register an account."
    );

    // Nothing of the above changed nathan's balance.
    assert_eq!(core_balance(&c, &format!("1.2.{NATHAN}")).await, n);
    fleet.shutdown().await;
}

#[tokio::test]
async fn potential_signatures_and_hex_without_sig() {
    let (fleet, c) = setup().await;
    let t = head_tx(&c, vec![transfer(NATHAN, FAUCET, 1, 2_000_000)], 60).await;
    let s = t.sign(&key(), &chain_id());
    let keys = c
        .call(Api::Database, "get_potential_signatures", json!([s]))
        .await
        .unwrap();
    assert_eq!(keys, json!([simnet::DEV_PUB]));
    let hex: Value = c
        .call(Api::Database, "get_transaction_hex_without_sig", json!([s]))
        .await
        .unwrap();
    assert_eq!(hex, json!(hex::encode(t.pack())));
    fleet.shutdown().await;
}
