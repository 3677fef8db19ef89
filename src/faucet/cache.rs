//! What was counted from the registrar's history, kept between runs so a restart reads only
//! the ops added since (`$BTSOPS_CACHE_DIR`, else the XDG cache dir). Holds chain data and
//! failure texts only: never a password or a key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::kpi::{AccountFees, Failure, Registration};

/// Overrides the cache directory (tests).
pub const CACHE_DIR_ENV: &str = "BTSOPS_CACHE_DIR";
/// Failures kept in the file.
const MAX_FAILURES: usize = 50;
const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub version: u32,
    pub chain_id: String,
    /// `1.2.N` of the registrar.
    pub registrar_id: String,
    /// The registrar's history sequence numbers up to this one have been read.
    pub seen_seq: u64,
    /// Unix time of the oldest op read when the node had already trimmed older ones.
    pub trimmed_since: Option<i64>,
    pub registrations: Vec<Registration>,
    pub failures: Vec<Failure>,
    /// The fees each registered account had paid when last read, by account id, with
    /// what its statistics object said then: a warm run reads the statistics objects only
    /// and the accounts again only where they changed. (Absent from caches written
    /// before it: then every account is read once.)
    #[serde(default)]
    pub fees: BTreeMap<String, CachedFees>,
}

/// One registered account's fees as last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedFees {
    /// `2.6.N` of its statistics object.
    pub stats_id: String,
    pub mark: StatsMark,
    pub fees: AccountFees,
    /// Head block when the statistics were read.
    pub head_block: u32,
}

/// What of an account's statistics object changes whenever its fees or fee shares can:
/// every fee it pays (and the upgrade that changes its shares) is one of its operations,
/// and moves its fee total; the maintenance that moves pending fees to lifetime fees
/// keeps the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsMark {
    pub total_ops: i64,
    pub most_recent_op: String,
    /// lifetime_fees_paid + pending_fees + pending_vested_fees.
    pub fees_total: i64,
}

impl Cache {
    /// An empty cache for this chain and registrar.
    pub fn fresh(chain_id: &str, registrar_id: &str) -> Cache {
        Cache {
            version: VERSION,
            chain_id: chain_id.into(),
            registrar_id: registrar_id.into(),
            ..Cache::default()
        }
    }

    /// Whether this cache describes this chain's registrar at a history length the chain
    /// still has (a chain restarted from genesis has fewer ops).
    pub fn matches(&self, chain_id: &str, registrar_id: &str, total_ops: u64) -> bool {
        self.version == VERSION
            && self.chain_id == chain_id
            && self.registrar_id == registrar_id
            && self.seen_seq <= total_ops
    }

    pub fn push_failure(&mut self, f: Failure) {
        self.failures.push(f);
        let extra = self.failures.len().saturating_sub(MAX_FAILURES);
        self.failures.drain(..extra);
    }
}

/// `$BTSOPS_CACHE_DIR`, else `~/.cache/btsops`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "btsops").map(|d| d.cache_dir().to_path_buf())
}

/// The file for one network's registrar (names are chain account names or config network
/// names; anything else is replaced so the name stays one path component).
pub fn file_for(dir: &Path, network: &str, registrar: &str) -> PathBuf {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    dir.join(format!(
        "faucet-{}-{}.json",
        clean(network),
        clean(registrar)
    ))
}

/// Reads a cache; a missing or unreadable one is `None` (the chain is read again).
pub fn load(path: &Path) -> Option<Cache> {
    let text = crate::files::read_text(path, 256 << 20).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes the cache atomically (temp file, then rename), owner-only.
pub fn save(path: &Path, cache: &Cache) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(&serde_json::to_vec(cache).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_another_chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = file_for(dir.path(), "test net", "faucet/x");
        assert!(p.file_name().unwrap().to_str().unwrap() == "faucet-test_net-faucet_x.json");
        let mut c = Cache::fresh("aa", "1.2.6");
        c.seen_seq = 4;
        save(&p, &c).unwrap();
        let back = load(&p).unwrap();
        assert_eq!(back, c);
        assert!(back.matches("aa", "1.2.6", 4));
        assert!(!back.matches("bb", "1.2.6", 4));
        assert!(
            !back.matches("aa", "1.2.6", 3),
            "history shorter than what was read"
        );
        for i in 0..60 {
            c.push_failure(Failure {
                time: i,
                name: "x".into(),
                class: "taken".into(),
                text: String::new(),
            });
        }
        assert_eq!(c.failures.len(), 50);
        assert_eq!(c.failures[0].time, 10);
    }
}
