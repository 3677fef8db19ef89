//! The agent-check listener: HAProxy connects, sends `agent-send` (the server's name and
//! a newline), reads one line and the connection ends. Thin on purpose: every answer
//! comes from the verdicts [`super::verdict::Judge`] last published, so it is ready
//! within milliseconds, well inside HAProxy's `timeout check` (an answer later than that
//! is ignored and the previous verdict stays).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::verdict::Verdict;

/// Longest request line read: a server name and its newline. Anything longer is not
/// HAProxy's `agent-send` and gets no answer.
pub const LINE_MAX: u64 = 256;
/// How long one connection may take to send its line and take the answer.
pub const CONN_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections served at once; more are closed unanswered (HAProxy polls one
/// connection per server per `agent-inter`, far below this).
pub const MAX_CONNS: usize = 512;

/// Verdicts by server name, as the server answers them.
pub type Verdicts = Arc<HashMap<String, Verdict>>;

/// The reply to one request line: `up` for a name with no verdict (see
/// [`super::verdict::Judge::verdict`] for why).
pub fn reply(verdicts: &HashMap<String, Verdict>, line: &str) -> String {
    let name = line.trim_end_matches(['\n', '\r']).trim();
    verdicts
        .get(name)
        .map_or_else(|| Verdict::Up.line(), Verdict::line)
}

/// Serves agent checks on `listener` until `stop` completes, counting the answers sent
/// in `answered` (how tests and benches count HAProxy's polls instead of timing them).
pub async fn serve(
    listener: TcpListener,
    verdicts: watch::Receiver<Verdicts>,
    answered: Arc<AtomicU64>,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNS));
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _peer)) = accepted else {
            // EMFILE and the like: pause instead of spinning on the error.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            continue;
        };
        let v = verdicts.clone();
        let n = Arc::clone(&answered);
        tokio::spawn(async move {
            if let Ok(Ok(true)) = tokio::time::timeout(CONN_TIMEOUT, answer(stream, v)).await {
                n.fetch_add(1, Ordering::Relaxed);
            }
            drop(permit);
        });
    }
}

/// Reads one line and answers it; `Ok(true)` when an answer went out. No line (closed,
/// too long, not UTF-8): no answer, which HAProxy treats as "nothing changes".
async fn answer(stream: TcpStream, verdicts: watch::Receiver<Verdicts>) -> std::io::Result<bool> {
    let (rd, mut wr) = stream.into_split();
    let mut line = Vec::new();
    BufReader::new(rd.take(LINE_MAX))
        .read_until(b'\n', &mut line)
        .await?;
    if line.last() != Some(&b'\n') {
        return Ok(false);
    }
    let Ok(text) = std::str::from_utf8(&line) else {
        return Ok(false);
    };
    // The reply is owned and the borrow ends here: a watch borrow must not be held
    // across an await.
    let out = reply(&verdicts.borrow(), text);
    wr.write_all(out.as_bytes()).await?;
    wr.shutdown().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_by_name() {
        let mut v = HashMap::new();
        v.insert("a".to_string(), Verdict::Up);
        v.insert("b".to_string(), Verdict::Down("lag 12 blocks".into()));
        assert_eq!(reply(&v, "a\n"), "up\n");
        assert_eq!(reply(&v, "b\r\n"), "down #lag 12 blocks\n");
        assert_eq!(reply(&v, "c\n"), "up\n");
    }
}
