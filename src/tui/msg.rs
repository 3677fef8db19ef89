//! The console's messages in and effects out: every input (key, engine data, clock
//! tick, a finished action) is a `Msg`; every piece of I/O `update` asks for is an
//! `Effect`. Plain data, so tasks, `update` and tests share it without importing logic.

use super::keymap::{Key, Keymap};
use super::marks::AlertMarks;
use crate::config::Config;
use crate::monitor::{Alert, Event, FleetSnapshot};
use crate::theme::Theme;

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    /// Pasted text (bracketed paste): typed into the input line, never run as keys.
    Paste(String),
    /// Terminal size in cells.
    Resize(u16, u16),
    /// The wall clock, unix seconds. The loop sends whole seconds so clock-driven
    /// fields change at most once a second.
    Tick(f64),
    Snapshot(Box<FleetSnapshot>),
    Event(Event),
    /// The raw last RPC reply of an endpoint, asked for with `Effect::FetchRaw`.
    RawReply {
        endpoint: String,
        text: String,
    },
    /// Result of `Effect::Reload`.
    Reloaded(Result<Box<Reloaded>, String>),
    /// The engine took the reloaded config (`Effect::ApplyConfig`): what it kept.
    Reconfigured(Box<crate::monitor::Reconfigured>),
    /// Bytes per second written to the terminal, shown in the status bar.
    TermRate(u64),
    /// Something the integrator wants the operator to read (e.g. a failed restart).
    Notice {
        text: String,
        error: bool,
    },
    /// The replayed recording has no more records.
    ReplayEnded,
    /// The replay goes back in time: forget what the recording showed so far (its
    /// records up to the new position follow).
    ReplayRewound,
    /// One poll of a load balancer (`ops_task::spawn_pollers`).
    Lb {
        name: String,
        time: f64,
        result: Result<Box<crate::lb::Snapshot>, String>,
    },
    /// A confirmed action ran (`Effect::Action`); its audit lines are on disk.
    ActionDone(Box<ActionReport>),
    /// The faucet pane's reader (`faucet_task`).
    Faucet(super::faucet_pane::FaucetMsg),
    /// A stress plan file read (`Effect::LoadStressPlan`, or `stress.plan` at start).
    StressPlan {
        path: String,
        result: Result<crate::stress::Plan, String>,
    },
    /// News of the stress run the console started.
    Stress(StressNews),
    /// A line of output of the node action running (`Op::NodeAction`).
    ActionOutput {
        stderr: bool,
        text: String,
    },
}

/// What the stress task reports about the run it drives.
#[derive(Debug, Clone, PartialEq)]
pub enum StressNews {
    /// The engine's phases and per-second totals.
    Progress(crate::stress::Progress),
    /// The run ended (or could not start); its report and audit line are on disk.
    Done(Box<StressDone>),
}

/// How a stress run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StressDone {
    /// `None`: it completed; else why it stopped early (a stop, a cap, an error).
    pub aborted: Option<String>,
    pub elapsed_s: f64,
    /// `None` when it could not start (nothing was sent).
    pub totals: Option<crate::stress::report::Totals>,
    /// The JSON and Markdown reports, or why they were not written.
    pub report: Result<(std::path::PathBuf, std::path::PathBuf), String>,
    /// Where the end's audit line went, or why it could not be written.
    pub audit: Result<std::path::PathBuf, String>,
}

/// What the ops task did with a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionReport {
    pub title: String,
    pub network: String,
    /// The plan undid an earlier one.
    pub undo: bool,
    /// One line per step: verified or not, and what the state showed.
    pub lines: Vec<(bool, String)>,
    /// The verified steps, per LB, for undo.
    pub done: Vec<(String, crate::lb::Done)>,
    /// Where the audit lines went, or why they could not be written.
    pub audit: Result<std::path::PathBuf, String>,
    /// A node action: its lines say how the command exited, there is nothing to verify.
    pub ran_command: bool,
    /// A faucet registration's reply.
    pub faucet: Option<FaucetOutcome>,
}

/// What the faucet answered to a registration.
#[derive(Debug, Clone, PartialEq)]
pub struct FaucetOutcome {
    pub name: String,
    pub class: String,
    pub registered: bool,
    pub status: Option<u16>,
    /// Verbatim.
    pub body: String,
}

/// Orders to the replay driver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayCmd {
    Pause(bool),
    Speed(f64),
    Step,
    /// Go to this recording time (unix seconds): back or forward.
    Seek(f64),
}

/// What a successful `:reload` produced.
#[derive(Debug, Clone)]
pub struct Reloaded {
    pub config: Config,
    pub theme: Theme,
    pub keymap: Keymap,
}

/// I/O that `update` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Clear the terminal and draw everything again.
    FullRedraw,
    /// Re-read the config; answer with `Msg::Reloaded`.
    Reload,
    /// A reloaded config for the engine to apply.
    ApplyConfig(Box<Config>),
    Ack(String),
    Snooze {
        id: String,
        until: f64,
    },
    Unsnooze(String),
    /// Write the operator's alert marks to `App::state_file` (they changed).
    SaveMarks(AlertMarks),
    /// Ask the engine for an endpoint's raw last reply; answer with `Msg::RawReply`.
    FetchRaw(String),
    /// Put text on the operator's clipboard (OSC 52, works over SSH).
    Copy(String),
    Replay(ReplayCmd),
    /// An alert appeared: ring the bell if wanted, run `alert_command`.
    AlertRaised(Alert),
    /// A confirmed fleet-changing action for the ops task (a stress start: for the
    /// stress task); answered with `Msg::ActionDone` (`Msg::Stress`).
    Action(Box<super::ops::Plan>),
    /// Read the faucet's KPIs now (`r` in its pane); answered with `Msg::Faucet`.
    FaucetRefresh,
    /// Read a stress plan file; answer with `Msg::StressPlan`.
    LoadStressPlan(std::path::PathBuf),
    /// Stop the stress run at once, for this reason (no confirmation).
    StopStress(String),
}
