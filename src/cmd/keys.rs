//! `btsops keys`: derive account keys from a password, and public keys from a WIF.

use color_eyre::eyre::{Result, WrapErr, bail};
use serde_json::json;

use crate::chain::{Prefix, PrivateKey, PublicKey, account_name_problem};

/// The roles the reference wallet derives, in the order it lists them.
pub const ROLES: [&str; 3] = ["owner", "active", "memo"];

/// bitsharesjs refuses shorter passwords for password-derived accounts.
const MIN_WALLET_PASSWORD: usize = 12;

/// Keys of `account` derived from `password` (sha256(account ‖ role ‖ password)), as
/// text or JSON. Private keys appear only with `show_private`.
pub fn derive(
    account: &str,
    password: &str,
    prefix: &str,
    show_private: bool,
    as_json: bool,
) -> Result<String> {
    let prefix = Prefix::new(prefix).wrap_err("--prefix")?;
    check_account(account)?;
    if password.is_empty() {
        bail!("empty password on stdin");
    }
    let mut rows = Vec::new();
    for role in ROLES {
        let key = PrivateKey::from_password(account, role, password)
            .wrap_err_with(|| format!("deriving the {role} key"))?;
        let public = key.public_key().to_string_with_prefix(prefix.as_str());
        let wif = show_private.then(|| key.to_wif());
        rows.push((role, public, wif));
    }
    if as_json {
        let mut keys = serde_json::Map::new();
        for (role, public, wif) in &rows {
            let mut k = json!({ "public": public });
            if let Some(w) = wif {
                k["wif"] = json!(w.as_str());
            }
            keys.insert((*role).to_string(), k);
        }
        let out = json!({ "account": account, "prefix": prefix.as_str(), "keys": keys });
        return Ok(format!("{out}\n"));
    }
    let mut out = String::new();
    for (role, public, wif) in &rows {
        out.push_str(&format!("{role:<6} {public}\n"));
        if let Some(w) = wif {
            out.push_str(&format!("{:<6} {}\n", "", w.as_str()));
        }
    }
    Ok(out)
}

/// Refuses an account name the chain would never accept: keys derived for it are
/// keys for nobody (often a typo, such as "Alice" for "alice").
pub fn check_account(account: &str) -> Result<()> {
    match account_name_problem(account) {
        Some(problem) => bail!("--account {account:?}: {problem}"),
        None => Ok(()),
    }
}

/// A warning for passwords the reference wallet would refuse, or None.
pub fn password_warning(password: &str) -> Option<String> {
    (password.chars().count() < MIN_WALLET_PASSWORD).then(|| {
        format!(
            "warning: the password is shorter than {MIN_WALLET_PASSWORD} characters; \
             the reference wallet refuses such passwords"
        )
    })
}

/// The public key of a WIF private key.
pub fn public_of_wif(wif: &str, prefix: &str) -> Result<String> {
    let prefix = Prefix::new(prefix).wrap_err("--prefix")?;
    let wif = wif.trim();
    if PublicKey::from_str_known_prefix(wif).is_ok() {
        bail!(
            "stdin holds a public key, not a WIF private key: `keys pub` derives the public key of a private key"
        );
    }
    let key = PrivateKey::from_wif(wif).wrap_err("the WIF on stdin")?;
    Ok(format!(
        "{}\n",
        key.public_key().to_string_with_prefix(prefix.as_str())
    ))
}
