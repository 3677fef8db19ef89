//! `:reload` on a live engine over simnet: endpoints whose config did not change keep
//! their probes, history and statuses; a renamed one starts afresh; the event log and
//! the status bar say what changed.

use std::time::Duration;

use btsops::monitor::{EngineOptions, FleetSnapshot};
use btsops::theme::Theme;
use btsops::tui::{App, Effect, Keymap, Msg, Reloaded, update};

use super::support::monitor::{config_text, drain, ep, parse, start_engine, start_fleet};

/// Waits (bounded) for `rounds` more probes of every endpoint and shows the console
/// each snapshot on the way, as the live feed does.
async fn feed(app: &mut App, engine: &btsops::monitor::Engine, rounds: u64) -> FleetSnapshot {
    let mut last = engine.snapshot();
    for _ in 0..rounds {
        last = engine.wait_rounds(1, Duration::from_secs(20)).await;
        update(app, Msg::Tick(last.time));
        update(app, Msg::Snapshot(Box::new(last.clone())));
    }
    last
}

#[tokio::test]
async fn reload_with_a_node_renamed_keeps_the_others_history() {
    let fleet = start_fleet().await;
    let text = config_text(&fleet, &["a", "b", "victim"], &[]);
    let cfg = parse(&text);
    let mut engine = start_engine(&cfg);
    let mut events = engine.events();
    let mut app = App::new(Theme::mono(), Keymap::defaults());
    update(&mut app, Msg::Resize(100, 30));
    app.config_path = Some(cfg.source.clone());
    let before = feed(&mut app, &engine, 4).await;
    let a_probes = ep(&before, "a").probes;
    let a_history = app.lag_history["a"].len();
    assert!(a_probes >= 4 && a_history >= 4, "{a_probes} {a_history}");
    assert!(app.lag_history.contains_key("victim"));

    // `victim` renamed, nothing else touched; through `update` as `:reload` goes.
    let renamed = text.replace("name = \"victim\"", "name = \"victim-2\"");
    assert_ne!(renamed, text);
    let reloaded = Reloaded {
        config: parse(&renamed),
        theme: Theme::mono(),
        keymap: Keymap::defaults(),
    };
    let effects = update(&mut app, Msg::Reloaded(Ok(Box::new(reloaded))));
    let Some(Effect::ApplyConfig(new)) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::ApplyConfig(_)))
    else {
        panic!("a reload applies the config");
    };
    let done = engine.reconfigure(&new, &EngineOptions::from_config(&new.monitor));
    assert_eq!(done.kept, 2);
    assert_eq!(done.added, ["victim-2"]);
    assert_eq!(done.removed, ["victim"]);
    assert!(done.changed.is_empty());
    update(&mut app, Msg::Reconfigured(Box::new(done)));
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("2 kept; added victim-2; removed victim"),
        "{notice}"
    );

    let after = feed(&mut app, &engine, 2).await;
    // The others went on: their probe count, window and the console's history.
    assert!(ep(&after, "a").probes >= a_probes + 2, "{after:?}");
    assert!(ep(&after, "b").probes >= a_probes, "b started over");
    assert!(app.lag_history["a"].len() >= a_history + 2);
    // The renamed one is new; the old name is gone from the engine and the console.
    assert!(after.endpoint("victim").is_none());
    assert!(ep(&after, "victim-2").probes < ep(&after, "a").probes);
    assert!(!app.lag_history.contains_key("victim"));
    assert!(app.lag_history["victim-2"].len() < app.lag_history["a"].len());

    // The event log says what changed, and nothing about the kept nodes.
    let log = drain(&mut events);
    let said = |who: &str, what: &str| log.iter().any(|e| e.endpoint == who && e.reason == what);
    assert!(said("victim", "removed from the config"), "{log:?}");
    assert!(said("victim-2", "added to the config"), "{log:?}");
    let reload_time = log
        .iter()
        .find(|e| e.reason == "removed from the config")
        .map(|e| e.time)
        .unwrap_or(0.0);
    assert!(
        !log.iter()
            .any(|e| e.time >= reload_time && (e.endpoint == "a" || e.endpoint == "b")),
        "{log:?}"
    );

    // A changed URL: that node alone is probed afresh, and the log says why.
    let moved = renamed.replacen(
        &fleet.endpoint("mainnet", "b").expect("b").url,
        &fleet.endpoint("mainnet", "victim").expect("victim").url,
        1,
    );
    let moved = parse(&moved);
    let done = engine.reconfigure(&moved, &EngineOptions::from_config(&moved.monitor));
    assert_eq!(done.changed, ["b"]);
    assert_eq!(done.kept, 2);
    let after = engine.wait_rounds(1, Duration::from_secs(20)).await;
    assert!(ep(&after, "b").probes < ep(&after, "a").probes);
    let log = drain(&mut events);
    assert!(
        log.iter().any(|e| e.endpoint == "b"
            && e.reason.starts_with("config changed (url ")
            && e.reason.ends_with("): probed afresh")),
        "{log:?}"
    );
    engine.shutdown().await;
}
