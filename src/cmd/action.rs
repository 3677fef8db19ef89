//! `btsops action NAME --target T`: a node action (`[[action]]`) run headless, through
//! the same safety gate, runner and audit line as the console's.

use std::io::Write;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, eyre};
use tokio::sync::mpsc;

use crate::audit;
use crate::cli::{EXIT_FAILURE, EXIT_REFUSED};
use crate::config::Config;
use crate::node_action::{self, ActionSpec, Resolved, Scope, run};
use crate::safety::{self, Gate};

/// What the operator asked for, with the flags of the safety gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    pub target: String,
    pub yes: bool,
    pub armed: bool,
    pub read_only: bool,
}

fn spec<'c>(cfg: &'c Config, name: &str) -> Result<&'c ActionSpec> {
    cfg.actions.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = cfg.actions.iter().map(|a| a.name.as_str()).collect();
        eyre!(
            "no [[action]] named {name:?} in {} (actions: {})",
            cfg.source.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )
    })
}

/// An LB/BACKEND/SERVER target: the server's address comes from a read of the LB.
async fn resolve_lb_server(cfg: &Config, target: &str) -> Result<Resolved> {
    let mut parts = target.splitn(3, '/');
    let (Some(lb), Some(backend), Some(server)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(eyre!(
            "--target {target:?}: a load balancer's server is LB/BACKEND/SERVER"
        ));
    };
    let l = cfg
        .lbs
        .iter()
        .find(|l| l.name == lb)
        .ok_or_else(|| eyre!("--target {target:?}: no [[lb]] named {lb:?}"))?;
    let client = crate::lb::Client::new(
        crate::lb::Endpoint::from(&l.runtime_api),
        Duration::from_secs(5),
    );
    let snap = client
        .snapshot()
        .await
        .map_err(|e| eyre!("{lb}: reading the servers: {e}"))?;
    let s = snap
        .server(backend, server)
        .ok_or_else(|| eyre!("{lb}: no server {backend}/{server}"))?;
    Ok(Resolved {
        network: l.network.clone(),
        target: format!("{lb}/{backend}/{server}"),
        values: node_action::lb_server_values(
            &l.network,
            l.region.as_deref(),
            server,
            &s.state.addr,
        ),
    })
}

/// Gate, run with streamed output, audit, report. Exit 0 only when the command exited 0;
/// 1 when it failed or timed out, 4 when refused.
pub fn act(cfg: &Config, req: &Request, out: &mut impl Write) -> Result<u8> {
    let spec = spec(cfg, &req.name)?;
    let rt = crate::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    let resolved = match spec.scope {
        Scope::LbServer => rt.block_on(resolve_lb_server(cfg, &req.target))?,
        scope => {
            node_action::resolve(cfg, scope, &req.target).map_err(|e| eyre!("--target: {e}"))?
        }
    };
    let argv = node_action::expand(&spec.command, &resolved.values)
        .map_err(|e| eyre!("action {}: {e}", spec.name))?;
    let gate = Gate {
        read_only: cfg.ui.read_only || req.read_only,
        protected: cfg.network(&resolved.network).is_some_and(|n| n.protected),
        armed: req.armed,
        confirmed: req.yes,
    };
    if let Err(r) = safety::check(gate, &resolved.network) {
        eprintln!("btsops: refused: {r}");
        eprintln!("btsops: would run: {}", node_action::display(&argv));
        return Ok(EXIT_REFUSED as u8);
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let outcome = rt.block_on(async {
        let running = run::run(&argv, spec.timeout, tx);
        tokio::pin!(running);
        // Lines go out as they come, not at the end.
        loop {
            tokio::select! {
                o = &mut running => {
                    while let Ok(l) = rx.try_recv() {
                        emit(out, &l);
                    }
                    return o;
                }
                Some(l) = rx.recv() => emit(out, &l),
            }
        }
    });
    let entry = node_action::audit_entry(
        &spec.name,
        &resolved.network,
        &resolved.target,
        spec.timeout,
        &argv,
        &outcome,
    );
    // The audit line is on disk before the operator sees the result.
    audit::append_default(&entry).wrap_err("writing the audit log")?;
    eprintln!(
        "btsops: {} on {}: {} ({:.1} s)",
        spec.name,
        resolved.target,
        entry.result,
        outcome.elapsed.as_secs_f64()
    );
    Ok(if outcome.exit.success() {
        0
    } else {
        EXIT_FAILURE as u8
    })
}

fn emit(out: &mut impl Write, l: &run::Line) {
    match l.stream {
        run::Stream::Stdout => {
            let _ = writeln!(out, "{}", l.text);
            let _ = out.flush();
        }
        run::Stream::Stderr => eprintln!("{}", l.text),
    }
}
