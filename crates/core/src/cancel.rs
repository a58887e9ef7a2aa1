//! Stopping long work when the vault is locked. Each [`Session`](crate::Session)
//! has a [`Cancel`]; whoever may lock the vault (the desktop app's lock,
//! triggered by the user, the idle timer, sleep or a screen lock) keeps a
//! clone and sets it without waiting for the session. Long operations
//! check it between chunks (import, export, preview, the doctor's blob
//! checks, restoring a version) and stop with [`CoreError::Cancelled`],
//! leaving nothing behind: no blob, no record.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}
