//! `alert_command`: the operator's own program, run when an alert is raised.
//!
//! Rate-limited: when a load balancer dies, hundreds of endpoints go down at once, and
//! one process per alert (300 started in half a second) swamps the host and the
//! operator's phone alike. Within a window the first [`AlertLimits::burst`] alerts run
//! the command one by one; the rest are held and, when the window ends, run it once
//! with a summary ("297 more alerts: …"). The gate is pure ([`AlertGate`]); the
//! dispatcher task ([`spawn_dispatcher`]) owns the clock and the processes.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::app::Msg;
use crate::monitor::Alert;
use crate::text;

/// How long `alert_command` may run before it is killed.
pub const ALERT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest message passed as the command's argument, in characters. A node's 200 KB
/// error text once made the command fail to start (argument too long).
pub const MAX_ALERT_ARG: usize = 1000;

/// How many alerts run the command on their own per window, and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertLimits {
    pub burst: usize,
    pub window: Duration,
}

/// The console's limits: three alerts on their own per 30 s, then one summary. With
/// the 10 s timeout, at most four commands run at a time.
pub const ALERT_LIMITS: AlertLimits = AlertLimits {
    burst: 3,
    window: Duration::from_secs(30),
};

/// Held alerts named in a summary; the rest are counted.
const SUMMARY_NAMES: usize = 5;

/// What to do with one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Run the command for it now.
    Run,
    /// Held for the window's summary.
    Held,
}

/// Alerts held back, to be reported in one command run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    /// The first few held alerts' messages.
    pub messages: Vec<String>,
}

impl Summary {
    /// The summary's message: the count and the first few alerts.
    pub fn message(&self) -> String {
        let mut m = format!(
            "{} more alert{} (rate-limited):",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        m.push(' ');
        m.push_str(&self.messages.join("; "));
        if self.count > self.messages.len() {
            m.push_str("; …");
        }
        m
    }
}

/// The rate limit, pure: the caller passes the time.
#[derive(Debug, Clone)]
pub struct AlertGate {
    limits: AlertLimits,
    window_start: Option<Instant>,
    run_in_window: usize,
    held: usize,
    held_messages: Vec<String>,
    summary_at: Option<Instant>,
}

impl AlertGate {
    pub fn new(limits: AlertLimits) -> AlertGate {
        AlertGate {
            limits,
            window_start: None,
            run_in_window: 0,
            held: 0,
            held_messages: Vec::new(),
            summary_at: None,
        }
    }

    /// Decides one alert at `now`.
    pub fn admit(&mut self, now: Instant, message: &str) -> Admit {
        let expired = self
            .window_start
            .is_none_or(|s| now >= s + self.limits.window);
        if expired {
            // A summary still owed for the old window stays due at its time.
            self.window_start = Some(now);
            self.run_in_window = 0;
        }
        if self.run_in_window < self.limits.burst {
            self.run_in_window += 1;
            return Admit::Run;
        }
        self.held += 1;
        if self.held_messages.len() < SUMMARY_NAMES {
            self.held_messages.push(message.to_owned());
        }
        if self.summary_at.is_none() {
            self.summary_at = self.window_start.map(|s| s + self.limits.window);
        }
        Admit::Held
    }

    /// When the held alerts' summary is due, if any are held.
    pub fn summary_due(&self) -> Option<Instant> {
        self.summary_at
    }

    /// The summary of the held alerts, clearing them; `None` if none are held.
    pub fn take_summary(&mut self) -> Option<Summary> {
        self.summary_at = None;
        if self.held == 0 {
            return None;
        }
        let s = Summary {
            count: std::mem::take(&mut self.held),
            messages: std::mem::take(&mut self.held_messages),
        };
        Some(s)
    }
}

/// One alert for the dispatcher, with the command configured when it was raised (a
/// config reload may change it).
#[derive(Debug, Clone)]
pub struct AlertJob {
    pub command: Vec<String>,
    pub alert: Alert,
}

/// Starts the dispatcher: it runs `alert_command` for the jobs it is sent, within
/// `limits`, and reports failures as console notices on `notices`. When the sender is
/// dropped it runs the summary still owed, if any, and ends.
pub fn spawn_dispatcher(
    limits: AlertLimits,
    timeout: Duration,
    notices: mpsc::Sender<Msg>,
) -> (mpsc::UnboundedSender<AlertJob>, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(dispatch(rx, limits, timeout, notices));
    (tx, task)
}

async fn dispatch(
    mut jobs: mpsc::UnboundedReceiver<AlertJob>,
    limits: AlertLimits,
    timeout: Duration,
    notices: mpsc::Sender<Msg>,
) {
    let mut gate = AlertGate::new(limits);
    let mut last_command: Vec<String> = Vec::new();
    let mut running = tokio::task::JoinSet::new();
    loop {
        let due = gate.summary_due();
        tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { break };
                if gate.admit(Instant::now(), &job.alert.message) == Admit::Run {
                    let args = CommandArgs::of_alert(&job.alert);
                    running.spawn(report(job.command.clone(), args, timeout, notices.clone()));
                }
                last_command = job.command;
            }
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                if let Some(s) = gate.take_summary() {
                    let args = CommandArgs::of_summary(&s);
                    running.spawn(report(last_command.clone(), args, timeout, notices.clone()));
                }
            }
            // Reap finished runs so the set does not grow.
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    if let Some(s) = gate.take_summary() {
        running.spawn(report(
            last_command,
            CommandArgs::of_summary(&s),
            timeout,
            notices,
        ));
    }
    while running.join_next().await.is_some() {}
}

async fn report(
    cmd: Vec<String>,
    args: CommandArgs,
    timeout: Duration,
    notices: mpsc::Sender<Msg>,
) {
    if let Err(problem) = run_command(&cmd, &args, timeout).await {
        let _ = notices
            .send(Msg::Notice {
                text: format!("alert_command: {problem}"),
                error: true,
            })
            .await;
    }
}

/// What one run of the command gets: the message as its last argument, the rest in
/// its environment.
#[derive(Debug, Clone)]
struct CommandArgs {
    message: String,
    id: String,
    kind: String,
    endpoint: String,
    count: usize,
}

impl CommandArgs {
    fn of_alert(a: &Alert) -> CommandArgs {
        let kind = serde_json::to_value(a.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        CommandArgs {
            message: a.message.clone(),
            id: a.id.clone(),
            kind,
            endpoint: a.endpoint.clone(),
            count: 1,
        }
    }

    fn of_summary(s: &Summary) -> CommandArgs {
        CommandArgs {
            message: s.message(),
            id: "summary".into(),
            kind: "summary".into(),
            endpoint: String::new(),
            count: s.count,
        }
    }
}

/// Runs `cmd` with the alert's message as its last argument; `Err` says what went wrong.
pub async fn run_alert_command(cmd: &[String], a: &Alert, timeout: Duration) -> Result<(), String> {
    run_command(cmd, &CommandArgs::of_alert(a), timeout).await
}

/// No shell (the message cannot inject anything), no terminal (it must not draw over
/// the console), a timeout. The message is made safe and capped once more here: it is
/// built from node text, and an argument over the system's limit fails the start.
async fn run_command(cmd: &[String], args: &CommandArgs, timeout: Duration) -> Result<(), String> {
    let (program, rest) = cmd.split_first().ok_or("no program")?;
    let mut child = tokio::process::Command::new(program)
        .args(rest)
        .arg(text::sanitize(&args.message, MAX_ALERT_ARG))
        .env("BTSOPS_ALERT_ID", text::sanitize(&args.id, MAX_ALERT_ARG))
        .env("BTSOPS_ALERT_KIND", &args.kind)
        .env(
            "BTSOPS_ALERT_ENDPOINT",
            text::sanitize(&args.endpoint, MAX_ALERT_ARG),
        )
        .env("BTSOPS_ALERT_COUNT", args.count.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{program} exited with {status}")),
        Ok(Err(e)) => Err(format!("{program}: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "{program} still running after {}s, killed",
                timeout.as_secs()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AlertLimits = AlertLimits {
        burst: 3,
        window: Duration::from_secs(30),
    };

    #[test]
    fn a_burst_runs_then_the_rest_wait_for_one_summary() {
        let t0 = Instant::now();
        let mut g = AlertGate::new(LIMITS);
        let runs = (0..300)
            .filter(|i| g.admit(t0, &format!("n{i} is down")) == Admit::Run)
            .count();
        assert_eq!(runs, 3);
        assert_eq!(g.summary_due(), Some(t0 + LIMITS.window));
        let s = g.take_summary().expect("a summary");
        assert_eq!(s.count, 297);
        assert_eq!(s.messages.len(), SUMMARY_NAMES);
        assert!(
            s.message()
                .starts_with("297 more alerts (rate-limited): n3 is down; n4")
        );
        assert!(s.message().ends_with("; …"));
        assert_eq!(g.take_summary(), None);
        assert_eq!(g.summary_due(), None);
    }

    #[test]
    fn a_new_window_runs_again() {
        let t0 = Instant::now();
        let mut g = AlertGate::new(LIMITS);
        for _ in 0..4 {
            g.admit(t0, "x");
        }
        let later = t0 + LIMITS.window + Duration::from_secs(1);
        // The summary of the old window stays owed while the new one starts.
        assert_eq!(g.admit(later, "y"), Admit::Run);
        assert_eq!(g.summary_due(), Some(t0 + LIMITS.window));
        assert_eq!(g.take_summary().map(|s| s.count), Some(1));
    }
}
