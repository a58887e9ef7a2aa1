//! Documents in a session: import, versions, reading (export, preview,
//! open with another application), changes, search and the doctor. Every
//! read authenticates and checks the SHA-256 recorded at import; a damaged
//! document never yields partial plaintext.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use matterbox_documents::DocumentKey;
use matterbox_documents::blobs::BlobStore;
use matterbox_domain::documents::{
    self, DocumentPatch, DocumentSummary, Shelf, VersionInfo, VersionKey,
};
use matterbox_domain::matters;
use matterbox_domain::saved_searches::{self, Saved, SavedSearch};
use matterbox_domain::search::{self, SearchFilter, SearchPage, TextStatus};
use matterbox_extract::{Extraction, Kind};
use matterbox_vault::KeyPurpose;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::cancel::{Cancel, Checked, Counted, Progress, Watch};
use crate::{CoreError, Result, Session};

/// The largest document shown in the app's preview (it is decrypted into
/// memory); larger ones are exported or opened with another application.
pub const MAX_PREVIEW: u64 = 256 << 20;

fn doc_err(e: matterbox_documents::FormatError) -> CoreError {
    match e {
        matterbox_documents::FormatError::Io(io) => CoreError::Io {
            doing: "sealing, listing or removing encrypted document files",
            source: io,
        },
        matterbox_documents::FormatError::Random => {
            CoreError::Internal("the system's random number generator failed")
        }
        matterbox_documents::FormatError::DecryptionFailed
        | matterbox_documents::FormatError::NotADocument
        | matterbox_documents::FormatError::UnsupportedVersion(_) => {
            CoreError::Internal("an encrypted document file did not read back")
        }
    }
}

fn text_status(extraction: Extraction) -> (String, TextStatus) {
    match extraction {
        Extraction::Text(t) => (t, TextStatus::Extracted),
        Extraction::NoText => (String::new(), TextStatus::NoText),
        Extraction::Unsupported => (String::new(), TextStatus::Unsupported),
    }
}

/// Passes a file's bytes through to the sealer while keeping a copy of
/// the first `limit` of them, in memory that is wiped when dropped, for the
/// text extractor: an imported file is read once, and its text comes from
/// exactly the bytes that were sealed.
struct KeepPrefix<'a> {
    inner: &'a mut (dyn Read + Send),
    kept: Zeroizing<Vec<u8>>,
    limit: usize,
    /// More than `limit` bytes came through.
    overflow: bool,
}

impl Read for KeepPrefix<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = self.limit.saturating_sub(self.kept.len());
        if n > room {
            self.overflow = true;
        }
        self.kept.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

/// The text of an imported file from the bytes kept while it was sealed.
/// Plain text is indexed up to its first 16 MiB; other kinds larger than
/// [`matterbox_extract::MAX_INPUT`] are not searchable (their parsers
/// need the whole file), so memory stays bounded whatever the size.
fn text_of(
    kind: Kind,
    kept: Zeroizing<Vec<u8>>,
    overflow: bool,
    cancel: &Cancel,
) -> Result<(String, TextStatus)> {
    if !kind.has_text() {
        return Ok(text_status(matterbox_extract::extract(kind, &[])));
    }
    if kind != Kind::Text && overflow {
        return Ok((String::new(), TextStatus::Unsupported));
    }
    Ok(text_status(extract_unless_cancelled(kind, kept, cancel)?))
}

/// Extracts text, stopping with `Cancelled` as soon as `cancel` is set.
/// A parser cannot be interrupted, so PDFs, DOCX and e-mail are parsed on
/// their own thread while this one watches `cancel` and the time limit
/// ([`matterbox_extract::time_limit`]); when `cancel` is set, the caller
/// returns at once (and the session's keys can go) while the parser
/// finishes on its own and drops its copy of the bytes, which is wiped. A
/// file whose parsing outlasts the limit is imported without text.
/// Plain text is only decoded, fast enough to do here.
fn extract_unless_cancelled(
    kind: Kind,
    bytes: Zeroizing<Vec<u8>>,
    cancel: &Cancel,
) -> Result<Extraction> {
    cancel.check()?;
    if kind == Kind::Text || !kind.has_text() {
        return Ok(matterbox_extract::extract(kind, &bytes));
    }
    let limit = matterbox_extract::time_limit(bytes.len());
    let stop = || cancel.check().is_err();
    match matterbox_extract::extract_within(kind, bytes, limit, &stop)
        .map_err(CoreError::io("starting the text extraction thread"))?
    {
        Some(extraction) => Ok(extraction),
        None => Err(CoreError::Cancelled),
    }
}

/// Text for a court bundle's pages, extracted as on import.
pub(crate) fn extract_for_bundle(
    kind: Kind,
    bytes: Zeroizing<Vec<u8>>,
    cancel: &Cancel,
) -> Result<Extraction> {
    extract_unless_cancelled(kind, bytes, cancel)
}

/// How much of an imported file of `kind` is kept for its text.
fn text_limit(kind: Kind) -> usize {
    match kind {
        _ if !kind.has_text() => 0,
        Kind::Text => matterbox_extract::MAX_TEXT,
        _ => usize::try_from(matterbox_extract::MAX_INPUT).unwrap_or(usize::MAX),
    }
}

/// Opens a file to import without waiting on it: anything but a regular
/// file (a FIFO, a device, a folder) is refused before a byte is read, and
/// the returned handle is the one that was checked.
pub(crate) fn open_regular(source: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would wait for a writer.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(source)
        .map_err(CoreError::user_file("read", source))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(CoreError::Invalid(format!(
            "{} is not a regular file (a folder, a pipe or a device); only files can be imported.",
            source.display()
        )));
    }
    Ok(file)
}

/// What looks wrong with a file about to be imported, said to the user
/// (the file is imported all the same; nothing is lost): it is empty, or
/// its content is not what its extension says (a `.pdf` that is a PNG
/// image, a `.docx` that is not a zip). Only extensions whose content
/// has a fixed signature are checked; text, e-mail and unknown kinds pass.
pub fn import_warning(source: &Path) -> Option<String> {
    use std::io::Read;
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file = open_regular(source).ok()?;
    let mut head = Vec::with_capacity(1024);
    (&mut file).take(1024).read_to_end(&mut head).ok()?;
    if head.is_empty() {
        return Some(format!(
            "\u{201c}{name}\u{201d} is empty (0 bytes): check that the scanner or the program that made it finished."
        ));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    let expected = signature_kind(&ext)?;
    let found = content_kind(&head);
    if found == Some(expected) {
        return None;
    }
    Some(format!(
        "\u{201c}{name}\u{201d} is named as {} but its content is {}. It was imported as it is; check the file, or rename it.",
        expected.described(),
        found.map_or("something else", ContentKind::described)
    ))
}

/// Kinds of content recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContentKind {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Tiff,
    /// Office Open XML and OpenDocument files are zip archives.
    Zip,
    /// Older Office files (`.doc`, `.xls`): a compound file.
    Compound,
}

impl ContentKind {
    fn described(self) -> &'static str {
        match self {
            ContentKind::Pdf => "a PDF",
            ContentKind::Png => "a PNG image",
            ContentKind::Jpeg => "a JPEG image",
            ContentKind::Gif => "a GIF image",
            ContentKind::Tiff => "a TIFF image",
            ContentKind::Zip => "a zip archive (such as a Word or OpenDocument file)",
            ContentKind::Compound => "an older Office file",
        }
    }
}

fn signature_kind(ext: &str) -> Option<ContentKind> {
    Some(match ext {
        "pdf" => ContentKind::Pdf,
        "png" => ContentKind::Png,
        "jpg" | "jpeg" => ContentKind::Jpeg,
        "gif" => ContentKind::Gif,
        "tif" | "tiff" => ContentKind::Tiff,
        "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" | "zip" => ContentKind::Zip,
        "doc" | "xls" | "ppt" | "msg" => ContentKind::Compound,
        _ => return None,
    })
}

fn content_kind(head: &[u8]) -> Option<ContentKind> {
    // A PDF may carry a few bytes before its header.
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(ContentKind::Pdf);
    }
    let starts = |sig: &[u8]| head.starts_with(sig);
    Some(if starts(b"\x89PNG\r\n\x1a\n") {
        ContentKind::Png
    } else if starts(&[0xff, 0xd8, 0xff]) {
        ContentKind::Jpeg
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        ContentKind::Gif
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        ContentKind::Tiff
    } else if starts(b"PK\x03\x04") {
        ContentKind::Zip
    } else if starts(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        ContentKind::Compound
    } else {
        return None;
    })
}

/// A document from `source`, sealed into a new blob (durable, not yet
/// recorded).
pub(crate) struct Sealed {
    pub(crate) blob_id: String,
    key_id: [u8; 16],
    wrapped: Vec<u8>,
    pub(crate) size: u64,
    pub(crate) sha256: [u8; 32],
}

impl Sealed {
    pub(crate) fn version(&self) -> documents::NewVersion<'_> {
        documents::NewVersion {
            blob_id: &self.blob_id,
            key_id: &self.key_id,
            wrapped_key: &self.wrapped,
            size: self.size,
            sha256: &self.sha256,
        }
    }
}

/// A document with what its detail view needs.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentDetail {
    pub document: DocumentSummary,
    pub versions: Vec<VersionInfo>,
    pub preview_kind: PreviewKind,
    /// Text recognition of a scan: queued, running (page k of n), done
    /// with its confidence, partial or failed with the reason.
    pub ocr: Option<matterbox_domain::ocr::OcrJob>,
}

/// How the app shows a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PreviewKind {
    Pdf,
    Image,
    Text,
    /// Shown as its extracted text (DOCX, e-mail).
    ExtractedText,
    /// No preview: export or open with another application.
    None,
}

impl PreviewKind {
    pub fn of(name: &str) -> PreviewKind {
        match Kind::of(name) {
            Kind::Pdf => PreviewKind::Pdf,
            Kind::Image => PreviewKind::Image,
            Kind::Text => PreviewKind::Text,
            Kind::Docx | Kind::Email => PreviewKind::ExtractedText,
            Kind::Other => PreviewKind::None,
        }
    }
}

/// A document's content for the preview, decrypted in memory only.
pub struct Preview {
    pub kind: PreviewKind,
    /// The file's bytes (PDF, image, text) or its extracted text (UTF-8).
    pub bytes: Zeroizing<Vec<u8>>,
}

fn damaged(v: &VersionKey) -> CoreError {
    CoreError::DocumentDamaged {
        title: v.title.clone(),
    }
}

/// See [`Session::decrypt_version`]; usable off the session's thread.
pub(crate) fn decrypt_with(
    blobs: &BlobStore,
    key: &DocumentKey,
    v: &VersionKey,
    out: &mut dyn Write,
    cancel: &Cancel,
) -> Result<()> {
    cancel.check()?;
    let mut out = Checked { inner: out, cancel };
    let summary = blobs
        .read(&v.blob_id, key, &mut out)
        .map_err(|_| cancel.explain(damaged(v)))?;
    if summary.sha256.as_slice() != v.sha256.as_slice() {
        return Err(damaged(v));
    }
    Ok(())
}

/// A document the doctor found a problem with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentProblem {
    pub id: i64,
    pub title: String,
}

/// What [`Session::doctor`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// Document versions checked against the blob area.
    pub checked: usize,
    /// Document versions the vault records (all of them are checked unless
    /// the user stopped the doctor).
    pub recorded: usize,
    /// Set when the user stopped the doctor: the versions checked before
    /// (the first `checked` of `recorded`); the others were not looked at,
    /// so the report is not a clean bill of health.
    pub cancelled_after: Option<usize>,
    pub orphans_removed: usize,
    /// Blobs no record points to, left in place (too recent, or not fixing).
    pub orphans: Vec<String>,
    pub temporary_removed: usize,
    pub temporary: usize,
    pub missing: Vec<DocumentProblem>,
    pub damaged: Vec<DocumentProblem>,
    /// Pages of the database that fail SQLCipher's or SQLite's checks.
    pub database_problems: Vec<String>,
    /// Why `fix` removed nothing although there were orphans, if it did not.
    pub fix_refused: Option<String>,
    /// The audit log checked link by link against its anchor, as
    /// `audit verify` does (as found, before the doctor's own entry).
    pub audit: Option<crate::Verification>,
}

impl DoctorReport {
    /// Whether every recorded document is present (and, if checked, intact)
    /// and nothing is left over.
    pub fn healthy(&self) -> bool {
        self.cancelled_after.is_none()
            && self.orphans.is_empty()
            && self.temporary == 0
            && self.missing.is_empty()
            && self.damaged.is_empty()
            && self.database_problems.is_empty()
            && !matches!(self.audit, Some(crate::Verification::Broken { .. }))
    }
}

/// `doctor --fix` removes at most this many orphaned documents on its own;
/// more needs the caller's explicit `allow_many` (a database that lost its
/// records makes every document look like an orphan).
pub const MAX_ORPHANS_REMOVED_UNASKED: usize = 5;

/// The private folder for decrypted copies opened with another
/// application. Files are created 0600 in a 0700 folder and wiped
/// (overwritten, then unlinked) by [`OpenCopies::wipe`], which the app runs
/// on lock, on exit and at start (after a crash).
#[derive(Clone, Debug)]
pub struct OpenCopies {
    pub dir: PathBuf,
}

impl OpenCopies {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default folder of this user (see [`matterbox_vault::paths::open_copies_dir`]).
    pub fn from_os() -> Result<Self> {
        Ok(Self::new(matterbox_vault::paths::open_copies_dir()?))
    }

    /// Overwrites every file below the folder with zeros, removes it, and
    /// removes the folders; returns how many files were wiped. Best effort
    /// per file: one that cannot be overwritten is still unlinked.
    pub fn wipe(&self) -> Result<usize> {
        fn walk(dir: &Path, count: &mut usize) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    walk(&path, count)?;
                    std::fs::remove_dir(&path)?;
                } else {
                    if kind.is_file() {
                        let _ = overwrite(&path);
                    }
                    std::fs::remove_file(&path)?;
                    *count += 1;
                }
            }
            Ok(())
        }
        fn overwrite(path: &Path) -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
            matterbox_vault::fsutil::zero_fill(&mut file)
        }
        let mut count = 0;
        match walk(&self.dir, &mut count) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => {
                return Err(CoreError::Io {
                    doing: "wiping the opened copies",
                    source: e,
                });
            }
        }
        Ok(count)
    }
}

impl Session {
    fn document_wrapping_key(&self) -> matterbox_vault::DerivedKey {
        self.master
            .derive(self.vault.id(), KeyPurpose::DocumentKeyWrap)
    }

    pub(crate) fn blobs(&self) -> BlobStore {
        BlobStore::new(self.vault.blobs_dir())
    }

    /// Encrypts what `reader` yields with a fresh key into a new, durable
    /// blob, and wraps the key for the database.
    ///
    /// A lock requested meanwhile stops it within a chunk with
    /// `Cancelled`; the temporary file is removed, and so is a blob that
    /// was complete when the lock came: nothing is left to record.
    pub(crate) fn seal(&self, reader: &mut (dyn Read + Send)) -> Result<Sealed> {
        self.cancel.check()?;
        let key = DocumentKey::generate().map_err(doc_err)?;
        let key_id = matterbox_documents::new_key_id().map_err(doc_err)?;
        let blobs = self.blobs();
        let mut input = Checked {
            inner: reader,
            cancel: &self.cancel,
        };
        let (blob_id, summary) = blobs
            .write_new(&mut input, &key, key_id)
            .map_err(|e| self.cancel.explain(doc_err(e)))?;
        if self.cancel.is_cancelled() {
            let _ = blobs.remove(&blob_id);
            return Err(CoreError::Cancelled);
        }
        let wrapped =
            matterbox_documents::wrap_key(self.document_wrapping_key().expose(), &key, &blob_id);
        match wrapped {
            Ok(wrapped) => Ok(Sealed {
                blob_id,
                key_id,
                wrapped,
                size: summary.plaintext_len,
                sha256: summary.sha256,
            }),
            Err(e) => {
                let _ = blobs.remove(&blob_id);
                Err(doc_err(e))
            }
        }
    }

    /// Seals what `reader` yields, and extracts the text of a file named
    /// `name` from the same bytes (one read of the file).
    pub(crate) fn seal_with_text(
        &self,
        reader: &mut (dyn Read + Send),
        name: &str,
    ) -> Result<(Sealed, String, TextStatus)> {
        let kind = Kind::of(name);
        let mut keep = KeepPrefix {
            inner: reader,
            kept: Zeroizing::new(Vec::new()),
            limit: text_limit(kind),
            overflow: false,
        };
        let sealed = self.seal(&mut keep)?;
        let KeepPrefix { kept, overflow, .. } = keep;
        match text_of(kind, kept, overflow, &self.cancel) {
            Ok((body, status)) => Ok((sealed, body, status)),
            Err(e) => {
                let _ = self.blobs().remove(&sealed.blob_id);
                Err(e)
            }
        }
    }

    fn seal_file(&self, source: &Path, name: &str) -> Result<(Sealed, String, TextStatus)> {
        let mut file = open_regular(source)?;
        self.seal_with_text(&mut std::io::BufReader::new(&mut file), name)
    }

    /// Records a sealed blob with `record`. If that fails, the blob is
    /// removed — but only when no record points at it: a failure that came
    /// after the commit (or a commit whose outcome is unknown) must never
    /// take away the file of a document that was recorded. The doctor
    /// finds any orphan left behind.
    pub(crate) fn commit_sealed<T>(
        &mut self,
        sealed: &Sealed,
        record: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let out = record(self);
        if out.is_err() && matches!(self.blob_recorded(&sealed.blob_id), Ok(false)) {
            let _ = self.blobs().remove(&sealed.blob_id);
        }
        out
    }

    /// Whether the audit log records more documents added (imported or
    /// ingested) than destroyed: then a database without documents has
    /// lost them.
    fn log_says_documents_exist(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM audit_log WHERE action IN ('document_imported', 'inbox_ingested'))
                  > (SELECT count(*) FROM audit_log WHERE action = 'document_destroyed')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Whether a document version or an Unfiled inbox item holds `blob_id`.
    fn blob_recorded(&self, blob_id: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM document_versions WHERE blob_id = ?1)
                 OR EXISTS (SELECT 1 FROM inbox_items WHERE blob_id = ?1)",
            [blob_id],
            |r| r.get(0),
        )?)
    }

    /// The key of version `v`, unwrapped (a failure means damage).
    pub(crate) fn version_key(&self, v: &VersionKey) -> Result<DocumentKey> {
        matterbox_documents::unwrap_key(
            self.document_wrapping_key().expose(),
            &v.wrapped_key,
            &v.blob_id,
        )
        .map_err(|_| damaged(v))
    }

    /// Decrypts version `v` into `out`, checking every chunk and the
    /// SHA-256 recorded at import. On error `out` may hold a verified
    /// prefix: callers write to a place they discard on error.
    fn decrypt_version(&self, v: &VersionKey, out: &mut dyn Write) -> Result<()> {
        decrypt_with(&self.blobs(), &self.version_key(v)?, v, out, &self.cancel)
    }

    /// Version `v` decrypted into memory that is wiped when dropped.
    pub(crate) fn decrypt_to_memory(&self, v: &VersionKey, max: u64) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt_sized(v, self.version_size(v)?, max)
    }

    /// The recorded size of version `v`.
    fn version_size(&self, v: &VersionKey) -> Result<i64> {
        Ok(documents::versions(&self.conn, v.document_id)?
            .into_iter()
            .find(|i| i.version == v.version)
            .map(|i| i.size)
            .unwrap_or_default())
    }

    /// Sealed content of `size` bytes decrypted into memory that is wiped
    /// when dropped; refused above `max`.
    fn decrypt_sized(&self, v: &VersionKey, size: i64, max: u64) -> Result<Zeroizing<Vec<u8>>> {
        if u64::try_from(size).unwrap_or(u64::MAX) > max {
            return Err(CoreError::Invalid(format!(
                "\u{201c}{}\u{201d} is {}, too large to show here; export it or open it with another application.",
                v.title,
                matterbox_domain::text::over_limit_text(
                    u64::try_from(size).unwrap_or(u64::MAX),
                    max
                )
            )));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0)));
        match self.decrypt_version(v, &mut *bytes) {
            Ok(()) => Ok(bytes),
            Err(e) => Err(e),
        }
    }

    /// Imports the file at `source` into a matter: encrypted with a fresh
    /// key into a new blob (durable before the record), then recorded with
    /// its text and its audit entry. The same content already in the matter
    /// is refused unless `allow_duplicate`, so the user chooses.
    pub fn import_document(
        &mut self,
        matter_id: i64,
        source: &Path,
        title: Option<&str>,
        allow_duplicate: bool,
    ) -> Result<DocumentSummary> {
        self.import_document_inner(matter_id, source, title, allow_duplicate, &Watch::NONE)
    }

    /// [`Session::import_document`], telling `watch` how many bytes of the
    /// file have been read so far (item 1 of 1, named by the file) and
    /// stopping when it says so: `None` when stopped,
    /// with nothing of the file kept (its partial blob removed, no record).
    /// A stop that comes after the file was read whole is too late: the
    /// document is imported.
    pub fn import_document_watched(
        &mut self,
        matter_id: i64,
        source: &Path,
        title: Option<&str>,
        allow_duplicate: bool,
        watch: &Watch<'_>,
    ) -> Result<Option<DocumentSummary>> {
        let imported = self.import_document_inner(matter_id, source, title, allow_duplicate, watch);
        self.unless_stopped(imported, watch)
    }

    /// `None` when `done` failed because `watch` stopped it (not because
    /// the vault is being locked: that stays an error).
    pub(crate) fn unless_stopped<T>(
        &self,
        done: Result<T>,
        watch: &Watch<'_>,
    ) -> Result<Option<T>> {
        match done {
            Ok(t) => Ok(Some(t)),
            Err(_) if watch.stopped() && !self.cancel.is_cancelled() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn import_document_inner(
        &mut self,
        matter_id: i64,
        source: &Path,
        title: Option<&str>,
        allow_duplicate: bool,
        watch: &Watch<'_>,
    ) -> Result<DocumentSummary> {
        matters::get(&self.conn, matter_id)?;
        // A name with control characters is kept legible (they become
        // U+FFFD), so the file can still be imported.
        let original_name = matterbox_domain::text::name_from_file(
            &source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let title = title
            .map(str::to_string)
            .unwrap_or_else(|| original_name.clone());
        let mut file = open_regular(source)?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut watched = Counted::new(
            std::io::BufReader::new(&mut file),
            Progress {
                item: 1,
                items: 1,
                name: original_name.clone(),
                bytes: 0,
                total,
            },
            watch,
        );
        self.import_from(
            matter_id,
            &mut watched,
            &original_name,
            &title,
            allow_duplicate,
        )
    }

    /// [`Session::import_document`] once its source is open.
    pub(crate) fn import_from(
        &mut self,
        matter_id: i64,
        source: &mut (dyn Read + Send),
        original_name: &str,
        title: &str,
        allow_duplicate: bool,
    ) -> Result<DocumentSummary> {
        let (sealed, body, status) = self.seal_with_text(source, original_name)?;
        let id = self.commit_sealed(&sealed, |s| {
            s.write(|tx, rec| {
                if !allow_duplicate
                    && let Some((id, existing)) =
                        documents::find_same_content(tx, matter_id, &sealed.sha256)?
                {
                    return Err(CoreError::Domain(matterbox_domain::DomainError::Conflict(format!(
                        "This matter already holds the same content as document {id}, \u{201c}{existing}\u{201d}. Import it again choosing to keep both if you want a second copy."
                    ))));
                }
                let id = documents::create(tx, matter_id, title, original_name, &sealed.version())?;
                search::index(tx, id, title, original_name, &body, status)?;
                rec.record(
                    "document_imported",
                    &format!("document:{id}"),
                    json!({ "matter": format!("matter:{matter_id}"), "version": 1, "size": sealed.size }),
                )?;
                Ok(id)
            })
        })?;
        Ok(documents::get(&self.conn, id)?)
    }

    /// A matter's documents (not in the trash), newest first.
    pub fn documents(&self, matter_id: i64) -> Result<Vec<DocumentSummary>> {
        matters::get(&self.conn, matter_id)?;
        Ok(documents::list(&self.conn, matter_id, Shelf::Live)?)
    }

    /// A matter's documents in the trash.
    pub fn trashed_documents(&self, matter_id: i64) -> Result<Vec<DocumentSummary>> {
        matters::get(&self.conn, matter_id)?;
        Ok(documents::list(&self.conn, matter_id, Shelf::Trash)?)
    }

    pub fn document(&self, id: i64) -> Result<DocumentSummary> {
        Ok(documents::get(&self.conn, id)?)
    }

    pub fn document_versions(&self, id: i64) -> Result<Vec<VersionInfo>> {
        Ok(documents::versions(&self.conn, id)?)
    }

    /// A document with what its detail view needs.
    pub fn document_detail(&self, id: i64) -> Result<DocumentDetail> {
        let document = self.document(id)?;
        Ok(DocumentDetail {
            preview_kind: PreviewKind::of(&document.original_name),
            versions: self.document_versions(id)?,
            ocr: matterbox_domain::ocr::job(&self.conn, id)?,
            document,
        })
    }

    /// Renames, re-tags or annotates a document (audited by field names).
    pub fn update_document(&mut self, id: i64, patch: &DocumentPatch) -> Result<DocumentSummary> {
        self.write(|tx, rec| {
            let fields = documents::update(tx, id, patch)?;
            rec.record(
                "document_updated",
                &format!("document:{id}"),
                json!({ "fields": fields }),
            )?;
            Ok(documents::get(tx, id)?)
        })
    }

    pub fn move_document(&mut self, id: i64, matter_id: i64) -> Result<DocumentSummary> {
        self.write(|tx, rec| {
            let from = documents::move_to(tx, id, matter_id)?;
            rec.record(
                "document_moved",
                &format!("document:{id}"),
                json!({ "from": format!("matter:{from}"), "to": format!("matter:{matter_id}") }),
            )?;
            Ok(documents::get(tx, id)?)
        })
    }

    /// Moves a document to the trash (or back). Trashed documents leave
    /// lists and search; their bytes stay until retention destroys them.
    pub fn set_document_trashed(&mut self, id: i64, trashed: bool) -> Result<DocumentSummary> {
        self.write(|tx, rec| {
            documents::set_trashed(tx, id, trashed)?;
            let action = if trashed {
                "document_trashed"
            } else {
                "document_restored"
            };
            rec.record(action, &format!("document:{id}"), json!({}))?;
            Ok(documents::get(tx, id)?)
        })
    }

    /// Adds the file at `source` as the new current version of a document;
    /// its text replaces the old in the search index.
    pub fn add_document_version(&mut self, id: i64, source: &Path) -> Result<DocumentSummary> {
        let doc = documents::get(&self.conn, id)?;
        let (sealed, body, status) = self.seal_file(source, &doc.original_name)?;
        self.commit_sealed(&sealed, |s| {
            s.write(|tx, rec| {
                let version = documents::add_version(tx, id, &sealed.version())?;
                search::index(tx, id, &doc.title, &doc.original_name, &body, status)?;
                rec.record(
                    "document_version_added",
                    &format!("document:{id}"),
                    json!({ "version": version, "size": sealed.size }),
                )?;
                Ok(())
            })
        })?;
        Ok(documents::get(&self.conn, id)?)
    }

    /// Makes an old version current again, as a new version (history is
    /// never rewritten). The content is re-encrypted under a new key,
    /// streamed, and checked against the old version's SHA-256.
    pub fn restore_document_version(&mut self, id: i64, version: i64) -> Result<DocumentSummary> {
        let old = documents::version_key(&self.conn, id, Some(version))?;
        let doc = documents::get(&self.conn, id)?;
        let (mut reader, mut writer) =
            std::io::pipe().map_err(CoreError::io("making a pipe to re-encrypt a version"))?;
        let key = self.version_key(&old)?;
        let blobs = self.blobs();
        let cancel = self.cancel.clone();
        let sealed = std::thread::scope(|scope| {
            let decrypting = scope.spawn(|| {
                let out = decrypt_with(&blobs, &key, &old, &mut writer, &cancel);
                drop(writer);
                out
            });
            let sealed = self.seal(&mut reader);
            drop(reader);
            let decrypted = decrypting
                .join()
                .unwrap_or_else(|_| Err(CoreError::Internal("the decrypting thread failed")));
            match (sealed, decrypted) {
                (Ok(s), Ok(())) => Ok(s),
                (Ok(s), Err(e)) => {
                    let _ = blobs.remove(&s.blob_id);
                    Err(e)
                }
                (Err(e), _) => Err(e),
            }
        })?;
        // The restored content verified while it was sealed; a version too
        // large to extract is recorded as not searchable.
        let kind = Kind::of(&doc.original_name);
        let (body, status) = if kind.has_text() {
            match documents::version_key(&self.conn, id, Some(version))
                .map_err(CoreError::from)
                .and_then(|old| self.decrypt_to_memory(&old, matterbox_extract::MAX_INPUT))
                .and_then(|bytes| extract_unless_cancelled(kind, bytes, &self.cancel))
            {
                Ok(extraction) => text_status(extraction),
                Err(CoreError::Cancelled) => {
                    let _ = blobs.remove(&sealed.blob_id);
                    return Err(CoreError::Cancelled);
                }
                Err(_) => (String::new(), TextStatus::Unsupported),
            }
        } else {
            text_status(matterbox_extract::extract(kind, &[]))
        };
        self.commit_sealed(&sealed, |s| {
            s.write(|tx, rec| {
                let new = documents::add_version(tx, id, &sealed.version())?;
                search::index(tx, id, &doc.title, &doc.original_name, &body, status)?;
                rec.record(
                    "document_version_restored",
                    &format!("document:{id}"),
                    json!({ "from_version": version, "version": new }),
                )?;
                Ok(())
            })
        })?;
        Ok(documents::get(&self.conn, id)?)
    }

    /// Writes a decrypted copy of a document (its current version, or
    /// `version`) to `destination`, which must not exist. The export is
    /// recorded first; the copy appears only once every chunk has verified
    /// and its SHA-256 matches the one recorded — a damaged document leaves
    /// nothing behind.
    pub fn export_document(
        &mut self,
        id: i64,
        version: Option<i64>,
        destination: &Path,
    ) -> Result<()> {
        self.export_document_watched(id, version, destination, &Watch::NONE)
            .map(|_| ())
    }

    /// [`Session::export_document`], telling `watch` the bytes written of
    /// the document's size (item 1 of 1, named by its title) and stopping
    /// when it says so: `None` when stopped, with nothing at `destination`
    /// nor anywhere else (the copy was an unnamed file, or a hidden one
    /// that is removed), and the export recorded as failed with the error
    /// `cancelled` — part of the document was decrypted, which incident
    /// scope counts as an access. A stop after the last byte is too late:
    /// the copy is kept.
    pub fn export_document_watched(
        &mut self,
        id: i64,
        version: Option<i64>,
        destination: &Path,
        watch: &Watch<'_>,
    ) -> Result<Option<()>> {
        self.cancel.check()?;
        let v = documents::version_key(&self.conn, id, version)?;
        if destination.exists() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        self.write(|_, rec| {
            rec.record(
                "document_exported",
                &format!("document:{id}"),
                json!({ "version": v.version }),
            )
        })?;
        // Recorded before the first byte is written, so even a crash leaves
        // a trace; a failure is recorded too, so the log says what happened.
        let written = self.write_verified_copy(&v, destination, watch);
        let written = self.unless_stopped(written, watch);
        let failure = match &written {
            Ok(Some(())) => None,
            Ok(None) => Some("cancelled"),
            Err(e) => Some(e.code().as_str()),
        };
        if let Some(code) = failure {
            let _ = self.write(|_, rec| {
                rec.record(
                    "document_export_failed",
                    &format!("document:{id}"),
                    json!({ "version": v.version, "error": code }),
                )
            });
        }
        written
    }

    /// Decrypts `v` into a file no one sees until it is complete (an
    /// unnamed file where the system has them; see [`crate::partial`]),
    /// syncs it, and only then links it into place as `destination` — a
    /// link never replaces a file. A damaged document, a full disk, a stop
    /// or a crash leaves nothing readable behind.
    fn write_verified_copy(
        &self,
        v: &VersionKey,
        destination: &Path,
        watch: &Watch<'_>,
    ) -> Result<()> {
        let records = matterbox_vault::paths::interrupted_exports_dir().ok();
        let cannot = |e: std::io::Error| CoreError::user_file("write", destination)(e);
        let mut partial =
            crate::partial::Partial::create(destination, records.as_deref()).map_err(cannot)?;
        {
            let progress = Progress {
                item: 1,
                items: 1,
                name: v.title.clone(),
                bytes: 0,
                total: u64::try_from(self.version_size(v)?).unwrap_or(0),
            };
            watch.tell(&progress);
            let mut out = Counted::new(std::io::BufWriter::new(partial.file()), progress, watch);
            self.decrypt_version(v, &mut out)?;
            out.flush().map_err(cannot)?;
        }
        partial.finish(destination).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CoreError::Exists(destination.to_path_buf())
            } else {
                cannot(e)
            }
        })
    }

    /// A document's content for the in-app preview, decrypted in memory
    /// (never on disk). Viewing is audited.
    pub fn preview_document(&mut self, id: i64, version: Option<i64>) -> Result<Preview> {
        self.cancel.check()?;
        let v = documents::version_key(&self.conn, id, version)?;
        self.write(|_, rec| {
            rec.record(
                "document_viewed",
                &format!("document:{id}"),
                json!({ "version": v.version }),
            )
        })?;
        self.preview_sealed(&v, self.version_size(&v)?)
    }

    /// The preview of sealed content (a document version, or an Unfiled
    /// item that is not a document yet), decrypted in memory only. The
    /// caller audits the viewing.
    pub(crate) fn preview_sealed(&self, v: &VersionKey, size: i64) -> Result<Preview> {
        let kind = PreviewKind::of(&v.original_name);
        let bytes = match kind {
            PreviewKind::None => Zeroizing::new(Vec::new()),
            PreviewKind::ExtractedText => {
                let raw = self.decrypt_sized(v, size, matterbox_extract::MAX_INPUT)?;
                match extract_unless_cancelled(Kind::of(&v.original_name), raw, &self.cancel)? {
                    Extraction::Text(t) => Zeroizing::new(t.into_bytes()),
                    _ => Zeroizing::new(Vec::new()),
                }
            }
            PreviewKind::Pdf | PreviewKind::Image | PreviewKind::Text => {
                self.decrypt_sized(v, size, MAX_PREVIEW)?
            }
        };
        Ok(Preview { kind, bytes })
    }

    /// Writes a decrypted copy of a document's current version into the
    /// private folder of `copies` for another application to open, and
    /// returns its path. Audited; the copy is wiped on lock, exit and start.
    pub fn open_copy(&mut self, id: i64, copies: &OpenCopies) -> Result<PathBuf> {
        self.cancel.check()?;
        let v = documents::version_key(&self.conn, id, None)?;
        // A fresh private folder per copy keeps the original file name
        // (applications show it) without clashes.
        let folder = copies.dir.join(uuid::Uuid::new_v4().simple().to_string());
        matterbox_vault::fsutil::create_private_dir(&copies.dir)?;
        matterbox_vault::fsutil::create_private_dir(&folder)?;
        let name = safe_file_name(&v.original_name, &v.title);
        let path = folder.join(name);
        self.write(|_, rec| {
            rec.record(
                "document_opened_externally",
                &format!("document:{id}"),
                json!({ "version": v.version }),
            )
        })?;
        self.write_verified_copy(&v, &path, &Watch::NONE)?;
        Ok(path)
    }

    /// Full-text search over document titles, file names, tags, notes and
    /// text: one page of the matches and how many there are in all. The
    /// search is recorded (how many documents match, which page was shown,
    /// never the words searched for).
    pub fn search(&mut self, text: &str, filter: &SearchFilter) -> Result<SearchPage> {
        self.audited_search(text, filter, None)
    }

    /// A search, recorded with its counts (and the saved search it ran).
    fn audited_search(
        &mut self,
        text: &str,
        filter: &SearchFilter,
        saved: Option<i64>,
    ) -> Result<SearchPage> {
        let object = self.vault_object();
        // The accelerator answers when it is in step (checked inside this
        // transaction); FTS5 otherwise.
        self.write_with_search_index(|tx, rec, index| {
            let page = search::search_accelerated(tx, text, filter, &mut |plan| {
                index.search(tx, plan, crate::search_index::SEARCH_BUDGET)
            })?;
            let mut details = json!({
                "results": page.total,
                "offset": page.offset,
                "shown": page.hits.len(),
            });
            if let Some(id) = saved {
                details["saved_search"] = json!(id);
            }
            rec.record("documents_searched", &object, details)?;
            Ok(page)
        })
    }

    /// Brings the search accelerator in step with the vault, for at most
    /// about `budget` (the app calls this while the user is idle; a search
    /// does a little of it too). Says where it stands.
    pub fn search_index_upkeep(
        &mut self,
        budget: std::time::Duration,
    ) -> Result<crate::search_index::Standing> {
        if self.search_index.in_step(&self.conn) {
            return Ok(crate::search_index::Standing::InStep);
        }
        self.write_with_search_index(|tx, _, index| {
            Ok(match index.upkeep(tx, budget) {
                Ok(standing) => standing,
                Err(e) => {
                    index.note_failure(tx, e);
                    crate::search_index::Standing::Behind
                }
            })
        })
    }

    /// [`Session::write`] with the search accelerator lent to the change
    /// (it is the session's, as the transaction is).
    fn write_with_search_index<T>(
        &mut self,
        change: impl FnOnce(
            &rusqlite::Connection,
            &crate::Recorder<'_>,
            &mut crate::search_index::SearchIndex,
        ) -> Result<T>,
    ) -> Result<T> {
        let lent = crate::search_index::SearchIndex::new(self.vault.dir());
        let mut index = std::mem::replace(&mut self.search_index, lent);
        let result = self.write(|tx, rec| change(tx, rec, &mut index));
        self.search_index = index;
        result
    }

    /// Why the search accelerator last failed (FTS5 answered, and it is
    /// built again), if it did.
    pub fn search_index_error(&self) -> Option<String> {
        self.search_index.last_error().map(str::to_string)
    }

    /// Keeps a search under a name (replacing the query of a saved search
    /// of that name). Audited by id, never the name or the words.
    pub fn save_search(&mut self, name: &str, query: &str) -> Result<SavedSearch> {
        self.write(|tx, rec| {
            let (id, replaced) = match saved_searches::save(tx, name, query)? {
                Saved::New(id) => (id, false),
                Saved::Replaced(id) => (id, true),
            };
            rec.record(
                "search_saved",
                &format!("saved_search:{id}"),
                json!({ "replaced": replaced }),
            )?;
            Ok(saved_searches::get(tx, id)?)
        })
    }

    /// Every saved search, by name (a list, not audited).
    pub fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        Ok(saved_searches::list(&self.conn)?)
    }

    /// The saved search of a name (case ignored; not audited).
    pub fn saved_search_named(&self, name: &str) -> Result<SavedSearch> {
        Ok(saved_searches::by_name(&self.conn, name)?)
    }

    /// Runs a saved search: a page of its matches, audited as any search
    /// is (with the saved search's id).
    pub fn run_saved_search(&mut self, id: i64, filter: &SearchFilter) -> Result<SearchPage> {
        let saved = saved_searches::get(&self.conn, id)?;
        self.audited_search(&saved.query, filter, Some(id))
    }

    /// Forgets a saved search (its row is deleted and zeroed).
    pub fn forget_saved_search(&mut self, id: i64) -> Result<()> {
        self.write(|tx, rec| {
            saved_searches::forget(tx, id)?;
            rec.record(
                "saved_search_forgotten",
                &format!("saved_search:{id}"),
                json!({}),
            )
        })
    }

    /// Checks the database's pages and the blob area against the records:
    /// blobs no record points to (an import that crashed before its record
    /// committed), temporary files left by a crash, records whose blob is
    /// missing, and — with `deep` — blobs that no longer decrypt to the
    /// content recorded at import. With `fix`, orphans and temporary files
    /// older than `min_age` are removed (younger ones may belong to an
    /// import running in another process).
    ///
    /// Removing orphans destroys documents if the records are what is
    /// wrong, so `fix` removes none when the database fails its checks,
    /// when it records no document at all, or when there are more than
    /// [`MAX_ORPHANS_REMOVED_UNASKED`] — unless `allow_many`; the report
    /// says why in `fix_refused`.
    pub fn doctor(
        &mut self,
        fix: bool,
        deep: bool,
        min_age: std::time::Duration,
        allow_many: bool,
    ) -> Result<DoctorReport> {
        self.doctor_watched(fix, deep, min_age, allow_many, &Watch::NONE)
    }

    /// [`Session::doctor`], telling `watch` which document version of how
    /// many is being checked (named by its title) and, with `deep`, the
    /// bytes of it decrypted so far; when `watch` says stop, the doctor
    /// stops within a chunk and reports `cancelled_after` (a report that is
    /// never [`DoctorReport::healthy`]), recorded in the audit log too.
    pub fn doctor_watched(
        &mut self,
        fix: bool,
        deep: bool,
        min_age: std::time::Duration,
        allow_many: bool,
        watch: &Watch<'_>,
    ) -> Result<DoctorReport> {
        self.cancel.check()?;
        let blobs = self.blobs();
        let matterbox_documents::blobs::Inventory {
            blobs: present,
            temporary,
        } = blobs.inventory().map_err(doc_err)?;
        // On a connection of its own: the session's must stay usable.
        let database_problems = matterbox_store::integrity_problems_at(
            &self.vault.database_path(),
            &self.master.derive(self.vault.id(), KeyPurpose::Database),
            20,
        )?;
        let versions = documents::all_versions(&self.conn)?;
        // Files waiting in the inbox's Unfiled queue hold blobs too.
        let held = matterbox_domain::inbox::held_blobs(&self.conn)?;
        let known: std::collections::HashSet<&str> = versions
            .iter()
            .map(|v| v.blob_id.as_str())
            .chain(held.iter().map(String::as_str))
            .collect();
        let mut report = DoctorReport {
            checked: versions.len(),
            recorded: versions.len(),
            database_problems,
            ..Default::default()
        };
        let orphans: Vec<&(String, std::time::Duration)> = present
            .iter()
            .filter(|(id, _)| !known.contains(id.as_str()))
            .collect();
        let removable = orphans.iter().filter(|(_, age)| *age >= min_age).count();
        let refusal = if !report.database_problems.is_empty() {
            Some("the database itself fails its checks, so its records cannot be trusted to tell orphans from documents".to_string())
        } else if known.is_empty() && removable > 0 && self.log_says_documents_exist()? {
            Some(format!(
                "the database records no document, though its audit log says documents were added and not destroyed, and {removable} encrypted files are there: it may have lost its records"
            ))
        } else if removable > MAX_ORPHANS_REMOVED_UNASKED {
            Some(format!(
                "{removable} encrypted files would be removed, more than the {MAX_ORPHANS_REMOVED_UNASKED} a crash leaves behind"
            ))
        } else {
            None
        };
        let fix_orphans = fix && (refusal.is_none() || allow_many);
        if fix && removable > 0 && !fix_orphans {
            report.fix_refused = refusal;
        }
        // A lock stops the doctor before it removes anything, and between
        // two documents (within one chunk when it decrypts them).
        self.cancel.check()?;
        for (id, age) in orphans {
            if fix_orphans && *age >= min_age {
                blobs.remove(id).map_err(doc_err)?;
                report.orphans_removed += 1;
            } else {
                report.orphans.push(id.clone());
            }
        }
        for (path, age) in &temporary {
            if fix && *age >= min_age {
                std::fs::remove_file(path)
                    .map_err(CoreError::io("removing a stale temporary file"))?;
                report.temporary_removed += 1;
            } else {
                report.temporary += 1;
            }
        }
        let present: std::collections::HashSet<&str> =
            present.iter().map(|(id, _)| id.as_str()).collect();
        let items = versions.len() as u64;
        for (k, v) in versions.iter().enumerate() {
            self.cancel.check()?;
            if watch.stopped() {
                report.cancelled_after = Some(k);
                break;
            }
            let problem = DocumentProblem {
                id: v.document_id,
                title: v.title.clone(),
            };
            let mut progress = Progress {
                item: k as u64 + 1,
                items,
                name: v.title.clone(),
                ..Default::default()
            };
            if !present.contains(v.blob_id.as_str()) {
                watch.tell(&progress);
                report.missing.push(problem);
            } else if deep {
                progress.total = u64::try_from(self.version_size(v)?).unwrap_or(0);
                watch.tell(&progress);
                let mut sink = Counted::new(std::io::sink(), progress, watch);
                match self.decrypt_version(v, &mut sink) {
                    Ok(()) => {}
                    Err(CoreError::Cancelled) => return Err(CoreError::Cancelled),
                    // Stopped part-way: this one was not checked whole.
                    Err(_) if watch.stopped() => {
                        report.cancelled_after = Some(k);
                        break;
                    }
                    Err(_) => report.damaged.push(problem),
                }
            } else {
                watch.tell(&progress);
            }
        }
        match report.cancelled_after {
            Some(k) => report.checked = k,
            // The log is checked once every document was.
            None => report.audit = Some(self.verify_audit()?),
        }
        let object = self.vault_object();
        let counts = json!({
            "checked": report.checked, "deep": deep,
            "audit_intact": matches!(report.audit, Some(crate::Verification::Intact { .. })),
            "orphans_removed": report.orphans_removed, "orphans_left": report.orphans.len(),
            "temporary_removed": report.temporary_removed,
            "missing": report.missing.len(), "damaged": report.damaged.len(),
            "database_problems": report.database_problems.len(),
            "fix_refused": report.fix_refused.is_some(),
            "cancelled_after": report.cancelled_after,
        });
        self.write(|_, rec| rec.record("doctor_run", &object, counts))?;
        Ok(report)
    }
}

/// A file name for an opened copy: the document's original name (or its
/// title) with path separators and control characters replaced, never
/// empty, never `.`/`..`, at most 200 bytes.
pub(crate) fn safe_file_name(original: &str, title: &str) -> String {
    let base = if original.trim().is_empty() {
        title
    } else {
        original
    };
    let mut name: String = base
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || c == ':' {
                '_'
            } else {
                c
            }
        })
        .collect();
    while name.len() > 200 {
        name.pop();
    }
    let name = name.trim().trim_start_matches('.').to_string();
    if name.is_empty() {
        "document".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn opened_copies_get_safe_names() {
        assert_eq!(safe_file_name("Lease.pdf", "x"), "Lease.pdf");
        assert_eq!(safe_file_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_file_name("", "Engagement letter"), "Engagement letter");
        assert_eq!(safe_file_name("..", ""), "document");
        assert_eq!(safe_file_name("a\nb", ""), "a_b");
        assert!(safe_file_name(&"é".repeat(300), "").len() <= 200);
    }
}

#[cfg(test)]
mod import_warning_tests {
    use super::import_warning;

    fn warned(name: &str, content: &[u8]) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        import_warning(&path)
    }

    #[test]
    fn empty_files_and_content_unlike_the_extension_are_named() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let cases: &[(&str, &[u8], Option<&str>)] = &[
            ("empty.pdf", b"", Some("is empty (0 bytes)")),
            ("empty.txt", b"", Some("is empty (0 bytes)")),
            (
                "scan.pdf",
                png,
                Some("named as a PDF but its content is a PNG image"),
            ),
            (
                "letter.docx",
                b"%PDF-1.7\n",
                Some(
                    "named as a zip archive (such as a Word or OpenDocument file) but its content is a PDF",
                ),
            ),
            (
                "photo.jpg",
                b"plain words",
                Some("its content is something else"),
            ),
            ("scan.pdf", b"\r\n%PDF-1.4\n", None),
            ("photo.JPEG", &[0xff, 0xd8, 0xff, 0xe0], None),
            ("page.tif", b"II*\0rest", None),
            ("letter.docx", b"PK\x03\x04rest", None),
            (
                "old.doc",
                &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
                None,
            ),
            // Kinds with no fixed signature are never second-guessed.
            ("notes.txt", png, None),
            ("mail.eml", b"From: a fictional sender", None),
            ("no-extension", b"anything", None),
        ];
        for (name, content, expected) in cases {
            let got = warned(name, content);
            match expected {
                Some(text) => assert!(
                    got.as_deref()
                        .is_some_and(|g| g.contains(text) && g.contains(name)),
                    "{name}: {got:?}"
                ),
                None => assert_eq!(got, None, "{name}"),
            }
        }
    }
}
