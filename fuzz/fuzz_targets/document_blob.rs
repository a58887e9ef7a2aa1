//! The document blob reader over any bytes: it must refuse what is not a
//! whole, authentic document without panicking, and never write
//! plaintext it has not authenticated (the output of a failed read is
//! checked to be a prefix of nothing: a forged blob has no key, so any
//! output at all would be a forgery accepted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_documents::{DocumentKey, decrypt};

fuzz_target!(|data: &[u8]| {
    let key = DocumentKey::from_bytes([7; 32]);
    let mut out = Vec::new();
    if decrypt(&mut &data[..], &mut out, &key).is_ok() {
        panic!("a blob made without the key was accepted");
    }
    assert!(out.is_empty(), "plaintext was written before it was authenticated");
});
