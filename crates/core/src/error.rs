//! The one error type of the core API, with the stable codes the CLI turns
//! into exit codes and the desktop app sends over IPC as `{ code, message }`.
//!
//! Every [`ApiError`] is made here, by [`CoreError::to_api`]: the shells
//! cannot build one of their own. An `internal` error is shown as a
//! generic message with a short incident id; what failed goes to the
//! private incident log ([`crate::incident`]) without any data.

use std::path::{Path, PathBuf};

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
    /// The request is wrong in a way the user can put right; the message
    /// says how.
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist; the message says what.
    #[error("{0}")]
    NotFound(String),
    /// A file the user named exists already: Matterbox never overwrites one.
    #[error("{} exists already; an export never overwrites a file.", .0.display())]
    Exists(PathBuf),
    /// A legal hold stops the request.
    #[error("{0}")]
    Held(String),
    /// A file or folder the user named, or a program to open it, cannot be
    /// used; the message names it and gives the system's reason.
    #[error("Cannot {action} {}: {source}.", path.display())]
    UserFile {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Reading or writing the vault's own files failed (`doing` says what
    /// Matterbox was doing, in words that hold no data).
    #[error("Matterbox failed while {doing}: {source}")]
    Io {
        doing: &'static str,
        source: std::io::Error,
    },
    /// A failure that should not happen (a thread that panicked, a value
    /// that does not serialize); the text holds no data.
    #[error("{0}")]
    Internal(&'static str),
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
    /// A backup could not be made, verified or restored; the message says
    /// what failed and where.
    #[error("{0}")]
    Backup(String),
}

impl CoreError {
    /// A file or folder the user named cannot be used for `action`
    /// ("read", "write", "open", …).
    pub fn user_file(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| CoreError::UserFile {
            action,
            path,
            source,
        }
    }

    /// The vault's own files failed while `doing` something.
    pub fn io(doing: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| CoreError::Io { doing, source }
    }
}

impl From<matterbox_inbox::FolderError> for CoreError {
    fn from(e: matterbox_inbox::FolderError) -> Self {
        match e {
            matterbox_inbox::FolderError::Io { path, source } => CoreError::UserFile {
                action: "use the inbox folder",
                path,
                source,
            },
            matterbox_inbox::FolderError::Refused(m) => CoreError::Invalid(format!("Inbox: {m}")),
        }
    }
}

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        CoreError::Store(StoreError::Sqlite(e))
    }
}

/// Stable, snake_case error codes. [`ErrorCode::ALL`] lists every one.
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
    /// A legal hold stops the request.
    RetentionHold,
    /// A file or folder the user named cannot be read or written.
    FileUnavailable,
    DecryptionFailed,
    UnsupportedVersion,
    /// Asked again with an explicit confirmation, the request is carried
    /// out (the message says what it would do).
    ConfirmationNeeded,
    /// The vault's files are damaged (an emptied, cut or replaced database,
    /// a page that fails its check): restore from a backup.
    VaultDamaged,
    /// A backup could not be made, verified or restored.
    BackupFailed,
    Internal,
}

impl ErrorCode {
    /// Every code, for tables and tests.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::VaultLocked,
        ErrorCode::VaultNotFound,
        ErrorCode::VaultExists,
        ErrorCode::WrongSecret,
        ErrorCode::InvalidRecoveryKey,
        ErrorCode::KeychainUnavailable,
        ErrorCode::Validation,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::RetentionHold,
        ErrorCode::FileUnavailable,
        ErrorCode::DecryptionFailed,
        ErrorCode::UnsupportedVersion,
        ErrorCode::ConfirmationNeeded,
        ErrorCode::VaultDamaged,
        ErrorCode::BackupFailed,
        ErrorCode::Internal,
    ];

    /// The serialized name (the same as serde's).
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
            ErrorCode::RetentionHold => "retention_hold",
            ErrorCode::FileUnavailable => "file_unavailable",
            ErrorCode::DecryptionFailed => "decryption_failed",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::VaultDamaged => "vault_damaged",
            ErrorCode::ConfirmationNeeded => "confirmation_needed",
            ErrorCode::BackupFailed => "backup_failed",
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

    /// A database I/O error met while the disk holding `database` was all
    /// but full, named a full disk (see [`matterbox_store::name_full_disk`]).
    pub(crate) fn naming_full_disk(self, database: &std::path::Path) -> Self {
        let named = |e| matterbox_store::name_full_disk(database, e);
        match self {
            CoreError::Store(StoreError::Sqlite(e)) => {
                CoreError::Store(StoreError::Sqlite(named(e)))
            }
            CoreError::Domain(DomainError::Sqlite(e)) => {
                CoreError::Domain(DomainError::Sqlite(named(e)))
            }
            CoreError::Audit(AuditError::Sqlite(e)) => {
                CoreError::Audit(AuditError::Sqlite(named(e)))
            }
            e => e,
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
            CoreError::Invalid(_) | CoreError::Unsafe(_) => ErrorCode::Validation,
            CoreError::NotFound(_) => ErrorCode::NotFound,
            CoreError::Exists(_) => ErrorCode::Conflict,
            CoreError::Held(_) => ErrorCode::RetentionHold,
            CoreError::UserFile { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => ErrorCode::NotFound,
                std::io::ErrorKind::AlreadyExists => ErrorCode::Conflict,
                _ => ErrorCode::FileUnavailable,
            },
            CoreError::DocumentDamaged { .. } => ErrorCode::DecryptionFailed,
            CoreError::Io { .. } | CoreError::Internal(_) | CoreError::PartlyDone(_) => {
                ErrorCode::Internal
            }
            CoreError::NeedsConfirmation(_) => ErrorCode::ConfirmationNeeded,
            CoreError::Backup(_) => ErrorCode::BackupFailed,
        }
    }

    /// What to show a user. An internal error is recorded in the private
    /// incident log, and the message gives its incident id instead of the
    /// failure's text. Each call of an internal error is one incident: call
    /// it (or [`CoreError::to_api`]) once per failure.
    pub fn user_message(&self) -> String {
        if self.is_damage() && !matches!(self, CoreError::Store(StoreError::Damaged(_))) {
            return "The vault database is damaged: a page failed its integrity check. Nothing more was changed. Run `matterbox doctor` to see what is affected, and put back vault.db from a backup.".into();
        }
        if self.code() != ErrorCode::Internal {
            return self.to_string();
        }
        let incident = crate::incident::record(self);
        let what = match self {
            CoreError::PartlyDone(m) => format!("{m} "),
            _ if self
                .sqlite()
                .and_then(rusqlite::Error::sqlite_error_code)
                == Some(rusqlite::ErrorCode::DiskFull) =>
            {
                "A disk Matterbox writes to has no space left; nothing more was changed. ".into()
            }
            _ => match self.io_error().map(|e| e.kind()) {
                Some(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => {
                    "A disk Matterbox writes to has no space left; nothing more was changed. ".into()
                }
                Some(std::io::ErrorKind::PermissionDenied) => {
                    "The system refused Matterbox access to a file of the vault; check the vault folder's permissions. ".into()
                }
                _ => "Something went wrong inside Matterbox. ".into(),
            },
        };
        format!(
            "{what}If it keeps happening, run `matterbox doctor` and quote incident {}{}.",
            incident.id,
            match &incident.log {
                Some(log) => format!(
                    " (its details are in {}, which holds no client data)",
                    log.display()
                ),
                None => " (it could not be written to the incident log)".into(),
            }
        )
    }

    /// The one way an [`ApiError`] is made.
    pub fn to_api(&self) -> ApiError {
        ApiError {
            code: self.code(),
            message: self.user_message(),
        }
    }

    /// The system error inside this one, if it is a file error.
    fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            CoreError::Io { source, .. } | CoreError::UserFile { source, .. } => Some(source),
            CoreError::Vault(VaultError::Io { source, .. }) => Some(source),
            CoreError::Audit(AuditError::Io(e)) => Some(e),
            _ => None,
        }
    }

    /// What failed, for the incident log: built only from fixed words,
    /// error kinds and numbers, so it can hold no name, path, passphrase,
    /// key or document text whatever the error carried.
    pub(crate) fn diagnosis(&self) -> String {
        fn io(e: &std::io::Error) -> String {
            match e.raw_os_error() {
                Some(n) => format!("{:?} (os error {n})", e.kind()),
                None => format!("{:?}", e.kind()),
            }
        }
        fn sqlite(e: &rusqlite::Error) -> String {
            match e {
                rusqlite::Error::SqliteFailure(f, _) => {
                    format!("sqlite {:?} (extended code {})", f.code, f.extended_code)
                }
                rusqlite::Error::QueryReturnedNoRows => "sqlite: no rows".into(),
                rusqlite::Error::InvalidColumnType(i, _, t) => {
                    format!("sqlite: column {i} has type {t}")
                }
                rusqlite::Error::FromSqlConversionFailure(i, t, _) => {
                    format!("sqlite: column {i} of type {t} did not convert")
                }
                rusqlite::Error::ToSqlConversionFailure(_) => {
                    "sqlite: a value did not convert".into()
                }
                rusqlite::Error::ExecuteReturnedResults => {
                    "sqlite: a statement returned rows".into()
                }
                _ => "sqlite: another database error".into(),
            }
        }
        match self {
            CoreError::Vault(v) => match v {
                VaultError::Io { source, .. } => format!("vault file: {}", io(source)),
                VaultError::Random(_) => "vault: the random number generator failed".into(),
                _ => format!("vault: {}", self.code().as_str()),
            },
            CoreError::Store(s) => match s {
                StoreError::Sqlite(e) => format!("store: {}", sqlite(e)),
                StoreError::MissingProtection(what) => format!("store: no {what}"),
                StoreError::Exists => "store: a database file exists already".into(),
                _ => format!("store: {}", self.code().as_str()),
            },
            CoreError::Domain(DomainError::Sqlite(e)) => format!("domain: {}", sqlite(e)),
            CoreError::Audit(AuditError::Sqlite(e)) => format!("audit log: {}", sqlite(e)),
            CoreError::Audit(AuditError::Io(e)) => format!("audit log export: {}", io(e)),
            CoreError::Io { doing, source } => format!("{doing}: {}", io(source)),
            CoreError::Internal(what) => (*what).into(),
            CoreError::PartlyDone(_) => "a change took effect only in part".into(),
            other => other.code().as_str().into(),
        }
    }
}

/// The error that crosses process boundaries (IPC, `--json` output). Made
/// only by [`CoreError::to_api`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        e.to_api()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its place in [`ErrorCode::ALL`]. The match has no catch-all, so a
    /// new code does not compile until it is placed here (and so in ALL).
    fn place(code: ErrorCode) -> usize {
        match code {
            ErrorCode::VaultLocked => 0,
            ErrorCode::VaultNotFound => 1,
            ErrorCode::VaultExists => 2,
            ErrorCode::WrongSecret => 3,
            ErrorCode::InvalidRecoveryKey => 4,
            ErrorCode::KeychainUnavailable => 5,
            ErrorCode::Validation => 6,
            ErrorCode::NotFound => 7,
            ErrorCode::Conflict => 8,
            ErrorCode::RetentionHold => 9,
            ErrorCode::FileUnavailable => 10,
            ErrorCode::DecryptionFailed => 11,
            ErrorCode::UnsupportedVersion => 12,
            ErrorCode::ConfirmationNeeded => 13,
            ErrorCode::VaultDamaged => 14,
            ErrorCode::BackupFailed => 15,
            ErrorCode::Internal => 16,
        }
    }

    #[test]
    fn all_lists_every_code_once_under_its_serialized_name() {
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(place(code), i);
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    fn io(kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::new(kind, "Canary Client Ltd /home/ada/Canary")
    }

    #[test]
    fn each_failure_has_its_real_code() {
        use std::io::ErrorKind::*;
        let path = || PathBuf::from("/tmp/x");
        let cases: Vec<(CoreError, ErrorCode)> = vec![
            (
                CoreError::NotFound("No retention policy 9.".into()),
                ErrorCode::NotFound,
            ),
            (CoreError::Held("held".into()), ErrorCode::RetentionHold),
            (CoreError::Exists(path()), ErrorCode::Conflict),
            (CoreError::Invalid("bad".into()), ErrorCode::Validation),
            (
                CoreError::user_file("read", &path())(io(NotFound)),
                ErrorCode::NotFound,
            ),
            (
                CoreError::user_file("write", &path())(io(AlreadyExists)),
                ErrorCode::Conflict,
            ),
            (
                CoreError::user_file("read", &path())(io(PermissionDenied)),
                ErrorCode::FileUnavailable,
            ),
            (
                CoreError::io("writing")(io(StorageFull)),
                ErrorCode::Internal,
            ),
            (CoreError::Internal("a thread failed"), ErrorCode::Internal),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }

    #[test]
    fn an_internal_error_is_logged_without_its_text_and_shown_with_its_incident_id() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("state/incidents.log");
        let canaries = [
            "Canary Client Ltd",
            "/home/ada/Canary",
            "correct horse battery",
        ];
        let errors = [
            CoreError::io("writing an encrypted document file")(io(
                std::io::ErrorKind::StorageFull,
            )),
            CoreError::Vault(VaultError::Io {
                path: PathBuf::from("/home/ada/Canary/vault.json"),
                source: io(std::io::ErrorKind::PermissionDenied),
            }),
            CoreError::PartlyDone("correct horse battery: Canary Client Ltd".into()),
            CoreError::Store(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(1),
                Some("fts5: syntax error near \"Canary Client Ltd\"".into()),
            ))),
            CoreError::Audit(AuditError::Io(io(std::io::ErrorKind::Other))),
        ];
        for error in &errors {
            assert_eq!(error.code(), ErrorCode::Internal);
            let incident = crate::incident::record_in(&log, error);
            assert_eq!(incident.log.as_deref(), Some(log.as_path()));
            assert_eq!(incident.id.len(), 8);
        }
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), errors.len());
        for canary in canaries {
            assert!(!text.contains(canary), "{canary:?} in the log:\n{text}");
        }
        assert!(
            text.contains("writing an encrypted document file: StorageFull"),
            "{text}"
        );
        assert!(text.contains("sqlite"), "{text}");
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(log.parent().unwrap()), 0o700);
    }
}
