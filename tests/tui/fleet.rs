//! A hand-built, deterministic fleet: two networks, every status, alerts, events.

use btsops::monitor::*;
use btsops::theme::Theme;
use btsops::tui::keymap::Key;
use btsops::tui::{App, Keymap, Msg, update};

pub const T0: f64 = 1_764_000_000.0;

#[allow(clippy::too_many_arguments)]
fn node(
    network: &str,
    name: &str,
    status: Status,
    head: Option<u32>,
    lag: Option<(u64, f64)>,
    p50: f64,
    p99: f64,
    avail: f64,
) -> EndpointSnapshot {
    let mut e = EndpointSnapshot::new(
        EndpointKind::Node,
        network,
        name,
        &format!("wss://{name}.example.org/ws"),
    );
    e.status = status;
    e.state = ConnState::Connected;
    e.last_probe = Some(T0 - 1.0);
    e.probes = 120;
    e.connect_ms = Some(p50 * 3.0);
    e.login_ms = Some(p50);
    e.head_num = head;
    e.head_time = head.map(|_| T0 as i64 - lag.map(|l| l.1 as i64).unwrap_or(1));
    e.lag_blocks = lag.map(|l| l.0);
    e.lag_s = lag.map(|l| l.1);
    e.lib_num = head.map(|h| h - 14);
    e.lib_lag = head.map(|_| 14);
    e.participation_pct = Some(98.0);
    e.latency = Latency {
        samples: 60,
        p50_ms: Some(p50),
        p95_ms: Some(p99 * 0.8),
        p99_ms: Some(p99),
        max_ms: Some(p99 * 1.2),
        last_ms: Some(p50),
        history: (0..40)
            .map(|i| {
                if i % 13 == 7 && status != Status::Ok {
                    None
                } else {
                    Some(p50 + ((i * 37) % 11) as f64 * (p99 - p50) / 10.0)
                }
            })
            .collect(),
    };
    e.availability_pct = Some(avail);
    e.api_sets = vec!["database_api".into(), "network_broadcast_api".into()];
    e.version = VersionBracket {
        at_least: Some("7.0.0".into()),
        below: None,
        evidence: vec!["get_liquidity_pools".into()],
    };
    e.cert_days = Some(60.0);
    e
}

pub fn snapshot(time: f64) -> FleetSnapshot {
    let mut eps = vec![
        node(
            "mainnet",
            "eu-1",
            Status::Ok,
            Some(80_000_100),
            Some((0, 1.0)),
            42.0,
            90.0,
            100.0,
        ),
        node(
            "mainnet",
            "eu-2",
            Status::Warn,
            Some(80_000_097),
            Some((3, 10.0)),
            120.0,
            480.0,
            99.5,
        ),
        node(
            "mainnet",
            "us-1",
            Status::Crit,
            Some(80_000_060),
            Some((40, 121.0)),
            80.0,
            300.0,
            97.0,
        ),
        node(
            "mainnet",
            "asia-1",
            Status::Down,
            None,
            None,
            0.0,
            0.0,
            40.0,
        ),
        node(
            "mainnet",
            "bad-chain",
            Status::Crit,
            Some(1_000),
            None,
            60.0,
            140.0,
            100.0,
        ),
        node(
            "testnet",
            "t-1",
            Status::Ok,
            Some(5_000_000),
            Some((0, 2.0)),
            30.0,
            70.0,
            100.0,
        ),
        node(
            "testnet",
            "t-2",
            Status::Ok,
            Some(5_000_000),
            Some((0, 2.0)),
            35.0,
            75.0,
            100.0,
        ),
        node("testnet", "t-3", Status::Unknown, None, None, 0.0, 0.0, 0.0),
    ];
    eps[1].reasons = vec!["lag 3 blocks".into()];
    eps[2].reasons = vec!["head 121 s old".into()];
    eps[3].state = ConnState::Backoff;
    eps[3].latency = Latency::default();
    eps[3].last_error = Some(LastError {
        time: time - 5.0,
        message: "connect: Connection refused (os error 111)".into(),
        kind: "connect".into(),
    });
    eps[3].reasons = vec!["no answer for 30 s".into()];
    eps[4].chain_mismatch = true;
    eps[4].chain_id =
        Some("39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447".into());
    eps[4].reasons = vec!["wrong chain id".into()];
    eps[6].cert_days = Some(5.0);
    eps[7].state = ConnState::Idle;
    eps[7].latency = Latency::default();
    eps[7].availability_pct = None;
    let summary = |name: &str, best: u32, node: &str| {
        let mut counts = StatusCounts::default();
        let mut status = Status::Unknown;
        for e in eps.iter().filter(|e| e.network == name) {
            counts.add(e.status);
            status = status.worst(e.status);
        }
        NetworkSummary {
            name: name.into(),
            chain_id: "0".repeat(64),
            best_head: Some(best),
            best_node: Some(node.into()),
            counts,
            status,
            versions: btsops::monitor::rules::version_shares(
                eps.iter()
                    .filter(|e| e.network == name && e.kind == EndpointKind::Node),
            ),
        }
    };
    let networks = vec![
        summary("mainnet", 80_000_100, "eu-1"),
        summary("testnet", 5_000_000, "t-1"),
    ];
    FleetSnapshot {
        time,
        seq: 1,
        endpoints: eps,
        networks,
        clock: ClockEstimate {
            offset_s: Some(3.4),
            samples: 4,
            warn: true,
        },
        alerts: vec![
            alert(
                "status:asia-1",
                AlertKind::Status,
                "asia-1",
                "asia-1 is down: no answer for 30 s",
                time - 40.0,
                true,
                Status::Down,
            ),
            alert(
                "chain_mismatch:bad-chain",
                AlertKind::ChainMismatch,
                "bad-chain",
                "bad-chain answers chain id 39f5e2ed…",
                time - 300.0,
                true,
                Status::Crit,
            ),
            alert(
                "status:us-1",
                AlertKind::Status,
                "us-1",
                "us-1 is crit: head 121 s old",
                time - 100.0,
                true,
                Status::Crit,
            ),
            alert(
                "cert_expiring:t-2",
                AlertKind::CertExpiring,
                "t-2",
                "t-2 certificate expires in 5 days",
                time - 900.0,
                false,
                Status::Warn,
            ),
        ],
    }
}

fn alert(
    id: &str,
    kind: AlertKind,
    endpoint: &str,
    message: &str,
    raised: f64,
    active: bool,
    severity: Status,
) -> Alert {
    Alert {
        id: id.into(),
        kind,
        endpoint: endpoint.into(),
        message: message.into(),
        raised,
        active,
        acked: false,
        snoozed_until: None,
        severity,
        // A cleared alert of the test fleet lasted five minutes.
        cleared: (!active).then_some(raised + 300.0),
    }
}

pub fn events() -> Vec<Event> {
    let ev = |dt: f64, endpoint: &str, network: &str, from, to, reason: &str| Event {
        time: T0 - dt,
        endpoint: endpoint.into(),
        network: network.into(),
        from,
        to,
        reason: reason.into(),
    };
    vec![
        ev(
            600.0,
            "bad-chain",
            "mainnet",
            Status::Unknown,
            Status::Crit,
            "wrong chain id",
        ),
        ev(
            300.0,
            "eu-2",
            "mainnet",
            Status::Ok,
            Status::Warn,
            "lag 3 blocks",
        ),
        ev(
            120.0,
            "us-1",
            "mainnet",
            Status::Ok,
            Status::Warn,
            "head 12 s old",
        ),
        ev(
            100.0,
            "us-1",
            "mainnet",
            Status::Warn,
            Status::Crit,
            "head 121 s old",
        ),
        ev(
            40.0,
            "asia-1",
            "mainnet",
            Status::Ok,
            Status::Down,
            "no answer for 30 s",
        ),
        ev(
            10.0,
            "t-1",
            "testnet",
            Status::Warn,
            Status::Ok,
            "cleared: lag 0 blocks",
        ),
    ]
}

/// An app fed the fleet, its events, at a fixed time and size.
pub fn app_with(theme: Theme, w: u16, h: u16) -> App {
    let mut app = App::new(theme, Keymap::defaults());
    update(&mut app, Msg::Resize(w, h));
    update(&mut app, Msg::Tick(T0));
    for e in events() {
        update(&mut app, Msg::Event(e));
    }
    update(&mut app, Msg::Snapshot(Box::new(snapshot(T0))));
    app
}

pub fn app() -> App {
    app_with(Theme::default_theme(), 80, 24)
}

/// Feeds keys written like `"j j Enter"`; a word that is no key name is typed.
pub fn press(app: &mut App, keys: &str) -> Vec<btsops::tui::Effect> {
    let mut out = Vec::new();
    for k in keys.split(' ').filter(|k| !k.is_empty()) {
        // Lower-case words are text (`down` is typed, `Down` is the arrow).
        let word = k.len() > 1 && k.chars().all(|c| c.is_lowercase() || c.is_ascii_digit());
        let parsed = match Key::parse(k) {
            Ok(key) if !word => vec![key],
            // Several characters that are not a key name: typed text.
            _ => k.chars().map(Key::char).collect(),
        };
        for key in parsed {
            out.extend(update(app, Msg::Key(key)));
        }
    }
    out
}

/// Second `i` of a synthetic 50-node recording: blocks every 3 s, head ages that
/// tick every second, latencies that wander, one node stalling for a while.
pub fn busy_fleet(nodes: usize, i: u32) -> FleetSnapshot {
    let time = T0 + f64::from(i);
    let head = 80_000_000 + i / 3;
    let age = f64::from(i % 3);
    let mut endpoints = Vec::new();
    for n in 0..nodes {
        let network = if n % 5 == 4 { "testnet" } else { "mainnet" };
        let stalled = n == 7 && (20..40).contains(&i);
        let (status, head, lag) = if stalled {
            (
                Status::Crit,
                80_000_006,
                ((head - 80_000_006) as u64, age + f64::from(i - 20)),
            )
        } else {
            (Status::Ok, head, (0, age))
        };
        let wobble = ((n as u32 * 7 + i) % 5) as f64;
        let mut e = node(
            network,
            &format!("node-{n:02}"),
            status,
            Some(head),
            Some(lag),
            40.0 + wobble,
            90.0 + wobble * 3.0,
            100.0,
        );
        e.latency.history.rotate_left((i % 40) as usize);
        endpoints.push(e);
    }
    let mut snap = snapshot(time);
    snap.seq = u64::from(i);
    snap.endpoints = endpoints;
    snap.alerts.clear();
    snap.clock.warn = false;
    snap
}
