//! Backups of a vault, verified before they are called done, and restore
//! on a new computer with the recovery key alone.
//!
//! What goes in is the vault as it is at rest, never decrypted: a
//! consistent copy of the database file and its write-ahead log, made
//! under the write lock (`matterbox_store::copy_locked`), the audit anchor
//! that matches that copy, the header and the
//! document blobs, each at its own path. They are gathered in a staging
//! folder inside the vault (the blobs as hard links: blobs never change
//! once written), which is saved as `vault/`: a snapshot restored by plain
//! restic is a vault folder that opens with the recovery key. The repository is restic's format
//! (`matterbox_backup`); its password derives from the master key with its
//! own label, so the recovery key alone opens it on a new computer — the
//! public header is kept beside the repository for that. A destination —
//! a folder (an external drive, a share) or a place in an S3-compatible
//! object store, whose access key is kept in the keychain beside the
//! device secret — holds:
//!
//! ```text
//! matterbox-backup.json   which vault, and its public header
//! README.txt              what this is and how to restore it with restic
//! audit-head.json         the newest audit head a backup saw (MACed)
//! repository/             the restic repository
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use matterbox_backup::{BackupError, Destination, SnapshotInfo, Watch};
pub use matterbox_backup::{Location, S3Credentials, S3Location};
use matterbox_domain::settings;
use matterbox_vault::{KeyPurpose, MasterKey, RecoveryKey, VaultHeader};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::{CoreError, Environment, Result, SecretText, Session};

pub use matterbox_backup::{Activity, REPOSITORY_DIR, SnapshotInfo as BackupSnapshot};

/// The public file beside the repository.
pub const MANIFEST_FILE: &str = "matterbox-backup.json";
/// The newest audit head the backups have seen (MACed, no secret): a
/// vault whose log does not hold it was put back to an older copy.
const HEAD_FILE: &str = "audit-head.json";
const README_FILE: &str = "README.txt";
const MANIFEST_FORMAT: &str = "matterbox-backup";
const MANIFEST_VERSION: u32 = 1;

/// Inside the vault folder while a backup runs: the vault as it is saved
/// (database copy, its anchor, header, blobs as hard links). Removed when
/// the backup ends, and by the next backup or unlock after a crash.
const STAGING_DIR: &str = ".backup";
/// Inside the vault folder while a restore drill runs: the restored copy.
const DRILL_DIR: &str = ".backup-drill";
/// Held while a backup runs, so two never share the staging folder.
const LOCK_FILE: &str = "backup.lock";
/// Where the vault folder sits inside every snapshot.
const SNAPSHOT_ROOT: &str = "vault";
/// Small files of the vault folder that go in as copies when present.
const COPIED: &[&str] = &[
    matterbox_vault::vault::HEADER_FILE,
    crate::inbox::INBOX_LOCATION_FILE,
];

/// Every backup reads back this many parts of the stored data in turn,
/// one per day, so all of it has been read within a month of daily runs.
const CHECK_PARTS: u32 = 30;

/// Snapshots kept: the newest of each of the last 7 days, 4 weeks and 12
/// months.
const KEEP_DAILY: i32 = 7;
const KEEP_WEEKLY: i32 = 4;
const KEEP_MONTHLY: i32 = 12;

/// The settings key of the backup state (not secret: a folder and times).
const BACKUP_SETTINGS: &str = "backup";

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupState {
    /// Where backups go: a folder, or `s3:https://host/bucket/folder`.
    pub destination: Option<String>,
    /// When the last backup that passed its verification finished.
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_snapshot: Option<String>,
    /// The last attempt, whether it passed or not.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// What went wrong in the last attempt, when it failed.
    pub last_problem: Option<String>,
    /// An older copy of the vault was found put back: what was found
    /// (until the next backup records the present log).
    #[serde(default)]
    pub rollback: Option<String>,
    /// When the last restore drill passed, and what failed in the last
    /// one that did not.
    #[serde(default)]
    pub last_drill_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_drill_problem: Option<String>,
    /// Destroyed documents whose data the backups may still hold: every
    /// snapshot taken in this span is removed (and the repository pruned)
    /// by the next backup that reaches the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge: Option<PurgeSpan>,
}

/// Snapshots taken from `from` to `until` may hold destroyed documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PurgeSpan {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Records, in the destruction's own transaction, that the backups taken
/// since the oldest destroyed document was added may hold it. `added` is
/// that document's day; a day earlier is taken, for time zones.
pub(crate) fn note_destruction(
    tx: &rusqlite::Connection,
    added: chrono::NaiveDate,
    destroyed_at: DateTime<Utc>,
) -> Result<()> {
    let mut state: BackupState = settings::get(tx, BACKUP_SETTINGS)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default();
    let from = added
        .pred_opt()
        .unwrap_or(added)
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(destroyed_at);
    state.purge = Some(match state.purge {
        Some(p) => PurgeSpan {
            from: p.from.min(from),
            until: p.until.max(destroyed_at),
        },
        None => PurgeSpan {
            from,
            until: destroyed_at,
        },
    });
    let value = serde_json::to_string(&state)
        .map_err(|_| CoreError::Internal("the backup state does not serialize"))?;
    settings::set(tx, BACKUP_SETTINGS, &value)?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    format: String,
    version: u32,
    vault_id: String,
    header: VaultHeader,
}

/// What one backup did, as the user is told.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    pub destination: String,
    pub snapshot: String,
    pub files: u64,
    pub bytes: u64,
    /// Bytes added to the destination (after deduplication, compressed).
    pub bytes_written: u64,
    /// Which part of the stored data was read back and authenticated, as
    /// "n/m"; "all" after a full check.
    pub data_checked: String,
    /// Older backups removed because they held destroyed documents.
    pub purged: Vec<String>,
    /// Older backups removed by the keep schedule (daily, weekly, monthly).
    pub thinned: Vec<String>,
    /// Set when the vault's audit log does not hold the newest entry an
    /// earlier backup saw: an older copy of the vault was put back (on
    /// purpose, after restoring an older backup, or not).
    pub rollback: Option<String>,
    /// The span of destructions this backup purged.
    #[serde(skip)]
    #[ts(skip)]
    purged_span: Option<PurgeSpan>,
}

fn read_manifest(dest: &Destination) -> Result<Option<Manifest>> {
    let Some(bytes) = dest.read_public(MANIFEST_FILE)? else {
        return Ok(None);
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|_| {
        CoreError::Invalid(format!(
            "{MANIFEST_FILE} at {} is not a Matterbox backup description.",
            dest.location()
        ))
    })?;
    if manifest.format != MANIFEST_FORMAT || manifest.version != MANIFEST_VERSION {
        return Err(CoreError::Invalid(format!(
            "{MANIFEST_FILE} at {} was written by another version of Matterbox (format {} {}).",
            dest.location(),
            manifest.format,
            manifest.version
        )));
    }
    Ok(Some(manifest))
}

fn readme(vault_id: &str, location: &Location) -> String {
    let (here, restic) = match location {
        Location::Folder(_) => ("This folder holds", String::new()),
        Location::Store(_) => (
            "This place in an object store holds",
            " (with the store's access key in AWS_ACCESS_KEY_ID and\n\x20 AWS_SECRET_ACCESS_KEY)"
                .to_string(),
        ),
    };
    let repository = location.repository();
    format!(
        "{here} the encrypted backups of a Matterbox vault ({vault_id}).\n\
         \n\
         - repository/ is a restic repository (https://restic.net). Matterbox restores\n\
         \x20 it with the vault's recovery key: Restore from backup on the first screen,\n\
         \x20 or `matterbox backup restore --from {location}`.\n\
         - Without Matterbox: `matterbox backup password` (on a computer where the vault\n\
         \x20 is unlocked) shows the repository password; then{restic}\n\
         \x20 `restic -r {repository} snapshots` lists the backups and\n\
         \x20 `restic -r {repository} restore latest --target <folder>` restores the\n\
         \x20 vault's files, which stay encrypted: they open only in Matterbox, with the\n\
         \x20 recovery key.\n\
         - matterbox-backup.json describes the vault; it holds no secret in clear.\n\
         \n\
         Do not edit or delete anything here by hand.\n"
    )
}

/// The keychain entry (beside the device secret) of the backup store's
/// access key.
const STORE_KEY_ENTRY: &str = "backup-store";

/// The access key of a backup store as kept in the keychain, with the
/// store it belongs to: it is never sent to another one.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeptStoreKey {
    location: String,
    access_key_id: String,
    secret_access_key: String,
}

impl Drop for KeptStoreKey {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret_access_key.zeroize();
    }
}

/// The repository password: 64 hex digits derived from the master key.
fn repository_password(master: &MasterKey, vault_id: &str) -> Zeroizing<String> {
    let key = master.derive(vault_id, KeyPurpose::BackupRepository);
    Zeroizing::new(hex::encode(key.expose()))
}

impl From<BackupError> for CoreError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Cancelled => CoreError::Cancelled,
            BackupError::Io { path, source } => CoreError::UserFile {
                action: "use the backup folder",
                path,
                source,
            },
            other => CoreError::Backup(other.to_string()),
        }
    }
}

/// A held lock on the vault's backup, released on drop.
struct BackupLock(fs::File);

impl BackupLock {
    fn take(vault_dir: &Path) -> Result<Option<Self>> {
        let path = vault_dir.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(CoreError::io("opening the backup lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(BackupLock(file))),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(CoreError::io("taking the backup lock")(e)),
        }
    }
}

impl Drop for BackupLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Removes what an interrupted backup left in the vault folder (an
/// encrypted database copy), unless a backup is running right now.
pub(crate) fn remove_interrupted(vault_dir: &Path) {
    let left = [STAGING_DIR, DRILL_DIR]
        .map(|d| vault_dir.join(d))
        .into_iter()
        .filter(|d| d.exists())
        .collect::<Vec<_>>();
    if left.is_empty() {
        return;
    }
    if let Ok(Some(_lock)) = BackupLock::take(vault_dir) {
        for d in left {
            let _ = fs::remove_dir_all(d);
        }
    }
}

/// Today's part of the data to read back: 1..=CHECK_PARTS, one per day.
fn todays_part(now: DateTime<Utc>) -> u32 {
    let days = now.timestamp().div_euclid(86_400);
    u32::try_from(days.rem_euclid(i64::from(CHECK_PARTS))).unwrap_or(0) + 1
}

impl Session {
    /// The backup state kept in the vault: destination and last results.
    pub fn backup_state(&self) -> Result<BackupState> {
        Ok(settings::get(&self.conn, BACKUP_SETTINGS)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    fn save_backup_state(&mut self, state: &BackupState) -> Result<()> {
        let value = serde_json::to_string(state)
            .map_err(|_| CoreError::Internal("the backup state does not serialize"))?;
        self.write(|tx, _| Ok(settings::set(tx, BACKUP_SETTINGS, &value)?))
    }

    /// The password of this vault's backup repository, for plain restic.
    /// Showing it is audited.
    pub fn backup_password(&mut self) -> Result<SecretText> {
        let object = self.vault_object();
        self.write(|_, rec| rec.record("backup_password_shown", &object, json!({})))?;
        Ok(SecretText::new(repository_password(
            &self.master,
            self.vault.id(),
        )))
    }

    /// Backs the vault up to `destination` (or the one used last), then
    /// verifies it: the repository's structure, and today's share of the
    /// stored data read back and authenticated (all of it with
    /// `check_all`). Only a verified backup is reported done and recorded
    /// as the last verified one; a failed one is recorded with its reason.
    /// (The app runs the three steps itself, holding the session only for
    /// the first and the last: see [`PreparedBackup`].)
    pub fn backup(
        &mut self,
        destination: Option<&str>,
        check_all: bool,
        watch: Option<Watch>,
    ) -> Result<BackupReport> {
        let location = self.backup_location(destination)?;
        let outcome = self
            .prepare_backup(&location)
            .and_then(|p| p.run(check_all, watch.unwrap_or_default()));
        self.record_backup(&location, &outcome);
        outcome
    }

    /// Where a backup goes: `destination` (a folder, or `s3:…`), else the
    /// one used last.
    pub fn backup_location(&self, destination: Option<&str>) -> Result<Location> {
        let text = match destination {
            Some(d) => d.to_string(),
            None => self.backup_state()?.destination.ok_or_else(|| {
                CoreError::Invalid(
                    "No backup destination is set yet: name one (an external drive, a mounted share or an object store)."
                        .into(),
                )
            })?,
        };
        Ok(Location::parse(&text)?)
    }

    /// Keeps the access key of an object store in the keychain, beside the
    /// device secret (replacing any kept before), once the store accepted
    /// it. Audited, without the key.
    pub fn set_backup_store_key(
        &mut self,
        location: &S3Location,
        credentials: &S3Credentials,
    ) -> Result<()> {
        if credentials.access_key_id.trim().is_empty()
            || credentials.secret_access_key.trim().is_empty()
        {
            return Err(CoreError::Invalid(
                "Both the access key id and the secret access key are needed.".into(),
            ));
        }
        // A key the store refuses is said so now, and not kept.
        Destination::new(Location::Store(location.clone()), Some(credentials))?
            .check_reachable()?;
        let kept = KeptStoreKey {
            location: location.to_string(),
            access_key_id: credentials.access_key_id.trim().to_string(),
            secret_access_key: credentials.secret_access_key.trim().to_string(),
        };
        let text = Zeroizing::new(
            serde_json::to_string(&kept)
                .map_err(|_| CoreError::Internal("the store key does not serialize"))?,
        );
        self.env
            .store(self.vault.header().device_secret_storage)
            .save_text(self.vault.id(), STORE_KEY_ENTRY, &text)?;
        let object = self.vault_object();
        let entry = json!({ "store": location.to_string() });
        self.write(|_, rec| rec.record("backup_store_key_saved", &object, entry))
    }

    /// The destination at `location`, with the store's access key from the
    /// keychain when it is an object store.
    fn destination_at(&self, location: &Location) -> Result<Destination> {
        let Location::Store(store) = location else {
            return Ok(Destination::new(location.clone(), None)?);
        };
        let kept = self
            .env
            .store(self.vault.header().device_secret_storage)
            .load_text(self.vault.id(), STORE_KEY_ENTRY)?;
        let credentials = kept
            .and_then(|text| serde_json::from_str::<KeptStoreKey>(&text).ok())
            .filter(|k| S3Location::parse(&k.location).is_ok_and(|l| l.same_store(store)))
            .map(|k| S3Credentials {
                access_key_id: k.access_key_id.clone(),
                secret_access_key: Zeroizing::new(k.secret_access_key.clone()),
            });
        Ok(Destination::new(location.clone(), credentials.as_ref())?)
    }

    /// The part of a backup that needs the vault: checks the destination,
    /// compares the audit log with what the backups saw, and stages the
    /// vault as it is saved (under the backup lock, held by the result).
    pub fn prepare_backup(&mut self, location: &Location) -> Result<PreparedBackup> {
        self.refuse_destination_inside_vault(location)?;
        let dest = self.destination_at(location)?;
        let vault_dir = self.vault.dir().to_path_buf();
        let Some(lock) = BackupLock::take(&vault_dir)? else {
            return Err(CoreError::Invalid(
                "A backup of this vault is running already (in the app or another command). Try again when it has finished.".into(),
            ));
        };
        if let Location::Folder(root) = location
            && !root.is_dir()
        {
            return Err(BackupError::Destination(format!(
                "The backup folder {} is not there (is the drive plugged in?).",
                root.display()
            ))
            .into());
        }
        match read_manifest(&dest)? {
            Some(m) if m.vault_id != self.vault.id() => {
                return Err(CoreError::Invalid(format!(
                    "{location} holds the backups of another vault ({}); choose another place.",
                    m.vault_id
                )));
            }
            _ => {}
        }
        self.write_manifest(&dest)?;
        let rollback = self.rollback_against(&dest)?;
        let mut prepared = PreparedBackup {
            dest,
            staging: vault_dir.join(STAGING_DIR),
            password: repository_password(&self.master, self.vault.id()),
            anchor: None,
            purge: self.backup_state()?.purge,
            rollback,
            _lock: lock,
        };
        prepared.anchor = self.stage(&prepared.staging)?;
        Ok(prepared)
    }

    /// Records how a backup ended: `backup_verified` or `backup_failed` in
    /// the audit log, and the backup state. A failure to record is a
    /// warning, never the opposite of what the backup did.
    pub fn record_backup(&mut self, location: &Location, outcome: &Result<BackupReport>) {
        let place = location.to_string();
        let recorded = (|| -> Result<()> {
            // Read now: a destruction recorded meanwhile stays pending.
            let mut state = self.backup_state()?;
            state.last_attempt_at = Some(Utc::now());
            let (action, entry) = match outcome {
                Ok(report) => {
                    if state.purge == report.purged_span {
                        state.purge = None;
                    }
                    state.destination = Some(place.clone());
                    state.last_verified_at = state.last_attempt_at;
                    state.last_snapshot = Some(report.snapshot.clone());
                    state.last_problem = None;
                    // This backup's head is now the one a later check
                    // compares with.
                    state.rollback = None;
                    let entry = json!({
                        "destination": place,
                        "snapshot": report.snapshot,
                        "files": report.files,
                        "bytes_written": report.bytes_written,
                        "data_checked": report.data_checked,
                        "removed_holding_destroyed_documents": report.purged.len(),
                        "removed_by_schedule": report.thinned.len(),
                    });
                    ("backup_verified", entry)
                }
                Err(e) => {
                    state.last_problem = Some(match e.code() {
                        crate::ErrorCode::Internal => {
                            "an internal error (its incident id was shown when it happened)".into()
                        }
                        _ => e.to_string(),
                    });
                    (
                        "backup_failed",
                        json!({ "destination": place, "code": e.code().as_str() }),
                    )
                }
            };
            let object = self.vault_object();
            self.write(|_, rec| rec.record(action, &object, entry))?;
            self.save_backup_state(&state)
        })();
        if let Err(r) = recorded {
            self.warnings.push(format!(
                "The backup's result could not be recorded in the vault ({}).",
                r.user_message()
            ));
        }
    }

    fn refuse_destination_inside_vault(&self, location: &Location) -> Result<()> {
        let Location::Folder(root) = location else {
            return Ok(());
        };
        let vault = crate::resolve_path(self.vault.dir());
        let dest = crate::resolve_path(root);
        if dest.starts_with(&vault) || vault.starts_with(&dest) {
            return Err(CoreError::Invalid(format!(
                "The backup folder {} is inside the vault folder or holds it; a backup must be kept apart from the vault (another drive, a share).",
                root.display()
            )));
        }
        Ok(())
    }

    /// What the backups Matterbox manages still hold of documents
    /// destroyed at `destroyed_at` (RFC 3339), in a sentence for the
    /// certificate of destruction: copies pending removal and since when,
    /// or the backup that removed them.
    pub fn backup_copies_note(&self, destroyed_at: &str) -> Result<String> {
        let state = self.backup_state()?;
        let Some(dest) = &state.destination else {
            return Ok("Matterbox makes no backups of this vault.".into());
        };
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc));
        let Ok(destroyed) = parse(destroyed_at) else {
            return Ok(String::new());
        };
        if let Some(span) = state.purge
            && span.until + chrono::TimeDelta::minutes(1) >= destroyed
        {
            return Ok(format!(
                "Encrypted copies remain in the backups at {} made since {}; the next backup that reaches it removes them and prunes the repository.",
                dest,
                span.from.format("%Y-%m-%d")
            ));
        }
        let removed_by = self
            .audit_entries()?
            .into_iter()
            .filter(|e| e.action == "backup_verified")
            .find(|e| parse(&e.at).is_ok_and(|at| at >= destroyed));
        Ok(match removed_by {
            Some(e) => format!(
                "The backups at {} that held them were removed, and the repository pruned, by the backup of {}.",
                dest, e.at
            ),
            None => format!(
                "No backup at {} holds them (none was made while they existed).",
                dest
            ),
        })
    }

    /// Compares the vault's audit log with the newest head its backups saw,
    /// at the backup folder set (the app does it after each unlock, the
    /// CLI in `backup status`): a vault put back to an older copy is found
    /// before the next backup. A folder that is not there (an unplugged
    /// drive) says nothing. An object store is compared at each backup
    /// only: unlocking never waits for the network. What is found is
    /// audited and kept in the backup state until the next backup.
    pub fn check_rollback(&mut self) -> Result<Option<String>> {
        let Some(text) = self.backup_state()?.destination else {
            return Ok(None);
        };
        let Ok(location @ Location::Folder(_)) = Location::parse(&text) else {
            return Ok(None);
        };
        let dest = self.destination_at(&location)?;
        let finding = self.rollback_against(&dest)?;
        if let Some(found) = &finding {
            let mut state = self.backup_state()?;
            state.rollback = Some(found.clone());
            self.save_backup_state(&state)?;
        }
        Ok(finding)
    }

    /// Compares the vault's audit log with the newest head its backups
    /// saw. A head the log does not hold means the vault was rolled back;
    /// it is audited and told, and the backup goes on (it may be a
    /// deliberate restore of an older backup).
    fn rollback_against(&mut self, dest: &Destination) -> Result<Option<String>> {
        let Ok(Some(bytes)) = dest.read_public(HEAD_FILE) else {
            return Ok(None);
        };
        let seen: Option<matterbox_audit::Anchor> = serde_json::from_slice(&bytes).ok();
        let finding = match seen {
            Some(seen) if !self.audit.anchor_is_genuine(&seen) => Some((
                format!(
                    "The backup folder's record of the audit log ({HEAD_FILE}) was not made by this vault or was edited."
                ),
                seen.seq,
            )),
            Some(seen) if !self.audit.anchor_matches(&self.conn, &seen)? => Some((
                format!(
                    "This vault's audit log does not hold entry {} that an earlier backup saw: an older copy of the vault was put back. If you restored an older backup on purpose, this is expected; if not, the vault may have been rolled back to hide changes.",
                    seen.seq
                ),
                seen.seq,
            )),
            Some(_) => None,
            None => Some((
                format!("The backup folder's {HEAD_FILE} cannot be read."),
                0,
            )),
        };
        let Some((message, seq)) = finding else {
            return Ok(None);
        };
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "vault_rollback_detected",
                &object,
                json!({ "backup_head_seq": seq }),
            )
        })?;
        self.warnings.push(message.clone());
        Ok(Some(message))
    }

    /// The vault as it is saved, in the staging folder: the database
    /// copy, the anchor that matches it, the header, and every blob as a
    /// hard link (no bytes copied; a blob never changes once written).
    fn stage(&self, staging: &Path) -> Result<Option<matterbox_audit::Anchor>> {
        let _ = fs::remove_dir_all(staging);
        let io = CoreError::io;
        let blobs = staging.join(matterbox_vault::vault::BLOBS_DIR);
        matterbox_vault::fsutil::create_private_dir(&blobs)?;
        // The database's pages and log as they are (encrypted), and the
        // audit head that matches them, under the write lock.
        let db = self.vault.database_path();
        let anchor = matterbox_store::with_write_lock(&self.conn, || -> Result<_> {
            for suffix in ["", "-wal"] {
                let from = PathBuf::from(format!("{}{suffix}", db.display()));
                if suffix == "-wal" && !from.exists() {
                    continue;
                }
                let name = format!("{}{suffix}", matterbox_vault::vault::DATABASE_FILE);
                let mut source =
                    fs::File::open(&from).map_err(io("reading the database for the backup"))?;
                let mut copy = matterbox_vault::fsutil::create_private_file(&staging.join(name))?;
                std::io::copy(&mut source, &mut copy)
                    .map_err(io("copying the database for the backup"))?;
            }
            Ok(self.audit.anchor(&self.conn)?)
        })?;
        if let Some(anchor) = &anchor {
            let json = serde_json::to_vec(anchor)
                .map_err(|_| CoreError::Internal("the audit anchor does not serialize"))?;
            matterbox_vault::fsutil::write_atomic(
                &staging.join(matterbox_vault::vault::AUDIT_ANCHOR_FILE),
                &json,
            )?;
        }
        let dir = self.vault.dir();
        for name in COPIED {
            match fs::copy(dir.join(name), staging.join(name)) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("copying the vault header for the backup")(e)),
            }
        }
        let live = self.vault.blobs_dir();
        for entry in fs::read_dir(&live).map_err(io("listing the documents for the backup"))? {
            let entry = entry.map_err(io("listing the documents for the backup"))?;
            // Files only: the temporary folder of writes in progress stays out.
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                fs::hard_link(entry.path(), blobs.join(entry.file_name()))
                    .map_err(io("linking a document into the backup"))?;
            }
        }
        Ok(anchor)
    }

    fn write_manifest(&self, dest: &Destination) -> Result<()> {
        let manifest = Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            vault_id: self.vault.id().into(),
            header: self.vault.header().clone(),
        };
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|_| CoreError::Internal("the backup description does not serialize"))?;
        dest.write_public(MANIFEST_FILE, &json)?;
        Ok(dest.write_public(
            README_FILE,
            readme(self.vault.id(), dest.location()).as_bytes(),
        )?)
    }

    /// A restore drill: the newest backup is restored into a private
    /// temporary folder, opened with the master key exactly as the
    /// recovery key would open it, its audit log verified, every document
    /// decrypted and checked against its SHA-256, and each compared with
    /// the vault's own record. The drill and its result are audited; the
    /// restored copy (encrypted) is removed.
    pub fn backup_drill(&mut self, watch: Option<Watch>) -> Result<DrillReport> {
        let state = self.backup_state()?;
        if state.destination.is_none() {
            return Err(CoreError::Invalid(
                "No backup destination is set yet: run a backup first.".into(),
            ));
        }
        let outcome = self
            .backup_location(None)
            .and_then(|l| self.drill(&l, watch.unwrap_or_default()));
        let object = self.vault_object();
        let entry = match &outcome {
            Ok(r) => {
                json!({ "snapshot": r.snapshot, "documents": r.documents, "result": "passed" })
            }
            Err(e) => json!({ "result": "failed", "code": e.code().as_str() }),
        };
        let recorded = self
            .write(|_, rec| rec.record("backup_restore_drill", &object, entry))
            .and_then(|()| {
                let mut state = self.backup_state()?;
                match &outcome {
                    Ok(_) => {
                        state.last_drill_at = Some(Utc::now());
                        state.last_drill_problem = None;
                    }
                    Err(e) => state.last_drill_problem = Some(e.to_string()),
                }
                self.save_backup_state(&state)
            });
        if let Err(e) = recorded {
            self.warnings.push(format!(
                "The restore drill could not be recorded in the vault ({}).",
                e.user_message()
            ));
        }
        outcome
    }

    fn drill(&mut self, location: &Location, watch: Watch) -> Result<DrillReport> {
        let dest = self.destination_at(location)?;
        let password = repository_password(&self.master, self.vault.id());
        let repo = matterbox_backup::open(&dest, &password, watch)?;
        let Some(_lock) = BackupLock::take(self.vault.dir())? else {
            return Err(CoreError::Invalid(
                "A backup of this vault is running; run the drill when it has finished.".into(),
            ));
        };
        let place = self.vault.dir().join(DRILL_DIR);
        let _ = fs::remove_dir_all(&place);
        let result = (|| -> Result<DrillReport> {
            let info = repo.restore(None, &place)?;
            let restored_dir = place.join(SNAPSHOT_ROOT);
            let restored = matterbox_vault::Vault::open(&restored_dir)?;
            if restored.id() != self.vault.id() {
                return Err(CoreError::Backup(format!(
                    "The backup {} holds another vault.",
                    info.id
                )));
            }
            let mut copy = Session::open(restored, self.master.clone(), &self.env, false)?;
            let failed = |what: String| {
                CoreError::Backup(format!(
                    "The restore drill of backup {} failed: {what}. Run a new backup and the drill again; if it fails again, use another drive.",
                    info.id
                ))
            };
            match copy.verify_audit()? {
                matterbox_audit::Verification::Intact { .. } => {}
                matterbox_audit::Verification::Broken { reason, .. } => {
                    return Err(failed(format!("its audit log does not verify ({reason})")));
                }
            }
            let doctor = copy.doctor(false, true, std::time::Duration::MAX, false)?;
            if !doctor.missing.is_empty()
                || !doctor.damaged.is_empty()
                || !doctor.database_problems.is_empty()
            {
                return Err(failed(format!(
                    "{} documents missing, {} damaged, {} database problems",
                    doctor.missing.len(),
                    doctor.damaged.len(),
                    doctor.database_problems.len()
                )));
            }
            let checksums = |conn: &rusqlite::Connection| -> Result<Vec<(String, Vec<u8>)>> {
                let mut stmt =
                    conn.prepare("SELECT blob_id, sha256 FROM document_versions ORDER BY blob_id")?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            };
            let theirs = checksums(&copy.conn)?;
            drop(copy);
            let ours: std::collections::BTreeMap<String, Vec<u8>> =
                checksums(&self.conn)?.into_iter().collect();
            // Every document the backup holds that the vault still holds
            // has the same content; newer documents wait for the next one.
            let differ = theirs
                .iter()
                .filter(|(blob, sum)| ours.get(blob).is_some_and(|o| o != sum))
                .count();
            if differ > 0 {
                return Err(failed(format!(
                    "{differ} documents differ from the vault's own record"
                )));
            }
            Ok(DrillReport {
                snapshot: info.id,
                taken_at: info.time,
                documents: doctor.checked,
            })
        })();
        let _ = fs::remove_dir_all(&place);
        result
    }

    /// The snapshots at the backup destination.
    pub fn backup_snapshots(&self, destination: Option<&str>) -> Result<Vec<SnapshotInfo>> {
        let state = self.backup_state()?;
        let Some(text) = destination.or(state.destination.as_deref()) else {
            return Ok(Vec::new());
        };
        let dest = self.destination_at(&Location::parse(text)?)?;
        let password = repository_password(&self.master, self.vault.id());
        let repo = matterbox_backup::open(&dest, &password, Arc::default())?;
        Ok(repo.snapshots()?)
    }
}

/// A backup whose vault side is done: the vault is staged (encrypted, as
/// at rest) and the lock held. What is left needs no vault key — the
/// repository password only opens ciphertext of the vault — so the app
/// runs it without holding the session, and a lock does not wait for it.
pub struct PreparedBackup {
    dest: Destination,
    staging: PathBuf,
    password: Zeroizing<String>,
    /// The anchor of the staged database copy.
    anchor: Option<matterbox_audit::Anchor>,
    purge: Option<PurgeSpan>,
    rollback: Option<String>,
    _lock: BackupLock,
}

impl std::fmt::Debug for PreparedBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedBackup")
            .field("destination", &self.dest.location().to_string())
            .finish_non_exhaustive()
    }
}

impl Drop for PreparedBackup {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.staging);
    }
}

/// Stops a running backup from another thread.
#[derive(Clone, Debug)]
pub struct BackupCanceller {
    watch: Watch,
    staging: PathBuf,
}

impl BackupCanceller {
    /// The backup stops after the file it is reading (the staged files are
    /// taken away), keeps nothing as a backup and reports `Cancelled`.
    pub fn cancel(&self) {
        self.watch
            .cancel
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = fs::remove_dir_all(&self.staging);
    }
}

impl PreparedBackup {
    pub fn location(&self) -> &Location {
        self.dest.location()
    }

    /// A handle that stops [`PreparedBackup::run`] given the same `watch`.
    pub fn canceller(&self, watch: &Watch) -> BackupCanceller {
        BackupCanceller {
            watch: watch.clone(),
            staging: self.staging.clone(),
        }
    }

    /// Saves the staged vault, verifies the repository (today's share of
    /// the data, or all of it), and only then lets older snapshots go: the
    /// keep schedule, and those holding destroyed documents.
    pub fn run(self, check_all: bool, watch: Watch) -> Result<BackupReport> {
        let dest = self.dest.clone();
        let place = dest.location().to_string();
        let repo = matterbox_backup::open_or_init(&dest, &self.password, watch)?;
        let saved = repo.backup(&self.staging, &format!("/{SNAPSHOT_ROOT}"), &["matterbox"]);
        // The staged links go at once, whatever happened.
        let _ = fs::remove_dir_all(&self.staging);
        let saved = saved?;
        let (part, parts) = if check_all {
            (1, 1)
        } else {
            (todays_part(Utc::now()), CHECK_PARTS)
        };
        let checked = repo.check(part, parts)?;
        if let Some(first) = checked.problems.first() {
            return Err(CoreError::Backup(format!(
                "The backup at {} was written but does not verify: {first}{}. Do not rely on it; run the backup again, and if this repeats, use another drive.",
                place,
                match checked.problems.len() {
                    1 => String::new(),
                    n => format!(" (and {} more problems)", n - 1),
                }
            )));
        }
        // Only a verified new backup lets older ones go: the destination
        // always holds a sound, current snapshot.
        let purged = match self.purge {
            Some(span) => repo.forget_and_prune(&saved.snapshot.id, |s| {
                DateTime::parse_from_rfc3339(&s.time)
                    .map(|t| t.with_timezone(&Utc))
                    .map_or(true, |t| t >= span.from && t <= span.until)
            })?,
            None => Vec::new(),
        };
        let thinned = repo.thin_out(KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY)?;
        if !purged.is_empty() || !thinned.is_empty() {
            let after = repo.check(1, CHECK_PARTS)?;
            if let Some(first) = after.problems.first() {
                return Err(CoreError::Backup(format!(
                    "The backup at {} does not verify after older backups were removed: {first}. Run the backup again.",
                    place
                )));
            }
        }
        // The head this backup holds, for the next one to compare with.
        if let Some(anchor) = &self.anchor {
            let json = serde_json::to_vec(anchor)
                .map_err(|_| CoreError::Internal("the audit anchor does not serialize"))?;
            dest.write_public(HEAD_FILE, &json)?;
        }
        Ok(BackupReport {
            rollback: self.rollback.clone(),
            purged,
            thinned,
            purged_span: self.purge,
            destination: place,
            snapshot: saved.snapshot.id,
            files: saved.snapshot.files,
            bytes: saved.snapshot.bytes,
            bytes_written: saved.bytes_written,
            data_checked: if parts == 1 {
                "all".into()
            } else {
                format!("{part}/{parts}")
            },
        })
    }
}

/// What a restore drill checked.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    pub snapshot: String,
    pub taken_at: String,
    /// Document versions decrypted and checked.
    pub documents: usize,
}

/// What a restore brought back.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    pub vault_dir: PathBuf,
    pub snapshot: String,
    /// When the snapshot was taken (RFC 3339).
    pub taken_at: String,
}

/// The snapshots at a backup folder, opened with the recovery key (before
/// a restore, to choose one).
pub fn backup_snapshots_with_recovery_key(
    from: &Location,
    store_key: Option<&S3Credentials>,
    recovery_key: &str,
) -> Result<Vec<SnapshotInfo>> {
    let (repo, _) = open_with_recovery_key(from, store_key, recovery_key, Arc::default())?;
    Ok(repo.snapshots()?)
}

fn open_with_recovery_key(
    from: &Location,
    store_key: Option<&S3Credentials>,
    recovery_key: &str,
    watch: Watch,
) -> Result<(matterbox_backup::Repo, Manifest)> {
    let key = RecoveryKey::parse(recovery_key)?;
    let dest = Destination::new(from.clone(), store_key)?;
    let Some(manifest) = read_manifest(&dest)? else {
        return Err(CoreError::NotFound(format!(
            "There is no Matterbox backup at {from} (no {MANIFEST_FILE})."
        )));
    };
    if manifest.header.vault_id != manifest.vault_id {
        return Err(CoreError::Invalid(format!(
            "{MANIFEST_FILE} at {from} is inconsistent: it names two vaults."
        )));
    }
    let master = matterbox_vault::vault::master_key_from_recovery(&manifest.header, &key)?;
    let password = repository_password(&master, &manifest.vault_id);
    let repo = matterbox_backup::open(&dest, &password, watch)?;
    Ok((repo, manifest))
}

/// What to restore, from where, to where, and the new enrollment.
#[derive(Clone, Copy, Debug)]
pub struct RestoreRequest<'a> {
    /// The backup folder or object store.
    pub from: &'a Location,
    /// The access key of an object store (none for a folder). After the
    /// restore it is kept in this computer's keychain for the next backups.
    pub store_key: Option<&'a S3Credentials>,
    /// Which snapshot; the newest when `None`.
    pub snapshot: Option<&'a str>,
    pub recovery_key: &'a str,
    /// The new vault folder: must not exist.
    pub to: &'a Path,
    pub new_passphrase: &'a matterbox_vault::Passphrase,
    pub storage: matterbox_vault::DeviceSecretStorage,
}

/// Restores a backup into a new vault folder `to` (never over anything)
/// and enrolls this computer with a new passphrase, as a recovery does.
/// The recovery key alone opens the backup.
pub fn restore_backup(
    env: &Environment,
    request: &RestoreRequest<'_>,
    watch: Option<Watch>,
) -> Result<(Session, Restored)> {
    let RestoreRequest {
        from,
        store_key,
        snapshot,
        recovery_key,
        to,
        new_passphrase,
        storage,
    } = *request;
    new_passphrase.validate_new()?;
    env.check_secret_dir(to, storage)?;
    if fs::symlink_metadata(to).is_ok() {
        return Err(matterbox_vault::VaultError::AlreadyExists(to.to_path_buf()).into());
    }
    let (repo, _) =
        open_with_recovery_key(from, store_key, recovery_key, watch.unwrap_or_default())?;
    let parent = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(CoreError::user_file("create", parent))?;
    // `.<name>.restoring-<tag>`: an interrupted restore's folder (still
    // encrypted) goes when the next restore to the same place starts.
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.restoring-");
    if let Ok(entries) = fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    let staging = parent.join(format!("{prefix}{}", uuid::Uuid::new_v4().simple()));
    let placed = (|| -> Result<SnapshotInfo> {
        let info = repo.restore(snapshot, &staging)?;
        let vault = staging.join(SNAPSHOT_ROOT);
        if !vault.join(matterbox_vault::vault::DATABASE_FILE).is_file() {
            return Err(CoreError::Backup(format!(
                "The backup {} holds no vault database; it was not made by Matterbox or is incomplete.",
                info.id
            )));
        }
        make_private(&vault);
        // Into place only when complete: a crash leaves a hidden folder
        // that names itself unfinished, never a half vault at `to`.
        fs::rename(&vault, to).map_err(CoreError::user_file("create", to))?;
        Ok(info)
    })();
    let _ = fs::remove_dir_all(&staging);
    let info = placed?;
    let mut session = crate::recover(env, to, recovery_key, new_passphrase, storage)?;
    let object = session.vault_object();
    let entry = json!({ "snapshot": info.id, "taken_at": info.time, "from": from.to_string() });
    if let Err(e) = session.write(|_, rec| rec.record("backup_restored", &object, entry)) {
        session.warnings.push(format!(
            "The restore is complete, but the audit log could not record it ({}).",
            e.user_message()
        ));
    }
    // The next backups go where this one came from, with the same key.
    // (The snapshot holds the destination as it was before the backup that
    // made it, none for a first backup.) Lock receipts are read from there.
    let place = from.to_string();
    let kept = session.backup_state().and_then(|mut state| {
        if state.destination.as_deref() == Some(place.as_str()) {
            return Ok(());
        }
        state.destination = Some(place);
        session.save_backup_state(&state)
    });
    if let Err(e) = kept {
        session.warnings.push(format!(
            "The backup folder could not be kept as this vault's destination ({}); name it again for the next backup.",
            e.user_message()
        ));
    }
    if let (Location::Store(store), Some(key)) = (from, store_key)
        && let Err(e) = session.set_backup_store_key(store, key)
    {
        session.warnings.push(format!(
            "The store's access key could not be kept in the keychain ({}); enter it again for the next backup.",
            e.user_message()
        ));
    }
    Ok((
        session,
        Restored {
            vault_dir: to.to_path_buf(),
            snapshot: info.id,
            taken_at: info.time,
        },
    ))
}

/// Restored files keep the modes they were saved with; make sure the vault
/// is the user's alone whatever the backup said.
fn make_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path, m: u32| {
            let _ = fs::set_permissions(p, fs::Permissions::from_mode(m));
        };
        mode(dir, 0o700);
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    make_private(&p);
                } else {
                    mode(&p, 0o600);
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_a_month_reads_another_part() {
        let start = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let parts: std::collections::BTreeSet<u32> = (0..CHECK_PARTS)
            .map(|d| todays_part(start + chrono::Duration::days(i64::from(d))))
            .collect();
        assert_eq!(parts.len(), CHECK_PARTS as usize);
        assert!(parts.iter().all(|p| (1..=CHECK_PARTS).contains(p)));
    }
}
