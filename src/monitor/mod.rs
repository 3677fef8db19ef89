//! Fleet monitor engine: per-endpoint probe tasks, aggregation, status rules, alerts,
//! recording. No UI: the console, `check` and the exporter all read it.

pub mod model;

pub use model::{
    Alert, AlertKind, ClockEstimate, ConnState, EndpointKind, EndpointSnapshot, Event,
    FleetSnapshot, LastError, Latency, NetworkSummary, Status, StatusCounts, VersionBracket,
};
