//! The console's state, messages and update under one name, for callers that want
//! them together. The parts live in `state`, `msg` and `update`.

pub use super::msg::{Effect, Msg, Reloaded, ReplayCmd};
pub use super::state::*;
pub use super::update::update;
