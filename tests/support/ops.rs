//! Operations and transactions built with `chain/` for tests that send them to a node.

#![allow(dead_code)]

use btsops::chain::{
    AccountCreateOp, AccountId, AccountOptions, Asset, Authority, FutureExtensions, Operation,
    PrivateKey, TimePointSec, Transaction, TransferOp, tapos_from_block_id,
};
use btsops::rpc::RpcClient;

/// An account's core-asset balance; `account` is a name or a `1.2.N` id.
pub async fn core_balance(c: &RpcClient, account: &str) -> i64 {
    let balances = c
        .get_account_balances(account, &["1.3.0"])
        .await
        .expect("get_account_balances");
    balances.first().expect("a core balance entry").amount
}

/// A core-asset transfer between account instances (`1.2.<from>` → `1.2.<to>`).
pub fn transfer(from: u64, to: u64, amount: i64, fee: i64) -> Operation {
    TransferOp {
        fee: Asset::core(fee),
        from: AccountId(from),
        to: AccountId(to),
        amount: Asset::core(amount),
        memo: None,
        extensions: FutureExtensions,
    }
    .into()
}

/// Registers `name` with keys derived from the password "pw", paid by `registrar`.
pub fn create(name: &str, registrar: u64, fee: i64) -> Operation {
    let k = PrivateKey::from_password(name, "active", "pw")
        .unwrap()
        .public_key();
    AccountCreateOp {
        fee: Asset::core(fee),
        registrar: AccountId(registrar),
        referrer: AccountId(registrar),
        referrer_percent: 0,
        name: name.to_string(),
        owner: Authority::single_key(k),
        active: Authority::single_key(k),
        options: AccountOptions::with_memo_key(k),
        extensions: Default::default(),
    }
    .into()
}

/// `ops` referencing the node's head block, expiring `expires_in` seconds after its time.
pub async fn head_tx(c: &RpcClient, ops: Vec<Operation>, expires_in: i64) -> Transaction {
    let dgp = c.get_dynamic_global_properties().await.unwrap();
    let tapos = tapos_from_block_id(&dgp.head_block_id).unwrap();
    let head = dgp.time.0.assume_utc().unix_timestamp();
    Transaction::new(&tapos, TimePointSec((head + expires_in) as u32), ops)
}
