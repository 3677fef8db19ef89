//! The load-balancer pane's state: every configured LB with its last poll, the
//! selected server row, and the last action (for undo). Pure; the poller
//! (`ops_task`) sends `Msg::Lb` and `update` folds it in here.

use crate::config::Config;
use crate::lb::{Done, Reload, Server, Snapshot, detect_reload};
use crate::monitor::{EndpointSnapshot, FleetSnapshot};

/// What the config says about one LB.
#[derive(Debug, Clone, PartialEq)]
pub struct LbConf {
    pub name: String,
    pub network: String,
    pub backend: String,
    /// `unix:...`, `tcp:...` or `exec:...`, shown in the pane header.
    pub runtime_api: String,
}

/// One LB as last polled.
#[derive(Debug, Clone, PartialEq)]
pub struct LbView {
    pub conf: LbConf,
    pub snap: Option<Snapshot>,
    /// The poll before, for the direction of session counts (a drain shows them fall).
    pub prev: Option<Snapshot>,
    /// Unix time of the last poll that answered.
    pub polled: Option<f64>,
    pub error: Option<String>,
    /// The last reload seen between two polls, and when.
    pub reload: Option<(f64, Reload)>,
}

/// The last action's verified changes, for `u`.
#[derive(Debug, Clone, PartialEq)]
pub struct LastAction {
    pub title: String,
    pub network: String,
    /// Per LB, what each verified step left.
    pub done: Vec<(String, Done)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LbPane {
    pub lbs: Vec<LbView>,
    /// Selected row: LB name, backend, server.
    pub selected: Option<(String, String, String)>,
    pub last: Option<LastAction>,
}

/// One row of the pane: a server of an LB.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub lb: &'a LbView,
    pub server: &'a Server,
}

impl LbPane {
    /// Takes the LB list from a (re)loaded config, keeping what was polled for the LBs
    /// that stay.
    pub fn configure(&mut self, config: &Config) {
        let old = std::mem::take(&mut self.lbs);
        self.lbs = config
            .lbs
            .iter()
            .map(|l| {
                let conf = LbConf {
                    name: l.name.clone(),
                    network: l.network.clone(),
                    backend: l.backend.clone(),
                    runtime_api: l.runtime_api.to_string(),
                };
                match old.iter().find(|v| v.conf == conf) {
                    Some(v) => v.clone(),
                    None => LbView {
                        conf,
                        snap: None,
                        prev: None,
                        polled: None,
                        error: None,
                        reload: None,
                    },
                }
            })
            .collect();
    }

    /// Folds one poll in.
    pub fn polled(&mut self, name: &str, time: f64, result: Result<Snapshot, String>) {
        let Some(v) = self.lbs.iter_mut().find(|v| v.conf.name == name) else {
            return;
        };
        match result {
            Ok(s) => {
                if let (Some(old), Some(at)) = (&v.snap, v.polled) {
                    let elapsed = (time - at).max(0.0) as u64;
                    if let Some(r) = detect_reload(&old.info, &s.info, elapsed) {
                        v.reload = Some((time, r));
                    }
                }
                v.prev = v.snap.replace(s);
                v.polled = Some(time);
                v.error = None;
            }
            Err(e) => v.error = Some(e),
        }
    }

    pub fn lb(&self, name: &str) -> Option<&LbView> {
        self.lbs.iter().find(|v| v.conf.name == name)
    }

    /// Every server row, LB by LB in config order, then as HAProxy lists them.
    pub fn rows(&self) -> Vec<Row<'_>> {
        self.lbs
            .iter()
            .flat_map(|lb| {
                lb.snap
                    .iter()
                    .flat_map(|s| s.servers.iter())
                    .map(move |server| Row { lb, server })
            })
            .collect()
    }

    pub fn selected_index(&self, rows: &[Row<'_>]) -> usize {
        self.selected
            .as_ref()
            .and_then(|(l, b, s)| {
                rows.iter().position(|r| {
                    &r.lb.conf.name == l && &r.server.backend == b && &r.server.name == s
                })
            })
            .unwrap_or(0)
    }

    pub fn selected_row(&self) -> Option<Row<'_>> {
        let rows = self.rows();
        let i = self.selected_index(&rows);
        rows.get(i).copied()
    }

    /// Servers of every LB (of the node's network) that are this node.
    pub fn servers_of<'a>(
        &'a self,
        fleet: &FleetSnapshot,
        node: &EndpointSnapshot,
    ) -> Vec<Row<'a>> {
        self.rows()
            .into_iter()
            .filter(|r| {
                r.lb.conf.network == node.network
                    && node_of(fleet, &r.lb.conf.network, r.server)
                        .is_some_and(|e| e.name == node.name)
            })
            .collect()
    }

    /// The node is in MAINT on some LB serving it (its alerts are held meanwhile).
    pub fn in_maint(&self, fleet: &FleetSnapshot, node: &EndpointSnapshot) -> bool {
        self.servers_of(fleet, node)
            .iter()
            .any(|r| r.server.mode == crate::lb::Mode::MaintForced)
    }
}

/// The configured node a server is: the node whose URL has the server's address and
/// port; else the one whose URL host is the server's address (a node's public port is
/// often not its backend port); else the node named as the server.
pub fn node_of<'a>(
    fleet: &'a FleetSnapshot,
    network: &str,
    s: &Server,
) -> Option<&'a EndpointSnapshot> {
    let nodes = || {
        fleet
            .endpoints
            .iter()
            .filter(move |e| e.network == network && e.kind != crate::monitor::EndpointKind::Seed)
    };
    let addr = |e: &EndpointSnapshot| -> Option<(String, Option<u16>)> {
        let url = url::Url::parse(&e.url).ok()?;
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        Some((host.to_string(), url.port_or_known_default()))
    };
    nodes()
        .find(|e| addr(e).is_some_and(|(h, p)| h == s.state.addr && p == s.state.port))
        .or_else(|| nodes().find(|e| addr(e).is_some_and(|(h, _)| h == s.state.addr)))
        .or_else(|| nodes().find(|e| e.name == s.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lb::{info::parse_info, servers_state::parse_servers_state, stat::parse_stat};

    fn snap(pid: u32, up: u64) -> Snapshot {
        let st = "1\n# be_name srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_check_result srv_check_state srv_port\nbe n1 127.0.0.1 2 0 1 1 3 6 9001\n";
        Snapshot::new(
            parse_info(&format!("Pid: {pid}\nUptime_sec: {up}\n")).expect("info"),
            parse_servers_state(st).expect("state"),
            &parse_stat("# pxname,svname,status,scur\nbe,n1,UP,3\n").expect("stat"),
        )
    }

    fn pane() -> LbPane {
        LbPane {
            lbs: vec![LbView {
                conf: LbConf {
                    name: "lb1".into(),
                    network: "testnet".into(),
                    backend: "be".into(),
                    runtime_api: "unix:/x".into(),
                },
                snap: None,
                prev: None,
                polled: None,
                error: None,
                reload: None,
            }],
            ..LbPane::default()
        }
    }

    #[test]
    fn a_new_pid_between_polls_is_a_reload() {
        let mut p = pane();
        p.polled("lb1", 100.0, Ok(snap(7, 50)));
        p.polled("lb1", 101.0, Ok(snap(7, 51)));
        assert!(p.lbs[0].reload.is_none());
        p.polled("lb1", 102.0, Ok(snap(8, 1)));
        let (at, r) = p.lbs[0].reload.clone().expect("reload seen");
        assert_eq!((at, r.old_pid, r.new_pid), (102.0, 7, 8));
        p.polled("lb1", 103.0, Err("down".into()));
        assert_eq!(p.lbs[0].error.as_deref(), Some("down"));
        assert!(p.lbs[0].snap.is_some(), "the last good read stays");
    }

    #[test]
    fn servers_match_nodes_by_address_and_port() {
        let mut p = pane();
        p.polled("lb1", 100.0, Ok(snap(7, 50)));
        let mut fleet = FleetSnapshot::empty();
        let mut e = EndpointSnapshot::new(
            crate::monitor::EndpointKind::Node,
            "testnet",
            "a",
            "ws://127.0.0.1:9001/ws",
        );
        fleet.endpoints.push(e.clone());
        let s = &p.lbs[0].snap.as_ref().expect("snap").servers[0];
        assert_eq!(
            node_of(&fleet, "testnet", s).map(|e| e.name.as_str()),
            Some("a")
        );
        assert!(node_of(&fleet, "mainnet", s).is_none());
        // Another port on the same host still matches by address.
        fleet.endpoints[0].url = "ws://127.0.0.1:9002/ws".into();
        assert_eq!(
            node_of(&fleet, "testnet", s).map(|e| e.name.as_str()),
            Some("a")
        );
        // Elsewhere, and named otherwise: no match; named as the server: a match.
        fleet.endpoints[0].url = "ws://10.0.0.9:9001/ws".into();
        assert!(node_of(&fleet, "testnet", s).is_none());
        fleet.endpoints[0].name = "n1".into();
        e = fleet.endpoints[0].clone();
        assert_eq!(p.servers_of(&fleet, &e).len(), 1);
    }
}
