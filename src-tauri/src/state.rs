//! What the desktop app holds between commands: at most one unlocked
//! session, the time of the user's last activity, and the auto-lock delay.
//! Every data command goes through [`AppState::with_session`], which answers
//! `vault_locked` when there is no session.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use matterbox_core::{ApiError, CoreError, Environment, OpenCopies, Session};

/// Why the vault was locked, sent to the UI with the `vault-locked` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    User,
    Idle,
    Suspend,
    ScreenLocked,
}

struct Inner {
    session: Option<Session>,
    last_activity: Instant,
    auto_lock: Duration,
    /// Counts lock requests. An unlock that started before a lock request
    /// (sleep, screen lock) finished is not installed.
    lock_epoch: u64,
}

pub struct AppState {
    pub env: Environment,
    pub vaults_root: PathBuf,
    /// Decrypted copies opened with other applications; wiped on every lock.
    pub open_copies: OpenCopies,
    inner: Mutex<Inner>,
    staged: Mutex<Staged>,
    inbox_generation: std::sync::atomic::AtomicU64,
    /// What the inbox watcher last reported (for `inbox_status`).
    pub inbox_status: Mutex<crate::inbox::InboxStatus>,
    /// The vault last unlocked: its inbox is counted while locked.
    pub last_vault: Mutex<Option<PathBuf>>,
    /// The user asked for a pass now.
    pub inbox_scan_requested: std::sync::atomic::AtomicBool,
}

/// Files the user picked or dropped on the window, waiting to be imported.
/// The UI names them by token only: it never hands the backend a path, so
/// the WebView cannot make the app read a file the user did not choose.
#[derive(Default)]
struct Staged {
    next: u64,
    files: std::collections::HashMap<u64, PathBuf>,
}

/// A staged file as the UI sees it.
#[derive(Clone, Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct StagedFile {
    pub token: u64,
    pub name: String,
}

pub const DEFAULT_AUTO_LOCK: Duration = Duration::from_secs(600);

pub fn api(e: CoreError) -> ApiError {
    e.to_api()
}

fn locked() -> ApiError {
    CoreError::VaultLocked.to_api()
}

fn poisoned() -> ApiError {
    CoreError::Internal("a lock of the app's state was poisoned by a panic; restart the app")
        .to_api()
}

impl AppState {
    pub fn new(env: Environment, vaults_root: PathBuf, open_copies: OpenCopies) -> Self {
        Self {
            env,
            vaults_root,
            open_copies,
            staged: Mutex::new(Staged::default()),
            inbox_generation: std::sync::atomic::AtomicU64::new(0),
            inbox_status: Mutex::new(crate::inbox::InboxStatus::default()),
            last_vault: Mutex::new(None),
            inbox_scan_requested: std::sync::atomic::AtomicBool::new(false),
            inner: Mutex::new(Inner {
                session: None,
                last_activity: Instant::now(),
                auto_lock: DEFAULT_AUTO_LOCK,
                lock_epoch: 0,
            }),
        }
    }

    /// Runs `f` on the unlocked session and counts as user activity.
    pub fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, CoreError>,
    ) -> Result<T, ApiError> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let session = inner.session.as_mut().ok_or_else(locked)?;
        let out = f(session).map_err(api)?;
        inner.last_activity = Instant::now();
        Ok(out)
    }

    /// Runs `f` on the unlocked session for background work (the inbox):
    /// not user activity, so it never keeps the vault from auto-locking.
    pub fn with_session_in_background<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, CoreError>,
    ) -> Result<T, ApiError> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let session = inner.session.as_mut().ok_or_else(locked)?;
        f(session).map_err(api)
    }

    /// Counts sessions and inbox setting changes: the inbox watcher starts
    /// over when it moves.
    pub fn inbox_generation(&self) -> u64 {
        self.inbox_generation
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn bump_inbox(&self) {
        self.inbox_generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The current lock epoch: take it before a slow unlock starts.
    pub fn lock_epoch(&self) -> Result<u64, ApiError> {
        Ok(self.inner.lock().map_err(|_| poisoned())?.lock_epoch)
    }

    /// Installs a freshly unlocked session, replacing (and locking) any other.
    /// If a lock was requested since `epoch` (the computer went to sleep
    /// while Argon2id ran), the new session is locked at once instead.
    pub fn set_session(
        &self,
        session: Session,
        auto_lock: Duration,
        epoch: u64,
    ) -> Result<(), ApiError> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        if inner.lock_epoch != epoch {
            drop(inner);
            // Dropping the session zeroizes its keys even if recording fails.
            let _ = session.lock();
            return Err(locked());
        }
        let old = inner.session.take();
        self.finish_lock(old);
        if let Ok(mut last) = self.last_vault.lock() {
            *last = Some(session.vault().dir().to_path_buf());
        }
        inner.session = Some(session);
        self.bump_inbox();
        inner.last_activity = Instant::now();
        inner.auto_lock = auto_lock;
        Ok(())
    }

    pub fn set_auto_lock(&self, auto_lock: Duration) -> Result<(), ApiError> {
        self.inner.lock().map_err(|_| poisoned())?.auto_lock = auto_lock;
        Ok(())
    }

    pub fn touch(&self) -> Result<(), ApiError> {
        self.inner.lock().map_err(|_| poisoned())?.last_activity = Instant::now();
        Ok(())
    }

    pub fn unlocked_vault(&self) -> Option<PathBuf> {
        let inner = self.inner.lock().ok()?;
        inner
            .session
            .as_ref()
            .map(|s| s.vault().dir().to_path_buf())
    }

    /// Locks if unlocked: drops the session and its keys, recording the
    /// lock in the audit log as a best effort (a full disk must not keep a
    /// vault open). Returns whether a session was locked.
    pub fn lock(&self) -> Result<bool, ApiError> {
        let session = {
            let mut inner = self.inner.lock().map_err(|_| poisoned())?;
            inner.lock_epoch += 1;
            inner.session.take()
        };
        Ok(self.finish_lock(session))
    }

    /// Records the lock (best effort; dropping the session zeroizes the
    /// keys even if recording fails), wipes opened copies and forgets
    /// staged files.
    fn finish_lock(&self, session: Option<Session>) -> bool {
        let Some(s) = session else {
            return false;
        };
        let _ = s.lock();
        self.bump_inbox();
        self.wipe_open_copies();
        if let Ok(mut staged) = self.staged.lock() {
            staged.files.clear();
        }
        true
    }

    /// Wipes the decrypted copies opened with other applications. Errors
    /// go to the log only: locking must never fail because of them.
    pub fn wipe_open_copies(&self) {
        if let Err(e) = self.open_copies.wipe() {
            eprintln!("matterbox-desktop: {}", e.user_message());
        }
    }

    /// Stages files for import; returns their tokens and names.
    pub fn stage(&self, paths: Vec<PathBuf>) -> Result<Vec<StagedFile>, ApiError> {
        let mut staged = self.staged.lock().map_err(|_| poisoned())?;
        Ok(paths
            .into_iter()
            .map(|path| {
                staged.next += 1;
                let token = staged.next;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                staged.files.insert(token, path);
                StagedFile { token, name }
            })
            .collect())
    }

    /// The path staged under `token`, if any (it stays staged).
    pub fn staged_path(&self, token: u64) -> Result<Option<PathBuf>, ApiError> {
        Ok(self
            .staged
            .lock()
            .map_err(|_| poisoned())?
            .files
            .get(&token)
            .cloned())
    }

    pub fn unstage(&self, token: u64) -> Result<(), ApiError> {
        self.staged
            .lock()
            .map_err(|_| poisoned())?
            .files
            .remove(&token);
        Ok(())
    }

    /// Locks when the user has been idle longer than the auto-lock delay.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let session = {
            let Ok(mut inner) = self.inner.lock() else {
                return false;
            };
            let idle = now.saturating_duration_since(inner.last_activity);
            if inner.session.is_none() || idle < inner.auto_lock {
                return false;
            }
            inner.session.take()
        };
        self.finish_lock(session)
    }

    /// Whether `path` is a folder inside the vaults folder, after resolving
    /// `..` and symbolic links.
    pub fn vault_path_allowed(&self, path: &Path) -> bool {
        match (path.canonicalize(), self.vaults_root.canonicalize()) {
            (Ok(p), Ok(root)) => p.starts_with(&root) && p != root,
            _ => false,
        }
    }
}
