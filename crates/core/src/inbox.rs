//! The watched inbox in a session: its settings, ingesting a claimed file
//! exactly once, the Unfiled queue, and [`InboxRunner`], which the CLI's
//! `inbox watch` and the desktop app drive.
//!
//! Exactly once: a file is first claimed (renamed into its own folder under
//! the inbox's `.matterbox/claimed`), then sealed into a blob, then recorded
//! — the document (or Unfiled item), the inbox row carrying the claim id,
//! and the audit entry in one transaction — and only then is the original
//! overwritten and removed. A crash before the commit leaves the claim to
//! be ingested again at the next start (an orphan blob, if any, is the
//! doctor's); a crash after it leaves a claim whose id is recorded, so the
//! original is removed and nothing is ingested twice.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use matterbox_domain::documents::{self, MAX_TAGS};
use matterbox_domain::inbox::{self, NewItem, Placed, UnfiledItem};
use matterbox_domain::{MatterFilter, MatterSummary, matters, search, settings};
use matterbox_inbox::{Claimed, Found, Hint, Router, Tracker};
pub use matterbox_inbox::{Folder, Mode, Quarantined, RouteBy, Rule};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::{CoreError, Result, Session};

pub const INBOX_SETTINGS: &str = "inbox";
/// The file beside the vault that says where its inbox is, so a locked
/// app can still count what waits there (it holds no client data).
pub const INBOX_LOCATION_FILE: &str = "inbox.json";

/// A file waiting in the Unfiled queue, and how the app previews it.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Unfiled {
    #[serde(flatten)]
    pub item: UnfiledItem,
    pub preview_kind: crate::PreviewKind,
}

/// A matter an Unfiled item may belong to, and why it is suggested.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterSuggestion {
    pub matter: MatterSummary,
    pub reason: String,
}

/// Words in the names scanners and staff give files that say nothing of
/// the matter: never a reason to suggest one.
const GENERIC_WORDS: &[&str] = &[
    "scan",
    "scans",
    "scanned",
    "image",
    "page",
    "pages",
    "copy",
    "final",
    "draft",
    "document",
    "documents",
    "file",
    "files",
    "notes",
    "note",
    "untitled",
    "img",
    "photo",
    "doc",
    "docx",
    "attachment",
];

/// The inbox settings of a vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxSettings {
    /// The watched folder; `None` until one is chosen.
    pub folder: Option<String>,
    /// How long a file's size and time must stay unchanged.
    pub quiet_ms: u32,
    /// Larger files go to the quarantine.
    pub max_bytes: u64,
    /// Poll instead of native events (network shares).
    pub poll: bool,
    pub rules: Vec<Rule>,
}

impl Default for InboxSettings {
    fn default() -> Self {
        Self {
            folder: None,
            quiet_ms: 1500,
            max_bytes: 2 << 30,
            poll: false,
            rules: Vec::new(),
        }
    }
}

/// A change to the inbox settings: `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxSettingsPatch {
    /// A full path; a relative one is taken from the current folder.
    pub folder: Option<String>,
    pub quiet_ms: Option<u32>,
    pub max_bytes: Option<u64>,
    pub poll: Option<bool>,
}

impl InboxSettingsPatch {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Where the inbox of a vault is, readable without unlocking it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxLocation {
    pub folder: Option<String>,
}

pub fn inbox_location(vault_dir: &Path) -> InboxLocation {
    std::fs::read(vault_dir.join(INBOX_LOCATION_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// How many files wait in an inbox (no keys needed: names are not read
/// beyond skipping junk).
pub fn pending_files(folder: &Path) -> usize {
    Folder::open(folder)
        .and_then(|f| Ok(f.scan()?.len() + f.claims()?.len()))
        .unwrap_or(0)
}

/// What ingesting one file did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Ingested {
    pub name: String,
    pub item_id: i64,
    /// The document, when it went straight into a matter.
    pub document_id: Option<i64>,
    pub matter_number: Option<String>,
    pub routed_by: RouteBy,
    pub duplicate_of: Option<i64>,
}

/// What one pass over the inbox did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxPass {
    pub ingested: Vec<Ingested>,
    /// Names moved to the quarantine, with the reason.
    pub quarantined: Vec<(String, String)>,
    /// Files seen but not settled yet (still being written, or quiet).
    pub waiting: usize,
}

/// Why a claimed file cannot be ingested (it goes to the quarantine).
fn refusal(claimed: &Claimed, max_bytes: u64) -> Option<String> {
    match matterbox_inbox::folder::open_no_follow(&claimed.path) {
        Err(e) => Some(format!("It cannot be read: {e}.")),
        Ok(f) => match f.metadata() {
            Err(e) => Some(format!("It cannot be read: {e}.")),
            Ok(m) if m.len() == 0 => Some("The file is empty.".into()),
            Ok(m) if m.len() > max_bytes => Some(format!(
                "The file is {} set for this inbox.",
                matterbox_domain::text::over_limit_text(m.len(), max_bytes)
            )),
            Ok(_) => None,
        },
    }
}

impl Session {
    pub fn inbox_settings(&self) -> Result<InboxSettings> {
        Ok(settings::get(&self.conn, INBOX_SETTINGS)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Checks inbox rules about to be saved: valid, non-empty patterns
    /// (see [`matterbox_inbox::routing::check_rules`]), tags a document may
    /// carry, and matters that exist — a rule sending files to a number
    /// no matter has would quietly leave them in Unfiled.
    pub fn validate_rules(&self, rules: &[Rule]) -> Result<()> {
        matterbox_inbox::routing::check_rules(rules)
            .map_err(|e| invalid("rules", e.to_string()))?;
        for rule in rules {
            if rule.tags.len() > MAX_TAGS {
                return Err(invalid(
                    "rules",
                    format!("A rule adds at most {MAX_TAGS} tags."),
                ));
            }
            documents::clean_tags(&rule.tags)?;
            let Some(number) = &rule.matter else {
                continue;
            };
            if let Err(e) = matters::id_by_number(&self.conn, number) {
                let matterbox_domain::DomainError::NotFound { .. } = e else {
                    return Err(e.into());
                };
                return Err(invalid(
                    "rules",
                    format!(
                        "The inbox rule \u{201c}{}\u{201d} sends files to matter {}, which does not exist; open the matter first or correct the number.",
                        rule.pattern,
                        number.trim()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Validates and stores the inbox settings (the folder is created,
    /// private, if missing); audited without the rules' patterns.
    ///
    /// Everything put in an inbox is encrypted and then removed from it,
    /// so a new inbox folder is refused where that would take what is not
    /// meant for it (see [`check_inbox_folder`]); an existing folder that
    /// already holds files is taken only with `take_existing_files`.
    pub fn set_inbox_settings(
        &mut self,
        new: &InboxSettings,
        take_existing_files: bool,
    ) -> Result<InboxSettings> {
        let mut new = new.clone();
        self.validate_rules(&new.rules)?;
        if !(200..=600_000).contains(&new.quiet_ms) {
            return Err(invalid(
                "quiet_ms",
                "The quiet period must be between 0.2 s and 10 minutes.".into(),
            ));
        }
        if new.max_bytes == 0 {
            return Err(invalid(
                "max_bytes",
                "The size limit must be above zero.".into(),
            ));
        }
        if let Some(folder) = &new.folder {
            let path = PathBuf::from(folder.trim());
            if !path.is_absolute() {
                return Err(invalid(
                    "folder",
                    "Give the inbox folder as a full path.".into(),
                ));
            }
            let vault_dir = crate::resolve_path(self.vault.dir());
            let resolved = crate::resolve_path(&path);
            if resolved.starts_with(&vault_dir) || vault_dir.starts_with(&resolved) {
                return Err(invalid(
                    "folder",
                    "The inbox cannot be inside the vault folder, nor hold it.".into(),
                ));
            }
            let current = self.inbox_settings()?.folder.map(PathBuf::from);
            if current.as_deref() != Some(path.as_path()) {
                check_inbox_folder(&resolved, take_existing_files)?;
            }
            Folder::open(&path).map_err(|e| invalid("folder", e.to_string()))?;
            new.folder = Some(path.display().to_string());
        }
        let value = serde_json::to_string(&new)
            .map_err(|_| CoreError::Internal("the inbox settings did not serialize"))?;
        self.write(|tx, rec| {
            settings::set(tx, INBOX_SETTINGS, &value)?;
            rec.record(
                "setting_changed",
                "setting:inbox",
                json!({ "folder_set": new.folder.is_some(), "poll": new.poll, "quiet_ms": new.quiet_ms,
                        "max_bytes": new.max_bytes, "rules": new.rules.len() }),
            )
        })?;
        let location = serde_json::to_vec(&InboxLocation {
            folder: new.folder.clone(),
        })
        .map_err(|_| CoreError::Internal("the inbox location did not serialize"))?;
        matterbox_vault::fsutil::write_atomic(
            &self.vault.dir().join(INBOX_LOCATION_FILE),
            &location,
        )?;
        Ok(new)
    }

    /// Applies `patch` to the inbox settings (see [`Session::set_inbox_settings`]
    /// for the checks); an empty patch changes and records nothing.
    pub fn update_inbox_settings(
        &mut self,
        patch: &InboxSettingsPatch,
        take_existing_files: bool,
    ) -> Result<InboxSettings> {
        let mut settings = self.inbox_settings()?;
        if patch.is_empty() {
            return Ok(settings);
        }
        if let Some(folder) = &patch.folder {
            let path = PathBuf::from(folder.trim());
            let path = std::path::absolute(&path).unwrap_or(path);
            settings.folder = Some(path.display().to_string());
        }
        if let Some(poll) = patch.poll {
            settings.poll = poll;
        }
        if let Some(quiet_ms) = patch.quiet_ms {
            settings.quiet_ms = quiet_ms;
        }
        if let Some(max_bytes) = patch.max_bytes {
            settings.max_bytes = max_bytes;
        }
        self.set_inbox_settings(&settings, take_existing_files)
    }

    /// Adds a routing rule after the others (it is checked first).
    pub fn add_inbox_rule(&mut self, rule: Rule) -> Result<InboxSettings> {
        let mut settings = self.inbox_settings()?;
        settings.rules.push(rule);
        self.set_inbox_settings(&settings, false)
    }

    /// Removes the rule at `position` (counted from 1, as rules are listed).
    pub fn remove_inbox_rule(&mut self, position: usize) -> Result<InboxSettings> {
        let mut settings = self.inbox_settings()?;
        if position == 0 || position > settings.rules.len() {
            return Err(CoreError::NotFound(format!(
                "There is no rule {position}; there are {}.",
                settings.rules.len()
            )));
        }
        settings.rules.remove(position - 1);
        self.set_inbox_settings(&settings, false)
    }

    /// Ingests a claimed file: sealed, routed, recorded with its claim id.
    /// Returns `Ok(None)` when the claim was committed before (a restart
    /// after a crash): the caller only removes the original.
    pub fn ingest_claimed(
        &mut self,
        claimed: &Claimed,
        router: &Router,
    ) -> Result<Option<Ingested>> {
        if inbox::claimed(&self.conn, &claimed.claim_id)? {
            return Ok(None);
        }
        let mut file = matterbox_inbox::folder::open_no_follow(&claimed.path)?;
        // Sealed and indexed from the one handle that was checked.
        let (sealed, body, status) = self.seal_with_text(
            &mut std::io::BufReader::new(&mut file) as &mut (dyn Read + Send),
            &claimed.name,
        )?;
        let mut is_matter = |n: &str| matters::id_by_number(&self.conn, n).is_ok();
        let decision = router.route(claimed.subfolder.as_deref(), &claimed.name, &mut is_matter);
        let tags = documents::clean_tags(&decision.tags)?;
        let routed_by = match decision.by {
            RouteBy::Subfolder => "subfolder",
            RouteBy::FileName => "file_name",
            RouteBy::Rule => "rule",
            RouteBy::Unfiled => "unfiled",
        };
        // File systems allow names no document title may have (control
        // characters): the document gets a cleaned name, never a refusal
        // that would leave the claim stuck.
        let name = matterbox_domain::text::name_from_file(&claimed.name);
        self.commit_sealed(&sealed, |s| {
            s.write(|tx, rec| {
                let item = NewItem {
                    claim_id: &claimed.claim_id,
                    original_name: &name,
                    subfolder: claimed.subfolder.as_deref().unwrap_or(""),
                    size: sealed.size,
                    sha256: &sealed.sha256,
                    routed_by,
                    tags: &tags,
                };
                let matter_id = decision
                    .matter
                    .as_deref()
                    .map(|n| matters::id_by_number(tx, n))
                    .transpose()?;
                // The same content as a document anywhere: held in Unfiled,
                // flagged, for the user to decide.
                let duplicate_of = documents::find_same_content_anywhere(tx, &sealed.sha256)?;
                let (item_id, document_id) = match (matter_id, duplicate_of) {
                    (Some(m), None) => {
                        let id = documents::create(tx, m, &name, &name, &sealed.version())?;
                        search::index(tx, id, &name, &name, &body, status)?;
                        if !tags.is_empty() {
                            documents::update(
                                tx,
                                id,
                                &documents::DocumentPatch {
                                    tags: Some(tags.clone()),
                                    ..Default::default()
                                },
                            )?;
                        }
                        (inbox::record(tx, &item, &Placed::Filed(id))?, Some(id))
                    }
                    _ => {
                        let version = sealed.version();
                        let placed = Placed::Unfiled {
                            version: &version,
                            body: &body,
                            status,
                            duplicate_of,
                        };
                        (inbox::record(tx, &item, &placed)?, None)
                    }
                };
                rec.record(
                    "inbox_ingested",
                    &format!("inbox_item:{item_id}"),
                    json!({
                        "routed_by": routed_by,
                        "document": document_id.map(|d| format!("document:{d}")),
                        "matter": matter_id.filter(|_| document_id.is_some()).map(|m| format!("matter:{m}")),
                        "duplicate_of": duplicate_of.map(|d| format!("document:{d}")),
                        "size": sealed.size,
                    }),
                )?;
                Ok(Ingested {
                    name: name.clone(),
                    item_id,
                    document_id,
                    matter_number: decision.matter.clone().filter(|_| document_id.is_some()),
                    routed_by: decision.by,
                    duplicate_of,
                })
            })
        })
        .map(Some)
    }

    /// The inbox folder, for listing and moving files (quarantine, retry,
    /// subfolders) — not for ingesting, which takes an [`InboxRunner`].
    pub fn inbox_folder(&self) -> Result<Option<Folder>> {
        match self.inbox_settings()?.folder {
            Some(f) => Ok(Some(Folder::open(f)?)),
            None => Ok(None),
        }
    }

    /// The Unfiled queue, each item with how the app can show it.
    pub fn unfiled(&self) -> Result<Vec<Unfiled>> {
        Ok(inbox::unfiled(&self.conn)?
            .into_iter()
            .map(|item| Unfiled {
                preview_kind: crate::PreviewKind::of(&item.original_name),
                item,
            })
            .collect())
    }

    /// Matters a queued file may belong to: those whose number, title or
    /// client name shares a word with the file's name, best first.
    /// Matters an Unfiled item may belong to, each with why: the words of
    /// its name (four letters or more, not a number, not a word every scan
    /// carries) found in a matter's number, title or client. Open matters
    /// come first; a suggestion is a hint to the user, never a choice made
    /// for them (the app pre-selects nothing).
    pub fn unfiled_suggestions(&self, item_id: i64) -> Result<Vec<MatterSuggestion>> {
        let item = inbox::unfiled(&self.conn)?
            .into_iter()
            .find(|i| i.id == item_id)
            .ok_or_else(|| matterbox_domain::DomainError::NotFound {
                what: "unfiled inbox item",
                key: format!("id {item_id}"),
            })?;
        let stem = item
            .original_name
            .rsplit_once('.')
            .map(|(s, _)| s.to_string())
            .unwrap_or(item.original_name.clone());
        let mut words: Vec<String> = stem
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4 && w.chars().any(char::is_alphabetic))
            .map(str::to_lowercase)
            .filter(|w| !GENERIC_WORDS.contains(&w.as_str()))
            .collect();
        words.sort();
        words.dedup();
        let mut found: std::collections::HashMap<i64, (Vec<String>, MatterSummary)> =
            Default::default();
        for w in words.iter().take(12) {
            let filter = MatterFilter {
                search: Some(w.clone()),
                limit: Some(20),
                ..Default::default()
            };
            for m in matters::list(&self.conn, &filter)? {
                found
                    .entry(m.id)
                    .or_insert((Vec::new(), m))
                    .0
                    .push(w.clone());
            }
        }
        let mut ranked: Vec<(Vec<String>, MatterSummary)> = found.into_values().collect();
        ranked.sort_by(|a, b| {
            let open = |m: &MatterSummary| m.status == matterbox_domain::MatterStatus::Open;
            open(&b.1)
                .cmp(&open(&a.1))
                .then(b.0.len().cmp(&a.0.len()))
                .then(b.1.id.cmp(&a.1.id))
        });
        Ok(ranked
            .into_iter()
            .take(5)
            .map(|(words, matter)| MatterSuggestion {
                reason: format!(
                    "the name has {}",
                    words
                        .iter()
                        .map(|w| format!("\u{201c}{w}\u{201d}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                matter,
            })
            .collect())
    }

    /// Files a queued item into a matter; audited.
    pub fn file_unfiled(
        &mut self,
        item_id: i64,
        matter_id: i64,
    ) -> Result<documents::DocumentSummary> {
        let mut filed = self.file_unfiled_many(&[item_id], matter_id)?;
        Ok(filed.remove(0))
    }

    /// Files several queued items into one matter, all or none (one
    /// transaction); each is audited. Returns the documents in the order
    /// of `item_ids`.
    pub fn file_unfiled_many(
        &mut self,
        item_ids: &[i64],
        matter_id: i64,
    ) -> Result<Vec<documents::DocumentSummary>> {
        let ids = distinct_items(item_ids)?;
        matters::get(&self.conn, matter_id)?;
        let documents = self.write(|tx, rec| {
            let mut documents = Vec::with_capacity(ids.len());
            for &item_id in &ids {
                let id = inbox::file(tx, item_id, matter_id)?;
                rec.record(
                    "inbox_filed",
                    &format!("inbox_item:{item_id}"),
                    json!({ "document": format!("document:{id}"), "matter": format!("matter:{matter_id}") }),
                )?;
                documents.push(id);
            }
            Ok(documents)
        })?;
        documents
            .into_iter()
            .map(|id| Ok(documents::get(&self.conn, id)?))
            .collect()
    }

    /// A queued item's content for the in-app preview, decrypted in memory
    /// (never on disk), so the user can see what it is before filing it.
    /// Viewing is audited.
    pub fn preview_unfiled(&mut self, item_id: i64) -> Result<crate::Preview> {
        self.cancel.check()?;
        let (sealed, size) = inbox::sealed(&self.conn, item_id)?;
        self.write(|_, rec| {
            rec.record(
                "inbox_item_viewed",
                &format!("inbox_item:{item_id}"),
                json!({}),
            )
        })?;
        self.preview_sealed(&sealed, size)
    }

    /// Discards queued items for good (a scan that is not for this
    /// practice, a blank page): their names, text and keys go in one
    /// transaction, each audited, and then their encrypted files are
    /// overwritten and removed as a destruction's are. All or none.
    /// Returns how many were discarded.
    pub fn discard_unfiled(&mut self, item_ids: &[i64]) -> Result<usize> {
        let ids = distinct_items(item_ids)?;
        let discarded = self.write(|tx, rec| {
            inbox::discard(tx, &ids)?;
            for &item_id in &ids {
                rec.record(
                    "inbox_discarded",
                    &format!("inbox_item:{item_id}"),
                    json!({}),
                )?;
            }
            Ok(ids.len())
        })?;
        // Committed: the items are gone. Overwriting their files resumes at
        // the next unlock if it cannot finish now.
        if let Err(e) = self.finish_destruction() {
            self.warnings.push(format!(
                "The items are discarded (their keys and names are gone), but overwriting their encrypted files could not finish ({}); that continues at the next unlock.",
                e.user_message()
            ));
        }
        Ok(discarded)
    }
}

/// `item_ids` without repeats, in their order; at least one.
fn distinct_items(item_ids: &[i64]) -> Result<Vec<i64>> {
    let mut seen = HashSet::new();
    let ids: Vec<i64> = item_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Err(CoreError::Invalid(
            "Choose at least one Unfiled item.".into(),
        ));
    }
    Ok(ids)
}

/// Folders that hold the system or other people's files: never an inbox,
/// nor anything inside them.
const SYSTEM_TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var",
    "/System",
    "/Library",
    "/Applications",
    "/private",
];
/// Folders that hold other folders of many kinds: never an inbox
/// themselves (a folder inside them may be one).
const SHARED_ROOTS: &[&str] = &[
    "/", "/home", "/tmp", "/mnt", "/media", "/srv", "/opt", "/root", "/Users", "/Volumes",
];

/// Whether `folder` (resolved) may become an inbox. Everything in an inbox
/// and its first level of subfolders is encrypted into the vault and then
/// wiped from the folder, so the system's folders, the home folder and
/// the folders above it, and Matterbox's own data folder are refused; an
/// existing folder with anything in it is taken only when the user has
/// confirmed (`take_existing_files`) that its files may go.
pub fn check_inbox_folder(folder: &Path, take_existing_files: bool) -> Result<()> {
    let refuse = |why: &str| {
        Err(invalid(
            "folder",
            format!(
                "{} cannot be the inbox: {why}. Choose a folder of its own, such as a new \u{201c}Scans\u{201d} folder in your home folder.",
                folder.display()
            ),
        ))
    };
    if SYSTEM_TREES.iter().any(|t| folder.starts_with(t)) {
        return refuse("it is one of the system's folders");
    }
    if SHARED_ROOTS.iter().any(|r| folder == Path::new(r)) {
        return refuse("it holds other folders of every kind");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = crate::resolve_path(Path::new(&home));
        if home.starts_with(folder) {
            return refuse("it is your home folder, or holds it");
        }
    }
    if let Ok(root) = matterbox_vault::paths::vaults_root()
        && let Some(data) = root.parent()
    {
        let data = crate::resolve_path(data);
        if folder.starts_with(&data) || data.starts_with(folder) {
            return refuse("it is Matterbox's own data folder, or holds it");
        }
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        // Missing: it will be created empty and private.
        return Ok(());
    };
    let held = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            name != matterbox_inbox::folder::STATE_DIR
                && name != matterbox_inbox::folder::QUARANTINE_DIR
        })
        .count();
    if held > 0 && !take_existing_files {
        return Err(CoreError::NeedsConfirmation(format!(
            "{} already holds {held} file(s) or folder(s). Everything in an inbox, and in its matter subfolders, is encrypted into the vault and then removed from the folder. Choose an empty or new folder, or confirm that these files may be taken and removed.",
            folder.display()
        )));
    }
    Ok(())
}

fn invalid(field: &str, message: String) -> CoreError {
    CoreError::Domain(matterbox_domain::DomainError::Validation {
        field: field.into(),
        message,
    })
}

/// Drives one vault's inbox: scans, waits for files to settle, claims,
/// ingests and removes originals, quarantines what cannot be ingested,
/// and resumes claims a crash left behind.
pub struct InboxRunner {
    pub folder: Folder,
    tracker: Tracker,
    router: Router,
    max_bytes: u64,
    /// A PDF that never gets its end marker goes to the quarantine after
    /// staying unchanged this long (it is retried until then).
    give_up_after: Duration,
    /// Files that were settled but did not look complete yet.
    incomplete: HashSet<PathBuf>,
    resumed: bool,
    last_pass: Option<Instant>,
    /// Held while this runner exists: one watcher per inbox.
    _lock: std::fs::File,
}

/// With native events a full pass also runs this often, in case an event
/// was lost; otherwise an idle inbox costs nothing.
pub const SAFETY_PASS: Duration = Duration::from_secs(10);

impl InboxRunner {
    /// A runner for the session's inbox settings; `None` when no folder is
    /// set.
    pub fn new(session: &Session) -> Result<Option<Self>> {
        let settings = session.inbox_settings()?;
        let Some(folder) = settings.folder.as_deref() else {
            return Ok(None);
        };
        Self::with_settings(folder, &settings).map(Some)
    }

    pub fn with_settings(folder: &str, settings: &InboxSettings) -> Result<Self> {
        let folder = Folder::open(folder)?;
        let lock = folder.lock()?;
        Ok(Self {
            _lock: lock,
            folder,
            tracker: Tracker::new(Duration::from_millis(u64::from(settings.quiet_ms))),
            router: Router::new(&settings.rules).map_err(|e| invalid("rules", e.to_string()))?,
            max_bytes: settings.max_bytes,
            give_up_after: Duration::from_secs(600),
            incomplete: HashSet::new(),
            resumed: false,
            last_pass: None,
        })
    }

    /// Feeds a watcher hint in.
    pub fn hint(&mut self, hint: &Hint, now: Instant) {
        match hint {
            Hint::Writing(p) => self.tracker.writing(p, now),
            Hint::Done(p) => self.tracker.closed(p, now),
            Hint::Changed => {}
        }
    }

    /// Files waiting: seen and not yet taken.
    pub fn waiting(&self) -> usize {
        self.tracker.pending()
    }

    /// Whether a pass is worth running now: a watcher hint came, files are
    /// settling, or the safety interval has passed.
    pub fn due(&self, hinted: bool, now: Instant) -> bool {
        hinted
            || self.tracker.pending() > 0
            || self
                .last_pass
                .is_none_or(|t| now.saturating_duration_since(t) >= SAFETY_PASS)
    }

    /// How soon to look again for a file to settle.
    pub fn tick_interval(&self) -> Duration {
        (self.tracker.quiet() / 4).clamp(Duration::from_millis(50), Duration::from_millis(500))
    }

    /// One pass. Stops at the first error that is not the file's fault
    /// (the vault locked, a full disk): that file stays claimed and is
    /// resumed on the next pass.
    pub fn pass(&mut self, session: &mut Session, now: Instant) -> Result<InboxPass> {
        self.last_pass = Some(now);
        let mut out = InboxPass::default();
        if !self.resumed {
            for claimed in self.folder.claims()? {
                self.ingest(session, &claimed, &mut out)?;
            }
            self.resumed = true;
        }
        let mut present = HashSet::new();
        let mut subfolders = std::collections::HashMap::new();
        for found in self.folder.scan()? {
            match found {
                Found::Refused { path, reason } => {
                    let name = display_name(&path);
                    self.folder.quarantine(&path, &reason)?;
                    record_quarantine(session, &name, &reason)?;
                    out.quarantined.push((name, reason));
                }
                Found::File {
                    path,
                    subfolder,
                    size,
                    modified,
                    ..
                } => {
                    self.tracker.observe(&path, size, modified, now);
                    subfolders.insert(path.clone(), subfolder);
                    present.insert(path);
                }
            }
        }
        self.tracker.retain(&present);
        self.incomplete.retain(|p| present.contains(p));
        let settled = self.tracker.settled(now);
        let busy = matterbox_inbox::writers::open_for_writing(&settled);
        for path in settled {
            if busy.contains(&path) {
                // Still being written, however long its writer pauses.
                continue;
            }
            match Folder::looks_complete(&path) {
                Ok(true) => {}
                Ok(false) => {
                    let stuck = self
                        .tracker
                        .unchanged_for(&path, now)
                        .is_some_and(|d| d >= self.give_up_after);
                    if stuck {
                        let name = display_name(&path);
                        let reason = "The PDF never got its end marker (%%EOF): it looks cut off. Scan it again, or retry if it is complete.";
                        self.folder.quarantine(&path, reason)?;
                        record_quarantine(session, &name, reason)?;
                        out.quarantined.push((name, reason.into()));
                        self.tracker.forget(&path);
                    } else {
                        self.incomplete.insert(path);
                    }
                    continue;
                }
                // Busy or gone: look again next pass.
                Err(_) => continue,
            }
            let subfolder = subfolders.get(&path).cloned().flatten();
            let claimed = match self.folder.claim(&path, subfolder.as_deref()) {
                Ok(c) => c,
                Err(_) => continue, // moved or removed meanwhile
            };
            self.tracker.forget(&path);
            self.ingest(session, &claimed, &mut out)?;
        }
        out.waiting = self.tracker.pending();
        Ok(out)
    }

    fn ingest(
        &mut self,
        session: &mut Session,
        claimed: &Claimed,
        out: &mut InboxPass,
    ) -> Result<()> {
        // Committed before a crash: only the original is left to remove.
        if inbox::claimed(&session.conn, &claimed.claim_id)? {
            return self
                .folder
                .destroy_claimed(claimed)
                .map_err(CoreError::from);
        }
        if let Some(reason) = refusal(claimed, self.max_bytes) {
            self.folder.quarantine(&claimed.path, &reason)?;
            record_quarantine(session, &claimed.name, &reason)?;
            out.quarantined.push((claimed.name.clone(), reason));
            return Ok(());
        }
        if let Some(done) = session.ingest_claimed(claimed, &self.router)? {
            out.ingested.push(done);
        }
        self.folder
            .destroy_claimed(claimed)
            .map_err(CoreError::from)
    }
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Quarantining is audited (the reason's kind, never the file name).
fn record_quarantine(session: &mut Session, _name: &str, reason: &str) -> Result<()> {
    let object = format!("vault:{}", session.vault.id());
    let kind = reason
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ");
    session.write(|_, rec| rec.record("inbox_quarantined", &object, json!({ "reason": kind })))
}

/// The loop both shells drive: a runner and its watcher. Call
/// [`InboxDriver::due`], [`InboxDriver::pass`] when it is, then
/// [`InboxDriver::wait`], over and over. Only the pass needs the session,
/// so a shell can let go of it while waiting.
pub struct InboxDriver {
    runner: InboxRunner,
    watching: Watching,
    /// Whether the last wait brought news from the watcher.
    hinted: bool,
}

impl InboxDriver {
    /// Starts watching the session's inbox; `None` when no folder is set.
    pub fn start(session: &Session) -> Result<Option<Self>> {
        let settings = session.inbox_settings()?;
        let Some(runner) = InboxRunner::new(session)? else {
            return Ok(None);
        };
        let watching = Watching::start(&runner, settings.poll);
        Ok(Some(Self {
            runner,
            watching,
            hinted: true,
        }))
    }

    pub fn folder(&self) -> &Path {
        &self.runner.folder.root
    }

    pub fn mode(&self) -> Mode {
        self.watching.mode()
    }

    /// Why native watching failed, when it fell back to polling.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.watching.fallback_reason()
    }

    /// Whether to pass over the folder now: the watcher saw something,
    /// files are settling, the safety interval has passed, or `asked`.
    pub fn due(&self, asked: bool) -> bool {
        self.runner.due(self.hinted || asked, Instant::now())
    }

    /// One pass (see [`InboxRunner::pass`]).
    pub fn pass(&mut self, session: &mut Session) -> Result<InboxPass> {
        self.runner.pass(session, Instant::now())
    }

    /// Waits for the watcher's news or the next look at settling files.
    pub fn wait(&mut self) {
        let interval = self.runner.tick_interval();
        self.hinted = self.watching.wait(&mut self.runner, interval);
    }
}

/// A watcher on an inbox folder feeding its hints to a runner.
pub struct Watching {
    watch: matterbox_inbox::Watch,
    hints: std::sync::mpsc::Receiver<Hint>,
}

impl Watching {
    /// Starts watching (natively unless `poll`; polling every second
    /// otherwise or when native watching fails).
    pub fn start(runner: &InboxRunner, poll: bool) -> Self {
        let (tx, hints) = std::sync::mpsc::channel();
        let watch =
            matterbox_inbox::Watch::start(&runner.folder.root, poll, Duration::from_secs(1), tx);
        Self { watch, hints }
    }

    pub fn mode(&self) -> matterbox_inbox::Mode {
        self.watch.mode
    }

    pub fn fallback_reason(&self) -> Option<&str> {
        self.watch.fallback_reason.as_deref()
    }

    /// Waits up to `timeout` for hints, hands them to `runner`, and returns
    /// whether any came (a reason to pass over the folder now).
    pub fn wait(&self, runner: &mut InboxRunner, timeout: Duration) -> bool {
        let mut any = false;
        if let Ok(h) = self.hints.recv_timeout(timeout) {
            runner.hint(&h, Instant::now());
            any = true;
            while let Ok(h) = self.hints.try_recv() {
                runner.hint(&h, Instant::now());
            }
        }
        any
    }
}
