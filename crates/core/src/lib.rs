//! The core API: the one place the CLI and the desktop app call. It opens
//! vaults (create, unlock, recover, change passphrase), holds an unlocked
//! [`Session`], runs every client and matter change in a transaction
//! together with its audit entry, and maps every failure to one
//! [`CoreError`] with a stable code.

mod error;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use matterbox_audit::{AuditLog, Entry, NewEntry, Verification};
use matterbox_documents::DocumentKey;
use matterbox_documents::blobs::BlobStore;
use matterbox_domain::documents::{self, DocumentSummary};
use matterbox_domain::search::{self, SearchFilter, SearchHit, TextStatus};
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

pub use error::{ApiError, CoreError, ErrorCode};
pub use matterbox_audit as audit;
pub use matterbox_domain as domain;
pub use matterbox_vault as vault;

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// The most text indexed per document.
const MAX_INDEXED_TEXT: u64 = 16 << 20;

/// Text to index from a file about to be imported, by its kind. Plain-text
/// kinds are read (up to 16 MiB); images have no text layer; PDF and DOCX
/// extraction are not built yet. The text only ever goes into the encrypted
/// database.
fn extract_text(source: &Path) -> (String, TextStatus) {
    use std::io::Read;
    let ext = source
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "md" | "markdown" | "csv" | "eml" | "log" => {
            let mut bytes = Vec::new();
            let read = std::fs::File::open(source)
                .and_then(|f| f.take(MAX_INDEXED_TEXT).read_to_end(&mut bytes));
            match read {
                Ok(_) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if text.trim().is_empty() {
                        (String::new(), TextStatus::NoText)
                    } else {
                        (text, TextStatus::Extracted)
                    }
                }
                Err(_) => (String::new(), TextStatus::Unsupported),
            }
        }
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "gif" | "bmp" | "webp" | "heic" => {
            (String::new(), TextStatus::NoText)
        }
        _ => (String::new(), TextStatus::Unsupported),
    }
}

fn doc_err(e: matterbox_documents::FormatError) -> CoreError {
    match e {
        matterbox_documents::FormatError::Io(io) => {
            CoreError::File(format!("Cannot write the encrypted copy: {io}."))
        }
        other => CoreError::File(other.to_string()),
    }
}

/// How the core reaches the machine: where device secrets go, how long to
/// wait for the keychain, who the actor in the audit log is.
#[derive(Clone, Debug)]
pub struct Environment {
    pub keychain_timeout: Duration,
    /// Folder for `danger_plain_file` device secrets.
    pub device_secret_dir: PathBuf,
    /// Recorded as the actor of every audit entry, e.g. `cli:ada`.
    pub actor: String,
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
        })
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
        let resolve = |p: &Path| {
            // Resolve the longest existing ancestor, keep the rest as written.
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
        };
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

/// How to choose the Argon2id cost of a new unlock slot.
#[derive(Clone, Copy, Debug)]
pub enum KdfChoice {
    /// Calibrate on this machine to about 0.5 s (never below the floor).
    Calibrate,
    /// A fixed cost (tests, benchmarks); still never below the floor.
    Fixed(KdfCost),
}

/// A document the doctor found a problem with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentProblem {
    pub id: i64,
    pub title: String,
}

/// What [`Session::doctor`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// Document versions checked against the blob area.
    pub checked: usize,
    pub orphans_removed: usize,
    /// Blobs no record points to, left in place (too recent, or not fixing).
    pub orphans: Vec<String>,
    pub temporary_removed: usize,
    pub temporary: usize,
    pub missing: Vec<DocumentProblem>,
    pub damaged: Vec<DocumentProblem>,
}

impl DoctorReport {
    /// Whether every recorded document is present (and, if checked, intact)
    /// and nothing is left over.
    pub fn healthy(&self) -> bool {
        self.orphans.is_empty()
            && self.temporary == 0
            && self.missing.is_empty()
            && self.damaged.is_empty()
    }
}

/// What creating a vault returns: the open session and the recovery key,
/// to be shown once and never stored.
pub struct NewVault {
    pub session: Session,
    pub recovery_key: Zeroizing<String>,
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

/// The vault's settings, kept in its database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    pub auto_lock_seconds: u32,
    pub number_scheme: String,
}

/// A change to the settings: `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsPatch {
    pub auto_lock_seconds: Option<u32>,
    pub number_scheme: Option<String>,
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
}

pub fn vault_info(dir: &Path) -> Result<VaultInfo> {
    let vault = Vault::open(dir)?;
    let h: &VaultHeader = vault.header();
    Ok(VaultInfo {
        path: vault.dir().to_path_buf(),
        id: h.vault_id.clone(),
        name: h.name.clone(),
        created_at: h.created_at.to_rfc3339(),
        format_version: h.version,
        device_secret_storage: h.device_secret_storage,
        kdf: h.unlock_slot.kdf,
        enrolled_at: h.unlock_slot.enrolled_at.to_rfc3339(),
        pending_failed_unlocks: vault.pending_failed_attempts()?.consecutive_failures,
    })
}

/// An unlocked vault. Dropping it closes the database and zeroizes the
/// keys; [`Session::lock`] does the same and records it.
pub struct Session {
    vault: Vault,
    conn: Connection,
    audit: AuditLog,
    actor: String,
    master: MasterKey,
    /// False when the anchor beside the database did not match it at unlock
    /// (an older database restored, the anchor edited or removed): the
    /// anchor is then left as it was, so `verify` keeps reporting it.
    anchor_trusted: bool,
}

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
    env.check_secret_dir(dir, storage)?;
    if dir.join(matterbox_vault::vault::HEADER_FILE).exists() {
        return Err(matterbox_vault::VaultError::AlreadyExists(dir.to_path_buf()).into());
    }
    let (cost, took) = match kdf {
        KdfChoice::Calibrate => {
            let (c, t) = KdfCost::calibrate(KdfCost::TARGET)?;
            (c, Some(t))
        }
        KdfChoice::Fixed(c) => (c, None),
    };
    let store = env.store(storage);
    let created = Vault::create(dir, name, passphrase, store.as_ref(), cost)?;
    let recovery_key = created.recovery_key.display();
    let mut session = Session::open(created.vault, created.master, env, true)?;
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
    Ok(NewVault {
        session,
        recovery_key,
        kdf: cost,
        kdf_time: took,
    })
}

/// Unlocks the vault in `dir` with the passphrase and this computer's
/// device secret.
pub fn unlock(env: &Environment, dir: &Path, passphrase: &Passphrase) -> Result<Session> {
    let vault = Vault::open(dir)?;
    let store = env.store(vault.header().device_secret_storage);
    let unlocked = vault.unlock(passphrase, store.as_ref())?;
    Session::after_unlock(
        vault,
        unlocked,
        env,
        "vault_unlocked",
        json!({ "method": "passphrase" }),
    )
}

/// Opens the vault with its recovery key and enrolls this computer: a new
/// device secret in `storage` and a new passphrase.
pub fn recover(
    env: &Environment,
    dir: &Path,
    recovery_key: &str,
    new_passphrase: &Passphrase,
    storage: DeviceSecretStorage,
) -> Result<Session> {
    env.check_secret_dir(dir, storage)?;
    let key = RecoveryKey::parse(recovery_key)?;
    let mut vault = Vault::open(dir)?;
    let store = env.store(storage);
    let unlocked = vault.recover(&key, new_passphrase, store.as_ref())?;
    let mut session = Session::after_unlock(
        vault,
        unlocked,
        env,
        "recovery_key_used",
        json!({ "device_secret_storage": storage, "reenrolled": true }),
    )?;
    if storage == DeviceSecretStorage::DangerPlainFile {
        session.audit_danger_storage()?;
    }
    Ok(session)
}

/// Changes the passphrase: the master key is re-wrapped, nothing else.
pub fn change_passphrase(
    env: &Environment,
    dir: &Path,
    current: &Passphrase,
    new: &Passphrase,
) -> Result<Session> {
    let mut vault = Vault::open(dir)?;
    let store = env.store(vault.header().device_secret_storage);
    let unlocked = vault.change_passphrase(current, new, store.as_ref())?;
    Session::after_unlock(vault, unlocked, env, "passphrase_changed", json!({}))
}

impl Session {
    fn open(vault: Vault, master: MasterKey, env: &Environment, create: bool) -> Result<Self> {
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
        let mut session = Self {
            vault,
            conn,
            audit,
            actor: env.actor.clone(),
            master,
            anchor_trusted: create,
        };
        if !create {
            session.anchor_trusted = match session.read_anchor() {
                Some(anchor) => session.audit.anchor_matches(&session.conn, &anchor)?,
                None => false,
            };
        }
        Ok(session)
    }

    /// Opens the database, records the failed attempts the vault kept
    /// since the last unlock, then this unlock, and clears the attempts.
    fn after_unlock(
        vault: Vault,
        unlocked: Unlocked,
        env: &Environment,
        action: &str,
        details: serde_json::Value,
    ) -> Result<Self> {
        let Unlocked {
            master,
            failed_attempts,
        } = unlocked;
        let mut session = Self::open(vault, master, env, false)?;
        let object = session.vault_object();
        session.write(|_, rec| {
            for attempt in &failed_attempts {
                rec.record_as(
                    "unknown",
                    "unlock_failed",
                    &object,
                    json!({ "attempted_at": attempt.at.to_rfc3339(), "method": attempt.method }),
                )?;
            }
            rec.record(action, &object, details)
        })?;
        session.vault.acknowledge_failed_attempts()?;
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
    fn write<T>(
        &mut self,
        change: impl FnOnce(&Connection, &Recorder<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = change(
            &tx,
            &Recorder {
                conn: &tx,
                audit: &self.audit,
                actor: &self.actor,
            },
        )?;
        tx.commit()?;
        self.write_anchor()?;
        Ok(out)
    }

    fn write_anchor(&self) -> Result<()> {
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

    /// Test support: the open database connection, bypassing the audit
    /// log. For the repository's benchmarks and tests only.
    #[cfg(feature = "test-support")]
    pub fn danger_connection(&self) -> &Connection {
        &self.conn
    }

    /// Locks: records it, then drops the keys and closes the database.
    pub fn lock(mut self) -> Result<()> {
        let object = self.vault_object();
        self.write(|_, rec| rec.record("vault_locked", &object, json!({})))
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

    pub fn open_matter(&mut self, input: &MatterInput) -> Result<Matter> {
        self.write(|tx, rec| {
            let (id, number) = matters::open(tx, input)?;
            rec.record(
                "matter_opened",
                &format!("matter:{id}"),
                json!({ "number": number, "client": format!("client:{}", input.client_id) }),
            )?;
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

    pub fn add_party(&mut self, matter_id: i64, party: &PartyInput) -> Result<Matter> {
        self.matter_change(matter_id, "matter_party_added", |tx| {
            let pid = matters::add_party(tx, matter_id, party)?;
            Ok(json!({ "party": pid, "side": party.side }))
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

    // --- documents -----------------------------------------------------

    fn document_wrapping_key(&self) -> matterbox_vault::DerivedKey {
        self.master
            .derive(self.vault.id(), KeyPurpose::DocumentKeyWrap)
    }

    fn blobs(&self) -> BlobStore {
        BlobStore::new(self.vault.blobs_dir())
    }

    /// Imports the file at `source` into a matter: encrypted with a fresh
    /// key into a new blob (durable before the record), then recorded with
    /// its audit entry. The same content already in the matter is refused
    /// unless `allow_duplicate`, so the user chooses.
    pub fn import_document(
        &mut self,
        matter_id: i64,
        source: &Path,
        title: Option<&str>,
        allow_duplicate: bool,
    ) -> Result<DocumentSummary> {
        matters::get(&self.conn, matter_id)?;
        let original_name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = title
            .map(str::to_string)
            .unwrap_or_else(|| original_name.clone());
        let mut file = std::fs::File::open(source)
            .map_err(|e| CoreError::File(format!("Cannot read {}: {e}.", source.display())))?;
        if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
            return Err(CoreError::File(format!(
                "{} is not a file.",
                source.display()
            )));
        }
        let (body, text_status) = extract_text(source);
        let key = DocumentKey::generate().map_err(doc_err)?;
        let key_id = matterbox_documents::new_key_id().map_err(doc_err)?;
        let blobs = self.blobs();
        let (blob_id, summary) = blobs
            .write_new(&mut std::io::BufReader::new(&mut file), &key, key_id)
            .map_err(doc_err)?;
        let wrapped =
            matterbox_documents::wrap_key(self.document_wrapping_key().expose(), &key, &blob_id)
                .map_err(doc_err)?;
        let recorded = self.write(|tx, rec| {
            if !allow_duplicate
                && let Some((id, existing)) =
                    documents::find_same_content(tx, matter_id, &summary.sha256)?
            {
                return Err(CoreError::Domain(matterbox_domain::DomainError::Conflict(format!(
                    "This matter already holds the same content as document {id}, \u{201c}{existing}\u{201d}. Import it again choosing to keep both if you want a second copy."
                ))));
            }
            let id = documents::create(
                tx,
                matter_id,
                &title,
                &original_name,
                &documents::NewVersion {
                    blob_id: &blob_id,
                    key_id: &key_id,
                    wrapped_key: &wrapped,
                    size: summary.plaintext_len,
                    sha256: &summary.sha256,
                },
            )?;
            search::index(tx, id, &title, &original_name, &body, text_status)?;
            rec.record(
                "document_imported",
                &format!("document:{id}"),
                json!({ "matter": format!("matter:{matter_id}"), "version": 1, "size": summary.plaintext_len }),
            )?;
            Ok(id)
        });
        match recorded {
            Ok(id) => documents::list(&self.conn, matter_id)?
                .into_iter()
                .find(|d| d.id == id)
                .ok_or_else(|| {
                    CoreError::File("The imported document could not be read back.".into())
                }),
            Err(e) => {
                // No record points at the blob: remove it (the doctor finds any left behind).
                let _ = blobs.remove(&blob_id);
                Err(e)
            }
        }
    }

    pub fn documents(&self, matter_id: i64) -> Result<Vec<DocumentSummary>> {
        matters::get(&self.conn, matter_id)?;
        Ok(documents::list(&self.conn, matter_id)?)
    }

    /// Writes a decrypted copy of document `id` to `destination`, which must
    /// not exist. The export is recorded first; the copy appears only once
    /// every chunk has verified and its SHA-256 matches the one recorded at
    /// import — a damaged document leaves nothing behind.
    pub fn export_document(&mut self, id: i64, destination: &Path) -> Result<()> {
        let version = documents::current_version(&self.conn, id)?;
        if destination.exists() {
            return Err(CoreError::File(format!(
                "{} exists already; an export never overwrites a file.",
                destination.display()
            )));
        }
        self.write(|_, rec| rec.record("document_exported", &format!("document:{id}"), json!({})))?;
        let damaged = || CoreError::DocumentDamaged {
            title: version.title.clone(),
        };
        let key = matterbox_documents::unwrap_key(
            self.document_wrapping_key().expose(),
            &version.wrapped_key,
            &version.blob_id,
        )
        .map_err(|_| damaged())?;
        let partial = destination.with_file_name(format!(
            ".{}.matterbox-partial",
            destination
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let written = (|| -> Result<()> {
            let file = matterbox_documents::blobs::create_new_private(&partial).map_err(|e| {
                CoreError::File(format!("Cannot write {}: {e}.", partial.display()))
            })?;
            let mut out = std::io::BufWriter::new(file);
            let summary = self
                .blobs()
                .read(&version.blob_id, &key, &mut out)
                .map_err(|_| damaged())?;
            if summary.sha256.as_slice() != version.sha256.as_slice() {
                return Err(damaged());
            }
            let file = out
                .into_inner()
                .map_err(|e| CoreError::File(e.to_string()))?;
            file.sync_all()
                .map_err(|e| CoreError::File(e.to_string()))?;
            // A hard link never replaces an existing file, unlike a rename.
            std::fs::hard_link(&partial, destination).map_err(|e| {
                CoreError::File(format!("Cannot create {}: {e}.", destination.display()))
            })?;
            Ok(())
        })();
        let _ = std::fs::remove_file(&partial);
        written
    }

    /// Full-text search over document titles, file names and text. The
    /// search is recorded (how many results, never the words searched for).
    pub fn search(&mut self, text: &str, filter: &SearchFilter) -> Result<Vec<SearchHit>> {
        let object = self.vault_object();
        self.write(|tx, rec| {
            let hits = search::search(tx, text, filter)?;
            rec.record(
                "documents_searched",
                &object,
                json!({ "results": hits.len() }),
            )?;
            Ok(hits)
        })
    }

    /// Checks the blob area against the records: blobs no record points to
    /// (an import that crashed before its record committed), temporary files
    /// left by a crash, records whose blob is missing, and — with `deep` —
    /// blobs that no longer decrypt to the content recorded at import. With
    /// `fix`, orphans and temporary files older than `min_age` are removed
    /// (younger ones may belong to an import running in another process).
    pub fn doctor(
        &mut self,
        fix: bool,
        deep: bool,
        min_age: std::time::Duration,
    ) -> Result<DoctorReport> {
        let blobs = self.blobs();
        let matterbox_documents::blobs::Inventory {
            blobs: present,
            temporary,
        } = blobs.inventory().map_err(doc_err)?;
        let versions = documents::all_versions(&self.conn)?;
        let known: std::collections::HashSet<&str> =
            versions.iter().map(|v| v.blob_id.as_str()).collect();
        let mut report = DoctorReport {
            checked: versions.len(),
            ..Default::default()
        };
        for (id, age) in &present {
            if known.contains(id.as_str()) {
                continue;
            }
            if fix && *age >= min_age {
                blobs.remove(id).map_err(doc_err)?;
                report.orphans_removed += 1;
            } else {
                report.orphans.push(id.clone());
            }
        }
        for (path, age) in &temporary {
            if fix && *age >= min_age {
                std::fs::remove_file(path).map_err(|e| CoreError::File(e.to_string()))?;
                report.temporary_removed += 1;
            } else {
                report.temporary += 1;
            }
        }
        let present: std::collections::HashSet<&str> =
            present.iter().map(|(id, _)| id.as_str()).collect();
        let wrapping = self.document_wrapping_key();
        for v in &versions {
            let problem = DocumentProblem {
                id: v.document_id,
                title: v.title.clone(),
            };
            if !present.contains(v.blob_id.as_str()) {
                report.missing.push(problem);
            } else if deep {
                let ok =
                    matterbox_documents::unwrap_key(wrapping.expose(), &v.wrapped_key, &v.blob_id)
                        .and_then(|key| blobs.read(&v.blob_id, &key, &mut std::io::sink()))
                        .is_ok_and(|s| s.sha256.as_slice() == v.sha256.as_slice());
                if !ok {
                    report.damaged.push(problem);
                }
            }
        }
        let object = self.vault_object();
        let counts = json!({
            "checked": report.checked, "deep": deep,
            "orphans_removed": report.orphans_removed, "orphans_left": report.orphans.len(),
            "temporary_removed": report.temporary_removed,
            "missing": report.missing.len(), "damaged": report.damaged.len(),
        });
        self.write(|_, rec| rec.record("doctor_run", &object, counts))?;
        Ok(report)
    }

    // --- settings ------------------------------------------------------

    pub fn settings(&self) -> Result<AppSettings> {
        Ok(AppSettings {
            auto_lock_seconds: settings::auto_lock_seconds(&self.conn)?,
            number_scheme: settings::number_scheme(&self.conn)?.template().to_string(),
        })
    }

    /// Applies the settings that are given; audits each change.
    pub fn update_settings(&mut self, patch: &SettingsPatch) -> Result<AppSettings> {
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

    // --- audit ---------------------------------------------------------

    /// Checks the whole log against its chain, its head record and the
    /// anchor kept beside the database.
    pub fn verify_audit(&self) -> Result<Verification> {
        Ok(self.audit.verify(&self.conn, self.read_anchor().as_ref())?)
    }

    pub fn audit_entries(&self) -> Result<Vec<Entry>> {
        Ok(self.audit.entries(&self.conn)?)
    }

    /// Records that the audit log was exported (writing the file is the caller's).
    pub fn record_audit_export(&mut self, format: &str, entries: usize) -> Result<()> {
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "audit_exported",
                &object,
                json!({ "format": format, "entries": entries }),
            )
        })
    }
}

/// Appends audit entries inside a [`Session::write`] transaction.
struct Recorder<'a> {
    conn: &'a Connection,
    audit: &'a AuditLog,
    actor: &'a str,
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
        details: serde_json::Value,
    ) -> Result<()> {
        self.audit.append(
            self.conn,
            &NewEntry::new(actor, action, object).with_details(details),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
