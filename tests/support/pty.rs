//! A command on a pseudo-terminal (util-linux `script`), deadline-bounded: what the
//! terminal shows is collected as it comes, input is typed into it. Shared by the
//! console's pty tests and the CLI's password-prompt test.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::process::wait_within;

/// Longest any pty test waits for its console: past it the child is killed and the
/// test fails.
pub const LIMIT: Duration = Duration::from_secs(30);

pub fn script_available(test: &str) -> bool {
    super::require::script(test)
}

/// `cmd` running under `script` on an 80x24 pty (`BTSOPS` stands for the binary);
/// everything written to the terminal is collected as it comes.
pub struct Pty {
    child: Child,
    /// Held open: closing it would end the session.
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Pty {
    pub fn start(cmd: &str) -> Pty {
        Pty::start_with(cmd, &[])
    }

    /// As `start`, with extra environment variables.
    pub fn start_with(cmd: &str, env: &[(&str, &Path)]) -> Pty {
        let bin = env!("CARGO_BIN_EXE_btsops");
        let full = format!("stty rows 24 cols 80; {}", cmd.replace("BTSOPS", bin));
        let mut child = Command::new("script")
            .args(["-qefc", &full, "/dev/null"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .envs(env.iter().copied())
            .env_remove("NO_COLOR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start script");
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().expect("script stdout");
        let sink = Arc::clone(&out);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            stdin: child.stdin.take(),
            child,
            out,
            reader: Some(reader),
        }
    }

    pub fn output(&self) -> Vec<u8> {
        self.out.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn send(&mut self, input: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(input).expect("write to the pty");
        stdin.flush().expect("flush the pty");
    }

    /// Waits (bounded) until the terminal has received `needle`.
    pub fn wait_for(&mut self, needle: &[u8], what: &str) {
        let deadline = Instant::now() + LIMIT;
        while !contains(&self.output(), needle) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{what} never came: {}",
                    String::from_utf8_lossy(&self.output())
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) for `script` to end; returns its code and the whole output.
    pub fn finish(mut self) -> (Option<i32>, Vec<u8>) {
        let status = wait_within(&mut self.child, LIMIT, "script");
        drop(self.stdin.take());
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        (status.code(), self.output())
    }

    /// Kills `script` itself: its pty master closes, and the terminal hangs up.
    pub fn hang_up(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
