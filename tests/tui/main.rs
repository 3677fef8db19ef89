//! Console tests: key sequences driving `update`, whole-screen snapshots on
//! `TestBackend`, and the bytes the terminal would receive.

mod alerts;
mod bytes;
mod config;
mod failover;
mod faucet;
mod fleet;
mod help;
mod keys;
mod lb;
mod node_actions;
mod pty;
mod reasons;
mod reload;
mod replay;
mod rollout;
mod screens;
mod stress;
#[path = "../support/mod.rs"]
mod support;
