//! The load-balancer pane and the safe-action path, driven through `update` on a
//! hand-built LB state: refusals (read-only, protected and unarmed, replay), arming
//! that runs out on the injected clock, confirmations, force, alerts held in MAINT.

use btsops::lb::Snapshot;
use btsops::lb::info::parse_info;
use btsops::lb::servers_state::parse_servers_state;
use btsops::lb::stat::parse_stat;
use btsops::theme::Theme;
use btsops::tui::lb_pane::LbConf;
use btsops::tui::ops::{ARM_S, Op};
use btsops::tui::overlay::Overlay;
use btsops::tui::{App, Effect, Msg, update};

use super::fleet::{T0, app_with, press};
use super::screens::render;

/// One server: name, op state, admin state, user weight, sessions, status, check, backup.
type Srv<'a> = (&'a str, u32, u32, u32, u64, &'a str, &'a str, bool);

pub fn lb_snapshot(pid: u32, uptime: u64, backend: &str, servers: &[Srv<'_>]) -> Snapshot {
    let mut st = String::from(
        "1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_check_result srv_check_state srv_port\n",
    );
    let mut csv =
        String::from("# pxname,svname,status,scur,stot,rate,bck,check_status,check_duration\n");
    for (i, (name, op, admin, w, scur, status, check, bck)) in servers.iter().enumerate() {
        st += &format!(
            "{backend} {name} 10.0.0.{} {op} {admin} {w} 1 3 6 8090\n",
            i + 1
        );
        csv += &format!(
            "{backend},{name},{status},{scur},{},{},{},{check},{}\n",
            scur * 40 + 7,
            scur / 3,
            u8::from(*bck),
            if check.is_empty() {
                String::new()
            } else {
                "2".into()
            }
        );
    }
    Snapshot::new(
        parse_info(&format!(
            "Version: 2.6.12-1+deb12u4\nPid: {pid}\nUptime_sec: {uptime}\n"
        ))
        .expect("info"),
        parse_servers_state(&st).expect("servers state"),
        &parse_stat(&csv).expect("stat"),
    )
}

fn conf(name: &str, network: &str, backend: &str, api: &str) -> LbConf {
    LbConf {
        name: name.into(),
        network: network.into(),
        backend: backend.into(),
        runtime_api: api.into(),
    }
}

fn poll(app: &mut App, name: &str, time: f64, s: Snapshot) {
    update(
        app,
        Msg::Lb {
            name: name.into(),
            time,
            result: Ok(Box::new(s)),
        },
    );
}

/// The hand-built fleet behind two LBs: mainnet's with every state (and sessions
/// falling on the drained server), testnet's just reloaded with a weight-0 server.
pub fn lb_app(theme: Theme, w: u16, h: u16) -> App {
    let mut app = app_with(theme, w, h);
    app.protected.insert("mainnet".into());
    app.lb.lbs = vec![
        btsops::tui::lb_pane::LbView {
            conf: conf("lb-eu", "mainnet", "bts_api", "tcp:127.0.0.1:9999"),
            snap: None,
            prev: None,
            polled: None,
            error: None,
            reload: None,
        },
        btsops::tui::lb_pane::LbView {
            conf: conf(
                "lb-test",
                "testnet",
                "bts_test",
                "unix:/run/haproxy/admin.sock",
            ),
            snap: None,
            prev: None,
            polled: None,
            error: None,
            reload: None,
        },
    ];
    let eu = |drain_sessions| {
        lb_snapshot(
            4242,
            86_400,
            "bts_api",
            &[
                ("eu-1", 2, 0, 1, 12, "UP", "L7OK", false),
                ("eu-2", 2, 8, 1, drain_sessions, "DRAIN", "L7OK", false),
                ("us-1", 0, 1, 1, 0, "MAINT", "", false),
                ("asia-1", 0, 0, 1, 0, "DOWN", "L4CON", false),
                ("bad-chain", 2, 0, 1, 1, "UP", "L7OK", true),
            ],
        )
    };
    poll(&mut app, "lb-eu", T0 - 2.0, eu(9));
    poll(&mut app, "lb-eu", T0 - 1.0, eu(5));
    let test = |pid, up| {
        lb_snapshot(
            pid,
            up,
            "bts_test",
            &[
                ("t-1", 2, 0, 0, 3, "UP", "L7OK", false),
                ("t-2", 2, 0, 1, 20, "UP", "L7OK", false),
            ],
        )
    };
    poll(&mut app, "lb-test", T0 - 30.0, test(100, 5000));
    poll(&mut app, "lb-test", T0 - 20.0, test(101, 3));
    app
}

/// A confirmation (or arming) is open, waiting for its answer.
pub fn confirming(app: &App) -> bool {
    app.overlays
        .iter()
        .any(|o| matches!(o, Overlay::Confirm(_) | Overlay::Arm(_)))
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn actions(effects: &[Effect]) -> Vec<&btsops::tui::ops::Plan> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Action(p) => Some(p.as_ref()),
            _ => None,
        })
        .collect()
}

#[test]
fn lb_pane_screens() {
    let high_contrast = Theme::builtin("high-contrast").expect("stock theme");
    for (theme_name, theme) in [
        ("default", Theme::default_theme()),
        ("high-contrast", high_contrast),
    ] {
        for (w, h) in [(80, 24), (200, 50)] {
            let mut app = lb_app(theme.clone(), w, h);
            press(&mut app, "4");
            insta::assert_snapshot!(format!("lb_{w}x{h}_{theme_name}"), render(&app));
            // The take-out confirmation, on the testnet (not protected).
            press(&mut app, "G");
            let effects = press(&mut app, "o");
            assert!(effects.is_empty());
            insta::assert_snapshot!(format!("lb_confirm_{w}x{h}_{theme_name}"), render(&app));
        }
    }
}

#[test]
fn the_pane_reads_states_sessions_nodes_and_reloads() {
    let mut app = lb_app(Theme::mono(), 200, 50);
    press(&mut app, "4");
    let s = render(&app);
    let line = |needle: &str| {
        s.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} line:\n{s}"))
            .to_string()
    };
    // The drained server's sessions fell from 9 to 5; the node column shows its lag.
    let eu2 = line("bts_api/eu-2");
    assert!(
        eu2.contains("DRAIN") && eu2.contains("5↓") && eu2.contains("3b"),
        "{eu2}"
    );
    assert!(line("bts_api/us-1").contains("MAINT"));
    assert!(line("bts_api/asia-1").contains("DOWN"));
    assert!(line("bts_api/bad-chain").contains("UP bk"));
    assert!(line("bts_test/t-1").contains("no new traffic"));
    assert!(line("lb-test").contains("HAProxy 2.6.12"));
    assert!(line("reloaded").contains("pid 100 -> 101"), "{s}");
    assert!(s.contains("* runtime only"), "{s}");
}

#[test]
fn no_load_balancers_is_said_plainly() {
    let mut app = app_with(Theme::mono(), 80, 24);
    press(&mut app, "4");
    assert!(render(&app).contains("no load balancers configured"));
    press(&mut app, "1 o");
    assert!(
        notice(&app).contains("no load balancers configured"),
        "{}",
        notice(&app)
    );
    assert!(!confirming(&app));
}

#[test]
fn refused_when_read_only_protected_unarmed_or_replaying() {
    // Read-only: refused even where the network is not protected.
    let mut app = lb_app(Theme::mono(), 80, 24);
    app.read_only = true;
    let e = press(&mut app, "4 End d");
    assert!(e.is_empty() && !confirming(&app));
    assert!(notice(&app).contains("read-only"), "{}", notice(&app));
    // Protected and not armed (mainnet's LB, first row).
    let mut app = lb_app(Theme::mono(), 80, 24);
    let e = press(&mut app, "4 m");
    assert!(e.is_empty() && !confirming(&app));
    assert!(notice(&app).contains("protected"), "{}", notice(&app));
    // Replaying a recording.
    let mut app = lb_app(Theme::mono(), 80, 24);
    app.replay = Some(btsops::tui::Replay {
        paused: true,
        speed: 1.0,
        ended: false,
        span: (T0, T0),
    });
    let e = press(&mut app, "4 End d");
    assert!(e.is_empty() && !confirming(&app));
    assert!(notice(&app).contains("replaying"), "{}", notice(&app));
    // The refusal is on screen.
    assert!(render(&app).contains("replaying"));
}

#[test]
fn arming_lasts_its_window_on_the_injected_clock() {
    let mut app = lb_app(Theme::mono(), 80, 24);
    press(&mut app, "4 A");
    assert_eq!(app.overlays, vec![Overlay::Arm("mainnet".into())]);
    press(&mut app, "y");
    assert!(app.arming.is_armed("mainnet", app.now));
    assert!(
        render(&app)
            .lines()
            .next()
            .unwrap_or("")
            .contains("ARMED mainnet 5:00")
    );
    update(&mut app, Msg::Tick(T0 + 100.0));
    assert!(
        render(&app)
            .lines()
            .next()
            .unwrap_or("")
            .contains("ARMED mainnet 3:20")
    );
    // Armed: mainnet's eu-1 asks to confirm.
    press(&mut app, "d");
    assert!(matches!(app.overlays.last(), Some(Overlay::Confirm(_))));
    // The window ends while the confirmation is open: `y` is refused then.
    update(&mut app, Msg::Tick(T0 + ARM_S));
    let e = press(&mut app, "y");
    assert!(actions(&e).is_empty());
    assert!(notice(&app).contains("protected"), "{}", notice(&app));
    assert!(!render(&app).contains("ARMED"));
    press(&mut app, "d");
    assert!(!confirming(&app), "refused again, no confirmation");
}

#[test]
fn confirm_sends_one_action_and_the_last_server_needs_force() {
    let mut app = lb_app(Theme::mono(), 80, 24);
    // testnet's t-2 is the last server taking new traffic (t-1 has weight 0).
    press(&mut app, "4 G");
    press(&mut app, "m");
    let Some(Overlay::Confirm(plan)) = app.overlays.last() else {
        panic!("no confirmation: {}", notice(&app));
    };
    assert!(plan.needs_force);
    assert!(render(&app).contains("NO server left taking new traffic"));
    let e = press(&mut app, "y");
    assert!(actions(&e).is_empty(), "y does not force");
    let e = press(&mut app, "F");
    let sent = actions(&e);
    assert_eq!(sent.len(), 1);
    assert!(matches!(&sent[0].ops[..], [Op::Lb { force: true, .. }]));
    assert!(!confirming(&app));
    // Esc cancels without sending.
    press(&mut app, "k d");
    assert!(matches!(app.overlays.last(), Some(Overlay::Confirm(_))));
    let e = press(&mut app, "Esc");
    assert!(actions(&e).is_empty() && !confirming(&app));
}

#[test]
fn a_node_in_maint_raises_no_alert() {
    let app = lb_app(Theme::mono(), 80, 24);
    // us-1 is in MAINT on lb-eu: its active alert is held.
    assert!(app.alerts().iter().all(|a| a.endpoint != "us-1"));
    let mut bare = app_with(Theme::mono(), 80, 24);
    assert!(bare.alerts().iter().any(|a| a.endpoint == "us-1"));
    // And it does not ring when it comes.
    let mut app = lb_app(Theme::mono(), 80, 24);
    let mut s = super::fleet::snapshot(T0 + 1.0);
    for a in &mut s.alerts {
        a.raised = T0 + 1.0;
    }
    let rung: Vec<String> = update(&mut app, Msg::Snapshot(Box::new(s.clone())))
        .into_iter()
        .filter_map(|e| match e {
            Effect::AlertRaised(a) => Some(a.endpoint),
            _ => None,
        })
        .collect();
    assert!(!rung.contains(&"us-1".to_string()), "{rung:?}");
    let rung_bare = update(&mut bare, Msg::Snapshot(Box::new(s)));
    assert!(
        rung_bare
            .iter()
            .any(|e| matches!(e, Effect::AlertRaised(a) if a.endpoint == "us-1"))
    );
}

/// A long error over a confirmation: the key that closes it is not the answer.
#[test]
fn the_key_closing_a_long_error_does_not_answer_the_confirmation_below() {
    let mut app = lb_app(Theme::mono(), 80, 24);
    press(&mut app, "4 G m");
    update(&mut app, Msg::Resize(40, 24));
    // `y` on a plan that needs force: the reason does not fit 40 columns.
    press(&mut app, "y");
    assert!(matches!(app.overlays.last(), Some(Overlay::Error(_))));
    assert!(render(&app).contains("(any key closes)"));
    let e = press(&mut app, "F");
    assert!(actions(&e).is_empty() && confirming(&app));
    let e = press(&mut app, "F");
    assert_eq!(actions(&e).len(), 1);
}

/// `ui.read_only` comes from the config in use: a reload turns it on and off, while
/// `--read-only` stays. The reloaded config keeps lb-test (and what it polled).
#[test]
fn ui_read_only_follows_the_config_and_the_flag_stays() {
    let reload = |app: &mut App, read_only: bool| {
        let text = format!(
            "[ui]\nread_only = {read_only}\n\n[[network]]\nname = \"testnet\"\nrole = \"testnet\"\n\
             chain_id = \"39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447\"\nprefix = \"TEST\"\n\
             [[network.node]]\nname = \"t-1\"\nurl = \"wss://t-1.example.org/ws\"\n\n\
             [[lb]]\nname = \"lb-test\"\nnetwork = \"testnet\"\nruntime_api = \"unix:/run/haproxy/admin.sock\"\nbackend = \"bts_test\"\n"
        );
        let config = btsops::config::parse(std::path::Path::new("c.toml"), &text).expect("config");
        let r = btsops::tui::Reloaded {
            config,
            theme: Theme::mono(),
            keymap: btsops::tui::Keymap::defaults(),
        };
        update(app, Msg::Reloaded(Ok(Box::new(r))));
        assert_eq!(app.lb.lbs.len(), 1);
        assert!(app.lb.lbs[0].snap.is_some(), "the polled state stays");
    };
    let mut app = lb_app(Theme::mono(), 80, 24);
    reload(&mut app, true);
    press(&mut app, "4 G d");
    assert!(
        !confirming(&app) && notice(&app).contains("read-only"),
        "{}",
        notice(&app)
    );
    reload(&mut app, false);
    press(&mut app, "G d");
    assert!(confirming(&app), "{}", notice(&app));
    press(&mut app, "Esc");
    app.read_only = true;
    reload(&mut app, false);
    press(&mut app, "G d");
    assert!(!confirming(&app) && notice(&app).contains("read-only"));
}
