//! The invisible text layer over page images.

use lopdf::{Dictionary, Document, Object, ObjectId};
use zeroize::Zeroizing;

use crate::{
    LAYER_FONT, PdfError, Result, add_glyphless_font, add_page_font, append_content, utf16_hex,
};

/// One recognised word, in the page image's pixels (origin top left).
#[derive(Clone)]
pub struct Word {
    pub text: Zeroizing<String>,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// The words of one line share a number: a space is written between
    /// them, and none after a line's last word.
    pub line: u32,
}

impl std::fmt::Debug for Word {
    /// Never prints the word (document content stays out of logs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Word([redacted] at {},{} {}x{} line {})",
            self.left, self.top, self.width, self.height, self.line
        )
    }
}

/// The words recognised on one page image of `width` × `height` pixels.
#[derive(Clone, Debug, Default)]
pub struct PageWords {
    pub width: u32,
    pub height: u32,
    pub words: Vec<Word>,
}

/// The content operators drawing `words` invisibly over a page box
/// `[x0, y0, x1, y1]` that the page image fills.
fn layer_content(words: &PageWords, page_box: [f32; 4]) -> Vec<u8> {
    if words.width == 0 || words.height == 0 || words.words.is_empty() {
        return Vec::new();
    }
    let [x0, y0, x1, y1] = page_box;
    let sx = (x1 - x0) / words.width as f32;
    let sy = (y1 - y0) / words.height as f32;
    let mut out = String::from("BT\n3 Tr\n");
    for (i, w) in words.words.iter().enumerate() {
        if w.text.trim().is_empty() || w.height == 0 {
            continue;
        }
        // A space after every word but a line's last, spanning the gap to
        // the next word, so text extraction sees words, not one run.
        let next = words
            .words
            .get(i + 1)
            .filter(|n| n.line == w.line && n.left > w.left);
        let (text, target_px) = match next {
            Some(n) => (format!("{} ", w.text.as_str()), n.left - w.left),
            None => (w.text.to_string(), w.width.max(1)),
        };
        let text = Zeroizing::new(text);
        let (hex, units) = utf16_hex(&text);
        let hex = Zeroizing::new(hex);
        let size = (w.height as f32 * sy).max(1.0);
        // Each unit of the glyph-less font advances half the font size.
        let natural = units as f32 * size * 0.5;
        let scale = if natural > 0.0 {
            100.0 * target_px as f32 * sx / natural
        } else {
            100.0
        };
        let x = x0 + w.left as f32 * sx;
        let y = y1 - (w.top + w.height) as f32 * sy;
        out.push_str(&format!(
            "/{LAYER_FONT} {size:.2} Tf\n{scale:.2} Tz\n1 0 0 1 {x:.2} {y:.2} Tm\n{} Tj\n",
            hex.as_str()
        ));
    }
    out.push_str("ET\n");
    let bytes = out.as_bytes().to_vec();
    let _wipe = Zeroizing::new(out);
    bytes
}

/// A copy of `original` (a scanned PDF) with an invisible text layer added
/// to each page that has words: `pages[i]` for page `i` (from 0), `None`
/// to leave a page as it is. Each page's image is taken to fill its
/// MediaBox, as scanners and `img2pdf` write them. The original bytes are
/// not changed.
pub fn add_text_layer(original: &[u8], pages: &[Option<PageWords>]) -> Result<Zeroizing<Vec<u8>>> {
    let mut doc = crate::load(original)?;
    let ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if ids.len() != pages.len() {
        return Err(PdfError::Invalid(format!(
            "words for {} pages were given for a PDF of {} pages",
            pages.len(),
            ids.len()
        )));
    }
    let font = add_glyphless_font(&mut doc);
    for (id, words) in ids.into_iter().zip(pages) {
        let Some(words) = words else { continue };
        let content = layer_content(words, crate::media_box(&doc, id));
        if content.is_empty() {
            continue;
        }
        add_page_font(&mut doc, id, LAYER_FONT, font)?;
        append_content(&mut doc, id, content)?;
    }
    doc.prune_objects();
    crate::save(doc)
}

/// A page image for [`image_pdf`].
pub enum PageImage {
    /// A JPEG file's bytes, embedded as they are (`DCTDecode`).
    Jpeg {
        bytes: Zeroizing<Vec<u8>>,
        width: u32,
        height: u32,
        /// 1 (gray), 3 (RGB) or 4 (CMYK).
        components: u8,
    },
    /// 8-bit gray pixels, row by row.
    Gray {
        pixels: Zeroizing<Vec<u8>>,
        width: u32,
        height: u32,
    },
}

/// One page of [`image_pdf`].
pub struct ImagePage {
    pub image: PageImage,
    /// The image's resolution; `None` lays it out at 150 dpi.
    pub dpi: Option<u32>,
    pub words: Option<PageWords>,
}

/// A PDF of image pages (a photo, a TIFF scan), each with its invisible
/// text layer.
pub fn image_pdf(pages: Vec<ImagePage>) -> Result<Zeroizing<Vec<u8>>> {
    if pages.is_empty() {
        return Err(PdfError::Invalid("no pages".into()));
    }
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = add_glyphless_font(&mut doc);
    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        let (width, height, stream) = match page.image {
            PageImage::Jpeg {
                bytes,
                width,
                height,
                components,
            } => {
                let space: &[u8] = match components {
                    1 => b"DeviceGray",
                    4 => b"DeviceCMYK",
                    _ => b"DeviceRGB",
                };
                let mut dict = image_dict(width, height, space);
                dict.set("Filter", Object::Name(b"DCTDecode".to_vec()));
                if components == 4 {
                    // Adobe's CMYK JPEGs are stored inverted.
                    dict.set(
                        "Decode",
                        Object::Array([1, 0, 1, 0, 1, 0, 1, 0].map(Object::Integer).to_vec()),
                    );
                }
                (
                    width,
                    height,
                    lopdf::Stream::new(dict, bytes.to_vec()).with_compression(false),
                )
            }
            PageImage::Gray {
                pixels,
                width,
                height,
            } => {
                let mut s =
                    lopdf::Stream::new(image_dict(width, height, b"DeviceGray"), pixels.to_vec());
                let _ = s.compress();
                (width, height, s)
            }
        };
        if width == 0 || height == 0 {
            return Err(PdfError::Invalid("an image of no pixels".into()));
        }
        let image = doc.add_object(stream);
        let dpi = page.dpi.filter(|d| (50..=2400).contains(d)).unwrap_or(150) as f32;
        let (pw, ph) = (width as f32 * 72.0 / dpi, height as f32 * 72.0 / dpi);
        let mut content = format!("q\n{pw:.3} 0 0 {ph:.3} 0 0 cm\n/Im0 Do\nQ\n").into_bytes();
        if let Some(words) = &page.words {
            content.extend(layer_content(words, [0.0, 0.0, pw, ph]));
        }
        let content = doc.add_object(lopdf::Stream::new(Dictionary::new(), content));
        let resources = Dictionary::from_iter([
            (
                "XObject",
                Object::Dictionary(Dictionary::from_iter([("Im0", Object::Reference(image))])),
            ),
            (
                "Font",
                Object::Dictionary(Dictionary::from_iter([(
                    LAYER_FONT,
                    Object::Reference(font),
                )])),
            ),
        ]);
        let page = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(pages_id)),
            (
                "MediaBox",
                Object::Array(vec![0.into(), 0.into(), Object::Real(pw), Object::Real(ph)]),
            ),
            ("Resources", Object::Dictionary(resources)),
            ("Contents", Object::Reference(content)),
        ]));
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(kids)),
            ("Count", Object::Integer(count)),
        ])),
    );
    let catalog = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
    ]));
    doc.trailer.set("Root", Object::Reference(catalog));
    crate::save(doc)
}

fn image_dict(width: u32, height: u32, space: &[u8]) -> Dictionary {
    Dictionary::from_iter([
        ("Type", Object::Name(b"XObject".to_vec())),
        ("Subtype", Object::Name(b"Image".to_vec())),
        ("Width", Object::Integer(i64::from(width))),
        ("Height", Object::Integer(i64::from(height))),
        ("ColorSpace", Object::Name(space.to_vec())),
        ("BitsPerComponent", Object::Integer(8)),
    ])
}
