//! Watching the inbox folder: native events (inotify, FSEvents,
//! ReadDirectoryChangesW) when they work, polling otherwise — on request
//! (network shares send no events) or when native watching fails. Events
//! only say "look now" and whether a writer is busy; the scan decides.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::Serialize;
use ts_rs::TS;

/// How the inbox is being watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Native,
    Polling,
}

/// What an event says about a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// Created or written: a writer may still be busy.
    Writing(PathBuf),
    /// Closed after writing, or renamed in: the writer is done.
    Done(PathBuf),
    /// Something changed; scan.
    Changed,
}

pub struct Watch {
    _watcher: Box<dyn notify::Watcher + Send>,
    pub mode: Mode,
    /// Why native watching is not used, when it is not.
    pub fallback_reason: Option<String>,
}

fn hints(event: notify::Event) -> Vec<Hint> {
    let paths = event.paths;
    match event.kind {
        EventKind::Create(CreateKind::File | CreateKind::Any) | EventKind::Modify(ModifyKind::Data(_)) => {
            paths.into_iter().map(Hint::Writing).collect()
        }
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => paths.into_iter().map(Hint::Done).collect(),
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => paths.into_iter().map(Hint::Done).collect(),
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            paths.into_iter().skip(1).map(Hint::Done).collect()
        }
        _ => vec![Hint::Changed],
    }
}

impl Watch {
    /// Starts watching `root` and its subfolders; hints arrive on `tx`.
    /// With `poll`, or when native watching cannot start, the folder is
    /// polled every `poll_every`.
    pub fn start(root: &Path, poll: bool, poll_every: Duration, tx: mpsc::Sender<Hint>) -> Watch {
        let handler = {
            let tx = tx.clone();
            move |res: notify::Result<notify::Event>| match res {
                Ok(event) => {
                    for h in hints(event) {
                        let _ = tx.send(h);
                    }
                }
                Err(_) => {
                    let _ = tx.send(Hint::Changed);
                }
            }
        };
        let mut fallback_reason = None;
        if !poll {
            match notify::recommended_watcher(handler.clone()) {
                Ok(mut w) => match w.watch(root, RecursiveMode::Recursive) {
                    Ok(()) => {
                        return Watch {
                            _watcher: Box::new(w),
                            mode: Mode::Native,
                            fallback_reason: None,
                        };
                    }
                    Err(e) => fallback_reason = Some(e.to_string()),
                },
                Err(e) => fallback_reason = Some(e.to_string()),
            }
        }
        let config = notify::Config::default().with_poll_interval(poll_every);
        let watcher: Box<dyn notify::Watcher + Send> = match notify::PollWatcher::new(handler, config) {
            Ok(mut w) => {
                let _ = w.watch(root, RecursiveMode::Recursive);
                Box::new(w)
            }
            // The periodic scan still runs: nothing is missed, only later.
            Err(e) => {
                fallback_reason = Some(e.to_string());
                Box::new(notify::NullWatcher)
            }
        };
        Watch {
            _watcher: watcher,
            mode: Mode::Polling,
            fallback_reason,
        }
    }
}
