//! Node actions in the console: the config's `[[action]]`s, the targets their
//! placeholders are filled from, and the streamed output of the one running. A key
//! becomes a `Plan` with one `Op::NodeAction` (so the gate and the confirmation are
//! the same as for load-balancer actions); its output arrives as `Msg::ActionOutput`
//! and is shown in the output overlay.

use std::collections::{BTreeMap, VecDeque};

use crate::config::Config;
use crate::node_action::{self, ActionSpec, Resolved, Scope};

use super::ops::{Op, Plan};

/// Output lines kept for the overlay; older ones scroll away.
pub const OUTPUT_KEPT: usize = 500;

/// The output of the action running or last run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub title: String,
    /// The argv as run, for the overlay's first line.
    pub argv: String,
    /// Stream and text, sanitized, oldest first.
    pub lines: VecDeque<(bool, String)>,
    /// How it ended (`exit 0`, `failed: exit 3`, …); `None` while it runs.
    pub result: Option<String>,
    /// Lines dropped off the top.
    pub dropped: usize,
}

impl Output {
    pub fn push(&mut self, stderr: bool, text: &str) {
        if self.lines.len() >= OUTPUT_KEPT {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back((
            stderr,
            crate::text::sanitize(text, node_action::run::MAX_LINE),
        ));
    }
}

/// The actions of the config and what they can run on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeActions {
    pub specs: Vec<ActionSpec>,
    /// Nodes and networks by name, resolved from the config (load-balancer servers are
    /// resolved from the LB pane's row, whose address comes from the LB).
    nodes: BTreeMap<String, Resolved>,
    networks: BTreeMap<String, Resolved>,
    /// `region` of each load balancer, for `{region}` of its servers.
    lb_regions: BTreeMap<String, Option<String>>,
    pub output: Option<Output>,
}

impl NodeActions {
    pub fn configure(&mut self, config: &Config) {
        self.specs = config.actions.clone();
        self.nodes.clear();
        self.networks.clear();
        self.lb_regions = config
            .lbs
            .iter()
            .map(|l| (l.name.clone(), l.region.clone()))
            .collect();
        for n in &config.networks {
            if let Ok(r) = node_action::resolve(config, Scope::Network, &n.name) {
                self.networks.insert(n.name.clone(), r);
            }
            for x in &n.nodes {
                if let Ok(r) = node_action::resolve(config, Scope::Node, &x.name) {
                    self.nodes.insert(x.name.clone(), r);
                }
            }
        }
    }

    pub fn node(&self, name: &str) -> Option<&Resolved> {
        self.nodes.get(name)
    }

    pub fn network(&self, name: &str) -> Option<&Resolved> {
        self.networks.get(name)
    }

    pub fn lb_region(&self, lb: &str) -> Option<&str> {
        self.lb_regions.get(lb).and_then(|r| r.as_deref())
    }
}

/// The plan that runs `spec` on `target`: what the confirmation shows (the exact argv,
/// its timeout) and what the ops task runs.
pub fn plan(spec: &ActionSpec, target: &Resolved) -> Result<Plan, String> {
    let argv = node_action::expand(&spec.command, &target.values)
        .map_err(|e| format!("{}: {e}", spec.name))?;
    Ok(Plan {
        title: format!("{} on {}", spec.name, target.target),
        network: target.network.clone(),
        consequences: vec![format!(
            "killed with everything it started after {} s",
            spec.timeout.as_secs()
        )],
        ops: vec![Op::NodeAction {
            action: spec.name.clone(),
            target: target.target.clone(),
            argv,
            timeout: spec.timeout,
        }],
        needs_force: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_carries_the_expanded_argv_and_the_output_keeps_the_newest() {
        let text = r#"
[[network]]
name = "test"
role = "testnet"
chain_id = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447"
prefix = "TEST"
  [[network.node]]
  name = "n1"
  url = "wss://n1.example.org/ws"
[[action]]
name = "restart"
key = "R"
scope = "node"
command = ["ssh", "{host}", "docker", "restart", "witness_node"]
"#;
        let cfg = crate::config::parse(std::path::Path::new("t.toml"), text).unwrap();
        let mut a = NodeActions::default();
        a.configure(&cfg);
        let p = plan(&a.specs[0], a.node("n1").unwrap()).unwrap();
        assert_eq!(p.network, "test");
        assert_eq!(
            p.ops[0].describe(),
            "ssh n1.example.org docker restart witness_node"
        );
        assert!(a.network("test").is_some());
        let mut o = Output::default();
        for i in 0..OUTPUT_KEPT + 2 {
            o.push(false, &format!("line {i}\x1b[2J"));
        }
        assert_eq!(o.dropped, 2);
        assert_eq!(
            o.lines.front().map(|l| l.1.as_str()),
            Some("line 2\u{fffd}[2J")
        );
    }
}
