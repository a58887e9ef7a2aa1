//! Lock receipts (#17, the "done when" on a restored copy): at each lock,
//! a small signed note that this device locked this vault at this time is
//! left at the vault's backup destination, so a copy restored from an
//! older backup can still learn that the stolen laptop was locked *after*
//! the backup was taken.
//!
//! A receipt holds **only** the vault id, the device id, the time and the
//! audit log's head (sequence and MAC): no name, no client data. It is
//! authenticated with HMAC-SHA256 under a key derived from the vault's
//! master key with its own HKDF label ([`KeyPurpose::LockReceipt`]), so
//! only someone holding the vault's key can make one, and a copy of the
//! vault opened with the recovery key can check it.
//!
//! **Writing is best effort and never blocks or fails the lock**: it runs
//! on its own thread and is waited for at most [`WRITE_LIMIT`]; a failure
//! leaves a marker beside the vault (a time and a fixed word, nothing
//! else) that the next unlock turns into a warning. Folder destinations
//! only: an object store needs its access key from the keychain and a
//! network, which a lock must not wait for.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use matterbox_backup::Location;
use matterbox_domain::breaches::LockReceipt;
use matterbox_vault::KeyPurpose;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::Session;

/// The folder, under a backup folder, that holds the receipts.
pub const RECEIPTS_DIR: &str = "matterbox-lock-receipts";
/// The marker beside the vault that says the last receipt was not written.
pub const FAILED_MARKER: &str = "lock-receipt-failed";
/// How long a lock waits for its receipt at most.
pub const WRITE_LIMIT: Duration = Duration::from_secs(3);
/// Receipts kept per device (older ones are removed when a new one is written).
const KEEP: usize = 20;
const FORMAT: &str = "matterbox-lock-receipt/1";

/// What a receipt says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    format: String,
    vault_id: String,
    device: String,
    locked_at: String,
    audit_seq: i64,
    audit_mac: String,
}

/// A receipt as written: the body's exact bytes and their MAC.
#[derive(Serialize, Deserialize)]
struct ReceiptFile {
    body: String,
    mac: String,
}

/// The receipts found at a backup folder for one vault.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The newest verified receipt of each device.
    pub newest: Vec<LockReceipt>,
    /// Receipts that did not verify (edited, made without the vault's key,
    /// or of another vault): refused.
    pub refused: usize,
}

fn mac(key: &[u8], body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: cannot fail.
    #[allow(clippy::expect_used)]
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(body);
    m
}

/// Reads and checks one receipt file's text; `None` when it does not verify.
fn verify(key: &[u8], vault_id: &str, text: &[u8]) -> Option<LockReceipt> {
    let file: ReceiptFile = serde_json::from_slice(text).ok()?;
    let tag = hex::decode(&file.mac).ok()?;
    mac(key, file.body.as_bytes()).verify_slice(&tag).ok()?;
    let body: Body = serde_json::from_str(&file.body).ok()?;
    if body.format != FORMAT || body.vault_id != vault_id {
        return None;
    }
    Some(LockReceipt {
        device: body.device,
        locked_at: DateTime::parse_from_rfc3339(&body.locked_at).ok()?.to_utc(),
        audit_seq: body.audit_seq,
    })
}

/// Every receipt under `root` for the vault, checked with `key`.
fn read_all(root: &Path, key: &[u8], vault_id: &str) -> Found {
    let mut found = Found::default();
    let Ok(entries) = fs::read_dir(root.join(RECEIPTS_DIR)) else {
        return found;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        // Receipts are a few hundred bytes; anything large is not one.
        let Ok(text) = fs::read(e.path()) else {
            continue;
        };
        match (text.len() < 4096)
            .then(|| verify(key, vault_id, &text))
            .flatten()
        {
            Some(r) => match found.newest.iter_mut().find(|n| n.device == r.device) {
                Some(n) if n.locked_at < r.locked_at => *n = r,
                Some(_) => {}
                None => found.newest.push(r),
            },
            None => found.refused += 1,
        }
    }
    found.newest.sort_by(|a, b| a.device.cmp(&b.device));
    found
}

/// Writes `bytes` as `name` in `root/RECEIPTS_DIR` (a temporary file
/// renamed into place), then keeps only the newest [`KEEP`] of `device`.
fn write_file(root: &Path, device: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    if !root.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "backup folder not reachable",
        ));
    }
    let dir = root.join(RECEIPTS_DIR);
    fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, dir.join(name))?;
    let prefix = format!("{device}-");
    let mut mine: Vec<String> = fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
        .collect();
    mine.sort();
    let excess = mine.len().saturating_sub(KEEP);
    for old in &mine[..excess] {
        let _ = fs::remove_file(dir.join(old));
    }
    Ok(())
}

impl Session {
    /// The backup folder receipts go to and are read from (none for an
    /// object store or when no backup destination is set).
    fn receipt_folder(&self) -> Option<PathBuf> {
        let text = self.backup_state().ok()?.destination?;
        match Location::parse(&text).ok()? {
            Location::Folder(root) => Some(root),
            _ => None,
        }
    }

    /// Leaves a lock receipt at the backup folder; called after the lock
    /// was recorded. Never fails the lock: a receipt not written in
    /// [`WRITE_LIMIT`] leaves the marker for the next unlock's warning.
    pub(crate) fn leave_lock_receipt(&self) {
        let Some(root) = self.receipt_folder() else {
            return;
        };
        let Ok(Some(head)) = self.audit.anchor(&self.conn) else {
            return;
        };
        let now = Utc::now();
        let body = Body {
            format: FORMAT.into(),
            vault_id: self.vault.id().to_string(),
            device: self.device.clone(),
            locked_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            audit_seq: head.seq,
            audit_mac: head.mac,
        };
        let Ok(body) = serde_json::to_string(&body) else {
            return;
        };
        let key = self.master.derive(self.vault.id(), KeyPurpose::LockReceipt);
        let tag = hex::encode(mac(key.expose(), body.as_bytes()).finalize().into_bytes());
        let Ok(bytes) = serde_json::to_vec(&ReceiptFile { body, mac: tag }) else {
            return;
        };
        let name = format!("{}-{:016}.json", self.device, now.timestamp_millis());
        let device = self.device.clone();
        let (tx, rx) = mpsc::channel();
        // A folder on a sleeping drive or a dead share can hang: the lock
        // does not wait for it past the limit (the thread ends on its own).
        let spawned = std::thread::Builder::new()
            .name("lock-receipt".into())
            .spawn(move || {
                let _ = tx.send(write_file(&root, &device, &name, &bytes));
            });
        let written = spawned.is_ok() && matches!(rx.recv_timeout(WRITE_LIMIT), Ok(Ok(())));
        if !written {
            let _ = fs::write(
                self.vault.dir().join(FAILED_MARKER),
                now.to_rfc3339_opts(SecondsFormat::Secs, true),
            );
        }
    }

    /// At unlock: the warning a receipt not written at the last lock left.
    pub(crate) fn take_receipt_failure(&mut self) {
        let marker = self.vault.dir().join(FAILED_MARKER);
        let Ok(text) = fs::read_to_string(&marker) else {
            return;
        };
        let at: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '+'))
            .take(40)
            .collect();
        self.warnings.push(format!(
            "The lock at {at} could not leave its lock receipt at the backup folder (not reachable, or too slow): a copy restored from a backup cannot show that this computer was locked then. Check that the backup drive or share is connected."
        ));
        let _ = fs::remove_file(marker);
    }

    /// The receipts at the backup folder, checked with this vault's key.
    pub(crate) fn lock_receipts(&self) -> Found {
        let Some(root) = self.receipt_folder() else {
            return Found::default();
        };
        let key = self.master.derive(self.vault.id(), KeyPurpose::LockReceipt);
        read_all(&root, key.expose(), self.vault.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &[u8], body: &Body) -> Vec<u8> {
        let body = serde_json::to_string(body).unwrap();
        let tag = hex::encode(mac(key, body.as_bytes()).finalize().into_bytes());
        serde_json::to_vec(&ReceiptFile { body, mac: tag }).unwrap()
    }

    fn body(device: &str, at: &str) -> Body {
        Body {
            format: FORMAT.into(),
            vault_id: "v1".into(),
            device: device.into(),
            locked_at: at.into(),
            audit_seq: 7,
            audit_mac: "ab".into(),
        }
    }

    #[test]
    fn the_newest_verified_receipt_of_each_device_is_read_and_the_rest_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = [9u8; 32];
        let put = |name: &str, bytes: &[u8]| {
            write_file(dir.path(), name.split('-').next().unwrap(), name, bytes).unwrap()
        };
        put(
            "a-1.json",
            &signed(&key, &body("a", "2026-03-02T08:00:00Z")),
        );
        put(
            "a-2.json",
            &signed(&key, &body("a", "2026-03-02T09:00:00Z")),
        );
        put(
            "b-1.json",
            &signed(&key, &body("b", "2026-03-02T07:00:00Z")),
        );
        // Made with another key; of another vault; edited after signing.
        put(
            "a-3.json",
            &signed(&[1u8; 32], &body("a", "2026-03-02T10:00:00Z")),
        );
        let mut other = body("a", "2026-03-02T11:00:00Z");
        other.vault_id = "v2".into();
        put("a-4.json", &signed(&key, &other));
        let edited = String::from_utf8(signed(&key, &body("b", "2026-03-02T07:00:00Z")))
            .unwrap()
            .replace("07:00", "12:00");
        put("b-2.json", edited.as_bytes());
        let found = read_all(dir.path(), &key, "v1");
        assert_eq!(found.refused, 3);
        let newest: Vec<(String, String)> = found
            .newest
            .iter()
            .map(|r| (r.device.clone(), r.locked_at.to_rfc3339()))
            .collect();
        assert_eq!(
            newest,
            [
                ("a".to_string(), "2026-03-02T09:00:00+00:00".to_string()),
                ("b".to_string(), "2026-03-02T07:00:00+00:00".to_string())
            ]
        );
    }

    #[test]
    fn an_unreachable_folder_is_an_error_not_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("unplugged-drive");
        assert!(write_file(&gone, "a", "a-1.json", b"{}").is_err());
        assert!(!gone.exists());
    }
}
