//! The lb module against a real `haproxy -db` in front of simnet nodes: every state read
//! and parsed, and each action applied, verified on the re-read state, and seen in traffic.
//! Skips (with a SKIP line) without haproxy unless BTSOPS_REQUIRE_HAPROXY=1.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use btsops::lb::{
    self, Action, ApplyError, Client, Endpoint, Mode, Refusal, Target, UndoRefusal, VerifyOptions,
};
use btsops::rpc::RpcClient;
use support::haproxy::{self, BACKEND, Haproxy, Options, connect_through, node_infos};

const NODES: [&str; 2] = ["a", "victim"];

fn target(server: &str) -> Target {
    Target::new(BACKEND, server).expect("valid names")
}

fn opts() -> VerifyOptions {
    VerifyOptions::default()
}

/// Opens `n` websockets through the frontend one after the other and counts which node
/// each reached; the connections stay open and are returned.
async fn open_many(
    h: &Haproxy,
    infos: &[(String, String)],
    n: usize,
) -> (Vec<(RpcClient, String)>, BTreeMap<String, usize>) {
    let mut conns = Vec::new();
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        let (c, name) = connect_through(h, infos).await;
        *counts.entry(name.clone()).or_insert(0) += 1;
        conns.push((c, name));
    }
    (conns, counts)
}

#[tokio::test]
async fn every_state_is_read_and_parsed_over_unix_and_tcp() {
    let fleet = support::simnet::start().await;
    let o = Options {
        backups: vec!["lagging".into()],
        ..Options::default()
    };
    let Some(h) = Haproxy::start("lb every_state", &fleet, &["a", "victim", "lagging"], o).await
    else {
        return;
    };
    let snap = h.snapshot().await;
    // Not in master-worker mode: the process answering is the one the test started.
    assert_eq!(snap.info.pid, h.pid());
    assert!(snap.info.version.starts_with('2'), "{}", snap.info.version);
    assert_eq!(snap.servers.len(), 3);
    for s in &snap.servers {
        assert_eq!(s.backend, BACKEND);
        assert_eq!(s.mode, Mode::Ready, "{s:?}");
        assert!(s.checked && s.status.starts_with("UP"), "{s:?}");
        assert_eq!((s.state.uweight, s.state.iweight), (1, 1));
        assert_eq!(s.check_status, "L7OK", "{s:?}");
        assert_eq!(s.backup, s.name == "lagging");
        let port = fleet
            .endpoint("mainnet", &s.name)
            .expect("node")
            .addr
            .port();
        assert_eq!(s.state.port, Some(port));
    }
    // The full `show stat`, frontend rows included, with a real CSV reader.
    let client = h.client();
    let text = client.run_one("show stat").await.expect("show stat");
    let rows = lb::stat::parse_stat(&text).expect("parses");
    let fe = rows
        .iter()
        .find(|r| r.pxname == "fe" && r.svname == "FRONTEND")
        .expect("frontend row");
    assert_eq!(fe.status, "OPEN");
    assert!(fe.fields.len() > 80, "{} columns", fe.fields.len());
    let be = rows
        .iter()
        .find(|r| r.pxname == BACKEND && r.svname == "BACKEND")
        .expect("backend row");
    assert_eq!(
        (be.act, be.bck),
        (Some(2), Some(1)),
        "usable active/backup counts"
    );
    // A node that refuses connections goes DOWN through the `DOWN 1/2`-style streak.
    fleet
        .faults("mainnet", "lagging")
        .expect("lagging")
        .refuse_connections();
    let mut down = None;
    for _ in 0..100 {
        let s = h.snapshot().await;
        let l = s.server(BACKEND, "lagging").expect("lagging").clone();
        if l.mode == Mode::Down {
            down = Some(l);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let down = down.unwrap_or_else(|| panic!("lagging never went DOWN: {}", h.log()));
    assert!(down.status.starts_with("DOWN"), "{down:?}");
    assert!(!down.checked && !down.takes_new_traffic(), "{down:?}");
    assert_eq!(down.check_status, "L4CON", "{down:?}");
    let snap = h.snapshot().await;
    // The same state over the TCP runtime API.
    let tcp = Client::new(Endpoint::Tcp(h.tcp_api.to_string()), Duration::from_secs(5));
    let over_tcp = tcp.snapshot().await.expect("tcp snapshot");
    assert_eq!(over_tcp.info.pid, snap.info.pid);
    let names = |s: &lb::Snapshot| s.servers.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&over_tcp), names(&snap));
}

#[tokio::test]
async fn drain_moves_new_connections_and_keeps_open_ones_then_undo() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb drain", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let infos = node_infos(&fleet, &NODES).await;
    let (held, counts) = open_many(&h, &infos, 4).await;
    assert_eq!(
        counts.get("a"),
        Some(&2),
        "round robin before the drain: {counts:?}"
    );

    let client = h.client();
    let out = lb::apply(&client, &target("a"), Action::Drain, false, opts())
        .await
        .expect("drain");
    assert!(out.verified, "{}", out.summary());
    assert_eq!(out.reply, "", "drain answers nothing");
    let after = out.after.as_ref().expect("server");
    assert_eq!(after.mode, Mode::Draining);
    assert_eq!(
        after.state.admin_state & lb::servers_state::admin::FORCED_DRAIN,
        8
    );
    assert_eq!(after.scur, Some(2), "the two open sessions stay");

    let (_new, counts) = open_many(&h, &infos, 6).await;
    assert_eq!(
        counts.get("a"),
        None,
        "a drained server got new connections: {counts:?}"
    );
    assert_eq!(counts.get("victim"), Some(&6));
    // The websockets opened before the drain keep working, on the node they had.
    for (c, name) in &held {
        assert_eq!(
            &haproxy::whoami(c).await,
            &infos.iter().find(|(_, n)| n == name).expect("info").0
        );
    }

    let done = out.done.expect("a verified action can be undone");
    let undone = lb::undo(&client, &done, opts()).await.expect("undo");
    assert_eq!(undone.len(), 1);
    assert_eq!(undone[0].action, Action::Ready);
    assert!(undone[0].verified, "{}", undone[0].summary());
    let (_back, counts) = open_many(&h, &infos, 4).await;
    assert!(
        counts.get("a").is_some_and(|n| *n > 0),
        "a is back: {counts:?}"
    );
    // The server is no longer as the drain left it: a second undo is refused.
    let again = lb::undo(&client, &done, opts()).await;
    assert!(
        matches!(
            again,
            Err(ApplyError::UndoRefused(UndoRefusal::Changed { .. }))
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn maint_then_ready() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb maint", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let infos = node_infos(&fleet, &NODES).await;
    let client = h.client();
    let out = lb::apply(&client, &target("victim"), Action::Maint, false, opts())
        .await
        .expect("maint");
    assert!(out.verified, "{}", out.summary());
    let s = out.after.as_ref().expect("server");
    assert_eq!(s.mode, Mode::MaintForced);
    assert_eq!(s.status, "MAINT");
    let (_c, counts) = open_many(&h, &infos, 4).await;
    assert_eq!(counts.get("a"), Some(&4), "{counts:?}");

    let out = lb::apply(&client, &target("victim"), Action::Ready, false, opts())
        .await
        .expect("ready");
    assert!(out.verified, "{}", out.summary());
    let s = out.after.as_ref().expect("server");
    assert!(s.checked && s.mode == Mode::Ready, "{s:?}");
    let (_c, counts) = open_many(&h, &infos, 4).await;
    assert_eq!(counts.get("victim"), Some(&2), "{counts:?}");
}

#[tokio::test]
async fn weights_three_to_one_split_new_connections() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb weight", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let infos = node_infos(&fleet, &NODES).await;
    let client = h.client();
    let out = lb::apply(&client, &target("a"), Action::Weight(3), false, opts())
        .await
        .expect("weight");
    assert!(out.verified, "{}", out.summary());
    assert_eq!(out.after.as_ref().expect("server").state.uweight, 3);
    // Held open, so HAProxy's own session counts must show the same split.
    let (_held, counts) = open_many(&h, &infos, 40).await;
    assert_eq!(counts.get("a"), Some(&30), "{counts:?}");
    assert_eq!(counts.get("victim"), Some(&10), "{counts:?}");
    let snap = h.snapshot().await;
    let scur = |n| snap.server(BACKEND, n).expect("server").scur;
    assert_eq!((scur("a"), scur("victim")), (Some(30), Some(10)));
    // Out of range is refused before anything is sent.
    let e = lb::apply(&client, &target("a"), Action::Weight(300), false, opts()).await;
    assert!(
        matches!(e, Err(ApplyError::Refused(Refusal::BadWeight(300)))),
        "{e:?}"
    );
}

#[tokio::test]
async fn cut_closes_the_open_sessions() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb cut", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let infos = node_infos(&fleet, &NODES).await;
    let client = h.client();
    let (held, _) = open_many(&h, &infos, 4).await;
    // Drain first so the cut clients cannot come straight back (the usual sequence).
    let d = lb::apply(&client, &target("a"), Action::Drain, false, opts())
        .await
        .expect("drain");
    assert!(d.verified, "{}", d.summary());
    let out = lb::apply(&client, &target("a"), Action::Cut, false, opts())
        .await
        .expect("cut");
    assert!(out.verified, "{}", out.summary());
    assert_eq!(out.before.scur, Some(2));
    assert_eq!(out.after.as_ref().expect("server").scur, Some(0));
    assert!(out.done.is_some());
    for (c, name) in &held {
        let r = c
            .call(btsops::rpc::Api::Login, "get_info", serde_json::json!([]))
            .await;
        if name == "a" {
            assert!(r.is_err(), "a session on the cut server still answers");
        } else {
            assert!(r.is_ok(), "a session on the other server was cut: {r:?}");
        }
    }
    // Cut sessions cannot be restored.
    let u = lb::undo(&client, out.done.as_ref().expect("done"), opts()).await;
    assert!(
        matches!(u, Err(ApplyError::UndoRefused(UndoRefusal::NotUndoable))),
        "{u:?}"
    );
}

#[tokio::test]
async fn unknown_names_and_text_replies_are_failures() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb unknown", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let client = h.client();
    let e = lb::apply(&client, &target("nope"), Action::Drain, false, opts()).await;
    let Err(ApplyError::Refused(r @ Refusal::UnknownServer { .. })) = e else {
        panic!("expected an unknown-server refusal, got {e:?}");
    };
    assert!(r.to_string().contains("servers: a, victim"), "{r}");
    let e = lb::apply(
        &client,
        &Target::new("nobackend", "a").expect("names"),
        Action::Drain,
        false,
        opts(),
    )
    .await;
    assert!(
        matches!(e, Err(ApplyError::Refused(Refusal::UnknownBackend { .. }))),
        "{e:?}"
    );
    // HAProxy's own answer is free text, not a status: the client hands it back as is.
    let reply = client
        .run_one("set server be/nope state drain")
        .await
        .expect("reply");
    assert_eq!(reply.trim(), "No such server.");

    // On a read-only (level user) socket the command is answered with text and changes
    // nothing: the re-read state decides, so the drain is not verified.
    let ro = Client::new(Endpoint::Unix(h.user_sock.clone()), Duration::from_secs(5));
    let fast = VerifyOptions {
        interval: Duration::from_millis(50),
        timeout: Duration::from_millis(300),
    };
    let out = lb::apply(&ro, &target("a"), Action::Drain, false, fast)
        .await
        .expect("reads work at level user");
    assert!(!out.verified, "{}", out.summary());
    assert!(out.reply.contains("Permission denied"), "{:?}", out.reply);
    assert!(out.reads >= 2, "kept re-reading: {}", out.reads);
    assert!(out.done.is_none());
    assert_eq!(
        h.snapshot().await.server(BACKEND, "a").expect("a").mode,
        Mode::Ready
    );
}

#[tokio::test]
async fn the_last_server_taking_traffic_needs_force() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb last up", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let client = h.client();
    let m = lb::apply(&client, &target("victim"), Action::Maint, false, opts())
        .await
        .expect("maint");
    assert!(m.verified);
    let e = lb::apply(&client, &target("a"), Action::Drain, false, opts()).await;
    assert!(
        matches!(e, Err(ApplyError::Refused(Refusal::LastUp { .. }))),
        "{e:?}"
    );
    assert_eq!(
        h.snapshot().await.server(BACKEND, "a").expect("a").mode,
        Mode::Ready
    );
    let out = lb::apply(&client, &target("a"), Action::Drain, true, opts())
        .await
        .expect("forced drain");
    assert!(out.verified, "{}", out.summary());
}

#[tokio::test]
async fn exec_transport_keeps_one_session_through_socat() {
    let fleet = support::simnet::start().await;
    let Some(socat) = haproxy::socat_bin("lb exec") else {
        return;
    };
    let Some(h) = Haproxy::start("lb exec", &fleet, &NODES, Options::default()).await else {
        return;
    };
    // A wrapper that notes each start, as `ssh lb1 socat ...` would cost one ssh each.
    let starts = h.dir.path().join("starts");
    let script = format!(
        "echo start >> {}; exec {} stdio UNIX-CONNECT:{}",
        starts.display(),
        socat.display(),
        h.admin_sock.display()
    );
    let client = Client::new(
        Endpoint::Exec(vec!["sh".into(), "-c".into(), script]),
        Duration::from_secs(5),
    );
    let snap = client.snapshot().await.expect("snapshot over exec");
    assert_eq!(snap.info.pid, h.pid());
    assert_eq!(snap.servers.len(), 2);
    let out = lb::apply(&client, &target("a"), Action::Drain, false, opts())
        .await
        .expect("drain over exec");
    assert!(out.verified, "{}", out.summary());
    assert!(out.reads >= 1);
    let reply = client
        .run_one("set server be/nope state drain")
        .await
        .expect("reply");
    assert_eq!(reply.trim(), "No such server.");
    let started = std::fs::read_to_string(&starts).expect("starts file");
    assert_eq!(started.lines().count(), 1, "one session for every call");
    // The state changed for everyone, not just this session.
    assert_eq!(
        h.snapshot().await.server(BACKEND, "a").expect("a").mode,
        Mode::Draining
    );
}

/// A session that ends between calls (HAProxy's `stats timeout`, an ssh drop) is replaced
/// by a new one on the next call.
#[tokio::test]
async fn exec_session_that_ended_is_reopened() {
    let fleet = support::simnet::start().await;
    let Some(socat) = haproxy::socat_bin("lb exec reopen") else {
        return;
    };
    let Some(h) = Haproxy::start("lb exec reopen", &fleet, &NODES, Options::default()).await else {
        return;
    };
    // Each session notes its pid (socat's, after the exec).
    let starts = h.dir.path().join("starts");
    let script = format!(
        "echo $$ >> {}; exec {} stdio UNIX-CONNECT:{}",
        starts.display(),
        socat.display(),
        h.admin_sock.display()
    );
    let client = Client::new(
        Endpoint::Exec(vec!["sh".into(), "-c".into(), script]),
        Duration::from_secs(5),
    );
    client.snapshot().await.expect("first read");
    let first = std::fs::read_to_string(&starts).expect("starts file");
    let pid = first.trim().to_string();
    let st = std::process::Command::new("kill")
        .arg(&pid)
        .status()
        .expect("run kill");
    assert!(st.success(), "kill {pid}");
    // Bounded wait until the session's process is gone (a zombie until the client reaps it).
    let alive =
        || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    for _ in 0..100 {
        if !alive() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let snap = client
        .snapshot()
        .await
        .expect("read after the session ended");
    assert_eq!(snap.servers.len(), 2);
    let started = std::fs::read_to_string(&starts).expect("starts file");
    assert_eq!(started.lines().count(), 2, "a second session: {started}");
}

#[tokio::test]
async fn a_reload_is_detected_and_undo_refused() {
    let fleet = support::simnet::start().await;
    let o = Options {
        master_worker: true,
        ..Options::default()
    };
    let Some(h) = Haproxy::start("lb reload", &fleet, &NODES, o).await else {
        return;
    };
    let client = h.client();
    let before = client.snapshot().await.expect("read");
    assert_ne!(
        before.info.pid,
        h.pid(),
        "the worker answers, not the master"
    );
    let out = lb::apply(&client, &target("a"), Action::Drain, false, opts())
        .await
        .expect("drain");
    assert!(out.verified);
    let done = out.done.expect("done");

    h.reload().await;
    // Bounded: the new worker answers within a few hundred ms.
    let mut now = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(s) = client.snapshot().await
            && s.info.pid != before.info.pid
        {
            now = Some(s);
            break;
        }
    }
    let now = now.unwrap_or_else(|| panic!("no new worker after SIGUSR2: {}", h.log()));
    let reload = lb::detect_reload(&before.info, &now.info, 1).expect("reload detected");
    assert_eq!(reload.old_pid, before.info.pid);
    assert!(reload.to_string().contains("server-state-file"), "{reload}");
    // Without a server-state file the drain is gone, and undo says so.
    assert_ne!(now.server(BACKEND, "a").expect("a").mode, Mode::Draining);
    let u = lb::undo(&client, &done, opts()).await;
    assert!(
        matches!(
            u,
            Err(ApplyError::UndoRefused(UndoRefusal::Reloaded { .. }))
        ),
        "{u:?}"
    );
}

/// A TLS wrapper that refuses the client closes with no output: an error, never success.
#[tokio::test]
async fn an_empty_reply_is_an_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            // Read the request, as the wrapper's TLS layer does, then close without a word.
            let mut buf = [0u8; 4096];
            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut s).await;
        }
    });
    let c = Client::new(Endpoint::Tcp(addr.to_string()), Duration::from_secs(2));
    let e = c.snapshot().await.expect_err("empty reply");
    assert!(e.to_string().contains("no reply"), "{e}");
    assert!(e.to_string().contains(&format!("tcp:{addr}")), "{e}");
    let e = lb::apply(&c, &target("a"), Action::Drain, false, opts()).await;
    assert!(matches!(e, Err(ApplyError::Lb(_))), "{e:?}");
    server.abort();
    // The same over exec: a command that exits without a word.
    let c = Client::new(Endpoint::Exec(vec!["true".into()]), Duration::from_secs(2));
    let e = c.snapshot().await.expect_err("empty reply");
    assert!(e.to_string().contains("no reply"), "{e}");
    let c = Client::new(
        Endpoint::Exec(vec!["/nonexistent/btsops-no-such-program".into()]),
        Duration::from_secs(2),
    );
    let e = c.snapshot().await.expect_err("no program");
    assert!(e.to_string().contains("cannot run"), "{e}");
}
