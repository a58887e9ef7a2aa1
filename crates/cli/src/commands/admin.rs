//! `matterbox doctor`, `matterbox settings …` and `matterbox audit …`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use matterbox_core::audit::Verification;
use matterbox_core::{AuditFormat, CoreError};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::shown;

#[derive(Subcommand)]
pub(crate) enum SettingsCmd {
    /// Show or set the matter number scheme, e.g. "{year}-{seq:04}".
    NumberScheme { template: Option<String> },
    /// Show or set whether opening a matter needs a cleared conflict check (default on).
    ConflictCheckRequired {
        #[arg(value_enum)]
        value: Option<OnOff>,
    },
    /// Show or set whether the names of destroyed matters (client, aliases,
    /// parties) are kept for conflict checks (default on). Off: a former
    /// client is no longer found once the file is destroyed.
    KeepConflictNames {
        #[arg(value_enum)]
        value: Option<OnOff>,
    },
    /// Show or set within how many days oral consent is to be confirmed in
    /// writing (default 7).
    ConsentConfirmDays { days: Option<u32> },
    /// Show or set after how many months a consent is reviewed (default 12).
    ConsentReviewMonths { months: Option<u32> },
    /// Show or set the languages scans are recognised in (Tesseract codes,
    /// e.g. `eng deu`); only installed languages are taken, and the
    /// installed ones are listed.
    OcrLanguages { codes: Vec<String> },
    /// Show or set how many scans the desktop app, `ocr run` and `inbox
    /// watch` recognise at once: a count from 1 to 8, or `auto` (one fewer
    /// than the computer's cores; the default).
    OcrWorkers { workers: Option<String> },
    /// The public key recipients check shared packages' manifests with
    /// (minisign); publish it. Same as `share signing-key`.
    SigningKey,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
pub(crate) enum AuditCmd {
    /// Check the whole chain; exit code 8 names a broken log.
    Verify,
    /// Write the log as JSON lines or CSV.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub(crate) fn doctor_cmd(
    ctx: &Ctx,
    fix: bool,
    deep: bool,
    min_age_seconds: u64,
    allow_many: bool,
) -> Outcome {
    ctx.with_session(|s| {
        // Progress on stderr, one line a document, only for a person at a
        // terminal: standard output stays the report alone.
        let last = std::sync::atomic::AtomicU64::new(0);
        let on_progress = |p: &matterbox_core::Progress| {
            if last.swap(p.item, std::sync::atomic::Ordering::SeqCst) != p.item {
                let bytes = if p.total > 0 { format!(" ({} bytes)", p.total) } else { String::new() };
                eprintln!("Checking document {} of {}: {}{bytes}", p.item, p.items, shown(&p.name));
            }
        };
        let watch = matterbox_core::Watch { on_progress: &on_progress, stop: &|| false };
        let watch = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { &watch } else { &matterbox_core::Watch::NONE };
        let report = s.doctor_watched(fix, deep, Duration::from_secs(min_age_seconds), allow_many, watch)?;
        ctx.print(&report, |r| {
            let mut out = format!("Checked {} document versions{}.\n", r.checked, if deep { ", decrypting each" } else { "" });
            if r.orphans_removed + r.temporary_removed > 0 {
                out.push_str(&format!(
                    "Removed {} orphaned encrypted files and {} temporary files left by interrupted imports.\n",
                    r.orphans_removed, r.temporary_removed
                ));
            }
            for p in &r.database_problems {
                out.push_str(&format!("DATABASE DAMAGED: {p}\n"));
            }
            if let Some(why) = &r.fix_refused {
                out.push_str(&format!(
                    "Removed no orphaned encrypted file: {why}. Put back vault.db from a backup if it lost records; if you are sure these files belong to no document, run again with --i-know-the-orphans-are-not-documents.\n"
                ));
            }
            if !r.orphans.is_empty() || r.temporary > 0 {
                out.push_str(&format!(
                    "{} orphaned and {} temporary files remain (recent, or run with --fix).\n",
                    r.orphans.len(),
                    r.temporary
                ));
            }
            for d in &r.missing {
                out.push_str(&format!("MISSING: document {} \u{201c}{}\u{201d} has no encrypted file.\n", d.id, shown(&d.title)));
            }
            for d in &r.damaged {
                out.push_str(&format!("DAMAGED: document {} \u{201c}{}\u{201d} does not verify.\n", d.id, shown(&d.title)));
            }
            match &r.audit {
                Some(Verification::Intact { entries }) => out.push_str(&format!(
                    "The audit log is intact: {entries} entries, every link checked.\n"
                )),
                Some(Verification::Broken { first_bad_seq, reason }) => out.push_str(&format!(
                    "AUDIT LOG BROKEN at entry {first_bad_seq}: {}\n",
                    shown(reason)
                )),
                None => {}
            }
            if r.healthy() {
                out.push_str("All documents are in order.\n");
            }
            out
        })?;
        if !report.database_problems.is_empty() {
            Err(Failure::Core(CoreError::Store(
                matterbox_core::StoreError::Damaged(format!(
                    "{} problem(s) in its pages (listed above)",
                    report.database_problems.len()
                )),
            )))
        } else if !report.missing.is_empty() || !report.damaged.is_empty() {
            Err(Failure::DocumentsDamaged(report.missing.len() + report.damaged.len()))
        } else if let Some(broken @ Verification::Broken { .. }) = report.audit {
            Err(Failure::AuditBroken(broken))
        } else {
            Ok(())
        }
    })
}

pub(crate) fn settings_cmd(ctx: &Ctx, cmd: SettingsCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        SettingsCmd::NumberScheme { template } => {
            let value = match template {
                Some(t) => s.set_number_scheme(&t)?,
                None => s.number_scheme()?,
            };
            ctx.print(&serde_json::json!({ "numberScheme": value }), |_| {
                format!("{}\n", shown(&value))
            })
        }
        SettingsCmd::SigningKey => {
            let key = s.signing_public_key()?;
            ctx.print(&serde_json::json!({ "publicKey": key }), |_| {
                crate::commands::share::signing_key_text(&key)
            })
        }
        SettingsCmd::OcrLanguages { codes } => {
            if !codes.is_empty() {
                s.update_settings(&matterbox_core::SettingsPatch {
                    ocr_languages: Some(codes),
                    ..Default::default()
                })?;
            }
            let chosen = s.settings()?.ocr_languages;
            let installed = matterbox_core::ocr_languages_installed().unwrap_or_default();
            ctx.print(
                &serde_json::json!({ "ocrLanguages": chosen, "installed": installed }),
                |_| {
                    format!(
                        "{}\n(installed: {})\n",
                        chosen.join(" "),
                        installed.join(" ")
                    )
                },
            )
        }
        SettingsCmd::OcrWorkers { workers } => {
            if let Some(w) = workers {
                let value = if w.eq_ignore_ascii_case("auto") {
                    0
                } else {
                    w.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                        matterbox_core::CoreError::Invalid(format!(
                            "{w:?} is not a number of workers: give 1 to {} or auto.",
                            matterbox_core::ocr::MAX_OCR_WORKERS
                        ))
                    })?
                };
                s.update_settings(&matterbox_core::SettingsPatch {
                    ocr_workers: Some(value),
                    ..Default::default()
                })?;
            }
            let settings = s.settings()?;
            let in_use = s.ocr_worker_count()?;
            ctx.print(
                &serde_json::json!({
                    "ocrWorkers": settings.ocr_workers,
                    "automatic": settings.ocr_workers_automatic,
                    "inUse": in_use,
                }),
                |_| match settings.ocr_workers {
                    0 => format!("auto ({in_use} on this computer)\n"),
                    n => format!("{n}\n"),
                },
            )
        }
        SettingsCmd::ConflictCheckRequired { value } => {
            if let Some(v) = value {
                s.update_settings(&matterbox_core::SettingsPatch {
                    conflict_check_required: Some(matches!(v, OnOff::On)),
                    ..Default::default()
                })?;
            }
            let on = s.settings()?.conflict_check_required;
            ctx.print(&serde_json::json!({ "conflictCheckRequired": on }), |_| {
                format!("{}\n", if on { "on" } else { "off" })
            })
        }
        SettingsCmd::KeepConflictNames { value } => {
            if let Some(v) = value {
                s.update_settings(&matterbox_core::SettingsPatch {
                    keep_conflict_names: Some(matches!(v, OnOff::On)),
                    ..Default::default()
                })?;
            }
            let on = s.settings()?.keep_conflict_names;
            ctx.print(&serde_json::json!({ "keepConflictNames": on }), |_| {
                format!("{}\n", if on { "on" } else { "off" })
            })
        }
        SettingsCmd::ConsentConfirmDays { days } => {
            if days.is_some() {
                s.update_settings(&matterbox_core::SettingsPatch {
                    consent_confirm_days: days,
                    ..Default::default()
                })?;
            }
            let v = s.settings()?.consent_confirm_days;
            ctx.print(&serde_json::json!({ "consentConfirmDays": v }), |_| {
                format!("{v}\n")
            })
        }
        SettingsCmd::ConsentReviewMonths { months } => {
            if months.is_some() {
                s.update_settings(&matterbox_core::SettingsPatch {
                    consent_review_months: months,
                    ..Default::default()
                })?;
            }
            let v = s.settings()?.consent_review_months;
            ctx.print(&serde_json::json!({ "consentReviewMonths": v }), |_| {
                format!("{v}\n")
            })
        }
    })
}

pub(crate) fn audit_cmd(ctx: &Ctx, cmd: AuditCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        AuditCmd::Verify => {
            let v = s.verify_audit()?;
            match v {
                Verification::Intact { entries } => ctx.print(&v, |_| {
                    format!("The audit log is intact: {entries} entries, every link checked.\n")
                }),
                broken => {
                    if ctx.json {
                        ctx.print(&broken, |_| String::new())?;
                    }
                    Err(Failure::AuditBroken(broken))
                }
            }
        }
        AuditCmd::Export { format, output } => {
            let format = match format {
                ExportFormat::Jsonl => AuditFormat::Jsonl,
                ExportFormat::Csv => AuditFormat::Csv,
            };
            match output {
                Some(path) => s.export_audit_to(format, &path)?,
                None => std::io::stdout()
                    .lock()
                    .write_all(&s.export_audit(format)?)?,
            }
            Ok(())
        }
    })
}
