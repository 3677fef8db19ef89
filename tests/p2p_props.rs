//! No input panics the P2P parsers: arbitrary bytes, and valid hellos with bytes
//! changed, cut or appended, go through `Hello::parse` and the handshake's frame
//! reader and come back as values or errors.

use btsops::chain::p2p::message::encode_frame;
use btsops::chain::p2p::{
    BLOCK, EphemeralKey, FrameHeader, HELLO_MESSAGE_TYPE, Handshake, Hello, MAX_HELLO_BYTES,
    StreamKeys, Variant, parse_peer_key,
};
use proptest::prelude::*;

fn valid_hello() -> Vec<u8> {
    Hello {
        user_agent: "BitShares Reference Implementation".into(),
        core_protocol_version: 106,
        inbound_address: std::net::Ipv4Addr::LOCALHOST,
        inbound_port: 1776,
        outbound_port: 1776,
        node_public_key: [2; 33],
        signed_shared_secret: [0x1f; 65],
        chain_id: [0xb5; 32],
        user_data: vec![
            ("platform".into(), Variant::String("linux".into())),
            ("bitness".into(), Variant::Uint(64)),
            (
                "nested".into(),
                Variant::Array(vec![Variant::Object(vec![(
                    "x".into(),
                    Variant::Blob(vec![1]),
                )])]),
            ),
            ("last_known_block_number".into(), Variant::Uint(9)),
        ],
    }
    .encode()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn hello_parse_never_panics_on_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Hello::parse(&b);
    }

    /// Mutations of a valid hello reach the deeper branches (variants, nesting, lengths).
    #[test]
    fn hello_parse_never_panics_on_mutated_hellos(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut b = valid_hello();
        for (i, v) in edits {
            let at = i.index(b.len());
            b[at] = v;
        }
        let keep = cut.index(b.len() + 1);
        b.truncate(keep);
        b.extend_from_slice(&tail);
        if let Ok(h) = Hello::parse(&b) {
            // Whatever parsed encodes again and reads back to the same bytes (bytes, not
            // values: a mutated double may be NaN).
            let enc = h.encode();
            prop_assert_eq!(Hello::parse(&enc).map(|x| x.encode()), Ok(enc));
        }
    }

    /// The handshake's frame reader, fed any first block and any rest (encrypted for
    /// this session, so the header it decrypts is the one generated), never panics and
    /// never asks for more than a hello may take.
    #[test]
    fn frame_reader_never_panics(
        size in any::<u32>(),
        msg_type in prop_oneof![Just(HELLO_MESSAGE_TYPE), any::<u32>()],
        body in prop::collection::vec(any::<u8>(), 0..1024),
        short in any::<bool>(),
    ) {
        let probe = EphemeralKey::from_bytes(&[3; 32]).unwrap();
        let seed = EphemeralKey::from_bytes(&[4; 32]).unwrap();
        let secret = seed.shared_secret(&parse_peer_key(probe.public()).unwrap()).unwrap();
        let mut plain = encode_frame(msg_type, &body);
        plain[..4].copy_from_slice(&size.to_le_bytes());
        StreamKeys::from_secret(&secret).encryptor().encrypt(&mut plain).unwrap();
        let hs = Handshake::new(&probe, seed.public()).unwrap();
        let mut first = [0u8; BLOCK];
        first.copy_from_slice(&plain[..BLOCK]);
        match hs.first_block(first) {
            Ok((pending, more)) => {
                prop_assert!(size <= MAX_HELLO_BYTES && msg_type == HELLO_MESSAGE_TYPE);
                prop_assert_eq!(more + BLOCK, FrameHeader { size, msg_type }.frame_len());
                // Hand over what the wire had, padded or cut to whole blocks.
                let mut rest = plain[BLOCK..].to_vec();
                let want = if short { more.saturating_sub(BLOCK) } else { more };
                rest.resize(want, 0);
                let _ = pending.finish(&mut rest);
            }
            Err(_) => prop_assert!(size > MAX_HELLO_BYTES || msg_type != HELLO_MESSAGE_TYPE),
        }
    }
}
