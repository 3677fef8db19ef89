//! Sender accounts of transfer floods: registered by the funder with `account_create`,
//! funded by its transfers, all signed here. Their keys live owner-only in the data dir,
//! so a second run reuses the accounts instead of registering new ones.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::keys::{self, Account};
use crate::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, ChainId, FutureExtensions,
    Operation, Prefix, PrivateKey, TimePointSec, Transaction, TransferOp, tapos_from_block_id,
};
use crate::rpc::RpcClient;

/// Operations per bootstrap transaction: well inside the default 2048-byte size limit.
const OPS_PER_TX: usize = 8;

/// A sender ready to sign.
#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub id: AccountId,
    pub key: PrivateKey,
}

/// The names of a funder's senders: cheap names (they contain digits), distinct per
/// funder so two operators' runs on one testnet do not collide.
pub fn sender_name(funder: &str, i: u32) -> String {
    let h = hex::encode(Sha256::digest(funder.as_bytes()));
    format!("btsops-stress-{}-{i}", &h[..6])
}

fn fresh_key() -> Result<PrivateKey, String> {
    loop {
        let mut b = [0u8; 32];
        getrandom::getrandom(&mut b).map_err(|e| format!("no randomness for a sender key: {e}"))?;
        // Out of range (zero or ≥ the group order) is astronomically rare; draw again.
        if let Ok(k) = PrivateKey::from_bytes(&b) {
            return Ok(k);
        }
    }
}

/// What bootstrapping needs from the chain and the config.
pub struct Context<'a> {
    pub client: &'a RpcClient,
    pub chain_id: &'a ChainId,
    pub prefix: &'a str,
    pub funder: &'a Account,
    /// How long to wait for a bootstrap transaction's block.
    pub confirm_timeout: Duration,
}

fn err(c: &RpcClient, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", c.endpoint())
}

/// Sends `ops` signed by the funder and waits for their block.
async fn send(ctx: &Context<'_>, ops: Vec<Operation>) -> Result<(), String> {
    let c = ctx.client;
    let mut ops = ops;
    let fees = c
        .get_required_fees(
            serde_json::to_value(&ops).map_err(|e| e.to_string())?,
            "1.3.0",
        )
        .await
        .map_err(|e| err(c, e))?;
    for (op, fee) in ops.iter_mut().zip(&fees) {
        match op {
            Operation::Transfer(t) => t.fee = Asset::core(fee.amount),
            Operation::AccountCreate(a) => a.fee = Asset::core(fee.amount),
        }
    }
    let dgp = c
        .get_dynamic_global_properties()
        .await
        .map_err(|e| err(c, e))?;
    let tapos = tapos_from_block_id(&dgp.head_block_id).map_err(|e| err(c, e))?;
    let expiration = TimePointSec((dgp.time.unix_timestamp() + 60) as u32);
    let tx = Transaction::new(&tapos, expiration, ops).sign(&ctx.funder.key, ctx.chain_id);
    c.broadcast_transaction_synchronous(&tx, ctx.confirm_timeout)
        .await
        .map(drop)
        .map_err(|e| format!("bootstrap by {}: {}", ctx.funder.name, err(c, e)))
}

/// Registers and funds `n` senders so each holds at least `need_each` (core satoshi).
/// Keys come from (and new ones go to) the store at `store` before anything is sent.
pub async fn senders(
    ctx: &Context<'_>,
    n: u32,
    need_each: i64,
    store: &Path,
) -> Result<Vec<Sender>, String> {
    let c = ctx.client;
    let prefix = Prefix::new(ctx.prefix).map_err(|e| format!("network prefix: {e}"))?;
    let funder = c
        .get_account_by_name(&ctx.funder.name)
        .await
        .map_err(|e| err(c, e))?
        .ok_or_else(|| format!("funder {:?} does not exist on the chain", ctx.funder.name))?;
    if !funder.is_lifetime_member() {
        return Err(format!(
            "funder {:?} is not a lifetime member: only lifetime members may register the senders",
            ctx.funder.name
        ));
    }
    let funder_id: AccountId = funder.id.parse().map_err(|e| err(c, e))?;

    let mut stored = if store.exists() {
        keys::load(store).map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    let names: Vec<String> = (0..n).map(|i| sender_name(&ctx.funder.name, i)).collect();
    let mut added = false;
    for name in &names {
        if !stored.iter().any(|a| &a.name == name) {
            stored.push(Account {
                name: name.clone(),
                key: fresh_key()?,
            });
            added = true;
        }
    }
    if added {
        keys::save(store, &stored).map_err(|e| e.to_string())?;
    }
    let key_of = |name: &str| {
        stored
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.key.clone())
    };

    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let found = c.lookup_account_names(&refs).await.map_err(|e| err(c, e))?;
    let mut creates = Vec::new();
    for (name, acc) in names.iter().zip(&found) {
        let Some(key) = key_of(name) else { continue };
        let public = key.public_key().with_prefix(prefix);
        match acc {
            None => creates.push(Operation::from(AccountCreateOp {
                fee: Asset::core(0),
                registrar: funder_id,
                referrer: funder_id,
                referrer_percent: 0,
                name: name.clone(),
                owner: Authority::single_key(public),
                active: Authority::single_key(public),
                options: AccountOptions::with_memo_key(public),
                extensions: Default::default(),
            })),
            Some(a) => {
                let active = a
                    .rest
                    .get("active")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                if !active.contains(&public.to_string_with_prefix(ctx.prefix)) {
                    return Err(format!(
                        "sender {name:?} exists but its active key is not the one in {}",
                        store.display()
                    ));
                }
            }
        }
    }
    for chunk in creates.chunks(OPS_PER_TX) {
        send(ctx, chunk.to_vec()).await?;
    }
    let found = c.lookup_account_names(&refs).await.map_err(|e| err(c, e))?;
    let mut out = Vec::new();
    let mut funding = Vec::new();
    for (name, acc) in names.iter().zip(found) {
        let acc = acc.ok_or_else(|| format!("sender {name:?} was not registered"))?;
        let id: AccountId = acc.id.parse().map_err(|e| err(c, e))?;
        let balance = c
            .get_account_balances(&acc.id, &["1.3.0"])
            .await
            .map_err(|e| err(c, e))?
            .first()
            .map_or(0, |b| b.amount);
        if balance < need_each {
            funding.push(Operation::from(TransferOp {
                fee: Asset::core(0),
                from: funder_id,
                to: id,
                amount: Asset::core(need_each - balance),
                memo: None,
                extensions: FutureExtensions,
            }));
        }
        let key = key_of(name).ok_or_else(|| format!("no key for sender {name:?}"))?;
        out.push(Sender {
            name: name.clone(),
            id,
            key,
        });
    }
    for chunk in funding.chunks(OPS_PER_TX) {
        send(ctx, chunk.to_vec()).await?;
    }
    Ok(out)
}
