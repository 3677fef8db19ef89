//! `btsops export` against a simnet fleet: `/metrics` scraped over HTTP while faults
//! are injected (each fault moves its own metric), `/nodes.json` following the status
//! with its hysteresis, and the command itself as a process. Waits are bounded and
//! counted in probe rounds, never in how fast btsops is.

mod support;

use std::time::{Duration, Instant};

use btsops::monitor::{FleetSnapshot, Status};
use support::export::{buckets, get, scrape, value};
use support::monitor::{config_text, ep, parse, start_engine, start_fleet, wait_for};

const LONG: Duration = Duration::from_secs(40);

fn victim(status: &'static str) -> [(&'static str, &'static str); 2] {
    [("endpoint", "victim"), ("status", status)]
}

/// Scrapes until `pred` holds on the parsed scrape (bounded); returns it.
async fn scrape_until(
    addr: std::net::SocketAddr,
    what: &str,
    pred: impl Fn(&prometheus_parse::Scrape) -> bool,
) -> prometheus_parse::Scrape {
    let deadline = Instant::now() + LONG;
    loop {
        let (s, text) = scrape(addr).await;
        if pred(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "no scrape with {what}:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn latency_count(s: &prometheus_parse::Scrape, le: f64) -> (f64, f64) {
    let b = buckets(
        s,
        "btsops_endpoint_latency_seconds",
        &[("endpoint", "victim")],
    );
    let under = b
        .iter()
        .find(|(bound, _)| (*bound - le).abs() < 1e-9)
        .map_or(0.0, |(_, c)| *c);
    let total = b.last().map_or(0.0, |(_, c)| *c);
    (under, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_moves_its_own_metric() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "victim"], &[]));
    let engine = start_engine(&cfg);
    let exporter = support::export::start(&cfg, &engine).await;
    let addr = exporter.addr();
    wait_for(&engine, "victim ok", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    let s = scrape_until(addr, "victim ok", |s| {
        value(s, "btsops_endpoint_status", &victim("ok")) == Some(1.0)
    })
    .await;
    assert_eq!(
        value(&s, "btsops_endpoint_status", &victim("down")),
        Some(0.0)
    );
    assert_eq!(
        value(
            &s,
            "btsops_endpoint_chain_mismatch",
            &[("endpoint", "victim")]
        ),
        Some(0.0)
    );
    let (healthz, _) = get(addr, "/healthz").await;
    assert_eq!(healthz, 200);

    // Stall → lag in seconds grows past the warn threshold.
    let warn_s = cfg.networks[0].thresholds.lag_warn_s;
    faults.stall_head();
    let s = scrape_until(addr, "victim lag past warn", |s| {
        value(s, "btsops_endpoint_lag_seconds", &[("endpoint", "victim")])
            .is_some_and(|v| v > warn_s)
    })
    .await;
    assert!(
        value(&s, "btsops_endpoint_lag_seconds", &[("endpoint", "a")]).is_some_and(|v| v < warn_s),
        "the healthy node's lag moved too"
    );
    faults.recover();
    scrape_until(addr, "victim ok after the stall", |s| {
        value(s, "btsops_endpoint_status", &victim("ok")) == Some(1.0)
    })
    .await;

    // Latency → the histogram's new samples land above the injected delay.
    let before = scrape(addr).await.0;
    let (under_before, total_before) = latency_count(&before, 0.1);
    assert!(total_before > 0.0, "no latency samples before the fault");
    faults.set_latency(Duration::from_millis(150), Duration::ZERO);
    // Skip the probe that may have been in flight when the delay was set.
    let skip = scrape_until(addr, "one delayed probe", |s| {
        latency_count(s, 0.1).1 >= total_before + 1.0
    })
    .await;
    let (under_skip, total_skip) = latency_count(&skip, 0.1);
    let after = scrape_until(addr, "three more delayed probes", |s| {
        latency_count(s, 0.1).1 >= total_skip + 3.0
    })
    .await;
    let (under_after, total_after) = latency_count(&after, 0.1);
    assert_eq!(
        under_after, under_skip,
        "a 150 ms delay was counted under 100 ms ({under_before} → {under_after} of {total_before} → {total_after})"
    );
    assert!(total_after >= total_skip + 3.0);
    faults.recover();

    // Wrong chain → status crit and the mismatch flag.
    faults.wrong_chain_id();
    let s = scrape_until(addr, "victim on the wrong chain", |s| {
        value(
            s,
            "btsops_endpoint_chain_mismatch",
            &[("endpoint", "victim")],
        ) == Some(1.0)
    })
    .await;
    assert_eq!(
        value(&s, "btsops_endpoint_status", &victim("crit")),
        Some(1.0)
    );
    assert_eq!(
        value(&s, "btsops_endpoint_status", &victim("ok")),
        Some(0.0)
    );
    faults.recover();
    let s = scrape_until(addr, "victim back on the chain", |s| {
        value(s, "btsops_endpoint_status", &victim("ok")) == Some(1.0)
    })
    .await;
    let availability_before = value(
        &s,
        "btsops_endpoint_availability_ratio",
        &[("endpoint", "victim")],
    )
    .expect("availability");

    // Freeze → down, and availability falls.
    faults.freeze();
    let s = scrape_until(addr, "victim down and less available", |s| {
        value(s, "btsops_endpoint_status", &victim("down")) == Some(1.0)
            && value(
                s,
                "btsops_endpoint_availability_ratio",
                &[("endpoint", "victim")],
            )
            .is_some_and(|v| v < availability_before)
    })
    .await;
    assert_eq!(
        value(
            &s,
            "btsops_endpoint_status",
            &[("endpoint", "a"), ("status", "ok")]
        ),
        Some(1.0),
        "the other node stays ok"
    );
    faults.recover();
    drop(exporter);
    engine.shutdown().await;
}

fn listed(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).expect("nodes.json is JSON");
    v.as_array()
        .expect("a list")
        .iter()
        .map(|n| n["url"].as_str().expect("url").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_json_follows_the_status_and_lists_only_public_nodes() {
    let fleet = start_fleet().await;
    // a and victim are public; b is not.
    let text = config_text(&fleet, &["a", "b", "victim"], &[])
        .replace(
            "name = \"a\"\n",
            "name = \"a\"\n  public = true\n  region = \"Europe\"\n",
        )
        .replace(
            "name = \"victim\"\n",
            "name = \"victim\"\n  public = true\n",
        );
    let cfg = parse(&text);
    let engine = start_engine(&cfg);
    let exporter = support::export::start(&cfg, &engine).await;
    let addr = exporter.addr();
    let url = |n: &str| ep(&engine.snapshot(), n).url.clone();
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    let (status, body) = get(addr, "/nodes.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed(&body), [url("a"), url("victim")], "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["location"], "Europe");
    assert_eq!(v[0]["chain_id"], support::monitor::CHAIN_ID);
    assert!(v[0]["latency_ms"].as_f64().is_some(), "{body}");
    assert_eq!(v[0]["head_lag_blocks"], 0);

    // Down: gone from the list by the snapshot that says so, counted in probe rounds.
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    let at = ep(&engine.snapshot(), "victim").probes;
    faults.freeze();
    let down = wait_for(&engine, "victim down", LONG, |s| {
        ep(s, "victim").status == Status::Down
    })
    .await;
    assert!(
        ep(&down, "victim").probes <= at + 2,
        "down only after two more probes"
    );
    let (_, body) = get(addr, "/nodes.json").await;
    assert_eq!(listed(&body), [url("a")], "{body}");

    // Back: listed again only once the status is back (the hysteresis dwell), never
    // while the status still holds it down.
    faults.recover();
    let deadline = Instant::now() + LONG;
    loop {
        let before: FleetSnapshot = engine.snapshot();
        let (_, body) = get(addr, "/nodes.json").await;
        let after: FleetSnapshot = engine.snapshot();
        let has = listed(&body).contains(&url("victim"));
        let healthy =
            |s: &FleetSnapshot| matches!(ep(s, "victim").status, Status::Ok | Status::Warn);
        if has {
            assert!(
                healthy(&after),
                "listed while its status was {}",
                ep(&after, "victim").status
            );
            break;
        }
        assert!(
            !(healthy(&before) && healthy(&after) && before.seq == after.seq),
            "healthy but not listed: {body}"
        );
        assert!(Instant::now() < deadline, "victim never listed again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Wrong chain: never listed while it answers for another chain.
    faults.wrong_chain_id();
    wait_for(&engine, "victim crit", LONG, |s| {
        ep(s, "victim").chain_mismatch
    })
    .await;
    for _ in 0..5 {
        let (_, body) = get(addr, "/nodes.json").await;
        assert!(!listed(&body).contains(&url("victim")), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    faults.recover();
    // Filtering by network.
    let (_, body) = get(addr, "/nodes.json?network=testnet").await;
    assert!(listed(&body).is_empty(), "{body}");
    drop(exporter);
    engine.shutdown().await;
}

#[test]
fn export_command_serves_until_stopped() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fleet = rt.block_on(start_fleet());
    let dir = tempfile::tempdir().unwrap();
    let path = support::monitor::write_config(dir.path(), &config_text(&fleet, &["a"], &[]));
    let (child, addr) = support::export::spawn(&path, dir.path(), 60);
    let healthz = rt.block_on(async {
        let deadline = Instant::now() + LONG;
        loop {
            let (s, _) = scrape(addr).await;
            if value(
                &s,
                "btsops_endpoint_status",
                &[("endpoint", "a"), ("status", "ok")],
            ) == Some(1.0)
            {
                break get(addr, "/healthz").await;
            }
            assert!(Instant::now() < deadline, "a never ok on /metrics");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert_eq!(healthz, (200, "ok\n".to_string()));
    let (nf, _) = rt.block_on(get(addr, "/nope"));
    assert_eq!(nf, 404);
    support::export::stop(child);
}
