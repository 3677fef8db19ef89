//! A simnet testnet (and a mainnet beside it) plus a btsops config whose `[stress]`
//! section points at it, for stress-run tests. Every listener is on 127.0.0.1:0.

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use btsops::chain::PrivateKey;
use btsops::config::{self, Config};
use btsops::simnet::chain_state::{MAINNET_CHAIN_ID, TESTNET_CHAIN_ID};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};
use btsops::stress::{Options, Report, Run, keys, plan, targets};

use super::simnet::{DEV_PUB, DEV_WIF};

pub const FUNDER: &str = "funder";

/// Testnet nodes `a`, `b`, `victim` (1 s blocks, TEST prefix) with a lifetime-member
/// funder holding the dev key; a mainnet node `main` on the real mainnet chain id.
pub fn fleet_toml() -> String {
    let dev_test = DEV_PUB.replacen("BTS", "TEST", 1);
    format!(
        r#"
[[network]]
name = "testnet"
role = "testnet"
block_interval = 1

  [[network.account]]
  name = "{FUNDER}"
  owner_key = "{dev_test}"
  lifetime_member = true
  balance = 10000000000000

  [[network.node]]
  name = "a"
  [[network.node]]
  name = "b"
  [[network.node]]
  name = "victim"

[[network]]
name = "mainnet"
role = "mainnet"
block_interval = 1

  [[network.node]]
  name = "main"
"#
    )
}

pub async fn start() -> FleetHandle {
    let desc = FleetDescription::from_toml(&fleet_toml()).expect("stress fleet parses");
    Fleet::start(&desc).await.expect("stress fleet starts")
}

/// `[stress]` limits for tests; callers may append or replace.
pub const LIMITS: &str =
    "max_tps = 400\nmax_duration_s = 30\nmax_total = 5000\nmax_error_rate = 1.0\n";

/// A config with the testnet's nodes `a`, `b`, `victim` and, named `impostor`, the
/// mainnet node: a configured testnet endpoint that really serves mainnet.
pub fn config(fleet: &FleetHandle, limits: &str) -> Config {
    config::parse(Path::new("stress-test.toml"), &config_text(fleet, limits))
        .expect("stress test config is valid")
}

/// The text of [`config`].
pub fn config_text(fleet: &FleetHandle, limits: &str) -> String {
    let mut t = format!(
        "[[network]]\nname = \"testnet\"\nrole = \"testnet\"\nchain_id = \"{TESTNET_CHAIN_ID}\"\nprefix = \"TEST\"\n"
    );
    for (name, net, node) in [
        ("a", "testnet", "a"),
        ("b", "testnet", "b"),
        ("victim", "testnet", "victim"),
        ("impostor", "mainnet", "main"),
    ] {
        let url = &fleet.endpoint(net, node).expect("node exists").url;
        t.push_str(&format!(
            "\n  [[network.node]]\n  name = \"{name}\"\n  url = \"{url}\"\n"
        ));
    }
    t.push_str(&format!("\n[stress]\nnetwork = \"testnet\"\n{limits}"));
    t
}

/// An owner-only keys file in `dir` holding the funder's key; returns its path.
pub fn keys_file(dir: &Path) -> std::path::PathBuf {
    let keys = dir.join("keys.toml");
    std::fs::write(
        &keys,
        format!("[[account]]\nname = \"{FUNDER}\"\nwif = \"{DEV_WIF}\"\n"),
    )
    .expect("keys file written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))
            .expect("keys file made owner-only");
    }
    keys
}

/// The funder as the keys file would give it.
pub fn funder() -> keys::Account {
    keys::Account {
        name: FUNDER.into(),
        key: PrivateKey::from_wif(DEV_WIF).expect("dev key"),
    }
}

/// Run options from a plan's text, as `btsops stress run` builds them.
pub fn options(cfg: &Config, plan_text: &str, data_dir: &Path) -> Options {
    let p = plan::parse("plan.toml", plan_text).expect("plan parses");
    let limits = cfg.stress.clone().expect("[stress]");
    let effective = plan::effective("plan.toml", &p, &limits).expect("plan is valid");
    let (network, targets) = targets::resolve(cfg, &effective.targets).expect("targets resolve");
    Options {
        plan: p,
        effective,
        network,
        targets,
        funder: Some(funder()),
        data_dir: data_dir.to_path_buf(),
    }
}

/// Runs to the end within `limit`, else stops it and fails.
pub async fn run_within(opts: Options, limit: Duration) -> Report {
    let mut run = Run::start(opts);
    let stopper = run.stopper();
    // Drain progress so the channel never matters.
    let drain = async { while run.progress.recv().await.is_some() {} };
    if tokio::time::timeout(limit, drain).await.is_err() {
        stopper.trigger("test deadline");
        panic!("stress run did not end within {limit:?}");
    }
    run.finish().await.expect("run task ends")
}

/// Broadcast calls that reached a simnet node.
pub fn broadcasts(fleet: &FleetHandle, network: &str, node: &str) -> u64 {
    fleet
        .node(network, node)
        .expect("node exists")
        .broadcasts
        .load(Ordering::Relaxed)
}

pub const MAINNET: &str = MAINNET_CHAIN_ID;
