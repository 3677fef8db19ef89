//! Reading files that hold private keys.
//!
//! A key file readable by group or others is refused outright rather than warned
//! about: on a shared bastion a world-readable WIF is already a leak, and a warning
//! scrolls past unread.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::files::{self, FileError};

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "refusing key file {path}: mode {mode:04o} lets group or others access it; \
         only the owner may (run `chmod 600 {path}`)"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("key file {path} is not valid UTF-8 text")]
    NotText { path: PathBuf },
    /// A FIFO, device or directory (reading a FIFO would wait for a writer forever),
    /// or a file far larger than any key file.
    #[error("refusing key file {path}: {source}")]
    NotAKeyFile {
        path: PathBuf,
        #[source]
        source: FileError,
    },
}

/// Largest key file read: thousands of WIF lines.
const MAX_KEY_FILE: u64 = 1 << 20;

/// Reads a key file after checking it is owner-only (no group or other permission bit,
/// so 0600 and 0400 pass). The content is wiped from memory when dropped.
pub fn read_owner_only(path: &Path) -> Result<Zeroizing<String>, SecretFileError> {
    let fail = |e: FileError| match e {
        FileError::Io(source) => SecretFileError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => SecretFileError::NotAKeyFile {
            path: path.to_path_buf(),
            source: other,
        },
    };
    // Check the mode of the file we opened, not of the path, so a swap between the
    // check and the read cannot slip an unchecked file in.
    let (file, meta) = files::open_regular(path).map_err(&fail)?;
    check_owner_only(path, &meta)?;
    let bytes = Zeroizing::new(files::read_capped(&file, &meta, MAX_KEY_FILE).map_err(&fail)?);
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_string())),
        Err(_) => Err(SecretFileError::NotText {
            path: path.to_path_buf(),
        }),
    }
}

/// `raw` (a URL or address, maybe unparseable) with everything before its last `@`
/// past the scheme replaced, for error messages: a password written into a URL must
/// never be printed. Errs on the side of hiding: an `@` later in the path hides more.
pub fn redact_userinfo(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_owned();
    };
    match raw.find("://") {
        Some(s) if s < at => format!("{}://<redacted>@{}", &raw[..s], &raw[at + 1..]),
        _ => format!("<redacted>@{}", &raw[at + 1..]),
    }
}

#[cfg(unix)]
fn check_owner_only(path: &Path, meta: &std::fs::Metadata) -> Result<(), SecretFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SecretFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), SecretFileError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file_with_mode(dir: &Path, mode: u32) -> PathBuf {
        let p = dir.join(format!("key-{mode:o}"));
        std::fs::write(&p, "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn owner_only_modes_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o400] {
            let text = read_owner_only(&file_with_mode(dir.path(), mode)).unwrap();
            assert!(text.starts_with("5KQw"));
        }
    }

    #[test]
    fn any_group_or_other_bit_is_refused_naming_file_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o640, 0o604, 0o644, 0o610, 0o601, 0o660, 0o777] {
            let p = file_with_mode(dir.path(), mode);
            let e = read_owner_only(&p).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, SecretFileError::TooOpen { mode: m, .. } if m == mode),
                "{msg}"
            );
            assert!(msg.contains(&p.display().to_string()), "{msg}");
            assert!(msg.contains(&format!("{mode:04o}")), "{msg}");
        }
    }

    #[test]
    fn userinfo_is_redacted_even_from_unparseable_urls() {
        assert_eq!(
            redact_userinfo("wss://ops:secret@node.example/ws"),
            "wss://<redacted>@node.example/ws"
        );
        // A `/` in the password, a missing scheme: no secret survives either.
        assert_eq!(
            redact_userinfo("ws://ops:se/cret@h:1"),
            "ws://<redacted>@h:1"
        );
        assert_eq!(redact_userinfo("ops:secret@h:1776"), "<redacted>@h:1776");
        assert_eq!(redact_userinfo("ws://h:8090/ws"), "ws://h:8090/ws");
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = read_owner_only(Path::new("/nonexistent/btsops.key")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/btsops.key"));
    }
}
