//! Conflict-of-interest checks (#16 §1): the names of a new matter are
//! matched (by `matterbox-names`) against every client with its aliases
//! and former names, every party of every matter, prospects, and the
//! names kept from destroyed matters; the check is saved as an immutable
//! record with every hit, and the lawyer's decisions are appended to it.
//!
//! Deciding is separate from doing: [`severity`] and [`hits_for`] are
//! pure; the session methods read, save and audit.
//!
//! **Audit entries carry ids, counts and decisions, never a name.**
//!
//! The index is built from the vault the first time a check runs and kept
//! for the session (never written anywhere: it is plaintext names); a
//! fingerprint of the tables it reads (row counts and the newest audit
//! stamps) is compared before every check, so a change by this session or
//! by another process (the CLI beside the app) rebuilds it.

use chrono::NaiveDate;
use matterbox_domain::conflicts::{
    self as db, AliasKind, CheckHeader, CheckPurpose, CheckRecord, CheckStatus, CheckSummary,
    CommonParty, Decision, DocumentCount, DocumentTier, HitSide, HitSource, HitTarget, NameKind,
    NewDocumentHit, NewHit, SearchRole, SearchedName, Severity,
};
use matterbox_domain::search::{self, Except, Query, SearchFilter, SearchSort};
use matterbox_domain::{DomainError, MatterInput, PartyInput, PartySide, clients};
use matterbox_names::{Entry, MATCHER_VERSION, NameIndex, NameKeys};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::{CoreError, Result, Session};

/// How many documents mentioning a name a check records (all are counted).
pub const DOCUMENTS_RECORDED: u32 = 20;
/// A name's words are a mention when at most this many words stand
/// between them (a middle name and an initial).
const MENTION_DISTANCE: u32 = 2;

/// The words of `name` a document must hold to mention it: its words as
/// typed, less legal forms and titles ("ACME Corporation" is "ACME"),
/// unless that leaves none.
pub fn mention_words(name: &SearchedName) -> String {
    let kind = names_kind(name.kind);
    let keys = NameKeys::of(&name.name, kind);
    let kept: Vec<&str> = keys.stripped().split(' ').collect();
    let words: Vec<&str> = name
        .name
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '\u{2019}')
        .filter(|w| !w.is_empty())
        .collect();
    let stripped: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| {
            let k = NameKeys::of(w, kind);
            k.is_empty() || kept.contains(&k.latin())
        })
        .collect();
    if stripped.is_empty() {
        words.join(" ")
    } else {
        stripped.join(" ")
    }
}

/// Why a document hit matched, in a reader's words.
fn mention_why(words: &str, parts: &[&str], page: Option<u32>) -> String {
    let quoted: Vec<String> = words
        .split(' ')
        .map(|w| format!("\u{201c}{w}\u{201d}"))
        .collect();
    let found = if quoted.len() == 1 {
        format!("the word {}", quoted[0])
    } else {
        format!(
            "the words {} within {MENTION_DISTANCE} words of each other",
            quoted.join(", ")
        )
    };
    let mut parts: Vec<String> = parts.iter().map(|p| (*p).to_string()).collect();
    if let (Some(p), Some(last)) = (page, parts.iter_mut().find(|p| p.starts_with("recognised"))) {
        last.push_str(&format!(", best on page {p}"));
    }
    if parts.is_empty() {
        format!("{found} (spread over its title, notes and text)")
    } else {
        format!("{found} in its {}", parts.join(" and "))
    }
}

/// What the index files for each name: its target and which alias is a
/// former name.
pub(crate) struct Payload {
    target: HitTarget,
    alias_kinds: Vec<AliasKind>,
}

/// The session's index and the fingerprint of the data it was built from.
#[derive(Default)]
pub(crate) struct Cache {
    built: Option<(String, NameIndex<Payload>)>,
}

/// A check to run: the names, the existing client it is for (whose own
/// record is then no hit), and whether to keep the proposed client as a
/// prospect (Rule 1.18).
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckRequest {
    pub names: Vec<SearchedName>,
    #[serde(default)]
    #[ts(optional)]
    pub client_id: Option<i64>,
    #[serde(default)]
    #[ts(optional)]
    pub save_prospect: Option<bool>,
}

/// How much a hit matters, from the searched name's role in the new
/// matter and the side the name found was on.
///
/// High: the proposed client is (or was) an adverse party anywhere, or
/// an adverse party is (or was) a client — direct adversity (Rules 1.7,
/// 1.9). Medium: an adverse party who consulted as a prospect (Rule
/// 1.18), and any mix with a related party (co-parties, affiliates:
/// whose side they are on needs a look). Low: same-side hits (the client
/// is a client already, an adverse party was adverse before).
pub fn severity(role: SearchRole, side: HitSide) -> Severity {
    use HitSide as S;
    use SearchRole as R;
    match (role, side) {
        (R::Client, S::Adverse) | (R::Adverse, S::Client) => Severity::High,
        (R::Adverse, S::Prospect)
        | (R::Client, S::Related)
        | (R::Adverse, S::Related)
        | (R::Related, S::Adverse)
        | (R::Related, S::Client) => Severity::Medium,
        (R::Client, S::Client)
        | (R::Client, S::Prospect)
        | (R::Adverse, S::Adverse)
        | (R::Related, S::Related)
        | (R::Related, S::Prospect) => Severity::Low,
    }
}

fn names_kind(k: NameKind) -> matterbox_names::NameKind {
    match k {
        NameKind::Person => matterbox_names::NameKind::Person,
        NameKind::Organization => matterbox_names::NameKind::Organisation,
        NameKind::Unknown => matterbox_names::NameKind::Unknown,
    }
}

/// The hits of `names` in `index`, with severities; a hit on the
/// existing client `client_id` itself is left out, and hits are marked
/// suppressed when the searched name or the name found is on `common`.
pub(crate) fn hits_for(
    index: &NameIndex<Payload>,
    common: &NameIndex<()>,
    names: &[SearchedName],
    client_id: Option<i64>,
) -> Vec<NewHit> {
    let is_common = |name: &str, kind| !common.check(name, kind).is_empty();
    let mut out = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let kind = names_kind(n.kind);
        let keys = NameKeys::of(&n.name, kind);
        let searched_common = !common.is_empty() && !common.check_keys(&keys).is_empty();
        for hit in index.check_keys(&keys) {
            let t = &hit.payload.target;
            // The existing client is no conflict with itself (its record,
            // or its name kept from a destroyed matter).
            if t.side == HitSide::Client && client_id.is_some() && t.client_id == client_id {
                continue;
            }
            let common_hit = searched_common
                || (!common.is_empty()
                    && is_common(&t.entry_name, matterbox_names::NameKind::Unknown));
            out.push(NewHit {
                searched: i as u32,
                target: t.clone(),
                matched_name: hit.matched_name.to_owned(),
                alias: hit
                    .alias
                    .and_then(|a| hit.payload.alias_kinds.get(a).copied()),
                score: (hit.score * 1000.0).round() / 1000.0,
                reason: serde_json::to_value(&hit.reason).unwrap_or(serde_json::Value::Null),
                explanation: hit.explanation.clone(),
                severity: if common_hit {
                    Severity::Suppressed
                } else {
                    severity(n.role, t.side)
                },
            });
        }
    }
    // Most severe first, then best score; the order is the hit numbers.
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(b.score.total_cmp(&a.score))
            .then(a.searched.cmp(&b.searched))
    });
    out
}

fn build(sources: Vec<db::NameSource>) -> NameIndex<Payload> {
    NameIndex::from_entries(sources.into_iter().map(|s| {
        let (aliases, alias_kinds): (Vec<String>, Vec<AliasKind>) = s.aliases.into_iter().unzip();
        Entry {
            kind: names_kind(s.kind),
            name: s.target.entry_name.clone(),
            aliases,
            payload: Payload {
                target: s.target,
                alias_kinds,
            },
        }
    }))
}

fn check_error(id: i64, record: &CheckRecord) -> CoreError {
    let undecided = record.hits.iter().filter(|h| h.undecided()).count();
    let message = match record.status {
        CheckStatus::Conflict => format!(
            "Conflict check {id} has a hit decided as a conflict; the matter cannot be opened under it. If that decision was wrong, record a new one with its reason (matterbox conflict decide)."
        ),
        CheckStatus::Reopened => format!(
            "Conflict check {id} is no longer cleared: a waiver a decision relied on was withdrawn or has expired. Record a new decision on that hit (matterbox conflict show {id})."
        ),
        _ => format!(
            "Conflict check {id} found {} possible conflict(s), {undecided} not decided yet. Record a decision for each (matterbox conflict show {id}; matterbox conflict decide), then open the matter with that check.",
            record.hits.len()
        ),
    };
    CoreError::Domain(DomainError::Conflict(message))
}

impl Session {
    /// The index over the vault as it is now (rebuilt when the data changed).
    fn conflict_index(&mut self) -> Result<&NameIndex<Payload>> {
        let fingerprint = db::sources_fingerprint(&self.conn)?;
        let fresh = matches!(&self.conflicts.built, Some((f, _)) if *f == fingerprint);
        if !fresh {
            let index = build(db::name_sources(&self.conn)?);
            self.conflicts.built = Some((fingerprint, index));
        }
        match &self.conflicts.built {
            Some((_, index)) => Ok(index),
            // Set just above.
            None => unreachable!("the conflict index was just built"),
        }
    }

    fn common_index(&self) -> Result<NameIndex<()>> {
        Ok(NameIndex::from_entries(
            db::common_parties(&self.conn)?.into_iter().map(|p| Entry {
                payload: (),
                kind: matterbox_names::NameKind::Unknown,
                name: p.name,
                aliases: Vec::new(),
            }),
        ))
    }

    fn find_hits(&mut self, names: &[SearchedName], client_id: Option<i64>) -> Result<Vec<NewHit>> {
        let common = self.common_index()?;
        let index = self.conflict_index()?;
        Ok(hits_for(index, &common, names, client_id))
    }

    /// The lower tier: for each name, one full-text query over the
    /// documents (text, recognised text, titles, notes) for its words near
    /// each other, counted exactly, the first [`DOCUMENTS_RECORDED`] kept
    /// best first with where and why. Documents of `except` (the check's
    /// own client, the matter a party joins) and names on the common-party
    /// list are left out.
    pub(crate) fn find_documents(
        &self,
        names: &[SearchedName],
        except: Except,
    ) -> Result<DocumentTier> {
        let common = self.common_index()?;
        let mut tier = DocumentTier::default();
        for (i, n) in names.iter().enumerate() {
            let searched = i as u32;
            if !common.is_empty() && !common.check(&n.name, names_kind(n.kind)).is_empty() {
                tier.counts.push(DocumentCount {
                    searched,
                    total: 0,
                    common: true,
                });
                continue;
            }
            let words = mention_words(n);
            let query = Query::mention(&words, MENTION_DISTANCE);
            if query.is_empty() {
                tier.counts.push(DocumentCount {
                    searched,
                    total: 0,
                    common: false,
                });
                continue;
            }
            let filter = SearchFilter {
                limit: Some(DOCUMENTS_RECORDED),
                sort: Some(SearchSort::Best),
                ..Default::default()
            };
            let page = search::search_except(&self.conn, &query, &filter, except)?;
            let ids: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
            let parts = search::matched_parts(&self.conn, &query, &ids)?;
            tier.counts.push(DocumentCount {
                searched,
                total: u32::try_from(page.total).unwrap_or(u32::MAX),
                common: false,
            });
            // The words as the index reads them ("O'Brien" is "O Brien").
            let shown_words = words
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            for h in page.hits {
                let client_id = matterbox_domain::matters::get(&self.conn, h.matter_id)?
                    .summary
                    .client_id;
                let found = parts.get(&h.document_id).map(Vec::as_slice).unwrap_or(&[]);
                tier.hits.push(NewDocumentHit {
                    searched,
                    document_id: h.document_id,
                    title: h.title,
                    matter_id: h.matter_id,
                    matter_number: h.matter_number,
                    client_id,
                    client_name: h.client_name,
                    page: h.page,
                    why: mention_why(&shown_words, found, h.page),
                });
            }
        }
        Ok(tier)
    }

    /// The hits of `names` in the conflict index, for a data-subject
    /// request's "find everything about this person" (no client is left
    /// out; nothing is saved or audited here).
    pub(crate) fn person_hits(&mut self, names: &[SearchedName]) -> Result<Vec<NewHit>> {
        self.find_hits(names, None)
    }

    /// The hits `names` would find now, without saving a check (the intake
    /// screen, as the user types). Not audited, like the client list: it
    /// shows no more than a list does, and is recorded once saved.
    pub fn conflict_preview(&mut self, request: &CheckRequest) -> Result<Vec<NewHit>> {
        let names = db::check_names(&request.names)?;
        self.find_hits(&names, request.client_id)
    }

    /// Runs a check and saves it as an immutable record (and the proposed
    /// client as a prospect when asked); audited with counts, never names.
    pub fn conflict_check(&mut self, request: &CheckRequest) -> Result<CheckRecord> {
        let names = db::check_names(&request.names)?;
        if let Some(c) = request.client_id {
            clients::get(&self.conn, c)?;
        }
        let hits = self.find_hits(&names, request.client_id)?;
        let documents = self.find_documents(
            &names,
            Except {
                client_id: request.client_id,
                matter_id: None,
            },
        )?;
        let actor = self.actor.clone();
        let prospect = request.save_prospect.unwrap_or(false);
        self.write(|tx, rec| {
            let id = db::save_check(
                tx,
                &CheckHeader {
                    purpose: CheckPurpose::Intake,
                    for_matter: None,
                    client_id: request.client_id,
                    matcher_version: MATCHER_VERSION,
                    checked_by: &actor,
                },
                &names,
                &hits,
            )?;
            db::save_document_tier(tx, id, &documents)?;
            let prospect_id = if prospect {
                db::save_prospects(tx, id, &names)?
            } else {
                None
            };
            rec.record(
                "conflict_checked",
                &format!("conflict_check:{id}"),
                counts(&names, &hits, &documents, prospect_id),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Records a decision on hit `hit` (its number, from 1) of check
    /// `check`. "Waiver needed" drafts a requested conflict waiver for each
    /// affected client (see `consents::draft_waivers`).
    pub fn conflict_decide(
        &mut self,
        check: i64,
        hit: u32,
        decision: Decision,
        reason: &str,
    ) -> Result<CheckRecord> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let decision_id = db::decide(tx, check, hit, decision, reason, &actor)?;
            let mut record = db::get(tx, check)?;
            rec.record(
                "conflict_decided",
                &format!("conflict_check:{check}"),
                json!({ "hit": hit, "decision": decision.as_str(), "status": record.status.as_str() }),
            )?;
            // A waiver is tracked as a consent until confirmed in writing.
            if decision == Decision::WaiverNeeded {
                crate::consents::draft_waivers(tx, rec, &record, hit, decision_id, &actor)?;
                record = db::get(tx, check)?;
            }
            Ok(record)
        })
    }

    /// Records a decision on document hit `hit` (its "D" number, from 1)
    /// of check `check`: no conflict, or conflict.
    pub fn conflict_decide_document(
        &mut self,
        check: i64,
        hit: u32,
        decision: Decision,
        reason: &str,
    ) -> Result<CheckRecord> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::decide_document(tx, check, hit, decision, reason, &actor)?;
            let record = db::get(tx, check)?;
            rec.record(
                "conflict_decided",
                &format!("conflict_check:{check}"),
                json!({ "document_hit": hit, "decision": decision.as_str(), "status": record.status.as_str() }),
            )?;
            Ok(record)
        })
    }

    /// Every check, newest first (a list, not audited).
    pub fn conflict_checks(&self) -> Result<Vec<CheckSummary>> {
        Ok(db::list(&self.conn)?)
    }

    /// One check with its hits and decisions; recorded as viewed.
    pub fn conflict_check_record(&mut self, id: i64) -> Result<CheckRecord> {
        self.write(|tx, rec| {
            let record = db::get(tx, id)?;
            rec.record(
                "conflict_check_viewed",
                &format!("conflict_check:{id}"),
                json!({}),
            )?;
            Ok(record)
        })
    }

    /// The check as a printable HTML page for the file; recorded as viewed.
    pub fn conflict_check_html(&mut self, id: i64) -> Result<String> {
        let record = self.conflict_check_record(id)?;
        Ok(check_html(&record, &self.vault.header().name))
    }

    /// Writes the printable check to `destination` (a new private file,
    /// never over one); recorded as viewed.
    pub fn export_conflict_check(&mut self, id: i64, destination: &std::path::Path) -> Result<()> {
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        let html = self.conflict_check_html(id)?;
        crate::partial::write_new_private(destination, html.as_bytes())
    }

    pub fn conflict_common_parties(&self) -> Result<Vec<CommonParty>> {
        Ok(db::common_parties(&self.conn)?)
    }

    pub fn add_conflict_common_party(&mut self, name: &str) -> Result<Vec<CommonParty>> {
        self.write(|tx, rec| {
            let id = db::add_common_party(tx, name)?;
            rec.record(
                "conflict_common_party_added",
                &format!("conflict_common_party:{id}"),
                json!({}),
            )?;
            Ok(db::common_parties(tx)?)
        })
    }

    pub fn remove_conflict_common_party(&mut self, id: i64) -> Result<Vec<CommonParty>> {
        self.write(|tx, rec| {
            db::remove_common_party(tx, id)?;
            rec.record(
                "conflict_common_party_removed",
                &format!("conflict_common_party:{id}"),
                json!({}),
            )?;
            Ok(db::common_parties(tx)?)
        })
    }

    /// The check a matter for `input` opens under, checked; or, with no
    /// check given while checks are required, an automatic check of the
    /// client's name: returned to be saved with the matter when it finds
    /// nothing, else saved on its own and refused with its id.
    pub(crate) fn check_for_opening(&mut self, input: &MatterInput) -> Result<OpeningCheck> {
        let Ok(client) = clients::get(&self.conn, input.client_id) else {
            // The open itself says the client does not exist.
            return Ok(OpeningCheck::None);
        };
        if let Some(id) = input.conflict_check {
            let record = db::get(&self.conn, id)?;
            if record.purpose == CheckPurpose::PartyAdded {
                return Err(CoreError::Domain(DomainError::Validation {
                    field: "conflict_check".into(),
                    message: format!(
                        "Conflict check {id} was run for a party added to a matter; open a matter under a check of its client."
                    ),
                }));
            }
            if let Some(number) = &record.opened_matter_number {
                return Err(CoreError::Domain(DomainError::Conflict(format!(
                    "Conflict check {id} is already linked to matter {number}; run a new check for this matter."
                ))));
            }
            let searched_client = record.client_id == Some(client.id)
                || record
                    .names
                    .iter()
                    .filter(|n| n.role == SearchRole::Client)
                    .any(|n| same_name(&n.name, n.kind, &client));
            if !searched_client {
                return Err(CoreError::Domain(DomainError::Validation {
                    field: "conflict_check".into(),
                    message: format!(
                        "Conflict check {id} did not search this matter's client as the client; run a check with the client's name."
                    ),
                }));
            }
            if !record.status.allows_opening() {
                return Err(check_error(id, &record));
            }
            return Ok(OpeningCheck::Linked(id));
        }
        if !db::check_required(&self.conn)? {
            return Ok(OpeningCheck::None);
        }
        let names = vec![SearchedName {
            name: client.name.clone(),
            kind: client.kind.into(),
            role: SearchRole::Client,
        }];
        let hits = self.find_hits(&names, Some(client.id))?;
        let documents = self.find_documents(
            &names,
            Except {
                client_id: Some(client.id),
                matter_id: None,
            },
        )?;
        if hits.iter().all(|h| h.severity == Severity::Suppressed) {
            return Ok(OpeningCheck::Automatic(names, hits, documents));
        }
        let actor = self.actor.clone();
        let record = self.write(|tx, rec| {
            let id = db::save_check(
                tx,
                &CheckHeader {
                    purpose: CheckPurpose::MatterOpen,
                    for_matter: None,
                    client_id: Some(client.id),
                    matcher_version: MATCHER_VERSION,
                    checked_by: &actor,
                },
                &names,
                &hits,
            )?;
            db::save_document_tier(tx, id, &documents)?;
            rec.record(
                "conflict_checked",
                &format!("conflict_check:{id}"),
                counts(&names, &hits, &documents, None),
            )?;
            Ok(db::get(tx, id)?)
        })?;
        Err(check_error(record.id, &record))
    }

    /// The hits of a party about to be added to matter `matter_id`.
    pub(crate) fn party_hits(
        &mut self,
        matter_id: i64,
        party: &PartyInput,
    ) -> Result<(Vec<SearchedName>, Vec<NewHit>, DocumentTier)> {
        // Bad input is refused by the add itself, with its own message.
        let Ok(names) = db::check_names(&[SearchedName {
            name: party.name.clone(),
            kind: NameKind::Unknown,
            role: match party.side {
                PartySide::Adverse => SearchRole::Adverse,
                PartySide::Related => SearchRole::Related,
            },
        }]) else {
            return Ok((Vec::new(), Vec::new(), DocumentTier::default()));
        };
        let mut hits = self.find_hits(&names, None)?;
        // The matter's own client and parties are not conflicts with it,
        // nor its own documents mentions.
        hits.retain(|h| h.target.matter_id != Some(matter_id));
        let documents = self.find_documents(
            &names,
            Except {
                client_id: None,
                matter_id: Some(matter_id),
            },
        )?;
        Ok((names, hits, documents))
    }
}

/// What `open_matter` saves with the matter.
pub(crate) enum OpeningCheck {
    None,
    Linked(i64),
    /// An automatic check of the client's name that found nothing (its
    /// document mentions are recorded, and decide nothing).
    Automatic(Vec<SearchedName>, Vec<NewHit>, DocumentTier),
}

/// Saves a check run by `open_matter` or `add_party` inside the caller's
/// transaction (its audit entry is the caller's, with the check's id).
#[allow(clippy::too_many_arguments)] // One call site each: the record's parts, named.
pub(crate) fn save_in(
    tx: &rusqlite::Connection,
    actor: &str,
    purpose: CheckPurpose,
    for_matter: Option<(i64, &str)>,
    client_id: Option<i64>,
    names: &[SearchedName],
    hits: &[NewHit],
    documents: &DocumentTier,
) -> Result<i64> {
    let id = db::save_check(
        tx,
        &CheckHeader {
            purpose,
            for_matter,
            client_id,
            matcher_version: MATCHER_VERSION,
            checked_by: actor,
        },
        names,
        hits,
    )?;
    db::save_document_tier(tx, id, documents)?;
    Ok(id)
}

/// Whether `name` is the client's name or one of its other names.
fn same_name(name: &str, kind: NameKind, client: &matterbox_domain::Client) -> bool {
    let q = NameKeys::of(name, names_kind(kind));
    std::iter::once(&client.name)
        .chain(&client.aliases)
        .chain(&client.former_names)
        .any(|c| {
            let k = NameKeys::of(c, names_kind(client.kind.into()));
            !q.is_empty() && (q.sorted() == k.sorted() || q.stripped() == k.stripped())
        })
}

/// Audit details of a check: counts only.
pub(crate) fn counts(
    names: &[SearchedName],
    hits: &[NewHit],
    documents: &DocumentTier,
    prospect: Option<i64>,
) -> serde_json::Value {
    let n = |s: Severity| hits.iter().filter(|h| h.severity == s).count();
    json!({
        "names": names.len(),
        "hits": hits.len(),
        "high": n(Severity::High),
        "medium": n(Severity::Medium),
        "low": n(Severity::Low),
        "suppressed": n(Severity::Suppressed),
        "document_mentions": documents.counts.iter().map(|c| u64::from(c.total)).sum::<u64>(),
        "document_hits": documents.hits.len(),
        "matcher_version": MATCHER_VERSION,
        "prospect": prospect.map(|p| format!("conflict_prospect:{p}")),
    })
}

/// The names of a matter about to be destroyed go into the kept index
/// when the setting says so; returns how many.
pub(crate) fn keep_destroyed(
    tx: &rusqlite::Connection,
    matter_id: i64,
    today: NaiveDate,
) -> Result<usize> {
    if !db::keep_names(tx)? {
        return Ok(0);
    }
    Ok(db::keep_matter_names(tx, matter_id, &today.to_string())?)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn where_found(t: &HitTarget) -> String {
    let dates = |t: &HitTarget| {
        let mut d = String::new();
        if let Some(o) = &t.opened_on {
            d.push_str(&format!("opened {o}"));
        }
        if let Some(c) = &t.closed_on {
            d.push_str(&format!(", closed {c}"));
        }
        if let Some(x) = &t.destroyed_on {
            d.push_str(&format!(", destroyed {x}"));
        }
        d
    };
    let matter = t.matter_number.as_deref().unwrap_or("?");
    match t.source {
        HitSource::Client => match t.client_id {
            Some(id) => format!("client (id {id})"),
            None => "client".into(),
        },
        HitSource::Party => format!(
            "{} party{} in matter {matter} ({}; {})",
            side_word(t.side),
            if t.party_role.is_empty() {
                String::new()
            } else {
                format!(" ({})", t.party_role)
            },
            t.matter_status.as_deref().unwrap_or(""),
            dates(t)
        ),
        HitSource::Prospect => format!(
            "prospective client (since {})",
            t.opened_on.as_deref().unwrap_or("?")
        ),
        HitSource::Destroyed => format!(
            "{} of destroyed matter {matter} ({})",
            match t.side {
                HitSide::Client => "client".to_string(),
                s => format!("{} party", side_word(s)),
            },
            dates(t)
        ),
    }
}

fn side_word(s: HitSide) -> &'static str {
    match s {
        HitSide::Client => "client",
        HitSide::Adverse => "adverse",
        HitSide::Related => "related",
        HitSide::Prospect => "prospect",
    }
}

/// One line counting the documents that mention a searched name ("37
/// documents mention this name; the first 20 are recorded").
pub fn document_count_line(c: &DocumentCount, hits: &[db::DocumentHit]) -> String {
    if c.common {
        return "A common party: documents were not searched.".into();
    }
    let recorded = hits.iter().filter(|h| h.hit.searched == c.searched).count();
    match c.total {
        0 => "No document mentions this name.".into(),
        1 => "1 document mentions this name.".into(),
        t if t as usize == recorded => format!("{t} documents mention this name."),
        t => format!("{t} documents mention this name; the first {recorded} are recorded here."),
    }
}

/// One line saying where a document hit was found ("“Letter” in matter
/// 2019-0004 (client Jane Roe), page 2").
pub fn describe_document(h: &NewDocumentHit) -> String {
    format!(
        "\u{201c}{}\u{201d} in matter {} (client {}){}",
        h.title,
        h.matter_number,
        h.client_name,
        h.page.map(|p| format!(", page {p}")).unwrap_or_default()
    )
}

/// One line saying where a hit was found ("adverse party (defendant) in
/// matter 2019-004 (closed; opened 2019-02-01, closed 2019-11-30)").
pub fn describe_target(t: &HitTarget) -> String {
    where_found(t)
}

fn check_html(r: &CheckRecord, vault: &str) -> String {
    let mut names = String::new();
    for n in &r.names {
        names.push_str(&format!(
            "<li>{} <small>({}, {})</small></li>",
            esc(&n.name),
            n.role.as_str(),
            n.kind.as_str()
        ));
    }
    let mut hits = String::new();
    for h in &r.hits {
        let searched = r
            .names
            .get(h.hit.searched as usize)
            .map(|n| n.name.as_str())
            .unwrap_or("");
        let mut decisions = String::new();
        for d in &h.decisions {
            decisions.push_str(&format!(
                "<li>{}: {} <small>({}, {})</small></li>",
                d.decision.as_str(),
                esc(&d.reason),
                esc(&d.decided_by),
                esc(&d.decided_at)
            ));
        }
        if decisions.is_empty() {
            decisions = if h.hit.severity == Severity::Suppressed {
                "<li>common party: no decision needed</li>".into()
            } else {
                "<li><strong>not decided</strong></li>".into()
            };
        }
        hits.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td><td><ul>{}</ul></td></tr>\n",
            h.number,
            h.hit.severity.as_str(),
            esc(searched),
            esc(&h.hit.matched_name),
            esc(&where_found(&h.hit.target)),
            h.hit.score,
            esc(&h.hit.explanation),
            decisions
        ));
    }
    if hits.is_empty() {
        hits = "<tr><td colspan=\"8\">No hits.</td></tr>".into();
    }
    let mut documents = String::new();
    for c in &r.document_counts {
        let searched = r
            .names
            .get(c.searched as usize)
            .map(|n| n.name.as_str())
            .unwrap_or("");
        documents.push_str(&format!(
            "<h3>{}</h3><p>{}</p>\n",
            esc(searched),
            esc(&document_count_line(c, &r.document_hits))
        ));
        let mut rows = String::new();
        for h in r
            .document_hits
            .iter()
            .filter(|h| h.hit.searched == c.searched)
        {
            let mut decisions = String::new();
            for d in &h.decisions {
                decisions.push_str(&format!(
                    "<li>{}: {} <small>({}, {})</small></li>",
                    d.decision.as_str(),
                    esc(&d.reason),
                    esc(&d.decided_by),
                    esc(&d.decided_at)
                ));
            }
            if decisions.is_empty() {
                decisions = "<li>not decided (a mention needs no decision)</li>".into();
            }
            rows.push_str(&format!(
                "<tr><td>D{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><ul>{}</ul></td></tr>\n",
                h.number,
                esc(&h.hit.title),
                esc(&h.hit.matter_number),
                esc(&h.hit.client_name),
                h.hit.page.map(|p| p.to_string()).unwrap_or_default(),
                esc(&h.hit.why),
                decisions
            ));
        }
        if !rows.is_empty() {
            documents.push_str(&format!(
                "<table><tr><th>#</th><th>Document</th><th>Matter</th><th>Client</th><th>Page</th><th>Why</th><th>Decisions</th></tr>\n{rows}</table>\n"
            ));
        }
    }
    let linked = match &r.opened_matter_number {
        Some(n) => format!("<p>Matter opened under this check: {}</p>", esc(n)),
        None => String::new(),
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Conflict check {id}</title>\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}}</style></head><body>\n\
<h1>Conflict check {id}</h1>\n<p>Vault: {vault}<br>Run by {by} at {at} ({purpose})<br>Matcher: {matcher}<br>Status: <strong>{status}</strong></p>{linked}\n\
<h2>Names searched</h2><ul>{names}</ul>\n<h2>Hits</h2>\n<table><tr><th>#</th><th>Severity</th><th>Searched</th><th>Found</th><th>Where</th><th>Score</th><th>Why</th><th>Decisions</th></tr>\n{hits}</table>\n\
<h2>Documents that mention a name (lower tier)</h2>\n<p>Full-text search of document text and recognised (OCR) text for each name's words near each other: a mention is not a conflict in itself and needs no decision, but one decided a conflict holds the matter back.</p>\n{documents}\
<p>Checks and decisions are kept permanently in the vault and recorded in its audit log; a later decision on a hit supersedes an earlier one, and both are kept.</p>\n</body></html>\n",
        id = r.id,
        vault = esc(vault),
        by = esc(&r.checked_by),
        at = esc(&r.checked_at),
        purpose = r.purpose.as_str(),
        matcher = esc(&r.matcher_version),
        status = r.status.as_str(),
    )
}
