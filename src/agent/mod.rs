//! `btsops agent`: an HAProxy agent-check server fed by the monitor, for the failover an
//! HTTP check cannot do: a node that answers but whose head is behind the network.
//!
//! - [`verdict`]: the pure decision, monitor snapshots → `up` / `down #reason`.
//! - [`server`]: the TCP listener answering HAProxy from the last verdicts.
//! - [`run`] here: the engine, the judge and the listener tied together.

pub mod server;
pub mod verdict;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use server::{Verdicts, serve};
pub use verdict::{Judge, Verdict};

use crate::monitor::FleetSnapshot;

/// A verdict change, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub node: String,
    pub from: Verdict,
    pub to: Verdict,
}

impl Change {
    /// `victim up -> down #lag 12 blocks (36s) behind best`
    pub fn line(&self) -> String {
        format!(
            "{} {} -> {}",
            self.node,
            self.from.line().trim_end(),
            self.to.line().trim_end()
        )
    }
}

/// Judges every snapshot from `snapshots` and publishes the verdicts to `out`, calling
/// `on_change` for each verdict that changed; ends when the engine goes away.
pub async fn judge_loop(
    mut judge: Judge,
    mut snapshots: watch::Receiver<FleetSnapshot>,
    out: watch::Sender<Verdicts>,
    mut on_change: impl FnMut(Change),
) {
    loop {
        let changes = judge.update(&snapshots.borrow_and_update());
        // Nodes without a verdict change need no entry: a missing name answers `up`.
        if !changes.is_empty() {
            out.send_replace(Arc::new(judge.verdicts()));
        }
        for (node, from, to) in changes {
            on_change(Change { node, from, to });
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}

/// Serves agent checks on `listener` from the monitor's `snapshots` until `stop`;
/// `answered` counts the answers sent.
pub async fn run(
    listener: TcpListener,
    judge: Judge,
    snapshots: watch::Receiver<FleetSnapshot>,
    on_change: impl FnMut(Change) + Send + 'static,
    answered: Arc<AtomicU64>,
    stop: impl Future<Output = ()>,
) {
    let (tx, rx) = watch::channel(Verdicts::default());
    let judging = tokio::spawn(judge_loop(judge, snapshots, tx, on_change));
    serve(listener, rx, answered, stop).await;
    judging.abort();
}
