//! One command's context: where the vault is, how secrets are read, how
//! results are printed; and the session it unlocks for the command alone.

use std::io::Write;
use std::path::PathBuf;

use matterbox_core::{Environment, Session};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::failure::{Failure, Outcome};
use crate::secrets::{self, Source};

pub(crate) struct Ctx {
    pub(crate) vault_dir: PathBuf,
    pub(crate) json: bool,
    pub(crate) passphrase_file: Option<PathBuf>,
    pub(crate) env: Environment,
}

impl Ctx {
    pub(crate) fn passphrase_source(&self, confirm: bool) -> Source<'_> {
        Source {
            file: self.passphrase_file.as_deref(),
            env: "MATTERBOX_PASSPHRASE",
            flag: "--passphrase-file",
            prompt: if confirm {
                "New passphrase: "
            } else {
                "Passphrase: "
            },
            confirm,
        }
    }

    /// The passphrase source, asking with `prompt` on a terminal.
    pub(crate) fn passphrase_source_with_prompt(&self, prompt: &'static str) -> Source<'_> {
        Source {
            prompt,
            ..self.passphrase_source(false)
        }
    }

    pub(crate) fn unlock(&self) -> Result<Session, Failure> {
        // Check the vault exists before asking for a secret.
        matterbox_core::vault_info(&self.vault_dir)?;
        let pass = secrets::passphrase(&self.passphrase_source(false))?;
        Ok(matterbox_core::unlock(&self.env, &self.vault_dir, &pass)?)
    }

    /// Unlocks, runs `f`, locks. The CLI holds the keys for one command only.
    pub(crate) fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut session = self.unlock()?;
        let out = f(&mut session);
        close(session);
        out
    }

    /// Prints a command's result. It is called once the work is done, so a
    /// failure to print says the command completed: a script must not
    /// retry a change that was made.
    pub(crate) fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> Outcome {
        let mut out = std::io::stdout().lock();
        let written = if self.json {
            serde_json::to_writer_pretty(&mut out, value)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            // Human output may hold a secret (a new vault's recovery key).
            write!(out, "{}", *Zeroizing::new(human(value)))
        }
        .and_then(|()| out.flush());
        written.map_err(|e| {
            Failure::Io(format!(
                "The command completed, but its result could not be written out: {e}."
            ))
        })
    }
}

/// Ends a session: prints the warnings about changes that were saved but
/// not completely tidied up after, then locks. The keys are dropped either
/// way; a lock that cannot be recorded is a warning, never a failure of the
/// command, whose work is done.
pub(crate) fn close(mut session: Session) {
    for warning in session.take_warnings() {
        eprintln!("matterbox: warning: {warning}");
    }
    if let Err(e) = session.lock() {
        eprintln!(
            "matterbox: warning: the vault is locked, but the audit log could not record it: {}",
            e.user_message()
        );
    }
}
