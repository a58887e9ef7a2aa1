//! What ends a command early, and the exit code and message it gets.

use matterbox_core::audit::Verification;
use matterbox_core::{CoreError, ErrorCode};

use crate::secrets::InputError;

/// Exit codes, stable for scripts.
pub(crate) mod exit {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const WRONG_SECRET: u8 = 3;
    pub const KEYCHAIN: u8 = 4;
    pub const VAULT: u8 = 5;
    pub const INVALID: u8 = 6;
    pub const NOT_FOUND: u8 = 7;
    pub const AUDIT_BROKEN: u8 = 8;
    pub const DAMAGED: u8 = 9;
    pub const FILE: u8 = 10;
    pub const BACKUP: u8 = 11;
}

/// Everything that ends a command early.
pub(crate) enum Failure {
    Core(CoreError),
    Input(InputError),
    AuditBroken(Verification),
    DocumentsDamaged(usize),
    /// `vault check-recovery-key`: a well-formed key that is not this vault's.
    RecoveryKeyMismatch,
    Io(String),
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Core(e)
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

pub(crate) type Outcome = Result<(), Failure>;

pub(crate) fn describe(failure: &Failure) -> (u8, &'static str, String) {
    match failure {
        Failure::Input(e) => (exit::USAGE, "usage", e.0.clone()),
        Failure::Io(e) => (exit::INTERNAL, "internal", e.clone()),
        Failure::RecoveryKeyMismatch => (
            exit::WRONG_SECRET,
            "wrong_secret",
            "This recovery key does not open this vault. Check each group against what you wrote down, and that the kit names this vault.".into(),
        ),
        Failure::DocumentsDamaged(n) => (
            exit::DAMAGED,
            "decryption_failed",
            format!(
                "{n} document(s) are missing or damaged (listed above). Restore them from a backup."
            ),
        ),
        Failure::AuditBroken(v) => {
            let msg = match v {
                Verification::Broken {
                    first_bad_seq,
                    reason,
                } => {
                    format!("The audit log is broken at entry {first_bad_seq}: {reason}.")
                }
                Verification::Intact { .. } => "The audit log is intact.".into(),
            };
            (exit::AUDIT_BROKEN, "audit_broken", msg)
        }
        Failure::Core(e) => {
            let api = e.to_api();
            (
                exit_code(api.code()),
                api.code().as_str(),
                api.message().to_string(),
            )
        }
    }
}

/// The exit code of each core error code (the after-help lists them).
pub(crate) fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Internal => exit::INTERNAL,
        ErrorCode::WrongSecret | ErrorCode::InvalidRecoveryKey | ErrorCode::VaultLocked => {
            exit::WRONG_SECRET
        }
        ErrorCode::KeychainUnavailable => exit::KEYCHAIN,
        ErrorCode::VaultNotFound | ErrorCode::VaultExists => exit::VAULT,
        ErrorCode::Validation
        | ErrorCode::Conflict
        | ErrorCode::ConfirmationNeeded
        | ErrorCode::RetentionHold => exit::INVALID,
        ErrorCode::NotFound => exit::NOT_FOUND,
        ErrorCode::DecryptionFailed | ErrorCode::UnsupportedVersion | ErrorCode::VaultDamaged => {
            exit::DAMAGED
        }
        ErrorCode::FileUnavailable => exit::FILE,
        ErrorCode::BackupFailed => exit::BACKUP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every error code of the core, its serialized name and its exit code:
    /// the contract scripts rely on. A new code must be added here.
    const CODES: [(ErrorCode, &str, u8); 17] = [
        (ErrorCode::VaultLocked, "vault_locked", 3),
        (ErrorCode::VaultNotFound, "vault_not_found", 5),
        (ErrorCode::VaultExists, "vault_exists", 5),
        (ErrorCode::WrongSecret, "wrong_secret", 3),
        (ErrorCode::InvalidRecoveryKey, "invalid_recovery_key", 3),
        (ErrorCode::KeychainUnavailable, "keychain_unavailable", 4),
        (ErrorCode::Validation, "validation", 6),
        (ErrorCode::NotFound, "not_found", 7),
        (ErrorCode::Conflict, "conflict", 6),
        (ErrorCode::RetentionHold, "retention_hold", 6),
        (ErrorCode::FileUnavailable, "file_unavailable", 10),
        (ErrorCode::DecryptionFailed, "decryption_failed", 9),
        (ErrorCode::UnsupportedVersion, "unsupported_version", 9),
        (ErrorCode::ConfirmationNeeded, "confirmation_needed", 6),
        (ErrorCode::VaultDamaged, "vault_damaged", 9),
        (ErrorCode::BackupFailed, "backup_failed", 11),
        (ErrorCode::Internal, "internal", 1),
    ];

    #[test]
    fn every_error_code_has_one_name_and_one_documented_exit_code() {
        assert_eq!(CODES.len(), ErrorCode::ALL.len());
        for (code, (listed, name, exit)) in ErrorCode::ALL.into_iter().zip(CODES) {
            assert_eq!(code, listed, "the table follows ErrorCode::ALL");
            assert_eq!(code.as_str(), name);
            assert_eq!(serde_json::to_value(code).unwrap(), name);
            assert_eq!(exit_code(code), exit, "{name}");
            assert!(
                crate::AFTER_HELP.contains(&format!("{exit} ")),
                "exit code {exit} is not in the help"
            );
        }
    }
}
