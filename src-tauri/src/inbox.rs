//! The inbox watcher of the desktop app: one background thread that,
//! while a vault is unlocked and has an inbox folder, watches it and
//! ingests what settles (the core's `InboxRunner`), tells the UI what came
//! in, and pauses while the vault is locked (files wait in the folder).
//! Its session calls are background work: they never delay auto-lock.

use std::time::Duration;

use matterbox_core::ErrorCode;
use matterbox_core::inbox::{InboxDriver, Ingested, Mode};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use ts_rs::TS;

use crate::state::AppState;

pub const STATUS_EVENT: &str = "inbox-status";
pub const INGESTED_EVENT: &str = "inbox-ingested";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    /// No vault unlocked: files wait in the folder.
    #[default]
    Paused,
    /// The vault has no inbox folder.
    NotSet,
    Watching,
    Polling,
    /// The last pass failed (the message says why); it is retried.
    Failing,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxStatus {
    pub state: InboxState,
    pub folder: Option<String>,
    /// Files in the folder not taken yet.
    pub waiting: usize,
    pub last_ingested: Option<String>,
    pub message: Option<String>,
}

/// Sent per file taken from the inbox.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IngestedEvent {
    pub ingested: Vec<Ingested>,
    pub quarantined: Vec<String>,
}

fn set_status(app: &AppHandle, status: InboxStatus) {
    let state = app.state::<AppState>();
    let Ok(mut current) = state.inbox_status.lock() else {
        return;
    };
    if *current != status {
        *current = status.clone();
        drop(current);
        let _ = app.emit(STATUS_EVENT, status);
    }
}

fn status_of(app: &AppHandle) -> InboxStatus {
    app.state::<AppState>()
        .inbox_status
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default()
}

struct Running {
    driver: InboxDriver,
    folder: String,
}

pub fn spawn(app: AppHandle) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("inbox".into())
        .spawn(move || run(app))
        .map(|_| ())
}

fn run(app: AppHandle) {
    let mut current: Option<Running> = None;
    let mut generation = u64::MAX;
    loop {
        let state = app.state::<AppState>();
        let now_generation = state.inbox_generation();
        if now_generation != generation {
            generation = now_generation;
            current = None;
            match state.with_session_in_background(|s| InboxDriver::start(s)) {
                Ok(Some(driver)) => {
                    let folder = driver.folder().display().to_string();
                    set_status(
                        &app,
                        InboxStatus {
                            state: match driver.mode() {
                                Mode::Native => InboxState::Watching,
                                Mode::Polling => InboxState::Polling,
                            },
                            folder: Some(folder.clone()),
                            message: driver
                                .fallback_reason()
                                .map(|r| format!("Native watching failed ({r}); polling instead.")),
                            ..status_of(&app)
                        },
                    );
                    current = Some(Running { driver, folder });
                }
                Ok(None) => set_status(
                    &app,
                    InboxStatus {
                        state: InboxState::NotSet,
                        ..Default::default()
                    },
                ),
                Err(_) => set_status(&app, paused_status(&state)),
            }
        }
        let Some(running) = current.as_mut() else {
            std::thread::sleep(Duration::from_millis(300));
            continue;
        };
        let asked = state
            .inbox_scan_requested
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        if running.driver.due(asked) {
            let driver = &mut running.driver;
            match state.with_session_in_background(|s| driver.pass(s)) {
                Ok(pass) => {
                    let mut status = status_of(&app);
                    status.waiting = pass.waiting;
                    status.folder = Some(running.folder.clone());
                    if status.state == InboxState::Failing {
                        status.state = match running.driver.mode() {
                            Mode::Native => InboxState::Watching,
                            Mode::Polling => InboxState::Polling,
                        };
                        status.message = None;
                    }
                    if let Some(last) = pass.ingested.last() {
                        status.last_ingested = Some(last.name.clone());
                    }
                    if !pass.ingested.is_empty() || !pass.quarantined.is_empty() {
                        let _ = app.emit(
                            INGESTED_EVENT,
                            IngestedEvent {
                                ingested: pass.ingested,
                                quarantined: pass.quarantined.into_iter().map(|(n, _)| n).collect(),
                            },
                        );
                    }
                    set_status(&app, status);
                }
                Err(e) if e.code() == ErrorCode::VaultLocked => {
                    current = None;
                    set_status(&app, paused_status(&state));
                    continue;
                }
                Err(e) => {
                    set_status(
                        &app,
                        InboxStatus {
                            state: InboxState::Failing,
                            message: Some(e.message().to_string()),
                            ..status_of(&app)
                        },
                    );
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
        let Some(running) = current.as_mut() else {
            continue;
        };
        running.driver.wait();
    }
}

/// While locked: how many files wait in the last vault's inbox, counted
/// without keys.
pub fn paused_status(state: &AppState) -> InboxStatus {
    let folder = state
        .last_vault
        .lock()
        .ok()
        .and_then(|v| v.clone())
        .and_then(|dir| matterbox_core::inbox::inbox_location(&dir).folder);
    InboxStatus {
        state: InboxState::Paused,
        waiting: folder
            .as_deref()
            .map(|f| matterbox_core::inbox::pending_files(std::path::Path::new(f)))
            .unwrap_or(0),
        folder,
        last_ingested: None,
        message: None,
    }
}
