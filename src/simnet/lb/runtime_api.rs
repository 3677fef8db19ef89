//! The runtime-API subset btsops uses, answered in HAProxy's words: `;`-separated batches
//! (`\` escapes), non-interactive mode (answer one line, close) and `prompt` mode (answers
//! end with `\n> `), each reply ended by an empty line, and HAProxy's exact error texts.
//! [`execute`] is pure; [`serve`] is the connection loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::backend::{Backend, Refused, STATE_EXPECTS};
use super::formats::{
    InfoContext, TYPE_BACKEND, TYPE_FRONTEND, TYPE_SERVER, show_backend, show_info,
    show_servers_state, show_stat,
};
use super::proxy::Shared;

/// Longest command line read; HAProxy's own limit is its buffer size (16 KiB).
const MAX_LINE: u64 = 16 * 1024;
/// `stats timeout`: an idle connection is closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

const UNKNOWN_COMMAND: &str = "Unknown command, but maybe one of the following ones is a better match:\n  show info, show stat, show servers state, show backend, show cli level,\n  set server <bk>/<srv> state|weight, set weight, get weight,\n  enable server, disable server, shutdown sessions server, prompt, quit\n";
const SET_SERVER_USAGE: &str = "'set server <srv>' only supports 'agent', 'health', 'state', 'weight', 'addr', 'fqdn', 'check-addr', 'check-port', 'agent-addr', 'agent-port', 'agent-send' and 'ssl'.\n";

/// What a command asks of the connection besides its reply text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Reply(String),
    /// Close the sessions of this server (`shutdown sessions server`); empty reply.
    Kick(usize),
    /// Toggle interactive mode; empty reply.
    Prompt,
    /// Close the connection.
    Quit,
}

/// Splits `cmd1; cmd2` at unescaped `;` and removes the `\` escapes.
pub fn split_batch(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next()
                    && let Some(cur) = out.last_mut()
                {
                    cur.push(n);
                }
            }
            ';' => out.push(String::new()),
            c => {
                if let Some(cur) = out.last_mut() {
                    cur.push(c);
                }
            }
        }
    }
    out
}

/// `backend/server` to a server index, with HAProxy's errors.
fn resolve(b: &Backend, arg: Option<&&str>) -> Result<usize, Refused> {
    let Some((be, srv)) = arg.and_then(|a| a.split_once('/')) else {
        return Err(Refused("Require 'backend/server'.\n"));
    };
    if be != b.name {
        return Err(Refused("No such backend.\n"));
    }
    b.server_index(srv).ok_or(Refused("No such server.\n"))
}

fn reply(r: Result<(), Refused>) -> Outcome {
    match r {
        Ok(()) => Outcome::Reply(String::new()),
        Err(Refused(text)) => Outcome::Reply(text.to_string()),
    }
}

/// Runs one command against the backend.
pub fn execute(b: &mut Backend, info: &InfoContext, command: &str, now: Instant) -> Outcome {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        [] => Outcome::Reply(String::new()),
        ["prompt"] => Outcome::Prompt,
        ["quit"] => Outcome::Quit,
        ["show", "info", ..] => Outcome::Reply(show_info(b, info, now)),
        ["show", "backend"] => Outcome::Reply(show_backend(b)),
        ["show", "cli", "level"] => Outcome::Reply("admin\n".into()),
        ["show", "stat", rest @ ..] => {
            let proxy = rest.first().copied();
            let types = match rest.get(1).map(|t| t.parse::<i64>()) {
                Some(Ok(t)) if t >= 0 => t as u32,
                _ => TYPE_FRONTEND | TYPE_BACKEND | TYPE_SERVER,
            };
            Outcome::Reply(show_stat(b, proxy, types, now))
        }
        ["show", "servers", "state"] => Outcome::Reply(show_servers_state(b, now)),
        ["show", "servers", "state", be] if *be == b.name => {
            Outcome::Reply(show_servers_state(b, now))
        }
        ["show", "servers", "state", _] => Outcome::Reply("Can't find backend.\n".into()),
        ["set", "server", target, rest @ ..] => {
            let idx = match resolve(b, Some(target)) {
                Ok(i) => i,
                Err(e) => return reply(Err(e)),
            };
            match rest {
                ["state", s, ..] => reply(b.set_state(idx, s, now)),
                ["state"] => reply(Err(Refused(STATE_EXPECTS))),
                ["weight", w, ..] => reply(b.set_weight(idx, w)),
                _ => Outcome::Reply(SET_SERVER_USAGE.into()),
            }
        }
        ["set", "weight", target, w, ..] => {
            reply(resolve(b, Some(target)).and_then(|i| b.set_weight(i, w)))
        }
        ["get", "weight", target, ..] => match resolve(b, Some(target)) {
            Ok(i) => {
                let s = &b.servers[i];
                Outcome::Reply(format!("{} (initial {})\n", s.uweight, s.iweight))
            }
            Err(e) => reply(Err(e)),
        },
        ["disable", "server", rest @ ..] => {
            reply(resolve(b, rest.first()).and_then(|i| b.set_state(i, "maint", now)))
        }
        ["enable", "server", rest @ ..] => {
            reply(resolve(b, rest.first()).and_then(|i| b.set_state(i, "ready", now)))
        }
        ["shutdown", "sessions", "server", rest @ ..] => match resolve(b, rest.first()) {
            Ok(i) => Outcome::Kick(i),
            Err(e) => reply(Err(e)),
        },
        _ => Outcome::Reply(UNKNOWN_COMMAND.into()),
    }
}

/// Serves one runtime-API connection.
pub async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut interactive = false;
    loop {
        let mut line = Vec::new();
        let got = tokio::time::timeout(
            IDLE_TIMEOUT,
            (&mut read).take(MAX_LINE).read_until(b'\n', &mut line),
        )
        .await;
        let Ok(Ok(n)) = got else { return };
        if n == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let mut out = String::new();
        let mut quit = false;
        for command in split_batch(text) {
            let outcome = shared.execute(&command);
            match outcome {
                Outcome::Reply(r) => out += &r,
                Outcome::Kick(i) => shared.kick(i),
                Outcome::Prompt => interactive = !interactive,
                Outcome::Quit => {
                    quit = true;
                    break;
                }
            }
            out.push('\n');
        }
        if interactive && !quit {
            out += "> ";
        }
        if write.write_all(out.as_bytes()).await.is_err() || quit || !interactive {
            let _ = write.shutdown().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::lb::backend::CheckParams;
    use std::net::SocketAddr;

    fn setup() -> (Backend, InfoContext, Instant) {
        let now = Instant::now();
        let servers = [
            (
                "n1".to_string(),
                SocketAddr::from(([127, 0, 0, 1], 9001)),
                1,
            ),
            (
                "n2".to_string(),
                SocketAddr::from(([127, 0, 0, 1], 9002)),
                1,
            ),
        ];
        let b = Backend::new("be", &servers, CheckParams { rise: 1, fall: 2 }, now);
        let info = InfoContext {
            pid: 7,
            started: now,
            start_unix: 1,
        };
        (b, info, now)
    }

    #[test]
    fn batches_split_at_unescaped_semicolons() {
        assert_eq!(split_batch("a; b\\;c;d\\\\"), ["a", " b;c", "d\\"]);
    }

    #[test]
    fn errors_are_haproxys_texts() {
        let (mut b, info, now) = setup();
        let mut ask = |c: &str| execute(&mut b, &info, c, now);
        let text = |s: &str| Outcome::Reply(s.to_string());
        assert_eq!(
            ask("set server be/nx state drain"),
            text("No such server.\n")
        );
        assert_eq!(
            ask("set server bx/n1 state drain"),
            text("No such backend.\n")
        );
        assert_eq!(
            ask("set server n1 state drain"),
            text("Require 'backend/server'.\n")
        );
        assert_eq!(
            ask("shutdown sessions server be/zz"),
            text("No such server.\n")
        );
        assert_eq!(ask("disable server be/zz"), text("No such server.\n"));
        assert_eq!(ask("show servers state bx"), text("Can't find backend.\n"));
        assert_eq!(
            ask("set server be/n1 weight 300"),
            text("Absolute weight can only be between 0 and 256 inclusive.\n")
        );
        assert_eq!(
            ask("set server be/n1 state foo"),
            text("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n")
        );
        assert!(matches!(ask("frobnicate"), Outcome::Reply(t) if t.starts_with("Unknown command")));
    }

    #[test]
    fn actions_change_the_backend() {
        let (mut b, info, now) = setup();
        let mut ask = |c: &str| execute(&mut b, &info, c, now);
        assert_eq!(
            ask("set server be/n1 state drain"),
            Outcome::Reply(String::new())
        );
        assert_eq!(ask("set weight be/n2 4"), Outcome::Reply(String::new()));
        assert_eq!(
            ask("get weight be/n2"),
            Outcome::Reply("4 (initial 1)\n".into())
        );
        assert_eq!(ask("shutdown sessions server be/n2"), Outcome::Kick(1));
        assert_eq!(ask("disable server be/n2"), Outcome::Reply(String::new()));
        assert_eq!((b.servers[0].admin, b.servers[1].admin), (8, 1));
        assert_eq!(b.servers[1].uweight, 4);
    }
}
