//! Document records: which matter a document belongs to and its versions.
//! The bytes live encrypted in the vault's blobs; a version's key is kept
//! here only wrapped.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, now, optional, required};

/// One row of a matter's document list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    pub id: i64,
    pub matter_id: i64,
    pub title: String,
    pub original_name: String,
    pub versions: i64,
    /// Size in bytes of the current version.
    pub size: i64,
    /// SHA-256 of the current version's content, hex.
    pub sha256: String,
    pub created_at: String,
    pub updated_at: String,
    pub notes: String,
    pub tags: Vec<String>,
    /// `extracted`, `no_text` (an image-only scan), `unsupported` or `not_extracted`.
    pub text_status: String,
    /// When it was moved to the trash; `None` for a live document.
    pub trashed_at: Option<String>,
    /// Where the text recognition of a scan stands; `None` when it has none.
    pub ocr_status: Option<crate::ocr::OcrState>,
}

/// One version in a document's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub version: i64,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
}

/// Which documents of a matter to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    Live,
    Trash,
}

/// What opening a document's current version needs.
#[derive(Clone, Debug)]
pub struct VersionKey {
    pub document_id: i64,
    pub version: i64,
    pub title: String,
    pub original_name: String,
    pub blob_id: String,
    pub wrapped_key: Vec<u8>,
    pub sha256: Vec<u8>,
}

/// A new version's record, after its blob is durable.
pub struct NewVersion<'a> {
    pub blob_id: &'a str,
    pub key_id: &'a [u8],
    pub wrapped_key: &'a [u8],
    pub size: u64,
    pub sha256: &'a [u8],
}

/// Creates a document in a matter with its first version; returns its id.
pub fn create(
    conn: &Connection,
    matter_id: i64,
    title: &str,
    original_name: &str,
    version: &NewVersion<'_>,
) -> Result<i64, DomainError> {
    crate::matters::get(conn, matter_id)?;
    let title = required("title", "The document title", title)?;
    let original_name = optional("original_name", "The file name", original_name)?;
    let at = now();
    conn.execute(
        "INSERT INTO documents (matter_id, title, original_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![matter_id, title, original_name, at],
    )?;
    let id = conn.last_insert_rowid();
    insert_version(conn, id, 1, version, &at)?;
    Ok(id)
}

fn insert_version(
    conn: &Connection,
    document_id: i64,
    number: i64,
    version: &NewVersion<'_>,
    at: &str,
) -> Result<(), DomainError> {
    conn.execute(
        "INSERT INTO document_versions (document_id, version, blob_id, key_id, wrapped_key, size, sha256, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            document_id,
            number,
            version.blob_id,
            version.key_id,
            version.wrapped_key,
            i64::try_from(version.size).unwrap_or(i64::MAX),
            version.sha256,
            at
        ],
    )?;
    Ok(())
}

/// Adds a new current version to a live document; returns its number.
pub fn add_version(
    conn: &Connection,
    id: i64,
    version: &NewVersion<'_>,
) -> Result<i64, DomainError> {
    live(conn, id)?;
    let number: i64 = conn.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM document_versions WHERE document_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let at = now();
    insert_version(conn, id, number, version, &at)?;
    touch(conn, id, &at)?;
    Ok(number)
}

/// A document's versions, newest first.
pub fn versions(conn: &Connection, id: i64) -> Result<Vec<VersionInfo>, DomainError> {
    get(conn, id)?;
    let mut stmt = conn.prepare(
        "SELECT version, size, sha256, created_at FROM document_versions
         WHERE document_id = ?1 ORDER BY version DESC",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(VersionInfo {
            version: r.get(0)?,
            size: r.get(1)?,
            sha256: hex_of(&r.get::<_, Vec<u8>>(2)?),
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The most tags one document carries, and the longest tag.
pub const MAX_TAGS: usize = 30;
pub const MAX_TAG: usize = 60;

/// Checks and normalises tags: trimmed, no duplicates (ignoring case),
/// sorted.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG {
            // Not echoed whole: the message would be as long as the tag.
            let start: String = t.chars().take(20).collect();
            return Err(crate::validation(
                "tags",
                format!(
                    "The tag \u{201c}{start}\u{2026}\u{201d} is longer than {MAX_TAG} characters."
                ),
            ));
        }
        if t.chars().any(|c| c.is_control() || c == ',') {
            return Err(crate::validation(
                "tags",
                format!("The tag \u{201c}{t}\u{201d} contains a comma or control character."),
            ));
        }
        if !crate::text::has_visible(t) {
            return Err(crate::validation(
                "tags",
                "A tag has only invisible characters; type one that shows.",
            ));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(crate::validation(
            "tags",
            format!("A document carries at most {MAX_TAGS} tags."),
        ));
    }
    out.sort_by_key(|t| t.to_lowercase());
    Ok(out)
}

/// What a [`DocumentPatch`] may change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPatch {
    pub title: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Applies a patch to a live document; returns the names of the fields
/// that changed.
pub fn update(
    conn: &Connection,
    id: i64,
    patch: &DocumentPatch,
) -> Result<Vec<&'static str>, DomainError> {
    live(conn, id)?;
    let mut changed = Vec::new();
    if let Some(title) = &patch.title {
        let title = required("title", "The document title", title)?;
        conn.execute(
            "UPDATE documents SET title = ?2 WHERE id = ?1",
            params![id, title],
        )?;
        changed.push("title");
    }
    if let Some(notes) = &patch.notes {
        conn.execute(
            "UPDATE documents SET notes = ?2 WHERE id = ?1",
            params![id, crate::notes(notes)?],
        )?;
        changed.push("notes");
    }
    if let Some(tags) = &patch.tags {
        let tags = clean_tags(tags)?;
        conn.execute("DELETE FROM document_tags WHERE document_id = ?1", [id])?;
        for t in &tags {
            conn.execute(
                "INSERT INTO document_tags (document_id, tag) VALUES (?1, ?2)",
                params![id, t],
            )?;
        }
        changed.push("tags");
    }
    if !changed.is_empty() {
        touch(conn, id, &now())?;
        crate::search::refresh_names(conn, id)?;
    }
    Ok(changed)
}

/// Moves a live document to another matter; returns the matter it left.
pub fn move_to(conn: &Connection, id: i64, matter_id: i64) -> Result<i64, DomainError> {
    let from = live(conn, id)?.matter_id;
    crate::matters::get(conn, matter_id)?;
    if from == matter_id {
        return Err(crate::validation(
            "matter_id",
            "The document is in that matter already.",
        ));
    }
    conn.execute(
        "UPDATE documents SET matter_id = ?2 WHERE id = ?1",
        params![id, matter_id],
    )?;
    touch(conn, id, &now())?;
    Ok(from)
}

/// Moves a document to the trash, or takes it out again.
pub fn set_trashed(conn: &Connection, id: i64, trashed: bool) -> Result<(), DomainError> {
    let doc = get(conn, id)?;
    if doc.trashed_at.is_some() == trashed {
        return Err(crate::validation(
            "trashed",
            if trashed {
                "The document is in the trash already."
            } else {
                "The document is not in the trash."
            },
        ));
    }
    let at = now();
    conn.execute(
        "UPDATE documents SET trashed_at = ?2 WHERE id = ?1",
        params![id, trashed.then_some(&at)],
    )?;
    touch(conn, id, &at)
}

fn touch(conn: &Connection, id: i64, at: &str) -> Result<(), DomainError> {
    conn.execute(
        "UPDATE documents SET updated_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// A document that is not in the trash (changes need one).
fn live(conn: &Connection, id: i64) -> Result<DocumentSummary, DomainError> {
    let doc = get(conn, id)?;
    if doc.trashed_at.is_some() {
        return Err(crate::validation(
            "trashed",
            "The document is in the trash; restore it first.",
        ));
    }
    Ok(doc)
}

/// A document in `matter_id` whose current content has this SHA-256.
pub fn find_same_content(
    conn: &Connection,
    matter_id: i64,
    sha256: &[u8],
) -> Result<Option<(i64, String)>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT d.id, d.title FROM documents d JOIN document_versions v ON v.document_id = d.id
             WHERE d.matter_id = ?1 AND v.sha256 = ?2 ORDER BY d.id LIMIT 1",
            params![matter_id, sha256],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

const SUMMARY_SELECT: &str = "SELECT d.id, d.matter_id, d.title, d.original_name,
        (SELECT count(*) FROM document_versions WHERE document_id = d.id),
        v.size, v.sha256, d.created_at, d.updated_at, d.notes,
        (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM document_tags
            WHERE document_id = d.id ORDER BY tag COLLATE NOCASE)),
        d.text_status, d.trashed_at,
        (SELECT status FROM ocr_jobs WHERE document_id = d.id)
 FROM documents d
 JOIN document_versions v ON v.document_id = d.id
  AND v.version = (SELECT max(version) FROM document_versions WHERE document_id = d.id)";

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentSummary> {
    let tags: Option<String> = r.get(10)?;
    Ok(DocumentSummary {
        id: r.get(0)?,
        matter_id: r.get(1)?,
        title: r.get(2)?,
        original_name: r.get(3)?,
        versions: r.get(4)?,
        size: r.get(5)?,
        sha256: hex_of(&r.get::<_, Vec<u8>>(6)?),
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        notes: r.get(9)?,
        tags: tags
            .map(|t| t.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
        text_status: r.get(11)?,
        trashed_at: r.get(12)?,
        ocr_status: r
            .get::<_, Option<String>>(13)?
            .map(|s| crate::ocr::OcrState::parse(&s)),
    })
}

/// A matter's documents on one shelf, newest first.
/// A live document anywhere in the vault whose current content has this
/// SHA-256 (the inbox flags such arrivals).
pub fn find_same_content_anywhere(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<i64>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT d.id FROM documents d JOIN document_versions v ON v.document_id = d.id
             WHERE v.sha256 = ?1 AND d.trashed_at IS NULL ORDER BY d.id LIMIT 1",
            [sha256],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn list(
    conn: &Connection,
    matter_id: i64,
    shelf: Shelf,
) -> Result<Vec<DocumentSummary>, DomainError> {
    let trashed = match shelf {
        Shelf::Live => "IS NULL",
        Shelf::Trash => "IS NOT NULL",
    };
    let mut stmt = conn.prepare(&format!(
        "{SUMMARY_SELECT} WHERE d.matter_id = ?1 AND d.trashed_at {trashed}
         ORDER BY d.created_at DESC, d.id DESC"
    ))?;
    let rows = stmt.query_map([matter_id], summary)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<DocumentSummary, DomainError> {
    conn.query_row(&format!("{SUMMARY_SELECT} WHERE d.id = ?1"), [id], summary)
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "document",
            key: format!("id {id}"),
        })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key material and blob of version `version` of document `id`
/// (`None`: the current version).
pub fn version_key(
    conn: &Connection,
    id: i64,
    version: Option<i64>,
) -> Result<VersionKey, DomainError> {
    conn.query_row(
        "SELECT d.id, v.version, d.title, d.original_name, v.blob_id, v.wrapped_key, v.sha256
         FROM documents d JOIN document_versions v ON v.document_id = d.id
         WHERE d.id = ?1 AND (?2 IS NULL OR v.version = ?2) ORDER BY v.version DESC LIMIT 1",
        params![id, version],
        version_key_row,
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "document version",
        key: match version {
            Some(v) => format!("document id {id}, version {v}"),
            None => format!("document id {id}"),
        },
    })
}

fn version_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VersionKey> {
    Ok(VersionKey {
        document_id: r.get(0)?,
        version: r.get(1)?,
        title: r.get(2)?,
        original_name: r.get(3)?,
        blob_id: r.get(4)?,
        wrapped_key: r.get(5)?,
        sha256: r.get(6)?,
    })
}

/// Every version's blob, with what checking it needs.
pub fn all_versions(conn: &Connection) -> Result<Vec<VersionKey>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT d.id, v.version, d.title, d.original_name, v.blob_id, v.wrapped_key, v.sha256
         FROM document_versions v JOIN documents d ON d.id = v.document_id ORDER BY v.id",
    )?;
    let rows = stmt.query_map([], version_key_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Result<Vec<String>, DomainError> {
        clean_tags(&list.iter().map(|t| t.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_checked() {
        assert_eq!(
            tags(&[" Urgent", "urgent ", "", "Court"]).unwrap(),
            ["Court", "Urgent"]
        );
        let refused = |list: &[&str], expect: &str| match tags(list) {
            Err(DomainError::Validation { field, message }) => {
                assert_eq!(field, "tags");
                assert!(message.contains(expect), "{list:?}: {message}");
            }
            other => panic!("{list:?}: {other:?}"),
        };
        refused(&["a,b"], "comma or control");
        refused(&["a\u{1b}b"], "comma or control");
        refused(&["\u{200b}"], "only invisible");
        refused(&["\u{202e}\u{2066}"], "only invisible");
        let long = "x".repeat(10_000);
        refused(&[&long], "longer than 60");
        // The message names the tag's start, not all of it.
        let Err(e) = tags(&[&long]) else { panic!() };
        assert!(e.to_string().len() < 200, "{e}");
    }
}
