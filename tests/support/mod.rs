//! Helpers shared by integration tests.

pub mod agent;
pub mod export;
pub mod faucet;
pub mod haproxy;
pub mod hostile;
pub mod monitor;
pub mod ops;
pub mod oracle;
pub mod process;
pub mod pty;
pub mod pybitshares;
pub mod require;
pub mod simnet;
pub mod standin;
pub mod stress;
pub mod tls;
