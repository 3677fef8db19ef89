//! `btsops agent --listen ADDR`: the monitor engine on the configured fleet, and the
//! agent-check server answering HAProxy from its verdicts (see [`crate::agent`]).

use std::io::Write;
use std::net::SocketAddr;

use color_eyre::eyre::{Result, WrapErr, eyre};
use tokio::sync::mpsc;

use crate::agent::{self, Judge};
use crate::config::Config;
use crate::monitor::{Engine, EngineOptions};

/// Runs until SIGINT/SIGTERM. Writes `listening on ADDR`, then one line per verdict
/// change (`2026-12-06T10:00:00Z victim up -> down #lag 12 blocks (36s) behind best`).
pub fn run(config: &Config, listen: SocketAddr, out: &mut dyn Write) -> Result<u8> {
    let rt = crate::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(async {
        let signals = super::stop_signals()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .wrap_err_with(|| format!("agent: listening on {listen}"))?;
        let bound = listener
            .local_addr()
            .wrap_err("agent: reading the bound address")?;
        let engine = Engine::start(config, EngineOptions::from_config(&config.monitor))?;
        let judge = Judge::new(&crate::monitor::rules_of(config));
        if !super::write_or_gone(out, format!("listening on {bound}\n").as_bytes())? {
            return Ok(());
        }
        // Changes come from the judging task; this one writes them, so a slow or gone
        // stdout never holds up an answer to HAProxy.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let server = tokio::spawn(agent::run(
            listener,
            judge,
            engine.snapshots(),
            move |c| {
                let _ = tx.send(c);
            },
            Default::default(),
            signals,
        ));
        tokio::pin!(server);
        let mut printing = true;
        loop {
            tokio::select! {
                _ = &mut server => break,
                Some(c) = rx.recv() => {
                    let line = format!("{} {}\n", super::watch::time_label(crate::monitor::probe::unix_now()), c.line());
                    // A reader that went away stops the log, not the agent.
                    if printing && !super::write_or_gone(out, line.as_bytes())? {
                        printing = false;
                    }
                }
            }
        }
        engine.shutdown().await;
        Ok::<_, color_eyre::eyre::Report>(())
    })?;
    Ok(0)
}
