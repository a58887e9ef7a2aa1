//! The Matterbox desktop app: a Tauri window over the core API.
//!
//! This crate only wires things together: the IPC commands (`commands.rs`,
//! each a thin call into `matterbox-core`), the unlocked-session state and
//! its locking rules (`state.rs`), and the OS sleep/screen-lock listeners
//! (`os_lock.rs`). No SQL, crypto or file I/O happens here.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod backup;
mod commands;
mod inbox;
mod kit;
mod ocr;
mod os_lock;
mod platform;
mod retention;
mod search_index;
mod share_return;
mod state;

use std::time::{Duration, Instant};

use matterbox_core::vault::paths;
use matterbox_core::{Environment, OpenCopies};
use tauri::{Emitter, Manager};

use crate::state::{AppState, LockReason};

fn main() {
    // First: no core file, no memory readable by other programs, and no
    // panic message on screen (ARCHITECTURE.md, `harden`).
    for warning in matterbox_core::harden_process("matterbox-desktop") {
        eprintln!("matterbox-desktop: warning: {warning}");
    }
    // The OCR worker's Tesseract uses one OpenMP thread (a restart, before
    // any thread starts: see `limit_openmp_threads`).
    if let Some(warning) = matterbox_core::ocr::limit_openmp_threads() {
        eprintln!("matterbox-desktop: warning: {warning}");
    }
    // Without a display the window system's start-up would panic, and the
    // panic hook would hide why; a missing display is no client data.
    #[cfg(target_os = "linux")]
    {
        if let Err(e) = gtk::init() {
            eprintln!("matterbox-desktop: Matterbox cannot open a display: {e}");
            std::process::exit(1);
        }
        keep_out_of_recent_files();
    }
    if let Err(e) = run() {
        eprintln!("matterbox-desktop: {e}");
        std::process::exit(1);
    }
}

/// File names are client data: GTK's file dialogs would add every file
/// the user imports or exports to the desktop's recently-used list
/// (`~/.local/share/recently-used.xbel`), and show that list in the next
/// dialog of any program. Off for this process, before any dialog opens.
#[cfg(target_os = "linux")]
fn keep_out_of_recent_files() {
    use gtk::prelude::GtkSettingsExt;
    if let Some(settings) = gtk::Settings::default() {
        settings.set_gtk_recent_files_enabled(false);
        settings.set_gtk_recent_files_max_age(0);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let env = Environment::from_os("app").map_err(|e| e.user_message())?;
    let vaults_root = paths::vaults_root().map_err(|e| e.to_string())?;
    let open_copies = OpenCopies::from_os().map_err(|e| e.user_message())?;

    tauri::Builder::default()
        // First: a second launch focuses this window instead of opening the
        // vault in a second process.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new(env, vaults_root, open_copies))
        .manage(backup::Backups::default())
        .setup(|app| {
            // Copies opened with other applications before a crash go now.
            app.state::<AppState>().wipe_open_copies();
            // And what exports a crash interrupted left behind.
            matterbox_core::wipe_interrupted_exports();
            let handle = app.handle().clone();
            app.state::<AppState>().on_warning(move || {
                let _ = handle.emit(commands::WARNINGS_EVENT, ());
            });
            let handle = app.handle().clone();
            // Idle auto-lock: checked every second.
            std::thread::Builder::new()
                .name("auto-lock".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(1));
                        if handle.state::<AppState>().lock_if_idle(Instant::now()) {
                            commands::emit_locked(&handle, LockReason::Idle);
                        }
                    }
                })?;
            inbox::spawn(app.handle().clone())?;
            ocr::spawn(app.handle().clone())?;
            retention::spawn(app.handle().clone());
            backup::spawn(app.handle().clone());
            search_index::spawn(app.handle().clone());
            let handle = app.handle().clone();
            os_lock::watch(move |reason| {
                if handle.state::<AppState>().lock().unwrap_or(false) {
                    commands::emit_locked(&handle, reason);
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::Destroyed => {
                // Closing the window locks: keys never outlive the UI.
                let _ = window.app_handle().state::<AppState>().lock();
            }
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                let app = window.app_handle();
                commands::files_dropped(app, &app.state::<AppState>(), paths.clone());
            }
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            ocr::document_recognised_text,
            ocr::ocr_document,
            ocr::ocr_status,
            commands::app_status,
            commands::app_warnings,
            commands::vault_create,
            commands::vault_unlock,
            commands::vault_recover,
            commands::vault_lock,
            commands::touch,
            commands::client_list,
            commands::client_get,
            commands::client_create,
            commands::client_update,
            commands::matter_list,
            commands::matter_get,
            commands::matter_open,
            commands::conflict_preview,
            commands::conflict_check,
            commands::conflict_list,
            commands::conflict_get,
            commands::conflict_decide,
            commands::conflict_decide_document,
            commands::conflict_export,
            commands::consent_list,
            commands::consent_due,
            commands::consent_get,
            commands::consent_record,
            commands::consent_give,
            commands::consent_confirm,
            commands::consent_withdraw,
            commands::consent_review,
            commands::consent_export,
            commands::request_list,
            commands::request_open,
            commands::request_get,
            commands::request_find,
            commands::request_mark,
            commands::request_pause,
            commands::request_resume,
            commands::request_assess_erasure,
            commands::request_extend,
            commands::request_erase,
            commands::request_close,
            commands::request_export,
            commands::share_create,
            commands::court_bundle_create,
            commands::share_list,
            commands::share_signing_key,
            share_return::share_return,
            share_return::share_list_client,
            share_return::share_returns,
            share_return::share_keys,
            share_return::share_key_set,
            share_return::share_key_confirm,
            commands::incident_list,
            commands::incident_get,
            commands::incident_open,
            commands::incident_update,
            commands::incident_scope,
            commands::incident_notify,
            commands::incident_template,
            commands::incident_devices,
            commands::incident_add_event,
            commands::incident_rules,
            commands::incident_report,
            commands::incident_alerts,
            commands::matter_update,
            commands::matter_close,
            commands::matter_reopen,
            commands::matter_add_party,
            commands::matter_remove_party,
            commands::matter_add_event,
            commands::settings_get,
            commands::settings_update,
            commands::document_pick,
            commands::document_import_staged,
            commands::work_cancel,
            commands::document_list,
            commands::document_get,
            commands::document_preview,
            commands::document_update,
            commands::document_move,
            commands::document_trash,
            commands::document_add_version,
            commands::document_restore_version,
            commands::document_export,
            commands::document_export_searchable,
            commands::document_open_external,
            commands::document_search,
            commands::saved_search_list,
            commands::saved_search_save,
            commands::saved_search_forget,
            commands::doctor_run,
            commands::inbox_status,
            commands::inbox_pending,
            commands::inbox_settings_get,
            commands::inbox_settings_update,
            commands::inbox_pick_folder,
            commands::inbox_scan_now,
            commands::inbox_unfiled,
            commands::inbox_suggestions,
            commands::inbox_file,
            commands::policy_list,
            commands::policy_add,
            commands::policy_add_version,
            commands::policy_acknowledge,
            commands::training_list,
            commands::training_add,
            commands::policies_due,
            commands::ocr_languages_installed,
            commands::vault_change_passphrase,
            commands::vault_check_recovery_key,
            commands::audit_verify,
            commands::audit_export,
            commands::report_export,
            commands::print_page,
            commands::save_page_pdf,
            commands::inbox_preview,
            commands::inbox_discard,
            commands::inbox_quarantine,
            commands::inbox_retry,
            commands::inbox_mkdir,
            backup::backup_status,
            backup::backup_run,
            backup::backup_cancel,
            backup::backup_drill,
            backup::backup_pick_folder,
            backup::restore_list,
            backup::restore_backup,
            commands::retention_policies,
            commands::retention_policy_save,
            commands::retention_set_area_policy,
            commands::retention_set_matter_policy,
            commands::retention_holds,
            commands::retention_place_hold,
            commands::retention_release_hold,
            commands::retention_due,
            commands::retention_defer,
            commands::retention_destroy,
            commands::retention_register,
            commands::retention_certificate,
            commands::retention_matter,
            commands::retention_register_titles,
        ])
        .build(tauri::generate_context!())?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Locking wipes opened copies; wipe again in case none was unlocked.
                let state = app.state::<AppState>();
                let _ = state.lock();
                state.wipe_open_copies();
            }
        });
    Ok(())
}

#[cfg(test)]
mod bindings;
