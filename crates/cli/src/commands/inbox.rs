//! `matterbox inbox …`: the watched folder, its rules and the Unfiled queue.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Subcommand;
use matterbox_core::Session;
use matterbox_core::domain::text::size_text;
use matterbox_core::ocr::{
    OcrState, OcrWorkers, PageDone, Recogniser, SessionAccess, SharedSession, Wake, WorkerStep,
};

use crate::commands::doc::document_line;
use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::{shown, shown_lines, shown_path};

#[derive(Subcommand)]
pub(crate) enum InboxCmd {
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
    /// File Unfiled items into a matter: `inbox file 3 4 2026-0007` files
    /// items 3 and 4, all or none.
    File {
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<i64>,
        #[arg(value_name = "MATTER")]
        number: String,
    },
    /// Discard Unfiled items for good (a scan that is not for this
    /// practice): their encrypted copies are destroyed, all or none.
    Discard {
        #[arg(required = true, value_name = "ITEM")]
        items: Vec<i64>,
    },
    /// Files that could not be ingested, with the reason.
    Quarantine,
    /// Put a quarantined file back into the inbox.
    Retry { name: String },
}

#[derive(Subcommand)]
pub(crate) enum RuleCmd {
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

pub(crate) fn inbox_cmd(ctx: &Ctx, cmd: InboxCmd) -> Outcome {
    use matterbox_core::inbox::{InboxDriver, InboxRunner, InboxSettings, InboxSettingsPatch};
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
    let no_folder = || {
        Failure::from(matterbox_core::CoreError::Invalid(
            "No inbox folder is set: `matterbox inbox settings --folder DIR`.".into(),
        ))
    };
    let runner = |s: &Session| InboxRunner::new(s)?.ok_or_else(no_folder);
    let folder_of = |s: &Session| s.inbox_folder()?.ok_or_else(no_folder);
    ctx.with_session(|s| match cmd {
        InboxCmd::Settings { folder, poll, native, quiet_ms, max_mib, take_existing_files } => {
            let patch = InboxSettingsPatch {
                folder: folder.map(|f| f.display().to_string()),
                poll: (poll || native).then_some(poll),
                quiet_ms,
                max_bytes: max_mib.map(|m| m.saturating_mul(1 << 20)),
            };
            let settings = s.update_inbox_settings(&patch, take_existing_files)?;
            ctx.print(&settings, show)
        }
        InboxCmd::Rule(rule) => {
            let settings = match rule {
                RuleCmd::List => s.inbox_settings()?,
                RuleCmd::Add { pattern, regex, matter, tags } => {
                    s.add_inbox_rule(matterbox_core::inbox::Rule { pattern, regex, matter, tags })?
                }
                RuleCmd::Remove { index } => s.remove_inbox_rule(index)?,
            };
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
            let mut d = InboxDriver::start(s)?.ok_or_else(no_folder)?;
            eprintln!(
                "Watching {} ({}{}). Stopping at any moment loses nothing.",
                shown_path(d.folder()),
                match d.mode() {
                    matterbox_core::inbox::Mode::Native => "native events",
                    matterbox_core::inbox::Mode::Polling => "polling",
                },
                d.fallback_reason().map(|e| format!("; native watching failed: {}", shown(e))).unwrap_or_default()
            );
            // Scans it ingests are recognised here too, by as many workers
            // as the vault's setting (`settings ocr-workers`), each at low
            // priority and holding the session only to take a page and to
            // record it, as the app's workers do: the inbox never waits
            // for a page to be read.
            let json = ctx.json;
            let count = s.ocr_worker_count()?;
            let shared = SharedSession::new(s);
            let workers = OcrWorkers::default();
            let wake = Wake::default();
            let halt = AtomicBool::new(false);
            let failure: Mutex<Option<matterbox_core::CoreError>> = Mutex::new(None);
            std::thread::scope(|scope| {
                for _ in 0..count {
                    let (shared, workers, wake, halt, failure) =
                        (&shared, &workers, &wake, &halt, &failure);
                    scope.spawn(move || {
                        let mut recogniser = Recogniser::default();
                        let mut seen = 0;
                        let halted = || halt.load(Ordering::SeqCst);
                        while !halted() {
                            match workers.step(None, shared, &mut recogniser, &halted, &mut |_| {}) {
                                Ok(WorkerStep::Recorded { page, state }) => {
                                    page_line(json, &page, state);
                                }
                                Ok(WorkerStep::Rest | WorkerStep::Abandoned) => {
                                    wake.wait(&mut seen, OCR_IDLE);
                                }
                                Err(e) => {
                                    if let Ok(mut f) = failure.lock() {
                                        f.get_or_insert(e);
                                    }
                                    halt.store(true, Ordering::SeqCst);
                                }
                            }
                        }
                    });
                }
                let watched = (|| -> Result<(), Failure> {
                    loop {
                        if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
                            return Err(e.into());
                        }
                        if d.due(false) {
                            let pass = shared.with_session(|s| d.pass(s))?;
                            if !pass.ingested.is_empty() {
                                wake.wake();
                            }
                            if !pass.ingested.is_empty() || !pass.quarantined.is_empty() {
                                let mut out = std::io::stdout().lock();
                                if json {
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
                        }
                        d.wait();
                    }
                })();
                halt.store(true, Ordering::SeqCst);
                wake.wake();
                watched
            })
        }
        InboxCmd::Unfiled => {
            let items = s.unfiled()?;
            ctx.print(&items, |items| {
                if items.is_empty() {
                    return "Nothing is waiting in Unfiled.\n".into();
                }
                items
                    .iter()
                    .map(|u| {
                        let i = &u.item;
                        format!(
                            "{:>6}  {}  ({} bytes){}\n",
                            i.id,
                            shown(&i.original_name),
                            i.size,
                            i.duplicate_of
                                .map(|d| format!(
                                    "  same content as document {d}, {}",
                                    i.duplicate_of_name.as_deref().map(shown).unwrap_or_default()
                                ))
                                .unwrap_or_default()
                        )
                    })
                    .collect()
            })
        }
        InboxCmd::File { items, number } => {
            let matter = s.matter_id(&number)?;
            let filed = s.file_unfiled_many(&items, matter)?;
            ctx.print(&filed, |filed| {
                let lines: String = filed.iter().map(document_line).collect();
                format!("Filed into {}:\n{lines}", shown(&number))
            })
        }
        InboxCmd::Discard { items } => {
            let n = s.discard_unfiled(&items)?;
            ctx.print(&serde_json::json!({ "discarded": n }), |_| {
                format!("Discarded {n} Unfiled {}; their encrypted copies are destroyed.\n", if n == 1 { "item" } else { "items" })
            })
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

pub(crate) fn pass_text(p: &matterbox_core::inbox::InboxPass) -> String {
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

/// How long an idle OCR worker of `inbox watch` rests before it looks at
/// the queue again; an ingested file wakes them all sooner.
const OCR_IDLE: Duration = Duration::from_secs(2);

/// One recorded page on stdout (a JSON line with `--json`). A closed
/// stdout stops nothing: the page is recorded.
fn page_line(json: bool, p: &PageDone, state: Option<OcrState>) {
    let mut out = std::io::stdout().lock();
    let _ = if json {
        let line = serde_json::json!({ "ocr": { "documentId": p.document_id, "page": p.page + 1, "pageCount": p.page_count, "status": state.map(|s| s.as_str()) } });
        writeln!(out, "{line}")
    } else {
        writeln!(out, "{}", crate::commands::ocr::page_text(p, state))
    }
    .and_then(|()| out.flush());
}
