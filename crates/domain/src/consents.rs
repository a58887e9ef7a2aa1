//! Consent records (#16 §2): what a client consented to, in their own
//! words (kept verbatim with its SHA-256), how and when it was given and
//! confirmed in writing, and its withdrawal (GDPR Art. 7(3): as easy as
//! recording it).
//!
//! **A consent's recorded text is never edited.** The kind, the scope and
//! the risks explained are written once (the scope and risks may be left
//! empty while the consent is only requested, and are then filled once);
//! a changed scope is a new consent that supersedes the old one (triggers
//! refuse anything else). **States are history, not a column:** every
//! change appends an event (who, when, from → to, the reason), and the
//! newest event's state is the consent's state.
//!
//! Deciding is separate from doing: [`next_state`], [`confirm_by`] and
//! [`review_on`] are pure; the functions below read and append rows. The
//! core audits each change in the same transaction.

use chrono::{Months, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::{DomainError, notes, now, optional, settings, validation};

/// The longest scope or risks text accepted.
pub const MAX_TEXT: usize = 20_000;
/// The most clients, matters or evidence documents one consent names.
pub const MAX_LINKS: usize = 50;

/// What a consent is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// Disclosure of client information (Rule 1.6(a)).
    ConfidentialityDisclosure,
    /// Waiver of a conflict (Rules 1.7, 1.9).
    ConflictWaiver,
    /// Advance waiver of future conflicts.
    AdvanceWaiver,
    /// Use of a cloud or third-party service.
    ThirdPartyService,
    /// GDPR consent to processing (Art. 6(1)(a), 7).
    GdprProcessing,
    /// Communications by e-mail.
    EmailCommunication,
    Other,
}

impl ConsentKind {
    pub const ALL: [ConsentKind; 7] = [
        ConsentKind::ConfidentialityDisclosure,
        ConsentKind::ConflictWaiver,
        ConsentKind::AdvanceWaiver,
        ConsentKind::ThirdPartyService,
        ConsentKind::GdprProcessing,
        ConsentKind::EmailCommunication,
        ConsentKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentKind::ConfidentialityDisclosure => "confidentiality_disclosure",
            ConsentKind::ConflictWaiver => "conflict_waiver",
            ConsentKind::AdvanceWaiver => "advance_waiver",
            ConsentKind::ThirdPartyService => "third_party_service",
            ConsentKind::GdprProcessing => "gdpr_processing",
            ConsentKind::EmailCommunication => "email_communication",
            ConsentKind::Other => "other",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ConsentKind::ConfidentialityDisclosure => {
                "Disclosure of client information (Rule 1.6(a))"
            }
            ConsentKind::ConflictWaiver => "Conflict waiver (Rules 1.7, 1.9)",
            ConsentKind::AdvanceWaiver => "Advance waiver",
            ConsentKind::ThirdPartyService => "Use of a cloud or third-party service",
            ConsentKind::GdprProcessing => "GDPR consent to processing",
            ConsentKind::EmailCommunication => "Communications by e-mail",
            ConsentKind::Other => "Other",
        }
    }
    fn from_db(s: &str) -> Self {
        ConsentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(ConsentKind::Other)
    }
    /// The kinds the Rules of Professional Conduct govern: informed
    /// consent needs the risks and alternatives explained (Rule 1.0(e)).
    pub fn needs_risks(self) -> bool {
        matches!(
            self,
            ConsentKind::ConfidentialityDisclosure
                | ConsentKind::ConflictWaiver
                | ConsentKind::AdvanceWaiver
        )
    }
}

/// How a consent was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    SignedLetter,
    Email,
    Oral,
}

impl ConsentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMethod::SignedLetter => "signed_letter",
            ConsentMethod::Email => "email",
            ConsentMethod::Oral => "oral",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "signed_letter" => ConsentMethod::SignedLetter,
            "email" => ConsentMethod::Email,
            _ => ConsentMethod::Oral,
        }
    }
    /// A signed letter or an e-mail is itself the consent in writing.
    pub fn written(self) -> bool {
        self != ConsentMethod::Oral
    }
}

/// Where a consent stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    Requested,
    Given,
    /// Given and confirmed in writing.
    Confirmed,
    Withdrawn,
    Expired,
    Superseded,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Requested => "requested",
            ConsentState::Given => "given",
            ConsentState::Confirmed => "confirmed",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::Expired => "expired",
            ConsentState::Superseded => "superseded",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "given" => ConsentState::Given,
            "confirmed" => ConsentState::Confirmed,
            "withdrawn" => ConsentState::Withdrawn,
            "expired" => ConsentState::Expired,
            "superseded" => ConsentState::Superseded,
            _ => ConsentState::Requested,
        }
    }
    /// Withdrawn, expired and superseded consents change no more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ConsentState::Withdrawn | ConsentState::Expired | ConsentState::Superseded
        )
    }
    /// Whether the consent is in force (given, perhaps confirmed).
    pub fn in_force(self) -> bool {
        matches!(self, ConsentState::Given | ConsentState::Confirmed)
    }
}

/// What happened to a consent: one row of its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    Requested,
    Given,
    Confirmed,
    Withdrawn,
    Expired,
    Superseded,
    /// Looked at again on its review date; the state stays.
    Reviewed,
}

impl ConsentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentAction::Requested => "requested",
            ConsentAction::Given => "given",
            ConsentAction::Confirmed => "confirmed",
            ConsentAction::Withdrawn => "withdrawn",
            ConsentAction::Expired => "expired",
            ConsentAction::Superseded => "superseded",
            ConsentAction::Reviewed => "reviewed",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "given" => ConsentAction::Given,
            "confirmed" => ConsentAction::Confirmed,
            "withdrawn" => ConsentAction::Withdrawn,
            "expired" => ConsentAction::Expired,
            "superseded" => ConsentAction::Superseded,
            "reviewed" => ConsentAction::Reviewed,
            _ => ConsentAction::Requested,
        }
    }
}

/// The state `action` leads to from `from`, or why it cannot happen.
pub fn next_state(from: ConsentState, action: ConsentAction) -> Result<ConsentState, String> {
    use ConsentAction as A;
    use ConsentState as S;
    let to = match (from, action) {
        (S::Requested, A::Given) => S::Given,
        (S::Given, A::Confirmed) => S::Confirmed,
        (S::Requested | S::Given | S::Confirmed, A::Withdrawn) => S::Withdrawn,
        (S::Given | S::Confirmed, A::Expired) => S::Expired,
        (S::Requested | S::Given | S::Confirmed, A::Superseded) => S::Superseded,
        (S::Given | S::Confirmed, A::Reviewed) => from,
        (S::Confirmed, A::Confirmed) => {
            return Err("This consent is already confirmed in writing.".into());
        }
        (s, _) if s.is_final() => {
            return Err(format!(
                "This consent is {}; it changes no more. Record a new consent.",
                s.as_str()
            ));
        }
        (S::Requested, _) => {
            return Err("This consent has not been given yet; record it as given first.".into());
        }
        (s, a) => {
            return Err(format!(
                "A consent that is {} cannot be {}.",
                s.as_str(),
                a.as_str()
            ));
        }
    };
    Ok(to)
}

/// When oral consent must be confirmed in writing.
pub fn confirm_by(given_on: NaiveDate, days: u32) -> NaiveDate {
    given_on + chrono::Days::new(u64::from(days))
}

/// When a consent given or reviewed on `on` is next reviewed.
pub fn review_on(on: NaiveDate, months: u32) -> NaiveDate {
    on.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The SHA-256 of the verbatim scope, as lowercase hex.
pub fn scope_hash(scope: &str) -> String {
    hex::encode(Sha256::digest(scope.as_bytes()))
}

/// A client a consent covers; `name` is `None` once the client is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentClient {
    pub id: i64,
    pub name: Option<String>,
}

/// A matter a consent covers (its number kept: the matter may be destroyed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentMatter {
    pub id: i64,
    pub number: String,
}

/// A vault document kept as evidence; `title` is `None` once it is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentEvidence {
    pub document_id: i64,
    pub title: Option<String>,
}

/// One row of a consent's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentEvent {
    pub action: ConsentAction,
    pub from: Option<ConsentState>,
    pub to: ConsentState,
    /// The day it happened (the client's letter, the call).
    pub on: String,
    pub method: Option<ConsentMethod>,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// The conflict-check hit a waiver was drafted for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentConflict {
    pub check_id: i64,
    pub hit: u32,
}

/// A consent with its history and what follows from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    pub id: i64,
    pub kind: ConsentKind,
    /// What an "other" consent is for (empty for the other kinds).
    pub label: String,
    pub clients: Vec<ConsentClient>,
    pub matters: Vec<ConsentMatter>,
    /// The scope in the client's words, verbatim (`None` until given).
    pub scope: Option<String>,
    pub scope_sha256: Option<String>,
    /// The risks and alternatives explained.
    pub risks: Option<String>,
    pub state: ConsentState,
    pub method: Option<ConsentMethod>,
    pub given_on: Option<String>,
    pub confirmed_on: Option<String>,
    /// Oral consent not yet confirmed in writing: confirm by this day.
    pub confirm_by: Option<String>,
    /// In force: review on this day.
    pub review_on: Option<String>,
    /// Withdrawn, expired or superseded on this day.
    pub ended_on: Option<String>,
    pub supersedes: Option<i64>,
    pub superseded_by: Option<i64>,
    pub conflict: Option<ConsentConflict>,
    pub evidence: Vec<ConsentEvidence>,
    pub history: Vec<ConsentEvent>,
    pub created_by: String,
    pub created_at: String,
}

/// What is due about a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DueWhat {
    /// Oral consent to be confirmed in writing.
    ConfirmInWriting,
    Review,
}

/// One reminder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentDue {
    pub consent_id: i64,
    pub kind: ConsentKind,
    pub clients: Vec<ConsentClient>,
    pub what: DueWhat,
    pub due_on: String,
    pub overdue: bool,
}

/// A consent to record.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentInput {
    pub kind: Option<ConsentKind>,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub client_ids: Vec<i64>,
    #[serde(default)]
    pub matter_ids: Vec<i64>,
    #[serde(default)]
    #[ts(optional)]
    pub scope: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub risks: Option<String>,
    /// The consent this one replaces (marked superseded).
    #[serde(default)]
    #[ts(optional)]
    pub supersedes: Option<i64>,
    #[serde(default)]
    pub evidence: Vec<i64>,
}

/// A consent being given.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GiveInput {
    pub method: ConsentMethod,
    /// The day it was given (default today).
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub on: Option<NaiveDate>,
    /// The scope in the client's words, if not recorded yet.
    #[serde(default)]
    #[ts(optional)]
    pub scope: Option<String>,
    /// The risks and alternatives explained, if not recorded yet.
    #[serde(default)]
    #[ts(optional)]
    pub risks: Option<String>,
    #[serde(default)]
    pub evidence: Vec<i64>,
}

/// Consent periods (vault settings).
#[derive(Clone, Copy, Debug)]
pub struct Periods {
    pub confirm_days: u32,
    pub review_months: u32,
}

impl Periods {
    pub fn of(conn: &Connection) -> Result<Self, DomainError> {
        Ok(Periods {
            confirm_days: settings::consent_confirm_days(conn)?,
            review_months: settings::consent_review_months(conn)?,
        })
    }
}

fn not_found(id: i64) -> DomainError {
    DomainError::NotFound {
        what: "consent",
        key: format!("id {id}"),
    }
}

/// Checks a long verbatim text: something must show, no NUL, not too long.
/// Kept exactly as given (not trimmed): it is the client's words.
fn verbatim(field: &str, label: &str, value: &str) -> Result<String, DomainError> {
    if value.trim().is_empty() || !crate::text::has_visible(value) {
        return Err(validation(field, format!("{label} cannot be empty.")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(validation(
            field,
            format!("{label} is longer than {MAX_TEXT} characters."),
        ));
    }
    if value.contains('\0') {
        return Err(validation(
            field,
            format!("{label} contains a NUL character."),
        ));
    }
    notes(value)
}

fn not_in_future(field: &str, on: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    if on > today {
        return Err(validation(
            field,
            format!("{on} is in the future; record what has happened, on the day it happened."),
        ));
    }
    Ok(())
}

fn check_links(field: &str, ids: &[i64]) -> Result<(), DomainError> {
    if ids.len() > MAX_LINKS {
        return Err(validation(
            field,
            format!("A consent names at most {MAX_LINKS} of each."),
        ));
    }
    Ok(())
}

fn add_evidence(conn: &Connection, id: i64, documents: &[i64]) -> Result<(), DomainError> {
    check_links("evidence", documents)?;
    for d in documents {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
            [d],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(DomainError::NotFound {
                what: "document",
                key: format!("id {d}"),
            });
        }
        conn.execute(
            "INSERT OR IGNORE INTO consent_documents (consent_id, document_id, added_at) VALUES (?1, ?2, ?3)",
            params![id, d, now()],
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn append(
    conn: &Connection,
    id: i64,
    action: ConsentAction,
    from: Option<ConsentState>,
    to: ConsentState,
    on: NaiveDate,
    method: Option<ConsentMethod>,
    reason: &str,
    review: Option<NaiveDate>,
    by: &str,
) -> Result<(), DomainError> {
    conn.execute(
        "INSERT INTO consent_events (consent_id, action, from_state, to_state, on_date, method, reason, review_on, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            action.as_str(),
            from.map(ConsentState::as_str),
            to.as_str(),
            on.to_string(),
            method.map(ConsentMethod::as_str),
            reason,
            review.map(|d| d.to_string()),
            by,
            now()
        ],
    )?;
    Ok(())
}

/// The state a consent is in (its newest event's).
pub fn state(conn: &Connection, id: i64) -> Result<ConsentState, DomainError> {
    conn.query_row(
        "SELECT to_state FROM consent_events WHERE consent_id = ?1 ORDER BY id DESC LIMIT 1",
        [id],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(|s| ConsentState::from_db(&s))
    .ok_or_else(|| not_found(id))
}

/// Records a requested consent; returns its id. With `supersedes`, the
/// old consent is marked superseded, and its clients, matters and
/// conflict link carry over when none are given.
pub fn record(
    conn: &Connection,
    input: &ConsentInput,
    today: NaiveDate,
    by: &str,
) -> Result<i64, DomainError> {
    let kind = input
        .kind
        .ok_or_else(|| validation("kind", "Choose what the consent is for."))?;
    let label = optional("label", "The consent's label", &input.label)?;
    if kind == ConsentKind::Other && label.is_empty() {
        return Err(validation(
            "label",
            "Say what an \"other\" consent is for (a few words).",
        ));
    }
    let scope = input
        .scope
        .as_deref()
        .map(|s| verbatim("scope", "The scope", s))
        .transpose()?;
    let risks = input
        .risks
        .as_deref()
        .map(|s| verbatim("risks", "The risks and alternatives", s))
        .transpose()?;
    check_links("clients", &input.client_ids)?;
    check_links("matters", &input.matter_ids)?;
    let mut client_ids = input.client_ids.clone();
    let mut matter_ids = input.matter_ids.clone();
    let mut decision: Option<i64> = None;
    if let Some(old) = input.supersedes {
        let from = state(conn, old)?;
        next_state(from, ConsentAction::Superseded).map_err(|m| validation("supersedes", m))?;
        let old_consent = get(conn, old)?;
        if client_ids.is_empty() {
            client_ids = old_consent.clients.iter().map(|c| c.id).collect();
        }
        if matter_ids.is_empty() {
            matter_ids = old_consent.matters.iter().map(|m| m.id).collect();
        }
        decision = conn.query_row(
            "SELECT conflict_decision_id FROM consents WHERE id = ?1",
            [old],
            |r| r.get(0),
        )?;
    }
    for c in &client_ids {
        crate::clients::get(conn, *c)?;
    }
    let mut matters = Vec::new();
    for m in &matter_ids {
        let number: String = conn
            .query_row("SELECT number FROM matters WHERE id = ?1", [m], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| DomainError::NotFound {
                what: "matter",
                key: format!("id {m}"),
            })?;
        matters.push((*m, number));
    }
    conn.execute(
        "INSERT INTO consents (kind, label, scope, scope_sha256, risks, supersedes, conflict_decision_id, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            kind.as_str(),
            label,
            scope,
            scope.as_deref().map(scope_hash),
            risks,
            input.supersedes,
            decision,
            by,
            now()
        ],
    )?;
    let id = conn.last_insert_rowid();
    for c in &client_ids {
        conn.execute(
            "INSERT OR IGNORE INTO consent_clients (consent_id, client_id) VALUES (?1, ?2)",
            params![id, c],
        )?;
    }
    for (m, number) in &matters {
        conn.execute(
            "INSERT OR IGNORE INTO consent_matters (consent_id, matter_id, matter_number) VALUES (?1, ?2, ?3)",
            params![id, m, number],
        )?;
    }
    add_evidence(conn, id, &input.evidence)?;
    append(
        conn,
        id,
        ConsentAction::Requested,
        None,
        ConsentState::Requested,
        today,
        None,
        "",
        None,
        by,
    )?;
    if let Some(old) = input.supersedes {
        let from = state(conn, old)?;
        append(
            conn,
            old,
            ConsentAction::Superseded,
            Some(from),
            ConsentState::Superseded,
            today,
            None,
            &format!("superseded by consent {id}"),
            None,
            by,
        )?;
    }
    Ok(id)
}

/// Drafts a requested conflict waiver for the hit decided "waiver needed"
/// by decision `decision_id`, for `client` (or for no client yet).
pub fn draft_waiver(
    conn: &Connection,
    decision_id: i64,
    client: Option<i64>,
    matter: Option<(i64, String)>,
    today: NaiveDate,
    by: &str,
) -> Result<i64, DomainError> {
    conn.execute(
        "INSERT INTO consents (kind, label, conflict_decision_id, created_by, created_at)
         VALUES ('conflict_waiver', '', ?1, ?2, ?3)",
        params![decision_id, by, now()],
    )?;
    let id = conn.last_insert_rowid();
    if let Some(c) = client {
        conn.execute(
            "INSERT INTO consent_clients (consent_id, client_id) VALUES (?1, ?2)",
            params![id, c],
        )?;
    }
    if let Some((m, number)) = matter {
        conn.execute(
            "INSERT INTO consent_matters (consent_id, matter_id, matter_number) VALUES (?1, ?2, ?3)",
            params![id, m, number],
        )?;
    }
    append(
        conn,
        id,
        ConsentAction::Requested,
        None,
        ConsentState::Requested,
        today,
        None,
        "drafted by a \"waiver needed\" conflict decision",
        None,
        by,
    )?;
    Ok(id)
}

/// Records that the client gave the consent. A signed letter or an e-mail
/// is the consent in writing: it is confirmed at once. Oral consent waits
/// for its written confirmation (see [`confirm_by`]).
pub fn give(
    conn: &Connection,
    id: i64,
    input: &GiveInput,
    today: NaiveDate,
    periods: Periods,
    by: &str,
) -> Result<ConsentState, DomainError> {
    let from = state(conn, id)?;
    let to = next_state(from, ConsentAction::Given).map_err(DomainError::Conflict)?;
    let on = input.on.unwrap_or(today);
    not_in_future("on", on, today)?;
    let (kind, scope, risks): (String, Option<String>, Option<String>) = conn.query_row(
        "SELECT kind, scope, risks FROM consents WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let kind = ConsentKind::from_db(&kind);
    let new_scope = match (&scope, &input.scope) {
        (None, Some(s)) => Some(verbatim("scope", "The scope", s)?),
        (None, None) => {
            return Err(validation(
                "scope",
                "Record the scope of the consent in the client's words.",
            ));
        }
        (Some(old), Some(s)) if old != s => {
            return Err(validation(
                "scope",
                "The scope is recorded already and is never edited; record a new consent that supersedes this one.",
            ));
        }
        _ => None,
    };
    let new_risks = match (&risks, &input.risks) {
        (None, Some(s)) => Some(verbatim("risks", "The risks and alternatives", s)?),
        (None, None) if kind.needs_risks() => {
            return Err(validation(
                "risks",
                "Record the risks and alternatives explained to the client: this consent must be informed (Rule 1.0(e)).",
            ));
        }
        (Some(old), Some(s)) if old != s => {
            return Err(validation(
                "risks",
                "The risks explained are recorded already and are never edited; record a new consent that supersedes this one.",
            ));
        }
        _ => None,
    };
    if let Some(s) = &new_scope {
        conn.execute(
            "UPDATE consents SET scope = ?2, scope_sha256 = ?3 WHERE id = ?1",
            params![id, s, scope_hash(s)],
        )?;
    }
    if let Some(r) = &new_risks {
        conn.execute(
            "UPDATE consents SET risks = ?2 WHERE id = ?1",
            params![id, r],
        )?;
    }
    add_evidence(conn, id, &input.evidence)?;
    let review = review_on(on, periods.review_months);
    append(
        conn,
        id,
        ConsentAction::Given,
        Some(from),
        to,
        on,
        Some(input.method),
        "",
        Some(review),
        by,
    )?;
    if input.method.written() {
        append(
            conn,
            id,
            ConsentAction::Confirmed,
            Some(to),
            ConsentState::Confirmed,
            on,
            Some(input.method),
            "given in writing",
            None,
            by,
        )?;
        return Ok(ConsentState::Confirmed);
    }
    Ok(to)
}

/// Records the written confirmation of an oral consent.
pub fn confirm(
    conn: &Connection,
    id: i64,
    method: ConsentMethod,
    on: NaiveDate,
    evidence: &[i64],
    today: NaiveDate,
    by: &str,
) -> Result<ConsentState, DomainError> {
    let from = state(conn, id)?;
    let to = next_state(from, ConsentAction::Confirmed).map_err(DomainError::Conflict)?;
    if !method.written() {
        return Err(validation(
            "method",
            "A confirmation in writing is a signed letter or an e-mail.",
        ));
    }
    not_in_future("on", on, today)?;
    add_evidence(conn, id, evidence)?;
    append(
        conn,
        id,
        ConsentAction::Confirmed,
        Some(from),
        to,
        on,
        Some(method),
        "",
        None,
        by,
    )?;
    Ok(to)
}

/// Withdraws, expires or marks reviewed (`action`), on `on`, with an
/// optional reason. Returns the new state.
#[allow(clippy::too_many_arguments)] // Each is one fact of the change; a struct would only rename them.
pub fn change(
    conn: &Connection,
    id: i64,
    action: ConsentAction,
    on: NaiveDate,
    reason: &str,
    today: NaiveDate,
    periods: Periods,
    by: &str,
) -> Result<ConsentState, DomainError> {
    if !matches!(
        action,
        ConsentAction::Withdrawn | ConsentAction::Expired | ConsentAction::Reviewed
    ) {
        return Err(validation(
            "action",
            "Use give, confirm or record for that.",
        ));
    }
    let from = state(conn, id)?;
    let to = next_state(from, action).map_err(DomainError::Conflict)?;
    not_in_future("on", on, today)?;
    let reason = optional("reason", "The reason", reason)?;
    let review = (action == ConsentAction::Reviewed).then(|| review_on(on, periods.review_months));
    append(
        conn,
        id,
        action,
        Some(from),
        to,
        on,
        None,
        &reason,
        review,
        by,
    )?;
    Ok(to)
}

/// The conflict checks whose "waiver needed" decision in force this
/// consent covers: `(check id, hit number)`.
pub fn covered_hits(conn: &Connection, id: i64) -> Result<Vec<(i64, u32)>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT h.check_id, h.position FROM consents c
         JOIN conflict_decisions d ON d.id = c.conflict_decision_id
         JOIN conflict_hits h ON h.id = d.hit_id
         WHERE c.id = ?1
           AND d.id = (SELECT max(id) FROM conflict_decisions WHERE hit_id = h.id)",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The withdrawn or expired waiver (newest first) covering decision
/// `decision_id`, if any: the hit it decided counts as undecided again.
pub fn ended_waiver(conn: &Connection, decision_id: i64) -> Result<Option<i64>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT c.id FROM consents c
             WHERE c.conflict_decision_id = ?1
               AND (SELECT to_state FROM consent_events e WHERE e.consent_id = c.id ORDER BY e.id DESC LIMIT 1)
                   IN ('withdrawn', 'expired')
             ORDER BY c.id DESC LIMIT 1",
            [decision_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The consents drafted for or covering decision `decision_id`.
pub fn for_decision(conn: &Connection, decision_id: i64) -> Result<Vec<i64>, DomainError> {
    let mut stmt =
        conn.prepare("SELECT id FROM consents WHERE conflict_decision_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([decision_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A consent with its history.
pub fn get(conn: &Connection, id: i64) -> Result<Consent, DomainError> {
    let head = conn
        .query_row(
            "SELECT kind, label, scope, scope_sha256, risks, supersedes, conflict_decision_id, created_by, created_at
             FROM consents WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    ConsentKind::from_db(&r.get::<_, String>(0)?),
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    let (kind, label, scope, scope_sha256, risks, supersedes, decision, created_by, created_at) =
        head;
    let mut stmt = conn.prepare(
        "SELECT cc.client_id, c.name FROM consent_clients cc LEFT JOIN clients c ON c.id = cc.client_id
         WHERE cc.consent_id = ?1 ORDER BY cc.client_id",
    )?;
    let clients = stmt
        .query_map([id], |r| {
            Ok(ConsentClient {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT matter_id, matter_number FROM consent_matters WHERE consent_id = ?1 ORDER BY matter_id",
    )?;
    let matters = stmt
        .query_map([id], |r| {
            Ok(ConsentMatter {
                id: r.get(0)?,
                number: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT cd.document_id, d.title FROM consent_documents cd LEFT JOIN documents d ON d.id = cd.document_id
         WHERE cd.consent_id = ?1 ORDER BY cd.document_id",
    )?;
    let evidence = stmt
        .query_map([id], |r| {
            Ok(ConsentEvidence {
                document_id: r.get(0)?,
                title: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT action, from_state, to_state, on_date, method, reason, recorded_by, recorded_at, review_on
         FROM consent_events WHERE consent_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                ConsentEvent {
                    action: ConsentAction::from_db(&r.get::<_, String>(0)?),
                    from: r
                        .get::<_, Option<String>>(1)?
                        .map(|s| ConsentState::from_db(&s)),
                    to: ConsentState::from_db(&r.get::<_, String>(2)?),
                    on: r.get(3)?,
                    method: r
                        .get::<_, Option<String>>(4)?
                        .map(|s| ConsentMethod::from_db(&s)),
                    reason: r.get(5)?,
                    recorded_by: r.get(6)?,
                    recorded_at: r.get(7)?,
                },
                r.get::<_, Option<String>>(8)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let state = rows.last().map(|e| e.0.to).ok_or_else(|| not_found(id))?;
    let given = rows
        .iter()
        .rev()
        .find(|e| e.0.action == ConsentAction::Given);
    let confirmed = rows
        .iter()
        .rev()
        .find(|e| e.0.action == ConsentAction::Confirmed);
    let review = rows.iter().rev().find_map(|e| e.1.clone());
    let ended = rows
        .iter()
        .rev()
        .find(|e| e.0.to.is_final())
        .map(|e| e.0.on.clone());
    let method = given.and_then(|g| g.0.method);
    let confirm = match (state, method, given) {
        (ConsentState::Given, Some(ConsentMethod::Oral), Some(g)) => {
            let days = settings::consent_confirm_days(conn)?;
            parse_date(&g.0.on).map(|d| confirm_by(d, days).to_string())
        }
        _ => None,
    };
    let superseded_by: Option<i64> = conn
        .query_row(
            "SELECT id FROM consents WHERE supersedes = ?1 ORDER BY id LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let conflict = match decision {
        Some(d) => conn
            .query_row(
                "SELECT h.check_id, h.position FROM conflict_decisions d JOIN conflict_hits h ON h.id = d.hit_id
                 WHERE d.id = ?1",
                [d],
                |r| {
                    Ok(ConsentConflict {
                        check_id: r.get(0)?,
                        hit: r.get(1)?,
                    })
                },
            )
            .optional()?,
        None => None,
    };
    Ok(Consent {
        id,
        kind,
        label,
        clients,
        matters,
        scope,
        scope_sha256,
        risks,
        state,
        method,
        given_on: given.map(|g| g.0.on.clone()),
        confirmed_on: confirmed.map(|c| c.0.on.clone()),
        confirm_by: confirm,
        review_on: if state.in_force() { review } else { None },
        ended_on: ended,
        supersedes,
        superseded_by,
        conflict,
        evidence,
        history: rows.into_iter().map(|e| e.0).collect(),
        created_by,
        created_at,
    })
}

/// Every consent (of `client` when given), newest first.
pub fn list(conn: &Connection, client: Option<i64>) -> Result<Vec<Consent>, DomainError> {
    let ids: Vec<i64> = match client {
        Some(c) => {
            crate::clients::get(conn, c)?;
            let mut stmt = conn.prepare(
                "SELECT consent_id FROM consent_clients WHERE client_id = ?1 ORDER BY consent_id DESC",
            )?;
            stmt.query_map([c], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        }
        None => {
            let mut stmt = conn.prepare("SELECT id FROM consents ORDER BY id DESC")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        }
    };
    ids.into_iter().map(|id| get(conn, id)).collect()
}

/// What is due about `consents` on or before `until`, by date: oral
/// consent to confirm in writing, and reviews. `today` says what is overdue.
pub fn due_of(consents: &[Consent], today: NaiveDate, until: NaiveDate) -> Vec<ConsentDue> {
    let mut out = Vec::new();
    for c in consents {
        for (what, date) in [
            (DueWhat::ConfirmInWriting, &c.confirm_by),
            (DueWhat::Review, &c.review_on),
        ] {
            if let Some(d) = date.as_deref().and_then(parse_date)
                && d <= until
            {
                out.push(ConsentDue {
                    consent_id: c.id,
                    kind: c.kind,
                    clients: c.clients.clone(),
                    what,
                    due_on: d.to_string(),
                    overdue: d < today,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.due_on
            .cmp(&b.due_on)
            .then(a.consent_id.cmp(&b.consent_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const PERIODS: Periods = Periods {
        confirm_days: 7,
        review_months: 12,
    };

    #[test]
    fn states_follow_the_issue_s_order() {
        use ConsentAction as A;
        use ConsentState as S;
        let check = |from, action, expect: Option<S>| {
            assert_eq!(next_state(from, action).ok(), expect, "{from:?} {action:?}")
        };
        check(S::Requested, A::Given, Some(S::Given));
        check(S::Given, A::Confirmed, Some(S::Confirmed));
        check(S::Requested, A::Confirmed, None);
        check(S::Confirmed, A::Confirmed, None);
        check(S::Requested, A::Withdrawn, Some(S::Withdrawn));
        check(S::Confirmed, A::Withdrawn, Some(S::Withdrawn));
        check(S::Given, A::Expired, Some(S::Expired));
        check(S::Requested, A::Expired, None);
        check(S::Given, A::Superseded, Some(S::Superseded));
        check(S::Confirmed, A::Reviewed, Some(S::Confirmed));
        check(S::Requested, A::Reviewed, None);
        for end in [S::Withdrawn, S::Expired, S::Superseded] {
            for a in [
                A::Given,
                A::Confirmed,
                A::Withdrawn,
                A::Reviewed,
                A::Superseded,
            ] {
                check(end, a, None);
            }
        }
    }

    #[test]
    fn dates_of_reminders() {
        assert_eq!(confirm_by(d("2026-12-28"), 7), d("2027-01-04"));
        assert_eq!(review_on(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(review_on(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(
            scope_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    fn client(conn: &Connection) -> i64 {
        crate::clients::create(
            conn,
            &crate::ClientInput {
                kind: Some(crate::ClientKind::Person),
                name: "Quillon Fictitious".into(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn oral_consent_waits_for_writing_then_review_and_withdrawal_ends_it() {
        let (_d, conn) = db();
        let c = client(&conn);
        let id = record(
            &conn,
            &ConsentInput {
                kind: Some(ConsentKind::ConflictWaiver),
                client_ids: vec![c],
                scope: Some("  I agree you act for Zed, verbatim.  ".into()),
                ..Default::default()
            },
            d("2026-03-01"),
            "t",
        )
        .unwrap();
        let got = get(&conn, id).unwrap();
        assert_eq!(got.state, ConsentState::Requested);
        // Kept verbatim, spaces and all.
        assert_eq!(
            got.scope.as_deref(),
            Some("  I agree you act for Zed, verbatim.  ")
        );
        assert_eq!(
            got.scope_sha256.as_deref(),
            Some(scope_hash("  I agree you act for Zed, verbatim.  ").as_str())
        );
        let oral = GiveInput {
            method: ConsentMethod::Oral,
            on: Some(d("2026-03-02")),
            scope: None,
            risks: None,
            evidence: vec![],
        };
        // A Rules consent is informed: the risks must be recorded.
        assert!(matches!(
            give(&conn, id, &oral, d("2026-03-05"), PERIODS, "t"),
            Err(DomainError::Validation { field, .. }) if field == "risks"
        ));
        // Not in the future.
        let future = GiveInput {
            on: Some(d("2026-03-06")),
            risks: Some("r".into()),
            ..oral.clone()
        };
        assert!(give(&conn, id, &future, d("2026-03-05"), PERIODS, "t").is_err());
        // A different scope is a new consent.
        let changed = GiveInput {
            scope: Some("other words".into()),
            risks: Some("r".into()),
            ..oral.clone()
        };
        assert!(give(&conn, id, &changed, d("2026-03-05"), PERIODS, "t").is_err());
        let with_risks = GiveInput {
            risks: Some("You may not act against Zed later.".into()),
            ..oral
        };
        assert_eq!(
            give(&conn, id, &with_risks, d("2026-03-05"), PERIODS, "t").unwrap(),
            ConsentState::Given
        );
        let got = get(&conn, id).unwrap();
        assert_eq!(got.confirm_by.as_deref(), Some("2026-03-09"));
        assert_eq!(got.review_on.as_deref(), Some("2027-03-02"));
        let all = list(&conn, None).unwrap();
        let due = due_of(&all, d("2026-03-10"), d("2026-03-10"));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].what, DueWhat::ConfirmInWriting);
        assert!(due[0].overdue);
        assert!(due_of(&all, d("2026-03-05"), d("2026-03-08")).is_empty());

        assert!(
            confirm(
                &conn,
                id,
                ConsentMethod::Oral,
                d("2026-03-06"),
                &[],
                d("2026-03-06"),
                "t"
            )
            .is_err()
        );
        confirm(
            &conn,
            id,
            ConsentMethod::Email,
            d("2026-03-06"),
            &[],
            d("2026-03-06"),
            "t",
        )
        .unwrap();
        let got = get(&conn, id).unwrap();
        assert_eq!(got.state, ConsentState::Confirmed);
        assert_eq!(got.confirm_by, None);
        assert_eq!(got.confirmed_on.as_deref(), Some("2026-03-06"));
        let due = due_of(
            &list(&conn, None).unwrap(),
            d("2027-03-03"),
            d("2027-03-03"),
        );
        assert_eq!(due[0].what, DueWhat::Review);
        assert_eq!(due[0].due_on, "2027-03-02");

        change(
            &conn,
            id,
            ConsentAction::Reviewed,
            d("2027-03-03"),
            "",
            d("2027-03-03"),
            PERIODS,
            "t",
        )
        .unwrap();
        assert_eq!(
            get(&conn, id).unwrap().review_on.as_deref(),
            Some("2028-03-03")
        );

        change(
            &conn,
            id,
            ConsentAction::Withdrawn,
            d("2027-04-01"),
            "",
            d("2027-04-01"),
            PERIODS,
            "t",
        )
        .unwrap();
        let got = get(&conn, id).unwrap();
        assert_eq!(got.state, ConsentState::Withdrawn);
        assert_eq!(got.ended_on.as_deref(), Some("2027-04-01"));
        assert_eq!(got.review_on, None);
        let actions: Vec<_> = got.history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["requested", "given", "confirmed", "reviewed", "withdrawn"]
        );
        assert!(matches!(
            change(
                &conn,
                id,
                ConsentAction::Withdrawn,
                d("2027-04-01"),
                "",
                d("2027-04-01"),
                PERIODS,
                "t"
            ),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn written_consent_is_confirmed_at_once_and_a_new_scope_supersedes() {
        let (_d, conn) = db();
        let c = client(&conn);
        let id = record(
            &conn,
            &ConsentInput {
                kind: Some(ConsentKind::EmailCommunication),
                client_ids: vec![c],
                scope: Some("E-mail is fine.".into()),
                ..Default::default()
            },
            d("2026-03-01"),
            "t",
        )
        .unwrap();
        let state = give(
            &conn,
            id,
            &GiveInput {
                method: ConsentMethod::SignedLetter,
                on: None,
                scope: None,
                risks: None,
                evidence: vec![],
            },
            d("2026-03-01"),
            PERIODS,
            "t",
        )
        .unwrap();
        assert_eq!(state, ConsentState::Confirmed);
        let newer = record(
            &conn,
            &ConsentInput {
                kind: Some(ConsentKind::EmailCommunication),
                scope: Some("E-mail, but not for invoices.".into()),
                supersedes: Some(id),
                ..Default::default()
            },
            d("2026-04-01"),
            "t",
        )
        .unwrap();
        let old = get(&conn, id).unwrap();
        assert_eq!(old.state, ConsentState::Superseded);
        assert_eq!(old.superseded_by, Some(newer));
        assert_eq!(get(&conn, newer).unwrap().clients[0].id, c);
        assert_eq!(list(&conn, Some(c)).unwrap().len(), 2);
        // The recorded text and history are permanent.
        for sql in [
            "UPDATE consents SET scope = 'x'",
            "UPDATE consents SET kind = 'other'",
            "DELETE FROM consents",
            "UPDATE consent_events SET to_state = 'given'",
            "DELETE FROM consent_events",
        ] {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("permanent"), "{sql}: {err}");
        }
        // Bad input.
        assert!(record(&conn, &ConsentInput::default(), d("2026-04-01"), "t").is_err());
        assert!(
            record(
                &conn,
                &ConsentInput {
                    kind: Some(ConsentKind::Other),
                    ..Default::default()
                },
                d("2026-04-01"),
                "t"
            )
            .is_err()
        );
        assert!(matches!(
            record(
                &conn,
                &ConsentInput {
                    kind: Some(ConsentKind::GdprProcessing),
                    client_ids: vec![999],
                    ..Default::default()
                },
                d("2026-04-01"),
                "t"
            ),
            Err(DomainError::NotFound { .. })
        ));
        assert!(
            record(
                &conn,
                &ConsentInput {
                    kind: Some(ConsentKind::GdprProcessing),
                    scope: Some("\u{200b}".into()),
                    ..Default::default()
                },
                d("2026-04-01"),
                "t"
            )
            .is_err()
        );
    }
}
