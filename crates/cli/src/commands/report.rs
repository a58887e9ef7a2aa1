//! `matterbox report`: the compliance report of the vault or of one
//! client, as a self-contained HTML page (prints to PDF) or JSON.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use matterbox_core::report::{ReportFormat, ReportScope};
use matterbox_core::{CoreError, Session};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Html,
    Json,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// Only this client's records (its id or its exact name).
    #[arg(long, value_name = "ID|NAME")]
    client: Option<String>,
    /// The time the report is dated (RFC 3339; default now): its clocks and
    /// due dates are read from it and the audit log is cut there; the
    /// registers are read as they are now. The same vault and time give the
    /// same report.
    #[arg(long, value_name = "TIME")]
    at: Option<DateTime<Utc>>,
    #[arg(long, value_enum, default_value = "html")]
    format: FormatArg,
    /// Write here (a new file, readable only by you) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// A client by id, or by its exact name (case-insensitive) when only one
/// client bears it.
fn client_id(s: &Session, given: &str) -> Result<i64, Failure> {
    if let Ok(id) = given.trim().parse::<i64>() {
        return Ok(id);
    }
    let want = given.trim().to_lowercase();
    let found: Vec<i64> = s
        .clients(Some(given.trim()))?
        .into_iter()
        .filter(|c| c.name.trim().to_lowercase() == want)
        .map(|c| c.id)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(CoreError::NotFound(
            "No client has that name; give its id (matterbox client list).".into(),
        )
        .into()),
        _ => Err(CoreError::Invalid(format!(
            "{} clients have that name; give the id of the one you mean (matterbox client list).",
            found.len()
        ))
        .into()),
    }
}

pub(crate) fn report_cmd(ctx: &Ctx, args: ReportArgs) -> Outcome {
    let format = match args.format {
        FormatArg::Html => ReportFormat::Html,
        FormatArg::Json => ReportFormat::Json,
    };
    let at = args.at.unwrap_or_else(Utc::now);
    ctx.with_session(|s| {
        let scope = match &args.client {
            Some(c) => ReportScope::Client(client_id(s, c)?),
            None => ReportScope::Whole,
        };
        match &args.output {
            Some(path) => {
                s.write_compliance_report(at, scope, format, path)?;
                if !ctx.json {
                    eprintln!("Wrote the compliance report to {}.", path.display());
                }
                Ok(())
            }
            None => {
                let text = s.export_compliance_report(at, scope, format)?;
                std::io::stdout().lock().write_all(text.as_bytes())?;
                Ok(())
            }
        }
    })
}
