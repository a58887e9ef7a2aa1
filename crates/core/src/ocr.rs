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

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
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

    /// Works through the queue until it is empty, `max_pages` pages are
    /// recorded, or `stop` turns true (checked between pages and while a
    /// page is recognised), with one worker thread per recogniser (the
    /// CLI gives [`Session::ocr_worker_count`] of them), each taking a
    /// different document: the same [`OcrWorkers`] steps as the desktop
    /// app's workers, over this one session shared between them.
    /// `on_page` hears of each page recorded. The first error stops every
    /// worker and is returned.
    pub fn ocr_run(
        &mut self,
        recognisers: &mut [Recogniser],
        max_pages: Option<u32>,
        stop: &(dyn Fn() -> bool + Sync),
        on_page: &(dyn Fn(&PageDone, Option<OcrState>) + Sync),
    ) -> Result<OcrRunReport> {
        let workers = OcrWorkers::default();
        let report = Mutex::new(OcrRunReport::default());
        // Pages taken or being taken, against max_pages.
        let taken = AtomicU32::new(0);
        let halt = AtomicBool::new(false);
        let failure: Mutex<Option<CoreError>> = Mutex::new(None);
        {
            let shared = SharedSession::new(self);
            let halted = || halt.load(Ordering::SeqCst) || stop();
            std::thread::scope(|scope| {
                for recogniser in recognisers.iter_mut() {
                    let (shared, workers, report, taken, halt, failure, halted) =
                        (&shared, &workers, &report, &taken, &halt, &failure, &halted);
                    scope.spawn(move || {
                        loop {
                            if halted() {
                                return;
                            }
                            let reserved = taken.fetch_add(1, Ordering::SeqCst);
                            let give_back = || taken.fetch_sub(1, Ordering::SeqCst);
                            if max_pages.is_some_and(|m| reserved >= m) {
                                give_back();
                                return;
                            }
                            match workers.step(None, shared, recogniser, halted, &mut |_| {}) {
                                Ok(WorkerStep::Recorded { page, state }) => {
                                    if let Ok(mut r) = report.lock() {
                                        r.pages += 1;
                                        match state {
                                            Some(OcrState::Done) => r.done += 1,
                                            Some(OcrState::Partial) => r.partial += 1,
                                            Some(OcrState::Failed) => r.failed += 1,
                                            _ => {}
                                        }
                                    }
                                    on_page(&page, state);
                                }
                                // Nothing this worker may take (the queue is
                                // empty or its documents are taken), or
                                // stopped: it is done.
                                Ok(WorkerStep::Rest | WorkerStep::Abandoned) => {
                                    give_back();
                                    return;
                                }
                                Err(e) => {
                                    give_back();
                                    if let Ok(mut f) = failure.lock() {
                                        f.get_or_insert(e);
                                    }
                                    halt.store(true, Ordering::SeqCst);
                                    return;
                                }
                            }
                        }
                    });
                }
            });
        }
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e);
        }
        let mut report = report
            .into_inner()
            .map_err(|_| CoreError::Internal("the OCR run's report"))?;
        report.more = queue::next_job(&self.conn, &[])?.is_some();
        Ok(report)
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

/// How OCR workers reach the session: only around each step, so
/// recognition itself runs with no session held (the desktop app's
/// background access, which never delays auto-lock; the CLI's one session
/// shared between its workers).
pub trait SessionAccess: Sync {
    type Error;
    fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T>,
    ) -> std::result::Result<T, Self::Error>;
}

/// One session shared by a process's OCR workers (and, in `inbox watch`,
/// the inbox), each holding it in turn.
pub struct SharedSession<'a>(Mutex<&'a mut Session>);

impl<'a> SharedSession<'a> {
    pub fn new(session: &'a mut Session) -> Self {
        SharedSession(Mutex::new(session))
    }
}

impl SessionAccess for SharedSession<'_> {
    type Error = CoreError;

    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let mut session = self
            .0
            .lock()
            .map_err(|_| CoreError::Internal("the shared session"))?;
        f(&mut session)
    }
}

/// A process's OCR workers: the document versions they are recognising,
/// so that two workers never take the same document. Each worker thread
/// keeps its own [`Recogniser`] and calls [`OcrWorkers::step`] in a loop;
/// the desktop app runs [`MAX_OCR_WORKERS`] of them (those beyond the
/// setting rest), `ocr run` and `inbox watch` the setting's count.
#[derive(Default)]
pub struct OcrWorkers {
    busy: Mutex<HashSet<i64>>,
}

/// What one worker step did.
pub enum WorkerStep {
    /// Nothing to take (the queue is empty or its documents are taken by
    /// other workers, the vault is locked, or this worker is beyond the
    /// setting's count): rest.
    Rest,
    /// A page was taken, then left because `stop` (or a lock) came first:
    /// not recorded, tried again later.
    Abandoned,
    /// A page recorded, with the document's state after it (`Some` when
    /// that was its last page, or it failed).
    Recorded {
        page: PageDone,
        state: Option<OcrState>,
    },
}

/// Takes a version out of the busy set when its page is done or left.
struct Taken<'a>(&'a Mutex<HashSet<i64>>, i64);

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.0.lock() {
            busy.remove(&self.1);
        }
    }
}

impl OcrWorkers {
    /// One page: takes the next one (passing over the documents other
    /// workers hold) with the session, recognises it without, records it
    /// with the session again. `index` is the worker's number when it
    /// works only while it is within the vault's setting (the app's
    /// workers, which follow the setting as it changes); `started` hears
    /// of the page before recognition begins.
    pub fn step<A: SessionAccess>(
        &self,
        index: Option<u32>,
        access: &A,
        recogniser: &mut Recogniser,
        stop: &dyn Fn() -> bool,
        started: &mut dyn FnMut(&OcrTask),
    ) -> std::result::Result<WorkerStep, A::Error> {
        // The session is held while the next page is chosen and noted as
        // busy: two workers cannot choose the same document.
        let next = access.with_session(|s| {
            if index.is_some_and(|i| s.ocr_worker_count().is_ok_and(|n| i >= n)) {
                return Ok(None);
            }
            let mut busy = self
                .busy
                .lock()
                .map_err(|_| CoreError::Internal("the OCR workers' list"))?;
            let passing_over: Vec<i64> = busy.iter().copied().collect();
            let task = s.ocr_next_page_passing_over(&passing_over)?;
            if let Some(t) = &task {
                busy.insert(t.version_id);
            }
            Ok(task.map(|t| (t, s.cancel_handle())))
        })?;
        let Some((task, cancel)) = next else {
            return Ok(WorkerStep::Rest);
        };
        let _taken = Taken(&self.busy, task.version_id);
        started(&task);
        let Some(done) = recogniser.recognise(task, &|| stop() || cancel.is_cancelled()) else {
            return Ok(WorkerStep::Abandoned);
        };
        let page = PageDone {
            document_id: done.document_id,
            version_id: done.version_id,
            page: done.page,
            page_count: done.page_count,
            outcome: Outcome::TextLayer,
        };
        let state = access.with_session(|s| s.ocr_commit(done))?;
        Ok(WorkerStep::Recorded { page, state })
    }
}

/// A wake-up call for background threads that rest between looks (OCR
/// workers, woken by an import, a retry or an ingested file). Every
/// resting thread wakes, and a call made while a thread was busy is not
/// lost: each thread keeps the count of calls it has seen.
#[derive(Default)]
pub struct Wake {
    calls: Mutex<u64>,
    signal: std::sync::Condvar,
}

impl Wake {
    pub fn wake(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls = calls.wrapping_add(1);
            self.signal.notify_all();
        }
    }

    /// Rests for `at_most`, or until a call this thread has not `seen`.
    pub fn wait(&self, seen: &mut u64, at_most: Duration) {
        let Ok(calls) = self.calls.lock() else {
            std::thread::sleep(at_most);
            return;
        };
        if let Ok((calls, _)) = self
            .signal
            .wait_timeout_while(calls, at_most, |c| *c == *seen)
        {
            *seen = *calls;
        }
    }
}
