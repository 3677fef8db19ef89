//! Stress plan files: parsing, validation and capping by the config's `[stress]` limits.
//! Pure: no I/O besides [`load`], which only reads the file.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::Stress as Limits;

/// Largest plan file read; a plan is a dozen lines.
const MAX_PLAN_BYTES: u64 = 64 * 1024;
/// Default time one broadcast or read may take before it counts as a timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Signed transfers between the run's sender accounts.
    Transfer,
    /// Database-API reads.
    Read,
}

/// The read calls a read flood may mix; each has fixed, cheap parameters.
pub const READ_CALLS: &[&str] = &[
    "get_dynamic_global_properties",
    "get_global_properties",
    "get_chain_id",
    "get_block_header",
    "get_block",
    "get_objects",
];

/// A plan as written in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub kind: Kind,
    /// Offered requests per second. Read floods may leave it out: as fast as the nodes
    /// answer (one call in flight per connection), still capped at `max_tps`.
    #[serde(default)]
    pub rate: Option<u32>,
    pub duration_s: u64,
    /// Transfer: how many sender accounts share the load.
    #[serde(default)]
    pub senders: Option<u32>,
    /// Transfer: the account of the keys file that registers and funds the senders.
    #[serde(default)]
    pub funder: Option<String>,
    /// Node or load-balancer names; default every node of the network.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Read: the call mix, cycled in order (repeat a call to weight it).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Read: connections per target (default 2).
    #[serde(default)]
    pub connections: Option<u32>,
    /// Per request, in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PlanError {
    pub path: String,
    pub message: String,
}

/// A limit of `[stress]` that lowered what the plan asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capped {
    pub field: &'static str,
    pub asked: u64,
    pub limit: u64,
}

impl fmt::Display for Capped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} capped to {} by [stress]",
            self.field, self.asked, self.limit
        )
    }
}

/// What the engine runs: the plan after validation and the config's caps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    pub kind: Kind,
    /// Offered per second (after `max_tps`).
    pub rate: u32,
    /// `false`: read flood as fast as answered (closed loop), paced at most at `rate`.
    pub open_loop: bool,
    pub duration_s: u64,
    /// Most requests the run sends (after `max_total`).
    pub total: u64,
    pub max_error_rate: f64,
    pub senders: u32,
    pub funder: Option<String>,
    pub targets: Vec<String>,
    pub calls: Vec<String>,
    pub connections: u32,
    pub timeout_ms: u64,
    pub capped: Vec<Capped>,
}

/// Parses a plan's TOML text; `path` names it in errors.
pub fn parse(path: &str, text: &str) -> Result<Plan, PlanError> {
    toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        PlanError {
            path: format!("{path}{at}"),
            message: e.message().to_string(),
        }
    })
}

/// Reads and parses a plan file.
pub fn load(path: &Path) -> Result<Plan, PlanError> {
    let name = path.display().to_string();
    let text = crate::files::read_text(path, MAX_PLAN_BYTES).map_err(|e| PlanError {
        path: name.clone(),
        message: e.to_string(),
    })?;
    parse(&name, &text)
}

/// Checks the plan and applies `limits`: whatever the plan asks, the run never offers
/// more than `max_tps`, lasts longer than `max_duration_s` or sends more than `max_total`.
pub fn effective(path: &str, plan: &Plan, limits: &Limits) -> Result<Effective, PlanError> {
    let err = |m: String| PlanError {
        path: path.to_string(),
        message: m,
    };
    let mut capped = Vec::new();
    let mut cap = |field: &'static str, asked: u64, limit: u64| {
        if asked > limit {
            capped.push(Capped {
                field,
                asked,
                limit,
            });
            limit
        } else {
            asked
        }
    };
    if plan.duration_s == 0 {
        return Err(err("duration_s must be at least 1".into()));
    }
    if plan.rate == Some(0) {
        return Err(err("rate must be at least 1 per second".into()));
    }
    let open_loop = plan.rate.is_some();
    let rate = match (plan.kind, plan.rate) {
        (_, Some(r)) => cap("rate", r.into(), limits.max_tps.into()) as u32,
        (Kind::Read, None) => limits.max_tps,
        (Kind::Transfer, None) => return Err(err("a transfer plan needs rate".into())),
    };
    let duration_s = cap("duration_s", plan.duration_s, limits.max_duration_s);
    let total = cap(
        "total",
        u64::from(rate).saturating_mul(duration_s),
        limits.max_total,
    );
    let (senders, funder) = match plan.kind {
        Kind::Transfer => {
            let senders = plan.senders.unwrap_or(0);
            if !(2..=1000).contains(&senders) {
                return Err(err(
                    "senders must be between 2 and 1000 (they send to each other)".into(),
                ));
            }
            let Some(funder) = plan.funder.clone().filter(|f| !f.is_empty()) else {
                return Err(err(
                    "a transfer plan needs funder (an account of the keys file)".into(),
                ));
            };
            (senders, Some(funder))
        }
        Kind::Read => (0, None),
    };
    let calls = match plan.kind {
        Kind::Read if plan.calls.is_empty() => vec!["get_dynamic_global_properties".to_string()],
        Kind::Read => {
            if let Some(bad) = plan
                .calls
                .iter()
                .find(|c| !READ_CALLS.contains(&c.as_str()))
            {
                return Err(err(format!(
                    "calls: {bad:?} is not a read call stress runs make (known: {})",
                    READ_CALLS.join(", ")
                )));
            }
            plan.calls.clone()
        }
        Kind::Transfer if !plan.calls.is_empty() => {
            return Err(err("calls only applies to kind = \"read\"".into()));
        }
        Kind::Transfer => Vec::new(),
    };
    let connections = plan.connections.unwrap_or(2);
    if !(1..=64).contains(&connections) {
        return Err(err("connections must be between 1 and 64".into()));
    }
    let timeout_ms = plan.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(100..=60_000).contains(&timeout_ms) {
        return Err(err("timeout_ms must be between 100 and 60000".into()));
    }
    Ok(Effective {
        kind: plan.kind,
        rate,
        open_loop,
        duration_s,
        total,
        max_error_rate: limits.max_error_rate,
        senders,
        funder,
        targets: plan.targets.clone(),
        calls,
        connections,
        timeout_ms,
        capped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            network: "testnet".into(),
            max_tps: 100,
            max_duration_s: 60,
            max_total: 1_000,
            ..Limits::default()
        }
    }

    #[test]
    fn caps_rate_duration_and_total_and_says_so() {
        let p = parse(
            "p.toml",
            "kind = \"transfer\"\nrate = 500\nduration_s = 600\nsenders = 4\nfunder = \"nathan\"\n",
        )
        .unwrap();
        let e = effective("p.toml", &p, &limits()).unwrap();
        assert_eq!((e.rate, e.duration_s, e.total), (100, 60, 1_000));
        let fields: Vec<_> = e.capped.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["rate", "duration_s", "total"]);
        assert_eq!(
            e.capped[0].to_string(),
            "rate 500 capped to 100 by [stress]"
        );
    }

    #[test]
    fn within_limits_nothing_is_capped() {
        let p = parse("p", "kind = \"read\"\nrate = 10\nduration_s = 5\n").unwrap();
        let e = effective("p", &p, &limits()).unwrap();
        assert_eq!((e.rate, e.total, e.open_loop), (10, 50, true));
        assert!(e.capped.is_empty());
        assert_eq!(e.calls, ["get_dynamic_global_properties"]);
    }

    #[test]
    fn read_without_rate_is_closed_loop_at_max_tps() {
        let p = parse(
            "p",
            "kind = \"read\"\nduration_s = 2\ncalls = [\"get_block\"]\n",
        )
        .unwrap();
        let e = effective("p", &p, &limits()).unwrap();
        assert_eq!((e.rate, e.open_loop), (100, false));
    }

    #[test]
    fn bad_plans_are_refused_with_the_reason() {
        let cases = [
            (
                "kind = \"transfer\"\nrate = 5\nduration_s = 5\nfunder = \"x\"\n",
                "senders",
            ),
            (
                "kind = \"transfer\"\nrate = 5\nduration_s = 5\nsenders = 3\n",
                "funder",
            ),
            (
                "kind = \"transfer\"\nduration_s = 5\nsenders = 3\nfunder = \"x\"\n",
                "needs rate",
            ),
            ("kind = \"read\"\nrate = 5\nduration_s = 0\n", "duration_s"),
            (
                "kind = \"read\"\nrate = 5\nduration_s = 1\ncalls = [\"broadcast_transaction\"]\n",
                "not a read call",
            ),
            ("kind = \"read\"\nrate = 0\nduration_s = 1\n", "rate must"),
        ];
        for (text, why) in cases {
            let p = parse("p", text).unwrap();
            let e = effective("p", &p, &limits()).unwrap_err();
            assert!(e.message.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let e = parse("p.toml", "kind = \"read\"\nduration_s = 1\nrat = 5\n").unwrap_err();
        assert_eq!(e.path, "p.toml:3");
        assert!(e.message.contains("unknown field"), "{e}");
    }
}
