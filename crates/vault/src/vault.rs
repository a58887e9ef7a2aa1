//! A vault folder and the operations on its keys: create, unlock, recover
//! and re-enroll, change passphrase. This module never opens the database;
//! it hands the master key to the caller.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::device::DeviceSecretStore;
use crate::header::{FORMAT_NAME, FORMAT_VERSION, RecoverySlot, UnlockSlot, VaultHeader};
use crate::kdf::KdfCost;
use crate::secret::{DeviceSecret, MasterKey, random_bytes};
use crate::slot::{self, SlotKind};
use crate::throttle::{AttemptState, FailedAttempt, RecordKey, UnlockMethod};
use crate::{Passphrase, RecoveryKey, VaultError, fsutil};
use chrono::Utc;

pub const HEADER_FILE: &str = "vault.json";
pub const DATABASE_FILE: &str = "vault.db";
pub const BLOBS_DIR: &str = "blobs";
pub const ATTEMPTS_FILE: &str = "unlock-attempts.json";
/// Held (an OS file lock) while an unlock attempt is counted and tried.
pub const ATTEMPTS_LOCK_FILE: &str = "unlock-attempts.lock";
/// The audit log's head, MACed, kept beside the database (see the audit crate).
pub const AUDIT_ANCHOR_FILE: &str = "audit-anchor.json";

/// An opened (not yet unlocked) vault folder.
#[derive(Clone, Debug)]
pub struct Vault {
    dir: PathBuf,
    header: VaultHeader,
    /// A second copy of the failed-attempt record, outside the vault
    /// folder (see [`Vault::with_attempts_mirror`]).
    attempts_mirror: Option<PathBuf>,
}

/// Renames the finished vault `staging` to `dir` (which may exist only as
/// an empty folder) and makes the rename durable; returns a warning if
/// that last step failed (the vault exists all the same).
fn publish(staging: &Path, dir: &Path) -> Result<Option<String>, VaultError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| VaultError::Io { path, source }
    };
    if dir.exists() {
        // Only an empty folder can be taken over; a non-empty one fails here.
        fs::remove_dir(dir).map_err(|_| VaultError::AlreadyExists(dir.to_path_buf()))?;
    }
    fs::rename(staging, dir).map_err(io(dir))?;
    // From here the vault exists: a failure to make the rename durable is
    // a warning for the caller, never a reason to take the vault apart.
    Ok(dir
        .parent()
        .and_then(|parent| fsutil::sync_dir(parent).err())
        .map(|e| format!("The new vault's folder could not be synced to disk ({e}); if the computer loses power now, the vault may not be there afterwards.")))
}

/// What a new vault gives its creator once: the master key and the
/// recovery key to show (and never store).
#[derive(Debug)]
pub struct Created {
    pub vault: Vault,
    pub master: MasterKey,
    pub recovery_key: RecoveryKey,
    /// Something that went wrong after the vault was complete and in place.
    pub warning: Option<String>,
}

/// A successful unlock: the master key, and the failed attempts since the
/// last one, for the caller to write into the audit log and then
/// acknowledge with [`Vault::acknowledge_failed_attempts`].
#[derive(Debug)]
pub struct Unlocked {
    pub master: MasterKey,
    pub failed_attempts: Vec<FailedAttempt>,
}

fn random16() -> Result<[u8; 16], VaultError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    Ok(b)
}

fn new_unlock_slot(
    vault_id: &str,
    master: &MasterKey,
    passphrase: &Passphrase,
    device: &DeviceSecret,
    kdf: KdfCost,
    device_secret_entry: Option<String>,
) -> Result<UnlockSlot, VaultError> {
    let argon_salt = random16()?;
    let hkdf_salt = random16()?;
    let kek = slot::unlock_kek(passphrase, device, &kdf, &argon_salt, &hkdf_salt)?;
    Ok(UnlockSlot {
        kdf,
        argon_salt,
        hkdf_salt,
        wrapped: slot::wrap(&kek, master, vault_id, SlotKind::Unlock)?,
        enrolled_at: Utc::now(),
        device_secret_entry,
    })
}

/// A re-enrollment whose new device secret is stored but whose header is
/// not written yet. Until [`Vault::install_header`] replaces the header,
/// the old enrollment keeps working; then [`Vault::finish_enrollment`]
/// removes the old secret, or [`Vault::abandon_enrollment`] the new one.
#[derive(Debug)]
pub struct PendingEnrollment {
    pub header: VaultHeader,
    old_entry: String,
    new_entry: String,
}

impl PendingEnrollment {
    /// The keychain entry of the device secret in use until the switch.
    pub fn old_entry(&self) -> &str {
        &self.old_entry
    }

    /// The keychain entry of the new device secret.
    pub fn new_entry(&self) -> &str {
        &self.new_entry
    }
}

/// A change of passphrase computed but not written: the new header.
#[derive(Debug)]
pub struct PendingHeader {
    pub header: VaultHeader,
}

/// The folder a vault is built in before it is renamed into place.
fn staging_dir(dir: &Path) -> Result<PathBuf, VaultError> {
    let (parent, name) = parent_and_name(dir)?;
    let mut tag = [0u8; 8];
    random_bytes(&mut tag)?;
    Ok(parent.join(format!(".{name}{STAGING_MARK}{}", hex::encode(tag))))
}

fn parent_and_name(dir: &Path) -> Result<(PathBuf, String), VaultError> {
    let abs = std::path::absolute(dir).map_err(|e| VaultError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    match (abs.parent(), abs.file_name()) {
        (Some(p), Some(n)) => Ok((p.to_path_buf(), n.to_string_lossy().into_owned())),
        _ => Err(VaultError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other("a vault needs a folder of its own"),
        }),
    }
}

/// Marks a folder holding a vault under construction: `.<name>.creating-<tag>`.
pub const STAGING_MARK: &str = ".creating-";
/// A creation older than this was interrupted (creating takes seconds).
const STALE_CREATION: Duration = Duration::from_secs(15 * 60);

/// Removes the folders of creations of `dir` that a crash interrupted,
/// and their device secrets. They hold no client data: a header, and at
/// most an empty database.
fn remove_interrupted_creations(dir: &Path, store: &dyn DeviceSecretStore) {
    let Ok((parent, name)) = parent_and_name(dir) else {
        return;
    };
    let Ok(entries) = fs::read_dir(&parent) else {
        return;
    };
    let prefix = format!(".{name}{STAGING_MARK}");
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(&prefix)
            && entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= STALE_CREATION);
        if stale {
            if let Ok(h) = VaultHeader::read(&entry.path().join(HEADER_FILE)) {
                let _ = store.delete(&h.unlock_slot.device_entry(&h.vault_id));
            }
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Vault {
    /// Creates a vault in `dir`, which must not exist or be empty. The
    /// device secret goes to `store` first: if the keychain refuses,
    /// nothing is written. See [`Vault::create_with`].
    pub fn create(
        dir: &Path,
        name: &str,
        passphrase: &Passphrase,
        store: &dyn DeviceSecretStore,
        kdf: KdfCost,
    ) -> Result<Created, VaultError> {
        Self::create_with(dir, name, passphrase, store, kdf, |_, _| Ok(()))
    }

    /// Creates a vault in `dir` all or nothing: the vault is built in a
    /// hidden folder beside `dir` (header, blob area, and whatever `fill`
    /// adds — the core's database and audit log), and only a complete
    /// vault is renamed into place. A crash leaves no half-made vault at
    /// `dir`, only a hidden folder that a later creation removes.
    pub fn create_with<E: From<VaultError>>(
        dir: &Path,
        name: &str,
        passphrase: &Passphrase,
        store: &dyn DeviceSecretStore,
        kdf: KdfCost,
        fill: impl FnOnce(&Vault, &MasterKey) -> Result<(), E>,
    ) -> Result<Created, E> {
        passphrase.validate_new()?;
        kdf.check_floor()?;
        if dir.join(HEADER_FILE).exists() {
            return Err(VaultError::AlreadyExists(dir.to_path_buf()).into());
        }
        if dir.exists() {
            let mut entries = fs::read_dir(dir).map_err(|e| VaultError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
            if entries.next().is_some() {
                return Err(VaultError::AlreadyExists(dir.to_path_buf()).into());
            }
        }
        remove_interrupted_creations(dir, store);
        let vault_id = uuid::Uuid::new_v4().to_string();
        let master = MasterKey::generate()?;
        let device = DeviceSecret::generate()?;
        let recovery_key = RecoveryKey::generate()?;
        let unlock_slot = new_unlock_slot(&vault_id, &master, passphrase, &device, kdf, None)?;
        let recovery_hkdf_salt = random16()?;
        let recovery_slot = RecoverySlot {
            hkdf_salt: recovery_hkdf_salt,
            wrapped: slot::wrap(
                &slot::recovery_kek(&recovery_key, &recovery_hkdf_salt),
                &master,
                &vault_id,
                SlotKind::Recovery,
            )?,
        };
        let header = VaultHeader {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            vault_id: vault_id.clone(),
            name: name.trim().to_string(),
            created_at: Utc::now(),
            device_secret_storage: store.storage(),
            unlock_slot,
            recovery_slot,
        };

        let staging = staging_dir(dir)?;
        store.save(&vault_id, &device)?;
        let staged = Vault {
            dir: staging.clone(),
            header,
            attempts_mirror: None,
        };
        let built = (|| -> Result<Option<String>, E> {
            if let Some(parent) = staging.parent() {
                fs::create_dir_all(parent).map_err(|e| VaultError::Io {
                    path: parent.to_path_buf(),
                    source: e,
                })?;
            }
            fsutil::create_private_dir(&staging)?;
            fsutil::create_private_dir(&staging.join(BLOBS_DIR))?;
            staged.header.write(&staging.join(HEADER_FILE))?;
            fill(&staged, &master)?;
            Ok(publish(&staging, dir)?)
        })();
        let warning = match built {
            Ok(w) => w,
            Err(e) => {
                // Best effort: the vault was not created, so its secret is of no use.
                let _ = fs::remove_dir_all(&staging);
                let _ = store.delete(&vault_id);
                return Err(e);
            }
        };
        Ok(Created {
            vault: Vault {
                dir: dir.to_path_buf(),
                header: staged.header,
                attempts_mirror: None,
            },
            master,
            recovery_key,
            warning,
        })
    }

    /// Reads the header of the vault in `dir`.
    pub fn open(dir: &Path) -> Result<Vault, VaultError> {
        let header = VaultHeader::read(&dir.join(HEADER_FILE))?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            header,
            attempts_mirror: None,
        })
    }

    /// Keeps a second copy of the failed-attempt record in `dir` (outside
    /// the vault folder, e.g. the user's state folder): the delay then
    /// holds unless both copies are removed, and the larger count wins.
    pub fn with_attempts_mirror(mut self, dir: Option<PathBuf>) -> Self {
        self.attempts_mirror = dir;
        self
    }

    pub fn id(&self) -> &str {
        &self.header.vault_id
    }

    pub fn header(&self) -> &VaultHeader {
        &self.header
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn database_path(&self) -> PathBuf {
        self.dir.join(DATABASE_FILE)
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.join(BLOBS_DIR)
    }

    pub fn audit_anchor_path(&self) -> PathBuf {
        self.dir.join(AUDIT_ANCHOR_FILE)
    }

    /// Where the failed-attempt record is kept: in the vault folder, and
    /// in the mirror folder when there is one.
    fn attempts_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.dir.join(ATTEMPTS_FILE)];
        if let Some(mirror) = &self.attempts_mirror {
            paths.push(mirror.join(format!("{}.json", self.id())));
        }
        paths
    }

    /// Failed attempts not yet written to the audit log, as the files
    /// say, without checking their MAC (no keychain call: for showing a
    /// locked vault). A copy that does not parse counts as the maximum.
    pub fn pending_failed_attempts(&self) -> Result<AttemptState, VaultError> {
        AttemptState::load_all(&self.attempts_paths(), None, None, Utc::now())
    }

    /// The failed-attempt record as an unlock sees it: every copy (the
    /// files and the one in `store`) checked under the key derived from
    /// the device secret in `store`; a copy that fails its check counts as
    /// the maximum delay.
    pub fn failed_attempts_checked(
        &self,
        store: &dyn DeviceSecretStore,
    ) -> Result<AttemptState, VaultError> {
        let key = self.record_key(store)?;
        self.load_attempts(Some(store), key.as_ref())
    }

    /// The record's MAC key from this vault's device secret, or `None`
    /// when the store does not hold it (a recovery after the keychain was
    /// lost: the copies are then read unchecked, and recovery keys are far
    /// beyond guessing anyway). Other keychain failures are errors.
    fn record_key(&self, store: &dyn DeviceSecretStore) -> Result<Option<RecordKey>, VaultError> {
        match store.load(&self.header.unlock_slot.device_entry(self.id())) {
            Ok(device) => Ok(Some(RecordKey::derive(&device, self.id()))),
            Err(VaultError::Keychain {
                problem: crate::KeychainProblem::EntryMissing,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every copy merged; `store` is `None` when the keychain is not
    /// answering (a recovery without it), and then adds no copy.
    fn load_attempts(
        &self,
        store: Option<&dyn DeviceSecretStore>,
        key: Option<&RecordKey>,
    ) -> Result<AttemptState, VaultError> {
        // A store that cannot be read adds no copy; the files still count.
        let elsewhere = store.and_then(|s| s.load_record(self.id()).ok().flatten());
        AttemptState::load_all(
            &self.attempts_paths(),
            elsewhere.as_deref(),
            key,
            Utc::now(),
        )
    }

    /// Writes every copy; a state without failures removes them instead
    /// (so no unsealed empty record is ever left to look forged).
    fn save_attempts(
        &self,
        state: &AttemptState,
        store: Option<&dyn DeviceSecretStore>,
        key: Option<&RecordKey>,
    ) -> Result<(), VaultError> {
        if *state == AttemptState::default() {
            return self.clear_attempts(store, false);
        }
        let in_store = |text: &str| match store {
            Some(s) => s.save_record(self.id(), text),
            None => Err(VaultError::Keychain {
                problem: crate::KeychainProblem::NotAvailable,
                detail: "the keychain is not answering".into(),
            }),
        };
        state.save_all(&self.attempts_paths(), Some(&in_store), key)
    }

    /// Removes every copy. `strict`: any copy left is an error; otherwise,
    /// like a save, it fails only if no place could be cleared (a
    /// read-only vault folder keeps no copy to clear anyway).
    fn clear_attempts(
        &self,
        store: Option<&dyn DeviceSecretStore>,
        strict: bool,
    ) -> Result<(), VaultError> {
        let remove = |path: &Path| -> Result<(), VaultError> {
            if fs::symlink_metadata(path).is_err() {
                return Ok(());
            }
            fs::remove_file(path).map_err(|e| VaultError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
            match path.parent() {
                Some(dir) => fsutil::sync_dir(dir),
                None => Ok(()),
            }
        };
        let mut results: Vec<Result<(), VaultError>> =
            self.attempts_paths().iter().map(|p| remove(p)).collect();
        if let Some(s) = store {
            results.push(s.delete_record(self.id()));
        }
        if !strict && results.iter().any(Result::is_ok) {
            return Ok(());
        }
        results
            .into_iter()
            .find_map(Result::err)
            .map_or(Ok(()), Err)
    }

    /// Waits out the delay from earlier failures, counts this attempt as a
    /// failure *before* trying it, runs `attempt`, and takes the count back
    /// only if the secret was right (or the keychain, not the guess,
    /// failed). All of it happens under a lock on the vault's attempt
    /// record, so parallel guesses from several processes wait their turn
    /// and each is counted; a guess that cannot be counted (a full disk and
    /// no keychain) is not tried. `key` checks and seals the record.
    fn throttled(
        &self,
        method: UnlockMethod,
        store: Option<&dyn DeviceSecretStore>,
        key: Option<&RecordKey>,
        attempt: impl FnOnce() -> Result<MasterKey, VaultError>,
    ) -> Result<Unlocked, VaultError> {
        let _lock = self.attempts_lock()?;
        let before = self.load_attempts(store, key)?;
        let wait = before.wait_at(Utc::now());
        if wait > Duration::ZERO {
            std::thread::sleep(wait);
        }
        let mut counted = before.clone();
        counted.record_failure(Utc::now(), method);
        self.save_attempts(&counted, store, key)?;
        match attempt() {
            Ok(master) => {
                self.save_attempts(&before, store, key)?;
                Ok(Unlocked {
                    master,
                    failed_attempts: before.unaudited,
                })
            }
            Err(VaultError::WrongSecret) => Err(VaultError::WrongSecret),
            Err(other) => {
                self.save_attempts(&before, store, key)?;
                Err(other)
            }
        }
    }

    /// Called once the failed attempts are in the audit log: resets the
    /// delay and the list (every copy, the one in `store` included).
    pub fn acknowledge_failed_attempts(
        &self,
        store: &dyn DeviceSecretStore,
    ) -> Result<(), VaultError> {
        let _lock = self.attempts_lock()?;
        self.clear_attempts(Some(store), true)
    }

    /// The lock that serialises unlock attempts: in the vault folder, or
    /// beside the mirrored record when the vault folder cannot be written
    /// (a read-only copy).
    fn attempts_lock(&self) -> Result<fs::File, VaultError> {
        match (
            crate::throttle::lock(&self.dir.join(ATTEMPTS_LOCK_FILE)),
            &self.attempts_mirror,
        ) {
            (Ok(lock), _) => Ok(lock),
            (Err(_), Some(mirror)) => {
                fsutil::create_private_dir(mirror)?;
                crate::throttle::lock(&mirror.join(format!("{}.lock", self.id())))
            }
            (Err(e), None) => Err(e),
        }
    }

    fn unwrap_unlock_slot(
        &self,
        passphrase: &Passphrase,
        device: &DeviceSecret,
    ) -> Result<MasterKey, VaultError> {
        let s = &self.header.unlock_slot;
        let kek = slot::unlock_kek(passphrase, device, &s.kdf, &s.argon_salt, &s.hkdf_salt)?;
        slot::unwrap(&kek, &s.wrapped, self.id(), SlotKind::Unlock)
    }

    /// The device secret, read before the guess: a keychain that fails is
    /// not a guess and counts nothing; the secret also keys the record.
    fn device_secret(&self, store: &dyn DeviceSecretStore) -> Result<DeviceSecret, VaultError> {
        store.load(&self.header.unlock_slot.device_entry(self.id()))
    }

    /// Unlocks with the passphrase and this computer's device secret. A
    /// wrong passphrase and a wrong device secret give the same
    /// [`VaultError::WrongSecret`].
    pub fn unlock(
        &self,
        passphrase: &Passphrase,
        store: &dyn DeviceSecretStore,
    ) -> Result<Unlocked, VaultError> {
        let device = self.device_secret(store)?;
        let key = RecordKey::derive(&device, self.id());
        self.throttled(UnlockMethod::Passphrase, Some(store), Some(&key), || {
            self.unwrap_unlock_slot(passphrase, &device)
        })
    }

    /// Opens the vault with the recovery key and enrolls this computer: a
    /// new device secret in `store` and a new passphrase. The old device
    /// secret stops working.
    pub fn recover(
        &mut self,
        recovery_key: &RecoveryKey,
        new_passphrase: &Passphrase,
        store: &dyn DeviceSecretStore,
    ) -> Result<Unlocked, VaultError> {
        let (unlocked, pending) = self.prepare_recovery(recovery_key, new_passphrase, store)?;
        if let Err(e) = self.install_header(pending.header.clone()) {
            self.abandon_enrollment(&pending, store);
            return Err(e);
        }
        self.finish_enrollment(&pending, store);
        Ok(unlocked)
    }

    /// The first half of [`Vault::recover`]: checks the recovery key,
    /// stores a new device secret under a new entry (the old entry is left
    /// alone) and computes the new header, without writing it.
    pub fn prepare_recovery(
        &self,
        recovery_key: &RecoveryKey,
        new_passphrase: &Passphrase,
        store: &dyn DeviceSecretStore,
    ) -> Result<(Unlocked, PendingEnrollment), VaultError> {
        new_passphrase.validate_new()?;
        // The keychain may be lost or not answering: that is what the
        // recovery key is for. A store that does not answer adds no copy
        // (and is not waited for twice).
        let (key, answering) = match self.record_key(store) {
            Ok(key) => (key, Some(store)),
            Err(_) => (None, None),
        };
        let unlocked =
            self.throttled(UnlockMethod::RecoveryKey, answering, key.as_ref(), || {
                let r = &self.header.recovery_slot;
                let kek = slot::recovery_kek(recovery_key, &r.hkdf_salt);
                slot::unwrap(&kek, &r.wrapped, self.id(), SlotKind::Recovery)
            })?;
        let device = DeviceSecret::generate()?;
        let mut tag = [0u8; 8];
        random_bytes(&mut tag)?;
        let unlock_slot = new_unlock_slot(
            self.id(),
            &unlocked.master,
            new_passphrase,
            &device,
            self.header.unlock_slot.kdf,
            Some(hex::encode(tag)),
        )?;
        let new_entry = unlock_slot.device_entry(self.id());
        store.save(&new_entry, &device)?;
        let mut header = self.header.clone();
        header.unlock_slot = unlock_slot;
        header.device_secret_storage = store.storage();
        Ok((
            unlocked,
            PendingEnrollment {
                header,
                old_entry: self.header.unlock_slot.device_entry(self.id()),
                new_entry,
            },
        ))
    }

    /// After the new header is in place: the old device secret is removed
    /// (best effort; it no longer opens anything).
    pub fn finish_enrollment(&self, pending: &PendingEnrollment, store: &dyn DeviceSecretStore) {
        if pending.old_entry != pending.new_entry {
            let _ = store.delete(&pending.old_entry);
        }
    }

    /// When the new header could not be written: the new device secret is
    /// removed (best effort) and the old enrollment stays as it was.
    pub fn abandon_enrollment(&self, pending: &PendingEnrollment, store: &dyn DeviceSecretStore) {
        let _ = store.delete(&pending.new_entry);
    }

    /// Re-wraps the master key under a new passphrase. Nothing else is
    /// re-encrypted: the master key, and every key derived from it, stay.
    pub fn change_passphrase(
        &mut self,
        current: &Passphrase,
        new: &Passphrase,
        store: &dyn DeviceSecretStore,
    ) -> Result<Unlocked, VaultError> {
        let (unlocked, pending) = self.prepare_passphrase_change(current, new, store)?;
        self.install_header(pending.header)?;
        Ok(unlocked)
    }

    /// The first half of [`Vault::change_passphrase`]: checks the current
    /// passphrase and computes the new header, without writing it.
    pub fn prepare_passphrase_change(
        &self,
        current: &Passphrase,
        new: &Passphrase,
        store: &dyn DeviceSecretStore,
    ) -> Result<(Unlocked, PendingHeader), VaultError> {
        new.validate_new()?;
        if new.expose() == current.expose() {
            return Err(VaultError::WeakPassphrase(
                "the new passphrase is the same as the current one".into(),
            ));
        }
        let device = self.device_secret(store)?;
        let key = RecordKey::derive(&device, self.id());
        let unlocked = self.throttled(UnlockMethod::Passphrase, Some(store), Some(&key), || {
            self.unwrap_unlock_slot(current, &device)
        })?;
        let mut header = self.header.clone();
        header.unlock_slot = new_unlock_slot(
            self.id(),
            &unlocked.master,
            new,
            &device,
            self.header.unlock_slot.kdf,
            self.header.unlock_slot.device_secret_entry.clone(),
        )?;
        Ok((unlocked, PendingHeader { header }))
    }

    /// Takes `header` as this vault's, once the caller has written it.
    pub fn adopt_header(&mut self, header: VaultHeader) {
        self.header = header;
    }

    /// Replaces the header file atomically with `header` and adopts it.
    pub fn install_header(&mut self, header: VaultHeader) -> Result<(), VaultError> {
        header.write(&self.dir.join(HEADER_FILE))?;
        self.header = header;
        Ok(())
    }

    /// Test support: the master key from the recovery slot, without
    /// enrolling anything, for the repository's tests.
    #[cfg(feature = "test-support")]
    pub fn danger_master_key_from_recovery(
        &self,
        recovery_key: &RecoveryKey,
    ) -> Result<MasterKey, VaultError> {
        master_key_from_recovery(&self.header, recovery_key)
    }

    /// Test support: the hex SQLCipher key of this vault, for the
    /// repository's tests that open the file with an external client.
    #[cfg(feature = "test-support")]
    pub fn danger_database_key_hex(&self, master: &MasterKey) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(hex::encode(
            master
                .derive(self.id(), crate::KeyPurpose::Database)
                .expose(),
        ))
    }
}

/// The master key from a header's recovery slot, enrolling nothing: for a
/// restore from a backup, whose repository password derives from it before
/// any vault folder exists. A wrong key is [`VaultError::WrongSecret`].
pub fn master_key_from_recovery(
    header: &VaultHeader,
    recovery_key: &RecoveryKey,
) -> Result<MasterKey, VaultError> {
    let r = &header.recovery_slot;
    let kek = slot::recovery_kek(recovery_key, &r.hkdf_salt);
    slot::unwrap(&kek, &r.wrapped, &header.vault_id, SlotKind::Recovery)
}

/// A folder below the vaults folder that holds a header, as
/// [`list_vaults`] found it.
#[derive(Debug)]
pub enum Listed {
    Vault(Box<Vault>),
    /// The header is there but cannot be read (damaged, edited, a newer
    /// format, unreadable file): the folder, and why. Listed rather than
    /// left out, so a vault never silently disappears from the picker.
    Unreadable {
        dir: PathBuf,
        error: VaultError,
    },
}

/// Lists the vault folders directly below `root` (for the vault picker):
/// readable vaults by name, then the folders whose header does not read,
/// by folder name. Only a `root` that cannot be read fails the list.
pub fn list_vaults(root: &Path) -> Result<Vec<Listed>, VaultError> {
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(VaultError::Io {
                path: root.to_path_buf(),
                source: e,
            });
        }
    };
    let mut vaults = Vec::new();
    let mut unreadable = Vec::new();
    for dir in entries
        .filter_map(Result::ok)
        // Hidden folders are vaults under construction (or not vaults).
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        // A header that is there but not a file (a folder, a dangling
        // link) makes the folder a vault that cannot be read.
        .filter(|e| fs::symlink_metadata(e.path().join(HEADER_FILE)).is_ok())
        .map(|e| e.path())
    {
        match Vault::open(&dir) {
            Ok(v) => vaults.push(v),
            Err(error) => unreadable.push(Listed::Unreadable { dir, error }),
        }
    }
    vaults.sort_by(|a, b| a.header.name.cmp(&b.header.name));
    unreadable.sort_by(|a, b| match (a, b) {
        (Listed::Unreadable { dir: a, .. }, Listed::Unreadable { dir: b, .. }) => a.cmp(b),
        _ => std::cmp::Ordering::Equal,
    });
    Ok(vaults
        .into_iter()
        .map(|v| Listed::Vault(Box::new(v)))
        .chain(unreadable)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{KeychainProblem, MemoryStore};

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.into())
    }

    fn new_vault() -> (tempfile::TempDir, MemoryStore, Created) {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        let created = Vault::create(
            &dir.path().join("v"),
            "Test practice",
            &pass("first passphrase"),
            &store,
            KdfCost::MINIMUM,
        )
        .unwrap();
        (dir, store, created)
    }

    #[test]
    fn create_then_unlock_gives_the_same_master_key() {
        let (_d, store, created) = new_vault();
        let vault = Vault::open(created.vault.dir()).unwrap();
        let unlocked = vault.unlock(&pass("first passphrase"), &store).unwrap();
        assert_eq!(unlocked.master, created.master);
        assert!(unlocked.failed_attempts.is_empty());
    }

    #[test]
    fn the_header_holds_no_secret() {
        let (_d, store, created) = new_vault();
        let text = fs::read_to_string(created.vault.dir().join(HEADER_FILE)).unwrap();
        let device = store.load(created.vault.id()).unwrap();
        for secret in [
            hex::encode(created.master.expose()),
            hex::encode(device.expose()),
            hex::encode(created.recovery_key.expose()),
            created.recovery_key.display().to_string(),
        ] {
            assert!(!text.to_lowercase().contains(&secret.to_lowercase()));
        }
        assert!(!text.contains("first passphrase"));
    }

    #[test]
    fn wrong_passphrase_and_wrong_device_secret_look_the_same() {
        let (_d, store, created) = new_vault();
        let v = &created.vault;
        let e1 = v.unlock(&pass("wrong passphrase"), &store).unwrap_err();
        assert!(matches!(e1, VaultError::WrongSecret));
        // The failure was counted and waits to be audited.
        let state = v.pending_failed_attempts().unwrap();
        assert_eq!(state.consecutive_failures, 1);
        assert_eq!(state.unaudited.len(), 1);
        // (A wrong device secret also makes the record, MACed under the
        // right one, look forged: the maximum delay. Start afresh.)
        v.acknowledge_failed_attempts(&store).unwrap();
        store
            .save(v.id(), &DeviceSecret::from_bytes([0; 32]))
            .unwrap();
        let e2 = v.unlock(&pass("first passphrase"), &store).unwrap_err();
        assert_eq!(e1.to_string(), e2.to_string());
        let state = v.pending_failed_attempts().unwrap();
        assert_eq!(state.consecutive_failures, 1);
        assert_eq!(state.unaudited.len(), 1);
    }

    #[test]
    fn failures_are_reported_at_the_next_unlock_until_acknowledged() {
        let (_d, store, created) = new_vault();
        let v = &created.vault;
        v.unlock(&pass("wrong passphrase"), &store).unwrap_err();
        let ok = v.unlock(&pass("first passphrase"), &store).unwrap();
        assert_eq!(ok.failed_attempts.len(), 1);
        assert_eq!(ok.failed_attempts[0].method, UnlockMethod::Passphrase);
        v.acknowledge_failed_attempts(&store).unwrap();
        assert_eq!(
            v.pending_failed_attempts().unwrap(),
            AttemptState::default()
        );
    }

    /// A vault with a mirror folder for the record, in `store`.
    fn mirrored_vault(store: &dyn DeviceSecretStore) -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let created = Vault::create(
            &dir.path().join("v"),
            "Test practice",
            &pass("first passphrase"),
            store,
            KdfCost::MINIMUM,
        )
        .unwrap();
        let mirror = dir.path().join("state");
        (dir, created.vault.with_attempts_mirror(Some(mirror)))
    }

    fn record_files(v: &Vault) -> Vec<PathBuf> {
        let files = v.attempts_paths();
        assert_eq!(files.len(), 2);
        files
    }

    /// Every store that keeps a record: the fast one and real files.
    fn stores(dir: &Path) -> Vec<Box<dyn DeviceSecretStore>> {
        vec![
            Box::new(MemoryStore::default()),
            Box::new(crate::DangerPlainFileStore {
                dir: dir.join("secrets"),
            }),
        ]
    }

    #[test]
    fn editing_every_copy_of_the_record_keeps_the_maximum_delay() {
        let tmp = tempfile::tempdir().unwrap();
        for store in stores(tmp.path()) {
            let store = store.as_ref();
            let (_d, v) = mirrored_vault(store);
            v.unlock(&pass("wrong passphrase"), store).unwrap_err();
            v.unlock(&pass("wrong passphrase"), store).unwrap_err();
            assert_eq!(
                v.failed_attempts_checked(store)
                    .unwrap()
                    .consecutive_failures,
                2
            );
            // Someone with file access (and even write access to the
            // store's copy) sets every copy back to no failures, keeping
            // the MAC.
            let edit = |text: &str| {
                let mut sealed: serde_json::Value = serde_json::from_str(text).unwrap();
                sealed["state"] = serde_json::Value::String(
                    serde_json::to_string(&AttemptState::default()).unwrap(),
                );
                sealed.to_string()
            };
            for f in record_files(&v) {
                let text = fs::read_to_string(&f).unwrap();
                fs::write(&f, edit(&text)).unwrap();
            }
            let kept = store.load_record(v.id()).unwrap().unwrap();
            store.save_record(v.id(), &edit(&kept)).unwrap();
            // The unchecked view believes the edit; the unlock's check
            // does not: the maximum delay, not none.
            assert_eq!(v.pending_failed_attempts().unwrap().consecutive_failures, 0);
            let checked = v.failed_attempts_checked(store).unwrap();
            assert_eq!(
                checked.wait_at(checked.last_failure_at.unwrap()),
                crate::throttle::MAX_DELAY
            );
        }
    }

    #[test]
    fn a_forged_record_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        for store in stores(tmp.path()) {
            let store = store.as_ref();
            let (_d, v) = mirrored_vault(store);
            let nothing = AttemptState::default();
            let other_key = RecordKey::derive(&DeviceSecret::from_bytes([7; 32]), v.id());
            let forgeries = [
                // Sealed under a key that is not this vault's.
                nothing.seal(Some(&other_key)).unwrap(),
                // No MAC at all (as a hand-written record has).
                nothing.seal(None).unwrap(),
                // Not a record.
                "{}".to_string(),
            ];
            for forged in forgeries {
                for f in record_files(&v) {
                    fs::create_dir_all(f.parent().unwrap()).unwrap();
                    fs::write(&f, &forged).unwrap();
                }
                store.save_record(v.id(), &forged).unwrap();
                let checked = v.failed_attempts_checked(store).unwrap();
                assert_eq!(
                    checked.wait_at(checked.last_failure_at.unwrap()),
                    crate::throttle::MAX_DELAY,
                    "{forged}"
                );
                // A record sealed under this vault's key is believed.
                let key = v.record_key(store).unwrap().unwrap();
                store
                    .save_record(v.id(), &nothing.seal(Some(&key)).unwrap())
                    .unwrap();
                for f in record_files(&v) {
                    fs::write(&f, nothing.seal(Some(&key)).unwrap()).unwrap();
                }
                assert_eq!(
                    v.failed_attempts_checked(store).unwrap(),
                    AttemptState::default()
                );
            }
        }
    }

    #[test]
    fn deleting_both_files_resets_nothing_while_the_store_keeps_a_copy() {
        let tmp = tempfile::tempdir().unwrap();
        for store in stores(tmp.path()) {
            let store = store.as_ref();
            let (_d, v) = mirrored_vault(store);
            v.unlock(&pass("wrong passphrase"), store).unwrap_err();
            v.unlock(&pass("wrong passphrase"), store).unwrap_err();
            for f in record_files(&v) {
                fs::remove_file(f).unwrap();
            }
            let checked = v.failed_attempts_checked(store).unwrap();
            assert_eq!(checked.consecutive_failures, 2);
            assert_eq!(checked.unaudited.len(), 2);
            // The right passphrase reports both failures for the audit log;
            // acknowledging them clears every copy.
            let ok = v.unlock(&pass("first passphrase"), store).unwrap();
            assert_eq!(ok.failed_attempts.len(), 2);
            v.acknowledge_failed_attempts(store).unwrap();
            assert_eq!(store.load_record(v.id()).unwrap(), None);
            assert_eq!(
                v.failed_attempts_checked(store).unwrap(),
                AttemptState::default()
            );
        }
    }

    #[test]
    fn a_missing_keychain_entry_is_a_keychain_error_not_a_wrong_secret() {
        let (_d, store, created) = new_vault();
        store.delete(created.vault.id()).unwrap();
        let err = created
            .vault
            .unlock(&pass("first passphrase"), &store)
            .unwrap_err();
        assert!(matches!(
            err,
            VaultError::Keychain {
                problem: KeychainProblem::EntryMissing,
                ..
            }
        ));
        assert!(err.to_string().contains("recovery key"), "{err}");
        // A keychain failure is not a guess: no delay is added.
        assert_eq!(
            created
                .vault
                .pending_failed_attempts()
                .unwrap()
                .consecutive_failures,
            0
        );
    }

    #[test]
    fn recovery_reenrolls_this_computer() {
        let (_d, store, created) = new_vault();
        let mut v = created.vault.clone();
        let old_device = store.load(v.id()).unwrap();
        store.delete(v.id()).unwrap();
        let unlocked = v
            .recover(&created.recovery_key, &pass("second passphrase"), &store)
            .unwrap();
        assert_eq!(unlocked.master, created.master);
        let entry = v.header().unlock_slot.device_entry(v.id());
        assert_ne!(entry, v.id(), "a re-enrollment uses a new entry");
        assert_ne!(store.load(&entry).unwrap(), old_device);
        let reopened = Vault::open(v.dir()).unwrap();
        assert_eq!(
            reopened
                .unlock(&pass("second passphrase"), &store)
                .unwrap()
                .master,
            created.master
        );
        assert!(reopened.unlock(&pass("first passphrase"), &store).is_err());
    }

    #[test]
    fn a_recovery_whose_header_cannot_be_written_leaves_the_old_enrollment_working() {
        let (_d, store, created) = new_vault();
        let mut v = created.vault.clone();
        let header = v.dir().join(HEADER_FILE);
        let kept = fs::read(&header).unwrap();
        // The header cannot be replaced (a folder in its place).
        fs::remove_file(&header).unwrap();
        fs::create_dir(&header).unwrap();
        fs::write(header.join("x"), b"x").unwrap();
        assert!(
            v.recover(&created.recovery_key, &pass("second passphrase"), &store)
                .is_err()
        );
        fs::remove_dir_all(&header).unwrap();
        fs::write(&header, kept).unwrap();
        // The old passphrase still opens it, the new one does not, and the
        // new device secret was removed again.
        let reopened = Vault::open(v.dir()).unwrap();
        assert!(reopened.unlock(&pass("first passphrase"), &store).is_ok());
        assert!(reopened.unlock(&pass("second passphrase"), &store).is_err());
        assert_eq!(store.entries(), 1);
    }

    #[test]
    fn a_wrong_recovery_key_is_the_same_opaque_error() {
        let (_d, store, created) = new_vault();
        let mut v = created.vault.clone();
        let err = v
            .recover(
                &RecoveryKey::from_bytes([1; 20]),
                &pass("second passphrase"),
                &store,
            )
            .unwrap_err();
        assert!(matches!(err, VaultError::WrongSecret));
        assert_eq!(
            v.pending_failed_attempts().unwrap().unaudited[0].method,
            UnlockMethod::RecoveryKey
        );
    }

    #[test]
    fn changing_the_passphrase_rewraps_only() {
        let (_d, store, created) = new_vault();
        let mut v = created.vault.clone();
        let before = v.header().clone();
        v.change_passphrase(&pass("first passphrase"), &pass("a new passphrase"), &store)
            .unwrap();
        let after = Vault::open(v.dir()).unwrap();
        assert_ne!(
            after.header().unlock_slot.wrapped,
            before.unlock_slot.wrapped
        );
        assert_eq!(after.header().recovery_slot, before.recovery_slot);
        assert_eq!(
            after
                .unlock(&pass("a new passphrase"), &store)
                .unwrap()
                .master,
            created.master
        );
        assert!(after.unlock(&pass("first passphrase"), &store).is_err());
        // The recovery key still works after the change.
        let mut after = after;
        assert!(
            after
                .recover(&created.recovery_key, &pass("third passphrase"), &store)
                .is_ok()
        );
    }

    #[test]
    fn a_refusing_keychain_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        *store.fail_with.lock().unwrap() = Some(KeychainProblem::Refused);
        let target = dir.path().join("v");
        let err = Vault::create(
            &target,
            "x",
            &pass("first passphrase"),
            &store,
            KdfCost::MINIMUM,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            VaultError::Keychain {
                problem: KeychainProblem::Refused,
                ..
            }
        ));
        assert!(!target.exists());
    }

    #[test]
    fn creating_over_a_vault_or_a_nonempty_folder_is_refused() {
        let (_d, store, created) = new_vault();
        let err = Vault::create(
            created.vault.dir(),
            "again",
            &pass("first passphrase"),
            &store,
            KdfCost::MINIMUM,
        )
        .unwrap_err();
        assert!(matches!(err, VaultError::AlreadyExists(_)));
    }

    #[test]
    fn edited_headers_are_refused() {
        let (_d, _store, created) = new_vault();
        let path = created.vault.dir().join(HEADER_FILE);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            text.replace("\"memory_kib\": 65536", "\"memory_kib\": 8"),
        )
        .unwrap();
        assert!(matches!(
            Vault::open(created.vault.dir()),
            Err(VaultError::HeaderInvalid(_))
        ));
        fs::write(&path, text.replace("\"version\": 1", "\"version\": 9")).unwrap();
        assert!(matches!(
            Vault::open(created.vault.dir()),
            Err(VaultError::UnsupportedVersion(9))
        ));
    }

    #[test]
    fn several_vaults_are_listed_by_name() {
        let root = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        for name in ["Zeta", "Alpha"] {
            Vault::create(
                &root.path().join(name.to_lowercase()),
                name,
                &pass("first passphrase"),
                &store,
                KdfCost::MINIMUM,
            )
            .unwrap();
        }
        fs::create_dir(root.path().join("not-a-vault")).unwrap();
        let names: Vec<String> = list_vaults(root.path())
            .unwrap()
            .iter()
            .map(|v| match v {
                Listed::Vault(v) => v.header().name.clone(),
                Listed::Unreadable { dir, error } => panic!("{}: {error}", dir.display()),
            })
            .collect();
        assert_eq!(names, ["Alpha", "Zeta"]);
    }

    #[test]
    fn vaults_whose_header_does_not_read_are_listed_with_the_reason() {
        let root = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        for name in ["alpha", "damaged", "edited", "newer"] {
            Vault::create(
                &root.path().join(name),
                name,
                &pass("first passphrase"),
                &store,
                KdfCost::MINIMUM,
            )
            .unwrap();
        }
        let header = |name: &str| root.path().join(name).join(HEADER_FILE);
        fs::write(header("damaged"), b"{ not json").unwrap();
        let text = fs::read_to_string(header("edited")).unwrap();
        fs::write(
            header("edited"),
            text.replace("\"memory_kib\": 65536", "\"memory_kib\": 8"),
        )
        .unwrap();
        let text = fs::read_to_string(header("newer")).unwrap();
        fs::write(
            header("newer"),
            text.replace("\"version\": 1", "\"version\": 2"),
        )
        .unwrap();
        // A header that is not a file at all.
        fs::create_dir_all(root.path().join("folder").join(HEADER_FILE)).unwrap();

        let listed = list_vaults(root.path()).unwrap();
        assert_eq!(listed.len(), 5);
        assert!(matches!(&listed[0], Listed::Vault(v) if v.header().name == "alpha"));
        let unreadable: Vec<(String, String)> = listed[1..]
            .iter()
            .map(|l| match l {
                Listed::Unreadable { dir, error } => (
                    dir.file_name().unwrap().to_string_lossy().into_owned(),
                    error.to_string(),
                ),
                Listed::Vault(v) => panic!("{} read", v.dir().display()),
            })
            .collect();
        let names: Vec<&str> = unreadable.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["damaged", "edited", "folder", "newer"]);
        assert!(
            unreadable[0].1.contains("damaged or was edited"),
            "{}",
            unreadable[0].1
        );
        assert!(
            unreadable[1].1.contains("below the minimum"),
            "{}",
            unreadable[1].1
        );
        assert!(
            unreadable[3].1.contains("format version 2"),
            "{}",
            unreadable[3].1
        );
    }
}
