//! `matterbox incident …`: the incident (data breach) register.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use matterbox_core::breach::{IncidentView, clock_word, scope_text};
use matterbox_core::domain::breaches::{
    Audience, BreachCause, BreachInput, BreachKind, BreachPatch, BreachStatus, Level, NoticeInput,
    NotifyDecision, RULES, RULES_VERSION,
};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::{shown, shown_lines};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Confidentiality,
    Integrity,
    Availability,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CauseArg {
    LostDevice,
    StolenDevice,
    MisdirectedEmail,
    MisdirectedPackage,
    UnauthorisedAccess,
    Malware,
    Other,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StatusArg {
    Open,
    Contained,
    Notified,
    Closed,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LevelArg {
    Low,
    Medium,
    High,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DecisionArg {
    Notify,
    DoNotNotify,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum AudienceArg {
    Authority,
    Client,
    DataSubject,
}

fn parse<T: Copy>(all: &[T], name: &str, as_str: impl Fn(T) -> &'static str) -> Option<T> {
    all.iter().copied().find(|v| as_str(*v) == name)
}

macro_rules! to_domain {
    ($arg:expr, $ty:ident) => {{
        let name = $arg
            .to_possible_value()
            .map(|v| v.get_name().replace('-', "_"))
            .unwrap_or_default();
        parse($ty::ALL, &name, $ty::as_str)
    }};
}

#[derive(Subcommand)]
pub(crate) enum IncidentCmd {
    /// Open an incident; its reference (INC-YYYY-NNN) is the next of its year.
    Open {
        #[arg(long)]
        title: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long, value_enum)]
        cause: CauseArg,
        /// When it happened: the window's start (2026-03-02T14:00:00Z, or
        /// `2026-03-02 14:00` for UTC).
        #[arg(long)]
        from: String,
        /// The window's end.
        #[arg(long)]
        to: String,
        /// When the practice became aware: the clocks start here.
        #[arg(long)]
        aware: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A device involved (an id `incident devices` lists; repeatable).
        #[arg(long = "device", value_name = "ID")]
        devices: Vec<String>,
        /// A deadline rule (an id `incident rules` lists; repeatable);
        /// none means GDPR Art. 33 and 34 and ABA Op. 483.
        #[arg(long = "rule", value_name = "ID")]
        rules: Vec<String>,
    },
    /// List incidents, newest first.
    List,
    /// Show an incident with its running clocks.
    Show { reference: String },
    /// Change an incident: status, risk assessment, decision, reasons for
    /// delay, lessons; add a timeline event.
    Update {
        reference: String,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum)]
        likelihood: Option<LevelArg>,
        #[arg(long, value_enum)]
        severity: Option<LevelArg>,
        #[arg(long)]
        rationale: Option<String>,
        #[arg(long, value_enum)]
        decision: Option<DecisionArg>,
        #[arg(long)]
        decision_reason: Option<String>,
        /// Required once a deadline has passed (GDPR Art. 33(1)).
        #[arg(long)]
        delay_reasons: Option<String>,
        #[arg(long)]
        lessons: Option<String>,
        /// Replace the devices (repeatable).
        #[arg(long = "device", value_name = "ID")]
        devices: Vec<String>,
        /// Replace the deadline rules (repeatable).
        #[arg(long = "rule", value_name = "ID")]
        rules: Vec<String>,
        /// Add a timeline event at this time (with --event).
        #[arg(long, requires = "event")]
        event_at: Option<String>,
        #[arg(long, requires = "event_at")]
        event: Option<String>,
    },
    /// What the audit log shows for the incident's window and devices:
    /// documents accessed and exposed, by matter and client, and whether
    /// each device had the vault locked throughout. Verifies the log first.
    Scope { reference: String },
    /// Record a notice sent, verbatim (its text from a file), with its hash.
    Notify {
        reference: String,
        #[arg(long, value_enum)]
        to: AudienceArg,
        #[arg(long)]
        recipient: String,
        #[arg(long)]
        channel: String,
        /// When it was sent (default: now).
        #[arg(long)]
        sent: Option<String>,
        /// The deadline rule it answers.
        #[arg(long)]
        rule: Option<String>,
        /// The file holding the text exactly as sent.
        #[arg(long, value_name = "FILE")]
        text_file: PathBuf,
        /// Required when the notice is later than its rule's deadline.
        #[arg(long, default_value = "")]
        delay_reasons: String,
    },
    /// Print a notice filled from the incident: to the authority (GDPR
    /// Art. 33(3) contents) or a client letter.
    Template {
        reference: String,
        #[arg(long, value_enum)]
        to: AudienceArg,
    },
    /// Print the report for a regulator: the record, clocks, scope,
    /// decision and every notice verbatim.
    Report { reference: String },
    /// The devices the audit log knows (to name them in an incident).
    Devices,
    /// The deadline rule table.
    Rules,
}

fn audience(a: AudienceArg) -> Audience {
    match a {
        AudienceArg::Authority => Audience::Authority,
        AudienceArg::Client => Audience::Client,
        AudienceArg::DataSubject => Audience::DataSubject,
    }
}

fn view_text(v: &IncidentView) -> String {
    let b = &v.incident;
    let mut o = format!(
        "{}  {}\nStatus:   {}\nType:     {} ({})\nWindow:   {} to {}\nAware:    {} (the clocks start here)\nDevices:  {}\n",
        b.reference,
        shown(&b.title),
        b.status.as_str(),
        b.kind.as_str(),
        b.cause.as_str().replace('_', " "),
        b.happened_from,
        b.happened_to,
        b.aware_at,
        if b.devices.is_empty() {
            "(none)".into()
        } else {
            b.devices.join(", ")
        }
    );
    if !b.description.is_empty() {
        o.push_str(&format!(
            "About:    {}\n",
            shown_lines(&b.description, "          ")
        ));
    }
    if let (Some(l), Some(s)) = (b.likelihood, b.severity) {
        o.push_str(&format!(
            "Risk:     likelihood {}, severity {}: {}\n",
            l.as_str(),
            s.as_str(),
            shown(&b.risk_rationale)
        ));
    }
    if let Some(d) = b.decision {
        o.push_str(&format!(
            "Decision: {}: {}\n",
            d.as_str(),
            shown(&b.decision_reason)
        ));
    }
    if !b.delay_reasons.is_empty() {
        o.push_str(&format!("Reasons for delay: {}\n", shown(&b.delay_reasons)));
    }
    o.push_str(&format!("Clocks (as of {}):\n", v.computed_at));
    for c in &v.clocks {
        o.push_str(&format!(
            "  {:<20} {:<13} due {:<21} {}\n",
            c.rule.id,
            c.rule.audience.as_str(),
            c.due_at.as_deref().unwrap_or("-"),
            clock_word(c)
        ));
    }
    for e in &b.events {
        o.push_str(&format!("Event {}: {}\n", e.at, shown(&e.description)));
    }
    for n in &b.notices {
        o.push_str(&format!(
            "Notice {} to the {} ({}) by {} at {}, sha256 {}\n",
            n.id,
            n.audience.as_str().replace('_', " "),
            shown(&n.recipient),
            shown(&n.channel),
            n.sent_at,
            n.sha256
        ));
    }
    if !b.lessons.is_empty() {
        o.push_str(&format!("Lessons:  {}\n", shown(&b.lessons)));
    }
    o
}

pub(crate) fn incident_cmd(ctx: &Ctx, cmd: IncidentCmd) -> Outcome {
    if let IncidentCmd::Rules = cmd {
        return ctx.print(&RULES, |rules| {
            let mut o = format!("Deadline rules, version {RULES_VERSION}\n");
            for r in rules.iter() {
                o.push_str(&format!(
                    "{:<20} {:<22} {:<13} {}\n    when: {}\n    source: {}\n",
                    r.id,
                    r.jurisdiction,
                    r.audience.as_str(),
                    r.period.text(),
                    r.threshold,
                    r.source
                ));
            }
            o
        });
    }
    // Read before unlocking: a missing file loses nothing.
    let text = match &cmd {
        IncidentCmd::Notify { text_file, .. } => {
            Some(std::fs::read_to_string(text_file).map_err(|e| {
                Failure::Io(format!(
                    "The notice text could not be read from {}: {e}.",
                    text_file.display()
                ))
            })?)
        }
        _ => None,
    };
    ctx.with_session(|s| match cmd {
        IncidentCmd::Open {
            title,
            kind,
            cause,
            from,
            to,
            aware,
            description,
            devices,
            rules,
        } => {
            let input = BreachInput {
                title,
                kind: to_domain!(kind, BreachKind),
                cause: to_domain!(cause, BreachCause),
                happened_from: from,
                happened_to: to,
                aware_at: aware,
                description,
                devices,
                rules,
            };
            let v = s.open_incident(&input)?;
            ctx.print(&v, view_text)
        }
        IncidentCmd::List => {
            let list = s.incidents()?;
            ctx.print(&list, |l| {
                if l.is_empty() {
                    return "No incidents recorded.\n".into();
                }
                l.iter()
                    .map(|b| {
                        format!(
                            "{}  {:<9}  aware {}  {} notice(s)  {}\n",
                            b.reference,
                            b.status.as_str(),
                            b.aware_at,
                            b.notices,
                            shown(&b.title)
                        )
                    })
                    .collect()
            })
        }
        IncidentCmd::Show { reference } => {
            let v = s.incident(&reference)?;
            ctx.print(&v, view_text)
        }
        IncidentCmd::Update {
            reference,
            status,
            title,
            description,
            likelihood,
            severity,
            rationale,
            decision,
            decision_reason,
            delay_reasons,
            lessons,
            devices,
            rules,
            event_at,
            event,
        } => {
            let patch = BreachPatch {
                title,
                description,
                status: status.and_then(|v| to_domain!(v, BreachStatus)),
                likelihood: likelihood.and_then(|v| to_domain!(v, Level)),
                severity: severity.and_then(|v| to_domain!(v, Level)),
                risk_rationale: rationale,
                decision: decision.and_then(|v| to_domain!(v, NotifyDecision)),
                decision_reason,
                delay_reasons,
                lessons,
                devices: (!devices.is_empty()).then_some(devices),
                rules: (!rules.is_empty()).then_some(rules),
            };
            let mut v = s.update_incident(&reference, &patch)?;
            if let (Some(at), Some(event)) = (event_at, event) {
                v = s.add_incident_event(&reference, &at, &event)?;
            }
            ctx.print(&v, view_text)
        }
        IncidentCmd::Scope { reference } => {
            let r = s.incident_scope(&reference)?;
            ctx.print(&r, |r| {
                format!(
                    "Scope of {} (window {} to {}):\n{}",
                    r.reference,
                    r.window_from,
                    r.window_to,
                    shown_lines(&scope_text(r), "")
                )
            })
        }
        IncidentCmd::Notify {
            reference,
            to,
            recipient,
            channel,
            sent,
            rule,
            delay_reasons,
            ..
        } => {
            let input = NoticeInput {
                audience: Some(audience(to)),
                rule,
                recipient,
                channel,
                sent_at: sent.unwrap_or_else(|| chrono::Utc::now().to_rfc3339()),
                text: text.unwrap_or_default(),
                delay_reasons,
            };
            let v = s.record_notice(&reference, &input)?;
            ctx.print(&v, view_text)
        }
        IncidentCmd::Template { reference, to } => {
            let t = s.notice_template(&reference, audience(to))?;
            ctx.print(&t, |t| shown_lines(t, ""))
        }
        IncidentCmd::Report { reference } => {
            let t = s.incident_report(&reference)?;
            ctx.print(&t, |t| shown_lines(t, ""))
        }
        IncidentCmd::Devices => {
            let list = s.incident_devices()?;
            ctx.print(&list, |l| {
                l.iter()
                    .map(|d| {
                        format!(
                            "{}  first seen {}  last seen {}  {} unlock(s){}\n",
                            d.device,
                            d.first_seen,
                            d.last_seen,
                            d.unlocks,
                            if d.this_device { "  (this device)" } else { "" }
                        )
                    })
                    .collect()
            })
        }
        IncidentCmd::Rules => unreachable!("handled before unlocking"),
    })
}
