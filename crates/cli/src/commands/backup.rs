//! `matterbox backup …`: back up, verify, list, show the repository
//! password, restore on a new computer with the recovery key.

use std::path::PathBuf;

use clap::Subcommand;
use matterbox_core::SecretText;
use serde::Serialize;

use crate::commands::vault::StorageArgs;
use crate::ctx::{Ctx, close};
use crate::failure::Outcome;
use crate::secrets;
use crate::shown::shown_path;

#[derive(Subcommand)]
pub(crate) enum BackupCmd {
    /// Back up the vault (encrypted as it is) and verify the backup. For
    /// cron on an office machine. Reports done only once verified.
    Run {
        /// The backup folder (an external drive, a mounted share); kept
        /// for next time. Default: the folder used last.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
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
        /// Another backup folder than the one set.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Show the backup repository's password, to use the backup with plain
    /// restic. Audited.
    Password,
    /// Restore a backup into a new vault folder (--vault, or the default
    /// one if there is none yet) with the recovery key, and enroll this
    /// computer with a new passphrase.
    Restore {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PasswordOut {
    repository: Option<PathBuf>,
    password: SecretText,
}

pub(crate) fn backup_cmd(ctx: &Ctx, cmd: BackupCmd) -> Outcome {
    match cmd {
        BackupCmd::Run { to, check_all } => {
            let report = ctx.with_session(|s| Ok(s.backup(to.as_deref(), check_all, None)?))?;
            ctx.print(&report, |r| {
                format!(
                    "Backup {} saved to {} and verified (data read back: {}).\n{} files, {} bytes; {} bytes written.\n",
                    r.snapshot,
                    shown_path(&r.destination),
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
                    Some(d) => format!("Backup folder: {}\n", shown_path(d)),
                    None => "No backup folder is set: run `matterbox backup run --to <folder>`.\n"
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
                let repo = s
                    .backup_state()?
                    .destination
                    .map(|d| d.join(matterbox_core::backup::REPOSITORY_DIR));
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
                        Some(r) => format!("Use it with: restic -r {} snapshots\n", shown_path(r)),
                        None => String::new(),
                    }
                )
            })
        }
        BackupCmd::Restore {
            from,
            snapshot,
            recovery_key_file,
            new_passphrase_file,
            storage,
        } => {
            let (key, new) = secrets::recovery_and_new_passphrase(
                recovery_key_file.as_deref(),
                new_passphrase_file.as_deref(),
            )?;
            let request = matterbox_core::backup::RestoreRequest {
                from: &from,
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
