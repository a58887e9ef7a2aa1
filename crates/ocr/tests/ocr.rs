//! The OCR engine against a generated corpus, with the real Tesseract
//! (Debian libtesseract 5.3 and its English, German and orientation
//! models, installed by `scripts/setup.sh --test`).

mod corpus;

use corpus::Page;
use lopdf::{Object, dictionary};
use matterbox_ocr::{
    Document, Engine, Error, Kind, Limits, Mode, Options, PageOutcome, PageText, Source,
};

/// The accuracy every clean 300 dpi page must reach.
const FLOOR: f64 = 0.97;

fn page(seed: u64) -> Page {
    let lines = corpus::lines(seed, 6, 56);
    corpus::render_sized(&lines, 300, (2550, 1100), 12.0)
}

fn recognise(kind: Kind, bytes: &[u8], index: usize, options: &Options) -> PageText {
    let doc = Document::open(kind, bytes, &options.limits).expect("document opens");
    match Engine::new(options)
        .expect("engine")
        .recognise_page(&doc, index)
        .expect("page")
    {
        PageOutcome::Recognised(t) => t,
        PageOutcome::HasTextLayer => panic!("page {index} reported as having a text layer"),
    }
}

fn check(expected: &Page, got: &PageText, floor: f64) -> f64 {
    let accuracy = corpus::accuracy(&expected.text, &got.text);
    assert!(
        accuracy >= floor,
        "accuracy {accuracy:.4} below {floor}\nexpected:\n{}\ngot:\n{}",
        expected.text,
        got.text.as_str()
    );
    accuracy
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

#[test]
fn a_png_page_reads_back() {
    let p = page(1);
    let t = recognise(Kind::Png, &corpus::png(&p), 0, &Options::default());
    check(&p, &t, FLOOR);
    assert_eq!(t.source, Source::Png);
    assert_eq!(t.orientation_applied, 0);
    assert!(t.mean_confidence >= 80, "confidence {}", t.mean_confidence);
    // Debug never shows the text.
    let shown = format!("{t:?}");
    assert!(
        !shown.contains(p.text.split(' ').next().unwrap_or("x")),
        "{shown}"
    );
}

#[test]
fn a_jpeg_photo_quality_page_reads_back() {
    let p = page(2);
    let t = recognise(Kind::Jpeg, &corpus::jpeg(&p, 70), 0, &Options::default());
    check(&p, &t, 0.95);
    assert_eq!(t.source, Source::Jpeg);
}

#[test]
fn scanner_pdfs_from_img2pdf_read_back_jpeg_g4_and_flate() {
    let d = dir();
    let (a, b, c) = (page(3), page(4), page(5));
    let g4 = corpus::tiff_g4(&[&b]);
    let pdf = corpus::img2pdf(
        d.path(),
        &[
            ("a.jpg", &corpus::jpeg(&a, 85)),
            ("b.tif", &g4),
            ("c.png", &corpus::png(&c)),
        ],
    );
    let options = Options::default();
    let doc = Document::open(Kind::Pdf, &pdf, &options.limits).expect("PDF opens");
    assert_eq!(doc.page_count(), 3);
    assert!(!doc.page_has_text_layer(0).expect("scan"));
    let mut engine = Engine::new(&options).expect("engine");
    for (i, (expected, source)) in [
        (&a, Source::PdfJpeg),
        (&b, Source::PdfCcittG4),
        (&c, Source::PdfFlate),
    ]
    .iter()
    .enumerate()
    {
        let PageOutcome::Recognised(t) = engine.recognise_page(&doc, i).expect("page") else {
            panic!("page {i} has no text layer");
        };
        assert_eq!(t.source, *source, "page {i}");
        assert_eq!(t.dpi, Some(300), "page {i}: resolution from the page size");
        check(expected, &t, FLOOR);
    }
    assert!(matches!(
        engine.recognise_page(&doc, 3),
        Err(Error::PageOutOfRange { index: 3, count: 3 })
    ));
}

#[test]
fn a_multi_page_g4_tiff_reads_page_by_page() {
    let pages = [page(6), page(7), page(8)];
    let tiff = corpus::tiff_g4(&pages.iter().collect::<Vec<_>>());
    let options = Options::default();
    let doc = Document::open(Kind::Tiff, &tiff, &options.limits).expect("TIFF opens");
    assert_eq!(doc.page_count(), 3);
    let mut engine = Engine::new(&options).expect("engine");
    // A queue resuming at page 2 after a restart: pages are independent.
    for i in [2, 0, 1] {
        let PageOutcome::Recognised(t) = engine.recognise_page(&doc, i).expect("page") else {
            panic!("no text layer in a TIFF");
        };
        assert_eq!(t.dpi, Some(300));
        check(&pages[i], &t, FLOOR);
    }
}

#[test]
fn a_multi_page_deflate_gray_tiff_reads_back() {
    let pages = [page(9), page(10)];
    let tiff = corpus::tiff_deflate(&pages.iter().collect::<Vec<_>>());
    assert_eq!(
        matterbox_ocr::page_count(Kind::Tiff, &tiff, &Limits::default()).expect("count"),
        2
    );
    let t = recognise(Kind::Tiff, &tiff, 1, &Options::default());
    check(&pages[1], &t, FLOOR);
}

#[test]
fn turned_pages_are_read_upright() {
    let p = page(11);
    let mut engine = Engine::new(&Options::default()).expect("engine");
    for (turns, expected) in [(1u32, 270u16), (2, 180), (3, 90)] {
        let turned = corpus::turned(&p, turns);
        let bytes = corpus::png(&turned);
        let doc = Document::open(Kind::Png, &bytes, &Limits::default()).expect("opens");
        let PageOutcome::Recognised(t) = engine.recognise_page(&doc, 0).expect("page") else {
            panic!("no text layer in a PNG");
        };
        assert_eq!(
            t.orientation_applied,
            expected,
            "turned {} degrees clockwise",
            turns * 90
        );
        check(&p, &t, 0.95);
    }
}

#[test]
fn a_page_fed_askew_is_straightened() {
    let p = page(12);
    for degrees in [4.0f32, -3.0] {
        let askew = corpus::skewed(&p, degrees);
        let t = recognise(Kind::Png, &corpus::png(&askew), 0, &Options::default());
        assert!(
            (t.deskew_degrees + degrees).abs() < 0.5,
            "skewed {degrees}°, corrected {}°",
            t.deskew_degrees
        );
        check(&p, &t, 0.95);
    }
    // A straight page is left alone.
    let t = recognise(Kind::Png, &corpus::png(&p), 0, &Options::default());
    assert_eq!(t.deskew_degrees, 0.0);
}

#[test]
fn a_two_language_page_reads_with_both_models() {
    let lines: Vec<String> = [
        "The parties signed the lease agreement in Hamburg.",
        "Die Verhandlung über den Grundstückskauf fand statt.",
        "Schöne Grüße an die Geschäftsführung der Gesellschaft.",
    ]
    .map(String::from)
    .to_vec();
    let p = corpus::render_sized(&lines, 300, (2550, 900), 12.0);
    let options = Options {
        languages: vec!["eng".into(), "deu".into()],
        ..Options::default()
    };
    let t = recognise(Kind::Png, &corpus::png(&p), 0, &options);
    check(&p, &t, FLOOR);
    assert!(t.text.contains("Grüße"), "umlauts: {}", t.text.as_str());
}

/// A page with its scan and an invisible OCR text layer over it, as a
/// scanner's "searchable PDF" or an earlier OCR run leaves it.
fn pdf_with_text_layer(p: &Page) -> Vec<u8> {
    let jpeg = corpus::jpeg(p, 85);
    let image = corpus::image_xobject(
        vec![
            ("Width", p.width.into()),
            ("Height", p.height.into()),
            ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 8.into()),
            ("Filter", Object::Name(b"DCTDecode".to_vec())),
        ],
        jpeg,
    );
    corpus::pdf(
        "q 612 0 0 264 0 528 cm /Im0 Do Q BT /F1 12 Tf 3 Tr 72 700 Td (an earlier layer) Tj ET",
        vec![image],
    )
}

#[test]
fn a_page_with_a_text_layer_is_skipped_in_auto_and_read_in_redo_and_force() {
    let p = page(13);
    let pdf = pdf_with_text_layer(&p);
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    assert!(doc.page_has_text_layer(0).expect("scan"));
    let mut auto = Engine::new(&Options::default()).expect("engine");
    assert!(matches!(
        auto.recognise_page(&doc, 0),
        Ok(PageOutcome::HasTextLayer)
    ));
    for mode in [Mode::Redo, Mode::Force] {
        let mut engine = Engine::new(&Options {
            mode,
            ..Options::default()
        })
        .expect("engine");
        let PageOutcome::Recognised(t) = engine.recognise_page(&doc, 0).expect("page") else {
            panic!("{mode:?} skipped the page");
        };
        check(&p, &t, FLOOR);
    }
    // A text-only page (no scan at all) has a text layer too.
    let text_only = corpus::pdf("BT /F1 12 Tf 72 700 Td (typed text) Tj ET", vec![]);
    let doc = Document::open(Kind::Pdf, &text_only, &Limits::default()).expect("opens");
    assert!(matches!(
        auto.recognise_page(&doc, 0),
        Ok(PageOutcome::HasTextLayer)
    ));
    let mut redo = Engine::new(&Options {
        mode: Mode::Redo,
        ..Options::default()
    })
    .expect("engine");
    assert!(matches!(
        redo.recognise_page(&doc, 0),
        Err(Error::NeedsRendering(_))
    ));
}

fn draw(name: &str) -> String {
    format!("q 612 0 0 264 0 528 cm /{name} Do Q")
}

fn mean(gray: &matterbox_ocr::Gray) -> f64 {
    gray.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / gray.pixels.len() as f64
}

#[test]
fn flate_and_ccitt_images_honour_black_is_1_and_decode_arrays() {
    let p = page(14);
    let (w, h) = (p.width, p.height);
    let dark_is_1 = corpus::one_bit_dark_is_1(&p);
    let flate = |decode: Option<Vec<Object>>| {
        let mut entries = vec![
            ("Width", w.into()),
            ("Height", h.into()),
            ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 1.into()),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ];
        if let Some(d) = decode {
            entries.push(("Decode", Object::Array(d)));
        }
        corpus::pdf(
            &draw("Im0"),
            vec![corpus::image_xobject(entries, corpus::zlib(&dark_is_1))],
        )
    };
    let mut g4 = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in p.pixels.chunks(w as usize) {
        let pels = row.iter().map(|&v| {
            if v < 128 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        g4.encode_line(pels, w).expect("G4");
    }
    let g4 = g4.finish().expect("G4").finish();
    let ccitt = |black_is_1: bool, decode: Option<Vec<Object>>, mask: bool| {
        let parms = dictionary! {
            "K" => -1, "Columns" => w, "Rows" => h, "BlackIs1" => black_is_1,
        };
        let mut entries = vec![
            ("Width", w.into()),
            ("Height", h.into()),
            ("Filter", Object::Name(b"CCITTFaxDecode".to_vec())),
            ("DecodeParms", Object::Dictionary(parms)),
        ];
        if mask {
            entries.push(("ImageMask", true.into()));
        } else {
            entries.push(("ColorSpace", Object::Name(b"DeviceGray".to_vec())));
            entries.push(("BitsPerComponent", 1.into()));
        }
        if let Some(d) = decode {
            entries.push(("Decode", Object::Array(d)));
        }
        corpus::pdf(
            &draw("Im0"),
            vec![corpus::image_xobject(entries, g4.clone())],
        )
    };
    let inverted = || Some(vec![1.into(), 0.into()]);
    let straight = || Some(vec![0.into(), 1.into()]);
    // (file, whether the page shows black text on white, as a viewer draws it)
    let cases = [
        ("flate, 1 = white (no Decode)", flate(None), false),
        ("flate, Decode [1 0]", flate(inverted()), true),
        ("G4, BlackIs1 false", ccitt(false, None, false), true),
        ("G4, BlackIs1 true", ccitt(true, None, false), false),
        (
            "G4, BlackIs1 true, Decode [1 0]",
            ccitt(true, inverted(), false),
            true,
        ),
        ("G4 image mask", ccitt(false, straight(), true), true),
    ];
    let mut engine = Engine::new(&Options::default()).expect("engine");
    for (name, pdf, black_on_white) in cases {
        let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
        let (gray, _) = doc.page_image(0).expect(name);
        assert_eq!((gray.width, gray.height), (w, h), "{name}");
        assert_eq!(
            mean(&gray) > 128.0,
            black_on_white,
            "{name}: mean {}",
            mean(&gray)
        );
        if black_on_white {
            let PageOutcome::Recognised(t) = engine.recognise_page(&doc, 0).expect(name) else {
                panic!("{name}: text layer?");
            };
            check(&p, &t, FLOOR);
        }
    }
}

/// A one-image page of `data` with the `filter`, 1-bit gray or a mask.
fn one_bit_image(page: &Page, filter: &str, data: Vec<u8>, extra: Vec<(&str, Object)>) -> Vec<u8> {
    let mut entries = vec![
        ("Width", page.width.into()),
        ("Height", page.height.into()),
        ("Filter", Object::Name(filter.as_bytes().to_vec())),
    ];
    if !extra.iter().any(|(k, _)| *k == "ImageMask") {
        entries.push(("ColorSpace", Object::Name(b"DeviceGray".to_vec())));
        entries.push(("BitsPerComponent", 1.into()));
    }
    entries.extend(extra);
    corpus::pdf(&draw("Im0"), vec![corpus::image_xobject(entries, data)])
}

#[test]
fn jbig2_scans_read_back_with_their_decode_arrays() {
    let p = page(16);
    let jbig2 = corpus::jbig2_mmr(&p, (p.width, p.height));
    let cases = [
        (
            "JBIG2",
            one_bit_image(&p, "JBIG2Decode", jbig2.clone(), vec![]),
            true,
        ),
        (
            "JBIG2, Decode [1 0]",
            one_bit_image(
                &p,
                "JBIG2Decode",
                jbig2.clone(),
                vec![("Decode", Object::Array(vec![1.into(), 0.into()]))],
            ),
            false,
        ),
        (
            "JBIG2 image mask",
            one_bit_image(
                &p,
                "JBIG2Decode",
                jbig2.clone(),
                vec![("ImageMask", true.into())],
            ),
            true,
        ),
    ];
    let mut engine = Engine::new(&Options::default()).expect("engine");
    for (name, pdf, black_on_white) in cases {
        let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
        let (gray, source) = doc.page_image(0).expect(name);
        assert_eq!(source, Source::PdfJbig2, "{name}");
        assert_eq!((gray.width, gray.height), (p.width, p.height), "{name}");
        assert_eq!(
            mean(&gray) > 128.0,
            black_on_white,
            "{name}: mean {}",
            mean(&gray)
        );
        if black_on_white {
            let PageOutcome::Recognised(t) = engine.recognise_page(&doc, 0).expect(name) else {
                panic!("{name}: text layer?");
            };
            check(&p, &t, FLOOR);
        }
    }
    // A stream whose page declares 50,000 × 50,000 pixels inside an image
    // of ordinary size is refused before the decoder allocates its page.
    let bomb = one_bit_image(
        &p,
        "JBIG2Decode",
        corpus::jbig2_mmr(&p, (50_000, 50_000)),
        vec![],
    );
    let doc = Document::open(Kind::Pdf, &bomb, &Limits::default()).expect("opens");
    assert!(matches!(doc.page_image(0), Err(Error::TooLarge { .. })));
}

#[test]
fn a_jpeg_2000_scan_reads_back() {
    let d = dir();
    let p = page(17);
    let jp2 = corpus::jp2(d.path(), &p);
    let pdf = corpus::img2pdf(d.path(), &[("scan.jp2", &jp2)]);
    assert!(
        pdf.windows(9).any(|w| w == b"JPXDecode"),
        "img2pdf embeds the JPEG 2000 file as it is"
    );
    let t = recognise(Kind::Pdf, &pdf, 0, &Options::default());
    assert_eq!(t.source, Source::PdfJpeg2000);
    check(&p, &t, FLOOR);
}

#[test]
fn encodings_that_are_not_decoded_are_named() {
    let image = |filter: &str, parms: Option<lopdf::Dictionary>| {
        let mut entries = vec![
            ("Width", 100.into()),
            ("Height", 100.into()),
            ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 1.into()),
            ("Filter", Object::Name(filter.as_bytes().to_vec())),
        ];
        if let Some(p) = parms {
            entries.push(("DecodeParms", Object::Dictionary(p)));
        }
        corpus::image_xobject(entries, vec![0; 64])
    };
    let open = |pdf: &[u8]| {
        let doc = Document::open(Kind::Pdf, pdf, &Limits::default()).expect("opens");
        doc.page_image(0).map(|_| ())
    };
    // JBIG2 and JPEG 2000 are decoded: junk in them is named as damage.
    let jbig2 = corpus::pdf(&draw("Im0"), vec![image("JBIG2Decode", None)]);
    assert!(matches!(open(&jbig2), Err(Error::Corrupt(r)) if r.contains("JBIG2")));
    let jpx = corpus::pdf(&draw("Im0"), vec![image("JPXDecode", None)]);
    assert!(matches!(open(&jpx), Err(Error::Corrupt(r)) if r.contains("JPEG 2000")));
    let g3_2d = corpus::pdf(
        &draw("Im0"),
        vec![image(
            "CCITTFaxDecode",
            Some(dictionary! { "K" => 4, "Columns" => 100 }),
        )],
    );
    assert!(matches!(open(&g3_2d), Err(Error::UnsupportedEncoding(r)) if r.contains("K > 0")));
    let lzw = corpus::pdf(&draw("Im0"), vec![image("LZWDecode", None)]);
    assert!(matches!(open(&lzw), Err(Error::UnsupportedEncoding(r)) if r.contains("LZWDecode")));
    let two = corpus::pdf(
        &format!("{} {}", draw("Im0"), draw("Im1")),
        vec![image("FlateDecode", None), image("FlateDecode", None)],
    );
    // Two images are composed now: their junk data is named as damage.
    assert!(matches!(open(&two), Err(Error::Corrupt(r)) if r.contains("inflate")));
    // An inline image with a filter (lopdf does not take those apart) is
    // the one image a page can draw that is not composed.
    let inline = corpus::pdf(
        "q 612 0 0 264 0 528 cm BI /W 8 /H 8 /BPC 8 /CS /G /F /Fl ID xxxxxxxx EI Q",
        vec![],
    );
    assert!(matches!(open(&inline), Err(Error::NeedsRendering(r)) if r.contains("inline")));
    // An image in the resources that the page does not draw is not counted.
    let unused = corpus::pdf(
        &draw("Im0"),
        vec![image("DCTDecode", None), image("JBIG2Decode", None)],
    );
    assert!(
        matches!(open(&unused), Err(Error::Corrupt(_))),
        "the DCT data is junk"
    );
}

#[test]
fn giant_pages_and_decompression_bombs_are_refused_before_allocating() {
    let limits = Limits::default();
    let too_large = |r: Result<(), Error>| matches!(r, Err(Error::TooLarge { .. }));
    let png = |w, h| {
        let bytes = corpus::png_claiming(w, h);
        let doc = Document::open(Kind::Png, &bytes, &limits).expect("a PNG opens lazily");
        doc.page_image(0).map(|_| ())
    };
    // 50,000 × 50,000 (2.5 gigapixels) from an 80-byte file.
    assert!(too_large(png(50_000, 50_000)));
    // A 30,000-pixel side.
    assert!(too_large(png(30_000, 10)));
    // 12,000 × 12,000: each side allowed, 144 megapixels not.
    assert!(too_large(png(12_000, 12_000)));
    let e = png(50_000, 50_000).expect_err("refused");
    assert_eq!(e.code(), "too_large");
    assert!(e.to_string().contains("50000 × 50000"), "{e}");

    // A PDF image declaring 60,000 × 60,000.
    let huge = corpus::image_xobject(
        vec![
            ("Width", 60_000.into()),
            ("Height", 60_000.into()),
            ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 8.into()),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ],
        corpus::zlib(&[0; 1024]),
    );
    let pdf = corpus::pdf(&draw("Im0"), vec![huge]);
    let doc = Document::open(Kind::Pdf, &pdf, &limits).expect("opens");
    assert!(too_large(doc.page_image(0).map(|_| ())));

    // A Flate bomb: a 1000 × 1000 image whose stream inflates to 256 MiB.
    // Only the 1 MB the image needs is ever inflated.
    let bomb = corpus::zlib(&vec![0u8; 256 << 20]);
    let image = corpus::image_xobject(
        vec![
            ("Width", 1000.into()),
            ("Height", 1000.into()),
            ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 8.into()),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ],
        bomb,
    );
    let pdf = corpus::pdf(&draw("Im0"), vec![image]);
    let doc = Document::open(Kind::Pdf, &pdf, &limits).expect("opens");
    let (gray, _) = doc.page_image(0).expect("the image's own megabyte decodes");
    assert_eq!(gray.pixels.len(), 1_000_000);

    // A TIFF declaring 40,000 × 40,000.
    let mut tiff = corpus::tiff_g4(&[&page(15)]);
    let ifd = u32::from_le_bytes(tiff[4..8].try_into().expect("4 bytes")) as usize;
    // ImageWidth, ImageLength and RowsPerStrip (entries 0, 1 and 6).
    for entry in [0, 1, 6] {
        let value = ifd + 2 + entry * 12 + 8;
        tiff[value..value + 4].copy_from_slice(&40_000u32.to_le_bytes());
    }
    let doc = Document::open(Kind::Tiff, &tiff, &limits).expect("opens");
    assert!(too_large(doc.page_image(0).map(|_| ())));
}

#[test]
fn corrupt_files_are_errors_never_panics() {
    let p = page(16);
    let jpeg = corpus::jpeg(&p, 80);
    let png = corpus::png(&p);
    let tiff = corpus::tiff_g4(&[&p]);
    let d = dir();
    let pdf = corpus::img2pdf(d.path(), &[("p.jpg", &jpeg)]);
    let limits = Limits::default();
    let attempt = |kind: Kind, bytes: &[u8]| -> Result<(), Error> {
        let doc = Document::open(kind, bytes, &limits)?;
        for i in 0..doc.page_count() {
            doc.page_image(i)?;
        }
        Ok(())
    };
    // Cut short, and garbage behind a real signature.
    for (kind, bytes) in [
        (Kind::Jpeg, &jpeg),
        (Kind::Png, &png),
        (Kind::Tiff, &tiff),
        (Kind::Pdf, &pdf),
    ] {
        let cut = &bytes[..bytes.len() / 3];
        let _ = attempt(kind, cut);
        let mut garbage = bytes[..16].to_vec();
        garbage.extend(std::iter::repeat_n(0xA5, 4096));
        assert!(
            attempt(kind, &garbage).is_err(),
            "{kind:?} garbage was accepted"
        );
    }
    assert!(matches!(
        attempt(Kind::Png, &png[..png.len() / 3]),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        attempt(Kind::Jpeg, b"\xFF\xD8\xFF\xE0 not a jpeg"),
        Err(Error::Corrupt(_))
    ));
    // Flipped bytes throughout each file (a cheap fuzz; the fuzz targets go
    // further): every outcome is a value.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for (kind, bytes) in [(Kind::Png, &png), (Kind::Tiff, &tiff), (Kind::Pdf, &pdf)] {
        for _ in 0..25 {
            let mut damaged = bytes.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state as usize) % damaged.len();
                damaged[i] ^= (state >> 32) as u8 | 1;
            }
            let _ = attempt(kind, &damaged);
        }
    }
    assert_eq!(Kind::sniff(b"hello"), None);
    assert_eq!(Kind::sniff(&png), Some(Kind::Png));
    assert_eq!(Kind::sniff(&jpeg), Some(Kind::Jpeg));
    assert_eq!(Kind::sniff(&tiff), Some(Kind::Tiff));
    assert_eq!(Kind::sniff(&pdf), Some(Kind::Pdf));
}

#[test]
fn languages_are_listed_and_a_missing_one_names_its_package() {
    let installed = matterbox_ocr::available_languages(None).expect("tessdata");
    assert!(installed.contains(&"eng".to_string()), "{installed:?}");
    assert!(
        !installed.contains(&"osd".to_string()),
        "osd is not a language"
    );
    let missing = Options {
        languages: vec!["eng".into(), "xho".into()],
        ..Options::default()
    };
    match Engine::new(&missing) {
        Err(e @ Error::MissingLanguage { .. }) => {
            assert_eq!(
                e.to_string(),
                "the OCR language 'xho' is not installed (Debian package tesseract-ocr-xho)"
            );
        }
        other => panic!("{:?}", other.err()),
    }
    let chi = Options {
        languages: vec!["chi_sim".into()],
        ..Options::default()
    };
    if !installed.contains(&"chi_sim".to_string()) {
        assert!(
            matches!(Engine::new(&chi), Err(Error::MissingLanguage { package, .. }) if package == "tesseract-ocr-chi-sim")
        );
    }
    for bad in ["../eng", "eng+deu", ""] {
        let o = Options {
            languages: vec![bad.into()],
            ..Options::default()
        };
        assert!(
            matches!(Engine::new(&o), Err(Error::InvalidLanguage(_))),
            "{bad:?}"
        );
    }
    // Orientation detection needs osd.traineddata.
    let d = dir();
    let tessdata = matterbox_ocr::tessdata_dir(None).expect("tessdata");
    std::fs::copy(
        tessdata.join("eng.traineddata"),
        d.path().join("eng.traineddata"),
    )
    .expect("copy");
    let no_osd = Options {
        tessdata: Some(d.path().to_path_buf()),
        ..Options::default()
    };
    assert!(
        matches!(Engine::new(&no_osd), Err(Error::MissingLanguage { package, .. }) if package == "tesseract-ocr-osd")
    );
    let without = Options {
        detect_orientation: false,
        ..no_osd
    };
    let p = page(17);
    let t = recognise(Kind::Png, &corpus::png(&p), 0, &without);
    check(&p, &t, FLOOR);
}

/// Recognition run in a child process whose temporary folder, home and
/// working folder are empty private folders (and under strace where it is
/// installed): afterwards they are still empty, and no file was opened for
/// writing anywhere.
#[test]
fn recognition_writes_nothing_to_disk() {
    if std::env::var_os("MATTERBOX_OCR_CHILD").is_some() {
        return;
    }
    let sandbox = dir();
    let (tmp, home, cwd) = (
        sandbox.path().join("tmp"),
        sandbox.path().join("home"),
        sandbox.path().join("cwd"),
    );
    for d in [&tmp, &home, &cwd] {
        std::fs::create_dir(d).expect("mkdir");
    }
    let exe = std::env::current_exe().expect("test binary");
    let trace = sandbox.path().join("trace");
    let strace = std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_ok();
    let mut command = if strace {
        let mut c = std::process::Command::new("strace");
        c.args(["-f", "-qq", "-e", "trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,unlink,unlinkat,truncate", "-o"])
            .arg(&trace)
            .arg(&exe);
        c
    } else {
        std::process::Command::new(&exe)
    };
    let output = command
        .args([
            "--exact",
            "child_recognises_a_page_of_each_kind",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MATTERBOX_OCR_CHILD", "1")
        .env("TMPDIR", &tmp)
        .env("TEMP", &tmp)
        .env("TMP", &tmp)
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .current_dir(&cwd)
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("child recognised 4 pages"), "{stdout}");
    for d in [&tmp, &home, &cwd] {
        let left: Vec<_> = std::fs::read_dir(d).expect("read").collect();
        assert!(left.is_empty(), "{} holds {left:?}", d.display());
    }
    if strace {
        let log = std::fs::read_to_string(&trace).expect("trace");
        let writes: Vec<&str> = log
            .lines()
            .filter(|l| {
                let opened_for_writing = (l.contains("open") || l.contains("creat"))
                    && (l.contains("O_WRONLY")
                        || l.contains("O_RDWR")
                        || l.contains("O_CREAT")
                        || l.contains("creat("));
                let other = [
                    "mkdir", "rename", "link(", "linkat", "symlink", "unlink", "truncate",
                ]
                .iter()
                .any(|s| l.contains(s));
                (opened_for_writing || other)
                    && !l.contains("ENOENT")
                    && !l.contains("\"/dev/null\"")
                    && !l.contains("\"/dev/tty\"")
            })
            .collect();
        assert!(writes.is_empty(), "writes seen:\n{}", writes.join("\n"));
        assert!(
            log.contains("eng.traineddata"),
            "the trace covers Tesseract's start"
        );
    }
}

/// The child of [`recognition_writes_nothing_to_disk`]; a no-op when run
/// on its own.
#[test]
fn child_recognises_a_page_of_each_kind() {
    if std::env::var_os("MATTERBOX_OCR_CHILD").is_none() {
        return;
    }
    let p = page(18);
    let mut engine = Engine::new(&Options::default()).expect("engine");
    let inputs = [
        (Kind::Png, corpus::png(&p)),
        (Kind::Jpeg, corpus::jpeg(&p, 80)),
        (Kind::Tiff, corpus::tiff_g4(&[&p])),
        (
            Kind::Png,
            corpus::png(&corpus::turned(&corpus::skewed(&p, 3.0), 1)),
        ),
    ];
    let mut done = 0;
    for (kind, bytes) in &inputs {
        let doc = Document::open(*kind, bytes, &Limits::default()).expect("opens");
        let PageOutcome::Recognised(t) = engine.recognise_page(&doc, 0).expect("page") else {
            panic!("no text layer");
        };
        check(&p, &t, 0.9);
        done += 1;
    }
    println!("child recognised {done} pages");
}

// Pages made of several images, composed (crates/ocr/src/compose.rs).

/// A 2550 × 1100 page (8.5 × 3.67 inches at 300 dpi) is 612 × 264 points.
const PAGE_PT: [f32; 4] = [0.0, 0.0, 612.0, 264.0];

/// The page in three horizontal JPEG strips, each drawn where it goes.
fn three_strips(p: &Page) -> Vec<u8> {
    let heights = [367u32, 367, 366];
    let mut content = String::new();
    let mut top = 0;
    for (i, h) in heights.iter().enumerate() {
        // Points from the bottom of the page to the strip's bottom edge.
        let bottom = (p.height - top - h) as f32 * 72.0 / 300.0;
        let height = *h as f32 * 72.0 / 300.0;
        content.push_str(&format!("q 612 0 0 {height} 0 {bottom} cm /S{i} Do Q\n"));
        top += h;
    }
    corpus::pdf_page(&content, PAGE_PT, 0, |doc| {
        let mut top = 0;
        heights
            .iter()
            .enumerate()
            .map(|(i, &h)| {
                let s = corpus::strip(p, top, h);
                top += h;
                (
                    format!("S{i}"),
                    doc.add_object(corpus::jpeg_xobject(&s, 85)),
                )
            })
            .collect()
    })
}

fn composed(pdf: &[u8], expected: &Page, floor: f64) -> PageText {
    let t = recognise(Kind::Pdf, pdf, 0, &Options::default());
    assert_eq!(t.source, Source::PdfComposed);
    assert_eq!(t.dpi, Some(300));
    assert_eq!(
        t.orientation_applied, 0,
        "the page is composed upright, not left to orientation detection"
    );
    check(expected, &t, floor);
    t
}

#[test]
fn a_page_stored_as_three_strips_is_composed_and_read() {
    let p = page(20);
    let t = composed(&three_strips(&p), &p, FLOOR);
    assert_eq!((t.width, t.height), (p.width, p.height));
}

/// A light, uneven background (a 100 dpi JPEG, as MRC compressors keep
/// the paper) under the text layer: `mask` drawn as an `/ImageMask` in
/// the fill colour `fill`.
fn mrc(p: &Page, mask: lopdf::Stream, fill: &str) -> Vec<u8> {
    let (bw, bh) = (p.width / 3, p.height / 3);
    let background = Page {
        width: bw,
        height: bh,
        pixels: (0..bw * bh)
            .map(|i| 205 + ((i % bw) * 40 / bw) as u8 + ((i / bw) % 7) as u8)
            .collect(),
        text: String::new(),
        dpi: 100,
    };
    corpus::pdf_page(
        &format!("q 612 0 0 264 0 0 cm /Bg Do Q q {fill} 612 0 0 264 0 0 cm /Fg Do Q"),
        PAGE_PT,
        0,
        |doc| {
            vec![
                (
                    "Bg".into(),
                    doc.add_object(corpus::jpeg_xobject(&background, 60)),
                ),
                ("Fg".into(), doc.add_object(mask)),
            ]
        },
    )
}

#[test]
fn an_mrc_page_of_a_jpeg_background_and_a_text_mask_is_composed_and_read() {
    let p = page(21);
    let (w, h) = (p.width, p.height);
    // JBIG2 (1 = black), the text layer of office scanners' MRC output.
    let jbig2 = corpus::image_xobject(
        vec![
            ("Width", w.into()),
            ("Height", h.into()),
            ("ImageMask", true.into()),
            ("Filter", Object::Name(b"JBIG2Decode".to_vec())),
            ("Decode", Object::Array(vec![1.into(), 0.into()])),
        ],
        corpus::jbig2_mmr(&p, (w, h)),
    );
    composed(&mrc(&p, jbig2, "0.1 g"), &p, FLOOR);
    // Flate samples, 1 where dark, so painted only with Decode [1 0]; in
    // a dark blue fill.
    let flate = |decode: Option<Vec<Object>>| {
        let mut entries = vec![
            ("Width", w.into()),
            ("Height", h.into()),
            ("ImageMask", true.into()),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ];
        if let Some(d) = decode {
            entries.push(("Decode", Object::Array(d)));
        }
        corpus::image_xobject(entries, corpus::zlib(&corpus::one_bit_dark_is_1(&p)))
    };
    composed(
        &mrc(&p, flate(Some(vec![1.into(), 0.into()])), "0.1 0.1 0.4 rg"),
        &p,
        FLOOR,
    );
    // Without the Decode array the mask paints the paper, not the text:
    // a page of dark paint with the letters cut out in the background.
    let unmarked = mrc(&p, flate(None), "0 g");
    let doc = Document::open(Kind::Pdf, &unmarked, &Limits::default()).expect("opens");
    let (gray, _) = doc.page_image(0).expect("composes");
    assert!(mean(&gray) < 64.0, "mean {}", mean(&gray));
}

#[test]
fn an_image_placed_by_a_scaled_form_is_composed_and_read() {
    let p = page(22);
    // The form draws the image at twice the page's size and scales
    // itself by a half; a small logo beside it is a second image.
    let content = "q 0.5 0 0 0.5 0 0 cm /F Do Q q 20 0 0 20 580 240 cm /Logo Do Q";
    let pdf = corpus::pdf_page(content, PAGE_PT, 0, |doc| {
        let image = doc.add_object(corpus::jpeg_xobject(&p, 85));
        let form = lopdf::Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 1224.into(), 528.into()],
                "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 0.into(), 0.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Im" => image } },
            },
            b"q 1224 0 0 528 0 0 cm /Im Do Q".to_vec(),
        );
        let logo = corpus::image_xobject(
            vec![
                ("Width", 2.into()),
                ("Height", 2.into()),
                ("ColorSpace", Object::Name(b"DeviceGray".to_vec())),
                ("BitsPerComponent", 8.into()),
            ],
            vec![200, 220, 220, 200],
        );
        vec![
            ("F".into(), doc.add_object(form)),
            ("Logo".into(), doc.add_object(logo)),
        ]
    });
    composed(&pdf, &p, FLOOR);
}

#[test]
fn a_page_with_rotate_90_is_read_upright() {
    // Scanned sideways (the page's image turned a quarter anticlockwise,
    // on a portrait MediaBox) and shown upright by /Rotate 90.
    let p = page(23);
    let sideways = corpus::turned(&p, 3);
    let portrait = [0.0, 0.0, 264.0, 612.0];
    // One image: the fast path, turned.
    let pdf = corpus::pdf_page("q 264 0 0 612 0 0 cm /Im Do Q", portrait, 90, |doc| {
        vec![(
            "Im".into(),
            doc.add_object(corpus::jpeg_xobject(&sideways, 85)),
        )]
    });
    let t = recognise(Kind::Pdf, &pdf, 0, &Options::default());
    assert_eq!(t.source, Source::PdfJpeg);
    assert_eq!(
        (t.width, t.height, t.orientation_applied),
        (p.width, p.height, 0)
    );
    check(&p, &t, FLOOR);
    // Two halves of the sideways image: composed, turned.
    let half = sideways.height / 2;
    let content = "q 264 0 0 306 0 306 cm /A Do Q q 264 0 0 306 0 0 cm /B Do Q";
    let pdf = corpus::pdf_page(content, portrait, 90, |doc| {
        vec![
            (
                "A".into(),
                doc.add_object(corpus::jpeg_xobject(&corpus::strip(&sideways, 0, half), 85)),
            ),
            (
                "B".into(),
                doc.add_object(corpus::jpeg_xobject(
                    &corpus::strip(&sideways, half, sideways.height - half),
                    85,
                )),
            ),
        ]
    });
    let t = composed(&pdf, &p, FLOOR);
    assert_eq!((t.width, t.height), (p.width, p.height));
}

/// What composing costs beside the single-image path, on the same
/// 2550 × 1100 page (printed with --nocapture; nothing is asserted on
/// time).
#[test]
fn composing_costs_beside_the_single_image_path() {
    let p = page(24);
    let single = corpus::pdf_page("q 612 0 0 264 0 0 cm /Im Do Q", PAGE_PT, 0, |doc| {
        vec![("Im".into(), doc.add_object(corpus::jpeg_xobject(&p, 85)))]
    });
    let strips = three_strips(&p);
    let time = |pdf: &[u8]| {
        let doc = Document::open(Kind::Pdf, pdf, &Limits::default()).expect("opens");
        let _ = doc.page_image(0).expect("page");
        let runs = 5;
        let started = std::time::Instant::now();
        for _ in 0..runs {
            let _ = doc.page_image(0).expect("page");
        }
        started.elapsed() / runs
    };
    let (one, three) = (time(&single), time(&strips));
    println!(
        "page image, 2550 x 1100: one JPEG {:.1} ms (single-image path), three JPEG strips {:.1} ms (composed)",
        one.as_secs_f64() * 1000.0,
        three.as_secs_f64() * 1000.0
    );
}
