//! The graphene P2P port, as far as a probe needs it (PROTOCOL.md §10): the key
//! exchange, the stream cipher, message frames and the `hello` message. Pure: the
//! caller moves the bytes; [`Handshake`] turns them into a verified [`Hello`].
//!
//! - [`city`]: fc's CityHash (the IV), which no crate reproduces.
//! - [`cipher`]: ephemeral keys, the shared secret, AES-256-CBC streams.
//! - [`message`]: frame headers, `fc::variant`, `hello`.

pub mod cipher;
pub mod city;
pub mod message;

use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, Secp256k1};
use thiserror::Error;
use zeroize::Zeroizing;

pub use cipher::{BLOCK, EphemeralKey, KEY_LEN, StreamKeys, parse_peer_key};
pub use message::{FrameHeader, HEADER_LEN, HELLO_MESSAGE_TYPE, Hello, MAX_MESSAGE_SIZE, Variant};

use crate::chain::error::ChainError;
use crate::chain::hash::sha256;

/// What went wrong on the P2P port; the text names the step.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum P2pError {
    #[error("first key byte is {0:#04x}, not 0x02/0x03: not a graphene P2P node")]
    NotAKey(u8),
    #[error("the peer's key is not a point on secp256k1")]
    KeyNotOnCurve,
    #[error("no random bytes for our key: {0}")]
    Random(String),
    #[error("{0} bytes is not a whole number of 16-byte AES blocks")]
    PartialBlock(usize),
    #[error("first message has type {0}, not hello ({HELLO_MESSAGE_TYPE})")]
    NotHello(u32),
    #[error("message announces {size} bytes, more than the {limit} a hello may take")]
    TooLarge { size: u32, limit: u32 },
    #[error("hello payload: {0}")]
    Parse(#[from] ChainError),
    #[error("hello payload: unknown variant tag {0}")]
    BadVariantTag(u8),
    #[error("hello payload: variants nested too deep")]
    TooDeep,
    #[error("hello signature does not recover to the node's key: not this session's hello")]
    BadSignature,
}

/// Largest hello the probe accepts. The reference node's is 529 bytes; the node's own
/// limit ([`MAX_MESSAGE_SIZE`], 2 MiB) would let one hostile seed make every probe
/// buffer megabytes, and a probe only needs the hello.
pub const MAX_HELLO_BYTES: u32 = 64 * 1024;

/// The connecting side of one connection after the keys were swapped: decrypts what
/// the acceptor sends and checks it is this session's hello.
pub struct Handshake {
    secret: Zeroizing<[u8; 64]>,
    decrypt: cipher::StreamDecryptor,
}

impl Handshake {
    /// From our key and the 33 bytes the peer sent first.
    pub fn new(ours: &EphemeralKey, theirs: &[u8; KEY_LEN]) -> Result<Handshake, P2pError> {
        let peer = parse_peer_key(theirs)?;
        let secret = ours.shared_secret(&peer)?;
        let decrypt = StreamKeys::from_secret(&secret).decryptor();
        Ok(Handshake { secret, decrypt })
    }

    /// Decrypts the first block of the first message and checks its header: a hello of
    /// at most [`MAX_HELLO_BYTES`]. Returns the rest to read and how many bytes it takes.
    pub fn first_block(
        mut self,
        mut block: [u8; BLOCK],
    ) -> Result<(PendingHello, usize), P2pError> {
        self.decrypt.decrypt(&mut block)?;
        let mut h = [0u8; HEADER_LEN];
        h.copy_from_slice(&block[..HEADER_LEN]);
        let header = FrameHeader::parse(&h);
        if header.size > MAX_HELLO_BYTES {
            return Err(P2pError::TooLarge {
                size: header.size,
                limit: MAX_HELLO_BYTES,
            });
        }
        if header.msg_type != HELLO_MESSAGE_TYPE {
            return Err(P2pError::NotHello(header.msg_type));
        }
        let more = header.frame_len() - BLOCK;
        Ok((
            PendingHello {
                hs: self,
                first: block,
                size: header.size as usize,
            },
            more,
        ))
    }
}

/// A hello whose header was read: the rest of its frame is still on the wire.
pub struct PendingHello {
    hs: Handshake,
    /// The first block, decrypted.
    first: [u8; BLOCK],
    /// Payload bytes the header announced.
    size: usize,
}

impl PendingHello {
    /// Decrypts the rest of the frame (`rest` as long as [`Handshake::first_block`]
    /// said), parses the hello and checks its signature over this session's secret.
    pub fn finish(mut self, rest: &mut [u8]) -> Result<Hello, P2pError> {
        self.hs.decrypt.decrypt(rest)?;
        let mut payload = Vec::with_capacity(self.size);
        payload.extend_from_slice(&self.first[HEADER_LEN..]);
        payload.extend_from_slice(rest);
        if payload.len() < self.size {
            return Err(ChainError::UnexpectedEof("hello frame").into());
        }
        payload.truncate(self.size);
        let hello = Hello::parse(&payload)?;
        if !signed_by(
            &self.hs.secret,
            &hello.signed_shared_secret,
            &hello.node_public_key,
        ) {
            return Err(P2pError::BadSignature);
        }
        Ok(hello)
    }
}

/// The node signs SHA-256 of the shared secret with its node key (`sign_compact`) and
/// the peer recovers the key from it without the canonical check (node.cpp), so a
/// hello replayed from another session fails here.
pub fn signed_by(secret: &[u8; 64], sig: &[u8; 65], key: &[u8; 33]) -> bool {
    let Some(recid) = sig[0]
        .checked_sub(27)
        .filter(|b| *b < 8)
        .and_then(|b| RecoveryId::from_i32(i32::from(b & 3)).ok())
    else {
        return false;
    };
    let Ok(rs) = RecoverableSignature::from_compact(&sig[1..], recid) else {
        return false;
    };
    let digest = Message::from_digest(sha256(secret));
    Secp256k1::verification_only()
        .recover_ecdsa(&digest, &rs)
        .is_ok_and(|k| k.serialize() == *key)
}

/// The acceptor's side, for simnet's seed: the hello's `signed_shared_secret`, a
/// canonical compact signature of SHA-256(secret) by the node key, as fc's
/// `sign_compact` makes it.
pub fn sign_shared_secret(secret: &[u8; 64], node_key: &crate::chain::PrivateKey) -> [u8; 65] {
    crate::chain::signing::sign_canonical(&sha256(secret), node_key).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::PrivateKey;

    /// Builds what an acceptor sends after the keys: one encrypted hello frame.
    fn acceptor_frame(acceptor: &EphemeralKey, connector: &[u8; 33], hello: &Hello) -> Vec<u8> {
        let secret = acceptor
            .shared_secret(&parse_peer_key(connector).unwrap())
            .unwrap();
        let mut f = message::encode_frame(HELLO_MESSAGE_TYPE, &hello.encode());
        StreamKeys::from_secret(&secret)
            .encryptor()
            .encrypt(&mut f)
            .unwrap();
        f
    }

    fn hello_for(acceptor: &EphemeralKey, connector: &[u8; 33], node: &PrivateKey) -> Hello {
        let secret = acceptor
            .shared_secret(&parse_peer_key(connector).unwrap())
            .unwrap();
        Hello {
            user_agent: "BitShares Reference Implementation".into(),
            core_protocol_version: 106,
            inbound_address: std::net::Ipv4Addr::LOCALHOST,
            inbound_port: 1776,
            outbound_port: 1776,
            node_public_key: *node.public_key().as_bytes(),
            signed_shared_secret: sign_shared_secret(&secret, node),
            chain_id: [0xb5; 32],
            user_data: vec![("last_known_block_number".into(), Variant::Uint(7))],
        }
    }

    fn run(frame: &[u8], probe: &EphemeralKey, acceptor: &EphemeralKey) -> Result<Hello, P2pError> {
        let hs = Handshake::new(probe, acceptor.public())?;
        let mut first = [0u8; BLOCK];
        first.copy_from_slice(&frame[..BLOCK]);
        let (pending, more) = hs.first_block(first)?;
        let mut rest = frame[BLOCK..BLOCK + more].to_vec();
        pending.finish(&mut rest)
    }

    #[test]
    fn decrypts_and_verifies_this_sessions_hello() {
        let probe = EphemeralKey::from_bytes(&[3; 32]).unwrap();
        let acceptor = EphemeralKey::from_bytes(&[4; 32]).unwrap();
        let node = PrivateKey::from_bytes(&[5; 32]).unwrap();
        let hello = hello_for(&acceptor, probe.public(), &node);
        let frame = acceptor_frame(&acceptor, probe.public(), &hello);
        assert_eq!(run(&frame, &probe, &acceptor).unwrap(), hello);

        // The same hello replayed into another session: its signature is over the other
        // session's secret.
        let other = EphemeralKey::from_bytes(&[6; 32]).unwrap();
        let replay = acceptor_frame(&acceptor, other.public(), &hello);
        assert_eq!(
            run(&replay, &other, &acceptor).unwrap_err(),
            P2pError::BadSignature
        );
    }

    #[test]
    fn rejects_big_or_foreign_first_messages() {
        let probe = EphemeralKey::from_bytes(&[3; 32]).unwrap();
        let acceptor = EphemeralKey::from_bytes(&[4; 32]).unwrap();
        let secret = acceptor
            .shared_secret(&parse_peer_key(probe.public()).unwrap())
            .unwrap();
        let enc = |plain: &[u8]| {
            let mut b = plain.to_vec();
            StreamKeys::from_secret(&secret)
                .encryptor()
                .encrypt(&mut b)
                .unwrap();
            let mut a = [0u8; BLOCK];
            a.copy_from_slice(&b);
            a
        };
        let mut huge = [0u8; BLOCK];
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        huge[4..8].copy_from_slice(&5006u32.to_le_bytes());
        let hs = Handshake::new(&probe, acceptor.public()).unwrap();
        assert_eq!(
            hs.first_block(enc(&huge)).err().unwrap(),
            P2pError::TooLarge {
                size: u32::MAX,
                limit: MAX_HELLO_BYTES
            }
        );
        let mut other = [0u8; BLOCK];
        other[4..8].copy_from_slice(&5000u32.to_le_bytes());
        let hs = Handshake::new(&probe, acceptor.public()).unwrap();
        assert_eq!(
            hs.first_block(enc(&other)).err().unwrap(),
            P2pError::NotHello(5000)
        );
    }

    #[test]
    fn signature_recovery_needs_a_valid_recovery_byte() {
        let node = PrivateKey::from_bytes(&[5; 32]).unwrap();
        let secret = [9u8; 64];
        let mut sig = sign_shared_secret(&secret, &node);
        let key = *node.public_key().as_bytes();
        assert!(signed_by(&secret, &sig, &key));
        assert!(!signed_by(&[8u8; 64], &sig, &key));
        sig[0] = 26;
        assert!(!signed_by(&secret, &sig, &key));
    }
}
