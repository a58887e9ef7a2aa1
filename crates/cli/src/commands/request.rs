//! `matterbox request …`: data-subject requests (GDPR Art. 12–22) with
//! their one-month clock, finding everything about the person, marking,
//! erasure through the disposition, and the access / portability export.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use matterbox_core::domain::requests::{
    ErasureOutcome, Extension, Mark, PauseReason, Relation, RequestInput, RequestKind,
    RequestStatus, WithholdReason,
};
use matterbox_core::requests::{RequestRow, RequestView};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::secrets;
use crate::shown::{shown, shown_path};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RelationArg {
    Client,
    OpposingParty,
    Employee,
    Other,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PauseArg {
    IdentityCheck,
    Clarification,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReasonArg {
    /// Legal professional privilege.
    Privilege,
    /// Art. 15(4): the rights and freedoms of others.
    #[value(name = "art15-4")]
    Art15_4,
    /// Needed for legal claims.
    LegalClaims,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CloseArg {
    Answered,
    Refused,
    Withdrawn,
}

#[derive(Subcommand)]
pub(crate) enum RequestCmd {
    /// Record a request received from a data subject; its deadline is one
    /// month from receipt (weekends roll to Monday; public holidays are not
    /// counted in — watch them yourself).
    Open {
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The requester's name.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        relation: RelationArg,
        /// Another spelling of the requester's name (repeatable).
        #[arg(long = "also", value_name = "NAME")]
        also: Vec<String>,
        /// The day the request was received (default today).
        #[arg(long, value_name = "DATE")]
        received: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        notes: String,
        #[arg(long, value_name = "DATE", hide = true)]
        today: Option<NaiveDate>,
    },
    /// List requests with their deadlines.
    List {
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Show a request: status history, deadline, found items and marks.
    Show {
        id: i64,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Stop the clock while waiting for proof of identity or a clarification.
    Pause {
        id: i64,
        #[arg(long, value_enum)]
        reason: PauseArg,
        /// The day you asked (default today).
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Start the clock again: the answer came on --on (default today).
    Resume {
        id: i64,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Extend the deadline by one or two months (Art. 12(3)): only when
    /// announced to the person within the first month, with reasons.
    Extend {
        id: i64,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
        months: u32,
        /// The day the person was told (default today).
        #[arg(long, value_name = "DATE")]
        announced: Option<NaiveDate>,
        #[arg(long)]
        reasons: String,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Find everything about the person: clients, parties, notes (the
    /// conflict matcher) and documents (full-text search, OCR included).
    Find {
        id: i64,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Mark a found item (its number in `request show`) disclose, or
    /// withhold with a reason. Marks are kept; the newest is in force.
    Mark {
        id: i64,
        item: u32,
        #[arg(long, conflicts_with = "withhold")]
        disclose: bool,
        #[arg(long, value_enum, value_name = "REASON")]
        withhold: Option<ReasonArg>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Check erasure against retention and holds (Art. 17(3)(b), (e)).
    /// With --approve, destroy what is erasable through the disposition
    /// (asks for the passphrase again; register entries and a certificate).
    Erase {
        id: i64,
        #[arg(long)]
        approve: bool,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Write the disclosed documents (decrypted) and person.json +
    /// person.csv into a new or empty folder outside the vault.
    Export {
        id: i64,
        #[arg(long, value_name = "FOLDER")]
        to: PathBuf,
    },
    /// Finish a request: answered, refused or withdrawn.
    Close {
        id: i64,
        #[arg(long, value_enum)]
        outcome: CloseArg,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
}

fn clock(r: &matterbox_core::domain::requests::Deadline) -> String {
    match (r.due_on, r.days_left) {
        (Some(d), Some(left)) if left < 0 => format!("due {d}, OVERDUE by {} day(s)", -left),
        (Some(d), Some(left)) => format!("due {d}, {left} day(s) left"),
        _ if r.paused => "clock stopped (waiting for the person's answer)".into(),
        _ => "finished".into(),
    }
}

fn row_text(rows: &[RequestRow]) -> String {
    if rows.is_empty() {
        return "No data-subject requests. Record one with `matterbox request open`.\n".into();
    }
    rows.iter()
        .map(|r| {
            let s = &r.summary;
            format!(
                "{:>5}  {}  {}  {}  received {}  {}  {} item(s), {} unmarked  {}\n",
                s.id,
                s.kind.as_str(),
                shown(&s.requester),
                s.relation.as_str(),
                s.received_on,
                s.status.as_str(),
                s.items,
                s.unmarked,
                if s.status.closed() {
                    String::new()
                } else {
                    clock(&r.deadline)
                }
            )
        })
        .collect()
}

pub(crate) fn view_text(v: &RequestView) -> String {
    let r = &v.request;
    let mut out = format!(
        "Request {}: {} by {} ({})\nReceived: {}\nStatus:   {}\nDeadline: {}\n",
        r.id,
        r.kind.as_str(),
        shown(&r.requester),
        r.relation.as_str(),
        r.received_on,
        r.status.as_str(),
        if r.status.closed() {
            "finished".into()
        } else {
            clock(&v.deadline)
        }
    );
    out.push_str("          (weekends roll to Monday; public holidays are not counted in)\n");
    if !r.also_known.is_empty() {
        let also: Vec<String> = r.also_known.iter().map(|a| shown(a).to_string()).collect();
        out.push_str(&format!("Also:     {}\n", also.join("; ")));
    }
    for p in &r.pauses {
        out.push_str(&format!(
            "Paused:   {} from {} {}\n",
            p.reason.as_str(),
            p.from,
            p.until
                .map(|u| format!("to {u}"))
                .unwrap_or_else(|| "(waiting)".into())
        ));
    }
    if let Some(e) = &r.extension {
        out.push_str(&format!(
            "Extended: by {} month(s), announced {}: {}\n",
            e.months,
            e.announced_on,
            shown(&e.reasons)
        ));
    }
    out.push_str("History:\n");
    for h in &r.history {
        out.push_str(&format!(
            "  {}  {}  {}\n",
            h.changed_at,
            h.status.as_str(),
            shown(&h.changed_by)
        ));
    }
    if r.items.is_empty() {
        out.push_str(&format!(
            "Nothing found yet: matterbox request find {}\n",
            r.id
        ));
    } else {
        out.push_str("Found:\n");
    }
    for i in &r.items {
        let mark = match i.marks.last() {
            Some(m) => match m.reason {
                Some(reason) => format!("{} ({})", m.mark.as_str(), reason.as_str()),
                None => m.mark.as_str().to_string(),
            },
            None => "NOT MARKED".into(),
        };
        out.push_str(&format!(
            "[{}] {}  {}{}  — {}\n    {}\n",
            i.number,
            i.source.as_str(),
            shown(&i.label),
            i.matter_number
                .as_deref()
                .map(|n| format!("  (matter {})", shown(n)))
                .unwrap_or_default(),
            mark,
            shown(&i.detail)
        ));
    }
    if !r.erasure.is_empty() {
        out.push_str(&format!(
            "Erasure (assessed {}):\n",
            r.erasure[0].assessed_at
        ));
        for e in &r.erasure {
            let outcome = match e.outcome {
                ErasureOutcome::Erasable => "ERASABLE",
                ErasureOutcome::Refused => "refused",
                ErasureOutcome::NeedsPolicy => "needs a policy",
                ErasureOutcome::Destroyed => "destroyed",
            };
            out.push_str(&format!(
                "  {} {}: {}{}\n    {}\n",
                e.kind,
                e.target_id,
                outcome,
                e.possible_from
                    .map(|d| format!(", possible from {d}"))
                    .unwrap_or_default(),
                shown(&e.label)
            ));
            out.push_str(&format!("    {}\n", shown(&e.basis)));
        }
    }
    out
}

pub(crate) fn request_cmd(ctx: &Ctx, cmd: RequestCmd) -> Outcome {
    let today = |d: Option<NaiveDate>| d.unwrap_or_else(|| chrono::Local::now().date_naive());
    ctx.with_session(|s| match cmd {
        RequestCmd::Open { kind, name, relation, also, received, notes, today: t } => {
            let kind = match kind {
                KindArg::Access => RequestKind::Access,
                KindArg::Rectification => RequestKind::Rectification,
                KindArg::Erasure => RequestKind::Erasure,
                KindArg::Restriction => RequestKind::Restriction,
                KindArg::Portability => RequestKind::Portability,
                KindArg::Objection => RequestKind::Objection,
            };
            let relation = match relation {
                RelationArg::Client => Relation::Client,
                RelationArg::OpposingParty => Relation::OpposingParty,
                RelationArg::Employee => Relation::Employee,
                RelationArg::Other => Relation::Other,
            };
            let input = RequestInput {
                kind,
                requester: name,
                relation,
                also_known: also,
                received_on: received.unwrap_or(today(t)),
                notes,
            };
            let v = s.open_request(&input, today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::List { today: t } => {
            let rows = s.requests(today(t))?;
            ctx.print(&rows, |r| row_text(r))
        }
        RequestCmd::Show { id, today: t } => {
            let v = s.request(id, today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Pause { id, reason, from, today: t } => {
            let reason = match reason {
                PauseArg::IdentityCheck => PauseReason::IdentityCheck,
                PauseArg::Clarification => PauseReason::Clarification,
            };
            let v = s.pause_request(id, reason, from.unwrap_or(today(t)), today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Resume { id, on, today: t } => {
            let v = s.resume_request(id, on.unwrap_or(today(t)), today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Extend { id, months, announced, reasons, today: t } => {
            let e = Extension { months, announced_on: announced.unwrap_or(today(t)), reasons };
            let v = s.extend_request(id, &e, today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Find { id, today: t } => {
            let v = s.find_for_request(id, today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Mark { id, item, disclose, withhold, note, today: t } => {
            let (mark, reason) = match (disclose, withhold) {
                (true, _) => (Mark::Disclose, None),
                (false, Some(r)) => (
                    Mark::Withhold,
                    Some(match r {
                        ReasonArg::Privilege => WithholdReason::Privilege,
                        ReasonArg::Art15_4 => WithholdReason::Art15_4,
                        ReasonArg::LegalClaims => WithholdReason::LegalClaims,
                    }),
                ),
                (false, None) => {
                    return Err(crate::failure::Failure::from(matterbox_core::CoreError::Invalid(
                        "Say --disclose, or --withhold privilege|art15-4|legal-claims.".into(),
                    )));
                }
            };
            let v = s.mark_request_item(id, item, mark, reason, &note, today(t))?;
            ctx.print(&v, view_text)
        }
        RequestCmd::Erase { id, approve, today: t } => {
            if !approve {
                let v = s.assess_erasure(id, today(t))?;
                return ctx.print(&v, |v| {
                    let mut t = view_text(v);
                    t.push_str(&format!(
                        "Nothing was destroyed. To erase what is erasable through the disposition: matterbox request erase {} --approve\n",
                        v.request.id
                    ));
                    t
                });
            }
            let pass = secrets::passphrase(
                &ctx.passphrase_source_with_prompt("Passphrase again, to approve destruction: "),
            )?;
            let report = s.erase_for_request(id, &pass, today(t))?;
            ctx.print(&report, |r| {
                let d = &r.destroyed;
                format!(
                    "Destroyed {} documents and {} matters ({} clients with their last matter). Certificate {}.\n{}",
                    d.documents,
                    d.matters,
                    d.clients,
                    d.certificate,
                    view_text(&r.request)
                )
            })
        }
        RequestCmd::Export { id, to } => {
            let e = s.export_request(id, &to)?;
            ctx.print(&e, |e| {
                format!(
                    "Wrote {} document(s), person.json and person.csv to {}.\n",
                    e.documents.len(),
                    shown_path(&e.folder)
                )
            })
        }
        RequestCmd::Close { id, outcome, note, today: t } => {
            let status = match outcome {
                CloseArg::Answered => RequestStatus::Answered,
                CloseArg::Refused => RequestStatus::Refused,
                CloseArg::Withdrawn => RequestStatus::Withdrawn,
            };
            let v = s.set_request_status(id, status, &note, today(t))?;
            ctx.print(&v, view_text)
        }
    })
}
