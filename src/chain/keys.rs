//! Keys as BitShares writes them: WIF private keys, prefixed public keys with a
//! RIPEMD160 checksum, addresses, and the password / brain-key derivations wallets use.

use super::context::secp;
use super::error::ChainError;
use super::hash::{ripemd160, sha256, sha512};
use super::raw::{Pack, Reader, Unpack};
use secp256k1::SecretKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use zeroize::{Zeroize, Zeroizing};

/// Key/address prefixes the console knows networks for.
pub const KNOWN_PREFIXES: [&str; 2] = ["BTS", "TEST"];

/// A key-string prefix (`BTS`, `TEST`, ...). Kept inline and `Copy` so that keys stay
/// cheap to pass around; 15 ASCII letters is far more than any graphene chain uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    buf: [u8; 15],
    len: u8,
}

impl Prefix {
    pub const BTS: Prefix = Prefix::from_static(b"BTS");
    pub const TEST: Prefix = Prefix::from_static(b"TEST");

    const fn from_static(s: &[u8]) -> Prefix {
        let mut buf = [0u8; 15];
        let mut i = 0;
        while i < s.len() {
            buf[i] = s[i];
            i += 1;
        }
        Prefix {
            buf,
            len: s.len() as u8,
        }
    }

    pub fn new(s: &str) -> Result<Prefix, ChainError> {
        if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ChainError::UnknownPrefix(s.to_string()));
        }
        Ok(Prefix::from_static(s.as_bytes()))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits `PREFIX` from the base58 body. A public-key body always starts with a digit
/// (a 37-byte value beginning 02/03 encodes to 50 chars led by '4'..'8'), so the
/// prefix is the leading run of letters.
fn split_key_prefix(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
    s.split_at(n)
}

fn b58_decode(s: &str) -> Result<Vec<u8>, ChainError> {
    bs58::decode(s)
        .into_vec()
        .map_err(|e| ChainError::BadBase58(e.to_string()))
}

/// Decodes `payload ‖ ripemd160(payload)[0..4]`, the checksum graphene uses for
/// public keys and addresses.
fn decode_ripemd_checked<const N: usize>(
    body: &str,
    what: &'static str,
) -> Result<[u8; N], ChainError> {
    let raw = b58_decode(body)?;
    if raw.len() != N + 4 {
        return Err(ChainError::WrongLength {
            what,
            expected: N + 4,
            found: raw.len(),
        });
    }
    let (payload, check) = raw.split_at(N);
    if ripemd160(payload)[..4] != *check {
        return Err(ChainError::BadChecksum(what));
    }
    let mut out = [0u8; N];
    out.copy_from_slice(payload);
    Ok(out)
}

fn encode_ripemd_checked(prefix: &str, payload: &[u8]) -> String {
    let mut buf = Vec::with_capacity(payload.len() + 4);
    buf.extend_from_slice(payload);
    buf.extend_from_slice(&ripemd160(payload)[..4]);
    format!("{prefix}{}", bs58::encode(buf).into_string())
}

fn check_prefix(found: &str, expected: &str) -> Result<(), ChainError> {
    if found != expected {
        return Err(ChainError::WrongPrefix {
            expected: expected.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

/// A compressed secp256k1 public key plus the prefix it was written with. Equality,
/// ordering and hashing look at the key bytes only: the prefix is presentation.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 33],
    prefix: Prefix,
}

impl PublicKey {
    /// Validates that the bytes are a point on the curve; the prefix defaults to `BTS`
    /// (GRAPHENE_ADDRESS_PREFIX of mainnet builds).
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, ChainError> {
        let k =
            secp256k1::PublicKey::from_slice(bytes).map_err(|_| ChainError::InvalidPublicKey)?;
        Ok(PublicKey::from_secp(&k))
    }

    pub fn from_secp(k: &secp256k1::PublicKey) -> PublicKey {
        PublicKey {
            bytes: k.serialize(),
            prefix: Prefix::BTS,
        }
    }

    pub fn to_secp(&self) -> Result<secp256k1::PublicKey, ChainError> {
        secp256k1::PublicKey::from_slice(&self.bytes).map_err(|_| ChainError::InvalidPublicKey)
    }

    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.bytes
    }

    pub fn prefix(&self) -> &str {
        self.prefix.as_str()
    }

    pub fn with_prefix(mut self, prefix: Prefix) -> PublicKey {
        self.prefix = prefix;
        self
    }

    /// Parses `PREFIX‖base58(K33‖ripemd160(K33)[0..4])`, requiring `expected_prefix`
    /// as the node does for its own chain.
    pub fn parse(s: &str, expected_prefix: &str) -> Result<PublicKey, ChainError> {
        let (found, body) = split_key_prefix(s);
        check_prefix(found, expected_prefix)?;
        Self::parse_body(found, body)
    }

    /// Parses a key with whatever prefix it carries (e.g. to show it before the
    /// network is known).
    pub fn from_str_any_prefix(s: &str) -> Result<PublicKey, ChainError> {
        let (found, body) = split_key_prefix(s);
        Self::parse_body(found, body)
    }

    /// Parses a key whose prefix is one of [`KNOWN_PREFIXES`].
    pub fn from_str_known_prefix(s: &str) -> Result<PublicKey, ChainError> {
        let (found, body) = split_key_prefix(s);
        if !KNOWN_PREFIXES.contains(&found) {
            return Err(ChainError::UnknownPrefix(found.to_string()));
        }
        Self::parse_body(found, body)
    }

    fn parse_body(prefix: &str, body: &str) -> Result<PublicKey, ChainError> {
        let prefix = Prefix::new(prefix)?;
        let bytes: [u8; 33] = decode_ripemd_checked(body, "public key")?;
        Ok(PublicKey::from_bytes(&bytes)?.with_prefix(prefix))
    }

    pub fn to_string_with_prefix(&self, prefix: &str) -> String {
        encode_ripemd_checked(prefix, &self.bytes)
    }

    /// RIPEMD160(SHA512(K33)): the node's `address`, and the sort key of `key_auths`.
    pub fn address(&self) -> Address {
        Address {
            bytes: ripemd160(&sha512(&self.bytes)),
            prefix: self.prefix,
        }
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_with_prefix(self.prefix.as_str()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// `"...".parse()` accepts the networks the console knows (BTS, TEST); use
/// [`PublicKey::parse`] to insist on one of them.
impl std::str::FromStr for PublicKey {
    type Err = ChainError;

    fn from_str(s: &str) -> Result<Self, ChainError> {
        PublicKey::from_str_known_prefix(s)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    /// Accepts any prefix and keeps it; checking it against the network is the
    /// caller's job (the node would reject a mismatch).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PublicKey::from_str_any_prefix(&s).map_err(serde::de::Error::custom)
    }
}

impl Pack for PublicKey {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

impl Unpack for PublicKey {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        PublicKey::from_bytes(r.take(33, "public key")?)
    }
}

/// RIPEMD160(SHA512(K33)) with the prefix it is shown with. Equality and order use the
/// 20 bytes only.
#[derive(Clone, Copy)]
pub struct Address {
    bytes: [u8; 20],
    prefix: Prefix,
}

impl Address {
    pub fn from_bytes(bytes: [u8; 20]) -> Address {
        Address {
            bytes,
            prefix: Prefix::BTS,
        }
    }

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.bytes
    }

    pub fn to_string_with_prefix(&self, prefix: &str) -> String {
        encode_ripemd_checked(prefix, &self.bytes)
    }

    /// The base58 body of an address can start with a letter, so the prefix must be
    /// given rather than guessed.
    pub fn parse(s: &str, expected_prefix: &str) -> Result<Address, ChainError> {
        let Some(body) = s.strip_prefix(expected_prefix) else {
            let (found, _) = split_key_prefix(s);
            return Err(ChainError::WrongPrefix {
                expected: expected_prefix.to_string(),
                found: found.to_string(),
            });
        };
        let bytes = decode_ripemd_checked(body, "address")?;
        Ok(Address {
            bytes,
            prefix: Prefix::new(expected_prefix)?,
        })
    }

    /// Tries each of [`KNOWN_PREFIXES`].
    pub fn from_str_known_prefix(s: &str) -> Result<Address, ChainError> {
        let mut last = ChainError::UnknownPrefix(split_key_prefix(s).0.to_string());
        for p in KNOWN_PREFIXES {
            if s.starts_with(p) {
                match Address::parse(s, p) {
                    Ok(a) => return Ok(a),
                    Err(e) => last = e,
                }
            }
        }
        Err(last)
    }
}

impl PartialEq for Address {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Address {}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Address {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl Hash for Address {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_with_prefix(self.prefix.as_str()))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Address::from_str_known_prefix(&s).map_err(serde::de::Error::custom)
    }
}

impl Pack for Address {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

impl Unpack for Address {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok(Address::from_bytes(r.array("address")?))
    }
}

/// A secp256k1 secret. Erased on drop; `Debug` never prints it.
#[derive(Clone)]
pub struct PrivateKey {
    secret: SecretKey,
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        self.secret == other.secret
    }
}

impl Eq for PrivateKey {}

const WIF_VERSION: u8 = 0x80;

impl PrivateKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<PrivateKey, ChainError> {
        if bytes.len() != 32 {
            return Err(ChainError::WrongLength {
                what: "private key",
                expected: 32,
                found: bytes.len(),
            });
        }
        let secret = SecretKey::from_slice(bytes).map_err(|_| ChainError::InvalidPrivateKey)?;
        Ok(PrivateKey { secret })
    }

    pub fn from_hex(s: &str) -> Result<PrivateKey, ChainError> {
        let bytes =
            Zeroizing::new(hex::decode(s.trim()).map_err(|_| ChainError::BadHex("private key"))?);
        PrivateKey::from_bytes(&bytes)
    }

    /// `base58(0x80 ‖ secret ‖ checksum)`; the checksum is the first 4 bytes of
    /// double SHA-256, or of single SHA-256 as very old wallets wrote it.
    pub fn from_wif(wif: &str) -> Result<PrivateKey, ChainError> {
        let raw = Zeroizing::new(b58_decode(wif.trim())?);
        if raw.len() != 37 {
            return Err(ChainError::WrongLength {
                what: "WIF",
                expected: 37,
                found: raw.len(),
            });
        }
        let (payload, check) = raw.split_at(33);
        if payload[0] != WIF_VERSION {
            return Err(ChainError::BadWifVersion(payload[0]));
        }
        let single = sha256(payload);
        let double = sha256(&single);
        if double[..4] != *check && single[..4] != *check {
            return Err(ChainError::BadChecksum("WIF"));
        }
        PrivateKey::from_bytes(&payload[1..])
    }

    pub fn to_wif(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new(Vec::with_capacity(37));
        buf.push(WIF_VERSION);
        buf.extend_from_slice(&self.secret.secret_bytes());
        let check = sha256(&sha256(&buf));
        buf.extend_from_slice(&check[..4]);
        Zeroizing::new(bs58::encode(&*buf).into_string())
    }

    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.secret_bytes())
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The public key, shown with the `BTS` prefix until `with_prefix` says otherwise.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_secp(&self.secret.public_key(secp()))
    }

    /// The reference wallet's "cloud" login keys: SHA256(account ‖ role ‖ password),
    /// role one of `owner`, `active`, `memo`; no separators, no stretching.
    pub fn from_password(
        account: &str,
        role: &str,
        password: &str,
    ) -> Result<PrivateKey, ChainError> {
        let mut seed = Zeroizing::new(String::with_capacity(
            account.len() + role.len() + password.len(),
        ));
        seed.push_str(account);
        seed.push_str(role);
        seed.push_str(password);
        let digest = Zeroizing::new(sha256(seed.as_bytes()));
        PrivateKey::from_bytes(&*digest)
    }

    /// SHA256(SHA512(normalized ‖ " " ‖ sequence)) with graphenelib/bitsharesjs
    /// normalization (whitespace collapsed, case kept).
    pub fn from_brain_key(phrase: &str, sequence: u32) -> Result<PrivateKey, ChainError> {
        let normalized = Zeroizing::new(normalize_brain_key(phrase));
        Self::from_normalized_brain_key(&normalized, sequence)
    }

    /// The cli_wallet variant: the phrase is also upper-cased, so the same words give a
    /// different key than [`PrivateKey::from_brain_key`].
    pub fn from_brain_key_cli_wallet(
        phrase: &str,
        sequence: u32,
    ) -> Result<PrivateKey, ChainError> {
        let normalized = Zeroizing::new(normalize_brain_key_cli_wallet(phrase));
        Self::from_normalized_brain_key(&normalized, sequence)
    }

    fn from_normalized_brain_key(
        normalized: &str,
        sequence: u32,
    ) -> Result<PrivateKey, ChainError> {
        let mut seed = Zeroizing::new(format!("{normalized} {sequence}"));
        let mut wide = sha512(seed.as_bytes());
        let digest = Zeroizing::new(sha256(&wide));
        wide.zeroize();
        seed.zeroize();
        PrivateKey::from_bytes(&*digest)
    }
}

/// graphenelib / bitsharesjs: split on whitespace, join with single spaces.
pub fn normalize_brain_key(phrase: &str) -> String {
    phrase.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// cli_wallet: upper-case, then collapse whitespace.
pub fn normalize_brain_key_cli_wallet(phrase: &str) -> String {
    normalize_brain_key(&phrase.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";
    const PUB_TEST: &str = "TEST6UUbAGbTLLWfY2gAc8XmjGBz2c7WT4fYB5r1L1aHDwAY88ujex";

    #[test]
    fn wif_round_trip() {
        let k = PrivateKey::from_wif(WIF).unwrap();
        assert_eq!(&*k.to_wif(), WIF);
        assert_eq!(k.public_key().to_string_with_prefix("TEST"), PUB_TEST);
        assert!(format!("{k:?}").contains("redacted"));
    }

    #[test]
    fn wif_errors() {
        let mut bad = WIF.to_string();
        bad.pop();
        bad.push('K');
        assert_eq!(
            PrivateKey::from_wif(&bad),
            Err(ChainError::BadChecksum("WIF"))
        );
        assert!(matches!(
            PrivateKey::from_wif("5Hue0"),
            Err(ChainError::BadBase58(_))
        ));
        assert!(matches!(
            PrivateKey::from_wif("5Hue"),
            Err(ChainError::WrongLength { .. })
        ));
    }

    #[test]
    fn legacy_single_sha_checksum() {
        let k = PrivateKey::from_wif(WIF).unwrap();
        let mut buf = vec![0x80];
        buf.extend_from_slice(&*k.secret_bytes());
        let c = sha256(&buf);
        buf.extend_from_slice(&c[..4]);
        let legacy = bs58::encode(buf).into_string();
        assert_eq!(PrivateKey::from_wif(&legacy).unwrap(), k);
    }

    #[test]
    fn prefix_errors() {
        assert_eq!(
            PublicKey::parse(PUB_TEST, "BTS"),
            Err(ChainError::WrongPrefix {
                expected: "BTS".into(),
                found: "TEST".into()
            })
        );
        let k = PublicKey::from_str_any_prefix(&PUB_TEST.replace("TEST", "GPH")).unwrap();
        assert_eq!(k.prefix(), "GPH");
        assert_eq!(k, PublicKey::parse(PUB_TEST, "TEST").unwrap());
    }
}
