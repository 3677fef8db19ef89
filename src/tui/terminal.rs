//! The run loop and the terminal: raw mode and alternate screen in, always restored
//! out (exit, error, panic, SIGTERM, SIGHUP, SIGINT, SIGQUIT); a terminal that hangs
//! up ends the loop quietly; frames drawn only when their content changed, at most
//! ~20 a second, each wrapped in synchronized output (DEC 2026).

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream,
};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures_util::StreamExt;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::app::{App, Effect, Msg, update};
use super::keymap::Key;
use super::view;

/// Frames are at least this far apart.
pub const FRAME_GAP: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(
        "the console needs a terminal, and {0} is not one; for scripts and cron use `btsops check` (add --json for machine-readable output)"
    )]
    NoTty(&'static str),
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
    #[error("monitor: {0}")]
    Engine(String),
}

/// Counts every byte written through it, for the status bar's bytes/s figure and
/// for tests that hold the console to a byte budget.
pub struct CountingWriter<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W: Write> CountingWriter<W> {
    pub fn new(inner: W) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            CountingWriter {
                inner,
                count: count.clone(),
            },
            count,
        )
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Whether an I/O error means the terminal is gone: EIO is what a hung-up tty gives
/// (the SSH session dropped), ENXIO what opening `/dev/tty` gives then, EPIPE a closed
/// pipe in its place.
pub fn is_hangup(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
        || matches!(e.raw_os_error(), Some(libc::EIO) | Some(libc::ENXIO))
}

/// The console's way to the terminal. Once the terminal has hung up, writes are
/// dropped and the hang-up is flagged for the run loop to end on: an error would
/// otherwise surface in places that cannot handle it (ratatui prints one from its
/// `Drop` with `eprintln!`, which panics on the same dead terminal and aborts).
pub struct HangupWriter<W> {
    inner: W,
    gone: Arc<AtomicBool>,
}

impl<W: Write> HangupWriter<W> {
    pub fn new(inner: W) -> (Self, Arc<AtomicBool>) {
        let gone = Arc::new(AtomicBool::new(false));
        (
            HangupWriter {
                inner,
                gone: gone.clone(),
            },
            gone,
        )
    }

    fn check<T>(&self, r: io::Result<T>, gone_value: T) -> io::Result<T> {
        match r {
            Err(e) if is_hangup(&e) => {
                self.gone.store(true, Ordering::SeqCst);
                Ok(gone_value)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for HangupWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gone.load(Ordering::SeqCst) {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.check(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.gone.load(Ordering::SeqCst) {
            return Ok(());
        }
        let r = self.inner.flush();
        self.check(r, ())
    }
}

/// Draws `App` on a terminal, skipping frames that would look the same as the last.
pub struct Painter<B: Backend + Write> {
    terminal: Terminal<B>,
    last: Option<(Buffer, Option<Position>)>,
    pub frames: u64,
}

impl<B: Backend + Write> Painter<B> {
    /// A painter over the whole terminal, resizing with it.
    pub fn fullscreen(backend: B) -> io::Result<Self> {
        Ok(Painter {
            terminal: Terminal::new(backend)?,
            last: None,
            frames: 0,
        })
    }

    /// A painter over a fixed area (tests, benches): never asks the terminal its size.
    pub fn fixed(backend: B, area: Rect) -> io::Result<Self> {
        Ok(Painter {
            terminal: Terminal::with_options(
                backend,
                TerminalOptions {
                    viewport: Viewport::Fixed(area),
                },
            )?,
            last: None,
            frames: 0,
        })
    }

    pub fn backend(&self) -> &B {
        self.terminal.backend()
    }

    pub fn backend_mut(&mut self) -> &mut B {
        self.terminal.backend_mut()
    }

    /// Would a frame drawn now differ from the last one drawn?
    pub fn changed(&mut self, app: &App) -> bool {
        // Ask the terminal its size first: the frame's area is the size at the last
        // draw, and comparing against that missed every resize until something in the
        // old corner changed. A resize clears the screen, so the whole frame repaints.
        // (If the size can't be read, the last one stands.)
        let _ = self.terminal.autoresize();
        let area = self.terminal.get_frame().area();
        let Some((last, cursor)) = &self.last else {
            return true;
        };
        if last.area != area {
            return true;
        }
        let mut scratch = Buffer::empty(area);
        view::draw(app, area, &mut scratch);
        scratch != *last || view::cursor(app, area) != *cursor
    }

    /// Draws one frame (ratatui writes only the cells that differ from the last).
    pub fn draw(&mut self, app: &App) -> io::Result<()> {
        crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        let done = self.terminal.draw(|f| view::frame(app, f))?;
        let buffer = done.buffer.clone();
        let area = done.area;
        crossterm::queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        Write::flush(self.terminal.backend_mut())?;
        self.last = Some((buffer, view::cursor(app, area)));
        self.frames += 1;
        Ok(())
    }

    /// Clears the screen and forgets the last frame, so the next draw repaints all.
    pub fn invalidate(&mut self) -> io::Result<()> {
        self.terminal.clear()?;
        self.last = None;
        Ok(())
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal the
/// operator sits at, even through SSH and tmux (with `set-clipboard on`).
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// How `run` behaves.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Feed the wall clock into `App::now` every second. Off for replays, whose time
    /// comes from the recording (sent as `Msg::Tick` on the feed).
    pub wall_clock: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { wall_clock: true }
    }
}

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back as the shell expects it. Safe to call twice.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::terminal::disable_raw_mode();
        let mut out = io::stdout();
        let _ = crossterm::execute!(
            out,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Restores the terminal when dropped, whichever way `run` leaves.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn setup() -> io::Result<Guard> {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, or the panic message lands in the alternate screen and is lost.
        restore();
        prev(info);
    }));
    crossterm::terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    crossterm::execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::cursor::Hide
    )?;
    Ok(guard)
}

fn wall_clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Handles an effect the loop can carry out itself; hands the rest to the
/// integrator. Returns false to quit.
fn carry_out<B: Backend + Write>(
    e: Effect,
    app: &mut App,
    painter: &mut Painter<B>,
    effects: &mpsc::UnboundedSender<Effect>,
) -> io::Result<bool> {
    match e {
        Effect::Quit => return Ok(false),
        Effect::FullRedraw => painter.invalidate()?,
        Effect::AlertRaised(a) => {
            if app.bell {
                painter.backend_mut().write_all(b"\x07")?;
                Write::flush(painter.backend_mut())?;
            }
            // The integrator runs `alert_command`, if any.
            let _ = effects.send(Effect::AlertRaised(a));
        }
        Effect::Copy(text) => {
            let seq = osc52(&text);
            painter.backend_mut().write_all(seq.as_bytes())?;
            Write::flush(painter.backend_mut())?;
        }
        // A few hundred bytes, written on an operator's key press: in the loop, like
        // the reload, so a failure is on screen at once.
        Effect::SaveMarks(marks) => {
            if let Some(path) = &app.state_file {
                if let Err(e) = super::marks::save(path, &marks) {
                    app.notify(format!("acknowledgements and snoozes not kept: {e}"), true);
                }
            }
        }
        Effect::Reload => {
            let result = match &app.config_path {
                Some(p) => super::load(p, super::theme_no_color())
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
                None => Err("no config file".into()),
            };
            for e in update(app, Msg::Reloaded(result)) {
                if !carry_out(e, app, painter, effects)? {
                    return Ok(false);
                }
            }
        }
        other => {
            // The integrator may not listen (replay): nothing to do then.
            let _ = effects.send(other);
        }
    }
    Ok(true)
}

/// Fails with a pointer to `btsops check` unless stdin and stdout are a terminal.
pub fn require_tty() -> Result<(), TuiError> {
    if !io::stdout().is_terminal() {
        return Err(TuiError::NoTty("standard output"));
    }
    if !io::stdin().is_terminal() {
        return Err(TuiError::NoTty("standard input"));
    }
    Ok(())
}

/// Runs the console until the operator quits or a signal ends it. Engine data
/// arrives on `feed` (snapshots, events, raw replies); effects the loop cannot
/// carry out itself (ack, snooze, fetch raw reply, apply a reloaded config) go to
/// `effects`. The terminal is restored however this returns.
pub async fn run(
    mut app: App,
    mut feed: mpsc::Receiver<Msg>,
    effects: mpsc::UnboundedSender<Effect>,
    opts: Options,
) -> Result<App, TuiError> {
    require_tty()?;
    let _guard = setup()?;
    let (stdout, hung_up) = HangupWriter::new(io::stdout());
    let (writer, written) = CountingWriter::new(io::BufWriter::with_capacity(1 << 16, stdout));
    let mut painter = Painter::fullscreen(CrosstermBackend::new(writer))?;
    painter.invalidate()?;
    let (w, h) = crossterm::terminal::size()?;
    update(&mut app, Msg::Resize(w, h));
    if opts.wall_clock {
        update(&mut app, Msg::Tick(wall_clock()));
    }

    let mut keys = EventStream::new();
    use tokio::signal::unix::SignalKind;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    // Raw mode turns Ctrl-C and Ctrl-\ into keys, but `kill -INT` (or a SIGQUIT from a
    // supervisor) still arrives as a signal, whose default would leave the terminal raw.
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut feed_open = true;
    let mut dirty = true;
    // In the past, so the first frame goes out at once.
    let mut last_draw = Instant::now()
        .checked_sub(FRAME_GAP)
        .unwrap_or_else(Instant::now);
    let mut last_count = 0u64;
    let mut rate = 0u64;

    loop {
        let mut effects_now = Vec::new();
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(TermEvent::Key(k))) => {
                    if let Some(k) = Key::from_event(k) {
                        effects_now = update(&mut app, Msg::Key(k));
                    }
                }
                Some(Ok(TermEvent::Paste(s))) => effects_now = update(&mut app, Msg::Paste(s)),
                Some(Ok(TermEvent::Resize(w, h))) => effects_now = update(&mut app, Msg::Resize(w, h)),
                Some(Ok(_)) => {}
                // The terminal is gone (SSH dropped without a HUP reaching us).
                Some(Err(_)) | None => break,
            },
            msg = feed.recv(), if feed_open => match msg {
                Some(m) => effects_now = update(&mut app, m),
                None => feed_open = false,
            },
            _ = tick.tick() => {
                // A hung-up terminal gives no key event (crossterm keeps reading
                // nothing), and a paused screen draws nothing: ask once a second.
                // Its ioctls then fail with EIO, so it is no longer a terminal.
                if !io::stdout().is_terminal() {
                    break;
                }
                let total = written.load(Ordering::Relaxed);
                rate = total - last_count;
                last_count = total;
                if opts.wall_clock {
                    effects_now = update(&mut app, Msg::Tick(wall_clock()));
                }
            }
            _ = term.recv() => break,
            _ = hup.recv() => break,
            _ = int.recv() => break,
            _ = quit.recv() => break,
            _ = tokio::time::sleep_until(last_draw + FRAME_GAP), if dirty => {
                // The rate is taken only when something else changed: shown on its
                // own it would redraw to report the bytes of its own redraw.
                if painter.changed(&app) {
                    update(&mut app, Msg::TermRate(rate));
                    if let Err(e) = painter.draw(&app) {
                        // A terminal that hung up between frames fails the draw itself
                        // (its size can no longer be read): the session's end, not an
                        // error to exit 1 with.
                        if is_hangup(&e) || !io::stdout().is_terminal() {
                            break;
                        }
                        return Err(e.into());
                    }
                }
                if hung_up.load(Ordering::SeqCst) {
                    break;
                }
                last_draw = Instant::now();
                dirty = false;
                continue;
            }
        }
        dirty = true;
        for e in effects_now {
            if !carry_out(e, &mut app, &mut painter, &effects)? {
                return Ok(app);
            }
        }
        if hung_up.load(Ordering::SeqCst) {
            break;
        }
    }
    Ok(app)
}

fn signal(kind: tokio::signal::unix::SignalKind) -> io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose terminal hung up after `ok` bytes.
    struct DeadAfter {
        ok: usize,
        got: Vec<u8>,
    }

    impl Write for DeadAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.ok {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            self.got.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_hung_up_terminal_is_flagged_and_later_writes_dropped() {
        let (mut w, gone) = HangupWriter::new(DeadAfter {
            ok: 3,
            got: Vec::new(),
        });
        w.write_all(b"abc").unwrap();
        assert!(!gone.load(Ordering::SeqCst));
        w.write_all(b"def").unwrap();
        assert!(gone.load(Ordering::SeqCst));
        w.write_all(b"ghi").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.got, b"abc");
        // Other errors are still errors.
        assert!(!is_hangup(&io::Error::from(
            io::ErrorKind::PermissionDenied
        )));
    }

    #[test]
    fn osc52_carries_the_text_base64_encoded() {
        assert_eq!(osc52("ok"), "\x1b]52;c;b2s=\x07");
        // Control characters in an error message cannot escape the sequence.
        assert!(
            !osc52("a\x07b\x1b]")
                .trim_end_matches('\x07')
                .contains('\x07')
        );
    }
}
