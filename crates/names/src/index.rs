//! The in-memory index a conflict check searches.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::compare::{Match, MatchReason, compare};
use crate::keys::{NameKeys, NameKind, Token};
use crate::tables::tables;

/// Someone to check against: a client, a party of a matter, a prospect,
/// a name kept for a destroyed matter. `payload` is the caller's
/// reference (ids, role, the matter's dates) and comes back with each hit.
#[derive(Debug, Clone)]
pub struct Entry<R> {
    pub payload: R,
    pub kind: NameKind,
    pub name: String,
    /// Aliases and former names; each is matched like the name.
    pub aliases: Vec<String>,
}

/// An entry's place in one index (not stable across rebuilds: keep your
/// own ids in the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(u32);

/// An entry whose name or one of whose aliases matches the searched name.
#[derive(Debug, Clone)]
pub struct Hit<'a, R> {
    pub entry: EntryId,
    pub payload: &'a R,
    pub kind: NameKind,
    /// The name or alias that matched, as given to the index.
    pub matched_name: &'a str,
    /// `None` when the entry's name matched, else the alias's position.
    pub alias: Option<usize>,
    /// 0.8 ([`crate::HIT_THRESHOLD`]) to 1.
    pub score: f64,
    /// The weakest step the match relies on.
    pub reason: MatchReason,
    /// Every step, strongest first.
    pub steps: Vec<MatchReason>,
    /// The steps as sentences ("'Bob' is a nickname of 'Robert'; 'Smyth'
    /// sounds like 'Smith' (SM0)").
    pub explanation: String,
}

struct Stored<R> {
    payload: R,
    kind: NameKind,
    names: Vec<String>,
}

/// One name or alias of an entry, normalised.
struct Variant {
    entry: u32,
    /// 0 for the name, `i + 1` for alias `i`.
    name: u32,
    keys: NameKeys,
}

/// Names normalised once and filed under blocking keys (words in Latin
/// letters, their Double Metaphone codes, their one-letter deletions),
/// so a check compares the searched name with the few names sharing a key
/// instead of every name.
///
/// Every match [`compare`] can find is found: names whose words are the
/// same letters run together share their joined key; any other match needs a pair of
/// words that are the same, transliterations, nicknames, sound alike or
/// are one edit apart, and each of those shares a key (nicknames through
/// the searched word's list).
pub struct NameIndex<R> {
    entries: Vec<Option<Stored<R>>>,
    variants: Vec<Variant>,
    blocks: HashMap<u64, Vec<u32>>,
}

impl<R> Default for NameIndex<R> {
    fn default() -> Self {
        NameIndex {
            entries: Vec::new(),
            variants: Vec::new(),
            blocks: HashMap::new(),
        }
    }
}

#[derive(Hash)]
enum BlockKey<'a> {
    /// The whole name, exactly (names with only initials: "J. K.").
    Exact(&'a str),
    /// A word in Latin letters (or its German spelling).
    Word(&'a str),
    /// A Double Metaphone code.
    Sound(&'a str),
    /// A word of four letters or more, or it with one letter deleted.
    Deletion(&'a [u8]),
    /// The name's words run together (`NameKeys::joined`).
    Joined(&'a str),
}

fn hash(key: BlockKey<'_>) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Words shorter than this find candidates by typos neither way.
const MIN_TYPO_LEN: usize = 4;

fn deletions(word: &str, out: &mut Vec<u64>) {
    let bytes = word.as_bytes();
    if bytes.len() < MIN_TYPO_LEN {
        return;
    }
    out.push(hash(BlockKey::Deletion(bytes)));
    let mut buf = Vec::with_capacity(bytes.len());
    for skip in 0..bytes.len() {
        buf.clear();
        buf.extend_from_slice(&bytes[..skip]);
        buf.extend_from_slice(&bytes[skip + 1..]);
        out.push(hash(BlockKey::Deletion(&buf)));
    }
}

/// The blocking keys of a name; a query adds the nicknames of its words.
fn block_keys(keys: &NameKeys, query: bool) -> Vec<u64> {
    let mut out = vec![hash(BlockKey::Exact(keys.exact()))];
    if let Some(joined) = keys.joined() {
        out.push(hash(BlockKey::Joined(&joined)));
    }
    let nicknames = query && keys.kind.may_be_person();
    for token in keys.tokens.iter().filter(|t: &&Token| t.key) {
        for form in token.forms() {
            out.push(hash(BlockKey::Word(form)));
            deletions(form, &mut out);
        }
        for code in &token.phonetic {
            out.push(hash(BlockKey::Sound(code)));
        }
        if nicknames {
            for related in tables().related(&token.latin) {
                out.push(hash(BlockKey::Word(related)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl<R> NameIndex<R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an index from every entry at once.
    pub fn from_entries(entries: impl IntoIterator<Item = Entry<R>>) -> Self {
        let mut index = Self::new();
        for entry in entries {
            index.insert(entry);
        }
        index
    }

    /// Adds an entry (a new client, a party added to a matter).
    pub fn insert(&mut self, entry: Entry<R>) -> EntryId {
        let id = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        let mut names = Vec::with_capacity(1 + entry.aliases.len());
        names.push(entry.name);
        names.extend(entry.aliases);
        for (n, name) in names.iter().enumerate() {
            let keys = NameKeys::of(name, entry.kind);
            if keys.is_empty() {
                continue;
            }
            let variant = u32::try_from(self.variants.len()).unwrap_or(u32::MAX);
            for key in block_keys(&keys, false) {
                self.blocks.entry(key).or_default().push(variant);
            }
            self.variants.push(Variant {
                entry: id,
                name: u32::try_from(n).unwrap_or(u32::MAX),
                keys,
            });
        }
        self.entries.push(Some(Stored {
            payload: entry.payload,
            kind: entry.kind,
            names,
        }));
        EntryId(id)
    }

    /// Takes an entry out (a party removed, a client merged); its payload
    /// is returned. Its names stay filed until the index is rebuilt but
    /// are never found again.
    pub fn remove(&mut self, id: EntryId) -> Option<R> {
        let slot = self.entries.get_mut(id.0 as usize)?;
        slot.take().map(|stored| stored.payload)
    }

    /// Entries in the index.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry one of whose names matches `name`, best first (one hit
    /// per entry: its best-matching name). An empty or unreadable name
    /// finds nothing.
    pub fn check(&self, name: &str, kind: NameKind) -> Vec<Hit<'_, R>> {
        self.check_keys(&NameKeys::of(name, kind))
    }

    /// [`NameIndex::check`] with keys made once (a name checked again as
    /// the user types elsewhere).
    pub fn check_keys(&self, query: &NameKeys) -> Vec<Hit<'_, R>> {
        if query.is_empty() {
            return Vec::new();
        }
        let mut candidates: Vec<u32> = Vec::new();
        for key in block_keys(query, true) {
            if let Some(list) = self.blocks.get(&key) {
                candidates.extend_from_slice(list);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();

        let mut best: HashMap<u32, (u32, Match)> = HashMap::new();
        for v in candidates {
            let variant = &self.variants[v as usize];
            if self.entries[variant.entry as usize].is_none() {
                continue;
            }
            let Some(found) = compare(query, &variant.keys) else {
                continue;
            };
            match best.get(&variant.entry) {
                Some((_, b)) if b.score >= found.score => {}
                _ => {
                    best.insert(variant.entry, (variant.name, found));
                }
            }
        }

        let mut hits: Vec<Hit<'_, R>> = best
            .into_iter()
            .filter_map(|(entry, (name, found))| {
                let stored = self.entries[entry as usize].as_ref()?;
                Some(Hit {
                    entry: EntryId(entry),
                    payload: &stored.payload,
                    kind: stored.kind,
                    matched_name: stored.names.get(name as usize)?.as_str(),
                    alias: (name as usize).checked_sub(1),
                    score: found.score,
                    reason: found.reason,
                    steps: found.steps,
                    explanation: found.explanation,
                })
            })
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.reason.rank().cmp(&b.reason.rank()))
                .then(a.entry.cmp(&b.entry))
        });
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        payload: &'static str,
        kind: NameKind,
        name: &str,
        aliases: &[&str],
    ) -> Entry<&'static str> {
        Entry {
            payload,
            kind,
            name: name.to_owned(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn the_issue_s_example() {
        let index = NameIndex::from_entries([
            entry("adverse-2019", NameKind::Person, "Bob Smith", &[]),
            entry("client-acme", NameKind::Organisation, "Acme Ltd", &[]),
            entry("client-other", NameKind::Person, "Ronjon Arrowsmith", &[]),
            entry("client-jane", NameKind::Person, "Jane Doe", &["Jane Smith"]),
        ]);
        let hits = index.check("Robert Smyth", NameKind::Person);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(*hits[0].payload, "adverse-2019");
        assert_eq!(
            hits[0].explanation,
            "'Bob' is a nickname of 'Robert'; 'Smyth' sounds like 'Smith' (SM0)"
        );
        let hits = index.check("ACME Corporation", NameKind::Organisation);
        assert_eq!(hits.len(), 1);
        assert_eq!(*hits[0].payload, "client-acme");
        assert!(matches!(
            hits[0].reason,
            MatchReason::LegalFormStripped { .. }
        ));

        let hits = index.check("Smith, Jane", NameKind::Unknown);
        assert_eq!(*hits[0].payload, "client-jane");
        assert_eq!(hits[0].matched_name, "Jane Smith");
        assert_eq!(hits[0].alias, Some(0));
        assert_eq!(hits[0].reason, MatchReason::SameTokensDifferentOrder);
        assert!(
            index
                .check("Jon Smith", NameKind::Person)
                .iter()
                .all(|h| *h.payload != "client-other")
        );
    }

    #[test]
    fn removed_entries_are_not_found() {
        let mut index = NameIndex::new();
        let id = index.insert(entry("a", NameKind::Person, "Mary Jones", &[]));
        assert_eq!(index.check("Mary Jones", NameKind::Person).len(), 1);
        assert_eq!(index.remove(id), Some("a"));
        assert_eq!(index.remove(id), None);
        assert!(index.check("Mary Jones", NameKind::Person).is_empty());
        assert!(index.is_empty());
    }

    #[test]
    fn hostile_queries_find_nothing_quickly() {
        let index = NameIndex::from_entries([entry("a", NameKind::Person, "Mary Jones", &[])]);
        for query in [
            "",
            "   ",
            "\u{0}\u{1b}[31m",
            &"x".repeat(10 * 1024 * 1024),
            &"Mary ".repeat(100_000),
        ] {
            let hits = index.check(query, NameKind::Unknown);
            assert!(hits.len() <= 1);
        }
        let initials = NameIndex::from_entries([entry("jk", NameKind::Person, "J. K.", &[])]);
        assert_eq!(initials.check("J K", NameKind::Person).len(), 1);
        assert!(initials.check("John Kennedy", NameKind::Person).is_empty());
    }
}
