//! Which endpoints a run may send to: nodes and load balancers of the `[stress]` network,
//! nothing else.

use std::path::PathBuf;

use crate::config::{Config, Credentials, Network};

/// One endpoint of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub url: String,
    pub credentials: Option<Credentials>,
    pub ca_file: Option<PathBuf>,
}

/// The `[stress]` network and the plan's targets in it (default: every node). A name that
/// is not a node or a load balancer of that network is an error, so a typo can never send
/// a flood elsewhere.
pub fn resolve(cfg: &Config, wanted: &[String]) -> Result<(Network, Vec<Target>), String> {
    let stress = cfg
        .stress
        .as_ref()
        .ok_or_else(|| format!("{}: no [stress] section", cfg.source.display()))?;
    let network = cfg.network(&stress.network).ok_or_else(|| {
        format!(
            "{}: stress.network {:?} is not a configured network",
            cfg.source.display(),
            stress.network
        )
    })?;
    let mut all: Vec<Target> = network
        .nodes
        .iter()
        .map(|n| Target {
            name: n.name.clone(),
            url: n.url.to_string(),
            credentials: n.credentials.clone(),
            ca_file: n.ca_file.clone(),
        })
        .collect();
    let lbs: Vec<Target> = cfg
        .lbs
        .iter()
        .filter(|l| l.network == network.name)
        .filter_map(|l| {
            Some(Target {
                name: l.name.clone(),
                url: l.public_url.as_ref()?.to_string(),
                credentials: l.credentials.clone(),
                ca_file: l.ca_file.clone(),
            })
        })
        .collect();
    if wanted.is_empty() {
        if all.is_empty() {
            return Err(format!("network {:?} has no node to target", network.name));
        }
        return Ok((network.clone(), all));
    }
    all.extend(lbs);
    let mut out = Vec::new();
    for w in wanted {
        let t = all.iter().find(|t| &t.name == w).ok_or_else(|| {
            format!(
                "target {w:?} is not a node or load balancer (with public_url) of network {:?}",
                network.name
            )
        })?;
        if !out.iter().any(|o: &Target| o.name == t.name) {
            out.push(t.clone());
        }
    }
    Ok((network.clone(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_T: &str = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";
    const ID_M: &str = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";

    fn cfg() -> Config {
        let t = format!(
            r#"
[[network]]
name = "testnet"
role = "testnet"
chain_id = "{ID_T}"
prefix = "TEST"
  [[network.node]]
  name = "t1"
  url = "ws://127.0.0.1:1"
  [[network.node]]
  name = "t2"
  url = "ws://127.0.0.1:2"

[[network]]
name = "mainnet"
role = "mainnet"
chain_id = "{ID_M}"
prefix = "BTS"
  [[network.node]]
  name = "m1"
  url = "ws://127.0.0.1:3"

[[lb]]
name = "lb-t"
network = "testnet"
public_url = "ws://127.0.0.1:4"
runtime_api = "tcp:127.0.0.1:9999"
backend = "api"

[stress]
network = "testnet"
"#
        );
        crate::config::parse(std::path::Path::new("t.toml"), &t).unwrap()
    }

    #[test]
    fn only_endpoints_of_the_stress_network() {
        let c = cfg();
        let (n, all) = resolve(&c, &[]).unwrap();
        assert_eq!(n.name, "testnet");
        let names: Vec<_> = all.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t1", "t2"], "default: every node, no LB");
        let (_, some) = resolve(&c, &["lb-t".into(), "t2".into(), "t2".into()]).unwrap();
        let names: Vec<_> = some.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["lb-t", "t2"]);
        let e = resolve(&c, &["m1".into()]).unwrap_err();
        assert!(e.contains("\"m1\" is not a node or load balancer"), "{e}");
    }
}
