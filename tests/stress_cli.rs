//! `btsops stress run` as a process against simnet: refused without --yes, a transfer run
//! with an owner-only keys file, the report beside --report, Prometheus text on --metrics
//! while it runs, SIGTERM stopping a run that still writes its report.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::process::{output_within, wait_within};
use support::stress as st;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(fleet: &btsops::simnet::FleetHandle, limits: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let keys = st::keys_file(dir.path());
        let limits = format!("keys_file = \"{}\"\n{limits}", keys.display());
        std::fs::write(
            dir.path().join("config.toml"),
            st::config_text(fleet, &limits),
        )
        .unwrap();
        Env { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self, plan: &str, extra: &[&str]) -> Command {
        std::fs::write(self.path("plan.toml"), plan).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_btsops"));
        c.args(["stress", "run", "--plan"])
            .arg(self.path("plan.toml"))
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(extra)
            .env("BTSOPS_STATE_DIR", self.path("state"))
            .env("BTSOPS_DATA_DIR", self.path("data"))
            .stdin(Stdio::null());
        c
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("state").join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

const TRANSFER: &str = "kind = \"transfer\"\nrate = 10\nduration_s = 2\nsenders = 2\nfunder = \"funder\"\ntargets = [\"a\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_without_yes_then_a_confirmed_transfer_run_reports_and_audits() {
    let fleet = st::start().await;
    let env = Env::new(&fleet, st::LIMITS);
    let mut c = env.cmd(TRANSFER, &[]);
    let out = tokio::task::spawn_blocking(move || output_within(&mut c, Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(st::broadcasts(&fleet, "testnet", "a"), 0);

    let rep = env.path("out/run.json");
    let mut c = env.cmd(TRANSFER, &["--yes", "--report", rep.to_str().unwrap()]);
    let out = tokio::task::spawn_blocking(move || output_within(&mut c, Duration::from_secs(60)))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("stress:") && stderr.contains("accepted"),
        "{stderr}"
    );
    let r = report(&rep);
    assert_eq!(r["aborted"], Value::Null);
    assert_eq!(r["totals"]["sent"], 20);
    assert_eq!(r["totals"]["accepted"], 20);
    assert!(
        std::fs::read_to_string(env.path("out/run.md"))
            .unwrap()
            .contains("**Completed.**")
    );
    // Sender keys kept owner-only in the data dir.
    let store = btsops::stress::keys::sender_store(&env.path("data"), "testnet");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&store).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let audit = env.audit();
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["stress start", "stress end"]);
    assert_eq!(audit[1]["result"], "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_while_running_and_sigterm_stops_with_a_report() {
    let fleet = st::start().await;
    let env = Env::new(&fleet, st::LIMITS);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let rep = env.path("r.json");
    let plan = "kind = \"read\"\nrate = 20\nduration_s = 30\ntargets = [\"a\"]\n";
    let mut c = env.cmd(
        plan,
        &[
            "--yes",
            "--metrics",
            &addr,
            "--report",
            rep.to_str().unwrap(),
        ],
    );
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Scrape until the counters move (bounded).
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        assert!(Instant::now() < deadline, "no metrics with sent > 0");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let Ok(mut s) = std::net::TcpStream::connect(&addr) else {
            continue;
        };
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        if text.contains("btsops_stress_running 1")
            && !text.contains("btsops_stress_sent_total 0\n")
        {
            break text;
        }
    };
    assert!(body.starts_with("HTTP/1.0 200 OK"), "{body}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        wait_within(&mut child, Duration::from_secs(20), "stress run")
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1));
    let r = report(&rep);
    assert_eq!(r["aborted"], "stopped by SIGTERM");
    let sent = r["totals"]["sent"].as_u64().unwrap();
    assert!(sent > 0 && sent < 600, "{sent}");
}
