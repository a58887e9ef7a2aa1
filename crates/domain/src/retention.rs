//! Retention: how long a matter's file is kept, holds that stop
//! destruction, and the destruction register. The rules (`add_period`,
//! `due_on`) are pure and take "today" from the caller's clock.

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, now, required, validation};

/// What starts a policy's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The matter's closing date: the whole matter is due at once.
    MatterClosed,
    /// The date each document was added: documents are due one by one.
    DateAdded,
    /// Never due.
    Permanent,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::MatterClosed => "matter_closed",
            Trigger::DateAdded => "date_added",
            Trigger::Permanent => "permanent",
        }
    }

    fn parse(s: &str) -> Trigger {
        match s {
            "matter_closed" => Trigger::MatterClosed,
            "date_added" => Trigger::DateAdded,
            _ => Trigger::Permanent,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: i64,
    pub name: String,
    pub trigger: Trigger,
    pub years: u32,
    pub months: u32,
    /// Destroy due items without approval. Dangerous: off unless a user
    /// turns it on for this policy explicitly.
    pub danger_destroy_without_approval: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInput {
    pub name: String,
    pub trigger: Option<Trigger>,
    #[serde(default)]
    pub years: u32,
    #[serde(default)]
    pub months: u32,
    #[serde(default)]
    pub danger_destroy_without_approval: bool,
}

/// A change to a policy: each field `None` leaves it as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPatch {
    pub name: Option<String>,
    pub trigger: Option<Trigger>,
    pub years: Option<u32>,
    pub months: Option<u32>,
    pub danger_destroy_without_approval: Option<bool>,
}

impl PolicyPatch {
    /// A patch that replaces every field with `input`'s (a missing trigger
    /// is "after the matter closes", as when a policy is created).
    pub fn replacing(input: &PolicyInput) -> PolicyPatch {
        PolicyPatch {
            name: Some(input.name.clone()),
            trigger: Some(input.trigger.unwrap_or(Trigger::MatterClosed)),
            years: Some(input.years),
            months: Some(input.months),
            danger_destroy_without_approval: Some(input.danger_destroy_without_approval),
        }
    }

    /// What `old` becomes (not yet validated). A policy made permanent
    /// drops its period unless the patch gives one (which is then refused:
    /// a permanent policy has no period).
    pub fn apply(&self, old: &Policy) -> PolicyInput {
        let trigger = self.trigger.unwrap_or(old.trigger);
        let kept = |given: Option<u32>, old: u32| {
            given.unwrap_or(if trigger == Trigger::Permanent {
                0
            } else {
                old
            })
        };
        PolicyInput {
            name: self.name.clone().unwrap_or_else(|| old.name.clone()),
            trigger: Some(trigger),
            years: kept(self.years, old.years),
            months: kept(self.months, old.months),
            danger_destroy_without_approval: self
                .danger_destroy_without_approval
                .unwrap_or(old.danger_destroy_without_approval),
        }
    }
}

/// `date` plus a number of years and months; a day past the end of the
/// target month becomes its last day (29 February + 1 year = 28 February).
pub fn add_period(date: NaiveDate, years: u32, months: u32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + (years * 12 + months) as i32;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut day = date.day();
    loop {
        if let Some(d) = NaiveDate::from_ymd_opt(y, m0 + 1, day) {
            return d;
        }
        day -= 1;
    }
}

/// When an item under `policy` is due, from the date its clock started.
/// `None`: never (permanent) or not yet started (an open or reopened
/// matter: reopening suspends the clock).
pub fn due_on(policy: &Policy, started: Option<NaiveDate>) -> Option<NaiveDate> {
    match policy.trigger {
        Trigger::Permanent => None,
        _ => started.map(|d| add_period(d, policy.years, policy.months)),
    }
}

/// The latest start date whose due date is on or before `today`.
pub fn latest_start_due(policy: &Policy, today: NaiveDate) -> Option<NaiveDate> {
    if policy.trigger == Trigger::Permanent {
        return None;
    }
    // Go back the period, then forward while still due (clamping makes
    // several start dates share one due date).
    let total =
        today.year() * 12 + today.month0() as i32 - (policy.years * 12 + policy.months) as i32;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut d = NaiveDate::from_ymd_opt(y, m0 + 1, 1)?;
    // The first of that month is due (its due date is the first of today's month).
    while let Some(next) = d.succ_opt() {
        if add_period(next, policy.years, policy.months) <= today {
            d = next;
        } else {
            break;
        }
    }
    Some(d)
}

fn policy_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Policy> {
    Ok(Policy {
        id: r.get(0)?,
        name: r.get(1)?,
        trigger: Trigger::parse(&r.get::<_, String>(2)?),
        years: r.get(3)?,
        months: r.get(4)?,
        danger_destroy_without_approval: r.get(5)?,
    })
}

const POLICY_COLUMNS: &str = "id, name, trigger, years, months, danger_destroy_without_approval";

pub fn policies(conn: &Connection) -> Result<Vec<Policy>, DomainError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {POLICY_COLUMNS} FROM retention_policies ORDER BY name COLLATE NOCASE"
    ))?;
    let rows = stmt.query_map([], policy_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn policy(conn: &Connection, id: i64) -> Result<Policy, DomainError> {
    conn.query_row(
        &format!("SELECT {POLICY_COLUMNS} FROM retention_policies WHERE id = ?1"),
        [id],
        policy_row,
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "retention policy",
        key: format!("id {id}"),
    })
}

fn check_input(input: &PolicyInput) -> Result<(String, Trigger), DomainError> {
    let name = required("name", "The policy name", &input.name)?;
    let trigger = input.trigger.unwrap_or(Trigger::MatterClosed);
    if trigger != Trigger::Permanent && input.years == 0 && input.months == 0 {
        return Err(validation(
            "years",
            "Give how long to keep: years and/or months, or choose \u{201c}keep permanently\u{201d}.",
        ));
    }
    if trigger == Trigger::Permanent && (input.years > 0 || input.months > 0) {
        return Err(validation(
            "years",
            "A permanent policy keeps forever, so it has no period: leave years and months at 0, or choose when the clock starts.",
        ));
    }
    if u64::from(input.years) * 12 + u64::from(input.months) > 200 * 12 {
        return Err(validation("years", "That period is longer than 200 years."));
    }
    if trigger == Trigger::Permanent && input.danger_destroy_without_approval {
        return Err(validation(
            "danger_destroy_without_approval",
            "A permanent policy never destroys.",
        ));
    }
    Ok((name, trigger))
}

pub fn create_policy(conn: &Connection, input: &PolicyInput) -> Result<i64, DomainError> {
    let (name, trigger) = check_input(input)?;
    conn.execute(
        "INSERT INTO retention_policies (name, trigger, years, months, danger_destroy_without_approval, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, trigger.as_str(), input.years, input.months, input.danger_destroy_without_approval, now()],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            DomainError::Conflict(format!("A policy named \u{201c}{name}\u{201d} exists already."))
        }
        e => e.into(),
    })?;
    Ok(conn.last_insert_rowid())
}

pub fn update_policy(conn: &Connection, id: i64, input: &PolicyInput) -> Result<(), DomainError> {
    policy(conn, id)?;
    let (name, trigger) = check_input(input)?;
    conn.execute(
        "UPDATE retention_policies SET name = ?2, trigger = ?3, years = ?4, months = ?5,
                danger_destroy_without_approval = ?6 WHERE id = ?1",
        params![
            id,
            name,
            trigger.as_str(),
            input.years,
            input.months,
            input.danger_destroy_without_approval
        ],
    )?;
    Ok(())
}

/// Changes policy `id` by `patch`, merged with what it is now and
/// checked as a whole (as a new policy would be).
pub fn edit_policy(conn: &Connection, id: i64, patch: &PolicyPatch) -> Result<(), DomainError> {
    let old = policy(conn, id)?;
    update_policy(conn, id, &patch.apply(&old))
}

/// A matter's effective policy and whether it is the matter's own (`true`)
/// or its practice area's.
pub fn matter_policy(
    conn: &Connection,
    matter_id: i64,
) -> Result<Option<(Policy, bool)>, DomainError> {
    let (own, area): (Option<i64>, String) = conn
        .query_row(
            "SELECT retention_policy_id, practice_area FROM matters WHERE id = ?1",
            [matter_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "matter",
            key: format!("id {matter_id}"),
        })?;
    if let Some(id) = own {
        return Ok(Some((policy(conn, id)?, true)));
    }
    let area: Option<i64> = conn
        .query_row(
            "SELECT policy_id FROM practice_area_policies WHERE practice_area = ?1 COLLATE NOCASE",
            [&area],
            |r| r.get(0),
        )
        .optional()?;
    area.map(|id| Ok((policy(conn, id)?, false))).transpose()
}

/// The policy of a practice area, if it has one.
pub fn area_policy(conn: &Connection, area: &str) -> Result<Option<Policy>, DomainError> {
    let id: Option<i64> = conn
        .query_row(
            "SELECT policy_id FROM practice_area_policies WHERE practice_area = ?1 COLLATE NOCASE",
            [area.trim()],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| policy(conn, id)).transpose()
}

/// Sets (or clears) the policy of a practice area.
pub fn set_area_policy(
    conn: &Connection,
    area: &str,
    policy_id: Option<i64>,
) -> Result<(), DomainError> {
    let area = required("practice_area", "The practice area", area)?;
    match policy_id {
        Some(p) => {
            policy(conn, p)?;
            conn.execute(
                "INSERT INTO practice_area_policies (practice_area, policy_id) VALUES (?1, ?2)
                 ON CONFLICT (practice_area) DO UPDATE SET policy_id = excluded.policy_id",
                params![area, p],
            )?;
        }
        None => {
            conn.execute(
                "DELETE FROM practice_area_policies WHERE practice_area = ?1",
                [area],
            )?;
        }
    }
    Ok(())
}

/// Sets (or clears) a matter's own policy, overriding its practice area's.
pub fn set_matter_policy(
    conn: &Connection,
    matter_id: i64,
    policy_id: Option<i64>,
) -> Result<(), DomainError> {
    crate::matters::get(conn, matter_id)?;
    if let Some(p) = policy_id {
        policy(conn, p)?;
    }
    conn.execute(
        "UPDATE matters SET retention_policy_id = ?2 WHERE id = ?1",
        params![matter_id, policy_id],
    )?;
    Ok(())
}

/// What can be held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HoldTarget {
    Client,
    Matter,
    Document,
}

impl HoldTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldTarget::Client => "client",
            HoldTarget::Matter => "matter",
            HoldTarget::Document => "document",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub id: i64,
    pub target: HoldTarget,
    pub target_id: i64,
    pub reason: String,
    pub placed_on: String,
    pub placed_at: String,
    /// What is held, named for people ("matter 2026-0001 “Lease” · Ada
    /// Fictional").
    pub subject: String,
}

pub fn place_hold(
    conn: &Connection,
    target: HoldTarget,
    target_id: i64,
    reason: &str,
    on: NaiveDate,
) -> Result<Hold, DomainError> {
    let reason = required("reason", "The reason for the hold", reason)?;
    let exists: bool = conn.query_row(
        match target {
            HoldTarget::Client => "SELECT count(*) FROM clients WHERE id = ?1",
            HoldTarget::Matter => "SELECT count(*) FROM matters WHERE id = ?1",
            HoldTarget::Document => "SELECT count(*) FROM documents WHERE id = ?1",
        },
        [target_id],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !exists {
        return Err(DomainError::NotFound {
            what: "record to hold",
            key: format!("{} {target_id}", target.as_str()),
        });
    }
    conn.execute(
        "INSERT INTO legal_holds (target, target_id, reason, placed_on, placed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![target.as_str(), target_id, reason, on.to_string(), now()],
    )?;
    Ok(conn.query_row(
        &format!("SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = ?1"),
        [conn.last_insert_rowid()],
        hold_row,
    )?)
}

/// A hold's columns, and what it holds named for people: the matter by
/// number, title and client, a document by title and its matter, a
/// client by name (never an internal id alone).
const HOLD_COLUMNS: &str = "id, target, target_id, reason, placed_on, placed_at,
    coalesce(CASE target
        WHEN 'client' THEN (SELECT 'client ' || name FROM clients WHERE id = target_id)
        WHEN 'matter' THEN (SELECT 'matter ' || m.number || ' “' || m.title || '” · ' || c.name
                            FROM matters m JOIN clients c ON c.id = m.client_id WHERE m.id = target_id)
        ELSE (SELECT '“' || d.title || '” in matter ' || m.number || ' “' || m.title || '” · ' || c.name
              FROM documents d JOIN matters m ON m.id = d.matter_id JOIN clients c ON c.id = m.client_id
              WHERE d.id = target_id)
    END, target || ' ' || target_id)";

fn hold_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Hold> {
    Ok(Hold {
        id: r.get(0)?,
        target: match r.get::<_, String>(1)?.as_str() {
            "client" => HoldTarget::Client,
            "matter" => HoldTarget::Matter,
            _ => HoldTarget::Document,
        },
        target_id: r.get(2)?,
        reason: r.get(3)?,
        placed_on: r.get(4)?,
        placed_at: r.get(5)?,
        subject: r.get(6)?,
    })
}

pub fn release_hold(conn: &Connection, id: i64) -> Result<Hold, DomainError> {
    let hold = holds(conn)?
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| DomainError::NotFound {
            what: "active hold",
            key: format!("id {id}"),
        })?;
    conn.execute(
        "UPDATE legal_holds SET released_at = ?2 WHERE id = ?1",
        params![id, now()],
    )?;
    Ok(hold)
}

/// Active holds.
pub fn holds(conn: &Connection) -> Result<Vec<Hold>, DomainError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE released_at IS NULL ORDER BY id"
    ))?;
    let rows = stmt.query_map([], hold_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What retention disposes of: a whole matter (with all its documents) or
/// one document. Stored as `matter` / `document` (deferrals, the register).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DisposalKind {
    Matter,
    Document,
}

impl DisposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DisposalKind::Matter => "matter",
            DisposalKind::Document => "document",
        }
    }
}

impl std::fmt::Display for DisposalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl rusqlite::types::ToSql for DisposalKind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for DisposalKind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match v.as_str()? {
            "matter" => Ok(DisposalKind::Matter),
            "document" => Ok(DisposalKind::Document),
            _ => Err(rusqlite::types::FromSqlError::InvalidType),
        }
    }
}

/// A matter or document due for destruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DueItem {
    pub kind: DisposalKind,
    pub id: i64,
    pub matter_id: i64,
    pub matter_number: String,
    pub title: String,
    pub policy: String,
    pub due_on: String,
    /// Why it is due, in words.
    pub reason: String,
    pub danger_destroy_without_approval: bool,
    /// What a destruction of it takes, so an approval shows its scope: the
    /// matter's client, the titles of every document that goes (a
    /// matter's, trash included; or the one document), and whether the
    /// client goes too (its last matter, not held).
    pub client_name: String,
    pub documents: Vec<String>,
    pub client_goes_too: bool,
}

/// Everything due on `today`: closed matters past their policy's period,
/// documents past a date-added policy's, minus anything held (the
/// document, its matter or its client) or deferred past today.
pub fn due(conn: &Connection, today: NaiveDate) -> Result<Vec<DueItem>, DomainError> {
    let today_s = today.to_string();
    let mut out = Vec::new();
    // Each matter's effective policy: its own, else its practice area's.
    let mut stmt = conn.prepare(
        "SELECT m.id, m.number, m.title, m.closed_on, p.id
         FROM matters m
         JOIN retention_policies p ON p.id = coalesce(m.retention_policy_id,
             (SELECT policy_id FROM practice_area_policies a WHERE a.practice_area = m.practice_area COLLATE NOCASE))
         WHERE NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
                 AND ((h.target = 'matter' AND h.target_id = m.id) OR (h.target = 'client' AND h.target_id = m.client_id)))
           AND NOT EXISTS (SELECT 1 FROM retention_deferrals d WHERE d.kind = 'matter' AND d.target_id = m.id AND d.until > ?1)",
    )?;
    let matters: Vec<(i64, String, String, Option<String>, i64)> = stmt
        .query_map([&today_s], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let policies: std::collections::HashMap<i64, Policy> =
        policies(conn)?.into_iter().map(|p| (p.id, p)).collect();
    for (id, number, title, closed_on, policy_id) in matters {
        let Some(policy) = policies.get(&policy_id) else {
            continue;
        };
        match policy.trigger {
            Trigger::MatterClosed => {
                let closed = closed_on
                    .as_deref()
                    .and_then(|d| d.parse::<NaiveDate>().ok());
                if let Some(due) = due_on(policy, closed)
                    && due <= today
                {
                    out.push(DueItem {
                        kind: DisposalKind::Matter,
                        id,
                        matter_id: id,
                        matter_number: number.clone(),
                        title: title.clone(),
                        policy: policy.name.clone(),
                        due_on: due.to_string(),
                        reason: format!(
                            "Closed on {}; \u{201c}{}\u{201d} keeps it {} after closing.",
                            closed.map(|c| c.to_string()).unwrap_or_default(),
                            policy.name,
                            period_words(policy)
                        ),
                        danger_destroy_without_approval: policy.danger_destroy_without_approval,
                        client_name: String::new(),
                        documents: Vec::new(),
                        client_goes_too: false,
                    });
                }
            }
            Trigger::DateAdded => {
                let Some(cutoff) = latest_start_due(policy, today) else {
                    continue;
                };
                let mut docs = conn.prepare_cached(
                    "SELECT d.id, d.title, substr(d.created_at, 1, 10) FROM documents d
                     WHERE d.matter_id = ?1 AND substr(d.created_at, 1, 10) <= ?2
                       AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
                             AND h.target = 'document' AND h.target_id = d.id)
                       AND NOT EXISTS (SELECT 1 FROM retention_deferrals x WHERE x.kind = 'document'
                             AND x.target_id = d.id AND x.until > ?3)
                     ORDER BY d.id",
                )?;
                let rows = docs.query_map(params![id, cutoff.to_string(), &today_s], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?;
                for row in rows {
                    let (doc, doc_title, added) = row?;
                    let due = added
                        .parse::<NaiveDate>()
                        .ok()
                        .and_then(|a| due_on(policy, Some(a)))
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    out.push(DueItem {
                        kind: DisposalKind::Document,
                        id: doc,
                        matter_id: id,
                        matter_number: number.clone(),
                        title: doc_title,
                        policy: policy.name.clone(),
                        due_on: due,
                        reason: format!(
                            "Added on {added}; \u{201c}{}\u{201d} keeps documents {} after adding.",
                            policy.name,
                            period_words(policy)
                        ),
                        danger_destroy_without_approval: policy.danger_destroy_without_approval,
                        client_name: String::new(),
                        documents: Vec::new(),
                        client_goes_too: false,
                    });
                }
            }
            Trigger::Permanent => {}
        }
    }
    for item in &mut out {
        fill_scope(conn, item)?;
    }
    Ok(out)
}

/// What destroying `item` takes with it (see [`DueItem::documents`]).
fn fill_scope(conn: &Connection, item: &mut DueItem) -> Result<(), DomainError> {
    let (client_id, client_name): (i64, String) = conn.query_row(
        "SELECT c.id, c.name FROM matters m JOIN clients c ON c.id = m.client_id WHERE m.id = ?1",
        [item.matter_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    item.client_name = client_name;
    match item.kind {
        DisposalKind::Document => item.documents = vec![item.title.clone()],
        DisposalKind::Matter => {
            item.documents = conn
                .prepare_cached("SELECT title FROM documents WHERE matter_id = ?1 ORDER BY title")?
                .query_map([item.matter_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            item.client_goes_too = conn.query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM matters WHERE client_id = ?1 AND id <> ?2)
                    AND NOT EXISTS (SELECT 1 FROM legal_holds WHERE released_at IS NULL
                        AND target = 'client' AND target_id = ?1)",
                [client_id, item.matter_id],
                |r| r.get(0),
            )?;
        }
    }
    Ok(())
}

fn period_words(p: &Policy) -> String {
    let mut parts = Vec::new();
    if p.years > 0 {
        parts.push(format!(
            "{} year{}",
            p.years,
            if p.years == 1 { "" } else { "s" }
        ));
    }
    if p.months > 0 {
        parts.push(format!(
            "{} month{}",
            p.months,
            if p.months == 1 { "" } else { "s" }
        ));
    }
    parts.join(" and ")
}

/// Puts a matter or document off until `until`, which must come after
/// `today` (the caller's clock): an item deferred until today or before
/// is due anyway, so such a date is a mistake.
pub fn defer(
    conn: &Connection,
    kind: DisposalKind,
    id: i64,
    until: NaiveDate,
    today: NaiveDate,
) -> Result<(), DomainError> {
    if until <= today {
        return Err(validation(
            "until",
            format!(
                "Defer until a date after today ({today}); {until} {} already.",
                if until < today {
                    "has passed"
                } else {
                    "is today"
                }
            ),
        ));
    }
    let exists: bool = conn.query_row(
        match kind {
            DisposalKind::Matter => "SELECT EXISTS (SELECT 1 FROM matters WHERE id = ?1)",
            DisposalKind::Document => "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
        },
        [id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(DomainError::NotFound {
            what: kind.as_str(),
            key: format!("id {id}"),
        });
    }
    conn.execute(
        "INSERT INTO retention_deferrals (kind, target_id, until) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind, target_id) DO UPDATE SET until = excluded.until",
        params![kind, id, until.to_string()],
    )?;
    Ok(())
}

/// Whether a document is held (itself, its matter or its client).
pub fn document_held(conn: &Connection, document_id: i64) -> Result<bool, DomainError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM legal_holds h JOIN documents d ON d.id = ?1
                JOIN matters m ON m.id = d.matter_id
         WHERE h.released_at IS NULL AND ((h.target = 'document' AND h.target_id = d.id)
               OR (h.target = 'matter' AND h.target_id = m.id) OR (h.target = 'client' AND h.target_id = m.client_id)))",
        [document_id],
        |r| r.get(0),
    )?)
}

pub fn matter_held(conn: &Connection, matter_id: i64) -> Result<bool, DomainError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM legal_holds h JOIN matters m ON m.id = ?1
         WHERE h.released_at IS NULL AND ((h.target = 'matter' AND h.target_id = m.id)
               OR (h.target = 'client' AND h.target_id = m.client_id)
               OR (h.target = 'document' AND h.target_id IN (SELECT id FROM documents WHERE matter_id = m.id))))",
        [matter_id],
        |r| r.get(0),
    )?)
}

/// A destruction register entry: what was destroyed, under which policy,
/// approved by whom. The table refuses UPDATE and DELETE (triggers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RegisterEntry {
    pub id: i64,
    pub kind: DisposalKind,
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

/// A register entry to write; its destruction time is its approval time.
pub struct NewRegisterEntry<'a> {
    pub kind: DisposalKind,
    pub matter_number: &'a str,
    pub title: Option<&'a str>,
    pub title_sha256: &'a str,
    pub content_sha256: Option<&'a str>,
    pub opened_on: Option<&'a str>,
    pub closed_on: Option<&'a str>,
    pub added_on: Option<&'a str>,
    pub policy: &'a str,
    pub approved_by: &'a str,
    pub approved_at: &'a str,
    pub method: &'a str,
    pub certificate: &'a str,
}

/// Writes a register entry; returns its id.
pub fn add_register_entry(conn: &Connection, e: &NewRegisterEntry<'_>) -> Result<i64, DomainError> {
    conn.execute(
        "INSERT INTO destruction_register (kind, matter_number, title, title_sha256, content_sha256,
            opened_on, closed_on, added_on, policy, approved_by, approved_at, destroyed_at, method, certificate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)",
        params![
            e.kind,
            e.matter_number,
            e.title,
            e.title_sha256,
            e.content_sha256,
            e.opened_on,
            e.closed_on,
            e.added_on,
            e.policy,
            e.approved_by,
            e.approved_at,
            e.method,
            e.certificate
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The whole destruction register, oldest first.
pub fn register(conn: &Connection) -> Result<Vec<RegisterEntry>, DomainError> {
    let mut stmt = conn.prepare(
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
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What the register keeps of a document, and the blobs to wipe.
pub struct DocumentFacts {
    pub title: String,
    pub matter_number: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    /// The date it was added (`YYYY-MM-DD`).
    pub added_on: String,
    /// SHA-256 of its current version's content.
    pub content_sha256: Vec<u8>,
    /// Every version's blob.
    pub blobs: Vec<String>,
}

pub fn document_facts(conn: &Connection, id: i64) -> Result<DocumentFacts, DomainError> {
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
        .ok_or_else(|| DomainError::NotFound {
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
        .collect::<Result<Vec<String>, _>>()?;
    Ok(DocumentFacts {
        title,
        matter_number,
        opened_on,
        closed_on,
        added_on,
        content_sha256,
        blobs,
    })
}

/// Removes every row describing document `id` (with its wrapped keys and
/// its OCR pages and job) and
/// queues `blobs` in `destruction_jobs`. Its search index entry is the
/// caller's (`search::erase`, once for a whole destruction).
pub fn erase_document(conn: &Connection, id: i64, blobs: &[String]) -> Result<(), DomainError> {
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
    // Recognised text and the OCR queue's record of it go with the versions.
    crate::ocr::erase(conn, id)?;
    conn.execute("DELETE FROM document_versions WHERE document_id = ?1", [id])?;
    conn.execute("DELETE FROM documents WHERE id = ?1", [id])?;
    Ok(())
}

/// What the register keeps of a matter.
pub struct MatterFacts {
    pub number: String,
    pub title: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub client_id: i64,
    pub documents: Vec<i64>,
}

pub fn matter_facts(conn: &Connection, id: i64) -> Result<MatterFacts, DomainError> {
    let (number, title, opened_on, closed_on, client_id) = conn
        .query_row(
            "SELECT number, title, opened_on, closed_on, client_id FROM matters WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "matter",
            key: format!("id {id}"),
        })?;
    let documents = conn
        .prepare("SELECT id FROM documents WHERE matter_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(MatterFacts {
        number,
        title,
        opened_on,
        closed_on,
        client_id,
        documents,
    })
}

/// Removes the rows of matter `id`; its documents must be erased first.
pub fn erase_matter(conn: &Connection, id: i64) -> Result<(), DomainError> {
    conn.execute(
        "DELETE FROM retention_deferrals WHERE kind = 'matter' AND target_id = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM matter_parties WHERE matter_id = ?1", [id])?;
    conn.execute("DELETE FROM matter_events WHERE matter_id = ?1", [id])?;
    conn.execute("DELETE FROM matters WHERE id = ?1", [id])?;
    Ok(())
}

/// Removes client `id` if it has no matter left and no active hold;
/// returns whether it did.
pub fn erase_client_without_matters(conn: &Connection, id: i64) -> Result<bool, DomainError> {
    let left: i64 = conn.query_row(
        "SELECT count(*) FROM matters WHERE client_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let held: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM legal_holds WHERE released_at IS NULL AND target = 'client' AND target_id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if left > 0 || held {
        return Ok(false);
    }
    conn.execute("DELETE FROM client_aliases WHERE client_id = ?1", [id])?;
    conn.execute("DELETE FROM clients WHERE id = ?1", [id])?;
    Ok(true)
}

/// Blobs of destroyed documents still to overwrite and remove.
pub fn destruction_jobs(conn: &Connection) -> Result<Vec<String>, DomainError> {
    let mut stmt = conn.prepare("SELECT blob_id FROM destruction_jobs")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A blob is gone: its job is done.
pub fn finish_destruction_job(conn: &Connection, blob_id: &str) -> Result<(), DomainError> {
    conn.execute("DELETE FROM destruction_jobs WHERE blob_id = ?1", [blob_id])?;
    Ok(())
}

/// Rebuilds the database so no freed page keeps a destroyed key or row
/// (`VACUUM`), then empties the write-ahead log. Not in a transaction.
pub fn vacuum(conn: &Connection) -> Result<(), DomainError> {
    conn.execute_batch("VACUUM;")?;
    truncate_wal(conn)
}

/// Checkpoints the write-ahead log and truncates it to nothing.
pub fn truncate_wal(conn: &Connection) -> Result<(), DomainError> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn policy(trigger: Trigger, years: u32, months: u32) -> Policy {
        Policy {
            id: 1,
            name: "p".into(),
            trigger,
            years,
            months,
            danger_destroy_without_approval: false,
        }
    }

    #[test]
    fn due_dates_across_years() {
        let check = |start: &str, years: u32, months: u32, expect: &str| {
            assert_eq!(
                add_period(d(start), years, months),
                d(expect),
                "{start} + {years}y{months}m"
            );
        };
        check("2020-02-29", 1, 0, "2021-02-28"); // leap day to a common year
        check("2020-02-29", 4, 0, "2024-02-29"); // leap to leap
        check("2019-03-31", 0, 11, "2020-02-29"); // month end into a leap February
        check("2026-01-31", 0, 1, "2026-02-28");
        check("2026-12-15", 7, 0, "2033-12-15");
        check("2026-11-30", 6, 3, "2033-02-28");
        check("1999-12-31", 0, 1, "2000-01-31");
        let seven = policy(Trigger::MatterClosed, 7, 0);
        assert_eq!(due_on(&seven, Some(d("2019-06-30"))), Some(d("2026-06-30")));
        assert_eq!(
            due_on(&seven, None),
            None,
            "open or reopened: the clock is suspended"
        );
        assert_eq!(
            due_on(&policy(Trigger::Permanent, 0, 0), Some(d("1990-01-01"))),
            None
        );
    }

    #[test]
    fn policies_say_how_long_or_keep_forever_never_both() {
        let input = |trigger: Trigger, years: u32, months: u32| PolicyInput {
            name: "Estates".into(),
            trigger: Some(trigger),
            years,
            months,
            danger_destroy_without_approval: false,
        };
        let refused = |i: PolicyInput, expect: &str| match check_input(&i) {
            Err(DomainError::Validation { message, .. }) => {
                assert!(message.contains(expect), "{i:?}: {message}")
            }
            other => panic!("{i:?}: {other:?}"),
        };
        check_input(&input(Trigger::Permanent, 0, 0)).unwrap();
        check_input(&input(Trigger::MatterClosed, 7, 0)).unwrap();
        check_input(&input(Trigger::DateAdded, 0, 18)).unwrap();
        check_input(&input(Trigger::MatterClosed, 199, 12)).unwrap();
        refused(input(Trigger::Permanent, 7, 0), "has no period");
        refused(input(Trigger::Permanent, 0, 1), "has no period");
        refused(input(Trigger::MatterClosed, 0, 0), "how long to keep");
        refused(input(Trigger::DateAdded, 0, 0), "how long to keep");
        refused(
            input(Trigger::MatterClosed, 200, 1200),
            "longer than 200 years",
        );
        refused(
            input(Trigger::MatterClosed, 0, 2401),
            "longer than 200 years",
        );
    }

    #[test]
    fn a_patch_changes_what_it_gives_and_permanent_drops_the_period() {
        let old = Policy {
            danger_destroy_without_approval: true,
            ..policy(Trigger::DateAdded, 7, 6)
        };
        let check = |patch: PolicyPatch, expect: (&str, Trigger, u32, u32, bool)| {
            let got = patch.apply(&old);
            assert_eq!(
                (
                    got.name.as_str(),
                    got.trigger.unwrap(),
                    got.years,
                    got.months,
                    got.danger_destroy_without_approval
                ),
                expect,
                "{patch:?}"
            );
        };
        use Trigger::*;
        check(PolicyPatch::default(), ("p", DateAdded, 7, 6, true));
        let name = PolicyPatch {
            name: Some("q".into()),
            ..Default::default()
        };
        check(name, ("q", DateAdded, 7, 6, true));
        let trigger = |t: Trigger| PolicyPatch {
            trigger: Some(t),
            ..Default::default()
        };
        check(trigger(MatterClosed), ("p", MatterClosed, 7, 6, true));
        check(trigger(Permanent), ("p", Permanent, 0, 0, true));
        let months = PolicyPatch {
            months: Some(1),
            ..trigger(Permanent)
        };
        check(months, ("p", Permanent, 0, 1, true));
        let years = PolicyPatch {
            years: Some(2),
            danger_destroy_without_approval: Some(false),
            ..Default::default()
        };
        check(years, ("p", DateAdded, 2, 6, false));
        // A full input replaces everything; no trigger is "after closing".
        let input = PolicyInput {
            name: "r".into(),
            trigger: None,
            years: 1,
            months: 0,
            danger_destroy_without_approval: false,
        };
        check(
            PolicyPatch::replacing(&input),
            ("r", MatterClosed, 1, 0, false),
        );
    }

    #[test]
    fn editing_a_policy_checks_the_merged_result() {
        let (_d, conn) = crate::testutil::db();
        let id = create_policy(
            &conn,
            &PolicyInput {
                name: "Estates".into(),
                trigger: Some(Trigger::MatterClosed),
                years: 6,
                ..Default::default()
            },
        )
        .unwrap();
        let made_permanent = PolicyPatch {
            trigger: Some(Trigger::Permanent),
            ..Default::default()
        };
        edit_policy(&conn, id, &made_permanent).unwrap();
        let p = super::policy(&conn, id).unwrap();
        assert_eq!((p.trigger, p.years, p.months), (Trigger::Permanent, 0, 0));
        let with_period = PolicyPatch {
            years: Some(6),
            ..made_permanent
        };
        let e = edit_policy(&conn, id, &with_period).unwrap_err();
        assert!(e.to_string().contains("has no period"), "{e}");
        assert_eq!(super::policy(&conn, id).unwrap(), p, "nothing changed");
        assert!(matches!(
            edit_policy(&conn, 999, &PolicyPatch::default()),
            Err(DomainError::NotFound { .. })
        ));
    }

    #[test]
    fn deferring_takes_a_date_after_today_and_something_that_exists() {
        let (_d, conn) = crate::testutil::db();
        let c = crate::clients::create(
            &conn,
            &crate::ClientInput {
                name: "Ada Fictional".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let (m, _) = crate::matters::open(
            &conn,
            &crate::MatterInput {
                title: "Lease".into(),
                client_id: c,
                opened_on: Some(d("2020-01-01")),
                ..Default::default()
            },
        )
        .unwrap();
        let today = d("2026-06-15");
        let refused = |kind: DisposalKind, id: i64, until: &str, expect: &str| {
            let e = defer(&conn, kind, id, d(until), today).unwrap_err();
            assert!(e.to_string().contains(expect), "{kind} {id} {until}: {e}");
        };
        use DisposalKind::{Document, Matter};
        refused(Matter, m, "2026-06-14", "has passed");
        refused(Matter, m, "2001-01-01", "has passed");
        refused(Matter, m, "2026-06-15", "is today");
        refused(Matter, 999, "2027-01-01", "No matter with id 999");
        refused(Document, 999, "2027-01-01", "No document with id 999");
        // Only matters and documents are deferred: a client is not a kind.
        assert!(serde_json::from_str::<DisposalKind>("\"client\"").is_err());
        let deferrals = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM retention_deferrals", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(deferrals(&conn), 0, "nothing refused was written");
        defer(&conn, Matter, m, d("2026-06-16"), today).unwrap();
        let stored: (DisposalKind, String) = conn
            .query_row("SELECT kind, until FROM retention_deferrals", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(stored, (Matter, "2026-06-16".to_string()));
        assert_eq!(deferrals(&conn), 1);
    }

    #[test]
    fn the_latest_start_date_due_agrees_with_due_on() {
        for (years, months) in [(1, 0), (6, 0), (7, 0), (0, 18), (2, 11)] {
            let p = policy(Trigger::DateAdded, years, months);
            let mut today = d("2027-01-01");
            while today < d("2029-04-01") {
                let cutoff = latest_start_due(&p, today).unwrap();
                assert!(
                    due_on(&p, Some(cutoff)).unwrap() <= today,
                    "{today} {cutoff}"
                );
                assert!(
                    due_on(&p, cutoff.succ_opt()).unwrap() > today,
                    "{today} {cutoff}"
                );
                today = today.succ_opt().unwrap();
            }
        }
    }
}
