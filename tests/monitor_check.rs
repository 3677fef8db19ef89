//! `btsops check` as a process against a simnet fleet: exit codes for each case and the
//! `--json` shape as a contract (README, "check --json").

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::monitor::*;
use support::process::output_within;

/// Longest one btsops run may take before it is killed and the test fails.
const LIMIT: Duration = Duration::from_secs(90);

fn check(config: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .arg("check")
            .arg("--config")
            .arg(config)
            .args(extra),
        LIMIT,
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn check_async(
    config: std::path::PathBuf,
    extra: &'static [&'static str],
) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || check(&config, extra))
        .await
        .expect("check ran")
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn endpoint<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["endpoints"]
        .as_array()
        .expect("endpoints array")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {name} in {doc}"))
}

/// Every key of the documented shape, with its JSON type (`null` where the key does
/// not apply to the endpoint's kind: see `NOT_FOR_SEEDS`).
const ENDPOINT_KEYS: &[(&str, &str)] = &[
    ("kind", "string"),
    ("network", "string"),
    ("name", "string"),
    ("url", "string"),
    ("state", "string"),
    ("last_probe", "number|null"),
    ("probes", "number"),
    ("connect_ms", "number|null"),
    ("login_ms", "number|null"),
    ("chain_id", "string|null"),
    ("chain_mismatch", "bool|null"),
    ("head_num", "number|null"),
    ("head_id", "string|null"),
    ("head_time", "number|null"),
    ("lag_blocks", "number|null"),
    ("lag_s", "number|null"),
    ("fork_suspect", "bool|null"),
    ("head_suspect", "bool|null"),
    ("lib_num", "number|null"),
    ("lib_lag", "number|null"),
    ("participation_pct", "number|null"),
    ("missed_slots", "number|null"),
    ("recently_missed", "number|null"),
    ("block_interval_s", "number|null"),
    ("active_witnesses", "number|null"),
    ("in_maintenance", "bool|null"),
    ("latency", "object"),
    ("availability_pct", "number|null"),
    ("api_sets", "array|null"),
    ("info", "string|null"),
    ("version", "object|null"),
    ("peer_count", "number|null"),
    ("last_error", "object|null"),
    ("seed_key", "string|null"),
    ("seed_level", "string|null"),
    ("seed_hello", "object|null"),
    ("cert_days", "number|null"),
    ("cert_not_after", "number|null"),
    ("cert_mismatch", "string|null"),
    ("status", "string"),
    ("reasons", "array"),
];

fn assert_shape(doc: &Value) {
    assert_eq!(doc["format"], 1);
    assert!(doc["time"].is_number());
    assert!(doc["status"].is_string());
    assert!(doc["exit_code"].is_number());
    for k in ["offset_s", "samples", "warn"] {
        assert!(doc["clock"].get(k).is_some(), "clock.{k} missing");
    }
    for n in doc["networks"].as_array().expect("networks") {
        for k in [
            "name",
            "chain_id",
            "best_head",
            "best_node",
            "counts",
            "status",
        ] {
            assert!(n.get(k).is_some(), "networks[].{k} missing");
        }
        for k in ["ok", "warn", "crit", "down", "unknown"] {
            assert!(n["counts"][k].is_number(), "counts.{k}");
        }
    }
    for e in doc["endpoints"].as_array().expect("endpoints") {
        for (k, ty) in ENDPOINT_KEYS {
            let v = e
                .get(*k)
                .unwrap_or_else(|| panic!("endpoint key {k} missing in {e}"));
            assert!(
                ty.split('|').any(|t| t == btsops::rpc::frame::json_type(v)),
                "{k}: {v} is not {ty}"
            );
        }
        for k in [
            "samples", "p50_ms", "p95_ms", "p99_ms", "max_ms", "last_ms", "history",
        ] {
            assert!(e["latency"].get(k).is_some(), "latency.{k} missing");
        }
        if !e["version"].is_null() {
            for k in ["at_least", "below", "evidence"] {
                assert!(e["version"].get(k).is_some(), "version.{k} missing");
            }
        }
        // What does not apply to the kind is null, never a made-up false or [].
        let not_applicable: Vec<&str> = if e["kind"] == "seed" {
            let always = [
                "login_ms",
                "fork_suspect",
                "in_maintenance",
                "api_sets",
                "info",
                "version",
                "peer_count",
                "cert_days",
            ];
            // A seed answers its chain and head only through its hello (L2).
            let from_hello = ["chain_id", "chain_mismatch", "head_num"];
            if e["seed_level"] == "L2" {
                always.to_vec()
            } else {
                [&always[..], &from_hello[..]].concat()
            }
        } else {
            vec!["seed_key", "seed_level", "seed_hello"]
        };
        for k in not_applicable {
            assert!(e[k].is_null(), "{} {k}: {}", e["kind"], e[k]);
        }
        let status = e["status"].as_str().unwrap();
        assert!(["ok", "warn", "crit", "down", "unknown"].contains(&status));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_json_contract() {
    let fleet = start_fleet().await;
    // Let the chain produce a few blocks so the lagging node is really behind.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while fleet.head("mainnet").unwrap_or(0) < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "chain does not advance"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dir = tempfile::tempdir().unwrap();

    // All ok: 0.
    let ok = write_config(dir.path(), &config_text(&fleet, &["a", "b"], &["seed-1"]));
    let (code, out, err) = check_async(ok.clone(), &["--json"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let doc = json(&out);
    assert_shape(&doc);
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), 3);
    let a = endpoint(&doc, "a");
    assert_eq!(a["kind"], "node");
    assert_eq!(a["chain_id"], CHAIN_ID);
    assert!(a["head_num"].as_u64().unwrap() >= 5);
    assert_eq!(a["info"], "node a, ops@example.org");
    // Applicable booleans and lists are real values on a node.
    assert_eq!(a["chain_mismatch"], false);
    assert_eq!(a["fork_suspect"], false);
    assert!(a["api_sets"].is_array() && a["version"].is_object(), "{a}");
    assert_eq!(endpoint(&doc, "seed-1")["kind"], "seed");
    assert_eq!(
        endpoint(&doc, "seed-1")["seed_key"].as_str().unwrap().len(),
        66
    );
    // simnet's seed answers at L2: the level, its chain id and head, its software.
    let seed = endpoint(&doc, "seed-1");
    assert_eq!(seed["seed_level"], "L2", "{seed}");
    assert_eq!(seed["chain_id"], CHAIN_ID);
    assert!(seed["head_num"].as_u64().is_some_and(|h| h >= 5), "{seed}");
    assert_eq!(
        seed["seed_hello"]["user_agent"],
        "BitShares Reference Implementation"
    );

    // The table form: same exit code, a header and one line per endpoint.
    let (code, out, _) = check_async(ok, &[]).await;
    assert_eq!(code, 0);
    assert!(out.starts_with("STATUS"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("seed-1") && l.contains("seed L2")),
        "{out}"
    );
    assert!(
        out.lines().filter(|l| l.starts_with("ok ")).count() >= 3,
        "{out}"
    );

    // A node 3 blocks behind (warn ≥ 2, crit ≥ 6): 1.
    let dir2 = tempfile::tempdir().unwrap();
    let warn = write_config(dir2.path(), &config_text(&fleet, &["a", "lagging"], &[]));
    let (code, out, err) = check_async(warn, &["--json"]).await;
    assert_eq!(code, 1, "{out}\n{err}");
    let doc = json(&out);
    assert_eq!(doc["status"], "warn");
    assert_eq!(endpoint(&doc, "lagging")["status"], "warn");

    // A wrong chain id: 2, crit.
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    faults.wrong_chain_id();
    let dir3 = tempfile::tempdir().unwrap();
    let crit = write_config(dir3.path(), &config_text(&fleet, &["a", "victim"], &[]));
    let (code, out, err) = check_async(crit.clone(), &["--json"]).await;
    assert_eq!(code, 2, "{out}\n{err}");
    let doc = json(&out);
    assert_eq!(endpoint(&doc, "victim")["status"], "crit");
    assert_eq!(endpoint(&doc, "victim")["chain_mismatch"], true);
    assert_eq!(doc["networks"][0]["best_node"], "a");

    // Frozen: 2, down, and the round ends within README's bound for `--timeout 1`
    // (13 timeouts plus a second). The config says 30 s, so a check that ignored the flag
    // would wait 30 s for the frozen node's first answer and break the bound.
    faults.recover();
    faults.freeze();
    let slow_text = config_text(&fleet, &["a", "victim"], &[])
        .replace("timeout_ms = 1000", "timeout_ms = 30000");
    assert!(slow_text.contains("timeout_ms = 30000"), "{slow_text}");
    let dir5 = tempfile::tempdir().unwrap();
    let slow = write_config(dir5.path(), &slow_text);
    let t0 = std::time::Instant::now();
    let (code, out, err) = check_async(slow, &["--json", "--timeout", "1"]).await;
    assert_eq!(code, 2, "{out}\n{err}");
    let bound = Duration::from_secs(13 + 1);
    assert!(t0.elapsed() < bound, "{:?} (bound {bound:?})", t0.elapsed());
    let doc = json(&out);
    assert_eq!(endpoint(&doc, "victim")["status"], "down");
    assert_eq!(endpoint(&doc, "a")["status"], "ok");

    // Stalled past the crit lag: 2.
    faults.recover();
    faults.stall_head();
    tokio::time::sleep(Duration::from_secs(9)).await;
    let (code, out, err) = check_async(crit.clone(), &["--json"]).await;
    assert_eq!(code, 2, "{out}\n{err}");
    let v = endpoint(&json(&out), "victim").clone();
    assert_eq!(v["status"], "crit", "{v}");

    // Mute seed: 2, down.
    faults.recover();
    fleet.faults("mainnet", "seed-1").expect("seed").mute_seed();
    let dir4 = tempfile::tempdir().unwrap();
    let seed = write_config(dir4.path(), &config_text(&fleet, &["a"], &["seed-1"]));
    let (code, out, err) = check_async(seed, &["--json", "--timeout", "1"]).await;
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(endpoint(&json(&out), "seed-1")["status"], "down");

    // Recovered: 0 again.
    fleet.faults("mainnet", "seed-1").expect("seed").recover();
    let (code, out, err) = check_async(crit, &["--json"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn config_errors_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_config(dir.path(), "[monitor]\nprobe_interval_ms = \"fast\"\n");
    let (code, _, err) = check(&bad, &["--json"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("config error"), "{err}");
    let (code, _, _) = check(&dir.path().join("missing.toml"), &[]);
    assert_eq!(code, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_file_replays() {
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_text(&fleet, &["a"], &["seed-1"]));
    let rec = dir.path().join("rec.jsonl");
    let rec_arg = rec.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        output_within(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["check", "--json", "--record", &rec_arg, "--config"])
                .arg(&cfg),
            LIMIT,
        )
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = btsops::monitor::Recording::read_all(&rec).expect("recording reads");
    assert!(matches!(
        records[0].1,
        btsops::monitor::Record::Start { .. }
    ));
    let last = last_snapshot(&records);
    assert_eq!(last.endpoints.len(), 2);
    assert!(
        records
            .iter()
            .any(|(_, r)| matches!(r, btsops::monitor::Record::Event(_)))
    );
    let times: Vec<f64> = records.iter().map(|(t, _)| *t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1] + 1.0), "{times:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_count_when_credentials_grant_network_node() {
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let url = &fleet.endpoint("mainnet", "ops").expect("ops").url;
    let mut text = config_text(&fleet, &["a"], &[]);
    text.push_str(&format!(
        "\n  [[network.node]]\n  name = \"ops\"\n  url = \"{url}\"\n  user = \"ops\"\n  password_env = \"BTSOPS_TEST_OPS_PASS\"\n"
    ));
    let cfg = write_config(dir.path(), &text);
    let out = tokio::task::spawn_blocking(move || {
        output_within(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["check", "--json", "--config"])
                .arg(&cfg)
                .env("BTSOPS_TEST_OPS_PASS", "secret"),
            LIMIT,
        )
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let doc = json(&text);
    let ops = endpoint(&doc, "ops");
    assert!(ops["peer_count"].is_number(), "{ops}");
    assert!(
        ops["api_sets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "network_node_api"),
        "{ops}"
    );
    // Without network_node the count is unknown, not zero.
    assert!(endpoint(&doc, "a")["peer_count"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_events_and_records() {
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        &config_text(&fleet, &["a", "victim"], &["seed-1"]),
    );
    let rec = dir.path().join("watch.jsonl");
    let rec_arg = rec.to_str().unwrap().to_string();
    let faults = fleet.faults("mainnet", "victim").expect("victim");
    // Freeze the victim partway through the run so a down event shows up.
    let freezer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        faults.freeze();
    });
    let out = tokio::task::spawn_blocking(move || {
        output_within(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args([
                    "watch", "--json", "--for", "6", "--record", &rec_arg, "--config",
                ])
                .arg(&cfg),
            LIMIT,
        )
    })
    .await
    .unwrap();
    freezer.await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let events: Vec<Value> = text.lines().map(json).collect();
    assert!(
        events
            .iter()
            .any(|e| e["endpoint"] == "a" && e["to"] == "ok"),
        "{text}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["endpoint"] == "victim" && e["to"] == "down"),
        "{text}"
    );
    let records = btsops::monitor::Recording::read_all(&rec).expect("recording");
    assert!(records.len() > 3);
    assert_recording_cadence(&records);
}

/// README's promise for a recording: a start line, snapshots at most one per probe
/// interval plus one at each status change, and a final snapshot when the run ends.
fn assert_recording_cadence(records: &[(f64, btsops::monitor::Record)]) {
    use btsops::monitor::Record;
    let Some((
        _,
        Record::Start {
            probe_interval_ms, ..
        },
    )) = records.first()
    else {
        panic!("no start line first: {:?}", records.first());
    };
    let interval = *probe_interval_ms as f64 / 1000.0;
    assert!(
        matches!(records.last(), Some((_, Record::Snapshot(_)))),
        "the recording does not end with a snapshot"
    );
    let (mut last_snapshot, mut event_since) = (None::<f64>, false);
    let mut snapshots = 0;
    for (i, (t, r)) in records.iter().enumerate() {
        match r {
            Record::Event(_) => event_since = true,
            Record::Snapshot(_) => {
                snapshots += 1;
                let is_final = i + 1 == records.len();
                if let Some(prev) = last_snapshot
                    && !event_since
                    && !is_final
                {
                    // A few ms of slack for the timer, never a second snapshot per round.
                    assert!(
                        t - prev >= interval * 0.9,
                        "two snapshots {:.3} s apart with no status change between (interval {interval} s)",
                        t - prev
                    );
                }
                last_snapshot = Some(*t);
                event_since = false;
            }
            _ => {}
        }
    }
    assert!(snapshots >= 2, "{snapshots} snapshots");
}

/// One `check` round sees each head once, at an unknown point of its block interval.
/// Taken late in a 6 s block, the head is over 3 s old: that is the head's age, not the
/// host clock running ahead, and must not raise the clock warning (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_check_round_is_no_clock_warning() {
    use btsops::rpc::{ConnectOptions, RpcClient};
    use btsops::simnet::{Fleet, FleetDescription};
    let desc = FleetDescription::from_toml(&format!(
        "[[network]]\nname = \"mainnet\"\nchain_id = \"{CHAIN_ID}\"\nblock_interval = 6\n\
         [[network.node]]\nname = \"a\"\n[[network.node]]\nname = \"b\"\n"
    ))
    .expect("fleet parses");
    let fleet = Fleet::start(&desc).await.expect("fleet starts");
    let mut text = String::from(
        "[monitor]\nprobe_interval_ms = 400\ntimeout_ms = 2000\nwindow_s = 60\nclock_warn_s = 2.0\n\
         [[network]]\nname = \"mainnet\"\nrole = \"mainnet\"\n",
    );
    text.push_str(&format!(
        "chain_id = \"{CHAIN_ID}\"\nprefix = \"BTS\"\nlag_warn_s = 30\nlag_crit_s = 60\n"
    ));
    for n in ["a", "b"] {
        text.push_str(&node_entry(
            n,
            &fleet.endpoint("mainnet", n).expect("node").url,
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(dir.path(), &text);
    let client = RpcClient::connect(
        &fleet.endpoint("mainnet", "a").expect("a").url,
        ConnectOptions::default(),
    )
    .await
    .expect("connect");
    // Wait (bounded) until the head is 3.2–4.5 s old, two seconds before the next block.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let d = client.get_dynamic_global_properties().await.expect("dgp");
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        let age = now - d.time.unix_timestamp() as f64;
        if (3.2..4.5).contains(&age) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the head never aged into the window"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, out, err) = check_async(cfg, &["--json"]).await;
    let doc = json(&out);
    assert_eq!(doc["clock"]["warn"], false, "{}\n{err}", doc["clock"]);
    assert_eq!(code, 0, "{out}\n{err}");
    fleet.shutdown().await;
}

/// `btsops --config F check` is `btsops check --config F`; bad numbers are usage errors
/// (exit 2 with the reason), never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_before_the_subcommand_and_bad_numbers() {
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_text(&fleet, &["a"], &[]));
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            output_within(Command::new(env!("CARGO_BIN_EXE_btsops")).args(args), LIMIT)
        })
    };
    let c = cfg.to_str().unwrap().to_string();
    let out = run(vec![
        "--config".into(),
        c.clone(),
        "check".into(),
        "--json".into(),
    ])
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(endpoint(&json(&text), "a")["status"], "ok");
    for (sub, flag, value) in [
        ("check", "--timeout", "1e20"),
        ("check", "--timeout", "-1"),
        ("check", "--timeout", "soon"),
        ("watch", "--for", "1e30"),
        ("watch", "--for", "0"),
    ] {
        let args = vec![
            sub.into(),
            "--config".into(),
            c.clone(),
            flag.into(),
            value.into(),
        ];
        let out = run(args).await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub} {flag} {value}: {err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
    }
    fleet.shutdown().await;
}

/// A service manager stops `watch` with SIGTERM: it exits 0 and the recording ends
/// with the final snapshot, as after Ctrl-C.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_text(&fleet, &["a"], &[]));
    let rec = dir.path().join("watch.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .arg("watch")
        .arg("--json")
        .arg("--record")
        .arg(&rec)
        .arg("--config")
        .arg(&cfg)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let stdout = child.stdout.take().expect("stdout");
    let pid = child.id();
    let code = tokio::task::spawn_blocking(move || {
        // Running: the first event is out.
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("an event").expect("a line");
        assert!(first.contains("\"to\":\"ok\""), "{first}");
        let st = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = child.try_wait().expect("wait") {
                return st.code();
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("watch still running 10 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0));
    let records = btsops::monitor::Recording::read_all(&rec).expect("recording");
    assert!(
        matches!(
            records.last(),
            Some((_, btsops::monitor::Record::Snapshot(_)))
        ),
        "the recording does not end with the final snapshot"
    );
    fleet.shutdown().await;
}

/// `btsops check | head -c0` and `btsops watch | head -c0`: the reader is gone. Each
/// ends quietly with its own status code (check: the fleet's), no panic, and watch
/// stops instead of running on. A recording that cannot be written (a full disk:
/// /dev/full) is reported on stderr with the count of lost lines, and check's exit
/// code is at least 1 even when every endpoint is ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_and_unwritable_recordings() {
    use support::process::{output_with_closed_stdout, output_within};
    let fleet = start_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config_text(&fleet, &["a"], &["seed-1"]));
    let limit = Duration::from_secs(60);
    let btsops = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_btsops"));
        c.args(args).arg("--config").arg(&cfg);
        c
    };
    let (check_json, check_table, watch) = (
        btsops(&["check", "--json"]),
        btsops(&["check"]),
        btsops(&["watch", "--for", "600"]),
    );
    let outs = tokio::task::spawn_blocking(move || {
        [check_json, check_table, watch].map(|mut c| output_with_closed_stdout(&mut c, limit))
    })
    .await
    .unwrap();
    for out in &outs {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    }

    let (check, watch) = (
        btsops(&["check", "--json", "--record", "/dev/full"]),
        btsops(&["watch", "--for", "2", "--record", "/dev/full"]),
    );
    let [check, watch] = tokio::task::spawn_blocking(move || {
        [check, watch].map(|mut c| output_within(&mut c, limit))
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{err}");
    let doc = json(&String::from_utf8_lossy(&check.stdout));
    assert_eq!(doc["status"], "ok", "the round itself is fine");
    assert_eq!(doc["exit_code"], 1, "the document tells the exit code");
    let err = String::from_utf8_lossy(&watch.stderr);
    assert_eq!(watch.status.code(), Some(1), "{err}");
    for out in [&check, &watch] {
        let err = String::from_utf8_lossy(&out.stderr);
        let lost: u64 = err
            .split("incomplete, ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no lost-line count in {err}"));
        // At least the start line and the final snapshot.
        assert!(lost >= 2, "{err}");
        assert!(
            err.contains("/dev/full") && err.contains("No space left on device"),
            "{err}"
        );
    }
    fleet.shutdown().await;
}
