//! Conflict checks: what a check searches (clients with aliases and
//! former names, parties of every matter, prospects, names kept from
//! destroyed matters), the immutable record of each check with its hits,
//! the decisions appended to it, and the list of common parties.
//!
//! Matching is not done here (the core runs `matterbox-names` over what
//! [`name_sources`] returns); this module keeps the records. Checks, their
//! names and hits are never changed or deleted (triggers refuse it);
//! decisions are appended, the newest for a hit is the one in force.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clients::ClientKind;
use crate::{DomainError, now, required, settings, validation};

/// Keep the names of destroyed matters for conflict checks (default on).
pub const KEEP_CONFLICT_NAMES: &str = "keep_conflict_names";
/// Opening a matter needs a cleared conflict check (default on).
pub const CONFLICT_CHECK_REQUIRED: &str = "conflict_check_required";

/// The most names one check searches.
pub const MAX_NAMES: usize = 50;
/// The most common parties a vault keeps.
pub const MAX_COMMON_PARTIES: usize = 1000;

/// Whether a name is a person's, an organization's, or not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Person,
    Organization,
    Unknown,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Person => "person",
            NameKind::Organization => "organization",
            NameKind::Unknown => "unknown",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "person" => NameKind::Person,
            "organization" => NameKind::Organization,
            _ => NameKind::Unknown,
        }
    }
}

impl From<ClientKind> for NameKind {
    fn from(k: ClientKind) -> Self {
        match k {
            ClientKind::Person => NameKind::Person,
            ClientKind::Organization => NameKind::Organization,
        }
    }
}

/// The part a searched name plays in the new matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchRole {
    /// The proposed client.
    Client,
    /// An adverse party.
    Adverse,
    /// A related party (co-party, spouse, subsidiary, witness).
    Related,
}

impl SearchRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchRole::Client => "client",
            SearchRole::Adverse => "adverse",
            SearchRole::Related => "related",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "client" => SearchRole::Client,
            "adverse" => SearchRole::Adverse,
            _ => SearchRole::Related,
        }
    }
}

/// A name a check searches for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchedName {
    pub name: String,
    pub kind: NameKind,
    pub role: SearchRole,
}

/// Where a hit was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HitSource {
    /// A client (its name, an alias or a former name).
    Client,
    /// A related or adverse party of a matter (open or closed).
    Party,
    /// A prospective client saved from an earlier check (Rule 1.18).
    Prospect,
    /// A name kept from a destroyed matter.
    Destroyed,
}

impl HitSource {
    fn as_str(self) -> &'static str {
        match self {
            HitSource::Client => "client",
            HitSource::Party => "party",
            HitSource::Prospect => "prospect",
            HitSource::Destroyed => "destroyed",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "client" => HitSource::Client,
            "party" => HitSource::Party,
            "prospect" => HitSource::Prospect,
            _ => HitSource::Destroyed,
        }
    }
}

/// The side the name found was on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HitSide {
    Client,
    Adverse,
    Related,
    Prospect,
}

impl HitSide {
    fn as_str(self) -> &'static str {
        match self {
            HitSide::Client => "client",
            HitSide::Adverse => "adverse",
            HitSide::Related => "related",
            HitSide::Prospect => "prospect",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "client" => HitSide::Client,
            "adverse" => HitSide::Adverse,
            "prospect" => HitSide::Prospect,
            _ => HitSide::Related,
        }
    }
}

/// Which of a client's other names matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AliasKind {
    Alias,
    FormerName,
}

impl AliasKind {
    fn as_str(self) -> &'static str {
        match self {
            AliasKind::Alias => "alias",
            AliasKind::FormerName => "former_name",
        }
    }
}

/// How much a hit matters, by the roles on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
    /// A common party (a court, an agency): recorded, needs no decision.
    Suppressed,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Suppressed => "suppressed",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "high" => Severity::High,
            "medium" => Severity::Medium,
            "low" => Severity::Low,
            _ => Severity::Suppressed,
        }
    }
}

/// A lawyer's decision on a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    NoConflict,
    Conflict,
    WaiverNeeded,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::NoConflict => "no_conflict",
            Decision::Conflict => "conflict",
            Decision::WaiverNeeded => "waiver_needed",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "no_conflict" => Decision::NoConflict,
            "conflict" => Decision::Conflict,
            _ => Decision::WaiverNeeded,
        }
    }
}

/// Why a check was run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckPurpose {
    /// Run by a user before opening a matter (intake, CLI).
    Intake,
    /// Run by opening a matter with no check given (the client's name).
    MatterOpen,
    /// Run by adding a party to a matter.
    PartyAdded,
}

impl CheckPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckPurpose::Intake => "intake",
            CheckPurpose::MatterOpen => "matter_open",
            CheckPurpose::PartyAdded => "party_added",
        }
    }
    fn from_db(s: &str) -> Self {
        match s {
            "matter_open" => CheckPurpose::MatterOpen,
            "party_added" => CheckPurpose::PartyAdded,
            _ => CheckPurpose::Intake,
        }
    }
}

/// Where a check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// No hit needs a decision.
    Clear,
    /// Some hit has no decision yet.
    Undecided,
    /// Every hit is decided and none is a conflict (waivers may be needed).
    Cleared,
    /// A hit's decision in force is "conflict".
    Conflict,
    /// A waiver a "waiver needed" decision relied on was withdrawn or
    /// expired: that hit needs a new decision.
    Reopened,
}

impl CheckStatus {
    /// Whether a matter may be opened under a check with this status.
    pub fn allows_opening(self) -> bool {
        matches!(self, CheckStatus::Clear | CheckStatus::Cleared)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Clear => "clear",
            CheckStatus::Undecided => "undecided",
            CheckStatus::Cleared => "cleared",
            CheckStatus::Conflict => "conflict",
            CheckStatus::Reopened => "reopened",
        }
    }
}

/// What a name in the index belongs to; comes back with each hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HitTarget {
    pub source: HitSource,
    /// The client's, party's, prospect's or kept name (not the alias).
    pub entry_name: String,
    pub side: HitSide,
    /// The party's role as written on the matter ("defendant").
    pub party_role: String,
    pub client_id: Option<i64>,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    /// "open" or "closed" (`None` for clients, prospects, destroyed).
    pub matter_status: Option<String>,
    pub opened_on: Option<String>,
    pub closed_on: Option<String>,
    pub destroyed_on: Option<String>,
    pub prospect_id: Option<i64>,
}

impl HitTarget {
    fn bare(source: HitSource, entry_name: String, side: HitSide) -> Self {
        HitTarget {
            source,
            entry_name,
            side,
            party_role: String::new(),
            client_id: None,
            matter_id: None,
            matter_number: None,
            matter_status: None,
            opened_on: None,
            closed_on: None,
            destroyed_on: None,
            prospect_id: None,
        }
    }
}

/// A name to put in the index: its target, kind and other names.
#[derive(Clone, Debug)]
pub struct NameSource {
    pub target: HitTarget,
    pub kind: NameKind,
    pub aliases: Vec<(String, AliasKind)>,
}

/// A hit as the core found it, before it is saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewHit {
    /// Index (from 0) of the searched name in the check.
    pub searched: u32,
    #[serde(flatten)]
    pub target: HitTarget,
    pub matched_name: String,
    pub alias: Option<AliasKind>,
    pub score: f64,
    /// The matcher's reason, as JSON (`{"kind": "nickname", …}`).
    #[ts(type = "unknown")]
    pub reason: serde_json::Value,
    pub explanation: String,
    pub severity: Severity,
}

impl NewHit {
    /// The reason's kind ("nickname", "phonetic", …).
    pub fn reason_kind(&self) -> &str {
        self.reason
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("")
    }
}

/// A decision as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRecord {
    pub decision: Decision,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
}

/// A saved hit with its decisions (oldest first; the last is in force).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConflictHit {
    /// The hit's number within its check, from 1.
    pub number: u32,
    #[serde(flatten)]
    pub hit: NewHit,
    pub decisions: Vec<DecisionRecord>,
    pub decision: Option<Decision>,
    /// The consents drafted for (or covering) the decision in force.
    pub consents: Vec<i64>,
    /// The withdrawn or expired waiver the decision in force relied on:
    /// the hit needs a new decision.
    pub waiver_ended: Option<i64>,
}

impl ConflictHit {
    /// Whether the hit still waits for a decision.
    pub fn undecided(&self) -> bool {
        self.hit.severity != Severity::Suppressed
            && (self.decision.is_none() || self.waiver_ended.is_some())
    }
}

/// How many documents mention a searched name (the lower tier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentCount {
    /// Index (from 0) of the searched name in the check.
    pub searched: u32,
    /// Every document that mentions it, not only those recorded.
    pub total: u32,
    /// The name is a common party: its documents were not searched.
    pub common: bool,
}

/// A document whose text mentions a searched name, as the core found it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewDocumentHit {
    pub searched: u32,
    pub document_id: i64,
    pub title: String,
    pub matter_id: i64,
    pub matter_number: String,
    pub client_id: i64,
    pub client_name: String,
    /// The page of a scan whose recognised (OCR) text shows the name best.
    pub page: Option<u32>,
    /// Why it matched: the words found near each other, and where.
    pub why: String,
}

/// The lower tier of a check: document mentions, counted per name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentTier {
    pub counts: Vec<DocumentCount>,
    pub hits: Vec<NewDocumentHit>,
}

/// A saved document hit with its decisions (oldest first; the last is
/// in force). Deciding one is optional: an undecided mention does not
/// hold a matter back, a mention decided "conflict" does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentHit {
    /// The hit's number within the check's document tier, from 1 ("D1").
    pub number: u32,
    #[serde(flatten)]
    pub hit: NewDocumentHit,
    pub decisions: Vec<DecisionRecord>,
    pub decision: Option<Decision>,
}

/// An immutable check with its hits and the decisions made since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckRecord {
    pub id: i64,
    pub purpose: CheckPurpose,
    /// The matter a party was added to (checks run by `add_party`).
    pub for_matter_id: Option<i64>,
    pub for_matter_number: Option<String>,
    pub matcher_version: String,
    pub checked_by: String,
    pub checked_at: String,
    /// The existing client the check was run for (its own record is no hit).
    pub client_id: Option<i64>,
    pub names: Vec<SearchedName>,
    pub hits: Vec<ConflictHit>,
    /// The lower tier: how many documents mention each name …
    pub document_counts: Vec<DocumentCount>,
    /// … and the first of them, recorded with the check.
    pub document_hits: Vec<DocumentHit>,
    pub status: CheckStatus,
    /// The matter opened under this check.
    pub opened_matter_id: Option<i64>,
    pub opened_matter_number: Option<String>,
    /// The prospect saved from this check.
    pub prospect_id: Option<i64>,
}

/// One row of the check list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckSummary {
    pub id: i64,
    pub purpose: CheckPurpose,
    pub checked_by: String,
    pub checked_at: String,
    pub names: Vec<SearchedName>,
    pub hits: u32,
    pub undecided: u32,
    /// Documents mentioning a searched name (all of them, not only those recorded).
    pub document_mentions: u32,
    pub status: CheckStatus,
    pub opened_matter_number: Option<String>,
    /// The matter a party was added to (checks run by `add_party`).
    pub for_matter_number: Option<String>,
}

/// A common party whose hits need no decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommonParty {
    pub id: i64,
    pub name: String,
}

fn on(conn: &Connection, key: &str) -> Result<bool, DomainError> {
    Ok(settings::get(conn, key)?.as_deref() != Some("off"))
}

fn set_on(conn: &Connection, key: &str, value: bool) -> Result<(), DomainError> {
    settings::set(conn, key, if value { "on" } else { "off" })
}

pub fn keep_names(conn: &Connection) -> Result<bool, DomainError> {
    on(conn, KEEP_CONFLICT_NAMES)
}
pub fn set_keep_names(conn: &Connection, value: bool) -> Result<(), DomainError> {
    set_on(conn, KEEP_CONFLICT_NAMES, value)
}
pub fn check_required(conn: &Connection) -> Result<bool, DomainError> {
    on(conn, CONFLICT_CHECK_REQUIRED)
}
pub fn set_check_required(conn: &Connection, value: bool) -> Result<(), DomainError> {
    set_on(conn, CONFLICT_CHECK_REQUIRED, value)
}

/// Checks the names of a check: at least one, at most [`MAX_NAMES`], each
/// a name that shows (the rules of every other name). Returns them trimmed.
pub fn check_names(names: &[SearchedName]) -> Result<Vec<SearchedName>, DomainError> {
    if names.is_empty() {
        return Err(validation(
            "names",
            "Give at least one name to check (the client's, an adverse party's).",
        ));
    }
    if names.len() > MAX_NAMES {
        return Err(validation(
            "names",
            format!("A check searches at most {MAX_NAMES} names; split it."),
        ));
    }
    names
        .iter()
        .map(|n| {
            Ok(SearchedName {
                name: required("names", "A name to check", &n.name)?,
                ..n.clone()
            })
        })
        .collect()
}

/// Everything a check searches, read from the vault now.
pub fn name_sources(conn: &Connection) -> Result<Vec<NameSource>, DomainError> {
    let mut out = Vec::new();
    let mut aliases: std::collections::HashMap<i64, Vec<(String, AliasKind)>> =
        std::collections::HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT client_id, alias, former FROM client_aliases")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        for row in rows {
            let (id, alias, former) = row?;
            aliases.entry(id).or_default().push((
                alias,
                if former {
                    AliasKind::FormerName
                } else {
                    AliasKind::Alias
                },
            ));
        }
    }
    let mut stmt = conn.prepare("SELECT id, kind, name FROM clients")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, kind, name) = row?;
        let mut target = HitTarget::bare(HitSource::Client, name, HitSide::Client);
        target.client_id = Some(id);
        out.push(NameSource {
            target,
            kind: ClientKind::from_db(&kind).into(),
            aliases: aliases.remove(&id).unwrap_or_default(),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT p.name, p.role, p.side, m.id, m.number, m.status, m.opened_on, m.closed_on, m.client_id
         FROM matter_parties p JOIN matters m ON m.id = p.matter_id",
    )?;
    let rows = stmt.query_map([], |r| {
        let mut t = HitTarget::bare(
            HitSource::Party,
            r.get(0)?,
            HitSide::from_db(&r.get::<_, String>(2)?),
        );
        t.party_role = r.get(1)?;
        t.matter_id = Some(r.get(3)?);
        t.matter_number = Some(r.get(4)?);
        t.matter_status = Some(r.get(5)?);
        t.opened_on = r.get(6)?;
        t.closed_on = r.get(7)?;
        t.client_id = Some(r.get(8)?);
        Ok(t)
    })?;
    for t in rows {
        out.push(NameSource {
            target: t?,
            kind: NameKind::Unknown,
            aliases: Vec::new(),
        });
    }
    let mut stmt = conn.prepare("SELECT id, name, kind, created_at FROM conflict_prospects")?;
    let rows = stmt.query_map([], |r| {
        let mut t = HitTarget::bare(HitSource::Prospect, r.get(1)?, HitSide::Prospect);
        t.prospect_id = Some(r.get(0)?);
        t.opened_on = Some(r.get::<_, String>(3)?.chars().take(10).collect());
        Ok((t, NameKind::from_db(&r.get::<_, String>(2)?)))
    })?;
    for row in rows {
        let (target, kind) = row?;
        out.push(NameSource {
            target,
            kind,
            aliases: Vec::new(),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT name, kind, side, party_role, aliases, matter_number, opened_on, closed_on, destroyed_on, client_id
         FROM conflict_kept_names",
    )?;
    let rows = stmt.query_map([], |r| {
        let mut t = HitTarget::bare(
            HitSource::Destroyed,
            r.get(0)?,
            HitSide::from_db(&r.get::<_, String>(2)?),
        );
        t.party_role = r.get(3)?;
        t.matter_number = Some(r.get(5)?);
        t.opened_on = r.get(6)?;
        t.closed_on = r.get(7)?;
        t.destroyed_on = Some(r.get(8)?);
        t.client_id = r.get(9)?;
        let aliases: Vec<(String, bool)> =
            serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default();
        Ok((t, NameKind::from_db(&r.get::<_, String>(1)?), aliases))
    })?;
    for row in rows {
        let (target, kind, aliases) = row?;
        out.push(NameSource {
            target,
            kind,
            aliases: aliases
                .into_iter()
                .map(|(a, former)| {
                    (
                        a,
                        if former {
                            AliasKind::FormerName
                        } else {
                            AliasKind::Alias
                        },
                    )
                })
                .collect(),
        });
    }
    Ok(out)
}

/// A cheap fingerprint of everything [`name_sources`] reads: it changes
/// whenever a client, matter, party, prospect or kept name changes (every
/// audited change to a client or matter stamps its `audit_seq`; party
/// changes are audited on their matter), so a cached index is rebuilt.
pub fn sources_fingerprint(conn: &Connection) -> Result<String, DomainError> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) || ':' || ifnull(max(audit_seq), 0) || ':' || ifnull(sum(audit_seq), 0) FROM clients)
             || '/' || (SELECT count(*) || ':' || ifnull(max(audit_seq), 0) || ':' || ifnull(sum(audit_seq), 0) FROM matters)
             || '/' || (SELECT count(*) || ':' || ifnull(max(id), 0) FROM matter_parties)
             || '/' || (SELECT count(*) || ':' || ifnull(max(rowid), 0) FROM client_aliases)
             || '/' || (SELECT count(*) || ':' || ifnull(max(id), 0) FROM conflict_prospects)
             || '/' || (SELECT count(*) || ':' || ifnull(max(id), 0) FROM conflict_kept_names)",
        [],
        |r| r.get(0),
    )?)
}

/// Who ran a check, why and with what.
#[derive(Clone, Copy, Debug)]
pub struct CheckHeader<'a> {
    pub purpose: CheckPurpose,
    /// The matter a party was added to: id and number.
    pub for_matter: Option<(i64, &'a str)>,
    /// The existing client the check is for.
    pub client_id: Option<i64>,
    pub matcher_version: &'a str,
    pub checked_by: &'a str,
}

/// Saves a check with its names and hits; returns its id.
pub fn save_check(
    conn: &Connection,
    header: &CheckHeader<'_>,
    names: &[SearchedName],
    hits: &[NewHit],
) -> Result<i64, DomainError> {
    let CheckHeader {
        purpose,
        for_matter,
        client_id,
        matcher_version,
        checked_by,
    } = *header;
    conn.execute(
        "INSERT INTO conflict_checks (purpose, matter_id, matter_number, client_id, matcher_version, checked_by, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            purpose.as_str(),
            for_matter.map(|m| m.0),
            for_matter.map(|m| m.1),
            client_id,
            matcher_version,
            checked_by,
            now()
        ],
    )?;
    let id = conn.last_insert_rowid();
    for (i, n) in names.iter().enumerate() {
        conn.execute(
            "INSERT INTO conflict_check_names (check_id, position, name, kind, role) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, i as i64, n.name, n.kind.as_str(), n.role.as_str()],
        )?;
    }
    for (i, h) in hits.iter().enumerate() {
        let t = &h.target;
        conn.execute(
            "INSERT INTO conflict_hits (check_id, position, searched, source, entry_name, matched_name, alias,
                 side, party_role, client_id, matter_id, matter_number, matter_status, opened_on, closed_on,
                 destroyed_on, prospect_id, score, reason, explanation, severity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
            params![
                id,
                i as i64 + 1,
                h.searched,
                t.source.as_str(),
                t.entry_name,
                h.matched_name,
                h.alias.map(AliasKind::as_str),
                t.side.as_str(),
                t.party_role,
                t.client_id,
                t.matter_id,
                t.matter_number,
                t.matter_status,
                t.opened_on,
                t.closed_on,
                t.destroyed_on,
                t.prospect_id,
                h.score,
                h.reason.to_string(),
                h.explanation,
                h.severity.as_str()
            ],
        )?;
    }
    Ok(id)
}

/// Saves the lower tier of check `check_id` (in the check's transaction).
pub fn save_document_tier(
    conn: &Connection,
    check_id: i64,
    tier: &DocumentTier,
) -> Result<(), DomainError> {
    for c in &tier.counts {
        conn.execute(
            "INSERT INTO conflict_document_counts (check_id, searched, total, common) VALUES (?1, ?2, ?3, ?4)",
            params![check_id, c.searched, c.total, c.common],
        )?;
    }
    for (i, h) in tier.hits.iter().enumerate() {
        conn.execute(
            "INSERT INTO conflict_document_hits (check_id, position, searched, document_id, title,
                 matter_id, matter_number, client_id, client_name, page, why)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                check_id,
                i as i64 + 1,
                h.searched,
                h.document_id,
                h.title,
                h.matter_id,
                h.matter_number,
                h.client_id,
                h.client_name,
                h.page,
                h.why
            ],
        )?;
    }
    Ok(())
}

/// Saves the check's client names as prospects; returns the first id.
pub fn save_prospects(
    conn: &Connection,
    check_id: i64,
    names: &[SearchedName],
) -> Result<Option<i64>, DomainError> {
    let mut first = None;
    for n in names.iter().filter(|n| n.role == SearchRole::Client) {
        conn.execute(
            "INSERT INTO conflict_prospects (check_id, name, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![check_id, n.name, n.kind.as_str(), now()],
        )?;
        first.get_or_insert(conn.last_insert_rowid());
    }
    if first.is_none() {
        return Err(validation(
            "names",
            "Only a proposed client can be saved as a prospect; give the client's name.",
        ));
    }
    Ok(first)
}

/// A check's status from its name hits; a document hit counts only once
/// decided "conflict" (an undecided mention needs no decision).
fn status_of(hits: &[ConflictHit], documents: &[DocumentHit]) -> CheckStatus {
    let relevant: Vec<&ConflictHit> = hits
        .iter()
        .filter(|h| h.hit.severity != Severity::Suppressed)
        .collect();
    if documents
        .iter()
        .any(|d| d.decision == Some(Decision::Conflict))
    {
        CheckStatus::Conflict
    } else if relevant.is_empty() {
        CheckStatus::Clear
    } else if relevant
        .iter()
        .any(|h| h.decision == Some(Decision::Conflict))
    {
        CheckStatus::Conflict
    } else if relevant.iter().any(|h| h.waiver_ended.is_some()) {
        CheckStatus::Reopened
    } else if relevant.iter().any(|h| h.decision.is_none()) {
        CheckStatus::Undecided
    } else {
        CheckStatus::Cleared
    }
}

fn not_found(id: i64) -> DomainError {
    DomainError::NotFound {
        what: "conflict check",
        key: format!("id {id}"),
    }
}

/// A check with its hits and decisions.
pub fn get(conn: &Connection, id: i64) -> Result<CheckRecord, DomainError> {
    let head = conn
        .query_row(
            "SELECT purpose, matter_id, matter_number, matcher_version, checked_by, checked_at, client_id
             FROM conflict_checks WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    CheckPurpose::from_db(&r.get::<_, String>(0)?),
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    let names = names_of(conn, id)?;
    let mut stmt = conn.prepare(
        "SELECT id, position, searched, source, entry_name, matched_name, alias, side, party_role,
                client_id, matter_id, matter_number, matter_status, opened_on, closed_on, destroyed_on,
                prospect_id, score, reason, explanation, severity
         FROM conflict_hits WHERE check_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([id], |r| {
        let hit_id: i64 = r.get(0)?;
        let target = HitTarget {
            source: HitSource::from_db(&r.get::<_, String>(3)?),
            entry_name: r.get(4)?,
            side: HitSide::from_db(&r.get::<_, String>(7)?),
            party_role: r.get(8)?,
            client_id: r.get(9)?,
            matter_id: r.get(10)?,
            matter_number: r.get(11)?,
            matter_status: r.get(12)?,
            opened_on: r.get(13)?,
            closed_on: r.get(14)?,
            destroyed_on: r.get(15)?,
            prospect_id: r.get(16)?,
        };
        let hit = NewHit {
            searched: r.get(2)?,
            target,
            matched_name: r.get(5)?,
            alias: match r.get::<_, Option<String>>(6)?.as_deref() {
                Some("alias") => Some(AliasKind::Alias),
                Some(_) => Some(AliasKind::FormerName),
                None => None,
            },
            score: r.get(17)?,
            reason: serde_json::from_str(&r.get::<_, String>(18)?)
                .unwrap_or(serde_json::Value::Null),
            explanation: r.get(19)?,
            severity: Severity::from_db(&r.get::<_, String>(20)?),
        };
        Ok((hit_id, r.get::<_, u32>(1)?, hit))
    })?;
    let mut hits = Vec::new();
    for row in rows {
        let (hit_id, number, hit) = row?;
        let decisions = decisions_of(conn, hit_id)?;
        let (consents, waiver_ended) = match decisions.last() {
            Some((decision_id, d)) if d.decision == Decision::WaiverNeeded => (
                crate::consents::for_decision(conn, *decision_id)?,
                crate::consents::ended_waiver(conn, *decision_id)?,
            ),
            _ => (Vec::new(), None),
        };
        hits.push(ConflictHit {
            number,
            hit,
            decision: decisions.last().map(|d| d.1.decision),
            decisions: decisions.into_iter().map(|d| d.1).collect(),
            consents,
            waiver_ended,
        });
    }
    let opened: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, number FROM matters WHERE conflict_check_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let prospect_id: Option<i64> = conn
        .query_row(
            "SELECT min(id) FROM conflict_prospects WHERE check_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let (
        purpose,
        for_matter_id,
        for_matter_number,
        matcher_version,
        checked_by,
        checked_at,
        client_id,
    ) = head;
    let (document_counts, document_hits) = document_tier_of(conn, id)?;
    Ok(CheckRecord {
        id,
        purpose,
        for_matter_id,
        for_matter_number,
        matcher_version,
        checked_by,
        checked_at,
        client_id,
        names,
        status: status_of(&hits, &document_hits),
        hits,
        document_counts,
        document_hits,
        opened_matter_id: opened.as_ref().map(|o| o.0),
        opened_matter_number: opened.map(|o| o.1),
        prospect_id,
    })
}

fn document_tier_of(
    conn: &Connection,
    id: i64,
) -> Result<(Vec<DocumentCount>, Vec<DocumentHit>), DomainError> {
    let mut stmt = conn.prepare(
        "SELECT searched, total, common FROM conflict_document_counts WHERE check_id = ?1 ORDER BY searched",
    )?;
    let counts = stmt
        .query_map([id], |r| {
            Ok(DocumentCount {
                searched: r.get(0)?,
                total: r.get(1)?,
                common: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, position, searched, document_id, title, matter_id, matter_number, client_id,
                client_name, page, why
         FROM conflict_document_hits WHERE check_id = ?1 ORDER BY position",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u32>(1)?,
                NewDocumentHit {
                    searched: r.get(2)?,
                    document_id: r.get(3)?,
                    title: r.get(4)?,
                    matter_id: r.get(5)?,
                    matter_number: r.get(6)?,
                    client_id: r.get(7)?,
                    client_name: r.get(8)?,
                    page: r.get(9)?,
                    why: r.get(10)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut decided = conn.prepare(
        "SELECT decision, reason, decided_by, decided_at FROM conflict_document_decisions
         WHERE hit_id = ?1 ORDER BY id",
    )?;
    let mut hits = Vec::with_capacity(rows.len());
    for (hit_id, number, hit) in rows {
        let decisions = decided
            .query_map([hit_id], |r| {
                Ok(DecisionRecord {
                    decision: Decision::from_db(&r.get::<_, String>(0)?),
                    reason: r.get(1)?,
                    decided_by: r.get(2)?,
                    decided_at: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        hits.push(DocumentHit {
            number,
            hit,
            decision: decisions.last().map(|d| d.decision),
            decisions,
        });
    }
    Ok((counts, hits))
}

fn names_of(conn: &Connection, id: i64) -> Result<Vec<SearchedName>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT name, kind, role FROM conflict_check_names WHERE check_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(SearchedName {
            name: r.get(0)?,
            kind: NameKind::from_db(&r.get::<_, String>(1)?),
            role: SearchRole::from_db(&r.get::<_, String>(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn decisions_of(conn: &Connection, hit_id: i64) -> Result<Vec<(i64, DecisionRecord)>, DomainError> {
    let mut stmt = conn.prepare(
        "SELECT decision, reason, decided_by, decided_at, id FROM conflict_decisions
         WHERE hit_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([hit_id], |r| {
        Ok((
            r.get(4)?,
            DecisionRecord {
                decision: Decision::from_db(&r.get::<_, String>(0)?),
                reason: r.get(1)?,
                decided_by: r.get(2)?,
                decided_at: r.get(3)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every check, newest first.
pub fn list(conn: &Connection) -> Result<Vec<CheckSummary>, DomainError> {
    let mut stmt = conn.prepare("SELECT id FROM conflict_checks ORDER BY id DESC")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    ids.into_iter()
        .map(|id| {
            let c = get(conn, id)?;
            Ok(CheckSummary {
                id,
                purpose: c.purpose,
                checked_by: c.checked_by,
                checked_at: c.checked_at,
                hits: c.hits.len() as u32,
                undecided: c.hits.iter().filter(|h| h.undecided()).count() as u32,
                document_mentions: c.document_counts.iter().map(|d| d.total).sum(),
                names: c.names,
                status: c.status,
                opened_matter_number: c.opened_matter_number,
                for_matter_number: c.for_matter_number,
            })
        })
        .collect()
}

/// Appends a decision on hit `number` of check `check_id`; returns the
/// decision's id.
pub fn decide(
    conn: &Connection,
    check_id: i64,
    number: u32,
    decision: Decision,
    reason: &str,
    decided_by: &str,
) -> Result<i64, DomainError> {
    let reason = required("reason", "The reason for the decision", reason)?;
    let hit: (i64, String) = conn
        .query_row(
            "SELECT id, severity FROM conflict_hits WHERE check_id = ?1 AND position = ?2",
            params![check_id, number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| {
            if get(conn, check_id).is_err() {
                not_found(check_id)
            } else {
                DomainError::NotFound {
                    what: "hit",
                    key: format!("number {number} in conflict check {check_id}"),
                }
            }
        })?;
    conn.execute(
        "INSERT INTO conflict_decisions (hit_id, decision, reason, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hit.0, decision.as_str(), reason, decided_by, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Appends a decision on document hit `number` (its "D" number) of check
/// `check_id`: no conflict, or conflict (a waiver is drafted from a name
/// hit, never from a mention). Returns the decision's id.
pub fn decide_document(
    conn: &Connection,
    check_id: i64,
    number: u32,
    decision: Decision,
    reason: &str,
    decided_by: &str,
) -> Result<i64, DomainError> {
    let reason = required("reason", "The reason for the decision", reason)?;
    if decision == Decision::WaiverNeeded {
        return Err(validation(
            "decision",
            "A document that mentions a name is decided no conflict or conflict. If it shows a relationship that needs a waiver, run a check for that person or add them as a party, and decide \"waiver needed\" on that name hit.",
        ));
    }
    let hit: i64 = conn
        .query_row(
            "SELECT id FROM conflict_document_hits WHERE check_id = ?1 AND position = ?2",
            params![check_id, number],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            if get(conn, check_id).is_err() {
                not_found(check_id)
            } else {
                DomainError::NotFound {
                    what: "document hit",
                    key: format!("D{number} in conflict check {check_id}"),
                }
            }
        })?;
    conn.execute(
        "INSERT INTO conflict_document_decisions (hit_id, decision, reason, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hit, decision.as_str(), reason, decided_by, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Keeps the names of matter `matter_id` (its client with aliases and
/// former names, its parties) for conflict checks, before the matter is
/// destroyed. Returns how many names were kept.
pub fn keep_matter_names(
    conn: &Connection,
    matter_id: i64,
    destroyed_on: &str,
) -> Result<usize, DomainError> {
    let (number, opened, closed, client_id): (String, String, Option<String>, i64) = conn
        .query_row(
            "SELECT number, opened_on, closed_on, client_id FROM matters WHERE id = ?1",
            [matter_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let client = crate::clients::get(conn, client_id)?;
    let aliases: Vec<(String, bool)> = client
        .aliases
        .iter()
        .map(|a| (a.clone(), false))
        .chain(client.former_names.iter().map(|a| (a.clone(), true)))
        .collect();
    let mut rows: Vec<(String, NameKind, &str, String, String)> = vec![(
        client.name,
        client.kind.into(),
        "client",
        String::new(),
        serde_json::to_string(&aliases).unwrap_or_else(|_| "[]".into()),
    )];
    let mut stmt =
        conn.prepare("SELECT name, role, side FROM matter_parties WHERE matter_id = ?1")?;
    let parties = stmt.query_map([matter_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for p in parties {
        let (name, role, side) = p?;
        let side = if side == "adverse" {
            "adverse"
        } else {
            "related"
        };
        rows.push((name, NameKind::Unknown, side, role, "[]".into()));
    }
    for (name, kind, side, role, aliases) in &rows {
        conn.execute(
            "INSERT INTO conflict_kept_names (name, kind, side, party_role, aliases, client_id, matter_number, opened_on, closed_on, destroyed_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![name, kind.as_str(), side, role, aliases, client_id, number, opened, closed, destroyed_on],
        )?;
    }
    Ok(rows.len())
}

pub fn common_parties(conn: &Connection) -> Result<Vec<CommonParty>, DomainError> {
    let mut stmt =
        conn.prepare("SELECT id, name FROM conflict_common_parties ORDER BY name COLLATE NOCASE")?;
    let rows = stmt.query_map([], |r| {
        Ok(CommonParty {
            id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn add_common_party(conn: &Connection, name: &str) -> Result<i64, DomainError> {
    let name = required("name", "The common party's name", name)?;
    let count: i64 = conn.query_row("SELECT count(*) FROM conflict_common_parties", [], |r| {
        r.get(0)
    })?;
    if count as usize >= MAX_COMMON_PARTIES {
        return Err(validation(
            "name",
            format!("The list keeps at most {MAX_COMMON_PARTIES} common parties."),
        ));
    }
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM conflict_common_parties WHERE name = ?1)",
        [&name],
        |r| r.get(0),
    )?;
    if taken {
        return Err(DomainError::Conflict(
            "That name is already on the list of common parties.".into(),
        ));
    }
    conn.execute(
        "INSERT INTO conflict_common_parties (name, added_at) VALUES (?1, ?2)",
        params![name, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn remove_common_party(conn: &Connection, id: i64) -> Result<(), DomainError> {
    let n = conn.execute("DELETE FROM conflict_common_parties WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(DomainError::NotFound {
            what: "common party",
            key: format!("id {id}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn name(n: &str, role: SearchRole) -> SearchedName {
        SearchedName {
            name: n.into(),
            kind: NameKind::Unknown,
            role,
        }
    }

    #[test]
    fn checks_hits_and_decisions_are_permanent() {
        let (_d, conn) = db();
        let hit = NewHit {
            searched: 0,
            target: HitTarget::bare(HitSource::Prospect, "Ada".into(), HitSide::Prospect),
            matched_name: "Ada".into(),
            alias: None,
            score: 1.0,
            reason: serde_json::json!({"kind": "exact"}),
            explanation: "the same name".into(),
            severity: Severity::Low,
        };
        let id = save_check(
            &conn,
            &CheckHeader {
                purpose: CheckPurpose::Intake,
                for_matter: None,
                client_id: None,
                matcher_version: "v1",
                checked_by: "test",
            },
            &[name("Ada", SearchRole::Client)],
            &[hit],
        )
        .unwrap();
        assert_eq!(get(&conn, id).unwrap().status, CheckStatus::Undecided);
        decide(&conn, id, 1, Decision::Conflict, "same person", "test").unwrap();
        assert_eq!(get(&conn, id).unwrap().status, CheckStatus::Conflict);
        decide(&conn, id, 1, Decision::NoConflict, "other Ada", "test").unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.status, CheckStatus::Cleared);
        assert_eq!(c.hits[0].decisions.len(), 2);
        for sql in [
            "UPDATE conflict_checks SET checked_by = 'x'",
            "DELETE FROM conflict_checks",
            "UPDATE conflict_check_names SET name = 'x'",
            "DELETE FROM conflict_check_names",
            "UPDATE conflict_hits SET severity = 'low'",
            "DELETE FROM conflict_hits",
            "UPDATE conflict_decisions SET decision = 'conflict'",
            "DELETE FROM conflict_decisions",
        ] {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("permanent"), "{sql}: {err}");
        }
        assert!(matches!(
            decide(&conn, id, 9, Decision::Conflict, "x", "t"),
            Err(DomainError::NotFound { what: "hit", .. })
        ));
        assert!(matches!(
            decide(&conn, 99, 1, Decision::Conflict, "x", "t"),
            Err(DomainError::NotFound {
                what: "conflict check",
                ..
            })
        ));
        assert!(matches!(
            decide(&conn, id, 1, Decision::Conflict, " \u{200b}", "t"),
            Err(DomainError::Validation { .. })
        ));
    }

    #[test]
    fn a_withdrawn_waiver_reopens_the_hit_it_covered_without_touching_the_check() {
        use crate::consents::{self, ConsentAction, Periods};
        let (_d, conn) = db();
        let hit = NewHit {
            searched: 0,
            target: HitTarget::bare(HitSource::Prospect, "Ada".into(), HitSide::Prospect),
            matched_name: "Ada".into(),
            alias: None,
            score: 1.0,
            reason: serde_json::json!({"kind": "exact"}),
            explanation: "the same name".into(),
            severity: Severity::High,
        };
        let header = CheckHeader {
            purpose: CheckPurpose::Intake,
            for_matter: None,
            client_id: None,
            matcher_version: "v1",
            checked_by: "test",
        };
        let id = save_check(&conn, &header, &[name("Ada", SearchRole::Client)], &[hit]).unwrap();
        let decision = decide(&conn, id, 1, Decision::WaiverNeeded, "former client", "t").unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let waiver = consents::draft_waiver(&conn, decision, None, None, today, "t").unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.status, CheckStatus::Cleared);
        assert_eq!(c.hits[0].consents, vec![waiver]);
        assert_eq!(
            consents::covered_hits(&conn, waiver).unwrap(),
            vec![(id, 1)]
        );
        let periods = Periods {
            confirm_days: 7,
            review_months: 12,
        };
        consents::change(
            &conn,
            waiver,
            ConsentAction::Withdrawn,
            today,
            "",
            today,
            periods,
            "t",
        )
        .unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.status, CheckStatus::Reopened);
        assert!(!c.status.allows_opening());
        assert_eq!(c.hits[0].waiver_ended, Some(waiver));
        assert!(c.hits[0].undecided());
        assert_eq!(c.hits[0].decisions.len(), 1);
        // A new decision is in force: the ended waiver no longer counts.
        decide(&conn, id, 1, Decision::NoConflict, "another Ada", "t").unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.status, CheckStatus::Cleared);
        assert_eq!(c.hits[0].waiver_ended, None);
        assert!(consents::covered_hits(&conn, waiver).unwrap().is_empty());
    }

    #[test]
    fn document_hits_are_permanent_and_block_only_once_decided_conflict() {
        let (_d, conn) = db();
        let header = CheckHeader {
            purpose: CheckPurpose::Intake,
            for_matter: None,
            client_id: None,
            matcher_version: "v1",
            checked_by: "test",
        };
        let id = save_check(&conn, &header, &[name("Ada", SearchRole::Client)], &[]).unwrap();
        let tier = DocumentTier {
            counts: vec![DocumentCount {
                searched: 0,
                total: 37,
                common: false,
            }],
            hits: vec![NewDocumentHit {
                searched: 0,
                document_id: 5,
                title: "Letter".into(),
                matter_id: 2,
                matter_number: "2019-0004".into(),
                client_id: 3,
                client_name: "Roe".into(),
                page: Some(2),
                why: "the word \u{201c}Ada\u{201d}".into(),
            }],
        };
        save_document_tier(&conn, id, &tier).unwrap();
        let c = get(&conn, id).unwrap();
        // An undecided mention needs no decision.
        assert_eq!(c.status, CheckStatus::Clear);
        assert_eq!(c.document_counts, tier.counts);
        assert_eq!(c.document_hits[0].number, 1);
        assert_eq!(c.document_hits[0].hit, tier.hits[0]);
        assert_eq!(list(&conn).unwrap()[0].document_mentions, 37);
        assert!(matches!(
            decide_document(&conn, id, 1, Decision::WaiverNeeded, "x", "t"),
            Err(DomainError::Validation { .. })
        ));
        assert!(matches!(
            decide_document(&conn, id, 2, Decision::Conflict, "x", "t"),
            Err(DomainError::NotFound {
                what: "document hit",
                ..
            })
        ));
        decide_document(&conn, id, 1, Decision::Conflict, "she was a witness", "t").unwrap();
        assert_eq!(get(&conn, id).unwrap().status, CheckStatus::Conflict);
        decide_document(&conn, id, 1, Decision::NoConflict, "another Ada", "t").unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.status, CheckStatus::Clear);
        assert_eq!(c.document_hits[0].decisions.len(), 2);
        for sql in [
            "UPDATE conflict_document_counts SET total = 1",
            "DELETE FROM conflict_document_counts",
            "UPDATE conflict_document_hits SET title = 'x'",
            "DELETE FROM conflict_document_hits",
            "UPDATE conflict_document_decisions SET decision = 'conflict'",
            "DELETE FROM conflict_document_decisions",
        ] {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("permanent"), "{sql}: {err}");
        }
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(check_names(&[]).is_err());
        assert!(check_names(&[name("\u{202e}", SearchRole::Client)]).is_err());
        assert!(check_names(&[name("a\u{0}b", SearchRole::Client)]).is_err());
        let many: Vec<_> = (0..=MAX_NAMES)
            .map(|i| name(&format!("N {i}"), SearchRole::Adverse))
            .collect();
        assert!(check_names(&many).is_err());
        assert_eq!(
            check_names(&[name("  Ada  ", SearchRole::Client)]).unwrap()[0].name,
            "Ada"
        );
    }
}
