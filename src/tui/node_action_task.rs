//! Runs a confirmed node action for the console (inside the ops task, so actions run
//! one at a time in the order confirmed): its output goes to the feed line by line as
//! `Msg::ActionOutput`, its audit line is on disk before `Msg::ActionDone` reports it.

use std::path::Path;

use tokio::sync::mpsc;

use super::msg::{ActionReport, Msg};
use super::ops::{Op, Plan};
use crate::audit;
use crate::node_action::{self, run};

pub async fn run_plan(
    plan: &Plan,
    audit_dir: Option<&Path>,
    tx: &mpsc::Sender<Msg>,
) -> ActionReport {
    let mut report = ActionReport {
        title: plan.title.clone(),
        network: plan.network.clone(),
        undo: false,
        lines: Vec::new(),
        done: Vec::new(),
        audit: Err("no step ran".into()),
        ran_command: true,
        faucet: None,
    };
    for op in &plan.ops {
        let Op::NodeAction {
            action,
            target,
            argv,
            timeout,
        } = op
        else {
            continue;
        };
        let (ltx, mut lrx) = mpsc::unbounded_channel();
        let running = run::run(argv, *timeout, ltx);
        tokio::pin!(running);
        let outcome = loop {
            tokio::select! {
                o = &mut running => break o,
                Some(l) = lrx.recv() => forward(tx, l).await,
            }
        };
        while let Ok(l) = lrx.try_recv() {
            forward(tx, l).await;
        }
        let entry =
            node_action::audit_entry(action, &plan.network, target, *timeout, argv, &outcome);
        report.audit = match audit_dir {
            Some(dir) => audit::append(dir, &entry).map_err(|e| format!("{}: {e}", dir.display())),
            None => Err(format!("no state directory (set {})", audit::STATE_DIR_ENV)),
        };
        report.lines.push((
            outcome.exit.success(),
            format!("{} ({:.1} s)", entry.result, outcome.elapsed.as_secs_f64()),
        ));
    }
    report
}

async fn forward(tx: &mpsc::Sender<Msg>, l: run::Line) {
    let _ = tx
        .send(Msg::ActionOutput {
            stderr: l.stream == run::Stream::Stderr,
            text: l.text,
        })
        .await;
}
