//! Scripted faults: a TOML file of events (at t seconds, target, fault, optional duration)
//! so demos and tests replay the same story.
//!
//! ```toml
//! [[event]]
//! at = 5                    # seconds after the fleet started
//! target = "mainnet/main-2" # network/name, or a name unique in the fleet
//! fault = "latency"         # a fault name of `Fault`, or "recover"
//! delay_ms = 800            # the fault's own fields: here each frame the node sends
//! jitter_ms = 200           # arrives 800 ± 200 ms later (a slow link; a node slow to
//!                           # process is `slow_processing` with the same fields)
//! duration = 20             # optional: seconds until this fault is cleared again
//! ```

use std::time::Duration;

use serde::Deserialize;

use super::faults::{Fault, FaultHandle};
use crate::config::line_col;

/// What an event does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Inject(Fault),
    Recover,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: Duration,
    pub target: String,
    pub action: Action,
    pub duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scenario {
    /// Sorted by `at`.
    pub events: Vec<Event>,
}

/// Displays as `line:column: …`, so a caller that puts the file name in front gives
/// the `file:line:col` an editor jumps to.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{line}:{column}: {message}")]
    Toml {
        line: usize,
        column: usize,
        message: String,
    },
    /// `index` counts from 1, as the events are read in the file.
    #[error("{line}:{column}: scenario event {index}: {message}")]
    Event {
        line: usize,
        column: usize,
        index: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    event: Vec<toml::Spanned<toml::Table>>,
}

fn seconds(v: &toml::Value) -> Option<Duration> {
    let s = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        _ => return None,
    };
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s))
}

impl Scenario {
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
            ScenarioError::Toml {
                line,
                column,
                // toml's message may span lines; a CLI error is one line.
                message: e.message().trim().replace('\n', ", "),
            }
        })?;
        let mut events = Vec::with_capacity(raw.event.len());
        for (index, spanned) in raw.event.into_iter().enumerate() {
            // The event's table: its values carry no spans of their own once read as a
            // `toml::Table`, so errors point at the event.
            let (line, column) = line_col(text, spanned.span().start);
            let mut t = spanned.into_inner();
            let err = |message: String| ScenarioError::Event {
                line,
                column,
                index: index + 1,
                message,
            };
            let at = t
                .remove("at")
                .as_ref()
                .and_then(seconds)
                .ok_or_else(|| err("`at` must be a number of seconds ≥ 0".into()))?;
            let target = match t.remove("target") {
                Some(toml::Value::String(s)) => s,
                _ => return Err(err("`target` must be \"network/name\" or \"name\"".into())),
            };
            let duration = match t.remove("duration") {
                None => None,
                Some(v) => {
                    Some(seconds(&v).ok_or_else(|| err("`duration` must be seconds ≥ 0".into()))?)
                }
            };
            let action = match t.get("fault") {
                Some(toml::Value::String(f)) if f == "recover" => {
                    if t.len() > 1 || duration.is_some() {
                        return Err(err("\"recover\" takes no other fields".into()));
                    }
                    Action::Recover
                }
                Some(_) => {
                    let keys: Vec<String> = t.keys().cloned().collect();
                    let f = Fault::deserialize(toml::Value::Table(t))
                        .map_err(|e| err(e.to_string()))?;
                    // serde ignores extra keys next to a unit variant's tag; refuse them.
                    let allowed: &[&str] = match f {
                        Fault::Latency { .. } | Fault::SlowProcessing { .. } => {
                            &["fault", "delay_ms", "jitter_ms"]
                        }
                        Fault::SlowDrip { .. } => &["fault", "bytes_per_tick", "tick_ms"],
                        _ => &["fault"],
                    };
                    if let Some(k) = keys.iter().find(|k| !allowed.contains(&k.as_str())) {
                        return Err(err(format!("unknown field `{k}` for fault {}", f.kind())));
                    }
                    Action::Inject(f)
                }
                None => return Err(err("missing `fault`".into())),
            };
            events.push(Event {
                at,
                target,
                action,
                duration,
            });
        }
        events.sort_by_key(|e| e.at);
        Ok(Scenario { events })
    }
}

/// Plays the events against handles found by `resolve` (unknown targets are skipped; the
/// caller checks them up front with [`Scenario::unknown_targets`]).
pub async fn play(scenario: Scenario, resolve: impl Fn(&str) -> Option<FaultHandle>) {
    let start = tokio::time::Instant::now();
    let mut clears = tokio::task::JoinSet::new();
    for e in scenario.events {
        tokio::time::sleep_until(start + e.at).await;
        let Some(h) = resolve(&e.target) else {
            continue;
        };
        match e.action {
            Action::Recover => h.recover(),
            Action::Inject(f) => {
                h.inject(f);
                if let Some(d) = e.duration {
                    clears.spawn(async move {
                        tokio::time::sleep(d).await;
                        h.clear(f.kind());
                    });
                }
            }
        }
    }
    while clears.join_next().await.is_some() {}
}

impl Scenario {
    /// Targets that `resolve` does not know.
    pub fn unknown_targets(&self, resolve: impl Fn(&str) -> Option<FaultHandle>) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| resolve(&e.target).is_none())
            .map(|e| e.target.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_in_time_order() {
        let s = Scenario::from_toml(
            r#"
[[event]]
at = 10
target = "mainnet/a"
fault = "recover"

[[event]]
at = 2.5
target = "a"
fault = "latency"
delay_ms = 100
jitter_ms = 0
duration = 4
"#,
        )
        .unwrap();
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.events[0].at, Duration::from_millis(2500));
        assert_eq!(
            s.events[0].action,
            Action::Inject(Fault::Latency {
                delay_ms: 100,
                jitter_ms: 0
            })
        );
        assert_eq!(s.events[0].duration, Some(Duration::from_secs(4)));
        assert_eq!(s.events[1].action, Action::Recover);
    }

    #[test]
    fn strict() {
        for bad in [
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"freeze\"\nbogus = 1",
            "[[event]]\nat = -1\ntarget = \"a\"\nfault = \"freeze\"",
            "[[event]]\nat = 1\nfault = \"freeze\"",
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"melt\"",
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"recover\"\nduration = 3",
            "[[events]]\nat = 1",
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"slow_processing\"\ndelay_ms = 1\njitter_ms = 0\ntick_ms = 1",
        ] {
            assert!(Scenario::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_say_line_and_column_and_jitter_defaults_to_zero() {
        let e = Scenario::from_toml(
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"freeze\"\n\n[[event]]\nat = 2\nfault = \"freeze\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("6:1: scenario event 2:"), "{e}");
        let e = Scenario::from_toml("[[event]]\nat = = 1\n").unwrap_err();
        assert!(e.to_string().starts_with("2:"), "{e}");
        let s = Scenario::from_toml(
            "[[event]]\nat = 1\ntarget = \"a\"\nfault = \"latency\"\ndelay_ms = 100\n",
        )
        .unwrap();
        assert_eq!(
            s.events[0].action,
            Action::Inject(Fault::Latency {
                delay_ms: 100,
                jitter_ms: 0
            })
        );
    }
}
