//! P2P message frames and the `hello` message (PROTOCOL.md §10), as plain bytes: no
//! socket, no cipher. Every length read from the wire is checked against what the
//! input can hold before anything is allocated.

use std::net::Ipv4Addr;

use super::P2pError;
use super::cipher::BLOCK;
use crate::chain::error::ChainError;
use crate::chain::raw::{Reader, write_varint};

/// `hello_message_type` in graphene's core messages.
pub const HELLO_MESSAGE_TYPE: u32 = 5006;
/// graphene's `MAX_MESSAGE_SIZE`: a node drops a peer that announces a bigger message.
pub const MAX_MESSAGE_SIZE: u32 = 2 * 1024 * 1024;
/// `size` and `msg_type`, both u32 LE.
pub const HEADER_LEN: usize = 8;
/// Nesting limit for `user_data` variants: deep enough for anything a node sends, low
/// enough that a hostile peer cannot exhaust the stack.
const MAX_VARIANT_DEPTH: u32 = 16;

/// A frame header: payload size (without header or padding) and message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub size: u32,
    pub msg_type: u32,
}

impl FrameHeader {
    /// From the first bytes of a decrypted frame.
    pub fn parse(b: &[u8; HEADER_LEN]) -> FrameHeader {
        FrameHeader {
            size: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            msg_type: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Bytes on the wire for the whole frame: header + payload, zero-padded to the
    /// AES block size.
    pub fn frame_len(&self) -> usize {
        (HEADER_LEN + self.size as usize).div_ceil(BLOCK) * BLOCK
    }
}

/// One frame, unencrypted: header, payload, zero padding to the block size.
pub fn encode_frame(msg_type: u32, payload: &[u8]) -> Vec<u8> {
    let header = FrameHeader {
        size: payload.len() as u32,
        msg_type,
    };
    let mut out = Vec::with_capacity(header.frame_len());
    out.extend_from_slice(&header.size.to_le_bytes());
    out.extend_from_slice(&msg_type.to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(header.frame_len(), 0);
    out
}

/// An `fc::variant`, as `fc::raw` packs it: a one-byte type tag, then the value.
#[derive(Debug, Clone, PartialEq)]
pub enum Variant {
    Null,
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    String(String),
    Array(Vec<Variant>),
    Object(Vec<(String, Variant)>),
    Blob(Vec<u8>),
}

impl Variant {
    /// Integers as a node sends them: uint64 or int64 (fc picks by the C++ type).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Variant::Uint(v) => Some(*v),
            Variant::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Variant::String(s) => Some(s),
            _ => None,
        }
    }

    fn unpack(r: &mut Reader<'_>, depth: u32) -> Result<Variant, P2pError> {
        if depth > MAX_VARIANT_DEPTH {
            return Err(P2pError::TooDeep);
        }
        let tag = r.take(1, "variant tag")?[0];
        Ok(match tag {
            0 => Variant::Null,
            1 => Variant::Int(i64::from_le_bytes(r.array("int64")?)),
            2 => Variant::Uint(u64::from_le_bytes(r.array("uint64")?)),
            3 => Variant::Double(f64::from_le_bytes(r.array("double")?)),
            4 => match r.take(1, "bool")?[0] {
                0 => Variant::Bool(false),
                1 => Variant::Bool(true),
                b => return Err(ChainError::BadBool(b).into()),
            },
            5 => Variant::String(string(r)?),
            6 => {
                let n = r.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(Variant::unpack(r, depth + 1)?);
                }
                Variant::Array(v)
            }
            7 => Variant::Object(object(r, depth + 1)?),
            8 => {
                let n = r.count()?;
                Variant::Blob(r.take(n, "blob")?.to_vec())
            }
            t => return Err(P2pError::BadVariantTag(t)),
        })
    }

    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            Variant::Null => out.push(0),
            Variant::Int(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Variant::Uint(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Variant::Double(v) => {
                out.push(3);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Variant::Bool(v) => {
                out.push(4);
                out.push(u8::from(*v));
            }
            Variant::String(s) => {
                out.push(5);
                pack_string(out, s);
            }
            Variant::Array(v) => {
                out.push(6);
                write_varint(out, v.len() as u64);
                for x in v {
                    x.pack(out);
                }
            }
            Variant::Object(o) => {
                out.push(7);
                pack_object(out, o);
            }
            Variant::Blob(b) => {
                out.push(8);
                write_varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
        }
    }
}

fn string(r: &mut Reader<'_>) -> Result<String, P2pError> {
    let n = r.count()?;
    let b = r.take(n, "string")?;
    String::from_utf8(b.to_vec()).map_err(|_| ChainError::BadUtf8.into())
}

fn pack_string(out: &mut Vec<u8>, s: &str) {
    write_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn object(r: &mut Reader<'_>, depth: u32) -> Result<Vec<(String, Variant)>, P2pError> {
    // Each entry takes at least two bytes (empty key, null tag); `count` already caps
    // the number by the bytes left.
    let n = r.count()?;
    let mut o = Vec::with_capacity(n / 2);
    for _ in 0..n {
        let k = string(r)?;
        let v = Variant::unpack(r, depth)?;
        o.push((k, v));
    }
    Ok(o)
}

fn pack_object(out: &mut Vec<u8>, o: &[(String, Variant)]) {
    write_varint(out, o.len() as u64);
    for (k, v) in o {
        pack_string(out, k);
        v.pack(out);
    }
}

/// graphene's `hello_message`, field for field.
#[derive(Debug, Clone, PartialEq)]
pub struct Hello {
    pub user_agent: String,
    pub core_protocol_version: u32,
    pub inbound_address: Ipv4Addr,
    pub inbound_port: u16,
    pub outbound_port: u16,
    /// The node's permanent P2P key (what `signed_shared_secret` recovers to).
    pub node_public_key: [u8; 33],
    /// Compact signature of SHA-256(shared secret) by `node_public_key`'s private key.
    pub signed_shared_secret: [u8; 65],
    pub chain_id: [u8; 32],
    /// `fc_git_revision_sha`, `platform`, `node_id`, `last_known_block_*`, …
    pub user_data: Vec<(String, Variant)>,
}

impl Hello {
    /// Parses a hello payload. Bytes after `user_data` are ignored, as the node's own
    /// unpacking ignores them (a newer node may append fields).
    pub fn parse(payload: &[u8]) -> Result<Hello, P2pError> {
        let mut r = Reader::new(payload);
        let user_agent = string(&mut r)?;
        let core_protocol_version = u32::from_le_bytes(r.array("core_protocol_version")?);
        let inbound_address = Ipv4Addr::from(u32::from_le_bytes(r.array("inbound_address")?));
        let inbound_port = u16::from_le_bytes(r.array("inbound_port")?);
        let outbound_port = u16::from_le_bytes(r.array("outbound_port")?);
        let node_public_key = r.array("node_public_key")?;
        let signed_shared_secret = r.array("signed_shared_secret")?;
        let chain_id = r.array("chain_id")?;
        let user_data = object(&mut r, 1)?;
        Ok(Hello {
            user_agent,
            core_protocol_version,
            inbound_address,
            inbound_port,
            outbound_port,
            node_public_key,
            signed_shared_secret,
            chain_id,
            user_data,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        pack_string(&mut out, &self.user_agent);
        out.extend_from_slice(&self.core_protocol_version.to_le_bytes());
        out.extend_from_slice(&u32::from(self.inbound_address).to_le_bytes());
        out.extend_from_slice(&self.inbound_port.to_le_bytes());
        out.extend_from_slice(&self.outbound_port.to_le_bytes());
        out.extend_from_slice(&self.node_public_key);
        out.extend_from_slice(&self.signed_shared_secret);
        out.extend_from_slice(&self.chain_id);
        pack_object(&mut out, &self.user_data);
        out
    }

    /// A `user_data` entry.
    pub fn get(&self, key: &str) -> Option<&Variant> {
        self.user_data
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Hello {
        Hello {
            user_agent: "BitShares Reference Implementation".into(),
            core_protocol_version: 106,
            inbound_address: Ipv4Addr::LOCALHOST,
            inbound_port: 1776,
            outbound_port: 1776,
            node_public_key: [2; 33],
            signed_shared_secret: [0x1f; 65],
            chain_id: [0xb5; 32],
            user_data: vec![
                ("platform".into(), Variant::String("linux".into())),
                ("bitness".into(), Variant::Uint(64)),
                ("last_known_block_number".into(), Variant::Uint(42)),
                ("neg".into(), Variant::Int(-1)),
                (
                    "list".into(),
                    Variant::Array(vec![Variant::Null, Variant::Bool(true)]),
                ),
                (
                    "obj".into(),
                    Variant::Object(vec![("d".into(), Variant::Double(0.5))]),
                ),
                ("blob".into(), Variant::Blob(vec![1, 2, 3])),
            ],
        }
    }

    #[test]
    fn hello_layout_and_round_trip() {
        let h = sample();
        let b = h.encode();
        // user_agent: varint 34 then the text; then version 106 LE; then 127.0.0.1 as
        // the bytes PROTOCOL.md §10 shows (0100007f).
        assert_eq!(b[0], 34);
        assert_eq!(&b[1..35], b"BitShares Reference Implementation");
        assert_eq!(&b[35..39], &106u32.to_le_bytes());
        assert_eq!(hex::encode(&b[39..43]), "0100007f");
        assert_eq!(&b[43..45], &1776u16.to_le_bytes());
        assert_eq!(Hello::parse(&b).unwrap(), h);
        assert_eq!(
            h.get("last_known_block_number").and_then(Variant::as_u64),
            Some(42)
        );
        assert_eq!(h.get("neg").and_then(Variant::as_u64), None);
        // Trailing bytes (fields a newer node might append) are ignored.
        let mut longer = b.clone();
        longer.extend_from_slice(&[9, 9, 9]);
        assert_eq!(Hello::parse(&longer).unwrap(), h);
    }

    #[test]
    fn truncated_or_malformed_hellos_are_errors() {
        let b = sample().encode();
        for cut in [0, 1, 20, 40, 45, 100, 170, b.len() - 1] {
            assert!(Hello::parse(&b[..cut]).is_err(), "cut at {cut}");
        }
        // A string length far past the end.
        let mut huge = b.clone();
        huge[0] = 0xff;
        huge[1] = 0xff;
        assert!(Hello::parse(&huge).is_err());
        // An unknown variant tag in user_data.
        let mut bad = sample();
        bad.user_data = vec![("x".into(), Variant::Null)];
        let mut enc = bad.encode();
        let last = enc.len() - 1;
        enc[last] = 9;
        assert_eq!(Hello::parse(&enc).unwrap_err(), P2pError::BadVariantTag(9));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut v = Variant::Null;
        for _ in 0..100 {
            v = Variant::Array(vec![v]);
        }
        let mut h = sample();
        h.user_data = vec![("deep".into(), v)];
        assert_eq!(Hello::parse(&h.encode()).unwrap_err(), P2pError::TooDeep);
    }

    #[test]
    fn frames_pad_to_the_block_size() {
        let f = encode_frame(HELLO_MESSAGE_TYPE, &[1; 529]);
        assert_eq!(f.len(), 544);
        let h = FrameHeader::parse(f[..8].try_into().unwrap());
        assert_eq!(
            h,
            FrameHeader {
                size: 529,
                msg_type: 5006
            }
        );
        assert_eq!(h.frame_len(), 544);
        assert!(f[8 + 529..].iter().all(|b| *b == 0));
        assert_eq!(encode_frame(1, &[1; 8]).len(), 16);
        assert_eq!(encode_frame(1, &[]).len(), 16);
    }
}
