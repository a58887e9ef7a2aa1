//! Shares (#18): the permanent record of every package that left the
//! vault (which document versions with their SHA-256, to whom, in which
//! format, when, by whom, and the package's own SHA-256), recipients'
//! age public keys kept with a client or a party, and the vault's
//! manifest-signing key.
//!
//! Writing packages is not done here (the core does it with
//! `matterbox-share`); this module keeps the records. Shares and their
//! documents are never changed or deleted (triggers refuse it).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, now, optional, required, validation};

/// One document version in a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SharedDocument {
    pub document_id: i64,
    pub version: i64,
    pub matter_id: i64,
    /// Its name inside the package (`documents/<name>`).
    pub name: String,
    pub size: i64,
    /// SHA-256 of the content, hex (the same as the manifest's).
    pub sha256: String,
}

/// How a package was protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// A generated passphrase of words.
    PassphraseWords,
    /// A generated random string.
    PassphraseRandom,
    /// The recipient's age public key.
    AgeKey,
    /// None: a court bundle, the one unencrypted output.
    None,
}

impl Protection {
    pub fn as_str(self) -> &'static str {
        match self {
            Protection::PassphraseWords => "passphrase_words",
            Protection::PassphraseRandom => "passphrase_random",
            Protection::AgeKey => "age_key",
            Protection::None => "none",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "passphrase_words" => Protection::PassphraseWords,
            "passphrase_random" => Protection::PassphraseRandom,
            "none" => Protection::None,
            _ => Protection::AgeKey,
        }
    }
}

/// A package's container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ShareFormat {
    Age,
    Zip,
    /// A court bundle: one unencrypted, text-searchable PDF.
    Pdf,
}

impl ShareFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareFormat::Age => "age",
            ShareFormat::Zip => "zip",
            ShareFormat::Pdf => "pdf",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "zip" => ShareFormat::Zip,
            "pdf" => ShareFormat::Pdf,
            _ => ShareFormat::Age,
        }
    }
}

/// A recorded package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    pub id: i64,
    /// The random id in the package's manifest.
    pub package_id: String,
    pub client_id: i64,
    pub format: ShareFormat,
    pub protection: Protection,
    /// Whether names were hidden in an inner archive (zip only).
    pub hide_names: bool,
    /// Who it was for, as the user said (or the client's or party's name).
    pub recipient: String,
    pub recipient_key_id: Option<i64>,
    /// The age public key it was encrypted to, if any.
    pub recipient_key: Option<String>,
    /// Where it was written.
    pub file_path: String,
    pub package_sha256: String,
    pub package_size: i64,
    pub created_by: String,
    pub created_at: String,
    pub documents: Vec<SharedDocument>,
}

/// What [`record`] saves.
pub struct NewShare<'a> {
    pub package_id: &'a str,
    pub client_id: i64,
    pub format: ShareFormat,
    pub protection: Protection,
    pub hide_names: bool,
    pub recipient: &'a str,
    pub recipient_key_id: Option<i64>,
    pub recipient_key: Option<&'a str>,
    pub file_path: &'a str,
    pub package_sha256: &'a str,
    pub package_size: u64,
    pub created_at: &'a str,
    pub documents: &'a [SharedDocument],
}

/// Checks and trims the recipient's description.
pub fn recipient_text(recipient: &str) -> Result<String, DomainError> {
    required("recipient", "The recipient", recipient)
}

/// Records a package that was written; returns its id.
pub fn record(conn: &Connection, share: &NewShare<'_>, actor: &str) -> Result<i64, DomainError> {
    let recipient = recipient_text(share.recipient)?;
    if share.documents.is_empty() {
        return Err(validation(
            "documents",
            "A share has at least one document.",
        ));
    }
    conn.execute(
        "INSERT INTO shares (package_id, client_id, format, protection, hide_names, recipient,
             recipient_key_id, recipient_key, file_path, package_sha256, package_size, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            share.package_id,
            share.client_id,
            share.format.as_str(),
            share.protection.as_str(),
            share.hide_names,
            recipient,
            share.recipient_key_id,
            share.recipient_key,
            share.file_path,
            share.package_sha256,
            i64::try_from(share.package_size).unwrap_or(i64::MAX),
            actor,
            share.created_at,
        ],
    )?;
    let id = conn.last_insert_rowid();
    let mut insert = conn.prepare(
        "INSERT INTO share_documents (share_id, position, document_id, version, matter_id, name, size, sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (i, d) in share.documents.iter().enumerate() {
        insert.execute(params![
            id,
            i64::try_from(i).unwrap_or(i64::MAX),
            d.document_id,
            d.version,
            d.matter_id,
            d.name,
            d.size,
            d.sha256
        ])?;
    }
    Ok(id)
}

fn share_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Share> {
    Ok(Share {
        id: r.get(0)?,
        package_id: r.get(1)?,
        client_id: r.get(2)?,
        format: ShareFormat::from_db(&r.get::<_, String>(3)?),
        protection: Protection::from_db(&r.get::<_, String>(4)?),
        hide_names: r.get(5)?,
        recipient: r.get(6)?,
        recipient_key_id: r.get(7)?,
        recipient_key: r.get(8)?,
        file_path: r.get(9)?,
        package_sha256: r.get(10)?,
        package_size: r.get(11)?,
        created_by: r.get(12)?,
        created_at: r.get(13)?,
        documents: Vec::new(),
    })
}

const SHARE_COLUMNS: &str = "s.id, s.package_id, s.client_id, s.format, s.protection, s.hide_names, s.recipient,
     s.recipient_key_id, s.recipient_key, s.file_path, s.package_sha256, s.package_size, s.created_by, s.created_at";

fn with_documents(conn: &Connection, mut share: Share) -> Result<Share, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT document_id, version, matter_id, name, size, sha256 FROM share_documents
         WHERE share_id = ?1 ORDER BY position",
    )?;
    share.documents = stmt
        .query_map([share.id], |r| {
            Ok(SharedDocument {
                document_id: r.get(0)?,
                version: r.get(1)?,
                matter_id: r.get(2)?,
                name: r.get(3)?,
                size: r.get(4)?,
                sha256: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(share)
}

pub fn get(conn: &Connection, id: i64) -> Result<Share, DomainError> {
    let share = conn
        .query_row(
            &format!("SELECT {SHARE_COLUMNS} FROM shares s WHERE s.id = ?1"),
            [id],
            share_row,
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "share",
            key: format!("id {id}"),
        })?;
    with_documents(conn, share)
}

/// Which shares to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShareFilter {
    /// Shares holding a document of this matter.
    pub matter_id: Option<i64>,
    pub client_id: Option<i64>,
}

/// Shares, newest first.
pub fn list(conn: &Connection, filter: ShareFilter) -> Result<Vec<Share>, DomainError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {SHARE_COLUMNS} FROM shares s
         WHERE (?1 IS NULL OR s.client_id = ?1)
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM share_documents d WHERE d.share_id = s.id AND d.matter_id = ?2))
         ORDER BY s.created_at DESC, s.id DESC"
    ))?;
    let shares: Vec<Share> = stmt
        .query_map(params![filter.client_id, filter.matter_id], share_row)?
        .collect::<Result<_, _>>()?;
    shares
        .into_iter()
        .map(|s| with_documents(conn, s))
        .collect()
}

/// The signing key's secret bytes and public key, if one was made.
pub fn signing_key(conn: &Connection) -> Result<Option<(Vec<u8>, String)>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT secret, public_key FROM signing_key WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Saves the vault's signing key (once: a second is refused).
pub fn save_signing_key(
    conn: &Connection,
    secret: &[u8],
    public_key: &str,
) -> Result<(), DomainError> {
    conn.execute(
        "INSERT INTO signing_key (id, secret, public_key, created_at) VALUES (1, ?1, ?2, ?3)",
        params![secret, public_key, now()],
    )?;
    Ok(())
}

/// Whose age key it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum KeyHolder {
    Client(i64),
    Party(i64),
}

impl KeyHolder {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            KeyHolder::Client(c) => (Some(c), None),
            KeyHolder::Party(p) => (None, Some(p)),
        }
    }
}

/// A recipient's age public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecipientKey {
    pub id: i64,
    pub holder: KeyHolder,
    pub public_key: String,
    /// For reading back by phone (see `matterbox_share::recipient_fingerprint`).
    pub fingerprint: String,
    pub added_by: String,
    pub added_at: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
    /// When a newer key replaced it; `None` for the key in use.
    pub replaced_at: Option<String>,
}

const KEY_COLUMNS: &str = "id, client_id, party_id, public_key, fingerprint, added_by, added_at,
     confirmed_by, confirmed_at, replaced_at";

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecipientKey> {
    let client: Option<i64> = r.get(1)?;
    let party: Option<i64> = r.get(2)?;
    Ok(RecipientKey {
        id: r.get(0)?,
        holder: match (client, party) {
            (Some(c), _) => KeyHolder::Client(c),
            (None, p) => KeyHolder::Party(p.unwrap_or_default()),
        },
        public_key: r.get(3)?,
        fingerprint: r.get(4)?,
        added_by: r.get(5)?,
        added_at: r.get(6)?,
        confirmed_by: r.get(7)?,
        confirmed_at: r.get(8)?,
        replaced_at: r.get(9)?,
    })
}

/// Every key a holder has had, newest first (the first is in use unless
/// it was replaced).
pub fn keys(conn: &Connection, holder: KeyHolder) -> Result<Vec<RecipientKey>, DomainError> {
    let (client, party) = holder.ids();
    let mut stmt = conn.prepare(&format!(
        "SELECT {KEY_COLUMNS} FROM recipient_keys
         WHERE client_id IS ?1 AND party_id IS ?2 ORDER BY id DESC"
    ))?;
    Ok(stmt
        .query_map(params![client, party], key_row)?
        .collect::<Result<_, _>>()?)
}

/// The key in use for a holder.
pub fn current_key(
    conn: &Connection,
    holder: KeyHolder,
) -> Result<Option<RecipientKey>, DomainError> {
    Ok(keys(conn, holder)?
        .into_iter()
        .find(|k| k.replaced_at.is_none()))
}

pub fn key(conn: &Connection, id: i64) -> Result<RecipientKey, DomainError> {
    conn.query_row(
        &format!("SELECT {KEY_COLUMNS} FROM recipient_keys WHERE id = ?1"),
        [id],
        key_row,
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "recipient key",
        key: format!("id {id}"),
    })
}

/// Keeps `public_key` as the holder's key. The same key again changes
/// nothing; a different one replaces the key in use, which is returned so
/// the caller can warn. The holder must exist.
pub fn set_key(
    conn: &Connection,
    holder: KeyHolder,
    public_key: &str,
    fingerprint: &str,
    actor: &str,
) -> Result<(RecipientKey, Option<RecipientKey>), DomainError> {
    let public_key = optional("key", "The key", public_key)?;
    match holder {
        KeyHolder::Client(id) => {
            crate::clients::get(conn, id)?;
        }
        KeyHolder::Party(id) => {
            let exists: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM matter_parties WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(DomainError::NotFound {
                    what: "party",
                    key: format!("id {id}"),
                });
            }
        }
    }
    let current = current_key(conn, holder)?;
    if let Some(c) = &current
        && c.public_key == public_key
    {
        return Ok((c.clone(), None));
    }
    let at = now();
    if let Some(c) = &current {
        conn.execute(
            "UPDATE recipient_keys SET replaced_at = ?2 WHERE id = ?1",
            params![c.id, at],
        )?;
    }
    let (client, party) = holder.ids();
    conn.execute(
        "INSERT INTO recipient_keys (client_id, party_id, public_key, fingerprint, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![client, party, public_key, fingerprint, actor, at],
    )?;
    Ok((key(conn, conn.last_insert_rowid())?, current))
}

/// Records that the key's fingerprint was confirmed with its holder.
pub fn confirm_key(conn: &Connection, id: i64, actor: &str) -> Result<RecipientKey, DomainError> {
    let k = key(conn, id)?;
    if k.replaced_at.is_some() {
        return Err(DomainError::Conflict(
            "That key was replaced by a newer one; confirm the newer key.".into(),
        ));
    }
    if k.confirmed_at.is_none() {
        conn.execute(
            "UPDATE recipient_keys SET confirmed_by = ?2, confirmed_at = ?3 WHERE id = ?1",
            params![id, actor, now()],
        )?;
    }
    key(conn, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn client(conn: &Connection) -> i64 {
        conn.execute(
            "INSERT INTO clients (kind, name, created_at, updated_at) VALUES ('person', 'Ada Fictional', 't', 't')",
            [],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    #[test]
    fn shares_are_recorded_listed_and_permanent() {
        let (_d, conn) = db();
        let c = client(&conn);
        let docs = [SharedDocument {
            document_id: 7,
            version: 2,
            matter_id: 3,
            name: "a.pdf".into(),
            size: 10,
            sha256: "ab".repeat(32),
        }];
        let id = record(
            &conn,
            &NewShare {
                package_id: "p1",
                client_id: c,
                format: ShareFormat::Age,
                protection: Protection::PassphraseWords,
                hide_names: false,
                recipient: " Ada ",
                recipient_key_id: None,
                recipient_key: None,
                file_path: "/tmp/x.zip.age",
                package_sha256: &"cd".repeat(32),
                package_size: 99,
                created_at: "2026-12-05T10:00:00Z",
                documents: &docs,
            },
            "tester",
        )
        .unwrap();
        let s = get(&conn, id).unwrap();
        assert_eq!(s.recipient, "Ada");
        assert_eq!(s.documents, docs);
        let by_matter = |m| {
            list(
                &conn,
                ShareFilter {
                    matter_id: Some(m),
                    client_id: None,
                },
            )
            .unwrap()
            .len()
        };
        assert_eq!(by_matter(3), 1);
        assert_eq!(by_matter(4), 0);
        assert_eq!(
            list(
                &conn,
                ShareFilter {
                    matter_id: None,
                    client_id: Some(c)
                }
            )
            .unwrap()
            .len(),
            1
        );
        assert!(
            conn.execute("UPDATE shares SET recipient = 'x'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM share_documents", []).is_err());
    }

    #[test]
    fn a_changed_key_replaces_the_old_one_and_needs_confirming() {
        let (_d, conn) = db();
        let c = client(&conn);
        let holder = KeyHolder::Client(c);
        let (k1, replaced) = set_key(&conn, holder, "age1one", "AAAA", "t").unwrap();
        assert!(replaced.is_none());
        assert!(k1.confirmed_at.is_none());
        let k1 = confirm_key(&conn, k1.id, "t").unwrap();
        assert!(k1.confirmed_at.is_some());
        let (same, replaced) = set_key(&conn, holder, "age1one", "AAAA", "t").unwrap();
        assert_eq!((same.id, replaced), (k1.id, None));
        let (k2, replaced) = set_key(&conn, holder, "age1two", "BBBB", "t").unwrap();
        assert_eq!(replaced.unwrap().id, k1.id);
        assert!(k2.confirmed_at.is_none());
        assert_eq!(current_key(&conn, holder).unwrap().unwrap().id, k2.id);
        assert!(confirm_key(&conn, k1.id, "t").is_err());
        assert!(set_key(&conn, KeyHolder::Client(999), "age1x", "C", "t").is_err());
        assert!(set_key(&conn, KeyHolder::Party(999), "age1x", "C", "t").is_err());
    }

    #[test]
    fn the_signing_key_is_made_once() {
        let (_d, conn) = db();
        assert!(signing_key(&conn).unwrap().is_none());
        save_signing_key(&conn, b"secret", "RWpub").unwrap();
        assert_eq!(
            signing_key(&conn).unwrap(),
            Some((b"secret".to_vec(), "RWpub".into()))
        );
        assert!(save_signing_key(&conn, b"other", "RWother").is_err());
    }
}
