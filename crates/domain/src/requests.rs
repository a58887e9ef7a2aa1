//! Data-subject requests (GDPR Art. 12–22): the request, its one-month
//! clock ([`deadline`], pure), its status history, what "find everything
//! about this person" found ([`Item`]) with the lawyer's disclose /
//! withhold marks, and the erasure assessments.
//!
//! Finding is not done here (the core runs the conflict matcher and the
//! full-text search and hands the results to [`save_items`]). The status
//! history and the marks are appended, never changed (triggers refuse
//! it); the newest row is the one in force.
//!
//! **Names and free text live only in these tables** (inside the
//! encrypted database); the core's audit entries carry ids and counts.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::retention::add_period;
use crate::{DomainError, now, optional, required, validation};

/// The most other spellings a request carries.
pub const MAX_ALSO_KNOWN: usize = 20;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// The value as stored; an unknown one is a database error.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

str_enum! {
    /// Which right the person exercises (Art. 15–21).
    RequestKind {
        Access => "access",
        Rectification => "rectification",
        Erasure => "erasure",
        Restriction => "restriction",
        Portability => "portability",
        Objection => "objection",
    }
}

str_enum! {
    /// How the requester relates to the practice.
    Relation {
        Client => "client",
        OpposingParty => "opposing_party",
        Employee => "employee",
        Other => "other",
    }
}

str_enum! {
    /// Where a request stands; every change is kept.
    RequestStatus {
        Received => "received",
        IdentityCheck => "identity_check",
        AwaitingClarification => "awaiting_clarification",
        InProgress => "in_progress",
        Answered => "answered",
        Refused => "refused",
        Withdrawn => "withdrawn",
    }
}

impl RequestStatus {
    /// Whether the request is finished (no deadline runs).
    pub fn closed(self) -> bool {
        matches!(
            self,
            RequestStatus::Answered | RequestStatus::Refused | RequestStatus::Withdrawn
        )
    }
}

str_enum! {
    /// Why the clock stopped (Art. 12(6): identity; Recital 63: clarification).
    PauseReason {
        IdentityCheck => "identity_check",
        Clarification => "clarification",
    }
}

str_enum! {
    /// Where a found item comes from.
    ItemSource {
        Client => "client",
        Party => "party",
        Prospect => "prospect",
        Destroyed => "destroyed",
        Note => "note",
        Document => "document",
    }
}

str_enum! {
    /// The lawyer's decision on a found item.
    Mark {
        Disclose => "disclose",
        Withhold => "withhold",
    }
}

str_enum! {
    /// Why an item is withheld.
    WithholdReason {
        /// Legal professional privilege (national law under Art. 23(1)(i)).
        Privilege => "privilege",
        /// Art. 15(4): the rights and freedoms of others.
        Art15_4 => "art15_4",
        /// The establishment, exercise or defence of legal claims (Art. 23(1)(j)).
        LegalClaims => "legal_claims",
    }
}

str_enum! {
    /// What an erasure assessment found for one matter or document.
    ErasureOutcome {
        /// Due under its retention policy and not held: it can go through
        /// the disposition (approval, crypto-erase, register).
        Erasable => "erasable",
        /// Kept: a hold or a retention duty (Art. 17(3)(b), (e)).
        Refused => "refused",
        /// No retention policy covers it, so the disposition cannot
        /// destroy it: a policy must be set first.
        NeedsPolicy => "needs_policy",
        /// Destroyed through the disposition for this request.
        Destroyed => "destroyed",
    }
}

// ---------------------------------------------------------------------------
// The one-month clock (pure).

/// A stop of the clock: from the day the controller asked for proof of
/// identity or a clarification, to the day the answer came (`None` while
/// waiting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    pub reason: PauseReason,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Pause {
    /// The days the clock stood still.
    ///
    /// **The reading chosen:** the clock stops on the day the controller
    /// asks (`from`) and runs again on the day the answer arrives
    /// (`until`), so the paused days are `until - from`: asked on the
    /// 10th, answered on the 13th, three days (10, 11, 12) did not count,
    /// and the deadline moves three days later. This follows the ICO's
    /// "the clock stops … and resumes when you receive the information"
    /// (the day of the answer counts, as the day of receipt counts). The
    /// days are added to the date the month (and any extension) gives,
    /// before a weekend is rolled over.
    pub fn days(&self) -> Option<i64> {
        self.until.map(|u| (u - self.from).num_days())
    }
}

/// An extension (Art. 12(3)): by one or two further months, announced to
/// the person within the first month, with reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub months: u32,
    pub announced_on: NaiveDate,
    pub reasons: String,
}

/// A request's clock on a given day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// The end of the first month (with pauses, weekend rolled): an
    /// extension must be announced by this day.
    pub first_month: Option<NaiveDate>,
    /// The deadline in force (the extended one if extended); `None` while
    /// the clock is stopped (a pause without an answer yet).
    pub due_on: Option<NaiveDate>,
    pub paused: bool,
    pub paused_days: i64,
    /// Days from `today` to `due_on` (negative: overdue).
    pub days_left: Option<i64>,
    pub overdue: bool,
}

/// Saturday and Sunday roll to the next Monday. Public holidays are not
/// modelled (they differ by country and region): the deadline shown is
/// the latest possible, and a holiday before it must be watched by hand.
pub fn next_working_day(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d + Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// The one-month rule: the day of receipt counts, the deadline is the same
/// date in the following month, or that month's last day when it has no
/// such date (31 January → 28 or 29 February).
pub fn one_month(received: NaiveDate, months: u32) -> NaiveDate {
    add_period(received, 0, months)
}

/// Checks an extension against the first month's end.
pub fn check_extension(
    received: NaiveDate,
    first_month: NaiveDate,
    e: &Extension,
) -> Result<(), DomainError> {
    if !(1..=2).contains(&e.months) {
        return Err(validation(
            "months",
            "A deadline can be extended by one or two further months (Art. 12(3)).",
        ));
    }
    if e.reasons.trim().is_empty() {
        return Err(validation(
            "reasons",
            "An extension needs its reasons, as told to the person (Art. 12(3)).",
        ));
    }
    if e.announced_on < received {
        return Err(validation(
            "announced_on",
            format!(
                "The extension was announced on {}, before the request was received ({received}).",
                e.announced_on
            ),
        ));
    }
    if e.announced_on > first_month {
        return Err(validation(
            "announced_on",
            format!(
                "An extension must be announced within the first month (by {first_month}); {} is too late.",
                e.announced_on
            ),
        ));
    }
    Ok(())
}

/// The deadline of a request received on `received`, with its pauses and
/// extension, as seen on `today`. A pause still waiting for its answer
/// stops the clock (`due_on` is `None`).
pub fn deadline(
    received: NaiveDate,
    pauses: &[Pause],
    extension: Option<&Extension>,
    today: NaiveDate,
) -> Deadline {
    let paused = pauses.iter().any(|p| p.until.is_none());
    let paused_days: i64 = pauses.iter().filter_map(Pause::days).sum();
    let at =
        |months: u32| next_working_day(one_month(received, months) + Duration::days(paused_days));
    let first = at(1);
    let due = match extension {
        Some(e) => at(1 + e.months.min(2)),
        None => first,
    };
    let due_on = (!paused).then_some(due);
    let days_left = due_on.map(|d| (d - today).num_days());
    Deadline {
        first_month: (!paused).then_some(first),
        due_on,
        paused,
        paused_days,
        days_left,
        overdue: days_left.is_some_and(|d| d < 0),
    }
}

// ---------------------------------------------------------------------------
// Records.

/// A new request.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestInput {
    pub kind: RequestKind,
    pub requester: String,
    pub relation: Relation,
    /// Other spellings the person gave (a maiden name, a transliteration).
    #[serde(default)]
    pub also_known: Vec<String>,
    pub received_on: NaiveDate,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub status: RequestStatus,
    pub note: String,
    pub changed_by: String,
    pub changed_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MarkRecord {
    pub mark: Mark,
    pub reason: Option<WithholdReason>,
    pub note: String,
    pub marked_by: String,
    pub marked_at: String,
}

/// Something found about the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// The item's number within its request, from 1.
    pub number: u32,
    pub source: ItemSource,
    /// What it is: a client's or party's name, a document's title.
    pub label: String,
    /// Why it was found (the matcher's explanation, a snippet).
    pub detail: String,
    pub client_id: Option<i64>,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    pub document_id: Option<i64>,
    pub found_at: String,
    /// Every mark, oldest first; the last is in force.
    pub marks: Vec<MarkRecord>,
    pub mark: Option<Mark>,
}

/// An item as the core found it, before it is saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    pub source: ItemSource,
    /// What identifies it across runs ("client:3", "document:12").
    pub ref_key: String,
    pub label: String,
    pub detail: String,
    pub client_id: Option<i64>,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    pub document_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErasureRow {
    pub kind: crate::retention::DisposalKind,
    pub target_id: i64,
    pub label: String,
    pub outcome: ErasureOutcome,
    /// Why it is kept (the hold, the policy, the Art. 17(3) point).
    pub basis: String,
    /// The first day erasure becomes possible, when known.
    pub possible_from: Option<NaiveDate>,
    pub assessed_at: String,
}

/// A request with everything recorded about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub id: i64,
    pub kind: RequestKind,
    pub requester: String,
    pub relation: Relation,
    pub also_known: Vec<String>,
    pub received_on: NaiveDate,
    pub notes: String,
    pub created_by: String,
    pub created_at: String,
    pub status: RequestStatus,
    pub history: Vec<StatusChange>,
    pub pauses: Vec<Pause>,
    pub extension: Option<Extension>,
    pub items: Vec<Item>,
    /// The newest erasure assessment (empty if none).
    pub erasure: Vec<ErasureRow>,
}

/// One row of the request list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestSummary {
    pub id: i64,
    pub kind: RequestKind,
    pub requester: String,
    pub relation: Relation,
    pub received_on: NaiveDate,
    pub status: RequestStatus,
    pub items: u32,
    pub unmarked: u32,
    pub pauses: Vec<Pause>,
    pub extension: Option<Extension>,
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(0, what.to_string(), rusqlite::types::Type::Text)
}

fn parse<T>(s: String, f: fn(&str) -> Option<T>, what: &str) -> rusqlite::Result<T> {
    f(&s).ok_or_else(|| corrupt(what))
}

fn date(s: String) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|_| corrupt("date"))
}

/// Checks and saves a new request (status `received`); returns its id. A
/// request cannot have been received after `today` (the caller's clock).
pub fn create(
    conn: &Connection,
    input: &RequestInput,
    by: &str,
    today: NaiveDate,
) -> Result<i64, DomainError> {
    let requester = required("requester", "The requester's name", &input.requester)?;
    if input.also_known.len() > MAX_ALSO_KNOWN {
        return Err(validation(
            "also_known",
            format!("Give at most {MAX_ALSO_KNOWN} other spellings."),
        ));
    }
    let also: Vec<String> = input
        .also_known
        .iter()
        .map(|a| required("also_known", "Another spelling", a))
        .collect::<Result<_, _>>()?;
    let notes = crate::notes(&input.notes)?;
    if input.received_on > today {
        return Err(validation(
            "received_on",
            format!(
                "The request cannot have been received on {}, after today.",
                input.received_on
            ),
        ));
    }
    conn.execute(
        "INSERT INTO dsr_requests (kind, requester, relation, also_known, received_on, notes, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            input.kind.as_str(),
            requester,
            input.relation.as_str(),
            serde_json::to_string(&also).unwrap_or_else(|_| "[]".into()),
            input.received_on.to_string(),
            notes,
            by,
            now()
        ],
    )?;
    let id = conn.last_insert_rowid();
    set_status(conn, id, RequestStatus::Received, "", by)?;
    Ok(id)
}

fn not_found(id: i64) -> DomainError {
    DomainError::NotFound {
        what: "data-subject request",
        key: format!("id {id}"),
    }
}

/// The status in force.
pub fn status(conn: &Connection, id: i64) -> Result<RequestStatus, DomainError> {
    let s: Option<String> = conn
        .query_row(
            "SELECT status FROM dsr_status WHERE request_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let s = s.ok_or_else(|| not_found(id))?;
    Ok(RequestStatus::parse(&s).ok_or_else(|| corrupt("status"))?)
}

/// Appends a status change. A finished request changes no more.
pub fn set_status(
    conn: &Connection,
    id: i64,
    status: RequestStatus,
    note: &str,
    by: &str,
) -> Result<(), DomainError> {
    let note = optional("note", "The note", note)?;
    let current: Option<String> = conn
        .query_row(
            "SELECT status FROM dsr_status WHERE request_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(c) = current.as_deref().and_then(RequestStatus::parse)
        && c.closed()
    {
        return Err(DomainError::Conflict(format!(
            "Request {id} is {} already; it changes no more.",
            c.as_str()
        )));
    }
    conn.execute(
        "INSERT INTO dsr_status (request_id, status, note, changed_by, changed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, status.as_str(), note, by, now()],
    )?;
    Ok(())
}

fn open_request(conn: &Connection, id: i64) -> Result<NaiveDate, DomainError> {
    let received: String = conn
        .query_row(
            "SELECT received_on FROM dsr_requests WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    if status(conn, id)?.closed() {
        return Err(DomainError::Conflict(format!(
            "Request {id} is finished; it changes no more."
        )));
    }
    Ok(date(received)?)
}

/// Stops the clock from `from` (the day the controller asked).
pub fn pause(
    conn: &Connection,
    id: i64,
    reason: PauseReason,
    from: NaiveDate,
    by: &str,
) -> Result<(), DomainError> {
    let received = open_request(conn, id)?;
    if from < received {
        return Err(validation(
            "from",
            format!(
                "A pause cannot start on {from}, before the request was received ({received})."
            ),
        ));
    }
    if pauses(conn, id)?.iter().any(|p| p.until.is_none()) {
        return Err(DomainError::Conflict(format!(
            "Request {id} is paused already; resume it first (matterbox request resume {id})."
        )));
    }
    if let Some(last) = pauses(conn, id)?.last().and_then(|p| p.until)
        && from < last
    {
        return Err(validation(
            "from",
            format!("A pause cannot start on {from}, before the last one ended ({last})."),
        ));
    }
    conn.execute(
        "INSERT INTO dsr_pauses (request_id, reason, from_on) VALUES (?1, ?2, ?3)",
        params![id, reason.as_str(), from.to_string()],
    )?;
    let status = match reason {
        PauseReason::IdentityCheck => RequestStatus::IdentityCheck,
        PauseReason::Clarification => RequestStatus::AwaitingClarification,
    };
    set_status(conn, id, status, "", by)
}

/// Starts the clock again on `on` (the day the answer came).
pub fn resume(conn: &Connection, id: i64, on: NaiveDate, by: &str) -> Result<(), DomainError> {
    open_request(conn, id)?;
    let open: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, from_on FROM dsr_pauses WHERE request_id = ?1 AND until_on IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((pause_id, from)) = open else {
        return Err(DomainError::Conflict(format!(
            "Request {id} is not paused."
        )));
    };
    if on.to_string() < from {
        return Err(validation(
            "on",
            format!("The answer cannot have come on {on}, before the pause began ({from})."),
        ));
    }
    conn.execute(
        "UPDATE dsr_pauses SET until_on = ?2 WHERE id = ?1",
        params![pause_id, on.to_string()],
    )?;
    set_status(conn, id, RequestStatus::InProgress, "", by)
}

/// Records an extension, checked against the first month.
pub fn extend(conn: &Connection, id: i64, e: &Extension) -> Result<(), DomainError> {
    let received = open_request(conn, id)?;
    let ps = pauses(conn, id)?;
    let clock = deadline(received, &ps, None, received);
    let Some(first) = clock.first_month else {
        return Err(DomainError::Conflict(format!(
            "Request {id} is paused; resume it before extending (the first month's end is not known)."
        )));
    };
    check_extension(received, first, e)?;
    let reasons = crate::notes(e.reasons.trim())?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM dsr_extensions WHERE request_id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if exists {
        return Err(DomainError::Conflict(format!(
            "Request {id} is extended already; a deadline is extended once, by at most two months."
        )));
    }
    conn.execute(
        "INSERT INTO dsr_extensions (request_id, months, announced_on, reasons) VALUES (?1, ?2, ?3, ?4)",
        params![id, e.months, e.announced_on.to_string(), reasons],
    )?;
    Ok(())
}

pub fn pauses(conn: &Connection, id: i64) -> Result<Vec<Pause>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT reason, from_on, until_on FROM dsr_pauses WHERE request_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Pause {
            reason: parse(r.get(0)?, PauseReason::parse, "pause reason")?,
            from: date(r.get(1)?)?,
            until: r.get::<_, Option<String>>(2)?.map(date).transpose()?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn extension(conn: &Connection, id: i64) -> Result<Option<Extension>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT months, announced_on, reasons FROM dsr_extensions WHERE request_id = ?1",
            [id],
            |r| {
                Ok(Extension {
                    months: r.get(0)?,
                    announced_on: date(r.get(1)?)?,
                    reasons: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Saves what a search found: items found before keep their number and
/// marks (their label and detail are brought up to date); new ones are
/// numbered after the last. Returns how many are new.
pub fn save_items(conn: &Connection, id: i64, items: &[NewItem]) -> Result<usize, DomainError> {
    open_request(conn, id)?;
    let mut next: u32 = conn.query_row(
        "SELECT ifnull(max(number), 0) + 1 FROM dsr_items WHERE request_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let at = now();
    let mut added = 0;
    for i in items {
        let changed = conn.execute(
            "UPDATE dsr_items SET label = ?3, detail = ?4 WHERE request_id = ?1 AND ref_key = ?2",
            params![id, i.ref_key, i.label, i.detail],
        )?;
        if changed > 0 {
            continue;
        }
        conn.execute(
            "INSERT INTO dsr_items (request_id, number, source, ref_key, label, detail, client_id, matter_id,
                 matter_number, document_id, found_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id,
                next,
                i.source.as_str(),
                i.ref_key,
                i.label,
                i.detail,
                i.client_id,
                i.matter_id,
                i.matter_number,
                i.document_id,
                at
            ],
        )?;
        next += 1;
        added += 1;
    }
    Ok(added)
}

/// Marks item `number` of request `id` (appended; the newest is in force).
/// Withholding needs its reason; disclosing takes none.
pub fn mark(
    conn: &Connection,
    id: i64,
    number: u32,
    mark: Mark,
    reason: Option<WithholdReason>,
    note: &str,
    by: &str,
) -> Result<(), DomainError> {
    open_request(conn, id)?;
    let note = optional("note", "The note", note)?;
    match (mark, reason) {
        (Mark::Withhold, None) => {
            return Err(validation(
                "reason",
                "Say why it is withheld: privilege, art15-4 (rights of others) or legal-claims.",
            ));
        }
        (Mark::Disclose, Some(_)) => {
            return Err(validation(
                "reason",
                "A disclosed item takes no withholding reason.",
            ));
        }
        _ => {}
    }
    let item: i64 = conn
        .query_row(
            "SELECT id FROM dsr_items WHERE request_id = ?1 AND number = ?2",
            params![id, number],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "found item",
            key: format!("number {number} in request {id}"),
        })?;
    conn.execute(
        "INSERT INTO dsr_marks (item_id, mark, reason, note, marked_by, marked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![item, mark.as_str(), reason.map(WithholdReason::as_str), note, by, now()],
    )?;
    Ok(())
}

fn items(conn: &Connection, id: i64) -> Result<Vec<Item>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, number, source, label, detail, client_id, matter_id, matter_number, document_id, found_at
         FROM dsr_items WHERE request_id = ?1 ORDER BY number",
    )?;
    let rows: Vec<(i64, Item)> = stmt
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                Item {
                    number: r.get(1)?,
                    source: parse(r.get(2)?, ItemSource::parse, "item source")?,
                    label: r.get(3)?,
                    detail: r.get(4)?,
                    client_id: r.get(5)?,
                    matter_id: r.get(6)?,
                    matter_number: r.get(7)?,
                    document_id: r.get(8)?,
                    found_at: r.get(9)?,
                    marks: Vec::new(),
                    mark: None,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut marks = conn.prepare_cached(
        "SELECT mark, reason, note, marked_by, marked_at FROM dsr_marks WHERE item_id = ?1 ORDER BY id",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (item_id, mut item) in rows {
        item.marks = marks
            .query_map([item_id], |r| {
                Ok(MarkRecord {
                    mark: parse(r.get(0)?, Mark::parse, "mark")?,
                    reason: r
                        .get::<_, Option<String>>(1)?
                        .map(|s| parse(s, WithholdReason::parse, "withhold reason"))
                        .transpose()?,
                    note: r.get(2)?,
                    marked_by: r.get(3)?,
                    marked_at: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        item.mark = item.marks.last().map(|m| m.mark);
        out.push(item);
    }
    Ok(out)
}

/// Saves an erasure assessment (replacing none: each is kept with its time).
pub fn save_erasure(conn: &Connection, id: i64, rows: &[ErasureRow]) -> Result<(), DomainError> {
    open_request(conn, id)?;
    for row in rows {
        conn.execute(
            "INSERT INTO dsr_erasure (request_id, assessed_at, kind, target_id, label, outcome, basis, possible_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                row.assessed_at,
                row.kind,
                row.target_id,
                row.label,
                row.outcome.as_str(),
                row.basis,
                row.possible_from.map(|d| d.to_string())
            ],
        )?;
    }
    Ok(())
}

fn erasure(conn: &Connection, id: i64) -> Result<Vec<ErasureRow>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, target_id, label, outcome, basis, possible_from, assessed_at FROM dsr_erasure
         WHERE request_id = ?1 AND assessed_at = (SELECT max(assessed_at) FROM dsr_erasure WHERE request_id = ?1)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(ErasureRow {
            kind: r.get(0)?,
            target_id: r.get(1)?,
            label: r.get(2)?,
            outcome: parse(r.get(3)?, ErasureOutcome::parse, "erasure outcome")?,
            basis: r.get(4)?,
            possible_from: r.get::<_, Option<String>>(5)?.map(date).transpose()?,
            assessed_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn history(conn: &Connection, id: i64) -> Result<Vec<StatusChange>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, note, changed_by, changed_at FROM dsr_status WHERE request_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(StatusChange {
            status: parse(r.get(0)?, RequestStatus::parse, "status")?,
            note: r.get(1)?,
            changed_by: r.get(2)?,
            changed_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Request, DomainError> {
    let head = conn
        .query_row(
            "SELECT kind, requester, relation, also_known, received_on, notes, created_by, created_at
             FROM dsr_requests WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    parse(r.get(0)?, RequestKind::parse, "request kind")?,
                    r.get::<_, String>(1)?,
                    parse(r.get(2)?, Relation::parse, "relation")?,
                    r.get::<_, String>(3)?,
                    date(r.get(4)?)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    let (kind, requester, relation, also, received_on, notes, created_by, created_at) = head;
    let history = history(conn, id)?;
    Ok(Request {
        id,
        kind,
        requester,
        relation,
        also_known: serde_json::from_str(&also).unwrap_or_default(),
        received_on,
        notes,
        created_by,
        created_at,
        status: history
            .last()
            .map(|h| h.status)
            .unwrap_or(RequestStatus::Received),
        history,
        pauses: pauses(conn, id)?,
        extension: extension(conn, id)?,
        items: items(conn, id)?,
        erasure: erasure(conn, id)?,
    })
}

/// Every request, newest received first.
pub fn list(conn: &Connection) -> Result<Vec<RequestSummary>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.kind, r.requester, r.relation, r.received_on,
                (SELECT status FROM dsr_status s WHERE s.request_id = r.id ORDER BY s.id DESC LIMIT 1),
                (SELECT count(*) FROM dsr_items i WHERE i.request_id = r.id),
                (SELECT count(*) FROM dsr_items i WHERE i.request_id = r.id
                    AND NOT EXISTS (SELECT 1 FROM dsr_marks m WHERE m.item_id = i.id))
         FROM dsr_requests r ORDER BY r.received_on DESC, r.id DESC",
    )?;
    let rows: Vec<RequestSummary> = stmt
        .query_map([], |r| {
            Ok(RequestSummary {
                id: r.get(0)?,
                kind: parse(r.get(1)?, RequestKind::parse, "request kind")?,
                requester: r.get(2)?,
                relation: parse(r.get(3)?, Relation::parse, "relation")?,
                received_on: date(r.get(4)?)?,
                status: parse(r.get(5)?, RequestStatus::parse, "status")?,
                items: r.get(6)?,
                unmarked: r.get(7)?,
                pauses: Vec::new(),
                extension: None,
            })
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|mut s| {
            s.pauses = pauses(conn, s.id)?;
            s.extension = extension(conn, s.id)?;
            Ok(s)
        })
        .collect()
}

/// Free text that may name a person: client notes, matter notes and the
/// matter timeline's entries.
#[derive(Clone, Debug)]
pub struct NoteSource {
    pub ref_key: String,
    pub label: String,
    pub client_id: Option<i64>,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    pub text: String,
}

pub fn note_sources(conn: &Connection) -> Result<Vec<NoteSource>, DomainError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare("SELECT id, name, notes FROM clients WHERE notes <> ''")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (id, name, text) = row?;
        out.push(NoteSource {
            ref_key: format!("note:client:{id}"),
            label: format!("Notes on client {name}"),
            client_id: Some(id),
            matter_id: None,
            matter_number: None,
            text,
        });
    }
    let mut stmt =
        conn.prepare("SELECT id, number, client_id, notes FROM matters WHERE notes <> ''")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })? {
        let (id, number, client, text) = row?;
        out.push(NoteSource {
            ref_key: format!("note:matter:{id}"),
            label: format!("Notes of matter {number}"),
            client_id: Some(client),
            matter_id: Some(id),
            matter_number: Some(number),
            text,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT e.id, e.occurred_on, e.description, m.id, m.number, m.client_id
         FROM matter_events e JOIN matters m ON m.id = e.matter_id",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })? {
        let (id, on, text, matter, number, client) = row?;
        out.push(NoteSource {
            ref_key: format!("note:event:{id}"),
            label: format!("Timeline of matter {number}, {on}"),
            client_id: Some(client),
            matter_id: Some(matter),
            matter_number: Some(number),
            text,
        });
    }
    Ok(out)
}

/// The matters of a client, oldest first.
pub fn client_matters(conn: &Connection, client_id: i64) -> Result<Vec<i64>, DomainError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM matters WHERE client_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([client_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Requests whose found items are client `client_id`'s records (its own
/// record, or a matter or document of its), by id.
pub fn requests_of_client(conn: &Connection, client_id: i64) -> Result<Vec<i64>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT i.request_id FROM dsr_items i LEFT JOIN matters m ON m.id = i.matter_id
         WHERE i.client_id = ?1 OR m.client_id = ?1 ORDER BY i.request_id",
    )?;
    let rows = stmt.query_map([client_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A matter's documents (trash included): id, title, the day added.
pub fn matter_documents(
    conn: &Connection,
    matter_id: i64,
) -> Result<Vec<(i64, String, NaiveDate)>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, substr(created_at, 1, 10) FROM documents WHERE matter_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([matter_id], |r| {
        Ok((r.get(0)?, r.get(1)?, date(r.get(2)?)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The day a deferral puts a matter or document off until, if any.
pub fn deferred_until(
    conn: &Connection,
    kind: crate::retention::DisposalKind,
    id: i64,
) -> Result<Option<NaiveDate>, DomainError> {
    let until: Option<String> = conn
        .query_row(
            "SELECT until FROM retention_deferrals WHERE kind = ?1 AND target_id = ?2",
            params![kind, id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(until.map(date).transpose()?)
}

/// The active holds on a matter, its client, or one of its documents
/// (`document`: only that document's own hold counts with the matter's).
pub fn holds_on(
    conn: &Connection,
    matter_id: i64,
    document: Option<i64>,
) -> Result<Vec<i64>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.id FROM legal_holds h JOIN matters m ON m.id = ?1
         WHERE h.released_at IS NULL AND ((h.target = 'matter' AND h.target_id = m.id)
               OR (h.target = 'client' AND h.target_id = m.client_id)
               OR (h.target = 'document' AND (?2 IS NULL AND h.target_id IN (SELECT id FROM documents WHERE matter_id = m.id)
                                              OR h.target_id = ?2)))
         ORDER BY h.id",
    )?;
    let rows = stmt.query_map(params![matter_id, document], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The deadline of a request received on `received` with `pauses`
    /// (`from..until` pairs) and `extension` months, against `expect`.
    #[track_caller]
    fn check(
        received: &str,
        pauses: &[(&str, Option<&str>)],
        ext: Option<u32>,
        expect: Option<&str>,
    ) {
        let pauses: Vec<Pause> = pauses
            .iter()
            .map(|(f, u)| Pause {
                reason: PauseReason::IdentityCheck,
                from: d(f),
                until: u.map(d),
            })
            .collect();
        let ext = ext.map(|months| Extension {
            months,
            announced_on: d(received),
            reasons: "complex".into(),
        });
        let got = deadline(d(received), &pauses, ext.as_ref(), d(received));
        assert_eq!(got.due_on, expect.map(d), "{received} {pauses:?} {ext:?}");
    }

    #[test]
    fn the_one_month_rule() {
        // Same date next month; the day of receipt counts.
        check("2026-03-10", &[], None, Some("2026-04-10"));
        check("2026-06-15", &[], None, Some("2026-07-15"));
        // No such date: that month's last day.
        check("2025-01-31", &[], None, Some("2025-02-28"));
        check("2024-01-31", &[], None, Some("2024-02-29"));
        check("2028-01-31", &[], None, Some("2028-02-29"));
        check("2026-03-31", &[], None, Some("2026-04-30"));
        // A Saturday or Sunday rolls to Monday (holidays are not modelled).
        check("2026-01-31", &[], None, Some("2026-03-02")); // 28 Feb 2026, a Saturday
        check("2027-01-31", &[], None, Some("2027-03-01")); // 28 Feb 2027, a Sunday
        check("2026-03-05", &[], None, Some("2026-04-06")); // 5 April 2026, a Sunday
    }

    #[test]
    fn pauses_add_the_days_the_clock_stood_still() {
        // Asked on the 20th, answered on the 22nd: two days did not count.
        check(
            "2026-06-15",
            &[("2026-06-20", Some("2026-06-22"))],
            None,
            Some("2026-07-17"),
        );
        // Answered the same day: nothing is added.
        check(
            "2026-06-15",
            &[("2026-06-20", Some("2026-06-20"))],
            None,
            Some("2026-07-15"),
        );
        // Two pauses add up, then a weekend rolls: 15 + 3 = Saturday 18th → Monday.
        check(
            "2026-06-15",
            &[
                ("2026-06-16", Some("2026-06-17")),
                ("2026-06-20", Some("2026-06-22")),
            ],
            None,
            Some("2026-07-20"),
        );
        // Waiting for the answer: the clock stands, no deadline.
        check("2026-06-15", &[("2026-06-20", None)], None, None);
        // A pause across the month's end counts the same.
        check(
            "2025-01-31",
            &[("2025-02-27", Some("2025-03-03"))],
            None,
            Some("2025-03-04"),
        );
    }

    #[test]
    fn extensions_add_one_or_two_months_from_receipt() {
        check("2026-06-30", &[], Some(2), Some("2026-09-30")); // three months in all
        check("2026-03-31", &[], Some(1), Some("2026-06-01")); // 31 May, a Sunday → Monday
        // Three months from 30 November: 28 February 2026, a Saturday.
        check("2025-11-30", &[], Some(2), Some("2026-03-02"));
        // Three months from 31 October: 31 January 2026, a Saturday.
        check("2025-10-31", &[], Some(2), Some("2026-02-02"));
        check("2025-12-31", &[], Some(1), Some("2026-03-02")); // 28 Feb 2026 (Saturday) → Monday
        check(
            "2026-06-15",
            &[("2026-06-20", Some("2026-06-22"))],
            Some(2),
            Some("2026-09-17"),
        );
    }

    #[test]
    fn an_extension_is_announced_within_the_first_month_with_reasons_for_at_most_two_months() {
        let received = d("2026-01-31");
        let first = deadline(received, &[], None, received).first_month.unwrap();
        assert_eq!(first, d("2026-03-02"));
        let ext = |months, on: &str, reasons: &str| Extension {
            months,
            announced_on: d(on),
            reasons: reasons.into(),
        };
        let ok = |e: Extension| check_extension(received, first, &e).is_ok();
        assert!(ok(ext(2, "2026-03-02", "many documents")));
        assert!(ok(ext(1, "2026-01-31", "many documents")));
        assert!(!ok(ext(2, "2026-03-03", "many documents")), "too late");
        assert!(
            !ok(ext(2, "2026-01-30", "many documents")),
            "before receipt"
        );
        assert!(!ok(ext(3, "2026-02-10", "many documents")), "three months");
        assert!(!ok(ext(0, "2026-02-10", "many documents")), "no months");
        assert!(!ok(ext(1, "2026-02-10", "  ")), "no reasons");
    }

    #[test]
    fn days_left_and_overdue() {
        let c = deadline(d("2026-03-10"), &[], None, d("2026-04-08"));
        assert_eq!((c.days_left, c.overdue), (Some(2), false));
        let c = deadline(d("2026-03-10"), &[], None, d("2026-04-11"));
        assert_eq!((c.days_left, c.overdue), (Some(-1), true));
    }

    #[test]
    fn history_and_marks_are_kept_and_finished_requests_change_no_more() {
        let (_dir, conn) = db();
        let id = create(
            &conn,
            &RequestInput {
                kind: RequestKind::Access,
                requester: " Ottilie Fictional-Quist ".into(),
                relation: Relation::OpposingParty,
                also_known: vec!["Tilly Quist".into()],
                received_on: d("2026-03-10"),
                notes: String::new(),
            },
            "lawyer",
            d("2026-03-20"),
        )
        .unwrap();
        pause(
            &conn,
            id,
            PauseReason::IdentityCheck,
            d("2026-03-11"),
            "lawyer",
        )
        .unwrap();
        assert!(
            pause(
                &conn,
                id,
                PauseReason::Clarification,
                d("2026-03-12"),
                "lawyer"
            )
            .is_err()
        );
        assert!(
            resume(&conn, id, d("2026-03-10"), "lawyer").is_err(),
            "before the pause"
        );
        resume(&conn, id, d("2026-03-14"), "lawyer").unwrap();
        save_items(
            &conn,
            id,
            &[NewItem {
                source: ItemSource::Client,
                ref_key: "client:1".into(),
                label: "Ottilie Fictional-Quist".into(),
                detail: String::new(),
                client_id: Some(1),
                matter_id: None,
                matter_number: None,
                document_id: None,
            }],
        )
        .unwrap();
        assert!(mark(&conn, id, 1, Mark::Withhold, None, "", "lawyer").is_err());
        mark(
            &conn,
            id,
            1,
            Mark::Withhold,
            Some(WithholdReason::Privilege),
            "",
            "lawyer",
        )
        .unwrap();
        mark(&conn, id, 1, Mark::Disclose, None, "", "lawyer").unwrap();
        assert!(mark(&conn, id, 2, Mark::Disclose, None, "", "lawyer").is_err());
        let r = get(&conn, id).unwrap();
        assert_eq!(r.requester, "Ottilie Fictional-Quist");
        assert_eq!(r.items[0].marks.len(), 2);
        assert_eq!(r.items[0].mark, Some(Mark::Disclose));
        let statuses: Vec<_> = r.history.iter().map(|h| h.status).collect();
        assert_eq!(
            statuses,
            [
                RequestStatus::Received,
                RequestStatus::IdentityCheck,
                RequestStatus::InProgress
            ]
        );
        assert!(
            conn.execute("UPDATE dsr_status SET status = 'answered'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM dsr_marks", []).is_err());
        set_status(&conn, id, RequestStatus::Answered, "", "lawyer").unwrap();
        assert!(set_status(&conn, id, RequestStatus::InProgress, "", "lawyer").is_err());
        assert!(mark(&conn, id, 1, Mark::Disclose, None, "", "lawyer").is_err());
        // Bad input is refused, nothing saved.
        let bad = RequestInput {
            kind: RequestKind::Erasure,
            requester: "\u{200b}".into(),
            relation: Relation::Other,
            also_known: vec![],
            received_on: d("2026-03-10"),
            notes: String::new(),
        };
        assert!(create(&conn, &bad, "lawyer", d("2026-03-20")).is_err());
        let future = RequestInput {
            requester: "Ottilie Fictional-Quist".into(),
            received_on: d("2026-03-21"),
            ..bad
        };
        assert!(create(&conn, &future, "lawyer", d("2026-03-20")).is_err());
        assert_eq!(list(&conn).unwrap().len(), 1);
    }
}
