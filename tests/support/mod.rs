//! Helpers shared by integration tests.

pub mod haproxy;
pub mod hostile;
pub mod monitor;
pub mod ops;
pub mod oracle;
pub mod process;
pub mod pybitshares;
pub mod require;
pub mod simnet;
pub mod tls;
