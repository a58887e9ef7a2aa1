//! The one error type of the core API, with the stable codes the CLI turns
//! into exit codes and the desktop app sends over IPC as `{ code, message }`.

use matterbox_audit::AuditError;
use matterbox_domain::DomainError;
use matterbox_store::StoreError;
use matterbox_vault::VaultError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("The vault is locked. Unlock it to continue.")]
    VaultLocked,
    /// The vault was locked while a long operation ran: it stopped and
    /// left nothing behind (see `cancel.rs`). Its code is `vault_locked`.
    #[error(
        "The vault was locked while this was running, so it was stopped and nothing was kept. Unlock it and try again."
    )]
    Cancelled,
    /// A document's blob failed authentication or is missing.
    #[error(
        "The document \u{201c}{title}\u{201d} is damaged: its encrypted file is missing or does not verify. Nothing was written."
    )]
    DocumentDamaged { title: String },
    #[error("{0}")]
    File(String),
    #[error("{0}")]
    Unsafe(String),
    /// A change took effect only in part; the message says exactly which
    /// part, so the user is never told "nothing was changed" when it was.
    #[error("{0}")]
    PartlyDone(String),
    /// The request would take or destroy something the user may not
    /// expect; it is carried out only when asked again with the named
    /// confirmation.
    #[error("{0}")]
    NeedsConfirmation(String),
}

impl From<matterbox_inbox::FolderError> for CoreError {
    fn from(e: matterbox_inbox::FolderError) -> Self {
        CoreError::File(format!("Inbox: {e}"))
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        CoreError::Store(StoreError::Sqlite(e))
    }
}

/// Stable, snake_case error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    VaultLocked,
    VaultNotFound,
    VaultExists,
    WrongSecret,
    InvalidRecoveryKey,
    KeychainUnavailable,
    Validation,
    NotFound,
    Conflict,
    DecryptionFailed,
    UnsupportedVersion,
    /// Asked again with an explicit confirmation, the request is carried
    /// out (the message says what it would do).
    ConfirmationNeeded,
    /// The vault's files are damaged (an emptied, cut or replaced database,
    /// a page that fails its check): restore from a backup.
    VaultDamaged,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::VaultLocked => "vault_locked",
            ErrorCode::VaultNotFound => "vault_not_found",
            ErrorCode::VaultExists => "vault_exists",
            ErrorCode::WrongSecret => "wrong_secret",
            ErrorCode::InvalidRecoveryKey => "invalid_recovery_key",
            ErrorCode::KeychainUnavailable => "keychain_unavailable",
            ErrorCode::Validation => "validation",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::DecryptionFailed => "decryption_failed",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::VaultDamaged => "vault_damaged",
            ErrorCode::ConfirmationNeeded => "confirmation_needed",
            ErrorCode::Internal => "internal",
        }
    }
}

impl CoreError {
    /// The database error inside this one, if any.
    fn sqlite(&self) -> Option<&rusqlite::Error> {
        match self {
            CoreError::Store(StoreError::Sqlite(e))
            | CoreError::Domain(DomainError::Sqlite(e))
            | CoreError::Audit(AuditError::Sqlite(e)) => Some(e),
            _ => None,
        }
    }

    /// Whether the failure is a damaged database page, wherever it was met.
    pub fn is_damage(&self) -> bool {
        matches!(self, CoreError::Store(StoreError::Damaged(_)))
            || self.sqlite().is_some_and(matterbox_store::is_damage)
    }

    pub fn code(&self) -> ErrorCode {
        if self.is_damage() {
            return ErrorCode::VaultDamaged;
        }
        match self {
            CoreError::VaultLocked | CoreError::Cancelled => ErrorCode::VaultLocked,
            CoreError::Vault(v) => match v {
                VaultError::WrongSecret => ErrorCode::WrongSecret,
                VaultError::Keychain { .. } => ErrorCode::KeychainUnavailable,
                VaultError::RecoveryKeyFormat(_) => ErrorCode::InvalidRecoveryKey,
                VaultError::WeakPassphrase(_) => ErrorCode::Validation,
                VaultError::NotAVault(_) => ErrorCode::VaultNotFound,
                VaultError::AlreadyExists(_) => ErrorCode::VaultExists,
                VaultError::HeaderInvalid(_) => ErrorCode::DecryptionFailed,
                VaultError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
                VaultError::Io { .. } | VaultError::Random(_) => ErrorCode::Internal,
            },
            // The master key opened, so a database it does not open is
            // not this vault's: damaged or replaced, never a wrong guess.
            CoreError::Store(
                StoreError::WrongKey | StoreError::Missing | StoreError::Damaged(_),
            ) => ErrorCode::VaultDamaged,
            CoreError::Store(StoreError::NewerSchema { .. }) => ErrorCode::UnsupportedVersion,
            CoreError::Store(_) | CoreError::Audit(_) => ErrorCode::Internal,
            CoreError::Domain(d) => match d {
                DomainError::Validation { .. } => ErrorCode::Validation,
                DomainError::NotFound { .. } => ErrorCode::NotFound,
                DomainError::Conflict(_) => ErrorCode::Conflict,
                DomainError::Sqlite(_) => ErrorCode::Internal,
            },
            CoreError::Unsafe(_) => ErrorCode::Validation,
            CoreError::DocumentDamaged { .. } => ErrorCode::DecryptionFailed,
            CoreError::File(_) => ErrorCode::Validation,
            CoreError::PartlyDone(_) => ErrorCode::Internal,
            CoreError::NeedsConfirmation(_) => ErrorCode::ConfirmationNeeded,
        }
    }

    /// What to show a user: the error itself, except for internal errors,
    /// which get a generic message (the full chain belongs in the log).
    pub fn user_message(&self) -> String {
        if self.is_damage() && !matches!(self, CoreError::Store(StoreError::Damaged(_))) {
            return "The vault database is damaged: a page failed its integrity check. Nothing more was changed. Run `matterbox doctor` to see what is affected, and put back vault.db from a backup.".into();
        }
        match self.code() {
            ErrorCode::Internal => match self {
                CoreError::PartlyDone(m) => m.clone(),
                CoreError::Vault(VaultError::Io { path, source }) => format!(
                    "Matterbox could not read or write {}: {source}. Check the folder's permissions and free space.",
                    path.display()
                ),
                _ => "Something went wrong inside Matterbox. Nothing was changed; try again, and if it keeps happening, run `matterbox audit verify`.".into(),
            },
            _ => self.to_string(),
        }
    }

    pub fn to_api(&self) -> ApiError {
        ApiError {
            code: self.code(),
            message: self.user_message(),
        }
    }
}

/// The error that crosses process boundaries (IPC, `--json` output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}
