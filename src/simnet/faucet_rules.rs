//! The checks a tapin faucet makes on `POST /api/v1/accounts`, in its order (PROTOCOL §11,
//! *bitshares/tapin app/views.py*), as pure functions over the request body and what the
//! chain knows. The I/O (HTTP, signing, broadcasting) is in `faucet.rs`.

use serde_json::{Value, json};

/// The fields tapin requires, in the order this faucet checks them (tapin iterates a set).
pub const REQUIRED_FIELDS: [&str; 4] = ["name", "owner_key", "active_key", "memo_key"];

/// tapin's texts, verbatim.
pub const ONE_PER_IP: &str = "Only one account per IP";
pub const ONLY_CHEAP: &str = "Only cheap names allowed!";
pub const ACCOUNT_EXISTS: &str = "Account exists";
/// python-bitshares' `Base58` refusing a key whose prefix is not the chain's. (A key with the
/// right prefix and a bad checksum raises a bare `AssertionError`, whose text is empty; this
/// faucet answers the same text for both so a client has something to read.)
pub const BAD_KEY: &str = "Error loading Base58 object";

/// A request that passed the body checks: what to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub owner_key: String,
    pub active_key: String,
    pub memo_key: String,
    /// Body `registrar`, else none (the faucet's own).
    pub registrar: Option<String>,
    /// Body `referrer`, else none (the faucet's default).
    pub referrer: Option<String>,
}

/// Why the request is refused before anything reaches the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No JSON object with an `account` member: Flask's `abort(400)`.
    Malformed,
    /// `{"error":{"base":[text]}}` with HTTP 200.
    Error(String),
}

/// The error body tapin's `api_error` sends.
pub fn error_body(text: &str) -> Value {
    json!({"error": {"base": [text]}})
}

fn text_field(account: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match account.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// tapin's cheap-name test (`re.search(r"[0-9-]", name)` or no vowel): stricter than the
/// chain's, which also counts `.` and `/` as cheap.
pub fn tapin_cheap(name: &str) -> bool {
    name.bytes().any(|c| c.is_ascii_digit() || c == b'-')
        || !name
            .bytes()
            .any(|c| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y'))
}

/// The body checks up to and including the cheap-name rule: shape, required fields, the
/// per-IP limit (`ip_seen_recently`), premium names.
pub fn check_body(body: &[u8], ip_seen_recently: bool) -> Result<Registration, Refusal> {
    let v: Value = serde_json::from_slice(body).map_err(|_| Refusal::Malformed)?;
    let Some(Value::Object(account)) = v.get("account") else {
        return Err(Refusal::Malformed);
    };
    for field in REQUIRED_FIELDS {
        if !account.contains_key(field) {
            return Err(Refusal::Error(format!("Please provide '{field}'")));
        }
    }
    if ip_seen_recently {
        return Err(Refusal::Error(ONE_PER_IP.into()));
    }
    let field = |k| text_field(account, k).unwrap_or_default();
    let reg = Registration {
        name: field("name"),
        owner_key: field("owner_key"),
        active_key: field("active_key"),
        memo_key: field("memo_key"),
        registrar: text_field(account, "registrar").filter(|s| !s.is_empty()),
        referrer: text_field(account, "referrer").filter(|s| !s.is_empty()),
    };
    if !tapin_cheap(&reg.name) {
        return Err(Refusal::Error(ONLY_CHEAP.into()));
    }
    Ok(reg)
}

/// Whether `ip` registered within the last `window_s` seconds before `now`.
pub fn throttled(last_success: Option<i64>, now: i64, window_s: u64) -> bool {
    last_success.is_some_and(|t| now - t < window_s as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn checks_run_in_tapins_order() {
        assert_eq!(check_body(b"not json", false), Err(Refusal::Malformed));
        assert_eq!(check_body(&body(json!({})), false), Err(Refusal::Malformed));
        assert_eq!(
            check_body(&body(json!({"account": {"name": "x"}})), true),
            Err(Refusal::Error("Please provide 'owner_key'".into()))
        );
        let full = json!({"account": {"name": "alice", "owner_key": "K", "active_key": "K",
            "memo_key": "K", "referrer": null}});
        // The IP limit comes before the premium-name rule.
        assert_eq!(
            check_body(&body(full.clone()), true),
            Err(Refusal::Error(ONE_PER_IP.into()))
        );
        assert_eq!(
            check_body(&body(full), false),
            Err(Refusal::Error(ONLY_CHEAP.into()))
        );
        let ok = json!({"account": {"name": "alice-1", "owner_key": "K", "active_key": "K",
            "memo_key": "K", "referrer": "bob"}});
        let r = check_body(&body(ok), false).unwrap();
        assert_eq!(r.name, "alice-1");
        assert_eq!(r.referrer.as_deref(), Some("bob"));
        assert_eq!(r.registrar, None);
    }

    #[test]
    fn tapin_counts_dots_as_premium_but_the_chain_does_not() {
        assert!(!tapin_cheap("alice.bob"));
        assert!(crate::chain::operations::is_cheap_name("alice.bob"));
        assert!(tapin_cheap("alice-bob") && tapin_cheap("xkcd") && tapin_cheap("a1"));
    }

    #[test]
    fn the_ip_window_is_half_open() {
        assert!(!throttled(None, 100, 300));
        assert!(throttled(Some(100), 399, 300));
        assert!(!throttled(Some(100), 400, 300));
    }
}
