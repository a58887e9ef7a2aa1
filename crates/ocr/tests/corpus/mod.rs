//! A generated scan corpus: known text rendered with a real font (DejaVu
//! Serif from Debian's fonts-dejavu-core) at a chosen resolution, written
//! out the ways scanners write pages, and the measure of how much of the
//! text came back. Shared by the tests and the benchmark.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use lopdf::dictionary;

pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";

/// A rendered page: 8-bit gray, 0 black, and the text drawn on it.
pub struct Page {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
    pub text: String,
    pub dpi: u32,
}

/// Draws `lines` on a US Letter page at `dpi` in 12 pt DejaVu Serif with
/// one-inch margins.
pub fn render(lines: &[String], dpi: u32) -> Page {
    render_sized(lines, dpi, (dpi * 17 / 2, dpi * 11), 12.0)
}

pub fn render_sized(lines: &[String], dpi: u32, (width, height): (u32, u32), points: f32) -> Page {
    let font = FontVec::try_from_vec(std::fs::read(FONT).expect("fonts-dejavu-core is installed"))
        .expect("DejaVu Serif parses");
    let px = points * dpi as f32 / 72.0;
    let scaled = font.as_scaled(PxScale::from(px));
    let mut pixels = vec![255u8; (width * height) as usize];
    let margin = dpi as f32;
    let mut baseline = margin + scaled.ascent();
    for line in lines {
        let mut x = margin.min(width as f32 / 10.0);
        let mut previous = None;
        for c in line.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = previous {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(px, ab_glyph::point(x, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    let (px_x, px_y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    if px_x >= 0 && px_y >= 0 && (px_x as u32) < width && (px_y as u32) < height {
                        let i = (px_y as u32 * width + px_x as u32) as usize;
                        let v = (255.0 * (1.0 - coverage.clamp(0.0, 1.0))) as u8;
                        pixels[i] = pixels[i].min(v);
                    }
                });
            }
            x += scaled.h_advance(id);
            previous = Some(id);
        }
        baseline += px * 1.5;
    }
    Page {
        width,
        height,
        pixels,
        text: lines.join("\n"),
        dpi,
    }
}

const WORDS: &[&str] = &[
    "agreement",
    "plaintiff",
    "defendant",
    "counsel",
    "deposition",
    "witness",
    "court",
    "matter",
    "contract",
    "signed",
    "March",
    "hearing",
    "evidence",
    "exhibit",
    "settlement",
    "payment",
    "property",
    "lease",
    "tenant",
    "landlord",
    "notice",
    "damages",
    "claim",
    "motion",
    "order",
    "judge",
    "county",
    "district",
    "record",
    "testimony",
    "objection",
    "sustained",
    "overruled",
    "the",
    "of",
    "and",
    "to",
    "in",
    "for",
    "on",
    "with",
    "by",
    "was",
    "that",
    "this",
    "from",
    "under",
    "after",
    "before",
    "Harrington",
    "Okafor",
    "Lindqvist",
    "Brennan",
    "Delacroix",
    "invoice",
    "2023",
    "14",
    "clause",
    "section",
    "party",
    "parties",
    "breach",
    "terms",
    "estate",
    "trust",
    "account",
    "escrow",
    "closing",
    "filed",
    "served",
    "appeal",
    "review",
];

/// Deterministic lines of legal-sounding words (`seed` picks the page), at
/// most `chars` characters each.
pub fn lines(seed: u64, count: usize, chars: usize) -> Vec<String> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let mut line = String::new();
            loop {
                let w = WORDS[next() % WORDS.len()];
                if line.len() + w.len() + 1 > chars {
                    break;
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(w);
            }
            line
        })
        .collect()
}

/// Character accuracy: 1 − (Levenshtein distance / length of the
/// expected text), over text with runs of whitespace made one space.
pub fn accuracy(expected: &str, got: &str) -> f64 {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (e, g): (Vec<char>, Vec<char>) = (
        norm(expected).chars().collect(),
        norm(got).chars().collect(),
    );
    if e.is_empty() {
        return if g.is_empty() { 1.0 } else { 0.0 };
    }
    let mut prev: Vec<usize> = (0..=g.len()).collect();
    let mut cur = vec![0; g.len() + 1];
    for i in 1..=e.len() {
        cur[0] = i;
        for j in 1..=g.len() {
            let cost = usize::from(e[i - 1] != g[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[g.len()] as f64 / e.len() as f64
}

pub fn png(page: &Page) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            &page.pixels,
            page.width,
            page.height,
            image::ExtendedColorType::L8,
        )
        .expect("PNG encodes");
    out
}

pub fn jpeg(page: &Page, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            &page.pixels,
            page.width,
            page.height,
            image::ExtendedColorType::L8,
        )
        .expect("JPEG encodes");
    out
}

/// A page turned by a multiple of 90 degrees clockwise.
pub fn turned(page: &Page, quarter_turns: u32) -> Page {
    let (w, h) = (page.width as usize, page.height as usize);
    match quarter_turns % 4 {
        0 => Page {
            pixels: page.pixels.clone(),
            text: page.text.clone(),
            ..*page
        },
        2 => {
            let mut pixels = page.pixels.clone();
            pixels.reverse();
            Page {
                pixels,
                text: page.text.clone(),
                ..*page
            }
        }
        q => {
            let mut pixels = vec![255u8; w * h];
            for y in 0..h {
                for x in 0..w {
                    let (nx, ny) = if q == 1 {
                        (h - 1 - y, x)
                    } else {
                        (y, w - 1 - x)
                    };
                    pixels[ny * h + nx] = page.pixels[y * w + x];
                }
            }
            Page {
                width: page.height,
                height: page.width,
                pixels,
                text: page.text.clone(),
                dpi: page.dpi,
            }
        }
    }
}

/// A page turned by a small angle (degrees, clockwise on screen), as a
/// sheet fed askew; nearest-neighbour, white outside.
pub fn skewed(page: &Page, degrees: f32) -> Page {
    let (s, c) = degrees.to_radians().sin_cos();
    let (w, h) = (page.width as i64, page.height as i64);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut pixels = vec![255u8; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let sx = (dx * c + dy * s + cx).round() as i64;
            let sy = (-dx * s + dy * c + cy).round() as i64;
            if sx >= 0 && sy >= 0 && sx < w && sy < h {
                pixels[(y * w + x) as usize] = page.pixels[(sy * w + sx) as usize];
            }
        }
    }
    Page {
        pixels,
        text: page.text.clone(),
        ..*page
    }
}

/// Pages as one CCITT Group 4 TIFF (one strip per page, WhiteIsZero, as
/// fax and document scanners write them), written here byte by byte.
pub fn tiff_g4(pages: &[&Page]) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    let mut link_at = 4usize;
    for page in pages {
        let mut encoder = fax::encoder::Encoder::new(fax::VecWriter::new());
        for row in page.pixels.chunks(page.width as usize) {
            let pels = row.iter().map(|&p| {
                if p < 128 {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            });
            encoder.encode_line(pels, page.width).expect("G4 encodes");
        }
        let strip = encoder.finish().expect("G4 finishes").finish();
        let strip_at = out.len() as u32;
        out.extend_from_slice(&strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let resolution_at = out.len() as u32;
        out.extend_from_slice(&page.dpi.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        let ifd_at = out.len() as u32;
        out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
        // (tag, type, count, value): 3 SHORT, 4 LONG, 5 RATIONAL.
        let entries: [(u16, u16, u32, u32); 11] = [
            (256, 4, 1, page.width),
            (257, 4, 1, page.height),
            (258, 3, 1, 1),
            (259, 3, 1, 4),
            (262, 3, 1, 0),
            (273, 4, 1, strip_at),
            (278, 4, 1, page.height),
            (279, 4, 1, strip.len() as u32),
            (282, 5, 1, resolution_at),
            (283, 5, 1, resolution_at),
            (296, 3, 1, 2),
        ];
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, count, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        link_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}

/// Pages as one 8-bit gray, Deflate-compressed multi-page TIFF.
pub fn tiff_deflate(pages: &[&Page]) -> Vec<u8> {
    use tiff::encoder::{Compression, DeflateLevel, TiffEncoder, colortype};
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut encoder = TiffEncoder::new(&mut cursor)
            .expect("TIFF encoder")
            .with_compression(Compression::Deflate(DeflateLevel::Fast));
        for page in pages {
            encoder
                .write_image::<colortype::Gray8>(page.width, page.height, &page.pixels)
                .expect("TIFF page encodes");
        }
    }
    cursor.into_inner()
}

/// Files (300 dpi) wrapped into a PDF by Debian's img2pdf, which embeds JPEG and
/// CCITT G4 data unchanged (DCTDecode, CCITTFaxDecode) and PNG data as
/// Flate with a PNG predictor.
pub fn img2pdf(dir: &Path, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut args = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(bytes))
            .expect("write input");
        args.push(path);
    }
    let out = dir.join("out.pdf");
    // Scanners record their resolution; the generated files are 300 dpi.
    let status = Command::new("img2pdf")
        .args(["--imgsize", "300dpix300dpi"])
        .args(&args)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("img2pdf runs (Debian img2pdf; scripts/setup.sh --test)");
    assert!(status.success(), "img2pdf failed");
    std::fs::read(out).expect("img2pdf output")
}

/// A one-page PDF made with lopdf: `content` drawn with a Helvetica font
/// `/F1` and the image XObjects `images` (named /Im0, /Im1, …).
pub fn pdf(content: &str, images: Vec<lopdf::Stream>) -> Vec<u8> {
    use lopdf::{Document, Object};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut xobjects = lopdf::Dictionary::new();
    for (i, image) in images.into_iter().enumerate() {
        let id = doc.add_object(image);
        xobjects.set(format!("Im{i}"), Object::Reference(id));
    }
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
        "XObject" => xobjects,
    });
    let content_id = doc.add_object(lopdf::Stream::new(
        dictionary! {},
        content.as_bytes().to_vec(),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("PDF saves");
    out
}

/// An image XObject with the given dictionary entries and data.
pub fn image_xobject(entries: Vec<(&str, lopdf::Object)>, data: Vec<u8>) -> lopdf::Stream {
    let mut dict = dictionary! { "Type" => "XObject", "Subtype" => "Image" };
    for (k, v) in entries {
        dict.set(k, v);
    }
    let mut stream = lopdf::Stream::new(dict, data);
    stream.allows_compression = false;
    stream
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("zlib");
    e.finish().expect("zlib")
}

/// Packs a page as 1-bit samples, 1 where the page is dark.
pub fn one_bit_dark_is_1(page: &Page) -> Vec<u8> {
    let row = (page.width as usize).div_ceil(8);
    let mut out = vec![0u8; row * page.height as usize];
    for y in 0..page.height as usize {
        for x in 0..page.width as usize {
            if page.pixels[y * page.width as usize + x] < 128 {
                out[y * row + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    out
}

/// CRC-32 (PNG chunks).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid small PNG whose header then claims `width` × `height`.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let small = Page {
        width: 8,
        height: 8,
        pixels: vec![255; 64],
        text: String::new(),
        dpi: 300,
    };
    let mut bytes = png(&small);
    // IHDR: length (4) "IHDR" (4) width (4) height (4) … at offset 8.
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A JBIG2 segment header (T.88 7.2) of segment `number` and `kind` on
/// page 1, with no referred-to segments, followed by its data.
fn jbig2_segment(number: u32, kind: u8, data: &[u8]) -> Vec<u8> {
    let mut out = number.to_be_bytes().to_vec();
    out.push(kind);
    out.push(0);
    out.push(1);
    out.extend_from_slice(&u32::try_from(data.len()).expect("size").to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// A page as JBIG2 in the embedded organisation a PDF carries: a page
/// information segment declaring `declared` (width, height), then one
/// immediate generic region with MMR coding (T.6, 1 = dark) — the form
/// scanners without a symbol coder write.
pub fn jbig2_mmr(page: &Page, declared: (u32, u32)) -> Vec<u8> {
    let mut info = Vec::new();
    for v in [declared.0, declared.1, 0, 0] {
        info.extend_from_slice(&v.to_be_bytes());
    }
    info.push(0);
    info.extend_from_slice(&[0, 0]);
    let mut region = Vec::new();
    for v in [page.width, page.height, 0, 0] {
        region.extend_from_slice(&v.to_be_bytes());
    }
    region.push(0);
    region.push(1); // generic region flags: MMR
    let mut g4 = fax::encoder::Encoder::new(fax::VecWriter::new());
    for row in page.pixels.chunks(page.width as usize) {
        let pels = row.iter().map(|&v| {
            if v < 128 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        g4.encode_line(pels, page.width).expect("G4");
    }
    region.extend_from_slice(&g4.finish().expect("G4").finish());
    let mut out = jbig2_segment(0, 48, &info);
    out.extend_from_slice(&jbig2_segment(1, 38, &region));
    out
}

/// A page as a JPEG 2000 file (lossless), by Debian's Pillow (which
/// img2pdf depends on) through OpenJPEG: an encoder independent of the
/// decoder under test.
pub fn jp2(dir: &Path, page: &Page) -> Vec<u8> {
    let png_path = dir.join("page.png");
    let jp2_path = dir.join("page.jp2");
    std::fs::write(&png_path, png(page)).expect("write PNG");
    let status = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2])",
        ])
        .arg(&png_path)
        .arg(&jp2_path)
        .status()
        .expect("python3 with Pillow (Debian python3-pil, an img2pdf dependency)");
    assert!(status.success(), "Pillow could not write JPEG 2000");
    std::fs::read(jp2_path).expect("JPEG 2000 file")
}

/// A one-page PDF made with lopdf: a `media_box` (points) and `/Rotate`,
/// drawing `content` with the XObjects that `objects` adds to the
/// document and names (images, or forms referring to images it adds).
pub fn pdf_page(
    content: &str,
    media_box: [f32; 4],
    rotate: i64,
    objects: impl FnOnce(&mut lopdf::Document) -> Vec<(String, lopdf::ObjectId)>,
) -> Vec<u8> {
    use lopdf::{Document, Object};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut xobjects = lopdf::Dictionary::new();
    for (name, id) in objects(&mut doc) {
        xobjects.set(name, Object::Reference(id));
    }
    let resources_id = doc.add_object(dictionary! { "XObject" => xobjects });
    let content_id = doc.add_object(lopdf::Stream::new(
        dictionary! {},
        content.as_bytes().to_vec(),
    ));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources_id,
        "MediaBox" => media_box.iter().map(|&v| Object::Real(v)).collect::<Vec<_>>(),
        "Rotate" => rotate,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("PDF saves");
    out
}

/// Rows `top..top + height` of a page, as a page of their own.
pub fn strip(page: &Page, top: u32, height: u32) -> Page {
    let w = page.width as usize;
    Page {
        width: page.width,
        height,
        pixels: page.pixels[top as usize * w..(top + height) as usize * w].to_vec(),
        text: String::new(),
        dpi: page.dpi,
    }
}

/// A gray JPEG image XObject of a page.
pub fn jpeg_xobject(page: &Page, quality: u8) -> lopdf::Stream {
    image_xobject(
        vec![
            ("Width", page.width.into()),
            ("Height", page.height.into()),
            ("ColorSpace", lopdf::Object::Name(b"DeviceGray".to_vec())),
            ("BitsPerComponent", 8.into()),
            ("Filter", lopdf::Object::Name(b"DCTDecode".to_vec())),
        ],
        jpeg(page, quality),
    )
}
