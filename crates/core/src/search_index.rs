//! The search accelerator kept in step with the vault (ARCHITECTURE.md,
//! "Search"): a Tantivy index in `search-index/<generation>/` beside the
//! database, sealed under its generation's key, derived from the FTS5
//! index and rebuilt from it whenever it is lost, behind, altered,
//! unreadable or erased.
//!
//! The database stays the system of record. A search is answered here
//! only when the index holds every change the database logged (the same
//! seq and stamp), checked inside the search's own write transaction, so
//! no other process can change the documents between the check and the
//! answer; otherwise, or on any error, FTS5 answers, as before.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use matterbox_domain::search::accel::{self, AccelError};
use matterbox_textindex::{Plan, TextIndex, crypt_dir};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The folder in a vault that holds the accelerator's generations.
pub const FOLDER: &str = "search-index";

/// Documents read into the index per commit while it is built.
const BUILD_BATCH: i64 = 2_000;
/// Changes applied per commit while it catches up.
const CATCH_UP_BATCH: i64 = 5_000;

/// How much work a search may do to bring the index in step before it
/// asks FTS5 instead (the vault's write lock is held meanwhile).
pub(crate) const SEARCH_BUDGET: Duration = Duration::from_millis(300);

/// What a commit of the index says it holds.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Payload {
    /// The last change applied, and its stamp.
    seq: i64,
    stamp: i64,
    /// While it is built: the last document id read (ids above it are
    /// still to come).
    built_to: Option<i64>,
}

/// Where the index stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// It holds every change: searches use it.
    InStep,
    /// It is being built or catching up: FTS5 answers meanwhile.
    Behind,
}

pub(crate) struct SearchIndex {
    root: PathBuf,
    open: Option<(i64, TextIndex)>,
    /// Why the index last failed (it is then rebuilt), for the doctor and
    /// tests; FTS5 answered.
    last_error: Option<String>,
    /// How many searches it answered (for tests).
    answered: u64,
}

impl SearchIndex {
    pub(crate) fn new(vault_dir: &Path) -> SearchIndex {
        SearchIndex {
            root: vault_dir.join(FOLDER),
            open: None,
            last_error: None,
            answered: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn answered(&self) -> u64 {
        self.answered
    }

    pub(crate) fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Answers `plan` if the index is in step, after at most `budget` of
    /// work to bring it there; `None` leaves the search to FTS5.
    pub(crate) fn search(
        &mut self,
        conn: &Connection,
        plan: &Plan,
        budget: Duration,
    ) -> Option<(u64, Vec<u64>)> {
        let answer = match self.upkeep(conn, budget) {
            Ok(Standing::InStep) => match &self.open {
                Some((_, index)) => index.search(plan).map_err(AccelError::from).map(Some),
                None => Ok(None),
            },
            Ok(Standing::Behind) => Ok(None),
            Err(e) => Err(e),
        };
        match answer {
            Ok(found) => {
                self.answered += u64::from(found.is_some());
                found
            }
            Err(e) => {
                self.note_failure(conn, e);
                None
            }
        }
    }

    /// Whether the index holds every change, read without writing (so an
    /// idle app's check touches neither the database nor the audit
    /// anchor). `false` when unsure: then an upkeep decides.
    pub(crate) fn in_step(&self, conn: &Connection) -> bool {
        let check = || -> Result<bool, AccelError> {
            let Some((generation, _)) = accel::generation(conn)? else {
                return Ok(false);
            };
            let Some((open, index)) = &self.open else {
                return Ok(false);
            };
            if *open != generation {
                return Ok(false);
            }
            let Some(payload) = committed(index)? else {
                return Ok(false);
            };
            Ok(payload.built_to.is_none()
                && accel::last_change(conn)? == (payload.seq, payload.stamp))
        };
        check().unwrap_or(false)
    }

    /// Brings the index in step as far as `budget` allows. Called inside a
    /// write transaction (it may create a generation and forgets applied
    /// changes); errors leave the index to be rebuilt.
    pub(crate) fn upkeep(
        &mut self,
        conn: &Connection,
        budget: Duration,
    ) -> Result<Standing, AccelError> {
        let started = Instant::now();
        let (generation, key) = match accel::generation(conn)? {
            Some(found) => found,
            None => {
                let mut key = Zeroizing::new([0u8; 32]);
                getrandom::fill(key.as_mut_slice())
                    .map_err(|_| AccelError("no randomness for a key".into()))?;
                // The index's commits name a change the database logged:
                // one exists from the start.
                if accel::last_change(conn)? == (0, 0) {
                    accel::note_start(conn)?;
                }
                (accel::add_generation(conn, &key)?, key)
            }
        };
        if self.open.as_ref().map(|(g, _)| *g) != Some(generation) {
            self.open = None;
            self.wipe_all_but(Some(generation))?;
            let index = TextIndex::open(&self.root.join(generation.to_string()), &key)?;
            self.open = Some((generation, index));
        }
        let Some((_, index)) = &self.open else {
            return Ok(Standing::Behind);
        };
        let mut payload = match committed(index)? {
            Some(payload) => payload,
            None => {
                let (seq, stamp) = accel::last_change(conn)?;
                Payload {
                    seq,
                    stamp,
                    built_to: Some(0),
                }
            }
        };
        // The change it followed is not this database's (one restored
        // from a backup, or edited): built again from the start.
        if accel::stamp_of(conn, payload.seq)? != Some(payload.stamp) {
            return Err(AccelError(
                "it followed another copy of the database".into(),
            ));
        }
        while let Some(after) = payload.built_to {
            if started.elapsed() > budget {
                return Ok(Standing::Behind);
            }
            let ids = accel::ids_after(conn, after, BUILD_BATCH)?;
            let docs = accel::docs(conn, &ids)?;
            payload.built_to = match ids.last() {
                Some(&last) if ids.len() as i64 == BUILD_BATCH => Some(last),
                _ => None,
            };
            index.update(&unsigned(&ids), &docs, &text(&payload)?)?;
            if payload.built_to.is_none() {
                accel::forget_changes_before(conn, payload.seq)?;
            }
        }
        loop {
            let (ids, last) = accel::changed_after(conn, payload.seq, CATCH_UP_BATCH)?;
            let Some((seq, stamp)) = last else {
                return Ok(Standing::InStep);
            };
            if started.elapsed() > budget {
                return Ok(Standing::Behind);
            }
            let docs = accel::docs(conn, &ids)?;
            payload.seq = seq;
            payload.stamp = stamp;
            index.update(&unsigned(&ids), &docs, &text(&payload)?)?;
            accel::forget_changes_before(conn, seq)?;
        }
    }

    /// The index failed: it is closed and its generation forgotten, so the
    /// next upkeep builds a new one under a new key.
    pub(crate) fn note_failure(&mut self, conn: &Connection, e: AccelError) {
        self.open = None;
        self.last_error = Some(e.0);
        // If even this fails, the index is rebuilt when it fails again.
        let _ = accel::forget_generations(conn);
    }

    /// Removes the folders of generations whose keys are gone (after a
    /// destruction has committed, and at unlock).
    pub(crate) fn wipe_forgotten(&mut self, conn: &Connection) -> Result<(), AccelError> {
        let current = accel::generation(conn)?.map(|(g, _)| g);
        if self.open.as_ref().map(|(g, _)| *g) != current {
            self.open = None;
        }
        self.wipe_all_but(current)
    }

    fn wipe_all_but(&self, keep: Option<i64>) -> Result<(), AccelError> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            if keep.is_some_and(|g| entry.file_name() == g.to_string().as_str()) {
                continue;
            }
            crypt_dir::wipe(&entry.path())?;
        }
        Ok(())
    }
}

/// What the index's last commit says it holds (`None` before the first).
fn committed(index: &TextIndex) -> Result<Option<Payload>, AccelError> {
    index
        .committed()?
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| AccelError(format!("its commit reads {e}")))
        })
        .transpose()
}

fn unsigned(ids: &[i64]) -> Vec<u64> {
    ids.iter().filter_map(|&i| u64::try_from(i).ok()).collect()
}

fn text(payload: &Payload) -> Result<String, AccelError> {
    serde_json::to_string(payload).map_err(|e| AccelError(e.to_string()))
}
