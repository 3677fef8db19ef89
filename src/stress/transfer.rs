//! Transfer flood: unique signed transfers between the senders, signed on every core
//! ahead of their send time, sent open loop over the targets; acceptance per reply,
//! inclusion from block notices and the blocks' transactions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::bootstrap::{self, Sender};
use super::classify::classify;
use super::keys;
use super::report::Environment;
use super::run::{self, Options, Pacer, Shared};
use crate::chain::{
    AccountId, Asset, ChainId, FutureExtensions, Operation, SignedTransaction, Tapos, TimePointSec,
    Transaction, TransferOp, tapos_from_block_id,
};
use crate::rpc::types::block_num_from_id;
use crate::rpc::{Api, Json, RpcClient};

/// Seconds a transaction stays valid after its intended send time: short, so a run's
/// leftovers leave the nodes' pools soon, long enough for a loaded node to include it.
pub const EXPIRES_AFTER_SEND_S: u64 = 30;
/// Callback id of the block notices.
const BLOCK_CALLBACK: u64 = 7;
/// Most seconds of pre-signed transactions queued ahead of the sender.
const AHEAD_S: u64 = 2;
/// Most transactions a signer thread hands over at once. Handing them over one by one
/// woke the sender for each (a context switch that takes a core from the signers);
/// batches cut the wake-ups and so the runner's CPU per transaction.
const SIGN_BATCH: usize = 64;

/// Transactions per hand-over when `ahead` are queued ahead of the sender: small
/// against the queue, so it still holds several batches.
pub fn signing_batch(ahead: usize) -> usize {
    (ahead / 8).clamp(1, SIGN_BATCH)
}

/// Transaction `i` of the run: sender `i mod n` pays `1 + i / n` satoshi to the next
/// sender. The amount rises for each sender, so no two transactions share an id.
pub fn nth(
    i: u64,
    senders: &[Sender],
    fee: i64,
    tapos: &Tapos,
    expiration: TimePointSec,
) -> Transaction {
    let n = senders.len() as u64;
    let from = &senders[(i % n) as usize];
    let to = &senders[((i + 1) % n) as usize];
    let op = TransferOp {
        fee: Asset::core(fee),
        from: from.id,
        to: to.id,
        amount: Asset::core(1 + (i / n) as i64),
        memo: None,
        extensions: FutureExtensions,
    };
    Transaction::new(tapos, expiration, vec![Operation::from(op)])
}

/// Core satoshi one sender needs for its share of `total` transfers.
pub fn need_each(total: u64, senders: u32, fee: i64) -> i64 {
    let k = total.div_ceil(u64::from(senders.max(1))) as i64;
    // k fees, amounts 1..=k, and one fee of slack.
    k.saturating_mul(fee)
        .saturating_add(k.saturating_mul(k + 1) / 2)
        .saturating_add(fee)
}

/// A transaction signed and ready: its JSON text (serialized on the signer thread, so
/// the sender only frames it) and id.
pub struct Ready {
    pub id: [u8; 20],
    pub json: Json,
}

/// Builds and signs transaction `i` of a run.
pub type Builder = Arc<dyn Fn(u64) -> SignedTransaction + Send + Sync>;

/// Signs transactions `0..total` on `threads` threads into `tx`, `batch` consecutive
/// ones at a time, as fast as the channel takes them (it holds `AHEAD_S` seconds of
/// load, so signing runs ahead of sending). Batches from two threads may arrive out of
/// order; each transaction's expiration is its own, so the order does not matter.
pub fn spawn_signers(
    threads: usize,
    total: u64,
    batch: usize,
    build: Builder,
    tx: mpsc::Sender<Vec<Ready>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let next = Arc::new(AtomicU64::new(0));
    let batch = batch.max(1) as u64;
    (0..threads)
        .map(|_| {
            let (next, build, tx) = (Arc::clone(&next), Arc::clone(&build), tx.clone());
            std::thread::spawn(move || {
                loop {
                    let first = next.fetch_add(batch, Ordering::Relaxed);
                    if first >= total {
                        return;
                    }
                    let end = first.saturating_add(batch).min(total);
                    let mut out = Vec::with_capacity((end - first) as usize);
                    for i in first..end {
                        let signed = build(i);
                        let Ok(json) = Json::of(&signed) else {
                            return;
                        };
                        out.push(Ready {
                            id: signed.id(),
                            json,
                        });
                    }
                    // A closed channel: the run ended.
                    if tx.blocking_send(out).is_err() {
                        return;
                    }
                }
            })
        })
        .collect()
}

/// Intended send time of every transaction accepted or in flight, by id.
type Pending = Arc<Mutex<HashMap<[u8; 20], Instant>>>;

/// Follows block notices on `client` and counts the run's transactions in each block.
async fn watch_blocks(
    client: RpcClient,
    shared: Arc<Shared>,
    pending: Pending,
) -> Result<(), String> {
    let mut notices = client
        .take_notices()
        .ok_or_else(|| format!("{}: notices already taken", client.endpoint()))?;
    client
        .set_block_applied_callback(BLOCK_CALLBACK)
        .await
        .map_err(|e| e.to_string())?;
    let mut last: Option<u32> = None;
    loop {
        let notice = tokio::select! {
            n = notices.recv() => n,
            _ = shared.abort.wait() => return Ok(()),
        };
        let Some(notice) = notice else {
            return Err(format!("{}: block notices ended", client.endpoint()));
        };
        let arrived = Instant::now();
        let Some(num) = notice
            .args
            .first()
            .and_then(Value::as_str)
            .and_then(block_num_from_id)
        else {
            continue;
        };
        // Blocks whose notice was dropped are read too.
        let from = last.map_or(num, |l| l + 1);
        for b in from..=num {
            let Ok(Some(block)) = client.get_block(b).await else {
                continue;
            };
            for t in &block.transactions {
                let Ok(tx) = serde_json::from_value::<SignedTransaction>(t.clone()) else {
                    continue;
                };
                let due = pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&tx.id());
                if let Some(due) = due {
                    let us = arrived.saturating_duration_since(due).as_micros() as u64;
                    shared.tally().included(shared.second_of(due), us);
                }
            }
        }
        last = Some(num.max(last.unwrap_or(0)));
    }
}

pub(crate) async fn run(
    opts: &Options,
    shared: &Arc<Shared>,
    env: &mut Environment,
) -> Result<(), String> {
    let e = &opts.effective;
    let funder = opts
        .funder
        .as_ref()
        .ok_or("a transfer run needs the funder's key from stress.keys_file")?;
    let chain_id = ChainId::from_hex(&opts.network.chain_id)
        .map_err(|err| format!("network {:?} chain_id: {err}", opts.network.name))?;
    shared.phase("connecting (chain id of every target)");
    let conns = run::connect_all(&opts.targets, &opts.network.chain_id, shared).await?;
    // The watcher has its own connection: notices must not wait behind broadcasts.
    let watcher_target = opts
        .targets
        .iter()
        .find(|t| t.name == conns[0].0)
        .ok_or("internal: first connection has no target")?;
    let watcher = run::connect_checked(
        watcher_target,
        &opts.network.chain_id,
        shared.timeout(),
        &shared.abort,
    )
    .await?;
    let setup = &conns[0].1;

    shared.phase("bootstrapping senders");
    let gp = setup
        .get_global_properties()
        .await
        .map_err(|err| err.to_string())?;
    let interval = u64::from(gp.parameters.block_interval.max(1));
    let probe_op = Operation::from(TransferOp {
        fee: Asset::core(0),
        from: AccountId(0),
        to: AccountId(1),
        amount: Asset::core(1),
        memo: None,
        extensions: FutureExtensions,
    });
    let fee = setup
        .get_required_fees(
            serde_json::to_value([probe_op]).map_err(|err| err.to_string())?,
            "1.3.0",
        )
        .await
        .map_err(|err| err.to_string())?
        .first()
        .map(|a| a.amount)
        .ok_or("get_required_fees returned no fee")?;
    let store = keys::sender_store(&opts.data_dir, &opts.network.name);
    let ctx = bootstrap::Context {
        client: setup,
        chain_id: &chain_id,
        prefix: &opts.network.prefix,
        funder,
        confirm_timeout: Duration::from_secs(interval * 4 + 5),
    };
    let senders = tokio::select! {
        r = bootstrap::senders(&ctx, e.senders, need_each(e.total, e.senders, fee), &store) => r?,
        _ = shared.abort.wait() => return Ok(()),
    };

    // TaPoS from the last irreversible block: it survives short forks (PROTOCOL.md §13).
    let dgp = setup
        .get_dynamic_global_properties()
        .await
        .map_err(|err| err.to_string())?;
    let tapos = lib_tapos(setup, dgp.last_irreversible_block_num)
        .await
        .unwrap_or(tapos_from_block_id(&dgp.head_block_id).map_err(|err| err.to_string())?);
    let base = dgp.time.unix_timestamp().max(0) as u64;
    let rate = u64::from(e.rate);
    let build = {
        let (senders, chain_id) = (senders.clone(), chain_id);
        Arc::new(move |i: u64| {
            // Expires a fixed time after its own intended send time.
            let exp = base + i / rate + EXPIRES_AFTER_SEND_S;
            let tx = nth(i, &senders, fee, &tapos, TimePointSec(exp as u32));
            let key = &senders[(i % senders.len() as u64) as usize].key;
            tx.sign(key, &chain_id)
        }) as Builder
    };
    // The node must read our bytes as we do (PROTOCOL.md §17) before a flood of them.
    let first = build(0);
    let node_hex = setup
        .call(
            Api::Database,
            "get_transaction_hex",
            serde_json::json!([first]),
        )
        .await
        .map_err(|err| err.to_string())?;
    if node_hex.as_str() != Some(first.to_hex().as_str()) {
        return Err(format!(
            "{}: get_transaction_hex of the first transaction differs from ours: not sending",
            setup.endpoint()
        ));
    }
    let threads = env.cores.max(1);
    let ahead = (rate * AHEAD_S).max(16) as usize;
    let batch = signing_batch(ahead);
    env.signer_threads = threads;
    env.pre_signed_ahead = ahead;
    let (sign_tx, mut signed) = mpsc::channel(ahead.div_ceil(batch));
    let signers = spawn_signers(threads, e.total, batch, build, sign_tx);

    let pending: Pending = Arc::default();
    let mut background = JoinSet::new();
    {
        let (sh, p) = (Arc::clone(shared), Arc::clone(&pending));
        background.spawn(async move {
            if let Err(why) = watch_blocks(watcher, Arc::clone(&sh), p).await {
                sh.phase(format!("inclusion not tracked: {why}"));
            }
        });
    }
    background.spawn(run::ticker(Arc::clone(shared)));
    for (name, c) in &conns {
        background.spawn(run::probe(Arc::clone(shared), name.clone(), c.clone()));
    }
    // Let the queue fill before the clock starts.
    let full = ahead
        .div_ceil(batch)
        .min(e.total.div_ceil(batch as u64) as usize);
    while signed.len() < full && !shared.abort.is_set() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    shared.phase("running");
    let start = run::start_clock(shared);
    let mut pacer = Pacer::new(start, e.rate, e.total, Duration::from_secs(e.duration_s));
    // Broadcasts in flight are futures of this task, not a task each: no spawn and no
    // wake-up of another worker per transaction, and each connection's writer sends
    // what this loop queued in one write.
    let mut inflight = FuturesUnordered::new();
    let mut queued = Vec::new().into_iter();
    loop {
        let slot = tokio::select! {
            biased;
            Some(()) = inflight.next(), if !inflight.is_empty() => continue,
            slot = pacer.next(&shared.abort) => slot,
        };
        let Some((i, due)) = slot else { break };
        let ready = match queued.next() {
            Some(r) => r,
            None => {
                let batch = tokio::select! {
                    r = signed.recv() => r,
                    _ = shared.abort.wait() => None,
                };
                let Some(batch) = batch else { break };
                queued = batch.into_iter();
                let Some(r) = queued.next() else { break };
                r
            }
        };
        let (name, client) = &conns[i as usize % conns.len()];
        pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(ready.id, due);
        shared.tally().sent(shared.second_of(due), name);
        let (p, sh) = (&pending, &**shared);
        inflight.push(async move {
            // The call's own deadline is the plan's timeout (a timeout classifies as one).
            let outcome = client
                .broadcast_prepared(&ready.json, sh.timeout())
                .await
                .map_err(|err| classify(&err));
            if outcome.is_err() {
                p.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&ready.id);
            }
            let latency = Instant::now().saturating_duration_since(due).as_micros() as u64;
            sh.tally()
                .replied(sh.second_of(due), name, latency, outcome);
        });
    }
    drop(signed);
    tokio::select! {
        _ = async { while inflight.next().await.is_some() {} } => {}
        _ = shared.abort.wait() => {}
    }
    // Whatever is still in flight after a stop is dropped: its calls end here.
    drop(inflight);
    // Accepted transactions are included within a few blocks, or expire.
    if !shared.abort.is_set() {
        shared.phase("waiting for inclusion");
        let deadline = Instant::now() + Duration::from_secs(EXPIRES_AFTER_SEND_S + 2 * interval);
        while Instant::now() < deadline && !shared.abort.is_set() {
            if pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
            {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = shared.abort.wait() => break,
            }
        }
    }
    background.abort_all();
    for s in signers {
        let _ = s.join();
    }
    Ok(())
}

/// TaPoS of block `num` from its block-summary slot `2.8.<num & 0xffff>`.
async fn lib_tapos(c: &RpcClient, num: u32) -> Option<Tapos> {
    let id = format!("2.8.{}", num & 0xFFFF);
    let objs = c.get_objects(&[&id]).await.ok()?;
    let block_id = objs
        .first()?
        .as_ref()?
        .get("block_id")?
        .as_str()?
        .to_string();
    tapos_from_block_id(&block_id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::PrivateKey;

    #[test]
    fn signers_hand_over_every_transaction_once_in_batches() {
        let key = PrivateKey::from_bytes(&[1u8; 32]).expect("a valid test key");
        let senders: Vec<Sender> = (0..3)
            .map(|i| Sender {
                name: format!("s{i}"),
                id: AccountId(100 + i),
                key: key.clone(),
            })
            .collect();
        let tapos = Tapos {
            block_num: 1,
            ref_block_num: 1,
            ref_block_prefix: 7,
        };
        let build: Builder = Arc::new(move |i| {
            nth(i, &senders, 100, &tapos, TimePointSec(1_800_000_000))
                .sign(&senders[0].key, &ChainId::TESTNET)
        });
        let (tx, mut rx) = mpsc::channel(4);
        let signers = spawn_signers(2, 150, 64, build, tx);
        let mut sizes = Vec::new();
        let mut ids = std::collections::HashSet::new();
        while let Some(batch) = rx.blocking_recv() {
            sizes.push(batch.len());
            for r in batch {
                assert!(r.json.as_str().starts_with('{'));
                assert!(ids.insert(r.id), "a transaction handed over twice");
            }
        }
        for s in signers {
            s.join().expect("a signer thread panicked");
        }
        sizes.sort_unstable();
        assert_eq!(sizes, [22, 64, 64]);
        assert_eq!(ids.len(), 150);
    }

    #[test]
    fn batches_stay_small_against_the_queue() {
        assert_eq!(signing_batch(16), 2);
        assert_eq!(signing_batch(20), 2);
        assert_eq!(signing_batch(4), 1);
        assert_eq!(signing_batch(4_000), SIGN_BATCH);
    }
}
