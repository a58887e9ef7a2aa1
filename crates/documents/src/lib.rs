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
//! Memory use is a few chunks, whatever the document's size: [`decrypt`]
//! holds two sealed chunks (the one being opened and the whole next one,
//! read ahead to learn whether the current one is the last); [`encrypt`]
//! at most seven (four queued between its reading and sealing threads).

pub mod blobs;

use std::fmt;
use std::io::{self, Read, Write};

use aead_stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
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

/// A document version's key: 256 random bits. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct DocumentKey([u8; 32]);

impl fmt::Debug for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentKey([redacted])")
    }
}

impl DocumentKey {
    pub fn generate() -> Result<Self, FormatError> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|_| FormatError::Random)?;
        Ok(Self(k))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte key is always the right length for AES-256.
        #[allow(clippy::expect_used)]
        Aes256Gcm::new_from_slice(&self.0).expect("32-byte key")
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
                msg: &key.0,
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
    let key: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| FormatError::DecryptionFailed)?;
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

/// Encrypts everything `input` yields into `output` under `key`.
///
/// Two threads share the work: one reads the input and computes its
/// SHA-256, the caller's thread seals and writes chunks. At most seven
/// chunks are alive (one being read, four queued, the one received and
/// the full one held back until the next shows whether it is the last),
/// so memory stays constant.
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
    let mut stream = EncryptorBE32::from_aead(key.cipher(), &nonce.into());

    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
        let reader = scope.spawn(move || {
            let mut hasher = Sha256::new();
            let mut total = 0u64;
            loop {
                let mut chunk = Vec::with_capacity(CHUNK_SIZE + TAG_SIZE);
                chunk.resize(CHUNK_SIZE, 0);
                match read_full(input, &mut chunk) {
                    Ok(n) => {
                        chunk.truncate(n);
                        hasher.update(&chunk);
                        total += n as u64;
                        // A short (or empty) chunk is the end of the input.
                        if tx.send(Ok(chunk)).is_err() || n < CHUNK_SIZE {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            (<[u8; 32]>::from(hasher.finalize()), total)
        });

        // A full chunk is sealed only once the next one shows whether it was
        // the last, because the last chunk carries the last-chunk flag.
        let mut pending: Option<Vec<u8>> = None;
        let sealed = (|| -> Result<(), FormatError> {
            loop {
                let mut chunk = rx
                    .recv()
                    .map_err(|_| io::Error::other("the reader stopped"))??;
                let end = chunk.len() < CHUNK_SIZE;
                if end {
                    let mut last = match pending.take() {
                        // An empty end after a full chunk: that chunk is the last.
                        Some(full) if chunk.is_empty() => full,
                        Some(mut full) => {
                            stream
                                .encrypt_next_in_place(&header, &mut full)
                                .map_err(|_| FormatError::DecryptionFailed)?;
                            output.write_all(&full)?;
                            chunk
                        }
                        None => chunk,
                    };
                    stream
                        .encrypt_last_in_place(&header, &mut last)
                        .map_err(|_| FormatError::DecryptionFailed)?;
                    output.write_all(&last)?;
                    return Ok(());
                }
                if let Some(mut full) = pending.replace(std::mem::take(&mut chunk)) {
                    stream
                        .encrypt_next_in_place(&header, &mut full)
                        .map_err(|_| FormatError::DecryptionFailed)?;
                    output.write_all(&full)?;
                }
            }
        })();
        drop(rx);
        let (sha256, total) = reader
            .join()
            .map_err(|_| FormatError::Io(io::Error::other("the reader thread failed")))?;
        sealed?;
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
