//! `matterbox policy …` and `matterbox training …`: the practice's written
//! policies (versions, acknowledgements), training sessions, and what is
//! due (policy reviews, people's annual training).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use matterbox_core::domain::policies::{
    Due, DueKind, Policy, PolicyInput, Training, TrainingInput, VersionInput,
};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::{shown, shown_lines};

/// A policy version's text: given, or read from a UTF-8 file (kept byte
/// for byte).
#[derive(Args)]
pub(crate) struct VersionArgs {
    /// The day this version takes effect (default today).
    #[arg(long, value_name = "DATE")]
    effective: Option<NaiveDate>,
    /// The policy's text.
    #[arg(
        long,
        conflicts_with = "text_file",
        required_unless_present = "text_file"
    )]
    text: Option<String>,
    /// Read the text from this UTF-8 file.
    #[arg(long, value_name = "FILE")]
    text_file: Option<PathBuf>,
    /// A vault document holding the signed or formatted text (its id).
    #[arg(long, value_name = "DOC")]
    document: Option<i64>,
}

impl VersionArgs {
    fn read(self) -> Result<VersionInput, Failure> {
        let text = match self.text_file {
            Some(f) => std::fs::read_to_string(&f)
                .map_err(|e| Failure::Io(format!("cannot read {}: {e}", f.display())))?,
            None => self.text.unwrap_or_default(),
        };
        Ok(VersionInput {
            effective_on: self.effective.unwrap_or_else(today),
            text,
            document_id: self.document,
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Record a written policy with its first version.
    Add {
        title: String,
        /// What it is about (information security, retention, breach
        /// response, acceptable use, …).
        #[arg(long)]
        topic: String,
        /// Review it this many months after a version takes effect.
        #[arg(long, value_name = "MONTHS")]
        review_months: Option<u32>,
        #[command(flatten)]
        version: VersionArgs,
    },
    /// Policies with their current version and who acknowledged it.
    List,
    /// A policy with every version's text and acknowledgements.
    Show { id: i64 },
    /// Add a new version of a policy (a changed text is a new version).
    Version {
        id: i64,
        #[command(flatten)]
        version: VersionArgs,
    },
    /// Record that a person acknowledged a policy's version.
    Ack {
        id: i64,
        /// Who acknowledged it.
        #[arg(long)]
        person: String,
        /// Which version (default the current one).
        #[arg(long)]
        version: Option<i64>,
        /// When (default today).
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
    },
    /// What is due: policy reviews and people's annual training.
    Due(DueArgs),
}

#[derive(Args)]
pub(crate) struct DueArgs {
    /// Include what falls due within this many days.
    #[arg(long, default_value = "30", value_name = "DAYS")]
    within: u32,
    #[arg(long, value_name = "DATE")]
    today: Option<NaiveDate>,
}

#[derive(Subcommand)]
pub(crate) enum TrainingCmd {
    /// Record a training session.
    Add {
        topic: String,
        /// The day it was held.
        #[arg(long, value_name = "DATE")]
        on: NaiveDate,
        /// Who attended (repeatable).
        #[arg(long = "attendee", value_name = "NAME", required = true)]
        attendees: Vec<String>,
        /// A vault document with the materials (its id; repeatable).
        #[arg(long = "material", value_name = "DOC")]
        materials: Vec<i64>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// Training sessions, oldest first.
    List,
    /// What is due: policy reviews and people's annual training.
    Due(DueArgs),
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn policy_text(p: &Policy) -> String {
    let s = p.summary();
    let mut out = format!(
        "Policy {}  {}\nTopic:   {}\nCurrent: version {} in effect since {}; review on {} (every {} months)\n",
        p.id,
        shown(&p.title),
        shown(&p.topic),
        s.current_version,
        s.effective_on,
        s.review_on,
        p.review_months
    );
    for v in &p.versions {
        out.push_str(&format!(
            "Version {} (effective {}, recorded by {}){}:\n  {}\n",
            v.version,
            v.effective_on,
            shown(&v.recorded_by),
            v.document_id
                .map(|d| format!(", document {d}"))
                .unwrap_or_default(),
            shown_lines(&v.text, "  ")
        ));
        if v.acknowledgements.is_empty() {
            out.push_str("  Acknowledged by: no one yet\n");
        }
        for a in &v.acknowledgements {
            out.push_str(&format!(
                "  Acknowledged by {} on {}\n",
                shown(&a.person),
                a.acknowledged_on
            ));
        }
    }
    out
}

fn list_text(list: &[Policy]) -> String {
    if list.is_empty() {
        return "No policies yet. Record one with `matterbox policy add TITLE --topic … --text …`.\n"
            .into();
    }
    list.iter()
        .map(|p| {
            let s = p.summary();
            format!(
                "{:>4}  v{}  since {}  review {}  {} ({})  acknowledged by {}\n",
                p.id,
                s.current_version,
                s.effective_on,
                s.review_on,
                shown(&p.title),
                shown(&p.topic),
                s.acknowledged_by.len()
            )
        })
        .collect()
}

fn training_text(list: &[Training]) -> String {
    if list.is_empty() {
        return "No training recorded yet. Record one with `matterbox training add TOPIC --on DATE --attendee NAME`.\n".into();
    }
    list.iter()
        .map(|t| {
            format!(
                "{:>4}  {}  {}  attendees: {}{}\n",
                t.id,
                t.held_on,
                shown(&t.topic),
                shown(&t.attendees.join(", ")),
                if t.materials.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<String> = t.materials.iter().map(|d| d.to_string()).collect();
                    format!("  materials: documents {}", ids.join(", "))
                }
            )
        })
        .collect()
}

fn due_text(list: &[Due]) -> String {
    if list.is_empty() {
        return "Nothing is due.\n".into();
    }
    list.iter()
        .map(|d| {
            format!(
                "{}{}  {}  {}\n",
                d.due_on,
                if d.overdue { " OVERDUE" } else { "" },
                match d.kind {
                    DueKind::PolicyReview => "policy review  ",
                    DueKind::Training => "annual training",
                },
                shown(&d.subject)
            )
        })
        .collect()
}

fn due(ctx: &Ctx, s: &matterbox_core::Session, args: DueArgs) -> Outcome {
    let list = s.policies_due(args.today.unwrap_or_else(today), args.within)?;
    ctx.print(&list, |l| due_text(l))
}

pub(crate) fn policy_cmd(ctx: &Ctx, cmd: PolicyCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        PolicyCmd::Add {
            title,
            topic,
            review_months,
            version,
        } => {
            let p = s.add_policy(&PolicyInput {
                title,
                topic,
                review_months,
                version: version.read()?,
            })?;
            ctx.print(&p, policy_text)
        }
        PolicyCmd::List => {
            let list = s.policies()?;
            ctx.print(&list, |l| list_text(l))
        }
        PolicyCmd::Show { id } => {
            let p = s.policy(id)?;
            ctx.print(&p, policy_text)
        }
        PolicyCmd::Version { id, version } => {
            let p = s.add_policy_version(id, &version.read()?)?;
            ctx.print(&p, policy_text)
        }
        PolicyCmd::Ack {
            id,
            person,
            version,
            on,
        } => {
            let p = s.acknowledge_policy(id, version, &person, on.unwrap_or_else(today))?;
            ctx.print(&p, policy_text)
        }
        PolicyCmd::Due(args) => due(ctx, s, args),
    })
}

pub(crate) fn training_cmd(ctx: &Ctx, cmd: TrainingCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        TrainingCmd::Add {
            topic,
            on,
            attendees,
            materials,
            notes,
        } => {
            let t = s.add_training(&TrainingInput {
                topic,
                held_on: on,
                notes,
                attendees,
                materials,
            })?;
            ctx.print(&t, |t| training_text(std::slice::from_ref(t)))
        }
        TrainingCmd::List => {
            let list = s.trainings()?;
            ctx.print(&list, |l| training_text(l))
        }
        TrainingCmd::Due(args) => due(ctx, s, args),
    })
}
