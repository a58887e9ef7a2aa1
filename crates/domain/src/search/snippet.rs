//! Snippets for the hits a search shows, made from bounded windows of their
//! text, so that their cost does not grow with how often a word repeats.
//!
//! FTS5's own `snippet()` scores a fragment at every occurrence of a query
//! word by walking every occurrence again: a document repeating the word on
//! each of 30,000 lines cost seconds, growing with the square of the
//! repetitions. Here the text is scanned for the first places the query's
//! words occur, and a snippet is made of a window of a few hundred bytes
//! around each of them (a column under [`SMALL`] is one window), by FTS5's
//! own rules:
//! - A window whose words are all ASCII is snippeted by
//!   `Snippets::ascii_snippet`, a port of FTS5's `snippet()` (same fragment,
//!   same highlights; a property test compares the two).
//! - Any other window goes to FTS5's `snippet()` itself, in a scratch
//!   in-memory FTS5 index with the vault index's tokenizer.
//!
//! Finding the words is exact, never a guess at FTS5's rules:
//! - The text is cut into *words*: runs of characters that are not certainly
//!   separators for FTS5's `unicode61` tokenizer (punctuation, spaces and
//!   symbols are; letters, digits, private-use characters and combining
//!   marks may not be). FTS5's tokens never cross a word's edge.
//! - A word of ASCII letters and digits is one FTS5 token folded to lower
//!   case: it is compared with the query's terms here, as FTS5 folds them.
//! - Any other word (accents, other scripts) is given to FTS5 itself: the
//!   distinct ones of each stretch of text are put in the scratch index and
//!   matched there, and the answer is remembered for the rest of the search.
//! - A term FTS5 splits into several tokens (a phrase, for example across a
//!   vowel sign in some scripts) can span words; then the text is offered to
//!   FTS5 in consecutive slices instead.
//!
//! The work per document is the scan up to its first match (fast, in Rust)
//! plus at most [`MAX_WINDOWS`] windows within [`LOOKAHEAD`] bytes of the
//! first: a better passage further on is not looked for.
//!
//! The scratch index lives in memory only (an in-memory SQLite database:
//! no file, no journal on disk) and is used inside a transaction that is
//! rolled back when the search ends, so it is empty between searches; each
//! thread keeps one (creating an FTS5 table costs more than a quick
//! search). A search of ASCII words in ASCII text never touches it.
//! SQLCipher's memory security, which is process-wide, wipes what it frees.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::{Deref, Range};

use rusqlite::{Connection, params};

/// The vault index's tokenizer (schema migration 7); the scratch index
/// must tokenize exactly as it does (a test compares them).
pub(crate) const TOKENIZER: &str = "unicode61 remove_diacritics 2";

/// Bytes of text on each side of a match that go into its window.
const CONTEXT: usize = 256;
/// A column this short is one window, as FTS5 would see it whole (the
/// work on it stays small however the words repeat).
const SMALL: usize = 2 << 10;
/// Windows tried per column of a document: after the first, others are
/// looked at only for one holding more of the query's words.
pub(crate) const MAX_WINDOWS: usize = 8;
/// How far past the first window other windows are looked for.
pub(crate) const LOOKAHEAD: usize = 64 << 10;
/// Text scanned at a time (growing from the first size to the second);
/// the other-script words in it are checked by FTS5 together.
const STRETCH_FIRST: usize = 1 << 10;
const STRETCH: usize = 16 << 10;
/// A slice of text offered to FTS5 when the query holds phrases.
const SLICE: usize = 2 << 10;
/// Words shown in a snippet (as `snippet(…, 12)` did).
const TOKENS: i64 = 12;

/// Markers in snippets, converted on the way out. They are bytes that
/// never occur in UTF-8 text, so the text cannot fake them.
const OPEN: u8 = 0xfe;
const CLOSE: u8 = 0xfd;
const ELLIPSIS: u8 = 0xff;

thread_local! {
    /// This thread's scratch index, empty between searches.
    static SCRATCH: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// An in-memory database with an FTS5 table `snip` tokenizing as the
/// vault's index does.
fn open_scratch() -> rusqlite::Result<Connection> {
    let scratch = Connection::open_in_memory()?;
    scratch.execute_batch(&format!(
        "PRAGMA secure_delete = ON;
         CREATE VIRTUAL TABLE snip USING fts5(text, tokenize = '{TOKENIZER}');
         CREATE VIRTUAL TABLE snip_tokens USING fts5vocab(snip, instance);"
    ))?;
    Ok(scratch)
}

/// The scratch index while a search uses it, inside a transaction that is
/// rolled back when it is dropped (so it never writes an FTS5 segment, and
/// is empty again), then handed back to the thread.
struct Scratch(Option<Connection>);

impl Scratch {
    fn take() -> rusqlite::Result<Scratch> {
        let scratch = match SCRATCH.with(|s| s.borrow_mut().take()) {
            Some(c) => c,
            None => open_scratch()?,
        };
        scratch.execute_batch("BEGIN")?;
        Ok(Scratch(Some(scratch)))
    }

    /// Adds `text` as row `id`.
    fn insert(&self, id: i64, text: &str) -> rusqlite::Result<()> {
        self.prepare_cached("INSERT INTO snip (rowid, text) VALUES (?1, ?2)")?
            .execute(params![id, text])?;
        Ok(())
    }
}

impl Deref for Scratch {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.0
            .as_ref()
            .expect("the scratch index is held until dropped")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(c) = self.0.take()
            && c.execute_batch("ROLLBACK").is_ok()
        {
            SCRATCH.with(|s| *s.borrow_mut() = Some(c));
        }
        // Otherwise the connection closes here and frees (and wipes) all.
    }
}

/// Makes the snippets of one search's hits.
pub(crate) struct Snippets {
    /// Taken on first need.
    scratch: Option<Scratch>,
    /// The query's terms as alternatives (`"a" OR "b" *`): a window shows
    /// whichever of the words it holds. Empty when there is none.
    any: String,
    /// Each term as the one ASCII token FTS5 folds it to, if it is one.
    ascii: Vec<Option<String>>,
    /// Whether each term matches as a prefix (as the query's `*` says).
    prefix: Vec<bool>,
    /// Whether a term is not one token (then slices, not words, are offered).
    phrases: bool,
    /// Other-script words already checked, and whether they match.
    verdicts: HashMap<String, bool>,
    next_row: i64,
    /// Bytes of document text snippeted or given to FTS5 so far (windows,
    /// checked words, slices). Tests read it to show the work is bounded.
    pub(crate) work: usize,
}

/// A window's snippet and how good it is (as FTS5 scores them: a thousand
/// for each different word shown, one for each repeat).
struct Shown {
    text: String,
    score: usize,
    /// How many different words it shows.
    different: usize,
}

impl Snippets {
    /// `terms`: the query's words (letters and digits only, as
    /// `Query::shown_words` gives them), each with whether it is a prefix.
    /// With none, a snippet is the first words of the document.
    pub(crate) fn new(terms: &[(String, bool)]) -> rusqlite::Result<Snippets> {
        let quoted: Vec<String> = terms
            .iter()
            .map(|(t, prefix)| format!("\"{t}\"{}", if *prefix { " *" } else { "" }))
            .collect();
        let any = quoted.join(" OR ");
        let prefix = terms.iter().map(|(_, p)| *p).collect();
        let terms: Vec<String> = terms.iter().map(|(t, _)| t.clone()).collect();
        let terms = &terms[..];
        let mut snippets = Snippets {
            scratch: None,
            any,
            ascii: Vec::new(),
            prefix,
            phrases: false,
            verdicts: HashMap::new(),
            next_row: 0,
            work: 0,
        };
        // An ASCII term is one token, folded to lower case; others are
        // folded by FTS5 (case, diacritics, and maybe split).
        let folded: Vec<Vec<String>> = if terms.iter().all(|t| t.is_ascii()) {
            terms.iter().map(|t| vec![t.to_ascii_lowercase()]).collect()
        } else {
            snippets.fold(terms)?
        };
        snippets.phrases = folded.iter().any(|t| t.len() != 1);
        snippets.ascii = folded
            .into_iter()
            .map(|t| match <[String; 1]>::try_from(t) {
                Ok([token]) if token.is_ascii() => Some(token),
                _ => None,
            })
            .collect();
        Ok(snippets)
    }

    /// The scratch index, taken from the thread on first need.
    fn scratch(&mut self) -> rusqlite::Result<&Scratch> {
        let scratch = match self.scratch.take() {
            Some(s) => s,
            None => Scratch::take()?,
        };
        Ok(self.scratch.insert(scratch))
    }

    /// The tokens FTS5 makes of each term.
    fn fold(&mut self, terms: &[String]) -> rusqlite::Result<Vec<Vec<String>>> {
        let first = self.next_row;
        self.next_row += terms.len() as i64;
        let scratch = self.scratch()?;
        for (i, term) in terms.iter().enumerate() {
            scratch.insert(first + i as i64, term)?;
        }
        let mut folded = vec![Vec::new(); terms.len()];
        let mut tokens = scratch.prepare_cached(
            "SELECT doc, term FROM snip_tokens WHERE doc BETWEEN ?1 AND ?2 ORDER BY doc, offset",
        )?;
        let rows = tokens.query_map(params![first, first + terms.len() as i64 - 1], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (doc, token) = row?;
            if let Some(list) = usize::try_from(doc - first)
                .ok()
                .and_then(|d| folded.get_mut(d))
            {
                list.push(token);
            }
        }
        Ok(folded)
    }

    /// The snippet of a document whose indexed columns (title, file name,
    /// text, tags and notes, in the index's order) are `columns`: the best
    /// window of any column, the earlier column on a tie (as FTS5 picks).
    /// Should no window show a word of the query (a phrase cut between two
    /// slices), the first column's first words, as FTS5 would show them.
    pub(crate) fn make(&mut self, columns: &[&str]) -> rusqlite::Result<String> {
        if self.any.is_empty() {
            // No word to show: the beginning of the text (or the title).
            let text = columns
                .get(2..)
                .unwrap_or_default()
                .iter()
                .chain(columns.first())
                .find(|c| !c.trim().is_empty());
            return Ok(first_words(text.copied().unwrap_or_default()));
        }
        let mut best: Option<Shown> = None;
        for text in columns {
            if let Some(shown) = self.best_in(text)?
                && best.as_ref().is_none_or(|b| shown.score > b.score)
            {
                best = Some(shown);
            }
        }
        Ok(match best {
            Some(b) => b.text,
            None => first_words(columns.first().copied().unwrap_or_default()),
        })
    }

    /// Of a scan's recognised pages (number, text), the one whose best
    /// window shows the query best (the first on a tie), as [`Self::make`]
    /// picks a column.
    pub(crate) fn best_page(&mut self, pages: &[(u32, String)]) -> rusqlite::Result<Option<u32>> {
        let mut best: Option<(usize, u32)> = None;
        for (number, text) in pages {
            if let Some(shown) = self.best_in(text)?
                && best.is_none_or(|(score, _)| shown.score > score)
            {
                best = Some((shown.score, *number));
            }
        }
        Ok(best.map(|(_, n)| n))
    }

    /// The best window of one column's text.
    fn best_in(&mut self, text: &str) -> rusqlite::Result<Option<Shown>> {
        let mut best: Option<Shown> = None;
        let mut from = 0;
        let mut limit = text.len();
        for _ in 0..MAX_WINDOWS {
            let Some(window) = self.next_window(text, from, limit)? else {
                break;
            };
            from = window.end;
            let Some(shown) = self.show(text, window.clone())? else {
                continue;
            };
            if best.is_none() {
                limit = limit.min(window.end.saturating_add(LOOKAHEAD));
            }
            let complete = shown.different >= self.ascii.len();
            if best.as_ref().is_none_or(|b| shown.score > b.score) {
                best = Some(shown);
            }
            if complete {
                break;
            }
        }
        Ok(best)
    }

    /// The next window of `text` starting at or after `from` (and before
    /// `limit`) that may hold a word of the query.
    fn next_window(
        &mut self,
        text: &str,
        from: usize,
        limit: usize,
    ) -> rusqlite::Result<Option<Range<usize>>> {
        if self.phrases {
            return self.next_slice(text, from, limit);
        }
        let mut start = from;
        let mut size = STRETCH_FIRST;
        while start < limit {
            let end = word_edge_after(text, start + size);
            size = (size * 2).min(STRETCH);
            let stretch = &text[start..end];
            // The first ASCII word that matches; the other words before it
            // are asked of FTS5 (only those: they cost more to check).
            let ascii = words(stretch).find(|(_, w)| w.is_ascii() && self.may_match(w));
            let checked_to = ascii.map_or(stretch.len(), |(at, _)| at);
            if !stretch[..checked_to].is_ascii() {
                self.check_words(&stretch[..checked_to])?;
                if let Some((at, word)) =
                    words(&stretch[..checked_to]).find(|(_, w)| self.may_match(w))
                {
                    return Ok(Some(window_around(
                        text,
                        start + at..start + at + word.len(),
                    )));
                }
            }
            if let Some((at, word)) = ascii {
                return Ok(Some(window_around(
                    text,
                    start + at..start + at + word.len(),
                )));
            }
            start = end;
        }
        Ok(None)
    }

    /// The terms an ASCII word matches as FTS5 would (prefixes too).
    fn terms_matching<'a>(&'a self, word: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.ascii.iter().enumerate().filter_map(move |(i, t)| {
            let t = t.as_deref()?;
            let hit = word.eq_ignore_ascii_case(t)
                || (self.prefix.get(i) == Some(&true)
                    && word.len() >= t.len()
                    && word.as_bytes()[..t.len()].eq_ignore_ascii_case(t.as_bytes()));
            hit.then_some(i)
        })
    }

    /// Whether FTS5 would find a word of the query in `word`: compared here
    /// when ASCII, else as FTS5 answered in `check_words`.
    fn may_match(&self, word: &str) -> bool {
        if word.is_ascii() {
            self.terms_matching(word).next().is_some()
        } else {
            self.verdicts.get(word).copied().unwrap_or(false)
        }
    }

    /// Asks FTS5 which of the not yet checked non-ASCII words of `text`
    /// hold a word of the query: all of them together first (the query's
    /// terms are single tokens here, so no match spans two words), then
    /// one by one if any does.
    fn check_words(&mut self, text: &str) -> rusqlite::Result<()> {
        let mut fresh: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (_, word) in words(text) {
            if !word.is_ascii() && !self.verdicts.contains_key(word) && seen.insert(word) {
                fresh.push(word);
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let together = fresh.join(" ");
        let mut hits = HashSet::new();
        if self.matches(&[together.as_str()])?.contains(&0) {
            hits = self.matches(&fresh)?;
        }
        for (i, word) in fresh.into_iter().enumerate() {
            self.verdicts.insert(word.to_string(), hits.contains(&i));
        }
        Ok(())
    }

    /// Which of `texts` (by index) FTS5 finds a word of the query in.
    fn matches(&mut self, texts: &[&str]) -> rusqlite::Result<HashSet<usize>> {
        let first = self.next_row;
        self.next_row += texts.len() as i64;
        self.work += texts.iter().map(|w| w.len()).sum::<usize>();
        let any = self.any.clone();
        let scratch = self.scratch()?;
        for (i, text) in texts.iter().enumerate() {
            scratch.insert(first + i as i64, text)?;
        }
        let mut matching = scratch.prepare_cached(
            "SELECT rowid FROM snip WHERE snip MATCH ?1 AND rowid BETWEEN ?2 AND ?3",
        )?;
        let rows = matching
            .query_map(params![any, first, first + texts.len() as i64 - 1], |r| {
                r.get::<_, i64>(0)
            })?;
        let mut found = HashSet::new();
        for row in rows {
            if let Ok(i) = usize::try_from(row? - first) {
                found.insert(i);
            }
        }
        Ok(found)
    }

    /// The next slice of `text` at or after `from` in which FTS5 finds a
    /// word of the query (for queries with phrases).
    fn next_slice(
        &mut self,
        text: &str,
        from: usize,
        limit: usize,
    ) -> rusqlite::Result<Option<Range<usize>>> {
        let mut start = from;
        while start < limit {
            let end = word_edge_after(text, start + SLICE);
            if self.fts5_snippet(&text[start..end])?.is_some() {
                return Ok(Some(start..end));
            }
            start = end;
        }
        Ok(None)
    }

    /// The snippet of `window`, a part of `text`, if it shows a word of the
    /// query; with `…` where the text goes on.
    fn show(&mut self, text: &str, window: Range<usize>) -> rusqlite::Result<Option<Shown>> {
        let piece = &text[window.clone()];
        let raw = if !self.phrases && words(piece).all(|(_, w)| w.is_ascii()) {
            self.work += piece.len();
            self.ascii_snippet(piece)
        } else {
            self.fts5_snippet(piece)?
        };
        let Some(raw) = raw else {
            return Ok(None);
        };
        let mut body: &[u8] = &raw;
        let mut cut_before = window.start > 0;
        let mut cut_after = window.end < text.len();
        if let [ELLIPSIS, rest @ ..] = body {
            body = rest;
            cut_before = true;
        }
        if let [rest @ .., ELLIPSIS] = body {
            body = rest;
            cut_after = true;
        }
        let mut out = Vec::with_capacity(body.len() + 8);
        let mut marked: Vec<String> = Vec::new();
        let mut open: Option<usize> = None;
        if cut_before {
            out.extend_from_slice("…".as_bytes());
        }
        for &b in body {
            match b {
                OPEN => {
                    out.push(b'[');
                    open = Some(out.len());
                }
                CLOSE => {
                    if let Some(at) = open.take() {
                        marked.push(String::from_utf8_lossy(&out[at..]).to_lowercase());
                    }
                    out.push(b']');
                }
                _ => out.push(b),
            }
        }
        if cut_after {
            out.extend_from_slice("…".as_bytes());
        }
        let hits = marked.len();
        marked.sort_unstable();
        marked.dedup();
        Ok(Some(Shown {
            text: String::from_utf8_lossy(&out).into_owned(),
            score: 1000 * marked.len() + hits.saturating_sub(marked.len()),
            different: marked.len(),
        }))
    }

    /// Puts `text` in the scratch index and returns FTS5's snippet of it,
    /// with the marker bytes, if the query matches it.
    fn fts5_snippet(&mut self, text: &str) -> rusqlite::Result<Option<Vec<u8>>> {
        let row = self.next_row;
        self.next_row += 1;
        self.work += text.len();
        let any = self.any.clone();
        let scratch = self.scratch()?;
        scratch.insert(row, text)?;
        let mut snippet = scratch.prepare_cached(
            "SELECT snippet(snip, 0, ?3, ?4, ?5, ?6) FROM snip WHERE snip MATCH ?1 AND rowid = ?2",
        )?;
        let mut rows = snippet.query(params![
            any,
            row,
            &[OPEN][..],
            &[CLOSE][..],
            &[ELLIPSIS][..],
            TOKENS
        ])?;
        match rows.next()? {
            Some(r) => Ok(Some(r.get_ref(0)?.as_bytes()?.to_vec())),
            None => Ok(None),
        }
    }

    /// FTS5's `snippet(…, 12)` of `text`, whose words are all ASCII (so
    /// each is one token): a port of `fts5SnippetFunction` and
    /// `fts5HighlightCb` in SQLite's `fts5_aux.c`, for one column and terms
    /// of one token. `None` when no word of the query is in `text`.
    fn ascii_snippet(&self, text: &str) -> Option<Vec<u8>> {
        let bytes = text.as_bytes();
        let tokens: Vec<(usize, usize)> = words(text).map(|(s, w)| (s, s + w.len())).collect();
        let count = tokens.len() as i64;
        // The instances: (token, term), by token, then term.
        let found: Vec<(i64, usize)> = tokens
            .iter()
            .enumerate()
            .flat_map(|(i, &(s, e))| self.terms_matching(&text[s..e]).map(move |t| (i as i64, t)))
            .collect();
        if found.is_empty() {
            return None;
        }
        // The tokens that start a sentence: the first, and those after a
        // '.' or ':' and white space.
        let starts: Vec<i64> = tokens
            .iter()
            .enumerate()
            .filter(|&(i, &(s, _))| {
                let before = bytes[..s]
                    .iter()
                    .rev()
                    .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
                i == 0
                    || matches!(before, Some(n) if n > 0 && matches!(bytes[s - n - 1], b'.' | b':'))
            })
            .map(|(i, _)| i as i64)
            .collect();
        // A fragment's score from token `start` (fts5SnippetScore), and
        // where a fragment centred on its matches would start.
        let score = |start: i64| -> (i64, i64) {
            let mut seen = vec![false; self.ascii.len()];
            let (mut total, mut first, mut last) = (0, -1, 0);
            for &(at, term) in &found {
                if at >= start && at < start + TOKENS {
                    total += if seen[term] { 1 } else { 1000 };
                    seen[term] = true;
                    if first < 0 {
                        first = at;
                    }
                    last = at + 1;
                }
            }
            let mut adjusted = first - (TOKENS - (last - first)) / 2;
            if adjusted + TOKENS > count {
                adjusted = count - TOKENS;
            }
            (total, adjusted.max(0))
        };
        let (mut best, mut begin) = (0, 0);
        for &(at, _) in &found {
            let (total, adjusted) = score(at);
            if total > best {
                best = total;
                begin = adjusted;
            }
            if count > TOKENS {
                let sentence = starts
                    .iter()
                    .take_while(|&&s| s <= at)
                    .last()
                    .copied()
                    .unwrap_or(0);
                if sentence < at {
                    let bonus = if sentence == 0 { 120 } else { 100 };
                    let total = score(sentence).0 + bonus;
                    if total > best {
                        best = total;
                        begin = sentence;
                    }
                }
            }
        }
        let end = begin + TOKENS - 1;
        // Runs of overlapping matches (fts5CInstIter); a term is one token,
        // so only matches of several terms on one token merge.
        let mut runs = found.iter().map(|&(at, _)| at).peekable();
        let mut next_run = move || -> (i64, i64) {
            let Some(at) = runs.next() else {
                return (-1, -1);
            };
            while runs.next_if_eq(&at).is_some() {}
            (at, at)
        };
        let mut run = next_run();
        while run.0 >= 0 && run.0 < begin {
            run = next_run();
        }
        let mut out = Vec::with_capacity(256);
        if begin > 0 {
            out.push(ELLIPSIS);
        }
        let (mut copied, mut open) = (0, false);
        for (i, &(s, e)) in tokens.iter().enumerate() {
            let i = i as i64;
            if i < begin || i > end {
                continue;
            }
            if begin > 0 && i == begin {
                copied = s;
            }
            if open && (i <= run.0 || run.0 < 0) && s > copied {
                out.push(CLOSE);
                open = false;
            }
            if i == run.0 && !open {
                out.extend_from_slice(&bytes[copied..s]);
                out.push(OPEN);
                copied = s;
                open = true;
            }
            if i == run.1 {
                if !open {
                    out.push(OPEN);
                    open = true;
                }
                out.extend_from_slice(&bytes[copied..e]);
                copied = e;
                run = next_run();
            }
            if i == end {
                if open {
                    if run.0 >= 0 && i >= run.0 {
                        out.extend_from_slice(&bytes[copied..e]);
                        copied = e;
                    }
                    out.push(CLOSE);
                    open = false;
                }
                out.extend_from_slice(&bytes[copied..e]);
                copied = e;
            }
        }
        if open {
            out.push(CLOSE);
        }
        if end >= count - 1 {
            out.extend_from_slice(&bytes[copied..]);
        } else {
            out.push(ELLIPSIS);
        }
        Some(out)
    }
}

/// Whether FTS5's `unicode61` tokenizer certainly treats `c` as a
/// separator. Letters and digits (which Rust's `is_alphanumeric` covers,
/// and more), private-use characters and combining marks (which FTS5 folds
/// away with `remove_diacritics`) may be parts of tokens.
fn separator(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphanumeric();
    }
    !(c.is_alphanumeric()
        || ('\u{300}'..='\u{36f}').contains(&c)
        || ('\u{e000}'..='\u{f8ff}').contains(&c)
        || c >= '\u{f0000}')
}

/// The words of `text` (runs of non-separators) with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let start = loop {
            let (i, c) = chars.next()?;
            if !separator(c) {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if separator(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, &text[start..end]))
    })
}

/// The first [`TOKENS`] words of `text`, and `…` if it goes on.
fn first_words(text: &str) -> String {
    match words(text).nth(TOKENS as usize) {
        Some((at, _)) => {
            let end = text[..at]
                .char_indices()
                .rev()
                .find(|&(_, c)| !separator(c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            format!("{}…", &text[..end])
        }
        None => text.to_string(),
    }
}

/// The first position at or after `at` that is not inside a word (the
/// text's end at the latest), so that a cut there splits no token.
fn word_edge_after(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    let mut at = at;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    text[at..]
        .char_indices()
        .find(|&(_, c)| separator(c))
        .map_or(text.len(), |(i, _)| at + i)
}

/// The window shown around the word at `found`: about [`CONTEXT`] bytes on
/// each side, cut between words; it reaches the text's start or end when
/// only separators lie beyond. A [`SMALL`] text is one window.
fn window_around(text: &str, found: Range<usize>) -> Range<usize> {
    if text.len() <= SMALL {
        return 0..text.len();
    }
    let mut start = found.start.saturating_sub(CONTEXT);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    // Not from inside a word: from the next word's start.
    if text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| !separator(c))
    {
        start = word_edge_after(text, start);
    }
    start = text[start..]
        .char_indices()
        .find(|&(_, c)| !separator(c))
        .map_or(found.start, |(i, _)| start + i)
        .min(found.start);
    if text[..start].chars().all(separator) {
        start = 0;
    }
    let mut end = (found.end + CONTEXT).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // Not into a word: to the end of the last whole word.
    if text[end..].chars().next().is_some_and(|c| !separator(c)) {
        end = text[..end]
            .char_indices()
            .rev()
            .find(|&(_, c)| separator(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
    }
    end = text[..end]
        .char_indices()
        .rev()
        .find(|&(_, c)| !separator(c))
        .map_or(found.end, |(i, c)| i + c.len_utf8())
        .max(found.end);
    if text[end..].chars().all(separator) {
        end = text.len();
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The snippets of `query`'s words, the last a prefix.
    fn snippets(query: &[&str]) -> Snippets {
        let terms: Vec<(String, bool)> = query
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i + 1 == query.len()))
            .collect();
        Snippets::new(&terms).unwrap()
    }

    fn check(query: &[&str], columns: &[&str], expect: &str) {
        let mut s = snippets(query);
        assert_eq!(s.make(columns).unwrap(), expect, "{query:?} in {columns:?}");
    }

    #[test]
    fn the_scratch_index_tokenizes_as_the_vault_index() {
        let (_d, conn) = crate::testutil::db();
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'document_search'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains(&format!("tokenize = '{TOKENIZER}'")), "{sql}");
    }

    #[test]
    fn the_scratch_index_is_emptied_after_each_search() {
        {
            // Words with accents are checked in the scratch index.
            let mut s = snippets(&["secret"]);
            assert_eq!(
                s.make(&["", "", "a sécret text", ""]).unwrap(),
                "a [sécret] text"
            );
            assert!(s.scratch.is_some());
        }
        let scratch = SCRATCH.with(|s| s.borrow_mut().take()).unwrap();
        let count = |sql: &str| -> i64 { scratch.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM snip"), 0);
        assert_eq!(count("SELECT count(*) FROM snip_tokens"), 0);
    }

    #[test]
    fn snippets_show_the_words_as_fts5_folds_them() {
        check(
            &["boundary"],
            &["Boundary survey", "", "", ""],
            "[Boundary] survey",
        );
        check(
            &["bound"],
            &["Note", "", "the boundary, Boundaries", ""],
            "the [boundary], [Boundaries]",
        );
        // Diacritics and case fold both ways, as in the index.
        check(
            &["zurich"],
            &["", "", "Filed in Zürich.", ""],
            "Filed in [Zürich].",
        );
        check(
            &["Zürich"],
            &["", "", "ZURICH office", ""],
            "[ZURICH] office",
        );
        check(
            &["café"],
            &["", "", "the CAFE’s terrace", ""],
            "the [CAFE]’s terrace",
        );
        // Other scripts.
        check(
            &["москва"],
            &["", "", "Суд в Москва, 2020", ""],
            "Суд в [Москва], 2020",
        );
        // Only whole words (or a prefix of the last term).
        check(&["plot", "lease"], &["", "", "release the plotter", ""], "");
        check(
            &["lease", "plo"],
            &["", "", "release the plotter", ""],
            "release the [plotter]",
        );
    }

    #[test]
    fn the_column_showing_more_of_the_words_wins_and_ties_go_to_the_first() {
        check(
            &["boundary", "survey"],
            &["Boundary plan", "", "the survey of the boundary", ""],
            "the [survey] of the [boundary]",
        );
        check(
            &["boundary"],
            &["Boundary plan", "", "the boundary", "boundary"],
            "[Boundary] plan",
        );
        check(
            &["urgent"],
            &["Letter", "letter.txt", "", "urgent reply"],
            "[urgent] reply",
        );
    }

    #[test]
    fn long_text_is_cut_around_the_match_with_ellipses() {
        let before = "alpha ".repeat(200);
        let after = " omega".repeat(200);
        let text = format!("{before}needle{after}");
        let mut s = snippets(&["needle"]);
        let shown = s.make(&["", "", &text, ""]).unwrap();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.contains("alpha [needle] omega"), "{shown}");
        assert!(shown.split_whitespace().count() <= 12, "{shown}");
    }

    /// The point of this module: however often a word repeats, the text
    /// given to FTS5 stays a few windows long.
    #[test]
    fn work_stays_bounded_however_often_the_word_repeats() {
        let text: String = (0..30_000)
            .map(|i| format!("Line {i:05}: objection.\n"))
            .collect();
        let mut s = snippets(&["objection"]);
        let shown = s
            .make(&["Transcript", "transcript.txt", &text, ""])
            .unwrap();
        assert!(shown.contains("[objection]"), "{shown}");
        assert!(
            s.work <= 2 * CONTEXT + 64,
            "{} bytes given to FTS5 for one snippet",
            s.work
        );
        // Two words, the second nowhere near: a bounded number of windows.
        let mut s = snippets(&["objection", "sustained"]);
        s.make(&["", "", &text, ""]).unwrap();
        assert!(
            s.work <= MAX_WINDOWS * (2 * CONTEXT + 64),
            "{} bytes given to FTS5 for one snippet",
            s.work
        );
    }

    #[test]
    fn without_a_match_the_first_words_of_the_title_are_shown() {
        check(&["absent"], &["Short title", "", "text", ""], "Short title");
        check(
            &["absent"],
            &[
                "one two three four five six seven eight nine ten eleven twelve thirteen",
                "",
            ],
            "one two three four five six seven eight nine ten eleven twelve…",
        );
    }

    #[test]
    fn words_are_cut_where_fts5_certainly_separates() {
        let w: Vec<&str> = words("Hello, wörld’s  a\u{301}b x_y \u{e000}z")
            .map(|(_, w)| w)
            .collect();
        assert_eq!(
            w,
            ["Hello", "wörld", "s", "a\u{301}b", "x", "y", "\u{e000}z"]
        );
        assert_eq!(word_edge_after("abc def", 1), 3);
        assert_eq!(word_edge_after("abc def", 3), 3);
        assert_eq!(word_edge_after("abc", 1), 3);
        assert_eq!(word_edge_after("é", 1), 2);
    }

    #[test]
    fn phrases_are_found_in_slices() {
        // FTS5 splits a term at a vowel sign (a combining mark that is not
        // a diacritic it removes): a phrase of two tokens.
        let mut s = Snippets::new(&[("केक".to_string(), false)]).unwrap();
        assert!(s.phrases);
        let text = format!("{} केक {}", "ख ".repeat(2000), "ग ".repeat(10));
        let shown = s.make(&["", "", &text, ""]).unwrap();
        assert!(shown.contains("[केक]"), "{shown}");
    }

    const VOCABULARY: [&str; 10] = [
        "lease", "leases", "leased", "plot", "a", "the", "boundary", "x1", "42", "Lease",
    ];
    const SEPARATORS: [&str; 10] = [" ", "  ", ". ", ": ", "\n", ", ", ".\n", " - ", "’", "("];

    proptest::proptest! {
        /// The Rust port of FTS5's `snippet()` agrees with FTS5 on ASCII
        /// words, whatever the text and the query.
        #[test]
        fn the_ascii_port_makes_the_snippet_fts5_makes(
            text in proptest::collection::vec((0..VOCABULARY.len(), 0..SEPARATORS.len()), 0..60),
            lead in 0..SEPARATORS.len(),
            query in proptest::collection::vec(0..VOCABULARY.len() + 2, 1..4),
        ) {
            let text: String = SEPARATORS[lead].to_string()
                + &text.iter().map(|&(w, s)| format!("{}{}", VOCABULARY[w], SEPARATORS[s])).collect::<String>();
            let terms: Vec<&str> = query
                .iter()
                .map(|&q| match q.checked_sub(VOCABULARY.len()) {
                    Some(0) => "lea",
                    Some(_) => "bo",
                    None => VOCABULARY[q],
                })
                .collect();
            let mut s = snippets(&terms);
            let port = s.ascii_snippet(&text);
            let fts5 = s.fts5_snippet(&text).unwrap();
            proptest::prop_assert_eq!(
                port.as_deref().map(String::from_utf8_lossy),
                fts5.as_deref().map(String::from_utf8_lossy),
                "{:?} in {:?}", terms, text
            );
        }
    }
}
