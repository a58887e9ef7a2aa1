//! The IPC commands: each takes the app state, converts the request, calls
//! the core and converts the result. No SQL, crypto or file I/O here.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use matterbox_core::breach::{DeviceSeen, IncidentView, ScopeReport};
use matterbox_core::bundle::{CourtBundleCreated, CourtBundleRequest, SearchableExport};
use matterbox_core::conflicts::CheckRequest;
use matterbox_core::consents::{ConfirmInput, ConsentFormat, Withdrawal};
use matterbox_core::domain::breaches::{
    Audience, BreachInput, BreachPatch, BreachSummary, DeadlineRule, NoticeInput,
};
use matterbox_core::domain::conflicts::{CheckRecord, CheckSummary, Decision, NewHit};
use matterbox_core::domain::consents::{Consent, ConsentDue, ConsentInput, GiveInput};
use matterbox_core::domain::documents::{DocumentPatch, DocumentSummary};
use matterbox_core::domain::policies::{
    Due as PolicyDue, Policy as PracticePolicy, PolicyInput as PracticePolicyInput, Training,
    TrainingInput, VersionInput,
};
use matterbox_core::domain::requests::{
    Extension, Mark, PauseReason, RequestInput, RequestStatus, WithholdReason,
};
use matterbox_core::domain::retention::{DueItem, Hold, HoldTarget, Policy, PolicyInput};
use matterbox_core::domain::search::{SavedSearch, SearchFilter, SearchPage};
use matterbox_core::domain::shares::Share;
use matterbox_core::domain::{
    Client, ClientInput, ClientPatch, Matter, MatterFilter, MatterInput, MatterPatch,
    MatterSummary, PartyInput,
};
use matterbox_core::inbox::{InboxSettings, Quarantined};
use matterbox_core::report::{ReportFormat, ReportScope};
use matterbox_core::requests::{ErasureReport, RequestExport, RequestRow, RequestView};
use matterbox_core::retention::{DestructionReport, Disposal, MatterRetention, RegisterEntry};
use matterbox_core::shares::{ShareCreated, ShareRequest};
use matterbox_core::vault::{DeviceSecretStorage, Passphrase};
use matterbox_core::{
    ApiError, AppSettings, ClientDetail, DoctorReport, DocumentDetail, ErrorCode, KdfChoice,
    SecretText, SettingsPatch, UnreadableVault, VaultInfo, VaultListing, list_vaults, vault_info,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::state::{AppState, LockReason, StagedFile, api};

type Res<T> = Result<T, ApiError>;

/// What the app shows before anything is unlocked.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub vaults: Vec<VaultInfo>,
    /// Vault folders that cannot be read, with why: shown, never hidden.
    pub unreadable_vaults: Vec<UnreadableVault>,
    /// The folder of the unlocked vault, if one is unlocked.
    pub unlocked: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVault {
    pub info: VaultInfo,
    /// Shown once, to be written down; never stored.
    #[ts(type = "string")]
    pub recovery_key: SecretText,
}

/// The event sent to the UI whenever the vault locks.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LockedEvent {
    pub reason: LockReason,
}

pub const LOCKED_EVENT: &str = "vault-locked";

pub fn emit_locked(app: &AppHandle, reason: LockReason) {
    // The window may be gone while the app exits; nothing to tell then.
    let _ = app.emit(LOCKED_EVENT, LockedEvent { reason });
}

/// Sent when the core warned of something the UI should show: a change
/// was saved but not completely tidied up after (`app_warnings` has it).
pub const WARNINGS_EVENT: &str = "app-warnings";

/// The warnings kept since the UI last asked; each is given once.
#[tauri::command]
pub async fn app_warnings(state: State<'_, AppState>) -> Res<Vec<String>> {
    Ok(state.take_warnings())
}

fn vault_path(state: &AppState, path: &str) -> Res<PathBuf> {
    let path = PathBuf::from(path);
    if !state.vault_path_allowed(&path) {
        return Err(matterbox_core::CoreError::Invalid(
            "That vault is not in Matterbox's vault folder.".into(),
        )
        .to_api());
    }
    Ok(path)
}

fn auto_lock(settings: &AppSettings) -> Duration {
    Duration::from_secs(u64::from(settings.auto_lock_seconds))
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Res<AppStatus> {
    // The vaults folder exists from the start, so paths into it canonicalize.
    matterbox_core::create_vaults_folder(&state.vaults_root).map_err(api)?;
    let (mut vaults, mut unreadable_vaults) = (Vec::new(), Vec::new());
    for listed in list_vaults(&state.vaults_root).map_err(api)? {
        match listed {
            VaultListing::Readable(info) => vaults.push(info),
            VaultListing::Unreadable(u) => unreadable_vaults.push(u),
        }
    }
    Ok(AppStatus {
        vaults,
        unreadable_vaults,
        unlocked: state.unlocked_vault().map(|p| p.display().to_string()),
    })
}

#[tauri::command]
pub async fn vault_create(
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> Res<CreatedVault> {
    let dir = matterbox_core::new_vault_dir(&state.vaults_root, &name);
    let epoch = state.lock_epoch()?;
    let created = matterbox_core::create_vault(
        &state.env,
        &dir,
        &name,
        &Passphrase::new(passphrase),
        DeviceSecretStorage::OsKeychain,
        KdfChoice::Calibrate,
    )
    .map_err(api)?;
    let settings = created.session.settings().map_err(api)?;
    let recovery_key = created.recovery_key;
    state.set_session(created.session, auto_lock(&settings), epoch)?;
    Ok(CreatedVault {
        info: vault_info(&dir).map_err(api)?,
        recovery_key,
    })
}

#[tauri::command]
pub async fn vault_unlock(
    state: State<'_, AppState>,
    path: String,
    passphrase: String,
) -> Res<VaultInfo> {
    let dir = vault_path(&state, &path)?;
    let epoch = state.lock_epoch()?;
    let session =
        matterbox_core::unlock(&state.env, &dir, &Passphrase::new(passphrase)).map_err(api)?;
    let settings = session.settings().map_err(api)?;
    state.set_session(session, auto_lock(&settings), epoch)?;
    vault_info(&dir).map_err(api)
}

#[tauri::command]
pub async fn vault_recover(
    state: State<'_, AppState>,
    path: String,
    recovery_key: SecretText,
    new_passphrase: String,
) -> Res<VaultInfo> {
    let dir = vault_path(&state, &path)?;
    let epoch = state.lock_epoch()?;
    let session = matterbox_core::recover(
        &state.env,
        &dir,
        recovery_key.expose(),
        &Passphrase::new(new_passphrase),
        DeviceSecretStorage::OsKeychain,
    )
    .map_err(api)?;
    let settings = session.settings().map_err(api)?;
    state.set_session(session, auto_lock(&settings), epoch)?;
    vault_info(&dir).map_err(api)
}

/// Changes the passphrase of the unlocked vault. The current one is asked
/// again (someone at an unlocked computer must not be able to change it);
/// on success the session continues under the re-wrapped key, on any
/// error the old passphrase still works and the session is untouched.
#[tauri::command]
pub async fn vault_change_passphrase(
    state: State<'_, AppState>,
    current: String,
    new_passphrase: String,
) -> Res<()> {
    let dir = state
        .unlocked_vault()
        .ok_or_else(|| api(matterbox_core::CoreError::VaultLocked))?;
    let epoch = state.lock_epoch()?;
    let session = matterbox_core::change_passphrase(
        &state.env,
        &dir,
        &Passphrase::new(current),
        &Passphrase::new(new_passphrase),
    )
    .map_err(api)?;
    let settings = session.settings().map_err(api)?;
    state.set_session(session, auto_lock(&settings), epoch)
}

/// Whether a written-down recovery key opens the unlocked vault.
#[tauri::command]
pub async fn vault_check_recovery_key(
    state: State<'_, AppState>,
    recovery_key: SecretText,
) -> Res<bool> {
    state.with_session(|s| s.check_recovery_key(recovery_key.expose()))
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Res<matterbox_core::audit::Verification> {
    state.with_session(|s| s.verify_audit())
}

/// Asks where to save the audit log (JSON lines or CSV, by the name's
/// extension), then writes it (a new file only the user can read;
/// audited). Returns the path written, or `None` when cancelled.
#[tauri::command]
pub async fn audit_export(app: AppHandle, state: State<'_, AppState>) -> Res<Option<String>> {
    let picked = app
        .dialog()
        .file()
        .set_title("Save the audit log")
        .set_file_name("matterbox-audit-log.jsonl")
        .add_filter("JSON lines", &["jsonl"])
        .add_filter("CSV", &["csv"])
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => matterbox_core::AuditFormat::Csv,
        _ => matterbox_core::AuditFormat::Jsonl,
    };
    state.with_session(|s| s.export_audit_to(format, &path))?;
    Ok(Some(path.display().to_string()))
}

/// Asks where to save the compliance report (of the vault, or of one
/// client), then writes it as of `as_of` (a day, YYYY-MM-DD: the end of
/// that day; none or today: now): HTML, or JSON for a `.json` name.
/// `None` when the user cancelled.
#[tauri::command]
pub async fn report_export(
    app: AppHandle,
    state: State<'_, AppState>,
    client_id: Option<i64>,
    as_of: Option<String>,
) -> Res<Option<String>> {
    let as_of = match as_of.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                matterbox_core::CoreError::Invalid(format!(
                    "The report's date must be YYYY-MM-DD, not {d}."
                ))
                .to_api()
            })?,
        ),
    };
    let at = matterbox_core::report::report_time(as_of, today(), chrono::Utc::now())
        .map_err(|e| e.to_api())?;
    let name = match client_id {
        Some(id) => format!("compliance-report-client-{id}.html"),
        None => "compliance-report.html".into(),
    };
    let picked = app
        .dialog()
        .file()
        .set_title("Save the compliance report")
        .set_file_name(name)
        .add_filter("Web page (print to PDF)", &["html"])
        .add_filter("JSON", &["json"])
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => ReportFormat::Json,
        _ => ReportFormat::Html,
    };
    let scope = client_id.map_or(ReportScope::Whole, ReportScope::Client);
    state.with_session(|s| s.write_compliance_report(at, scope, format, &path))?;
    Ok(Some(path.display().to_string()))
}

/// Opens the system's print dialog for the page (the emergency kit): from
/// the backend, so the dialog appears even where the page's own
/// `window.print()` shows nothing. The dialog offers printing to a PDF file.
#[tauri::command]
pub async fn print_page(window: tauri::WebviewWindow) -> Res<()> {
    window.print().map_err(|_| {
        api(matterbox_core::CoreError::Internal(
            "the print dialog could not be opened",
        ))
    })
}

/// Saves the page as printed (the emergency kit) to a PDF file the user
/// chooses, without a print dialog: the path that works where no printer
/// is set up. The file is made private (0600) and never replaces one.
/// `None` when the user closed the dialog.
#[tauri::command]
pub async fn save_page_pdf(
    app: AppHandle,
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
) -> Res<Option<String>> {
    let dir = state.with_session(|s| Ok(s.vault().dir().to_path_buf()))?;
    let name = vault_info(&dir).map_err(api)?.name;
    let picked = app
        .dialog()
        .file()
        .set_title("Save the emergency kit as PDF")
        .set_file_name(format!(
            "{} emergency kit.pdf",
            crate::kit::file_name_part(&name)
        ))
        .add_filter("PDF", &["pdf"])
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    crate::kit::print_to_pdf(&window, &path).map_err(api)?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn vault_lock(app: AppHandle, state: State<'_, AppState>) -> Res<()> {
    if state.lock()? {
        emit_locked(&app, LockReason::User);
    }
    Ok(())
}

/// The user did something (typed, clicked): postpones the auto-lock.
#[tauri::command]
pub async fn touch(state: State<'_, AppState>) -> Res<()> {
    state.touch()
}

#[tauri::command]
pub async fn client_list(state: State<'_, AppState>, search: Option<String>) -> Res<Vec<Client>> {
    state.with_session(|s| s.clients(search.as_deref()))
}

#[tauri::command]
pub async fn client_get(state: State<'_, AppState>, id: i64) -> Res<ClientDetail> {
    // Opening a client is recorded in the audit log (Session::client).
    state.with_session(|s| s.client_detail(id))
}

#[tauri::command]
pub async fn client_create(state: State<'_, AppState>, input: ClientInput) -> Res<Client> {
    state.with_session(|s| s.create_client(&input))
}

#[tauri::command]
pub async fn client_update(state: State<'_, AppState>, id: i64, patch: ClientPatch) -> Res<Client> {
    state.with_session(|s| s.update_client(id, &patch))
}

#[tauri::command]
pub async fn matter_list(
    state: State<'_, AppState>,
    filter: MatterFilter,
) -> Res<Vec<MatterSummary>> {
    state.with_session(|s| s.matters(&filter))
}

#[tauri::command]
pub async fn matter_get(state: State<'_, AppState>, id: i64) -> Res<Matter> {
    state.with_session(|s| s.matter(id))
}

#[tauri::command]
pub async fn matter_open(state: State<'_, AppState>, input: MatterInput) -> Res<Matter> {
    state.with_session(|s| s.open_matter(&input))
}

#[tauri::command]
pub async fn matter_update(state: State<'_, AppState>, id: i64, patch: MatterPatch) -> Res<Matter> {
    state.with_session(|s| s.update_matter(id, &patch))
}

#[tauri::command]
pub async fn matter_close(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    on: Option<NaiveDate>,
) -> Res<Matter> {
    // A matter closed on a past date may be due at once.
    let changed = state.with_session(|s| s.close_matter(id, on));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn matter_reopen(app: AppHandle, state: State<'_, AppState>, id: i64) -> Res<Matter> {
    let changed = state.with_session(|s| s.reopen_matter(id));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn matter_add_party(
    state: State<'_, AppState>,
    id: i64,
    party: PartyInput,
) -> Res<Matter> {
    state.with_session(|s| s.add_party(id, &party))
}

#[tauri::command]
pub async fn matter_remove_party(
    state: State<'_, AppState>,
    id: i64,
    party_id: i64,
) -> Res<Matter> {
    state.with_session(|s| s.remove_party(id, party_id))
}

#[tauri::command]
pub async fn matter_add_event(
    state: State<'_, AppState>,
    id: i64,
    on: Option<NaiveDate>,
    description: String,
) -> Res<Matter> {
    state.with_session(|s| s.add_event(id, on, &description))
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Res<AppSettings> {
    state.with_session(|s| s.settings())
}

/// The OCR languages installed on this computer, for Settings to offer.
#[tauri::command]
pub async fn ocr_languages_installed() -> Res<Vec<String>> {
    matterbox_core::ocr_languages_installed().map_err(api)
}

#[tauri::command]
pub async fn settings_update(state: State<'_, AppState>, patch: SettingsPatch) -> Res<AppSettings> {
    let settings = state.with_session(|s| s.update_settings(&patch))?;
    state.set_auto_lock(auto_lock(&settings))?;
    Ok(settings)
}

// --- documents ---------------------------------------------------------

/// A staged file that was not imported, and why.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProblem {
    pub token: u64,
    pub name: String,
    /// Same content as a document already in the matter: import again
    /// with `allowDuplicate` to keep both. (The file stays staged.)
    pub duplicate: bool,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    pub imported: Vec<DocumentSummary>,
    pub problems: Vec<ImportProblem>,
    /// Imported files that look wrong (empty, or content unlike their
    /// extension), each said in a sentence naming the file.
    pub warnings: Vec<String>,
    /// The user's Cancel stopped a file part-way: nothing of it was kept,
    /// it stays staged, and the files after it were not started.
    pub stopped: bool,
}

/// Sent while long work runs (at once, then about every tenth of a
/// second), for the progress bar.
pub const WORK_PROGRESS_EVENT: &str = "work-progress";

/// Which long work a [`WorkProgress`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// A file encrypted into the vault (`token` is the staged file's).
    Import,
    /// A decrypted copy written (`token` is the document's id).
    Export,
    /// A searchable PDF made of a scan, page by page (`token` is the
    /// document's id).
    ExportSearchable,
    /// The doctor checking every document version.
    Doctor,
    /// A data-subject request's export, document by document (`token` is
    /// the request's id).
    RequestExport,
    /// An encrypted package of documents being written (`token` 0).
    Share,
    /// A court bundle laid out, document by document (`token` 0).
    CourtBundle,
    /// A client's file returned: document k of n and the bytes of all of
    /// them (`token` 0).
    Return,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkProgress {
    pub work: Work,
    pub token: u64,
    pub progress: matterbox_core::Progress,
}

/// Runs `f` with a watch that tells the UI how far it is (`work-progress`)
/// and stops when the user presses Cancel (`work_cancel`).
pub(crate) fn watched<T>(
    app: &AppHandle,
    state: &AppState,
    work: Work,
    token: u64,
    f: impl FnOnce(&matterbox_core::Watch<'_>) -> T,
) -> T {
    use std::sync::atomic::Ordering;
    state.work_stop.store(false, Ordering::SeqCst);
    // The first report at once, then at most one every tenth of a second
    // (a quick doctor goes through thousands of documents a second).
    let last_told = std::sync::Mutex::new(None::<std::time::Instant>);
    let on_progress = |p: &matterbox_core::Progress| {
        let Ok(mut last) = last_told.lock() else {
            return;
        };
        if last.is_none_or(|at| at.elapsed() >= Duration::from_millis(100)) {
            *last = Some(std::time::Instant::now());
            let _ = app.emit(
                WORK_PROGRESS_EVENT,
                WorkProgress {
                    work,
                    token,
                    progress: p.clone(),
                },
            );
        }
    };
    let stop = || state.work_stop.load(Ordering::SeqCst);
    f(&matterbox_core::Watch {
        on_progress: &on_progress,
        stop: &stop,
    })
}

/// The Cancel of long work (an import, an export, the doctor): it stops
/// within a chunk and leaves nothing half-done. Needs no session (the work
/// holds it), and is not `async`: it runs on the main thread, so it is
/// heard even when every async worker is blocked waiting for the session
/// the work holds.
#[tauri::command]
pub fn work_cancel(state: State<'_, AppState>) -> Res<()> {
    state
        .work_stop
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Sent when files are dropped on the window; the UI imports them into
/// the matter it shows, by token.
pub const FILES_DROPPED_EVENT: &str = "files-dropped";

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FilesDroppedEvent {
    pub files: Vec<StagedFile>,
}

/// Stages files dropped on the window and tells the UI (only while a vault
/// is unlocked: nothing is staged for a locked vault).
pub fn files_dropped(app: &AppHandle, state: &AppState, paths: Vec<PathBuf>) {
    if state.unlocked_vault().is_none() || paths.is_empty() {
        return;
    }
    if let Ok(files) = state.stage(paths) {
        let _ = app.emit(FILES_DROPPED_EVENT, FilesDroppedEvent { files });
    }
}

fn dialog_paths(picked: Option<Vec<tauri_plugin_dialog::FilePath>>) -> Vec<PathBuf> {
    picked
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect()
}

/// Shows the system file picker; the chosen files are staged.
#[tauri::command]
pub async fn document_pick(app: AppHandle, state: State<'_, AppState>) -> Res<Vec<StagedFile>> {
    state.with_session(|_| Ok(()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Import documents into the matter")
        .blocking_pick_files();
    state.stage(dialog_paths(picked))
}

/// Imports staged files into a matter, one by one: a file that fails (or
/// holds content the matter already has) is reported and stays staged;
/// the others are imported.
#[tauri::command]
pub async fn document_import_staged(
    app: AppHandle,
    state: State<'_, AppState>,
    matter_id: i64,
    tokens: Vec<u64>,
    allow_duplicate: bool,
) -> Res<ImportOutcome> {
    let mut outcome = ImportOutcome::default();
    for token in tokens {
        let Some(path) = state.staged_path(token)? else {
            outcome.problems.push(ImportProblem {
                token,
                name: String::new(),
                duplicate: false,
                message: "That file is no longer waiting to be imported; choose it again.".into(),
            });
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let warning = matterbox_core::import_warning(&path);
        let imported = watched(&app, &state, Work::Import, token, |watch| {
            state.with_session(|s| {
                s.import_document_watched(matter_id, &path, None, allow_duplicate, watch)
            })
        });
        match imported {
            Ok(None) => {
                outcome.stopped = true;
                break;
            }
            Ok(Some(doc)) => {
                state.unstage(token)?;
                outcome.imported.push(doc);
                outcome.warnings.extend(warning);
            }
            Err(e) if e.code() == ErrorCode::VaultLocked => return Err(e),
            Err(e) => outcome.problems.push(ImportProblem {
                token,
                name,
                duplicate: e.code() == ErrorCode::Conflict,
                message: e.message().to_string(),
            }),
        }
    }
    // Scans among them are recognised in the background, starting now.
    state.ocr_wake.wake();
    Ok(outcome)
}

#[tauri::command]
pub async fn document_list(
    state: State<'_, AppState>,
    matter_id: i64,
    trash: bool,
) -> Res<Vec<DocumentSummary>> {
    state.with_session(|s| {
        if trash {
            s.trashed_documents(matter_id)
        } else {
            s.documents(matter_id)
        }
    })
}

#[tauri::command]
pub async fn document_get(state: State<'_, AppState>, id: i64) -> Res<DocumentDetail> {
    state.with_session(|s| s.document_detail(id))
}

/// The content to preview, decrypted in memory and sent as raw bytes over
/// IPC: it never touches the disk.
#[tauri::command]
pub async fn document_preview(
    state: State<'_, AppState>,
    id: i64,
    version: Option<i64>,
) -> Res<tauri::ipc::Response> {
    let preview = state.with_session(|s| s.preview_document(id, version))?;
    Ok(tauri::ipc::Response::new(preview.bytes.to_vec()))
}

#[tauri::command]
pub async fn document_update(
    state: State<'_, AppState>,
    id: i64,
    patch: DocumentPatch,
) -> Res<DocumentDetail> {
    state.with_session(|s| {
        s.update_document(id, &patch)?;
        s.document_detail(id)
    })
}

#[tauri::command]
pub async fn document_move(
    state: State<'_, AppState>,
    id: i64,
    matter_id: i64,
) -> Res<DocumentDetail> {
    state.with_session(|s| {
        s.move_document(id, matter_id)?;
        s.document_detail(id)
    })
}

#[tauri::command]
pub async fn document_trash(
    state: State<'_, AppState>,
    id: i64,
    trashed: bool,
) -> Res<DocumentDetail> {
    state.with_session(|s| {
        s.set_document_trashed(id, trashed)?;
        s.document_detail(id)
    })
}

/// Shows the file picker and adds the chosen file as the new version.
/// `None` when the user cancelled.
#[tauri::command]
pub async fn document_add_version(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Res<Option<DocumentDetail>> {
    state.with_session(|s| s.document(id).map(|_| ()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the new version")
        .blocking_pick_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    state
        .with_session(|s| {
            s.add_document_version(id, &path)?;
            s.document_detail(id)
        })
        .map(Some)
}

#[tauri::command]
pub async fn document_restore_version(
    state: State<'_, AppState>,
    id: i64,
    version: i64,
) -> Res<DocumentDetail> {
    state.with_session(|s| {
        s.restore_document_version(id, version)?;
        s.document_detail(id)
    })
}

/// Asks where to save a decrypted copy, then writes it (audited), telling
/// the UI the bytes written. Returns the path written, or `None` when the
/// user cancelled the dialog or the export (which leaves no file).
#[tauri::command]
pub async fn document_export(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    version: Option<i64>,
) -> Res<Option<String>> {
    let doc = state.with_session(|s| s.document(id))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Save a decrypted copy")
        .set_file_name(&doc.original_name)
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    let token = u64::try_from(id).unwrap_or_default();
    let written = watched(&app, &state, Work::Export, token, |watch| {
        state.with_session(|s| s.export_document_watched(id, version, &path, watch))
    })?;
    Ok(written.map(|()| path.display().to_string()))
}

/// Asks where to save a searchable PDF of a scan, then makes it (the page
/// images with an invisible text layer, recognised now, in memory; a
/// signed PDF or one with text is copied as it is), telling the UI which
/// page is being recognised. `None` when the user cancelled the dialog or
/// the export (which leaves no file).
#[tauri::command]
pub async fn document_export_searchable(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Res<Option<SearchableExport>> {
    let doc = state.with_session(|s| s.document(id))?;
    let stem = doc
        .original_name
        .rsplit_once('.')
        .map_or(doc.original_name.as_str(), |(s, _)| s);
    let picked = app
        .dialog()
        .file()
        .set_title("Save a searchable PDF copy")
        .set_file_name(format!("{stem} (searchable).pdf"))
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    let token = u64::try_from(id).unwrap_or_default();
    watched(&app, &state, Work::ExportSearchable, token, |watch| {
        state.with_session(|s| s.export_searchable_watched(id, None, &path, watch))
    })
}

/// Opens a decrypted copy with the system's application for its type. The
/// copy lives in the private open-copies folder and is wiped on lock, on
/// exit and at the next start.
#[tauri::command]
pub async fn document_open_external(state: State<'_, AppState>, id: i64) -> Res<()> {
    let path = state.with_session(|s| s.open_copy(id, &state.open_copies))?;
    crate::platform::open_with_system(&path).map_err(|e| {
        matterbox_core::CoreError::UserFile {
            action: "open the copy with another application (it will be wiped when the vault locks)",
            path,
            source: e,
        }
        .to_api()
    })
}

#[tauri::command]
pub async fn document_search(
    state: State<'_, AppState>,
    text: String,
    filter: SearchFilter,
) -> Res<SearchPage> {
    state.with_session(|s| s.search(&text, &filter))
}

#[tauri::command]
pub async fn saved_search_list(state: State<'_, AppState>) -> Res<Vec<SavedSearch>> {
    state.with_session(|s| s.saved_searches())
}

/// Keeps a search under a name (replacing the one of that name).
#[tauri::command]
pub async fn saved_search_save(
    state: State<'_, AppState>,
    name: String,
    query: String,
) -> Res<SavedSearch> {
    state.with_session(|s| s.save_search(&name, &query))
}

#[tauri::command]
pub async fn saved_search_forget(state: State<'_, AppState>, id: i64) -> Res<()> {
    state.with_session(|s| s.forget_saved_search(id))
}

/// Checks the documents against their encrypted files; with `fix`,
/// removes what crashed imports left behind (older than a minute). Tells
/// the UI which document it checks; Cancel stops it with a report that
/// says after how many.
#[tauri::command]
pub async fn doctor_run(
    app: AppHandle,
    state: State<'_, AppState>,
    fix: bool,
    deep: bool,
) -> Res<DoctorReport> {
    watched(&app, &state, Work::Doctor, 0, |watch| {
        state.with_session(|s| s.doctor_watched(fix, deep, Duration::from_secs(60), false, watch))
    })
}

// --- inbox -------------------------------------------------------------

#[tauri::command]
pub async fn inbox_status(state: State<'_, AppState>) -> Res<crate::inbox::InboxStatus> {
    if state.unlocked_vault().is_none() {
        return Ok(crate::inbox::paused_status(&state));
    }
    Ok(state
        .inbox_status
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default())
}

/// Files waiting in a vault's inbox, for the unlock screen: counted from
/// the folder without unlocking anything.
#[tauri::command]
pub async fn inbox_pending(state: State<'_, AppState>, path: String) -> Res<usize> {
    let dir = vault_path(&state, &path)?;
    Ok(matterbox_core::inbox::inbox_location(&dir)
        .folder
        .map(|f| matterbox_core::inbox::pending_files(std::path::Path::new(&f)))
        .unwrap_or(0))
}

#[tauri::command]
pub async fn inbox_settings_get(state: State<'_, AppState>) -> Res<InboxSettings> {
    state.with_session(|s| s.inbox_settings())
}

#[tauri::command]
pub async fn inbox_settings_update(
    state: State<'_, AppState>,
    settings: InboxSettings,
    take_existing_files: Option<bool>,
) -> Res<InboxSettings> {
    let take = take_existing_files.unwrap_or(false);
    let saved = state.with_session(|s| s.set_inbox_settings(&settings, take))?;
    state.bump_inbox();
    Ok(saved)
}

/// Shows the system folder picker; returns the folder chosen (the user
/// then saves the settings).
#[tauri::command]
pub async fn inbox_pick_folder(app: AppHandle, state: State<'_, AppState>) -> Res<Option<String>> {
    state.with_session(|_| Ok(()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the inbox folder")
        .blocking_pick_folder();
    Ok(dialog_paths(picked.map(|p| vec![p]))
        .pop()
        .map(|p| p.display().to_string()))
}

#[tauri::command]
pub async fn inbox_scan_now(state: State<'_, AppState>) -> Res<()> {
    state.with_session(|_| Ok(()))?;
    state
        .inbox_scan_requested
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

#[tauri::command]
pub async fn inbox_unfiled(state: State<'_, AppState>) -> Res<Vec<matterbox_core::inbox::Unfiled>> {
    state.with_session(|s| s.unfiled())
}

/// An Unfiled item's content, decrypted in memory and sent as raw bytes
/// over IPC (as [`document_preview`]): it never touches the disk.
#[tauri::command]
pub async fn inbox_preview(state: State<'_, AppState>, item_id: i64) -> Res<tauri::ipc::Response> {
    let preview = state.with_session(|s| s.preview_unfiled(item_id))?;
    Ok(tauri::ipc::Response::new(preview.bytes.to_vec()))
}

#[tauri::command]
pub async fn inbox_discard(state: State<'_, AppState>, item_ids: Vec<i64>) -> Res<usize> {
    state.with_session(|s| s.discard_unfiled(&item_ids))
}

#[tauri::command]
pub async fn inbox_suggestions(
    state: State<'_, AppState>,
    item_id: i64,
) -> Res<Vec<matterbox_core::inbox::MatterSuggestion>> {
    state.with_session(|s| s.unfiled_suggestions(item_id))
}

#[tauri::command]
pub async fn inbox_file(
    state: State<'_, AppState>,
    item_ids: Vec<i64>,
    matter_id: i64,
) -> Res<Vec<DocumentSummary>> {
    state.with_session(|s| s.file_unfiled_many(&item_ids, matter_id))
}

#[tauri::command]
pub async fn inbox_quarantine(state: State<'_, AppState>) -> Res<Vec<Quarantined>> {
    state.with_session(|s| {
        Ok(match s.inbox_folder()? {
            Some(f) => f.quarantined().map_err(matterbox_core::CoreError::from)?,
            None => Vec::new(),
        })
    })
}

#[tauri::command]
pub async fn inbox_retry(state: State<'_, AppState>, name: String) -> Res<()> {
    state.with_session(|s| match s.inbox_folder()? {
        Some(f) => f.retry(&name).map_err(matterbox_core::CoreError::from),
        None => Ok(()),
    })
}

/// Creates the inbox subfolder for a matter; returns its path.
#[tauri::command]
pub async fn inbox_mkdir(state: State<'_, AppState>, matter_id: i64) -> Res<String> {
    state.with_session(|s| {
        let number = s.matter(matter_id)?.summary.number;
        let folder = s.inbox_folder()?.ok_or_else(|| {
            matterbox_core::CoreError::Invalid("Choose an inbox folder in Settings first.".into())
        })?;
        folder
            .create_subfolder(&number)
            .map(|p| p.display().to_string())
            .map_err(matterbox_core::CoreError::from)
    })
}

// --- retention ---------------------------------------------------------

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

#[tauri::command]
pub async fn retention_policies(state: State<'_, AppState>) -> Res<Vec<Policy>> {
    state.with_session(|s| s.retention_policies())
}

/// Creates a policy, or changes policy `id`.
#[tauri::command]
pub async fn retention_policy_save(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Option<i64>,
    input: PolicyInput,
) -> Res<Policy> {
    let changed = state.with_session(|s| match id {
        Some(id) => s.update_retention_policy(id, &input),
        None => s.create_retention_policy(&input),
    });
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn retention_set_area_policy(
    app: AppHandle,
    state: State<'_, AppState>,
    area: String,
    policy: Option<i64>,
) -> Res<()> {
    let changed = state.with_session(|s| s.set_practice_area_policy(&area, policy));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn retention_set_matter_policy(
    app: AppHandle,
    state: State<'_, AppState>,
    matter_id: i64,
    policy: Option<i64>,
) -> Res<()> {
    let changed = state.with_session(|s| s.set_matter_policy(matter_id, policy));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn retention_holds(state: State<'_, AppState>) -> Res<Vec<Hold>> {
    state.with_session(|s| s.holds())
}

#[tauri::command]
pub async fn retention_place_hold(
    app: AppHandle,
    state: State<'_, AppState>,
    target: HoldTarget,
    id: i64,
    reason: String,
) -> Res<Hold> {
    let changed = state.with_session(|s| s.place_hold(target, id, &reason, today()));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn retention_release_hold(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Res<Hold> {
    let changed = state.with_session(|s| s.release_hold(id));
    crate::retention::announce_due(&app);
    changed
}

#[tauri::command]
pub async fn retention_due(state: State<'_, AppState>) -> Res<Vec<DueItem>> {
    state.with_session(|s| s.retention_due(today()))
}

#[tauri::command]
pub async fn retention_defer(
    app: AppHandle,
    state: State<'_, AppState>,
    item: Disposal,
    until: chrono::NaiveDate,
) -> Res<()> {
    let changed = state.with_session(|s| s.defer_disposal(&item, until, today()));
    crate::retention::announce_due(&app);
    changed
}

/// Destroys approved items; the passphrase is asked again. Opened copies
/// are wiped too.
#[tauri::command]
pub async fn retention_destroy(
    app: AppHandle,
    state: State<'_, AppState>,
    items: Vec<Disposal>,
    passphrase: String,
) -> Res<DestructionReport> {
    let passphrase = Passphrase::new(passphrase);
    let report = state.with_session(|s| s.destroy_approved(&items, &passphrase, today()))?;
    state.wipe_open_copies();
    crate::retention::announce_due(&app);
    Ok(report)
}

#[tauri::command]
pub async fn retention_register(state: State<'_, AppState>) -> Res<Vec<RegisterEntry>> {
    state.with_session(|s| s.destruction_register())
}

/// Asks where to save the certificate (HTML), then writes it. `None` when
/// the user cancelled.
#[tauri::command]
pub async fn retention_certificate(
    app: AppHandle,
    state: State<'_, AppState>,
    certificate: String,
) -> Res<Option<String>> {
    // Asked first, so no save dialog opens for a certificate that does not exist.
    state.with_session(|s| s.certificate_entries(&certificate).map(|_| ()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Save the certificate of destruction")
        .set_file_name(format!("certificate-{certificate}.html"))
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    state.with_session(|s| s.export_destruction_certificate(&certificate, &path))?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn retention_matter(state: State<'_, AppState>, matter_id: i64) -> Res<MatterRetention> {
    state.with_session(|s| s.matter_retention(matter_id))
}

/// Whether new register entries keep titles; `titles` changes it.
#[tauri::command]
pub async fn retention_register_titles(
    state: State<'_, AppState>,
    titles: Option<bool>,
) -> Res<bool> {
    state.with_session(|s| {
        if let Some(t) = titles {
            s.set_register_keeps_titles(t)?;
        }
        s.register_keeps_titles()
    })
}

// --- conflict checks ---------------------------------------------------

/// The hits the intake screen's names find now (not saved).
#[tauri::command]
pub async fn conflict_preview(
    state: State<'_, AppState>,
    request: CheckRequest,
) -> Res<Vec<NewHit>> {
    state.with_session(|s| s.conflict_preview(&request))
}

#[tauri::command]
pub async fn conflict_check(state: State<'_, AppState>, request: CheckRequest) -> Res<CheckRecord> {
    state.with_session(|s| s.conflict_check(&request))
}

#[tauri::command]
pub async fn conflict_list(state: State<'_, AppState>) -> Res<Vec<CheckSummary>> {
    state.with_session(|s| s.conflict_checks())
}

#[tauri::command]
pub async fn conflict_get(state: State<'_, AppState>, id: i64) -> Res<CheckRecord> {
    state.with_session(|s| s.conflict_check_record(id))
}

#[tauri::command]
pub async fn conflict_decide(
    state: State<'_, AppState>,
    id: i64,
    hit: u32,
    decision: Decision,
    reason: String,
) -> Res<CheckRecord> {
    state.with_session(|s| s.conflict_decide(id, hit, decision, &reason))
}

/// A decision on a document hit (the lower tier): no conflict or conflict.
#[tauri::command]
pub async fn conflict_decide_document(
    state: State<'_, AppState>,
    id: i64,
    hit: u32,
    decision: Decision,
    reason: String,
) -> Res<CheckRecord> {
    state.with_session(|s| s.conflict_decide_document(id, hit, decision, &reason))
}

/// Asks where to save the check (HTML), then writes it. `None` when the
/// user cancelled.
#[tauri::command]
pub async fn conflict_export(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Res<Option<String>> {
    let picked = app
        .dialog()
        .file()
        .set_title("Save the conflict check")
        .set_file_name(format!("conflict-check-{id}.html"))
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    state.with_session(|s| s.export_conflict_check(id, &path))?;
    Ok(Some(path.display().to_string()))
}

// --- consents ----------------------------------------------------------

/// Every consent, or a client's.
#[tauri::command]
pub async fn consent_list(state: State<'_, AppState>, client: Option<i64>) -> Res<Vec<Consent>> {
    state.with_session(|s| s.consents(client))
}

/// What is due within `within` days (oral consent to confirm, reviews).
#[tauri::command]
pub async fn consent_due(
    state: State<'_, AppState>,
    client: Option<i64>,
    within: u32,
) -> Res<Vec<ConsentDue>> {
    state.with_session(|s| s.consents_due(client, today(), within))
}

#[tauri::command]
pub async fn consent_get(state: State<'_, AppState>, id: i64) -> Res<Consent> {
    state.with_session(|s| s.consent(id))
}

#[tauri::command]
pub async fn consent_record(
    state: State<'_, AppState>,
    input: ConsentInput,
    give: Option<GiveInput>,
) -> Res<Consent> {
    state.with_session(|s| s.consent_record(&input, give.as_ref(), today()))
}

#[tauri::command]
pub async fn consent_give(state: State<'_, AppState>, id: i64, input: GiveInput) -> Res<Consent> {
    state.with_session(|s| s.consent_give(id, &input, today()))
}

#[tauri::command]
pub async fn consent_confirm(
    state: State<'_, AppState>,
    id: i64,
    input: ConfirmInput,
) -> Res<Consent> {
    state.with_session(|s| s.consent_confirm(id, &input, today()))
}

#[tauri::command]
pub async fn consent_withdraw(
    state: State<'_, AppState>,
    id: i64,
    reason: String,
) -> Res<Withdrawal> {
    state.with_session(|s| s.consent_withdraw(id, None, &reason, today()))
}

#[tauri::command]
pub async fn consent_review(state: State<'_, AppState>, id: i64) -> Res<Consent> {
    state.with_session(|s| s.consent_review(id, None, "", today()))
}

/// Asks where to save the consent (HTML or JSON), then writes it. `None`
/// when the user cancelled.
#[tauri::command]
pub async fn consent_export(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    format: ConsentFormat,
) -> Res<Option<String>> {
    let ext = match format {
        ConsentFormat::Html => "html",
        ConsentFormat::Json => "json",
    };
    let picked = app
        .dialog()
        .file()
        .set_title("Save the consent record")
        .set_file_name(format!("consent-{id}.{ext}"))
        .blocking_save_file();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    state.with_session(|s| s.export_consent(id, format, &path))?;
    Ok(Some(path.display().to_string()))
}

// --- data-subject requests ----------------------------------------------

#[tauri::command]
pub async fn request_list(state: State<'_, AppState>) -> Res<Vec<RequestRow>> {
    state.with_session(|s| s.requests(today()))
}

#[tauri::command]
pub async fn request_open(state: State<'_, AppState>, input: RequestInput) -> Res<RequestView> {
    state.with_session(|s| s.open_request(&input, today()))
}

#[tauri::command]
pub async fn request_get(state: State<'_, AppState>, id: i64) -> Res<RequestView> {
    state.with_session(|s| s.request(id, today()))
}

/// Finds everything about the requester (conflict matcher + full-text search).
#[tauri::command]
pub async fn request_find(state: State<'_, AppState>, id: i64) -> Res<RequestView> {
    state.with_session(|s| s.find_for_request(id, today()))
}

#[tauri::command]
pub async fn request_mark(
    state: State<'_, AppState>,
    id: i64,
    item: u32,
    mark: Mark,
    reason: Option<WithholdReason>,
) -> Res<RequestView> {
    state.with_session(|s| s.mark_request_item(id, item, mark, reason, "", today()))
}

#[tauri::command]
pub async fn request_pause(
    state: State<'_, AppState>,
    id: i64,
    reason: PauseReason,
) -> Res<RequestView> {
    state.with_session(|s| s.pause_request(id, reason, today(), today()))
}

#[tauri::command]
pub async fn request_resume(state: State<'_, AppState>, id: i64) -> Res<RequestView> {
    state.with_session(|s| s.resume_request(id, today(), today()))
}

#[tauri::command]
pub async fn request_assess_erasure(state: State<'_, AppState>, id: i64) -> Res<RequestView> {
    state.with_session(|s| s.assess_erasure(id, today()))
}

/// Extends the deadline by up to two further months (announced within
/// the first month, with reasons).
#[tauri::command]
pub async fn request_extend(
    state: State<'_, AppState>,
    id: i64,
    extension: Extension,
) -> Res<RequestView> {
    state.with_session(|s| s.extend_request(id, &extension, today()))
}

/// Erases what can be erased today through the disposition (the
/// passphrase again, crypto-erase, register); the rest stays with its
/// basis. Opened copies are wiped too.
#[tauri::command]
pub async fn request_erase(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    passphrase: String,
) -> Res<ErasureReport> {
    let passphrase = Passphrase::new(passphrase);
    let report = state.with_session(|s| s.erase_for_request(id, &passphrase, today()))?;
    state.wipe_open_copies();
    crate::retention::announce_due(&app);
    Ok(report)
}

#[tauri::command]
pub async fn request_close(
    state: State<'_, AppState>,
    id: i64,
    status: RequestStatus,
) -> Res<RequestView> {
    state.with_session(|s| s.set_request_status(id, status, "", today()))
}

/// Asks for a new or empty folder, then writes the export, telling the UI
/// which document of how many is written. `None` when the user cancelled
/// the dialog or the export (which removes every file it wrote).
#[tauri::command]
pub async fn request_export(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Res<Option<RequestExport>> {
    let picked = app
        .dialog()
        .file()
        .set_title("Choose an empty folder for the export")
        .blocking_pick_folder();
    let Some(path) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    let token = u64::try_from(id).unwrap_or_default();
    watched(&app, &state, Work::RequestExport, token, |watch| {
        state.with_session(|s| s.export_request_watched(id, &path, watch))
    })
}

// --- shares --------------------------------------------------------------

/// Asks for the folder, then writes the package there and records it,
/// telling the UI which document of how many is written and the bytes.
/// `None` when the user cancelled the picker or the writing (which leaves
/// no file and no record).
#[tauri::command]
pub async fn share_create(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ShareRequest,
) -> Res<Option<ShareCreated>> {
    state.with_session(|_| Ok(()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the folder for the package")
        .blocking_pick_folder();
    let Some(folder) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    watched(&app, &state, Work::Share, 0, |watch| {
        state.with_session(|s| s.create_share_watched(&request, &folder, watch))
    })
}

/// Asks for the folder, then writes the court bundle (the one unencrypted
/// output; the request carries the user's second confirmation) and its
/// signature there, and records it, telling the UI which document of how
/// many is laid out. `None` when the user cancelled the picker or the
/// bundle (which writes nothing).
#[tauri::command]
pub async fn court_bundle_create(
    app: AppHandle,
    state: State<'_, AppState>,
    request: CourtBundleRequest,
) -> Res<Option<CourtBundleCreated>> {
    state.with_session(|_| Ok(()))?;
    let picked = app
        .dialog()
        .file()
        .set_title("Choose the folder for the UNENCRYPTED court bundle")
        .blocking_pick_folder();
    let Some(folder) = dialog_paths(picked.map(|p| vec![p])).pop() else {
        return Ok(None);
    };
    watched(&app, &state, Work::CourtBundle, 0, |watch| {
        state.with_session(|s| s.create_court_bundle_watched(&request, &folder, watch))
    })
}

/// The public key recipients check package manifests with (minisign).
#[tauri::command]
pub async fn share_signing_key(state: State<'_, AppState>) -> Res<String> {
    state.with_session(|s| s.signing_public_key())
}

/// The packages shared from a matter, newest first.
#[tauri::command]
pub async fn share_list(state: State<'_, AppState>, matter_id: i64) -> Res<Vec<Share>> {
    state.with_session(|s| s.shares(Some(matter_id), None))
}

// --- incidents -----------------------------------------------------------

#[tauri::command]
pub async fn incident_list(state: State<'_, AppState>) -> Res<Vec<BreachSummary>> {
    state.with_session(|s| s.incidents())
}

#[tauri::command]
pub async fn incident_get(state: State<'_, AppState>, reference: String) -> Res<IncidentView> {
    state.with_session(|s| s.incident(&reference))
}

#[tauri::command]
pub async fn incident_open(state: State<'_, AppState>, input: BreachInput) -> Res<IncidentView> {
    state.with_session(|s| s.open_incident(&input))
}

#[tauri::command]
pub async fn incident_update(
    state: State<'_, AppState>,
    reference: String,
    patch: BreachPatch,
) -> Res<IncidentView> {
    state.with_session(|s| s.update_incident(&reference, &patch))
}

#[tauri::command]
pub async fn incident_scope(state: State<'_, AppState>, reference: String) -> Res<ScopeReport> {
    state.with_session(|s| s.incident_scope(&reference))
}

#[tauri::command]
pub async fn incident_notify(
    state: State<'_, AppState>,
    reference: String,
    notice: NoticeInput,
) -> Res<IncidentView> {
    state.with_session(|s| s.record_notice(&reference, &notice))
}

#[tauri::command]
pub async fn incident_template(
    state: State<'_, AppState>,
    reference: String,
    audience: Audience,
) -> Res<String> {
    state.with_session(|s| s.notice_template(&reference, audience))
}

/// Adds an entry to an incident's timeline (`at` as the form gives it).
#[tauri::command]
pub async fn incident_add_event(
    state: State<'_, AppState>,
    reference: String,
    at: String,
    description: String,
) -> Res<IncidentView> {
    state.with_session(|s| s.add_incident_event(&reference, &at, &description))
}

/// The deadline rule table, to choose the rules an incident answers.
#[tauri::command]
pub async fn incident_rules(state: State<'_, AppState>) -> Res<Vec<DeadlineRule>> {
    state.with_session(|_| Ok(matterbox_core::domain::breaches::RULES.to_vec()))
}

#[tauri::command]
pub async fn incident_devices(state: State<'_, AppState>) -> Res<Vec<DeviceSeen>> {
    state.with_session(|s| s.incident_devices())
}

/// The plain-text report for a regulator (audited as printed).
#[tauri::command]
pub async fn incident_report(state: State<'_, AppState>, reference: String) -> Res<String> {
    state.with_session(|s| s.incident_report(&reference))
}

/// How many incident deadlines need attention. Polled by the workspace, so
/// it is background work: it never keeps the vault from auto-locking.
#[tauri::command]
pub async fn incident_alerts(state: State<'_, AppState>) -> Res<i64> {
    state.with_session_in_background(|s| s.incident_alerts())
}

// --- policies and training ---------------------------------------------

/// Every written policy of the practice, with its versions.
#[tauri::command]
pub async fn policy_list(state: State<'_, AppState>) -> Res<Vec<PracticePolicy>> {
    state.with_session(|s| s.policies())
}

#[tauri::command]
pub async fn policy_add(
    state: State<'_, AppState>,
    input: PracticePolicyInput,
) -> Res<PracticePolicy> {
    state.with_session(|s| s.add_policy(&input))
}

#[tauri::command]
pub async fn policy_add_version(
    state: State<'_, AppState>,
    id: i64,
    input: VersionInput,
) -> Res<PracticePolicy> {
    state.with_session(|s| s.add_policy_version(id, &input))
}

/// Records that `person` acknowledged `version` (default the current
/// one) on `on` (default today).
#[tauri::command]
pub async fn policy_acknowledge(
    state: State<'_, AppState>,
    id: i64,
    person: String,
    version: Option<i64>,
    on: Option<chrono::NaiveDate>,
) -> Res<PracticePolicy> {
    state.with_session(|s| s.acknowledge_policy(id, version, &person, on.unwrap_or_else(today)))
}

#[tauri::command]
pub async fn training_list(state: State<'_, AppState>) -> Res<Vec<Training>> {
    state.with_session(|s| s.trainings())
}

#[tauri::command]
pub async fn training_add(state: State<'_, AppState>, input: TrainingInput) -> Res<Training> {
    state.with_session(|s| s.add_training(&input))
}

/// Policy reviews and annual trainings due within `within` days.
#[tauri::command]
pub async fn policies_due(state: State<'_, AppState>, within: u32) -> Res<Vec<PolicyDue>> {
    state.with_session(|s| s.policies_due(today(), within))
}
