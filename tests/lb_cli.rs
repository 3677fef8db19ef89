//! `btsops lb ...` headless, as a process, against a real haproxy in front of simnet:
//! the safety gate (--yes, read-only, protected), exit codes (0 only when verified), and
//! the audit log. Skips (with a SKIP line) without haproxy unless BTSOPS_REQUIRE_HAPROXY=1.

mod support;

use std::path::Path;

use btsops::lb::Mode;
use support::haproxy::{BACKEND, Haproxy, Options, btsops};

const NODES: [&str; 2] = ["a", "victim"];
const PASSWORD: &str = "hunter2-lb-password";
const PASS_ENV: &str = "BTSOPS_TEST_LB_PASS";
/// Each btsops run gets this long before it is killed and the test fails.
const DEADLINE_S: u64 = 30;

/// A config with one network (a protected mainnet or a testnet) and one LB on `sock`.
fn write_config(dir: &Path, name: &str, sock: &Path, mainnet: bool, read_only: bool) -> String {
    let (role, chain) = if mainnet {
        ("mainnet", support::simnet::MAINNET_ID)
    } else {
        (
            "testnet",
            "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447",
        )
    };
    let text = format!(
        r#"[ui]
read_only = {read_only}

[[network]]
name = "net"
role = "{role}"
chain_id = "{chain}"
prefix = "TEST"

  [[network.node]]
  name = "n1"
  url = "ws://127.0.0.1:9"

[[lb]]
name = "lb1"
network = "net"
runtime_api = "unix:{}"
backend = "{BACKEND}"
public_url = "ws://127.0.0.1:9"
user = "ops"
password_env = "{PASS_ENV}"
"#,
        sock.display()
    );
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path.to_string_lossy().into_owned()
}

fn audit_lines(state: &Path) -> Vec<serde_json::Value> {
    match std::fs::read_to_string(state.join("audit.jsonl")) {
        Ok(t) => t
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn mode(h: &Haproxy, server: &str) -> Mode {
    h.snapshot()
        .await
        .server(BACKEND, server)
        .expect("server")
        .mode
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_need_yes_and_pass_the_safety_gate() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb cli gate", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let st = state.to_string_lossy().into_owned();
    let env = [("BTSOPS_STATE_DIR", st.as_str()), (PASS_ENV, PASSWORD)];
    let testnet = write_config(dir.path(), "t.toml", &h.admin_sock, false, false);
    let read_only = write_config(dir.path(), "ro.toml", &h.admin_sock, false, true);
    let mainnet = write_config(dir.path(), "m.toml", &h.admin_sock, true, false);
    let drain = |cfg: &str, extra: &[&str]| {
        let mut args = vec!["lb", "drain", "lb1/be/a", "--config", cfg];
        args.extend_from_slice(extra);
        btsops(&args, &env, DEADLINE_S)
    };

    let (code, _, err) = tokio::task::block_in_place(|| drain(&testnet, &[]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("--yes"), "{err}");
    let (code, _, err) = tokio::task::block_in_place(|| drain(&read_only, &["--yes"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("read-only"), "{err}");
    let (code, _, err) = tokio::task::block_in_place(|| drain(&testnet, &["--yes", "--read-only"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("read-only"), "{err}");
    let (code, _, err) = tokio::task::block_in_place(|| drain(&mainnet, &["--yes"]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("protected"), "{err}");
    // Nothing was sent, and nothing attempted was logged.
    assert_eq!(mode(&h, "a").await, Mode::Ready);
    assert!(audit_lines(&state).is_empty());

    let (code, out, err) = tokio::task::block_in_place(|| drain(&mainnet, &["--yes", "--armed"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(mode(&h, "a").await, Mode::Draining);
    assert_eq!(audit_lines(&state).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_actions_exit_0_and_are_audited_without_the_password() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb cli audit", &fleet, &NODES, Options::default()).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let st = state.to_string_lossy().into_owned();
    let env = [("BTSOPS_STATE_DIR", st.as_str()), (PASS_ENV, PASSWORD)];
    let cfg = write_config(dir.path(), "t.toml", &h.admin_sock, false, false);
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--config", &cfg]);
        tokio::task::block_in_place(|| btsops(&a, &env, DEADLINE_S))
    };

    let (code, out, err) = run(&["lb", "drain", "lb1/be/a", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verified") && !out.contains("NOT"), "{out}");
    assert_eq!(mode(&h, "a").await, Mode::Draining);
    let lines = audit_lines(&state);
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["network"], "net");
    assert_eq!(l["target"], "lb1/be/a");
    assert_eq!(l["action"], "drain");
    assert_eq!(l["result"], "verified");
    assert_eq!(l["before"]["mode"], "ready");
    assert_eq!(l["after"]["mode"], "draining");
    assert_eq!(l["after"]["admin_state"], 8);
    for k in ["time", "user", "host"] {
        assert!(l[k].as_str().is_some_and(|v| !v.is_empty()), "{k}: {l}");
    }

    // The other server is now the last one taking traffic.
    let (code, _, err) = run(&["lb", "maint", "lb1/be/victim", "--yes"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(mode(&h, "victim").await, Mode::Ready);
    let (code, out, err) = run(&["lb", "weight", "lb1/be/victim", "5", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["lb", "ready", "lb1/be/a", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["lb", "cut", "lb1/be/a", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");

    let lines = audit_lines(&state);
    let results: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap_or(""),
                l["result"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(results.len(), 5, "{results:?}");
    assert!(
        results[1].0 == "maint" && results[1].1.starts_with("refused"),
        "{results:?}"
    );
    assert_eq!(results[2], ("weight 5", "verified"));
    assert_eq!(results[3], ("ready", "verified"));
    assert_eq!(results[4], ("cut", "verified"));
    let text = std::fs::read_to_string(state.join("audit.jsonl")).expect("audit");
    assert!(!text.contains(PASSWORD), "the audit log holds the password");

    let (code, out, err) = run(&["lb", "status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("status JSON");
    let lb = &doc["lbs"][0];
    assert_eq!(lb["name"], "lb1");
    assert_eq!(lb["ok"], true);
    let servers = lb["servers"].as_array().expect("servers");
    let victim = servers
        .iter()
        .find(|s| s["name"] == "victim")
        .expect("victim");
    assert_eq!(victim["state"]["uweight"], 5);
    assert_eq!(victim["mode"], "ready");
    let (code, out, _) = run(&["lb", "status"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("be/victim") && out.contains("lb1 (net)"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_or_failed_actions_exit_non_zero() {
    let fleet = support::simnet::start().await;
    let Some(h) = Haproxy::start("lb cli failures", &fleet, &NODES, Options::default()).await
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let st = state.to_string_lossy().into_owned();
    let env = [("BTSOPS_STATE_DIR", st.as_str())];
    // The level-user socket answers `Permission denied` and changes nothing.
    let ro_sock = write_config(dir.path(), "ro.toml", &h.user_sock, false, false);
    let run = |args: &[&str]| tokio::task::block_in_place(|| btsops(args, &env, DEADLINE_S));
    let (code, out, err) = run(&[
        "lb",
        "drain",
        "lb1/be/a",
        "--yes",
        "--timeout",
        "0.3",
        "--config",
        &ro_sock,
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("NOT verified") && out.contains("Permission denied"),
        "{out}"
    );
    let lines = audit_lines(&state);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0]["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("not verified")),
        "{}",
        lines[0]
    );
    assert_eq!(mode(&h, "a").await, Mode::Ready);

    let cfg = write_config(dir.path(), "t.toml", &h.admin_sock, false, false);
    let (code, _, err) = run(&["lb", "drain", "lb1/be/nope", "--yes", "--config", &cfg]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("servers: a, victim"), "{err}");
    let (code, _, err) = run(&["lb", "drain", "lbx/be/a", "--yes", "--config", &cfg]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no load balancer \"lbx\""), "{err}");
    let (code, _, err) = run(&["lb", "drain", "lb1/be/a;x", "--yes", "--config", &cfg]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a HAProxy name"), "{err}");

    // exec: in the config: a program whose stdin/stdout is the socket.
    let Some(socat) = support::haproxy::socat_bin("lb cli exec") else {
        return;
    };
    let via = format!(
        "exec:{} stdio UNIX-CONNECT:{}",
        socat.display(),
        h.admin_sock.display()
    );
    let exec_cfg = std::fs::read_to_string(&cfg)
        .expect("config")
        .replace(&format!("unix:{}", h.admin_sock.display()), &via);
    let exec_path = dir.path().join("exec.toml");
    std::fs::write(&exec_path, exec_cfg).expect("write");
    let exec_cfg = exec_path.to_string_lossy().into_owned();
    let (code, out, err) = run(&["lb", "status", "--config", &exec_cfg]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("exec:") && out.contains("be/victim"), "{out}");
    let (code, out, err) = run(&[
        "lb",
        "maint",
        "lb1/be/victim",
        "--yes",
        "--config",
        &exec_cfg,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(mode(&h, "victim").await, Mode::MaintForced);
    std::fs::write(
        &exec_path,
        std::fs::read_to_string(&cfg)
            .expect("config")
            .replace(&format!("unix:{}", h.admin_sock.display()), "exec: "),
    )
    .expect("write");
    let (code, _, err) = run(&["lb", "status", "--config", &exec_cfg]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("lb[0].runtime_api") && err.contains("exec: needs a command"),
        "{err}"
    );

    // An LB that does not answer: status and actions fail, naming it.
    let gone = write_config(
        dir.path(),
        "gone.toml",
        &dir.path().join("none.sock"),
        false,
        false,
    );
    let (code, out, _) = run(&["lb", "status", "--config", &gone]);
    assert_eq!(code, 1);
    assert!(
        out.contains("lb1 (net): ERROR") && out.contains("none.sock"),
        "{out}"
    );
    let (code, _, err) = run(&["lb", "ready", "lb1/be/a", "--yes", "--config", &gone]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("connect"), "{err}");
}
