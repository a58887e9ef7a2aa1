//! FTS5's `bm25()`, computed exactly as SQLite computes it, over the
//! matches Tantivy finds: the accelerator's best-first order is then the
//! order of the vault's FTS5 index itself (same scores to the last bit,
//! ties by id), not an approximation of it.
//!
//! FTS5 (`fts5_aux.c`, `fts5Bm25Function`) scores a row, for a query of
//! phrases `P0 … Pn` in the order they are written, as
//!
//! ```text
//! score = Σ idf(Pi) · f(Pi)·(k1 + 1) / (f(Pi) + k1·(1 − b + b·D/avgdl))
//! ```
//!
//! - `f(Pi)`: the phrase's instances in the row, each weighed by its
//!   column's weight (title 5, file name 2, text 1, tags and notes 3,
//!   recognised text 1);
//! - `D`: the row's tokens over all columns; `avgdl`: the table's tokens
//!   over its rows;
//! - `idf(Pi) = ln((N − n + 0.5) / (n + 0.5))`, at least `1e-6`, where `N`
//!   is the table's rows and `n` the rows holding the phrase (in its
//!   columns);
//! - `k1 = 1.2`, `b = 0.75`.
//!
//! `N`, `avgdl` and `n` are the whole table's, trashed documents
//! included: the index keeps those too (flagged, never matched), so its
//! figures are FTS5's. Phrases only excluded (`-word`) never occur in a
//! match and add nothing. Each step below is the C code's, in its order,
//! in `f64`, so the sums round alike.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::InvertedIndexReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED, Term};

use crate::Clause;

/// Each column's weight, as the vault's `bm25(document_search, 5, 2, 1,
/// 3, 1)` weighs them (in [`crate::COLUMNS`]' order).
pub(crate) const WEIGHTS: [f64; 5] = [5.0, 2.0, 1.0, 3.0, 1.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Every column, or the title alone (`title:`).
const ALL_COLUMNS: &[usize] = &[0, 1, 2, 3, 4];
const TITLE: &[usize] = &[0];

/// One phrase of the query, as FTS5 numbers them: every word or quoted
/// phrase that must or may match, left to right.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Phrase {
    pub(crate) words: Vec<String>,
    /// The last word is the start of a word.
    pub(crate) prefix: bool,
    /// The columns it is looked for in.
    pub(crate) columns: &'static [usize],
}

/// The phrases of what must match, in FTS5's order (those only excluded
/// never score).
pub(crate) fn phrases(must: &[Clause]) -> Vec<Phrase> {
    fn add(c: &Clause, out: &mut Vec<Phrase>) {
        match c {
            Clause::Any(any) => any.iter().for_each(|c| add(c, out)),
            Clause::Words {
                words,
                prefix,
                title_only,
            } => out.push(Phrase {
                words: words.clone(),
                prefix: *prefix,
                columns: if *title_only { TITLE } else { ALL_COLUMNS },
            }),
        }
    }
    let mut out = Vec::new();
    for c in must {
        add(c, &mut out);
    }
    out
}

/// The table-wide figures of one search.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stats {
    /// Each phrase's idf, in the phrases' order.
    idf: Vec<f64>,
    avgdl: f64,
}

impl Stats {
    /// From the table's rows and tokens, and how many rows hold each
    /// phrase.
    pub(crate) fn new(rows: u64, tokens: u64, hits: &[u64]) -> Stats {
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        let idf = hits
            .iter()
            .map(|&hits| {
                let hits = i64::try_from(hits).unwrap_or(i64::MAX);
                let idf = (((rows - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
                if idf <= 0.0 { 1e-6 } else { idf }
            })
            .collect();
        Stats {
            idf,
            avgdl: tokens as f64 / rows as f64,
        }
    }

    /// A row's score from its weighed phrase frequencies and its length
    /// (higher is better: FTS5 returns its negative).
    pub(crate) fn score(&self, freqs: &[f64], length: u64) -> f64 {
        let d = length as f64;
        let mut score = 0.0;
        for (idf, &freq) in self.idf.iter().zip(freqs) {
            score += idf * ((freq * (K1 + 1.0)) / (freq + K1 * (1.0 - B + B * d / self.avgdl)));
        }
        score
    }
}

/// A ranked match: better is greater (a higher score, then a lower id).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub(crate) score: f64,
    pub(crate) id: u64,
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.id.cmp(&self.id))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Hit {}

/// The best `keep` hits seen.
#[derive(Default)]
struct Best {
    keep: usize,
    /// The worst kept on top.
    heap: BinaryHeap<Reverse<Hit>>,
}

impl Best {
    fn offer(&mut self, hit: Hit) {
        if self.heap.len() < self.keep {
            self.heap.push(Reverse(hit));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && hit > worst.0
        {
            *worst = Reverse(hit);
        }
    }
}

/// Counts the matches of a search and keeps its best `keep`, scored as
/// FTS5 scores them.
pub(crate) struct Ranker {
    pub(crate) phrases: Vec<Phrase>,
    pub(crate) stats: Stats,
    pub(crate) columns: [Field; 5],
    pub(crate) keep: usize,
}

/// A phrase in one column of one segment, and that column's weight.
type Weighed = (f64, Matcher);

pub(crate) struct SegmentRanker {
    ids: Column<u64>,
    lengths: Column<u64>,
    /// Per phrase, the columns of this segment that hold it.
    phrases: Vec<Vec<Weighed>>,
    stats: Stats,
    freqs: Vec<f64>,
    positions: Positions,
    count: u64,
    best: Best,
}

impl Collector for Ranker {
    type Fruit = (u64, Vec<Hit>);
    type Child = SegmentRanker;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentRanker> {
        let mut phrases = Vec::with_capacity(self.phrases.len());
        for phrase in &self.phrases {
            let mut found = Vec::new();
            for &c in phrase.columns {
                let field = self.columns[c];
                let inverted = segment.inverted_index(field)?;
                if let Some(m) = Matcher::open(&inverted, field, phrase)? {
                    found.push((WEIGHTS[c], m));
                }
            }
            phrases.push(found);
        }
        Ok(SegmentRanker {
            ids: segment.fast_fields().u64("id")?,
            lengths: segment.fast_fields().u64("len")?,
            phrases,
            stats: self.stats.clone(),
            freqs: vec![0.0; self.phrases.len()],
            positions: Positions::default(),
            count: 0,
            best: Best {
                keep: self.keep,
                heap: BinaryHeap::new(),
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(u64, Vec<Hit>)>) -> tantivy::Result<(u64, Vec<Hit>)> {
        let mut total = 0;
        let mut hits = Vec::new();
        for (count, mut found) in fruits {
            total += count;
            hits.append(&mut found);
        }
        hits.sort_unstable_by(|a, b| b.cmp(a));
        hits.truncate(self.keep);
        Ok((total, hits))
    }
}

impl SegmentCollector for SegmentRanker {
    type Fruit = (u64, Vec<Hit>);

    fn collect(&mut self, doc: DocId, _: Score) {
        self.count += 1;
        if self.best.keep == 0 {
            return;
        }
        for (freq, columns) in self.freqs.iter_mut().zip(&mut self.phrases) {
            *freq = 0.0;
            for (weight, matcher) in columns.iter_mut() {
                *freq += *weight * f64::from(matcher.instances(doc, &mut self.positions));
            }
        }
        let length = self.lengths.first(doc).unwrap_or(0);
        let hit = Hit {
            score: self.stats.score(&self.freqs, length),
            id: self.ids.first(doc).unwrap_or(u64::MAX),
        };
        self.best.offer(hit);
    }

    fn harvest(self) -> (u64, Vec<Hit>) {
        (
            self.count,
            self.best.heap.into_iter().map(|Reverse(h)| h).collect(),
        )
    }
}

/// Reused buffers for a phrase's positions.
#[derive(Default)]
struct Positions {
    slots: Vec<Vec<u32>>,
}

/// A phrase's instances in one column of one segment, document after
/// document (in increasing order, as a search visits them).
struct Matcher {
    /// One per word of the phrase.
    slots: Vec<Slot>,
}

impl Matcher {
    /// `None` when a word of the phrase is not in the column at all.
    fn open(
        inverted: &InvertedIndexReader,
        field: Field,
        phrase: &Phrase,
    ) -> std::io::Result<Option<Matcher>> {
        // One word needs only its frequency, a phrase its positions.
        let option = if phrase.words.len() == 1 {
            IndexRecordOption::WithFreqs
        } else {
            IndexRecordOption::WithFreqsAndPositions
        };
        let last = phrase.words.len().saturating_sub(1);
        let mut slots = Vec::with_capacity(phrase.words.len());
        for (i, word) in phrase.words.iter().enumerate() {
            let mut lists = Vec::new();
            if phrase.prefix && i == last {
                let mut infos = Vec::new();
                crate::each_prefixed(inverted, word, |_, info| {
                    infos.push(info.clone());
                    true
                })?;
                for info in infos {
                    lists.push(inverted.read_postings_from_terminfo(&info, option)?);
                }
            } else if let Some(list) =
                inverted.read_postings(&Term::from_field_text(field, word), option)?
            {
                lists.push(list);
            }
            if lists.is_empty() {
                return Ok(None);
            }
            slots.push(Slot::new(lists));
        }
        Ok(Some(Matcher { slots }))
    }

    /// How many times the phrase starts in `doc`'s column.
    fn instances(&mut self, doc: DocId, positions: &mut Positions) -> u32 {
        for slot in &mut self.slots {
            if !slot.seek(doc) {
                return 0;
            }
        }
        if let [one] = self.slots.as_slice() {
            return one.freq();
        }
        positions.slots.resize_with(self.slots.len(), Vec::new);
        for (slot, out) in self.slots.iter_mut().zip(&mut positions.slots) {
            slot.positions(out);
        }
        let Some((first, rest)) = positions.slots.split_first() else {
            return 0;
        };
        let mut count = 0;
        for &p in first {
            let follows = rest.iter().enumerate().all(|(j, at)| {
                u32::try_from(j + 1)
                    .ok()
                    .and_then(|j| p.checked_add(j))
                    .is_some_and(|q| at.binary_search(&q).is_ok())
            });
            count += u32::from(follows);
        }
        count
    }
}

/// One word of a phrase: its postings list, or for a prefix the lists of
/// every word starting so.
struct Slot {
    lists: Vec<SegmentPostings>,
    /// The lists not yet exhausted, by their current document.
    ahead: BinaryHeap<Reverse<(DocId, usize)>>,
    /// The lists on the document last sought.
    here: Vec<usize>,
}

impl Slot {
    fn new(lists: Vec<SegmentPostings>) -> Slot {
        let ahead = lists
            .iter()
            .enumerate()
            .filter(|(_, l)| l.doc() != TERMINATED)
            .map(|(i, l)| Reverse((l.doc(), i)))
            .collect();
        Slot {
            lists,
            ahead,
            here: Vec::new(),
        }
    }

    /// Moves every list to its first document at or after `doc` (`doc`
    /// never decreases); whether any is on it.
    fn seek(&mut self, doc: DocId) -> bool {
        self.here.clear();
        while let Some(&Reverse((at, i))) = self.ahead.peek() {
            if at > doc {
                break;
            }
            self.ahead.pop();
            let at = if at < doc {
                self.lists[i].seek(doc)
            } else {
                at
            };
            if at == doc {
                self.here.push(i);
            } else if at != TERMINATED {
                self.ahead.push(Reverse((at, i)));
            }
        }
        for &i in &self.here {
            self.ahead.push(Reverse((doc, i)));
        }
        !self.here.is_empty()
    }

    /// The word's (or its prefix's words') occurrences in the document
    /// last sought.
    fn freq(&self) -> u32 {
        self.here.iter().map(|&i| self.lists[i].term_freq()).sum()
    }

    /// Their positions, in order.
    fn positions(&mut self, out: &mut Vec<u32>) {
        out.clear();
        for &i in &self.here {
            self.lists[i].append_positions_with_offset(0, out);
        }
        if self.here.len() > 1 {
            out.sort_unstable();
        }
    }
}
