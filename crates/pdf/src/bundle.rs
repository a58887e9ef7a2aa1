//! The court bundle: documents merged into one PDF behind an index.

use lopdf::{Dictionary, Document, Object, ObjectId};
use zeroize::Zeroizing;

use crate::text::{fit, show, wrap};
use crate::{
    PdfError, Result, add_page_font, add_standard_font, append_content, inherited, text_string,
};

/// The most documents in one bundle.
pub const MAX_BUNDLE_DOCUMENTS: usize = 1_000;

/// A4, in points.
const PAGE: [f32; 2] = [595.0, 842.0];
const MARGIN: f32 = 56.0;
/// Courier 10 pt: 6 pt a character, 80 columns between the margins.
const TEXT_SIZE: f32 = 10.0;
const COLUMNS: usize = 80;
const LEADING: f32 = 12.5;
/// Lines of a text page below its heading.
const LINES_PER_PAGE: usize = 54;
/// Index rows per page.
const ROWS_PER_INDEX_PAGE: usize = 50;

/// What a document contributes.
pub enum BundlePart {
    /// A PDF (an original, or the searchable copy of a scan), merged with
    /// its pages as they are.
    Pdf(Zeroizing<Vec<u8>>),
    /// Text laid out on pages (a text file, an e-mail, a DOCX's text).
    Text(Zeroizing<String>),
}

/// One document of the bundle, in the order given.
pub struct BundleEntry {
    pub title: String,
    /// As shown in the index (a date, `YYYY-MM-DD`).
    pub date: String,
    pub part: BundlePart,
}

/// A bundle to build.
pub struct Bundle {
    /// The index page's heading (e.g. "Court bundle").
    pub heading: String,
    /// A second line under it (e.g. "Made 2026-12-05").
    pub subheading: String,
}

/// A built bundle.
pub struct Built {
    pub bytes: Zeroizing<Vec<u8>>,
    pub pages: usize,
    /// The page (from 1) each document starts on.
    pub starts: Vec<usize>,
}

struct Fonts {
    regular: ObjectId,
    bold: ObjectId,
    mono: ObjectId,
}

impl Bundle {
    /// Merges `entries` into one PDF. A PDF that does not parse or is
    /// password-protected fails the whole bundle with
    /// [`PdfError::Entry`] naming its position, before anything is returned.
    pub fn build(&self, entries: Vec<BundleEntry>) -> Result<Built> {
        if entries.is_empty() {
            return Err(PdfError::Invalid(
                "A bundle needs at least one document.".into(),
            ));
        }
        if entries.len() > MAX_BUNDLE_DOCUMENTS {
            return Err(PdfError::Invalid(format!(
                "A bundle holds at most {MAX_BUNDLE_DOCUMENTS} documents."
            )));
        }
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let fonts = Fonts {
            regular: add_standard_font(&mut doc, "Helvetica"),
            bold: add_standard_font(&mut doc, "Helvetica-Bold"),
            mono: add_standard_font(&mut doc, "Courier"),
        };
        let mut documents: Vec<(String, String, Vec<ObjectId>)> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.into_iter().enumerate() {
            let pages = match &entry.part {
                BundlePart::Pdf(bytes) => {
                    merge(&mut doc, bytes, pages_id).map_err(|e| PdfError::Entry {
                        index,
                        reason: e.to_string(),
                    })?
                }
                BundlePart::Text(text) => {
                    text_pages(&mut doc, &fonts, pages_id, &entry.title, text)
                }
            };
            documents.push((entry.title, entry.date, pages));
        }
        let index_pages = documents.len().div_ceil(ROWS_PER_INDEX_PAGE);
        let mut starts = Vec::with_capacity(documents.len());
        let mut next = index_pages + 1;
        for (_, _, pages) in &documents {
            starts.push(next);
            next += pages.len();
        }
        let total = next - 1;
        let index = self.index_pages(&mut doc, &fonts, pages_id, &documents, &starts);
        let mut kids: Vec<ObjectId> = index.clone();
        for (_, _, pages) in &documents {
            kids.extend(pages);
        }
        for (n, page) in kids.iter().enumerate() {
            add_page_font(&mut doc, *page, "MbxPageNumber", fonts.regular)?;
            let box_ = crate::media_box(&doc, *page);
            let label = format!("Page {} of {total}", n + 1);
            let x = (box_[0] + box_[2]) / 2.0 - label.len() as f32 * 2.2;
            let stamp = format!(
                "BT\n0 g\n0 Tr\n100 Tz\n/MbxPageNumber 8 Tf\n1 0 0 1 {x:.2} {:.2} Tm\n({label}) Tj\nET\n",
                box_[1] + 20.0
            );
            append_content(&mut doc, *page, stamp.into_bytes())?;
        }
        doc.objects.insert(
            pages_id,
            Object::Dictionary(Dictionary::from_iter([
                ("Type", Object::Name(b"Pages".to_vec())),
                (
                    "Kids",
                    Object::Array(kids.iter().map(|k| Object::Reference(*k)).collect()),
                ),
                ("Count", Object::Integer(kids.len() as i64)),
            ])),
        );
        let mut marks = vec![("Index".to_string(), index[0])];
        marks.extend(documents.iter().map(|(t, _, p)| (t.clone(), p[0])));
        let outlines = outline(&mut doc, &marks);
        let catalog = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(pages_id)),
            ("Outlines", Object::Reference(outlines)),
            ("PageMode", Object::Name(b"UseOutlines".to_vec())),
        ]));
        let info = doc.add_object(Dictionary::from_iter([
            ("Title", text_string(&self.heading)),
            ("Producer", text_string("Matterbox")),
        ]));
        doc.trailer.set("Root", Object::Reference(catalog));
        doc.trailer.set("Info", Object::Reference(info));
        doc.prune_objects();
        Ok(Built {
            bytes: crate::save(doc)?,
            pages: total,
            starts,
        })
    }

    fn index_pages(
        &self,
        doc: &mut Document,
        fonts: &Fonts,
        parent: ObjectId,
        documents: &[(String, String, Vec<ObjectId>)],
        starts: &[usize],
    ) -> Vec<ObjectId> {
        let mut pages = Vec::new();
        for (chunk_no, chunk) in documents.chunks(ROWS_PER_INDEX_PAGE).enumerate() {
            let mut content = Vec::new();
            let mut y = PAGE[1] - MARGIN;
            content.extend(show("MbxBold", 16.0, MARGIN, y, &fit(&self.heading, 50)));
            y -= 20.0;
            content.extend(show(
                "MbxRegular",
                10.0,
                MARGIN,
                y,
                &fit(&self.subheading, 90),
            ));
            y -= 28.0;
            content.extend(show(
                "MbxMono",
                TEXT_SIZE,
                MARGIN,
                y,
                &format!(
                    "{:<4} {:<52} {:<10} {:>8}",
                    "No.", "Document", "Date", "Page"
                ),
            ));
            y -= LEADING * 1.5;
            for (i, (title, date, _)) in chunk.iter().enumerate() {
                let n = chunk_no * ROWS_PER_INDEX_PAGE + i;
                let row = format!(
                    "{:<4} {:<52} {:<10} {:>8}",
                    n + 1,
                    pad(&fit(title, 52), 52),
                    fit(date, 10),
                    starts[n]
                );
                content.extend(show("MbxMono", TEXT_SIZE, MARGIN, y, &row));
                y -= LEADING;
            }
            pages.push(new_page(doc, fonts, parent, content));
        }
        pages
    }
}

fn pad(text: &str, columns: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(columns.saturating_sub(n)))
}

/// A page of our own (index or text) with our fonts.
fn new_page(doc: &mut Document, fonts: &Fonts, parent: ObjectId, content: Vec<u8>) -> ObjectId {
    let content = doc.add_object(lopdf::Stream::new(Dictionary::new(), content));
    let font_dict = Dictionary::from_iter([
        ("MbxRegular", Object::Reference(fonts.regular)),
        ("MbxBold", Object::Reference(fonts.bold)),
        ("MbxMono", Object::Reference(fonts.mono)),
    ]);
    doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Page".to_vec())),
        ("Parent", Object::Reference(parent)),
        (
            "MediaBox",
            Object::Array(vec![
                0.into(),
                0.into(),
                Object::Real(PAGE[0]),
                Object::Real(PAGE[1]),
            ]),
        ),
        (
            "Resources",
            Object::Dictionary(Dictionary::from_iter([(
                "Font",
                Object::Dictionary(font_dict),
            )])),
        ),
        ("Contents", Object::Reference(content)),
    ]))
}

/// A document's text laid out on A4 pages under its title.
fn text_pages(
    doc: &mut Document,
    fonts: &Fonts,
    parent: ObjectId,
    title: &str,
    text: &str,
) -> Vec<ObjectId> {
    let mut lines = wrap(text, COLUMNS);
    if lines.is_empty() {
        lines.push("(This document has no text.)".into());
    }
    let mut pages = Vec::new();
    for chunk in lines.chunks(LINES_PER_PAGE) {
        let mut content = Vec::new();
        let mut y = PAGE[1] - MARGIN;
        content.extend(show("MbxBold", 11.0, MARGIN, y, &fit(title, 70)));
        y -= LEADING * 2.0;
        for line in chunk {
            if !line.is_empty() {
                content.extend(show("MbxMono", TEXT_SIZE, MARGIN, y, line));
            }
            y -= LEADING;
        }
        pages.push(new_page(doc, fonts, parent, content));
    }
    pages
}

/// Moves a PDF's pages into `doc` under `parent`; returns them in order.
fn merge(doc: &mut Document, bytes: &[u8], parent: ObjectId) -> Result<Vec<ObjectId>> {
    let mut src = crate::load(bytes)?;
    src.renumber_objects_with(doc.max_id + 1);
    let pages: Vec<ObjectId> = src.get_pages().into_values().collect();
    for page in &pages {
        // Attributes a page inherits from the page tree it leaves.
        for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
            let own = src.get_dictionary(*page).is_ok_and(|d| d.has(key));
            if !own
                && let Some(value) = inherited(&src, *page, key)
                && let Ok(d) = src.get_dictionary_mut(*page)
            {
                d.set(key, value);
            }
        }
        let d = src
            .get_dictionary_mut(*page)
            .map_err(|e| PdfError::Unreadable(crate::short(&e.to_string())))?;
        d.set("Parent", Object::Reference(parent));
    }
    // The source's catalog and page tree go; everything else comes along
    // (unreferenced objects are pruned at the end).
    let tree: Vec<ObjectId> = src
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_dict()
                .ok()
                .and_then(|d| d.get(b"Type").ok())
                .and_then(|t| t.as_name().ok())
                .is_some_and(|t| t == b"Catalog" || t == b"Pages")
        })
        .map(|(id, _)| *id)
        .collect();
    for id in tree {
        src.objects.remove(&id);
    }
    doc.max_id = doc.max_id.max(src.max_id);
    doc.objects.extend(std::mem::take(&mut src.objects));
    Ok(pages)
}

/// The bookmarks: one per entry, each opening its page.
fn outline(doc: &mut Document, marks: &[(String, ObjectId)]) -> ObjectId {
    let root = doc.new_object_id();
    let ids: Vec<ObjectId> = marks.iter().map(|_| doc.new_object_id()).collect();
    for (i, (title, page)) in marks.iter().enumerate() {
        let mut item = Dictionary::from_iter([
            ("Title", text_string(title)),
            ("Parent", Object::Reference(root)),
            (
                "Dest",
                Object::Array(vec![
                    Object::Reference(*page),
                    Object::Name(b"Fit".to_vec()),
                ]),
            ),
        ]);
        if i > 0 {
            item.set("Prev", Object::Reference(ids[i - 1]));
        }
        if let Some(next) = ids.get(i + 1) {
            item.set("Next", Object::Reference(*next));
        }
        doc.objects.insert(ids[i], Object::Dictionary(item));
    }
    doc.objects.insert(
        root,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Outlines".to_vec())),
            ("First", Object::Reference(ids[0])),
            ("Last", Object::Reference(ids[ids.len() - 1])),
            ("Count", Object::Integer(ids.len() as i64)),
        ])),
    );
    root
}
