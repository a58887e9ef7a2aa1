//! Name matching for conflict checks.
//!
//! A name becomes [`NameKeys`]: Unicode NFKC and lower case, words in
//! Latin letters (diacritics gone, Cyrillic and Greek transliterated,
//! German umlauts also as "ae"/"oe"/"ue"), word order set aside, legal
//! forms and titles set aside as a weaker key, Double Metaphone codes per
//! word. A [`NameIndex`] files every client, alias, party, prospect and
//! destroyed-matter name under blocking keys and answers
//! [`NameIndex::check`] with [`Hit`]s, each with a score, the
//! [`MatchReason`] it relies on and a sentence saying why.
//!
//! Pure: no I/O, no logging, no clock. Names are data the caller keeps in
//! the encrypted vault; this crate never writes them anywhere. Any input
//! string is accepted and bounded ([`MAX_NAME_BYTES`], [`MAX_TOKENS`]).

mod compare;
mod index;
mod keys;
mod tables;

pub use compare::{HIT_THRESHOLD, Match, MatchReason, compare};
pub use index::{Entry, EntryId, Hit, NameIndex};
pub use keys::{MAX_NAME_BYTES, MAX_TOKENS, NameKeys, NameKind};

/// The matcher's version, stored with every conflict check so a record
/// says which rules found (or did not find) its hits. Bump it whenever a
/// change can change a result: the code, the word lists in `data/`, or the
/// crates that normalise, transliterate or encode names.
pub const MATCHER_VERSION: &str = "matterbox-names/2 (nicknames carltonnorthern/nicknames@21d7505; \
     deunicode 1.6.2; rphonetic 4.0.0 double metaphone; strsim 0.11.1)";
