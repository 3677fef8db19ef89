//! Chain objects rendered as a 7.0.2 node sends them: the same keys in the same order, the
//! same JSON types (int64 beyond int32 as strings, times without zone), the same id formats.
//! Reference answers are recorded in `tests/vectors/oracle/`.

use serde_json::{Value, json};

use super::chain_state::{Account, AccountStats, Authority, Block, ChainSpec, ChainState};

/// `"YYYY-MM-DDTHH:MM:SS"`, UTC, whole seconds (fc's `time_point_sec`).
pub fn fmt_time(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// fc's JSON writer quotes integers whose magnitude exceeds 0xffffffff (its `json.cpp`
/// `to_stream`; PROTOCOL §6 says "int32 range", but the writer compares with 2^32−1).
pub fn int64(v: i64) -> Value {
    if v.unsigned_abs() <= 0xffff_ffff {
        json!(v)
    } else {
        json!(v.to_string())
    }
}

/// fc emits uint64 above 2^32−1 as a string.
pub fn uint64(v: u64) -> Value {
    if u32::try_from(v).is_ok() {
        json!(v)
    } else {
        json!(v.to_string())
    }
}

pub fn account_id(instance: u64) -> String {
    format!("1.2.{instance}")
}

fn authority_json(a: &Authority) -> Value {
    let accounts: Vec<Value> = a
        .account_auths
        .iter()
        .map(|(id, w)| json!([account_id(*id), w]))
        .collect();
    let keys: Vec<Value> = a.key_auths.iter().map(|(k, w)| json!([k, w])).collect();
    json!({
        "weight_threshold": a.weight_threshold,
        "account_auths": accounts,
        "key_auths": keys,
        "address_auths": [],
    })
}

pub fn account_json(a: &Account) -> Value {
    json!({
        "id": account_id(a.instance),
        "membership_expiration_date": fmt_time(a.membership_expiration),
        "registrar": account_id(a.registrar),
        "referrer": account_id(a.referrer),
        "lifetime_referrer": account_id(a.lifetime_referrer),
        "network_fee_percentage": a.network_fee_percentage,
        "lifetime_referrer_fee_percentage": a.lifetime_referrer_fee_percentage,
        "referrer_rewards_percentage": a.referrer_rewards_percentage,
        "name": a.name,
        "owner": authority_json(&a.owner),
        "active": authority_json(&a.active),
        "options": {
            "memo_key": a.memo_key,
            "voting_account": account_id(super::chain_state::PROXY_TO_SELF),
            "num_witness": 0,
            "num_committee": 0,
            "votes": [],
            "extensions": [],
        },
        "num_committee_voted": a.num_committee_voted,
        "statistics": format!("2.6.{}", a.instance),
        "whitelisting_accounts": [],
        "blacklisting_accounts": [],
        "whitelisted_accounts": [],
        "blacklisted_accounts": [],
        "owner_special_authority": [0, {}],
        "active_special_authority": [0, {}],
        "top_n_control_flags": 0,
        "creation_block_num": a.creation_block_num,
        "creation_time": fmt_time(a.creation_time),
    })
}

pub fn stats_json(a: &Account, s: &AccountStats) -> Value {
    json!({
        "id": format!("2.6.{}", a.instance),
        "owner": account_id(a.instance),
        "name": a.name,
        "most_recent_op": format!("2.9.{}", s.most_recent_op),
        "total_ops": uint64(s.total_ops),
        "removed_ops": uint64(s.removed_ops),
        "total_core_in_orders": 0,
        "total_core_inactive": 0,
        "total_core_pob": 0,
        "total_core_pol": 0,
        "total_pob_value": 0,
        "total_pol_value": 0,
        "core_in_balance": int64(s.core_in_balance),
        "has_cashback_vb": false,
        "is_voting": false,
        "last_vote_time": "1970-01-01T00:00:00",
        "vp_all": 0,
        "vp_active": 0,
        "vp_committee": 0,
        "vp_witness": 0,
        "vp_worker": 0,
        "vote_tally_time": "1970-01-01T00:00:00",
        "lifetime_fees_paid": int64(s.lifetime_fees_paid),
        "pending_fees": int64(s.pending_fees),
        "pending_vested_fees": int64(s.pending_vested_fees),
    })
}

pub fn balance_object_json(instance: u64, owner: u64, asset: u64, amount: i64) -> Value {
    json!({
        "id": format!("2.5.{instance}"),
        "owner": account_id(owner),
        "asset_type": format!("1.3.{asset}"),
        "balance": int64(amount),
        // The oracle's balances carry `maintenance_flag` true only for accounts that take
        // part in maintenance processing; simnet has none.
        "maintenance_flag": false,
    })
}

pub fn amount_json(amount: i64, asset: u64) -> Value {
    json!({"amount": int64(amount), "asset_id": format!("1.3.{asset}")})
}

/// Asset 1.3.0. `get_assets`/`lookup_asset_symbols` add `total_in_collateral` (the
/// api_helper_indexes plugin), `get_objects` does not.
pub fn core_asset_json(state: &ChainState, with_collateral: bool) -> Value {
    let max_supply = "1000000000000000";
    let mut v = json!({
        "id": "1.3.0",
        "symbol": state.spec.core_symbol,
        "precision": 5,
        "issuer": account_id(super::chain_state::NULL_ACCOUNT),
        "options": {
            "max_supply": max_supply,
            "market_fee_percent": 0,
            "max_market_fee": max_supply,
            "issuer_permissions": 0,
            "flags": 0,
            "core_exchange_rate": {
                "base": {"amount": 1, "asset_id": "1.3.0"},
                "quote": {"amount": 1, "asset_id": "1.3.0"},
            },
            "whitelist_authorities": [],
            "blacklist_authorities": [],
            "whitelist_markets": [],
            "blacklist_markets": [],
            "description": "",
            "extensions": {},
        },
        "dynamic_asset_data_id": "2.3.0",
        "creation_block_num": 0,
        "creation_time": fmt_time(state.genesis_time),
    });
    if with_collateral && let Value::Object(m) = &mut v {
        m.insert("total_in_collateral".into(), json!(0));
    }
    v
}

pub fn core_dynamic_data_json(state: &ChainState) -> Value {
    json!({
        "id": "2.3.0",
        "current_supply": int64(state.core_supply),
        "confidential_supply": 0,
        "accumulated_fees": int64(state.accumulated_fees),
        "accumulated_collateral_fees": 0,
        "fee_pool": 0,
    })
}

pub fn dgp_json(state: &ChainState) -> Value {
    let d = &state.dgp;
    json!({
        "id": "2.1.0",
        "head_block_number": d.head_block_number,
        "head_block_id": d.head_block_id.hex(),
        "time": fmt_time(d.time),
        "current_witness": format!("1.6.{}", d.current_witness),
        "next_maintenance_time": fmt_time(d.next_maintenance_time),
        "last_vote_tally_time": fmt_time(d.last_vote_tally_time),
        "last_budget_time": fmt_time(d.last_budget_time),
        "witness_budget": 0,
        "total_pob": 0,
        "total_inactive": 0,
        "accounts_registered_this_interval": d.accounts_registered_this_interval,
        "recently_missed_count": d.recently_missed_count,
        "current_aslot": uint64(d.current_aslot),
        "recent_slots_filled": d.recent_slots_filled.to_string(),
        "dynamic_flags": d.dynamic_flags,
        "last_irreversible_block_num": d.last_irreversible_block_num,
    })
}

/// The fee parameters of operations 0..48, as the oracle's genesis lists them, with simnet's
/// transfer (0) and account_create (5) fees.
fn current_fees_json(spec: &ChainSpec) -> Value {
    let f = &spec.fees;
    let plain = |fee: i64| json!({"fee": int64(fee)});
    let kb = |fee: i64, per_kb: i64| json!({"fee": int64(fee), "price_per_kbyte": int64(per_kb)});
    let mut params: Vec<Value> = Vec::with_capacity(49);
    for op in 0u32..49 {
        let p = match op {
            0 => kb(f.transfer_fee, f.transfer_price_per_kbyte),
            1 => plain(500000),
            2 | 28 => plain(0),
            3 | 15 | 21 | 30 | 33 | 43 | 45 | 47 | 48 => plain(2000000),
            4 | 37 | 42 | 44 | 46 => json!({}),
            5 => json!({
                "basic_fee": int64(f.account_create_basic_fee),
                "premium_fee": int64(f.account_create_premium_fee),
                "price_per_kbyte": int64(f.account_create_price_per_kbyte),
            }),
            6 | 14 => kb(2000000, 100000),
            7 => plain(300000),
            8 => json!({"membership_annual_fee": 200000000, "membership_lifetime_fee": 1000000000}),
            9 | 12 | 13 | 18 => plain(50000000),
            10 => json!({
                "symbol3": "50000000000",
                "symbol4": "30000000000",
                "long_symbol": 500000000,
                "price_per_kbyte": 10,
            }),
            11 => kb(50000000, 10),
            16 | 19 | 24 | 25 | 26 | 31 | 32 | 36 => plain(100000),
            17 => plain(10000000),
            20 | 29 | 34 => plain(500000000),
            22 | 23 | 27 | 38 => kb(2000000, 10),
            35 => kb(100000, 10),
            39 | 40 => json!({"fee": 500000, "price_per_output": 500000}),
            _ => plain(500000), // 41
        };
        params.push(json!([op, p]));
    }
    json!({"parameters": params, "scale": 10000})
}

pub fn gp_json(spec: &ChainSpec) -> Value {
    let witnesses: Vec<String> = (1..=spec.witness_count)
        .map(|i| format!("1.6.{i}"))
        .collect();
    let committee: Vec<String> = (0..spec.witness_count)
        .map(|i| format!("1.5.{i}"))
        .collect();
    json!({
        "id": "2.0.0",
        "parameters": {
            "current_fees": current_fees_json(spec),
            "block_interval": spec.block_interval,
            "maintenance_interval": spec.maintenance_interval,
            "maintenance_skip_slots": spec.maintenance_skip_slots,
            "committee_proposal_review_period": 1209600,
            "maximum_transaction_size": spec.maximum_transaction_size,
            "maximum_block_size": 2000000,
            "maximum_time_until_expiration": spec.maximum_time_until_expiration,
            "maximum_proposal_lifetime": 2419200,
            "maximum_asset_whitelist_authorities": 10,
            "maximum_asset_feed_publishers": 10,
            "maximum_witness_count": 1001,
            "maximum_committee_count": 1001,
            "maximum_authority_membership": 10,
            "reserve_percent_of_fee": 2000,
            "network_percent_of_fee": spec.network_percent_of_fee,
            "lifetime_referrer_percent_of_fee": spec.lifetime_referrer_percent_of_fee,
            "cashback_vesting_period_seconds": 31536000,
            "cashback_vesting_threshold": 10000000,
            "count_non_member_votes": true,
            "allow_non_member_whitelists": false,
            "witness_pay_per_block": 1000000,
            "worker_budget_per_day": "50000000000",
            "max_predicate_opcode": 1,
            "fee_liquidation_threshold": 10000000,
            "accounts_per_fee_scale": 1000,
            "account_fee_scale_bitshifts": 4,
            "max_authority_depth": 2,
            "extensions": {
                "updatable_htlc_options": {"max_timeout_secs": 2592000, "max_preimage_size": 1024000}
            },
        },
        "next_available_vote_id": spec.witness_count * 2,
        "active_committee_members": committee,
        "active_witnesses": witnesses,
    })
}

pub fn chain_properties_json(chain_id: &str, spec: &ChainSpec) -> Value {
    json!({
        "id": "2.11.0",
        "chain_id": chain_id,
        "immutable_parameters": {
            "min_committee_member_count": spec.witness_count,
            "min_witness_count": spec.witness_count,
            "num_special_accounts": 0,
            "num_special_assets": 0,
        },
    })
}

/// `get_config`: compile-time constants of a 7.0.2 build with this chain's prefix.
pub fn config_json(spec: &ChainSpec) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("GRAPHENE_SYMBOL".into(), json!(spec.core_symbol));
    m.insert("GRAPHENE_ADDRESS_PREFIX".into(), json!(spec.prefix));
    if let Ok(Value::Object(rest)) = serde_json::from_str::<Value>(CONFIG_CONSTANTS) {
        m.extend(rest);
    }
    Value::Object(m)
}

/// The rest of `get_config` as the oracle (7.0.2) answers it.
const CONFIG_CONSTANTS: &str = r#"{"GRAPHENE_MIN_ACCOUNT_NAME_LENGTH":1,"GRAPHENE_MAX_ACCOUNT_NAME_LENGTH":63,"GRAPHENE_MIN_ASSET_SYMBOL_LENGTH":3,"GRAPHENE_MAX_ASSET_SYMBOL_LENGTH":16,"GRAPHENE_MAX_SHARE_SUPPLY":"1000000000000000","GRAPHENE_MAX_SIG_CHECK_DEPTH":2,"GRAPHENE_MIN_TRANSACTION_SIZE_LIMIT":1024,"GRAPHENE_MIN_BLOCK_INTERVAL":1,"GRAPHENE_MAX_BLOCK_INTERVAL":30,"GRAPHENE_DEFAULT_BLOCK_INTERVAL":5,"GRAPHENE_DEFAULT_MAX_TRANSACTION_SIZE":2048,"GRAPHENE_DEFAULT_MAX_BLOCK_SIZE":2000000,"GRAPHENE_DEFAULT_MAX_TIME_UNTIL_EXPIRATION":86400,"GRAPHENE_DEFAULT_MAINTENANCE_INTERVAL":86400,"GRAPHENE_DEFAULT_MAINTENANCE_SKIP_SLOTS":3,"GRAPHENE_MIN_UNDO_HISTORY":10,"GRAPHENE_MAX_UNDO_HISTORY":10000,"GRAPHENE_MIN_BLOCK_SIZE_LIMIT":5120,"GRAPHENE_BLOCKCHAIN_PRECISION":100000,"GRAPHENE_BLOCKCHAIN_PRECISION_DIGITS":5,"GRAPHENE_100_PERCENT":10000,"GRAPHENE_1_PERCENT":100,"GRAPHENE_MAX_MARKET_FEE_PERCENT":10000,"GRAPHENE_DEFAULT_FORCE_SETTLEMENT_DELAY":86400,"GRAPHENE_DEFAULT_FORCE_SETTLEMENT_OFFSET":0,"GRAPHENE_DEFAULT_FORCE_SETTLEMENT_MAX_VOLUME":2000,"GRAPHENE_DEFAULT_PRICE_FEED_LIFETIME":86400,"GRAPHENE_DEFAULT_MAX_AUTHORITY_MEMBERSHIP":10,"GRAPHENE_DEFAULT_MAX_ASSET_WHITELIST_AUTHORITIES":10,"GRAPHENE_DEFAULT_MAX_ASSET_FEED_PUBLISHERS":10,"GRAPHENE_COLLATERAL_RATIO_DENOM":1000,"GRAPHENE_MIN_COLLATERAL_RATIO":1001,"GRAPHENE_MAX_COLLATERAL_RATIO":32000,"GRAPHENE_DEFAULT_MAINTENANCE_COLLATERAL_RATIO":1750,"GRAPHENE_DEFAULT_MAX_SHORT_SQUEEZE_RATIO":1500,"GRAPHENE_DEFAULT_MAX_WITNESSES":1001,"GRAPHENE_DEFAULT_MAX_COMMITTEE":1001,"GRAPHENE_DEFAULT_MAX_PROPOSAL_LIFETIME_SEC":2419200,"GRAPHENE_DEFAULT_COMMITTEE_PROPOSAL_REVIEW_PERIOD_SEC":1209600,"GRAPHENE_DEFAULT_NETWORK_PERCENT_OF_FEE":2000,"GRAPHENE_DEFAULT_LIFETIME_REFERRER_PERCENT_OF_FEE":3000,"GRAPHENE_DEFAULT_CASHBACK_VESTING_PERIOD_SEC":31536000,"GRAPHENE_DEFAULT_CASHBACK_VESTING_THRESHOLD":10000000,"GRAPHENE_DEFAULT_BURN_PERCENT_OF_FEE":2000,"GRAPHENE_DEFAULT_MAX_ASSERT_OPCODE":1,"GRAPHENE_DEFAULT_FEE_LIQUIDATION_THRESHOLD":10000000,"GRAPHENE_DEFAULT_ACCOUNTS_PER_FEE_SCALE":1000,"GRAPHENE_DEFAULT_ACCOUNT_FEE_SCALE_BITSHIFTS":4,"GRAPHENE_MAX_WORKER_NAME_LENGTH":63,"GRAPHENE_MAX_URL_LENGTH":127,"GRAPHENE_CORE_ASSET_CYCLE_RATE":17,"GRAPHENE_CORE_ASSET_CYCLE_RATE_BITS":32,"GRAPHENE_DEFAULT_WITNESS_PAY_PER_BLOCK":1000000,"GRAPHENE_DEFAULT_WITNESS_PAY_VESTING_SECONDS":86400,"GRAPHENE_DEFAULT_WORKER_BUDGET_PER_DAY":"50000000000","GRAPHENE_COMMITTEE_ACCOUNT":"1.2.0","GRAPHENE_WITNESS_ACCOUNT":"1.2.1","GRAPHENE_RELAXED_COMMITTEE_ACCOUNT":"1.2.2","GRAPHENE_NULL_ACCOUNT":"1.2.3","GRAPHENE_TEMP_ACCOUNT":"1.2.4"}"#;

pub fn block_header_json(b: &Block, with_signature: bool) -> Value {
    let mut v = json!({
        "previous": b.previous.hex(),
        "timestamp": fmt_time(b.timestamp),
        "witness": format!("1.6.{}", b.witness),
        "transaction_merkle_root": hex::encode(b.transaction_merkle_root),
        "extensions": [],
    });
    if with_signature && let Value::Object(m) = &mut v {
        m.insert(
            "witness_signature".into(),
            json!(hex::encode(b.witness_signature)),
        );
    }
    v
}

pub fn block_json(b: &Block) -> Value {
    let mut v = block_header_json(b, true);
    if let Value::Object(m) = &mut v {
        // A block read back from the real node's block log carries its transactions'
        // `operation_results` empty (tests/vectors/oracle/block_with_tx.json); only the
        // confirmation of a broadcast shows them.
        let txs: Vec<Value> = b
            .transactions
            .iter()
            .map(|t| {
                let mut tx = t.json.clone();
                if let Some(r) = tx.get_mut("operation_results") {
                    *r = json!([]);
                }
                tx
            })
            .collect();
        m.insert("transactions".into(), Value::Array(txs));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_naive_utc_whole_seconds() {
        assert_eq!(fmt_time(0), "1970-01-01T00:00:00");
        assert_eq!(fmt_time(4294967295), "2106-02-07T06:28:15");
        assert_eq!(fmt_time(1704067200), "2024-01-01T00:00:00");
    }

    #[test]
    fn config_keeps_every_constant() {
        let spec = ChainSpec::new("00", "TEST");
        let c = config_json(&spec);
        assert_eq!(c["GRAPHENE_ADDRESS_PREFIX"], "TEST");
        assert_eq!(c.as_object().unwrap().len(), 62);
        assert_eq!(c["GRAPHENE_MAX_SHARE_SUPPLY"], "1000000000000000");
    }

    #[test]
    fn big_integers_become_strings() {
        assert_eq!(int64(5), json!(5));
        assert_eq!(int64(3_000_000_000), json!(3_000_000_000i64));
        assert_eq!(int64(5_000_000_000), json!("5000000000"));
        assert_eq!(int64(-5_000_000_000), json!("-5000000000"));
        assert_eq!(uint64(4294967295), json!(4294967295u64));
        assert_eq!(uint64(4294967296), json!("4294967296"));
    }
}
