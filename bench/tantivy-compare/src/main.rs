//! The search benchmark's corpus and queries over a Tantivy index kept
//! encrypted at rest ([`crypt_dir::CryptDir`]), to set beside
//! `cargo bench -p matterbox-core --features test-support --bench search`
//! (FTS5 inside SQLCipher) on the same data: p50/p95 of the first page of
//! 20 with the exact count of matches and of a page from the middle of the
//! matches, per kind of query; index size; indexing throughput; memory.
//!
//! The corpus is the search bench's, byte for byte: the same generator
//! (copied below from `crates/core/benches/search.rs`, same seed, same
//! vocabulary, same Zipf exponent, the same documents and queries in the
//! same order), so the match counts printed here equal the bench's.
//!
//! Run: `cd bench/tantivy-compare && cargo run --release`
//! (`MATTERBOX_BENCH_SEARCH_DOCS` for another size, as the bench).

mod crypt_dir;

use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexWriter, Term, doc};
use zeroize::Zeroizing;

use crypt_dir::CryptDir;

fn docs() -> usize {
    std::env::var("MATTERBOX_BENCH_SEARCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}
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

// ---- Copied from crates/core/benches/search.rs: keep in step. ----

struct Words {
    state: u64,
    vocabulary: Vec<String>,
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

    fn ranked(&self, rank: usize) -> &str {
        &self.vocabulary[rank.min(VOCABULARY - 1)]
    }

    fn word(&mut self) -> &str {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let rank = self.cumulative.partition_point(|&c| c < u);
        self.ranked(rank)
    }

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

// ---- End of the copy. ----

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
}

fn status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Fields {
    id: Field,
    title: Field,
    name: Field,
    text: Field,
}

/// The query language's subset the bench uses — words (all must match),
/// one "phrase", `prefix*`, `-excluded` — over title, file name and text,
/// as the app's parser turns them into an FTS5 query.
fn build(q: &str, f: &Fields) -> Box<dyn Query> {
    let searched = [f.title, f.name, f.text];
    let any_field = |make: &dyn Fn(Field) -> Box<dyn Query>| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            searched
                .iter()
                .map(|&field| (Occur::Should, make(field)))
                .collect(),
        ))
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(inner) = q.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        let words: Vec<String> = inner.split_whitespace().map(str::to_string).collect();
        clauses.push((
            Occur::Must,
            any_field(&|field| {
                Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(field, w))
                        .collect(),
                ))
            }),
        ));
    } else {
        for token in q.split_whitespace() {
            let (occur, word) = match token.strip_prefix('-') {
                Some(w) => (Occur::MustNot, w),
                None => (Occur::Must, token),
            };
            let query = if let Some(prefix) = word.strip_suffix('*') {
                // Every term of the dictionary that starts so (an automaton
                // over the term dictionary): exact, no expansion limit.
                let pattern = format!("{}.*", regex_escape(prefix));
                any_field(&|field| {
                    Box::new(RegexQuery::from_pattern(&pattern, field).expect("pattern"))
                })
            } else {
                any_field(&|field| {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, word),
                        IndexRecordOption::WithFreqs,
                    ))
                })
            };
            clauses.push((occur, query));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

fn main() -> tantivy::Result<()> {
    let docs = docs();
    let base = std::env::temp_dir().join(format!("matterbox-tantivy-{}", std::process::id()));
    let index_dir = base.join("index");
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(key.as_mut());
    let dir = CryptDir::new(&index_dir, &key)?;

    let mut sb = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: sb.add_u64_field("id", INDEXED | FAST | STORED),
        title: sb.add_text_field("title", text_options.clone()),
        name: sb.add_text_field("name", text_options.clone()),
        text: sb.add_text_field("text", text_options),
    };
    let index = Index::open_or_create(dir, sb.build())?;
    let rss_before = status("VmRSS:").unwrap_or(0);

    let mut words = Words::new();
    let mut phrases = Vec::new();
    let started = Instant::now();
    let mut text_bytes = 0usize;
    // 2 threads, 100 MB of buffers: what a desktop app could afford.
    let mut writer: IndexWriter = index.writer_with_num_threads(2, 100_000_000)?;
    for i in 0..docs {
        let body = words.text(1000);
        text_bytes += body.len();
        if i % (docs / PER_KIND).max(1) == 7 {
            let mut it = body.split(' ').skip(40);
            if let (Some(a), Some(b)) = (it.next(), it.next()) {
                phrases.push(format!("{a} {b}"));
            }
        }
        writer.add_document(doc!(
            fields.id => i as u64 + 1,
            fields.title => format!("Document {i}"),
            fields.name => format!("doc-{i}.txt"),
            fields.text => body,
        ))?;
        if i % 50_000 == 49_999 {
            writer.commit()?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let indexing = started.elapsed();
    let index_size = folder_size(&index_dir);
    let peak_indexing = status("VmHWM:").unwrap_or(0);

    // Nothing of the index in clear on disk: none of the most common words
    // of 7 letters or more (shorter ones turn up in any random bytes), no
    // title, no file name.
    let probes: Vec<String> = (0..VOCABULARY)
        .map(|r| words.ranked(r).to_string())
        .filter(|w| w.len() >= 7)
        .take(20)
        .chain(["Document 12345".to_string(), "doc-12345".to_string()])
        .collect();
    for entry in std::fs::read_dir(&index_dir)? {
        let bytes = std::fs::read(entry?.path())?;
        for p in &probes {
            assert!(
                !bytes.windows(p.len()).any(|w| w == p.as_bytes()),
                "{p:?} found in clear in the index folder"
            );
        }
    }

    let reader = index.reader()?;
    let searcher = reader.searcher();
    let kinds = query_kinds(&mut words, &phrases);
    println!(
        "== {}, encrypted at rest (AES-256-GCM, {} KiB chunks), {docs} documents of ~1 KB (Zipf words, vocabulary {VOCABULARY}), {} queries of each kind, every match ranked (BM25) and counted",
        tantivy::version_string(),
        crypt_dir::CHUNK / 1024,
        timed_per_kind()
    );
    println!(
        "indexing: {:.1} s ({:.0} documents/s, {:.1} MB/s of text); index {} on disk in {} segments, no word or title found in clear",
        indexing.as_secs_f64(),
        docs as f64 / indexing.as_secs_f64(),
        text_bytes as f64 / 1e6 / indexing.as_secs_f64(),
        mib(index_size),
        searcher.segment_readers().len(),
    );
    println!(
        "{:<14} {:>9} | {:>25} | {:>25}",
        "query", "matches", "first page p50 / p95", "middle page p50 / p95"
    );
    let mut all_first = Vec::new();
    for (kind, queries) in &kinds {
        let (mut first, mut deep, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        for q in queries.iter().take(timed_per_kind()) {
            let query = build(q, &fields);
            let t = Instant::now();
            let (top, total) = searcher.search(&query, &(TopDocs::with_limit(20), Count))?;
            first.push(t.elapsed());
            assert!(top.len() == total.min(20));
            let middle = total / 2 / 20 * 20;
            let t = Instant::now();
            let (page, again) =
                searcher.search(&query, &(TopDocs::with_limit(20).and_offset(middle), Count))?;
            deep.push(t.elapsed());
            assert_eq!(again, total);
            assert!(page.len() == (total - middle).min(20));
            totals.push(total);
        }
        first.sort();
        deep.sort();
        totals.sort();
        println!(
            "{:<14} {:>9} | {} / {} | {} / {}",
            kind,
            totals[totals.len() / 2],
            ms(percentile(&first, 0.5)),
            ms(percentile(&first, 0.95)),
            ms(percentile(&deep, 0.5)),
            ms(percentile(&deep, 0.95)),
        );
        all_first.extend(first);
    }
    all_first.sort();
    println!(
        "all kinds: first page + exact count p50 {} p95 {}",
        ms(percentile(&all_first, 0.5)),
        ms(percentile(&all_first, 0.95))
    );

    // A document changed and one deleted, as the vault does all day:
    // delete by id, add again, commit, reopen the reader.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
    let t = Instant::now();
    writer.delete_term(Term::from_field_u64(fields.id, 42));
    writer.add_document(doc!(
        fields.id => 42u64,
        fields.title => "Document 41 amended",
        fields.name => "doc-41.txt",
        fields.text => words.text(1000),
    ))?;
    writer.delete_term(Term::from_field_u64(fields.id, 43));
    writer.commit()?;
    reader.reload()?;
    let update = t.elapsed();
    let count = reader.searcher().search(
        &tantivy::query::RangeQuery::new(
            Bound::Included(Term::from_field_u64(fields.id, 1)),
            Bound::Included(Term::from_field_u64(fields.id, docs as u64)),
        ),
        &Count,
    )?;
    assert_eq!(count, docs - 1, "one changed, one deleted");
    drop(writer);
    println!(
        "one document changed and one deleted, committed and visible: {}",
        ms(update)
    );
    println!(
        "memory: peak while indexing {} (resident before indexing {}); resident after the queries {}; peak of the whole run {}",
        mib(peak_indexing),
        mib(rss_before),
        mib(status("VmRSS:").unwrap_or(0)),
        mib(status("VmHWM:").unwrap_or(0)),
    );
    drop(searcher);
    drop(reader);
    drop(index);
    std::fs::remove_dir_all(&base)?;
    Ok(())
}
