//! The one command registry. Key handling, the `?` help overlay and the `:` command
//! line all read this table, so the documentation cannot drift from the keys.

/// Where a command applies. `Global` commands work in every pane; the others only in
/// their pane, where they may reuse a key another pane uses differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Overview,
    Detail,
    Events,
    Alerts,
    /// The load-balancer pane.
    Lb,
    /// The faucet pane.
    Faucet,
    /// The stress-test pane.
    Stress,
    /// Active in every pane while a recording plays.
    Replay,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Overview => "overview",
            Scope::Detail => "node detail",
            Scope::Events => "events",
            Scope::Alerts => "alerts",
            Scope::Lb => "load balancers",
            Scope::Faucet => "faucet",
            Scope::Stress => "stress tests",
            Scope::Replay => "replay",
        }
    }

    /// Two scopes conflict when one key in both would be ambiguous somewhere.
    /// Replay keys work in every pane, so they clash with every pane's. Against global
    /// keys they are not ambiguous: while a recording plays they come first (`g` goes
    /// to the recording's start, Home still to the first row), and live they are off.
    pub fn overlaps(self, other: Scope) -> bool {
        let everywhere = |s: Scope| matches!(s, Scope::Global | Scope::Replay);
        if matches!(
            (self, other),
            (Scope::Replay, Scope::Global) | (Scope::Global, Scope::Replay)
        ) {
            return false;
        }
        self == other || everywhere(self) || everywhere(other)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandId {
    Quit,
    Help,
    CommandLine,
    Redraw,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextTab,
    PrevTab,
    Overview,
    Events,
    Alerts,
    Back,
    Filter,
    Sort,
    SortReverse,
    Pin,
    Open,
    Raw,
    Copy,
    Ack,
    Snooze,
    Snoozed,
    Unsnooze,
    Reload,
    Network,
    Node,
    Pause,
    Faster,
    Slower,
    Step,
    LbPane,
    Drain,
    Maint,
    Ready,
    Weight,
    Cut,
    Undo,
    TakeOut,
    PutBack,
    Arm,
    SeekBack,
    SeekForward,
    ReplayStart,
    ReplayEnd,
    FaucetPane,
    Register,
    FaucetRefresh,
    StressPane,
    StressEdit,
    StressStart,
    StressStop,
}

/// One row of the registry.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub id: CommandId,
    /// Its name on the `:` command line and in `[keys]`.
    pub name: &'static str,
    /// Other names accepted on the command line.
    pub aliases: &'static [&'static str],
    /// Argument placeholder for the command line, e.g. `NAME`.
    pub arg: Option<&'static str>,
    pub keys: &'static [&'static str],
    pub scope: Scope,
    pub description: &'static str,
    /// Changes the fleet (load balancer, faucet, stress). Such commands may never sit
    /// on a single Ctrl key, where a slip of the finger would fire them.
    pub mutates: bool,
}

/// A command that changes the fleet: it asks for confirmation, and passes the gate.
const fn mutating(
    id: CommandId,
    name: &'static str,
    keys: &'static [&'static str],
    scope: Scope,
    description: &'static str,
) -> CommandSpec {
    CommandSpec {
        mutates: true,
        ..cmd(id, name, keys, scope, description)
    }
}

const fn cmd(
    id: CommandId,
    name: &'static str,
    keys: &'static [&'static str],
    scope: Scope,
    description: &'static str,
) -> CommandSpec {
    CommandSpec {
        id,
        name,
        aliases: &[],
        arg: None,
        keys,
        scope,
        description,
        mutates: false,
    }
}

use CommandId as C;
use Scope as S;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        aliases: &["q", "exit"],
        ..cmd(C::Quit, "quit", &["q", "C-c"], S::Global, "Quit btsops")
    },
    cmd(C::Help, "help", &["?"], S::Global, "Show or hide this help"),
    cmd(
        C::CommandLine,
        "command",
        &[":"],
        S::Global,
        "Command line: a command, or a network, node or pane name to jump to",
    ),
    cmd(
        C::Redraw,
        "redraw",
        &["C-l"],
        S::Global,
        "Clear and redraw the whole screen",
    ),
    cmd(C::Up, "up", &["k", "Up"], S::Global, "Move up"),
    cmd(C::Down, "down", &["j", "Down"], S::Global, "Move down"),
    cmd(C::PageUp, "page-up", &["PageUp"], S::Global, "Page up"),
    cmd(
        C::PageDown,
        "page-down",
        &["PageDown"],
        S::Global,
        "Page down",
    ),
    cmd(
        C::Top,
        "top",
        &["g", "Home"],
        S::Global,
        "Go to the first row",
    ),
    cmd(
        C::Bottom,
        "bottom",
        &["G", "End"],
        S::Global,
        "Go to the last row",
    ),
    cmd(
        C::NextTab,
        "next-tab",
        &["Tab", "]"],
        S::Global,
        "Next network tab",
    ),
    cmd(
        C::PrevTab,
        "prev-tab",
        &["BackTab", "["],
        S::Global,
        "Previous network tab",
    ),
    cmd(
        C::Overview,
        "overview",
        &["1"],
        S::Global,
        "Overview: every endpoint, worst first",
    ),
    cmd(C::Events, "events", &["2"], S::Global, "Events pane"),
    cmd(C::Alerts, "alerts", &["3"], S::Global, "Alerts list"),
    CommandSpec {
        aliases: &["lbs"],
        ..cmd(
            C::LbPane,
            "lb",
            &["4"],
            S::Global,
            "Load balancers: backends, servers, sessions",
        )
    },
    CommandSpec {
        arg: Some("[ARGS]"),
        ..cmd(
            C::StressPane,
            "stress",
            &["6"],
            S::Global,
            "Stress tests: plan, live load, node lag (:stress plan FILE, :stress start, :stress stop)",
        )
    },
    cmd(
        C::FaucetPane,
        "faucet",
        &["5"],
        S::Global,
        "Faucet: registrations, pace, rewards, runway (from the chain)",
    ),
    cmd(
        C::Back,
        "back",
        &["Esc", "Backspace"],
        S::Global,
        "Back: close help, clear the filter, hide the raw reply, or leave a pane",
    ),
    cmd(
        C::Filter,
        "filter",
        &["/"],
        S::Overview,
        "Filter rows by name, network, status or error",
    ),
    CommandSpec {
        arg: Some("[COLUMN]"),
        ..cmd(
            C::Sort,
            "sort",
            &["s"],
            S::Overview,
            "Sort by the next column (or by COLUMN)",
        )
    },
    cmd(
        C::SortReverse,
        "sort-reverse",
        &["S"],
        S::Overview,
        "Reverse the sort order",
    ),
    cmd(
        C::Pin,
        "pin",
        &["p"],
        S::Overview,
        "Pin or unpin the row: pinned rows stay on top",
    ),
    cmd(C::Open, "open", &["Enter"], S::Overview, "Open node detail"),
    cmd(
        C::Raw,
        "raw",
        &["r"],
        S::Detail,
        "Show the node's raw RPC reply, or fetch it again (Esc hides it)",
    ),
    cmd(
        C::Copy,
        "copy",
        &["y"],
        S::Detail,
        "Copy the last error (or raw reply when shown) to the clipboard",
    ),
    cmd(
        C::Ack,
        "ack",
        &["a"],
        S::Alerts,
        "Acknowledge the selected alert",
    ),
    cmd(
        C::Snooze,
        "snooze",
        &["z"],
        S::Alerts,
        "Snooze the selected alert for an hour",
    ),
    cmd(
        C::Snoozed,
        "snoozed",
        &["Z"],
        S::Alerts,
        "List the snoozed alerts (again: back to the others)",
    ),
    cmd(
        C::Unsnooze,
        "unsnooze",
        &["u"],
        S::Alerts,
        "Show the selected snoozed alert again",
    ),
    cmd(
        C::Reload,
        "reload",
        &[],
        S::Global,
        "Re-read the config (on error the old one stays)",
    ),
    CommandSpec {
        aliases: &["net"],
        arg: Some("NAME"),
        ..cmd(
            C::Network,
            "network",
            &[],
            S::Global,
            "Show one network's tab (all: every network)",
        )
    },
    CommandSpec {
        arg: Some("NAME"),
        ..cmd(C::Node, "node", &[], S::Global, "Open a node's detail")
    },
    cmd(
        C::Pause,
        "pause",
        &["Space"],
        S::Replay,
        "Pause or resume the replay",
    ),
    cmd(
        C::Faster,
        "faster",
        &["+"],
        S::Replay,
        "Replay twice as fast",
    ),
    cmd(
        C::Slower,
        "slower",
        &["-"],
        S::Replay,
        "Replay half as fast",
    ),
    cmd(
        C::Step,
        "step",
        &["."],
        S::Replay,
        "Paused: play up to the next snapshot",
    ),
    cmd(
        C::SeekBack,
        "seek-back",
        &["Left"],
        S::Replay,
        "Back 10 seconds in the recording",
    ),
    cmd(
        C::SeekForward,
        "seek-forward",
        &["Right"],
        S::Replay,
        "Forward 10 seconds in the recording",
    ),
    cmd(
        C::ReplayStart,
        "seek-start",
        &["g"],
        S::Replay,
        "To the start of the recording (Home: the first row)",
    ),
    cmd(
        C::ReplayEnd,
        "seek-end",
        &["G"],
        S::Replay,
        "To the end of the recording (End: the last row)",
    ),
    mutating(
        C::Drain,
        "drain",
        &["d"],
        S::Lb,
        "Drain the selected server: no new connections, open ones stay",
    ),
    mutating(
        C::Maint,
        "maint",
        &["m"],
        S::Lb,
        "Put the selected server in MAINT: out of rotation, no alerts from its node",
    ),
    mutating(
        C::Ready,
        "ready",
        &["r"],
        S::Lb,
        "Put the selected server back in rotation",
    ),
    CommandSpec {
        arg: Some("N"),
        ..mutating(
            C::Weight,
            "weight",
            &["w"],
            S::Lb,
            "Set the selected server's weight (0: no new traffic)",
        )
    },
    mutating(
        C::Cut,
        "cut",
        &["X"],
        S::Lb,
        "Cut every open session of the selected server",
    ),
    mutating(
        C::Undo,
        "undo",
        &["u"],
        S::Lb,
        "Undo the last LB action (refused if the server changed since)",
    ),
    mutating(
        C::TakeOut,
        "take-out",
        &["o"],
        S::Global,
        "Take the selected node out of every LB that serves it (MAINT)",
    ),
    mutating(
        C::PutBack,
        "put-back",
        &["i"],
        S::Global,
        "Put the selected node back in every LB that serves it",
    ),
    mutating(
        C::Register,
        "register",
        &["n"],
        S::Faucet,
        "Register an account through the faucet (a form, then a confirmation)",
    ),
    cmd(
        C::FaucetRefresh,
        "refresh",
        &["r"],
        S::Faucet,
        "Read the faucet's numbers from the chain now",
    ),
    cmd(
        C::StressEdit,
        "stress-edit",
        &["Enter", "e"],
        S::Stress,
        "Edit the selected plan field (Enter keeps it, Esc cancels; kind toggles)",
    ),
    mutating(
        C::StressStart,
        "stress-start",
        &["s"],
        S::Stress,
        "Start the plan on the [stress] testnet (asks to confirm)",
    ),
    cmd(
        C::StressStop,
        "stress-stop",
        &["X"],
        S::Stress,
        "Stop the stress run at once (no confirmation; the report is still written)",
    ),
    CommandSpec {
        arg: Some("[NETWORK]"),
        ..cmd(
            C::Arm,
            "arm",
            &["A"],
            S::Global,
            "Arm a protected network for 5 minutes (asks to confirm)",
        )
    },
];

pub fn spec(id: CommandId) -> &'static CommandSpec {
    // Every id has a row: `every_id_has_one_row` checks it.
    COMMANDS.iter().find(|c| c.id == id).unwrap_or(&COMMANDS[0])
}

/// A command by its `:` name or alias.
pub fn by_name(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_changing_commands_are_marked_and_on_no_ctrl_key() {
        use CommandId as C;
        for id in [
            C::Drain,
            C::Maint,
            C::Ready,
            C::Weight,
            C::Cut,
            C::Undo,
            C::TakeOut,
            C::PutBack,
            C::Register,
            C::StressStart,
        ] {
            assert!(spec(id).mutates, "{} changes the fleet", spec(id).name);
        }
        for c in COMMANDS.iter().filter(|c| c.mutates) {
            assert!(
                c.keys.iter().all(|k| !k.starts_with("C-")),
                "{} on a Ctrl key",
                c.name
            );
        }
    }

    #[test]
    fn every_id_has_one_row_and_names_are_unique() {
        let mut names = std::collections::HashSet::new();
        for c in COMMANDS {
            assert_eq!(spec(c.id).name, c.name);
            assert!(names.insert(c.name), "duplicate {}", c.name);
            for a in c.aliases {
                assert!(names.insert(a), "duplicate {a}");
            }
        }
    }
}
