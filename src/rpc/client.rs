//! Persistent websocket JSON-RPC connection to one graphene node.
//!
//! A background reader task owns the read half and routes replies to waiting calls by id
//! and notices to a bounded channel. The reader never blocks on a consumer, so a slow
//! UI or a hostile node cannot stall other calls; when the connection dies every pending
//! call fails at once with the reason.
//!
//! A background writer task sends the requests: calls queue their frames and it writes
//! every frame queued so far, then flushes once. Many concurrent calls (a stress run's
//! broadcasts) then cost one socket write per batch instead of one each; a lone call
//! still goes out at once.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::ServerName;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{OnceCell, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zeroize::Zeroizing;

use super::error::{Failure, RpcError, TransportKind};
use super::frame::{self, Api, ApiRef, Incoming, Json, Params};
use super::notices::{self, NoticeLimits, NoticeReceiver, NoticeSender, NoticeStats};
use super::tls;
use super::types::int_from_value;

/// Default cap on one websocket message/frame. Large enough for `get_block` of a full
/// block, small enough that a hostile node cannot make the console buffer gigabytes.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Most notices queued for the consumer. Past this (or past the byte budget,
/// [`ConnectOptions::max_notice_bytes`]) **the oldest notices are dropped** and counted
/// (see [`RpcClient::dropped_notices`]): the reader must never wait on a slow consumer
/// because replies to calls share the same socket.
pub const NOTICE_QUEUE: usize = 1024;

/// Default byte budget of the notice queue (estimated parsed size, see
/// [`notices::value_bytes`]).
pub const DEFAULT_MAX_NOTICE_BYTES: usize = 32 * 1024 * 1024;

/// Login credentials. The password is zeroed on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: Zeroizing<String>,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            user: user.into(),
            password: Zeroizing::new(password.into()),
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// `Authorization: Basic base64(user:pass)`, marked sensitive so http won't log it.
    pub(crate) fn basic_header(&self) -> Option<HeaderValue> {
        let raw = Zeroizing::new(format!("{}:{}", self.user, self.password.as_str()));
        let encoded =
            Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()));
        let mut value = HeaderValue::from_str(&format!("Basic {}", encoded.as_str())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl<U: Into<String>, P: Into<String>> From<(U, P)> for Credentials {
    fn from((user, password): (U, P)) -> Credentials {
        Credentials::new(user, password)
    }
}

/// How to connect. `timeout` bounds each step of the connect (TCP, TLS, upgrade) and the
/// login, each on its own, and every later call made without an explicit timeout.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub timeout: Duration,
    pub credentials: Option<Credentials>,
    /// PEM file of a private CA; when set it is the only trust root for `wss://`.
    pub ca_file: Option<PathBuf>,
    /// Largest websocket message accepted; bigger ones fail the connection.
    pub max_frame_bytes: usize,
    /// Initial capacity of the websocket read buffer (it grows for bigger messages).
    /// The default suits bulk traffic; a monitor holding a thousand idle connections
    /// wants a few KB, since the buffer is allocated and touched per connection.
    pub read_buffer_bytes: usize,
    /// For `wss://`: a slot the TLS handshake fills with the certificate the server
    /// presented, even when it is refused, so the caller can tell why (see
    /// [`tls::client_config_recording`]).
    pub presented_leaf: Option<tls::PresentedLeaf>,
    /// Byte budget of the queued notices (estimated parsed size). A consumer that only
    /// wants the newest notice (the monitor's head) sets it small.
    pub max_notice_bytes: usize,
}

/// tungstenite's own default read buffer.
pub const DEFAULT_READ_BUFFER_BYTES: usize = 128 * 1024;

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            timeout: Duration::from_secs(5),
            credentials: None,
            ca_file: None,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            read_buffer_bytes: DEFAULT_READ_BUFFER_BYTES,
            presented_leaf: None,
            max_notice_bytes: DEFAULT_MAX_NOTICE_BYTES,
        }
    }
}

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsSink = Arc<tokio::sync::Mutex<SplitSink<WsStream, Message>>>;
type Waiter = oneshot::Sender<Result<Value, Failure>>;

/// A request frame queued for the writer, with the id its waiter is pending under.
struct Outgoing {
    id: u64,
    text: String,
}

/// Most frames the writer takes from its queue before it flushes.
const WRITE_BATCH: usize = 256;
/// Most frames queued for the writer. A node that stops reading stalls the writer;
/// calls past this wait (within their timeout) holding their own frame, so a flood
/// against a frozen node cannot queue without bound.
const WRITE_QUEUE: usize = 4096;

#[derive(Default)]
struct State {
    pending: HashMap<u64, Waiter>,
    /// Set once when the connection dies; new calls fail with it immediately.
    closed: Option<Failure>,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves the map consistent enough
        // (insert/remove only), so keep going rather than cascade the panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fail_all(&self, failure: Failure) {
        let pending = {
            let mut state = self.lock();
            if state.closed.is_none() {
                state.closed = Some(failure.clone());
            }
            std::mem::take(&mut state.pending)
        };
        for (_, waiter) in pending {
            let _ = waiter.send(Err(failure.clone()));
        }
    }

    /// Fails one call (its frame could not be written); the connection may live on.
    fn fail_one(&self, id: u64, failure: Failure) {
        let waiter = self.lock().pending.remove(&id);
        if let Some(waiter) = waiter {
            let _ = waiter.send(Err(failure));
        }
    }
}

/// Removes a call's pending entry however the call ends (reply, timeout, cancellation).
struct PendingGuard<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.lock().pending.remove(&self.id);
    }
}

struct Inner {
    endpoint: String,
    timeout: Duration,
    next_id: AtomicU64,
    /// Shared with the writer task; `close` takes it too.
    sink: WsSink,
    /// Frames for the writer task.
    outbox: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
    api_ids: Mutex<HashMap<String, Arc<OnceCell<u64>>>>,
    notices: Mutex<Option<NoticeReceiver>>,
    notice_stats: NoticeStats,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    /// The server's leaf certificate (DER) from this connection's own TLS session.
    peer_leaf: Option<Vec<u8>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// A websocket connection to one node. Cheap to clone; clones share the connection.
/// Dropping the last clone stops the reader task and closes the socket.
#[derive(Clone)]
pub struct RpcClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("endpoint", &self.inner.endpoint)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl RpcClient {
    /// Open `ws://` or `wss://` `url`, then log in if credentials are configured (Basic
    /// header on the upgrade **and** `login` call, which must answer `true`). Credentials
    /// in the URL's userinfo are used when `opts.credentials` is `None`; they never appear
    /// in errors.
    pub async fn connect(url: &str, opts: ConnectOptions) -> Result<RpcClient, RpcError> {
        let target = parse_url(url, &["ws", "wss"])?;
        let endpoint = target.display.clone();
        let credentials = opts.credentials.clone().or(target.credentials);
        let config_err = |detail: String| RpcError::Config {
            endpoint: endpoint.clone(),
            call: "connect".to_owned(),
            detail,
        };

        let mut request = target
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| config_err(e.to_string()))?;
        if let Some(creds) = &credentials {
            let header = creds
                .basic_header()
                .ok_or_else(|| config_err("credentials are not valid in a header".to_owned()))?;
            request.headers_mut().insert(AUTHORIZATION, header);
        }
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(opts.max_frame_bytes))
            .max_frame_size(Some(opts.max_frame_bytes))
            .read_buffer_size(opts.read_buffer_bytes.max(1024));
        let host = match target.url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => return Err(config_err("the URL has no host".to_owned())),
        };
        let port = target
            .url
            .port_or_known_default()
            .ok_or_else(|| config_err("the URL has no port".to_owned()))?;

        // TCP, TLS and the upgrade each get the whole timeout, as every later call does:
        // on a far link each is a round trip of its own, and a node that answers every
        // step in time is up, not timed out.
        let step = |e: tungstenite::Error| handshake_failure(&e).into_error(&endpoint, "connect");
        // A bad CA file is a config error whether or not the host answers.
        let tls_config = match target.tls {
            true => Some(
                tls::client_config_recording(opts.ca_file.as_deref(), opts.presented_leaf.clone())
                    .map_err(config_err)?,
            ),
            false => None,
        };
        let tcp = connect_step(
            &endpoint,
            opts.timeout,
            TcpStream::connect((host.as_str(), port)),
        )
        .await?
        .map_err(|e| step(tungstenite::Error::Io(e)))?;
        // Calls are small request/reply pairs: don't hold them back for coalescing.
        let _ = tcp.set_nodelay(true);
        let stream = if let Some(config) = tls_config {
            let name = ServerName::try_from(host.clone())
                .map_err(|e| config_err(format!("server name {host:?}: {e}")))?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let tls = connect_step(&endpoint, opts.timeout, connector.connect(name, tcp))
                .await?
                .map_err(|e| step(tungstenite::Error::Io(e)))?;
            MaybeTlsStream::Rustls(tls)
        } else {
            MaybeTlsStream::Plain(tcp)
        };
        let upgrade = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config));
        let (ws, _response) = connect_step(&endpoint, opts.timeout, upgrade)
            .await?
            .map_err(step)?;

        let limits = NoticeLimits {
            max_count: NOTICE_QUEUE,
            max_bytes: opts.max_notice_bytes,
        };
        let client = RpcClient::spawn(endpoint.clone(), ws, opts.timeout, limits);
        if let Some(creds) = credentials {
            if !client.login(creds.user(), creds.password()).await? {
                return Err(RpcError::LoginRejected {
                    endpoint,
                    user: creds.user().to_owned(),
                });
            }
        }
        Ok(client)
    }

    fn spawn(endpoint: String, ws: WsStream, timeout: Duration, limits: NoticeLimits) -> RpcClient {
        let peer_leaf = match ws.get_ref() {
            MaybeTlsStream::Rustls(tls) => tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|leaf| leaf.as_ref().to_vec()),
            _ => None,
        };
        let (sink, stream) = ws.split();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
        });
        let (notice_tx, notice_rx) = notices::queue(limits);
        let notice_stats = notice_tx.stats();
        let reader = tokio::spawn(read_loop(stream, Arc::clone(&shared), notice_tx));
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let (outbox, queued) = mpsc::channel(WRITE_QUEUE);
        let writer = tokio::spawn(write_loop(Arc::clone(&sink), queued, Arc::clone(&shared)));
        RpcClient {
            inner: Arc::new(Inner {
                endpoint,
                timeout,
                next_id: AtomicU64::new(1),
                sink,
                outbox,
                shared,
                api_ids: Mutex::new(HashMap::new()),
                notices: Mutex::new(Some(notice_rx)),
                notice_stats,
                reader,
                writer,
                peer_leaf,
            }),
        }
    }

    /// The endpoint as shown in errors (URL without credentials).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// The leaf certificate (DER) the server presented on this connection's TLS
    /// session; `None` for `ws://`. Read from the session itself, so it is the
    /// certificate this connection verified, not one from another handshake.
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.inner.peer_leaf.as_deref()
    }

    /// The default per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Whether the connection has died; every call now fails immediately.
    pub fn is_closed(&self) -> bool {
        self.inner.shared.lock().closed.is_some()
    }

    /// Why the connection died, as the error the next call would get; `None` while it
    /// is up. Lets a notice consumer that saw the channel end report the cause (a
    /// close frame's reason, an oversize frame) rather than just "closed".
    pub fn close_reason(&self) -> Option<RpcError> {
        let state = self.inner.shared.lock();
        state
            .closed
            .clone()
            .map(|f| f.into_error(&self.inner.endpoint, "subscription"))
    }

    /// The notice receiver. Only the first caller gets it; it yields `None` once the
    /// connection is gone, so a consumer learns about disconnects too.
    pub fn take_notices(&self) -> Option<NoticeReceiver> {
        self.inner
            .notices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Notices dropped because the queue was over its count or byte budget.
    pub fn dropped_notices(&self) -> u64 {
        self.inner.notice_stats.dropped()
    }

    /// Call `api.method(params)` with the connection's default timeout. `params` must be
    /// a JSON array (`null` means none).
    pub async fn call(&self, api: Api, method: &str, params: Value) -> Result<Value, RpcError> {
        self.call_with_timeout(api, method, params, self.inner.timeout)
            .await
    }

    /// As [`call`](Self::call) with an explicit timeout, for the call and for the API-id
    /// lookup before it when one is needed, each on its own (`broadcast_transaction_synchronous`
    /// has no server-side timeout and may need longer).
    pub async fn call_with_timeout(
        &self,
        api: Api,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        let call = format!("{}.{}", api.name(), method);
        let params = frame::normalize_params(params)
            .map_err(|f| f.into_error(&self.inner.endpoint, &call))?;
        // The API-id lookup (once per connection) and the call are two round trips;
        // each gets the whole timeout, so a far node that answers both in time is up.
        let api_id = self
            .resolve(&api, Instant::now() + timeout, timeout)
            .await?;
        let deadline = Instant::now() + timeout;
        self.raw_call(
            api_id,
            method,
            Params::Value(&params),
            &call,
            deadline,
            timeout,
        )
        .await
    }

    /// `broadcast_transaction` of a transaction serialized beforehand (`Json::of`):
    /// no JSON tree is built or copied on the way. Bounded by `timeout` (the API-id
    /// lookup, once per connection, and the call each get the whole of it).
    pub async fn broadcast_prepared(&self, tx: &Json, timeout: Duration) -> Result<(), RpcError> {
        const CALL: &str = "network_broadcast.broadcast_transaction";
        let api_id = self
            .resolve(&Api::NetworkBroadcast, Instant::now() + timeout, timeout)
            .await?;
        let deadline = Instant::now() + timeout;
        self.raw_call(
            api_id,
            "broadcast_transaction",
            Params::One(tx),
            CALL,
            deadline,
            timeout,
        )
        .await
        .map(drop)
    }

    /// The numeric id of an API set: 0 and 1 are fixed, others are asked for once per
    /// connection and cached (the node hands out the same id every time).
    pub async fn api_id(&self, api: &Api) -> Result<u64, RpcError> {
        let deadline = Instant::now() + self.inner.timeout;
        self.resolve(api, deadline, self.inner.timeout).await
    }

    async fn resolve(
        &self,
        api: &Api,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<u64, RpcError> {
        if let Some(id) = api.fixed_id() {
            return Ok(id);
        }
        let name = api.name();
        let cell = {
            let mut ids = self
                .inner
                .api_ids
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Known after the first call: no key allocated per call.
            match ids.get(name) {
                Some(c) => Arc::clone(c),
                None => Arc::clone(ids.entry(name.to_owned()).or_default()),
            }
        };
        if let Some(id) = cell.get() {
            return Ok(*id);
        }
        let call = format!("login.{name}");
        // OnceCell makes concurrent first uses wait for one resolution instead of racing.
        let id = cell
            .get_or_try_init(|| async {
                let value = self
                    .raw_call(1, name, Params::Value(&json!([])), &call, deadline, timeout)
                    .await?;
                int_from_value::<u64>(&value).ok_or_else(|| RpcError::Protocol {
                    endpoint: self.inner.endpoint.clone(),
                    call: call.clone(),
                    detail: format!(
                        "API id is not a number: {}",
                        frame::snippet(&value.to_string())
                    ),
                })
            })
            .await?;
        Ok(*id)
    }

    async fn raw_call(
        &self,
        api_id: u64,
        method: &str,
        params: Params<'_>,
        call: &str,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        let inner = &*self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut state = inner.shared.lock();
            if let Some(failure) = &state.closed {
                return Err(failure.clone().into_error(&inner.endpoint, call));
            }
            state.pending.insert(id, tx);
        }
        let _guard = PendingGuard {
            shared: &inner.shared,
            id,
        };
        let text = frame::encode(id, ApiRef::Id(api_id), method, params);
        let closed = || Failure::Transport(TransportKind::Closed, "connection closed".to_owned());
        let exchange = async {
            // The writer fails this call through its waiter if the frame cannot be
            // written. A full queue is waited for, within the call's deadline.
            inner
                .outbox
                .send(Outgoing { id, text })
                .await
                .map_err(|_| closed())?;
            match rx.await {
                Ok(outcome) => outcome,
                // The reader fails every waiter before it exits, so a dropped sender
                // means the client itself is being torn down.
                Err(_) => Err(closed()),
            }
        };
        match timeout_at(deadline, exchange).await {
            Err(_) => Err(RpcError::Timeout {
                endpoint: inner.endpoint.clone(),
                method: call.to_owned(),
                after: timeout,
            }),
            Ok(result) => result.map_err(|f| f.into_error(&inner.endpoint, call)),
        }
    }

    /// Send a close frame (best effort, bounded by the timeout) and fail pending calls.
    pub async fn close(&self) {
        let inner = &*self.inner;
        let _ = tokio::time::timeout(inner.timeout, async {
            let mut sink = inner.sink.lock().await;
            let _ = sink.close().await;
        })
        .await;
        inner.shared.fail_all(Failure::Transport(
            TransportKind::Closed,
            "closed by client".to_owned(),
        ));
        inner.reader.abort();
    }
}

/// Writes queued request frames: all that are queued, then one flush. A frame whose
/// call already ended (timed out, cancelled) is not sent. A frame that cannot be
/// written fails its own call with the reason, as a send in the call itself would; the
/// reader notices a dead connection and fails the rest.
async fn write_loop(sink: WsSink, mut queued: mpsc::Receiver<Outgoing>, shared: Arc<Shared>) {
    // Grown as batches need (`recv_many` reserves): a monitor connection sends one frame
    // at a time, and a thousand of them must not hold room for 256 each.
    let mut batch = Vec::new();
    let mut written = Vec::new();
    while queued.recv_many(&mut batch, WRITE_BATCH).await > 0 {
        {
            let state = shared.lock();
            batch.retain(|o| state.pending.contains_key(&o.id));
        }
        let mut sink = sink.lock().await;
        for o in batch.drain(..) {
            match sink.feed(Message::text(o.text)).await {
                Ok(()) => written.push(o.id),
                Err(e) => shared.fail_one(o.id, classify_ws_error(&e)),
            }
        }
        if let Err(e) = sink.flush().await {
            let failure = classify_ws_error(&e);
            for id in written.drain(..) {
                shared.fail_one(id, failure.clone());
            }
        }
        written.clear();
    }
}

/// One step of opening a connection, bounded by its own `timeout`.
async fn connect_step<T>(
    endpoint: &str,
    timeout: Duration,
    work: impl std::future::Future<Output = T>,
) -> Result<T, RpcError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| RpcError::Timeout {
            endpoint: endpoint.to_owned(),
            method: "connect".to_owned(),
            after: timeout,
        })
}

async fn read_loop(mut stream: SplitStream<WsStream>, shared: Arc<Shared>, notices: NoticeSender) {
    let failure = loop {
        let message = match stream.next().await {
            None => {
                break Failure::Transport(
                    TransportKind::Closed,
                    "connection closed by peer".into(),
                );
            }
            Some(Err(e)) => break classify_ws_error(&e),
            Some(Ok(m)) => m,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(data) => {
                break Failure::Protocol(format!(
                    "unexpected binary frame of {} bytes",
                    data.len()
                ));
            }
            Message::Close(frame) => {
                let detail = match frame {
                    Some(f) => format!(
                        "peer sent close {}: {}",
                        u16::from(f.code),
                        frame::snippet(&f.reason)
                    ),
                    None => "peer sent close".to_owned(),
                };
                break Failure::Transport(TransportKind::Closed, detail);
            }
            // tungstenite answers pings itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        // A notice bigger than the whole queue budget would be dropped after parsing;
        // drop it before, so a flood costs a scan rather than a parse.
        if notices.too_big(text.len()) && frame::is_notice(text.as_str()) {
            notices.count_drop();
            continue;
        }
        match frame::parse_incoming(text.as_str()) {
            Ok(Incoming::Reply { id, outcome }) => {
                let waiter = shared.lock().pending.remove(&id);
                // A reply for an unknown id belongs to a call that already timed out.
                if let Some(waiter) = waiter {
                    let _ = waiter.send(outcome.map_err(|e| Failure::Node(Box::new(e))));
                }
            }
            Ok(Incoming::Notice(notice)) => notices.push(notice),
            Ok(Incoming::Ignored) => {}
            // Unparseable frames cannot be matched to a call; waiting for the timeout
            // would only hide a broken peer, so fail everything now.
            Err(detail) => break Failure::Protocol(detail),
        }
    };
    shared.fail_all(failure);
}

/// Map a tungstenite error seen on an open connection.
pub(crate) fn classify_ws_error(e: &tungstenite::Error) -> Failure {
    use tungstenite::Error as E;
    match e {
        E::ConnectionClosed | E::AlreadyClosed => {
            Failure::Transport(TransportKind::Closed, "connection closed".into())
        }
        E::Io(io) => io_failure(io),
        E::Tls(t) => Failure::Transport(TransportKind::Tls, t.to_string()),
        E::Capacity(c) => Failure::Protocol(format!("frame refused: {c}")),
        E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Failure::Transport(
            TransportKind::Closed,
            "peer dropped the connection without a close handshake".into(),
        ),
        E::Protocol(p) => Failure::Protocol(p.to_string()),
        E::WriteBufferFull(_) => Failure::Transport(TransportKind::Io, "write buffer full".into()),
        E::Utf8 => Failure::Protocol("text frame is not valid UTF-8".into()),
        E::AttackAttempt => Failure::Protocol("peer behaviour looks like an attack".into()),
        E::Url(u) => Failure::Config(u.to_string()),
        E::Http(resp) => Failure::Transport(
            TransportKind::Handshake,
            format!("upgrade refused with HTTP {}", resp.status()),
        ),
        E::HttpFormat(h) => Failure::Transport(TransportKind::Handshake, h.to_string()),
    }
}

/// During connect, everything that is not socket/TLS/config is a failed upgrade.
fn handshake_failure(e: &tungstenite::Error) -> Failure {
    match classify_ws_error(e) {
        Failure::Protocol(detail) => Failure::Transport(TransportKind::Handshake, detail),
        other => other,
    }
}

fn io_failure(io: &std::io::Error) -> Failure {
    use std::io::ErrorKind as K;
    if tls::is_tls_io_error(io) {
        return Failure::Transport(TransportKind::Tls, io.to_string());
    }
    let kind = match io.kind() {
        K::ConnectionRefused
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::AddrNotAvailable
        | K::NotFound => TransportKind::Connect,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            TransportKind::Closed
        }
        _ => TransportKind::Io,
    };
    Failure::Transport(kind, io.to_string())
}

/// A parsed endpoint URL.
pub(crate) struct Target {
    pub url: url::Url,
    /// URL without userinfo, for errors and logs.
    pub display: String,
    pub tls: bool,
    pub credentials: Option<Credentials>,
}

/// Parse and check the scheme; strip credentials out of the URL.
pub(crate) fn parse_url(raw: &str, schemes: &[&str]) -> Result<Target, RpcError> {
    let redacted = || crate::secrets::redact_userinfo(raw);
    let mut url = url::Url::parse(raw).map_err(|e| RpcError::Config {
        endpoint: redacted(),
        call: "connect".to_owned(),
        detail: format!("invalid URL: {e}"),
    })?;
    if !schemes.contains(&url.scheme()) {
        return Err(RpcError::Config {
            endpoint: redacted(),
            call: "connect".to_owned(),
            detail: format!(
                "unsupported scheme {:?} (expected {})",
                url.scheme(),
                schemes.join(" or ")
            ),
        });
    }
    let credentials = if url.username().is_empty() && url.password().is_none() {
        None
    } else {
        let user = percent_decode(url.username());
        let pass = percent_decode(url.password().unwrap_or(""));
        Some(Credentials::new(user, pass))
    };
    // Cannot fail for ws/wss/http/https URLs, which always have a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let tls = matches!(url.scheme(), "wss" | "https");
    Ok(Target {
        display: url.to_string(),
        url,
        tls,
        credentials,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_extracted_and_hidden() {
        let t = parse_url("wss://ops:p%40ss@node.example:8089/ws", &["ws", "wss"]).unwrap();
        assert_eq!(t.display, "wss://node.example:8089/ws");
        assert!(t.tls);
        let c = t.credentials.unwrap();
        assert_eq!((c.user(), c.password()), ("ops", "p@ss"));
        assert!(!format!("{c:?}").contains("p@ss"));
    }

    #[test]
    fn bad_urls_are_config_errors_without_secrets() {
        let e = parse_url("http://a:secret@h/", &["ws", "wss"])
            .err()
            .unwrap();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(parse_url("not a url", &["ws"]).is_err());
    }

    #[test]
    fn options_debug_hides_password() {
        let o = ConnectOptions {
            credentials: Some(Credentials::new("u", "hunter2")),
            ..ConnectOptions::default()
        };
        assert!(!format!("{o:?}").contains("hunter2"));
    }
}
