//! The blob area of a vault: one file per document version, named by a
//! random id, written so that a crash leaves no blob or a complete one.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::{DocumentKey, FormatError, Summary, decrypt, encrypt};

/// Creates `dir` (and missing parents) readable by the user alone.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// How much of a blob is written before it is handed to the disk.
const WRITE_BEHIND: u64 = 8 << 20;

/// A blob file being written, whose bytes start going to disk while the
/// rest is still being sealed: every [`WRITE_BEHIND`] bytes, what was
/// written since the last time is handed to the kernel's writeback
/// (`posix_fadvise(DONTNEED)` starts it without waiting, and lets the
/// pages go from the cache once they are clean: a new blob is not read
/// back soon). The final fsync then waits only for the last few MiB
/// instead of the whole file, so sealing and the disk work in parallel,
/// dirty memory stays small, and a lock is not kept waiting by a long
/// fsync. On file systems without writeback (tmpfs) the advice does nothing.
struct WriteBehind {
    file: File,
    written: u64,
    handed: u64,
}

impl WriteBehind {
    fn hand_to_disk(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(len) = std::num::NonZeroU64::new(self.written - self.handed) {
            // Advice only: the fsync that follows is what makes the blob
            // durable, so a refusal changes nothing.
            let _ = rustix::fs::fadvise(
                &self.file,
                self.handed,
                Some(len),
                rustix::fs::Advice::DontNeed,
            );
        }
        self.handed = self.written;
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.handed >= WRITE_BEHIND {
            self.hand_to_disk();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Where temporary files go while a blob is written (inside the vault, so
/// the final rename never crosses file systems).
pub const TMP_DIR: &str = "tmp";

/// What is in a blob folder: blob ids and temporary files, each with its age.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub blobs: Vec<(String, std::time::Duration)>,
    pub temporary: Vec<(PathBuf, std::time::Duration)>,
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    dir: PathBuf,
}

fn random_id() -> Result<String, FormatError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| FormatError::Random)?;
    Ok(hex::encode(b))
}

fn sync_dir(dir: &Path) -> Result<(), FormatError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates a new file readable by the user alone; fails if it exists.
pub fn create_new_private(path: &Path) -> Result<File, FormatError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    Ok(options.open(path)?)
}

/// Removes a temporary file whose writing failed or was cancelled. The
/// name goes at once, while `file` is still open, so nothing is left in
/// the folder; the space is freed when the last handle closes, which for
/// a large file on disk waits for the writeback in flight (hundreds of
/// milliseconds for a GiB), so that close happens on a thread of its own:
/// a lock that cancelled the import is not kept waiting by it. The
/// ciphertext is useless without its key, which is not in the file.
fn discard(tmp: &Path, file: File) {
    let _ = fs::remove_file(tmp);
    let _ = std::thread::Builder::new()
        .name("discard".into())
        .spawn(move || drop(file));
}

/// A blob id is 32 lowercase hex digits: nothing else names a file here.
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self, id: &str) -> Result<PathBuf, FormatError> {
        if !valid_id(id) {
            return Err(FormatError::NotADocument);
        }
        Ok(self.dir.join(id))
    }

    /// Encrypts `input` into a new blob: temporary file, fsync, rename,
    /// fsync of the folder. Returns the new blob's id and what was sealed.
    pub fn write_new(
        &self,
        input: &mut (dyn Read + Send),
        key: &DocumentKey,
        key_id: [u8; 16],
    ) -> Result<(String, Summary), FormatError> {
        let tmp_dir = self.dir.join(TMP_DIR);
        private_dir(&tmp_dir)?;
        let id = random_id()?;
        let tmp = tmp_dir.join(format!("{id}.part"));
        let file = create_new_private(&tmp)?;
        // The sealer writes whole batches (1 MiB): no buffer needed.
        let mut out = WriteBehind {
            file,
            written: 0,
            handed: 0,
        };
        let sealed = (|| {
            let summary = encrypt(input, &mut out, key, key_id)?;
            out.hand_to_disk();
            out.file.sync_all()?;
            Ok(summary)
        })();
        let summary = match sealed {
            Ok(summary) => summary,
            Err(e) => {
                discard(&tmp, out.file);
                return Err(e);
            }
        };
        drop(out);
        let placed = fs::rename(&tmp, self.dir.join(&id))
            .map_err(FormatError::from)
            .and_then(|()| sync_dir(&self.dir));
        match placed {
            Ok(()) => Ok((id, summary)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Decrypts blob `id` into `output`, authenticating every chunk.
    pub fn read(
        &self,
        id: &str,
        key: &DocumentKey,
        output: &mut dyn Write,
    ) -> Result<Summary, FormatError> {
        let file = File::open(self.path(id)?)?;
        decrypt(&mut BufReader::new(file), output, key)
    }

    /// Blob ids present in the folder, and temporary files, with their age.
    pub fn inventory(&self) -> Result<Inventory, FormatError> {
        let age = |p: &Path| {
            fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .unwrap_or_default()
        };
        let mut blobs = Vec::new();
        if self.dir.exists() {
            for entry in fs::read_dir(&self.dir)?.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.path().is_file() && valid_id(&name) {
                    blobs.push((name, age(&entry.path())));
                }
            }
        }
        let mut temporary = Vec::new();
        let tmp = self.dir.join(TMP_DIR);
        if tmp.exists() {
            for entry in fs::read_dir(&tmp)?.flatten() {
                if entry.path().is_file() {
                    temporary.push((entry.path(), age(&entry.path())));
                }
            }
        }
        blobs.sort();
        Ok(Inventory { blobs, temporary })
    }

    /// Removes a blob (best effort overwrite first is the retention
    /// feature's job; this only unlinks).
    pub fn remove(&self, id: &str) -> Result<(), FormatError> {
        fs::remove_file(self.path(id)?)?;
        sync_dir(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_round_trips_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let store = BlobStore::new(&dir);
        let key = DocumentKey::from_bytes([3; 32]);
        let (id, summary) = store
            .write_new(&mut &b"Engagement letter, fictional"[..], &key, [1; 16])
            .unwrap();
        assert!(valid_id(&id));
        assert_eq!(summary.plaintext_len, 28);
        assert_eq!(fs::read_dir(dir.join(TMP_DIR)).unwrap().count(), 0);
        let mut out = Vec::new();
        store.read(&id, &key, &mut out).unwrap();
        assert_eq!(out, b"Engagement letter, fictional");
        assert!(store.path("../etc/passwd").is_err());
        store.remove(&id).unwrap();
        assert!(!dir.join(&id).exists());
    }

    /// A source that fails (as a cancelled import's does) after 20 MiB,
    /// past several write-behind windows.
    struct FailsLate(usize);

    impl Read for FailsLate {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 >= 20 << 20 {
                return Err(std::io::Error::other("stopped"));
            }
            let n = buf.len().min((20 << 20) - self.0);
            buf[..n].fill(5);
            self.0 += n;
            Ok(n)
        }
    }

    #[test]
    fn a_failed_write_leaves_neither_blob_nor_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let store = BlobStore::new(&dir);
        let key = DocumentKey::from_bytes([3; 32]);
        let err = store.write_new(&mut FailsLate(0), &key, [1; 16]);
        assert!(err.is_err());
        assert_eq!(fs::read_dir(dir.join(TMP_DIR)).unwrap().count(), 0);
        assert!(store.inventory().unwrap().blobs.is_empty());
    }
}
