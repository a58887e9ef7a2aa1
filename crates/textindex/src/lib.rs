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
//! Scoring is Tantivy's BM25 per column, weighted as the vault weighs the
//! columns (title 5, tags and notes 3, file name 2, text 1, recognised
//! text 1) and summed; ties go to the lower document id, so pages of one
//! search never overlap or skip a match.

use std::cmp::Reverse;
use std::ops::Bound;
use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, SegmentReader, TantivyDocument, Term,
};

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
/// Each column's weight in the score, as the vault's bm25 weighs them.
const WEIGHTS: [f32; 5] = [5.0, 2.0, 1.0, 3.0, 1.0];
/// A single-word prefix expands into at most this many scored words (per
/// column); beyond, it matches every word so starting at one constant
/// score (the count stays exact, only the order within it is lost).
const SCORED_EXPANSIONS: usize = 256;
/// Pages reaching further than this into the matches are counted first,
/// and cut to the count (one more pass, against reserving room for a page
/// of four billion).
const COUNT_FIRST: usize = 10_000;
/// Memory for the writer's buffer (Tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 50_000_000;

/// A hit's place in the order: its score, then its id (lower first).
type Ranked = (f32, Reverse<u64>);

/// One document as the index holds it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    pub id: u64,
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

struct Fields {
    id: Field,
    matter: Field,
    client: Field,
    day: Field,
    tags: Field,
    columns: [Field; 5],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_u64_field("id", INDEXED | FAST);
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
    /// first, ties by id.
    pub fn search(&self, plan: &Plan) -> Result<(u64, Vec<u64>)> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let query = self.query(plan, &searcher)?;
        // Tantivy reserves room for the whole page: a page asking for
        // every match (`--all`) is cut to what there is first.
        let mut limit = plan.limit;
        if limit == 0 || plan.offset.saturating_add(limit) > COUNT_FIRST {
            let total = searcher.search(&query, &Count)?;
            limit = limit.min(total.saturating_sub(plan.offset));
            if limit == 0 {
                return Ok((total as u64, Vec::new()));
            }
        }
        let id_field = "id";
        let top = TopDocs::with_limit(limit)
            .and_offset(plan.offset)
            .tweak_score(move |segment: &SegmentReader| {
                let ids = segment.fast_fields().u64(id_field).ok();
                move |doc, score: f32| {
                    let id = ids.as_ref().and_then(|c| c.first(doc)).unwrap_or(u64::MAX);
                    (score, Reverse(id))
                }
            });
        let (total, hits): (usize, Vec<(Ranked, DocAddress)>) =
            searcher.search(&query, &(Count, top))?;
        let ids = hits.into_iter().map(|((_, Reverse(id)), _)| id).collect();
        Ok((total as u64, ids))
    }

    fn query(&self, plan: &Plan, searcher: &tantivy::Searcher) -> Result<Box<dyn Query>> {
        if plan.must.is_empty() {
            return Err(IndexError("a search needs a word that must match".into()));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
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
            // Filters never score.
            clauses.push((occur, Box::new(BoostQuery::new(q, 0.0))));
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
                let columns: &[usize] = if *title_only { &[0] } else { &[0, 1, 2, 3, 4] };
                let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for &c in columns {
                    let q = self.words_in(self.fields.columns[c], words, *prefix, searcher)?;
                    parts.push((Occur::Should, Box::new(BoostQuery::new(q, WEIGHTS[c]))));
                }
                Ok(Box::new(BooleanQuery::new(parts)))
            }
        }
    }

    fn words_in(
        &self,
        field: Field,
        words: &[String],
        prefix: bool,
        searcher: &tantivy::Searcher,
    ) -> Result<Box<dyn Query>> {
        let term = |w: &str| Term::from_field_text(field, w);
        let scored = |t: Term| -> Box<dyn Query> {
            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
        };
        Ok(match (words, prefix) {
            ([], _) => Box::new(EmptyQuery),
            ([w], false) => scored(term(w)),
            ([w], true) => match expand(searcher, field, w, SCORED_EXPANSIONS)? {
                Some(words) => Box::new(BooleanQuery::new(
                    words
                        .into_iter()
                        .map(|w| (Occur::Should, scored(term(&w))))
                        .collect(),
                )),
                None => {
                    let mut q = PhrasePrefixQuery::new(vec![term(w)]);
                    q.set_max_expansions(most_expansions(searcher, field, w)?);
                    Box::new(q)
                }
            },
            (many, false) => Box::new(PhraseQuery::new(many.iter().map(|w| term(w)).collect())),
            (many, true) => {
                let mut q = PhrasePrefixQuery::new(many.iter().map(|w| term(w)).collect());
                let last = many.last().map(String::as_str).unwrap_or_default();
                q.set_max_expansions(most_expansions(searcher, field, last)?);
                Box::new(q)
            }
        })
    }

    /// How many documents the index holds (for tests and the bench).
    pub fn len(&self) -> Result<u64> {
        self.reader.reload()?;
        Ok(self.reader.searcher().num_docs())
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Calls `each` with every word of `field` that starts with `prefix`,
/// segment by segment (with the segment's number; a word in two segments
/// comes twice), until it returns `false`.
fn prefixed(
    searcher: &tantivy::Searcher,
    field: Field,
    prefix: &str,
    mut each: impl FnMut(usize, &[u8]) -> bool,
) -> Result<()> {
    for (i, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()?;
        while stream.advance() && stream.key().starts_with(prefix.as_bytes()) {
            if !each(i, stream.key()) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The most words of `field` starting with `prefix` in any one segment: a
/// prefix query is given exactly this as its limit (Tantivy reserves room
/// for its limit, and stops at it: a lower one would lose matches).
fn most_expansions(searcher: &tantivy::Searcher, field: Field, prefix: &str) -> Result<u32> {
    let mut counts = vec![0u32; searcher.segment_readers().len()];
    prefixed(searcher, field, prefix, |i, _| {
        counts[i] = counts[i].saturating_add(1);
        true
    })?;
    Ok(counts.into_iter().max().unwrap_or(0).max(1))
}

/// The words of `field` that start with `prefix`, over every segment, if
/// there are at most `most`.
fn expand(
    searcher: &tantivy::Searcher,
    field: Field,
    prefix: &str,
    most: usize,
) -> Result<Option<Vec<String>>> {
    let mut words = std::collections::BTreeSet::new();
    let mut too_many = false;
    prefixed(searcher, field, prefix, |_, word| {
        words.insert(String::from_utf8_lossy(word).into_owned());
        too_many = words.len() > most;
        !too_many
    })?;
    Ok((!too_many).then(|| words.into_iter().collect()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
