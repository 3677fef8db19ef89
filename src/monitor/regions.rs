//! The fleet by region (the config's `region` on nodes, seeds and LBs): for each, how
//! many of its API nodes are ok, the best lag among them and their median latency from
//! here, so the operator sees which region's nodes (and LB) best serve users near it.
//! Pure: the overview adds each LB's healthy servers from its own polls.

use super::model::{EndpointKind, FleetSnapshot, Status};

#[derive(Debug, Clone, PartialEq)]
pub struct RegionSummary {
    pub region: String,
    /// API nodes in the region, and how many of them are ok.
    pub nodes: u32,
    pub nodes_ok: u32,
    /// The fewest blocks behind among its nodes.
    pub best_lag: Option<u64>,
    /// Median of its nodes' p50 latencies, in ms.
    pub median_p50_ms: Option<f64>,
    /// Its load balancers, by name.
    pub lbs: Vec<String>,
}

/// One summary per region seen on the endpoints of `network` (every network when
/// `None`), sorted by region name; endpoints without a region are left out.
pub fn summarize(snap: &FleetSnapshot, network: Option<&str>) -> Vec<RegionSummary> {
    let mut out: Vec<RegionSummary> = Vec::new();
    let mut p50s: Vec<Vec<f64>> = Vec::new();
    for e in snap
        .endpoints
        .iter()
        .filter(|e| network.is_none_or(|n| n == e.network))
    {
        let Some(region) = &e.region else { continue };
        let i = match out.iter().position(|r| &r.region == region) {
            Some(i) => i,
            None => {
                out.push(RegionSummary {
                    region: region.clone(),
                    nodes: 0,
                    nodes_ok: 0,
                    best_lag: None,
                    median_p50_ms: None,
                    lbs: Vec::new(),
                });
                p50s.push(Vec::new());
                out.len() - 1
            }
        };
        let r = &mut out[i];
        match e.kind {
            EndpointKind::Lb => r.lbs.push(e.name.clone()),
            EndpointKind::Seed => {}
            EndpointKind::Node => {
                r.nodes += 1;
                if e.status == Status::Ok {
                    r.nodes_ok += 1;
                }
                if let Some(lag) = e.lag_blocks {
                    r.best_lag = Some(r.best_lag.map_or(lag, |b| b.min(lag)));
                }
                if let Some(p) = e.latency.p50_ms {
                    p50s[i].push(p);
                }
            }
        }
    }
    for (r, mut v) in out.iter_mut().zip(p50s) {
        v.sort_by(f64::total_cmp);
        r.median_p50_ms = match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        };
    }
    out.sort_by(|a, b| a.region.cmp(&b.region));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::EndpointSnapshot;

    fn node(
        name: &str,
        region: Option<&str>,
        status: Status,
        lag: u64,
        p50: f64,
    ) -> EndpointSnapshot {
        let mut e = EndpointSnapshot::new(EndpointKind::Node, "mainnet", name, "ws://x/");
        e.region = region.map(str::to_string);
        e.status = status;
        e.lag_blocks = Some(lag);
        e.latency.p50_ms = Some(p50);
        e
    }

    #[test]
    fn regions_count_their_nodes_and_take_the_median_latency() {
        let mut snap = FleetSnapshot::empty();
        snap.endpoints = vec![
            node("eu-1", Some("eu"), Status::Ok, 0, 40.0),
            node("eu-2", Some("eu"), Status::Warn, 3, 120.0),
            node("eu-3", Some("eu"), Status::Ok, 1, 60.0),
            node("us-1", Some("us"), Status::Crit, 40, 80.0),
            node("x", None, Status::Ok, 0, 1.0),
        ];
        let mut lb = EndpointSnapshot::new(EndpointKind::Lb, "mainnet", "eu-lb", "ws://lb/");
        lb.region = Some("eu".into());
        snap.endpoints.push(lb);
        let r = summarize(&snap, None);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (
                r[0].region.as_str(),
                r[0].nodes,
                r[0].nodes_ok,
                r[0].best_lag
            ),
            ("eu", 3, 2, Some(0))
        );
        assert_eq!(r[0].median_p50_ms, Some(60.0));
        assert_eq!(r[0].lbs, vec!["eu-lb".to_string()]);
        assert_eq!((r[1].nodes_ok, r[1].best_lag), (0, Some(40)));
        assert!(summarize(&snap, Some("testnet")).is_empty());
    }
}
