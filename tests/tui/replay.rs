//! Feeding a recording into the console, as `btsops replay` will: time comes from
//! the recording, never the clock, so the screens are deterministic.

use std::path::PathBuf;

use btsops::theme::Theme;
use btsops::tui::{App, Keymap, Msg, update};

pub fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/monitor_faults.jsonl")
}

/// An app fed the fixture up to `until` (seconds after its first record), or all of it.
pub fn replayed(theme: Theme, w: u16, h: u16, until: Option<f64>) -> App {
    let mut app = App::new(theme, Keymap::defaults());
    update(&mut app, Msg::Resize(w, h));
    let msgs = btsops::tui::replay::messages(&fixture()).unwrap();
    let t0 = msgs.first().map(|(t, _)| *t).unwrap_or(0.0);
    for (t, m) in msgs {
        if until.is_some_and(|u| t - t0 > u) {
            break;
        }
        update(&mut app, Msg::Tick(t));
        update(&mut app, m);
    }
    app
}

#[test]
fn fixture_replays_to_its_last_state() {
    let app = replayed(Theme::default_theme(), 80, 24, None);
    let names: Vec<_> = app.rows().iter().map(|e| e.name.clone()).collect();
    assert_eq!(names[0], "lagging", "worst first: {names:?}");
    assert!(app.events.len() >= 10);
    assert!(!app.fleet.alerts.is_empty());
}

#[test]
fn paused_replay_screen_shows_its_state() {
    let mut app = replayed(Theme::mono(), 80, 24, Some(3.0));
    let msgs = btsops::tui::replay::messages(&fixture()).unwrap();
    let (first, last) = (msgs[0].0, msgs[msgs.len() - 1].0);
    app.replay = Some(btsops::tui::Replay {
        paused: true,
        speed: 4.0,
        ended: false,
        span: (first, last),
    });
    let s = super::screens::render(&app);
    // Paused at most three seconds into the recording, with its whole length beside.
    let at = (app.now - first) as u64;
    assert!(at <= 3, "{at}");
    let len = (last - first) as u64;
    let position = format!("REPLAY PAUSED x4 0:{at:02}/{}:{:02}", len / 60, len % 60);
    assert!(
        s.lines().nth(23).is_some_and(|l| l.contains(&position)),
        "{position} missing:\n{s}"
    );
    super::fleet::press(&mut app, "?");
    for _ in 0..40 {
        super::fleet::press(&mut app, "j");
    }
    let s = super::screens::render(&app);
    assert!(s.contains(":step"), "{s}");
}
