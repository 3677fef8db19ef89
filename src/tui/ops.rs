//! Fleet-changing actions as data: what will run where (`Plan`), why one may not run
//! (`gate`), and what an operator must read before confirming. Pure: `update` builds
//! plans, the ops task (`ops_task`) runs them. Load-balancer steps, faucet registrations
//! and stress starts (run by `stress_task`); node actions add `Op` variants and reuse the
//! rest.

use std::collections::BTreeMap;

use crate::lb::{Action, Done, Snapshot, Target};
use crate::safety::{self, Gate};

/// How long arming a protected network lasts.
pub const ARM_S: f64 = 300.0;

/// One step on one machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A server action on a load balancer, applied then verified.
    Lb {
        lb: String,
        target: Target,
        action: Action,
        /// Take out the last server taking traffic anyway.
        force: bool,
    },
    /// Take a server back to the state an earlier action found (refused when it changed).
    LbUndo { lb: String, done: Done },
    /// A node action (`[[action]]`): this argv, no shell, killed with its process group
    /// after `timeout` (see `node_actions`).
    NodeAction {
        action: String,
        /// `node eu-1`, `network mainnet`, `lb-eu/be/node1`.
        target: String,
        argv: Vec<String>,
        timeout: std::time::Duration,
    },
    /// Register an account through the faucet: public keys only (a password was turned
    /// into them, and dropped, when the form was submitted).
    FaucetRegister {
        /// `{faucet url}/api/v1/accounts`, where the request goes.
        endpoint: String,
        name: String,
        keys: crate::faucet::Keys,
        referrer: Option<String>,
    },
    /// Start a stress run (the stress task runs it, not the ops task).
    Stress(Box<StressStart>),
}

/// A stress run as confirmed: the plan after the caps, where it goes, where its report
/// will be.
#[derive(Debug, Clone, PartialEq)]
pub struct StressStart {
    /// The plan file, named in the audit line and the report.
    pub plan_path: String,
    /// Changed in the console since it was read from the file.
    pub edited: bool,
    pub plan: crate::stress::Plan,
    pub effective: crate::stress::Effective,
    pub network: String,
    pub chain_id: String,
    /// The target names (the plan's, or every node of the network).
    pub targets: Vec<String>,
    /// Where the JSON report goes (the Markdown beside it).
    pub report: std::path::PathBuf,
    /// The data dir: the sender store of transfer runs.
    pub data_dir: std::path::PathBuf,
}

impl StressStart {
    /// `transfer 200/s × 60 s (at most 12000)`.
    pub fn load_text(&self) -> String {
        let e = &self.effective;
        let kind = match e.kind {
            crate::stress::Kind::Transfer => "transfer",
            crate::stress::Kind::Read => "read",
        };
        let rate = if e.open_loop {
            format!("{}/s", e.rate)
        } else {
            format!("as fast as answered (at most {}/s)", e.rate)
        };
        format!("{kind} {rate} × {} s (at most {})", e.duration_s, e.total)
    }

    /// What the confirmation lists before `y`: the chain, the targets, the load with
    /// the caps that lowered it, the report.
    pub fn consequences(&self) -> Vec<String> {
        let mut out = vec![
            format!("chain id {}", self.chain_id),
            format!("targets: {}", self.targets.join(", ")),
            format!("load: {}", self.load_text()),
        ];
        out.extend(self.effective.capped.iter().map(|c| c.to_string()));
        out.push(format!("report: {}", self.report.display()));
        out
    }
}

impl Op {
    /// `lb-eu/be/node1`, the audit log's target.
    pub fn target(&self) -> String {
        match self {
            Op::Lb { lb, target, .. } => format!("{lb}/{target}"),
            Op::LbUndo { lb, done } => format!("{lb}/{}", done.target),
            Op::FaucetRegister { endpoint, .. } => endpoint.clone(),
            Op::Stress(s) => s.targets.join(","),
            Op::NodeAction { target, .. } => target.clone(),
        }
    }

    /// The audit log's action name.
    pub fn action_name(&self) -> String {
        match self {
            Op::Lb { action, force, .. } => {
                format!("{}{}", action.name(), if *force { " (forced)" } else { "" })
            }
            Op::LbUndo { done, .. } => format!("undo {}", done.action.name()),
            Op::FaucetRegister { name, .. } => format!("register {name}"),
            Op::Stress(_) => "stress start".into(),
            Op::NodeAction { action, .. } => format!("action {action}"),
        }
    }

    /// Exactly what is sent, as the operator reads it in the confirmation.
    pub fn describe(&self) -> String {
        match self {
            Op::Lb {
                lb, target, action, ..
            } => format!("{lb}: {}", action.command(target)),
            Op::LbUndo { lb, done } => format!(
                "{lb}: back to {} (weight {}) on {}, if still as left",
                mark_text(&done.before),
                done.before.weight,
                done.target
            ),
            Op::FaucetRegister {
                endpoint,
                name,
                keys,
                referrer,
            } => format!(
                "POST {endpoint}\n  name        {name}\n  owner key   {}\n  active key  {}\n  memo key    {}\n  referrer    {}",
                keys.owner,
                keys.active,
                keys.memo,
                referrer
                    .as_deref()
                    .unwrap_or("(none: the faucet's own default)")
            ),
            Op::Stress(s) => format!(
                "{}: {} from {}{}",
                s.network,
                s.load_text(),
                s.plan_path,
                if s.edited { " (edited)" } else { "" }
            ),
            Op::NodeAction { argv, .. } => crate::node_action::display(argv),
        }
    }
}

fn mark_text(m: &crate::lb::Mark) -> &'static str {
    if m.maint {
        "maint"
    } else if m.drain {
        "drain"
    } else {
        "ready"
    }
}

/// A confirmed (or to-be-confirmed) action: a title, the network it touches (for the
/// gate and the audit log), its steps and what it will do to traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub title: String,
    pub network: String,
    pub ops: Vec<Op>,
    /// Consequences to read before confirming (servers left UP, sessions cut).
    pub consequences: Vec<String>,
    /// The plan takes out a backend's last server taking traffic: confirming needs the
    /// force key, and the ops carry `force`.
    pub needs_force: bool,
}

/// Why the console refuses an action before asking to confirm it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Gate(#[from] safety::Refusal),
    #[error(
        "replaying a recording: actions are not sent (the fleet shown is the past, not the present)"
    )]
    Replay,
}

/// What `update` knows when an action is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    pub read_only: bool,
    pub protected: bool,
    pub armed: bool,
    pub replaying: bool,
}

/// The console's gate: the shared safety gate (read-only, protected and unarmed), and a
/// replay, whose fleet is a recording. Confirmation is the overlay that follows.
pub fn gate(c: Context, network: &str) -> Result<(), Refusal> {
    let g = Gate {
        read_only: c.read_only,
        protected: c.protected,
        armed: c.armed,
        confirmed: true,
    };
    safety::check(g, network)?;
    if c.replaying {
        return Err(Refusal::Replay);
    }
    Ok(())
}

/// Arming windows per network: until when each is armed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arming {
    until: BTreeMap<String, f64>,
}

impl Arming {
    pub fn arm(&mut self, network: &str, now: f64) {
        self.until.insert(network.to_string(), now + ARM_S);
    }

    pub fn disarm(&mut self, network: &str) {
        self.until.remove(network);
    }

    pub fn is_armed(&self, network: &str, now: f64) -> bool {
        self.until.get(network).is_some_and(|u| *u > now)
    }

    /// Networks armed at `now`, with seconds left, for the header.
    pub fn armed(&self, now: f64) -> Vec<(&str, f64)> {
        self.until
            .iter()
            .filter(|(_, u)| **u > now)
            .map(|(n, u)| (n.as_str(), u - now))
            .collect()
    }

    /// Forgets windows that ended.
    pub fn expire(&mut self, now: f64) {
        self.until.retain(|_, u| *u > now);
    }
}

/// What the steps on one backend leave: servers still taking new traffic and the open
/// sessions the plan cuts or leaves on servers it takes out.
pub fn consequences(snap: &Snapshot, lb: &str, ops: &[(&Target, Action)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut backends: Vec<&str> = ops.iter().map(|(t, _)| t.backend.as_str()).collect();
    backends.dedup();
    for be in backends {
        let touched = |name: &str| {
            ops.iter()
                .find(|(t, _)| t.backend == be && t.server == name)
                .map(|(_, a)| *a)
        };
        let mut left = Vec::new();
        for s in snap.backend_servers(be) {
            let takes = match touched(&s.name) {
                Some(Action::Drain | Action::Maint | Action::Weight(0)) => false,
                Some(Action::Ready) => {
                    s.state.op_state == crate::lb::servers_state::OpState::Running
                }
                _ => s.takes_new_traffic(),
            };
            if takes && !s.backup {
                left.push(s.name.as_str());
            }
        }
        out.push(if left.is_empty() {
            format!("{lb} {be}: NO server left taking new traffic (backup only, or 503)")
        } else {
            format!("{lb} {be}: left taking new traffic: {}", left.join(", "))
        });
        for (t, a) in ops.iter().filter(|(t, _)| t.backend == be) {
            let n = snap.server(be, &t.server).and_then(|s| s.scur).unwrap_or(0);
            match a {
                Action::Cut => out.push(format!("{lb} {t}: {n} open sessions will be cut")),
                Action::Drain | Action::Maint | Action::Weight(0) if n > 0 => out.push(format!(
                    "{lb} {t}: {n} open sessions stay until they close (:cut closes them)"
                )),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            read_only: false,
            protected: false,
            armed: false,
            replaying: false,
        }
    }

    #[test]
    fn the_gate_refuses_read_only_protected_and_replay() {
        assert_eq!(gate(ctx(), "t"), Ok(()));
        let ro = Context {
            read_only: true,
            ..ctx()
        };
        assert!(matches!(
            gate(ro, "t"),
            Err(Refusal::Gate(safety::Refusal::ReadOnly))
        ));
        let p = Context {
            protected: true,
            ..ctx()
        };
        assert!(matches!(
            gate(p, "mainnet"),
            Err(Refusal::Gate(safety::Refusal::Protected(_)))
        ));
        assert_eq!(gate(Context { armed: true, ..p }, "mainnet"), Ok(()));
        let r = Context {
            replaying: true,
            ..ctx()
        };
        assert_eq!(gate(r, "t"), Err(Refusal::Replay));
    }

    #[test]
    fn arming_ends_after_its_window() {
        let mut a = Arming::default();
        a.arm("mainnet", 1000.0);
        assert!(a.is_armed("mainnet", 1000.0 + ARM_S - 1.0));
        assert!(!a.is_armed("mainnet", 1000.0 + ARM_S));
        assert!(!a.is_armed("testnet", 1000.0));
        assert_eq!(a.armed(1010.0), vec![("mainnet", ARM_S - 10.0)]);
        a.expire(1000.0 + ARM_S);
        assert!(a.armed(0.0).is_empty());
    }
}
