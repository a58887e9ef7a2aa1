//! What the desktop app holds between commands: at most one unlocked
//! session, the time of the user's last activity, and the auto-lock delay.
//! Every data command goes through [`AppState::with_session`], which answers
//! `vault_locked` when there is no session.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use matterbox_core::{ApiError, CoreError, Environment, ErrorCode, Session};

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
    inner: Mutex<Inner>,
}

pub const DEFAULT_AUTO_LOCK: Duration = Duration::from_secs(600);

pub fn api(e: CoreError) -> ApiError {
    e.to_api()
}

fn locked() -> ApiError {
    CoreError::VaultLocked.to_api()
}

fn poisoned() -> ApiError {
    ApiError {
        code: ErrorCode::Internal,
        message: "Matterbox hit an internal error; please restart it.".into(),
    }
}

impl AppState {
    pub fn new(env: Environment, vaults_root: PathBuf) -> Self {
        Self {
            env,
            vaults_root,
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
        if let Some(old) = inner.session.take() {
            let _ = old.lock();
        }
        inner.session = Some(session);
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
        match session {
            Some(s) => {
                let _ = s.lock();
                Ok(true)
            }
            None => Ok(false),
        }
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
        match session {
            Some(s) => {
                // Dropping the session zeroizes the keys even if recording the lock fails.
                let _ = s.lock();
                true
            }
            None => false,
        }
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
