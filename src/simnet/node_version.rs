//! The bitshares-core release a simnet node plays (`version = "6.0.2"` on a fleet's
//! node): API methods added after that release are missing from its method lists and
//! its answers, and an operation tag past its operation count fails as that release's
//! parser does. Version fingerprinting (PROTOCOL.md §22) then sees the release, so an
//! image rollout can be shown on simnet. The default is the release the rest of simnet
//! models, 7.0.2.

use serde_json::{Value, json};

use super::api_catalog::ApiSet;
use super::fc_error::{FcError, site};

/// A release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeVersion(u32, u32, u32);

/// The oldest release simnet can play: older ones answer unknown methods in another
/// error shape (code 1), which simnet does not model.
const OLDEST: NodeVersion = NodeVersion(3, 2, 0);

/// Methods by the release that added them (PROTOCOL.md §22), newest first.
const ADDED: &[(NodeVersion, ApiSet, &str)] = &[
    (NodeVersion(6, 1, 0), ApiSet::Login, "get_info"),
    (
        NodeVersion(6, 1, 0),
        ApiSet::Login,
        "get_available_api_sets",
    ),
    (NodeVersion(6, 1, 0), ApiSet::Login, "get_config"),
    (NodeVersion(6, 1, 0), ApiSet::Login, "logout"),
    (
        NodeVersion(6, 1, 0),
        ApiSet::History,
        "get_account_history_by_time",
    ),
    (
        NodeVersion(6, 1, 0),
        ApiSet::History,
        "get_block_operation_history",
    ),
    (
        NodeVersion(6, 1, 0),
        ApiSet::History,
        "get_block_operations_by_time",
    ),
    (NodeVersion(6, 1, 0), ApiSet::Database, "get_next_object_id"),
    (NodeVersion(6, 0, 0), ApiSet::Database, "list_samet_funds"),
    (NodeVersion(6, 0, 0), ApiSet::Database, "list_credit_offers"),
    (
        NodeVersion(6, 0, 0),
        ApiSet::Database,
        "get_credit_deals_by_borrower",
    ),
    (
        NodeVersion(6, 0, 0),
        ApiSet::Database,
        "get_credit_deals_by_collateral_asset",
    ),
    (
        NodeVersion(6, 0, 0),
        ApiSet::Database,
        "get_credit_deals_by_debt_asset",
    ),
    (
        NodeVersion(6, 0, 0),
        ApiSet::Database,
        "get_credit_deals_by_offer_id",
    ),
    (
        NodeVersion(6, 0, 0),
        ApiSet::Database,
        "get_credit_deals_by_offer_owner",
    ),
    (
        NodeVersion(5, 2, 0),
        ApiSet::Database,
        "get_liquidity_pools_by_one_asset",
    ),
    (
        NodeVersion(5, 1, 0),
        ApiSet::Database,
        "list_liquidity_pools",
    ),
    (NodeVersion(5, 1, 0), ApiSet::Database, "list_tickets"),
    (
        NodeVersion(5, 1, 0),
        ApiSet::History,
        "get_liquidity_pool_history",
    ),
    (NodeVersion(5, 0, 0), ApiSet::Database, "get_top_voters"),
    (
        NodeVersion(5, 0, 0),
        ApiSet::Database,
        "get_liquidity_pools_by_asset_a",
    ),
    (
        NodeVersion(4, 0, 0),
        ApiSet::Database,
        "get_limit_orders_by_account",
    ),
    (NodeVersion(4, 0, 0), ApiSet::Login, "custom_operations"),
    (NodeVersion(3, 3, 0), ApiSet::Database, "list_htlcs"),
];

impl Default for NodeVersion {
    fn default() -> Self {
        NodeVersion::CURRENT
    }
}

impl NodeVersion {
    pub const CURRENT: NodeVersion = NodeVersion(7, 0, 2);

    /// `"6.0.2"`; refused outside the releases simnet can play.
    pub fn parse(text: &str) -> Result<NodeVersion, String> {
        let parts: Vec<&str> = text.split('.').collect();
        let nums: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
        let v = match nums.as_deref() {
            Some([a, b, c]) => NodeVersion(*a, *b, *c),
            _ => return Err(format!("{text:?} is not a release number like \"7.0.2\"")),
        };
        if v < OLDEST || v > NodeVersion::CURRENT {
            return Err(format!(
                "{text:?}: simnet plays releases {} to {}",
                OLDEST.label(),
                NodeVersion::CURRENT.label()
            ));
        }
        Ok(v)
    }

    pub fn label(self) -> String {
        format!("{}.{}.{}", self.0, self.1, self.2)
    }

    /// Whether this release has `method` on `set` (every method of the 7.0.2 list not in
    /// `ADDED` is older than anything simnet plays).
    pub fn has(self, set: ApiSet, method: &str) -> bool {
        set.has_method(method)
            && !ADDED
                .iter()
                .any(|(v, s, m)| *s == set && *m == method && *v > self)
    }

    /// The set's method list as this release reports it.
    pub fn methods(self, set: ApiSet) -> Vec<(&'static str, u32)> {
        set.methods()
            .iter()
            .copied()
            .filter(|(m, _)| self.has(set, m))
            .collect()
    }

    /// How many operation types the release's parser knows.
    pub fn op_count(self) -> u64 {
        match self.0 {
            7.. => 78,
            6 => 75,
            5 => 64,
            4 => 59,
            _ => 54,
        }
    }

    /// The parse failure of an operation tag past `op_count`, in the release's words:
    /// only 6.1.0 and later name the tag and the count (PROTOCOL.md §22).
    pub fn tag_error(self, tag: u64) -> FcError {
        let at = site("static_variant.hpp", 391, "set_which");
        if self >= NodeVersion(6, 1, 0) {
            FcError::assert(
                at,
                "static_cast<size_t>(tag) < count(): Unable to set tag '${tag}' when the number of supported tags is ${count}",
                json!({"tag": tag, "count": self.op_count()}),
            )
        } else if self >= NodeVersion(4, 0, 0) {
            FcError::assert(at, "static_cast<size_t>(tag) < count(): ", json!({}))
        } else {
            FcError::assert(at, "w < count(): ", json!({}))
        }
    }

    /// Fails as the release's parser would when `ops` (`[[tag, op], …]`) holds a tag it
    /// does not know; the current release leaves that to the full parser.
    pub fn check_ops(self, ops: &Value) -> Result<(), FcError> {
        if self == NodeVersion::CURRENT {
            return Ok(());
        }
        let tags = ops
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|op| op.get(0).and_then(Value::as_u64));
        for tag in tags {
            if tag >= self.op_count() {
                return Err(self.tag_error(tag));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases_simnet_can_play() {
        assert_eq!(NodeVersion::parse("6.0.2"), Ok(NodeVersion(6, 0, 2)));
        assert!(NodeVersion::parse("7.1").unwrap_err().contains("like"));
        assert!(
            NodeVersion::parse("3.1.0")
                .unwrap_err()
                .contains("3.2.0 to 7.0.2")
        );
        assert!(NodeVersion::parse("8.0.0").is_err());
    }

    #[test]
    fn older_releases_lack_newer_methods() {
        let v6 = NodeVersion(6, 0, 2);
        assert!(!v6.has(ApiSet::Login, "get_info"));
        assert!(v6.has(ApiSet::Database, "list_samet_funds"));
        assert!(v6.has(ApiSet::Database, "get_chain_id"));
        assert!(!v6.has(ApiSet::Database, "no_such_method"));
        let all = ApiSet::Database.methods().len();
        assert_eq!(NodeVersion::CURRENT.methods(ApiSet::Database).len(), all);
        assert_eq!(v6.methods(ApiSet::Database).len(), all - 1);
        let v5 = NodeVersion(5, 0, 0);
        assert!(!v5.has(ApiSet::Database, "list_tickets"));
        assert!(v5.has(ApiSet::Database, "get_top_voters"));
    }

    #[test]
    fn only_6_1_names_the_operation_count() {
        let e = |v: NodeVersion| v.tag_error(999).format().to_string();
        assert!(e(NodeVersion(6, 1, 0)).contains("Unable to set tag"));
        assert_eq!(
            e(NodeVersion(6, 0, 0)),
            "static_cast<size_t>(tag) < count(): "
        );
        assert_eq!(e(NodeVersion(3, 3, 0)), "w < count(): ");
        assert!(NodeVersion(6, 0, 0).check_ops(&json!([[76, {}]])).is_err());
        assert!(NodeVersion(6, 0, 0).check_ops(&json!([[0, {}]])).is_ok());
        assert_eq!(NodeVersion(5, 2, 0).op_count(), 64);
    }
}
