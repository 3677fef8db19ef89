//! The console's I/O for load balancers: one poller per LB sending `Msg::Lb`, and the
//! one ops task that runs every confirmed `Plan` (apply and verify, or a faucet
//! registration; audit line fsync'd) and then sends `Msg::ActionDone`. Both share one runtime-API client per LB, so an
//! `exec:` LB keeps one session.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::faucet_task::{self, FaucetSetup};
use super::msg::{ActionReport, Msg};
use super::ops::{Op, Plan};
use crate::audit;
use crate::config::Config;
use crate::lb::{self, ApplyError, Client, Endpoint, Outcome, VerifyOptions};

/// Timeout of one runtime-API call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// One client per configured LB, by name.
#[derive(Clone, Default)]
pub struct LbClients(BTreeMap<String, Arc<Client>>);

impl LbClients {
    pub fn new(config: &Config) -> LbClients {
        LbClients(
            config
                .lbs
                .iter()
                .map(|l| {
                    let c = Client::new(Endpoint::from(&l.runtime_api), CALL_TIMEOUT);
                    (l.name.clone(), Arc::new(c))
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Polls every LB each `interval` until the feed closes; a slow LB delays only its own
/// poller.
pub fn spawn_pollers(
    clients: &LbClients,
    interval: Duration,
    tx: mpsc::Sender<Msg>,
) -> Vec<JoinHandle<()>> {
    clients
        .0
        .iter()
        .map(|(name, client)| {
            let (name, client, tx) = (name.clone(), client.clone(), tx.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let result = client
                        .snapshot()
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let msg = Msg::Lb {
                        name: name.clone(),
                        time: wall_clock(),
                        result,
                    };
                    if tx.send(msg).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect()
}

/// Where audit lines go, how actions are verified, and the faucet to register through.
#[derive(Debug, Clone)]
pub struct OpsOptions {
    /// The state dir; `None` when there is none (every action then reports that).
    pub audit_dir: Option<PathBuf>,
    pub verify: VerifyOptions,
    /// `None` without `[faucet]` (a registration then fails, audited).
    pub faucet: Option<FaucetSetup>,
}

impl Default for OpsOptions {
    fn default() -> Self {
        OpsOptions {
            audit_dir: audit::state_dir(),
            verify: VerifyOptions::default(),
            faucet: None,
        }
    }
}

/// The ops task: runs plans one at a time, in the order confirmed. After a registration
/// the faucet accepted, the chain is asked for the new account (beside the task, so the
/// next plan does not wait for it).
pub fn spawn_ops(
    clients: LbClients,
    opts: OpsOptions,
    tx: mpsc::Sender<Msg>,
) -> (mpsc::UnboundedSender<Plan>, JoinHandle<()>) {
    let (ptx, mut prx) = mpsc::unbounded_channel::<Plan>();
    let task = tokio::spawn(async move {
        while let Some(plan) = prx.recv().await {
            let report = if plan.ops.iter().any(|o| matches!(o, Op::NodeAction { .. })) {
                super::node_action_task::run_plan(&plan, opts.audit_dir.as_deref(), &tx).await
            } else {
                run_plan(&clients, &plan, &opts).await
            };
            let registered = report
                .faucet
                .as_ref()
                .filter(|f| f.registered)
                .map(|f| f.name.clone());
            if tx.send(Msg::ActionDone(Box::new(report))).await.is_err() {
                break;
            }
            if let (Some(name), Some(setup)) = (registered, &opts.faucet) {
                tokio::spawn(faucet_task::poll_account(setup.clone(), name, tx.clone()));
            }
        }
    });
    (ptx, task)
}

/// Runs each step, appends its audit line (fsync'd) before the next, and reports.
pub async fn run_plan(clients: &LbClients, plan: &Plan, opts: &OpsOptions) -> ActionReport {
    let mut report = ActionReport {
        title: plan.title.clone(),
        network: plan.network.clone(),
        undo: plan.ops.iter().any(|o| matches!(o, Op::LbUndo { .. })),
        lines: Vec::new(),
        done: Vec::new(),
        audit: Err("no step ran".into()),
        faucet: None,
        ran_command: false,
    };
    let mut audit_path: Result<PathBuf, String> = Err("no step ran".into());
    for op in &plan.ops {
        let (ok, line, entry) = match op {
            Op::FaucetRegister {
                endpoint,
                name,
                keys,
                referrer,
            } => {
                let request = faucet_task::request(name, keys, referrer);
                let (entry, outcome) =
                    faucet_task::register(opts.faucet.as_ref(), &plan.network, endpoint, request)
                        .await;
                let status = outcome
                    .status
                    .map_or("no HTTP reply".to_string(), |s| format!("HTTP {s}"));
                let line = format!("{}: {} ({status})", outcome.class, outcome.body);
                let ok = outcome.registered;
                report.faucet = Some(outcome);
                (ok, line, entry)
            }
            // A stress start or node action reaching here is refused by `run_op` (their
            // own tasks run them).
            Op::Lb { .. } | Op::LbUndo { .. } | Op::Stress(_) | Op::NodeAction { .. } => {
                lb_step(clients, op, opts, &mut report).await
            }
        };
        audit_path = match &opts.audit_dir {
            Some(dir) => audit::append(dir, &entry).map_err(|e| format!("{}: {e}", dir.display())),
            None => Err(format!("no state directory (set {})", audit::STATE_DIR_ENV)),
        };
        report.lines.push((ok, line));
    }
    report.audit = audit_path;
    report
}

/// One LB step: applied, verified, its audit entry filled in.
async fn lb_step(
    clients: &LbClients,
    op: &Op,
    opts: &OpsOptions,
    report: &mut ActionReport,
) -> (bool, String, audit::Entry) {
    let mut entry = audit::Entry::now(&report.network, &op.target(), &op.action_name());
    let (ok, line) = match run_op(clients, op, opts.verify).await {
        Ok((lb, outcomes)) => {
            let ok = !outcomes.is_empty() && outcomes.iter().all(|o| o.verified);
            if let (Some(first), Some(last)) = (outcomes.first(), outcomes.last()) {
                entry.before = first.before.audit_json();
                entry.after = last
                    .after
                    .as_ref()
                    .map_or(serde_json::Value::Null, |s| s.audit_json());
            }
            entry.result = if ok {
                "verified".into()
            } else if outcomes.is_empty() {
                "nothing to do".into()
            } else {
                format!("not verified: {}", summaries(&outcomes))
            };
            for o in &outcomes {
                if let Some(d) = &o.done
                    && !matches!(op, Op::LbUndo { .. })
                {
                    report.done.push((lb.clone(), d.clone()));
                }
            }
            (ok, format!("{lb}: {}", summaries(&outcomes)))
        }
        Err(e) => {
            entry.result = match &e {
                RunError::Apply(ApplyError::Refused(r)) => format!("refused: {r}"),
                RunError::Apply(ApplyError::UndoRefused(r)) => format!("refused: {r}"),
                other => format!("failed: {other}"),
            };
            (false, format!("{}: {}", op.target(), entry.result))
        }
    };
    (ok, line, entry)
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("no load balancer {0:?} in the config")]
    UnknownLb(String),
    #[error("{0} is not a load balancer step")]
    NotLb(String),
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

async fn run_op(
    clients: &LbClients,
    op: &Op,
    verify: VerifyOptions,
) -> Result<(String, Vec<Outcome>), RunError> {
    let lb_name = match op {
        Op::Lb { lb, .. } | Op::LbUndo { lb, .. } => lb,
        Op::FaucetRegister { .. } => return Err(RunError::NotLb(op.target())),
        Op::Stress(_) => return Err(RunError::NotLb(op.target())),
        Op::NodeAction { .. } => return Err(RunError::NotLb(op.target())),
    };
    let client = clients
        .0
        .get(lb_name)
        .ok_or_else(|| RunError::UnknownLb(lb_name.clone()))?;
    let outcomes = match op {
        Op::Lb {
            target,
            action,
            force,
            ..
        } => vec![lb::apply(client, target, *action, *force, verify).await?],
        Op::LbUndo { done, .. } => lb::undo(client, done, verify).await?,
        Op::FaucetRegister { .. } => return Err(RunError::NotLb(op.target())),
        Op::Stress(_) => return Err(RunError::NotLb(op.target())),
        Op::NodeAction { .. } => return Err(RunError::NotLb(op.target())),
    };
    Ok((lb_name.clone(), outcomes))
}

fn summaries(outcomes: &[Outcome]) -> String {
    if outcomes.is_empty() {
        return "already as it was".into();
    }
    outcomes
        .iter()
        .map(Outcome::summary)
        .collect::<Vec<_>>()
        .join("; ")
}
