//! The compliance report (#17 §2): one document a lawyer can hand to a
//! regulator, an insurer or a client — the vault's protections, the audit
//! chain's verification, who used the vault, what it holds, what
//! retention will dispose of, holds, the destruction register, backups,
//! incidents, consents and requests due, policies and training.
//!
//! Every section is read from its own register through that register's
//! query (nothing is counted twice in two ways) and carries the time its
//! evidence was taken. **The report is a function of the vault and `at`
//! alone**: sorted, no random ids, every clock read from `at` and the
//! audit log cut at `at`, so two reports of the same vault at the same
//! time are identical byte for byte.
//!
//! A client-scoped report covers one client: its records only, and no
//! other client's name, matter number or document title — consents
//! covering several clients list only this one, incidents and requests
//! appear without titles or requesters (practice-wide facts, never
//! another client's).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use matterbox_domain::consents::ConsentDue;
use matterbox_domain::inventory::{self, Inventory};
use matterbox_domain::policies::{self, Due};
use matterbox_domain::requests::RequestKind;
use matterbox_domain::retention::{self, DisposalKind, Hold, HoldTarget};
use matterbox_domain::{breaches, requests as dsr, settings};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::{CoreError, Result, Session};

/// What the report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "clientId", rename_all = "snake_case")]
pub enum ReportScope {
    Whole,
    Client(i64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// A self-contained page (prints to PDF from any browser).
    Html,
    Json,
}

/// Reminders and the retention outlook look this far ahead.
pub const DUE_WITHIN_DAYS: u32 = 90;
/// The retention outlook's horizons, in months.
pub const HORIZONS: [u32; 3] = [12, 24, 60];

/// One section: when its evidence was taken, where it comes from, what it says.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Section<T> {
    pub evidence_at: String,
    /// The register or record the section is read from.
    pub source: String,
    pub data: T,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub format: String,
    pub version: u32,
    pub vault_name: String,
    pub vault_id: String,
    pub scope: ScopeInfo,
    pub at: String,
    pub protections: Section<Protections>,
    pub audit: Section<AuditStatus>,
    pub users: Section<Users>,
    pub inventory: Section<Inventory>,
    pub retention: Section<RetentionOutlook>,
    pub holds: Section<Vec<HoldRow>>,
    pub destruction_register: Section<Destructions>,
    pub backups: Section<Backups>,
    pub incidents: Section<Vec<IncidentRow>>,
    pub consents_due: Section<Vec<ConsentDue>>,
    pub requests: Section<Vec<RequestRow>>,
    pub policies: Section<PoliciesStatus>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeInfo {
    pub kind: String,
    pub client_id: Option<i64>,
    pub client_name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Protections {
    pub database_encryption: String,
    pub document_encryption: String,
    pub unlock_slot: String,
    pub recovery_slot: String,
    pub kdf_memory_kib: u32,
    pub kdf_iterations: u32,
    pub kdf_parallelism: u32,
    pub enrolled_at: String,
    /// `os_keychain` or `danger_plain_file`.
    pub device_secret_storage: String,
    pub auto_lock_seconds: u32,
    pub vault_created_at: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatus {
    /// `intact` or `broken` (the whole log, checked when the report was made).
    pub verification: String,
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
    /// Entries recorded up to the report's time.
    pub entries: i64,
    pub head_seq: Option<i64>,
    pub head_at: Option<String>,
    pub head_mac: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Users {
    pub actors: Vec<Actor>,
    pub devices: Vec<Device>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// As the audit log names it (`program:user`).
    pub actor: String,
    pub first_seen: String,
    pub last_seen: String,
    pub entries: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub device: String,
    pub first_seen: String,
    pub last_seen: String,
    pub unlocks: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionOutlook {
    /// Due now and within each horizon (cumulative: what is due by then).
    pub horizons: Vec<Horizon>,
    /// Everything due within the longest horizon, by date.
    pub items: Vec<DueRow>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Horizon {
    pub months: u32,
    pub by: String,
    pub matters: i64,
    pub documents: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueRow {
    pub kind: DisposalKind,
    pub matter_number: String,
    pub title: String,
    pub due_on: String,
    pub policy: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldRow {
    pub id: i64,
    pub target: HoldTarget,
    pub subject: String,
    pub reason: String,
    pub placed_on: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Destructions {
    pub matters: i64,
    pub documents: i64,
    pub entries: Vec<DestructionRow>,
    /// What a client-scoped report cannot attribute.
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestructionRow {
    pub id: i64,
    pub kind: DisposalKind,
    pub matter_number: String,
    /// `None` when the vault keeps only titles' hashes.
    pub title: Option<String>,
    pub policy: String,
    pub approved_by: String,
    pub destroyed_at: String,
    pub method: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Backups {
    /// When the last backup that passed its verification finished, or "none".
    pub last_verified_backup: String,
    /// When the last restore drill passed, or "none".
    pub last_restore_drill: String,
    pub last_problem: Option<String>,
    pub last_drill_problem: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentRow {
    pub reference: String,
    /// Left out of a client-scoped report.
    pub title: Option<String>,
    pub status: String,
    pub aware_at: String,
    pub notices: i64,
    /// Deadlines due soon or passed with no notice, at the report's time.
    pub deadlines_needing_attention: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRow {
    pub id: i64,
    pub kind: RequestKind,
    pub relation: String,
    pub received_on: String,
    pub status: String,
    pub due_on: Option<String>,
    pub days_left: Option<i64>,
    pub paused: bool,
    pub overdue: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoliciesStatus {
    pub policies: Vec<PolicyRow>,
    pub trainings: Vec<TrainingRow>,
    /// Each person of the practice and their last training.
    pub people: Vec<PersonRow>,
    /// Reviews and training due within `DUE_WITHIN_DAYS`.
    pub due: Vec<Due>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRow {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub version: i64,
    pub effective_on: String,
    pub review_on: String,
    pub acknowledged_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingRow {
    pub id: i64,
    pub topic: String,
    pub held_on: String,
    pub attendees: i64,
    pub materials: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonRow {
    pub person: String,
    pub last_training: Option<String>,
    pub training_due_on: String,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn section<T>(at: &str, source: &str, data: T) -> Section<T> {
    Section {
        evidence_at: at.to_string(),
        source: source.to_string(),
        data,
    }
}

/// The records of one client: its matters (ids and numbers) and documents.
struct ClientRecords {
    matters: BTreeSet<i64>,
    numbers: BTreeSet<String>,
    documents: BTreeSet<i64>,
}

impl Session {
    fn client_records(&self, client: i64) -> Result<ClientRecords> {
        let mut out = ClientRecords {
            matters: BTreeSet::new(),
            numbers: BTreeSet::new(),
            documents: BTreeSet::new(),
        };
        for m in dsr::client_matters(&self.conn, client)? {
            out.matters.insert(m);
            out.numbers.insert(
                matterbox_domain::matters::get(&self.conn, m)?
                    .summary
                    .number,
            );
            for (d, _, _) in dsr::matter_documents(&self.conn, m)? {
                out.documents.insert(d);
            }
        }
        Ok(out)
    }

    /// The compliance report of the vault, or of one client, as of `at`
    /// (not audited: [`Session::export_compliance_report`] is).
    pub fn compliance_report(&self, at: DateTime<Utc>, scope: ReportScope) -> Result<Report> {
        // Milliseconds, as the audit log writes its times.
        let at_s = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let today = at.date_naive();
        let client = match scope {
            ReportScope::Whole => None,
            ReportScope::Client(id) => Some(id),
        };
        let (client_name, records) = match client {
            Some(id) => (
                Some(matterbox_domain::clients::get(&self.conn, id)?.name),
                Some(self.client_records(id)?),
            ),
            None => (None, None),
        };
        let header = self.vault.header();

        // --- protections
        let protections = Protections {
            database_encryption: "SQLCipher 4 (AES-256): the whole database, its write-ahead log and its full-text index, under a key derived from the vault's master key".into(),
            document_encryption: "AES-256-GCM, each document version under its own random key, in authenticated chunks; the keys are wrapped under a key derived from the master key".into(),
            unlock_slot: "master key wrapped (AES-256-GCM) under Argon2id(passphrase) combined with a device secret".into(),
            recovery_slot: "master key wrapped (AES-256-GCM) under a 160-bit recovery key held by the practice".into(),
            kdf_memory_kib: header.unlock_slot.kdf.memory_kib,
            kdf_iterations: header.unlock_slot.kdf.iterations,
            kdf_parallelism: header.unlock_slot.kdf.parallelism,
            enrolled_at: stamp(header.unlock_slot.enrolled_at),
            device_secret_storage: match header.device_secret_storage {
                matterbox_vault::DeviceSecretStorage::OsKeychain => "os_keychain",
                matterbox_vault::DeviceSecretStorage::DangerPlainFile => "danger_plain_file",
            }
            .into(),
            auto_lock_seconds: settings::auto_lock_seconds(&self.conn)?,
            vault_created_at: stamp(header.created_at),
        };

        // --- audit: the whole chain verified; counts and head cut at `at`.
        let verification = self.verify_audit()?;
        let entries: Vec<matterbox_audit::Entry> = self
            .audit_entries()?
            .into_iter()
            .filter(|e| DateTime::parse_from_rfc3339(&e.at).is_ok_and(|t| t.to_utc() <= at))
            .collect();
        let head = entries.last();
        let (status, first_bad, problem) = match &verification {
            matterbox_audit::Verification::Intact { .. } => ("intact", None, None),
            matterbox_audit::Verification::Broken {
                first_bad_seq,
                reason,
            } => ("broken", Some(*first_bad_seq), Some(reason.clone())),
        };
        let audit = AuditStatus {
            verification: status.into(),
            first_bad_seq: first_bad,
            problem,
            entries: entries.len() as i64,
            head_seq: head.map(|e| e.seq),
            head_at: head.map(|e| e.at.clone()),
            head_mac: head.map(|e| e.mac.clone()),
        };
        let audit_at = head.map_or_else(|| at_s.clone(), |e| e.at.clone());

        // --- users: the actors and devices the audit log names.
        let mut actors: BTreeMap<String, Actor> = BTreeMap::new();
        for e in &entries {
            let a = actors.entry(e.actor.clone()).or_insert_with(|| Actor {
                actor: e.actor.clone(),
                first_seen: e.at.clone(),
                last_seen: e.at.clone(),
                entries: 0,
            });
            a.last_seen = e.at.clone();
            a.entries += 1;
        }
        let mut devices: BTreeMap<String, Device> = BTreeMap::new();
        for ev in crate::breach::log_events(&entries) {
            let Some(d) = ev.device else { continue };
            let seen = stamp(ev.at);
            let unlock = breaches::UNLOCK_ACTIONS.contains(&ev.action.as_str()) as i64;
            let dev = devices.entry(d.clone()).or_insert_with(|| Device {
                device: d,
                first_seen: seen.clone(),
                last_seen: seen.clone(),
                unlocks: 0,
            });
            dev.last_seen = seen;
            dev.unlocks += unlock;
        }
        let users = Users {
            actors: actors.into_values().collect(),
            devices: devices.into_values().collect(),
        };

        // --- inventory
        let inv = inventory::inventory(&self.conn, client)?;

        // --- retention outlook: the register's own "due" query, asked at
        // each horizon.
        let of_client = |matter_id: i64| {
            records
                .as_ref()
                .is_none_or(|r| r.matters.contains(&matter_id))
        };
        let mut horizons = Vec::new();
        let mut items = Vec::new();
        for months in std::iter::once(0).chain(HORIZONS) {
            let by = today
                .checked_add_months(Months::new(months))
                .unwrap_or(NaiveDate::MAX);
            let due: Vec<_> = retention::due(&self.conn, by)?
                .into_iter()
                .filter(|d| of_client(d.matter_id))
                .collect();
            horizons.push(Horizon {
                months,
                by: by.to_string(),
                matters: due
                    .iter()
                    .filter(|d| d.kind == DisposalKind::Matter)
                    .count() as i64,
                documents: due
                    .iter()
                    .filter(|d| d.kind == DisposalKind::Document)
                    .count() as i64,
            });
            if months == HORIZONS[HORIZONS.len() - 1] {
                items = due
                    .into_iter()
                    .map(|d| DueRow {
                        kind: d.kind,
                        matter_number: d.matter_number,
                        title: d.title,
                        due_on: d.due_on,
                        policy: d.policy,
                    })
                    .collect();
            }
        }
        items.sort_by(|a, b| {
            (&a.due_on, &a.matter_number, &a.title).cmp(&(&b.due_on, &b.matter_number, &b.title))
        });

        // --- holds
        let holds: Vec<HoldRow> = retention::holds(&self.conn)?
            .into_iter()
            .filter(|h| match (&records, client) {
                (Some(r), Some(c)) => hold_is_of(h, c, r),
                _ => true,
            })
            .map(|h| HoldRow {
                id: h.id,
                target: h.target,
                subject: h.subject,
                reason: h.reason,
                placed_on: h.placed_on,
            })
            .collect();

        // --- destruction register
        let register: Vec<DestructionRow> = retention::register(&self.conn)?
            .into_iter()
            .filter(|e| {
                records
                    .as_ref()
                    .is_none_or(|r| r.numbers.contains(&e.matter_number))
            })
            .map(|e| DestructionRow {
                id: e.id,
                kind: e.kind,
                matter_number: e.matter_number,
                title: e.title,
                policy: e.policy,
                approved_by: e.approved_by,
                destroyed_at: e.destroyed_at,
                method: e.method,
            })
            .collect();
        let destructions = Destructions {
            matters: register.iter().filter(|e| e.kind == DisposalKind::Matter).count() as i64,
            documents: register.iter().filter(|e| e.kind == DisposalKind::Document).count() as i64,
            entries: register,
            note: client.map(|_| {
                "Documents destroyed from this client's present matters. A matter destroyed whole is kept in the register by its number only, with no link to its client: see the whole-vault report.".to_string()
            }),
        };

        // --- backups
        let b = self.backup_state()?;
        let backups = Backups {
            last_verified_backup: b.last_verified_at.map_or_else(|| "none".into(), stamp),
            last_restore_drill: b.last_drill_at.map_or_else(|| "none".into(), stamp),
            last_problem: b.last_problem,
            last_drill_problem: b.last_drill_problem,
        };

        // --- incidents, with their clocks read at `at`.
        let mut incidents = Vec::new();
        for s in breaches::list(&self.conn)? {
            let needing = if s.status == breaches::BreachStatus::Closed {
                0
            } else {
                breaches::get(&self.conn, s.id)?
                    .clocks(at)?
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.state,
                            breaches::ClockState::DueSoon | breaches::ClockState::Overdue
                        )
                    })
                    .count() as i64
            };
            incidents.push(IncidentRow {
                reference: s.reference,
                title: client.is_none().then_some(s.title),
                status: s.status.as_str().into(),
                aware_at: s.aware_at,
                notices: s.notices,
                deadlines_needing_attention: needing,
            });
        }
        incidents.sort_by(|a, b| a.reference.cmp(&b.reference));

        // --- consents due (a client's consent lists that client only).
        let mut consents = self.consents_due(client, today, DUE_WITHIN_DAYS)?;
        if let Some(c) = client {
            for d in &mut consents {
                d.clients.retain(|x| x.id == c);
            }
        }

        // --- open data-subject requests with their deadlines.
        let linked: Option<BTreeSet<i64>> = match client {
            Some(c) => Some(
                dsr::requests_of_client(&self.conn, c)?
                    .into_iter()
                    .collect(),
            ),
            None => None,
        };
        let mut open_requests: Vec<RequestRow> = self
            .requests(today)?
            .into_iter()
            .filter(|r| !r.summary.status.closed())
            .filter(|r| linked.as_ref().is_none_or(|l| l.contains(&r.summary.id)))
            .map(|r| RequestRow {
                id: r.summary.id,
                kind: r.summary.kind,
                relation: r.summary.relation.as_str().into(),
                received_on: r.summary.received_on.to_string(),
                status: r.summary.status.as_str().into(),
                due_on: r.deadline.due_on.map(|d| d.to_string()),
                days_left: r.deadline.days_left,
                paused: r.deadline.paused,
                overdue: r.deadline.overdue,
            })
            .collect();
        open_requests.sort_by_key(|r| r.id);

        // --- policies and training
        let all_policies = policies::list(&self.conn)?;
        let trainings = policies::trainings(&self.conn)?;
        let people = policies::people(&all_policies, &trainings)
            .into_iter()
            .map(|(person, last)| PersonRow {
                training_due_on: last
                    .map_or(today, |d| policies::review_on(d, policies::TRAINING_MONTHS))
                    .to_string(),
                last_training: last.map(|d| d.to_string()),
                person,
            })
            .collect();
        let pol = PoliciesStatus {
            due: self.policies_due(today, DUE_WITHIN_DAYS)?,
            policies: all_policies
                .iter()
                .map(|p| {
                    let s = p.summary();
                    PolicyRow {
                        id: s.id,
                        title: s.title,
                        topic: s.topic,
                        version: s.current_version,
                        effective_on: s.effective_on,
                        review_on: s.review_on,
                        acknowledged_by: s.acknowledged_by,
                    }
                })
                .collect(),
            trainings: trainings
                .iter()
                .map(|t| TrainingRow {
                    id: t.id,
                    topic: t.topic.clone(),
                    held_on: t.held_on.clone(),
                    attendees: t.attendees.len() as i64,
                    materials: t.materials.len() as i64,
                })
                .collect(),
            people,
        };

        Ok(Report {
            format: "matterbox-compliance-report".into(),
            version: 1,
            vault_name: header.name.clone(),
            vault_id: header.vault_id.clone(),
            scope: ScopeInfo {
                kind: if client.is_some() { "client" } else { "whole" }.into(),
                client_id: client,
                client_name,
            },
            protections: section(&at_s, "vault header and settings", protections),
            audit: section(
                &audit_at,
                "audit log (whole chain verified; entries up to the report's time)",
                audit,
            ),
            users: section(&audit_at, "audit log: actors and devices", users),
            inventory: section(&at_s, "clients, matters and documents", inv),
            retention: section(
                &at_s,
                "retention policies, holds and deferrals (matterbox retention due)",
                RetentionOutlook { horizons, items },
            ),
            holds: section(&at_s, "legal holds in force", holds),
            destruction_register: section(&at_s, "destruction register", destructions),
            backups: section(
                &at_s,
                "backup state (last verified backup, last restore drill)",
                backups,
            ),
            incidents: section(&at_s, "incident register", incidents),
            consents_due: section(
                &at_s,
                &format!(
                    "consent records: confirmations and reviews due within {DUE_WITHIN_DAYS} days"
                ),
                consents,
            ),
            requests: section(&at_s, "data-subject requests still open", open_requests),
            policies: section(
                &at_s,
                &format!(
                    "policies, acknowledgements, training; reminders due within {DUE_WITHIN_DAYS} days"
                ),
                pol,
            ),
            at: at_s,
        })
    }

    /// The report as a page or JSON; recorded as exported with its scope
    /// kind and counts (never a name).
    pub fn export_compliance_report(
        &mut self,
        at: DateTime<Utc>,
        scope: ReportScope,
        format: ReportFormat,
    ) -> Result<String> {
        let report = self.compliance_report(at, scope)?;
        let text = match format {
            ReportFormat::Html => report_html(&report),
            ReportFormat::Json => report_json(&report)?,
        };
        let object = match scope {
            ReportScope::Whole => self.vault_object(),
            ReportScope::Client(id) => format!("client:{id}"),
        };
        self.write(|_, rec| {
            rec.record(
                "report_exported",
                &object,
                json!({
                    "scope": report.scope.kind,
                    "format": match format { ReportFormat::Html => "html", ReportFormat::Json => "json" },
                    "at": report.at,
                    "clients": report.inventory.data.clients,
                    "matters": report.inventory.data.matters,
                    "documents": report.inventory.data.documents,
                    "incidents": report.incidents.data.len(),
                    "open_requests": report.requests.data.len(),
                }),
            )
        })?;
        Ok(text)
    }

    /// Writes the report to `destination`: a new file only the user can
    /// read, never over an existing one.
    pub fn write_compliance_report(
        &mut self,
        at: DateTime<Utc>,
        scope: ReportScope,
        format: ReportFormat,
        destination: &std::path::Path,
    ) -> Result<()> {
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        let text = self.export_compliance_report(at, scope, format)?;
        crate::partial::write_new_private(destination, text.as_bytes())
    }
}

fn hold_is_of(h: &Hold, client: i64, r: &ClientRecords) -> bool {
    match h.target {
        HoldTarget::Client => h.target_id == client,
        HoldTarget::Matter => r.matters.contains(&h.target_id),
        HoldTarget::Document => r.documents.contains(&h.target_id),
    }
}

/// The report as JSON (pretty, ending with a newline).
pub fn report_json(r: &Report) -> Result<String> {
    let mut s = serde_json::to_string_pretty(r)
        .map_err(|_| CoreError::Internal("the report does not serialize"))?;
    s.push('\n');
    Ok(s)
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table: headers and rows of already-escaped cells; `empty` when none.
fn table(headers: &[&str], rows: Vec<Vec<String>>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"none\">{}</p>\n", esc(empty));
    }
    let mut out = String::from("<table><thead><tr>");
    for h in headers {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            out.push_str(&format!("<td>{c}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

fn facts(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<table class=\"facts\"><tbody>\n");
    for (k, v) in rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

fn head<T>(title: &str, s: &Section<T>) -> String {
    format!(
        "<section>\n<h2>{}</h2>\n<p class=\"evidence\">Evidence taken {} · from the {}</p>\n",
        esc(title),
        esc(&s.evidence_at),
        esc(&s.source)
    )
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "—".into())
}

/// The report as a self-contained page: everything escaped, no script,
/// no external resource, print styles (prints to PDF from any browser).
pub fn report_html(r: &Report) -> String {
    let mut b = String::new();
    let scope = match &r.scope.client_name {
        Some(name) => format!("Client: {name}"),
        None => "The whole vault".into(),
    };
    b.push_str(&format!(
        "<h1>Compliance report</h1>\n{}",
        facts(&[
            ("Vault", r.vault_name.clone()),
            ("Vault id", r.vault_id.clone()),
            ("Covers", scope),
            ("As of", r.at.clone()),
        ])
    ));

    let p = &r.protections.data;
    b.push_str(&head("Protections", &r.protections));
    b.push_str(&facts(&[
        ("Database", p.database_encryption.clone()),
        ("Documents", p.document_encryption.clone()),
        ("Unlock key slot", p.unlock_slot.clone()),
        ("Recovery key slot", p.recovery_slot.clone()),
        (
            "Argon2id cost",
            format!(
                "{} MiB memory, {} passes, parallelism {}",
                p.kdf_memory_kib / 1024,
                p.kdf_iterations,
                p.kdf_parallelism
            ),
        ),
        ("This computer enrolled", p.enrolled_at.clone()),
        (
            "Device secret kept in",
            match p.device_secret_storage.as_str() {
                "os_keychain" => "the operating system's keychain".into(),
                _ => "a plain file readable by the user (less safe)".into(),
            },
        ),
        (
            "Auto-lock after",
            format!("{} seconds idle", p.auto_lock_seconds),
        ),
        ("Vault created", p.vault_created_at.clone()),
    ]));
    b.push_str("</section>\n");

    let a = &r.audit.data;
    b.push_str(&head("Audit log", &r.audit));
    b.push_str(&facts(&[
        (
            "Verification",
            match (&a.first_bad_seq, &a.problem) {
                (Some(seq), Some(p)) => format!("BROKEN at entry {seq}: {p}"),
                _ => "intact: every entry chains to the one before, the head matches".into(),
            },
        ),
        ("Entries up to the report's time", a.entries.to_string()),
        (
            "Head entry",
            a.head_seq.map_or("—".into(), |s| s.to_string()),
        ),
        ("Head time", opt(&a.head_at)),
        ("Head MAC", opt(&a.head_mac)),
    ]));
    b.push_str("</section>\n");

    b.push_str(&head("Users of the vault", &r.users));
    b.push_str(&table(
        &["Actor", "First seen", "Last seen", "Entries"],
        r.users
            .data
            .actors
            .iter()
            .map(|u| {
                vec![
                    esc(&u.actor),
                    esc(&u.first_seen),
                    esc(&u.last_seen),
                    u.entries.to_string(),
                ]
            })
            .collect(),
        "No one has used the vault yet.",
    ));
    b.push_str(&table(
        &["Device", "First seen", "Last seen", "Unlocks"],
        r.users
            .data
            .devices
            .iter()
            .map(|d| {
                vec![
                    esc(&d.device),
                    esc(&d.first_seen),
                    esc(&d.last_seen),
                    d.unlocks.to_string(),
                ]
            })
            .collect(),
        "No device recorded in the audit log.",
    ));
    b.push_str("</section>\n");

    let i = &r.inventory.data;
    b.push_str(&head("Data inventory", &r.inventory));
    b.push_str(&facts(&[
        ("Clients", i.clients.to_string()),
        ("Matters", i.matters.to_string()),
        ("Documents", i.documents.to_string()),
    ]));
    b.push_str(&table(
        &["Practice area", "Matters", "Open", "Documents"],
        i.by_practice_area
            .iter()
            .map(|a| {
                vec![
                    esc(if a.practice_area.is_empty() {
                        "(none given)"
                    } else {
                        &a.practice_area
                    }),
                    a.matters.to_string(),
                    a.open_matters.to_string(),
                    a.documents.to_string(),
                ]
            })
            .collect(),
        "No matters.",
    ));
    b.push_str(&table(
        &["Document kind", "Documents"],
        i.documents_by_kind
            .iter()
            .map(|k| {
                vec![
                    esc(if k.kind.is_empty() {
                        "(no extension)"
                    } else {
                        &k.kind
                    }),
                    k.documents.to_string(),
                ]
            })
            .collect(),
        "No documents.",
    ));
    b.push_str("<h3>Personal data held</h3>\n");
    b.push_str(&table(
        &["Category", "What was counted", "Records"],
        i.personal_data
            .iter()
            .map(|c| vec![esc(&c.category), esc(&c.counted), c.records.to_string()])
            .collect(),
        "None.",
    ));
    b.push_str("</section>\n");

    let o = &r.retention.data;
    b.push_str(&head("Retention outlook", &r.retention));
    b.push_str(&table(
        &["Due by", "Date", "Matters", "Documents"],
        o.horizons
            .iter()
            .map(|h| {
                vec![
                    esc(&if h.months == 0 {
                        "now".into()
                    } else {
                        format!("{} months", h.months)
                    }),
                    esc(&h.by),
                    h.matters.to_string(),
                    h.documents.to_string(),
                ]
            })
            .collect(),
        "",
    ));
    b.push_str(&table(
        &["Due on", "Kind", "Matter", "Title", "Policy"],
        o.items
            .iter()
            .map(|d| {
                vec![
                    esc(&d.due_on),
                    esc(d.kind.as_str()),
                    esc(&d.matter_number),
                    esc(&d.title),
                    esc(&d.policy),
                ]
            })
            .collect(),
        "Nothing becomes due within the outlook.",
    ));
    b.push_str("</section>\n");

    b.push_str(&head("Legal holds", &r.holds));
    b.push_str(&table(
        &["Hold", "On", "What", "Reason", "Placed on"],
        r.holds
            .data
            .iter()
            .map(|h| {
                vec![
                    h.id.to_string(),
                    esc(h.target.as_str()),
                    esc(&h.subject),
                    esc(&h.reason),
                    esc(&h.placed_on),
                ]
            })
            .collect(),
        "No legal hold in force.",
    ));
    b.push_str("</section>\n");

    let d = &r.destruction_register.data;
    b.push_str(&head("Destruction register", &r.destruction_register));
    b.push_str(&facts(&[
        ("Matters destroyed", d.matters.to_string()),
        ("Documents destroyed", d.documents.to_string()),
    ]));
    if let Some(note) = &d.note {
        b.push_str(&format!("<p class=\"note\">{}</p>\n", esc(note)));
    }
    b.push_str(&table(
        &[
            "Entry",
            "Kind",
            "Matter",
            "Title",
            "Policy",
            "Approved by",
            "Destroyed",
            "Method",
        ],
        d.entries
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    esc(e.kind.as_str()),
                    esc(&e.matter_number),
                    esc(e.title.as_deref().unwrap_or("(title kept as a hash)")),
                    esc(&e.policy),
                    esc(&e.approved_by),
                    esc(&e.destroyed_at),
                    esc(&e.method),
                ]
            })
            .collect(),
        "Nothing destroyed.",
    ));
    b.push_str("</section>\n");

    let k = &r.backups.data;
    b.push_str(&head("Backups", &r.backups));
    b.push_str(&facts(&[
        ("Last verified backup", k.last_verified_backup.clone()),
        ("Last restore drill", k.last_restore_drill.clone()),
        ("Last backup problem", opt(&k.last_problem)),
        ("Last drill problem", opt(&k.last_drill_problem)),
    ]));
    b.push_str("</section>\n");

    b.push_str(&head("Incidents", &r.incidents));
    b.push_str(&table(
        &[
            "Reference",
            "Title",
            "Status",
            "Aware",
            "Notices sent",
            "Deadlines needing attention",
        ],
        r.incidents
            .data
            .iter()
            .map(|x| {
                vec![
                    esc(&x.reference),
                    esc(x.title.as_deref().unwrap_or("—")),
                    esc(&x.status),
                    esc(&x.aware_at),
                    x.notices.to_string(),
                    x.deadlines_needing_attention.to_string(),
                ]
            })
            .collect(),
        "No incident recorded.",
    ));
    b.push_str("</section>\n");

    b.push_str(&head("Consents due", &r.consents_due));
    b.push_str(&table(
        &["Due on", "Consent", "Kind", "What", "Clients"],
        r.consents_due
            .data
            .iter()
            .map(|c| {
                let names: Vec<String> = c
                    .clients
                    .iter()
                    .map(|x| x.name.clone().unwrap_or_else(|| format!("client {}", x.id)))
                    .collect();
                vec![
                    esc(&format!(
                        "{}{}",
                        c.due_on,
                        if c.overdue { " (overdue)" } else { "" }
                    )),
                    c.consent_id.to_string(),
                    esc(c.kind.as_str()),
                    esc(match c.what {
                        matterbox_domain::consents::DueWhat::ConfirmInWriting => {
                            "confirm in writing"
                        }
                        matterbox_domain::consents::DueWhat::Review => "review",
                    }),
                    esc(&names.join("; ")),
                ]
            })
            .collect(),
        "No consent due.",
    ));
    b.push_str("</section>\n");

    b.push_str(&head("Open data-subject requests", &r.requests));
    b.push_str(&table(
        &[
            "Request",
            "Kind",
            "Requester is",
            "Received",
            "Status",
            "Deadline",
            "Days left",
        ],
        r.requests
            .data
            .iter()
            .map(|q| {
                vec![
                    q.id.to_string(),
                    esc(q.kind.as_str()),
                    esc(&q.relation),
                    esc(&q.received_on),
                    esc(&q.status),
                    esc(&format!(
                        "{}{}{}",
                        q.due_on.as_deref().unwrap_or("—"),
                        if q.paused { " (paused)" } else { "" },
                        if q.overdue { " (overdue)" } else { "" }
                    )),
                    q.days_left.map_or("—".into(), |d| d.to_string()),
                ]
            })
            .collect(),
        "No open request.",
    ));
    b.push_str("</section>\n");

    let pol = &r.policies.data;
    b.push_str(&head("Policies and training", &r.policies));
    b.push_str(&table(
        &[
            "Policy",
            "Topic",
            "Version",
            "In effect since",
            "Review on",
            "Acknowledged by",
        ],
        pol.policies
            .iter()
            .map(|p| {
                vec![
                    esc(&p.title),
                    esc(&p.topic),
                    p.version.to_string(),
                    esc(&p.effective_on),
                    esc(&p.review_on),
                    esc(&p.acknowledged_by.join(", ")),
                ]
            })
            .collect(),
        "No written policy recorded.",
    ));
    b.push_str(&table(
        &["Training", "Held on", "Attendees", "Materials"],
        pol.trainings
            .iter()
            .map(|t| {
                vec![
                    esc(&t.topic),
                    esc(&t.held_on),
                    t.attendees.to_string(),
                    t.materials.to_string(),
                ]
            })
            .collect(),
        "No training recorded.",
    ));
    b.push_str(&table(
        &["Person", "Last training", "Training due"],
        pol.people
            .iter()
            .map(|p| {
                vec![
                    esc(&p.person),
                    esc(p.last_training.as_deref().unwrap_or("never")),
                    esc(&p.training_due_on),
                ]
            })
            .collect(),
        "No one recorded.",
    ));
    b.push_str(&table(
        &["Due on", "What", "Subject"],
        pol.due
            .iter()
            .map(|x| {
                vec![
                    esc(&format!(
                        "{}{}",
                        x.due_on,
                        if x.overdue { " (overdue)" } else { "" }
                    )),
                    esc(match x.kind {
                        policies::DueKind::PolicyReview => "policy review",
                        policies::DueKind::Training => "annual training",
                    }),
                    esc(&x.subject),
                ]
            })
            .collect(),
        "Nothing due.",
    ));
    b.push_str("</section>\n");

    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Compliance report · {vault} · {at}</title>\n<style>\n{CSS}</style></head><body>\n{b}\
<footer><p>Made by Matterbox from the vault's own registers; each section says when its evidence was taken. \
The same vault and time always give the same report.</p></footer>\n</body></html>\n",
        vault = esc(&r.vault_name),
        at = esc(&r.at),
    )
}

const CSS: &str = "body { font: 11pt/1.4 system-ui, sans-serif; color: #111; max-width: 60em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .3em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #999; margin-top: 1.6em; }
h3 { font-size: 1em; }
.evidence { color: #555; font-size: .85em; margin-top: -.4em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .45em; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #f0f0f0; }
table.facts th { width: 30%; font-weight: 600; background: #fafafa; }
.none, .note { color: #444; font-style: italic; }
footer { margin-top: 2em; color: #555; font-size: .85em; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid-page; } thead { display: table-header-group; } tr { break-inside: avoid; } }
";

/// The time a report dated `as_of` (a day, as the app's date field gives
/// it) is taken at: now for today or no day; the last second of the day
/// (UTC) for a day before today, so the report shows the vault as it
/// stood when that day ended. A day after today is refused: a report
/// cannot speak for a time that has not come.
pub fn report_time(
    as_of: Option<NaiveDate>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    match as_of {
        None => Ok(now),
        Some(day) if day == today => Ok(now),
        Some(day) if day > today => Err(CoreError::Invalid(format!(
            "The report can be dated today ({today}) or earlier, not {day}."
        ))),
        Some(day) => Ok(day
            .and_hms_opt(23, 59, 59)
            .map_or(now, |t| t.and_utc())
            .min(now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_dated_a_day_is_taken_at_its_end_and_never_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T21:10:00Z")
            .unwrap()
            .to_utc();
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(report_time(None, today, now).unwrap(), now);
        assert_eq!(report_time(Some(today), today, now).unwrap(), now);
        assert_eq!(
            report_time(Some(day(1)), today, now).unwrap().to_rfc3339(),
            "2026-12-01T23:59:59+00:00"
        );
        let err = report_time(Some(day(6)), today, now).unwrap_err();
        assert!(err.user_message().contains("today (2026-12-05) or earlier"));
    }

    #[test]
    fn the_page_escapes_everything_and_loads_nothing() {
        let t = table(
            &["<h>"],
            vec![vec![esc("<script>alert(1)</script> & \"'")]],
            "",
        );
        assert!(!t.contains("<script>"));
        assert!(t.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&#39;"));
        assert!(t.contains("&lt;h&gt;"));
        assert!(!CSS.contains("url(") && !CSS.contains("@import"));
    }
}
