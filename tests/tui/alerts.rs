//! Alerting off-screen: each new alert fires once; `alert_command` runs without a
//! shell, with the message as its last argument, and is killed after its timeout.

use std::time::Duration;

use btsops::monitor::{Alert, AlertKind, Status};
use btsops::tui::alert_command::{AlertJob, AlertLimits, spawn_dispatcher};
use btsops::tui::live::run_alert_command;
use btsops::tui::{App, Effect, Msg, update};

use super::fleet::{T0, app, press, snapshot};

fn raised(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::AlertRaised(a) => Some(a.id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn each_alert_episode_fires_once() {
    let mut a = app();
    // The test fleet dates its alerts from the snapshot time; hold them at T0's.
    let at = |t: f64, raised: Option<f64>, active: bool| {
        let mut s = snapshot(t);
        let base = snapshot(T0);
        for (x, b) in s.alerts.iter_mut().zip(&base.alerts) {
            x.raised = b.raised;
        }
        s.alerts[0].active = active;
        if let Some(r) = raised {
            s.alerts[0].raised = r;
        }
        Msg::Snapshot(Box::new(s))
    };
    // `app()` already saw the three active alerts.
    let e = update(&mut a, at(T0 + 1.0, None, true));
    assert!(raised(&e).is_empty());
    // Cleared and back in the same episode (the engine kept its raised time): quiet.
    assert!(raised(&update(&mut a, at(T0 + 2.0, None, false))).is_empty());
    assert!(raised(&update(&mut a, at(T0 + 3.0, None, true))).is_empty());
    // A new episode rings again.
    let e = update(&mut a, at(T0 + 500.0, Some(T0 + 500.0), true));
    assert_eq!(raised(&e), ["status:asia-1"]);
}

#[test]
fn config_takes_bell_and_alert_command() {
    let net = "[[network]]\nname = \"m\"\nrole = \"mainnet\"\nchain_id = \"4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8\"\nprefix = \"BTS\"\n[[network.seed]]\nname = \"s\"\naddr = \"127.0.0.1:1776\"\n";
    let p = std::path::Path::new("c.toml");
    let c = btsops::config::parse(
        p,
        &format!("[ui]\nbell = true\nalert_command = [\"notify-send\", \"btsops\"]\n{net}"),
    )
    .unwrap();
    assert!(c.ui.bell);
    assert_eq!(c.ui.alert_command, ["notify-send", "btsops"]);
    let e = btsops::config::parse(p, &format!("[ui]\n\nalert_command = []\n{net}")).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (3, "ui.alert_command"));
}

fn alert() -> Alert {
    Alert {
        id: "status:eu-1".into(),
        kind: AlertKind::Status,
        endpoint: "eu-1".into(),
        message: "eu-1 is down; $(touch /tmp/pwned)".into(),
        raised: T0,
        active: true,
        acked: false,
        snoozed_until: None,
        severity: Status::Down,
        cleared: None,
    }
}

fn cmd(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn alert_command_gets_the_message_verbatim_and_the_alert_in_its_environment() {
    let check = cmd(&[
        "sh",
        "-c",
        r#"test "$1" = 'eu-1 is down; $(touch /tmp/pwned)' && test "$BTSOPS_ALERT_ID" = status:eu-1 && test "$BTSOPS_ALERT_KIND" = status && test "$BTSOPS_ALERT_ENDPOINT" = eu-1"#,
        "sh",
    ]);
    run_alert_command(&check, &alert(), Duration::from_secs(10))
        .await
        .unwrap();
}

#[tokio::test]
async fn alert_command_failures_are_reported() {
    let e = run_alert_command(&cmd(&["false"]), &alert(), Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(e.contains("exited"), "{e}");
    let e = run_alert_command(
        &cmd(&["/nonexistent/notify"]),
        &alert(),
        Duration::from_secs(10),
    )
    .await
    .unwrap_err();
    assert!(e.contains("cannot start"), "{e}");
    let t = std::time::Instant::now();
    let e = run_alert_command(
        &cmd(&["sh", "-c", "sleep 30", "sh"]),
        &alert(),
        Duration::from_millis(200),
    )
    .await
    .unwrap_err();
    assert!(e.contains("killed"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// An acknowledgement covers one incident: the same alert raised again later, after it
/// cleared, is new and shown active again.
#[test]
fn an_ack_covers_one_episode_only() {
    let mut a = app();
    update(&mut a, Msg::Snapshot(Box::new(snapshot(T0 + 1.0))));
    press(&mut a, "3 a");
    let (id, raised) = a
        .acked
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), *v))
        .expect("one acked");
    // The test fleet dates its alerts from the snapshot time; hold this one's episode.
    let snap = |t: f64, active: bool, raised_at: f64| {
        let mut s = snapshot(t);
        for x in s.alerts.iter_mut().filter(|x| x.id == id) {
            x.active = active;
            x.raised = raised_at;
        }
        Msg::Snapshot(Box::new(s))
    };
    let shown = |a: &btsops::tui::App| {
        let alert = a
            .fleet
            .alerts
            .iter()
            .find(|x| x.id == id)
            .expect("alert listed");
        a.is_acked(alert)
    };
    assert!(shown(&a));
    // The engine has not confirmed yet: the local ack holds.
    update(&mut a, snap(T0 + 2.0, true, raised));
    assert!(shown(&a));
    // It clears, then fires again: a new episode, not acknowledged.
    update(&mut a, snap(T0 + 3.0, false, raised));
    update(&mut a, snap(T0 + 400.0, true, T0 + 400.0));
    assert!(!shown(&a), "a new episode of {id} shows as acknowledged");
}

fn ids(list: &[&Alert]) -> Vec<String> {
    list.iter().map(|a| a.id.clone()).collect()
}

/// Active first, then the worst, then the newest: the hand-built fleet's alerts come in
/// another order.
#[test]
fn the_alerts_list_is_active_then_worst_then_newest() {
    let a = app();
    assert_eq!(
        ids(&a.alerts()),
        [
            "status:asia-1",
            "status:us-1",
            "chain_mismatch:bad-chain",
            "cert_expiring:t-2"
        ]
    );
}

/// Notices name the alert in words, never by its internal id.
#[test]
fn notices_name_alerts_in_words() {
    let mut a = app();
    press(&mut a, "3 a");
    let n = a.notice.clone().expect("notice").text;
    assert_eq!(n, "acknowledged asia-1 status");
    press(&mut a, "j j z");
    let n = a.notice.clone().expect("notice").text;
    assert_eq!(n, "snoozed bad-chain wrong chain for an hour");
}

/// `z` snoozes, `Z` lists the snoozed alerts, `u` there shows one again (in the engine
/// too), and `Z` goes back to the list, where it is again.
#[test]
fn snoozed_alerts_can_be_listed_and_unsnoozed() {
    let mut a = app();
    let fx = press(&mut a, "3 j z");
    assert!(
        fx.contains(&Effect::Snooze {
            id: "status:us-1".into(),
            until: T0 + 3600.0
        }),
        "{fx:?}"
    );
    assert!(!ids(&a.alerts()).contains(&"status:us-1".to_string()));
    // In the list, `u` has nothing to unsnooze.
    assert!(press(&mut a, "u").is_empty());
    assert!(a.notice.as_ref().is_some_and(|n| n.error));
    press(&mut a, "Z");
    assert!(a.alerts_pane.snoozed_view);
    assert_eq!(ids(&a.alert_list()), ["status:us-1"]);
    let fx = press(&mut a, "u");
    assert_eq!(fx, [Effect::Unsnooze("status:us-1".into())]);
    assert!(a.alert_list().is_empty());
    assert_eq!(
        a.notice.clone().expect("notice").text,
        "us-1 status shows again"
    );
    press(&mut a, "Z");
    assert!(!a.alerts_pane.snoozed_view);
    assert_eq!(a.alerts().len(), 4);
    // A snooze also ends by itself.
    press(&mut a, "z");
    assert_eq!(a.alerts().len(), 3);
    update(&mut a, Msg::Tick(T0 + 3601.0));
    assert_eq!(a.alerts().len(), 4);
}

/// A snooze the engine holds (as in a replayed recording) lifts at once on `u`, and
/// stays lifted while the engine has not caught up.
#[test]
fn an_engine_snooze_is_lifted_at_once() {
    let mut a = app();
    let snoozed = |t: f64| {
        let mut s = snapshot(t);
        for x in s.alerts.iter_mut().filter(|x| x.id == "status:us-1") {
            x.snoozed_until = Some(T0 + 1800.0);
        }
        Msg::Snapshot(Box::new(s))
    };
    update(&mut a, snoozed(T0 + 1.0));
    press(&mut a, "3 Z");
    assert_eq!(ids(&a.alert_list()), ["status:us-1"]);
    assert_eq!(press(&mut a, "u"), [Effect::Unsnooze("status:us-1".into())]);
    assert!(a.alert_list().is_empty());
    update(&mut a, snoozed(T0 + 2.0));
    assert!(
        a.alert_list().is_empty(),
        "the engine's stale snooze hid it again"
    );
    press(&mut a, "Z");
    assert_eq!(a.alerts().len(), 4);
}

fn saved(effects: &[Effect]) -> Option<btsops::tui::marks::AlertMarks> {
    effects.iter().rev().find_map(|e| match e {
        Effect::SaveMarks(m) => Some(m.clone()),
        _ => None,
    })
}

/// Acknowledgements and snoozes survive a restart: written to the state file as the
/// operator makes them, read by a new console, applied to the new engine's alerts.
#[test]
fn acks_and_snoozes_survive_a_restart() {
    use btsops::tui::marks;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state").join(marks::FILE_NAME);
    let mut first = app();
    first.state_file = Some(file.clone());
    // Ack asia-1 (down), snooze bad-chain; each change is saved as it happens.
    let fx = press(&mut first, "3 a");
    let m = saved(&fx).expect("the ack is saved");
    assert!(m.acked.contains_key("status:asia-1"), "{m:?}");
    marks::save(&file, &m).unwrap();
    let fx = press(&mut first, "j j z");
    let m = saved(&fx).expect("the snooze is saved");
    assert_eq!(
        m.snoozed.get("chain_mismatch:bad-chain"),
        Some(&(T0 + 3600.0))
    );
    assert!(m.acked.contains_key("status:asia-1"));
    marks::save(&file, &m).unwrap();
    // Nothing changed: nothing to write.
    assert_eq!(saved(&press(&mut first, "j k")), None);

    // A new console, ten minutes later, on a new engine whose alerts are raised anew.
    let restart = T0 + 600.0;
    let mut second = App::new(first.theme.clone(), first.keymap.clone());
    second.state_file = Some(file.clone());
    second.restore_marks(marks::load(&file).unwrap());
    update(&mut second, Msg::Tick(restart));
    let mut s = snapshot(restart);
    for x in &mut s.alerts {
        x.raised = restart + 2.0;
    }
    let fx = update(&mut second, Msg::Snapshot(Box::new(s)));
    assert!(fx.contains(&Effect::Ack("status:asia-1".into())), "{fx:?}");
    let shown = ids(&second.alerts());
    assert!(
        !shown.contains(&"chain_mismatch:bad-chain".to_string()),
        "{shown:?}"
    );
    assert_eq!(ids(&second.snoozed_alerts()), ["chain_mismatch:bad-chain"]);
    let asia = second.alerts()[0].clone();
    assert_eq!(asia.id, "status:asia-1");
    assert!(second.is_acked(&asia));
    // The carried-over ack does not ring; the others do.
    assert_eq!(raised(&fx), ["status:us-1"]);
    // Only asia-1 was acked: us-1 is not.
    let us = second.alerts()[1].clone();
    assert_eq!(us.id, "status:us-1");
    assert!(!second.is_acked(&us));
}

/// An acknowledgement carries over only to an alert active as the new console starts:
/// one that fails again later is a new incident.
#[test]
fn a_saved_ack_does_not_cover_a_later_incident() {
    let mut m = btsops::tui::marks::AlertMarks::default();
    m.acked.insert("status:asia-1".into(), T0 - 40.0);
    let mut a = App::new(
        btsops::theme::Theme::default_theme(),
        btsops::tui::Keymap::defaults(),
    );
    a.restore_marks(m);
    // First look at the fleet: asia-1 is fine (no alert).
    let mut calm = snapshot(T0);
    calm.alerts.retain(|x| x.id != "status:asia-1");
    update(&mut a, Msg::Snapshot(Box::new(calm)));
    // Half an hour later it fails.
    let later = T0 + 1800.0;
    let mut s = snapshot(later);
    for x in &mut s.alerts {
        x.raised = later;
    }
    let fx = update(&mut a, Msg::Snapshot(Box::new(s)));
    assert!(!fx.contains(&Effect::Ack("status:asia-1".into())), "{fx:?}");
    let asia = a.alerts()[0].clone();
    assert_eq!(asia.id, "status:asia-1");
    assert!(!a.is_acked(&asia));
    assert!(raised(&fx).contains(&"status:asia-1".to_string()));
}

/// The lines a recording script appended to `path` (none if it does not exist yet).
fn lines_of(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// 300 endpoints down at once: a few commands, then one summary, not 300 processes.
#[tokio::test]
async fn alert_command_is_rate_limited_to_a_burst_and_one_summary() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alerts.log");
    let script = cmd(&[
        "sh",
        "-c",
        r#"printf '%s %s %s\n' "$BTSOPS_ALERT_KIND" "$BTSOPS_ALERT_COUNT" "$1" >> "$0""#,
        log.to_str().unwrap(),
    ]);
    let limits = AlertLimits {
        burst: 3,
        window: Duration::from_millis(500),
    };
    let (notices, mut notice_rx) = tokio::sync::mpsc::channel(16);
    let (jobs, task) = spawn_dispatcher(limits, Duration::from_secs(10), notices);
    for i in 0..300 {
        let mut a = alert();
        a.id = format!("status:n{i}");
        a.endpoint = format!("n{i}");
        a.message = format!("n{i} is down");
        jobs.send(AlertJob {
            command: script.clone(),
            alert: a,
        })
        .unwrap();
    }
    // Bounded wait for the burst and the summary (the window is half a second).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while lines_of(&log).len() < 4 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Two more windows: nothing else may start.
    tokio::time::sleep(limits.window * 2).await;
    let lines = lines_of(&log);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let status = lines.iter().filter(|l| l.starts_with("status 1 n")).count();
    assert_eq!(status, 3, "{lines:#?}");
    let summary = lines
        .iter()
        .find(|l| l.starts_with("summary 297 297 more alerts"))
        .unwrap_or_else(|| panic!("no summary line: {lines:#?}"));
    assert!(summary.contains("n3 is down"), "{summary}");
    assert!(notice_rx.try_recv().is_err(), "no command failed");
    drop(jobs);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("dispatcher ends when its sender is dropped")
        .unwrap();
}

/// A hostile node's 200 KB error with escape codes reaches the command as one short,
/// clean argument (it used to fail to start: argument list too long).
#[tokio::test]
async fn alert_command_argument_is_capped_and_clean() {
    let mut a = alert();
    a.message = format!("eu-1 is down: \x1b[2J{}", "x".repeat(200_000));
    let check = cmd(&[
        "sh",
        "-c",
        r#"esc=$(printf '\033'); case "$1" in *"$esc"*) exit 7;; esac; test ${#1} -le 1010 && test ${#1} -ge 1000"#,
        "sh",
    ]);
    run_alert_command(&check, &a, Duration::from_secs(10))
        .await
        .unwrap();
}
