//! History API (`get_account_history`, `get_relative_account_history`) over the 1.11.x
//! objects a node's view holds (PROTOCOL §20). Pure.

use serde_json::{Value, json};

use super::chain_objects::fmt_time;
use super::chain_state::{ChainState, OpHistory};
use super::database_api::{find_account, not_simulated};
use super::fc_error::{FcError, site};
use super::json_args::{Args, as_object_id, as_string, as_u32, as_u64};

/// `api-limit-get-account-history` and `…-relative-…` of a default node.
pub const HISTORY_LIMIT: u32 = 100;

pub fn op_history_json(id: u64, h: &OpHistory) -> Value {
    json!({
        "id": format!("1.11.{id}"),
        "op": h.op,
        "result": h.result,
        "block_num": h.block_num,
        "trx_in_block": h.trx_in_block,
        "op_in_trx": h.op_in_trx,
        "virtual_op": 0,
        "is_virtual": false,
        "block_time": fmt_time(h.block_time),
    })
}

fn limit_error(method: &'static str) -> FcError {
    let line = if method == "get_account_history" {
        413
    } else {
        559
    };
    FcError::assert(
        site("api.cpp", line, method),
        "limit <= configured_limit: limit can not be greater than ${configured_limit}",
        json!({ "configured_limit": HISTORY_LIMIT }),
    )
}

fn history_id(v: &Value) -> Result<u64, FcError> {
    let id = as_object_id(v)?;
    if (id.space, id.kind) != (1, 11) {
        return Err(FcError::assert(
            site("object_id.hpp", 261, "from_variant"),
            "fc::to_uint64( s.substr( 0, first_dot ) ) == SpaceID && fc::to_uint64( s.substr( first_dot+1, (second_dot-first_dot)-1 ) ) == TypeID: Space.Type.0 (${SpaceID}.${TypeID}.0) doesn't match expected value ${var}",
            json!({"SpaceID": 1, "TypeID": 11, "var": id.to_string()}),
        ));
    }
    Ok(id.instance)
}

pub fn call(s: &ChainState, method: &str, args: Args<'_>) -> Result<Value, FcError> {
    match method {
        "get_account_history" => {
            let account = as_string(args.req(0)?)?;
            let stop = history_id(args.req(1)?)?;
            let limit = as_u32(args.req(2)?)?;
            let start = history_id(args.req(3)?)?;
            if limit > HISTORY_LIMIT {
                return Err(limit_error("get_account_history"));
            }
            let Some(ids) =
                find_account(s, &account).and_then(|a| s.account_history.get(&a.instance))
            else {
                return Ok(json!([]));
            };
            let start = if start == 0 { u64::MAX } else { start };
            let out: Vec<Value> = ids
                .iter()
                .rev()
                .filter(|id| **id <= start && (**id > stop || stop == 0))
                .take(limit as usize)
                .filter_map(|id| s.history.get(*id as usize).map(|h| op_history_json(*id, h)))
                .collect();
            Ok(Value::Array(out))
        }
        "get_relative_account_history" => {
            let account = as_string(args.req(0)?)?;
            let stop = as_u64(args.req(1)?)?;
            let limit = as_u32(args.req(2)?)?;
            let start = as_u64(args.req(3)?)?;
            if limit > HISTORY_LIMIT {
                return Err(limit_error("get_relative_account_history"));
            }
            let Some(ids) =
                find_account(s, &account).and_then(|a| s.account_history.get(&a.instance))
            else {
                return Ok(json!([]));
            };
            let total = ids.len() as u64;
            let start = if start == 0 { total } else { start.min(total) };
            let low = stop.max(1);
            let mut out = Vec::new();
            let mut seq = start;
            while seq >= low && seq >= 1 && out.len() < limit as usize {
                if let Some(id) = ids.get((seq - 1) as usize)
                    && let Some(h) = s.history.get(*id as usize)
                {
                    out.push(op_history_json(*id, h));
                }
                seq -= 1;
            }
            Ok(Value::Array(out))
        }
        other => Err(not_simulated(other)),
    }
}
