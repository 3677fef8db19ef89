//! Stale-head failover, agent vs plain HTTP check, in one run: two `haproxy -db` in front
//! of the same simnet nodes, one with btsops's agent check (README's server line, polled
//! every 200 ms) and one with only LOADBALANCER.md §9's HTTP check (every 100 ms, fall 2),
//! then one node's head stalls. Prints the time from the stall to DOWN in each, and the
//! ratio. The HTTP check asks the node for its head and gets an answer, so it is expected
//! never to fire: it is reported as "not DOWN within CAP" and the ratio as a lower bound.
//!
//! The monitor runs at a 400 ms probe interval with 1 s blocks and `lag_crit_blocks = 6`
//! (tests/support/monitor.rs), so the agent's time is mostly the lag it must see.
//! `AGENT_BENCH_ROUNDS` (default 2) stall/recover rounds, `AGENT_BENCH_CAP_S` (default 20)
//! seconds to wait for each DOWN. Without haproxy: a SKIP line.

#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports)]
mod support;

use std::time::{Duration, Instant};

use btsops::lb::Mode;
use support::agent::Agent;
use support::haproxy::{BACKEND, Haproxy, Options};

const NODES: [&str; 2] = ["a", "victim"];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn victim_mode(h: &Haproxy) -> (Mode, bool) {
    let s = h.snapshot().await;
    let v = s.server(BACKEND, "victim").expect("victim in the LB");
    (v.mode, v.checked)
}

/// Polls both LBs every 10 ms until both show the victim in `want` (or the cap); returns
/// when each got there, from `t0`.
async fn until_mode(
    agent_lb: &Haproxy,
    http_lb: &Haproxy,
    t0: Instant,
    cap: Duration,
    want: impl Fn(Mode, bool) -> bool,
) -> (Option<Duration>, Option<Duration>) {
    let (mut a, mut b) = (None, None);
    while (a.is_none() || b.is_none()) && t0.elapsed() < cap {
        if a.is_none() && {
            let (m, c) = victim_mode(agent_lb).await;
            want(m, c)
        } {
            a = Some(t0.elapsed());
        }
        if b.is_none() && {
            let (m, c) = victim_mode(http_lb).await;
            want(m, c)
        } {
            b = Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (a, b)
}

fn secs(d: Option<Duration>, cap: Duration) -> String {
    d.map_or_else(
        || format!("not DOWN within {:.0} s", cap.as_secs_f64()),
        |d| format!("{:.2} s", d.as_secs_f64()),
    )
}

fn main() {
    let rounds = env_u64("AGENT_BENCH_ROUNDS", 2);
    let cap = Duration::from_secs(env_u64("AGENT_BENCH_CAP_S", 20));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        if support::haproxy::haproxy_bin("bench agent").is_none() {
            return;
        }
        let fleet = support::monitor::start_fleet().await;
        let cfg = support::monitor::parse(&support::monitor::config_text(
            &fleet,
            &["a", "b", "victim"],
            &[],
        ));
        let mut agent = Agent::start(&cfg).await;
        agent
            .wait_informed(&["a", "b", "victim"], Duration::from_secs(60))
            .await;
        let with_agent = Options {
            agent_port: Some(agent.addr.port()),
            ..Options::default()
        };
        let Some(agent_lb) = Haproxy::start("bench agent", &fleet, &NODES, with_agent).await
        else {
            return;
        };
        let Some(http_lb) = Haproxy::start("bench agent", &fleet, &NODES, Options::default()).await
        else {
            return;
        };
        let faults = fleet.faults("mainnet", "victim").expect("victim");
        let mut agent_times = Vec::new();
        let mut http_times = Vec::new();
        for round in 1..=rounds {
            let t0 = Instant::now();
            faults.stall_head();
            let (a, h) = until_mode(&agent_lb, &http_lb, t0, cap, |m, _| m == Mode::Down).await;
            let verdict = agent.changes.try_recv().ok();
            println!(
                "round {round}: stall → DOWN with agent {}, plain HTTP check {}  (agent verdict: {})",
                secs(a, cap),
                secs(h, cap),
                verdict.map_or_else(|| "none".into(), |c| c.line())
            );
            agent_times.extend(a);
            http_times.push(h);
            faults.recover();
            let back = until_mode(&agent_lb, &http_lb, Instant::now(), cap * 2, |m, c| {
                m == Mode::Ready && c
            })
            .await;
            if back.0.is_none() || back.1.is_none() {
                println!("round {round}: the victim did not come back UP in both LBs; stopping");
                break;
            }
            while agent.changes.try_recv().is_ok() {}
        }
        agent_times.sort();
        let Some(agent_med) = agent_times.get(agent_times.len() / 2).copied() else {
            println!("the agent never took the stalled node DOWN within {cap:?}");
            return;
        };
        let http_med = {
            let mut v: Vec<Duration> = http_times.iter().flatten().copied().collect();
            v.sort();
            (v.len() == http_times.len()).then(|| v[v.len() / 2])
        };
        match http_med {
            Some(h) => println!(
                "median stall → DOWN: agent {:.2} s, HTTP check {:.2} s: HTTP / agent = {:.1}×",
                agent_med.as_secs_f64(),
                h.as_secs_f64(),
                h.as_secs_f64() / agent_med.as_secs_f64()
            ),
            None => println!(
                "median stall → DOWN: agent {:.2} s, HTTP check not DOWN within {:.0} s in some round: HTTP / agent > {:.1}×",
                agent_med.as_secs_f64(),
                cap.as_secs_f64(),
                cap.as_secs_f64() / agent_med.as_secs_f64()
            ),
        }
    });
}
