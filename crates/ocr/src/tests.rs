use crate::gray::Gray;
use crate::{Kind, Limits, tess};

#[test]
fn kinds_are_known_by_signature() {
    let check = |bytes: &[u8], expect: Option<Kind>| assert_eq!(Kind::sniff(bytes), expect);
    check(b"%PDF-1.7\n", Some(Kind::Pdf));
    check(b"\x89PNG\r\n\x1a\n....", Some(Kind::Png));
    check(&[0xFF, 0xD8, 0xFF, 0xE0], Some(Kind::Jpeg));
    check(b"II*\0\x08\0\0\0", Some(Kind::Tiff));
    check(b"MM\0*\0\0\0\x08", Some(Kind::Tiff));
    check(b"PK\x03\x04", None);
    check(b"", None);
}

#[test]
fn limits_refuse_by_side_pixels_and_bytes() {
    let l = Limits::default();
    assert!(l.check(2550, 3300, 8).is_ok());
    assert!(l.check(20_000, 5_000, 8).is_ok());
    assert!(l.check(20_001, 10, 8).is_err());
    assert!(
        l.check(10_001, 10_000, 8).is_err(),
        "100 megapixels is the most"
    );
    assert!(
        l.check(10_000, 10_000, 32).is_err(),
        "400 MB of samples is over the budget"
    );
    assert!(l.check(0, 10, 8).is_err());
    assert!(
        l.check(u64::from(u32::MAX), u64::from(u32::MAX), 64)
            .is_err(),
        "no overflow"
    );
}

#[test]
fn orientation_is_the_commonest_line_angle() {
    let line = |angle: Option<u16>, text: &str| match angle {
        Some(a) => format!(
            "<span class='ocr_line' title=\"bbox 0 0 1 1; textangle {a}; x_size 30\">{text}</span>"
        ),
        None => format!("<span class='ocr_line' title=\"bbox 0 0 1 1; x_size 30\">{text}</span>"),
    };
    assert_eq!(tess::orientation_of(""), 0);
    assert_eq!(tess::orientation_of(&line(None, "upright")), 0);
    assert_eq!(
        tess::orientation_of(&(line(Some(180), "a long line of text") + &line(None, "x"))),
        180
    );
    assert_eq!(
        tess::orientation_of(&(line(Some(270), "one") + &line(Some(90), "a much longer line"))),
        90
    );
}

#[test]
fn debian_package_names() {
    assert_eq!(tess::debian_package("eng"), "tesseract-ocr-eng");
    assert_eq!(tess::debian_package("chi_sim"), "tesseract-ocr-chi-sim");
    assert_eq!(tess::debian_package("osd"), "tesseract-ocr-osd");
}

#[test]
fn quarter_turns_move_pixels_where_expected() {
    // 3 × 2, a marker at (0, 0).
    let mut g = Gray::white(3, 2);
    g.pixels[0] = 0;
    let cw = g.rotated(1);
    assert_eq!((cw.width, cw.height), (2, 3));
    assert_eq!(cw.pixels[1], 0, "top-left goes to top-right");
    let ccw = g.rotated(3);
    assert_eq!(ccw.pixels[2 * 2], 0, "top-left goes to bottom-left");
    assert_eq!(g.rotated(2).pixels[5], 0);
}

#[test]
fn deskew_measures_a_turned_bar_pattern() {
    // Horizontal bars, turned by 3 degrees: measured back within 0.3.
    let mut g = Gray::white(1200, 900);
    for y in 0..900usize {
        if (y / 12) % 3 == 0 && (100..800).contains(&y) {
            for x in 100..1100usize {
                g.pixels[y * 1200 + x] = 0;
            }
        }
    }
    assert!(crate::deskew::measure(&g).abs() < 0.2);
    let turned = crate::deskew::rotate(&g, 3.0);
    let measured = crate::deskew::measure(&turned);
    assert!((measured + 3.0).abs() < 0.3, "measured {measured}");
}

#[test]
fn tsv_words_keep_their_boxes_and_lines() {
    let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
        1\t1\t0\t0\t0\t0\t0\t0\t800\t600\t-1\t\n\
        5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t96.5\tThe\n\
        5\t1\t1\t1\t1\t2\t50\t20\t60\t40\t95.1\tcovenant\n\
        5\t1\t1\t1\t1\t3\t120\t20\t5\t40\t10.0\t \n\
        5\t1\t2\t1\t1\t1\t10\t90\t70\t40\t91.0\tΩμέγα\n";
    let words = tess::words_of_tsv(tsv);
    let got: Vec<(&str, u32, u32, u32)> = words
        .iter()
        .map(|w| (w.text.as_str(), w.left, w.top, w.line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("The", 10, 20, 1),
            ("covenant", 50, 20, 1),
            ("Ωμέγα", 10, 90, 2)
        ]
    );
    assert_eq!((words[1].width, words[1].height), (60, 40));
}
