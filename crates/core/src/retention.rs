//! Retention in a session: policies, holds, the disposition queue, and
//! cryptographic erase with a permanent register entry per destroyed item.
//!
//! Destroying is a crypto-erase: the document's keys (wrapped in the
//! database) and every row that describes it go in one transaction with
//! `secure_delete` on (freed pages are zeroed), and its words leave the
//! search index (`search::erase`: the index is rewritten without them);
//! the write-ahead log is then checkpointed and truncated and the database
//! vacuumed, so no freed page keeps a key. Its blobs, unreadable from then
//! on, are overwritten and removed; their ids wait in `destruction_jobs`
//! so a crash mid-way resumes at the next unlock.

use std::path::Path;

use chrono::NaiveDate;
use matterbox_domain::retention::{self, DueItem, Hold, HoldTarget, Policy, PolicyInput};
use matterbox_vault::Passphrase;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest;
use ts_rs::TS;

use crate::{CoreError, Result, Session};

/// Whether register entries keep document titles (else only their hash).
pub const REGISTER_TITLES: &str = "retention_register_titles";

/// One item to destroy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Disposal {
    /// `matter` or `document`.
    pub kind: String,
    pub id: i64,
}

/// A destruction register entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    pub id: i64,
    pub kind: String,
    pub matter_number: String,
    /// `None` when the vault keeps only titles' hashes.
    pub title: Option<String>,
    pub title_sha256: String,
    pub content_sha256: Option<String>,
    pub opened_on: Option<String>,
    pub closed_on: Option<String>,
    pub added_on: Option<String>,
    pub policy: String,
    pub approved_by: String,
    pub approved_at: String,
    pub destroyed_at: String,
    pub method: String,
    pub certificate: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DestructionReport {
    /// Register entries written (one per destroyed document and matter).
    pub register: Vec<i64>,
    pub documents: usize,
    pub matters: usize,
    pub clients: usize,
    /// The certificate number covering this destruction.
    pub certificate: String,
}

const METHOD: &str = "crypto-erase: document keys and records deleted (secure_delete, search index rewritten without them, WAL truncated, vacuum); encrypted files overwritten and removed";

fn sha_hex(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

struct DocFacts {
    title: String,
    matter_number: String,
    opened_on: String,
    closed_on: Option<String>,
    added_on: String,
    content_sha256: Vec<u8>,
    blobs: Vec<String>,
}

fn doc_facts(conn: &Connection, id: i64) -> Result<DocFacts> {
    let (title, matter_number, opened_on, closed_on, added_on): (
        String,
        String,
        String,
        Option<String>,
        String,
    ) = conn
        .query_row(
            "SELECT d.title, m.number, m.opened_on, m.closed_on, substr(d.created_at, 1, 10)
             FROM documents d JOIN matters m ON m.id = d.matter_id WHERE d.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or_else(|| matterbox_domain::DomainError::NotFound {
            what: "document",
            key: format!("id {id}"),
        })?;
    let content_sha256: Vec<u8> = conn.query_row(
        "SELECT sha256 FROM document_versions WHERE document_id = ?1 ORDER BY version DESC LIMIT 1",
        [id],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare("SELECT blob_id FROM document_versions WHERE document_id = ?1")?;
    let blobs = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(DocFacts {
        title,
        matter_number,
        opened_on,
        closed_on,
        added_on,
        content_sha256,
        blobs,
    })
}

/// Removes every row describing document `id` and queues its blobs; its
/// search index entry goes with the others of the destruction
/// (`search::erase`).
fn erase_document_rows(conn: &Connection, id: i64, blobs: &[String]) -> Result<()> {
    for b in blobs {
        conn.execute(
            "INSERT OR IGNORE INTO destruction_jobs (blob_id) VALUES (?1)",
            [b],
        )?;
    }
    conn.execute("DELETE FROM document_tags WHERE document_id = ?1", [id])?;
    conn.execute(
        "UPDATE inbox_items SET duplicate_of = NULL WHERE duplicate_of = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM inbox_items WHERE document_id = ?1", [id])?;
    conn.execute(
        "DELETE FROM retention_deferrals WHERE kind = 'document' AND target_id = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM document_versions WHERE document_id = ?1", [id])?;
    conn.execute("DELETE FROM documents WHERE id = ?1", [id])?;
    Ok(())
}

/// A matter's retention status, for its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterRetention {
    pub policy: Option<Policy>,
    /// Whether the policy is the matter's own (else its practice area's).
    pub own_policy: bool,
    /// When it is due, if its clock has started.
    pub due_on: Option<String>,
    pub holds: Vec<Hold>,
}

impl Session {
    pub fn matter_retention(&self, matter_id: i64) -> Result<MatterRetention> {
        let m = matterbox_domain::matters::get(&self.conn, matter_id)?;
        let own: Option<i64> = self.conn.query_row(
            "SELECT retention_policy_id FROM matters WHERE id = ?1",
            [matter_id],
            |r| r.get(0),
        )?;
        let area: Option<i64> = self
            .conn
            .query_row(
                "SELECT policy_id FROM practice_area_policies WHERE practice_area = ?1 COLLATE NOCASE",
                [&m.summary.practice_area],
                |r| r.get(0),
            )
            .optional()?;
        let policy = own
            .or(area)
            .map(|id| retention::policy(&self.conn, id))
            .transpose()?;
        let due_on = policy.as_ref().and_then(|p| match p.trigger {
            retention::Trigger::MatterClosed => {
                retention::due_on(p, m.summary.closed_on).map(|d| d.to_string())
            }
            _ => None,
        });
        let holds = retention::holds(&self.conn)?
            .into_iter()
            .filter(|h| {
                (h.target == HoldTarget::Matter && h.target_id == matter_id)
                    || (h.target == HoldTarget::Client && h.target_id == m.summary.client_id)
            })
            .collect();
        Ok(MatterRetention {
            policy,
            own_policy: own.is_some(),
            due_on,
            holds,
        })
    }

    fn register_titles(&self) -> Result<bool> {
        Ok(
            matterbox_domain::settings::get(&self.conn, REGISTER_TITLES)?.as_deref()
                != Some("hash"),
        )
    }

    /// Whether register entries keep titles (`true`, the default) or only
    /// each title's SHA-256; applies to entries written from now on.
    pub fn register_keeps_titles(&self) -> Result<bool> {
        self.register_titles()
    }

    pub fn set_register_keeps_titles(&mut self, titles: bool) -> Result<()> {
        self.write(|tx, rec| {
            matterbox_domain::settings::set(
                tx,
                REGISTER_TITLES,
                if titles { "titles" } else { "hash" },
            )?;
            rec.record(
                "setting_changed",
                "setting:retention_register_titles",
                json!({ "titles": titles }),
            )
        })
    }

    pub fn retention_policies(&self) -> Result<Vec<Policy>> {
        Ok(retention::policies(&self.conn)?)
    }

    pub fn create_retention_policy(&mut self, input: &PolicyInput) -> Result<Policy> {
        self.write(|tx, rec| {
            let id = retention::create_policy(tx, input)?;
            let p = retention::policy(tx, id)?;
            rec.record(
                "retention_policy_created",
                &format!("retention_policy:{id}"),
                policy_details(&p),
            )?;
            Ok(p)
        })
    }

    /// Changes a policy; due dates follow at once (they are computed, not stored).
    pub fn update_retention_policy(&mut self, id: i64, input: &PolicyInput) -> Result<Policy> {
        self.write(|tx, rec| {
            retention::update_policy(tx, id, input)?;
            let p = retention::policy(tx, id)?;
            rec.record(
                "retention_policy_changed",
                &format!("retention_policy:{id}"),
                policy_details(&p),
            )?;
            Ok(p)
        })
    }

    /// The policy of a practice area, if it has one.
    pub fn practice_area_policy(&self, area: &str) -> Result<Option<Policy>> {
        Ok(retention::area_policy(&self.conn, area)?)
    }

    pub fn set_practice_area_policy(&mut self, area: &str, policy: Option<i64>) -> Result<()> {
        self.write(|tx, rec| {
            retention::set_area_policy(tx, area, policy)?;
            rec.record(
                "retention_area_policy_set",
                "setting:retention",
                json!({ "policy": policy.map(|p| format!("retention_policy:{p}")) }),
            )
        })
    }

    pub fn set_matter_policy(&mut self, matter_id: i64, policy: Option<i64>) -> Result<()> {
        self.write(|tx, rec| {
            retention::set_matter_policy(tx, matter_id, policy)?;
            rec.record(
                "retention_matter_policy_set",
                &format!("matter:{matter_id}"),
                json!({ "policy": policy.map(|p| format!("retention_policy:{p}")) }),
            )
        })
    }

    pub fn holds(&self) -> Result<Vec<Hold>> {
        Ok(retention::holds(&self.conn)?)
    }

    pub fn place_hold(
        &mut self,
        target: HoldTarget,
        id: i64,
        reason: &str,
        on: NaiveDate,
    ) -> Result<Hold> {
        self.write(|tx, rec| {
            let hold = retention::place_hold(tx, target, id, reason, on)?;
            let kind = match target {
                HoldTarget::Client => "client",
                HoldTarget::Matter => "matter",
                HoldTarget::Document => "document",
            };
            rec.record(
                "hold_placed",
                &format!("{kind}:{id}"),
                json!({ "hold": hold.id, "on": on }),
            )?;
            Ok(hold)
        })
    }

    pub fn release_hold(&mut self, hold_id: i64) -> Result<Hold> {
        self.write(|tx, rec| {
            let h = retention::release_hold(tx, hold_id)?;
            rec.record("hold_released", &format!("hold:{hold_id}"), json!({}))?;
            Ok(h)
        })
    }

    /// What is due for destruction on `today` (the caller's clock).
    pub fn retention_due(&self, today: NaiveDate) -> Result<Vec<DueItem>> {
        Ok(retention::due(&self.conn, today)?)
    }

    /// Puts a matter or document off until `until`, a date after `today`
    /// (the caller's clock); audited.
    pub fn defer_disposal(
        &mut self,
        item: &Disposal,
        until: NaiveDate,
        today: NaiveDate,
    ) -> Result<()> {
        self.write(|tx, rec| {
            retention::defer(tx, &item.kind, item.id, until, today)?;
            rec.record(
                "disposal_deferred",
                &format!("{}:{}", item.kind, item.id),
                json!({ "until": until }),
            )
        })
    }

    /// Checks the passphrase again (approval of a destruction asks for it);
    /// a wrong one counts as a failed unlock.
    pub fn confirm_passphrase(&mut self, passphrase: &Passphrase) -> Result<()> {
        let store = self.env.store(self.vault.header().device_secret_storage);
        self.vault.unlock(passphrase, store.as_ref())?;
        Ok(())
    }

    /// Destroys approved items that are due on `today` and not held, after
    /// checking the passphrase. Items not due, held or gone are refused
    /// before anything is destroyed.
    pub fn destroy_approved(
        &mut self,
        items: &[Disposal],
        passphrase: &Passphrase,
        today: NaiveDate,
    ) -> Result<DestructionReport> {
        self.confirm_passphrase(passphrase)?;
        let approver = self.actor.clone();
        self.destroy(items, today, &approver, false)
    }

    /// Destroys what is due under policies marked to destroy without
    /// approval (the scheduler's job); nothing else.
    pub fn destroy_due_without_approval(&mut self, today: NaiveDate) -> Result<DestructionReport> {
        let items: Vec<Disposal> = self
            .retention_due(today)?
            .into_iter()
            .filter(|d| d.danger_destroy_without_approval)
            .map(|d| Disposal {
                kind: d.kind,
                id: d.id,
            })
            .collect();
        if items.is_empty() {
            return Ok(DestructionReport::default());
        }
        self.destroy(
            &items,
            today,
            "scheduler (policy destroys without approval)",
            true,
        )
    }

    fn destroy(
        &mut self,
        items: &[Disposal],
        today: NaiveDate,
        approver: &str,
        automatic: bool,
    ) -> Result<DestructionReport> {
        let due = self.retention_due(today)?;
        for item in items {
            let listed = due.iter().any(|d| d.kind == item.kind && d.id == item.id);
            if !listed {
                let is_held = match item.kind.as_str() {
                    "document" => retention::document_held(&self.conn, item.id)?,
                    _ => retention::matter_held(&self.conn, item.id)?,
                };
                if is_held {
                    return Err(held());
                }
                return Err(CoreError::Domain(matterbox_domain::DomainError::Conflict(
                    format!(
                        "The {} with id {} is not due for destruction today (not yet due, held, deferred or already destroyed); nothing was destroyed.",
                        item.kind, item.id
                    ),
                )));
            }
        }
        let titles = self.register_titles()?;
        let certificate = format!(
            "MBX-{}-{}",
            today.format("%Y%m%d"),
            &uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
        );
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let approver = approver.to_string();
        let report = self.write(|tx, rec| {
            let mut report = DestructionReport {
                certificate: certificate.clone(),
                ..Default::default()
            };
            let mut erased: Vec<i64> = Vec::new();
            let register = |facts_title: &str, kind: &str, number: &str, content: Option<&[u8]>, opened: Option<&str>, closed: Option<&str>, added: Option<&str>, policy: &str| -> Result<i64> {
                tx.execute(
                    "INSERT INTO destruction_register (kind, matter_number, title, title_sha256, content_sha256,
                        opened_on, closed_on, added_on, policy, approved_by, approved_at, destroyed_at, method, certificate)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
                    params![kind, number, titles.then_some(facts_title), sha_hex(facts_title), content.map(hex::encode),
                            opened, closed, added, policy, approver, now, METHOD, certificate],
                )?;
                Ok(tx.last_insert_rowid())
            };
            for item in items {
                let policy = due
                    .iter()
                    .find(|d| d.kind == item.kind && d.id == item.id)
                    .map(|d| d.policy.clone())
                    .unwrap_or_default();
                match item.kind.as_str() {
                    "document" => {
                        if retention::document_held(tx, item.id)? {
                            return Err(held());
                        }
                        let f = doc_facts(tx, item.id)?;
                        let entry = register(&f.title, "document", &f.matter_number, Some(&f.content_sha256), Some(&f.opened_on), f.closed_on.as_deref(), Some(&f.added_on), &policy)?;
                        erase_document_rows(tx, item.id, &f.blobs)?;
                        erased.push(item.id);
                        rec.record("document_destroyed", &format!("document:{}", item.id), json!({ "register": entry, "automatic": automatic }))?;
                        report.register.push(entry);
                        report.documents += 1;
                    }
                    _ => {
                        if retention::matter_held(tx, item.id)? {
                            return Err(held());
                        }
                        let (number, title, opened, closed, client): (String, String, String, Option<String>, i64) = tx.query_row(
                            "SELECT number, title, opened_on, closed_on, client_id FROM matters WHERE id = ?1",
                            [item.id],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                        )?;
                        let docs: Vec<i64> = tx
                            .prepare("SELECT id FROM documents WHERE matter_id = ?1")?
                            .query_map([item.id], |r| r.get(0))?
                            .collect::<rusqlite::Result<_>>()?;
                        for d in docs {
                            let f = doc_facts(tx, d)?;
                            let entry = register(&f.title, "document", &f.matter_number, Some(&f.content_sha256), Some(&f.opened_on), f.closed_on.as_deref(), Some(&f.added_on), &policy)?;
                            erase_document_rows(tx, d, &f.blobs)?;
                            erased.push(d);
                            rec.record("document_destroyed", &format!("document:{d}"), json!({ "register": entry, "automatic": automatic }))?;
                            report.register.push(entry);
                            report.documents += 1;
                        }
                        let entry = register(&title, "matter", &number, None, Some(&opened), closed.as_deref(), None, &policy)?;
                        tx.execute("DELETE FROM retention_deferrals WHERE kind = 'matter' AND target_id = ?1", [item.id])?;
                        tx.execute("DELETE FROM matter_parties WHERE matter_id = ?1", [item.id])?;
                        tx.execute("DELETE FROM matter_events WHERE matter_id = ?1", [item.id])?;
                        tx.execute("DELETE FROM matters WHERE id = ?1", [item.id])?;
                        rec.record("matter_destroyed", &format!("matter:{}", item.id), json!({ "register": entry, "automatic": automatic }))?;
                        report.register.push(entry);
                        report.matters += 1;
                        // The client goes with its last matter (unless held).
                        let left: i64 = tx.query_row("SELECT count(*) FROM matters WHERE client_id = ?1", [client], |r| r.get(0))?;
                        let client_held: bool = tx.query_row(
                            "SELECT EXISTS (SELECT 1 FROM legal_holds WHERE released_at IS NULL AND target = 'client' AND target_id = ?1)",
                            [client],
                            |r| r.get(0),
                        )?;
                        if left == 0 && !client_held {
                            tx.execute("DELETE FROM client_aliases WHERE client_id = ?1", [client])?;
                            tx.execute("DELETE FROM clients WHERE id = ?1", [client])?;
                            rec.record("client_destroyed", &format!("client:{client}"), json!({ "with_last_matter": format!("matter:{}", item.id) }))?;
                            report.clients += 1;
                        }
                    }
                }
            }
            matterbox_domain::search::erase(tx, &erased)?;
            Ok(report)
        })?;
        // The destruction is committed: keys, records and search entries
        // are gone. What follows (vacuum, overwriting the files) resumes at
        // the next unlock if it cannot finish now — a warning, never a
        // report that nothing was destroyed.
        if let Err(e) = self.finish_destruction() {
            self.warnings.push(format!(
                "The documents are destroyed (their keys and records are gone), but rebuilding the database and overwriting their encrypted files could not finish ({}); that continues at the next unlock.",
                e.user_message()
            ));
        }
        Ok(report)
    }

    /// The second half of a destruction, also run at unlock to finish one a
    /// crash interrupted: no freed page may keep a key, then the blobs go.
    pub fn finish_destruction(&mut self) -> Result<usize> {
        let jobs: Vec<String> = self
            .conn
            .prepare("SELECT blob_id FROM destruction_jobs")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if jobs.is_empty() {
            return Ok(0);
        }
        self.conn.execute_batch("VACUUM;")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let blobs = matterbox_documents::blobs::BlobStore::new(self.vault.blobs_dir());
        for id in &jobs {
            if let Ok(path) = blobs.path(id) {
                overwrite(&path);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(CoreError::Io {
                            doing: "removing a destroyed document's encrypted file",
                            source: e,
                        });
                    }
                }
            }
            self.conn
                .execute("DELETE FROM destruction_jobs WHERE blob_id = ?1", [id])?;
        }
        let _ = matterbox_vault::fsutil::sync_dir(&self.vault.blobs_dir());
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(jobs.len())
    }

    pub fn destruction_register(&self) -> Result<Vec<RegisterEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, matter_number, title, title_sha256, content_sha256, opened_on, closed_on,
                    added_on, policy, approved_by, approved_at, destroyed_at, method, certificate
             FROM destruction_register ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(RegisterEntry {
                id: r.get(0)?,
                kind: r.get(1)?,
                matter_number: r.get(2)?,
                title: r.get(3)?,
                title_sha256: r.get(4)?,
                content_sha256: r.get(5)?,
                opened_on: r.get(6)?,
                closed_on: r.get(7)?,
                added_on: r.get(8)?,
                policy: r.get(9)?,
                approved_by: r.get(10)?,
                approved_at: r.get(11)?,
                destroyed_at: r.get(12)?,
                method: r.get(13)?,
                certificate: r.get(14)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A certificate of destruction as a standalone HTML page (print it to
    /// PDF from any browser). Exporting it is audited.
    pub fn destruction_certificate(&mut self, certificate: &str) -> Result<String> {
        let entries = self.certificate_entries(certificate)?;
        let vault_name = self.vault.header().name.clone();
        let object = self.vault_object();
        self.write(|_, rec| {
            rec.record(
                "certificate_exported",
                &object,
                json!({ "certificate": certificate }),
            )
        })?;
        Ok(certificate_html(&vault_name, certificate, &entries))
    }

    /// The register entries a certificate covers; `not_found` when there
    /// is no such certificate (the app asks before it offers to save one).
    pub fn certificate_entries(&self, certificate: &str) -> Result<Vec<RegisterEntry>> {
        let entries: Vec<RegisterEntry> = self
            .destruction_register()?
            .into_iter()
            .filter(|e| e.certificate == certificate)
            .collect();
        if entries.is_empty() {
            return Err(CoreError::Domain(matterbox_domain::DomainError::NotFound {
                what: "certificate",
                key: certificate.to_string(),
            }));
        }
        Ok(entries)
    }

    /// Writes a certificate of destruction to `destination`: a new file
    /// only the user can read, never over an existing one. The export is
    /// recorded first; a refused destination records nothing.
    pub fn export_destruction_certificate(
        &mut self,
        certificate: &str,
        destination: &Path,
    ) -> Result<()> {
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        let html = self.destruction_certificate(certificate)?;
        crate::partial::write_new_private(destination, html.as_bytes())
    }

    /// Test support: the raw key of a document's current version, so the
    /// forensic tests can look for it after destruction.
    #[cfg(feature = "test-support")]
    pub fn danger_document_key(&self, id: i64) -> Result<Vec<u8>> {
        let v = matterbox_domain::documents::version_key(&self.conn, id, None)?;
        let key = matterbox_documents::unwrap_key(
            self.master
                .derive(
                    self.vault.id(),
                    matterbox_vault::KeyPurpose::DocumentKeyWrap,
                )
                .expose(),
            &v.wrapped_key,
            &v.blob_id,
        )
        .map_err(|_| CoreError::Internal("a destroyed version's key did not unwrap"))?;
        Ok(key.expose().to_vec())
    }
}

fn held() -> CoreError {
    CoreError::Held("A legal hold applies; nothing was destroyed.".into())
}

fn policy_details(p: &Policy) -> serde_json::Value {
    json!({ "trigger": p.trigger, "years": p.years, "months": p.months,
            "danger_destroy_without_approval": p.danger_destroy_without_approval })
}

/// Overwrites a file with zeros (see `fsutil::zero_fill`).
fn overwrite(path: &std::path::Path) {
    if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) {
        let _ = matterbox_vault::fsutil::zero_fill(&mut f);
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn certificate_html(vault: &str, certificate: &str, entries: &[RegisterEntry]) -> String {
    let first = &entries[0];
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                e.id,
                esc(&e.kind),
                esc(&e.matter_number),
                e.title.as_deref().map(esc).unwrap_or_else(|| format!("<code>sha256 {}</code>", e.title_sha256)),
                esc(e.closed_on.as_deref().or(e.added_on.as_deref()).unwrap_or("")),
                e.content_sha256.as_deref().unwrap_or("—"),
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Certificate of destruction {cert}</title>\n\
<style>body{{font-family:serif;margin:2cm;color:#000}}h1{{font-size:20pt}}table{{border-collapse:collapse;width:100%;font-size:10pt}}\
td,th{{border:1px solid #444;padding:4px;text-align:left;vertical-align:top}}code{{font-size:8pt;word-break:break-all}}</style></head>\n\
<body>\n<h1>Certificate of destruction</h1>\n<p>Certificate <strong>{cert}</strong> — {vault}</p>\n\
<p>The client files listed below were destroyed on {at} under the retention policy <strong>{policy}</strong>, approved by {by}.</p>\n\
<p>Method: {method}.</p>\n<table><thead><tr><th>Register</th><th>Kind</th><th>Matter</th><th>Title</th><th>Closed / added</th><th>SHA-256 of the content</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n\
<p>Each entry is kept permanently in the vault's destruction register and recorded in its audit log.</p>\n\
<p>Signature: ____________________________ &nbsp; Date: ______________</p>\n</body></html>\n",
        cert = esc(certificate),
        vault = esc(vault),
        at = esc(&first.destroyed_at),
        policy = esc(&first.policy),
        by = esc(&first.approved_by),
        method = esc(&first.method),
    )
}
