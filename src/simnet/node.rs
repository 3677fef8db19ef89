//! API nodes: one shared chain per network, N nodes each with its own listener and its own
//! view of that chain (it may lag, stall or lie about the chain id).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::chain_objects::fmt_time;
use super::chain_state::{Block, Chain, ChainState};
use super::database_api::{BlockSource, ChainView};
use super::faults::{FaultHandle, FaultState, malform};
use super::fc_error::FcError;
use super::node_version::NodeVersion;
use super::outbox::Outbox;
use super::rpc_dispatch::{
    ApiAccess, NodeContext, Reply, Session, TxSink, block_notices, confirmations, handle_text,
};
use super::server::{
    ConnectionGuard, DripStream, MAX_BODY_BYTES, MAX_WS_MESSAGE_BYTES, PrefixedStream,
    REQUEST_TIMEOUT, RequestHead, read_head, wait_while_frozen, write_http_reply,
};
use super::transactions::push_transaction;

/// Wall-clock unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// One network's chain, shared by its nodes.
pub struct NetworkShared {
    pub name: String,
    chain: Mutex<Chain>,
    blocks: RwLock<Vec<Arc<Block>>>,
    /// The newest snapshots, oldest first, so lagging nodes can serve an older head.
    recent: RwLock<VecDeque<Arc<ChainState>>>,
    keep: usize,
    head: watch::Sender<u32>,
    /// Accepted transactions as sent, for `set_pending_transaction_callback`.
    pending: tokio::sync::broadcast::Sender<Arc<Value>>,
}

impl BlockSource for NetworkShared {
    fn block(&self, num: u32) -> Option<Arc<Block>> {
        let idx = usize::try_from(num).ok()?.checked_sub(1)?;
        self.blocks.read().ok()?.get(idx).cloned()
    }
}

impl TxSink for NetworkShared {
    fn push(&self, tx: &Value) -> Result<String, FcError> {
        let id = self.with_chain(|c| push_transaction(c, tx))?;
        // Nobody listening is fine.
        let _ = self.pending.send(Arc::new(tx.clone()));
        Ok(id)
    }
}

/// Counts what reaches this node, then hands it to the network's chain.
impl TxSink for NodeRuntime {
    fn push(&self, tx: &Value) -> Result<String, FcError> {
        self.broadcasts.fetch_add(1, Ordering::Relaxed);
        self.network.push(tx)
    }
}

impl NetworkShared {
    /// `max_lag`: the largest lag (in blocks) any node of this network is configured with.
    pub fn new(name: impl Into<String>, chain: Chain, max_lag: u32) -> Arc<Self> {
        let genesis = Arc::new(chain.state().clone());
        let mut recent = VecDeque::new();
        recent.push_back(genesis);
        Arc::new(NetworkShared {
            name: name.into(),
            chain: Mutex::new(chain),
            blocks: RwLock::new(Vec::new()),
            recent: RwLock::new(recent),
            keep: max_lag as usize + 1,
            head: watch::Sender::new(0),
            pending: tokio::sync::broadcast::Sender::new(256),
        })
    }

    pub fn latest(&self) -> Arc<ChainState> {
        self.lagging(0)
    }

    /// The state `lag` blocks behind the network head (the oldest kept when shorter).
    pub fn lagging(&self, lag: u32) -> Arc<ChainState> {
        let recent = match self.recent.read() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        let idx = recent.len().saturating_sub(1 + lag as usize);
        match recent.get(idx) {
            Some(s) => Arc::clone(s),
            // Never empty: `new` stores genesis and nothing pops the last entry.
            None => Arc::new(self.with_chain(|c| c.state().clone())),
        }
    }

    pub fn head_num(&self) -> u32 {
        *self.head.borrow()
    }

    pub fn subscribe_head(&self) -> watch::Receiver<u32> {
        self.head.subscribe()
    }

    pub fn subscribe_pending(&self) -> tokio::sync::broadcast::Receiver<Arc<Value>> {
        self.pending.subscribe()
    }

    /// Runs `f` on the chain under its lock (transaction application, tests).
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        let mut guard = match self.chain.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Produces the block due at `now`, if any, and publishes it.
    pub fn tick(&self, now: i64) -> Option<u32> {
        let (block, state) = self.with_chain(|c| {
            let b = c.produce_block(now)?;
            Some((b, c.state().clone()))
        })?;
        let num = block.num;
        if let Ok(mut blocks) = self.blocks.write() {
            blocks.push(Arc::new(block));
        }
        if let Ok(mut recent) = self.recent.write() {
            recent.push_back(Arc::new(state));
            while recent.len() > self.keep {
                recent.pop_front();
            }
        }
        self.head.send_replace(num);
        Some(num)
    }
}

/// Produces blocks on slot boundaries of the wall clock, as read by witnesses whose clocks
/// run `clock_skew_s` ahead of this host's, until aborted.
pub async fn run_chain(network: Arc<NetworkShared>, block_interval: u32, clock_skew_s: i64) {
    let interval = i64::from(block_interval.max(1));
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs() as i64;
        let next_slot = (secs.div_euclid(interval) + 1) * interval;
        // Wake just after the boundary so the slot's second has started on every clock.
        let wait = Duration::from_secs((next_slot - secs) as u64)
            .saturating_sub(Duration::from_nanos(u64::from(now.subsec_nanos())))
            + Duration::from_millis(20);
        tokio::time::sleep(wait).await;
        network.tick(unix_now() + clock_skew_s);
    }
}

/// One API node.
pub struct NodeRuntime {
    pub network: Arc<NetworkShared>,
    pub name: String,
    pub info: String,
    pub access: ApiAccess,
    pub faults: FaultHandle,
    lag_blocks: AtomicU32,
    stalled_at: Mutex<Option<Arc<ChainState>>>,
    /// Open connections (websocket and HTTP), for tests and leak checks.
    pub connections: AtomicUsize,
    /// Transactions that reached this node's broadcast calls, accepted or not: tests
    /// prove that nothing was broadcast (a stress run on the wrong chain).
    pub broadcasts: AtomicU64,
    /// JSON-RPC requests answered (websocket and HTTP): tests count what a client asked.
    pub requests: AtomicU64,
    wrong_chain_id: String,
    node_key: String,
    listening_on: Mutex<String>,
    version: NodeVersion,
}

impl NodeRuntime {
    pub fn new(
        network: Arc<NetworkShared>,
        name: impl Into<String>,
        info: impl Into<String>,
        access: ApiAccess,
        lag_blocks: u32,
        version: NodeVersion,
    ) -> Arc<Self> {
        let name = name.into();
        let chain_id = network.with_chain(|c| c.state().spec.chain_id.clone());
        let wrong = hex::encode(Sha256::digest(format!("wrong chain of {chain_id}")));
        let key = Sha256::digest(format!("{}/{name}", network.name));
        let node_key = format!("02{}", hex::encode(key));
        Arc::new(NodeRuntime {
            network,
            name,
            info: info.into(),
            access,
            faults: FaultHandle::new(),
            lag_blocks: AtomicU32::new(lag_blocks),
            stalled_at: Mutex::new(None),
            connections: AtomicUsize::new(0),
            broadcasts: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            wrong_chain_id: wrong,
            node_key,
            listening_on: Mutex::new(String::new()),
            version,
        })
    }

    pub fn set_listening_on(&self, addr: String) {
        if let Ok(mut l) = self.listening_on.lock() {
            *l = addr;
        }
    }

    pub fn set_lag(&self, blocks: u32) {
        self.lag_blocks.store(blocks, Ordering::Relaxed);
    }

    /// The state this node serves now.
    pub fn view(&self) -> Arc<ChainState> {
        let pinned = match self.stalled_at.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        match pinned {
            Some(s) => s,
            None => self
                .network
                .lagging(self.lag_blocks.load(Ordering::Relaxed)),
        }
    }

    /// Follows the stall fault: pins the current view when it starts, unpins on recovery.
    pub fn on_fault(&self, state: &FaultState) {
        let current = if state.stalled {
            Some(self.view())
        } else {
            None
        };
        if let Ok(mut g) = self.stalled_at.lock() {
            match (state.stalled, g.is_some()) {
                (true, false) => *g = current,
                (false, true) => *g = None,
                _ => {}
            }
        }
    }

    fn network_node_info(&self) -> Value {
        let listening = self
            .listening_on
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        json!({
            "listening_on": listening,
            "node_public_key": self.node_key,
            "node_id": self.node_key,
            "connection_count": self.connections.load(Ordering::Relaxed),
        })
    }

    fn context<'a>(
        &'a self,
        state: &'a ChainState,
        now: &'a str,
        faults: &FaultState,
    ) -> NodeContext<'a> {
        let chain_id = if faults.wrong_chain_id {
            self.wrong_chain_id.as_str()
        } else {
            state.spec.chain_id.as_str()
        };
        NodeContext {
            view: ChainView {
                state,
                chain_id,
                blocks: &*self.network,
            },
            info: &self.info,
            access: &self.access,
            now,
            network_node_info: self.network_node_info(),
            tx_sink: self,
            version: self.version,
        }
    }

    /// Answers one request text as this node, now.
    pub fn answer(&self, text: &str, session: &mut Session, faults: &FaultState) -> Reply {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let state = self.view();
        let now = fmt_time(unix_now());
        let ctx = self.context(&state, &now, faults);
        handle_text(text, session, &ctx)
    }
}

/// Serves one accepted connection: websocket or one HTTP POST.
pub async fn serve_connection(node: Arc<NodeRuntime>, mut stream: TcpStream) {
    let _guard = ConnectionGuard::new(&node.connections);
    let mut buf = Vec::new();
    let head = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream, &mut buf)).await {
        Ok(Ok(h)) => h,
        _ => return,
    };
    let mut faults = node.faults.subscribe();
    if !wait_while_frozen(&mut stream, &mut faults).await {
        return;
    }
    if head.websocket {
        // The upgrade answer crosses the slow link too, so connecting takes a round trip.
        let link = faults.borrow().link_delay();
        if let Some(d) = link {
            tokio::time::sleep(d).await;
        }
        let stream = DripStream::new(PrefixedStream::new(buf, stream), faults.clone());
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_WS_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_WS_MESSAGE_BYTES));
        let accepted = tokio::time::timeout(
            REQUEST_TIMEOUT,
            tokio_tungstenite::accept_async_with_config(stream, Some(config)),
        )
        .await;
        if let Ok(Ok(ws)) = accepted {
            serve_websocket(&node, ws, head.credentials, faults).await;
        }
    } else {
        let body_start = head.len.min(buf.len());
        let leftover = buf.split_off(body_start);
        let stream = DripStream::new(PrefixedStream::new(leftover, stream), faults.clone());
        serve_http(&node, stream, &head, faults).await;
    }
}

async fn serve_http<S: AsyncRead + AsyncWrite + Unpin>(
    node: &NodeRuntime,
    mut stream: S,
    head: &RequestHead,
    mut faults: watch::Receiver<FaultState>,
) {
    let credentials = head.credentials.clone();
    let Some(len) = head.content_length.filter(|_| !head.chunked) else {
        let _ = write_http_reply(&mut stream, 411, None).await;
        return;
    };
    if len > MAX_BODY_BYTES {
        let _ = write_http_reply(&mut stream, 413, None).await;
        return;
    }
    if head.expect_continue
        && stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .is_err()
    {
        return;
    }
    let mut body = vec![0u8; len];
    match tokio::time::timeout(REQUEST_TIMEOUT, stream.read_exact(&mut body)).await {
        Ok(Ok(_)) => {}
        _ => return,
    }
    let text = String::from_utf8_lossy(&body);
    // Each HTTP request gets a fresh API context, thrown away after the reply.
    let mut session = Session::new(
        &node.access,
        credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
    );
    let state = faults.borrow_and_update().clone();
    if state.frozen {
        // Never answered: hold the connection until the client gives up.
        let mut sink = [0u8; 256];
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
        return;
    }
    let before = node.view();
    let mut reply = node.answer(&text, &mut session, &state);
    if !session.deferred.is_empty() && reply.text.is_none() {
        reply.text = wait_for_confirmation(node, &mut session, before).await;
    }
    // One request per connection: its processing time, then the link.
    let held = state.processing_time().unwrap_or_default() + state.link_delay().unwrap_or_default();
    if !held.is_zero() {
        tokio::time::sleep(held).await;
    }
    let body = reply
        .text
        .map(|t| if state.malformed { malform(&t) } else { t });
    let _ = write_http_reply(&mut stream, reply.http_status, body.as_deref()).await;
}

/// Holds an HTTP `broadcast_transaction_synchronous` until its block is applied (a few
/// blocks at most: accepted transactions go into the next one).
async fn wait_for_confirmation(
    node: &NodeRuntime,
    session: &mut Session,
    mut before: Arc<ChainState>,
) -> Option<String> {
    let mut head = node.network.subscribe_head();
    let limit = Duration::from_secs(u64::from(before.spec.block_interval) * 10 + 5);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, head.changed()).await {
            Ok(Ok(())) => {}
            _ => return None,
        }
        let view = node.view();
        let now = fmt_time(unix_now());
        let state = node.faults.state();
        let ctx = node.context(&view, &now, &state);
        if let Some(text) = confirmations(session, &before, &ctx).into_iter().next() {
            return Some(text);
        }
        if view.head_num() > before.head_num() {
            before = Arc::clone(&view);
        }
    }
}

/// Sleeps until `due`, or forever when nothing is due.
async fn until(due: Option<tokio::time::Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// A frame as the fault state of the moment shapes it: `None` while frozen (nothing is
/// sent), cut in half while malformed.
fn shaped(text: String, state: &FaultState) -> Option<String> {
    if state.frozen {
        None
    } else if state.malformed {
        Some(malform(&text))
    } else {
        Some(text)
    }
}

/// Frames waiting for the link or the node beyond this stop the connection reading
/// requests (as a real server's full send buffer would), so a client flooding a slow
/// node cannot make the queue grow without bound.
const MAX_QUEUED_FRAMES: usize = 1024;

async fn serve_websocket<S: AsyncRead + AsyncWrite + Unpin>(
    node: &NodeRuntime,
    mut ws: WebSocketStream<S>,
    credentials: Option<(String, String)>,
    faults: watch::Receiver<FaultState>,
) {
    let mut session = Session::new(
        &node.access,
        credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
    );
    let mut head_rx = node.network.subscribe_head();
    let mut pending_rx = node.network.subscribe_pending();
    let mut last_view = node.view();
    // Replies and notices go out through the outbox, which holds them for the latency
    // and slow-processing faults without keeping this loop from reading.
    let mut outbox = Outbox::new();
    loop {
        // What is due goes out at once: a timer for an instant already reached would
        // still wait for the timer wheel's next tick (about a millisecond).
        if outbox
            .next_due()
            .is_some_and(|t| t <= tokio::time::Instant::now())
        {
            let state = faults.borrow().clone();
            for text in outbox.take_due(tokio::time::Instant::now(), &state) {
                if ws.send(Message::text(text)).await.is_err() {
                    return;
                }
            }
        }
        tokio::select! {
            _ = until(outbox.next_due()) => continue,
            tx = pending_rx.recv() => {
                let tx = match tx {
                    Ok(tx) => tx,
                    // A lagging receiver just misses some; a real node may skip or repeat too.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                if let Some(cb) = &session.pending_callback {
                    let text = super::rpc_dispatch::notice_text(cb, (*tx).clone());
                    let state = faults.borrow().clone();
                    if let Some(text) = shaped(text, &state) {
                        outbox.notice(tokio::time::Instant::now(), text, &state);
                    }
                }
            }
            msg = ws.next(), if outbox.len() < MAX_QUEUED_FRAMES => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                let state = faults.borrow().clone();
                if state.frozen {
                    continue;
                }
                node.requests.fetch_add(1, Ordering::Relaxed);
                let had_updates = session.wants_updates();
                let view = node.view();
                let now = fmt_time(unix_now());
                let reply = {
                    let ctx = node.context(&view, &now, &state);
                    handle_text(&text, &mut session, &ctx).text
                };
                if !had_updates {
                    last_view = view;
                }
                if let Some(reply) = reply.and_then(|r| shaped(r, &state)) {
                    outbox.reply(tokio::time::Instant::now(), reply, &state);
                }
            }
            changed = head_rx.changed() => {
                if changed.is_err() {
                    break;
                }
                let view = node.view();
                if view.head_num() <= last_view.head_num() {
                    continue;
                }
                if session.wants_updates() {
                    let state = faults.borrow().clone();
                    let now = fmt_time(unix_now());
                    let notices = {
                        let ctx = node.context(&view, &now, &state);
                        let mut n = block_notices(&session, &last_view, &ctx);
                        n.extend(confirmations(&mut session, &last_view, &ctx));
                        n
                    };
                    let sent = tokio::time::Instant::now();
                    for n in notices.into_iter().filter_map(|n| shaped(n, &state)) {
                        outbox.notice(sent, n, &state);
                    }
                }
                last_view = view;
            }
        }
    }
}
