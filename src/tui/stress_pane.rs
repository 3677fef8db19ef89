//! The stress pane's state: what `[stress]` allows, the plan being edited (and what
//! the caps make of it), and the run under way or last finished, folded from the
//! engine's per-second progress. Pure: `update` calls in here; the stress task
//! (`stress_task`) does the I/O and answers with `Msg::Stress`.

use std::collections::VecDeque;
use std::path::PathBuf;

use super::msg::{StressDone, StressNews};
use super::ops::StressStart;
use crate::config::{self, Config};
use crate::stress::plan::{self, Capped, Effective, Kind, Plan};
use crate::stress::{Figures, Progress};

/// Seconds of per-second load kept for the charts (the longest a 200-column chart shows).
pub const SERIES_KEPT: usize = 600;

/// The plan fields the pane edits, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    Rate,
    Duration,
    Senders,
    Targets,
    Calls,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Kind,
        Field::Rate,
        Field::Duration,
        Field::Senders,
        Field::Targets,
        Field::Calls,
    ];

    /// The plan file's key.
    pub fn key(self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::Rate => "rate",
            Field::Duration => "duration_s",
            Field::Senders => "senders",
            Field::Targets => "targets",
            Field::Calls => "calls",
        }
    }

    /// The `[stress]` cap that may lower this field, as `Capped::field` names it.
    pub fn capped_by(self) -> Option<(&'static str, &'static str)> {
        match self {
            Field::Rate => Some(("rate", "max_tps")),
            Field::Duration => Some(("duration_s", "max_duration_s")),
            _ => None,
        }
    }
}

/// The `[stress]` section and what it names: the network (its chain id, whether it is
/// protected) and the names a plan may target there.
#[derive(Debug, Clone, PartialEq)]
pub struct StressConf {
    pub limits: config::Stress,
    pub chain_id: String,
    pub protected: bool,
    /// Nodes of the network: a plan's default targets.
    pub nodes: Vec<String>,
    /// Load balancers of the network with a `public_url`: targets by name only.
    pub lbs: Vec<String>,
}

impl StressConf {
    pub fn from_config(config: &Config) -> Option<StressConf> {
        let limits = config.stress.clone()?;
        let network = config.network(&limits.network);
        Some(StressConf {
            chain_id: network.map(|n| n.chain_id.clone()).unwrap_or_default(),
            protected: network.is_some_and(|n| n.protected),
            nodes: network.map_or_else(Vec::new, |n| {
                n.nodes.iter().map(|x| x.name.clone()).collect()
            }),
            lbs: config
                .lbs
                .iter()
                .filter(|l| l.network == limits.network && l.public_url.is_some())
                .map(|l| l.name.clone())
                .collect(),
            limits,
        })
    }

    pub fn network(&self) -> &str {
        &self.limits.network
    }
}

/// A plan as loaded from its file, then edited in the pane.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPlan {
    /// The file it came from (named in errors, the report and the audit line).
    pub path: String,
    pub plan: Plan,
    /// Fields changed in the pane since it was loaded.
    pub edited: bool,
}

/// Totals so far, as the last progress second gave them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub errors: u64,
    pub included: u64,
}

/// One second of load, for the charts: what was sent (offered), accepted and included
/// during that second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PerSecond {
    pub offered: u64,
    pub accepted: u64,
    pub included: u64,
}

/// The run under way, or the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub start: StressStart,
    /// Console time when it was confirmed.
    pub started: f64,
    /// The engine's last phase (`connecting`, `running`, `waiting for inclusion`).
    pub phase: String,
    pub elapsed_s: u64,
    pub totals: Totals,
    pub series: VecDeque<PerSecond>,
    pub figures: Figures,
    /// A stop was asked, and why; the run ends as soon as the engine sees it.
    pub stopping: Option<String>,
    pub end: Option<StressDone>,
}

impl RunView {
    pub fn running(&self) -> bool {
        self.end.is_none()
    }

    /// Seconds of load left, while it runs.
    pub fn remaining_s(&self) -> u64 {
        self.start
            .effective
            .duration_s
            .saturating_sub(self.elapsed_s)
    }

    fn progress(&mut self, p: Progress) {
        match p {
            Progress::Phase(what) => self.phase = what,
            Progress::Second {
                elapsed_s,
                sent,
                accepted,
                rejected,
                errors,
                included,
                figures,
            } => {
                let prev = self.totals;
                self.series.push_back(PerSecond {
                    offered: sent.saturating_sub(prev.sent),
                    accepted: accepted.saturating_sub(prev.accepted),
                    included: included.saturating_sub(prev.included),
                });
                while self.series.len() > SERIES_KEPT {
                    self.series.pop_front();
                }
                self.elapsed_s = elapsed_s;
                self.totals = Totals {
                    sent,
                    accepted,
                    rejected,
                    errors,
                    included,
                };
                self.figures = figures;
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StressPane {
    /// `None`: the config has no `[stress]` section.
    pub conf: Option<StressConf>,
    pub plan: Option<LoadedPlan>,
    /// Why the last plan file could not be loaded.
    pub load_error: Option<String>,
    /// The selected field (index into `Field::ALL`).
    pub selected: usize,
    /// Why the last edit was refused.
    pub edit_error: Option<String>,
    /// Where reports and the sender store go (`$BTSOPS_DATA_DIR` or the XDG data dir).
    pub data_dir: Option<PathBuf>,
    pub run: Option<RunView>,
}

impl StressPane {
    /// Takes `[stress]` from a (re)loaded config; the plan and the run stay.
    pub fn configure(&mut self, config: &Config) {
        self.conf = StressConf::from_config(config);
    }

    pub fn field(&self) -> Field {
        Field::ALL[self.selected.min(Field::ALL.len() - 1)]
    }

    pub fn step(&mut self, delta: isize) {
        let last = Field::ALL.len() as isize - 1;
        self.selected = (self.selected as isize)
            .saturating_add(delta)
            .clamp(0, last) as usize;
    }

    /// A run is under way (started and not yet ended).
    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(RunView::running)
    }

    /// The plan after validation and the caps, or why it is not valid.
    pub fn effective(&self) -> Option<Result<Effective, String>> {
        let (conf, p) = (self.conf.as_ref()?, self.plan.as_ref()?);
        Some(effective(conf, p))
    }

    /// Takes a plan file's contents (or the reason it could not be read).
    pub fn loaded(&mut self, path: String, result: Result<Plan, String>) {
        match result {
            Ok(plan) => {
                self.plan = Some(LoadedPlan {
                    path,
                    plan,
                    edited: false,
                });
                self.load_error = None;
                self.edit_error = None;
            }
            Err(e) => self.load_error = Some(e),
        }
    }

    /// The text the editor starts with for the selected field.
    pub fn edit_text(&self) -> Option<String> {
        let p = &self.plan.as_ref()?.plan;
        Some(field_text(p, self.field()))
    }

    /// Sets the selected field from typed text. An edit that turns a valid plan
    /// invalid is refused with the reason (the plan stays as it was); on a plan that
    /// is already invalid any well-formed value goes in, so it can be mended step by
    /// step. `kind` toggles whatever is typed.
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        let field = self.field();
        let (Some(conf), Some(loaded)) = (self.conf.as_ref(), self.plan.as_ref()) else {
            return Err("no plan to edit".into());
        };
        let mut next = loaded.plan.clone();
        set_field(&mut next, field, text, conf)?;
        let was_valid = effective(conf, loaded).is_ok();
        let candidate = LoadedPlan {
            plan: next,
            edited: true,
            path: loaded.path.clone(),
        };
        if was_valid && let Err(e) = effective(conf, &candidate) {
            return Err(e);
        }
        self.plan = Some(candidate);
        Ok(())
    }

    /// What the start confirmation carries, or why the plan cannot start.
    pub fn start_plan(&self, now: f64) -> Result<StressStart, String> {
        let Some(conf) = &self.conf else {
            return Err(NO_STRESS.into());
        };
        let Some(loaded) = &self.plan else {
            return Err(NO_PLAN.into());
        };
        if self.running() {
            return Err("a stress run is under way: one at a time (X stops it)".into());
        }
        let effective = effective(conf, loaded)?;
        let data_dir = self
            .data_dir
            .as_ref()
            .ok_or("no data directory for the report (no home directory; set BTSOPS_DATA_DIR)")?;
        let targets = if effective.targets.is_empty() {
            conf.nodes.clone()
        } else {
            effective.targets.clone()
        };
        if targets.is_empty() {
            return Err(format!(
                "network {:?} has no node to target",
                conf.network()
            ));
        }
        let mut report = crate::stress::report::default_path(data_dir, effective.kind, now as i64);
        // A run started in the same second as the last one must not overwrite its report.
        if let Some(n) = self
            .run
            .as_ref()
            .and_then(|r| same_second(&r.start.report, &report))
        {
            let stem = report
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            report.set_file_name(format!("{stem}-{}.json", n + 1));
        }
        Ok(StressStart {
            plan_path: loaded.path.clone(),
            edited: loaded.edited,
            plan: loaded.plan.clone(),
            report,
            effective,
            network: conf.network().to_string(),
            chain_id: conf.chain_id.clone(),
            targets,
            data_dir: data_dir.clone(),
        })
    }

    /// A confirmed start: the pane shows it from now on.
    pub fn started(&mut self, start: StressStart, now: f64) {
        self.run = Some(RunView {
            start,
            started: now,
            phase: "starting".into(),
            elapsed_s: 0,
            totals: Totals::default(),
            series: VecDeque::new(),
            figures: Figures::default(),
            stopping: None,
            end: None,
        });
    }

    /// Asks the run to stop; `false` when none is under way.
    pub fn stop(&mut self, why: &str) -> bool {
        match &mut self.run {
            Some(r) if r.running() => {
                r.stopping.get_or_insert_with(|| why.to_string());
                true
            }
            _ => false,
        }
    }

    /// News from the stress task.
    pub fn news(&mut self, n: StressNews) {
        let Some(run) = &mut self.run else {
            return;
        };
        match n {
            StressNews::Progress(p) => run.progress(p),
            StressNews::Done(d) => {
                // The live counters stop at the last whole second; transactions seen in
                // a block after it count in the report, and the pane must not show two
                // different "included" figures for one run.
                if let Some(t) = &d.totals {
                    run.totals = Totals {
                        sent: t.sent,
                        accepted: t.accepted,
                        rejected: t.rejected_total,
                        errors: t.errors.values().sum(),
                        included: t.included,
                    };
                }
                run.phase = match &d.aborted {
                    None => "completed".into(),
                    Some(why) => format!("aborted: {why}"),
                };
                run.end = Some(*d);
            }
        }
    }
}

/// `Some(n)` when `last` is the report `base` names (1), or its `-n` variant: a run
/// started in the same second.
fn same_second(last: &std::path::Path, base: &std::path::Path) -> Option<u32> {
    if last == base {
        return Some(1);
    }
    let stem = base.file_stem()?.to_str()?;
    let other = last.file_stem()?.to_str()?;
    if last.parent() != base.parent() {
        return None;
    }
    other.strip_prefix(stem)?.strip_prefix('-')?.parse().ok()
}

/// Said where `[stress]` is missing.
pub const NO_STRESS: &str = "no [stress] section in the config: stress tests need one \
(network = a testnet, keys_file, caps; see config.example.toml)";
/// Said where no plan is loaded.
pub const NO_PLAN: &str =
    "no plan loaded: :stress plan FILE (or set stress.plan; see stress-plan.example.toml)";

fn effective(conf: &StressConf, p: &LoadedPlan) -> Result<Effective, String> {
    let e = plan::effective(&p.path, &p.plan, &conf.limits).map_err(|e| e.to_string())?;
    // The same rule `stress::targets::resolve` applies when the run starts.
    if let Some(bad) = e
        .targets
        .iter()
        .find(|t| !conf.nodes.contains(t) && !conf.lbs.contains(t))
    {
        return Err(format!(
            "{}: target {bad:?} is not a node or load balancer (with public_url) of network {:?}",
            p.path,
            conf.network()
        ));
    }
    Ok(e)
}

/// A field's value as the editor shows it.
pub fn field_text(p: &Plan, f: Field) -> String {
    match f {
        Field::Kind => kind_name(p.kind).into(),
        Field::Rate => p.rate.map(|r| r.to_string()).unwrap_or_default(),
        Field::Duration => p.duration_s.to_string(),
        Field::Senders => p.senders.map(|s| s.to_string()).unwrap_or_default(),
        Field::Targets => p.targets.join(", "),
        Field::Calls => p.calls.join(", "),
    }
}

pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Transfer => "transfer",
        Kind::Read => "read",
    }
}

fn list(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn number<T: std::str::FromStr>(f: Field, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{}: {:?} is not a whole number", f.key(), text.trim()))
}

fn set_field(p: &mut Plan, f: Field, text: &str, conf: &StressConf) -> Result<(), String> {
    let text = text.trim();
    match f {
        Field::Kind => {
            p.kind = match p.kind {
                Kind::Transfer => Kind::Read,
                Kind::Read => Kind::Transfer,
            }
        }
        // Empty: a read flood as fast as answered.
        Field::Rate if text.is_empty() => p.rate = None,
        Field::Rate => p.rate = Some(number(f, text)?),
        Field::Duration => p.duration_s = number(f, text)?,
        Field::Senders if text.is_empty() => p.senders = None,
        Field::Senders => p.senders = Some(number(f, text)?),
        Field::Targets => {
            let names = list(text);
            if let Some(bad) = names
                .iter()
                .find(|t| !conf.nodes.contains(t) && !conf.lbs.contains(t))
            {
                return Err(format!(
                    "targets: {bad:?} is not a node or load balancer of {} (known: {})",
                    conf.network(),
                    conf.nodes
                        .iter()
                        .chain(&conf.lbs)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            p.targets = names;
        }
        Field::Calls => p.calls = list(text),
    }
    Ok(())
}

/// The cap that lowered a field, if one did.
pub fn cap_of(e: &Effective, f: Field) -> Option<(&Capped, &'static str)> {
    let (name, key) = f.capped_by()?;
    e.capped.iter().find(|c| c.field == name).map(|c| (c, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> StressConf {
        StressConf {
            limits: config::Stress {
                network: "testnet".into(),
                max_tps: 100,
                max_duration_s: 60,
                max_total: 1_000,
                ..config::Stress::default()
            },
            chain_id: "00".into(),
            protected: false,
            nodes: vec!["a".into(), "b".into()],
            lbs: vec!["lb".into()],
        }
    }

    fn pane(text: &str) -> StressPane {
        let mut p = StressPane {
            conf: Some(conf()),
            data_dir: Some("/data".into()),
            ..StressPane::default()
        };
        p.loaded(
            "p.toml".into(),
            plan::parse("p.toml", text).map_err(|e| e.to_string()),
        );
        p
    }

    const READ: &str = "kind = \"read\"\nrate = 10\nduration_s = 5\n";

    #[test]
    fn edits_are_checked_by_the_plan_rules_and_capped() {
        let mut p = pane(READ);
        p.selected = 1;
        p.apply("500").unwrap();
        let e = p.effective().unwrap().unwrap();
        assert_eq!(e.rate, 100, "max_tps caps it");
        let (c, key) = cap_of(&e, Field::Rate).expect("capped");
        assert_eq!((c.asked, c.limit, key), (500, 100, "max_tps"));
        assert!(p.apply("fast").unwrap_err().contains("not a whole number"));
        assert!(
            p.apply("0")
                .unwrap_err()
                .contains("rate must be at least 1")
        );
        assert_eq!(
            p.plan.as_ref().unwrap().plan.rate,
            Some(500),
            "refused edits change nothing"
        );
        p.selected = 4;
        assert!(p.apply("a, nowhere").unwrap_err().contains("\"nowhere\""));
        p.apply("b lb").unwrap();
        assert_eq!(p.plan.as_ref().unwrap().plan.targets, ["b", "lb"]);
        p.selected = 5;
        assert!(
            p.apply("broadcast_transaction")
                .unwrap_err()
                .contains("not a read call")
        );
    }

    #[test]
    fn an_invalid_plan_can_be_mended_field_by_field() {
        let mut p = pane(READ);
        // To transfer: no senders nor funder, so the toggle is refused...
        let e = p.apply("").unwrap_err();
        assert!(e.contains("senders"), "{e}");
        // ...but a plan loaded invalid takes edits until it is valid.
        let mut p = pane("kind = \"transfer\"\nrate = 10\nduration_s = 5\nfunder = \"f\"\n");
        assert!(p.effective().unwrap().is_err());
        assert!(p.start_plan(0.0).unwrap_err().contains("senders"));
        p.selected = 3;
        p.apply("4").unwrap();
        let s = p.start_plan(1_764_000_000.0).unwrap();
        assert_eq!(s.targets, ["a", "b"], "default: every node");
        assert_eq!(s.effective.total, 50);
        assert!(s.edited);
        assert!(
            s.report
                .ends_with("stress/reports/2025-11-24T160000Z-transfer.json")
        );
    }

    #[test]
    fn progress_becomes_per_second_load_and_one_run_at_a_time() {
        let mut p = pane(READ);
        let s = p.start_plan(0.0).unwrap();
        p.started(s, 0.0);
        assert!(p.start_plan(0.0).unwrap_err().contains("one at a time"));
        for (i, sent) in [10, 25, 30].into_iter().enumerate() {
            p.news(StressNews::Progress(Progress::Second {
                elapsed_s: i as u64 + 1,
                sent,
                accepted: sent - 1,
                rejected: 1,
                errors: 0,
                included: 0,
                figures: Figures::default(),
            }));
        }
        let r = p.run.as_ref().unwrap();
        let offered: Vec<u64> = r.series.iter().map(|s| s.offered).collect();
        assert_eq!(offered, [10, 15, 5]);
        assert_eq!(r.remaining_s(), 2);
        assert!(p.stop("stopped from the console"));
        assert!(p.running(), "running until the engine ends it");
        // The end's totals replace the last second's counters.
        p.news(StressNews::Done(Box::new(StressDone {
            aborted: Some("stopped from the console".into()),
            elapsed_s: 3.5,
            totals: Some(crate::stress::report::Totals {
                sent: 31,
                accepted: 30,
                rejected: [("fee", 1)].into(),
                rejected_total: 1,
                errors: [("timeout", 2)].into(),
                included: 0,
                latency: None,
                inclusion: None,
                sent_per_s: 8.9,
            }),
            report: Err("-".into()),
            audit: Err("-".into()),
        })));
        let r = p.run.as_ref().unwrap();
        assert_eq!(
            r.totals,
            Totals {
                sent: 31,
                accepted: 30,
                rejected: 1,
                errors: 2,
                included: 0
            }
        );
        // Runs started in the same second get reports of their own.
        let mut names = Vec::new();
        for _ in 0..3 {
            p.news(StressNews::Done(Box::new(StressDone {
                aborted: None,
                elapsed_s: 1.0,
                totals: None,
                report: Err("-".into()),
                audit: Err("-".into()),
            })));
            let s = p.start_plan(0.0).unwrap();
            names.push(s.report.file_name().unwrap().to_string_lossy().to_string());
            p.started(s, 0.0);
        }
        assert_eq!(
            names,
            [
                "1970-01-01T000000Z-read-2.json",
                "1970-01-01T000000Z-read-3.json",
                "1970-01-01T000000Z-read-4.json"
            ]
        );
    }
}
