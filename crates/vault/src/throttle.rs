//! Failed unlock attempts: a delay that grows with consecutive failures,
//! kept in the vault folder so it holds across processes, and a list of
//! attempts that the audit log has not recorded yet (the log is inside the
//! encrypted database, which a failed attempt cannot open; the next
//! successful unlock writes them).
//!
//! The record is kept in three places (the vault folder, the user's state
//! folder and the device-secret store, i.e. the OS keychain) and merged by
//! the larger count. Each copy carries an HMAC-SHA256 under a key derived
//! from the device secret ([`RecordKey`]), which is read from the keychain
//! *before* the guess is checked: a copy that was edited, forged, cannot be
//! parsed or carries no MAC counts as the maximum delay, never as none.

use std::fs;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::DeviceSecret;
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
pub const MAX_DELAY: Duration = Duration::from_secs(30);
/// The smallest count whose delay is [`MAX_DELAY`]: what a copy that fails
/// its MAC is taken to say.
pub const FAILURES_AT_MAX_DELAY: u32 = 7;

/// The HMAC-SHA256 key of the failed-attempt record:
/// HKDF-SHA256(device secret, salt = vault id, info = purpose label). It
/// exists before the passphrase is checked (the device secret is read from
/// the keychain first), so the record is verified before every guess; the
/// files alone, without the keychain, cannot forge it.
pub struct RecordKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey([redacted])")
    }
}

impl RecordKey {
    pub fn derive(device: &DeviceSecret, vault_id: &str) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(vault_id.as_bytes()), device.expose());
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: cannot fail.
        #[allow(clippy::expect_used)]
        hk.expand(b"matterbox/v1/unlock-attempts-mac", out.as_mut())
            .expect("32-byte HKDF output is always valid");
        Self(out)
    }

    fn mac(&self, state: &str) -> Hmac<Sha256> {
        // HMAC takes keys of any length: cannot fail.
        #[allow(clippy::expect_used)]
        let mut m =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_ref()).expect("any key length");
        m.update(b"matterbox unlock-attempts v1\0");
        m.update(state.as_bytes());
        m
    }
}

/// Writes the sealed record to a place that is not a file (the
/// device-secret store).
pub type SaveElsewhere<'a> = dyn Fn(&str) -> Result<(), VaultError> + 'a;

/// One stored copy: the state as JSON text, and the HMAC of that text.
#[derive(Serialize, Deserialize)]
struct Sealed {
    state: String,
    mac: String,
}

/// What one copy of the record said.
#[derive(Debug)]
enum Stored {
    Missing,
    Valid(AttemptState),
    /// Edited, forged, unparsable or without a MAC.
    Tampered,
}

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
    /// The record as stored: the state's JSON and its MAC (empty when no
    /// key is at hand, which a later check under a key calls tampered).
    pub fn seal(&self, key: Option<&RecordKey>) -> Result<String, VaultError> {
        let state =
            serde_json::to_string(self).map_err(|e| VaultError::HeaderInvalid(e.to_string()))?;
        let mac = key
            .map(|k| hex::encode(k.mac(&state).finalize().into_bytes()))
            .unwrap_or_default();
        serde_json::to_string(&Sealed { state, mac })
            .map_err(|e| VaultError::HeaderInvalid(e.to_string()))
    }

    /// Reads one stored copy. With a key, a copy whose MAC does not check
    /// is tampered; without one (the device secret is not at hand, e.g.
    /// `vault info` or a recovery without the keychain) the MAC is not
    /// checked, but a copy that does not parse is still tampered.
    fn open(text: &[u8], key: Option<&RecordKey>) -> Stored {
        let Ok(sealed) = serde_json::from_slice::<Sealed>(text) else {
            return Stored::Tampered;
        };
        if let Some(key) = key {
            let Ok(mac) = hex::decode(&sealed.mac) else {
                return Stored::Tampered;
            };
            if key.mac(&sealed.state).verify_slice(&mac).is_err() {
                return Stored::Tampered;
            }
        }
        match serde_json::from_str(&sealed.state) {
            Ok(state) => Stored::Valid(state),
            Err(_) => Stored::Tampered,
        }
    }

    fn load(path: &Path, key: Option<&RecordKey>) -> Result<Stored, VaultError> {
        match fs::read(path) {
            Ok(bytes) => Ok(Self::open(&bytes, key)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stored::Missing),
            Err(e) => Err(VaultError::Io {
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    fn save(text: &str, path: &Path) -> Result<(), VaultError> {
        if let Some(dir) = path.parent() {
            fsutil::create_private_dir(dir)?;
        }
        fsutil::write_atomic(path, text.as_bytes())
    }

    /// The record kept in several places (`paths`, and `elsewhere`: the
    /// copy in the device-secret store), merged: the larger count and the
    /// later failure win, and every unaudited attempt of a valid copy is
    /// kept. Removing a copy therefore resets nothing, and a copy that
    /// fails its check counts as the maximum delay from `now`.
    pub fn load_all(
        paths: &[std::path::PathBuf],
        elsewhere: Option<&str>,
        key: Option<&RecordKey>,
        now: DateTime<Utc>,
    ) -> Result<Self, VaultError> {
        let mut copies = Vec::with_capacity(paths.len() + 1);
        for path in paths {
            copies.push(Self::load(path, key)?);
        }
        if let Some(text) = elsewhere {
            copies.push(Self::open(text.as_bytes(), key));
        }
        let mut merged = Self::default();
        for copy in copies {
            let s = match copy {
                Stored::Missing => continue,
                Stored::Valid(s) => s,
                Stored::Tampered => Self {
                    consecutive_failures: FAILURES_AT_MAX_DELAY,
                    last_failure_at: Some(now),
                    unaudited: Vec::new(),
                },
            };
            merged.consecutive_failures = merged.consecutive_failures.max(s.consecutive_failures);
            merged.last_failure_at = merged.last_failure_at.max(s.last_failure_at);
            merged.unaudited.extend(s.unaudited);
        }
        merged.unaudited.sort_by_key(|a| (a.at, a.method as u8));
        merged.unaudited.dedup();
        merged.unaudited.truncate(MAX_UNAUDITED);
        Ok(merged)
    }

    /// Writes the record to every file in `paths` and, through
    /// `elsewhere`, to the device-secret store; fails only if it could be
    /// written nowhere, so an attempt that cannot be counted is not made,
    /// while a vault on a read-only or full disk still opens when another
    /// place can keep the count.
    pub fn save_all(
        &self,
        paths: &[std::path::PathBuf],
        elsewhere: Option<&SaveElsewhere<'_>>,
        key: Option<&RecordKey>,
    ) -> Result<(), VaultError> {
        let text = self.seal(key)?;
        let mut first_error = None;
        let mut saved = false;
        let mut note = |r: Result<(), VaultError>| match r {
            Ok(()) => saved = true,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        };
        for p in paths {
            note(Self::save(&text, p));
        }
        if let Some(store) = elsewhere {
            note(store(&text));
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
