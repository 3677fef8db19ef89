//! Read flood: N connections per target issuing the plan's call mix at the offered rate
//! (open loop), or as fast as answered with one call in flight per connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::classify::classify;
use super::run::{self, Options, Pacer, Shared};
use crate::rpc::{Api, RpcClient};

/// One connection of the flood.
struct Conn {
    /// Shared with every request's task (a count, not a copy, per request).
    target: Arc<str>,
    client: RpcClient,
    /// Closed loop: one call at a time.
    slot: Arc<Semaphore>,
}

/// The parameters of a read call; `head` is the newest block number seen.
pub fn params(call: &str, head: u32) -> Value {
    match call {
        "get_block" | "get_block_header" => json!([head.max(1)]),
        "get_objects" => json!([["2.1.0"]]),
        _ => json!([]),
    }
}

pub(crate) async fn run(opts: &Options, shared: &Arc<Shared>) -> Result<(), String> {
    let e = &opts.effective;
    shared.phase("connecting");
    let mut conns = Vec::new();
    for _ in 0..e.connections {
        for (name, client) in
            run::connect_all(&opts.targets, &opts.network.chain_id, shared).await?
        {
            conns.push(Conn {
                target: Arc::from(name),
                client,
                slot: Arc::new(Semaphore::new(1)),
            });
        }
    }
    let head = Arc::new(AtomicU32::new(1));
    if let Ok(d) = conns[0].client.get_dynamic_global_properties().await {
        head.store(d.head_block_number, Ordering::Relaxed);
    }
    let mut background = JoinSet::new();
    background.spawn(run::ticker(Arc::clone(shared)));
    for c in conns.iter().take(opts.targets.len()) {
        background.spawn(run::probe(
            Arc::clone(shared),
            c.target.to_string(),
            c.client.clone(),
        ));
    }
    shared.phase("running");
    let start = run::start_clock(shared);
    let mut pacer = Pacer::new(
        start,
        e.rate,
        e.total,
        std::time::Duration::from_secs(e.duration_s),
    );
    let calls: Vec<Arc<str>> = e.calls.iter().map(|c| Arc::from(c.as_str())).collect();
    let mut inflight = JoinSet::new();
    while let Some((i, slot)) = pacer.next(&shared.abort).await {
        let conn = &conns[i as usize % conns.len()];
        // Closed loop: the call goes when its connection is free; latency counts from then.
        let (permit, due) = if e.open_loop {
            (None, slot)
        } else {
            tokio::select! {
                p = Arc::clone(&conn.slot).acquire_owned() => (p.ok(), Instant::now()),
                _ = shared.abort.wait() => break,
            }
        };
        let call = Arc::clone(&calls[i as usize % calls.len()]);
        let p = params(&call, head.load(Ordering::Relaxed));
        let (client, target, sh, head) = (
            conn.client.clone(),
            Arc::clone(&conn.target),
            Arc::clone(shared),
            Arc::clone(&head),
        );
        shared.tally().sent(shared.second_of(due), &target);
        inflight.spawn(async move {
            let r = client
                .call_with_timeout(Api::Database, &call, p, sh.timeout())
                .await;
            if let Ok(v) = &r {
                if let Some(n) = v.get("head_block_number").and_then(Value::as_u64) {
                    head.fetch_max(n as u32, Ordering::Relaxed);
                }
            }
            let latency = Instant::now().saturating_duration_since(due).as_micros() as u64;
            let outcome = r.map(drop).map_err(|e| classify(&e));
            sh.tally()
                .replied(sh.second_of(due), &target, latency, outcome);
            drop(permit);
        });
        // Reap finished calls so the set stays small on long runs.
        while inflight.try_join_next().is_some() {}
    }
    // Calls in flight end within their timeout, unless the run is stopped.
    tokio::select! {
        _ = async { while inflight.join_next().await.is_some() {} } => {}
        _ = shared.abort.wait() => inflight.abort_all(),
    }
    background.abort_all();
    Ok(())
}
