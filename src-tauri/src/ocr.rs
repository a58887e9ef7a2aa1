//! The OCR worker of the desktop app: one background thread that, while a
//! vault is unlocked, recognises the queued scans page by page and tells
//! the UI how far each document is (`ocr-progress`).
//!
//! It holds the session only to take the next page (decrypted in memory)
//! and to record it — both background work, which never delays auto-lock.
//! Tesseract runs between the two without the session, so a lock takes the
//! keys at once: the page in flight is abandoned (its recognition thread
//! sees the session's cancel flag) and tried again after the next unlock.
//! One worker thread: the machine may be a 2-core laptop.

use std::time::Duration;

use matterbox_core::ocr::{OcrMode, OcrOverview, OcrState, Recogniser};
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

pub fn spawn(app: AppHandle) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ocr-worker".into())
        .spawn(move || run(app))
        .map(|_| ())
}

fn run(app: AppHandle) {
    let mut recogniser = Recogniser::default();
    loop {
        let state = app.state::<AppState>();
        let next = state.with_session_in_background(|s| {
            let task = s.ocr_next_page()?;
            Ok(task.map(|t| (t, s.cancel_handle())))
        });
        let Ok(Some((task, cancel))) = next else {
            // Locked, empty, or failing (retried): rest, unless woken.
            state.ocr_wake.wait(IDLE);
            continue;
        };
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
