//! Helpers shared by integration tests.

pub mod oracle;
pub mod pybitshares;
pub mod simnet;
