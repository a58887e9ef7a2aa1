//! Key newtypes. Every secret zeroizes on drop and prints as `[redacted]`.

use std::fmt;

use hkdf::Hkdf;
use matterbox_keymem::Locked;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::VaultError;

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), VaultError> {
    getrandom::fill(buf).map_err(|e| VaultError::Random(e.to_string()))
}

macro_rules! secret_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        ///
        /// The bytes live in memory locked against swapping where the OS
        /// allows it (`matterbox-keymem`) and are wiped on drop.
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Locked<$len>);

        impl $name {
            pub const LEN: usize = $len;

            /// A fresh random value from the OS CSPRNG, written straight
            /// into locked memory.
            pub fn generate() -> Result<Self, VaultError> {
                let mut key = Locked::zeroed();
                random_bytes(key.expose_mut())?;
                Ok(Self(key))
            }

            /// Moves `bytes` into locked memory (the argument is wiped).
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(Locked::new(bytes))
            }

            /// Copies from a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                if bytes.len() != $len {
                    return None;
                }
                let mut key = Locked::zeroed();
                key.expose_mut().copy_from_slice(bytes);
                Some(Self(key))
            }

            pub fn expose(&self) -> &[u8; $len] {
                self.0.expose()
            }
        }

        impl Zeroize for $name {
            fn zeroize(&mut self) {
                self.0.zeroize();
            }
        }

        // `Locked` wipes its bytes when dropped.
        impl ZeroizeOnDrop for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_bytes!(
    /// The vault master key: 256 random bits. Never stored in clear; every
    /// other key is derived from it or wrapped by it.
    MasterKey,
    32
);
secret_bytes!(
    /// A key derived from the master key for one purpose.
    DerivedKey,
    32
);
secret_bytes!(
    /// The random secret kept in this computer's keychain: the second factor
    /// of the unlock slot.
    DeviceSecret,
    32
);
secret_bytes!(
    /// A key-encryption key that wraps the master key in one slot.
    WrappingKey,
    32
);

/// What a derived key is for. Each purpose has its own HKDF label, so no two
/// purposes ever share a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    /// The raw SQLCipher key of the vault database.
    Database,
    /// The MAC key of the audit chain.
    AuditChain,
    /// Wraps the per-document keys kept in the database.
    DocumentKeyWrap,
    /// The password of the vault's backup repository (restic format).
    BackupRepository,
    /// The MAC key of the lock receipts left at the backup destination.
    LockReceipt,
}

impl KeyPurpose {
    pub const ALL: [KeyPurpose; 5] = [
        KeyPurpose::Database,
        KeyPurpose::AuditChain,
        KeyPurpose::DocumentKeyWrap,
        KeyPurpose::BackupRepository,
        KeyPurpose::LockReceipt,
    ];

    fn label(self) -> &'static [u8] {
        match self {
            KeyPurpose::Database => b"matterbox/v1/sqlcipher-database-key",
            KeyPurpose::AuditChain => b"matterbox/v1/audit-chain-mac-key",
            KeyPurpose::DocumentKeyWrap => b"matterbox/v1/document-key-wrap",
            KeyPurpose::BackupRepository => b"matterbox/v1/backup-repository-password",
            KeyPurpose::LockReceipt => b"matterbox/v1/lock-receipt-mac-key",
        }
    }
}

impl MasterKey {
    /// HKDF-SHA256 with the vault id as salt and the purpose as label.
    pub fn derive(&self, vault_id: &str, purpose: KeyPurpose) -> DerivedKey {
        let hk = Hkdf::<Sha256>::new(Some(vault_id.as_bytes()), self.expose());
        let mut out = Locked::zeroed();
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32: cannot fail.
        #[allow(clippy::expect_used)]
        hk.expand(purpose.label(), out.expose_mut())
            .expect("32-byte HKDF output is always valid");
        DerivedKey(out)
    }
}

impl DerivedKey {
    /// The SQLCipher raw-key pragma value `x'<64 hex>'`, in a buffer that
    /// zeroizes on drop.
    pub fn sqlcipher_raw_key(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(67));
        s.push_str("x'");
        s.push_str(&Zeroizing::new(hex::encode(self.expose())));
        s.push('\'');
        s
    }
}

/// A passphrase typed by the user. Zeroizes on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    /// Shortest passphrase accepted when one is set.
    pub const MIN_CHARS: usize = 10;

    pub fn new(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the rules for a new passphrase.
    pub fn validate_new(&self) -> Result<(), VaultError> {
        if self.0.trim().chars().count() < Self::MIN_CHARS {
            return Err(VaultError::WeakPassphrase(format!(
                "a passphrase needs at least {} characters; a few unrelated words work well",
                Self::MIN_CHARS
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let key = MasterKey::from_bytes([0xAB; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "MasterKey([redacted])");
        assert!(!shown.to_lowercase().contains("ab"));
        let pass = Passphrase::new("correct horse battery".into());
        assert!(!format!("{pass:?}").contains("horse"));
    }

    #[test]
    fn each_purpose_gets_its_own_key() {
        let key = MasterKey::from_bytes([7; 32]);
        let keys: Vec<_> = KeyPurpose::ALL
            .iter()
            .map(|p| key.derive("vault-a", *p))
            .collect();
        for (i, a) in keys.iter().enumerate() {
            assert_ne!(a.expose(), key.expose());
            for b in &keys[i + 1..] {
                assert_ne!(a.expose(), b.expose());
            }
        }
        // Different vaults with the same master key still get different keys.
        assert_ne!(
            key.derive("vault-a", KeyPurpose::Database).expose(),
            key.derive("vault-b", KeyPurpose::Database).expose()
        );
    }

    #[test]
    fn raw_key_pragma_is_hex_of_the_key() {
        let key = DerivedKey::from_bytes([0x0f; 32]);
        let pragma = key.sqlcipher_raw_key();
        assert_eq!(pragma.len(), 67);
        assert!(pragma.starts_with("x'0f0f"));
        assert!(pragma.ends_with('\''));
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert!(Passphrase::new("short".into()).validate_new().is_err());
        assert!(
            Passphrase::new("          x".into())
                .validate_new()
                .is_err()
        );
        assert!(
            Passphrase::new("a long enough phrase".into())
                .validate_new()
                .is_ok()
        );
    }
}
