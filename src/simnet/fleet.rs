//! A fleet: its TOML description, and [`Fleet::start`], which builds every chain, binds every
//! listener on 127.0.0.1:0 and hands back a [`FleetHandle`] to find and fault them.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use super::api_catalog::{ApiSet, DEFAULT_WILDCARD_APIS};
use super::chain_state::{
    Chain, ChainSpec, FeeSchedule, GenesisAccount, GenesisError, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID,
};
use super::faucet::{FaucetDescription, FaucetRuntime, serve_faucet_connection};
use super::faults::FaultHandle;
use super::lb::{CheckParams, StandIn, StandInConfig};
use super::node::{NetworkShared, NodeRuntime, run_chain, serve_connection, unix_now};
use super::node_version::NodeVersion;
use super::rpc_dispatch::{AccessEntry, ApiAccess};
use super::scenario::Scenario;
use super::seed::{SeedRuntime, serve_seed_connection};
use super::server::{bind, run_listener};

/// The whole fleet file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetDescription {
    #[serde(default, rename = "network")]
    pub networks: Vec<NetworkDescription>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkRole {
    Mainnet,
    Testnet,
}

/// `[[network]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkDescription {
    pub name: String,
    /// Picks the real chain id and prefix when those are not given.
    pub role: Option<NetworkRole>,
    pub chain_id: Option<String>,
    pub prefix: Option<String>,
    pub core_symbol: Option<String>,
    #[serde(default = "default_block_interval")]
    pub block_interval: u32,
    pub maintenance_interval: Option<u32>,
    /// Seconds the chain's witnesses' clocks run ahead of this host's (negative: behind):
    /// block timestamps carry the skew, so a monitor on this host sees its own clock off.
    #[serde(default)]
    pub clock_skew_s: i64,
    pub witnesses: Option<u32>,
    /// Witnesses (1.6.N) that produce no blocks: their slots are missed.
    #[serde(default)]
    pub absent_witnesses: Vec<u32>,
    pub fees: Option<FeesDescription>,
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountDescription>,
    #[serde(default, rename = "node")]
    pub nodes: Vec<NodeDescription>,
    #[serde(default, rename = "seed")]
    pub seeds: Vec<SeedDescription>,
    #[serde(default, rename = "lb")]
    pub lbs: Vec<LbDescription>,
    #[serde(default, rename = "faucet")]
    pub faucets: Vec<FaucetDescription>,
}

fn default_block_interval() -> u32 {
    3
}

/// `[network.fees]`, core satoshis; unset ones keep the oracle's genesis values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeesDescription {
    pub transfer: Option<i64>,
    pub transfer_price_per_kbyte: Option<i64>,
    pub account_create_basic: Option<i64>,
    pub account_create_premium: Option<i64>,
    pub account_create_price_per_kbyte: Option<i64>,
}

/// `[[network.account]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDescription {
    pub name: String,
    pub owner_key: String,
    /// Defaults to the owner key.
    pub active_key: Option<String>,
    /// Defaults to the active key.
    pub memo_key: Option<String>,
    #[serde(default)]
    pub lifetime_member: bool,
    pub registrar: Option<String>,
    pub referrer: Option<String>,
    #[serde(default)]
    pub referrer_percent: u16,
    /// Core asset satoshis (precision 5: 100000 = 1 BTS).
    #[serde(default)]
    pub balance: i64,
}

/// `[[network.node]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDescription {
    pub name: String,
    /// `login.get_info` text; defaults to the node's name.
    pub info: Option<String>,
    /// Serve the chain this many blocks behind the network.
    #[serde(default)]
    pub lag_blocks: u32,
    /// The bitshares-core release the node plays (default 7.0.2): older ones lack the
    /// newer API methods, so version probes (and a rollout) show it.
    pub version: Option<String>,
    /// `api-access` entries besides the default wildcard.
    #[serde(default, rename = "user")]
    pub users: Vec<UserDescription>,
}

/// `[[network.node.user]]`: a login and the API sets it grants.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDescription {
    pub name: String,
    /// Absent: any password.
    pub password: Option<String>,
    pub apis: Vec<String>,
}

/// `[[network.seed]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedDescription {
    pub name: String,
    /// Blocks behind the network head that the seed's hello reports.
    #[serde(default)]
    pub lag_blocks: u32,
}

/// `[[network.lb]]`: a load-balancer stand-in in front of some of the network's nodes
/// (see [`super::lb`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LbDescription {
    pub name: String,
    /// The backend's name in the runtime API.
    #[serde(default = "default_lb_backend")]
    pub backend: String,
    /// Node names, in server order; absent: every node of the network.
    pub servers: Option<Vec<String>>,
    /// Time between two health checks of a server (HAProxy's `inter`).
    #[serde(default = "default_check_interval_ms")]
    pub check_interval_ms: u64,
    #[serde(default = "default_rise")]
    pub rise: u32,
    #[serde(default = "default_fall")]
    pub fall: u32,
}

fn default_lb_backend() -> String {
    "bts_api".into()
}

fn default_check_interval_ms() -> u64 {
    500
}

fn default_rise() -> u32 {
    2
}

fn default_fall() -> u32 {
    2
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("fleet file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("network {0:?} appears twice")]
    DuplicateNetwork(String),
    #[error("network {network:?}: endpoint name {name:?} appears twice")]
    DuplicateEndpoint { network: String, name: String },
    #[error("network {network:?}: chain_id must be 64 hex digits")]
    ChainId { network: String },
    #[error("network {network:?}: account {account:?}: {reason}")]
    Key {
        network: String,
        account: String,
        reason: String,
    },
    #[error("network {network:?}, node {node:?}: unknown API set {api:?}")]
    UnknownApi {
        network: String,
        node: String,
        api: String,
    },
    #[error("network {network:?}: {source}")]
    Genesis {
        network: String,
        source: GenesisError,
    },
    #[error("network {network:?}, lb {lb:?}: {reason}")]
    Lb {
        network: String,
        lb: String,
        reason: String,
    },
    #[error("network {network:?}: {reason}")]
    Faucet { network: String, reason: String },
    #[error("network {network:?}, node {node:?}: version {reason}")]
    NodeVersion {
        network: String,
        node: String,
        reason: String,
    },
    #[error("network {network:?}: absent_witnesses: {reason}")]
    AbsentWitnesses { network: String, reason: String },
    #[error("binding a loopback listener: {0}")]
    Bind(#[from] std::io::Error),
}

impl FleetDescription {
    pub fn from_toml(text: &str) -> Result<Self, FleetError> {
        Ok(toml::from_str(text)?)
    }
}

impl NetworkDescription {
    /// The chain this description asks for, checked.
    pub fn chain_spec(&self) -> Result<ChainSpec, FleetError> {
        let role = self.role.or(match self.name.as_str() {
            "mainnet" => Some(NetworkRole::Mainnet),
            "testnet" => Some(NetworkRole::Testnet),
            _ => None,
        });
        let chain_id = match (&self.chain_id, role) {
            (Some(id), _) => id.to_ascii_lowercase(),
            (None, Some(NetworkRole::Mainnet)) => MAINNET_CHAIN_ID.to_string(),
            (None, Some(NetworkRole::Testnet)) => TESTNET_CHAIN_ID.to_string(),
            (None, None) => {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(format!("simnet {}", self.name)))
            }
        };
        if chain_id.len() != 64 || !chain_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FleetError::ChainId {
                network: self.name.clone(),
            });
        }
        let prefix = self.prefix.clone().unwrap_or_else(|| match role {
            Some(NetworkRole::Testnet) => "TEST".into(),
            _ => "BTS".into(),
        });
        let mut spec = ChainSpec::new(chain_id, prefix.clone());
        if let Some(sym) = &self.core_symbol {
            spec.core_symbol = sym.clone();
        }
        spec.block_interval = self.block_interval;
        if let Some(m) = self.maintenance_interval {
            spec.maintenance_interval = m;
        }
        if let Some(w) = self.witnesses {
            spec.witness_count = w;
        }
        let count = spec.witness_count;
        let bad = |reason: String| FleetError::AbsentWitnesses {
            network: self.name.clone(),
            reason,
        };
        if let Some(w) = self
            .absent_witnesses
            .iter()
            .find(|w| !(1..=count).contains(*w))
        {
            return Err(bad(format!(
                "{w} is not one of the {count} witnesses (1 to {count})"
            )));
        }
        let mut absent = self.absent_witnesses.clone();
        absent.sort_unstable();
        absent.dedup();
        if absent.len() as u32 >= count {
            return Err(bad(
                "every witness absent: the chain would never grow".into()
            ));
        }
        spec.absent_witnesses = absent;
        if let Some(f) = &self.fees {
            let d = FeeSchedule::default();
            spec.fees = FeeSchedule {
                transfer_fee: f.transfer.unwrap_or(d.transfer_fee),
                transfer_price_per_kbyte: f
                    .transfer_price_per_kbyte
                    .unwrap_or(d.transfer_price_per_kbyte),
                account_create_basic_fee: f
                    .account_create_basic
                    .unwrap_or(d.account_create_basic_fee),
                account_create_premium_fee: f
                    .account_create_premium
                    .unwrap_or(d.account_create_premium_fee),
                account_create_price_per_kbyte: f
                    .account_create_price_per_kbyte
                    .unwrap_or(d.account_create_price_per_kbyte),
            };
        }
        for a in &self.accounts {
            let owner = a.owner_key.clone();
            let active = a.active_key.clone().unwrap_or_else(|| owner.clone());
            let memo = a.memo_key.clone().unwrap_or_else(|| active.clone());
            for key in [&owner, &active, &memo] {
                crate::chain::PublicKey::parse(key, &prefix).map_err(|e| FleetError::Key {
                    network: self.name.clone(),
                    account: a.name.clone(),
                    reason: e.to_string(),
                })?;
            }
            spec.accounts.push(GenesisAccount {
                name: a.name.clone(),
                owner_key: owner,
                active_key: active,
                memo_key: memo,
                lifetime_member: a.lifetime_member,
                registrar: a.registrar.clone(),
                referrer: a.referrer.clone(),
                referrer_percent: a.referrer_percent,
                balance: a.balance,
            });
        }
        Ok(spec)
    }
}

fn node_access(net: &str, n: &NodeDescription) -> Result<ApiAccess, FleetError> {
    let mut access = ApiAccess::default();
    let mut entries = Vec::new();
    for u in &n.users {
        let mut apis = Vec::new();
        for a in &u.apis {
            let set = ApiSet::from_permission_name(a)
                .or_else(|| ApiSet::from_login_method(a))
                .ok_or_else(|| FleetError::UnknownApi {
                    network: net.into(),
                    node: n.name.clone(),
                    api: a.clone(),
                })?;
            apis.push(set);
        }
        entries.push(AccessEntry {
            user: u.name.clone(),
            password: u.password.clone(),
            apis,
        });
    }
    if !entries.iter().any(|e| e.user == "*") {
        entries.push(AccessEntry {
            user: "*".into(),
            password: None,
            apis: DEFAULT_WILDCARD_APIS.to_vec(),
        });
    }
    access.entries = entries;
    Ok(access)
}

/// What an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    Node,
    Seed,
    Faucet,
}

/// One listener of the running fleet; serialises as the `btsops simnet` endpoint line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub network: String,
    pub kind: EndpointKind,
    pub name: String,
    /// `ws://127.0.0.1:P` for nodes (HTTP POST works on the same port), `tcp://…` for seeds,
    /// `http://…` for faucets.
    pub url: String,
    #[serde(skip)]
    pub addr: SocketAddr,
}

/// A running load-balancer stand-in, as `--write-config` and the demo describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LbEndpoint {
    pub network: String,
    pub name: String,
    pub backend: String,
    /// The frontend: `ws://127.0.0.1:P`.
    pub public_url: String,
    /// `tcp:127.0.0.1:P` (btsops' `runtime_api` syntax).
    pub runtime_api: String,
    /// Server names, in order.
    pub servers: Vec<String>,
}

/// A running fleet. Dropping it stops every task (chains, listeners, connections).
pub struct FleetHandle {
    endpoints: Vec<Endpoint>,
    lbs: Vec<(LbEndpoint, StandIn)>,
    networks: Vec<Arc<NetworkShared>>,
    nodes: Vec<(String, Arc<NodeRuntime>)>,
    seeds: Vec<(String, Arc<SeedRuntime>)>,
    faucets: Vec<(String, Arc<FaucetRuntime>)>,
    tasks: JoinSet<()>,
}

pub struct Fleet;

fn resolve_in(table: &[(String, String, FaultHandle)], target: &str) -> Option<FaultHandle> {
    if let Some((net, name)) = target.split_once('/') {
        return table
            .iter()
            .find(|(n, e, _)| n == net && e == name)
            .map(|(_, _, h)| h.clone());
    }
    let mut hits = table.iter().filter(|(_, e, _)| e == target);
    match (hits.next(), hits.next()) {
        (Some((_, _, h)), None) => Some(h.clone()),
        _ => None,
    }
}

impl Fleet {
    /// Builds every chain from genesis at the current second and binds every listener.
    pub async fn start(desc: &FleetDescription) -> Result<FleetHandle, FleetError> {
        let mut seen = BTreeSet::new();
        let mut handle = FleetHandle {
            endpoints: Vec::new(),
            lbs: Vec::new(),
            networks: Vec::new(),
            nodes: Vec::new(),
            seeds: Vec::new(),
            faucets: Vec::new(),
            tasks: JoinSet::new(),
        };
        let loopback: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        for net in &desc.networks {
            if !seen.insert(net.name.clone()) {
                return Err(FleetError::DuplicateNetwork(net.name.clone()));
            }
            let mut names = BTreeSet::new();
            for name in net
                .nodes
                .iter()
                .map(|n| &n.name)
                .chain(net.seeds.iter().map(|s| &s.name))
                .chain(net.lbs.iter().map(|l| &l.name))
                .chain(net.faucets.iter().map(|f| &f.name))
            {
                if !names.insert(name.clone()) {
                    return Err(FleetError::DuplicateEndpoint {
                        network: net.name.clone(),
                        name: name.clone(),
                    });
                }
            }
            let spec = net.chain_spec()?;
            let interval = spec.block_interval;
            let chain = Chain::genesis(spec, unix_now()).map_err(|source| FleetError::Genesis {
                network: net.name.clone(),
                source,
            })?;
            let max_lag = net
                .nodes
                .iter()
                .map(|n| n.lag_blocks)
                .chain(net.seeds.iter().map(|s| s.lag_blocks))
                .max()
                .unwrap_or(0);
            let shared = NetworkShared::new(net.name.clone(), chain, max_lag);
            handle
                .tasks
                .spawn(run_chain(Arc::clone(&shared), interval, net.clock_skew_s));
            for n in &net.nodes {
                let access = node_access(&net.name, n)?;
                let info = n.info.clone().unwrap_or_else(|| n.name.clone());
                let version = match &n.version {
                    Some(v) => NodeVersion::parse(v).map_err(|reason| FleetError::NodeVersion {
                        network: net.name.clone(),
                        node: n.name.clone(),
                        reason,
                    })?,
                    None => NodeVersion::CURRENT,
                };
                let node = NodeRuntime::new(
                    Arc::clone(&shared),
                    n.name.clone(),
                    info,
                    access,
                    n.lag_blocks,
                    version,
                );
                let listener = bind(loopback)?;
                let addr = listener.local_addr()?;
                node.set_listening_on(addr.to_string());
                let on_fault = {
                    let node = Arc::clone(&node);
                    move |s: &super::faults::FaultState| node.on_fault(s)
                };
                let on_conn = {
                    let node = Arc::clone(&node);
                    move |stream| serve_connection(Arc::clone(&node), stream)
                };
                handle.tasks.spawn(run_listener(
                    listener,
                    node.faults.clone(),
                    on_fault,
                    on_conn,
                ));
                handle.endpoints.push(Endpoint {
                    network: net.name.clone(),
                    kind: EndpointKind::Node,
                    name: n.name.clone(),
                    url: format!("ws://{addr}"),
                    addr,
                });
                handle.nodes.push((net.name.clone(), node));
            }
            for s in &net.seeds {
                let listener = bind(loopback)?;
                let addr = listener.local_addr()?;
                let seed = SeedRuntime::new(
                    Arc::clone(&shared),
                    s.name.clone(),
                    addr.port(),
                    s.lag_blocks,
                );
                let on_conn = {
                    let seed = Arc::clone(&seed);
                    move |stream| serve_seed_connection(Arc::clone(&seed), stream)
                };
                handle.tasks.spawn(run_listener(
                    listener,
                    seed.faults.clone(),
                    |_: &super::faults::FaultState| {},
                    on_conn,
                ));
                handle.endpoints.push(Endpoint {
                    network: net.name.clone(),
                    kind: EndpointKind::Seed,
                    name: s.name.clone(),
                    url: format!("tcp://{addr}"),
                    addr,
                });
                handle.seeds.push((net.name.clone(), seed));
            }
            for f in &net.faucets {
                let faucet =
                    FaucetRuntime::new(Arc::clone(&shared), f.clone()).map_err(|reason| {
                        FleetError::Faucet {
                            network: net.name.clone(),
                            reason,
                        }
                    })?;
                let listener = bind(loopback)?;
                let addr = listener.local_addr()?;
                let on_conn = {
                    let faucet = Arc::clone(&faucet);
                    move |stream| serve_faucet_connection(Arc::clone(&faucet), stream)
                };
                handle.tasks.spawn(run_listener(
                    listener,
                    faucet.faults.clone(),
                    |_: &super::faults::FaultState| {},
                    on_conn,
                ));
                handle.endpoints.push(Endpoint {
                    network: net.name.clone(),
                    kind: EndpointKind::Faucet,
                    name: f.name.clone(),
                    url: format!("http://{addr}"),
                    addr,
                });
                handle.faucets.push((net.name.clone(), faucet));
            }
            for lb in &net.lbs {
                let (endpoint, stand_in) = start_lb(net, lb, &handle.endpoints).await?;
                handle.lbs.push((endpoint, stand_in));
            }
            handle.networks.push(shared);
        }
        Ok(handle)
    }
}

/// Starts one stand-in in front of the network's already listening nodes.
async fn start_lb(
    net: &NetworkDescription,
    lb: &LbDescription,
    endpoints: &[Endpoint],
) -> Result<(LbEndpoint, StandIn), FleetError> {
    let network = net.name.as_str();
    let err = |reason: String| FleetError::Lb {
        network: network.into(),
        lb: lb.name.clone(),
        reason,
    };
    let names: Vec<String> = match &lb.servers {
        Some(s) => s.clone(),
        None => net.nodes.iter().map(|n| n.name.clone()).collect(),
    };
    let mut servers = Vec::new();
    for name in &names {
        let node = endpoints
            .iter()
            .find(|e| e.network == network && e.kind == EndpointKind::Node && &e.name == name)
            .ok_or_else(|| err(format!("server {name:?} is not a node of this network")))?;
        servers.push((name.clone(), node.addr, 1));
    }
    if servers.is_empty() {
        return Err(err("no servers".into()));
    }
    if lb.rise == 0 || lb.fall == 0 || lb.check_interval_ms == 0 {
        return Err(err(
            "rise, fall and check_interval_ms must be at least 1".into()
        ));
    }
    let stand_in = StandIn::start(StandInConfig {
        backend: lb.backend.clone(),
        servers,
        check_interval: std::time::Duration::from_millis(lb.check_interval_ms),
        check: CheckParams {
            rise: lb.rise,
            fall: lb.fall,
        },
    })
    .await?;
    let endpoint = LbEndpoint {
        network: network.into(),
        name: lb.name.clone(),
        backend: lb.backend.clone(),
        public_url: format!("ws://{}", stand_in.frontend),
        runtime_api: format!("tcp:{}", stand_in.runtime_api),
        servers: names,
    };
    Ok((endpoint, stand_in))
}

impl FleetHandle {
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The load-balancer stand-ins, in description order.
    pub fn lbs(&self) -> impl Iterator<Item = &LbEndpoint> {
        self.lbs.iter().map(|(e, _)| e)
    }

    /// A stand-in by network and name.
    pub fn lb(&self, network: &str, name: &str) -> Option<&StandIn> {
        self.lbs
            .iter()
            .find(|(e, _)| e.network == network && e.name == name)
            .map(|(_, s)| s)
    }

    pub fn endpoint(&self, network: &str, name: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.network == network && e.name == name)
    }

    /// The fault control of a node, seed or faucet.
    pub fn faults(&self, network: &str, name: &str) -> Option<FaultHandle> {
        self.node(network, name)
            .map(|n| n.faults.clone())
            .or_else(|| self.seed(network, name).map(|s| s.faults.clone()))
            .or_else(|| {
                self.faucets
                    .iter()
                    .find(|(net, f)| net == network && f.name == name)
                    .map(|(_, f)| f.faults.clone())
            })
    }

    pub fn node(&self, network: &str, name: &str) -> Option<Arc<NodeRuntime>> {
        self.nodes
            .iter()
            .find(|(net, n)| net == network && n.name == name)
            .map(|(_, n)| Arc::clone(n))
    }

    pub fn seed(&self, network: &str, name: &str) -> Option<Arc<SeedRuntime>> {
        self.seeds
            .iter()
            .find(|(net, s)| net == network && s.name == name)
            .map(|(_, s)| Arc::clone(s))
    }

    pub fn network(&self, name: &str) -> Option<Arc<NetworkShared>> {
        self.networks.iter().find(|n| n.name == name).cloned()
    }

    /// The network's head block number (what an unlagged, unstalled node serves).
    pub fn head(&self, network: &str) -> Option<u32> {
        self.network(network).map(|n| n.head_num())
    }

    /// The fault handle of `"network/name"`, or of `"name"` when only one endpoint has it.
    pub fn resolve(&self, target: &str) -> Option<FaultHandle> {
        resolve_in(&self.fault_table(), target)
    }

    fn fault_table(&self) -> Vec<(String, String, FaultHandle)> {
        let nodes = self
            .nodes
            .iter()
            .map(|(net, n)| (net.clone(), n.name.clone(), n.faults.clone()));
        let seeds = self
            .seeds
            .iter()
            .map(|(net, s)| (net.clone(), s.name.clone(), s.faults.clone()));
        let faucets = self
            .faucets
            .iter()
            .map(|(net, f)| (net.clone(), f.name.clone(), f.faults.clone()));
        nodes.chain(seeds).chain(faucets).collect()
    }

    /// Plays a scenario in the background (it stops with the fleet). Fails, starting
    /// nothing, when an event names an unknown target.
    pub fn play(&mut self, scenario: Scenario) -> Result<(), Vec<String>> {
        let table = self.fault_table();
        let unknown = scenario.unknown_targets(|t| resolve_in(&table, t));
        if !unknown.is_empty() {
            return Err(unknown);
        }
        self.tasks.spawn(super::scenario::play(scenario, move |t| {
            resolve_in(&table, t)
        }));
        Ok(())
    }

    /// Stops every task and waits for them to end.
    pub async fn shutdown(mut self) {
        self.lbs.clear();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

    #[test]
    fn parses_a_fleet_file_strictly() {
        let text = format!(
            r#"
[[network]]
name = "mainnet"
block_interval = 1
  [[network.account]]
  name = "faucet"
  owner_key = "{KEY}"
  lifetime_member = true
  balance = 1000000000
  [[network.node]]
  name = "a"
  lag_blocks = 2
    [[network.node.user]]
    name = "ops"
    password = "pw"
    apis = ["database_api", "network_node_api"]
  [[network.seed]]
  name = "s"
"#
        );
        let d = FleetDescription::from_toml(&text).unwrap();
        let spec = d.networks[0].chain_spec().unwrap();
        assert_eq!(spec.chain_id, MAINNET_CHAIN_ID);
        assert_eq!(spec.prefix, "BTS");
        assert_eq!(spec.accounts[0].memo_key, KEY);
        let access = node_access("mainnet", &d.networks[0].nodes[0]).unwrap();
        assert_eq!(access.entries.len(), 2);
        assert!(FleetDescription::from_toml("[[network]]\nname = \"x\"\nbogus = 1").is_err());
    }

    #[test]
    fn absent_witnesses_must_be_witnesses_and_leave_one_producing() {
        let spec = |absent: &str| {
            FleetDescription::from_toml(&format!(
                "[[network]]\nname = \"t\"\nwitnesses = 3\nabsent_witnesses = {absent}\n"
            ))
            .unwrap()
            .networks[0]
                .chain_spec()
        };
        assert_eq!(spec("[3, 1, 3]").unwrap().absent_witnesses, vec![1, 3]);
        let e = spec("[4]").unwrap_err().to_string();
        assert!(e.contains("4 is not one of the 3 witnesses"), "{e}");
        let e = spec("[0]").unwrap_err().to_string();
        assert!(e.contains("0 is not one of"), "{e}");
        let e = spec("[1, 2, 3]").unwrap_err().to_string();
        assert!(e.contains("every witness absent"), "{e}");
    }

    #[test]
    fn testnet_role_brings_its_id_and_prefix_and_keys_must_match() {
        let d = FleetDescription::from_toml(&format!(
            "[[network]]\nname = \"t\"\nrole = \"testnet\"\n[[network.account]]\nname = \"a\"\nowner_key = \"{KEY}\"\n"
        ))
        .unwrap();
        let e = d.networks[0].chain_spec().unwrap_err();
        assert!(matches!(e, FleetError::Key { .. }), "{e}");
        let d =
            FleetDescription::from_toml("[[network]]\nname = \"t\"\nrole = \"testnet\"\n").unwrap();
        let spec = d.networks[0].chain_spec().unwrap();
        assert_eq!(
            (spec.chain_id.as_str(), spec.prefix.as_str()),
            (TESTNET_CHAIN_ID, "TEST")
        );
    }
}
