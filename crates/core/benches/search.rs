//! Full-text search over synthetic documents of about 1 KB of text each
//! (100,000 by default, `MATTERBOX_BENCH_SEARCH_DOCS` for another size such
//! as 1,000,000), their words drawn from a 50,000-word vocabulary with a
//! Zipf distribution (exponent 1.07, as English text has): time and size of
//! the index, and query latency p50/p95 of the first page (top 20 with the
//! exact count of matches) and of a page from the middle of the matches,
//! per kind of query — a common word, a rare word, two words, a phrase, a
//! prefix, and a prefix with an excluded word ("indemn* -draft") — beside
//! the same queries on an unencrypted SQLite copy of the same FTS5 index.
//! Then the search accelerator (an encrypted Tantivy index beside the
//! database, `crates/textindex`): the time to build it from the FTS5
//! index, its size, and the same queries through the session (audited,
//! as a user's search is) with it in step, their counts checked against
//! FTS5's, and how many of its top 20 were FTS5's bm25 top 20.
//! Then, as the before, the ranking the search did until every match was
//! ranked (the newest 10,000 documents plus title and name matches), with
//! how many of its top 20 were the exact top 20; and a search whose hit is
//! a long document repeating the word on each of its 30,000 lines, beside
//! the same search whose hit is a 1 KB document. Peak memory of the whole
//! run last.
//!
//! Run with `scripts/bench.sh` (it runs every benchmark of the core).

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use matterbox_core::Session;
use matterbox_core::domain::search::{SearchFilter, TextStatus};
use matterbox_domain::search;

/// How many documents the vault holds: 100,000 unless
/// `MATTERBOX_BENCH_SEARCH_DOCS` names another size.
fn docs() -> usize {
    std::env::var("MATTERBOX_BENCH_SEARCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
/// Queries of each kind.
const PER_KIND: usize = 50;
const VOCABULARY: usize = 50_000;
const ZIPF_EXPONENT: f64 = 1.07;

/// How many of each kind's queries are timed: all 50 unless
/// `MATTERBOX_BENCH_SEARCH_QUERIES` names fewer (a run over 1,000,000
/// documents, whose deep pages take seconds each). The queries are made
/// the same way either way, so the first N are the same in both benches.
fn timed_per_kind() -> usize {
    std::env::var("MATTERBOX_BENCH_SEARCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(PER_KIND, |n: usize| n.clamp(1, PER_KIND))
}

/// A deterministic pseudo-word vocabulary, drawn by Zipf's law.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
    /// Cumulative probability of ranks 1..=n.
    cumulative: Vec<f64>,
}

impl Words {
    fn new() -> Self {
        let syllables = [
            "ka", "lo", "mi", "ter", "vos", "an", "qui", "del", "ru", "sen", "pa", "tor", "el",
            "mon", "gra", "ve", "bi", "dun", "fes", "hol",
        ];
        let mut w = Self {
            state: 0x9e37_79b9_7f4a_7c15,
            vocabulary: Vec::new(),
            cumulative: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        while w.vocabulary.len() < VOCABULARY {
            // Frequent words are short, as in real text.
            let rank = w.vocabulary.len();
            let n =
                1 + usize::from(rank > 50) + usize::from(rank > 2_000) + (w.next() % 2) as usize;
            let word: String = (0..n)
                .map(|_| syllables[(w.next() % syllables.len() as u64) as usize])
                .collect();
            if word.len() > 1 && seen.insert(word.clone()) {
                w.vocabulary.push(word);
            }
        }
        let mut sum = 0.0;
        for rank in 1..=VOCABULARY {
            sum += 1.0 / (rank as f64).powf(ZIPF_EXPONENT);
            w.cumulative.push(sum);
        }
        for c in &mut w.cumulative {
            *c /= sum;
        }
        w
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// The word of `rank` (from 0, the most frequent).
    fn ranked(&self, rank: usize) -> &str {
        &self.vocabulary[rank.min(VOCABULARY - 1)]
    }

    fn word(&mut self) -> &str {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let rank = self.cumulative.partition_point(|&c| c < u);
        self.ranked(rank)
    }

    /// A word of rank in `ranks`, uniformly.
    fn word_in(&mut self, ranks: std::ops::Range<usize>) -> String {
        let rank = ranks.start + (self.next() as usize) % (ranks.end - ranks.start);
        self.ranked(rank).to_string()
    }

    fn text(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes + 16);
        while s.len() < bytes {
            let w = self.word().to_string();
            s.push_str(&w);
            s.push(' ');
        }
        s
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
}

/// The kinds of query measured, each with its queries.
fn query_kinds(words: &mut Words, phrases: &[String]) -> Vec<(&'static str, Vec<String>)> {
    let mut kinds: Vec<(&'static str, Vec<String>)> = Vec::new();
    let mut add = |name, make: &mut dyn FnMut(usize) -> String| {
        kinds.push((name, (0..PER_KIND).map(make).collect()));
    };
    add("common word", &mut |_| words.word_in(0..100));
    add("rare word", &mut |_| words.word_in(5_000..VOCABULARY));
    add("two words", &mut |_| {
        format!("{} {}", words.word_in(0..2_000), words.word_in(100..10_000))
    });
    add("phrase", &mut |i| {
        format!("\"{}\"", phrases[i % phrases.len()])
    });
    add("prefix", &mut |_| {
        let w = words.word_in(50..5_000);
        format!("{}*", &w[..w.len().min(4)])
    });
    add("prefix -word", &mut |_| {
        let w = words.word_in(50..5_000);
        format!("{}* -{}", &w[..w.len().min(4)], words.word_in(0..50))
    });
    kinds
}

/// Peak resident memory of this process, from `/proc/self/status`.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The size of a database file with its write-ahead log.
fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn database_size(db: &Path) -> u64 {
    let wal = db.with_extension("db-wal");
    [db, wal.as_path()]
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

fn main() {
    let docs = docs();
    let dir = tempfile::tempdir().expect("temporary folder");
    let (mut session, client) = support::vault_with_client(dir.path(), "search");
    let matter = support::open_matter(&mut session, client, "Bench matter");

    let mut words = Words::new();
    let mut phrases = Vec::new();
    let conn = session.danger_connection();
    let started = Instant::now();
    let mut text_bytes = 0usize;
    conn.execute_batch("BEGIN").expect("begin");
    for i in 0..docs {
        conn.execute(
            "INSERT INTO documents (id, matter_id, title, original_name, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            rusqlite::params![
                i as i64 + 1,
                matter,
                format!("Document {i}"),
                format!("doc-{i}.txt")
            ],
        )
        .expect("document row");
        let body = words.text(1000);
        text_bytes += body.len();
        if i % (docs / PER_KIND).max(1) == 7 {
            // Two adjacent words of a real document: the phrase exists.
            let mut it = body.split(' ').skip(40);
            if let (Some(a), Some(b)) = (it.next(), it.next()) {
                phrases.push(format!("{a} {b}"));
            }
        }
        search::index(
            conn,
            i as i64 + 1,
            &format!("Document {i}"),
            &format!("doc-{i}.txt"),
            &body,
            TextStatus::Extracted,
        )
        .expect("index");
        // Commit every 50,000 documents, as a long import would.
        if i % 50_000 == 49_999 {
            conn.execute_batch("COMMIT; BEGIN").expect("commit");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    let indexing = started.elapsed();
    let started = Instant::now();
    let standing = session
        .search_index_upkeep(Duration::from_secs(24 * 3600))
        .expect("accelerator");
    assert_eq!(
        standing,
        matterbox_core::search_index::Standing::InStep,
        "{:?}",
        session.search_index_error()
    );
    let accelerator_build = started.elapsed();
    let accelerator_size = folder_size(
        &session
            .vault()
            .dir()
            .join(matterbox_core::search_index::FOLDER),
    );
    let vault_size = database_size(&session.vault().dir().join("vault.db"));

    let plain_path = dir.path().join("plain.db");
    let plain = support::plain_copy(&session, &plain_path);
    let plain_size = database_size(&plain_path);

    let kinds = query_kinds(&mut words, &phrases);
    let first_page = SearchFilter {
        limit: Some(20),
        ..Default::default()
    };
    println!(
        "== Full-text search, {docs} documents of ~1 KB (Zipf words, vocabulary {VOCABULARY}), {} queries of each kind, every match ranked and counted",
        timed_per_kind()
    );
    println!(
        "indexing: {:.1} s ({:.0} documents/s, {:.1} MB/s of text); database {} (plain SQLite copy of the same data {})",
        indexing.as_secs_f64(),
        docs as f64 / indexing.as_secs_f64(),
        text_bytes as f64 / 1e6 / indexing.as_secs_f64(),
        mib(vault_size),
        mib(plain_size),
    );
    println!(
        "accelerator: built from the index in {:.1} s ({:.0} documents/s), {} on disk (encrypted)",
        accelerator_build.as_secs_f64(),
        docs as f64 / accelerator_build.as_secs_f64(),
        mib(accelerator_size),
    );
    println!(
        "{:<14} {:>9} | {:>25} | {:>25} | {:>25} | {:>25} | {:>25}",
        "query",
        "matches",
        "first page p50 / p95",
        "plain FTS5 p50 / p95",
        "middle page p50 / p95",
        "accelerated first p50/p95",
        "accelerated middle p50/p95"
    );
    let mut all_first = Vec::new();
    let mut all_fast = Vec::new();
    let mut windowed = (0usize, 0usize, 20usize, Vec::new());
    // Hits of FTS5's top 20 also in the accelerator's, hits compared,
    // pages (first and middle) in exactly FTS5's order, pages compared.
    let mut agreement = (0usize, 0usize, 0usize, 0usize);
    for (kind, queries) in &kinds {
        let (mut ours, mut reference, mut deep, mut totals) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut fast, mut fast_deep) = (Vec::new(), Vec::new());
        for q in queries.iter().take(timed_per_kind()) {
            let t = Instant::now();
            let fast_page = session.search(q, &first_page).expect("search");
            fast.push(t.elapsed());
            let middle = fast_page.total / 2 / 20 * 20;
            let t = Instant::now();
            let fast_middle = session
                .search(
                    q,
                    &SearchFilter {
                        offset: Some(middle),
                        ..first_page.clone()
                    },
                )
                .expect("search");
            fast_deep.push(t.elapsed());
            assert_eq!(fast_middle.total, fast_page.total);
            let conn = session.danger_connection();
            let t = Instant::now();
            let page = search::search(conn, q, &first_page).expect("search");
            ours.push(t.elapsed());
            let t = Instant::now();
            let plain_page = search::search(&plain, q, &first_page).expect("search");
            reference.push(t.elapsed());
            assert_eq!(
                plain_page.total, page.total,
                "{q}: the same index counts the same"
            );
            assert_eq!(
                fast_page.total, page.total,
                "{q}: the accelerator counts as FTS5"
            );
            let exact: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
            agreement.0 += fast_page
                .hits
                .iter()
                .filter(|h| exact.contains(&h.document_id))
                .count();
            agreement.1 += exact.len();
            let ids = |p: &search::SearchPage| -> Vec<i64> {
                p.hits.iter().map(|h| h.document_id).collect()
            };
            agreement.2 += usize::from(ids(&fast_page) == exact);
            let middle = page.total / 2 / 20 * 20;
            let t = Instant::now();
            let deep_page = search::search(
                conn,
                q,
                &SearchFilter {
                    offset: Some(middle),
                    ..first_page.clone()
                },
            )
            .expect("search");
            deep.push(t.elapsed());
            assert_eq!(deep_page.total, page.total);
            agreement.2 += usize::from(ids(&fast_middle) == ids(&deep_page));
            agreement.3 += 2;
            totals.push(page.total);
            if *kind == "common word" || *kind == "two words" || *kind == "prefix" {
                let t = Instant::now();
                let old = windowed_top(session.danger_connection(), q, 20);
                windowed.3.push(t.elapsed());
                if page.total >= 20 {
                    let exact: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
                    let shared = old.iter().filter(|id| exact.contains(id)).count();
                    windowed.0 += shared;
                    windowed.1 += 20;
                    windowed.2 = windowed.2.min(shared);
                }
            }
        }
        for v in [
            &mut ours,
            &mut reference,
            &mut deep,
            &mut fast,
            &mut fast_deep,
        ] {
            v.sort();
        }
        totals.sort();
        println!(
            "{:<14} {:>9} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {}",
            kind,
            totals[totals.len() / 2],
            ms(percentile(&ours, 0.5)),
            ms(percentile(&ours, 0.95)),
            ms(percentile(&reference, 0.5)),
            ms(percentile(&reference, 0.95)),
            ms(percentile(&deep, 0.5)),
            ms(percentile(&deep, 0.95)),
            ms(percentile(&fast, 0.5)),
            ms(percentile(&fast, 0.95)),
            ms(percentile(&fast_deep, 0.5)),
            ms(percentile(&fast_deep, 0.95)),
        );
        all_first.extend(ours);
        all_fast.extend(fast);
    }
    all_first.sort();
    all_fast.sort();
    println!(
        "all kinds: first page + exact count p50 {} p95 {}; accelerated p50 {} p95 {}",
        ms(percentile(&all_first, 0.5)),
        ms(percentile(&all_first, 0.95)),
        ms(percentile(&all_fast, 0.5)),
        ms(percentile(&all_fast, 0.95))
    );
    if agreement.1 > 0 {
        println!(
            "accelerated top 20 held {:.1}% of FTS5's bm25 top 20; {} of {} pages (first and middle) in exactly FTS5's order",
            100.0 * agreement.0 as f64 / agreement.1 as f64,
            agreement.2,
            agreement.3
        );
    }
    let (overlap, compared, worst, mut before) = windowed;
    before.sort();
    if !before.is_empty() {
        println!(
            "before: ranking among the newest {WINDOW} + names, no count, no snippets, p50/p95 {} / {}",
            ms(percentile(&before, 0.5)),
            ms(percentile(&before, 0.95))
        );
    }
    if compared > 0 {
        println!(
            "before: its top 20 held {:.1}% of the exact top 20 (worst query {worst} of 20)",
            100.0 * overlap as f64 / compared as f64
        );
    }
    drop(plain);
    long_document(&dir.path().join("long"));
    if let Some(peak) = peak_memory() {
        println!("peak memory of the whole run {}", mib(peak));
    }
}

/// The median time of `runs` searches for `word` in one matter.
fn median_search(s: &mut Session, word: &str, matter: i64, runs: usize) -> Duration {
    let filter = SearchFilter {
        matter_id: Some(matter),
        ..Default::default()
    };
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let hits = s.search(word, &filter).expect("search").hits;
            assert_eq!(hits.len(), 1, "one document per matter");
            assert!(hits[0].snippet.contains('['), "{:?}", hits[0].snippet);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// A transcript or a log repeats its words: one search whose hit is a
/// document of 30,000 lines each holding the word, beside the same search
/// whose hit is an ordinary 1 KB document holding it once. Both documents
/// are imported as text files, each into its own matter of a new vault.
fn long_document(dir: &Path) {
    const LINES: usize = 30_000;
    const RUNS: usize = 3;
    std::fs::create_dir_all(dir).expect("folder");
    let (mut s, client) = support::vault_with_client(dir, "long");
    let long: String = (0..LINES)
        .map(|i| format!("Line {i:05}: objection.\n"))
        .collect();
    let mut words = Words::new();
    let short = format!("{} objection {}", words.text(500), words.text(500));
    let mut import = |name: &str, text: &str| {
        let matter = support::open_matter(&mut s, client, name);
        let file = dir.join(name);
        std::fs::write(&file, text).expect("text file");
        s.import_document(matter, &file, None, false)
            .expect("import");
        matter
    };
    let long_matter = import("transcript.txt", &long);
    let short_matter = import("letter.txt", &short);
    let long_time = median_search(&mut s, "objection", long_matter, RUNS);
    let short_time = median_search(&mut s, "objection", short_matter, RUNS);
    println!(
        "== One search whose hit is a {} KB document repeating the word on each of its {LINES} lines (median of {RUNS})",
        long.len() / 1000
    );
    println!(
        "long document                    {}   | same search, a {} KB document holding it once {}",
        ms(long_time),
        short.len() / 1000,
        ms(short_time)
    );
}

/// The window of newest documents the search ranked before every match was.
const WINDOW: i64 = 10_000;

/// The top `limit` ids as the search chose them before (ids only): bm25
/// among the matches in the newest [`WINDOW`] documents, plus matches in
/// titles, file names, tags and notes among all, rescored on the whole
/// query; every match only when the window held fewer than `limit`.
fn windowed_top(c: &rusqlite::Connection, text: &str, limit: i64) -> Vec<i64> {
    const SCORE: &str = "bm25(document_search, 5.0, 2.0, 1.0, 3.0, 1.0)";
    let query = search::Query::parse(text).fts_must().expect("query");
    let pass = |q: &str, after: i64| -> Vec<(i64, f64)> {
        let mut st = c
            .prepare_cached(&format!(
                "SELECT s.rowid, {SCORE} AS score FROM document_search s
                 CROSS JOIN documents d ON d.id = s.rowid
                 WHERE document_search MATCH ?1 AND s.rowid > ?2 AND d.trashed_at IS NULL
                 ORDER BY score, s.rowid LIMIT ?3"
            ))
            .expect("prepare");
        st.query_map(rusqlite::params![q, after, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    let newest: i64 = c
        .query_row("SELECT coalesce(max(id), 0) FROM documents", [], |r| {
            r.get(0)
        })
        .expect("newest");
    let mut scores: Vec<(i64, f64)> = if newest > WINDOW {
        pass(&query, newest - WINDOW)
    } else {
        Vec::new()
    };
    if (scores.len() as i64) < limit {
        scores = pass(&query, 0);
    } else {
        let names = format!("{{title original_name meta}} : ({query})");
        let mut rescore = c
            .prepare_cached(&format!(
                "SELECT {SCORE} FROM document_search WHERE document_search MATCH ?1 AND rowid = ?2"
            ))
            .expect("prepare");
        for (id, _) in pass(&names, 0) {
            if scores.iter().all(|(s, _)| *s != id) {
                let score: f64 = rescore
                    .query_row(rusqlite::params![query, id], |r| r.get(0))
                    .expect("rescore");
                scores.push((id, score));
            }
        }
    }
    scores.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    scores.truncate(limit as usize);
    scores.into_iter().map(|(id, _)| id).collect()
}
