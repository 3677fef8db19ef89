//! `btsops stress run`: a plan run headless through the same engine the console will
//! drive, behind the safety gate, with an audit line at start and end.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use color_eyre::eyre::{Result, WrapErr, eyre};
use serde_json::json;

use crate::audit;
use crate::cli::{EXIT_FAILURE, EXIT_REFUSED, StressRunArgs};
use crate::config;
use crate::safety::{self, Gate};
use crate::stress::metrics::{self, Snapshot};
use crate::stress::{Kind, Options, Progress, Report, Run, keys, plan, targets};

/// One progress line.
pub fn progress_line(p: &Progress) -> String {
    match p {
        Progress::Phase(what) => format!("stress: {what}"),
        Progress::Second {
            elapsed_s,
            sent,
            accepted,
            rejected,
            errors,
            included,
            ..
        } => format!(
            "stress: {elapsed_s:>4} s  sent {sent}  accepted {accepted}  rejected {rejected}  no answer {errors}  in blocks {included}"
        ),
    }
}

/// Where the report goes without `--report`.
fn default_report(kind: Kind) -> Result<PathBuf> {
    let dir = keys::data_dir().ok_or_else(|| {
        eyre!(
            "no data directory (no home directory; set {})",
            keys::DATA_DIR_ENV
        )
    })?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(crate::stress::report::default_path(&dir, kind, now))
}

pub fn run(args: &StressRunArgs) -> Result<u8> {
    let cfg = config::load(args.config.config.as_deref())?;
    let limits = cfg.stress.clone().ok_or_else(|| {
        eyre!(
            "{}: no [stress] section: stress runs need one",
            cfg.source.display()
        )
    })?;
    let plan_name = args.plan.display().to_string();
    let plan = plan::load(&args.plan)?;
    let effective = plan::effective(&plan_name, &plan, &limits)?;
    let (network, targets) = targets::resolve(&cfg, &effective.targets).map_err(|e| eyre!(e))?;
    let gate = Gate {
        read_only: cfg.ui.read_only || args.read_only,
        protected: network.protected,
        armed: args.armed,
        confirmed: args.yes,
    };
    if let Err(r) = safety::check(gate, &network.name) {
        crate::cmd::print_stderr(&format!("btsops: refused: {r}"));
        return Ok(EXIT_REFUSED as u8);
    }
    let funder = match effective.kind {
        Kind::Read => None,
        Kind::Transfer => {
            let path = limits.keys_file.as_ref().ok_or_else(|| {
                eyre!(
                    "{}: a transfer run needs stress.keys_file (the funder's key)",
                    cfg.source.display()
                )
            })?;
            let name = effective.funder.clone().unwrap_or_default();
            let accounts = keys::load(path)?;
            let found = accounts.into_iter().find(|a| a.name == name);
            Some(found.ok_or_else(|| {
                eyre!("{plan_name}: funder {name:?} is not in {}", path.display())
            })?)
        }
    };
    let data_dir = keys::data_dir().ok_or_else(|| {
        eyre!(
            "no data directory (no home directory; set {})",
            keys::DATA_DIR_ENV
        )
    })?;
    let report_path = match &args.report {
        Some(p) => p.clone(),
        None => default_report(effective.kind)?,
    };
    for c in &effective.capped {
        crate::cmd::print_stderr(&format!("btsops: {c}"));
    }
    let target_names = targets
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut start = audit::Entry::now(&network.name, &target_names, "stress start");
    start.after = json!({"plan": plan_name, "effective": effective});
    start.result = "started".into();
    audit::append_default(&start).wrap_err("writing the audit log")?;

    let opts = Options {
        plan,
        effective,
        network: network.clone(),
        targets,
        funder,
        data_dir,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| eyre!("starting the runtime: {e}"))?;
    let report = rt.block_on(drive(opts, args.metrics))?;
    let written = crate::stress::report::write(&report, &report_path)
        .wrap_err_with(|| format!("writing the report to {}", report_path.display()));
    let mut end = audit::Entry::now(&network.name, &target_names, "stress end");
    end.after = json!({"totals": report.totals, "report": report_path});
    end.result = match &report.aborted {
        None => "completed".into(),
        Some(why) => format!("aborted: {why}"),
    };
    audit::append_default(&end).wrap_err("writing the audit log")?;
    let (json_path, md_path) = written?;
    crate::cmd::print_stderr(&format!(
        "btsops: report {} and {}",
        json_path.display(),
        md_path.display()
    ));
    match &report.aborted {
        None => Ok(0),
        Some(why) => {
            crate::cmd::print_stderr(&format!("btsops: stress run aborted: {why}"));
            Ok(EXIT_FAILURE as u8)
        }
    }
}

/// Runs to the end: SIGINT and SIGTERM stop it, progress goes to stderr and `--metrics`.
async fn drive(opts: Options, metrics_addr: Option<std::net::SocketAddr>) -> Result<Report> {
    let mut run = Run::start(opts);
    let stopper = run.stopper();
    let snapshot = Arc::new(Mutex::new(Snapshot::default()));
    if let Some(addr) = metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            stopper.trigger("the metrics address could not be bound");
            eyre!("--metrics {addr}: {e}")
        })?;
        tokio::spawn(metrics::serve(
            listener,
            Arc::clone(&snapshot),
            stopper.clone(),
        ));
    }
    {
        let stopper = stopper.clone();
        tokio::spawn(async move {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => stopper.trigger("stopped by SIGINT"),
                _ = term.recv() => stopper.trigger("stopped by SIGTERM"),
            }
        });
    }
    let tty = std::io::stderr().is_terminal();
    while let Some(p) = run.progress.recv().await {
        snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .update(&p);
        let line = progress_line(&p);
        if tty && matches!(p, Progress::Second { .. }) {
            // One line redrawn in place.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("\r\x1b[K{line}").as_bytes(),
            );
        } else {
            crate::cmd::print_stderr(&line);
        }
    }
    if tty {
        crate::cmd::print_stderr("");
    }
    let report = run.finish().await.map_err(|e| eyre!(e))?;
    snapshot
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .running = false;
    stopper.trigger("finished");
    Ok(report)
}
