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
use matterbox_domain::retention::{
    self, DueItem, Hold, HoldTarget, NewRegisterEntry, Policy, PolicyInput,
};
pub use matterbox_domain::retention::{DisposalKind, PolicyPatch, RegisterEntry};
use matterbox_vault::Passphrase;
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
    pub kind: DisposalKind,
    pub id: i64,
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

/// What a retention sweep did (`Session::retention_sweep`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// Blobs of an interrupted destruction wiped now.
    pub resumed: usize,
    /// Destroyed under policies that need no approval.
    pub destroyed: DestructionReport,
    /// Due, and waiting for someone to approve their destruction.
    pub awaiting_approval: Vec<DueItem>,
}

const METHOD: &str = "crypto-erase: document keys and records deleted (secure_delete, search index rewritten without them, WAL truncated, vacuum); encrypted files overwritten and removed";

fn sha_hex(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
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
        let (policy, own_policy) = match retention::matter_policy(&self.conn, matter_id)? {
            Some((p, own)) => (Some(p), own),
            None => (None, false),
        };
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
            own_policy,
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

    /// Replaces every field of a policy (the app's policy form).
    pub fn update_retention_policy(&mut self, id: i64, input: &PolicyInput) -> Result<Policy> {
        self.edit_retention_policy(id, &PolicyPatch::replacing(input))
    }

    /// Changes the fields of a policy that `patch` gives, checked merged
    /// with the others as a new policy would be; a policy made permanent
    /// drops its period unless one is given. Due dates follow at once
    /// (they are computed, not stored).
    pub fn edit_retention_policy(&mut self, id: i64, patch: &PolicyPatch) -> Result<Policy> {
        self.write(|tx, rec| {
            retention::edit_policy(tx, id, patch)?;
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
            rec.record(
                "hold_placed",
                &format!("{}:{id}", target.as_str()),
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
            retention::defer(tx, item.kind, item.id, until, today)?;
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

    /// The scheduler's run, the same for the app (after every unlock, then
    /// hourly) and `matterbox retention sweep`: finishes an interrupted
    /// destruction, destroys what is due on `today` under policies marked
    /// to destroy without approval — nothing else — and lists what is due
    /// and waits for approval.
    pub fn retention_sweep(&mut self, today: NaiveDate) -> Result<SweepReport> {
        let resumed = self.finish_destruction()?;
        let destroyed = self.destroy_due_without_approval(today)?;
        let awaiting_approval = self.retention_due(today)?;
        Ok(SweepReport {
            resumed,
            destroyed,
            awaiting_approval,
        })
    }

    /// Destroys what is due under policies marked to destroy without
    /// approval; nothing else.
    fn destroy_due_without_approval(&mut self, today: NaiveDate) -> Result<DestructionReport> {
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
                let is_held = match item.kind {
                    DisposalKind::Document => retention::document_held(&self.conn, item.id)?,
                    DisposalKind::Matter => retention::matter_held(&self.conn, item.id)?,
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
            let mut added: Vec<NaiveDate> = Vec::new();
            let register = |kind: DisposalKind,
                            title: &str,
                            number: &str,
                            content: Option<&[u8]>,
                            opened: Option<&str>,
                            closed: Option<&str>,
                            added: Option<&str>,
                            policy: &str|
             -> Result<i64> {
                let content = content.map(hex::encode);
                Ok(retention::add_register_entry(
                    tx,
                    &NewRegisterEntry {
                        kind,
                        matter_number: number,
                        title: titles.then_some(title),
                        title_sha256: &sha_hex(title),
                        content_sha256: content.as_deref(),
                        opened_on: opened,
                        closed_on: closed,
                        added_on: added,
                        policy,
                        approved_by: &approver,
                        approved_at: &now,
                        method: METHOD,
                        certificate: &certificate,
                    },
                )?)
            };
            let mut destroy_document =
                |id: i64, policy: &str, report: &mut DestructionReport| -> Result<()> {
                    let f = retention::document_facts(tx, id)?;
                    let entry = register(
                        DisposalKind::Document,
                        &f.title,
                        &f.matter_number,
                        Some(&f.content_sha256),
                        Some(&f.opened_on),
                        f.closed_on.as_deref(),
                        Some(&f.added_on),
                        policy,
                    )?;
                    retention::erase_document(tx, id, &f.blobs)?;
                    erased.push(id);
                    added.push(
                        NaiveDate::parse_from_str(&f.added_on, "%Y-%m-%d")
                            .unwrap_or(NaiveDate::MIN),
                    );
                    rec.record(
                        "document_destroyed",
                        &format!("document:{id}"),
                        json!({ "register": entry, "automatic": automatic }),
                    )?;
                    report.register.push(entry);
                    report.documents += 1;
                    Ok(())
                };
            for item in items {
                let policy = due
                    .iter()
                    .find(|d| d.kind == item.kind && d.id == item.id)
                    .map(|d| d.policy.clone())
                    .unwrap_or_default();
                match item.kind {
                    DisposalKind::Document => {
                        if retention::document_held(tx, item.id)? {
                            return Err(held());
                        }
                        destroy_document(item.id, &policy, &mut report)?;
                    }
                    DisposalKind::Matter => {
                        if retention::matter_held(tx, item.id)? {
                            return Err(held());
                        }
                        let m = retention::matter_facts(tx, item.id)?;
                        for &d in &m.documents {
                            destroy_document(d, &policy, &mut report)?;
                        }
                        let entry = register(
                            DisposalKind::Matter,
                            &m.title,
                            &m.number,
                            None,
                            Some(&m.opened_on),
                            m.closed_on.as_deref(),
                            None,
                            &policy,
                        )?;
                        // A former client stays a former client: the
                        // matter's names go into the conflict index first.
                        let kept = crate::conflicts::keep_destroyed(tx, item.id, today)?;
                        retention::erase_matter(tx, item.id)?;
                        rec.record(
                            "matter_destroyed",
                            &format!("matter:{}", item.id),
                            json!({ "register": entry, "automatic": automatic, "conflict_names_kept": kept }),
                        )?;
                        report.register.push(entry);
                        report.matters += 1;
                        // The client goes with its last matter (unless held).
                        if retention::erase_client_without_matters(tx, m.client_id)? {
                            rec.record(
                                "client_destroyed",
                                &format!("client:{}", m.client_id),
                                json!({ "with_last_matter": format!("matter:{}", item.id) }),
                            )?;
                            report.clients += 1;
                        }
                    }
                }
            }
            matterbox_domain::search::erase(tx, &erased)?;
            // Backups taken while any of this existed hold it: the next
            // backup removes them (see backup.rs). A matter takes its
            // records and perhaps its client with it, which may be older
            // than any document: then every earlier backup goes.
            let since = if report.matters > 0 {
                Some(NaiveDate::MIN)
            } else {
                added.iter().min().copied()
            };
            if let Some(since) = since {
                crate::backup::note_destruction(tx, since, chrono::Utc::now())?;
            }
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
        // The search accelerator's generations whose keys went with a
        // destruction: their folders are overwritten and removed.
        if let Err(e) = self.search_index.wipe_forgotten(&self.conn) {
            return Err(CoreError::Io {
                doing: "removing the search index of destroyed documents",
                source: std::io::Error::other(e.0),
            });
        }
        let jobs = retention::destruction_jobs(&self.conn)?;
        if jobs.is_empty() {
            return Ok(0);
        }
        retention::vacuum(&self.conn)?;
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
            retention::finish_destruction_job(&self.conn, id)?;
        }
        let _ = matterbox_vault::fsutil::sync_dir(&self.vault.blobs_dir());
        retention::truncate_wal(&self.conn)?;
        Ok(jobs.len())
    }

    pub fn destruction_register(&self) -> Result<Vec<RegisterEntry>> {
        Ok(retention::register(&self.conn)?)
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
        let backups = self.backup_copies_note(&entries[0].destroyed_at)?;
        Ok(certificate_html(
            &vault_name,
            certificate,
            &entries,
            &backups,
        ))
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

fn certificate_html(
    vault: &str,
    certificate: &str,
    entries: &[RegisterEntry],
    backups: &str,
) -> String {
    let first = &entries[0];
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                e.id,
                e.kind,
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
<p>Backups: {backups}</p>\n\
<p>Each entry is kept permanently in the vault's destruction register and recorded in its audit log.</p>\n\
<p>Signature: ____________________________ &nbsp; Date: ______________</p>\n</body></html>\n",
        cert = esc(certificate),
        vault = esc(vault),
        at = esc(&first.destroyed_at),
        policy = esc(&first.policy),
        by = esc(&first.approved_by),
        method = esc(&first.method),
        backups = esc(backups),
    )
}
