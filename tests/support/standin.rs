//! simnet's load-balancer stand-in in front of test-fleet nodes, set up like the test
//! HAProxy of `support::haproxy` (backend `be`, checks every 100 ms, rise 1, fall 2), so the
//! two can be compared.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use btsops::lb::{Client, Endpoint, Mode, Snapshot};
use btsops::simnet::FleetHandle;
use btsops::simnet::lb::{CheckParams, StandIn, StandInConfig};

use super::haproxy::BACKEND;

/// Starts the stand-in in front of the named mainnet nodes (weight 1 each) and waits
/// until every server passed a check.
pub async fn start(fleet: &FleetHandle, nodes: &[&str]) -> StandIn {
    start_on(fleet, "mainnet", nodes).await
}

/// As [`start`], in front of nodes of `network`.
pub async fn start_on(fleet: &FleetHandle, network: &str, nodes: &[&str]) -> StandIn {
    let servers = nodes
        .iter()
        .map(|n| {
            let ep = fleet.endpoint(network, n).expect("node exists");
            (n.to_string(), ep.addr, 1)
        })
        .collect();
    let s = StandIn::start(StandInConfig {
        backend: BACKEND.into(),
        servers,
        check_interval: Duration::from_millis(100),
        check: CheckParams { rise: 1, fall: 2 },
    })
    .await
    .expect("start the stand-in");
    wait_checked(&client(&s)).await;
    s
}

/// A runtime-API client on the stand-in's TCP port.
pub fn client(s: &StandIn) -> Client {
    Client::new(
        Endpoint::Tcp(s.runtime_api.to_string()),
        Duration::from_secs(5),
    )
}

pub fn frontend(s: &StandIn) -> String {
    format!("ws://{}", s.frontend)
}

/// Polls every 10 ms, up to 5 s, until every server is ready with a passed check.
pub async fn wait_checked(client: &Client) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let snap = client.snapshot().await;
        match snap {
            Ok(s)
                if !s.servers.is_empty()
                    && s.servers.iter().all(|x| x.checked && x.mode == Mode::Ready) =>
            {
                return s;
            }
            other => assert!(
                Instant::now() < deadline,
                "load balancer not ready after 5 s: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
