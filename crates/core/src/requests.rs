//! Data-subject requests (#16 §3, GDPR Art. 12–22): the request and its
//! one-month clock, "find everything about this person", the lawyer's
//! disclose / withhold marks, erasure checked against retention and holds,
//! and the access / portability export.
//!
//! Nothing here matches names or searches text itself: finding runs the
//! conflict matcher (`matterbox-names`, the index conflict checks use)
//! over clients, parties, prospects and kept names, the same matcher over
//! free-text notes (windows of two and three words), and the full-text
//! search (document text, OCR included) for every spelling found.
//!
//! Erasure never bypasses retention: an item is erasable only when the
//! disposition would destroy it today (due under its policy, not held, not
//! deferred), and erasing it goes through [`Session::destroy_approved`]
//! (the passphrase again, crypto-erase, a destruction register entry and
//! certificate). Everything else is refused with its Art. 17(3) basis and,
//! where known, the day erasure becomes possible.
//!
//! **Audit entries carry ids, counts and kinds, never a name or a text.**
//! The clock is the caller's (`today`), so deadlines test across months.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use matterbox_domain::conflicts::{HitSource, NameKind, SearchRole, SearchedName};
use matterbox_domain::requests::{
    self as db, Deadline, ErasureOutcome, ErasureRow, Extension, ItemSource, Mark, NewItem,
    PauseReason, Request, RequestInput, RequestKind, RequestStatus, RequestSummary, WithholdReason,
};
use matterbox_domain::retention::{self, DisposalKind, Trigger};
use matterbox_domain::search::{self, SearchFilter};
use matterbox_domain::{DomainError, clients, matters};
use matterbox_names::{Entry, NameIndex};
use matterbox_vault::Passphrase;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::cancel::{Progress, Watch};
use crate::retention::{DestructionReport, Disposal};
use crate::{CoreError, Result, Session};

/// How many documents the full-text search brings per page; a spelling
/// brings every document that mentions it, page after page.
const DOCUMENTS_PER_PAGE: u32 = 500;

/// A request with its clock on the caller's day.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    #[serde(flatten)]
    pub request: Request,
    pub deadline: Deadline,
}

/// A row of the request list with its clock.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestRow {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub deadline: Deadline,
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestExport {
    pub folder: PathBuf,
    /// The documents' file names, in the folder.
    pub documents: Vec<String>,
    pub json: PathBuf,
    pub csv: PathBuf,
}

/// What an approved erasure did.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErasureReport {
    pub destroyed: DestructionReport,
    pub request: RequestView,
}

fn object(id: i64) -> String {
    format!("data_subject_request:{id}")
}

/// Words of `text`, trimmed of punctuation around them.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The first window of two or three words of `text` that the matcher
/// takes for one of the names in `index`, with its explanation.
pub(crate) fn name_in_text(index: &NameIndex<()>, text: &str) -> Option<(String, String)> {
    let w = words(text);
    for size in [2, 3] {
        for window in w.windows(size) {
            let candidate = window.join(" ");
            if let Some(hit) = index
                .check(&candidate, matterbox_names::NameKind::Person)
                .into_iter()
                .next()
            {
                return Some((candidate, hit.explanation));
            }
        }
    }
    None
}

fn deadline_of(r: &Request, today: NaiveDate) -> Deadline {
    db::deadline(r.received_on, &r.pauses, r.extension.as_ref(), today)
}

fn csv_field(s: &str) -> String {
    // Cells a spreadsheet would run as a formula are prefixed with a quote.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl Session {
    fn request_view(&self, id: i64, today: NaiveDate) -> Result<RequestView> {
        let request = db::get(&self.conn, id)?;
        let deadline = deadline_of(&request, today);
        Ok(RequestView { request, deadline })
    }

    /// Records a new request (status `received`); audited with its kind.
    pub fn open_request(&mut self, input: &RequestInput, today: NaiveDate) -> Result<RequestView> {
        let actor = self.actor.clone();
        let id = self.write(|tx, rec| {
            let id = db::create(tx, input, &actor, today)?;
            rec.record(
                "request_opened",
                &object(id),
                json!({ "kind": input.kind.as_str(), "relation": input.relation.as_str(),
                        "other_spellings": input.also_known.len() }),
            )?;
            Ok(id)
        })?;
        self.request_view(id, today)
    }

    /// Every request, newest received first, with its clock (a list, not audited).
    pub fn requests(&self, today: NaiveDate) -> Result<Vec<RequestRow>> {
        Ok(db::list(&self.conn)?
            .into_iter()
            .map(|summary| {
                let deadline = if summary.status.closed() {
                    Deadline {
                        first_month: None,
                        due_on: None,
                        paused: false,
                        paused_days: 0,
                        days_left: None,
                        overdue: false,
                    }
                } else {
                    db::deadline(
                        summary.received_on,
                        &summary.pauses,
                        summary.extension.as_ref(),
                        today,
                    )
                };
                RequestRow { summary, deadline }
            })
            .collect())
    }

    /// One request with everything recorded; recorded as viewed.
    pub fn request(&mut self, id: i64, today: NaiveDate) -> Result<RequestView> {
        self.write(|tx, rec| {
            db::get(tx, id)?;
            rec.record("request_viewed", &object(id), json!({}))
        })?;
        self.request_view(id, today)
    }

    /// Stops the clock from `from` (identity check or clarification).
    pub fn pause_request(
        &mut self,
        id: i64,
        reason: PauseReason,
        from: NaiveDate,
        today: NaiveDate,
    ) -> Result<RequestView> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::pause(tx, id, reason, from, &actor)?;
            rec.record(
                "request_paused",
                &object(id),
                json!({ "reason": reason.as_str(), "from": from }),
            )
        })?;
        self.request_view(id, today)
    }

    /// Starts the clock again on `on` (the day the answer came).
    pub fn resume_request(
        &mut self,
        id: i64,
        on: NaiveDate,
        today: NaiveDate,
    ) -> Result<RequestView> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::resume(tx, id, on, &actor)?;
            rec.record("request_resumed", &object(id), json!({ "on": on }))
        })?;
        self.request_view(id, today)
    }

    /// Extends the deadline (announced within the first month, with reasons).
    pub fn extend_request(
        &mut self,
        id: i64,
        extension: &Extension,
        today: NaiveDate,
    ) -> Result<RequestView> {
        self.write(|tx, rec| {
            db::extend(tx, id, extension)?;
            rec.record(
                "request_extended",
                &object(id),
                json!({ "months": extension.months, "announced_on": extension.announced_on }),
            )
        })?;
        self.request_view(id, today)
    }

    /// Appends a status (in progress, answered, refused, withdrawn); the
    /// pause statuses come only with a pause, `received` only at opening.
    pub fn set_request_status(
        &mut self,
        id: i64,
        status: RequestStatus,
        note: &str,
        today: NaiveDate,
    ) -> Result<RequestView> {
        if !matches!(
            status,
            RequestStatus::InProgress
                | RequestStatus::Answered
                | RequestStatus::Refused
                | RequestStatus::Withdrawn
        ) {
            return Err(CoreError::Invalid(format!(
                "A request is set {} by opening or pausing it, not directly.",
                status.as_str()
            )));
        }
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::set_status(tx, id, status, note, &actor)?;
            rec.record(
                "request_status_changed",
                &object(id),
                json!({ "status": status.as_str() }),
            )
        })?;
        self.request_view(id, today)
    }

    /// Finds everything about the requester: clients, parties, prospects
    /// and kept names by the conflict matcher; client and matter notes and
    /// the timeline by the same matcher over their words; documents by the
    /// full-text search (OCR included) for every spelling found. Items
    /// found before keep their number and marks. Audited with counts.
    pub fn find_for_request(&mut self, id: i64, today: NaiveDate) -> Result<RequestView> {
        let r = db::get(&self.conn, id)?;
        if r.status.closed() {
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Request {id} is finished; it changes no more."
            ))));
        }
        let names: Vec<SearchedName> = std::iter::once(&r.requester)
            .chain(&r.also_known)
            .map(|n| SearchedName {
                name: n.clone(),
                kind: NameKind::Person,
                role: SearchRole::Client,
            })
            .collect();
        let hits = self.person_hits(&names)?;
        let mut found: BTreeMap<String, NewItem> = BTreeMap::new();
        // The spellings the vault uses for this person, for the text search.
        let mut spellings: BTreeSet<String> = names.iter().map(|n| n.name.clone()).collect();
        for h in &hits {
            let t = &h.target;
            spellings.insert(h.matched_name.clone());
            spellings.insert(t.entry_name.clone());
            let (source, key) = match t.source {
                HitSource::Client => (
                    ItemSource::Client,
                    format!("client:{}", t.client_id.unwrap_or_default()),
                ),
                HitSource::Party => (
                    ItemSource::Party,
                    format!(
                        "party:{}:{}",
                        t.matter_id.unwrap_or_default(),
                        t.entry_name.to_lowercase()
                    ),
                ),
                HitSource::Prospect => (
                    ItemSource::Prospect,
                    format!("prospect:{}", t.prospect_id.unwrap_or_default()),
                ),
                HitSource::Destroyed => (
                    ItemSource::Destroyed,
                    format!(
                        "destroyed:{}:{}",
                        t.matter_number.as_deref().unwrap_or_default(),
                        t.entry_name.to_lowercase()
                    ),
                ),
            };
            let label = match t.source {
                HitSource::Party if !t.party_role.is_empty() => {
                    format!("{} ({})", t.entry_name, t.party_role)
                }
                _ => t.entry_name.clone(),
            };
            found.entry(key.clone()).or_insert(NewItem {
                source,
                ref_key: key,
                label,
                detail: format!(
                    "{} ~ {}: {}",
                    names[h.searched as usize].name, h.matched_name, h.explanation
                ),
                client_id: t.client_id,
                matter_id: t.matter_id,
                matter_number: t.matter_number.clone(),
                document_id: None,
            });
        }
        // Notes and the timeline: the same matcher over their words.
        let person = NameIndex::from_entries([Entry {
            payload: (),
            kind: matterbox_names::NameKind::Person,
            name: r.requester.clone(),
            aliases: r.also_known.clone(),
        }]);
        for note in db::note_sources(&self.conn)? {
            if let Some((words, why)) = name_in_text(&person, &note.text) {
                found.entry(note.ref_key.clone()).or_insert(NewItem {
                    source: ItemSource::Note,
                    ref_key: note.ref_key,
                    label: note.label,
                    detail: format!("\u{201c}{words}\u{201d}: {why}"),
                    client_id: note.client_id,
                    matter_id: note.matter_id,
                    matter_number: note.matter_number,
                    document_id: None,
                });
            }
        }
        let actor_counts = self.write(|tx, rec| {
            for spelling in &spellings {
                // Every match, a page at a time, in one transaction (so in
                // one stable order); by date, which needs no scoring.
                let mut docs = Vec::new();
                loop {
                    let filter = SearchFilter {
                        limit: Some(DOCUMENTS_PER_PAGE),
                        offset: Some(docs.len() as u64),
                        sort: Some(search::SearchSort::Added),
                        ..Default::default()
                    };
                    // A name is words, never operators (`Smith-Jones`
                    // excludes nothing).
                    let words = search::Query::words(spelling);
                    let page = match search::search_query(tx, &words, &filter) {
                        Ok(p) => p,
                        // A spelling with no searchable word (only signs) finds nothing.
                        Err(DomainError::Validation { .. }) => break,
                        Err(e) => return Err(e.into()),
                    };
                    let last =
                        page.hits.is_empty() || page.offset + page.hits.len() as u64 >= page.total;
                    docs.extend(page.hits);
                    if last {
                        break;
                    }
                }
                for d in docs {
                    let key = format!("document:{}", d.document_id);
                    found.entry(key.clone()).or_insert(NewItem {
                        source: ItemSource::Document,
                        ref_key: key,
                        label: d.title,
                        detail: d.snippet,
                        client_id: None,
                        matter_id: Some(d.matter_id),
                        matter_number: Some(d.matter_number),
                        document_id: Some(d.document_id),
                    });
                }
            }
            let items: Vec<NewItem> = found.into_values().collect();
            let added = db::save_items(tx, id, &items)?;
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for i in &items {
                *counts.entry(i.source.as_str()).or_default() += 1;
            }
            rec.record(
                "request_searched",
                &object(id),
                json!({ "found": counts, "new": added, "spellings": spellings.len() }),
            )?;
            Ok(())
        });
        actor_counts?;
        self.request_view(id, today)
    }

    /// Marks found item `number`: disclose, or withhold with its reason.
    pub fn mark_request_item(
        &mut self,
        id: i64,
        number: u32,
        mark: Mark,
        reason: Option<WithholdReason>,
        note: &str,
        today: NaiveDate,
    ) -> Result<RequestView> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::mark(tx, id, number, mark, reason, note, &actor)?;
            rec.record(
                "request_item_marked",
                &object(id),
                json!({ "item": number, "mark": mark.as_str(), "reason": reason.map(WithholdReason::as_str) }),
            )
        })?;
        self.request_view(id, today)
    }

    /// What erasure of the person's data would do on `today`, item by
    /// item (see the module's comment); saved with the request and audited
    /// with counts. Nothing is destroyed.
    pub fn assess_erasure(&mut self, id: i64, today: NaiveDate) -> Result<RequestView> {
        let rows = self.erasure_rows(id, today)?;
        self.save_assessment(id, &rows)?;
        self.request_view(id, today)
    }

    /// Destroys what [`Session::assess_erasure`] finds erasable, through
    /// the disposition (`destroy_approved`: the passphrase again,
    /// crypto-erase, register, certificate); the rest stays, refused with
    /// its basis. The outcome is saved with the request.
    pub fn erase_for_request(
        &mut self,
        id: i64,
        passphrase: &Passphrase,
        today: NaiveDate,
    ) -> Result<ErasureReport> {
        let rows = self.erasure_rows(id, today)?;
        let items: Vec<Disposal> = rows
            .iter()
            .filter(|r| r.outcome == ErasureOutcome::Erasable)
            .map(|r| Disposal {
                kind: r.kind,
                id: r.target_id,
            })
            .collect();
        if items.is_empty() {
            self.save_assessment(id, &rows)?;
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Nothing about this person can be erased today: every item is held, kept by a retention policy or has no policy (matterbox request show {id} lists each with its basis). Nothing was destroyed."
            ))));
        }
        let destroyed = self.destroy_approved(&items, passphrase, today)?;
        let rows: Vec<ErasureRow> = rows
            .into_iter()
            .map(|mut r| {
                if r.outcome == ErasureOutcome::Erasable {
                    r.outcome = ErasureOutcome::Destroyed;
                    r.basis = format!("Destroyed under certificate {}.", destroyed.certificate);
                }
                r
            })
            .collect();
        self.save_assessment(id, &rows)?;
        Ok(ErasureReport {
            destroyed,
            request: self.request_view(id, today)?,
        })
    }

    fn save_assessment(&mut self, id: i64, rows: &[ErasureRow]) -> Result<()> {
        self.write(|tx, rec| {
            db::save_erasure(tx, id, rows)?;
            let count = |o: ErasureOutcome| rows.iter().filter(|r| r.outcome == o).count();
            rec.record(
                "request_erasure_assessed",
                &object(id),
                json!({
                    "erasable": count(ErasureOutcome::Erasable),
                    "refused": count(ErasureOutcome::Refused),
                    "needs_policy": count(ErasureOutcome::NeedsPolicy),
                    "destroyed": count(ErasureOutcome::Destroyed),
                }),
            )
        })
    }

    /// One row per matter of a found client, per document found outside
    /// those matters, and per other matter the person appears in.
    fn erasure_rows(&self, id: i64, today: NaiveDate) -> Result<Vec<ErasureRow>> {
        let r = db::get(&self.conn, id)?;
        if r.status.closed() {
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Request {id} is finished; it changes no more."
            ))));
        }
        if r.items.is_empty() {
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Nothing has been found for request {id} yet; run matterbox request find {id} first."
            ))));
        }
        let due = retention::due(&self.conn, today)?;
        let assessed_at = matterbox_domain_now();
        let mut own: BTreeSet<i64> = BTreeSet::new();
        for i in r.items.iter().filter(|i| i.source == ItemSource::Client) {
            if let Some(c) = i.client_id {
                own.extend(db::client_matters(&self.conn, c)?);
            }
        }
        let mut rows = Vec::new();
        for &m in &own {
            rows.extend(self.assess_own_matter(m, &due, today, &assessed_at)?);
        }
        let mut others: BTreeSet<i64> = BTreeSet::new();
        for i in &r.items {
            let Some(m) = i.matter_id else { continue };
            if own.contains(&m) {
                continue;
            }
            if matters::get(&self.conn, m).is_err() {
                continue; // destroyed since it was found
            }
            others.insert(m);
        }
        for m in others {
            let matter = matters::get(&self.conn, m)?;
            let (basis_end, from) = self.retention_end(m, today)?;
            rows.push(ErasureRow {
                kind: DisposalKind::Matter,
                target_id: m,
                label: format!("Matter {}: {}", matter.summary.number, matter.summary.title),
                outcome: ErasureOutcome::Refused,
                basis: format!(
                    "The person appears in the file of another client's matter: kept for the establishment, exercise or defence of legal claims (Art. 17(3)(e)); {basis_end}"
                ),
                possible_from: from,
                assessed_at: assessed_at.clone(),
            });
        }
        Ok(rows)
    }

    /// When a matter's file leaves by retention, in words, and the day.
    fn retention_end(&self, m: i64, today: NaiveDate) -> Result<(String, Option<NaiveDate>)> {
        let matter = matters::get(&self.conn, m)?;
        Ok(match retention::matter_policy(&self.conn, m)? {
            None => ("no retention policy covers that file yet.".into(), None),
            Some((p, _)) => match p.trigger {
                Trigger::Permanent => (
                    format!("policy \u{201c}{}\u{201d} keeps it permanently.", p.name),
                    None,
                ),
                Trigger::MatterClosed => match retention::due_on(&p, matter.summary.closed_on) {
                    Some(d) if d > today => (
                        format!("policy \u{201c}{}\u{201d} keeps it until {d}.", p.name),
                        Some(d),
                    ),
                    Some(d) => (
                        format!(
                            "its retention under \u{201c}{}\u{201d} ended on {d}.",
                            p.name
                        ),
                        Some(d),
                    ),
                    None => (
                        format!(
                            "the matter is open; policy \u{201c}{}\u{201d} runs from its closing.",
                            p.name
                        ),
                        None,
                    ),
                },
                Trigger::DateAdded => (
                    format!(
                        "policy \u{201c}{}\u{201d} keeps each document for its period after adding.",
                        p.name
                    ),
                    None,
                ),
            },
        })
    }

    fn assess_own_matter(
        &self,
        m: i64,
        due: &[retention::DueItem],
        today: NaiveDate,
        at: &str,
    ) -> Result<Vec<ErasureRow>> {
        let matter = matters::get(&self.conn, m)?;
        let label = format!("Matter {}: {}", matter.summary.number, matter.summary.title);
        let row = |outcome, basis: String, from| ErasureRow {
            kind: DisposalKind::Matter,
            target_id: m,
            label: label.clone(),
            outcome,
            basis,
            possible_from: from,
            assessed_at: at.to_string(),
        };
        let holds = db::holds_on(&self.conn, m, None)?;
        if !holds.is_empty() {
            let ids: Vec<String> = holds.iter().map(|h| format!("#{h}")).collect();
            return Ok(vec![row(
                ErasureOutcome::Refused,
                format!(
                    "Legal hold {} is on it: kept for the establishment, exercise or defence of legal claims (Art. 17(3)(e)); erasure becomes possible once the hold is released.",
                    ids.join(", ")
                ),
                None,
            )]);
        }
        if let Some(d) = due
            .iter()
            .find(|d| d.kind == DisposalKind::Matter && d.id == m)
        {
            return Ok(vec![row(
                ErasureOutcome::Erasable,
                format!(
                    "Due under \u{201c}{}\u{201d} since {}: erasure goes through the disposition (approval, crypto-erase, register).",
                    d.policy, d.due_on
                ),
                None,
            )]);
        }
        let Some((policy, _)) = retention::matter_policy(&self.conn, m)? else {
            return Ok(vec![row(
                ErasureOutcome::NeedsPolicy,
                "No retention policy covers this matter, so the disposition cannot destroy it: set one (matterbox retention) and assess again.".into(),
                None,
            )]);
        };
        let obligation = "kept to meet a legal obligation to retain client files (Art. 17(3)(b))";
        Ok(match policy.trigger {
            Trigger::Permanent => vec![row(
                ErasureOutcome::Refused,
                format!(
                    "Policy \u{201c}{}\u{201d} keeps it permanently: {obligation}.",
                    policy.name
                ),
                None,
            )],
            Trigger::MatterClosed => match retention::due_on(&policy, matter.summary.closed_on) {
                None => vec![row(
                    ErasureOutcome::Refused,
                    format!(
                        "The matter is open: kept while the mandate runs, for legal claims (Art. 17(3)(e)); then policy \u{201c}{}\u{201d} keeps it from its closing ({obligation}).",
                        policy.name
                    ),
                    None,
                )],
                Some(d) if d > today => vec![row(
                    ErasureOutcome::Refused,
                    format!(
                        "Policy \u{201c}{}\u{201d} keeps it until {d}: {obligation}.",
                        policy.name
                    ),
                    Some(d),
                )],
                Some(_) => {
                    let until = db::deferred_until(&self.conn, DisposalKind::Matter, m)?;
                    vec![row(
                        ErasureOutcome::Refused,
                        format!(
                            "Its destruction was deferred{}.",
                            until.map(|u| format!(" until {u}")).unwrap_or_default()
                        ),
                        until,
                    )]
                }
            },
            // Documents go one by one: a row for each.
            Trigger::DateAdded => {
                let mut rows = Vec::new();
                for (doc, title, added) in db::matter_documents(&self.conn, m)? {
                    let base = ErasureRow {
                        kind: DisposalKind::Document,
                        target_id: doc,
                        label: format!("Document {title} (matter {})", matter.summary.number),
                        outcome: ErasureOutcome::Refused,
                        basis: String::new(),
                        possible_from: None,
                        assessed_at: at.to_string(),
                    };
                    let listed = due
                        .iter()
                        .any(|d| d.kind == DisposalKind::Document && d.id == doc);
                    let due_day = retention::due_on(&policy, Some(added));
                    rows.push(if listed {
                        ErasureRow {
                            outcome: ErasureOutcome::Erasable,
                            basis: format!("Due under \u{201c}{}\u{201d}: erasure goes through the disposition.", policy.name),
                            ..base
                        }
                    } else if retention::document_held(&self.conn, doc)? {
                        ErasureRow {
                            basis: "A legal hold is on it: kept for legal claims (Art. 17(3)(e)); erasure becomes possible once the hold is released.".into(),
                            ..base
                        }
                    } else {
                        ErasureRow {
                            basis: format!("Policy \u{201c}{}\u{201d} keeps it{}: {obligation}.", policy.name,
                                due_day.map(|d| format!(" until {d}")).unwrap_or_default()),
                            possible_from: due_day.filter(|d| *d > today)
                                .or(db::deferred_until(&self.conn, DisposalKind::Document, doc)?),
                            ..base
                        }
                    });
                }
                rows
            }
        })
    }

    /// Writes the access / portability export into `folder` (new, or an
    /// existing empty folder outside the vault): every document marked
    /// disclose, decrypted (each verified and written whole, like a
    /// document export, and audited as one), plus `person.json` and
    /// `person.csv` with the disclosed client records, parties and
    /// matters. Every found item must be marked first.
    ///
    /// If any file cannot be written, the files this export wrote are
    /// removed again (and the folder, if the export made it), so a failed
    /// export leaves no partial set behind.
    pub fn export_request(&mut self, id: i64, folder: &Path) -> Result<RequestExport> {
        self.export_request_watched(id, folder, &Watch::NONE)?
            .ok_or(CoreError::Cancelled)
    }

    /// [`Session::export_request`], telling `watch` which document of how
    /// many disclosed is being written (its title, and bytes of its size)
    /// and stopping within a chunk when it says so: `None` when stopped,
    /// with every file of the export removed again, as for a failure.
    pub fn export_request_watched(
        &mut self,
        id: i64,
        folder: &Path,
        watch: &Watch<'_>,
    ) -> Result<Option<RequestExport>> {
        let created = !folder.exists();
        let mut written: Vec<PathBuf> = Vec::new();
        let out = self.write_export(id, folder, &mut written, watch);
        if out.is_err() {
            for f in &written {
                let _ = std::fs::remove_file(f);
            }
            if created {
                // Only if empty: never anything this export did not write.
                let _ = std::fs::remove_dir(folder);
            }
        }
        self.unless_stopped(out, watch)
    }

    fn write_export(
        &mut self,
        id: i64,
        folder: &Path,
        paths: &mut Vec<PathBuf>,
        watch: &Watch<'_>,
    ) -> Result<RequestExport> {
        let r = db::get(&self.conn, id)?;
        if !matches!(r.kind, RequestKind::Access | RequestKind::Portability) {
            return Err(CoreError::Invalid(format!(
                "Request {id} is a request for {}; only access and portability requests are exported.",
                r.kind.as_str()
            )));
        }
        if r.items.is_empty() {
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Nothing has been found for request {id} yet; run matterbox request find {id} first."
            ))));
        }
        let unmarked: Vec<String> = r
            .items
            .iter()
            .filter(|i| i.mark.is_none())
            .map(|i| i.number.to_string())
            .collect();
        if !unmarked.is_empty() {
            return Err(CoreError::Domain(DomainError::Conflict(format!(
                "Mark every found item disclose or withhold before exporting; not marked yet: {}.",
                unmarked.join(", ")
            ))));
        }
        self.check_export_folder(folder)?;
        let disclosed: Vec<&db::Item> = r
            .items
            .iter()
            .filter(|i| i.mark == Some(Mark::Disclose))
            .collect();
        // The person's data, gathered before anything is written.
        let mut client_records = Vec::new();
        let mut matter_rows: BTreeMap<i64, serde_json::Value> = BTreeMap::new();
        let mut party_rows = Vec::new();
        let mut csv = String::from("category,name,matter_number,matter_title,role,detail\n");
        let mut line = |cells: &[&str]| {
            let cells: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        };
        for i in &disclosed {
            match i.source {
                ItemSource::Client => {
                    let Some(c) = i.client_id else { continue };
                    let Ok(client) = clients::get(&self.conn, c) else {
                        continue;
                    };
                    line(&[
                        "client",
                        &client.name,
                        "",
                        "",
                        client.kind.as_str(),
                        &format!(
                            "email: {}; phone: {}; address: {}; aliases: {}; former names: {}",
                            client.email,
                            client.phone,
                            client.address,
                            client.aliases.join("; "),
                            client.former_names.join("; ")
                        ),
                    ]);
                    for m in db::client_matters(&self.conn, c)? {
                        let matter = matters::get(&self.conn, m)?;
                        line(&[
                            "matter",
                            &client.name,
                            &matter.summary.number,
                            &matter.summary.title,
                            "client",
                            &format!(
                                "{}; opened {}{}",
                                matter.summary.status.as_str(),
                                matter.summary.opened_on,
                                matter
                                    .summary
                                    .closed_on
                                    .map(|d| format!(", closed {d}"))
                                    .unwrap_or_default()
                            ),
                        ]);
                        matter_rows.insert(m, json!({
                            "number": matter.summary.number, "title": matter.summary.title,
                            "role": "client", "status": matter.summary.status.as_str(),
                            "practiceArea": matter.summary.practice_area,
                            "openedOn": matter.summary.opened_on, "closedOn": matter.summary.closed_on,
                        }));
                    }
                    client_records.push(json!({
                        "name": client.name, "kind": client.kind.as_str(), "aliases": client.aliases,
                        "formerNames": client.former_names, "email": client.email, "phone": client.phone,
                        "address": client.address, "since": client.created_at,
                    }));
                }
                ItemSource::Party => {
                    let Some(m) = i.matter_id else { continue };
                    let Ok(matter) = matters::get(&self.conn, m) else {
                        continue;
                    };
                    line(&[
                        "party",
                        &i.label,
                        &matter.summary.number,
                        &matter.summary.title,
                        "party",
                        "",
                    ]);
                    party_rows.push(json!({
                        "name": i.label, "matterNumber": matter.summary.number, "matterTitle": matter.summary.title,
                    }));
                    matter_rows.entry(m).or_insert(json!({
                        "number": matter.summary.number, "title": matter.summary.title,
                        "role": "party", "status": matter.summary.status.as_str(),
                        "openedOn": matter.summary.opened_on, "closedOn": matter.summary.closed_on,
                    }));
                }
                _ => {}
            }
        }
        let mut written = Vec::new();
        let mut document_rows = Vec::new();
        let documents: Vec<_> = disclosed
            .iter()
            .filter(|i| i.source == ItemSource::Document)
            .collect();
        for (k, i) in documents.iter().enumerate() {
            let Some(doc) = i.document_id else { continue };
            let Ok(summary) = self.document(doc) else {
                continue;
            };
            let name = format!(
                "{:03}-{}",
                i.number,
                crate::document_ops::safe_file_name(&summary.original_name, &summary.title)
            );
            // Each document's own progress, told as document k of n.
            let on_progress = |p: &Progress| {
                watch.tell(&Progress {
                    item: k as u64 + 1,
                    items: documents.len() as u64,
                    ..p.clone()
                })
            };
            let one = Watch {
                on_progress: &on_progress,
                stop: watch.stop,
            };
            if self
                .export_document_watched(doc, None, &folder.join(&name), &one)?
                .is_none()
            {
                return Err(CoreError::Cancelled);
            }
            paths.push(folder.join(&name));
            line(&[
                "document",
                &summary.title,
                i.matter_number.as_deref().unwrap_or_default(),
                "",
                "",
                &name,
            ]);
            document_rows.push(json!({
                "title": summary.title, "file": name, "matterNumber": i.matter_number,
                "addedOn": summary.created_at.chars().take(10).collect::<String>(),
                "sha256": summary.sha256,
            }));
            written.push(name);
        }
        let person = json!({
            "format": "matterbox data-subject export 1",
            "request": { "id": r.id, "kind": r.kind.as_str(), "receivedOn": r.received_on },
            "requester": r.requester,
            "clientRecords": client_records,
            "parties": party_rows,
            "matters": matter_rows.into_values().collect::<Vec<_>>(),
            "documents": document_rows,
        });
        let json_path = folder.join("person.json");
        let csv_path = folder.join("person.csv");
        let pretty = serde_json::to_vec_pretty(&person)
            .map_err(|e| CoreError::Invalid(format!("The export could not be built: {e}")))?;
        crate::partial::write_new_private(&json_path, &pretty)?;
        paths.push(json_path.clone());
        crate::partial::write_new_private(&csv_path, csv.as_bytes())?;
        paths.push(csv_path.clone());
        let counts = json!({
            "documents": written.len(),
            "client_records": person["clientRecords"].as_array().map_or(0, Vec::len),
            "parties": person["parties"].as_array().map_or(0, Vec::len),
            "matters": person["matters"].as_array().map_or(0, Vec::len),
            "withheld": r.items.iter().filter(|i| i.mark == Some(Mark::Withhold)).count(),
        });
        self.write(|_, rec| rec.record("request_exported", &object(id), counts))?;
        Ok(RequestExport {
            folder: folder.to_path_buf(),
            documents: written,
            json: json_path,
            csv: csv_path,
        })
    }

    /// An export folder is new or empty, and never inside the vault.
    fn check_export_folder(&self, folder: &Path) -> Result<()> {
        let vault = std::fs::canonicalize(self.vault.dir())
            .map_err(CoreError::user_file("read", self.vault.dir()))?;
        let absolute = std::path::absolute(folder).map_err(CoreError::user_file("read", folder))?;
        // The nearest part of the path that exists, resolved.
        let mut existing = absolute.as_path();
        while !existing.exists() {
            match existing.parent() {
                Some(p) => existing = p,
                None => break,
            }
        }
        let resolved =
            std::fs::canonicalize(existing).map_err(CoreError::user_file("read", folder))?;
        if resolved.starts_with(&vault) {
            return Err(CoreError::Invalid(format!(
                "{} is inside the vault folder; export to a folder outside it.",
                folder.display()
            )));
        }
        match std::fs::read_dir(folder) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(CoreError::Invalid(format!(
                        "{} is not empty; export into a new or empty folder, so nothing is mixed or overwritten.",
                        folder.display()
                    )));
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                matterbox_vault::fsutil::create_private_dir(folder)?;
                Ok(())
            }
            Err(e) => Err(CoreError::user_file("open", folder)(e)),
        }
    }
}

fn matterbox_domain_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_found_in_running_text_by_the_matcher() {
        let person = NameIndex::from_entries([Entry {
            payload: (),
            kind: matterbox_names::NameKind::Person,
            name: "Robert Smyth".into(),
            aliases: vec![],
        }]);
        let check = |text: &str, expect: Option<&str>| {
            let got = name_in_text(&person, text).map(|(w, _)| w);
            assert_eq!(got.as_deref(), expect, "{text:?}");
        };
        check("Call with Bob Smith about the lease.", Some("Bob Smith"));
        check("Robert Smyth, the landlord, phoned.", Some("Robert Smyth"));
        check("Nothing about anyone here.", None);
        check("", None);
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
