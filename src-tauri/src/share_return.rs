//! Returning a client's file from the app (#18 §3), the rest of sharing's
//! commands the app had none of (recipients' keys, a client's shares).
//!
//! A return holds the session while it writes, like a share, and runs
//! under `commands::watched` like every long work: its progress goes out
//! as `work-progress` (`Work::Return`) and `work_cancel` stops it (the
//! core checks on every write and leaves no file).

use matterbox_core::ApiError;
use matterbox_core::domain::returns::FileReturn;
use matterbox_core::domain::shares::{KeyHolder, RecipientKey, Share};
use matterbox_core::returns::{ReturnCreated, ReturnRequest};
use matterbox_core::shares::KeySaved;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::Work;
use crate::state::AppState;

type Res<T> = Result<T, ApiError>;

/// Asks for the folder, then writes the returned file there and records
/// it, telling the UI how far it is. `None` when the user cancelled the
/// picker or the return.
#[tauri::command]
pub async fn share_return(
    app: AppHandle,
    state: State<'_, AppState>,
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
    let result = crate::commands::watched(&app, &state, Work::Return, 0, |watch| {
        state.with_session(|s| s.return_file(&request, &folder, watch))
    });
    // The user's Cancel is not a locked vault (the code the core's
    // `Cancelled` maps to): it answers `None`, and no file was left.
    if result.is_err() && state.work_stop.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(None);
    }
    result.map(Some)
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
