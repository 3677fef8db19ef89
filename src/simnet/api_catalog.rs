//! The API sets of a bitshares-core 7.0.2 node: names, permission names and method lists.
//!
//! The method lists (sorted by name, with the declaration index) are what a real node puts in
//! `data.stack[0].data.api` of a "Method not found" error; clients probe versions with them, so
//! simnet lists every method of the real node even where it serves only a subset.

/// One API set a login can hand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiSet {
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
}

impl ApiSet {
    /// The login-API method that hands out this set's id.
    pub fn from_login_method(name: &str) -> Option<ApiSet> {
        Some(match name {
            "database" => ApiSet::Database,
            "network_broadcast" => ApiSet::NetworkBroadcast,
            "history" => ApiSet::History,
            "network_node" => ApiSet::NetworkNode,
            "block" => ApiSet::Block,
            "crypto" => ApiSet::Crypto,
            "asset" => ApiSet::Asset,
            "orders" => ApiSet::Orders,
            "debug" => ApiSet::Debug,
            "custom_operations" => ApiSet::CustomOperations,
            _ => return None,
        })
    }

    /// The name in `api-access` and in `get_available_api_sets`.
    pub fn permission_name(self) -> &'static str {
        match self {
            ApiSet::Database => "database_api",
            ApiSet::Login => "login_api",
            ApiSet::NetworkBroadcast => "network_broadcast_api",
            ApiSet::History => "history_api",
            ApiSet::NetworkNode => "network_node_api",
            ApiSet::Block => "block_api",
            ApiSet::Crypto => "crypto_api",
            ApiSet::Asset => "asset_api",
            ApiSet::Orders => "orders_api",
            ApiSet::Debug => "debug_api",
            ApiSet::CustomOperations => "custom_operations_api",
        }
    }

    pub fn from_permission_name(name: &str) -> Option<ApiSet> {
        ALL_SETS
            .iter()
            .copied()
            .find(|s| s.permission_name() == name)
    }

    /// The login-API method (and C++ function) that hands out this set, for error contexts.
    pub fn login_method(self) -> &'static str {
        match self {
            ApiSet::Database => "database",
            ApiSet::Login => "login",
            ApiSet::NetworkBroadcast => "network_broadcast",
            ApiSet::History => "history",
            ApiSet::NetworkNode => "network_node",
            ApiSet::Block => "block",
            ApiSet::Crypto => "crypto",
            ApiSet::Asset => "asset",
            ApiSet::Orders => "orders",
            ApiSet::Debug => "debug",
            ApiSet::CustomOperations => "custom_operations",
        }
    }

    /// The real node's method list of this set (unknown lists are empty).
    pub fn methods(self) -> &'static [(&'static str, u32)] {
        match self {
            ApiSet::Database => DATABASE_METHODS,
            ApiSet::Login => LOGIN_METHODS,
            ApiSet::NetworkBroadcast => NETWORK_BROADCAST_METHODS,
            ApiSet::History => HISTORY_METHODS,
            ApiSet::NetworkNode => NETWORK_NODE_METHODS,
            _ => &[],
        }
    }

    pub fn has_method(self, name: &str) -> bool {
        self.methods().iter().any(|(n, _)| *n == name)
    }
}

pub const ALL_SETS: &[ApiSet] = &[
    ApiSet::Database,
    ApiSet::Login,
    ApiSet::NetworkBroadcast,
    ApiSet::History,
    ApiSet::NetworkNode,
    ApiSet::Block,
    ApiSet::Crypto,
    ApiSet::Asset,
    ApiSet::Orders,
    ApiSet::Debug,
    ApiSet::CustomOperations,
];

/// What a node without an `api-access` file grants everyone (7.x defaults, PROTOCOL §4).
pub const DEFAULT_WILDCARD_APIS: &[ApiSet] = &[
    ApiSet::Database,
    ApiSet::NetworkBroadcast,
    ApiSet::History,
    ApiSet::Orders,
    ApiSet::CustomOperations,
];

/// Recorded from the oracle (7.0.2).
pub const NETWORK_BROADCAST_METHODS: &[(&str, u32)] = &[
    ("broadcast_block", 3),
    ("broadcast_transaction", 0),
    ("broadcast_transaction_synchronous", 2),
    ("broadcast_transaction_with_callback", 1),
];

/// Recorded from the oracle (7.0.2).
pub const HISTORY_METHODS: &[(&str, u32)] = &[
    ("get_account_history", 0),
    ("get_account_history_by_operations", 2),
    ("get_account_history_by_time", 1),
    ("get_account_history_operations", 3),
    ("get_block_operation_history", 5),
    ("get_block_operations_by_time", 6),
    ("get_fill_order_history", 7),
    ("get_liquidity_pool_history", 10),
    ("get_liquidity_pool_history_by_sequence", 11),
    ("get_market_history", 8),
    ("get_market_history_buckets", 9),
    ("get_relative_account_history", 4),
];

/// From the FC_API declaration order in *libraries/app/include/graphene/app/api.hpp*; the
/// oracle runs without `api-access`, so this list could not be recorded.
pub const NETWORK_NODE_METHODS: &[(&str, u32)] = &[
    ("add_node", 1),
    ("get_advanced_node_parameters", 4),
    ("get_connected_peers", 2),
    ("get_info", 0),
    ("get_potential_peers", 3),
    ("set_advanced_node_parameters", 5),
];

/// Recorded from the oracle (7.0.2).
pub const DATABASE_METHODS: &[(&str, u32)] = &[
    ("cancel_all_subscriptions", 5),
    ("get_24_volume", 52),
    ("get_account_balances", 28),
    ("get_account_by_name", 23),
    ("get_account_count", 27),
    ("get_account_id_from_string", 19),
    ("get_account_limit_orders", 42),
    ("get_account_references", 24),
    ("get_accounts", 20),
    ("get_all_workers", 84),
    ("get_asset_count", 36),
    ("get_asset_id_from_string", 38),
    ("get_assets", 33),
    ("get_assets_by_issuer", 37),
    ("get_balance_objects", 30),
    ("get_blinded_balances", 98),
    ("get_block", 8),
    ("get_block_header", 6),
    ("get_block_header_batch", 7),
    ("get_call_orders", 43),
    ("get_call_orders_by_account", 44),
    ("get_chain_id", 14),
    ("get_chain_properties", 11),
    ("get_collateral_bids", 48),
    ("get_committee_count", 83),
    ("get_committee_member_by_account", 81),
    ("get_committee_members", 80),
    ("get_config", 13),
    ("get_credit_deals_by_borrower", 73),
    ("get_credit_deals_by_collateral_asset", 75),
    ("get_credit_deals_by_debt_asset", 74),
    ("get_credit_deals_by_offer_id", 71),
    ("get_credit_deals_by_offer_owner", 72),
    ("get_credit_offers_by_asset", 69),
    ("get_credit_offers_by_owner", 68),
    ("get_dynamic_global_properties", 15),
    ("get_full_accounts", 21),
    ("get_global_properties", 12),
    ("get_htlc", 101),
    ("get_htlc_by_from", 102),
    ("get_htlc_by_to", 103),
    ("get_key_references", 17),
    ("get_limit_orders", 40),
    ("get_limit_orders_by_account", 41),
    ("get_liquidity_pools", 61),
    ("get_liquidity_pools_by_asset_a", 57),
    ("get_liquidity_pools_by_asset_b", 58),
    ("get_liquidity_pools_by_both_assets", 60),
    ("get_liquidity_pools_by_one_asset", 59),
    ("get_liquidity_pools_by_owner", 63),
    ("get_liquidity_pools_by_share_asset", 62),
    ("get_margin_positions", 47),
    ("get_named_account_balances", 29),
    ("get_next_object_id", 16),
    ("get_objects", 0),
    ("get_order_book", 39),
    ("get_potential_address_signatures", 92),
    ("get_potential_signatures", 91),
    ("get_proposed_transactions", 97),
    ("get_recent_transaction_by_id", 10),
    ("get_required_fees", 96),
    ("get_required_signatures", 90),
    ("get_samet_funds_by_asset", 66),
    ("get_samet_funds_by_owner", 65),
    ("get_settle_orders", 45),
    ("get_settle_orders_by_account", 46),
    ("get_ticker", 51),
    ("get_tickets_by_account", 106),
    ("get_top_markets", 53),
    ("get_top_voters", 22),
    ("get_trade_history", 54),
    ("get_trade_history_by_sequence", 55),
    ("get_transaction", 9),
    ("get_transaction_hex", 88),
    ("get_transaction_hex_without_sig", 89),
    ("get_vested_balances", 31),
    ("get_vesting_balances", 32),
    ("get_withdraw_permissions_by_giver", 99),
    ("get_withdraw_permissions_by_recipient", 100),
    ("get_witness_by_account", 77),
    ("get_witness_count", 79),
    ("get_witnesses", 76),
    ("get_worker_count", 86),
    ("get_workers_by_account", 85),
    ("is_public_key_registered", 18),
    ("list_assets", 34),
    ("list_credit_deals", 70),
    ("list_credit_offers", 67),
    ("list_htlcs", 104),
    ("list_liquidity_pools", 56),
    ("list_samet_funds", 64),
    ("list_tickets", 105),
    ("lookup_account_names", 25),
    ("lookup_accounts", 26),
    ("lookup_asset_symbols", 35),
    ("lookup_committee_member_accounts", 82),
    ("lookup_vote_ids", 87),
    ("lookup_witness_accounts", 78),
    ("set_auto_subscription", 2),
    ("set_block_applied_callback", 4),
    ("set_pending_transaction_callback", 3),
    ("set_subscribe_callback", 1),
    ("subscribe_to_market", 49),
    ("unsubscribe_from_market", 50),
    ("validate_transaction", 95),
    ("verify_account_authority", 94),
    ("verify_authority", 93),
];
/// Recorded from the oracle (7.0.2).
pub const LOGIN_METHODS: &[(&str, u32)] = &[
    ("asset", 11),
    ("block", 5),
    ("crypto", 10),
    ("custom_operations", 14),
    ("database", 7),
    ("debug", 13),
    ("get_available_api_sets", 4),
    ("get_config", 3),
    ("get_info", 2),
    ("history", 8),
    ("login", 0),
    ("logout", 1),
    ("network_broadcast", 6),
    ("network_node", 9),
    ("orders", 12),
];
