//! `btsops demo`: a simulated fleet in-process, the monitor on it, the console on
//! top, and a scenario that breaks nodes and heals them, so every pane has something
//! to show. With main.rs, the only place where simnet meets the console.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{self, Config, ConfigError};
use crate::monitor::EngineOptions;
use crate::simnet::{Fault, Fleet, FleetDescription, FleetHandle};
use crate::tui::{self, App, Msg};

use crate::simnet::chain_state::{MAINNET_CHAIN_ID as MAINNET_ID, TESTNET_CHAIN_ID as TESTNET_ID};

/// One-second blocks so lag builds up visibly within the scenario's minute.
fn fleet_toml() -> String {
    format!(
        r#"
[[network]]
name = "mainnet"
role = "mainnet"
chain_id = "{MAINNET_ID}"
prefix = "BTS"
block_interval = 1
  [[network.node]]
  name = "eu-1"
  info = "demo node eu-1"
  [[network.node]]
  name = "eu-2"
  [[network.node]]
  name = "us-1"
  [[network.node]]
  name = "us-2"
  [[network.node]]
  name = "asia-1"
  [[network.node]]
  name = "asia-2"
  lag_blocks = 1
  [[network.seed]]
  name = "seed-eu"

[[network]]
name = "testnet"
role = "testnet"
chain_id = "{TESTNET_ID}"
prefix = "TEST"
block_interval = 1
  [[network.node]]
  name = "t-eu"
  [[network.node]]
  name = "t-us"
  [[network.node]]
  name = "t-asia"
  # The faucet registers with the oracle's well-known dev key (demo only).
  [[network.account]]
  name = "faucet"
  owner_key = "TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
  lifetime_member = true
  balance = 100000000000
  [[network.faucet]]
  name = "t-faucet"
  registrar = "faucet"
  registrar_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"
  referrer_percent = 50
"#
    )
}

/// The scenario, repeated: (seconds into the cycle, network, node, what happens).
const SCENARIO: [(u64, &str, &str, Step); 10] = [
    (8, "mainnet", "us-1", Step::Break(Fault::StallHead)),
    (
        14,
        "mainnet",
        "asia-1",
        Step::Break(Fault::Latency {
            delay_ms: 600,
            jitter_ms: 150,
        }),
    ),
    (20, "mainnet", "eu-2", Step::Break(Fault::Freeze)),
    (26, "testnet", "t-us", Step::Break(Fault::WrongChainId)),
    // A seed's decrypted hello (probe level L2) names another chain: crit.
    (32, "mainnet", "seed-eu", Step::Break(Fault::WrongChainId)),
    (40, "mainnet", "us-1", Step::Heal),
    (46, "mainnet", "asia-1", Step::Heal),
    (52, "mainnet", "eu-2", Step::Heal),
    (58, "testnet", "t-us", Step::Heal),
    (64, "mainnet", "seed-eu", Step::Heal),
];
/// Length of one scenario cycle: a quiet stretch, then it starts over.
const CYCLE_S: u64 = 90;

#[derive(Debug, Clone, Copy)]
enum Step {
    Break(Fault),
    Heal,
}

/// The monitor config for the running fleet: its real loopback URLs, thresholds
/// scaled to one-second blocks.
fn config_for(fleet: &FleetHandle) -> Result<Config, ConfigError> {
    let mut t =
        String::from("[monitor]\nprobe_interval_ms = 1000\ntimeout_ms = 5000\nwindow_s = 30\n");
    for (name, role, id, prefix) in [
        ("mainnet", "mainnet", MAINNET_ID, "BTS"),
        ("testnet", "testnet", TESTNET_ID, "TEST"),
    ] {
        t.push_str(&format!(
            "\n[[network]]\nname = \"{name}\"\nrole = \"{role}\"\nchain_id = \"{id}\"\nprefix = \"{prefix}\"\n\
             lag_warn_s = 4\nlag_crit_s = 10\nlag_warn_blocks = 2\nlag_crit_blocks = 6\n\
             latency_warn_ms = 400\nlatency_crit_ms = 1500\n"
        ));
        for e in fleet.endpoints().iter().filter(|e| e.network == name) {
            match e.kind {
                crate::simnet::EndpointKind::Node => t.push_str(&format!(
                    "  [[network.node]]\n  name = \"{}\"\n  url = \"{}\"\n",
                    e.name, e.url
                )),
                crate::simnet::EndpointKind::Seed => t.push_str(&format!(
                    "  [[network.seed]]\n  name = \"{}\"\n  addr = \"{}\"\n",
                    e.name, e.addr
                )),
                // The faucet is no monitored endpoint.
                crate::simnet::EndpointKind::Faucet => {}
            }
        }
    }
    config::parse(Path::new("(demo fleet)"), &t)
}

/// Runs the demo until the operator quits.
pub async fn run(app: App) -> color_eyre::Result<()> {
    tui::terminal::require_tty()?;
    let desc = FleetDescription::from_toml(&fleet_toml())?;
    let fleet = Fleet::start(&desc).await?;
    let config = config_for(&fleet)?;
    let opts = EngineOptions::from_config(&config.monitor);
    let (tx, rx) = tui::live::feed();
    let scenario = tokio::spawn(scenario(
        SCENARIO
            .iter()
            .filter_map(|(at, net, node, step)| {
                fleet
                    .faults(net, node)
                    .map(|h| (*at, *net, *node, *step, h))
            })
            .collect(),
        tx.clone(),
    ));
    let result =
        tui::live::run_with_feed(app, config, opts, tui::Options::default(), (tx, rx)).await;
    scenario.abort();
    fleet.shutdown().await;
    result?;
    Ok(())
}

type Planned = Vec<(
    u64,
    &'static str,
    &'static str,
    Step,
    crate::simnet::FaultHandle,
)>;

async fn scenario(steps: Planned, tx: mpsc::Sender<Msg>) {
    let start = tokio::time::Instant::now();
    for cycle in 0.. {
        for (at, net, node, step, handle) in &steps {
            let when = start + Duration::from_secs(cycle * CYCLE_S + at);
            tokio::time::sleep_until(when).await;
            let text = match step {
                Step::Break(f) => {
                    handle.inject(*f);
                    format!("demo: {} on {net}/{node}", f.kind())
                }
                Step::Heal => {
                    handle.recover();
                    format!("demo: {net}/{node} recovered")
                }
            };
            if tx.send(Msg::Notice { text, error: false }).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_fleet_describes() {
        let d = FleetDescription::from_toml(&fleet_toml()).unwrap();
        assert_eq!(d.networks.len(), 2);
        for (_, net, node, _) in SCENARIO {
            let n = d.networks.iter().find(|n| n.name == net).unwrap();
            assert!(
                n.nodes.iter().any(|x| x.name == node) || n.seeds.iter().any(|x| x.name == node),
                "{node}"
            );
        }
    }
}
