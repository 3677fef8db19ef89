//! BitShares protocol: ids, assets, keys, fc::raw serialization, transactions, signing. No I/O.

pub mod asset;
mod context;
pub mod error;
pub mod extensions;
pub mod hash;
pub mod ids;
pub mod json;
pub mod keys;
pub mod op_names;
pub mod operations;
pub mod p2p;
pub mod raw;
pub mod signing;
pub mod time;
pub mod transaction;

pub use asset::{Asset, to_pretty_string};
pub use error::ChainError;
pub use extensions::{AccountCreateExtensions, FutureExtensions};
pub use ids::{AccountId, AssetId, ObjectId};
pub use keys::{Address, KNOWN_PREFIXES, Prefix, PrivateKey, PublicKey};
pub use op_names::{operation_name, unsupported_operation};
pub use operations::{
    AccountCreateOp, AccountOptions, Authority, Memo, Operation, TransferOp, VoteId,
    account_name_problem, is_valid_name,
};
pub use raw::{Pack, Unpack};
pub use signing::{Signature, is_canonical, recover, sign_canonical};
pub use time::TimePointSec;
pub use transaction::{ChainId, SignedTransaction, Tapos, Transaction, tapos_from_block_id};
