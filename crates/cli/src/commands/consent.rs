//! `matterbox consent …`: consent records — record, give, confirm in
//! writing, withdraw, expire, review, what is due, export.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use matterbox_core::Session;
use matterbox_core::consents::{ConfirmInput, ConsentFormat, client_names, kind_text};
use matterbox_core::domain::consents::{
    Consent, ConsentDue, ConsentInput, ConsentKind, ConsentMethod, DueWhat, GiveInput,
};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::{shown, shown_lines};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    /// Disclosure of client information (Rule 1.6(a)).
    ConfidentialityDisclosure,
    /// Conflict waiver (Rules 1.7, 1.9).
    ConflictWaiver,
    AdvanceWaiver,
    /// Use of a cloud or third-party service.
    ThirdPartyService,
    GdprProcessing,
    EmailCommunication,
    /// Anything else (say what with --label).
    Other,
}

impl From<KindArg> for ConsentKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::ConfidentialityDisclosure => ConsentKind::ConfidentialityDisclosure,
            KindArg::ConflictWaiver => ConsentKind::ConflictWaiver,
            KindArg::AdvanceWaiver => ConsentKind::AdvanceWaiver,
            KindArg::ThirdPartyService => ConsentKind::ThirdPartyService,
            KindArg::GdprProcessing => ConsentKind::GdprProcessing,
            KindArg::EmailCommunication => ConsentKind::EmailCommunication,
            KindArg::Other => ConsentKind::Other,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum MethodArg {
    SignedLetter,
    Email,
    Oral,
}

impl From<MethodArg> for ConsentMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::SignedLetter => ConsentMethod::SignedLetter,
            MethodArg::Email => ConsentMethod::Email,
            MethodArg::Oral => ConsentMethod::Oral,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Html,
    Json,
}

/// The client's words and the risks explained: as text, or from a file
/// (kept byte for byte).
#[derive(Args)]
pub(crate) struct Texts {
    /// The scope of the consent in the client's words (kept verbatim).
    #[arg(long, conflicts_with = "scope_file")]
    scope: Option<String>,
    /// Read the scope from this UTF-8 text file.
    #[arg(long, value_name = "FILE")]
    scope_file: Option<PathBuf>,
    /// The risks and alternatives explained (required for the Rules kinds).
    #[arg(long, conflicts_with = "risks_file")]
    risks: Option<String>,
    #[arg(long, value_name = "FILE")]
    risks_file: Option<PathBuf>,
}

impl Texts {
    fn read(self) -> Result<(Option<String>, Option<String>), Failure> {
        let read = |text: Option<String>, file: Option<PathBuf>| -> Result<_, Failure> {
            match file {
                Some(f) => std::fs::read_to_string(&f)
                    .map(Some)
                    .map_err(|e| Failure::Io(format!("cannot read {}: {e}", f.display()))),
                None => Ok(text),
            }
        };
        Ok((
            read(self.scope, self.scope_file)?,
            read(self.risks, self.risks_file)?,
        ))
    }
}

#[derive(Subcommand)]
pub(crate) enum ConsentCmd {
    /// Record a consent (requested; with --given, given at once).
    Record {
        #[arg(long, value_enum)]
        kind: KindArg,
        /// What an "other" consent is for.
        #[arg(long, default_value = "")]
        label: String,
        /// A client it covers (its id; repeatable).
        #[arg(long = "client", value_name = "ID")]
        clients: Vec<i64>,
        /// A matter it covers (its number; repeatable).
        #[arg(long = "matter", value_name = "NUMBER")]
        matters: Vec<String>,
        #[command(flatten)]
        texts: Texts,
        /// The consent this one replaces (a changed scope).
        #[arg(long, value_name = "ID")]
        supersedes: Option<i64>,
        /// A vault document kept as evidence (its id; repeatable).
        #[arg(long = "evidence", value_name = "DOC")]
        evidence: Vec<i64>,
        /// Given already, this way.
        #[arg(long, value_enum)]
        given: Option<MethodArg>,
        /// The day it was given (default today).
        #[arg(long, value_name = "DATE", requires = "given")]
        on: Option<NaiveDate>,
    },
    /// Consents, newest first (a client's with --client).
    List {
        #[arg(long, value_name = "ID")]
        client: Option<i64>,
    },
    /// Show a consent with its history.
    Show { id: i64 },
    /// Record that the client gave a requested consent. A signed letter or
    /// an e-mail is confirmed in writing at once; oral consent gets a
    /// reminder to confirm it in writing.
    Give {
        id: i64,
        #[arg(long, value_enum)]
        method: MethodArg,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[command(flatten)]
        texts: Texts,
        #[arg(long = "evidence", value_name = "DOC")]
        evidence: Vec<i64>,
    },
    /// Record the written confirmation of an oral consent.
    Confirm {
        id: i64,
        #[arg(long, value_enum, default_value = "signed-letter")]
        method: MethodArg,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long = "evidence", value_name = "DOC")]
        evidence: Vec<i64>,
    },
    /// Withdraw a consent. A conflict waiver's checks are no longer cleared.
    Withdraw {
        id: i64,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Mark a consent expired.
    Expire {
        id: i64,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record that a consent was reviewed; its next review date is set.
    Review {
        id: i64,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// What is due: oral consent to confirm in writing, reviews.
    Due {
        #[arg(long, value_name = "ID")]
        client: Option<i64>,
        /// Include what falls due within this many days.
        #[arg(long, default_value = "30", value_name = "DAYS")]
        within: u32,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Export a consent as a printable HTML page or as JSON.
    Export {
        id: i64,
        #[arg(long, value_enum, default_value = "html")]
        format: FormatArg,
        /// Write here (a new file) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub(crate) fn consent_text(c: &Consent) -> String {
    let mut out = format!(
        "Consent {}  {}\nState:   {}\nClients: {}\n",
        c.id,
        shown(&kind_text(c)),
        c.state.as_str(),
        shown(&client_names(c)),
    );
    if !c.matters.is_empty() {
        let numbers: Vec<&str> = c.matters.iter().map(|m| m.number.as_str()).collect();
        out.push_str(&format!("Matters: {}\n", shown(&numbers.join(", "))));
    }
    if let (Some(on), Some(m)) = (&c.given_on, c.method) {
        out.push_str(&format!(
            "Given:   {on} ({})\n",
            m.as_str().replace('_', " ")
        ));
    }
    if let Some(on) = &c.confirmed_on {
        out.push_str(&format!("Confirmed in writing: {on}\n"));
    }
    if let Some(d) = &c.confirm_by {
        out.push_str(&format!(
            "Confirm in writing by {d}: matterbox consent confirm {}\n",
            c.id
        ));
    }
    if let Some(d) = &c.review_on {
        out.push_str(&format!("Review on: {d}\n"));
    }
    if let Some(d) = &c.ended_on {
        out.push_str(&format!("Ended on:  {d}\n"));
    }
    if let Some(k) = &c.conflict {
        out.push_str(&format!(
            "Conflict check {} hit {} (waiver needed)\n",
            k.check_id, k.hit
        ));
    }
    if let Some(s) = c.supersedes {
        out.push_str(&format!("Supersedes consent {s}\n"));
    }
    if let Some(s) = c.superseded_by {
        out.push_str(&format!("Superseded by consent {s}\n"));
    }
    match (&c.scope, &c.scope_sha256) {
        (Some(scope), Some(hash)) => out.push_str(&format!(
            "Scope (SHA-256 {hash}):\n  {}\n",
            shown_lines(scope, "  ")
        )),
        _ => out.push_str("Scope: not recorded yet (give it with `matterbox consent give`).\n"),
    }
    if let Some(r) = &c.risks {
        out.push_str(&format!(
            "Risks and alternatives explained:\n  {}\n",
            shown_lines(r, "  ")
        ));
    }
    for e in &c.evidence {
        out.push_str(&format!(
            "Evidence: document {} {}\n",
            e.document_id,
            shown(e.title.as_deref().unwrap_or("(no longer in the vault)"))
        ));
    }
    out.push_str("History:\n");
    for e in &c.history {
        out.push_str(&format!(
            "  {}  {}  {} → {}{}{}  ({})\n",
            e.on,
            e.action.as_str(),
            e.from.map(|s| s.as_str()).unwrap_or("—"),
            e.to.as_str(),
            e.method
                .map(|m| format!(", {}", m.as_str().replace('_', " ")))
                .unwrap_or_default(),
            if e.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", shown(&e.reason))
            },
            shown(&e.recorded_by)
        ));
    }
    out
}

fn list_text(list: &[Consent]) -> String {
    if list.is_empty() {
        return "No consents yet. Record one with `matterbox consent record --kind … --client ID --scope …`.\n".into();
    }
    list.iter()
        .map(|c| {
            format!(
                "{:>5}  {:<11} {}  {}{}\n",
                c.id,
                c.state.as_str(),
                c.kind.as_str(),
                shown(&client_names(c)),
                c.confirm_by
                    .as_deref()
                    .map(|d| format!("  confirm in writing by {d}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

fn due_text(list: &[ConsentDue]) -> String {
    if list.is_empty() {
        return "Nothing is due.\n".into();
    }
    list.iter()
        .map(|d| {
            let names: Vec<String> = d
                .clients
                .iter()
                .map(|c| c.name.clone().unwrap_or_else(|| format!("client {}", c.id)))
                .collect();
            format!(
                "{}{}  consent {:>4}  {}  {}  {}\n",
                d.due_on,
                if d.overdue { " OVERDUE" } else { "" },
                d.consent_id,
                match d.what {
                    DueWhat::ConfirmInWriting => "confirm in writing",
                    DueWhat::Review => "review",
                },
                d.kind.as_str(),
                shown(&names.join("; "))
            )
        })
        .collect()
}

fn withdrawal_text(c: &Consent, reopened: &[i64]) -> String {
    let mut out = consent_text(c);
    for check in reopened {
        out.push_str(&format!(
            "Conflict check {check} is no longer cleared: the waiver it relied on is {}. Record a new decision (matterbox conflict show {check}).\n",
            c.state.as_str()
        ));
    }
    out
}

fn matter_ids(s: &Session, numbers: &[String]) -> Result<Vec<i64>, Failure> {
    numbers
        .iter()
        .map(|n| s.matter_id(n).map_err(Failure::from))
        .collect()
}

pub(crate) fn consent_cmd(ctx: &Ctx, cmd: ConsentCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        ConsentCmd::Record {
            kind,
            label,
            clients,
            matters,
            texts,
            supersedes,
            evidence,
            given,
            on,
        } => {
            let (scope, risks) = texts.read()?;
            let input = ConsentInput {
                kind: Some(kind.into()),
                label,
                client_ids: clients,
                matter_ids: matter_ids(s, &matters)?,
                scope,
                risks,
                supersedes,
                evidence,
            };
            let give = given.map(|m| GiveInput {
                method: m.into(),
                on,
                scope: None,
                risks: None,
                evidence: Vec::new(),
            });
            let c = s.consent_record(&input, give.as_ref(), today())?;
            ctx.print(&c, consent_text)
        }
        ConsentCmd::List { client } => {
            let list = s.consents(client)?;
            ctx.print(&list, |l| list_text(l))
        }
        ConsentCmd::Show { id } => {
            let c = s.consent(id)?;
            ctx.print(&c, consent_text)
        }
        ConsentCmd::Give {
            id,
            method,
            on,
            texts,
            evidence,
        } => {
            let (scope, risks) = texts.read()?;
            let c = s.consent_give(
                id,
                &GiveInput {
                    method: method.into(),
                    on,
                    scope,
                    risks,
                    evidence,
                },
                today(),
            )?;
            ctx.print(&c, consent_text)
        }
        ConsentCmd::Confirm {
            id,
            method,
            on,
            evidence,
        } => {
            let c = s.consent_confirm(
                id,
                &ConfirmInput {
                    method: method.into(),
                    on,
                    evidence,
                },
                today(),
            )?;
            ctx.print(&c, consent_text)
        }
        ConsentCmd::Withdraw { id, on, reason } => {
            let w = s.consent_withdraw(id, on, &reason, today())?;
            ctx.print(&w, |w| withdrawal_text(&w.consent, &w.reopened_checks))
        }
        ConsentCmd::Expire { id, on, reason } => {
            let w = s.consent_expire(id, on, &reason, today())?;
            ctx.print(&w, |w| withdrawal_text(&w.consent, &w.reopened_checks))
        }
        ConsentCmd::Review { id, on, reason } => {
            let c = s.consent_review(id, on, &reason, today())?;
            ctx.print(&c, consent_text)
        }
        ConsentCmd::Due {
            client,
            within,
            today: t,
        } => {
            let due = s.consents_due(client, t.unwrap_or_else(today), within)?;
            ctx.print(&due, |d| due_text(d))
        }
        ConsentCmd::Export { id, format, output } => {
            let format = match format {
                FormatArg::Html => ConsentFormat::Html,
                FormatArg::Json => ConsentFormat::Json,
            };
            match output {
                Some(path) => {
                    s.export_consent(id, format, &path)?;
                    if !ctx.json {
                        eprintln!("Wrote consent {id} to {}.", path.display());
                    }
                    Ok(())
                }
                None => {
                    let text = s.consent_export(id, format)?;
                    std::io::stdout().lock().write_all(text.as_bytes())?;
                    Ok(())
                }
            }
        }
    })
}
