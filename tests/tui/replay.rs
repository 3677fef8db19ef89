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
