//! The runtime-API client: one batch of commands per connection on `unix:` and `tcp:`
//! sockets (`cmd1; cmd2\n`, half-close, read to EOF), and one long-lived interactive session
//! for `exec:` (a command whose stdin/stdout is the socket, e.g. `ssh lb1 socat stdio
//! UNIX-CONNECT:/run/haproxy/admin.sock`), so polling never costs an ssh per command.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Mutex;

use super::model::Snapshot;
use super::{LbError, info, servers_state, stat};

/// Largest reply read (a `show stat` of a big config is a few hundred KiB).
const MAX_REPLY: usize = 16 << 20;

/// Where a runtime API is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
    /// Program and arguments, run without a shell.
    Exec(Vec<String>),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp:{a}"),
            Endpoint::Exec(argv) => write!(f, "exec:{}", argv.join(" ")),
        }
    }
}

impl From<&crate::config::RuntimeApi> for Endpoint {
    fn from(r: &crate::config::RuntimeApi) -> Self {
        use crate::config::RuntimeApi;
        match r {
            RuntimeApi::Unix(p) => Endpoint::Unix(p.clone()),
            RuntimeApi::Tcp(a) => Endpoint::Tcp(a.clone()),
            RuntimeApi::Exec(argv) => Endpoint::Exec(argv.clone()),
        }
    }
}

/// A runtime-API client for one load balancer.
pub struct Client {
    endpoint: Endpoint,
    timeout: Duration,
    /// The open `exec:` session, reused across calls.
    session: Mutex<Option<Session>>,
}

impl Client {
    /// `timeout` bounds each call (connect, send, and the whole reply).
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Client {
        Client {
            endpoint,
            timeout,
            session: Mutex::new(None),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn err(&self, call: &str, message: impl Into<String>) -> LbError {
        LbError {
            endpoint: self.endpoint.to_string(),
            call: call.to_string(),
            message: message.into(),
        }
    }

    /// Sends the commands and returns each one's reply text (without the blank line that
    /// ends it). The replies are plain text: a caller never reads success from them.
    pub async fn run(&self, commands: &[String]) -> Result<Vec<String>, LbError> {
        let call = commands.join("; ");
        match &self.endpoint {
            Endpoint::Unix(p) => {
                let connect = tokio::net::UnixStream::connect(p);
                let stream = self.connect(&call, connect).await?;
                self.batch(&call, stream, commands.len()).await
            }
            Endpoint::Tcp(a) => {
                let connect = tokio::net::TcpStream::connect(a.as_str());
                let stream = self.connect(&call, connect).await?;
                self.batch(&call, stream, commands.len()).await
            }
            Endpoint::Exec(argv) => self.exec(&call, argv, commands).await,
        }
    }

    /// One command's reply.
    pub async fn run_one(&self, command: &str) -> Result<String, LbError> {
        let mut r = self.run(&[command.to_string()]).await?;
        r.pop().ok_or_else(|| self.err(command, "no reply"))
    }

    /// `show info`, `show servers state` and `show stat` in one round trip.
    pub async fn snapshot(&self) -> Result<Snapshot, LbError> {
        let cmds = ["show info", "show servers state", "show stat -1 6 -1"].map(String::from);
        let replies = self.run(&cmds).await?;
        let parse_err = |cmd: &str, e: super::ParseError| self.err(cmd, e.to_string());
        let info = info::parse_info(&replies[0]).map_err(|e| parse_err(&cmds[0], e))?;
        let states =
            servers_state::parse_servers_state(&replies[1]).map_err(|e| parse_err(&cmds[1], e))?;
        let stats = stat::parse_stat(&replies[2]).map_err(|e| parse_err(&cmds[2], e))?;
        Ok(Snapshot::new(info, states, &stats))
    }

    async fn connect<S, F>(&self, call: &str, connect: F) -> Result<S, LbError>
    where
        F: std::future::Future<Output = std::io::Result<S>>,
    {
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(self.err(call, format!("connect: {e}"))),
            Err(_) => Err(self.err(call, format!("connect timed out after {:?}", self.timeout))),
        }
    }

    /// Non-interactive mode: one line of `;`-separated commands, half-close (the master
    /// CLI waits for it), read to EOF.
    async fn batch<S>(&self, call: &str, mut s: S, n: usize) -> Result<Vec<String>, LbError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let io = async {
            s.write_all(format!("{call}\n").as_bytes()).await?;
            s.shutdown().await?;
            let mut buf = Vec::new();
            (&mut s)
                .take(MAX_REPLY as u64 + 1)
                .read_to_end(&mut buf)
                .await?;
            Ok::<_, std::io::Error>(buf)
        };
        let buf = match tokio::time::timeout(self.timeout, io).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Err(self.err(call, e.to_string())),
            Err(_) => {
                return Err(self.err(call, format!("no full reply within {:?}", self.timeout)));
            }
        };
        if buf.len() > MAX_REPLY {
            return Err(self.err(call, format!("reply larger than {MAX_REPLY} bytes")));
        }
        if buf.is_empty() {
            return Err(self.err(call, EMPTY_REPLY));
        }
        let text = String::from_utf8_lossy(&buf);
        split_replies(&text, n).map_err(|m| self.err(call, m))
    }

    async fn exec(
        &self,
        call: &str,
        argv: &[String],
        commands: &[String],
    ) -> Result<Vec<String>, LbError> {
        let mut guard = self.session.lock().await;
        // A reused session may have been closed by HAProxy's `stats timeout` meanwhile:
        // then start one new session and try once more.
        for attempt in 0..2 {
            let reused = guard.is_some();
            let mut session = match guard.take() {
                Some(s) => s,
                None => match tokio::time::timeout(self.timeout, Session::start(argv)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(m)) => return Err(self.err("start", m)),
                    Err(_) => {
                        return Err(
                            self.err("start", format!("no prompt within {:?}", self.timeout))
                        );
                    }
                },
            };
            let mut replies = Vec::with_capacity(commands.len());
            let mut failure = None;
            for c in commands {
                match tokio::time::timeout(self.timeout, session.ask(c)).await {
                    Ok(Ok(r)) => replies.push(r),
                    Ok(Err(m)) => {
                        failure = Some(m);
                        break;
                    }
                    Err(_) => {
                        failure = Some(format!("no full reply within {:?}", self.timeout));
                        break;
                    }
                }
            }
            match failure {
                None => {
                    *guard = Some(session);
                    return Ok(replies);
                }
                // Nothing was answered on a reused session: it had died before this call.
                Some(_) if reused && replies.is_empty() && attempt == 0 => continue,
                Some(m) => return Err(self.err(call, m)),
            }
        }
        Err(self.err(call, "session closed"))
    }
}

const EMPTY_REPLY: &str = "connection closed with no reply (a TLS wrapper without a \
    client certificate, or not a HAProxy runtime API)";

/// Splits a non-interactive reply into one text per command: each command's output ends
/// with an empty line.
fn split_replies(text: &str, n: usize) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(n);
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        if line == "\n" {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push_str(line);
        }
    }
    if !cur.is_empty() {
        return Err(format!(
            "reply ends without its closing blank line: {:?}",
            stat::clip(&cur)
        ));
    }
    if out.len() != n {
        return Err(format!("{} replies for {n} commands", out.len()));
    }
    Ok(out)
}

/// An interactive (`prompt`) session over a child process's stdin/stdout.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl Session {
    async fn start(argv: &[String]) -> Result<Session, String> {
        let (prog, args) = argv.split_first().ok_or("exec: needs a command")?;
        let mut child = tokio::process::Command::new(prog)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {prog:?}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("no pipes to the child".into());
        };
        let mut s = Session {
            child,
            stdin,
            stdout,
        };
        match s.ask("prompt").await {
            Ok(_) => Ok(s),
            Err(m) => Err(format!("{m}{}", s.stderr().await)),
        }
    }

    /// Sends one command and reads its reply up to the next prompt.
    async fn ask(&mut self, command: &str) -> Result<String, String> {
        let sent = async {
            self.stdin
                .write_all(format!("{command}\n").as_bytes())
                .await?;
            self.stdin.flush().await
        };
        match sent.await {
            // The program already exited: what it said (or that it said nothing) is read below.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(format!("write: {e}")),
            Ok(()) => {}
        }
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(reply) = prompt_reply(&buf) {
                return Ok(reply);
            }
            let n = self
                .stdout
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err(if buf.is_empty() {
                    EMPTY_REPLY.to_string()
                } else {
                    format!("closed mid-reply after {} bytes", buf.len())
                });
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_REPLY {
                return Err(format!("reply larger than {MAX_REPLY} bytes"));
            }
        }
    }

    /// What the child said on stderr, once it has exited (bounded wait).
    async fn stderr(&mut self) -> String {
        let Some(mut err) = self.child.stderr.take() else {
            return String::new();
        };
        let mut buf = Vec::new();
        let mut capped = (&mut err).take(4096);
        let _ =
            tokio::time::timeout(Duration::from_millis(500), capped.read_to_end(&mut buf)).await;
        let text = String::from_utf8_lossy(&buf).trim().to_string();
        if text.is_empty() {
            text
        } else {
            // The end says why (ssh and socat put the reason last).
            let tail: String = text
                .chars()
                .rev()
                .take(300)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!(" (stderr: {tail})")
        }
    }
}

/// A complete interactive reply: the output, the blank line that ends it, then `> `.
/// Returns the output in the same form as one non-interactive reply.
fn prompt_reply(buf: &[u8]) -> Option<String> {
    if buf == b"\n> " {
        return Some(String::new());
    }
    buf.strip_suffix(b"\n\n> ")
        .map(|body| format!("{}\n", String::from_utf8_lossy(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_replies_split_on_blank_lines() {
        let r = split_replies("\nNo such server.\n\n1\n# be_id\n\n", 3).expect("splits");
        assert_eq!(r, vec!["", "No such server.\n", "1\n# be_id\n"]);
        assert!(
            split_replies("\n", 2)
                .unwrap_err()
                .contains("1 replies for 2")
        );
        assert!(
            split_replies("\nPid: 1", 2)
                .unwrap_err()
                .contains("closing blank")
        );
    }

    #[test]
    fn prompt_replies_end_at_the_prompt() {
        assert_eq!(prompt_reply(b"\n> ").as_deref(), Some(""));
        assert_eq!(
            prompt_reply(b"No such server.\n\n> ").as_deref(),
            Some("No such server.\n")
        );
        assert_eq!(prompt_reply(b"1 (initial 1)\n"), None);
        assert_eq!(prompt_reply(b"1\n# be_id\n3 be"), None);
    }
}
