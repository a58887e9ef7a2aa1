//! Full-text search over documents: titles, file names, extracted text, tags and notes,
//! in an FTS5 index inside the encrypted database.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, validation};

pub mod accel;
mod query;
mod snippet;

use query::Field;
pub use query::Query;

/// Whether a document's text could be indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// Text was extracted and indexed.
    Extracted,
    /// The file type carries text but this file has none (for example an
    /// image-only scan): OCR is a later step.
    NoText,
    /// Text extraction does not handle this file type yet.
    Unsupported,
}

impl TextStatus {
    pub fn parse(s: &str) -> TextStatus {
        match s {
            "extracted" => TextStatus::Extracted,
            "no_text" => TextStatus::NoText,
            _ => TextStatus::Unsupported,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Extracted => "extracted",
            TextStatus::NoText => "no_text",
            TextStatus::Unsupported => "unsupported",
        }
    }
}

/// Where to search.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchFilter {
    pub matter_id: Option<i64>,
    pub client_id: Option<i64>,
    /// Only documents carrying this tag (case-insensitive).
    pub tag: Option<String>,
    /// Only documents added on or after / on or before these dates (`YYYY-MM-DD`).
    pub added_from: Option<String>,
    pub added_to: Option<String>,
    /// How many hits to return ([`DEFAULT_LIMIT`] if not given).
    pub limit: Option<u32>,
    /// How many hits of the order to skip (for the next page).
    pub offset: Option<u64>,
    /// Best match first unless asked otherwise.
    pub sort: Option<SearchSort>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub document_id: i64,
    pub title: String,
    pub matter_id: i64,
    pub matter_number: String,
    pub client_name: String,
    pub original_name: String,
    pub created_at: String,
    /// A short extract with the matches between `[` and `]`.
    pub snippet: String,
    /// For a scan, the page (from 1) whose recognised text shows the most
    /// of the query's words, so the preview can open there.
    pub page: Option<u32>,
}

/// Indexes a document's names and text, and records its text status.
///
/// Called for each new current version (import, new or restored version,
/// inbox ingest and filing): recognised text of older versions leaves the
/// index and the OCR queue, and a scan (a PDF without text, a PNG, JPEG or
/// TIFF image) is queued for recognition ([`crate::ocr`]) in the same
/// transaction, so an import never waits for OCR.
pub fn index(
    conn: &Connection,
    document_id: i64,
    title: &str,
    original_name: &str,
    body: &str,
    status: TextStatus,
) -> Result<(), DomainError> {
    conn.execute(
        "DELETE FROM document_search WHERE rowid = ?1",
        [document_id],
    )?;
    // Tags and notes go in with the text: one insert, no update (with
    // FTS5 secure-delete an update costs a delete).
    conn.execute(
        "INSERT INTO document_search (rowid, title, original_name, body, meta, ocr)
         VALUES (?1, ?2, ?3, ?4, coalesce((SELECT d.notes || ' ' || coalesce((SELECT group_concat(tag, ' ')
                        FROM document_tags WHERE document_id = d.id), '')
                    FROM documents d WHERE d.id = ?1), ''), '')",
        params![document_id, title, original_name, body],
    )?;
    accel::changed(conn, &[document_id])?;
    conn.execute(
        "UPDATE documents SET text_status = ?2 WHERE id = ?1",
        params![document_id, status.as_str()],
    )?;
    let current: Option<i64> = conn
        .query_row(
            "SELECT id FROM document_versions WHERE document_id = ?1 ORDER BY version DESC LIMIT 1",
            [document_id],
            |r| r.get(0),
        )
        .optional()?;
    crate::ocr::forget_other_versions(conn, document_id, current)?;
    let pdf_without_text =
        status == TextStatus::NoText && original_name.to_ascii_lowercase().ends_with(".pdf");
    if current.is_some() && (pdf_without_text || crate::ocr::is_scan_image(original_name)) {
        crate::ocr::enqueue(
            conn,
            document_id,
            crate::ocr::OcrMode::Auto,
            &crate::settings::ocr_languages(conn)?,
        )?;
    }
    Ok(())
}

/// Brings a document's title, tags and notes in the index up to date
/// after they changed (its text stays).
pub fn refresh_names(conn: &Connection, document_id: i64) -> Result<(), DomainError> {
    conn.execute(
        "UPDATE document_search SET
            title = (SELECT title FROM documents WHERE id = ?1),
            meta = (SELECT d.notes || ' ' || coalesce((SELECT group_concat(tag, ' ')
                        FROM document_tags WHERE document_id = d.id), '')
                    FROM documents d WHERE d.id = ?1)
         WHERE rowid = ?1",
        [document_id],
    )?;
    accel::changed(conn, &[document_id])
}

/// How destroyed documents left the index (see [`erase`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erased {
    /// Entry by entry, with FTS5's `secure-delete`.
    InPlace,
    /// The index was rewritten without them.
    Rewritten,
}

/// Destroyed documents with up to this many bytes of indexed text per row
/// of the index's data (rows are pages of about 4 KB) leave the index entry
/// by entry; beyond it, rewriting the index costs less (measured: three
/// 4 MB transcripts in place took 20 to 30 s, a rewrite of an index of
/// 100,000 documents under 2 s).
const IN_PLACE_BYTES_PER_INDEX_ROW: i64 = 200;

/// Whether erasing `text` bytes of indexed text from an index of
/// `index_rows` data rows rewrites the index.
fn rewrites_index(text: i64, index_rows: i64) -> bool {
    text > index_rows.saturating_mul(IN_PLACE_BYTES_PER_INDEX_ROW)
}

/// Removes documents from the index for good, for their destruction: no
/// trace of their words is left in the index's pages once the caller's
/// transaction commits (freed pages are zeroed by `secure_delete`; the
/// caller vacuums and truncates the write-ahead log after).
///
/// FTS5's `secure-delete`, on for every change, edits every segment for
/// every distinct word of a deleted document, and each lookup pays
/// SQLCipher's memory security (an `mlock`, a `munlock` and a random fill
/// per allocation): cheap for a few letters, 20 to 30 s for three 4 MB
/// transcripts with tens of thousands of distinct words. So when the
/// destroyed text is large beside the index, its entries are deleted
/// plainly (FTS5 records delete markers) and the whole index is merged into
/// one new segment (`optimize`), which keeps neither the destroyed entries
/// nor the markers; the old segments are deleted. That costs a pass over
/// the index, as the vacuum that follows costs one over the database.
/// `secure-delete` is on again before this returns, in the same
/// transaction, so a rollback leaves it on too.
///
/// The accelerator's generations go with them: their keys are deleted in
/// the same transaction, so what their folders hold can no longer be read
/// (the caller wipes the folders after the commit), and a new generation
/// is built from what the index holds then.
pub fn erase(conn: &Connection, document_ids: &[i64]) -> Result<Erased, DomainError> {
    accel::forget_generations(conn)?;
    let mut text = 0;
    let mut size = conn.prepare_cached(
        "SELECT length(title) + length(original_name) + length(body) + length(meta) + length(ocr)
         FROM document_search WHERE rowid = ?1",
    )?;
    for id in document_ids {
        let bytes: Option<i64> = size.query_row([id], |r| r.get(0)).optional()?;
        text += bytes.unwrap_or(0);
    }
    let index_rows: i64 = conn.query_row("SELECT count(*) FROM document_search_data", [], |r| {
        r.get(0)
    })?;
    let mut delete = conn.prepare_cached("DELETE FROM document_search WHERE rowid = ?1")?;
    if !rewrites_index(text, index_rows) {
        for id in document_ids {
            delete.execute([id])?;
        }
        return Ok(Erased::InPlace);
    }
    let secure_delete = |on: bool| {
        conn.execute(
            "INSERT INTO document_search (document_search, rank) VALUES ('secure-delete', ?1)",
            [i64::from(on)],
        )
    };
    secure_delete(false)?;
    for id in document_ids {
        delete.execute([id])?;
    }
    conn.execute(
        "INSERT INTO document_search (document_search) VALUES ('optimize')",
        [],
    )?;
    secure_delete(true)?;
    Ok(Erased::Rewritten)
}

/// How a match scores: titles weigh most, then tags and notes, file names,
/// and the text, extracted or recognised alike (lower is better). Every score a search compares comes
/// from this one expression over the whole query.
const SCORE: &str = "bm25(document_search, 5.0, 2.0, 1.0, 3.0, 1.0)";

/// The conditions a search puts on the documents (`d`, its matter `m`):
/// the caller's filter and the query's fields, each with its values.
fn conditions(
    filter: &SearchFilter,
    tag: Option<&str>,
    query: &Query,
) -> (Vec<String>, Vec<Value>) {
    let mut sql = vec!["d.trashed_at IS NULL".to_string()];
    let mut values = Vec::new();
    let mut add = |condition: &str, args: Vec<Value>, negated: bool| {
        sql.push(if negated {
            format!("NOT ({condition})")
        } else {
            condition.to_string()
        });
        values.extend(args);
    };
    const TAG: &str = "EXISTS (SELECT 1 FROM document_tags t
                WHERE t.document_id = d.id AND t.tag = ? COLLATE NOCASE)";
    const FROM: &str = "d.created_at >= ?";
    const TO: &str = "d.created_at < date(?, '+1 day')";
    let text = |s: &str| Value::Text(s.to_string());
    if let Some(id) = filter.matter_id {
        add("m.id = ?", vec![Value::Integer(id)], false);
    }
    if let Some(id) = filter.client_id {
        add("m.client_id = ?", vec![Value::Integer(id)], false);
    }
    if let Some(t) = tag {
        add(TAG, vec![text(t)], false);
    }
    if let Some(d) = &filter.added_from {
        add(FROM, vec![text(d)], false);
    }
    if let Some(d) = &filter.added_to {
        add(TO, vec![text(d)], false);
    }
    for f in &query.filters {
        match &f.field {
            Field::Tag(t) => add(TAG, vec![text(t)], f.negated),
            Field::Client(name) => add(
                "EXISTS (SELECT 1 FROM clients c WHERE c.id = m.client_id
                    AND (c.name LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM client_aliases a
                         WHERE a.client_id = c.id AND a.alias LIKE ? ESCAPE '\\')))",
                vec![
                    text(&crate::like_pattern(name)),
                    text(&crate::like_pattern(name)),
                ],
                f.negated,
            ),
            Field::Matter(m) => add(
                "(m.number = ? COLLATE NOCASE OR m.title LIKE ? ESCAPE '\\')",
                vec![text(m), text(&crate::like_pattern(m))],
                f.negated,
            ),
            Field::Added { from, to } => {
                let mut parts = Vec::new();
                let mut args = Vec::new();
                if let Some(d) = from {
                    parts.push(FROM);
                    args.push(text(&d.to_string()));
                }
                if let Some(d) = to {
                    parts.push(TO);
                    args.push(text(&d.to_string()));
                }
                add(&parts.join(" AND "), args, f.negated);
            }
        }
    }
    (sql, values)
}

/// The hits a search returns when the caller names no limit.
pub const DEFAULT_LIMIT: u32 = 50;

/// The order of a search's hits; ties go by document id, so pages of one
/// order never overlap or skip a match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Best match first (bm25 over title, file name, tags and notes, text
    /// and recognised text).
    #[default]
    Best,
    /// Newest first.
    Added,
    /// By title, A to Z (case-insensitive).
    Title,
}

impl SearchSort {
    /// The ORDER BY of the page query; `score` is only computed for `Best`.
    fn order_by(self) -> &'static str {
        match self {
            SearchSort::Best => "score, d.id",
            SearchSort::Added => "d.created_at DESC, d.id DESC",
            SearchSort::Title => "d.title COLLATE NOCASE, d.id",
        }
    }
}

/// One page of a search: how many documents match in all, and the hits
/// from `offset` on (at most `limit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    /// Every document that matches the words and filters.
    pub total: u64,
    pub offset: u64,
    pub limit: u32,
    pub hits: Vec<SearchHit>,
}

/// One page of the documents matching what the user typed (in the search
/// language of [`query`]), in the order asked for (best first by
/// default), each with a snippet of where it matched, and the exact number
/// of matches.
///
/// Every match is ranked: no window of newest documents, so paging from
/// offset 0 to `total` reaches every match once, in a stable order (the
/// sort, then the document id). Ranking costs a look-up per match (its
/// document row and, for `Best`, its length in the index), so a query
/// matching most of a large vault costs more than a rare word; the
/// benchmark (`benches/search.rs`) records what it costs at 100,000
/// documents. Counting walks the same matches without scoring them.
pub fn search(
    conn: &Connection,
    text: &str,
    filter: &SearchFilter,
) -> Result<SearchPage, DomainError> {
    search_accelerated(conn, text, filter, &mut |_| None)
}

/// What answers a search's plan instead of FTS5: the count and the
/// page's ids, or `None`.
pub type Accelerator<'a> = dyn FnMut(&matterbox_textindex::Plan) -> Option<(u64, Vec<u64>)> + 'a;

/// [`search`], answered by `accelerator` when it can: it is given the plan
/// of a search it can answer exactly (see [`accel::plan`]) and returns the
/// count and the page's ids, or `None` to leave the search to FTS5.
pub fn search_accelerated(
    conn: &Connection,
    text: &str,
    filter: &SearchFilter,
    accelerator: &mut Accelerator<'_>,
) -> Result<SearchPage, DomainError> {
    // Every term is a condition on the index: 50,000 of them took 38 s
    // (with the vault's write lock held, as searches are audited).
    let length = text.chars().count();
    if length > crate::MAX_SHORT {
        return Err(validation(
            "query",
            format!(
                "The search text has {length} characters; search for a few words (at most {}).",
                crate::MAX_SHORT
            ),
        ));
    }
    let query = Query::parse(text);
    let checked = check(&query, filter)?;
    // Words FTS5 cuts in a way not foreseen: FTS5 answers.
    let plan = accel::plan(&query, filter, checked.offset, checked.limit).unwrap_or_default();
    if let Some((total, ids)) = plan.as_ref().and_then(&mut *accelerator) {
        let ids: Vec<i64> = ids
            .into_iter()
            .filter_map(|i| i64::try_from(i).ok())
            .collect();
        return page_of(conn, &query, total, checked.offset, checked.limit, &ids);
    }
    search_query(conn, &query, filter)
}

/// A search's page, checked.
struct Checked {
    offset: u64,
    limit: u32,
    offset_sql: i64,
}

/// Checks what every search checks: something to look for, the dates,
/// the offset.
fn check(query: &Query, filter: &SearchFilter) -> Result<Checked, DomainError> {
    if query.is_empty() {
        return Err(validation("query", "Type a word to search for."));
    }
    for (field, date) in [
        ("added_from", &filter.added_from),
        ("added_to", &filter.added_to),
    ] {
        if let Some(d) = date
            && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
        {
            return Err(validation(
                field,
                format!("{d} is not a date (YYYY-MM-DD)."),
            ));
        }
    }
    let limit = filter.limit.unwrap_or(DEFAULT_LIMIT);
    let offset = filter.offset.unwrap_or(0);
    let offset_sql = i64::try_from(offset)
        .map_err(|_| validation("offset", format!("{offset} is past any search's end.")))?;
    Ok(Checked {
        offset,
        limit,
        offset_sql,
    })
}

/// Documents a search leaves out: a conflict check's own client's, or
/// the matter a party is added to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Except {
    pub client_id: Option<i64>,
    pub matter_id: Option<i64>,
}

/// [`search`] for a query already parsed (or made of plain words).
pub fn search_query(
    conn: &Connection,
    query: &Query,
    filter: &SearchFilter,
) -> Result<SearchPage, DomainError> {
    search_except(conn, query, filter, Except::default())
}

/// [`search_query`] leaving out the documents of `except`.
pub fn search_except(
    conn: &Connection,
    query: &Query,
    filter: &SearchFilter,
    except: Except,
) -> Result<SearchPage, DomainError> {
    let Checked {
        offset,
        limit,
        offset_sql,
    } = check(query, filter)?;
    let tag = filter
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let (mut conditions, mut values) = conditions(filter, tag, query);
    if let Some(c) = except.client_id {
        conditions.push("m.client_id != ?".to_string());
        values.push(Value::Integer(c));
    }
    if let Some(m) = except.matter_id {
        conditions.push("m.id != ?".to_string());
        values.push(Value::Integer(m));
    }

    // With words to find, the index drives both queries (CROSS JOIN keeps
    // it the outer loop: otherwise SQLite may walk the documents and probe
    // the index once per document), and walks it in ascending order only:
    // walking it backwards costs far more with SQLCipher's memory wiping.
    // With none (only exclusions and fields), the documents do, and every
    // one passing the filters without an excluded word matches.
    let must = query.fts_must();
    let from = match &must {
        Some(m) => {
            values.insert(0, Value::Text(m.clone()));
            conditions.insert(0, "document_search MATCH ?".to_string());
            "document_search s
             CROSS JOIN documents d ON d.id = s.rowid
             CROSS JOIN matters m ON m.id = d.matter_id"
        }
        None => {
            if let Some(excluded) = query.fts_excluded() {
                conditions.push(
                    "d.id NOT IN (SELECT rowid FROM document_search WHERE document_search MATCH ?)"
                        .to_string(),
                );
                values.push(Value::Text(excluded));
            }
            "documents d CROSS JOIN matters m ON m.id = d.matter_id"
        }
    };
    let conditions = conditions.join(" AND ");
    let mut count =
        conn.prepare_cached(&format!("SELECT count(*) FROM {from} WHERE {conditions}"))?;
    let total: i64 = count.query_row(params_from_iter(&values), |r| r.get(0))?;
    let total = u64::try_from(total).unwrap_or(0);
    if limit == 0 || offset >= total {
        return Ok(SearchPage {
            total,
            offset,
            limit,
            hits: Vec::new(),
        });
    }
    // Best first needs a score: with no word to find there is none, and
    // the newest come first.
    let sort = match filter.sort.unwrap_or_default() {
        SearchSort::Best if must.is_none() => SearchSort::Added,
        sort => sort,
    };
    let score = if sort == SearchSort::Best { SCORE } else { "0" };
    let mut rank = conn.prepare_cached(&format!(
        "SELECT d.id, {score} AS score
         FROM {from}
         WHERE {conditions}
         ORDER BY {}
         LIMIT ? OFFSET ?",
        sort.order_by()
    ))?;
    values.push(Value::Integer(i64::from(limit)));
    values.push(Value::Integer(offset_sql));
    let ranked: Vec<i64> = rank
        .query_map(params_from_iter(&values), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    page_of(conn, query, total, offset, limit, &ranked)
}

/// The page of `total` matches whose hits are the documents `ranked`, in
/// that order, each with its details and snippet.
fn page_of(
    conn: &Connection,
    query: &Query,
    total: u64,
    offset: u64,
    limit: u32,
    ranked: &[i64],
) -> Result<SearchPage, DomainError> {
    // Then details and snippets for the hits shown, each read by its id.
    // A snippet is made from bounded windows of the document's columns
    // (see `snippet.rs`), never by FTS5's `snippet()` over the whole
    // document, whose cost grows with the square of a word's repetitions.
    let mut snippets = snippet::Snippets::new(&query.shown_words())?;
    let mut details = conn.prepare_cached(
        "SELECT d.id, d.title, m.id, m.number, c.name, d.original_name, d.created_at,
                s.title, s.original_name, s.body, s.meta, s.ocr
         FROM document_search s
         CROSS JOIN documents d ON d.id = s.rowid
         CROSS JOIN matters m ON m.id = d.matter_id
         CROSS JOIN clients c ON c.id = m.client_id
         WHERE s.rowid = ?1",
    )?;
    let mut hits = Vec::with_capacity(ranked.len());
    for id in ranked {
        let hit = details.query_row([id], |r| {
            // The columns are read in place (no copy of a long text).
            let mut columns = Vec::with_capacity(5);
            for i in 7..12 {
                let bytes = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Text(t) => t,
                    _ => &[],
                };
                columns.push(String::from_utf8_lossy(bytes));
            }
            let columns: Vec<&str> = columns.iter().map(|c| c.as_ref()).collect();
            let recognised = columns.get(4).is_some_and(|c| !c.is_empty());
            Ok((
                recognised,
                SearchHit {
                    document_id: r.get(0)?,
                    title: r.get(1)?,
                    matter_id: r.get(2)?,
                    matter_number: r.get(3)?,
                    client_name: r.get(4)?,
                    original_name: r.get(5)?,
                    created_at: r.get(6)?,
                    snippet: snippets.make(&columns)?,
                    page: None,
                },
            ))
        });
        // Gone since it was ranked (another process destroyed it): skipped.
        if let Some((recognised, mut hit)) = hit.optional()? {
            if recognised {
                let pages = crate::ocr::page_texts(conn, hit.document_id)?;
                hit.page = snippets.best_page(&pages)?;
            }
            hits.push(hit);
        }
    }
    Ok(SearchPage {
        total,
        offset,
        limit,
        hits,
    })
}

/// The parts of a document the index holds, as a reader names them, with
/// the FTS5 column each is in.
const PARTS: [(&str, &str); 5] = [
    ("title", "title"),
    ("file name", "original_name"),
    ("notes or tags", "meta"),
    ("text", "body"),
    ("recognised (OCR) text", "ocr"),
];

/// For each of the documents `ids`, the parts of it (title, file name,
/// notes or tags, text, recognised text) in which `query`'s words match
/// on their own: one query on the index per part, over those documents
/// only. A document whose words match only across parts has none.
pub fn matched_parts(
    conn: &Connection,
    query: &Query,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<&'static str>>, DomainError> {
    let mut out: std::collections::HashMap<i64, Vec<&'static str>> = Default::default();
    let Some(must) = query.fts_must() else {
        return Ok(out);
    };
    if ids.is_empty() {
        return Ok(out);
    }
    // Integers only: nothing the user typed reaches this SQL text.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT rowid FROM document_search WHERE document_search MATCH ?1 AND rowid IN ({})",
        list.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    for (part, column) in PARTS {
        let expression = format!("{{{column}}} : ({must})");
        let rows = stmt.query_map([expression], |r| r.get::<_, i64>(0))?;
        for id in rows {
            out.entry(id?).or_default().push(part);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{self, ClientInput};
    use crate::documents::{self, NewVersion};
    use crate::matters::{self, MatterInput};
    use crate::testutil::db;

    fn document(conn: &Connection, matter: i64, title: &str, body: &str) -> i64 {
        let blob_id = format!("blob-{title}");
        let version = NewVersion {
            blob_id: &blob_id,
            key_id: &[0; 16],
            wrapped_key: &[0; 60],
            size: body.len() as u64,
            sha256: &[0; 32],
        };
        let id = documents::create(conn, matter, title, "scan.txt", &version).unwrap();
        index(conn, id, title, "scan.txt", body, TextStatus::Extracted).unwrap();
        id
    }

    fn open_matter(conn: &Connection, title: &str) -> i64 {
        let client = clients::create(
            conn,
            &ClientInput {
                name: "Ada Fictional".into(),
                ..Default::default()
            },
        )
        .unwrap();
        matters::open(
            conn,
            &MatterInput {
                title: title.into(),
                client_id: client,
                ..Default::default()
            },
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_search_is_a_few_words_not_a_document() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Lease");
        document(&conn, matter, "Boundary survey", "a plan of the plot");
        let words = |n: usize| {
            (0..n)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let at_limit = format!("boundary {}", words(200))[..500].to_string();
        assert!(search(&conn, &at_limit, &SearchFilter::default()).is_ok());
        let e = search(&conn, &words(50_000), &SearchFilter::default()).unwrap_err();
        assert!(e.to_string().contains("search for a few words"), "{e}");
    }

    /// The top hits come ranked, each with a snippet of its own text,
    /// however many documents match; trashed documents are left out.
    #[test]
    fn hits_are_ranked_limited_and_carry_their_own_snippets() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Lease");
        let filler: Vec<i64> = (0..30)
            .map(|i| {
                document(
                    &conn,
                    matter,
                    &format!("Note {i}"),
                    &format!("memo {i} mentions the boundary in passing, item{i}"),
                )
            })
            .collect();
        let titled = document(&conn, matter, "Boundary survey", "a plan of the plot");
        let trashed = document(&conn, matter, "Boundary draft", "old boundary draft");
        documents::set_trashed(&conn, trashed, true).unwrap();

        let filter = SearchFilter {
            limit: Some(5),
            ..Default::default()
        };
        let page = search(&conn, "boundary", &filter).unwrap();
        assert_eq!(page.total, 31);
        let hits = page.hits;
        assert_eq!(hits.len(), 5);
        assert_eq!(hits[0].document_id, titled, "a title match ranks first");
        assert_eq!(hits[0].snippet, "[Boundary] survey");
        assert!(hits.iter().all(|h| h.document_id != trashed));
        for hit in &hits[1..] {
            assert!(filler.contains(&hit.document_id));
            let n = filler.iter().position(|&f| f == hit.document_id).unwrap();
            assert!(
                hit.snippet.contains("[boundary]") && hit.snippet.contains(&format!("item{n}")),
                "{hit:?}"
            );
        }
        let all = search(
            &conn,
            "boundary",
            &SearchFilter {
                limit: Some(100),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(all.hits.len(), 31);
    }

    /// Each operator and field of the language changes what matches, with
    /// the exact total; a query of exclusions or fields alone lists every
    /// document passing them, newest first.
    #[test]
    fn the_language_finds_what_it_says() {
        let (_d, conn) = db();
        let lease = open_matter(&conn, "Lease of the mill");
        let other_client = clients::create(
            &conn,
            &ClientInput {
                name: "Bartholomew Imaginary".into(),
                aliases: vec!["Bart Notreal".into()],
                ..Default::default()
            },
        )
        .unwrap();
        let estate = matters::open(
            &conn,
            &MatterInput {
                title: "Estate".into(),
                client_id: other_client,
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        let estate_number: String = conn
            .query_row("SELECT number FROM matters WHERE id = ?1", [estate], |r| {
                r.get(0)
            })
            .unwrap();
        let a = document(
            &conn,
            lease,
            "Survey",
            "the indemnity clause and quiet enjoyment",
        );
        let b = document(
            &conn,
            lease,
            "Draft",
            "an indemnification draft, enjoyment quiet",
        );
        let c = document(&conn, estate, "Letter", "the tenancy and the indemnity");
        let d = document(&conn, estate, "Will", "nothing of the kind");
        documents::update(
            &conn,
            c,
            &documents::DocumentPatch {
                tags: Some(vec!["Deed".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        for (id, at) in [
            (a, "2025-01-15"),
            (b, "2025-03-01"),
            (c, "2025-06-30"),
            (d, "2024-12-31"),
        ] {
            conn.execute(
                "UPDATE documents SET created_at = ?2 || 'T10:00:00.000Z' WHERE id = ?1",
                params![id, at],
            )
            .unwrap();
        }
        let found = |q: &str| -> Vec<i64> {
            let page = search(&conn, q, &SearchFilter::default()).unwrap();
            let mut ids: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
            assert_eq!(page.total, ids.len() as u64, "{q}");
            ids.sort_unstable();
            ids
        };
        let in_estate = format!("matter:{estate_number}");
        let cases: Vec<(&str, Vec<i64>)> = vec![
            ("indemnity", vec![a, c]),
            ("indemn*", vec![a, b, c]),
            ("indemn", vec![]),
            ("indemn* -draft", vec![a, c]),
            ("indemn* -title:draft", vec![a, c]),
            ("\"quiet enjoyment\"", vec![a]),
            ("quiet enjoyment", vec![a, b]),
            ("tenancy OR enjoyment", vec![a, b, c]),
            ("NEAR(indemnity enjoyment, 2)", vec![]),
            ("NEAR(indemnity enjoyment, 5)", vec![a]),
            ("title:survey", vec![a]),
            ("survey", vec![a]),
            ("tag:deed", vec![c]),
            ("indemnity -tag:deed", vec![a]),
            ("client:imaginary", vec![c, d]),
            ("client:notreal indemnity", vec![c]),
            ("-client:imaginary", vec![a, b]),
            (&in_estate, vec![c, d]),
            ("matter:mill", vec![a, b]),
            ("added:2025-01..2025-03", vec![a, b]),
            ("added:2025-06-30", vec![c]),
            ("added:..2024", vec![d]),
            ("added:2025-02.. indemn*", vec![b, c]),
            ("-indemn*", vec![d]),
            ("indemnification", vec![b]),
            ("indemnification AND", vec![]),
            ("NOT indemnity", vec![]),
            ("title:surv*", vec![a]),
        ];
        for (q, expect) in cases {
            assert_eq!(found(q), expect, "{q}");
        }
        // Exclusions alone, best first: newest first (no score).
        let page = search(&conn, "-nothing", &SearchFilter::default()).unwrap();
        let ids: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
        assert_eq!(ids, [c, b, a]);
        assert!(
            page.hits[0].snippet.starts_with("the tenancy"),
            "{}",
            page.hits[0].snippet
        );
        // The caller's filter and the query's fields both apply.
        let in_lease = SearchFilter {
            matter_id: Some(lease),
            ..Default::default()
        };
        assert_eq!(
            search(&conn, "indemn* added:2025-03", &in_lease)
                .unwrap()
                .total,
            1
        );
        for nothing in ["", "  ", "*** \" ( -"] {
            assert!(matches!(
                search(&conn, nothing, &SearchFilter::default()),
                Err(DomainError::Validation { .. })
            ));
        }
    }

    /// The ids of every page of a search, `per_page` at a time, checking
    /// each page's total.
    fn every_page(conn: &Connection, text: &str, filter: &SearchFilter, per_page: u32) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut total = None;
        loop {
            let page = search(
                conn,
                text,
                &SearchFilter {
                    limit: Some(per_page),
                    offset: Some(ids.len() as u64),
                    ..filter.clone()
                },
            )
            .unwrap();
            assert_eq!(*total.get_or_insert(page.total), page.total);
            assert!(page.hits.len() <= per_page as usize);
            if page.hits.is_empty() {
                break;
            }
            ids.extend(page.hits.iter().map(|h| h.document_id));
        }
        assert_eq!(
            total,
            Some(ids.len() as u64),
            "the total is what paging reaches"
        );
        ids
    }

    /// More documents hold a common word than the old search ranked (the
    /// newest 10,000): the best match of all, an old document dense with
    /// the word, comes first; the total is exact; and paging reaches every
    /// match once, in a stable order, in each sort, with filters too.
    /// Fails if any match is unreachable.
    #[test]
    fn every_match_is_counted_and_reachable_by_paging_best_first() {
        let (_d, conn) = db();
        let lease = open_matter(&conn, "Lease");
        let estate = open_matter(&conn, "Estate");
        let old_title = document(&conn, lease, "Boundary survey", "a plan of the plot");
        let old_trashed = document(&conn, lease, "Boundary draft", "a draft");
        documents::set_trashed(&conn, old_trashed, true).unwrap();
        let old_text = document(
            &conn,
            estate,
            "Boundary letter",
            "boundary, boundary, boundary, boundary",
        );
        conn.execute_batch("BEGIN").unwrap();
        let mut notes = Vec::new();
        for i in 0..10_050 {
            let body = if i % 3 == 0 {
                "the boundary again, and the boundary"
            } else {
                "the boundary again"
            };
            notes.push(document(&conn, lease, &format!("Note {i}"), body));
        }
        conn.execute_batch("COMMIT").unwrap();
        document(&conn, lease, "Unrelated", "nothing to see");

        let mut matching: Vec<i64> = notes.clone();
        matching.extend([old_title, old_text]);
        matching.sort_unstable();

        let first = search(&conn, "boundary", &SearchFilter::default()).unwrap();
        assert_eq!(first.total, matching.len() as u64);
        assert_eq!((first.offset, first.limit, first.hits.len()), (0, 50, 50));
        assert_eq!(
            first.hits[0].document_id, old_text,
            "the densest match is first"
        );
        assert!(first.hits.iter().all(|h| h.document_id != old_trashed));

        for sort in [SearchSort::Best, SearchSort::Added, SearchSort::Title] {
            let filter = SearchFilter {
                sort: Some(sort),
                ..Default::default()
            };
            let paged = every_page(&conn, "boundary", &filter, 997);
            let mut reached = paged.clone();
            reached.sort_unstable();
            assert_eq!(reached, matching, "{sort:?}: every match once");
            // Stable: the same pages again, in another page size.
            assert_eq!(
                every_page(&conn, "boundary", &filter, 4_000),
                paged,
                "{sort:?}"
            );
            match sort {
                SearchSort::Best => assert_eq!(paged[0], old_text),
                SearchSort::Added => assert_eq!(paged[paged.len() - 1], old_title),
                SearchSort::Title => assert_eq!(paged[..3], [old_text, old_title, notes[0]]),
            }
        }

        let in_estate = search(
            &conn,
            "boundary",
            &SearchFilter {
                matter_id: Some(estate),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(in_estate.total, 1);
        assert_eq!(in_estate.hits[0].document_id, old_text);
        assert!(
            in_estate.hits[0].snippet.contains("oundary]"),
            "{}",
            in_estate.hits[0].snippet
        );
        // Past the end: the total, no hits.
        let past = search(
            &conn,
            "boundary",
            &SearchFilter {
                offset: Some(1 << 40),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((past.total, past.hits.len()), (matching.len() as u64, 0));
    }

    /// Best-first ranks every match by the same score: the order of all
    /// pages is the order of bm25 over every match (then the id), as
    /// computed by a query with no paging and no filter on the window.
    #[test]
    fn best_first_paging_follows_the_exact_bm25_order() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Lease");
        for i in 0..120 {
            let body = format!(
                "{} filler {}",
                "rent ".repeat(1 + i % 7),
                "word ".repeat(i % 11)
            );
            document(&conn, matter, &format!("Item {i}"), &body);
        }
        let mut exact = conn
            .prepare(&format!(
                "SELECT rowid FROM document_search WHERE document_search MATCH '\"rent\"*'
                 ORDER BY {SCORE}, rowid"
            ))
            .unwrap();
        let exact: Vec<i64> = exact
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(exact.len(), 120);
        assert_eq!(
            every_page(&conn, "rent", &SearchFilter::default(), 7),
            exact
        );
    }

    /// A transcript or a log repeats its words: a document with the word
    /// on each of 30,000 lines is found, and its snippet shows the word.
    /// (FTS5's `snippet()` took seconds on it, growing with the square of
    /// the repetitions; `snippet.rs` shows the work is now bounded.)
    #[test]
    fn a_document_repeating_the_word_on_every_line_is_found_with_a_snippet() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Hearing");
        let text: String = (0..30_000)
            .map(|i| format!("Line {i:05}: objection.\n"))
            .collect();
        let long = document(&conn, matter, "Transcript", &text);
        let short = document(&conn, matter, "Letter", "no objection to the date");
        let hits = search(&conn, "objection", &SearchFilter::default())
            .unwrap()
            .hits;
        let ids: Vec<i64> = hits.iter().map(|h| h.document_id).collect();
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&long) && ids.contains(&short));
        let long_hit = &hits[ids.iter().position(|&i| i == long).unwrap()];
        assert!(
            long_hit.snippet.contains("[objection]") && long_hit.snippet.len() < 200,
            "{}",
            long_hit.snippet
        );
    }

    /// A snippet is made from the first places the words occur, however
    /// long the document: a passage showing more of them further on is
    /// not looked for. (Looking for it is what made a snippet's cost grow
    /// with the document; FTS5's `snippet()` would show the later one.)
    #[test]
    fn a_snippet_comes_from_near_the_first_match_not_from_anywhere_in_a_long_document() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Hearing");
        let filler = "the parties met and talked at length. ".repeat(3000);
        let text = format!("First the alpha clause. {filler} Later the alpha and omega clauses.");
        let id = document(&conn, matter, "Minutes", &text);
        let hits = search(&conn, "alpha omega", &SearchFilter::default())
            .unwrap()
            .hits;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].document_id, id);
        assert!(
            hits[0].snippet.starts_with("First the [alpha] clause.")
                && !hits[0].snippet.contains("omega"),
            "{}",
            hits[0].snippet
        );
    }

    /// Every page of the index, as stored.
    fn index_pages(conn: &Connection) -> Vec<Vec<u8>> {
        let mut pages = conn
            .prepare("SELECT block FROM document_search_data UNION ALL SELECT term FROM document_search_idx")
            .unwrap();
        pages
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn in_index(conn: &Connection, word: &str) -> bool {
        index_pages(conn)
            .iter()
            .any(|p| p.windows(word.len()).any(|w| w == word.as_bytes()))
    }

    /// Erased documents leave none of their words in the index's pages
    /// (not even in delete markers), whichever way they go, others stay
    /// searchable, and FTS5's secure-delete is on for every other change.
    #[test]
    fn erased_documents_leave_no_word_in_the_index() {
        let (_d, conn) = db();
        let matter = open_matter(&conn, "Estate");
        let kept = document(&conn, matter, "Kept", "pangolin privileged text");
        let add = |word: &str, lines: usize| {
            let text = format!("{word} privileged text ").repeat(lines);
            document(&conn, matter, &format!("Exhibit {word}"), &text)
        };
        let large = [add("quokka", 2000), add("narwhal", 2000)];
        let small = add("axolotl", 1);
        for w in ["quokka", "narwhal", "axolotl", "pangolin"] {
            assert!(
                in_index(&conn, w),
                "{w} not in the index before: the check would prove nothing"
            );
        }
        // A plain delete would leave the words in the index's pages.
        conn.execute_batch("SAVEPOINT plain").unwrap();
        conn.execute(
            "INSERT INTO document_search (document_search, rank) VALUES ('secure-delete', 0)",
            [],
        )
        .unwrap();
        conn.execute("DELETE FROM document_search WHERE rowid = ?1", [large[0]])
            .unwrap();
        assert!(in_index(&conn, "quokka"));
        conn.execute_batch("ROLLBACK TO plain; RELEASE plain")
            .unwrap();

        for (ids, way, words) in [
            (&[small][..], Erased::InPlace, &["axolotl"][..]),
            (&large[..], Erased::Rewritten, &["quokka", "narwhal"][..]),
        ] {
            conn.execute_batch("BEGIN").unwrap();
            assert_eq!(erase(&conn, ids).unwrap(), way);
            conn.execute_batch("COMMIT").unwrap();
            for w in words {
                assert!(!in_index(&conn, w), "{w} left in the index ({way:?})");
            }
            let secure: i64 = conn
                .query_row(
                    "SELECT v FROM document_search_config WHERE k = 'secure-delete'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(secure, 1);
        }
        assert!(in_index(&conn, "pangolin"));
        let hits = search(&conn, "privileged", &SearchFilter::default())
            .unwrap()
            .hits;
        assert_eq!(
            hits.iter().map(|h| h.document_id).collect::<Vec<_>>(),
            [kept]
        );
    }

    #[test]
    fn large_destructions_rewrite_the_index_and_small_ones_do_not() {
        let check = |text: i64, rows: i64, expect: bool| {
            assert_eq!(
                rewrites_index(text, rows),
                expect,
                "{text} bytes, {rows} rows"
            )
        };
        check(0, 0, false);
        check(3_000, 13_742, false);
        check(200 * 13_742, 13_742, false);
        check(12 << 20, 13_742, true);
        check(12 << 20, 1_000, true);
        check(100, 0, true);
    }
}
