//! Helpers shared by integration tests.

pub mod monitor;
pub mod oracle;
pub mod pybitshares;
pub mod simnet;
