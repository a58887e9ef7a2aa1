//! Text extraction from hostile files (PDF, DOCX, e-mail, plain text):
//! any bytes give text or a clear status, never a panic that escapes or a
//! hang, and the text stays within the extractor's limit.
//!
//! `extract` contains panics of the parsers it uses (pdf-extract panics on
//! some malformed PDFs) and reports the file as unsupported. libFuzzer's
//! panic hook would count those contained panics as crashes, so the hook
//! is made silent at start: a panic that escapes `extract` still unwinds
//! into the harness, which aborts, and is a crash.
//!
//! Some PDFs make pdf-extract run forever (one is kept in
//! `crates/extract/tests/fuzz-hangs/`). Imports contain that with
//! `extract_within`'s time limit, so the target calls it the same way,
//! with a 2 s limit: a parse that outlasts it is reported, as in the
//! product, as unsupported, and its thread is left to run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_extract::{Extraction, Kind, MAX_TEXT, extract_within};

fuzz_target!(init: {
    std::panic::set_hook(Box::new(|_| {}));
}, |data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = match selector % 4 {
        0 => Kind::Pdf,
        1 => Kind::Docx,
        2 => Kind::Email,
        _ => Kind::Text,
    };
    let got = extract_within(kind, bytes.to_vec(), std::time::Duration::from_secs(2), &|| false)
        .expect("a thread for the parser");
    if let Some(Extraction::Text(text)) = got {
        assert!(text.len() <= MAX_TEXT, "text over the limit");
        assert!(!text.contains('\0'), "a NUL in the text");
    }
});
