//! Console tests: key sequences driving `update`, whole-screen snapshots on
//! `TestBackend`, and the bytes the terminal would receive.

mod alerts;
mod bytes;
mod config;
mod failover;
mod fleet;
mod keys;
mod lb;
mod node_actions;
mod pty;
mod replay;
mod screens;
#[path = "../support/mod.rs"]
mod support;
