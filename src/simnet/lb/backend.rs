//! The stand-in's backend as pure state: each server's admin bits, weights, health-check
//! streak (HAProxy's `health` counter with rise/fall) and session counters, the weighted
//! round robin that picks a server for a new connection, and the runtime-API state changes.
//! No I/O and no clock: callers pass `now`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// `srv_admin_state` bits the stand-in sets (LOADBALANCER.md §6).
pub const ADMIN_FORCED_MAINT: u32 = 0x01;
pub const ADMIN_FORCED_DRAIN: u32 = 0x08;

/// HAProxy's largest user weight.
pub const MAX_WEIGHT: u32 = 256;

/// The result of one health check, with HAProxy's status names and numbers
/// (`HCHK_STATUS_*` in 2.6: the number is `srv_check_status` of `show servers state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// No check has run yet.
    Ini,
    /// TCP connect timed out.
    L4Tout,
    /// TCP connect refused or failed.
    L4Con,
    /// Connected, but no full reply in time.
    L7Tout,
    /// A reply that is not HTTP, or whose body lacks the expected string.
    L7Rsp,
    /// HTTP reply with the expected string.
    L7Ok,
    /// HTTP reply with a status other than 200.
    L7Sts,
}

impl CheckStatus {
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Ini => "INI",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L7Tout => "L7TOUT",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7Sts => "L7STS",
        }
    }

    pub fn number(self) -> u32 {
        match self {
            CheckStatus::Ini => 1,
            CheckStatus::L4Tout => 7,
            CheckStatus::L4Con => 8,
            CheckStatus::L7Tout => 12,
            CheckStatus::L7Rsp => 13,
            CheckStatus::L7Ok => 15,
            CheckStatus::L7Sts => 17,
        }
    }

    /// `check_desc` of `show stat`.
    pub fn description(self) -> &'static str {
        match self {
            CheckStatus::Ini => "Initializing",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L7Tout => "Layer7 timeout",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7Sts => "Layer7 wrong status",
        }
    }

    pub fn passed(self) -> bool {
        self == CheckStatus::L7Ok
    }
}

/// One finished health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub status: CheckStatus,
    /// HTTP status code, when a reply was read.
    pub code: Option<u16>,
    pub duration: Duration,
    /// `last_chk`: the failure's detail, e.g. `Connection refused`; empty on success.
    pub detail: String,
}

/// One `server` line and its runtime state.
#[derive(Debug, Clone)]
pub struct Server {
    /// `srv_id` (1-based, in config order).
    pub id: u32,
    pub name: String,
    pub addr: SocketAddr,
    /// Configured weight (`srv_iweight`).
    pub iweight: u32,
    /// User-set weight (`srv_uweight`).
    pub uweight: u32,
    /// `srv_admin_state` bits.
    pub admin: u32,
    /// HAProxy's check streak: 0..=rise+fall-1; the server is up at `rise` and above.
    pub health: u32,
    pub last_check: Option<CheckResult>,
    /// Open sessions (`scur`), most at once (`smax`), total (`stot`).
    pub scur: u64,
    pub smax: u64,
    pub stot: u64,
    /// Failed checks (`chkfail`) and UP→DOWN transitions (`chkdown`).
    pub chkfail: u64,
    pub chkdown: u64,
    pub last_change: Instant,
    /// Smooth weighted round-robin credit.
    credit: i64,
}

impl Server {
    pub fn in_maint(&self) -> bool {
        self.admin & ADMIN_FORCED_MAINT != 0
    }

    pub fn draining(&self) -> bool {
        self.admin & ADMIN_FORCED_DRAIN != 0
    }
}

/// Check tuning, as `default-server check inter .. fall .. rise ..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckParams {
    pub rise: u32,
    pub fall: u32,
}

/// A backend and its servers.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Proxy id (`be_id`, `iid`): 3, as HAProxy numbers one frontend then one backend.
    pub id: u32,
    pub name: String,
    pub check: CheckParams,
    pub servers: Vec<Server>,
}

/// A runtime-API change refused; the reply is HAProxy's own, newline included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub &'static str);

impl Backend {
    /// Servers start as HAProxy's do: up with `health == rise` (`UP 1/2`, `INI`) until the
    /// first check.
    pub fn new(
        name: &str,
        servers: &[(String, SocketAddr, u32)],
        check: CheckParams,
        now: Instant,
    ) -> Backend {
        Backend {
            id: 3,
            name: name.to_string(),
            check,
            servers: servers
                .iter()
                .enumerate()
                .map(|(i, (n, addr, w))| Server {
                    id: i as u32 + 1,
                    name: n.clone(),
                    addr: *addr,
                    iweight: *w,
                    uweight: *w,
                    admin: 0,
                    health: check.rise,
                    last_check: None,
                    scur: 0,
                    smax: 0,
                    stot: 0,
                    chkfail: 0,
                    chkdown: 0,
                    last_change: now,
                    credit: 0,
                })
                .collect(),
        }
    }

    fn max_health(&self) -> u32 {
        self.check.rise + self.check.fall - 1
    }

    /// The server passes its checks (operational state "running"), admin bits aside.
    pub fn is_up(&self, s: &Server) -> bool {
        !s.in_maint() && s.health >= self.check.rise
    }

    /// Takes new connections: up, not draining, weight above 0.
    pub fn is_usable(&self, s: &Server) -> bool {
        self.is_up(s) && !s.draining() && s.uweight > 0
    }

    pub fn server_index(&self, name: &str) -> Option<usize> {
        self.servers.iter().position(|s| s.name == name)
    }

    /// `show stat` status text, with HAProxy's transitional forms (`UP 1/2`, `DOWN 1/3`).
    pub fn status(&self, s: &Server) -> String {
        let (rise, fall) = (self.check.rise, self.check.fall);
        if s.in_maint() {
            "MAINT".into()
        } else if s.health >= rise {
            let word = if s.draining() { "DRAIN" } else { "UP" };
            if s.health == self.max_health() {
                word.into()
            } else {
                format!("{word} {}/{fall}", s.health - rise + 1)
            }
        } else if s.health == 0 {
            "DOWN".into()
        } else {
            format!("DOWN {}/{rise}", s.health)
        }
    }

    /// `srv_op_state`: 2 running, 0 stopped (MAINT counts as stopped, as in HAProxy).
    pub fn op_state(&self, s: &Server) -> u32 {
        if self.is_up(s) { 2 } else { 0 }
    }

    /// Applies one check result with HAProxy's rise/fall rules: a pass raises the streak and
    /// jumps to the top once it reaches `rise`; a failure lowers it while above `rise`,
    /// else marks the server down at once. Checks are paused in MAINT.
    pub fn record_check(&mut self, idx: usize, result: CheckResult, now: Instant) {
        let max = self.max_health();
        let rise = self.check.rise;
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        if s.admin & ADMIN_FORCED_MAINT != 0 {
            return;
        }
        let was_up = s.health >= rise;
        if result.status.passed() {
            if s.health < max {
                s.health += 1;
                if s.health >= rise {
                    s.health = max;
                }
            }
        } else {
            s.chkfail += 1;
            if s.health > rise {
                s.health -= 1;
            } else if s.health > 0 {
                s.health = 0;
            }
        }
        let is_up = s.health >= rise;
        if was_up != is_up {
            s.last_change = now;
            if !is_up {
                s.chkdown += 1;
            }
        }
        s.last_check = Some(result);
    }

    /// `set server B/S state ready|drain|maint`. Leaving MAINT restarts the check streak at
    /// `rise` (`UP 1/2` until the next check), as HAProxy does.
    pub fn set_state(&mut self, idx: usize, state: &str, now: Instant) -> Result<(), Refused> {
        let rise = self.check.rise;
        let Some(s) = self.servers.get_mut(idx) else {
            return Err(Refused("No such server.\n"));
        };
        let before = s.admin;
        match state {
            "ready" => {
                if s.admin & ADMIN_FORCED_MAINT != 0 {
                    s.health = rise;
                }
                s.admin &= !(ADMIN_FORCED_MAINT | ADMIN_FORCED_DRAIN);
            }
            "drain" => {
                s.admin = (s.admin & !ADMIN_FORCED_MAINT) | ADMIN_FORCED_DRAIN;
                if before & ADMIN_FORCED_MAINT != 0 {
                    s.health = rise;
                }
            }
            "maint" => {
                if s.admin & ADMIN_FORCED_MAINT == 0 {
                    s.chkdown += 1;
                }
                s.admin = (s.admin & !ADMIN_FORCED_DRAIN) | ADMIN_FORCED_MAINT;
                s.health = 0;
            }
            _ => return Err(Refused(STATE_EXPECTS)),
        }
        if s.admin != before {
            s.last_change = now;
        }
        Ok(())
    }

    /// `set server B/S weight N` / `set weight B/S N`: 0–256, or `N%` of the configured
    /// weight.
    pub fn set_weight(&mut self, idx: usize, text: &str) -> Result<(), Refused> {
        let Some(s) = self.servers.get_mut(idx) else {
            return Err(Refused("No such server.\n"));
        };
        let (digits, percent) = match text.strip_suffix('%') {
            Some(d) => (d, true),
            None => (text, false),
        };
        if digits.starts_with('-') {
            return Err(Refused(WEIGHT_RANGE));
        }
        let n: u64 = digits.parse().map_err(|_| Refused(WEIGHT_GARBAGE))?;
        let w = if percent {
            (u64::from(s.iweight) * n / 100).min(u64::from(MAX_WEIGHT))
        } else {
            n
        };
        if w > u64::from(MAX_WEIGHT) {
            return Err(Refused(WEIGHT_RANGE));
        }
        s.uweight = w as u32;
        Ok(())
    }

    /// Picks the server for a new connection (smooth weighted round robin over the usable
    /// servers) and counts the session; None when no server can take it (HAProxy's 503).
    pub fn pick(&mut self) -> Option<usize> {
        let usable: Vec<usize> = (0..self.servers.len())
            .filter(|&i| self.is_usable(&self.servers[i]))
            .collect();
        let total: i64 = usable
            .iter()
            .map(|&i| i64::from(self.servers[i].uweight))
            .sum();
        for &i in &usable {
            self.servers[i].credit += i64::from(self.servers[i].uweight);
        }
        let best = *usable
            .iter()
            .max_by_key(|&&i| (self.servers[i].credit, std::cmp::Reverse(i)))?;
        let s = &mut self.servers[best];
        s.credit -= total;
        s.scur += 1;
        s.smax = s.smax.max(s.scur);
        s.stot += 1;
        Some(best)
    }

    /// A session of server `idx` ended.
    pub fn session_closed(&mut self, idx: usize) {
        if let Some(s) = self.servers.get_mut(idx) {
            s.scur = s.scur.saturating_sub(1);
        }
    }
}

/// HAProxy's error replies, verbatim: each ends with a newline except the last one, which
/// HAProxy 2.6 prints without it.
pub const STATE_EXPECTS: &str = "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
pub const WEIGHT_RANGE: &str = "Absolute weight can only be between 0 and 256 inclusive.\n";
pub const WEIGHT_GARBAGE: &str = "Empty weight string empty or preceded by garbage";

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(weights: &[u32]) -> (Backend, Instant) {
        let now = Instant::now();
        let servers: Vec<_> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                (
                    format!("n{}", i + 1),
                    SocketAddr::from(([127, 0, 0, 1], 9000 + i as u16)),
                    *w,
                )
            })
            .collect();
        let b = Backend::new("be", &servers, CheckParams { rise: 1, fall: 2 }, now);
        (b, now)
    }

    fn check(status: CheckStatus) -> CheckResult {
        CheckResult {
            status,
            code: None,
            duration: Duration::ZERO,
            detail: String::new(),
        }
    }

    #[test]
    fn rise_and_fall_follow_haproxy() {
        let (mut b, now) = backend(&[1]);
        assert_eq!(b.status(&b.servers[0]), "UP 1/2");
        b.record_check(0, check(CheckStatus::L7Ok), now);
        assert_eq!(b.status(&b.servers[0]), "UP");
        b.record_check(0, check(CheckStatus::L4Con), now);
        assert_eq!(b.status(&b.servers[0]), "UP 1/2");
        b.record_check(0, check(CheckStatus::L4Con), now);
        assert_eq!(b.status(&b.servers[0]), "DOWN");
        assert_eq!((b.servers[0].chkfail, b.servers[0].chkdown), (2, 1));
        b.check = CheckParams { rise: 3, fall: 2 };
        b.record_check(0, check(CheckStatus::L7Ok), now);
        assert_eq!(b.status(&b.servers[0]), "DOWN 1/3");
        b.record_check(0, check(CheckStatus::L7Ok), now);
        b.record_check(0, check(CheckStatus::L7Ok), now);
        assert_eq!(b.status(&b.servers[0]), "UP");
    }

    #[test]
    fn admin_states_and_their_statuses() {
        let (mut b, now) = backend(&[1, 1]);
        b.record_check(0, check(CheckStatus::L7Ok), now);
        b.set_state(0, "drain", now).unwrap();
        assert_eq!(
            (b.status(&b.servers[0]), b.servers[0].admin),
            ("DRAIN".into(), 8)
        );
        b.set_state(0, "maint", now).unwrap();
        assert_eq!(
            (b.status(&b.servers[0]), b.servers[0].admin),
            ("MAINT".into(), 1)
        );
        assert_eq!(b.op_state(&b.servers[0]), 0);
        // Checks are paused in MAINT.
        b.record_check(0, check(CheckStatus::L7Ok), now);
        assert_eq!(b.status(&b.servers[0]), "MAINT");
        b.set_state(0, "ready", now).unwrap();
        assert_eq!(
            (b.status(&b.servers[0]), b.servers[0].admin),
            ("UP 1/2".into(), 0)
        );
        assert_eq!(
            b.set_state(0, "up", now),
            Err(Refused(STATE_EXPECTS)),
            "HAProxy's text"
        );
    }

    #[test]
    fn weights_accept_haproxy_forms_only() {
        let (mut b, _) = backend(&[10]);
        b.set_weight(0, "3").unwrap();
        assert_eq!(b.servers[0].uweight, 3);
        b.set_weight(0, "50%").unwrap();
        assert_eq!(b.servers[0].uweight, 5);
        assert_eq!(b.set_weight(0, "257"), Err(Refused(WEIGHT_RANGE)));
        assert_eq!(b.set_weight(0, "-1"), Err(Refused(WEIGHT_RANGE)));
        assert_eq!(b.set_weight(0, "abc"), Err(Refused(WEIGHT_GARBAGE)));
        assert_eq!(b.servers[0].uweight, 5);
    }

    #[test]
    fn round_robin_follows_weights_and_skips_unusable_servers() {
        let (mut b, now) = backend(&[3, 1, 1]);
        for i in 0..3 {
            b.record_check(i, check(CheckStatus::L7Ok), now);
        }
        b.set_state(2, "drain", now).unwrap();
        let mut counts = [0; 3];
        for _ in 0..40 {
            counts[b.pick().unwrap()] += 1;
        }
        assert_eq!(counts, [30, 10, 0]);
        assert_eq!(b.servers[0].scur, 30);
        b.set_weight(0, "0").unwrap();
        b.set_state(1, "maint", now).unwrap();
        assert_eq!(b.pick(), None, "no usable server: 503");
        b.session_closed(0);
        assert_eq!((b.servers[0].scur, b.servers[0].stot), (29, 30));
    }
}
