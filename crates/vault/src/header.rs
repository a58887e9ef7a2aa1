//! The vault header file: format version, KDF cost, salts and wrapped key
//! slots. It holds no secret in clear: every value in it is either public
//! (ids, costs, salts, nonces) or ciphertext.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::device::DeviceSecretStorage;
use crate::kdf::KdfCost;
use crate::slot::WrappedKey;
use crate::{VaultError, fsutil};

pub const FORMAT_NAME: &str = "matterbox-vault";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockSlot {
    pub kdf: KdfCost,
    #[serde(with = "hex::serde")]
    pub argon_salt: [u8; 16],
    #[serde(with = "hex::serde")]
    pub hkdf_salt: [u8; 16],
    pub wrapped: WrappedKey,
    /// When this computer was enrolled (at creation or by recovery).
    pub enrolled_at: DateTime<Utc>,
    /// Which device-secret entry this slot was made with: absent for the
    /// first enrollment (entry `<vault id>`), a fresh 16-hex-digit tag for
    /// each re-enrollment (entry `<vault id>-<tag>`). A new enrollment
    /// writes a new entry and switches to it only by the header's atomic
    /// replace, so a crash in between leaves the old one working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_secret_entry: Option<String>,
}

impl UnlockSlot {
    /// The name under which this slot's device secret is stored.
    pub fn device_entry(&self, vault_id: &str) -> String {
        match &self.device_secret_entry {
            None => vault_id.to_string(),
            Some(tag) => format!("{vault_id}-{tag}"),
        }
    }
}

/// A vault id as written by [`crate::Vault::create`]: a lowercase UUID. It
/// names keychain entries and files, so nothing else is accepted.
pub fn valid_vault_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

fn valid_entry_tag(tag: &str) -> bool {
    tag.len() == 16
        && tag
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySlot {
    #[serde(with = "hex::serde")]
    pub hkdf_salt: [u8; 16],
    pub wrapped: WrappedKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultHeader {
    pub format: String,
    pub version: u32,
    pub vault_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub device_secret_storage: DeviceSecretStorage,
    pub unlock_slot: UnlockSlot,
    pub recovery_slot: RecoverySlot,
}

impl VaultHeader {
    pub fn read(path: &Path) -> Result<Self, VaultError> {
        let bytes = fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                VaultError::NotAVault(path.parent().unwrap_or(path).to_path_buf())
            } else {
                VaultError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses and checks a header's bytes (`path` names it in messages):
    /// the same checks as [`VaultHeader::read`], for callers and fuzzers
    /// that hold the bytes.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, VaultError> {
        let header: VaultHeader = serde_json::from_slice(bytes)
            .map_err(|e| VaultError::HeaderInvalid(format!("{}: {e}", path.display())))?;
        if header.format != FORMAT_NAME {
            return Err(VaultError::HeaderInvalid(format!(
                "{} is not a Matterbox vault header",
                path.display()
            )));
        }
        if header.version != FORMAT_VERSION {
            return Err(VaultError::UnsupportedVersion(header.version));
        }
        if !valid_vault_id(&header.vault_id) {
            return Err(VaultError::HeaderInvalid(format!(
                "{}: the vault id is not one Matterbox writes",
                path.display()
            )));
        }
        if let Some(tag) = &header.unlock_slot.device_secret_entry
            && !valid_entry_tag(tag)
        {
            return Err(VaultError::HeaderInvalid(format!(
                "{}: the device secret entry is not one Matterbox writes",
                path.display()
            )));
        }
        header.unlock_slot.kdf.check_floor()?;
        Ok(header)
    }

    pub fn write(&self, path: &Path) -> Result<(), VaultError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| VaultError::HeaderInvalid(e.to_string()))?;
        fsutil::write_atomic(path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &str, accepted: bool) {
        assert_eq!(valid_vault_id(id), accepted, "{id:?}");
    }

    #[test]
    fn vault_ids_are_lowercase_uuids_only() {
        check("8cb6c0c8-fbf4-417c-886a-844ef268dc70", true);
        // Ids name keychain entries and files: nothing else is one.
        check("8CB6C0C8-FBF4-417C-886A-844EF268DC70", false);
        check("8cb6c0c8fbf4417c886a844ef268dc70", false);
        check("{8cb6c0c8-fbf4-417c-886a-844ef268dc70}", false);
        check("urn:uuid:8cb6c0c8-fbf4-417c-886a-844ef268dc70", false);
        check("../../8cb6c0c8-fbf4-417c-886a-844ef268dc70", false);
        check("8cb6c0c8-fbf4-417c-886a-844ef268dc70/..", false);
        check("8cb6c0c8-fbf4-417c-886a-844ef268dc70\n", false);
        check("..", false);
        check("", false);
    }

    /// A header written by this version, with its vault id replaced.
    fn header_with_id(dir: &Path, id: &str) -> std::path::PathBuf {
        let store = crate::MemoryStore::default();
        let created = crate::Vault::create(
            &dir.join("v"),
            "Test practice",
            &crate::Passphrase::new("first passphrase".into()),
            &store,
            KdfCost::MINIMUM,
        )
        .unwrap();
        let path = created.vault.dir().join(crate::vault::HEADER_FILE);
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        json["vault_id"] = id.into();
        fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        path
    }

    #[test]
    fn a_header_whose_vault_id_is_a_path_is_refused_when_read() {
        let dir = tempfile::tempdir().unwrap();
        for id in [
            "../../../etc/passwd",
            "../other-vault",
            "8CB6C0C8-FBF4-417C-886A-844EF268DC70",
        ] {
            let path = header_with_id(dir.path(), id);
            let err = VaultHeader::read(&path).unwrap_err();
            assert!(
                matches!(&err, VaultError::HeaderInvalid(m) if m.contains("vault id")),
                "{id:?}: {err:?}"
            );
            fs::remove_dir_all(dir.path().join("v")).unwrap();
        }
    }
}
