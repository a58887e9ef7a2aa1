//! The inbox's records: what was taken from the inbox folder, and the
//! Unfiled queue. The core writes them in the same transaction as the
//! document and its audit entry.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::documents::{self, NewVersion, VersionKey};
use crate::search::{self, TextStatus};
use crate::{DomainError, now};

/// A file waiting in the Unfiled queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UnfiledItem {
    pub id: i64,
    pub original_name: String,
    pub subfolder: String,
    pub received_at: String,
    pub size: i64,
    pub tags: Vec<String>,
    /// A document with the same content, if one exists already.
    pub duplicate_of: Option<i64>,
    /// That document named for people: its title, its matter's number and
    /// title, and the client.
    pub duplicate_of_name: Option<String>,
}

/// What is recorded for a file taken from the inbox.
pub struct NewItem<'a> {
    pub claim_id: &'a str,
    pub original_name: &'a str,
    pub subfolder: &'a str,
    pub size: u64,
    pub sha256: &'a [u8],
    pub routed_by: &'a str,
    pub tags: &'a [String],
}

/// Whether a claim was committed already (its file is in the vault).
pub fn claimed(conn: &Connection, claim_id: &str) -> Result<bool, DomainError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM inbox_items WHERE claim_id = ?1",
            [claim_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn tags_text(tags: &[String]) -> String {
    tags.join("\u{1f}")
}

fn tags_of(text: &str) -> Vec<String> {
    text.split('\u{1f}')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Where a file taken from the inbox went.
pub enum Placed<'a> {
    /// Straight into a matter, as this document.
    Filed(i64),
    /// Into the Unfiled queue, holding its sealed version and text.
    Unfiled {
        version: &'a NewVersion<'a>,
        body: &'a str,
        status: TextStatus,
        duplicate_of: Option<i64>,
    },
}

/// Records a file taken from the inbox, with its claim id.
pub fn record(
    conn: &Connection,
    item: &NewItem<'_>,
    placed: &Placed<'_>,
) -> Result<i64, DomainError> {
    let (document_id, version, body, status, duplicate_of) = match placed {
        Placed::Filed(id) => (Some(*id), None, "", TextStatus::Unsupported, None),
        Placed::Unfiled {
            version,
            body,
            status,
            duplicate_of,
        } => (None, Some(*version), *body, *status, *duplicate_of),
    };
    conn.execute(
        "INSERT INTO inbox_items (claim_id, original_name, subfolder, received_at, size, sha256,
                                  routed_by, document_id, duplicate_of, blob_id, key_id, wrapped_key,
                                  body, text_status, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            item.claim_id,
            item.original_name,
            item.subfolder,
            now(),
            i64::try_from(item.size).unwrap_or(i64::MAX),
            item.sha256,
            item.routed_by,
            document_id,
            duplicate_of,
            version.map(|v| v.blob_id),
            version.map(|v| v.key_id),
            version.map(|v| v.wrapped_key),
            body,
            status.as_str(),
            tags_text(item.tags),
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn unfiled(conn: &Connection) -> Result<Vec<UnfiledItem>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT i.id, i.original_name, i.subfolder, i.received_at, i.size, i.tags, i.duplicate_of,
                '“' || d.title || '” in matter ' || m.number || ' “' || m.title || '” · ' || c.name
         FROM inbox_items i
         LEFT JOIN documents d ON d.id = i.duplicate_of
         LEFT JOIN matters m ON m.id = d.matter_id
         LEFT JOIN clients c ON c.id = m.client_id
         WHERE i.document_id IS NULL ORDER BY i.id",
    )?;
    let rows = stmt.query_map([], |r| {
        let tags: String = r.get(5)?;
        Ok(UnfiledItem {
            id: r.get(0)?,
            original_name: r.get(1)?,
            subfolder: r.get(2)?,
            received_at: r.get(3)?,
            size: r.get(4)?,
            tags: tags_of(&tags),
            duplicate_of: r.get(6)?,
            duplicate_of_name: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Files an Unfiled item into a matter: creates the document from the
/// item's sealed version (the same blob and wrapped key) with its text
/// and tags, and empties the item. Returns the document id.
pub fn file(conn: &Connection, item_id: i64, matter_id: i64) -> Result<i64, DomainError> {
    type Row = (
        String,
        String,
        i64,
        Vec<u8>,
        String,
        Vec<u8>,
        Vec<u8>,
        String,
        String,
    );
    let row: Option<Row> = conn
        .query_row(
            "SELECT original_name, tags, size, sha256, blob_id, key_id, wrapped_key, body, text_status
             FROM inbox_items WHERE id = ?1 AND document_id IS NULL",
            [item_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .optional()?;
    let (name, tags, size, sha256, blob_id, key_id, wrapped_key, body, status) =
        row.ok_or_else(|| not_unfiled(item_id))?;
    let id = documents::create(
        conn,
        matter_id,
        &name,
        &name,
        &NewVersion {
            blob_id: &blob_id,
            key_id: &key_id,
            wrapped_key: &wrapped_key,
            size: u64::try_from(size).unwrap_or(0),
            sha256: &sha256,
        },
    )?;
    conn.execute(
        "UPDATE inbox_items SET document_id = ?2, blob_id = NULL, key_id = NULL, wrapped_key = NULL,
                body = '' WHERE id = ?1",
        params![item_id, id],
    )?;
    search::index(conn, id, &name, &name, &body, TextStatus::parse(&status))?;
    let tags = tags_of(&tags);
    if !tags.is_empty() {
        documents::update(
            conn,
            id,
            &documents::DocumentPatch {
                tags: Some(tags),
                ..Default::default()
            },
        )?;
    }
    Ok(id)
}

/// An Unfiled item's sealed content, to preview it: its key record (with
/// no document yet, `document_id` and `version` are 0) and its size.
pub fn sealed(conn: &Connection, item_id: i64) -> Result<(VersionKey, i64), DomainError> {
    conn.query_row(
        "SELECT original_name, blob_id, wrapped_key, sha256, size
         FROM inbox_items WHERE id = ?1 AND document_id IS NULL AND blob_id IS NOT NULL",
        [item_id],
        |r| {
            let name: String = r.get(0)?;
            Ok((
                VersionKey {
                    document_id: 0,
                    version: 0,
                    title: name.clone(),
                    original_name: name,
                    blob_id: r.get(1)?,
                    wrapped_key: r.get(2)?,
                    sha256: r.get(3)?,
                },
                r.get(4)?,
            ))
        },
    )
    .optional()?
    .ok_or_else(|| not_unfiled(item_id))
}

fn not_unfiled(item_id: i64) -> DomainError {
    DomainError::NotFound {
        what: "unfiled inbox item",
        key: format!("id {item_id}"),
    }
}

/// Discards Unfiled items the user does not want in the vault: their rows
/// go (name, text and key with them, as when a filed document is
/// destroyed) and their blobs are queued for destruction, which the caller
/// finishes after the commit. Every id must be a waiting item, or nothing
/// is discarded. Returns the blob ids.
///
/// With the row goes its claim id: an original the inbox had not yet
/// removed after a crash (its next pass removes it first thing) would be
/// taken again, never left behind unencrypted.
pub fn discard(conn: &Connection, item_ids: &[i64]) -> Result<Vec<String>, DomainError> {
    let mut blobs = Vec::with_capacity(item_ids.len());
    for &id in item_ids {
        let (sealed, _) = sealed(conn, id)?;
        conn.execute(
            "INSERT OR IGNORE INTO destruction_jobs (blob_id) VALUES (?1)",
            [&sealed.blob_id],
        )?;
        conn.execute("DELETE FROM inbox_items WHERE id = ?1", [id])?;
        blobs.push(sealed.blob_id);
    }
    Ok(blobs)
}

/// Blob ids held by Unfiled items (the doctor counts them as known).
pub fn held_blobs(conn: &Connection) -> Result<Vec<String>, DomainError> {
    let mut stmt = conn.prepare("SELECT blob_id FROM inbox_items WHERE blob_id IS NOT NULL")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn counts(conn: &Connection) -> Result<(i64, i64), DomainError> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(document_id IS NULL), 0) FROM inbox_items",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
