//! Fleet monitor engine: per-endpoint probe tasks, aggregation, status rules, alerts,
//! recording. No UI: the console, `check` and the exporter all read it.
//!
//! - [`model`]: the published data (snapshots, events, alerts).
//! - [`engine`]: [`Engine::start`], snapshot and event channels, ack/snooze.
//! - [`record`]: `--record` JSON lines and the [`Recording`] reader.
//! - pure parts: [`rules`] (aggregation, status, clock), [`alerts`], [`window`]
//!   (latency histograms), [`hysteresis`] (status debouncing), [`version`] (version
//!   bracket), [`cert`] (certificate expiry), [`seed_rules`] (seed lag as of the probe,
//!   the L1-only warning).
//! - [`seed_probe`]: the P2P seed probe, L1 and L2.

pub mod alerts;
pub mod cert;
pub mod engine;
pub mod hysteresis;
pub mod model;
pub mod probe;
pub mod record;
pub mod regions;
pub mod rules;
pub mod seed_probe;
pub mod seed_rules;
pub mod version;
pub mod window;

pub use engine::{
    Engine, EngineOptions, MonitorError, Reconfigured, rules as rules_of, runtime, targets,
};
pub use model::{
    Alert, AlertKind, ClockEstimate, ConnState, EndpointKind, EndpointSnapshot, Event,
    FleetSnapshot, LastError, Latency, NetworkSummary, SeedHello, SeedLevel, Status, StatusCounts,
    VersionBracket, VersionShare,
};
pub use probe::Target;
pub use record::{Record, RecordError, Recorder, Recording, Salvaged};
