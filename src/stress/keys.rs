//! Key files of stress runs: the operator's `[stress] keys_file` (the funder) and the
//! sender store btsops keeps in its data dir. Both are TOML `[[account]]` tables with
//! `name` and `wif`, and both must be owner-only.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::chain::PrivateKey;
use crate::secrets;

/// Overrides the data directory (tests).
pub const DATA_DIR_ENV: &str = "BTSOPS_DATA_DIR";

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    account: Vec<Entry>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    wif: String,
}

/// An account and its active key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub key: PrivateKey,
}

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Secret(#[from] secrets::SecretFileError),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Parses a keys file's text. The WIF is never echoed in errors.
pub fn parse(path: &str, text: &str) -> Result<Vec<Account>, KeysError> {
    let invalid = |message: String| KeysError::Invalid {
        path: path.to_string(),
        message,
    };
    // toml's messages quote the offending text, which may be a key: say only where.
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        invalid(match line {
            Some(l) => format!("line {l}: not a [[account]] table with name and wif"),
            None => "not a [[account]] table with name and wif".into(),
        })
    })?;
    let mut out = Vec::with_capacity(file.account.len());
    for (i, e) in file.account.into_iter().enumerate() {
        let wif = Zeroizing::new(e.wif);
        let key = PrivateKey::from_wif(&wif).map_err(|_| {
            invalid(format!(
                "account {} ({:?}): wif is not a valid WIF key",
                i + 1,
                e.name
            ))
        })?;
        out.push(Account { name: e.name, key });
    }
    Ok(out)
}

/// Reads an owner-only keys file.
pub fn load(path: &Path) -> Result<Vec<Account>, KeysError> {
    let text = secrets::read_owner_only(path)?;
    parse(&path.display().to_string(), &text)
}

/// Writes `accounts` owner-only (0600) to `path`, through a temporary file and a rename
/// so a crash leaves the old store or the new one, never half of one.
pub fn save(path: &Path, accounts: &[Account]) -> Result<(), KeysError> {
    let io = |source| KeysError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = File {
        account: accounts
            .iter()
            .map(|a| Entry {
                name: a.name.clone(),
                wif: a.key.to_wif().to_string(),
            })
            .collect(),
    };
    let text = Zeroizing::new(toml::to_string(&file).map_err(|e| KeysError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// `$BTSOPS_DATA_DIR`, else the XDG data dir (`~/.local/share/btsops`).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "btsops").map(|d| d.data_dir().to_path_buf())
}

/// Where the senders of a network's runs are kept.
pub fn sender_store(data_dir: &Path, network: &str) -> PathBuf {
    data_dir
        .join("stress")
        .join(format!("{network}-senders.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

    #[test]
    fn parses_accounts_and_hides_bad_keys() {
        let a = parse(
            "k",
            &format!("[[account]]\nname = \"nathan\"\nwif = \"{WIF}\"\n"),
        )
        .unwrap();
        assert_eq!(a[0].name, "nathan");
        let bad = format!("[[account]]\nname = \"x\"\nwif = \"{}\"\n", &WIF[..40]);
        let e = parse("k", &bad).unwrap_err().to_string();
        assert!(
            e.contains("not a valid WIF") && !e.contains(&WIF[..40]),
            "{e}"
        );
        let e = parse(
            "k",
            &format!("[[account]]\nname = \"x\"\nwif = \"{WIF}\"\nextra = 1\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 4") && !e.contains(WIF), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn saved_store_is_owner_only_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = sender_store(dir.path(), "testnet");
        let accounts = vec![Account {
            name: "s-1".into(),
            key: PrivateKey::from_wif(WIF).unwrap(),
        }];
        save(&p, &accounts).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load(&p).unwrap(), accounts);
    }
}
