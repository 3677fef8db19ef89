//! Key sequences driving the pure `update`.

use btsops::tui::app::{Input, Pane};
use btsops::tui::columns::Column;
use btsops::tui::overlay::Overlay;
use btsops::tui::{App, Effect};

use super::fleet::{T0, app, press};

fn names(app: &App) -> Vec<String> {
    app.rows().iter().map(|e| e.name.clone()).collect()
}

fn selected(app: &App) -> String {
    let rows = app.rows();
    rows[app.selected_index(&rows)].name.clone()
}

#[test]
fn overview_is_worst_first() {
    let a = app();
    assert_eq!(
        names(&a),
        // Not probed yet first: a first probe that hangs is news.
        [
            "t-3",
            "asia-1",
            "us-1",
            "bad-chain",
            "eu-2",
            "t-1",
            "t-2",
            "eu-1",
        ]
    );
}

#[test]
fn navigation_moves_and_clamps() {
    let mut a = app();
    press(&mut a, "j j");
    assert_eq!(selected(&a), "us-1");
    press(&mut a, "k k k k");
    assert_eq!(selected(&a), "t-3");
    press(&mut a, "G");
    assert_eq!(selected(&a), "eu-1");
    press(&mut a, "g Down");
    assert_eq!(selected(&a), "asia-1");
}

#[test]
fn filter_types_live_and_esc_clears() {
    let mut a = app();
    press(&mut a, "/ eu");
    assert_eq!(a.input, Input::Filter("eu".into()));
    assert_eq!(names(&a), ["eu-2", "eu-1"]);
    // Letters that are commands elsewhere are text in the filter.
    press(&mut a, "q");
    assert!(!a.quit);
    press(&mut a, "Backspace Enter");
    assert_eq!(a.input, Input::None);
    assert_eq!(names(&a), ["eu-2", "eu-1"]);
    press(&mut a, "Esc");
    assert_eq!(a.rows().len(), 8);
    // Status words and error text match too.
    press(&mut a, "/ down Enter");
    assert_eq!(names(&a), ["asia-1"]);
    press(&mut a, "/ refused Esc");
    assert_eq!(a.overview.filter, "");
}

#[test]
fn sort_cycles_and_reverses() {
    let mut a = app();
    press(&mut a, "s");
    assert_eq!(a.overview.sort, Column::Network);
    press(&mut a, "s");
    assert_eq!(a.overview.sort, Column::Name);
    assert_eq!(names(&a)[0], "asia-1");
    press(&mut a, "S");
    assert_eq!(names(&a)[0], "us-1");
    press(&mut a, ": sort Space lag Enter");
    assert_eq!(a.overview.sort, Column::Lag);
    assert_eq!(names(&a)[..2], ["us-1", "eu-2"]);
    press(&mut a, ": sort Space nope Enter");
    assert!(a.notice.as_ref().is_some_and(|n| n.error));
    assert_eq!(a.overview.sort, Column::Lag);
}

#[test]
fn tabs_cycle_through_networks() {
    let mut a = app();
    press(&mut a, "Tab");
    assert_eq!(a.tab.as_deref(), Some("mainnet"));
    assert!(names(&a).iter().all(|n| !n.starts_with("t-")));
    press(&mut a, "Tab");
    assert_eq!(a.tab.as_deref(), Some("testnet"));
    press(&mut a, "Tab");
    assert_eq!(a.tab, None);
    press(&mut a, "BackTab");
    assert_eq!(a.tab.as_deref(), Some("testnet"));
}

#[test]
fn pinned_rows_stay_on_top() {
    let mut a = app();
    press(&mut a, "G p");
    assert_eq!(names(&a)[0], "eu-1");
    // The selection follows the row it pinned.
    assert_eq!(selected(&a), "eu-1");
    press(&mut a, "j p");
    assert_eq!(names(&a)[..2], ["t-3", "eu-1"]);
    press(&mut a, "g p");
    assert_eq!(a.overview.pinned.len(), 1);
    assert_eq!(names(&a)[0], "eu-1");
}

#[test]
fn enter_opens_detail_and_esc_goes_back() {
    let mut a = app();
    press(&mut a, "j j Enter");
    assert_eq!(a.pane, Pane::Detail);
    assert_eq!(a.detail.node.as_deref(), Some("us-1"));
    assert_eq!(press(&mut a, "r"), [Effect::FetchRaw("us-1".into())]);
    assert!(a.detail.show_raw);
    // Esc hides the raw reply first, then leaves the pane.
    press(&mut a, "Esc");
    assert_eq!(a.pane, Pane::Detail);
    assert!(!a.detail.show_raw);
    press(&mut a, "Esc");
    assert_eq!(a.pane, Pane::Overview);
    assert_eq!(selected(&a), "us-1");
}

#[test]
fn copy_puts_the_last_error_on_the_clipboard() {
    let mut a = app();
    press(&mut a, "j Enter");
    assert_eq!(
        press(&mut a, "y"),
        [Effect::Copy(
            "connect: Connection refused (os error 111)".into()
        )]
    );
}

#[test]
fn alerts_ack_and_snooze() {
    let mut a = app();
    press(&mut a, "3");
    assert_eq!(a.pane, Pane::Alerts);
    assert_eq!(press(&mut a, "a"), [Effect::Ack("status:asia-1".into())]);
    assert!(a.acked.contains_key("status:asia-1"));
    let e = press(&mut a, "j z");
    assert_eq!(
        e,
        [Effect::Snooze {
            id: "status:us-1".into(),
            until: T0 + 3600.0
        }]
    );
    assert_eq!(a.alerts().len(), 3);
    assert_eq!(a.snoozed_count(), 1);
    // The next alert took the snoozed one's place.
    assert_eq!(
        a.alerts_pane.selected.as_deref(),
        Some("chain_mismatch:bad-chain")
    );
    // An hour later it is back.
    btsops::tui::update(&mut a, btsops::tui::Msg::Tick(T0 + 3601.0));
    assert_eq!(a.alerts().len(), 4);
    // `a` is ack only in the alerts pane.
    press(&mut a, "1");
    assert!(press(&mut a, "a").is_empty());
}

#[test]
fn command_line_jumps_to_networks_nodes_and_panes() {
    let mut a = app();
    press(&mut a, ": testnet Enter");
    assert_eq!(a.tab.as_deref(), Some("testnet"));
    press(&mut a, ": net Space all Enter");
    assert_eq!(a.tab, None);
    press(&mut a, ": eu-2 Enter");
    assert_eq!(
        (a.pane, a.detail.node.as_deref()),
        (Pane::Detail, Some("eu-2"))
    );
    press(&mut a, ": events Enter");
    assert_eq!(a.pane, Pane::Events);
    press(&mut a, "Esc");
    assert_eq!(a.pane, Pane::Detail);
    press(&mut a, ": node Space nowhere Enter");
    assert!(
        a.notice
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("nowhere"))
    );
    press(&mut a, ": bogus Enter");
    assert!(
        a.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("unknown command"))
    );
    assert_eq!(press(&mut a, ": q Enter"), [Effect::Quit]);
}

#[test]
fn reload_without_config_says_so_and_with_one_asks_the_loop() {
    let mut a = app();
    assert!(press(&mut a, ": reload Enter").is_empty());
    assert!(a.notice.as_ref().is_some_and(|n| n.error));
    a.config_path = Some("/etc/btsops.toml".into());
    assert_eq!(press(&mut a, ": reload Enter"), [Effect::Reload]);
    btsops::tui::update(
        &mut a,
        btsops::tui::Msg::Reloaded(Err("x.toml:3:1: keys.quit: boom".into())),
    );
    let n = a.notice.clone().unwrap();
    assert!(n.error && n.text.contains("old config kept") && n.text.contains("x.toml:3"));
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut a = app();
    press(&mut a, "?");
    assert!(a.help_open());
    press(&mut a, "j j");
    assert_eq!(a.overlays, vec![Overlay::Help { scroll: 2 }]);
    // Navigation keys scroll the help, not the table behind it.
    assert_eq!(a.overview.selected, None);
    press(&mut a, "Esc");
    assert!(!a.help_open() && a.overlays.is_empty());
    press(&mut a, "? ?");
    assert!(!a.help_open());
}

#[test]
fn events_scroll_and_keep_place_when_new_ones_arrive() {
    let mut a = app();
    press(&mut a, "2 j j");
    assert_eq!(a.events_pane.scroll, 2);
    btsops::tui::update(
        &mut a,
        btsops::tui::Msg::Event(super::fleet::events()[0].clone()),
    );
    assert_eq!(a.events_pane.scroll, 3);
}

#[test]
fn replay_keys_work_only_while_replaying() {
    use btsops::tui::{Replay, ReplayCmd};
    let mut a = app();
    assert!(press(&mut a, "Space + . -").is_empty());
    a.replay = Some(Replay {
        paused: false,
        speed: 1.0,
        ended: false,
        span: (0.0, 0.0),
    });
    assert_eq!(
        press(&mut a, "Space"),
        [Effect::Replay(ReplayCmd::Pause(true))]
    );
    assert_eq!(
        press(&mut a, "+ +"),
        [
            Effect::Replay(ReplayCmd::Speed(2.0)),
            Effect::Replay(ReplayCmd::Speed(4.0))
        ]
    );
    assert_eq!(press(&mut a, "-"), [Effect::Replay(ReplayCmd::Speed(2.0))]);
    assert_eq!(
        press(&mut a, "Space ."),
        [
            Effect::Replay(ReplayCmd::Pause(false)),
            Effect::Replay(ReplayCmd::Step)
        ]
    );
    assert!(a.replay.as_ref().is_some_and(|r| r.paused));
    // In every pane.
    press(&mut a, "3");
    assert_eq!(
        press(&mut a, "Space"),
        [Effect::Replay(ReplayCmd::Pause(false))]
    );
}

#[test]
fn detail_keeps_the_last_distinct_errors() {
    use btsops::tui::{Msg, update};
    let mut a = app();
    for i in 0..30 {
        let mut s = super::fleet::snapshot(T0 + f64::from(i));
        // The same error twice in a row counts once.
        s.endpoints[3].last_error.as_mut().unwrap().time = T0 + f64::from(i / 2);
        update(&mut a, Msg::Snapshot(Box::new(s)));
    }
    let errs = &a.errors["asia-1"];
    assert_eq!(errs.len(), btsops::tui::app::ERRORS_KEPT);
    assert_eq!(errs.back().unwrap().time, T0 + 14.0);
}

/// Movement keys in node detail scroll the detail's own lists, not the events pane
/// behind it, which still opens at the newest event.
#[test]
fn detail_scrolls_itself_not_the_events_pane() {
    let mut a = app();
    press(&mut a, ": node Space us-1 Enter");
    assert_eq!(a.detail.node.as_deref(), Some("us-1"));
    let node_events = a.events_of(Some("us-1")).count();
    assert!(
        node_events >= 2,
        "fixture has {node_events} events for eu-1"
    );
    press(&mut a, "j j j j j j j j j j");
    assert_eq!(usize::from(a.detail.scroll), node_events - 1);
    assert_eq!(a.events_pane.scroll, 0);
    press(&mut a, "k");
    assert_eq!(usize::from(a.detail.scroll), node_events - 2);
    press(&mut a, "Esc 2");
    assert_eq!(a.events_pane.scroll, 0);
    // Another node starts at the top.
    press(&mut a, ": node Space eu-2 Enter");
    assert_eq!(a.detail.scroll, 0);
}

/// An error longer than the status bar is shown whole above it and stays until a key.
#[test]
fn a_long_error_is_shown_whole_until_a_key() {
    let mut a = app();
    press(
        &mut a,
        ": nosuchcommandwithaverylongnamethatnobodytypes Enter",
    );
    let screen = super::screens::render(&a);
    let text: String = screen.lines().take(24).collect::<Vec<_>>().join("");
    assert!(
        text.contains("type a network or node name") && text.contains("(any key closes)"),
        "{screen}"
    );
    btsops::tui::update(&mut a, btsops::tui::Msg::Tick(super::fleet::T0 + 3600.0));
    assert!(super::screens::render(&a).contains("(any key closes)"));
    press(&mut a, "j");
    assert!(!super::screens::render(&a).contains("(any key closes)"));
}
