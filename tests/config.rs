//! Config validation: every class of mistake gives an error naming file, line and key.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use btsops::config::{self, ConfigError, Role};
use support::process::output_within;

const GOOD: &str = r#"
[[network]]
name = "main"
role = "mainnet"
chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8"
prefix = "BTS"

  [[network.node]]
  name = "a"
  url = "ws://127.0.0.1:8090"

[[network]]
name = "test"
role = "testnet"
chain_id = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447"
prefix = "TEST"

  [[network.node]]
  name = "b"
  url = "wss://test.example.org/ws"
  user = "ops"
  password_env = "B_PASS"
  [[network.seed]]
  name = "s"
  addr = "127.0.0.1:1776"
"#;

fn parse(text: &str) -> Result<config::Config, ConfigError> {
    config::parse(Path::new("/etc/btsops/t.toml"), text)
}

/// 1-based number of the line holding `needle`, searching from its last occurrence
/// so a test can point at the line it just added.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.rfind(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

/// Parses `text` expecting an error on the line holding `on`; checks the key and a word of the message.
fn expect_err(text: &str, on: &str, key: &str, says: &str) -> ConfigError {
    let e = parse(text).expect_err("config should be rejected");
    let line = line_of(text, on);
    assert_eq!(e.file, Path::new("/etc/btsops/t.toml"));
    assert_eq!(e.line, line, "line of {e}");
    assert!(e.key.contains(key), "key {key:?} not in {e}");
    assert!(e.message.contains(says), "{says:?} not in {e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("/etc/btsops/t.toml:{line}:")),
        "{shown}"
    );
    e
}

#[test]
fn good_config_parses_with_defaults() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.networks.len(), 2);
    let main = c.network("main").unwrap();
    assert_eq!(main.role, Role::Mainnet);
    assert!(main.protected, "mainnet implies protected");
    let test = c.network("test").unwrap();
    assert!(!test.protected);
    assert_eq!(
        test.nodes[0].credentials.as_ref().unwrap().password_env,
        "B_PASS"
    );
    assert_eq!(test.seeds[0].addr, "127.0.0.1:1776");
    assert_eq!(main.thresholds, config::Thresholds::default());
    assert_eq!(c.summary_lines().len(), 2);
    assert_eq!(c.monitor, config::Monitor::default());
}

#[test]
fn monitor_keys_parse_and_zero_intervals_are_errors() {
    let text = format!(
        "[monitor]\nprobe_interval_ms = 500\ntimeout_ms = 2000\nwindow_s = 60\nclock_warn_s = 1.5\nseed_interval_ms = 30000\n{GOOD}"
    );
    let m = parse(&text).unwrap().monitor;
    assert_eq!(
        (
            m.probe_interval_ms,
            m.timeout_ms,
            m.window_s,
            m.seed_interval_ms
        ),
        (500, 2000, 60, 30000)
    );
    assert_eq!(m.clock_warn_s, 1.5);
    let text = format!("[monitor]\nseed_interval_ms = 0\n{GOOD}");
    expect_err(
        &text,
        "seed_interval_ms = 0",
        "monitor.seed_interval_ms",
        "greater than 0",
    );
}

#[test]
fn example_config_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let c = config::load(Some(&path)).unwrap();
    assert!(c.faucet.is_some() && c.stress.is_some() && !c.lbs.is_empty());
}

fn with(old: &str, new: &str) -> String {
    assert!(GOOD.contains(old), "{old:?} not in GOOD");
    GOOD.replacen(old, new, 1)
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = with(
        "  url = \"ws://127.0.0.1:8090\"",
        "  url = \"ws://127.0.0.1:8090\"\n  colour = \"red\"",
    );
    expect_err(&text, "colour", "colour", "unknown field `colour`");
}

#[test]
fn password_in_file_is_refused_with_a_hint() {
    let text = with(
        "  user = \"ops\"",
        "  user = \"ops\"\n  password = \"hunter2\"",
    );
    let e = expect_err(&text, "hunter2", "password", "password_env");
    assert!(!e.to_string().contains("hunter2"));
}

#[test]
fn wrong_type_names_the_key() {
    let text = with("prefix = \"BTS\"", "prefix = \"BTS\"\nlag_warn_s = \"six\"");
    expect_err(&text, "six", "lag_warn_s", "invalid type");
}

/// serde's Rust type names (`u64`, `f64`, `a sequence`) are not what an operator
/// editing TOML thinks in.
#[test]
fn wrong_types_say_the_kind_of_value_not_the_rust_type() {
    let text = with("prefix = \"BTS\"", "prefix = \"BTS\"\nlag_warn_s = \"six\"");
    let e = expect_err(&text, "six", "lag_warn_s", "expected a number");
    assert!(!e.message.contains("f64"), "{e}");
    let text = format!("{GOOD}\n[monitor]\nprobe_interval_ms = \"fast\"\n");
    let e = expect_err(&text, "fast", "probe_interval_ms", "expected a number");
    assert!(!e.message.contains("u64"), "{e}");
    let text = format!("{GOOD}\n[monitor]\nwindow_s = -1\n");
    let e = expect_err(&text, "-1", "window_s", "expected a number");
    assert!(!e.message.contains("u64"), "{e}");
    let text = format!("{GOOD}\n[ui]\nalert_command = \"notify-send\"\n");
    let e = expect_err(&text, "notify-send", "alert_command", "expected a list");
    assert!(!e.message.contains("sequence"), "{e}");
}

#[test]
fn duplicate_key_is_an_error() {
    let text = with("prefix = \"BTS\"", "prefix = \"BTS\"\nprefix = \"BTS\"");
    expect_err(&text, "prefix = \"BTS\"", "", "duplicate key");
}

#[test]
fn duplicate_endpoint_names_are_an_error() {
    let text = with("name = \"b\"", "name = \"a\"");
    expect_err(
        &text,
        "name = \"a\"",
        "network[1].node[0].name",
        "duplicate name \"a\"",
    );
    let text = with("name = \"s\"", "name = \"b\"");
    expect_err(
        &text,
        "name = \"b\"",
        "network[1].seed[0].name",
        "duplicate name",
    );
}

#[test]
fn duplicate_network_names_are_an_error() {
    let text = with("name = \"test\"", "name = \"main\"");
    expect_err(
        &text,
        "name = \"main\"",
        "network[1].name",
        "duplicate network name",
    );
}

#[test]
fn bad_urls_are_errors() {
    let text = with("ws://127.0.0.1:8090", "not a url");
    expect_err(&text, "not a url", "network[0].node[0].url", "bad URL");
    let text = with("ws://127.0.0.1:8090", "ftp://x.org");
    expect_err(&text, "ftp://", "network[0].node[0].url", "scheme");
    let text = with("127.0.0.1:1776", "127.0.0.1");
    expect_err(&text, "addr", "network[1].seed[0].addr", "no port");
}

#[test]
fn chain_id_must_be_64_hex_digits() {
    let id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
    expect_err(
        &with(id, "4018d784"),
        "4018d784",
        "network[0].chain_id",
        "64 hex digits",
    );
    let zs = "z".repeat(64);
    expect_err(&with(id, &zs), &zs, "network[0].chain_id", "64 hex digits");
}

#[test]
fn thresholds_out_of_order_are_errors() {
    let text = with(
        "prefix = \"BTS\"",
        "prefix = \"BTS\"\nlag_warn_s = 40\nlag_crit_s = 30",
    );
    expect_err(&text, "lag_crit_s", "network[0].lag_crit_s", "out of order");
    let text = with("prefix = \"BTS\"", "prefix = \"BTS\"\nlag_crit_s = nan");
    expect_err(&text, "nan", "network[0].lag_crit_s", "out of order");
    // Only crit given, above the default warn: the error points at the key written.
    let text = with(
        "prefix = \"BTS\"",
        "prefix = \"BTS\"\navailability_crit_pct = 99.5",
    );
    expect_err(
        &text,
        "availability_crit_pct",
        "availability_crit_pct",
        "greater than",
    );
}

#[test]
fn role_and_protection_rules() {
    let text = with("role = \"mainnet\"", "role = \"prod\"");
    expect_err(&text, "prod", "network[0].role", "mainnet");
    let text = with(
        "role = \"mainnet\"",
        "role = \"mainnet\"\nprotected = false",
    );
    expect_err(
        &text,
        "protected",
        "network[0].protected",
        "always protected",
    );
}

#[test]
fn credentials_need_both_halves() {
    let text = with("  password_env = \"B_PASS\"\n", "");
    expect_err(&text, "user", "network[1].node[0].user", "password_env");
}

#[test]
fn lb_faucet_and_stress_refer_to_known_networks() {
    let lb = "\n[[lb]]\nname = \"lb\"\nnetwork = \"nope\"\nruntime_api = \"unix:/run/h.sock\"\nbackend = \"b\"\n";
    expect_err(
        &format!("{GOOD}{lb}"),
        "nope",
        "lb[0].network",
        "unknown network \"nope\"",
    );
    let lb = lb
        .replace("nope", "main")
        .replace("unix:/run/h.sock", "http://x");
    expect_err(
        &format!("{GOOD}{lb}"),
        "http://x",
        "lb[0].runtime_api",
        "unix:",
    );
    let stress = "\n[stress]\nnetwork = \"main\"\n";
    expect_err(
        &format!("{GOOD}{stress}"),
        "network = \"main\"",
        "stress.network",
        "testnet",
    );
    let stress = "\n[stress]\nnetwork = \"test\"\nmax_error_rate = 5.0\n";
    expect_err(
        &format!("{GOOD}{stress}"),
        "max_error_rate",
        "stress.max_error_rate",
        "between 0 and 1",
    );
    let faucet = "\n[faucet]\nnetwork = \"test\"\nurl = \"https://f.example.org\"\nregistrar = \"r\"\n\
                  target_accounts = 10\nstart_date = \"2027-01-01\"\ntarget_date = \"2026-01-01\"\n";
    expect_err(
        &format!("{GOOD}{faucet}"),
        "target_date",
        "faucet.target_date",
        "after start_date",
    );
    let faucet = faucet.replace("2027-01-01", "2027-13-01");
    expect_err(
        &format!("{GOOD}{faucet}"),
        "start_date",
        "faucet.start_date",
        "bad date",
    );
}

fn btsops(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_btsops"));
    cmd.args(args)
        .env_remove("BTSOPS_CONFIG")
        .env("HOME", "/nonexistent-btsops-home")
        .env("XDG_CONFIG_HOME", "/nonexistent-btsops-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = output_within(&mut cmd, Duration::from_secs(60));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_exit_codes_and_lookup_order() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, GOOD.replace("prefix = \"TEST\"", "prefix = \"test\"")).unwrap();

    let (code, out, _) = btsops(
        &["config", "check", "--config", good.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("  ")).count(),
        2,
        "{out}"
    );
    assert!(out.contains("main: mainnet (protected)"), "{out}");

    let (code, _, err) = btsops(&["config", "check", "--config", bad.to_str().unwrap()], &[]);
    assert_eq!(code, 3);
    assert!(
        err.contains(&format!("bad.toml:{}:", line_of(GOOD, "prefix = \"TEST\"")))
            && err.contains("network[1].prefix"),
        "{err}"
    );

    // $BTSOPS_CONFIG is used when --config is absent, and --config wins over it.
    let (code, _, _) = btsops(
        &["config", "check"],
        &[("BTSOPS_CONFIG", bad.to_str().unwrap())],
    );
    assert_eq!(code, 3);
    let (code, _, _) = btsops(
        &["config", "check", "--config", good.to_str().unwrap()],
        &[("BTSOPS_CONFIG", bad.to_str().unwrap())],
    );
    assert_eq!(code, 0);

    // The XDG config dir comes last.
    let xdg = dir.path().join("xdg");
    std::fs::create_dir_all(xdg.join("btsops")).unwrap();
    std::fs::copy(&good, xdg.join("btsops/config.toml")).unwrap();
    let (code, out, _) = btsops(
        &["config", "check"],
        &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())],
    );
    assert_eq!(code, 0, "{out}");

    // Nothing anywhere: a config error that says where it looked.
    let (code, _, err) = btsops(&["config", "check"], &[]);
    assert_eq!(code, 3);
    assert!(err.contains("no config file found"), "{err}");

    let (code, _, err) = btsops(&["config", "check", "--config", "/nonexistent/x.toml"], &[]);
    assert_eq!(code, 3);
    assert!(
        err.contains("/nonexistent/x.toml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn bad_theme_points_at_the_config_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let check = |theme: &str| {
        std::fs::write(&cfg, format!("[ui]\ntheme = \"{theme}\"\n{GOOD}")).unwrap();
        btsops(&["config", "check", "--config", cfg.to_str().unwrap()], &[])
    };
    let at = format!("{}:2:9: ui.theme: ", cfg.display());

    let (code, _, err) = check("nosuchtheme");
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "btsops: config error: {at}unknown theme \"nosuchtheme\" \
             (stock themes: default, high-contrast, mono; or a path to a theme file)"
        )
    );

    // A path: the config line first, then the theme file's own error.
    let (code, _, err) = check("themes/missing.toml");
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&at) && err.contains("missing.toml") && err.contains("cannot read theme"),
        "{err}"
    );
    let theme = dir.path().join("mine.toml");
    std::fs::write(&theme, "[status]\nok = { fg = \"green\" }\nbogus = {}\n").unwrap();
    let (code, _, err) = check("mine.toml");
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&at) && err.contains(&format!("{}:3:", theme.display())),
        "{err}"
    );

    // The library's loader says the same, for `:reload`.
    std::fs::write(&cfg, format!("[ui]\ntheme = \"nosuchtheme\"\n{GOOD}")).unwrap();
    let loaded = config::load(Some(&cfg)).unwrap();
    let e = btsops::theme::load_for(&loaded, false).unwrap_err();
    assert_eq!((e.line, e.column, e.key.as_str()), (2, 9, "ui.theme"));
    let e = btsops::tui::load(&cfg, false).err().unwrap();
    assert_eq!((e.line, e.column, e.key.as_str()), (2, 9, "ui.theme"));
}

#[test]
fn a_password_in_a_url_is_refused_and_never_echoed() {
    let text = with("ws://127.0.0.1:8090", "ws://ops:hunter2@127.0.0.1:8090");
    let e = expect_err(&text, "hunter2", "network[0].node[0].url", "password_env");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    // A user alone is refused too: `user` is where it goes.
    let text = with("ws://127.0.0.1:8090", "ws://ops@127.0.0.1:8090");
    expect_err(&text, "ops@", "network[0].node[0].url", "`user`");
    // A URL that does not parse is quoted without its user-info as well.
    for bad in [
        "ws://ops:hunter2@127.0.0.1:notaport",
        "ops:hunter2@127.0.0.1:8090",
    ] {
        let e = expect_err(
            &with("ws://127.0.0.1:8090", bad),
            "hunter2",
            "url",
            "bad URL",
        );
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
    let text = with("127.0.0.1:1776", "ops:hunter2@127.0.0.1:1776");
    let e = expect_err(&text, "hunter2", "network[1].seed[0].addr", "user");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let lb = "\n[[lb]]\nname = \"lb\"\nnetwork = \"main\"\nruntime_api = \"unix:/run/h.sock\"\n\
              backend = \"b\"\npublic_url = \"wss://u:hunter2@api.example.org/ws\"\n";
    let e = expect_err(
        &format!("{GOOD}{lb}"),
        "hunter2",
        "lb[0].public_url",
        "password_env",
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn the_public_chain_ids_must_match_the_role() {
    let main_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
    let test_id = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";
    // mainnet role on the testnet's chain id (upper case is the same id).
    let text = GOOD.replacen(main_id, &test_id.to_uppercase(), 1);
    expect_err(
        &text,
        &test_id.to_uppercase(),
        "network[0].chain_id",
        "role is \"mainnet\"",
    );
    // testnet role on the mainnet's chain id.
    let text = GOOD.replacen(test_id, main_id, 1);
    let at = text.rfind(main_id).expect("replaced");
    let line = text[..at].matches('\n').count() + 1;
    let e = parse(&text).expect_err("testnet role on the mainnet chain");
    assert_eq!(
        (e.line, e.key.as_str()),
        (line, "network[1].chain_id"),
        "{e}"
    );
    assert!(e.message.contains("public BitShares mainnet"), "{e}");
    // A private chain may have either role.
    let own = "a".repeat(64);
    let c = parse(
        &GOOD
            .replacen(main_id, &own, 1)
            .replacen(test_id, &own.replace('a', "b"), 1),
    )
    .expect("private chains");
    assert_eq!(c.networks[1].role, Role::Testnet);
}

#[test]
fn monitor_durations_are_capped_and_overflow_names_the_key() {
    for (key, value, says) in [
        ("timeout_ms", "3600001", "at most 3600000"),
        ("probe_interval_ms", "3600001", "at most 3600000"),
        ("seed_interval_ms", "86400001", "at most 86400000"),
        // window_s * 1000 overflowed u64 from here on, and reported something else
        // (or panicked in a debug build).
        ("window_s", "18446744073709552", "at most 604800"),
        ("window_s", "9223372036854775807", "at most 604800"),
    ] {
        let text = format!("[monitor]\n{key} = {value}\n{GOOD}");
        expect_err(&text, value, &format!("monitor.{key}"), says);
    }
    let text = format!("[monitor]\ntimeout_ms = 3600000\nwindow_s = 604800\n{GOOD}");
    let m = parse(&text)
        .expect("the caps themselves are allowed")
        .monitor;
    assert_eq!((m.timeout_ms, m.window_s), (3_600_000, 604_800));
}

#[test]
fn a_config_without_endpoints_is_a_config_error() {
    let empty = "[[network]]\nname = \"main\"\nrole = \"mainnet\"\n\
                 chain_id = \"4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8\"\n\
                 prefix = \"BTS\"\n";
    for text in ["", "[ui]\nbell = true\n", empty] {
        let e = parse(text).expect_err("no endpoints");
        assert!(e.message.contains("no endpoints"), "{e}");
    }
    // A load balancer's public URL is an endpoint of its own.
    let lb = "[[lb]]\nname = \"lb\"\nnetwork = \"main\"\nruntime_api = \"unix:/run/h.sock\"\n\
              backend = \"b\"\npublic_url = \"wss://api.example.org/ws\"\n";
    parse(&format!("{empty}{lb}")).expect("an lb URL is enough");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.toml");
    std::fs::write(&p, empty).unwrap();
    let (code, out, err) = btsops(&["config", "check", "--config", p.to_str().unwrap()], &[]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("empty.toml: no endpoints"), "{err}");
}

#[test]
fn devices_fifos_and_huge_files_are_not_read_as_config() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let huge = dir.path().join("huge.toml");
    let mut text = GOOD.to_string();
    while text.len() <= config::MAX_CONFIG_BYTES as usize {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&huge, &text).unwrap();
    for (path, says) in [
        (
            Path::new("/dev/zero"),
            "not a regular file (it is a character device)",
        ),
        (fifo.as_path(), "not a regular file (it is a FIFO)"),
        (dir.path(), "not a regular file (it is a directory)"),
        (huge.as_path(), "larger than the 1024 KiB limit"),
    ] {
        for sub in [&["config", "check"][..], &["check"]] {
            let out = support::process::output_within(
                Command::new(env!("CARGO_BIN_EXE_btsops"))
                    .args(sub)
                    .arg("--config")
                    .arg(path),
                Duration::from_secs(20),
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(3),
                "{sub:?} {}: {err}",
                path.display()
            );
            assert!(
                err.contains(&path.display().to_string()) && err.contains(says),
                "{err}"
            );
        }
    }
}

/// `btsops config check | head -c0`: the reader is gone before anything is written.
/// The exit code is still the command's own, with no panic on stderr.
#[test]
fn a_closed_stdout_ends_config_check_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, GOOD.replace("prefix = \"TEST\"", "prefix = \"test\"")).unwrap();
    for (path, code) in [(&good, 0), (&bad, 3)] {
        let out = support::process::output_with_closed_stdout(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["config", "check", "--config"])
                .arg(path)
                .env("B_PASS", "set"),
            Duration::from_secs(20),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    }
}
