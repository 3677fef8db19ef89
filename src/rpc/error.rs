//! Typed errors of the RPC client.
//!
//! Every error carries the endpoint URL and the call (`api.method`) because an operator
//! watching a fleet must see at once which node and which request failed.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::text;

/// What went wrong below JSON-RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// TCP connect failed (refused, unreachable, DNS).
    Connect,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// The websocket upgrade was refused or malformed.
    Handshake,
    /// The peer closed the connection (close frame, EOF, reset), possibly mid-frame.
    Closed,
    /// Any other socket error.
    Io,
    /// HTTP-level failure on the POST path (non-JSON body with an error status).
    Http,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Handshake => "websocket handshake",
            TransportKind::Closed => "connection closed",
            TransportKind::Io => "io",
            TransportKind::Http => "http",
        };
        f.write_str(s)
    }
}

/// Coarse classification callers branch on (PROTOCOL.md §3 plus the client's own failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Connect, TLS, handshake, close.
    Transport,
    /// No answer within the configured time.
    Timeout,
    /// Garbage, oversize frame, reply without id, JSON-RPC −326xx from the node.
    Protocol,
    /// 3030001 `duplicate_transaction` (the transaction is already known).
    Duplicate,
    /// 4010001..=4010006 authority/signature failures, or a rejected login.
    Auth,
    /// fc code 10 `assert_exception`; the format text is in [`NodeError::format`].
    Assert,
    /// Any other node error.
    Other,
    /// Bad URL, unreadable CA file, malformed parameters: fix the configuration or the caller.
    Config,
}

/// An error reply from the node, kept verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeError {
    /// `error.code` (fc exception code or JSON-RPC code).
    pub code: i64,
    /// `error.message`, verbatim.
    pub message: String,
    /// `error.data.code`; equal to `code` on current nodes, the real code on pre-3.2 nodes
    /// that answer `code: 1` for everything.
    pub data_code: Option<i64>,
    /// `error.data.name`, e.g. `assert_exception`, `duplicate_transaction`.
    pub name: Option<String>,
    /// `error.data.message`, e.g. `Assert Exception`.
    pub data_message: Option<String>,
    /// `error.data.stack[0].format`: the assert condition and text with `${key}` placeholders.
    pub format: Option<String>,
    /// `error.data.stack[0].data`: values for the placeholders (amounts, ids).
    pub format_data: Option<Value>,
}

impl NodeError {
    /// Classify per PROTOCOL.md §3/§19: by `data.code`/`data.name` first (old nodes send
    /// `code: 1` for everything), then by the format text.
    pub fn kind(&self) -> ErrorKind {
        let code = self.data_code.unwrap_or(self.code);
        let name = self.name.as_deref().unwrap_or("");
        if (-32768..=-32000).contains(&self.code) {
            return ErrorKind::Protocol;
        }
        if code == 3_030_001 || name == "duplicate_transaction" {
            return ErrorKind::Duplicate;
        }
        // 4010007 (insufficient_fee) shares the 40100xx prefix but is a fee problem, not
        // an authority one, so only the tx_* authority/signature codes count as auth.
        if (4_010_000..=4_010_006).contains(&code)
            || matches!(
                name,
                "tx_missing_active_auth"
                    | "tx_missing_owner_auth"
                    | "tx_missing_other_auth"
                    | "tx_irrelevant_sig"
                    | "tx_duplicate_sig"
                    | "tx_irrelevant_approval"
            )
        {
            return ErrorKind::Auth;
        }
        if code == 10 || name == "assert_exception" {
            // Before 3.3.0 a duplicate was a plain assert on the by_trx_id index.
            if self
                .format
                .as_deref()
                .is_some_and(|f| f.starts_with("trx_idx.indices().get<by_trx_id>()"))
            {
                return ErrorKind::Duplicate;
            }
            return ErrorKind::Assert;
        }
        ErrorKind::Other
    }

    /// `stack[0].format` with `${key}` filled from `stack[0].data` the way fc does it
    /// (strings as-is, other values as compact JSON, unknown keys left alone).
    pub fn filled_format(&self) -> Option<String> {
        let format = self.format.as_deref()?;
        Some(fill_format(
            format,
            self.format_data.as_ref().and_then(Value::as_object),
        ))
    }
}

/// fc's placeholder substitution (its `format_string`): `${key}` → the value from `data`;
/// strings verbatim, everything else as compact JSON; unknown keys stay as written.
/// simnet builds its error messages with this too, so both sides fill alike.
pub fn fill_format(format: &str, data: Option<&Map<String, Value>>) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let key = &after[..end];
                match data.and_then(|d| d.get(key)) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(v) => out.push_str(&v.to_string()),
                    None => {
                        out.push_str("${");
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Longest node error text shown by `Display`, in characters.
const SHOWN_ERROR_CHARS: usize = 2000;

/// Shown as one line of safe text: the fields stay verbatim for callers that branch on
/// them, but whatever prints an error (a CLI, a log, the monitor) must not pass a
/// node's escape codes to a terminal (see [`crate::text`]).
impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node error {}", self.code)?;
        if let Some(name) = &self.name {
            write!(f, " ({})", text::sanitize(name, SHOWN_ERROR_CHARS))?;
        }
        write!(f, ": {}", text::sanitize(&self.message, SHOWN_ERROR_CHARS))
    }
}

/// Any failure of an RPC call or connection.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    #[error("{endpoint}: {call}: {kind} error: {detail}")]
    Transport {
        endpoint: String,
        call: String,
        kind: TransportKind,
        detail: String,
    },
    #[error("{endpoint}: {method}: no answer within {after:?}")]
    Timeout {
        endpoint: String,
        /// `api.method`, or `connect`.
        method: String,
        after: Duration,
    },
    #[error("{endpoint}: {call}: protocol error: {detail}")]
    Protocol {
        endpoint: String,
        call: String,
        detail: String,
    },
    #[error("{endpoint}: {call}: {error}")]
    Node {
        endpoint: String,
        call: String,
        error: Box<NodeError>,
    },
    #[error("{endpoint}: login.login: node rejected the credentials of user {user:?}")]
    LoginRejected { endpoint: String, user: String },
    #[error("{endpoint}: {call}: {detail}")]
    Config {
        endpoint: String,
        call: String,
        detail: String,
    },
}

impl RpcError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RpcError::Transport { .. } => ErrorKind::Transport,
            RpcError::Timeout { .. } => ErrorKind::Timeout,
            RpcError::Protocol { .. } => ErrorKind::Protocol,
            RpcError::Node { error, .. } => error.kind(),
            RpcError::LoginRejected { .. } => ErrorKind::Auth,
            RpcError::Config { .. } => ErrorKind::Config,
        }
    }

    /// The node's error, when the node answered with one.
    pub fn node_error(&self) -> Option<&NodeError> {
        match self {
            RpcError::Node { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The node's error by value (no copy of its data), or the error itself when the
    /// node did not answer with one.
    pub fn into_node_error(self) -> Result<Box<NodeError>, RpcError> {
        match self {
            RpcError::Node { error, .. } => Ok(error),
            other => Err(other),
        }
    }

    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self {
            RpcError::Transport { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    pub fn endpoint(&self) -> &str {
        match self {
            RpcError::Transport { endpoint, .. }
            | RpcError::Timeout { endpoint, .. }
            | RpcError::Protocol { endpoint, .. }
            | RpcError::Node { endpoint, .. }
            | RpcError::LoginRejected { endpoint, .. }
            | RpcError::Config { endpoint, .. } => endpoint,
        }
    }
}

/// A failure before it is attached to an endpoint and call; cloned to every pending call
/// when a connection dies.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    Transport(TransportKind, String),
    Protocol(String),
    Node(Box<NodeError>),
    Config(String),
}

impl Failure {
    pub(crate) fn into_error(self, endpoint: &str, call: &str) -> RpcError {
        let endpoint = endpoint.to_owned();
        let call = call.to_owned();
        match self {
            Failure::Transport(kind, detail) => RpcError::Transport {
                endpoint,
                call,
                kind,
                detail,
            },
            Failure::Protocol(detail) => RpcError::Protocol {
                endpoint,
                call,
                detail,
            },
            Failure::Node(error) => RpcError::Node {
                endpoint,
                call,
                error,
            },
            Failure::Config(detail) => RpcError::Config {
                endpoint,
                call,
                detail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn display_is_one_safe_line_and_fields_stay_verbatim() {
        let mut e = node(10, "assert\x1b[31m", "x");
        e.message = format!("Assert Exception\n\x1b[2J{}", "y".repeat(10_000));
        let shown = e.to_string();
        assert!(crate::text::is_clean(&shown), "{shown:?}");
        assert!(
            shown.starts_with("node error 10 (assert\u{fffd}[31m): Assert Exception \u{fffd}[2J")
        );
        assert!(shown.chars().count() < SHOWN_ERROR_CHARS + 100);
        assert!(e.message.starts_with("Assert Exception\n\x1b"));
    }

    fn node(code: i64, name: &str, format: &str) -> NodeError {
        NodeError {
            code,
            message: String::new(),
            data_code: Some(code),
            name: Some(name.into()),
            data_message: None,
            format: Some(format.into()),
            format_data: None,
        }
    }

    #[test]
    fn classifies_per_protocol_table() {
        assert_eq!(node(-32601, "", "").kind(), ErrorKind::Protocol);
        assert_eq!(
            node(3030001, "duplicate_transaction", "").kind(),
            ErrorKind::Duplicate
        );
        assert_eq!(
            node(4010001, "tx_missing_active_auth", "").kind(),
            ErrorKind::Auth
        );
        assert_eq!(
            node(4010007, "insufficient_fee", "").kind(),
            ErrorKind::Other
        );
        assert_eq!(
            node(10, "assert_exception", "now <= trx.expiration: ").kind(),
            ErrorKind::Assert
        );
        let old_dup = node(
            10,
            "assert_exception",
            "trx_idx.indices().get<by_trx_id>().find(trx.id()) == trx_idx.indices().get<by_trx_id>().end(): ",
        );
        assert_eq!(old_dup.kind(), ErrorKind::Duplicate);
        // Pre-3.2 nodes: code 1 outside, the real code in data.
        let mut old = node(1, "assert_exception", "from != to: ");
        old.data_code = Some(10);
        assert_eq!(old.kind(), ErrorKind::Assert);
    }

    #[test]
    fn fills_placeholders_like_fc() {
        let data = json!({"txid": "53b9", "n": 5, "o": {"a": 1}});
        assert_eq!(
            fill_format(
                "Transaction '${txid}' n=${n} o=${o} ${missing} ${",
                data.as_object()
            ),
            "Transaction '53b9' n=5 o={\"a\":1} ${missing} ${"
        );
        assert_eq!(fill_format("plain", None), "plain");
    }
}
