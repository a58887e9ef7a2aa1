//! Optical character recognition of scans, from memory, with nothing written
//! to disk.
//!
//! The caller hands the decrypted bytes of one document (held in zeroizing
//! memory) and its [`Kind`]; [`Document::open`] parses it once and counts its
//! pages, and an [`Engine`] (one per worker thread: it holds a Tesseract
//! instance with its language models loaded) recognises one page at a time
//! with [`Engine::recognise_page`]. A queue records each page as it is done,
//! so a document left half-way by a crash, a lock or a restart continues at
//! its next page; cancelling between pages is the caller's check between two
//! calls.
//!
//! # Where page images come from
//!
//! - PDF: the image a scanner put on each page, taken out of the file without
//!   rendering (`lopdf`): JPEG (`DCTDecode`), CCITT Group 4 and Group 3 1-D
//!   (`CCITTFaxDecode`, through `fax`, honouring `BlackIs1`, `Decode` and
//!   `ImageMask`), Flate with PNG/TIFF predictors and uncompressed samples
//!   (1/2/4/8 bits, gray, RGB, CMYK, indexed), JBIG2 with its shared
//!   symbols (`JBIG2Decode`, office scanners' usual encoding for text pages)
//!   and JPEG 2000 (`JPXDecode`), both through hayro's memory-safe decoders.
//!   A page whose content already shows text is
//!   [`PageOutcome::HasTextLayer`] in [`Mode::Auto`]. A page that draws
//!   one plain image upright (or turned by quarter turns) gives that image
//!   as it is; any other page of images (strips or tiles, MRC layers with
//!   an `/ImageMask` or `/SMask`, images in forms, scaled, turned or
//!   mirrored placements, `/Rotate`, a CropBox) is composed onto one page
//!   bitmap at 300 dpi by following the content's graphics state
//!   (`compose.rs`; not a renderer: vector art and text are not drawn). A
//!   page with no image to compose (vector art only, or an inline image
//!   with a filter) is the typed error [`Error::NeedsRendering`]: this
//!   build has no PDF renderer.
//! - PNG, JPEG and TIFF (every page of a multi-page TIFF; uncompressed,
//!   PackBits, LZW, Deflate, CCITT G4 and JPEG), decoded in Rust.
//!
//! Every image is decoded here, in memory-safe Rust, to 8-bit gray and handed
//! to Tesseract as raw pixels (`SetImage`): Leptonica never parses the file,
//! so its image readers (and their temporary-file fallbacks, below) are
//! never reached.
//!
//! # Limits
//!
//! Documents are untrusted. Sizes are checked from the headers before any
//! pixel is allocated ([`Limits`]: a side of at most 20,000 pixels, at most
//! 100 megapixels, a decoded-size budget), Flate streams are inflated only
//! up to the size the image needs, and every failure is an [`Error`] naming
//! the reason. Decoders also run under `catch_unwind` as a last line (a
//! decoder's panic is a [`Error::Corrupt`] page), which is not relied on
//! for the checks.
//!
//! # What Tesseract and Leptonica could write to disk, and why they do not
//!
//! Checked against Tesseract 5.3 and Leptonica 1.82 (Debian bookworm):
//!
//! - `tessedit_write_images` writes the thresholded page to `tessinput.tif`
//!   in the working folder — but only in `TessBaseAPI::ProcessPage`, the
//!   command-line path; this crate calls `SetImage` + `Recognize` only. It is
//!   set to false anyway.
//! - Debug output: `tprintf` goes to stderr, or to the file named by
//!   `debug_file`; it is set to `/dev/null` (Tesseract opens it for
//!   writing, as strace shows, and the null device discards it), so no
//!   message (which could quote a word) reaches the app's output or a log.
//! - Debug images and dumps (`tessedit_dump_pageseg_images`,
//!   `textord_tabfind_show_images`, `classify_save_adapted_templates`,
//!   `tessedit_write_params_to_file`, `tessedit_write_unlv`, box and training
//!   files) are all off by default and set off again explicitly; each name
//!   is checked when the engine starts (an unknown name fails
//!   [`Engine::new`]), so a renamed variable cannot silently stop applying.
//! - `ProcessPages` (files, URLs through libcurl, failed-vars files) and the
//!   PDF/hOCR renderers that write files are never called.
//! - Leptonica's in-memory readers and writers fall back to `tmpfile()` on a
//!   platform without `fmemopen`/`open_memstream`; its `pixDisplay*` debug
//!   writes go to `/tmp/lept`. This crate never calls Leptonica to read or
//!   write an image (pixels go in raw), so neither is reached.
//! - OpenMP (libgomp, which Debian's libtesseract links) writes nothing.
//!
//! The tests check this from outside: recognition with `TMPDIR` and the
//! working folder pointed at empty private folders leaves them empty.
//!
//! # Memory
//!
//! Decoded pixels and recognised text live in `Zeroizing` buffers and are
//! wiped when dropped. Tesseract and Leptonica copy the pixels into their own
//! buffers, which they free without wiping; those copies are gone when a
//! page is done, but their bytes may remain in freed heap memory until
//! reused. Decoders' internal buffers (zune-jpeg, tiff) are likewise freed
//! unwiped. Core dumps are off process-wide (see `harden.rs` in the core),
//! so such memory does not reach the disk.
//!
//! # Time
//!
//! Tesseract can be stopped mid-page only through a progress monitor
//! (`ETEXT_DESC`: a deadline and a cancel callback) passed to `Recognize`;
//! `tesseract-plumbing` 0.11 passes none and the workspace forbids the
//! `unsafe` needed to pass one. A per-page time limit is therefore the
//! caller's: run the engine on a worker thread (or a child process) and give
//! up on it, as `matterbox-extract` does. Pages are short (one page of a
//! 300 dpi scan takes a few seconds), so cancelling between pages answers a
//! lock within one page.

mod compose;
mod deskew;
mod gray;
mod pdf;
mod raster;
mod tess;

use std::path::PathBuf;

use zeroize::Zeroizing;

pub use gray::Gray;
pub use tess::{available_languages, debian_package, tessdata_dir};

/// The kinds of documents this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
}

impl Kind {
    /// The kind from a file's first bytes (its signature), if it is one this
    /// crate reads. Names can lie; signatures decide which parser runs.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"%PDF-")
            || (bytes.len() > 5
                && bytes[..bytes.len().min(1024)]
                    .windows(5)
                    .any(|w| w == b"%PDF-"))
        {
            Some(Kind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(b"II*\0")
            || bytes.starts_with(b"MM\0*")
            || bytes.starts_with(b"II+\0")
            || bytes.starts_with(b"MM\0+")
        {
            Some(Kind::Tiff)
        } else {
            None
        }
    }
}

/// Which pages are recognised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Pages that already carry text (a text layer) are not recognised:
    /// [`PageOutcome::HasTextLayer`]. The default.
    #[default]
    Auto,
    /// Every page is recognised from its image, even one with a text layer
    /// (an earlier, poor OCR layer is replaced in the index).
    Redo,
    /// As `Redo` for this engine, which never rewrites a PDF. (The
    /// searchable-PDF export copies a PDF that has a text layer as it is;
    /// it never replaces one.)
    Force,
}

/// Bounds on what one page may cost before it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest side a page image may have, in pixels.
    pub max_side: u32,
    /// The most pixels a page image may have.
    pub max_pixels: u64,
    /// The most bytes the decoded samples of one page image may take
    /// (before conversion to gray), and the most any one decompressed PDF
    /// stream may take.
    pub max_decoded_bytes: u64,
    /// The most pages a document may have.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_side: 20_000,
            max_pixels: 100_000_000,
            max_decoded_bytes: 320 << 20,
            max_pages: 10_000,
        }
    }
}

impl Limits {
    /// Refuses a `width` × `height` image with `bits` bits per pixel
    /// unless it is within the limits. Called with the sizes a file
    /// *declares*, before anything is allocated.
    pub fn check(&self, width: u64, height: u64, bits_per_pixel: u64) -> Result<(), Error> {
        if width == 0 || height == 0 {
            return Err(Error::Corrupt(
                "the image has no pixels (a side of 0)".into(),
            ));
        }
        if width > u64::from(self.max_side) || height > u64::from(self.max_side) {
            return Err(Error::TooLarge {
                width,
                height,
                reason: format!("a side is longer than {} pixels", self.max_side),
            });
        }
        let pixels = width * height;
        if pixels > self.max_pixels {
            return Err(Error::TooLarge {
                width,
                height,
                reason: format!("more than {} megapixels", self.max_pixels / 1_000_000),
            });
        }
        let bytes = (width * bits_per_pixel).div_ceil(8) * height;
        if bytes > self.max_decoded_bytes {
            return Err(Error::TooLarge {
                width,
                height,
                reason: format!(
                    "its decoded samples would take {} MiB, over the budget of {} MiB",
                    bytes >> 20,
                    self.max_decoded_bytes >> 20
                ),
            });
        }
        Ok(())
    }
}

/// How pages are recognised.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Tesseract language codes, recognised together (`["eng"]` by
    /// default). Each needs `<code>.traineddata`, from the Debian package
    /// `tesseract-ocr-<code>`.
    pub languages: Vec<String>,
    pub mode: Mode,
    /// Detect pages turned by 90, 180 or 270 degrees and read them upright
    /// (Tesseract's orientation detection; needs `osd.traineddata`, Debian
    /// `tesseract-ocr-osd`).
    pub detect_orientation: bool,
    /// Straighten pages scanned askew (up to 10 degrees) before
    /// recognition.
    pub deskew: bool,
    pub limits: Limits,
    /// Where the traineddata files are; `None` looks in `TESSDATA_PREFIX`
    /// and the usual system folders ([`tessdata_dir`]).
    pub tessdata: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            languages: vec!["eng".into()],
            mode: Mode::Auto,
            detect_orientation: true,
            deskew: true,
            limits: Limits::default(),
            tessdata: None,
        }
    }
}

/// Where a page's pixels came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Png,
    Jpeg,
    Tiff,
    /// A PDF page's embedded image, by its encoding.
    PdfJpeg,
    PdfCcittG4,
    PdfCcittG3,
    PdfFlate,
    PdfUncompressed,
    PdfJbig2,
    PdfJpeg2000,
    /// A PDF page composed from the images it draws (several strips or
    /// tiles, layers, masks, placements turned or mirrored), at 300 dpi.
    PdfComposed,
}

/// What recognising one page gave.
#[derive(Debug)]
pub enum PageOutcome {
    Recognised(PageText),
    /// The page already shows text ([`Mode::Auto`] does not recognise it
    /// again); the caller takes its text from the text layer.
    HasTextLayer,
}

/// The text of one page.
pub struct PageText {
    /// The recognised text, wiped when dropped.
    pub text: Zeroizing<String>,
    /// Tesseract's mean word confidence, 0–100 (0 for a page with no words).
    pub mean_confidence: u8,
    /// How far the page's text was turned, in degrees counter-clockwise
    /// (0, 90, 180 or 270), as orientation detection found it; the text
    /// was read upright.
    pub orientation_applied: u16,
    /// The skew corrected before recognition, in degrees (0 when none).
    pub deskew_degrees: f32,
    pub width: u32,
    pub height: u32,
    /// The resolution used: from the file, or `None` (Tesseract estimated
    /// it from the size of the text).
    pub dpi: Option<u32>,
    pub source: Source,
}

impl std::fmt::Debug for PageText {
    /// Never prints the text (document content stays out of logs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageText")
            .field(
                "text",
                &format_args!("[{} chars redacted]", self.text.chars().count()),
            )
            .field("mean_confidence", &self.mean_confidence)
            .field("orientation_applied", &self.orientation_applied)
            .field("deskew_degrees", &self.deskew_degrees)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("dpi", &self.dpi)
            .field("source", &self.source)
            .finish()
    }
}

/// Why a document or page was not recognised. Messages name the reason and
/// never quote document content.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a PDF, PNG, JPEG or TIFF.
    #[error("not a PDF, PNG, JPEG or TIFF file")]
    UnknownFormat,
    /// The file or page image is damaged or does not parse.
    #[error("the file could not be read: {0}")]
    Corrupt(String),
    /// The PDF is encrypted (password-protected).
    #[error("the PDF is encrypted")]
    Encrypted,
    #[error("page {index} does not exist (the document has {count} pages)")]
    PageOutOfRange { index: usize, count: usize },
    /// The document has more pages than [`Limits::max_pages`].
    #[error("the document has more than {max} pages")]
    TooManyPages { max: usize },
    /// A page image is larger than [`Limits`] allow (a decompression bomb
    /// or a giant scan), refused before its pixels were allocated.
    #[error("the page image ({width} × {height} pixels) is refused: {reason}")]
    TooLarge {
        width: u64,
        height: u64,
        reason: String,
    },
    /// A page image uses an encoding this crate does not decode.
    #[error("the page image's encoding is not supported: {0}")]
    UnsupportedEncoding(String),
    /// The page has no image to recognise it from (vector art only, or an
    /// inline image with a filter); it would have to be rendered, which
    /// this build cannot do.
    #[error("the page would have to be rendered ({0}); this build has no PDF renderer")]
    NeedsRendering(String),
    /// A language's traineddata is not installed.
    #[error("the OCR language '{code}' is not installed (Debian package {package})")]
    MissingLanguage { code: String, package: String },
    /// A language code that is not a Tesseract language name.
    #[error("'{0}' is not a language code")]
    InvalidLanguage(String),
    /// No folder with traineddata files was found.
    #[error("no Tesseract language data found (looked in {0}); install tesseract-ocr-eng")]
    NoLanguageData(String),
    /// Tesseract failed (initialisation or recognition).
    #[error("Tesseract failed: {0}")]
    Tesseract(String),
}

impl Error {
    /// A stable snake_case code for the IPC boundary and the queue's
    /// records.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownFormat => "unknown_format",
            Error::Corrupt(_) => "corrupt",
            Error::Encrypted => "encrypted",
            Error::PageOutOfRange { .. } => "page_out_of_range",
            Error::TooManyPages { .. } => "too_many_pages",
            Error::TooLarge { .. } => "too_large",
            Error::UnsupportedEncoding(_) => "unsupported_encoding",
            Error::NeedsRendering(_) => "needs_rendering",
            Error::MissingLanguage { .. } => "missing_language",
            Error::InvalidLanguage(_) => "invalid_language",
            Error::NoLanguageData(_) => "no_language_data",
            Error::Tesseract(_) => "tesseract",
        }
    }
}

/// A page's image, decoded, or the reason it is not recognised.
pub(crate) enum PageImage {
    Image { gray: Gray, source: Source },
    HasTextLayer,
}

/// One parsed document: its pages, ready to be taken one at a time.
pub struct Document<'a> {
    inner: Inner<'a>,
    limits: Limits,
}

enum Inner<'a> {
    Pdf(Box<pdf::Pdf>),
    Single { kind: Kind, bytes: &'a [u8] },
    Tiff { bytes: &'a [u8], pages: usize },
}

impl<'a> Document<'a> {
    /// Parses `bytes` as a document of `kind` and counts its pages. The
    /// bytes are borrowed, never copied to disk; keep them in zeroizing
    /// memory.
    pub fn open(kind: Kind, bytes: &'a [u8], limits: &Limits) -> Result<Document<'a>, Error> {
        let inner = guard(|| match kind {
            Kind::Pdf => Ok(Inner::Pdf(Box::new(pdf::Pdf::open(bytes, limits)?))),
            Kind::Png | Kind::Jpeg => Ok(Inner::Single { kind, bytes }),
            Kind::Tiff => Ok(Inner::Tiff {
                bytes,
                pages: raster::tiff_page_count(bytes, limits)?,
            }),
        })?;
        Ok(Document {
            inner,
            limits: *limits,
        })
    }

    /// How many pages the document has.
    pub fn page_count(&self) -> usize {
        match &self.inner {
            Inner::Pdf(p) => p.page_count(),
            Inner::Single { .. } => 1,
            Inner::Tiff { pages, .. } => *pages,
        }
    }

    /// Whether page `index` (from 0) already shows text. Always false for
    /// images.
    pub fn page_has_text_layer(&self, index: usize) -> Result<bool, Error> {
        self.check_index(index)?;
        match &self.inner {
            Inner::Pdf(p) => guard(|| p.has_text_layer(index, &self.limits)),
            _ => Ok(false),
        }
    }

    /// The decoded image of page `index` (from 0) as 8-bit gray, upright
    /// as the page is shown (a PDF page's CropBox, turned by its
    /// `/Rotate`).
    pub fn page_image(&self, index: usize) -> Result<(Gray, Source), Error> {
        match self.page(index, Mode::Force, true)? {
            PageImage::Image { gray, source } => Ok((gray, source)),
            PageImage::HasTextLayer => Err(Error::Corrupt("unreachable: forced page".into())),
        }
    }

    /// As [`Document::page_image`], but a PDF page's image covers its
    /// MediaBox as stored, without its `/Rotate`: the frame in which a
    /// text layer's words are placed (image pixels spread over the
    /// MediaBox, origin top left). The same as `page_image` for images.
    pub fn page_image_over_media_box(&self, index: usize) -> Result<(Gray, Source), Error> {
        match self.page(index, Mode::Force, false)? {
            PageImage::Image { gray, source } => Ok((gray, source)),
            PageImage::HasTextLayer => Err(Error::Corrupt("unreachable: forced page".into())),
        }
    }

    fn check_index(&self, index: usize) -> Result<(), Error> {
        let count = self.page_count();
        if index >= count {
            return Err(Error::PageOutOfRange { index, count });
        }
        Ok(())
    }

    fn page(&self, index: usize, mode: Mode, shown: bool) -> Result<PageImage, Error> {
        self.check_index(index)?;
        let limits = &self.limits;
        guard(|| match &self.inner {
            Inner::Pdf(p) => p.page(index, mode, limits, shown),
            Inner::Single {
                kind: Kind::Png,
                bytes,
            } => Ok(PageImage::Image {
                gray: raster::decode_png_jpeg(bytes, image::ImageFormat::Png, limits)?,
                source: Source::Png,
            }),
            Inner::Single { bytes, .. } => Ok(PageImage::Image {
                gray: raster::decode_png_jpeg(bytes, image::ImageFormat::Jpeg, limits)?,
                source: Source::Jpeg,
            }),
            Inner::Tiff { bytes, .. } => Ok(PageImage::Image {
                gray: raster::decode_tiff_page(bytes, index, limits)?,
                source: Source::Tiff,
            }),
        })
    }
}

/// Runs a parser of untrusted input; a panic in it (a decoder's bug) is a
/// corrupt file, never a crash. The checks come first: this is the last
/// line, not the defence.
fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::Corrupt("a decoder failed on this file".into())))
}

/// A Tesseract instance with its languages loaded. One per worker thread
/// (it is `Send`, not `Sync`); reuse it across pages and documents, since
/// loading the models takes a noticeable fraction of a page's time.
pub struct Engine {
    tess: tess::Tess,
    options: Options,
}

impl Engine {
    /// Checks the languages and starts Tesseract with them. A missing
    /// language is [`Error::MissingLanguage`] naming its Debian package.
    pub fn new(options: &Options) -> Result<Engine, Error> {
        Ok(Engine {
            tess: tess::Tess::new(options)?,
            options: options.clone(),
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Recognises page `index` (from 0) of `document`.
    pub fn recognise_page(
        &mut self,
        document: &Document<'_>,
        index: usize,
    ) -> Result<PageOutcome, Error> {
        match document.page(index, self.options.mode, true)? {
            PageImage::HasTextLayer => Ok(PageOutcome::HasTextLayer),
            PageImage::Image { gray, source } => self
                .recognise_image(gray, source)
                .map(PageOutcome::Recognised),
        }
    }

    /// Recognises an image already decoded (straightened if the options
    /// say so).
    pub fn recognise_image(&mut self, gray: Gray, source: Source) -> Result<PageText, Error> {
        let (gray, deskew_degrees) = if self.options.deskew {
            deskew::deskew(gray)
        } else {
            (gray, 0.0)
        };
        let recognised = self.tess.recognise(&gray)?;
        Ok(PageText {
            text: recognised.text,
            mean_confidence: recognised.mean_confidence,
            orientation_applied: recognised.orientation,
            deskew_degrees,
            width: gray.width,
            height: gray.height,
            dpi: gray.dpi,
            source,
        })
    }
}

/// A recognised word and its box in the page image's pixels (origin top
/// left), for a text layer. `Debug` leaves the word out.
pub struct WordBox {
    pub text: Zeroizing<String>,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// Words of one line share a number (counted from 1 down the page).
    pub line: u32,
}

impl std::fmt::Debug for WordBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WordBox([redacted] {},{} {}x{} line {})",
            self.left, self.top, self.width, self.height, self.line
        )
    }
}

impl Engine {
    /// Recognises a page image as it is (never straightened: the boxes must
    /// fall on the image a searchable PDF shows) and returns its words with
    /// their boxes. Orientation detection still reads a sideways page; its
    /// boxes are in the image's own pixels.
    pub fn recognise_words(&mut self, gray: &Gray) -> Result<Vec<WordBox>, Error> {
        self.tess.words(gray)
    }
}

/// How many pages a document has (parses it; for many calls, keep a
/// [`Document`]).
pub fn page_count(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<usize, Error> {
    Document::open(kind, bytes, limits).map(|d| d.page_count())
}

/// Recognises one page of a document with a fresh engine: the simplest
/// call, for one-off use. A queue keeps an [`Engine`] per worker and a
/// [`Document`] per document instead.
pub fn recognise_page(
    kind: Kind,
    bytes: &[u8],
    index: usize,
    options: &Options,
) -> Result<PageOutcome, Error> {
    let document = Document::open(kind, bytes, &options.limits)?;
    Engine::new(options)?.recognise_page(&document, index)
}

#[cfg(test)]
mod tests;
