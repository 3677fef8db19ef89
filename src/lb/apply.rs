//! Apply an action, then re-read until the state shows it or a timeout passes
//! (LOADBALANCER.md §11). The reply text is kept for the record but never decides success.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::LbError;
use super::action::{self, Action, Done, Mark, Refusal, Target, UndoRefusal};
use super::info::{Reload, detect_reload};
use super::model::Server;
use super::transport::Client;

#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Pause between re-reads.
    pub interval: Duration,
    /// How long to keep re-reading before calling the action failed.
    pub timeout: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            interval: Duration::from_millis(100),
            timeout: Duration::from_secs(3),
        }
    }
}

/// What an applied action did, as the state showed it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub target: Target,
    pub action: Action,
    pub command: String,
    /// HAProxy's reply verbatim (empty on success for these commands; text is a warning).
    pub reply: String,
    pub before: Server,
    /// The last state read; `None` when the server vanished.
    pub after: Option<Server>,
    /// The state showed the action in effect.
    pub verified: bool,
    /// Re-reads made after sending.
    pub reads: u32,
    /// HAProxy reloaded between the action and a re-read: the change is gone.
    pub reload: Option<Reload>,
    /// For undo; set when verified.
    pub done: Option<Done>,
}

impl Outcome {
    /// One line for the operator.
    pub fn summary(&self) -> String {
        let state = |s: &Server| {
            format!(
                "{} ({}, weight {}, {} sessions)",
                s.mode.label(),
                if s.status.is_empty() { "-" } else { &s.status },
                s.state.uweight,
                s.scur.map_or("?".into(), |n| n.to_string())
            )
        };
        let after = self.after.as_ref().map_or("gone".into(), state);
        let verdict = if self.verified {
            "verified".to_string()
        } else if let Some(r) = &self.reload {
            format!("NOT verified: {r}")
        } else {
            format!("NOT verified after {} re-reads", self.reads)
        };
        let reply = if self.reply.trim().is_empty() {
            String::new()
        } else {
            format!(" [HAProxy replied: {}]", self.reply.trim())
        };
        format!(
            "{} {}: {} -> {}: {verdict}{reply}",
            self.action.name(),
            self.target,
            state(&self.before),
            after
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("undo refused: {0}")]
    UndoRefused(#[from] UndoRefusal),
    #[error(transparent)]
    Lb(#[from] LbError),
}

/// Reads the state, checks the action may be sent (see [`action::check`]), sends it, and
/// re-reads every `opts.interval` until it holds or `opts.timeout` passes.
pub async fn apply(
    client: &Client,
    target: &Target,
    action: Action,
    force: bool,
    opts: VerifyOptions,
) -> Result<Outcome, ApplyError> {
    let snap = client.snapshot().await?;
    action::check(&snap, target, action, force)?;
    let before = snap
        .server(&target.backend, &target.server)
        .cloned()
        .ok_or_else(|| Refusal::UnknownServer {
            backend: target.backend.clone(),
            server: target.server.clone(),
            known: String::new(),
        })?;
    let command = action.command(target);
    let reply = client.run_one(&command).await?;
    let sent = Instant::now();
    let mut out = Outcome {
        target: target.clone(),
        action,
        command,
        reply,
        before: before.clone(),
        after: Some(before.clone()),
        verified: false,
        reads: 0,
        reload: None,
        done: None,
    };
    // Bounded in count as well as time: the re-reads can be quicker than the interval.
    let max_reads = (opts.timeout.as_millis() / opts.interval.as_millis().max(1)) as u32 + 1;
    loop {
        let now = client.snapshot().await?;
        out.reads += 1;
        out.reload = detect_reload(&snap.info, &now.info, sent.elapsed().as_secs());
        out.after = now.server(&target.backend, &target.server).cloned();
        if out.reload.is_some() {
            break;
        }
        if let Some(s) = &out.after
            && action.holds(s)
        {
            out.verified = true;
            out.done = Some(Done {
                target: target.clone(),
                action,
                before: Mark::of(&before),
                after: Mark::of(s),
                pid: now.info.pid,
            });
            break;
        }
        if sent.elapsed() >= opts.timeout || out.reads >= max_reads {
            break;
        }
        tokio::time::sleep(opts.interval).await;
    }
    Ok(out)
}

/// Takes the server back to the state `done` found, each step applied and verified;
/// refused when the server is no longer as `done` left it. Stops at the first step that
/// does not verify.
pub async fn undo(
    client: &Client,
    done: &Done,
    opts: VerifyOptions,
) -> Result<Vec<Outcome>, ApplyError> {
    let snap = client.snapshot().await?;
    let plan = action::undo_plan(done, &snap)?;
    let mut outcomes = Vec::new();
    for a in plan {
        // Restoring what was there before is not a new decision to take a server out.
        let o = apply(client, &done.target, a, true, opts).await?;
        let ok = o.verified;
        outcomes.push(o);
        if !ok {
            break;
        }
    }
    Ok(outcomes)
}
