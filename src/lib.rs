//! btsops: a terminal operations console for BitShares infrastructure.
//!
//! The library holds everything; `main.rs` only parses arguments and dispatches,
//! so integration tests and benches exercise the same code the binary runs.

pub mod agent;
pub mod audit;
pub mod chain;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod demo;
pub mod export;
pub mod exposition;
pub mod faucet;
pub mod files;
pub mod lb;
pub mod monitor;
pub mod node_action;
pub mod rpc;
pub mod safety;
pub mod secrets;
pub mod simnet;
pub mod stress;
pub mod text;
pub mod theme;
pub mod tui;
