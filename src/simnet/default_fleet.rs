//! The fleet `btsops simnet` runs without `--fleet`, and the btsops config that points the
//! console at a running fleet (`--write-config`).
//!
//! Default accounts, on both networks, with keys derived from these passwords the way the
//! reference wallet does (sha256(account ‖ role ‖ password), roles owner/active/memo):
//!
//! | account | password | member | balance |
//! |---|---|---|---|
//! | `faucet` | `simnet-faucet-password` | lifetime (can register accounts) | 10,000,000 |
//! | `alice` | `simnet-alice-password` | basic | 100,000 |
//! | `bob` | `simnet-bob-password` | basic | 1,000 |
//!
//! Each network also runs a tapin-like faucet (`main-faucet`, `test-faucet`) whose
//! registrar and default referrer is `faucet`, with a referrer percent of 50.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::chain::PrivateKey;

use super::faucet::FaucetDescription;
use super::fleet::{
    AccountDescription, EndpointKind, FleetDescription, FleetHandle, LbDescription, LbEndpoint,
    NetworkDescription, NetworkRole, NodeDescription, SeedDescription,
};

/// (account, password, lifetime member, balance in whole coins).
pub const DEFAULT_ACCOUNTS: &[(&str, &str, bool, i64)] = &[
    ("faucet", "simnet-faucet-password", true, 10_000_000),
    ("alice", "simnet-alice-password", false, 100_000),
    ("bob", "simnet-bob-password", false, 1_000),
];

fn key(account: &str, role: &str, password: &str, prefix: &str) -> Option<String> {
    PrivateKey::from_password(account, role, password)
        .ok()
        .map(|k| k.public_key().to_string_with_prefix(prefix))
}

fn network(
    name: &str,
    role: NetworkRole,
    prefix: &str,
    nodes: usize,
    seeds: usize,
) -> NetworkDescription {
    let short = if role == NetworkRole::Mainnet {
        "main"
    } else {
        "test"
    };
    let accounts = DEFAULT_ACCOUNTS
        .iter()
        .filter_map(|(account, password, ltm, coins)| {
            Some(AccountDescription {
                name: account.to_string(),
                owner_key: key(account, "owner", password, prefix)?,
                active_key: Some(key(account, "active", password, prefix)?),
                memo_key: Some(key(account, "memo", password, prefix)?),
                lifetime_member: *ltm,
                registrar: None,
                referrer: None,
                referrer_percent: 0,
                balance: coins * 100_000,
            })
        })
        .collect();
    NetworkDescription {
        name: name.into(),
        role: Some(role),
        chain_id: None,
        prefix: None,
        core_symbol: None,
        block_interval: 3,
        maintenance_interval: None,
        clock_skew_s: 0,
        witnesses: None,
        absent_witnesses: Vec::new(),
        fees: None,
        accounts,
        nodes: (1..=nodes)
            .map(|i| NodeDescription {
                name: format!("{short}-{i}"),
                info: None,
                lag_blocks: 0,
                version: None,
                users: Vec::new(),
            })
            .collect(),
        seeds: (1..=seeds)
            .map(|i| SeedDescription {
                name: format!("{short}-seed-{i}"),
                lag_blocks: 0,
            })
            .collect(),
        lbs: vec![LbDescription {
            name: format!("{short}-lb"),
            backend: "bts_api".into(),
            servers: None,
            check_interval_ms: 500,
            rise: 2,
            fall: 2,
        }],
        faucets: faucet(short).into_iter().collect(),
    }
}

/// The network's faucet, registering with `faucet`'s derived active key.
fn faucet(short: &str) -> Option<FaucetDescription> {
    let (account, password, _, _) = DEFAULT_ACCOUNTS.first()?;
    let wif = PrivateKey::from_password(account, "active", password).ok()?;
    Some(FaucetDescription {
        name: format!("{short}-faucet"),
        registrar: account.to_string(),
        registrar_wif: wif.to_wif().to_string(),
        default_referrer: None,
        referrer_percent: 50,
        min_ip_age_s: 300,
    })
}

/// A mainnet-like chain with 6 nodes and 2 seeds, a testnet-like one with 4 nodes and 1
/// seed, real chain ids and prefixes, 3 s blocks.
pub fn default_fleet() -> FleetDescription {
    FleetDescription {
        networks: vec![
            network("mainnet", NetworkRole::Mainnet, "BTS", 6, 2),
            network("testnet", NetworkRole::Testnet, "TEST", 4, 1),
        ],
    }
}

fn quote(s: &str) -> String {
    // TOML basic strings share JSON's escapes for everything a name can hold.
    serde_json::Value::String(s.to_string()).to_string()
}

/// A btsops config for a running fleet. Endpoint names must be unique in a config file, so
/// a name used on several networks is written as `network-name`.
pub fn config_toml(desc: &FleetDescription, fleet: &FleetHandle) -> String {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for e in fleet.endpoints() {
        *uses.entry(e.name.as_str()).or_default() += 1;
    }
    for l in fleet.lbs() {
        *uses.entry(l.name.as_str()).or_default() += 1;
    }
    let unique = |network: &str, name: &str| {
        if uses.get(name).copied().unwrap_or(0) > 1 {
            format!("{network}-{name}")
        } else {
            name.to_string()
        }
    };
    let mut out = String::from(
        "# Written by `btsops simnet --write-config` for a running simnet fleet.\n\
         # The ports change on every run: write it again after restarting simnet.\n",
    );
    for net in &desc.networks {
        let Ok(spec) = net.chain_spec() else {
            continue;
        };
        let role = match net.role {
            Some(NetworkRole::Mainnet) => "mainnet",
            Some(NetworkRole::Testnet) => "testnet",
            None if net.name == "mainnet" => "mainnet",
            None => "testnet",
        };
        let _ = writeln!(out, "\n[[network]]");
        let _ = writeln!(out, "name = {}", quote(&net.name));
        let _ = writeln!(out, "role = \"{role}\"");
        let _ = writeln!(out, "chain_id = \"{}\"", spec.chain_id);
        let _ = writeln!(out, "prefix = {}", quote(&spec.prefix));
        if spec.block_interval != 3 {
            let i = spec.block_interval;
            let _ = writeln!(out, "lag_warn_s = {}", 2 * i);
            let _ = writeln!(out, "lag_crit_s = {}", 10 * i);
        }
        for e in fleet.endpoints().iter().filter(|e| e.network == net.name) {
            let name = unique(&e.network, &e.name);
            match e.kind {
                EndpointKind::Node => {
                    let _ = writeln!(out, "\n  [[network.node]]");
                    let _ = writeln!(out, "  name = {}", quote(&name));
                    let _ = writeln!(out, "  url = \"{}\"", e.url);
                }
                EndpointKind::Seed => {
                    let _ = writeln!(out, "\n  [[network.seed]]");
                    let _ = writeln!(out, "  name = {}", quote(&name));
                    let _ = writeln!(out, "  addr = \"{}\"", e.addr);
                }
                EndpointKind::Faucet => {}
            }
        }
    }
    for l in fleet.lbs() {
        lb_section(&mut out, l, &unique(&l.network, &l.name));
    }
    faucet_section(desc, fleet, &mut out);
    out
}

/// The config's one `[faucet]`: a testnet's faucet if there is one (registering there needs
/// no arming), else the first, with KPI targets from today.
fn faucet_section(desc: &FleetDescription, fleet: &FleetHandle, out: &mut String) {
    let testnets_first = desc
        .networks
        .iter()
        .filter(|n| n.role == Some(NetworkRole::Testnet))
        .chain(desc.networks.iter());
    let found = testnets_first.into_iter().find_map(|n| {
        let f = n.faucets.first()?;
        Some((n, f, fleet.endpoint(&n.name, &f.name)?))
    });
    let Some((net, f, e)) = found else {
        return;
    };
    let today = time::OffsetDateTime::now_utc().date();
    let target = today + time::Duration::days(180);
    let _ = writeln!(out, "\n[faucet]");
    let _ = writeln!(out, "network = {}", quote(&net.name));
    let _ = writeln!(out, "url = \"{}\"", e.url);
    let _ = writeln!(out, "registrar = {}", quote(&f.registrar));
    let _ = writeln!(out, "target_accounts = 1000");
    let _ = writeln!(out, "start_date = \"{today}\"");
    let _ = writeln!(out, "target_date = \"{target}\"");
}

/// An `[[lb]]` section for a running stand-in (or a real HAProxy the demo started).
pub fn lb_section(out: &mut String, l: &LbEndpoint, name: &str) {
    let _ = writeln!(out, "\n[[lb]]");
    let _ = writeln!(out, "name = {}", quote(name));
    let _ = writeln!(out, "network = {}", quote(&l.network));
    let _ = writeln!(out, "public_url = \"{}\"", l.public_url);
    let _ = writeln!(out, "runtime_api = {}", quote(&l.runtime_api));
    let _ = writeln!(out, "backend = {}", quote(&l.backend));
}
