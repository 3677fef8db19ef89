//! The stcp key exchange and stream cipher of the P2P port (PROTOCOL.md §10).
//!
//! Each side sends a 33-byte compressed ephemeral key; the shared secret is SHA-512 of
//! the x-coordinate of (our private key × their public key), as fc's
//! `private_key::get_shared_secret` computes it. Both directions are AES-256-CBC with
//! key SHA-256(secret) and IV `city_hash_crc_128(secret)`, each one continuous CBC
//! stream over the whole connection, no padding scheme (frames are zero-padded to the
//! block size instead).

use aes::Aes256;
use cbc::cipher::generic_array::GenericArray;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use secp256k1::{PublicKey, Scalar, Secp256k1, SecretKey};
use zeroize::Zeroizing;

use super::P2pError;
use super::city::city_hash_crc_128_of_64;
use crate::chain::hash::{sha256, sha512};

/// Length of a compressed secp256k1 key on the wire.
pub const KEY_LEN: usize = 33;
/// AES block size: frames and reads come in multiples of it.
pub const BLOCK: usize = 16;

/// Checks the 33 bytes a peer sent are a compressed key a graphene node could have
/// sent, and returns it parsed.
pub fn parse_peer_key(key: &[u8; KEY_LEN]) -> Result<PublicKey, P2pError> {
    if !matches!(key[0], 0x02 | 0x03) {
        return Err(P2pError::NotAKey(key[0]));
    }
    PublicKey::from_slice(key).map_err(|_| P2pError::KeyNotOnCurve)
}

/// One side's ephemeral key pair for a single connection.
pub struct EphemeralKey {
    secret: SecretKey,
    public: [u8; KEY_LEN],
}

impl EphemeralKey {
    /// A key from 32 bytes of secret material (a fresh random draw, or a test's fixed
    /// bytes); `None` when the bytes are not a valid scalar (zero or ≥ the curve order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<EphemeralKey> {
        let secret = SecretKey::from_slice(bytes).ok()?;
        let public = PublicKey::from_secret_key(&Secp256k1::signing_only(), &secret).serialize();
        Some(EphemeralKey { secret, public })
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<EphemeralKey, P2pError> {
        // An invalid scalar has probability ~2^-128; a few draws always suffice.
        for _ in 0..8 {
            let mut b = Zeroizing::new([0u8; 32]);
            getrandom::getrandom(&mut *b).map_err(|e| P2pError::Random(e.to_string()))?;
            if let Some(k) = EphemeralKey::from_bytes(&b) {
                return Ok(k);
            }
        }
        Err(P2pError::Random("no valid key in 8 draws".into()))
    }

    /// The 33 bytes this side sends.
    pub fn public(&self) -> &[u8; KEY_LEN] {
        &self.public
    }

    /// fc's `get_shared_secret`: SHA-512 of the x-coordinate of our key × theirs.
    pub fn shared_secret(&self, theirs: &PublicKey) -> Result<Zeroizing<[u8; 64]>, P2pError> {
        let point = theirs
            .mul_tweak(&Secp256k1::verification_only(), &Scalar::from(self.secret))
            .map_err(|_| P2pError::KeyNotOnCurve)?;
        let compressed = point.serialize();
        Ok(Zeroizing::new(sha512(&compressed[1..])))
    }
}

/// AES key and IV of both directions, from the shared secret.
pub struct StreamKeys {
    key: Zeroizing<[u8; 32]>,
    iv: [u8; 16],
}

impl StreamKeys {
    pub fn from_secret(secret: &[u8; 64]) -> StreamKeys {
        StreamKeys {
            key: Zeroizing::new(sha256(secret)),
            iv: city_hash_crc_128_of_64(secret),
        }
    }

    pub fn iv(&self) -> &[u8; 16] {
        &self.iv
    }

    pub fn decryptor(&self) -> StreamDecryptor {
        StreamDecryptor(cbc::Decryptor::new(
            GenericArray::from_slice(&*self.key),
            GenericArray::from_slice(&self.iv),
        ))
    }

    pub fn encryptor(&self) -> StreamEncryptor {
        StreamEncryptor(cbc::Encryptor::new(
            GenericArray::from_slice(&*self.key),
            GenericArray::from_slice(&self.iv),
        ))
    }
}

/// The receiving direction: decrypts whole blocks in place, carrying the CBC state
/// from one call to the next as the connection's single stream does.
pub struct StreamDecryptor(cbc::Decryptor<Aes256>);

impl StreamDecryptor {
    /// `buf.len()` must be a multiple of [`BLOCK`]; a caller with a partial block has
    /// read too little.
    pub fn decrypt(&mut self, buf: &mut [u8]) -> Result<(), P2pError> {
        if buf.len() % BLOCK != 0 {
            return Err(P2pError::PartialBlock(buf.len()));
        }
        for block in buf.chunks_exact_mut(BLOCK) {
            self.0
                .decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        Ok(())
    }
}

/// The sending direction (simnet's seed speaks it).
pub struct StreamEncryptor(cbc::Encryptor<Aes256>);

impl StreamEncryptor {
    pub fn encrypt(&mut self, buf: &mut [u8]) -> Result<(), P2pError> {
        if buf.len() % BLOCK != 0 {
            return Err(P2pError::PartialBlock(buf.len()));
        }
        for block in buf.chunks_exact_mut(BLOCK) {
            self.0
                .encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> EphemeralKey {
        EphemeralKey::from_bytes(&[b; 32]).unwrap()
    }

    /// Both sides derive the same secret from their own private key and the other's
    /// public key, and it is SHA-512 of the x-coordinate of k_a·k_b·G.
    #[test]
    fn both_sides_derive_the_same_secret() {
        let (a, b) = (key(1), key(2));
        let pa = parse_peer_key(a.public()).unwrap();
        let pb = parse_peer_key(b.public()).unwrap();
        let s_ab = a.shared_secret(&pb).unwrap();
        let s_ba = b.shared_secret(&pa).unwrap();
        assert_eq!(*s_ab, *s_ba);
        // Independently: multiply G by the product of the scalars.
        let secp = Secp256k1::new();
        let sk_a = SecretKey::from_slice(&[1; 32]).unwrap();
        let sk_ab = sk_a
            .mul_tweak(&Scalar::from(SecretKey::from_slice(&[2; 32]).unwrap()))
            .unwrap();
        let p = PublicKey::from_secret_key(&secp, &sk_ab).serialize();
        assert_eq!(*s_ab, sha512(&p[1..]));
        assert_ne!(*s_ab, *key(3).shared_secret(&pb).unwrap());
    }

    #[test]
    fn peer_keys_are_checked() {
        let mut k = *key(1).public();
        assert!(parse_peer_key(&k).is_ok());
        k[0] = 0x04;
        assert_eq!(parse_peer_key(&k).unwrap_err(), P2pError::NotAKey(0x04));
        // x = 5 is not on secp256k1 (5³ + 7 = 132 is not a square mod p).
        let mut off = [0u8; 33];
        off[0] = 0x02;
        off[32] = 5;
        assert_eq!(parse_peer_key(&off).unwrap_err(), P2pError::KeyNotOnCurve);
    }

    /// The stream is one CBC chain: decrypting in pieces equals decrypting at once, and
    /// the second block depends on the first (no per-call IV reset).
    #[test]
    fn one_cbc_stream_per_direction() {
        let keys = StreamKeys::from_secret(&[7u8; 64]);
        let plain: Vec<u8> = (0..64u8).collect();
        let mut c = plain.clone();
        keys.encryptor().encrypt(&mut c).unwrap();
        assert_ne!(c, plain);
        assert_ne!(c[..16], c[16..32], "CBC chains blocks");
        let mut d = keys.decryptor();
        let (mut x, mut y) = (c[..16].to_vec(), c[16..].to_vec());
        d.decrypt(&mut x).unwrap();
        d.decrypt(&mut y).unwrap();
        assert_eq!([x, y].concat(), plain);
        let mut fresh = c[16..32].to_vec();
        keys.decryptor().decrypt(&mut fresh).unwrap();
        assert_ne!(
            fresh,
            plain[16..32],
            "a restarted stream must not decrypt mid-stream"
        );
        assert_eq!(
            keys.decryptor().decrypt(&mut [0u8; 15]).unwrap_err(),
            P2pError::PartialBlock(15)
        );
    }

    /// AES-256-CBC against the NIST SP 800-38A F.2.5 vector (first two blocks), through
    /// the same types the stream uses.
    #[test]
    fn aes256_cbc_nist_vector() {
        let key = hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .unwrap();
        let iv = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let mut buf =
            hex::decode("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d")
                .unwrap();
        let mut d = StreamDecryptor(cbc::Decryptor::new(
            GenericArray::from_slice(&key),
            GenericArray::from_slice(&iv),
        ));
        d.decrypt(&mut buf).unwrap();
        assert_eq!(
            hex::encode(buf),
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        );
    }
}
