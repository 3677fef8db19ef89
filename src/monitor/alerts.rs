//! Alerts: raised by conditions in a snapshot, kept until acknowledged, snoozable.
//! Pure: the engine feeds snapshots and operator commands with their times.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::model::{Alert, AlertKind, FleetSnapshot, Status};

/// A condition that should be alerted on right now.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub kind: AlertKind,
    pub endpoint: String,
    pub message: String,
    /// How bad it is; an acknowledged alert whose condition gets worse (crit → down)
    /// asks for attention again.
    pub severity: Status,
}

impl Condition {
    pub fn id(&self) -> String {
        alert_id(self.kind, &self.endpoint)
    }
}

pub fn alert_id(kind: AlertKind, endpoint: &str) -> String {
    let k = match kind {
        AlertKind::Status => "status",
        AlertKind::ChainMismatch => "chain_mismatch",
        AlertKind::ForkSuspect => "fork_suspect",
        AlertKind::CertExpiring => "cert_expiring",
        AlertKind::ClockOffset => "clock_offset",
    };
    format!("{k}:{endpoint}")
}

/// The alert conditions a snapshot shows. `cert_warn_days` is per network, so the
/// snapshot's own statuses decide: a certificate reason in a warn/crit status counts.
pub fn conditions(snap: &FleetSnapshot) -> Vec<Condition> {
    let mut out = Vec::new();
    for e in &snap.endpoints {
        if matches!(e.status, Status::Crit | Status::Down) {
            out.push(Condition {
                kind: AlertKind::Status,
                endpoint: e.name.clone(),
                message: format!("{} is {}: {}", e.name, e.status, e.reasons.join("; ")),
                severity: e.status,
            });
        }
        if e.chain_mismatch {
            out.push(Condition {
                kind: AlertKind::ChainMismatch,
                endpoint: e.name.clone(),
                message: format!(
                    "{} answers chain id {}, not {}'s",
                    e.name,
                    e.chain_id.as_deref().unwrap_or("?"),
                    e.network
                ),
                severity: Status::Crit,
            });
        }
        if e.fork_suspect {
            out.push(Condition {
                kind: AlertKind::ForkSuspect,
                endpoint: e.name.clone(),
                message: format!(
                    "{} serves a block other than the one its network agrees on",
                    e.name
                ),
                severity: Status::Crit,
            });
        }
        if let Some(r) = e
            .reasons
            .iter()
            .find(|r| r.starts_with("certificate expires"))
        {
            out.push(Condition {
                kind: AlertKind::CertExpiring,
                endpoint: e.name.clone(),
                message: format!("{}: {r}", e.name),
                severity: e.status,
            });
        }
    }
    if snap.clock.warn {
        out.push(Condition {
            kind: AlertKind::ClockOffset,
            endpoint: String::new(),
            message: format!(
                "this host's clock looks off by {:+.1} s against the chain heads",
                snap.clock.offset_s.unwrap_or(0.0)
            ),
            severity: Status::Warn,
        });
    }
    out
}

/// An alert whose condition returns within this many seconds of clearing continues
/// the same episode: a node hovering at a threshold must not page (nor lose its
/// acknowledgement) on every swing.
pub const REFIRE_GRACE_S: f64 = 120.0;

/// Every alert not yet gone.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    alerts: BTreeMap<String, Alert>,
    /// Per alert: how bad its condition is now and was at worst, and when acknowledged.
    severity: BTreeMap<String, Severity>,
}

#[derive(Debug, Clone)]
struct Severity {
    now: Status,
    acked: Option<Status>,
    /// The worst severity of this episode and the latest message at that severity:
    /// what a cleared alert shows.
    worst: Status,
    worst_message: String,
}

impl AlertBook {
    /// Folds in the conditions of a new snapshot taken at `now`.
    pub fn update(&mut self, now: f64, conds: &[Condition]) {
        let was_active: BTreeSet<String> = self
            .alerts
            .values()
            .filter(|a| a.active)
            .map(|a| a.id.clone())
            .collect();
        for a in self.alerts.values_mut() {
            a.active = false;
        }
        for c in conds {
            let id = c.id();
            let a = self.alerts.entry(id.clone()).or_insert_with(|| Alert {
                id,
                kind: c.kind,
                endpoint: c.endpoint.clone(),
                message: c.message.clone(),
                raised: now,
                active: true,
                acked: false,
                snoozed_until: None,
                severity: c.severity,
                cleared: None,
            });
            let quick_refire = a.cleared.take().is_some_and(|t| now - t <= REFIRE_GRACE_S);
            let new_episode = !was_active.contains(&a.id) && !quick_refire;
            if new_episode {
                // New, or back well after clearing: `raised` dates this episode, not
                // the first one (the earlier one is in the event log).
                a.raised = now;
            }
            a.active = true;
            let sev = self.severity.entry(a.id.clone()).or_insert(Severity {
                now: c.severity,
                acked: None,
                worst: c.severity,
                worst_message: c.message.clone(),
            });
            // As bad as the worst so far (or a new episode): this is now the worst.
            if new_episode || c.severity.worst(sev.worst) == c.severity {
                sev.worst = c.severity;
                sev.worst_message.clone_from(&c.message);
            }
            sev.now = c.severity;
            if a.acked && sev.acked.is_some_and(|was| c.severity.worst(was) != was) {
                // Acknowledged as crit, now down: that is news.
                a.acked = false;
                a.raised = now;
                sev.acked = None;
            }
            a.severity = c.severity;
            a.message.clone_from(&c.message);
        }
        for id in &was_active {
            let (Some(a), Some(sev)) = (self.alerts.get_mut(id), self.severity.get(id)) else {
                continue;
            };
            if !a.active {
                // What it was at its worst, and when it ended, stay with it.
                a.cleared = Some(now);
                a.severity = sev.worst;
                a.message.clone_from(&sev.worst_message);
            }
        }
        // An acknowledged alert leaves once its condition has stayed clear for the
        // grace time; an unacknowledged one stays so a flapping node is still seen in
        // the morning.
        self.alerts.retain(|_, a| {
            a.active || !a.acked || a.cleared.is_some_and(|t| now - t <= REFIRE_GRACE_S)
        });
        let alerts = &self.alerts;
        self.severity.retain(|id, _| alerts.contains_key(id));
    }

    /// Acknowledges an alert; false when there is no such alert.
    pub fn ack(&mut self, id: &str) -> bool {
        match self.alerts.get_mut(id) {
            Some(a) => {
                a.acked = true;
                if a.active {
                    if let Some(sev) = self.severity.get_mut(id) {
                        sev.acked = Some(sev.now);
                    }
                } else {
                    self.alerts.remove(id);
                    self.severity.remove(id);
                }
                true
            }
            None => false,
        }
    }

    /// Hides an alert until `until` (unix seconds).
    pub fn snooze(&mut self, id: &str, until: f64) -> bool {
        match self.alerts.get_mut(id) {
            Some(a) => {
                a.snoozed_until = Some(until);
                true
            }
            None => false,
        }
    }

    /// Shows a snoozed alert again; false when there is no such alert.
    pub fn unsnooze(&mut self, id: &str) -> bool {
        match self.alerts.get_mut(id) {
            Some(a) => {
                a.snoozed_until = None;
                true
            }
            None => false,
        }
    }

    /// All alerts in the order to show them: see [`display_order`].
    pub fn list(&self) -> Vec<Alert> {
        let mut v: Vec<Alert> = self.alerts.values().cloned().collect();
        v.sort_by(display_order);
        v
    }

    /// Alerts to show at `now`: not snoozed, in display order.
    pub fn visible(&self, now: f64) -> Vec<Alert> {
        let mut v: Vec<Alert> = self
            .alerts
            .values()
            .filter(|a| a.snoozed_until.is_none_or(|u| now >= u))
            .cloned()
            .collect();
        v.sort_by(display_order);
        v
    }
}

/// Active alerts first, then the worst, then the newest (ties by id, so the order is
/// stable from one snapshot to the next).
pub fn display_order(a: &Alert, b: &Alert) -> Ordering {
    b.active
        .cmp(&a.active)
        .then(a.severity.cmp(&b.severity))
        .then(b.raised.total_cmp(&a.raised))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(name: &str) -> Condition {
        Condition {
            kind: AlertKind::Status,
            endpoint: name.into(),
            message: format!("{name} is down"),
            severity: Status::Down,
        }
    }

    fn crit(name: &str) -> Condition {
        Condition {
            severity: Status::Crit,
            message: format!("{name} is crit"),
            ..down(name)
        }
    }

    /// A node hovering at a threshold: the alert clears and returns within the grace
    /// time, and stays one episode, acknowledgement included.
    #[test]
    fn a_quick_refire_is_the_same_episode() {
        let mut b = AlertBook::default();
        b.update(100.0, &[crit("a")]);
        assert!(b.ack("status:a"));
        for t in [110.0, 130.0, 150.0] {
            b.update(t, &[]);
            b.update(t + 5.0, &[crit("a")]);
        }
        let a = &b.list()[0];
        assert_eq!(a.raised, 100.0);
        assert!(a.acked);
        assert!(a.active);
    }

    /// An alert that cleared unacknowledged and fires again is dated by its new
    /// episode.
    #[test]
    fn a_re_raised_alert_gets_a_new_raised_time() {
        let mut b = AlertBook::default();
        b.update(7_200.0, &[down("a")]);
        b.update(7_260.0, &[]);
        assert_eq!(b.list()[0].raised, 7_200.0);
        b.update(32_400.0, &[down("a")]);
        let a = &b.list()[0];
        assert!(a.active);
        assert_eq!(a.raised, 32_400.0);
        b.update(32_401.0, &[down("a")]);
        assert_eq!(
            b.list()[0].raised,
            32_400.0,
            "an ongoing episode keeps its time"
        );
    }

    /// Acknowledged while crit, the node then goes down: the alert asks again. Getting
    /// better (down → crit) or staying the same keeps the acknowledgement.
    #[test]
    fn escalation_undoes_an_acknowledgement() {
        let mut b = AlertBook::default();
        b.update(1.0, &[crit("a")]);
        assert!(b.ack("status:a"));
        b.update(2.0, &[crit("a")]);
        assert!(b.list()[0].acked);
        b.update(3.0, &[down("a")]);
        let a = &b.list()[0];
        assert!(!a.acked, "crit → down after the ack must be seen");
        assert_eq!(a.raised, 3.0);
        assert!(b.ack("status:a"));
        b.update(4.0, &[crit("a")]);
        assert!(b.list()[0].acked);
    }

    #[test]
    fn alert_stays_until_acked_then_goes_when_clear() {
        let mut b = AlertBook::default();
        b.update(1.0, &[down("a")]);
        assert_eq!(b.list().len(), 1);
        b.update(2.0, &[]);
        let l = b.list();
        assert_eq!(l.len(), 1, "unacked alert stays after the condition clears");
        assert!(!l[0].active);
        assert_eq!(l[0].raised, 1.0);
        assert!(b.ack("status:a"));
        assert!(b.list().is_empty());
    }

    #[test]
    fn acked_active_alert_stays_until_clear() {
        let mut b = AlertBook::default();
        b.update(1.0, &[down("a")]);
        b.ack("status:a");
        b.update(2.0, &[down("a")]);
        assert_eq!(b.list().len(), 1);
        assert!(b.list()[0].acked);
        b.update(3.0, &[]);
        // Kept through the re-fire grace, then gone.
        assert_eq!(b.list().len(), 1);
        b.update(3.0 + REFIRE_GRACE_S + 1.0, &[]);
        assert!(b.list().is_empty());
        assert!(!b.ack("status:a"));
    }

    #[test]
    fn conditions_from_a_snapshot() {
        use crate::monitor::model::{EndpointKind, EndpointSnapshot};
        let mut s = FleetSnapshot::empty();
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "n", "a", "wss://x");
        e.status = Status::Crit;
        e.chain_mismatch = true;
        e.fork_suspect = true;
        e.reasons = vec!["certificate expires in 1.0 days (crit < 3)".into()];
        s.endpoints.push(e);
        s.clock.warn = true;
        s.clock.offset_s = Some(-7.5);
        let ids: Vec<String> = conditions(&s).iter().map(Condition::id).collect();
        assert_eq!(
            ids,
            [
                "status:a",
                "chain_mismatch:a",
                "fork_suspect:a",
                "cert_expiring:a",
                "clock_offset:"
            ]
        );
        let clock = conditions(&s).pop().unwrap();
        assert!(clock.message.contains("-7.5 s"), "{}", clock.message);
    }

    #[test]
    fn snoozed_alert_is_hidden_until_then() {
        let mut b = AlertBook::default();
        b.update(1.0, &[down("a")]);
        assert!(b.snooze("status:a", 100.0));
        assert!(b.visible(50.0).is_empty());
        assert_eq!(b.visible(100.0).len(), 1);
        assert_eq!(b.list().len(), 1);
    }

    /// A cleared alert tells what happened: its worst message and severity, when it
    /// cleared and how long it lasted; not how it looked on the way out.
    #[test]
    fn a_cleared_alert_keeps_its_worst_message_and_its_end() {
        let mut b = AlertBook::default();
        b.update(100.0, &[crit("a")]);
        b.update(110.0, &[down("a")]);
        b.update(120.0, &[crit("a")]);
        let a = &b.list()[0];
        assert_eq!(
            (a.severity, a.message.as_str()),
            (Status::Crit, "a is crit")
        );
        assert_eq!((a.cleared, a.lasted()), (None, None));
        b.update(130.0, &[]);
        let a = &b.list()[0];
        assert!(!a.active);
        assert_eq!(
            (a.severity, a.message.as_str()),
            (Status::Down, "a is down")
        );
        assert_eq!(a.cleared, Some(130.0));
        assert_eq!(a.lasted(), Some(30.0));
        // Still cleared later: the end stays put.
        b.update(200.0, &[]);
        assert_eq!(b.list()[0].cleared, Some(130.0));
        // Back within the grace time: the same episode, going on again.
        b.update(210.0, &[crit("a")]);
        let a = &b.list()[0];
        assert!(a.active);
        assert_eq!((a.cleared, a.raised), (None, 100.0));
        // A new episode forgets the old worst.
        b.update(220.0, &[]);
        b.update(220.0 + REFIRE_GRACE_S + 1.0, &[crit("a")]);
        b.update(230.0 + REFIRE_GRACE_S, &[]);
        let a = &b.list()[0];
        assert_eq!(
            (a.severity, a.message.as_str()),
            (Status::Crit, "a is crit")
        );
    }

    /// Active first, then the worst, then the newest.
    #[test]
    fn the_list_puts_active_then_worst_then_newest_first() {
        let mut b = AlertBook::default();
        b.update(1.0, &[down("old-down"), crit("cleared-crit")]);
        b.update(2.0, &[down("old-down"), down("cleared-down")]);
        b.update(3.0, &[down("old-down"), crit("new-crit"), crit("old-crit")]);
        b.update(
            4.0,
            &[
                down("old-down"),
                crit("new-crit"),
                crit("old-crit"),
                down("new-down"),
            ],
        );
        // old-crit was raised at 3 like new-crit: make new-crit newer.
        b.update(5.0, &[down("old-down"), down("new-down"), crit("old-crit")]);
        b.update(
            5.0 + REFIRE_GRACE_S + 1.0,
            &[down("old-down"), down("new-down"), crit("old-crit")],
        );
        b.update(
            6.0 + REFIRE_GRACE_S + 1.0,
            &[
                down("old-down"),
                down("new-down"),
                crit("old-crit"),
                crit("new-crit"),
            ],
        );
        let order: Vec<String> = b.list().into_iter().map(|a| a.endpoint).collect();
        assert_eq!(
            order,
            [
                "new-down",
                "old-down",
                "new-crit",
                "old-crit",
                "cleared-down",
                "cleared-crit"
            ]
        );
    }

    #[test]
    fn an_unsnoozed_alert_shows_again() {
        let mut b = AlertBook::default();
        b.update(1.0, &[down("a")]);
        assert!(b.snooze("status:a", 100.0));
        assert!(b.visible(50.0).is_empty());
        assert!(b.unsnooze("status:a"));
        assert_eq!(b.visible(50.0).len(), 1);
        assert_eq!(b.list()[0].snoozed_until, None);
        assert!(!b.unsnooze("status:nope"));
    }
}
