//! Skips that cannot hide: a test whose tool or facility is missing prints a SKIP line
//! the harness does not capture, and fails instead when its `BTSOPS_REQUIRE_*` flag is
//! `1` (`.ci/run` sets them all, so CI never passes a test vacuously).

#![allow(dead_code)]

use std::io::Write;
use std::process::Command;

/// Whether the environment variable `flag` is `1`.
pub fn required(flag: &str) -> bool {
    std::env::var(flag).is_ok_and(|v| v == "1")
}

/// Prints `SKIP test: why` or, when any of `flags` is `1`, fails the test.
pub fn skip_or_fail(flags: &[&str], test: &str, why: &str) {
    if let Some(flag) = flags.iter().find(|f| required(f)) {
        panic!("{flag}=1 but {test} cannot run: {why}");
    }
    skip_line(&format!(
        "SKIP {test}: {why} (set {} to fail instead)",
        flags
            .iter()
            .map(|f| format!("{f}=1"))
            .collect::<Vec<_>>()
            .join(" or ")
    ));
}

/// util-linux `script` (a pseudo-terminal for the console); false after a SKIP line,
/// a failure under `BTSOPS_REQUIRE_PTY=1`.
pub fn script(test: &str) -> bool {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip_or_fail(
            &["BTSOPS_REQUIRE_PTY"],
            test,
            "util-linux `script` not found",
        );
    }
    found
}

/// The proc filesystem (process RSS, fds, CPU times); false after a SKIP line, a failure
/// under `BTSOPS_REQUIRE_PROCFS=1`.
pub fn procfs(test: &str) -> bool {
    let found = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.contains("VmRSS:"))
        && std::fs::read_dir("/proc/self/fd").is_ok();
    if !found {
        skip_or_fail(
            &["BTSOPS_REQUIRE_PROCFS"],
            test,
            "no readable /proc (process status and fds)",
        );
    }
    found
}

/// Prints a line the test harness does not capture: it captures the print macros and the
/// std stderr handle, and a skip must be visible in a plain `cargo test` run.
pub fn skip_line(line: &str) {
    match std::fs::OpenOptions::new().write(true).open("/dev/stderr") {
        Ok(mut tty) => {
            let _ = writeln!(tty, "{line}");
        }
        Err(_) => eprintln!("{line}"),
    }
}
