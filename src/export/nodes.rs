//! `/nodes.json`: the public API nodes that are healthy now, as the reference wallet's
//! node list holds them (`{"url": …, "location": …}`, as in bitshares-ui's
//! `WS_NODE_LIST`), with what this monitor measured. Pure.
//!
//! A node is listed while all of these hold:
//! - `public = true` in its `[[network.node]]` (private nodes are never listed);
//! - its status is ok or warn. The status already carries the monitor's hysteresis:
//!   it gets worse at the probe that shows the problem and better only after a dwell,
//!   so a node leaves the list in the snapshot that marks it crit or down and comes
//!   back only once its status is back;
//! - it answered the chain id configured for its network (checked here again, not only
//!   through the status: a wrong-chain node must never be handed to a wallet).

use serde::Serialize;

use crate::config::Config;
use crate::monitor::{EndpointKind, EndpointSnapshot, FleetSnapshot, Status};

/// One listed node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicNode {
    /// The websocket URL wallets connect to.
    pub url: String,
    /// `region` from the config (empty when none is set), as the wallet shows it.
    pub location: String,
    pub network: String,
    /// The chain id the node answered, equal to its network's.
    pub chain_id: String,
    /// Median probe latency over the monitor window, from this exporter's host.
    pub latency_ms: Option<f64>,
    /// Blocks behind the best node of the network.
    pub head_lag_blocks: Option<u64>,
    /// Age of the head block, seconds.
    pub head_lag_s: Option<f64>,
    /// `ok` or `warn`.
    pub status: Status,
}

/// The nodes to list, in config order; only those of `network` when given.
pub fn public_nodes(
    config: &Config,
    snap: &FleetSnapshot,
    network: Option<&str>,
) -> Vec<PublicNode> {
    let mut out = Vec::new();
    for n in &config.networks {
        if network.is_some_and(|want| want != n.name) {
            continue;
        }
        for node in n.nodes.iter().filter(|x| x.public) {
            let Some(e) = snap.endpoint(&node.name) else {
                continue;
            };
            if !listable(e, &n.chain_id) {
                continue;
            }
            out.push(PublicNode {
                url: e.url.clone(),
                location: node.region.clone().unwrap_or_default(),
                network: n.name.clone(),
                chain_id: n.chain_id.clone(),
                latency_ms: e.latency.p50_ms.or(e.latency.last_ms),
                head_lag_blocks: e.lag_blocks,
                head_lag_s: e.lag_s,
                status: e.status,
            });
        }
    }
    out
}

fn listable(e: &EndpointSnapshot, chain_id: &str) -> bool {
    e.kind == EndpointKind::Node
        && matches!(e.status, Status::Ok | Status::Warn)
        && !e.chain_mismatch
        && e.chain_id.as_deref() == Some(chain_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";

    fn config() -> Config {
        let text = format!(
            r#"
[[network]]
name = "main"
role = "mainnet"
chain_id = "{CHAIN}"
prefix = "BTS"
  [[network.node]]
  name = "pub"
  url = "wss://a.example.org/ws"
  region = "Europe"
  public = true
  [[network.node]]
  name = "private"
  url = "wss://b.example.org/ws"
"#
        );
        crate::config::parse(std::path::Path::new("t.toml"), &text).unwrap()
    }

    fn snap(status: Status, chain: &str) -> FleetSnapshot {
        let mut s = FleetSnapshot::empty();
        for (name, url) in [
            ("pub", "wss://a.example.org/ws"),
            ("private", "wss://b.example.org/ws"),
        ] {
            let mut e = EndpointSnapshot::new(EndpointKind::Node, "main", name, url);
            e.status = status;
            e.chain_id = Some(chain.to_string());
            e.chain_mismatch = chain != CHAIN;
            e.lag_blocks = Some(0);
            e.latency.p50_ms = Some(12.5);
            s.endpoints.push(e);
        }
        s
    }

    #[test]
    fn lists_only_public_healthy_nodes_on_the_right_chain() {
        let cfg = config();
        let listed = public_nodes(&cfg, &snap(Status::Ok, CHAIN), None);
        assert_eq!(listed.len(), 1, "{listed:?}");
        let n = &listed[0];
        assert_eq!(
            (n.url.as_str(), n.location.as_str(), n.latency_ms),
            ("wss://a.example.org/ws", "Europe", Some(12.5))
        );
        assert_eq!(
            public_nodes(&cfg, &snap(Status::Warn, CHAIN), None).len(),
            1
        );
        for bad in [Status::Crit, Status::Down, Status::Unknown] {
            assert!(
                public_nodes(&cfg, &snap(bad, CHAIN), None).is_empty(),
                "{bad}"
            );
        }
        let other = "0".repeat(64);
        assert!(public_nodes(&cfg, &snap(Status::Ok, &other), None).is_empty());
        assert!(public_nodes(&cfg, &snap(Status::Ok, CHAIN), Some("test")).is_empty());
    }

    #[test]
    fn a_wrong_chain_is_never_listed_even_if_its_status_says_ok() {
        let cfg = config();
        let mut s = snap(Status::Ok, CHAIN);
        s.endpoints[0].chain_id = Some("0".repeat(64));
        assert!(public_nodes(&cfg, &s, None).is_empty());
        s.endpoints[0].chain_id = None;
        assert!(public_nodes(&cfg, &s, None).is_empty());
    }

    #[test]
    fn serializes_in_the_wallet_list_shape() {
        let cfg = config();
        let v = serde_json::to_value(public_nodes(&cfg, &snap(Status::Ok, CHAIN), None)).unwrap();
        assert_eq!(v[0]["url"], "wss://a.example.org/ws");
        assert_eq!(v[0]["location"], "Europe");
        assert_eq!(v[0]["chain_id"], CHAIN);
        assert_eq!(v[0]["status"], "ok");
    }
}
