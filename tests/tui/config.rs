//! Keymap and theme files: every mistake names file, line and key.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::support::process::output_within;

/// Longest a btsops run here may take before it is killed and the test fails.
const LIMIT: Duration = Duration::from_secs(60);

use btsops::config;
use btsops::theme;
use btsops::tui::Keymap;

const NET: &str = r#"
[[network]]
name = "main"
role = "mainnet"
chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8"
prefix = "BTS"
  [[network.seed]]
  name = "s"
  addr = "127.0.0.1:1776"
"#;

fn keymap(keys: &str) -> Result<Keymap, config::ConfigError> {
    let text = format!("{NET}\n[keys]\n{keys}");
    let file = Path::new("/etc/btsops/c.toml");
    let cfg = config::parse(file, &text)?;
    Keymap::from_config(&cfg.source, &cfg.keys)
}

/// Line 1 is the blank line NET starts with; [keys] follows NET and a blank line.
fn keys_line(n: usize) -> usize {
    NET.lines().count() + 2 + n
}

#[test]
fn good_overrides_load() {
    let km = keymap("quit = \"x\"\nack = [\"a\", \"Enter\"]\n").unwrap();
    assert_eq!(km.hint(btsops::tui::commands::CommandId::Quit), "x");
}

#[test]
fn duplicate_key_names_file_line_and_key() {
    let e = keymap("quit = \"x\"\nhelp = \"j\"\n").unwrap_err();
    assert_eq!(e.file, Path::new("/etc/btsops/c.toml"));
    assert_eq!((e.line, e.key.as_str()), (keys_line(2), "keys.help"));
    assert!(e.message.contains("already bound to down"), "{e}");
}

#[test]
fn multiplexer_prefix_names_file_line_and_key() {
    let e = keymap("\n\nredraw = \"C-b\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (keys_line(3), "keys.redraw"));
    assert!(e.message.contains("tmux"), "{e}");
}

#[test]
fn unknown_command_and_bad_value_name_their_line() {
    let e = keymap("quit = \"q\"\nqiut = \"x\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (keys_line(2), "keys.qiut"));
    let e = keymap("quit = 3\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (keys_line(1), "keys.quit"));
    let e = keymap("quit = \"Ctrl+q\"\n").unwrap_err();
    assert_eq!(e.line, keys_line(1));
    assert!(e.message.contains("unknown key"), "{e}");
}

#[test]
fn theme_file_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(
        &path,
        "[status]\nok = { fg = \"green\" }\n\n[ui]\nbar = { fg = \"#ff0000\" }\n",
    )
    .unwrap();
    let e = theme::load("mine.toml", &dir.path().join("config.toml"), false).unwrap_err();
    assert_eq!(
        (e.file.clone(), e.line, e.key.as_str()),
        (path.clone(), 5, "ui.bar.fg")
    );
    assert!(
        e.to_string().starts_with(&format!("{}:5:", path.display())),
        "{e}"
    );
    std::fs::write(&path, "[ui]\nbar = { reversed = true }\nbaz = {}\n").unwrap();
    let e = theme::load_file(&path).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("baz"), "{e}");
}

#[test]
fn config_check_refuses_bad_keys_and_themes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let run = |text: &str| {
        std::fs::write(&path, text).unwrap();
        output_within(
            Command::new(env!("CARGO_BIN_EXE_btsops"))
                .args(["config", "check", "--config"])
                .arg(&path),
            LIMIT,
        )
    };
    let out = run(&format!("{NET}\n[keys]\nhelp = \"C-a\"\n"));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("c.toml:{}:1: keys.help:", keys_line(1))),
        "{err}"
    );
    let out = run(&format!("[ui]\ntheme = \"nope.toml\"\n{NET}"));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
    let out = run(NET);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `btsops ARGS` with no terminal on stdin, stdout or stderr.
fn without_terminal(args: &[&str]) -> std::process::Output {
    output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(args)
            .stdin(std::process::Stdio::null()),
        LIMIT,
    )
}

#[test]
fn console_without_a_terminal_points_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, NET).unwrap();
    let out = without_terminal(&["--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a terminal") && err.contains("btsops check"),
        "{err}"
    );
}

#[test]
fn console_without_a_terminal_still_reports_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let p = path.to_str().unwrap();
    let cases = [
        (
            format!("{NET}colour = 1\n"),
            NET.lines().count() + 1,
            1,
            "colour",
        ),
        (
            format!("[ui]\ntheme = \"nosuch\"\n{NET}"),
            2,
            9,
            "ui.theme: unknown theme",
        ),
        (
            format!("{NET}\n[keys]\nquit = \"C-b\"\n"),
            keys_line(1),
            1,
            "keys.quit",
        ),
    ];
    for (text, line, col, says) in cases {
        std::fs::write(&path, text).unwrap();
        for args in [
            vec!["--config", p],
            vec!["replay", "--config", p, "x.jsonl"],
        ] {
            let out = without_terminal(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
            assert!(
                err.contains(&format!("config error: {p}:{line}:{col}: "))
                    && err.contains(says)
                    && !err.contains("needs a terminal"),
                "{args:?}: {err}"
            );
        }
    }
    let out = without_terminal(&["--config", "/nonexistent/c.toml"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn reload_loads_what_start_loads_and_reports_errors_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, format!("[ui]\ntheme = \"mono\"\nbell = true\n{NET}")).unwrap();
    let r = btsops::tui::load(&path, false).unwrap();
    assert_eq!(r.theme.name, "mono");
    assert!(r.config.ui.bell);
    std::fs::write(&path, format!("{NET}\n[keys]\nquit = \"C-b\"\n")).unwrap();
    let e = btsops::tui::load(&path, false).unwrap_err();
    assert!(e.to_string().contains("keys.quit"), "{e}");
    // The console keeps its old state and shows the error.
    let mut app = super::fleet::app();
    let before = app.keymap.clone();
    btsops::tui::update(&mut app, btsops::tui::Msg::Reloaded(Err(e.to_string())));
    assert_eq!(app.keymap, before);
    assert!(app.notice.unwrap().text.contains("keys.quit"));
}

#[test]
fn replay_without_a_terminal_points_to_check() {
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_btsops"))
            .args(["replay", "tests/fixtures/monitor_faults.jsonl"])
            .stdin(std::process::Stdio::null()),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));
}

#[test]
fn the_console_usage_names_its_options() {
    let out = without_terminal(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    let usage = help
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line: {help}"));
    for option in ["--config FILE", "--read-only", "--record FILE"] {
        assert!(usage.contains(option), "{usage}");
    }
    assert!(help.contains("--record <FILE>"), "{help}");
}

#[test]
fn record_before_a_subcommand_is_refused_with_where_it_goes() {
    let out = without_terminal(&["--record", "x.jsonl", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("btsops check --record FILE"), "{err}");
}

/// The recording is read before the terminal is asked for: a missing or empty file
/// says so, wherever the command runs.
#[test]
fn replay_checks_the_file_before_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let out = without_terminal(&["replay", missing.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("missing.jsonl") && !err.contains("needs a terminal"),
        "{err}"
    );
    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, "not json\n").unwrap();
    let out = without_terminal(&["replay", junk.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no snapshots or events to replay") && !err.contains("needs a terminal"),
        "{err}"
    );
}
