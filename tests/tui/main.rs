//! Console tests: key sequences driving `update`, whole-screen snapshots on
//! `TestBackend`, and the bytes the terminal would receive.

mod alerts;
mod bytes;
mod config;
mod fleet;
mod keys;
#[path = "../support/process.rs"]
mod process;
mod pty;
mod replay;
#[path = "../support/require.rs"]
mod require;
mod screens;
