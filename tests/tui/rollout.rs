//! Version rollouts and regions on the overview: the network line counts each version
//! its API nodes run, a node off the majority is marked (and its detail says against
//! what), and a region summary sits under the table when the config names regions.

use btsops::monitor::{FleetSnapshot, VersionBracket};
use btsops::theme::Theme;
use btsops::tui::{App, Msg, update};

use super::fleet::{T0, app_with, press, snapshot};
use super::screens::render;

/// The hand-built fleet mid-rollout: eu-2 still runs 6.0.x; nodes and the LB-less
/// fleet placed in two regions.
fn rolling(theme: Theme, w: u16, h: u16) -> App {
    let mut app = app_with(theme, w, h);
    let mut s: FleetSnapshot = snapshot(T0);
    for e in &mut s.endpoints {
        e.region = Some(
            if e.name.starts_with("eu") {
                "eu"
            } else {
                "us-asia"
            }
            .to_string(),
        );
        if e.name == "eu-2" {
            e.version = VersionBracket {
                at_least: Some("6.0.0".into()),
                below: Some("6.1.0".into()),
                evidence: vec!["API methods of 6.0.0".into()],
            };
        }
    }
    btsops::monitor::rules::recount_networks(&mut s);
    update(&mut app, Msg::Snapshot(Box::new(s)));
    app
}

#[test]
fn the_rollout_and_the_node_left_behind_show() {
    let app = rolling(Theme::mono(), 200, 50);
    let mainnet = app
        .fleet
        .networks
        .iter()
        .find(|n| n.name == "mainnet")
        .expect("mainnet");
    assert_eq!(mainnet.majority_version(), Some(">=7.0.0"));
    let screen = render(&app);
    assert!(
        screen.contains("versions >=7.0.0 ×4, 6.0.0..6.1.0 ×1"),
        "{screen}"
    );
    assert!(screen.contains("≠6.0.0..6.1.0"), "{screen}");
    // Only the node off the majority is marked.
    assert_eq!(screen.matches('≠').count(), 1, "{screen}");
    assert!(screen.contains("regions"), "{screen}");
    assert!(screen.contains("eu         nodes "), "{screen}");
}

#[test]
fn rollout_screens() {
    for (w, h) in [(80, 24), (200, 50)] {
        let app = rolling(Theme::mono(), w, h);
        insta::assert_snapshot!(format!("rollout_overview_{w}x{h}"), render(&app));
        let mut detail = rolling(Theme::mono(), w, h);
        press(&mut detail, ": node Space eu-2 Enter");
        let screen = render(&detail);
        assert!(
            screen.contains("version ≠ majority >=7.0.0: ≥ 6.0.0 and < 6.1.0"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("rollout_detail_{w}x{h}"), screen);
    }
}

#[test]
fn the_filter_finds_a_region() {
    let mut app = rolling(Theme::mono(), 200, 50);
    press(&mut app, "/ us-asia Enter");
    let names: Vec<String> = app.rows().iter().map(|e| e.name.clone()).collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| !n.starts_with("eu")), "{names:?}");
}
