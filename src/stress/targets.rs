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
