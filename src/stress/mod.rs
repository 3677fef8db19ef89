//! Stress tests of a testnet: signed transfer floods and RPC read floods.
//!
//! - [`plan`]: plan files, validation and the `[stress]` caps (pure).
//! - [`classify`]: error classes from the node's replies (pure).
//! - [`tally`], [`report`]: counting and the JSON/Markdown report (pure but for writing).
//! - [`targets`], [`keys`]: which endpoints a run may use; key files and the sender store.
//! - [`run`]: the [`Run`] handle and the shared machinery; [`transfer`], [`read`],
//!   [`bootstrap`]: the two floods and the sender accounts.

mod abort;
pub mod bootstrap;
pub mod classify;
pub mod keys;
pub mod metrics;
pub mod plan;
pub mod read;
pub mod report;
pub mod run;
pub mod tally;
pub mod targets;
pub mod transfer;

pub use abort::Abort;
pub use classify::Class;
pub use plan::{Effective, Kind, Plan};
pub use report::Report;
pub use run::{Figures, Options, Progress, Run};
