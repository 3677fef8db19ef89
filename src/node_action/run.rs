//! Runs an action's argv: no shell, stdin closed, in a process group of its own so a
//! timeout kills everything it started (`ssh` and what it forked, a script's
//! children), with stdout and stderr streamed line by line as they come.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// Longest line passed on; the rest of a longer line is cut (a binary blob on stdout
/// must not become one huge line in a pane).
pub const MAX_LINE: usize = 4096;
/// After SIGTERM to the group, this long before SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub stream: Stream,
    pub text: String,
}

/// How the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this status.
    Code(i32),
    /// Killed by a signal it did not get from us.
    Signal(i32),
    /// Ran past its timeout; its process group was killed.
    TimedOut,
    /// Could not be started (no such program, not executable).
    NotStarted(String),
}

impl Exit {
    pub fn success(&self) -> bool {
        *self == Exit::Code(0)
    }

    /// For the console and the audit log: `exit 0`, `failed: exit 3`, ….
    pub fn describe(&self, timeout: Duration) -> String {
        match self {
            Exit::Code(0) => "exit 0".into(),
            Exit::Code(c) => format!("failed: exit {c}"),
            Exit::Signal(s) => format!("failed: killed by signal {s}"),
            Exit::TimedOut => format!(
                "failed: timed out after {} s, process group killed",
                timeout.as_secs_f64()
            ),
            Exit::NotStarted(e) => format!("failed: not started: {e}"),
        }
    }
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit: Exit,
    pub elapsed: Duration,
    /// The process group id the command ran in (its pid), when it started.
    pub pgid: Option<i32>,
}

/// Runs `argv` for at most `timeout`, sending each output line to `lines` as it comes
/// (a closed receiver only stops the streaming, not the command).
pub async fn run(
    argv: &[String],
    timeout: Duration,
    lines: mpsc::UnboundedSender<Line>,
) -> Outcome {
    let started = Instant::now();
    let Some((program, args)) = argv.split_first() else {
        return Outcome {
            exit: Exit::NotStarted("empty command".into()),
            elapsed: Duration::ZERO,
            pgid: None,
        };
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so the timeout reaches its children too.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                exit: Exit::NotStarted(format!("{program}: {e}")),
                elapsed: started.elapsed(),
                pgid: None,
            };
        }
    };
    let pgid = child.id().and_then(|p| i32::try_from(p).ok());
    // Dropped unfinished (the console quits or reloads mid-action), the run still takes
    // its whole group down, not only the direct child `kill_on_drop` reaches.
    let mut guard = GroupGuard(pgid);
    let out = child
        .stdout
        .take()
        .map(|s| tokio::spawn(pump(s, Stream::Stdout, lines.clone())));
    let err = child
        .stderr
        .take()
        .map(|s| tokio::spawn(pump(s, Stream::Stderr, lines)));
    let deadline = tokio::time::Instant::now() + timeout;
    // The command is done when it exited and its output ended (a background child still
    // holding the pipes keeps it running, and the timeout covers that too).
    let finished = async {
        let status = child.wait().await;
        if let Some(t) = out {
            let _ = t.await;
        }
        if let Some(t) = err {
            let _ = t.await;
        }
        status
    };
    let exit = match tokio::time::timeout_at(deadline, finished).await {
        Ok(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            match (status.code(), status.signal()) {
                (Some(c), _) => Exit::Code(c),
                (None, Some(s)) => Exit::Signal(s),
                (None, None) => Exit::Code(-1),
            }
        }
        Ok(Err(e)) => Exit::NotStarted(format!("waiting for {program}: {e}")),
        Err(_) => {
            if let Some(g) = pgid {
                kill_group(g, &mut child).await;
            }
            Exit::TimedOut
        }
    };
    guard.0 = None;
    Outcome {
        exit,
        elapsed: started.elapsed(),
        pgid,
    }
}

/// Kills a process group when dropped armed.
struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            // SAFETY: killpg only sends a signal; a group that is gone gives ESRCH.
            unsafe {
                libc::killpg(g, libc::SIGKILL);
            }
        }
    }
}

/// SIGTERM to the whole group, then SIGKILL to whatever is left after [`KILL_GRACE`].
async fn kill_group(pgid: i32, child: &mut tokio::process::Child) {
    // SAFETY: killpg only sends a signal; a group that is already gone gives ESRCH.
    unsafe {
        libc::killpg(pgid, libc::SIGTERM);
    }
    let until = Instant::now() + KILL_GRACE;
    // Reap our own child first: a zombie still counts as a member of the group.
    let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
    while Instant::now() < until {
        // Signal 0 probes whether any member is left.
        // SAFETY: as above; signal 0 sends nothing.
        if unsafe { libc::killpg(pgid, 0) } != 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: as above.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

async fn pump(r: impl AsyncRead + Unpin, stream: Stream, tx: mpsc::UnboundedSender<Line>) {
    let mut r = BufReader::new(r);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        buf.truncate(MAX_LINE);
        let text = String::from_utf8_lossy(&buf).into_owned();
        let _ = tx.send(Line { stream, text });
    }
}
