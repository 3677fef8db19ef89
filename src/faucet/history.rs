//! Reads what the KPIs need from a node over RPC (PROTOCOL §20, §21): the registrar's
//! account history, paged by its own sequence numbers and only past what the cache has
//! already counted; the fees its accounts paid; its balance and the current fee.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, Operation, PublicKey,
};
use crate::rpc::{Api, RpcClient, RpcError};

use super::cache::{Cache, CachedFees, StatsMark};
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
    refresh_with_progress(c, r, cache, &mut |_, _| {}).await
}

/// As [`refresh`], telling `progress` after each page how many ops were read so far and
/// how many there are to read.
pub async fn refresh_with_progress(
    c: &RpcClient,
    r: &Registrar,
    cache: &mut Cache,
    progress: &mut (dyn FnMut(u64, u64) + Send),
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
        progress(stats.ops, r.total_ops.saturating_sub(low - 1));
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

/// How much [`account_fees`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeReads {
    /// `get_objects` calls.
    pub calls: u64,
    /// Statistics objects read.
    pub stats: u64,
    /// Account objects read: the new accounts and those whose statistics changed.
    pub accounts: u64,
}

/// What in a statistics object tells that the account's fees may have changed.
fn mark_of(stats: &Value) -> StatsMark {
    let amount = |k: &str| stats.get(k).and_then(int).unwrap_or(0);
    StatsMark {
        total_ops: amount("total_ops"),
        most_recent_op: text(stats, "most_recent_op"),
        fees_total: amount("lifetime_fees_paid")
            + amount("pending_fees")
            + amount("pending_vested_fees"),
    }
}

fn fees_of(account: &Value, mark: &StatsMark) -> AccountFees {
    let pct = |k: &str| {
        account
            .get(k)
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(10_000) as u16
    };
    AccountFees {
        total: mark.fees_total,
        network_pct: pct("network_fee_percentage"),
        lifetime_pct: pct("lifetime_referrer_fee_percentage"),
        referrer_pct: pct("referrer_rewards_percentage"),
        registrar: text(account, "registrar"),
        referrer: text(account, "referrer"),
        lifetime_referrer: text(account, "lifetime_referrer"),
    }
}

/// Fees paid by each registered account and who shares them, `PAGE` objects per call.
/// `known` holds what an earlier run read: for those accounts only the statistics objects
/// are read, and the account objects again only where the statistics changed; new
/// accounts are read whole. `known` is brought up to date; the result follows
/// `registrations`' order (accounts the node does not have are left out).
pub async fn account_fees(
    c: &RpcClient,
    registrations: &[Registration],
    known: &mut BTreeMap<String, CachedFees>,
    head_block: u32,
) -> Result<(Vec<AccountFees>, FeeReads), HistoryError> {
    let mut reads = FeeReads::default();
    // Statistics of the accounts read before, already read again here.
    let mut fresh_stats: HashMap<String, (String, Value)> = HashMap::new();
    let mut to_read: Vec<&str> = Vec::new();
    let cached: Vec<(&str, String)> = registrations
        .iter()
        .filter_map(|r| {
            known
                .get(&r.account)
                .map(|k| (r.account.as_str(), k.stats_id.clone()))
        })
        .collect();
    for chunk in cached.chunks(PAGE as usize) {
        let ids: Vec<&str> = chunk.iter().map(|(_, s)| s.as_str()).collect();
        let stats = c.get_objects(&ids).await?;
        reads.calls += 1;
        reads.stats += stats.len() as u64;
        for ((account, stats_id), s) in chunk.iter().zip(stats) {
            let Some(s) = s else {
                to_read.push(account);
                continue;
            };
            match known.get_mut(*account) {
                Some(k) if k.mark == mark_of(&s) => k.head_block = head_block,
                _ => {
                    to_read.push(account);
                    fresh_stats.insert(account.to_string(), (stats_id.clone(), s));
                }
            }
        }
    }
    to_read.extend(
        registrations
            .iter()
            .filter(|r| !known.contains_key(&r.account))
            .map(|r| r.account.as_str()),
    );
    for chunk in to_read.chunks(PAGE as usize) {
        let accounts = c.get_objects(chunk).await?;
        reads.calls += 1;
        reads.accounts += accounts.len() as u64;
        let mut found: Vec<(&str, Value)> = Vec::with_capacity(chunk.len());
        for (id, a) in chunk.iter().zip(accounts) {
            match a {
                Some(a) => found.push((id, a)),
                // Gone from the node: its fees no longer count.
                None => {
                    known.remove(*id);
                }
            }
        }
        let missing: Vec<String> = found
            .iter()
            .filter(|(id, _)| !fresh_stats.contains_key(*id))
            .map(|(_, a)| text(a, "statistics"))
            .collect();
        let mut missing_stats = HashMap::new();
        if !missing.is_empty() {
            let refs: Vec<&str> = missing.iter().map(String::as_str).collect();
            let stats = c.get_objects(&refs).await?;
            reads.calls += 1;
            reads.stats += stats.len() as u64;
            for (id, s) in missing.iter().zip(stats) {
                missing_stats.insert(id.clone(), s.unwrap_or(Value::Null));
            }
        }
        for (id, a) in found {
            let (stats_id, stats) = match fresh_stats.remove(id) {
                Some(x) => x,
                None => {
                    let sid = text(&a, "statistics");
                    let s = missing_stats.remove(&sid).unwrap_or(Value::Null);
                    (sid, s)
                }
            };
            let mark = mark_of(&stats);
            known.insert(
                id.to_string(),
                CachedFees {
                    stats_id,
                    fees: fees_of(&a, &mark),
                    mark,
                    head_block,
                },
            );
        }
    }
    let out = registrations
        .iter()
        .filter_map(|r| known.get(&r.account).map(|k| k.fees.clone()))
        .collect();
    Ok((out, reads))
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
