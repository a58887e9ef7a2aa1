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
