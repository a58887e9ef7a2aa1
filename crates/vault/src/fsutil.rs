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

/// The suffix of [`write_atomic`]'s temporary files.
pub const TEMP_SUFFIX: &str = ".matterbox-tmp";

/// Writes `bytes` to `path` so that a crash leaves either the old file or
/// the new one: temporary file, fsync, rename, fsync of the folder.
///
/// Each call writes its own temporary file (`.<name>.<random>.matterbox-tmp`,
/// created new, never truncating another's), so writers in several
/// processes never clobber each other's; a failed write removes its own.
/// A crash may leave one behind: [`remove_stale_temporaries`] tidies them.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let dir = path
        .parent()
        .ok_or_else(|| io_err(path, std::io::Error::other("no parent folder")))?;
    let name = path
        .file_name()
        .ok_or_else(|| io_err(path, std::io::Error::other("no file name")))?;
    let mut nonce = [0u8; 8];
    crate::secret::random_bytes(&mut nonce)?;
    let tmp = dir.join(format!(
        ".{}.{}{TEMP_SUFFIX}",
        name.to_string_lossy(),
        hex::encode(nonce)
    ));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| io_err(&tmp, e))?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err(&tmp, e))
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path).map_err(|e| io_err(path, e))
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Removes the temporary files [`write_atomic`] left in `dir` when a
/// process was killed mid-way, if older than `min_age` (a younger one may
/// belong to a write in progress in another process). Returns how many.
pub fn remove_stale_temporaries(dir: &Path, min_age: std::time::Duration) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // The pattern of write_atomic, and of the one-name-for-all
        // temporaries of earlier versions (`.<name>.tmp`).
        let ours =
            name.starts_with('.') && (name.ends_with(TEMP_SUFFIX) || name.ends_with(".json.tmp"));
        let old = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age);
        if ours && old && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// A file in `dir` whose modification time is `age` ago.
    fn aged(dir: &Path, name: &str, age: Duration) -> std::path::PathBuf {
        let path = dir.join(name);
        let file = File::create(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
        path
    }

    #[test]
    fn stale_temporaries_go_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = Duration::from_secs(120);
        // Left by a crash (a killed `vault recover` between writing its
        // header temporary and the rename), and by earlier versions.
        let stale = [
            aged(d, ".vault.json.0123456789abcdef.matterbox-tmp", old),
            aged(d, ".audit-anchor.json.fedcba9876543210.matterbox-tmp", old),
            aged(d, ".vault.json.tmp", old),
        ];
        let kept = [
            // Young: may belong to a write in progress in another process.
            aged(
                d,
                ".vault.json.1111111111111111.matterbox-tmp",
                Duration::ZERO,
            ),
            // Not ours, however old.
            aged(d, "vault.json", old),
            aged(d, "notes.matterbox-tmp", old),
            aged(d, ".hidden-but-not-ours", old),
        ];
        // A folder with a temporary's name is not a file this removes.
        let folder = d.join(".x.0000000000000000.matterbox-tmp");
        fs::create_dir(&folder).unwrap();
        File::open(&folder)
            .unwrap()
            .set_modified(SystemTime::now() - old)
            .unwrap();

        assert_eq!(remove_stale_temporaries(d, Duration::from_secs(60)), 3);
        for p in &stale {
            assert!(!p.exists(), "{} was left", p.display());
        }
        for p in &kept {
            assert!(p.exists(), "{} was removed", p.display());
        }
        assert!(folder.is_dir());
        // Nothing is left to remove; a missing folder is no error.
        assert_eq!(remove_stale_temporaries(d, Duration::from_secs(60)), 0);
        assert_eq!(remove_stale_temporaries(&d.join("none"), Duration::ZERO), 0);
        // With no minimum age, the young one goes too.
        assert_eq!(remove_stale_temporaries(d, Duration::ZERO), 1);
        assert!(!kept[0].exists());
    }

    #[test]
    fn a_write_leaves_no_temporary_and_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
