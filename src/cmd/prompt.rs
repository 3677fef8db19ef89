//! A secret typed at a terminal: prompted on stderr, read without echo, ended by Enter.
//!
//! Raw mode (crossterm, already used by the console) rather than only clearing ECHO:
//! the line is edited here, so Ctrl-C and Ctrl-D end the prompt with the terminal
//! restored instead of killing the process with echo still off.

use std::io::{Read, Write};

use color_eyre::eyre::{Result, bail, eyre};
use zeroize::Zeroizing;

/// Longest secret accepted at the prompt, as a guard against a pasted file.
const MAX_SECRET: usize = 4096;

/// What one typed byte does to the line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    More,
    Done,
    Cancelled,
    EndOfInput,
}

/// Applies one byte typed in raw mode to `line`: Enter ends it, Backspace removes
/// the last character (all its UTF-8 bytes), Ctrl-U clears it, Ctrl-C cancels,
/// Ctrl-D ends the input; other control bytes are ignored.
pub fn edit(line: &mut Zeroizing<Vec<u8>>, byte: u8) -> Step {
    match byte {
        b'\r' | b'\n' => Step::Done,
        0x03 => Step::Cancelled,
        0x04 => Step::EndOfInput,
        0x7f | 0x08 => {
            // Drop continuation bytes, then the lead byte of the last character.
            while line.last().is_some_and(|b| b & 0xC0 == 0x80) {
                line.pop();
            }
            line.pop();
            Step::More
        }
        0x15 => {
            line.clear();
            Step::More
        }
        b if b < 0x20 => Step::More,
        b => {
            line.push(b);
            Step::More
        }
    }
}

/// Restores cooked mode when the read ends, however it ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Prompts with `prompt` on stderr and reads one line from the terminal on stdin
/// without echoing it.
pub fn read_secret(prompt: &str) -> Result<Zeroizing<String>> {
    // Echo goes off before the prompt shows: whatever is typed once it is seen must
    // not appear.
    crossterm::terminal::enable_raw_mode()
        .map_err(|e| eyre!("switching the terminal to no-echo input: {e}"))?;
    let guard = RawMode;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_SECRET));
    let mut stdin = std::io::stdin().lock();
    let mut byte = [0u8; 1];
    let step = loop {
        let n = stdin
            .read(&mut byte)
            .map_err(|e| eyre!("reading the password from the terminal: {e}"))?;
        if n == 0 {
            break Step::EndOfInput;
        }
        match edit(&mut line, byte[0]) {
            Step::More if line.len() > MAX_SECRET => {
                break Step::Cancelled;
            }
            Step::More => {}
            other => break other,
        }
    };
    drop(guard);
    // Raw mode had no echo: end the prompt's line as Enter would have.
    let _ = writeln!(err);
    match step {
        Step::Cancelled if line.len() > MAX_SECRET => {
            bail!("password longer than {MAX_SECRET} bytes")
        }
        Step::Cancelled => bail!("password prompt cancelled"),
        _ => {}
    }
    let text = std::str::from_utf8(&line).map_err(|_| eyre!("the password is not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(bytes: &[u8]) -> (Vec<u8>, Step) {
        let mut line = Zeroizing::new(Vec::new());
        for &b in bytes {
            let step = edit(&mut line, b);
            if step != Step::More {
                return (line.to_vec(), step);
            }
        }
        (line.to_vec(), Step::More)
    }

    #[test]
    fn enter_ends_and_editing_keys_work() {
        assert_eq!(typed(b"pass word\r"), (b"pass word".to_vec(), Step::Done));
        assert_eq!(typed(b"pw\n"), (b"pw".to_vec(), Step::Done));
        assert_eq!(typed(b"pwx\x7f\r"), (b"pw".to_vec(), Step::Done));
        assert_eq!(typed(b"abc\x15pw\r"), (b"pw".to_vec(), Step::Done));
        assert_eq!(typed(b"p\x1bw\r"), (b"pw".to_vec(), Step::Done));
        assert_eq!(typed(b"pw\x03"), (b"pw".to_vec(), Step::Cancelled));
        assert_eq!(typed(b"\x04"), (Vec::new(), Step::EndOfInput));
        // Backspace removes a whole multi-byte character.
        assert_eq!(typed("pé\x7f\r".as_bytes()), (b"p".to_vec(), Step::Done));
    }
}
