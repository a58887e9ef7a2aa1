//! The encrypted document format (version 1). See `docs/document-format.md`.
//!
//! ```text
//! header (33 bytes): "MBXDOC" | version u16 BE = 1 | chunk size log2 u8 = 16 | reserved u8 = 0
//!                    | key id (16 random bytes) | nonce prefix (7 random bytes)
//! chunks:            AES-256-GCM( plaintext chunk of 64 KiB, the last one shorter or empty )
//!                    nonce = prefix ‖ chunk counter u32 BE ‖ last-chunk flag u8
//!                    associated data = the header
//! ```
//!
//! This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár),
//! as implemented by `aead-stream`'s `StreamBE32`: truncation, reordering,
//! substitution and appended data all fail authentication, and so does any
//! change to the header. **Each document version has its own random key,
//! used for exactly one stream: a nonce is never reused under a key.**
//!
//! Memory use does not grow with the document: [`decrypt`] holds two
//! sealed chunks (the one being opened and the whole next one, read
//! ahead to learn whether the current one is the last); [`encrypt`] a
//! few batches of 16 chunks (about 6 MiB).

pub mod blobs;

use std::fmt;
use std::io::{self, Read, Write};

use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use matterbox_keymem::Locked;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub const MAGIC: &[u8; 6] = b"MBXDOC";
pub const VERSION: u16 = 1;
pub const CHUNK_LOG2: u8 = 16;
pub const CHUNK_SIZE: usize = 1 << CHUNK_LOG2;
pub const TAG_SIZE: usize = 16;
pub const HEADER_SIZE: usize = 6 + 2 + 1 + 1 + 16 + 7;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Any failure to authenticate: wrong key, damaged, truncated, reordered
    /// or extended data. Deliberately one error.
    #[error("the document is damaged or this is not its key")]
    DecryptionFailed,
    #[error("this is not a Matterbox document")]
    NotADocument,
    #[error("document format version {0} is not supported by this version of Matterbox")]
    UnsupportedVersion(u16),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the system's random number generator failed")]
    Random,
}

/// A document version's key: 256 random bits, in memory locked against
/// swapping where the OS allows it (`matterbox-keymem`). Zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct DocumentKey(Locked<32>);

impl Zeroize for DocumentKey {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

// `Locked` wipes its bytes when dropped.
impl ZeroizeOnDrop for DocumentKey {}

impl fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentKey([redacted])")
    }
}

impl DocumentKey {
    pub fn generate() -> Result<Self, FormatError> {
        let mut k = Locked::zeroed();
        getrandom::fill(k.expose_mut()).map_err(|_| FormatError::Random)?;
        Ok(Self(k))
    }

    /// Moves `bytes` into locked memory (the argument is wiped).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Locked::new(bytes))
    }

    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte key is always the right length for AES-256.
        #[allow(clippy::expect_used)]
        Aes256Gcm::new_from_slice(self.expose()).expect("32-byte key")
    }
}

/// Wraps a document key under the vault's document-wrapping key, bound to
/// the blob it opens: `nonce (12) ‖ AES-256-GCM ciphertext and tag`.
pub fn wrap_key(
    wrapping: &[u8; 32],
    key: &DocumentKey,
    blob_id: &str,
) -> Result<Vec<u8>, FormatError> {
    use aes_gcm::aead::{Aead, Payload};
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|_| FormatError::Random)?;
    // A 32-byte key is always the right length for AES-256.
    #[allow(clippy::expect_used)]
    let cipher = Aes256Gcm::new_from_slice(wrapping).expect("32-byte key");
    let sealed = cipher
        .encrypt(
            &nonce.into(),
            Payload {
                msg: key.expose(),
                aad: blob_id.as_bytes(),
            },
        )
        .map_err(|_| FormatError::DecryptionFailed)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Unwraps what [`wrap_key`] made; any mismatch is `DecryptionFailed`.
pub fn unwrap_key(
    wrapping: &[u8; 32],
    wrapped: &[u8],
    blob_id: &str,
) -> Result<DocumentKey, FormatError> {
    use aes_gcm::aead::{Aead, Payload};
    if wrapped.len() != 12 + 32 + TAG_SIZE {
        return Err(FormatError::DecryptionFailed);
    }
    let (nonce, sealed) = wrapped.split_at(12);
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| FormatError::DecryptionFailed)?;
    #[allow(clippy::expect_used)]
    let cipher = Aes256Gcm::new_from_slice(wrapping).expect("32-byte key");
    let mut plain = cipher
        .decrypt(
            &nonce.into(),
            Payload {
                msg: sealed,
                aad: blob_id.as_bytes(),
            },
        )
        .map_err(|_| FormatError::DecryptionFailed)?;
    if plain.len() != 32 {
        plain.zeroize();
        return Err(FormatError::DecryptionFailed);
    }
    let mut key = Locked::zeroed();
    key.expose_mut().copy_from_slice(&plain);
    plain.zeroize();
    Ok(DocumentKey(key))
}

/// A random key id (names the wrapped key; not secret).
pub fn new_key_id() -> Result<[u8; 16], FormatError> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|_| FormatError::Random)?;
    Ok(id)
}

/// What reading or writing a whole document saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub key_id: [u8; 16],
    pub plaintext_len: u64,
    /// SHA-256 of the plaintext.
    pub sha256: [u8; 32],
}

fn header(key_id: &[u8; 16], nonce: &[u8; 7]) -> [u8; HEADER_SIZE] {
    let mut h = [0u8; HEADER_SIZE];
    h[..6].copy_from_slice(MAGIC);
    h[6..8].copy_from_slice(&VERSION.to_be_bytes());
    h[8] = CHUNK_LOG2;
    h[9] = 0;
    h[10..26].copy_from_slice(key_id);
    h[26..33].copy_from_slice(nonce);
    h
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// How many chunks the reading thread hands to the sealing thread at a
/// time. Each batch is one buffer of `BATCH_CHUNKS` slots of
/// `CHUNK_SIZE + TAG_SIZE` bytes: a chunk is read into its slot, sealed in
/// place (its tag fills the slot's end), and the whole batch is written
/// with one call, so no byte is copied between reading and writing.
const BATCH_CHUNKS: usize = 16;
/// How many batch buffers exist at most (recycled between the threads):
/// memory is `BUFFERS * BATCH_CHUNKS * (CHUNK_SIZE + TAG_SIZE)`, about
/// 6 MiB, whatever the document's size. Enough for each of the three
/// stages to hold one while others wait in the channels.
const BUFFERS: usize = 6;
const SLOT: usize = CHUNK_SIZE + TAG_SIZE;

/// Chunks read and hashed, on their way to be sealed.
struct Batch {
    buf: Vec<u8>,
    /// Slots filled, from the first.
    chunks: usize,
    /// Length of the last filled slot's plaintext (the others are full).
    last_len: usize,
    /// The last filled slot holds the stream's last chunk.
    last: bool,
}

/// One slot of a batch as an in-place AEAD buffer: the plaintext at its
/// start, room for the tag after it.
struct SlotBuffer<'a> {
    slot: &'a mut [u8],
    len: usize,
}

impl AsRef<[u8]> for SlotBuffer<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.slot[..self.len]
    }
}

impl AsMut<[u8]> for SlotBuffer<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.slot[..self.len]
    }
}

impl aes_gcm::aead::Buffer for SlotBuffer<'_> {
    fn extend_from_slice(&mut self, other: &[u8]) -> aes_gcm::aead::Result<()> {
        let end = self.len + other.len();
        if end > self.slot.len() {
            return Err(aes_gcm::aead::Error);
        }
        self.slot[self.len..end].copy_from_slice(other);
        self.len = end;
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

impl Batch {
    /// How many plaintext bytes slot `i` holds.
    fn chunk_len(&self, i: usize) -> usize {
        if i + 1 == self.chunks {
            self.last_len
        } else {
            CHUNK_SIZE
        }
    }
}

/// The reading stage of [`encrypt`]: fills batches from `input` and sends
/// them on. A batch is sent only once it is known whether its last chunk
/// is the stream's last (one chunk of look-ahead, read into the next
/// batch), because the last chunk carries the last-chunk flag. Returns
/// the input's length, or `None` when it stopped early (an error, sent
/// on, or a later stage that stopped).
fn read_batches(
    input: &mut (dyn Read + Send),
    batches: &std::sync::mpsc::SyncSender<io::Result<Batch>>,
    free: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Option<u64> {
    let mut total = 0u64;
    let mut made = 0;
    // A recycled buffer, or a new one while fewer than BUFFERS exist, or
    // else wait for the sealer to give one back (None: it stopped).
    let mut take = || match free.try_recv() {
        Ok(buf) => Some(buf),
        Err(_) if made < BUFFERS => {
            made += 1;
            Some(vec![0u8; BATCH_CHUNKS * SLOT])
        }
        Err(_) => free.recv().ok(),
    };
    let mut batch = Batch {
        buf: take()?,
        chunks: 0,
        last_len: 0,
        last: false,
    };
    let fail = |e: io::Error| {
        let _ = batches.send(Err(e));
        None
    };
    loop {
        let at = batch.chunks * SLOT;
        let n = match read_full(input, &mut batch.buf[at..at + CHUNK_SIZE]) {
            Ok(n) => n,
            Err(e) => return fail(e),
        };
        total += n as u64;
        // A short read is the end of the input. An empty one after a full
        // chunk of this batch makes that chunk the last; otherwise (an
        // empty document) the empty chunk is the one and last chunk.
        if n < CHUNK_SIZE {
            if n > 0 || batch.chunks == 0 {
                batch.chunks += 1;
                batch.last_len = n;
            }
            batch.last = true;
            let _ = batches.send(Ok(batch));
            break;
        }
        batch.chunks += 1;
        batch.last_len = n;
        if batch.chunks < BATCH_CHUNKS {
            continue;
        }
        // A full batch: read the next chunk into the next buffer to learn
        // whether this batch ends the stream.
        let mut next = Batch {
            buf: take()?,
            chunks: 0,
            last_len: 0,
            last: false,
        };
        let m = match read_full(input, &mut next.buf[..CHUNK_SIZE]) {
            Ok(m) => m,
            Err(e) => return fail(e),
        };
        if m == 0 {
            batch.last = true;
            let _ = batches.send(Ok(batch));
            break;
        }
        total += m as u64;
        next.chunks = 1;
        next.last_len = m;
        if batches.send(Ok(batch)).is_err() {
            return None;
        }
        batch = next;
        if m < CHUNK_SIZE {
            batch.last = true;
            let _ = batches.send(Ok(batch));
            break;
        }
    }
    Some(total)
}

/// The hashing stage of [`encrypt`]: the SHA-256 of every chunk in
/// order, before the sealing stage overwrites it with ciphertext. Passes
/// errors on; returns `None` if the stream did not end (an error, or the
/// sealer stopped).
fn hash_batches(
    batches: &std::sync::mpsc::Receiver<io::Result<Batch>>,
    hashed: &std::sync::mpsc::SyncSender<io::Result<Batch>>,
) -> Option<[u8; 32]> {
    let mut hasher = Sha256::new();
    loop {
        let batch = match batches.recv().ok()? {
            Ok(batch) => batch,
            Err(e) => {
                let _ = hashed.send(Err(e));
                return None;
            }
        };
        for i in 0..batch.chunks {
            let at = i * SLOT;
            hasher.update(&batch.buf[at..at + batch.chunk_len(i)]);
        }
        let last = batch.last;
        hashed.send(Ok(batch)).ok()?;
        if last {
            return Some(hasher.finalize().into());
        }
    }
}

/// Encrypts everything `input` yields into `output` under `key`.
///
/// Three stages share the work, each on its own thread: one reads the
/// input, one computes its SHA-256, and the caller's thread seals and
/// writes. They hand over batches of 16 chunks (1 MiB) in a few recycled
/// buffers, so they run in parallel (hashing, which cannot be split, is
/// alone on its thread: it sets the pace when there are CPUs for all
/// three) and memory stays constant (about 6 MiB). The input is read
/// exactly once, in order, and each byte sealed is a byte that was hashed
/// (a batch is sealed in place only after it was hashed).
///
/// An error reading `input` (for example one its reader returns to cancel
/// the work) stops both threads and is returned; `output` then holds an
/// incomplete stream that the caller discards.
pub fn encrypt(
    input: &mut (dyn Read + Send),
    output: &mut dyn Write,
    key: &DocumentKey,
    key_id: [u8; 16],
) -> Result<Summary, FormatError> {
    let mut nonce = [0u8; 7];
    getrandom::fill(&mut nonce).map_err(|_| FormatError::Random)?;
    let header = header(&key_id, &nonce);
    output.write_all(&header)?;
    let mut stream = Some(EncryptorBE32::from_aead(key.cipher(), &nonce.into()));

    std::thread::scope(|scope| {
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<io::Result<Batch>>(BUFFERS);
        let (hashed_tx, hashed_rx) = std::sync::mpsc::sync_channel::<io::Result<Batch>>(BUFFERS);
        let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(BUFFERS);
        let reader = scope.spawn(move || read_batches(input, &batch_tx, &free_rx));
        let hasher = scope.spawn(move || hash_batches(&batch_rx, &hashed_tx));

        let sealed = (|| -> Result<(), FormatError> {
            loop {
                let mut batch = hashed_rx
                    .recv()
                    .map_err(|_| io::Error::other("the reader stopped"))??;
                for i in 0..batch.chunks {
                    let last_in_batch = i + 1 == batch.chunks;
                    let len = batch.chunk_len(i);
                    let mut slot = SlotBuffer {
                        slot: &mut batch.buf[i * SLOT..(i + 1) * SLOT],
                        len,
                    };
                    // Sealing the last chunk consumes the encryptor: no
                    // chunk can follow it.
                    let sealing = if last_in_batch && batch.last {
                        stream
                            .take()
                            .ok_or(FormatError::DecryptionFailed)?
                            .encrypt_last_in_place(&header, &mut slot)
                    } else {
                        stream
                            .as_mut()
                            .ok_or(FormatError::DecryptionFailed)?
                            .encrypt_next_in_place(&header, &mut slot)
                    };
                    sealing.map_err(|_| FormatError::DecryptionFailed)?;
                }
                let bytes = (batch.chunks - 1) * SLOT + batch.last_len + TAG_SIZE;
                output.write_all(&batch.buf[..bytes])?;
                if batch.last {
                    return Ok(());
                }
                // The reader may have stopped: a buffer not taken back is
                // simply dropped.
                let _ = free_tx.try_send(batch.buf);
            }
        })();
        drop(hashed_rx);
        drop(free_tx);
        let failed = |_| FormatError::Io(io::Error::other("a sealing thread failed"));
        let sha256 = hasher.join().map_err(failed)?;
        let total = reader.join().map_err(failed)?;
        sealed?;
        let (Some(sha256), Some(total)) = (sha256, total) else {
            return Err(io::Error::other("the reader stopped").into());
        };
        output.flush()?;
        Ok(Summary {
            key_id,
            plaintext_len: total,
            sha256,
        })
    })
}

/// Reads and checks a header; returns it and the key id.
pub fn read_header(input: &mut dyn Read) -> Result<([u8; HEADER_SIZE], [u8; 16]), FormatError> {
    let mut h = [0u8; HEADER_SIZE];
    if read_full(input, &mut h)? < HEADER_SIZE || &h[..6] != MAGIC {
        return Err(FormatError::NotADocument);
    }
    let version = u16::from_be_bytes([h[6], h[7]]);
    if version != VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    if h[8] != CHUNK_LOG2 || h[9] != 0 {
        return Err(FormatError::DecryptionFailed);
    }
    let mut key_id = [0u8; 16];
    key_id.copy_from_slice(&h[10..26]);
    Ok((h, key_id))
}

/// Decrypts a whole document from `input` into `output`. Every chunk is
/// authenticated before its plaintext is written; a failure anywhere is
/// [`FormatError::DecryptionFailed`]. Callers that must never expose
/// partial plaintext write to a temporary place and discard it on error.
///
/// Two sealed chunks are held: the current one and the next, read whole
/// ahead of it. A chunk is opened as the last exactly when no byte
/// follows it (a short chunk means the input ended).
pub fn decrypt(
    input: &mut dyn Read,
    output: &mut dyn Write,
    key: &DocumentKey,
) -> Result<Summary, FormatError> {
    let (header, key_id) = read_header(input)?;
    let mut nonce = [0u8; 7];
    nonce.copy_from_slice(&header[26..33]);
    let mut stream = DecryptorBE32::from_aead(key.cipher(), &nonce.into());
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let sealed = CHUNK_SIZE + TAG_SIZE;
    let mut current = vec![0u8; sealed];
    let mut len = read_full(input, &mut current)?;
    if len < TAG_SIZE {
        return Err(FormatError::DecryptionFailed);
    }
    loop {
        // The next chunk, read whole, tells whether this one is the last:
        // it is exactly when no byte follows it (a short read is the end).
        let mut next = vec![0u8; sealed];
        let next_len = if len == sealed {
            read_full(input, &mut next)?
        } else {
            0
        };
        current.truncate(len);
        if next_len == 0 {
            stream
                .decrypt_last_in_place(&header, &mut current)
                .map_err(|_| FormatError::DecryptionFailed)?;
            hasher.update(&current);
            total += current.len() as u64;
            output.write_all(&current)?;
            current.zeroize();
            break;
        }
        if next_len < TAG_SIZE {
            return Err(FormatError::DecryptionFailed);
        }
        stream
            .decrypt_next_in_place(&header, &mut current)
            .map_err(|_| FormatError::DecryptionFailed)?;
        hasher.update(&current);
        total += current.len() as u64;
        output.write_all(&current)?;
        current.zeroize();
        current = next;
        len = next_len;
    }
    output.flush()?;
    Ok(Summary {
        key_id,
        plaintext_len: total,
        sha256: hasher.finalize().into(),
    })
}

#[cfg(test)]
mod tests;
