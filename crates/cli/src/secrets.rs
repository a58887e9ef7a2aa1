//! Reading secrets: from a file, an environment variable, or the terminal.
//! Never from the command line, where other users and shell history see them.

use std::io::IsTerminal;
use std::path::Path;

use matterbox_core::vault::Passphrase;
use zeroize::Zeroizing;

/// Where a secret comes from, in order: `--…-file`, then the environment
/// variable, then a prompt on the terminal.
pub struct Source<'a> {
    pub file: Option<&'a Path>,
    pub env: &'static str,
    pub flag: &'static str,
    pub prompt: &'static str,
    /// Ask twice on a terminal (new secrets).
    pub confirm: bool,
}

#[derive(Debug)]
pub struct InputError(pub String);

fn strip_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

pub fn read(source: &Source<'_>) -> Result<Zeroizing<String>, InputError> {
    if let Some(path) = source.file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
        return Ok(Zeroizing::new(strip_newline(text)));
    }
    if let Ok(value) = std::env::var(source.env) {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        return Err(InputError(format!(
            "{} is needed and there is no terminal to ask on: use {} FILE or set {}",
            source.prompt.trim_end_matches(": "),
            source.flag,
            source.env
        )));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(source.prompt)
            .map_err(|e| InputError(format!("cannot read from the terminal: {e}")))?,
    );
    if source.confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Type it again: ")
                .map_err(|e| InputError(format!("cannot read from the terminal: {e}")))?,
        );
        if *again != *first {
            return Err(InputError(
                "the two entries differ; nothing was changed".into(),
            ));
        }
    }
    Ok(first)
}

pub fn passphrase(source: &Source<'_>) -> Result<Passphrase, InputError> {
    read(source).map(|s| Passphrase::new(s.to_string()))
}

/// A recovery key to check against the vault (nothing changes).
pub fn recovery_key(
    recovery_key_file: Option<&std::path::Path>,
) -> Result<Zeroizing<String>, InputError> {
    read(&Source {
        file: recovery_key_file,
        env: "MATTERBOX_RECOVERY_KEY",
        flag: "--recovery-key-file",
        prompt: "Recovery key: ",
        confirm: false,
    })
}

/// What a recovery asks for: the recovery key, then the new passphrase for
/// this computer (confirmed on a terminal).
pub fn recovery_and_new_passphrase(
    recovery_key_file: Option<&std::path::Path>,
    new_passphrase_file: Option<&std::path::Path>,
) -> Result<(Zeroizing<String>, Passphrase), InputError> {
    let key = read(&Source {
        file: recovery_key_file,
        env: "MATTERBOX_RECOVERY_KEY",
        flag: "--recovery-key-file",
        prompt: "Recovery key: ",
        confirm: false,
    })?;
    let new = passphrase(&Source {
        file: new_passphrase_file,
        env: "MATTERBOX_NEW_PASSPHRASE",
        flag: "--new-passphrase-file",
        prompt: "New passphrase for this computer: ",
        confirm: true,
    })?;
    Ok((key, new))
}
