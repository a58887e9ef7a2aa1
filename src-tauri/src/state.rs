//! What the desktop app holds between commands: at most one unlocked
//! session, the time of the user's last activity, and the auto-lock delay.
//! Every data command goes through [`AppState::with_session`], which answers
//! `vault_locked` when there is no session.
//!
//! Locking takes effect at once, even during long work: the session's
//! [`Cancel`] and the lock epoch live outside the session's mutex (in
//! `Control`), so [`AppState::lock`] sets them without waiting for the
//! running command. From that moment new commands are refused, the running
//! one stops between chunks (`Cancelled`, nothing kept), and as soon as it
//! returns the session is taken out and dropped: its keys zeroize.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use matterbox_core::{ApiError, Cancel, CoreError, Environment, OpenCopies, Session};

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
}

/// What a lock request changes without waiting for the session's mutex
/// (held by a running command for as long as it runs). Never held for
/// long, and never while waiting for `inner`.
#[derive(Default)]
struct Control {
    /// Counts lock requests. An unlock that started before a lock request
    /// (sleep, screen lock) finished is not installed.
    lock_epoch: u64,
    /// The installed session's cancellation; `None` when locked.
    cancel: Option<Cancel>,
}

pub struct AppState {
    pub env: Environment,
    pub vaults_root: PathBuf,
    /// Decrypted copies opened with other applications; wiped on every lock.
    pub open_copies: OpenCopies,
    inner: Mutex<Inner>,
    control: Mutex<Control>,
    staged: Mutex<Staged>,
    inbox_generation: std::sync::atomic::AtomicU64,
    /// What the inbox watcher last reported (for `inbox_status`).
    pub inbox_status: Mutex<crate::inbox::InboxStatus>,
    /// The vault last unlocked: its inbox is counted while locked.
    pub last_vault: Mutex<Option<PathBuf>>,
    /// The user asked for a pass now.
    pub inbox_scan_requested: std::sync::atomic::AtomicBool,
    /// Wakes the OCR worker (an unlock, a retry) before its rest is over.
    pub ocr_wake: Wake,
    /// The user pressed Cancel on the long work running now (an import, an
    /// export, the doctor: one at a time, as each holds the session), read
    /// between two chunks; cleared when the next piece of work starts.
    pub work_stop: std::sync::atomic::AtomicBool,
    /// What the core warned of after a change it saved but could not tidy
    /// up after (`Session::take_warnings`), kept until the UI takes it.
    warnings: Mutex<Vec<String>>,
    /// Told whenever a warning is kept (the app emits `WARNINGS_EVENT`).
    warned: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
}

/// A wake-up call for a background thread (the core's, shared with the
/// CLI's OCR workers).
pub use matterbox_core::ocr::Wake;

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

/// Warnings kept for the UI at most (a full disk repeats one per change).
const MAX_WARNINGS: usize = 20;

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
            ocr_wake: Wake::default(),
            work_stop: std::sync::atomic::AtomicBool::new(false),
            warnings: Mutex::new(Vec::new()),
            warned: std::sync::OnceLock::new(),
            inner: Mutex::new(Inner {
                session: None,
                last_activity: Instant::now(),
                auto_lock: DEFAULT_AUTO_LOCK,
            }),
            control: Mutex::new(Control::default()),
        }
    }

    /// `vault_locked` at once, without waiting for a running command, when
    /// no session is installed or a lock was requested.
    fn refuse_if_locking(&self) -> Result<(), ApiError> {
        let control = self.control.lock().map_err(|_| poisoned())?;
        match &control.cancel {
            Some(cancel) if !cancel.is_cancelled() => Ok(()),
            _ => Err(locked()),
        }
    }

    /// The session, unless none is installed or a lock was requested while
    /// this command waited for the one before it.
    fn usable(inner: &mut Inner) -> Result<&mut Session, ApiError> {
        match inner.session.as_mut() {
            Some(s) if !s.lock_requested() => Ok(s),
            _ => Err(locked()),
        }
    }

    /// Runs `f` on the unlocked session and counts as user activity. A
    /// lock requested while `f` runs stops it (`vault_locked`).
    pub fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, CoreError>,
    ) -> Result<T, ApiError> {
        self.refuse_if_locking()?;
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let session = Self::usable(&mut inner)?;
        let out = f(&mut *session);
        self.keep_warnings(session);
        let out = out.map_err(api)?;
        inner.last_activity = Instant::now();
        Ok(out)
    }

    /// Runs `f` on the unlocked session for background work (the inbox):
    /// not user activity, so it never keeps the vault from auto-locking.
    pub fn with_session_in_background<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, CoreError>,
    ) -> Result<T, ApiError> {
        self.refuse_if_locking()?;
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let session = Self::usable(&mut inner)?;
        let out = f(&mut *session);
        self.keep_warnings(session);
        out.map_err(api)
    }

    /// Keeps the session's warnings for the UI (a repeated one once, at
    /// most `MAX_WARNINGS`) and tells the UI there are some.
    fn keep_warnings(&self, session: &mut Session) {
        let new = session.take_warnings();
        if new.is_empty() {
            return;
        }
        if let Ok(mut kept) = self.warnings.lock() {
            for w in new {
                if !kept.contains(&w) && kept.len() < MAX_WARNINGS {
                    kept.push(w);
                }
            }
        }
        if let Some(tell) = self.warned.get() {
            tell();
        }
    }

    /// The warnings kept since the UI last took them.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// Sets who is told when a warning is kept (once, at start).
    pub fn on_warning(&self, tell: impl Fn() + Send + Sync + 'static) {
        let _ = self.warned.set(Box::new(tell));
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
        Ok(self.control.lock().map_err(|_| poisoned())?.lock_epoch)
    }

    /// Installs a freshly unlocked session, replacing (and locking) any other.
    /// If a lock was requested since `epoch` (the computer went to sleep
    /// while Argon2id ran), the new session is locked at once instead.
    pub fn set_session(
        &self,
        mut session: Session,
        auto_lock: Duration,
        epoch: u64,
    ) -> Result<(), ApiError> {
        // What the unlock could not tidy up (a repaired recovery slot, a
        // destruction to finish) is shown, not lost.
        self.keep_warnings(&mut session);
        let refuse = |session: Session| {
            // Dropping the session zeroizes its keys even if recording fails.
            let _ = session.lock();
            Err(locked())
        };
        {
            let mut control = self.control.lock().map_err(|_| poisoned())?;
            if control.lock_epoch != epoch {
                drop(control);
                return refuse(session);
            }
            // The session being replaced stops its running command.
            if let Some(old) = control.cancel.replace(session.cancel_handle()) {
                old.cancel();
            }
        }
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        // A lock requested while this waited for `inner` cancelled the new
        // session (a lock that already finished could not take it out).
        if session.lock_requested() {
            drop(inner);
            return refuse(session);
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
        drop(inner);
        // Scans left half-way continue at once.
        self.ocr_wake.wake();
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
    ///
    /// The request takes effect before this waits for anything: new
    /// commands are refused and a running one is cancelled (it stops
    /// between chunks); the session is taken out as soon as that command
    /// returns.
    pub fn lock(&self) -> Result<bool, ApiError> {
        self.request_lock()?;
        let session = self.inner.lock().map_err(|_| poisoned())?.session.take();
        Ok(self.finish_lock(session))
    }

    /// The part of a lock that never waits: counts the request (an unlock
    /// running now will not be installed) and cancels the session's work.
    fn request_lock(&self) -> Result<(), ApiError> {
        let mut control = self.control.lock().map_err(|_| poisoned())?;
        control.lock_epoch += 1;
        if let Some(cancel) = control.cancel.take() {
            cancel.cancel();
        }
        Ok(())
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
    /// A command still running is activity: then nothing is locked, and
    /// this never waits for it.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let session = {
            let Ok(mut inner) = self.inner.try_lock() else {
                return false;
            };
            let idle = now.saturating_duration_since(inner.last_activity);
            if inner.session.is_none() || idle < inner.auto_lock {
                return false;
            }
            inner.session.take()
        };
        // Taken out already; cancelling it refuses the commands that come
        // next at once instead of after waiting for `inner`. A session
        // installed meanwhile keeps its own.
        if let Some(s) = &session {
            let cancel = s.cancel_handle();
            cancel.cancel();
            if let Ok(mut control) = self.control.lock()
                && control.cancel.as_ref().is_some_and(|c| c.same_as(&cancel))
            {
                control.cancel = None;
            }
        }
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::mpsc::{channel, sync_channel};
    use std::time::{Duration, Instant};

    use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
    use matterbox_core::{CoreError, Environment, ErrorCode, KdfChoice, OpenCopies, Session};

    use super::AppState;

    /// Long enough that only a hang reaches it: it turns a deadlock into a
    /// failure instead of a stuck suite.
    const HANG: Duration = Duration::from_secs(60);

    fn env(dir: &Path) -> Environment {
        Environment {
            keychain_timeout: Duration::from_secs(5),
            device_secret_dir: dir.join("device-secrets"),
            actor: "test".into(),
            attempts_mirror: Some(dir.join("unlock-attempts")),
        }
    }

    fn state(dir: &Path) -> Arc<AppState> {
        Arc::new(AppState::new(
            env(dir),
            dir.join("vaults"),
            OpenCopies::new(dir.join("open-copies")),
        ))
    }

    fn session(dir: &Path, name: &str) -> Session {
        matterbox_core::create_vault(
            &env(dir),
            &dir.join("vaults").join(name),
            name,
            &Passphrase::new("correct horse battery staple".into()),
            DeviceSecretStorage::DangerPlainFile,
            KdfChoice::Fixed(KdfCost::MINIMUM),
        )
        .unwrap()
        .session
    }

    fn unlocked(dir: &Path, auto_lock: Duration) -> Arc<AppState> {
        let state = state(dir);
        let epoch = state.lock_epoch().unwrap();
        state
            .set_session(session(dir, "one"), auto_lock, epoch)
            .unwrap();
        state
    }

    fn code<T>(r: Result<T, matterbox_core::ApiError>) -> Option<ErrorCode> {
        r.err().map(|e| e.code())
    }

    #[test]
    fn without_a_session_every_command_is_vault_locked() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path());
        assert_eq!(
            code(state.with_session(|_| Ok(()))),
            Some(ErrorCode::VaultLocked)
        );
        assert_eq!(
            code(state.with_session_in_background(|_| Ok(()))),
            Some(ErrorCode::VaultLocked)
        );
        assert!(!state.lock().unwrap());
    }

    /// The rule of the issue: a lock during long work cancels it at once,
    /// refuses new commands without waiting for it, and takes the session
    /// (with its keys) out as soon as it returns.
    #[test]
    fn a_lock_during_a_long_command_cancels_it_and_refuses_new_ones_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path(), Duration::from_secs(600));
        let (started_tx, started) = channel();
        let (saw_tx, saw) = channel();
        let (go, go_rx) = channel::<()>();
        // A long command: it works until asked to stop, as the core's
        // import does between chunks, then waits for the test to let it
        // return, so the test can act while it still holds the session.
        let long = std::thread::spawn({
            let state = Arc::clone(&state);
            move || {
                state.with_session(|s| {
                    started_tx.send(()).unwrap();
                    let deadline = Instant::now() + HANG;
                    while !s.lock_requested() && Instant::now() < deadline {
                        std::thread::yield_now();
                    }
                    saw_tx.send(s.lock_requested()).unwrap();
                    let _ = go_rx.recv_timeout(HANG);
                    if s.lock_requested() {
                        Err(CoreError::Cancelled)
                    } else {
                        Ok(())
                    }
                })
            }
        });
        started.recv_timeout(HANG).unwrap();
        let locking = std::thread::spawn({
            let state = Arc::clone(&state);
            move || state.lock()
        });
        // The running command sees the request while it still runs: the
        // lock did not wait for it.
        assert!(
            saw.recv_timeout(HANG).unwrap(),
            "the lock never reached the command"
        );
        // A new command is refused while the long one still holds the
        // session (it answers before the test lets the long one go).
        let (answer_tx, answer) = sync_channel(1);
        let newcomer = std::thread::spawn({
            let state = Arc::clone(&state);
            move || {
                answer_tx
                    .send(code(state.with_session(|_| Ok(()))))
                    .unwrap()
            }
        });
        assert_eq!(
            answer.recv_timeout(HANG).unwrap(),
            Some(ErrorCode::VaultLocked),
            "a new command waited for the running one"
        );
        assert!(
            !locking.is_finished(),
            "the lock finished before the command returned"
        );
        go.send(()).unwrap();
        assert_eq!(code(long.join().unwrap()), Some(ErrorCode::VaultLocked));
        assert!(locking.join().unwrap().unwrap(), "no session was locked");
        newcomer.join().unwrap();
        // The session is gone: nothing answers but vault_locked.
        assert_eq!(state.unlocked_vault(), None);
        assert_eq!(
            code(state.with_session(|_| Ok(()))),
            Some(ErrorCode::VaultLocked)
        );
    }

    #[test]
    fn an_unlock_that_started_before_a_lock_is_not_installed() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path());
        let epoch = state.lock_epoch().unwrap();
        // The computer slept while Argon2id ran.
        state.lock().unwrap();
        let refused =
            state.set_session(session(dir.path(), "one"), Duration::from_secs(600), epoch);
        assert_eq!(code(refused), Some(ErrorCode::VaultLocked));
        assert_eq!(
            code(state.with_session(|_| Ok(()))),
            Some(ErrorCode::VaultLocked)
        );
        // An unlock after the lock is installed.
        let epoch = state.lock_epoch().unwrap();
        state
            .set_session(session(dir.path(), "two"), Duration::from_secs(600), epoch)
            .unwrap();
        assert!(state.with_session(|_| Ok(())).is_ok());
    }

    #[test]
    fn idle_time_follows_the_given_clock_and_a_running_command_is_not_idle() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path(), Duration::from_secs(60));
        let now = Instant::now();
        assert!(!state.lock_if_idle(now + Duration::from_secs(30)));
        assert!(state.with_session(|_| Ok(())).is_ok());

        // While a command runs the idle check neither locks nor waits.
        let (started_tx, started) = channel();
        let (go, go_rx) = channel::<()>();
        let long = std::thread::spawn({
            let state = Arc::clone(&state);
            move || {
                state.with_session(|_| {
                    started_tx.send(()).unwrap();
                    let _ = go_rx.recv_timeout(HANG);
                    Ok(())
                })
            }
        });
        started.recv_timeout(HANG).unwrap();
        assert!(!state.lock_if_idle(Instant::now() + Duration::from_secs(3600)));
        go.send(()).unwrap();
        long.join().unwrap().unwrap();

        assert!(state.lock_if_idle(Instant::now() + Duration::from_secs(61)));
        assert_eq!(
            code(state.with_session(|_| Ok(()))),
            Some(ErrorCode::VaultLocked)
        );
        assert!(!state.lock_if_idle(Instant::now() + Duration::from_secs(3600)));
    }

    #[test]
    fn a_new_session_replaces_the_old_and_stops_its_work() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path(), Duration::from_secs(600));
        let old = state.with_session(|s| Ok(s.cancel_handle())).unwrap();
        let epoch = state.lock_epoch().unwrap();
        state
            .set_session(session(dir.path(), "two"), Duration::from_secs(600), epoch)
            .unwrap();
        assert!(old.is_cancelled());
        assert!(state.unlocked_vault().unwrap().ends_with("two"));
        assert!(state.with_session(|s| Ok(!s.lock_requested())).unwrap());
    }

    #[test]
    fn a_change_saved_with_a_warning_reaches_the_ui_once() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked(dir.path(), Duration::from_secs(600));
        let told = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = told.clone();
        state.on_warning(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        assert!(state.take_warnings().is_empty());
        // The audit log's record beside the database cannot be replaced
        // (a folder in its place): every change is saved with a warning.
        let anchor = dir.path().join("vaults/one/audit-anchor.json");
        std::fs::remove_file(&anchor).unwrap();
        std::fs::create_dir(&anchor).unwrap();
        std::fs::write(anchor.join("x"), b"x").unwrap();
        for name in ["Quill Fictional", "Wren Fictional"] {
            state
                .with_session(|s| {
                    s.create_client(&matterbox_core::domain::ClientInput {
                        name: name.into(),
                        ..Default::default()
                    })
                })
                .unwrap();
        }
        let warnings = state.take_warnings();
        // One per change, and the UI was told each time.
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings.iter().all(|w| w.contains("was saved")),
            "{warnings:?}"
        );
        assert_eq!(told.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(state.take_warnings().is_empty(), "given once");
        // The clients were saved.
        let clients = state.with_session(|s| s.clients(None)).unwrap();
        assert_eq!(clients.len(), 2);
    }
}
