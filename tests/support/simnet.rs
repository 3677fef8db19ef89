//! A small simnet fleet for integration tests: 1 s blocks, a funded account, a lagging node,
//! a node with an operator login, a seed. Every listener is on 127.0.0.1:0.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use btsops::rpc::{ConnectOptions, RpcClient};
use btsops::simnet::{Fleet, FleetDescription, FleetHandle};

/// The oracle's well-known dev key (also nathan's here).
pub const DEV_PUB: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
pub const DEV_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
pub const MAINNET_ID: &str = btsops::simnet::chain_state::MAINNET_CHAIN_ID;

pub fn fleet_toml() -> String {
    format!(
        r#"
[[network]]
name = "mainnet"
block_interval = 1

  [[network.account]]
  name = "faucet"
  owner_key = "{DEV_PUB}"
  lifetime_member = true
  balance = 100000000000

  [[network.account]]
  name = "nathan"
  owner_key = "{DEV_PUB}"
  balance = 5000000000000

  [[network.node]]
  name = "a"
  info = "node a, ops@example.org"

  [[network.node]]
  name = "lagging"
  lag_blocks = 3

  [[network.node]]
  name = "ops"
    [[network.node.user]]
    name = "ops"
    password = "secret"
    apis = ["database_api", "network_broadcast_api", "history_api", "network_node_api"]

  [[network.node]]
  name = "victim"

  [[network.seed]]
  name = "seed-1"
"#
    )
}

pub async fn start() -> FleetHandle {
    let desc = FleetDescription::from_toml(&fleet_toml()).expect("test fleet parses");
    Fleet::start(&desc).await.expect("test fleet starts")
}

pub fn url(fleet: &FleetHandle, node: &str) -> String {
    fleet
        .endpoint("mainnet", node)
        .expect("node exists")
        .url
        .clone()
}

pub fn http_url(fleet: &FleetHandle, node: &str) -> String {
    url(fleet, node).replacen("ws://", "http://", 1)
}

pub async fn connect(fleet: &FleetHandle, node: &str) -> RpcClient {
    RpcClient::connect(&url(fleet, node), ConnectOptions::default())
        .await
        .expect("connect to simnet node")
}

pub fn opts(timeout: Duration) -> ConnectOptions {
    ConnectOptions {
        timeout,
        ..ConnectOptions::default()
    }
}

/// Waits (bounded) until the network head reaches `num`.
pub async fn wait_head(fleet: &FleetHandle, num: u32) {
    let deadline = Instant::now() + Duration::from_secs(u64::from(num) + 10);
    while fleet.head("mainnet").unwrap_or(0) < num {
        assert!(Instant::now() < deadline, "network head stuck below {num}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client of node `node` of `network`.
pub async fn connect_to(fleet: &FleetHandle, network: &str, node: &str) -> RpcClient {
    let url = &fleet.endpoint(network, node).expect("node exists").url;
    RpcClient::connect(url, ConnectOptions::default())
        .await
        .expect("connect to simnet node")
}
