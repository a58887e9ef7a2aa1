//! Where vaults and plain-file device secrets live by default.

use std::path::PathBuf;

use directories::ProjectDirs;

use crate::VaultError;

/// Environment variable that overrides the vault folder.
pub const VAULT_ENV: &str = "MATTERBOX_VAULT";
/// Environment variable that overrides where plain-file device secrets go.
pub const DEVICE_SECRET_DIR_ENV: &str = "MATTERBOX_DEVICE_SECRET_DIR";

fn project_dirs() -> Result<ProjectDirs, VaultError> {
    ProjectDirs::from("", "", "Matterbox").ok_or_else(|| {
        VaultError::HeaderInvalid("cannot find the user's data folder (is HOME set?)".into())
    })
}

/// The folder that holds the user's vaults: `<data dir>/vaults`.
pub fn vaults_root() -> Result<PathBuf, VaultError> {
    Ok(project_dirs()?.data_dir().join("vaults"))
}

/// The default vault: `<data dir>/vaults/default`.
pub fn default_vault_dir() -> Result<PathBuf, VaultError> {
    Ok(vaults_root()?.join("default"))
}

/// Where decrypted copies opened with another application go: the
/// per-user runtime folder when there is one (on Linux a RAM-backed folder
/// only the user can enter), else the local cache folder. The app wipes it
/// on lock, on exit and at start.
pub fn open_copies_dir() -> Result<PathBuf, VaultError> {
    let dirs = project_dirs()?;
    let base = dirs
        .runtime_dir()
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs.cache_dir().to_path_buf());
    Ok(base.join("open-copies"))
}

/// Where a `danger_plain_file` device secret is kept: apart from the data
/// folder that holds the vaults, so copying or backing up that folder does
/// not take the second factor along — on Linux the state folder
/// (`~/.local/state/matterbox`, which XDG marks as not worth backing up),
/// elsewhere the local configuration folder.
pub fn device_secret_dir() -> Result<PathBuf, VaultError> {
    if let Some(dir) = std::env::var_os(DEVICE_SECRET_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    Ok(state_dir()?.join("device-secrets"))
}

/// Matterbox's per-user state folder, apart from the data folder: on Linux
/// `~/.local/state/matterbox`, elsewhere the local configuration folder.
fn state_dir() -> Result<PathBuf, VaultError> {
    let dirs = project_dirs()?;
    Ok(dirs
        .state_dir()
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs.config_local_dir().to_path_buf()))
}

/// The private log of internal errors: each line an incident id, its time
/// and what failed, never data (Linux: `~/.local/state/matterbox/incidents.log`).
pub fn incident_log() -> Result<PathBuf, VaultError> {
    Ok(state_dir()?.join("incidents.log"))
}

/// The second copy of each vault's failed-unlock record, outside the vault
/// folders (Linux: `~/.local/state/matterbox/unlock-attempts`).
pub fn attempts_mirror_dir() -> Result<PathBuf, VaultError> {
    Ok(state_dir()?.join("unlock-attempts"))
}

/// Records of decrypted files being written where the system has no
/// unnamed files, so that the next start wipes what a crash left
/// (Linux: `~/.local/state/matterbox/interrupted-exports`).
pub fn interrupted_exports_dir() -> Result<PathBuf, VaultError> {
    Ok(state_dir()?.join("interrupted-exports"))
}
