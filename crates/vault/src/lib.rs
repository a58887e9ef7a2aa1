//! The vault: a folder with a header, a SQLCipher database and a blob area,
//! and the key hierarchy that opens it.
//!
//! ```text
//! master key (random 256 bits, never stored in clear)
//!  ├─ wrapped by the unlock slot:   HKDF(Argon2id(passphrase) ‖ device secret from the keychain)
//!  ├─ wrapped by the recovery slot: HKDF(recovery key, 160 random bits)
//!  └─ derives (HKDF-SHA256, vault id as salt, one label per purpose):
//!       database key (raw SQLCipher key), audit chain MAC key, document key-wrap key
//! ```

pub mod device;
pub mod fsutil;
pub mod header;
pub mod kdf;
pub mod paths;
pub mod recovery;
pub mod secret;
pub mod slot;
pub mod throttle;
pub mod vault;

use std::path::PathBuf;

pub use device::{
    DangerPlainFileStore, DeviceSecretStorage, DeviceSecretStore, KeychainProblem, MemoryStore,
    OsKeychain,
};
pub use header::VaultHeader;
pub use kdf::KdfCost;
pub use recovery::RecoveryKey;
pub use secret::{DerivedKey, DeviceSecret, KeyPurpose, MasterKey, Passphrase};
pub use throttle::{FailedAttempt, UnlockMethod};
pub use vault::{Created, Listed, Unlocked, Vault, list_vaults};

/// Everything that can go wrong with a vault's folder or keys.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase, the device secret or the recovery key did not open
    /// the vault. Deliberately one error: it never says which factor failed.
    #[error("The passphrase or recovery key is not right for this vault.")]
    WrongSecret,
    /// The OS keychain could not give or keep the device secret.
    #[error(
        "Cannot use the keychain: {problem} ({detail}). You can open the vault with its recovery key, which also enrolls this computer again."
    )]
    Keychain {
        problem: KeychainProblem,
        detail: String,
    },
    /// A typed recovery key is malformed (a typo, not a wrong key).
    #[error("That is not a valid recovery key: {0}.")]
    RecoveryKeyFormat(String),
    #[error("Passphrase too weak: {0}.")]
    WeakPassphrase(String),
    #[error("No vault at {0}.")]
    NotAVault(PathBuf),
    #[error("A vault or other files already exist at {0}.")]
    AlreadyExists(PathBuf),
    #[error("The vault header is damaged or was edited: {0}.")]
    HeaderInvalid(String),
    #[error("This vault uses format version {0}, which this version of Matterbox cannot open.")]
    UnsupportedVersion(u32),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("The system's random number generator failed: {0}.")]
    Random(String),
}
