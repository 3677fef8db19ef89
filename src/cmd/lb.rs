//! `btsops lb status` and `btsops lb drain|maint|ready|weight|cut`: the load-balancer
//! actions headless, through the same apply-and-verify as the console, with the safety
//! gate and an audit line per mutation.

use std::io::Write;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, eyre};
use serde_json::{Value, json};

use crate::audit;
use crate::cli::{EXIT_FAILURE, EXIT_REFUSED};
use crate::config::{Config, LoadBalancer};
use crate::lb::{self, Action, ApplyError, Client, Endpoint, Server, Target, VerifyOptions};
use crate::safety::{self, Gate};

/// Timeout of one runtime-API call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the operator asked for, with the flags of the safety gate.
#[derive(Debug, Clone)]
pub struct Request {
    /// `LB/BACKEND/SERVER`.
    pub target: String,
    pub action: Action,
    pub yes: bool,
    pub force: bool,
    pub armed: bool,
    pub read_only: bool,
    pub verify_timeout: Option<Duration>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eyre!("starting the runtime: {e}"))
}

fn client(l: &LoadBalancer) -> Client {
    Client::new(Endpoint::from(&l.runtime_api), CALL_TIMEOUT)
}

/// `lb status`: exit 0 when every load balancer answered, 1 otherwise.
pub fn status(cfg: &Config, only: Option<&str>, json: bool, out: &mut impl Write) -> Result<u8> {
    let lbs: Vec<&LoadBalancer> = match only {
        Some(name) => vec![find_lb(cfg, name)?],
        None => cfg.lbs.iter().collect(),
    };
    if lbs.is_empty() {
        return Err(eyre!("{}: no [[lb]] configured", cfg.source.display()));
    }
    let rt = runtime()?;
    let mut code = 0;
    let mut docs = Vec::new();
    for l in lbs {
        let read = rt.block_on(client(l).snapshot());
        if read.is_err() {
            code = EXIT_FAILURE as u8;
        }
        if json {
            docs.push(match &read {
                Ok(s) => json!({"name": l.name, "network": l.network,
                    "runtime_api": l.runtime_api.to_string(), "ok": true,
                    "info": s.info, "servers": s.servers}),
                Err(e) => json!({"name": l.name, "network": l.network,
                    "runtime_api": l.runtime_api.to_string(), "ok": false,
                    "error": e.to_string()}),
            });
        } else {
            write_status_text(l, &read, out)?;
        }
    }
    if json {
        writeln!(out, "{}", json!({ "lbs": docs }))?;
    }
    Ok(code)
}

fn write_status_text(
    l: &LoadBalancer,
    read: &Result<lb::Snapshot, lb::LbError>,
    out: &mut impl Write,
) -> Result<()> {
    let s = match read {
        Ok(s) => s,
        Err(e) => {
            writeln!(out, "{} ({}): ERROR {e}", l.name, l.network)?;
            return Ok(());
        }
    };
    writeln!(
        out,
        "{} ({}) {}: HAProxy {}, pid {}, up {} s",
        l.name, l.network, l.runtime_api, s.info.version, s.info.pid, s.info.uptime_sec
    )?;
    writeln!(
        out,
        "  {:<28} {:<16} {:<14} {:>6} {:>5}  CHECK",
        "BACKEND/SERVER", "MODE", "STATUS", "WEIGHT", "SESS"
    )?;
    for srv in &s.servers {
        writeln!(
            out,
            "  {:<28} {:<16} {:<14} {:>6} {:>5}  {}",
            format!("{}/{}", srv.backend, srv.name),
            mode_text(srv),
            srv.status,
            srv.state.uweight,
            srv.scur.map_or("-".into(), |n| n.to_string()),
            srv.check_status
        )?;
    }
    Ok(())
}

/// The mode, with what a bare status hides: weight 0 still reads `UP`, and a backup only
/// serves when no active server can.
fn mode_text(s: &Server) -> String {
    let mut t = s.mode.label().to_string();
    if s.mode == lb::Mode::Ready && s.state.uweight == 0 {
        t += " w0";
    }
    if s.backup {
        t += " backup";
    }
    t
}

/// Splits `LB/BACKEND/SERVER`.
fn parse_target<'c>(cfg: &'c Config, s: &str) -> Result<(&'c LoadBalancer, Target)> {
    let parts: Vec<&str> = s.split('/').collect();
    let [lb_name, backend, server] = parts[..] else {
        return Err(eyre!("target {s:?}: expected LB/BACKEND/SERVER"));
    };
    let l = find_lb(cfg, lb_name)?;
    let t = Target::new(backend, server).map_err(|e| eyre!("target {s:?}: {e}"))?;
    Ok((l, t))
}

fn find_lb<'c>(cfg: &'c Config, name: &str) -> Result<&'c LoadBalancer> {
    cfg.lbs.iter().find(|l| l.name == name).ok_or_else(|| {
        let known: Vec<&str> = cfg.lbs.iter().map(|l| l.name.as_str()).collect();
        eyre!(
            "no load balancer {name:?} in {} (configured: {})",
            cfg.source.display(),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        )
    })
}

/// A mutating subcommand: gate, apply and verify, audit, report. Exit 0 only when the
/// re-read state shows the action in effect.
pub fn act(cfg: &Config, req: &Request, out: &mut impl Write) -> Result<u8> {
    let (l, target) = parse_target(cfg, &req.target)?;
    let protected = cfg.network(&l.network).is_some_and(|n| n.protected);
    let gate = Gate {
        read_only: cfg.ui.read_only || req.read_only,
        protected,
        armed: req.armed,
        confirmed: req.yes,
    };
    if let Err(r) = safety::check(gate, &l.network) {
        eprintln!("btsops: refused: {r}");
        return Ok(EXIT_REFUSED as u8);
    }
    let opts = VerifyOptions {
        timeout: req
            .verify_timeout
            .unwrap_or(VerifyOptions::default().timeout),
        ..VerifyOptions::default()
    };
    let rt = runtime()?;
    let result = rt.block_on(lb::apply(&client(l), &target, req.action, req.force, opts));
    let mut entry = audit::Entry::now(
        &l.network,
        &format!("{}/{target}", l.name),
        &req.action.name(),
    );
    let code = match &result {
        Ok(o) => {
            entry.before = server_json(Some(&o.before));
            entry.after = server_json(o.after.as_ref());
            entry.result = if o.verified {
                "verified".into()
            } else {
                format!("not verified: {}", o.summary())
            };
            if o.verified { 0 } else { EXIT_FAILURE as u8 }
        }
        Err(ApplyError::Refused(r)) => {
            entry.result = format!("refused: {r}");
            EXIT_REFUSED as u8
        }
        Err(e) => {
            entry.result = format!("failed: {e}");
            EXIT_FAILURE as u8
        }
    };
    // The audit line is on disk before the operator sees the result.
    audit::append_default(&entry).wrap_err("writing the audit log")?;
    match result {
        Ok(o) => writeln!(out, "{}", o.summary())?,
        Err(ApplyError::Refused(r)) => eprintln!("btsops: refused: {r}"),
        Err(e) => eprintln!("btsops: {}: {e}", l.name),
    }
    Ok(code)
}

fn server_json(s: Option<&Server>) -> Value {
    s.map_or(Value::Null, Server::audit_json)
}
