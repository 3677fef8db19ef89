//! The unmodified python-bitshares 0.7.1 client library, installed into a virtualenv
//! by `.ci/run` (its interpreter is named by `BTSOPS_PYTHON`).
//!
//! Absent: the test prints a SKIP line and returns, unless `BTSOPS_REQUIRE_PYBITSHARES=1`
//! (set by `.ci/run`), where a missing interpreter fails the test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use super::require::skip_line;

/// The interpreter that has `bitshares` 0.7.1 installed, or None after printing why.
pub fn python(test: &str) -> Option<PathBuf> {
    python_required_by(test, &[])
}

/// As `python`, for a test that other `BTSOPS_REQUIRE_*` flags also demand: a test of the
/// reference node must not pass vacuously under `BTSOPS_REQUIRE_ORACLE=1` just because
/// the client library is missing.
pub fn python_required_by(test: &str, flags: &[&str]) -> Option<PathBuf> {
    let required = std::iter::once("BTSOPS_REQUIRE_PYBITSHARES")
        .chain(flags.iter().copied())
        .find(|f| super::require::required(f));
    let found = std::env::var_os("BTSOPS_PYTHON")
        .map(PathBuf::from)
        .filter(|p| {
            Command::new(p)
                .args([
                    "-c",
                    "import sys; from importlib.metadata import version; sys.exit(0 if version('bitshares') == '0.7.1' else 1)",
                ])
                .status()
                .is_ok_and(|s| s.success())
        });
    if found.is_none() {
        if let Some(flag) = required {
            panic!("{flag}=1 but BTSOPS_PYTHON does not name a python with bitshares 0.7.1");
        }
        skip_line(&format!(
            "SKIP {test}: no python-bitshares 0.7.1 (set BTSOPS_PYTHON to a virtualenv's python; .ci/run makes one)"
        ));
    }
    found
}

/// Runs tests/python/pybitshares_client.py with `args`; returns its JSON summary.
pub fn run_client(python: &Path, args: &[&str]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/pybitshares_client.py");
    let out = super::process::output_within(
        Command::new(python).arg(script).args(args),
        std::time::Duration::from_secs(300),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python-bitshares client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("client prints one JSON object")
}
