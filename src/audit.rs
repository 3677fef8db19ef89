//! Append-only audit log of mutating actions: one JSON object per line in
//! `<state dir>/audit.jsonl`, fsync'd before the caller shows the result. Uses nothing of
//! the rest of btsops, so every layer can write to it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

/// Overrides the state directory (tests; also shared with alert persistence).
pub const STATE_DIR_ENV: &str = "BTSOPS_STATE_DIR";
pub const FILE_NAME: &str = "audit.jsonl";

/// One mutation. Callers put no secret in any field: `before`/`after` hold server state,
/// never credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    pub user: String,
    pub host: String,
    pub network: String,
    /// e.g. `lb-eu/bts_api/node1`.
    pub target: String,
    pub action: String,
    pub before: Value,
    pub after: Value,
    /// `verified`, `not verified: ...`, `refused: ...`, `failed: ...`.
    pub result: String,
}

impl Entry {
    /// An entry stamped now, by this user on this host.
    pub fn now(network: &str, target: &str, action: &str) -> Entry {
        Entry {
            time: now_rfc3339(),
            user: current_user(),
            host: host_name(),
            network: network.into(),
            target: target.into(),
            action: action.into(),
            before: Value::Null,
            after: Value::Null,
            result: String::new(),
        }
    }
}

/// `$BTSOPS_STATE_DIR`, else the XDG state dir (`~/.local/state/btsops`), else the local
/// data dir on systems without one.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let dirs = directories::ProjectDirs::from("", "", "btsops")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Appends `entry` to `<dir>/audit.jsonl` (created owner-only) and fsyncs it. Returns the
/// file's path.
pub fn append(dir: &Path, entry: &Entry) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(FILE_NAME);
    let new_file = !path.exists();
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path)?;
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    // One write call per line: appends from two processes do not interleave.
    f.write_all(&line)?;
    f.sync_all()?;
    // A new file's directory entry must reach the disk too, or a crash could lose it.
    #[cfg(unix)]
    if new_file {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(path)
}

/// Appends to the default state dir.
pub fn append_default(entry: &Entry) -> std::io::Result<PathBuf> {
    let dir = state_dir().ok_or_else(|| {
        std::io::Error::other(format!(
            "no state directory (no home directory; set {STATE_DIR_ENV})"
        ))
    })?;
    append(&dir, entry)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// `$USER` / `$LOGNAME`, else the name of this process's uid (from /etc/passwd), else
/// `uid N`: cron jobs and containers often set neither variable.
fn current_user() -> String {
    if let Some(u) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
    {
        return u;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let name = passwd.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)? == uid.to_string()).then(|| name.to_string())
            });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    "unknown".into()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_json_line_per_entry_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("state");
        let mut e = Entry::now("testnet", "lb/be/n1", "drain");
        e.result = "verified".into();
        let p = append(&sub, &e).expect("append");
        e.action = "ready".into();
        append(&sub, &e).expect("append");
        let text = std::fs::read_to_string(&p).expect("read");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "drain");
        assert_eq!(lines[1]["action"], "ready");
        for k in [
            "time", "user", "host", "network", "target", "before", "after", "result",
        ] {
            assert!(lines[0].get(k).is_some(), "missing {k}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "audit log readable by others: {mode:o}");
        }
    }
}
