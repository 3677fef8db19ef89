//! `btsops export` in tests: an exporter on 127.0.0.1:0 beside an engine, scrapes over
//! HTTP, and the scraped text read with a Prometheus text-format parser.

#![allow(dead_code)]

use std::time::Duration;

use btsops::config::Config;
use btsops::export::Exporter;
use btsops::monitor::Engine;
use prometheus_parse::{Scrape, Value};

pub async fn start(cfg: &Config, engine: &Engine) -> Exporter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    Exporter::start(cfg, engine, listener).expect("exporter starts")
}

/// `GET http://addr{path}`: status and body.
pub async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client");
    let resp = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// Scrapes `/metrics` and parses it; panics with the text when it does not parse.
pub async fn scrape(addr: std::net::SocketAddr) -> (Scrape, String) {
    let (status, text) = get(addr, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let s = Scrape::parse(lines).unwrap_or_else(|e| panic!("unparsable exposition: {e}\n{text}"));
    (s, text)
}

fn matches(s: &prometheus_parse::Sample, metric: &str, labels: &[(&str, &str)]) -> bool {
    s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
}

/// The value of the one gauge, counter or untyped sample matching.
pub fn value(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| matches(x, metric, labels))
        .and_then(|x| match x.value {
            Value::Gauge(v) | Value::Counter(v) | Value::Untyped(v) => Some(v),
            _ => None,
        })
}

/// A histogram's cumulative bucket counts (upper bound, count), in bucket order.
pub fn buckets(s: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
    s.samples
        .iter()
        .find(|x| matches(x, metric, labels))
        .map(|x| match &x.value {
            Value::Histogram(h) => h.iter().map(|b| (b.less_than, b.count)).collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default()
}

/// Every metric name a query could use: sample names, and `_bucket` for histograms.
pub fn names(s: &Scrape) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for x in &s.samples {
        out.insert(x.metric.clone());
        if matches!(x.value, Value::Histogram(_)) {
            out.insert(format!("{}_bucket", x.metric));
        }
    }
    out
}

/// `btsops export --listen 127.0.0.1:0 --for S --config PATH` as a child process with its
/// state and cache under `dir`; returns it and the address its first line names. Kills it
/// and fails when no address comes within 20 s.
pub fn spawn(
    config: &std::path::Path,
    dir: &std::path::Path,
    for_s: u64,
) -> (std::process::Child, std::net::SocketAddr) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args([
            "export",
            "--listen",
            "127.0.0.1:0",
            "--for",
            &for_s.to_string(),
            "--config",
        ])
        .arg(config)
        .env_remove("BTSOPS_CONFIG")
        .env("HOME", "/nonexistent-btsops-home")
        .env("BTSOPS_STATE_DIR", dir.join("state"))
        .env("BTSOPS_CACHE_DIR", dir.join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start btsops export");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        first
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !reader.is_finished() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("btsops export printed no address within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let line = reader.join().unwrap_or_default();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok());
    match addr {
        Some(a) => (child, a),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no address in {line:?}");
        }
    }
}

/// SIGTERM, then waits (bounded) for a clean exit.
pub fn stop(mut child: std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = super::process::wait_within(&mut child, Duration::from_secs(20), "btsops export");
    assert!(status.success(), "btsops export after SIGTERM: {status}");
}
