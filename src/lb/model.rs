//! One read of a load balancer, joined into per-server views with a derived mode: what the
//! console shows and what actions are verified against. Pure.

use serde::Serialize;

use super::info::Info;
use super::servers_state::{CHECK_PASSED, OpState, ServerState, admin};
use super::stat::StatRow;

/// What a server does with traffic, from its admin bits first (an operator's intent wins
/// over the check's verdict) and then its operational state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Ready,
    Draining,
    /// MAINT set by an operator (or an agent) at runtime.
    MaintForced,
    /// MAINT from the config (`disabled`).
    MaintConfig,
    /// MAINT inherited from a tracked server.
    MaintInherited,
    /// MAINT because DNS resolution failed.
    MaintDns,
    Down,
    Starting,
    Stopping,
}

impl Mode {
    pub fn from_state(s: &ServerState) -> Mode {
        let a = s.admin_state;
        if a & admin::FORCED_MAINT != 0 {
            Mode::MaintForced
        } else if a & admin::CONFIG_MAINT != 0 {
            Mode::MaintConfig
        } else if a & admin::INHERITED_MAINT != 0 {
            Mode::MaintInherited
        } else if a & admin::DNS_MAINT != 0 {
            Mode::MaintDns
        } else {
            match s.op_state {
                OpState::Stopped | OpState::Unknown(_) => Mode::Down,
                OpState::Starting => Mode::Starting,
                OpState::Stopping => Mode::Stopping,
                OpState::Running if a & admin::ANY_DRAIN != 0 => Mode::Draining,
                OpState::Running => Mode::Ready,
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Ready => "ready",
            Mode::Draining => "draining",
            Mode::MaintForced => "maint",
            Mode::MaintConfig => "maint (config)",
            Mode::MaintInherited => "maint (tracked)",
            Mode::MaintDns => "maint (dns)",
            Mode::Down => "down",
            Mode::Starting => "starting",
            Mode::Stopping => "stopping",
        }
    }
}

/// One server: its `show servers state` line joined with its `show stat` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    pub backend: String,
    pub name: String,
    pub mode: Mode,
    pub state: ServerState,
    /// `show stat` status text, e.g. `UP 1/2`; empty when the row was missing.
    pub status: String,
    /// `UP n/m` or `DOWN n/m`: a check streak is under way. (`DOWN (agent)` is not.)
    pub transitional: bool,
    /// The last health check passed (`UP` alone is not that: before the first check a
    /// server shows `UP 1/2` with result unknown).
    pub checked: bool,
    pub backup: bool,
    pub scur: Option<u64>,
    /// Sessions since start (`stot`).
    pub stot: Option<u64>,
    /// New sessions per second over the last second (`rate`).
    pub rate: Option<u64>,
    pub check_status: String,
    /// Duration of the last check in ms (`check_duration`), when it ran.
    pub check_ms: Option<u64>,
}

fn number(r: &StatRow, field: &str) -> Option<u64> {
    r.fields.get(field).and_then(|v| v.parse().ok())
}

impl Server {
    /// Its state for the audit log: what an operator sets and what traffic it has (no
    /// address, nothing from the config).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "mode": self.mode.label(),
            "status": self.status,
            "admin_state": self.state.admin_state,
            "weight": self.state.uweight,
            "sessions": self.scur,
        })
    }

    /// New connections can be sent here: running, no MAINT or DRAIN, weight above 0.
    pub fn takes_new_traffic(&self) -> bool {
        self.mode == Mode::Ready && self.state.uweight > 0
    }
}

/// Everything one poll of a load balancer read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub info: Info,
    pub servers: Vec<Server>,
}

impl Snapshot {
    pub fn new(info: Info, states: Vec<ServerState>, stats: &[StatRow]) -> Snapshot {
        let servers = states
            .into_iter()
            .map(|state| {
                let row = stats
                    .iter()
                    .find(|r| r.pxname == state.backend && r.svname == state.server);
                let status = row.map(|r| r.status.clone()).unwrap_or_default();
                Server {
                    backend: state.backend.clone(),
                    name: state.server.clone(),
                    mode: Mode::from_state(&state),
                    transitional: is_transitional(&status),
                    checked: state.check_result == CHECK_PASSED,
                    backup: row.is_some_and(StatRow::is_backup),
                    scur: row.and_then(|r| r.scur),
                    stot: row.and_then(|r| r.stot),
                    rate: row.and_then(|r| number(r, "rate")),
                    check_status: row.map(|r| r.check_status.clone()).unwrap_or_default(),
                    check_ms: row.and_then(|r| number(r, "check_duration")),
                    status,
                    state,
                }
            })
            .collect();
        Snapshot { info, servers }
    }

    pub fn server(&self, backend: &str, server: &str) -> Option<&Server> {
        self.servers
            .iter()
            .find(|s| s.backend == backend && s.name == server)
    }

    pub fn backend_servers<'a>(&'a self, backend: &'a str) -> impl Iterator<Item = &'a Server> {
        self.servers.iter().filter(move |s| s.backend == backend)
    }

    pub fn has_backend(&self, backend: &str) -> bool {
        self.backend_servers(backend).next().is_some()
    }
}

/// `UP 1/2`, `DOWN 1/3`: a status word followed by a check streak `n/m`.
pub fn is_transitional(status: &str) -> bool {
    let mut words = status.split_whitespace();
    matches!(words.next(), Some("UP" | "DOWN" | "NOLB"))
        && words.next().is_some_and(|w| {
            w.split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lb::{info::parse_info, servers_state::parse_servers_state, stat::parse_stat};

    fn state(op: u32, admin: u32) -> ServerState {
        let line = format!(
            "1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_check_result\nbe s 127.0.0.1 {op} {admin} 1 1 3\n"
        );
        parse_servers_state(&line).expect("parses").remove(0)
    }

    #[test]
    fn mode_reads_admin_bits_before_the_operational_state() {
        assert_eq!(Mode::from_state(&state(2, 0)), Mode::Ready);
        assert_eq!(Mode::from_state(&state(2, 8)), Mode::Draining);
        assert_eq!(Mode::from_state(&state(2, 0x10)), Mode::Draining);
        assert_eq!(Mode::from_state(&state(0, 1)), Mode::MaintForced);
        assert_eq!(Mode::from_state(&state(0, 4)), Mode::MaintConfig);
        assert_eq!(Mode::from_state(&state(0, 2)), Mode::MaintInherited);
        assert_eq!(Mode::from_state(&state(0, 0x20)), Mode::MaintDns);
        // Drain bit on a server that went down: down is what matters for traffic.
        assert_eq!(Mode::from_state(&state(0, 8)), Mode::Down);
        assert_eq!(Mode::from_state(&state(1, 0)), Mode::Starting);
        assert_eq!(Mode::from_state(&state(3, 0)), Mode::Stopping);
    }

    #[test]
    fn transitional_statuses() {
        assert!(is_transitional("UP 1/2"));
        assert!(is_transitional("DOWN 1/3"));
        assert!(!is_transitional("UP"));
        assert!(!is_transitional("DOWN (agent)"));
        assert!(!is_transitional("DRAIN (agent)"));
        assert!(!is_transitional("no check"));
    }

    #[test]
    fn joins_stat_rows_to_servers() {
        let info = parse_info("Pid: 1\nUptime_sec: 1\n").expect("info");
        let states = parse_servers_state(crate::lb::servers_state::tests::SAMPLE).expect("state");
        let stats = parse_stat(
            "# pxname,svname,status,scur,bck,check_status\nbe,n1,DRAIN,4,0,L7OK\nbe,n2,MAINT,0,1,\n",
        )
        .expect("stat");
        let snap = Snapshot::new(info, states, &stats);
        let n1 = snap.server("be", "n1").expect("n1");
        assert_eq!(
            (n1.mode, n1.scur, n1.backup),
            (Mode::Draining, Some(4), false)
        );
        assert!(n1.checked && !n1.takes_new_traffic());
        let n2 = snap.server("be", "n2").expect("n2");
        assert_eq!((n2.mode, n2.backup), (Mode::MaintForced, true));
        assert!(snap.server("be", "n3").is_none());
        assert!(snap.has_backend("be") && !snap.has_backend("other"));
    }
}
