//! `matterbox retention …`: policies, holds, due items, destruction and
//! the register.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::secrets::{self};
use crate::shown::{shown, shown_path};

#[derive(Subcommand)]
pub(crate) enum RetentionCmd {
    /// Retention policies.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// A practice area's policy: shown, set with `--policy ID`, or cleared with `--none`.
    Area {
        area: String,
        #[arg(long, conflicts_with = "none")]
        policy: Option<i64>,
        #[arg(long)]
        none: bool,
    },
    /// A matter's policy: shown, set with `--policy ID` (overriding its
    /// practice area's), or cleared with `--none`.
    Matter {
        number: String,
        #[arg(long, conflicts_with = "none")]
        policy: Option<i64>,
        #[arg(long)]
        none: bool,
    },
    /// Legal holds: nothing held is ever queued or destroyed.
    #[command(subcommand)]
    Hold(HoldCmd),
    /// What is due for destruction (on --today, default today).
    Due {
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Put a due matter or document off until a date after today.
    Defer {
        #[arg(long, conflicts_with = "document")]
        matter: Option<String>,
        #[arg(long)]
        document: Option<i64>,
        #[arg(long, value_name = "DATE")]
        until: NaiveDate,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// Destroy due matters and documents for good (asks for the passphrase
    /// again). Writes register entries and a certificate.
    Destroy {
        #[arg(long = "matter", value_name = "NUMBER")]
        matters: Vec<String>,
        #[arg(long = "document", value_name = "ID")]
        documents: Vec<i64>,
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// The scheduler's run: finish interrupted destructions, destroy what
    /// policies marked "without approval" cover, list what waits for approval.
    Sweep {
        #[arg(long, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
    /// The destruction register: every destroyed matter and document.
    Register,
    /// Whether new register entries keep document titles or only their hash.
    RegisterTitles {
        #[arg(long, conflicts_with = "titles")]
        hash_only: bool,
        #[arg(long)]
        titles: bool,
    },
    /// Write a certificate of destruction (HTML; print it to PDF).
    Certificate {
        certificate: String,
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    List,
    Add {
        #[arg(long)]
        name: String,
        /// matter-closed, date-added or permanent.
        #[arg(long, default_value = "matter-closed")]
        trigger: String,
        #[arg(long, default_value = "0")]
        years: u32,
        #[arg(long, default_value = "0")]
        months: u32,
        /// DANGER: destroy due items without anyone approving.
        #[arg(long)]
        danger_destroy_without_approval: bool,
    },
    /// Change a policy: only the options given change. A policy made
    /// permanent drops its period unless one is given (then refused).
    Edit {
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        trigger: Option<String>,
        #[arg(long)]
        years: Option<u32>,
        #[arg(long)]
        months: Option<u32>,
        #[arg(long)]
        danger_destroy_without_approval: Option<bool>,
    },
}

#[derive(Subcommand)]
pub(crate) enum HoldCmd {
    List,
    Place {
        #[arg(long, conflicts_with_all = ["matter", "document"])]
        client: Option<i64>,
        #[arg(long, conflicts_with = "document")]
        matter: Option<String>,
        #[arg(long)]
        document: Option<i64>,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
    },
    Release {
        id: i64,
    },
}

pub(crate) fn trigger_of(s: &str) -> Result<matterbox_core::domain::retention::Trigger, Failure> {
    use matterbox_core::domain::retention::Trigger;
    match s.replace('_', "-").as_str() {
        "matter-closed" => Ok(Trigger::MatterClosed),
        "date-added" => Ok(Trigger::DateAdded),
        "permanent" => Ok(Trigger::Permanent),
        other => Err(Failure::from(matterbox_core::CoreError::Invalid(format!(
            "{other} is not a trigger: use matter-closed, date-added or permanent."
        )))),
    }
}

pub(crate) fn retention_cmd(ctx: &Ctx, cmd: RetentionCmd) -> Outcome {
    use matterbox_core::domain::retention::{HoldTarget, PolicyInput};
    use matterbox_core::retention::{Disposal, DisposalKind, PolicyPatch};
    let today = |d: Option<NaiveDate>| d.unwrap_or_else(|| chrono::Local::now().date_naive());
    let policy_line = |p: &matterbox_core::domain::retention::Policy| {
        format!(
            "{:>4}  {}  ({:?}, {} y {} m){}\n",
            p.id,
            shown(&p.name),
            p.trigger,
            p.years,
            p.months,
            if p.danger_destroy_without_approval {
                "  DESTROYS WITHOUT APPROVAL"
            } else {
                ""
            }
        )
    };
    let due_text = |items: &Vec<matterbox_core::domain::retention::DueItem>| -> String {
        if items.is_empty() {
            return "Nothing is due for destruction.\n".into();
        }
        items
            .iter()
            .map(|d| {
                format!(
                    "{} {:>6}  {}  {}  due {}\n        {}\n        client {}; {} {}{}\n",
                    d.kind,
                    d.id,
                    shown(&d.matter_number),
                    shown(&d.title),
                    d.due_on,
                    shown(&d.reason),
                    shown(&d.client_name),
                    d.documents.len(),
                    if d.documents.len() == 1 {
                        "document goes"
                    } else {
                        "documents go"
                    },
                    if d.client_goes_too {
                        "; the client's record goes too (its last matter)"
                    } else {
                        ""
                    }
                )
            })
            .collect()
    };
    ctx.with_session(|s| match cmd {
        RetentionCmd::Policy(PolicyCmd::List) => {
            let list = s.retention_policies()?;
            ctx.print(&list, |l| l.iter().map(policy_line).collect())
        }
        RetentionCmd::Policy(PolicyCmd::Add { name, trigger, years, months, danger_destroy_without_approval }) => {
            let p = s.create_retention_policy(&PolicyInput {
                name,
                trigger: Some(trigger_of(&trigger)?),
                years,
                months,
                danger_destroy_without_approval,
            })?;
            ctx.print(&p, |p| policy_line(p))
        }
        RetentionCmd::Policy(PolicyCmd::Edit { id, name, trigger, years, months, danger_destroy_without_approval }) => {
            let p = s.edit_retention_policy(
                id,
                &PolicyPatch {
                    name,
                    trigger: trigger.as_deref().map(trigger_of).transpose()?,
                    years,
                    months,
                    danger_destroy_without_approval,
                },
            )?;
            ctx.print(&p, |p| policy_line(p))
        }
        RetentionCmd::Area { area, policy: None, none: false } => {
            let policy = s.practice_area_policy(&area)?;
            ctx.print(&serde_json::json!({ "practiceArea": area, "policy": policy }), |_| {
                format!("Practice area {}: {}.\n", shown(&area), policy_text(policy.as_ref()))
            })
        }
        RetentionCmd::Matter { number, policy: None, none: false } => {
            let r = s.matter_retention(s.matter_id(&number)?)?;
            ctx.print(&serde_json::json!({ "matter": number, "policy": r.policy, "ownPolicy": r.own_policy, "dueOn": r.due_on }), |_| {
                let from = match (&r.policy, r.own_policy) {
                    (None, _) => "",
                    (Some(_), true) => " (its own)",
                    (Some(_), false) => " (from its practice area)",
                };
                let due = r.due_on.as_deref().map(|d| format!("; due on {d}")).unwrap_or_default();
                format!("Matter {}: {}{from}{due}.\n", shown(&number), policy_text(r.policy.as_ref()))
            })
        }
        RetentionCmd::Area { area, policy, none: _ } => {
            s.set_practice_area_policy(&area, policy)?;
            ctx.print(&serde_json::json!({ "practiceArea": area, "policy": policy }), |_| {
                format!("Practice area {}: policy {}.\n", shown(&area), policy.map(|p| p.to_string()).unwrap_or("none".into()))
            })
        }
        RetentionCmd::Matter { number, policy, none: _ } => {
            let id = s.matter_id(&number)?;
            s.set_matter_policy(id, policy)?;
            ctx.print(&serde_json::json!({ "matter": number, "policy": policy }), |_| {
                format!("Matter {}: policy {}.\n", shown(&number), policy.map(|p| p.to_string()).unwrap_or("from its practice area".into()))
            })
        }
        RetentionCmd::Hold(HoldCmd::List) => {
            let holds = s.holds()?;
            ctx.print(&holds, |h| {
                if h.is_empty() {
                    return "No legal holds.\n".into();
                }
                h.iter().map(|h| format!("{:>4}  {}  since {}: {}\n", h.id, shown(&h.subject), h.placed_on, shown(&h.reason))).collect()
            })
        }
        RetentionCmd::Hold(HoldCmd::Place { client, matter, document, reason, on }) => {
            let (target, id) = match (client, matter, document) {
                (Some(c), _, _) => (HoldTarget::Client, c),
                (_, Some(m), _) => (HoldTarget::Matter, s.matter_id(&m)?),
                (_, _, Some(d)) => (HoldTarget::Document, d),
                _ => {
                    return Err(Failure::from(matterbox_core::CoreError::Invalid(
                        "Say what to hold: --client ID, --matter NUMBER or --document ID.".into(),
                    )));
                }
            };
            let h = s.place_hold(target, id, &reason, today(on))?;
            ctx.print(&h, |h| format!("Hold {} placed.\n", h.id))
        }
        RetentionCmd::Hold(HoldCmd::Release { id }) => {
            let h = s.release_hold(id)?;
            ctx.print(&h, |h| format!("Hold {} released.\n", h.id))
        }
        RetentionCmd::Due { today: t } => {
            let items = s.retention_due(today(t))?;
            ctx.print(&items, due_text)
        }
        RetentionCmd::Defer { matter, document, until, today: t } => {
            let item = match (matter, document) {
                (Some(m), _) => Disposal { kind: DisposalKind::Matter, id: s.matter_id(&m)? },
                (_, Some(d)) => Disposal { kind: DisposalKind::Document, id: d },
                _ => {
                    return Err(Failure::from(matterbox_core::CoreError::Invalid(
                        "Say what to defer: --matter NUMBER or --document ID.".into(),
                    )));
                }
            };
            s.defer_disposal(&item, until, today(t))?;
            ctx.print(&serde_json::json!({ "deferred": item, "until": until }), |_| format!("Deferred until {until}.\n"))
        }
        RetentionCmd::Destroy { matters, documents, today: t } => {
            let mut items = Vec::new();
            for m in &matters {
                items.push(Disposal { kind: DisposalKind::Matter, id: s.matter_id(m)? });
            }
            items.extend(documents.iter().map(|d| Disposal { kind: DisposalKind::Document, id: *d }));
            if items.is_empty() {
                return Err(Failure::from(matterbox_core::CoreError::Invalid(
                    "Say what to destroy: --matter NUMBER and/or --document ID.".into(),
                )));
            }
            // Approval: the passphrase again.
            let pass = secrets::passphrase(&ctx.passphrase_source_with_prompt("Passphrase again, to approve destruction: "))?;
            let report = s.destroy_approved(&items, &pass, today(t))?;
            ctx.print(&report, |r| {
                format!(
                    "Destroyed {} documents and {} matters ({} clients with their last matter). Certificate {}.\n",
                    r.documents, r.matters, r.clients, r.certificate
                )
            })
        }
        RetentionCmd::Sweep { today: t } => {
            let sweep = s.retention_sweep(today(t))?;
            ctx.print(&sweep, |r| {
                let mut t = String::new();
                let d = &r.destroyed;
                if d.documents + d.matters > 0 {
                    t.push_str(&format!(
                        "Destroyed without approval (policy says so): {} documents, {} matters. Certificate {}.\n",
                        d.documents, d.matters, d.certificate
                    ));
                }
                t.push_str(&due_text(&r.awaiting_approval));
                t
            })
        }
        RetentionCmd::RegisterTitles { hash_only, titles } => {
            if hash_only || titles {
                s.set_register_keeps_titles(titles)?;
            }
            let keeps = s.register_keeps_titles()?;
            ctx.print(&serde_json::json!({ "titles": keeps }), |_| {
                if keeps {
                    "New register entries keep document titles.\n".into()
                } else {
                    "New register entries keep only the SHA-256 of each title.\n".into()
                }
            })
        }
        RetentionCmd::Register => {
            let entries = s.destruction_register()?;
            ctx.print(&entries, |e| {
                if e.is_empty() {
                    return "Nothing has been destroyed.\n".into();
                }
                e.iter()
                    .map(|e| format!(
                        "{:>5}  {}  {}  {}  destroyed {}  policy {}  certificate {}\n",
                        e.id, e.kind, shown(&e.matter_number), shown(e.title.as_deref().unwrap_or(&e.title_sha256)), e.destroyed_at, shown(&e.policy), e.certificate
                    ))
                    .collect()
            })
        }
        RetentionCmd::Certificate { certificate, output } => {
            s.export_destruction_certificate(&certificate, &output)?;
            ctx.print(&serde_json::json!({ "written": output }), |_| format!("Wrote {}.\n", shown_path(&output)))
        }
    })
}

/// "policy 3 (Closed files: 7 years after closing)", or "no policy".
pub(crate) fn policy_text(p: Option<&matterbox_core::domain::retention::Policy>) -> String {
    match p {
        None => "no policy".into(),
        Some(p) => format!("policy {} ({})", p.id, shown(&p.name)),
    }
}
