//! The core API: the one place the CLI and the desktop app call. It opens
//! vaults (create, unlock, recover, change passphrase), holds an unlocked
//! [`Session`], runs every client and matter change in a transaction
//! together with its audit entry, and maps every failure to one
//! [`CoreError`] with a stable code.

pub mod backup;
pub mod breach;
pub mod bundle;
mod cancel;
pub mod conflicts;
pub mod consents;
mod document_ops;
mod error;
mod harden;
pub mod inbox;
pub mod incident;
pub mod ocr;
mod partial;
pub mod policies;
pub mod receipts;
pub mod report;
pub mod requests;
pub mod retention;
pub mod returns;
pub mod search_index;
pub mod shares;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use matterbox_audit::{AuditLog, Entry, NewEntry, Verification};
use matterbox_domain::{
    Client, ClientInput, ClientPatch, Matter, MatterFilter, MatterInput, MatterPatch,
    MatterSummary, PartyInput, clients, matters, settings,
};
use matterbox_vault::{
    DangerPlainFileStore, DeviceSecretStorage, DeviceSecretStore, KdfCost, KeyPurpose, MasterKey,
    OsKeychain, Passphrase, RecoveryKey, Unlocked, Vault, VaultHeader, paths,
};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;
use zeroize::Zeroizing;

pub use cancel::{Cancel, Progress, Watch};
pub use document_ops::{
    DoctorReport, DocumentDetail, DocumentProblem, OpenCopies, Preview, PreviewKind, import_warning,
};
pub use harden::harden_process;

/// Wipes what exports interrupted by a crash left behind (only where the
/// system had no unnamed files for them); both shells call it at start.
/// Returns how many files were wiped.
pub fn wipe_interrupted_exports() -> usize {
    paths::interrupted_exports_dir()
        .map(|d| partial::wipe_interrupted(&d))
        .unwrap_or(0)
}
pub use error::{ApiError, CoreError, ErrorCode};
pub use matterbox_store::StoreError;

// The facade is closed: callers get the core's own functions and the
// types named below, never a lower crate's queries or vault operations.

/// The records callers pass in and get back (clients, matters, documents,
/// search, retention, the Unfiled queue).
pub mod domain {
    pub use matterbox_domain::{
        Client, ClientInput, ClientKind, ClientPatch, DomainError, Matter, MatterEvent,
        MatterFilter, MatterInput, MatterPatch, MatterStatus, MatterSummary, NumberScheme, Party,
        PartyInput, PartySide,
    };

    pub mod documents {
        pub use matterbox_domain::documents::{DocumentPatch, DocumentSummary, VersionInfo};
    }

    pub mod search {
        pub use matterbox_domain::saved_searches::SavedSearch;
        pub use matterbox_domain::search::{
            SearchFilter, SearchHit, SearchPage, SearchSort, TextStatus,
        };
    }

    pub mod retention {
        pub use matterbox_domain::retention::{
            DueItem, Hold, HoldTarget, Policy, PolicyInput, Trigger,
        };
    }

    pub mod inbox {
        pub use matterbox_domain::inbox::UnfiledItem;
    }

    pub mod requests {
        pub use matterbox_domain::requests::{
            Deadline, ErasureOutcome, ErasureRow, Extension, Item, ItemSource, Mark, MarkRecord,
            Pause, PauseReason, Relation, Request, RequestInput, RequestKind, RequestStatus,
            RequestSummary, StatusChange, WithholdReason,
        };
    }

    pub mod breaches {
        pub use matterbox_domain::breaches::{
            Audience, Breach, BreachCause, BreachEvent, BreachInput, BreachKind, BreachPatch,
            BreachStatus, BreachSummary, Clock, ClockState, DeadlineRule, DeviceScope, Level,
            LockReceipt, Notice, NoticeInput, NotifyDecision, Period, RULES, RULES_VERSION, Rollup,
            ScopedDocument, UnlockedPeriod,
        };
    }

    pub mod conflicts {
        pub use matterbox_domain::conflicts::{
            AliasKind, CheckPurpose, CheckRecord, CheckStatus, CheckSummary, CommonParty,
            ConflictHit, Decision, DecisionRecord, DocumentCount, DocumentHit, DocumentTier,
            HitSide, HitSource, HitTarget, NameKind, NewDocumentHit, NewHit, SearchRole,
            SearchedName, Severity,
        };
    }

    pub mod consents {
        pub use matterbox_domain::consents::{
            Consent, ConsentAction, ConsentClient, ConsentConflict, ConsentDue, ConsentEvent,
            ConsentEvidence, ConsentInput, ConsentKind, ConsentMatter, ConsentMethod, ConsentState,
            DueWhat, GiveInput,
        };
    }

    pub mod policies {
        pub use matterbox_domain::policies::{
            Acknowledgement, Due, DueKind, Policy, PolicyInput, PolicySummary, PolicyVersion,
            Training, TrainingInput, VersionInput,
        };
    }

    pub mod shares {
        pub use matterbox_domain::shares::{
            KeyHolder, Protection, RecipientKey, Share, ShareFormat, SharedDocument,
        };
    }

    pub mod returns {
        pub use matterbox_domain::returns::{FileReturn, ReturnScope};
    }

    pub mod inventory {
        pub use matterbox_domain::inventory::{AreaCount, Category, Inventory, KindCount};
    }

    /// How sizes and limits read, and which characters are bidirectional
    /// controls (for shells that print names).
    pub mod text {
        pub use matterbox_domain::text::{is_bidi_control, size_text};
    }
}

/// The vault types callers name: how the device secret is kept, the
/// passphrase, the Argon2id cost, and where vaults live by default.
pub mod vault {
    pub use matterbox_vault::{DeviceSecretStorage, KdfCost, Passphrase, VaultError};

    pub mod paths {
        pub use matterbox_vault::paths::{VAULT_ENV, default_vault_dir, vaults_root};
    }
}

/// What an audit log check finds, and the entries an export holds.
pub mod audit {
    pub use matterbox_audit::{Entry, Verification};
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// How the core reaches the machine: where device secrets go, how long to
/// wait for the keychain, who the actor in the audit log is.
#[derive(Clone, Debug)]
pub struct Environment {
    pub keychain_timeout: Duration,
    /// Folder for `danger_plain_file` device secrets.
    pub device_secret_dir: PathBuf,
    /// Recorded as the actor of every audit entry, e.g. `cli:ada`.
    pub actor: String,
    /// Where the second copy of each vault's failed-unlock record lives
    /// (outside the vault folders); `None` keeps only the one in the vault.
    pub attempts_mirror: Option<PathBuf>,
}

impl Environment {
    /// The defaults of this machine, with the actor named after the OS user.
    pub fn from_os(program: &str) -> Result<Self> {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown-user".into());
        Ok(Self {
            keychain_timeout: OsKeychain::default().timeout,
            device_secret_dir: paths::device_secret_dir()?,
            actor: format!("{program}:{user}"),
            attempts_mirror: paths::attempts_mirror_dir().ok(),
        })
    }

    /// Opens the vault in `dir` with this machine's attempt record mirror.
    fn open_vault(&self, dir: &Path) -> Result<Vault> {
        Ok(Vault::open(dir)?.with_attempts_mirror(self.attempts_mirror.clone()))
    }

    fn store(&self, storage: DeviceSecretStorage) -> Box<dyn DeviceSecretStore> {
        match storage {
            DeviceSecretStorage::OsKeychain => Box::new(OsKeychain {
                timeout: self.keychain_timeout,
            }),
            DeviceSecretStorage::DangerPlainFile => Box::new(DangerPlainFileStore {
                dir: self.device_secret_dir.clone(),
            }),
        }
    }

    /// A plain-file device secret inside the vault folder, or inside the
    /// data folder that holds the vaults, would travel with every copy:
    /// refuse it. Paths are resolved (`..`, symbolic links) first.
    fn check_secret_dir(&self, vault_dir: &Path, storage: DeviceSecretStorage) -> Result<()> {
        if storage != DeviceSecretStorage::DangerPlainFile {
            return Ok(());
        }
        let resolve = resolve_path;
        let secrets = resolve(&self.device_secret_dir);
        let vault = resolve(vault_dir);
        // The data folder holds the vaults folder: backing it up takes both.
        let data_root = paths::vaults_root()
            .ok()
            .and_then(|r| r.parent().map(resolve));
        let inside_data = data_root.as_ref().is_some_and(|d| secrets.starts_with(d));
        if secrets.starts_with(&vault) || inside_data {
            return Err(CoreError::Unsafe(format!(
                "The device secret folder {} is inside the vault folder or Matterbox's data folder; a copy of them would carry its own key. Choose a folder outside both.",
                self.device_secret_dir.display(),
            )));
        }
        Ok(())
    }
}

/// `p` made absolute with `..` and symbolic links resolved as far as it
/// exists; the part that does not exist yet is kept as written.
pub(crate) fn resolve_path(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for name in rest.iter().rev() {
        out.push(name);
    }
    out
}

/// The vault's recovery slot as created, kept in the database to check and
/// repair the header's copy at every unlock.
const RECOVERY_SLOT_SETTING: &str = "recovery_slot";
/// The time of the newest failed unlock the log has recorded.
const FAILURES_AUDITED_THROUGH: &str = "failed_unlocks_audited_through";
/// A change of the unlock slot recorded before the header is replaced
/// (see [`Session::after_unlock`]).
const PENDING_SLOT_CHANGE: &str = "pending_unlock_slot_change";

/// A new header that changes the unlock slot, and for a re-enrollment the
/// keychain entries of the old and the new device secret.
struct SlotChange {
    header: VaultHeader,
    old_entry: Option<(DeviceSecretStorage, String)>,
    new_entry: Option<(DeviceSecretStorage, String)>,
}

/// What the database keeps of a [`SlotChange`] while the header is
/// replaced: enough to audit it, or to undo its keychain entry, later.
#[derive(Serialize, serde::Deserialize)]
struct PendingSlotChange {
    slot: matterbox_vault::header::UnlockSlot,
    action: String,
    details: serde_json::Value,
    started_at: String,
    old_entry: Option<(DeviceSecretStorage, String)>,
    new_entry: Option<(DeviceSecretStorage, String)>,
}

impl SlotChange {
    fn pending(&self, action: &str, details: &serde_json::Value) -> Result<String> {
        serde_json::to_string(&PendingSlotChange {
            slot: self.header.unlock_slot.clone(),
            action: action.into(),
            details: details.clone(),
            started_at: chrono::Utc::now().to_rfc3339(),
            old_entry: self.old_entry.clone(),
            new_entry: self.new_entry.clone(),
        })
        .map_err(|_| CoreError::Internal("a pending change did not serialize"))
    }
}

fn clear_pending(tx: &Connection) -> Result<()> {
    tx.execute("DELETE FROM settings WHERE key = ?1", [PENDING_SLOT_CHANGE])?;
    Ok(())
}

/// Finishes a change of the unlock slot that a crash interrupted: audited
/// as made when the header holds its slot, as not completed otherwise.
/// Returns the keychain entry no longer in use, for the caller to remove.
fn finish_slot_change(
    tx: &Connection,
    rec: &Recorder<'_>,
    header: &VaultHeader,
    object: &str,
) -> Result<Option<(DeviceSecretStorage, String)>> {
    let Some(text) = settings::get(tx, PENDING_SLOT_CHANGE)? else {
        return Ok(None);
    };
    clear_pending(tx)?;
    let Ok(p) = serde_json::from_str::<PendingSlotChange>(&text) else {
        return Ok(None);
    };
    if p.slot == header.unlock_slot {
        let mut details = p.details;
        if let Some(d) = details.as_object_mut() {
            d.insert("started_at".into(), p.started_at.into());
            d.insert("recorded_at_next_unlock".into(), true.into());
        }
        rec.record(&p.action, object, details)?;
        Ok(p.old_entry.filter(|old| Some(old) != p.new_entry.as_ref()))
    } else {
        rec.record(
            "unlock_slot_change_not_completed",
            object,
            json!({ "action": p.action, "started_at": p.started_at }),
        )?;
        Ok(p.new_entry)
    }
}

/// The recovery slot is checked against the copy kept in the database
/// (authenticated, unlike the header): a damaged one is returned to be put
/// back now, not found when the recovery key is needed. The first unlock
/// keeps the copy.
fn check_recovery_slot(
    tx: &Connection,
    rec: &Recorder<'_>,
    header: &VaultHeader,
    object: &str,
) -> Result<Option<matterbox_vault::header::RecoverySlot>> {
    let kept = settings::get(tx, RECOVERY_SLOT_SETTING)?
        .and_then(|v| serde_json::from_str::<matterbox_vault::header::RecoverySlot>(&v).ok());
    match kept {
        None => {
            let copy = serde_json::to_string(&header.recovery_slot)
                .map_err(|_| CoreError::Internal("the recovery slot did not serialize"))?;
            settings::set(tx, RECOVERY_SLOT_SETTING, &copy)?;
            Ok(None)
        }
        Some(kept) if kept == header.recovery_slot => Ok(None),
        Some(kept) => {
            rec.record("recovery_slot_repaired", object, json!({}))?;
            Ok(Some(kept))
        }
    }
}

/// How to choose the Argon2id cost of a new unlock slot.
#[derive(Clone, Copy, Debug)]
pub enum KdfChoice {
    /// Calibrate on this machine to about 0.5 s (never below the floor).
    Calibrate,
    /// A fixed cost (tests, benchmarks); still never below the floor.
    Fixed(KdfCost),
}

/// What creating a vault returns: the open session and the recovery key,
/// to be shown once and never stored.
pub struct NewVault {
    pub session: Session,
    pub recovery_key: SecretText,
    pub kdf: KdfCost,
    pub kdf_time: Option<Duration>,
}

impl std::fmt::Debug for NewVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewVault")
            .field("session", &self.session)
            .field("recovery_key", &"[redacted]")
            .field("kdf", &self.kdf)
            .finish()
    }
}

/// The OCR languages installed on this computer (Tesseract's data files,
/// `osd` aside), for the settings to offer.
pub fn ocr_languages_installed() -> Result<Vec<String>> {
    matterbox_ocr::available_languages(None).map_err(|e| {
        CoreError::Invalid(format!(
            "Text recognition is not available on this computer ({e}); install the Debian package tesseract-ocr-eng."
        ))
    })
}

/// Refuses languages whose data is not installed, naming the Debian
/// package that installs each one.
fn check_ocr_languages_installed(codes: &[String]) -> Result<()> {
    settings::ocr_languages_text(codes)?;
    let installed = ocr_languages_installed()?;
    let missing: Vec<&String> = codes.iter().filter(|c| !installed.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CoreError::Invalid(format!(
        "Text recognition in {} is not installed on this computer: install {} (installed: {}).",
        missing
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        missing
            .iter()
            .map(|c| format!("the Debian package {}", matterbox_ocr::debian_package(c)))
            .collect::<Vec<_>>()
            .join(" and "),
        installed.join(", ")
    )))
}

/// The vault's settings, kept in its database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    pub auto_lock_seconds: u32,
    pub number_scheme: String,
    /// Keep the names of destroyed matters (client, aliases, parties) for
    /// conflict checks (default on).
    pub keep_conflict_names: bool,
    /// Opening a matter needs a cleared conflict check (default on).
    pub conflict_check_required: bool,
    /// Oral consent is to be confirmed in writing within this many days.
    pub consent_confirm_days: u32,
    /// Consents in force are reviewed after this many months.
    pub consent_review_months: u32,
    /// The languages scans are recognised in (Tesseract codes).
    pub ocr_languages: Vec<String>,
    /// How many scans the app, `ocr run` and `inbox watch` recognise at
    /// once; 0 is automatic.
    pub ocr_workers: u32,
    /// What automatic means on this computer (one fewer than its cores).
    pub ocr_workers_automatic: u32,
}

/// A change to the settings: `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsPatch {
    pub auto_lock_seconds: Option<u32>,
    pub number_scheme: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub keep_conflict_names: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub conflict_check_required: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub consent_confirm_days: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub consent_review_months: Option<u32>,
    /// Only languages whose Tesseract data is installed are taken.
    #[serde(default)]
    #[ts(optional)]
    pub ocr_languages: Option<Vec<String>>,
    /// 0 for automatic, or 1 to `MAX_OCR_WORKERS`.
    #[serde(default)]
    #[ts(optional)]
    pub ocr_workers: Option<u32>,
}

/// Public facts about a vault, readable without unlocking it.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultInfo {
    pub path: PathBuf,
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub format_version: u32,
    pub device_secret_storage: DeviceSecretStorage,
    pub kdf: KdfCost,
    pub enrolled_at: String,
    pub pending_failed_unlocks: u32,
    /// How long the next unlock attempt waits before it is tried, after
    /// the failed ones (rounded up to a second; 0 when it is tried at once).
    pub unlock_wait_seconds: u64,
}

pub fn vault_info(dir: &Path) -> Result<VaultInfo> {
    let vault = Vault::open(dir)?.with_attempts_mirror(paths::attempts_mirror_dir().ok());
    let h: &VaultHeader = vault.header();
    let attempts = vault.pending_failed_attempts()?;
    Ok(VaultInfo {
        path: vault.dir().to_path_buf(),
        id: h.vault_id.clone(),
        name: h.name.clone(),
        created_at: h.created_at.to_rfc3339(),
        format_version: h.version,
        device_secret_storage: h.device_secret_storage,
        kdf: h.unlock_slot.kdf,
        enrolled_at: h.unlock_slot.enrolled_at.to_rfc3339(),
        pending_failed_unlocks: attempts.consecutive_failures,
        unlock_wait_seconds: attempts.wait_at(chrono::Utc::now()).as_secs_f64().ceil() as u64,
    })
}

/// One vault folder as [`list_vaults`] found it.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum VaultListing {
    /// Its header reads: the same facts as [`vault_info`].
    Readable(VaultInfo),
    /// A folder with a header that cannot be read: shown, never left out.
    Unreadable(UnreadableVault),
}

/// A vault folder whose header (or failed-unlock record) cannot be read:
/// damaged, edited, a newer format, or a file the user cannot read.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UnreadableVault {
    pub path: PathBuf,
    /// Why, as the error opening it would give.
    pub error: ApiError,
}

/// Where a new vault named `name` goes in `root`: `default` for the
/// first, then a folder named after the vault (lowercase letters and
/// digits, `-` for the rest), numbered if taken.
pub fn new_vault_dir(root: &Path, name: &str) -> PathBuf {
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

/// Creates the folder that holds the vaults, readable by the user alone.
pub fn create_vaults_folder(root: &Path) -> Result<()> {
    Ok(matterbox_vault::fsutil::create_private_dir(root)?)
}

/// The vault folders below `root` (the vaults folder): readable ones by
/// name, then those that cannot be read, each with its error. One vault
/// that cannot be read never fails the list; only an unreadable `root`
/// does.
pub fn list_vaults(root: &Path) -> Result<Vec<VaultListing>> {
    let listed: Vec<VaultListing> = matterbox_vault::list_vaults(root)?
        .into_iter()
        .map(|listed| match listed {
            matterbox_vault::Listed::Vault(v) => match vault_info(v.dir()) {
                Ok(info) => VaultListing::Readable(info),
                Err(e) => VaultListing::Unreadable(UnreadableVault {
                    path: v.dir().to_path_buf(),
                    error: e.to_api(),
                }),
            },
            matterbox_vault::Listed::Unreadable { dir, error } => {
                VaultListing::Unreadable(UnreadableVault {
                    path: dir,
                    error: CoreError::from(error).to_api(),
                })
            }
        })
        .collect();
    let (readable, mut unreadable): (Vec<_>, Vec<_>) = listed
        .into_iter()
        .partition(|l| matches!(l, VaultListing::Readable(_)));
    unreadable.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(readable.into_iter().chain(unreadable).collect())
}

impl VaultListing {
    /// The vault's folder.
    pub fn path(&self) -> &Path {
        match self {
            VaultListing::Readable(info) => &info.path,
            VaultListing::Unreadable(u) => &u.path,
        }
    }
}

/// An unlocked vault. Dropping it closes the database and zeroizes the
/// keys; [`Session::lock`] does the same and records it.
pub struct Session {
    vault: Vault,
    conn: Connection,
    audit: AuditLog,
    actor: String,
    env: Environment,
    master: MasterKey,
    /// False when the anchor beside the database did not match it at unlock
    /// (an older database restored, the anchor edited or removed): the
    /// anchor is then left as it was, so `verify` keeps reporting it.
    anchor_trusted: bool,
    /// What went wrong after a change had committed (the anchor could not
    /// be brought up to date): the change stands, the user is told, and
    /// the next write repairs it. See [`Session::take_warnings`].
    warnings: Vec<String>,
    /// Set by whoever locks the vault, without waiting for the session:
    /// long operations check it between chunks and stop.
    cancel: Cancel,
    /// The conflict-check index, built at the first check (see `conflicts`).
    conflicts: conflicts::Cache,
    /// The search accelerator (see `search_index`).
    search_index: search_index::SearchIndex,
    /// This computer's enrollment of the vault, as incident scope names it
    /// (see [`device_id`]).
    device: String,
    /// A random id of this unlocked session: its unlock, its lock and the
    /// documents decrypted in between carry it in the audit log.
    session_id: String,
}

/// The id of the device a vault's unlock slot was enrolled on: a short
/// hash of its device-secret entry. A recovery on another computer is a
/// new enrollment and so a new device. Not secret, and no name.
pub fn device_id(header: &VaultHeader) -> String {
    use sha2::{Digest, Sha256};
    let entry = header.unlock_slot.device_entry(&header.vault_id);
    let hash = Sha256::digest(format!("matterbox-device\0{entry}").as_bytes());
    hex::encode(&hash[..8])
}

/// Audit actions whose entries say on which device and in which session
/// they happened (for incident scope): session starts and ends, and
/// every decryption of a document.
const SESSION_TAGGED: &[&str] = &[
    "vault_created",
    "vault_unlocked",
    "recovery_key_used",
    "passphrase_changed",
    "vault_locked",
    "document_viewed",
    "document_exported",
    "document_export_failed",
    "document_opened_externally",
    "ocr_finished",
    "backup_restored",
];

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("vault", &self.vault.id())
            .finish_non_exhaustive()
    }
}

/// Creates a vault in `dir`.
pub fn create_vault(
    env: &Environment,
    dir: &Path,
    name: &str,
    passphrase: &Passphrase,
    storage: DeviceSecretStorage,
    kdf: KdfChoice,
) -> Result<NewVault> {
    passphrase.validate_new()?;
    // Checked before anything is written or the keychain is touched.
    let name = matterbox_domain::vault_name(name)?;
    let name = name.as_str();
    env.check_secret_dir(dir, storage)?;
    if dir.join(matterbox_vault::vault::HEADER_FILE).exists() {
        return Err(matterbox_vault::VaultError::AlreadyExists(dir.to_path_buf()).into());
    }
    // Test support: the repository's slow suites (fault injection runs
    // hundreds of commands) create vaults at the floor cost instead of
    // calibrating. Never in a release build (see ARCHITECTURE.md).
    #[cfg(feature = "test-support")]
    let kdf = match std::env::var_os("MATTERBOX_DANGER_TEST_KDF_FLOOR") {
        Some(_) => KdfChoice::Fixed(KdfCost::MINIMUM),
        None => kdf,
    };
    let (cost, took) = match kdf {
        KdfChoice::Calibrate => {
            let (c, t) = KdfCost::calibrate(KdfCost::TARGET)?;
            (c, Some(t))
        }
        KdfChoice::Fixed(c) => (c, None),
    };
    let store = env.store(storage);
    let mut created_session = String::new();
    // The vault is built in a hidden folder and renamed into place only
    // once its database holds the creation entry and the anchor is
    // written: a crash leaves no half-made vault behind.
    let created = Vault::create_with(
        dir,
        name,
        passphrase,
        store.as_ref(),
        cost,
        |staged, master| -> Result<()> {
            let mut session = Session::open(staged.clone(), master.clone(), env, true)?;
            created_session = session.session_id.clone();
            let object = session.vault_object();
            session.write(|_, rec| {
                rec.record(
                    "vault_created",
                    &object,
                    json!({
                        "device_secret_storage": storage,
                        "argon2id": { "memory_kib": cost.memory_kib, "iterations": cost.iterations, "parallelism": cost.parallelism },
                    }),
                )
            })?;
            if storage == DeviceSecretStorage::DangerPlainFile {
                session.audit_danger_storage()?;
            }
            // Not complete without its anchor: verify would fail forever.
            session.write_anchor()?;
            Ok(())
        },
    )?;
    let recovery_key = created.recovery_key.display();
    let vault = created
        .vault
        .with_attempts_mirror(env.attempts_mirror.clone());
    // The vault exists from here on: a failure to open it now must not
    // read as "not created", and its recovery key must still be shown.
    let mut session = Session::open(vault, created.master, env, false).map_err(|e| {
        CoreError::PartlyDone(format!(
            "Creating the vault at {} completed, but opening it right after failed ({}). Its RECOVERY KEY, shown this once — write it down: {}",
            dir.display(),
            e.user_message(),
            recovery_key.as_str()
        ))
    })?;
    session.warnings.extend(created.warning);
    // The session that recorded the creation goes on in this one.
    session.session_id = created_session;
    Ok(NewVault {
        session,
        recovery_key: SecretText::new(recovery_key),
        kdf: cost,
        kdf_time: took,
    })
}

/// Unlocks the vault in `dir` with the passphrase and this computer's
/// device secret.
pub fn unlock(env: &Environment, dir: &Path, passphrase: &Passphrase) -> Result<Session> {
    let vault = env.open_vault(dir)?;
    let store = env.store(vault.header().device_secret_storage);
    let unlocked = vault.unlock(passphrase, store.as_ref())?;
    let session = Session::after_unlock(
        vault,
        unlocked,
        env,
        "vault_unlocked",
        json!({ "method": "passphrase" }),
        None,
    )?;
    #[cfg(feature = "test-support")]
    harden::danger_test_panic("after unlocking");
    Ok(session)
}

/// Opens the vault with its recovery key and enrolls this computer: a new
/// device secret in `storage` and a new passphrase.
///
/// At every moment exactly one enrollment works: the new device secret is
/// stored under a new entry, the header switches to it in one atomic
/// replace (in the same step as the audit entry), and only then is the old
/// entry removed.
pub fn recover(
    env: &Environment,
    dir: &Path,
    recovery_key: &str,
    new_passphrase: &Passphrase,
    storage: DeviceSecretStorage,
) -> Result<Session> {
    env.check_secret_dir(dir, storage)?;
    let key = RecoveryKey::parse(recovery_key)?;
    let vault = env.open_vault(dir)?;
    let store = env.store(storage);
    let (unlocked, pending) = vault.prepare_recovery(&key, new_passphrase, store.as_ref())?;
    let old_storage = vault.header().device_secret_storage;
    let change = SlotChange {
        header: pending.header.clone(),
        old_entry: Some((old_storage, pending.old_entry().to_string())),
        new_entry: Some((storage, pending.new_entry().to_string())),
    };
    let session = Session::after_unlock(
        vault,
        unlocked,
        env,
        "recovery_key_used",
        json!({ "device_secret_storage": storage, "reenrolled": true }),
        Some(change),
    );
    let mut session = match session {
        Ok(s) => s,
        Err(e) => {
            // The header is the old one unless the error says otherwise.
            if !matches!(e, CoreError::PartlyDone(_)) {
                env.open_vault(dir)?
                    .abandon_enrollment(&pending, store.as_ref());
            }
            return Err(e);
        }
    };
    session.vault.finish_enrollment(&pending, store.as_ref());
    // The recovery is done (its entry names the storage); failing to add
    // the warning entry must not read as a failed recovery.
    if storage == DeviceSecretStorage::DangerPlainFile
        && let Err(e) = session.audit_danger_storage()
    {
        session.warnings.push(format!(
            "The audit log could not record that the device secret is kept in a plain file ({}).",
            e.user_message()
        ));
    }
    Ok(session)
}

/// Changes the passphrase: the master key is re-wrapped, nothing else. The
/// new header and the `passphrase_changed` entry land together: if either
/// cannot be written, the old passphrase still works, and the error says
/// exactly that.
pub fn change_passphrase(
    env: &Environment,
    dir: &Path,
    current: &Passphrase,
    new: &Passphrase,
) -> Result<Session> {
    let vault = env.open_vault(dir)?;
    let store = env.store(vault.header().device_secret_storage);
    let (unlocked, pending) = vault.prepare_passphrase_change(current, new, store.as_ref())?;
    let change = SlotChange {
        header: pending.header,
        old_entry: None,
        new_entry: None,
    };
    Session::after_unlock(
        vault,
        unlocked,
        env,
        "passphrase_changed",
        json!({}),
        Some(change),
    )
}

impl Session {
    fn open(vault: Vault, master: MasterKey, env: &Environment, create: bool) -> Result<Self> {
        let vault_header = &vault.header().clone();
        let key = master.derive(vault.id(), KeyPurpose::Database);
        let conn = if create {
            matterbox_store::create(&vault.database_path(), &key)?
        } else {
            matterbox_store::open(&vault.database_path(), &key)?
        };
        let audit = AuditLog::new(
            master.derive(vault.id(), KeyPurpose::AuditChain),
            vault.id(),
        );
        let search_index = search_index::SearchIndex::new(vault.dir());
        let mut session = Self {
            vault,
            conn,
            audit,
            actor: env.actor.clone(),
            env: env.clone(),
            master,
            anchor_trusted: create,
            warnings: Vec::new(),
            cancel: Cancel::new(),
            conflicts: conflicts::Cache::default(),
            search_index,
            device: device_id(vault_header),
            session_id: uuid::Uuid::new_v4().simple().to_string()[..16].to_string(),
        };
        if !create {
            session.check_identity()?;
            // Temporary files of header and anchor writes a crash cut short.
            matterbox_vault::fsutil::remove_stale_temporaries(
                session.vault.dir(),
                Duration::from_secs(60),
            );
            // An encrypted database copy an interrupted backup left.
            backup::remove_interrupted(session.vault.dir());
            session.anchor_trusted = match session.read_anchor() {
                Some(anchor) => session.audit.anchor_matches(&session.conn, &anchor)?,
                None => false,
            };
        }
        Ok(session)
    }

    /// The database must be this vault's: its audit log begins with this
    /// vault's creation. (The key derives from the vault id, so another
    /// vault's database does not even open; this catches a database that
    /// lost its contents.)
    fn check_identity(&self) -> Result<()> {
        let first: Option<String> = self
            .conn
            .query_row("SELECT object FROM audit_log WHERE seq = 1", [], |r| {
                r.get(0)
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        match first {
            Some(object) if object == self.vault_object() => Ok(()),
            Some(_) => Err(matterbox_store::StoreError::Damaged(
                "vault.db belongs to another vault".into(),
            )
            .into()),
            None => Err(matterbox_store::StoreError::Damaged(
                "vault.db has no record of this vault's creation: it was emptied or replaced"
                    .into(),
            )
            .into()),
        }
    }

    /// Opens the database, records the failed attempts the vault kept
    /// since the last unlock, then this unlock, and clears the attempts.
    ///
    /// With `change` (a passphrase change or re-enrollment) the header is
    /// replaced in three steps, so that a crash at any point is told
    /// truthfully by the audit log: the new unlock slot is first recorded
    /// in the database as a pending change, then the header is replaced
    /// (atomically), then the change is audited and the pending record
    /// removed. The next unlock finishes a pending change: audited as made
    /// if the header holds its slot, as not completed otherwise (and the
    /// unused keychain entry is removed). If the header cannot be written
    /// nothing changed; if the last step fails the old header is put back;
    /// only if that fails too does [`CoreError::PartlyDone`] say the change
    /// is in effect (its entry then comes with the next unlock).
    fn after_unlock(
        vault: Vault,
        unlocked: Unlocked,
        env: &Environment,
        action: &str,
        details: serde_json::Value,
        change: Option<SlotChange>,
    ) -> Result<Self> {
        let Unlocked {
            master,
            failed_attempts,
        } = unlocked;
        let mut session = Self::open(vault, master, env, false)?;
        if let Some(c) = &change {
            // Recorded as made on the new enrollment's device.
            session.device = device_id(&c.header);
        }
        let object = session.vault_object();
        let old_header = session.vault.header().clone();
        let header_path = session
            .vault
            .dir()
            .join(matterbox_vault::vault::HEADER_FILE);
        let pending = change
            .as_ref()
            .map(|c| c.pending(action, &details))
            .transpose()?;
        let (finished, repaired) = session.write(|tx, rec| {
            let finished = finish_slot_change(tx, rec, &old_header, &object)?;
            // Failures already recorded (their record could not be cleared
            // after an earlier unlock) are not recorded twice.
            let through = settings::get(tx, FAILURES_AUDITED_THROUGH)?
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.to_utc());
            let new_failures: Vec<_> = failed_attempts
                .iter()
                .filter(|a| through.is_none_or(|t| a.at > t))
                .collect();
            if let Some(last) = new_failures.iter().map(|a| a.at).max() {
                settings::set(tx, FAILURES_AUDITED_THROUGH, &last.to_rfc3339())?;
            }
            for attempt in new_failures {
                rec.record_as(
                    "unknown",
                    "unlock_failed",
                    &object,
                    json!({ "attempted_at": attempt.at.to_rfc3339(), "method": attempt.method }),
                )?;
            }
            match &pending {
                Some(p) => settings::set(tx, PENDING_SLOT_CHANGE, p)?,
                None => rec.record(action, &object, details.clone())?,
            }
            let repaired = check_recovery_slot(tx, rec, &old_header, &object)?;
            Ok((finished, repaired))
        })?;
        if let Some((storage, entry)) = finished {
            let _ = env.store(storage).delete(&entry);
        }
        if repaired.is_some() {
            session.warnings.push(
                "The recovery key's slot in vault.json was damaged or changed; it was put back from the copy inside the vault. Check your backups of vault.json.".into(),
            );
        }
        match change {
            Some(c) => {
                let mut header = c.header;
                if let Some(slot) = repaired {
                    header.recovery_slot = slot;
                }
                if let Err(e) = header.write(&header_path) {
                    // The replace may have happened before the error (a
                    // failed sync of the folder after the rename): what is
                    // on disk decides.
                    let on_disk = VaultHeader::read(&header_path).ok();
                    if on_disk.as_ref() != Some(&header) {
                        // Nothing changed: the pending record goes (or the
                        // next unlock finds it not taken).
                        let _ = session.write(|tx, _| clear_pending(tx));
                        return Err(e.into());
                    }
                    session.warnings.push(format!(
                        "The new header is in place but could not be synced to disk ({}); if the computer loses power now, the old passphrase may be the one that works.",
                        CoreError::from(e).user_message()
                    ));
                }
                let recorded = session.write(|tx, rec| {
                    rec.record(action, &object, details)?;
                    clear_pending(tx)
                });
                if let Err(e) = recorded {
                    old_header.write(&header_path).map_err(|put_back| {
                        CoreError::PartlyDone(format!(
                            "The new passphrase is in effect and the old one no longer works, but the audit log could not record the change ({}) and putting the old header back failed too ({put_back}); the change is recorded at the next unlock.",
                            e.user_message()
                        ))
                    })?;
                    return Err(e);
                }
                session.vault.adopt_header(header);
            }
            None => {
                if let Some(slot) = repaired {
                    let mut header = old_header.clone();
                    header.recovery_slot = slot;
                    match header.write(&header_path) {
                        Ok(()) => session.vault.adopt_header(header),
                        Err(e) => session.warnings.push(format!(
                            "The damaged recovery slot in vault.json could not be put back ({e}); it will be tried at the next unlock."
                        )),
                    }
                }
            }
        }
        // The unlock is done: what cannot be tidied now is a warning (the
        // log knows which failures it has recorded, and a destruction is
        // finished at the next unlock), never a failure of the unlock.
        let store = env.store(session.vault.header().device_secret_storage);
        if let Err(e) = session.vault.acknowledge_failed_attempts(store.as_ref()) {
            session.warnings.push(format!(
                "The record of failed unlocks could not be cleared ({}); the wait before the next try may be longer than it should.",
                CoreError::from(e).user_message()
            ));
        }
        session.take_receipt_failure();
        // A destruction a crash interrupted is finished first.
        if let Err(e) = session.finish_destruction() {
            session.warnings.push(format!(
                "A destruction that was cut short could not be finished yet ({}); it is tried again at the next unlock.",
                e.user_message()
            ));
        }
        Ok(session)
    }

    fn vault_object(&self) -> String {
        format!("vault:{}", self.vault.id())
    }

    fn audit_danger_storage(&mut self) -> Result<()> {
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "danger_device_secret_in_plain_file",
                &object,
                json!({ "warning": "the device secret is kept in a file readable by this OS user, not in the keychain" }),
            )
        })
    }

    /// Runs `change` in one transaction with the audit entries it records:
    /// the change and its trace land together or not at all.
    ///
    /// The transaction is IMMEDIATE: it takes the write lock up front, so a
    /// second process (the CLI beside the app) waits instead of failing
    /// half-way. After the commit the audit anchor beside the database is
    /// brought up to date.
    ///
    /// **Once the commit succeeded, this returns `Ok`.** Whatever fails
    /// after it (writing the anchor on a full disk) is a warning, never an
    /// error: callers clean up on error, and undoing the side effects of a
    /// change that stands would lose data. A stale anchor still names an
    /// entry the log holds, so it stays valid; the next write brings it up
    /// to date.
    fn write<T>(
        &mut self,
        change: impl FnOnce(&Connection, &Recorder<'_>) -> Result<T>,
    ) -> Result<T> {
        let database = self.vault.database_path();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| matterbox_store::name_full_disk(&database, e))?;
        let out = change(
            &tx,
            &Recorder {
                conn: &tx,
                audit: &self.audit,
                actor: &self.actor,
                device: &self.device,
                session: &self.session_id,
            },
        )
        .map_err(|e| e.naming_full_disk(&database))?;
        tx.commit()
            .map_err(|e| matterbox_store::name_full_disk(&database, e))?;
        if let Err(e) = self.write_anchor() {
            self.warnings.push(format!(
                "The change was saved, but the audit log's record beside the database could not be updated ({}); it will be at the next change.",
                e.user_message()
            ));
        }
        Ok(out)
    }

    /// Warnings about changes that were saved but not completely tidied
    /// up after (see [`Session::write`]); each is returned once.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub(crate) fn write_anchor(&self) -> Result<()> {
        if !self.anchor_trusted {
            return Ok(());
        }
        if let Some(anchor) = self.audit.anchor(&self.conn)? {
            let json = serde_json::to_vec(&anchor).map_err(|e| {
                CoreError::Audit(matterbox_audit::AuditError::Io(std::io::Error::other(e)))
            })?;
            matterbox_vault::fsutil::write_atomic(&self.vault.audit_anchor_path(), &json)?;
        }
        Ok(())
    }

    fn read_anchor(&self) -> Option<matterbox_audit::Anchor> {
        let bytes = std::fs::read(self.vault.audit_anchor_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// This computer's device id for the vault (see [`device_id`]).
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Test support: the open database connection, bypassing the audit
    /// log. For the repository's benchmarks and tests only.
    #[cfg(feature = "test-support")]
    pub fn danger_connection(&self) -> &Connection {
        &self.conn
    }

    /// The session's cancellation: setting it (from any thread, without
    /// waiting for the session) stops its running long operation between
    /// chunks with [`CoreError::Cancelled`], and every later one before it
    /// starts. Locking the vault sets it first.
    pub fn cancel_handle(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Whether a lock asked this session to stop.
    pub fn lock_requested(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Locks: records it, then drops the keys and closes the database.
    /// Once recorded, a lock receipt is left at the backup folder (best
    /// effort, bounded: see [`receipts`]) before the keys go.
    pub fn lock(mut self) -> Result<()> {
        let object = self.vault_object();
        self.write(|_, rec| rec.record("vault_locked", &object, json!({})))?;
        self.leave_lock_receipt();
        Ok(())
    }

    // --- clients -------------------------------------------------------

    pub fn create_client(&mut self, input: &ClientInput) -> Result<Client> {
        let kind = input.kind.unwrap_or(matterbox_domain::ClientKind::Person);
        self.write(|tx, rec| {
            let id = clients::create(tx, input)?;
            rec.record(
                "client_created",
                &format!("client:{id}"),
                json!({ "kind": kind }),
            )?;
            Ok(clients::get(tx, id)?)
        })
    }

    pub fn update_client(&mut self, id: i64, patch: &ClientPatch) -> Result<Client> {
        self.write(|tx, rec| {
            let fields = clients::update(tx, id, patch)?;
            rec.record(
                "client_updated",
                &format!("client:{id}"),
                json!({ "fields": fields }),
            )?;
            Ok(clients::get(tx, id)?)
        })
    }

    /// A client's record; opening it is recorded in the audit log.
    /// A client with their matters; recorded as viewed, as [`Session::client`].
    pub fn client_detail(&mut self, id: i64) -> Result<ClientDetail> {
        Ok(ClientDetail {
            client: self.client(id)?,
            matters: self.matters(&MatterFilter {
                client_id: Some(id),
                ..Default::default()
            })?,
        })
    }

    pub fn client(&mut self, id: i64) -> Result<Client> {
        self.write(|tx, rec| {
            let client = clients::get(tx, id)?;
            rec.record("client_viewed", &format!("client:{id}"), json!({}))?;
            Ok(client)
        })
    }

    pub fn clients(&self, search: Option<&str>) -> Result<Vec<Client>> {
        Ok(clients::list(&self.conn, search)?)
    }

    // --- matters -------------------------------------------------------

    /// Opens a matter. While the vault requires conflict checks (the
    /// default), it opens only under a cleared check of its client
    /// (`input.conflict_check`), or, with none given, after an automatic
    /// check of the client's name that finds nothing; an automatic check
    /// that finds something is saved and the open refused with its id.
    pub fn open_matter(&mut self, input: &MatterInput) -> Result<Matter> {
        let check = self.check_for_opening(input)?;
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let (check_id, automatic) = match &check {
                conflicts::OpeningCheck::None => (None, false),
                conflicts::OpeningCheck::Linked(id) => (Some(*id), false),
                conflicts::OpeningCheck::Automatic(names, hits, documents) => (
                    Some(conflicts::save_in(
                        tx,
                        &actor,
                        matterbox_domain::conflicts::CheckPurpose::MatterOpen,
                        None,
                        Some(input.client_id),
                        names,
                        hits,
                        documents,
                    )?),
                    true,
                ),
            };
            let input = MatterInput {
                conflict_check: check_id,
                ..input.clone()
            };
            let (id, number) = matters::open(tx, &input)?;
            let mut details =
                json!({ "number": number, "client": format!("client:{}", input.client_id) });
            if let Some(c) = check_id {
                details["conflict_check"] = json!(format!("conflict_check:{c}"));
                details["conflict_check_automatic"] = json!(automatic);
            }
            rec.record("matter_opened", &format!("matter:{id}"), details)?;
            Ok(matters::get(tx, id)?)
        })
    }

    pub fn update_matter(&mut self, id: i64, patch: &MatterPatch) -> Result<Matter> {
        self.matter_change(id, "matter_updated", |tx| {
            let fields = matters::update(tx, id, patch)?;
            Ok(json!({ "fields": fields }))
        })
    }

    pub fn close_matter(&mut self, id: i64, on: Option<NaiveDate>) -> Result<Matter> {
        self.matter_change(id, "matter_closed", |tx| {
            let on = matters::close(tx, id, on)?;
            Ok(json!({ "closed_on": on }))
        })
    }

    pub fn reopen_matter(&mut self, id: i64) -> Result<Matter> {
        self.matter_change(id, "matter_reopened", |tx| {
            matters::reopen(tx, id)?;
            Ok(json!({}))
        })
    }

    /// Adds a party; the party's name is checked for conflicts first and
    /// the check saved with it (its hits wait for decisions; the matter
    /// lists the check among its unresolved ones until they are made).
    pub fn add_party(&mut self, matter_id: i64, party: &PartyInput) -> Result<Matter> {
        let (names, hits, documents) = self.party_hits(matter_id, party)?;
        let actor = self.actor.clone();
        self.matter_change(matter_id, "matter_party_added", |tx| {
            let pid = matters::add_party(tx, matter_id, party)?;
            let number = matters::get(tx, matter_id)?.summary.number;
            let check = conflicts::save_in(
                tx,
                &actor,
                matterbox_domain::conflicts::CheckPurpose::PartyAdded,
                Some((matter_id, &number)),
                None,
                &names,
                &hits,
                &documents,
            )?;
            Ok(json!({
                "party": pid,
                "side": party.side,
                "conflict_check": format!("conflict_check:{check}"),
                "conflict_hits": hits.len(),
                "conflict_document_mentions": documents.counts.iter().map(|c| u64::from(c.total)).sum::<u64>(),
            }))
        })
    }

    pub fn remove_party(&mut self, matter_id: i64, party_id: i64) -> Result<Matter> {
        self.matter_change(matter_id, "matter_party_removed", |tx| {
            matters::remove_party(tx, matter_id, party_id)?;
            Ok(json!({ "party": party_id }))
        })
    }

    pub fn add_event(
        &mut self,
        matter_id: i64,
        on: Option<NaiveDate>,
        description: &str,
    ) -> Result<Matter> {
        self.matter_change(matter_id, "matter_event_added", |tx| {
            let eid = matters::add_event(tx, matter_id, on, description)?;
            Ok(json!({ "event": eid }))
        })
    }

    /// A change to one matter, its audit entry and the re-read.
    fn matter_change(
        &mut self,
        id: i64,
        action: &str,
        change: impl FnOnce(&Connection) -> Result<serde_json::Value>,
    ) -> Result<Matter> {
        self.write(|tx, rec| {
            let details = change(tx)?;
            rec.record(action, &format!("matter:{id}"), details)?;
            Ok(matters::get(tx, id)?)
        })
    }

    /// A matter with its parties and timeline; opening it is recorded in the
    /// audit log. (Lists are not: they show what any search shows.)
    pub fn matter(&mut self, id: i64) -> Result<Matter> {
        self.write(|tx, rec| {
            let matter = matters::get(tx, id)?;
            rec.record("matter_viewed", &format!("matter:{id}"), json!({}))?;
            Ok(matter)
        })
    }

    /// The id of the matter numbered `number` (not a view: nothing is shown).
    pub fn matter_id(&self, number: &str) -> Result<i64> {
        Ok(matters::id_by_number(&self.conn, number)?)
    }

    pub fn matter_by_number(&mut self, number: &str) -> Result<Matter> {
        let id = matters::id_by_number(&self.conn, number)?;
        self.matter(id)
    }

    pub fn matters(&self, filter: &MatterFilter) -> Result<Vec<MatterSummary>> {
        Ok(matters::list(&self.conn, filter)?)
    }

    // --- settings ------------------------------------------------------

    pub fn settings(&self) -> Result<AppSettings> {
        Ok(AppSettings {
            auto_lock_seconds: settings::auto_lock_seconds(&self.conn)?,
            number_scheme: settings::number_scheme(&self.conn)?.template().to_string(),
            keep_conflict_names: matterbox_domain::conflicts::keep_names(&self.conn)?,
            conflict_check_required: matterbox_domain::conflicts::check_required(&self.conn)?,
            consent_confirm_days: settings::consent_confirm_days(&self.conn)?,
            consent_review_months: settings::consent_review_months(&self.conn)?,
            ocr_languages: settings::ocr_languages(&self.conn)?
                .split('+')
                .map(str::to_string)
                .collect(),
            ocr_workers: settings::ocr_workers(&self.conn)?,
            ocr_workers_automatic: ocr::automatic_workers(),
        })
    }

    /// How many OCR workers run now (the app's, `ocr run`'s, `inbox
    /// watch`'s): the setting, or automatic.
    pub fn ocr_worker_count(&self) -> Result<u32> {
        Ok(match settings::ocr_workers(&self.conn)? {
            0 => ocr::automatic_workers(),
            n => n,
        })
    }

    /// Applies the settings that are given; audits each change.
    pub fn update_settings(&mut self, patch: &SettingsPatch) -> Result<AppSettings> {
        // Languages are checked against what is installed before anything
        // is written: a job in a missing language would only fail later.
        if let Some(codes) = &patch.ocr_languages {
            check_ocr_languages_installed(codes)?;
        }
        self.write(|tx, rec| {
            if let Some(seconds) = patch.auto_lock_seconds {
                settings::set_auto_lock_seconds(tx, seconds)?;
                rec.record(
                    "setting_changed",
                    "setting:auto_lock_seconds",
                    json!({ "value": seconds }),
                )?;
            }
            if let Some(template) = &patch.number_scheme {
                let scheme = settings::set_number_scheme(tx, template)?;
                rec.record(
                    "setting_changed",
                    "setting:matter_number_scheme",
                    json!({ "value": scheme.template() }),
                )?;
            }
            if let Some(keep) = patch.keep_conflict_names {
                matterbox_domain::conflicts::set_keep_names(tx, keep)?;
                rec.record(
                    "setting_changed",
                    "setting:keep_conflict_names",
                    json!({ "value": keep }),
                )?;
            }
            if let Some(required) = patch.conflict_check_required {
                matterbox_domain::conflicts::set_check_required(tx, required)?;
                rec.record(
                    "setting_changed",
                    "setting:conflict_check_required",
                    json!({ "value": required }),
                )?;
            }
            if let Some(days) = patch.consent_confirm_days {
                settings::set_consent_confirm_days(tx, days)?;
                rec.record(
                    "setting_changed",
                    "setting:consent_confirm_days",
                    json!({ "value": days }),
                )?;
            }
            if let Some(months) = patch.consent_review_months {
                settings::set_consent_review_months(tx, months)?;
                rec.record(
                    "setting_changed",
                    "setting:consent_review_months",
                    json!({ "value": months }),
                )?;
            }
            if let Some(workers) = patch.ocr_workers {
                settings::set_ocr_workers(tx, workers)?;
                rec.record(
                    "setting_changed",
                    "setting:ocr_workers",
                    json!({ "value": workers }),
                )?;
            }
            if let Some(codes) = &patch.ocr_languages {
                let joined = settings::set_ocr_languages(tx, codes)?;
                rec.record(
                    "setting_changed",
                    "setting:ocr_languages",
                    json!({ "value": joined }),
                )?;
            }
            Ok(())
        })?;
        self.settings()
    }

    pub fn number_scheme(&self) -> Result<String> {
        Ok(settings::number_scheme(&self.conn)?.template().to_string())
    }

    pub fn set_number_scheme(&mut self, template: &str) -> Result<String> {
        self.write(|tx, rec| {
            let scheme = settings::set_number_scheme(tx, template)?;
            rec.record(
                "setting_changed",
                "setting:matter_number_scheme",
                json!({ "value": scheme.template() }),
            )?;
            Ok(scheme.template().to_string())
        })
    }

    /// Whether `recovery_key` opens this vault's recovery slot: the user
    /// checks that what they wrote down still works, and nothing changes.
    /// A key that is not even well formed is an error naming what is
    /// wrong; a well-formed key of another vault is `false`. Audited
    /// (whether it matched, never the key).
    pub fn check_recovery_key(&mut self, recovery_key: &str) -> Result<bool> {
        let key = RecoveryKey::parse(recovery_key)?;
        let matches =
            match matterbox_vault::vault::master_key_from_recovery(self.vault.header(), &key) {
                Ok(_) => true,
                Err(matterbox_vault::VaultError::WrongSecret) => false,
                Err(e) => return Err(e.into()),
            };
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "recovery_key_checked",
                &object,
                json!({ "matches": matches }),
            )
        })?;
        Ok(matches)
    }

    // --- audit ---------------------------------------------------------

    /// Checks the whole log against its chain, its head record and the
    /// anchor kept beside the database.
    pub fn verify_audit(&self) -> Result<Verification> {
        Ok(self.audit.verify(&self.conn, self.read_anchor().as_ref())?)
    }

    pub fn audit_entries(&self) -> Result<Vec<Entry>> {
        Ok(self.audit.entries(&self.conn)?)
    }

    /// The whole audit log in `format`, for the caller to print; the
    /// export is recorded first (an export that cannot be recorded does
    /// not happen).
    pub fn export_audit(&mut self, format: AuditFormat) -> Result<Vec<u8>> {
        let entries = self.audit_entries()?;
        let mut out = Vec::new();
        match format {
            AuditFormat::Jsonl => matterbox_audit::export_jsonl(&entries, &mut out)?,
            AuditFormat::Csv => matterbox_audit::export_csv(&entries, &mut out)?,
        }
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "audit_exported",
                &object,
                json!({ "format": format.name(), "entries": entries.len() }),
            )
        })?;
        Ok(out)
    }

    /// Writes the audit log to `destination`: a new file only the user can
    /// read, never over an existing one (refused before anything is
    /// recorded).
    pub fn export_audit_to(&mut self, format: AuditFormat, destination: &Path) -> Result<()> {
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        let bytes = self.export_audit(format)?;
        partial::write_new_private(destination, &bytes)
    }
}

/// A secret as text (a recovery key being shown or typed) on its way
/// between the user and the core: zeroized when dropped, `[redacted]` in
/// `Debug`, and (de)serialized as a plain string for IPC and `--json`
/// without an extra copy.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(text: Zeroizing<String>) -> Self {
        Self(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText([redacted])")
    }
}

impl Serialize for SecretText {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self(Zeroizing::new(s)))
    }
}

/// A client with what their page shows.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetail {
    pub client: Client,
    pub matters: Vec<MatterSummary>,
}

/// The formats the audit log is exported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    /// One JSON object per line.
    Jsonl,
    Csv,
}

impl AuditFormat {
    pub fn name(self) -> &'static str {
        match self {
            AuditFormat::Jsonl => "jsonl",
            AuditFormat::Csv => "csv",
        }
    }
}

/// Appends audit entries inside a [`Session::write`] transaction.
struct Recorder<'a> {
    conn: &'a Connection,
    audit: &'a AuditLog,
    actor: &'a str,
    device: &'a str,
    session: &'a str,
}

impl Recorder<'_> {
    fn record(&self, action: &str, object: &str, details: serde_json::Value) -> Result<()> {
        self.record_as(self.actor, action, object, details)
    }

    fn record_as(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        mut details: serde_json::Value,
    ) -> Result<()> {
        if SESSION_TAGGED.contains(&action)
            && let Some(d) = details.as_object_mut()
        {
            d.entry("device").or_insert(self.device.into());
            d.entry("session").or_insert(self.session.into());
        }
        self.audit.append(
            self.conn,
            &NewEntry::new(actor, action, object).with_details(details),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
