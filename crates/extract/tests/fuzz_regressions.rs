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
            matches!(
                got,
                Extraction::Text(_) | Extraction::NoText | Extraction::Unsupported
            ),
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

/// `extract_within` gives a parse up at its time limit, and a lock
/// (`stop`) ends the wait at once. (The PDF that pdf-extract never
/// finishes is a seed of the `extract_text` fuzz target, which runs it in
/// a release build through `extract_within`: in a debug build its
/// recursion overflows the stack, which no thread can contain.)
#[test]
fn extraction_is_given_up_at_its_time_limit_or_when_stopped() {
    use std::time::{Duration, Instant};
    let text = matterbox_extract::extract_within(
        Kind::Text,
        b"Fictional note".to_vec(),
        Duration::from_secs(2),
        &|| false,
    )
    .unwrap();
    assert_eq!(text, Some(Extraction::Text("Fictional note".into())));
    let stopped = matterbox_extract::extract_within(
        Kind::Text,
        b"Fictional note".to_vec(),
        Duration::from_secs(600),
        &|| true,
    )
    .unwrap();
    assert_eq!(stopped, None);
    // A zero limit gives up on anything not answered at once.
    let started = Instant::now();
    let big = "Fictional line of a long transcript\n"
        .repeat(400_000)
        .into_bytes();
    let got =
        matterbox_extract::extract_within(Kind::Email, big, Duration::ZERO, &|| false).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(got.is_some());
}
