//! `--record FILE`: snapshots and events as JSON lines, each with its time, and a reader
//! that replays them with time taken from the stream (never the clock), so a replay is
//! deterministic.
//!
//! Line shape: `{"t": <unix seconds>, "type": "start" | "snapshot" | "event", ...}` with
//! the record's own fields beside `t` and `type`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use serde::{Deserialize, Serialize};

use super::model::{Event, FleetSnapshot};
use crate::text;

/// Lines queued for the writer thread; beyond this, lines are dropped (and counted)
/// rather than slowing the engine.
const QUEUE: usize = 1024;

/// Format version written in the start record.
pub const FORMAT: u32 = 1;

/// What a recording holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// First line: what produced the recording.
    Start {
        format: u32,
        btsops: String,
        probe_interval_ms: u64,
    },
    Snapshot(FleetSnapshot),
    Event(Event),
}

#[derive(Serialize, Deserialize)]
struct Line {
    t: f64,
    #[serde(flatten)]
    record: Record,
}

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a recording line: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The recording lost lines: writing failed (a full disk), or the writer fell
    /// behind and the queue overflowed.
    #[error("{path}: recording incomplete, {dropped} line(s) not written: {}", why(.source))]
    Incomplete {
        path: PathBuf,
        dropped: u64,
        source: Option<std::io::Error>,
    },
}

fn why(source: &Option<std::io::Error>) -> String {
    match source {
        Some(e) => e.to_string(),
        None => "the disk did not keep up".into(),
    }
}

/// Appends records to a file from a background thread.
pub struct Recorder {
    path: PathBuf,
    tx: Option<SyncSender<String>>,
    dropped: Arc<AtomicU64>,
    /// Ends with the first write error, if any.
    thread: Option<std::thread::JoinHandle<Option<std::io::Error>>>,
}

impl Recorder {
    /// Creates (truncates) `path` and starts the writer thread.
    pub fn create(path: &Path) -> Result<Recorder, RecordError> {
        let file = File::create(path).map_err(|source| RecordError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (tx, rx) = sync_channel::<String>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let lost = Arc::clone(&dropped);
        let thread = std::thread::Builder::new()
            .name("btsops-record".into())
            .spawn(move || write_loop(rx, BufWriter::new(file), &lost))
            .map_err(|source| RecordError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Recorder {
            path: path.to_path_buf(),
            tx: Some(tx),
            dropped,
            thread: Some(thread),
        })
    }

    /// Queues one record; never blocks.
    pub fn write(&self, t: f64, record: &Record) {
        let line = Line {
            t,
            record: record.clone(),
        };
        let Ok(text) = serde_json::to_string(&line) else {
            return;
        };
        let Some(tx) = &self.tx else { return };
        match tx.try_send(text) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes out everything queued and closes the file; an error when any line was
    /// lost, with the count. Blocks until done, so call it at the end of a run (e.g.
    /// before `check` exits), not from the engine loop.
    pub fn finish(mut self) -> Result<(), RecordError> {
        self.tx = None;
        let source = match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(e)) => e,
            Some(Err(_)) => Some(std::io::Error::other("the recording thread panicked")),
            None => None,
        };
        let dropped = self.dropped();
        if source.is_none() && dropped == 0 {
            return Ok(());
        }
        Err(RecordError::Incomplete {
            path: self.path.clone(),
            dropped,
            source,
        })
    }

    /// Lines dropped because the writer fell behind or failed.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Writes lines until the channel closes. On the first error it stops writing and
/// counts as dropped the lines not yet flushed and every line still to come (draining
/// the queue, so the engine never sees it full), and returns the error.
fn write_loop(
    rx: Receiver<String>,
    mut out: BufWriter<File>,
    dropped: &AtomicU64,
) -> Option<std::io::Error> {
    // Lines in `out`'s buffer: written only once a flush succeeds.
    let mut unflushed = 0u64;
    let mut result = Ok(());
    'outer: while let Ok(line) = rx.recv() {
        // Flush when the queue is drained, so a crash loses at most what was queued.
        let mut next = Some(line);
        while let Some(l) = next {
            unflushed += 1;
            if let Err(e) = writeln!(out, "{l}") {
                result = Err(e);
                break 'outer;
            }
            next = rx.try_recv().ok();
        }
        if let Err(e) = out.flush() {
            result = Err(e);
            break;
        }
        unflushed = 0;
    }
    if result.is_ok() {
        result = out.flush();
        if result.is_ok() {
            unflushed = 0;
        }
    }
    let err = result.err()?;
    dropped.fetch_add(unflushed, Ordering::Relaxed);
    for _ in rx.iter() {
        dropped.fetch_add(1, Ordering::Relaxed);
    }
    // The buffered lines are counted as lost; don't let the drop retry the write.
    let (_, _) = out.into_parts();
    Some(err)
}

/// A recording being read: an iterator of `(t, Record)` in file order.
pub struct Recording {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    line_no: usize,
}

impl Recording {
    pub fn open(path: impl AsRef<Path>) -> Result<Recording, RecordError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| RecordError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Recording {
            path,
            lines: BufReader::new(file).lines(),
            line_no: 0,
        })
    }

    /// Every record, or the first error.
    pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<(f64, Record)>, RecordError> {
        Recording::open(path)?.collect()
    }

    /// Every good record, and the lines that were skipped. A recorder stopped
    /// mid-write leaves a truncated last line (maybe cut inside a UTF-8 character),
    /// and a newer btsops may write record types this one does not know; neither
    /// should cost an incident review the rest of the file. Other I/O errors still fail.
    pub fn read_lenient(path: impl AsRef<Path>) -> Result<Salvaged, RecordError> {
        let mut out = Salvaged::default();
        let mut recording = Recording::open(path)?;
        while let Some(item) = recording.next() {
            match item {
                Ok(r) => out.records.push(r),
                Err(RecordError::Parse { line, message, .. }) => out.skipped.push((line, message)),
                Err(RecordError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::InvalidData =>
                {
                    // `lines()` has consumed the bad line, so reading can go on.
                    out.skipped.push((recording.line_no, source.to_string()))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// What [`Recording::read_lenient`] could read.
#[derive(Debug, Default)]
pub struct Salvaged {
    pub records: Vec<(f64, Record)>,
    /// (1-based line number, why it is not a recording line).
    pub skipped: Vec<(usize, String)>,
}

/// Parses one recording line. Its text is made safe for a terminal on the way in: a
/// recording may come from anywhere (an older btsops, a colleague, a hand edit), and a
/// replay shows it like live node text (see [`crate::text`]).
pub fn parse_line(text: &str) -> Result<(f64, Record), String> {
    let mut l: Line = serde_json::from_str(text).map_err(|e| e.to_string())?;
    clean_text(&mut l.record);
    Ok((l.t, l.record))
}

/// Every free-text field of a record through [`text::node_text`]; clean text is kept
/// as it is.
fn clean_text(record: &mut Record) {
    fn clean(s: &mut String) {
        if !text::is_clean(s) || s.chars().count() > text::MAX_NODE_TEXT {
            *s = text::node_text(s);
        }
    }
    match record {
        Record::Start { btsops, .. } => clean(btsops),
        Record::Event(e) => {
            for s in [&mut e.endpoint, &mut e.network, &mut e.reason] {
                clean(s);
            }
        }
        Record::Snapshot(snap) => {
            for e in &mut snap.endpoints {
                for s in [&mut e.name, &mut e.network, &mut e.url] {
                    clean(s);
                }
                let optional = [
                    &mut e.chain_id,
                    &mut e.head_id,
                    &mut e.info,
                    &mut e.seed_key,
                ];
                optional.into_iter().flatten().for_each(clean);
                if let Some(le) = &mut e.last_error {
                    clean(&mut le.message);
                    clean(&mut le.kind);
                }
                e.reasons
                    .iter_mut()
                    .chain(e.api_sets.iter_mut())
                    .for_each(clean);
            }
            for n in &mut snap.networks {
                clean(&mut n.name);
            }
            for a in &mut snap.alerts {
                for s in [&mut a.id, &mut a.endpoint, &mut a.message] {
                    clean(s);
                }
            }
        }
    }
}

impl Iterator for Recording {
    type Item = Result<(f64, Record), RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.lines.next()?;
            self.line_no += 1;
            let line = match line {
                Ok(l) => l,
                Err(source) => {
                    return Some(Err(RecordError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(parse_line(&line).map_err(|message| RecordError::Parse {
                path: self.path.clone(),
                line: self.line_no,
                message,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::model::Status;

    #[test]
    fn lines_round_trip() {
        let ev = Record::Event(Event {
            time: 12.5,
            endpoint: "a".into(),
            network: "n".into(),
            from: Status::Ok,
            to: Status::Down,
            reason: "no answer".into(),
        });
        let text = serde_json::to_string(&Line {
            t: 12.5,
            record: ev.clone(),
        })
        .unwrap();
        assert!(text.starts_with(r#"{"t":12.5,"type":"event""#), "{text}");
        assert_eq!(parse_line(&text).unwrap(), (12.5, ev));
        let snap = Record::Snapshot(FleetSnapshot::empty());
        let text = serde_json::to_string(&Line {
            t: 1.0,
            record: snap.clone(),
        })
        .unwrap();
        assert_eq!(parse_line(&text).unwrap(), (1.0, snap));
        assert!(parse_line("{\"t\":1}").is_err());
    }

    #[test]
    fn replayed_text_is_made_safe() {
        let ev = Event {
            time: 1.0,
            endpoint: "eu\x1b[2J".into(),
            network: "mainnet".into(),
            from: Status::Ok,
            to: Status::Down,
            reason: format!("forged\r\nok line{}", "z".repeat(5000)),
        };
        let line = serde_json::to_string(&Line {
            t: 1.0,
            record: Record::Event(ev),
        })
        .unwrap();
        let Ok((_, Record::Event(e))) = parse_line(&line) else {
            panic!("not an event");
        };
        assert_eq!(e.endpoint, "eu\u{fffd}[2J");
        assert!(text::is_clean(&e.reason));
        assert!(e.reason.starts_with("forged  ok line"));
        assert_eq!(e.reason.chars().count(), text::MAX_NODE_TEXT + 1);
    }

    #[test]
    fn recorder_writes_what_the_reader_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let r = Recorder::create(&path).unwrap();
        r.write(
            1.0,
            &Record::Start {
                format: FORMAT,
                btsops: "test".into(),
                probe_interval_ms: 1000,
            },
        );
        r.write(2.0, &Record::Snapshot(FleetSnapshot::empty()));
        r.finish().unwrap();
        let got = Recording::read_all(&path).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, 2.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_an_error_counting_every_lost_line() {
        let r = Recorder::create(Path::new("/dev/full")).unwrap();
        for i in 0..5 {
            r.write(f64::from(i), &Record::Snapshot(FleetSnapshot::empty()));
        }
        let e = r.finish().unwrap_err();
        let text = e.to_string();
        assert!(
            matches!(
                &e,
                RecordError::Incomplete {
                    dropped: 5,
                    source: Some(_),
                    ..
                }
            ),
            "{text}"
        );
        assert!(
            text.contains("/dev/full") && text.contains("5 line(s)"),
            "{text}"
        );
    }

    #[test]
    fn lenient_reader_skips_bad_lines_and_reads_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let snap = serde_json::to_string(&Line {
            t: 1.0,
            record: Record::Snapshot(FleetSnapshot::empty()),
        })
        .unwrap();
        let mut bytes = format!("{snap}\n").into_bytes();
        bytes.extend_from_slice(b"{\"t\":2,\"reason\":\"\xc3\n");
        bytes.extend_from_slice(
            format!("\n{{\"t\":3,\"type\":\"later\"}}\n{snap}\n{{\"t\"").as_bytes(),
        );
        std::fs::write(&path, bytes).unwrap();
        assert!(Recording::read_all(&path).is_err());
        let got = Recording::read_lenient(&path).unwrap();
        assert_eq!(got.records.len(), 2);
        let lines: Vec<usize> = got.skipped.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 4, 6], "{:?}", got.skipped);
    }
}
