//! Alerting off-screen: each new alert fires once; `alert_command` runs without a
//! shell, with the message as its last argument, and is killed after its timeout.

use std::time::Duration;

use btsops::monitor::{Alert, AlertKind};
use btsops::tui::live::run_alert_command;
use btsops::tui::{Effect, Msg, update};

use super::fleet::{T0, app, snapshot};

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
    super::fleet::press(&mut a, "3 a");
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
