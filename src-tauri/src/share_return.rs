//! Returning a client's file from the app (#18 §3), the rest of sharing's
//! commands the app had none of (recipients' keys, a client's shares),
//! and the return's progress (`return-progress`) and Cancel.
//!
//! A return holds the session while it writes, like a share; Cancel does
//! not need the session: it sets the running return's own `Cancel`, which
//! the core checks on every write, and the core leaves no file.

use std::sync::Mutex;

use matterbox_core::domain::returns::FileReturn;
use matterbox_core::domain::shares::{KeyHolder, RecipientKey, Share};
use matterbox_core::returns::{ReturnCreated, ReturnRequest};
use matterbox_core::shares::KeySaved;
use matterbox_core::{ApiError, Cancel};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::state::AppState;

type Res<T> = Result<T, ApiError>;

pub const PROGRESS_EVENT: &str = "return-progress";

/// How far a return's documents are written.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnProgress {
    pub done: u64,
    pub total: u64,
}

/// The running return's Cancel, if one runs.
#[derive(Default)]
pub struct Returning(Mutex<Option<Cancel>>);

/// Asks for the folder, then writes the returned file there and records
/// it, telling the UI how far it is. `None` when the user cancelled the
/// picker or the return.
#[tauri::command]
pub async fn share_return(
    app: AppHandle,
    state: State<'_, AppState>,
    returning: State<'_, Returning>,
    request: ReturnRequest,
) -> Res<Option<ReturnCreated>> {
    state.with_session(|_| Ok(()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the folder for the returned file")
        .blocking_pick_folder();
    let Some(folder) = picked.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    let stop = Cancel::new();
    if let Ok(mut running) = returning.0.lock() {
        *running = Some(stop.clone());
    }
    // At most about a hundred events: one per percent written.
    let last = std::sync::atomic::AtomicU64::new(0);
    let progress = |p: &matterbox_core::Progress| {
        let (done, total) = (p.bytes, p.total);
        let told = last.load(std::sync::atomic::Ordering::SeqCst);
        if done == total || done.saturating_sub(told) >= (total / 100).max(1) {
            last.store(done, std::sync::atomic::Ordering::SeqCst);
            let _ = app.emit(PROGRESS_EVENT, ReturnProgress { done, total });
        }
    };
    let watch = matterbox_core::Watch {
        on_progress: &progress,
        stop: &|| stop.is_cancelled(),
    };
    let result = state.with_session(|s| s.return_file(&request, &folder, &watch));
    if let Ok(mut running) = returning.0.lock() {
        *running = None;
    }
    // The user's Cancel is not a locked vault (the code the core's
    // `Cancelled` maps to): it answers `None`, and no file was left.
    if result.is_err() && stop.is_cancelled() {
        return Ok(None);
    }
    result.map(Some)
}

/// Stops the running return (it leaves no file). Not `async`, like
/// `work_cancel`: heard even while every async worker waits for the
/// session the return holds.
#[tauri::command]
pub fn share_return_cancel(returning: State<'_, Returning>) -> Res<()> {
    if let Ok(running) = returning.0.lock()
        && let Some(stop) = running.as_ref()
    {
        stop.cancel();
    }
    Ok(())
}

/// A client's packages, newest first.
#[tauri::command]
pub async fn share_list_client(state: State<'_, AppState>, client_id: i64) -> Res<Vec<Share>> {
    state.with_session(|s| s.shares(None, Some(client_id)))
}

/// The returns among a client's shares.
#[tauri::command]
pub async fn share_returns(state: State<'_, AppState>, client_id: i64) -> Res<Vec<FileReturn>> {
    state.with_session(|s| s.file_returns(Some(client_id)))
}

/// Every age key a client or party has had, newest first.
#[tauri::command]
pub async fn share_keys(state: State<'_, AppState>, holder: KeyHolder) -> Res<Vec<RecipientKey>> {
    state.with_session(|s| s.recipient_keys(holder))
}

/// Keeps an age key with a client or party (a different one replaces it:
/// `replaced` says so, for the warning).
#[tauri::command]
pub async fn share_key_set(
    state: State<'_, AppState>,
    holder: KeyHolder,
    key: String,
) -> Res<KeySaved> {
    state.with_session(|s| s.set_recipient_key(holder, &key))
}

/// Records that the key's holder read back its fingerprint.
#[tauri::command]
pub async fn share_key_confirm(
    state: State<'_, AppState>,
    id: i64,
    fingerprint: String,
) -> Res<RecipientKey> {
    state.with_session(|s| s.confirm_recipient_key(id, &fingerprint))
}
