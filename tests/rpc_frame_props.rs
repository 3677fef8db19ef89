//! Property tests of the RPC frame parser: whatever a node sends, parsing never
//! panics, and what it accepts is classified consistently. The parser is pure, so
//! hostile input is fed to it directly.

use btsops::rpc::frame::{Incoming, classify, parse_http_reply, parse_incoming, parse_node_error};
use btsops::rpc::notices::value_bytes;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep, with the keys the parser looks at over-represented
/// so the generated frames reach past the first checks.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("notice")),
        Just(json!("2.1.0")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id".to_owned()),
        Just("method".to_owned()),
        Just("params".to_owned()),
        Just("result".to_owned()),
        Just("error".to_owned()),
        Just("code".to_owned()),
        Just("message".to_owned()),
        Just("data".to_owned()),
        Just("stack".to_owned()),
        Just("format".to_owned()),
        "[a-z]{1,6}",
    ]
}

/// A frame shaped like a reply or a notice, with arbitrary parts.
fn frame_like() -> impl Strategy<Value = Value> {
    prop_oneof![
        (json_value(), json_value()).prop_map(|(id, r)| json!({"id": id, "result": r})),
        (json_value(), json_value()).prop_map(|(id, e)| json!({"id": id, "error": e})),
        json_value().prop_map(|p| json!({"method": "notice", "params": p})),
        (json_value(), json_value())
            .prop_map(|(cb, args)| json!({"method": "notice", "params": [cb, args]})),
        json_value(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_text_never_panics(text in ".{0,300}") {
        let _ = parse_incoming(&text);
    }

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_incoming(&String::from_utf8_lossy(&bytes));
        let _ = parse_http_reply(&bytes);
    }

    #[test]
    fn any_json_never_panics_and_is_classified_consistently(v in frame_like()) {
        let text = v.to_string();
        let parsed = parse_incoming(&text);
        // Against the value as read back: floats need not survive the round trip.
        let read_back: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&parsed, &classify(read_back));
        match parsed {
            // A reply's id is one the client could have sent.
            Ok(Incoming::Reply { id, .. }) => {
                prop_assert!(v.get("id").is_some_and(|i| !i.is_null()), "{} gave id {}", text, id);
            }
            Ok(Incoming::Notice(_)) => prop_assert_eq!(v["method"].as_str(), Some("notice"), "{}", text),
            Ok(Incoming::Ignored) | Err(_) => {}
        }
        let _ = parse_http_reply(text.as_bytes());
        let e = parse_node_error(&v);
        let _ = (e.kind(), e.filled_format(), e.to_string());
        prop_assert!(value_bytes(&v) >= std::mem::size_of::<Value>());
    }

    /// Nesting far past serde_json's limit is an error, not a stack overflow.
    #[test]
    fn deep_nesting_is_refused(depth in 100usize..20_000, open in prop_oneof![Just('['), Just('{')]) {
        let text = match open {
            '[' => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            _ => format!("{{\"id\":1,\"result\":{}1{}}}", "[".repeat(depth), "]".repeat(depth)),
        };
        let r = parse_incoming(&text);
        if depth > 130 {
            prop_assert!(r.is_err(), "depth {} accepted", depth);
        }
    }

    /// Error text in a parse failure is bounded and printable, whatever the input.
    #[test]
    fn parse_errors_quote_input_safely(text in "[\\x00-\\x1f\\x7f-\\u{9f}a-z{}\\[\\]\"]{0,400}") {
        if let Err(detail) = parse_incoming(&text) {
            prop_assert!(detail.chars().count() < 400, "{}", detail);
            prop_assert!(!detail.chars().any(|c| c.is_control()), "{:?}", detail);
        }
    }
}
