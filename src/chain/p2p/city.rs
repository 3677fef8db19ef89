//! fc's `city_hash_crc_128`, for the one input the P2P handshake hashes: the 64-byte
//! shared secret, whose hash is the AES IV (PROTOCOL.md §10).
//!
//! Not the stock CityHash128: fc's `uint128(hi, lo)` takes its halves the other way
//! round from Google's `uint128(lo, hi)` pair, so every `HashLen16(u, v)` and every
//! 128-bit seed and result comes out differently. Only the path a 64-byte input takes
//! is ported (`city_hash128` → `CityMurmur` over the last 48 bytes); the vector in
//! PROTOCOL.md §10, taken from a live handshake with the reference node, checks it.

const K0: u64 = 0xc3a5_c85c_97cb_3127;
const K1: u64 = 0xb492_b66f_be98_f273;
const KMUL: u64 = 0x9ddf_ea08_eb38_2d69;

/// fc's `uint128`: `hi` and `lo` named as fc stores them (hi first in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct U128 {
    hi: u64,
    lo: u64,
}

fn fetch64(s: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(b)
}

fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

fn hash128_to_64(x: U128) -> u64 {
    let mut a = (x.lo ^ x.hi).wrapping_mul(KMUL);
    a ^= a >> 47;
    let mut b = (x.hi ^ a).wrapping_mul(KMUL);
    b ^= b >> 47;
    b.wrapping_mul(KMUL)
}

/// fc's `HashLen16(u, v)` = `Hash128to64(uint128(u, v))`, i.e. `u` is the high half.
fn hash_len16(u: u64, v: u64) -> u64 {
    hash128_to_64(U128 { hi: u, lo: v })
}

/// `CityMurmur` for 16 < len < 128 (the only lengths the handshake reaches).
fn city_murmur(s: &[u8], seed: U128) -> U128 {
    let len = s.len();
    debug_assert!(len > 16 && len < 128);
    let mut a = seed.lo;
    let mut b = seed.hi;
    let mut c = hash_len16(fetch64(s, len - 8).wrapping_add(K1), a);
    let mut d = hash_len16(
        b.wrapping_add(len as u64),
        c.wrapping_add(fetch64(s, len - 16)),
    );
    a = a.wrapping_add(d);
    // `do { … } while (l > 0)` with l = len − 16, stepping 16 bytes from the start.
    let mut at = 0;
    let mut l = len as i64 - 16;
    loop {
        a ^= shift_mix(fetch64(s, at).wrapping_mul(K1)).wrapping_mul(K1);
        a = a.wrapping_mul(K1);
        b ^= a;
        c ^= shift_mix(fetch64(s, at + 8).wrapping_mul(K1)).wrapping_mul(K1);
        c = c.wrapping_mul(K1);
        d ^= c;
        at += 16;
        l -= 16;
        if l <= 0 {
            break;
        }
    }
    a = hash_len16(a, c);
    b = hash_len16(d, b);
    U128 {
        hi: a ^ b,
        lo: hash_len16(b, a),
    }
}

/// `fc::city_hash_crc_128` of a 64-byte input, as the 16 bytes fc hands OpenSSL as the
/// IV: the `uint128` in memory, high half first, each half little-endian.
pub fn city_hash_crc_128_of_64(s: &[u8; 64]) -> [u8; 16] {
    // city_hash128, len ≥ 16: seed = uint128(Fetch64(s), Fetch64(s + 8) + k0).
    let seed = U128 {
        hi: fetch64(s, 0),
        lo: fetch64(s, 8).wrapping_add(K0),
    };
    let h = city_murmur(&s[16..], seed);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&h.hi.to_le_bytes());
    out[8..].copy_from_slice(&h.lo.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROTOCOL.md §10: secret and IV from a live handshake with the reference node.
    #[test]
    fn vector_from_the_reference_node() {
        let secret: [u8; 64] = hex::decode(
            "36c96e6d9f390d814148f5f7c688dfb938ecbb251ca6bdf74bb58e39dfcf90c8\
             0128c907544471b453b44bb0c399e642a459f57d4396e9f7bfc4abd6019a2559",
        )
        .unwrap()
        .try_into()
        .unwrap();
        assert_eq!(
            hex::encode(city_hash_crc_128_of_64(&secret)),
            "6a7bf84f5f615246facdb436402c55cd"
        );
    }

    /// Google's order (`HashLen16(u, v)` with `u` low) gives another value: the port
    /// must not drift back to it.
    #[test]
    fn hash_len16_is_not_symmetric() {
        assert_ne!(hash_len16(1, 2), hash_len16(2, 1));
    }
}
