//! The audit log: append-only, inside the encrypted database, each entry
//! chained to the one before by HMAC-SHA256 under a key derived from the
//! master key (not the database key: whoever holds only the database key
//! can read the log but cannot forge it).
//!
//! ```text
//! mac[n]   = HMAC(k, mac[n-1] ‖ seq ‖ at ‖ actor ‖ action ‖ object ‖ details)   mac[0] = 32 zero bytes
//! head_mac = HMAC(k, "head" ‖ seq[last] ‖ mac[last])
//! ```
//!
//! `verify` walks the chain and names the first bad entry: an edited,
//! deleted, inserted or reordered entry breaks a MAC or the sequence; a cut
//! tail disagrees with the head record; an empty log, or one that does not
//! start with this vault's creation, is broken. The head is also kept
//! outside the database as an [`Anchor`] (the core writes it beside the
//! database after every change), so restoring an older database, or
//! replacing the audit tables wholesale, is found too. Rolling back the
//! database *and* the anchor together needs an anchor kept elsewhere
//! (an exported log, a backup): that is the limit of a single folder. Details never hold document
//! content, client data values or secrets: only ids, field names, counts.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use matterbox_vault::DerivedKey;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use ts_rs::TS;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("audit log export: {0}")]
    Io(#[from] std::io::Error),
}

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: serde_json::Value,
}

impl NewEntry {
    pub fn new(actor: &str, action: &str, object: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            action: action.into(),
            object: object.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// An entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: String,
    pub mac: String,
}

/// The outcome of [`AuditLog::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verification {
    Intact { entries: i64 },
    Broken { first_bad_seq: i64, reason: String },
}

/// The log's newest sequence and MAC, MACed, kept outside the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub mac: String,
    pub anchor_mac: String,
}

/// Objects whose rows record the newest entry about them (`audit_seq`), by
/// the kind named in the entry's object (`client:7`).
const TIED_TABLES: [(&str, &str); 4] = [
    ("client", "clients"),
    ("matter", "matters"),
    ("document", "documents"),
    ("inbox_item", "inbox_items"),
];

fn tied_row(object: &str) -> Option<(&'static str, i64)> {
    let (kind, id) = object.split_once(':')?;
    let table = TIED_TABLES.iter().find(|(k, _)| *k == kind)?.1;
    Some((table, id.parse().ok()?))
}

/// The action and object the first entry of every vault's log must have.
pub const CREATED_ACTION: &str = "vault_created";

/// The log's MAC key and the vault it belongs to. The key is zeroized when
/// dropped.
#[derive(Debug)]
pub struct AuditLog {
    key: DerivedKey,
    vault_object: String,
}

fn field(mac: &mut HmacSha256, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

impl AuditLog {
    pub fn new(key: DerivedKey, vault_id: &str) -> Self {
        Self {
            key,
            vault_object: format!("vault:{vault_id}"),
        }
    }

    fn anchor_mac(&self, seq: i64, mac: &[u8]) -> Vec<u8> {
        let mut m = self.hmac();
        m.update(b"anchor");
        m.update(&seq.to_be_bytes());
        field(&mut m, mac);
        m.finalize().into_bytes().to_vec()
    }

    /// Whether `anchor` is genuine and names an entry this log still holds,
    /// unchanged: the database is the same as, or newer than, when the anchor
    /// was written.
    pub fn anchor_matches(&self, conn: &Connection, anchor: &Anchor) -> Result<bool, AuditError> {
        let Ok(mac) = hex::decode(&anchor.mac) else {
            return Ok(false);
        };
        if !self.anchor_is_genuine(anchor) {
            return Ok(false);
        }
        let at: Option<Vec<u8>> = conn
            .query_row(
                "SELECT mac FROM audit_log WHERE seq = ?1",
                [anchor.seq],
                |r| r.get(0),
            )
            .optional()?;
        Ok(at.is_some_and(|m| bool::from(m.ct_eq(&mac))))
    }

    /// Whether `anchor` was made by this vault's log (its MAC is right),
    /// whatever the log holds now.
    pub fn anchor_is_genuine(&self, anchor: &Anchor) -> bool {
        let Ok(mac) = hex::decode(&anchor.mac) else {
            return false;
        };
        hex::decode(&anchor.anchor_mac)
            .map(|m| bool::from(self.anchor_mac(anchor.seq, &mac).ct_eq(&m)))
            .unwrap_or(false)
    }

    /// The anchor for the log's current head, to be kept outside the database.
    pub fn anchor(&self, conn: &Connection) -> Result<Option<Anchor>, AuditError> {
        let head: Option<(i64, Vec<u8>)> = conn
            .query_row("SELECT seq, mac FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(head.map(|(seq, mac)| Anchor {
            seq,
            anchor_mac: hex::encode(self.anchor_mac(seq, &mac)),
            mac: hex::encode(mac),
        }))
    }

    fn hmac(&self) -> HmacSha256 {
        // HMAC takes keys of any length: cannot fail.
        #[allow(clippy::expect_used)]
        <HmacSha256 as KeyInit>::new_from_slice(self.key.expose()).expect("any key length")
    }

    fn entry_mac(&self, prev: &[u8], seq: i64, at: &str, e: (&str, &str, &str, &str)) -> Vec<u8> {
        let mut m = self.hmac();
        field(&mut m, prev);
        m.update(&seq.to_be_bytes());
        for f in [at, e.0, e.1, e.2, e.3] {
            field(&mut m, f.as_bytes());
        }
        m.finalize().into_bytes().to_vec()
    }

    fn head_mac(&self, seq: i64, mac: &[u8]) -> Vec<u8> {
        let mut m = self.hmac();
        m.update(b"head");
        m.update(&seq.to_be_bytes());
        field(&mut m, mac);
        m.finalize().into_bytes().to_vec()
    }

    /// Appends an entry dated now. Call inside the transaction of the
    /// change it records, so both land or neither does.
    pub fn append(&self, conn: &Connection, entry: &NewEntry) -> Result<i64, AuditError> {
        self.append_at(conn, entry, Utc::now())
    }

    pub fn append_at(
        &self,
        conn: &Connection,
        entry: &NewEntry,
        at: DateTime<Utc>,
    ) -> Result<i64, AuditError> {
        let head: Option<(i64, Vec<u8>)> = conn
            .query_row("SELECT seq, mac FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (head_seq, prev_mac) = head.unwrap_or((0, vec![0u8; 32]));
        // The chain continues from the head record, never from whatever the
        // table ends with: a cut tail stays a gap, and rows added behind the
        // head's back stay unchained. The sequence only steps past rows that
        // exist, so appending never fails on a tampered log.
        let max_seq: i64 =
            conn.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| {
                r.get(0)
            })?;
        let seq = head_seq.max(max_seq) + 1;
        let at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let details = entry.details.to_string();
        let mac = self.entry_mac(
            &prev_mac,
            seq,
            &at,
            (&entry.actor, &entry.action, &entry.object, &details),
        );
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![seq, at, entry.actor, entry.action, entry.object, details, mac],
        )?;
        conn.execute(
            "INSERT INTO audit_head (id, seq, mac, head_mac) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, head_mac = excluded.head_mac",
            params![seq, mac, self.head_mac(seq, &mac)],
        )?;
        // Tie the row the entry is about to the entry: see `TIED_TABLES`.
        if let Some((table, id)) = tied_row(&entry.object) {
            conn.execute(
                &format!("UPDATE {table} SET audit_seq = ?1 WHERE id = ?2"),
                params![seq, id],
            )?;
        }
        Ok(seq)
    }

    /// A row that an entry beyond the log's end touched: the newest
    /// entries were cut off (with the head, by someone holding the
    /// database key and an older head).
    fn row_newer_than(
        &self,
        conn: &Connection,
        last: i64,
    ) -> Result<Option<(String, i64, i64)>, AuditError> {
        for (kind, table) in TIED_TABLES {
            let newer: Option<(i64, i64)> = conn
                .query_row(
                    &format!("SELECT id, audit_seq FROM {table} WHERE audit_seq > ?1 ORDER BY audit_seq DESC LIMIT 1"),
                    [last],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, seq)) = newer {
                return Ok(Some((kind.replace('_', " "), id, seq)));
            }
        }
        Ok(None)
    }

    /// Walks the whole chain and checks it against the head record and, when
    /// given, the anchor kept outside the database; reports the first entry
    /// that does not hold.
    pub fn verify(
        &self,
        conn: &Connection,
        anchor: Option<&Anchor>,
    ) -> Result<Verification, AuditError> {
        let chain = self.verify_chain(conn)?;
        let Verification::Intact { entries } = chain else {
            return Ok(chain);
        };
        let Some(anchor) = anchor else {
            return Ok(Verification::Broken {
                first_bad_seq: entries + 1,
                reason: "the record of the newest entry kept beside the database is missing".into(),
            });
        };
        let anchor_mac = hex::decode(&anchor.mac).unwrap_or_default();
        let anchor_ok = hex::decode(&anchor.anchor_mac)
            .map(|m| bool::from(self.anchor_mac(anchor.seq, &anchor_mac).ct_eq(&m)))
            .unwrap_or(false);
        if !anchor_ok {
            return Ok(Verification::Broken {
                first_bad_seq: anchor.seq.clamp(1, entries + 1),
                reason: "the record of the newest entry kept beside the database was edited".into(),
            });
        }
        if anchor.seq > entries {
            return Ok(Verification::Broken {
                first_bad_seq: entries + 1,
                reason: format!(
                    "the log ends at entry {entries} but had reached entry {}: the database was rolled back or entries were removed",
                    anchor.seq
                ),
            });
        }
        let mac_at: Vec<u8> = conn.query_row(
            "SELECT mac FROM audit_log WHERE seq = ?1",
            [anchor.seq],
            |r| r.get(0),
        )?;
        if !bool::from(mac_at.ct_eq(&anchor_mac)) {
            return Ok(Verification::Broken {
                first_bad_seq: anchor.seq,
                reason: format!(
                    "entry {} is not the one recorded beside the database: the log was replaced",
                    anchor.seq
                ),
            });
        }
        Ok(Verification::Intact { entries })
    }

    /// The chain and head-record checks, without the outside anchor.
    fn verify_chain(&self, conn: &Connection) -> Result<Verification, AuditError> {
        let mut stmt = conn.prepare(
            "SELECT seq, at, actor, action, object, details, mac FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected = 1i64;
        let mut prev_mac = vec![0u8; 32];
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            if seq != expected {
                return Ok(Verification::Broken {
                    first_bad_seq: expected,
                    reason: format!(
                        "entry {expected} is missing: the sequence jumps from {} to {seq}",
                        expected - 1
                    ),
                });
            }
            let (at, actor, action, object, details): (String, String, String, String, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let mac: Vec<u8> = r.get(6)?;
            let want = self.entry_mac(&prev_mac, seq, &at, (&actor, &action, &object, &details));
            if seq == 1 && (action != CREATED_ACTION || object != self.vault_object) {
                return Ok(Verification::Broken {
                    first_bad_seq: 1,
                    reason: "the log does not begin with this vault's creation".into(),
                });
            }
            if !bool::from(want.ct_eq(&mac)) {
                return Ok(Verification::Broken {
                    first_bad_seq: seq,
                    reason: format!(
                        "entry {seq} does not match its chain: it was edited, inserted or moved, or an entry before it was"
                    ),
                });
            }
            prev_mac = mac;
            expected += 1;
        }
        let last = expected - 1;
        let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, mac, head_mac FROM audit_head WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match head {
            None if last == 0 => Ok(Verification::Broken {
                first_bad_seq: 1,
                reason: "the log is empty, but every vault's log begins with its creation".into(),
            }),
            None => Ok(Verification::Broken {
                first_bad_seq: last,
                reason: "the record of the newest entry is missing".into(),
            }),
            Some((seq, mac, head_mac)) => {
                let head_ok = bool::from(self.head_mac(seq, &mac).ct_eq(&head_mac));
                if !head_ok {
                    Ok(Verification::Broken {
                        first_bad_seq: seq.min(last + 1).max(1),
                        reason: "the record of the newest entry was edited".into(),
                    })
                } else if seq > last {
                    Ok(Verification::Broken {
                        first_bad_seq: last + 1,
                        reason: format!(
                            "the log ends at entry {last} but had {seq} entries: the newest were cut off"
                        ),
                    })
                } else if seq < last || !bool::from(mac.ct_eq(&prev_mac)) {
                    Ok(Verification::Broken {
                        first_bad_seq: seq + 1,
                        reason: format!("entries after {seq} were added outside Matterbox"),
                    })
                } else if let Some((kind, id, newer)) = self.row_newer_than(conn, last)? {
                    Ok(Verification::Broken {
                        first_bad_seq: last + 1,
                        reason: format!(
                            "{kind} {id} was last changed by entry {newer}, but the log ends at entry {last}: the newest entries were cut off"
                        ),
                    })
                } else {
                    Ok(Verification::Intact { entries: last })
                }
            }
        }
    }

    /// All entries, oldest first.
    pub fn entries(&self, conn: &Connection) -> Result<Vec<Entry>, AuditError> {
        let mut stmt = conn.prepare(
            "SELECT seq, at, actor, action, object, details, mac FROM audit_log ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Entry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                object: r.get(4)?,
                details: r.get(5)?,
                mac: hex::encode(r.get::<_, Vec<u8>>(6)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Writes entries as JSON lines, one object per entry.
pub fn export_jsonl(entries: &[Entry], out: &mut dyn Write) -> Result<(), AuditError> {
    for e in entries {
        serde_json::to_writer(&mut *out, e).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes entries as CSV (RFC 4180) with a header row.
pub fn export_csv(entries: &[Entry], out: &mut dyn Write) -> Result<(), AuditError> {
    out.write_all(b"seq,at,actor,action,object,details,mac\r\n")?;
    for e in entries {
        let row = [
            e.seq.to_string(),
            csv_field(&e.at),
            csv_field(&e.actor),
            csv_field(&e.action),
            csv_field(&e.object),
            csv_field(&e.details),
            e.mac.clone(),
        ]
        .join(",");
        out.write_all(row.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        conn: Connection,
        log: AuditLog,
        /// The anchor as the core keeps it beside the database.
        anchor: Option<Anchor>,
    }

    /// A log of `n` entries: the vault's creation, then client changes.
    fn setup(n: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            matterbox_store::create(&dir.path().join("v.db"), &DerivedKey::from_bytes([1; 32]))
                .unwrap();
        let log = AuditLog::new(DerivedKey::from_bytes([2; 32]), "test");
        for i in 0..n {
            let entry = if i == 0 {
                NewEntry::new("tester", CREATED_ACTION, "vault:test")
            } else {
                NewEntry::new("tester", "client_created", format!("client:{i}"))
                    .with_details(serde_json::json!({ "fields": ["name"] }))
            };
            log.append(&conn, &entry).unwrap();
        }
        let anchor = log.anchor(&conn).unwrap();
        // Tampering needs the append-only triggers out of the way, as an attacker would.
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        Fixture {
            _dir: dir,
            conn,
            log,
            anchor,
        }
    }

    fn verify(f: &Fixture) -> Verification {
        f.log.verify(&f.conn, f.anchor.as_ref()).unwrap()
    }

    fn broken_at(f: &Fixture) -> i64 {
        match verify(f) {
            Verification::Broken { first_bad_seq, .. } => first_bad_seq,
            Verification::Intact { entries } => {
                panic!("tampering not detected ({entries} entries)")
            }
        }
    }

    #[test]
    fn an_untouched_log_verifies() {
        let f = setup(5);
        assert_eq!(verify(&f), Verification::Intact { entries: 5 });
    }

    #[test]
    fn an_empty_or_wiped_log_is_broken() {
        let f = setup(0);
        assert_eq!(broken_at(&f), 1);
        let f = setup(5);
        f.conn
            .execute_batch("DELETE FROM audit_log; DELETE FROM audit_head;")
            .unwrap();
        assert_eq!(broken_at(&f), 1);
        // Even with no outside anchor to compare with.
        assert!(matches!(
            f.log.verify(&f.conn, None).unwrap(),
            Verification::Broken {
                first_bad_seq: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_log_of_another_vault_or_without_its_creation_is_broken() {
        let f = setup(3);
        let other = AuditLog::new(DerivedKey::from_bytes([2; 32]), "another-vault");
        assert!(matches!(
            other.verify(&f.conn, f.anchor.as_ref()).unwrap(),
            Verification::Broken {
                first_bad_seq: 1,
                ..
            }
        ));
    }

    #[test]
    fn a_rolled_back_or_replaced_log_is_found_by_the_anchor() {
        // Rolled back: entries and head record cut back consistently, as a
        // restored older database would be.
        let f = setup(5);
        let mac3: Vec<u8> = f
            .conn
            .query_row("SELECT mac FROM audit_log WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        f.conn
            .execute("DELETE FROM audit_log WHERE seq > 3", [])
            .unwrap();
        f.conn
            .execute(
                "UPDATE audit_head SET seq = 3, mac = ?1, head_mac = ?2",
                rusqlite::params![mac3, f.log.head_mac(3, &mac3)],
            )
            .unwrap();
        // The database on its own is consistent again...
        assert!(matches!(
            f.log.verify_chain(&f.conn).unwrap(),
            Verification::Intact { entries: 3 }
        ));
        // ...but the anchor kept beside it remembers entry 5.
        assert_eq!(broken_at(&f), 4);
        // Replaced: a whole other chain of the same length under the same key.
        let f = setup(5);
        let g = setup(5);
        g.log
            .append(&g.conn, &NewEntry::new("tester", "noop", "x"))
            .unwrap();
        let mut replaced = f;
        replaced.conn = g.conn;
        assert!(matches!(verify(&replaced), Verification::Broken { .. }));
        // A missing anchor is reported.
        let f = setup(2);
        assert!(matches!(
            f.log.verify(&f.conn, None).unwrap(),
            Verification::Broken { .. }
        ));
    }

    #[test]
    fn a_log_cut_with_its_head_and_an_older_anchor_is_found_by_the_rows() {
        let mut f = setup(1);
        let now = "2026-01-01T00:00:00Z";
        let add_client = |f: &Fixture, id: i64| {
            f.conn
                .execute(
                    "INSERT INTO clients (id, kind, name, created_at, updated_at) VALUES (?1, 'person', 'Orrin Fictive', ?2, ?2)",
                    rusqlite::params![id, now],
                )
                .unwrap();
            f.log
                .append(
                    &f.conn,
                    &NewEntry::new("tester", "client_created", format!("client:{id}")),
                )
                .unwrap();
        };
        for id in 1..=2 {
            add_client(&f, id);
        }
        // What the attacker kept: the anchor and the head row at entry 3.
        let old_anchor = f.log.anchor(&f.conn).unwrap();
        let mac3: Vec<u8> = f
            .conn
            .query_row("SELECT mac FROM audit_log WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        for id in 3..=4 {
            add_client(&f, id);
        }
        // Entries 4 and 5 cut off, the head and the anchor put back to 3;
        // the clients those entries created are still there.
        f.conn
            .execute("DELETE FROM audit_log WHERE seq > 3", [])
            .unwrap();
        f.conn
            .execute(
                "UPDATE audit_head SET seq = 3, mac = ?1, head_mac = ?2",
                rusqlite::params![mac3, f.log.head_mac(3, &mac3)],
            )
            .unwrap();
        f.anchor = old_anchor;
        match verify(&f) {
            Verification::Broken {
                first_bad_seq,
                reason,
            } => {
                assert_eq!(first_bad_seq, 4);
                assert!(
                    reason.contains("client 4 was last changed by entry 5"),
                    "{reason}"
                );
            }
            other => panic!("not detected: {other:?}"),
        }
    }

    #[test]
    fn edits_are_found_at_the_edited_entry() {
        for column in ["at", "actor", "action", "object", "details"] {
            let f = setup(5);
            let conn = &f.conn;
            conn.execute(
                &format!("UPDATE audit_log SET {column} = {column} || 'x' WHERE seq = 3"),
                [],
            )
            .unwrap();
            assert_eq!(broken_at(&f), 3, "{column}");
        }
    }

    #[test]
    fn deletion_insertion_reordering_and_truncation_are_found() {
        let f = setup(5);
        let conn = &f.conn;
        conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
            .unwrap();
        assert_eq!(broken_at(&f), 2);

        let f = setup(5);
        let conn = &f.conn;
        conn.execute("DELETE FROM audit_log WHERE seq = 1", [])
            .unwrap();
        assert_eq!(broken_at(&f), 1);

        // Swap the contents of entries 2 and 4.
        let f = setup(5);
        let conn = &f.conn;
        conn.execute_batch(
            "UPDATE audit_log SET seq = 100 WHERE seq = 2;
             UPDATE audit_log SET seq = 2 WHERE seq = 4;
             UPDATE audit_log SET seq = 4 WHERE seq = 100;",
        )
        .unwrap();
        assert_eq!(broken_at(&f), 2);

        // Insert a forged entry in the middle, shifting the rest.
        let f = setup(5);
        let conn = &f.conn;
        conn.execute_batch(
            "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 3;
             UPDATE audit_log SET seq = seq - 9 WHERE seq >= 13;
             INSERT INTO audit_log (seq, at, actor, action, object, details, mac)
                 VALUES (3, '2026-01-01T00:00:00.000Z', 'tester', 'noop', 'x', '{}', zeroblob(32));",
        )
        .unwrap();
        assert_eq!(broken_at(&f), 3);

        // Append a forged entry at the end.
        let f = setup(5);
        let conn = &f.conn;
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, mac)
             SELECT 6, at, actor, action, object, details, mac FROM audit_log WHERE seq = 5",
            [],
        )
        .unwrap();
        assert_eq!(broken_at(&f), 6);

        // Cut the tail.
        let f = setup(5);
        let conn = &f.conn;
        conn.execute("DELETE FROM audit_log WHERE seq >= 4", [])
            .unwrap();
        assert_eq!(broken_at(&f), 4);

        // Cut the tail and the head record with it.
        let f = setup(5);
        let conn = &f.conn;
        conn.execute_batch("DELETE FROM audit_log WHERE seq >= 4; DELETE FROM audit_head;")
            .unwrap();
        assert!(matches!(verify(&f), Verification::Broken { .. }));
    }

    #[test]
    fn appending_after_tampering_never_hides_it() {
        // A cut tail stays a gap after more entries are appended.
        let f = setup(5);
        let (conn, log) = (&f.conn, &f.log);
        conn.execute("DELETE FROM audit_log WHERE seq >= 4", [])
            .unwrap();
        log.append(conn, &NewEntry::new("tester", "vault_unlocked", "vault:x"))
            .unwrap();
        assert_eq!(broken_at(&f), 4);
        // A forged row past the head stays unchained, and appending still works.
        let f = setup(3);
        let (conn, log) = (&f.conn, &f.log);
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, mac)
             SELECT 4, at, actor, action, object, details, mac FROM audit_log WHERE seq = 3",
            [],
        )
        .unwrap();
        assert_eq!(
            log.append(conn, &NewEntry::new("tester", "x", "y"))
                .unwrap(),
            5
        );
        assert_eq!(broken_at(&f), 4);
    }

    #[test]
    fn a_different_key_cannot_verify_or_extend_the_chain() {
        let f = setup(3);
        let conn = &f.conn;
        let other = AuditLog::new(DerivedKey::from_bytes([9; 32]), "test");
        assert_eq!(
            other.verify(conn, f.anchor.as_ref()).unwrap(),
            Verification::Broken {
                first_bad_seq: 1,
                reason: "entry 1 does not match its chain: it was edited, inserted or moved, or an entry before it was".into()
            }
        );
    }

    #[test]
    fn exports_carry_every_entry() {
        let f = setup(3);
        let (conn, log) = (&f.conn, &f.log);
        let entries = log.entries(conn).unwrap();
        let mut jsonl = Vec::new();
        export_jsonl(&entries, &mut jsonl).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["seq"], 3);
        assert_eq!(lines[0]["action"], "vault_created");
        assert_eq!(lines[1]["object"], "client:1");
        let mut csv = Vec::new();
        export_csv(&entries, &mut csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        let rows: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), 4);
        // Details hold commas and quotes, so they are quoted and doubled.
        assert!(
            rows[2].contains("\"{\"\"fields\"\":[\"\"name\"\"]}\""),
            "{}",
            rows[2]
        );
    }
}
