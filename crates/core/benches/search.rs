//! Full-text search over 100,000 synthetic documents of about 1 KB of text
//! each: time to index them, and query latency p50/p95 of the first page
//! (top 20 with the exact count of matches) beside the same queries on an
//! unencrypted SQLite copy of the same index; a deep page (from the middle
//! of the matches); and, as the before, the ranking the search did until
//! every match was ranked (the newest 10,000 documents plus title and name
//! matches), with how many of its top 20 were the exact top 20. Then a search
//! whose hit is a long document repeating the word on each of its 30,000
//! lines, beside the same search whose hit is a 1 KB document.
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
/// `MATTERBOX_BENCH_SEARCH_DOCS` names another size (a quicker run).
fn docs() -> usize {
    std::env::var("MATTERBOX_BENCH_SEARCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
const QUERIES: usize = 300;

/// A deterministic pseudo-word vocabulary and generator.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
}

impl Words {
    fn new() -> Self {
        let syllables = [
            "ka", "lo", "mi", "ter", "vos", "an", "qui", "del", "ru", "sen", "pa", "tor", "el",
            "mon", "gra", "ve",
        ];
        let mut w = Self {
            state: 0x9e37_79b9_7f4a_7c15,
            vocabulary: Vec::new(),
        };
        for _ in 0..5000 {
            let n = 2 + (w.next() % 3) as usize;
            let word: String = (0..n)
                .map(|_| syllables[(w.next() % syllables.len() as u64) as usize])
                .collect();
            w.vocabulary.push(word);
        }
        w
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn word(&mut self) -> String {
        // Skewed towards common words, as real text is.
        let r = self.next() % 1000;
        let i = (r * r / 1000) as usize * self.vocabulary.len() / 1000;
        self.vocabulary[i.min(self.vocabulary.len() - 1)].clone()
    }

    fn text(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes + 16);
        while s.len() < bytes {
            s.push_str(&self.word());
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

fn main() {
    let docs = docs();
    let dir = tempfile::tempdir().expect("temporary folder");
    let (mut session, client) = support::vault_with_client(dir.path(), "search");
    let matter = support::open_matter(&mut session, client, "Bench matter");

    let mut words = Words::new();
    let conn = session.danger_connection();
    let started = Instant::now();
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
        search::index(
            conn,
            i as i64 + 1,
            &format!("Document {i}"),
            &format!("doc-{i}.txt"),
            &body,
            TextStatus::Extracted,
        )
        .expect("index");
    }
    conn.execute_batch("COMMIT").expect("commit");
    let indexing = started.elapsed();

    let plain = support::plain_copy(&session, &dir.path().join("plain.db"));

    let queries: Vec<String> = (0..QUERIES)
        .map(|i| match i % 3 {
            0 => words.word(),
            1 => format!("{} {}", words.word(), words.word()),
            _ => {
                let w = words.word();
                format!("{}*", &w[..w.len().min(4)])
            }
        })
        .collect();
    let first_page = SearchFilter {
        limit: Some(20),
        ..Default::default()
    };
    let run = |c: &rusqlite::Connection| {
        let mut times = Vec::new();
        let mut pages = Vec::new();
        for q in &queries {
            let t = Instant::now();
            let page = search::search(c, q, &first_page).expect("search");
            times.push(t.elapsed());
            pages.push(page);
        }
        times.sort();
        (times, pages)
    };
    let (ours, pages) = run(conn);
    let (reference, _) = run(&plain);
    let mut deep = Vec::new();
    let mut before = Vec::new();
    let (mut overlap, mut compared, mut worst) = (0usize, 0usize, 20usize);
    for (q, page) in queries.iter().zip(&pages) {
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
        let t = Instant::now();
        let old = windowed_top(conn, q, 20);
        before.push(t.elapsed());
        if page.total >= 20 {
            let exact: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
            let shared = old.iter().filter(|id| exact.contains(id)).count();
            overlap += shared;
            compared += 20;
            worst = worst.min(shared);
        }
    }
    deep.sort();
    before.sort();
    let totals: Vec<u64> = pages.iter().map(|p| p.total).collect();
    println!(
        "== Full-text search, {docs} documents of ~1 KB, {QUERIES} queries (1 word, 2 words, prefix), every match ranked"
    );
    println!(
        "(matches per query: median {}, max {})",
        {
            let mut t = totals.clone();
            t.sort();
            t[t.len() / 2]
        },
        totals.iter().max().unwrap_or(&0)
    );
    println!(
        "indexing {docs} documents            {:8.1} s",
        indexing.as_secs_f64()
    );
    println!(
        "first page + count p50 (SQLCipher) {}   | same index, plain SQLite   {}",
        ms(percentile(&ours, 0.5)),
        ms(percentile(&reference, 0.5))
    );
    println!(
        "first page + count p95 (SQLCipher) {}   | same index, plain SQLite   {}",
        ms(percentile(&ours, 0.95)),
        ms(percentile(&reference, 0.95))
    );
    println!(
        "middle page p50/p95 (SQLCipher)    {} / {}",
        ms(percentile(&deep, 0.5)),
        ms(percentile(&deep, 0.95))
    );
    println!(
        "before: ranking among the newest {WINDOW} + names, no count, no snippets, p50/p95 {} / {}",
        ms(percentile(&before, 0.5)),
        ms(percentile(&before, 0.95))
    );
    if compared > 0 {
        println!(
            "before: its top 20 held {:.1}% of the exact top 20 (worst query {worst} of 20)",
            100.0 * overlap as f64 / compared as f64
        );
    }
    long_document(&dir.path().join("long"));
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
