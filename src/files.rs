//! Reading the local files btsops is pointed at (config, theme, key files): regular
//! files only, opened without blocking, and never more than a cap.
//!
//! `--config /dev/zero` once read 24 GB before the OOM killer stepped in, and a key
//! file that is a FIFO hung the command forever waiting for a writer. Opening with
//! `O_NONBLOCK` returns at once for a FIFO (and a device), so the file's type can be
//! checked on the opened handle before any read.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Why a file was not read. Displays without the path: callers put it in front.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file (it is {0})")]
    NotRegular(&'static str),
    #[error("larger than the {} KiB limit", .0 >> 10)]
    TooLarge(u64),
}

/// Opens `path` for reading without blocking and checks it is a regular file. The
/// metadata is of the opened handle, so a swap after the check changes nothing.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), FileError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NOCTTY: a terminal device named by mistake must not become ours.
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(kind(&meta)));
    }
    Ok((file, meta))
}

/// Reads all of an opened regular file, refusing more than `limit` bytes (checked on
/// the bytes read too: the file may grow while it is read).
pub fn read_capped(file: &File, meta: &Metadata, limit: u64) -> Result<Vec<u8>, FileError> {
    if meta.len() > limit {
        return Err(FileError::TooLarge(limit));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(FileError::TooLarge(limit));
    }
    Ok(buf)
}

/// A regular file of at most `limit` bytes, as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    let (file, meta) = open_regular(path)?;
    let bytes = read_capped(&file, &meta, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        FileError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a plain file"
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        for (p, what) in [
            (Path::new("/dev/zero"), "character device"),
            (dir.path(), "directory"),
            (fifo.as_path(), "FIFO"),
        ] {
            let e = read_text(p, 1 << 20).unwrap_err();
            assert!(
                matches!(e, FileError::NotRegular(k) if k.contains(what)),
                "{}: {e}",
                p.display()
            );
        }
    }

    #[test]
    fn the_cap_holds_and_a_file_at_the_cap_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'a'; 2048]).unwrap();
        assert_eq!(read_text(&p, 2048).unwrap().len(), 2048);
        let e = read_text(&p, 2047).unwrap_err();
        assert!(matches!(e, FileError::TooLarge(2047)), "{e}");
    }
}
