//! The TypeScript types in `ui/src/lib/bindings/` are generated from the
//! Rust types that cross IPC. This test regenerates them and fails when the
//! committed files differ; `UPDATE_BINDINGS=1 cargo test -p matterbox-desktop bindings`
//! writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use matterbox_core::domain::{
    ClientInput, ClientPatch, Matter, MatterFilter, MatterInput, MatterPatch, PartyInput,
};
use matterbox_core::{ApiError, AppSettings, ClientDetail, DocumentDetail, SettingsPatch};
use ts_rs::{Config, TS};

use matterbox_core::domain::documents::DocumentPatch;
use matterbox_core::domain::search::{SearchFilter, SearchHit, SearchPage, SearchSort};

use crate::commands::{AppStatus, CreatedVault, FilesDroppedEvent, ImportOutcome, LockedEvent};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    AppStatus::export_all(&cfg).unwrap();
    CreatedVault::export_all(&cfg).unwrap();
    ClientDetail::export_all(&cfg).unwrap();
    LockedEvent::export_all(&cfg).unwrap();
    ClientInput::export_all(&cfg).unwrap();
    ClientPatch::export_all(&cfg).unwrap();
    Matter::export_all(&cfg).unwrap();
    MatterFilter::export_all(&cfg).unwrap();
    MatterInput::export_all(&cfg).unwrap();
    MatterPatch::export_all(&cfg).unwrap();
    PartyInput::export_all(&cfg).unwrap();
    ApiError::export_all(&cfg).unwrap();
    AppSettings::export_all(&cfg).unwrap();
    SettingsPatch::export_all(&cfg).unwrap();
    DocumentDetail::export_all(&cfg).unwrap();
    ImportOutcome::export_all(&cfg).unwrap();
    crate::commands::WorkProgress::export_all(&cfg).unwrap();
    FilesDroppedEvent::export_all(&cfg).unwrap();
    DocumentPatch::export_all(&cfg).unwrap();
    SearchFilter::export_all(&cfg).unwrap();
    SearchHit::export_all(&cfg).unwrap();
    SearchPage::export_all(&cfg).unwrap();
    SearchSort::export_all(&cfg).unwrap();
    matterbox_core::domain::search::SavedSearch::export_all(&cfg).unwrap();
    matterbox_core::DoctorReport::export_all(&cfg).unwrap();
    crate::inbox::InboxStatus::export_all(&cfg).unwrap();
    crate::inbox::IngestedEvent::export_all(&cfg).unwrap();
    matterbox_core::inbox::InboxSettings::export_all(&cfg).unwrap();
    matterbox_core::inbox::Quarantined::export_all(&cfg).unwrap();
    matterbox_core::domain::inbox::UnfiledItem::export_all(&cfg).unwrap();
    matterbox_core::domain::retention::Policy::export_all(&cfg).unwrap();
    matterbox_core::domain::retention::PolicyInput::export_all(&cfg).unwrap();
    matterbox_core::domain::retention::Hold::export_all(&cfg).unwrap();
    matterbox_core::domain::retention::DueItem::export_all(&cfg).unwrap();
    matterbox_core::retention::Disposal::export_all(&cfg).unwrap();
    matterbox_core::retention::DestructionReport::export_all(&cfg).unwrap();
    matterbox_core::retention::RegisterEntry::export_all(&cfg).unwrap();
    crate::retention::RetentionDueEvent::export_all(&cfg).unwrap();
    matterbox_core::retention::MatterRetention::export_all(&cfg).unwrap();
    crate::backup::BackupStatus::export_all(&cfg).unwrap();
    crate::backup::StoreKey::export_all(&cfg).unwrap();
    matterbox_core::inbox::MatterSuggestion::export_all(&cfg).unwrap();
    matterbox_core::inbox::Unfiled::export_all(&cfg).unwrap();
    matterbox_core::audit::Verification::export_all(&cfg).unwrap();
    matterbox_core::domain::policies::Policy::export_all(&cfg).unwrap();
    matterbox_core::domain::policies::PolicyInput::export_all(&cfg).unwrap();
    matterbox_core::domain::policies::Training::export_all(&cfg).unwrap();
    matterbox_core::domain::policies::TrainingInput::export_all(&cfg).unwrap();
    matterbox_core::domain::policies::Due::export_all(&cfg).unwrap();
    matterbox_core::backup::DrillReport::export_all(&cfg).unwrap();
    matterbox_core::conflicts::CheckRequest::export_all(&cfg).unwrap();
    matterbox_core::domain::conflicts::CheckRecord::export_all(&cfg).unwrap();
    matterbox_core::domain::conflicts::CheckSummary::export_all(&cfg).unwrap();
    matterbox_core::domain::conflicts::NewHit::export_all(&cfg).unwrap();
    matterbox_core::domain::consents::Consent::export_all(&cfg).unwrap();
    matterbox_core::domain::consents::ConsentDue::export_all(&cfg).unwrap();
    matterbox_core::domain::consents::ConsentInput::export_all(&cfg).unwrap();
    matterbox_core::domain::consents::GiveInput::export_all(&cfg).unwrap();
    matterbox_core::consents::ConfirmInput::export_all(&cfg).unwrap();
    matterbox_core::consents::ConsentFormat::export_all(&cfg).unwrap();
    matterbox_core::consents::Withdrawal::export_all(&cfg).unwrap();
    matterbox_core::breach::IncidentView::export_all(&cfg).unwrap();
    matterbox_core::breach::ScopeReport::export_all(&cfg).unwrap();
    matterbox_core::breach::DeviceSeen::export_all(&cfg).unwrap();
    matterbox_core::domain::breaches::BreachInput::export_all(&cfg).unwrap();
    matterbox_core::domain::breaches::BreachPatch::export_all(&cfg).unwrap();
    matterbox_core::domain::breaches::BreachSummary::export_all(&cfg).unwrap();
    matterbox_core::domain::breaches::NoticeInput::export_all(&cfg).unwrap();
    matterbox_core::backup::BackupSnapshot::export_all(&cfg).unwrap();
    matterbox_core::ocr::OcrOverview::export_all(&cfg).unwrap();
    matterbox_core::ocr::OcrMode::export_all(&cfg).unwrap();
    matterbox_core::ocr::RecognisedPage::export_all(&cfg).unwrap();
    crate::ocr::OcrProgress::export_all(&cfg).unwrap();
    matterbox_core::requests::RequestView::export_all(&cfg).unwrap();
    matterbox_core::requests::RequestRow::export_all(&cfg).unwrap();
    matterbox_core::requests::RequestExport::export_all(&cfg).unwrap();
    matterbox_core::requests::ErasureReport::export_all(&cfg).unwrap();
    matterbox_core::shares::ShareRequest::export_all(&cfg).unwrap();
    matterbox_core::shares::ShareCreated::export_all(&cfg).unwrap();
    matterbox_core::bundle::CourtBundleRequest::export_all(&cfg).unwrap();
    matterbox_core::bundle::CourtBundleCreated::export_all(&cfg).unwrap();
    matterbox_core::bundle::SearchableExport::export_all(&cfg).unwrap();
    matterbox_core::shares::KeySaved::export_all(&cfg).unwrap();
    matterbox_core::returns::ReturnRequest::export_all(&cfg).unwrap();
    matterbox_core::returns::ReturnCreated::export_all(&cfg).unwrap();
    matterbox_core::domain::requests::RequestInput::export_all(&cfg).unwrap();
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn bindings_are_current() {
    let committed: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "ui",
        "src",
        "lib",
        "bindings",
    ]
    .iter()
    .collect();
    let fresh = tempfile::tempdir().unwrap();
    export_all(fresh.path());
    let generated = read_dir(fresh.path());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        for stale in read_dir(&committed).keys() {
            std::fs::remove_file(committed.join(stale)).unwrap();
        }
        std::fs::create_dir_all(&committed).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).unwrap();
        }
        return;
    }
    assert_eq!(
        read_dir(&committed),
        generated,
        "ui/src/lib/bindings is stale: run UPDATE_BINDINGS=1 cargo test -p matterbox-desktop bindings"
    );
}
