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
        let header: VaultHeader = serde_json::from_slice(&bytes)
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
        header.unlock_slot.kdf.check_floor()?;
        Ok(header)
    }

    pub fn write(&self, path: &Path) -> Result<(), VaultError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| VaultError::HeaderInvalid(e.to_string()))?;
        fsutil::write_atomic(path, &json)
    }
}
