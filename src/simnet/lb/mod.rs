//! A load-balancer stand-in for simnet, so the console has LBs to fail over without
//! HAProxy: a TCP frontend that proxies each connection to one of its backend's servers
//! (weighted round robin, skipping MAINT, DRAIN, weight 0 and servers failing their HTTP
//! check), and a runtime API on a loopback TCP port answering the commands btsops uses in
//! HAProxy 2.6's formats and words (LOADBALANCER.md). It writes those formats itself: simnet
//! does not use `crate::lb`.
//!
//! What it leaves out: `backup` servers, leastconn, agent checks, HTTP-level counters
//! (`hrsp_*`, bytes), and `set server ... addr|health|agent`.

pub mod backend;
pub mod formats;
pub mod proxy;
pub mod runtime_api;

pub use backend::CheckParams;
pub use proxy::{StandIn, StandInConfig};
