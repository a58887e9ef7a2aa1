//! `matterbox conflict …`: conflict checks, decisions, common parties.

use std::io::Write;

use clap::{Subcommand, ValueEnum};
use matterbox_core::conflicts::{
    CheckRequest, describe_document, describe_target, document_count_line,
};
use matterbox_core::domain::conflicts::{
    CheckRecord, Decision, NameKind, SearchRole, SearchedName, Severity,
};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::shown;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Person,
    Organization,
    Unknown,
}

impl From<KindArg> for NameKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Person => NameKind::Person,
            KindArg::Organization => NameKind::Organization,
            KindArg::Unknown => NameKind::Unknown,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DecisionArg {
    NoConflict,
    Conflict,
    WaiverNeeded,
}

#[derive(Subcommand)]
pub(crate) enum ConflictCmd {
    /// Check the proposed client's names (and adverse and related parties)
    /// against every client, alias, former name, party, prospect and the
    /// names kept from destroyed matters; the check is saved for the file.
    Check {
        /// The proposed client's name(s).
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// An adverse party (repeatable).
        #[arg(long, value_name = "NAME")]
        adverse: Vec<String>,
        /// A related party: co-party, spouse, subsidiary (repeatable).
        #[arg(long, value_name = "NAME")]
        related: Vec<String>,
        /// Whether the client's names are a person's or an organization's.
        #[arg(long, value_enum, default_value = "unknown")]
        kind: KindArg,
        /// The proposed client is this existing client (its own record is no hit).
        #[arg(long, value_name = "ID")]
        client: Option<i64>,
        /// Keep the proposed client as a prospective client (Rule 1.18), so
        /// later checks find them.
        #[arg(long)]
        save_prospect: bool,
    },
    /// List checks, newest first.
    List,
    /// Show a check with its hits and decisions.
    Show {
        id: i64,
        /// Print the check as an HTML page for the file instead.
        #[arg(long)]
        html: bool,
    },
    /// Record a decision on one hit (its number in `conflict show`). Decisions
    /// are never changed: a new one supersedes the last, and both are kept.
    /// A document hit ("D3" in `conflict show`) is decided with `--document 3`:
    /// no conflict or conflict; it needs no decision unless it shows one.
    Decide {
        check: i64,
        /// The name hit's number.
        #[arg(required_unless_present = "document", conflicts_with = "document")]
        hit: Option<u32>,
        /// The document hit's number (the N of "DN").
        #[arg(long, value_name = "N")]
        document: Option<u32>,
        #[arg(long, value_enum)]
        decision: DecisionArg,
        #[arg(long)]
        reason: String,
    },
    /// Common parties (courts, agencies): their hits are recorded but need no decision.
    #[command(subcommand)]
    Common(CommonCmd),
}

#[derive(Subcommand)]
pub(crate) enum CommonCmd {
    List,
    Add { name: String },
    Remove { id: i64 },
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::High => "HIGH",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Suppressed => "common party",
    }
}

pub(crate) fn record_text(r: &CheckRecord) -> String {
    let mut out = format!(
        "Conflict check {}  ({}; {} by {})\nMatcher: {}\nStatus:  {}\n",
        r.id,
        r.purpose.as_str(),
        r.checked_at,
        shown(&r.checked_by),
        r.matcher_version,
        r.status.as_str()
    );
    if let Some(n) = &r.opened_matter_number {
        out.push_str(&format!("Matter opened under it: {}\n", shown(n)));
    }
    if let Some(n) = &r.for_matter_number {
        out.push_str(&format!("Run for a party added to matter {}\n", shown(n)));
    }
    if let Some(p) = r.prospect_id {
        out.push_str(&format!("Saved as prospect {p}\n"));
    }
    out.push_str("Names searched:\n");
    for n in &r.names {
        out.push_str(&format!(
            "  {} ({}, {})\n",
            shown(&n.name),
            n.role.as_str(),
            n.kind.as_str()
        ));
    }
    if r.hits.is_empty() {
        out.push_str("No hits.\n");
    }
    for h in &r.hits {
        let searched = r
            .names
            .get(h.hit.searched as usize)
            .map(|n| n.name.as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "[{}] {}  {} ~ {}  score {:.2}\n    {}\n    why: {}\n",
            h.number,
            severity_word(h.hit.severity),
            shown(searched),
            shown(&h.hit.matched_name),
            h.hit.score,
            shown(&describe_target(&h.hit.target)),
            shown(&h.hit.explanation)
        ));
        for d in &h.decisions {
            out.push_str(&format!(
                "    decided {}: {} ({}, {})\n",
                d.decision.as_str(),
                shown(&d.reason),
                shown(&d.decided_by),
                d.decided_at
            ));
        }
        if !h.consents.is_empty() {
            let ids: Vec<String> = h.consents.iter().map(|c| c.to_string()).collect();
            out.push_str(&format!(
                "    waiver tracked as consent {} (matterbox consent show ID)\n",
                ids.join(", ")
            ));
        }
        if let Some(c) = h.waiver_ended {
            out.push_str(&format!(
                "    waiver (consent {c}) withdrawn or expired: this hit needs a new decision: matterbox conflict decide {} {} --decision … --reason …\n",
                r.id, h.number
            ));
        } else if h.undecided() {
            out.push_str(&format!(
                "    not decided: matterbox conflict decide {} {} --decision no-conflict|conflict|waiver-needed --reason …\n",
                r.id, h.number
            ));
        }
    }
    if !r.document_counts.is_empty() {
        out.push_str("Documents that mention a name (lower tier; a mention needs no decision):\n");
    }
    for c in &r.document_counts {
        let searched = r
            .names
            .get(c.searched as usize)
            .map(|n| n.name.as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "  {}: {}\n",
            shown(searched),
            document_count_line(c, &r.document_hits)
        ));
        for h in r
            .document_hits
            .iter()
            .filter(|h| h.hit.searched == c.searched)
        {
            out.push_str(&format!(
                "  [D{}] {}\n      why: {}\n",
                h.number,
                shown(&describe_document(&h.hit)),
                shown(&h.hit.why)
            ));
            for d in &h.decisions {
                out.push_str(&format!(
                    "      decided {}: {} ({}, {})\n",
                    d.decision.as_str(),
                    shown(&d.reason),
                    shown(&d.decided_by),
                    d.decided_at
                ));
            }
        }
    }
    if !r.document_hits.is_empty() {
        out.push_str(&format!(
            "  To decide a document hit: matterbox conflict decide {} --document N --decision no-conflict|conflict --reason …\n",
            r.id
        ));
    }
    out
}

pub(crate) fn conflict_cmd(ctx: &Ctx, cmd: ConflictCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        ConflictCmd::Check { names, adverse, related, kind, client, save_prospect } => {
            let mut all: Vec<SearchedName> = names
                .into_iter()
                .map(|name| SearchedName { name, kind: kind.into(), role: SearchRole::Client })
                .collect();
            for (list, role) in [(adverse, SearchRole::Adverse), (related, SearchRole::Related)] {
                all.extend(list.into_iter().map(|name| SearchedName {
                    name,
                    kind: NameKind::Unknown,
                    role,
                }));
            }
            let record = s.conflict_check(&CheckRequest {
                names: all,
                client_id: client,
                save_prospect: Some(save_prospect),
            })?;
            ctx.print(&record, record_text)
        }
        ConflictCmd::List => {
            let list = s.conflict_checks()?;
            ctx.print(&list, |l| {
                if l.is_empty() {
                    return "No conflict checks yet. Run one with `matterbox conflict check NAME --adverse NAME`.\n".into();
                }
                l.iter()
                    .map(|c| {
                        let names: Vec<&str> = c.names.iter().map(|n| n.name.as_str()).collect();
                        format!(
                            "{:>5}  {}  {}  {} hit(s), {} undecided, {} document mention(s)  {}{}\n",
                            c.id,
                            c.checked_at,
                            c.status.as_str(),
                            c.hits,
                            c.undecided,
                            c.document_mentions,
                            shown(&names.join("; ")),
                            c.opened_matter_number
                                .as_deref()
                                .map(|n| format!("  → matter {}", shown(n)))
                                .unwrap_or_default()
                        )
                    })
                    .collect()
            })
        }
        ConflictCmd::Show { id, html } => {
            if html {
                let page = s.conflict_check_html(id)?;
                std::io::stdout().lock().write_all(page.as_bytes())?;
                return Ok(());
            }
            let record = s.conflict_check_record(id)?;
            ctx.print(&record, record_text)
        }
        ConflictCmd::Decide { check, hit, document, decision, reason } => {
            let decision = match decision {
                DecisionArg::NoConflict => Decision::NoConflict,
                DecisionArg::Conflict => Decision::Conflict,
                DecisionArg::WaiverNeeded => Decision::WaiverNeeded,
            };
            let record = match (hit, document) {
                (_, Some(d)) => s.conflict_decide_document(check, d, decision, &reason)?,
                (Some(h), None) => s.conflict_decide(check, h, decision, &reason)?,
                // clap requires one of them.
                (None, None) => unreachable!("clap requires a hit or --document"),
            };
            ctx.print(&record, record_text)
        }
        ConflictCmd::Common(cmd) => {
            let list = match cmd {
                CommonCmd::List => s.conflict_common_parties()?,
                CommonCmd::Add { name } => s.add_conflict_common_party(&name)?,
                CommonCmd::Remove { id } => s.remove_conflict_common_party(id)?,
            };
            ctx.print(&list, |l| {
                if l.is_empty() {
                    return "No common parties.\n".into();
                }
                l.iter().map(|p| format!("{:>5}  {}\n", p.id, shown(&p.name))).collect()
            })
        }
    })
}
