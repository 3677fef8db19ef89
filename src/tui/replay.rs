//! Plays a recording into the console: its records at their recorded pace (scaled
//! by the speed), the time in `App` taken from the recording, pause and step.

use std::path::Path;

use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use super::app::{App, Effect, Msg, Replay, ReplayCmd};
use super::overlay::Overlay;
use super::terminal::{self, Options, TuiError};
use crate::monitor::{Record, RecordError, Recording};

/// Skipped lines named one by one before the rest are only counted: a badly damaged
/// file must not bury the terminal in warnings.
pub const MAX_WARNINGS: usize = 5;

/// A recording as the console's messages: (recording time, message).
pub fn messages(path: &Path) -> Result<Vec<(f64, Msg)>, RecordError> {
    Ok(to_messages(Recording::read_all(path)?))
}

/// A recording read past its bad lines, for `btsops replay`.
#[derive(Debug)]
pub struct Playable {
    pub messages: Vec<(f64, Msg)>,
    /// One line per skipped line, up to [`MAX_WARNINGS`], then a count of the rest.
    pub warnings: Vec<String>,
}

/// Like [`messages`], but a line that is not a recording line is skipped with a
/// warning instead of failing the whole file. An empty result is the caller's to refuse.
pub fn playable(path: &Path) -> Result<Playable, RecordError> {
    let salvaged = Recording::read_lenient(path)?;
    let file = path.display();
    let mut warnings: Vec<String> = salvaged
        .skipped
        .iter()
        .take(MAX_WARNINGS)
        .map(|(line, why)| format!("warning: {file}:{line}: skipped, not a recording line: {why}"))
        .collect();
    let rest = salvaged.skipped.len().saturating_sub(MAX_WARNINGS);
    if rest > 0 {
        warnings.push(format!("warning: {file}: {rest} more bad lines skipped"));
    }
    Ok(Playable {
        messages: to_messages(salvaged.records),
        warnings,
    })
}

/// Puts what the operator should know about the recording on the screen the replay
/// opens with, until a key: the lines skipped, and that it has no snapshot when so
/// (the overview then stays empty, which would look like a console still waiting).
pub fn show_notes(app: &mut App, path: &Path, warnings: &[String], records: &[(f64, Msg)]) {
    let mut notes = warnings.to_vec();
    if !records.iter().any(|(_, m)| matches!(m, Msg::Snapshot(_))) {
        notes.push(format!(
            "{}: this recording has no snapshot, only {} events: the overview stays empty; \
             the events pane ({}) lists them",
            path.display(),
            records.len(),
            app.keymap.hint(super::commands::CommandId::Events)
        ));
    }
    if !notes.is_empty() {
        app.overlays.push(Overlay::Error(notes.join("\n")));
    }
}

fn to_messages(records: Vec<(f64, Record)>) -> Vec<(f64, Msg)> {
    records
        .into_iter()
        .filter_map(|(t, r)| match r {
            Record::Start { .. } => None,
            Record::Snapshot(s) => Some((t, Msg::Snapshot(Box::new(s)))),
            Record::Event(e) => Some((t, Msg::Event(e))),
        })
        .collect()
}

/// Runs the console on a recording until the operator quits.
pub async fn run(mut app: App, records: Vec<(f64, Msg)>, start: Replay) -> Result<App, TuiError> {
    terminal::require_tty()?;
    let (tx, rx) = mpsc::channel(256);
    let (etx, erx) = mpsc::unbounded_channel();
    let (paused, speed) = (start.paused, start.speed);
    app.replay = Some(start);
    let opts = Options { wall_clock: false };
    let (result, ()) = tokio::join!(
        terminal::run(app, rx, etx, opts),
        drive(records, tx, erx, paused, speed)
    );
    result
}

/// Sends `records` into `tx` at their pace, obeying `Effect::Replay` orders, until
/// the console closes its effect channel.
pub async fn drive(
    records: Vec<(f64, Msg)>,
    tx: mpsc::Sender<Msg>,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    mut paused: bool,
    mut speed: f64,
) {
    // The next record to send.
    let mut next = 0;
    // The recording's clock: where playback stands, in recording seconds.
    let mut now = records.first().map(|(t, _)| *t).unwrap_or(0.0);
    let mut step = false;
    let mut ended = false;
    loop {
        // Deliver everything due; a step delivers up to and including one snapshot.
        while let Some((t, msg)) = records.get(next) {
            if *t > now && !step {
                break;
            }
            next += 1;
            now = now.max(*t);
            let was_snapshot = matches!(msg, Msg::Snapshot(_));
            if tx.send(Msg::Tick(*t)).await.is_err() || tx.send(msg.clone()).await.is_err() {
                return;
            }
            if step && was_snapshot {
                step = false;
            }
        }
        step = false;
        if next >= records.len() && !ended {
            ended = true;
            if tx.send(Msg::ReplayEnded).await.is_err() {
                return;
            }
        }
        let wait = match records.get(next) {
            Some((t, _)) if !paused => Some(Duration::from_secs_f64(((t - now) / speed).max(0.0))),
            _ => None,
        };
        let started = Instant::now();
        let order = match wait {
            Some(d) => tokio::select! {
                o = effects.recv() => o.map(Some),
                _ = tokio::time::sleep(d) => Some(None),
            },
            None => effects.recv().await.map(Some),
        };
        let Some(order) = order else {
            return;
        };
        if !paused {
            now += started.elapsed().as_secs_f64() * speed;
        }
        match order {
            // The wait ran out: the next record is due.
            None => {
                if let Some((t, _)) = records.get(next) {
                    now = now.max(*t);
                }
            }
            Some(Effect::Replay(ReplayCmd::Pause(p))) => paused = p,
            Some(Effect::Replay(ReplayCmd::Speed(s))) => speed = s,
            Some(Effect::Replay(ReplayCmd::Step)) => {
                paused = true;
                step = true;
            }
            Some(Effect::Replay(ReplayCmd::Seek(to))) => {
                // Back: the console forgets, and the records up to `to` come again,
                // at once (the loop above sends everything due).
                if to < now {
                    if tx.send(Msg::ReplayRewound).await.is_err() {
                        return;
                    }
                    next = 0;
                }
                now = to;
                ended = false;
                // The clock shows the position even where no record falls on it.
                if tx.send(Msg::Tick(to)).await.is_err() {
                    return;
                }
            }
            // `update` refuses actions while replaying; one that got here anyway is
            // said out loud, never dropped in silence.
            Some(Effect::Action(plan)) => {
                let text = format!(
                    "{}: not sent: this is a replay of a recording, not the live fleet",
                    plan.title
                );
                if tx.send(Msg::Notice { text, error: true }).await.is_err() {
                    return;
                }
            }
            // Acks and the like have no engine to go to in a replay.
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::FleetSnapshot;

    fn snap(t: f64) -> (f64, Msg) {
        let mut s = FleetSnapshot::empty();
        s.time = t;
        (t, Msg::Snapshot(Box::new(s)))
    }

    async fn next_snapshot_time(rx: &mut mpsc::Receiver<Msg>) -> f64 {
        loop {
            match rx.recv().await {
                Some(Msg::Snapshot(s)) => return s.time,
                Some(_) => {}
                None => return -1.0,
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn plays_at_pace_pauses_and_steps() {
        let (tx, mut rx) = mpsc::channel(64);
        let (etx, erx) = mpsc::unbounded_channel();
        let records = (0..10).map(|i| snap(100.0 + f64::from(i))).collect();
        let driver = tokio::spawn(drive(records, tx, erx, false, 1.0));
        assert_eq!(next_snapshot_time(&mut rx).await, 100.0);
        let t = Instant::now();
        assert_eq!(next_snapshot_time(&mut rx).await, 101.0);
        assert!(t.elapsed() >= Duration::from_millis(990));
        // Four times as fast: a record every quarter second.
        etx.send(Effect::Replay(ReplayCmd::Speed(4.0))).unwrap();
        let t = Instant::now();
        assert_eq!(next_snapshot_time(&mut rx).await, 102.0);
        assert!(
            t.elapsed() <= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
        // Paused: nothing comes, however long we wait.
        etx.send(Effect::Replay(ReplayCmd::Pause(true))).unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        let mut got = Vec::new();
        while let Ok(m) = rx.try_recv() {
            got.push(m);
        }
        assert!(
            got.iter()
                .all(|m| !matches!(m, Msg::Snapshot(s) if s.time > 103.0))
        );
        // A step brings exactly the next snapshot.
        let before = got
            .iter()
            .filter_map(|m| match m {
                Msg::Snapshot(s) => Some(s.time),
                _ => None,
            })
            .fold(102.0, f64::max);
        etx.send(Effect::Replay(ReplayCmd::Step)).unwrap();
        assert_eq!(next_snapshot_time(&mut rx).await, before + 1.0);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(rx.try_recv().is_err());
        drop(etx);
        driver.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn says_when_the_recording_ends() {
        let (tx, mut rx) = mpsc::channel(64);
        let (_etx, erx) = mpsc::unbounded_channel();
        tokio::spawn(drive(vec![snap(1.0), snap(2.0)], tx, erx, false, 64.0));
        let mut ended = false;
        while let Some(m) = rx.recv().await {
            if matches!(m, Msg::ReplayEnded) {
                ended = true;
                break;
            }
        }
        assert!(ended);
    }
}
