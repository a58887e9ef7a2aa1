//! The database's side of the search accelerator (`matterbox-textindex`):
//! the words of a document cut and folded exactly as the vault's FTS5
//! index cuts and folds them, a search turned into the accelerator's plan
//! when it can answer it exactly, the log of changed documents it follows,
//! and the keys of its generations.
//!
//! The accelerator only ever answers what FTS5 would: same matches, same
//! count, same best-first order (FTS5's bm25, computed alike). A search it cannot express exactly (`NEAR`, `client:` and
//! `matter:` fields, an order other than best first) is FTS5's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use matterbox_textindex::{Clause, Doc, Filter, Plan};
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::{Zeroize, Zeroizing};

use super::query::{self, Field, Query};
use super::{SearchFilter, SearchSort};
use crate::DomainError;

/// Why the accelerator cannot answer: the search then goes to FTS5.
#[derive(Debug)]
pub struct AccelError(pub String);

impl std::fmt::Display for AccelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AccelError {}

impl From<rusqlite::Error> for AccelError {
    fn from(e: rusqlite::Error) -> Self {
        AccelError(format!("database: {e}"))
    }
}

impl From<DomainError> for AccelError {
    fn from(e: DomainError) -> Self {
        AccelError(e.to_string())
    }
}

impl From<std::io::Error> for AccelError {
    fn from(e: std::io::Error) -> Self {
        AccelError(e.to_string())
    }
}

impl From<matterbox_textindex::IndexError> for AccelError {
    fn from(e: matterbox_textindex::IndexError) -> Self {
        AccelError(e.to_string())
    }
}

/// How FTS5's `unicode61 remove_diacritics 2` tokenizer treats a
/// character: between tokens, or part of one as this text (empty when it
/// is folded away, as a combining accent is).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Class {
    Separator,
    Token(String),
}

/// An in-memory FTS5 table with the vault index's tokenizer, asked about
/// each character outside ASCII the first time it is met: nothing about
/// Unicode's categories or FTS5's folding tables is guessed here.
struct Prober {
    conn: Connection,
}

impl Prober {
    fn new() -> rusqlite::Result<Prober> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE probe USING fts5(t, tokenize = '{}');
             CREATE VIRTUAL TABLE probe_tokens USING fts5vocab(probe, 'instance');",
            super::snippet::TOKENIZER
        ))?;
        Ok(Prober { conn })
    }

    /// `a{c}b` is one token when `c` is part of tokens (then the token
    /// holds what `c` folds to between `a` and `b`), two when it is not.
    fn class(&self, c: char) -> Result<Class, AccelError> {
        self.conn.execute("DELETE FROM probe", [])?;
        self.conn.execute(
            "INSERT INTO probe (rowid, t) VALUES (1, ?1)",
            [format!("a{c}b")],
        )?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT term FROM probe_tokens ORDER BY offset")?;
        let terms: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        match terms.as_slice() {
            [one] => one
                .strip_prefix('a')
                .and_then(|t| t.strip_suffix('b'))
                .map(|t| Class::Token(t.to_string())),
            [a, b] if a == "a" && b == "b" => Some(Class::Separator),
            _ => None,
        }
        .ok_or_else(|| {
            AccelError(format!(
                "FTS5 cut U+{:04X} between two letters into {terms:?}",
                u32::from(c)
            ))
        })
    }
}

static PROBER: Mutex<Option<Prober>> = Mutex::new(None);

thread_local! {
    static KNOWN: RefCell<HashMap<char, Class>> = RefCell::new(HashMap::new());
}

fn class(c: char) -> Result<Class, AccelError> {
    if let Some(known) = KNOWN.with(|k| k.borrow().get(&c).cloned()) {
        return Ok(known);
    }
    let mut prober = PROBER
        .lock()
        .map_err(|_| AccelError("the tokenizer probe panicked".into()))?;
    if prober.is_none() {
        *prober = Some(Prober::new()?);
    }
    let class = prober
        .as_ref()
        .ok_or_else(|| AccelError("no tokenizer probe".into()))?
        .class(c)?;
    KNOWN.with(|k| k.borrow_mut().insert(c, class.clone()));
    Ok(class)
}

/// Appends the tokens of `text` to `out`, as the vault's FTS5 index makes
/// them: ASCII letters and digits lower-cased, other ASCII between
/// tokens, and every other character as FTS5 itself treats it.
pub fn fold(text: &str, out: &mut Vec<String>) -> Result<(), AccelError> {
    let mut token = String::new();
    let mut started = false;
    let end = |token: &mut String, started: &mut bool, out: &mut Vec<String>| {
        if *started && !token.is_empty() {
            out.push(std::mem::take(token));
        }
        token.clear();
        *started = false;
    };
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                token.push(c.to_ascii_lowercase());
                started = true;
            } else {
                end(&mut token, &mut started, out);
            }
            continue;
        }
        match class(c)? {
            Class::Separator => end(&mut token, &mut started, out),
            Class::Token(t) => {
                token.push_str(&t);
                started = true;
            }
        }
    }
    end(&mut token, &mut started, out);
    Ok(())
}

/// The accelerator's plan for a search, or `None` when only FTS5 answers
/// it exactly (or it has no word that must match: then the documents
/// table drives it, which is fast already).
pub fn plan(
    query: &Query,
    filter: &SearchFilter,
    offset: u64,
    limit: u32,
) -> Result<Option<Plan>, AccelError> {
    if filter.sort.unwrap_or_default() != SearchSort::Best || query.must.is_empty() {
        return Ok(None);
    }
    let mut plan = Plan {
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        ..Plan::default()
    };
    for (from, to) in [
        (&query.must, &mut plan.must),
        (&query.must_not, &mut plan.must_not),
    ] {
        for c in from {
            match clause(c)? {
                Some(c) => to.push(c),
                None => return Ok(None),
            }
        }
    }
    let day = |d: &str| -> Option<i64> {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .map(|d| i64::from(d.num_days_from_ce()) - EPOCH_DAYS)
    };
    if let Some(m) = filter.matter_id {
        plan.filters.push((Filter::Matter(id(m)?), false));
    }
    if let Some(c) = filter.client_id {
        plan.filters.push((Filter::Client(id(c)?), false));
    }
    if let Some(t) = filter
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        plan.filters
            .push((Filter::Tag(t.to_ascii_lowercase()), false));
    }
    if filter.added_from.is_some() || filter.added_to.is_some() {
        let from = filter.added_from.as_deref().map(day);
        let to = filter.added_to.as_deref().map(day);
        // Checked by the caller; a date that does not read is FTS5's.
        if from == Some(None) || to == Some(None) {
            return Ok(None);
        }
        plan.filters.push((
            Filter::Days {
                from: from.flatten(),
                to: to.flatten(),
            },
            false,
        ));
    }
    for f in &query.filters {
        let filter = match &f.field {
            Field::Tag(t) => Filter::Tag(t.to_ascii_lowercase()),
            Field::Added { from, to } => Filter::Days {
                from: from.map(|d| i64::from(d.num_days_from_ce()) - EPOCH_DAYS),
                to: to.map(|d| i64::from(d.num_days_from_ce()) - EPOCH_DAYS),
            },
            Field::Client(_) | Field::Matter(_) => return Ok(None),
        };
        plan.filters.push((filter, f.negated));
    }
    Ok(plan.scored_as_fts5().then_some(plan))
}

use chrono::Datelike;

/// 1970-01-01 in chrono's days from the common era.
const EPOCH_DAYS: i64 = 719_163;

fn id(i: i64) -> Result<u64, AccelError> {
    u64::try_from(i).map_err(|_| AccelError(format!("negative id {i}")))
}

fn clause(c: &query::Clause) -> Result<Option<Clause>, AccelError> {
    Ok(match c {
        query::Clause::Near(..) => None,
        query::Clause::Any(any) => {
            let mut parts = Vec::new();
            for c in any {
                match clause(c)? {
                    Some(c) => parts.push(c),
                    None => return Ok(None),
                }
            }
            Some(Clause::Any(parts))
        }
        query::Clause::Term(t) => {
            // Each word is given to FTS5 quoted: it cuts and folds it as
            // it cuts the text, so a word may become several tokens (a
            // phrase), or none.
            let mut words = Vec::new();
            for w in &t.words {
                let before = words.len();
                fold(w, &mut words)?;
                if words.len() == before {
                    return Ok(None);
                }
            }
            Some(Clause::Words {
                words,
                prefix: t.prefix,
                title_only: t.in_title,
            })
        }
    })
}

/// The rows `ids` of the FTS5 index as the accelerator holds them: with
/// their words from the index's columns, and, for a document not in the
/// trash, its record's filters (trashed ones are held too, never found, so
/// the accelerator's bm25 figures are FTS5's). An id missing from the
/// answer is no longer in the index, and is to be removed.
pub fn docs(conn: &Connection, ids: &[i64]) -> Result<Vec<Doc>, AccelError> {
    let mut row = conn.prepare_cached(
        "SELECT d.id IS NOT NULL AND d.trashed_at IS NULL, d.matter_id, m.client_id, d.created_at,
                s.title, s.original_name, s.body, s.meta, s.ocr
         FROM document_search s
         LEFT JOIN documents d ON d.id = s.rowid
         LEFT JOIN matters m ON m.id = d.matter_id
         WHERE s.rowid = ?1",
    )?;
    let mut tags = conn.prepare_cached("SELECT tag FROM document_tags WHERE document_id = ?1")?;
    let mut out = Vec::with_capacity(ids.len());
    for &i in ids {
        let found = row
            .query_row([i], |r| {
                let mut columns: [String; 5] = Default::default();
                for (k, c) in columns.iter_mut().enumerate() {
                    *c = r.get::<_, Option<String>>(4 + k)?.unwrap_or_default();
                }
                Ok((
                    r.get::<_, bool>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    columns,
                ))
            })
            .optional()?;
        let Some((live, matter, client, created_at, columns)) = found else {
            continue;
        };
        let mut doc = Doc {
            id: id(i)?,
            live,
            ..Doc::default()
        };
        if live {
            let (Some(matter), Some(client), Some(created_at)) = (matter, client, created_at)
            else {
                return Err(AccelError(format!("document {i} has no matter")));
            };
            doc.matter = id(matter)?;
            doc.client = id(client)?;
            doc.day = created_at
                .get(..10)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(|d| i64::from(d.num_days_from_ce()) - EPOCH_DAYS)
                .ok_or_else(|| AccelError(format!("document {i} was added on {created_at:?}")))?;
            doc.tags = tags
                .query_map([i], |r| r.get::<_, String>(0))?
                .map(|t| t.map(|t| t.to_ascii_lowercase()))
                .collect::<Result<_, _>>()?;
        }
        for (words, text) in doc.columns.iter_mut().zip(&columns) {
            fold(text, words)?;
        }
        out.push(doc);
    }
    Ok(out)
}

/// A logged change: its seq and stamp.
pub type Change = (i64, i64);

/// A generation's key.
pub type IndexKey = Zeroizing<[u8; 32]>;

/// The last change logged: its seq and stamp (`(0, 0)` before any).
pub fn last_change(conn: &Connection) -> Result<(i64, i64), DomainError> {
    Ok(conn
        .query_row(
            "SELECT seq, stamp FROM search_changes ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, 0)))
}

/// The stamp of change `seq`, if it is still logged.
pub fn stamp_of(conn: &Connection, seq: i64) -> Result<Option<i64>, DomainError> {
    Ok(conn
        .query_row(
            "SELECT stamp FROM search_changes WHERE seq = ?1",
            [seq],
            |r| r.get(0),
        )
        .optional()?)
}

/// The documents changed after `seq`, each once, at most `most` changes
/// read, and the last change read.
pub fn changed_after(
    conn: &Connection,
    seq: i64,
    most: i64,
) -> Result<(Vec<i64>, Option<Change>), DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, stamp, document_id FROM search_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let mut ids = Vec::new();
    let mut last = None;
    let rows = stmt.query_map(params![seq, most], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (s, stamp, id) = row?;
        ids.push(id);
        last = Some((s, stamp));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((ids, last))
}

/// Logs a first change (of no document), so that an index built from
/// here names a change of this database's log.
pub fn note_start(conn: &Connection) -> Result<(), DomainError> {
    changed(conn, &[0])
}

/// Forgets the changes before `seq` (the accelerator holds them).
pub fn forget_changes_before(conn: &Connection, seq: i64) -> Result<(), DomainError> {
    conn.execute("DELETE FROM search_changes WHERE seq < ?1", [seq])?;
    Ok(())
}

/// Logs a change to the index entries of `ids`.
pub(crate) fn changed(conn: &Connection, ids: &[i64]) -> Result<(), DomainError> {
    let mut stmt = conn.prepare_cached("INSERT INTO search_changes (document_id) VALUES (?1)")?;
    for id in ids {
        stmt.execute([id])?;
    }
    Ok(())
}

/// The documents in the index with ids above `after`, at most `most`, in
/// id order (for a rebuild).
pub fn ids_after(conn: &Connection, after: i64, most: i64) -> Result<Vec<i64>, DomainError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM document_search WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    )?;
    Ok(stmt
        .query_map(params![after, most], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The newest generation of the accelerator and its key, if there is one.
pub fn generation(conn: &Connection) -> Result<Option<(i64, IndexKey)>, DomainError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT generation, key FROM search_index_keys ORDER BY generation DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(generation, mut bytes)| {
        let mut key = Zeroizing::new([0u8; 32]);
        let fits = bytes.len() == 32;
        if fits {
            key.copy_from_slice(&bytes);
        }
        bytes.zeroize();
        fits.then_some((generation, key))
    }))
}

/// Records a new generation under `key`; the older ones are forgotten.
pub fn add_generation(conn: &Connection, key: &[u8; 32]) -> Result<i64, DomainError> {
    forget_generations(conn)?;
    conn.execute(
        "INSERT INTO search_index_keys (key, created_at) VALUES (?1, ?2)",
        params![key.as_slice(), crate::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Forgets every generation's key (their folders can then be read by no
/// one; the caller wipes them).
pub fn forget_generations(conn: &Connection) -> Result<(), DomainError> {
    conn.execute("DELETE FROM search_index_keys", [])?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tokens FTS5 makes of `text`, in order.
    fn fts5_tokens(conn: &Connection, text: &str) -> Vec<String> {
        conn.execute("DELETE FROM t", []).unwrap();
        conn.execute("INSERT INTO t (rowid, x) VALUES (1, ?1)", [text])
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT term FROM t_tokens ORDER BY offset")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn fts5() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{}');
             CREATE VIRTUAL TABLE t_tokens USING fts5vocab(t, 'instance');",
            super::super::snippet::TOKENIZER
        ))
        .unwrap();
        conn
    }

    /// Characters where a guess at FTS5's rules would go wrong: accents
    /// precomposed and combining, letters that fold to two in other
    /// tokenizers (ß, ligatures), vowel signs, CJK, emoji, private use,
    /// joiners, numerals of other kinds, astral letters.
    const HARD: &[char] = &[
        'a',
        'Z',
        '0',
        '9',
        ' ',
        '-',
        '\'',
        '.',
        '_',
        '*',
        '"',
        '\n',
        '\u{c}',
        'é',
        'É',
        'ü',
        'ß',
        'ø',
        'Ø',
        'æ',
        'Œ',
        'ł',
        'ı',
        'İ',
        '\u{301}',
        '\u{308}',
        '\u{327}',
        '\u{a0}',
        '\u{ad}',
        '\u{200b}',
        '\u{200d}',
        '\u{2019}',
        '\u{2014}',
        '§',
        '²',
        'Ⅻ',
        '½',
        'ﬁ',
        'Ａ',
        'Ω',
        'ά',
        'Ж',
        'й',
        'क',
        '\u{93f}',
        '\u{94d}',
        '漢',
        '字',
        '한',
        'ع',
        '\u{64b}',
        '😀',
        '\u{1f3fd}',
        '𝐀',
        '𝟙',
        '\u{e000}',
        '\u{f0000}',
        '\u{10ffff}',
        '\u{fffd}',
        '\u{0}',
        '\u{1}',
        '\u{7f}',
        '\u{85}',
        '\u{2028}',
        '\u{3000}',
        '〇',
        '٣',
        '\u{e01ef}',
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn folds_exactly_as_fts5(text in proptest::collection::vec(proptest::sample::select(HARD), 0..40)) {
            let text: String = text.into_iter().collect();
            let conn = fts5();
            let mut ours = Vec::new();
            fold(&text, &mut ours).unwrap();
            prop_assert_eq!(ours, fts5_tokens(&conn, &text), "{:?}", text);
        }
    }

    /// Words excluded from an `AND` that holds an `OR` and a phrase: FTS5
    /// scores such a search by its walk (see `Plan::scored_as_fts5`), so
    /// it answers it; the same words without the exclusion, or without
    /// the phrase, are the accelerator's.
    #[test]
    fn leaves_to_fts5_the_shape_it_scores_by_its_walk() {
        let planned = |text: &str| {
            plan(&Query::parse(text), &SearchFilter::default(), 0, 20)
                .unwrap()
                .is_some()
        };
        assert!(!planned("lease (\"quiet enjoyment\" OR survey) -draft"));
        assert!(!planned("lease (title:deed OR survey) -draft"));
        assert!(planned("lease (\"quiet enjoyment\" OR survey)"));
        assert!(planned("lease (quiet OR survey) -draft"));
        assert!(planned("\"quiet enjoyment\" -draft"));
        assert!(planned("lease \"quiet enjoyment\" -draft"));
    }

    #[test]
    fn folds_every_character_of_the_first_planes_as_fts5() {
        // Each character between two letters, as a probe would put it,
        // but checked against a table of its own, in one document per
        // thousand characters.
        let conn = fts5();
        // The Basic Multilingual Plane, mathematical letters, emoji.
        let ranges = [
            (0x80u32, 0x1_0000u32),
            (0x1_d400, 0x1_d800),
            (0x1_f000, 0x1_fc00),
        ];
        for (start, end) in ranges
            .into_iter()
            .flat_map(|(a, b)| (a..b).step_by(1000).map(move |s| (s, (s + 1000).min(b))))
        {
            let chars: Vec<char> = (start..end).filter_map(char::from_u32).collect();
            let text: String = chars.iter().map(|c| format!("x{c}y ")).collect();
            let mut ours = Vec::new();
            fold(&text, &mut ours).unwrap();
            assert_eq!(ours, fts5_tokens(&conn, &text), "from U+{start:04X}");
        }
    }
}
