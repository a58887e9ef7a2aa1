//! Backups in the desktop app: run on demand or by the scheduler, with
//! progress and a cancel button, and restored from the first screen.
//!
//! A backup holds the session only to stage the vault
//! (`Session::prepare_backup`, seconds) and to record the result
//! (`Session::record_backup`); saving and verifying run on a thread of
//! their own with the repository password alone, which opens nothing but
//! the vault's ciphertext — so the app stays usable and a lock does not
//! wait. A result that arrives while the vault is locked is recorded at
//! the next unlock. The scheduler starts a backup when the last verified
//! one is a day old (catching up after sleep or days off), retries an
//! unreachable destination every hour, and runs the restore drill monthly;
//! after each unlock it checks the vault is not behind its own backups.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use matterbox_core::backup::{
    Activity, BackupCanceller, BackupReport, BackupSnapshot, BackupState, DrillReport, Location,
    RestoreRequest, S3Credentials,
};
use matterbox_core::vault::{DeviceSecretStorage, Passphrase};
use matterbox_core::{ApiError, CoreError, SecretText, VaultInfo};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::state::{AppState, api};

/// Sent when a backup or drill starts or ends (the UI then asks for the
/// status; while one runs it asks every second for the progress).
pub const BACKUP_EVENT: &str = "backup-changed";

/// A day: the scheduler's backup interval.
const DAILY: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// An unreachable destination is tried again after this long.
const RETRY: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// The restore drill's interval.
const MONTHLY: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// How old the last verified backup may be before the app says so.
const WARN_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(2);
const ALARM_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);

type Outcome = Result<BackupReport, CoreError>;

struct Waiting {
    vault: PathBuf,
    location: Location,
    outcome: Outcome,
}

struct Running {
    watch: std::sync::Arc<Activity>,
    canceller: BackupCanceller,
    destination: String,
}

/// The app's backup jobs: at most one at a time.
pub struct Backups {
    running: Mutex<Option<Running>>,
    drilling: std::sync::atomic::AtomicBool,
    /// Results not yet recorded (they came in while their vault was
    /// locked): each is recorded in its own vault, at its next unlock.
    unrecorded: Mutex<Vec<Waiting>>,
    /// The last result, for the UI.
    last: Mutex<Option<Finished>>,
    /// The session (by `AppState::inbox_generation`) whose rollback check
    /// ran; `u64::MAX` before the first.
    checked_session: std::sync::atomic::AtomicU64,
}

/// How the last backup in this app ended.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Finished {
    pub ok: bool,
    /// What to tell the user (the backup's report, or why it failed).
    pub message: String,
    pub report: Option<BackupReport>,
}

/// How current the backups are, for the status bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupLevel {
    /// No backup folder is set.
    NotSet,
    /// Verified within two days.
    Current,
    /// Older than two days, or never verified.
    Warn,
    /// Older than seven days, or the vault was found put back to an
    /// older copy.
    Overdue,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupProgress {
    pub destination: String,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    pub state: BackupState,
    pub level: BackupLevel,
    /// Hours since the last verified backup.
    #[ts(type = "number | null")]
    pub age_hours: Option<i64>,
    pub running: Option<BackupProgress>,
    pub drilling: bool,
    pub last: Option<Finished>,
}

fn level(state: &BackupState, now: DateTime<Utc>) -> BackupLevel {
    if state.destination.is_none() {
        return BackupLevel::NotSet;
    }
    if state.rollback.is_some() {
        return BackupLevel::Overdue;
    }
    match state.last_verified_at.map(|t| now - t) {
        Some(age) if age > ALARM_AFTER => BackupLevel::Overdue,
        Some(age) if age > WARN_AFTER => BackupLevel::Warn,
        Some(_) => BackupLevel::Current,
        None => BackupLevel::Warn,
    }
}

fn invalid(message: &str) -> ApiError {
    CoreError::Invalid(message.into()).to_api()
}

impl Default for Backups {
    fn default() -> Self {
        Self {
            running: Mutex::default(),
            drilling: std::sync::atomic::AtomicBool::default(),
            unrecorded: Mutex::default(),
            last: Mutex::default(),
            checked_session: std::sync::atomic::AtomicU64::new(u64::MAX),
        }
    }
}

impl Backups {
    fn is_running(&self) -> bool {
        self.running.lock().map(|r| r.is_some()).unwrap_or(true)
    }

    /// Records the results that wait for the vault unlocked now (never in
    /// another vault's log).
    fn record_waiting(&self, state: &AppState) {
        let Some(unlocked) = state.unlocked_vault() else {
            return;
        };
        let Ok(mut waiting) = self.unrecorded.lock() else {
            return;
        };
        let mut kept = Vec::new();
        for w in waiting.drain(..) {
            let recorded = w.vault == unlocked
                && state
                    .with_session_in_background(|s| {
                        if s.vault().dir() != w.vault {
                            return Err(CoreError::VaultLocked);
                        }
                        s.record_backup(&w.location, &w.outcome);
                        Ok(())
                    })
                    .is_ok();
            if !recorded {
                kept.push(w);
            }
        }
        *waiting = kept;
    }
}

/// Starts a backup to `destination` (or the one set) on a thread of its
/// own. Fails at once when the vault is locked, a backup runs, or the
/// vault side cannot be prepared (that failure is recorded). A store's
/// access key, when given, is kept in the keychain first.
fn start(
    app: &AppHandle,
    destination: Option<String>,
    store_key: Option<S3Credentials>,
    check_all: bool,
) -> Result<(), ApiError> {
    let backups = app.state::<Backups>();
    let state = app.state::<AppState>();
    let mut running = backups
        .running
        .lock()
        .map_err(|_| invalid("the backup state is unusable; restart the app"))?;
    if running.is_some() {
        return Err(invalid("A backup is running already."));
    }
    let (vault, prepared) = state.with_session_in_background(|s| {
        let location = s.backup_location(destination.as_deref())?;
        if let Some(key) = &store_key {
            let Location::Store(store) = &location else {
                return Err(CoreError::Invalid(
                    "An access key is for an object store, not a folder.".into(),
                ));
            };
            s.set_backup_store_key(store, key)?;
        }
        let vault = s.vault().dir().to_path_buf();
        match s.prepare_backup(&location) {
            Ok(p) => Ok(Ok((vault, p))),
            Err(e) => {
                let api = e.to_api();
                let failed: Outcome = Err(e);
                s.record_backup(&location, &failed);
                Ok(Err(api))
            }
        }
    })??;
    let watch = std::sync::Arc::new(Activity::default());
    let location = prepared.location().clone();
    *running = Some(Running {
        watch: watch.clone(),
        canceller: prepared.canceller(&watch),
        destination: location.to_string(),
    });
    drop(running);
    let _ = app.emit(BACKUP_EVENT, ());
    let handle = app.clone();
    std::thread::Builder::new()
        .name("backup".into())
        .spawn(move || {
            let outcome = prepared.run(check_all, watch);
            let backups = handle.state::<Backups>();
            let finished = Finished {
                ok: outcome.is_ok(),
                message: match &outcome {
                    Ok(r) => match &r.rollback {
                        Some(warning) => format!("Backup saved and verified. {warning}"),
                        None => "Backup saved and verified.".into(),
                    },
                    Err(e) => e.to_api().message().to_string(),
                },
                report: outcome.as_ref().ok().cloned(),
            };
            if let Ok(mut last) = backups.last.lock() {
                *last = Some(finished);
            }
            if let Ok(mut waiting) = backups.unrecorded.lock() {
                waiting.push(Waiting {
                    vault,
                    location,
                    outcome,
                });
            }
            backups.record_waiting(&handle.state::<AppState>());
            if let Ok(mut running) = backups.running.lock() {
                *running = None;
            }
            let _ = handle.emit(BACKUP_EVENT, ());
        })
        .map_err(|_| CoreError::Internal("the backup thread could not be started").to_api())?;
    Ok(())
}

/// The scheduler: every minute while unlocked, records results that
/// waited, starts the daily backup when due and the monthly drill.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let handle = app.clone();
            let _ = tauri::async_runtime::spawn_blocking(move || tick(&handle)).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}

fn tick(app: &AppHandle) {
    let state = app.state::<AppState>();
    let backups = app.state::<Backups>();
    if state.unlocked_vault().is_none() {
        return;
    }
    backups.record_waiting(&state);
    // Once per unlocked session: is the vault behind its own backups?
    let session = state.inbox_generation();
    if backups
        .checked_session
        .swap(session, std::sync::atomic::Ordering::SeqCst)
        != session
    {
        let _ = state.with_session_in_background(|s| s.check_rollback());
        let _ = app.emit(BACKUP_EVENT, ());
    }
    if backups.is_running() || backups.drilling.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(current) = state.with_session_in_background(|s| s.backup_state()) else {
        return;
    };
    if current.destination.is_none() {
        return;
    }
    let now = Utc::now();
    let stale = current.last_verified_at.is_none_or(|t| now - t >= DAILY);
    let tried_lately = current.last_attempt_at.is_some_and(|t| now - t < RETRY);
    if stale && !tried_lately {
        let _ = start(app, None, None, false);
        return;
    }
    let drill_due = current.last_verified_at.is_some()
        && current.last_drill_at.is_none_or(|t| now - t >= MONTHLY)
        && current.last_drill_problem.is_none()
        && !tried_lately;
    if drill_due {
        drill(app);
    }
}

fn drill(app: &AppHandle) -> Option<Result<DrillReport, ApiError>> {
    let backups = app.state::<Backups>();
    if backups
        .drilling
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return None;
    }
    let _ = app.emit(BACKUP_EVENT, ());
    let out = app
        .state::<AppState>()
        .with_session_in_background(|s| s.backup_drill(None));
    backups
        .drilling
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let _ = app.emit(BACKUP_EVENT, ());
    Some(out)
}

#[tauri::command]
pub async fn backup_status(
    state: State<'_, AppState>,
    backups: State<'_, Backups>,
) -> Result<BackupStatus, ApiError> {
    let current = state.with_session_in_background(|s| s.backup_state())?;
    let now = Utc::now();
    let running = backups.running.lock().ok().and_then(|r| {
        r.as_ref().map(|r| BackupProgress {
            destination: r.destination.clone(),
            bytes_done: r
                .watch
                .bytes_done
                .load(std::sync::atomic::Ordering::Relaxed),
            bytes_total: r
                .watch
                .bytes_total
                .load(std::sync::atomic::Ordering::Relaxed),
        })
    });
    Ok(BackupStatus {
        level: level(&current, now),
        age_hours: current
            .last_verified_at
            .map(|t| (now - t).num_hours().max(0)),
        state: current,
        running,
        drilling: backups.drilling.load(std::sync::atomic::Ordering::SeqCst),
        last: backups.last.lock().ok().and_then(|l| l.clone()),
    })
}

/// The access key of an object store, as typed in the app.
#[derive(Clone, Debug, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreKey {
    pub access_key_id: String,
    #[ts(type = "string")]
    pub secret_access_key: SecretText,
}

impl StoreKey {
    fn credentials(self) -> S3Credentials {
        S3Credentials {
            access_key_id: self.access_key_id.trim().to_string(),
            secret_access_key: zeroize::Zeroizing::new(
                self.secret_access_key.expose().trim().to_string(),
            ),
        }
    }
}

/// A destination as typed: a full folder path or `s3:https://…`.
fn parse_destination(text: &str) -> Result<Location, ApiError> {
    let location = Location::parse(text).map_err(|e| CoreError::from(e).to_api())?;
    if let Location::Folder(d) = &location
        && !d.is_absolute()
    {
        return Err(invalid(
            "Give the backup folder as a full path (or choose it).",
        ));
    }
    Ok(location)
}

/// Starts a backup now; `destination` sets where backups go (a folder, or
/// an object store with `storeKey`, which is kept in the keychain).
#[tauri::command]
pub async fn backup_run(
    app: AppHandle,
    destination: Option<String>,
    store_key: Option<StoreKey>,
) -> Result<(), ApiError> {
    let destination = destination
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    if let Some(d) = &destination {
        parse_destination(d)?;
    }
    start(
        &app,
        destination,
        store_key.map(StoreKey::credentials),
        false,
    )
}

/// Stops the running backup after the file it is reading; nothing of it
/// is kept as a backup.
#[tauri::command]
pub async fn backup_cancel(backups: State<'_, Backups>) -> Result<(), ApiError> {
    if let Ok(running) = backups.running.lock()
        && let Some(r) = running.as_ref()
    {
        r.canceller.cancel();
    }
    Ok(())
}

#[tauri::command]
pub async fn backup_drill(app: AppHandle) -> Result<DrillReport, ApiError> {
    if app.state::<Backups>().is_running() {
        return Err(invalid(
            "A backup is running; run the drill when it has finished.",
        ));
    }
    drill(&app).unwrap_or_else(|| Err(invalid("A restore drill is running already.")))
}

/// Shows the system folder picker for a backup folder (or, before a
/// restore, the folder that holds a backup); returns the folder chosen.
#[tauri::command]
pub async fn backup_pick_folder(app: AppHandle) -> Result<Option<String>, ApiError> {
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the backup folder")
        .blocking_pick_folder();
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// The backups at a folder or store, opened with the recovery key (first
/// screen).
#[tauri::command]
pub async fn restore_list(
    from: String,
    store_key: Option<StoreKey>,
    recovery_key: SecretText,
) -> Result<Vec<BackupSnapshot>, ApiError> {
    let key = store_key.map(StoreKey::credentials);
    matterbox_core::backup::backup_snapshots_with_recovery_key(
        &parse_destination(&from)?,
        key.as_ref(),
        recovery_key.expose(),
    )
    .map_err(api)
}

/// Restores a backup into a new vault in Matterbox's vaults folder and
/// unlocks it, enrolled on this computer with the new passphrase.
#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    from: String,
    store_key: Option<StoreKey>,
    snapshot: Option<String>,
    name: String,
    recovery_key: SecretText,
    new_passphrase: String,
) -> Result<VaultInfo, ApiError> {
    let to = matterbox_core::new_vault_dir(&state.vaults_root, &name);
    matterbox_core::create_vaults_folder(&state.vaults_root).map_err(api)?;
    let epoch = state.lock_epoch()?;
    let passphrase = Passphrase::new(new_passphrase);
    let from = parse_destination(&from)?;
    let key = store_key.map(StoreKey::credentials);
    let request = RestoreRequest {
        from: &from,
        store_key: key.as_ref(),
        snapshot: snapshot.as_deref(),
        recovery_key: recovery_key.expose(),
        to: &to,
        new_passphrase: &passphrase,
        storage: DeviceSecretStorage::OsKeychain,
    };
    let (session, _) =
        matterbox_core::backup::restore_backup(&state.env, &request, None).map_err(api)?;
    let settings = session.settings().map_err(api)?;
    state.set_session(
        session,
        Duration::from_secs(u64::from(settings.auto_lock_seconds)),
        epoch,
    )?;
    matterbox_core::vault_info(&to).map_err(api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_bar_warns_after_two_days_and_alarms_after_seven() {
        let now = Utc::now();
        let mut s = BackupState::default();
        assert_eq!(level(&s, now), BackupLevel::NotSet);
        s.destination = Some("/media/drive".into());
        assert_eq!(level(&s, now), BackupLevel::Warn);
        s.last_verified_at = Some(now - chrono::TimeDelta::hours(47));
        assert_eq!(level(&s, now), BackupLevel::Current);
        s.last_verified_at = Some(now - chrono::TimeDelta::hours(49));
        assert_eq!(level(&s, now), BackupLevel::Warn);
        s.last_verified_at = Some(now - chrono::TimeDelta::days(8));
        assert_eq!(level(&s, now), BackupLevel::Overdue);
    }
}
