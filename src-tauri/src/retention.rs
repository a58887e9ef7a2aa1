//! The retention scheduler of the desktop app: a tokio task that, after
//! every unlock and then every hour (so a laptop that was off for months
//! catches up at once), runs the core's sweep (`Session::retention_sweep`:
//! finishes interrupted destructions, destroys what a policy explicitly
//! marked "destroy without approval" covers, nothing else) and tells the
//! UI how many items wait for approval. Its session calls are background
//! work (no effect on auto-lock).

use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use ts_rs::TS;

use crate::state::AppState;

pub const DUE_EVENT: &str = "retention-due";

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionDueEvent {
    /// Items waiting for approval.
    pub due: usize,
    /// Destroyed just now under policies that need no approval.
    pub destroyed_without_approval: usize,
}

pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut seen_generation = u64::MAX;
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            let generation = app.state::<AppState>().inbox_generation();
            let now = tokio::time::Instant::now();
            if generation != seen_generation || now >= next_sweep {
                seen_generation = generation;
                next_sweep = now + Duration::from_secs(3600);
                let handle = app.clone();
                let _ = tauri::async_runtime::spawn_blocking(move || sweep(&handle)).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}

/// Tells the UI how many items wait for approval now: after a
/// destruction, an erasure, a deferral, a hold or a policy change, so the
/// count beside "Retention" is never the last sweep's.
pub fn announce_due(app: &AppHandle) {
    let state = app.state::<AppState>();
    let today = chrono::Local::now().date_naive();
    if let Ok(due) = state.with_session_in_background(|s| s.retention_due(today)) {
        let _ = app.emit(
            DUE_EVENT,
            RetentionDueEvent {
                due: due.len(),
                destroyed_without_approval: 0,
            },
        );
    }
}

fn sweep(app: &AppHandle) {
    let state = app.state::<AppState>();
    let today = chrono::Local::now().date_naive();
    if let Ok(r) = state.with_session_in_background(|s| s.retention_sweep(today)) {
        let _ = app.emit(
            DUE_EVENT,
            RetentionDueEvent {
                due: r.awaiting_approval.len(),
                destroyed_without_approval: r.destroyed.documents + r.destroyed.matters,
            },
        );
    }
}
