//! Inputs the fuzzer (`fuzz/fuzz_targets/extract_text.rs`) found, kept as
//! regression tests. Each file is in the fuzz target's format: the first
//! byte picks the kind (0 PDF, 1 DOCX, 2 e-mail, else text), the rest is
//! the file. Each must give a result, never a panic out of `extract`.

use matterbox_extract::{Extraction, Kind, extract};

#[test]
fn every_input_the_fuzzer_found_is_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let (selector, bytes) = data.split_first().unwrap();
        let kind = match selector % 4 {
            0 => Kind::Pdf,
            1 => Kind::Docx,
            2 => Kind::Email,
            _ => Kind::Text,
        };
        let got = extract(kind, bytes);
        assert!(
            matches!(got, Extraction::Text(_) | Extraction::NoText | Extraction::Unsupported),
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 1, "no regression inputs in {}", dir.display());
}

/// The first one: a page whose font resource is missing makes pdf-extract
/// panic ("F1"); the file is reported as having no extractable text.
#[test]
fn a_pdf_with_a_missing_font_is_unsupported_not_a_crash() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let data = std::fs::read(dir.join("pdf-missing-font-panics-in-pdf-extract")).unwrap();
    assert_eq!(extract(Kind::Pdf, &data[1..]), Extraction::Unsupported);
}
