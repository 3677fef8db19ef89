//! Headless subcommands. Each turns parsed arguments into output text, so tests can
//! call them without a process; `main.rs` only prints and picks the exit code.

pub mod action;
pub mod agent;
pub mod check;
pub mod export;
pub mod faucet;
pub mod keys;
pub mod lb;
pub mod prompt;
pub mod simnet;
pub mod stress;
pub mod tx;
pub mod watch;

use std::io::{ErrorKind, Read, Write};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use zeroize::Zeroizing;

/// Largest stdin btsops accepts: the node's hard limit on a packed transaction is
/// 1 MiB, and its JSON is a few times larger.
const MAX_STDIN: u64 = 8 << 20;

/// Reads all of stdin, refusing more than `MAX_STDIN` bytes.
pub fn read_stdin(what: &str) -> Result<Zeroizing<String>> {
    read_limited(std::io::stdin().lock(), what)
}

fn read_limited(input: impl Read, what: &str) -> Result<Zeroizing<String>> {
    let mut buf = Zeroizing::new(Vec::new());
    input
        .take(MAX_STDIN + 1)
        .read_to_end(&mut buf)
        .map_err(|e| eyre!("reading {what} from stdin: {e}"))?;
    if buf.len() as u64 > MAX_STDIN {
        bail!("{what} on stdin is larger than {} MiB", MAX_STDIN >> 20);
    }
    let text = std::str::from_utf8(&buf).map_err(|_| eyre!("{what} on stdin is not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_string()))
}

/// Writes `text` to stdout. A reader that went away (`btsops check | head -c0`) is
/// not a failure: the command still ends quietly with its own status code (`print!`
/// would panic and exit 101).
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    write_or_gone(&mut out, text.as_bytes())
        .map(|_| ())
        .wrap_err("writing to standard output")
}

/// Writes and flushes `bytes`; `Ok(false)` when the reader has gone (EPIPE), so a
/// streaming command knows to stop.
pub fn write_or_gone(out: &mut dyn Write, bytes: &[u8]) -> std::io::Result<bool> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes one line to stderr, ignoring failure: a closed or hung-up terminal must not
/// turn a message into a panic (`eprintln!` panics, and a panic there aborts).
pub fn print_stderr(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// An error and its causes on one line, `outer: cause: cause`, each said once: an
/// error that displays its source too (an I/O error wrapped as `{0}` with `#[from]`)
/// would otherwise print `No such file or directory (os error 2)` twice.
pub fn error_text(e: &color_eyre::Report) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// The first line of a secret read from stdin, without its line ending. Inner and
/// leading spaces are kept: they may be part of a password.
pub fn first_line(text: &str) -> &str {
    let line = text.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

/// Installs the SIGTERM and SIGINT handlers now (needs a runtime); the future ends at
/// the first signal, so a service manager's stop ends a run as cleanly as Ctrl-C.
pub fn stop_signals() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).wrap_err("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).wrap_err("installing the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_keeps_spaces_and_drops_line_endings() {
        assert_eq!(first_line(" pass word \r\nnext"), " pass word ");
        assert_eq!(first_line("pw\n"), "pw");
        assert_eq!(first_line("pw"), "pw");
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn error_text_says_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Shows(#[from] std::io::Error);
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let once = io.to_string();
        let e = Err::<(), _>(Shows(io)).wrap_err("reading f").unwrap_err();
        assert_eq!(error_text(&e), format!("reading f: {once}"));
        let e = eyre!("inner").wrap_err("middle").wrap_err("outer");
        assert_eq!(error_text(&e), "outer: middle: inner");
    }

    #[test]
    fn oversize_input_is_refused() {
        let big = std::io::repeat(b'a').take(MAX_STDIN + 10);
        let e = read_limited(big, "transaction JSON").unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
    }
}
