//! The OCR queue's records (schema migration 11): a job per document
//! version to recognise, and the text of each page as it is recognised.
//!
//! Only SQL and the rules of the queue live here; reading the document,
//! recognising pages and the worker's locking are the core's. A job is only
//! ever kept for a document's current version: indexing a new version
//! (`search::index`) drops the older versions' jobs and pages.
//!
//! Pages are recorded one at a time, in order: [`commit_page`] inserts the
//! page, advances `next_page` and rewrites the document's `ocr` column in
//! the search index, all in the caller's transaction. A crash before the
//! commit leaves the page to be recognised again; after it, never again.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::DomainError;

/// Which pages of a document are recognised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OcrMode {
    /// Pages that already carry text are left as they are (the default).
    #[default]
    Auto,
    /// Every page is recognised again from its image.
    Redo,
    /// As `Redo`; for a searchable-PDF export it would also replace the
    /// page's text layer (the stored original is never changed).
    Force,
}

impl OcrMode {
    pub fn as_str(self) -> &'static str {
        match self {
            OcrMode::Auto => "auto",
            OcrMode::Redo => "redo",
            OcrMode::Force => "force",
        }
    }

    pub fn parse(s: &str) -> OcrMode {
        match s {
            "redo" => OcrMode::Redo,
            "force" => OcrMode::Force,
            _ => OcrMode::Auto,
        }
    }
}

/// Where a document's recognition stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OcrState {
    Queued,
    Running,
    /// Every page was recognised (or already had text).
    Done,
    /// Some pages were recognised, some failed (see the reason).
    Partial,
    Failed,
}

impl OcrState {
    pub fn as_str(self) -> &'static str {
        match self {
            OcrState::Queued => "queued",
            OcrState::Running => "running",
            OcrState::Done => "done",
            OcrState::Partial => "partial",
            OcrState::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> OcrState {
        match s {
            "running" => OcrState::Running,
            "done" => OcrState::Done,
            "partial" => OcrState::Partial,
            "failed" => OcrState::Failed,
            _ => OcrState::Queued,
        }
    }
}

/// Below this mean confidence a recognised document is listed for review.
pub const LOW_CONFIDENCE: u8 = 60;

/// Default languages of a new job (Tesseract codes, `+`-joined).
pub const DEFAULT_LANGUAGES: &str = "eng";

/// A document's OCR job, as the app and the CLI show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OcrJob {
    pub document_id: i64,
    pub title: String,
    pub matter_number: String,
    pub mode: OcrMode,
    pub status: OcrState,
    /// `None` until the document was first opened by a worker.
    pub page_count: Option<u32>,
    /// Pages done so far (recognised, already text, or failed).
    pub pages_done: u32,
    pub failed_pages: u32,
    /// Mean confidence of the recognised pages, 0–100.
    pub mean_confidence: Option<u8>,
    /// Why the job (or a page of it) failed; never document content.
    pub reason: Option<String>,
    pub attempts: u32,
    pub queued_at: String,
    pub finished_at: Option<String>,
    /// The languages it is recognised in (Tesseract codes).
    pub languages: Vec<String>,
}

/// The whole queue at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OcrOverview {
    pub queued: u32,
    pub running: u32,
    pub done: u32,
    pub partial: u32,
    pub failed: u32,
    /// Done with a mean confidence under [`LOW_CONFIDENCE`].
    pub low_confidence: u32,
    /// Failed, partial and low-confidence documents, newest first.
    pub attention: Vec<OcrJob>,
}

/// The next job for a worker: the one already running first (resumed
/// after a crash or a lock), then the oldest queued. Trashed documents
/// wait until they are restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextJob {
    pub version_id: i64,
    pub document_id: i64,
    pub version: i64,
    pub mode: OcrMode,
    pub languages: Vec<String>,
    pub page_count: Option<u32>,
    pub next_page: u32,
    pub page_attempts: u32,
}

/// What became of one page. The text is borrowed: the caller keeps it in
/// memory that is wiped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageResult<'a> {
    Recognised {
        text: &'a str,
        confidence: u8,
    },
    /// The page shows text already (mode auto): nothing recognised.
    TextLayer,
    Failed {
        reason: String,
    },
}

/// Queues recognition of document `document_id`'s current version,
/// starting over (its recognised pages are dropped, the search index keeps
/// their text until the first new page is recorded).
pub fn enqueue(
    conn: &Connection,
    document_id: i64,
    mode: OcrMode,
    languages: &str,
) -> Result<(), DomainError> {
    let version_id: i64 = conn
        .query_row(
            "SELECT id FROM document_versions WHERE document_id = ?1 ORDER BY version DESC LIMIT 1",
            [document_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "document",
            key: format!("id {document_id}"),
        })?;
    conn.execute("DELETE FROM ocr_pages WHERE version_id = ?1", [version_id])?;
    conn.execute(
        "INSERT INTO ocr_jobs (version_id, document_id, mode, languages, status, queued_at)
         VALUES (?1, ?2, ?3, ?4, 'queued', ?5)
         ON CONFLICT (version_id) DO UPDATE SET
             mode = excluded.mode, languages = excluded.languages, page_count = NULL,
             next_page = 0, status = 'queued', reason = NULL, mean_confidence = NULL,
             attempts = 0, page_attempts = 0, queued_at = excluded.queued_at,
             started_at = NULL, finished_at = NULL",
        params![
            version_id,
            document_id,
            mode.as_str(),
            languages,
            crate::now()
        ],
    )?;
    Ok(())
}

/// Drops the OCR records of every version of `document_id` but `keep`
/// (the current one), for a new current version.
pub fn forget_other_versions(
    conn: &Connection,
    document_id: i64,
    keep: Option<i64>,
) -> Result<(), DomainError> {
    conn.execute(
        "DELETE FROM ocr_pages WHERE version_id IN
             (SELECT version_id FROM ocr_jobs WHERE document_id = ?1 AND version_id IS NOT ?2)",
        params![document_id, keep],
    )?;
    conn.execute(
        "DELETE FROM ocr_jobs WHERE document_id = ?1 AND version_id IS NOT ?2",
        params![document_id, keep],
    )?;
    Ok(())
}

/// Removes every OCR record of a document, for its destruction (the
/// caller erases its index entry; `secure_delete` zeroes the freed pages).
pub fn erase(conn: &Connection, document_id: i64) -> Result<(), DomainError> {
    forget_other_versions(conn, document_id, None)
}

/// The job a worker should take next, if any, passing over the jobs in
/// `busy` (versions other workers of this process are recognising).
pub fn next_job(conn: &Connection, busy: &[i64]) -> Result<Option<NextJob>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT j.version_id, j.document_id, v.version, j.mode, j.languages, j.page_count,
                j.next_page, j.page_attempts
         FROM ocr_jobs j
         JOIN documents d ON d.id = j.document_id
         JOIN document_versions v ON v.id = j.version_id
         WHERE j.status IN ('queued', 'running') AND d.trashed_at IS NULL
         ORDER BY j.status = 'running' DESC, j.queued_at, j.version_id
         LIMIT ?1",
    )?;
    let limit = i64::try_from(busy.len()).unwrap_or(i64::MAX - 1) + 1;
    let mut rows = stmt.query_map([limit], |r| {
        let languages: String = r.get(4)?;
        Ok(NextJob {
            version_id: r.get(0)?,
            document_id: r.get(1)?,
            version: r.get(2)?,
            mode: OcrMode::parse(&r.get::<_, String>(3)?),
            languages: languages.split('+').map(str::to_string).collect(),
            page_count: r.get(5)?,
            next_page: r.get(6)?,
            page_attempts: r.get(7)?,
        })
    })?;
    for row in rows.by_ref() {
        let job = row?;
        if !busy.contains(&job.version_id) {
            return Ok(Some(job));
        }
    }
    Ok(None)
}

/// Records that a worker starts page `next_page` of the job (counted before
/// the page is recognised, so a page that ends the process each time is
/// seen), and the page count once known.
pub fn start_page(
    conn: &Connection,
    version_id: i64,
    page_count: Option<u32>,
) -> Result<(), DomainError> {
    conn.execute(
        "UPDATE ocr_jobs SET status = 'running', started_at = coalesce(started_at, ?2),
             page_count = coalesce(?3, page_count),
             attempts = attempts + 1, page_attempts = page_attempts + 1
         WHERE version_id = ?1",
        params![version_id, crate::now(), page_count],
    )?;
    Ok(())
}

/// Ends a job without recognising (more of) it: the document cannot be
/// read, has too many pages, a language is missing. Pages already
/// recorded stay searchable; then the job is partial.
pub fn fail_job(conn: &Connection, version_id: i64, reason: &str) -> Result<OcrState, DomainError> {
    let recorded: i64 = conn.query_row(
        "SELECT count(*) FROM ocr_pages WHERE version_id = ?1 AND status != 'failed'",
        [version_id],
        |r| r.get(0),
    )?;
    let state = if recorded > 0 {
        OcrState::Partial
    } else {
        OcrState::Failed
    };
    conn.execute(
        "UPDATE ocr_jobs SET status = ?2, reason = ?3, finished_at = ?4, page_attempts = 0
         WHERE version_id = ?1",
        params![version_id, state.as_str(), reason, crate::now()],
    )?;
    Ok(state)
}

/// Records page `page` (from 0) of the job with `page_count` pages,
/// advances the job, and brings the document's recognised text in the
/// search index up to date. Returns the job's state after it: `Running`
/// while pages remain. A page that is not the job's next one (a redo
/// started meanwhile, the document destroyed) is `None`: nothing changed.
pub fn commit_page(
    conn: &Connection,
    version_id: i64,
    page: u32,
    page_count: u32,
    result: &PageResult<'_>,
) -> Result<Option<OcrState>, DomainError> {
    let current: Option<(u32, u32, i64)> = conn
        .query_row(
            "SELECT next_page, page_attempts, document_id FROM ocr_jobs
             WHERE version_id = ?1 AND status IN ('queued', 'running')",
            [version_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((next_page, attempts, document_id)) = current else {
        return Ok(None);
    };
    if next_page != page || page >= page_count {
        return Ok(None);
    }
    let (status, text, confidence, reason) = match result {
        PageResult::Recognised { text, confidence } => {
            ("recognised", *text, Some(*confidence), None)
        }
        PageResult::TextLayer => ("text_layer", "", None, None),
        PageResult::Failed { reason } => ("failed", "", None, Some(reason.as_str())),
    };
    conn.execute(
        "INSERT INTO ocr_pages (version_id, page, status, text, confidence, reason, attempts, done_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            version_id,
            page + 1,
            status,
            text,
            confidence,
            reason,
            attempts.max(1),
            crate::now()
        ],
    )?;
    conn.execute(
        "UPDATE ocr_jobs SET next_page = ?2, page_count = ?3, page_attempts = 0,
             reason = coalesce(reason, ?4)
         WHERE version_id = ?1",
        params![version_id, page + 1, page_count, reason],
    )?;
    if !text.trim().is_empty() {
        refresh_index(conn, document_id, version_id)?;
    }
    if page + 1 < page_count {
        return Ok(Some(OcrState::Running));
    }
    finish(conn, version_id).map(Some)
}

/// Sets a finished job's state and mean confidence from its pages.
fn finish(conn: &Connection, version_id: i64) -> Result<OcrState, DomainError> {
    let (failed, total, mean): (i64, i64, Option<f64>) = conn.query_row(
        "SELECT count(*) FILTER (WHERE status = 'failed'), count(*),
                avg(confidence) FILTER (WHERE status = 'recognised')
         FROM ocr_pages WHERE version_id = ?1",
        [version_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let state = if failed == 0 {
        OcrState::Done
    } else if failed == total {
        OcrState::Failed
    } else {
        OcrState::Partial
    };
    conn.execute(
        "UPDATE ocr_jobs SET status = ?2, mean_confidence = ?3, finished_at = ?4
         WHERE version_id = ?1",
        params![
            version_id,
            state.as_str(),
            mean.map(|m| m.round().clamp(0.0, 100.0) as i64),
            crate::now()
        ],
    )?;
    Ok(state)
}

/// Rewrites the document's `ocr` index column from its recorded pages,
/// pages separated by a form feed (the page break of text formats). Only
/// the current version's pages are ever recorded.
fn refresh_index(conn: &Connection, document_id: i64, version_id: i64) -> Result<(), DomainError> {
    conn.execute(
        "UPDATE document_search SET ocr = (SELECT coalesce(group_concat(text, char(12)), '')
             FROM (SELECT text FROM ocr_pages WHERE version_id = ?2 ORDER BY page))
         WHERE rowid = ?1",
        params![document_id, version_id],
    )?;
    crate::search::accel::changed(conn, &[document_id])
}

/// The recognised pages of a document's current version that hold text,
/// as (page number from 1, text), for the page a search hit names.
pub fn page_texts(conn: &Connection, document_id: i64) -> Result<Vec<(u32, String)>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.page, p.text FROM ocr_jobs j JOIN ocr_pages p ON p.version_id = j.version_id
         WHERE j.document_id = ?1 AND p.status = 'recognised' AND p.text != ''
         ORDER BY p.page",
    )?;
    let rows = stmt.query_map([document_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const JOB_COLUMNS: &str = "j.document_id, d.title, m.number, j.mode, j.status, j.page_count,
    (SELECT count(*) FROM ocr_pages p WHERE p.version_id = j.version_id),
    (SELECT count(*) FROM ocr_pages p WHERE p.version_id = j.version_id AND p.status = 'failed'),
    j.mean_confidence, j.reason, j.attempts, j.queued_at, j.finished_at, j.languages
    FROM ocr_jobs j JOIN documents d ON d.id = j.document_id JOIN matters m ON m.id = d.matter_id";

fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OcrJob> {
    Ok(OcrJob {
        document_id: r.get(0)?,
        title: r.get(1)?,
        matter_number: r.get(2)?,
        mode: OcrMode::parse(&r.get::<_, String>(3)?),
        status: OcrState::parse(&r.get::<_, String>(4)?),
        page_count: r.get(5)?,
        pages_done: r.get(6)?,
        failed_pages: r.get(7)?,
        mean_confidence: r.get(8)?,
        reason: r.get(9)?,
        attempts: r.get(10)?,
        queued_at: r.get(11)?,
        finished_at: r.get(12)?,
        languages: r
            .get::<_, String>(13)?
            .split('+')
            .map(str::to_string)
            .collect(),
    })
}

/// The OCR job of a document's current version, if it has one.
pub fn job(conn: &Connection, document_id: i64) -> Result<Option<OcrJob>, DomainError> {
    Ok(conn
        .query_row(
            &format!("SELECT {JOB_COLUMNS} WHERE j.document_id = ?1"),
            [document_id],
            job_row,
        )
        .optional()?)
}

/// Counts by state, and the documents that need a look.
pub fn overview(conn: &Connection) -> Result<OcrOverview, DomainError> {
    let mut o = OcrOverview::default();
    let mut counts = conn.prepare(
        "SELECT j.status, count(*) FROM ocr_jobs j JOIN documents d ON d.id = j.document_id
         WHERE d.trashed_at IS NULL GROUP BY j.status",
    )?;
    let rows = counts.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (status, n) = row?;
        match OcrState::parse(&status) {
            OcrState::Queued => o.queued = n,
            OcrState::Running => o.running = n,
            OcrState::Done => o.done = n,
            OcrState::Partial => o.partial = n,
            OcrState::Failed => o.failed = n,
        }
    }
    o.low_confidence = conn.query_row(
        "SELECT count(*) FROM ocr_jobs j JOIN documents d ON d.id = j.document_id
         WHERE d.trashed_at IS NULL AND j.status = 'done' AND j.mean_confidence < ?1",
        [LOW_CONFIDENCE],
        |r| r.get(0),
    )?;
    let mut attention = conn.prepare(&format!(
        "SELECT {JOB_COLUMNS}
         WHERE d.trashed_at IS NULL
           AND (j.status IN ('failed', 'partial') OR (j.status = 'done' AND j.mean_confidence < ?1))
         ORDER BY j.finished_at DESC, j.document_id DESC LIMIT 500"
    ))?;
    let rows = attention.query_map([LOW_CONFIDENCE], job_row)?;
    o.attention = rows.collect::<Result<_, _>>()?;
    Ok(o)
}

/// Whether a file of this name is an image OCR reads (by its extension;
/// the worker decides by the file's signature).
pub fn is_scan_image(name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "tif" | "tiff")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{self, ClientInput};
    use crate::documents::{self, NewVersion};
    use crate::matters::{self, MatterInput};
    use crate::search::{self, SearchFilter, TextStatus};
    use crate::testutil::db;

    fn scan(conn: &Connection, name: &str, status: TextStatus) -> i64 {
        let client = clients::create(
            conn,
            &ClientInput {
                name: "Ada Fictional".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let matter = matters::open(
            conn,
            &MatterInput {
                title: "Lease".into(),
                client_id: client,
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        let blob_id = format!("blob-{name}");
        let version = NewVersion {
            blob_id: &blob_id,
            key_id: &[0; 16],
            wrapped_key: &[0; 60],
            size: 1,
            sha256: &[0; 32],
        };
        let id = documents::create(conn, matter, name, name, &version).unwrap();
        search::index(conn, id, name, name, "", status).unwrap();
        id
    }

    fn recognised(text: &str) -> PageResult<'_> {
        PageResult::Recognised {
            text,
            confidence: 90,
        }
    }

    #[test]
    fn scans_are_queued_when_indexed_and_text_documents_are_not() {
        let (_d, conn) = db();
        let pdf = scan(&conn, "scan.pdf", TextStatus::NoText);
        let tiff = scan(&conn, "fax.TIFF", TextStatus::NoText);
        let letter = scan(&conn, "letter.pdf", TextStatus::Extracted);
        let docx = scan(&conn, "empty.docx", TextStatus::NoText);
        assert!(job(&conn, pdf).unwrap().is_some());
        assert!(job(&conn, tiff).unwrap().is_some());
        assert!(job(&conn, letter).unwrap().is_none());
        assert!(job(&conn, docx).unwrap().is_none());
        let next = next_job(&conn, &[]).unwrap().unwrap();
        assert_eq!(next.document_id, pdf, "oldest first");
        assert_eq!(next.languages, ["eng"]);
        // A second worker passes over the job the first one has.
        let other = next_job(&conn, &[next.version_id]).unwrap().unwrap();
        assert_eq!(other.document_id, tiff);
        assert!(
            next_job(&conn, &[next.version_id, other.version_id])
                .unwrap()
                .is_none(),
            "every job is taken"
        );
        assert_eq!(overview(&conn).unwrap().queued, 2);
    }

    /// Pages are recorded once each, in order; the page a search hit
    /// names is the one that holds the word; the job ends done with the
    /// mean confidence; a page offered twice is refused.
    #[test]
    fn pages_are_recorded_in_order_and_search_names_the_page() {
        let (_d, conn) = db();
        let id = scan(&conn, "deposition.pdf", TextStatus::NoText);
        let v = next_job(&conn, &[]).unwrap().unwrap().version_id;
        start_page(&conn, v, Some(3)).unwrap();
        assert_eq!(
            commit_page(&conn, v, 0, 3, &recognised("the witness arrived")).unwrap(),
            Some(OcrState::Running)
        );
        assert_eq!(
            commit_page(&conn, v, 0, 3, &recognised("again")).unwrap(),
            None
        );
        start_page(&conn, v, None).unwrap();
        commit_page(&conn, v, 1, 3, &PageResult::TextLayer).unwrap();
        start_page(&conn, v, None).unwrap();
        let last = PageResult::Recognised {
            text: "objection sustained, zanzibar",
            confidence: 70,
        };
        assert_eq!(
            commit_page(&conn, v, 2, 3, &last).unwrap(),
            Some(OcrState::Done)
        );
        let j = job(&conn, id).unwrap().unwrap();
        assert_eq!(
            (j.status, j.pages_done, j.mean_confidence),
            (OcrState::Done, 3, Some(80))
        );
        let hits = search::search(&conn, "zanzibar", &SearchFilter::default())
            .unwrap()
            .hits;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].page, Some(3));
        assert!(
            hits[0].snippet.contains("[zanzibar]"),
            "{}",
            hits[0].snippet
        );
        assert!(next_job(&conn, &[]).unwrap().is_none());
    }

    #[test]
    fn failures_make_a_job_partial_or_failed_with_the_reason() {
        let (_d, conn) = db();
        let a = scan(&conn, "a.pdf", TextStatus::NoText);
        let v = next_job(&conn, &[]).unwrap().unwrap().version_id;
        commit_page(&conn, v, 0, 2, &recognised("fine page")).unwrap();
        let failed = PageResult::Failed {
            reason: "page 2: the page image is too large".into(),
        };
        assert_eq!(
            commit_page(&conn, v, 1, 2, &failed).unwrap(),
            Some(OcrState::Partial)
        );
        let b = scan(&conn, "b.png", TextStatus::NoText);
        let v = next_job(&conn, &[]).unwrap().unwrap().version_id;
        assert_eq!(fail_job(&conn, v, "corrupt").unwrap(), OcrState::Failed);
        let o = overview(&conn).unwrap();
        assert_eq!((o.partial, o.failed), (1, 1));
        let reasons: Vec<(i64, Option<String>)> = o
            .attention
            .iter()
            .map(|j| (j.document_id, j.reason.clone()))
            .collect();
        assert!(reasons.contains(&(a, Some("page 2: the page image is too large".into()))));
        assert!(reasons.contains(&(b, Some("corrupt".into()))));
        // A redo starts over.
        enqueue(&conn, a, OcrMode::Redo, "eng").unwrap();
        let j = job(&conn, a).unwrap().unwrap();
        assert_eq!(
            (j.status, j.pages_done, j.mode),
            (OcrState::Queued, 0, OcrMode::Redo)
        );
    }

    /// Destroying a document removes its recognised pages, its job and its
    /// recognised words from the index.
    #[test]
    fn destruction_removes_recognised_text() {
        let (_d, conn) = db();
        let id = scan(&conn, "s.pdf", TextStatus::NoText);
        let v = next_job(&conn, &[]).unwrap().unwrap().version_id;
        commit_page(&conn, v, 0, 1, &recognised("okapi testimony")).unwrap();
        assert_eq!(
            search::search(&conn, "okapi", &SearchFilter::default())
                .unwrap()
                .hits
                .len(),
            1
        );
        let blobs = vec!["blob-s.pdf".to_string()];
        search::erase(&conn, &[id]).unwrap();
        crate::retention::erase_document(&conn, id, &blobs).unwrap();
        let rows: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM ocr_pages) + (SELECT count(*) FROM ocr_jobs)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 0);
        assert!(
            search::search(&conn, "okapi", &SearchFilter::default())
                .unwrap()
                .hits
                .is_empty()
        );
    }
}
