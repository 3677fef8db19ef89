//! `btsops tx`: offline tools on a transaction in the node's JSON shape.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, bail};

use crate::chain::{ChainId, PrivateKey, SignedTransaction};
use crate::secrets;

/// Parses the transaction JSON given on stdin (signatures optional).
pub fn parse(json: &str) -> Result<SignedTransaction> {
    SignedTransaction::from_json_str(json).wrap_err("transaction JSON on stdin")
}

/// The bytes `get_transaction_hex` returns: the transaction with its signature vector,
/// or without it (`get_transaction_hex_without_sig`: the bytes that are signed).
pub fn hex(tx: &SignedTransaction, without_sig: bool) -> String {
    if without_sig {
        format!("{}\n", hex::encode(tx.trx.pack()))
    } else {
        format!("{}\n", tx.to_hex())
    }
}

/// The transaction id, and with a chain id also the digest that gets signed: labelled
/// lines (`id`, `digest`), or one JSON object with those keys.
pub fn id(tx: &SignedTransaction, chain_id: Option<&str>, as_json: bool) -> Result<String> {
    let id = tx.id_hex();
    let digest = match chain_id {
        Some(c) => Some(hex::encode(tx.digest(&parse_chain_id(c)?))),
        None => None,
    };
    if as_json {
        let mut out = serde_json::json!({ "id": id });
        if let Some(d) = &digest {
            out["digest"] = serde_json::json!(d);
        }
        return Ok(format!("{out}\n"));
    }
    let mut out = format!("id     {id}\n");
    if let Some(d) = &digest {
        out.push_str(&format!("digest {d}\n"));
    }
    Ok(out)
}

/// A warning when the transaction fails the node's validate(): `tx hex` and `tx id`
/// still answer (the bytes and id are well defined), but a node would refuse it, and
/// `tx sign` does.
pub fn validate_warning(tx: &SignedTransaction) -> Option<String> {
    tx.trx.validate().err().map(|e| {
        format!("warning: the transaction fails the node's validate(), a node would refuse it: {e}")
    })
}

pub fn parse_chain_id(s: &str) -> Result<ChainId> {
    if s.len() != 64 {
        bail!(
            "--chain-id must be 64 hex digits, got {} characters",
            s.len()
        );
    }
    ChainId::from_hex(s).wrap_err("--chain-id")
}

/// Reads the WIF keys of an owner-only key file: one per line; `#` starts a comment
/// (base58 has no `#`), and blank lines are skipped.
pub fn read_wif_file(path: &Path) -> Result<Vec<PrivateKey>> {
    let text = secrets::read_owner_only(path)?;
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        // Never echo the line: it is a private key, perhaps a mistyped one.
        let key = PrivateKey::from_wif(line)
            .wrap_err_with(|| format!("{}:{}: not a valid WIF key", path.display(), n + 1))?;
        keys.push(key);
    }
    if keys.is_empty() {
        bail!("{}: no WIF key in the file", path.display());
    }
    Ok(keys)
}

/// Adds one canonical signature per key and returns the signed transaction JSON.
pub fn sign(mut tx: SignedTransaction, chain_id: &str, keys: &[PrivateKey]) -> Result<String> {
    let chain_id = parse_chain_id(chain_id)?;
    tx.trx
        .validate()
        .wrap_err("the transaction does not pass the node's validate()")?;
    // The node rejects two signatures by one key (tx_duplicate_sig), so a key listed
    // twice signs once.
    let mut seen = Vec::new();
    for key in keys {
        let public = key.public_key();
        if !seen.contains(&public) {
            tx.sign(key, &chain_id);
            seen.push(public);
        }
    }
    Ok(format!("{}\n", serde_json::to_string(&tx)?))
}
