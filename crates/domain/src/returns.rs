//! Returned files (#18 §3, Model Rule 1.16(d)): which shares gave a client
//! back their file, and which matters each returned. The package itself is
//! a share (`shares.rs`: its documents, versions, SHA-256, recipient,
//! format), so the incident register's "shared" sees it like any other;
//! this module only marks it as a return. Rows are permanent (triggers).

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::DomainError;

/// What a return covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReturnScope {
    /// One matter.
    Matter,
    /// Every matter of a client.
    Client,
}

impl ReturnScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnScope::Matter => "matter",
            ReturnScope::Client => "client",
        }
    }
}

/// A share that returned a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileReturn {
    pub share_id: i64,
    pub scope: ReturnScope,
    /// Every version of each document, not only the current one.
    pub all_versions: bool,
    /// The matters returned (ids), in order.
    pub matter_ids: Vec<i64>,
}

/// Marks share `share_id` as the return of `matter_ids`.
pub fn record(
    conn: &Connection,
    share_id: i64,
    scope: ReturnScope,
    all_versions: bool,
    matter_ids: &[i64],
) -> Result<(), DomainError> {
    if matter_ids.is_empty() {
        return Err(crate::validation(
            "matters",
            "A return covers at least one matter.",
        ));
    }
    let mut insert = conn.prepare(
        "INSERT INTO file_returns (share_id, matter_id, scope, all_versions) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for m in matter_ids {
        insert.execute(params![share_id, m, scope.as_str(), all_versions])?;
    }
    Ok(())
}

/// The timeline entry a return leaves in each matter it returned (kind
/// `file_returned`), dated `on`.
pub fn add_timeline_event(
    conn: &Connection,
    matter_id: i64,
    on: chrono::NaiveDate,
    description: &str,
) -> Result<i64, DomainError> {
    crate::matters::add_event_row(conn, matter_id, on, "file_returned", description)
}

/// The return a share made, if it was one.
pub fn of_share(conn: &Connection, share_id: i64) -> Result<Option<FileReturn>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT matter_id, scope, all_versions FROM file_returns WHERE share_id = ?1 ORDER BY rowid",
    )?;
    let rows: Vec<(i64, String, bool)> = stmt
        .query_map([share_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let Some((_, scope, all_versions)) = rows.first().cloned() else {
        return Ok(None);
    };
    Ok(Some(FileReturn {
        share_id,
        scope: if scope == "client" {
            ReturnScope::Client
        } else {
            ReturnScope::Matter
        },
        all_versions,
        matter_ids: rows.into_iter().map(|(m, _, _)| m).collect(),
    }))
}

/// The ids of the shares that returned a file (of `client_id` when given).
pub fn share_ids(conn: &Connection, client_id: Option<i64>) -> Result<Vec<i64>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT r.share_id FROM file_returns r JOIN shares s ON s.id = r.share_id
         WHERE ?1 IS NULL OR s.client_id = ?1 ORDER BY r.share_id",
    )?;
    Ok(stmt
        .query_map([client_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shares::{self, NewShare, Protection, ShareFormat, SharedDocument};
    use crate::testutil::db;

    #[test]
    fn a_return_marks_its_share_and_is_permanent() {
        let (_d, conn) = db();
        conn.execute(
            "INSERT INTO clients (kind, name, created_at, updated_at) VALUES ('person', 'Ada Fictional', 't', 't')",
            [],
        )
        .unwrap();
        let client = conn.last_insert_rowid();
        let docs = [SharedDocument {
            document_id: 1,
            version: 1,
            matter_id: 5,
            name: "a.pdf".into(),
            size: 1,
            sha256: "ab".repeat(32),
        }];
        let share = shares::record(
            &conn,
            &NewShare {
                package_id: "p",
                client_id: client,
                format: ShareFormat::Age,
                protection: Protection::PassphraseWords,
                hide_names: false,
                recipient: "Ada",
                recipient_key_id: None,
                recipient_key: None,
                file_path: "/x",
                package_sha256: &"cd".repeat(32),
                package_size: 1,
                created_at: "2026-12-05T10:00:00Z",
                documents: &docs,
            },
            "t",
        )
        .unwrap();
        assert_eq!(of_share(&conn, share).unwrap(), None);
        assert!(record(&conn, share, ReturnScope::Client, true, &[]).is_err());
        record(&conn, share, ReturnScope::Client, true, &[5, 6]).unwrap();
        assert_eq!(
            of_share(&conn, share).unwrap(),
            Some(FileReturn {
                share_id: share,
                scope: ReturnScope::Client,
                all_versions: true,
                matter_ids: vec![5, 6],
            })
        );
        assert_eq!(share_ids(&conn, Some(client)).unwrap(), [share]);
        assert!(share_ids(&conn, Some(client + 1)).unwrap().is_empty());
        assert!(
            conn.execute("UPDATE file_returns SET all_versions = 0", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM file_returns", []).is_err());
    }
}
