//! `btsops agent` (HAProxy agent check fed by the monitor): against a real `haproxy -db`
//! in front of simnet nodes, a node whose head stalls goes DOWN and comes back UP, no
//! new client through the LB sees its stale head meanwhile, and an operator's MAINT
//! survives the agent's `up`. The listener's own answers are tested without haproxy.
//! HAProxy tests skip (with a SKIP line) without haproxy unless BTSOPS_REQUIRE_HAPROXY=1.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use btsops::agent::Verdict;
use btsops::config::Config;
use btsops::lb::{self, Action, Mode, Server, Target, VerifyOptions};
use btsops::rpc::{Api, RpcClient};
use btsops::simnet::FleetHandle;
use support::agent::{Agent, ask};
use support::haproxy::{BACKEND, Haproxy, Options, connect_through, haproxy_bin, node_infos};
use support::monitor::{config_text, parse, start_fleet};

/// Servers behind the LB; the monitor also watches `b`, so the best head never rests on
/// one of them alone.
const NODES: [&str; 2] = ["a", "victim"];
const LONG: Duration = Duration::from_secs(40);

struct Rig {
    fleet: FleetHandle,
    agent: Agent,
    h: Haproxy,
}

/// Fleet, monitor + agent, then HAProxy with every server agent-checked by it.
async fn rig(test: &str) -> Option<Rig> {
    haproxy_bin(test)?;
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "b", "victim"], &[]));
    let agent = start_agent(&cfg).await;
    let o = Options {
        agent_port: Some(agent.addr.port()),
        ..Options::default()
    };
    let h = Haproxy::start(test, &fleet, &NODES, o).await?;
    // HAProxy is polling the agent.
    agent.wait_answers(4, LONG).await;
    Some(Rig { fleet, agent, h })
}

/// An agent whose monitor has a lag for every node, so its `up` is an informed one.
async fn start_agent(cfg: &Config) -> Agent {
    let agent = Agent::start(cfg).await;
    agent.wait_informed(&["a", "b", "victim"], LONG).await;
    agent
}

/// Polls the LB (every 50 ms, bounded) until the server satisfies `pred`.
async fn wait_server(
    h: &Haproxy,
    name: &str,
    what: &str,
    pred: impl Fn(&Server) -> bool,
) -> Server {
    let deadline = Instant::now() + LONG;
    loop {
        let snap = h.snapshot().await;
        let s = snap
            .server(BACKEND, name)
            .expect("server in the LB")
            .clone();
        if pred(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{name} not {what} after {LONG:?}: {s:?}\n{}",
            h.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn head_of(c: &RpcClient) -> u32 {
    let v = c
        .call(
            Api::Database,
            "get_dynamic_global_properties",
            serde_json::json!([]),
        )
        .await
        .expect("get_dynamic_global_properties");
    let n = v["head_block_number"].as_u64().expect("head_block_number");
    u32::try_from(n).expect("head fits u32")
}

/// Opens `n` new websockets through the LB; each must reach a node whose head is the
/// network's (at most one block short: a block may land between the two reads).
/// Returns the node each reached.
async fn current_heads_through_lb(r: &Rig, infos: &[(String, String)], n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..n {
        let (c, name) = connect_through(&r.h, infos).await;
        let network = r.fleet.head("mainnet").expect("network head");
        let head = head_of(&c).await;
        assert!(
            head + 1 >= network,
            "{name} served head {head} through the LB, network at {network}"
        );
        names.push(name);
    }
    names
}

/// The `show stat` CSV row of a server, as HAProxy prints it.
async fn stat_row(h: &Haproxy, name: &str) -> String {
    let text = h.client().run_one("show stat").await.expect("show stat");
    let prefix = format!("{BACKEND},{name},");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no show stat row for {name}: {text}"))
        .to_string()
}

#[tokio::test]
async fn stalled_node_goes_down_in_haproxy_and_back_up() {
    let Some(mut r) = rig("lb_agent stalled").await else {
        return;
    };
    let infos = node_infos(&r.fleet, &NODES).await;
    let faults = r.fleet.faults("mainnet", "victim").expect("victim");
    let victim = support::simnet::connect(&r.fleet, "victim").await;
    faults.stall_head();
    let stalled_head = head_of(&victim).await;

    let s = wait_server(&r.h, "victim", "DOWN", |s| s.mode == Mode::Down).await;
    // The agent took it out: HAProxy's own check still passes on a node that answers.
    assert_eq!(s.status, "DOWN (agent)", "{s:?}");
    assert_eq!(s.check_status, "L7OK", "{s:?}");
    let row = stat_row(&r.h, "victim").await;
    assert!(row.contains("via agent : down (lag "), "{row}");
    let c = r.agent.next_change(LONG).await;
    assert_eq!((c.node.as_str(), c.from.clone()), ("victim", Verdict::Up));
    assert!(
        matches!(&c.to, Verdict::Down(why) if why.contains("behind best")),
        "{c:?}"
    );
    // The victim's head really is stale now: serving it would fail the check below.
    let network = r.fleet.head("mainnet").expect("network head");
    assert!(stalled_head + 3 < network, "{stalled_head} vs {network}");
    let names = current_heads_through_lb(&r, &infos, 6).await;
    assert!(names.iter().all(|n| n == "a"), "{names:?}");

    faults.recover();
    let s = wait_server(&r.h, "victim", "UP", |s| s.mode == Mode::Ready && s.checked).await;
    assert!(s.status.starts_with("UP"), "{s:?}");
    let c = r.agent.next_change(LONG).await;
    assert_eq!(
        (c.node.as_str(), c.to.clone()),
        ("victim", Verdict::Up),
        "{c:?}"
    );
    let names = current_heads_through_lb(&r, &infos, 4).await;
    assert!(names.iter().any(|n| n == "victim"), "{names:?}");
    // One verdict change each way, no flapping, and `a` never left.
    assert!(r.agent.changes.try_recv().is_err());
}

#[tokio::test]
async fn operator_maint_stays_maint_while_the_agent_says_up() {
    let Some(r) = rig("lb_agent maint").await else {
        return;
    };
    let infos = node_infos(&r.fleet, &NODES).await;
    let target = Target::new(BACKEND, "victim").expect("valid names");
    let client = r.h.client();
    let out = lb::apply(
        &client,
        &target,
        Action::Maint,
        false,
        VerifyOptions::default(),
    )
    .await
    .expect("maint");
    assert!(out.verified, "{}", out.summary());
    // Five agent polls per server after the operator's MAINT, every one of them `up`.
    r.agent.wait_answers(10, LONG).await;
    let s = r.h.snapshot().await;
    let v = s.server(BACKEND, "victim").expect("victim");
    assert_eq!(
        (v.mode, v.status.as_str()),
        (Mode::MaintForced, "MAINT"),
        "{v:?}"
    );
    assert_eq!(ask(r.agent.addr, b"victim\n").await, "up\n");
    let names = current_heads_through_lb(&r, &infos, 4).await;
    assert!(names.iter().all(|n| n == "a"), "{names:?}");

    // The operator, not the agent, puts it back.
    let out = lb::apply(
        &client,
        &target,
        Action::Ready,
        false,
        VerifyOptions::default(),
    )
    .await
    .expect("ready");
    assert!(out.verified, "{}", out.summary());
    wait_server(&r.h, "victim", "UP", |s| s.mode == Mode::Ready && s.checked).await;
}

#[tokio::test]
async fn the_listener_answers_by_name_and_ignores_garbage() {
    let fleet = start_fleet().await;
    let cfg = parse(&config_text(&fleet, &["a", "b", "victim"], &[]));
    let agent = start_agent(&cfg).await;
    assert_eq!(ask(agent.addr, b"a\n").await, "up\n");
    assert_eq!(ask(agent.addr, b"a\r\n").await, "up\n");
    // Not a node of this config: `up`, HAProxy's own check still judges it.
    assert_eq!(ask(agent.addr, b"somebody-else\n").await, "up\n");
    // Not an agent-send line: closed without an answer, which changes nothing in HAProxy.
    let long = [b'x'; 300];
    assert_eq!(ask(agent.addr, &long).await, "");
    assert_eq!(ask(agent.addr, b"\xff\xfe\n").await, "");
    assert_eq!(agent.answered(), 3);

    fleet
        .faults("mainnet", "victim")
        .expect("victim")
        .stall_head();
    let deadline = Instant::now() + LONG;
    loop {
        let a = ask(agent.addr, b"victim\n").await;
        if a != "up\n" {
            assert!(
                a.starts_with("down #lag ") && a.ends_with(" behind best\n"),
                "{a:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "victim still up after {LONG:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ask(agent.addr, b"a\n").await, "up\n");
}

#[tokio::test]
async fn btsops_agent_serves_until_sigterm() {
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = support::monitor::write_config(dir.path(), &config_text(&fleet, &["a"], &[]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args(["agent", "--listen", "127.0.0.1:0", "--config"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn btsops agent");
    let stdout = child.stdout.take().expect("stdout");
    // The first line names the bound address; read it off the test's runtime.
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        line
    });
    let line = match tokio::time::timeout(Duration::from_secs(20), first).await {
        Ok(Ok(l)) => l,
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("btsops agent printed no address within 20 s");
        }
    };
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert_eq!(ask(addr, b"a\n").await, "up\n");
    let st = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(st.success());
    let status = support::process::wait_within(&mut child, Duration::from_secs(10), "btsops agent");
    assert!(status.success(), "{status:?}");
}
