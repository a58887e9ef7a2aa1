//! `matterbox doc …`.

use std::path::PathBuf;

use clap::Subcommand;

use matterbox_core::ocr::OcrMode;

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::{shown, shown_lines, shown_path};

#[derive(Subcommand)]
pub(crate) enum DocCmd {
    /// Import a file into a matter, encrypted. The original is left as it is.
    Add {
        /// The matter number.
        number: String,
        file: PathBuf,
        /// Title shown in the matter [default: the file name].
        #[arg(long)]
        title: Option<String>,
        /// Keep a second copy when the matter already holds the same content.
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// List a matter's documents.
    List {
        number: String,
        /// List the matter's trash instead.
        #[arg(long)]
        trash: bool,
    },
    /// Show a document's details and version history.
    Show { id: i64 },
    /// Write a decrypted copy of a document (recorded in the audit log).
    Export {
        id: i64,
        /// Where to write it; must not exist.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// An older version instead of the current one.
        #[arg(long)]
        version: Option<i64>,
        /// A searchable PDF of a scan: its page images with an invisible
        /// text layer (recognised now, in memory). A signed PDF or one that
        /// already has text is copied as it is. The stored original is not changed.
        #[arg(long)]
        searchable: bool,
    },
    /// Change a document's title, notes or tags.
    Edit {
        id: i64,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Replace the tags (comma-separated; empty clears them).
        #[arg(long)]
        tags: Option<String>,
    },
    /// Move a document to another matter.
    Move {
        id: i64,
        /// The number of the matter it goes to.
        to: String,
    },
    /// Add a file as the document's new current version.
    AddVersion { id: i64, file: PathBuf },
    /// Make an old version current again (as a new version).
    RestoreVersion { id: i64, version: i64 },
    /// Move a document to the trash (its bytes stay until retention destroys them).
    Trash { id: i64 },
    /// Take a document out of the trash.
    Untrash { id: i64 },
    /// Recognise the text of a scan (PDF, PNG, JPEG, TIFF) again, in the
    /// background queue (`matterbox ocr run` does it now).
    Ocr {
        id: i64,
        /// Recognise every page, also pages that already have text.
        #[arg(long, conflicts_with = "force")]
        redo: bool,
        /// As --redo (a searchable-PDF export never replaces a text layer).
        #[arg(long)]
        force: bool,
    },
}

pub(crate) fn doc_cmd(ctx: &Ctx, cmd: DocCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        DocCmd::Add { number, file, title, allow_duplicate } => {
            let matter = s.matter_id(&number)?;
            let warning = matterbox_core::import_warning(&file);
            let d = s.import_document(matter, &file, title.as_deref(), allow_duplicate)?;
            if let Some(w) = warning {
                eprintln!("Warning: {}", shown(&w));
            }
            ctx.print(&d, |d| format!("Imported document {}: {} ({} bytes, encrypted)\n", d.id, shown(&d.title), d.size))
        }
        DocCmd::List { number, trash } => {
            let matter = s.matter_id(&number)?;
            let list = if trash { s.trashed_documents(matter)? } else { s.documents(matter)? };
            ctx.print(&list, |l| {
                let number = shown(&number);
                if l.is_empty() && trash {
                    format!("The trash of {number} is empty.\n")
                } else if l.is_empty() {
                    format!("No documents in {number} yet. Add one with `matterbox doc add {number} FILE`.\n")
                } else {
                    l.iter().map(document_line).collect()
                }
            })
        }
        DocCmd::Show { id } => {
            let d = s.document(id)?;
            let versions = s.document_versions(id)?;
            let ocr = s.ocr_job(id)?;
            let out = serde_json::json!({ "document": d, "versions": versions, "ocr": ocr });
            ctx.print(&out, |_| {
                let mut t = document_line(&d);
                t.push_str(&format!("        file: {}  text: {}\n", shown(&d.original_name), d.text_status));
                if let Some(j) = &ocr {
                    t.push_str(&format!("        OCR: {}\n", crate::commands::ocr::job_text(j)));
                }
                if !d.notes.is_empty() {
                    t.push_str(&format!("        notes: {}\n", shown_lines(&d.notes, "               ")));
                }
                for v in &versions {
                    t.push_str(&format!("        version {}  {}  {} bytes  sha256 {}\n", v.version, v.created_at, v.size, v.sha256));
                }
                t
            })
        }
        DocCmd::Edit { id, title, notes, tags } => {
            let patch = matterbox_core::domain::documents::DocumentPatch {
                title,
                notes,
                tags: tags.map(|t| t.split(',').map(str::to_string).collect()),
            };
            let d = s.update_document(id, &patch)?;
            ctx.print(&d, document_line)
        }
        DocCmd::Move { id, to } => {
            let matter = s.matter_id(&to)?;
            let d = s.move_document(id, matter)?;
            ctx.print(&d, |d| format!("Moved to {}:\n{}", shown(&to), document_line(d)))
        }
        DocCmd::AddVersion { id, file } => {
            let d = s.add_document_version(id, &file)?;
            ctx.print(&d, |d| format!("Added version {}:\n{}", d.versions, document_line(d)))
        }
        DocCmd::RestoreVersion { id, version } => {
            let d = s.restore_document_version(id, version)?;
            ctx.print(&d, |d| format!("Version {version} is current again as version {}:\n{}", d.versions, document_line(d)))
        }
        DocCmd::Trash { id } => {
            let d = s.set_document_trashed(id, true)?;
            ctx.print(&d, |d| format!("Moved to the trash: {}\n", shown(&d.title)))
        }
        DocCmd::Untrash { id } => {
            let d = s.set_document_trashed(id, false)?;
            ctx.print(&d, |d| format!("Restored from the trash: {}\n", shown(&d.title)))
        }
        DocCmd::Ocr { id, redo, force } => {
            let mode = if force {
                OcrMode::Force
            } else if redo {
                OcrMode::Redo
            } else {
                OcrMode::Auto
            };
            crate::commands::ocr::doc_ocr(ctx, s, id, mode)
        }
        DocCmd::Export { id, output, version, searchable: true } => {
            let report = s.export_searchable(id, version, &output, &crate::commands::share_bundle::progress_line)?;
            let out = serde_json::json!({ "exported": output, "searchable": report });
            ctx.print(&out, |_| {
                use matterbox_core::bundle::SearchableOutcome;
                let how = match report.outcome {
                    SearchableOutcome::TextLayerAdded => format!(
                        "a searchable PDF (text layer on {} of {} pages)",
                        report.pages_recognised, report.pages
                    ),
                    SearchableOutcome::CopiedSigned => {
                        "an exact copy: the PDF is digitally signed, so it is never rewritten".to_string()
                    }
                    SearchableOutcome::CopiedHasText => {
                        "an exact copy: the PDF already has a text layer".to_string()
                    }
                };
                format!("Wrote {how} to {}. It is not protected by Matterbox.\n", shown_path(&output))
            })
        }
        DocCmd::Export { id, output, version, searchable: false } => {
            s.export_document(id, version, &output)?;
            ctx.print(&serde_json::json!({ "exported": output }), |_| {
                format!("Wrote a decrypted copy to {}. It is not protected by Matterbox.\n", shown_path(&output))
            })
        }
    })
}

pub(crate) fn document_line(d: &matterbox_core::domain::documents::DocumentSummary) -> String {
    let tags = if d.tags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", shown(&d.tags.join(", ")))
    };
    let versions = if d.versions > 1 {
        format!(", {} versions", d.versions)
    } else {
        String::new()
    };
    format!(
        "{:>6}  {}  ({} bytes{versions}){tags}\n",
        d.id,
        shown(&d.title),
        d.size
    )
}
