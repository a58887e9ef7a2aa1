//! Files that receive decrypted content (exports, copies opened with
//! another application) are invisible until they are complete, and a
//! crash leaves no readable part of them behind.
//!
//! On Linux the content goes into an unnamed file (`O_TMPFILE`) in the
//! destination's folder, linked into place by name only once it is
//! written, synced and verified: a process killed before that leaves
//! nothing on disk (the kernel frees the unnamed file). Where the file
//! system or the system has no unnamed files, a hidden partial file with a
//! unique name is used instead, and its path is first written to a record
//! in the user's state folder, so that the next start of Matterbox wipes
//! what a crash left ([`wipe_interrupted`]). Either way the final link
//! never replaces a file, and nothing is ever removed that this write did
//! not create.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written that no one sees until [`Partial::finish`].
pub(crate) struct Partial {
    file: File,
    named: Option<Named>,
    finished: bool,
}

/// The fallback: a hidden file, and the record that lists it for wiping.
struct Named {
    path: PathBuf,
    record: Option<PathBuf>,
}

fn private_new(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> io::Result<File> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    let fd = openat(
        CWD,
        dir,
        OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

#[cfg(not(target_os = "linux"))]
fn unnamed_in(_dir: &Path) -> io::Result<File> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, destination: &Path) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use std::os::fd::AsRawFd;
    // Linking an unnamed file by its /proc name needs no privilege;
    // linkat never replaces an existing destination.
    let by_fd = format!("/proc/self/fd/{}", file.as_raw_fd());
    linkat(
        CWD,
        by_fd.as_str(),
        CWD,
        destination,
        AtFlags::SYMLINK_FOLLOW,
    )?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _destination: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

impl Partial {
    /// Starts a file that will become `destination` (which must not exist
    /// when it is finished). `records` is the folder of records of named
    /// partial files (the fallback), `None` when there is none.
    pub(crate) fn create(destination: &Path, records: Option<&Path>) -> io::Result<Self> {
        Self::create_as(destination, records, true)
    }

    /// [`Partial::create`], with the unnamed file tried only if `unnamed`
    /// (tests reach the fallback with `false`).
    fn create_as(destination: &Path, records: Option<&Path>, unnamed: bool) -> io::Result<Self> {
        let dir = match destination.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if unnamed && let Ok(file) = unnamed_in(&dir) {
            return Ok(Self {
                file,
                named: None,
                finished: false,
            });
        }
        let name = destination
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let path = dir.join(format!(".{name}.{tag}.matterbox-partial"));
        // The record comes first: a crash after the file exists always
        // leaves it listed for wiping.
        let record = match records {
            Some(records) => {
                std::fs::create_dir_all(records)?;
                let record = records.join(&tag);
                let absolute = std::path::absolute(&path)?;
                let mut f = private_new(&record)?;
                io::Write::write_all(&mut f, absolute.as_os_str().as_encoded_bytes())?;
                f.sync_all()?;
                Some(record)
            }
            None => None,
        };
        match private_new(&path) {
            Ok(file) => Ok(Self {
                file,
                named: Some(Named { path, record }),
                finished: false,
            }),
            Err(e) => {
                if let Some(r) = record {
                    let _ = std::fs::remove_file(r);
                }
                Err(e)
            }
        }
    }

    pub(crate) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Syncs the content and gives it its name; never replaces a file.
    pub(crate) fn finish(mut self, destination: &Path) -> io::Result<()> {
        self.file.sync_all()?;
        match &self.named {
            None => link_unnamed(&self.file, destination)?,
            Some(named) => std::fs::hard_link(&named.path, destination)?,
        }
        self.finished = true;
        if let Some(dir) = destination.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for Partial {
    /// A named partial file is removed: wiped first if it was not
    /// finished (a finished one is the destination's content under a
    /// second name, so it is only unlinked).
    fn drop(&mut self) {
        if let Some(named) = self.named.take() {
            if !self.finished {
                let _ = matterbox_vault::fsutil::zero_fill(&mut self.file);
            }
            let _ = std::fs::remove_file(&named.path);
            if let Some(record) = named.record {
                let _ = std::fs::remove_file(record);
            }
        }
    }
}

/// Writes `bytes` as the new file `destination`, readable by the user
/// alone, the way every export is written: invisible until complete and
/// synced, never over an existing file (then [`CoreError::Exists`]), and
/// nothing left behind when it fails.
pub(crate) fn write_new_private(destination: &Path, bytes: &[u8]) -> crate::Result<()> {
    use crate::CoreError;
    if destination.symlink_metadata().is_ok() {
        return Err(CoreError::Exists(destination.to_path_buf()));
    }
    let records = matterbox_vault::paths::interrupted_exports_dir().ok();
    let cannot = |e: io::Error| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            CoreError::Exists(destination.to_path_buf())
        } else {
            CoreError::user_file("write", destination)(e)
        }
    };
    let mut partial = Partial::create(destination, records.as_deref()).map_err(cannot)?;
    io::Write::write_all(partial.file(), bytes).map_err(cannot)?;
    partial.finish(destination).map_err(cannot)
}

/// Wipes the named partial files that a crash left behind, as listed in
/// `records`, and the records. Returns how many files were wiped.
pub fn wipe_interrupted(records: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(records) else {
        return 0;
    };
    let mut wiped = 0;
    for entry in entries.flatten() {
        let Ok(listed) = std::fs::read(entry.path()) else {
            continue;
        };
        let Ok(listed) = String::from_utf8(listed) else {
            let _ = std::fs::remove_file(entry.path());
            continue;
        };
        let path = PathBuf::from(listed);
        // Only our own partial files, whatever the record says.
        let ours = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(".matterbox-partial"));
        if ours
            && let Ok(meta) = std::fs::symlink_metadata(&path)
            && meta.is_file()
        {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
                let _ = matterbox_vault::fsutil::zero_fill(&mut f);
            }
            if std::fs::remove_file(&path).is_ok() {
                wiped += 1;
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
    wiped
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_unfinished_file_leaves_nothing_and_a_finished_one_appears_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("letter.txt");
        let mut p = Partial::create(&dest, None).unwrap();
        p.file().write_all(b"Zanzibar Quill's terms").unwrap();
        // While it is written nothing is visible (an unnamed file on Linux).
        #[cfg(target_os = "linux")]
        assert!(listing(dir.path()).is_empty());
        drop(p);
        assert!(listing(dir.path()).is_empty());

        let mut p = Partial::create(&dest, None).unwrap();
        p.file().write_all(b"Zanzibar Quill's terms").unwrap();
        p.finish(&dest).unwrap();
        assert_eq!(listing(dir.path()), ["letter.txt"]);
        assert_eq!(std::fs::read(&dest).unwrap(), b"Zanzibar Quill's terms");
    }

    #[test]
    fn finishing_never_replaces_a_file_nor_removes_one_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("letter.txt");
        std::fs::write(&dest, b"the user's own file").unwrap();
        for unnamed in [true, false] {
            let mut p = Partial::create_as(&dest, None, unnamed).unwrap();
            p.file().write_all(b"decrypted").unwrap();
            assert!(p.finish(&dest).is_err());
            assert_eq!(std::fs::read(&dest).unwrap(), b"the user's own file");
            assert_eq!(listing(dir.path()), ["letter.txt"]);
        }
        // A file named like an earlier partial one is not ours: untouched.
        let lookalike = dir.path().join(".other.txt.matterbox-partial");
        std::fs::write(&lookalike, b"someone else's").unwrap();
        let mut p = Partial::create_as(&dir.path().join("other.txt"), None, false).unwrap();
        p.file().write_all(b"decrypted").unwrap();
        drop(p);
        assert_eq!(std::fs::read(&lookalike).unwrap(), b"someone else's");
    }

    #[test]
    fn a_crash_in_the_fallback_is_wiped_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        let dest = dir.path().join("out").join("letter.txt");
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let mut p = Partial::create_as(&dest, Some(&records), false).unwrap();
        p.file().write_all(b"Zanzibar Quill's terms").unwrap();
        p.file().sync_all().unwrap();
        // A crash: nothing runs after this point.
        std::mem::forget(p);
        let left = listing(&dir.path().join("out"));
        assert_eq!(left.len(), 1);
        assert!(left[0].ends_with(".matterbox-partial"));
        assert_eq!(wipe_interrupted(&records), 1);
        assert!(listing(&dir.path().join("out")).is_empty());
        assert!(listing(&records).is_empty());
        // A record pointing at a file that is not a partial one is ignored.
        std::fs::write(dir.path().join("keep.txt"), b"keep").unwrap();
        std::fs::write(
            records.join("x"),
            dir.path().join("keep.txt").to_string_lossy().as_bytes(),
        )
        .unwrap();
        assert_eq!(wipe_interrupted(&records), 0);
        assert!(dir.path().join("keep.txt").exists());
    }
}
