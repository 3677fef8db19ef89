//! Error classes of a stress run, from the node's reply (PROTOCOL.md §19): by code and
//! name first, then by `stack[0].format`, the way the node builds its messages.

use serde::Serialize;

use crate::rpc::{ErrorKind, RpcError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// 3030001: the transaction id is already known.
    Duplicate,
    /// `now <= trx.expiration`.
    Expired,
    /// `trx.ref_block_prefix == tapos_block_summary...`.
    Tapos,
    /// Transfer or fee payer short of funds.
    InsufficientBalance,
    /// 4010007 `insufficient_fee`.
    Fee,
    /// No answer within the plan's timeout.
    Timeout,
    /// Connect, close, TLS: the request never got an answer.
    Transport,
    /// Anything else the node said.
    Other,
}

impl Class {
    pub const ALL: [Class; 8] = [
        Class::Duplicate,
        Class::Expired,
        Class::Tapos,
        Class::InsufficientBalance,
        Class::Fee,
        Class::Timeout,
        Class::Transport,
        Class::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Duplicate => "duplicate",
            Class::Expired => "expired",
            Class::Tapos => "tapos",
            Class::InsufficientBalance => "insufficient_balance",
            Class::Fee => "fee",
            Class::Timeout => "timeout",
            Class::Transport => "transport",
            Class::Other => "other",
        }
    }

    /// A reply from the node (a rejection) rather than a failure to get one.
    pub fn is_rejection(self) -> bool {
        !matches!(self, Class::Timeout | Class::Transport)
    }
}

/// The class of one failed request.
pub fn classify(e: &RpcError) -> Class {
    match e.kind() {
        ErrorKind::Timeout => return Class::Timeout,
        ErrorKind::Transport => return Class::Transport,
        ErrorKind::Duplicate => return Class::Duplicate,
        _ => {}
    }
    let Some(n) = e.node_error() else {
        return Class::Other;
    };
    let code = n.data_code.unwrap_or(n.code);
    if code == 4_010_007 || n.name.as_deref() == Some("insufficient_fee") {
        return Class::Fee;
    }
    // Old nodes put the whole text in the message; current ones in the format.
    let text = n.format.as_deref().unwrap_or(&n.message);
    class_of_format(text).unwrap_or_else(|| class_of_format(&n.message).unwrap_or(Class::Other))
}

fn class_of_format(text: &str) -> Option<Class> {
    if text.contains("now <= trx.expiration") {
        Some(Class::Expired)
    } else if text.contains("ref_block_prefix") {
        Some(Class::Tapos)
    } else if text.contains("Insufficient Balance") {
        Some(Class::InsufficientBalance)
    } else if text.contains("Insufficient Fee") {
        Some(Class::Fee)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::NodeError;

    fn node(code: i64, name: &str, format: &str) -> RpcError {
        RpcError::Node {
            endpoint: "ws://x".into(),
            call: "network_broadcast.broadcast_transaction".into(),
            error: Box::new(NodeError {
                code,
                message: format!("Execution error: {format}"),
                data_code: Some(code),
                name: Some(name.into()),
                data_message: None,
                format: Some(format.into()),
                format_data: None,
            }),
        }
    }

    #[test]
    fn the_node_texts_of_section_19_classify() {
        let cases = [
            (
                node(10, "assert_exception", "now <= trx.expiration: "),
                Class::Expired,
            ),
            (
                node(
                    10,
                    "assert_exception",
                    "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1].value(): ",
                ),
                Class::Tapos,
            ),
            (
                node(
                    3_030_001,
                    "duplicate_transaction",
                    "Transaction '${txid}' is already in the database",
                ),
                Class::Duplicate,
            ),
            (
                node(4_010_007, "insufficient_fee", "Insufficient Fee Paid"),
                Class::Fee,
            ),
            (
                node(
                    10,
                    "assert_exception",
                    "insufficient_balance: Insufficient Balance: ${balance}, unable to transfer",
                ),
                Class::InsufficientBalance,
            ),
            (
                node(
                    10,
                    "assert_exception",
                    "abo->get_balance() >= -delta: Insufficient Balance: ${a}'s balance",
                ),
                Class::InsufficientBalance,
            ),
            (node(10, "assert_exception", "from != to: "), Class::Other),
        ];
        for (e, want) in cases {
            assert_eq!(classify(&e), want, "{e}");
        }
    }
}
