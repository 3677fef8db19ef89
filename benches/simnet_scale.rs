//! Scale of `btsops simnet`: the same fleet with 10 and with 1,000 nodes (one listener
//! each), every node with one idle client subscribed to 2.1.0, run as its own process.
//! Prints CPU-seconds per block and RSS per node, and the 1,000-node figures as ratios to
//! the 10-node run (these machines are noisy: ratios, never absolute thresholds).
//!
//! `SIMNET_BENCH_BLOCKS` (default 10) blocks are measured at `SIMNET_BENCH_INTERVAL`
//! (default 3) seconds each.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[path = "support/process.rs"]
mod process;
use process::{Killed, cpu_ns, env_u64, rss_kb};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

struct Run {
    nodes: usize,
    cpu_per_block: f64,
    rss_kb: u64,
}

async fn run(nodes: usize, interval: u64, blocks: u64) -> Run {
    let dir = std::env::temp_dir().join(format!("simnet-bench-{}-{nodes}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let fleet = dir.join("fleet.toml");
    let mut text = format!("[[network]]\nname = \"mainnet\"\nblock_interval = {interval}\n");
    for i in 0..nodes {
        text.push_str(&format!("[[network.node]]\nname = \"n{i}\"\n"));
    }
    std::fs::write(&fleet, text).expect("write fleet file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args(["simnet", "--fleet"])
        .arg(&fleet)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn btsops simnet");
    let stdout = child.stdout.take().expect("stdout");
    let child = Killed(child);
    let pid = child.0.id();
    let mut urls = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.expect("line")).expect("json");
        if v["ready"] == true {
            break;
        }
        if let Some(u) = v["url"].as_str() {
            urls.push(u.to_string());
        }
    }
    // One idle subscribed client per node; client 0 reports each notice so blocks can be
    // counted, the others just drain.
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let mut clients = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        for req in [
            r#"{"id":1,"method":"call","params":[0,"set_subscribe_callback",[1,false]]}"#,
            r#"{"id":2,"method":"call","params":[0,"get_objects",[["2.1.0"]]]}"#,
        ] {
            ws.send(Message::text(req)).await.expect("send");
        }
        let tx = (i == 0).then(|| tx.clone());
        clients.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let (Some(tx), Ok(t)) = (&tx, m.to_text())
                    && t.contains("\"notice\"")
                {
                    let _ = tx.send(());
                }
            }
        }));
    }
    // Start at a block boundary, then count `blocks` more.
    rx.recv().await;
    let t0 = cpu_ns(pid);
    for _ in 0..blocks {
        rx.recv().await;
    }
    let t1 = cpu_ns(pid);
    let rss = rss_kb(pid);
    for c in clients {
        c.abort();
    }
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        nodes,
        cpu_per_block: t1.saturating_sub(t0) as f64 / 1e9 / blocks as f64,
        rss_kb: rss,
    }
}

fn main() {
    // `cargo test --benches` runs benches with no args; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("simnet_scale: run with `cargo bench --bench simnet_scale`");
        return;
    }
    let interval = env_u64("SIMNET_BENCH_INTERVAL", 3);
    let blocks = env_u64("SIMNET_BENCH_BLOCKS", 10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let small = rt.block_on(run(10, interval, blocks));
    let big = rt.block_on(run(1000, interval, blocks));
    for r in [&small, &big] {
        println!(
            "simnet {:>5} nodes: {:.5} CPU-s/block, RSS {} kB ({:.1} kB/node)",
            r.nodes,
            r.cpu_per_block,
            r.rss_kb,
            r.rss_kb as f64 / r.nodes as f64
        );
    }
    let marginal = (big.rss_kb as f64 - small.rss_kb as f64) / (big.nodes - small.nodes) as f64;
    let node_ratio = big.nodes as f64 / small.nodes as f64;
    println!("marginal RSS per node: {marginal:.1} kB (target ≤ 300 kB)");
    let rss_ratio =
        (big.rss_kb as f64 / big.nodes as f64) / (small.rss_kb as f64 / small.nodes as f64);
    // /proc counts CPU in clock ticks (10 ms): an idle 10-node fleet can use less than
    // one over its blocks, and a ratio to zero would say nothing.
    if small.cpu_per_block == 0.0 {
        println!(
            "ratios 1000/10: nodes {node_ratio:.0}x, RSS per node {rss_ratio:.2}x; CPU per block: the 10-node run used less than one 10 ms clock tick in {blocks} blocks (no ratio); 1000 nodes {:.3} ms per node and block",
            big.cpu_per_block * 1e3 / big.nodes as f64
        );
        return;
    }
    let cpu_ratio = big.cpu_per_block / small.cpu_per_block;
    println!(
        "ratios 1000/10: nodes {node_ratio:.0}x, CPU per block {cpu_ratio:.1}x ({}linear), RSS per node {rss_ratio:.2}x",
        if cpu_ratio <= node_ratio * 1.1 {
            "≤ "
        } else {
            "ABOVE "
        },
    );
}
