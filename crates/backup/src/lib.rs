//! Backups of a vault folder as it is at rest, in a restic-format
//! repository.
//!
//! The format is restic's published repository design, written by
//! `rustic_core`: if Matterbox is not there, the `restic` CLI lists,
//! checks and restores the same repository with the same password. This
//! crate knows nothing of vaults or keys: it is given a password and the
//! folder to save, and says what it saved, what a check found and what it
//! restored. What goes in, and where the password comes from, is the
//! core's business (`matterbox_core::backup`).
//!
//! A destination — a folder, or a place in an S3-compatible object store
//! ([`s3`]) — holds the repository in `repository/` and, beside it,
//! whatever public files the caller keeps there
//! ([`Destination::write_public`]).
//!
//! Only [`Location`] (parsing what the user types) builds without the
//! default `repository` feature.

mod location;
#[cfg(feature = "repository")]
mod repository;
#[cfg(feature = "repository")]
pub mod s3;

use std::path::PathBuf;

pub use location::{Location, S3Location};
#[cfg(feature = "repository")]
pub use repository::*;
#[cfg(feature = "repository")]
pub use s3::S3Credentials;

/// The folder inside a destination that holds the restic repository.
pub const REPOSITORY_DIR: &str = "repository";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination cannot be used (missing, not a folder, not
    /// writable, another program's repository).
    #[error("{0}")]
    Destination(String),
    /// The repository did not open with this vault's password: it belongs
    /// to another vault or was changed.
    #[error("The backup at {0} does not open with this vault's key.")]
    WrongKey(String),
    /// The repository answered, but something in it is damaged.
    #[error("The backup at {place} is damaged: {detail}")]
    Damaged { place: String, detail: String },
    /// Stopped on request; nothing new was recorded.
    #[error("The backup was stopped.")]
    Cancelled,
    /// Any other failure of the repository code, with its message.
    #[error("The backup at {place} failed: {detail}")]
    Failed { place: String, detail: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, BackupError>;
