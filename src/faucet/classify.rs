//! What a faucet's reply means (PROTOCOL §11). Pure: the client shows the reply verbatim
//! and this names its class.
//!
//! Rule: a top-level `error` object is a failure whatever the HTTP status (tapin answers
//! 200, the Rails faucet 422); success is an `account.name`. The texts matched are tapin's,
//! the Rails faucet's, the xbts faucet's and the node's (which tapin passes on verbatim).

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Registered,
    Taken,
    InvalidName,
    InvalidKey,
    Premium,
    Throttled,
    UnknownReferrer,
    FaucetDown,
    RegistrarOutOfFunds,
    Unknown,
}

impl Class {
    pub fn label(self) -> &'static str {
        match self {
            Class::Registered => "registered",
            Class::Taken => "name taken",
            Class::InvalidName => "invalid name",
            Class::InvalidKey => "invalid key",
            Class::Premium => "premium name refused",
            Class::Throttled => "throttled (one account per IP)",
            Class::UnknownReferrer => "unknown referrer",
            Class::FaucetDown => "faucet down",
            Class::RegistrarOutOfFunds => "registrar out of funds",
            Class::Unknown => "unknown",
        }
    }
}

/// A reply's class, and the error texts it carried (empty on success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub texts: Vec<String>,
}

/// Every message in an `error` object: `{"base":[..]}`, `{"remote_ip":[..]}`, or a bare
/// string. Field names are kept as `field: text` except tapin's `base`.
fn error_texts(error: &Value) -> Vec<String> {
    match error {
        Value::String(s) => vec![s.clone()],
        Value::Object(m) => m
            .iter()
            .flat_map(|(field, v)| {
                let items: Vec<String> = match v {
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    other => vec![other.to_string()],
                };
                items.into_iter().map(move |t| {
                    if field == "base" {
                        t
                    } else {
                        format!("{field}: {t}")
                    }
                })
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// The class of one error text, by the first rule that matches (lowercase compare).
pub fn classify_text(text: &str) -> Class {
    let t = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    if has(&[
        "one account per ip",
        "more than one account per ip",
        "registration from 1 ip",
        "remote_ip",
    ]) {
        Class::Throttled
    } else if has(&["account exists", "already exists", "already taken"]) {
        Class::Taken
    } else if has(&["only cheap names", "premium"]) {
        Class::Premium
    } else if has(&["unknown referrer"]) {
        Class::UnknownReferrer
    } else if has(&["insufficient balance"]) {
        Class::RegistrarOutOfFunds
    } else if has(&["is_valid_name", "invalid name", "invalid account name"]) {
        Class::InvalidName
    } else if has(&["base58", "public_key", "invalid key", "_key"]) {
        Class::InvalidKey
    } else {
        Class::Unknown
    }
}

/// The verdict on a reply that arrived (any HTTP status) with this body.
pub fn classify(status: u16, body: &str) -> Verdict {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    if let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) {
        let texts = error_texts(error);
        let class = texts
            .iter()
            .map(|t| classify_text(t))
            .find(|c| *c != Class::Unknown)
            .unwrap_or(Class::Unknown);
        return Verdict { class, texts };
    }
    let name = parsed
        .as_ref()
        .and_then(|v| v.get("account"))
        .and_then(|a| a.get("name"))
        .and_then(Value::as_str);
    if name.is_some() {
        return Verdict {
            class: Class::Registered,
            texts: Vec::new(),
        };
    }
    // No faucet answer at all: a proxy's error page or a server fault.
    let class = if status >= 500 || parsed.is_none() && status != 400 {
        Class::FaucetDown
    } else {
        Class::Unknown
    };
    Verdict {
        class,
        texts: vec![format!("HTTP {status}: {}", body.trim())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_faucets_texts_get_their_class() {
        let cases = [
            (
                200,
                r#"{"error":{"base":["Only one account per IP"]}}"#,
                Class::Throttled,
            ),
            (
                422,
                r#"{"error":{"remote_ip":["Can't register more than one account per IP in less than 5 minutes"]}}"#,
                Class::Throttled,
            ),
            (
                200,
                r#"{"error":{"base":["registration from 1 ip 30 min"]}}"#,
                Class::Throttled,
            ),
            (
                200,
                r#"{"error":{"base":["Account exists"]}}"#,
                Class::Taken,
            ),
            (
                200,
                r#"{"error":{"base":["Execution error: Assert Exception: current_account_itr == acnt_indx.indices().get<by_name>().end(): Account 'a-1' already exists."]}}"#,
                Class::Taken,
            ),
            (
                200,
                r#"{"error":{"base":["Only cheap names allowed!"]}}"#,
                Class::Premium,
            ),
            (
                200,
                r#"{"error":{"base":["Unknown referrer: zed"]}}"#,
                Class::UnknownReferrer,
            ),
            (
                200,
                r#"{"error":{"base":["Execution error: Assert Exception: is_valid_name( name ): "]}}"#,
                Class::InvalidName,
            ),
            (
                200,
                r#"{"error":{"base":["Error loading Base58 object"]}}"#,
                Class::InvalidKey,
            ),
            (
                200,
                r#"{"error":{"base":["Execution error: Assert Exception: abo->get_balance() >= -delta: Insufficient Balance: faucet's balance of 1 BTS is less than required 5 BTS"]}}"#,
                Class::RegistrarOutOfFunds,
            ),
            (
                200,
                r#"{"error":{"base":["Unknown registrar: x"]}}"#,
                Class::Unknown,
            ),
            (
                200,
                r#"{"account":{"name":"a-1","owner_key":"K"}}"#,
                Class::Registered,
            ),
            (
                201,
                r#"{"account":{"id":null,"name":"a-1"}}"#,
                Class::Registered,
            ),
            (502, "<html>Bad Gateway</html>", Class::FaucetDown),
            (200, "<html>maintenance</html>", Class::FaucetDown),
            (
                400,
                "<!doctype html><title>400 Bad Request</title>",
                Class::Unknown,
            ),
        ];
        for (status, body, want) in cases {
            assert_eq!(classify(status, body).class, want, "{status} {body}");
        }
    }

    #[test]
    fn an_error_object_wins_over_an_account() {
        let v = classify(
            200,
            r#"{"account":{"name":"a"},"error":{"base":["Account exists"]}}"#,
        );
        assert_eq!(v.class, Class::Taken);
        assert_eq!(v.texts, vec!["Account exists".to_string()]);
    }
}
