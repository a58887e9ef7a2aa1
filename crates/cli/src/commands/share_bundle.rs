//! `matterbox share court-bundle`: the one unencrypted output, made only
//! with `--unencrypted-court-bundle` (no prompt: the CLI runs unattended
//! too, so the confirmation is a flag that says what it allows).

use std::path::PathBuf;

use clap::Args;
use matterbox_core::Session;
use matterbox_core::bundle::{CourtBundleCreated, CourtBundleRequest, RecognitionProgress};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::shown;

#[derive(Args)]
pub(crate) struct CourtBundleArgs {
    /// Document ids, comma-separated, in the bundle's order (all of one client).
    #[arg(long, value_delimiter = ',', required = true, value_name = "IDS")]
    documents: Vec<i64>,
    /// Check that every document is in this matter (its number).
    #[arg(long, value_name = "NUMBER")]
    matter: Option<String>,
    /// Who it is for, for the record (default: "Court").
    #[arg(long = "for", value_name = "WHO")]
    for_whom: Option<String>,
    /// The folder to write the bundle (and its signature) into.
    #[arg(long, value_name = "FOLDER")]
    to: PathBuf,
    /// Confirms that an UNENCRYPTED PDF of these documents is to be
    /// written. Without it nothing is written.
    #[arg(long)]
    unencrypted_court_bundle: bool,
}

/// Recognition progress on stderr, one line a page.
pub(crate) fn progress_line(p: RecognitionProgress) {
    if p.documents > 1 {
        eprintln!(
            "Recognising text: document {} of {}, page {} of {}",
            p.document, p.documents, p.page, p.pages
        );
    } else {
        eprintln!("Recognising text: page {} of {}", p.page, p.pages);
    }
}

pub(crate) fn court_bundle(ctx: &Ctx, s: &mut Session, args: CourtBundleArgs) -> Outcome {
    let matter_id = match args.matter.as_deref() {
        Some(n) => Some(s.matter_id(n)?),
        None => None,
    };
    let request = CourtBundleRequest {
        document_ids: args.documents,
        matter_id,
        recipient: args.for_whom,
        confirm_unencrypted: args.unencrypted_court_bundle,
    };
    let created = s.create_court_bundle(&request, &args.to, &mut progress_line)?;
    ctx.print(&created, created_text)
}

fn created_text(c: &CourtBundleCreated) -> String {
    let mut out = format!(
        "Wrote the court bundle {}\n({} document(s), {} pages, {} bytes, SHA-256 {}); recorded as share {}.\n\
         It is NOT encrypted: anyone who gets the file can read it. Send it only to the court's filing system.\n\
         Its signature: {} (check with minisign -Vm FILE -P <the key from `matterbox share signing-key`>).\n",
        shown(&c.share.file_path),
        c.share.documents.len(),
        c.pages,
        c.share.package_size,
        c.share.package_sha256,
        c.share.id,
        shown(&c.signature_path),
    );
    if !c.signed_documents.is_empty() {
        let ids: Vec<String> = c.signed_documents.iter().map(i64::to_string).collect();
        out.push_str(&format!(
            "Note: document(s) {} are digitally signed PDFs; their pages are in the bundle but their signatures do not carry into it. File the signed originals (`matterbox doc export`) where the signature matters.\n",
            ids.join(", ")
        ));
    }
    out
}
