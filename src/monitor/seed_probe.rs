//! The seed-node probe on the P2P port (PROTOCOL.md §10): L1 reads the 33-byte key the
//! node sends on accept; L2 then sends our own key, decrypts the `hello` the node sends
//! straight after and checks it was signed for this session. We never send a hello, so
//! the node never counts us as a peer; the connection is closed after the first message.
//!
//! The bytes are interpreted by [`crate::chain::p2p`]; this file only moves them, each
//! read bounded in size and time.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chain::TimePointSec;
use crate::chain::p2p::{BLOCK, EphemeralKey, Handshake, Hello, KEY_LEN, Variant};

use super::model::{EndpointSnapshot, SeedHello, SeedLevel};

/// Why a probe failed: an error kind for filtering and the message.
pub type Failure = (&'static str, String);

/// What a seed's verified hello says, in the shapes the snapshot keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct L2Facts {
    pub chain_id: String,
    pub head_num: Option<u32>,
    pub head_id: Option<String>,
    /// Chain time of the seed's head block, unix seconds.
    pub head_time: Option<i64>,
    pub hello: SeedHello,
}

/// One probe's outcome once L1 answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedAnswer {
    /// TCP connect time.
    pub connect: Duration,
    pub key: [u8; KEY_LEN],
    /// The verified hello, or why L2 did not answer (the seed still answered at L1).
    pub l2: Result<Hello, Failure>,
}

/// Probes `addr`: L1 must answer within `timeout` of starting (else the seed is down,
/// the error says why); L2 then gets `timeout` more for the hello.
pub async fn probe(addr: &str, timeout: Duration) -> Result<SeedAnswer, Failure> {
    let t0 = Instant::now();
    let mut stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| ("timeout", format!("connect: no answer within {timeout:?}")))?
        .map_err(|e| ("connect", format!("connect: {e}")))?;
    let connect = t0.elapsed();
    let mut key = [0u8; KEY_LEN];
    let left = timeout.saturating_sub(connect);
    tokio::time::timeout(left, stream.read_exact(&mut key))
        .await
        .map_err(|_| {
            (
                "timeout",
                format!("no 33-byte key within {timeout:?} of connecting"),
            )
        })?
        .map_err(|e| ("protocol", format!("reading the key: {e}")))?;
    if !matches!(key[0], 0x02 | 0x03) {
        return Err((
            "protocol",
            format!(
                "first key byte is {:#04x}, not 0x02/0x03: not a graphene P2P node",
                key[0]
            ),
        ));
    }
    let l2 = match tokio::time::timeout(timeout, hello(&mut stream, &key)).await {
        Ok(r) => r,
        Err(_) => Err((
            "timeout",
            format!("L2: no hello within {timeout:?} of the key exchange"),
        )),
    };
    Ok(SeedAnswer { connect, key, l2 })
}

/// L2 on a stream whose 33-byte key was read: our key out, the first frame in.
async fn hello(stream: &mut TcpStream, theirs: &[u8; KEY_LEN]) -> Result<Hello, Failure> {
    let l2 = |e: crate::chain::p2p::P2pError| ("protocol", format!("L2: {e}"));
    let io = |what: &str, e: std::io::Error| ("protocol", format!("L2: {what}: {e}"));
    let ours = EphemeralKey::random().map_err(l2)?;
    let hs = Handshake::new(&ours, theirs).map_err(l2)?;
    stream
        .write_all(ours.public())
        .await
        .map_err(|e| io("sending our key", e))?;
    let mut first = [0u8; BLOCK];
    stream
        .read_exact(&mut first)
        .await
        .map_err(|e| io("reading the hello", e))?;
    // Bounded by the handshake: at most MAX_HELLO_BYTES, whatever the header claims.
    let (pending, more) = hs.first_block(first).map_err(l2)?;
    let mut rest = vec![0u8; more];
    stream
        .read_exact(&mut rest)
        .await
        .map_err(|e| io("reading the hello", e))?;
    pending.finish(&mut rest).map_err(l2)
}

/// Writes a probe's answer into the seed's snapshot: the level that answered, and at
/// L2 the chain id (checked against the network's), head and software. What only a
/// hello tells is cleared when L2 did not answer, so nothing stale is judged.
pub fn record(s: &mut EndpointSnapshot, a: &SeedAnswer, configured_chain_id: &str) {
    s.connect_ms = Some((a.connect.as_secs_f64() * 1e6).round() / 1e3);
    s.seed_key = Some(hex::encode(a.key));
    match a.l2.as_ref().map(facts) {
        Ok(f) => {
            s.seed_level = Some(SeedLevel::L2);
            s.chain_mismatch = f.chain_id != configured_chain_id;
            s.chain_id = Some(f.chain_id);
            s.head_num = f.head_num;
            s.head_id = f.head_id;
            s.head_time = f.head_time;
            s.seed_hello = Some(f.hello);
        }
        Err(_) => {
            clear_hello(s);
            s.seed_level = Some(SeedLevel::L1);
        }
    }
}

/// Clears what a probe learned (the seed did not answer at all).
pub fn forget(s: &mut EndpointSnapshot) {
    s.connect_ms = None;
    s.seed_level = None;
    clear_hello(s);
}

fn clear_hello(s: &mut EndpointSnapshot) {
    s.chain_mismatch = false;
    s.chain_id = None;
    s.head_num = None;
    s.head_id = None;
    s.head_time = None;
    s.seed_hello = None;
}

/// A `user_data` string, or a blob as hex (fc writes byte arrays as hex strings; a blob
/// is the other way an implementation could send them).
fn text(h: &Hello, key: &str) -> Option<String> {
    match h.get(key)? {
        Variant::String(s) => Some(s.clone()),
        Variant::Blob(b) => Some(hex::encode(b)),
        _ => None,
    }
}

/// The parts of a hello the monitor shows and judges.
pub fn facts(h: &Hello) -> L2Facts {
    let head_num = h
        .get("last_known_block_number")
        .and_then(Variant::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    let head_time = text(h, "last_known_block_time")
        .and_then(|t| t.parse::<TimePointSec>().ok())
        .map(|t| i64::from(t.unix()));
    L2Facts {
        chain_id: hex::encode(h.chain_id),
        head_num,
        head_id: text(h, "last_known_block_hash"),
        head_time,
        hello: SeedHello {
            user_agent: h.user_agent.clone(),
            core_protocol_version: h.core_protocol_version,
            node_id: text(h, "node_id"),
            node_public_key: hex::encode(h.node_public_key),
            fc_revision: text(h, "fc_git_revision_sha"),
            platform: text(h, "platform"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn facts_from_user_data() {
        let h = Hello {
            user_agent: "BitShares Reference Implementation".into(),
            core_protocol_version: 106,
            inbound_address: Ipv4Addr::LOCALHOST,
            inbound_port: 1,
            outbound_port: 1,
            node_public_key: [2; 33],
            signed_shared_secret: [0; 65],
            chain_id: [0xab; 32],
            user_data: vec![
                ("node_id".into(), Variant::Blob(vec![3; 33])),
                ("last_known_block_number".into(), Variant::Uint(1234)),
                (
                    "last_known_block_hash".into(),
                    Variant::String("000004d2ff".into()),
                ),
                (
                    "last_known_block_time".into(),
                    Variant::String("2026-12-06T10:00:00".into()),
                ),
                ("platform".into(), Variant::String("linux".into())),
            ],
        };
        let f = facts(&h);
        assert_eq!(f.chain_id, "ab".repeat(32));
        assert_eq!(f.head_num, Some(1234));
        assert_eq!(f.head_id.as_deref(), Some("000004d2ff"));
        assert_eq!(f.head_time, Some(1_796_551_200));
        assert_eq!(f.hello.node_id, Some("03".repeat(33)));
        assert_eq!(f.hello.platform.as_deref(), Some("linux"));
        assert_eq!(f.hello.fc_revision, None);
        // A block number past u32 is not a head.
        let mut big = h.clone();
        big.user_data[1].1 = Variant::Uint(u64::MAX);
        assert_eq!(facts(&big).head_num, None);
    }
}
