//! Errors shaped like bitshares-fc exceptions, as a 7.x node serialises them (PROTOCOL §3, §19).
//!
//! Validation code raises an [`FcError`] by (code, name, message, format, data); the reply
//! builder turns it into the JSON-RPC `error` object. Clients classify by `data.code`,
//! `data.name` and `stack[0].format`, so those must match the real node byte for byte.

use serde_json::{Map, Value, json};

/// One `stack[]` entry of an fc exception.
#[derive(Debug, Clone, PartialEq)]
pub struct StackFrame {
    pub level: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub method: &'static str,
    pub format: String,
    pub data: Map<String, Value>,
}

/// An fc exception: what a node's C++ code threw.
#[derive(Debug, Clone, PartialEq)]
pub struct FcError {
    pub code: i64,
    pub name: &'static str,
    /// `data.message`, the exception kind's fixed text ("Assert Exception").
    pub message: &'static str,
    pub stack: Vec<StackFrame>,
}

/// Where in the C++ source a real node raises the error; recorded in `stack[].context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    pub file: &'static str,
    pub line: u32,
    pub method: &'static str,
}

pub const fn site(file: &'static str, line: u32, method: &'static str) -> Site {
    Site { file, line, method }
}

fn data_map(data: Value) -> Map<String, Value> {
    match data {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl FcError {
    pub fn new(
        code: i64,
        name: &'static str,
        message: &'static str,
        at: Site,
        format: impl Into<String>,
        data: Value,
    ) -> Self {
        FcError {
            code,
            name,
            message,
            stack: vec![StackFrame {
                level: "error",
                file: at.file,
                line: at.line,
                method: at.method,
                format: format.into(),
                data: data_map(data),
            }],
        }
    }

    /// `FC_ASSERT(cond, fmt, args)`: code 10 and the condition text as the format prefix.
    pub fn assert(at: Site, format: impl Into<String>, data: Value) -> Self {
        Self::new(10, "assert_exception", "Assert Exception", at, format, data)
    }

    /// fc's `parse_error_exception` (code 4), e.g. a string that is not a number.
    pub fn parse(at: Site, format: impl Into<String>, data: Value) -> Self {
        Self::new(4, "parse_error_exception", "Parse Error", at, format, data)
    }

    /// A rethrow frame (`FC_CAPTURE_AND_RETHROW`): empty format, level warn.
    pub fn with_frame(mut self, at: Site, data: Value) -> Self {
        self.stack.push(StackFrame {
            level: "warn",
            file: at.file,
            line: at.line,
            method: at.method,
            format: String::new(),
            data: data_map(data),
        });
        self
    }

    /// A further frame that does carry text (it then shows in the message too).
    pub fn with_error_frame(mut self, at: Site, format: impl Into<String>, data: Value) -> Self {
        self.stack.push(StackFrame {
            level: "error",
            file: at.file,
            line: at.line,
            method: at.method,
            format: format.into(),
            data: data_map(data),
        });
        self
    }

    /// `stack[0].format`, the text clients classify by.
    pub fn format(&self) -> &str {
        self.stack.first().map(|f| f.format.as_str()).unwrap_or("")
    }

    /// The human text after `"Execution error: "`: the kind's message, then every non-empty
    /// filled format, exactly as fc's `to_string` builds it.
    pub fn detail_message(&self) -> String {
        let mut out = format!("{}:", self.message);
        for f in &self.stack {
            if !f.format.is_empty() {
                out.push(' ');
                out.push_str(&fill_format(&f.format, &f.data));
            }
        }
        out
    }

    /// The serialised exception (`error.data`).
    pub fn data_json(&self, timestamp: &str) -> Value {
        let stack: Vec<Value> = self
            .stack
            .iter()
            .map(|f| {
                json!({
                    "context": {
                        "level": f.level,
                        "file": f.file,
                        "line": f.line,
                        "method": f.method,
                        "hostname": "",
                        "thread_name": "th_a",
                        "timestamp": timestamp,
                    },
                    "format": f.format,
                    "data": Value::Object(f.data.clone()),
                })
            })
            .collect();
        json!({"code": self.code, "name": self.name, "message": self.message, "stack": stack})
    }

    /// The JSON-RPC error object of a call that threw this.
    pub fn to_rpc_error(&self, timestamp: &str) -> RpcError {
        RpcError {
            code: self.code,
            message: format!("Execution error: {}", self.detail_message()),
            data: Some(self.data_json(timestamp)),
        }
    }
}

/// The `error` member of a reply. Protocol errors (−326xx) carry their own message and maybe
/// no data; application errors come from an [`FcError`].
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("message".into(), json!(self.message));
        if let Some(d) = &self.data {
            m.insert("data".into(), d.clone());
        }
        Value::Object(m)
    }

    /// HTTP status a node answers with for this error (PROTOCOL §1).
    pub fn http_status(&self) -> u16 {
        if self.code == -32603 {
            500
        } else if self.code <= -32600 {
            400
        } else {
            200
        }
    }
}

/// fc's `format_string`, shared with the rpc client's reading of node errors.
pub fn fill_format(format: &str, data: &Map<String, Value>) -> String {
    crate::rpc::error::fill_format(format, Some(data))
}

/// Method not found on an API set: −32601 with the API's whole `[[name, index]]` list, which
/// clients use to probe the node version (PROTOCOL §22).
pub fn method_not_found(name: &str, api_list: &[(&str, u32)], timestamp: &str) -> RpcError {
    let api: Vec<Value> = api_list.iter().map(|(n, i)| json!([n, i])).collect();
    let fc = FcError::new(
        22,
        "method_not_found_exception",
        "Method Not Found",
        site("api_connection.hpp", 121, "call"),
        "No method with name '${name}'",
        json!({"name": name, "api": api}),
    );
    RpcError {
        code: -32601,
        message: "Method not found".into(),
        data: Some(fc.data_json(timestamp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assert_message_matches_a_real_node() {
        let e = FcError::assert(
            site("transfer.cpp", 42, "validate"),
            "from != to: ",
            json!({}),
        );
        let r = e.to_rpc_error("2024-01-01T00:00:00");
        assert_eq!(r.message, "Execution error: Assert Exception: from != to: ");
        assert_eq!(r.code, 10);
        let d = r.data.unwrap();
        assert_eq!(d["name"], "assert_exception");
        assert_eq!(d["stack"][0]["format"], "from != to: ");
        assert_eq!(d["stack"][0]["context"]["file"], "transfer.cpp");
    }

    #[test]
    fn fill_uses_strings_verbatim_and_json_otherwise() {
        let data = json!({"txid": "abc", "n": 5, "o": {"a": 1}});
        let Value::Object(m) = data else { panic!() };
        assert_eq!(
            fill_format("Transaction '${txid}' ${n} ${o} ${missing}", &m),
            "Transaction 'abc' 5 {\"a\":1} ${missing}"
        );
        assert_eq!(fill_format("open ${x", &m), "open ${x");
    }

    #[test]
    fn every_non_empty_frame_joins_the_message() {
        let e = FcError::assert(
            site("transfer_evaluator.cpp", 67, "do_evaluate"),
            "insufficient_balance: Insufficient Balance: ${balance}",
            json!({"balance": "0.5 TEST"}),
        )
        .with_error_frame(
            site("transfer_evaluator.cpp", 73, "do_evaluate"),
            "Unable to transfer ${a}",
            json!({"a": "100 TEST"}),
        )
        .with_frame(site("db_block.cpp", 1, "push"), json!({"trx": {}}));
        assert_eq!(
            e.detail_message(),
            "Assert Exception: insufficient_balance: Insufficient Balance: 0.5 TEST Unable to transfer 100 TEST"
        );
        assert_eq!(e.stack.len(), 3);
    }

    #[test]
    fn http_status_rules() {
        let mk = |code| RpcError {
            code,
            message: String::new(),
            data: None,
        };
        assert_eq!(mk(10).http_status(), 200);
        assert_eq!(mk(-32603).http_status(), 500);
        assert_eq!(mk(-32601).http_status(), 400);
        assert_eq!(mk(-32700).http_status(), 400);
    }
}
