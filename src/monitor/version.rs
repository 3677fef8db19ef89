//! Software-version bracket from feature fingerprints (PROTOCOL.md §22). No RPC returns
//! the core version, so the engine lists the database and login API methods (from the
//! "Method not found" error of an unknown method) and counts the operation tags the node
//! knows, then brackets the version between the newest fingerprint present and the
//! oldest one proven absent. Pure: the probe task gathers the inputs.

use super::model::VersionBracket;

/// (version, api, method) fingerprints, oldest first. `api` is `"database"` or `"login"`.
const METHODS: &[(&str, &str, &str)] = &[
    ("3.1.0", "database", "get_htlc"),
    ("3.2.0", "database", "set_auto_subscription"),
    ("3.2.0", "database", "get_assets_by_issuer"),
    ("3.3.0", "database", "list_htlcs"),
    ("4.0.0", "database", "get_limit_orders_by_account"),
    ("4.0.0", "login", "custom_operations"),
    ("5.0.0", "database", "get_top_voters"),
    ("5.0.0", "database", "get_liquidity_pools_by_asset_a"),
    ("5.1.0", "database", "list_liquidity_pools"),
    ("5.1.0", "database", "list_tickets"),
    ("5.2.0", "database", "get_liquidity_pools_by_one_asset"),
    ("6.0.0", "database", "list_samet_funds"),
    ("6.0.0", "database", "list_credit_offers"),
    ("6.1.0", "login", "get_info"),
    ("6.1.0", "login", "get_available_api_sets"),
    ("6.1.0", "login", "get_config"),
    ("6.1.0", "database", "get_next_object_id"),
];

/// Operation count → the version range it proves (`at_least`, `below`).
fn ops_bracket(count: u32) -> Option<(&'static str, Option<&'static str>)> {
    match count {
        78.. => Some(("7.0.0", None)),
        75 => Some(("6.0.0", Some("7.0.0"))),
        64 => Some(("5.0.0", Some("6.0.0"))),
        59 => Some(("4.0.0", Some("5.0.0"))),
        54 => Some(("3.0.0", Some("4.0.0"))),
        49 => Some(("2.0.0", Some("3.0.0"))),
        _ => None,
    }
}

/// What the probe found out; `None` means the probe could not tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEvidence {
    pub database_methods: Option<Vec<String>>,
    pub login_methods: Option<Vec<String>>,
    /// Operation tags the node supports (`get_required_fees` with tag 999).
    pub op_count: Option<u32>,
}

fn parse_version(v: &str) -> (u32, u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// The bracket the evidence supports.
pub fn bracket(ev: &VersionEvidence) -> VersionBracket {
    let mut at_least: Option<&str> = None;
    let mut below: Option<&str> = None;
    let mut evidence = Vec::new();
    let raise = |v: &'static str, at_least: &mut Option<&str>| {
        if at_least.is_none_or(|a| parse_version(v) > parse_version(a)) {
            *at_least = Some(v);
        }
    };
    let lower_ceiling = |v: &'static str, below: &mut Option<&str>| {
        if below.is_none_or(|b| parse_version(v) < parse_version(b)) {
            *below = Some(v);
        }
    };
    let mut absent = Vec::new();
    for (version, api, method) in METHODS {
        let list = match *api {
            "database" => ev.database_methods.as_ref(),
            _ => ev.login_methods.as_ref(),
        };
        let Some(list) = list else { continue };
        if list.iter().any(|m| m == method) {
            raise(version, &mut at_least);
        } else {
            absent.push(*version);
        }
    }
    // A missing method only bounds the version from above when it is newer than
    // everything present (a custom build may lack one older method).
    for v in absent {
        if at_least.is_none_or(|a| parse_version(v) > parse_version(a)) {
            lower_ceiling(v, &mut below);
        }
    }
    if let Some(a) = at_least {
        evidence.push(format!("API methods of {a}"));
    }
    if let Some(count) = ev.op_count {
        if let Some((a, b)) = ops_bracket(count) {
            raise(a, &mut at_least);
            if let Some(b) = b {
                lower_ceiling(b, &mut below);
            }
        }
        evidence.push(format!("{count} operation types"));
    }
    // Conflicting evidence (a custom build): keep the floor, drop the ceiling.
    if let (Some(a), Some(b)) = (at_least, below) {
        if parse_version(b) <= parse_version(a) {
            below = None;
        }
    }
    VersionBracket {
        at_least: at_least.map(str::to_string),
        below: below.map(str::to_string),
        evidence,
    }
}

/// Method names from the `api` list of a "Method not found" error's data
/// (`[[name, index], …]`).
pub fn method_names(api: &serde_json::Value) -> Option<Vec<String>> {
    let list = api.as_array()?;
    Some(
        list.iter()
            .filter_map(|e| e.get(0).and_then(|n| n.as_str()).map(str::to_string))
            .collect(),
    )
}

/// Operation count from the tag-parsing error text, e.g. `Unable to set tag '999' when
/// the number of supported tags is 78`.
pub fn op_count_from_error(text: &str) -> Option<u32> {
    let (_, rest) = text.split_once("number of supported tags is ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn current_node_is_at_least_7() {
        let ev = VersionEvidence {
            database_methods: names(&["get_next_object_id", "list_samet_funds", "get_htlc"]),
            login_methods: names(&["login", "get_info", "get_available_api_sets", "get_config"]),
            op_count: Some(78),
        };
        let b = bracket(&ev);
        assert_eq!(b.at_least.as_deref(), Some("7.0.0"));
        assert_eq!(b.below, None);
        assert_eq!(b.label(), ">=7.0.0");
    }

    #[test]
    fn missing_methods_set_a_ceiling() {
        let ev = VersionEvidence {
            database_methods: names(&["get_htlc", "set_auto_subscription", "list_htlcs"]),
            login_methods: names(&["login"]),
            op_count: None,
        };
        let b = bracket(&ev);
        assert_eq!(b.at_least.as_deref(), Some("3.3.0"));
        assert_eq!(b.below.as_deref(), Some("4.0.0"));
        assert_eq!(b.label(), "3.3.0..4.0.0");
    }

    #[test]
    fn no_evidence_no_bracket() {
        assert_eq!(bracket(&VersionEvidence::default()).label(), "?");
    }

    #[test]
    fn op_count_text() {
        assert_eq!(
            op_count_from_error(
                "static_cast<size_t>(tag) < count(): Unable to set tag '999' when the number of supported tags is 78"
            ),
            Some(78)
        );
        assert_eq!(op_count_from_error("w < count(): "), None);
    }
}
