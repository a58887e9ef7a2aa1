//! `matterbox backup …`: back up, verify, list, show the repository
//! password, restore on a new computer with the recovery key.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use matterbox_core::backup::{Location, S3Credentials, S3Location};
use matterbox_core::{CoreError, SecretText};
use serde::Serialize;

use crate::commands::vault::StorageArgs;
use crate::ctx::{Ctx, close};
use crate::failure::Outcome;
use crate::secrets;
use crate::shown::shown_path;

/// A destination as the user wrote it: a folder is shown like any path.
fn shown_place(place: &str) -> String {
    if place.starts_with("s3:") {
        place.to_string()
    } else {
        shown_path(Path::new(place))
    }
}

#[derive(Subcommand)]
pub(crate) enum BackupCmd {
    /// Back up the vault (encrypted as it is) and verify the backup. For
    /// cron on an office machine. Reports done only once verified.
    Run {
        /// Where backups go, kept for next time: a folder (an external
        /// drive, a mounted share) or an S3-compatible object store as
        /// s3:https://host/bucket/folder[?region=…]. Default: the one used
        /// last.
        #[arg(long, value_name = "DEST")]
        to: Option<String>,
        #[command(flatten)]
        store_key: StoreKeyArgs,
        /// Read back and authenticate all stored data, not today's part.
        #[arg(long)]
        check_all: bool,
    },
    /// Restore drill: restore the newest backup into a temporary folder,
    /// verify its audit log and every document, compare with the vault.
    Drill,
    /// Where backups go, and when the last verified backup was made.
    Status,
    /// The backups (snapshots) at the backup folder.
    List {
        /// Another destination than the one set.
        #[arg(long, value_name = "DEST")]
        from: Option<String>,
    },
    /// Show the backup repository's password, to use the backup with plain
    /// restic. Audited.
    Password,
    /// Restore a backup into a new vault folder (--vault, or the default
    /// one if there is none yet) with the recovery key, and enroll this
    /// computer with a new passphrase.
    Restore {
        /// The backup folder, or the object store (s3:https://host/bucket/folder).
        #[arg(long, value_name = "DEST")]
        from: String,
        #[command(flatten)]
        store_key: StoreKeyArgs,
        /// Which backup (its id, from `backup list`); default the newest.
        #[arg(long, value_name = "ID")]
        snapshot: Option<String>,
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// The access key of an object store: the id on the command line (it is
/// not secret), the secret from a file, the environment or the terminal —
/// never from the command line. Given with `run`, it is kept in the
/// keychain for the next backups.
#[derive(Args)]
pub(crate) struct StoreKeyArgs {
    /// The object store's access key id.
    #[arg(long, value_name = "ID")]
    access_key_id: Option<String>,
    /// A file holding the secret access key (else
    /// MATTERBOX_S3_SECRET_ACCESS_KEY, else asked on the terminal).
    #[arg(long, value_name = "FILE", requires = "access_key_id")]
    secret_access_key_file: Option<PathBuf>,
}

impl StoreKeyArgs {
    fn read(&self) -> Result<Option<S3Credentials>, secrets::InputError> {
        let Some(id) = &self.access_key_id else {
            return Ok(None);
        };
        let secret = secrets::read(&secrets::Source {
            file: self.secret_access_key_file.as_deref(),
            env: "MATTERBOX_S3_SECRET_ACCESS_KEY",
            flag: "--secret-access-key-file",
            prompt: "Secret access key of the object store: ",
            confirm: false,
        })?;
        Ok(Some(S3Credentials {
            access_key_id: id.clone(),
            secret_access_key: secret,
        }))
    }
}

fn store_location(text: &str) -> Result<Option<S3Location>, matterbox_core::CoreError> {
    Ok(
        match Location::parse(text).map_err(matterbox_core::CoreError::from)? {
            Location::Store(s) => Some(s),
            Location::Folder(_) => None,
        },
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PasswordOut {
    repository: Option<String>,
    password: SecretText,
}

pub(crate) fn backup_cmd(ctx: &Ctx, cmd: BackupCmd) -> Outcome {
    match cmd {
        BackupCmd::Run {
            to,
            check_all,
            store_key,
        } => {
            let key = store_key.read()?;
            let report = ctx.with_session(|s| {
                if let Some(key) = &key {
                    let Some(store) =
                        store_location(&s.backup_location(to.as_deref())?.to_string())?
                    else {
                        return Err(matterbox_core::CoreError::Invalid(
                            "An access key is for an object store (s3:…), not a folder.".into(),
                        )
                        .into());
                    };
                    s.set_backup_store_key(&store, key)?;
                }
                Ok(s.backup(to.as_deref(), check_all, None)?)
            })?;
            ctx.print(&report, |r| {
                format!(
                    "Backup {} saved to {} and verified (data read back: {}).\n{} files, {} bytes; {} bytes written.\n",
                    r.snapshot,
                    shown_place(&r.destination),
                    r.data_checked,
                    r.files,
                    r.bytes,
                    r.bytes_written
                )
            })
        }
        BackupCmd::Drill => {
            let report = ctx.with_session(|s| Ok(s.backup_drill(None)?))?;
            ctx.print(&report, |r| {
                format!(
                    "Restore drill passed: backup {} (taken {}) restored, its audit log verified, {} document versions decrypted and checked.\n",
                    r.snapshot, r.taken_at, r.documents
                )
            })
        }
        BackupCmd::Status => {
            let state = ctx.with_session(|s| {
                s.check_rollback()?;
                Ok(s.backup_state()?)
            })?;
            ctx.print(&state, |s| {
                let mut out = match &s.destination {
                    Some(d) => format!("Backups go to: {}\n", shown_place(d)),
                    None => "No backup destination is set: run `matterbox backup run --to <folder or s3:…>`.\n"
                        .into(),
                };
                match s.last_verified_at {
                    Some(t) => out.push_str(&format!(
                        "Last verified backup: {} ({})\n",
                        t.format("%Y-%m-%d %H:%M UTC"),
                        s.last_snapshot.as_deref().unwrap_or("?")
                    )),
                    None => out.push_str("No verified backup yet.\n"),
                }
                if let Some(p) = &s.last_problem {
                    out.push_str(&format!("The last attempt failed: {p}\n"));
                }
                if let Some(r) = &s.rollback {
                    out.push_str(&format!("WARNING: {r}\n"));
                }
                if let Some(p) = &s.purge {
                    out.push_str(&format!(
                        "Backups made since {} may still hold destroyed documents; the next backup removes them.\n",
                        p.from.format("%Y-%m-%d")
                    ));
                }
                out
            })
        }
        BackupCmd::List { from } => {
            let snapshots = ctx.with_session(|s| Ok(s.backup_snapshots(from.as_deref())?))?;
            ctx.print(&snapshots, |list| {
                if list.is_empty() {
                    return "No backups.\n".into();
                }
                list.iter()
                    .map(|s| {
                        format!(
                            "{}  {}  {} files, {} bytes\n",
                            s.id, s.time, s.files, s.bytes
                        )
                    })
                    .collect()
            })
        }
        BackupCmd::Password => {
            let (repository, password) = ctx.with_session(|s| {
                let repo = match s.backup_state()?.destination {
                    Some(d) => Some(Location::parse(&d).map_err(CoreError::from)?.repository()),
                    None => None,
                };
                Ok((repo, s.backup_password()?))
            })?;
            let out = PasswordOut {
                repository,
                password,
            };
            ctx.print(&out, |o| {
                format!(
                    "Backup repository password (keep it as safe as the recovery key):\n{}\n{}",
                    o.password.expose(),
                    match &o.repository {
                        Some(r) => format!("Use it with: restic -r {} snapshots\n", shown_place(r)),
                        None => String::new(),
                    }
                )
            })
        }
        BackupCmd::Restore {
            from,
            store_key,
            snapshot,
            recovery_key_file,
            new_passphrase_file,
            storage,
        } => {
            let from = Location::parse(&from).map_err(CoreError::from)?;
            let store_key = store_key.read()?;
            if from.needs_credentials() && store_key.is_none() {
                return Err(CoreError::Invalid(
                    "Restoring from an object store needs its access key: give --access-key-id (the secret is asked for, or read from --secret-access-key-file or MATTERBOX_S3_SECRET_ACCESS_KEY).".into(),
                )
                .into());
            }
            let (key, new) = secrets::recovery_and_new_passphrase(
                recovery_key_file.as_deref(),
                new_passphrase_file.as_deref(),
            )?;
            let request = matterbox_core::backup::RestoreRequest {
                from: &from,
                store_key: store_key.as_ref(),
                snapshot: snapshot.as_deref(),
                recovery_key: &key,
                to: &ctx.vault_dir,
                new_passphrase: &new,
                storage: storage.storage(),
            };
            let (session, restored) =
                matterbox_core::backup::restore_backup(&ctx.env, &request, None)?;
            close(session);
            ctx.print(&restored, |r| {
                format!(
                    "Restored backup {} (taken {}) into {}. This computer is enrolled with the new passphrase; the recovery key stays the same.\n",
                    r.snapshot,
                    r.taken_at,
                    shown_path(&r.vault_dir)
                )
            })
        }
    }
}
