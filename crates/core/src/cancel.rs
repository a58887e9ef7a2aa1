//! Stopping long work when the vault is locked. Each [`Session`](crate::Session)
//! has a [`Cancel`]; whoever may lock the vault (the desktop app's lock,
//! triggered by the user, the idle timer, sleep or a screen lock) keeps a
//! clone and sets it without waiting for the session. Long operations
//! check it between chunks (import, export, preview, the doctor's blob
//! checks, restoring a version) and stop with [`CoreError::Cancelled`],
//! leaving nothing behind: no blob, no record.
//!
//! The user's own Cancel of one piece of long work (an import, an export,
//! the doctor) is a [`Watch`]: it also hears how far the work has come
//! ([`Progress`]), for the app's progress bar. Stopping through a watch
//! leaves the session usable; each operation says what a stop leaves
//! (nothing half-done).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use ts_rs::TS;

use crate::CoreError;

/// A request to stop, shared between a session and whoever may lock it.
/// Once set it stays set: a session whose work was cancelled is about to
/// be locked.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the session's running and future operations to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Whether `other` is a clone of this one (the same session's).
    pub fn same_as(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.is_cancelled() {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// `Cancelled` if cancelling caused `e` (an I/O error from a checked
    /// reader or writer, or anything that failed after), else `e`.
    pub(crate) fn explain(&self, e: CoreError) -> CoreError {
        if self.is_cancelled() {
            CoreError::Cancelled
        } else {
            e
        }
    }
}

fn stopped() -> io::Error {
    io::Error::other("stopped: the vault is being locked")
}

/// A reader that fails once its [`Cancel`] is set: checked before every
/// read, so a stream stops within one chunk.
pub(crate) struct Checked<'a, T: ?Sized> {
    pub(crate) inner: &'a mut T,
    pub(crate) cancel: &'a Cancel,
}

impl<T: Read + ?Sized> Read for Checked<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(stopped());
        }
        self.inner.read(buf)
    }
}

impl<T: Write + ?Sized> Write for Checked<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(stopped());
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// How far a piece of long work has come, for a progress bar: item
/// `item` of `items` (a file, a document, a page), named `name`, and
/// `bytes` of its `total` (both 0 where the work is not counted in bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// From 1; 0 before the first item starts.
    pub item: u64,
    pub items: u64,
    /// The file name or document title: shown to the user, never logged.
    pub name: String,
    pub bytes: u64,
    pub total: u64,
}

/// What long work tells its caller, and how the caller stops it (the
/// desktop app's progress bar and Cancel). Both are called from the
/// working thread, between chunks; `on_progress` may be called often (the
/// caller throttles what it shows).
pub struct Watch<'a> {
    pub on_progress: &'a (dyn Fn(&Progress) + Sync),
    /// True once the user asked to stop.
    pub stop: &'a (dyn Fn() -> bool + Sync),
}

impl Watch<'static> {
    /// Nobody watching.
    pub const NONE: Watch<'static> = Watch {
        on_progress: &|_| {},
        stop: &|| false,
    };
}

impl Watch<'_> {
    pub(crate) fn stopped(&self) -> bool {
        (self.stop)()
    }

    pub(crate) fn tell(&self, progress: &Progress) {
        (self.on_progress)(progress);
    }
}

fn stopped_by_user() -> io::Error {
    io::Error::other("stopped by the user")
}

/// A reader or writer that counts the bytes passing through it into
/// `progress.bytes`, tells its [`Watch`], and fails once the watch says
/// stop (checked before every read or write, so work stops within one
/// chunk).
pub(crate) struct Counted<'a, 'w, T> {
    pub(crate) inner: T,
    pub(crate) progress: Progress,
    pub(crate) watch: &'a Watch<'w>,
}

impl<'a, 'w, T> Counted<'a, 'w, T> {
    pub(crate) fn new(inner: T, progress: Progress, watch: &'a Watch<'w>) -> Self {
        Self {
            inner,
            progress,
            watch,
        }
    }

    fn counted(&mut self, n: usize) {
        self.progress.bytes += n as u64;
        self.watch.tell(&self.progress);
    }
}

impl<T: Read> Read for Counted<'_, '_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.watch.stopped() {
            return Err(stopped_by_user());
        }
        let n = self.inner.read(buf)?;
        self.counted(n);
        Ok(n)
    }
}

impl<T: Write> Write for Counted<'_, '_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.watch.stopped() {
            return Err(stopped_by_user());
        }
        let n = self.inner.write(buf)?;
        #[cfg(feature = "test-support")]
        danger_test_pace(n);
        self.counted(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Test support: `MATTERBOX_DANGER_TEST_WORK_PACE=<milliseconds a MB>`
/// slows every watched write (exports, the doctor's checks, packages), so
/// the end-to-end tests see a progress bar and press its Cancel on files
/// of a reasonable size. Release builds have no trigger.
#[cfg(feature = "test-support")]
fn danger_test_pace(bytes: usize) {
    static PACE: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    let pace = PACE.get_or_init(|| {
        std::env::var("MATTERBOX_DANGER_TEST_WORK_PACE")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    if let Some(ms_a_mb) = *pace {
        std::thread::sleep(std::time::Duration::from_micros(
            ms_a_mb * bytes as u64 / 1000,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checked_stream_stops_once_cancelled_and_stays_stopped() {
        let cancel = Cancel::new();
        let data = [1u8; 10];
        let mut source = &data[..];
        let mut reader = Checked {
            inner: &mut source,
            cancel: &cancel,
        };
        let mut buf = [0u8; 4];
        assert_eq!(reader.read(&mut buf).unwrap(), 4);
        let mut sink = Vec::new();
        let mut writer = Checked {
            inner: &mut sink,
            cancel: &cancel,
        };
        assert_eq!(writer.write(&buf).unwrap(), 4);
        let clone = cancel.clone();
        clone.cancel();
        assert!(reader.read(&mut buf).is_err());
        assert!(writer.write(&buf).is_err());
        assert!(matches!(cancel.check(), Err(CoreError::Cancelled)));
        assert!(matches!(
            cancel.explain(CoreError::VaultLocked),
            CoreError::Cancelled
        ));
    }

    #[test]
    fn a_counted_stream_tells_its_bytes_and_stops_when_asked() {
        let seen = std::sync::Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let on_progress = |p: &Progress| seen.lock().unwrap().push(p.bytes);
        let asked = || stop.load(Ordering::SeqCst);
        let watch = Watch {
            on_progress: &on_progress,
            stop: &asked,
        };
        let start = Progress {
            item: 1,
            items: 1,
            name: "fictional.pdf".into(),
            bytes: 0,
            total: 10,
        };
        let mut out = Counted::new(Vec::new(), start.clone(), &watch);
        out.write_all(&[7u8; 6]).unwrap();
        let data = [1u8; 4];
        let mut input = Counted::new(&data[..], start, &watch);
        let mut buf = [0u8; 4];
        assert_eq!(input.read(&mut buf).unwrap(), 4);
        assert_eq!(*seen.lock().unwrap(), vec![6, 4]);
        stop.store(true, Ordering::SeqCst);
        assert!(out.write(&buf).is_err());
        assert!(input.read(&mut buf).is_err());
        assert_eq!(out.progress.bytes, 6, "nothing counted once stopped");
    }
}
