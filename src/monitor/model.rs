//! The data the monitor engine publishes: endpoint and fleet snapshots, status-change
//! events and alerts.
//!
//! Everything here is plain serde data so the console, `check --json`, the recorder
//! and replays all see the same shapes. Times are unix seconds (`f64`, or `i64` for
//! chain times, which have one-second resolution) taken when the engine observed
//! something; views never read the clock themselves, so a replay renders exactly what
//! the live run showed.

use serde::{Deserialize, Serialize};

/// Health of one endpoint, a network or the fleet.
///
/// Declared worst-first so `Ord` sorts the worst endpoints to the top and `max()`
/// of statuses is the *best* one; use [`Status::worst`] to combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No answer (connect failed, timed out, wrong handshake).
    Down,
    /// Answers, but something operators must act on (stale head, wrong chain, …).
    Crit,
    Warn,
    Ok,
    /// Not probed yet.
    Unknown,
}

impl Status {
    /// For serde defaults.
    pub fn unknown() -> Status {
        Status::Unknown
    }

    /// Every status, worst first.
    pub const ALL: [Status; 5] = [
        Status::Down,
        Status::Crit,
        Status::Warn,
        Status::Ok,
        Status::Unknown,
    ];

    /// The more severe of two statuses. `Unknown` only wins against itself: an endpoint
    /// not probed yet must not hide one known to be down.
    pub fn worst(self, other: Status) -> Status {
        self.min(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Down => "down",
            Status::Crit => "crit",
            Status::Warn => "warn",
            Status::Ok => "ok",
            Status::Unknown => "unknown",
        }
    }

    /// True for crit and down, the states that raise an alert.
    pub fn is_alerting(self) -> bool {
        matches!(self, Status::Down | Status::Crit)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an endpoint is, which decides how it is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    /// A websocket JSON-RPC API node.
    Node,
    /// A P2P seed node (its 33-byte key, then its decrypted hello: PROTOCOL.md §10).
    Seed,
    /// A load balancer's public URL, probed like a node.
    Lb,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Node => "node",
            EndpointKind::Seed => "seed",
            EndpointKind::Lb => "lb",
        }
    }
}

/// Connection state of an endpoint's probe task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    /// Not tried yet.
    Idle,
    /// Opening the socket / TLS / websocket upgrade / login.
    Connecting,
    /// Connected and logged in (nodes), or the last seed probe succeeded.
    Connected,
    /// The last attempt failed; waiting for the next one (backoff).
    Backoff,
}

/// Latency summary over the sliding window, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Successful probes in the window the percentiles come from.
    pub samples: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// The most recent successful probe.
    pub last_ms: Option<f64>,
    /// Recent probe latencies, oldest first, one per probe (`None` = failed probe);
    /// short and bounded, for sparklines.
    pub history: Vec<Option<f64>>,
}

/// Software-version bracket inferred from features (PROTOCOL.md §22); no RPC returns
/// the version itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionBracket {
    /// The node is at least this version, e.g. `"6.1.0"`.
    pub at_least: Option<String>,
    /// The node is older than this version, when a missing feature proves it.
    pub below: Option<String>,
    /// The fingerprints the bracket rests on, for the detail view.
    pub evidence: Vec<String>,
}

impl VersionBracket {
    /// Short text for a table cell: `">=6.1.0"`, `"5.0.0..6.0.0"`, or `"?"`.
    pub fn label(&self) -> String {
        match (&self.at_least, &self.below) {
            (Some(a), Some(b)) => format!("{a}..{b}"),
            (Some(a), None) => format!(">={a}"),
            (None, Some(b)) => format!("<{b}"),
            (None, None) => "?".into(),
        }
    }
}

/// How far a seed probe got (PROTOCOL.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SeedLevel {
    /// The 33-byte key arrived: a graphene P2P stack answers, nothing more is known.
    L1,
    /// The key exchange finished and the seed's `hello` was decrypted and verified:
    /// chain id and head are known and the chain and lag rules apply.
    L2,
}

impl SeedLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            SeedLevel::L1 => "L1",
            SeedLevel::L2 => "L2",
        }
    }
}

/// A seed's `hello`, beyond the chain id and head (which go in the endpoint's own
/// fields): who the node says it is and what it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedHello {
    /// `user_agent`, e.g. `"BitShares Reference Implementation"`.
    pub user_agent: String,
    pub core_protocol_version: u32,
    /// `user_data.node_id`, hex.
    pub node_id: Option<String>,
    /// The node's permanent P2P key, hex (what signed this session's secret).
    pub node_public_key: String,
    /// `user_data.fc_git_revision_sha`.
    pub fc_revision: Option<String>,
    /// `user_data.platform`, e.g. `"linux"`.
    pub platform: Option<String>,
}

/// The last error an endpoint gave, verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastError {
    /// Unix seconds.
    pub time: f64,
    /// The error's own text, unedited.
    pub message: String,
    /// Short class for filtering: `timeout`, `connect`, `tls`, `node`, `protocol`, ….
    pub kind: String,
}

/// Everything the engine knows about one endpoint at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSnapshot {
    pub kind: EndpointKind,
    pub network: String,
    /// Unique across the config.
    pub name: String,
    /// Websocket URL for nodes and LBs, `host:port` for seeds.
    pub url: String,
    pub state: ConnState,
    /// Unix seconds of the last completed probe (success or failure).
    pub last_probe: Option<f64>,
    /// Completed probe rounds since the engine started.
    pub probes: u64,
    /// TCP + TLS + websocket upgrade, ms, of the current connection.
    pub connect_ms: Option<f64>,
    /// `login` round trip, ms.
    pub login_ms: Option<f64>,
    /// Chain id the endpoint answered.
    pub chain_id: Option<String>,
    /// The answered chain id differs from the configured network's.
    pub chain_mismatch: bool,
    pub head_num: Option<u32>,
    pub head_id: Option<String>,
    /// Chain time of the head block, unix seconds.
    pub head_time: Option<i64>,
    /// Blocks behind the best node of the same network.
    pub lag_blocks: Option<u64>,
    /// Seconds between the wall clock and the head block time (negative: the head is in
    /// our future, i.e. our clock is behind).
    pub lag_s: Option<f64>,
    /// Same height as another node of the network, different block id.
    pub fork_suspect: bool,
    /// The head number is further ahead of the network's median head than blocks could
    /// have been produced since: not believed, never best (absent in older recordings).
    #[serde(default)]
    pub head_suspect: bool,
    pub lib_num: Option<u32>,
    /// `head_num - lib_num`.
    pub lib_lag: Option<u64>,
    /// Witness participation in percent (`recent_slots_filled`).
    pub participation_pct: Option<f64>,
    /// Slots missed between the last two samples (`Δcurrent_aslot − Δhead`).
    pub missed_slots: Option<u64>,
    /// `recently_missed_count` from the node.
    pub recently_missed: Option<u32>,
    /// Block interval in seconds read from the node's global properties.
    pub block_interval_s: Option<u32>,
    /// Active witnesses (global properties); the LIB-lag rule allows 2 × this.
    pub active_witnesses: Option<u32>,
    /// Within the tolerance window after a maintenance block.
    pub in_maintenance: bool,
    pub latency: Latency,
    /// Share of successful probes over the window, in percent.
    pub availability_pct: Option<f64>,
    /// `get_available_api_sets` answer (the login's permission set).
    pub api_sets: Vec<String>,
    /// `get_info` text (`api-node-info`), verbatim.
    pub info: Option<String>,
    pub version: VersionBracket,
    /// P2P connection count when the login grants `network_node`.
    pub peer_count: Option<u64>,
    pub last_error: Option<LastError>,
    /// The seed's 33-byte key as hex (seeds only).
    pub seed_key: Option<String>,
    /// The probe level the seed answered at in its last probe (seeds only).
    pub seed_level: Option<SeedLevel>,
    /// What the seed's `hello` said about its software (seeds answering at L2).
    pub seed_hello: Option<SeedHello>,
    /// TLS certificate days to expiry (wss:// endpoints and LB public URLs).
    pub cert_days: Option<f64>,
    /// Certificate `notAfter`, unix seconds.
    pub cert_not_after: Option<i64>,
    /// Set when the certificate the endpoint presented does not cover the URL's host
    /// (the handshake is refused, so nothing else is read): why, naming the names it
    /// does cover. Recordings from before this field read as `None`.
    #[serde(default)]
    pub cert_mismatch: Option<String>,
    /// The config's `region`, for grouping and the region summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub status: Status,
    /// Why the status is what it is; empty when ok.
    pub reasons: Vec<String>,
}

impl EndpointSnapshot {
    /// The kind for a table cell; a seed's says the level its last probe answered at
    /// (`"seed L2"`, `"seed L1"`; just `"seed"` while it is down or not yet probed).
    pub fn kind_label(&self) -> String {
        match (self.kind, self.seed_level) {
            (EndpointKind::Seed, Some(level)) => format!("seed {}", level.as_str()),
            (kind, _) => kind.as_str().to_string(),
        }
    }

    /// A fresh, not yet probed endpoint.
    pub fn new(kind: EndpointKind, network: &str, name: &str, url: &str) -> EndpointSnapshot {
        EndpointSnapshot {
            kind,
            network: network.to_string(),
            name: name.to_string(),
            url: url.to_string(),
            state: ConnState::Idle,
            last_probe: None,
            probes: 0,
            connect_ms: None,
            login_ms: None,
            chain_id: None,
            chain_mismatch: false,
            head_num: None,
            head_id: None,
            head_time: None,
            lag_blocks: None,
            lag_s: None,
            fork_suspect: false,
            head_suspect: false,
            lib_num: None,
            lib_lag: None,
            participation_pct: None,
            missed_slots: None,
            recently_missed: None,
            block_interval_s: None,
            active_witnesses: None,
            in_maintenance: false,
            latency: Latency::default(),
            availability_pct: None,
            api_sets: Vec::new(),
            info: None,
            version: VersionBracket::default(),
            peer_count: None,
            last_error: None,
            seed_key: None,
            seed_level: None,
            seed_hello: None,
            cert_days: None,
            cert_not_after: None,
            cert_mismatch: None,
            region: None,
            status: Status::Unknown,
            reasons: Vec::new(),
        }
    }
}

/// Per-network roll-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkSummary {
    pub name: String,
    /// Configured chain id.
    pub chain_id: String,
    /// Highest believable head among the nodes with the right chain id that answered
    /// (not fork-suspect, not implausibly far ahead of the median; see `rules`).
    pub best_head: Option<u32>,
    /// Name of the node holding the best head.
    pub best_node: Option<String>,
    pub counts: StatusCounts,
    /// Worst endpoint status of the network.
    pub status: Status,
    /// The API nodes' software versions (bracket labels), most common first: a rollout
    /// in progress shows as more than one. Recordings from before read as empty.
    #[serde(default)]
    pub versions: Vec<VersionShare>,
}

/// How many API nodes of a network run one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionShare {
    /// `VersionBracket::label()`, e.g. `">=7.0.0"`.
    pub version: String,
    pub nodes: u32,
}

impl NetworkSummary {
    /// The version most API nodes run, when one is ahead of every other.
    pub fn majority_version(&self) -> Option<&str> {
        match self.versions.as_slice() {
            [first, second, ..] if first.nodes == second.nodes => None,
            [first, ..] => Some(first.version.as_str()),
            [] => None,
        }
    }

    /// `>=7.0.0 ×4, 6.0.0..6.1.0 ×1`.
    pub fn rollout(&self) -> Option<String> {
        (!self.versions.is_empty()).then(|| {
            self.versions
                .iter()
                .map(|v| format!("{} ×{}", v.version, v.nodes))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}

/// How many endpoints are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok: u32,
    pub warn: u32,
    pub crit: u32,
    pub down: u32,
    pub unknown: u32,
}

impl StatusCounts {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Ok => self.ok += 1,
            Status::Warn => self.warn += 1,
            Status::Crit => self.crit += 1,
            Status::Down => self.down += 1,
            Status::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.ok + self.warn + self.crit + self.down + self.unknown
    }
}

/// Estimate of this host's clock offset against the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockEstimate {
    /// Seconds our clock is ahead of the chain (positive: we are ahead). `None` when no
    /// healthy node gave a usable head.
    pub offset_s: Option<f64>,
    /// Number of node heads the estimate rests on.
    pub samples: u32,
    /// The offset exceeds `monitor.clock_warn_s`.
    pub warn: bool,
}

/// The whole fleet at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetSnapshot {
    /// Unix seconds when the snapshot was built.
    pub time: f64,
    /// Snapshot sequence number, increasing by one per published snapshot.
    pub seq: u64,
    /// In config order.
    pub endpoints: Vec<EndpointSnapshot>,
    pub networks: Vec<NetworkSummary>,
    pub clock: ClockEstimate,
    /// Alerts not yet acknowledged, or acknowledged but still active, snoozed ones
    /// included: a view hides those whose `snoozed_until` is after `time`.
    pub alerts: Vec<Alert>,
}

impl FleetSnapshot {
    pub fn empty() -> FleetSnapshot {
        FleetSnapshot {
            time: 0.0,
            seq: 0,
            endpoints: Vec::new(),
            networks: Vec::new(),
            clock: ClockEstimate {
                offset_s: None,
                samples: 0,
                warn: false,
            },
            alerts: Vec::new(),
        }
    }

    pub fn endpoint(&self, name: &str) -> Option<&EndpointSnapshot> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// Worst status over every endpoint (`Unknown` for an empty fleet).
    pub fn worst(&self) -> Status {
        self.endpoints
            .iter()
            .map(|e| e.status)
            .filter(|s| *s != Status::Unknown)
            .min()
            .unwrap_or(Status::Unknown)
    }
}

/// A status change of one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unix seconds.
    pub time: f64,
    pub endpoint: String,
    pub network: String,
    pub from: Status,
    pub to: Status,
    /// Why, in words: the reasons of the new status joined, or what cleared.
    pub reason: String,
}

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The endpoint went crit or down.
    Status,
    ChainMismatch,
    ForkSuspect,
    CertExpiring,
    ClockOffset,
}

/// An alert stays listed until acknowledged (and, when acknowledged while its condition
/// still holds, until the condition clears); snoozed alerts are hidden until then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable across snapshots: `<kind>:<endpoint>` (`clock_offset:` for the host).
    pub id: String,
    pub kind: AlertKind,
    /// Empty for host-wide alerts (clock offset).
    pub endpoint: String,
    pub message: String,
    /// Unix seconds.
    pub raised: f64,
    /// The condition still holds.
    pub active: bool,
    pub acked: bool,
    /// Unix seconds; hidden until then.
    pub snoozed_until: Option<f64>,
    /// How bad: the condition's severity now while active; once cleared, the worst it
    /// reached in the episode (and `message` is the message from that moment, so a
    /// cleared alert tells what happened, not how it last looked). Recordings from
    /// before this field read as `unknown`.
    #[serde(default = "Status::unknown")]
    pub severity: Status,
    /// Unix seconds when the condition cleared; `None` while active.
    #[serde(default)]
    pub cleared: Option<f64>,
}

impl AlertKind {
    /// The kind in words, for people.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Status => "status",
            AlertKind::ChainMismatch => "wrong chain",
            AlertKind::ForkSuspect => "fork suspect",
            AlertKind::CertExpiring => "cert expiring",
            AlertKind::ClockOffset => "clock offset",
        }
    }
}

impl Alert {
    /// How long the episode lasted, seconds; `None` while it goes on.
    pub fn lasted(&self) -> Option<f64> {
        self.cleared.map(|c| (c - self.raised).max(0.0))
    }

    /// What it is about, for people: `eu-1 status`, `host clock offset`.
    pub fn title(&self) -> String {
        let subject = if self.endpoint.is_empty() {
            "host"
        } else {
            &self.endpoint
        };
        format!("{subject} {}", self.kind.label())
    }
}
