//! The OCR worker of the desktop app: one background thread that, while a
//! vault is unlocked, recognises the queued scans page by page and tells
//! the UI how far each document is (`ocr-progress`).
//!
//! It holds the session only to take the next page (decrypted in memory)
//! and to record it — both background work, which never delays auto-lock.
//! Tesseract runs between the two without the session, so a lock takes the
//! keys at once: the page in flight is abandoned (its recognition thread
//! sees the session's cancel flag) and tried again after the next unlock.
//! Several workers (the vault's setting; automatic is one fewer than the
//! cores, so a 2-core laptop runs one) each take a different document:
//! a worker notes the version it took in `busy` while it holds the
//! session, and the others pass over it. Recognition runs at a lower
//! priority (the core's `RECOGNITION_NICE`), so the app stays responsive.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matterbox_core::ocr::{MAX_OCR_WORKERS, OcrMode, OcrOverview, OcrState, Recogniser};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;

use crate::state::AppState;

pub const PROGRESS_EVENT: &str = "ocr-progress";

/// Sent when a page starts and when it is recorded.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OcrProgress {
    pub document_id: i64,
    /// The page (from 1) being recognised or just recorded.
    pub page: u32,
    pub page_count: Option<u32>,
    /// `running` while pages remain; the document's final state after its
    /// last page.
    pub status: OcrState,
}

/// How long the worker rests when there is nothing to do (or the vault is
/// locked) before it looks again; an import or a retry wakes it sooner.
const IDLE: Duration = Duration::from_secs(2);

/// The document versions the workers are recognising.
type Busy = Arc<Mutex<HashSet<i64>>>;

/// Starts the most workers the setting allows; those beyond the setting's
/// count rest until it is raised.
pub fn spawn(app: AppHandle) -> std::io::Result<()> {
    let busy = Busy::default();
    for index in 0..MAX_OCR_WORKERS {
        let (app, busy) = (app.clone(), Arc::clone(&busy));
        std::thread::Builder::new()
            .name(format!("ocr-worker-{index}"))
            .spawn(move || run(app, index, busy))?;
    }
    Ok(())
}

/// Takes a version out of `busy` when its page is done or given up.
struct Taken(Busy, i64);

impl Drop for Taken {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.0.lock() {
            busy.remove(&self.1);
        }
    }
}

fn run(app: AppHandle, index: u32, busy: Busy) {
    let mut recogniser = Recogniser::default();
    loop {
        let state = app.state::<AppState>();
        // The session is held while the next page is chosen and noted as
        // busy: two workers cannot choose the same document.
        let next = state.with_session_in_background(|s| {
            if index >= s.ocr_worker_count()? {
                return Ok(None);
            }
            let mut taken = busy
                .lock()
                .map_err(|_| matterbox_core::CoreError::Internal("the OCR workers' list"))?;
            let passing_over: Vec<i64> = taken.iter().copied().collect();
            let task = s.ocr_next_page_passing_over(&passing_over)?;
            if let Some(t) = &task {
                taken.insert(t.version_id);
            }
            Ok(task.map(|t| (t, s.cancel_handle())))
        });
        let Ok(Some((task, cancel))) = next else {
            // Locked, empty, not wanted, or failing (retried): rest,
            // unless woken.
            state.ocr_wake.wait(IDLE);
            continue;
        };
        let _taken = Taken(Arc::clone(&busy), task.version_id);
        let _ = app.emit(
            PROGRESS_EVENT,
            OcrProgress {
                document_id: task.document_id,
                page: task.page + 1,
                page_count: task.page_count,
                status: OcrState::Running,
            },
        );
        let Some(done) = recogniser.recognise(task, &|| cancel.is_cancelled()) else {
            continue;
        };
        let (document_id, page, page_count) = (done.document_id, done.page, done.page_count);
        if let Ok(Some(status)) = state.with_session_in_background(|s| s.ocr_commit(done)) {
            let _ = app.emit(
                PROGRESS_EVENT,
                OcrProgress {
                    document_id,
                    page: page + 1,
                    page_count,
                    status,
                },
            );
        }
    }
}

/// The text recognised in a document's scan, page by page: what the
/// viewer's find searches when the document has no text of its own.
#[tauri::command]
pub async fn document_recognised_text(
    state: State<'_, AppState>,
    id: i64,
) -> Result<Vec<matterbox_core::ocr::RecognisedPage>, matterbox_core::ApiError> {
    state.with_session(|s| s.recognised_text(id))
}

/// Queues a document's recognition again (the Retry button).
#[tauri::command]
pub async fn ocr_document(
    state: State<'_, AppState>,
    id: i64,
    mode: OcrMode,
) -> Result<matterbox_core::ocr::OcrJob, matterbox_core::ApiError> {
    let job = state.with_session(|s| s.ocr_document(id, mode))?;
    state.ocr_wake.wake();
    Ok(job)
}

#[tauri::command]
pub async fn ocr_status(
    state: State<'_, AppState>,
) -> Result<OcrOverview, matterbox_core::ApiError> {
    state.with_session(|s| s.ocr_status())
}
