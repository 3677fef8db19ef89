//! The committed recording fixture (`tests/fixtures/monitor_faults.jsonl`): how it was
//! made, and that it replays deterministically with every fault visible. Other tests
//! (the console's replay and snapshot tests) read the same file.
//!
//! Regenerate with:
//!     BTSOPS_WRITE_FIXTURE=1 cargo test --test monitor_record -- --ignored

mod support;

use std::path::PathBuf;
use std::time::Duration;

use btsops::monitor::{Engine, EngineOptions, Record, Recording, Status};
use support::monitor::*;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/monitor_faults.jsonl")
}

/// Fault timeline: stall `victim`, add 150 ms to `b`, give `lagging` a wrong chain id,
/// freeze `a`, mute the seed; then recover everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the fixture; run with BTSOPS_WRITE_FIXTURE=1"]
async fn generate_fixture() {
    if std::env::var_os("BTSOPS_WRITE_FIXTURE").is_none() {
        return;
    }
    let fleet = start_fleet().await;
    let text = config_text(&fleet, &["a", "b", "lagging", "victim"], &["seed-1"])
        .replace("probe_interval_ms = 400", "probe_interval_ms = 1000")
        .replace("latency_warn_ms = 800", "latency_warn_ms = 100")
        .replace("window_s = 4", "window_s = 6");
    let cfg = parse(&text);
    let mut opts = EngineOptions::from_config(&cfg.monitor);
    opts.record = Some(fixture());
    let engine = Engine::start(&cfg, opts).expect("engine");
    let long = Duration::from_secs(40);
    wait_for(&engine, "all probed", long, |s| {
        s.endpoints.iter().all(|e| e.probes >= 2)
    })
    .await;
    let f = |n: &str| fleet.faults("mainnet", n).expect("endpoint");
    f("victim").stall_head();
    f("b").set_latency(Duration::from_millis(150), Duration::ZERO);
    f("lagging").wrong_chain_id();
    wait_for(&engine, "stall, latency, wrong chain seen", long, |s| {
        ep(s, "victim").status == Status::Crit
            && ep(s, "b").status != Status::Ok
            && ep(s, "lagging").chain_mismatch
    })
    .await;
    f("a").freeze();
    f("seed-1").mute_seed();
    wait_for(&engine, "freeze and mute seen", long, |s| {
        ep(s, "a").status == Status::Down && ep(s, "seed-1").status == Status::Down
    })
    .await;
    for n in ["a", "b", "lagging", "victim", "seed-1"] {
        f(n).recover();
    }
    wait_for(&engine, "recovered", long, |s| {
        ["a", "b", "victim", "seed-1"]
            .iter()
            .all(|n| ep(s, n).status == Status::Ok)
            && !ep(s, "lagging").chain_mismatch
    })
    .await;
    engine.shutdown().await;
}

#[test]
fn fixture_replays_with_every_fault() {
    let records = Recording::read_all(fixture()).expect("fixture reads");
    assert!(matches!(records[0].1, Record::Start { format: 1, .. }));
    let times: Vec<f64> = records.iter().map(|(t, _)| *t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "times go forward");
    let events: Vec<_> = records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let saw = |name: &str, to: Status, needle: &str| {
        events
            .iter()
            .any(|e| e.endpoint == name && e.to == to && e.reason.contains(needle))
    };
    assert!(saw("victim", Status::Crit, "s old"), "{events:#?}");
    assert!(saw("a", Status::Down, "no answer"), "{events:#?}");
    assert!(saw("lagging", Status::Crit, "chain id"), "{events:#?}");
    assert!(saw("seed-1", Status::Down, "33-byte key"), "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| e.endpoint == "b" && e.reason.contains("latency")),
        "{events:#?}"
    );
    // Replaying is deterministic: the last snapshot is fully recovered, whatever the
    // clock says now.
    let last = last_snapshot(&records);
    for n in ["a", "b", "victim", "seed-1"] {
        assert_eq!(ep(last, n).status, Status::Ok, "{n}");
    }
    assert_eq!(last.endpoints.len(), 5);
    // Alerts raised during the run are still listed (never acknowledged).
    assert!(last.alerts.iter().any(|a| a.id == "status:a"));
}

/// The fixture is a recording of today's simnet: what a node says about itself (its
/// version bracket with the evidence, API sets, get_info text, block interval, witness
/// count, seed level) probed live now equals what the fixture recorded. A simnet
/// change that shows on screen (as `get_required_fees` moving the bracket from
/// `>=6.1.0` to the reference node's 7.0.0 did) fails here until the fixture is
/// regenerated with the command at the top of this file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_is_not_stale() {
    let records = Recording::read_all(fixture()).expect("fixture reads");
    let recorded = |name: &str| {
        records
            .iter()
            .find_map(|(_, r)| match r {
                Record::Snapshot(s) => s
                    .endpoint(name)
                    .filter(|e| e.status == Status::Ok && e.probes >= 2)
                    .cloned(),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name} never ok in the fixture"))
    };
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "b"], &["seed-1"]));
    let engine = start_engine(&cfg);
    let live = wait_for(
        &engine,
        "two probes each, all ok",
        Duration::from_secs(40),
        |s| {
            s.endpoints
                .iter()
                .all(|e| e.probes >= 2 && e.status == Status::Ok)
        },
    )
    .await;
    engine.shutdown().await;
    let facts = |e: &btsops::monitor::EndpointSnapshot| {
        format!(
            "version {:?}, api_sets {:?}, info {:?}, block_interval_s {:?}, active_witnesses {:?}, seed_level {:?}, chain_id {:?}",
            e.version,
            e.api_sets,
            e.info,
            e.block_interval_s,
            e.active_witnesses,
            e.seed_level,
            e.chain_id
        )
    };
    for name in ["a", "b", "seed-1"] {
        assert_eq!(
            facts(&recorded(name)),
            facts(ep(&live, name)),
            "{name}: the fixture is stale; regenerate it (see the top of tests/monitor_record.rs)"
        );
    }
}
