//! Property tests: fc::raw and JSON round trips, and the canonical signer over many digests.

use btsops::chain::raw::{Bytes, Varint};
use btsops::chain::*;
use proptest::prelude::*;

fn key_strategy() -> impl Strategy<Value = PrivateKey> {
    any::<[u8; 32]>().prop_filter_map("not a valid secret", |b| PrivateKey::from_bytes(&b).ok())
}

fn pubkey_strategy() -> impl Strategy<Value = PublicKey> {
    (key_strategy(), prop::bool::ANY).prop_map(|(k, test)| {
        k.public_key()
            .with_prefix(if test { Prefix::TEST } else { Prefix::BTS })
    })
}

fn asset_strategy(min: i64) -> impl Strategy<Value = Asset> {
    (min..=i64::MAX, 0u64..(1 << 48)).prop_map(|(a, id)| Asset::new(a, AssetId(id)))
}

fn memo_strategy() -> impl Strategy<Value = Memo> {
    (
        pubkey_strategy(),
        pubkey_strategy(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(from, to, nonce, msg)| Memo {
            from,
            to,
            nonce,
            message: Bytes(msg),
        })
}

fn transfer_strategy() -> impl Strategy<Value = TransferOp> {
    (
        asset_strategy(0),
        0u64..(1 << 48),
        0u64..(1 << 48),
        asset_strategy(1),
        prop::option::of(memo_strategy()),
    )
        .prop_filter("from != to", |(_, f, t, _, _)| f != t)
        .prop_map(|(fee, from, to, amount, memo)| TransferOp {
            fee,
            from: AccountId(from),
            to: AccountId(to),
            amount,
            memo,
            extensions: FutureExtensions,
        })
}

fn authority_strategy() -> impl Strategy<Value = Authority> {
    (
        1u32..5,
        prop::collection::vec((0u64..100_000, 1u16..10), 0..3),
        prop::collection::vec((pubkey_strategy(), 1u16..10), 1..4),
    )
        .prop_map(|(threshold, accounts, keys)| Authority {
            weight_threshold: threshold,
            account_auths: accounts
                .into_iter()
                .map(|(a, w)| (AccountId(a), w))
                .collect(),
            key_auths: keys,
            address_auths: Vec::new(),
        })
}

fn account_create_strategy() -> impl Strategy<Value = AccountCreateOp> {
    (
        asset_strategy(0),
        0u64..1_000_000,
        0u64..1_000_000,
        0u16..=10_000,
        "[a-z][a-z0-9-]{0,20}[a-z0-9]",
        authority_strategy(),
        authority_strategy(),
        pubkey_strategy(),
        prop::collection::vec((0u8..3, 0u32..100_000), 0..5),
    )
        .prop_map(
            |(fee, registrar, referrer, pct, name, owner, active, memo_key, votes)| {
                let mut options = AccountOptions::with_memo_key(memo_key);
                options.votes = votes
                    .into_iter()
                    .map(|(t, i)| VoteId::new(t, i).unwrap())
                    .collect();
                AccountCreateOp {
                    fee,
                    registrar: AccountId(registrar),
                    referrer: AccountId(referrer),
                    referrer_percent: pct,
                    name,
                    owner,
                    active,
                    options,
                    extensions: AccountCreateExtensions,
                }
            },
        )
}

fn operation_strategy() -> impl Strategy<Value = Operation> {
    prop_oneof![
        transfer_strategy().prop_map(Operation::from),
        account_create_strategy().prop_map(Operation::from),
    ]
}

fn signed_tx_strategy() -> impl Strategy<Value = SignedTransaction> {
    (
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(operation_strategy(), 0..4),
        prop::collection::vec(prop::array::uniform32(any::<u8>()), 0..3),
    )
        .prop_map(|(num, prefix, exp, operations, sigs)| SignedTransaction {
            trx: Transaction {
                ref_block_num: num,
                ref_block_prefix: prefix,
                expiration: TimePointSec(exp),
                operations,
                extensions: FutureExtensions,
            },
            signatures: sigs
                .into_iter()
                .map(|h| {
                    let mut s = [0x1fu8; 65];
                    s[1..33].copy_from_slice(&h);
                    s[33..].copy_from_slice(&h);
                    Signature(s)
                })
                .collect(),
        })
}

/// Binary round trip up to the node's re-sorting of maps: decoding then re-encoding
/// must give the same bytes, and re-decoding must be a fixed point.
fn bytes_round_trip<T: Pack + Unpack + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let b = v.to_bytes();
    let back = T::from_bytes(&b).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(back.to_bytes(), b);
    Ok(())
}

proptest! {
    #[test]
    fn varint_round_trip(v in any::<u64>()) {
        let b = Varint(v).to_bytes();
        prop_assert!(b.len() <= 10);
        prop_assert_eq!(Varint::from_bytes(&b), Ok(Varint(v)));
        // Every byte but the last has the continuation bit.
        prop_assert!(b[..b.len() - 1].iter().all(|x| x & 0x80 != 0));
        prop_assert_eq!(b[b.len() - 1] & 0x80, 0);
    }

    #[test]
    fn string_round_trip(s in ".{0,200}") {
        let b = s.to_bytes();
        prop_assert_eq!(String::from_bytes(&b), Ok(s));
    }

    #[test]
    fn optional_and_vector_round_trip(o in prop::option::of(any::<u64>()), v in prop::collection::vec(any::<u32>(), 0..50), vs in prop::collection::vec(".{0,10}", 0..10)) {
        prop_assert_eq!(Option::<u64>::from_bytes(&o.to_bytes()), Ok(o));
        prop_assert_eq!(Vec::<u32>::from_bytes(&v.to_bytes()), Ok(v.clone()));
        prop_assert_eq!(Vec::<String>::from_bytes(&vs.to_bytes()), Ok(vs));
    }

    #[test]
    fn truncated_input_never_panics(op in operation_strategy(), cut in any::<prop::sample::Index>()) {
        let b = op.to_bytes();
        let n = cut.index(b.len());
        prop_assert!(Operation::from_bytes(&b[..n]).is_err());
    }

    #[test]
    fn transfer_round_trip(op in transfer_strategy()) {
        prop_assert!(op.validate().is_ok());
        prop_assert_eq!(TransferOp::from_bytes(&op.to_bytes()), Ok(op.clone()));
        let j = serde_json::to_string(&Operation::from(op.clone())).unwrap();
        let back: Operation = serde_json::from_str(&j).unwrap();
        prop_assert_eq!(back, Operation::from(op));
    }

    #[test]
    fn account_create_round_trip(op in account_create_strategy()) {
        bytes_round_trip(&op)?;
        let j = serde_json::to_string(&Operation::from(op.clone())).unwrap();
        let back: Operation = serde_json::from_str(&j).unwrap();
        prop_assert_eq!(back, Operation::from(op));
    }

    #[test]
    fn signed_tx_round_trip(tx in signed_tx_strategy()) {
        bytes_round_trip(&tx)?;
        let j = serde_json::to_string(&tx).unwrap();
        let back = SignedTransaction::from_json_str(&j).unwrap();
        prop_assert_eq!(&back, &tx);
        prop_assert_eq!(back.pack(), tx.pack());
        prop_assert_eq!(back.id(), tx.id());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn signatures_are_canonical_and_recover(digest in any::<[u8; 32]>(), key in key_strategy()) {
        let sig = sign_canonical(&digest, &key);
        prop_assert!(is_canonical(&sig.0));
        prop_assert!((31..=34).contains(&sig.0[0]));
        prop_assert_eq!(recover(&digest, &sig.0), Ok(key.public_key()));
    }
}
