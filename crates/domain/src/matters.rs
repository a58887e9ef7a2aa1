//! Matters: numbered, owned by a client, open or closed, with parties and
//! a timeline.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::numbering::{NumberScheme, check_number};
use crate::{
    DomainError, clients, like_pattern, notes, now, optional, required, settings, validation,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    Open,
    Closed,
}

impl MatterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MatterStatus::Open => "open",
            MatterStatus::Closed => "closed",
        }
    }

    fn from_db(s: &str) -> Self {
        if s == "closed" {
            MatterStatus::Closed
        } else {
            MatterStatus::Open
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PartySide {
    Related,
    Adverse,
}

impl PartySide {
    pub fn as_str(self) -> &'static str {
        match self {
            PartySide::Related => "related",
            PartySide::Adverse => "adverse",
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterInput {
    /// Leave empty to take the next number from the vault's scheme.
    pub number: Option<String>,
    pub title: String,
    pub client_id: i64,
    #[serde(default)]
    pub practice_area: String,
    /// Defaults to today.
    pub opened_on: Option<NaiveDate>,
    #[serde(default)]
    pub responsible_lawyer: String,
    #[serde(default)]
    pub notes: String,
    /// The cleared conflict check this matter is opened under (the core
    /// checks it is cleared; see `matterbox_core::conflicts`).
    #[serde(default)]
    #[ts(optional)]
    pub conflict_check: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterPatch {
    pub title: Option<String>,
    pub client_id: Option<i64>,
    pub practice_area: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub responsible_lawyer: Option<String>,
    pub notes: Option<String>,
}

impl MatterPatch {
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("client", self.client_id.is_some()),
            ("practice_area", self.practice_area.is_some()),
            ("opened_on", self.opened_on.is_some()),
            ("responsible_lawyer", self.responsible_lawyer.is_some()),
            ("notes", self.notes.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| n)
        .collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PartyInput {
    pub name: String,
    #[serde(default)]
    pub role: String,
    pub side: PartySide,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub side: PartySide,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterEvent {
    pub id: i64,
    pub occurred_on: NaiveDate,
    pub kind: String,
    pub description: String,
}

/// One row of the matter list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterSummary {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub client_id: i64,
    pub client_name: String,
    pub practice_area: String,
    pub status: MatterStatus,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub responsible_lawyer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Matter {
    #[serde(flatten)]
    pub summary: MatterSummary,
    pub notes: String,
    /// The conflict check the matter was opened under.
    pub conflict_check: Option<i64>,
    /// Conflict checks of this matter (its own, and those run as parties
    /// were added) with a hit still undecided or decided as a conflict.
    pub unresolved_conflict_checks: Vec<i64>,
    pub parties: Vec<Party>,
    pub timeline: Vec<MatterEvent>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MatterFilter {
    pub status: Option<MatterStatus>,
    pub client_id: Option<i64>,
    pub practice_area: Option<String>,
    /// Matches number, title or client name.
    pub search: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

fn not_found(key: String) -> DomainError {
    DomainError::NotFound {
        what: "matter",
        key,
    }
}

/// The number of a matter whose number is `number`, ignoring case: inbox
/// folders `ACME-1` and `acme-1` are one folder on Windows and macOS.
fn number_taken_as(conn: &Connection, number: &str) -> Result<Option<String>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT number FROM matters WHERE number = ?1 COLLATE NOCASE ORDER BY number = ?1 DESC LIMIT 1",
            [number],
            |r| r.get(0),
        )
        .optional()?)
}

fn number_taken(conn: &Connection, number: &str) -> Result<bool, DomainError> {
    Ok(number_taken_as(conn, number)?.is_some())
}

/// The next free number of the scheme for a matter opened on `date`, and
/// moves the counter past it.
fn next_number(
    conn: &Connection,
    scheme: &NumberScheme,
    date: NaiveDate,
) -> Result<String, DomainError> {
    let scope = scheme.scope(date);
    let mut seq: u64 = conn
        .query_row(
            "SELECT next FROM matter_counters WHERE scope = ?1",
            [&scope],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map_or(1, |n| n.max(1) as u64);
    // Numbers typed by hand may already use some sequence values: skip them.
    let mut number = scheme.render(date, seq);
    while number_taken(conn, &number)? {
        seq += 1;
        number = scheme.render(date, seq);
    }
    // A scheme kept from before the limits, or a sequence grown past its
    // width, can make a number no folder can take: refused, never stored.
    check_number(&number).map_err(|e| {
        validation(
            "matter_number_scheme",
            format!(
                "The number scheme \u{201c}{}\u{201d} makes {number} for this matter, which cannot be used: {e} Change the scheme in the settings, or give the number yourself.",
                scheme.template()
            ),
        )
    })?;
    conn.execute(
        "INSERT INTO matter_counters (scope, next) VALUES (?1, ?2)
         ON CONFLICT (scope) DO UPDATE SET next = excluded.next",
        params![scope, (seq + 1) as i64],
    )?;
    Ok(number)
}

pub(crate) fn add_event_row(
    conn: &Connection,
    matter_id: i64,
    on: NaiveDate,
    kind: &str,
    description: &str,
) -> Result<i64, DomainError> {
    conn.execute(
        "INSERT INTO matter_events (matter_id, occurred_on, kind, description, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![matter_id, on.to_string(), kind, description, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Opens a matter; returns its id and number.
pub fn open(conn: &Connection, input: &MatterInput) -> Result<(i64, String), DomainError> {
    let title = required("title", "The matter title", &input.title)?;
    clients::get(conn, input.client_id).map_err(|e| match e {
        DomainError::NotFound { .. } => validation(
            "client",
            format!(
                "There is no client with id {}; create the client first.",
                input.client_id
            ),
        ),
        other => other,
    })?;
    let practice_area = optional("practice_area", "Practice area", &input.practice_area)?;
    let lawyer = optional(
        "responsible_lawyer",
        "Responsible lawyer",
        &input.responsible_lawyer,
    )?;
    let note = notes(&input.notes)?;
    let opened_on = input.opened_on.unwrap_or_else(today);
    let number = match input.number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => {
            let n = check_number(n)?;
            match number_taken_as(conn, &n)? {
                Some(taken) if taken == n => {
                    return Err(DomainError::Conflict(format!(
                        "Matter number {n} is already in use; choose another or leave it empty for the next free one."
                    )));
                }
                Some(taken) => {
                    return Err(DomainError::Conflict(format!(
                        "Matter number {n} is already in use as {taken}: inbox folders ignore case on Windows and macOS. Choose another or leave it empty for the next free one."
                    )));
                }
                None => {}
            }
            n
        }
        _ => next_number(conn, &settings::number_scheme(conn)?, opened_on)?,
    };
    let at = now();
    conn.execute(
        "INSERT INTO matters (number, title, client_id, practice_area, status, opened_on,
                              responsible_lawyer, notes, created_at, updated_at, conflict_check_id)
         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?8, ?9)",
        params![
            number,
            title,
            input.client_id,
            practice_area,
            opened_on.to_string(),
            lawyer,
            note,
            at,
            input.conflict_check
        ],
    )?;
    let id = conn.last_insert_rowid();
    add_event_row(conn, id, opened_on, "opened", "Matter opened")?;
    Ok((id, number))
}

const SUMMARY_COLUMNS: &str =
    "m.id, m.number, m.title, m.client_id, c.name, m.practice_area, m.status,
     m.opened_on, m.closed_on, m.responsible_lawyer";

fn date(s: String, col: usize) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MatterSummary> {
    Ok(MatterSummary {
        id: r.get(0)?,
        number: r.get(1)?,
        title: r.get(2)?,
        client_id: r.get(3)?,
        client_name: r.get(4)?,
        practice_area: r.get(5)?,
        status: MatterStatus::from_db(&r.get::<_, String>(6)?),
        opened_on: date(r.get(7)?, 7)?,
        closed_on: r
            .get::<_, Option<String>>(8)?
            .map(|s| date(s, 8))
            .transpose()?,
        responsible_lawyer: r.get(9)?,
    })
}

/// A matter by id, with parties and timeline.
pub fn get(conn: &Connection, id: i64) -> Result<Matter, DomainError> {
    let (summary, notes, created_at, updated_at, conflict_check) = conn
        .query_row(
            &format!(
                "SELECT {SUMMARY_COLUMNS}, m.notes, m.created_at, m.updated_at, m.conflict_check_id
                 FROM matters m JOIN clients c ON c.id = m.client_id WHERE m.id = ?1"
            ),
            [id],
            |r| {
                Ok((
                    summary_from_row(r)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| not_found(format!("id {id}")))?;
    let mut stmt = conn.prepare(
        "SELECT id, name, role, side FROM matter_parties WHERE matter_id = ?1 ORDER BY side DESC, name",
    )?;
    let parties = stmt
        .query_map([id], |r| {
            Ok(Party {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                side: if r.get::<_, String>(3)? == "adverse" {
                    PartySide::Adverse
                } else {
                    PartySide::Related
                },
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, occurred_on, kind, description FROM matter_events WHERE matter_id = ?1
         ORDER BY occurred_on, id",
    )?;
    let timeline = stmt
        .query_map([id], |r| {
            Ok(MatterEvent {
                id: r.get(0)?,
                occurred_on: date(r.get(1)?, 1)?,
                kind: r.get(2)?,
                description: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id FROM conflict_checks WHERE (matter_id = ?1 AND matter_number = ?3) OR id = ?2
         ORDER BY id",
    )?;
    let checks = stmt
        .query_map(params![id, conflict_check, summary.number], |r| {
            r.get::<_, i64>(0)
        })?
        .collect::<Result<Vec<i64>, _>>()?;
    let mut unresolved_conflict_checks = Vec::new();
    for c in checks {
        if !crate::conflicts::get(conn, c)?.status.allows_opening() {
            unresolved_conflict_checks.push(c);
        }
    }
    Ok(Matter {
        summary,
        notes,
        conflict_check,
        unresolved_conflict_checks,
        parties,
        timeline,
        created_at,
        updated_at,
    })
}

/// The id of the matter with `number`.
pub fn id_by_number(conn: &Connection, number: &str) -> Result<i64, DomainError> {
    conn.query_row(
        "SELECT id FROM matters WHERE number = ?1",
        [number.trim()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| not_found(format!("number {}", number.trim())))
}

pub fn list(conn: &Connection, filter: &MatterFilter) -> Result<Vec<MatterSummary>, DomainError> {
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM matters m JOIN clients c ON c.id = m.client_id WHERE 1 = 1"
    );
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = filter.status {
        args.push(s.as_str().to_string().into());
        sql.push_str(&format!(" AND m.status = ?{}", args.len()));
    }
    if let Some(c) = filter.client_id {
        args.push(c.into());
        sql.push_str(&format!(" AND m.client_id = ?{}", args.len()));
    }
    if let Some(p) = filter
        .practice_area
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        args.push(p.trim().to_string().into());
        sql.push_str(&format!(
            " AND m.practice_area = ?{} COLLATE NOCASE",
            args.len()
        ));
    }
    if let Some(s) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        args.push(like_pattern(s).into());
        let n = args.len();
        sql.push_str(&format!(
            " AND (m.number LIKE ?{n} ESCAPE '\\' OR m.title LIKE ?{n} ESCAPE '\\' OR c.name LIKE ?{n} ESCAPE '\\')"
        ));
    }
    sql.push_str(" ORDER BY m.opened_on DESC, m.id DESC");
    args.push(i64::from(filter.limit.unwrap_or(u32::MAX)).into());
    sql.push_str(&format!(" LIMIT ?{}", args.len()));
    args.push(i64::from(filter.offset.unwrap_or(0)).into());
    sql.push_str(&format!(" OFFSET ?{}", args.len()));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), summary_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Applies a patch; returns the names of the fields it set.
pub fn update(
    conn: &Connection,
    id: i64,
    patch: &MatterPatch,
) -> Result<Vec<&'static str>, DomainError> {
    let current = get(conn, id)?;
    let s = &current.summary;
    let title = match &patch.title {
        Some(t) => required("title", "The matter title", t)?,
        None => s.title.clone(),
    };
    let client_id = match patch.client_id {
        Some(c) => {
            clients::get(conn, c)
                .map_err(|_| validation("client", format!("There is no client with id {c}.")))?;
            c
        }
        None => s.client_id,
    };
    let practice_area = match &patch.practice_area {
        Some(p) => optional("practice_area", "Practice area", p)?,
        None => s.practice_area.clone(),
    };
    let lawyer = match &patch.responsible_lawyer {
        Some(l) => optional("responsible_lawyer", "Responsible lawyer", l)?,
        None => s.responsible_lawyer.clone(),
    };
    let note = match &patch.notes {
        Some(n) => notes(n)?,
        None => current.notes.clone(),
    };
    let opened_on = patch.opened_on.unwrap_or(s.opened_on);
    if let Some(closed) = s.closed_on.filter(|c| *c < opened_on) {
        return Err(validation(
            "opened_on",
            format!("A matter cannot be opened ({opened_on}) after it was closed ({closed})."),
        ));
    }
    conn.execute(
        "UPDATE matters SET title = ?2, client_id = ?3, practice_area = ?4, opened_on = ?5,
                            responsible_lawyer = ?6, notes = ?7, updated_at = ?8 WHERE id = ?1",
        params![
            id,
            title,
            client_id,
            practice_area,
            opened_on.to_string(),
            lawyer,
            note,
            now()
        ],
    )?;
    Ok(patch.fields())
}

/// Closes an open matter on `on` (today if `None`).
pub fn close(conn: &Connection, id: i64, on: Option<NaiveDate>) -> Result<NaiveDate, DomainError> {
    let m = get(conn, id)?.summary;
    if m.status == MatterStatus::Closed {
        return Err(validation(
            "status",
            format!("Matter {} is already closed.", m.number),
        ));
    }
    let on = on.unwrap_or_else(today);
    if on < m.opened_on {
        return Err(validation(
            "closed_on",
            format!(
                "Matter {} cannot be closed on {on}: it was opened on {}.",
                m.number, m.opened_on
            ),
        ));
    }
    conn.execute(
        "UPDATE matters SET status = 'closed', closed_on = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, on.to_string(), now()],
    )?;
    add_event_row(conn, id, on, "closed", "Matter closed")?;
    Ok(on)
}

/// Reopens a closed matter.
pub fn reopen(conn: &Connection, id: i64) -> Result<(), DomainError> {
    let m = get(conn, id)?.summary;
    if m.status == MatterStatus::Open {
        return Err(validation(
            "status",
            format!("Matter {} is already open.", m.number),
        ));
    }
    conn.execute(
        "UPDATE matters SET status = 'open', closed_on = NULL, updated_at = ?2 WHERE id = ?1",
        params![id, now()],
    )?;
    add_event_row(
        conn,
        id,
        today().max(m.opened_on),
        "reopened",
        "Matter reopened",
    )?;
    Ok(())
}

pub fn add_party(
    conn: &Connection,
    matter_id: i64,
    party: &PartyInput,
) -> Result<i64, DomainError> {
    get(conn, matter_id)?;
    let name = required("name", "The party's name", &party.name)?;
    let role = optional("role", "Role", &party.role)?;
    conn.execute(
        "INSERT INTO matter_parties (matter_id, name, role, side) VALUES (?1, ?2, ?3, ?4)",
        params![matter_id, name, role, party.side.as_str()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn remove_party(conn: &Connection, matter_id: i64, party_id: i64) -> Result<(), DomainError> {
    let n = conn.execute(
        "DELETE FROM matter_parties WHERE id = ?1 AND matter_id = ?2",
        params![party_id, matter_id],
    )?;
    if n == 0 {
        return Err(DomainError::NotFound {
            what: "party",
            key: format!("id {party_id} on this matter"),
        });
    }
    Ok(())
}

/// Adds a timeline entry written by the user.
pub fn add_event(
    conn: &Connection,
    matter_id: i64,
    on: Option<NaiveDate>,
    description: &str,
) -> Result<i64, DomainError> {
    get(conn, matter_id)?;
    let description = required("description", "The timeline entry", description)?;
    add_event_row(
        conn,
        matter_id,
        on.unwrap_or_else(today),
        "note",
        &description,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{self, ClientInput};
    use crate::testutil::db;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn client(conn: &Connection, name: &str) -> i64 {
        clients::create(
            conn,
            &ClientInput {
                name: name.into(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn matter(client_id: i64, title: &str, opened: &str) -> MatterInput {
        MatterInput {
            title: title.into(),
            client_id,
            opened_on: Some(d(opened)),
            ..Default::default()
        }
    }

    #[test]
    fn numbers_follow_the_scheme_and_skip_taken_ones() {
        let (_d, conn) = db();
        let c = client(&conn, "Ada Fictional");
        let (_, n1) = open(&conn, &matter(c, "Lease", "2026-02-01")).unwrap();
        let (_, n2) = open(&conn, &matter(c, "Will", "2026-03-01")).unwrap();
        assert_eq!((n1.as_str(), n2.as_str()), ("2026-0001", "2026-0002"));
        // A hand-typed number ahead of the counter is skipped later.
        let manual = MatterInput {
            number: Some("2026-0003".into()),
            ..matter(c, "Deed", "2026-03-02")
        };
        open(&conn, &manual).unwrap();
        let (_, n4) = open(&conn, &matter(c, "Trust", "2026-04-01")).unwrap();
        assert_eq!(n4, "2026-0004");
        // A new year starts again.
        let (_, n5) = open(&conn, &matter(c, "Next year", "2027-01-05")).unwrap();
        assert_eq!(n5, "2027-0001");
        // A different scheme.
        settings::set_number_scheme(&conn, "LIT{yy}-{seq:3}").unwrap();
        let (_, n6) = open(&conn, &matter(c, "Dispute", "2027-01-06")).unwrap();
        assert_eq!(n6, "LIT27-001");
    }

    #[test]
    fn bad_input_is_refused_and_changes_nothing() {
        let (_d, conn) = db();
        let c = client(&conn, "Ada Fictional");
        let (id, number) = open(&conn, &matter(c, "Lease", "2026-02-01")).unwrap();
        let dup = MatterInput {
            number: Some(number.clone()),
            ..matter(c, "Again", "2026-02-01")
        };
        assert!(
            matches!(open(&conn, &dup), Err(DomainError::Conflict(m)) if m.contains("already in use"))
        );
        assert!(
            matches!(open(&conn, &matter(c, "  ", "2026-02-01")), Err(DomainError::Validation { field, .. }) if field == "title")
        );
        assert!(
            matches!(open(&conn, &matter(999, "X", "2026-02-01")), Err(DomainError::Validation { field, .. }) if field == "client")
        );
        let slash = MatterInput {
            number: Some("2026/1".into()),
            ..matter(c, "X", "2026-02-01")
        };
        assert!(open(&conn, &slash).is_err());
        match close(&conn, id, Some(d("2026-01-31"))) {
            Err(DomainError::Validation { message, .. }) => {
                assert!(message.contains("opened on 2026-02-01"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(list(&conn, &MatterFilter::default()).unwrap().len(), 1);
        assert_eq!(get(&conn, id).unwrap().summary.status, MatterStatus::Open);
    }

    #[test]
    fn numbers_fit_inbox_folders() {
        let (_d, conn) = db();
        let c = client(&conn, "Ada Fictional");
        let numbered = |n: &str| MatterInput {
            number: Some(n.into()),
            ..matter(c, "Lease", "2026-02-01")
        };
        let refused = |input: &MatterInput, expect: &str| match open(&conn, input) {
            Err(e @ (DomainError::Validation { .. } | DomainError::Conflict(_))) => {
                assert!(e.to_string().contains(expect), "{:?}: {e}", input.number)
            }
            other => panic!("{:?}: {other:?}", input.number),
        };
        // The inbox's quarantine folder, whatever the case; a device name.
        refused(&numbered("quarantine"), "reserved folder name");
        refused(&numbered("Quarantine"), "reserved folder name");
        refused(&numbered("nul"), "reserved folder name");
        refused(&numbered(&"7".repeat(65)), "at most 64 characters");
        // One folder on Windows and macOS: refused, naming the one in use.
        open(&conn, &numbered("ACME-1")).unwrap();
        refused(&numbered("acme-1"), "already in use as ACME-1");
        // A scheme stored before the limits reads, but the number it makes
        // is refused with what to do, and nothing is written.
        let long = format!("{}-{{seq}}", "A".repeat(70));
        settings::set(&conn, settings::MATTER_NUMBER_SCHEME, &long).unwrap();
        assert_eq!(settings::number_scheme(&conn).unwrap().template(), long);
        refused(&matter(c, "Will", "2026-03-01"), "Change the scheme");
        assert_eq!(list(&conn, &MatterFilter::default()).unwrap().len(), 1);
        let counters: i64 = conn
            .query_row("SELECT count(*) FROM matter_counters", [], |r| r.get(0))
            .unwrap();
        assert_eq!(counters, 0);
        // Setting such a scheme now is refused.
        assert!(settings::set_number_scheme(&conn, &long).is_err());
    }

    #[test]
    fn close_and_reopen_keep_a_timeline() {
        let (_d, conn) = db();
        let c = client(&conn, "Ada Fictional");
        let (id, _) = open(&conn, &matter(c, "Lease", "2026-02-01")).unwrap();
        close(&conn, id, Some(d("2026-05-01"))).unwrap();
        assert!(close(&conn, id, None).is_err());
        let m = get(&conn, id).unwrap();
        assert_eq!(m.summary.closed_on, Some(d("2026-05-01")));
        // Opening after the close date is refused while closed.
        assert!(
            update(
                &conn,
                id,
                &MatterPatch {
                    opened_on: Some(d("2026-06-01")),
                    ..Default::default()
                }
            )
            .is_err()
        );
        reopen(&conn, id).unwrap();
        assert!(reopen(&conn, id).is_err());
        let m = get(&conn, id).unwrap();
        assert_eq!(m.summary.status, MatterStatus::Open);
        assert_eq!(m.summary.closed_on, None);
        let kinds: Vec<&str> = m.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["opened", "closed", "reopened"]);
    }

    #[test]
    fn parties_and_notes() {
        let (_d, conn) = db();
        let c = client(&conn, "Ada Fictional");
        let (id, _) = open(&conn, &matter(c, "Dispute", "2026-02-01")).unwrap();
        add_party(
            &conn,
            id,
            &PartyInput {
                name: "Bartholomew Notreal".into(),
                role: "defendant".into(),
                side: PartySide::Adverse,
            },
        )
        .unwrap();
        let p = add_party(
            &conn,
            id,
            &PartyInput {
                name: "Cora Example".into(),
                role: "witness".into(),
                side: PartySide::Related,
            },
        )
        .unwrap();
        assert!(
            add_party(
                &conn,
                id,
                &PartyInput {
                    name: " ".into(),
                    role: "".into(),
                    side: PartySide::Related
                }
            )
            .is_err()
        );
        add_event(&conn, id, Some(d("2026-02-03")), "Engagement letter signed").unwrap();
        let m = get(&conn, id).unwrap();
        assert_eq!(m.parties.len(), 2);
        assert_eq!(
            m.timeline.last().unwrap().description,
            "Engagement letter signed"
        );
        remove_party(&conn, id, p).unwrap();
        assert!(remove_party(&conn, id, p).is_err());
        assert_eq!(get(&conn, id).unwrap().parties.len(), 1);
    }

    #[test]
    fn list_filters_and_search() {
        let (_d, conn) = db();
        let a = client(&conn, "Ada Fictional");
        let b = client(&conn, "Quillfeather Holdings");
        let (m1, _) = open(
            &conn,
            &MatterInput {
                practice_area: "Litigation".into(),
                ..matter(a, "Boundary dispute", "2026-01-01")
            },
        )
        .unwrap();
        open(
            &conn,
            &MatterInput {
                practice_area: "Estates".into(),
                ..matter(a, "Will", "2026-01-02")
            },
        )
        .unwrap();
        open(
            &conn,
            &MatterInput {
                practice_area: "Litigation".into(),
                ..matter(b, "Contract claim", "2026-01-03")
            },
        )
        .unwrap();
        close(&conn, m1, Some(d("2026-02-01"))).unwrap();
        let titles = |f: MatterFilter| {
            list(&conn, &f)
                .unwrap()
                .into_iter()
                .map(|m| m.title)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            titles(MatterFilter::default()),
            ["Contract claim", "Will", "Boundary dispute"]
        );
        assert_eq!(
            titles(MatterFilter {
                status: Some(MatterStatus::Closed),
                ..Default::default()
            }),
            ["Boundary dispute"]
        );
        assert_eq!(
            titles(MatterFilter {
                client_id: Some(a),
                status: Some(MatterStatus::Open),
                ..Default::default()
            }),
            ["Will"]
        );
        assert_eq!(
            titles(MatterFilter {
                practice_area: Some("litigation".into()),
                ..Default::default()
            }),
            ["Contract claim", "Boundary dispute"]
        );
        assert_eq!(
            titles(MatterFilter {
                search: Some("quill".into()),
                ..Default::default()
            }),
            ["Contract claim"]
        );
        assert_eq!(
            titles(MatterFilter {
                search: Some("2026-0002".into()),
                ..Default::default()
            }),
            ["Will"]
        );
        assert_eq!(
            titles(MatterFilter {
                limit: Some(1),
                offset: Some(1),
                ..Default::default()
            }),
            ["Will"]
        );
        assert_eq!(id_by_number(&conn, "2026-0001").unwrap(), m1);
        assert!(id_by_number(&conn, "1999-0001").is_err());
    }
}
