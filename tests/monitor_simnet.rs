//! The monitor engine against a simnet fleet with injected faults. Every wait is
//! bounded; assertions count probe rounds and events, not our speed.

mod support;

use std::time::Duration;

use btsops::monitor::{ConnState, Status};
use support::monitor::*;

const LONG: Duration = Duration::from_secs(40);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_fleet_reports_everything() {
    let fleet = start_fleet().await;
    // Three nodes at the head: the clock estimate needs three that agree.
    let mut text = config_text(&fleet, &["a", "b", "victim", "lagging"], &["seed-1"]);
    // A load balancer whose public URL is node b: probed like a node.
    text.push_str(&format!(
        "\n[[lb]]\nname = \"lb-1\"\nnetwork = \"mainnet\"\npublic_url = \"{}\"\nruntime_api = \"tcp:127.0.0.1:1\"\nbackend = \"bts_api\"\n",
        fleet.endpoint("mainnet", "b").expect("b").url
    ));
    let cfg = parse(&text);
    let engine = start_engine(&cfg);
    let s = wait_for(
        &engine,
        "two rounds, heads past 2, three clock samples",
        LONG,
        |s| {
            s.endpoints.iter().all(|e| e.probes >= 2)
                && s.clock.samples >= 3
                && s.endpoint("a").and_then(|e| e.head_num).unwrap_or(0) >= 2
                && s.endpoint("lagging")
                    .and_then(|e| e.lag_blocks)
                    .unwrap_or(0)
                    >= 2
        },
    )
    .await;
    let a = ep(&s, "a");
    assert_eq!(a.status, Status::Ok, "{:?}", a.reasons);
    assert_eq!(a.state, ConnState::Connected);
    assert_eq!(a.chain_id.as_deref(), Some(CHAIN_ID));
    assert!(!a.chain_mismatch);
    assert!(a.connect_ms.is_some() && a.login_ms.is_some());
    assert!(a.head_id.as_ref().is_some_and(|id| id.len() == 40));
    assert!(a.lib_num.is_some() && a.lib_lag.is_some());
    assert!(a.participation_pct.is_some());
    assert_eq!(a.block_interval_s, Some(1));
    assert_eq!(a.info.as_deref(), Some("node a, ops@example.org"));
    assert!(
        a.api_sets.iter().any(|x| x == "database_api"),
        "{:?}",
        a.api_sets
    );
    // The bracket the reference node gets (tests/oracle_monitor.rs): simnet answers the
    // same operation count and fee calls.
    assert_eq!(
        a.version.at_least.as_deref(),
        Some("7.0.0"),
        "{:?}",
        a.version
    );
    assert!(a.latency.p50_ms.is_some() && a.latency.samples >= 1);
    // 100 % exactly when no probe failed; a probe that timed out on a loaded machine
    // shows as a last error and lowers it.
    assert_eq!(
        a.availability_pct == Some(100.0),
        a.last_error.is_none(),
        "{:?} {:?}",
        a.availability_pct,
        a.last_error
    );
    let lagging = ep(&s, "lagging");
    assert!(lagging.lag_blocks.unwrap() >= 2);
    assert_eq!(lagging.status, Status::Warn, "{:?}", lagging.reasons);
    let seed = ep(&s, "seed-1");
    assert_eq!(seed.status, Status::Ok, "{:?}", seed.reasons);
    assert_eq!(seed.seed_key.as_ref().map(String::len), Some(66));
    // Heads arrive within moments of their timestamps on loopback: no clock warning.
    assert!(s.clock.samples >= 3, "{:?}", s.clock);
    assert!(
        s.clock.offset_s.is_some_and(|o| o.abs() < 2.0),
        "{:?}",
        s.clock
    );
    assert!(!s.clock.warn);
    // The first events() receiver saw every endpoint's first status, from the start.
    let first = drain(&mut engine.events());
    for e in &s.endpoints {
        assert!(
            first
                .iter()
                .any(|x| x.endpoint == e.name && x.from == Status::Unknown),
            "no first event for {}: {first:?}",
            e.name
        );
    }
    let lb = ep(&s, "lb-1");
    assert_eq!(lb.kind, btsops::monitor::EndpointKind::Lb);
    assert_eq!(lb.status, Status::Ok, "{:?}", lb.reasons);
    assert!(lb.head_num.is_some());
    assert_eq!(s.networks[0].counts.total(), 6);
    assert!(s.networks[0].best_head.is_some());
    assert_ne!(s.networks[0].best_node.as_deref(), Some("lagging"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_node_is_flagged_and_recovers() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "victim"], &[]));
    let engine = start_engine(&cfg);
    let warn_s = cfg.networks[0].thresholds.lag_warn_s;
    wait_for(&engine, "victim ok", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let mut events = engine.events();
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.stall_head();

    // The first snapshot whose lag is past the threshold, and its probe count.
    let crossed = wait_for(&engine, "victim lag past warn", LONG, |s| {
        ep(s, "victim").lag_s.unwrap_or(0.0) > warn_s
    })
    .await;
    let at = ep(&crossed, "victim").probes;
    let flagged = wait_for(&engine, "victim flagged", LONG, |s| {
        ep(s, "victim").status != Status::Ok
    })
    .await;
    let v = ep(&flagged, "victim");
    assert!(
        v.probes <= at + 2,
        "flagged at probe {} but lag crossed at {at}",
        v.probes
    );
    assert!(matches!(v.status, Status::Warn | Status::Crit));
    // The other node keeps being healthy.
    assert_eq!(ep(&flagged, "a").status, Status::Ok);

    faults.recover();
    wait_for(&engine, "victim back to ok", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let ev = drain(&mut events);
    let to_bad = ev
        .iter()
        .find(|e| e.endpoint == "victim" && e.from == Status::Ok)
        .expect("an event for the stall");
    assert!(
        to_bad.reason.contains("s old") || to_bad.reason.contains("blocks behind"),
        "{}",
        to_bad.reason
    );
    let back = ev
        .iter()
        .rev()
        .find(|e| e.endpoint == "victim")
        .expect("an event for the recovery");
    assert_eq!(back.to, Status::Ok);
    assert!(back.reason.contains("recovered"), "{}", back.reason);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_node_is_down_within_its_timeout_while_others_update() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "b", "victim"], &["seed-1"]));
    let engine = start_engine(&cfg);
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    let mut events = engine.events();
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    let before = engine.snapshot();
    faults.freeze();
    let down = wait_for(&engine, "victim down", LONG, |s| {
        ep(s, "victim").status == Status::Down
    })
    .await;
    // Down at its first unanswered probe: the one in flight at the freeze may still have
    // finished, the next cannot. Counted in probes, not seconds.
    let v = ep(&down, "victim");
    let after = v.probes - ep(&before, "victim").probes;
    assert!(after <= 2, "down only after {after} probes");
    assert!(
        v.last_error.as_ref().is_some_and(|e| e.kind == "timeout"),
        "{:?}",
        v.last_error
    );
    // Meanwhile the others kept probing.
    let later = wait_for(&engine, "others keep updating", LONG, |s| {
        ["a", "b", "seed-1"]
            .iter()
            .all(|n| ep(s, n).probes >= ep(&before, n).probes + 3)
    })
    .await;
    for n in ["a", "b", "seed-1"] {
        assert_eq!(
            ep(&later, n).status,
            Status::Ok,
            "{n}: {:?}",
            ep(&later, n).reasons
        );
    }
    faults.recover();
    wait_for(&engine, "victim recovers", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let ev = drain(&mut events);
    let d = ev
        .iter()
        .find(|e| e.endpoint == "victim" && e.to == Status::Down)
        .expect("down event");
    assert!(d.reason.contains("no answer"), "{}", d.reason);
    // An alert was raised for the outage and stays until acknowledged.
    let s = engine.snapshot();
    let alert = s
        .alerts
        .iter()
        .find(|a| a.id == "status:victim")
        .expect("alert for victim");
    assert!(!alert.active && !alert.acked);
    engine.ack("status:victim");
    wait_for(&engine, "alert acked away", LONG, |s| {
        s.alerts.iter().all(|a| a.id != "status:victim")
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_latency_is_measured() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["victim"], &[]));
    let engine = start_engine(&cfg);
    wait_for(&engine, "victim ok", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.set_latency(Duration::from_millis(50), Duration::ZERO);
    let start = ep(&engine.snapshot(), "victim").probes;
    let s = wait_for(&engine, "5 probes with latency", LONG, |s| {
        ep(s, "victim").probes >= start + 5
    })
    .await;
    let v = ep(&s, "victim");
    let recent: Vec<f64> = v
        .latency
        .history
        .iter()
        .rev()
        .take(3)
        .flatten()
        .copied()
        .collect();
    assert_eq!(recent.len(), 3, "{:?}", v.latency.history);
    for ms in recent {
        assert!(
            (50.0..1000.0).contains(&ms),
            "latency {ms} ms for a 50 ms delay"
        );
    }
    assert!(v.latency.max_ms.unwrap() >= 50.0);
    // Recovered: the delay leaves the measurement. A far longer delay than any loopback
    // round trip is set just before, so this measures its absence, not our speed.
    let linger = 5_000.0;
    faults.set_latency(Duration::from_millis(linger as u64), Duration::ZERO);
    faults.recover();
    let start = ep(&engine.snapshot(), "victim").probes;
    let s = wait_for(&engine, "probes after recovery", LONG, |s| {
        ep(s, "victim").probes >= start + 2
    })
    .await;
    let last = ep(&s, "victim").latency.last_ms.unwrap();
    assert!(last < linger, "{last} ms after recover");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_chain_node_is_critical_and_never_best() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "victim"], &[]));
    let engine = start_engine(&cfg);
    wait_for(&engine, "victim ok", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.wrong_chain_id();
    let s = wait_for(&engine, "victim crit", LONG, |s| {
        ep(s, "victim").status == Status::Crit
    })
    .await;
    let v = ep(&s, "victim");
    assert!(v.chain_mismatch);
    assert!(
        v.reasons.iter().any(|r| r.contains("chain id")),
        "{:?}",
        v.reasons
    );
    assert_eq!(
        v.lag_blocks, None,
        "a wrong-chain node has no lag against best"
    );
    assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));
    assert!(s.alerts.iter().any(|a| a.id == "chain_mismatch:victim"));
    faults.recover();
    let s = wait_for(&engine, "victim back", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    assert!(!ep(&s, "victim").chain_mismatch);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_seed_is_down_and_recovers() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &[], &["seed-1"]));
    let engine = start_engine(&cfg);
    wait_for(&engine, "seed ok", LONG, |s| {
        ep(s, "seed-1").status == Status::Ok
    })
    .await;
    let faults = fleet.faults("mainnet", "seed-1").expect("seed");
    faults.mute_seed();
    let s = wait_for(&engine, "seed down", LONG, |s| {
        ep(s, "seed-1").status == Status::Down
    })
    .await;
    let e = ep(&s, "seed-1");
    assert!(e.reasons[0].contains("no 33-byte key"), "{:?}", e.reasons);
    faults.recover();
    wait_for(&engine, "seed back", LONG, |s| {
        ep(s, "seed-1").status == Status::Ok
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_node_and_idle_consumers_never_stall_the_engine() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "victim"], &["seed-1"]));
    let engine = start_engine(&cfg);
    // A consumer that subscribes to events and never reads them.
    let _idle = engine.events();
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.malformed_frames();
    let s = wait_for(&engine, "victim down on garbage", LONG, |s| {
        ep(s, "victim").status == Status::Down
    })
    .await;
    let v = ep(&s, "victim");
    assert!(
        v.last_error.as_ref().is_some_and(|e| !e.message.is_empty()),
        "{:?}",
        v.last_error
    );
    let a0 = ep(&s, "a").probes;
    let seq0 = s.seq;
    let later = wait_for(&engine, "a keeps probing", LONG, |s| {
        ep(s, "a").probes >= a0 + 3 && s.seq > seq0
    })
    .await;
    assert_eq!(ep(&later, "a").status, Status::Ok);
    faults.recover();
    wait_for(&engine, "victim back", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    engine.shutdown().await;
}

/// A proxy in front of `upstream` that rewrites every `head_block_id` it passes
/// (replies and notices): a node on a fork at the same height.
async fn forking_proxy(upstream: String) -> String {
    fn lie(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "head_block_id" {
                        if let Some(s) = x.as_str() {
                            // Keep the height prefix, change the hash part.
                            let forged: String = s[..8].to_string() + &"f".repeat(s.len() - 8);
                            *x = serde_json::Value::String(forged);
                        }
                    } else {
                        lie(x);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(lie),
            _ => {}
        }
    }
    rewriting_proxy(upstream, lie).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_on_a_fork_is_suspected() {
    let fleet = start_fleet().await;
    let upstream = fleet.endpoint("mainnet", "b").expect("b").url.clone();
    let liar = forking_proxy(upstream).await;
    let mut text = config_text(&fleet, &["a"], &[]);
    text.push_str(&node_entry("forked", &liar));
    let cfg = parse(&text);
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "fork suspected", LONG, |s| {
        ep(s, "forked").fork_suspect && ep(s, "forked").status == Status::Crit
    })
    .await;
    assert!(!ep(&s, "a").fork_suspect);
    assert_eq!(ep(&s, "a").status, Status::Ok, "{:?}", ep(&s, "a").reasons);
    assert!(
        ep(&s, "forked").reasons.iter().any(|r| r.contains("fork")),
        "{:?}",
        ep(&s, "forked").reasons
    );
    assert!(s.alerts.iter().any(|a| a.id == "fork_suspect:forked"));
    engine.shutdown().await;
}

/// The forked node listed first, where the operator's primary node goes: the two honest
/// nodes behind it outvote it, so only it is flagged and it is not the best head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_majority_outvotes_a_forked_first_node() {
    let fleet = start_fleet().await;
    let upstream = fleet.endpoint("mainnet", "b").expect("b").url.clone();
    let liar = forking_proxy(upstream).await;
    let mut text = config_text(&fleet, &[], &[]);
    text.push_str(&node_entry("forked", &liar));
    for n in ["a", "victim"] {
        text.push_str(&node_entry(
            n,
            &fleet.endpoint("mainnet", n).expect("node").url,
        ));
    }
    let engine = start_engine(&parse(&text));
    let s = wait_for(&engine, "the forked node flagged", LONG, |s| {
        ep(s, "forked").fork_suspect && ep(s, "a").status == Status::Ok
    })
    .await;
    for honest in ["a", "victim"] {
        assert!(!ep(&s, honest).fork_suspect, "{honest} flagged");
    }
    assert_ne!(s.networks[0].best_node.as_deref(), Some("forked"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_endpoints_all_get_probed() {
    let fleet = start_fleet().await;
    let mut text = config_text(&fleet, &[], &[])
        .replace("probe_interval_ms = 400", "probe_interval_ms = 1000");
    for i in 0..100 {
        let node = ["a", "b"][i % 2];
        let url = &fleet.endpoint("mainnet", node).expect("node").url;
        text.push_str(&format!(
            "\n  [[network.node]]\n  name = \"n{i}\"\n  url = \"{url}\"\n"
        ));
    }
    let cfg = parse(&text);
    let engine = start_engine(&cfg);
    let s = engine.wait_rounds(2, Duration::from_secs(60)).await;
    assert_eq!(s.endpoints.len(), 100);
    let not_ok: Vec<_> = s
        .endpoints
        .iter()
        .filter(|e| e.status != Status::Ok)
        .map(|e| (&e.name, &e.reasons))
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:?}");
    assert!(s.endpoints.iter().all(|e| e.probes >= 2));
    assert_eq!(s.networks[0].counts.ok, 100);
    engine.shutdown().await;
}

/// A serving connection that is closed once (a proxy reload, a node restart behind a
/// balancer) and reconnects at once is not an outage: no down event, no alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dropped_connection_is_not_down() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "victim"], &[]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    // Connected for more than a probe interval, so the quick retry applies.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = engine.snapshot();
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.drop_connections();
    // The reconnect is seen: probes go on and the drop is the last error.
    let s = wait_for(&engine, "victim probed after the drop", LONG, |s| {
        let v = ep(s, "victim");
        v.probes >= ep(&before, "victim").probes + 3
            && v.last_error
                .as_ref()
                .is_some_and(|e| e.message.contains("closed"))
    })
    .await;
    let evs = drain(&mut events);
    assert!(
        !evs.iter()
            .any(|e| e.endpoint == "victim" && e.to != Status::Ok),
        "a single dropped connection changed the status: {evs:?}"
    );
    assert!(
        s.alerts.iter().all(|a| a.endpoint != "victim"),
        "{:?}",
        s.alerts
    );
    assert_eq!(ep(&s, "victim").status, Status::Ok);
    engine.shutdown().await;
}

/// While a node refuses connections it is probed only once per backoff step, yet the
/// availability figure counts the whole time it was away, not the few attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_counts_the_time_spent_in_backoff() {
    let fleet = start_fleet().await;
    let text = config_text(&fleet, &["a", "victim"], &[]).replace("window_s = 4", "window_s = 60");
    let engine = start_engine(&parse(&text));
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    let before = engine.snapshot();
    let ok_probes = ep(&before, "victim").probes;
    faults.refuse_connections();
    faults.drop_connections();
    // Counted in attempts, not seconds: past the first backoff steps each refused attempt
    // stands for more than one probe interval of outage.
    let failed = 5;
    let s = wait_for(&engine, "victim refused several times", LONG, |s| {
        ep(s, "victim").probes >= ok_probes + failed
    })
    .await;
    let v = ep(&s, "victim");
    assert_eq!(v.status, Status::Down);
    let avail = v.availability_pct.expect("availability");
    // What counting attempts instead of time would give: ok probes over all probes.
    let by_attempts = 100.0 * ok_probes as f64 / v.probes as f64;
    assert!(
        avail < by_attempts,
        "availability {avail:.1} % not below the attempt count's {by_attempts:.1} % \
         ({ok_probes} ok probes of {})",
        v.probes
    );
    faults.recover();
    engine.shutdown().await;
}

/// The test fleet with `line` replaced by `with` (a setting added to a network or
/// node), started.
async fn start_edited(line: &str, with: &str) -> btsops::simnet::FleetHandle {
    let toml = fleet_toml().replacen(line, with, 1);
    assert!(toml.contains(with), "{line:?} not in the fleet: {toml}");
    let desc = btsops::simnet::FleetDescription::from_toml(&toml).expect("fleet parses");
    btsops::simnet::Fleet::start(&desc)
        .await
        .expect("fleet starts")
}

/// A chain with a short maintenance interval (simnet's `maintenance_interval`): the
/// monitor sees the maintenance block (the node is flagged in maintenance for the
/// tolerance window) and the slots skipped after it are no fault: the node stays up
/// and on the chain throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_blocks_are_seen_and_are_no_fault() {
    let fleet = start_edited(
        "block_interval = 1\n",
        "block_interval = 1\nmaintenance_interval = 4\n",
    )
    .await;
    let cfg = parse(&config_text(&fleet, &["a", "b"], &[]));
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "a in maintenance", LONG, |s| {
        s.endpoint("a").is_some_and(|e| e.in_maintenance)
    })
    .await;
    let a = ep(&s, "a");
    assert!(
        !matches!(a.status, Status::Down | Status::Crit),
        "{:?} {:?}",
        a.status,
        a.reasons
    );
    assert!(!a.chain_mismatch && !a.fork_suspect, "{a:?}");
    engine.shutdown().await;
}

/// Witness misses (simnet's `absent_witnesses`): two of the eleven witnesses produce
/// nothing, so their slots pass without a block. The monitor counts the missed slots
/// between its probes and reads the participation below 100 %, and the node, still on
/// the chain and current, is not down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_slots_of_absent_witnesses_are_counted() {
    let fleet = start_edited(
        "block_interval = 1\n",
        "block_interval = 1\nabsent_witnesses = [2, 7]\n",
    )
    .await;
    let cfg = parse(&config_text(&fleet, &["a", "b"], &[]));
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "missed slots seen on a", LONG, |s| {
        s.endpoint("a").is_some_and(|e| {
            // recently_missed rises by 4 a miss and falls by 3 a block: seen only in
            // the block or two after a miss, so waited for rather than asserted.
            e.missed_slots.is_some_and(|m| m > 0)
                && e.participation_pct.is_some_and(|p| p < 100.0)
                && e.recently_missed.is_some_and(|m| m > 0)
        })
    })
    .await;
    let a = ep(&s, "a");
    assert!(!matches!(a.status, Status::Down), "{:?}", a.reasons);
    engine.shutdown().await;
}

/// A node playing an older release (simnet's `version`): its method lists lack what
/// 6.1.0 added and its parser does not name its operation count, so the monitor brackets
/// it 6.0.0..6.1.0 beside a 7.0.2 node, and the missing `get_info` does not make it
/// unhealthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_release_is_bracketed_by_its_api() {
    let fleet = start_edited(
        "  name = \"b\"\n",
        "  name = \"b\"\n  version = \"6.0.2\"\n",
    )
    .await;
    let cfg = parse(&config_text(&fleet, &["a", "b"], &[]));
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "both versions bracketed", LONG, |s| {
        ["a", "b"].iter().all(|n| {
            s.endpoint(n)
                .is_some_and(|e| e.version.at_least.is_some() && e.status == Status::Ok)
        })
    })
    .await;
    assert_eq!(ep(&s, "a").version.label(), ">=7.0.0");
    let b = ep(&s, "b");
    assert_eq!(b.version.label(), "6.0.0..6.1.0", "{:?}", b.version);
    assert_eq!(b.info, None, "a 6.0 node has no get_info");
    // Lacking 6.1.0's methods is its version, not an error.
    assert!(b.last_error.is_none(), "{:?}", b.last_error);
    engine.shutdown().await;
}

/// Clock-offset detection end to end: a simnet chain whose witnesses' clocks run 10 s
/// ahead (`clock_skew_s`) stamps its heads 10 s in this host's future; three nodes agree,
/// so the monitor reports this host's clock about 10 s behind and raises the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_chain_clock_is_reported_as_this_hosts_offset() {
    let fleet = start_edited(
        "block_interval = 1\n",
        "block_interval = 1\nclock_skew_s = 10\n",
    )
    .await;
    let cfg = parse(&config_text(&fleet, &["a", "b", "victim"], &[]));
    let engine = start_engine(&cfg);
    let s = wait_for(&engine, "a clock warning from three samples", LONG, |s| {
        s.clock.samples >= 3 && s.clock.warn
    })
    .await;
    let offset = s.clock.offset_s.expect("an offset");
    // Heads are up to one block interval old when seen: -10 s, less at most that.
    assert!(
        (-10.5..=-8.5).contains(&offset),
        "offset {offset} for a 10 s skew: {:?}",
        s.clock
    );
    assert!(
        s.alerts.iter().any(|a| a.id.starts_with("clock_offset")),
        "{:?}",
        s.alerts
    );
    engine.shutdown().await;
}
