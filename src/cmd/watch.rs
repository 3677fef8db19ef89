//! `btsops watch`: runs the monitor engine headless and prints every status change as it
//! happens, until interrupted or for a fixed time. With `--record` it is the way to
//! capture a recording of a live fleet for later replay.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use tokio::sync::broadcast::error::RecvError;

use crate::config::Config;
use crate::monitor::{Engine, EngineOptions, Event};

/// One event as a text line: `2026-11-25T22:40:01Z a ok -> down: reason`.
pub fn event_line(e: &Event) -> String {
    let t = time_label(e.time);
    format!("{t} {} {} -> {}: {}", e.endpoint, e.from, e.to, e.reason)
}

/// Unix seconds as RFC 3339 to the second (`2026-11-25T22:40:01Z`).
pub fn time_label(unix_s: f64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_s.floor() as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix_s:.0}"))
}

/// Runs until Ctrl-C/SIGTERM or after `limit`; writes events to `out` as they come.
pub fn run(
    config: &Config,
    json: bool,
    record: Option<PathBuf>,
    limit: Option<Duration>,
    out: &mut dyn Write,
) -> Result<u8> {
    let mut opts = EngineOptions::from_config(&config.monitor);
    opts.record = record;
    let rt = crate::monitor::runtime().map_err(|e| eyre!("starting the runtime: {e}"))?;
    rt.block_on(async {
        let signals = super::stop_signals()?;
        let engine = Engine::start(config, opts)?;
        let mut events = engine.events();
        let stop = async {
            match limit {
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = signals => {}
                    }
                }
                None => signals.await,
            }
        };
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                e = events.recv() => {
                    let line = match e {
                        Ok(e) if json => serde_json::to_string(&e)?,
                        Ok(e) => event_line(&e),
                        Err(RecvError::Lagged(n)) => format!("# {n} events dropped: output too slow"),
                        Err(RecvError::Closed) => break,
                    };
                    // The reader went away (`| head`): stop as after Ctrl-C.
                    if !super::write_or_gone(out, format!("{line}\n").as_bytes())? {
                        break;
                    }
                }
            }
        }
        engine
            .finish()
            .await
            .map_err(|e| eyre!("--record {e}"))?;
        Ok::<_, color_eyre::eyre::Report>(())
    })?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Status;

    #[test]
    fn text_line() {
        let e = Event {
            time: 1_704_067_200.5,
            endpoint: "eu-1".into(),
            network: "mainnet".into(),
            from: Status::Ok,
            to: Status::Down,
            reason: "no answer".into(),
        };
        assert_eq!(
            event_line(&e),
            "2024-01-01T00:00:00Z eu-1 ok -> down: no answer"
        );
    }
}
