//! Prometheus text of a running stress test, served on `ADDR/metrics` by a minimal
//! HTTP/1.0 responder (one GET per connection; nothing else is read or answered).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// Prometheus text exposition format 0.0.4.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, v: u64| {
        out += &format!(
            "# HELP btsops_stress_{name} {help}\n# TYPE btsops_stress_{name} {kind}\nbtsops_stress_{name} {v}\n"
        );
    };
    metric(
        "running",
        "gauge",
        "1 while the load clock runs.",
        u64::from(s.running),
    );
    metric(
        "elapsed_seconds",
        "gauge",
        "Seconds since the load clock started.",
        s.elapsed_s,
    );
    metric("sent_total", "counter", "Requests sent.", s.sent);
    metric(
        "accepted_total",
        "counter",
        "Requests the node accepted.",
        s.accepted,
    );
    metric(
        "rejected_total",
        "counter",
        "Requests the node rejected.",
        s.rejected,
    );
    metric(
        "errors_total",
        "counter",
        "Requests without an answer (timeout, transport).",
        s.errors,
    );
    metric(
        "included_total",
        "counter",
        "Transfers seen in a block.",
        s.included,
    );
    out
}

/// Serves `GET /metrics` from `state` until `abort`.
pub async fn serve(listener: TcpListener, state: Arc<Mutex<Snapshot>>, abort: Abort) {
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = abort.wait() => return,
        };
        let Ok((mut stream, _)) = conn else { continue };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            // A client that sends nothing gets a second, not a task forever.
            let n = match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await
            {
                Ok(Ok(n)) => n,
                _ => return,
            };
            let head = String::from_utf8_lossy(&buf[..n]);
            let reply = if head.starts_with("GET /metrics ") {
                let body = render(&state.lock().unwrap_or_else(PoisonError::into_inner));
                format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string()
            };
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
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
