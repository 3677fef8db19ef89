//! Transaction checking and application as a 7.0.2 node does it, in its order (PROTOCOL
//! §13, §19, §21), with chain/ doing the parsing, digests and signature recovery.
//!
//! Deliberate differences from a real node, so tests and the conformance list can name them:
//! - fee shares (network, lifetime referrer, referrer, registrar) are credited at once to
//!   the receivers' core balances, not to cashback vesting balances at maintenance;
//! - the `accounts_per_fee_scale` surcharge on `basic_fee` is not applied;
//! - only transfer and account_create are simulated (other tags fail at parse time).

use serde_json::{Value, json};

use crate::chain::{
    AccountCreateOp, ChainError, ChainId, Operation, Pack, PublicKey, SignedTransaction,
    TransferOp, to_pretty_string,
};

use super::chain_objects::{amount_json, fmt_time};
use super::chain_state::{
    Account, Authority, Chain, ChainState, IncludedTx, PERCENT_100, PendingOp,
};
use super::fc_error::{FcError, site};

/// Operation count of a 7.0.x build (static_variant tags 0..78).
pub const OPERATION_COUNT: u64 = 78;
/// Depth of account authorities followed (`GRAPHENE_MAX_SIG_CHECK_DEPTH`).
const MAX_SIG_CHECK_DEPTH: u32 = 2;

fn assert_err(
    file: &'static str,
    line: u32,
    method: &'static str,
    format: &str,
    data: Value,
) -> FcError {
    FcError::assert(site(file, line, method), format, data)
}

/// Parses a signed transaction from its JSON, failing as the node's variant conversion does.
pub fn parse_signed(tx: &Value) -> Result<SignedTransaction, FcError> {
    if let Some(ops) = tx.get("operations").and_then(Value::as_array) {
        for op in ops {
            if let Some(tag) = op.get(0).and_then(Value::as_u64)
                && !Operation::is_known_tag(tag)
            {
                return Err(if tag >= OPERATION_COUNT {
                    assert_err(
                        "static_variant.hpp",
                        391,
                        "set_which",
                        "static_cast<size_t>(tag) < count(): Unable to set tag '${tag}' when the number of supported tags is ${count}",
                        json!({"tag": tag, "count": OPERATION_COUNT}),
                    )
                } else {
                    FcError::new(
                        0,
                        "exception",
                        "unspecified",
                        site("simnet", 0, "parse_signed"),
                        "simnet does not simulate operation ${tag}",
                        json!({"tag": tag}),
                    )
                });
            }
        }
    }
    serde_json::from_value::<SignedTransaction>(tx.clone()).map_err(|e| {
        FcError::parse(
            site("variant.cpp", 0, "from_variant"),
            "Invalid transaction: ${e}",
            json!({"e": e.to_string()}),
        )
    })
}

fn validate_error(op: &Operation, e: ChainError) -> FcError {
    let (file, method) = match op {
        Operation::Transfer(_) => ("transfer.cpp", "validate"),
        Operation::AccountCreate(_) => ("account.cpp", "validate"),
    };
    let cond = match e {
        ChainError::InvalidOperation(c) => c,
        other => return assert_err(file, 0, method, &format!("{other}: "), json!({})),
    };
    let text = match cond {
        "!owner.is_impossible()" => {
            "!owner.is_impossible(): cannot create an account with an impossible owner authority threshold".to_string()
        }
        "needed_witnesses == 0 && needed_committee == 0" => {
            "needed_witnesses == 0 && needed_committee == 0: May not specify fewer witnesses or committee members than the number voted for.".to_string()
        }
        c => format!("{c}: "),
    };
    assert_err(file, 0, method, &text, json!({}))
}

/// Signing keys in the chain's prefix, with the node's recovery errors (precompute step).
fn signer_keys(
    tx: &SignedTransaction,
    chain_id: &ChainId,
    prefix: &str,
) -> Result<Vec<String>, FcError> {
    let digest = tx.digest(chain_id);
    let mut keys: Vec<String> = Vec::with_capacity(tx.signatures.len());
    for sig in &tx.signatures {
        let key = crate::chain::recover(&digest, &sig.0).map_err(|e| match e {
            ChainError::NonCanonicalSignature => assert_err(
                "elliptic_secp256k1.cpp",
                164,
                "public_key",
                "is_canonical( c ): signature is not canonical",
                json!({}),
            ),
            _ => FcError::new(
                0,
                "exception",
                "unspecified",
                site("elliptic_secp256k1.cpp", 160, "public_key"),
                "unable to reconstruct public key from signature",
                json!({}),
            ),
        })?;
        let key = key.to_string_with_prefix(prefix);
        if keys.contains(&key) {
            return Err(FcError::new(
                4010005,
                "tx_duplicate_sig",
                "duplicate signature included",
                site("transaction.cpp", 356, "get_signature_keys"),
                "Duplicate Signature detected",
                json!({}),
            ));
        }
        keys.push(key);
    }
    Ok(keys)
}

fn unable_to_find(id: &str) -> FcError {
    assert_err(
        "index.hpp",
        113,
        "get",
        "maybe_found != nullptr: Unable to find Object ${id}",
        json!({ "id": id }),
    )
}

fn find(s: &ChainState, id: u64) -> Result<&Account, FcError> {
    s.account(id)
        .ok_or_else(|| unable_to_find(&format!("1.2.{id}")))
}

/// Whether `auth` is satisfied by `keys` (marking the keys it used), following account
/// authorities to the node's depth.
fn satisfies(
    s: &ChainState,
    auth: &Authority,
    keys: &[String],
    used: &mut [bool],
    depth: u32,
) -> bool {
    let mut weight = 0u64;
    for (k, w) in &auth.key_auths {
        if let Some(i) = keys.iter().position(|x| x == k) {
            used[i] = true;
            weight += u64::from(*w);
        }
    }
    if weight < u64::from(auth.weight_threshold) && depth < MAX_SIG_CHECK_DEPTH {
        for (acct, w) in &auth.account_auths {
            if let Some(a) = s.account(*acct)
                && satisfies(s, &a.active, keys, used, depth + 1)
            {
                weight += u64::from(*w);
            }
        }
    }
    weight >= u64::from(auth.weight_threshold)
}

fn authority_json(a: &Authority) -> Value {
    let accounts: Vec<Value> = a
        .account_auths
        .iter()
        .map(|(id, w)| json!([format!("1.2.{id}"), w]))
        .collect();
    let keys: Vec<Value> = a.key_auths.iter().map(|(k, w)| json!([k, w])).collect();
    json!({"weight_threshold": a.weight_threshold, "account_auths": accounts, "key_auths": keys, "address_auths": []})
}

/// The accounts whose active authority an op needs.
fn required_active(op: &Operation) -> u64 {
    match op {
        Operation::Transfer(t) => t.from.0,
        Operation::AccountCreate(c) => c.registrar.0,
    }
}

fn check_authorities(
    s: &ChainState,
    tx: &SignedTransaction,
    keys: &[String],
) -> Result<(), FcError> {
    let mut used = vec![false; keys.len()];
    let mut required: Vec<u64> = Vec::new();
    for op in &tx.trx.operations {
        let id = required_active(op);
        if !required.contains(&id) {
            required.push(id);
        }
    }
    // Before any signature is looked at: the committee account acts only through proposals.
    if required.contains(&0) {
        return Err(FcError::new(
            4010006,
            "invalid_committee_approval",
            "committee account cannot directly approve transaction",
            site("transaction.cpp", 301, "verify_authority"),
            "Committee account may only propose transactions",
            json!({}),
        ));
    }
    for id in required {
        let a = find(s, id)?;
        // The owner authority can stand in for the active one.
        if !satisfies(s, &a.active, keys, &mut used, 0)
            && !satisfies(s, &a.owner, keys, &mut used, 0)
        {
            return Err(FcError::new(
                4010001,
                "tx_missing_active_auth",
                "missing required active authority",
                site("transaction.cpp", 336, "verify_authority"),
                "Missing Active Authority ${id}",
                json!({"id": format!("1.2.{id}"), "auth": authority_json(&a.active), "owner": authority_json(&a.owner)}),
            ));
        }
    }
    if used.iter().any(|u| !u) {
        let unused: Vec<&String> = keys
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(k, _)| k)
            .collect();
        return Err(FcError::new(
            4010004,
            "tx_irrelevant_sig",
            "irrelevant signature included",
            site("transaction.cpp", 342, "verify_authority"),
            "Unnecessary signature(s) detected",
            json!({ "keys": unused }),
        ));
    }
    Ok(())
}

fn data_fee(bytes: usize, price_per_kbyte: i64) -> i64 {
    ((bytes as i128 * i128::from(price_per_kbyte)) / 1024) as i64
}

/// The core fee an op must pay (`calculate_fee`, scale 10000).
pub fn required_fee(s: &ChainState, op: &Operation) -> i64 {
    let f = &s.spec.fees;
    match op {
        Operation::Transfer(t) => {
            let memo = t.memo.as_ref().map(|m| {
                let mut out = Vec::new();
                m.pack(&mut out);
                out.len()
            });
            f.transfer_fee
                + memo
                    .map(|n| data_fee(n, f.transfer_price_per_kbyte))
                    .unwrap_or(0)
        }
        Operation::AccountCreate(c) => {
            let base = if crate::chain::operations::is_cheap_name(&c.name) {
                f.account_create_basic_fee
            } else {
                f.account_create_premium_fee
            };
            let mut out = Vec::new();
            c.pack(&mut out);
            base + data_fee(out.len(), f.account_create_price_per_kbyte)
        }
    }
}

fn pretty(s: &ChainState, amount: i64) -> String {
    to_pretty_string(amount, 5, &s.spec.core_symbol)
}

/// The fee payer must still hold the fee after the op's own debit (`db_balance.cpp`
/// adjust_balance). Checked before anything changes, so an op never fails half applied.
fn check_fee_payer(s: &ChainState, payer: u64, fee: i64, own_debit: i64) -> Result<(), FcError> {
    if fee == 0 {
        return Ok(());
    }
    let held = s.balances.contains_key(&(payer, 0));
    let balance = s.core_balance(payer) - own_debit;
    if balance >= fee {
        return Ok(());
    }
    let name = s.account(payer).map(|a| a.name.clone()).unwrap_or_default();
    let cond = if held {
        "abo->get_balance() >= -delta"
    } else {
        "delta.amount > 0"
    };
    Err(assert_err(
        "db_balance.cpp",
        if held { 76 } else { 63 },
        "adjust_balance",
        &format!(
            "{cond}: Insufficient Balance: ${{a}}'s balance of ${{b}} is less than required ${{r}}"
        ),
        json!({"a": name, "b": pretty(s, balance), "r": pretty(s, fee)}),
    ))
}

/// Debits a fee already checked by [`check_fee_payer`] and splits it.
fn pay_fee(s: &mut ChainState, payer: u64, fee: i64) {
    if fee == 0 {
        return;
    }
    s.adjust_balance(payer, 0, -fee);
    split_fee(s, payer, fee);
}

/// PROTOCOL §21's split, credited at once (see the module docs).
fn split_fee(s: &mut ChainState, payer: u64, fee: i64) {
    let Some(a) = s.account(payer).cloned() else {
        return;
    };
    let pct = |x: i64, p: u16| (i128::from(x) * i128::from(p) / i128::from(PERCENT_100)) as i64;
    let network = pct(fee, a.network_fee_percentage);
    let lifetime = pct(fee, a.lifetime_referrer_fee_percentage);
    let referral = fee - network - lifetime;
    let referrer = pct(referral, a.referrer_rewards_percentage);
    let registrar = referral - referrer;
    let mut reserve = network;
    for (who, amount) in [
        (a.lifetime_referrer, lifetime),
        (a.referrer, referrer),
        (a.registrar, registrar),
    ] {
        // Credits to 1.2.0–1.2.4 go back to the reserve.
        if who <= 4 {
            reserve += amount;
        } else if amount > 0 {
            s.adjust_balance(who, 0, amount);
        }
    }
    s.accumulated_fees += reserve;
    if let Some(st) = std::sync::Arc::make_mut(&mut s.stats).get_mut(payer as usize) {
        st.lifetime_fees_paid += fee;
    }
}

fn check_fee(s: &ChainState, op: &Operation) -> Result<i64, FcError> {
    let fee = match op {
        Operation::Transfer(t) => t.fee,
        Operation::AccountCreate(c) => c.fee,
    };
    if fee.asset_id.0 != 0 {
        return Err(unable_to_find(&format!("1.3.{}", fee.asset_id.0)));
    }
    let required = required_fee(s, op);
    if fee.amount < required {
        return Err(FcError::new(
            4010007,
            "insufficient_fee",
            "insufficient fee",
            site("evaluator.hpp", 155, "prepare_fee"),
            "Insufficient Fee Paid",
            json!({"core_fee_paid": fee.amount, "required": required}),
        ));
    }
    Ok(fee.amount)
}

fn apply_transfer(s: &mut ChainState, t: &TransferOp) -> Result<PendingOp, FcError> {
    let fee = check_fee(s, &Operation::Transfer(t.clone()))?;
    let from = find(s, t.from.0)?.name.clone();
    let to = find(s, t.to.0)?.name.clone();
    if t.amount.asset_id.0 != 0 {
        return Err(unable_to_find(&format!("1.3.{}", t.amount.asset_id.0)));
    }
    let balance = s.core_balance(t.from.0);
    if balance < t.amount.amount {
        return Err(assert_err(
            "transfer_evaluator.cpp",
            67,
            "do_evaluate",
            "insufficient_balance: Insufficient Balance: ${balance}, unable to transfer '${total_transfer}' from account '${a}' to '${t}'",
            json!({"a": from, "t": to, "total_transfer": pretty(s, t.amount.amount), "balance": pretty(s, balance)}),
        )
        .with_error_frame(
            site("transfer_evaluator.cpp", 73, "do_evaluate"),
            "Unable to transfer ${a} from ${f} to ${t}",
            json!({"a": pretty(s, t.amount.amount), "f": from, "t": to}),
        ));
    }
    check_fee_payer(s, t.from.0, fee, t.amount.amount)?;
    s.adjust_balance(t.from.0, 0, -t.amount.amount);
    s.adjust_balance(t.to.0, 0, t.amount.amount);
    pay_fee(s, t.from.0, fee);
    Ok(PendingOp {
        op: json!([0, t]),
        result: json!([0, {}]),
        accounts: vec![t.from.0, t.to.0],
    })
}

fn to_authority(s: &ChainState, a: &crate::chain::Authority) -> Result<Authority, FcError> {
    let mut account_auths = Vec::new();
    for (id, w) in &a.account_auths {
        find(s, id.0)?;
        account_auths.push((id.0, *w));
    }
    Ok(Authority {
        weight_threshold: a.weight_threshold,
        account_auths,
        key_auths: a
            .key_auths
            .iter()
            .map(|(k, w)| (k.to_string_with_prefix(&s.spec.prefix), *w))
            .collect(),
    })
}

fn apply_account_create(s: &mut ChainState, c: &AccountCreateOp) -> Result<PendingOp, FcError> {
    let fee = check_fee(s, &Operation::AccountCreate(c.clone()))?;
    let registrar = find(s, c.registrar.0)?.clone();
    if !registrar.is_lifetime_member() {
        return Err(assert_err(
            "account_evaluator.cpp",
            125,
            "do_evaluate",
            "fee_paying_account->is_lifetime_member(): Only Lifetime members may register an account.",
            json!({}),
        ));
    }
    let referrer = find(s, c.referrer.0)?.clone();
    // Annual memberships do not exist in simnet, so "member" means lifetime member.
    if !referrer.is_lifetime_member() {
        return Err(assert_err(
            "account_evaluator.cpp",
            126,
            "do_evaluate",
            "op.referrer(d).is_member(d.head_block_time()): The referrer must be either a lifetime or annual subscriber.",
            json!({}),
        ));
    }
    let owner = to_authority(s, &c.owner)?;
    let active = to_authority(s, &c.active)?;
    if s.account_by_name(&c.name).is_some() {
        return Err(assert_err(
            "account_evaluator.cpp",
            148,
            "do_evaluate",
            "current_account_itr == acnt_indx.indices().get<by_name>().end(): Account '${a}' already exists.",
            json!({"a": c.name}),
        ));
    }
    check_fee_payer(s, c.registrar.0, fee, 0)?;
    let instance = s.accounts.len() as u64;
    let spec = std::sync::Arc::clone(&s.spec);
    let head_time = s.dgp.time;
    let next_block = s.dgp.head_block_number + 1;
    s.push_account(Account {
        instance,
        name: c.name.clone(),
        membership_expiration: 0,
        registrar: c.registrar.0,
        referrer: c.referrer.0,
        lifetime_referrer: referrer.lifetime_referrer,
        network_fee_percentage: spec.network_percent_of_fee,
        lifetime_referrer_fee_percentage: spec.lifetime_referrer_percent_of_fee,
        referrer_rewards_percentage: c.referrer_percent,
        owner,
        active,
        memo_key: c.options.memo_key.to_string_with_prefix(&spec.prefix),
        num_committee_voted: 0,
        creation_block_num: next_block,
        creation_time: head_time + i64::from(spec.block_interval),
    });
    s.dgp.accounts_registered_this_interval += 1;
    pay_fee(s, c.registrar.0, fee);
    let mut accounts = vec![c.registrar.0, c.referrer.0, instance];
    accounts.extend(c.owner.account_auths.iter().map(|(a, _)| a.0));
    accounts.extend(c.active.account_auths.iter().map(|(a, _)| a.0));
    Ok(PendingOp {
        op: json!([5, c]),
        result: json!([1, format!("1.2.{instance}")]),
        accounts,
    })
}

/// Key prefix check the node's `public_key_type` parser makes.
fn check_key_prefixes(tx: &SignedTransaction, prefix: &str) -> Result<(), FcError> {
    let bad = |k: &PublicKey| k.prefix() != prefix;
    for op in &tx.trx.operations {
        if let Operation::AccountCreate(c) = op {
            let keys = c
                .owner
                .key_auths
                .iter()
                .chain(&c.active.key_auths)
                .map(|(k, _)| k)
                .chain(std::iter::once(&c.options.memo_key));
            for k in keys {
                if bad(k) {
                    return Err(assert_err(
                        "types.cpp",
                        47,
                        "public_key_type",
                        "base58str.substr( 0, prefix_len ) == prefix: ",
                        json!({ "base58str": k.to_string() }),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `broadcast_transaction`'s checks and effects on the network's pending state. On
/// success the transaction is queued for the next block and its id returned; on failure
/// nothing changed.
pub fn push_transaction(chain: &mut Chain, tx_json: &Value) -> Result<String, FcError> {
    let tx = parse_signed(tx_json)?;
    let spec = std::sync::Arc::clone(&chain.state().spec);
    // Precompute: validate, id, signature recovery.
    for op in &tx.trx.operations {
        op.validate().map_err(|e| validate_error(op, e))?;
    }
    check_key_prefixes(&tx, &spec.prefix)?;
    let id = tx.id_hex();
    let chain_id = ChainId::from_hex(&spec.chain_id).map_err(|e| {
        FcError::new(
            0,
            "exception",
            "unspecified",
            site("simnet", 0, "chain_id"),
            "${e}",
            json!({"e": e.to_string()}),
        )
    })?;
    let keys = signer_keys(&tx, &chain_id, &spec.prefix)?;
    let packed = tx.pack().len();
    if packed >= 1024 * 1024 {
        return Err(assert_err(
            "db_block.cpp",
            273,
            "push_transaction",
            "fc::raw::pack_size( trx ) < (1024 * 1024): Transaction exceeds maximum transaction size.",
            json!({}),
        ));
    }
    if chain.is_known_tx(&id) {
        return Err(FcError::new(
            3030001,
            "duplicate_transaction",
            "duplicate transaction",
            site("db_block.cpp", 708, "_apply_transaction"),
            "Transaction '${txid}' is already in the database",
            json!({ "txid": id }),
        ));
    }
    check_authorities(chain.state(), &tx, &keys)?;
    // TaPoS: the 2.8.x slot holds the newest block whose number has these low 16 bits;
    // slots never written hold a zero id.
    let head = chain.state().head_num();
    let ref_num = u32::from(tx.trx.ref_block_num);
    let base = head & !0xffff;
    let candidate = if (base | ref_num) <= head {
        base | ref_num
    } else {
        (base | ref_num).wrapping_sub(0x10000)
    };
    let summary_prefix = chain
        .block_id(candidate)
        .map(|b| b.ref_prefix())
        .unwrap_or(0);
    if tx.trx.ref_block_prefix != summary_prefix {
        return Err(assert_err(
            "db_block.cpp",
            740,
            "_apply_transaction",
            "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1].value(): ",
            json!({}),
        ));
    }
    let now = chain.state().dgp.time;
    let exp = i64::from(tx.trx.expiration.0);
    let max = i64::from(spec.maximum_time_until_expiration);
    if exp > now + max {
        return Err(assert_err(
            "db_block.cpp",
            745,
            "_apply_transaction",
            "trx.expiration <= now + chain_parameters.maximum_time_until_expiration: ",
            json!({"trx.expiration": fmt_time(exp), "now": fmt_time(now), "max_til_exp": max}),
        ));
    }
    if now > exp {
        return Err(assert_err(
            "db_block.cpp",
            747,
            "_apply_transaction",
            "now <= trx.expiration: ",
            json!({"now": fmt_time(now), "trx.exp": fmt_time(exp)}),
        ));
    }
    if packed > spec.maximum_transaction_size as usize {
        return Err(assert_err(
            "db_block.cpp",
            749,
            "_apply_transaction",
            "head_block_time() <= HARDFORK_CORE_1573_TIME || trx.get_packed_size() <= chain_parameters.maximum_transaction_size: Transaction exceeds maximum transaction size.",
            json!({}),
        ));
    }
    // Each op checks everything before it changes anything, so a one-op transaction can be
    // applied in place; with several ops a later one may fail after an earlier one applied,
    // so those run on a copy (copying the tables costs O(accounts) per transaction).
    let single = tx.trx.operations.len() == 1;
    let mut copy = (!single).then(|| chain.state().clone());
    let mut ops = Vec::with_capacity(tx.trx.operations.len());
    {
        let state = match copy.as_mut() {
            Some(c) => c,
            None => chain.state_mut(),
        };
        for op in &tx.trx.operations {
            ops.push(match op {
                Operation::Transfer(t) => apply_transfer(state, t)?,
                Operation::AccountCreate(c) => apply_account_create(state, c)?,
            });
        }
    }
    let mut trx = serde_json::to_value(&tx).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut trx {
        let results: Vec<Value> = ops.iter().map(|o| o.result.clone()).collect();
        m.insert("operation_results".into(), Value::Array(results));
    }
    if let Some(state) = copy {
        *chain.state_mut() = state;
    }
    chain.push_pending(IncludedTx {
        id: id.clone(),
        json: trx,
        ops,
        expiration: exp,
    });
    Ok(id)
}

/// `get_required_fees`: one amount per `[tag, op]`, in the core asset.
pub fn required_fees(s: &ChainState, ops: &[Value]) -> Result<Value, FcError> {
    let tx = json!({"ref_block_num": 0, "ref_block_prefix": 0, "expiration": "1970-01-01T00:00:00", "operations": ops, "extensions": []});
    let parsed = parse_signed(&tx)?;
    let out: Vec<Value> = parsed
        .trx
        .operations
        .iter()
        .map(|op| amount_json(required_fee(s, op), 0))
        .collect();
    Ok(Value::Array(out))
}

/// `get_potential_signatures`: the keys of every authority the transaction needs.
pub fn potential_signatures(s: &ChainState, tx_json: &Value) -> Result<Value, FcError> {
    let tx = parse_signed(tx_json)?;
    let mut keys: Vec<String> = Vec::new();
    for op in &tx.trx.operations {
        let a = find(s, required_active(op))?;
        for (k, _) in a.active.key_auths.iter().chain(&a.owner.key_auths) {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys.sort();
    Ok(json!(keys))
}

/// `get_transaction_hex` / `_without_sig`: the node's own serialization.
pub fn transaction_hex(tx_json: &Value, with_signatures: bool) -> Result<Value, FcError> {
    let tx = parse_signed(tx_json)?;
    Ok(json!(if with_signatures {
        tx.to_hex()
    } else {
        hex::encode(tx.trx.pack())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{
        AccountId, AccountOptions, Asset, FutureExtensions, Memo, PrivateKey, TimePointSec,
        Transaction, tapos_from_block_id,
    };
    use crate::simnet::chain_state::{ChainSpec, MAINNET_CHAIN_ID};

    const WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
    use crate::simnet::chain_state::test_accounts::{KEY, acct};

    /// faucet 1.2.6 (lifetime), nathan 1.2.7 (basic), two blocks produced.
    fn chain() -> Chain {
        let mut spec = ChainSpec::new(MAINNET_CHAIN_ID, "BTS");
        spec.accounts = vec![
            acct("faucet", true, 10_000_000_000),
            acct("nathan", false, 10_000_000_000),
        ];
        let mut c = Chain::genesis(spec, 0).unwrap();
        c.produce_block(3).unwrap();
        c.produce_block(6).unwrap();
        c
    }

    fn sign(c: &Chain, ops: Vec<Operation>) -> Value {
        let head = c.state().dgp.head_block_id.hex();
        let t = Transaction::new(
            &tapos_from_block_id(&head).unwrap(),
            TimePointSec((c.state().dgp.time + 60) as u32),
            ops,
        );
        let key = PrivateKey::from_wif(WIF).unwrap();
        json!(t.sign(&key, &ChainId::from_hex(MAINNET_CHAIN_ID).unwrap()))
    }

    fn create(name: &str, registrar: u64, referrer: u64, fee: i64) -> Operation {
        let k = PublicKey::from_str_any_prefix(KEY).unwrap();
        AccountCreateOp {
            fee: Asset::core(fee),
            registrar: AccountId(registrar),
            referrer: AccountId(referrer),
            referrer_percent: 0,
            name: name.into(),
            owner: crate::chain::Authority::single_key(k),
            active: crate::chain::Authority::single_key(k),
            options: AccountOptions::with_memo_key(k),
            extensions: Default::default(),
        }
        .into()
    }

    fn transfer(amount: i64, fee: i64, memo: Option<Memo>) -> Operation {
        TransferOp {
            fee: Asset::core(fee),
            from: AccountId(7),
            to: AccountId(6),
            amount: Asset::core(amount),
            memo,
            extensions: FutureExtensions,
        }
        .into()
    }

    #[test]
    fn referrer_must_be_a_member() {
        let mut c = chain();
        let tx = sign(&c, vec![create("carol-1", 6, 7, 100_000_000)]);
        let e = push_transaction(&mut c, &tx).unwrap_err();
        assert_eq!(
            e.format(),
            "op.referrer(d).is_member(d.head_block_time()): The referrer must be either a lifetime or annual subscriber."
        );
    }

    #[test]
    fn memo_bytes_raise_the_transfer_fee() {
        let c = chain();
        let k = PublicKey::from_str_any_prefix(KEY).unwrap();
        let memo = Memo {
            from: k,
            to: k,
            nonce: 1,
            message: crate::chain::raw::Bytes(vec![0u8; 1024]),
        };
        let plain = required_fee(c.state(), &transfer(1, 0, None));
        let with_memo = required_fee(c.state(), &transfer(1, 0, Some(memo)));
        assert_eq!(plain, 2_000_000);
        assert!(with_memo > plain + 1_000_000, "{with_memo}");
    }

    #[test]
    fn oversize_transactions_are_refused() {
        let mut c = chain();
        let k = PublicKey::from_str_any_prefix(KEY).unwrap();
        let memo = Memo {
            from: k,
            to: k,
            nonce: 1,
            message: crate::chain::raw::Bytes(vec![0u8; 4096]),
        };
        let tx = sign(&c, vec![transfer(1, 100_000_000, Some(memo))]);
        let e = push_transaction(&mut c, &tx).unwrap_err();
        assert!(
            e.format()
                .ends_with("Transaction exceeds maximum transaction size."),
            "{}",
            e.format()
        );
    }

    #[test]
    fn a_failing_op_leaves_the_pending_state_untouched() {
        let mut c = chain();
        let before = c.state().core_balance(7);
        let tx = sign(
            &c,
            vec![
                transfer(1_000, 2_000_000, None),
                transfer(1_000_000_000_000, 2_000_000, None),
            ],
        );
        assert!(push_transaction(&mut c, &tx).is_err());
        assert_eq!(c.state().core_balance(7), before);
        assert!(c.pending().is_empty());
        let ok = sign(&c, vec![transfer(1_000, 2_000_000, None)]);
        let id = push_transaction(&mut c, &ok).unwrap();
        assert_eq!(c.state().core_balance(7), before - 1_000 - 2_000_000);
        let b = c.produce_block(9).unwrap();
        assert_eq!(b.transactions[0].id, id);
        assert_eq!(c.state().stats(7).unwrap().total_ops, 1);
        assert_eq!(c.state().account_history.get(&6).map(Vec::len), Some(1));
    }
}
