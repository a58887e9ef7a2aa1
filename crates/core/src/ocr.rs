//! Recognising scans in the background: the queue's operations on a
//! session, and the [`Recogniser`] that runs Tesseract without one.
//!
//! A worker repeats three steps, and holds the session only for the first
//! and the last:
//!
//! 1. [`Session::ocr_next_page`]: picks the next job (a running one first,
//!    resumed after a crash or a lock), counts the attempt, and decrypts the
//!    document into zeroizing memory ([`OcrTask`]).
//! 2. [`Recogniser::recognise`]: parses the document and recognises **one**
//!    page on a thread of its own, given up after the page time limit or at
//!    once when `stop` says the vault is locking. No session, no key, no
//!    database: the desktop app's lock never waits for Tesseract.
//! 3. [`Session::ocr_commit`]: records the page's text, advances the job's
//!    next page and updates the search index in one transaction (audited
//!    when the document is finished).
//!
//! So a crash resumes at the next page and no recorded page is recognised
//! twice. A page that ends the process every time it is tried (counted in
//! step 1, before recognising) is recorded failed after
//! [`MAX_PAGE_ATTEMPTS`] tries, so a bad page cannot stop the queue.
//!
//! Nothing of a document reaches the disk here: the decrypted bytes, the
//! page images and the text are in zeroizing memory (the ocr crate's
//! invariants cover Tesseract's own writes), and the text goes only into
//! the encrypted database.
//!
//! Why a thread and not a child process for the time limit: a child would
//! need the decrypted document handed over (a pipe, in clear, to another
//! process that must be hardened the same way) and a second executable to
//! ship; a thread keeps the plaintext inside this non-dumpable process. Its
//! cost: a page given up on keeps its thread (and a core) busy until
//! Tesseract returns by itself, which the ocr crate's size limits bound
//! (at most 100 megapixels a page). The next page waits for such a thread
//! to end before starting (at most one runaway at a time).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use matterbox_domain::documents;
use matterbox_domain::ocr as queue;
pub use matterbox_domain::ocr::{OcrJob, OcrMode, OcrOverview, OcrState};
pub use matterbox_domain::settings::MAX_OCR_WORKERS;
use serde_json::json;
use zeroize::Zeroizing;

use crate::{CoreError, Result, Session};

/// The name of the recognition threads (a panic there is contained: the
/// page is failed, the app goes on).
pub const THREAD_NAME: &str = "matterbox-ocr";

/// How long one page may take before it is recorded failed. A 300 dpi page
/// takes a few seconds; a loaded 2-core laptop, several times that.
pub const PAGE_TIME_LIMIT: Duration = Duration::from_secs(180);

/// How many times a page is started without a result (the process ended
/// during it) before it is recorded failed.
pub const MAX_PAGE_ATTEMPTS: u32 = 3;

/// The largest document recognised (it is decrypted into memory whole).
pub const MAX_OCR_INPUT: u64 = 512 << 20;

/// One page to recognise, with its document decrypted in memory that is
/// wiped when dropped. `Debug` shows no content.
pub struct OcrTask {
    pub document_id: i64,
    /// The document version recognised (what a worker notes as busy).
    pub version_id: i64,
    /// From 0.
    pub page: u32,
    /// `None` until a worker first opened the document.
    pub page_count: Option<u32>,
    mode: OcrMode,
    languages: Vec<String>,
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for OcrTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrTask")
            .field("document_id", &self.document_id)
            .field("page", &self.page)
            .field("page_count", &self.page_count)
            .field(
                "bytes",
                &format_args!("[{} bytes redacted]", self.bytes.len()),
            )
            .finish()
    }
}

/// What recognising one page gave, ready to record.
pub struct PageDone {
    pub document_id: i64,
    version_id: i64,
    /// From 0.
    pub page: u32,
    pub page_count: Option<u32>,
    outcome: Outcome,
}

impl std::fmt::Debug for PageDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageDone")
            .field("document_id", &self.document_id)
            .field("page", &self.page)
            .field("page_count", &self.page_count)
            .finish_non_exhaustive()
    }
}

enum Outcome {
    Recognised {
        text: Zeroizing<String>,
        confidence: u8,
    },
    TextLayer,
    /// The page failed; the document goes on.
    PageFailed(String),
    /// The document cannot be recognised at all (not a scan we read,
    /// damaged, too many pages, a language missing).
    JobFailed(String),
}

/// Recognises pages one at a time, keeping a Tesseract engine (with its
/// language models loaded) between pages of the same languages and mode.
pub struct Recogniser {
    engine: Option<(Vec<String>, OcrMode, matterbox_ocr::Engine)>,
    time_limit: Duration,
    /// Threads given up on (time limit, lock): each clears its flag when it
    /// ends.
    runaways: Vec<Arc<AtomicBool>>,
}

impl Default for Recogniser {
    fn default() -> Self {
        Recogniser::new(PAGE_TIME_LIMIT)
    }
}

impl Recogniser {
    pub fn new(time_limit: Duration) -> Recogniser {
        Recogniser {
            engine: None,
            time_limit,
            runaways: Vec::new(),
        }
    }

    /// Recognises the task's page on a thread of its own. `None` when
    /// `stop` turned true first (the vault is locking): the page is not
    /// recorded and will be tried again. A page past the time limit is
    /// recorded failed with that reason.
    pub fn recognise(&mut self, task: OcrTask, stop: &dyn Fn() -> bool) -> Option<PageDone> {
        // At most one thread given up on runs at a time: wait for it.
        loop {
            self.runaways.retain(|r| r.load(Ordering::SeqCst));
            if self.runaways.is_empty() {
                break;
            }
            if stop() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let OcrTask {
            document_id,
            version_id,
            page,
            page_count,
            mode,
            languages,
            bytes,
        } = task;
        let engine = self
            .engine
            .take()
            .filter(|(l, m, _)| *l == languages && *m == mode)
            .map(|(_, _, e)| e);
        let (tx, rx) = channel();
        let running = Arc::new(AtomicBool::new(true));
        let flag = Running(Arc::clone(&running));
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let _flag = flag;
                lower_priority();
                let out = recognise_page(engine, &bytes, page, mode, &languages);
                drop(bytes);
                // Fails when given up on: the answer is dropped (wiped).
                let _ = tx.send((out, languages));
            });
        let done = |page_count, outcome| PageDone {
            document_id,
            version_id,
            page,
            page_count,
            outcome,
        };
        if spawned.is_err() {
            return Some(done(
                page_count,
                Outcome::PageFailed(format!(
                    "page {}: the system could not start a thread for recognition",
                    page + 1
                )),
            ));
        }
        let deadline = Instant::now() + self.time_limit;
        loop {
            if stop() {
                self.runaways.push(running);
                return None;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(20))) {
                Ok(((engine, count, outcome), languages)) => {
                    self.engine = engine.map(|e| (languages, mode, e));
                    return Some(done(count.or(page_count), outcome));
                }
                Err(RecvTimeoutError::Timeout) if left.is_zero() => {
                    self.runaways.push(running);
                    return Some(done(
                        page_count,
                        Outcome::PageFailed(format!(
                            "page {}: recognition took longer than {} seconds",
                            page + 1,
                            self.time_limit.as_secs()
                        )),
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {}
                // The thread panicked (the hook contains it): the page fails.
                Err(RecvTimeoutError::Disconnected) => {
                    return Some(done(
                        page_count,
                        Outcome::PageFailed(format!(
                            "page {}: the recogniser failed on this page",
                            page + 1
                        )),
                    ));
                }
            }
        }
    }
}

/// Cleared when the recognition thread ends, however it ends (a panic
/// too).
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

type Recognised = (Option<matterbox_ocr::Engine>, Option<u32>, Outcome);

/// Parses the document and recognises page `page` (from 0). Runs on the
/// recognition thread; every failure is an outcome, never a panic.
fn recognise_page(
    engine: Option<matterbox_ocr::Engine>,
    bytes: &[u8],
    page: u32,
    mode: OcrMode,
    languages: &[String],
) -> Recognised {
    use matterbox_ocr::{Document, Engine, Kind, Options, PageOutcome};
    let Some(kind) = Kind::sniff(bytes) else {
        return (
            engine,
            None,
            Outcome::JobFailed(matterbox_ocr::Error::UnknownFormat.to_string()),
        );
    };
    let options = Options {
        languages: languages.to_vec(),
        mode: match mode {
            OcrMode::Auto => matterbox_ocr::Mode::Auto,
            OcrMode::Redo => matterbox_ocr::Mode::Redo,
            OcrMode::Force => matterbox_ocr::Mode::Force,
        },
        ..Options::default()
    };
    let document = match Document::open(kind, bytes, &options.limits) {
        Ok(d) => d,
        Err(e) => return (engine, None, Outcome::JobFailed(e.to_string())),
    };
    let count = u32::try_from(document.page_count()).unwrap_or(u32::MAX);
    if page >= count {
        return (
            engine,
            Some(count),
            Outcome::JobFailed(format!("the document has {count} pages, not {}", page + 1)),
        );
    }
    let mut engine = match engine {
        Some(e) => e,
        None => match Engine::new(&options) {
            Ok(e) => e,
            Err(e) => return (None, Some(count), Outcome::JobFailed(e.to_string())),
        },
    };
    let outcome = match engine.recognise_page(&document, page as usize) {
        Ok(PageOutcome::Recognised(t)) => Outcome::Recognised {
            text: t.text,
            confidence: t.mean_confidence.min(100),
        },
        Ok(PageOutcome::HasTextLayer) => Outcome::TextLayer,
        Err(e @ matterbox_ocr::Error::Tesseract(_)) => {
            // Tesseract itself failed: start a fresh engine next time.
            return (
                None,
                Some(count),
                Outcome::PageFailed(format!("page {}: {e}", page + 1)),
            );
        }
        Err(e) => Outcome::PageFailed(format!("page {}: {e}", page + 1)),
    };
    (Some(engine), Some(count), outcome)
}

/// How many scans the app recognises at once when the setting is
/// automatic: one fewer than the computer's cores (so one stays for the
/// user), at least one, at most four (each worker holds an engine of about
/// 140 MiB while it works).
pub fn automatic_workers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    u32::try_from(cores.saturating_sub(1).clamp(1, 4)).unwrap_or(1)
}

/// Recognition runs at this nice value (lower priority than the app's
/// other threads), so a queue of scans never makes the app sluggish.
pub const RECOGNITION_NICE: i32 = 10;

/// Lowers the calling thread's priority to [`RECOGNITION_NICE`] (on Linux
/// the nice value is per thread; elsewhere this does nothing). Failing to
/// is harmless, so it is not reported.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(None, RECOGNITION_NICE);
    }
}

/// What one run over the queue did (`matterbox ocr run`, the inbox
/// watcher).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrRunReport {
    /// Pages recorded (recognised, already text, or failed).
    pub pages: u32,
    /// Documents finished, by how they ended.
    pub done: u32,
    pub partial: u32,
    pub failed: u32,
    /// Whether jobs are still waiting (the run stopped at its bound).
    pub more: bool,
}

/// A page of text recognised in a scan, for finding within the viewer.
/// `Debug` shows its length, never the text.
#[derive(Clone, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RecognisedPage {
    /// The page number, from 1.
    pub page: u32,
    pub text: String,
}

impl std::fmt::Debug for RecognisedPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RecognisedPage({}, {} bytes)",
            self.page,
            self.text.len()
        )
    }
}

impl Session {
    /// The text recognised in document `id`'s scan (its current version),
    /// page by page, pages with none left out; empty when nothing was
    /// recognised. Reading it is viewing the document, audited as
    /// `document_viewed` (with `recognised_text`), never the text.
    pub fn recognised_text(&mut self, id: i64) -> Result<Vec<RecognisedPage>> {
        documents::get(&self.conn, id)?;
        self.write(|_, rec| {
            rec.record(
                "document_viewed",
                &format!("document:{id}"),
                json!({ "recognised_text": true }),
            )
        })?;
        Ok(queue::page_texts(&self.conn, id)?
            .into_iter()
            .map(|(page, text)| RecognisedPage { page, text })
            .collect())
    }

    /// Queues document `id` for recognition again: `Redo` and `Force`
    /// recognise every page, `Auto` the pages without text. Audited.
    pub fn ocr_document(&mut self, id: i64, mode: OcrMode) -> Result<OcrJob> {
        let doc = documents::get(&self.conn, id)?;
        if !queue::is_scan_image(&doc.original_name)
            && !doc.original_name.to_ascii_lowercase().ends_with(".pdf")
        {
            return Err(CoreError::Invalid(
                "Only PDFs and PNG, JPEG or TIFF images can be recognised.".into(),
            ));
        }
        self.write(|tx, rec| {
            let languages = matterbox_domain::settings::ocr_languages(tx)?;
            queue::enqueue(tx, id, mode, &languages)?;
            rec.record(
                "ocr_requested",
                &format!("document:{id}"),
                json!({ "mode": mode.as_str() }),
            )
        })?;
        self.ocr_job(id)?
            .ok_or(CoreError::Internal("a queued OCR job did not read back"))
    }

    /// The OCR job of a document's current version, if it has one.
    pub fn ocr_job(&self, id: i64) -> Result<Option<OcrJob>> {
        Ok(queue::job(&self.conn, id)?)
    }

    /// Counts by state, and the failed, partial and low-confidence
    /// documents.
    pub fn ocr_status(&self) -> Result<OcrOverview> {
        Ok(queue::overview(&self.conn)?)
    }

    /// The next page to recognise, with its document decrypted, or `None`
    /// when the queue is empty. Counts the attempt first (committed), so
    /// a page that ends the process is seen; documents that cannot be
    /// read end failed here with their reason.
    pub fn ocr_next_page(&mut self) -> Result<Option<OcrTask>> {
        self.ocr_next_page_passing_over(&[])
    }

    /// As [`Session::ocr_next_page`], passing over the document versions
    /// in `busy` (the ones this process's other workers are recognising),
    /// so two workers never take the same document.
    pub fn ocr_next_page_passing_over(&mut self, busy: &[i64]) -> Result<Option<OcrTask>> {
        loop {
            self.cancel.check()?;
            let Some(job) = queue::next_job(&self.conn, busy)? else {
                return Ok(None);
            };
            if job.page_attempts >= MAX_PAGE_ATTEMPTS {
                let reason = match job.page_count {
                    Some(_) => format!(
                        "page {}: recognition stopped before the end {MAX_PAGE_ATTEMPTS} times",
                        job.next_page + 1
                    ),
                    None => format!(
                        "reading the document stopped before the end {MAX_PAGE_ATTEMPTS} times"
                    ),
                };
                let outcome = match job.page_count {
                    Some(_) => Outcome::PageFailed(reason),
                    None => Outcome::JobFailed(reason),
                };
                self.ocr_commit(PageDone {
                    document_id: job.document_id,
                    version_id: job.version_id,
                    page: job.next_page,
                    page_count: job.page_count,
                    outcome,
                })?;
                continue;
            }
            let v = documents::version_key(&self.conn, job.document_id, Some(job.version))?;
            let bytes = match self.decrypt_to_memory(&v, MAX_OCR_INPUT) {
                Ok(b) => b,
                Err(CoreError::Cancelled) => return Err(CoreError::Cancelled),
                Err(e @ (CoreError::Invalid(_) | CoreError::DocumentDamaged { .. })) => {
                    self.ocr_commit(PageDone {
                        document_id: job.document_id,
                        version_id: job.version_id,
                        page: job.next_page,
                        page_count: job.page_count,
                        outcome: Outcome::JobFailed(e.user_message()),
                    })?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.transact(|tx| {
                queue::start_page(tx, job.version_id, None)?;
                Ok(())
            })?;
            return Ok(Some(OcrTask {
                document_id: job.document_id,
                version_id: job.version_id,
                page: job.next_page,
                page_count: job.page_count,
                mode: job.mode,
                languages: job.languages,
                bytes,
            }));
        }
    }

    /// Records a recognised page (or why it failed) and advances its job,
    /// in one transaction; a finished document is audited with its state,
    /// page count and mean confidence (never its text). `None` when the
    /// page is no longer wanted (a redo was asked meanwhile, the document
    /// destroyed): nothing changes.
    pub fn ocr_commit(&mut self, done: PageDone) -> Result<Option<OcrState>> {
        let PageDone {
            document_id,
            version_id,
            page,
            page_count,
            outcome,
        } = done;
        let state = self.write(|tx, rec| {
            let state = match &outcome {
                Outcome::JobFailed(reason) => {
                    let still_queued = queue::job(tx, document_id)?
                        .is_some_and(|j| matches!(j.status, OcrState::Queued | OcrState::Running));
                    if !still_queued {
                        return Ok(None);
                    }
                    Some(queue::fail_job(tx, version_id, reason)?)
                }
                other => {
                    let result = match other {
                        Outcome::Recognised { text, confidence } => queue::PageResult::Recognised {
                            text: text.as_str(),
                            confidence: *confidence,
                        },
                        Outcome::TextLayer => queue::PageResult::TextLayer,
                        Outcome::PageFailed(reason) => queue::PageResult::Failed {
                            reason: reason.clone(),
                        },
                        Outcome::JobFailed(_) => return Ok(None),
                    };
                    let count = page_count.unwrap_or(page + 1);
                    queue::commit_page(tx, version_id, page, count, &result)?
                }
            };
            if let Some(s @ (OcrState::Done | OcrState::Partial | OcrState::Failed)) = state {
                let job = queue::job(tx, document_id)?;
                rec.record(
                    "ocr_finished",
                    &format!("document:{document_id}"),
                    json!({
                        "status": s.as_str(),
                        "pages": job.as_ref().and_then(|j| j.page_count),
                        "failed_pages": job.as_ref().map(|j| j.failed_pages),
                        "mean_confidence": job.as_ref().and_then(|j| j.mean_confidence),
                    }),
                )?;
            }
            Ok(state)
        })?;
        Ok(state)
    }

    /// Works through the queue in this thread until it is empty, `max_pages`
    /// pages are recorded, or `stop` turns true (checked between pages and
    /// while a page is recognised). `on_page` hears of each page recorded.
    /// For the CLI: the desktop app's worker takes the session only around
    /// each page instead.
    pub fn ocr_run(
        &mut self,
        recogniser: &mut Recogniser,
        max_pages: Option<u32>,
        stop: &dyn Fn() -> bool,
        on_page: &mut dyn FnMut(&PageDone, Option<OcrState>),
    ) -> Result<OcrRunReport> {
        let mut report = OcrRunReport::default();
        let cancel = self.cancel.clone();
        let stop_or_lock = || stop() || cancel.is_cancelled();
        loop {
            if max_pages.is_some_and(|m| report.pages >= m) || stop_or_lock() {
                report.more = queue::next_job(&self.conn, &[])?.is_some();
                return Ok(report);
            }
            let Some(task) = self.ocr_next_page()? else {
                return Ok(report);
            };
            let Some(done) = recogniser.recognise(task, &stop_or_lock) else {
                report.more = true;
                return Ok(report);
            };
            let shown = PageDone {
                document_id: done.document_id,
                version_id: done.version_id,
                page: done.page,
                page_count: done.page_count,
                outcome: Outcome::TextLayer,
            };
            let state = self.ocr_commit(done)?;
            report.pages += 1;
            match state {
                Some(OcrState::Done) => report.done += 1,
                Some(OcrState::Partial) => report.partial += 1,
                Some(OcrState::Failed) => report.failed += 1,
                _ => {}
            }
            on_page(&shown, state);
        }
    }

    /// Runs `change` in an IMMEDIATE transaction without an audit entry:
    /// bookkeeping that records no access or change of client data (an
    /// OCR attempt counted).
    fn transact<T>(
        &mut self,
        change: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = change(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Makes OpenMP use one thread per recognising thread, for a process that
/// will recognise pages (`ocr run`, `inbox watch`, the desktop app); call
/// it first in `main`, before any thread starts.
///
/// Debian's Tesseract links libgomp, which reads `OMP_THREAD_LIMIT` once,
/// when the library is loaded (a constructor), that is before `main`: setting
/// the variable in `main` would be too late even were `set_var` allowed (it
/// is `unsafe` in edition 2024, and `unsafe` is forbidden here). So the
/// process runs itself again once (`exec`: same process id, same arguments,
/// same environment) with `OMP_THREAD_LIMIT=1`. Without it each page would
/// spread over every core of a 2-core laptop. Returns a warning when the
/// restart failed; nothing when the limit is already set.
#[cfg(unix)]
pub fn limit_openmp_threads() -> Option<String> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return None;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Some(openmp_warning(&e)),
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    let e = command.args(args).env("OMP_THREAD_LIMIT", "1").exec();
    Some(openmp_warning(&e))
}

/// Elsewhere OpenMP keeps its default (Windows and macOS builds of
/// Tesseract are not configured yet).
#[cfg(not(unix))]
pub fn limit_openmp_threads() -> Option<String> {
    None
}

#[cfg(unix)]
fn openmp_warning(e: &std::io::Error) -> String {
    format!("could not restart with OMP_THREAD_LIMIT=1 ({e}); text recognition may use every core")
}
