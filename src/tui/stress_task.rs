//! The console's I/O for stress runs: plan files read, and one run at a time started
//! from a confirmed `Op::Stress` (checked again against the config in use), its progress
//! forwarded as `Msg::Stress`, its report and end audit line written when it ends —
//! completed, stopped, capped, or because the console quit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::msg::{Effect, Msg, StressDone, StressNews};
use super::ops::{Op, StressStart};
use crate::audit;
use crate::config::Config;
use crate::stress::{self, Abort, Kind, Options, Run, keys, plan, targets};

/// How long quitting waits for a stopped run to write its report: the engine stops at
/// once, so only a wedged disk makes it this slow.
const FINISH_LIMIT: Duration = Duration::from_secs(30);

/// The stress run of a console session.
pub struct StressTask {
    /// Where audit lines go; `None`: no state dir (a run is then refused).
    audit_dir: Option<PathBuf>,
    current: Option<(Abort, JoinHandle<()>)>,
}

impl StressTask {
    pub fn new(audit_dir: Option<PathBuf>) -> StressTask {
        StressTask {
            audit_dir,
            current: None,
        }
    }

    /// Carries out the stress effects (`Op::Stress` actions, stops, plan loads);
    /// `false` for any other effect, which the caller handles.
    pub async fn handle(&mut self, e: &Effect, config: &Config, tx: &mpsc::Sender<Msg>) -> bool {
        match e {
            Effect::Action(plan) => {
                let [Op::Stress(start)] = &plan.ops[..] else {
                    return false;
                };
                self.start(config, start, tx).await;
            }
            Effect::StopStress(why) => self.stop(why),
            Effect::LoadStressPlan(path) => {
                let _ = tx.send(load_plan(path)).await;
            }
            _ => return false,
        }
        true
    }

    /// A run is under way.
    pub fn running(&self) -> bool {
        self.current.as_ref().is_some_and(|(_, h)| !h.is_finished())
    }

    /// Stops the run at once (nothing more is sent); its report is still written.
    pub fn stop(&self, why: &str) {
        if let Some((abort, _)) = &self.current {
            abort.trigger(why);
        }
    }

    /// Stops the run, if any, and waits until its report and audit line are written.
    pub async fn finish(&mut self, why: &str) {
        self.stop(why);
        if let Some((_, handle)) = self.current.take() {
            let abort = handle.abort_handle();
            if tokio::time::timeout(FINISH_LIMIT, handle).await.is_err() {
                abort.abort();
            }
        }
    }

    async fn start(&mut self, config: &Config, start: &StressStart, tx: &mpsc::Sender<Msg>) {
        if self.running() {
            let _ = tx
                .send(Msg::Notice {
                    text: "a stress run is under way: one at a time".into(),
                    error: true,
                })
                .await;
            return;
        }
        let prepared = self
            .audit_dir
            .clone()
            .ok_or_else(|| {
                format!(
                    "no state directory for the audit log (set {})",
                    audit::STATE_DIR_ENV
                )
            })
            .and_then(|dir| options(config, start).map(|o| (dir, o)));
        let (dir, opts) = match prepared {
            Ok(p) => p,
            Err(why) => {
                let audit = self.audit_refusal(start, &why);
                let done = StressDone {
                    aborted: Some(format!("not started: {why}")),
                    elapsed_s: 0.0,
                    totals: None,
                    report: Err("nothing was sent".into()),
                    audit,
                };
                let _ = tx.send(Msg::Stress(StressNews::Done(Box::new(done)))).await;
                return;
            }
        };
        // Nothing is sent unless its start is on record.
        let mut entry = audit::Entry::now(&start.network, &start.targets.join(","), "stress start");
        entry.after = json!({
            "plan": start.plan_path,
            "edited": start.edited,
            "effective": start.effective,
            "report": start.report,
        });
        entry.result = "started".into();
        if let Err(e) = audit::append(&dir, &entry) {
            let done = StressDone {
                aborted: Some("not started: the audit log could not be written".into()),
                elapsed_s: 0.0,
                totals: None,
                report: Err("nothing was sent".into()),
                audit: Err(format!("{}: {e}", dir.display())),
            };
            let _ = tx.send(Msg::Stress(StressNews::Done(Box::new(done)))).await;
            return;
        }
        let mut run = Run::start(opts);
        let abort = run.stopper();
        let (start, tx) = (start.clone(), tx.clone());
        let handle = tokio::spawn(async move {
            while let Some(p) = run.progress.recv().await {
                // A console that stopped reading must not hold the run up.
                let _ = tx.try_send(Msg::Stress(StressNews::Progress(p)));
            }
            let done = match run.finish().await {
                Ok(report) => ended(&dir, &start, &report),
                Err(e) => StressDone {
                    aborted: Some(e.clone()),
                    elapsed_s: 0.0,
                    totals: None,
                    report: Err(e),
                    audit: end_line(&dir, &start, json!(null), "failed: the run task failed"),
                },
            };
            let _ = tx.send(Msg::Stress(StressNews::Done(Box::new(done)))).await;
        });
        self.current = Some((abort, handle));
    }

    fn audit_refusal(&self, start: &StressStart, why: &str) -> Result<PathBuf, String> {
        let dir = self
            .audit_dir
            .as_ref()
            .ok_or_else(|| format!("no state directory (set {})", audit::STATE_DIR_ENV))?;
        audit_line(
            dir,
            start,
            "stress start",
            json!(null),
            &format!("refused: {why}"),
        )
    }
}

/// Reads a plan file into `Msg::StressPlan`.
pub fn load_plan(path: &Path) -> Msg {
    Msg::StressPlan {
        path: path.display().to_string(),
        result: plan::load(path).map_err(|e| e.to_string()),
    }
}

/// The run's options from a confirmed start, checked again against the config in use:
/// a reload between confirmation and start must not change what runs.
fn options(config: &Config, start: &StressStart) -> Result<Options, String> {
    let limits = config
        .stress
        .clone()
        .ok_or("the config has no [stress] section any more")?;
    let effective =
        plan::effective(&start.plan_path, &start.plan, &limits).map_err(|e| e.to_string())?;
    if effective != start.effective {
        return Err("the [stress] caps changed since the confirmation: start it again".into());
    }
    let (network, targets) = targets::resolve(config, &start.targets)?;
    if network.name != start.network || network.chain_id != start.chain_id {
        return Err(format!(
            "stress.network is now {:?} (chain {}): start it again",
            network.name, network.chain_id
        ));
    }
    let funder = match effective.kind {
        Kind::Read => None,
        Kind::Transfer => {
            let path = limits
                .keys_file
                .as_ref()
                .ok_or("a transfer run needs stress.keys_file (the funder's key)")?;
            let name = effective.funder.clone().unwrap_or_default();
            let accounts = keys::load(path).map_err(|e| e.to_string())?;
            Some(
                accounts
                    .into_iter()
                    .find(|a| a.name == name)
                    .ok_or_else(|| format!("funder {name:?} is not in {}", path.display()))?,
            )
        }
    };
    Ok(Options {
        plan: start.plan.clone(),
        effective,
        network,
        targets,
        funder,
        data_dir: start.data_dir.clone(),
    })
}

/// Writes the report and the end's audit line.
fn ended(dir: &Path, start: &StressStart, report: &stress::Report) -> StressDone {
    let written = stress::report::write(report, &start.report)
        .map_err(|e| format!("{}: {e}", start.report.display()));
    let result = match &report.aborted {
        None => "completed".to_string(),
        Some(why) => format!("aborted: {why}"),
    };
    let audit = end_line(
        dir,
        start,
        json!({"totals": report.totals, "report": start.report}),
        &result,
    );
    StressDone {
        aborted: report.aborted.clone(),
        elapsed_s: report.elapsed_s,
        totals: Some(report.totals.clone()),
        report: written,
        audit,
    }
}

fn end_line(
    dir: &Path,
    start: &StressStart,
    after: serde_json::Value,
    result: &str,
) -> Result<PathBuf, String> {
    audit_line(dir, start, "stress end", after, result)
}

fn audit_line(
    dir: &Path,
    start: &StressStart,
    action: &str,
    after: serde_json::Value,
    result: &str,
) -> Result<PathBuf, String> {
    let mut entry = audit::Entry::now(&start.network, &start.targets.join(","), action);
    entry.after = after;
    entry.result = result.into();
    audit::append(dir, &entry).map_err(|e| format!("{}: {e}", dir.display()))
}
