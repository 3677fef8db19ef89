//! Seed nodes: TCP listeners that, like a graphene P2P node, write a 33-byte compressed
//! secp256k1 public key as soon as a peer connects (PROTOCOL §10, probe level L1).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::faults::FaultHandle;
use super::server::{ConnectionGuard, DripStream, wait_while_frozen};

/// A real node drops peers that have not finished the handshake after 5 s.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SeedRuntime {
    pub network: String,
    pub name: String,
    pub faults: FaultHandle,
    pub connections: AtomicUsize,
    counter: AtomicU64,
}

impl SeedRuntime {
    pub fn new(network: impl Into<String>, name: impl Into<String>) -> Arc<Self> {
        Arc::new(SeedRuntime {
            network: network.into(),
            name: name.into(),
            faults: FaultHandle::new(),
            connections: AtomicUsize::new(0),
            counter: AtomicU64::new(0),
        })
    }

    /// A fresh valid key per connection, as the real node's ephemeral ECDH key is; derived
    /// from a hash so no RNG is needed.
    pub fn ephemeral_key(&self) -> [u8; 33] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let secp = secp256k1::Secp256k1::signing_only();
        let mut i = 0u32;
        loop {
            let seed = Sha256::digest(format!("{}/{}/{n}/{i}", self.network, self.name));
            if let Ok(sk) = secp256k1::SecretKey::from_slice(&seed) {
                return secp256k1::PublicKey::from_secret_key(&secp, &sk).serialize();
            }
            i += 1;
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
    let key = seed.ephemeral_key();
    let mut out = DripStream::new(stream, faults.clone());
    if out.write_all(&key).await.is_err() || out.flush().await.is_err() {
        return;
    }
    // Nothing of the handshake follows; keep the socket until the peer closes or the
    // handshake timeout a real node applies.
    let mut sink = [0u8; 256];
    let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        while let Ok(n) = out.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_compressed_and_fresh() {
        let s = SeedRuntime::new("mainnet", "seed-1");
        let a = s.ephemeral_key();
        let b = s.ephemeral_key();
        assert!(a[0] == 2 || a[0] == 3);
        assert_ne!(a, b);
        assert!(secp256k1::PublicKey::from_slice(&a).is_ok());
    }
}
