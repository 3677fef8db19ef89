//! Checks the protocol core against the reference vectors in `tests/vectors/`.

use btsops::chain::keys::{normalize_brain_key, normalize_brain_key_cli_wallet};
use btsops::chain::signing::{sign_attempt, sign_canonical_with_counter};
use btsops::chain::*;
use serde_json::Value;
use std::path::PathBuf;

fn load(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("missing string field {k}"))
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a Vec<Value> {
    v[k].as_array()
        .unwrap_or_else(|| panic!("missing array field {k}"))
}

fn h32(x: &str) -> [u8; 32] {
    hex::decode(x).unwrap().try_into().unwrap()
}

fn h65(x: &str) -> [u8; 65] {
    hex::decode(x).unwrap().try_into().unwrap()
}

#[test]
fn every_vector_file_is_checked() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "account_create_tx.json",
            "canonical_signature.json",
            "keys.json",
            "transfer_tx.json"
        ],
        "a vector file was added or removed: give it a test"
    );
}

#[test]
fn fixed_key() {
    let v = load("keys.json");
    let f = &v["fixed_key"];
    let k = PrivateKey::from_wif(s(f, "wif")).unwrap();
    assert_eq!(hex::encode(*k.secret_bytes()), s(f, "private_key_hex"));
    assert_eq!(PrivateKey::from_hex(s(f, "private_key_hex")).unwrap(), k);
    assert_eq!(&*k.to_wif(), s(f, "wif"));
    let p = k.public_key();
    assert_eq!(hex::encode(p.as_bytes()), s(f, "public_key_compressed_hex"));
    let uncompressed = p.to_secp().unwrap().serialize_uncompressed();
    assert_eq!(
        hex::encode(uncompressed),
        s(f, "public_key_uncompressed_hex")
    );
    let rip = btsops::chain::hash::ripemd160(p.as_bytes());
    assert_eq!(hex::encode(rip), s(f, "ripemd160_of_compressed_pubkey_hex"));
    assert_eq!(hex::encode(&rip[..4]), s(f, "pubkey_checksum_hex"));
    assert_eq!(p.to_string_with_prefix("BTS"), s(f, "public_key_BTS"));
    assert_eq!(p.to_string_with_prefix("TEST"), s(f, "public_key_TEST"));
    assert_eq!(
        p.to_string(),
        s(f, "public_key_BTS"),
        "default prefix is BTS"
    );
    assert_eq!(PublicKey::parse(s(f, "public_key_BTS"), "BTS").unwrap(), p);
    assert_eq!(
        PublicKey::parse(s(f, "public_key_TEST"), "TEST").unwrap(),
        p
    );
    let t = PublicKey::from_str_any_prefix(s(f, "public_key_TEST")).unwrap();
    assert_eq!(t.prefix(), "TEST");
    assert_eq!(t.to_string(), s(f, "public_key_TEST"));

    let a = p.address();
    assert_eq!(
        hex::encode(a.as_bytes()),
        s(f, "address_ripemd160_sha512_hex")
    );
    assert_eq!(a.to_string_with_prefix("BTS"), s(f, "address_BTS"));
    assert_eq!(a.to_string_with_prefix("TEST"), s(f, "address_TEST"));
    assert_eq!(Address::parse(s(f, "address_TEST"), "TEST").unwrap(), a);
    assert_eq!(
        Address::from_str_known_prefix(s(f, "address_BTS")).unwrap(),
        a
    );
}

#[test]
fn password_keys() {
    let v = load("keys.json");
    let list = arr(&v, "password_keys");
    assert_eq!(list.len(), 6);
    let mut passwords = std::collections::BTreeSet::new();
    for e in list {
        passwords.insert(s(e, "password").to_string());
        assert_eq!(
            format!("{}{}{}", s(e, "account"), s(e, "role"), s(e, "password")),
            s(e, "seed")
        );
        let k = PrivateKey::from_password(s(e, "account"), s(e, "role"), s(e, "password")).unwrap();
        assert_eq!(hex::encode(*k.secret_bytes()), s(e, "private_key_hex"));
        assert_eq!(&*k.to_wif(), s(e, "wif"));
        let p = k.public_key();
        assert_eq!(hex::encode(p.as_bytes()), s(e, "public_key_compressed_hex"));
        assert_eq!(p.to_string_with_prefix("BTS"), s(e, "public_key_BTS"));
        assert_eq!(p.to_string_with_prefix("TEST"), s(e, "public_key_TEST"));
    }
    assert_eq!(passwords.len(), 2, "both passwords covered");
}

#[test]
fn brain_keys() {
    let v = load("keys.json");
    let list = arr(&v, "brain_keys");
    assert_eq!(list.len(), 2);
    for e in list {
        let seq = u32::try_from(e["sequence"].as_u64().unwrap()).unwrap();
        let (normalized, k) = match s(e, "normalization") {
            "cli_wallet" => (
                normalize_brain_key_cli_wallet(s(e, "input")),
                PrivateKey::from_brain_key_cli_wallet(s(e, "input"), seq).unwrap(),
            ),
            "graphenelib/bitsharesjs" => (
                normalize_brain_key(s(e, "input")),
                PrivateKey::from_brain_key(s(e, "input"), seq).unwrap(),
            ),
            other => panic!("unknown normalization {other}"),
        };
        assert_eq!(normalized, s(e, "normalized"));
        assert_eq!(format!("{normalized} {seq}"), s(e, "seed"));
        assert_eq!(hex::encode(*k.secret_bytes()), s(e, "private_key_hex"));
        assert_eq!(&*k.to_wif(), s(e, "wif"));
        assert_eq!(
            k.public_key().to_string_with_prefix("BTS"),
            s(e, "public_key_BTS")
        );
        assert_eq!(
            k.public_key().to_string_with_prefix("TEST"),
            s(e, "public_key_TEST")
        );
    }
}

#[test]
fn key_auths_sort_by_address() {
    let v = load("keys.json");
    let ex = &v["key_auths_sort_example"];
    let mut keys = Vec::new();
    for k in arr(ex, "keys") {
        let p = PublicKey::parse(s(k, "public_key_TEST"), "TEST").unwrap();
        assert_eq!(hex::encode(p.as_bytes()), s(k, "compressed_hex"));
        assert_eq!(hex::encode(p.address().as_bytes()), s(k, "address_hex"));
        keys.push(p);
    }
    let expect: Vec<PublicKey> = arr(ex, "sorted_by_address_as_node_does")
        .iter()
        .map(|x| PublicKey::parse(x.as_str().unwrap(), "TEST").unwrap())
        .collect();
    let wrong: Vec<PublicKey> = arr(ex, "sorted_by_raw_key_bytes_WRONG")
        .iter()
        .map(|x| PublicKey::parse(x.as_str().unwrap(), "TEST").unwrap())
        .collect();
    assert_ne!(expect, wrong);

    // Packing an authority must emit the keys in address order whatever the input order.
    let auth = Authority {
        weight_threshold: 1,
        key_auths: keys.iter().map(|k| (*k, 1)).collect(),
        ..Authority::default()
    };
    let mut expected_bytes = vec![1, 0, 0, 0, 0, 3];
    for k in &expect {
        expected_bytes.extend_from_slice(k.as_bytes());
        expected_bytes.extend_from_slice(&[1, 0]);
    }
    expected_bytes.push(0);
    assert_eq!(auth.to_bytes(), expected_bytes);
    let mut reversed = auth.clone();
    reversed.key_auths.reverse();
    assert_eq!(reversed.to_bytes(), expected_bytes);
}

#[test]
fn invalid_public_key_strings() {
    let v = load("keys.json");
    let list = arr(&v, "invalid_public_key_strings");
    assert_eq!(list.len(), 3);
    for e in list {
        let st = s(e, "string");
        let why = s(e, "why");
        let r = PublicKey::parse(st, "TEST");
        if why.contains("checksum") {
            assert_eq!(r, Err(ChainError::BadChecksum("public key")), "{st}");
        } else if why.contains("truncated") {
            assert!(
                matches!(r, Err(ChainError::WrongLength { found, .. }) if found < 37),
                "{st}: {r:?}"
            );
        } else if why.contains("prefix") {
            assert_eq!(
                r,
                Err(ChainError::WrongPrefix {
                    expected: "TEST".into(),
                    found: "BTX".into()
                })
            );
            assert_eq!(
                PublicKey::from_str_known_prefix(st),
                Err(ChainError::UnknownPrefix("BTX".into()))
            );
        } else {
            panic!("unclassified invalid key case: {why}");
        }
        assert!(PublicKey::from_str_known_prefix(st).is_err(), "{st}");
    }
}

/// The checks shared by both transaction vectors.
fn check_tx_vector(v: &Value) {
    let chain_id = ChainId::from_hex(s(v, "chain_id")).unwrap();
    assert_eq!(chain_id, ChainId::TESTNET);

    let ta = &v["tapos"];
    let block_id = s(ta, "ref_block_id").split_whitespace().next().unwrap();
    let tapos = tapos_from_block_id(block_id).unwrap();
    assert_eq!(
        u64::from(tapos.block_num),
        ta["ref_block_number"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(tapos.ref_block_num),
        ta["ref_block_num"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(tapos.ref_block_prefix),
        ta["ref_block_prefix"].as_u64().unwrap()
    );

    let tx = Transaction::from_json_str(&v["unsigned_tx"].to_string()).unwrap();
    tx.validate().unwrap();
    assert_eq!(tx.ref_block_num, tapos.ref_block_num);
    assert_eq!(tx.ref_block_prefix, tapos.ref_block_prefix);
    assert_eq!(
        u64::from(tx.expiration.unix()),
        v["expiration_unix"].as_u64().unwrap()
    );
    assert_eq!(tx.expiration.to_string(), s(v, "expiration"));
    let packed = tx.pack();
    assert_eq!(hex::encode(&packed), s(v, "serialized_hex"));
    assert_eq!(packed.len() as u64, v["serialized_len"].as_u64().unwrap());
    let byte_map: String = arr(v, "byte_map")
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(byte_map, s(v, "serialized_hex"));
    assert_eq!(Transaction::from_bytes(&packed).unwrap(), tx);
    assert_eq!(
        hex::encode(SignedTransaction::from(tx.clone()).pack()),
        s(v, "serialized_hex_with_empty_signature_vector")
    );
    assert_eq!(serde_json::to_value(&tx).unwrap(), v["unsigned_tx"]);

    assert_eq!(
        hex::encode(tx.signing_message(&chain_id)),
        s(v, "signing_message_hex")
    );
    let digest = tx.digest(&chain_id);
    assert_eq!(hex::encode(digest), s(v, "digest_hex"));
    assert_eq!(
        hex::encode(tx.digest(&ChainId::MAINNET)),
        s(v, "digest_hex_if_signed_with_mainnet_chain_id")
    );
    assert_eq!(tx.id_hex(), s(v, "tx_id"));

    let signer = PrivateKey::from_wif(s(&v["signing_key"], "wif")).unwrap();
    let signer_pub = PublicKey::parse(s(&v["signing_key"], "public_key"), "TEST").unwrap();
    assert_eq!(signer.public_key(), signer_pub);
    let recovered = PublicKey::parse(s(v, "recovered_public_key"), "TEST").unwrap();
    let mut checked = 0;
    for sig in arr(v, "expected_signatures")
        .iter()
        .map(|x| x.as_str().unwrap())
        .chain(
            arr(v, "other_valid_signatures")
                .iter()
                .map(|o| s(o, "signature_hex")),
        )
    {
        assert_eq!(recover(&digest, &h65(sig)), Ok(recovered), "{sig}");
        checked += 1;
    }
    assert!(checked >= 3);

    // Our signer must reproduce the ndata scheme's accepted signature for this digest.
    let cs = load("canonical_signature.json");
    let case = arr(&cs, "cases")
        .iter()
        .find(|c| s(c, "digest_hex") == s(v, "digest_hex"))
        .expect("canonical_signature.json covers this digest");
    let ndata_sig = s(&case["ndata"], "accepted_signature_hex");
    let signed = tx.sign(&signer, &chain_id);
    assert_eq!(signed.signatures.len(), 1);
    assert_eq!(signed.signatures[0].to_hex(), ndata_sig);
    assert_eq!(signed.signer_keys(&chain_id).unwrap(), vec![recovered]);
    assert_eq!(signed.id_hex(), s(v, "tx_id"), "tx id ignores signatures");

    // The vector's signed tx: JSON round trip, binary form, and the broadcast frame body.
    let vst = SignedTransaction::from_json_str(&v["signed_tx"].to_string()).unwrap();
    assert_eq!(vst.trx, tx);
    assert_eq!(serde_json::to_value(&vst).unwrap(), v["signed_tx"]);
    assert_eq!(vst.to_hex(), s(v, "signed_tx_hex"));
    assert_eq!(SignedTransaction::from_bytes(&vst.pack()).unwrap(), vst);
    assert_eq!(vst.signer_keys(&chain_id).unwrap(), vec![recovered]);
    assert_eq!(
        serde_json::to_value(&vst).unwrap(),
        v["broadcast_request"]["params"][2][0]
    );
}

#[test]
fn transfer_tx() {
    let v = load("transfer_tx.json");
    check_tx_vector(&v);
    let tx = Transaction::from_json_str(&v["unsigned_tx"].to_string()).unwrap();
    let Operation::Transfer(op) = &tx.operations[0] else {
        panic!("expected a transfer");
    };
    assert_eq!(op.from, AccountId(17));
    assert_eq!(op.amount, Asset::core(12345));
    assert!(op.memo.is_none());
}

#[test]
fn transfer_extra_cases() {
    let v = load("transfer_tx.json");
    let chain_id = ChainId::from_hex(s(&v, "chain_id")).unwrap();
    let cases = arr(&v, "extra_cases");
    assert!(!cases.is_empty());
    for c in cases {
        let tx = Transaction::from_json_str(&c["unsigned_tx"].to_string()).unwrap();
        tx.validate().unwrap();
        assert_eq!(
            hex::encode(tx.pack()),
            s(c, "serialized_hex"),
            "{}",
            s(c, "description")
        );
        let byte_map: String = arr(c, "byte_map")
            .iter()
            .map(|p| p[0].as_str().unwrap())
            .collect();
        assert_eq!(byte_map, s(c, "serialized_hex"));
        assert_eq!(Transaction::from_bytes(&tx.pack()).unwrap(), tx);
        assert_eq!(serde_json::to_value(&tx).unwrap(), c["unsigned_tx"]);
        let digest = tx.digest(&chain_id);
        assert_eq!(hex::encode(digest), s(c, "digest_hex"));
        assert_eq!(tx.id_hex(), s(c, "tx_id"));
        let signer = PrivateKey::from_wif(s(&v["signing_key"], "wif")).unwrap();
        for sig in arr(c, "expected_signatures") {
            assert_eq!(
                recover(&digest, &h65(sig.as_str().unwrap())),
                Ok(signer.public_key())
            );
        }
        let vst = SignedTransaction::from_json_str(&c["signed_tx"].to_string()).unwrap();
        assert_eq!(serde_json::to_value(&vst).unwrap(), c["signed_tx"]);
        assert_eq!(
            vst.signer_keys(&chain_id).unwrap(),
            vec![signer.public_key()]
        );
        let ours = tx.sign(&signer, &chain_id);
        assert!(is_canonical(&ours.signatures[0].0));
        assert_eq!(
            ours.signer_keys(&chain_id).unwrap(),
            vec![signer.public_key()]
        );

        let Operation::Transfer(op) = &tx.operations[0] else {
            panic!("expected a transfer");
        };
        let memo = op.memo.as_ref().expect("memo case");
        assert_eq!(memo.nonce, u64::MAX);
        assert_eq!(op.from, AccountId(300));
        assert_eq!(op.to, AccountId(16384));
        assert_eq!(op.amount, Asset::new(5_000_000_000, AssetId(1234)));
    }
}

#[test]
fn account_create_tx() {
    let v = load("account_create_tx.json");
    check_tx_vector(&v);

    // python-bitshares labels address_auths "extensions"; serde must not silently read
    // that as a different transaction. Its binary form is identical because both are empty.
    let tx = Transaction::from_json_str(&v["unsigned_tx"].to_string()).unwrap();
    let Operation::AccountCreate(op) = &tx.operations[0] else {
        panic!("expected account_create");
    };
    assert_eq!(op.name, "alice-test1");
    assert_eq!(op.referrer_percent, 5000);
    let owner = PrivateKey::from_password("alice", "owner", "P5test")
        .unwrap()
        .public_key();
    assert_eq!(op.owner, Authority::single_key(owner));
    let pyb =
        SignedTransaction::from_json_str(&v["python_bitshares_json_for_comparison"].to_string())
            .unwrap();
    assert_eq!(pyb.to_hex(), s(&v, "signed_tx_hex"));

    // The op-level extension<> is accepted as {}, [] or null, and emitted as {}.
    for alt in [serde_json::json!([]), Value::Null, serde_json::json!({})] {
        let mut j = v["unsigned_tx"].clone();
        j["operations"][0][1]["extensions"] = alt;
        let t = Transaction::from_json_str(&j.to_string()).unwrap();
        assert_eq!(hex::encode(t.pack()), s(&v, "serialized_hex"));
        assert_eq!(serde_json::to_value(&t).unwrap(), v["unsigned_tx"]);
    }
    // A non-empty extension we cannot encode must fail, not be dropped.
    let mut j = v["unsigned_tx"].clone();
    j["operations"][0][1]["extensions"] = serde_json::json!({"buyback_options": {}});
    assert!(Transaction::from_json_str(&j.to_string()).is_err());
}

#[test]
fn unknown_operation_is_a_typed_error() {
    let v = load("transfer_tx.json");
    let mut j = v["unsigned_tx"].clone();
    j["operations"][0][0] = serde_json::json!(1);
    assert_eq!(
        Transaction::from_json_str(&j.to_string()),
        Err(ChainError::UnknownOperation(1))
    );
    let mut bytes = hex::decode(s(&v, "serialized_hex")).unwrap();
    bytes[11] = 0x16; // the op tag byte
    assert_eq!(
        Transaction::from_bytes(&bytes),
        Err(ChainError::UnknownOperation(22))
    );
}

#[test]
fn canonical_signature_cases() {
    let v = load("canonical_signature.json");
    let key = PrivateKey::from_hex(s(&v["signing_key"], "private_key_hex")).unwrap();
    assert_eq!(&*key.to_wif(), s(&v["signing_key"], "wif"));
    let cases = arr(&v, "cases");
    assert_eq!(cases.len(), 2);
    let mut attempts_checked = 0;
    for c in cases {
        let digest = h32(s(c, "digest_hex"));

        // Our scheme, attempt by attempt.
        let nd = &c["ndata"];
        for a in arr(nd, "attempts") {
            let counter = u32::try_from(a["counter"].as_u64().unwrap()).unwrap();
            let ours = sign_attempt(&digest, &key, counter);
            assert_eq!(
                hex::encode(ours),
                s(a, "signature_hex"),
                "counter {counter}"
            );
            match a["ndata_hex"].as_str() {
                None => assert_eq!(counter, 0),
                Some(h) => assert_eq!(hex::encode(signing::ndata_for(counter)), h),
            }
        }
        let (sig, counter) = sign_canonical_with_counter(&digest, &key);
        assert_eq!(sig.to_hex(), s(nd, "accepted_signature_hex"));
        assert_eq!(u64::from(counter), nd["accepted_counter"].as_u64().unwrap());
        assert_eq!(recover(&digest, &sig.0), Ok(key.public_key()));

        // The canonical rule, against every attempt of every scheme.
        let plain = &c["plain_rfc6979"];
        assert_eq!(
            is_canonical(&h65(s(plain, "signature_hex"))),
            plain["fc_canonical"].as_bool().unwrap()
        );
        assert_eq!(
            hex::encode(sign_attempt(&digest, &key, 0)),
            s(plain, "signature_hex")
        );
        for scheme in ["bitsharesjs", "fc", "ndata"] {
            let sc = &c[scheme];
            let accepted = s(sc, "accepted_signature_hex");
            assert!(is_canonical(&h65(accepted)), "{scheme}");
            assert_eq!(
                recover(&digest, &h65(accepted)),
                Ok(key.public_key()),
                "{scheme}"
            );
            for a in arr(sc, "attempts") {
                let sig = h65(s(a, "signature_hex"));
                let flag = a["fc_canonical"].as_bool().unwrap();
                assert_eq!(
                    is_canonical(&sig),
                    flag,
                    "{scheme} {}",
                    s(a, "signature_hex")
                );
                let der32 =
                    a["der_len_r"].as_u64() == Some(32) && a["der_len_s"].as_u64() == Some(32);
                assert_eq!(der32, flag, "fc rule == DER lengths 32/32");
                assert_eq!(&hex::encode(&sig[1..33]), s(a, "r_hex"));
                assert_eq!(&hex::encode(&sig[33..]), s(a, "s_hex"));
                assert_eq!(u64::from(sig[0] - 31), a["recid"].as_u64().unwrap());
                if flag {
                    assert_eq!(recover(&digest, &sig), Ok(key.public_key()));
                } else {
                    assert_eq!(
                        recover(&digest, &sig),
                        Err(ChainError::NonCanonicalSignature)
                    );
                }
                attempts_checked += 1;
            }
        }
    }
    assert!(attempts_checked >= 19);

    // Valid ECDSA the node still rejects, and the recovery-byte-27 form it accepts.
    let transfer_digest = h32(s(&cases[0], "digest_hex"));
    let neg = arr(&v, "negative_and_edge_cases_on_transfer_digest");
    assert_eq!(neg.len(), 6);
    for n in neg {
        let sig = h65(s(n, "signature_hex"));
        let name = s(n, "name");
        let r = recover(&transfer_digest, &sig);
        if n["node_accepts"].as_bool().unwrap() {
            assert_eq!(r, Ok(key.public_key()), "{name}");
        } else if name.starts_with("recovery_byte") {
            assert_eq!(r, Err(ChainError::BadRecoveryByte(sig[0])), "{name}");
        } else {
            assert!(!is_canonical(&sig), "{name}");
            assert_eq!(r, Err(ChainError::NonCanonicalSignature), "{name}");
        }
    }
}
