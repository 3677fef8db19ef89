//! Graphene websocket / HTTP JSON-RPC client.
//!
//! - [`client`]: persistent websocket connection, many calls in flight, notices.
//! - [`http`]: one-shot calls over HTTP POST.
//! - [`calls`]: typed helpers for the calls the console uses.
//! - [`notices`]: the byte-bounded notice queue between reader and consumer.
//! - [`frame`]: pure framing and parsing; [`types`]: result types and fc JSON helpers.
//! - [`error`]: [`RpcError`] and the node error classifier.

pub mod calls;
pub mod client;
pub mod error;
pub mod frame;
pub mod http;
pub mod notices;
pub mod tls;
pub mod types;

pub use client::{
    ConnectOptions, Credentials, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_NOTICE_BYTES, NOTICE_QUEUE,
    RpcClient,
};
pub use error::{ErrorKind, NodeError, RpcError, TransportKind};
pub use frame::{Api, Json};
pub use http::http_call;
pub use notices::NoticeReceiver;
pub use types::{
    Account, AssetAmount, Block, BlockHeader, ChainParameters, ChainTime, DynamicGlobalProperties,
    GlobalProperties, Notice, TxConfirmation,
};
