//! `matterbox ocr …` and `matterbox doc ocr`: text recognition of scans.

use std::time::{Duration, Instant};

use clap::Subcommand;
use matterbox_core::ocr::{OcrJob, OcrMode, OcrOverview, OcrState, PageDone, Recogniser};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::shown;

#[derive(Subcommand)]
pub(crate) enum OcrCmd {
    /// How many scans wait, run, are done or failed; the documents that
    /// failed, are partly recognised or have a low confidence.
    Status,
    /// Recognise the waiting scans now, page by page, then stop; as many
    /// scans at once as `settings ocr-workers` says. Stopping at any
    /// moment (even kill -9) loses no recognised page.
    Run {
        /// Stop after this many pages.
        #[arg(long, value_name = "N")]
        max_pages: Option<u32>,
        /// Stop starting new pages after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        max_seconds: Option<u64>,
    },
}

pub(crate) fn ocr_cmd(ctx: &Ctx, cmd: OcrCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        OcrCmd::Status => {
            let o = s.ocr_status()?;
            ctx.print(&o, overview_text)
        }
        OcrCmd::Run {
            max_pages,
            max_seconds,
        } => {
            let deadline = max_seconds.map(|m| Instant::now() + Duration::from_secs(m));
            let stop = || deadline.is_some_and(|d| Instant::now() >= d);
            let json = ctx.json;
            // As many workers as the vault's setting (`settings
            // ocr-workers`), each recognising at low priority.
            let mut recognisers: Vec<Recogniser> = (0..s.ocr_worker_count()?)
                .map(|_| Recogniser::default())
                .collect();
            let report = s.ocr_run(&mut recognisers, max_pages, &stop, &|p, state| {
                if !json {
                    eprintln!("{}", page_text(p, state));
                }
            })?;
            ctx.print(&report, |r| {
                format!(
                    "Recorded {} page{}; documents finished: {} recognised, {} partly, {} failed.{}\n",
                    r.pages,
                    if r.pages == 1 { "" } else { "s" },
                    r.done,
                    r.partial,
                    r.failed,
                    if r.more {
                        " More are waiting: run it again."
                    } else {
                        ""
                    }
                )
            })
        }
    })
}

/// `matterbox doc ocr ID [--redo|--force]`.
pub(crate) fn doc_ocr(
    ctx: &Ctx,
    s: &mut matterbox_core::Session,
    id: i64,
    mode: OcrMode,
) -> Outcome {
    let job = s.ocr_document(id, mode)?;
    ctx.print(&job, |j| {
        format!(
            "Queued document {} for text recognition ({}). `matterbox ocr run` recognises it now; the app and `inbox watch` do it in the background.\n",
            j.document_id,
            j.mode.as_str()
        )
    })
}

/// One line per recorded page, for `ocr run` and `inbox watch`.
pub(crate) fn page_text(p: &PageDone, state: Option<OcrState>) -> String {
    let of = p.page_count.map(|n| format!(" of {n}")).unwrap_or_default();
    let end = match state {
        Some(OcrState::Done) => ": document recognised",
        Some(OcrState::Partial) => ": document partly recognised",
        Some(OcrState::Failed) => ": recognition failed",
        _ => "",
    };
    format!(
        "OCR: document {} page {}{of}{end}",
        p.document_id,
        p.page + 1
    )
}

/// A job's state in words, as the app shows it.
pub(crate) fn job_text(j: &OcrJob) -> String {
    let pages = j.page_count.map(|n| format!(" of {n}")).unwrap_or_default();
    match j.status {
        OcrState::Queued => "waiting for text recognition".into(),
        OcrState::Running => format!("recognising text (page {}{pages})", j.pages_done + 1),
        OcrState::Done => format!(
            "text recognised, confidence {}%",
            j.mean_confidence.unwrap_or(0)
        ),
        OcrState::Partial => format!(
            "text partly recognised ({} of {} pages failed: {})",
            j.failed_pages,
            j.page_count.unwrap_or(j.pages_done),
            shown(j.reason.as_deref().unwrap_or("no reason recorded"))
        ),
        OcrState::Failed => format!(
            "recognition failed: {}",
            shown(j.reason.as_deref().unwrap_or("no reason recorded"))
        ),
    }
}

fn overview_text(o: &OcrOverview) -> String {
    let mut t = format!(
        "OCR: {} waiting, {} running, {} recognised ({} with low confidence), {} partly, {} failed.\n",
        o.queued, o.running, o.done, o.low_confidence, o.partial, o.failed
    );
    for j in &o.attention {
        t.push_str(&format!(
            "{:>6}  {}  {}\n        {}\n",
            j.document_id,
            shown(&j.matter_number),
            shown(&j.title),
            job_text(j)
        ));
    }
    if !o.attention.is_empty() {
        t.push_str("Retry one with `matterbox doc ocr ID --redo`.\n");
    }
    t
}
