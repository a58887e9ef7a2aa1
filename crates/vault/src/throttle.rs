//! Failed unlock attempts: a delay that grows with consecutive failures,
//! kept in the vault folder so it holds across processes, and a list of
//! attempts that the audit log has not recorded yet (the log is inside the
//! encrypted database, which a failed attempt cannot open; the next
//! successful unlock writes them).

use std::fs;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{VaultError, fsutil};

/// How a failed attempt tried to open the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlockMethod {
    Passphrase,
    RecoveryKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedAttempt {
    pub at: DateTime<Utc>,
    pub method: UnlockMethod,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptState {
    pub consecutive_failures: u32,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub unaudited: Vec<FailedAttempt>,
}

/// At most this many unaudited attempts are kept; older ones are counted
/// by `consecutive_failures` alone.
const MAX_UNAUDITED: usize = 1000;
const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait imposed after `failures` consecutive failures: none after
/// none, then 0.5 s doubling to at most 30 s.
pub fn failure_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let shift = (failures - 1).min(16);
    (Duration::from_millis(500) * (1u32 << shift)).min(MAX_DELAY)
}

/// Takes the OS lock that serialises unlock attempts on one vault across
/// processes; it is held until the returned file is dropped (and released
/// by the OS if the process dies).
pub fn lock(path: &Path) -> Result<fs::File, VaultError> {
    let io = |e| VaultError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut options = fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

impl AttemptState {
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| VaultError::HeaderInvalid(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(VaultError::Io {
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), VaultError> {
        let json =
            serde_json::to_vec(self).map_err(|e| VaultError::HeaderInvalid(e.to_string()))?;
        if let Some(dir) = path.parent() {
            fsutil::create_private_dir(dir)?;
        }
        fsutil::write_atomic(path, &json)
    }

    /// The record kept in several places, merged: the larger count and the
    /// later failure win, and every unaudited attempt of either is kept.
    /// Removing one copy therefore resets nothing.
    pub fn load_all(paths: &[std::path::PathBuf]) -> Result<Self, VaultError> {
        let mut merged = Self::default();
        for path in paths {
            let s = Self::load(path)?;
            merged.consecutive_failures = merged.consecutive_failures.max(s.consecutive_failures);
            merged.last_failure_at = merged.last_failure_at.max(s.last_failure_at);
            merged.unaudited.extend(s.unaudited);
        }
        merged.unaudited.sort_by_key(|a| (a.at, a.method as u8));
        merged.unaudited.dedup();
        merged.unaudited.truncate(MAX_UNAUDITED);
        Ok(merged)
    }

    /// Writes the record to every place; fails only if it could be written
    /// nowhere, so an attempt that cannot be counted is not made, while a
    /// vault on a read-only or full disk still opens when the user's own
    /// folder can keep the count.
    pub fn save_all(&self, paths: &[std::path::PathBuf]) -> Result<(), VaultError> {
        let mut first_error = None;
        let mut saved = false;
        for p in paths {
            match self.save(p) {
                Ok(()) => saved = true,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (saved, first_error) {
            (false, Some(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// How long the next attempt must still wait at `now`.
    pub fn wait_at(&self, now: DateTime<Utc>) -> Duration {
        let Some(last) = self.last_failure_at else {
            return Duration::ZERO;
        };
        let delay = failure_delay(self.consecutive_failures);
        let since = (now - last).to_std().unwrap_or(Duration::ZERO);
        delay.saturating_sub(since)
    }

    pub fn record_failure(&mut self, at: DateTime<Utc>, method: UnlockMethod) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_failure_at = Some(at);
        if self.unaudited.len() < MAX_UNAUDITED {
            self.unaudited.push(FailedAttempt { at, method });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        let table = [
            (0, 0),
            (1, 500),
            (2, 1000),
            (3, 2000),
            (6, 16000),
            (7, 30000),
            (100, 30000),
        ];
        for (failures, ms) in table {
            assert_eq!(
                failure_delay(failures),
                Duration::from_millis(ms),
                "{failures}"
            );
        }
    }

    #[test]
    fn wait_counts_down_from_the_last_failure() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut s = AttemptState::default();
        assert_eq!(s.wait_at(t0), Duration::ZERO);
        s.record_failure(t0, UnlockMethod::Passphrase);
        s.record_failure(t0, UnlockMethod::RecoveryKey);
        assert_eq!(s.wait_at(t0), Duration::from_secs(1));
        assert_eq!(
            s.wait_at(t0 + chrono::Duration::milliseconds(400)),
            Duration::from_millis(600)
        );
        assert_eq!(s.wait_at(t0 + chrono::Duration::seconds(5)), Duration::ZERO);
        assert_eq!(s.unaudited.len(), 2);
    }
}
