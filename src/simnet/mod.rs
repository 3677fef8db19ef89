//! simnet: an embedded simulated BitShares fleet on loopback (DESIGN §4).
//!
//! Layers, bottom up: pure chain and protocol code (`chain_state`, `chain_objects`,
//! `fc_error`, `json_args`, `api_catalog`, `database_api`, `rpc_dispatch`), then the async
//! edges (`faults`, `outbox`, `server`, `node`, `seed`, and `lb`, the load-balancer
//! stand-in) and `fleet`, which starts and controls it all.
//! simnet never imports the TUI.

pub mod api_catalog;
pub mod chain_objects;
pub mod chain_state;
pub mod database_api;
pub mod default_fleet;
pub mod faucet;
pub mod faucet_rules;
pub mod faults;
pub mod fc_error;
pub mod fleet;
pub mod history_api;
pub mod json_args;
pub mod lb;
pub mod node;
pub mod node_version;
pub mod outbox;
pub mod rpc_dispatch;
pub mod scenario;
pub mod seed;
pub mod server;
pub mod transactions;

pub use faults::{Fault, FaultHandle, FaultState};
pub use fleet::{
    Endpoint, EndpointKind, Fleet, FleetDescription, FleetError, FleetHandle, LbEndpoint,
};
