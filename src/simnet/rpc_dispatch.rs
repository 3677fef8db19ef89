//! JSON-RPC framing and routing of a graphene node (PROTOCOL §2, §4, §5), without I/O.
//!
//! A connection owns a [`Session`] (its API id table, login permissions and subscriptions);
//! [`handle_text`] turns one request text into at most one reply text, and
//! [`block_notices`] turns a new chain view into the notices the session asked for.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::api_catalog::{ApiSet, DEFAULT_WILDCARD_APIS};
use super::chain_state::ChainState;
use super::database_api::{self, ChainView, not_simulated};
use super::fc_error::{FcError, RpcError, method_not_found, site};
use super::json_args::{Args, as_array, as_bool, as_object_id, as_string, as_u64};
use super::node_version::NodeVersion;

/// One `api-access` entry. `password: None` is the `"*"` hash: any password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    pub user: String,
    pub password: Option<String>,
    pub apis: Vec<ApiSet>,
}

/// A node's `api-access` table; the default is a node without the file (wildcard user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAccess {
    pub entries: Vec<AccessEntry>,
}

impl Default for ApiAccess {
    fn default() -> Self {
        ApiAccess {
            entries: vec![AccessEntry {
                user: "*".into(),
                password: None,
                apis: DEFAULT_WILDCARD_APIS.to_vec(),
            }],
        }
    }
}

impl ApiAccess {
    /// The permissions a login gets: the user's entry, else the wildcard one; a wrong password
    /// gets none.
    pub fn login(&self, user: &str, password: &str) -> Option<BTreeSet<ApiSet>> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.user == user)
            .or_else(|| self.entries.iter().find(|e| e.user == "*"))?;
        match &entry.password {
            Some(p) if p != password => None,
            _ => Some(entry.apis.iter().copied().collect()),
        }
    }
}

/// Per-connection state.
#[derive(Debug, Clone)]
pub struct Session {
    /// API id → set; 0 database and 1 login from the start.
    apis: Vec<ApiSet>,
    permissions: BTreeSet<ApiSet>,
    pub subscribe_callback: Option<Value>,
    pub subscribed: BTreeSet<String>,
    pub auto_subscription: bool,
    pub block_callback: Option<Value>,
    /// `set_pending_transaction_callback`: each accepted transaction is pushed to it.
    pub pending_callback: Option<Value>,
    /// Broadcasts waiting for their block (synchronous replies and callback notices).
    pub deferred: Vec<Deferred>,
    /// Set by `broadcast_transaction_synchronous` so the reply is held back.
    awaiting_block: Option<String>,
}

/// What to send once a broadcast transaction is in a block the node has applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub tx_id: String,
    pub kind: DeferredKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeferredKind {
    /// The held reply of `broadcast_transaction_synchronous`.
    Reply { id: Value, jsonrpc: bool },
    /// The notice of `broadcast_transaction_with_callback`.
    Notice { callback: Value },
}

/// Where accepted transactions go: the network's pending state.
pub trait TxSink {
    /// Checks and applies a signed transaction; its id on success.
    fn push(&self, tx: &Value) -> Result<String, FcError>;
}

impl Session {
    /// A new connection, logged in with the upgrade request's Basic credentials or `("", "")`.
    pub fn new(access: &ApiAccess, credentials: Option<(&str, &str)>) -> Self {
        let (u, p) = credentials.unwrap_or(("", ""));
        Session {
            apis: vec![ApiSet::Database, ApiSet::Login],
            permissions: access.login(u, p).unwrap_or_default(),
            subscribe_callback: None,
            subscribed: BTreeSet::new(),
            auto_subscription: true,
            block_callback: None,
            pending_callback: None,
            deferred: Vec::new(),
            awaiting_block: None,
        }
    }

    /// Whether new blocks may owe this session something.
    pub fn wants_updates(&self) -> bool {
        self.wants_notices() || !self.deferred.is_empty()
    }

    pub fn wants_notices(&self) -> bool {
        (self.subscribe_callback.is_some() && !self.subscribed.is_empty())
            || self.block_callback.is_some()
    }

    fn api_id(&mut self, set: ApiSet) -> usize {
        match self.apis.iter().position(|s| *s == set) {
            Some(i) => i,
            None => {
                self.apis.push(set);
                self.apis.len() - 1
            }
        }
    }
}

/// Everything about the node a call may need, besides the session.
pub struct NodeContext<'a> {
    pub view: ChainView<'a>,
    /// `login.get_info`: the operator's free text.
    pub info: &'a str,
    pub access: &'a ApiAccess,
    /// fc exception timestamps (wall clock, whole seconds).
    pub now: &'a str,
    /// `network_node.get_info`.
    pub network_node_info: Value,
    pub tx_sink: &'a dyn TxSink,
    /// The release the node plays: its method lists and operation count.
    pub version: NodeVersion,
}

/// The outcome of one request text.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// `None`: a notification, nothing to send (HTTP 204).
    pub text: Option<String>,
    pub http_status: u16,
}

/// Renders the request id the way fc echoes it (doubles come back as 17-decimal strings).
fn echo_id(id: &Value) -> Value {
    match id {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
            json!(format!("{:.17}", n.as_f64().unwrap_or(0.0)))
        }
        other => other.clone(),
    }
}

/// `{"id":…,"jsonrpc":"2.0"?,"result"|"error":…}` with fc's field order.
pub fn reply_text(id: &Value, jsonrpc: bool, body: &Result<Value, RpcError>) -> String {
    let mut m = Map::new();
    m.insert("id".into(), echo_id(id));
    if jsonrpc {
        m.insert("jsonrpc".into(), json!("2.0"));
    }
    match body {
        Ok(v) => m.insert("result".into(), v.clone()),
        Err(e) => m.insert("error".into(), e.to_json()),
    };
    Value::Object(m).to_string()
}

fn protocol_error(code: i64, message: &str, data: Option<Value>) -> Reply {
    let e = RpcError {
        code,
        message: message.into(),
        data,
    };
    Reply {
        http_status: e.http_status(),
        text: Some(reply_text(&Value::Null, true, &Err(e))),
    }
}

fn parse_error(text: &str, err: &serde_json::Error, now: &str) -> Reply {
    let shown: String = text.chars().take(1024).collect();
    let fc = if err.is_eof() {
        FcError::parse(
            site("json.cpp", 219, "objectFromStreamBase"),
            "Unexpected EOF: ${e}",
            json!({"e": "11 eof_exception: End Of File\nstringstream\n    {}\n    th_a  sstream.cpp:66 readsome"}),
        )
    } else {
        let col = err.column().saturating_sub(1);
        let line_text = text.lines().nth(err.line().saturating_sub(1)).unwrap_or("");
        let c = line_text.as_bytes().get(col).copied().unwrap_or(0);
        FcError::parse(
            site("json.cpp", 453, "variant_from_stream"),
            "Unexpected char '${c}' in \"${s}\"",
            json!({"c": c, "s": shown}),
        )
    }
    .with_frame(site("json.cpp", 463, "from_string"), json!({"str": shown}));
    protocol_error(-32700, "Invalid JSON message", Some(fc.data_json(now)))
}

/// Handles one request text of a connection.
pub fn handle_text(text: &str, session: &mut Session, ctx: &NodeContext<'_>) -> Reply {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return parse_error(text, &e, ctx.now),
    };
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(_) => return protocol_error(-32600, "Batch requests not supported", None),
        _ => return protocol_error(-32600, "Invalid JSON request", None),
    };
    let jsonrpc = match obj.get("jsonrpc") {
        None => false,
        Some(Value::String(v)) if v == "2.0" => true,
        Some(_) => return protocol_error(-32600, "Unsupported JSON-RPC version", None),
    };
    let id = obj.get("id");
    if let Some(v) = id
        && !(v.is_null() || v.is_number() || v.is_string())
    {
        return protocol_error(-32600, "Invalid id", None);
    }
    let method = match obj.get("method") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return protocol_error(-32600, "Missing or invalid method", None),
        None => return protocol_error(-32600, "Missing method or result or error", None),
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return protocol_error(-32602, "Named parameters not supported", None),
    };
    let body = route(&method, &params, session, ctx);
    // No reply without an id, or with a null id on a pre-2.0 request (a notification).
    let silent = match id {
        None => true,
        Some(Value::Null) => !jsonrpc,
        Some(_) => false,
    };
    if let Some(tx_id) = session.awaiting_block.take() {
        if !silent {
            session.deferred.push(Deferred {
                tx_id,
                kind: DeferredKind::Reply {
                    id: id.cloned().unwrap_or(Value::Null),
                    jsonrpc,
                },
            });
        }
        return Reply {
            text: None,
            http_status: 200,
        };
    }
    if silent {
        return Reply {
            text: None,
            http_status: 204,
        };
    }
    let status = match &body {
        Ok(_) => 200,
        Err(e) => e.http_status(),
    };
    Reply {
        text: Some(reply_text(id.unwrap_or(&Value::Null), jsonrpc, &body)),
        http_status: status,
    }
}

fn fc(e: FcError, ctx: &NodeContext<'_>) -> RpcError {
    e.to_rpc_error(ctx.now)
}

fn route(
    method: &str,
    params: &[Value],
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<Value, RpcError> {
    match method {
        "call" => {
            if params.len() != 3 || !params[2].is_array() {
                return Err(fc(
                    FcError::assert(
                        site("websocket_api.cpp", 18, "operator()"),
                        "args.size() == 3 && args[2].is_array(): ",
                        json!({}),
                    ),
                    ctx,
                ));
            }
            let api_id = match &params[0] {
                Value::String(name) => resolve_api_name(name, session, ctx)?,
                other => as_u64(other).map_err(|e| fc(e, ctx))?,
            };
            let set = usize::try_from(api_id)
                .ok()
                .and_then(|i| session.apis.get(i).copied())
                .ok_or_else(|| {
                    fc(
                        FcError::assert(
                            site("api_connection.hpp", 262, "receive_call"),
                            "_local_apis.size() > api_id: ",
                            json!({}),
                        ),
                        ctx,
                    )
                })?;
            let name = as_string(&params[1]).map_err(|e| fc(e, ctx))?;
            let args = params[2].as_array().map(Vec::as_slice).unwrap_or(&[]);
            call_set(set, &name, Args(args), session, ctx)
        }
        "notice" | "callback" => {
            if params.len() != 2 || !params[1].is_array() {
                let line = if method == "notice" { 36 } else { 43 };
                return Err(fc(
                    FcError::assert(
                        site("websocket_api.cpp", line, "operator()"),
                        "args.size() == 2 && args[1].is_array(): ",
                        json!({}),
                    ),
                    ctx,
                ));
            }
            // Clients never legitimately call back into a node; nothing to do.
            Ok(Value::Null)
        }
        bare => call_set(ApiSet::Database, bare, Args(params), session, ctx),
    }
}

/// `call ["database", …]`: the name goes through the login API with its permission checks.
fn resolve_api_name(
    name: &str,
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<u64, RpcError> {
    match ApiSet::from_login_method(name) {
        Some(set) => grant(set, session).map_err(|e| fc(e, ctx)),
        // The name is called as a login method without arguments; `login()` answers with
        // the login API itself, id 1.
        None if name == "login" => Ok(1),
        None => Err(method_not_found(
            name,
            &ctx.version.methods(ApiSet::Login),
            ctx.now,
        )),
    }
}

fn grant(set: ApiSet, session: &mut Session) -> Result<u64, FcError> {
    if !session.permissions.contains(&set) {
        return Err(FcError::assert(
            site("api.cpp", 268, set.login_method()),
            "is_allowed: Access denied",
            json!({}),
        ));
    }
    Ok(session.api_id(set) as u64)
}

fn call_set(
    set: ApiSet,
    method: &str,
    args: Args<'_>,
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<Value, RpcError> {
    if !ctx.version.has(set, method) {
        return Err(method_not_found(method, &ctx.version.methods(set), ctx.now));
    }
    // An operation tag the release does not know fails while parsing, before the call.
    let ops = match method {
        "get_required_fees" => args.0.first(),
        _ => args.0.first().and_then(|tx| tx.get("operations")),
    };
    if let Some(ops) = ops {
        ctx.version.check_ops(ops).map_err(|e| fc(e, ctx))?;
    }
    let r = match set {
        ApiSet::Login => login_call(method, args, session, ctx),
        ApiSet::Database => database_call(method, args, session, ctx),
        ApiSet::NetworkBroadcast => broadcast_call(method, args, session, ctx),
        ApiSet::History => super::history_api::call(ctx.view.state, method, args),
        ApiSet::NetworkNode => match method {
            "get_info" => Ok(ctx.network_node_info.clone()),
            "get_connected_peers" | "get_potential_peers" => Ok(json!([])),
            other => Err(not_simulated(other)),
        },
        _ => Err(not_simulated(method)),
    };
    r.map_err(|e| fc(e, ctx))
}

fn broadcast_call(
    method: &str,
    args: Args<'_>,
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<Value, FcError> {
    match method {
        "broadcast_transaction" => {
            ctx.tx_sink.push(args.req(0)?)?;
            Ok(Value::Null)
        }
        "broadcast_transaction_synchronous" => {
            let tx_id = ctx.tx_sink.push(args.req(0)?)?;
            session.awaiting_block = Some(tx_id);
            Ok(Value::Null)
        }
        "broadcast_transaction_with_callback" => {
            let callback = args.req(0)?.clone();
            let tx_id = ctx.tx_sink.push(args.req(1)?)?;
            session.deferred.push(Deferred {
                tx_id,
                kind: DeferredKind::Notice { callback },
            });
            Ok(Value::Null)
        }
        other => Err(not_simulated(other)),
    }
}

/// Replies and notices for deferred broadcasts whose transaction is in a block the node
/// applied between `before` and `ctx.view`.
pub fn confirmations(
    session: &mut Session,
    before: &ChainState,
    ctx: &NodeContext<'_>,
) -> Vec<String> {
    let mut out = Vec::new();
    if session.deferred.is_empty() {
        return out;
    }
    for num in before.head_num() + 1..=ctx.view.state.head_num() {
        let Some(block) = ctx.view.blocks.block(num) else {
            continue;
        };
        for (trx_num, tx) in block.transactions.iter().enumerate() {
            let Some(pos) = session.deferred.iter().position(|d| d.tx_id == tx.id) else {
                continue;
            };
            let d = session.deferred.remove(pos);
            let confirmation =
                json!({"id": tx.id, "block_num": num, "trx_num": trx_num, "trx": tx.json});
            out.push(match d.kind {
                DeferredKind::Reply { id, jsonrpc } => reply_text(&id, jsonrpc, &Ok(confirmation)),
                DeferredKind::Notice { callback } => notice_text(&callback, confirmation),
            });
        }
    }
    out
}

fn login_call(
    method: &str,
    args: Args<'_>,
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<Value, FcError> {
    match method {
        "login" => {
            let (Some(u), Some(p)) = (args.opt(0), args.opt(1)) else {
                // Without credentials 7.x answers with the login API itself, i.e. its id.
                return Ok(json!(1));
            };
            let perms = ctx.access.login(&as_string(u)?, &as_string(p)?);
            let ok = perms.is_some();
            session.permissions = perms.unwrap_or_default();
            Ok(json!(ok))
        }
        "logout" => {
            session.permissions.clear();
            Ok(json!(false))
        }
        "get_info" => Ok(json!(ctx.info)),
        "get_available_api_sets" => {
            let mut names: Vec<&str> = session
                .permissions
                .iter()
                .map(|s| s.permission_name())
                .collect();
            names.sort_unstable();
            Ok(json!(names))
        }
        "get_config" => {
            if session.permissions.is_empty() {
                return Err(FcError::assert(
                    site("api.cpp", 146, "get_config"),
                    "is_allowed: Access denied, please login",
                    json!({}),
                ));
            }
            Ok(serde_json::from_str(LOGIN_CONFIG).unwrap_or(Value::Null))
        }
        other => match ApiSet::from_login_method(other) {
            Some(set) => grant(set, session).map(|id| json!(id)),
            None => Err(not_simulated(other)),
        },
    }
}

fn database_call(
    method: &str,
    args: Args<'_>,
    session: &mut Session,
    ctx: &NodeContext<'_>,
) -> Result<Value, FcError> {
    match method {
        "set_subscribe_callback" => {
            let cb = args.req(0)?.clone();
            let notify_remove_create = as_bool(args.req(1)?)?;
            if notify_remove_create {
                return Err(FcError::assert(
                    site("database_api.cpp", 176, "set_subscribe_callback"),
                    "_app_options && _app_options->enable_subscribe_to_all: Subscribing to universal object creation and removal is disallowed in this server.",
                    json!({}),
                ));
            }
            // The trap of PROTOCOL §5: a new callback drops every object subscription.
            session.subscribed.clear();
            session.subscribe_callback = Some(cb);
            Ok(Value::Null)
        }
        "set_block_applied_callback" => {
            session.block_callback = Some(args.req(0)?.clone());
            Ok(Value::Null)
        }
        "set_pending_transaction_callback" => {
            session.pending_callback = Some(args.req(0)?.clone());
            Ok(Value::Null)
        }
        "set_auto_subscription" => {
            session.auto_subscription = as_bool(args.req(0)?)?;
            Ok(Value::Null)
        }
        "cancel_all_subscriptions" => {
            session.subscribe_callback = None;
            session.subscribed.clear();
            session.block_callback = None;
            session.pending_callback = None;
            Ok(Value::Null)
        }
        m if database_api::serves(m) => {
            let result = database_api::call(&ctx.view, m, args)?;
            if matches!(m, "get_accounts" | "get_full_accounts")
                && session.subscribe_callback.is_some()
            {
                let subscribe = match args.opt(1) {
                    Some(v) => as_bool(v)?,
                    None => session.auto_subscription,
                };
                if subscribe {
                    subscribe_accounts(session, ctx.view.state, &result, m == "get_full_accounts");
                }
            }
            if m == "get_objects" && session.subscribe_callback.is_some() {
                let subscribe = match args.opt(1) {
                    Some(v) => as_bool(v)?,
                    None => session.auto_subscription,
                };
                if subscribe {
                    let ids = as_array(args.req(0)?)?;
                    let found = result.as_array().map(Vec::as_slice).unwrap_or(&[]);
                    for (id, obj) in ids.iter().zip(found) {
                        if !obj.is_null() {
                            session.subscribed.insert(as_object_id(id)?.to_string());
                        }
                    }
                }
            }
            Ok(result)
        }
        other => Err(not_simulated(other)),
    }
}

/// `get_accounts` / `get_full_accounts` with `subscribe`: the account object, and for full
/// accounts also its statistics and balance objects, join the session's subscriptions.
fn subscribe_accounts(session: &mut Session, state: &ChainState, result: &Value, full: bool) {
    let items = result.as_array().map(Vec::as_slice).unwrap_or(&[]);
    for item in items {
        let account = if full { &item[1]["account"] } else { item };
        let Some(id) = account["id"].as_str() else {
            continue;
        };
        session.subscribed.insert(id.to_string());
        if !full {
            continue;
        }
        if let Some(instance) = super::json_args::parse_account_id(id) {
            session.subscribed.insert(format!("2.6.{instance}"));
            for ((_, _), b) in state.balances.range((instance, 0)..=(instance, u64::MAX)) {
                session.subscribed.insert(format!("2.5.{}", b.instance));
            }
        }
    }
}

/// `{"method":"notice","params":[cb,[arg]]}`.
pub fn notice_text(callback: &Value, arg: Value) -> String {
    json!({"method": "notice", "params": [callback, [arg]]}).to_string()
}

/// Notices owed to a session after its node's view moved from `before` to `ctx.view`: one
/// block-applied notice per new block, then one batch of changed subscribed objects.
pub fn block_notices(session: &Session, before: &ChainState, ctx: &NodeContext<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let after = ctx.view.state;
    if after.head_num() <= before.head_num() {
        return out;
    }
    // A real node sends the block-applied notice before the object batch.
    if let Some(cb) = &session.block_callback {
        for num in before.head_num() + 1..=after.head_num() {
            if let Some(b) = ctx.view.blocks.block(num) {
                out.push(notice_text(cb, json!(b.id.hex())));
            }
        }
    }
    if let Some(cb) = &session.subscribe_callback {
        let old_view = ChainView {
            state: before,
            chain_id: ctx.view.chain_id,
            blocks: ctx.view.blocks,
        };
        let mut changed = Vec::new();
        for id in &session.subscribed {
            let Ok(oid) = as_object_id(&json!(id)) else {
                continue;
            };
            let new = database_api::object(&ctx.view, oid).unwrap_or(Value::Null);
            let old = database_api::object(&old_view, oid).unwrap_or(Value::Null);
            if new != old {
                changed.push(if new.is_null() { json!(id) } else { new });
            }
        }
        if !changed.is_empty() {
            out.push(notice_text(cb, Value::Array(changed)));
        }
    }
    out
}

/// `login.get_config` of a default 7.0.2 node (recorded from the oracle).
const LOGIN_CONFIG: &str = r#"{"enable_subscribe_to_all":false,"has_api_helper_indexes_plugin":true,"has_market_history_plugin":true,"api_limit_get_account_history":100,"api_limit_get_account_history_operations":100,"api_limit_get_account_history_by_operations":100,"api_limit_get_relative_account_history":100,"api_limit_get_market_history":200,"api_limit_get_trade_history":100,"api_limit_get_trade_history_by_sequence":100,"api_limit_get_liquidity_pool_history":101,"api_limit_get_top_markets":100,"api_limit_get_assets":101,"api_limit_get_asset_holders":100,"api_limit_get_key_references":100,"api_limit_get_full_accounts":50,"api_limit_get_full_accounts_lists":500,"api_limit_get_full_accounts_subscribe":100,"api_limit_get_top_voters":200,"api_limit_get_limit_orders":300,"api_limit_get_limit_orders_by_account":101,"api_limit_get_account_limit_orders":101,"api_limit_get_grouped_limit_orders":101,"api_limit_get_order_book":50,"api_limit_get_call_orders":300,"api_limit_get_settle_orders":300,"api_limit_get_collateral_bids":100,"api_limit_lookup_accounts":1000,"api_limit_lookup_witness_accounts":1000,"api_limit_lookup_committee_member_accounts":1000,"api_limit_lookup_vote_ids":1000,"api_limit_list_htlcs":100,"api_limit_get_htlc_by":100,"api_limit_get_withdraw_permissions_by_giver":101,"api_limit_get_withdraw_permissions_by_recipient":101,"api_limit_get_tickets":101,"api_limit_get_liquidity_pools":101,"api_limit_get_samet_funds":101,"api_limit_get_credit_offers":101,"api_limit_get_storage_info":101}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::chain_state::{Block, Chain, ChainSpec, MAINNET_CHAIN_ID};
    use crate::simnet::database_api::BlockSource;
    use std::sync::Arc;

    struct Blocks(Vec<Arc<Block>>);
    impl BlockSource for Blocks {
        fn block(&self, num: u32) -> Option<Arc<Block>> {
            self.0.get((num as usize).checked_sub(1)?).cloned()
        }
    }

    struct NoSink;
    impl TxSink for NoSink {
        fn push(&self, _tx: &Value) -> Result<String, FcError> {
            Err(not_simulated("broadcast"))
        }
    }

    struct Fixture {
        chain: Chain,
        blocks: Blocks,
        access: ApiAccess,
    }

    impl Fixture {
        fn new() -> Self {
            let mut chain = Chain::genesis(ChainSpec::new(MAINNET_CHAIN_ID, "BTS"), 0).unwrap();
            let mut blocks = Vec::new();
            for i in 1..=2 {
                blocks.push(Arc::new(chain.produce_block(i * 3).unwrap()));
            }
            let access = ApiAccess {
                entries: vec![
                    AccessEntry {
                        user: "ops".into(),
                        password: Some("pw".into()),
                        apis: vec![ApiSet::Database, ApiSet::NetworkNode],
                    },
                    AccessEntry {
                        user: "*".into(),
                        password: None,
                        apis: DEFAULT_WILDCARD_APIS.to_vec(),
                    },
                ],
            };
            Fixture {
                chain,
                blocks: Blocks(blocks),
                access,
            }
        }

        fn ctx(&self) -> NodeContext<'_> {
            NodeContext {
                view: ChainView {
                    state: self.chain.state(),
                    chain_id: MAINNET_CHAIN_ID,
                    blocks: &self.blocks,
                },
                info: "node-a",
                access: &self.access,
                now: "2024-01-01T00:00:00",
                network_node_info: json!({"connection_count": 0}),
                tx_sink: &NoSink,
                version: NodeVersion::CURRENT,
            }
        }

        fn ask(&self, s: &mut Session, text: &str) -> Value {
            let r = handle_text(text, s, &self.ctx());
            serde_json::from_str(&r.text.expect("a reply")).unwrap()
        }
    }

    #[test]
    fn three_ways_to_reach_the_database_api() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        for req in [
            r#"{"id":1,"method":"call","params":[0,"get_chain_id",[]]}"#,
            r#"{"id":1,"method":"call","params":["database","get_chain_id",[]]}"#,
            r#"{"id":1,"method":"get_chain_id","params":[]}"#,
        ] {
            assert_eq!(f.ask(&mut s, req)["result"], MAINNET_CHAIN_ID, "{req}");
        }
    }

    #[test]
    fn reply_field_order_and_jsonrpc_echo() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        let r = handle_text(
            r#"{"jsonrpc":"2.0","id":"x","method":"call","params":[1,"get_info",[]]}"#,
            &mut s,
            &f.ctx(),
        );
        assert_eq!(
            r.text.unwrap(),
            r#"{"id":"x","jsonrpc":"2.0","result":"node-a"}"#
        );
        let r = handle_text(
            r#"{"id":7,"method":"call","params":[1,"get_info",[]]}"#,
            &mut s,
            &f.ctx(),
        );
        assert_eq!(r.text.unwrap(), r#"{"id":7,"result":"node-a"}"#);
        let r = handle_text(
            r#"{"id":1.5,"method":"get_chain_id","params":[]}"#,
            &mut s,
            &f.ctx(),
        );
        assert!(
            r.text
                .unwrap()
                .starts_with(r#"{"id":"1.50000000000000000""#)
        );
    }

    #[test]
    fn notifications_get_no_reply() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        for req in [
            r#"{"method":"get_chain_id","params":[]}"#,
            r#"{"id":null,"method":"get_chain_id","params":[]}"#,
        ] {
            let r = handle_text(req, &mut s, &f.ctx());
            assert_eq!(r.text, None);
            assert_eq!(r.http_status, 204);
        }
        let r = handle_text(
            r#"{"id":null,"jsonrpc":"2.0","method":"get_chain_id","params":[]}"#,
            &mut s,
            &f.ctx(),
        );
        assert!(
            r.text
                .unwrap()
                .starts_with(r#"{"id":null,"jsonrpc":"2.0","result""#)
        );
    }

    #[test]
    fn protocol_errors() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        let cases = [
            ("garbage", -32700, "Invalid JSON message"),
            (r#"{"id":1"#, -32700, "Invalid JSON message"),
            ("[]", -32600, "Batch requests not supported"),
            ("5", -32600, "Invalid JSON request"),
            (
                r#"{"id":1,"jsonrpc":"1.0","method":"x"}"#,
                -32600,
                "Unsupported JSON-RPC version",
            ),
            (r#"{"id":[1],"method":"x"}"#, -32600, "Invalid id"),
            (
                r#"{"id":1,"method":5}"#,
                -32600,
                "Missing or invalid method",
            ),
            (
                r#"{"id":1,"params":[]}"#,
                -32600,
                "Missing method or result or error",
            ),
            (
                r#"{"id":1,"method":"call","params":{"a":1}}"#,
                -32602,
                "Named parameters not supported",
            ),
        ];
        for (req, code, msg) in cases {
            let r = handle_text(req, &mut s, &f.ctx());
            assert_eq!(r.http_status, 400, "{req}");
            let v: Value = serde_json::from_str(&r.text.unwrap()).unwrap();
            assert_eq!(v["id"], Value::Null);
            assert_eq!(v["jsonrpc"], "2.0");
            assert_eq!(v["error"]["code"], code, "{req}");
            assert_eq!(v["error"]["message"], msg, "{req}");
        }
        let v = f.ask(&mut s, "garbage");
        assert_eq!(v["error"]["data"]["name"], "parse_error_exception");
        assert_eq!(v["error"]["data"]["stack"][0]["data"]["c"], 103);
    }

    #[test]
    fn unknown_method_and_api_errors_match_the_oracle() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"no_such_method",[]]}"#,
        );
        assert_eq!(v["error"]["code"], -32601);
        assert_eq!(v["error"]["message"], "Method not found");
        let d = &v["error"]["data"];
        assert_eq!(d["code"], 22);
        assert_eq!(d["name"], "method_not_found_exception");
        assert_eq!(d["stack"][0]["format"], "No method with name '${name}'");
        assert_eq!(d["stack"][0]["data"]["api"].as_array().unwrap().len(), 107);
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":["nosuchapi","x",[]]}"#,
        );
        assert_eq!(v["error"]["data"]["stack"][0]["data"]["name"], "nosuchapi");
        assert_eq!(
            v["error"]["data"]["stack"][0]["data"]["api"][0],
            json!(["asset", 11])
        );
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[7,"get_chain_id",[]]}"#,
        );
        assert_eq!(
            v["error"]["message"],
            "Execution error: Assert Exception: _local_apis.size() > api_id: "
        );
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"get_chain_id"]}"#,
        );
        assert_eq!(
            v["error"]["data"]["stack"][0]["format"],
            "args.size() == 3 && args[2].is_array(): "
        );
    }

    #[test]
    fn api_ids_are_assigned_on_first_request() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"database",[]]}"#
            )["result"],
            0
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"history",[]]}"#
            )["result"],
            2
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"network_broadcast",[]]}"#
            )["result"],
            3
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"history",[]]}"#
            )["result"],
            2
        );
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[2,"get_info",[]]}"#,
        );
        assert_eq!(v["error"]["code"], -32601, "history has no get_info");
    }

    #[test]
    fn network_node_needs_a_login_that_grants_it() {
        let f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[1,"network_node",[]]}"#,
        );
        assert_eq!(
            v["error"]["message"],
            "Execution error: Assert Exception: is_allowed: Access denied"
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"login",["ops","bad"]]}"#
            )["result"],
            false
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"get_available_api_sets",[]]}"#
            )["result"],
            json!([])
        );
        assert_eq!(
            f.ask(
                &mut s,
                r#"{"id":1,"method":"call","params":[1,"login",["ops","pw"]]}"#
            )["result"],
            true
        );
        let id = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[1,"network_node",[]]}"#,
        )["result"]
            .clone();
        assert_eq!(id, 2);
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[2,"get_info",[]]}"#,
        );
        assert_eq!(v["result"]["connection_count"], 0);
        let v = f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[1,"get_available_api_sets",[]]}"#,
        );
        assert_eq!(v["result"], json!(["database_api", "network_node_api"]));
        let with_basic = Session::new(&f.access, Some(("ops", "pw")));
        assert!(with_basic.permissions.contains(&ApiSet::NetworkNode));
    }

    #[test]
    fn subscribe_then_get_objects_gets_2_1_0_every_block() {
        let mut f = Fixture::new();
        let mut s = Session::new(&f.access, None);
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"get_objects",[["2.1.0"]]]}"#,
        );
        assert!(!s.wants_notices(), "no callback yet");
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"set_subscribe_callback",[5,false]]}"#,
        );
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"set_block_applied_callback",[6]]}"#,
        );
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"get_objects",[["2.1.0"]]]}"#,
        );
        assert!(s.subscribed.contains("2.1.0"));
        let before = f.chain.state().clone();
        let b = f.chain.produce_block(9).unwrap();
        f.blocks.0.push(Arc::new(b));
        let notices = block_notices(&s, &before, &f.ctx());
        assert_eq!(notices.len(), 2);
        let n: Value = serde_json::from_str(&notices[1]).unwrap();
        assert_eq!(n["method"], "notice");
        assert_eq!(n["params"][0], 5);
        assert_eq!(n["params"][1][0][0]["id"], "2.1.0");
        assert_eq!(n["params"][1][0][0]["head_block_number"], 3);
        let n: Value = serde_json::from_str(&notices[0]).unwrap();
        assert_eq!(n["params"][0], 6);
        assert_eq!(n["params"][1][0].as_str().unwrap()[..8], *"00000003");
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"set_subscribe_callback",[5,false]]}"#,
        );
        assert!(
            s.subscribed.is_empty(),
            "a new callback clears object subscriptions"
        );
        f.ask(
            &mut s,
            r#"{"id":1,"method":"call","params":[0,"cancel_all_subscriptions",[]]}"#,
        );
        assert!(!s.wants_notices());
    }
}
