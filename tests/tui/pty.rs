//! The real run loop on a pseudo-terminal (util-linux `script`): frames in
//! synchronized output, and the terminal restored on `q`, SIGTERM, SIGHUP, SIGINT and
//! SIGQUIT; a terminal that hangs up ends the console cleanly.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::support::pty::{LIMIT, Pty, contains, script_available};

/// Runs `cmd` on a pty, feeding `input` once the first frame is out.
fn on_pty(cmd: &str, input: &[u8]) -> (Option<i32>, Vec<u8>) {
    let mut pty = Pty::start(cmd);
    pty.wait_for(b"\x1b[?2026l", "a first frame");
    pty.send(input);
    pty.finish()
}

fn last_index(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The alternate screen was left after the last frame, and the cursor shown.
fn assert_screen_restored(out: &[u8], what: &str) {
    let text = String::from_utf8_lossy(out);
    let leave = last_index(out, b"\x1b[?1049l").unwrap_or_else(|| panic!("{what}: {text}"));
    let last_frame = last_index(out, b"\x1b[?2026l").unwrap_or(0);
    assert!(leave > last_frame, "{what}: left before the last frame");
    // Shown after leaving: a cursor shown inside the alternate screen is hidden again
    // on the main one by some terminals.
    let shown = last_index(out, b"\x1b[?25h").unwrap_or(0);
    assert!(
        shown > leave,
        "{what}: cursor not shown after leaving the alternate screen"
    );
}

/// Reads a pid file a shell wrote, waiting (bounded) for it.
fn read_pid(path: &Path) -> String {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Ok(p) = std::fs::read_to_string(path) {
            let p = p.trim().to_string();
            if !p.is_empty() {
                return p;
            }
        }
        assert!(Instant::now() < deadline, "no pid in {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(signal: &str, pid: &str) {
    let st = Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .expect("run kill");
    assert!(st.success(), "kill -{signal} {pid}");
}

#[test]
fn q_quits_and_restores_the_terminal() {
    if !script_available("q_quits_and_restores_the_terminal") {
        return;
    }
    let (code, out) = on_pty(
        "BTSOPS replay tests/fixtures/monitor_faults.jsonl --paused",
        // The first `q` closes the help, the second quits.
        b"?qq",
    );
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out));
    assert!(contains(&out, b"\x1b[?1049h"), "no alternate screen");
    assert!(contains(&out, b"\x1b[?2026h") && contains(&out, b"\x1b[?2026l"));
    assert!(contains(&out, "help".as_bytes()));
    assert_screen_restored(&out, "q");
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    if !script_available("sigterm_and_sighup_restore_the_terminal") {
        return;
    }
    for sig in ["TERM", "HUP"] {
        let (_, out) = Pty::start(&format!(
            "timeout --foreground -s {sig} 3 BTSOPS replay tests/fixtures/monitor_faults.jsonl; echo AFTER=$?"
        ))
        .finish();
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

/// In raw mode Ctrl-C is a key, but `kill -INT` (or -QUIT) still delivers the signal,
/// whose default action used to end the process with the terminal left raw. Sent with
/// kill(2) to the console's own pid: it exits 0, the screen is restored, and `stty`
/// run afterwards on the same terminal finds it cooked again.
#[test]
fn sigint_and_sigquit_restore_the_terminal() {
    if !script_available("sigint_and_sigquit_restore_the_terminal") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for sig in ["INT", "QUIT"] {
        let pid_file = dir.path().join(format!("{sig}.pid"));
        let mut pty = Pty::start(&format!(
            "sh -c 'echo $$ > {}; exec BTSOPS replay tests/fixtures/monitor_faults.jsonl --paused'; \
             echo AFTER=$?; stty -a",
            pid_file.display()
        ));
        pty.wait_for(b"\x1b[?2026l", "a first frame");
        kill(sig, &read_pid(&pid_file));
        let (code, out) = pty.finish();
        let text = String::from_utf8_lossy(&out);
        assert_eq!(code, Some(0), "{sig}: {text}");
        assert!(text.contains("AFTER=0"), "{sig}: {text}");
        assert_screen_restored(&out, sig);
        let after = text.split("AFTER=").nth(1).unwrap_or_default();
        let modes: Vec<&str> = after.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                modes.contains(&mode) && !modes.contains(&format!("-{mode}").as_str()),
                "{sig}: {mode} not restored: {after}"
            );
        }
    }
}

/// The SSH session drops: the pty master closes under a running console. Run in a
/// session of its own (setsid), the console gets no SIGHUP, only EIO from the dead
/// terminal; it used to report the error on that same terminal, panic, and abort
/// (exit 134). It must end quietly with 0. A wrapper shell outside the pty records
/// the exit code.
#[test]
fn a_terminal_that_hangs_up_ends_the_console_cleanly() {
    let test = "a_terminal_that_hangs_up_ends_the_console_cleanly";
    if !script_available(test) {
        return;
    }
    let setsid = Command::new("setsid").arg("--version").output();
    if !setsid.is_ok_and(|o| o.status.success()) {
        super::support::require::skip_or_fail(
            &["BTSOPS_REQUIRE_PTY"],
            test,
            "util-linux `setsid` not found",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (pid_file, code_file) = (dir.path().join("pid"), dir.path().join("code"));
    let inner = dir.path().join("console.sh");
    std::fs::write(
        &inner,
        format!(
            "echo $$ > {}\nexec BTSOPS replay tests/fixtures/monitor_faults.jsonl --paused\n",
            pid_file.display()
        )
        .replace("BTSOPS", env!("CARGO_BIN_EXE_btsops")),
    )
    .expect("write the script");
    let mut pty = Pty::start(&format!(
        "setsid sh -c 'sh {}; echo $? > {}'; sleep 60",
        inner.display(),
        code_file.display()
    ));
    pty.wait_for(b"\x1b[?2026l", "a first frame");
    let pid = read_pid(&pid_file);
    pty.hang_up();
    let deadline = Instant::now() + LIMIT;
    let code = loop {
        if let Ok(c) = std::fs::read_to_string(&code_file) {
            if c.ends_with('\n') {
                break c.trim().to_string();
            }
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("the console still runs after its terminal hung up; killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, "0", "exit code after the hang-up");
}

/// The console on a config whose one node refuses connections (an alert at once),
/// with its state directory in `state`: `keys` are typed after three seconds, then the
/// alert marks file is read back. Killed after 20 s if `q` did not end it.
fn console_run(config: &Path, state: &Path, keys: &[u8]) -> String {
    // `--foreground` keeps the console in the terminal's foreground process group:
    // without it, setting raw mode stops it with SIGTTOU wherever that is not ignored.
    let mut pty = Pty::start_with(
        &format!(
            "timeout --foreground -s KILL 20 BTSOPS --config {}",
            config.display()
        ),
        &[("BTSOPS_STATE_DIR", state)],
    );
    pty.wait_for(b"\x1b[?2026l", "a first frame");
    // The refused node is down, and alerted, from its first probe.
    std::thread::sleep(Duration::from_secs(3));
    pty.send(keys);
    let (code, out) = pty.finish();
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&out));
    std::fs::read_to_string(state.join("alerts.json")).unwrap_or_default()
}

/// The acknowledgement made in one run is written to `$BTSOPS_STATE_DIR/alerts.json`
/// by the real run loop, read by the next run and carried over to the alert there.
#[test]
fn an_ack_is_written_to_the_state_dir_and_carried_over_by_the_next_run() {
    if !script_available("an_ack_is_written_to_the_state_dir_and_carried_over_by_the_next_run") {
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

/// `btsops simnet` with `fleet` and `scenario` in `dir`, killed when dropped; returns the
/// child and each node's name and websocket URL once it is ready.
struct SimnetProcess(Child);

impl Drop for SimnetProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_simnet(dir: &Path, fleet: &str, scenario: &str) -> (SimnetProcess, Vec<(String, String)>) {
    let (fleet_path, scenario_path) = (dir.join("fleet.toml"), dir.join("scenario.toml"));
    std::fs::write(&fleet_path, fleet).expect("write the fleet");
    std::fs::write(&scenario_path, scenario).expect("write the scenario");
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .arg("simnet")
        .arg("--fleet")
        .arg(&fleet_path)
        .arg("--scenario")
        .arg(&scenario_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn btsops simnet");
    let stdout = child.stdout.take().expect("simnet stdout");
    let sim = SimnetProcess(child);
    let ready =
        |l: &str| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["ready"] == true);
    let lines = super::support::process::lines_until(stdout, LIMIT, "btsops simnet", ready);
    let nodes = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "node")
        .filter_map(|v| {
            Some((
                v["name"].as_str()?.to_string(),
                v["url"].as_str()?.to_string(),
            ))
        })
        .collect();
    (sim, nodes)
}

/// The live console (not a replay) on a simnet fleet in its own process: the first
/// frame shows the nodes; a scripted wrong chain id on `victim` shows on screen, rings
/// the bell and runs `alert_command` once per alert; `:reload` reloads the config.
#[test]
fn the_live_console_on_simnet_shows_a_fault_rings_once_and_reloads() {
    live_console_on_simnet(
        "the_live_console_on_simnet_shows_a_fault_rings_once_and_reloads",
        false,
    );
}

/// As above, and the alerts still active across `:reload` are not raised again (the
/// reload used to run `alert_command`, and ring, a second time for
/// `chain_mismatch:victim`, an alert that never ended).
#[test]
fn reload_does_not_raise_active_alerts_again() {
    live_console_on_simnet("reload_does_not_raise_active_alerts_again", true);
}

fn live_console_on_simnet(test: &str, check_after_reload: bool) {
    if !script_available(test) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (_sim, nodes) = start_simnet(
        dir.path(),
        "[[network]]\nname = \"mainnet\"\nblock_interval = 1\n\
         [[network.node]]\nname = \"a\"\n[[network.node]]\nname = \"b\"\n[[network.node]]\nname = \"victim\"\n",
        // Late enough that the first frame shows every node ok first.
        "[[event]]\nat = 6\ntarget = \"mainnet/victim\"\nfault = \"wrong_chain_id\"\n",
    );
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    let alerts_log = dir.path().join("alerts.log");
    let mut config = format!(
        "[ui]\nbell = true\nalert_command = [\"sh\", \"-c\", \"echo \\\"$BTSOPS_ALERT_ID\\\" >> {}\", \"sh\"]\n\n\
         [monitor]\nprobe_interval_ms = 400\ntimeout_ms = 2000\n\n\
         [[network]]\nname = \"mainnet\"\nrole = \"mainnet\"\nchain_id = \"{}\"\nprefix = \"BTS\"\n",
        alerts_log.display(),
        btsops::simnet::chain_state::MAINNET_CHAIN_ID
    );
    for (name, url) in &nodes {
        config.push_str(&format!(
            "  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n"
        ));
    }
    // A name whose letters the screen shows nowhere else: the notice's text is written
    // as a diff against the status bar, and only such a run is sure to be contiguous.
    let cfg = dir.path().join("QZXJ.toml");
    std::fs::write(&cfg, config).expect("write the config");
    let state = dir.path().join("state");
    // The console records what it sees, across the reload too.
    let recording = dir.path().join("console.jsonl");
    let mut pty = Pty::start_with(
        &format!(
            "timeout --foreground -s KILL 60 BTSOPS --config {} --record {}",
            cfg.display(),
            recording.display()
        ),
        &[("BTSOPS_STATE_DIR", &state)],
    );
    pty.wait_for(b"\x1b[?2026l", "a first frame");
    pty.wait_for(b"victim", "the victim's row");
    // The fault shows: a crit row (the words are drawn with cursor moves between them,
    // so the status word is what can be found in the byte stream).
    pty.wait_for("✗ crit".as_bytes(), "the wrong chain id on screen");
    let alert_lines = || {
        std::fs::read_to_string(&alerts_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + LIMIT;
    while alert_lines().is_empty() {
        assert!(Instant::now() < deadline, "alert_command never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Both alerts of the fault (the status and the chain mismatch) are raised within a
    // probe or two; wait several more rounds, then each must have run once.
    std::thread::sleep(Duration::from_secs(3));
    let mut before_reload = alert_lines();
    let bells_before_reload = pty.output().iter().filter(|b| **b == 0x07).count();
    let reloaded_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    pty.send(b":reload\r");
    pty.wait_for(b"QZXJ", "the reload notice naming the config");
    // Several more probe rounds of the same fault: still one alert, one bell, one run.
    std::thread::sleep(Duration::from_secs(3));
    pty.send(b"q");
    let (code, out) = pty.finish();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, Some(0), "{text}");
    assert_screen_restored(&out, "live console");
    let records =
        btsops::monitor::Recording::read_all(&recording).expect("the console's recording");
    let snapshots: Vec<&btsops::monitor::FleetSnapshot> = records
        .iter()
        .filter_map(|(_, r)| match r {
            btsops::monitor::Record::Snapshot(s) => Some(s),
            _ => None,
        })
        .collect();
    let last = snapshots.last().expect("snapshots recorded");
    assert!(
        last.time > reloaded_at + 1.0,
        "the recording stopped at the reload"
    );
    assert!(
        last.endpoint("victim")
            .is_some_and(|e| e.status == btsops::monitor::Status::Crit),
        "the fault is in the recording"
    );
    let runs = alert_lines();
    assert_eq!(
        bells_before_reload,
        before_reload.len(),
        "one bell per alert"
    );
    before_reload.sort();
    assert_eq!(
        before_reload,
        ["chain_mismatch:victim", "status:victim"],
        "alert_command runs, once per alert"
    );
    if check_after_reload {
        let bells = out.iter().filter(|b| **b == 0x07).count();
        assert_eq!(
            runs.len(),
            before_reload.len(),
            "runs after the reload: {runs:?}"
        );
        assert_eq!(bells, bells_before_reload, "bells after the reload");
    }
}

/// The stress pane in the live console: the plan of `stress.plan` is there at start, a
/// read flood starts from the keys (confirmed) and runs on a simnet testnet, and quitting
/// the console mid-run stops it and still writes its report and both audit lines.
#[test]
fn quitting_the_live_console_mid_stress_run_still_writes_the_report() {
    let test = "quitting_the_live_console_mid_stress_run_still_writes_the_report";
    if !script_available(test) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (_sim, nodes) = start_simnet(
        dir.path(),
        "[[network]]\nname = \"testnet\"\nrole = \"testnet\"\nblock_interval = 1\n\
         [[network.node]]\nname = \"a\"\n[[network.node]]\nname = \"b\"\n",
        "",
    );
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    let plan = dir.path().join("reads.toml");
    std::fs::write(
        &plan,
        "kind = \"read\"\nrate = 20\nduration_s = 60\ncalls = [\"get_dynamic_global_properties\"]\n",
    )
    .expect("write the plan");
    let mut config = format!(
        "[monitor]\nprobe_interval_ms = 400\ntimeout_ms = 2000\n\n\
         [[network]]\nname = \"testnet\"\nrole = \"testnet\"\nchain_id = \"{}\"\nprefix = \"TEST\"\n",
        btsops::simnet::chain_state::TESTNET_CHAIN_ID
    );
    for (name, url) in &nodes {
        config.push_str(&format!(
            "  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n"
        ));
    }
    config.push_str(&format!(
        "\n[stress]\nnetwork = \"testnet\"\nplan = \"{}\"\nmax_tps = 50\nmax_duration_s = 60\n",
        plan.display()
    ));
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config).expect("write the config");
    let (state, data) = (dir.path().join("state"), dir.path().join("data"));
    let mut pty = Pty::start_with(
        &format!(
            "timeout --foreground -s KILL 90 BTSOPS --config {}",
            cfg.display()
        ),
        &[("BTSOPS_STATE_DIR", &state), ("BTSOPS_DATA_DIR", &data)],
    );
    pty.wait_for(b"\x1b[?2026l", "a first frame");
    pty.send(b"6");
    pty.wait_for(b"reads.toml", "the plan of stress.plan in the pane");
    pty.send(b"s");
    pty.wait_for(b"confirm", "the start's confirmation");
    pty.send(b"y");
    // The screen is drawn as diffs: the first frame of the run is the one whole line.
    pty.wait_for(b"elapsed 0 s of 60 s", "the run on screen");
    std::thread::sleep(Duration::from_secs(3));
    pty.send(b"q");
    let (code, out) = pty.finish();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(code, Some(0), "{text}");
    assert_screen_restored(&out, "live console");
    let reports: Vec<_> = std::fs::read_dir(data.join("stress").join("reports"))
        .expect("the reports dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&reports[0]).expect("read the report"))
            .expect("the report is JSON");
    assert_eq!(doc["aborted"], "the console quit");
    assert!(
        doc["totals"]["accepted"].as_u64().unwrap_or(0) >= 20,
        "{doc}"
    );
    let audit = std::fs::read_to_string(state.join("audit.jsonl")).expect("the audit log");
    let actions: Vec<String> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| format!("{} {}", v["action"], v["result"]))
        .collect();
    assert_eq!(
        actions,
        [
            "\"stress start\" \"started\"",
            "\"stress end\" \"aborted: the console quit\""
        ]
    );
}
