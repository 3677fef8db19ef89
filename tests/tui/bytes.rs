//! What the terminal receives: nothing while nothing changes, little when a
//! little changes, each frame wrapped in synchronized output.

use btsops::theme::Theme;
use btsops::tui::terminal::{CountingWriter, Painter};
use btsops::tui::{Msg, update};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::fleet::{T0, app_with, snapshot};

/// Keeps what was written where the test can read it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Backend = CrosstermBackend<CountingWriter<Shared>>;

struct Screen {
    painter: Painter<Backend>,
    count: Arc<AtomicU64>,
    out: Shared,
}

fn painter() -> Screen {
    let out = Shared::default();
    let (w, count) = CountingWriter::new(out.clone());
    let painter = Painter::fixed(CrosstermBackend::new(w), Rect::new(0, 0, 80, 24)).unwrap();
    Screen {
        painter,
        count,
        out,
    }
}

fn frame(p: &mut Painter<Backend>, app: &btsops::tui::App) -> bool {
    if p.changed(app) {
        p.draw(app).unwrap();
        true
    } else {
        false
    }
}

fn written(s: &Screen) -> Vec<u8> {
    s.out.0.lock().unwrap().clone()
}

#[test]
fn paused_replay_writes_nothing_after_the_first_frame() {
    let mut app = app_with(Theme::default_theme(), 80, 24);
    let mut sc = painter();
    assert!(frame(&mut sc.painter, &app));
    let first = sc.count.load(Ordering::Relaxed);
    assert!(first > 500, "{first}");
    let out = written(&sc);
    assert!(
        out.starts_with(b"\x1b[?2026h"),
        "frame not in synchronized output"
    );
    assert!(out.ends_with(b"\x1b[?2026l"));
    // Paused: the same snapshot again and again, the clock standing still.
    for _ in 0..60 {
        update(&mut app, Msg::Snapshot(Box::new(snapshot(T0))));
        update(&mut app, Msg::Tick(T0 + 0.5));
        assert!(!frame(&mut sc.painter, &app));
    }
    assert_eq!(sc.count.load(Ordering::Relaxed), first);
}

#[test]
fn a_small_change_writes_a_small_frame_without_clearing() {
    let mut app = app_with(Theme::default_theme(), 80, 24);
    let mut sc = painter();
    frame(&mut sc.painter, &app);
    let first = sc.count.load(Ordering::Relaxed);
    let mut s = snapshot(T0);
    s.endpoints[0].head_num = Some(80_000_101);
    update(&mut app, Msg::Snapshot(Box::new(s)));
    assert!(frame(&mut sc.painter, &app));
    let out = written(&sc);
    let second = &out[first as usize..];
    assert!(
        second.len() < 200,
        "{} bytes: {:?}",
        second.len(),
        String::from_utf8_lossy(second)
    );
    assert!(!second.windows(4).any(|w| w == b"\x1b[2J"), "full clear");
}

#[test]
fn clock_ticks_redraw_at_most_once_a_second() {
    let mut app = app_with(Theme::default_theme(), 80, 24);
    let mut sc = painter();
    frame(&mut sc.painter, &app);
    let mut frames = 0;
    for i in 1..=40 {
        update(&mut app, Msg::Tick(T0 + f64::from(i) * 0.25));
        if frame(&mut sc.painter, &app) {
            frames += 1;
        }
    }
    assert!(frames <= 10, "{frames} frames in 10 s");
}

#[test]
fn sixty_seconds_of_fifty_nodes_stay_under_2kb_a_second_at_80x24() {
    let mut app = btsops::tui::App::new(Theme::default_theme(), btsops::tui::Keymap::defaults());
    update(&mut app, Msg::Resize(80, 24));
    update(&mut app, Msg::Tick(T0));
    update(
        &mut app,
        Msg::Snapshot(Box::new(super::fleet::busy_fleet(50, 0))),
    );
    let mut sc = painter();
    frame(&mut sc.painter, &app);
    let first = sc.count.load(Ordering::Relaxed);
    // Four snapshots a second (probes finish at different moments), as the engine
    // publishes them, and the frame pacing of the run loop (at most 20 a second).
    for i in 1..=60 {
        for q in 0..4 {
            let t = T0 + f64::from(i) + f64::from(q) * 0.25;
            update(&mut app, Msg::Tick(t));
            update(
                &mut app,
                Msg::Snapshot(Box::new(super::fleet::busy_fleet(50, i))),
            );
            frame(&mut sc.painter, &app);
        }
    }
    let per_second = (sc.count.load(Ordering::Relaxed) - first) / 60;
    assert!(per_second < 2000, "{per_second} B/s");
    eprintln!("busy fleet at 80x24: first frame {first} B, then {per_second} B/s");
}

/// A terminal whose size the test sets: ratatui's test backend, plus the `Write` the
/// painter needs for its synchronized-output markers (discarded).
struct Resizable(ratatui::backend::TestBackend);

impl Write for Resizable {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ratatui::backend::Backend for Resizable {
    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.0.draw(content)
    }
    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.0.hide_cursor()
    }
    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.0.show_cursor()
    }
    fn get_cursor_position(&mut self) -> std::io::Result<ratatui::layout::Position> {
        self.0.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> std::io::Result<()> {
        self.0.set_cursor_position(position)
    }
    fn clear(&mut self) -> std::io::Result<()> {
        self.0.clear()
    }
    fn size(&self) -> std::io::Result<ratatui::layout::Size> {
        self.0.size()
    }
    fn window_size(&mut self) -> std::io::Result<ratatui::backend::WindowSize> {
        self.0.window_size()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        ratatui::backend::Backend::flush(&mut self.0)
    }
}

/// A resize repaints at once, at the new size, even when no data changed: comparing
/// against the frame's old size used to skip it until something in the old corner did.
#[test]
fn a_resize_repaints_at_once_at_the_new_size() {
    let app = app_with(Theme::mono(), 80, 24);
    let mut painter =
        Painter::fullscreen(Resizable(ratatui::backend::TestBackend::new(80, 24))).unwrap();
    painter.draw(&app).unwrap();
    assert!(!painter.changed(&app), "nothing changed, nothing to draw");
    for (w, h) in [(120u16, 30u16), (60, 15)] {
        painter.backend_mut().0.resize(w, h);
        assert!(painter.changed(&app), "a resize to {w}x{h} must repaint");
        painter.draw(&app).unwrap();
        let buf = painter.backend().0.buffer();
        assert_eq!((buf.area.width, buf.area.height), (w, h));
        let last_row: String = (0..w).map(|x| buf[(x, h - 1)].symbol()).collect();
        assert!(
            last_row.contains("help"),
            "status bar not on row {h}: {last_row:?}"
        );
    }
}
