//! Reads what the KPIs need from a node over RPC (PROTOCOL §20, §21): the registrar's
//! account history, paged by its own sequence numbers and only past what the cache has
//! already counted; the fees its accounts paid; its balance and the current fee.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, Operation, PublicKey,
};
use crate::rpc::{Api, RpcClient, RpcError};

use super::cache::Cache;
use super::kpi::{AccountFees, Registration};

/// `api-limit-get-relative-account-history` and `api-limit-get-objects` of a default node.
pub const PAGE: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("{endpoint}: {call}: {detail}")]
    Chain {
        endpoint: String,
        call: String,
        detail: String,
    },
}

fn chain_err(c: &RpcClient, call: &str, detail: impl Into<String>) -> HistoryError {
    HistoryError::Chain {
        endpoint: c.endpoint().to_string(),
        call: call.into(),
        detail: detail.into(),
    }
}

/// A u64 or i64 sent as a number or, as fc does for 64-bit values, a string.
fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The registrar as the chain knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrar {
    pub id: String,
    pub memo_key: String,
    pub total_ops: u64,
    pub removed_ops: u64,
}

pub async fn registrar(c: &RpcClient, name: &str) -> Result<Registrar, HistoryError> {
    let call = "database.get_account_by_name";
    let a = c.get_account_by_name(name).await?.ok_or_else(|| {
        chain_err(
            c,
            call,
            format!("no account named {name:?} (faucet.registrar)"),
        )
    })?;
    let stats_id = a
        .rest
        .get("statistics")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let memo_key = a
        .rest
        .get("options")
        .map(|o| text(o, "memo_key"))
        .unwrap_or_default();
    let stats = c
        .get_objects(&[stats_id.as_str()])
        .await?
        .into_iter()
        .next()
        .flatten()
        .ok_or_else(|| {
            chain_err(
                c,
                "database.get_objects",
                format!("no statistics object {stats_id:?} for {name}"),
            )
        })?;
    let field = |k: &str| stats.get(k).and_then(int).unwrap_or(0).max(0) as u64;
    Ok(Registrar {
        id: a.id,
        memo_key,
        total_ops: field("total_ops"),
        removed_ops: field("removed_ops"),
    })
}

/// How much reading one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub pages: u64,
    pub ops: u64,
}

/// Brings `cache` up to the registrar's newest op: reads sequence numbers
/// `seen_seq + 1 ..= total_ops` (those the node still has), newest first, a page at a time.
pub async fn refresh(
    c: &RpcClient,
    r: &Registrar,
    cache: &mut Cache,
) -> Result<ReadStats, HistoryError> {
    let call = "history.get_relative_account_history";
    let mut stats = ReadStats::default();
    let fresh = cache.seen_seq == 0;
    let low = (cache.seen_seq + 1).max(r.removed_ops + 1);
    let mut start = r.total_ops;
    let mut oldest_time = None;
    let mut headers: HashMap<u32, i64> = HashMap::new();
    let mut found = Vec::new();
    // Bounded: one page per PAGE ops, plus one for an early short page.
    let max_pages = r.total_ops / PAGE + 2;
    while start >= low && start > 0 && stats.pages < max_pages {
        let limit = PAGE.min(start - low + 1);
        let page = c
            .call(
                Api::History,
                "get_relative_account_history",
                json!([r.id, low, limit, start]),
            )
            .await?;
        let Value::Array(page) = page else {
            return Err(chain_err(c, call, "the reply is not an array"));
        };
        stats.pages += 1;
        if page.is_empty() {
            break;
        }
        for (k, entry) in page.iter().enumerate() {
            let seq = start - k as u64;
            let time = block_time(c, entry, &mut headers).await?;
            oldest_time = Some(time);
            if let Some(reg) = registration(entry, &r.id, seq, time) {
                found.push(reg);
            }
        }
        stats.ops += page.len() as u64;
        start = start.saturating_sub(page.len() as u64);
    }
    if fresh && r.removed_ops > 0 {
        cache.trimmed_since = oldest_time;
    }
    found.reverse();
    cache.registrations.extend(found);
    cache.seen_seq = r.total_ops;
    Ok(stats)
}

/// The op's block time: `block_time` (6.1.0+), else the block header's.
async fn block_time(
    c: &RpcClient,
    entry: &Value,
    headers: &mut HashMap<u32, i64>,
) -> Result<i64, HistoryError> {
    if let Some(t) = entry
        .get("block_time")
        .and_then(Value::as_str)
        .and_then(crate::rpc::ChainTime::parse)
    {
        return Ok(t.unix_timestamp());
    }
    let num = entry.get("block_num").and_then(Value::as_u64).unwrap_or(0) as u32;
    if let Some(t) = headers.get(&num) {
        return Ok(*t);
    }
    let h = c
        .get_block_header(num)
        .await?
        .ok_or_else(|| chain_err(c, "database.get_block_header", format!("no block {num}")))?;
    let t = h.timestamp.unix_timestamp();
    headers.insert(num, t);
    Ok(t)
}

/// An `account_create` paid by `registrar_id`, from one history entry.
fn registration(entry: &Value, registrar_id: &str, seq: u64, time: i64) -> Option<Registration> {
    let op = entry.get("op")?;
    if op.get(0)?.as_u64()? != Operation::ACCOUNT_CREATE {
        return None;
    }
    let body = op.get(1)?;
    if body.get("registrar")?.as_str()? != registrar_id {
        return None;
    }
    let account = entry.get("result")?.get(1)?.as_str()?.to_string();
    Some(Registration {
        seq,
        account,
        name: text(body, "name"),
        referrer: text(body, "referrer"),
        time,
        block_num: entry.get("block_num").and_then(Value::as_u64).unwrap_or(0) as u32,
        fee: body
            .get("fee")
            .and_then(|f| f.get("amount"))
            .and_then(int)
            .unwrap_or(0),
    })
}

/// Fees paid by each registered account and who shares them, `PAGE` objects per call.
pub async fn account_fees(
    c: &RpcClient,
    registrations: &[Registration],
) -> Result<Vec<AccountFees>, HistoryError> {
    let mut out = Vec::with_capacity(registrations.len());
    for chunk in registrations.chunks(PAGE as usize) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.account.as_str()).collect();
        let accounts: Vec<Value> = c.get_objects(&ids).await?.into_iter().flatten().collect();
        let stat_ids: Vec<String> = accounts.iter().map(|a| text(a, "statistics")).collect();
        let stat_refs: Vec<&str> = stat_ids.iter().map(String::as_str).collect();
        let stats = c.get_objects(&stat_refs).await?;
        for (a, s) in accounts.iter().zip(stats) {
            let s = s.unwrap_or(Value::Null);
            let amount = |k: &str| s.get(k).and_then(int).unwrap_or(0);
            let pct = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or(0).min(10_000) as u16;
            out.push(AccountFees {
                total: amount("lifetime_fees_paid")
                    + amount("pending_fees")
                    + amount("pending_vested_fees"),
                network_pct: pct("network_fee_percentage"),
                lifetime_pct: pct("lifetime_referrer_fee_percentage"),
                referrer_pct: pct("referrer_rewards_percentage"),
                registrar: text(a, "registrar"),
                referrer: text(a, "referrer"),
                lifetime_referrer: text(a, "lifetime_referrer"),
            });
        }
    }
    Ok(out)
}

/// The registrar's core balance and the node's fee for registering a cheap name now.
pub async fn balance_and_fee(c: &RpcClient, r: &Registrar) -> Result<(i64, i64), HistoryError> {
    let balance = c
        .get_account_balances(&r.id, &["1.3.0"])
        .await?
        .first()
        .map_or(0, |b| b.amount);
    let id: AccountId = r.id.parse().map_err(|e| {
        chain_err(
            c,
            "database.get_account_by_name",
            format!("registrar id {:?}: {e}", r.id),
        )
    })?;
    let key = PublicKey::from_str_any_prefix(&r.memo_key).map_err(|e| {
        chain_err(
            c,
            "database.get_account_by_name",
            format!("registrar memo key {:?}: {e}", r.memo_key),
        )
    })?;
    let op: Operation = AccountCreateOp {
        fee: Asset::core(0),
        registrar: id,
        referrer: id,
        referrer_percent: 0,
        name: "btsops-fee-probe-1".into(),
        owner: Authority::single_key(key),
        active: Authority::single_key(key),
        options: AccountOptions::with_memo_key(key),
        extensions: Default::default(),
    }
    .into();
    let ops = serde_json::to_value(vec![op])
        .map_err(|e| chain_err(c, "database.get_required_fees", e.to_string()))?;
    let fee = c
        .get_required_fees(ops, "1.3.0")
        .await?
        .first()
        .map_or(0, |f| f.amount);
    Ok((balance, fee))
}
