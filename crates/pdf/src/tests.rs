use zeroize::Zeroizing;

use super::*;

fn word(text: &str, left: u32, line: u32) -> Word {
    Word {
        text: Zeroizing::new(text.into()),
        left,
        top: 100,
        width: 80,
        height: 30,
        line,
    }
}

fn gray_page(words: Vec<Word>) -> ImagePage {
    ImagePage {
        image: PageImage::Gray {
            pixels: Zeroizing::new(vec![255; 400 * 300]),
            width: 400,
            height: 300,
        },
        dpi: Some(100),
        words: Some(PageWords {
            width: 400,
            height: 300,
            words,
        }),
    }
}

fn parse(bytes: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(bytes).expect("our output parses")
}

#[test]
fn an_image_pdf_carries_its_words_as_utf16_in_the_glyphless_font() {
    let pdf = image_pdf(vec![gray_page(vec![
        word("Quill", 10, 1),
        word("Ωμέγα", 120, 1),
    ])])
    .unwrap();
    let doc = parse(&pdf);
    let page = *doc.get_pages().values().next().unwrap();
    let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
    assert!(content.contains("3 Tr"), "invisible text: {content}");
    // "Quill " in UTF-16BE, then the Greek word kept as its code units.
    assert!(content.contains("<005100750069006C006C0020>"), "{content}");
    assert!(content.contains("<03A903BC03AD03B303B1>"), "{content}");
    assert!(
        doc.get_page_fonts(page)
            .unwrap()
            .contains_key(LAYER_FONT.as_bytes())
    );
}

#[test]
fn a_text_layer_is_added_to_every_page_given_words_and_only_those() {
    let two = image_pdf(vec![gray_page(vec![]), gray_page(vec![])]).unwrap();
    let out = add_text_layer(
        &two,
        &[
            Some(PageWords {
                width: 400,
                height: 300,
                words: vec![word("Marker", 5, 1)],
            }),
            None,
        ],
    )
    .unwrap();
    let doc = parse(&out);
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    assert!(
        String::from_utf8_lossy(&doc.get_page_content(pages[0]))
            .contains("004D00610072006B00650072")
    );
    assert!(!String::from_utf8_lossy(&doc.get_page_content(pages[1])).contains("3 Tr"));
    let err = add_text_layer(&two, &[None]).unwrap_err();
    assert!(matches!(err, PdfError::Invalid(_)));
}

#[test]
fn a_bundle_has_an_index_page_then_each_document_with_bookmarks_and_page_numbers() {
    let scan = image_pdf(vec![gray_page(vec![]), gray_page(vec![])]).unwrap();
    let long: String = (0..120).map(|i| format!("line {i}\n")).collect();
    let built = Bundle {
        heading: "Court bundle".into(),
        subheading: "Made today".into(),
    }
    .build(vec![
        BundleEntry {
            title: "Scan".into(),
            date: "2026-01-02".into(),
            part: BundlePart::Pdf(scan),
        },
        BundleEntry {
            title: "Letter (Łódź)".into(),
            date: "2026-01-03".into(),
            part: BundlePart::Text(Zeroizing::new(long)),
        },
    ])
    .unwrap();
    // 1 index page, 2 scan pages, 3 text pages (120 lines at 54 a page).
    assert_eq!(built.pages, 6);
    assert_eq!(built.starts, vec![2, 4]);
    let doc = parse(&built.bytes);
    assert_eq!(doc.get_pages().len(), 6);
    let last = *doc.get_pages().values().last().unwrap();
    assert!(String::from_utf8_lossy(&doc.get_page_content(last)).contains("(Page 6 of 6) Tj"));
    let outlines = doc
        .catalog()
        .unwrap()
        .get(b"Outlines")
        .unwrap()
        .as_reference()
        .unwrap();
    assert_eq!(
        doc.get_dictionary(outlines)
            .unwrap()
            .get(b"Count")
            .unwrap()
            .as_i64()
            .unwrap(),
        3
    );
}

#[test]
fn a_broken_pdf_in_a_bundle_names_its_position() {
    let err = Bundle {
        heading: "B".into(),
        subheading: String::new(),
    }
    .build(vec![
        BundleEntry {
            title: "ok".into(),
            date: String::new(),
            part: BundlePart::Text(Zeroizing::new("x".into())),
        },
        BundleEntry {
            title: "bad".into(),
            date: String::new(),
            part: BundlePart::Pdf(Zeroizing::new(b"%PDF-1.4 junk".to_vec())),
        },
    ])
    .err()
    .unwrap();
    assert!(matches!(err, PdfError::Entry { index: 1, .. }), "{err}");
}

#[test]
fn signatures_are_recognised() {
    assert!(is_signed(
        b"%PDF-1.7 << /Type /Sig /ByteRange [0 10 20 30] >>"
    ));
    assert!(!is_signed(b"%PDF-1.7 << /Type /Page >>"));
}

#[test]
fn text_wraps_at_spaces_and_keeps_long_words_whole_enough() {
    assert_eq!(
        text::wrap("a\tb\r\nccc ddd eee", 8),
        vec!["a    b", "ccc ddd", "eee"]
    );
    assert_eq!(text::wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    assert_eq!(text::fit("abcdef", 4), "abc…");
}

#[test]
fn text_lines_reset_the_text_state_and_keep_what_winansi_lacks_as_actual_text() {
    let bytes = text::show("F", 10.0, 1.0, 2.0, "Grüße (x)");
    let plain = String::from_utf8_lossy(&bytes).into_owned();
    assert!(plain.contains("0 Tr\n100 Tz"), "{plain}");
    // WinAnsi bytes (ü = FC, ß = DF), parentheses escaped.
    assert!(
        bytes.windows(13).any(|w| w == b"(Gr\xFC\xDFe \\(x\\))"),
        "{plain}"
    );
    assert!(!plain.contains("ActualText"));
    let polish = String::from_utf8_lossy(&text::show("F", 10.0, 1.0, 2.0, "Łódź")).into_owned();
    assert!(
        polish.contains("/ActualText <FEFF014100F30064017A>"),
        "{polish}"
    );
    assert!(polish.trim_end().ends_with("EMC"), "{polish}");
}
