//! The exporter at scale: `btsops export` watching 10 and then 1,000 simnet nodes at a
//! 1 s probe interval (simnet in its own process) while this bench scrapes `/metrics`
//! and `/nodes.json` every second, as Prometheus and a wallet list would. Prints CPU
//! seconds per probe round and RSS, per endpoint, and the 1,000-endpoint figures as
//! ratios to the 10-endpoint run of the same bench (noisy machines: ratios, never
//! absolute thresholds).
//!
//! `EXPORT_BENCH_SECONDS` (default 30) seconds of steady state are measured per run; the
//! CPU time (utime + stime of the exporter) is divided by the probe rounds every endpoint
//! completed meanwhile, read from the scraped `btsops_endpoint_probes_total` (its
//! minimum over the endpoints); RSS is sampled at the end.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/process.rs"]
mod process;
#[path = "support/simnet_fleet.rs"]
mod simnet_fleet;
use process::{Killed, cpu_ns, env_u64, rss_kb};

struct Run {
    endpoints: usize,
    cpu_per_round: f64,
    rss_kb: u64,
    scrape_bytes: usize,
    scrapes: u64,
}

/// One HTTP/1.0 GET, the body.
fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// Probe rounds every endpoint completed: the smallest `btsops_endpoint_probes_total`.
fn rounds(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .filter(|l| l.starts_with("btsops_endpoint_probes_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .min()
}

fn ok_count(metrics: &str) -> usize {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("btsops_endpoint_status{")
                && l.contains("status=\"ok\"")
                && l.ends_with(" 1.0")
        })
        .count()
}

fn run(n: usize, seconds: u64) -> Run {
    let dir = std::env::temp_dir().join(format!("export-bench-{}-{n}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (_sim, config) = simnet_fleet::start(&dir, n, 3);
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, config).expect("write config");
    let mut exporter = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args([
            "export",
            "--listen",
            "127.0.0.1:0",
            "--for",
            "900",
            "--config",
        ])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn btsops export");
    let mut out = exporter.stdout.take().expect("stdout");
    let exporter = Killed(exporter);
    let pid = exporter.0.id();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).is_ok_and(|k| k == 1) && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&first).to_string();
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    // Warm up until every endpoint is ok.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let m = get(addr, "/metrics").unwrap_or_default();
        if ok_count(&m) == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} endpoints ok after the warm-up",
            ok_count(&m)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let (t0, r0) = (
        cpu_ns(pid),
        rounds(&get(addr, "/metrics").unwrap_or_default()).unwrap_or(0),
    );
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut scrapes = 0;
    let mut last = String::new();
    while Instant::now() < end {
        let tick = Instant::now();
        last = get(addr, "/metrics").unwrap_or_default();
        let _ = get(addr, "/nodes.json");
        scrapes += 1;
        std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
    }
    let (t1, r1) = (cpu_ns(pid), rounds(&last).unwrap_or(0));
    let rss = rss_kb(pid);
    drop(exporter);
    let _ = std::fs::remove_dir_all(&dir);
    let done = r1.saturating_sub(r0);
    assert!(done > 0, "no probe round completed in {seconds} s");
    Run {
        endpoints: n,
        cpu_per_round: t1.saturating_sub(t0) as f64 / 1e9 / done as f64,
        rss_kb: rss,
        scrape_bytes: last.len(),
        scrapes,
    }
}

fn main() {
    // `cargo test --benches` runs benches with no args; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("export: run with `cargo bench --bench export`");
        return;
    }
    let seconds = env_u64("EXPORT_BENCH_SECONDS", 30);
    println!(
        "probe interval 1 s, /metrics and /nodes.json scraped every second, {seconds} s measured"
    );
    let small = run(10, seconds);
    let big = run(1000, seconds);
    for r in [&small, &big] {
        println!(
            "export {:>5} endpoints: {:.4} CPU-s per round ({:.2} ms/endpoint), RSS {} kB ({:.1} kB/endpoint), /metrics {} kB, {} scrapes",
            r.endpoints,
            r.cpu_per_round,
            r.cpu_per_round * 1000.0 / r.endpoints as f64,
            r.rss_kb,
            r.rss_kb as f64 / r.endpoints as f64,
            r.scrape_bytes / 1024,
            r.scrapes
        );
    }
    let per = |r: &Run| {
        (
            r.cpu_per_round / r.endpoints as f64,
            r.rss_kb as f64 / r.endpoints as f64,
        )
    };
    let (cpu_small, rss_small) = per(&small);
    let (cpu_big, rss_big) = per(&big);
    let marginal =
        (big.rss_kb as f64 - small.rss_kb as f64) / (big.endpoints - small.endpoints) as f64;
    println!(
        "per endpoint, 1000 vs 10: CPU {:.2}x, RSS {:.2}x; marginal RSS {marginal:.1} kB/endpoint \
         (monitor targets: ≤ 64 kB, < 0.1 CPU-s per 1,000-endpoint round: {:.4})",
        cpu_big / cpu_small.max(1e-12),
        rss_big / rss_small.max(1e-12),
        big.cpu_per_round
    );
}
