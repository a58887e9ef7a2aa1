//! The incident (data breach) register (#17 §1): incidents with their
//! clocks, the scope computed from the audit log, the notices sent, the
//! notice templates and the report for a regulator.
//!
//! The module is `breach` because [`crate::incident`] is the private log
//! of internal errors; users see the word "incident".
//!
//! **Scope verifies the audit chain first**, and says so in its result; a
//! log that does not verify never supports a claim that the data was
//! encrypted with the keys off the device (an encryption safe harbour).
//! **Audit entries carry ids, counts and enum values, never a name or
//! the text of a notice.**

use chrono::{DateTime, Utc};
use matterbox_audit::Verification;
use matterbox_domain::breaches::{
    self as db, Audience, Breach, BreachInput, BreachPatch, BreachSummary, Clock, DeviceScope,
    LogEvent, NoticeInput, Rollup, ScopedDocument, SharedPackage,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::{Result, Session};

/// An incident with its clocks as of now.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentView {
    pub incident: Breach,
    pub clocks: Vec<Clock>,
    pub computed_at: String,
}

/// A device the audit log knows, for naming it in an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSeen {
    pub device: String,
    pub first_seen: String,
    pub last_seen: String,
    pub unlocks: i64,
    /// The device this session runs on.
    pub this_device: bool,
}

/// What the audit log shows about an incident.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScopeReport {
    pub reference: String,
    pub window_from: String,
    pub window_to: String,
    /// The audit log's check, run first.
    pub verification: Verification,
    pub chain_intact: bool,
    pub devices: Vec<DeviceScope>,
    /// Documents previewed, exported, opened with an application or
    /// recognised on the incident's devices during the window.
    pub accessed: Vec<ScopedDocument>,
    pub accessed_matters: Vec<Rollup>,
    pub accessed_clients: Vec<Rollup>,
    /// Every document in the vault while it was unlocked on one of the
    /// devices in the window (empty when it never was).
    pub exposed: Vec<ScopedDocument>,
    pub exposed_matters: Vec<Rollup>,
    pub exposed_clients: Vec<Rollup>,
    /// Packages created in the window (from the permanent share records,
    /// whatever device made them): what left the vault, to whom, with
    /// which documents.
    pub shared: Vec<SharedPackage>,
    /// Matters and clients of the shared documents, each with how many
    /// distinct documents of it left.
    pub shared_matters: Vec<Rollup>,
    pub shared_clients: Vec<Rollup>,
    /// The log shows, intact, that every device of the incident had the
    /// vault locked for the whole window.
    pub safe_harbour_supported: bool,
    /// Lock receipts at the backup folder that did not verify (refused).
    pub receipts_refused: i64,
    pub statements: Vec<String>,
    pub computed_at: String,
}

/// The SHA-256 of a notice's text, as recorded with it.
pub fn notice_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn log_events(entries: &[matterbox_audit::Entry]) -> Vec<LogEvent> {
    entries
        .iter()
        .filter_map(|e| {
            let at = DateTime::parse_from_rfc3339(&e.at).ok()?.to_utc();
            let details: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
            let text = |k: &str| details.get(k).and_then(|v| v.as_str()).map(String::from);
            Some(LogEvent {
                seq: e.seq,
                at,
                action: e.action.clone(),
                object: e.object.clone(),
                device: text("device"),
                session: text("session"),
                taken_at: text("taken_at")
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.to_utc()),
            })
        })
        .collect()
}

impl Session {
    fn incident_id(&self, reference: &str) -> Result<i64> {
        Ok(db::id_by_reference(&self.conn, reference)?)
    }

    /// Opens an incident; its reference is the next of its year.
    pub fn open_incident(&mut self, input: &BreachInput) -> Result<IncidentView> {
        let id = self.write(|tx, rec| {
            let (id, _) = db::create(tx, input)?;
            let b = db::get(tx, id)?;
            rec.record(
                "incident_opened",
                &format!("incident:{id}"),
                json!({
                    "kind": b.kind, "cause": b.cause,
                    "devices": b.devices.len(), "rules": b.rules,
                }),
            )?;
            Ok(id)
        })?;
        self.incident_view(id)
    }

    /// The register, newest first, each with how many of its deadlines
    /// are due soon or passed with no notice (closed incidents: none).
    pub fn incidents(&self) -> Result<Vec<BreachSummary>> {
        let now = Utc::now();
        let mut list = db::list(&self.conn)?;
        for b in &mut list {
            if b.status == db::BreachStatus::Closed {
                continue;
            }
            let clocks = db::get(&self.conn, b.id)?.clocks(now)?;
            b.deadlines_needing_attention = clocks
                .iter()
                .filter(|c| matches!(c.state, db::ClockState::DueSoon | db::ClockState::Overdue))
                .count() as i64;
        }
        Ok(list)
    }

    /// How many deadlines of open incidents are due soon or passed with no
    /// notice: the app's reminder.
    pub fn incident_alerts(&self) -> Result<i64> {
        Ok(self
            .incidents()?
            .iter()
            .map(|b| b.deadlines_needing_attention)
            .sum())
    }

    fn incident_view(&self, id: i64) -> Result<IncidentView> {
        let incident = db::get(&self.conn, id)?;
        let now = Utc::now();
        Ok(IncidentView {
            clocks: incident.clocks(now)?,
            incident,
            computed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// An incident with its clocks; viewing it is audited.
    pub fn incident(&mut self, reference: &str) -> Result<IncidentView> {
        let id = self.incident_id(reference)?;
        self.write(|_, rec| rec.record("incident_viewed", &format!("incident:{id}"), json!({})))?;
        self.incident_view(id)
    }

    /// Changes an incident (audited by field names).
    pub fn update_incident(
        &mut self,
        reference: &str,
        patch: &BreachPatch,
    ) -> Result<IncidentView> {
        let id = self.incident_id(reference)?;
        self.write(|tx, rec| {
            let fields = db::update(tx, id, patch, Utc::now())?;
            let mut details = json!({ "fields": fields });
            if let Some(s) = patch.status {
                details["status"] = json!(s);
            }
            rec.record("incident_updated", &format!("incident:{id}"), details)
        })?;
        self.incident_view(id)
    }

    /// Adds an entry to an incident's timeline.
    pub fn add_incident_event(
        &mut self,
        reference: &str,
        at: &str,
        description: &str,
    ) -> Result<IncidentView> {
        let id = self.incident_id(reference)?;
        self.write(|tx, rec| {
            let event = db::add_event(tx, id, at, description)?;
            rec.record(
                "incident_event_added",
                &format!("incident:{id}"),
                json!({ "event": event }),
            )
        })?;
        self.incident_view(id)
    }

    /// Records a notice sent, verbatim, with the SHA-256 of its text.
    pub fn record_notice(&mut self, reference: &str, input: &NoticeInput) -> Result<IncidentView> {
        let id = self.incident_id(reference)?;
        let hash = notice_hash(&input.text);
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let notice = db::add_notice(tx, id, input, &hash, &actor)?;
            rec.record(
                "incident_notice_recorded",
                &format!("incident:{id}"),
                json!({ "notice": notice, "audience": input.audience, "rule": input.rule }),
            )
        })?;
        self.incident_view(id)
    }

    /// The devices the audit log names, oldest first.
    pub fn incident_devices(&self) -> Result<Vec<DeviceSeen>> {
        let mut seen: Vec<DeviceSeen> = Vec::new();
        for e in log_events(&self.audit_entries()?) {
            let Some(d) = e.device else { continue };
            let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let unlock = db::UNLOCK_ACTIONS.contains(&e.action.as_str()) as i64;
            match seen.iter_mut().find(|s| s.device == d) {
                Some(s) => {
                    s.last_seen = at;
                    s.unlocks += unlock;
                }
                None => seen.push(DeviceSeen {
                    this_device: d == self.device,
                    device: d,
                    first_seen: at.clone(),
                    last_seen: at,
                    unlocks: unlock,
                }),
            }
        }
        if !seen.iter().any(|s| s.this_device) {
            let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            seen.push(DeviceSeen {
                device: self.device.clone(),
                first_seen: now.clone(),
                last_seen: now,
                unlocks: 0,
                this_device: true,
            });
        }
        Ok(seen)
    }

    /// What the audit log shows for the incident's window and devices,
    /// after verifying the log. Computing it is audited with its counts.
    pub fn incident_scope(&mut self, reference: &str) -> Result<ScopeReport> {
        let id = self.incident_id(reference)?;
        let report = self.scope_of(id)?;
        self.write(|_, rec| {
            rec.record(
                "incident_scope_computed",
                &format!("incident:{id}"),
                json!({
                    "chain_intact": report.chain_intact,
                    "accessed": report.accessed.len(),
                    "exposed": report.exposed.len(),
                    "accessed_clients": report.accessed_clients.len(),
                    "exposed_clients": report.exposed_clients.len(),
                    "shared_packages": report.shared.len(),
                    "receipts_used": report.devices.iter().filter(|d| d.locked_by_receipt.is_some()).count(),
                    "receipts_refused": report.receipts_refused,
                    "shared_documents": report.shared_matters.iter().map(|m| m.documents).sum::<i64>(),
                    "shared_clients": report.shared_clients.len(),
                    "safe_harbour_supported": report.safe_harbour_supported,
                }),
            )
        })?;
        Ok(report)
    }

    fn scope_of(&self, id: i64) -> Result<ScopeReport> {
        let b = db::get(&self.conn, id)?;
        let window = b.window()?;
        // First: does the log hold?
        let verification = self.verify_audit()?;
        let chain_intact = matches!(verification, Verification::Intact { .. });
        let now = Utc::now();
        let events = log_events(&self.audit_entries()?);
        // Lock receipts at the backup folder, checked with the vault's key:
        // what a restored copy can know of a device after its log ends.
        let receipts = self.lock_receipts();
        let mut core = db::scope_with_receipts(
            &events,
            window,
            &b.devices,
            &self.device,
            now,
            &receipts.newest,
        );
        // The session computing this is itself unlocked, with no lock yet:
        // say so rather than leave it to read like a crash.
        let own_unlock = events
            .iter()
            .find(|e| {
                e.session.as_deref() == Some(self.session_id.as_str())
                    && db::UNLOCK_ACTIONS.contains(&e.action.as_str())
            })
            .map(|e| e.seq);
        for d in &mut core.devices {
            if d.unlocked
                .iter()
                .any(|p| p.to.is_none() && Some(p.unlock_seq) == own_unlock)
            {
                d.statement.push_str(
                    " One of those is this session: the vault is unlocked on this computer now.",
                );
            }
        }
        let accessed = db::scoped_documents(&self.conn, Some(&core.accessed), window.1)?;
        let exposed = if core.any_unlocked {
            db::scoped_documents(&self.conn, None, window.1)?
        } else {
            Vec::new()
        };
        let (accessed_matters, accessed_clients) = db::rollup(&accessed);
        let (exposed_matters, exposed_clients) = db::rollup(&exposed);
        let shared = db::shared_in_window(&self.conn, window)?;
        let (shared_matters, shared_clients) = db::shared_rollup(&shared);
        let mut statements = Vec::new();
        match &verification {
            Verification::Intact { entries } => statements.push(format!(
                "The audit log was verified first: its {entries} entries are intact and chained to the record kept beside the database."
            )),
            Verification::Broken {
                first_bad_seq,
                reason,
            } => statements.push(format!(
                "The audit log does NOT verify (broken at entry {first_bad_seq}: {reason}). What follows is what the damaged log shows; it cannot support a claim that the data was encrypted and its keys were off the device."
            )),
        }
        if b.devices.is_empty() {
            statements.push(
                "The incident names no device: documents accessed on every device are listed, and no claim is made about a device being locked.".into(),
            );
        }
        statements.extend(core.devices.iter().map(|d| d.statement.clone()));
        if receipts.refused > 0 {
            statements.push(format!(
                "{} lock receipt(s) at the backup folder did not verify with this vault's key (edited, damaged, or not made by this vault) and were refused: nothing is concluded from them.",
                receipts.refused
            ));
        }
        let missing = core.accessed.len() - accessed.len();
        if missing > 0 {
            statements.push(format!(
                "{missing} document(s) accessed in the window are no longer in the vault (destroyed since); the audit log keeps their ids."
            ));
        }
        if !shared.is_empty() {
            statements.push(format!(
                "{} package(s) holding {} document(s) of {} client(s) were shared in the window (from the share records, whatever device made them): they left the vault, protected only by each package's own encryption, and no claim about a device being locked covers them.",
                shared.len(),
                shared_matters.iter().map(|m| m.documents).sum::<i64>(),
                shared_clients.len()
            ));
        }
        let safe_harbour_supported = chain_intact
            && !b.devices.is_empty()
            && core.devices.iter().all(|d| d.locked_throughout);
        if safe_harbour_supported {
            statements.push(
                "Every device of the incident had the vault locked for the whole window: the data on it was encrypted (AES-256-GCM) and the keys were not on the device.".into(),
            );
        }
        Ok(ScopeReport {
            reference: b.reference,
            window_from: b.happened_from,
            window_to: b.happened_to,
            verification,
            chain_intact,
            devices: core.devices,
            accessed,
            accessed_matters,
            accessed_clients,
            exposed,
            exposed_matters,
            exposed_clients,
            shared,
            shared_matters,
            shared_clients,
            safe_harbour_supported,
            receipts_refused: receipts.refused as i64,
            statements,
            computed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// A notice filled from the incident: to the authority (the contents
    /// GDPR Art. 33(3) asks for) or a letter to a client. Bracketed parts
    /// are for the lawyer to complete. Nothing is recorded until the
    /// notice is sent and recorded with [`Session::record_notice`].
    pub fn notice_template(&self, reference: &str, audience: Audience) -> Result<String> {
        let id = self.incident_id(reference)?;
        let b = db::get(&self.conn, id)?;
        let scope = self.scope_of(id)?;
        let risk = match (b.likelihood, b.severity) {
            (Some(l), Some(s)) => format!(
                "likelihood {}, severity {}: {}",
                l.as_str(),
                s.as_str(),
                b.risk_rationale
            ),
            _ => "[the risk assessment is not recorded yet]".into(),
        };
        let encrypted = if scope.safe_harbour_supported {
            "The audit log shows the vault was locked on the device for the whole period: the data was encrypted (AES-256-GCM) and the keys were not on the device."
        } else {
            "[State whether the data was protected, e.g. encrypted, and what the audit log shows.]"
        };
        let what = format!(
            "{} ({}, {}), between {} and {}; we became aware on {}.",
            b.title,
            b.kind.as_str(),
            b.cause.as_str().replace('_', " "),
            b.happened_from,
            b.happened_to,
            b.aware_at
        );
        Ok(match audience {
            Audience::Authority => format!(
                "Personal data breach notification (GDPR Art. 33)\nOur reference: {reference}\n\n\
                 (a) Nature of the breach: {what}\n    {desc}\n    Categories of data and of data subjects: client files (legal matters). \
                 Approximate number of clients concerned: {clients} whose documents were opened during the period; {exposed} whose documents were in the vault while it was unlocked. \
                 Approximate number of records: {docs} documents opened; {shared_docs} documents of {shared_clients} client(s) sent out in {packages} package(s). [Complete.]\n\
                 (b) Contact point for more information: [name and contact details of the data protection officer or contact].\n\
                 (c) Likely consequences: {risk}\n\
                 (d) Measures taken or proposed: {encrypted} [Describe the measures taken to address the breach and mitigate its effects.]\n{delay}",
                reference = b.reference,
                desc = if b.description.is_empty() {
                    "[Describe what happened.]"
                } else {
                    &b.description
                },
                clients = scope.accessed_clients.len(),
                exposed = scope.exposed_clients.len(),
                docs = scope.accessed.len(),
                shared_docs = scope
                    .shared_matters
                    .iter()
                    .map(|m| m.documents)
                    .sum::<i64>(),
                shared_clients = scope.shared_clients.len(),
                packages = scope.shared.len(),
                delay = if b.delay_reasons.is_empty() {
                    String::new()
                } else {
                    format!("Reasons for the delay: {}\n", b.delay_reasons)
                },
            ),
            Audience::Client | Audience::DataSubject => format!(
                "Dear [name],\n\nWe are writing to tell you about a security incident at our practice (our reference {reference}).\n\n\
                 What happened: {what}\n\n{encrypted}\n\n\
                 What this means for you: [describe which of your information was involved and the likely consequences].\n\n\
                 What we have done: [describe the measures taken].\n\n\
                 If you have questions, please contact [name, telephone, e-mail].\n\nYours sincerely,\n[name]\n",
                reference = b.reference,
            ),
        })
    }

    /// A plain-text report of the incident for a regulator: the record,
    /// the clocks, the scope (after verifying the log), the decision and
    /// every notice verbatim with its hash. Printing it is audited.
    pub fn incident_report(&mut self, reference: &str) -> Result<String> {
        let id = self.incident_id(reference)?;
        let view = self.incident_view(id)?;
        let scope = self.scope_of(id)?;
        let b = &view.incident;
        let mut o = String::new();
        let line = |o: &mut String, s: String| {
            o.push_str(&s);
            o.push('\n');
        };
        line(
            &mut o,
            format!("INCIDENT REPORT {}  ({})", b.reference, b.title),
        );
        line(&mut o, format!("Prepared {} (UTC)", view.computed_at));
        line(&mut o, String::new());
        line(&mut o, format!("Type:            {}", b.kind.as_str()));
        line(
            &mut o,
            format!("What happened:   {}", b.cause.as_str().replace('_', " ")),
        );
        line(
            &mut o,
            format!("Window:          {} to {}", b.happened_from, b.happened_to),
        );
        line(&mut o, format!("Became aware:    {}", b.aware_at));
        line(&mut o, format!("Status:          {}", b.status.as_str()));
        line(
            &mut o,
            format!(
                "Devices:         {}",
                if b.devices.is_empty() {
                    "(none named)".into()
                } else {
                    b.devices.join(", ")
                }
            ),
        );
        if !b.description.is_empty() {
            line(&mut o, format!("Description:     {}", b.description));
        }
        line(&mut o, String::new());
        line(&mut o, "TIMELINE".into());
        for e in &b.events {
            line(&mut o, format!("  {}  {}", e.at, e.description));
        }
        if b.events.is_empty() {
            line(&mut o, "  (none recorded)".into());
        }
        line(&mut o, String::new());
        line(&mut o, "RISK ASSESSMENT".into());
        line(
            &mut o,
            format!(
                "  Likelihood: {}   Severity: {}",
                b.likelihood.map_or("(not assessed)", |l| l.as_str()),
                b.severity.map_or("(not assessed)", |l| l.as_str())
            ),
        );
        if !b.risk_rationale.is_empty() {
            line(&mut o, format!("  Rationale: {}", b.risk_rationale));
        }
        line(&mut o, String::new());
        line(&mut o, "DECISION".into());
        line(
            &mut o,
            format!(
                "  {}: {}",
                b.decision.map_or("(not decided)", |d| match d {
                    db::NotifyDecision::Notify => "Notify",
                    db::NotifyDecision::DoNotNotify => "Do not notify",
                }),
                b.decision_reason
            ),
        );
        if !b.delay_reasons.is_empty() {
            line(&mut o, format!("  Reasons for delay: {}", b.delay_reasons));
        }
        line(&mut o, String::new());
        line(
            &mut o,
            format!("DEADLINES (rule table {})", b.rules_version),
        );
        for c in &view.clocks {
            line(
                &mut o,
                format!(
                    "  {:<20} {:<14} due {:<22} {}  [{}]",
                    c.rule.id,
                    c.rule.audience.as_str(),
                    c.due_at.as_deref().unwrap_or("-"),
                    clock_word(c),
                    c.rule.source
                ),
            );
        }
        line(&mut o, String::new());
        line(&mut o, "SCOPE FROM THE AUDIT LOG".into());
        o.push_str(&scope_text(&scope));
        line(&mut o, String::new());
        line(&mut o, "NOTICES SENT".into());
        if b.notices.is_empty() {
            line(&mut o, "  (none)".into());
        }
        for n in &b.notices {
            line(
                &mut o,
                format!(
                    "  [{}] to the {} ({}) by {} at {}{}",
                    n.id,
                    n.audience.as_str().replace('_', " "),
                    n.recipient,
                    n.channel,
                    n.sent_at,
                    n.rule
                        .as_deref()
                        .map(|r| format!(", under {r}"))
                        .unwrap_or_default()
                ),
            );
            line(&mut o, format!("      SHA-256 of the text: {}", n.sha256));
            if !n.delay_reasons.is_empty() {
                line(
                    &mut o,
                    format!("      Reasons for delay: {}", n.delay_reasons),
                );
            }
            for l in n.text.lines() {
                line(&mut o, format!("      | {l}"));
            }
        }
        line(&mut o, String::new());
        line(&mut o, "LESSONS".into());
        line(
            &mut o,
            format!(
                "  {}",
                if b.lessons.is_empty() {
                    "(none recorded)"
                } else {
                    &b.lessons
                }
            ),
        );
        self.write(|_, rec| {
            rec.record(
                "incident_report_printed",
                &format!("incident:{id}"),
                json!({ "notices": b.notices.len(), "chain_intact": scope.chain_intact }),
            )
        })?;
        Ok(o)
    }
}

/// How a clock reads in text.
pub fn clock_word(c: &Clock) -> String {
    use db::ClockState::*;
    let left = c.seconds_left.map(|s| {
        let h = s.abs() / 3600;
        if h >= 48 {
            format!("{} days", h / 24)
        } else {
            format!("{h} h {} min", (s.abs() % 3600) / 60)
        }
    });
    match c.state {
        Running => format!("running, {} left", left.unwrap_or_default()),
        DueSoon => format!("DUE SOON, {} left", left.unwrap_or_default()),
        Overdue => format!(
            "OVERDUE by {}: reasons for delay required",
            left.unwrap_or_default()
        ),
        Met => "met".into(),
        MetLate => "met late".into(),
        NoFixedPeriod => format!("no fixed period ({})", c.rule.period.text()),
        NotRequired => "not required (decision: do not notify)".into(),
    }
}

/// The scope as text (for the report and the CLI).
pub fn scope_text(s: &ScopeReport) -> String {
    let mut o = String::new();
    for st in &s.statements {
        o.push_str(&format!("  * {st}\n"));
    }
    o.push_str(&format!(
        "  Encryption safe harbour supported by the log: {}\n",
        if s.safe_harbour_supported {
            "yes"
        } else {
            "no"
        }
    ));
    let list = |o: &mut String,
                label: &str,
                docs: &[ScopedDocument],
                clients: &[Rollup],
                matters: &[Rollup]| {
        o.push_str(&format!(
            "  {label}: {} document(s), {} matter(s), {} client(s)\n",
            docs.len(),
            matters.len(),
            clients.len()
        ));
        for c in clients {
            o.push_str(&format!(
                "    client {} ({} document(s))\n",
                c.name, c.documents
            ));
        }
    };
    list(
        &mut o,
        "Accessed",
        &s.accessed,
        &s.accessed_clients,
        &s.accessed_matters,
    );
    for d in &s.accessed {
        o.push_str(&format!(
            "    - document {} \"{}\" in {} ({}): {}\n",
            d.id,
            d.title,
            d.matter_number,
            d.client_name,
            d.actions.join(", ")
        ));
    }
    list(
        &mut o,
        "Exposed",
        &s.exposed,
        &s.exposed_clients,
        &s.exposed_matters,
    );
    let shared_docs: i64 = s.shared_matters.iter().map(|m| m.documents).sum();
    o.push_str(&format!(
        "  Shared: {} package(s), {shared_docs} document(s), {} matter(s), {} client(s)\n",
        s.shared.len(),
        s.shared_matters.len(),
        s.shared_clients.len()
    ));
    for c in &s.shared_clients {
        o.push_str(&format!(
            "    client {} ({} document(s))\n",
            c.name, c.documents
        ));
    }
    for m in &s.shared_matters {
        o.push_str(&format!(
            "    matter {} ({} document(s))\n",
            m.name, m.documents
        ));
    }
    for p in &s.shared {
        o.push_str(&format!(
            "    - package {} at {} to {} ({}, {}), for client {}, by {}, SHA-256 {}\n",
            p.share_id,
            p.created_at,
            p.recipient,
            p.format,
            p.protection.replace('_', " "),
            p.client_name
                .clone()
                .unwrap_or_else(|| format!("{} (destroyed)", p.client_id)),
            p.created_by,
            p.package_sha256
        ));
        for d in &p.documents {
            o.push_str(&format!(
                "        document {} v{} \"{}\" in {} ({})\n",
                d.document_id,
                d.version,
                d.name,
                d.matter_number
                    .clone()
                    .unwrap_or_else(|| format!("matter {} (destroyed)", d.matter_id)),
                d.client_name.as_deref().unwrap_or("client destroyed")
            ));
        }
    }
    o
}
