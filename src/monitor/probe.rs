//! Probe tasks: one per endpoint, independent, each writing its [`Observation`] in
//! place under its own lock (held for a few field writes, never across an await), so a
//! slow aggregator never blocks a probe for long and a frozen endpoint never delays
//! another.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;

use crate::config;
use crate::rpc::{self, Api, ConnectOptions, DynamicGlobalProperties, RpcClient, RpcError};
use crate::text;

use super::model::{ConnState, EndpointKind, EndpointSnapshot, LastError};
use super::rules::{CLOCK_SAMPLES, Observation, RECENT_IDS, id_key};
use super::seed_probe;
use super::version::{self, VersionEvidence};
use super::window::Window;

/// Callback number for the 2.1.0 subscription; any client-chosen integer works.
const DGP_CALLBACK: u64 = 7;
/// Refresh the P2P peer count every this many probes.
const PEER_EVERY: u64 = 10;
/// Ask the chain id again every this many probes: a node restarted behind a proxy on
/// another chain keeps the proxy's connection open.
const CHAIN_EVERY: u64 = 5;
/// Largest message accepted from a node: the monitor reads small objects only, and a
/// hostile endpoint must not make it buffer megabytes (memory per endpoint is bounded).
const MAX_FRAME_BYTES: usize = 1 << 20;
/// The most round trips, one after another, from opening a connection to its first
/// recorded probe: TCP, TLS, upgrade, login in `connect` and the timed login, what `learn`
/// asks (all at once), the peer count's
/// API-id lookup and call, subscribing (two calls), the probe call and a chain-id
/// re-check. Each is bounded by the timeout on its own, so this many timeouts bound
/// the first round of an endpoint that answers every step (what `check` waits for).
pub const FIRST_ROUND_TRIPS: u32 = 13;
/// Byte budget of a probe's queued notices (estimated parsed size). The probe only
/// needs the newest head, a notice of about a kilobyte; while it waits on a call it
/// does not read notices, and a node that holds a reply and streams large notices must
/// not fill memory meanwhile. Older notices are dropped first, so the newest head stays.
const MAX_NOTICE_BYTES: usize = 256 * 1024;
/// Most API set names kept: a real node has about a dozen.
const MAX_API_SETS: usize = 64;

/// One endpoint to watch.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub kind: EndpointKind,
    pub network: String,
    pub name: String,
    /// `ws://`/`wss://` URL for nodes and LBs, `host:port` for seeds.
    pub url: String,
    pub credentials: Option<config::Credentials>,
    pub ca_file: Option<PathBuf>,
    /// The configured network's chain id.
    pub chain_id: String,
}

/// Timing shared by every probe task.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSettings {
    pub interval: Duration,
    pub timeout: Duration,
    pub window_s: f64,
    /// Longest wait between reconnect attempts.
    pub backoff_max: Duration,
    /// Interval of seed probes.
    pub seed_interval: Duration,
}

/// Wall clock as unix seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Exponential backoff with ±20 % jitter, so a fleet of tasks that lost the same LB
/// does not reconnect in lockstep.
pub fn backoff_delay(base: Duration, max: Duration, failures: u32, salt: u64) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.min(16));
    let capped = exp.min(max).max(Duration::from_millis(50));
    let mut z = salt
        .wrapping_add(u64::from(failures))
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z ^= z >> 29;
    let frac = (z % 4001) as f64 / 10_000.0; // 0 ..= 0.4
    capped.mul_f64(0.8 + frac)
}

fn salt(name: &str) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    name.bytes()
        .fold(nanos, |h, b| h.rotate_left(5) ^ u64::from(b))
}

/// One endpoint's observation, shared by its probe task (the only writer) and the
/// aggregator, which reads it in place when it builds a snapshot. A lock rather than a
/// channel of copies: copying the observation on every probe and block notice was a
/// fifth of the monitor's CPU at 1,000 endpoints.
pub type SharedObservation = Arc<Mutex<Observation>>;

/// Locks an observation. A panic while it was held cannot leave it half-valid (every
/// write is a plain field store), so a poisoned lock is used as it stands.
pub fn lock(o: &SharedObservation) -> MutexGuard<'_, Observation> {
    o.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The mutable side of one endpoint: its shared observation plus the window behind it.
struct Probe {
    shared: SharedObservation,
    window: Window,
    notify: Arc<Notify>,
    last_aslot: Option<(u64, u32)>,
    next_maintenance: Option<i64>,
    successes: u64,
    /// The window changed since the latency summary was last computed. Notices publish
    /// every block, and merging the histograms for each is wasted work at 1,000 endpoints.
    window_dirty: bool,
    /// A head was already seen on this connection. The first one is of unknown age (up
    /// to a block interval old), so only a head seen to change samples the host clock:
    /// one `check` round taken late in a block must not read as a clock running ahead.
    head_seen: bool,
    /// The probe interval, the unit of availability.
    interval: Duration,
    /// Largest weight one outcome can carry: the window, in probe intervals.
    max_weight: u32,
    /// When the last probe outcome was recorded, and whether it was a success.
    last_outcome: Option<(Instant, bool)>,
}

impl Probe {
    fn new(settings: &ProbeSettings, shared: SharedObservation, notify: Arc<Notify>) -> Probe {
        Probe {
            shared,
            window: Window::new(settings.window_s),
            notify,
            last_aslot: None,
            next_maintenance: None,
            successes: 0,
            window_dirty: false,
            head_seen: false,
            interval: settings.interval,
            max_weight: (settings.window_s / settings.interval.as_secs_f64().max(1e-3)).ceil()
                as u32,
            last_outcome: None,
        }
    }

    /// How many probe intervals this outcome stands for in the availability figure:
    /// the time since the previous outcome, except that an outage is counted from its
    /// first failed probe (when between the last success and it the endpoint went away
    /// is unknown). So a node in reconnect backoff, probed once every few intervals,
    /// is unavailable for the whole time, and a seed probed every ten intervals that
    /// fails once and answers the retry one interval later loses one interval, not ten.
    fn weight(&mut self, ok: bool) -> u32 {
        let w = match self.last_outcome {
            Some((at, prev_ok)) if ok || !prev_ok => {
                (at.elapsed().as_secs_f64() / self.interval.as_secs_f64().max(1e-3)).round()
            }
            _ => 1.0,
        };
        self.last_outcome = Some((Instant::now(), ok));
        (w as u32).clamp(1, self.max_weight.max(1))
    }

    /// The observation, locked for the rest of the statement (or the guard's scope).
    fn obs(&self) -> MutexGuard<'_, Observation> {
        lock(&self.shared)
    }

    /// Brings the derived fields up to date and wakes the aggregator.
    fn publish(&mut self) {
        let now = unix_now();
        let mut o = lock(&self.shared);
        let s = &mut o.snap;
        if std::mem::take(&mut self.window_dirty) {
            self.window.latency_into(now, &mut s.latency);
            s.availability_pct = self.window.availability_pct(now);
        }
        s.cert_days = s
            .cert_not_after
            .map(|t| ((t as f64 - now) / 86_400.0 * 100.0).round() / 100.0);
        drop(o);
        self.notify.notify_one();
    }

    fn set_state(&mut self, state: ConnState) {
        self.obs().snap.state = state;
        self.publish();
    }

    /// Notes an error. Its text usually quotes the node, so it is made safe for a
    /// terminal and capped here, where node text enters the model (see [`text`]).
    fn error(&mut self, kind: &str, message: String) {
        self.obs().snap.last_error = Some(LastError {
            time: unix_now(),
            message: text::node_text(&message),
            kind: kind.to_string(),
        });
    }

    /// The chain id the node answered, compared raw, kept sanitized.
    fn set_chain_id(&mut self, answered: &str, configured: &str) {
        let s = &mut self.obs().snap;
        s.chain_mismatch = answered != configured;
        s.chain_id = Some(text::node_text(answered));
    }

    /// A failed probe or connection attempt.
    fn fail(&mut self, kind: &str, message: String) {
        let now = unix_now();
        self.error(kind, message);
        {
            let s = &mut self.obs().snap;
            s.state = ConnState::Backoff;
            s.probes += 1;
            s.last_probe = Some(now);
        }
        let weight = self.weight(false);
        self.window.record_failure(now, weight);
        self.window_dirty = true;
        self.publish();
    }

    fn succeed(&mut self, latency: Duration) {
        let now = unix_now();
        self.successes += 1;
        {
            let s = &mut self.obs().snap;
            s.state = ConnState::Connected;
            s.probes += 1;
            s.last_probe = Some(now);
        }
        let weight = self.weight(true);
        self.window.record_ok(now, ms(latency), weight);
        self.window_dirty = true;
        self.publish();
    }

    /// Folds in a dynamic-global-properties object (from a probe or a notice).
    fn apply_dgp(&mut self, d: &DynamicGlobalProperties) {
        let now = unix_now();
        let mut o = lock(&self.shared);
        let o = &mut *o;
        let s = &mut o.snap;
        let head_changed = s.head_num != Some(d.head_block_number);
        let fresh_head = head_changed && self.head_seen;
        self.head_seen = true;
        s.head_num = Some(d.head_block_number);
        s.head_id = Some(text::node_text(&d.head_block_id));
        s.head_time = Some(d.time.unix_timestamp());
        s.lib_num = Some(d.last_irreversible_block_num);
        s.lib_lag = Some(u64::from(
            d.head_block_number
                .saturating_sub(d.last_irreversible_block_num),
        ));
        s.participation_pct = Some(d.participation_percent());
        s.recently_missed = Some(d.recently_missed_count);
        if let Some((aslot, head)) = self.last_aslot {
            if d.current_aslot >= aslot && d.head_block_number >= head {
                let slots = d.current_aslot - aslot;
                let blocks = u64::from(d.head_block_number - head);
                if slots > 0 || blocks > 0 {
                    s.missed_slots = Some(slots.saturating_sub(blocks));
                }
            }
        }
        if self.last_aslot.is_none_or(|(a, _)| d.current_aslot != a) {
            self.last_aslot = Some((d.current_aslot, d.head_block_number));
        }
        let next = d.next_maintenance_time.unix_timestamp();
        if let Some(prev) = self.next_maintenance {
            if next != prev && (prev as f64) <= now {
                o.last_maintenance = Some(prev);
            }
        }
        self.next_maintenance = Some(next);
        o.maintenance_block = d.dynamic_flags.unwrap_or(0) & 1 == 1;
        if head_changed {
            let ids = &mut o.recent_ids;
            ids.retain(|(h, _)| *h != d.head_block_number);
            ids.push((d.head_block_number, id_key(&d.head_block_id)));
            if ids.len() > RECENT_IDS {
                ids.remove(0);
            }
        }
        if fresh_head {
            let c = &mut o.clock_samples;
            c.push((now, now - d.time.unix_timestamp() as f64));
            if c.len() > CLOCK_SAMPLES {
                c.remove(0);
            }
        }
    }

    /// Clears what only a live connection can know. A chain mismatch is kept: it
    /// clears only when the node answers the right chain id, so a node on the wrong
    /// chain that drops its connections never shows ok on the immediate retry.
    fn disconnected(&mut self) {
        self.head_seen = false;
        let s = &mut self.obs().snap;
        s.connect_ms = None;
        s.login_ms = None;
        s.peer_count = None;
    }
}

fn error_kind(e: &RpcError) -> &'static str {
    match e {
        RpcError::Transport { kind, .. } => match kind {
            rpc::TransportKind::Tls => "tls",
            _ => "connect",
        },
        RpcError::Timeout { .. } => "timeout",
        RpcError::Protocol { .. } => "protocol",
        RpcError::Node { .. } => "node",
        RpcError::LoginRejected { .. } => "auth",
        RpcError::Config { .. } => "config",
    }
}

/// Runs forever (until aborted): the probe loop of one API node or LB public URL.
pub async fn run_node(
    target: Target,
    settings: ProbeSettings,
    shared: SharedObservation,
    notify: Arc<Notify>,
) {
    let mut p = Probe::new(&settings, shared, notify);
    let salt = salt(&target.name);
    let mut failures: u32 = 0;
    // The attempt under way is the immediate retry after a serving connection closed.
    let mut retrying = false;
    loop {
        if !retrying {
            p.set_state(ConnState::Connecting);
        }
        let before = p.successes;
        let started = Instant::now();
        let result = session(&target, &settings, &mut p).await;
        p.disconnected();
        let served = p.successes > before;
        // A session that got as far as a successful probe starts the backoff afresh.
        if served {
            failures = 0;
            retrying = false;
        }
        match result {
            // A connection that served for a while and was then closed (a proxy
            // reloading, a node restarting behind a balancer) is retried at once and
            // the endpoint keeps its status meanwhile: down means no answer, and one
            // reconnect tells. A timeout already is no answer; a node that closes every
            // connection straight away gets the backoff.
            Err((kind, message))
                if served
                    && !retrying
                    && kind == "connect"
                    && started.elapsed() >= settings.interval =>
            {
                p.error(kind, message);
                retrying = true;
                continue;
            }
            Err((kind, message)) => p.fail(kind, message),
            Ok(()) => {}
        }
        retrying = false;
        let delay = backoff_delay(settings.interval, settings.backoff_max, failures, salt);
        failures = failures.saturating_add(1);
        tokio::time::sleep(delay).await;
    }
}

type Failure = (&'static str, String);

fn rpc_fail(e: RpcError) -> Failure {
    (error_kind(&e), e.to_string())
}

/// One connection: connect, log in, learn the node, then probe until something fails.
/// Returns the failure that ended it.
async fn session(target: &Target, settings: &ProbeSettings, p: &mut Probe) -> Result<(), Failure> {
    let credentials = match &target.credentials {
        Some(c) => Some(
            c.password()
                .map(|pw| rpc::Credentials::new(c.user.clone(), pw))
                .map_err(|e| ("config", e))?,
        ),
        None => None,
    };
    let presented = target
        .url
        .starts_with("wss://")
        .then(rpc::tls::PresentedLeaf::default);
    let opts = ConnectOptions {
        timeout: settings.timeout,
        credentials: credentials.clone(),
        ca_file: target.ca_file.clone(),
        max_frame_bytes: MAX_FRAME_BYTES,
        // Probe answers are a few KB; the default 128 KiB per connection would dominate
        // the monitor's memory at a thousand endpoints.
        read_buffer_bytes: 8 * 1024,
        presented_leaf: presented.clone(),
        max_notice_bytes: MAX_NOTICE_BYTES,
    };
    let t0 = Instant::now();
    // Boxed, as `serve` below: an async fn's state is as large as its largest await
    // point, and the probe task of each of a thousand endpoints would otherwise carry
    // the connect (TLS and handshake state, 18 KB) and the serving loop side by side for
    // its whole life. Boxed, the connect state is freed once connected.
    let client = match Box::pin(RpcClient::connect(&target.url, opts)).await {
        Ok(client) => {
            note_certificate(target, client.peer_certificate(), p);
            client
        }
        Err(e) => {
            // A refused handshake still showed its certificate: say what is wrong
            // with it (a name it does not cover) rather than only "TLS error".
            let leaf = presented.as_ref().and_then(rpc::tls::PresentedLeaf::take);
            note_certificate(target, leaf.as_deref(), p);
            return Err(rpc_fail(e));
        }
    };
    p.obs().snap.connect_ms = Some(ms(t0.elapsed()));
    // A node that floods notices while holding a reply fails with a timeout; say what
    // else it did, so the operator sees the attack and not just a slow node.
    Box::pin(serve(&client, credentials.as_ref(), target, settings, p))
        .await
        .map_err(|(kind, message)| match client.dropped_notices() {
            0 => (kind, message),
            n => (
                kind,
                format!("{message} ({n} notices dropped: over the probe's notice budget)"),
            ),
        })
}

/// The rest of a connection's life: log in, learn the node, then probe until
/// something fails.
async fn serve(
    client: &RpcClient,
    credentials: Option<&rpc::Credentials>,
    target: &Target,
    settings: &ProbeSettings,
    p: &mut Probe,
) -> Result<(), Failure> {
    // Timed on its own so a slow login (an api-access file with many users) shows apart
    // from a slow network; connect already logged in with the same credentials.
    let t1 = Instant::now();
    let logged_in = match credentials {
        Some(c) => client.login(c.user(), c.password()).await,
        None => client.login("", "").await,
    }
    .map_err(rpc_fail)?;
    p.obs().snap.login_ms = Some(ms(t1.elapsed()));
    if let (false, Some(c)) = (logged_in, credentials) {
        return Err((
            "auth",
            format!("{}: login rejected for user {:?}", target.url, c.user()),
        ));
    }

    // Boxed: its concurrent calls make it the largest state of this function (10 KB
    // against about 3 KB for the probe loop), and it runs once per connection.
    Box::pin(learn(client, target, p)).await?;

    let mut notices = client.take_notices();
    let subscribed = async {
        client.set_subscribe_callback(DGP_CALLBACK, false).await?;
        client.get_objects(&["2.1.0"]).await
    }
    .await;
    if let Err(e) = subscribed {
        // Polling alone still works; note it and go on.
        p.error(error_kind(&e), e.to_string());
        notices = None;
    }

    let mut tick = tokio::time::interval(settings.interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // `learn` just asked for the peer count; the next refresh is due PEER_EVERY probes on.
    let mut probes_since_peers: u64 = 0;
    // Heads come by subscription; the probe call measures latency. While notices flow,
    // the probe is `get_chain_id` (a 64-character answer that also re-checks the chain);
    // when one is more than a probe interval late (a broken subscription, a stalled
    // node, a missed slot), the probe asks for the head itself. Any later and a
    // healthy node whose subscription broke would show a head older than the lag
    // warning (6 s against 3 s blocks) before polling took over.
    let block = Duration::from_secs(u64::from(p.obs().snap.block_interval_s.unwrap_or(3).max(1)));
    let notice_grace = block + settings.interval;
    let mut last_notice: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let fresh = last_notice.is_some_and(|t| t.elapsed() < notice_grace);
                let t = Instant::now();
                let call = async {
                    if fresh {
                        client.get_chain_id().await.map(Probed::ChainId)
                    } else {
                        client.get_dynamic_global_properties().await.map(Probed::Head)
                    }
                };
                // Notices keep being applied while the call is out: on a far node the
                // call takes most of each interval, and heads queued behind it would
                // read as a node lagging by several blocks.
                let (answer, took) = {
                    tokio::pin!(call);
                    loop {
                        tokio::select! {
                            r = &mut call => break (r, t.elapsed()),
                            n = recv(&mut notices) => {
                                on_notice(n, client, target, p, &mut last_notice)?;
                            }
                        }
                    }
                };
                match answer.map_err(rpc_fail)? {
                    Probed::ChainId(id) => {
                        p.set_chain_id(&id, &target.chain_id);
                    }
                    Probed::Head(dgp) => {
                        p.apply_dgp(&dgp);
                        if p.obs().snap.probes % CHAIN_EVERY == CHAIN_EVERY - 1 {
                            let id = client.get_chain_id().await.map_err(rpc_fail)?;
                            p.set_chain_id(&id, &target.chain_id);
                        }
                    }
                }
                probes_since_peers += 1;
                if probes_since_peers >= PEER_EVERY && has_network_node(&p.obs().snap) {
                    probes_since_peers = 0;
                    peer_count(client, p).await;
                }
                p.succeed(took);
            }
            n = recv(&mut notices) => on_notice(n, client, target, p, &mut last_notice)?,
        }
    }
}

/// What the probe call answered.
enum Probed {
    ChainId(String),
    Head(DynamicGlobalProperties),
}

/// Applies one subscription notice; the connection's end when the channel closed.
fn on_notice(
    n: Option<rpc::Notice>,
    client: &RpcClient,
    target: &Target,
    p: &mut Probe,
    last_notice: &mut Option<Instant>,
) -> Result<(), Failure> {
    let Some(n) = n else {
        return Err(client
            .close_reason()
            .map(rpc_fail)
            .unwrap_or_else(|| ("connect", format!("{}: connection closed", target.url))));
    };
    if let Some(d) = dgp_in_notice(n.args) {
        *last_notice = Some(Instant::now());
        p.apply_dgp(&d);
        p.publish();
    }
    Ok(())
}

async fn recv(n: &mut Option<rpc::NoticeReceiver>) -> Option<rpc::Notice> {
    match n {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The 2.1.0 object in a subscription notice (`[[obj, …]]`), if any. Takes the notice
/// by value so the object is parsed without a copy (one per block per endpoint).
fn dgp_in_notice(args: Vec<Value>) -> Option<DynamicGlobalProperties> {
    args.into_iter()
        .filter_map(|a| match a {
            Value::Array(v) => Some(v),
            _ => None,
        })
        .flatten()
        .find(|o| o.get("id").and_then(Value::as_str) == Some("2.1.0"))
        .and_then(|o| serde_json::from_value(o).ok())
}

fn has_network_node(s: &EndpointSnapshot) -> bool {
    s.api_sets.iter().any(|a| a == "network_node_api")
}

/// Static facts of a node, asked once per connection. Node errors here are noted but
/// do not fail the probe (an old node without `get_info` is still serving); a timeout or
/// a dead connection does, so a node that freezes mid-setup is down within its timeout
/// instead of after one timeout per call.
async fn learn(client: &RpcClient, target: &Target, p: &mut Probe) -> Result<(), Failure> {
    fn soft<T>(r: Result<T, RpcError>, p: &mut Probe) -> Result<Option<T>, Failure> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.node_error().is_some() => {
                p.error(error_kind(&e), e.to_string());
                Ok(None)
            }
            Err(e) => Err(rpc_fail(e)),
        }
    }
    // All in flight at once: on a far node each round trip counts, and `check` must
    // finish its round in time.
    let (chain_id, gp, sets, info, db_methods, login_methods, ops) = tokio::join!(
        client.get_chain_id(),
        client.get_global_properties(),
        client.get_available_api_sets(),
        client.get_info(),
        method_list(client, Api::Database),
        method_list(client, Api::Login),
        op_count(client),
    );
    let chain_id = chain_id.map_err(rpc_fail)?;
    p.set_chain_id(&chain_id, &target.chain_id);
    if let Some(gp) = soft(gp, p)? {
        p.obs().snap.block_interval_s = Some(gp.parameters.block_interval);
        p.obs().snap.active_witnesses = Some(gp.active_witnesses.len() as u32);
        p.obs().maintenance_skip_slots = gp.parameters.maintenance_skip_slots.unwrap_or(3);
    }
    // `get_available_api_sets` and `get_info` came with 6.1.0: an older node lacking them
    // is a fact about its version (the bracket says it), not an error.
    let sets = since_6_1(sets);
    let info = since_6_1(info);
    if let Some(sets) = soft(sets, p)?.flatten() {
        p.obs().snap.api_sets = sets
            .iter()
            .take(MAX_API_SETS)
            .map(|s| text::node_text(s))
            .collect();
    }
    match soft(info, p)?.flatten() {
        Some(Value::String(s)) => p.obs().snap.info = Some(text::node_text(&s)),
        Some(other) => p.obs().snap.info = Some(text::node_text(&other.to_string())),
        None => {}
    }
    let ev = VersionEvidence {
        database_methods: db_methods?,
        login_methods: login_methods?,
        op_count: ops?,
    };
    p.obs().snap.version = version::bracket(&ev);
    let network_node = has_network_node(&p.obs().snap);
    if network_node {
        peer_count(client, p).await;
    }
    Ok(())
}

/// `Ok(None)` for a method the node does not have (−32601, "Method not found").
fn since_6_1<T>(r: Result<T, RpcError>) -> Result<Option<T>, RpcError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.node_error().is_some_and(|ne| ne.code == -32601) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The answer to a probe that is expected to fail with a node error.
fn expect_node_error(r: Result<Value, RpcError>) -> Result<Option<crate::rpc::NodeError>, Failure> {
    match r {
        Ok(_) => Ok(None),
        Err(e) => match e.into_node_error() {
            Ok(ne) => Ok(Some(*ne)),
            Err(e) => Err(rpc_fail(e)),
        },
    }
}

/// The API's method list from the error an unknown method gets (PROTOCOL.md §22).
async fn method_list(client: &RpcClient, api: Api) -> Result<Option<Vec<String>>, Failure> {
    let ne = expect_node_error(client.call(api, "x_probe", json!([])).await)?;
    Ok(ne
        .and_then(|ne| ne.format_data)
        .and_then(|d| d.get("api").and_then(version::method_names)))
}

/// Operation count from the error a tag beyond the last operation gets.
async fn op_count(client: &RpcClient) -> Result<Option<u32>, Failure> {
    let r = client
        .call(
            Api::Database,
            "get_required_fees",
            json!([[[999, {}]], "1.3.0"]),
        )
        .await;
    Ok(expect_node_error(r)?.and_then(|ne| {
        ne.filled_format()
            .and_then(|t| version::op_count_from_error(&t))
            .or_else(|| version::op_count_from_error(&ne.message))
    }))
}

async fn peer_count(client: &RpcClient, p: &mut Probe) {
    match client.network_node_get_info().await {
        Ok(v) => {
            p.obs().snap.peer_count = v
                .get("connection_count")
                .and_then(rpc::types::int_from_value::<u64>);
        }
        Err(e) => p.error(error_kind(&e), e.to_string()),
    }
}

/// Certificate facts of one connect attempt, from the leaf its TLS handshake saw:
/// the session's own when connected (so no second handshake is made, and the facts are
/// those of the certificate in use), the presented one when the handshake was refused.
/// `None` (plain `ws://`, or no handshake reached) clears a stale name mismatch.
fn note_certificate(target: &Target, leaf: Option<&[u8]>, p: &mut Probe) {
    p.obs().snap.cert_mismatch = None;
    let Some(der) = leaf else { return };
    match super::cert::parse_leaf(der) {
        Ok(facts) => {
            let host = url::Url::parse(&target.url).ok();
            let mismatch = host
                .as_ref()
                .and_then(url::Url::host)
                .and_then(|h| facts.host_mismatch(&h));
            let mut o = p.obs();
            o.snap.cert_not_after = Some(facts.not_after);
            o.snap.cert_mismatch = mismatch.map(|why| format!("{}: {why}", target.url));
        }
        Err(e) => p.error("tls", format!("{}: {e}", target.url)),
    }
}

/// Runs forever: the P2P seed probe (PROTOCOL.md §10). L1 (the 33-byte key) decides
/// up or down; L2 (the decrypted hello) adds the chain id and head, and when only L1
/// answers the row says so (see [`super::seed_probe`]).
pub async fn run_seed(
    target: Target,
    settings: ProbeSettings,
    shared: SharedObservation,
    notify: Arc<Notify>,
) {
    let mut p = Probe::new(&settings, shared, notify);
    loop {
        let ok = match seed_probe::probe(&target.url, settings.timeout).await {
            Ok(answer) => {
                if let Err((kind, message)) = &answer.l2 {
                    p.error(kind, format!("{}: {message}", target.url));
                }
                seed_probe::record(&mut p.obs().snap, &answer, &target.chain_id);
                p.succeed(answer.connect);
                true
            }
            Err((kind, message)) => {
                seed_probe::forget(&mut p.obs().snap);
                p.fail(kind, format!("{}: {message}", target.url));
                false
            }
        };
        // A failing seed is asked again every probe interval, so its outage is measured
        // in probe intervals rather than in seed intervals.
        let next = if ok {
            settings.seed_interval
        } else {
            settings.interval.min(settings.seed_interval)
        };
        tokio::time::sleep(next).await;
    }
}

/// A fresh observation for a target.
pub fn initial_observation(t: &Target) -> Observation {
    Observation::new(EndpointSnapshot::new(t.kind, &t.network, &t.name, &t.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(30);
        let d0 = backoff_delay(base, max, 0, 1);
        assert!(d0 >= Duration::from_millis(800) && d0 <= Duration::from_millis(1200));
        let d3 = backoff_delay(base, max, 3, 1);
        assert!(d3 >= Duration::from_millis(6400) && d3 <= Duration::from_millis(9600));
        let d20 = backoff_delay(base, max, 20, 1);
        assert!(d20 <= Duration::from_secs(36));
        assert_ne!(
            backoff_delay(base, max, 2, 1),
            backoff_delay(base, max, 2, 2)
        );
    }

    #[test]
    fn notice_with_dgp() {
        let args = vec![
            json!([{"id":"2.1.0","head_block_number":5,"head_block_id":"0000000500000000000000000000000000000000",
            "time":"2024-01-01T00:00:00","current_witness":"1.6.1","next_maintenance_time":"2024-01-01T01:00:00",
            "recently_missed_count":0,"current_aslot":9,"recent_slots_filled":"1","last_irreversible_block_num":3},
            {"id":"1.2.3"}]),
        ];
        let d = dgp_in_notice(args).unwrap();
        assert_eq!(d.head_block_number, 5);
        assert!(dgp_in_notice(vec![json!([{"id":"1.2.3"}])]).is_none());
    }

    fn dgp(head: u32, age_s: i64) -> DynamicGlobalProperties {
        let t = time::OffsetDateTime::from_unix_timestamp(unix_now() as i64 - age_s).unwrap();
        let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        serde_json::from_value(json!({"id":"2.1.0","head_block_number":head,
            "head_block_id":format!("{head:08x}00000000000000000000000000000000"),
            "time":t.format(f).unwrap(),"current_witness":"1.6.1","next_maintenance_time":"2030-01-01T00:00:00",
            "recently_missed_count":0,"current_aslot":head,"recent_slots_filled":"1","last_irreversible_block_num":1}))
        .unwrap()
    }

    fn test_settings() -> ProbeSettings {
        ProbeSettings {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            window_s: 60.0,
            backoff_max: Duration::from_secs(10),
            seed_interval: Duration::from_secs(1),
        }
    }

    /// Every endpoint's probe task lives as long as the monitor, so its state is most of
    /// the monitor's memory per endpoint. Unboxed, the connect and `learn` states made it
    /// 40 KB; the monitor's target is 64 KB per endpoint in all.
    #[test]
    fn a_probe_task_carries_no_connect_or_learn_state() {
        let target = Target {
            kind: EndpointKind::Node,
            network: "net".into(),
            name: "n".into(),
            url: "ws://127.0.0.1:1".into(),
            credentials: None,
            ca_file: None,
            chain_id: String::new(),
        };
        let settings = test_settings();
        let shared: SharedObservation = Arc::new(Mutex::new(initial_observation(&target)));
        let notify = Arc::new(Notify::new());
        let task = run_node(
            target.clone(),
            settings.clone(),
            Arc::clone(&shared),
            notify.clone(),
        );
        assert!(
            std::mem::size_of_val(&task) <= 2048,
            "{}",
            std::mem::size_of_val(&task)
        );
        let mut p = Probe::new(&settings, shared, notify);
        let session = session(&target, &settings, &mut p);
        assert!(
            std::mem::size_of_val(&session) <= 2048,
            "{}",
            std::mem::size_of_val(&session)
        );
    }

    /// Only a head seen to change on the same connection samples the host clock; the
    /// first head of each connection may be a block interval old.
    #[test]
    fn first_head_of_a_connection_is_no_clock_sample() {
        let shared: SharedObservation = Arc::new(Mutex::new(Observation::new(
            EndpointSnapshot::new(EndpointKind::Node, "net", "n", "ws://x"),
        )));
        let settings = test_settings();
        let mut p = Probe::new(&settings, Arc::clone(&shared), Arc::new(Notify::new()));
        p.apply_dgp(&dgp(10, 3));
        p.apply_dgp(&dgp(10, 3));
        assert!(lock(&shared).clock_samples.is_empty());
        p.apply_dgp(&dgp(11, 0));
        let samples = lock(&shared).clock_samples.clone();
        assert_eq!(samples.len(), 1);
        assert!(samples[0].1 < 2.0, "{samples:?}");
        p.disconnected();
        p.apply_dgp(&dgp(14, 3));
        assert_eq!(lock(&shared).clock_samples.len(), 1);
        assert_eq!(lock(&shared).recent_ids.len(), 3);
    }
}
