//! Server actions (drain, maint, ready, weight, cut): the runtime-API command each sends,
//! when each counts as done, the refusals checked before sending, and undo. Pure: the I/O
//! loop is in `apply`.

use serde::Serialize;

use super::model::{Server, Snapshot};
use super::servers_state::{OpState, admin};

/// Highest weight HAProxy accepts.
pub const MAX_WEIGHT: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// No new connections; open ones stay.
    Drain,
    /// Out of the rotation; open connections stay unless the server has
    /// `on-marked-down shutdown-sessions`.
    Maint,
    /// Back in the rotation.
    Ready,
    /// User weight 0..=256 (0: no new traffic, while the status still reads `UP`).
    Weight(u32),
    /// Close every open session on the server (`shutdown sessions server`).
    Cut,
}

impl Action {
    pub fn name(self) -> String {
        match self {
            Action::Drain => "drain".into(),
            Action::Maint => "maint".into(),
            Action::Ready => "ready".into(),
            Action::Weight(n) => format!("weight {n}"),
            Action::Cut => "cut".into(),
        }
    }

    /// The runtime-API command. `target` names were checked by [`Target::parse`], so they
    /// hold nothing the CLI would read as a separator.
    pub fn command(self, t: &Target) -> String {
        let bs = format!("{}/{}", t.backend, t.server);
        match self {
            Action::Drain => format!("set server {bs} state drain"),
            Action::Maint => format!("set server {bs} state maint"),
            Action::Ready => format!("set server {bs} state ready"),
            Action::Weight(n) => format!("set server {bs} weight {n}"),
            Action::Cut => format!("shutdown sessions server {bs}"),
        }
    }

    /// Whether a re-read shows the action in effect. Read from `show servers state` bits,
    /// never from the reply or the status text (an agent makes an operator's drain read
    /// `DRAIN (agent)`).
    pub fn holds(self, s: &Server) -> bool {
        let a = s.state.admin_state;
        match self {
            Action::Drain => a & admin::FORCED_DRAIN != 0 && a & admin::FORCED_MAINT == 0,
            Action::Maint => a & admin::FORCED_MAINT != 0,
            Action::Ready => {
                a & (admin::FORCED_MAINT | admin::FORCED_DRAIN) == 0
                    && s.state.op_state == OpState::Running
                    && (s.checked || !s.state.checks_enabled())
            }
            Action::Weight(n) => s.state.uweight == n,
            Action::Cut => s.scur == Some(0),
        }
    }

    /// Stops new traffic to the server.
    fn takes_out(self) -> bool {
        matches!(self, Action::Drain | Action::Maint | Action::Weight(0))
    }
}

/// `BACKEND/SERVER` on one load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub backend: String,
    pub server: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.backend, self.server)
    }
}

impl Target {
    /// Checks both names against HAProxy's own rule for proxy and server names (letters,
    /// digits, `-`, `_`, `.`, `:`), which also keeps `;` and spaces out of commands.
    pub fn new(backend: &str, server: &str) -> Result<Target, String> {
        for (what, v) in [("backend", backend), ("server", server)] {
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
            {
                return Err(format!(
                    "{what} name {v:?} is not a HAProxy name (letters, digits, - _ . :)"
                ));
            }
        }
        Ok(Target {
            backend: backend.into(),
            server: server.into(),
        })
    }
}

/// Why an action was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no backend {backend:?} on this load balancer (backends: {known})")]
    UnknownBackend { backend: String, known: String },
    #[error("no server {server:?} in backend {backend:?} (servers: {known})")]
    UnknownServer {
        backend: String,
        server: String,
        known: String,
    },
    #[error("weight {0} is out of range (0..={MAX_WEIGHT})")]
    BadWeight(u32),
    #[error(
        "{target} is the last server of its backend taking new traffic: this would leave \
         only backup servers or none (503); add --force to do it anyway"
    )]
    LastUp { target: Target },
}

/// The checks made on a fresh read before an action is sent (LOADBALANCER.md §11.1).
pub fn check(snap: &Snapshot, t: &Target, action: Action, force: bool) -> Result<(), Refusal> {
    if !snap.has_backend(&t.backend) {
        let mut known: Vec<&str> = snap.servers.iter().map(|s| s.backend.as_str()).collect();
        known.dedup();
        return Err(Refusal::UnknownBackend {
            backend: t.backend.clone(),
            known: known.join(", "),
        });
    }
    let Some(server) = snap.server(&t.backend, &t.server) else {
        let known: Vec<&str> = snap
            .backend_servers(&t.backend)
            .map(|s| s.name.as_str())
            .collect();
        return Err(Refusal::UnknownServer {
            backend: t.backend.clone(),
            server: t.server.clone(),
            known: known.join(", "),
        });
    };
    if let Action::Weight(n) = action
        && n > MAX_WEIGHT
    {
        return Err(Refusal::BadWeight(n));
    }
    if action.takes_out() && !force && !server.backup && server.takes_new_traffic() {
        let others = snap
            .backend_servers(&t.backend)
            .filter(|s| s.name != t.server && !s.backup && s.takes_new_traffic())
            .count();
        if others == 0 {
            return Err(Refusal::LastUp { target: t.clone() });
        }
    }
    Ok(())
}

/// The part of a server's state an operator sets: forced MAINT/DRAIN and the user weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mark {
    pub maint: bool,
    pub drain: bool,
    pub weight: u32,
}

impl Mark {
    pub fn of(s: &Server) -> Mark {
        Mark {
            maint: s.state.admin_state & admin::FORCED_MAINT != 0,
            drain: s.state.admin_state & admin::FORCED_DRAIN != 0,
            weight: s.state.uweight,
        }
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = if self.maint {
            "maint"
        } else if self.drain {
            "drain"
        } else {
            "ready"
        };
        write!(f, "{mode}, weight {}", self.weight)
    }
}

/// What a verified action changed, kept so it can be undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    pub target: Target,
    pub action: Action,
    pub before: Mark,
    pub after: Mark,
    /// The HAProxy worker that took the change: after a reload it is gone.
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndoRefusal {
    #[error("cut sessions cannot be restored")]
    NotUndoable,
    #[error("{target} no longer exists on this load balancer")]
    Gone { target: Target },
    #[error(
        "HAProxy was reloaded since (pid {then} -> {now}): the change is already gone, \
         nothing to undo"
    )]
    Reloaded { then: u32, now: u32 },
    #[error("{target} changed since: it is {now}, the action left it {left}; refusing to undo")]
    Changed {
        target: Target,
        left: Mark,
        now: Mark,
    },
}

/// The actions that take the server back to `done.before`, refused when its state is no
/// longer what the action left (someone or something changed it since).
pub fn undo_plan(done: &Done, snap: &Snapshot) -> Result<Vec<Action>, UndoRefusal> {
    if done.action == Action::Cut {
        return Err(UndoRefusal::NotUndoable);
    }
    if snap.info.pid != done.pid {
        return Err(UndoRefusal::Reloaded {
            then: done.pid,
            now: snap.info.pid,
        });
    }
    let server = snap
        .server(&done.target.backend, &done.target.server)
        .ok_or_else(|| UndoRefusal::Gone {
            target: done.target.clone(),
        })?;
    let now = Mark::of(server);
    if now != done.after {
        return Err(UndoRefusal::Changed {
            target: done.target.clone(),
            left: done.after,
            now,
        });
    }
    let (b, a) = (done.before, done.after);
    let mut plan = Vec::new();
    if b.weight != a.weight {
        plan.push(Action::Weight(b.weight));
    }
    if (b.maint, b.drain) != (a.maint, a.drain) {
        plan.push(if b.maint {
            Action::Maint
        } else if b.drain {
            Action::Drain
        } else {
            Action::Ready
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lb::{info::parse_info, servers_state::parse_servers_state, stat::parse_stat};

    /// A backend `be` with servers given as (name, op_state, admin_state, uweight, backup).
    fn snap(pid: u32, servers: &[(&str, u32, u32, u32, bool)]) -> Snapshot {
        let mut st = String::from(
            "1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_check_result srv_check_state\n",
        );
        let mut csv = String::from("# pxname,svname,status,scur,bck\n");
        for (n, op, adm, w, bck) in servers {
            st += &format!("be {n} 127.0.0.1 {op} {adm} {w} 1 3 6\n");
            csv += &format!("be,{n},UP,1,{}\n", u8::from(*bck));
        }
        Snapshot::new(
            parse_info(&format!("Pid: {pid}\nUptime_sec: 5\n")).expect("info"),
            parse_servers_state(&st).expect("state"),
            &parse_stat(&csv).expect("stat"),
        )
    }

    fn t(s: &str) -> Target {
        Target::new("be", s).expect("valid")
    }

    #[test]
    fn commands_are_the_runtime_api_forms() {
        assert_eq!(
            Action::Drain.command(&t("n1")),
            "set server be/n1 state drain"
        );
        assert_eq!(
            Action::Weight(3).command(&t("n1")),
            "set server be/n1 weight 3"
        );
        assert_eq!(
            Action::Cut.command(&t("n1")),
            "shutdown sessions server be/n1"
        );
    }

    #[test]
    fn names_that_could_inject_commands_are_refused() {
        assert!(Target::new("be", "n1; shutdown frontend fe").is_err());
        assert!(Target::new("be x", "n1").is_err());
        assert!(Target::new("", "n1").is_err());
        assert!(Target::new("be_bts.v2", "node-1:a").is_ok());
    }

    #[test]
    fn unknown_backend_and_server_are_refused_with_what_exists() {
        let s = snap(1, &[("n1", 2, 0, 1, false), ("n2", 2, 0, 1, false)]);
        let e = check(
            &s,
            &Target::new("nope", "n1").expect("t"),
            Action::Drain,
            false,
        );
        assert!(matches!(e, Err(Refusal::UnknownBackend { .. })), "{e:?}");
        let e = check(&s, &t("n9"), Action::Drain, false).unwrap_err();
        assert!(e.to_string().contains("servers: n1, n2"), "{e}");
        assert_eq!(
            check(&s, &t("n1"), Action::Weight(257), false),
            Err(Refusal::BadWeight(257))
        );
    }

    #[test]
    fn the_last_server_taking_traffic_needs_force() {
        // n2 drained, n3 weight 0, n4 a backup: n1 is the last one taking new traffic.
        let s = snap(
            1,
            &[
                ("n1", 2, 0, 1, false),
                ("n2", 2, 8, 1, false),
                ("n3", 2, 0, 0, false),
                ("n4", 2, 0, 1, true),
            ],
        );
        for a in [Action::Drain, Action::Maint, Action::Weight(0)] {
            assert!(
                matches!(check(&s, &t("n1"), a, false), Err(Refusal::LastUp { .. })),
                "{a:?}"
            );
            assert_eq!(check(&s, &t("n1"), a, true), Ok(()));
        }
        // Actions that keep it in, and a backup, are fine.
        assert_eq!(check(&s, &t("n1"), Action::Weight(2), false), Ok(()));
        assert_eq!(check(&s, &t("n1"), Action::Cut, false), Ok(()));
        assert_eq!(check(&s, &t("n4"), Action::Maint, false), Ok(()));
        // With a second usable server the drain goes through.
        let s = snap(1, &[("n1", 2, 0, 1, false), ("n2", 2, 0, 1, false)]);
        assert_eq!(check(&s, &t("n1"), Action::Drain, false), Ok(()));
    }

    #[test]
    fn holds_reads_the_admin_bits() {
        let s = snap(
            1,
            &[
                ("d", 2, 8, 1, false),
                ("m", 0, 1, 1, false),
                ("r", 2, 0, 3, false),
            ],
        );
        let get = |n| s.server("be", n).expect("server");
        assert!(Action::Drain.holds(get("d")) && !Action::Drain.holds(get("r")));
        assert!(Action::Maint.holds(get("m")) && !Action::Maint.holds(get("d")));
        assert!(Action::Ready.holds(get("r")) && !Action::Ready.holds(get("m")));
        assert!(Action::Weight(3).holds(get("r")) && !Action::Weight(1).holds(get("r")));
        assert!(!Action::Cut.holds(get("r")), "scur is 1");
    }

    #[test]
    fn undo_restores_the_before_state_only_if_untouched_since() {
        let before = snap(7, &[("n1", 2, 0, 1, false)]);
        let after = snap(7, &[("n1", 0, 1, 1, false)]);
        let done = Done {
            target: t("n1"),
            action: Action::Maint,
            before: Mark::of(before.server("be", "n1").expect("n1")),
            after: Mark::of(after.server("be", "n1").expect("n1")),
            pid: 7,
        };
        assert_eq!(undo_plan(&done, &after), Ok(vec![Action::Ready]));
        // Someone drained it meanwhile.
        let changed = snap(7, &[("n1", 2, 8, 1, false)]);
        assert!(matches!(
            undo_plan(&done, &changed),
            Err(UndoRefusal::Changed { .. })
        ));
        // A reload already dropped the change.
        let reloaded = snap(8, &[("n1", 0, 1, 1, false)]);
        assert!(matches!(
            undo_plan(&done, &reloaded),
            Err(UndoRefusal::Reloaded { .. })
        ));
        let gone = snap(7, &[("n2", 2, 0, 1, false)]);
        assert!(matches!(
            undo_plan(&done, &gone),
            Err(UndoRefusal::Gone { .. })
        ));
        let w = Done {
            action: Action::Weight(5),
            after: Mark {
                weight: 5,
                ..done.before
            },
            ..done.clone()
        };
        let now = snap(7, &[("n1", 2, 0, 5, false)]);
        assert_eq!(undo_plan(&w, &now), Ok(vec![Action::Weight(1)]));
        let cut = Done {
            action: Action::Cut,
            ..done
        };
        assert_eq!(undo_plan(&cut, &after), Err(UndoRefusal::NotUndoable));
    }
}
