//! A full failover from the console against a real `haproxy -db` in front of simnet
//! nodes, through the real poller and ops task: select a node, take it out of every
//! load balancer (after arming the protected network), confirm, see it verified with
//! its audit line on disk before the result is drawn, and undo it. Skips (with a SKIP
//! line) without haproxy unless BTSOPS_REQUIRE_HAPROXY=1.

use std::path::Path;
use std::time::{Duration, Instant};

use btsops::lb::Mode;
use btsops::monitor::{EndpointKind, EndpointSnapshot, FleetSnapshot};
use btsops::theme::Theme;
use btsops::tui::ops_task::{self, LbClients, OpsOptions};
use btsops::tui::overlay::Overlay;
use btsops::tui::{App, Effect, Keymap, Msg, update};
use tokio::sync::mpsc;

use super::fleet::press;
use super::lb::confirming;
use super::screens::render;
use super::support::haproxy::{BACKEND, Haproxy, Options};

const PASS_ENV: &str = "BTSOPS_TUI_FAILOVER_PASS";
/// Messages and time any one wait may take before the test fails.
const MAX_MSGS: usize = 500;
/// A deadline for failing, not a speed: a faucet registration on a loaded machine
/// takes seconds.
const WAIT: Duration = Duration::from_secs(30);

fn write_config(dir: &Path, sock: &Path, nodes: &[(&str, String)]) -> std::path::PathBuf {
    let mut text = format!(
        "[[network]]\nname = \"mainnet\"\nrole = \"mainnet\"\nchain_id = \"{}\"\nprefix = \"BTS\"\n",
        super::support::simnet::MAINNET_ID
    );
    for (name, url) in nodes {
        text += &format!("  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n");
    }
    text += &format!(
        "[[lb]]\nname = \"lb1\"\nnetwork = \"mainnet\"\nruntime_api = \"unix:{}\"\nbackend = \"{BACKEND}\"\npublic_url = \"ws://127.0.0.1:9\"\nuser = \"ops\"\npassword_env = \"{PASS_ENV}\"\n",
        sock.display()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Feeds messages from the tasks into `app` until `done` holds; bounded in count and time.
/// `inspect` sees each message before `update` does (the draw-time checks).
pub async fn pump(
    app: &mut App,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    inspect: impl FnMut(&Msg),
    done: impl Fn(&App) -> bool,
) {
    pump_effects(app, rx, what, inspect, |_| {}, done).await
}

/// [`pump`], with each effect `update` returns handed to `effect` (the console driver's
/// part a test plays, such as waking a reader).
pub async fn pump_effects(
    app: &mut App,
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    mut inspect: impl FnMut(&Msg),
    mut effect: impl FnMut(Effect),
    done: impl Fn(&App) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    for _ in 0..MAX_MSGS {
        if done(app) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(m)) => {
                inspect(&m);
                update(app, m).into_iter().for_each(&mut effect);
            }
            Ok(None) => panic!("{what}: the tasks stopped"),
            Err(_) => panic!("{what}: not within {WAIT:?}; screen:\n{}", render(app)),
        }
    }
    assert!(done(app), "{what}: not within {MAX_MSGS} messages");
}

fn mode_in_app(app: &App, server: &str) -> Option<Mode> {
    app.lb
        .lb("lb1")?
        .snap
        .as_ref()?
        .server(BACKEND, server)
        .map(|s| s.mode)
}

pub fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

pub fn sent(effects: Vec<Effect>) -> btsops::tui::ops::Plan {
    let mut plans: Vec<_> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Action(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(plans.len(), 1, "one action per confirmation");
    plans.remove(0)
}

/// Waits for the action's result; at that moment, before it is folded in and drawn,
/// the audit log must already hold its line.
async fn result(app: &mut App, rx: &mut mpsc::Receiver<Msg>, audit: &Path, lines: usize) {
    let mut seen = false;
    pump(
        app,
        rx,
        "the action's result",
        |m| {
            if let Msg::ActionDone(r) = m {
                let on_disk = audit_lines(audit);
                assert_eq!(
                    on_disk.len(),
                    lines,
                    "audit line missing when the result arrived: {r:?}"
                );
                seen = true;
            }
        },
        |a| a.running.is_none(),
    )
    .await;
    assert!(seen || app.running.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_from_the_console_against_real_haproxy() {
    let fleet = super::support::simnet::start().await;
    let nodes = ["a", "victim"];
    let Some(h) = Haproxy::start("tui failover", &fleet, &nodes, Options::default()).await else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let audit = tmp.path().join("state");
    let urls: Vec<(&str, String)> = nodes
        .iter()
        .map(|n| (*n, super::support::simnet::url(&fleet, n)))
        .collect();
    let cfg = btsops::config::load(Some(&write_config(tmp.path(), &h.admin_sock, &urls)))
        .expect("config loads");

    let mut app = App::new(Theme::mono(), Keymap::defaults());
    update(&mut app, Msg::Resize(100, 30));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    update(&mut app, Msg::Tick(now));
    app.configure(&cfg);
    let mut fs = FleetSnapshot::empty();
    fs.time = now;
    for (n, url) in &urls {
        fs.endpoints
            .push(EndpointSnapshot::new(EndpointKind::Node, "mainnet", n, url));
    }
    update(&mut app, Msg::Snapshot(Box::new(fs)));

    let (tx, mut rx) = mpsc::channel(64);
    let clients = LbClients::new(&cfg);
    let pollers = ops_task::spawn_pollers(&clients, Duration::from_millis(100), tx.clone());
    let opts = OpsOptions {
        audit_dir: Some(audit.clone()),
        ..OpsOptions::default()
    };
    let (ops, ops_task) = ops_task::spawn_ops(clients, opts, tx);
    pump(
        &mut app,
        &mut rx,
        "first poll",
        |_| {},
        |a| {
            mode_in_app(a, "victim") == Some(Mode::Ready)
                && mode_in_app(a, "a") == Some(Mode::Ready)
        },
    )
    .await;
    // Both servers are matched to their nodes by address and port.
    press(&mut app, "4");
    let screen = render(&app);
    for n in nodes {
        let row = screen
            .lines()
            .find(|l| l.contains(&format!("{BACKEND}/{n} ")))
            .unwrap_or_else(|| panic!("no row for {n}:\n{screen}"));
        assert!(row.contains(&format!(" {n} ")), "{row}");
    }

    // Select the node and take it out: mainnet is protected and not armed yet.
    press(&mut app, ": node Space victim Enter");
    assert_eq!(app.detail.node.as_deref(), Some("victim"));
    let e = press(&mut app, "o");
    assert!(e.is_empty() && !confirming(&app));
    assert!(render(&app).contains("protected"));
    press(&mut app, "A y");
    assert!(
        render(&app)
            .lines()
            .next()
            .unwrap_or("")
            .contains("ARMED mainnet")
    );
    press(&mut app, "o");
    let Some(Overlay::Confirm(_)) = app.overlays.last() else {
        panic!("no confirmation:\n{}", render(&app));
    };
    let screen = render(&app);
    assert!(
        screen.contains("lb1: set server be/victim state maint"),
        "{screen}"
    );
    assert!(screen.contains("left taking new traffic: a"), "{screen}");
    let plan = sent(press(&mut app, "y"));
    ops.send(plan).expect("ops task runs");
    result(&mut app, &mut rx, &audit, 1).await;
    let screen = render(&app);
    assert!(screen.contains("verified"), "{screen}");
    let lines = audit_lines(&audit);
    let l = &lines[0];
    assert_eq!(
        (
            l["network"].as_str(),
            l["target"].as_str(),
            l["action"].as_str(),
            l["result"].as_str()
        ),
        (
            Some("mainnet"),
            Some("lb1/be/victim"),
            Some("maint"),
            Some("verified")
        )
    );
    assert_eq!(l["before"]["mode"], "ready");
    assert_eq!(l["after"]["mode"], "maint");
    // HAProxy itself, and the pane on its next polls, show the node out.
    assert_eq!(
        h.snapshot().await.server(BACKEND, "victim").map(|s| s.mode),
        Some(Mode::MaintForced)
    );
    pump(
        &mut app,
        &mut rx,
        "the pane shows MAINT",
        |_| {},
        |a| mode_in_app(a, "victim") == Some(Mode::MaintForced),
    )
    .await;

    // Undo from the LB pane.
    press(&mut app, "4 u");
    let plan = sent(press(&mut app, "y"));
    ops.send(plan).expect("ops task runs");
    result(&mut app, &mut rx, &audit, 2).await;
    assert!(render(&app).contains("verified"));
    assert_eq!(
        h.snapshot().await.server(BACKEND, "victim").map(|s| s.mode),
        Some(Mode::Ready)
    );
    assert_eq!(audit_lines(&audit)[1]["action"], "undo maint");
    assert!(app.lb.last.is_none());

    // An undo refuses when the server changed since: drain `a` (once the pane sees
    // victim back, so `a` is not the last server), then someone puts it in MAINT
    // behind the console's back.
    pump(
        &mut app,
        &mut rx,
        "the pane shows victim back",
        |_| {},
        |a| mode_in_app(a, "victim") == Some(Mode::Ready),
    )
    .await;
    press(&mut app, "g");
    assert_eq!(
        app.lb
            .selected_row()
            .map(|r| r.server.name.clone())
            .as_deref(),
        Some("a")
    );
    press(&mut app, "d");
    let plan = sent(press(&mut app, "y"));
    ops.send(plan).expect("ops task runs");
    result(&mut app, &mut rx, &audit, 3).await;
    h.client()
        .run_one("set server be/a state maint")
        .await
        .expect("runtime API");
    pump(
        &mut app,
        &mut rx,
        "the pane shows a in MAINT",
        |_| {},
        |a| mode_in_app(a, "a") == Some(Mode::MaintForced),
    )
    .await;
    let e = press(&mut app, "u");
    assert!(e.is_empty() && !confirming(&app));
    let n = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(n.contains("refused") && n.contains("changed"), "{n}");

    // Nothing of the LB's login in the audit log (the headless test, lb_cli, sets the
    // password itself in a child's environment and checks its value is absent).
    let text = std::fs::read_to_string(audit.join("audit.jsonl")).expect("audit log");
    assert!(!text.contains(PASS_ENV) && !text.to_lowercase().contains("password"));
    for t in pollers {
        t.abort();
    }
    ops_task.abort();
}
