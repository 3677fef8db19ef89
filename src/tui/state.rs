//! The console's state: `App`, the panes, the overlays stacked above them. Queries
//! the views and `update` share live here; nothing here reads the clock or does I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use super::columns::Column;
use super::commands::Scope;
use super::faucet_pane::FaucetPane;
use super::keymap::Keymap;
use super::lb_pane::LbPane;
use super::marks::AlertMarks;
use super::ops::Arming;
use super::overlay::Overlay;
use super::stress_pane::StressPane;
use crate::config::Config;
use crate::monitor::alerts::display_order;
use crate::monitor::{Alert, EndpointSnapshot, Event, FleetSnapshot, LastError};
use crate::theme::Theme;

/// Events kept for the events pane; older ones fall off.
pub const EVENTS_KEPT: usize = 2000;
/// Samples of head lag kept per endpoint for the detail chart.
pub const LAG_HISTORY: usize = 240;
/// Errors kept per endpoint for the detail pane.
pub const ERRORS_KEPT: usize = 10;
/// How long a snooze lasts.
pub const SNOOZE_S: f64 = 3600.0;
/// Replay speed bounds.
pub const MIN_SPEED: f64 = 0.25;
pub const MAX_SPEED: f64 = 64.0;
/// How far ←/→ move a replay, recording seconds.
pub const SEEK_S: f64 = 10.0;
/// How long a notice stays in the status bar.
const NOTICE_S: f64 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Overview,
    Detail,
    Events,
    Alerts,
    Lb,
    Faucet,
    Stress,
}

impl Pane {
    pub fn scope(self) -> Scope {
        match self {
            Pane::Overview => Scope::Overview,
            Pane::Detail => Scope::Detail,
            Pane::Events => Scope::Events,
            Pane::Alerts => Scope::Alerts,
            Pane::Lb => Scope::Lb,
            Pane::Faucet => Scope::Faucet,
            Pane::Stress => Scope::Stress,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Overview => "overview",
            Pane::Detail => "detail",
            Pane::Events => "events",
            Pane::Alerts => "alerts",
            Pane::Lb => "load balancers",
            Pane::Faucet => "faucet",
            Pane::Stress => "stress",
        }
    }
}

/// Where a replay stands, as the operator set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub paused: bool,
    /// Recording seconds per wall-clock second.
    pub speed: f64,
    pub ended: bool,
    /// Unix times of the recording's first and last record, for the position shown in
    /// the status bar.
    pub span: (f64, f64),
}

/// The line at the bottom that takes typed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    None,
    Filter(String),
    Command(String),
    /// A value for the stress pane's selected plan field.
    Edit(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    pub until: f64,
}

/// One head-lag sample for the detail chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagSample {
    pub time: f64,
    pub blocks: Option<u64>,
    pub seconds: Option<f64>,
}

/// The node detail pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailPane {
    /// The endpoint it shows.
    pub node: Option<String>,
    /// Lines scrolled down in its lower panes (its events, and its last errors or raw
    /// reply), which an 80x24 terminal cannot show whole.
    pub scroll: u16,
    /// The raw last reply shows instead of the last errors.
    pub show_raw: bool,
    /// A raw reply was asked for and has not come yet.
    pub fetching: bool,
}

/// The overview pane's state: which row is selected, the filter, the sort and the
/// pinned rows.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewPane {
    /// The selected row, by endpoint name so it survives re-sorting.
    pub selected: Option<String>,
    pub filter: String,
    pub sort: Column,
    pub sort_reversed: bool,
    pub pinned: BTreeSet<String>,
}

impl Default for OverviewPane {
    fn default() -> OverviewPane {
        OverviewPane {
            selected: None,
            filter: String::new(),
            sort: Column::Status,
            sort_reversed: false,
            pinned: BTreeSet::new(),
        }
    }
}

/// The events pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsPane {
    /// Rows scrolled back from the newest event.
    pub scroll: usize,
}

/// The alerts pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertsPane {
    /// The selected alert, by id.
    pub selected: Option<String>,
    /// It lists the snoozed alerts instead of the others.
    pub snoozed_view: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    /// Unix seconds, whole; the only clock views may use.
    pub now: f64,
    pub theme: Theme,
    pub keymap: Keymap,
    /// The config file, for `:reload`; `None` when there is none (demo, replay).
    pub config_path: Option<PathBuf>,
    pub fleet: FleetSnapshot,
    pub events: VecDeque<Event>,
    pub lag_history: HashMap<String, VecDeque<LagSample>>,
    /// The last `ERRORS_KEPT` distinct errors of each endpoint, oldest first: the
    /// engine publishes only the latest, the detail pane shows a few.
    pub errors: HashMap<String, VecDeque<LastError>>,
    /// When each endpoint first showed in a snapshot: how long a first probe has been
    /// connecting.
    pub first_seen: HashMap<String, f64>,
    pub pane: Pane,
    pub(super) back: Vec<Pane>,
    /// `None`: every network.
    pub tab: Option<String>,
    /// The overview pane.
    pub overview: OverviewPane,
    /// The node detail pane.
    pub detail: DetailPane,
    pub input: Input,
    /// What Tab on the command line matched, when more than one word did.
    pub completions: Vec<String>,
    pub events_pane: EventsPane,
    pub alerts_pane: AlertsPane,
    /// Alerts acknowledged here, by id, with the `raised` time of the episode that was
    /// acknowledged: an ack covers one incident, never the next one on the same node.
    /// Shown at once (the engine confirms on its next snapshot) and kept for replays,
    /// where no engine takes the ack.
    pub acked: HashMap<String, f64>,
    /// Alerts snoozed here, by id, with when the snooze ends.
    pub snoozed: HashMap<String, f64>,
    /// Engine snoozes unsnoozed here, by id, with the engine's `snoozed_until` they
    /// override: shown at once (the engine confirms on its next snapshot), and in
    /// replays, whose recorded snoozes no engine can lift.
    pub unsnoozed: HashMap<String, f64>,
    /// Where acknowledgements and snoozes are kept across restarts; `None` keeps them
    /// for this run only (demo, replay, tests).
    pub state_file: Option<PathBuf>,
    /// Acknowledgements saved by the previous run, waiting for their alert: see
    /// [`App::restore_marks`].
    pub(super) restored_acks: BTreeMap<String, f64>,
    /// Time of the first snapshot this console saw.
    pub(super) watching_since: Option<f64>,
    /// The marks last saved (or loaded), to save only changes.
    pub(super) saved_marks: AlertMarks,
    /// Help and confirmations above the panes, the top one last.
    pub overlays: Vec<Overlay>,
    /// The load-balancer pane.
    pub lb: LbPane,
    /// The faucet pane.
    pub faucet: FaucetPane,
    /// The stress-test pane.
    pub stress: StressPane,
    /// `[[action]]`s, their targets and the output of the one running.
    pub node_actions: super::node_actions::NodeActions,
    /// `--read-only`: mutating actions refused whatever the config says.
    pub read_only: bool,
    /// `ui.read_only` of the config in use (a reload may change it).
    pub ui_read_only: bool,
    /// Networks that refuse actions until armed.
    pub protected: BTreeSet<String>,
    pub arming: Arming,
    /// The title of the action the ops task is running.
    pub running: Option<String>,
    /// The raw last reply of each endpoint asked for, with when it came (`now`).
    pub raw: HashMap<String, String>,
    pub raw_fetched: HashMap<String, f64>,
    pub notice: Option<Notice>,
    pub term_rate: u64,
    /// Rows a page moves; set from the terminal height.
    pub page: usize,
    pub size: (u16, u16),
    pub quit: bool,
    /// Set while a recording plays instead of a live fleet.
    pub replay: Option<Replay>,
    /// Ring the terminal bell on new alerts (`ui.bell`).
    pub bell: bool,
    /// Alerts already announced, by id, with the `raised` time of the episode: each
    /// episode rings once, and the engine keeps an alert that clears and returns
    /// quickly in the same episode.
    pub(super) announced: HashMap<String, f64>,
    /// Alerts active when the config was reloaded. The engine keeps those of unchanged
    /// endpoints; one whose settings changed is probed afresh and may raise its alert
    /// anew, but for the operator that is the same incident, so it neither rings nor
    /// runs `alert_command` again when it shows up within the re-fire grace.
    pub(super) carried_over: std::collections::HashSet<String>,
}

impl App {
    pub fn new(theme: Theme, keymap: Keymap) -> App {
        App {
            now: 0.0,
            theme,
            keymap,
            config_path: None,
            fleet: FleetSnapshot::empty(),
            events: VecDeque::new(),
            lag_history: HashMap::new(),
            errors: HashMap::new(),
            first_seen: HashMap::new(),
            pane: Pane::Overview,
            back: Vec::new(),
            tab: None,
            overview: OverviewPane::default(),
            detail: DetailPane::default(),
            input: Input::None,
            completions: Vec::new(),
            events_pane: EventsPane::default(),
            alerts_pane: AlertsPane::default(),
            acked: HashMap::new(),
            snoozed: HashMap::new(),
            unsnoozed: HashMap::new(),
            state_file: None,
            restored_acks: BTreeMap::new(),
            watching_since: None,
            saved_marks: AlertMarks::default(),
            overlays: Vec::new(),
            lb: LbPane::default(),
            faucet: FaucetPane::default(),
            stress: StressPane::default(),
            node_actions: Default::default(),
            read_only: false,
            ui_read_only: false,
            protected: BTreeSet::new(),
            arming: Arming::default(),
            running: None,
            raw: HashMap::new(),
            raw_fetched: HashMap::new(),
            notice: None,
            term_rate: 0,
            page: 10,
            size: (80, 24),
            quit: false,
            replay: None,
            bell: false,
            announced: HashMap::new(),
            carried_over: std::collections::HashSet::new(),
        }
    }

    /// Takes what the console needs from the config: safety settings and the LBs.
    pub fn configure(&mut self, config: &Config) {
        self.bell = config.ui.bell;
        self.ui_read_only = config.ui.read_only;
        self.protected = config
            .networks
            .iter()
            .filter(|n| n.protected)
            .map(|n| n.name.clone())
            .collect();
        self.lb.configure(config);
        self.faucet.configure(config);
        self.stress.configure(config);
        self.node_actions.configure(config);
    }

    /// Mutating actions are refused (`--read-only` or `ui.read_only`).
    pub fn is_read_only(&self) -> bool {
        self.read_only || self.ui_read_only
    }

    /// The help overlay is open (anywhere in the stack).
    pub fn help_open(&self) -> bool {
        self.overlays
            .iter()
            .any(|o| matches!(o, Overlay::Help { .. }))
    }

    /// The node the operator points at: the detail's node, the overview's selected row,
    /// or the node of the LB pane's selected server.
    pub fn focused_node(&self) -> Option<&EndpointSnapshot> {
        match self.pane {
            Pane::Detail => self.detail_endpoint(),
            Pane::Lb => {
                let r = self.lb.selected_row()?;
                super::lb_pane::node_of(&self.fleet, &r.lb.conf.network, r.server)
            }
            _ => {
                let rows = self.rows();
                rows.get(self.selected_index(&rows)).copied()
            }
        }
    }

    /// Network names for the tabs, in the engine's (config) order.
    pub fn networks(&self) -> Vec<&str> {
        self.fleet
            .networks
            .iter()
            .map(|n| n.name.as_str())
            .collect()
    }

    /// The overview's rows: current tab and filter, pinned first, then sorted worst
    /// first (ties by name, so the order is stable).
    pub fn rows(&self) -> Vec<&EndpointSnapshot> {
        let needle = self.overview.filter.to_lowercase();
        let mut rows: Vec<&EndpointSnapshot> = self
            .fleet
            .endpoints
            .iter()
            .filter(|e| self.tab.as_ref().is_none_or(|t| *t == e.network))
            .filter(|e| needle.is_empty() || matches_filter(e, &needle))
            .collect();
        rows.sort_by(|a, b| {
            let pin = |e: &EndpointSnapshot| !self.overview.pinned.contains(&e.name);
            let mut o = self.overview.sort.compare(a, b);
            if self.overview.sort_reversed {
                o = o.reverse();
            }
            pin(a)
                .cmp(&pin(b))
                .then(o)
                .then_with(|| Column::Lag.compare(a, b))
                .then_with(|| a.network.cmp(&b.network))
                .then_with(|| a.name.cmp(&b.name))
        });
        rows
    }

    pub fn selected_index(&self, rows: &[&EndpointSnapshot]) -> usize {
        self.overview
            .selected
            .as_ref()
            .and_then(|n| rows.iter().position(|e| &e.name == n))
            .unwrap_or(0)
    }

    /// Alerts shown in the alerts list: not snoozed (by the engine or here); active
    /// first, then the worst, then the newest.
    pub fn alerts(&self) -> Vec<&Alert> {
        self.sorted_alerts(false)
    }

    /// Snoozed alerts, in the same order.
    pub fn snoozed_alerts(&self) -> Vec<&Alert> {
        self.sorted_alerts(true)
    }

    /// The list the alerts pane shows now: the snoozed ones or the others.
    pub fn alert_list(&self) -> Vec<&Alert> {
        self.sorted_alerts(self.alerts_pane.snoozed_view)
    }

    /// When the alert's snooze ends, if it is snoozed now (by the engine or here).
    pub fn snoozed_until(&self, a: &Alert) -> Option<f64> {
        a.snoozed_until
            .filter(|u| self.unsnoozed.get(&a.id) != Some(u))
            .into_iter()
            .chain(self.snoozed.get(&a.id).copied())
            .reduce(f64::max)
            .filter(|until| *until > self.now)
    }

    /// The alert's node is in MAINT on a load balancer: an operator took it out on
    /// purpose, so it raises nothing until it is put back.
    pub fn held_for_maint(&self, a: &Alert) -> bool {
        self.fleet
            .endpoint(&a.endpoint)
            .is_some_and(|e| self.lb.in_maint(&self.fleet, e))
    }

    fn sorted_alerts(&self, snoozed: bool) -> Vec<&Alert> {
        // The engine sends them in this order; a replayed older recording may not.
        let mut v: Vec<&Alert> = self
            .fleet
            .alerts
            .iter()
            .filter(|a| !self.held_for_maint(a))
            .filter(|a| self.snoozed_until(a).is_some() == snoozed)
            .collect();
        v.sort_by(|a, b| display_order(a, b));
        v
    }

    /// The marks to keep across a restart: acknowledged alerts still active (and
    /// restored ones still waiting for theirs), snoozes not yet over.
    pub fn marks(&self) -> AlertMarks {
        let mut acked = self.restored_acks.clone();
        for a in self.fleet.alerts.iter().filter(|a| a.active) {
            if self.is_acked(a) {
                acked.insert(a.id.clone(), a.raised);
            }
        }
        let snoozed = self
            .snoozed
            .iter()
            .filter(|(_, until)| **until > self.now)
            .map(|(id, until)| (id.clone(), *until))
            .collect();
        AlertMarks { acked, snoozed }
    }

    /// Takes the marks a previous run saved. Snoozes apply at once. An acknowledgement
    /// covers one episode; across a restart the console cannot see whether the
    /// condition held meanwhile, so it carries over to an alert that is active as this
    /// console starts (raised within the re-fire grace time of its first snapshot),
    /// and is dropped otherwise: a node that comes back and fails again later is news.
    pub fn restore_marks(&mut self, marks: AlertMarks) {
        self.snoozed.extend(marks.snoozed.clone());
        self.restored_acks = marks.acked.clone();
        self.saved_marks = marks;
    }

    pub fn is_acked(&self, a: &Alert) -> bool {
        a.acked || self.acked.get(&a.id) == Some(&a.raised)
    }

    pub fn snoozed_count(&self) -> usize {
        self.fleet
            .alerts
            .iter()
            .filter(|a| self.snoozed_until(a).is_some())
            .count()
    }

    /// Events of one endpoint, or all, newest first.
    pub fn events_of<'a>(&'a self, endpoint: Option<&'a str>) -> impl Iterator<Item = &'a Event> {
        self.events
            .iter()
            .rev()
            .filter(move |e| endpoint.is_none_or(|n| e.endpoint == n))
    }

    pub fn detail_endpoint(&self) -> Option<&EndpointSnapshot> {
        self.detail
            .node
            .as_deref()
            .and_then(|n| self.fleet.endpoint(n))
    }

    pub(super) fn notify(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        // An error too long for the status bar (a failed reload's file:line: key:
        // message) is also drawn in full in an overlay that stays until the next key:
        // read at 80 columns, it must not be cut short nor vanish mid-read.
        if error && text.chars().count() + 1 > usize::from(self.size.0) {
            if matches!(self.overlays.last(), Some(Overlay::Error(_))) {
                self.overlays.pop();
            }
            self.overlays.push(Overlay::Error(text.clone()));
        }
        let until = self.now + NOTICE_S;
        self.notice = Some(Notice { text, error, until });
    }

    /// Forgets what a replay showed, for a seek back: the records up to the new
    /// position are fed again. What the operator set (pane, selection, sort, filter,
    /// the replay's speed) stays.
    pub(super) fn rewind(&mut self) {
        self.now = 0.0;
        self.fleet = FleetSnapshot::empty();
        self.events.clear();
        self.events_pane.scroll = 0;
        self.lag_history.clear();
        self.errors.clear();
        self.first_seen.clear();
        self.raw.clear();
        self.raw_fetched.clear();
        self.announced.clear();
        // Its end is a time later in the recording: it would stay that long.
        self.notice = None;
        if let Some(r) = &mut self.replay {
            r.ended = false;
        }
    }

    pub(super) fn go(&mut self, pane: Pane) {
        if self.pane != pane {
            self.back.push(self.pane);
            self.pane = pane;
        }
    }
}

impl App {
    /// The network's majority version when `e`, an API node, runs another one (a
    /// rollout under way, or a node left behind).
    pub fn off_majority(&self, e: &EndpointSnapshot) -> Option<&str> {
        if e.kind != crate::monitor::EndpointKind::Node || e.version.label() == "?" {
            return None;
        }
        let net = self.fleet.networks.iter().find(|n| n.name == e.network)?;
        net.majority_version().filter(|m| *m != e.version.label())
    }
}

fn matches_filter(e: &EndpointSnapshot, needle: &str) -> bool {
    let error = e
        .last_error
        .as_ref()
        .map(|x| x.message.as_str())
        .unwrap_or("");
    [
        e.name.as_str(),
        e.network.as_str(),
        e.url.as_str(),
        e.status.as_str(),
        e.region.as_deref().unwrap_or(""),
        error,
    ]
    .iter()
    .any(|h| h.to_lowercase().contains(needle))
}
