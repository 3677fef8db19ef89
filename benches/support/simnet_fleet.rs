//! `btsops simnet` with N mainnet nodes in its own process (so only the measured process's
//! CPU and memory count), and the btsops config that watches them at a 1 s interval:
//! shared by the `monitor` and `export` benches.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use super::process::Killed;
use btsops::simnet::chain_state::MAINNET_CHAIN_ID;

/// Starts the fleet (files under `dir`); returns the running simnet and the config text.
pub fn start(dir: &std::path::Path, n: usize, block_interval: u64) -> (Killed, String) {
    let fleet = dir.join("fleet.toml");
    let mut text = format!("[[network]]\nname = \"mainnet\"\nblock_interval = {block_interval}\n");
    for i in 0..n {
        text.push_str(&format!("[[network.node]]\nname = \"n{i}\"\n"));
    }
    std::fs::write(&fleet, text).expect("write fleet file");
    let mut sim = Command::new(env!("CARGO_BIN_EXE_btsops"))
        .args(["simnet", "--fleet"])
        .arg(&fleet)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn btsops simnet");
    let sim_out = sim.stdout.take().expect("stdout");
    let sim = Killed(sim);
    let mut config = format!(
        "[monitor]\nprobe_interval_ms = 1000\ntimeout_ms = 5000\nwindow_s = 300\n\n\
         [[network]]\nname = \"mainnet\"\nrole = \"mainnet\"\nchain_id = \"{MAINNET_CHAIN_ID}\"\nprefix = \"BTS\"\n"
    );
    for line in BufReader::new(sim_out).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.expect("line")).expect("json");
        if v["ready"] == true {
            break;
        }
        if let (Some(name), Some(url)) = (v["name"].as_str(), v["url"].as_str()) {
            if v["kind"] == "node" {
                config.push_str(&format!(
                    "  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n  public = true\n"
                ));
            }
        }
    }
    (sim, config)
}
