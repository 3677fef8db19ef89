//! Account registration through a faucet (PROTOCOL §11) and the onboarding KPIs read from
//! the chain (§20, §21).
//!
//! - `client`: the HTTP request, the name check before it, the reachability probe;
//! - `classify`: what a reply means (pure);
//! - `history`: the registrar's history and its accounts' fees over RPC;
//! - `cache`: what was counted, kept between runs;
//! - `kpi`: the numbers (pure);
//! - `collect`: one whole read, as `faucet stats` and the console's pane do it.

pub mod cache;
pub mod classify;
pub mod client;
pub mod collect;
pub mod history;
pub mod kpi;

pub use classify::{Class, Verdict, classify};
pub use client::{FaucetClient, Keys, Probe, Reply, Request};
