//! The overview's "why" column at 80 and 200 columns, a first probe still
//! connecting, long status-bar messages, and the node detail's raw reply.

use btsops::monitor::{ConnState, Status};
use btsops::theme::Theme;
use btsops::tui::{App, Effect, Keymap, Msg, update};

use super::fleet::{T0, app_with, events, press, snapshot};
use super::screens::{render, themes};

/// The hand-built fleet with long reasons (two on one row) and `t-3` connecting for
/// its first probe since `T0 - 7`.
fn long_reasons(theme: Theme, w: u16, h: u16) -> App {
    let mut a = App::new(theme, Keymap::defaults());
    update(&mut a, Msg::Resize(w, h));
    update(&mut a, Msg::Tick(T0 - 7.0));
    for e in events() {
        update(&mut a, Msg::Event(e));
    }
    for time in [T0 - 7.0, T0] {
        let mut s = snapshot(time);
        for e in &mut s.endpoints {
            match e.name.as_str() {
                "eu-2" => {
                    e.reasons = vec![
                        "8 blocks behind best (warn ≥ 2)".into(),
                        "latency p99 480 ms (warn > 400 ms)".into(),
                    ]
                }
                "us-1" => e.reasons = vec!["head 121.4 s old (crit > 30 s)".into()],
                "t-3" => {
                    e.state = ConnState::Connecting;
                    e.reasons = vec!["connecting…".into()];
                }
                _ => {}
            }
        }
        update(&mut a, Msg::Snapshot(Box::new(s)));
    }
    update(&mut a, Msg::Tick(T0));
    a
}

fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == name))
        .unwrap_or_else(|| panic!("no {name} row:\n{screen}"))
}

#[test]
fn the_reason_gets_the_room_and_its_telling_words_first() {
    let a = long_reasons(Theme::mono(), 80, 24);
    let s = render(&a);
    // Both reasons of eu-2 show at 80 columns: their thresholds give way first.
    let eu2 = row(&s, "eu-2");
    assert!(
        eu2.contains("8 blocks behind best; latency p99") && !eu2.contains("(warn"),
        "{eu2}"
    );
    assert!(row(&s, "us-1").contains("head 121.4 s old (crit > 30 s)"));
    // At 200 columns, whole.
    let a = long_reasons(Theme::mono(), 200, 50);
    let s = render(&a);
    assert!(
        row(&s, "eu-2")
            .contains("8 blocks behind best (warn ≥ 2); latency p99 480 ms (warn > 400 ms)")
    );
}

#[test]
fn a_slow_first_probe_says_connecting_and_for_how_long_at_the_top() {
    let a = long_reasons(Theme::mono(), 80, 24);
    assert_eq!(a.rows()[0].name, "t-3");
    assert_eq!(a.rows()[0].status, Status::Unknown);
    let s = render(&a);
    let t3 = row(&s, "t-3");
    assert!(t3.contains("connecting… 7s"), "{t3}");
    assert!(!s.contains("not probed yet"), "{s}");
}

#[test]
fn long_reason_screens() {
    for (theme_name, theme) in themes() {
        for (w, h) in [(80, 24), (200, 50)] {
            let a = long_reasons(theme.clone(), w, h);
            insta::assert_snapshot!(format!("long_reasons_{w}x{h}_{theme_name}"), render(&a));
        }
    }
}

#[test]
fn long_status_messages_are_read_whole() {
    // An unknown command's error fits the line once the clock gives way.
    let mut a = app_with(Theme::mono(), 80, 24);
    press(&mut a, ": foo Enter");
    let s = render(&a);
    let bar = s.lines().nth(23).unwrap_or("");
    assert!(bar.ends_with("or type a network or node name"), "{bar}");
    // Longer than the line: wrapped above the bar, in full.
    let text = "reloaded /home/ops/.config/btsops/config.toml: 11 kept; added eu-4, \
                eu-5; changed us-1; removed asia-1, asia-2, asia-3";
    update(
        &mut a,
        Msg::Notice {
            text: text.into(),
            error: false,
        },
    );
    let s = render(&a);
    let lines: Vec<&str> = s.lines().take(24).collect();
    let above = lines[20..23].join(" ");
    for word in ["changed us-1;", "removed asia-1, asia-2, asia-3"] {
        assert!(above.contains(word), "{word} not above the bar:\n{s}");
    }
}

/// us-1's detail with its raw reply fetched at `T0 + 2`, seen at `T0 + 9`.
fn raw_shown(theme: Theme, w: u16, h: u16) -> App {
    let mut a = app_with(theme, w, h);
    press(&mut a, "j j Enter r");
    update(&mut a, Msg::Tick(T0 + 2.0));
    update(
        &mut a,
        Msg::RawReply {
            endpoint: "us-1".into(),
            text: "get_dynamic_global_properties →\n{\"head_block_number\": 80000060}".into(),
        },
    );
    update(&mut a, Msg::Tick(T0 + 9.0));
    a
}

#[test]
fn raw_reply_says_when_it_was_fetched_and_r_fetches_it_again() {
    let mut a = app_with(Theme::default_theme(), 80, 24);
    press(&mut a, "j j Enter");
    assert_eq!(press(&mut a, "r"), [Effect::FetchRaw("us-1".into())]);
    assert!(render(&a).contains("raw reply, fetching…"));
    let mut a = raw_shown(Theme::default_theme(), 80, 24);
    let s = render(&a);
    assert!(s.contains("raw reply, 7s old (r again, Esc hides)"), "{s}");
    let mut wide = a.clone();
    update(&mut wide, Msg::Resize(200, 50));
    assert!(render(&wide).contains("raw reply of 16:00:02Z, 7s ago (r again, Esc hides)"));
    // Again: fetched anew, and the title says so until it comes.
    assert_eq!(press(&mut a, "r"), [Effect::FetchRaw("us-1".into())]);
    assert!(a.detail.show_raw);
    assert!(render(&a).contains("raw reply, fetching…"));
    update(
        &mut a,
        Msg::RawReply {
            endpoint: "us-1".into(),
            text: "get_dynamic_global_properties →\n{\"head_block_number\": 80000063}".into(),
        },
    );
    update(&mut a, Msg::Resize(200, 50));
    let s = render(&a);
    assert!(
        s.contains("80000063") && s.contains("raw reply of 16:00:09Z, 0s ago"),
        "{s}"
    );
}

/// The node detail with its raw reply, both sizes, every theme.
#[test]
fn detail_raw_screens() {
    for (theme_name, theme) in themes() {
        for (w, h) in [(80, 24), (200, 50)] {
            let a = raw_shown(theme.clone(), w, h);
            insta::assert_snapshot!(format!("detail_raw_{w}x{h}_{theme_name}"), render(&a));
        }
    }
}
