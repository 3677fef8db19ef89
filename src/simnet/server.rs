//! Loopback listener plumbing shared by nodes and seeds: the accept loop with the
//! refuse/drop faults, HTTP request heads (websocket upgrade or one JSON-RPC POST on the same
//! port, as fc's server does), and stream wrappers for replayed bytes and slow-drip writes.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Sleep;

use super::faults::{FaultHandle, FaultState};

/// Longest request head accepted (request line + headers).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest HTTP body accepted; larger requests get 413 without being read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest websocket message or frame; larger ones close that connection only.
pub const MAX_WS_MESSAGE_BYTES: usize = 1024 * 1024;
/// A client must finish its request head (and HTTP body) within this time.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections per listener; beyond this new ones are closed at once.
pub const MAX_CONNECTIONS: usize = 4096;

/// What the first bytes of a connection asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub websocket: bool,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// `Expect: 100-continue` (curl sends it for bodies over 1 KiB and waits for it).
    pub expect_continue: bool,
    /// `Authorization: Basic` user and password.
    pub credentials: Option<(String, String)>,
    /// Bytes of the head, including the blank line.
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("request head larger than {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    #[error("connection closed before the request head ended")]
    Eof,
    #[error("malformed request head")]
    Malformed,
}

/// Parses a complete head (`bytes` holds at least up to the blank line).
pub fn parse_head(bytes: &[u8]) -> Result<RequestHead, HeadError> {
    let end = find_head_end(bytes).ok_or(HeadError::Malformed)?;
    let text = std::str::from_utf8(&bytes[..end]).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().ok_or(HeadError::Malformed)?;
    if request_line.split(' ').count() < 3 {
        return Err(HeadError::Malformed);
    }
    let mut head = RequestHead {
        websocket: false,
        content_length: None,
        chunked: false,
        expect_continue: false,
        credentials: None,
        len: end,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "upgrade" => head.websocket = value.to_ascii_lowercase().contains("websocket"),
            "content-length" => {
                head.content_length = Some(value.parse().map_err(|_| HeadError::Malformed)?)
            }
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
            "authorization" => head.credentials = basic_credentials(value),
            "expect" => head.expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    Ok(head)
}

fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Index just past `\r\n\r\n`.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Reads until the head is complete; `buf` keeps everything read (the head and any body
/// bytes that came with it).
pub async fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<RequestHead, HeadError> {
    let mut chunk = [0u8; 2048];
    loop {
        if find_head_end(buf).is_some() {
            return parse_head(buf);
        }
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
        let n = stream.read(&mut chunk).await.map_err(|_| HeadError::Eof)?;
        if n == 0 {
            return Err(HeadError::Eof);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        411 => "Length Required",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

/// One HTTP response; the connection closes after it.
pub async fn write_http_reply<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    body: Option<&str>,
) -> io::Result<()> {
    let body = body.unwrap_or("");
    let mut out = format!("HTTP/1.1 {status} {}\r\n", status_text(status));
    if status != 204 {
        out.push_str("Content-Type: application/json\r\n");
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    if status != 204 {
        out.push_str(body);
    }
    stream.write_all(out.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// A stream that first yields bytes already read from it.
pub struct PrefixedStream<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> PrefixedStream<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        PrefixedStream {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for PrefixedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            if self.pos == self.prefix.len() {
                self.prefix = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PrefixedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Writes at most `bytes_per_tick` per tick while the slow-drip fault is on, so every
/// protocol on top (HTTP, websocket frames, seed keys) trickles out.
pub struct DripStream<S> {
    inner: S,
    faults: watch::Receiver<FaultState>,
    pause: Option<Pin<Box<Sleep>>>,
}

impl<S> DripStream<S> {
    pub fn new(inner: S, faults: watch::Receiver<FaultState>) -> Self {
        DripStream {
            inner,
            faults,
            pause: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for DripStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DripStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let drip = self.faults.borrow().drip;
        let Some((per_tick, tick)) = drip else {
            self.pause = None;
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        };
        if let Some(p) = self.pause.as_mut() {
            ready!(p.as_mut().poll(cx));
            self.pause = None;
        }
        let n = per_tick.min(buf.len());
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &buf[..n]))?;
        self.pause = Some(Box::pin(tokio::time::sleep(tick)));
        Poll::Ready(Ok(written))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts a live connection for as long as it is held (also when its task is aborted).
pub struct ConnectionGuard<'a>(&'a AtomicUsize);

impl<'a> ConnectionGuard<'a> {
    pub fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard(counter)
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn reusable_socket(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

/// Binds a loopback listener. `SO_REUSEPORT` lets the refuse fault hold the port with a
/// bound, non-listening socket while no listener exists (connects get ECONNREFUSED and no
/// other listener can be handed the port meanwhile), and take it back on recovery.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    reusable_socket(addr)?.listen(1024)
}

/// Waits until `frozen` clears; false when the peer closed first. Reads and discards what
/// the peer sends meanwhile, so a frozen endpoint still notices closed connections.
pub async fn wait_while_frozen<S: AsyncRead + Unpin>(
    stream: &mut S,
    faults: &mut watch::Receiver<FaultState>,
) -> bool {
    let mut sink = [0u8; 1024];
    loop {
        if !faults.borrow_and_update().frozen {
            return true;
        }
        tokio::select! {
            r = stream.read(&mut sink) => match r {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            },
            r = faults.changed() => if r.is_err() { return false },
        }
    }
}

/// The accept loop of one endpoint. Connection tasks live in a `JoinSet` owned here, so
/// aborting this task (fleet shutdown) or a drop-connections fault ends them all, and
/// finished ones are reaped as they end. `on_fault` sees the fault state first, at start
/// and on every change (a fault injected before this task first ran counts too).
pub async fn run_listener<F, Fut>(
    listener: TcpListener,
    faults: FaultHandle,
    on_fault: impl Fn(&FaultState) + Send + 'static,
    on_connection: F,
) where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut listener = Some(listener);
    let mut rx = faults.subscribe();
    let mut connections: JoinSet<()> = JoinSet::new();
    let mut seen_generation = rx.borrow().drop_generation;
    // Holds the port while refusing, so no other listener is handed it meanwhile.
    let mut _reserve: Option<TcpSocket> = None;
    loop {
        let state = rx.borrow_and_update().clone();
        on_fault(&state);
        if state.drop_generation != seen_generation {
            seen_generation = state.drop_generation;
            connections.abort_all();
        }
        if state.refusing && listener.is_some() {
            _reserve = reusable_socket(addr).ok();
            // Nothing listens now, so connects get ECONNREFUSED. Open connections stay,
            // as they would across a restarted listener.
            listener = None;
        }
        if !state.refusing && listener.is_none() {
            match bind(addr) {
                Ok(l) => {
                    listener = Some(l);
                    _reserve = None;
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        tokio::select! {
            accepted = accept(listener.as_ref()) => {
                if let Ok((stream, _)) = accepted {
                    if connections.len() >= MAX_CONNECTIONS {
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    connections.spawn(on_connection(stream));
                }
            }
            changed = rx.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Accepts on the listener, or waits forever when there is none (refusing).
async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_upgrade_head() {
        let h = parse_head(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nAuthorization: Basic b3BzOnB3\r\n\r\n",
        )
        .unwrap();
        assert!(h.websocket);
        assert_eq!(h.credentials, Some(("ops".into(), "pw".into())));
    }

    #[test]
    fn post_head_with_body_length() {
        let raw = b"POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n{\"id\":1}";
        let h = parse_head(raw).unwrap();
        assert!(!h.websocket);
        assert!(!h.expect_continue);
        assert_eq!(h.content_length, Some(12));
        assert_eq!(h.len, raw.len() - 8);
        assert_eq!(
            parse_head(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(HeadError::Malformed)
        );
        assert_eq!(parse_head(b"garbage\r\n\r\n"), Err(HeadError::Malformed));
    }
}
