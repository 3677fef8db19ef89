//! Canonical compact signatures as the node demands them, and the node's recovery rules.
//!
//! Signer: the `ndata` scheme of `vectors/canonical_signature.json`. Attempt 0 is plain
//! RFC 6979 (ndata NULL); attempt c ≥ 1 feeds `u32 LE c ‖ 28 zero bytes` as RFC 6979
//! extra data. The first attempt passing fc's `is_canonical` wins, so signatures are
//! deterministic and reproducible byte for byte by any libsecp256k1 binding.

use super::context::secp;
use super::error::ChainError;
use super::keys::{PrivateKey, PublicKey};
use super::raw::{Pack, Reader, Unpack};
use secp256k1::Message;
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// 65-byte compact signature: `[27 + 4 + recid] ‖ r ‖ s` (big-endian r, s).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 65]);

impl Signature {
    pub fn from_hex(s: &str) -> Result<Signature, ChainError> {
        let v = hex::decode(s.trim()).map_err(|_| ChainError::BadHex("signature"))?;
        let arr: [u8; 65] = v
            .as_slice()
            .try_into()
            .map_err(|_| ChainError::WrongLength {
                what: "signature",
                expected: 65,
                found: v.len(),
            })?;
        Ok(Signature(arr))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Signature::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

impl Pack for Signature {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl Unpack for Signature {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        r.array("signature").map(Signature)
    }
}

/// fc `is_canonical`: 2^247 ≤ r < 2^255 and 2^247 ≤ s < 2^255 (both DER integers
/// exactly 32 bytes). Low-S alone is not enough: about half of low-S signatures have
/// a high r and the node rejects them.
#[inline]
pub fn is_canonical(c: &[u8; 65]) -> bool {
    c[1] & 0x80 == 0
        && !(c[1] == 0 && c[2] & 0x80 == 0)
        && c[33] & 0x80 == 0
        && !(c[33] == 0 && c[34] & 0x80 == 0)
}

fn compact(sig: &RecoverableSignature) -> [u8; 65] {
    let (recid, rs) = sig.serialize_compact();
    let mut out = [0u8; 65];
    // recid is 0..=3 by construction; 31 = 27 + 4 marks a compressed key.
    out[0] = 31 + recid.to_i32() as u8;
    out[1..].copy_from_slice(&rs);
    out
}

/// The extra nonce data for attempt `counter` (≥ 1).
pub fn ndata_for(counter: u32) -> [u8; 32] {
    let mut nd = [0u8; 32];
    nd[..4].copy_from_slice(&counter.to_le_bytes());
    nd
}

/// One attempt of the ndata scheme, canonical or not (exposed to check every
/// attempt against the vectors).
pub fn sign_attempt(digest: &[u8; 32], key: &PrivateKey, counter: u32) -> [u8; 65] {
    let msg = Message::from_digest(*digest);
    let sig = if counter == 0 {
        secp().sign_ecdsa_recoverable(&msg, key.secret())
    } else {
        secp().sign_ecdsa_recoverable_with_noncedata(&msg, key.secret(), &ndata_for(counter))
    };
    compact(&sig)
}

/// Signs `digest` and returns the first fc-canonical signature of the ndata scheme
/// together with the attempt counter that produced it.
pub fn sign_canonical_with_counter(digest: &[u8; 32], key: &PrivateKey) -> (Signature, u32) {
    let ctx = secp();
    let msg = Message::from_digest(*digest);
    let sk = key.secret();
    let first = compact(&ctx.sign_ecdsa_recoverable(&msg, sk));
    if is_canonical(&first) {
        return (Signature(first), 0);
    }
    let mut counter: u32 = 1;
    loop {
        let c = compact(&ctx.sign_ecdsa_recoverable_with_noncedata(&msg, sk, &ndata_for(counter)));
        if is_canonical(&c) {
            return (Signature(c), counter);
        }
        // Each attempt passes with probability ~1/2 (low-S makes s fine; r's top bit is a
        // coin flip), so 2^32 failures in a row cannot happen; wrapping is unreachable in
        // practice and keeps this total without a panic path.
        counter = counter.wrapping_add(1);
    }
}

pub fn sign_canonical(digest: &[u8; 32], key: &PrivateKey) -> Signature {
    sign_canonical_with_counter(digest, key).0
}

/// The node's recovery: first byte 27..=34, recid = (b − 27) & 3, key always taken
/// as compressed, and the canonical rule enforced (a valid but non-canonical ECDSA
/// signature is still rejected).
pub fn recover(digest: &[u8; 32], sig: &[u8; 65]) -> Result<PublicKey, ChainError> {
    let b = sig[0];
    if !(27..=34).contains(&b) {
        return Err(ChainError::BadRecoveryByte(b));
    }
    if !is_canonical(sig) {
        return Err(ChainError::NonCanonicalSignature);
    }
    let recid = RecoveryId::from_i32(i32::from((b - 27) & 3))
        .map_err(|_| ChainError::BadRecoveryByte(b))?;
    let rs = RecoverableSignature::from_compact(&sig[1..], recid)
        .map_err(|_| ChainError::RecoveryFailed)?;
    let key = secp()
        .recover_ecdsa(&Message::from_digest(*digest), &rs)
        .map_err(|_| ChainError::RecoveryFailed)?;
    Ok(PublicKey::from_secp(&key))
}

/// True when `sig` passes the node's rules and recovers to `key`.
pub fn verify(digest: &[u8; 32], sig: &[u8; 65], key: &PublicKey) -> bool {
    recover(digest, sig).is_ok_and(|k| k == *key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_rule_edges() {
        let mut c = [0u8; 65];
        c[1] = 0x7f;
        c[33] = 0x7f;
        assert!(is_canonical(&c));
        c[1] = 0x80;
        assert!(!is_canonical(&c));
        c[1] = 0x00;
        c[2] = 0x80;
        assert!(is_canonical(&c), "r = 2^247 exactly is allowed");
        c[2] = 0x7f;
        assert!(!is_canonical(&c));
        c[1] = 0x01;
        c[33] = 0x00;
        c[34] = 0x00;
        assert!(!is_canonical(&c));
    }

    #[test]
    fn recovery_byte_range() {
        let d = [7u8; 32];
        let k = PrivateKey::from_bytes(&[1u8; 32]).unwrap();
        let mut s = sign_canonical(&d, &k).0;
        assert_eq!(recover(&d, &s).unwrap(), k.public_key());
        s[0] -= 4;
        assert_eq!(recover(&d, &s).unwrap(), k.public_key());
        s[0] = 26;
        assert_eq!(recover(&d, &s), Err(ChainError::BadRecoveryByte(26)));
        s[0] = 35;
        assert_eq!(recover(&d, &s), Err(ChainError::BadRecoveryByte(35)));
    }
}
