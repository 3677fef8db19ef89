//! The latency the monitor reports is the link's: `check --json`, `watch --record` and the
//! console all agree with a delay injected in simnet, from none to 800 ms, and a far node
//! that answers every call within the timeout is up, not down.

mod support;

use std::path::Path;
use std::time::Duration;

use btsops::monitor::{EndpointSnapshot, FleetSnapshot, Recording, Status};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};
use btsops::theme::Theme;
use btsops::tui::{App, Keymap, Msg, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use support::monitor::*;

/// Injected one-way link delays, ms, one node each, named `d<ms>`.
const DELAYS: [u64; 4] = [0, 50, 300, 800];
/// A node slow to process (replies queued): each sample is still one call's time.
const BUSY_MS: u64 = 300;
/// Probe samples each observer collects per node before it reports.
const SAMPLES: u64 = 5;

fn fleet_toml() -> String {
    let mut t =
        format!("[[network]]\nname = \"mainnet\"\nchain_id = \"{CHAIN_ID}\"\nblock_interval = 1\n");
    for d in DELAYS {
        t.push_str(&format!("  [[network.node]]\n  name = \"d{d}\"\n"));
    }
    t.push_str("  [[network.node]]\n  name = \"busy\"\n");
    t
}

/// The delay each node's latency should show.
fn expected() -> Vec<(String, f64)> {
    let mut e: Vec<(String, f64)> = DELAYS
        .iter()
        .map(|d| (format!("d{d}"), *d as f64))
        .collect();
    e.push(("busy".into(), BUSY_MS as f64));
    e
}

/// Within 10 % of the delay or 2 ms, whichever is larger, of the delay plus `base`, plus
/// `rounding` (the console draws whole milliseconds). `base` is the round trip without a
/// delay (`d0`'s p50 as the same observer measured it): loopback, the timer's
/// millisecond and a debug build's JSON work, which any real link adds to as well.
fn agrees(measured: f64, delay: f64, base: f64, rounding: f64) -> bool {
    let tolerance = (delay * 0.1).max(2.0) + rounding;
    (measured - (delay + base)).abs() <= tolerance
}

fn assert_agrees(who: &str, node: &str, what: &str, measured: f64, delay: f64, base: f64) {
    assert!(
        agrees(measured, delay, base, rounding(who)),
        "{who}: {node} {what} is {measured} ms for a {delay} ms delay (base {base} ms)"
    );
}

fn rounding(who: &str) -> f64 {
    if who == "console" { 0.5 } else { 0.0 }
}

/// The samples a loaded test host may spoil: on two shared cores a thread can wait tens
/// of ms for the CPU, which only ever adds time. Up to a third of the samples (at least
/// one) may be too slow, and are returned (p99 may equal the slowest). A sample that
/// waited behind another call is off by a whole delay, and that happens to every other
/// sample (half of them), so this allowance cannot hide it; a sample too fast is never
/// excused.
fn stalled_samples(samples: &[f64], delay: f64, base: f64) -> Vec<f64> {
    let off: Vec<f64> = samples
        .iter()
        .copied()
        .filter(|ms| !agrees(*ms, delay, base, 0.0))
        .collect();
    let allowed = (samples.len() / 3).max(1);
    let too_slow = off.iter().all(|ms| *ms > delay + base);
    if off.len() > allowed || !too_slow {
        return Vec::new();
    }
    off
}

/// p99 agrees, or is a stalled sample (the histogram keeps two significant digits).
fn assert_p99(who: &str, node: &str, p99: f64, delay: f64, base: f64, stalled: &[f64]) {
    let is_stalled = stalled
        .iter()
        .any(|s| (p99 - s).abs() <= s * 0.01 + rounding(who));
    if !is_stalled {
        assert_agrees(who, node, "p99", p99, delay, base);
    }
}

/// p50 and p99 of every node in a monitor snapshot, and the samples in its history.
fn assert_snapshot_agrees(who: &str, s: &FleetSnapshot, min_samples: u64) {
    let base = ep(s, "d0").latency.p50_ms.expect("d0 has a p50");
    for (name, delay) in expected() {
        let e: &EndpointSnapshot = ep(s, &name);
        assert_eq!(e.status, Status::Ok, "{who}: {name}: {:?}", e.reasons);
        let l = &e.latency;
        let p50 = l
            .p50_ms
            .unwrap_or_else(|| panic!("{who}: {name} has no p50"));
        let p99 = l
            .p99_ms
            .unwrap_or_else(|| panic!("{who}: {name} has no p99"));
        let samples: Vec<f64> = l.history.iter().flatten().copied().collect();
        eprintln!("{who}: {name}: p50 {p50} p99 {p99} samples {samples:?}");
        assert!(
            samples.len() as u64 >= min_samples,
            "{who}: {name} history {:?}",
            l.history
        );
        assert_agrees(who, &name, "p50", p50, delay, base);
        let stalled = stalled_samples(&samples, delay, base);
        assert_p99(who, &name, p99, delay, base, &stalled);
        for ms in samples.into_iter().filter(|ms| !stalled.contains(ms)) {
            assert_agrees(who, &name, "sample", ms, delay, base);
        }
    }
}

async fn start(toml: &str) -> FleetHandle {
    let desc = FleetDescription::from_toml(toml).expect("fleet parses");
    Fleet::start(&desc).await.expect("fleet starts")
}

/// The monitor config for the latency fleet: probes every 500 ms (a probe waiting on an
/// 800 ms node delays the next tick), a window that keeps every sample of the run.
fn latency_config(fleet: &FleetHandle) -> String {
    let names: Vec<String> = expected().into_iter().map(|(n, _)| n).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    config_text(fleet, &names, &[])
        .replace("probe_interval_ms = 400", "probe_interval_ms = 500")
        .replace("timeout_ms = 1000", "timeout_ms = 3000")
        .replace("window_s = 4", "window_s = 60")
        .replace("latency_warn_ms = 800", "latency_warn_ms = 1000")
        .replace("latency_crit_ms = 2000", "latency_crit_ms = 3000")
}

/// The overview as drawn on a wide `TestBackend`, one string per row.
fn overview_rows(s: &FleetSnapshot) -> Vec<String> {
    let (w, h) = (220, 20);
    let mut app = App::new(Theme::default_theme(), Keymap::defaults());
    update(&mut app, Msg::Resize(w, h));
    update(&mut app, Msg::Tick(s.time));
    update(&mut app, Msg::Snapshot(Box::new(s.clone())));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| view::frame(&app, f)).expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

/// p50 and p99 as the console's overview draws them for `node`: the `p50/p99 ms` cell
/// of the node's row (the network's row names its best node too, without that cell).
fn console_latency(rows: &[String], node: &str) -> (f64, f64) {
    rows.iter()
        .filter(|r| r.split_whitespace().any(|w| w == node))
        .find_map(|r| {
            r.split_whitespace().find_map(|w| {
                let (a, b) = w.split_once('/')?;
                Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?))
            })
        })
        .unwrap_or_else(|| panic!("no p50/p99 cell for {node}:\n{}", rows.join("\n")))
}

fn run_check(cfg: &Path, envs: &[(&str, &str)]) -> Value {
    let (code, out, err) = run_btsops(
        [
            "check".as_ref(),
            "--json".as_ref(),
            "--config".as_ref(),
            cfg.as_os_str(),
        ],
        envs,
        Duration::from_secs(90),
    );
    assert!(matches!(code, Some(0..=2)), "check exit {code:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"))
}

/// One endpoint of a `check --json` document.
fn check_endpoint<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["endpoints"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["name"] == name))
        .unwrap_or_else(|| panic!("no endpoint {name} in {doc}"))
}

/// `check --json`, `watch --record` and the console, run at once against one fleet with
/// a node per delay, each report p50 and p99 within 10 % (or 2 ms) of the delay. Before
/// the link was a delay line, replies queued behind notices and a sample could hold two
/// delays (800 ms showed as 1,400–1,600 ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_watch_and_console_agree_with_the_injected_delay() {
    let fleet = start(&fleet_toml()).await;
    for d in DELAYS {
        fleet
            .faults("mainnet", &format!("d{d}"))
            .expect("node")
            .set_latency(Duration::from_millis(d), Duration::ZERO);
    }
    fleet
        .faults("mainnet", "busy")
        .expect("node")
        .set_slow_processing(Duration::from_millis(BUSY_MS), Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = latency_config(&fleet);
    let cfg = write_config(dir.path(), &text);
    let rec = dir.path().join("watch.jsonl");

    // `check`: one round, one sample per node.
    let check = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || run_check(&cfg, &[]))
    };
    // `watch --record`: long enough for every node to be probed SAMPLES times.
    let watch = {
        let (cfg, rec) = (cfg.clone(), rec.clone());
        tokio::task::spawn_blocking(move || {
            run_btsops(
                [
                    "watch".as_ref(),
                    "--for".as_ref(),
                    "14".as_ref(),
                    "--record".as_ref(),
                    rec.as_os_str(),
                    "--config".as_ref(),
                    cfg.as_os_str(),
                ],
                &[],
                Duration::from_secs(60),
            )
        })
    };
    // The console: the live engine's snapshots, drawn.
    let engine = start_engine(&parse(&text));
    let names: Vec<String> = expected().into_iter().map(|(n, _)| n).collect();
    let snap = wait_for(
        &engine,
        "samples of every node",
        Duration::from_secs(40),
        |s| names.iter().all(|n| ep(s, n).probes >= SAMPLES),
    )
    .await;
    engine.shutdown().await;
    assert_snapshot_agrees("console state", &snap, SAMPLES);
    let rows = overview_rows(&snap);
    let (base, _) = console_latency(&rows, "d0");
    let state_base = ep(&snap, "d0").latency.p50_ms.expect("d0 has a p50");
    for (name, delay) in expected() {
        let (p50, p99) = console_latency(&rows, &name);
        assert_agrees("console", &name, "p50", p50, delay, base);
        let samples: Vec<f64> = ep(&snap, &name)
            .latency
            .history
            .iter()
            .flatten()
            .copied()
            .collect();
        let stalled = stalled_samples(&samples, delay, state_base);
        assert_p99("console", &name, p99, delay, base, &stalled);
    }

    // `check`'s endpoints are the monitor's snapshots, as JSON: at least the one sample
    // of its round (nearer nodes are probed again while the far ones finish theirs).
    let doc = check.await.expect("check ran");
    let mut checked = FleetSnapshot::empty();
    checked.endpoints = serde_json::from_value(doc["endpoints"].clone())
        .unwrap_or_else(|e| panic!("check endpoints ({e}): {doc}"));
    assert_snapshot_agrees("check", &checked, 1);

    let (code, _, err) = watch.await.expect("watch ran");
    assert_eq!(code, Some(0), "watch: {err}");
    let records = Recording::read_all(&rec).expect("watch recording");
    let last = last_snapshot(&records);
    assert_snapshot_agrees("watch --record", last, SAMPLES);
    fleet.shutdown().await;
}

/// A node 2 s away (below the 3 s timeout) that answers every call, logged in with
/// `network_node`: `check` reports it up with its latency and peer count, not down. Its
/// first round is a dozen round trips (upgrade, two logins, the API-id lookup and the
/// peer count call, subscribing, ...), each within the timeout on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_far_node_answering_every_call_is_up() {
    let fleet = start_fleet().await;
    let delay = 2000.0;
    fleet
        .faults("mainnet", "ops")
        .expect("ops")
        .set_latency(Duration::from_millis(delay as u64), Duration::ZERO);
    let url = &fleet.endpoint("mainnet", "ops").expect("ops").url;
    let mut text = config_text(&fleet, &[], &[])
        .replace("timeout_ms = 1000", "timeout_ms = 3000")
        .replace("latency_warn_ms = 800", "latency_warn_ms = 2500")
        .replace("latency_crit_ms = 2000", "latency_crit_ms = 4000");
    text.push_str(&format!(
        "\n  [[network.node]]\n  name = \"ops\"\n  url = \"{url}\"\n  user = \"ops\"\n  password_env = \"BTSOPS_TEST_OPS_PASS\"\n"
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), &text);
    let doc =
        tokio::task::spawn_blocking(move || run_check(&cfg, &[("BTSOPS_TEST_OPS_PASS", "secret")]))
            .await
            .expect("check ran");
    let e = check_endpoint(&doc, "ops");
    assert_eq!(e["status"], "ok", "{e}");
    assert!(e["peer_count"].is_number(), "{e}");
    for (what, v) in [
        ("login_ms", &e["login_ms"]),
        ("p50_ms", &e["latency"]["p50_ms"]),
        ("p99_ms", &e["latency"]["p99_ms"]),
    ] {
        let v = v.as_f64().unwrap_or_else(|| panic!("{what}: {e}"));
        assert_agrees("check", "ops", what, v, delay, 0.0);
    }
    fleet.shutdown().await;
}
