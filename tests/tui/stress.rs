//! The stress pane: snapshots idle and mid-run (a deterministic progress sequence fed
//! as `Msg`s), plan edits checked and capped, the gate's refusals on screen, the stop
//! key; and one key sequence on a simnet testnet over real sockets: edit the rate,
//! start, watch progress, stop, report and audit lines written, refusals sending
//! nothing.

use std::time::Duration;

use btsops::config::Config;
use btsops::stress::{Class, Figures, Progress, plan};
use btsops::theme::Theme;
use btsops::tui::msg::{StressDone, StressNews};
use btsops::tui::ops::Op;
use btsops::tui::overlay::Overlay;
use btsops::tui::stress_task::{self, StressTask};
use btsops::tui::{App, Effect, Msg, update};
use tokio::sync::mpsc;

use super::fleet::{T0, app_with, press};
use super::screens::render;
use super::support::stress as st;

const TESTNET_ID: &str = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

const PLAN: &str =
    "kind = \"transfer\"\nrate = 50\nduration_s = 20\nsenders = 8\nfunder = \"stress-funder\"\n";

/// A config whose `[stress]` names the hand-built fleet's testnet (t-1, t-2, t-3).
fn config(protected: bool, stress: bool) -> Config {
    let mut text = format!(
        "[[network]]\nname = \"testnet\"\nrole = \"testnet\"\nchain_id = \"{TESTNET_ID}\"\nprefix = \"TEST\"\nprotected = {protected}\n"
    );
    for n in ["t-1", "t-2", "t-3"] {
        text += &format!(
            "  [[network.node]]\n  name = \"{n}\"\n  url = \"wss://{n}.example.org/ws\"\n"
        );
    }
    if stress {
        text += "\n[stress]\nnetwork = \"testnet\"\nmax_tps = 400\nmax_duration_s = 30\nmax_total = 5000\n";
    }
    btsops::config::parse(std::path::Path::new("c.toml"), &text).expect("config")
}

/// The hand-built fleet with `[stress]` and the plan loaded from `plans/flood.toml`.
fn stress_app(theme: Theme, w: u16, h: u16) -> App {
    let mut app = app_with(theme, w, h);
    app.configure(&config(false, true));
    app.stress.data_dir = Some("/data/btsops".into());
    update(
        &mut app,
        Msg::StressPlan {
            path: "plans/flood.toml".into(),
            result: plan::parse("plans/flood.toml", PLAN).map_err(|e| e.to_string()),
        },
    );
    app
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn confirming(app: &App) -> bool {
    matches!(app.overlays.last(), Some(Overlay::Confirm(_)))
}

fn stress_starts(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Action(p) if matches!(&p.ops[..], [Op::Stress(_)])))
        .count()
}

/// Second `i` of a deterministic run at 400/s: the node accepts all but a few, blocks
/// include them two seconds later, a few duplicates and one timeout.
fn second(i: u64) -> Msg {
    let sent = 400 * i;
    let rejected = i / 3;
    let included = 400 * i.saturating_sub(2);
    Msg::Stress(StressNews::Progress(Progress::Second {
        elapsed_s: i,
        sent,
        accepted: sent - rejected - u64::from(i > 4),
        rejected,
        errors: u64::from(i > 4),
        included,
        figures: Figures {
            latency_us: Some([1_800, 9_500, 31_000]),
            inclusion_us: (included > 0).then_some([1_400_000, 2_900_000, 3_100_000]),
            failed: vec![
                (Class::Duplicate, rejected),
                (Class::Timeout, u64::from(i > 4)),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
        },
    }))
}

/// Edits the rate to 500 (capped to 400), starts, confirms, and feeds 12 seconds.
fn mid_run(app: &mut App) {
    press(app, "6 j Enter Backspace Backspace 500 Enter");
    assert_eq!(
        app.stress.plan.as_ref().and_then(|p| p.plan.rate),
        Some(500),
        "{}",
        notice(app)
    );
    press(app, "s");
    assert!(confirming(app), "{}", notice(app));
    let e = press(app, "y");
    assert_eq!(stress_starts(&e), 1);
    update(
        app,
        Msg::Stress(StressNews::Progress(Progress::Phase(
            "bootstrapping senders".into(),
        ))),
    );
    update(
        app,
        Msg::Stress(StressNews::Progress(Progress::Phase("running".into()))),
    );
    for i in 1..=12 {
        update(app, Msg::Tick(T0 + i as f64));
        update(app, second(i));
    }
}

#[test]
fn stress_pane_screens() {
    let theme = Theme::default_theme();
    for (w, h) in [(80, 24), (200, 50)] {
        let mut app = stress_app(theme.clone(), w, h);
        press(&mut app, "6");
        insta::assert_snapshot!(format!("stress_idle_{w}x{h}"), render(&app));
        let mut app = stress_app(theme.clone(), w, h);
        mid_run(&mut app);
        insta::assert_snapshot!(format!("stress_running_{w}x{h}"), render(&app));
    }
}

#[test]
fn the_pane_shows_caps_load_latency_errors_and_lag() {
    let mut app = stress_app(Theme::mono(), 200, 50);
    mid_run(&mut app);
    let s = render(&app);
    for needle in [
        "rate       500 → 400 (max_tps)",
        "duration_s 20 s",
        "total      8000 → 5000 (max_total)",
        "transfer 400/s × 20 s",
        "running",
        "elapsed 12 s of 20 s, 8 s left",
        "sent 4800  accepted 4795  included 4000",
        "rejected 4  no answer 1",
        "inclusion  p50 1.4s  p95 2.9s  p99 3.1s",
        "reply      p50 1ms  p95 9ms  p99 31ms",
        "errors     duplicate 4  timeout 1",
        "   400/s",
        "/data/btsops/stress/reports/2025-11-24T160000Z-transfer.json",
    ] {
        assert!(s.contains(needle), "no {needle:?} in:\n{s}");
    }
    // Lag under load comes from the monitor's snapshot of each target.
    let t1 = s.lines().find(|l| l.contains("  t-1 ")).unwrap_or_default();
    assert!(
        t1.contains("ok") && t1.contains("0b") && t1.contains("30"),
        "{t1}"
    );
    assert!(s.contains("t-3") && s.contains("unknown"), "{s}");
}

#[test]
fn the_confirmation_shows_network_chain_targets_load_and_report() {
    let mut app = stress_app(Theme::mono(), 200, 50);
    press(&mut app, "6 j Enter Backspace Backspace 900 Enter s");
    assert!(confirming(&app), "{}", notice(&app));
    let s = render(&app);
    for needle in [
        "confirm: stress testnet",
        "network testnet",
        &format!("chain id {TESTNET_ID}"),
        "targets: t-1, t-2, t-3",
        "load: transfer 400/s × 20 s (at most 5000)",
        "rate 900 capped to 400 by [stress]",
        "total 8000 capped to 5000 by [stress]",
        "report: /data/btsops/stress/reports/2025-11-24T160000Z-transfer.json",
    ] {
        assert!(s.contains(needle), "no {needle:?} in:\n{s}");
    }
    // Esc cancels: nothing starts.
    let e = press(&mut app, "Esc");
    assert_eq!(stress_starts(&e), 0);
    assert!(app.stress.run.is_none());
}

#[test]
fn edits_are_validated_and_refusals_leave_the_plan_as_it_was() {
    let mut app = stress_app(Theme::mono(), 80, 24);
    press(&mut app, "6 j Enter Backspace Backspace 0 Enter");
    let refused = app.stress.edit_error.clone().unwrap_or_default();
    assert!(refused.contains("rate must be at least 1"), "{refused}");
    assert!(render(&app).contains("refused: "), "{}", render(&app));
    // Still editing: Esc leaves it as it was.
    press(&mut app, "Esc");
    assert_eq!(app.stress.plan.as_ref().and_then(|p| p.plan.rate), Some(50));
    // Targets must be nodes of the [stress] network.
    press(&mut app, "j j j Enter mainnet-1 Enter");
    let refused = app.stress.edit_error.clone().unwrap_or_default();
    assert!(refused.contains("\"mainnet-1\" is not a node"), "{refused}");
    press(&mut app, "Esc");
    press(&mut app, "Enter");
    press(
        &mut app,
        "Backspace Backspace Backspace Backspace Backspace Backspace Backspace Backspace t-2 Enter",
    );
    assert_eq!(
        app.stress.plan.as_ref().map(|p| p.plan.targets.clone()),
        Some(vec!["t-2".to_string()])
    );
    // Kind toggles; a transfer plan with calls is refused by the plan's own rule.
    press(&mut app, "g Enter");
    assert_eq!(
        app.stress.plan.as_ref().map(|p| p.plan.kind),
        Some(btsops::stress::Kind::Read)
    );
    press(&mut app, "G Enter get_block Enter g Enter");
    assert!(
        notice(&app).contains("calls only applies"),
        "{}",
        notice(&app)
    );
}

#[test]
fn refused_read_only_protected_unarmed_and_replaying_with_the_reason_on_screen() {
    let mut app = stress_app(Theme::mono(), 80, 24);
    app.read_only = true;
    let e = press(&mut app, "6 s");
    assert!(e.is_empty() && !confirming(&app));
    assert!(render(&app).contains("read-only"), "{}", notice(&app));

    let mut app = stress_app(Theme::mono(), 80, 24);
    app.configure(&config(true, true));
    let e = press(&mut app, "6 s");
    assert!(e.is_empty() && !confirming(&app));
    assert!(notice(&app).contains("protected"), "{}", notice(&app));
    assert!(render(&app).contains("protected"));
    // Armed, it asks to confirm.
    press(&mut app, ":arm Space testnet Enter y s");
    assert!(confirming(&app), "{}", notice(&app));

    let mut app = stress_app(Theme::mono(), 80, 24);
    app.replay = Some(btsops::tui::Replay {
        paused: true,
        speed: 1.0,
        ended: false,
        span: (T0, T0),
    });
    let e = press(&mut app, "6 s");
    assert!(e.is_empty() && notice(&app).contains("replaying"));
}

#[test]
fn stop_is_one_key_and_one_run_at_a_time() {
    let mut app = stress_app(Theme::mono(), 200, 50);
    mid_run(&mut app);
    // A second start while it runs is refused before any confirmation.
    let e = press(&mut app, "s");
    assert!(e.is_empty() && !confirming(&app));
    assert!(notice(&app).contains("one at a time"), "{}", notice(&app));
    let e = press(&mut app, "X");
    assert_eq!(
        e,
        vec![Effect::StopStress("stopped from the console".into())]
    );
    assert!(!confirming(&app), "no confirmation to stop");
    assert!(render(&app).contains("stopping"));
    // The end: totals and where the report went.
    let done = StressDone {
        aborted: Some("stopped from the console".into()),
        elapsed_s: 12.3,
        totals: None,
        report: Ok((
            "/data/btsops/stress/reports/r.json".into(),
            "/data/btsops/stress/reports/r.md".into(),
        )),
        audit: Ok("/state/audit.jsonl".into()),
    };
    update(&mut app, Msg::Stress(StressNews::Done(Box::new(done))));
    let s = render(&app);
    assert!(s.contains("aborted: stopped from the console"), "{s}");
    assert!(
        s.contains("report /data/btsops/stress/reports/r.json"),
        "{s}"
    );
    let e = press(&mut app, "X");
    assert!(e.is_empty() && notice(&app).contains("no run under way"));
}

#[test]
fn without_stress_the_pane_says_so_and_how_to_add_it() {
    let mut app = app_with(Theme::mono(), 80, 24);
    app.configure(&config(false, false));
    press(&mut app, "6");
    let s = render(&app);
    assert!(s.contains("No [stress] section in the config"), "{s}");
    assert!(s.contains("network = \"testnet\""), "{s}");
    let e = press(&mut app, "s");
    assert!(e.is_empty() && notice(&app).contains("no [stress] section"));
}

/// Feeds what the stress task sends until `done` holds, at most `limit`.
async fn pump_until(
    app: &mut App,
    rx: &mut mpsc::Receiver<Msg>,
    limit: Duration,
    done: impl Fn(&App) -> bool,
) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(app) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(m)) => {
                update(app, m);
            }
            Ok(None) => panic!("the stress task's channel closed"),
            Err(_) => panic!("not there within {limit:?}: {}", render(app)),
        }
    }
}

/// Presses keys and carries out the stress effects they ask for.
async fn keys(
    app: &mut App,
    task: &mut StressTask,
    cfg: &Config,
    tx: &mpsc::Sender<Msg>,
    k: &str,
) -> usize {
    let effects = press(app, k);
    let mut handled = 0;
    for e in &effects {
        if task.handle(e, cfg, tx).await {
            handled += 1;
        }
    }
    handled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_simnet_edit_start_watch_stop_and_the_report_and_audit_are_written() {
    let fleet = st::start().await;
    let dir = tempfile::tempdir().unwrap();
    let keys_path = st::keys_file(dir.path());
    let plan_path = dir.path().join("plan.toml");
    std::fs::write(
        &plan_path,
        "kind = \"transfer\"\nrate = 5\nduration_s = 30\nsenders = 2\nfunder = \"funder\"\ntargets = [\"a\", \"b\"]\n",
    )
    .unwrap();
    let limits = format!(
        "keys_file = \"{}\"\nplan = \"{}\"\n{}",
        keys_path.display(),
        plan_path.display(),
        st::LIMITS
    );
    let text = st::config_text(&fleet, &limits);
    let cfg = btsops::config::parse(std::path::Path::new("c.toml"), &text).unwrap();
    let protected_cfg = btsops::config::parse(
        std::path::Path::new("c.toml"),
        &text.replacen(
            "role = \"testnet\"\n",
            "role = \"testnet\"\nprotected = true\n",
            1,
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let (tx, mut rx) = mpsc::channel(256);
    let mut task = StressTask::new(Some(state.clone()));
    let new_app = |cfg: &Config| {
        let mut app = App::new(Theme::mono(), btsops::tui::Keymap::defaults());
        update(&mut app, Msg::Resize(200, 50));
        app.configure(cfg);
        app.stress.data_dir = Some(dir.path().join("data"));
        let path = cfg.stress.as_ref().and_then(|s| s.plan.clone()).unwrap();
        update(&mut app, stress_task::load_plan(&path));
        app
    };

    // Refused: read-only, and the protected testnet unarmed. Nothing reaches a node.
    let mut app = new_app(&cfg);
    app.read_only = true;
    assert_eq!(keys(&mut app, &mut task, &cfg, &tx, "6 s y").await, 0);
    assert!(
        render(&app).contains("refused: read-only"),
        "{}",
        render(&app)
    );
    let mut app = new_app(&protected_cfg);
    assert_eq!(
        keys(&mut app, &mut task, &protected_cfg, &tx, "6 s y").await,
        0
    );
    assert!(render(&app).contains("is protected"), "{}", render(&app));
    for n in ["a", "b", "victim"] {
        assert_eq!(st::broadcasts(&fleet, "testnet", n), 0, "{n}");
    }
    assert!(!task.running());

    // Edit the rate (5 → 8), start, confirm.
    let mut app = new_app(&cfg);
    assert!(app.stress.plan.is_some(), "{}", notice(&app));
    keys(
        &mut app,
        &mut task,
        &cfg,
        &tx,
        "6 j Enter Backspace 8 Enter",
    )
    .await;
    assert_eq!(app.stress.plan.as_ref().and_then(|p| p.plan.rate), Some(8));
    keys(&mut app, &mut task, &cfg, &tx, "s").await;
    assert!(confirming(&app), "{}", notice(&app));
    assert_eq!(keys(&mut app, &mut task, &cfg, &tx, "y").await, 1);
    assert!(task.running());
    // Progress: two seconds of load with answers.
    pump_until(&mut app, &mut rx, Duration::from_secs(90), |a| {
        a.stress
            .run
            .as_ref()
            .is_some_and(|r| r.elapsed_s >= 2 && r.totals.accepted > 0)
            || a.stress.run.as_ref().is_some_and(|r| r.end.is_some())
    })
    .await;
    let run = app.stress.run.as_ref().unwrap();
    assert!(run.end.is_none(), "ended early: {:?}", run.end);
    let s = render(&app);
    assert!(
        s.contains("transfer 8/s × 30 s") && s.contains("running"),
        "{s}"
    );
    // One key stops it, unconfirmed; it ends and writes its report.
    assert_eq!(keys(&mut app, &mut task, &cfg, &tx, "X").await, 1);
    pump_until(&mut app, &mut rx, Duration::from_secs(30), |a| {
        a.stress.run.as_ref().is_some_and(|r| r.end.is_some())
    })
    .await;
    let run = app.stress.run.as_ref().unwrap();
    let end = run.end.as_ref().unwrap();
    assert_eq!(end.aborted.as_deref(), Some("stopped from the console"));
    let (json, md) = end.report.clone().expect("report written");
    assert!(md.exists());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["aborted"], "stopped from the console");
    assert_eq!(doc["effective"]["rate"], 8);
    let sent = doc["totals"]["sent"].as_u64().unwrap();
    assert!(sent > 0 && sent < 8 * 30, "{sent}");
    let broadcasts =
        st::broadcasts(&fleet, "testnet", "a") + st::broadcasts(&fleet, "testnet", "b");
    assert!(broadcasts >= sent, "{broadcasts} broadcasts, {sent} sent");
    assert!(render(&app).contains(&format!("report {}", json.display())));
    // Audit: the start and the end with its totals.
    let audit = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{audit}");
    assert_eq!(lines[0]["action"], "stress start");
    assert_eq!(lines[0]["target"], "a,b");
    assert_eq!(lines[0]["after"]["effective"]["rate"], 8);
    assert_eq!(lines[1]["action"], "stress end");
    assert_eq!(lines[1]["result"], "aborted: stopped from the console");
    assert_eq!(lines[1]["after"]["totals"]["sent"], sent);
    assert!(!task.running());

    // Quitting the console mid-run stops it and still writes the report and the end.
    keys(&mut app, &mut task, &cfg, &tx, "s").await;
    assert_eq!(keys(&mut app, &mut task, &cfg, &tx, "y").await, 1);
    let first = json;
    pump_until(&mut app, &mut rx, Duration::from_secs(90), |a| {
        a.stress
            .run
            .as_ref()
            .is_some_and(|r| r.totals.sent > 0 || r.end.is_some())
    })
    .await;
    tokio::time::timeout(Duration::from_secs(60), task.finish("the console quit"))
        .await
        .expect("finish returns");
    assert!(!task.running());
    pump_until(&mut app, &mut rx, Duration::from_secs(10), |a| {
        a.stress.run.as_ref().is_some_and(|r| r.end.is_some())
    })
    .await;
    let end = app.stress.run.as_ref().and_then(|r| r.end.clone()).unwrap();
    assert_eq!(end.aborted.as_deref(), Some("the console quit"));
    let (json, _) = end.report.expect("report written");
    assert_ne!(json, first, "each run has its own report");
    let audit = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    let last = audit.lines().last().unwrap_or_default();
    assert!(
        last.contains("\"stress end\"") && last.contains("aborted: the console quit"),
        "{last}"
    );
}
