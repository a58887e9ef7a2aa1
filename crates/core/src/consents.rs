//! Consent records (#16 §2): recording, giving, confirming in writing,
//! withdrawing (as easy as recording, GDPR Art. 7(3)), reviewing, what is
//! due, and the printable and JSON exports. A "waiver needed" conflict
//! decision drafts the waivers (see `conflict_decide`); withdrawing one
//! re-opens the conflict check that relied on it.
//!
//! **Audit entries carry ids, kinds, states and counts, never a name or
//! the consent's text.**

use chrono::NaiveDate;
use matterbox_domain::consents::{
    self as db, Consent, ConsentAction, ConsentDue, ConsentInput, ConsentMethod, GiveInput, Periods,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::{CoreError, Result, Session};

/// The export formats of a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentFormat {
    /// A self-contained page to print or keep in the file.
    Html,
    Json,
}

/// A withdrawn consent and the conflict checks it re-opened.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    pub consent: Consent,
    /// Checks no longer cleared: a "waiver needed" hit lost its waiver.
    pub reopened_checks: Vec<i64>,
}

/// A written confirmation of an oral consent.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmInput {
    pub method: ConsentMethod,
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub on: Option<NaiveDate>,
    #[serde(default)]
    pub evidence: Vec<i64>,
}

fn target(id: i64) -> String {
    format!("consent:{id}")
}

impl Session {
    /// Records a consent (requested; given at once with `give`). Audited
    /// with its kind and counts.
    pub fn consent_record(
        &mut self,
        input: &ConsentInput,
        give: Option<&GiveInput>,
        today: NaiveDate,
    ) -> Result<Consent> {
        let actor = self.actor.clone();
        // Given at once on an earlier day: it was requested no later.
        let requested_on = give.and_then(|g| g.on).map_or(today, |on| on.min(today));
        self.write(|tx, rec| {
            let id = db::record(tx, input, requested_on, &actor)?;
            rec.record(
                "consent_recorded",
                &target(id),
                json!({
                    "kind": input.kind.map(|k| k.as_str()),
                    "clients": input.client_ids.len(),
                    "matters": input.matter_ids.len(),
                    "evidence": input.evidence.len(),
                    "supersedes": input.supersedes.map(target),
                }),
            )?;
            if let Some(old) = input.supersedes {
                rec.record(
                    "consent_superseded",
                    &target(old),
                    json!({ "by": target(id) }),
                )?;
            }
            if let Some(g) = give {
                let state = db::give(tx, id, g, today, Periods::of(tx)?, &actor)?;
                rec.record(
                    "consent_given",
                    &target(id),
                    json!({ "method": g.method.as_str(), "state": state.as_str(), "evidence": g.evidence.len() }),
                )?;
            }
            Ok(db::get(tx, id)?)
        })
    }

    /// Records that the client gave consent `id`.
    pub fn consent_give(
        &mut self,
        id: i64,
        input: &GiveInput,
        today: NaiveDate,
    ) -> Result<Consent> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let state = db::give(tx, id, input, today, Periods::of(tx)?, &actor)?;
            rec.record(
                "consent_given",
                &target(id),
                json!({ "method": input.method.as_str(), "state": state.as_str(), "evidence": input.evidence.len() }),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Records the written confirmation of oral consent `id`.
    pub fn consent_confirm(
        &mut self,
        id: i64,
        input: &ConfirmInput,
        today: NaiveDate,
    ) -> Result<Consent> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::confirm(
                tx,
                id,
                input.method,
                input.on.unwrap_or(today),
                &input.evidence,
                today,
                &actor,
            )?;
            rec.record(
                "consent_confirmed",
                &target(id),
                json!({ "method": input.method.as_str(), "evidence": input.evidence.len() }),
            )?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Withdraws consent `id` (on `on`, default today; the reason is
    /// optional). A conflict waiver's checks are re-opened: each is
    /// audited as such.
    pub fn consent_withdraw(
        &mut self,
        id: i64,
        on: Option<NaiveDate>,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Withdrawal> {
        self.consent_end(id, ConsentAction::Withdrawn, on, reason, today)
    }

    /// Marks consent `id` expired; re-opens checks like a withdrawal.
    pub fn consent_expire(
        &mut self,
        id: i64,
        on: Option<NaiveDate>,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Withdrawal> {
        self.consent_end(id, ConsentAction::Expired, on, reason, today)
    }

    fn consent_end(
        &mut self,
        id: i64,
        action: ConsentAction,
        on: Option<NaiveDate>,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Withdrawal> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let before: Vec<(i64, u32)> = db::covered_hits(tx, id)?
                .into_iter()
                .filter(|(check, _)| {
                    matterbox_domain::conflicts::get(tx, *check)
                        .map(|c| c.status.allows_opening())
                        .unwrap_or(false)
                })
                .collect();
            let state = db::change(
                tx,
                id,
                action,
                on.unwrap_or(today),
                reason,
                today,
                Periods::of(tx)?,
                &actor,
            )?;
            let mut reopened = Vec::new();
            for (check, hit) in before {
                let status = matterbox_domain::conflicts::get(tx, check)?.status;
                if !status.allows_opening() && !reopened.contains(&check) {
                    reopened.push(check);
                    rec.record(
                        "conflict_check_reopened",
                        &format!("conflict_check:{check}"),
                        json!({ "hit": hit, "consent": target(id), "status": status.as_str() }),
                    )?;
                }
            }
            rec.record(
                &format!("consent_{}", action.as_str()),
                &target(id),
                json!({ "state": state.as_str(), "reopened_checks": reopened.len() }),
            )?;
            Ok(Withdrawal {
                consent: db::get(tx, id)?,
                reopened_checks: reopened,
            })
        })
    }

    /// Records that consent `id` was reviewed; its next review is set.
    pub fn consent_review(
        &mut self,
        id: i64,
        on: Option<NaiveDate>,
        reason: &str,
        today: NaiveDate,
    ) -> Result<Consent> {
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            db::change(
                tx,
                id,
                ConsentAction::Reviewed,
                on.unwrap_or(today),
                reason,
                today,
                Periods::of(tx)?,
                &actor,
            )?;
            rec.record("consent_reviewed", &target(id), json!({}))?;
            Ok(db::get(tx, id)?)
        })
    }

    /// Every consent, or a client's, newest first (a list, not audited).
    pub fn consents(&self, client: Option<i64>) -> Result<Vec<Consent>> {
        Ok(db::list(&self.conn, client)?)
    }

    /// What is due by `today + within_days`: oral consent to confirm in
    /// writing, reviews (a list, not audited).
    pub fn consents_due(
        &self,
        client: Option<i64>,
        today: NaiveDate,
        within_days: u32,
    ) -> Result<Vec<ConsentDue>> {
        let until = today + chrono::Days::new(u64::from(within_days));
        Ok(db::due_of(&db::list(&self.conn, client)?, today, until))
    }

    /// One consent with its history; recorded as viewed.
    pub fn consent(&mut self, id: i64) -> Result<Consent> {
        self.write(|tx, rec| {
            let c = db::get(tx, id)?;
            rec.record("consent_viewed", &target(id), json!({}))?;
            Ok(c)
        })
    }

    /// The consent as a printable page or JSON; recorded as exported.
    pub fn consent_export(&mut self, id: i64, format: ConsentFormat) -> Result<String> {
        let vault = self.vault.header().name.clone();
        self.write(|tx, rec| {
            let c = db::get(tx, id)?;
            rec.record(
                "consent_exported",
                &target(id),
                json!({ "format": match format { ConsentFormat::Html => "html", ConsentFormat::Json => "json" } }),
            )?;
            Ok(match format {
                ConsentFormat::Html => consent_html(&c, &vault),
                ConsentFormat::Json => consent_json(&c, &vault),
            })
        })
    }

    /// Writes the export to `destination` (a new private file, never over
    /// one).
    pub fn export_consent(
        &mut self,
        id: i64,
        format: ConsentFormat,
        destination: &std::path::Path,
    ) -> Result<()> {
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination.to_path_buf()));
        }
        let text = self.consent_export(id, format)?;
        crate::partial::write_new_private(destination, text.as_bytes())
    }
}

/// Drafts the waivers for a "waiver needed" decision `decision_id` on hit
/// `hit` of `check`: one requested conflict waiver per affected client
/// that exists (the client the hit found, the check's own client), or
/// one with no client yet. Audited in the caller's transaction.
pub(crate) fn draft_waivers(
    tx: &rusqlite::Connection,
    rec: &crate::Recorder<'_>,
    check: &matterbox_domain::conflicts::CheckRecord,
    hit: u32,
    decision_id: i64,
    actor: &str,
) -> Result<Vec<i64>> {
    let Some(h) = check.hits.iter().find(|h| h.number == hit) else {
        return Ok(Vec::new());
    };
    let exists = |id: i64| matterbox_domain::clients::get(tx, id).is_ok();
    let mut clients: Vec<i64> = [h.hit.target.client_id, check.client_id]
        .into_iter()
        .flatten()
        .filter(|c| exists(*c))
        .collect();
    clients.dedup();
    let matter: Option<(i64, String)> = match h.hit.target.matter_id {
        Some(m) => matterbox_domain::matters::get(tx, m)
            .ok()
            .map(|m| (m.summary.id, m.summary.number)),
        None => None,
    };
    let today = chrono::Local::now().date_naive();
    let targets: Vec<Option<i64>> = if clients.is_empty() {
        vec![None]
    } else {
        clients.into_iter().map(Some).collect()
    };
    let mut ids = Vec::new();
    for client in targets {
        let id = db::draft_waiver(tx, decision_id, client, matter.clone(), today, actor)?;
        rec.record(
            "consent_drafted",
            &target(id),
            json!({
                "kind": "conflict_waiver",
                "conflict_check": format!("conflict_check:{}", check.id),
                "hit": hit,
                "clients": usize::from(client.is_some()),
            }),
        )?;
        ids.push(id);
    }
    Ok(ids)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn consent_json(c: &Consent, vault: &str) -> String {
    let body = json!({
        "format": "matterbox-consent/1",
        "vault": vault,
        "exportedAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "consent": c,
    });
    // A `Consent` is plain data: serialising it cannot fail.
    serde_json::to_string_pretty(&body).unwrap_or_default() + "\n"
}

/// The client names of a consent, for people ("(client 3, destroyed)").
pub fn client_names(c: &Consent) -> String {
    if c.clients.is_empty() {
        return "no client named yet".into();
    }
    c.clients
        .iter()
        .map(|cl| match &cl.name {
            Some(n) => n.clone(),
            None => format!("client {} (no longer in the vault)", cl.id),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a consent is for, in words.
pub fn kind_text(c: &Consent) -> String {
    if c.label.is_empty() {
        c.kind.label().to_string()
    } else {
        format!("{} — {}", c.kind.label(), c.label)
    }
}

fn consent_html(c: &Consent, vault: &str) -> String {
    let row = |k: &str, v: &str| format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut facts = String::new();
    facts.push_str(&row("Kind", &kind_text(c)));
    facts.push_str(&row("Clients", &client_names(c)));
    facts.push_str(&row(
        "Matters",
        &if c.matters.is_empty() {
            "—".into()
        } else {
            c.matters
                .iter()
                .map(|m| m.number.clone())
                .collect::<Vec<_>>()
                .join(", ")
        },
    ));
    facts.push_str(&row("State", c.state.as_str()));
    facts.push_str(&row(
        "Given",
        &match (&c.given_on, c.method) {
            (Some(on), Some(m)) => format!("{on} ({})", m.as_str().replace('_', " ")),
            _ => "—".into(),
        },
    ));
    facts.push_str(&row("Confirmed in writing", &opt(&c.confirmed_on)));
    if let Some(d) = &c.confirm_by {
        facts.push_str(&row("Confirm in writing by", d));
    }
    facts.push_str(&row("Review on", &opt(&c.review_on)));
    if let Some(d) = &c.ended_on {
        facts.push_str(&row("Ended on", d));
    }
    if let Some(s) = c.supersedes {
        facts.push_str(&row("Supersedes", &format!("consent {s}")));
    }
    if let Some(s) = c.superseded_by {
        facts.push_str(&row("Superseded by", &format!("consent {s}")));
    }
    if let Some(k) = &c.conflict {
        facts.push_str(&row(
            "Conflict check",
            &format!("check {}, hit {}", k.check_id, k.hit),
        ));
    }
    facts.push_str(&row(
        "Scope SHA-256",
        c.scope_sha256.as_deref().unwrap_or("—"),
    ));
    let mut evidence = String::new();
    for e in &c.evidence {
        evidence.push_str(&format!(
            "<li>document {}: {}</li>",
            e.document_id,
            esc(e.title.as_deref().unwrap_or("(no longer in the vault)"))
        ));
    }
    if evidence.is_empty() {
        evidence = "<li>none</li>".into();
    }
    let mut history = String::new();
    for e in &c.history {
        history.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{} at {}</td></tr>\n",
            esc(&e.on),
            e.action.as_str(),
            e.from.map(|s| s.as_str()).unwrap_or("—"),
            e.to.as_str(),
            e.method.map(|m| m.as_str()).unwrap_or(""),
            esc(&e.reason),
            esc(&e.recorded_by),
            esc(&e.recorded_at)
        ));
    }
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Consent {id}</title>\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}}blockquote{{white-space:pre-wrap;border-left:4px solid #999;margin:0;padding:0.5em 1em}}</style></head><body>\n\
<h1>Consent {id}</h1>\n<p>Vault: {vault}<br>Recorded by {by} at {at}</p>\n<table>\n{facts}</table>\n\
<h2>Scope, in the client's words</h2>\n<blockquote>{scope}</blockquote>\n\
<h2>Risks and alternatives explained</h2>\n<blockquote>{risks}</blockquote>\n\
<h2>Evidence</h2>\n<ul>{evidence}</ul>\n\
<h2>History</h2>\n<table><tr><th>On</th><th>What</th><th>State</th><th>How</th><th>Reason</th><th>Recorded</th></tr>\n{history}</table>\n\
<p>Consents and their history are kept permanently in the vault and recorded in its audit log; the scope is never edited (a changed scope is a new consent that supersedes this one).</p>\n</body></html>\n",
        id = c.id,
        vault = esc(vault),
        by = esc(&c.created_by),
        at = esc(&c.created_at),
        scope = esc(c.scope.as_deref().unwrap_or("(not recorded yet)")),
        risks = esc(c.risks.as_deref().unwrap_or("(not recorded)")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use matterbox_domain::consents::{ConsentKind, ConsentState};

    #[test]
    fn the_printable_record_escapes_everything() {
        let c = Consent {
            id: 3,
            kind: ConsentKind::Other,
            label: "<b>x</b>".into(),
            clients: vec![],
            matters: vec![],
            scope: Some("<script>alert(1)</script> & \"'".into()),
            scope_sha256: Some("ab".into()),
            risks: None,
            state: ConsentState::Requested,
            method: None,
            given_on: None,
            confirmed_on: None,
            confirm_by: None,
            review_on: None,
            ended_on: None,
            supersedes: None,
            superseded_by: None,
            conflict: None,
            evidence: vec![],
            history: vec![],
            created_by: "<me>".into(),
            created_at: "t".into(),
        };
        let html = consent_html(&c, "V & <Co>");
        assert!(!html.contains("<script>") && !html.contains("<b>x"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&#39;"));
        assert!(html.contains("V &amp; &lt;Co&gt;") && html.contains("&lt;me&gt;"));
        let json: serde_json::Value = serde_json::from_str(&consent_json(&c, "V")).unwrap();
        assert_eq!(json["consent"]["scope"], "<script>alert(1)</script> & \"'");
    }
}
