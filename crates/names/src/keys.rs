//! A name turned into the keys it is compared and found by.

use rphonetic::DoubleMetaphone;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::tables::tables;

/// Bytes of a name that are looked at; the rest is cut off (at a character
/// boundary). Names in the vault are at most 500 characters.
pub const MAX_NAME_BYTES: usize = 2048;
/// Characters kept after Unicode normalisation (which can expand a
/// character into many).
const MAX_NORMALISED_CHARS: usize = 1024;
/// Words of a name that are kept; a longer name is compared on its first
/// words.
pub const MAX_TOKENS: usize = 16;
/// The fewest letters a name's words run together must have to match a
/// name split otherwise (two-letter names would meet by chance).
pub const MIN_JOINED: usize = 5;
/// Characters of one word that are kept.
const MAX_TOKEN_CHARS: usize = 48;

/// What a name belongs to. Legal forms are set aside only for
/// organisations, titles and nicknames only for persons; `Unknown` gets
/// both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Person,
    Organisation,
    Unknown,
}

impl NameKind {
    pub(crate) fn may_be_person(self) -> bool {
        self != NameKind::Organisation
    }
    pub(crate) fn may_be_organisation(self) -> bool {
        self != NameKind::Person
    }
}

/// What a word does in its name, and how much it weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A word that says who this is ("Smith", "Acme").
    Core,
    /// One letter ("J." in "J. Smith").
    Initial,
    /// A particle or a common business word ("van", "Holdings").
    Generic,
    /// A legal form or title, set aside ("Ltd", "Dr", "Jr").
    Affix,
}

impl Role {
    pub(crate) fn weight(self) -> f64 {
        match self {
            Role::Core => 1.0,
            Role::Initial => 0.5,
            Role::Generic => 0.25,
            Role::Affix => 0.0,
        }
    }
}

/// One word of a name.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// As written, after NFKC (for explanations).
    pub(crate) display: String,
    /// NFKC and lower case, in its own script.
    pub(crate) folded: String,
    /// Latin letters and digits, lower case ("müller" → "muller",
    /// "иванов" → "ivanov").
    pub(crate) latin: String,
    /// The spelling with two letters for one when it differs ("müller" →
    /// "mueller", "søren" → "soeren"; see `digraph_spelling`).
    pub(crate) digraph: Option<String>,
    /// Double Metaphone codes of `latin` (primary, then the alternate when
    /// it differs, then both without "H" and with "X" as "S"); none for
    /// digits and single letters.
    pub(crate) phonetic: Vec<String>,
    pub(crate) role: Role,
    /// Written in another script than Latin: its Latin form is one
    /// reading of several ("李娜" becomes "li nuo", usually "Li Na").
    pub(crate) non_latin: bool,
    /// Whether the word finds candidates and can carry a match on its
    /// own: a core word, or any word but an affix in a name that has no
    /// core word ("Holdings Group"). Never an initial alone.
    pub(crate) key: bool,
}

impl Token {
    pub(crate) fn forms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.latin.as_str()).chain(self.digraph.as_deref())
    }
}

/// A name normalised into the keys it is matched by.
///
/// - **exact**: NFKC, lower case, punctuation gone, words in order;
/// - **sorted**: the same words sorted, so order does not count;
/// - **latin**: the words transliterated to Latin letters (diacritics
///   gone, Cyrillic and Greek transliterated, German umlauts also as
///   "ae", "oe", "ue"), sorted;
/// - **stripped**: `latin` without legal forms and titles (a weaker key);
/// - **phonetic**: Double Metaphone codes per word.
///
/// Any input is accepted: it is cut to [`MAX_NAME_BYTES`] and
/// [`MAX_TOKENS`] words, control and invisible characters separate words
/// or vanish, and a name with no letters has no keys.
#[derive(Debug, Clone)]
pub struct NameKeys {
    pub(crate) kind: NameKind,
    pub(crate) tokens: Vec<Token>,
    exact: String,
    sorted: String,
    latin: String,
    stripped: String,
}

impl NameKeys {
    pub fn of(name: &str, kind: NameKind) -> NameKeys {
        let tokens = tokenize(name, kind);
        let mut folded: Vec<&str> = tokens.iter().map(|t| t.folded.as_str()).collect();
        let exact = folded.join(" ");
        folded.sort_unstable();
        let sorted = folded.join(" ");
        let mut latin: Vec<&str> = tokens.iter().map(|t| t.latin.as_str()).collect();
        latin.sort_unstable();
        let mut stripped: Vec<&str> = tokens
            .iter()
            .filter(|t| t.role != Role::Affix)
            .map(|t| t.latin.as_str())
            .collect();
        stripped.sort_unstable();
        NameKeys {
            kind,
            exact,
            sorted,
            latin: latin.join(" "),
            stripped: stripped.join(" "),
            tokens,
        }
    }

    pub fn kind(&self) -> NameKind {
        self.kind
    }
    /// True when the name has no letters or digits at all.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
    /// Words in order, NFKC and lower case: `"smith john"` for "Smith, John".
    pub fn exact(&self) -> &str {
        &self.exact
    }
    /// The same words sorted: `"john smith"` for "Smith, John".
    pub fn sorted(&self) -> &str {
        &self.sorted
    }
    /// Transliterated to Latin and sorted: `"ivan ivanov"` for "Иванов Иван".
    pub fn latin(&self) -> &str {
        &self.latin
    }
    /// `latin` without legal forms and titles: `"acme"` for "ACME Corporation".
    pub fn stripped(&self) -> &str {
        &self.stripped
    }
    /// The Latin letters of its words but legal forms and titles, in
    /// order and run together ("obrien" for "O Brien" and "O'Brien"), when
    /// they are at least [`MIN_JOINED`] letters; words written apart or
    /// together meet on it.
    pub fn joined(&self) -> Option<String> {
        let joined: String = self
            .tokens
            .iter()
            .filter(|t| t.role != Role::Affix)
            .map(|t| t.latin.as_str())
            .collect();
        (joined.len() >= MIN_JOINED).then_some(joined)
    }
    /// Double Metaphone codes of each word that has some, in word order.
    pub fn phonetic(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .flat_map(|t| t.phonetic.iter().map(String::as_str))
            .collect()
    }
}

/// Characters that are not there for a reader: zero-width and
/// direction marks, the soft hyphen, the byte order mark.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}')
}

/// Apostrophes join the parts of a word ("O'Brien" is "OBrien").
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}')
}

fn cut(name: &str, max_bytes: usize) -> &str {
    if name.len() <= max_bytes {
        return name;
    }
    let mut end = max_bytes;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Words as written: NFKC, split at anything that is not a letter or
/// digit, apostrophes and invisible characters dropped, "&" a word "and".
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars_in_word = 0;
    let end_word = |word: &mut String, chars_in_word: &mut usize, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
        *chars_in_word = 0;
    };
    for c in cut(name, MAX_NAME_BYTES).nfkc().take(MAX_NORMALISED_CHARS) {
        if words.len() >= MAX_TOKENS {
            break;
        }
        if c.is_alphanumeric() {
            if chars_in_word < MAX_TOKEN_CHARS {
                word.push(c);
                chars_in_word += 1;
            }
        } else if is_invisible(c) || is_apostrophe(c) {
            // joins the two sides into one word
        } else {
            end_word(&mut word, &mut chars_in_word, &mut words);
            if c == '&' || c == '+' {
                words.push("and".to_owned());
            }
        }
    }
    end_word(&mut word, &mut chars_in_word, &mut words);
    words.truncate(MAX_TOKENS);
    words
}

/// Lower-case ASCII letters and digits of a transliteration, split into
/// words ("王伟" → "wang", "wei").
fn latin_words(folded: &str) -> Vec<String> {
    let mut latin = deunicode::deunicode(folded).to_ascii_lowercase();
    // Transliterations write soft signs and the like as apostrophes
    // ("Наталья" → "natal'ia"): they join, as in the original.
    latin.retain(|c| c != '\'');
    latin
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_TOKEN_CHARS).collect())
        .collect()
}

/// Letters whose usual spelling without them is two letters, where
/// transliteration keeps one: German "müller" → "mueller", Danish and
/// Norwegian "søren" → "soeren", "ålund" → "aalund", Serbo-Croatian
/// "đorđe" → "djordje".
fn digraph_spelling(folded: &str) -> Option<String> {
    const PAIRS: [(char, &str); 7] = [
        ('ä', "ae"),
        ('ö', "oe"),
        ('ü', "ue"),
        ('ß', "ss"),
        ('ø', "oe"),
        ('å', "aa"),
        ('đ', "dj"),
    ];
    if !folded.contains(|c| PAIRS.iter().any(|(p, _)| *p == c)) {
        return None;
    }
    let mut out = String::with_capacity(folded.len() + 8);
    for c in folded.chars() {
        match PAIRS.iter().find(|(p, _)| *p == c) {
            Some((_, two)) => out.push_str(two),
            None => out.push(c),
        }
    }
    Some(out)
}

fn phonetic_codes(latin: &str) -> Vec<String> {
    if latin.len() < 2 || !latin.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Vec::new();
    }
    let codes = DoubleMetaphone::new(None).double_metaphone(latin);
    let (primary, alternate) = (codes.primary(), codes.alternate());
    let mut out = Vec::with_capacity(2);
    if !primary.is_empty() {
        out.push(primary);
    }
    if !alternate.is_empty() && !out.contains(&alternate) {
        out.push(alternate);
    }
    // Looser codes for two known gaps of Double Metaphone: an "h" between
    // vowels is kept ("Cohen" KHN, "Kohn" KN) and "sh" is not "s"
    // ("Shaun" XN, "Sean" SN).
    for i in 0..out.len() {
        let loose: String = out[i]
            .chars()
            .filter(|&c| c != 'H')
            .map(|c| if c == 'X' { 'S' } else { c })
            .collect();
        if !loose.is_empty() && !out.contains(&loose) {
            out.push(loose);
        }
    }
    out
}

fn tokenize(name: &str, kind: NameKind) -> Vec<Token> {
    let mut tokens = Vec::new();
    for display in words(name) {
        let folded = display.to_lowercase();
        let non_latin = folded.chars().any(|c| {
            c.is_alphabetic() && c > '\u{024F}' && !('\u{1E00}'..='\u{1EFF}').contains(&c)
        });
        let latin = latin_words(&folded);
        let digraph = digraph_spelling(&folded)
            .map(|g| latin_words(&g))
            .filter(|g| g.len() == latin.len());
        let several = latin.len() > 1;
        for (i, latin) in latin.into_iter().enumerate() {
            if tokens.len() >= MAX_TOKENS {
                break;
            }
            let digraph = digraph
                .as_ref()
                .and_then(|g| g.get(i))
                .filter(|g| **g != latin)
                .cloned();
            let (display, folded) = if several {
                // One written word that became several Latin words
                // (Chinese, Japanese): each Latin word stands for itself.
                (latin.clone(), latin.clone())
            } else {
                (display.clone(), folded.clone())
            };
            tokens.push(Token {
                phonetic: phonetic_codes(&latin),
                display,
                folded,
                latin,
                digraph,
                role: Role::Core,
                key: true,
                non_latin,
            });
        }
    }
    join_prefixes(&mut tokens);
    assign_roles(&mut tokens, kind);
    tokens
}

/// "Mc Donald" is "McDonald".
fn join_prefixes(tokens: &mut Vec<Token>) {
    let mut i = 0;
    while i + 1 < tokens.len() {
        if matches!(tokens[i].latin.as_str(), "mc" | "mac") && tokens[i + 1].latin.len() > 1 {
            let next = tokens.remove(i + 1);
            let t = &mut tokens[i];
            t.display.push_str(&next.display);
            t.folded.push_str(&next.folded);
            t.latin.push_str(&next.latin);
            t.digraph = None;
            t.phonetic = phonetic_codes(&t.latin);
        }
        i += 1;
    }
}

fn assign_roles(tokens: &mut [Token], kind: NameKind) {
    let t = tables();
    let n = tokens.len();
    // Affixes: legal forms (organisations) and suffixes (persons) from the
    // end, titles (persons) and a leading "the" (organisations) from the
    // start, never every word.
    let mut end = n;
    loop {
        if kind.may_be_organisation() {
            let form = t.legal_forms.iter().find(|form| {
                form.len() < end
                    && tokens[end - form.len()..end]
                        .iter()
                        .zip(form.iter())
                        .all(|(tok, f)| tok.latin == *f)
            });
            if let Some(form) = form {
                end -= form.len();
                continue;
            }
        }
        if kind.may_be_person()
            && end > 1
            && t.titles_after.contains(tokens[end - 1].latin.as_str())
        {
            end -= 1;
            continue;
        }
        break;
    }
    let mut start = 0;
    while start + 1 < end {
        let word = tokens[start].latin.as_str();
        let title = kind.may_be_person() && t.titles_before.contains(word);
        let article = kind.may_be_organisation() && word == "the";
        if !(title || article) {
            break;
        }
        start += 1;
    }
    for (i, token) in tokens.iter_mut().enumerate() {
        let word = token.latin.as_str();
        token.role = if i < start || i >= end {
            Role::Affix
        } else if (kind.may_be_person() && t.generic_person.contains(word))
            || (kind.may_be_organisation() && t.generic_organisation.contains(word))
        {
            Role::Generic
        } else if word.len() == 1 && word.bytes().all(|b| b.is_ascii_alphabetic()) {
            Role::Initial
        } else {
            Role::Core
        };
    }
    let has_core = tokens.iter().any(|t| t.role == Role::Core);
    for token in tokens.iter_mut() {
        token.key = token.role == Role::Core || (!has_core && token.role != Role::Affix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latin_of(name: &str, kind: NameKind) -> Vec<String> {
        NameKeys::of(name, kind)
            .tokens
            .iter()
            .map(|t| t.latin.clone())
            .collect()
    }

    #[test]
    fn keys_of_names() {
        let k = NameKeys::of("Smith, John", NameKind::Person);
        assert_eq!(k.exact(), "smith john");
        assert_eq!(k.sorted(), "john smith");
        let k = NameKeys::of("Иванов Иван", NameKind::Person);
        assert_eq!(k.latin(), "ivan ivanov");
        let k = NameKeys::of("ACME Corporation", NameKind::Organisation);
        assert_eq!(k.stripped(), "acme");
        let k = NameKeys::of("Müller GmbH & Co. KG", NameKind::Organisation);
        assert_eq!(k.stripped(), "muller");
        assert_eq!(k.tokens[0].digraph.as_deref(), Some("mueller"));
        let k = NameKeys::of("Dr. Jane O’Brien-Smith Jr.", NameKind::Person);
        assert_eq!(k.stripped(), "jane obrien smith");
        assert_eq!(
            NameKeys::of("Smyth", NameKind::Person).phonetic(),
            ["SM0", "XMT", "SMT"]
        );
    }

    #[test]
    fn words_and_roles() {
        assert_eq!(
            latin_of("J.R. Smith", NameKind::Person),
            ["j", "r", "smith"]
        );
        assert_eq!(latin_of("Mc Donald", NameKind::Person), ["mcdonald"]);
        assert_eq!(latin_of("王伟", NameKind::Person), ["wang", "wei"]);
        assert_eq!(latin_of("Sm\u{200B}ith", NameKind::Person), ["smith"]);
        assert_eq!(latin_of("ﬁsher", NameKind::Person), ["fisher"]);
        // A name that is only a legal form keeps its last word.
        let k = NameKeys::of("Company Ltd", NameKind::Organisation);
        assert_eq!(k.stripped(), "company");
        let k = NameKeys::of("The Smith Holdings Ltd", NameKind::Organisation);
        let roles: Vec<Role> = k.tokens.iter().map(|t| t.role).collect();
        assert_eq!(roles, [Role::Affix, Role::Core, Role::Generic, Role::Affix]);
        // Persons keep legal-form-like words.
        assert_eq!(NameKeys::of("Sa Co", NameKind::Person).stripped(), "co sa");
    }

    #[test]
    fn hostile_input_is_bounded() {
        assert!(NameKeys::of("", NameKind::Unknown).is_empty());
        assert!(NameKeys::of("\u{0}\u{7}\n\t ,.;", NameKind::Unknown).is_empty());
        let long = "a".repeat(10 * 1024 * 1024);
        let k = NameKeys::of(&long, NameKind::Unknown);
        assert_eq!(k.tokens.len(), 1);
        assert_eq!(k.tokens[0].latin.len(), MAX_TOKEN_CHARS);
        let many = "ab ".repeat(1_000_000);
        assert_eq!(
            NameKeys::of(&many, NameKind::Unknown).tokens.len(),
            MAX_TOKENS
        );
        // U+FDFA expands to 18 characters under NFKC; deunicode expands CJK.
        let expanding = "\u{FDFA}".repeat(100_000) + &"龍".repeat(100_000);
        let k = NameKeys::of(&expanding, NameKind::Unknown);
        assert!(k.tokens.len() <= MAX_TOKENS);
        assert!(k.tokens.iter().all(|t| t.latin.len() <= MAX_TOKEN_CHARS));
        // A cut in the middle of a multi-byte character.
        let s = format!("{}é", "a".repeat(MAX_NAME_BYTES - 1));
        let _ = NameKeys::of(&s, NameKind::Unknown);
    }
}
