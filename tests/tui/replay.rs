//! Feeding a recording into the console, as `btsops replay` will: time comes from
//! the recording, never the clock, so the screens are deterministic.

use std::path::PathBuf;

use btsops::theme::Theme;
use btsops::tui::{App, Keymap, Msg, update};

pub fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/monitor_faults.jsonl")
}

/// Seconds after the fixture's first replayed message (the `until` of `replayed`) when
/// `a` and the seed are both down: halfway between the later of their down events and
/// the earlier of their recoveries, read from the recording, so a regenerated fixture
/// keeps the incident screens honest.
pub fn incident_offset() -> f64 {
    use btsops::monitor::{Record, Recording, Status};
    let records = Recording::read_all(fixture()).expect("fixture reads");
    let events: Vec<_> = records
        .iter()
        .filter_map(|(_, r)| match r {
            Record::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let at = |name: &str, down: bool| {
        events
            .iter()
            .filter(|e| e.endpoint == name && (e.to == Status::Down) == down)
            .map(|e| e.time)
            .collect::<Vec<f64>>()
    };
    let down = ["a", "seed-1"]
        .iter()
        .map(|n| {
            at(n, true)
                .first()
                .copied()
                .unwrap_or_else(|| panic!("{n} never down"))
        })
        .fold(f64::MIN, f64::max);
    let back = ["a", "seed-1"]
        .iter()
        .filter_map(|n| at(n, false).into_iter().find(|t| *t > down))
        .fold(f64::MAX, f64::min);
    assert!(back > down, "a and the seed are never down together");
    let t0 = btsops::tui::replay::messages(&fixture()).expect("fixture")[0].0;
    (down + back.min(down + 2.0)) / 2.0 - t0
}

/// An app fed the fixture up to `until` (seconds after its first message), or all of it.
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
    // The help lists the replay keys while replaying.
    super::fleet::press(&mut app, "?");
    let mut s = super::screens::render(&app);
    for _ in 0..80 {
        if s.contains(":step") {
            break;
        }
        super::fleet::press(&mut app, "j");
        s = super::screens::render(&app);
    }
    assert!(s.contains(":step"), "{s}");
}

/// The fixture with an unknown record type after line 3 and a last line cut short,
/// as a recorder stopped mid-write leaves it (cut inside a UTF-8 character, too).
fn damaged(dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
        if i == 2 {
            out.extend_from_slice(b"{\"t\":1795645859.5,\"type\":\"telemetry\",\"x\":1}\n");
        }
    }
    let last = lines[lines.len() - 1];
    out.extend_from_slice(&last.as_bytes()[..last.len() / 2]);
    out.extend_from_slice(b"\"r\xc3");
    let path = dir.join("damaged.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn replay_skips_bad_lines_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = damaged(dir.path());
    // The damaged copy's last line: the fixture's lines plus the two bad ones.
    let n = std::fs::read_to_string(fixture())
        .expect("fixture")
        .lines()
        .count()
        + 2;
    // The strict reader still refuses the file, for code that wants all or nothing.
    assert!(btsops::tui::replay::messages(&path).is_err());

    let p = btsops::tui::replay::playable(&path).unwrap();
    let good = btsops::tui::replay::messages(&fixture()).unwrap();
    assert_eq!(p.messages.len(), good.len());
    let file = path.display();
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert!(
        p.warnings[0].starts_with(&format!(
            "warning: {file}:4: skipped, not a recording line: unknown variant `telemetry`"
        )),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings[1].starts_with(&format!(
            "warning: {file}:{n}: skipped, not a recording line: "
        )),
        "{:?}",
        p.warnings
    );
}

#[test]
fn replay_of_only_bad_lines_has_nothing_and_counts_past_a_few() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.jsonl");
    std::fs::write(&path, "not json\n".repeat(8)).unwrap();
    let p = btsops::tui::replay::playable(&path).unwrap();
    assert!(p.messages.is_empty());
    let max = btsops::tui::replay::MAX_WARNINGS;
    assert_eq!(p.warnings.len(), max + 1, "{:?}", p.warnings);
    assert_eq!(
        p.warnings[max],
        format!(
            "warning: {}: {} more bad lines skipped",
            path.display(),
            8 - max
        )
    );
}

fn replaying(mut app: App, paused: bool) -> App {
    let msgs = btsops::tui::replay::messages(&fixture()).unwrap();
    let (first, last) = (msgs[0].0, msgs[msgs.len() - 1].0);
    app.replay = Some(btsops::tui::Replay {
        paused,
        speed: 1.0,
        ended: false,
        span: (first, last),
    });
    app
}

/// ←/→ seek by 10 s within the recording, g/G go to its ends (Home/End still move the
/// selection), and Space at the end plays it again from the start.
#[test]
fn replay_keys_seek_and_restart() {
    use btsops::tui::{Effect, ReplayCmd};
    let mut app = replaying(replayed(Theme::mono(), 80, 24, Some(12.0)), false);
    let (first, last) = app.replay.as_ref().unwrap().span;
    let now = app.now;
    let seek = |t: f64| vec![Effect::Replay(ReplayCmd::Seek(t))];
    assert_eq!(super::fleet::press(&mut app, "Left"), seek(now - 10.0));
    assert_eq!(
        super::fleet::press(&mut app, "Right"),
        seek((now + 10.0).min(last))
    );
    assert_eq!(super::fleet::press(&mut app, "g"), seek(first));
    assert_eq!(super::fleet::press(&mut app, "G"), seek(last));
    // Not before the start.
    let mut early = replaying(replayed(Theme::mono(), 80, 24, Some(2.0)), false);
    assert_eq!(super::fleet::press(&mut early, "Left"), seek(first));
    // Home and End still move through the rows.
    super::fleet::press(&mut app, "End");
    let rows = app.rows();
    assert_eq!(app.selected_index(&rows), rows.len() - 1);
    drop(rows);
    // At the end, Space plays it again.
    update(&mut app, Msg::ReplayEnded);
    assert!(super::screens::render(&app).contains("END (Space restarts)"));
    assert_eq!(
        super::fleet::press(&mut app, "Space"),
        [
            Effect::Replay(ReplayCmd::Pause(false)),
            Effect::Replay(ReplayCmd::Seek(first))
        ]
    );
    let r = app.replay.as_ref().unwrap();
    assert!(!r.ended && !r.paused);
}

/// The driver and the console together: seeking back forgets what was shown and
/// shows the recording as it stood then; forward jumps; after the end, from the start.
#[tokio::test(start_paused = true)]
async fn replay_seeks_back_and_forward_through_the_recording() {
    use btsops::tui::{Effect, ReplayCmd};
    use tokio::sync::mpsc;
    use tokio::time::{Duration, timeout};
    let msgs = btsops::tui::replay::messages(&fixture()).unwrap();
    let (first, last) = (msgs[0].0, msgs[msgs.len() - 1].0);
    let events_until = |t: f64| {
        msgs.iter()
            .filter(|(at, m)| *at <= t && matches!(m, Msg::Event(_)))
            .count()
    };
    let mut app = replaying(App::new(Theme::mono(), Keymap::defaults()), true);
    update(&mut app, Msg::Resize(80, 24));
    let (tx, mut rx) = mpsc::channel(64);
    let (etx, erx) = mpsc::unbounded_channel();
    let driver = tokio::spawn(btsops::tui::replay::drive(msgs.clone(), tx, erx, true, 1.0));
    // Feeds the console until the driver waits for an order (time is paused, so the
    // timeout fires only once every task is idle).
    async fn settle(app: &mut App, rx: &mut mpsc::Receiver<Msg>) {
        for _ in 0..100_000 {
            match timeout(Duration::from_secs(1), rx.recv()).await {
                Ok(Some(m)) => {
                    update(app, m);
                }
                _ => return,
            }
        }
        panic!("the driver never stopped sending");
    }
    settle(&mut app, &mut rx).await;
    assert_eq!(app.events.len(), events_until(first));
    // Forward to the end: everything, and the end is said.
    etx.send(Effect::Replay(ReplayCmd::Seek(last))).unwrap();
    settle(&mut app, &mut rx).await;
    assert_eq!(app.events.len(), events_until(last));
    assert!(app.replay.as_ref().unwrap().ended);
    // Back to 4 s in: the console shows the recording as it stood then.
    let back = first + 4.0;
    let key_effects = super::fleet::press(&mut app, "g");
    assert_eq!(key_effects, [Effect::Replay(ReplayCmd::Seek(first))]);
    etx.send(Effect::Replay(ReplayCmd::Seek(back))).unwrap();
    settle(&mut app, &mut rx).await;
    assert_eq!(app.events.len(), events_until(back));
    assert!(app.events.len() < events_until(last));
    assert_eq!(app.now, back.floor());
    assert!(!app.replay.as_ref().unwrap().ended);
    let shown = app.fleet.time;
    assert!(shown <= back && shown > first, "{shown}");
    // The timeline shows where it stands.
    let screen = super::screens::render(&app);
    assert!(
        screen.lines().nth(22).is_some_and(|l| l.contains('●')),
        "{screen}"
    );
    drop(etx);
    timeout(Duration::from_secs(5), driver)
        .await
        .expect("the driver ends with the console")
        .unwrap();
}

/// A paused replay's timeline, both sizes, every theme.
#[test]
fn replay_timeline_screens() {
    for (theme_name, theme) in super::screens::themes() {
        for (w, h) in [(80, 24), (200, 50)] {
            let app = replaying(replayed(theme.clone(), w, h, Some(9.0)), true);
            insta::assert_snapshot!(
                format!("replay_timeline_{w}x{h}_{theme_name}"),
                super::screens::render(&app)
            );
        }
    }
}

/// Skipped lines are shown in the console, above the replay, until a key; so is a
/// recording without any snapshot.
#[test]
fn replay_notes_show_in_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let path = damaged(dir.path());
    let p = btsops::tui::replay::playable(&path).unwrap();
    let mut app = replaying(App::new(Theme::mono(), Keymap::defaults()), true);
    update(&mut app, Msg::Resize(120, 24));
    btsops::tui::replay::show_notes(&mut app, &path, &p.warnings, &p.messages);
    let s = super::screens::render(&app);
    assert!(
        s.contains("skipped, not a recording line") && s.contains("(any key closes)"),
        "{s}"
    );
    super::fleet::press(&mut app, "j");
    assert!(!super::screens::render(&app).contains("skipped"));
    // Events only.
    let events: Vec<(f64, Msg)> = p
        .messages
        .into_iter()
        .filter(|(_, m)| matches!(m, Msg::Event(_)))
        .collect();
    let mut app = replaying(App::new(Theme::mono(), Keymap::defaults()), true);
    update(&mut app, Msg::Resize(80, 24));
    btsops::tui::replay::show_notes(&mut app, &path, &[], &events);
    let s = super::screens::render(&app);
    assert!(s.contains("has no snapshot"), "{s}");
    super::fleet::press(&mut app, "j");
    let s = super::screens::render(&app);
    assert!(s.contains("no snapshot in the recording yet"), "{s}");
    assert!(!s.contains("waiting for the first probe"), "{s}");
}
