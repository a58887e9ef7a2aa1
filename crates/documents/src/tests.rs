//! Named test vectors, each run through the one reader, and round trips
//! at and around the chunk boundary.

use super::*;
use proptest::prelude::*;

const KEY: [u8; 32] = [7; 32];
const KEY_ID: [u8; 16] = [9; 16];

fn seal(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        &mut &plain[..],
        &mut out,
        &DocumentKey::from_bytes(KEY),
        KEY_ID,
    )
    .unwrap();
    out
}

fn open_with(data: &[u8], key: [u8; 32]) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::new();
    decrypt(&mut &data[..], &mut out, &DocumentKey::from_bytes(key)).map(|_| out)
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A named vector: the sealed bytes and what the reader must say (the
/// plaintext, or words its error contains).
type Vector = (&'static str, Vec<u8>, Result<Vec<u8>, &'static str>);

fn vectors() -> Vec<Vector> {
    let plain = plaintext(3 * CHUNK_SIZE + 100);
    let good = seal(&plain);
    let chunk = CHUNK_SIZE + TAG_SIZE;
    let body = |i: usize| HEADER_SIZE + i * chunk;

    let mut bad_tag = good.clone();
    let last = bad_tag.len() - 1;
    bad_tag[last] ^= 1;

    let mut flipped_ciphertext = good.clone();
    flipped_ciphertext[body(1) + 10] ^= 0x80;

    let mut swapped = good.clone();
    let (a, b) = (
        good[body(0)..body(1)].to_vec(),
        good[body(1)..body(2)].to_vec(),
    );
    swapped[body(0)..body(1)].copy_from_slice(&b);
    swapped[body(1)..body(2)].copy_from_slice(&a);

    let truncated_at_boundary = good[..body(3)].to_vec();
    let truncated_mid_chunk = good[..body(2) + 500].to_vec();
    let header_only = good[..HEADER_SIZE].to_vec();

    let mut trailing = good.clone();
    trailing.extend_from_slice(b"appended");

    let mut trailing_chunk = good.clone();
    trailing_chunk.extend_from_slice(&good[body(0)..body(1)]);

    let mut wrong_version = good.clone();
    wrong_version[7] = 2;

    let mut key_id_changed = good.clone();
    key_id_changed[12] ^= 1;

    let mut nonce_changed = good.clone();
    nonce_changed[30] ^= 1;

    let mut not_a_document = good.clone();
    not_a_document[0] = b'X';

    // The last chunk sealed as if more followed: rebuild a stream whose
    // final chunk lacks the last-chunk flag.
    // Chunk 0 of a longer stream is a valid non-last chunk; alone it must fail.
    let cut_stream = seal(&plaintext(2 * CHUNK_SIZE + 1))[..body(1)].to_vec();

    vec![
        ("good", good.clone(), Ok(plain.clone())),
        ("empty", seal(b""), Ok(Vec::new())),
        ("bad_tag", bad_tag, Err("damaged")),
        ("flipped_ciphertext", flipped_ciphertext, Err("damaged")),
        ("swapped_chunks", swapped, Err("damaged")),
        (
            "truncated_at_chunk_boundary",
            truncated_at_boundary,
            Err("damaged"),
        ),
        ("truncated_mid_chunk", truncated_mid_chunk, Err("damaged")),
        ("header_only", header_only, Err("damaged")),
        ("trailing_garbage", trailing, Err("damaged")),
        ("trailing_replayed_chunk", trailing_chunk, Err("damaged")),
        ("last_chunk_missing_its_flag", cut_stream, Err("damaged")),
        (
            "wrong_version",
            wrong_version,
            Err("version 2 is not supported"),
        ),
        ("key_id_changed", key_id_changed, Err("damaged")),
        ("nonce_changed", nonce_changed, Err("damaged")),
        (
            "not_a_document",
            not_a_document,
            Err("not a Matterbox document"),
        ),
        (
            "too_short",
            b"MBX".to_vec(),
            Err("not a Matterbox document"),
        ),
    ]
}

#[test]
fn every_vector_through_the_reader() {
    for (name, data, expect) in vectors() {
        let got = open_with(&data, KEY);
        match (&got, &expect) {
            (Ok(plain), Ok(want)) => assert_eq!(plain, want, "{name}"),
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "{name}: {e}"),
            _ => panic!("{name}: got {:?}", got.map(|p| p.len())),
        }
    }
}

#[test]
fn the_wrong_key_is_the_same_opaque_error() {
    let sealed = seal(b"privileged and confidential");
    let err = open_with(&sealed, [8; 32]).unwrap_err();
    assert!(matches!(err, FormatError::DecryptionFailed));
    assert_eq!(
        err.to_string(),
        open_with(&sealed[..40], KEY).unwrap_err().to_string()
    );
}

#[test]
fn round_trips_at_and_around_the_chunk_boundary() {
    for len in [
        0,
        1,
        15,
        16,
        17,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        2 * CHUNK_SIZE,
        3 * CHUNK_SIZE + 7,
        // The reader hands over batches of BATCH_CHUNKS chunks and looks
        // one chunk ahead across a batch's end.
        BATCH_CHUNKS * CHUNK_SIZE - 1,
        BATCH_CHUNKS * CHUNK_SIZE,
        BATCH_CHUNKS * CHUNK_SIZE + 1,
        (BATCH_CHUNKS + 1) * CHUNK_SIZE,
        2 * BATCH_CHUNKS * CHUNK_SIZE,
        2 * BATCH_CHUNKS * CHUNK_SIZE + 5,
        // More batches than buffers: they are recycled.
        (BUFFERS + 2) * BATCH_CHUNKS * CHUNK_SIZE + 3,
    ] {
        let plain = plaintext(len);
        let sealed = seal(&plain);
        let chunks = (len / CHUNK_SIZE) + usize::from(len % CHUNK_SIZE != 0 || len == 0);
        assert_eq!(sealed.len(), HEADER_SIZE + len + chunks * TAG_SIZE, "{len}");
        let mut out = Vec::new();
        let summary = decrypt(&mut &sealed[..], &mut out, &DocumentKey::from_bytes(KEY)).unwrap();
        assert_eq!(out, plain, "{len}");
        assert_eq!(summary.plaintext_len, len as u64);
        assert_eq!(summary.key_id, KEY_ID);
        assert_eq!(summary.sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
    }
}

/// Yields its bytes in reads of uneven sizes, as pipes and sockets do.
struct Uneven<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Uneven<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.step = (self.step * 7 + 3) % 5000 + 1;
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn uneven_reads_seal_the_same_stream_as_whole_ones() {
    for len in [
        CHUNK_SIZE + 1,
        BATCH_CHUNKS * CHUNK_SIZE,
        40 * CHUNK_SIZE + 9,
    ] {
        let plain = plaintext(len);
        let mut sealed = Vec::new();
        let mut input = Uneven {
            data: &plain,
            step: 1,
        };
        let summary = encrypt(
            &mut input,
            &mut sealed,
            &DocumentKey::from_bytes(KEY),
            KEY_ID,
        )
        .unwrap();
        assert_eq!(summary.plaintext_len, len as u64);
        assert_eq!(summary.sha256, <[u8; 32]>::from(Sha256::digest(&plain)));
        assert_eq!(open_with(&sealed, KEY).unwrap(), plain, "{len}");
    }
}

/// Fails once `fail_at` bytes have been read.
struct FailsAt {
    at: usize,
    fail_at: usize,
}

impl Read for FailsAt {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.fail_at {
            return Err(io::Error::other("stopped by the test"));
        }
        let n = buf.len().min(self.fail_at - self.at);
        buf[..n].fill(1);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn an_input_error_stops_the_stream_with_that_error_and_no_last_chunk() {
    // Before the first batch is full, at its end, and several batches in.
    for fail_at in [
        10,
        BATCH_CHUNKS * CHUNK_SIZE,
        5 * BATCH_CHUNKS * CHUNK_SIZE + 77,
    ] {
        let mut sealed = Vec::new();
        let mut input = FailsAt { at: 0, fail_at };
        let err = encrypt(
            &mut input,
            &mut sealed,
            &DocumentKey::from_bytes(KEY),
            KEY_ID,
        )
        .unwrap_err();
        assert!(err.to_string().contains("stopped by the test"), "{err}");
        // What was written is never a complete document.
        assert!(matches!(
            open_with(&sealed, KEY),
            Err(FormatError::DecryptionFailed)
        ));
    }
}

#[test]
fn the_same_plaintext_never_seals_the_same_twice() {
    let a = seal(b"same content");
    let b = seal(b"same content");
    assert_ne!(a, b);
    assert!(!a.windows(12).any(|w| w == b"same content"));
}

#[test]
fn wrapped_keys_open_only_with_the_wrapping_key_for_their_blob() {
    let key = DocumentKey::from_bytes([5; 32]);
    let wrapped = wrap_key(&[1; 32], &key, "blob-a").unwrap();
    assert!(!wrapped.windows(32).any(|w| w == key.expose()));
    assert_eq!(unwrap_key(&[1; 32], &wrapped, "blob-a").unwrap(), key);
    assert!(unwrap_key(&[2; 32], &wrapped, "blob-a").is_err());
    assert!(unwrap_key(&[1; 32], &wrapped, "blob-b").is_err());
    assert!(unwrap_key(&[1; 32], &wrapped[..20], "blob-a").is_err());
}

#[test]
fn debug_output_of_a_key_is_redacted() {
    assert_eq!(
        format!("{:?}", DocumentKey::from_bytes(KEY)),
        "DocumentKey([redacted])"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_single_flipped_byte_is_refused(len in 0usize..(2 * CHUNK_SIZE + 50), pos in any::<prop::sample::Index>()) {
        let sealed = seal(&plaintext(len));
        let mut damaged = sealed.clone();
        let i = pos.index(damaged.len());
        damaged[i] ^= 0x01;
        prop_assert!(open_with(&damaged, KEY).is_err());
    }
}

/// A sparse-looking plaintext: zeros with a mark byte at chosen offsets,
/// produced on the fly so a multi-GiB document needs neither memory nor disk.
struct Marked {
    at: u64,
    len: u64,
    marks: Vec<u64>,
}

const MARK: u8 = 0xA5;

impl Read for Marked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.len - self.at) as usize);
        let buf = &mut buf[..n];
        buf.fill(0);
        for &m in &self.marks {
            if (self.at..self.at + n as u64).contains(&m) {
                buf[(m - self.at) as usize] = MARK;
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Checks every byte it is given against the same pattern.
struct Expect {
    at: u64,
    marks: Vec<u64>,
    wrong: Option<u64>,
}

impl Write for Expect {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let range = self.at..self.at + buf.len() as u64;
        let here: Vec<u64> = self
            .marks
            .iter()
            .copied()
            .filter(|m| range.contains(m))
            .collect();
        let marked = here.iter().all(|&m| buf[(m - self.at) as usize] == MARK);
        // Everything else must be zero: the marks are the only non-zero bytes.
        let nonzero = buf.iter().filter(|&&b| b != 0).count();
        if (!marked || nonzero != here.len()) && self.wrong.is_none() {
            self.wrong = Some(self.at);
        }
        self.at += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Counts what passes through on its way into the pipe.
struct Counting<W>(W, u64);

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// 4 GiB + 3 bytes crosses both the 2^31 and the 2^32 byte boundaries and
/// 65,537 chunks. The sealed stream goes through an OS pipe straight into
/// the reader, so the test checks the format at that size without needing
/// gigabytes of free disk; the CLI test covers the file store.
#[test]
fn a_multi_gib_document_round_trips_through_a_pipe() {
    let len: u64 = (4 << 30) + 3;
    let chunk = CHUNK_SIZE as u64;
    let marks = vec![0, chunk - 1, chunk, 1 << 31, 1 << 32, len - 1];
    let (reader, writer) = io::pipe().unwrap();
    let key = DocumentKey::from_bytes(KEY);
    let (sealed, opened) = std::thread::scope(|scope| {
        let sealing = scope.spawn(|| {
            let mut input = Marked {
                at: 0,
                len,
                marks: marks.clone(),
            };
            let mut out = Counting(writer, 0);
            let summary = encrypt(&mut input, &mut out, &key, KEY_ID).unwrap();
            (summary, out.1)
        });
        let mut check = Expect {
            at: 0,
            marks: marks.clone(),
            wrong: None,
        };
        let opened = decrypt(&mut io::BufReader::new(reader), &mut check, &key).unwrap();
        assert_eq!(check.wrong, None, "the write at this offset was wrong");
        assert_eq!(check.at, len);
        (sealing.join().unwrap(), opened)
    });
    let (summary, sealed_len) = sealed;
    let chunks = len.div_ceil(chunk);
    assert_eq!(
        sealed_len,
        HEADER_SIZE as u64 + len + chunks * TAG_SIZE as u64
    );
    assert_eq!(summary.plaintext_len, len);
    assert_eq!(opened, summary);
}
