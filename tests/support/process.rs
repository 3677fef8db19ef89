//! Child processes with a deadline: a test never waits forever on a btsops that hangs
//! (reading a FIFO, a dead terminal); past the deadline it kills the child and fails.

#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Waits for `child` at most `limit`; past it, kills it and panics naming `what`.
pub fn wait_within(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what}: still running after {limit:?}; killed");
            }
            Err(e) => panic!("{what}: waiting: {e}"),
        }
    }
}

/// Runs `cmd` (stdin from /dev/null unless set) and collects stdout and stderr,
/// within `limit`.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: spawn: {e}"));
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = wait_within(&mut child, limit, &what);
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Runs `cmd` with a standard output whose reader is already gone, as in
/// `btsops check | head -c0`: every write to it fails with EPIPE.
pub fn output_with_closed_stdout(cmd: &mut Command, limit: Duration) -> Output {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    drop(theirs);
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(ours)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: spawn: {e}"));
    let err = drain(child.stderr.take());
    let status = wait_within(&mut child, limit, &what);
    Output {
        status,
        stdout: Vec::new(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    })
}

/// Reads `stdout` line by line until `done` accepts one (returned last) or the stream
/// ends, within `limit`; past it, panics naming `what`. The lines after are drained on
/// a thread of their own, so the child never blocks on (or dies of) a full pipe.
pub fn lines_until(
    stdout: impl Read + Send + 'static,
    limit: Duration,
    what: &str,
    done: impl Fn(&str) -> bool + Send + 'static,
) -> Vec<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            let last = done(&line);
            if tx.send(line).is_err() || last {
                break;
            }
        }
        drop(tx);
        for _ in lines {}
    });
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => out.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return out,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("{what}: no end of output within {limit:?}; got {out:?}")
            }
        }
    }
}
