//! `btsops export --listen ADDR`: the monitor headless, serving `/metrics`,
//! `/nodes.json` and `/healthz` (see `export/`) until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};

use crate::config::Config;
use crate::export::Exporter;
use crate::monitor::{Engine, EngineOptions};

/// Serves until Ctrl-C/SIGTERM or after `limit`; says where it listens on `out` first
/// (the port the OS picked when ADDR ends in `:0`).
pub fn run(
    config: &Config,
    listen: SocketAddr,
    limit: Option<Duration>,
    out: &mut dyn Write,
) -> Result<u8> {
    let rt = crate::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(async {
        let signals = super::stop_signals()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| eyre!("--listen {listen}: {e}"))?;
        let engine = Engine::start(config, EngineOptions::from_config(&config.monitor))?;
        let exporter = Exporter::start(config, &engine, listener)
            .map_err(|e| eyre!("--listen {listen}: {e}"))?;
        let line = format!(
            "btsops export: serving http://{}/metrics /nodes.json /healthz\n",
            exporter.addr()
        );
        super::write_or_gone(out, line.as_bytes())?;
        match limit {
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = signals => {}
                }
            }
            None => signals.await,
        }
        drop(exporter);
        engine.shutdown().await;
        Ok::<_, color_eyre::eyre::Report>(())
    })?;
    Ok(0)
}
