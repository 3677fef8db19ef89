//! The monitor at scale: `btsops watch` probing 10 and then 1,000 simnet nodes at a 1 s
//! interval, with `btsops simnet` in its own process, so only the monitor's own CPU and
//! memory are counted. Prints CPU-seconds per probe round and RSS per endpoint, and the
//! 1,000-endpoint figures as ratios to the 10-endpoint run measured in the same bench
//! (these machines are noisy: ratios, never absolute thresholds).
//!
//! `MONITOR_BENCH_SECONDS` (default 30) seconds of steady state are measured per run;
//! the CPU time (the process's utime + stime) is divided by the probe rounds every
//! endpoint completed meanwhile, counted from the run's own recording (`--record`),
//! and RSS is sampled at the end;
//! `MONITOR_BENCH_BLOCK_INTERVAL` (default 3, the real chains' interval) sets the simnet
//! block interval, i.e. how often each node pushes a head notice.
//! Plain `main` rather than criterion's sampling loop: the figure of interest is CPU time
//! per completed round of a long-running process, not the duration of a closure.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[path = "support/process.rs"]
mod process;
#[path = "support/simnet_fleet.rs"]
mod simnet_fleet;
use process::{Killed, cpu_ns, env_u64, rss_kb};
use std::time::{Duration, Instant};

struct Run {
    endpoints: usize,
    cpu_per_round: f64,
    rss_kb: u64,
}

fn run(n: usize, seconds: u64, block_interval: u64) -> Run {
    let dir = std::env::temp_dir().join(format!("monitor-bench-{}-{n}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (_sim, config) = simnet_fleet::start(&dir, n, block_interval);
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, config).expect("write config");
    let rec = dir.join("rec.jsonl");

    let mut watch = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args(["watch", "--json", "--for", "600", "--record"])
        .arg(&rec)
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn btsops watch");
    let out = watch.stdout.take().expect("stdout");
    let watch = Killed(watch);
    let pid = watch.0.id();
    // Warm up until every endpoint has reported its first status (connected, learned).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut first = 0usize;
    let mut lines = BufReader::new(out).lines();
    while first < n && Instant::now() < deadline {
        let Some(Ok(l)) = lines.next() else { break };
        if l.contains("\"from\":\"unknown\"") {
            first += 1;
        }
    }
    assert_eq!(first, n, "not every endpoint reported within the warm-up");
    // Keep draining events so the watcher never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_secs(2));
    let (t0, r0) = (cpu_ns(pid), rounds(&rec));
    std::thread::sleep(Duration::from_secs(seconds));
    let (t1, r1) = (cpu_ns(pid), rounds(&rec));
    let rss = rss_kb(pid);
    drop(watch);
    let _ = std::fs::remove_dir_all(&dir);
    let done = r1.saturating_sub(r0);
    assert!(done > 0, "no probe round completed in {seconds} s");
    Run {
        endpoints: n,
        cpu_per_round: t1.saturating_sub(t0) as f64 / 1e9 / done as f64,
        rss_kb: rss,
    }
}

/// Probe rounds every endpoint has completed, from the newest whole snapshot line of
/// the recording `rec` (the slowest endpoint's probe count).
fn rounds(rec: &std::path::Path) -> u64 {
    let text = std::fs::read_to_string(rec).unwrap_or_default();
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "snapshot")
        .and_then(|v| {
            v["endpoints"]
                .as_array()?
                .iter()
                .map(|e| e["probes"].as_u64())
                .min()?
        })
        .unwrap_or(0)
}

fn main() {
    // `cargo test --benches` runs benches with no args; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("monitor: run with `cargo bench --bench monitor`");
        return;
    }
    let seconds = env_u64("MONITOR_BENCH_SECONDS", 30);
    let block_interval = env_u64("MONITOR_BENCH_BLOCK_INTERVAL", 3);
    println!("probe interval 1 s, block interval {block_interval} s, {seconds} s measured");
    let small = run(10, seconds, block_interval);
    let big = run(1000, seconds, block_interval);
    for r in [&small, &big] {
        println!(
            "monitor {:>5} endpoints: {:.4} CPU-s per probe round, RSS {} kB ({:.1} kB/endpoint)",
            r.endpoints,
            r.cpu_per_round,
            r.rss_kb,
            r.rss_kb as f64 / r.endpoints as f64
        );
    }
    let marginal =
        (big.rss_kb as f64 - small.rss_kb as f64) / (big.endpoints - small.endpoints) as f64;
    let n_ratio = big.endpoints as f64 / small.endpoints as f64;
    let cpu_ratio = big.cpu_per_round / small.cpu_per_round.max(1e-9);
    println!(
        "marginal RSS per endpoint: {marginal:.1} kB (target ≤ 64 kB); \
         1000-endpoint CPU {:.4} s per 1 s round (target < 0.1)",
        big.cpu_per_round
    );
    println!(
        "ratios 1000/10: endpoints {n_ratio:.0}x, CPU per round {cpu_ratio:.1}x ({}linear), RSS {:.2}x",
        if cpu_ratio <= n_ratio * 1.1 {
            "≤ "
        } else {
            "ABOVE "
        },
        big.rss_kb as f64 / small.rss_kb.max(1) as f64
    );
}
