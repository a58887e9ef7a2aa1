//! A Tantivy `Directory` whose files are only ever on disk encrypted:
//! AES-256-GCM in chunks of [`CHUNK`] bytes, so that Tantivy's random reads
//! (a term dictionary block, a posting list) decrypt only the chunks they
//! touch, never the whole file, and nothing is written in clear — not even
//! a temporary file.
//!
//! A file is `MAGIC (8) | salt (8) | chunk 0 | chunk 1 | …`, each chunk its
//! ciphertext and 16-byte tag. Chunk `i` is sealed with the nonce
//! `salt || i` (big-endian u32) and the associated data
//! `file name || i || last`, so that reordered, swapped (between files),
//! truncated or extended chunks all fail to open. Tantivy's files are
//! write-once, and each file draws a fresh random salt: **a nonce is never
//! reused under the key** (64 random bits per file, and a key per index
//! generation, so the birthday bound is far away).
//!
//! Locks are `flock`s on a file of their own: a crashed process leaves no
//! lock behind (Tantivy's default, a file that exists, would stay locked).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, TerminatingWrite,
    WatchCallback, WatchHandle, WritePtr,
};

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 16 * 1024;
const TAG: usize = 16;
const MAGIC: &[u8; 8] = b"MBTIX\x01\0\0";
const HEADER: usize = 16;
/// Decrypted chunks kept per open file (1 MiB at 16 KiB).
const CACHED_CHUNKS: usize = 64;

#[derive(Clone)]
pub struct CryptDir {
    root: PathBuf,
    cipher: Arc<Aes256Gcm>,
}

impl std::fmt::Debug for CryptDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CryptDir({:?}, key [redacted])", self.root)
    }
}

impl CryptDir {
    pub fn new(root: &Path, key: &[u8; 32]) -> io::Result<Self> {
        // Owner only, as the vault's other folders (the files are sealed
        // anyway; their names and sizes are nobody else's business).
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)?;
        Ok(Self {
            root: root.to_path_buf(),
            cipher: Arc::new(Aes256Gcm::new(key.into())),
        })
    }

    fn full(&self, path: &Path) -> PathBuf {
        self.root.join(path)
    }

    /// The bytes of `plain` sealed as the file `name`.
    fn seal_all(&self, name: &str, plain: &[u8]) -> io::Result<Vec<u8>> {
        let mut w = Sealer::new(self.cipher.clone(), name, Vec::new())?;
        w.write_all(plain)?;
        w.finish()
    }
}

fn salt() -> io::Result<[u8; 8]> {
    let mut s = [0u8; 8];
    getrandom::fill(&mut s).map_err(|_| io::Error::other("no randomness for a salt"))?;
    Ok(s)
}

fn nonce(salt: &[u8; 8], index: u32) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(salt);
    n[8..].copy_from_slice(&index.to_be_bytes());
    n
}

fn aad(name: &str, index: u32, last: bool) -> Vec<u8> {
    let mut a = name.as_bytes().to_vec();
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

/// Seals what is written into chunks, writing each to `out` when full; the
/// last one (perhaps empty) on `finish`.
struct Sealer<W: Write> {
    cipher: Arc<Aes256Gcm>,
    name: String,
    salt: [u8; 8],
    index: u32,
    buffer: Vec<u8>,
    out: Option<W>,
    started: bool,
}

impl<W: Write> Sealer<W> {
    fn new(cipher: Arc<Aes256Gcm>, name: &str, out: W) -> io::Result<Self> {
        Ok(Self {
            cipher,
            name: name.to_string(),
            salt: salt()?,
            index: 0,
            buffer: Vec::with_capacity(CHUNK),
            out: Some(out),
            started: false,
        })
    }

    fn emit(&mut self, plain: &[u8], last: bool) -> io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("file already finished"))?;
        if !self.started {
            out.write_all(MAGIC)?;
            out.write_all(&self.salt)?;
            self.started = true;
        }
        let sealed = self
            .cipher
            .encrypt(
                &nonce(&self.salt, self.index).into(),
                Payload {
                    msg: plain,
                    aad: &aad(&self.name, self.index, last),
                },
            )
            .map_err(|_| io::Error::other("encryption failed"))?;
        out.write_all(&sealed)?;
        self.index = self
            .index
            .checked_add(1)
            .ok_or_else(|| io::Error::other("file too large"))?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<W> {
        let rest = std::mem::take(&mut self.buffer);
        self.emit(&rest, true)?;
        let mut out = self
            .out
            .take()
            .ok_or_else(|| io::Error::other("file already finished"))?;
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        while self.buffer.len() > CHUNK {
            let chunk: Vec<u8> = self.buffer.drain(..CHUNK).collect();
            self.emit(&chunk, false)?;
        }
        Ok(data.len())
    }

    /// Writes the full chunks; the last stays buffered until the file is
    /// terminated (Tantivy reads a file only after that).
    fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

/// A file being written: sealed chunks to the file, synced at the end.
struct CryptWriter(Sealer<BufWriter<File>>);

impl Write for CryptWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.write(data)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl TerminatingWrite for CryptWriter {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        let out = self.0.finish()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

/// An open file: decrypts the chunks a read touches, keeping a few.
struct CryptHandle {
    file: File,
    cipher: Arc<Aes256Gcm>,
    name: String,
    salt: [u8; 8],
    chunks: u32,
    len: usize,
    cache: Mutex<HashMap<u32, Arc<Vec<u8>>>>,
}

impl std::fmt::Debug for CryptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CryptHandle({}, {} bytes)", self.name, self.len)
    }
}

impl CryptHandle {
    fn open(file: File, cipher: Arc<Aes256Gcm>, name: &str) -> io::Result<Self> {
        let size = file.metadata()?.len() as usize;
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "not an encrypted index file");
        if size < HEADER + TAG {
            return Err(bad());
        }
        let mut header = [0u8; HEADER];
        file.read_exact_at(&mut header, 0)?;
        if &header[..8] != MAGIC {
            return Err(bad());
        }
        let mut salt = [0u8; 8];
        salt.copy_from_slice(&header[8..]);
        let body = size - HEADER;
        let chunks = body.div_ceil(CHUNK + TAG);
        let len = body - chunks * TAG;
        Ok(Self {
            file,
            cipher,
            name: name.to_string(),
            salt,
            chunks: u32::try_from(chunks).map_err(|_| bad())?,
            len,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn chunk(&self, index: u32) -> io::Result<Arc<Vec<u8>>> {
        let poisoned = || io::Error::other("a reader of this file panicked");
        if let Some(c) = self.cache.lock().map_err(|_| poisoned())?.get(&index) {
            return Ok(c.clone());
        }
        let last = index + 1 == self.chunks;
        let start = index as usize * CHUNK;
        let plain_len = if last { self.len - start } else { CHUNK };
        let mut sealed = vec![0u8; plain_len + TAG];
        self.file.read_exact_at(
            &mut sealed,
            (HEADER + index as usize * (CHUNK + TAG)) as u64,
        )?;
        let plain = self
            .cipher
            .decrypt(
                &nonce(&self.salt, index).into(),
                Payload {
                    msg: &sealed,
                    aad: &aad(&self.name, index, last),
                },
            )
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "decryption failed"))?;
        let plain = Arc::new(plain);
        let mut cache = self.cache.lock().map_err(|_| poisoned())?;
        if cache.len() >= CACHED_CHUNKS {
            cache.clear();
        }
        cache.insert(index, plain.clone());
        Ok(plain)
    }
}

impl HasLen for CryptHandle {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for CryptHandle {
    fn read_bytes(&self, range: std::ops::Range<usize>) -> io::Result<OwnedBytes> {
        if range.start >= range.end {
            return Ok(OwnedBytes::empty());
        }
        if range.end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end",
            ));
        }
        let first = (range.start / CHUNK) as u32;
        let last = ((range.end - 1) / CHUNK) as u32;
        if first == last {
            let c = self.chunk(first)?;
            let base = first as usize * CHUNK;
            return Ok(OwnedBytes::new(
                c[range.start - base..range.end - base].to_vec(),
            ));
        }
        let mut out = Vec::with_capacity(range.end - range.start);
        for index in first..=last {
            let c = self.chunk(index)?;
            let base = index as usize * CHUNK;
            let from = range.start.max(base) - base;
            let to = range.end.min(base + c.len()) - base;
            out.extend_from_slice(&c[from..to]);
        }
        Ok(OwnedBytes::new(out))
    }
}

fn name_of(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl Directory for CryptDir {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let full = self.full(path);
        let file = File::open(&full).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                OpenReadError::FileDoesNotExist(path.to_path_buf())
            } else {
                OpenReadError::wrap_io_error(e, path.to_path_buf())
            }
        })?;
        let handle = CryptHandle::open(file, self.cipher.clone(), &name_of(path))
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(Arc::new(handle))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        fs::remove_file(self.full(path)).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                DeleteError::FileDoesNotExist(path.to_path_buf())
            } else {
                DeleteError::IoError {
                    io_error: Arc::new(e),
                    filepath: path.to_path_buf(),
                }
            }
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.full(path).exists())
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.full(path))
            .map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    OpenWriteError::FileAlreadyExists(path.to_path_buf())
                } else {
                    OpenWriteError::wrap_io_error(e, path.to_path_buf())
                }
            })?;
        let sealer = Sealer::new(self.cipher.clone(), &name_of(path), BufWriter::new(file))
            .map_err(|e| OpenWriteError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(BufWriter::new(Box::new(CryptWriter(sealer))))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let handle = self.get_file_handle(path)?;
        let len = handle.len();
        let bytes = handle
            .read_bytes(0..len)
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(bytes.as_slice().to_vec())
    }

    /// Sealed in memory, written beside, synced, then renamed over: a crash
    /// leaves the old file or the new one, never a mix.
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let sealed = self.seal_all(&name_of(path), data)?;
        let full = self.full(path);
        let temp = full.with_extension("sealing");
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)?;
            f.write_all(&sealed)?;
            f.sync_all()?;
        }
        fs::rename(&temp, &full)?;
        self.sync_directory()
    }

    fn sync_directory(&self) -> io::Result<()> {
        File::open(&self.root)?.sync_all()
    }

    /// An `flock` on the lock's own file, held while the returned lock
    /// lives; the file itself holds nothing and stays.
    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        let io_error = |e: io::Error| LockError::IoError(Arc::new(e));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.full(&lock.filepath))
            .map_err(io_error)?;
        if lock.is_blocking {
            file.lock().map_err(io_error)?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(LockError::LockBusy),
                Err(fs::TryLockError::Error(e)) => return Err(io_error(e)),
            }
        }
        Ok(DirectoryLock::from(Box::new(file)))
    }

    fn watch(&self, _: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

/// Removes an index folder for good: every file overwritten with zeros and
/// synced, then unlinked, then the folder. Its key is gone first (the
/// caller's), so what an SSD keeps of the old bytes is ciphertext nobody
/// can open; the overwrite is for the disks where it does reach the bytes.
pub fn wipe(folder: &Path) -> io::Result<()> {
    if fs::symlink_metadata(folder).is_ok_and(|m| m.is_file()) {
        return wipe_file(folder);
    }
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let meta = fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            wipe(&path)?;
        } else if meta.is_file() {
            wipe_file(&path)?;
        } else {
            // A link or a special file holds no index bytes of its own.
            fs::remove_file(&path)?;
        }
    }
    fs::remove_dir(folder)?;
    if let Some(parent) = folder.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Overwrites a file with zeros, syncs it, and unlinks it.
fn wipe_file(path: &Path) -> io::Result<()> {
    let len = fs::metadata(path)?.len();
    let mut file = OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    drop(file);
    fs::remove_file(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, CryptDir) {
        let t = tempfile::tempdir().unwrap();
        let d = CryptDir::new(t.path(), &[7u8; 32]).unwrap();
        (t, d)
    }

    #[test]
    fn round_trips_every_size_and_random_ranges() {
        let (_t, d) = dir();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 77] {
            let name = format!("f{size}");
            let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
            let mut w = d.open_write(Path::new(&name)).unwrap();
            w.write_all(&data).unwrap();
            w.terminate().unwrap();
            let h = d.get_file_handle(Path::new(&name)).unwrap();
            assert_eq!(h.len(), size);
            assert_eq!(h.read_bytes(0..size).unwrap().as_slice(), &data[..]);
            for (a, b) in [(0, 1), (CHUNK - 3, CHUNK + 3), (size / 3, size / 2)] {
                if b <= size && a < b {
                    assert_eq!(h.read_bytes(a..b).unwrap().as_slice(), &data[a..b]);
                }
            }
            let on_disk = fs::read(d.full(Path::new(&name))).unwrap();
            if size > 64 {
                assert!(
                    !on_disk.windows(64).any(|w| w == &data[..64]),
                    "no plaintext on disk"
                );
            }
        }
    }

    #[test]
    fn the_folder_and_its_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("generation");
        let d = CryptDir::new(&root, &[7u8; 32]).unwrap();
        let mut w = d.open_write(Path::new("segment")).unwrap();
        w.write_all(b"words").unwrap();
        w.terminate().unwrap();
        d.atomic_write(Path::new("meta.json"), b"{}").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("segment")), 0o600);
        assert_eq!(mode(&root.join("meta.json")), 0o600);
    }

    #[test]
    fn tampering_truncation_and_swapping_fail() {
        let (_t, d) = dir();
        let data = vec![5u8; 2 * CHUNK + 10];
        for name in ["a", "b"] {
            let mut w = d.open_write(Path::new(name)).unwrap();
            w.write_all(&data).unwrap();
            w.terminate().unwrap();
        }
        let a = d.full(Path::new("a"));
        // Truncated by its last chunk: chunk 1 now claims to be the last.
        let bytes = fs::read(&a).unwrap();
        fs::write(&a, &bytes[..HEADER + 2 * (CHUNK + TAG)]).unwrap();
        let h = d.get_file_handle(Path::new("a")).unwrap();
        assert!(h.read_bytes(CHUNK..CHUNK + 1).is_err());
        // Another file's bytes under this name.
        fs::copy(d.full(Path::new("b")), &a).unwrap();
        let h = d.get_file_handle(Path::new("a")).unwrap();
        assert!(h.read_bytes(0..1).is_err());
        // One bit flipped.
        let mut bytes = fs::read(d.full(Path::new("b"))).unwrap();
        bytes[HEADER + 3] ^= 1;
        fs::write(d.full(Path::new("b")), &bytes).unwrap();
        let h = d.get_file_handle(Path::new("b")).unwrap();
        assert!(h.read_bytes(0..1).is_err());
    }
}
