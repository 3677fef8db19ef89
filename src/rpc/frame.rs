//! Pure JSON-RPC framing: request encoding, reply/notice parsing, node-error extraction
//! (PROTOCOL.md §2, §3, §5). No I/O here so hostile inputs can be unit-tested directly.

use serde_json::Value;

use super::error::{Failure, NodeError};
use super::types::{Notice, int_from_value};

/// An API set. Only `Database` (0) and `Login` (1) have fixed ids; every other set gets
/// its id from the node the first time it is asked for on a connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Api {
    Database,
    Login,
    NetworkBroadcast,
    History,
    NetworkNode,
    Block,
    Crypto,
    Asset,
    Orders,
    Debug,
    CustomOperations,
    /// Any other set, by the name of its login-API accessor (e.g. `"network_broadcast"`).
    Named(String),
}

impl Api {
    /// The login-API method that returns this set's id; also the name accepted in the
    /// `["name", method, params]` call form.
    pub fn name(&self) -> &str {
        match self {
            Api::Database => "database",
            Api::Login => "login",
            Api::NetworkBroadcast => "network_broadcast",
            Api::History => "history",
            Api::NetworkNode => "network_node",
            Api::Block => "block",
            Api::Crypto => "crypto",
            Api::Asset => "asset",
            Api::Orders => "orders",
            Api::Debug => "debug",
            Api::CustomOperations => "custom_operations",
            Api::Named(n) => n,
        }
    }

    /// The id fixed by the protocol, if any.
    pub fn fixed_id(&self) -> Option<u64> {
        match self {
            Api::Database => Some(0),
            Api::Login => Some(1),
            _ => None,
        }
    }
}

/// The first element of a `call`'s params: a numeric id or an API name.
#[derive(Debug, Clone, Copy)]
pub enum ApiRef<'a> {
    Id(u64),
    Name(&'a str),
}

/// `params` must be an array (named params get −32602); `null` means no arguments.
pub(crate) fn normalize_params(params: Value) -> Result<Value, Failure> {
    match params {
        Value::Null => Ok(Value::Array(Vec::new())),
        Value::Array(_) => Ok(params),
        other => Err(Failure::Config(format!(
            "call params must be a JSON array, got {}",
            json_type(&other)
        ))),
    }
}

/// JSON text serialized by serde_json: valid JSON by construction, so it goes into a
/// request as it is. Built once where it is made (a stress run's signer threads), it is
/// sent without a `Value` tree being built or copied per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(String);

impl Json {
    pub fn of(v: &impl serde::Serialize) -> Result<Json, serde_json::Error> {
        serde_json::to_string(v).map(Json)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A call's parameters: a JSON array, or one argument already serialized.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Params<'a> {
    Value(&'a Value),
    One(&'a Json),
}

/// Encode one `call` request.
pub fn encode_call(id: u64, api: ApiRef<'_>, method: &str, params: Value) -> String {
    encode(id, api, method, Params::Value(&params))
}

/// `{"id":ID,"method":"call","params":[API,"METHOD",PARAMS]}`, written straight into one
/// buffer: the same text as building it as a `Value` first, without the tree (a request
/// is made for every transaction of a stress run).
pub(crate) fn encode(id: u64, api: ApiRef<'_>, method: &str, params: Params<'_>) -> String {
    use std::io::Write;
    let extra = match params {
        Params::One(j) => j.0.len(),
        Params::Value(_) => 16,
    };
    let mut out: Vec<u8> = Vec::with_capacity(48 + method.len() + extra);
    // Writing into a Vec cannot fail, nor can serializing strings and `Value`s (whose
    // map keys are strings): the results are ignored.
    let _ = write!(out, "{{\"id\":{id},\"method\":\"call\",\"params\":[");
    let _ = match api {
        ApiRef::Id(n) => write!(out, "{n}").map_err(serde_json::Error::io),
        ApiRef::Name(s) => serde_json::to_writer(&mut out, s),
    };
    out.push(b',');
    let _ = serde_json::to_writer(&mut out, method);
    out.push(b',');
    match params {
        Params::Value(v) => {
            let _ = serde_json::to_writer(&mut out, v);
        }
        Params::One(j) => {
            out.push(b'[');
            out.extend_from_slice(j.0.as_bytes());
            out.push(b']');
        }
    }
    out.extend_from_slice(b"]}");
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One parsed incoming frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Reply {
        id: u64,
        outcome: Result<Value, NodeError>,
    },
    Notice(Notice),
    /// A well-formed frame the client has no use for (e.g. a `callback` request).
    Ignored,
}

/// Parse a text frame. `Err` means the peer is not speaking graphene JSON-RPC; the
/// connection should be failed, since no pending call can be matched any more.
pub fn parse_incoming(text: &str) -> Result<Incoming, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("frame is not JSON ({e}): {}", snippet(text)))?;
    classify(value)
}

/// Whether `text` is a notice (`method: "notice"` and no id), found without building
/// it: serde skips every other field without allocating. Lets the reader drop a
/// notice too big for its queue at a fraction of the cost of parsing it, so a node
/// flooding megabyte notices cannot take the CPU from other endpoints' probes.
pub fn is_notice(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        method: Option<std::borrow::Cow<'a, str>>,
        /// `null` reads as `None`, as `classify` treats it.
        #[serde(default)]
        id: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Envelope<'_>>(text)
        .is_ok_and(|e| e.id.is_none() && e.method.as_deref() == Some("notice"))
}

/// Classify an already-parsed frame.
pub fn classify(value: Value) -> Result<Incoming, String> {
    let Value::Object(mut obj) = value else {
        return Err(format!(
            "frame is a JSON {}, not an object",
            json_type(&value)
        ));
    };
    let id = obj.get("id").filter(|v| !v.is_null()).cloned();
    let has_outcome = obj.contains_key("result") || obj.contains_key("error");
    if let Some(id) = id {
        if !has_outcome {
            // A server-to-client request (`callback`) carries an id but no outcome; no
            // database API uses it, so there is nothing to answer.
            if obj.contains_key("method") {
                return Ok(Incoming::Ignored);
            }
            return Err(format!("reply {id} has neither result nor error"));
        }
        let Some(id) = int_from_value::<u64>(&id) else {
            return Err(format!("reply id {id} is not one the client sent"));
        };
        let outcome = match obj.remove("error").filter(|e| !e.is_null()) {
            Some(err) => Err(take_node_error(err)),
            None => Ok(obj.remove("result").unwrap_or(Value::Null)),
        };
        return Ok(Incoming::Reply { id, outcome });
    }
    if has_outcome {
        let detail = obj
            .get("error")
            .map(|e| format!(": {}", parse_node_error(e)))
            .unwrap_or_default();
        return Err(format!("reply without id{detail}"));
    }
    match obj.get("method").and_then(Value::as_str) {
        Some("notice") => parse_notice(obj.remove("params")).map(Incoming::Notice),
        Some(_) => Ok(Incoming::Ignored),
        None => Err("frame has no id, no method and no result".to_owned()),
    }
}

/// Takes the params by value: a notice carries a block's objects, once per block per
/// connection, and copying them showed in the monitor's profile.
fn parse_notice(params: Option<Value>) -> Result<Notice, String> {
    let bad = || "malformed notice: params must be [callback, [args]]".to_owned();
    let Some(Value::Array(params)) = params else {
        return Err(bad());
    };
    let mut params = params.into_iter();
    let callback = params
        .next()
        .as_ref()
        .and_then(int_from_value::<u64>)
        .ok_or_else(bad)?;
    let args = match params.next() {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(bad()),
    };
    Ok(Notice { callback, args })
}

/// Extract a [`NodeError`] from an `error` object, tolerating any shape.
pub fn parse_node_error(err: &Value) -> NodeError {
    let format_data = err
        .get("data")
        .and_then(|d| d.get("stack"))
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("data"))
        .cloned();
    node_error(err, format_data)
}

/// [`parse_node_error`] of an error the caller owns: the first stack frame's data moves
/// into the result instead of being copied. It can be large: an unknown method's error
/// lists the whole API (PROTOCOL.md §22), and a monitor starting on a thousand nodes
/// asks each for two of them at once.
pub fn take_node_error(mut err: Value) -> NodeError {
    let format_data = err
        .get_mut("data")
        .and_then(|d| d.get_mut("stack"))
        .and_then(|s| s.get_mut(0))
        .and_then(|s| s.get_mut("data"))
        .map(Value::take);
    node_error(&err, format_data)
}

fn node_error(err: &Value, format_data: Option<Value>) -> NodeError {
    let data = err.get("data");
    let stack0 = data.and_then(|d| d.get("stack")).and_then(|s| s.get(0));
    let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    NodeError {
        code: err.get("code").and_then(int_from_value::<i64>).unwrap_or(0),
        message: match err.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None if err.is_string() => err.as_str().unwrap_or_default().to_owned(),
            None => String::new(),
        },
        data_code: data
            .and_then(|d| d.get("code"))
            .and_then(int_from_value::<i64>),
        name: string(data.and_then(|d| d.get("name"))),
        data_message: string(data.and_then(|d| d.get("message"))),
        format: string(stack0.and_then(|s| s.get("format"))),
        format_data,
    }
}

/// Parse a complete HTTP reply body (a single JSON-RPC reply).
pub fn parse_http_reply(body: &[u8]) -> Result<Result<Value, NodeError>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "body is not JSON ({e}): {}",
            snippet(&String::from_utf8_lossy(&body[..body.len().min(200)]))
        )
    })?;
    let Value::Object(mut obj) = value else {
        return Err(format!(
            "body is a JSON {}, not an object",
            json_type(&value)
        ));
    };
    if let Some(err) = obj.remove("error").filter(|e| !e.is_null()) {
        return Ok(Err(take_node_error(err)));
    }
    match obj.remove("result") {
        Some(v) => Ok(Ok(v)),
        None => Err("reply has neither result nor error".to_owned()),
    }
}

/// A JSON value's type name, for error messages (and the `check --json` contract test).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short, printable excerpt of hostile input for error messages.
pub fn snippet(text: &str) -> String {
    const MAX: usize = 80;
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_exactly_as_the_value_form() {
        let params = json!([{"ref_block_num": 5, "memo": "a\"b\\c\u{7f}é"}, null, 1.5]);
        for api in [ApiRef::Id(2), ApiRef::Name("net\"work")] {
            let tree = match api {
                ApiRef::Id(n) => json!(n),
                ApiRef::Name(s) => json!(s),
            };
            let want =
                json!({"id": 9, "method": "call", "params": [tree, "m\"x", params]}).to_string();
            assert_eq!(encode_call(9, api, "m\"x", params.clone()), want);
        }
        let tx = Json::of(&json!({"a": [1, 2]})).unwrap();
        assert_eq!(
            encode(3, ApiRef::Id(2), "broadcast_transaction", Params::One(&tx)),
            r#"{"id":3,"method":"call","params":[2,"broadcast_transaction",[{"a":[1,2]}]]}"#
        );
    }

    #[test]
    fn encodes_call_forms() {
        let s = encode_call(7, ApiRef::Id(0), "get_chain_id", json!([]));
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(
            v,
            json!({"id":7,"method":"call","params":[0,"get_chain_id",[]]})
        );
        let s = encode_call(8, ApiRef::Name("network_broadcast"), "x", json!([1]));
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["params"], json!(["network_broadcast", "x", [1]]));
    }

    #[test]
    fn params_must_be_array() {
        assert_eq!(normalize_params(Value::Null).unwrap(), json!([]));
        assert!(normalize_params(json!({"a":1})).is_err());
    }

    #[test]
    fn parses_replies() {
        assert_eq!(
            parse_incoming(r#"{"id":3,"jsonrpc":"2.0","result":{"a":1}}"#).unwrap(),
            Incoming::Reply {
                id: 3,
                outcome: Ok(json!({"a":1}))
            }
        );
        // result:null is a success (broadcast_transaction)
        assert_eq!(
            parse_incoming(r#"{"id":"4","result":null}"#).unwrap(),
            Incoming::Reply {
                id: 4,
                outcome: Ok(Value::Null)
            }
        );
    }

    #[test]
    fn parses_error_reply_verbatim() {
        let text = r#"{"id":7,"jsonrpc":"2.0","error":{"code":3030001,
          "message":"Execution error: duplicate transaction: Transaction '53b9' is already in the database",
          "data":{"code":3030001,"name":"duplicate_transaction","message":"duplicate transaction",
          "stack":[{"context":{"level":"error","file":"db_block.cpp","line":708},
          "format":"Transaction '${txid}' is already in the database","data":{"txid":"53b9"}}]}}}"#;
        let Incoming::Reply {
            id: 7,
            outcome: Err(e),
        } = parse_incoming(text).unwrap()
        else {
            panic!("not an error reply");
        };
        assert_eq!(e.code, 3030001);
        assert_eq!(e.name.as_deref(), Some("duplicate_transaction"));
        assert_eq!(
            e.filled_format().as_deref(),
            Some("Transaction '53b9' is already in the database")
        );
        assert_eq!(e.kind(), super::super::error::ErrorKind::Duplicate);
    }

    #[test]
    fn parses_notices() {
        assert_eq!(
            parse_incoming(r#"{"method":"notice","params":[7,[{"id":"2.1.0"}]]}"#).unwrap(),
            Incoming::Notice(Notice {
                callback: 7,
                args: vec![json!({"id":"2.1.0"})]
            })
        );
        assert!(parse_incoming(r#"{"method":"notice","params":"x"}"#).is_err());
        assert!(parse_incoming(r#"{"method":"notice","params":[-1,[]]}"#).is_err());
    }

    #[test]
    fn notices_are_recognised_unparsed() {
        assert!(is_notice(r#"{"method":"notice","params":[7,[[0,0,0]]]}"#));
        assert!(is_notice(
            r#"{"params":[7,[]],"id":null,"method":"notice"}"#
        ));
        assert!(!is_notice(r#"{"id":3,"method":"notice","result":1}"#));
        assert!(!is_notice(r#"{"id":3,"result":"notice"}"#));
        assert!(!is_notice(r#"{"method":"notice","params":[7,[[0,0"#));
        assert!(!is_notice("[1]"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "not json",
            "",
            "[1,2]",
            "42",
            r#"{"result":1}"#,
            r#"{"id":null,"error":{"code":-32700,"message":"parse"}}"#,
            r#"{"id":1}"#,
            r#"{"id":-5,"result":1}"#,
            r#"{"id":{"x":1},"result":1}"#,
            r#"{"foo":1}"#,
        ] {
            assert!(parse_incoming(bad).is_err(), "accepted {bad:?}");
        }
        assert_eq!(
            parse_incoming(r#"{"id":2,"method":"callback","params":[]}"#).unwrap(),
            Incoming::Ignored
        );
    }

    #[test]
    fn node_error_tolerates_odd_shapes() {
        let e = parse_node_error(&json!({"code":"1","message":5}));
        assert_eq!(e.code, 1);
        assert_eq!(e.message, "5");
        let e = parse_node_error(&json!("boom"));
        assert_eq!(e.message, "boom");
        let e = parse_node_error(&json!({"data":{"stack":"x"}}));
        assert_eq!(e.format, None);
    }

    #[test]
    fn an_owned_node_error_reads_the_same_as_a_borrowed_one() {
        let shapes = [
            json!({"code":1,"message":"Assert Exception","data":{"code":10,"name":"assert_exception",
                "message":"Assert Exception","stack":[{"format":"no method with name '${name}'",
                "data":{"name":"x_probe","api":{"get_chain_id":3,"get_objects":0}}}]}}),
            json!({"code":"1","message":5}),
            json!("boom"),
            json!({"data":{"stack":"x"}}),
            json!({"data":{"stack":{"0":{"data":1}}}}),
        ];
        for v in shapes {
            assert_eq!(take_node_error(v.clone()), parse_node_error(&v), "{v}");
        }
    }

    #[test]
    fn http_body() {
        assert_eq!(
            parse_http_reply(br#"{"id":1,"result":"abc"}"#).unwrap(),
            Ok(json!("abc"))
        );
        let r =
            parse_http_reply(br#"{"id":1,"error":{"code":-32603,"message":"internal"}}"#).unwrap();
        assert_eq!(r.unwrap_err().code, -32603);
        assert!(parse_http_reply(b"<html>").is_err());
        assert!(parse_http_reply(b"{}").is_err());
    }

    #[test]
    fn snippet_is_bounded_and_printable() {
        let s = snippet(&"\u{0}".repeat(1000));
        assert!(s.chars().count() <= 81);
        assert!(!s.contains('\u{0}'));
    }
}
