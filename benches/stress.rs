//! Stress-runner throughput, as ratios measured in one run (no criterion: each figure is
//! one timed pass, printed with its baseline):
//!
//! 1. signed-and-sent: the runner's signer threads plus its per-transaction broadcast
//!    (a future each, driven by the sending task, as the runner does) into a discard
//!    sink (a loopback websocket that reads and drops), against canonical signing of
//!    the same transfers on one core; target ≥ 80 % per core used.
//! 2. offered rate: the runner's pacer sending pre-signed transactions into the sink at
//!    10, 100, 1,000 and 2,000 tx/s; target within 2 % of the asked rate.
//! 3. read flood: the runner's closed-loop read flood against a minimal loopback JSON-RPC
//!    websocket that answers every request at once, against a bare websocket client doing
//!    the same request/answer loop on as many connections; target ≥ 70 %.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use btsops::chain::*;
use btsops::rpc::{ConnectOptions, RpcClient};
use btsops::stress::bootstrap::Sender;
use btsops::stress::run::Pacer;
use btsops::stress::transfer::{self, Builder};
use btsops::stress::{Abort, Options, Run, plan, targets};
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
const CHAIN: &str = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

fn senders() -> Vec<Sender> {
    (0..8)
        .map(|i| Sender {
            name: format!("s{i}"),
            id: AccountId(100 + i),
            key: PrivateKey::from_wif(WIF).unwrap(),
        })
        .collect()
}

fn builder() -> Builder {
    let (senders, chain) = (senders(), ChainId::from_hex(CHAIN).unwrap());
    let tapos = Tapos {
        block_num: 1000,
        ref_block_num: 1000,
        ref_block_prefix: 0x1234_5678,
    };
    Arc::new(move |i| {
        let tx = transfer::nth(i, &senders, 2_000_000, &tapos, TimePointSec(1_800_000_000));
        tx.sign(&senders[(i % 8) as usize].key, &chain)
    })
}

/// A websocket server on 127.0.0.1:0. `answer`: reply to each request (with the chain id
/// for `get_chain_id`, else null). Otherwise a discard sink: it answers only the API-id
/// lookup (`login` API, id 1) that a client makes once per connection, and reads and
/// drops everything else. Counts the requests it does not answer, or all when `answer`.
async fn server(answer: bool) -> (String, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", l.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let c = Arc::clone(&c);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.next().await {
                    let Message::Text(t) = m else { continue };
                    // The sink's own work must not count against the runner: only the
                    // rare lookup frame is parsed, by a cheap test first.
                    let lookup = !answer && t.contains("\"params\":[1,");
                    if !answer && !lookup {
                        c.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let req: Value = serde_json::from_str(&t).unwrap_or_default();
                    if lookup {
                        let reply = json!({"id": req["id"], "jsonrpc": "2.0", "result": 2});
                        if ws.send(Message::text(reply.to_string())).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    c.fetch_add(1, Ordering::Relaxed);
                    if answer {
                        let result = if req["params"][1] == "get_chain_id" {
                            json!(CHAIN)
                        } else {
                            Value::Null
                        };
                        let reply = json!({"id": req["id"], "jsonrpc": "2.0", "result": result});
                        if ws.send(Message::text(reply.to_string())).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, count)
}

async fn wait_count(count: &AtomicU64, n: u64) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "sink got {} of {n}",
            count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Instant::now()
}

/// Canonical signing on this thread: transfers per wall second, and per CPU second of
/// the thread (on a loaded machine the wall rate falls while the CPU rate does not, so
/// the per-CPU-second ratio is taken against the CPU rate).
fn one_core_signing_rate(n: u64) -> (f64, f64) {
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let build = builder();
    let (t0, cpu0) = (Instant::now(), thread_cpu_s(me));
    for i in 0..n {
        std::hint::black_box(build(i));
    }
    let cpu = thread_cpu_s(me) - cpu0;
    (
        n as f64 / t0.elapsed().as_secs_f64(),
        n as f64 / cpu.max(1e-9),
    )
}

/// CPU seconds this process has used, all threads.
fn process_cpu_s() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds one thread of this process has used.
fn thread_cpu_s(thread: libc::pthread_t) -> f64 {
    let mut clock: libc::clockid_t = 0;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the thread is alive (its handle is held); both calls write what they are given.
    unsafe {
        if libc::pthread_getcpuclockid(thread, &mut clock) != 0 {
            return 0.0;
        }
        libc::clock_gettime(clock, &mut ts);
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The discard sink on a thread of its own, so its CPU time can be told apart from the
/// runner's: on a 2-core machine it competes with the signers, and reading frames is
/// the sink's cost, not the runner's.
fn sink_thread() -> (String, Arc<AtomicU64>, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (url, count) = server(false).await;
            tx.send((url, count)).unwrap();
            // Serves until the process ends.
            std::future::pending::<()>().await;
        });
    });
    let (url, count) = rx.recv().unwrap();
    (url, count, handle)
}

/// Signed and sent: transactions per wall second, and per CPU second of the runner
/// (the process less the sink's thread).
async fn signed_and_sent_rate(n: u64, threads: usize) -> (f64, f64) {
    use std::os::unix::thread::JoinHandleExt;
    let (url, count, sink) = sink_thread();
    let c = RpcClient::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    // As the runner does: 4096 transactions (2 s at 2,048 tx/s) ahead, in batches.
    let batch = transfer::signing_batch(4096);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096 / batch);
    let (cpu0, sink0) = (process_cpu_s(), thread_cpu_s(sink.as_pthread_t()));
    let t0 = Instant::now();
    let signers = transfer::spawn_signers(threads, n, batch, builder(), tx);
    // As the runner does: each broadcast a future driven by the sending task; the sink
    // never answers, so they all stay in flight.
    let mut inflight = FuturesUnordered::new();
    let c = &c;
    loop {
        let batch = tokio::select! {
            biased;
            Some(()) = inflight.next(), if !inflight.is_empty() => continue,
            b = rx.recv() => b,
        };
        let Some(batch) = batch else { break };
        for ready in batch {
            inflight.push(async move {
                let _ = c
                    .broadcast_prepared(&ready.json, Duration::from_secs(30))
                    .await;
            });
        }
    }
    let end = tokio::select! {
        end = wait_count(&count, n) => end,
        _ = async { while inflight.next().await.is_some() {} } => wait_count(&count, n).await,
    };
    let runner_cpu = (process_cpu_s() - cpu0) - (thread_cpu_s(sink.as_pthread_t()) - sink0);
    for s in signers {
        let _ = s.join();
    }
    (
        n as f64 / end.duration_since(t0).as_secs_f64(),
        n as f64 / runner_cpu,
    )
}

async fn held_rate(rate: u32, secs: u64) -> f64 {
    let (url, count) = server(false).await;
    let c = RpcClient::connect(&url, ConnectOptions::default())
        .await
        .unwrap();
    let one = btsops::rpc::Json::of(&builder()(0)).unwrap();
    let total = u64::from(rate) * secs;
    let abort = Abort::default();
    let start = Instant::now();
    let mut pacer = Pacer::new(start, rate, total, Duration::from_secs(secs));
    let mut sent = 0u64;
    let mut inflight = FuturesUnordered::new();
    let (c, one) = (&c, &one);
    loop {
        // As the runner does: replies (none here) and the next slot, in one task.
        let slot = tokio::select! {
            biased;
            Some(()) = inflight.next(), if !inflight.is_empty() => continue,
            s = pacer.next(&abort) => s,
        };
        if slot.is_none() {
            break;
        }
        inflight.push(async move {
            let _ = c.broadcast_prepared(one, Duration::from_secs(30)).await;
        });
        sent += 1;
    }
    let end = tokio::select! {
        end = wait_count(&count, sent) => end,
        _ = async { while inflight.next().await.is_some() {} } => wait_count(&count, sent).await,
    };
    // Slots are due at 0, 1/rate, ..., (n-1)/rate: the last is sent at (n-1)/rate.
    (sent - 1) as f64 / end.duration_since(start).as_secs_f64()
}

async fn bare_read_rate(url: &str, conns: usize, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let done = Arc::clone(&done);
        tasks.push(tokio::spawn(async move {
            let mut id = 0u64;
            while Instant::now() < end {
                id += 1;
                let req = json!({"id": id, "method": "call", "params": [0, "get_dynamic_global_properties", []]});
                ws.send(Message::text(req.to_string())).await.unwrap();
                let _ = ws.next().await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

async fn runner_read_rate(url: &str, conns: u32, secs: u64) -> f64 {
    let cfg = format!(
        "[[network]]\nname = \"t\"\nrole = \"testnet\"\nchain_id = \"{CHAIN}\"\nprefix = \"TEST\"\n  [[network.node]]\n  name = \"echo\"\n  url = \"{url}\"\n[stress]\nnetwork = \"t\"\nmax_tps = 10000000\nmax_total = 100000000\nmax_error_rate = 1.0\n"
    );
    let cfg = btsops::config::parse(Path::new("bench.toml"), &cfg).unwrap();
    let p = plan::parse(
        "bench",
        &format!("kind = \"read\"\nduration_s = {secs}\nconnections = {conns}\n"),
    )
    .unwrap();
    let effective = plan::effective("bench", &p, cfg.stress.as_ref().unwrap()).unwrap();
    let (network, targets) = targets::resolve(&cfg, &effective.targets).unwrap();
    let mut run = Run::start(Options {
        plan: p,
        effective,
        network,
        targets,
        funder: None,
        data_dir: std::env::temp_dir(),
    });
    while run.progress.recv().await.is_some() {}
    let r = run.finish().await.unwrap();
    assert_eq!(r.aborted, None);
    r.totals.accepted as f64 / r.elapsed_s
}

/// The round with the median ratio: the machine's load moves between a measurement and
/// its baseline, so each pair is measured back to back, three times.
fn median_round(mut rounds: Vec<(f64, f64)>) -> (f64, f64) {
    rounds.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
    rounds[rounds.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut per_cpu = Vec::new();
    let rounds = (0..3)
        .map(|_| {
            let (one, one_cpu) = one_core_signing_rate(10_000);
            let (sent, per_cpu_s) = rt.block_on(signed_and_sent_rate(10_000 * cores as u64, cores));
            per_cpu.push((per_cpu_s, one_cpu));
            (sent, one * cores as f64)
        })
        .collect();
    let (sent, all_cores) = median_round(rounds);
    println!(
        "signed-and-sent into a discard sink: {sent:.0} tx/s on {cores} signer threads; canonical signing on one core {:.0} tx/s; ratio per core {:.0}% (wall clock, the sink's reading included; median of 3 rounds)",
        all_cores / cores as f64,
        100.0 * sent / all_cores
    );
    let (per_cpu_s, one) = median_round(per_cpu);
    println!(
        "signed-and-sent per CPU second the runner used (the process less the sink's thread): {per_cpu_s:.0} tx; canonical signing {one:.0} tx per CPU second; ratio per core used {:.0}% (target >= 80%; median of 3 rounds)",
        100.0 * per_cpu_s / one
    );
    for (rate, secs) in [(10, 3), (100, 2), (1_000, 2), (2_000, 2)] {
        let got = rt.block_on(held_rate(rate, secs));
        println!(
            "offered {rate} tx/s: held {got:.1} tx/s ({:+.2}%, target within 2%)",
            100.0 * (got - f64::from(rate)) / f64::from(rate)
        );
    }
    let (url, _) = rt.block_on(server(true));
    let rounds = (0..3)
        .map(|_| {
            let bare = rt.block_on(bare_read_rate(&url, 4, 2));
            let runner = rt.block_on(runner_read_rate(&url, 4, 2));
            (runner, bare)
        })
        .collect();
    let (runner, bare) = median_round(rounds);
    println!(
        "read flood, 4 connections closed loop: runner {runner:.0} req/s, bare websocket client {bare:.0} req/s; ratio {:.0}% (target >= 70%; median of 3 rounds)",
        100.0 * runner / bare
    );
}
