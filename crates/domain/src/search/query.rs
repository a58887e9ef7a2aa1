//! The search language: what a user types, parsed by Matterbox's own small
//! parser into a safe FTS5 expression and filters on the documents.
//!
//! | typed                     | means                                                        |
//! |---------------------------|--------------------------------------------------------------|
//! | `lease boundary`          | both words (whole words; case and accents ignored)           |
//! | `"quiet enjoyment"`       | the words together, in this order                            |
//! | `indemn*`                 | a word starting so (also `"notice of term"*`)                |
//! | `-draft`                  | documents without the word (also `-"a phrase"`, `-tag:x` …)  |
//! | `lease OR tenancy`        | either; binds tighter than the words around it               |
//! | `NEAR(notice cure, 5)`    | the words at most 5 words apart (10 if no number is given)   |
//! | `title:survey`            | the word in the title (`title:"a phrase"`, `title:surv*`)    |
//! | `tag:deed`                | documents tagged so (case ignored; `tag:"two words"`)        |
//! | `client:fictional`        | in matters of a client whose name or alias holds the text    |
//! | `matter:2025-0001`        | in the matter with that number, or whose title holds the text|
//! | `added:2025-01..2025-06`  | added in that span (`2025`, `2025-03`, `2025-03-04`, `2025..`, `..2025-06`) |
//!
//! Nothing is an error: what does not parse as one of these is searched as
//! plain words (an unclosed quote is ignored, `NEAR(a` is the words `NEAR`
//! and `a`, `added:soon` the words `added` and `soon`, an unknown field
//! `body:x` the words `body x` side by side, a lone `OR` the word "or").
//! Every word reaches FTS5 quoted, so FTS5's own syntax typed by a user
//! (`AND`, `NOT`, `^`, `:`, `{col}`, `+`, parentheses) is text, never an
//! operator: the only operators in the FTS5 expression are the ones
//! written here. A word is a run of letters and digits; a token with
//! other signs inside (`O'Brien`, `e-mail`, `2025-0001`) is its words side
//! by side, as the index holds them.
//!
//! A query with only exclusions and fields (`-draft`, `tag:deed`) lists
//! every document that passes them; ranked best-first it has no score,
//! so it is newest first. A query with nothing to search for is empty.

use chrono::{Datelike, NaiveDate};

/// The longest `NEAR` distance taken (a larger number is this).
const MAX_NEAR: u32 = 10_000;
/// `NEAR`'s distance when none is given (FTS5's default).
const DEFAULT_NEAR: u32 = 10;

/// A parsed search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Each must match.
    pub(crate) must: Vec<Clause>,
    /// None may match.
    pub(crate) must_not: Vec<Clause>,
    /// Conditions on the document's record.
    pub(crate) filters: Vec<Filter>,
}

/// A condition on the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Clause {
    Term(Term),
    /// Any of these.
    Any(Vec<Clause>),
    /// These terms within `distance` words of each other.
    Near(Vec<Term>, u32),
}

/// A word or phrase (its words, side by side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) words: Vec<String>,
    /// The last word may be the start of a longer one.
    pub(crate) prefix: bool,
    /// Only in the title.
    pub(crate) in_title: bool,
}

/// A condition on a document's record, or its opposite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) field: Field,
    pub(crate) negated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// Tagged so (case ignored).
    Tag(String),
    /// Its client's name or an alias contains the text (ASCII case ignored).
    Client(String),
    /// Its matter's number is this (case ignored) or its title contains it.
    Matter(String),
    /// Added on or after / on or before these days.
    Added {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
}

impl Query {
    /// Parses what a user typed; never fails.
    pub fn parse(text: &str) -> Query {
        Parser::new(text).query()
    }

    /// Every word of `text` as a plain word, all of which must match; no
    /// operator or field is read (for names searched on a user's behalf).
    pub fn words(text: &str) -> Query {
        Query {
            must: plain_words(text)
                .into_iter()
                .map(|w| Clause::Term(Term::word(w)))
                .collect(),
            ..Query::default()
        }
    }

    /// A mention of a name: every word of `text` as a plain word (no
    /// operator or field is read), all within `distance` words of each
    /// other in any order ("Smyth, Robert J." mentions "Robert Smyth").
    /// One word is that word; a text with no word is empty.
    pub fn mention(text: &str, distance: u32) -> Query {
        let words = plain_words(text);
        let clause = match words.len() {
            0 => return Query::default(),
            1 => Clause::Term(Term::word(words.into_iter().next().unwrap_or_default())),
            _ => Clause::Near(
                words.into_iter().map(Term::word).collect(),
                distance.min(MAX_NEAR),
            ),
        };
        Query {
            must: vec![clause],
            ..Query::default()
        }
    }

    /// Whether there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.must.is_empty() && self.must_not.is_empty() && self.filters.is_empty()
    }

    /// The FTS5 expression of what must match, if any word must.
    pub fn fts_must(&self) -> Option<String> {
        if self.must.is_empty() {
            return None;
        }
        let must = join(&self.must, " AND ");
        Some(if self.must_not.is_empty() {
            must
        } else {
            format!("({must}) NOT ({})", join(&self.must_not, " OR "))
        })
    }

    /// The FTS5 expression of what no match may hold, when no word must
    /// match (with words, it is part of [`Self::fts_must`]).
    pub(crate) fn fts_excluded(&self) -> Option<String> {
        (self.must.is_empty() && !self.must_not.is_empty()).then(|| join(&self.must_not, " OR "))
    }

    /// The words a snippet shows (those that must match, or may), each
    /// with whether it matches as a prefix.
    pub(crate) fn shown_words(&self) -> Vec<(String, bool)> {
        fn add(clause: &Clause, out: &mut Vec<(String, bool)>) {
            let mut term = |t: &Term| {
                let last = t.words.len().saturating_sub(1);
                for (i, w) in t.words.iter().enumerate() {
                    let entry = (w.clone(), t.prefix && i == last);
                    if !out.contains(&entry) {
                        out.push(entry);
                    }
                }
            };
            match clause {
                Clause::Term(t) => term(t),
                Clause::Near(ts, _) => ts.iter().for_each(term),
                Clause::Any(cs) => cs.iter().for_each(|c| add(c, out)),
            }
        }
        let mut out = Vec::new();
        for clause in &self.must {
            add(clause, &mut out);
        }
        out
    }
}

impl Term {
    fn word(word: String) -> Term {
        Term {
            words: vec![word],
            prefix: false,
            in_title: false,
        }
    }

    /// As FTS5 reads it: the words in one quoted string (their only
    /// characters are letters and digits, so nothing in them is syntax).
    fn fts(&self) -> String {
        let mut s = String::new();
        if self.in_title {
            s.push_str("title : ");
        }
        s.push('"');
        s.push_str(&self.words.join(" "));
        s.push('"');
        if self.prefix {
            s.push_str(" *");
        }
        s
    }
}

impl Clause {
    fn fts(&self) -> String {
        match self {
            Clause::Term(t) => t.fts(),
            Clause::Any(cs) => format!("({})", join(cs, " OR ")),
            Clause::Near(ts, distance) => {
                let terms: Vec<String> = ts.iter().map(Term::fts).collect();
                format!("NEAR({}, {distance})", terms.join(" "))
            }
        }
    }
}

fn join(clauses: &[Clause], with: &str) -> String {
    clauses
        .iter()
        .map(Clause::fts)
        .collect::<Vec<_>>()
        .join(with)
}

/// The runs of letters and digits of `text`.
fn plain_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A token typed as a word (maybe ending in `*`): its words side by side,
/// or nothing if it has no letter or digit.
fn term_of(token: &str) -> Option<Term> {
    let (body, prefix) = match token.strip_suffix('*') {
        Some(b) => (b, true),
        None => (token, false),
    };
    let words = plain_words(body);
    // A `*` only makes a prefix right after a letter or digit.
    let prefix = prefix && body.chars().last().is_some_and(char::is_alphanumeric);
    (!words.is_empty()).then_some(Term {
        words,
        prefix,
        in_title: false,
    })
}

/// A date or span as typed after `added:`.
fn date_span(value: &str) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
    let (from, to) = match value.split_once("..") {
        Some((a, b)) => (a, b),
        None => (value, value),
    };
    if from.is_empty() && to.is_empty() {
        return None;
    }
    let from = if from.is_empty() {
        None
    } else {
        Some(day_bound(from, false)?)
    };
    let to = if to.is_empty() {
        None
    } else {
        Some(day_bound(to, true)?)
    };
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return None;
    }
    Some((from, to))
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` as its first day, or its last.
fn day_bound(text: &str, last: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let year = i32::try_from(number(parts.first()?, 4)?).ok()?;
    match parts[..] {
        [_] => NaiveDate::from_ymd_opt(year, if last { 12 } else { 1 }, if last { 31 } else { 1 }),
        [_, m] => {
            let first = NaiveDate::from_ymd_opt(year, number(m, 2)?, 1)?;
            if !last {
                return Some(first);
            }
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, first.month() + 1, 1)?
            };
            next.pred_opt()
        }
        [_, m, d] => NaiveDate::from_ymd_opt(year, number(m, 2)?, number(d, 2)?),
        _ => None,
    }
}

/// One thing typed, before `OR`s are joined.
enum Item {
    Clause(Clause, bool),
    Filter(Filter),
    Or,
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    items: Vec<Item>,
}

/// Characters that end a typed word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || c == '"' || c == '(' || c == ')'
}

impl Parser {
    fn new(text: &str) -> Parser {
        Parser {
            chars: text.chars().collect(),
            at: 0,
            items: Vec::new(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        let mut at = self.at;
        s.chars().all(|c| {
            let same = self.chars.get(at) == Some(&c);
            at += 1;
            same
        })
    }

    /// The word starting here (up to a space, quote or parenthesis).
    fn take_word(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| !ends_word(c)) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    /// A quoted string starting here, if its quote is closed; `at` moves
    /// past it (and a `*` right after it, which makes it a prefix).
    fn take_quoted(&mut self) -> Option<(String, bool)> {
        let close = (self.at + 1..self.chars.len()).find(|&i| self.chars[i] == '"')?;
        let inner: String = self.chars[self.at + 1..close].iter().collect();
        self.at = close + 1;
        let prefix = self.peek() == Some('*');
        if prefix {
            self.at += 1;
        }
        Some((inner, prefix))
    }

    fn push_words(&mut self, text: &str, negated: bool) {
        if let Some(t) = term_of(text) {
            self.items.push(Item::Clause(Clause::Term(t), negated));
        }
    }

    fn query(mut self) -> Query {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == '(' || c == ')' {
                // Parentheses group nothing here: stray ones are spaces.
                self.at += 1;
                continue;
            }
            let negated = c == '-'
                && self
                    .chars
                    .get(self.at + 1)
                    .is_some_and(|&n| !n.is_whitespace());
            if negated {
                self.at += 1;
            }
            self.item(negated);
        }
        self.finish()
    }

    /// Reads one thing typed, starting at `at`.
    fn item(&mut self, negated: bool) {
        if self.starts_with("NEAR(")
            && let Some(near) = self.near()
        {
            self.items.push(Item::Clause(near, negated));
            return;
        }
        if self.peek() == Some('"') {
            match self.take_quoted() {
                Some((inner, prefix)) => {
                    let star = if prefix { "*" } else { "" };
                    self.push_words(&format!("{inner}{star}"), negated);
                }
                // An unclosed quote is ignored: what follows is words.
                None => self.at += 1,
            }
            return;
        }
        let word = self.take_word();
        if word == "OR" && !negated {
            self.items.push(Item::Or);
            return;
        }
        if let Some((name, value)) = word.split_once(':')
            && self.field(name, value, negated)
        {
            return;
        }
        self.push_words(&word, negated);
    }

    /// A field typed as `name:value` (the value maybe quoted, just after
    /// the `:`); false, with nothing read, if it is not one.
    fn field(&mut self, name: &str, value: &str, negated: bool) -> bool {
        let name = name.to_ascii_lowercase();
        if !["title", "tag", "client", "matter", "added"].contains(&name.as_str()) {
            return false;
        }
        let (value, prefix) = if value.is_empty() && self.peek() == Some('"') {
            let back = self.at;
            match self.take_quoted() {
                Some(v) => v,
                None => {
                    self.at = back;
                    return false;
                }
            }
        } else {
            (value.to_string(), false)
        };
        let text = value.trim();
        let field = match name.as_str() {
            "title" => {
                let star = if prefix { "*" } else { "" };
                let Some(mut term) = term_of(&format!("{text}{star}")) else {
                    return false;
                };
                term.in_title = true;
                self.items.push(Item::Clause(Clause::Term(term), negated));
                return true;
            }
            _ if text.is_empty() || text.chars().count() > crate::MAX_SHORT => return false,
            "tag" => Field::Tag(text.to_string()),
            "client" => Field::Client(text.to_string()),
            "matter" => Field::Matter(text.to_string()),
            _ => match date_span(text) {
                Some((from, to)) => Field::Added { from, to },
                None => return false,
            },
        };
        self.items.push(Item::Filter(Filter { field, negated }));
        true
    }

    /// `NEAR(term term …[, distance])` starting at `at`; `at` moves past
    /// it. None, with `at` unchanged, if it is not one.
    fn near(&mut self) -> Option<Clause> {
        let start = self.at;
        let close = (start..self.chars.len()).find(|&i| self.chars[i] == ')')?;
        let inner: String = self.chars[start + "NEAR(".len()..close].iter().collect();
        let (terms, distance) = match inner.rsplit_once(',') {
            Some((terms, d)) => {
                let d = d.trim();
                if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let d = d.parse::<u64>().unwrap_or(u64::MAX);
                (terms, u32::try_from(d).unwrap_or(MAX_NEAR).min(MAX_NEAR))
            }
            None => (inner.as_str(), DEFAULT_NEAR),
        };
        let mut found = Vec::new();
        let mut inside = Parser::new(terms);
        while let Some(c) = inside.peek() {
            if c.is_whitespace() {
                inside.at += 1;
            } else if c == '"' {
                let (words, prefix) = inside.take_quoted()?;
                let star = if prefix { "*" } else { "" };
                found.extend(term_of(&format!("{words}{star}")));
            } else {
                let word = inside.take_word();
                if word.is_empty() {
                    // A parenthesis inside: not a NEAR.
                    return None;
                }
                found.extend(term_of(&word));
            }
        }
        if found.len() < 2 {
            return None;
        }
        self.at = close + 1;
        Some(Clause::Near(found, distance))
    }

    /// Joins `a OR b` and turns the rest into the query.
    fn finish(self) -> Query {
        let mut query = Query::default();
        let mut pending: Option<Clause> = None;
        let mut pending_or = false;
        let or_word = || Clause::Term(Term::word("OR".to_string()));
        let flush = |query: &mut Query, pending: &mut Option<Clause>, pending_or: &mut bool| {
            if let Some(c) = pending.take() {
                query.must.push(c);
            }
            if std::mem::take(pending_or) {
                query.must.push(or_word());
            }
        };
        for item in self.items {
            match item {
                Item::Clause(clause, false) => {
                    if pending_or && let Some(left) = pending.take() {
                        pending_or = false;
                        let mut any = match left {
                            Clause::Any(cs) => cs,
                            other => vec![other],
                        };
                        any.push(clause);
                        pending = Some(Clause::Any(any));
                    } else {
                        flush(&mut query, &mut pending, &mut pending_or);
                        pending = Some(clause);
                    }
                }
                // `OR OR` is one `OR`; one with nothing on its left or
                // right is the word (see `flush`).
                Item::Or => pending_or = true,
                Item::Clause(clause, true) => {
                    flush(&mut query, &mut pending, &mut pending_or);
                    query.must_not.push(clause);
                }
                Item::Filter(f) => {
                    flush(&mut query, &mut pending, &mut pending_or);
                    query.filters.push(f);
                }
            }
        }
        flush(&mut query, &mut pending, &mut pending_or);
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a query becomes: the FTS5 expression that must match, the one
    /// excluded (when nothing must match), and the filters, as text.
    fn shape(input: &str) -> String {
        let q = Query::parse(input);
        let mut out = Vec::new();
        if let Some(m) = q.fts_must() {
            out.push(m);
        }
        if let Some(n) = q.fts_excluded() {
            out.push(format!("none of {n}"));
        }
        for f in &q.filters {
            let not = if f.negated { "not " } else { "" };
            out.push(format!("{not}{:?}", f.field));
        }
        out.join(" | ")
    }

    #[test]
    fn the_language() {
        let cases: &[(&str, &str)] = &[
            ("lease", r#""lease""#),
            ("  Boundary   dispute ", r#""Boundary" AND "dispute""#),
            (r#""quiet enjoyment""#, r#""quiet enjoyment""#),
            ("indemn*", r#""indemn" *"#),
            (r#""notice of term"*"#, r#""notice of term" *"#),
            ("indemn* -draft", r#"("indemn" *) NOT ("draft")"#),
            (
                r#"lease -draft -"first version""#,
                r#"("lease") NOT ("draft" OR "first version")"#,
            ),
            ("lease OR tenancy", r#"("lease" OR "tenancy")"#),
            (
                "lease OR tenancy OR licence rent",
                r#"("lease" OR "tenancy" OR "licence") AND "rent""#,
            ),
            ("NEAR(notice cure, 5)", r#"NEAR("notice" "cure", 5)"#),
            ("NEAR(notice cure)", r#"NEAR("notice" "cure", 10)"#),
            (
                r#"NEAR("notice to" cur*, 3) breach"#,
                r#"NEAR("notice to" "cur" *, 3) AND "breach""#,
            ),
            ("NEAR(a b, 99999999999)", r#"NEAR("a" "b", 10000)"#),
            ("title:survey", r#"title : "survey""#),
            (r#"title:"site plan""#, r#"title : "site plan""#),
            ("Title:surv*", r#"title : "surv" *"#),
            ("-title:draft lease", r#"("lease") NOT (title : "draft")"#),
            ("tag:deed", r#"Tag("deed")"#),
            (r#"tag:"client letter""#, r#"Tag("client letter")"#),
            ("-tag:draft", r#"not Tag("draft")"#),
            ("client:fictional", r#"Client("fictional")"#),
            ("matter:2025-0001", r#"Matter("2025-0001")"#),
            (
                "added:2025-01..2025-06",
                "Added { from: Some(2025-01-01), to: Some(2025-06-30) }",
            ),
            (
                "added:2024",
                "Added { from: Some(2024-01-01), to: Some(2024-12-31) }",
            ),
            (
                "added:2024-02",
                "Added { from: Some(2024-02-01), to: Some(2024-02-29) }",
            ),
            (
                "added:2025-12",
                "Added { from: Some(2025-12-01), to: Some(2025-12-31) }",
            ),
            (
                "added:2025-03-04",
                "Added { from: Some(2025-03-04), to: Some(2025-03-04) }",
            ),
            ("added:2025..", "Added { from: Some(2025-01-01), to: None }"),
            (
                "added:..2025-06",
                "Added { from: None, to: Some(2025-06-30) }",
            ),
            (
                "boundary tag:deed added:2025",
                r#""boundary" | Tag("deed") | Added { from: Some(2025-01-01), to: Some(2025-12-31) }"#,
            ),
            // Only exclusions: every document without them.
            ("-draft", r#"none of "draft""#),
            ("-draft -copy", r#"none of "draft" OR "copy""#),
        ];
        for (input, expect) in cases {
            assert_eq!(shape(input), *expect, "{input}");
        }
    }

    /// What does not parse is words; FTS5's syntax typed as text is text.
    #[test]
    fn anything_else_is_plain_words() {
        let cases: &[(&str, &str)] = &[
            // FTS5 operators typed as words.
            ("a AND b", r#""a" AND "AND" AND "b""#),
            ("NOT secret", r#""NOT" AND "secret""#),
            ("a NOT b", r#""a" AND "NOT" AND "b""#),
            ("^start", r#""start""#),
            ("+plus", r#""plus""#),
            ("a : b", r#""a" AND "b""#),
            ("body:secret", r#""body secret""#),
            ("{title body}:x", r#""title" AND "body x""#),
            ("col:", r#""col""#),
            ("near(a b)", r#""near" AND "a" AND "b""#),
            ("a or b", r#""a" AND "or" AND "b""#),
            // OR without two sides.
            ("OR", r#""OR""#),
            ("OR lease", r#""OR" AND "lease""#),
            ("lease OR", r#""lease" AND "OR""#),
            ("a OR OR b", r#"("a" OR "b")"#),
            ("OR OR", r#""OR""#),
            ("a OR -b", r#"("a" AND "OR") NOT ("b")"#),
            ("a OR tag:x", r#""a" AND "OR" | Tag("x")"#),
            // Unbalanced quotes and parentheses.
            (r#""unclosed phrase"#, r#""unclosed" AND "phrase""#),
            (r#"a "b c" "d"#, r#""a" AND "b c" AND "d""#),
            (r#"""#, ""),
            (r#""""#, ""),
            ("(lease) (", r#""lease""#),
            ("((a OR b)", r#"("a" OR "b")"#),
            ("NEAR(a b", r#""NEAR" AND "a" AND "b""#),
            ("NEAR(a, 5)", r#""NEAR" AND "a" AND "5""#),
            ("NEAR(a b, x)", r#""NEAR" AND "a" AND "b" AND "x""#),
            ("NEAR(a (b) c)", r#""NEAR" AND "a" AND "b" AND "c""#),
            (r#"NEAR("a b)"#, r#""NEAR" AND "a" AND "b""#),
            // Fields that do not parse.
            ("added:soon", r#""added soon""#),
            ("added:2025-13", r#""added 2025 13""#),
            ("added:2025-06..2025-01", r#""added 2025 06 2025 01""#),
            ("added:..", r#""added""#),
            ("tag:", r#""tag""#),
            (r#"tag:"x"#, r#""tag" AND "x""#),
            ("title:***", r#""title""#),
            // Signs inside a word: its words side by side.
            ("O'Brien", r#""O Brien""#),
            ("e-mail", r#""e mail""#),
            ("a*b", r#""a b""#),
            ("x-*", r#""x""#),
            // A lone sign.
            ("- * ** \" ' ; , .", ""),
            ("-", ""),
            ("", ""),
            ("   \t\n ", ""),
            // Unicode.
            ("Zürich", r#""Zürich""#),
            ("москва -суд", r#"("москва") NOT ("суд")"#),
            ("東京 OR 大阪", r#"("東京" OR "大阪")"#),
            ("tag:Überweisung", r#"Tag("Überweisung")"#),
            ("emoji 🙂 here", r#""emoji" AND "here""#),
            ("\u{202e}evil\u{200b}", r#""evil""#),
        ];
        for (input, expect) in cases {
            assert_eq!(shape(input), *expect, "{input}");
        }
    }

    /// Every expression is one FTS5 accepts, whatever was typed, and the
    /// parse is quick on long input.
    #[test]
    fn every_input_is_a_valid_fts5_query() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
             INSERT INTO t VALUES ('a title', 'some body text');",
        )
        .unwrap();
        let long = "indemn* -draft \"phrase ".repeat(500);
        let mut inputs: Vec<String> = [
            "a AND b",
            "NOT x",
            "^a",
            "a:b",
            "{title}:x",
            "title:x",
            "\"",
            "NEAR(",
            "NEAR()",
            "NEAR(a b, 5",
            "))((",
            "-\"\"",
            "OR OR OR",
            "* * *",
            "a\"b\"c",
            "-tag:\"x",
            "NEAR(\"a\" \"b\"*, 0)",
            "\"x\"**",
            "title:\"a\"*",
            "x OR NEAR(a b) OR \"c d\"*",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push("x".repeat(10_000));
        inputs.push(long.chars().take(10_000).collect());
        inputs.push("(\"".repeat(5_000));
        inputs.push("NEAR(".repeat(2_000));
        inputs.push("é".repeat(10_000));
        for input in &inputs {
            let q = Query::parse(input);
            // What reaches FTS5 grows with the input, never faster (no
            // blow-up from nesting); a parse that hangs fails the suite's
            // time limit (tests never time themselves).
            for expr in [q.fts_must(), q.fts_excluded()].into_iter().flatten() {
                assert!(
                    expr.len() <= 4 * input.len() + 64,
                    "{} characters of query from {}: {}",
                    expr.len(),
                    input.len(),
                    &input[..input.floor_char_boundary(40)]
                );
            }
            for expr in [q.fts_must(), q.fts_excluded()].into_iter().flatten() {
                let r: rusqlite::Result<i64> =
                    conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&expr], |r| {
                        r.get(0)
                    });
                assert!(r.is_ok(), "{expr}: {r:?}");
            }
        }
        assert_eq!(Query::parse(&"x".repeat(10_000)).must.len(), 1);
    }

    #[test]
    fn a_mention_is_the_names_words_near_each_other_and_reads_no_operator() {
        assert_eq!(
            Query::mention("Smyth, Robert", 2).fts_must().unwrap(),
            r#"NEAR("Smyth" "Robert", 2)"#
        );
        assert_eq!(
            Query::mention("O'Brien NOT x", 3).fts_must().unwrap(),
            r#"NEAR("O" "Brien" "NOT" "x", 3)"#
        );
        assert_eq!(
            Query::mention("Hartwell", 2).fts_must().unwrap(),
            r#""Hartwell""#
        );
        assert!(Query::mention("-- **", 2).is_empty());
    }

    #[test]
    fn plain_words_read_no_operator() {
        let q = Query::words("Smith-Jones OR \"x tag:y -z");
        assert_eq!(
            q.fts_must().unwrap(),
            r#""Smith" AND "Jones" AND "OR" AND "x" AND "tag" AND "y" AND "z""#
        );
        assert!(Query::words("-- **").is_empty());
    }

    #[test]
    fn a_snippet_shows_the_words_that_must_or_may_match() {
        let q = Query::parse("lease OR tenan* \"quiet enjoyment\" -draft tag:x lease");
        assert_eq!(
            q.shown_words(),
            [
                ("lease".to_string(), false),
                ("tenan".to_string(), true),
                ("quiet".to_string(), false),
                ("enjoyment".to_string(), false),
            ]
        );
    }
}
