//! The inbox folder on disk, and moving files out of it safely.
//!
//! ```text
//! <inbox>/                       0700; staff drop files here
//! <inbox>/<matter number>/       files for that matter
//! <inbox>/.matterbox/claimed/<claim id>/<name>
//!                                a file taken for ingest: the journal of
//!                                an ingest in progress (see below)
//! <inbox>/quarantine/<name>      what cannot be ingested, with
//! <inbox>/quarantine/<name>.reason.txt
//! ```
//!
//! Taking a file is a rename into its own claim folder: staff can no longer
//! change it, and a crash leaves it there to be resumed. Symbolic links,
//! hard links, FIFOs and devices are never opened: they are moved (the
//! link itself, never its target) to the quarantine.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use matterbox_vault::fsutil;
use serde::Serialize;
use ts_rs::TS;

pub const STATE_DIR: &str = ".matterbox";
pub const CLAIMED_DIR: &str = "claimed";
pub const QUARANTINE_DIR: &str = "quarantine";
pub const REASON_SUFFIX: &str = ".reason.txt";

/// What a scan found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A regular file that may be ingested once it settles.
    File {
        path: PathBuf,
        subfolder: Option<String>,
        name: String,
        size: u64,
        modified: Option<SystemTime>,
    },
    /// Something that must not be ingested; it goes to the quarantine.
    Refused { path: PathBuf, reason: String },
}

/// A file taken out of the inbox for ingest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub claim_id: String,
    /// The claimed file, inside its claim folder.
    pub path: PathBuf,
    pub name: String,
    pub subfolder: Option<String>,
}

/// A quarantined file as the app lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Quarantined {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The inbox folder of one vault.
#[derive(Clone, Debug)]
pub struct Folder {
    pub root: PathBuf,
}

impl Folder {
    /// Opens (creating if needed, 0700) the inbox at `root`. A symbolic
    /// link as the inbox itself is refused.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, FolderError> {
        let root = root.into();
        match fs::symlink_metadata(&root) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(FolderError::Refused(format!(
                    "The inbox {} is a symbolic link; choose the real folder.",
                    root.display()
                )));
            }
            Ok(m) if !m.is_dir() => {
                return Err(FolderError::Refused(format!(
                    "The inbox {} is not a folder.",
                    root.display()
                )));
            }
            // Staff drop client files here: readable by this user alone.
            Ok(m) => make_private(&root, &m)?,
            Err(_) => create_private_dir(&root)?,
        }
        let folder = Self { root };
        for dir in [
            folder.state_dir(),
            folder.claimed_dir(),
            folder.quarantine_dir(),
        ] {
            create_private_dir(&dir)?;
        }
        Ok(folder)
    }

    fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    fn claimed_dir(&self) -> PathBuf {
        self.state_dir().join(CLAIMED_DIR)
    }

    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join(QUARANTINE_DIR)
    }

    /// Takes the inbox for this process: only one watcher ingests from a
    /// folder at a time (the app and `matterbox inbox watch` on another
    /// machine's share would otherwise race over the same claims). The
    /// lock holds while the returned file stays open.
    pub fn lock(&self) -> Result<fs::File, FolderError> {
        let path = self.state_dir().join(".watcher.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(FolderError::Refused(format!(
                "Another Matterbox is already taking files from {}; only one may at a time.",
                self.root.display()
            ))),
            Err(fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }

    /// Creates a subfolder for a matter number (staff drop files there).
    pub fn create_subfolder(&self, number: &str) -> Result<PathBuf, FolderError> {
        if number.is_empty()
            || number.starts_with('.')
            || !number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(FolderError::Refused(format!(
                "{number} cannot be a folder name."
            )));
        }
        // The quarantine is never scanned: files dropped there would wait
        // forever. Compared ignoring case, as Windows and macOS do.
        if number.eq_ignore_ascii_case(QUARANTINE_DIR) {
            return Err(FolderError::Refused(format!(
                "{number} is the inbox's quarantine folder; it cannot be a matter's folder."
            )));
        }
        let dir = self.root.join(number);
        create_private_dir(&dir)?;
        Ok(dir)
    }

    /// Everything in the inbox and its first level of subfolders, without
    /// following any link. Junk names are skipped; the state and
    /// quarantine folders are not looked into.
    pub fn scan(&self) -> Result<Vec<Found>, FolderError> {
        let mut out = Vec::new();
        self.scan_dir(&self.root, None, &mut out)?;
        Ok(out)
    }

    fn scan_dir(
        &self,
        dir: &Path,
        subfolder: Option<&str>,
        out: &mut Vec<Found>,
    ) -> Result<(), FolderError> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            // A subfolder removed while scanning: nothing to do.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && subfolder.is_some() => {
                return Ok(());
            }
            Err(e) => return Err(io(dir)(e)),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if subfolder.is_none() && (name == STATE_DIR || name == QUARANTINE_DIR) {
                continue;
            }
            if crate::names::is_junk(&name) {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue; // gone since the listing
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                out.push(Found::Refused {
                    path,
                    reason: "It is a symbolic link; links are never followed.".into(),
                });
            } else if kind.is_dir() {
                if subfolder.is_none() {
                    self.scan_dir(&path, Some(&name), out)?;
                }
                // Deeper folders are left alone: only matter folders count.
            } else if !kind.is_file() {
                out.push(Found::Refused {
                    path,
                    reason: "It is not a regular file (a pipe, socket or device).".into(),
                });
            } else if links(&meta) > 1 {
                out.push(Found::Refused {
                    path,
                    reason: "It has other hard links; it could be another file's content.".into(),
                });
            } else {
                out.push(Found::File {
                    path,
                    subfolder: subfolder.map(str::to_string),
                    name,
                    size: meta.len(),
                    modified: meta.modified().ok(),
                });
            }
        }
        Ok(())
    }

    /// Whether a settled file is complete: readable, and a PDF ends with
    /// `%%EOF`. `Ok(false)` means "not yet", to be retried.
    pub fn looks_complete(path: &Path) -> Result<bool, FolderError> {
        let mut file = open_no_follow(path)?;
        let len = file.metadata().map_err(io(path))?.len();
        let mut head = [0u8; 5];
        let n = file.read(&mut head).map_err(io(path))?;
        let is_pdf = &head[..n] == b"%PDF-"
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
        if !is_pdf {
            return Ok(true);
        }
        let tail_len = len.min(1024);
        file.seek(SeekFrom::Start(len - tail_len))
            .map_err(io(path))?;
        let mut tail = Vec::with_capacity(tail_len as usize);
        file.take(tail_len)
            .read_to_end(&mut tail)
            .map_err(io(path))?;
        Ok(tail.windows(5).any(|w| w == b"%%EOF"))
    }

    /// Takes `path` (a file of the inbox) into its own claim folder.
    pub fn claim(&self, path: &Path, subfolder: Option<&str>) -> Result<Claimed, FolderError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| FolderError::Refused("no file name".into()))?;
        let claim_id = uuid::Uuid::new_v4().simple().to_string();
        let dir = self.claimed_dir().join(&claim_id);
        create_private_dir(&dir)?;
        if let Some(sub) = subfolder {
            // Remember the subfolder for routing after a crash.
            fs::write(dir.join(".subfolder"), sub).map_err(io(&dir))?;
        }
        let target = dir.join(&name);
        if let Err(e) = fs::rename(path, &target) {
            let _ = fs::remove_dir_all(&dir);
            return Err(io(path)(e));
        }
        sync_dir(&self.claimed_dir());
        sync_dir(path.parent().unwrap_or(&self.root));
        Ok(Claimed {
            claim_id,
            path: target,
            name,
            subfolder: subfolder.map(str::to_string),
        })
    }

    /// Claims left by an earlier run (a crash, or the vault locked
    /// mid-ingest), to be resumed.
    pub fn claims(&self) -> Result<Vec<Claimed>, FolderError> {
        let mut out = Vec::new();
        let dir = self.claimed_dir();
        for entry in fs::read_dir(&dir).map_err(io(&dir))?.flatten() {
            let claim_dir = entry.path();
            let claim_id = entry.file_name().to_string_lossy().into_owned();
            let subfolder = fs::read_to_string(claim_dir.join(".subfolder")).ok();
            let file = fs::read_dir(&claim_dir)
                .map_err(io(&claim_dir))?
                .flatten()
                .find(|e| e.file_name() != ".subfolder");
            match file {
                Some(f) => out.push(Claimed {
                    claim_id,
                    path: f.path(),
                    name: f.file_name().to_string_lossy().into_owned(),
                    subfolder,
                }),
                // The original was already removed: only the folder is left.
                None => {
                    let _ = fs::remove_dir_all(&claim_dir);
                }
            }
        }
        out.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
        Ok(out)
    }

    /// Overwrites a claimed original with zeros (best effort: a copy-on-write
    /// or flash disk may keep old blocks), then removes it and its claim
    /// folder. Called only once its encrypted copy is committed.
    pub fn destroy_claimed(&self, claimed: &Claimed) -> Result<(), FolderError> {
        if let Ok(mut file) = open_no_follow_write(&claimed.path)
            && file.metadata().is_ok_and(|m| m.is_file() && links(&m) == 1)
        {
            let _ = fsutil::zero_fill(&mut file);
        }
        let dir = claimed.path.parent().unwrap_or(&self.root).to_path_buf();
        match fs::remove_file(&claimed.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&claimed.path)(e)),
        }
        fs::remove_dir_all(&dir).map_err(io(&dir))?;
        sync_dir(&self.claimed_dir());
        Ok(())
    }

    /// Moves `path` (in the inbox, or a claimed file) to the quarantine with
    /// a reason file beside it. A name taken there gets a number.
    pub fn quarantine(&self, path: &Path, reason: &str) -> Result<PathBuf, FolderError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unnamed".into());
        let q = self.quarantine_dir();
        let mut target = q.join(&name);
        let mut n = 1;
        while fs::symlink_metadata(&target).is_ok() {
            n += 1;
            target = q.join(format!("{n} {name}"));
        }
        fs::rename(path, &target).map_err(io(path))?;
        let note = target.with_file_name(format!(
            "{}{REASON_SUFFIX}",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        fs::write(&note, format!("{reason}\n")).map_err(io(&note))?;
        // A claim folder left empty goes.
        if let Some(parent) = path.parent()
            && parent.starts_with(self.claimed_dir())
        {
            let _ = fs::remove_dir_all(parent);
        }
        Ok(target)
    }

    pub fn quarantined(&self) -> Result<Vec<Quarantined>, FolderError> {
        let q = self.quarantine_dir();
        let mut out = Vec::new();
        for entry in fs::read_dir(&q).map_err(io(&q))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(REASON_SUFFIX) {
                continue;
            }
            let reason = fs::read_to_string(q.join(format!("{name}{REASON_SUFFIX}")))
                .map(|r| r.trim().to_string())
                .unwrap_or_default();
            out.push(Quarantined { name, reason });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Puts a quarantined file back into the inbox for another try.
    pub fn retry(&self, name: &str) -> Result<(), FolderError> {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') || name.is_empty() {
            return Err(FolderError::Refused(format!(
                "{name} is not a quarantined file."
            )));
        }
        let from = self.quarantine_dir().join(name);
        let meta = fs::symlink_metadata(&from).map_err(io(&from))?;
        if !meta.is_file() {
            return Err(FolderError::Refused(format!(
                "{name} is not a regular file; remove it by hand."
            )));
        }
        let to = self.root.join(name);
        if fs::symlink_metadata(&to).is_ok() {
            return Err(FolderError::Refused(format!(
                "The inbox already holds a file named {name}."
            )));
        }
        fs::rename(&from, &to).map_err(io(&from))?;
        let _ = fs::remove_file(self.quarantine_dir().join(format!("{name}{REASON_SUFFIX}")));
        Ok(())
    }
}

/// Opens a file for reading without following a symbolic link in its last
/// component; refuses anything but a regular file.
pub fn open_no_follow(path: &Path) -> Result<fs::File, FolderError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io(path))?;
    let meta = file.metadata().map_err(io(path))?;
    if !meta.is_file() {
        return Err(FolderError::Refused(format!(
            "{} is not a regular file.",
            path.display()
        )));
    }
    Ok(file)
}

fn open_no_follow_write(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(unix)]
fn links(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_meta: &fs::Metadata) -> u64 {
    1
}

#[cfg(unix)]
fn make_private(dir: &Path, meta: &fs::Metadata) -> Result<(), FolderError> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
            FolderError::Refused(format!(
                "The inbox {} is open to other users and cannot be made private ({e}); choose a folder of your own.",
                dir.display()
            ))
        })?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_private(_dir: &Path, _meta: &fs::Metadata) -> Result<(), FolderError> {
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), FolderError> {
    fsutil::create_private_dir(dir).map_err(|e| match e {
        matterbox_vault::VaultError::Io { path, source } => FolderError::Io { path, source },
        other => FolderError::Refused(other.to_string()),
    })
}

/// Best effort: a rename is still made, only its durability is at stake.
fn sync_dir(dir: &Path) {
    let _ = fsutil::sync_dir(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox() -> (tempfile::TempDir, Folder) {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder::open(dir.path().join("inbox")).unwrap();
        (dir, folder)
    }

    fn files(found: &[Found]) -> Vec<(Option<String>, String)> {
        let mut v: Vec<_> = found
            .iter()
            .filter_map(|f| match f {
                Found::File {
                    subfolder, name, ..
                } => Some((subfolder.clone(), name.clone())),
                Found::Refused { .. } => None,
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_folder_is_private_and_scans_one_level_of_subfolders() {
        let (_d, f) = inbox();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&f.root).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        fs::write(f.root.join("scan.pdf"), b"x").unwrap();
        fs::write(f.root.join("scan.pdf.part"), b"x").unwrap();
        fs::write(f.root.join(".DS_Store"), b"x").unwrap();
        let sub = f.create_subfolder("2026-0042").unwrap();
        fs::write(sub.join("letter.txt"), b"x").unwrap();
        fs::create_dir(sub.join("deeper")).unwrap();
        fs::write(sub.join("deeper").join("ignored.txt"), b"x").unwrap();
        assert_eq!(
            files(&f.scan().unwrap()),
            vec![
                (None, "scan.pdf".into()),
                (Some("2026-0042".into()), "letter.txt".into())
            ]
        );
        assert!(f.create_subfolder("../escape").is_err());
        assert!(f.create_subfolder(".matterbox").is_err());
        for q in ["quarantine", "Quarantine", "QUARANTINE"] {
            assert!(
                matches!(f.create_subfolder(q), Err(FolderError::Refused(m)) if m.contains("quarantine folder")),
                "{q}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_pipes_and_hard_links_are_refused_and_quarantined_without_touching_targets() {
        let (d, f) = inbox();
        let secret = d.path().join("outside-secret.txt");
        fs::write(&secret, b"not for the inbox").unwrap();
        std::os::unix::fs::symlink(&secret, f.root.join("link.pdf")).unwrap();
        std::os::unix::fs::symlink(d.path(), f.root.join("linked-folder")).unwrap();
        fs::hard_link(&secret, f.root.join("hard.pdf")).unwrap();
        // mkfifo through libc would need unsafe code; the tool does the same.
        let fifo = f.root.join("pipe.pdf");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let found = f.scan().unwrap();
        assert!(files(&found).is_empty(), "{found:?}");
        let refused: Vec<_> = found
            .iter()
            .filter_map(|x| match x {
                Found::Refused { path, reason } => Some((path.clone(), reason.clone())),
                Found::File { .. } => None,
            })
            .collect();
        assert_eq!(refused.len(), 4, "{refused:?}");
        for (path, reason) in refused {
            f.quarantine(&path, &reason).unwrap();
        }
        assert_eq!(fs::read(&secret).unwrap(), b"not for the inbox");
        let q = f.quarantined().unwrap();
        assert_eq!(q.len(), 4);
        assert!(
            q.iter()
                .any(|x| x.name == "link.pdf" && x.reason.contains("symbolic link"))
        );
        assert!(
            q.iter()
                .any(|x| x.name == "hard.pdf" && x.reason.contains("hard links"))
        );
        assert!(
            q.iter()
                .any(|x| x.name == "pipe.pdf" && x.reason.contains("not a regular file"))
        );
        // The quarantine holds the link itself, never the target's bytes.
        assert!(
            fs::symlink_metadata(f.quarantine_dir().join("link.pdf"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(f.retry("link.pdf").is_err(), "a link is not put back");
        assert!(f.retry("../outside-secret.txt").is_err());
    }

    #[test]
    fn a_claim_survives_to_be_resumed_and_destroying_it_wipes_the_original() {
        let (_d, f) = inbox();
        let sub = f.create_subfolder("2026-0007").unwrap();
        let original = sub.join("deed.pdf");
        fs::write(&original, b"%PDF-1.4 fictional deed %%EOF").unwrap();
        let claimed = f.claim(&original, Some("2026-0007")).unwrap();
        assert!(!original.exists());
        assert!(
            files(&f.scan().unwrap()).is_empty(),
            "a claimed file is no longer in the inbox"
        );
        // A restart finds the claim, with its subfolder.
        let resumed = f.claims().unwrap();
        assert_eq!(resumed, vec![claimed.clone()]);
        #[cfg(unix)]
        let keeper = {
            // A reader that still has the file open sees zeros after the wipe.
            fs::File::open(&claimed.path).unwrap()
        };
        f.destroy_claimed(&claimed).unwrap();
        assert!(f.claims().unwrap().is_empty());
        #[cfg(unix)]
        {
            let mut bytes = Vec::new();
            let mut keeper = keeper;
            keeper.read_to_end(&mut bytes).unwrap();
            assert!(bytes.iter().all(|b| *b == 0) && !bytes.is_empty());
        }
    }

    #[test]
    fn one_watcher_at_a_time() {
        let (_d, f) = inbox();
        let held = f.lock().unwrap();
        let again = Folder::open(&f.root).unwrap();
        assert!(
            matches!(again.lock(), Err(FolderError::Refused(m)) if m.contains("Another Matterbox"))
        );
        drop(held);
        again.lock().unwrap();
    }

    #[test]
    fn a_pdf_without_its_end_marker_is_not_complete_yet() {
        let (_d, f) = inbox();
        let p = f.root.join("scan.pdf");
        fs::write(&p, b"%PDF-1.7\n1 0 obj\n").unwrap();
        assert!(!Folder::looks_complete(&p).unwrap());
        fs::write(&p, b"%PDF-1.7\n1 0 obj\nendobj\n%%EOF\n").unwrap();
        assert!(Folder::looks_complete(&p).unwrap());
        let t = f.root.join("notes.txt");
        fs::write(&t, b"anything").unwrap();
        assert!(Folder::looks_complete(&t).unwrap());
    }

    #[test]
    fn quarantine_keeps_both_files_of_the_same_name_and_retry_puts_one_back() {
        let (_d, f) = inbox();
        for _ in 0..2 {
            let p = f.root.join("empty.pdf");
            fs::write(&p, b"").unwrap();
            f.quarantine(&p, "The file is empty.").unwrap();
        }
        let q = f.quarantined().unwrap();
        assert_eq!(
            q.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            vec!["2 empty.pdf", "empty.pdf"]
        );
        f.retry("empty.pdf").unwrap();
        assert!(f.root.join("empty.pdf").exists());
        assert_eq!(f.quarantined().unwrap().len(), 1);
    }
}
