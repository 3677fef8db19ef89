//! The faucet pane and its registration form, driven through `update`: screens with a
//! hand-built read of the chain and without `[faucet]`, the form's validation errors, the
//! gate's refusals (read-only, protected and unarmed) before anything is sent, and a whole
//! registration from the keyboard against simnet's faucet through the real ops task:
//! confirmation, audit line on disk before the result, the account's id from the chain.

use std::path::Path;
use std::time::Duration;

use btsops::faucet::collect::{Progress, Stats};
use btsops::faucet::history::{FeeReads, ReadStats};
use btsops::faucet::kpi::{DAILY_DAYS, Failure, Kpis, Pace, Registration, Rewards};
use btsops::faucet::{Keys, Probe};
use btsops::theme::Theme;
use btsops::tui::faucet_pane::{FaucetConf, FaucetMsg};
use btsops::tui::keymap::Key;
use btsops::tui::ops::{Op, Plan};
use btsops::tui::ops_task::{self, LbClients, OpsOptions};
use btsops::tui::overlay::Overlay;
use btsops::tui::{App, Effect, Keymap, Msg, update};
use time::macros::date;
use tokio::sync::mpsc;

use super::fleet::{T0, app_with, press};
use super::lb::confirming;
use super::screens::render;
use super::support::faucet::{self as f, ConfigOpts};

/// Unmistakable in any file or screen it must never reach.
const PASSWORD: &str = "Zq7-tui-faucet-password-never-shown";

fn conf() -> FaucetConf {
    FaucetConf {
        network: "testnet".into(),
        url: "https://faucet.example.org/".into(),
        endpoint: "https://faucet.example.org/api/v1/accounts".into(),
        registrar: "onboarding".into(),
        prefix: "TEST".into(),
        target_accounts: 1000,
        start_date: date!(2025 - 11 - 01),
        target_date: date!(2025 - 12 - 31),
    }
}

fn reg(i: u64, ago_s: i64) -> Registration {
    Registration {
        seq: 100 + i,
        account: format!("1.2.{}", 2000 + i),
        name: format!("newbie-{i}"),
        referrer: "1.2.17".into(),
        time: T0 as i64 - ago_s,
        block_num: 5_000_000 + i as u32,
        fee: 50_000,
    }
}

/// A read of the chain as the reader would send it: behind the target's pace.
fn stats() -> Stats {
    let daily: Vec<u64> = (0..DAILY_DAYS as u64).map(|d| (d * 7) % 11).collect();
    Stats {
        kpis: Kpis {
            today: 4,
            last_7_days: 31,
            last_30_days: 150,
            since_start: 160,
            since: None,
            pace: Pace {
                remaining: 840,
                days_left: 38,
                needed_per_day: 22.1,
                expected_by_now: 393,
                on_track: false,
            },
            rewards: Rewards {
                as_registrar: 1_234_567,
                as_referrer: 0,
                as_lifetime_referrer: 7_654_321,
                total: 8_888_888,
            },
            balance: 987_654_321,
            fee: 50_000,
            runway: 19_753,
            last_registrations: (0..5).map(|i| reg(5 - i, 600 * i as i64 + 60)).collect(),
            last_failures: vec![Failure {
                time: T0 as i64 - 3600,
                name: "alice".into(),
                class: "premium".into(),
                text: "Only cheap names allowed!".into(),
            }],
            daily,
        },
        registrar: "onboarding (1.2.17)".into(),
        read: ReadStats { pages: 2, ops: 160 },
        fee_reads: FeeReads::default(),
        probe: Probe {
            reachable: true,
            status: Some(400),
            latency_ms: Some(48.0),
            detail: String::new(),
        },
    }
}

fn faucet_app(theme: Theme, w: u16, h: u16) -> App {
    let mut app = app_with(theme, w, h);
    app.faucet.conf = Some(conf());
    update(
        &mut app,
        Msg::Faucet(FaucetMsg::Read {
            time: T0 - 12.0,
            result: Ok(Box::new(stats())),
            warnings: Vec::new(),
        }),
    );
    app
}

#[test]
fn faucet_pane_screens() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut app = faucet_app(Theme::default_theme(), w, h);
        press(&mut app, "5");
        insta::assert_snapshot!(format!("faucet_{w}x{h}"), render(&app));
        let mut bare = app_with(Theme::default_theme(), w, h);
        press(&mut bare, "5");
        insta::assert_snapshot!(format!("faucet_none_{w}x{h}"), render(&bare));
    }
}

#[test]
fn the_pane_reads_its_numbers_and_says_how_far_a_read_got() {
    let mut app = faucet_app(Theme::mono(), 200, 50);
    press(&mut app, "5");
    let s = render(&app);
    for needle in [
        "reachable in 48 ms (HTTP 400 to a malformed probe)",
        "read 12s ago",
        "runway 19753 registrations",
        "today 4  7 days 31  30 days 150  since 2025-11-01: 160",
        "22.1/day needed: BEHIND (expected 393 by now)",
        "rewards     88.88888 (registrar 12.34567, referrer 0, lifetime referrer 76.54321)",
        "newbie-5",
        "alice",
        "Only cheap names allowed!",
        "┈",
    ] {
        assert!(s.contains(needle), "no {needle:?} in:\n{s}");
    }
    update(
        &mut app,
        Msg::Faucet(FaucetMsg::Progress(Progress {
            read: 2500,
            total: 10_000,
        })),
    );
    assert!(
        render(&app).contains("reading the registrar's history: 2500 of 10000 ops (25%)"),
        "{}",
        render(&app)
    );
    // A trimmed history says from when its counts are.
    let mut trimmed = stats();
    trimmed.kpis.since = Some("2025-11-20".into());
    update(
        &mut app,
        Msg::Faucet(FaucetMsg::Read {
            time: T0,
            result: Ok(Box::new(trimmed)),
            warnings: Vec::new(),
        }),
    );
    let s = render(&app);
    assert!(s.contains("counts since 2025-11-20"), "{s}");
    assert!(!s.contains("reading the registrar's history"), "{s}");
    // `r` asks for a read now.
    assert_eq!(press(&mut app, "r"), vec![Effect::FaucetRefresh]);
}

#[test]
fn faucet_form_screens_show_errors_next_to_their_fields() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut app = faucet_app(Theme::default_theme(), w, h);
        press(&mut app, "5 n");
        assert!(matches!(app.overlays.last(), Some(Overlay::FaucetForm(_))));
        // A bad name, no password, one bad key, a bad referrer.
        press(
            &mut app,
            "Bad_Name Tab Tab TEST-nokey Tab Tab Tab Bob! Enter",
        );
        let Some(Overlay::FaucetForm(form)) = app.overlays.last() else {
            panic!("the form closed:\n{}", render(&app));
        };
        assert_eq!(form.errors.len(), 5, "{:?}", form.errors);
        insta::assert_snapshot!(format!("faucet_form_errors_{w}x{h}"), render(&app));
    }
}

#[test]
fn the_password_shows_as_dots_and_never_reaches_the_confirmation() {
    let mut app = faucet_app(Theme::mono(), 100, 30);
    press(&mut app, "5 n");
    type_text(&mut app, "tui-user-1");
    press(&mut app, "Tab");
    type_text(&mut app, PASSWORD);
    let s = render(&app);
    assert!(s.contains(&"•".repeat(PASSWORD.len())), "{s}");
    assert!(!s.contains(PASSWORD));
    assert!(press(&mut app, "Enter").is_empty(), "nothing sent before y");
    let Some(Overlay::Confirm(plan)) = app.overlays.last() else {
        panic!("no confirmation:\n{}", render(&app));
    };
    let keys = Keys::from_password("tui-user-1", PASSWORD, "TEST").expect("keys");
    assert_eq!(
        plan.ops,
        vec![Op::FaucetRegister {
            endpoint: "https://faucet.example.org/api/v1/accounts".into(),
            name: "tui-user-1".into(),
            keys: keys.clone(),
            referrer: None,
        }]
    );
    assert!(
        !format!("{app:?}").contains(PASSWORD),
        "gone from the state"
    );
    let s = render(&app);
    for needle in [
        "POST https://faucet.example.org/api/v1/accounts",
        "tui-user-1",
        keys.owner.as_str(),
        keys.active.as_str(),
        keys.memo.as_str(),
        "referrer    (none",
    ] {
        assert!(s.contains(needle), "no {needle:?} in:\n{s}");
    }
    assert!(!s.contains(PASSWORD));
    // Esc: nothing sent.
    assert!(press(&mut app, "Esc").is_empty());
    assert!(!confirming(&app));
}

#[test]
fn refused_in_read_only_and_on_a_protected_network_unarmed() {
    let mut app = faucet_app(Theme::mono(), 100, 30);
    app.read_only = true;
    assert!(press(&mut app, "5 n").is_empty());
    assert!(!form_open(&app), "no form when read-only");
    assert!(render(&app).contains("read-only"), "{}", render(&app));

    let mut app = faucet_app(Theme::mono(), 100, 30);
    app.protected.insert("testnet".into());
    assert!(press(&mut app, "5 n").is_empty());
    assert!(!form_open(&app));
    assert!(notice(&app).contains("protected"), "{}", notice(&app));
    // Armed, the form opens; if the arming runs out meanwhile, submitting refuses and
    // sends nothing.
    // (Esc closes the refusal, too long for the status bar, and leaves the pane.)
    press(&mut app, "Esc 5 A y n");
    assert!(form_open(&app), "{}", render(&app));
    type_text(&mut app, "late-user-1");
    press(&mut app, "Tab");
    type_text(&mut app, PASSWORD);
    app.arming.disarm("testnet");
    let effects = press(&mut app, "Enter");
    assert!(effects.is_empty() && !confirming(&app), "{effects:?}");
    assert!(notice(&app).contains("protected"), "{}", notice(&app));
}

fn form_open(app: &App) -> bool {
    app.overlays
        .iter()
        .any(|o| matches!(o, Overlay::FaucetForm(_)))
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Msg::Key(Key::char(c)));
    }
}

fn sent(effects: Vec<Effect>) -> Plan {
    let mut plans: Vec<Plan> = effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Action(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(plans.len(), 1, "one action per confirmation");
    plans.remove(0)
}

fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

/// Feeds the tasks' messages into `app` until `done` holds, bounded in count and time;
/// `Effect::FaucetRefresh` wakes the reader, as the console's driver does.
async fn pump(
    app: &mut App,
    rx: &mut mpsc::Receiver<Msg>,
    wake: &tokio::sync::Notify,
    what: &str,
    inspect: impl FnMut(&Msg),
    done: impl Fn(&App) -> bool,
) {
    let effect = |e| {
        if e == Effect::FaucetRefresh {
            wake.notify_one();
        }
    };
    super::failover::pump_effects(app, rx, what, inspect, effect, done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_from_the_keyboard_against_simnet() {
    let fleet = f::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join("state");
    let cache = tmp.path().join("cache");
    let path = f::write_config(tmp.path(), &fleet, ConfigOpts::default());
    let cfg = btsops::config::load(Some(&path)).expect("config loads");

    let mut app = App::new(Theme::mono(), Keymap::defaults());
    update(&mut app, Msg::Resize(120, 40));
    app.configure(&cfg);
    let (tx, mut rx) = mpsc::channel(64);
    let opts = OpsOptions {
        audit_dir: Some(state.clone()),
        faucet: btsops::tui::faucet_task::FaucetSetup::from_config(&cfg, Some(cache.clone())),
        ..OpsOptions::default()
    };
    let (ops, ops_task) = ops_task::spawn_ops(LbClients::new(&cfg), opts, tx.clone());
    let (wake, reader) = btsops::tui::faucet_task::spawn_reader(
        cfg.clone(),
        Some(cache.clone()),
        Duration::from_secs(3600),
        tx,
    )
    .expect("a reader for [faucet]");
    pump(
        &mut app,
        &mut rx,
        &wake,
        "the first read",
        |_| {},
        |a| a.faucet.stats.is_some(),
    )
    .await;
    let before = app.faucet.stats.as_ref().map_or(0, |s| s.kpis.today);

    let name = "tui-user-1";
    press(&mut app, "5 n");
    type_text(&mut app, name);
    press(&mut app, "Tab");
    type_text(&mut app, PASSWORD);
    assert!(press(&mut app, "Enter").is_empty());
    let plan = sent(press(&mut app, "y"));
    ops.send(plan).expect("ops task runs");
    let mut audited = false;
    pump(
        &mut app,
        &mut rx,
        &wake,
        "the registration's result",
        |m| {
            if let Msg::ActionDone(r) = m {
                assert_eq!(
                    audit_lines(&state).len(),
                    1,
                    "audit line missing when the result arrived: {r:?}"
                );
                audited = true;
            }
        },
        |a| a.faucet.last.is_some(),
    )
    .await;
    assert!(audited);
    let last = app.faucet.last.clone().expect("a result");
    assert_eq!(last.class, "registered", "{last:?}");
    assert!(
        last.reply.contains(r#"{"account":{"name":"tui-user-1""#),
        "the reply verbatim: {}",
        last.reply
    );
    assert!(render(&app).contains("registered"), "{}", render(&app));

    // The id, once the chain has the account, and the numbers read again.
    pump(
        &mut app,
        &mut rx,
        &wake,
        "the account's id",
        |_| {},
        |a| {
            a.faucet.last.as_ref().is_some_and(|l| l.account.is_some())
                && a.faucet
                    .stats
                    .as_ref()
                    .is_some_and(|s| s.kpis.today > before)
        },
    )
    .await;
    let c = f::connect(&fleet).await;
    let id = f::wait_account(&c, name).await;
    assert_eq!(
        app.faucet.last.as_ref().and_then(|l| l.account.clone()),
        Some(Ok(id.clone()))
    );
    let screen = render(&app);
    assert!(screen.contains(&format!("is {id} on chain")), "{screen}");
    let keys = Keys::from_password(name, PASSWORD, "TEST").expect("keys");
    let acct = c.get_objects(&[id.as_str()]).await.expect("get_objects")[0]
        .clone()
        .expect("account");
    assert_eq!(acct["owner"]["key_auths"][0][0], keys.owner.as_str());

    // The audit line: what was sent, and no password anywhere on disk.
    let lines = audit_lines(&state);
    let l = &lines[0];
    assert_eq!(l["network"], f::NET);
    assert_eq!(
        l["target"],
        format!("{}/api/v1/accounts", f::url(&fleet, "faucet"))
    );
    assert_eq!(l["action"], format!("register {name}"));
    assert_eq!(l["result"], "registered");
    assert_eq!(l["after"]["owner_key"], keys.owner.as_str());
    assert_eq!(l["after"]["active_key"], keys.active.as_str());
    assert_eq!(l["after"]["memo_key"], keys.memo.as_str());
    assert_eq!(l["after"]["http_status"], 200);

    // The same name again: the faucet's refusal verbatim, with its class, audited, and
    // among the pane's last failures once the numbers are read again (`r`).
    press(&mut app, "n");
    type_text(&mut app, name);
    press(&mut app, "Tab");
    type_text(&mut app, PASSWORD);
    press(&mut app, "Enter");
    let plan = sent(press(&mut app, "y"));
    ops.send(plan).expect("ops task runs");
    pump(
        &mut app,
        &mut rx,
        &wake,
        "the refusal",
        |_| {},
        |a| a.faucet.last.as_ref().is_some_and(|l| !l.registered),
    )
    .await;
    let last = app.faucet.last.clone().expect("a result");
    assert_eq!(last.class, "name taken", "{last:?}");
    assert!(last.reply.contains("Account exists"), "{}", last.reply);
    assert!(render(&app).contains("Account exists"), "{}", render(&app));
    let lines = audit_lines(&state);
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1]["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("failed: name taken")),
        "{}",
        lines[1]
    );
    for e in press(&mut app, "r") {
        if e == Effect::FaucetRefresh {
            wake.notify_one();
        }
    }
    pump(
        &mut app,
        &mut rx,
        &wake,
        "the failure listed",
        |_| {},
        |a| {
            a.faucet
                .stats
                .as_ref()
                .is_some_and(|s| !s.kpis.last_failures.is_empty())
        },
    )
    .await;
    assert!(
        render(&app).contains("name taken: Account exists"),
        "{}",
        render(&app)
    );

    for entry in walk(tmp.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).expect("read")).into_owned();
        assert!(!text.contains(PASSWORD), "password in {}", entry.display());
    }
    assert!(!format!("{app:?}").contains(PASSWORD));
    assert!(!screen.contains(PASSWORD));
    reader.abort();
    ops_task.abort();
    fleet.shutdown().await;
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
