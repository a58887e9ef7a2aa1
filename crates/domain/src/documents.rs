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
}

/// What opening a document's current version needs.
#[derive(Clone, Debug)]
pub struct VersionKey {
    pub document_id: i64,
    pub title: String,
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
    conn.execute(
        "INSERT INTO document_versions (document_id, version, blob_id, key_id, wrapped_key, size, sha256, created_at)
         VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            version.blob_id,
            version.key_id,
            version.wrapped_key,
            i64::try_from(version.size).unwrap_or(i64::MAX),
            version.sha256,
            at
        ],
    )?;
    Ok(id)
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

pub fn list(conn: &Connection, matter_id: i64) -> Result<Vec<DocumentSummary>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.matter_id, d.title, d.original_name,
                (SELECT count(*) FROM document_versions WHERE document_id = d.id),
                v.size, v.sha256, d.created_at
         FROM documents d
         JOIN document_versions v ON v.document_id = d.id
          AND v.version = (SELECT max(version) FROM document_versions WHERE document_id = d.id)
         WHERE d.matter_id = ?1 ORDER BY d.created_at DESC, d.id DESC",
    )?;
    let rows = stmt.query_map([matter_id], |r| {
        Ok(DocumentSummary {
            id: r.get(0)?,
            matter_id: r.get(1)?,
            title: r.get(2)?,
            original_name: r.get(3)?,
            versions: r.get(4)?,
            size: r.get(5)?,
            sha256: hex_of(&r.get::<_, Vec<u8>>(6)?),
            created_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current version's key material and blob of document `id`.
pub fn current_version(conn: &Connection, id: i64) -> Result<VersionKey, DomainError> {
    conn.query_row(
        "SELECT d.id, d.title, v.blob_id, v.wrapped_key, v.sha256
         FROM documents d JOIN document_versions v ON v.document_id = d.id
         WHERE d.id = ?1 ORDER BY v.version DESC LIMIT 1",
        [id],
        |r| {
            Ok(VersionKey {
                document_id: r.get(0)?,
                title: r.get(1)?,
                blob_id: r.get(2)?,
                wrapped_key: r.get(3)?,
                sha256: r.get(4)?,
            })
        },
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "document",
        key: format!("id {id}"),
    })
}

/// Every version's blob, with what checking it needs.
pub fn all_versions(conn: &Connection) -> Result<Vec<VersionKey>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.title, v.blob_id, v.wrapped_key, v.sha256
         FROM document_versions v JOIN documents d ON d.id = v.document_id ORDER BY v.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(VersionKey {
            document_id: r.get(0)?,
            title: r.get(1)?,
            blob_id: r.get(2)?,
            wrapped_key: r.get(3)?,
            sha256: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
