//! `matterbox`: the command-line interface over the core API, for scripts,
//! tests and power users. Reads take `--json`; secrets come from a file, an
//! environment variable or the terminal, never from the command line.

mod secrets;
mod shown;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use matterbox_core::audit::Verification;
use matterbox_core::domain::text::size_text;
use matterbox_core::domain::{
    ClientInput, ClientKind, ClientPatch, MatterFilter, MatterInput, MatterPatch, MatterStatus,
    PartyInput, PartySide,
};
use matterbox_core::vault::{DeviceSecretStorage, paths};
use matterbox_core::{CoreError, Environment, ErrorCode, KdfChoice, Session};
use serde::Serialize;

use secrets::{InputError, Source};
use shown::{shown, shown_lines, shown_path};

/// Exit codes, stable for scripts.
mod exit {
    pub const OK: u8 = 0;
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const WRONG_SECRET: u8 = 3;
    pub const KEYCHAIN: u8 = 4;
    pub const VAULT: u8 = 5;
    pub const INVALID: u8 = 6;
    pub const NOT_FOUND: u8 = 7;
    pub const AUDIT_BROKEN: u8 = 8;
    pub const DAMAGED: u8 = 9;
}

const AFTER_HELP: &str = "\
Secrets are never taken from the command line. The passphrase comes from
--passphrase-file, else MATTERBOX_PASSPHRASE, else a prompt on the terminal
(likewise --new-passphrase-file / MATTERBOX_NEW_PASSPHRASE and
--recovery-key-file / MATTERBOX_RECOVERY_KEY).

Exit codes: 0 done; 1 internal error; 2 usage (bad arguments, no way to read
a secret); 3 wrong passphrase or recovery key; 4 keychain unavailable;
5 no vault there, or one exists already; 6 invalid input or conflict;
7 not found; 8 audit log verification failed; 9 vault damaged, unreadable,
or made by a newer Matterbox.";

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
    /// Documents: import, list, export, rename, tag, move, versions, trash.
    #[command(subcommand)]
    Doc(DocCmd),
    /// Search document titles, file names and text.
    Search {
        /// Words to find (all of them; the last may be the start of a word).
        text: String,
        /// Only in this matter (its number).
        #[arg(long)]
        matter: Option<String>,
        /// Only in this client's matters.
        #[arg(long)]
        client: Option<i64>,
        /// Only documents with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only documents added on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Only documents added on or before this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        #[arg(long, default_value = "50")]
        limit: u32,
    },
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
}

#[derive(Args)]
struct StorageArgs {
    /// Keep the device secret in a file readable only by you instead of the
    /// OS keychain. LESS SAFE: for an always-on machine with no keychain
    /// service. Recorded in the vault header and the audit log.
    #[arg(long)]
    danger_device_secret_in_plain_file: bool,
}

impl StorageArgs {
    fn storage(&self) -> DeviceSecretStorage {
        if self.danger_device_secret_in_plain_file {
            DeviceSecretStorage::DangerPlainFile
        } else {
            DeviceSecretStorage::OsKeychain
        }
    }
}

#[derive(Subcommand)]
enum VaultCmd {
    /// Create a vault; shows its recovery key once.
    Create {
        #[arg(long, default_value = "My practice")]
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Public facts about the vault (no unlock needed).
    Info,
    /// The vaults in the default folder.
    List,
    /// Change the passphrase (re-wraps the key; re-encrypts nothing).
    ChangePassphrase {
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Open with the recovery key and enroll this computer with a new passphrase.
    Recover {
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Person,
    Organization,
}

impl From<KindArg> for ClientKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Person => ClientKind::Person,
            KindArg::Organization => ClientKind::Organization,
        }
    }
}

#[derive(Subcommand)]
enum ClientCmd {
    /// Add a client.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "person")]
        kind: KindArg,
        /// Another name the client is known by (repeatable).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List clients, optionally those whose name or alias contains TEXT.
    List {
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Show one client with its matters.
    Show { id: i64 },
    /// Change a client's details.
    Edit {
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Replace the aliases with these (repeatable; give --alias "" … to clear is not allowed, use --clear-aliases).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        #[arg(long, conflicts_with = "aliases")]
        clear_aliases: bool,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StatusArg {
    Open,
    Closed,
}

#[derive(Clone, Copy, ValueEnum)]
enum SideArg {
    Related,
    Adverse,
}

#[derive(Subcommand)]
enum MatterCmd {
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

#[derive(Subcommand)]
enum DocCmd {
    /// Import a file into a matter, encrypted. The original is left as it is.
    Add {
        /// The matter number.
        number: String,
        file: PathBuf,
        /// Title shown in the matter [default: the file name].
        #[arg(long)]
        title: Option<String>,
        /// Keep a second copy when the matter already holds the same content.
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// List a matter's documents.
    List {
        number: String,
        /// List the matter's trash instead.
        #[arg(long)]
        trash: bool,
    },
    /// Show a document's details and version history.
    Show { id: i64 },
    /// Write a decrypted copy of a document (recorded in the audit log).
    Export {
        id: i64,
        /// Where to write it; must not exist.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// An older version instead of the current one.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Change a document's title, notes or tags.
    Edit {
        id: i64,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Replace the tags (comma-separated; empty clears them).
        #[arg(long)]
        tags: Option<String>,
    },
    /// Move a document to another matter.
    Move {
        id: i64,
        /// The number of the matter it goes to.
        to: String,
    },
    /// Add a file as the document's new current version.
    AddVersion { id: i64, file: PathBuf },
    /// Make an old version current again (as a new version).
    RestoreVersion { id: i64, version: i64 },
    /// Move a document to the trash (its bytes stay until retention destroys them).
    Trash { id: i64 },
    /// Take a document out of the trash.
    Untrash { id: i64 },
}

#[derive(Subcommand)]
enum InboxCmd {
    /// Show the inbox settings, or change them.
    Settings {
        /// The folder to watch (created, private, if missing).
        #[arg(long, value_name = "DIR")]
        folder: Option<PathBuf>,
        /// Poll instead of native events (for network shares).
        #[arg(long, conflicts_with = "native")]
        poll: bool,
        /// Use native events again.
        #[arg(long)]
        native: bool,
        /// How long a file must stay unchanged before it is taken.
        #[arg(long, value_name = "MS")]
        quiet_ms: Option<u32>,
        /// Files larger than this go to the quarantine.
        #[arg(long, value_name = "MIB")]
        max_mib: Option<u64>,
        /// The new folder already holds files: take them. Each is encrypted
        /// into the vault and then REMOVED from the folder.
        #[arg(long, requires = "folder")]
        take_existing_files: bool,
    },
    /// Routing rules on file names, evaluated after subfolder and number.
    #[command(subcommand)]
    Rule(RuleCmd),
    /// Create the inbox subfolder for a matter (files dropped there go to it).
    Mkdir { number: String },
    /// Where things stand: folder, files waiting, Unfiled, quarantine.
    Status,
    /// Take what is in the inbox now (waits for files to settle, at most --wait seconds).
    Scan {
        #[arg(long, default_value = "30")]
        wait: u64,
    },
    /// Watch the inbox and ingest until stopped. Stopping it at any moment
    /// (even kill -9) loses nothing: the next start resumes.
    Watch,
    /// The files no rule could place.
    Unfiled,
    /// File an Unfiled item into a matter.
    File { item: i64, number: String },
    /// Files that could not be ingested, with the reason.
    Quarantine,
    /// Put a quarantined file back into the inbox.
    Retry { name: String },
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// Retention policies.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// The policy for a practice area (`--none` clears it).
    Area {
        area: String,
        #[arg(long, conflicts_with = "none")]
        policy: Option<i64>,
        #[arg(long)]
        none: bool,
    },
    /// A matter's own policy, overriding its practice area's (`--none` clears it).
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
enum PolicyCmd {
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
enum HoldCmd {
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

#[derive(Subcommand)]
enum RuleCmd {
    List,
    /// Add a rule: a glob (or --regex) on the file name, to a matter and/or tags.
    Add {
        #[arg(long)]
        pattern: String,
        #[arg(long)]
        regex: bool,
        #[arg(long)]
        matter: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Remove the rule at this position (from `rule list`).
    Remove {
        index: usize,
    },
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Show or set the matter number scheme, e.g. "{year}-{seq:04}".
    NumberScheme { template: Option<String> },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum AuditCmd {
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

/// Everything that ends a command early.
enum Failure {
    Core(CoreError),
    Input(InputError),
    AuditBroken(Verification),
    DocumentsDamaged(usize),
    Io(String),
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Failure::Core(e)
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

type Outcome = Result<(), Failure>;

struct Ctx {
    vault_dir: PathBuf,
    json: bool,
    passphrase_file: Option<PathBuf>,
    env: Environment,
}

impl Ctx {
    fn passphrase_source(&self, confirm: bool) -> Source<'_> {
        Source {
            file: self.passphrase_file.as_deref(),
            env: "MATTERBOX_PASSPHRASE",
            flag: "--passphrase-file",
            prompt: if confirm {
                "New passphrase: "
            } else {
                "Passphrase: "
            },
            confirm,
        }
    }

    /// The passphrase source, asking with `prompt` on a terminal.
    fn passphrase_source_with_prompt(&self, prompt: &'static str) -> Source<'_> {
        Source {
            prompt,
            ..self.passphrase_source(false)
        }
    }

    fn unlock(&self) -> Result<Session, Failure> {
        // Check the vault exists before asking for a secret.
        matterbox_core::vault_info(&self.vault_dir)?;
        let pass = secrets::passphrase(&self.passphrase_source(false))?;
        Ok(matterbox_core::unlock(&self.env, &self.vault_dir, &pass)?)
    }

    /// Unlocks, runs `f`, locks. The CLI holds the keys for one command only.
    fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut session = self.unlock()?;
        let out = f(&mut session);
        close(session);
        out
    }

    /// Prints a command's result. It is called once the work is done, so a
    /// failure to print says the command completed: a script must not
    /// retry a change that was made.
    fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Outcome {
        let mut out = std::io::stdout().lock();
        let written = if self.json {
            serde_json::to_writer_pretty(&mut out, value)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            write!(out, "{}", human(value))
        }
        .and_then(|()| out.flush());
        written.map_err(|e| {
            Failure::Io(format!(
                "The command completed, but its result could not be written out: {e}."
            ))
        })
    }
}

/// Ends a session: prints the warnings about changes that were saved but
/// not completely tidied up after, then locks. The keys are dropped either
/// way; a lock that cannot be recorded is a warning, never a failure of the
/// command, whose work is done.
fn close(mut session: Session) {
    for warning in session.take_warnings() {
        eprintln!("matterbox: warning: {warning}");
    }
    if let Err(e) = session.lock() {
        eprintln!(
            "matterbox: warning: the vault is locked, but the audit log could not record it: {}",
            e.user_message()
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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

fn describe(failure: &Failure) -> (u8, &'static str, String) {
    match failure {
        Failure::Input(e) => (exit::USAGE, "usage", e.0.clone()),
        Failure::Io(e) => (exit::INTERNAL, "internal", e.clone()),
        Failure::DocumentsDamaged(n) => (
            exit::DAMAGED,
            "decryption_failed",
            format!(
                "{n} document(s) are missing or damaged (listed above). Restore them from a backup."
            ),
        ),
        Failure::AuditBroken(v) => {
            let msg = match v {
                Verification::Broken {
                    first_bad_seq,
                    reason,
                } => {
                    format!("The audit log is broken at entry {first_bad_seq}: {reason}.")
                }
                Verification::Intact { .. } => "The audit log is intact.".into(),
            };
            (exit::AUDIT_BROKEN, "audit_broken", msg)
        }
        Failure::Core(e) => {
            let code = match e.code() {
                ErrorCode::Internal => exit::INTERNAL,
                ErrorCode::WrongSecret | ErrorCode::InvalidRecoveryKey => exit::WRONG_SECRET,
                ErrorCode::KeychainUnavailable => exit::KEYCHAIN,
                ErrorCode::VaultNotFound | ErrorCode::VaultExists => exit::VAULT,
                ErrorCode::Validation | ErrorCode::Conflict | ErrorCode::ConfirmationNeeded => {
                    exit::INVALID
                }
                ErrorCode::NotFound => exit::NOT_FOUND,
                ErrorCode::DecryptionFailed
                | ErrorCode::UnsupportedVersion
                | ErrorCode::VaultDamaged => exit::DAMAGED,
                ErrorCode::VaultLocked => exit::WRONG_SECRET,
            };
            (code, e.code().as_str(), e.user_message())
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
        Command::Doc(cmd) => doc_cmd(&ctx, cmd),
        Command::Search {
            text,
            matter,
            client,
            tag,
            from,
            to,
            limit,
        } => search_cmd(
            &ctx,
            &text,
            matter,
            matterbox_core::domain::search::SearchFilter {
                client_id: client,
                tag,
                added_from: from,
                added_to: to,
                limit: Some(limit),
                ..Default::default()
            },
        ),
        Command::Settings(cmd) => settings_cmd(&ctx, cmd),
        Command::Inbox(cmd) => inbox_cmd(&ctx, cmd),
        Command::Retention(cmd) => retention_cmd(&ctx, cmd),
        Command::Audit(cmd) => audit_cmd(&ctx, cmd),
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
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedOut {
    path: PathBuf,
    vault_id: String,
    recovery_key: String,
    argon2id_memory_kib: u32,
    argon2id_iterations: u32,
    argon2id_millis: Option<u128>,
}

fn vault_cmd(ctx: &Ctx, cmd: VaultCmd) -> Outcome {
    match cmd {
        VaultCmd::Create { name, storage } => {
            let pass = secrets::passphrase(&ctx.passphrase_source(true))?;
            let created = matterbox_core::create_vault(
                &ctx.env,
                &ctx.vault_dir,
                &name,
                &pass,
                storage.storage(),
                KdfChoice::Calibrate,
            )?;
            let out = CreatedOut {
                path: ctx.vault_dir.clone(),
                vault_id: created.session.vault().id().to_string(),
                recovery_key: created.recovery_key.to_string(),
                argon2id_memory_kib: created.kdf.memory_kib,
                argon2id_iterations: created.kdf.iterations,
                argon2id_millis: created.kdf_time.map(|d| d.as_millis()),
            };
            close(created.session);
            ctx.print(&out, |o| {
                format!(
                    "Created the vault at {}.\n\n\
                     RECOVERY KEY — shown this once. Write it down or print it, and keep it\n\
                     somewhere safe away from this computer. It opens the vault if you forget\n\
                     the passphrase or lose this computer's keychain.\n\n    {}\n\n\
                     Argon2id: {} MiB, {} passes{}.\n",
                    shown_path(&o.path),
                    o.recovery_key,
                    o.argon2id_memory_kib / 1024,
                    o.argon2id_iterations,
                    o.argon2id_millis
                        .map(|m| format!(" ({m} ms here)"))
                        .unwrap_or_default()
                )
            })
        }
        VaultCmd::Info => {
            let info = matterbox_core::vault_info(&ctx.vault_dir)?;
            ctx.print(&info, |i| {
                format!(
                    "Vault:          {}\nName:           {}\nId:             {}\nCreated:        {}\nDevice secret:  {}\nArgon2id:       {} MiB, {} passes, {} lane(s)\nEnrolled here:  {}\nFailed unlocks since the last unlock: {}\n",
                    shown_path(&i.path),
                    shown(&i.name),
                    shown(&i.id),
                    i.created_at,
                    match i.device_secret_storage {
                        DeviceSecretStorage::OsKeychain => "OS keychain",
                        DeviceSecretStorage::DangerPlainFile => "PLAIN FILE (less safe)",
                    },
                    i.kdf.memory_kib / 1024,
                    i.kdf.iterations,
                    i.kdf.parallelism,
                    i.enrolled_at,
                    i.pending_failed_unlocks
                )
            })
        }
        VaultCmd::List => {
            let root = paths::vaults_root().map_err(CoreError::from)?;
            // A vault that cannot be read is listed with why, never left out.
            let listed = matterbox_core::list_vaults(&root)?;
            ctx.print(&listed, |list| {
                if list.is_empty() {
                    format!(
                        "No vaults in {}. Create one with `matterbox vault create`.\n",
                        shown_path(&root)
                    )
                } else {
                    list.iter()
                        .map(|l| match l {
                            matterbox_core::VaultListing::Readable(i) => {
                                format!("{}\t{}\n", shown(&i.name), shown_path(&i.path))
                            }
                            matterbox_core::VaultListing::Unreadable(u) => format!(
                                "(cannot be read)\t{}\t{}\n",
                                shown_path(&u.path),
                                shown(&u.error.message)
                            ),
                        })
                        .collect()
                }
            })
        }
        VaultCmd::ChangePassphrase {
            new_passphrase_file,
        } => {
            matterbox_core::vault_info(&ctx.vault_dir)?;
            let current = secrets::passphrase(&ctx.passphrase_source(false))?;
            let new = secrets::passphrase(&Source {
                file: new_passphrase_file.as_deref(),
                env: "MATTERBOX_NEW_PASSPHRASE",
                flag: "--new-passphrase-file",
                prompt: "New passphrase: ",
                confirm: true,
            })?;
            let session =
                matterbox_core::change_passphrase(&ctx.env, &ctx.vault_dir, &current, &new)?;
            close(session);
            ctx.print(&serde_json::json!({ "changed": true }), |_| {
                "Passphrase changed. Nothing was re-encrypted; the recovery key is unchanged.\n"
                    .into()
            })
        }
        VaultCmd::Recover {
            recovery_key_file,
            new_passphrase_file,
            storage,
        } => {
            matterbox_core::vault_info(&ctx.vault_dir)?;
            let key = secrets::read(&Source {
                file: recovery_key_file.as_deref(),
                env: "MATTERBOX_RECOVERY_KEY",
                flag: "--recovery-key-file",
                prompt: "Recovery key: ",
                confirm: false,
            })?;
            let new = secrets::passphrase(&Source {
                file: new_passphrase_file.as_deref(),
                env: "MATTERBOX_NEW_PASSPHRASE",
                flag: "--new-passphrase-file",
                prompt: "New passphrase for this computer: ",
                confirm: true,
            })?;
            let session =
                matterbox_core::recover(&ctx.env, &ctx.vault_dir, &key, &new, storage.storage())?;
            close(session);
            ctx.print(&serde_json::json!({ "recovered": true, "reenrolled": true }), |_| {
                "Vault recovered. This computer is enrolled with the new passphrase; the recovery key stays the same.\n".into()
            })
        }
    }
}

fn client_line(c: &matterbox_core::domain::Client) -> String {
    let aliases = if c.aliases.is_empty() {
        String::new()
    } else {
        format!(" (also: {})", shown(&c.aliases.join(", ")))
    };
    format!("{:>6}  {}{}\n", c.id, shown(&c.name), aliases)
}

fn client_cmd(ctx: &Ctx, cmd: ClientCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        ClientCmd::Add { name, kind, aliases, email, phone, address, notes } => {
            let c = s.create_client(&ClientInput {
                kind: Some(kind.into()),
                name,
                aliases,
                email,
                phone,
                address,
                notes,
            })?;
            ctx.print(&c, |c| format!("Added client {}: {}\n", c.id, shown(&c.name)))
        }
        ClientCmd::List { search } => {
            let list = s.clients(search.as_deref())?;
            ctx.print(&list, |l| {
                if l.is_empty() {
                    "No clients match. Add one with `matterbox client add --name NAME`.\n".into()
                } else {
                    l.iter().map(client_line).collect()
                }
            })
        }
        ClientCmd::Show { id } => {
            let client = s.client(id)?;
            let matters = s.matters(&MatterFilter { client_id: Some(id), ..Default::default() })?;
            let value = serde_json::json!({ "client": client, "matters": matters });
            ctx.print(&value, |_| {
                let mut out = format!(
                    "{} ({})\nAliases: {}\nEmail:   {}\nPhone:   {}\nAddress: {}\nNotes:   {}\nMatters:\n",
                    shown(&client.name),
                    client.kind.as_str(),
                    shown(&client.aliases.join(", ")),
                    shown(&client.email),
                    shown(&client.phone),
                    shown_lines(&client.address, "         "),
                    shown_lines(&client.notes, "         ")
                );
                for m in &matters {
                    out.push_str(&format!("  {}  {}  [{}]\n", shown(&m.number), shown(&m.title), m.status.as_str()));
                }
                out
            })
        }
        ClientCmd::Edit { id, name, kind, aliases, clear_aliases, email, phone, address, notes } => {
            let patch = ClientPatch {
                kind: kind.map(Into::into),
                name,
                aliases: if clear_aliases {
                    Some(Vec::new())
                } else if aliases.is_empty() {
                    None
                } else {
                    Some(aliases)
                },
                email,
                phone,
                address,
                notes,
            };
            let c = s.update_client(id, &patch)?;
            ctx.print(&c, |c| format!("Updated client {}: {}\n", c.id, shown(&c.name)))
        }
    })
}

fn matter_text(m: &matterbox_core::domain::Matter) -> String {
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
    out.push_str("Timeline:\n");
    for e in &m.timeline {
        out.push_str(&format!("  {}  {}\n", e.occurred_on, shown(&e.description)));
    }
    out
}

fn matter_cmd(ctx: &Ctx, cmd: MatterCmd) -> Outcome {
    ctx.with_session(|s| {
        let m = match cmd {
            MatterCmd::Open { client, title, number, practice_area, opened, lawyer, notes } => {
                s.open_matter(&MatterInput {
                    number,
                    title,
                    client_id: client,
                    practice_area,
                    opened_on: opened,
                    responsible_lawyer: lawyer,
                    notes,
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

fn doc_cmd(ctx: &Ctx, cmd: DocCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        DocCmd::Add { number, file, title, allow_duplicate } => {
            let matter = s.matter_id(&number)?;
            let d = s.import_document(matter, &file, title.as_deref(), allow_duplicate)?;
            ctx.print(&d, |d| format!("Imported document {}: {} ({} bytes, encrypted)\n", d.id, shown(&d.title), d.size))
        }
        DocCmd::List { number, trash } => {
            let matter = s.matter_id(&number)?;
            let list = if trash { s.trashed_documents(matter)? } else { s.documents(matter)? };
            ctx.print(&list, |l| {
                let number = shown(&number);
                if l.is_empty() && trash {
                    format!("The trash of {number} is empty.\n")
                } else if l.is_empty() {
                    format!("No documents in {number} yet. Add one with `matterbox doc add {number} FILE`.\n")
                } else {
                    l.iter().map(document_line).collect()
                }
            })
        }
        DocCmd::Show { id } => {
            let d = s.document(id)?;
            let versions = s.document_versions(id)?;
            let out = serde_json::json!({ "document": d, "versions": versions });
            ctx.print(&out, |_| {
                let mut t = document_line(&d);
                t.push_str(&format!("        file: {}  text: {}\n", shown(&d.original_name), d.text_status));
                if !d.notes.is_empty() {
                    t.push_str(&format!("        notes: {}\n", shown_lines(&d.notes, "               ")));
                }
                for v in &versions {
                    t.push_str(&format!("        version {}  {}  {} bytes  sha256 {}\n", v.version, v.created_at, v.size, v.sha256));
                }
                t
            })
        }
        DocCmd::Edit { id, title, notes, tags } => {
            let patch = matterbox_core::domain::documents::DocumentPatch {
                title,
                notes,
                tags: tags.map(|t| t.split(',').map(str::to_string).collect()),
            };
            let d = s.update_document(id, &patch)?;
            ctx.print(&d, document_line)
        }
        DocCmd::Move { id, to } => {
            let matter = s.matter_id(&to)?;
            let d = s.move_document(id, matter)?;
            ctx.print(&d, |d| format!("Moved to {}:\n{}", shown(&to), document_line(d)))
        }
        DocCmd::AddVersion { id, file } => {
            let d = s.add_document_version(id, &file)?;
            ctx.print(&d, |d| format!("Added version {}:\n{}", d.versions, document_line(d)))
        }
        DocCmd::RestoreVersion { id, version } => {
            let d = s.restore_document_version(id, version)?;
            ctx.print(&d, |d| format!("Version {version} is current again as version {}:\n{}", d.versions, document_line(d)))
        }
        DocCmd::Trash { id } => {
            let d = s.set_document_trashed(id, true)?;
            ctx.print(&d, |d| format!("Moved to the trash: {}\n", shown(&d.title)))
        }
        DocCmd::Untrash { id } => {
            let d = s.set_document_trashed(id, false)?;
            ctx.print(&d, |d| format!("Restored from the trash: {}\n", shown(&d.title)))
        }
        DocCmd::Export { id, output, version } => {
            s.export_document(id, version, &output)?;
            ctx.print(&serde_json::json!({ "exported": output }), |_| {
                format!("Wrote a decrypted copy to {}. It is not protected by Matterbox.\n", shown_path(&output))
            })
        }
    })
}

fn document_line(d: &matterbox_core::domain::documents::DocumentSummary) -> String {
    let tags = if d.tags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", shown(&d.tags.join(", ")))
    };
    let versions = if d.versions > 1 {
        format!(", {} versions", d.versions)
    } else {
        String::new()
    };
    format!(
        "{:>6}  {}  ({} bytes{versions}){tags}\n",
        d.id,
        shown(&d.title),
        d.size
    )
}

fn search_cmd(
    ctx: &Ctx,
    text: &str,
    matter: Option<String>,
    mut filter: matterbox_core::domain::search::SearchFilter,
) -> Outcome {
    ctx.with_session(|s| {
        filter.matter_id = matter.map(|n| s.matter_id(&n)).transpose()?;
        let hits = s.search(text, &filter)?;
        ctx.print(&hits, |h| {
            if h.is_empty() {
                "No document matches.\n".into()
            } else {
                h.iter()
                    .map(|d| {
                        format!(
                            "{:>6}  {}  {}\n        {}\n",
                            d.document_id,
                            shown(&d.matter_number),
                            shown(&d.title),
                            shown(&d.snippet.replace('\n', " "))
                        )
                    })
                    .collect()
            }
        })
    })
}

fn inbox_cmd(ctx: &Ctx, cmd: InboxCmd) -> Outcome {
    use matterbox_core::inbox::{InboxRunner, InboxSettings, Watching};
    let show = |s: &InboxSettings| {
        let mut t = format!(
            "Inbox folder: {}\nWatching: {}  quiet period: {} ms  size limit: {} MiB\n",
            s.folder
                .as_deref()
                .map(shown)
                .unwrap_or("(none; set one with `matterbox inbox settings --folder DIR`)".into()),
            if s.poll { "polling" } else { "native events" },
            s.quiet_ms,
            size_text(s.max_bytes)
        );
        for (i, r) in s.rules.iter().enumerate() {
            t.push_str(&format!(
                "rule {}: {} {}{}{}\n",
                i + 1,
                if r.regex { "regex" } else { "glob" },
                shown(&r.pattern),
                r.matter
                    .as_deref()
                    .map(|m| format!(" -> {}", shown(m)))
                    .unwrap_or_default(),
                if r.tags.is_empty() {
                    String::new()
                } else {
                    format!(" tags {}", shown(&r.tags.join(", ")))
                }
            ));
        }
        t
    };
    let runner = |s: &Session| -> Result<InboxRunner, Failure> {
        InboxRunner::new(s)?.ok_or_else(|| {
            Failure::from(matterbox_core::CoreError::File(
                "No inbox folder is set: `matterbox inbox settings --folder DIR`.".into(),
            ))
        })
    };
    let folder_of = |s: &Session| -> Result<matterbox_core::inbox::Folder, Failure> {
        s.inbox_folder()?.ok_or_else(|| {
            Failure::from(matterbox_core::CoreError::File(
                "No inbox folder is set: `matterbox inbox settings --folder DIR`.".into(),
            ))
        })
    };
    ctx.with_session(|s| match cmd {
        InboxCmd::Settings { folder, poll, native, quiet_ms, max_mib, take_existing_files } => {
            let mut settings = s.inbox_settings()?;
            let changed = folder.is_some() || poll || native || quiet_ms.is_some() || max_mib.is_some();
            if let Some(f) = folder {
                let abs = std::path::absolute(&f).unwrap_or(f);
                settings.folder = Some(abs.display().to_string());
            }
            if poll {
                settings.poll = true;
            }
            if native {
                settings.poll = false;
            }
            if let Some(q) = quiet_ms {
                settings.quiet_ms = q;
            }
            if let Some(m) = max_mib {
                settings.max_bytes = m.saturating_mul(1 << 20);
            }
            if changed {
                settings = s.set_inbox_settings(&settings, take_existing_files)?;
            }
            ctx.print(&settings, show)
        }
        InboxCmd::Rule(rule) => {
            let mut settings = s.inbox_settings()?;
            match rule {
                RuleCmd::List => {}
                RuleCmd::Add { pattern, regex, matter, tags } => {
                    settings.rules.push(matterbox_core::inbox::Rule { pattern, regex, matter, tags });
                    settings = s.set_inbox_settings(&settings, false)?;
                }
                RuleCmd::Remove { index } => {
                    if index == 0 || index > settings.rules.len() {
                        return Err(Failure::from(matterbox_core::CoreError::File(format!(
                            "There is no rule {index}; `matterbox inbox rule list` shows them."
                        ))));
                    }
                    settings.rules.remove(index - 1);
                    settings = s.set_inbox_settings(&settings, false)?;
                }
            }
            ctx.print(&settings.rules, |_| show(&settings))
        }
        InboxCmd::Mkdir { number } => {
            s.matter_id(&number)?;
            let dir = folder_of(s)?.create_subfolder(&number)
                .map_err(matterbox_core::CoreError::from)?;
            ctx.print(&serde_json::json!({ "folder": dir }), |_| {
                format!("Files dropped into {} go to matter {}.\n", shown_path(&dir), shown(&number))
            })
        }
        InboxCmd::Status => {
            let settings = s.inbox_settings()?;
            let waiting = settings
                .folder
                .as_deref()
                .map(|f| matterbox_core::inbox::pending_files(std::path::Path::new(f)))
                .unwrap_or(0);
            let unfiled = s.unfiled()?.len();
            let quarantined = match folder_of(s) {
                Ok(f) => f.quarantined().map(|q| q.len()).unwrap_or(0),
                Err(_) => 0,
            };
            let status = serde_json::json!({
                "folder": settings.folder, "poll": settings.poll, "waiting": waiting,
                "unfiled": unfiled, "quarantined": quarantined,
            });
            ctx.print(&status, |_| {
                format!(
                    "{}{waiting} waiting in the inbox, {unfiled} in Unfiled, {quarantined} in quarantine.\n",
                    show(&settings)
                )
            })
        }
        InboxCmd::Scan { wait } => {
            let mut r = runner(s)?;
            let deadline = Instant::now() + Duration::from_secs(wait);
            let mut total = matterbox_core::inbox::InboxPass::default();
            loop {
                let pass = r.pass(s, Instant::now())?;
                total.ingested.extend(pass.ingested);
                total.quarantined.extend(pass.quarantined);
                total.waiting = pass.waiting;
                if pass.waiting == 0 || Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(r.tick_interval());
            }
            ctx.print(&total, pass_text)
        }
        InboxCmd::Watch => {
            let settings = s.inbox_settings()?;
            let mut r = runner(s)?;
            let watching = Watching::start(&r, settings.poll);
            eprintln!(
                "Watching {} ({}{}). Stopping at any moment loses nothing.",
                shown_path(&r.folder.root),
                match watching.mode() {
                    matterbox_core::inbox::Mode::Native => "native events",
                    matterbox_core::inbox::Mode::Polling => "polling",
                },
                watching.fallback_reason().map(|e| format!("; native watching failed: {}", shown(e))).unwrap_or_default()
            );
            let mut hinted = true;
            loop {
                if !r.due(hinted, Instant::now()) {
                    let interval = r.tick_interval();
                    hinted = watching.wait(&mut r, interval);
                    continue;
                }
                let pass = r.pass(s, Instant::now())?;
                if !pass.ingested.is_empty() || !pass.quarantined.is_empty() {
                    let mut out = std::io::stdout().lock();
                    if ctx.json {
                        for i in &pass.ingested {
                            writeln!(out, "{}", serde_json::json!({ "ingested": i }))?;
                        }
                        for (name, reason) in &pass.quarantined {
                            writeln!(out, "{}", serde_json::json!({ "quarantined": name, "reason": reason }))?;
                        }
                    } else {
                        write!(out, "{}", pass_text(&pass))?;
                    }
                    out.flush()?;
                }
                let interval = r.tick_interval();
                hinted = watching.wait(&mut r, interval);
            }
        }
        InboxCmd::Unfiled => {
            let items = s.unfiled()?;
            ctx.print(&items, |items| {
                if items.is_empty() {
                    return "Nothing is waiting in Unfiled.\n".into();
                }
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{:>6}  {}  ({} bytes){}\n",
                            i.id,
                            shown(&i.original_name),
                            i.size,
                            i.duplicate_of.map(|d| format!("  same content as document {d}")).unwrap_or_default()
                        )
                    })
                    .collect()
            })
        }
        InboxCmd::File { item, number } => {
            let matter = s.matter_id(&number)?;
            let d = s.file_unfiled(item, matter)?;
            ctx.print(&d, |d| format!("Filed into {}:\n{}", shown(&number), document_line(d)))
        }
        InboxCmd::Quarantine => {
            let q = folder_of(s)?.quarantined().map_err(matterbox_core::CoreError::from)?;
            ctx.print(&q, |q| {
                if q.is_empty() {
                    return "The quarantine is empty.\n".into();
                }
                q.iter().map(|x| format!("{}\n    {}\n", shown(&x.name), shown_lines(&x.reason, "    "))).collect()
            })
        }
        InboxCmd::Retry { name } => {
            folder_of(s)?.retry(&name).map_err(matterbox_core::CoreError::from)?;
            ctx.print(&serde_json::json!({ "retried": name }), |_| {
                format!("{} is back in the inbox and will be tried again.\n", shown(&name))
            })
        }
    })
}

fn trigger_of(s: &str) -> Result<matterbox_core::domain::retention::Trigger, Failure> {
    use matterbox_core::domain::retention::Trigger;
    match s.replace('_', "-").as_str() {
        "matter-closed" => Ok(Trigger::MatterClosed),
        "date-added" => Ok(Trigger::DateAdded),
        "permanent" => Ok(Trigger::Permanent),
        other => Err(Failure::from(matterbox_core::CoreError::File(format!(
            "{other} is not a trigger: use matter-closed, date-added or permanent."
        )))),
    }
}

fn retention_cmd(ctx: &Ctx, cmd: RetentionCmd) -> Outcome {
    use matterbox_core::domain::retention::{HoldTarget, PolicyInput, Trigger};
    use matterbox_core::retention::Disposal;
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
                    "{} {:>6}  {}  {}  due {}\n        {}\n",
                    d.kind,
                    d.id,
                    shown(&d.matter_number),
                    shown(&d.title),
                    d.due_on,
                    shown(&d.reason)
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
            let old = s
                .retention_policies()?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| Failure::from(matterbox_core::CoreError::File(format!("No retention policy {id}."))))?;
            let trigger = match trigger {
                Some(t) => trigger_of(&t)?,
                None => old.trigger,
            };
            // A policy made permanent drops its period unless one is given
            // (a permanent policy with a period is refused).
            let kept = |given: Option<u32>, old: u32| {
                given.unwrap_or(if trigger == Trigger::Permanent { 0 } else { old })
            };
            let p = s.update_retention_policy(
                id,
                &PolicyInput {
                    name: name.unwrap_or(old.name),
                    trigger: Some(trigger),
                    years: kept(years, old.years),
                    months: kept(months, old.months),
                    danger_destroy_without_approval: danger_destroy_without_approval
                        .unwrap_or(old.danger_destroy_without_approval),
                },
            )?;
            ctx.print(&p, |p| policy_line(p))
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
                h.iter().map(|h| format!("{:>4}  {:?} {}  since {}: {}\n", h.id, h.target, h.target_id, h.placed_on, shown(&h.reason))).collect()
            })
        }
        RetentionCmd::Hold(HoldCmd::Place { client, matter, document, reason, on }) => {
            let (target, id) = match (client, matter, document) {
                (Some(c), _, _) => (HoldTarget::Client, c),
                (_, Some(m), _) => (HoldTarget::Matter, s.matter_id(&m)?),
                (_, _, Some(d)) => (HoldTarget::Document, d),
                _ => {
                    return Err(Failure::from(matterbox_core::CoreError::File(
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
                (Some(m), _) => Disposal { kind: "matter".into(), id: s.matter_id(&m)? },
                (_, Some(d)) => Disposal { kind: "document".into(), id: d },
                _ => {
                    return Err(Failure::from(matterbox_core::CoreError::File(
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
                items.push(Disposal { kind: "matter".into(), id: s.matter_id(m)? });
            }
            items.extend(documents.iter().map(|d| Disposal { kind: "document".into(), id: *d }));
            if items.is_empty() {
                return Err(Failure::from(matterbox_core::CoreError::File(
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
            let finished = s.finish_destruction()?;
            let report = s.destroy_due_without_approval(today(t))?;
            let waiting = s.retention_due(today(t))?;
            let out = serde_json::json!({ "resumed": finished, "destroyed": report, "awaitingApproval": waiting });
            ctx.print(&out, |_| {
                let mut t = String::new();
                if report.documents + report.matters > 0 {
                    t.push_str(&format!(
                        "Destroyed without approval (policy says so): {} documents, {} matters. Certificate {}.\n",
                        report.documents, report.matters, report.certificate
                    ));
                }
                t.push_str(&due_text(&waiting));
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
            if output.symlink_metadata().is_ok() {
                return Err(exists_already(&output));
            }
            let html = s.destruction_certificate(&certificate)?;
            // Never over a file made meanwhile (std::fs::write would be).
            write_new_file(&output, html.as_bytes())?;
            ctx.print(&serde_json::json!({ "written": output }), |_| format!("Wrote {}.\n", shown_path(&output)))
        }
    })
}

fn pass_text(p: &matterbox_core::inbox::InboxPass) -> String {
    let mut t = String::new();
    for i in &p.ingested {
        match (&i.matter_number, i.duplicate_of) {
            (Some(m), _) => {
                t.push_str(&format!("Ingested {} into {}.\n", shown(&i.name), shown(m)))
            }
            (None, Some(d)) => t.push_str(&format!(
                "Ingested {} into Unfiled: same content as document {d}.\n",
                shown(&i.name)
            )),
            (None, None) => t.push_str(&format!("Ingested {} into Unfiled.\n", shown(&i.name))),
        }
    }
    for (name, reason) in &p.quarantined {
        t.push_str(&format!(
            "Quarantined {}: {}\n",
            shown(name),
            shown_lines(reason, "    ")
        ));
    }
    if p.waiting > 0 {
        t.push_str(&format!(
            "{} files are still being written or settling.\n",
            p.waiting
        ));
    }
    t
}

fn doctor_cmd(ctx: &Ctx, fix: bool, deep: bool, min_age_seconds: u64, allow_many: bool) -> Outcome {
    ctx.with_session(|s| {
        let report = s.doctor(fix, deep, Duration::from_secs(min_age_seconds), allow_many)?;
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
        } else if report.missing.is_empty() && report.damaged.is_empty() {
            Ok(())
        } else {
            Err(Failure::DocumentsDamaged(report.missing.len() + report.damaged.len()))
        }
    })
}

fn settings_cmd(ctx: &Ctx, cmd: SettingsCmd) -> Outcome {
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
    })
}

fn audit_cmd(ctx: &Ctx, cmd: AuditCmd) -> Outcome {
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
            // Refused before it is recorded, as `doc export` is.
            if let Some(path) = output.as_deref().filter(|p| p.symlink_metadata().is_ok()) {
                return Err(exists_already(path));
            }
            let entries = s.audit_entries()?;
            let mut buf = Vec::new();
            let name = match format {
                ExportFormat::Jsonl => {
                    matterbox_core::audit::export_jsonl(&entries, &mut buf)
                        .map_err(CoreError::from)?;
                    "jsonl"
                }
                ExportFormat::Csv => {
                    matterbox_core::audit::export_csv(&entries, &mut buf)
                        .map_err(CoreError::from)?;
                    "csv"
                }
            };
            // Recorded first: an export that cannot be recorded does not happen.
            s.record_audit_export(name, entries.len())?;
            match output {
                Some(path) => write_new_file(&path, &buf)?,
                None => std::io::stdout().lock().write_all(&buf)?,
            }
            Ok(())
        }
    })
}

/// The refusal of an export onto an existing file: the same error, and so
/// the same exit code (6), as the core's `doc export` gives.
fn exists_already(path: &Path) -> Failure {
    Failure::Core(CoreError::File(format!(
        "{} exists already; an export never overwrites a file.",
        path.display()
    )))
}

/// Writes an export without overwriting anything that exists; a write
/// that fails part-way removes what it created.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                exists_already(path)
            } else {
                Failure::Io(format!("cannot create {}: {e}", path.display()))
            }
        })?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(Failure::Io(format!("cannot write {}: {e}", path.display())));
    }
    Ok(())
}
