//! The real run loop on a pseudo-terminal (util-linux `script`): frames in
//! synchronized output, and the terminal restored on `q`, SIGTERM and SIGHUP.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `cmd` under `script` on an 80x24 pty, feeding `input` after `delay`;
/// returns everything written to the terminal and the exit code.
fn on_pty(cmd: &str, input: &[u8], delay: Duration) -> (Vec<u8>, Option<i32>) {
    on_pty_with(cmd, &[], input, delay)
}

/// As `on_pty`, with extra environment variables.
fn on_pty_with(
    cmd: &str,
    env: &[(&str, &std::path::Path)],
    input: &[u8],
    delay: Duration,
) -> (Vec<u8>, Option<i32>) {
    let bin = env!("CARGO_BIN_EXE_btsops");
    let full = format!("stty rows 24 cols 80; {}", cmd.replace("BTSOPS", bin));
    let mut child = Command::new("script")
        .args(["-qefc", &full, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().copied())
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    stdin.flush().unwrap();
    // Keep stdin open until the child is done: closing it would end the session.
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    (out.stdout, out.status.code())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn last_index(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn q_quits_and_restores_the_terminal() {
    if !script_available() {
        println!("SKIP: util-linux `script` not found");
        return;
    }
    let (out, code) = on_pty(
        "BTSOPS replay tests/fixtures/monitor_faults.jsonl --paused",
        b"?q",
        Duration::from_secs(2),
    );
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out));
    assert!(contains(&out, b"\x1b[?1049h"), "no alternate screen");
    assert!(contains(&out, b"\x1b[?2026h") && contains(&out, b"\x1b[?2026l"));
    assert!(contains(&out, "help".as_bytes()));
    // Left the alternate screen after the last frame, and showed the cursor.
    let leave = last_index(&out, b"\x1b[?1049l").expect("alternate screen left");
    let last_frame = last_index(&out, b"\x1b[?2026l").unwrap_or(0);
    assert!(leave > last_frame);
    assert!(contains(&out[leave..], b"\x1b[?25h") || contains(&out[..leave], b"\x1b[?25h"));
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !script_available() {
        println!("SKIP: util-linux `script` not found");
        return;
    }
    for sig in ["TERM", "HUP"] {
        let (out, _) = on_pty(
            &format!(
                "timeout --foreground -s {sig} 3 BTSOPS replay tests/fixtures/monitor_faults.jsonl; echo AFTER=$?"
            ),
            b"",
            Duration::from_millis(100),
        );
        let text = String::from_utf8_lossy(&out);
        assert!(
            contains(&out, b"\x1b[?2026h"),
            "{sig}: no frame drawn: {text}"
        );
        assert!(contains(&out, b"\x1b[?1049l"), "{sig}: {text}");
        // `timeout` reports 124 when it had to send the signal; the console then exited.
        assert!(text.contains("AFTER=124"), "{sig}: {text}");
    }
}

/// The console on a config whose one node refuses connections (an alert at once),
/// with its state directory in `state`: `keys` are typed after three seconds, then the
/// alert marks file is read back. Killed after 20 s if `q` did not end it.
fn console_run(config: &std::path::Path, state: &std::path::Path, keys: &[u8]) -> String {
    let (out, code) = on_pty_with(
        &format!("timeout -s KILL 20 BTSOPS --config {}", config.display()),
        &[("BTSOPS_STATE_DIR", state)],
        keys,
        Duration::from_secs(3),
    );
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out));
    std::fs::read_to_string(state.join("alerts.json")).unwrap_or_default()
}

/// The acknowledgement made in one run is written to `$BTSOPS_STATE_DIR/alerts.json`
/// by the real run loop, read by the next run and carried over to the alert there.
#[test]
fn an_ack_is_written_to_the_state_dir_and_carried_over_by_the_next_run() {
    if !script_available() {
        println!("SKIP: util-linux `script` not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A loopback port with nothing listening: the node is down from its first probe.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[monitor]\nprobe_interval_ms = 300\ntimeout_ms = 500\n\n[[network]]\nname = \"m\"\nrole = \"testnet\"\nchain_id = \"{}\"\nprefix = \"TEST\"\n  [[network.node]]\n  name = \"gone\"\n  url = \"ws://127.0.0.1:{port}/\"\n",
            "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447"
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let first = console_run(&config, &state, b"3aq");
    let raised_first = acked_raised(&first, "status:gone");
    let second = console_run(&config, &state, b"q");
    // The new engine raised the alert anew; the saved ack moved to this episode.
    let raised_second = acked_raised(&second, "status:gone");
    assert!(
        raised_second > raised_first,
        "the second run did not take over the ack: {second}"
    );
}

fn acked_raised(marks: &str, id: &str) -> f64 {
    let v: serde_json::Value =
        serde_json::from_str(marks).unwrap_or_else(|e| panic!("{e}: {marks:?}"));
    v["acked"][id]
        .as_f64()
        .unwrap_or_else(|| panic!("{id} not acknowledged in {marks}"))
}
