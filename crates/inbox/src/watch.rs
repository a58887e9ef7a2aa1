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

/// What an event means for the inbox. Reads (our own scans open folders)
/// and anything under the state and quarantine folders (our own moves)
/// mean nothing: reacting to them would make the watcher wake itself.
fn hints(root: &Path, event: notify::Event) -> Vec<Hint> {
    let ours = |p: &PathBuf| {
        p.starts_with(root.join(crate::folder::STATE_DIR))
            || p.starts_with(root.join(crate::folder::QUARANTINE_DIR))
    };
    let paths: Vec<PathBuf> = event.paths.into_iter().filter(|p| !ours(p)).collect();
    if paths.is_empty() {
        return Vec::new();
    }
    match event.kind {
        EventKind::Create(CreateKind::File | CreateKind::Any)
        | EventKind::Modify(ModifyKind::Data(_)) => paths.into_iter().map(Hint::Writing).collect(),
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
            paths.into_iter().map(Hint::Done).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
            paths.into_iter().map(Hint::Done).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            paths.into_iter().skip(1).map(Hint::Done).collect()
        }
        // Reads, including our own scans, and access-time or permission
        // changes say nothing new.
        EventKind::Access(_) => Vec::new(),
        EventKind::Modify(ModifyKind::Metadata(kind))
            if !matches!(kind, notify::event::MetadataKind::WriteTime) =>
        {
            Vec::new()
        }
        _ => vec![Hint::Changed],
    }
}

impl Watch {
    /// Starts watching `root` and its subfolders; hints arrive on `tx`.
    /// With `poll`, or when native watching cannot start, the folder is
    /// polled every `poll_every`.
    pub fn start(root: &Path, poll: bool, poll_every: Duration, tx: mpsc::Sender<Hint>) -> Watch {
        let handler = |mode: Mode| {
            let tx = tx.clone();
            let root = root.to_path_buf();
            move |res: notify::Result<notify::Event>| match res {
                Ok(event) => {
                    for h in hints(&root, event) {
                        // A poll sees a new or grown file but never a
                        // writer closing it: only "look now" is true.
                        let h = match mode {
                            Mode::Native => h,
                            Mode::Polling => Hint::Changed,
                        };
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
            match notify::recommended_watcher(handler(Mode::Native)) {
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
        let watcher: Box<dyn notify::Watcher + Send> =
            match notify::PollWatcher::new(handler(Mode::Polling), config) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{Event, EventKind};

    fn event(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn events_become_hints_and_our_own_moves_and_reads_are_ignored() {
        let root = Path::new("/inbox");
        let create = EventKind::Create(CreateKind::File);
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        let opened = EventKind::Access(AccessKind::Open(AccessMode::Any));
        let renamed_in = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert_eq!(
            hints(root, event(create, "/inbox/a.pdf")),
            vec![Hint::Writing("/inbox/a.pdf".into())]
        );
        assert_eq!(
            hints(root, event(closed, "/inbox/a.pdf")),
            vec![Hint::Done("/inbox/a.pdf".into())]
        );
        assert_eq!(
            hints(root, event(renamed_in, "/inbox/b.pdf")),
            vec![Hint::Done("/inbox/b.pdf".into())]
        );
        assert!(hints(root, event(read, "/inbox")).is_empty());
        assert!(hints(root, event(opened, "/inbox/2026-0001")).is_empty());
        assert!(hints(root, event(create, "/inbox/.matterbox/claimed/x/a.pdf")).is_empty());
        assert!(hints(root, event(renamed_in, "/inbox/quarantine/a.pdf")).is_empty());
        assert_eq!(
            hints(
                root,
                event(
                    EventKind::Remove(notify::event::RemoveKind::File),
                    "/inbox/a.pdf"
                )
            ),
            vec![Hint::Changed]
        );
    }

    #[test]
    fn polling_only_ever_says_look_now() {
        // A poll cannot see a writer close a file, so a "being written"
        // mark from it would never be lifted and the file never taken.
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel();
        let w = Watch::start(dir.path(), true, Duration::from_millis(20), tx);
        assert_eq!(w.mode, Mode::Polling);
        let path = dir.path().join("2026-0001_scan.pdf");
        std::fs::write(&path, "first page").unwrap();
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        std::fs::write(&path, "first page, second page").unwrap();
        let mut seen = vec![first];
        while let Ok(h) = rx.recv_timeout(Duration::from_millis(500)) {
            seen.push(h);
        }
        assert!(seen.iter().all(|h| *h == Hint::Changed), "{seen:?}");
    }
}
