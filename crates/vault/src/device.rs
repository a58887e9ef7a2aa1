//! Where this computer keeps a vault's device secret: the OS keychain, or —
//! only when the user opts in by name — a file readable by the user alone.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::VaultError;
use crate::secret::DeviceSecret;

/// Recorded in the vault header, so the choice is visible and audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DeviceSecretStorage {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    OsKeychain,
    /// A file readable only by the user, outside the vault folder: for an
    /// always-on machine without a keychain service. Less safe: anyone who
    /// can read the user's files has the second factor.
    DangerPlainFile,
}

/// Why the keychain could not give or take the device secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeychainProblem {
    /// No keychain service is running or reachable.
    NotAvailable,
    /// The keychain is locked or refused access.
    Refused,
    /// The keychain did not answer in time.
    NoAnswer,
    /// This computer holds no device secret for the vault.
    EntryMissing,
    /// Anything else the keychain reported.
    Failed,
}

impl fmt::Display for KeychainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeychainProblem::NotAvailable => "no keychain service is available",
            KeychainProblem::Refused => "the keychain is locked or refused access",
            KeychainProblem::NoAnswer => "the keychain did not answer in time",
            KeychainProblem::EntryMissing => {
                "this computer's keychain holds no device secret for this vault"
            }
            KeychainProblem::Failed => "the keychain reported an error",
        })
    }
}

/// Keeps device secrets, one per vault id.
pub trait DeviceSecretStore: Send + Sync {
    fn storage(&self) -> DeviceSecretStorage;
    fn load(&self, vault_id: &str) -> Result<DeviceSecret, VaultError>;
    fn save(&self, vault_id: &str, secret: &DeviceSecret) -> Result<(), VaultError>;
    fn delete(&self, vault_id: &str) -> Result<(), VaultError>;

    /// The vault's failed-unlock record (MACed JSON text, no secret), kept
    /// beside the device secret as a copy that deleting files does not
    /// remove; `None` when there is none.
    fn load_record(&self, vault_id: &str) -> Result<Option<String>, VaultError>;
    fn save_record(&self, vault_id: &str, text: &str) -> Result<(), VaultError>;
    /// Removes the record; a missing record is not an error.
    fn delete_record(&self, vault_id: &str) -> Result<(), VaultError>;

    /// Another short secret of the vault kept beside its device secret,
    /// under `name` (the access key of its backup store, for one); `None`
    /// when there is none.
    fn load_text(
        &self,
        vault_id: &str,
        name: &str,
    ) -> Result<Option<Zeroizing<String>>, VaultError>;
    fn save_text(&self, vault_id: &str, name: &str, text: &str) -> Result<(), VaultError>;
    /// Removes it; a missing one is not an error.
    fn delete_text(&self, vault_id: &str, name: &str) -> Result<(), VaultError>;
}

/// The entry of a vault's other secret `name`: `vault-<vault id>-<name>`
/// in the keychain, `<vault id>.<name>` as a plain file.
fn text_entry(vault_id: &str, name: &str) -> String {
    format!("{vault_id}-{name}")
}

/// The entry name of a vault's failed-unlock record in a store: its own
/// entry beside the device secret's (`vault-<vault id>-unlock-attempts`
/// in the keychain).
pub fn record_entry(vault_id: &str) -> String {
    format!("{vault_id}-unlock-attempts")
}

/// The keychain service name; the user name is `vault-<vault id>`, so
/// several vaults on one machine never share an entry.
pub const KEYCHAIN_SERVICE: &str = "matterbox";

pub fn keychain_user(vault_id: &str) -> String {
    format!("vault-{vault_id}")
}

/// The OS keychain through keyring-core. Every call runs on a worker thread
/// and is abandoned after `timeout`: a keychain that never answers gives
/// [`KeychainProblem::NoAnswer`], never a hang.
#[derive(Clone, Debug)]
pub struct OsKeychain {
    pub timeout: Duration,
}

impl Default for OsKeychain {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
        }
    }
}

fn keychain_err(problem: KeychainProblem, detail: impl Into<String>) -> VaultError {
    VaultError::Keychain {
        problem,
        detail: detail.into(),
    }
}

fn map_keyring(err: keyring_core::Error) -> VaultError {
    use keyring_core::Error as E;
    let problem = match &err {
        E::NoEntry => KeychainProblem::EntryMissing,
        E::NoStorageAccess(_) => KeychainProblem::Refused,
        E::NoDefaultStore => KeychainProblem::NotAvailable,
        E::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("ServiceUnknown")
                || text.contains("was not provided by any .service files")
                || text.contains("NoServer")
                || text.contains("Failed to connect")
                || text.contains("DBUS_SESSION_BUS_ADDRESS")
            {
                KeychainProblem::NotAvailable
            } else if text.contains("NoReply")
                || text.contains("Timeout")
                || text.contains("Did not receive a reply")
            {
                KeychainProblem::NoAnswer
            } else {
                KeychainProblem::Failed
            }
        }
        _ => KeychainProblem::Failed,
    };
    keychain_err(problem, err.to_string())
}

#[cfg(target_os = "linux")]
fn os_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> =
        dbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn os_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> =
        apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn os_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let store: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn os_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}

impl OsKeychain {
    fn call<T: Send + 'static>(
        &self,
        vault_id: &str,
        op: impl FnOnce(keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T, VaultError> {
        let user = keychain_user(vault_id);
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name("keychain".into())
            .spawn(move || {
                let result = os_store()
                    .and_then(|store| {
                        keyring_core::Entry::new_in_store(&store, KEYCHAIN_SERVICE, &user)
                    })
                    .and_then(op);
                // The receiver may have given up already; nothing to do then.
                let _ = tx.send(result);
            })
            .map_err(|e| keychain_err(KeychainProblem::Failed, e.to_string()))?;
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result.map_err(map_keyring),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(keychain_err(
                KeychainProblem::NoAnswer,
                format!("no answer within {} s", self.timeout.as_secs()),
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(keychain_err(
                KeychainProblem::Failed,
                "the keychain worker stopped",
            )),
        }
    }
}

impl DeviceSecretStore for OsKeychain {
    fn storage(&self) -> DeviceSecretStorage {
        DeviceSecretStorage::OsKeychain
    }

    fn load(&self, vault_id: &str) -> Result<DeviceSecret, VaultError> {
        let text = Zeroizing::new(self.call(vault_id, |e| e.get_password())?);
        decode_secret(&text).ok_or_else(|| {
            keychain_err(
                KeychainProblem::Failed,
                "the keychain entry does not hold a Matterbox device secret",
            )
        })
    }

    fn save(&self, vault_id: &str, secret: &DeviceSecret) -> Result<(), VaultError> {
        let text = Zeroizing::new(hex::encode(secret.expose()));
        self.call(vault_id, move |e| e.set_password(&text))
    }

    fn delete(&self, vault_id: &str) -> Result<(), VaultError> {
        match self.call(vault_id, |e| e.delete_credential()) {
            Err(VaultError::Keychain {
                problem: KeychainProblem::EntryMissing,
                ..
            }) => Ok(()),
            other => other,
        }
    }

    fn load_record(&self, vault_id: &str) -> Result<Option<String>, VaultError> {
        match self.call(&record_entry(vault_id), |e| e.get_password()) {
            Ok(text) => Ok(Some(text)),
            Err(VaultError::Keychain {
                problem: KeychainProblem::EntryMissing,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn save_record(&self, vault_id: &str, text: &str) -> Result<(), VaultError> {
        let text = text.to_string();
        self.call(&record_entry(vault_id), move |e| e.set_password(&text))
    }

    fn delete_record(&self, vault_id: &str) -> Result<(), VaultError> {
        self.delete(&record_entry(vault_id))
    }

    fn load_text(
        &self,
        vault_id: &str,
        name: &str,
    ) -> Result<Option<Zeroizing<String>>, VaultError> {
        match self.call(&text_entry(vault_id, name), |e| e.get_password()) {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            Err(VaultError::Keychain {
                problem: KeychainProblem::EntryMissing,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn save_text(&self, vault_id: &str, name: &str, text: &str) -> Result<(), VaultError> {
        let text = Zeroizing::new(text.to_string());
        self.call(&text_entry(vault_id, name), move |e| e.set_password(&text))
    }

    fn delete_text(&self, vault_id: &str, name: &str) -> Result<(), VaultError> {
        self.delete(&text_entry(vault_id, name))
    }
}

fn decode_secret(text: &str) -> Option<DeviceSecret> {
    let bytes = Zeroizing::new(hex::decode(text.trim()).ok()?);
    DeviceSecret::from_slice(&bytes)
}

/// The device secret in a plain file, mode 0600 in a 0700 folder, outside
/// the vault folder. Chosen only by an explicit, dangerously named option.
#[derive(Clone, Debug)]
pub struct DangerPlainFileStore {
    pub dir: PathBuf,
}

impl DangerPlainFileStore {
    fn path(&self, vault_id: &str) -> PathBuf {
        self.dir.join(format!("{vault_id}.device-secret"))
    }

    fn record_path(&self, vault_id: &str) -> PathBuf {
        self.dir.join(format!("{vault_id}.unlock-attempts"))
    }

    fn text_path(&self, vault_id: &str, name: &str) -> PathBuf {
        self.dir.join(format!("{vault_id}.{name}"))
    }
}

fn io_err(path: &Path, e: std::io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

impl DeviceSecretStore for DangerPlainFileStore {
    fn storage(&self) -> DeviceSecretStorage {
        DeviceSecretStorage::DangerPlainFile
    }

    fn load(&self, vault_id: &str) -> Result<DeviceSecret, VaultError> {
        let path = self.path(vault_id);
        if !path.exists() {
            return Err(keychain_err(
                KeychainProblem::EntryMissing,
                format!("no device secret file at {}", path.display()),
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path)
                .map_err(|e| io_err(&path, e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(keychain_err(
                    KeychainProblem::Refused,
                    format!(
                        "{} is readable by other users (mode {:o}); make it private with chmod 600",
                        path.display(),
                        mode & 0o777
                    ),
                ));
            }
        }
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| io_err(&path, e))?);
        decode_secret(&text).ok_or_else(|| {
            keychain_err(
                KeychainProblem::Failed,
                format!("{} does not hold a device secret", path.display()),
            )
        })
    }

    fn save(&self, vault_id: &str, secret: &DeviceSecret) -> Result<(), VaultError> {
        crate::fsutil::create_private_dir(&self.dir)?;
        let path = self.path(vault_id);
        let text = Zeroizing::new(hex::encode(secret.expose()));
        let mut file = crate::fsutil::create_private_file(&path)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io_err(&path, e))
    }

    fn delete(&self, vault_id: &str) -> Result<(), VaultError> {
        let path = self.path(vault_id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&path, e)),
            _ => Ok(()),
        }
    }

    fn load_record(&self, vault_id: &str) -> Result<Option<String>, VaultError> {
        let path = self.record_path(vault_id);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn save_record(&self, vault_id: &str, text: &str) -> Result<(), VaultError> {
        crate::fsutil::create_private_dir(&self.dir)?;
        crate::fsutil::write_atomic(&self.record_path(vault_id), text.as_bytes())
    }

    fn delete_record(&self, vault_id: &str) -> Result<(), VaultError> {
        let path = self.record_path(vault_id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&path, e)),
            _ => Ok(()),
        }
    }

    fn load_text(
        &self,
        vault_id: &str,
        name: &str,
    ) -> Result<Option<Zeroizing<String>>, VaultError> {
        let path = self.text_path(vault_id, name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Zeroizing::new(text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn save_text(&self, vault_id: &str, name: &str, text: &str) -> Result<(), VaultError> {
        crate::fsutil::create_private_dir(&self.dir)?;
        crate::fsutil::write_atomic(&self.text_path(vault_id, name), text.as_bytes())
    }

    fn delete_text(&self, vault_id: &str, name: &str) -> Result<(), VaultError> {
        let path = self.text_path(vault_id, name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&path, e)),
            _ => Ok(()),
        }
    }
}

/// An in-memory store for fast unit tests. It never replaces the real
/// keychain in the suite. `fail_with` makes every call fail.
#[derive(Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<String, [u8; 32]>>,
    records: Mutex<HashMap<String, String>>,
    pub fail_with: Mutex<Option<KeychainProblem>>,
}

impl MemoryStore {
    /// How many secrets are stored (tests check nothing is left behind).
    pub fn entries(&self) -> usize {
        self.secrets.lock().map(|s| s.len()).unwrap_or(0)
    }

    fn check(&self) -> Result<(), VaultError> {
        let fail = *self.fail_with.lock().map_err(|_| poisoned())?;
        match fail {
            Some(problem) => Err(keychain_err(problem, "simulated")),
            None => Ok(()),
        }
    }
}

fn poisoned() -> VaultError {
    keychain_err(KeychainProblem::Failed, "memory store lock poisoned")
}

impl DeviceSecretStore for MemoryStore {
    fn storage(&self) -> DeviceSecretStorage {
        DeviceSecretStorage::OsKeychain
    }

    fn load(&self, vault_id: &str) -> Result<DeviceSecret, VaultError> {
        self.check()?;
        let map = self.secrets.lock().map_err(|_| poisoned())?;
        map.get(vault_id)
            .map(|b| DeviceSecret::from_bytes(*b))
            .ok_or_else(|| keychain_err(KeychainProblem::EntryMissing, "no entry"))
    }

    fn save(&self, vault_id: &str, secret: &DeviceSecret) -> Result<(), VaultError> {
        self.check()?;
        let mut map = self.secrets.lock().map_err(|_| poisoned())?;
        map.insert(vault_id.to_string(), *secret.expose());
        Ok(())
    }

    fn delete(&self, vault_id: &str) -> Result<(), VaultError> {
        self.check()?;
        let mut map = self.secrets.lock().map_err(|_| poisoned())?;
        map.remove(vault_id);
        Ok(())
    }

    fn load_record(&self, vault_id: &str) -> Result<Option<String>, VaultError> {
        self.check()?;
        let map = self.records.lock().map_err(|_| poisoned())?;
        Ok(map.get(vault_id).cloned())
    }

    fn save_record(&self, vault_id: &str, text: &str) -> Result<(), VaultError> {
        self.check()?;
        let mut map = self.records.lock().map_err(|_| poisoned())?;
        map.insert(vault_id.to_string(), text.to_string());
        Ok(())
    }

    fn delete_record(&self, vault_id: &str) -> Result<(), VaultError> {
        self.check()?;
        let mut map = self.records.lock().map_err(|_| poisoned())?;
        map.remove(vault_id);
        Ok(())
    }

    fn load_text(
        &self,
        vault_id: &str,
        name: &str,
    ) -> Result<Option<Zeroizing<String>>, VaultError> {
        self.load_record(&text_entry(vault_id, name))
            .map(|t| t.map(Zeroizing::new))
    }

    fn save_text(&self, vault_id: &str, name: &str, text: &str) -> Result<(), VaultError> {
        self.save_record(&text_entry(vault_id, name), text)
    }

    fn delete_text(&self, vault_id: &str, name: &str) -> Result<(), VaultError> {
        self.delete_record(&text_entry(vault_id, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_file_store_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = DangerPlainFileStore {
            dir: dir.path().join("secrets"),
        };
        let secret = DeviceSecret::from_bytes([42; 32]);
        store.save("v1", &secret).unwrap();
        assert_eq!(store.load("v1").unwrap(), secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file_mode = fs::metadata(store.path("v1")).unwrap().permissions().mode();
            assert_eq!(file_mode & 0o777, 0o600);
            let dir_mode = fs::metadata(&store.dir).unwrap().permissions().mode();
            assert_eq!(dir_mode & 0o777, 0o700);
            fs::set_permissions(store.path("v1"), fs::Permissions::from_mode(0o644)).unwrap();
            let err = store.load("v1").unwrap_err().to_string();
            assert!(err.contains("readable by other users"), "{err}");
        }
        store.delete("v1").unwrap();
        assert!(matches!(
            store.load("v1"),
            Err(VaultError::Keychain {
                problem: KeychainProblem::EntryMissing,
                ..
            })
        ));
    }

    #[test]
    fn keychain_names_are_namespaced_by_vault() {
        assert_ne!(keychain_user("a"), keychain_user("b"));
        assert_eq!(keychain_user("abc"), "vault-abc");
    }
}
