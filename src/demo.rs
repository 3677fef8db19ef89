//! `btsops demo`: a simulated fleet in-process, the monitor on it, the console on
//! top, and a scenario that breaks nodes and heals them, so every pane has something
//! to show. With main.rs, the only place where simnet meets the console.
//!
//! Each network has a load balancer in front of its nodes, so there is a failover to try:
//! a real `haproxy -db` ([`haproxy`]) when one is found, else simnet's stand-in
//! ([`crate::simnet::lb`]); `BTSOPS_DEMO_LB=standin` forces the stand-in.

pub mod haproxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{self, Config};
use crate::monitor::EngineOptions;
use crate::simnet::default_fleet::lb_section;
use crate::simnet::{Fault, Fleet, FleetDescription, FleetHandle, LbEndpoint};
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
  # Not yet upgraded: the overview shows the rollout (versions ×5, ×1) and marks it.
  version = "6.0.2"
  [[network.seed]]
  name = "seed-eu"
  [[network.lb]]
  name = "lb-main"
  backend = "bts_api"
  check_interval_ms = 500

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
  [[network.lb]]
  name = "lb-test"
  backend = "bts_api"
  check_interval_ms = 500
  # The faucet registers with the oracle's well-known dev key (demo only).
  [[network.account]]
  name = "faucet"
  owner_key = "TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
  lifetime_member = true
  balance = 100000000000
  # Pays for the stress pane's (6) senders: the same dev key, its own account so the
  # faucet's numbers count only the faucet's registrations.
  [[network.account]]
  name = "stress-funder"
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
/// scaled to one-second blocks, and an `[[lb]]` per load balancer.
fn config_text(fleet: &FleetHandle, lbs: &[LbEndpoint]) -> String {
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
                    "  [[network.node]]\n  name = \"{}\"\n  url = \"{}\"\n  region = \"{}\"\n",
                    e.name,
                    e.url,
                    region_of(&e.name)
                )),
                crate::simnet::EndpointKind::Seed => t.push_str(&format!(
                    "  [[network.seed]]\n  name = \"{}\"\n  addr = \"{}\"\n  region = \"{}\"\n",
                    e.name,
                    e.addr,
                    region_of(&e.name)
                )),
                // The faucet is no monitored endpoint.
                crate::simnet::EndpointKind::Faucet => {}
            }
        }
    }
    for l in lbs {
        lb_section(&mut t, l, &l.name);
    }
    faucet_section(&mut t, fleet);
    t
}

/// The demo's regions, from its endpoint names: `eu-1`, `t-eu` and `seed-eu` are "eu".
fn region_of(name: &str) -> &str {
    let rest = name
        .strip_prefix("t-")
        .or_else(|| name.strip_prefix("seed-"))
        .unwrap_or(name);
    rest.split('-').next().unwrap_or(rest)
}

/// `[faucet]` for the testnet's faucet, so the console's faucet pane (`5`) has one: a
/// target of 100 accounts over the month around today.
fn faucet_section(t: &mut String, fleet: &FleetHandle) {
    let Some(f) = fleet
        .endpoints()
        .iter()
        .find(|e| e.kind == crate::simnet::EndpointKind::Faucet && e.network == "testnet")
    else {
        return;
    };
    let today = time::OffsetDateTime::now_utc().date();
    t.push_str(&format!(
        "\n[faucet]\nnetwork = \"testnet\"\nurl = \"{}\"\nregistrar = \"faucet\"\n\
         target_accounts = 100\nstart_date = \"{}\"\ntarget_date = \"{}\"\n",
        f.url,
        today - time::Duration::days(7),
        today + time::Duration::days(23)
    ));
}

/// Which load balancers the demo puts in front of its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LbChoice {
    /// A real `haproxy -db` per LB, this binary.
    Haproxy(PathBuf),
    /// simnet's stand-in.
    StandIn,
}

impl LbChoice {
    /// `BTSOPS_DEMO_LB=standin` forces the stand-in; otherwise `$HAPROXY_BIN` or
    /// `haproxy` on PATH, else the stand-in.
    pub fn detect() -> LbChoice {
        if std::env::var("BTSOPS_DEMO_LB").is_ok_and(|v| v == "standin") {
            return LbChoice::StandIn;
        }
        haproxy::find().map_or(LbChoice::StandIn, LbChoice::Haproxy)
    }

    /// One line for the operator.
    pub fn describe(&self) -> String {
        match self {
            LbChoice::Haproxy(bin) => format!(
                "demo: load balancers are real HAProxy ({}; BTSOPS_DEMO_LB=standin for the stand-in)",
                bin.display()
            ),
            LbChoice::StandIn => {
                "demo: load balancers are simnet's HAProxy stand-in (no haproxy on PATH)".into()
            }
        }
    }
}

/// The demo's fleet with its load balancers and the config that points at them.
pub struct DemoFleet {
    pub fleet: FleetHandle,
    /// The real HAProxys, stopped when dropped; empty with the stand-in.
    pub haproxies: Vec<haproxy::Haproxy>,
    pub lbs: Vec<LbEndpoint>,
    /// The config text (TOML), as a `--config` file would hold it.
    pub config_text: String,
    pub config: Config,
    /// The stress pane's keys file, plan, reports and sender store: the demo's own,
    /// removed with it, never the operator's data dir.
    pub files: tempfile::TempDir,
}

/// The key of the demo testnet's `stress-funder` (the oracle's well-known dev key).
const DEMO_FUNDER_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

/// Writes the stress keys file (owner-only, as `[stress] keys_file` must be) and a
/// small transfer plan into `dir`; returns the config's `[stress]` section.
fn stress_files(dir: &Path) -> std::io::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let keys = dir.join("stress-keys.toml");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&keys)?
        .write_all(
            format!("[[account]]\nname = \"stress-funder\"\nwif = \"{DEMO_FUNDER_WIF}\"\n")
                .as_bytes(),
        )?;
    let plan = dir.join("stress-plan.toml");
    std::fs::write(
        &plan,
        "kind = \"transfer\"\nrate = 50\nduration_s = 20\nsenders = 4\nfunder = \"stress-funder\"\n",
    )?;
    Ok(format!(
        "\n[stress]\nnetwork = \"testnet\"\nkeys_file = \"{}\"\nplan = \"{}\"\n\
         max_tps = 200\nmax_duration_s = 120\nmax_total = 20000\n",
        keys.display(),
        plan.display()
    ))
}

impl DemoFleet {
    /// Starts the fleet and its load balancers: with [`LbChoice::Haproxy`] the fleet runs
    /// without stand-ins and a haproxy per `[[network.lb]]` takes their place.
    pub async fn start(choice: &LbChoice) -> color_eyre::Result<DemoFleet> {
        let mut desc = FleetDescription::from_toml(&fleet_toml())?;
        let wanted: Vec<_> = desc
            .networks
            .iter_mut()
            .flat_map(|n| {
                let lbs = match choice {
                    LbChoice::Haproxy(_) => std::mem::take(&mut n.lbs),
                    LbChoice::StandIn => Vec::new(),
                };
                lbs.into_iter().map(|l| (n.name.clone(), l))
            })
            .collect();
        let fleet = Fleet::start(&desc).await?;
        let mut lbs: Vec<LbEndpoint> = fleet.lbs().cloned().collect();
        let mut haproxies = Vec::new();
        if let LbChoice::Haproxy(bin) = choice {
            for (network, lb) in &wanted {
                let servers: Vec<(String, SocketAddr)> = fleet
                    .endpoints()
                    .iter()
                    .filter(|e| {
                        &e.network == network && e.kind == crate::simnet::EndpointKind::Node
                    })
                    .map(|e| (e.name.clone(), e.addr))
                    .collect();
                let (h, endpoint) = haproxy::Haproxy::start(bin, network, lb, &servers)
                    .await
                    .map_err(|e| color_eyre::eyre::eyre!("demo load balancer {}: {e}", lb.name))?;
                haproxies.push(h);
                lbs.push(endpoint);
            }
        }
        let files = tempfile::Builder::new().prefix("btsops-demo-").tempdir()?;
        let mut config_text = config_text(&fleet, &lbs);
        config_text.push_str(&stress_files(files.path())?);
        let config = config::parse(Path::new("(demo fleet)"), &config_text)?;
        Ok(DemoFleet {
            fleet,
            haproxies,
            lbs,
            config_text,
            config,
            files,
        })
    }

    /// Stops the load balancers, then the fleet.
    pub async fn shutdown(self) {
        drop(self.haproxies);
        self.fleet.shutdown().await;
    }
}

/// Runs the demo until the operator quits.
pub async fn run(mut app: App) -> color_eyre::Result<()> {
    tui::terminal::require_tty()?;
    let choice = LbChoice::detect();
    let said = choice.describe();
    eprintln!("{said}");
    let demo = DemoFleet::start(&choice).await?;
    // Stress reports and the simulated senders' keys stay in the demo's own directory.
    app.stress.data_dir = Some(demo.files.path().join("data"));
    let fleet = &demo.fleet;
    let config = demo.config.clone();
    let opts = EngineOptions::from_config(&config.monitor);
    let (tx, rx) = tui::live::feed();
    // On screen too: the notice line says which load balancer the failover acts on.
    let _ = tx.try_send(Msg::Notice {
        text: said,
        error: false,
    });
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
    demo.shutdown().await;
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

    #[test]
    fn demo_regions_come_from_the_names() {
        assert_eq!(region_of("eu-1"), "eu");
        assert_eq!(region_of("t-asia"), "asia");
        assert_eq!(region_of("seed-eu"), "eu");
        assert_eq!(region_of("solo"), "solo");
    }
}
