//! One error type for the protocol core, with variants precise enough for callers to branch on.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChainError {
    #[error("bad checksum in {0}")]
    BadChecksum(&'static str),
    #[error("wrong length for {what}: expected {expected}, found {found}")]
    WrongLength {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("unknown key prefix {0:?} (known: BTS, TEST)")]
    UnknownPrefix(String),
    #[error("wrong key prefix: expected {expected:?}, found {found:?}")]
    WrongPrefix { expected: String, found: String },
    #[error("bad base58: {0}")]
    BadBase58(String),
    #[error("bad hex in {0}")]
    BadHex(&'static str),
    #[error("bad WIF version byte 0x{0:02x} (expected 0x80)")]
    BadWifVersion(u8),
    #[error("not a valid secp256k1 private key")]
    InvalidPrivateKey,
    #[error("not a valid secp256k1 public key point")]
    InvalidPublicKey,
    #[error("signature is not canonical")]
    NonCanonicalSignature,
    #[error("unable to reconstruct public key from signature: recovery byte {0} outside 27..=34")]
    BadRecoveryByte(u8),
    #[error("unable to reconstruct public key from signature")]
    RecoveryFailed,
    #[error("{}", super::op_names::unsupported_operation(*.0))]
    UnknownOperation(u64),
    #[error("bad object id {0:?}")]
    BadObjectId(String),
    #[error("bad vote id {0:?}")]
    BadVoteId(String),
    #[error("bad time {0:?} (expected YYYY-MM-DDTHH:MM:SS, UTC, within u32 seconds)")]
    BadTime(String),
    #[error("varint longer than 64 bits")]
    VarintOverflow,
    #[error("unexpected end of data while reading {0}")]
    UnexpectedEof(&'static str),
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    #[error("bad bool byte 0x{0:02x}")]
    BadBool(u8),
    #[error("string is not UTF-8")]
    BadUtf8,
    #[error("non-empty {0} is not supported")]
    UnsupportedExtension(&'static str),
    #[error("operation fails validate(): {0}")]
    InvalidOperation(&'static str),
    #[error("bad JSON: {0}")]
    Json(String),
}

impl From<serde_json::Error> for ChainError {
    fn from(e: serde_json::Error) -> Self {
        ChainError::Json(e.to_string())
    }
}
