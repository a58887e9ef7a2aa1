//! The repository: saving, checking, restoring and thinning out backups
//! with `rustic_core`, in a folder or an object store ([`crate::s3`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rustic_backend::LocalBackend;

use rustic_core::{
    BackupOptions, CheckOptions, ConfigOptions, Credentials, KeepOptions, KeyOptions, LimitOption,
    LocalDestination, LsOptions, OpenStatus, ParentOptions, PathList, Progress, ProgressBars,
    ProgressType, PruneOptions, ReadSubsetOption, Repository, RepositoryBackends,
    RepositoryOptions, RestoreOptions, RusticProgress, SnapshotOptions,
};

use crate::s3;
use crate::{BackupError, Location, REPOSITORY_DIR, Result, S3Credentials};

/// A location ready to use: a folder, or a store with its access key.
#[derive(Clone, Debug)]
pub struct Destination {
    location: Location,
    store: Option<s3::Store>,
}

impl Destination {
    pub fn folder(root: impl Into<PathBuf>) -> Self {
        Destination {
            location: Location::Folder(root.into()),
            store: None,
        }
    }

    /// A store needs its access key; a folder takes none.
    pub fn new(location: Location, credentials: Option<&S3Credentials>) -> Result<Self> {
        let store = match (&location, credentials) {
            (Location::Folder(_), _) => None,
            (Location::Store(s), Some(c)) => Some(s3::Store::new(s, c)?),
            (Location::Store(s), None) => {
                return Err(BackupError::Destination(format!(
                    "No access key for the backup store {s} is kept on this computer: enter it again."
                )));
            }
        };
        Ok(Destination { location, store })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The folder, for a folder destination.
    pub fn folder_root(&self) -> Option<&Path> {
        match &self.location {
            Location::Folder(root) => Some(root),
            Location::Store(_) => None,
        }
    }

    /// A public file kept beside the repository; `None` when there is none.
    pub fn read_public(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match (&self.location, &self.store) {
            (_, Some(store)) => store.get(&store.location().key_of(name), None),
            (Location::Folder(root), None) => {
                let path = root.join(name);
                match std::fs::read(&path) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(BackupError::Io { path, source }),
                }
            }
            (Location::Store(_), None) => unreachable!("a store destination has its store"),
        }
    }

    /// Writes a public file beside the repository, whole or not at all.
    pub fn write_public(&self, name: &str, bytes: &[u8]) -> Result<()> {
        match (&self.location, &self.store) {
            (_, Some(store)) => store.put(&store.location().key_of(name), bytes),
            (Location::Folder(root), None) => write_atomic(&root.join(name), bytes),
            (Location::Store(_), None) => unreachable!("a store destination has its store"),
        }
    }

    /// Whether a repository was started here.
    pub fn has_repository(&self) -> Result<bool> {
        match (&self.location, &self.store) {
            (_, Some(store)) => {
                let key = store.location().key_of(&format!("{REPOSITORY_DIR}/config"));
                Ok(store.list(&key)?.iter().any(|(k, _)| *k == key))
            }
            (Location::Folder(root), None) => {
                Ok(root.join(REPOSITORY_DIR).join("config").is_file())
            }
            (Location::Store(_), None) => unreachable!("a store destination has its store"),
        }
    }

    fn backends(&self) -> Result<RepositoryBackends> {
        self.backends_at(REPOSITORY_DIR)
    }

    /// The backends of the repository at `dir` (a name beside the public
    /// files).
    fn backends_at(&self, dir: &str) -> Result<RepositoryBackends> {
        match (&self.location, &self.store) {
            (_, Some(store)) => Ok(RepositoryBackends::new(
                Arc::new(s3::S3Backend::new(store, dir)),
                None,
            )),
            (Location::Folder(root), None) => {
                let path = root.join(dir);
                let path_str = path.to_str().ok_or_else(|| {
                    BackupError::Destination(format!(
                        "The backup folder {} has a name that is not valid text.",
                        path.display()
                    ))
                })?;
                let local = LocalBackend::new(path_str, Vec::<(String, String)>::new())
                    .map_err(|e| self.failed(&e))?;
                Ok(RepositoryBackends::new(Arc::new(local), None))
            }
            (Location::Store(_), None) => unreachable!("a store destination has its store"),
        }
    }

    fn failed(&self, e: &dyn std::fmt::Display) -> BackupError {
        BackupError::Failed {
            place: self.location.to_string(),
            detail: one_line(e),
        }
    }
}

/// Writes `bytes` to `path` whole or not at all (the project's one
/// atomic write: a temporary file beside it, synced, renamed over).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    matterbox_vault::fsutil::write_atomic(path, bytes).map_err(|e| match e {
        matterbox_vault::VaultError::Io { path, source } => BackupError::Io { path, source },
        other => BackupError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

/// rustic's messages span several lines with hints for its own CLI; the
/// first line says what failed.
fn one_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_string()
}

/// How far a long step has come, for a progress bar. Shared with the
/// thread doing the work; `cancel` stops it between files.
#[derive(Debug, Default)]
pub struct Activity {
    pub bytes_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub cancel: AtomicBool,
}

/// The progress shared between the worker and whoever shows it.
pub type Watch = Arc<Activity>;

#[derive(Debug)]
struct Bars(Watch);

impl ProgressBars for Bars {
    fn progress(&self, kind: ProgressType, _prefix: &str) -> Progress {
        match kind {
            ProgressType::Bytes => Progress::new(ByteBar(self.0.clone())),
            _ => Progress::hidden(),
        }
    }
}

#[derive(Debug)]
struct ByteBar(Watch);

impl RusticProgress for ByteBar {
    fn is_hidden(&self) -> bool {
        false
    }
    fn set_length(&self, len: u64) {
        self.0.bytes_total.store(len, Ordering::Relaxed);
        self.0.bytes_done.store(0, Ordering::Relaxed);
    }
    fn set_title(&self, _title: &str) {}
    fn inc(&self, inc: u64) {
        self.0.bytes_done.fetch_add(inc, Ordering::Relaxed);
    }
    fn finish(&self) {}
}

/// An open repository. Each operation opens its own handle with the
/// repository's master key (no password stretching again).
pub struct Repo {
    dest: Destination,
    key: rustic_core::repofile::MasterKey,
    watch: Watch,
}

fn repository_options() -> RepositoryOptions {
    // No local cache: the repository's files stay at the destination only.
    RepositoryOptions::default().no_cache(true)
}

/// Opens the repository at `dest`, or starts one there when it holds
/// none. A folder (or a store prefix) that holds other things under
/// `repository/` and no repository is refused: the user's files are never
/// mixed with a backup.
pub fn open_or_init(dest: &Destination, password: &str, watch: Watch) -> Result<Repo> {
    dest.check_reachable()?;
    let credentials = Credentials::password(password);
    if !dest.has_repository()? {
        init(dest, &credentials)?;
    }
    let repo = Repository::new_with_progress(
        &repository_options(),
        &dest.backends()?,
        Bars(watch.clone()),
    )
    .map_err(|e| dest.failed(&e))?
    .open(&credentials)
    .map_err(|_| BackupError::WrongKey(dest.location.repository()))?;
    Ok(Repo {
        dest: dest.clone(),
        key: repo.key(),
        watch,
    })
}

impl Destination {
    /// The folder is there (the drive is plugged in), or the store answers
    /// to the access key.
    pub fn check_reachable(&self) -> Result<()> {
        match (&self.location, &self.store) {
            (_, Some(store)) => store.check_reachable(),
            (Location::Folder(root), None) => {
                let meta = std::fs::metadata(root).map_err(|e| {
                    BackupError::Destination(match e.kind() {
                        std::io::ErrorKind::NotFound => format!(
                            "The backup folder {} is not there (is the drive plugged in?).",
                            root.display()
                        ),
                        _ => format!("The backup folder {} cannot be read: {e}.", root.display()),
                    })
                })?;
                if !meta.is_dir() {
                    return Err(BackupError::Destination(format!(
                        "{} is not a folder.",
                        root.display()
                    )));
                }
                Ok(())
            }
            (Location::Store(_), None) => unreachable!("a store destination has its store"),
        }
    }
}

/// Starts a repository. In a folder it is made in a hidden folder beside
/// its place and renamed into place once complete: a crash leaves no
/// half-made repository that would refuse every later backup. A store has
/// no rename: rustic writes the repository's `config` last, so an
/// interrupted start leaves only key files, which the next start removes
/// (a stale key would be tried first and refuse the new repository).
fn init(dest: &Destination, credentials: &Credentials) -> Result<()> {
    let start = |dir: &str| {
        Repository::new(&repository_options(), &dest.backends_at(dir)?)
            .and_then(|r| {
                r.init(
                    credentials,
                    &KeyOptions::default(),
                    &ConfigOptions::default(),
                )
            })
            .map(|_| ())
            .map_err(|e| dest.failed(&e))
    };
    let Some(root) = dest.folder_root() else {
        if let Some(store) = &dest.store {
            store.clear_interrupted_start(REPOSITORY_DIR)?;
        }
        return start(REPOSITORY_DIR);
    };
    let repository = root.join(REPOSITORY_DIR);
    if repository.exists() {
        return Err(BackupError::Destination(format!(
            "{} exists but holds no backup repository; choose another folder.",
            repository.display()
        )));
    }
    let prefix = format!(".{REPOSITORY_DIR}.starting-");
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!("{prefix}{}-{stamp}", std::process::id());
    let staging = root.join(&name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BackupError::Io { path, source }
    };
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let placed =
        start(&name).and_then(|()| std::fs::rename(&staging, &repository).map_err(io(&repository)));
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    placed
}

/// Opens an existing repository (for a restore: nothing is created).
pub fn open(dest: &Destination, password: &str, watch: Watch) -> Result<Repo> {
    dest.check_reachable()?;
    if !dest.has_repository()? {
        return Err(BackupError::Destination(format!(
            "There is no Matterbox backup at {}.",
            dest.location
        )));
    }
    open_or_init(dest, password, watch)
}

/// One snapshot as the user sees it.
#[derive(Clone, Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub id: String,
    /// RFC 3339.
    pub time: String,
    #[ts(type = "number")]
    pub files: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    pub tags: Vec<String>,
}

/// What one backup saved.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub snapshot: SnapshotInfo,
    pub files_new: u64,
    pub files_changed: u64,
    /// Bytes added to the repository, after deduplication and compression.
    pub bytes_written: u64,
}

/// What a check found: no problems means the repository is sound.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    pub problems: Vec<String>,
    /// Findings that do not affect the stored data (leftovers of an
    /// interrupted backup that the next prune removes).
    pub notes: Vec<String>,
    /// Which share of the stored data was read back and authenticated,
    /// as `(n, m)`: the n-th of m parts; `(1, 1)` is all of it.
    pub data_read: (u32, u32),
}

impl Repo {
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    fn open(&self) -> Result<Repository<OpenStatus>> {
        Repository::new_with_progress(
            &repository_options(),
            &self.dest.backends()?,
            Bars(self.watch.clone()),
        )
        .and_then(|r| r.open(&Credentials::Masterkey(self.key.clone())))
        .map_err(|e| self.failed(&e))
    }

    fn failed(&self, e: &dyn std::fmt::Display) -> BackupError {
        self.dest.failed(e)
    }

    /// Runs `f`, turning a panic inside the repository code (it stops on
    /// some kinds of damaged data that way) into `Damaged`: a damaged
    /// backup is reported, never a crash and never a success.
    fn guard<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
            Err(BackupError::Damaged {
                place: self.dest.location.repository(),
                detail: "the repository code stopped on data that is not what it should be".into(),
            })
        })
    }

    fn check_cancel(&self) -> Result<()> {
        if self.watch.cancel.load(Ordering::Relaxed) {
            return Err(BackupError::Cancelled);
        }
        Ok(())
    }

    /// Saves `source` (a folder) as `as_path` in a new snapshot, tagged
    /// `tags`. A file whose size and modification time are those of the
    /// last snapshot is taken as unchanged without being read: the caller
    /// hands files that never change in place once written (a hard link
    /// changes a file's ctime, so ctime and inode are not compared).
    pub fn backup(&self, source: &Path, as_path: &str, tags: &[&str]) -> Result<Saved> {
        self.guard(|| {
            self.check_cancel()?;
            let source_str = source.to_str().ok_or_else(|| {
                BackupError::Destination(format!(
                    "{} has a name that is not valid text.",
                    source.display()
                ))
            })?;
            let sources = PathList::from_string(source_str)
                .map_err(|e| self.failed(&e))?
                .sanitize()
                .map_err(|e| self.failed(&e))?;
            let options = BackupOptions::default()
                .as_path(PathBuf::from(as_path))
                .parent_opts(
                    ParentOptions::default()
                        .ignore_ctime(true)
                        .ignore_inode(true),
                );
            let mut snap_opts = SnapshotOptions::default();
            for tag in tags {
                snap_opts = snap_opts.add_tags(tag).map_err(|e| self.failed(&e))?;
            }
            let snap = snap_opts.to_snapshot().map_err(|e| self.failed(&e))?;
            let repo = self.open()?;
            let indexed = repo.to_indexed_ids().map_err(|e| self.failed(&e))?;
            let saved = indexed
                .backup(&options, &sources, snap)
                .map_err(|e| self.failed(&e))?;
            // Stopped while it ran (the caller took the files away): the
            // snapshot saved is not a backup; its data goes at the next prune.
            if self.watch.cancel.load(Ordering::Relaxed) {
                let _ = indexed.delete_snapshots(&[saved.id]);
                return Err(BackupError::Cancelled);
            }
            let summary = saved.summary.clone().unwrap_or_default();
            Ok(Saved {
                files_new: summary.files_new,
                files_changed: summary.files_changed,
                bytes_written: summary.data_added_packed,
                snapshot: info(&saved),
            })
        })
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.guard(|| {
            let mut all = self
                .open()?
                .get_all_snapshots()
                .map_err(|e| self.failed(&e))?;
            all.sort_by(|a, b| a.time.cmp(&b.time));
            Ok(all.iter().map(info).collect())
        })
    }

    /// Checks the repository's structure (every index, snapshot and tree
    /// is there and authentic) and reads back the `part`-th of `parts`
    /// shares of the stored data, authenticating every byte of it.
    pub fn check(&self, part: u32, parts: u32) -> Result<Checked> {
        self.guard(|| {
            self.check_cancel()?;
            let parts = parts.max(1);
            let part = part.clamp(1, parts);
            let subset = if parts == 1 {
                ReadSubsetOption::All
            } else {
                ReadSubsetOption::IdSubSet((part, parts))
            };
            let options = CheckOptions::default()
                .read_data(true)
                .read_data_subset(subset);
            let found = self
                .open()?
                .check(options)
                .map_err(|e| BackupError::Damaged {
                    place: self.dest.location.repository(),
                    detail: one_line(&e),
                })?;
            // The level type is not exported by name; its Debug form is
            // the variant's name. A warning (a pack an interrupted backup
            // wrote but never indexed) does not affect the data: the next
            // prune removes it.
            let (problems, notes): (Vec<_>, Vec<_>) = found
                .0
                .iter()
                .partition(|(level, _)| format!("{level:?}") != "Warn");
            Ok(Checked {
                problems: problems.iter().map(|(_, e)| one_line(e)).collect(),
                notes: notes.iter().map(|(_, e)| one_line(e)).collect(),
                data_read: (part, parts),
            })
        })
    }

    /// Restores the snapshot `id` (or the newest) into `target`, which
    /// must not exist yet. Returns the snapshot restored.
    pub fn restore(&self, id: Option<&str>, target: &Path) -> Result<SnapshotInfo> {
        self.guard(|| {
            self.check_cancel()?;
            if target.exists() {
                return Err(BackupError::Destination(format!(
                    "{} exists already; a restore never writes over files.",
                    target.display()
                )));
            }
            let snapshot = self
                .open()?
                .get_snapshot_from_str(id.unwrap_or("latest"), |_| true)
                .map_err(|e| match id {
                    Some(id) => BackupError::Destination(format!(
                        "There is no backup {id} at {} ({}).",
                        self.dest.location,
                        one_line(&e)
                    )),
                    None => self.failed(&e),
                })?;
            let indexed = self.open()?.to_indexed().map_err(|e| self.failed(&e))?;
            let node = indexed
                .node_from_snapshot_and_path(&snapshot, "")
                .map_err(|e| self.failed(&e))?;
            let target_str = target.to_str().ok_or_else(|| {
                BackupError::Destination(format!(
                    "{} has a name that is not valid text.",
                    target.display()
                ))
            })?;
            let dest = LocalDestination::new(target_str, true, !node.is_dir())
                .map_err(|e| self.failed(&e))?;
            let ls = LsOptions::default();
            let options = RestoreOptions::default();
            let plan = indexed
                .prepare_restore(
                    &options,
                    indexed.ls(&node, &ls).map_err(|e| self.failed(&e))?,
                    &dest,
                    false,
                )
                .map_err(|e| self.failed(&e))?;
            indexed
                .restore(
                    plan,
                    &options,
                    indexed.ls(&node, &ls).map_err(|e| self.failed(&e))?,
                    &dest,
                )
                .map_err(|e| BackupError::Damaged {
                    place: self.dest.location.repository(),
                    detail: one_line(&e),
                })?;
            Ok(info(&snapshot))
        })
    }

    /// Removes the snapshots `drop` says to remove (given each one's
    /// info), never the one named `keep`; then prunes, so the data only
    /// they held is gone from the destination: packs holding any of it are
    /// rewritten at once and the old ones deleted (no "delete later"
    /// grace, no unused share left behind). Returns the removed ids.
    pub fn forget_and_prune(
        &self,
        keep: &str,
        drop: impl Fn(&SnapshotInfo) -> bool,
    ) -> Result<Vec<String>> {
        self.guard(|| {
            self.check_cancel()?;
            let all = self
                .open()?
                .get_all_snapshots()
                .map_err(|e| self.failed(&e))?;
            let gone: Vec<_> = all
                .iter()
                .filter(|s| full_id(&s.id) != keep && drop(&info(s)))
                .map(|s| s.id)
                .collect();
            if gone.is_empty() {
                return Ok(Vec::new());
            }
            let repo = self.open()?;
            repo.delete_snapshots(&gone).map_err(|e| self.failed(&e))?;
            let options = PruneOptions::default()
                .max_repack(LimitOption::Unlimited)
                .max_unused(LimitOption::Percentage(0))
                .keep_delete(rustic_core::jiff::Span::new())
                .instant_delete(true);
            let plan = repo.prune_plan(&options).map_err(|e| self.failed(&e))?;
            repo.prune(&options, plan).map_err(|e| self.failed(&e))?;
            Ok(gone.iter().map(|id| full_id(id)).collect())
        })
    }

    /// The snapshots a schedule of daily, weekly and monthly backups keeps
    /// (the newest of each of the last `daily` days, `weekly` weeks,
    /// `monthly` months): every other one is removed and the repository
    /// pruned. The newest snapshot is always kept.
    pub fn thin_out(&self, daily: i32, weekly: i32, monthly: i32) -> Result<Vec<String>> {
        self.guard(|| {
            let all = self
                .open()?
                .get_all_snapshots()
                .map_err(|e| self.failed(&e))?;
            let Some(newest) = all
                .iter()
                .max_by(|a, b| a.time.cmp(&b.time))
                .map(|s| full_id(&s.id))
            else {
                return Ok(Vec::new());
            };
            let keep = KeepOptions::default()
                .keep_daily(daily)
                .keep_weekly(weekly)
                .keep_monthly(monthly);
            let decided = keep
                .apply(all, &rustic_core::jiff::Zoned::now())
                .map_err(|e| self.failed(&e))?;
            let dropped: std::collections::BTreeSet<String> = decided
                .iter()
                .filter(|d| !d.keep)
                .map(|d| full_id(&d.snapshot.id))
                .collect();
            self.forget_and_prune(&newest, |s| dropped.contains(&s.id))
        })
    }

    /// The files of snapshot `id`, with their sizes, relative to its root.
    pub fn files(&self, id: &str) -> Result<BTreeMap<String, u64>> {
        self.guard(|| {
            let snapshot = self
                .open()?
                .get_snapshot_from_str(id, |_| true)
                .map_err(|e| self.failed(&e))?;
            let indexed = self.open()?.to_indexed().map_err(|e| self.failed(&e))?;
            let node = indexed
                .node_from_snapshot_and_path(&snapshot, "")
                .map_err(|e| self.failed(&e))?;
            let mut out = BTreeMap::new();
            for item in indexed
                .ls(&node, &LsOptions::default().recursive(true))
                .map_err(|e| self.failed(&e))?
            {
                let (path, node) = item.map_err(|e| self.failed(&e))?;
                if node.is_file() {
                    out.insert(path.to_string_lossy().into_owned(), node.meta.size);
                }
            }
            Ok(out)
        })
    }
}

fn info(s: &rustic_core::repofile::SnapshotFile) -> SnapshotInfo {
    let summary = s.summary.clone().unwrap_or_default();
    SnapshotInfo {
        id: full_id(&s.id),
        time: s.time.timestamp().to_string(),
        files: summary.total_files_processed,
        bytes: summary.total_bytes_processed,
        tags: s.tags.iter().map(ToString::to_string).collect(),
    }
}

/// Whether a panic at `file` (a source path) is in the repository code
/// whose panics [`Repo`] catches and reports as a damaged backup.
pub fn panics_are_contained_in(file: &str) -> bool {
    file.contains("/rustic_core-") || file.contains("/rustic_backend-")
}

/// A snapshot's full id (64 hex digits), as `restic snapshots --json` shows it.
fn full_id(id: &rustic_core::Id) -> String {
    id.to_hex().as_str().to_string()
}

#[cfg(test)]
mod tests;
