//! Full-text search over documents: titles, file names, extracted text, tags and notes,
//! in an FTS5 index inside the encrypted database.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, validation};

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
    pub limit: Option<u32>,
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
}

/// Indexes a document's names and text, and records its text status.
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
        "INSERT INTO document_search (rowid, title, original_name, body, meta)
         VALUES (?1, ?2, ?3, ?4, coalesce((SELECT d.notes || ' ' || coalesce((SELECT group_concat(tag, ' ')
                        FROM document_tags WHERE document_id = d.id), '')
                    FROM documents d WHERE d.id = ?1), ''))",
        params![document_id, title, original_name, body],
    )?;
    conn.execute(
        "UPDATE documents SET text_status = ?2 WHERE id = ?1",
        params![document_id, status.as_str()],
    )?;
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
    Ok(())
}

/// Turns what a user typed into an FTS5 query of quoted terms, all of
/// which must match (prefix match on the last). Operators in the input
/// are treated as text, so no input is a syntax error.
pub fn to_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{t}\""))
        .collect();
    if terms.is_empty() {
        return None;
    }
    let mut q = terms.join(" ");
    q.push('*');
    Some(q)
}

pub fn search(
    conn: &Connection,
    text: &str,
    filter: &SearchFilter,
) -> Result<Vec<SearchHit>, DomainError> {
    let query = to_query(text).ok_or_else(|| validation("query", "Type a word to search for."))?;
    // Titles rank above file names above text.
    let mut stmt = conn.prepare(
        "SELECT d.id, d.title, m.id, m.number, c.name, d.original_name, d.created_at,
                snippet(document_search, -1, '[', ']', '…', 12)
         FROM document_search s
         JOIN documents d ON d.id = s.rowid
         JOIN matters m ON m.id = d.matter_id
         JOIN clients c ON c.id = m.client_id
         WHERE document_search MATCH ?1
           AND d.trashed_at IS NULL
           AND (?2 IS NULL OR m.id = ?2)
           AND (?3 IS NULL OR m.client_id = ?3)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM document_tags t
                WHERE t.document_id = d.id AND t.tag = ?5 COLLATE NOCASE))
           AND (?6 IS NULL OR d.created_at >= ?6)
           AND (?7 IS NULL OR d.created_at < date(?7, '+1 day'))
         ORDER BY bm25(document_search, 5.0, 2.0, 1.0, 3.0)
         LIMIT ?4",
    )?;
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
    let hits = stmt
        .query_map(
            params![
                query,
                filter.matter_id,
                filter.client_id,
                i64::from(filter.limit.unwrap_or(50)),
                filter
                    .tag
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty()),
                filter.added_from,
                filter.added_to,
            ],
            |r| {
                Ok(SearchHit {
                    document_id: r.get(0)?,
                    title: r.get(1)?,
                    matter_id: r.get(2)?,
                    matter_number: r.get(3)?,
                    client_name: r.get(4)?,
                    original_name: r.get(5)?,
                    created_at: r.get(6)?,
                    snippet: r.get(7)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_terms() {
        let check = |input: &str, expect: Option<&str>| {
            assert_eq!(to_query(input).as_deref(), expect, "{input}")
        };
        check("lease", Some("\"lease\"*"));
        check("  Boundary   dispute ", Some("\"Boundary\" \"dispute\"*"));
        check(
            "NEAR(a b) OR \"x",
            Some("\"NEAR\" \"a\" \"b\" \"OR\" \"x\"*"),
        );
        check("*** --", None);
        check("Zürich", Some("\"Zürich\"*"));
    }
}
