//! fc::raw binary encoding: the bytes the node hashes and signs.
//!
//! `Pack` writes, `Unpack` reads; a reader never trusts a length prefix for allocation
//! beyond what the remaining input could hold.

use super::error::ChainError;

pub trait Pack {
    fn pack(&self, out: &mut Vec<u8>);

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.pack(&mut out);
        out
    }
}

pub trait Unpack: Sized {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError>;

    /// Decodes a whole buffer; leftover bytes are an error because they mean the
    /// caller and the encoder disagree about the type.
    fn from_bytes(bytes: &[u8]) -> Result<Self, ChainError> {
        let mut r = Reader::new(bytes);
        let v = Self::unpack(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ChainError> {
        if self.remaining() < n {
            return Err(ChainError::UnexpectedEof(what));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ChainError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn finish(&self) -> Result<(), ChainError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(ChainError::TrailingBytes(n)),
        }
    }

    /// Element count of a container, capped by the bytes left so a hostile length
    /// cannot make us reserve gigabytes.
    pub fn count(&mut self) -> Result<usize, ChainError> {
        let n = read_varint(self)?;
        let n = usize::try_from(n).map_err(|_| ChainError::UnexpectedEof("container"))?;
        if n > self.remaining() {
            return Err(ChainError::UnexpectedEof("container"));
        }
        Ok(n)
    }
}

/// LEB128, as fc's `unsigned_int`.
pub fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn read_varint(r: &mut Reader<'_>) -> Result<u64, ChainError> {
    let mut v: u64 = 0;
    let mut shift = 0u32;
    loop {
        let b = r.take(1, "varint")?[0];
        let low = u64::from(b & 0x7f);
        if shift >= 64 || (shift == 63 && low > 1) {
            return Err(ChainError::VarintOverflow);
        }
        v |= low << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
        shift += 7;
    }
}

/// A bare `unsigned_int`, for containers and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Varint(pub u64);

impl Pack for Varint {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varint(out, self.0);
    }
}

impl Unpack for Varint {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        read_varint(r).map(Varint)
    }
}

macro_rules! fixed_le {
    ($($t:ty),*) => {$(
        impl Pack for $t {
            fn pack(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl Unpack for $t {
            fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
                Ok(<$t>::from_le_bytes(r.array(stringify!($t))?))
            }
        }
    )*};
}
fixed_le!(u8, u16, u32, u64, i64);

impl Pack for bool {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Unpack for bool {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        match r.take(1, "bool")?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(ChainError::BadBool(b)),
        }
    }
}

impl Pack for str {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varint(out, self.len() as u64);
        out.extend_from_slice(self.as_bytes());
    }
}

impl Pack for String {
    fn pack(&self, out: &mut Vec<u8>) {
        self.as_str().pack(out);
    }
}

impl Unpack for String {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        let n = r.count()?;
        let b = r.take(n, "string")?;
        String::from_utf8(b.to_vec()).map_err(|_| ChainError::BadUtf8)
    }
}

/// `vector<char>`: length-prefixed opaque bytes (memo ciphertext). A newtype so that
/// `Vec<u8>` is not confused with `vector<uint8_t>` element-by-element encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Pack for Bytes {
    fn pack(&self, out: &mut Vec<u8>) {
        write_varint(out, self.0.len() as u64);
        out.extend_from_slice(&self.0);
    }
}

impl Unpack for Bytes {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        let n = r.count()?;
        Ok(Bytes(r.take(n, "bytes")?.to_vec()))
    }
}

/// fc writes `vector<char>` in JSON as lowercase hex.
impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(&s)
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom(ChainError::BadHex("bytes")))
    }
}

impl<T: Pack> Pack for Option<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.pack(out);
            }
        }
    }
}

impl<T: Unpack> Unpack for Option<T> {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        if bool::unpack(r)? {
            Ok(Some(T::unpack(r)?))
        } else {
            Ok(None)
        }
    }
}

impl<T: Pack> Pack for Vec<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_seq(out, self.iter());
    }
}

impl<T: Unpack> Unpack for Vec<T> {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        let n = r.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::unpack(r)?);
        }
        Ok(v)
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
        self.1.pack(out);
    }
}

impl<A: Unpack, B: Unpack> Unpack for (A, B) {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        Ok((A::unpack(r)?, B::unpack(r)?))
    }
}

impl<const N: usize> Pack for [u8; N] {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> Unpack for [u8; N] {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, ChainError> {
        r.array("fixed bytes")
    }
}

pub fn pack_seq<'a, T: Pack + 'a>(out: &mut Vec<u8>, items: impl ExactSizeIterator<Item = &'a T>) {
    write_varint(out, items.len() as u64);
    for it in items {
        it.pack(out);
    }
}

/// flat_set / flat_map: the node keeps them sorted by key, and the signed bytes must
/// match what it re-serializes, so sort by the node's key order before writing.
pub fn pack_sorted_by<T: Pack, K: Ord>(out: &mut Vec<u8>, items: &[T], key: impl Fn(&T) -> K) {
    let mut refs: Vec<&T> = items.iter().collect();
    refs.sort_by_key(|t| key(t));
    pack_seq(out, refs.into_iter());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_hex(v: u64) -> String {
        let mut out = Vec::new();
        write_varint(&mut out, v);
        hex::encode(out)
    }

    #[test]
    fn varint_edges() {
        assert_eq!(varint_hex(0), "00");
        assert_eq!(varint_hex(127), "7f");
        assert_eq!(varint_hex(128), "8001");
        assert_eq!(varint_hex(300), "ac02");
        assert_eq!(varint_hex(1234), "d209");
        assert_eq!(varint_hex(16384), "808001");
        assert_eq!(varint_hex(u64::from(u32::MAX)), "ffffffff0f");
        for v in [0, 127, 128, 300, 16384, u64::from(u32::MAX), u64::MAX] {
            let b = Varint(v).to_bytes();
            assert_eq!(Varint::from_bytes(&b), Ok(Varint(v)));
        }
    }

    #[test]
    fn varint_errors() {
        assert_eq!(
            Varint::from_bytes(&[0x80]),
            Err(ChainError::UnexpectedEof("varint"))
        );
        assert_eq!(
            Varint::from_bytes(&[0xff; 11]),
            Err(ChainError::VarintOverflow)
        );
        assert_eq!(
            Varint::from_bytes(&[0x01, 0x00]),
            Err(ChainError::TrailingBytes(1))
        );
    }

    #[test]
    fn containers() {
        assert_eq!(hex::encode(Some(5u16).to_bytes()), "010500");
        assert_eq!(hex::encode(None::<u16>.to_bytes()), "00");
        assert_eq!(hex::encode("ab".to_string().to_bytes()), "026162");
        assert_eq!(hex::encode(vec![1u16, 2].to_bytes()), "0201000200");
        assert!(bool::from_bytes(&[2]).is_err());
        // A length prefix larger than the input must fail without allocating it.
        assert!(Vec::<u64>::from_bytes(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    #[test]
    fn sorted_pack() {
        let mut out = Vec::new();
        pack_sorted_by(&mut out, &[3u8, 1, 2], |v| *v);
        assert_eq!(out, vec![3, 1, 2, 3]);
    }
}
