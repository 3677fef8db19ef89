//! The names of BitShares' operations by tag, in the order of graphene's `operation`
//! static_variant (libraries/protocol/include/graphene/protocol/operations.hpp, 7.0),
//! so a message about an operation btsops does not handle can name it.

const NAMES: [&str; 78] = [
    "transfer",
    "limit_order_create",
    "limit_order_cancel",
    "call_order_update",
    "fill_order",
    "account_create",
    "account_update",
    "account_whitelist",
    "account_upgrade",
    "account_transfer",
    "asset_create",
    "asset_update",
    "asset_update_bitasset",
    "asset_update_feed_producers",
    "asset_issue",
    "asset_reserve",
    "asset_fund_fee_pool",
    "asset_settle",
    "asset_global_settle",
    "asset_publish_feed",
    "witness_create",
    "witness_update",
    "proposal_create",
    "proposal_update",
    "proposal_delete",
    "withdraw_permission_create",
    "withdraw_permission_update",
    "withdraw_permission_claim",
    "withdraw_permission_delete",
    "committee_member_create",
    "committee_member_update",
    "committee_member_update_global_parameters",
    "vesting_balance_create",
    "vesting_balance_withdraw",
    "worker_create",
    "custom",
    "assert",
    "balance_claim",
    "override_transfer",
    "transfer_to_blind",
    "blind_transfer",
    "transfer_from_blind",
    "asset_settle_cancel",
    "asset_claim_fees",
    "fba_distribute",
    "bid_collateral",
    "execute_bid",
    "asset_claim_pool",
    "asset_update_issuer",
    "htlc_create",
    "htlc_redeem",
    "htlc_redeemed",
    "htlc_extend",
    "htlc_refund",
    "custom_authority_create",
    "custom_authority_update",
    "custom_authority_delete",
    "ticket_create",
    "ticket_update",
    "liquidity_pool_create",
    "liquidity_pool_delete",
    "liquidity_pool_deposit",
    "liquidity_pool_withdraw",
    "liquidity_pool_exchange",
    "samet_fund_create",
    "samet_fund_delete",
    "samet_fund_update",
    "samet_fund_borrow",
    "samet_fund_repay",
    "credit_offer_create",
    "credit_offer_delete",
    "credit_offer_update",
    "credit_offer_accept",
    "credit_deal_repay",
    "credit_deal_expired",
    "liquidity_pool_update",
    "credit_deal_update",
    "limit_order_update",
];

/// The operation's name, or None for a tag past the last one BitShares defines.
pub fn operation_name(tag: u64) -> Option<&'static str> {
    usize::try_from(tag)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
}

/// `operation 1 (limit_order_create) is not supported`: the message for a tag btsops
/// has no type for.
pub fn unsupported_operation(tag: u64) -> String {
    match operation_name(tag) {
        Some(name) => format!("operation {tag} ({name}) is not supported"),
        None => format!("operation {tag} is not supported (BitShares defines no such operation)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_node_order() {
        assert_eq!(operation_name(0), Some("transfer"));
        assert_eq!(operation_name(1), Some("limit_order_create"));
        assert_eq!(operation_name(5), Some("account_create"));
        assert_eq!(operation_name(22), Some("proposal_create"));
        assert_eq!(operation_name(37), Some("balance_claim"));
        assert_eq!(operation_name(49), Some("htlc_create"));
        assert_eq!(operation_name(63), Some("liquidity_pool_exchange"));
        assert_eq!(operation_name(77), Some("limit_order_update"));
        assert_eq!(operation_name(78), None);
        assert_eq!(operation_name(u64::MAX), None);
        assert_eq!(
            unsupported_operation(1),
            "operation 1 (limit_order_create) is not supported"
        );
        assert!(unsupported_operation(200).contains("no such operation"));
    }
}
