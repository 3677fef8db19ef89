//! The reference bitshares-core witness_node from `../shared/oracle`, run as a private
//! single-node chain on loopback ports the OS picked, in its own temporary data dir.
//!
//! Absent oracle: the test prints a SKIP line and returns, unless
//! `BTSOPS_REQUIRE_ORACLE=1`, where a missing oracle fails the test.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::output_within;
pub use super::require::skip_line;

/// Longest a chain script (start, fund) may run before it is killed and the test fails.
const SCRIPT_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

/// The oracle's chain id (sha256 of its genesis.json).
pub const CHAIN_ID: &str = "b5b0417c3cf004966f97f630ed8f27b93ce134c690371066c7ae94cf476888de";
/// The well-known dev key that owns init0..init10 and nathan.
pub const DEV_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
pub const DEV_PUB: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
/// nathan, who holds the whole supply after `fund_nathan`.
pub const NATHAN: &str = "1.2.17";

pub struct Oracle {
    pub rpc_port: u16,
    /// The node's P2P port (seed probes).
    pub p2p_port: u16,
    pub ws_url: String,
    pub http_url: String,
    dir: PathBuf,
    data: tempfile::TempDir,
}

fn oracle_dir() -> PathBuf {
    match std::env::var_os("BTSOPS_ORACLE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle"),
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    l.local_addr().expect("local addr").port()
}

impl Oracle {
    /// Starts a fresh chain, or returns None (after printing why) when the oracle is absent
    /// and not required.
    pub fn start(test: &str) -> Option<Oracle> {
        let dir = oracle_dir();
        if !dir.join("bin/witness_node").exists() {
            let required = std::env::var("BTSOPS_REQUIRE_ORACLE").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "BTSOPS_REQUIRE_ORACLE=1 but no oracle at {}",
                dir.display()
            );
            skip_line(&format!(
                "SKIP {test}: no reference node at {} (set BTSOPS_REQUIRE_ORACLE=1 to fail instead)",
                dir.display()
            ));
            return None;
        }
        let data = tempfile::tempdir().expect("temp data dir");
        // The script binds the ports itself; a free port picked here is free for a moment,
        // so retry a few times in case another test took it meanwhile.
        for attempt in 0..3 {
            let rpc_port = free_port();
            let p2p_port = free_port();
            let out = output_within(
                Command::new(dir.join("start-private-chain.sh"))
                    .args(["-f", "-d"])
                    .arg(data.path())
                    .env("RPC_PORT", rpc_port.to_string())
                    .env("P2P_PORT", p2p_port.to_string()),
                SCRIPT_LIMIT,
            );
            if out.status.success() {
                return Some(Oracle {
                    rpc_port,
                    p2p_port,
                    ws_url: format!("ws://127.0.0.1:{rpc_port}"),
                    http_url: format!("http://127.0.0.1:{rpc_port}"),
                    dir,
                    data,
                });
            }
            eprintln!(
                "oracle start attempt {attempt} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = Command::new(dir.join("stop-private-chain.sh"))
                .arg(data.path())
                .output();
        }
        panic!(
            "reference node did not start; log in {}",
            data.path().display()
        );
    }

    /// The witness_node's process id, from the data dir's `witness_node.pid`.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.path().join("witness_node.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Sends a signal by name (`STOP`, `CONT`) to the node process.
    pub fn signal(&self, sig: &str) {
        let pid = self.pid().expect("witness_node.pid");
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} {pid} failed");
    }

    /// Claims the genesis balance into nathan (takes about 8 s).
    pub fn fund_nathan(&self) {
        let out = output_within(
            Command::new(self.dir.join("fund-nathan.sh"))
                .env("RPC_PORT", self.rpc_port.to_string())
                .env("WALLET_PORT", free_port().to_string()),
            SCRIPT_LIMIT,
        );
        assert!(
            out.status.success(),
            "fund-nathan.sh failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = Command::new(self.dir.join("stop-private-chain.sh"))
            .arg(self.data.path())
            .output();
    }
}
