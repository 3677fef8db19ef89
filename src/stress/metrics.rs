//! Prometheus text of a running stress test, served on `ADDR/metrics` by the exposition
//! server `btsops export` uses too.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::exposition::{self, Reply};

use super::abort::Abort;
use super::run::Progress;

/// The newest figures, as the progress channel delivered them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub elapsed_s: u64,
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub errors: u64,
    pub included: u64,
    pub running: bool,
}

impl Snapshot {
    pub fn update(&mut self, p: &Progress) {
        if let Progress::Second {
            elapsed_s,
            sent,
            accepted,
            rejected,
            errors,
            included,
            ..
        } = *p
        {
            *self = Snapshot {
                elapsed_s,
                sent,
                accepted,
                rejected,
                errors,
                included,
                running: true,
            };
        }
    }
}

/// The snapshot as Prometheus text (the exposition shared with `btsops export`).
pub fn render(s: &Snapshot) -> String {
    let mut r = Registry::with_prefix("btsops_stress");
    let gauge = |v: u64| {
        let g: Gauge = Gauge::default();
        g.set(i64::try_from(v).unwrap_or(i64::MAX));
        g
    };
    let counter = |v: u64| {
        let c: Counter = Counter::default();
        c.inc_by(v);
        c
    };
    r.register(
        "running",
        "1 while the load clock runs",
        gauge(u64::from(s.running)),
    );
    r.register(
        "elapsed_seconds",
        "Seconds since the load clock started",
        gauge(s.elapsed_s),
    );
    r.register("sent", "Requests sent", counter(s.sent));
    r.register(
        "accepted",
        "Requests the node accepted",
        counter(s.accepted),
    );
    r.register(
        "rejected",
        "Requests the node rejected",
        counter(s.rejected),
    );
    r.register(
        "errors",
        "Requests without an answer (timeout, transport)",
        counter(s.errors),
    );
    r.register("included", "Transfers seen in a block", counter(s.included));
    exposition::encode(&r)
}

/// Serves `GET /metrics` from `state` until `abort`.
pub async fn serve(listener: TcpListener, state: Arc<Mutex<Snapshot>>, abort: Abort) {
    let route: exposition::Route = Arc::new(move |path, _query| {
        if path == "/metrics" {
            let body = render(&state.lock().unwrap_or_else(PoisonError::into_inner));
            Reply::ok(exposition::METRICS_CONTENT_TYPE, body)
        } else {
            Reply::not_found()
        }
    });
    exposition::serve(listener, route, async move { abort.wait().await }).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_newest_second() {
        let mut s = Snapshot::default();
        s.update(&Progress::Phase("x".into()));
        assert!(!s.running);
        s.update(&Progress::Second {
            elapsed_s: 3,
            sent: 30,
            accepted: 29,
            rejected: 1,
            errors: 0,
            included: 20,
            figures: crate::stress::Figures::default(),
        });
        let t = render(&s);
        assert!(t.contains("btsops_stress_sent_total 30\n"), "{t}");
        assert!(t.contains("btsops_stress_included_total 20\n"), "{t}");
        assert!(
            t.contains("# TYPE btsops_stress_running gauge\nbtsops_stress_running 1\n"),
            "{t}"
        );
    }
}
