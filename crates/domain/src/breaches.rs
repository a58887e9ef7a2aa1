//! The incident (data breach) register: incidents with their reference
//! (`INC-2026-001`), window, awareness time, type, cause, devices,
//! timeline, risk assessment, notification decision, status and lessons;
//! the notices sent; the deadline rule table and the clocks it gives; and
//! the scope of an incident computed from the audit log.
//!
//! The user-facing word is "incident"; the module is `breaches` because
//! `incident` already names the core's private log of internal errors.
//!
//! Notices are never changed or deleted (triggers refuse it): a notice sent
//! is a fact. References are numbered per year from a counter that never
//! goes back, so a number is never reused.
//!
//! Scope ([`scope`]) is a pure function over audit events, so it can be
//! tested on scripted histories; the core feeds it the verified log.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, MAX_NOTES, now, required, validation};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &[$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// The value named `s` (as [`Self::as_str`] writes it).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }
    };
}

str_enum!(
    /// Which security property the incident broke.
    BreachKind {
        Confidentiality = "confidentiality",
        Integrity = "integrity",
        Availability = "availability",
    }
);

str_enum!(
    /// What happened.
    BreachCause {
        LostDevice = "lost_device",
        StolenDevice = "stolen_device",
        MisdirectedEmail = "misdirected_email",
        MisdirectedPackage = "misdirected_package",
        UnauthorisedAccess = "unauthorised_access",
        Malware = "malware",
        Other = "other",
    }
);

str_enum!(
    /// Where the incident is; it only moves forward.
    BreachStatus {
        Open = "open",
        Contained = "contained",
        Notified = "notified",
        Closed = "closed",
    }
);

str_enum!(
    /// Likelihood or severity in the risk assessment.
    Level {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
);

str_enum!(
    /// Whether to notify.
    NotifyDecision {
        Notify = "notify",
        DoNotNotify = "do_not_notify",
    }
);

str_enum!(
    /// Who a notice goes to.
    Audience {
        Authority = "authority",
        Client = "client",
        DataSubject = "data_subject",
    }
);

// --- the deadline rule table ----------------------------------------------

/// The version of [`RULES`]; recorded with every incident's clocks.
///
/// **Needs legal review before it is relied on.** Each row names its
/// source; only rows whose period is fixed by the text cited are here.
pub const RULES_VERSION: &str = "2026-12-05.1 (draft: needs legal review)";

/// How long a rule gives, counted from when the practice became aware.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Period {
    /// A fixed number of hours.
    Hours { hours: u32 },
    /// A fixed number of calendar days.
    Days { days: u32 },
    /// No fixed period: the wording of the source.
    Unfixed { wording: &'static str },
}

impl Period {
    fn duration(self) -> Option<Duration> {
        match self {
            Period::Hours { hours } => Some(Duration::hours(hours.into())),
            Period::Days { days } => Some(Duration::days(days.into())),
            Period::Unfixed { .. } => None,
        }
    }

    pub fn text(self) -> String {
        match self {
            Period::Hours { hours } => format!("{hours} hours"),
            Period::Days { days } => format!("{days} days"),
            Period::Unfixed { wording } => wording.to_string(),
        }
    }
}

/// One row of the deadline table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeadlineRule {
    pub id: &'static str,
    pub jurisdiction: &'static str,
    pub audience: Audience,
    pub period: Period,
    /// When the duty applies.
    pub threshold: &'static str,
    pub source: &'static str,
}

/// The deadline table (version [`RULES_VERSION`]). Kept as data: a test
/// per row checks it.
pub const RULES: &[DeadlineRule] = &[
    DeadlineRule {
        id: "gdpr-authority",
        jurisdiction: "EU/EEA (GDPR)",
        audience: Audience::Authority,
        period: Period::Hours { hours: 72 },
        threshold: "A personal data breach, unless it is unlikely to result in a risk to the rights and freedoms of natural persons; a later notice needs reasons for the delay.",
        source: "Regulation (EU) 2016/679, Art. 33(1)",
    },
    DeadlineRule {
        id: "gdpr-data-subjects",
        jurisdiction: "EU/EEA (GDPR)",
        audience: Audience::DataSubject,
        period: Period::Unfixed {
            wording: "without undue delay",
        },
        threshold: "The breach is likely to result in a high risk to the rights and freedoms of natural persons (not needed where Art. 34(3) applies, e.g. the data was encrypted).",
        source: "Regulation (EU) 2016/679, Art. 34(1) and 34(3)",
    },
    DeadlineRule {
        id: "aba-483-client",
        jurisdiction: "US (ABA Model Rules)",
        audience: Audience::Client,
        period: Period::Unfixed {
            wording: "no fixed period: inform the current client so they can make informed decisions",
        },
        threshold: "A data breach involving, or with a substantial likelihood of involving, material client confidential information (Model Rule 1.4).",
        source: "ABA Formal Opinion 483 (2018), Lawyers' Obligations After an Electronic Data Breach or Cyberattack",
    },
    DeadlineRule {
        id: "us-co-residents",
        jurisdiction: "US: Colorado",
        audience: Audience::DataSubject,
        period: Period::Days { days: 30 },
        threshold: "A security breach of Colorado residents' personal information; counted from the determination that a breach occurred; the Attorney General too when 500 or more residents are affected.",
        source: "Colo. Rev. Stat. § 6-1-716(2)",
    },
    DeadlineRule {
        id: "us-fl-individuals",
        jurisdiction: "US: Florida",
        audience: Audience::DataSubject,
        period: Period::Days { days: 30 },
        threshold: "A breach of security of Florida individuals' personal information; counted from the determination of a breach or reason to believe one occurred; the Department of Legal Affairs too when 500 or more individuals are affected.",
        source: "Fla. Stat. § 501.171(4)(a)",
    },
    DeadlineRule {
        id: "us-wa-residents",
        jurisdiction: "US: Washington",
        audience: Audience::DataSubject,
        period: Period::Days { days: 30 },
        threshold: "A breach of Washington residents' personal information; no more than thirty calendar days after the breach was discovered; the Attorney General too when more than 500 residents are affected.",
        source: "Rev. Code Wash. § 19.255.010(8)",
    },
    DeadlineRule {
        id: "us-tx-individuals",
        jurisdiction: "US: Texas",
        audience: Audience::DataSubject,
        period: Period::Days { days: 60 },
        threshold: "A breach of system security involving sensitive personal information; not later than the 60th day after determining the breach occurred (the Attorney General's own, shorter notice when 250 or more Texans are affected is not in this table).",
        source: "Tex. Bus. & Com. Code § 521.053(b)",
    },
];

/// The rules an incident uses when none are chosen.
pub const DEFAULT_RULES: &[&str] = &["gdpr-authority", "gdpr-data-subjects", "aba-483-client"];

pub fn rule(id: &str) -> Option<&'static DeadlineRule> {
    RULES.iter().find(|r| r.id == id)
}

/// Where one deadline stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running, more than the warning margin left.
    Running,
    /// Running, less than a quarter of the period left.
    DueSoon,
    /// Passed with no notice under this rule.
    Overdue,
    /// A notice under this rule was sent in time.
    Met,
    /// A notice under this rule was sent after the deadline.
    MetLate,
    /// No fixed period (see the rule's wording); met once a notice is sent.
    NoFixedPeriod,
    /// The decision was not to notify.
    NotRequired,
}

/// One running clock of an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Clock {
    pub rule: DeadlineRule,
    /// Due at (fixed periods only).
    pub due_at: Option<String>,
    /// Warn from (a quarter of the period before it is due).
    pub warn_at: Option<String>,
    pub state: ClockState,
    /// Seconds left (negative once passed), fixed periods only.
    pub seconds_left: Option<i64>,
}

/// The clocks of the rules `rule_ids`, counted from `aware_at`, at `now`,
/// given when each rule's first notice was sent.
pub fn clocks(
    rule_ids: &[String],
    aware_at: DateTime<Utc>,
    decision: Option<NotifyDecision>,
    first_notice: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<Clock> {
    rule_ids
        .iter()
        .filter_map(|id| rule(id))
        .map(|r| {
            let due = r.period.duration().map(|d| aware_at + d);
            let warn = r.period.duration().map(|d| aware_at + d - d / 4);
            let sent = first_notice.get(r.id).copied();
            let state = match (decision, sent, due) {
                (_, Some(s), Some(d)) if s > d => ClockState::MetLate,
                (_, Some(_), _) => ClockState::Met,
                (Some(NotifyDecision::DoNotNotify), None, _) => ClockState::NotRequired,
                (_, None, None) => ClockState::NoFixedPeriod,
                (_, None, Some(d)) if now > d => ClockState::Overdue,
                (_, None, Some(_)) if warn.is_some_and(|w| now >= w) => ClockState::DueSoon,
                (_, None, Some(_)) => ClockState::Running,
            };
            Clock {
                rule: *r,
                due_at: due.map(stamp),
                warn_at: warn.map(stamp),
                state,
                seconds_left: due.map(|d| (d - now).num_seconds()),
            }
        })
        .collect()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses a time the user typed: RFC 3339 (`2026-03-02T14:00:00Z`, or
/// with an offset), or `YYYY-MM-DD HH:MM` read as UTC.
pub fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, DomainError> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.to_utc());
    }
    for f in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Ok(n.and_utc());
        }
    }
    Err(validation(
        field,
        format!(
            "{text:?} is not a time: write it as 2026-03-02T14:00:00Z (or with an offset), or 2026-03-02 14:00 for UTC."
        ),
    ))
}

// --- incidents -------------------------------------------------------------

/// What opening an incident takes.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BreachInput {
    pub title: String,
    pub kind: Option<BreachKind>,
    pub cause: Option<BreachCause>,
    /// When it happened: the window's start and end.
    pub happened_from: String,
    pub happened_to: String,
    /// When the practice became aware: the clocks start here.
    pub aware_at: String,
    #[serde(default)]
    pub description: String,
    /// Device ids (as `matterbox incident devices` lists them).
    #[serde(default)]
    pub devices: Vec<String>,
    /// Deadline rule ids; none chosen means [`DEFAULT_RULES`].
    #[serde(default)]
    pub rules: Vec<String>,
}

/// A change to an incident; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BreachPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<BreachStatus>,
    pub likelihood: Option<Level>,
    pub severity: Option<Level>,
    pub risk_rationale: Option<String>,
    pub decision: Option<NotifyDecision>,
    pub decision_reason: Option<String>,
    pub delay_reasons: Option<String>,
    pub lessons: Option<String>,
    pub devices: Option<Vec<String>>,
    pub rules: Option<Vec<String>>,
}

/// An incident as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Breach {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub kind: BreachKind,
    pub cause: BreachCause,
    pub happened_from: String,
    pub happened_to: String,
    pub aware_at: String,
    pub description: String,
    pub devices: Vec<String>,
    pub rules: Vec<String>,
    pub rules_version: String,
    pub likelihood: Option<Level>,
    pub severity: Option<Level>,
    pub risk_rationale: String,
    pub decision: Option<NotifyDecision>,
    pub decision_reason: String,
    pub status: BreachStatus,
    pub delay_reasons: String,
    pub lessons: String,
    pub created_at: String,
    pub updated_at: String,
    pub events: Vec<BreachEvent>,
    pub notices: Vec<Notice>,
}

impl Breach {
    pub fn window(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), DomainError> {
        Ok((
            parse_time("happened_from", &self.happened_from)?,
            parse_time("happened_to", &self.happened_to)?,
        ))
    }

    pub fn aware(&self) -> Result<DateTime<Utc>, DomainError> {
        parse_time("aware_at", &self.aware_at)
    }

    /// The first notice sent under each rule.
    pub fn first_notices(&self) -> BTreeMap<String, DateTime<Utc>> {
        let mut out = BTreeMap::new();
        for n in &self.notices {
            if let (Some(rule), Ok(at)) = (&n.rule, parse_time("sent_at", &n.sent_at)) {
                out.entry(rule.clone())
                    .and_modify(|t: &mut DateTime<Utc>| *t = (*t).min(at))
                    .or_insert(at);
            }
        }
        out
    }

    pub fn clocks(&self, now: DateTime<Utc>) -> Result<Vec<Clock>, DomainError> {
        Ok(clocks(
            &self.rules,
            self.aware()?,
            self.decision,
            &self.first_notices(),
            now,
        ))
    }
}

/// A short row for lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BreachSummary {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub status: BreachStatus,
    pub aware_at: String,
    pub notices: i64,
    /// Deadlines due soon or passed with no notice (filled by the core
    /// from the clocks; 0 from [`list`]).
    pub deadlines_needing_attention: i64,
}

/// One entry of an incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BreachEvent {
    pub id: i64,
    pub at: String,
    pub description: String,
    pub recorded_at: String,
}

/// A notice as sent: kept verbatim with the SHA-256 of its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub id: i64,
    pub audience: Audience,
    /// The deadline rule it answers, if any.
    pub rule: Option<String>,
    pub recipient: String,
    pub channel: String,
    pub sent_at: String,
    pub text: String,
    pub sha256: String,
    pub delay_reasons: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// What recording a notice takes.
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoticeInput {
    pub audience: Option<Audience>,
    pub rule: Option<String>,
    pub recipient: String,
    pub channel: String,
    pub sent_at: String,
    pub text: String,
    #[serde(default)]
    pub delay_reasons: String,
}

/// The most devices or rules one incident names.
const MAX_LIST: usize = 50;

fn check_rules(ids: &[String]) -> Result<Vec<String>, DomainError> {
    let ids: Vec<String> = if ids.is_empty() {
        DEFAULT_RULES.iter().map(|s| s.to_string()).collect()
    } else {
        ids.iter().map(|s| s.trim().to_string()).collect()
    };
    for id in &ids {
        if rule(id).is_none() {
            let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            return Err(validation(
                "rules",
                format!(
                    "There is no deadline rule {id:?}; the rules are: {}.",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(dedup(ids))
}

fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    ids.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

fn check_devices(ids: &[String]) -> Result<Vec<String>, DomainError> {
    if ids.len() > MAX_LIST {
        return Err(validation(
            "devices",
            format!("An incident names at most {MAX_LIST} devices."),
        ));
    }
    for d in ids {
        if d.is_empty() || d.len() > 64 || !d.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(validation(
                "devices",
                format!(
                    "{d:?} is not a device id: use the ids `matterbox incident devices` lists."
                ),
            ));
        }
    }
    Ok(dedup(ids.iter().map(|d| d.to_ascii_lowercase()).collect()))
}

fn long_text(field: &str, label: &str, value: &str) -> Result<String, DomainError> {
    if value.chars().count() > MAX_NOTES {
        return Err(validation(
            field,
            format!("{label} is longer than {MAX_NOTES} characters."),
        ));
    }
    Ok(value.trim().to_string())
}

fn canonical(field: &str, text: &str) -> Result<String, DomainError> {
    parse_time(field, text).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Opens an incident; returns its id and reference.
pub fn create(conn: &Connection, input: &BreachInput) -> Result<(i64, String), DomainError> {
    let title = required("title", "The title", &input.title)?;
    let kind = input
        .kind
        .ok_or_else(|| validation("kind", "Say which kind of incident it is."))?;
    let cause = input
        .cause
        .ok_or_else(|| validation("cause", "Say what happened."))?;
    let (from_t, to_t) = (
        parse_time("happened_from", &input.happened_from)?,
        parse_time("happened_to", &input.happened_to)?,
    );
    let aware_t = parse_time("aware_at", &input.aware_at)?;
    // Compared as times: the stored text drops zero fractions, so it does
    // not sort as time does.
    let (from, to, aware) = (stamp(from_t), stamp(to_t), stamp(aware_t));
    if to_t < from_t {
        return Err(validation(
            "happened_to",
            "The window ends before it starts.",
        ));
    }
    if aware_t < from_t {
        return Err(validation(
            "aware_at",
            "The practice cannot have become aware before the incident began.",
        ));
    }
    let description = long_text("description", "The description", &input.description)?;
    let devices = check_devices(&input.devices)?;
    let rules = check_rules(&input.rules)?;
    let year = i64::from(chrono::Datelike::year(&aware_t));
    let number: i64 = conn.query_row(
        "INSERT INTO breach_counters (year, last) VALUES (?1, 1)
         ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        [year],
        |r| r.get(0),
    )?;
    if number > 999_999 {
        return Err(validation(
            "reference",
            "No incident numbers are left this year.",
        ));
    }
    let reference = format!("INC-{year}-{number:03}");
    let t = now();
    conn.execute(
        "INSERT INTO breaches (reference, title, kind, cause, happened_from, happened_to, aware_at,
             description, devices, rules, rules_version, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12, ?12)",
        params![
            reference,
            title,
            kind.as_str(),
            cause.as_str(),
            from,
            to,
            aware,
            description,
            to_json(&devices),
            to_json(&rules),
            RULES_VERSION,
            t
        ],
    )?;
    Ok((conn.last_insert_rowid(), reference))
}

fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn from_json(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The id of the incident with `reference` (or a numeric id).
pub fn id_by_reference(conn: &Connection, reference: &str) -> Result<i64, DomainError> {
    let r = reference.trim();
    let found: Option<i64> = conn
        .query_row(
            "SELECT id FROM breaches WHERE reference = ?1 COLLATE NOCASE",
            [r],
            |row| row.get(0),
        )
        .optional()?;
    match (found, r.parse::<i64>()) {
        (Some(id), _) => Ok(id),
        (None, Ok(id)) => get(conn, id).map(|b| b.id),
        (None, Err(_)) => Err(DomainError::NotFound {
            what: "incident",
            key: format!("reference {r}"),
        }),
    }
}

pub fn get(conn: &Connection, id: i64) -> Result<Breach, DomainError> {
    let mut b = conn
        .query_row(
            "SELECT id, reference, title, kind, cause, happened_from, happened_to, aware_at,
                    description, devices, rules, rules_version, likelihood, severity,
                    risk_rationale, decision, decision_reason, status, delay_reasons, lessons,
                    created_at, updated_at
             FROM breaches WHERE id = ?1",
            [id],
            |r| {
                let s = |i: usize| r.get::<_, String>(i);
                let o = |i: usize| r.get::<_, Option<String>>(i);
                Ok(Breach {
                    id: r.get(0)?,
                    reference: s(1)?,
                    title: s(2)?,
                    kind: BreachKind::parse(&s(3)?).unwrap_or(BreachKind::Confidentiality),
                    cause: BreachCause::parse(&s(4)?).unwrap_or(BreachCause::Other),
                    happened_from: s(5)?,
                    happened_to: s(6)?,
                    aware_at: s(7)?,
                    description: s(8)?,
                    devices: from_json(&s(9)?),
                    rules: from_json(&s(10)?),
                    rules_version: s(11)?,
                    likelihood: o(12)?.as_deref().and_then(Level::parse),
                    severity: o(13)?.as_deref().and_then(Level::parse),
                    risk_rationale: s(14)?,
                    decision: o(15)?.as_deref().and_then(NotifyDecision::parse),
                    decision_reason: s(16)?,
                    status: BreachStatus::parse(&s(17)?).unwrap_or(BreachStatus::Open),
                    delay_reasons: s(18)?,
                    lessons: s(19)?,
                    created_at: s(20)?,
                    updated_at: s(21)?,
                    events: Vec::new(),
                    notices: Vec::new(),
                })
            },
        )
        .optional()?
        .ok_or(DomainError::NotFound {
            what: "incident",
            key: format!("id {id}"),
        })?;
    let mut stmt = conn.prepare(
        "SELECT id, at, description, recorded_at FROM breach_events WHERE breach_id = ?1 ORDER BY at, id",
    )?;
    b.events = stmt
        .query_map([id], |r| {
            Ok(BreachEvent {
                id: r.get(0)?,
                at: r.get(1)?,
                description: r.get(2)?,
                recorded_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, audience, rule, recipient, channel, sent_at, text, sha256, delay_reasons,
                recorded_by, recorded_at
         FROM breach_notices WHERE breach_id = ?1 ORDER BY sent_at, id",
    )?;
    b.notices = stmt
        .query_map([id], |r| {
            Ok(Notice {
                id: r.get(0)?,
                audience: Audience::parse(&r.get::<_, String>(1)?).unwrap_or(Audience::Authority),
                rule: r.get(2)?,
                recipient: r.get(3)?,
                channel: r.get(4)?,
                sent_at: r.get(5)?,
                text: r.get(6)?,
                sha256: r.get(7)?,
                delay_reasons: r.get(8)?,
                recorded_by: r.get(9)?,
                recorded_at: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(b)
}

pub fn list(conn: &Connection) -> Result<Vec<BreachSummary>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT b.id, b.reference, b.title, b.status, b.aware_at,
                (SELECT count(*) FROM breach_notices n WHERE n.breach_id = b.id)
         FROM breaches b ORDER BY b.aware_at DESC, b.id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(BreachSummary {
            id: r.get(0)?,
            reference: r.get(1)?,
            title: r.get(2)?,
            status: BreachStatus::parse(&r.get::<_, String>(3)?).unwrap_or(BreachStatus::Open),
            aware_at: r.get(4)?,
            notices: r.get(5)?,
            deadlines_needing_attention: 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a deadline has passed with no notice sent in time (so that
/// reasons for the delay are owed, GDPR Art. 33(1)).
fn late_clocks(b: &Breach, now: DateTime<Utc>) -> Result<Vec<&'static str>, DomainError> {
    Ok(b.clocks(now)?
        .into_iter()
        .filter(|c| matches!(c.state, ClockState::Overdue | ClockState::MetLate))
        .map(|c| c.rule.id)
        .collect())
}

/// Applies `patch` at `now`; returns the names of the fields changed.
pub fn update(
    conn: &Connection,
    id: i64,
    patch: &BreachPatch,
    now_at: DateTime<Utc>,
) -> Result<Vec<&'static str>, DomainError> {
    let old = get(conn, id)?;
    let mut fields = Vec::new();
    let mut set = |col: &'static str, value: Option<String>| -> Result<(), DomainError> {
        conn.execute(
            &format!("UPDATE breaches SET {col} = ?1 WHERE id = ?2"),
            params![value, id],
        )?;
        fields.push(col);
        Ok(())
    };
    if let Some(t) = &patch.title {
        set("title", Some(required("title", "The title", t)?))?;
    }
    if let Some(t) = &patch.description {
        set(
            "description",
            Some(long_text("description", "The description", t)?),
        )?;
    }
    if let Some(l) = patch.likelihood {
        set("likelihood", Some(l.as_str().into()))?;
    }
    if let Some(l) = patch.severity {
        set("severity", Some(l.as_str().into()))?;
    }
    if let Some(t) = &patch.risk_rationale {
        set(
            "risk_rationale",
            Some(long_text("risk_rationale", "The rationale", t)?),
        )?;
    }
    if let Some(d) = patch.decision {
        set("decision", Some(d.as_str().into()))?;
    }
    if let Some(t) = &patch.decision_reason {
        set(
            "decision_reason",
            Some(long_text("decision_reason", "The reason", t)?),
        )?;
    }
    if let Some(t) = &patch.delay_reasons {
        set(
            "delay_reasons",
            Some(long_text("delay_reasons", "The reasons for delay", t)?),
        )?;
    }
    if let Some(t) = &patch.lessons {
        set("lessons", Some(long_text("lessons", "The lessons", t)?))?;
    }
    if let Some(d) = &patch.devices {
        set("devices", Some(to_json(&check_devices(d)?)))?;
    }
    if let Some(r) = &patch.rules {
        set("rules", Some(to_json(&check_rules(r)?)))?;
    }
    if patch.decision.is_some() || patch.decision_reason.is_some() {
        let b = get(conn, id)?;
        if b.decision.is_some() && b.decision_reason.trim().is_empty() {
            return Err(validation(
                "decision_reason",
                "A decision to notify or not needs its reason.",
            ));
        }
    }
    if let Some(status) = patch.status {
        if status < old.status {
            return Err(validation(
                "status",
                format!(
                    "An incident moves forward only (open → contained → notified → closed); it is {}.",
                    old.status.as_str()
                ),
            ));
        }
        let b = get(conn, id)?;
        if status >= BreachStatus::Notified && b.decision.is_none() {
            return Err(validation(
                "status",
                "Record the decision to notify or not (and why) first.",
            ));
        }
        if status == BreachStatus::Notified && b.notices.is_empty() {
            return Err(validation(
                "status",
                "No notice is recorded yet: record the notices sent first.",
            ));
        }
        let late = late_clocks(&b, now_at)?;
        if status > old.status
            && b.decision == Some(NotifyDecision::Notify)
            && !late.is_empty()
            && b.delay_reasons.trim().is_empty()
        {
            return Err(validation(
                "delay_reasons",
                format!(
                    "The deadline of {} has passed: give the reasons for the delay (GDPR Art. 33(1)).",
                    late.join(", ")
                ),
            ));
        }
        if status != old.status {
            set("status", Some(status.as_str().into()))?;
        }
    }
    if !fields.is_empty() {
        conn.execute(
            "UPDATE breaches SET updated_at = ?1 WHERE id = ?2",
            params![now(), id],
        )?;
    }
    Ok(fields)
}

/// Adds an entry to the timeline.
pub fn add_event(
    conn: &Connection,
    id: i64,
    at: &str,
    description: &str,
) -> Result<i64, DomainError> {
    get(conn, id)?;
    let at = canonical("at", at)?;
    let description = required("description", "The event", description)?;
    conn.execute(
        "INSERT INTO breach_events (breach_id, at, description, recorded_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, at, description, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records a notice sent. `sha256` is the hash of `input.text` as given
/// (the caller computes it). A notice under a rule whose deadline had
/// passed when it was sent needs reasons for the delay.
pub fn add_notice(
    conn: &Connection,
    id: i64,
    input: &NoticeInput,
    sha256: &str,
    recorded_by: &str,
) -> Result<i64, DomainError> {
    let b = get(conn, id)?;
    let audience = input
        .audience
        .ok_or_else(|| validation("audience", "Say who the notice went to."))?;
    let recipient = required("recipient", "The recipient", &input.recipient)?;
    let channel = required("channel", "The channel", &input.channel)?;
    let sent = parse_time("sent_at", &input.sent_at)?;
    if input.text.trim().is_empty() {
        return Err(validation("text", "The text of the notice is empty."));
    }
    if input.text.chars().count() > MAX_NOTES {
        return Err(validation(
            "text",
            format!("The text is longer than {MAX_NOTES} characters."),
        ));
    }
    let delay = long_text(
        "delay_reasons",
        "The reasons for delay",
        &input.delay_reasons,
    )?;
    let rule_id = match input.rule.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => {
            let rule = rule(r)
                .ok_or_else(|| validation("rule", format!("There is no deadline rule {r:?}.")))?;
            if rule.audience != audience {
                return Err(validation(
                    "rule",
                    format!(
                        "Rule {r} is about notices to the {}, not to the {}.",
                        rule.audience.as_str().replace('_', " "),
                        audience.as_str().replace('_', " ")
                    ),
                ));
            }
            if let Some(d) = rule.period.duration()
                && sent > b.aware()? + d
                && delay.is_empty()
            {
                return Err(validation(
                    "delay_reasons",
                    format!(
                        "This notice was sent after the {} deadline of {r}: give the reasons for the delay (GDPR Art. 33(1)).",
                        rule.period.text()
                    ),
                ));
            }
            Some(r.to_string())
        }
    };
    conn.execute(
        "INSERT INTO breach_notices (breach_id, audience, rule, recipient, channel, sent_at, text,
             sha256, delay_reasons, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            id,
            audience.as_str(),
            rule_id,
            recipient,
            channel,
            stamp(sent),
            input.text,
            sha256,
            delay,
            recorded_by,
            now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

// --- scope from the audit log ----------------------------------------------

/// The audit entries scope reads, as the core hands them over.
#[derive(Clone, Debug)]
pub struct LogEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub object: String,
    /// `details.device` (absent in entries written before devices were recorded).
    pub device: Option<String>,
    /// `details.session`.
    pub session: Option<String>,
    /// `details.taken_at` of a `backup_restored` entry.
    pub taken_at: Option<DateTime<Utc>>,
}

/// Actions that start a session (the keys are in memory from here).
pub const UNLOCK_ACTIONS: &[&str] = &[
    "vault_created",
    "vault_unlocked",
    "recovery_key_used",
    "passphrase_changed",
];
/// The action that ends one.
pub const LOCK_ACTION: &str = "vault_locked";
/// Actions that decrypt a document (preview, export, a copy for another
/// application, recognition). Backups copy documents still encrypted.
/// Packages shared are not read from the log but from the permanent
/// share records ([`shared_in_window`]), which name every document sent.
pub const ACCESS_ACTIONS: &[&str] = &[
    "document_viewed",
    "document_exported",
    "document_export_failed",
    "document_opened_externally",
    "ocr_finished",
];

/// One unlocked period of the vault, as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UnlockedPeriod {
    /// `None` when the entry does not say (written before devices were recorded).
    pub device: Option<String>,
    pub from: String,
    /// `None`: no lock was recorded; taken as unlocked until the end of the window.
    pub to: Option<String>,
    pub unlock_seq: i64,
    pub lock_seq: Option<i64>,
}

/// A lock receipt read from the backup folder and verified with the
/// vault's key (by the core): this device locked the vault at this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockReceipt {
    pub device: String,
    pub locked_at: DateTime<Utc>,
    /// The audit log's newest entry when it was written.
    pub audit_seq: i64,
}

/// What the log shows for one device of the incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceScope {
    pub device: String,
    /// Unlocked periods that touch the window (the device's own, and those
    /// whose device is not known).
    pub unlocked: Vec<UnlockedPeriod>,
    /// How far this copy of the log can speak for the device: now for a
    /// live log; the snapshot's time for another device when this vault
    /// was restored from a backup.
    pub known_until: String,
    /// When this copy was restored from a backup and the backup is where
    /// its evidence about the device ends: the time the backup was taken.
    /// Nothing after it is in this log.
    pub evidence_ends_at_backup: Option<String>,
    /// Locked for the whole window, as far as an intact log covering it shows.
    pub locked_throughout: bool,
    /// When this copy's log ends before the window: the time of a verified
    /// lock receipt of the device, after the log's end and before the
    /// window began (the keys were off the device when it began).
    pub locked_by_receipt: Option<String>,
    pub statement: String,
}

/// The pure result of [`scope`]: documents by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeCore {
    pub devices: Vec<DeviceScope>,
    /// Document id → how it was accessed (the actions, deduplicated).
    pub accessed: BTreeMap<i64, BTreeSet<String>>,
    /// Whether any device of the incident had the vault unlocked in the window.
    pub any_unlocked: bool,
}

fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Computes which documents were accessed on `devices` during `window`
/// and which devices had the vault unlocked then, from `events` (oldest
/// first). `devices` empty means every device. `this_device` is the device
/// running the computation (its log is live); `now` ends periods with no
/// lock. **Never assumes safety:** an unlock with no recorded lock is
/// unlocked until the end of the window; an unlock or access whose device
/// is not recorded counts for every device; a device the log cannot speak
/// for up to the window's end is not called locked throughout.
pub fn scope(
    events: &[LogEvent],
    window: (DateTime<Utc>, DateTime<Utc>),
    devices: &[String],
    this_device: &str,
    now_at: DateTime<Utc>,
) -> ScopeCore {
    scope_with_receipts(events, window, devices, this_device, now_at, &[])
}

/// [`scope`], with the verified lock receipts of devices (newest of each).
/// A receipt counts only for a device this copy of the log stops speaking
/// for before the window ends, and only when it is later than the log's
/// end and no later than the window's start: the lock it shows then ends
/// the device's unlocks the copy saw open, and the device is said to have
/// been locked when the window began — never "locked throughout", which
/// only the log can show.
pub fn scope_with_receipts(
    events: &[LogEvent],
    window: (DateTime<Utc>, DateTime<Utc>),
    devices: &[String],
    this_device: &str,
    now_at: DateTime<Utc>,
    receipts: &[LockReceipt],
) -> ScopeCore {
    // Periods: unlock → the lock of the same session (or, for entries
    // without sessions, the next lock without one).
    let mut periods: Vec<(UnlockedPeriod, DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
    let mut open_by_session: BTreeMap<String, usize> = BTreeMap::new();
    let mut open_legacy: Vec<usize> = Vec::new();
    let mut session_device: BTreeMap<String, String> = BTreeMap::new();
    let mut last_restore: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for e in events {
        if let (Some(s), Some(d)) = (&e.session, &e.device) {
            session_device.insert(s.clone(), d.clone());
        }
        if e.action == "backup_restored" {
            last_restore = Some((e.at, e.taken_at.unwrap_or(e.at)));
        }
        if UNLOCK_ACTIONS.contains(&e.action.as_str()) {
            let i = periods.len();
            periods.push((
                UnlockedPeriod {
                    device: e.device.clone(),
                    from: stamp(e.at),
                    to: None,
                    unlock_seq: e.seq,
                    lock_seq: None,
                },
                e.at,
                None,
            ));
            match &e.session {
                Some(s) => {
                    open_by_session.insert(s.clone(), i);
                }
                None => open_legacy.push(i),
            }
        } else if e.action == LOCK_ACTION {
            let i = match &e.session {
                Some(s) => open_by_session.remove(s),
                None => open_legacy.pop(),
            };
            if let Some(i) = i {
                periods[i].0.to = Some(stamp(e.at));
                periods[i].0.lock_seq = Some(e.seq);
                periods[i].2 = Some(e.at);
            }
        }
    }
    let wanted = |d: Option<&String>| match d {
        None => true,
        Some(d) => devices.is_empty() || devices.contains(d),
    };
    // An unlock with no lock runs to the end of the window (never assume
    // it ended sooner); one that starts after the window does not touch it.
    let touching = |p: &(UnlockedPeriod, DateTime<Utc>, Option<DateTime<Utc>>)| {
        overlaps((p.1, p.2.unwrap_or(window.1.max(p.1))), window)
    };
    let named: Vec<String> = if devices.is_empty() {
        let mut all: BTreeSet<String> = periods.iter().filter_map(|p| p.0.device.clone()).collect();
        all.insert(this_device.to_string());
        all.into_iter().collect()
    } else {
        devices.to_vec()
    };
    let mut device_scopes = Vec::new();
    let mut any_unlocked = false;
    for d in &named {
        let mut unlocked: Vec<UnlockedPeriod> = periods
            .iter()
            .filter(|p| p.0.device.as_ref().is_none_or(|pd| pd == d) && touching(p))
            .map(|p| p.0.clone())
            .collect();
        // Another device than this one: the log speaks for it while it
        // wrote here. Once the vault was re-enrolled on another device
        // after its last entry (a recovery, a restore from a backup), the
        // old device could go on only in another copy: this one knows it up
        // to the snapshot restored, or else up to its own last entry.
        let (known_until, backup_taken) = if d == this_device {
            (now_at, None)
        } else {
            match events.iter().rev().find(|e| e.device.as_deref() == Some(d)) {
                None => (DateTime::<Utc>::MIN_UTC, None),
                Some(last) => {
                    let moved = events.iter().any(|e| {
                        e.at > last.at
                            && e.action == "recovery_key_used"
                            && e.device.as_deref().is_some_and(|o| o != d)
                    });
                    match (moved, last_restore) {
                        (false, _) => (now_at, None),
                        (true, Some((restored_at, taken))) if restored_at > last.at => {
                            (taken.max(last.at), Some(taken))
                        }
                        (true, _) => (last.at, None),
                    }
                }
            }
        };
        let covered = known_until >= window.1;
        // A verified receipt after what this copy knows, before the window.
        let receipt = receipts
            .iter()
            .find(|r| &r.device == d)
            .filter(|_| d != this_device && !covered)
            .filter(|r| r.locked_at > known_until && r.locked_at <= window.0)
            .map(|r| r.locked_at);
        if let Some(locked) = receipt {
            // The device's own unlocks left open by the copy's end were
            // over by the receipt's lock.
            unlocked.retain(|p| {
                !(p.to.is_none()
                    && p.device.as_deref() == Some(d.as_str())
                    && DateTime::parse_from_rfc3339(&p.from).is_ok_and(|f| f.to_utc() <= locked))
            });
        }
        let locked_by_receipt = receipt.filter(|_| unlocked.is_empty());
        any_unlocked |= !unlocked.is_empty();
        let locked_throughout = unlocked.is_empty() && covered;
        // Where this copy's evidence about the device ends, said first
        // whenever it ends before the window does.
        let limit = match backup_taken {
            Some(taken) if !covered => format!(
                "This copy of the vault was restored from a backup taken at {}: its audit log holds no evidence about device {d} after that time. ",
                stamp(taken)
            ),
            _ => String::new(),
        };
        // Unlocks seen only because their lock lies beyond what this copy
        // knows: open at the copy's end, begun before the window.
        let assumed_only = !covered
            && !unlocked.is_empty()
            && unlocked.iter().all(|p| {
                p.to.is_none()
                    && DateTime::parse_from_rfc3339(&p.from).is_ok_and(|f| f.to_utc() < window.0)
            });
        let statement = if let Some(locked) = locked_by_receipt {
            format!(
                "{limit}A lock receipt of device {d}, left at the backup folder and verified with the vault's key, shows the vault was locked there at {}, after this copy's log ends and before the window began at {}: the data on the device was encrypted and its keys were not on it when the window began. This copy knows nothing of the device after {}, so no claim is made that it stayed locked throughout.",
                stamp(locked),
                stamp(window.0),
                stamp(locked)
            )
        } else if assumed_only {
            format!(
                "{limit}Its last recorded unlock (at {}) has no lock in this copy, because the copy ends first: the log cannot show when the vault was locked, so it is taken as possibly unlocked during the window and everything in it as exposed. No claim is made that it was locked.",
                unlocked[unlocked.len() - 1].from
            )
        } else if !unlocked.is_empty() {
            let open = unlocked.iter().filter(|p| p.to.is_none()).count();
            let unknown = unlocked.iter().filter(|p| p.device.is_none()).count();
            let mut s = format!(
                "The vault was unlocked on device {d} during the window ({} period(s)): everything in it was exposed.",
                unlocked.len()
            );
            if open > 0 {
                s.push_str(&format!(" {open} unlock(s) have no recorded lock (still unlocked, or the program was stopped before it could lock): taken as unlocked until the end of the window."));
            }
            if unknown > 0 {
                s.push_str(&format!(" {unknown} unlock(s) were recorded without a device and are counted for every device."));
            }
            s
        } else if covered {
            format!(
                "The vault was locked on device {d} for the whole window: the data there was encrypted and its keys were not on the device."
            )
        } else if known_until == DateTime::<Utc>::MIN_UTC {
            format!(
                "This audit log has no record of device {d}: it cannot say whether the vault was locked there."
            )
        } else {
            // The device's last recorded state, for the lawyer to weigh.
            let last_state = periods
                .iter()
                .rfind(|p| p.0.device.as_deref() == Some(d.as_str()) && p.1 <= known_until)
                .map(|p| match p.2 {
                    Some(locked) => format!(
                        " Its last recorded state was locked (since {}).",
                        stamp(locked)
                    ),
                    None => " Its last recorded unlock has no lock.".to_string(),
                })
                .unwrap_or_default();
            format!(
                "{limit}No unlock on device {d} is recorded in the window, but this copy of the log speaks for that device only up to {} (before the window ends): what happened on it after that is not known, so no claim is made that it stayed locked.{last_state}",
                stamp(known_until)
            )
        };
        let statement = if !limit.is_empty() && !statement.starts_with(&limit) {
            format!("{limit}{statement}")
        } else {
            statement
        };
        device_scopes.push(DeviceScope {
            device: d.clone(),
            unlocked,
            known_until: stamp(known_until),
            evidence_ends_at_backup: backup_taken.filter(|_| !covered).map(stamp),
            locked_throughout,
            locked_by_receipt: locked_by_receipt.map(stamp),
            statement,
        });
    }
    let mut accessed: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for e in events {
        if !ACCESS_ACTIONS.contains(&e.action.as_str()) || e.at < window.0 || e.at > window.1 {
            continue;
        }
        let device = e.device.clone().or_else(|| {
            e.session
                .as_ref()
                .and_then(|s| session_device.get(s).cloned())
        });
        if !wanted(device.as_ref()) {
            continue;
        }
        if let Some(id) = e
            .object
            .strip_prefix("document:")
            .and_then(|i| i.parse::<i64>().ok())
        {
            accessed.entry(id).or_default().insert(e.action.clone());
        }
    }
    ScopeCore {
        devices: device_scopes,
        accessed,
        any_unlocked,
    }
}

/// A document in the scope, with its matter and client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScopedDocument {
    pub id: i64,
    pub title: String,
    pub matter_id: i64,
    pub matter_number: String,
    pub client_id: i64,
    pub client_name: String,
    /// How it was accessed (empty for documents only exposed).
    pub actions: Vec<String>,
}

/// A matter or client in the scope with how many of its documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Rollup {
    pub id: i64,
    pub name: String,
    pub documents: i64,
}

/// Documents with their matter and client: `ids` (or, with `None`, every
/// document created up to `until`). Destroyed documents are gone from the
/// database and cannot be listed.
pub fn scoped_documents(
    conn: &Connection,
    ids: Option<&BTreeMap<i64, BTreeSet<String>>>,
    until: DateTime<Utc>,
) -> Result<Vec<ScopedDocument>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT d.id, d.title, m.id, m.number, c.id, c.name, d.created_at
         FROM documents d JOIN matters m ON m.id = d.matter_id JOIN clients c ON c.id = m.client_id
         ORDER BY c.name, m.number, d.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            ScopedDocument {
                id: r.get(0)?,
                title: r.get(1)?,
                matter_id: r.get(2)?,
                matter_number: r.get(3)?,
                client_id: r.get(4)?,
                client_name: r.get(5)?,
                actions: Vec::new(),
            },
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut doc, created) = row?;
        match ids {
            Some(ids) => match ids.get(&doc.id) {
                Some(actions) => {
                    doc.actions = actions.iter().cloned().collect();
                    out.push(doc);
                }
                None => continue,
            },
            None => {
                let created = DateTime::parse_from_rfc3339(&created).map(|t| t.to_utc());
                if created.is_ok_and(|c| c <= until) {
                    out.push(doc);
                }
            }
        }
    }
    Ok(out)
}

/// Matters and clients of `docs`, with document counts.
pub fn rollup(docs: &[ScopedDocument]) -> (Vec<Rollup>, Vec<Rollup>) {
    let mut matters: BTreeMap<i64, Rollup> = BTreeMap::new();
    let mut clients: BTreeMap<i64, Rollup> = BTreeMap::new();
    for d in docs {
        matters
            .entry(d.matter_id)
            .or_insert_with(|| Rollup {
                id: d.matter_id,
                name: d.matter_number.clone(),
                documents: 0,
            })
            .documents += 1;
        clients
            .entry(d.client_id)
            .or_insert_with(|| Rollup {
                id: d.client_id,
                name: d.client_name.clone(),
                documents: 0,
            })
            .documents += 1;
    }
    (
        matters.into_values().collect(),
        clients.into_values().collect(),
    )
}

/// A document in a package shared in the window, with its matter and
/// client as they are now (`None` once retention destroyed them: the
/// share record keeps the ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SharedScopeDocument {
    pub document_id: i64,
    pub version: i64,
    /// Its name inside the package.
    pub name: String,
    pub sha256: String,
    pub matter_id: i64,
    pub matter_number: Option<String>,
    pub client_id: Option<i64>,
    pub client_name: Option<String>,
}

/// A package created in the incident's window: what left the vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SharedPackage {
    pub share_id: i64,
    pub package_id: String,
    pub created_at: String,
    pub created_by: String,
    /// `age`, `zip` or `pdf` (a court bundle, unencrypted).
    pub format: String,
    /// `passphrase_words`, `passphrase_random`, `age_key` or `none` (a
    /// court bundle).
    pub protection: String,
    pub recipient: String,
    pub client_id: i64,
    pub client_name: Option<String>,
    pub package_sha256: String,
    pub documents: Vec<SharedScopeDocument>,
}

/// Every package created within `window` (inclusive), oldest first, from
/// the permanent share records. Packages are listed whatever device made
/// them: once written, a package is out of the vault wherever it was made.
pub fn shared_in_window(
    conn: &Connection,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<SharedPackage>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT s.id, s.package_id, s.created_at, s.created_by, s.format, s.protection,
                s.recipient, s.client_id, c.name, s.package_sha256
         FROM shares s LEFT JOIN clients c ON c.id = s.client_id
         ORDER BY s.created_at, s.id",
    )?;
    let mut packages = Vec::new();
    for row in stmt.query_map([], |r| {
        Ok(SharedPackage {
            share_id: r.get(0)?,
            package_id: r.get(1)?,
            created_at: r.get(2)?,
            created_by: r.get(3)?,
            format: r.get(4)?,
            protection: r.get(5)?,
            recipient: r.get(6)?,
            client_id: r.get(7)?,
            client_name: r.get(8)?,
            package_sha256: r.get(9)?,
            documents: Vec::new(),
        })
    })? {
        let p = row?;
        // A time that does not parse is kept: never drop what left the vault.
        let inside = DateTime::parse_from_rfc3339(&p.created_at)
            .map(|t| t.to_utc())
            .map_or(true, |t| t >= window.0 && t <= window.1);
        if inside {
            packages.push(p);
        }
    }
    let mut docs = conn.prepare(
        "SELECT d.document_id, d.version, d.name, d.sha256, d.matter_id, m.number, c.id, c.name
         FROM share_documents d
         LEFT JOIN matters m ON m.id = d.matter_id
         LEFT JOIN clients c ON c.id = m.client_id
         WHERE d.share_id = ?1 ORDER BY d.position",
    )?;
    for p in &mut packages {
        p.documents = docs
            .query_map([p.share_id], |r| {
                Ok(SharedScopeDocument {
                    document_id: r.get(0)?,
                    version: r.get(1)?,
                    name: r.get(2)?,
                    sha256: r.get(3)?,
                    matter_id: r.get(4)?,
                    matter_number: r.get(5)?,
                    client_id: r.get(6)?,
                    client_name: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(packages)
}

/// Matters and clients of what was shared, each with how many distinct
/// documents of it left the vault (a document in two packages counts
/// once). A matter or client destroyed since is named by its id.
pub fn shared_rollup(packages: &[SharedPackage]) -> (Vec<Rollup>, Vec<Rollup>) {
    let mut matters: BTreeMap<i64, (String, BTreeSet<i64>)> = BTreeMap::new();
    let mut clients: BTreeMap<i64, (String, BTreeSet<i64>)> = BTreeMap::new();
    for p in packages {
        for d in &p.documents {
            matters
                .entry(d.matter_id)
                .or_insert_with(|| {
                    let name = d
                        .matter_number
                        .clone()
                        .unwrap_or_else(|| format!("(matter {} destroyed)", d.matter_id));
                    (name, BTreeSet::new())
                })
                .1
                .insert(d.document_id);
            // The package's client stands in when the matter is gone.
            let (client_id, client_name) = match (d.client_id, &d.client_name) {
                (Some(id), Some(name)) => (id, Some(name.clone())),
                _ => (p.client_id, p.client_name.clone()),
            };
            clients
                .entry(client_id)
                .or_insert_with(|| {
                    let name =
                        client_name.unwrap_or_else(|| format!("(client {client_id} destroyed)"));
                    (name, BTreeSet::new())
                })
                .1
                .insert(d.document_id);
        }
    }
    let out = |m: BTreeMap<i64, (String, BTreeSet<i64>)>| {
        m.into_iter()
            .map(|(id, (name, docs))| Rollup {
                id,
                name,
                documents: i64::try_from(docs.len()).unwrap_or(i64::MAX),
            })
            .collect()
    };
    (out(matters), out(clients))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time("t", s).unwrap()
    }

    // --- what was shared ---------------------------------------------------

    #[test]
    fn a_court_bundle_is_in_the_shared_scope_as_an_unprotected_pdf() {
        use crate::shares::{self, NewShare, Protection, ShareFormat, SharedDocument};
        let (_d, conn) = db();
        conn.execute_batch(
            "INSERT INTO clients (id, kind, name, created_at, updated_at)
                 VALUES (1, 'person', 'Ada Fictional', 't', 't');
             INSERT INTO matters (id, number, title, client_id, status, opened_on, created_at, updated_at)
                 VALUES (10, 'M-10', 'One', 1, 'open', '2026-01-01', 't', 't');",
        )
        .unwrap();
        let id = shares::record(
            &conn,
            &NewShare {
                package_id: "bundle",
                client_id: 1,
                format: ShareFormat::Pdf,
                protection: Protection::None,
                hide_names: false,
                recipient: "County Court",
                recipient_key_id: None,
                recipient_key: None,
                file_path: "/tmp/court-bundle.pdf",
                package_sha256: &"cd".repeat(32),
                package_size: 1,
                created_at: "2026-03-01T10:00:00Z",
                documents: &[SharedDocument {
                    document_id: 7,
                    version: 2,
                    matter_id: 10,
                    name: "Deed".into(),
                    size: 1,
                    sha256: "ab".repeat(32),
                }],
            },
            "tester",
        )
        .unwrap();
        let window = (t("2026-03-01T09:00:00Z"), t("2026-03-01T17:00:00Z"));
        let got = shared_in_window(&conn, window).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].share_id, id);
        assert_eq!(
            (got[0].format.as_str(), got[0].protection.as_str()),
            ("pdf", "none")
        );
        assert_eq!(got[0].documents[0].matter_number.as_deref(), Some("M-10"));
        assert_eq!(shares::get(&conn, id).unwrap().format, ShareFormat::Pdf);
    }

    #[test]
    fn shared_in_window_lists_only_packages_made_inside_it_with_their_documents() {
        use crate::shares::{self, NewShare, Protection, ShareFormat, SharedDocument};
        let (_d, conn) = db();
        conn.execute_batch(
            "INSERT INTO clients (id, kind, name, created_at, updated_at)
                 VALUES (1, 'person', 'Ada Fictional', 't', 't'), (2, 'person', 'Bob Invented', 't', 't');
             INSERT INTO matters (id, number, title, client_id, status, opened_on, created_at, updated_at)
                 VALUES (10, 'M-10', 'One', 1, 'open', '2026-01-01', 't', 't'),
                        (11, 'M-11', 'Two', 1, 'open', '2026-01-01', 't', 't');",
        )
        .unwrap();
        let doc = |id, matter| SharedDocument {
            document_id: id,
            version: 1,
            matter_id: matter,
            name: format!("d{id}.pdf"),
            size: 1,
            sha256: "ab".repeat(32),
        };
        let share = |package: &str, client, at: &str, docs: &[SharedDocument]| {
            shares::record(
                &conn,
                &NewShare {
                    package_id: package,
                    client_id: client,
                    format: ShareFormat::Zip,
                    protection: Protection::PassphraseRandom,
                    hide_names: false,
                    recipient: "Wrong Person Fictional",
                    recipient_key_id: None,
                    recipient_key: None,
                    file_path: "/tmp/p",
                    package_sha256: &"cd".repeat(32),
                    package_size: 1,
                    created_at: at,
                    documents: docs,
                },
                "tester",
            )
            .unwrap()
        };
        share("before", 1, "2026-03-01T08:59:59Z", &[doc(1, 10)]);
        let inside = share(
            "inside",
            1,
            "2026-03-01T09:00:00Z",
            &[doc(1, 10), doc(2, 10), doc(3, 11)],
        );
        // A matter destroyed since: the record keeps its id, the package's client stands in.
        let gone = share("gone", 2, "2026-03-01T12:00:00Z", &[doc(4, 99), doc(1, 10)]);
        share("after", 1, "2026-03-01T17:00:01Z", &[doc(5, 10)]);
        let window = (t("2026-03-01T09:00:00Z"), t("2026-03-01T17:00:00Z"));
        let got = shared_in_window(&conn, window).unwrap();
        assert_eq!(
            got.iter().map(|p| p.share_id).collect::<Vec<_>>(),
            vec![inside, gone]
        );
        let p = &got[0];
        assert_eq!(
            (p.format.as_str(), p.protection.as_str()),
            ("zip", "passphrase_random")
        );
        assert_eq!(p.recipient, "Wrong Person Fictional");
        assert_eq!(p.client_name.as_deref(), Some("Ada Fictional"));
        assert_eq!(
            p.documents
                .iter()
                .map(|d| (
                    d.document_id,
                    d.matter_number.as_deref(),
                    d.client_name.as_deref()
                ))
                .collect::<Vec<_>>(),
            vec![
                (1, Some("M-10"), Some("Ada Fictional")),
                (2, Some("M-10"), Some("Ada Fictional")),
                (3, Some("M-11"), Some("Ada Fictional")),
            ]
        );
        assert_eq!(got[1].documents[0].matter_number, None);
        let (matters, clients) = shared_rollup(&got);
        let counts = |r: &[Rollup]| {
            r.iter()
                .map(|r| (r.id, r.name.clone(), r.documents))
                .collect::<Vec<_>>()
        };
        // Document 1 left twice and counts once.
        assert_eq!(
            counts(&matters),
            vec![
                (10, "M-10".into(), 2),
                (11, "M-11".into(), 1),
                (99, "(matter 99 destroyed)".into(), 1),
            ]
        );
        assert_eq!(
            counts(&clients),
            vec![
                (1, "Ada Fictional".into(), 3),
                (2, "Bob Invented".into(), 1)
            ]
        );
        let none = shared_in_window(
            &conn,
            (t("2026-04-01T00:00:00Z"), t("2026-04-02T00:00:00Z")),
        );
        assert!(none.unwrap().is_empty());
    }

    // --- the rule table: one test per row ---------------------------------

    fn row(id: &str) -> &'static DeadlineRule {
        rule(id).unwrap_or_else(|| panic!("no row {id}"))
    }

    fn due(id: &str, aware: &str) -> Option<String> {
        clocks(&[id.into()], t(aware), None, &BTreeMap::new(), t(aware))[0]
            .due_at
            .clone()
    }

    #[test]
    fn rule_gdpr_authority_is_72_hours_from_awareness() {
        let r = row("gdpr-authority");
        assert_eq!(r.audience, Audience::Authority);
        assert_eq!(r.period, Period::Hours { hours: 72 });
        assert!(r.source.contains("Art. 33(1)"));
        assert_eq!(
            due(r.id, "2026-03-02T10:00:00Z").as_deref(),
            Some("2026-03-05T10:00:00Z")
        );
    }

    #[test]
    fn rule_gdpr_data_subjects_is_without_undue_delay_when_high_risk() {
        let r = row("gdpr-data-subjects");
        assert_eq!(r.audience, Audience::DataSubject);
        assert_eq!(
            r.period,
            Period::Unfixed {
                wording: "without undue delay"
            }
        );
        assert!(r.threshold.contains("high risk"));
        assert!(r.source.contains("Art. 34"));
        assert_eq!(due(r.id, "2026-03-02T10:00:00Z"), None);
    }

    #[test]
    fn rule_aba_483_is_a_client_notice_with_no_fixed_period() {
        let r = row("aba-483-client");
        assert_eq!(r.audience, Audience::Client);
        assert!(matches!(r.period, Period::Unfixed { .. }));
        assert!(r.source.contains("Formal Opinion 483"));
        assert_eq!(due(r.id, "2026-03-02T10:00:00Z"), None);
    }

    #[test]
    fn rule_colorado_is_30_days() {
        let r = row("us-co-residents");
        assert_eq!(r.period, Period::Days { days: 30 });
        assert!(r.source.contains("6-1-716"));
        assert_eq!(
            due(r.id, "2026-03-02T10:00:00Z").as_deref(),
            Some("2026-04-01T10:00:00Z")
        );
    }

    #[test]
    fn rule_florida_is_30_days() {
        let r = row("us-fl-individuals");
        assert_eq!(r.period, Period::Days { days: 30 });
        assert!(r.source.contains("501.171"));
        assert_eq!(
            due(r.id, "2026-12-15T00:00:00Z").as_deref(),
            Some("2027-01-14T00:00:00Z")
        );
    }

    #[test]
    fn rule_washington_is_30_days() {
        let r = row("us-wa-residents");
        assert_eq!(r.period, Period::Days { days: 30 });
        assert!(r.source.contains("19.255.010"));
        assert_eq!(
            due(r.id, "2026-02-10T08:30:00Z").as_deref(),
            Some("2026-03-12T08:30:00Z")
        );
    }

    #[test]
    fn rule_texas_is_60_days_for_individuals() {
        let r = row("us-tx-individuals");
        assert_eq!(r.period, Period::Days { days: 60 });
        assert_eq!(r.audience, Audience::DataSubject);
        assert!(r.source.contains("521.053"));
        assert_eq!(
            due(r.id, "2026-01-01T00:00:00Z").as_deref(),
            Some("2026-03-02T00:00:00Z")
        );
    }

    #[test]
    fn every_row_has_a_test_a_source_and_a_unique_id() {
        let tested = [
            "gdpr-authority",
            "gdpr-data-subjects",
            "aba-483-client",
            "us-co-residents",
            "us-fl-individuals",
            "us-wa-residents",
            "us-tx-individuals",
        ];
        assert_eq!(RULES.len(), tested.len(), "a new row needs its own test");
        for r in RULES {
            assert!(tested.contains(&r.id), "{} has no test", r.id);
            assert!(!r.source.trim().is_empty() && !r.threshold.trim().is_empty());
        }
        for d in DEFAULT_RULES {
            assert!(rule(d).is_some());
        }
        assert!(RULES_VERSION.contains("legal review"));
    }

    #[test]
    fn clocks_warn_pass_and_are_met() {
        let aware = t("2026-03-02T10:00:00Z");
        let ids = vec!["gdpr-authority".to_string(), "aba-483-client".to_string()];
        let at = |s: &str, sent: &[(&str, &str)], d| {
            let sent = sent.iter().map(|(r, s)| (r.to_string(), t(s))).collect();
            clocks(&ids, aware, d, &sent, t(s))
                .into_iter()
                .map(|c| c.state)
                .collect::<Vec<_>>()
        };
        use ClockState::*;
        assert_eq!(
            at("2026-03-02T11:00:00Z", &[], None),
            [Running, NoFixedPeriod]
        );
        // A quarter of 72 h before: 18 h before the deadline.
        assert_eq!(
            at("2026-03-04T16:00:00Z", &[], None),
            [DueSoon, NoFixedPeriod]
        );
        assert_eq!(
            at("2026-03-05T10:00:01Z", &[], None),
            [Overdue, NoFixedPeriod]
        );
        assert_eq!(
            at(
                "2026-03-09T00:00:00Z",
                &[("gdpr-authority", "2026-03-04T09:00:00Z")],
                None
            ),
            [Met, NoFixedPeriod]
        );
        assert_eq!(
            at(
                "2026-03-09T00:00:00Z",
                &[
                    ("gdpr-authority", "2026-03-06T09:00:00Z"),
                    ("aba-483-client", "2026-03-03T00:00:00Z")
                ],
                None
            ),
            [MetLate, Met]
        );
        assert_eq!(
            at(
                "2026-03-09T00:00:00Z",
                &[],
                Some(NotifyDecision::DoNotNotify)
            ),
            [NotRequired, NotRequired]
        );
    }

    // --- records -------------------------------------------------------

    fn input() -> BreachInput {
        BreachInput {
            title: "Laptop stolen from a car".into(),
            kind: Some(BreachKind::Confidentiality),
            cause: Some(BreachCause::StolenDevice),
            happened_from: "2026-03-02 09:00".into(),
            happened_to: "2026-03-02T12:00:00+01:00".into(),
            aware_at: "2026-03-02 12:30".into(),
            devices: vec!["ABCDEF0123".into()],
            ..Default::default()
        }
    }

    #[test]
    fn references_count_per_year_and_are_never_reused() {
        let (_d, conn) = db();
        let (a, ra) = create(&conn, &input()).unwrap();
        let (_, rb) = create(&conn, &input()).unwrap();
        assert_eq!((ra.as_str(), rb.as_str()), ("INC-2026-001", "INC-2026-002"));
        let next_year = BreachInput {
            happened_from: "2027-01-01 00:00".into(),
            happened_to: "2027-01-01 01:00".into(),
            aware_at: "2027-01-02 00:00".into(),
            ..input()
        };
        assert_eq!(create(&conn, &next_year).unwrap().1, "INC-2027-001");
        // Even a row removed behind the register's back frees no number.
        conn.execute("DELETE FROM breaches WHERE id = ?1", [a])
            .unwrap();
        assert_eq!(create(&conn, &input()).unwrap().1, "INC-2026-003");
        let b = get(&conn, id_by_reference(&conn, "inc-2026-002").unwrap()).unwrap();
        assert_eq!(b.happened_to, "2026-03-02T11:00:00Z");
        assert_eq!(b.devices, ["abcdef0123"]);
        assert_eq!(b.rules, DEFAULT_RULES);
        assert_eq!(b.rules_version, RULES_VERSION);
    }

    #[test]
    fn bad_input_is_refused_with_the_field() {
        let (_d, conn) = db();
        let check = |i: BreachInput, field: &str| match create(&conn, &i) {
            Err(DomainError::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        };
        check(
            BreachInput {
                title: " ".into(),
                ..input()
            },
            "title",
        );
        check(
            BreachInput {
                kind: None,
                ..input()
            },
            "kind",
        );
        check(
            BreachInput {
                aware_at: "yesterday".into(),
                ..input()
            },
            "aware_at",
        );
        check(
            BreachInput {
                happened_to: "2026-03-01 00:00".into(),
                ..input()
            },
            "happened_to",
        );
        check(
            BreachInput {
                rules: vec!["mars".into()],
                ..input()
            },
            "rules",
        );
        check(
            BreachInput {
                devices: vec!["../x".into()],
                ..input()
            },
            "devices",
        );
        assert!(list(&conn).unwrap().is_empty(), "nothing was written");
    }

    fn notice(rule: &str, sent: &str, delay: &str) -> NoticeInput {
        NoticeInput {
            audience: rule::audience(rule),
            rule: Some(rule.into()),
            recipient: "Fictional Data Protection Authority".into(),
            channel: "web form".into(),
            sent_at: sent.into(),
            text: "Notice text".into(),
            delay_reasons: delay.into(),
        }
    }

    mod rule {
        pub fn audience(id: &str) -> Option<super::Audience> {
            super::rule(id).map(|r| r.audience)
        }
    }

    #[test]
    fn a_late_notice_and_a_late_status_change_need_reasons_for_the_delay() {
        let (_d, conn) = db();
        let (id, _) = create(&conn, &input()).unwrap();
        let late = t("2026-03-06T00:00:00Z");
        // Aware 12:30 on 2 March: due 12:30 on 5 March.
        match add_notice(
            &conn,
            id,
            &notice("gdpr-authority", "2026-03-05 13:00", ""),
            "h",
            "x",
        ) {
            Err(DomainError::Validation { field, message }) => {
                assert_eq!(field, "delay_reasons");
                assert!(message.contains("Art. 33(1)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Audience must match the rule.
        let wrong = NoticeInput {
            audience: Some(Audience::Client),
            ..notice("gdpr-authority", "2026-03-03 10:00", "")
        };
        assert!(add_notice(&conn, id, &wrong, "h", "x").is_err());
        let decide = BreachPatch {
            decision: Some(NotifyDecision::Notify),
            decision_reason: Some("Client files on the device.".into()),
            ..Default::default()
        };
        update(&conn, id, &decide, late).unwrap();
        add_notice(
            &conn,
            id,
            &notice(
                "gdpr-authority",
                "2026-03-05 13:00",
                "The theft report came late.",
            ),
            "h",
            "x",
        )
        .unwrap();
        let notified = BreachPatch {
            status: Some(BreachStatus::Notified),
            ..Default::default()
        };
        match update(&conn, id, &notified, late) {
            Err(DomainError::Validation { field, .. }) => assert_eq!(field, "delay_reasons"),
            other => panic!("{other:?}"),
        }
        update(
            &conn,
            id,
            &BreachPatch {
                delay_reasons: Some("The police report arrived on day four.".into()),
                ..notified.clone()
            },
            late,
        )
        .unwrap();
        let b = get(&conn, id).unwrap();
        assert_eq!(b.status, BreachStatus::Notified);
        assert_eq!(b.clocks(late).unwrap()[0].state, ClockState::MetLate);
        // Status only moves forward; notices are permanent.
        let back = BreachPatch {
            status: Some(BreachStatus::Open),
            ..Default::default()
        };
        assert!(update(&conn, id, &back, late).is_err());
        assert!(conn.execute("DELETE FROM breach_notices", []).is_err());
        assert!(
            conn.execute("UPDATE breach_notices SET text = 'x'", [])
                .is_err()
        );
    }

    #[test]
    fn a_decision_needs_its_reason_and_notified_needs_a_notice() {
        let (_d, conn) = db();
        let (id, _) = create(&conn, &input()).unwrap();
        let now_at = t("2026-03-02T13:00:00Z");
        let bare = BreachPatch {
            decision: Some(NotifyDecision::DoNotNotify),
            ..Default::default()
        };
        assert!(update(&conn, id, &bare, now_at).is_err());
        let notified = BreachPatch {
            status: Some(BreachStatus::Notified),
            ..Default::default()
        };
        assert!(update(&conn, id, &notified, now_at).is_err());
        let decided = BreachPatch {
            decision_reason: Some("Encrypted, keys not on the device.".into()),
            status: Some(BreachStatus::Closed),
            lessons: Some("Lock on lid close.".into()),
            ..bare
        };
        let fields = update(&conn, id, &decided, now_at).unwrap();
        assert!(fields.contains(&"status") && fields.contains(&"lessons"));
        add_event(&conn, id, "2026-03-02 12:45", "Police informed").unwrap();
        let b = get(&conn, id).unwrap();
        assert_eq!(b.events.len(), 1);
        assert_eq!(b.status, BreachStatus::Closed);
    }

    // --- scope on scripted histories ------------------------------------

    struct History {
        events: Vec<LogEvent>,
    }

    impl History {
        fn new() -> Self {
            Self { events: Vec::new() }
        }
        fn push(
            &mut self,
            at: &str,
            action: &str,
            object: &str,
            device: Option<&str>,
            session: Option<&str>,
        ) -> &mut Self {
            self.events.push(LogEvent {
                seq: self.events.len() as i64 + 1,
                at: t(at),
                action: action.into(),
                object: object.into(),
                device: device.map(Into::into),
                session: session.map(Into::into),
                taken_at: None,
            });
            self
        }
        fn unlock(&mut self, at: &str, dev: &str, s: &str) -> &mut Self {
            self.push(at, "vault_unlocked", "vault:v", Some(dev), Some(s))
        }
        fn lock(&mut self, at: &str, dev: &str, s: &str) -> &mut Self {
            self.push(at, "vault_locked", "vault:v", Some(dev), Some(s))
        }
        fn access(&mut self, at: &str, action: &str, doc: i64, s: &str) -> &mut Self {
            self.push(at, action, &format!("document:{doc}"), None, Some(s))
        }
    }

    fn window() -> (DateTime<Utc>, DateTime<Utc>) {
        (t("2026-03-02T09:00:00Z"), t("2026-03-02T12:00:00Z"))
    }

    #[test]
    fn a_device_locked_throughout_the_window_is_said_to_be_and_nothing_accessed_there() {
        let mut h = History::new();
        h.unlock("2026-03-02T08:00:00Z", "laptop", "s1")
            .access("2026-03-02T08:10:00Z", "document_viewed", 1, "s1")
            .lock("2026-03-02T08:30:00Z", "laptop", "s1")
            // Another device works during the window.
            .unlock("2026-03-02T10:00:00Z", "desk", "s2")
            .access("2026-03-02T10:05:00Z", "document_exported", 2, "s2")
            .lock("2026-03-02T10:10:00Z", "desk", "s2");
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T13:00:00Z"),
        );
        assert!(!s.any_unlocked);
        assert!(s.devices[0].locked_throughout, "{:?}", s.devices);
        assert!(
            s.devices[0]
                .statement
                .contains("keys were not on the device")
        );
        assert!(s.accessed.is_empty(), "{:?}", s.accessed);
        // Over every device, the desk's export is in the window.
        let all = scope(&h.events, window(), &[], "desk", t("2026-03-02T13:00:00Z"));
        assert_eq!(all.accessed.keys().copied().collect::<Vec<_>>(), [2]);
        assert!(all.any_unlocked);
    }

    #[test]
    fn unlocked_periods_that_touch_the_window_expose_and_accesses_in_it_count() {
        let mut h = History::new();
        h.unlock("2026-03-02T08:00:00Z", "laptop", "s1")
            .access("2026-03-02T08:59:00Z", "document_viewed", 1, "s1")
            .access("2026-03-02T09:10:00Z", "document_viewed", 2, "s1")
            .access("2026-03-02T09:20:00Z", "document_exported", 2, "s1")
            .access(
                "2026-03-02T09:30:00Z",
                "document_opened_externally",
                3,
                "s1",
            )
            .access("2026-03-02T09:40:00Z", "ocr_finished", 4, "s1")
            .lock("2026-03-02T09:45:00Z", "laptop", "s1")
            .unlock("2026-03-02T12:30:00Z", "laptop", "s3")
            .access("2026-03-02T12:35:00Z", "document_viewed", 5, "s3")
            .lock("2026-03-02T12:40:00Z", "laptop", "s3");
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "laptop",
            t("2026-03-03T00:00:00Z"),
        );
        assert!(s.any_unlocked);
        assert_eq!(s.devices[0].unlocked.len(), 1);
        assert!(!s.devices[0].locked_throughout);
        assert_eq!(s.accessed.keys().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(
            s.accessed[&2].iter().cloned().collect::<Vec<_>>(),
            ["document_exported", "document_viewed"]
        );
    }

    #[test]
    fn an_unlock_with_no_lock_is_unlocked_until_the_end_of_the_window() {
        let mut h = History::new();
        // Killed before it could lock: no lock entry.
        h.unlock("2026-03-02T07:00:00Z", "laptop", "s1").unlock(
            "2026-03-02T13:00:00Z",
            "desk",
            "s2",
        );
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(s.any_unlocked);
        assert!(!s.devices[0].locked_throughout);
        assert!(
            s.devices[0].statement.contains("no recorded lock"),
            "{}",
            s.devices[0].statement
        );
        assert_eq!(s.devices[0].unlocked[0].to, None);
    }

    #[test]
    fn entries_without_a_device_count_for_every_device() {
        let mut h = History::new();
        h.push(
            "2026-03-02T09:30:00Z",
            "vault_unlocked",
            "vault:v",
            None,
            None,
        )
        .push(
            "2026-03-02T09:40:00Z",
            "document_viewed",
            "document:7",
            None,
            None,
        )
        .push(
            "2026-03-02T09:50:00Z",
            "vault_locked",
            "vault:v",
            None,
            None,
        );
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(!s.devices[0].locked_throughout);
        assert!(s.devices[0].statement.contains("without a device"));
        assert_eq!(s.accessed.keys().copied().collect::<Vec<_>>(), [7]);
    }

    #[test]
    fn a_copy_of_the_log_that_stops_before_the_window_ends_claims_nothing() {
        let mut h = History::new();
        h.unlock("2026-03-02T07:00:00Z", "laptop", "s1").lock(
            "2026-03-02T07:30:00Z",
            "laptop",
            "s1",
        );
        h.push(
            "2026-03-02T13:00:00Z",
            "recovery_key_used",
            "vault:v",
            Some("desk"),
            Some("s2"),
        );
        h.events.push(LogEvent {
            seq: 4,
            at: t("2026-03-02T13:00:01Z"),
            action: "backup_restored".into(),
            object: "vault:v".into(),
            device: Some("desk".into()),
            session: Some("s2".into()),
            taken_at: Some(t("2026-03-02T10:00:00Z")),
        });
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(!s.any_unlocked);
        assert!(!s.devices[0].locked_throughout);
        assert!(
            s.devices[0].statement.contains("not known"),
            "{}",
            s.devices[0].statement
        );
        assert_eq!(s.devices[0].known_until, "2026-03-02T10:00:00Z");
        // A snapshot taken after the window ends covers it.
        h.events[3].taken_at = Some(t("2026-03-02T12:30:00Z"));
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(s.devices[0].locked_throughout);
    }

    /// The "done when" on a restored copy: the backup ran inside
    /// an unlocked session of the laptop, so the copy holds its unlock and
    /// not the lock that followed; the theft comes after the backup. The
    /// copy must not call the laptop locked, nor claim it saw an unlock in
    /// the window: it says its evidence ends at the backup.
    #[test]
    fn a_restored_copy_says_it_has_no_evidence_after_the_backup() {
        let mut h = History::new();
        h.unlock("2026-03-02T08:00:00Z", "laptop", "s1")
            .access("2026-03-02T08:10:00Z", "document_viewed", 1, "s1")
            // The snapshot is taken here, at 08:20; the lock at 08:30 is not in it.
            .push(
                "2026-03-02T13:00:00Z",
                "recovery_key_used",
                "vault:v",
                Some("desk"),
                Some("s2"),
            );
        h.events.push(LogEvent {
            seq: 4,
            at: t("2026-03-02T13:00:01Z"),
            action: "backup_restored".into(),
            object: "vault:v".into(),
            device: Some("desk".into()),
            session: Some("s2".into()),
            taken_at: Some(t("2026-03-02T08:20:00Z")),
        });
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        let laptop = &s.devices[0];
        assert!(!laptop.locked_throughout);
        assert_eq!(
            laptop.evidence_ends_at_backup.as_deref(),
            Some("2026-03-02T08:20:00Z")
        );
        assert!(
            laptop.statement.starts_with(
                "This copy of the vault was restored from a backup taken at 2026-03-02T08:20:00Z: its audit log holds no evidence about device laptop after that time."
            ),
            "{}",
            laptop.statement
        );
        assert!(
            laptop.statement.contains("taken as possibly unlocked")
                && !laptop.statement.contains("was unlocked on device")
                && !laptop.statement.contains("locked for the whole window"),
            "{}",
            laptop.statement
        );
        // Exposure stays assumed: nothing is claimed safe.
        assert!(s.any_unlocked);
        // The same copy with the lock before the snapshot: still no claim,
        // and the same limit said first.
        h.events.insert(
            2,
            LogEvent {
                seq: 9,
                at: t("2026-03-02T08:15:00Z"),
                action: "vault_locked".into(),
                object: "vault:v".into(),
                device: Some("laptop".into()),
                session: Some("s1".into()),
                taken_at: None,
            },
        );
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(!s.any_unlocked);
        assert!(!s.devices[0].locked_throughout);
        assert!(
            s.devices[0]
                .statement
                .starts_with("This copy of the vault was restored from a backup taken at")
                && s.devices[0]
                    .statement
                    .contains("no claim is made that it stayed locked"),
            "{}",
            s.devices[0].statement
        );
        // A backup taken after the window covers it: no limit to state.
        h.events[4].taken_at = Some(t("2026-03-02T12:30:00Z"));
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(s.devices[0].locked_throughout);
        assert_eq!(s.devices[0].evidence_ends_at_backup, None);
    }

    /// A verified lock receipt after the backup and before the window: the
    /// copy can say the laptop was locked when the window began (never
    /// "throughout"); a receipt inside the window, or none, says nothing.
    #[test]
    fn a_lock_receipt_after_the_backup_shows_the_device_locked_when_the_window_began() {
        let mut h = History::new();
        h.unlock("2026-03-02T08:00:00Z", "laptop", "s1")
            .access("2026-03-02T08:10:00Z", "document_viewed", 1, "s1")
            .push(
                "2026-03-02T13:00:00Z",
                "recovery_key_used",
                "vault:v",
                Some("desk"),
                Some("s2"),
            );
        h.events.push(LogEvent {
            seq: 4,
            at: t("2026-03-02T13:00:01Z"),
            action: "backup_restored".into(),
            object: "vault:v".into(),
            device: Some("desk".into()),
            session: Some("s2".into()),
            taken_at: Some(t("2026-03-02T08:20:00Z")),
        });
        let receipt = |at: &str| LockReceipt {
            device: "laptop".into(),
            locked_at: t(at),
            audit_seq: 3,
        };
        let run = |receipts: &[LockReceipt]| {
            scope_with_receipts(
                &h.events,
                window(),
                &["laptop".into()],
                "desk",
                t("2026-03-02T14:00:00Z"),
                receipts,
            )
        };
        let s = run(&[receipt("2026-03-02T08:30:00Z")]);
        let laptop = &s.devices[0];
        assert_eq!(
            laptop.locked_by_receipt.as_deref(),
            Some("2026-03-02T08:30:00Z")
        );
        assert!(!laptop.locked_throughout);
        assert!(laptop.unlocked.is_empty());
        assert!(!s.any_unlocked);
        assert!(
            laptop
                .statement
                .contains("shows the vault was locked there at 2026-03-02T08:30:00Z")
                && laptop
                    .statement
                    .contains("no claim is made that it stayed locked throughout"),
            "{}",
            laptop.statement
        );
        // In the window: it says nothing about the window's start.
        let s = run(&[receipt("2026-03-02T09:30:00Z")]);
        assert_eq!(s.devices[0].locked_by_receipt, None);
        assert!(s.any_unlocked);
        // Another device's receipt does not count for the laptop.
        let mut other = receipt("2026-03-02T08:30:00Z");
        other.device = "phone".into();
        let s = run(&[other]);
        assert_eq!(s.devices[0].locked_by_receipt, None);
        assert!(
            s.devices[0]
                .statement
                .contains("taken as possibly unlocked")
        );
    }

    #[test]
    fn a_re_enrolled_copy_knows_the_old_device_only_up_to_its_last_entry() {
        let mut h = History::new();
        h.unlock("2026-03-02T07:00:00Z", "laptop", "s1")
            .lock("2026-03-02T07:30:00Z", "laptop", "s1")
            .push(
                "2026-03-02T13:00:00Z",
                "recovery_key_used",
                "vault:v",
                Some("desk"),
                Some("s2"),
            );
        let s = scope(
            &h.events,
            window(),
            &["laptop".into(), "ghost".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(!s.devices[0].locked_throughout);
        assert_eq!(s.devices[0].known_until, "2026-03-02T07:30:00Z");
        assert!(
            s.devices[0]
                .statement
                .contains("last recorded state was locked (since 2026-03-02T07:30:00Z)"),
            "{}",
            s.devices[0].statement
        );
        assert!(!s.devices[1].locked_throughout);
        assert!(s.devices[1].statement.contains("no record of device ghost"));
        // Without a re-enrollment the log is the live one.
        h.events.pop();
        let s = scope(
            &h.events,
            window(),
            &["laptop".into()],
            "desk",
            t("2026-03-02T14:00:00Z"),
        );
        assert!(s.devices[0].locked_throughout);
    }

    #[test]
    fn times_parse_in_the_forms_users_type() {
        assert_eq!(stamp(t("2026-03-02 14:00")), "2026-03-02T14:00:00Z");
        assert_eq!(
            stamp(t("2026-03-02T15:00:00+01:00")),
            "2026-03-02T14:00:00Z"
        );
        assert!(parse_time("x", "2 March").is_err());
    }
}
