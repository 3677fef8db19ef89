//! Transactions: TaPoS, packing, the digest that gets signed, the tx id, and the
//! node's JSON shape.

use super::error::ChainError;
use super::extensions::FutureExtensions;
use super::hash::sha256;
use super::json::{u16_json, u32_json};
use super::keys::{PrivateKey, PublicKey};
use super::operations::Operation;
use super::raw::{Pack, Reader, Unpack, pack_seq};
use super::signing::{Signature, recover, sign_canonical};
use super::time::TimePointSec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

fn hex_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], ChainError> {
    let v = hex::decode(s.trim()).map_err(|_| ChainError::BadHex(what))?;
    v.as_slice()
        .try_into()
        .map_err(|_| ChainError::WrongLength {
            what,
            expected: N,
            found: v.len(),
        })
}

/// The 32-byte chain id mixed into every digest, so a signature is only valid on one chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainId(pub [u8; 32]);

impl ChainId {
    pub const MAINNET: ChainId = ChainId(hex_literal(
        b"4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8",
    ));
    pub const TESTNET: ChainId = ChainId(hex_literal(
        b"39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447",
    ));

    pub fn from_hex(s: &str) -> Result<ChainId, ChainError> {
        hex_array(s, "chain id").map(ChainId)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Compile-time hex for the well-known chain ids (a bad literal fails the build).
const fn hex_literal(s: &[u8; 64]) -> [u8; 32] {
    const fn nib(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("bad hex literal"),
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nib(s[2 * i]) << 4) | nib(s[2 * i + 1]);
        i += 1;
    }
    out
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({})", self.to_hex())
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for ChainId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ChainId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Reference-block fields for a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tapos {
    /// The full block number (big-endian u32 in the first 4 bytes of the block id).
    pub block_num: u32,
    pub ref_block_num: u16,
    pub ref_block_prefix: u32,
}

/// ref_block_num = block_num & 0xFFFF; ref_block_prefix = u32 LE of id bytes 4..8.
pub fn tapos_from_block_id(block_id_hex: &str) -> Result<Tapos, ChainError> {
    let id: [u8; 20] = hex_array(block_id_hex, "block id")?;
    let block_num = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
    Ok(Tapos {
        block_num,
        ref_block_num: (block_num & 0xffff) as u16,
        ref_block_prefix: u32::from_le_bytes([id[4], id[5], id[6], id[7]]),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    #[serde(with = "u16_json")]
    pub ref_block_num: u16,
    #[serde(with = "u32_json")]
    pub ref_block_prefix: u32,
    pub expiration: TimePointSec,
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub extensions: FutureExtensions,
}

impl Transaction {
    pub fn new(tapos: &Tapos, expiration: TimePointSec, operations: Vec<Operation>) -> Transaction {
        Transaction {
            ref_block_num: tapos.ref_block_num,
            ref_block_prefix: tapos.ref_block_prefix,
            expiration,
            operations,
            extensions: FutureExtensions,
        }
    }

    /// The unsigned bytes: what the tx id and the digest are computed over.
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        Pack::pack(self, &mut out);
        out
    }

    /// SHA-256(chain_id ‖ pack(tx)): the 32 bytes that get signed.
    pub fn digest(&self, chain_id: &ChainId) -> [u8; 32] {
        Sha256::new()
            .chain_update(chain_id.0)
            .chain_update(self.pack())
            .finalize()
            .into()
    }

    /// chain_id ‖ pack(tx), for comparing with other signers.
    pub fn signing_message(&self, chain_id: &ChainId) -> Vec<u8> {
        let mut out = chain_id.0.to_vec();
        Pack::pack(self, &mut out);
        out
    }

    /// First 20 bytes of SHA-256(pack(tx)). No chain id, no signatures: re-signing
    /// does not make a duplicate unique.
    pub fn id(&self) -> [u8; 20] {
        let h = sha256(&self.pack());
        let mut id = [0u8; 20];
        id.copy_from_slice(&h[..20]);
        id
    }

    pub fn id_hex(&self) -> String {
        hex::encode(self.id())
    }

    pub fn validate(&self) -> Result<(), ChainError> {
        self.operations.iter().try_for_each(Operation::validate)
    }

    /// Signs with one key and returns the signed transaction.
    pub fn sign(&self, key: &PrivateKey, chain_id: &ChainId) -> SignedTransaction {
        let mut signed = SignedTransaction::from(self.clone());
        signed.sign(key, chain_id);
        signed
    }

    /// Parses the node's JSON; unknown operation tags come back as
    /// `ChainError::UnknownOperation` rather than a generic JSON error.
    pub fn from_json_str(s: &str) -> Result<Transaction, ChainError> {
        let v: serde_json::Value = serde_json::from_str(s)?;
        check_op_tags(&v)?;
        Ok(serde_json::from_value(v)?)
    }
}

fn check_op_tags(v: &serde_json::Value) -> Result<(), ChainError> {
    if let Some(ops) = v.get("operations").and_then(serde_json::Value::as_array) {
        for op in ops {
            if let Some(tag) = op.get(0).and_then(serde_json::Value::as_u64) {
                if !Operation::is_known_tag(tag) {
                    return Err(ChainError::UnknownOperation(tag));
                }
            }
        }
    }
    Ok(())
}

impl Pack for Transaction {
    fn pack(&self, out: &mut Vec<u8>) {
        self.ref_block_num.pack(out);
        self.ref_block_prefix.pack(out);
        self.expiration.pack(out);
        pack_seq(out, self.operations.iter());
        Pack::pack(&self.extensions, out);
    }
}

impl Unpack for Transaction {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(Transaction {
            ref_block_num: u16::unpack(r)?,
            ref_block_prefix: u32::unpack(r)?,
            expiration: TimePointSec::unpack(r)?,
            operations: Vec::unpack(r)?,
            extensions: FutureExtensions::unpack(r)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    #[serde(flatten)]
    pub trx: Transaction,
    #[serde(default)]
    pub signatures: Vec<Signature>,
}

impl From<Transaction> for SignedTransaction {
    fn from(trx: Transaction) -> Self {
        SignedTransaction {
            trx,
            signatures: Vec::new(),
        }
    }
}

impl SignedTransaction {
    /// Adds a canonical signature by `key` over this transaction's digest.
    pub fn sign(&mut self, key: &PrivateKey, chain_id: &ChainId) {
        let digest = self.trx.digest(chain_id);
        self.signatures.push(sign_canonical(&digest, key));
    }

    /// Unsigned bytes ‖ varint(n) ‖ n × 65 bytes: what `broadcast_transaction` carries.
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + 65 * self.signatures.len());
        Pack::pack(self, &mut out);
        out
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.pack())
    }

    pub fn id(&self) -> [u8; 20] {
        self.trx.id()
    }

    pub fn id_hex(&self) -> String {
        self.trx.id_hex()
    }

    pub fn digest(&self, chain_id: &ChainId) -> [u8; 32] {
        self.trx.digest(chain_id)
    }

    /// The signing keys, by the node's recovery rules (first failure wins, as on the node).
    pub fn signer_keys(&self, chain_id: &ChainId) -> Result<Vec<PublicKey>, ChainError> {
        let digest = self.trx.digest(chain_id);
        self.signatures
            .iter()
            .map(|s| recover(&digest, &s.0))
            .collect()
    }

    /// See [`Transaction::from_json_str`].
    pub fn from_json_str(s: &str) -> Result<SignedTransaction, ChainError> {
        let v: serde_json::Value = serde_json::from_str(s)?;
        check_op_tags(&v)?;
        Ok(serde_json::from_value(v)?)
    }
}

impl Pack for SignedTransaction {
    fn pack(&self, out: &mut Vec<u8>) {
        Pack::pack(&self.trx, out);
        pack_seq(out, self.signatures.iter());
    }
}

impl Unpack for SignedTransaction {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(SignedTransaction {
            trx: Transaction::unpack(r)?,
            signatures: Vec::unpack(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tapos() {
        let t = tapos_from_block_id("01ab5f3c9e2d4b7a8c1f0e6d5a4b3c2d1e0f9a8b").unwrap();
        assert_eq!(t.block_num, 28_008_252);
        assert_eq!(t.ref_block_num, 24380);
        assert_eq!(t.ref_block_prefix, 2_051_747_230);
        assert!(matches!(
            tapos_from_block_id("01ab"),
            Err(ChainError::WrongLength { .. })
        ));
        assert_eq!(
            tapos_from_block_id("zz"),
            Err(ChainError::BadHex("block id"))
        );
    }

    #[test]
    fn chain_ids() {
        assert_eq!(
            ChainId::from_hex("39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447")
                .unwrap(),
            ChainId::TESTNET
        );
        assert_eq!(
            ChainId::MAINNET.to_hex(),
            "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8"
        );
    }
}
