//! `matterbox`: the command-line interface over the core API, for scripts,
//! tests and power users. Reads take `--json`; secrets come from a file, an
//! environment variable or the terminal, never from the command line.

mod commands;
mod ctx;
mod docs;
mod failure;
mod secrets;
mod shown;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use matterbox_core::vault::paths;
use matterbox_core::{CoreError, Environment};

use commands::admin::{AuditCmd, SettingsCmd, audit_cmd, doctor_cmd, settings_cmd};
use commands::backup::{BackupCmd, backup_cmd};
use commands::client::{ClientCmd, client_cmd};
use commands::conflict::{ConflictCmd, conflict_cmd};
use commands::consent::{ConsentCmd, consent_cmd};
use commands::doc::{DocCmd, doc_cmd};
use commands::inbox::{InboxCmd, inbox_cmd};
use commands::incident::{IncidentCmd, incident_cmd};
use commands::matter::{MatterCmd, matter_cmd};
use commands::ocr::{OcrCmd, ocr_cmd};
use commands::policy::{PolicyCmd, TrainingCmd, policy_cmd, training_cmd};
use commands::report::{ReportArgs, report_cmd};
use commands::request::{RequestCmd, request_cmd};
use commands::retention::{RetentionCmd, retention_cmd};
use commands::search::{SearchArgs, search_cmd};
use commands::share::{ShareCmd, share_cmd};
use commands::vault::{VaultCmd, vault_cmd};
use ctx::Ctx;
use failure::{Outcome, describe, exit};
use shown::shown;

pub(crate) const AFTER_HELP: &str = "\
Secrets are never taken from the command line. The passphrase comes from
--passphrase-file, else MATTERBOX_PASSPHRASE, else a prompt on the terminal
(likewise --new-passphrase-file / MATTERBOX_NEW_PASSPHRASE and
--recovery-key-file / MATTERBOX_RECOVERY_KEY).

Exit codes: 0 done; 1 internal error; 2 usage (bad arguments, no way to read
a secret); 3 wrong passphrase or recovery key; 4 keychain unavailable;
5 no vault there, or one exists already; 6 invalid input, a conflict or a
legal hold;
7 not found; 8 audit log verification failed; 9 vault damaged, unreadable,
or made by a newer Matterbox; 10 a file or folder you named cannot be read
or written; 11 a backup could not be made, verified or restored.";

#[derive(Parser)]
#[command(name = "matterbox", version, about = "Matterbox: encrypted client files for law practices.", after_help = AFTER_HELP)]
struct Cli {
    /// The vault folder [default: the user's data folder/vaults/default].
    #[arg(long, global = true, env = paths::VAULT_ENV, value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Print results as JSON (errors too, on stderr).
    #[arg(long, global = true)]
    json: bool,
    /// Read the passphrase from this file.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, inspect, recover a vault; change its passphrase.
    #[command(subcommand)]
    Vault(VaultCmd),
    /// Clients: people and organizations.
    #[command(subcommand)]
    Client(ClientCmd),
    /// Matters: open, list, show, edit, close, reopen; parties and timeline.
    #[command(subcommand)]
    Matter(MatterCmd),
    /// Conflict checks: check names, list, show, decide; common parties.
    #[command(subcommand)]
    Conflict(ConflictCmd),
    /// Consent records: record, give, confirm in writing, withdraw, review,
    /// what is due, export.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Data-subject requests (GDPR): open, list, show, pause, resume,
    /// extend, find, mark, erase, export, close.
    #[command(subcommand)]
    Request(RequestCmd),
    /// Incidents (data breaches): open, list, show, update, scope from the
    /// audit log, notices sent, templates, the report for a regulator.
    #[command(subcommand)]
    Incident(IncidentCmd),
    /// Written policies of the practice: add, versions, acknowledgements,
    /// what is due.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Training sessions: add, list, what is due.
    #[command(subcommand)]
    Training(TrainingCmd),
    /// The compliance report of the vault or of one client (HTML or JSON).
    Report(ReportArgs),
    /// Documents: import, list, export, rename, tag, move, versions, trash.
    #[command(subcommand)]
    Doc(DocCmd),
    /// Encrypted packages of documents for a client, a colleague or a
    /// court, and the record of what was shared with whom.
    #[command(subcommand)]
    Share(ShareCmd),
    /// Search documents (titles, file names, tags, notes, text) in the
    /// search language; keep, list, run and forget saved searches.
    Search(SearchArgs),
    /// Vault settings.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Verify or export the audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The watched inbox folder: settings, rules, watching, Unfiled, quarantine.
    #[command(subcommand)]
    Inbox(InboxCmd),
    /// Retention: policies, legal holds, what is due, destruction, the register.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Backups: run and verify them, list them, restore with the recovery key.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Text recognition of scans: the queue's status, and running it now.
    #[command(subcommand)]
    Ocr(OcrCmd),
    /// Check documents against their encrypted files; remove leftovers of crashes.
    Doctor {
        /// Remove orphaned encrypted files and temporary files.
        #[arg(long)]
        fix: bool,
        /// Also decrypt every document and compare it with its recorded checksum.
        #[arg(long)]
        deep: bool,
        /// Leave leftovers younger than this alone (they may belong to an
        /// import running right now).
        #[arg(long, default_value = "120", value_name = "SECONDS")]
        min_age_seconds: u64,
        /// With --fix, remove orphaned encrypted files even when there are
        /// many, or the database records no document. Only when you know
        /// the database is right: a database that lost its records makes
        /// every document look orphaned, and removing them destroys them.
        #[arg(long, requires = "fix")]
        i_know_the_orphans_are_not_documents: bool,
    },
    /// Write the man pages and shell completions into a folder (for
    /// packaging).
    #[command(hide = true)]
    GenerateDocs {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    // First: no core file, no memory readable by other programs, and no
    // panic message on screen (ARCHITECTURE.md, `harden`).
    for warning in matterbox_core::harden_process("matterbox") {
        eprintln!("matterbox: warning: {warning}");
    }
    let cli = Cli::parse();
    if let Command::GenerateDocs { out } = &cli.command {
        return match docs::generate(out) {
            Ok(()) => ExitCode::from(exit::OK),
            Err(e) => {
                eprintln!("matterbox: cannot write into {}: {e}", out.display());
                ExitCode::from(exit::FILE)
            }
        };
    }
    // Commands that recognise scans run with one OpenMP thread (a restart,
    // before any thread starts: see `limit_openmp_threads`).
    if matches!(
        cli.command,
        Command::Ocr(OcrCmd::Run { .. }) | Command::Inbox(InboxCmd::Watch)
    ) && let Some(warning) = matterbox_core::ocr::limit_openmp_threads()
    {
        eprintln!("matterbox: warning: {warning}");
    }
    let json = cli.json;
    let result = run(cli);
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            let (code, label, message) = describe(&failure);
            if json {
                let body = serde_json::json!({ "error": { "code": label, "message": message } });
                eprintln!("{body}");
            } else {
                // Messages quote names, patterns and paths.
                eprintln!("matterbox: {}", shown(&message));
            }
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Outcome {
    // Decrypted leftovers of an export a crash interrupted go first.
    matterbox_core::wipe_interrupted_exports();
    let vault_dir = match cli.vault {
        Some(v) => v,
        None => paths::default_vault_dir().map_err(CoreError::from)?,
    };
    let mut env = Environment::from_os("cli")?;
    if let Some(secs) = std::env::var("MATTERBOX_KEYCHAIN_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        env.keychain_timeout = Duration::from_secs(secs.max(1));
    }
    let ctx = Ctx {
        vault_dir,
        json: cli.json,
        passphrase_file: cli.passphrase_file,
        env,
    };
    match cli.command {
        Command::Vault(cmd) => vault_cmd(&ctx, cmd),
        Command::Client(cmd) => client_cmd(&ctx, cmd),
        Command::Matter(cmd) => matter_cmd(&ctx, cmd),
        Command::Conflict(cmd) => conflict_cmd(&ctx, cmd),
        Command::Consent(cmd) => consent_cmd(&ctx, cmd),
        Command::Request(cmd) => request_cmd(&ctx, cmd),
        Command::Incident(cmd) => incident_cmd(&ctx, cmd),
        Command::Policy(cmd) => policy_cmd(&ctx, cmd),
        Command::Training(cmd) => training_cmd(&ctx, cmd),
        Command::Report(args) => report_cmd(&ctx, args),
        Command::Doc(cmd) => doc_cmd(&ctx, cmd),
        Command::Share(cmd) => share_cmd(&ctx, cmd),
        Command::Search(args) => search_cmd(&ctx, args),
        Command::Settings(cmd) => settings_cmd(&ctx, cmd),
        Command::Inbox(cmd) => inbox_cmd(&ctx, cmd),
        Command::Retention(cmd) => retention_cmd(&ctx, cmd),
        Command::Audit(cmd) => audit_cmd(&ctx, cmd),
        Command::Backup(cmd) => backup_cmd(&ctx, cmd),
        Command::Ocr(cmd) => ocr_cmd(&ctx, cmd),
        Command::Doctor {
            fix,
            deep,
            min_age_seconds,
            i_know_the_orphans_are_not_documents,
        } => doctor_cmd(
            &ctx,
            fix,
            deep,
            min_age_seconds,
            i_know_the_orphans_are_not_documents,
        ),
        // Handled in `main`, before any vault is looked at.
        Command::GenerateDocs { .. } => Ok(()),
    }
}
