//! When a file in the inbox is complete enough to take.
//!
//! A file is settled when nothing is writing it (native watching saw the
//! writer close it, or it was renamed in) and its size and modification
//! time have not changed for the quiet period. Without native events
//! (polling, a network share) only the quiet period applies. The clock is
//! passed in, so the rules are tested without sleeping.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

#[derive(Clone, Debug)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    stable_since: Instant,
    /// A native event said a writer has it open.
    writing: bool,
}

/// What the tracker knows about the files of the inbox.
#[derive(Debug)]
pub struct Tracker {
    quiet: Duration,
    files: HashMap<PathBuf, Seen>,
}

impl Tracker {
    pub fn new(quiet: Duration) -> Self {
        Self {
            quiet,
            files: HashMap::new(),
        }
    }

    pub fn quiet(&self) -> Duration {
        self.quiet
    }

    /// Records what a scan saw; a change of size or time restarts the
    /// quiet period.
    pub fn observe(&mut self, path: &Path, size: u64, modified: Option<SystemTime>, now: Instant) {
        match self.files.get_mut(path) {
            Some(seen) if seen.size == size && seen.modified == modified => {}
            Some(seen) => {
                seen.size = size;
                seen.modified = modified;
                seen.stable_since = now;
            }
            None => {
                self.files.insert(
                    path.to_path_buf(),
                    Seen {
                        size,
                        modified,
                        stable_since: now,
                        writing: false,
                    },
                );
            }
        }
    }

    /// A native event: the file was created or written to.
    pub fn writing(&mut self, path: &Path, now: Instant) {
        let seen = self.files.entry(path.to_path_buf()).or_insert(Seen {
            size: u64::MAX,
            modified: None,
            stable_since: now,
            writing: true,
        });
        seen.writing = true;
        seen.stable_since = now;
    }

    /// A native event: the writer closed the file, or it was renamed in.
    pub fn closed(&mut self, path: &Path, now: Instant) {
        if let Some(seen) = self.files.get_mut(path) {
            seen.writing = false;
            seen.stable_since = now;
        }
    }

    /// Files unchanged for the quiet period and not being written.
    pub fn settled(&self, now: Instant) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(_, s)| {
                !s.writing && now.saturating_duration_since(s.stable_since) >= self.quiet
            })
            .map(|(p, _)| p.clone())
            .collect();
        out.sort();
        out
    }

    /// How long ago the file last changed (for giving up on a file that
    /// never completes).
    pub fn unchanged_for(&self, path: &Path, now: Instant) -> Option<Duration> {
        self.files
            .get(path)
            .map(|s| now.saturating_duration_since(s.stable_since))
    }

    /// Forgets files no scan saw any more, and one that was taken.
    pub fn retain(&mut self, present: &std::collections::HashSet<PathBuf>) {
        self.files.retain(|p, _| present.contains(p));
    }

    pub fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    pub fn pending(&self) -> usize {
        self.files.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Duration = Duration::from_millis(1500);

    #[test]
    fn a_file_settles_after_the_quiet_period() {
        let t0 = Instant::now();
        let p = Path::new("/inbox/scan.pdf");
        let mut t = Tracker::new(Q);
        t.observe(p, 10, None, t0);
        assert!(t.settled(t0 + Duration::from_millis(1499)).is_empty());
        assert_eq!(t.settled(t0 + Q), vec![p.to_path_buf()]);
    }

    #[test]
    fn growth_restarts_the_quiet_period() {
        let t0 = Instant::now();
        let p = Path::new("/inbox/scan.pdf");
        let mut t = Tracker::new(Q);
        t.observe(p, 10, None, t0);
        t.observe(p, 20, None, t0 + Duration::from_secs(1));
        assert!(t.settled(t0 + Duration::from_secs(2)).is_empty());
        assert_eq!(t.settled(t0 + Duration::from_millis(2500)).len(), 1);
        // Same size, new time: still a change.
        let later = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(5));
        t.observe(p, 20, later, t0 + Duration::from_secs(3));
        assert!(t.settled(t0 + Duration::from_secs(4)).is_empty());
    }

    #[test]
    fn an_open_writer_holds_the_file_however_long_it_pauses() {
        let t0 = Instant::now();
        let p = Path::new("/inbox/slow.pdf");
        let mut t = Tracker::new(Q);
        t.writing(p, t0);
        t.observe(p, 10, None, t0);
        assert!(t.settled(t0 + Duration::from_secs(60)).is_empty());
        t.closed(p, t0 + Duration::from_secs(60));
        assert!(t.settled(t0 + Duration::from_secs(61)).is_empty());
        assert_eq!(t.settled(t0 + Duration::from_millis(61_500)).len(), 1);
    }

    #[test]
    fn files_no_longer_there_are_forgotten() {
        let t0 = Instant::now();
        let mut t = Tracker::new(Q);
        t.observe(Path::new("/a"), 1, None, t0);
        t.observe(Path::new("/b"), 1, None, t0);
        t.retain(&[PathBuf::from("/b")].into_iter().collect());
        assert_eq!(t.pending(), 1);
        assert_eq!(t.settled(t0 + Q), vec![PathBuf::from("/b")]);
    }
}
