//! `matterbox vault …`: create, list, inspect, recover and re-key vaults.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use matterbox_core::vault::{DeviceSecretStorage, paths};
use matterbox_core::{CoreError, KdfChoice, SecretText};
use serde::Serialize;

use crate::ctx::{Ctx, close};
use crate::failure::{Failure, Outcome};
use crate::secrets::{self, Source};
use crate::shown::{shown, shown_path};

#[derive(Args)]
pub(crate) struct StorageArgs {
    /// Keep the device secret in a file readable only by you instead of the
    /// OS keychain. LESS SAFE: for an always-on machine with no keychain
    /// service. Recorded in the vault header and the audit log.
    #[arg(long)]
    danger_device_secret_in_plain_file: bool,
}

impl StorageArgs {
    pub(crate) fn storage(&self) -> DeviceSecretStorage {
        if self.danger_device_secret_in_plain_file {
            DeviceSecretStorage::DangerPlainFile
        } else {
            DeviceSecretStorage::OsKeychain
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum VaultCmd {
    /// Create a vault; shows its recovery key once.
    Create {
        #[arg(long, default_value = "My practice")]
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Public facts about the vault (no unlock needed).
    Info,
    /// The vaults in the default folder.
    List,
    /// Change the passphrase (re-wraps the key; re-encrypts nothing).
    ChangePassphrase {
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Check that a written-down recovery key opens this vault (changes
    /// nothing; exit code 3 when it does not).
    CheckRecoveryKey {
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
    },
    /// Open with the recovery key and enroll this computer with a new passphrase.
    Recover {
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
pub(crate) struct CreatedOut {
    path: PathBuf,
    vault_id: String,
    recovery_key: SecretText,
    argon2id_memory_kib: u32,
    argon2id_iterations: u32,
    argon2id_millis: Option<u128>,
}

pub(crate) fn vault_cmd(ctx: &Ctx, cmd: VaultCmd) -> Outcome {
    match cmd {
        VaultCmd::Create { name, storage } => {
            let pass = secrets::passphrase(&ctx.passphrase_source(true))?;
            let created = matterbox_core::create_vault(
                &ctx.env,
                &ctx.vault_dir,
                &name,
                &pass,
                storage.storage(),
                KdfChoice::Calibrate,
            )?;
            let out = CreatedOut {
                path: ctx.vault_dir.clone(),
                vault_id: created.session.vault().id().to_string(),
                recovery_key: created.recovery_key,
                argon2id_memory_kib: created.kdf.memory_kib,
                argon2id_iterations: created.kdf.iterations,
                argon2id_millis: created.kdf_time.map(|d| d.as_millis()),
            };
            close(created.session);
            ctx.print(&out, |o| {
                format!(
                    "Created the vault at {}.\n\n\
                     RECOVERY KEY — shown this once. Write it down or print it, and keep it\n\
                     somewhere safe away from this computer. It opens the vault if you forget\n\
                     the passphrase or lose this computer's keychain.\n\n    {}\n\n\
                     Argon2id: {} MiB, {} passes{}.\n",
                    shown_path(&o.path),
                    o.recovery_key.expose(),
                    o.argon2id_memory_kib / 1024,
                    o.argon2id_iterations,
                    o.argon2id_millis
                        .map(|m| format!(" ({m} ms here)"))
                        .unwrap_or_default()
                )
            })
        }
        VaultCmd::Info => {
            let info = matterbox_core::vault_info(&ctx.vault_dir)?;
            ctx.print(&info, |i| {
                format!(
                    "Vault:          {}\nName:           {}\nId:             {}\nCreated:        {}\nDevice secret:  {}\nArgon2id:       {} MiB, {} passes, {} lane(s)\nEnrolled here:  {}\nFailed unlocks since the last unlock: {}\n",
                    shown_path(&i.path),
                    shown(&i.name),
                    shown(&i.id),
                    i.created_at,
                    match i.device_secret_storage {
                        DeviceSecretStorage::OsKeychain => "OS keychain",
                        DeviceSecretStorage::DangerPlainFile => "PLAIN FILE (less safe)",
                    },
                    i.kdf.memory_kib / 1024,
                    i.kdf.iterations,
                    i.kdf.parallelism,
                    i.enrolled_at,
                    i.pending_failed_unlocks
                )
            })
        }
        VaultCmd::List => {
            let root = paths::vaults_root().map_err(CoreError::from)?;
            // A vault that cannot be read is listed with why, never left out.
            let listed = matterbox_core::list_vaults(&root)?;
            ctx.print(&listed, |list| {
                if list.is_empty() {
                    format!(
                        "No vaults in {}. Create one with `matterbox vault create`.\n",
                        shown_path(&root)
                    )
                } else {
                    list.iter()
                        .map(|l| match l {
                            matterbox_core::VaultListing::Readable(i) => {
                                format!("{}\t{}\n", shown(&i.name), shown_path(&i.path))
                            }
                            matterbox_core::VaultListing::Unreadable(u) => format!(
                                "(cannot be read)\t{}\t{}\n",
                                shown_path(&u.path),
                                shown(u.error.message())
                            ),
                        })
                        .collect()
                }
            })
        }
        VaultCmd::ChangePassphrase {
            new_passphrase_file,
        } => {
            matterbox_core::vault_info(&ctx.vault_dir)?;
            let current = secrets::passphrase(&ctx.passphrase_source(false))?;
            let new = secrets::passphrase(&Source {
                file: new_passphrase_file.as_deref(),
                env: "MATTERBOX_NEW_PASSPHRASE",
                flag: "--new-passphrase-file",
                prompt: "New passphrase: ",
                confirm: true,
            })?;
            let session =
                matterbox_core::change_passphrase(&ctx.env, &ctx.vault_dir, &current, &new)?;
            close(session);
            ctx.print(&serde_json::json!({ "changed": true }), |_| {
                "Passphrase changed. Nothing was re-encrypted; the recovery key is unchanged.\n"
                    .into()
            })
        }
        VaultCmd::CheckRecoveryKey { recovery_key_file } => {
            let mut s = ctx.unlock()?;
            let key = secrets::recovery_key(recovery_key_file.as_deref())?;
            let matches = s.check_recovery_key(&key)?;
            close(s);
            if !matches {
                return Err(Failure::RecoveryKeyMismatch);
            }
            ctx.print(&serde_json::json!({ "matches": true }), |_| {
                "This recovery key opens the vault. Keep it where it is.\n".into()
            })
        }
        VaultCmd::Recover {
            recovery_key_file,
            new_passphrase_file,
            storage,
        } => {
            matterbox_core::vault_info(&ctx.vault_dir)?;
            let (key, new) = secrets::recovery_and_new_passphrase(
                recovery_key_file.as_deref(),
                new_passphrase_file.as_deref(),
            )?;
            let session =
                matterbox_core::recover(&ctx.env, &ctx.vault_dir, &key, &new, storage.storage())?;
            close(session);
            ctx.print(&serde_json::json!({ "recovered": true, "reenrolled": true }), |_| {
                "Vault recovered. This computer is enrolled with the new passphrase; the recovery key stays the same.\n".into()
            })
        }
    }
}
