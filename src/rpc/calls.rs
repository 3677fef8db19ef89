//! Typed helpers for the calls the console uses (PROTOCOL.md §4, §5, §7).

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::client::RpcClient;
use super::error::RpcError;
use super::frame::{Api, snippet};
use super::types::{
    Account, AssetAmount, Block, BlockHeader, DynamicGlobalProperties, GlobalProperties,
    TxConfirmation,
};

/// Decode a result, turning a shape mismatch into a protocol error naming the call.
pub(crate) fn decode<T: DeserializeOwned>(
    endpoint: &str,
    call: &str,
    value: Value,
) -> Result<T, RpcError> {
    let excerpt = || snippet(&value.to_string());
    match T::deserialize(&value) {
        Ok(v) => Ok(v),
        Err(e) => Err(RpcError::Protocol {
            endpoint: endpoint.to_owned(),
            call: call.to_owned(),
            detail: format!("unexpected result shape ({e}): {}", excerpt()),
        }),
    }
}

fn to_value(endpoint: &str, call: &str, v: &impl Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::Config {
        endpoint: endpoint.to_owned(),
        call: call.to_owned(),
        detail: format!("cannot serialize argument: {e}"),
    })
}

impl RpcClient {
    async fn typed<T: DeserializeOwned>(
        &self,
        api: Api,
        method: &str,
        params: Value,
    ) -> Result<T, RpcError> {
        let call = format!("{}.{}", api.name(), method);
        let value = self.call(api, method, params).await?;
        decode(self.endpoint(), &call, value)
    }

    // --- login API -------------------------------------------------------------------

    /// `login [user, pass]` → whether the node accepted the credentials.
    pub async fn login(&self, user: &str, password: &str) -> Result<bool, RpcError> {
        self.typed(Api::Login, "login", json!([user, password]))
            .await
    }

    /// The operator's free-text `api-node-info` (6.1.0+).
    pub async fn get_info(&self) -> Result<Value, RpcError> {
        self.call(Api::Login, "get_info", json!([])).await
    }

    /// API sets this login may use (6.1.0+).
    pub async fn get_available_api_sets(&self) -> Result<Vec<String>, RpcError> {
        self.typed(Api::Login, "get_available_api_sets", json!([]))
            .await
    }

    // --- database API ----------------------------------------------------------------

    pub async fn get_chain_id(&self) -> Result<String, RpcError> {
        self.typed(Api::Database, "get_chain_id", json!([])).await
    }

    pub async fn get_dynamic_global_properties(&self) -> Result<DynamicGlobalProperties, RpcError> {
        self.typed(Api::Database, "get_dynamic_global_properties", json!([]))
            .await
    }

    pub async fn get_global_properties(&self) -> Result<GlobalProperties, RpcError> {
        self.typed(Api::Database, "get_global_properties", json!([]))
            .await
    }

    /// `None` for a block the node does not have.
    pub async fn get_block_header(&self, num: u32) -> Result<Option<BlockHeader>, RpcError> {
        self.typed(Api::Database, "get_block_header", json!([num]))
            .await
    }

    pub async fn get_block(&self, num: u32) -> Result<Option<Block>, RpcError> {
        self.typed(Api::Database, "get_block", json!([num])).await
    }

    /// One slot per id; a missing object is `None`.
    pub async fn get_objects(&self, ids: &[&str]) -> Result<Vec<Option<Value>>, RpcError> {
        self.typed(Api::Database, "get_objects", json!([ids])).await
    }

    pub async fn lookup_account_names(
        &self,
        names: &[&str],
    ) -> Result<Vec<Option<Account>>, RpcError> {
        self.typed(Api::Database, "lookup_account_names", json!([names]))
            .await
    }

    pub async fn get_account_by_name(&self, name: &str) -> Result<Option<Account>, RpcError> {
        self.typed(Api::Database, "get_account_by_name", json!([name]))
            .await
    }

    /// `assets` empty = all assets the account holds.
    pub async fn get_account_balances(
        &self,
        account: &str,
        assets: &[&str],
    ) -> Result<Vec<AssetAmount>, RpcError> {
        self.typed(
            Api::Database,
            "get_account_balances",
            json!([account, assets]),
        )
        .await
    }

    /// `ops` is the JSON array of `[op_id, {op}]`. For a proposal the node answers
    /// `[fee, [inner fees]]`; only the outer fee is returned.
    pub async fn get_required_fees(
        &self,
        ops: Value,
        asset: &str,
    ) -> Result<Vec<AssetAmount>, RpcError> {
        let call = "database.get_required_fees";
        let raw: Vec<Value> = self
            .typed(Api::Database, "get_required_fees", json!([ops, asset]))
            .await?;
        raw.into_iter()
            .map(|v| match v {
                Value::Array(mut items) if !items.is_empty() => {
                    decode(self.endpoint(), call, items.swap_remove(0))
                }
                other => decode(self.endpoint(), call, other),
            })
            .collect()
    }

    /// Object subscriptions go to callback `cb`. Clears existing subscriptions on the node,
    /// so call it before `get_objects(["2.1.0"])`.
    pub async fn set_subscribe_callback(
        &self,
        cb: u64,
        notify_remove_create: bool,
    ) -> Result<(), RpcError> {
        self.call(
            Api::Database,
            "set_subscribe_callback",
            json!([cb, notify_remove_create]),
        )
        .await
        .map(drop)
    }

    /// Notices with `[block_id]` on callback `cb` for each applied block.
    pub async fn set_block_applied_callback(&self, cb: u64) -> Result<(), RpcError> {
        self.call(Api::Database, "set_block_applied_callback", json!([cb]))
            .await
            .map(drop)
    }

    pub async fn cancel_all_subscriptions(&self) -> Result<(), RpcError> {
        self.call(Api::Database, "cancel_all_subscriptions", json!([]))
            .await
            .map(drop)
    }

    // --- network_broadcast API -------------------------------------------------------

    /// `Ok(())` = accepted into this node's pending pool; every rejection is the error.
    pub async fn broadcast_transaction(&self, tx: &impl Serialize) -> Result<(), RpcError> {
        let tx = to_value(
            self.endpoint(),
            "network_broadcast.broadcast_transaction",
            tx,
        )?;
        self.call(Api::NetworkBroadcast, "broadcast_transaction", json!([tx]))
            .await
            .map(drop)
    }

    /// Waits for inclusion in a block. The node has no timeout for this, so the caller
    /// gives one (a few block intervals).
    pub async fn broadcast_transaction_synchronous(
        &self,
        tx: &impl Serialize,
        timeout: Duration,
    ) -> Result<TxConfirmation, RpcError> {
        let call = "network_broadcast.broadcast_transaction_synchronous";
        let tx = to_value(self.endpoint(), call, tx)?;
        let value = self
            .call_with_timeout(
                Api::NetworkBroadcast,
                "broadcast_transaction_synchronous",
                json!([tx]),
                timeout,
            )
            .await?;
        decode(self.endpoint(), call, value)
    }

    /// Returns when accepted; the confirmation arrives later as a notice on `cb`
    /// (decode its argument as [`TxConfirmation`]).
    pub async fn broadcast_transaction_with_callback(
        &self,
        cb: u64,
        tx: &impl Serialize,
    ) -> Result<(), RpcError> {
        let tx = to_value(
            self.endpoint(),
            "network_broadcast.broadcast_transaction_with_callback",
            tx,
        )?;
        self.call(
            Api::NetworkBroadcast,
            "broadcast_transaction_with_callback",
            json!([cb, tx]),
        )
        .await
        .map(drop)
    }

    // --- network_node API (needs an api-access entry) --------------------------------

    /// `{listening_on, node_public_key, node_id, connection_count}`.
    pub async fn network_node_get_info(&self) -> Result<Value, RpcError> {
        self.call(Api::NetworkNode, "get_info", json!([])).await
    }

    pub async fn get_connected_peers(&self) -> Result<Value, RpcError> {
        self.call(Api::NetworkNode, "get_connected_peers", json!([]))
            .await
    }
}
