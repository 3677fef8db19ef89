//! Seed nodes: TCP listeners that speak the start of a graphene P2P connection as the
//! reference node does (PROTOCOL.md §10): on accept, a fresh 33-byte ephemeral key;
//! once the peer's key arrives, the encrypted `hello` (chain id, head, software) signed
//! for this session. Nothing further of the protocol is spoken: the seed then waits
//! for the peer to leave, or drops it after the handshake timeout a real node applies.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::chain::p2p::message::encode_frame;
use crate::chain::p2p::{
    EphemeralKey, HELLO_MESSAGE_TYPE, Hello, KEY_LEN, StreamKeys, Variant, parse_peer_key,
    sign_shared_secret,
};
use crate::chain::{PrivateKey, TimePointSec};

use super::faults::{FaultHandle, FaultState};
use super::node::NetworkShared;
use super::server::{ConnectionGuard, DripStream, wait_while_frozen};

/// A real node drops peers that have not finished the handshake after 5 s.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// What the reference node (7.0.2) sends as `user_agent` and `core_protocol_version`.
pub const USER_AGENT: &str = "BitShares Reference Implementation";
pub const CORE_PROTOCOL_VERSION: u32 = 106;
/// The reference node's `fc_git_revision_sha` and its timestamp (bitshares-fc 3ea07ea).
const FC_REVISION: &str = "3ea07ea3e201bcfbf6665c300a50e0f9e2a8b2d3";
const FC_REVISION_TIME: u64 = 1_700_326_851;

pub struct SeedRuntime {
    pub network: Arc<NetworkShared>,
    pub name: String,
    pub faults: FaultHandle,
    pub connections: AtomicUsize,
    /// The P2P port, announced in the hello.
    port: u16,
    /// Blocks behind the network head that this seed's hello reports.
    lag_blocks: u32,
    /// The node's permanent P2P key, which signs each session's secret.
    node_key: PrivateKey,
    /// `user_data.node_id`: 33 bytes, as hex.
    node_id: String,
    /// The chain id a `wrong_chain_id` fault announces.
    wrong_chain_id: [u8; 32],
    counter: AtomicU64,
}

/// A valid secret key derived from a label (simnet needs no RNG, and a fleet started
/// twice gets the same node keys).
fn derived_secret(label: &str) -> [u8; 32] {
    let mut i = 0u32;
    loop {
        let seed: [u8; 32] = Sha256::digest(format!("{label}/{i}")).into();
        if secp256k1::SecretKey::from_slice(&seed).is_ok() {
            return seed;
        }
        i += 1;
    }
}

impl SeedRuntime {
    pub fn new(
        network: Arc<NetworkShared>,
        name: impl Into<String>,
        port: u16,
        lag_blocks: u32,
    ) -> Arc<Self> {
        let name = name.into();
        let label = format!("{}/{name}", network.name);
        let chain_id = network.with_chain(|c| c.state().spec.chain_id.clone());
        let node_key = PrivateKey::from_bytes(&derived_secret(&format!("node key {label}")))
            .unwrap_or_else(|_| unreachable!("derived_secret returns a valid scalar"));
        let mut node_id = vec![0u8; 33];
        node_id[1..].copy_from_slice(&Sha256::digest(format!("node id {label}")));
        Arc::new(SeedRuntime {
            name,
            faults: FaultHandle::new(),
            connections: AtomicUsize::new(0),
            port,
            lag_blocks,
            node_key,
            node_id: hex::encode(node_id),
            wrong_chain_id: Sha256::digest(format!("wrong chain of {chain_id}")).into(),
            counter: AtomicU64::new(0),
            network,
        })
    }

    /// A fresh key per connection, as the real node's ephemeral ECDH key is; derived
    /// from a hash so no RNG is needed.
    pub fn ephemeral_key(&self) -> EphemeralKey {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let label = format!("{}/{}/{n}", self.network.name, self.name);
        EphemeralKey::from_bytes(&derived_secret(&label))
            .unwrap_or_else(|| unreachable!("derived_secret returns a valid scalar"))
    }

    /// The hello this seed sends on a session with shared secret `secret`, laid out as
    /// the reference node's (same fields, `user_data` keys in the same order).
    pub fn hello(&self, secret: &[u8; 64], faults: &FaultState) -> Hello {
        let state = self.network.lagging(self.lag_blocks);
        let dgp = &state.dgp;
        let chain_id = if faults.wrong_chain_id {
            self.wrong_chain_id
        } else {
            let mut id = [0u8; 32];
            // The spec's id is 64 hex characters (validated when the fleet is read).
            if let Ok(b) = hex::decode(&state.spec.chain_id) {
                if b.len() == 32 {
                    id.copy_from_slice(&b);
                }
            }
            id
        };
        let time = u32::try_from(dgp.time).unwrap_or(0);
        Hello {
            user_agent: USER_AGENT.into(),
            core_protocol_version: CORE_PROTOCOL_VERSION,
            inbound_address: Ipv4Addr::LOCALHOST,
            inbound_port: self.port,
            outbound_port: self.port,
            node_public_key: *self.node_key.public_key().as_bytes(),
            signed_shared_secret: sign_shared_secret(secret, &self.node_key),
            chain_id,
            user_data: vec![
                (
                    "fc_git_revision_sha".into(),
                    Variant::String(FC_REVISION.into()),
                ),
                (
                    "fc_git_revision_unix_timestamp".into(),
                    Variant::Uint(FC_REVISION_TIME),
                ),
                ("platform".into(), Variant::String("linux".into())),
                ("bitness".into(), Variant::Uint(64)),
                ("node_id".into(), Variant::String(self.node_id.clone())),
                (
                    "last_known_block_hash".into(),
                    Variant::String(dgp.head_block_id.hex()),
                ),
                (
                    "last_known_block_number".into(),
                    Variant::Uint(u64::from(dgp.head_block_number)),
                ),
                (
                    "last_known_block_time".into(),
                    Variant::String(TimePointSec::from_unix(time).to_string()),
                ),
            ],
        }
    }
}

/// Reads into a scratch buffer until the peer closes (or errors).
async fn drain<S: AsyncRead + Unpin>(s: &mut S) {
    let mut sink = [0u8; 256];
    while let Ok(n) = s.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

pub async fn serve_seed_connection(seed: Arc<SeedRuntime>, mut stream: TcpStream) {
    let _guard = ConnectionGuard::new(&seed.connections);
    let mut faults = seed.faults.subscribe();
    // Mute behaves like frozen for the key: wait (reading) until it clears or the peer leaves.
    loop {
        let (frozen, mute) = {
            let s = faults.borrow_and_update();
            (s.frozen, s.mute_seed)
        };
        if !frozen && !mute {
            break;
        }
        if frozen {
            if !wait_while_frozen(&mut stream, &mut faults).await {
                return;
            }
            continue;
        }
        let mut sink = [0u8; 256];
        tokio::select! {
            r = stream.read(&mut sink) => if matches!(r, Ok(0) | Err(_)) { return },
            r = faults.changed() => if r.is_err() { return },
        }
    }
    let delay = faults.borrow().link_delay();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let ours = seed.ephemeral_key();
    let mut out = DripStream::new(stream, faults.clone());
    if out.write_all(ours.public()).await.is_err() || out.flush().await.is_err() {
        return;
    }
    // The rest of the handshake within the timeout a real node applies: the peer's key,
    // our hello, then nothing until the peer leaves.
    let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        let mut theirs = [0u8; KEY_LEN];
        if out.read_exact(&mut theirs).await.is_err() {
            return;
        }
        // A bad key ends the connection, as the node's failed key exchange does.
        let Ok(peer) = parse_peer_key(&theirs) else {
            return;
        };
        let Ok(secret) = ours.shared_secret(&peer) else {
            return;
        };
        let hello = seed.hello(&secret, &faults.borrow());
        let mut frame = encode_frame(HELLO_MESSAGE_TYPE, &hello.encode());
        if StreamKeys::from_secret(&secret)
            .encryptor()
            .encrypt(&mut frame)
            .is_err()
        {
            return;
        }
        if out.write_all(&frame).await.is_err() || out.flush().await.is_err() {
            return;
        }
        drain(&mut out).await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simnet::chain_state::{Chain, ChainSpec};

    fn runtime() -> Arc<SeedRuntime> {
        let spec = ChainSpec::new(crate::simnet::chain_state::MAINNET_CHAIN_ID, "BTS");
        let chain = Chain::genesis(spec, 1_700_000_000).unwrap();
        SeedRuntime::new(NetworkShared::new("mainnet", chain, 0), "seed-1", 1776, 0)
    }

    #[test]
    fn keys_are_compressed_and_fresh() {
        let s = runtime();
        let a = *s.ephemeral_key().public();
        let b = *s.ephemeral_key().public();
        assert!(a[0] == 2 || a[0] == 3);
        assert_ne!(a, b);
        assert!(parse_peer_key(&a).is_ok());
    }

    /// The hello verifies on the connecting side (signed for this session) and carries
    /// the chain id, or another under the wrong-chain fault.
    #[test]
    fn hello_is_signed_for_the_session_and_follows_faults() {
        let s = runtime();
        let secret = [5u8; 64];
        let h = s.hello(&secret, &FaultState::default());
        assert!(crate::chain::p2p::signed_by(
            &secret,
            &h.signed_shared_secret,
            &h.node_public_key
        ));
        assert_eq!(
            hex::encode(h.chain_id),
            crate::simnet::chain_state::MAINNET_CHAIN_ID
        );
        assert_eq!(h.get("last_known_block_number"), Some(&Variant::Uint(0)));
        let wrong = FaultState {
            wrong_chain_id: true,
            ..FaultState::default()
        };
        assert_ne!(s.hello(&secret, &wrong).chain_id, h.chain_id);
    }
}
