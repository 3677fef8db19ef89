//! The operator's marks on alerts (acknowledgements and snoozes), kept across console
//! restarts in a small JSON file in the state directory.
//!
//! The file is written whole to a temporary file beside it and renamed over it, so a
//! crash mid-write leaves the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name in the state directory.
pub const FILE_NAME: &str = "alerts.json";
/// A marks file larger than this is not one of ours.
const MAX_BYTES: u64 = 1024 * 1024;
const FORMAT: u32 = 1;

/// What the operator decided about alerts, by alert id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertMarks {
    /// Acknowledged alerts still active when saved, with the `raised` time of the
    /// acknowledged episode.
    pub acked: BTreeMap<String, f64>,
    /// Snoozed alerts, with when the snooze ends (unix seconds).
    pub snoozed: BTreeMap<String, f64>,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    #[serde(flatten)]
    marks: AlertMarks,
}

/// `alerts.json` in the state directory the audit log uses (`$BTSOPS_STATE_DIR`, else the
/// XDG state dir). `None` when there is no home to put it in.
pub fn default_file() -> Option<PathBuf> {
    crate::audit::state_dir().map(|d| d.join(FILE_NAME))
}

/// Reads the marks; a missing file is no marks.
pub fn load(path: &Path) -> Result<AlertMarks, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AlertMarks::default()),
        Err(e) => return Err(format!("{}: cannot open: {e}", path.display())),
    };
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if text.len() as u64 > MAX_BYTES {
        return Err(format!("{}: larger than 1 MiB", path.display()));
    }
    let f: File = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not an alert marks file: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if f.format != FORMAT {
        return Err(format!(
            "{}: format {} is not {FORMAT} (written by another btsops version)",
            path.display(),
            f.format
        ));
    }
    Ok(f.marks)
}

/// Writes the marks atomically (temporary file, fsync, rename), creating the directory.
pub fn save(path: &Path, marks: &AlertMarks) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(&File {
        format: FORMAT,
        marks: marks.clone(),
    })
    .map_err(|e| format!("alert marks: {e}"))?;
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: cannot write: {e}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE_NAME);
        assert_eq!(load(&path).unwrap(), AlertMarks::default());
        let mut m = AlertMarks::default();
        m.acked.insert("status:eu-1".into(), 1_764_000_000.0);
        m.snoozed
            .insert("cert_expiring:t-2".into(), 1_764_003_600.0);
        save(&path, &m).unwrap();
        assert_eq!(load(&path).unwrap(), m);
        // Nothing is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[test]
    fn a_bad_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "{\"format\": 1,\n \"acked\": 3}").unwrap();
        let e = load(&path).unwrap_err();
        assert!(e.starts_with(&format!("{}:2:", path.display())), "{e}");
        std::fs::write(&path, r#"{"format": 9, "acked": {}, "snoozed": {}}"#).unwrap();
        assert!(load(&path).unwrap_err().contains("format 9"));
    }
}
