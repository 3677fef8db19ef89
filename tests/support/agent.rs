//! A btsops agent in this process: the monitor engine on a config, the judge, and the
//! agent-check listener on 127.0.0.1 (OS-picked port), stopped on drop.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use btsops::agent::{self, Change, Judge};
use btsops::config::Config;
use btsops::monitor::Engine;
use tokio::sync::{mpsc, oneshot};

pub struct Agent {
    pub addr: SocketAddr,
    pub engine: Engine,
    /// Every verdict change, in order.
    pub changes: mpsc::UnboundedReceiver<Change>,
    /// Answers sent to HAProxy (or anyone) so far.
    pub answered: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
}

impl Agent {
    pub async fn start(cfg: &Config) -> Agent {
        let engine = super::monitor::start_engine(cfg);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the agent on loopback");
        let addr = listener.local_addr().expect("agent address");
        let (tx, changes) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let answered = Arc::new(AtomicU64::new(0));
        tokio::spawn(agent::run(
            listener,
            Judge::new(&btsops::monitor::rules_of(cfg)),
            engine.snapshots(),
            move |c| {
                let _ = tx.send(c);
            },
            Arc::clone(&answered),
            async {
                let _ = stopped.await;
            },
        ));
        Agent {
            addr,
            engine,
            changes,
            answered,
            stop: Some(stop),
        }
    }

    /// Waits (bounded) until the monitor knows every one of `nodes` level with the best
    /// head, so the agent's `up` for them is an informed one.
    pub async fn wait_informed(&self, nodes: &[&str], limit: Duration) {
        super::monitor::wait_for(&self.engine, "every node's lag known", limit, |s| {
            nodes
                .iter()
                .all(|n| super::monitor::ep(s, n).lag_blocks == Some(0))
        })
        .await;
    }

    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Waits (bounded by `limit`) until `n` more answers went out than now.
    pub async fn wait_answers(&self, n: u64, limit: Duration) {
        let target = self.answered() + n;
        let deadline = Instant::now() + limit;
        while self.answered() < target {
            assert!(
                Instant::now() < deadline,
                "the agent answered {} of {n} polls in {limit:?}",
                n - (target - self.answered())
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for the next verdict change.
    pub async fn next_change(&mut self, limit: Duration) -> Change {
        tokio::time::timeout(limit, self.changes.recv())
            .await
            .unwrap_or_else(|_| panic!("no verdict change within {limit:?}"))
            .expect("the agent is running")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Sends one request line to an agent and returns its whole answer.
pub async fn ask(addr: SocketAddr, line: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let talk = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        s.write_all(line).await?;
        let mut out = String::new();
        s.read_to_string(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    tokio::time::timeout(Duration::from_secs(5), talk)
        .await
        .expect("the agent answers within 5 s")
        .expect("talk to the agent")
}
