//! Keeps the search accelerator in step while the vault is unlocked: a
//! tokio task that brings it up to date in steps of half a second (the
//! session is held that long, then let go so the user's own commands
//! come first), every few seconds, and at once again while it is behind
//! (built for the first time, after a destruction, or after an import in
//! another process). Searches meanwhile are answered by FTS5. Background
//! work: no effect on auto-lock.

use std::time::Duration;

use matterbox_core::search_index::Standing;
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// How long one step may hold the session.
const STEP: Duration = Duration::from_millis(500);

pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let handle = app.clone();
            let standing = tauri::async_runtime::spawn_blocking(move || {
                handle
                    .state::<AppState>()
                    .with_session_in_background(|s| s.search_index_upkeep(STEP))
            })
            .await;
            let pause = match standing {
                Ok(Ok(Standing::Behind)) => Duration::from_millis(200),
                _ => Duration::from_secs(5),
            };
            tokio::time::sleep(pause).await;
        }
    });
}
