//! `matterbox matter …`: matters, their parties and timelines.

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use matterbox_core::domain::{
    MatterFilter, MatterInput, MatterPatch, MatterStatus, PartyInput, PartySide,
};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::{shown, shown_lines};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StatusArg {
    Open,
    Closed,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SideArg {
    Related,
    Adverse,
}

#[derive(Subcommand)]
pub(crate) enum MatterCmd {
    /// Open a matter for a client; the number comes from the scheme unless given.
    Open {
        #[arg(long)]
        client: i64,
        #[arg(long)]
        title: String,
        #[arg(long)]
        number: Option<String>,
        #[arg(long, default_value = "")]
        practice_area: String,
        /// Opening date, YYYY-MM-DD [default: today].
        #[arg(long)]
        opened: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        lawyer: String,
        #[arg(long, default_value = "")]
        notes: String,
        /// Open under this cleared conflict check (see `matterbox conflict`).
        /// Without it, while checks are required, the client's name is
        /// checked now and the matter opens only if nothing is found.
        #[arg(long, value_name = "ID")]
        conflict_check: Option<i64>,
    },
    /// List matters, newest first.
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long)]
        client: Option<i64>,
        #[arg(long)]
        practice_area: Option<String>,
        /// Number, title or client name contains TEXT.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a matter with its parties and timeline.
    Show { number: String },
    /// Change a matter's details.
    Edit {
        number: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        client: Option<i64>,
        #[arg(long)]
        practice_area: Option<String>,
        #[arg(long)]
        opened: Option<NaiveDate>,
        #[arg(long)]
        lawyer: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Close a matter.
    Close {
        number: String,
        /// Closing date, YYYY-MM-DD [default: today].
        #[arg(long)]
        on: Option<NaiveDate>,
    },
    /// Reopen a closed matter.
    Reopen { number: String },
    /// Add a related or adverse party.
    AddParty {
        number: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        side: SideArg,
        #[arg(long, default_value = "")]
        role: String,
    },
    /// Remove a party by its id (see `matter show`).
    RemoveParty { number: String, party_id: i64 },
    /// Add an entry to the matter's timeline.
    Note {
        number: String,
        text: String,
        /// Date of the event, YYYY-MM-DD [default: today].
        #[arg(long)]
        on: Option<NaiveDate>,
    },
}

pub(crate) fn matter_text(m: &matterbox_core::domain::Matter) -> String {
    let s = &m.summary;
    let mut out = format!(
        "{}  {}\nClient:   {} (id {})\nArea:     {}\nStatus:   {}\nOpened:   {}\n",
        shown(&s.number),
        shown(&s.title),
        shown(&s.client_name),
        s.client_id,
        shown(&s.practice_area),
        s.status.as_str(),
        s.opened_on
    );
    if let Some(c) = s.closed_on {
        out.push_str(&format!("Closed:   {c}\n"));
    }
    out.push_str(&format!(
        "Lawyer:   {}\nNotes:    {}\n",
        shown(&s.responsible_lawyer),
        shown_lines(&m.notes, "          ")
    ));
    if !m.parties.is_empty() {
        out.push_str("Parties:\n");
        for p in &m.parties {
            let side = match p.side {
                PartySide::Adverse => "adverse",
                PartySide::Related => "related",
            };
            out.push_str(&format!(
                "  [{}] {} — {} ({side})\n",
                p.id,
                shown(&p.name),
                shown(&p.role)
            ));
        }
    }
    if let Some(c) = m.conflict_check {
        out.push_str(&format!("Conflict check: {c}\n"));
    }
    for c in &m.unresolved_conflict_checks {
        out.push_str(&format!(
            "Conflict check {c} has hits to decide: matterbox conflict show {c}\n"
        ));
    }
    out.push_str("Timeline:\n");
    for e in &m.timeline {
        out.push_str(&format!("  {}  {}\n", e.occurred_on, shown(&e.description)));
    }
    out
}

pub(crate) fn matter_cmd(ctx: &Ctx, cmd: MatterCmd) -> Outcome {
    ctx.with_session(|s| {
        let m = match cmd {
            MatterCmd::Open { client, title, number, practice_area, opened, lawyer, notes, conflict_check } => {
                s.open_matter(&MatterInput {
                    number,
                    title,
                    client_id: client,
                    practice_area,
                    opened_on: opened,
                    responsible_lawyer: lawyer,
                    notes,
                    conflict_check,
                })?
            }
            MatterCmd::List { status, client, practice_area, search, limit } => {
                let list = s.matters(&MatterFilter {
                    status: status.map(|st| match st {
                        StatusArg::Open => MatterStatus::Open,
                        StatusArg::Closed => MatterStatus::Closed,
                    }),
                    client_id: client,
                    practice_area,
                    search,
                    limit,
                    offset: None,
                })?;
                return ctx.print(&list, |l| {
                    if l.is_empty() {
                        "No matters match. Open one with `matterbox matter open --client ID --title TITLE`.\n".into()
                    } else {
                        l.iter()
                            .map(|m| format!("{}  {}  {}  [{}]\n", shown(&m.number), shown(&m.title), shown(&m.client_name), m.status.as_str()))
                            .collect()
                    }
                });
            }
            MatterCmd::Show { number } => s.matter_by_number(&number)?,
            MatterCmd::Edit { number, title, client, practice_area, opened, lawyer, notes } => {
                let id = s.matter_id(&number)?;
                s.update_matter(id, &MatterPatch {
                    title,
                    client_id: client,
                    practice_area,
                    opened_on: opened,
                    responsible_lawyer: lawyer,
                    notes,
                })?
            }
            MatterCmd::Close { number, on } => {
                let id = s.matter_id(&number)?;
                s.close_matter(id, on)?
            }
            MatterCmd::Reopen { number } => {
                let id = s.matter_id(&number)?;
                s.reopen_matter(id)?
            }
            MatterCmd::AddParty { number, name, side, role } => {
                let id = s.matter_id(&number)?;
                let side = match side {
                    SideArg::Related => PartySide::Related,
                    SideArg::Adverse => PartySide::Adverse,
                };
                s.add_party(id, &PartyInput { name, role, side })?
            }
            MatterCmd::RemoveParty { number, party_id } => {
                let id = s.matter_id(&number)?;
                s.remove_party(id, party_id)?
            }
            MatterCmd::Note { number, text, on } => {
                let id = s.matter_id(&number)?;
                s.add_event(id, on, &text)?
            }
        };
        ctx.print(&m, matter_text)
    })
}
