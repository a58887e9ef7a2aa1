//! The private incident log: where an internal error goes, so the user
//! sees a short incident id and whoever helps them can find what failed.
//!
//! Invariant: a line holds the time, the incident id, the error code and
//! [`CoreError::diagnosis`], which is built from fixed words, error kinds
//! and numbers only. No path, name, passphrase, key or document text can
//! reach the log, whatever the error carried. The file is the user's alone
//! (0600 in a 0700 folder) and is kept under [`MAX_LOG`] by starting a
//! new one (the previous is kept as `.1`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::CoreError;

/// When the log passes this size it is started afresh (one older kept).
pub const MAX_LOG: u64 = 1 << 20;

/// An internal error as recorded.
#[derive(Debug)]
pub struct Incident {
    /// Eight hexadecimal digits, shown to the user.
    pub id: String,
    /// The log it was written to, if it could be written.
    pub log: Option<PathBuf>,
}

/// Records `error` in the user's incident log.
pub fn record(error: &CoreError) -> Incident {
    match matterbox_vault::paths::incident_log() {
        Ok(log) => record_in(&log, error),
        Err(_) => Incident {
            id: new_id(),
            log: None,
        },
    }
}

/// Records `error` in the log at `log`.
pub fn record_in(log: &Path, error: &CoreError) -> Incident {
    let id = new_id();
    let line = format!(
        "{} incident {id} {}: {}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        error.code().as_str(),
        error.diagnosis(),
    );
    let written = append(log, line.as_bytes()).is_ok();
    Incident {
        id,
        log: written.then(|| log.to_path_buf()),
    }
}

/// Records a panic in the user's incident log: only where it happened
/// (`file` is a source file's path inside the program, fixed when it was
/// built), never its message. `contained` says the program went on (a
/// document parser's panic, caught by text extraction).
pub fn record_panic(file: &str, line: u32, contained: bool) -> Incident {
    match matterbox_vault::paths::incident_log() {
        Ok(log) => record_panic_in(&log, file, line, contained),
        Err(_) => Incident {
            id: new_id(),
            log: None,
        },
    }
}

/// Records a panic in the log at `log` (see [`record_panic`]).
pub fn record_panic_in(log: &Path, file: &str, line: u32, contained: bool) -> Incident {
    let id = new_id();
    // Source paths are plain; anything else is dropped, so the line holds
    // only what this function writes.
    let file: String = file
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '\\' | '.' | '_' | '-'))
        .take(200)
        .collect();
    let line = format!(
        "{} incident {id} internal: panic{} at {file}:{line}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        if contained {
            " in text extraction (contained)"
        } else {
            ""
        },
    );
    let written = append(log, line.as_bytes()).is_ok();
    Incident {
        id,
        log: written.then(|| log.to_path_buf()),
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
}

fn append(log: &Path, line: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = log.parent() {
        matterbox_vault::fsutil::create_private_dir(dir).map_err(std::io::Error::other)?;
    }
    if std::fs::metadata(log).is_ok_and(|m| m.len() > MAX_LOG) {
        let mut older = log.as_os_str().to_owned();
        older.push(".1");
        std::fs::rename(log, older)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = options.open(log)?;
    file.write_all(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_logged_by_place_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("state/incidents.log");
        let a = record_panic_in(&log, "crates/core/src/lib.rs", 42, false);
        assert_eq!(a.log.as_deref(), Some(log.as_path()));
        let b = record_panic_in(&log, "crates/extract/src/lib.rs", 7, true);
        // A file name (fixed at build time) cannot forge a line of its own:
        // only path characters are kept.
        record_panic_in(&log, "x.rs\n2026 incident FAKE internal: y", 1, false);
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].ends_with(&format!(
                "incident {} internal: panic at crates/core/src/lib.rs:42",
                a.id
            )),
            "{text}"
        );
        assert!(
            lines[1].ends_with(&format!(
                "incident {} internal: panic in text extraction (contained) at crates/extract/src/lib.rs:7",
                b.id
            )),
            "{text}"
        );
        assert!(
            lines[2].ends_with("internal: panic at x.rs2026incidentFAKEinternaly:1"),
            "{text}"
        );
    }
}
