//! One test per compositing rule, on small PDFs made here with lopdf: a
//! one-inch page (300 × 300 pixels at 300 dpi) and images of a few pixels.
//! Each page also draws a white dot in its corner, so it is composed
//! (a page of one plain image takes the fast path instead).

use lopdf::{Dictionary, Document as Pdf, Object, Stream, dictionary};

use crate::gray::Gray;
use crate::{Document, Error, Kind, Limits, Source};

/// An uncompressed 8-bit gray image of `width` × `height` samples.
fn gray_image(width: u32, height: u32, samples: &[u8], extra: Vec<(&str, Object)>) -> Stream {
    let mut dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image",
        "Width" => width, "Height" => height,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
    };
    for (k, v) in extra {
        dict.set(k, v);
    }
    Stream::new(dict, samples.to_vec())
}

/// A 1-bit stencil mask (`/ImageMask`), one row of `bits` ('0'/'1').
fn stencil(bits: &str, extra: Vec<(&str, Object)>) -> Stream {
    let mut byte = 0u8;
    for (i, b) in bits.chars().enumerate() {
        if b == '1' {
            byte |= 0x80 >> i;
        }
    }
    let mut dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image",
        "Width" => bits.len() as i64, "Height" => 1, "ImageMask" => true,
    };
    for (k, v) in extra {
        dict.set(k, v);
    }
    Stream::new(dict, vec![byte])
}

/// A page whose `content` draws the named XObjects (images or forms
/// made by `objects`, which may refer to each other through the ids it
/// is given), plus the white dot `/Dot`.
struct Page {
    doc: Pdf,
    page: Dictionary,
    xobjects: Dictionary,
}

impl Page {
    fn new(media_box: [i64; 4]) -> Page {
        let mut doc = Pdf::with_version("1.5");
        let dot = doc.add_object(gray_image(1, 1, &[255], vec![]));
        let mut xobjects = Dictionary::new();
        xobjects.set("Dot", dot);
        Page {
            doc,
            page: dictionary! {
                "Type" => "Page",
                "MediaBox" => media_box.iter().map(|&v| Object::Integer(v)).collect::<Vec<_>>(),
            },
            xobjects,
        }
    }

    fn xobject(mut self, name: &str, stream: Stream) -> Page {
        let id = self.doc.add_object(stream);
        self.xobjects.set(name, id);
        self
    }

    fn attr(mut self, key: &str, value: Object) -> Page {
        self.page.set(key, value);
        self
    }

    /// The PDF's bytes, the page drawing `content` then the dot.
    fn pdf(mut self, content: &str) -> Vec<u8> {
        let content = format!("q {content} Q\nq 1 0 0 1 0 0 cm /Dot Do Q");
        let pages_id = self.doc.new_object_id();
        let resources = self
            .doc
            .add_object(dictionary! { "XObject" => self.xobjects });
        let content_id = self
            .doc
            .add_object(Stream::new(dictionary! {}, content.into_bytes()));
        self.page.set("Parent", pages_id);
        self.page.set("Contents", content_id);
        self.page.set("Resources", resources);
        let page_id = self.doc.add_object(self.page);
        self.doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            }),
        );
        let catalog = self
            .doc
            .add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        self.doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        self.doc.save_to(&mut out).expect("PDF saves");
        out
    }
}

fn inch() -> Page {
    Page::new([0, 0, 72, 72])
}

fn compose_with(pdf: &[u8], limits: &Limits) -> Result<Gray, Error> {
    let doc = Document::open(Kind::Pdf, pdf, limits)?;
    let (gray, source) = doc.page_image(0)?;
    assert_eq!(source, Source::PdfComposed);
    Ok(gray)
}

fn compose(pdf: &[u8]) -> Gray {
    compose_with(pdf, &Limits::default()).expect("the page composes")
}

fn at(g: &Gray, x: u32, y: u32) -> u8 {
    g.pixels[(y * g.width + x) as usize]
}

/// Samples the page at the centres of its quadrants: top left, top
/// right, bottom left, bottom right.
/// Quadrant samples equal to `expected` within 2 (bilinear rounding).
#[track_caller]
fn assert_near(got: [u8; 4], expected: [u8; 4], why: &str) {
    assert!(
        got.iter().zip(expected).all(|(&g, e)| g.abs_diff(e) <= 2),
        "{why}: got {got:?}, expected {expected:?}"
    );
}

fn quadrants(g: &Gray) -> [u8; 4] {
    let (w, h) = (g.width, g.height);
    [
        at(g, w / 4, h / 4),
        at(g, 3 * w / 4, h / 4),
        at(g, w / 4, 3 * h / 4),
        at(g, 3 * w / 4, 3 * h / 4),
    ]
}

#[test]
fn a_page_is_composed_at_300_dpi_with_its_dot() {
    let g = compose(&inch().pdf("/Dot Do"));
    assert_eq!((g.width, g.height, g.dpi), (300, 300, Some(300)));
    assert!(g.pixels.iter().all(|&p| p == 255));
}

#[test]
fn cm_concatenates_onto_the_current_matrix() {
    // Scale to a half inch, then move by one (scaled) unit: the image
    // lands in the top right quadrant. The other order would put it at
    // one point from the corner.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 36 0 0 36 0 0 cm 1 0 0 1 1 1 cm /Im0 Do Q");
    assert_near(quadrants(&compose(&pdf)), [255, 0, 255, 255], "quadrants");
}

#[test]
fn q_and_q_save_and_restore_the_matrix() {
    // The scale inside q … Q is gone after Q: the image is placed by the
    // later cm alone, in the bottom right quadrant.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 2 0 0 2 0 0 cm Q q 36 0 0 36 36 0 cm /Im0 Do Q");
    assert_near(quadrants(&compose(&pdf)), [255, 255, 255, 0], "quadrants");
    // A Q with nothing saved changes nothing.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("Q Q q 36 0 0 36 36 0 cm /Im0 Do Q");
    assert_near(quadrants(&compose(&pdf)), [255, 255, 255, 0], "quadrants");
}

#[test]
fn image_rows_run_down_the_page() {
    // A 1 × 2 image: its first row (black) is the top of the page.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 2, &[0, 255], vec![]))
        .pdf("72 0 0 72 0 0 cm /Im0 Do");
    assert_near(quadrants(&compose(&pdf)), [0, 0, 255, 255], "quadrants");
}

#[test]
fn a_decode_array_of_1_0_inverts_samples() {
    let invert = || vec![("Decode", Object::Array(vec![1.into(), 0.into()]))];
    let pdf = inch()
        .xobject("A", gray_image(1, 1, &[0], invert()))
        .xobject("B", gray_image(1, 1, &[255], invert()))
        .xobject("C", gray_image(1, 1, &[0], vec![]))
        .pdf("q 36 0 0 72 0 0 cm /A Do Q q 36 0 0 36 36 36 cm /B Do Q q 36 0 0 36 36 0 cm /C Do Q");
    // A: black sample shown white; B: white sample shown black; C plain.
    assert_near(quadrants(&compose(&pdf)), [255, 0, 255, 0], "quadrants");
}

#[test]
fn an_image_mask_paints_its_0_samples_with_the_fill_colour() {
    // A mid-gray background, then a two-sample stencil over the page.
    let page = |mask: Stream, fill: &str| {
        inch()
            .xobject("Bg", gray_image(1, 1, &[128], vec![]))
            .xobject("M", mask)
            .pdf(&format!(
                "q 72 0 0 72 0 0 cm /Bg Do Q {fill} q 72 0 0 72 0 0 cm /M Do Q"
            ))
    };
    let black = compose(&page(stencil("01", vec![]), "0 g"));
    assert_near(quadrants(&black), [0, 128, 0, 128], "0 paints, 1 does not");
    let inverted = compose(&page(
        stencil(
            "01",
            vec![("Decode", Object::Array(vec![1.into(), 0.into()]))],
        ),
        "0 g",
    ));
    assert_near(
        quadrants(&inverted),
        [128, 0, 128, 0],
        "Decode [1 0]: 1 paints",
    );
    let white = compose(&page(stencil("01", vec![]), "1 g"));
    assert_near(quadrants(&white), [255, 128, 255, 128], "the fill colour");
    let cmyk = compose(&page(stencil("01", vec![]), "0 0 0 1 k"));
    assert!(quadrants(&cmyk)[0] <= 2, "full black ink");
    // The initial fill colour is black.
    let initial = compose(&page(stencil("01", vec![]), ""));
    assert_near(quadrants(&initial), [0, 128, 0, 128], "quadrants");
}

#[test]
fn a_soft_mask_and_a_stencil_mask_blend_an_image() {
    let mut doc_page = inch();
    let smask = doc_page.doc.add_object(gray_image(2, 1, &[255, 0], vec![]));
    let mask = doc_page.doc.add_object(stencil("10", vec![]));
    doc_page = doc_page
        .xobject("S", gray_image(1, 1, &[0], vec![("SMask", smask.into())]))
        .xobject("M", gray_image(1, 1, &[0], vec![("Mask", mask.into())]));
    let pdf = doc_page.pdf("q 72 0 0 36 0 36 cm /S Do Q q 72 0 0 36 0 0 cm /M Do Q");
    // Soft: opaque on the left. Stencil /Mask: painted where it is 0.
    assert_near(quadrants(&compose(&pdf)), [0, 255, 255, 0], "quadrants");
}

#[test]
fn images_are_clipped_to_the_page_and_to_clipping_rectangles() {
    // Far larger than the page: it covers the page, nothing more.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 720 0 0 720 -360 -360 cm /Im0 Do Q");
    let g = compose(&pdf);
    assert_eq!((g.width, g.height), (300, 300));
    assert_near(quadrants(&g), [0, 0, 0, 0], "quadrants");
    // Clipped to the left half, under a scale (the clip is in user space).
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 2 0 0 2 0 0 cm 0 0 18 36 re W n 0.5 0 0 0.5 0 0 cm 72 0 0 72 0 0 cm /Im0 Do Q");
    assert_near(quadrants(&compose(&pdf)), [0, 255, 0, 255], "quadrants");
    // Q ends the clip.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 0 0 36 72 re W n Q 72 0 0 72 0 0 cm /Im0 Do");
    assert_near(quadrants(&compose(&pdf)), [0, 0, 0, 0], "quadrants");
    // Wholly off the page: nothing to compose.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("q 72 0 0 72 500 500 cm /Im0 Do Q");
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    // The dot is on the page, so the page composes, all white.
    let (g, _) = doc.page_image(0).expect("composes");
    assert!(g.pixels.iter().all(|&p| p == 255));
}

#[test]
fn a_form_places_its_images_through_its_matrix_and_bbox() {
    let mut page = inch();
    let image = page.doc.add_object(gray_image(1, 1, &[0], vec![]));
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 72.into(), 72.into()],
            "Matrix" => vec![0.5.into(), 0.into(), 0.into(), 0.5.into(), 36.into(), 36.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "I" => image } },
        },
        b"q 144 0 0 144 0 0 cm /I Do Q".to_vec(),
    );
    // The image is twice the form's box; the BBox clips it to the box,
    // which the Matrix puts in the top right quadrant.
    let pdf = page.xobject("F", form).pdf("/F Do");
    assert_near(quadrants(&compose(&pdf)), [255, 0, 255, 255], "quadrants");
}

#[test]
fn a_rotated_page_is_turned_upright() {
    // A landscape page, black on its left half, shown turned clockwise:
    // the left half comes to the top.
    let pdf = Page::new([0, 0, 72, 36])
        .xobject("Im0", gray_image(2, 1, &[0, 255], vec![]))
        .attr("Rotate", 90.into())
        .pdf("72 0 0 36 0 0 cm /Im0 Do");
    let g = compose(&pdf);
    assert_eq!((g.width, g.height), (150, 300));
    assert_near(quadrants(&g), [0, 0, 255, 255], "quadrants");
    // -90 (as 270): the left half goes to the bottom.
    let pdf = Page::new([0, 0, 72, 36])
        .xobject("Im0", gray_image(2, 1, &[0, 255], vec![]))
        .attr("Rotate", (-90).into())
        .pdf("72 0 0 36 0 0 cm /Im0 Do");
    assert_near(quadrants(&compose(&pdf)), [255, 255, 0, 0], "quadrants");
    // A CropBox takes part of the page.
    let pdf = Page::new([0, 0, 144, 72])
        .xobject("Im0", gray_image(2, 1, &[0, 255], vec![]))
        .attr(
            "CropBox",
            Object::Array(vec![72.into(), 0.into(), 144.into(), 72.into()]),
        )
        .pdf("q 72 0 0 72 0 0 cm /Dot Do Q q 72 0 0 72 72 0 cm /Im0 Do Q");
    let g = compose(&pdf);
    assert_eq!((g.width, g.height), (300, 300));
    assert_near(quadrants(&g), [0, 255, 0, 255], "quadrants");
}

#[test]
fn a_page_too_large_is_refused_and_a_large_one_composed_at_a_lower_resolution() {
    // 100 inches square: 30,000 pixels a side at 300 dpi, 15,000 at 150
    // (225 megapixels): refused before any page bitmap is allocated.
    let pdf = Page::new([0, 0, 7200, 7200])
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("72 0 0 72 0 0 cm /Im0 Do");
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    let e = doc.page_image(0).expect_err("refused");
    assert!(
        matches!(
            e,
            Error::TooLarge {
                width: 30_000,
                height: 30_000,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.code(), "too_large");
    // Four inches under a one-megapixel limit: composed at 250 dpi.
    let limits = Limits {
        max_pixels: 1_000_000,
        ..Limits::default()
    };
    let pdf = Page::new([0, 0, 288, 288])
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf("288 0 0 144 0 0 cm /Im0 Do");
    let g = compose_with(&pdf, &limits).expect("composes smaller");
    assert_eq!((g.width, g.height, g.dpi), (1000, 1000, Some(250)));
    assert_near(quadrants(&g), [255, 255, 0, 0], "quadrants");
}

#[test]
fn a_shrunk_image_is_averaged_not_sampled() {
    // Thin black lines every fourth row of a 1200-row image shrunk onto
    // 300 rows: each page row averages them (about 191), never all white.
    let mut samples = vec![255u8; 1200];
    for (i, s) in samples.iter_mut().enumerate() {
        if i % 4 == 0 {
            *s = 0;
        }
    }
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1200, &samples, vec![]))
        .pdf("72 0 0 72 0 0 cm /Im0 Do");
    let g = compose(&pdf);
    for y in (10..290).step_by(7) {
        let v = at(&g, 150, y);
        assert!((150..=230).contains(&v), "row {y}: {v}");
    }
}

#[test]
fn hostile_content_is_bounded() {
    // 100,000 nested saves around a draw: saved states are capped, the
    // image is still drawn and restored past.
    let deep = format!(
        "{} 72 0 0 72 0 0 cm /Im0 Do {}",
        "q ".repeat(100_000),
        "Q ".repeat(100_000)
    );
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf(&deep);
    assert_near(quadrants(&compose(&pdf)), [0, 0, 0, 0], "quadrants");
    // Huge and non-finite scales: painted over the page at most.
    for cm in [
        "1e30 0 0 1e30 -1e29 -1e29",
        "1e38 1e38 1e38 1e38 0 0",
        "0 0 0 0 0 0",
    ] {
        let pdf = inch()
            .xobject("Im0", gray_image(1, 1, &[0], vec![]))
            .pdf(&format!("q {cm} cm 1e38 0 0 1e38 0 0 cm /Im0 Do Q"));
        let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
        let _ = doc.page_image(0);
    }
    // The same full-page image drawn 100 times: refused once the images
    // have painted 16 times the page.
    let pdf = inch()
        .xobject("Im0", gray_image(1, 1, &[0], vec![]))
        .pdf(&"q 72 0 0 72 0 0 cm /Im0 Do Q ".repeat(100));
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    assert!(matches!(doc.page_image(0), Err(Error::TooLarge { .. })));
}

/// A form XObject whose resources name the forms `refs` as `/F0`, `/F1` …
fn form(content: &str, resources: Dictionary) -> Stream {
    Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 72.into(), 72.into()],
            "Resources" => resources,
        },
        content.as_bytes().to_vec(),
    )
}

#[test]
fn forms_that_draw_themselves_or_fan_out_are_bounded() {
    // A form that draws itself and an image: entered once.
    let mut page = inch();
    let image = page.doc.add_object(gray_image(1, 1, &[0], vec![]));
    let id = page.doc.new_object_id();
    let selfish = form(
        "/Me Do q 72 0 0 72 0 0 cm /I Do Q /Me Do",
        dictionary! { "XObject" => dictionary! { "Me" => id, "I" => image } },
    );
    page.doc.objects.insert(id, Object::Stream(selfish));
    page.xobjects.set("F", id);
    let pdf = page.pdf("/F Do");
    assert_near(quadrants(&compose(&pdf)), [0, 0, 0, 0], "quadrants");

    // Two forms drawing each other: the cycle is cut.
    let mut page = inch();
    let (a, b) = (page.doc.new_object_id(), page.doc.new_object_id());
    page.doc.objects.insert(
        a,
        Object::Stream(form(
            "/B Do",
            dictionary! { "XObject" => dictionary! { "B" => b } },
        )),
    );
    page.doc.objects.insert(
        b,
        Object::Stream(form(
            "/A Do",
            dictionary! { "XObject" => dictionary! { "A" => a } },
        )),
    );
    page.xobjects.set("A", a);
    let pdf = page.pdf("/A Do");
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    let (g, _) = doc.page_image(0).expect("the dot alone");
    assert_eq!((g.width, g.height), (1, 1));

    // Each of eight levels draws the next 40 times (40^8 draws if
    // followed): stopped by the operation budget, with a reason.
    let mut page = inch();
    let image = page.doc.add_object(gray_image(1, 1, &[0], vec![]));
    let mut inner = page.doc.add_object(form(
        "q 1 0 0 1 0 0 cm /I Do Q",
        dictionary! { "XObject" => dictionary! { "I" => image } },
    ));
    for _ in 0..8 {
        inner = page.doc.add_object(form(
            &"/N Do ".repeat(40),
            dictionary! { "XObject" => dictionary! { "N" => inner } },
        ));
    }
    page.xobjects.set("Top", inner);
    let pdf = page.pdf("/Top Do");
    let doc = Document::open(Kind::Pdf, &pdf, &Limits::default()).expect("opens");
    let e = doc.page_image(0).expect_err("bounded");
    assert!(e.to_string().contains("beyond what is followed"), "{e}");
    // A text layer is still seen on such a page in Auto mode.
    assert!(!doc.page_has_text_layer(0).expect("walks"));
}

#[test]
fn an_inline_image_is_drawn() {
    let pdf = inch().pdf("q 72 0 0 72 0 0 cm BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\x7f EI Q");
    assert_near(quadrants(&compose(&pdf)), [0, 127, 0, 127], "quadrants");
}

#[test]
fn the_fuzz_seed_of_a_composed_page_composes() {
    // fuzz/seeds/ocr_image/seed-composed.pdf (after its selector byte):
    // images, a stencil under a clip, a soft mask, a form drawing itself,
    // an inline image, a CropBox and /Rotate 90, so fuzzing starts inside
    // the compositor.
    let seed = include_bytes!("../../../../fuzz/seeds/ocr_image/seed-composed.pdf");
    let doc = Document::open(Kind::Pdf, &seed[1..], &Limits::default()).expect("opens");
    let (g, source) = doc.page_image(0).expect("composes");
    assert_eq!((source, g.width, g.height), (Source::PdfComposed, 250, 300));
}
