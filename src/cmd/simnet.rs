//! `btsops simnet`: run a simulated fleet headless until SIGINT/SIGTERM.
//!
//! stdout gets one JSON line per endpoint (`{"network","kind","name","url"}`) and then
//! `{"ready":true}`, so scripts and tests can wait for the line and read the endpoints.
//! Load-balancer stand-ins get no endpoint line; `--write-config` writes an `[[lb]]` for
//! each.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, eyre};

use crate::simnet::default_fleet::{config_toml, default_fleet};
use crate::simnet::scenario::Scenario;
use crate::simnet::{Fleet, FleetDescription};

/// Largest fleet or scenario file read: a regular file, never a device or FIFO.
const MAX_DESCRIPTION_BYTES: u64 = 16 << 20;

fn read_description(p: &Path) -> Result<String> {
    crate::files::read_text(p, MAX_DESCRIPTION_BYTES)
        .wrap_err_with(|| format!("reading {}", p.display()))
}

pub fn run(
    fleet: Option<&Path>,
    scenario: Option<&Path>,
    write_config: Option<&Path>,
) -> Result<u8> {
    let desc = match fleet {
        Some(p) => {
            let text = read_description(p)?;
            FleetDescription::from_toml(&text).map_err(|e| eyre!("{}: {e}", p.display()))?
        }
        None => default_fleet(),
    };
    let scenario = match scenario {
        Some(p) => {
            let text = read_description(p)?;
            // The error starts with `line:column:`: file:line:col, as editors read it.
            Some(Scenario::from_toml(&text).map_err(|e| eyre!("{}:{e}", p.display()))?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("starting the async runtime")?;
    runtime.block_on(async move {
        let mut handle = Fleet::start(&desc).await?;
        if let Some(s) = scenario {
            handle.play(s).map_err(|unknown| {
                eyre!("scenario names unknown targets: {}", unknown.join(", "))
            })?;
        }
        if let Some(p) = write_config {
            std::fs::write(p, config_toml(&desc, &handle))
                .wrap_err_with(|| format!("writing {}", p.display()))?;
        }
        // Handlers go in before "ready", so a signal sent right after it is not lost.
        let stop = super::stop_signals()?;
        let mut lines = String::new();
        for e in handle.endpoints() {
            lines.push_str(&serde_json::to_string(e)?);
            lines.push('\n');
        }
        lines.push_str("{\"ready\":true}\n");
        // Nobody reading (`| head -c0`) is no reason to stop serving.
        super::print_stdout(&lines)?;
        stop.await;
        handle.shutdown().await;
        Ok(0)
    })
}
