//! `matterbox search …`: searches in the search language, and saved searches.

use clap::{Args, Subcommand};

use matterbox_core::Session;
use matterbox_core::domain::search::{SearchFilter, SearchPage, SearchSort};

use crate::ctx::Ctx;
use crate::failure::Outcome;
use crate::shown::shown;

/// `matterbox search TEXT [options]`, or one of the saved-search commands.
#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true,
    after_help = "The search language:
  lease boundary         both words (whole words; case and accents ignored)
  \"quiet enjoyment\"      the words together, in this order
  indemn*                a word starting so
  -draft                 without the word (also -\"a phrase\", -tag:x)
  lease OR tenancy       either (binds tighter than the words around it)
  NEAR(notice cure, 5)   the words at most 5 words apart (10 by default)
  title:survey           in the title (title:\"site plan\", title:surv*)
  tag:deed               tagged so
  client:fictional       in a matter of a client whose name or alias holds it
  matter:2025-0001       in the matter of that number, or whose title holds it
  added:2025-01..2025-06 added in that span (2025, 2025-03, 2025-03-04, 2025.., ..2025-06)
Anything else is searched as plain words: there are no syntax errors. Only
exclusions and fields list every document passing them, newest first.
A one-word search for a subcommand's name goes after --: search -- forget"
)]
pub(crate) struct SearchArgs {
    #[command(subcommand)]
    saved: Option<SavedCmd>,
    /// What to find, in the search language (below).
    #[arg(required = true, allow_hyphen_values = true)]
    text: Option<String>,
    #[command(flatten)]
    options: SearchOptions,
}

/// Where to search, and which page of the matches to show.
#[derive(Args)]
pub(crate) struct SearchOptions {
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
    /// How many matches to show (from --offset on).
    #[arg(long, default_value = "50")]
    limit: u32,
    /// Skip this many matches (the next page starts at offset + limit).
    #[arg(long, default_value = "0")]
    offset: u64,
    /// Show every match (ignores --limit and --offset).
    #[arg(long, conflicts_with_all = ["limit", "offset"])]
    all: bool,
    /// Order of the matches: best match first, newest first, or by title.
    #[arg(long, value_enum, default_value = "best")]
    sort: SortArg,
}

#[derive(Subcommand)]
enum SavedCmd {
    /// Keep a search under a name (replaces the search saved under that name).
    Save {
        name: String,
        /// The search, in the search language.
        #[arg(allow_hyphen_values = true)]
        query: String,
    },
    /// List the saved searches.
    Saved,
    /// Run a saved search.
    RunSaved {
        name: String,
        #[command(flatten)]
        options: SearchOptions,
    },
    /// Forget a saved search.
    Forget { name: String },
}

/// The order of `matterbox search`'s matches.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum SortArg {
    /// Best match first.
    Best,
    /// Newest first.
    Added,
    /// By title, A to Z.
    Title,
}

impl From<SortArg> for SearchSort {
    fn from(s: SortArg) -> SearchSort {
        match s {
            SortArg::Best => SearchSort::Best,
            SortArg::Added => SearchSort::Added,
            SortArg::Title => SearchSort::Title,
        }
    }
}

impl SearchOptions {
    fn filter(&self, s: &Session) -> matterbox_core::Result<SearchFilter> {
        Ok(SearchFilter {
            matter_id: self.matter.as_ref().map(|n| s.matter_id(n)).transpose()?,
            client_id: self.client,
            tag: self.tag.clone(),
            added_from: self.from.clone(),
            added_to: self.to.clone(),
            limit: Some(if self.all { u32::MAX } else { self.limit }),
            offset: Some(if self.all { 0 } else { self.offset }),
            sort: Some(self.sort.into()),
        })
    }
}

pub(crate) fn search_cmd(ctx: &Ctx, args: SearchArgs) -> Outcome {
    match args.saved {
        None => {
            let text = args.text.unwrap_or_default();
            ctx.with_session(|s| {
                let filter = args.options.filter(s)?;
                let page = s.search(&text, &filter)?;
                print_page(ctx, page)
            })
        }
        Some(SavedCmd::RunSaved { name, options }) => ctx.with_session(|s| {
            let id = s.saved_search_named(&name)?.id;
            let filter = options.filter(s)?;
            let page = s.run_saved_search(id, &filter)?;
            print_page(ctx, page)
        }),
        Some(SavedCmd::Save { name, query }) => ctx.with_session(|s| {
            let saved = s.save_search(&name, &query)?;
            ctx.print(&saved, |v| {
                format!("Saved search {} as {}.\n", v.id, shown(&v.name))
            })
        }),
        Some(SavedCmd::Saved) => ctx.with_session(|s| {
            let all = s.saved_searches()?;
            ctx.print(&all, |all| {
                if all.is_empty() {
                    return "No saved search.\n".to_string();
                }
                all.iter()
                    .map(|v| {
                        format!(
                            "{:>4}  {}\n      {}\n",
                            v.id,
                            shown(&v.name),
                            shown(&v.query)
                        )
                    })
                    .collect()
            })
        }),
        Some(SavedCmd::Forget { name }) => ctx.with_session(|s| {
            let saved = s.saved_search_named(&name)?;
            s.forget_saved_search(saved.id)?;
            ctx.print(&serde_json::json!({ "forgotten": saved.id }), |_| {
                format!("Forgot the saved search {}.\n", shown(&saved.name))
            })
        }),
    }
}

fn print_page(ctx: &Ctx, mut page: SearchPage) -> Outcome {
    // `--all`: the page's limit is what it holds, not u32::MAX.
    page.limit = page
        .limit
        .min(u32::try_from(page.hits.len()).unwrap_or(u32::MAX).max(1));
    ctx.print(&page, |p| {
        let h = &p.hits;
        let first = p.offset + 1;
        let last = p.offset + h.len() as u64;
        let summary = match p.total {
            0 => "No document matches.\n".to_string(),
            n if h.is_empty() => {
                format!("{n} matching; none from offset {}.\n", p.offset)
            }
            1 => "1 document matches.\n".to_string(),
            n if h.len() as u64 == n => format!("{n} documents match.\n"),
            n => format!(
                "{n} documents match; showing {first} to {last} (next: --offset {last}, or --all).\n"
            ),
        };
        summary
            + &h.iter()
                .map(|d| {
                    format!(
                        "{:>6}  {}  {}{}\n        {}\n",
                        d.document_id,
                        shown(&d.matter_number),
                        shown(&d.title),
                        d.page.map(|p| format!("  (page {p})")).unwrap_or_default(),
                        shown(&d.snippet.replace('\n', " "))
                    )
                })
                .collect::<String>()
    })
}
