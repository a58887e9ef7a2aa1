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
//! each step is the core's `OcrWorkers::step`, shared with `ocr run` and
//! `inbox watch`, which notes the version taken while it holds the
//! session so the others pass over it. Recognition runs at a lower
//! priority (the core's `RECOGNITION_NICE`), so the app stays responsive.

use std::sync::Arc;
use std::time::Duration;

use matterbox_core::ocr::{
    MAX_OCR_WORKERS, OcrMode, OcrOverview, OcrState, OcrWorkers, Recogniser, SessionAccess,
    WorkerStep,
};
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

/// Starts the most workers the setting allows; those beyond the setting's
/// count rest until it is raised. They share the core's [`OcrWorkers`]
/// (as `ocr run` and `inbox watch` do), so two never take one document.
pub fn spawn(app: AppHandle) -> std::io::Result<()> {
    let workers = Arc::new(OcrWorkers::default());
    for index in 0..MAX_OCR_WORKERS {
        let (app, workers) = (app.clone(), Arc::clone(&workers));
        std::thread::Builder::new()
            .name(format!("ocr-worker-{index}"))
            .spawn(move || run(app, index, &workers))?;
    }
    Ok(())
}

/// The app's session, taken for background work (never delays
/// auto-lock; refused while locked).
struct Background<'a>(&'a AppState);

impl SessionAccess for Background<'_> {
    type Error = matterbox_core::ApiError;

    fn with_session<T>(
        &self,
        f: impl FnOnce(&mut matterbox_core::Session) -> Result<T, matterbox_core::CoreError>,
    ) -> Result<T, Self::Error> {
        self.0.with_session_in_background(f)
    }
}

fn run(app: AppHandle, index: u32, workers: &OcrWorkers) {
    let mut recogniser = Recogniser::default();
    let mut seen = 0;
    loop {
        let state = app.state::<AppState>();
        let step = workers.step(
            Some(index),
            &Background(&state),
            &mut recogniser,
            // A lock cancels the session, which the step watches.
            &|| false,
            &mut |task| {
                let _ = app.emit(
                    PROGRESS_EVENT,
                    OcrProgress {
                        document_id: task.document_id,
                        page: task.page + 1,
                        page_count: task.page_count,
                        status: OcrState::Running,
                    },
                );
            },
        );
        match step {
            Ok(WorkerStep::Recorded {
                page,
                state: Some(status),
            }) => {
                let _ = app.emit(
                    PROGRESS_EVENT,
                    OcrProgress {
                        document_id: page.document_id,
                        page: page.page + 1,
                        page_count: page.page_count,
                        status,
                    },
                );
            }
            Ok(WorkerStep::Recorded { state: None, .. } | WorkerStep::Abandoned) => {}
            // Locked, empty, not wanted, or failing (retried): rest,
            // unless woken.
            Ok(WorkerStep::Rest) | Err(_) => state.ocr_wake.wait(&mut seen, IDLE),
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
