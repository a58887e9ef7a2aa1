//! Small file-system helpers: private folders and files, atomic replace.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::VaultError;

fn io_err(path: &Path, e: std::io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

/// Creates `dir` (and parents) readable by the user alone.
pub fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| io_err(dir, e))?;
    }
    Ok(())
}

/// Creates or truncates a file readable by the user alone.
pub fn create_private_file(path: &Path) -> Result<File, VaultError> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| io_err(path, e))
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or
/// the new one: temporary file, fsync, rename, fsync of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = path
        .parent()
        .ok_or_else(|| io_err(path, std::io::Error::other("no parent folder")))?;
    let name = path
        .file_name()
        .ok_or_else(|| io_err(path, std::io::Error::other("no file name")))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let mut file = create_private_file(&tmp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    sync_dir(dir)
}

/// Overwrites an open file's whole length with zeros and syncs it. Best
/// effort as erasure: flash and copy-on-write disks may keep the old
/// blocks, so what protects a destroyed document is its key being gone.
pub fn zero_fill(file: &mut File) -> std::io::Result<()> {
    let zeros = [0u8; 64 * 1024];
    let mut left = file.metadata()?.len();
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

/// Makes a rename or create in `dir` durable (a no-op where folders cannot
/// be opened, as on Windows).
pub fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
