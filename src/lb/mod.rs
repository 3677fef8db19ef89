//! HAProxy load balancers: the runtime-API client, parsers of `show info`, `show stat` and
//! `show servers state`, and server actions applied and then verified by re-reading the
//! state (LOADBALANCER.md). Parsing and action logic are pure; I/O is in `transport` and
//! `apply`.

pub mod action;
pub mod apply;
pub mod info;
pub mod model;
pub mod servers_state;
pub mod stat;
pub mod transport;

pub use action::{Action, Done, Mark, Refusal, Target, UndoRefusal};
pub use apply::{ApplyError, Outcome, VerifyOptions, apply, undo};
pub use info::{Info, Reload, detect_reload};
pub use model::{Mode, Server, Snapshot};
pub use transport::{Client, Endpoint};

/// A reply that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} reply{}: {message}", if *.line > 0 { format!(", line {}", .line) } else { String::new() })]
pub struct ParseError {
    pub command: &'static str,
    /// 1-based line of the reply; 0 when the problem is not on one line.
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(command: &'static str, line: usize, message: impl Into<String>) -> Self {
        ParseError {
            command,
            line,
            message: message.into(),
        }
    }
}

/// A failed runtime-API call, naming the endpoint and the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{endpoint}: {call}: {message}")]
pub struct LbError {
    /// `unix:/path`, `tcp:host:port` or `exec:command`.
    pub endpoint: String,
    /// The command(s) sent, or the step (`connect`, `start`).
    pub call: String,
    pub message: String,
}
