//! Policies and training (#17 §3): the practice's written policies with
//! their versions and who acknowledged which version; training sessions
//! with their attendees and materials; and what is due — a policy whose
//! review date has come, a person whose annual training has.
//!
//! Versions, acknowledgements and sessions are permanent (the schema's
//! triggers refuse changes): a new text is a new version. People are
//! named as typed here (the practice's staff), never taken from clients.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, MAX_NOTES, now, required, validation};

/// Training is due this many months after a person's last session.
pub const TRAINING_MONTHS: u32 = 12;
/// A policy's review period when none is given.
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;

/// A new policy and its first version.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "PracticePolicyInput")]
pub struct PolicyInput {
    pub title: String,
    /// What it is about: information security, retention, breach
    /// response, acceptable use, …
    pub topic: String,
    #[serde(default)]
    #[ts(optional)]
    pub review_months: Option<u32>,
    pub version: VersionInput,
}

/// A version of a policy's text.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "PolicyVersionInput")]
pub struct VersionInput {
    #[ts(type = "string")]
    pub effective_on: NaiveDate,
    pub text: String,
    /// A vault document holding the signed or formatted text.
    #[serde(default)]
    #[ts(optional)]
    pub document_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyVersion {
    pub version: i64,
    pub effective_on: String,
    pub text: String,
    pub document_id: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: String,
    pub acknowledgements: Vec<Acknowledgement>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Acknowledgement {
    pub person: String,
    pub acknowledged_on: String,
}

/// A policy with every version, newest last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "PracticePolicy")]
pub struct Policy {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub review_months: u32,
    pub versions: Vec<PolicyVersion>,
}

/// A row of the policy list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicySummary {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub current_version: i64,
    pub effective_on: String,
    pub review_on: String,
    /// People who acknowledged the current version.
    pub acknowledged_by: Vec<String>,
}

/// A training session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Training {
    pub id: i64,
    pub topic: String,
    pub held_on: String,
    pub notes: String,
    pub attendees: Vec<String>,
    pub materials: Vec<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrainingInput {
    pub topic: String,
    #[ts(type = "string")]
    pub held_on: NaiveDate,
    #[serde(default)]
    pub notes: String,
    pub attendees: Vec<String>,
    #[serde(default)]
    pub materials: Vec<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "PolicyDueKind")]
pub enum DueKind {
    PolicyReview,
    Training,
}

/// One reminder: a policy to review, or a person's annual training.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "PolicyDue")]
pub struct Due {
    pub kind: DueKind,
    /// The policy's id (policy reviews).
    pub policy_id: Option<i64>,
    /// The policy's title, or the person due for training.
    pub subject: String,
    pub due_on: String,
    pub overdue: bool,
}

fn review_months(m: Option<u32>) -> Result<u32, DomainError> {
    let m = m.unwrap_or(DEFAULT_REVIEW_MONTHS);
    if !(1..=120).contains(&m) {
        return Err(validation(
            "review_months",
            "A policy is reviewed every 1 to 120 months.",
        ));
    }
    Ok(m)
}

fn version_text(text: &str) -> Result<String, DomainError> {
    if text.trim().is_empty() {
        return Err(validation(
            "text",
            "The policy text cannot be empty: paste it or give it with --text-file.",
        ));
    }
    if text.chars().count() > MAX_NOTES {
        return Err(validation(
            "text",
            format!(
                "The policy text is longer than {MAX_NOTES} characters; keep the full text as a document and summarise it here."
            ),
        ));
    }
    Ok(text.to_string())
}

fn check_document(conn: &Connection, id: Option<i64>) -> Result<(), DomainError> {
    if let Some(id) = id {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1 AND trashed_at IS NULL)",
            [id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(DomainError::NotFound {
                what: "document",
                key: format!("id {id}"),
            });
        }
    }
    Ok(())
}

fn insert_version(
    conn: &Connection,
    policy_id: i64,
    v: &VersionInput,
    by: &str,
) -> Result<i64, DomainError> {
    let text = version_text(&v.text)?;
    check_document(conn, v.document_id)?;
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT version, effective_on FROM policy_versions WHERE policy_id = ?1
             ORDER BY version DESC LIMIT 1",
            [policy_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((_, on)) = &last
        && v.effective_on.to_string() < *on
    {
        return Err(validation(
            "effective_on",
            format!("A new version cannot take effect before the current one ({on})."),
        ));
    }
    let version = last.map_or(1, |(n, _)| n + 1);
    conn.execute(
        "INSERT INTO policy_versions (policy_id, version, effective_on, text, document_id, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![policy_id, version, v.effective_on.to_string(), text, v.document_id, by, now()],
    )?;
    Ok(version)
}

/// Saves a policy with its first version; returns its id.
pub fn create(conn: &Connection, input: &PolicyInput, by: &str) -> Result<i64, DomainError> {
    let title = required("title", "The policy title", &input.title)?;
    let topic = required("topic", "The policy topic", &input.topic)?;
    let months = review_months(input.review_months)?;
    conn.execute(
        "INSERT INTO practice_policies (title, topic, review_months, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![title, topic, months, by, now()],
    )?;
    let id = conn.last_insert_rowid();
    insert_version(conn, id, &input.version, by)?;
    Ok(id)
}

fn exists(conn: &Connection, id: i64) -> Result<(), DomainError> {
    let found: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM practice_policies WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    if found {
        Ok(())
    } else {
        Err(DomainError::NotFound {
            what: "policy",
            key: format!("id {id}"),
        })
    }
}

/// Adds a new version of policy `id`; returns its number.
pub fn add_version(
    conn: &Connection,
    id: i64,
    v: &VersionInput,
    by: &str,
) -> Result<i64, DomainError> {
    exists(conn, id)?;
    insert_version(conn, id, v, by)
}

/// Records that `person` acknowledged `version` of policy `id` (the
/// current version when `None`) on `on`; returns the version.
pub fn acknowledge(
    conn: &Connection,
    id: i64,
    version: Option<i64>,
    person: &str,
    on: NaiveDate,
    by: &str,
) -> Result<i64, DomainError> {
    exists(conn, id)?;
    let person = required("person", "The person's name", person)?;
    let row: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT id, version, effective_on FROM policy_versions WHERE policy_id = ?1
               AND (?2 IS NULL OR version = ?2) ORDER BY version DESC LIMIT 1",
            params![id, version],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((version_id, number, _)) = row else {
        return Err(DomainError::NotFound {
            what: "policy version",
            key: format!("{} of policy {id}", version.unwrap_or_default()),
        });
    };
    let already: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM policy_acks WHERE version_id = ?1 AND person = ?2)",
        params![version_id, person],
        |r| r.get(0),
    )?;
    if already {
        return Err(DomainError::Conflict(format!(
            "{person} has already acknowledged version {number} of this policy."
        )));
    }
    conn.execute(
        "INSERT INTO policy_acks (version_id, person, acknowledged_on, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![version_id, person, on.to_string(), by, now()],
    )?;
    Ok(number)
}

/// One policy with its versions and acknowledgements.
pub fn get(conn: &Connection, id: i64) -> Result<Policy, DomainError> {
    exists(conn, id)?;
    let (title, topic, review_months): (String, String, u32) = conn.query_row(
        "SELECT title, topic, review_months FROM practice_policies WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT id, version, effective_on, text, document_id, recorded_by, recorded_at
         FROM policy_versions WHERE policy_id = ?1 ORDER BY version",
    )?;
    let rows: Vec<(i64, PolicyVersion)> = stmt
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                PolicyVersion {
                    version: r.get(1)?,
                    effective_on: r.get(2)?,
                    text: r.get(3)?,
                    document_id: r.get(4)?,
                    recorded_by: r.get(5)?,
                    recorded_at: r.get(6)?,
                    acknowledgements: Vec::new(),
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut acks = conn.prepare(
        "SELECT person, acknowledged_on FROM policy_acks WHERE version_id = ?1
         ORDER BY person, acknowledged_on",
    )?;
    let mut versions = Vec::new();
    for (vid, mut v) in rows {
        v.acknowledgements = acks
            .query_map([vid], |r| {
                Ok(Acknowledgement {
                    person: r.get(0)?,
                    acknowledged_on: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        versions.push(v);
    }
    Ok(Policy {
        id,
        title,
        topic,
        review_months,
        versions,
    })
}

/// When a policy is next reviewed: its current version's effective date
/// plus its review period.
pub fn review_on(effective_on: NaiveDate, months: u32) -> NaiveDate {
    effective_on
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

impl Policy {
    pub fn summary(&self) -> PolicySummary {
        let current = self.versions.last();
        let effective = current.map(|v| v.effective_on.clone()).unwrap_or_default();
        PolicySummary {
            id: self.id,
            title: self.title.clone(),
            topic: self.topic.clone(),
            current_version: current.map_or(0, |v| v.version),
            review_on: parse_date(&effective)
                .map(|d| review_on(d, self.review_months).to_string())
                .unwrap_or_default(),
            effective_on: effective,
            acknowledged_by: current
                .map(|v| {
                    v.acknowledgements
                        .iter()
                        .map(|a| a.person.clone())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Every policy, by id.
pub fn list(conn: &Connection) -> Result<Vec<Policy>, DomainError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM practice_policies ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| get(conn, id)).collect()
}

/// Saves a training session; returns its id.
pub fn add_training(conn: &Connection, t: &TrainingInput, by: &str) -> Result<i64, DomainError> {
    let topic = required("topic", "The training topic", &t.topic)?;
    let notes = crate::notes(&t.notes)?;
    let mut people = Vec::new();
    for p in &t.attendees {
        let p = required("attendee", "An attendee's name", p)?;
        if !people.contains(&p) {
            people.push(p);
        }
    }
    if people.is_empty() {
        return Err(validation(
            "attendees",
            "Name at least one attendee (--attendee NAME, repeatable).",
        ));
    }
    for d in &t.materials {
        check_document(conn, Some(*d))?;
    }
    conn.execute(
        "INSERT INTO trainings (topic, held_on, notes, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![topic, t.held_on.to_string(), notes, by, now()],
    )?;
    let id = conn.last_insert_rowid();
    for p in &people {
        conn.execute(
            "INSERT INTO training_attendees (training_id, person) VALUES (?1, ?2)",
            params![id, p],
        )?;
    }
    for d in &t.materials {
        conn.execute(
            "INSERT OR IGNORE INTO training_materials (training_id, document_id) VALUES (?1, ?2)",
            params![id, d],
        )?;
    }
    Ok(id)
}

/// Every training session, oldest first.
pub fn trainings(conn: &Connection) -> Result<Vec<Training>, DomainError> {
    let mut stmt =
        conn.prepare("SELECT id, topic, held_on, notes FROM trainings ORDER BY held_on, id")?;
    let mut out: Vec<Training> = stmt
        .query_map([], |r| {
            Ok(Training {
                id: r.get(0)?,
                topic: r.get(1)?,
                held_on: r.get(2)?,
                notes: r.get(3)?,
                attendees: Vec::new(),
                materials: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut people = conn
        .prepare("SELECT person FROM training_attendees WHERE training_id = ?1 ORDER BY person")?;
    let mut docs = conn.prepare(
        "SELECT document_id FROM training_materials WHERE training_id = ?1 ORDER BY document_id",
    )?;
    for t in &mut out {
        t.attendees = people
            .query_map([t.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        t.materials = docs
            .query_map([t.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(out)
}

/// Each person of the practice (everyone who acknowledged a policy or
/// attended a training) with the day of their last training, if any.
pub fn people(policies: &[Policy], trainings: &[Training]) -> BTreeMap<String, Option<NaiveDate>> {
    let mut out: BTreeMap<String, Option<NaiveDate>> = BTreeMap::new();
    for p in policies {
        for v in &p.versions {
            for a in &v.acknowledgements {
                out.entry(a.person.clone()).or_default();
            }
        }
    }
    for t in trainings {
        let on = parse_date(&t.held_on);
        for a in &t.attendees {
            let last = out.entry(a.clone()).or_default();
            if on > *last {
                *last = on;
            }
        }
    }
    out
}

/// What is due on or before `until`: policies whose review date has come,
/// people whose last training is `TRAINING_MONTHS` old (or who have none:
/// due `today`). `today` says what is overdue. Sorted by date, then kind,
/// then subject.
pub fn due_of(
    policies: &[Policy],
    trainings: &[Training],
    today: NaiveDate,
    until: NaiveDate,
) -> Vec<Due> {
    let mut out = Vec::new();
    for p in policies {
        let s = p.summary();
        if let Some(d) = parse_date(&s.review_on)
            && d <= until
        {
            out.push(Due {
                kind: DueKind::PolicyReview,
                policy_id: Some(p.id),
                subject: p.title.clone(),
                due_on: d.to_string(),
                overdue: d < today,
            });
        }
    }
    for (person, last) in people(policies, trainings) {
        let d = match last {
            Some(on) => review_on(on, TRAINING_MONTHS),
            None => today,
        };
        if d <= until {
            out.push(Due {
                kind: DueKind::Training,
                policy_id: None,
                subject: person,
                due_on: d.to_string(),
                overdue: d < today,
            });
        }
    }
    out.sort_by(|a, b| (&a.due_on, a.kind, &a.subject).cmp(&(&b.due_on, b.kind, &b.subject)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn policy(id: i64, effective: &str, months: u32, acks: &[&str]) -> Policy {
        Policy {
            id,
            title: format!("Policy {id}"),
            topic: "security".into(),
            review_months: months,
            versions: vec![PolicyVersion {
                version: 1,
                effective_on: effective.into(),
                text: "t".into(),
                document_id: None,
                recorded_by: "x".into(),
                recorded_at: "x".into(),
                acknowledgements: acks
                    .iter()
                    .map(|p| Acknowledgement {
                        person: p.to_string(),
                        acknowledged_on: effective.into(),
                    })
                    .collect(),
            }],
        }
    }

    fn training(held: &str, people: &[&str]) -> Training {
        Training {
            id: 1,
            topic: "Phishing".into(),
            held_on: held.into(),
            notes: String::new(),
            attendees: people.iter().map(|p| p.to_string()).collect(),
            materials: Vec::new(),
        }
    }

    fn check(
        policies: &[Policy],
        trainings: &[Training],
        today: &str,
        until: &str,
        expect: &[(&str, &str, bool)],
    ) {
        let got: Vec<(String, String, bool)> = due_of(policies, trainings, d(today), d(until))
            .into_iter()
            .map(|x| (x.subject, x.due_on, x.overdue))
            .collect();
        let expect: Vec<(String, String, bool)> = expect
            .iter()
            .map(|(s, on, o)| (s.to_string(), on.to_string(), *o))
            .collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn a_policy_is_due_for_review_its_period_after_it_took_effect() {
        let p = [policy(1, "2025-03-31", 12, &[])];
        check(&p, &[], "2026-01-01", "2026-03-30", &[]);
        check(
            &p,
            &[],
            "2026-01-01",
            "2026-03-31",
            &[("Policy 1", "2026-03-31", false)],
        );
        check(
            &p,
            &[],
            "2026-04-01",
            "2026-04-01",
            &[("Policy 1", "2026-03-31", true)],
        );
        // A six-monthly review from 31 August lands on the last day of February.
        let p = [policy(2, "2025-08-31", 6, &[])];
        check(
            &p,
            &[],
            "2026-01-01",
            "2026-12-31",
            &[("Policy 2", "2026-02-28", false)],
        );
    }

    #[test]
    fn training_is_due_a_year_after_the_last_session_and_at_once_for_someone_never_trained() {
        let p = [policy(1, "2026-01-10", 24, &["Zed Fictional"])];
        let t = [
            training("2025-02-01", &["Ann Example", "Bo Sample"]),
            training("2025-06-01", &["Bo Sample"]),
        ];
        check(
            &p,
            &t,
            "2026-03-01",
            "2026-06-30",
            &[
                ("Ann Example", "2026-02-01", true),
                ("Zed Fictional", "2026-03-01", false),
                ("Bo Sample", "2026-06-01", false),
            ],
        );
        // Before either falls due, nothing is listed except the untrained.
        check(
            &p,
            &t,
            "2025-07-01",
            "2025-12-31",
            &[("Zed Fictional", "2025-07-01", false)],
        );
    }

    #[test]
    fn the_current_version_carries_the_review_date_and_its_acknowledgements() {
        let mut p = policy(1, "2025-01-01", 12, &["Ann Example"]);
        p.versions.push(PolicyVersion {
            version: 2,
            effective_on: "2025-09-01".into(),
            acknowledgements: Vec::new(),
            ..p.versions[0].clone()
        });
        let s = p.summary();
        assert_eq!((s.current_version, s.review_on.as_str()), (2, "2026-09-01"));
        assert!(s.acknowledged_by.is_empty());
    }
}
