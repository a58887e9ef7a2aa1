//! The search accelerator: a Tantivy index of the documents' words, kept
//! only encrypted on disk ([`crypt_dir`]), that answers a search's exact
//! count and best page in milliseconds where ranking every match with
//! FTS5's bm25 takes seconds at a million documents.
//!
//! It is derived data. The vault's FTS5 index, in the SQLCipher database,
//! stays the system of record: this index is filled from it, says in its
//! commit payload how far it got (the caller's opaque text), and can be
//! thrown away and rebuilt at any time. Nothing here reads text: the caller
//! hands in words already cut and folded exactly as FTS5 cuts and folds
//! them, with their positions, so counts agree with FTS5's.
//!
//! Tantivy finds the matches; they are scored by FTS5's own `bm25()`
//! formula, step by step as SQLite computes it ([`bm25`]), so the best-first
//! order is the vault index's, score for score. Ties go to the lower
//! document id, so pages of one search never overlap or skip a match. For
//! that, the index holds every row of the vault's index, trashed documents
//! too (flagged, never matched): the table's size, average length and
//! per-word document counts are then FTS5's.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::Count;
use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::postings::TermInfo;
use tantivy::query::{
    BooleanQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

mod bm25;
pub mod crypt_dir;

use crypt_dir::CryptDir;

/// What went wrong in the index; the caller answers from FTS5 instead.
#[derive(Debug)]
pub struct IndexError(pub String);

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "search index: {}", self.0)
    }
}

impl std::error::Error for IndexError {}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError(e.to_string())
    }
}

impl From<std::io::Error> for IndexError {
    fn from(e: std::io::Error) -> Self {
        IndexError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// The indexed columns, in the vault index's order.
pub const COLUMNS: [&str; 5] = ["title", "original_name", "body", "meta", "ocr"];
/// Memory for the writer's buffer (Tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 50_000_000;

/// One row of the vault's index as the accelerator holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    pub id: u64,
    /// Whether searches may find it (`false` for a trashed document: it
    /// is held only so the table's figures are FTS5's).
    pub live: bool,
    pub matter: u64,
    pub client: u64,
    /// The day it was added, in days since 1970-01-01.
    pub day: i64,
    /// Its tags, each as one term (ASCII letters lower-cased).
    pub tags: Vec<String>,
    /// Each column's words in order, folded (see the crate's doc).
    pub columns: [Vec<String>; 5],
}

/// A condition on the words.
#[derive(Clone, Debug, PartialEq)]
pub enum Clause {
    /// These words side by side in one column (one word is just the word);
    /// with `prefix` the last is the start of a word. `title_only`: only
    /// in the title.
    Words {
        words: Vec<String>,
        prefix: bool,
        title_only: bool,
    },
    /// Any of these.
    Any(Vec<Clause>),
}

/// A condition on the document's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Matter(u64),
    Client(u64),
    /// Tagged so (the term as [`Doc::tags`] holds it).
    Tag(String),
    /// Added in this span of days (either end open).
    Days {
        from: Option<i64>,
        to: Option<i64>,
    },
}

/// A search: what must match and what must not, the record's conditions
/// (each possibly negated), and the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub must: Vec<Clause>,
    pub must_not: Vec<Clause>,
    pub filters: Vec<(Filter, bool)>,
    pub offset: usize,
    pub limit: usize,
}

impl Plan {
    /// Whether FTS5 scores this plan's matches by their words alone, as
    /// the accelerator does. It does not for one shape: words excluded,
    /// two or more conditions, one of them an `OR`, and a condition that
    /// can hold a row's words without matching it (a phrase of several
    /// words, or a title-only one). FTS5 then walks the `AND` under its
    /// `NOT` lazily; on a row holding such words in the wrong places it
    /// clears the instances of every phrase below, including those of an
    /// `OR`'s phrase that already stands on a later row, and that phrase
    /// then counts nothing on the row it matches (`fts5ExprNodeTest_AND`
    /// with `fts5ExprNodeZeroPoslist` in SQLite's `fts5_expr.c`). Which
    /// rows lose instances depends on FTS5's walk; such plans are FTS5's
    /// to rank.
    pub fn scored_as_fts5(&self) -> bool {
        fn can_hold_without_matching(c: &Clause) -> bool {
            match c {
                Clause::Any(any) => any.iter().any(can_hold_without_matching),
                Clause::Words {
                    words, title_only, ..
                } => words.len() > 1 || *title_only,
            }
        }
        self.must_not.is_empty()
            || self.must.len() < 2
            || !self.must.iter().any(|c| matches!(c, Clause::Any(_)))
            || !self.must.iter().any(can_hold_without_matching)
    }
}

struct Fields {
    id: Field,
    live: Field,
    /// The row's tokens over every column.
    len: Field,
    matter: Field,
    client: Field,
    day: Field,
    tags: Field,
    columns: [Field; 5],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_u64_field("id", INDEXED | FAST);
    let live = b.add_u64_field("live", INDEXED);
    let len = b.add_u64_field("len", FAST);
    let matter = b.add_u64_field("matter", INDEXED);
    let client = b.add_u64_field("client", INDEXED);
    let day = b.add_i64_field("day", INDEXED);
    let tags = b.add_text_field("tags", STRING);
    // Words arrive cut and folded (pre-tokenized); positions for phrases.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let columns = COLUMNS.map(|name| b.add_text_field(name, text.clone()));
    (
        b.build(),
        Fields {
            id,
            live,
            len,
            matter,
            client,
            day,
            tags,
            columns,
        },
    )
}

/// An open index: one generation's folder under its key.
pub struct TextIndex {
    dir: CryptDir,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Each segment's tokens over its live and trashed documents, by its
    /// id and deletions (for the average length).
    tokens: Mutex<HashMap<(SegmentId, Option<u64>), u64>>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextIndex")
    }
}

impl TextIndex {
    /// Opens the index in `folder` under `key`, creating an empty one if
    /// the folder holds none. A folder sealed under another key, or
    /// altered, fails here or at the first read.
    pub fn open(folder: &Path, key: &[u8; 32]) -> Result<TextIndex> {
        let dir = CryptDir::new(folder, key)?;
        let (schema, fields) = schema();
        let index = Index::open_or_create(dir.clone(), schema)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TextIndex {
            dir,
            index,
            reader,
            fields,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The payload of the last commit (`None` before the first).
    pub fn committed(&self) -> Result<Option<String>> {
        Ok(self.index.load_metas()?.payload)
    }

    /// Replaces the documents `ids` by `docs` (an id not among `docs` is
    /// removed) and commits with `payload`, which [`TextIndex::committed`]
    /// returns from then on. All or nothing: a crash before the commit
    /// leaves the index as it was.
    ///
    /// The caller serialises updates, across processes too (the vault's
    /// write lock). Each update opens the index afresh: Tantivy's list of
    /// the files it manages is read when an index is opened and written
    /// whole on each change, so an index kept open across another
    /// process's commits would drop that process's files from the list
    /// (never collected again).
    pub fn update(&self, ids: &[u64], docs: &[Doc], payload: &str) -> Result<()> {
        let index = Index::open(self.dir.clone())?;
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, WRITER_MEMORY)?;
        for id in ids.iter().chain(docs.iter().map(|d| &d.id)) {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id));
        }
        for d in docs {
            writer.add_document(self.document(d))?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(payload);
        commit.commit()?;
        // Merges run now, so small commits do not pile up as segments.
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    fn document(&self, d: &Doc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, d.id);
        doc.add_u64(f.live, u64::from(d.live));
        let len: usize = d.columns.iter().map(Vec::len).sum();
        doc.add_u64(f.len, len as u64);
        doc.add_u64(f.matter, d.matter);
        doc.add_u64(f.client, d.client);
        doc.add_i64(f.day, d.day);
        for t in &d.tags {
            doc.add_text(f.tags, t);
        }
        for (field, words) in f.columns.iter().zip(&d.columns) {
            if words.is_empty() {
                continue;
            }
            let tokens = words
                .iter()
                .enumerate()
                .map(|(position, w)| Token {
                    offset_from: 0,
                    offset_to: 0,
                    position,
                    text: w.clone(),
                    position_length: 1,
                })
                .collect();
            doc.add_pre_tokenized_text(
                *field,
                PreTokenizedString {
                    text: String::new(),
                    tokens,
                },
            );
        }
        doc
    }

    /// How many documents the plan matches, and the ids of its page: best
    /// first as FTS5's bm25 ranks them, ties by id (where
    /// [`Plan::scored_as_fts5`]; otherwise by the words' bm25).
    pub fn search(&self, plan: &Plan) -> Result<(u64, Vec<u64>)> {
        let (total, hits) = self.ranked(plan)?;
        let ids = hits.into_iter().skip(plan.offset).map(|h| h.id).collect();
        Ok((total, ids))
    }

    /// The count, and the best hits up to the page's end with their scores.
    fn ranked(&self, plan: &Plan) -> Result<(u64, Vec<bm25::Hit>)> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let query = self.query(plan, &searcher)?;
        let phrases = bm25::phrases(&plan.must);
        let mut hits = Vec::with_capacity(phrases.len());
        for p in &phrases {
            let q = self.words_anywhere(&p.words, p.prefix, p.columns, &searcher)?;
            hits.push(searcher.search(&q, &Count)? as u64);
        }
        let ranker = bm25::Ranker {
            stats: bm25::Stats::new(searcher.num_docs(), self.tokens(&searcher)?, &hits),
            phrases,
            columns: self.fields.columns,
            keep: plan.offset.saturating_add(plan.limit),
        };
        Ok(searcher.search(&query, &ranker)?)
    }

    /// The tokens of every document held (live or trashed), each
    /// segment's counted once and remembered.
    fn tokens(&self, searcher: &Searcher) -> Result<u64> {
        let mut known = self
            .tokens
            .lock()
            .map_err(|_| IndexError("a search panicked".into()))?;
        let mut total = 0u64;
        let mut current = Vec::new();
        for segment in searcher.segment_readers() {
            let key = (segment.segment_id(), segment.delete_opstamp());
            let tokens = match known.get(&key) {
                Some(&t) => t,
                None => {
                    let lengths = segment.fast_fields().u64("len")?;
                    let t = segment
                        .doc_ids_alive()
                        .map(|doc| lengths.first(doc).unwrap_or(0))
                        .sum();
                    known.insert(key, t);
                    t
                }
            };
            total += tokens;
            current.push(key);
        }
        known.retain(|k, _| current.contains(k));
        Ok(total)
    }

    fn query(&self, plan: &Plan, searcher: &tantivy::Searcher) -> Result<Box<dyn Query>> {
        if plan.must.is_empty() {
            return Err(IndexError("a search needs a word that must match".into()));
        }
        let live: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_u64(self.fields.live, 1),
            IndexRecordOption::Basic,
        ));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, live)];
        for c in &plan.must {
            clauses.push((Occur::Must, self.clause(c, searcher)?));
        }
        for c in &plan.must_not {
            clauses.push((Occur::MustNot, self.clause(c, searcher)?));
        }
        for (filter, negated) in &plan.filters {
            let q = self.filter(filter);
            let occur = if *negated {
                Occur::MustNot
            } else {
                Occur::Must
            };
            clauses.push((occur, q));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn filter(&self, filter: &Filter) -> Box<dyn Query> {
        let f = &self.fields;
        let term =
            |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
        match filter {
            Filter::Matter(m) => term(Term::from_field_u64(f.matter, *m)),
            Filter::Client(c) => term(Term::from_field_u64(f.client, *c)),
            Filter::Tag(t) => term(Term::from_field_text(f.tags, t)),
            Filter::Days { from, to } => {
                let bound = |d: &Option<i64>| match d {
                    Some(d) => Bound::Included(Term::from_field_i64(f.day, *d)),
                    None => Bound::Unbounded,
                };
                Box::new(RangeQuery::new(bound(from), bound(to)))
            }
        }
    }

    fn clause(&self, clause: &Clause, searcher: &tantivy::Searcher) -> Result<Box<dyn Query>> {
        match clause {
            Clause::Any(any) => {
                let mut parts = Vec::new();
                for c in any {
                    parts.push((Occur::Should, self.clause(c, searcher)?));
                }
                Ok(Box::new(BooleanQuery::new(parts)))
            }
            Clause::Words {
                words,
                prefix,
                title_only,
            } => {
                let columns = if *title_only {
                    &[0][..]
                } else {
                    &[0, 1, 2, 3, 4]
                };
                self.words_anywhere(words, *prefix, columns, searcher)
            }
        }
    }

    /// `words` side by side in any of `columns`.
    fn words_anywhere(
        &self,
        words: &[String],
        prefix: bool,
        columns: &[usize],
        searcher: &Searcher,
    ) -> Result<Box<dyn Query>> {
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for &c in columns {
            let q = self.words_in(self.fields.columns[c], words, prefix, searcher)?;
            parts.push((Occur::Should, q));
        }
        Ok(Box::new(BooleanQuery::new(parts)))
    }

    /// `words` side by side in `field` (matching only: [`bm25`] scores).
    fn words_in(
        &self,
        field: Field,
        words: &[String],
        prefix: bool,
        searcher: &Searcher,
    ) -> Result<Box<dyn Query>> {
        let term = |w: &str| Term::from_field_text(field, w);
        Ok(match (words, prefix) {
            ([], _) => Box::new(EmptyQuery),
            ([w], false) => Box::new(TermQuery::new(term(w), IndexRecordOption::Basic)),
            (many, false) => Box::new(PhraseQuery::new(many.iter().map(|w| term(w)).collect())),
            (many, true) => {
                let mut q = PhrasePrefixQuery::new(many.iter().map(|w| term(w)).collect());
                let last = many.last().map(String::as_str).unwrap_or_default();
                q.set_max_expansions(most_expansions(searcher, field, last)?);
                Box::new(q)
            }
        })
    }

    /// How many rows the index holds, live and trashed (for tests and the
    /// bench).
    pub fn len(&self) -> Result<u64> {
        self.reader.reload()?;
        Ok(self.reader.searcher().num_docs())
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Calls `each` with every word of a segment's column that starts with
/// `prefix`, in order, and its term information, until it returns `false`.
fn each_prefixed(
    inverted: &InvertedIndexReader,
    prefix: &str,
    mut each: impl FnMut(&[u8], &TermInfo) -> bool,
) -> std::io::Result<()> {
    let mut stream = inverted
        .terms()
        .range()
        .ge(prefix.as_bytes())
        .into_stream()?;
    while stream.advance() && stream.key().starts_with(prefix.as_bytes()) {
        if !each(stream.key(), stream.value()) {
            break;
        }
    }
    Ok(())
}

/// The most words of `field` starting with `prefix` in any one segment: a
/// prefix query is given exactly this as its limit (Tantivy reserves room
/// for its limit, and stops at it: a lower one would lose matches).
fn most_expansions(searcher: &Searcher, field: Field, prefix: &str) -> Result<u32> {
    let mut most = 0u32;
    for segment in searcher.segment_readers() {
        let mut count = 0u32;
        each_prefixed(&*segment.inverted_index(field)?, prefix, |_, _| {
            count = count.saturating_add(1);
            true
        })?;
        most = most.max(count);
    }
    Ok(most.max(1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
