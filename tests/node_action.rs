//! Node actions with harmless commands (`sh -c`, `echo`, `sleep`): the runner (success,
//! failure exit, streaming, a timeout that kills the whole process group), and
//! `btsops action` headless (a value with shell metacharacters stays one argument, the
//! audit line, refusals when read-only, unarmed on a protected network or unconfirmed),
//! and the config checks (key clashes, unknown placeholders, shell splices).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use btsops::node_action::run::{self, Exit, Line, Stream};
use tokio::sync::mpsc;

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

async fn run_collect(a: &[&str], timeout: Duration) -> (run::Outcome, Vec<Line>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let o = run::run(&argv(a), timeout, tx).await;
    let mut lines = Vec::new();
    while let Ok(l) = rx.try_recv() {
        lines.push(l);
    }
    (o, lines)
}

fn texts(lines: &[Line], stream: Stream) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l.stream == stream)
        .map(|l| l.text.as_str())
        .collect()
}

#[tokio::test]
async fn success_and_both_streams() {
    let (o, lines) = run_collect(
        &["sh", "-c", "echo out1; echo err1 >&2; echo out2"],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(o.exit, Exit::Code(0));
    assert!(o.exit.success());
    assert_eq!(texts(&lines, Stream::Stdout), ["out1", "out2"]);
    assert_eq!(texts(&lines, Stream::Stderr), ["err1"]);
}

#[tokio::test]
async fn failure_exit_and_a_missing_program() {
    let (o, _) = run_collect(&["sh", "-c", "exit 3"], Duration::from_secs(30)).await;
    assert_eq!(o.exit, Exit::Code(3));
    assert_eq!(o.exit.describe(Duration::from_secs(1)), "failed: exit 3");
    let (o, _) = run_collect(
        &["/nonexistent/btsops-no-such-program"],
        Duration::from_secs(30),
    )
    .await;
    assert!(matches!(o.exit, Exit::NotStarted(_)), "{:?}", o.exit);
}

/// Whether process `pid` still runs: absent, or a zombie waiting to be reaped, is gone.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next())
                .unwrap_or("?");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn the_timeout_kills_the_whole_process_group() {
    if !Path::new("/proc/self/stat").exists() {
        support::require::skip_or_fail(
            &["BTSOPS_REQUIRE_PROCFS"],
            "the_timeout_kills_the_whole_process_group",
            "no /proc to see the grandchild",
        );
        return;
    }
    // The shell starts a grandchild `sleep`, says its pid, and waits: the timeout must
    // take the grandchild too, not only the shell.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cmd = argv(&["sh", "-c", "sleep 300 & echo $!; wait"]);
    let running = tokio::spawn(async move { run::run(&cmd, Duration::from_secs(1), tx).await });
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the grandchild's pid within 20 s")
        .expect("a line");
    let pid: u32 = first.text.trim().parse().expect("a pid");
    assert!(alive(pid), "the grandchild sleep is not running");
    let o = tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the run ends within 30 s")
        .expect("run task");
    assert_eq!(o.exit, Exit::TimedOut);
    assert!(
        o.exit
            .describe(Duration::from_secs(1))
            .contains("process group killed"),
        "{:?}",
        o.exit
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "grandchild {pid} survived the timeout"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn output_streams_before_the_command_ends() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The second line only comes after the test answered the first: the first must
    // arrive while the command still runs.
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    let script = format!(
        "echo first; i=0; while [ ! -e '{}' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo second",
        go.display()
    );
    let cmd = argv(&["sh", "-c", &script]);
    let running = tokio::spawn(async move { run::run(&cmd, Duration::from_secs(30), tx).await });
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("first line within 20 s")
        .expect("a line");
    assert_eq!(first.text, "first");
    assert!(
        !running.is_finished(),
        "the command ended before its first line arrived"
    );
    std::fs::write(&go, "").unwrap();
    let o = tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("ends")
        .unwrap();
    assert_eq!(o.exit, Exit::Code(0));
    assert_eq!(rx.recv().await.map(|l| l.text), Some("second".into()));
}

// --- `btsops action`, headless ---------------------------------------------------

const CHAIN: &str = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

/// A config with one node whose `host` is full of shell metacharacters, and actions.
fn config(dir: &Path, protected: bool, read_only: bool, actions: &str) -> std::path::PathBuf {
    let text = format!(
        r#"[ui]
read_only = {read_only}

[[network]]
name = "test"
role = "testnet"
protected = {protected}
chain_id = "{CHAIN}"
prefix = "TEST"
  [[network.node]]
  name = "n1"
  url = "ws://127.0.0.1:9/ws"
  host = "h1; touch {pwned} $(touch {pwned}) `touch {pwned}` | cat > {pwned} & 'q' \"z\""
  region = "eu"
{actions}"#,
        pwned = dir.join("pwned").display(),
    );
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const ACTIONS: &str = r#"
[[action]]
name = "args"
key = "R"
scope = "node"
command = ["sh", "-c", "printf '%s\n' \"$#\" \"$1\" \"$2\"", "sh", "{host}", "{name}@{region}"]

[[action]]
name = "fail"
key = "E"
scope = "network"
command = ["sh", "-c", "echo failing on \"$1\" >&2; exit 3", "sh", "{network}"]

[[action]]
name = "touch"
key = "T"
scope = "node"
command = ["touch", "{region}"]
timeout_s = 10
"#;

fn btsops(dir: &Path, args: &[&str]) -> support::faucet::Run {
    support::faucet::btsops(dir, args, "", &[])
}

#[test]
fn a_value_with_shell_metacharacters_stays_one_argument_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), false, false, ACTIONS);
    let cfg = cfg.to_str().unwrap();
    let r = btsops(
        dir.path(),
        &["action", "args", "--target", "n1", "--yes", "--config", cfg],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let host = format!(
        "h1; touch {p} $(touch {p}) `touch {p}` | cat > {p} & 'q' \"z\"",
        p = dir.path().join("pwned").display()
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, ["2", host.as_str(), "n1@eu"], "{}", r.stdout);
    assert!(!dir.path().join("pwned").exists(), "a metacharacter ran");
    assert!(r.stderr.contains("args on node n1: exit 0"), "{}", r.stderr);
    let audit = support::faucet::audit_lines(dir.path());
    assert_eq!(audit.len(), 1, "{audit:?}");
    let a = &audit[0];
    assert_eq!(a["action"], "action args");
    assert_eq!(a["target"], "node n1");
    assert_eq!(a["network"], "test");
    assert_eq!(a["result"], "exit 0");
    assert_eq!(a["after"]["exit"], 0);
    assert_eq!(a["before"]["argv"][4], host.as_str());
    assert_eq!(a["before"]["argv"].as_array().map(Vec::len), Some(6));
}

#[test]
fn a_failing_command_exits_1_with_its_status_audited() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), false, false, ACTIONS);
    let r = btsops(
        dir.path(),
        &[
            "action",
            "fail",
            "--target",
            "test",
            "--yes",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("failing on test"), "{}", r.stderr);
    assert!(r.stderr.contains("failed: exit 3"), "{}", r.stderr);
    let audit = support::faucet::audit_lines(dir.path());
    assert_eq!(audit[0]["result"], "failed: exit 3");
    assert_eq!(audit[0]["target"], "network test");
}

#[test]
fn refused_when_read_only_unarmed_or_unconfirmed() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("eu");
    let run_touch = |cfg: &Path, extra: &[&str]| {
        let mut args = vec![
            "action",
            "touch",
            "--target",
            "n1",
            "--config",
            cfg.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        // `touch {region}` relative to the working directory: run it in `dir`.
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_btsops"));
        cmd.args(&args)
            .current_dir(dir.path())
            .env_remove("BTSOPS_CONFIG")
            .env("HOME", "/nonexistent-btsops-home")
            .env("BTSOPS_STATE_DIR", dir.path().join("state"));
        support::process::output_within(&mut cmd, Duration::from_secs(60))
    };
    let cases: [(bool, bool, &[&str], &str); 4] = [
        (false, true, &["--yes"], "read-only"),
        (false, false, &["--yes", "--read-only"], "read-only"),
        (true, false, &["--yes"], "protected"),
        (false, false, &[], "not confirmed"),
    ];
    for (protected, read_only, extra, why) in cases {
        let cfg = config(dir.path(), protected, read_only, ACTIONS);
        let out = run_touch(&cfg, extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{why}: {stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert!(stderr.contains("would run: touch eu"), "{stderr}");
        assert!(!marker.exists(), "{why}: the command ran");
    }
    assert!(support::faucet::audit_lines(dir.path()).is_empty());
    // Armed, the protected network's action runs.
    let cfg = config(dir.path(), true, false, ACTIONS);
    let out = run_touch(&cfg, &["--yes", "--armed"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(marker.exists());
}

#[test]
fn config_check_rejects_key_clashes_and_splices_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let check = |actions: &str| {
        let cfg = config(dir.path(), false, false, actions);
        let r = btsops(
            dir.path(),
            &["config", "check", "--config", cfg.to_str().unwrap()],
        );
        (r.code, r.stderr)
    };
    assert_eq!(check(ACTIONS).0, 0);
    // `q` quits the console.
    let (code, err) = check(&ACTIONS.replace("key = \"R\"", "key = \"q\""));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("config.toml:18:") && err.contains("already bound to quit"),
        "{err}"
    );
    let (code, err) = check(&ACTIONS.replace("key = \"E\"", "key = \"R\""));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("already the key of action \"args\""), "{err}");
    let (code, err) = check(&ACTIONS.replace("{region}\"]", "{regoin}\"]"));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("{regoin}")
            && err.contains("config.toml:20:")
            && err.contains("action[0].command"),
        "{err}"
    );
    let (code, err) = check(
        "[[action]]\nname = \"x\"\nkey = \"R\"\nscope = \"node\"\ncommand = [\"sh\", \"-c\", \"docker restart {name}\"]\n",
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("spliced into shell code"), "{err}");
    let (code, err) =
        check("[[action]]\nname = \"x\"\nkey = \"R\"\nscope = \"pod\"\ncommand = [\"true\"]\n");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("unknown scope \"pod\""), "{err}");
}

#[tokio::test]
async fn an_abandoned_run_takes_its_process_group_down() {
    if !Path::new("/proc/self/stat").exists() {
        support::require::skip_or_fail(
            &["BTSOPS_REQUIRE_PROCFS"],
            "an_abandoned_run_takes_its_process_group_down",
            "no /proc to see the grandchild",
        );
        return;
    }
    // The console quitting mid-action drops the run: the grandchild must not outlive it.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cmd = argv(&["sh", "-c", "sleep 300 & echo $!; wait"]);
    let running = tokio::spawn(async move { run::run(&cmd, Duration::from_secs(300), tx).await });
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the grandchild's pid within 20 s")
        .expect("a line");
    let pid: u32 = first.text.trim().parse().expect("a pid");
    assert!(alive(pid));
    running.abort();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "grandchild {pid} survived the abandoned run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
