//! The monitor against nodes that lie: small loopback websocket proxies in front of an
//! honest simnet node that rewrite its head (a huge head number, a head time in the
//! future, a 1970 head, a clock 40 s behind), and a simnet node on the wrong chain that
//! keeps dropping its connections. Each test checks the hostile node's status, that the
//! honest nodes stay ok, and that every endpoint kept being probed. Every wait is
//! bounded; assertions count probe rounds and events, not our speed.

mod support;

use std::time::Duration;

use btsops::monitor::{Engine, Event, FleetSnapshot, Recording, Status};
use support::monitor::*;
use tokio::sync::broadcast;

const LONG: Duration = Duration::from_secs(40);

/// The largest head number a node can claim.
const HUGE_HEAD: u64 = 4_294_967_295;

/// A config with `liar` (a proxy URL) listed first, where the operator's primary node
/// goes, then the honest nodes.
fn config_with_liar(fleet: &btsops::simnet::FleetHandle, liar: &str, honest: &[&str]) -> String {
    let mut text = config_text(fleet, &[], &[]);
    text.push_str(&node_entry("liar", liar));
    for n in honest {
        let url = &fleet.endpoint("mainnet", n).expect("honest node").url;
        text.push_str(&node_entry(n, url));
    }
    text
}

/// A proxy in front of the simnet node `victim`.
fn victim_url(fleet: &btsops::simnet::FleetHandle) -> String {
    fleet
        .endpoint("mainnet", "victim")
        .expect("victim")
        .url
        .clone()
}

/// Three more probe rounds of every endpoint after the liar was flagged: it stays
/// `status`, the honest nodes stay ok, nobody's status changes, and `liar` is never the
/// network's best node.
async fn holds(
    engine: &Engine,
    events: &mut broadcast::Receiver<Event>,
    status: Status,
    honest: &[&str],
) -> FleetSnapshot {
    let before = engine.snapshot();
    drain(events);
    let s = engine.wait_rounds(3, LONG).await;
    for e in &s.endpoints {
        assert!(
            e.probes >= ep(&before, &e.name).probes + 3,
            "{} stopped being probed: {e:?}",
            e.name
        );
    }
    let liar = ep(&s, "liar");
    assert_eq!(liar.status, status, "{:?}", liar.reasons);
    for h in honest {
        let e = ep(&s, h);
        assert_eq!(e.status, Status::Ok, "{h}: {:?}", e.reasons);
    }
    let evs = drain(events);
    assert!(evs.is_empty(), "statuses changed: {evs:?}");
    assert_ne!(s.networks[0].best_node.as_deref(), Some("liar"));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_head_number_is_suspect_and_puts_nobody_behind() {
    let fleet = start_fleet().await;
    let liar = rewriting_proxy(victim_url(&fleet), |v| {
        each_dgp(v, &|m| {
            m.insert("head_block_number".into(), HUGE_HEAD.into());
        })
    })
    .await;
    let cfg = parse(&config_with_liar(&fleet, &liar, &["a", "b"]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "liar suspect, honest ok", LONG, |s| {
        ep(s, "liar").head_suspect && ["a", "b"].iter().all(|n| ep(s, n).status == Status::Ok)
    })
    .await;
    let s = holds(&engine, &mut events, Status::Crit, &["a", "b"]).await;
    let l = ep(&s, "liar");
    assert_eq!(l.head_num, Some(HUGE_HEAD as u32));
    assert!(
        l.reasons[0].contains("not believed"),
        "the suspect head leads: {:?}",
        l.reasons
    );
    let best = s.networks[0].best_head.expect("a best head");
    assert!(best < 1_000_000, "best head {best}");
    for n in ["a", "b"] {
        assert!(
            ep(&s, n).lag_blocks.is_some_and(|b| b <= 1),
            "{:?}",
            ep(&s, n)
        );
    }
    assert!(s.alerts.iter().any(|a| a.id == "status:liar"));
    assert!(
        s.alerts
            .iter()
            .all(|a| a.endpoint != "a" && a.endpoint != "b")
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_time_in_the_future_is_crit() {
    let fleet = start_fleet().await;
    let liar = time_shifting_proxy(victim_url(&fleet), 120).await;
    let cfg = parse(&config_with_liar(&fleet, &liar, &["a", "b"]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "liar crit, honest ok", LONG, |s| {
        ep(s, "liar").status == Status::Crit
            && ["a", "b"].iter().all(|n| ep(s, n).status == Status::Ok)
    })
    .await;
    let s = holds(&engine, &mut events, Status::Crit, &["a", "b"]).await;
    let l = ep(&s, "liar");
    assert!(l.lag_s.is_some_and(|lag| lag < -100.0), "{l:?}");
    assert!(l.reasons[0].contains("in the future"), "{:?}", l.reasons);
    engine.shutdown().await;
}

/// One node whose head times run 40 s behind (a bad clock) beside one honest node:
/// before, the two made a clock estimate of 20 s that was subtracted from every lag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_with_a_bad_clock_makes_no_clock_estimate() {
    let fleet = start_fleet().await;
    let liar = time_shifting_proxy(victim_url(&fleet), -40).await;
    let cfg = parse(&config_with_liar(&fleet, &liar, &["a"]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    // Both nodes gave fresh heads (clock samples) before the verdict counts.
    wait_for(&engine, "two clock samples, liar crit", LONG, |s| {
        s.clock.samples >= 2 && ep(s, "liar").status == Status::Crit
    })
    .await;
    let s = holds(&engine, &mut events, Status::Crit, &["a"]).await;
    assert_eq!(s.clock.offset_s, None, "{:?}", s.clock);
    assert!(!s.clock.warn);
    let l = ep(&s, "liar");
    assert!(l.reasons[0].contains("s old"), "{:?}", l.reasons);
    assert!(ep(&s, "a").lag_s.is_some_and(|lag| lag.abs() < 5.0));
    engine.shutdown().await;
}

/// A node serving a 1970 head beside an honest one: crit for its age, no clock estimate,
/// and the honest node's lag is its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1970_head_is_crit_and_skews_no_clock() {
    let fleet = start_fleet().await;
    let liar = rewriting_proxy(victim_url(&fleet), |v| {
        each_dgp(v, &|m| {
            m.insert("time".into(), "1970-01-01T00:00:00".into());
        })
    })
    .await;
    let cfg = parse(&config_with_liar(&fleet, &liar, &["a"]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "two clock samples, liar crit", LONG, |s| {
        s.clock.samples >= 2 && ep(s, "liar").status == Status::Crit
    })
    .await;
    let s = holds(&engine, &mut events, Status::Crit, &["a"]).await;
    assert_eq!(s.clock.offset_s, None, "{:?}", s.clock);
    assert_eq!(ep(&s, "liar").head_time, Some(0));
    assert!(
        ep(&s, "liar").reasons[0].contains("s old"),
        "{:?}",
        ep(&s, "liar").reasons
    );
    engine.shutdown().await;
}

/// `watch` over a fleet whose only node serves a 1970 head: before, its own clock
/// samples became the host clock estimate, were subtracted from its lag, and it turned
/// ok after a few blocks. It must stay crit for the whole run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_a_1970_head_crit() {
    let fleet = start_fleet().await;
    let liar = rewriting_proxy(victim_url(&fleet), |v| {
        each_dgp(v, &|m| {
            m.insert("time".into(), "1970-01-01T00:00:00".into());
        })
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = config_text(&fleet, &[], &["seed-1"]);
    text.push_str(&node_entry("old", &liar));
    let cfg = write_config(dir.path(), &text);
    let rec = dir.path().join("watch.jsonl");
    let rec_arg = rec.to_str().expect("utf-8 temp path").to_string();
    let out = tokio::task::spawn_blocking(move || {
        output_within(
            std::process::Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["watch", "--json", "--for", "8", "--record", &rec_arg])
                .arg("--config")
                .arg(&cfg),
            Duration::from_secs(30),
        )
    })
    .await
    .expect("watch ran");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let of = |name: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["endpoint"] == name).collect()
    };
    let old = of("old");
    assert_eq!(old.len(), 1, "old changed status more than once: {text}");
    assert_eq!(old[0]["to"], "crit", "{text}");
    let seed = of("seed-1");
    assert_eq!(seed.len(), 1, "{text}");
    assert_eq!(seed[0]["to"], "ok", "{text}");

    // The recording's last snapshot: still crit, probed all along, no clock estimate
    // although the node gave fresh heads.
    let records = Recording::read_all(&rec).expect("recording");
    let last = last_snapshot(&records);
    let o = ep(last, "old");
    assert_eq!(o.status, Status::Crit, "{o:?}");
    assert!(o.probes >= 5, "{o:?}");
    assert!(last.clock.samples >= 1, "{:?}", last.clock);
    assert_eq!(last.clock.offset_s, None, "{:?}", last.clock);
}

/// A node on the wrong chain that keeps dropping its connections: each drop is retried
/// at once (the endpoint keeps its status meanwhile), and before, that retry cleared the
/// mismatch and showed the node ok until it answered the chain id again. Every snapshot
/// seen while it reconnects must show the mismatch; it clears only when the node answers
/// the right chain id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_chain_stays_crit_across_reconnects() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "b", "victim"], &[]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "all ok", LONG, |s| {
        s.endpoints.iter().all(|e| e.status == Status::Ok)
    })
    .await;
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    // A little latency widens the reconnect (login, chain id) the old code showed ok in.
    faults.set_latency(Duration::from_millis(80), Duration::ZERO);
    faults.wrong_chain_id();
    wait_for(&engine, "victim crit on the wrong chain", LONG, |s| {
        ep(s, "victim").chain_mismatch && ep(s, "victim").status == Status::Crit
    })
    .await;
    drain(&mut events);
    let start = engine.snapshot();

    // Every snapshot published while the victim is dropped and reconnects, four times.
    let mut rx = engine.snapshots();
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => return seen,
                r = rx.changed() => {
                    if r.is_err() {
                        return seen;
                    }
                    let s = rx.borrow_and_update();
                    let v = ep(&s, "victim");
                    seen.push((v.status, v.chain_mismatch, v.reasons.clone()));
                }
            }
        }
    });
    for round in 0..4 {
        let before = engine.snapshot();
        let v0 = ep(&before, "victim");
        let err_before = v0.last_error.as_ref().map_or(0.0, |e| e.time);
        // Serve for more than a probe interval, so the drop takes the immediate retry.
        tokio::time::sleep(Duration::from_millis(800)).await;
        faults.drop_connections();
        wait_for(&engine, &format!("reconnect {round} probed"), LONG, |s| {
            let v = ep(s, "victim");
            v.probes >= v0.probes + 4
                && v.last_error
                    .as_ref()
                    .is_some_and(|e| e.time > err_before && e.message.contains("closed"))
        })
        .await;
    }
    let _ = stop_tx.send(());
    let seen = watcher.await.expect("watcher");
    assert!(seen.len() >= 8, "only {} snapshots seen", seen.len());
    let bad: Vec<_> = seen
        .iter()
        .filter(|(st, mismatch, _)| *st != Status::Crit || !mismatch)
        .collect();
    assert!(bad.is_empty(), "the mismatch was forgotten: {bad:?}");
    let evs = drain(&mut events);
    assert!(evs.is_empty(), "statuses changed: {evs:?}");
    let s = engine.snapshot();
    for n in ["a", "b"] {
        assert_eq!(ep(&s, n).status, Status::Ok, "{:?}", ep(&s, n).reasons);
        assert!(ep(&s, n).probes >= ep(&start, n).probes + 8);
    }
    assert_eq!(s.networks[0].best_node.as_deref(), Some("a"));

    // The right chain id again: the mismatch clears and the node recovers.
    faults.recover();
    let s = wait_for(&engine, "victim back", LONG, |s| {
        ep(s, "victim").status == Status::Ok
    })
    .await;
    assert!(!ep(&s, "victim").chain_mismatch);
    engine.shutdown().await;
}

/// A node hovering at the lag threshold: every other head it serves is 6 s older
/// (warn > 4 s, crit > 8 s), so its raw status flips between ok and warn with each
/// head. The published status gets worse once and holds: one event, one status, while
/// the measured lag keeps swinging on both sides of the threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_hovering_at_a_threshold_does_not_flap() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let fleet = start_fleet().await;
    let heads = AtomicU64::new(0);
    let liar = rewriting_proxy(victim_url(&fleet), move |v| {
        each_dgp(v, &|m| {
            if heads.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
                if let Some(t) = m.get("time").and_then(|t| t.as_str()) {
                    let moved = chain_time(t, -6);
                    m.insert("time".into(), moved.into());
                }
            }
        })
    })
    .await;
    let cfg = parse(&config_with_liar(&fleet, &liar, &["a"]));
    let engine = start_engine(&cfg);
    let mut events = engine.events();
    wait_for(&engine, "liar warn", LONG, |s| {
        ep(s, "liar").status == Status::Warn
    })
    .await;
    let mut rx = engine.snapshots();
    let (mut fresh, mut stale, mut statuses) = (0, 0, Vec::new());
    let before = engine.snapshot();
    // Ten probe rounds of the liar, every snapshot on the way.
    while ep(&rx.borrow(), "liar").probes < ep(&before, "liar").probes + 10 {
        tokio::time::timeout(LONG, rx.changed())
            .await
            .expect("a snapshot within the limit")
            .expect("engine running");
        let s = rx.borrow_and_update();
        let l = ep(&s, "liar");
        match l.lag_s {
            Some(lag) if lag < 4.0 => fresh += 1,
            Some(_) => stale += 1,
            None => {}
        }
        statuses.push(l.status);
    }
    assert!(
        fresh > 0 && stale > 0,
        "no swing: {fresh} fresh, {stale} stale"
    );
    assert!(statuses.iter().all(|s| *s == Status::Warn), "{statuses:?}");
    let evs: Vec<Event> = drain(&mut events)
        .into_iter()
        .filter(|e| e.endpoint == "liar")
        .collect();
    assert!(
        evs.len() <= 2 && evs.last().is_some_and(|e| e.to == Status::Warn),
        "{evs:?}"
    );
    assert_eq!(ep(&engine.snapshot(), "a").status, Status::Ok);
    engine.shutdown().await;
}
