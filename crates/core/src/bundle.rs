//! The searchable copy of a scan (#15 §3) and the court bundle (#18 §1):
//! the PDFs Matterbox makes from documents, over `matterbox_pdf`.
//!
//! **A court bundle is the one thing Matterbox ever writes unencrypted**
//! (courts' e-filing systems refuse encrypted files). It is made only when
//! the caller passes `confirm_unencrypted` (the CLI's
//! `--unencrypted-court-bundle`, the app's second confirmation), and it is
//! recorded like every share (format `pdf`, protection `none`), so the
//! incident register's "shared" list names it.
//!
//! Everything is built in memory: documents are decrypted into zeroizing
//! buffers, scans are recognised again with word boxes from those buffers
//! (the queue keeps page text only — storing every word's box for every scan
//! would grow the encrypted database by far more than the text, for an
//! export made now and then), and the finished PDF reaches the disk once,
//! through [`crate::partial`]: invisible until complete, never overwriting,
//! readable by the user alone. Nothing in clear goes to a temporary file.
//!
//! The stored original is never changed. A digitally signed PDF is only
//! ever copied as it is; a PDF that already has a text layer is copied as
//! it is.

use std::io::Write;
use std::path::Path;

use matterbox_domain::shares::{
    self as db, NewShare, Protection, Share, ShareFormat, SharedDocument,
};
use matterbox_domain::{clients, documents, settings};
use matterbox_extract::{Extraction, Kind};
use matterbox_pdf::{BundleEntry, BundlePart, ImagePage, PageImage, PageWords, Word};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::cancel::{Progress, Watch};
use crate::{CoreError, Result, Session};

/// The largest document put in a bundle or made searchable (it is held in
/// memory whole).
pub const MAX_INPUT: u64 = 512 << 20;

/// What a searchable export did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchableOutcome {
    /// A text layer was added to the recognised pages.
    TextLayerAdded,
    /// Digitally signed: copied as it is, never rewritten.
    CopiedSigned,
    /// It already had a text layer: copied as it is.
    CopiedHasText,
}

/// The result of [`Session::export_searchable`].
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchableExport {
    pub outcome: SearchableOutcome,
    pub pages: u32,
    /// Pages with a text layer added (the others could not be read as one
    /// image, e.g. a page that would need rendering).
    pub pages_recognised: u32,
}

/// Recognition progress, for the user to see.
#[derive(Clone, Copy, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecognitionProgress {
    /// From 1.
    pub document: u32,
    pub documents: u32,
    /// From 1.
    pub page: u32,
    pub pages: u32,
}

/// What to put in a court bundle (the folder is chosen apart).
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtBundleRequest {
    /// In the order they appear in the bundle.
    pub document_ids: Vec<i64>,
    /// When given, every document must be in this matter.
    pub matter_id: Option<i64>,
    /// Who it is for (e.g. the court); defaults to "Court".
    pub recipient: Option<String>,
    /// The second, explicit confirmation that an unencrypted file is to be
    /// written. Without it nothing is.
    pub confirm_unencrypted: bool,
}

/// A court bundle written and recorded.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtBundleCreated {
    pub share: Share,
    pub pages: u32,
    /// The detached minisign signature beside the bundle.
    pub signature_path: String,
    /// The documents that are digitally signed PDFs: merged, their
    /// signatures do not carry into the bundle.
    pub signed_documents: Vec<i64>,
}

/// A document decrypted, with how it goes into a PDF.
enum Render {
    Pdf,
    Image(matterbox_ocr::Kind),
    Text(Kind),
}

/// How a document is rendered, or why it cannot be.
fn render_of(original_name: &str, bytes: &[u8]) -> Option<Render> {
    match matterbox_ocr::Kind::sniff(bytes) {
        Some(matterbox_ocr::Kind::Pdf) => Some(Render::Pdf),
        Some(k) => Some(Render::Image(k)),
        None => match Kind::of(original_name) {
            k @ (Kind::Text | Kind::Docx | Kind::Email) => Some(Render::Text(k)),
            _ => None,
        },
    }
}

/// Renders by name alone (before decrypting anything): whether a document
/// can go into a bundle at all.
fn renderable_name(original_name: &str) -> bool {
    matches!(
        Kind::of(original_name),
        Kind::Text | Kind::Docx | Kind::Email | Kind::Pdf
    ) || matterbox_domain::ocr::is_scan_image(original_name)
}

/// The JPEG's colour components (from its frame header), if it is a JPEG.
fn jpeg_components(bytes: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            return Some(bytes[i + 9]);
        }
        i += 2 + len;
    }
    None
}

fn pdf_error(e: matterbox_pdf::PdfError) -> CoreError {
    match e {
        matterbox_pdf::PdfError::Encrypted => CoreError::Invalid(
            "The PDF is password-protected; Matterbox cannot put it in a PDF it makes.".into(),
        ),
        matterbox_pdf::PdfError::Write(_) => CoreError::Internal("the PDF could not be written"),
        other => CoreError::Invalid(other.to_string()),
    }
}

fn ocr_error(e: matterbox_ocr::Error) -> CoreError {
    CoreError::Invalid(format!("Text recognition failed: {e}"))
}

/// A lazily started OCR engine in the vault's languages.
struct LazyEngine {
    languages: Vec<String>,
    engine: Option<matterbox_ocr::Engine>,
}

impl LazyEngine {
    fn get(&mut self) -> Result<&mut matterbox_ocr::Engine> {
        if self.engine.is_none() {
            let options = matterbox_ocr::Options {
                languages: self.languages.clone(),
                mode: matterbox_ocr::Mode::Force,
                deskew: false,
                ..matterbox_ocr::Options::default()
            };
            self.engine = Some(matterbox_ocr::Engine::new(&options).map_err(ocr_error)?);
        }
        // Set just above.
        self.engine
            .as_mut()
            .ok_or(CoreError::Internal("the OCR engine did not start"))
    }
}

fn page_words(gray: &matterbox_ocr::Gray, words: Vec<matterbox_ocr::WordBox>) -> PageWords {
    PageWords {
        width: gray.width,
        height: gray.height,
        words: words
            .into_iter()
            .map(|w| Word {
                text: w.text,
                left: w.left,
                top: w.top,
                width: w.width,
                height: w.height,
                line: w.line,
            })
            .collect(),
    }
}

/// The searchable copy of a scan held in memory: a PDF with a text layer,
/// or the original bytes where it must be copied as it is.
fn searchable(
    kind: matterbox_ocr::Kind,
    bytes: &Zeroizing<Vec<u8>>,
    engine: &mut LazyEngine,
    cancel: &crate::cancel::Cancel,
    progress: &mut dyn FnMut(u32, u32) -> Result<()>,
) -> Result<(Zeroizing<Vec<u8>>, SearchableExport)> {
    let limits = matterbox_ocr::Limits::default();
    let copied = |outcome, pages| {
        (
            bytes.clone(),
            SearchableExport {
                outcome,
                pages,
                pages_recognised: 0,
            },
        )
    };
    if kind == matterbox_ocr::Kind::Pdf && matterbox_pdf::is_signed(bytes) {
        let pages = matterbox_ocr::page_count(kind, bytes, &limits).unwrap_or(0);
        return Ok(copied(SearchableOutcome::CopiedSigned, pages as u32));
    }
    let document = matterbox_ocr::Document::open(kind, bytes, &limits).map_err(ocr_error)?;
    let count = document.page_count();
    let pages = u32::try_from(count).unwrap_or(u32::MAX);
    if kind == matterbox_ocr::Kind::Pdf {
        for i in 0..count {
            if document.page_has_text_layer(i).map_err(ocr_error)? {
                return Ok(copied(SearchableOutcome::CopiedHasText, pages));
            }
        }
    }
    let mut recognised = 0;
    let mut layers = Vec::with_capacity(count);
    let mut images = Vec::with_capacity(count);
    for i in 0..count {
        cancel.check()?;
        progress(i as u32 + 1, pages)?;
        let (gray, _) = match document.page_image_over_media_box(i) {
            Ok(page) => page,
            // A page we cannot take out as one image keeps no text layer;
            // an image document's page is the document itself.
            Err(_) if kind == matterbox_ocr::Kind::Pdf => {
                layers.push(None);
                continue;
            }
            Err(e) => return Err(ocr_error(e)),
        };
        let words = engine.get()?.recognise_words(&gray).map_err(ocr_error)?;
        let words = page_words(&gray, words);
        recognised += 1;
        if kind == matterbox_ocr::Kind::Pdf {
            layers.push(Some(words));
        } else {
            let image = match (kind, jpeg_components(bytes)) {
                (matterbox_ocr::Kind::Jpeg, Some(components)) if count == 1 => PageImage::Jpeg {
                    bytes: bytes.clone(),
                    width: gray.width,
                    height: gray.height,
                    components,
                },
                _ => PageImage::Gray {
                    pixels: Zeroizing::new(gray.pixels.to_vec()),
                    width: gray.width,
                    height: gray.height,
                },
            };
            images.push(ImagePage {
                image,
                dpi: gray.dpi,
                words: Some(words),
            });
        }
    }
    let pdf = if kind == matterbox_ocr::Kind::Pdf {
        matterbox_pdf::add_text_layer(bytes, &layers).map_err(pdf_error)?
    } else {
        matterbox_pdf::image_pdf(images).map_err(pdf_error)?
    };
    Ok((
        pdf,
        SearchableExport {
            outcome: SearchableOutcome::TextLayerAdded,
            pages,
            pages_recognised: recognised,
        },
    ))
}

/// Writes `bytes` to `destination` through an invisible file linked into
/// place only when complete; never overwrites.
fn write_private(destination: &Path, bytes: &[u8]) -> Result<()> {
    let records = matterbox_vault::paths::interrupted_exports_dir().ok();
    let cannot = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CoreError::Exists(destination.to_path_buf())
        } else {
            CoreError::user_file("write", destination)(e)
        }
    };
    let mut partial =
        crate::partial::Partial::create(destination, records.as_deref()).map_err(cannot)?;
    {
        let mut out = std::io::BufWriter::new(partial.file());
        for chunk in bytes.chunks(1 << 20) {
            out.write_all(chunk).map_err(cannot)?;
            #[cfg(feature = "test-support")]
            danger_test_stall();
        }
        out.flush().map_err(cannot)?;
    }
    partial.finish(destination).map_err(cannot)
}

/// Test support: when `MATTERBOX_DANGER_TEST_BUNDLE_STALL` is set, the
/// writer stops for good after its first chunk (saying so on stderr), so
/// the tests can kill it mid-file. Release builds have no trigger.
#[cfg(feature = "test-support")]
fn danger_test_stall() {
    if std::env::var_os("MATTERBOX_DANGER_TEST_BUNDLE_STALL").is_some() {
        eprintln!("matterbox: test: bundle writer stalled");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}

impl Session {
    fn lazy_engine(&self) -> Result<LazyEngine> {
        let languages = settings::ocr_languages(&self.conn)?
            .split('+')
            .map(str::to_string)
            .collect();
        Ok(LazyEngine {
            languages,
            engine: None,
        })
    }

    /// Writes a searchable PDF copy of a scan (a PDF, PNG, JPEG or TIFF
    /// document's current version, or `version`) to `destination`, which
    /// must not exist: the page images with an invisible text layer. A
    /// signed PDF, or one that already has text, is copied as it is. The
    /// stored original is not changed. Audited before and after.
    pub fn export_searchable(
        &mut self,
        id: i64,
        version: Option<i64>,
        destination: &Path,
        progress: &(dyn Fn(RecognitionProgress) + Sync),
    ) -> Result<SearchableExport> {
        let on_progress = |p: &Progress| {
            progress(RecognitionProgress {
                document: 1,
                documents: 1,
                page: u32::try_from(p.item).unwrap_or(u32::MAX),
                pages: u32::try_from(p.items).unwrap_or(u32::MAX),
            });
        };
        let watch = Watch {
            on_progress: &on_progress,
            stop: &|| false,
        };
        self.export_searchable_watched(id, version, destination, &watch)?
            .ok_or(CoreError::Cancelled)
    }

    /// [`Session::export_searchable`], telling `watch` which page of how
    /// many is being recognised (named by the document's title; no bytes)
    /// and stopping between two pages when it says so: `None` when
    /// stopped, with nothing written (the PDF is made in memory and written
    /// last, through an unnamed file) and the export recorded as failed
    /// with the error `cancelled`.
    pub fn export_searchable_watched(
        &mut self,
        id: i64,
        version: Option<i64>,
        destination: &Path,
        watch: &Watch<'_>,
    ) -> Result<Option<SearchableExport>> {
        self.cancel.check()?;
        let v = documents::version_key(&self.conn, id, version)?;
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        if !renderable_name(&v.original_name)
            || Kind::of(&v.original_name) != Kind::Pdf
                && !matterbox_domain::ocr::is_scan_image(&v.original_name)
        {
            return Err(CoreError::Invalid(
                "A searchable PDF is made of a scan: a PDF, PNG, JPEG or TIFF document.".into(),
            ));
        }
        self.write(|_, rec| {
            rec.record(
                "document_exported",
                &format!("document:{id}"),
                json!({ "version": v.version, "searchable": true }),
            )
        })?;
        let mut engine = self.lazy_engine()?;
        let done = self
            .decrypt_to_memory(&v, MAX_INPUT)
            .and_then(|bytes| {
                let kind = matterbox_ocr::Kind::sniff(&bytes).ok_or_else(|| {
                    CoreError::Invalid("The document is not a PDF, PNG, JPEG or TIFF file.".into())
                })?;
                searchable(
                    kind,
                    &bytes,
                    &mut engine,
                    &self.cancel,
                    &mut |page, pages| {
                        if watch.stopped() {
                            return Err(CoreError::Cancelled);
                        }
                        watch.tell(&Progress {
                            item: page.into(),
                            items: pages.into(),
                            name: v.title.clone(),
                            bytes: 0,
                            total: 0,
                        });
                        Ok(())
                    },
                )
            })
            .and_then(|(pdf, report)| {
                // The last moment to stop: nothing is written yet.
                if watch.stopped() {
                    return Err(CoreError::Cancelled);
                }
                write_private(destination, &pdf).map(|()| report)
            });
        let done = self.unless_stopped(done, watch);
        match &done {
            Ok(Some(report)) => {
                let outcome = report.outcome;
                let recognised = report.pages_recognised;
                self.write(|_, rec| {
                    rec.record(
                        "document_exported_searchable",
                        &format!("document:{id}"),
                        json!({ "version": v.version, "outcome": outcome, "pages_recognised": recognised }),
                    )
                })?;
            }
            Ok(None) | Err(_) => {
                let code = match &done {
                    Err(e) => e.code().as_str(),
                    _ => "cancelled",
                };
                let _ = self.write(|_, rec| {
                    rec.record(
                        "document_export_failed",
                        &format!("document:{id}"),
                        json!({ "version": v.version, "error": code }),
                    )
                });
            }
        }
        done
    }

    /// Writes a court bundle of `req.document_ids` (current versions, in
    /// that order) into `folder`, with a detached signature beside it, and
    /// records it as a share. See the module documentation.
    pub fn create_court_bundle(
        &mut self,
        req: &CourtBundleRequest,
        folder: &Path,
        progress: &mut dyn FnMut(RecognitionProgress),
    ) -> Result<CourtBundleCreated> {
        self.court_bundle(req, folder, &mut |p, _| {
            if p.page > 0 {
                progress(p);
            }
            Ok(())
        })
    }

    /// [`Session::create_court_bundle`], telling `watch` which document
    /// of how many is laid out (by title; no bytes) and stopping between
    /// two documents or two recognised pages when it says so: `None` when
    /// stopped, with nothing written (the bundle is built in memory and
    /// written last) and `share_failed` recorded with the error
    /// `cancelled`.
    pub fn create_court_bundle_watched(
        &mut self,
        req: &CourtBundleRequest,
        folder: &Path,
        watch: &Watch<'_>,
    ) -> Result<Option<CourtBundleCreated>> {
        let made = self.court_bundle(req, folder, &mut |p, title| {
            if watch.stopped() {
                return Err(CoreError::Cancelled);
            }
            watch.tell(&Progress {
                item: p.document.into(),
                items: p.documents.into(),
                name: title.to_string(),
                bytes: 0,
                total: 0,
            });
            Ok(())
        });
        self.unless_stopped(made, watch)
    }

    /// `progress` hears each document as it starts (page 0) and each page
    /// recognised, with the document's title; an error from it stops the
    /// bundle before anything is written.
    fn court_bundle(
        &mut self,
        req: &CourtBundleRequest,
        folder: &Path,
        progress: &mut dyn FnMut(RecognitionProgress, &str) -> Result<()>,
    ) -> Result<CourtBundleCreated> {
        self.cancel.check()?;
        let (client_id, chosen) = self.chosen_documents(
            &req.document_ids,
            req.matter_id,
            matterbox_pdf::MAX_BUNDLE_DOCUMENTS,
            "court bundle",
        )?;
        let unrenderable: Vec<String> = chosen
            .iter()
            .filter(|(d, _)| !renderable_name(&d.original_name))
            .map(|(d, _)| format!("\u{201c}{}\u{201d}", d.title))
            .collect();
        if !unrenderable.is_empty() {
            return Err(CoreError::Invalid(format!(
                "These documents cannot be laid out as PDF pages (only PDFs, scans and images, text, e-mail and DOCX can): {}. Nothing was written.",
                unrenderable.join(", ")
            )));
        }
        if !req.confirm_unencrypted {
            return Err(CoreError::NeedsConfirmation(format!(
                "A court bundle is an UNENCRYPTED PDF of {} document(s): anyone who gets the file can read them. Confirm that an unencrypted file is to be written (--unencrypted-court-bundle).",
                chosen.len()
            )));
        }
        if !folder.is_dir() {
            return Err(CoreError::Invalid(format!(
                "{} is not a folder.",
                folder.display()
            )));
        }
        // The client must still exist (a record names it).
        clients::get(&self.conn, client_id)?;
        let recipient = match &req.recipient {
            Some(r) if !r.trim().is_empty() => db::recipient_text(r)?,
            _ => "Court".to_string(),
        };
        let signer = self.signer()?;
        let package_id = uuid::Uuid::new_v4().simple().to_string();
        let created_at = chrono::Utc::now();
        let destination = folder.join(format!(
            "court-bundle-{}-{}.pdf",
            created_at.format("%Y%m%d"),
            &package_id[..8]
        ));
        let signature_path = folder.join(format!(
            "court-bundle-{}-{}.pdf.minisig",
            created_at.format("%Y%m%d"),
            &package_id[..8]
        ));
        for p in [&destination, &signature_path] {
            if p.symlink_metadata().is_ok() {
                return Err(CoreError::Exists(p.clone()));
            }
        }
        let doc_ids: Vec<String> = chosen
            .iter()
            .map(|(d, _)| format!("document:{}", d.id))
            .collect();
        self.write(|_, rec| {
            rec.record(
                "share_started",
                &format!("client:{client_id}"),
                json!({ "documents": doc_ids, "format": ShareFormat::Pdf.as_str(), "package": package_id }),
            )
        })?;
        let built = self.build_bundle(&chosen, &created_at, progress);
        let written = built.and_then(|(built, signed)| {
            let signature = signer
                .sign(&built.bytes, &package_id)
                .map_err(|_| CoreError::Internal("the bundle could not be signed"))?;
            write_private(&destination, &built.bytes)?;
            if let Err(e) = write_private(&signature_path, signature.as_bytes()) {
                let _ = std::fs::remove_file(&destination);
                return Err(e);
            }
            let sha: [u8; 32] = sha2::Sha256::digest(&built.bytes[..]).into();
            Ok((built.pages, built.bytes.len() as u64, sha, signed))
        });
        let (pages, size, sha, signed) = match written {
            Ok(w) => w,
            Err(e) => {
                // The user's stop (not a lock) is said as such.
                let code = if matches!(e, CoreError::Cancelled) && !self.cancel.is_cancelled() {
                    "cancelled"
                } else {
                    e.code().as_str()
                };
                let _ = self.write(|_, rec| {
                    rec.record(
                        "share_failed",
                        &format!("client:{client_id}"),
                        json!({ "package": package_id, "error": code }),
                    )
                });
                return Err(e);
            }
        };
        let shared: Vec<SharedDocument> = chosen
            .iter()
            .map(|(d, v)| SharedDocument {
                document_id: d.id,
                version: v.version,
                matter_id: d.matter_id,
                name: d.title.clone(),
                size: d.size,
                sha256: hex::encode(&v.sha256),
            })
            .collect();
        let package_sha256 = hex::encode(sha);
        let path_text = destination.to_string_lossy().into_owned();
        let actor = self.actor.clone();
        let matters_count = shared
            .iter()
            .map(|d| d.matter_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let recorded = self.write(|tx, rec| {
            let id = db::record(
                tx,
                &NewShare {
                    package_id: &package_id,
                    client_id,
                    format: ShareFormat::Pdf,
                    protection: Protection::None,
                    hide_names: false,
                    recipient: &recipient,
                    recipient_key_id: None,
                    recipient_key: None,
                    file_path: &path_text,
                    package_sha256: &package_sha256,
                    package_size: size,
                    created_at: &created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    documents: &shared,
                },
                &actor,
            )?;
            rec.record(
                "share_created",
                &format!("share:{id}"),
                json!({
                    "client": format!("client:{client_id}"),
                    "documents": shared.iter().map(|d| format!("document:{}", d.document_id)).collect::<Vec<_>>(),
                    "matters": matters_count,
                    "format": ShareFormat::Pdf.as_str(),
                    "protection": Protection::None.as_str(),
                    "pages": pages,
                    "package": package_id,
                }),
            )?;
            Ok(db::get(tx, id)?)
        });
        match recorded {
            Ok(share) => Ok(CourtBundleCreated {
                share,
                pages: u32::try_from(pages).unwrap_or(u32::MAX),
                signature_path: signature_path.to_string_lossy().into_owned(),
                signed_documents: signed,
            }),
            Err(e) => {
                // Nothing leaves the vault unrecorded: the bundle goes.
                let _ = std::fs::remove_file(&destination);
                let _ = std::fs::remove_file(&signature_path);
                Err(e)
            }
        }
    }

    /// The bundle in memory, and the ids of signed PDFs in it.
    fn build_bundle(
        &self,
        chosen: &[(documents::DocumentSummary, documents::VersionKey)],
        created_at: &chrono::DateTime<chrono::Utc>,
        progress: &mut dyn FnMut(RecognitionProgress, &str) -> Result<()>,
    ) -> Result<(matterbox_pdf::Built, Vec<i64>)> {
        let mut engine = self.lazy_engine()?;
        let mut entries = Vec::with_capacity(chosen.len());
        let mut signed = Vec::new();
        let documents = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        for (n, (d, v)) in chosen.iter().enumerate() {
            self.cancel.check()?;
            progress(
                RecognitionProgress {
                    document: n as u32 + 1,
                    documents,
                    page: 0,
                    pages: 0,
                },
                &d.title,
            )?;
            let named = |e: CoreError| match e {
                CoreError::Invalid(m) => CoreError::Invalid(format!(
                    "\u{201c}{}\u{201d}: {m} Nothing was written.",
                    d.title
                )),
                other => other,
            };
            let bytes = self.decrypt_to_memory(v, MAX_INPUT)?;
            let part = match render_of(&v.original_name, &bytes) {
                Some(Render::Pdf) => {
                    if matterbox_pdf::is_signed(&bytes) {
                        signed.push(d.id);
                        BundlePart::Pdf(bytes)
                    } else {
                        let (pdf, _) = searchable(
                            matterbox_ocr::Kind::Pdf,
                            &bytes,
                            &mut engine,
                            &self.cancel,
                            &mut |page, pages| {
                                progress(
                                    RecognitionProgress {
                                        document: n as u32 + 1,
                                        documents,
                                        page,
                                        pages,
                                    },
                                    &d.title,
                                )
                            },
                        )
                        .map_err(named)?;
                        BundlePart::Pdf(pdf)
                    }
                }
                Some(Render::Image(kind)) => {
                    let (pdf, _) = searchable(
                        kind,
                        &bytes,
                        &mut engine,
                        &self.cancel,
                        &mut |page, pages| {
                            progress(
                                RecognitionProgress {
                                    document: n as u32 + 1,
                                    documents,
                                    page,
                                    pages,
                                },
                                &d.title,
                            )
                        },
                    )
                    .map_err(named)?;
                    BundlePart::Pdf(pdf)
                }
                Some(Render::Text(kind)) => {
                    match crate::document_ops::extract_for_bundle(kind, bytes, &self.cancel)? {
                        Extraction::Text(t) => BundlePart::Text(Zeroizing::new(t)),
                        Extraction::NoText => BundlePart::Text(Zeroizing::new(String::new())),
                        Extraction::Unsupported => {
                            return Err(named(CoreError::Invalid(
                                "its text could not be read, so it cannot be laid out as pages."
                                    .into(),
                            )));
                        }
                    }
                }
                None => {
                    return Err(named(CoreError::Invalid(
                        "it cannot be laid out as PDF pages.".into(),
                    )));
                }
            };
            entries.push(BundleEntry {
                title: d.title.clone(),
                date: d.created_at.get(..10).unwrap_or_default().to_string(),
                part,
            });
        }
        let bundle = matterbox_pdf::Bundle {
            heading: "Court bundle".into(),
            subheading: format!(
                "Index of {} document(s), made {} with Matterbox",
                chosen.len(),
                created_at.format("%Y-%m-%d")
            ),
        };
        let built = bundle.build(entries).map_err(|e| match e {
            matterbox_pdf::PdfError::Entry { index, reason } => CoreError::Invalid(format!(
                "\u{201c}{}\u{201d} cannot go into the bundle: {reason}. Nothing was written.",
                chosen
                    .get(index)
                    .map(|(d, _)| d.title.as_str())
                    .unwrap_or("?")
            )),
            other => pdf_error(other),
        })?;
        Ok((built, signed))
    }
}

#[cfg(test)]
mod tests {
    use super::jpeg_components;

    #[test]
    fn jpeg_components_come_from_the_frame_header() {
        // SOI, an APP0 of 4 bytes, SOF0 with 3 components.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0, 0xFF, 0xC0, 0x00, 0x11, 8, 0, 10, 0, 10, 3,
            0, 0,
        ];
        assert_eq!(jpeg_components(&jpeg), Some(3));
        assert_eq!(jpeg_components(b"\xFF\xD8junk"), None);
    }
}
