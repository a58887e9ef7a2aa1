//! Page images from hostile scans (PDF, PNG, JPEG, TIFF) on their way to
//! OCR: any bytes give page images or a clear error, never a panic that
//! escapes, and every image is within the limits it was opened with.
//!
//! Decoding only: Tesseract never sees fuzzed pixels here (it is given only
//! what these decoders produce, already checked). The decoders run under
//! `catch_unwind` inside the crate, so the panic hook is made silent at
//! start, as in `extract_text`: a panic that escapes still aborts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_ocr::{Document, Kind, Limits};

/// Smaller than the product's, so one input stays within the fuzzer's
/// memory limit.
const LIMITS: Limits = Limits {
    max_side: 4_000,
    max_pixels: 4_000_000,
    max_decoded_bytes: 16 << 20,
    max_pages: 20,
};

fuzz_target!(init: {
    std::panic::set_hook(Box::new(|_| {}));
}, |data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    // The sniffed kind, or a forced one (a file may lie about its kind).
    let kind = Kind::sniff(bytes).unwrap_or(match selector % 4 {
        0 => Kind::Pdf,
        1 => Kind::Png,
        2 => Kind::Jpeg,
        _ => Kind::Tiff,
    });
    let Ok(doc) = Document::open(kind, bytes, &LIMITS) else {
        return;
    };
    assert!(doc.page_count() <= LIMITS.max_pages, "more pages than the limit");
    for page in 0..doc.page_count().min(3) {
        let _ = doc.page_has_text_layer(page);
        if let Ok((gray, _)) = doc.page_image(page) {
            let (w, h) = (u64::from(gray.width), u64::from(gray.height));
            assert_eq!(gray.pixels.len() as u64, w * h, "pixels and size disagree");
            assert!(w <= u64::from(LIMITS.max_side) && h <= u64::from(LIMITS.max_side));
            assert!(w * h <= LIMITS.max_pixels, "an image over the pixel limit");
        }
    }
});
