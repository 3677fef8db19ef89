//! Database API calls that read the chain (no transactions, no subscriptions): pure functions
//! of one node's view of the chain.

use std::sync::Arc;

use serde_json::{Value, json};

use super::chain_objects::{
    account_json, amount_json, balance_object_json, block_header_json, block_json,
    chain_properties_json, config_json, core_asset_json, core_dynamic_data_json, dgp_json, gp_json,
    stats_json,
};
use super::chain_state::{Account, Block, ChainState};
use super::fc_error::{FcError, site};
use super::json_args::{
    Args, ObjectId, as_array, as_bool, as_object_id, as_string, as_u32, parse_account_id,
};

/// Blocks a node can serve; it must return `None` above the node's own head.
pub trait BlockSource {
    fn block(&self, num: u32) -> Option<Arc<Block>>;
}

/// What one node sees: its applied state, the chain id it claims, its blocks.
pub struct ChainView<'a> {
    pub state: &'a ChainState,
    /// Normally the chain's id; another one under the wrong-chain-id fault.
    pub chain_id: &'a str,
    pub blocks: &'a dyn BlockSource,
}

impl ChainView<'_> {
    fn block(&self, num: u32) -> Option<Arc<Block>> {
        if num == 0 || num > self.state.head_num() {
            return None;
        }
        self.blocks.block(num)
    }
}

/// `api_limit_get_full_accounts` of a default 7.0.2 node.
pub const FULL_ACCOUNTS_LIMIT: usize = 50;

/// Error for methods a real node has and simnet does not simulate, so a client sees at once
/// that it hit a gap in the simulation rather than a protocol problem.
pub fn not_simulated(method: &str) -> FcError {
    FcError::new(
        0,
        "exception",
        "unspecified",
        site("simnet", 0, "not_simulated"),
        "simnet does not simulate ${method}",
        json!({ "method": method }),
    )
}

/// Whether [`call`] serves `method` (the database methods that need no session).
pub fn serves(method: &str) -> bool {
    matches!(
        method,
        "get_chain_id"
            | "get_dynamic_global_properties"
            | "get_global_properties"
            | "get_config"
            | "get_chain_properties"
            | "get_block_header"
            | "get_block_header_batch"
            | "get_block"
            | "get_objects"
            | "lookup_account_names"
            | "get_account_by_name"
            | "get_accounts"
            | "get_full_accounts"
            | "get_account_balances"
            | "get_named_account_balances"
            | "get_key_references"
            | "is_public_key_registered"
            | "get_account_count"
            | "get_account_id_from_string"
            | "lookup_asset_symbols"
            | "get_assets"
            | "get_asset_count"
            | "get_required_fees"
            | "get_potential_signatures"
            | "get_transaction_hex"
            | "get_transaction_hex_without_sig"
    )
}

/// Runs one read-only database call.
pub fn call(view: &ChainView<'_>, method: &str, args: Args<'_>) -> Result<Value, FcError> {
    let s = view.state;
    match method {
        "get_chain_id" => Ok(json!(view.chain_id)),
        "get_dynamic_global_properties" => Ok(dgp_json(s)),
        "get_global_properties" => Ok(gp_json(&s.spec)),
        "get_config" => Ok(config_json(&s.spec)),
        "get_chain_properties" => Ok(chain_properties_json(view.chain_id, &s.spec)),
        "get_block_header" => {
            let num = as_u32(args.req(0)?)?;
            let with_sig = match args.opt(1) {
                Some(v) => as_bool(v)?,
                None => false,
            };
            Ok(view
                .block(num)
                .map(|b| block_header_json(&b, with_sig))
                .unwrap_or(Value::Null))
        }
        "get_block_header_batch" => {
            let nums = as_array(args.req(0)?)?;
            let with_sig = match args.opt(1) {
                Some(v) => as_bool(v)?,
                None => false,
            };
            let mut out = Vec::with_capacity(nums.len());
            for n in nums {
                let num = as_u32(n)?;
                let h = view
                    .block(num)
                    .map(|b| block_header_json(&b, with_sig))
                    .unwrap_or(Value::Null);
                out.push(json!([num, h]));
            }
            Ok(Value::Array(out))
        }
        "get_block" => {
            let num = as_u32(args.req(0)?)?;
            Ok(view
                .block(num)
                .map(|b| block_json(&b))
                .unwrap_or(Value::Null))
        }
        "get_objects" => {
            let ids = as_array(args.req(0)?)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(object(view, as_object_id(id)?)?);
            }
            Ok(Value::Array(out))
        }
        "lookup_account_names" => {
            let names = as_array(args.req(0)?)?;
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                let name = as_string(n)?;
                out.push(
                    s.account_by_name(&name)
                        .map(account_json)
                        .unwrap_or(Value::Null),
                );
            }
            Ok(Value::Array(out))
        }
        "get_account_by_name" => {
            let name = as_string(args.req(0)?)?;
            Ok(s.account_by_name(&name)
                .map(account_json)
                .unwrap_or(Value::Null))
        }
        "get_accounts" => {
            let names = as_array(args.req(0)?)?;
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                let key = as_string(n)?;
                out.push(
                    find_account(s, &key)
                        .map(account_json)
                        .unwrap_or(Value::Null),
                );
            }
            Ok(Value::Array(out))
        }
        "get_full_accounts" => {
            let names = as_array(args.req(0)?)?;
            if names.len() > FULL_ACCOUNTS_LIMIT {
                return Err(FcError::assert(
                    site("database_api.cpp", 527, "get_full_accounts"),
                    "names_or_ids.size() <= configured_limit: Number of querying accounts can not be greater than ${configured_limit}",
                    json!({"configured_limit": FULL_ACCOUNTS_LIMIT}),
                ));
            }
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                let key = as_string(n)?;
                // Unknown names are left out, not null (a std::map result).
                if let Some(a) = find_account(s, &key) {
                    out.push(json!([key, full_account_json(s, a)]));
                }
            }
            Ok(Value::Array(out))
        }
        "get_account_balances" | "get_named_account_balances" => {
            let key = as_string(args.req(0)?)?;
            let assets = as_array(args.req(1)?)?;
            let account = find_account(s, &key).ok_or_else(no_such_account)?;
            account_balances(s, account.instance, assets)
        }
        "get_key_references" => {
            let keys = as_array(args.req(0)?)?;
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                let key = as_string(k)?;
                let ids: Vec<String> = s
                    .key_references(&key)
                    .into_iter()
                    .map(|i| format!("1.2.{i}"))
                    .collect();
                out.push(json!(ids));
            }
            Ok(Value::Array(out))
        }
        "is_public_key_registered" => {
            let key = as_string(args.req(0)?)?;
            Ok(json!(!s.key_references(&key).is_empty()))
        }
        "get_account_count" => Ok(json!(s.accounts.len())),
        "get_account_id_from_string" => {
            let key = as_string(args.req(0)?)?;
            find_account(s, &key)
                .map(|a| json!(format!("1.2.{}", a.instance)))
                .ok_or_else(no_such_account)
        }
        "lookup_asset_symbols" | "get_assets" => {
            let items = as_array(args.req(0)?)?;
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let key = as_string(it)?;
                let hit = key == "1.3.0"
                    || (method == "lookup_asset_symbols" && key == s.spec.core_symbol);
                out.push(if hit {
                    core_asset_json(s, true)
                } else {
                    Value::Null
                });
            }
            Ok(Value::Array(out))
        }
        "get_asset_count" => Ok(json!(1)),
        "get_required_fees" => {
            let ops = as_array(args.req(0)?)?;
            let asset = as_object_id(args.req(1)?)?;
            if (asset.space, asset.kind, asset.instance) != (1, 3, 0) {
                return Err(not_simulated("fees in an asset other than 1.3.0"));
            }
            super::transactions::required_fees(s, ops)
        }
        "get_potential_signatures" => super::transactions::potential_signatures(s, args.req(0)?),
        "get_transaction_hex" => super::transactions::transaction_hex(args.req(0)?, true),
        "get_transaction_hex_without_sig" => {
            super::transactions::transaction_hex(args.req(0)?, false)
        }
        other => Err(not_simulated(other)),
    }
}

fn no_such_account() -> FcError {
    FcError::assert(
        site("database_api.cpp", 3064, "get_account_from_string"),
        "account_ptr: no such account",
        json!({}),
    )
}

/// "name or id", as `get_account_from_string` reads it.
pub fn find_account<'s>(s: &'s ChainState, key: &str) -> Option<&'s Account> {
    match parse_account_id(key) {
        Some(i) => s.account(i),
        None => s.account_by_name(key),
    }
}

fn account_balances(s: &ChainState, account: u64, assets: &[Value]) -> Result<Value, FcError> {
    if assets.is_empty() {
        let out: Vec<Value> = s
            .balances
            .range((account, 0)..=(account, u64::MAX))
            .map(|((_, asset), b)| amount_json(b.amount, *asset))
            .collect();
        return Ok(Value::Array(out));
    }
    let mut out = Vec::with_capacity(assets.len());
    for a in assets {
        let id = as_object_id(a)?;
        let amount = s
            .balances
            .get(&(account, id.instance))
            .map(|b| b.amount)
            .unwrap_or(0);
        out.push(amount_json(amount, id.instance));
    }
    Ok(Value::Array(out))
}

fn name_of(s: &ChainState, instance: u64) -> String {
    s.account(instance)
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

fn full_account_json(s: &ChainState, a: &Account) -> Value {
    let stats = s.stats(a.instance).cloned().unwrap_or_default();
    let balances: Vec<Value> = s
        .balances
        .range((a.instance, 0)..=(a.instance, u64::MAX))
        .map(|((owner, asset), b)| balance_object_json(b.instance, *owner, *asset, b.amount))
        .collect();
    let lists = [
        "limit_orders",
        "call_orders",
        "settle_orders",
        "proposals",
        "assets",
        "withdraws_from",
        "withdraws_to",
        "htlcs_from",
        "htlcs_to",
    ];
    let mut m = serde_json::Map::new();
    m.insert("account".into(), account_json(a));
    m.insert("statistics".into(), stats_json(a, &stats));
    m.insert("registrar_name".into(), json!(name_of(s, a.registrar)));
    m.insert("referrer_name".into(), json!(name_of(s, a.referrer)));
    m.insert(
        "lifetime_referrer_name".into(),
        json!(name_of(s, a.lifetime_referrer)),
    );
    m.insert("votes".into(), json!([]));
    m.insert("balances".into(), Value::Array(balances));
    m.insert("vesting_balances".into(), json!([]));
    for l in lists {
        m.insert(l.into(), json!([]));
    }
    let mut more = serde_json::Map::new();
    more.insert("balances".into(), json!(false));
    more.insert("vesting_balances".into(), json!(false));
    for l in lists {
        more.insert(l.into(), json!(false));
    }
    m.insert("more_data_available".into(), Value::Object(more));
    Value::Object(m)
}

/// Spaces 1 and 2 of a 7.0.2 node: the types that have an index. Ids of these types that
/// simnet does not hold read as null, as a missing object does.
fn type_has_index(space: u8, kind: u8) -> bool {
    match space {
        1 => (1..=22).contains(&kind),
        2 => kind <= 19,
        _ => false,
    }
}

/// One `get_objects` slot.
pub fn object(view: &ChainView<'_>, id: ObjectId) -> Result<Value, FcError> {
    let s = view.state;
    let v = match (id.space, id.kind) {
        (1, 2) => s.account(id.instance).map(account_json),
        (1, 3) if id.instance == 0 => Some(core_asset_json(s, false)),
        (2, 0) if id.instance == 0 => Some(gp_json(&s.spec)),
        (2, 1) if id.instance == 0 => Some(dgp_json(s)),
        (2, 3) if id.instance == 0 => Some(core_dynamic_data_json(s)),
        (2, 5) => s
            .balances
            .iter()
            .find(|(_, b)| b.instance == id.instance)
            .map(|((owner, asset), b)| balance_object_json(b.instance, *owner, *asset, b.amount)),
        (2, 6) => s
            .account(id.instance)
            .and_then(|a| s.stats(id.instance).map(|st| stats_json(a, st))),
        (2, 8) => block_summary(view, id.instance),
        (1, 11) => s
            .history
            .get(id.instance as usize)
            .map(|h| super::history_api::op_history_json(id.instance, h)),
        (space, kind) if type_has_index(space, kind) => None,
        (space @ (1 | 2), kind) => {
            return Err(FcError::assert(
                site("object_database.cpp", 61, "get_index"),
                "tmp != nullptr: Database index ${space_id}.${type_id} has not been initialized",
                json!({"space_id": space, "type_id": kind}),
            ));
        }
        (space, kind) => {
            return Err(FcError::assert(
                site("object_database.cpp", 57, "get_index"),
                "_index[space_id].size() > type_id: Database index ${space_id}.${type_id} does not exist, space size is ${index[space_id].size}",
                json!({"space_id": space, "type_id": kind, "index[space_id].size": 0}),
            ));
        }
    };
    Ok(v.unwrap_or(Value::Null))
}

/// Block summary 2.8.x: slot `num & 0xffff` holds the newest block with that low half.
fn block_summary(view: &ChainView<'_>, slot: u64) -> Option<Value> {
    let head = view.state.head_num();
    let slot = u32::try_from(slot).ok().filter(|s| *s <= 0xffff)?;
    if head == 0 {
        return None;
    }
    let base = head & !0xffff;
    let num = if (base | slot) <= head {
        base | slot
    } else {
        base.checked_sub(0x10000)? | slot
    };
    let b = view.block(num)?;
    Some(json!({"id": format!("2.8.{slot}"), "block_id": b.id.hex()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::chain_state::{Chain, ChainSpec, GenesisAccount, MAINNET_CHAIN_ID};
    use std::collections::HashMap;

    const KEY: &str = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

    struct Blocks(HashMap<u32, Arc<Block>>);
    impl BlockSource for Blocks {
        fn block(&self, num: u32) -> Option<Arc<Block>> {
            self.0.get(&num).cloned()
        }
    }

    fn chain() -> (Chain, Blocks) {
        let mut spec = ChainSpec::new(MAINNET_CHAIN_ID, "BTS");
        spec.accounts.push(GenesisAccount {
            name: "nathan".into(),
            owner_key: KEY.into(),
            active_key: KEY.into(),
            memo_key: KEY.into(),
            lifetime_member: false,
            registrar: None,
            referrer: None,
            referrer_percent: 0,
            balance: 1_000_000_000_000_000,
        });
        let mut c = Chain::genesis(spec, 0).unwrap();
        let mut blocks = HashMap::new();
        for i in 1..=3 {
            let b = c.produce_block(i * 3).unwrap();
            blocks.insert(b.num, Arc::new(b));
        }
        (c, Blocks(blocks))
    }

    fn run(c: &Chain, b: &Blocks, method: &str, args: Value) -> Result<Value, FcError> {
        let view = ChainView {
            state: c.state(),
            chain_id: MAINNET_CHAIN_ID,
            blocks: b,
        };
        let Value::Array(a) = args else { panic!() };
        call(&view, method, Args(&a))
    }

    #[test]
    fn reads_objects_and_accounts() {
        let (c, b) = chain();
        let r = run(
            &c,
            &b,
            "get_objects",
            json!([["2.1.0", "1.2.6", "1.2.99", "2.6.6"]]),
        )
        .unwrap();
        assert_eq!(r[0]["head_block_number"], 3);
        assert_eq!(r[1]["name"], "nathan");
        assert!(r[2].is_null());
        assert_eq!(r[3]["owner"], "1.2.6");
        let r = run(&c, &b, "get_account_balances", json!(["nathan", []])).unwrap();
        assert_eq!(
            r,
            json!([{"amount": "1000000000000000", "asset_id": "1.3.0"}])
        );
        let e = run(&c, &b, "get_account_balances", json!(["nobody", []])).unwrap_err();
        assert_eq!(e.format(), "account_ptr: no such account");
        let r = run(
            &c,
            &b,
            "get_full_accounts",
            json!([["nathan", "nobody"], false]),
        )
        .unwrap();
        assert_eq!(r.as_array().unwrap().len(), 1);
        assert_eq!(r[0][1]["balances"][0]["balance"], "1000000000000000");
        assert_eq!(r[0][1]["registrar_name"], "temp-account");
    }

    #[test]
    fn blocks_beyond_the_view_are_null() {
        let (c, b) = chain();
        let r = run(&c, &b, "get_block_header", json!(["2"])).unwrap();
        assert_eq!(r["previous"].as_str().unwrap()[..8], *"00000001");
        assert!(run(&c, &b, "get_block", json!([4])).unwrap().is_null());
        assert!(run(&c, &b, "get_block", json!([0])).unwrap().is_null());
        let e = run(&c, &b, "get_block", json!([])).unwrap_err();
        assert!(e.format().contains("too few arguments"));
        let r = run(&c, &b, "get_objects", json!([["2.8.2"]])).unwrap();
        assert_eq!(r[0]["block_id"].as_str().unwrap()[..8], *"00000002");
    }

    #[test]
    fn unknown_indexes_fail_like_a_node() {
        let (c, b) = chain();
        let e = run(&c, &b, "get_objects", json!([["9.9.9"]])).unwrap_err();
        assert!(e.format().starts_with("_index[space_id].size() > type_id"));
        let e = run(&c, &b, "get_objects", json!([["1.99.0"]])).unwrap_err();
        assert!(e.format().starts_with("tmp != nullptr"));
        assert_eq!(
            run(&c, &b, "get_objects", json!([["1.6.1"]])).unwrap(),
            json!([null])
        );
    }
}
