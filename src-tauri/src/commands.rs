//! The IPC commands: each takes the app state, converts the request, calls
//! the core and converts the result. No SQL, crypto or file I/O here.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use matterbox_core::domain::{
    Client, ClientInput, ClientPatch, Matter, MatterFilter, MatterInput, MatterPatch,
    MatterSummary, PartyInput,
};
use matterbox_core::vault::{DeviceSecretStorage, Passphrase, list_vaults};
use matterbox_core::{ApiError, AppSettings, KdfChoice, SettingsPatch, VaultInfo, vault_info};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use ts_rs::TS;

use crate::state::{AppState, LockReason, api};

type Res<T> = Result<T, ApiError>;

/// What the app shows before anything is unlocked.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub vaults: Vec<VaultInfo>,
    /// The folder of the unlocked vault, if one is unlocked.
    pub unlocked: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVault {
    pub info: VaultInfo,
    /// Shown once, to be written down; never stored.
    pub recovery_key: String,
}

#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetail {
    pub client: Client,
    pub matters: Vec<MatterSummary>,
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

fn vault_path(state: &AppState, path: &str) -> Res<PathBuf> {
    let path = PathBuf::from(path);
    if !state.vault_path_allowed(&path) {
        return Err(ApiError {
            code: matterbox_core::ErrorCode::Validation,
            message: "That vault is not in Matterbox's vault folder.".into(),
        });
    }
    Ok(path)
}

fn auto_lock(settings: &AppSettings) -> Duration {
    Duration::from_secs(u64::from(settings.auto_lock_seconds))
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Res<AppStatus> {
    // The vaults folder exists from the start, so paths into it canonicalize.
    std::fs::create_dir_all(&state.vaults_root).map_err(|e| {
        api(matterbox_core::vault::VaultError::Io {
            path: state.vaults_root.clone(),
            source: e,
        }
        .into())
    })?;
    let vaults = list_vaults(&state.vaults_root)
        .map_err(|e| api(e.into()))?
        .iter()
        .map(|v| vault_info(v.dir()).map_err(api))
        .collect::<Res<Vec<_>>>()?;
    Ok(AppStatus {
        vaults,
        unlocked: state.unlocked_vault().map(|p| p.display().to_string()),
    })
}

#[tauri::command]
pub async fn vault_create(
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> Res<CreatedVault> {
    let dir = new_vault_dir(&state.vaults_root, &name);
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
    let recovery_key = created.recovery_key.to_string();
    state.set_session(created.session, auto_lock(&settings), epoch)?;
    Ok(CreatedVault {
        info: vault_info(&dir).map_err(api)?,
        recovery_key,
    })
}

/// `vaults/default` for the first vault, then a folder named after the vault.
fn new_vault_dir(root: &std::path::Path, name: &str) -> PathBuf {
    if !root.join("default").exists() {
        return root.join("default");
    }
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let base = if slug.is_empty() {
        "vault".to_string()
    } else {
        slug
    };
    let mut candidate = root.join(&base);
    let mut n = 2;
    while candidate.exists() {
        candidate = root.join(format!("{base}-{n}"));
        n += 1;
    }
    candidate
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
    recovery_key: String,
    new_passphrase: String,
) -> Res<VaultInfo> {
    let dir = vault_path(&state, &path)?;
    let epoch = state.lock_epoch()?;
    let session = matterbox_core::recover(
        &state.env,
        &dir,
        &recovery_key,
        &Passphrase::new(new_passphrase),
        DeviceSecretStorage::OsKeychain,
    )
    .map_err(api)?;
    let settings = session.settings().map_err(api)?;
    state.set_session(session, auto_lock(&settings), epoch)?;
    vault_info(&dir).map_err(api)
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
    state.with_session(|s| {
        Ok(ClientDetail {
            client: s.client(id)?,
            matters: s.matters(&MatterFilter {
                client_id: Some(id),
                ..Default::default()
            })?,
        })
    })
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
    state: State<'_, AppState>,
    id: i64,
    on: Option<NaiveDate>,
) -> Res<Matter> {
    state.with_session(|s| s.close_matter(id, on))
}

#[tauri::command]
pub async fn matter_reopen(state: State<'_, AppState>, id: i64) -> Res<Matter> {
    state.with_session(|s| s.reopen_matter(id))
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

#[tauri::command]
pub async fn settings_update(state: State<'_, AppState>, patch: SettingsPatch) -> Res<AppSettings> {
    let settings = state.with_session(|s| s.update_settings(&patch))?;
    state.set_auto_lock(auto_lock(&settings))?;
    Ok(settings)
}
