//! PDFs built in memory with `lopdf`, for the two outputs that leave the
//! vault as PDF:
//!
//! - **A searchable copy of a scan** ([`add_text_layer`], [`image_pdf`]): the
//!   original page images with an invisible text layer at the recognised
//!   words' positions, as Tesseract's own PDF renderer makes it (text render
//!   mode 3 in Tesseract's glyph-less font, each word scaled horizontally to
//!   its box, characters written as UTF-16 code units with a `ToUnicode` map,
//!   so non-Latin text is kept).
//! - **The court bundle** ([`Bundle`]): chosen documents merged into one
//!   PDF, behind an index page (title, date and first page of each
//!   document), with a bookmark per document and "Page k of n" on every page.
//!
//! This crate never touches a path and never recognises anything: the
//! caller hands it bytes (decrypted, in zeroizing memory) and the words the
//! OCR engine found, and gets the PDF back in zeroizing memory to write
//! where it chooses. `lopdf`'s own copies of the parsed objects are freed
//! without wiping, like the OCR crate's decoders' buffers; core dumps are
//! off process-wide, so they do not reach the disk.
//!
//! What it deliberately does not do: rewrite a digitally signed PDF (the
//! caller checks [`is_signed`] first and copies such a file as it is), or
//! open a password-protected one ([`PdfError::Encrypted`]).

mod bundle;
mod layer;
mod text;

pub use bundle::{Built, Bundle, BundleEntry, BundlePart, MAX_BUNDLE_DOCUMENTS};
pub use layer::{ImagePage, PageImage, PageWords, Word, add_text_layer, image_pdf};

use lopdf::{Dictionary, Document, Object, ObjectId};
use zeroize::Zeroizing;

/// Tesseract's glyph-less font (Apache-2.0; see `assets/README.md`).
const GLYPHLESS_TTF: &[u8] = include_bytes!("../assets/glyphless.ttf");
/// The resource name of the glyph-less font on a page.
const LAYER_FONT: &str = "MbxGlyphless";

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The PDF does not parse, or has no pages.
    #[error("the PDF could not be read: {0}")]
    Unreadable(String),
    /// The PDF is password-protected.
    #[error("the PDF is encrypted (password-protected)")]
    Encrypted,
    /// The caller's input: no documents, an image of no pixels.
    #[error("{0}")]
    Invalid(String),
    #[error("the PDF could not be written: {0}")]
    Write(String),
    /// Bundle entry `index` (from 0) could not be merged.
    #[error("document {} of the bundle: {reason}", index + 1)]
    Entry { index: usize, reason: String },
}

pub type Result<T> = std::result::Result<T, PdfError>;

/// Whether a PDF carries a digital signature (a signature field or a
/// signature's `/ByteRange`). Such a file is only ever copied: any rewrite
/// would break the signature.
pub fn is_signed(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    has(b"/ByteRange")
        || has(b"/Type /Sig")
        || has(b"/Type/Sig")
        || has(b"/FT /Sig")
        || has(b"/FT/Sig")
}

/// Parses a PDF from memory, refusing a password-protected one.
fn load(bytes: &[u8]) -> Result<Document> {
    let doc = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => PdfError::Encrypted,
        other => PdfError::Unreadable(short(&other.to_string())),
    })?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(PdfError::Encrypted);
    }
    if doc.get_pages().is_empty() {
        return Err(PdfError::Unreadable("it has no pages".into()));
    }
    Ok(doc)
}

/// Compresses the streams and writes the document into wiped memory.
fn save(mut doc: Document) -> Result<Zeroizing<Vec<u8>>> {
    doc.compress();
    let mut out = Zeroizing::new(Vec::new());
    doc.save_to(&mut *out)
        .map_err(|e| PdfError::Write(short(&e.to_string())))?;
    Ok(out)
}

/// A parser's message, cut short (it can be long, and never quotes text).
fn short(message: &str) -> String {
    message.chars().take(160).collect()
}

/// Adds the glyph-less font (Type0, Identity-H, every code to its one
/// blank glyph, `ToUnicode` identity over UTF-16 code units) and returns
/// its id.
fn add_glyphless_font(doc: &mut Document) -> ObjectId {
    let mut file = lopdf::Stream::new(
        Dictionary::from_iter([("Length1", Object::Integer(GLYPHLESS_TTF.len() as i64))]),
        GLYPHLESS_TTF.to_vec(),
    );
    let _ = file.compress();
    let file = doc.add_object(file);
    // Every CID maps to glyph 1 (two bytes per CID, 65,536 CIDs).
    let map: Vec<u8> = std::iter::repeat_n([0u8, 1u8], 65_536).flatten().collect();
    let mut map = lopdf::Stream::new(Dictionary::new(), map);
    let _ = map.compress();
    let map = doc.add_object(map);
    let descriptor = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"FontDescriptor".to_vec())),
        ("FontName", Object::Name(b"GlyphLessFont".to_vec())),
        ("Flags", Object::Integer(5)),
        (
            "FontBBox",
            Object::Array(vec![0.into(), 0.into(), 500.into(), 1000.into()]),
        ),
        ("ItalicAngle", Object::Integer(0)),
        ("Ascent", Object::Integer(1000)),
        ("Descent", Object::Integer(-1)),
        ("CapHeight", Object::Integer(1000)),
        ("StemV", Object::Integer(80)),
        ("FontFile2", Object::Reference(file)),
    ]));
    let cid_font = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
        ("BaseFont", Object::Name(b"GlyphLessFont".to_vec())),
        (
            "CIDSystemInfo",
            Object::Dictionary(Dictionary::from_iter([
                ("Registry", Object::string_literal("Adobe")),
                ("Ordering", Object::string_literal("Identity")),
                ("Supplement", Object::Integer(0)),
            ])),
        ),
        ("FontDescriptor", Object::Reference(descriptor)),
        ("CIDToGIDMap", Object::Reference(map)),
        ("DW", Object::Integer(500)),
    ]));
    let cmap = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
        /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
        /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
        1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
        1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\n\
        endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    let mut to_unicode = lopdf::Stream::new(Dictionary::new(), cmap.as_bytes().to_vec());
    let _ = to_unicode.compress();
    let to_unicode = doc.add_object(to_unicode);
    doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type0".to_vec())),
        ("BaseFont", Object::Name(b"GlyphLessFont".to_vec())),
        ("Encoding", Object::Name(b"Identity-H".to_vec())),
        (
            "DescendantFonts",
            Object::Array(vec![Object::Reference(cid_font)]),
        ),
        ("ToUnicode", Object::Reference(to_unicode)),
    ]))
}

/// A standard-14 font in WinAnsiEncoding (never embedded; every viewer has it).
fn add_standard_font(doc: &mut Document, name: &str) -> ObjectId {
    doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type1".to_vec())),
        ("BaseFont", Object::Name(name.as_bytes().to_vec())),
        ("Encoding", Object::Name(b"WinAnsiEncoding".to_vec())),
    ]))
}

/// `text` as hex UTF-16BE code units, for the glyph-less font (`<…>`).
fn utf16_hex(text: &str) -> (String, usize) {
    let mut hex = String::with_capacity(text.len() * 4 + 2);
    let mut units = 0;
    hex.push('<');
    for u in text.encode_utf16() {
        hex.push_str(&format!("{u:04X}"));
        units += 1;
    }
    hex.push('>');
    (hex, units)
}

/// A PDF text string (bookmarks, document info): UTF-16BE with its BOM.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(bytes, lopdf::StringFormat::Hexadecimal)
}

/// Follows `Parent` links from a page for an inheritable attribute.
fn inherited(doc: &Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..32 {
        if let Ok(v) = node.get(key) {
            return Some(v.clone());
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// A page's box as `[x0, y0, x1, y1]` (the MediaBox, inherited if need be;
/// US Letter if it has none).
fn media_box(doc: &Document, page: ObjectId) -> [f32; 4] {
    let numbers: Vec<f32> = inherited(doc, page, b"MediaBox")
        .and_then(|m| match m {
            Object::Reference(r) => doc.get_object(r).ok().cloned(),
            other => Some(other),
        })
        .and_then(|m| m.as_array().ok().cloned())
        .map(|a| a.iter().filter_map(|o| o.as_float().ok()).collect())
        .unwrap_or_default();
    match numbers.as_slice() {
        [x0, y0, x1, y1] if (x1 - x0).abs() >= 1.0 && (y1 - y0).abs() >= 1.0 => {
            [x0.min(*x1), y0.min(*y1), x0.max(*x1), y0.max(*y1)]
        }
        _ => [0.0, 0.0, 612.0, 792.0],
    }
}

/// Gives a page its own direct `Resources` dictionary (with a direct
/// `Font` dictionary) holding `font` as `name`, so a resource dictionary
/// shared with other pages is never changed under them.
fn add_page_font(doc: &mut Document, page: ObjectId, name: &str, font: ObjectId) -> Result<()> {
    let mut resources = match inherited(doc, page, b"Resources") {
        Some(Object::Reference(r)) => doc
            .get_dictionary(r)
            .cloned()
            .map_err(|e| PdfError::Unreadable(short(&e.to_string())))?,
        Some(Object::Dictionary(d)) => d,
        _ => Dictionary::new(),
    };
    let mut fonts = match resources.get(b"Font") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).cloned().unwrap_or_default(),
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    fonts.set(name, Object::Reference(font));
    resources.set("Font", Object::Dictionary(fonts));
    doc.get_dictionary_mut(page)
        .map_err(|e| PdfError::Unreadable(short(&e.to_string())))?
        .set("Resources", Object::Dictionary(resources));
    Ok(())
}

/// Wraps a page's content in `q … Q` and appends `extra` after it, so
/// whatever state the original leaves cannot displace what is added.
fn append_content(doc: &mut Document, page: ObjectId, extra: Vec<u8>) -> Result<()> {
    let old: Vec<Object> = match doc
        .get_dictionary(page)
        .map_err(|e| PdfError::Unreadable(short(&e.to_string())))?
        .get(b"Contents")
    {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => match doc.get_object(*r) {
            Ok(Object::Array(a)) => a.clone(),
            _ => vec![Object::Reference(*r)],
        },
        _ => Vec::new(),
    };
    let open = doc.add_object(lopdf::Stream::new(Dictionary::new(), b"q\n".to_vec()));
    let mut tail = b"\nQ\n".to_vec();
    tail.extend_from_slice(&extra);
    let close = doc.add_object(lopdf::Stream::new(Dictionary::new(), tail));
    let mut contents = Vec::with_capacity(old.len() + 2);
    contents.push(Object::Reference(open));
    contents.extend(old);
    contents.push(Object::Reference(close));
    doc.get_dictionary_mut(page)
        .map_err(|e| PdfError::Unreadable(short(&e.to_string())))?
        .set("Contents", Object::Array(contents));
    Ok(())
}

#[cfg(test)]
mod tests;
