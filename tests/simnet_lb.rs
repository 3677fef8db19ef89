//! simnet's load-balancer stand-in: its runtime-API replies compared column by column with
//! a real `haproxy -db` in front of the same simnet nodes after the same actions; the lb
//! module's actions run as one scenario against both; traffic moves off drained and
//! maint servers; `btsops simnet --write-config` and the demo's config carry the LBs and
//! `btsops lb status` reads them. The HAProxy parts print a SKIP line without haproxy
//! (and fail under BTSOPS_REQUIRE_HAPROXY=1).
//!
//! Columns compared with HAProxy: every deterministic one (see `STAT_COMPARED`). Left out,
//! and why:
//! - counters: `scur smax stot lbtot bin bout conn_tot chkfail chkdown hrsp_* req_* h1_*`,
//!   ... (they count checks and connections, which differ in number and timing between
//!   the two, and the stand-in proxies bytes without parsing HTTP);
//! - times: `lastchg downtime check_duration lastsess qtime ctime rtime ttime *_max`, and
//!   `srv_time_since_last_change` (wall-clock and scheduling dependent);
//! - `pid` (a process id) and `last_chk` (HAProxy's text of the last check step);
//! - in `show servers state`, bit 0x01 of `srv_check_state` (a check in progress at the
//!   moment of the read).

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use btsops::demo::{DemoFleet, LbChoice};
use btsops::lb::{self, Action, Client, Mode, Target, VerifyOptions};
use btsops::rpc::RpcClient;
use btsops::simnet::Fleet;
use btsops::simnet::default_fleet::{config_toml, default_fleet};
use support::haproxy::{self, BACKEND, Haproxy, Options, btsops, connect_via, node_infos};
use support::standin;

const NODES: [&str; 3] = ["a", "victim", "lagging"];
/// Each btsops run gets this long before it is killed and the test fails.
const DEADLINE_S: u64 = 30;

/// `show stat` columns whose values must be equal on the stand-in and on HAProxy.
const STAT_COMPARED: &[&str] = &[
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "slim",
    "status",
    "weight",
    "act",
    "bck",
    "qlimit",
    "iid",
    "sid",
    "throttle",
    "tracked",
    "type",
    "check_status",
    "check_code",
    "check_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "uweight",
    "-",
];

/// `show servers state` fields left out (see the module comment).
const STATE_EXCLUDED: &[&str] = &["srv_time_since_last_change"];

fn target(server: &str) -> Target {
    Target::new(BACKEND, server).expect("valid names")
}

/// `show stat` as (header, rows keyed by `pxname/svname`, each a column → value map).
fn stat_table(text: &str) -> (String, BTreeMap<String, BTreeMap<String, String>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("a header").to_string();
    let names: Vec<&str> = header.trim_start_matches("# ").split(',').collect();
    let mut rows = BTreeMap::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let cells: BTreeMap<String, String> = names
            .iter()
            .zip(l.split(','))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        rows.insert(format!("{}/{}", cells["pxname"], cells["svname"]), cells);
    }
    (header, rows)
}

/// `show servers state` as (the two header lines, rows keyed by server name).
fn state_table(text: &str) -> (String, BTreeMap<String, BTreeMap<String, String>>) {
    let mut lines = text.lines();
    let head = format!(
        "{}\n{}",
        lines.next().expect("version"),
        lines.next().expect("header")
    );
    let names: Vec<&str> = head
        .lines()
        .nth(1)
        .unwrap_or_default()
        .trim_start_matches("# ")
        .split(' ')
        .collect();
    let mut rows = BTreeMap::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let mut cells: BTreeMap<String, String> = names
            .iter()
            .zip(l.split(' '))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        for x in STATE_EXCLUDED {
            cells.remove(*x);
        }
        if let Some(v) = cells.get_mut("srv_check_state") {
            let n: u32 = v.parse().expect("srv_check_state is a number");
            *v = (n & !1).to_string();
        }
        rows.insert(cells["srv_name"].clone(), cells);
    }
    (head, rows)
}

/// Polls until no server is in a transitional state and every server outside MAINT has a
/// passed check, so both load balancers are compared at rest.
async fn settle(c: &Client, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = c.run_one("show stat be 4 -1").await.expect("show stat");
        let (_, rows) = stat_table(&text);
        let at_rest = rows.values().all(|r| {
            !r["status"].contains('/') && (r["status"] == "MAINT" || r["check_status"] == "L7OK")
        });
        if at_rest {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} not at rest after 5 s: {text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Compares the stand-in's `show stat` and `show servers state` with HAProxy's.
async fn compare(step: &str, real: &Client, fake: &Client) {
    settle(real, "haproxy").await;
    settle(fake, "stand-in").await;
    let (rh, rrows) = stat_table(&real.run_one("show stat -1 6 -1").await.expect("stat"));
    let (fh, frows) = stat_table(&fake.run_one("show stat -1 6 -1").await.expect("stat"));
    assert_eq!(fh, rh, "{step}: show stat header");
    assert_eq!(
        frows.keys().collect::<Vec<_>>(),
        rrows.keys().collect::<Vec<_>>(),
        "{step}: show stat rows"
    );
    for (key, r) in &rrows {
        let f = &frows[key];
        assert_eq!(f.len(), r.len(), "{step}: {key}: column count");
        for col in STAT_COMPARED {
            assert_eq!(f.get(*col), r.get(*col), "{step}: {key}: column {col}");
        }
    }
    let (rh, rrows) = state_table(&real.run_one("show servers state").await.expect("state"));
    let (fh, frows) = state_table(&fake.run_one("show servers state").await.expect("state"));
    assert_eq!(fh, rh, "{step}: show servers state header");
    assert_eq!(frows, rrows, "{step}: show servers state rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stand_in_answers_like_haproxy_column_by_column() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("simnet_lb compare", &fleet, &NODES, Options::default()).await
    else {
        return;
    };
    let fake_lb = standin::start(&fleet, &NODES).await;
    let (real, fake) = (h.client(), standin::client(&fake_lb));
    compare("start", &real, &fake).await;
    let steps = [
        "set server be/a state drain",
        "set server be/victim state maint",
        "set server be/lagging weight 5",
        "set server be/a state ready",
        "set server be/victim state ready",
        "set server be/lagging weight 100%",
        "disable server be/a",
        "enable server be/a",
    ];
    for cmd in steps {
        let r = real.run_one(cmd).await.expect("haproxy answers");
        let f = fake.run_one(cmd).await.expect("stand-in answers");
        assert_eq!((cmd, f.as_str()), (cmd, r.as_str()), "reply text");
        compare(cmd, &real, &fake).await;
    }
    // Errors, word for word, in one `;` batch.
    let bad: Vec<String> = [
        "set server be/nx state drain",
        "set server bx/a state drain",
        "set server a state drain",
        "set server be/a weight 300",
        "set server be/a state up",
        "shutdown sessions server be/zz",
        "disable server be/zz",
        "show servers state bx",
        "get weight be/lagging",
        "set weight be/lagging 2",
        "get weight be/lagging",
    ]
    .map(String::from)
    .to_vec();
    let r = real.run(&bad).await.expect("haproxy answers");
    let f = fake.run(&bad).await.expect("stand-in answers");
    assert_eq!(f, r);
    // HAProxy ends this one without a newline, so the reply has no blank line after it:
    // the client reads it the same way (as a malformed reply) from both.
    let cmd = "set server be/a weight abc";
    let r = real.run_one(cmd).await.map_err(|e| e.message);
    let f = fake.run_one(cmd).await.map_err(|e| e.message);
    assert_eq!(f, r);
    drop(h);
}

/// Asserts the action was verified and logs what any load balancer must show after it.
fn note(log: &mut Vec<String>, o: &lb::Outcome) {
    assert!(o.verified, "{}", o.summary());
    let after = o.after.as_ref().expect("server after the action");
    log.push(format!(
        "{} {}: verified, reply {:?}, now {}",
        o.action.name(),
        o.target.server,
        o.reply,
        after.mode.label()
    ));
}

/// One pass of the console's actions, each verified, with the traffic it moves. The
/// returned transcript holds only what must be the same on any load balancer.
async fn action_scenario(
    client: &Client,
    frontend: &str,
    infos: &[(String, String)],
) -> Vec<String> {
    let opts = VerifyOptions::default();
    let mut log = Vec::new();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_via(frontend, infos).await);
    }
    let drain = lb::apply(client, &target("a"), Action::Drain, false, opts)
        .await
        .expect("drain");
    note(&mut log, &drain);
    let on_a = held.iter().filter(|(_, n)| n == "a").count() as u64;
    assert_eq!(
        drain.after.as_ref().and_then(|s| s.scur),
        Some(on_a),
        "a drain keeps the open sessions"
    );
    for _ in 0..4 {
        let (_c, name) = connect_via(frontend, infos).await;
        assert_ne!(name, "a", "a drained server got a new connection");
    }
    for (c, name) in &held {
        let info = haproxy::whoami(c).await;
        assert_eq!(
            &infos.iter().find(|(_, n)| n == name).expect("info").0,
            &info
        );
    }
    let undone = lb::undo(client, drain.done.as_ref().expect("done"), opts)
        .await
        .expect("undo");
    for o in &undone {
        note(&mut log, o);
    }
    let maint = lb::apply(client, &target("victim"), Action::Maint, false, opts)
        .await
        .expect("maint");
    note(&mut log, &maint);
    for _ in 0..4 {
        let (_c, name) = connect_via(frontend, infos).await;
        assert_ne!(name, "victim", "a server in MAINT got a new connection");
    }
    let ready = lb::apply(client, &target("victim"), Action::Ready, false, opts)
        .await
        .expect("ready");
    note(&mut log, &ready);
    let weight = lb::apply(client, &target("lagging"), Action::Weight(0), false, opts)
        .await
        .expect("weight");
    note(&mut log, &weight);
    log.push(format!(
        "lagging uweight {}",
        weight.after.as_ref().map_or(0, |s| s.state.uweight)
    ));
    let drain = lb::apply(client, &target("a"), Action::Drain, false, opts)
        .await
        .expect("drain");
    note(&mut log, &drain);
    let cut = lb::apply(client, &target("a"), Action::Cut, false, opts)
        .await
        .expect("cut");
    note(&mut log, &cut);
    log.push(format!(
        "a sessions after the cut: {:?}",
        cut.after.as_ref().and_then(|s| s.scur)
    ));
    for (c, name) in &held {
        let r = c
            .call(btsops::rpc::Api::Login, "get_info", serde_json::json!([]))
            .await;
        assert_eq!(r.is_err(), name == "a", "{name}: {r:?}");
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lb_modules_actions_work_on_the_stand_in_as_on_haproxy() {
    let fleet = support::simnet::start().await;
    let infos = node_infos(&fleet, &NODES).await;
    let fake_lb = standin::start(&fleet, &NODES).await;
    let fake = action_scenario(
        &standin::client(&fake_lb),
        &standin::frontend(&fake_lb),
        &infos,
    )
    .await;
    assert!(
        fake.iter()
            .any(|l| l == "a sessions after the cut: Some(0)"),
        "{fake:#?}"
    );
    assert!(fake.iter().any(|l| l == "lagging uweight 0"), "{fake:#?}");
    let Some(h) = Haproxy::start("simnet_lb actions", &fleet, &NODES, Options::default()).await
    else {
        return;
    };
    let real = action_scenario(&h.client(), &h.frontend, &infos).await;
    assert_eq!(fake, real);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_connections_follow_weights_and_avoid_drained_and_failing_servers() {
    let fleet = support::simnet::start().await;
    let infos = node_infos(&fleet, &NODES).await;
    let s = standin::start(&fleet, &NODES).await;
    let (client, fe) = (standin::client(&s), standin::frontend(&s));
    let count = |n: usize| {
        let (fe, infos) = (fe.clone(), infos.clone());
        async move {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for _ in 0..n {
                let (_c, name) = connect_via(&fe, &infos).await;
                *counts.entry(name).or_default() += 1;
            }
            counts
        }
    };
    client
        .run_one("set server be/a weight 3")
        .await
        .expect("weight");
    client
        .run_one("set server be/lagging state drain")
        .await
        .expect("drain");
    let counts = count(20).await;
    assert_eq!(
        (counts.get("a"), counts.get("victim"), counts.get("lagging")),
        (Some(&15), Some(&5), None),
        "{counts:?}"
    );
    // A frozen node fails its check (L7TOUT) and leaves the rotation; healed, it returns.
    let victim = fleet.faults("mainnet", "victim").expect("victim");
    victim.inject(btsops::simnet::Fault::Freeze);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snap = client.snapshot().await.expect("snapshot");
        let v = snap.server(BACKEND, "victim").expect("victim");
        if v.mode == Mode::Down {
            assert_eq!(v.status, "DOWN");
            assert_eq!(v.check_status, "L7TOUT");
            break;
        }
        assert!(Instant::now() < deadline, "victim not DOWN: {v:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counts = count(6).await;
    assert_eq!(counts.get("a"), Some(&6), "{counts:?}");
    victim.recover();
    client
        .run_one("set server be/lagging state ready")
        .await
        .expect("ready");
    standin::wait_checked(&client).await;
    // Nothing usable: HAProxy's 503, and the client's connect fails.
    for srv in NODES {
        client
            .run_one(&format!("set server be/{srv} state maint"))
            .await
            .expect("maint");
    }
    let r = RpcClient::connect(&fe, support::simnet::opts(Duration::from_secs(5))).await;
    assert!(r.is_err(), "connected with every server in MAINT");
}

/// `btsops lb status --json` against a config: every LB answers with its servers.
fn lb_status_reads(config: &str, lbs: usize, servers: &[usize]) -> serde_json::Value {
    let (code, out, err) = btsops(
        &["lb", "status", "--json", "--config", config],
        &[],
        DEADLINE_S,
    );
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("status JSON");
    let list = doc["lbs"].as_array().expect("lbs");
    assert_eq!(list.len(), lbs, "{doc}");
    for (l, n) in list.iter().zip(servers) {
        assert_eq!(l["ok"], true, "{l}");
        assert_eq!(l["servers"].as_array().map(Vec::len), Some(*n), "{l}");
    }
    doc
}

/// What `btsops simnet --write-config` writes for its default fleet (built in-process:
/// the written text is `config_toml`'s, and this keeps the test independent of which
/// build of the binary a shared target dir holds at the moment).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_config_has_the_lbs_and_lb_status_reads_them() {
    let desc = default_fleet();
    let fleet = Fleet::start(&desc).await.expect("default fleet starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("btsops.toml");
    std::fs::write(&path, config_toml(&desc, &fleet)).expect("write config");
    let text = std::fs::read_to_string(&path).expect("written config");
    let cfg = btsops::config::parse(&path, &text).expect("written config is valid");
    let names: Vec<(&str, &str, &str)> = cfg
        .lbs
        .iter()
        .map(|l| (l.name.as_str(), l.network.as_str(), l.backend.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("main-lb", "mainnet", "bts_api"),
            ("test-lb", "testnet", "bts_api")
        ]
    );
    let config = path.to_str().expect("utf-8 path").to_string();
    let doc = tokio::task::block_in_place(|| {
        let (code, out, err) = btsops(&["config", "check", "--config", &config], &[], DEADLINE_S);
        assert_eq!(code, 0, "{out}{err}");
        lb_status_reads(&config, 2, &[6, 4])
    });
    assert_eq!(doc["lbs"][0]["info"]["version"], "2.6.12-btsops-simnet");
    fleet.shutdown().await;
}

async fn demo_lbs_answer(choice: LbChoice) {
    let demo = DemoFleet::start(&choice).await.expect("demo fleet starts");
    let names: Vec<&str> = demo.config.lbs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["lb-main", "lb-test"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.toml");
    std::fs::write(&path, &demo.config_text).expect("write config");
    let config = path.to_str().expect("utf-8 path").to_string();
    let doc = tokio::task::block_in_place(|| lb_status_reads(&config, 2, &[6, 3]));
    let version = doc["lbs"][0]["info"]["version"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        version == "2.6.12-btsops-simnet",
        choice == LbChoice::StandIn,
        "{version}"
    );
    // The public URL reaches a node of the network through the load balancer.
    let url = demo.lbs[0].public_url.clone();
    let c = RpcClient::connect(&url, support::simnet::opts(Duration::from_secs(5)))
        .await
        .expect("connect through the demo's load balancer");
    let id = c.get_chain_id().await.expect("chain id");
    assert_eq!(id, support::simnet::MAINNET_ID);
    // The faucet pane has the testnet's faucet, and its numbers read from the chain.
    let f = demo
        .config
        .faucet
        .as_ref()
        .expect("[faucet] in the demo's config");
    assert_eq!(
        (f.network.as_str(), f.registrar.as_str()),
        ("testnet", "faucet")
    );
    let (stats, _) = btsops::faucet::collect::collect(
        &demo.config,
        Some(&dir.path().join("cache")),
        &mut |_| {},
    )
    .await
    .expect("the demo's faucet numbers");
    assert!(stats.probe.reachable, "{:?}", stats.probe);
    assert_eq!(stats.registrar, "faucet (1.2.6)");
    // The stress pane has a testnet, an owner-only keys file and a plan whose funder
    // is in it and is a lifetime member on the demo's chain.
    let st = demo.config.stress.as_ref().expect("[stress] in the demo");
    assert_eq!(st.network, "testnet");
    let plan = btsops::stress::plan::load(st.plan.as_ref().expect("a plan")).expect("plan loads");
    let keys = btsops::stress::keys::load(st.keys_file.as_ref().expect("a keys file"))
        .expect("keys file loads (owner-only)");
    let funder = plan.funder.expect("the plan names its funder");
    assert!(
        keys.iter().any(|a| a.name == funder),
        "{funder} not in the keys file"
    );
    let t = demo
        .fleet
        .endpoints()
        .iter()
        .find(|e| e.network == "testnet" && e.kind == btsops::simnet::EndpointKind::Node)
        .expect("a testnet node")
        .url
        .clone();
    let c = RpcClient::connect(&t, support::simnet::opts(Duration::from_secs(5)))
        .await
        .expect("connect to the demo testnet");
    let acc = c
        .call(
            btsops::rpc::Api::Database,
            "get_account_by_name",
            serde_json::json!([funder]),
        )
        .await
        .expect("funder read");
    assert_eq!(acc["lifetime_referrer"], acc["id"], "{acc}");
    demo.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_lbs_with_the_stand_in() {
    demo_lbs_answer(LbChoice::StandIn).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_lbs_with_real_haproxy() {
    let Some(bin) = haproxy::haproxy_bin("simnet_lb demo with haproxy") else {
        return;
    };
    demo_lbs_answer(LbChoice::Haproxy(bin)).await;
}

/// The lb module's `exec:` transport keeps one interactive (`prompt`) session: through
/// socat to the stand-in's TCP runtime API, reads and a verified action share it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_mode_serves_the_exec_transport() {
    let Some(socat) = haproxy::socat_bin("simnet_lb prompt mode") else {
        return;
    };
    let fleet = support::simnet::start().await;
    let s = standin::start(&fleet, &NODES).await;
    let argv = vec![
        socat.to_string_lossy().into_owned(),
        "stdio".into(),
        format!("TCP:{}", s.runtime_api),
    ];
    let client = Client::new(lb::Endpoint::Exec(argv), Duration::from_secs(5));
    let snap = client.snapshot().await.expect("snapshot over prompt mode");
    assert_eq!(snap.servers.len(), NODES.len());
    let out = lb::apply(
        &client,
        &target("victim"),
        Action::Drain,
        false,
        VerifyOptions::default(),
    )
    .await
    .expect("drain over prompt mode");
    assert!(out.verified, "{}", out.summary());
    assert_eq!(
        out.after.as_ref().map(|x| x.mode),
        Some(Mode::Draining),
        "{}",
        out.summary()
    );
}
