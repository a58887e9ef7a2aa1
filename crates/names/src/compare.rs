//! Comparing two names: which words pair up, why, and how strongly.

use serde::{Deserialize, Serialize};

use crate::keys::{NameKeys, Role, Token};
use crate::tables::tables;

/// A comparison scoring below this is not a hit.
///
/// One word of two missing ("John Smith" / "Mary Smith") scores at most
/// 0.5; a surname alone against a full name ("Smith" / "John Smith")
/// 0.93; an initial for a first name ("J. Smith" / "John Smith") 0.93.
pub const HIT_THRESHOLD: f64 = 0.8;

/// Why two names match, from the strongest reason to the weakest.
///
/// A hit's `reason` is the weakest step its match relies on: the one the
/// lawyer has to judge. `from` is a word of the searched name, `to` one
/// of the name found, as written (after Unicode NFKC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatchReason {
    /// The same words in the same order (case, punctuation and Unicode
    /// forms aside).
    Exact,
    /// The same words in another order ("Smith, John" / "John Smith").
    SameTokensDifferentOrder,
    /// The same word once both are in Latin letters ("Иванов" / "Ivanov",
    /// "Müller" / "Mueller", "José" / "Jose").
    Transliteration { from: String, to: String },
    /// The same letters, with words written apart or together
    /// ("O Brien" / "OBrien", "Van der Berg" / "Vanderberg").
    JoinedWords { from: String, to: String },
    /// Legal forms or titles set aside ("Ltd", "Corporation", "Dr").
    LegalFormStripped { removed: Vec<String> },
    /// Words only one of the names has (a middle name, "Widgets").
    ExtraTokens { tokens: Vec<String> },
    /// One word is a nickname of the other in the shipped list; `from` is
    /// the nickname, `to` the name it stands for.
    Nickname { from: String, to: String },
    /// The words sound alike: they share a Double Metaphone code.
    Phonetic {
        code: String,
        from: String,
        to: String,
    },
    /// The words are one edit apart; `score` is their Jaro-Winkler
    /// similarity.
    Similar {
        score: f64,
        from: String,
        to: String,
    },
    /// A single letter matches the start of a word ("J." / "John").
    Initial { initial: String, name: String },
}

impl MatchReason {
    /// 0 for the strongest reason, larger for weaker ones.
    pub fn rank(&self) -> u8 {
        match self {
            MatchReason::Exact => 0,
            MatchReason::SameTokensDifferentOrder => 1,
            MatchReason::Transliteration { .. } => 2,
            MatchReason::JoinedWords { .. } => 3,
            MatchReason::LegalFormStripped { .. } => 4,
            MatchReason::ExtraTokens { .. } => 5,
            MatchReason::Nickname { .. } => 6,
            MatchReason::Phonetic { .. } => 7,
            MatchReason::Similar { .. } => 8,
            MatchReason::Initial { .. } => 9,
        }
    }

    /// One sentence for a lawyer.
    pub fn explain(&self) -> String {
        fn quoted(words: &[String]) -> String {
            let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
            words.join(", ")
        }
        match self {
            MatchReason::Exact => "the same name".to_owned(),
            MatchReason::SameTokensDifferentOrder => "the same words in another order".to_owned(),
            MatchReason::Transliteration { from, to } => {
                format!("'{from}' and '{to}' are the same in Latin letters")
            }
            MatchReason::JoinedWords { from, to } => {
                format!("'{from}' and '{to}' are the same letters, written apart or together")
            }
            MatchReason::LegalFormStripped { removed } => {
                format!("legal forms and titles set aside: {}", quoted(removed))
            }
            MatchReason::ExtraTokens { tokens } => {
                format!("only one of the names has {}", quoted(tokens))
            }
            MatchReason::Nickname { from, to } => format!("'{from}' is a nickname of '{to}'"),
            MatchReason::Phonetic { code, from, to } => {
                format!("'{from}' sounds like '{to}' ({code})")
            }
            MatchReason::Similar { score, from, to } => {
                format!("'{from}' is spelled almost like '{to}' (similarity {score:.2})")
            }
            MatchReason::Initial { initial, name } => {
                format!("'{initial}' may be the initial of '{name}'")
            }
        }
    }
}

/// The result of comparing a searched name with a name in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// 0 to 1; 1 only for [`MatchReason::Exact`].
    pub score: f64,
    /// The weakest step the match relies on.
    pub reason: MatchReason,
    /// Every step, strongest first (`[Exact]` for an exact match).
    pub steps: Vec<MatchReason>,
    /// The steps as sentences, joined with "; ".
    pub explanation: String,
}

/// The score of names whose words are the same letters split apart or
/// joined: as sure as a transliteration, a little less than the same words.
const JOINED_SCORE: f64 = 0.97;

/// How two words pair up.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Same,
    Transliterated,
    Nickname,
    /// Index of the shared code in the searched word's codes.
    Phonetic(usize),
    Similar(f64),
    Initial,
}

impl Step {
    fn score(self) -> f64 {
        match self {
            Step::Same => 1.0,
            Step::Transliterated => 0.99,
            Step::Nickname => 0.95,
            Step::Phonetic(_) => 0.9,
            Step::Similar(jw) => jw.min(0.9),
            Step::Initial => 0.8,
        }
    }
}

/// Whether `a` becomes `b` by at most one insertion, deletion,
/// substitution or swap of neighbours (ASCII).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true; // equal, or one appended
    }
    if short.len() == long.len() {
        // substitution, or a swap of neighbours
        let (s, l) = (&short[prefix..], &long[prefix..]);
        s[1..] == l[1..] || (s.len() >= 2 && s[0] == l[1] && s[1] == l[0] && s[2..] == l[2..])
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// Double Metaphone drops most vowels, so "John" and "Jane", "Jean" and
/// "Gina" share a code. Sound-alike words must also be spelled alike:
/// at most half their letters edited (Damerau-Levenshtein), and a word starting
/// with a vowel only meets one starting with the same vowel ("Eastgate"
/// and "Westgate" share ASTKT). Words transliterated from another
/// script are exempt: their spelling is one reading of several.
fn spelled_alike(a: &str, b: &str) -> bool {
    let vowel = |w: &str| w.bytes().next().is_some_and(|c| b"aeiou".contains(&c));
    let first_ok = a.as_bytes().first() == b.as_bytes().first() || !(vowel(a) || vowel(b));
    first_ok && strsim::normalized_damerau_levenshtein(a, b) > 0.5
}

fn pair_step(q: &Token, c: &Token, nicknames: bool) -> Option<Step> {
    if q.folded == c.folded {
        return Some(Step::Same);
    }
    if q.forms().any(|a| c.forms().any(|b| a == b)) {
        return Some(Step::Transliterated);
    }
    let (qi, ci) = (q.role == Role::Initial, c.role == Role::Initial);
    if qi || ci {
        return (qi != ci && q.latin.as_bytes().first() == c.latin.as_bytes().first())
            .then_some(Step::Initial);
    }
    if nicknames
        && tables()
            .related(&q.latin)
            .binary_search(&c.latin.as_str())
            .is_ok()
    {
        return Some(Step::Nickname);
    }
    if let Some(i) = q.phonetic.iter().position(|code| c.phonetic.contains(code))
        && (spelled_alike(&q.latin, &c.latin) || q.non_latin || c.non_latin)
    {
        return Some(Step::Phonetic(i));
    }
    if q.latin.len() >= 4
        && c.latin.len() >= 4
        && q.forms().any(|a| {
            c.forms()
                .any(|b| within_one_edit(a.as_bytes(), b.as_bytes()))
        })
    {
        return Some(Step::Similar(strsim::jaro_winkler(&q.latin, &c.latin)));
    }
    None
}

/// Compares a searched name with another; `None` when they do not match
/// (score below [`HIT_THRESHOLD`], or nothing but initials and generic
/// words in common).
pub fn compare(query: &NameKeys, candidate: &NameKeys) -> Option<Match> {
    if query.is_empty() || candidate.is_empty() {
        return None;
    }
    if query.exact() == candidate.exact() {
        return Some(Match {
            score: 1.0,
            reason: MatchReason::Exact,
            steps: vec![MatchReason::Exact],
            explanation: MatchReason::Exact.explain(),
        });
    }
    let nicknames = query.kind.may_be_person() && candidate.kind.may_be_person();
    let (qt, ct) = (&query.tokens, &candidate.tokens);

    // Words written apart or together ("O Brien" / "OBrien", "Van der
    // Berg" / "Vanderberg"): the same letters in the same order, split
    // differently.
    if qt.len() != ct.len()
        && let (Some(q), Some(c)) = (query.joined(), candidate.joined())
        && q == c
    {
        let shown = |tokens: &[Token]| {
            tokens
                .iter()
                .filter(|t| t.role != Role::Affix)
                .map(|t| t.display.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let reason = MatchReason::JoinedWords {
            from: shown(qt),
            to: shown(ct),
        };
        return Some(Match {
            score: JOINED_SCORE,
            explanation: reason.explain(),
            steps: vec![reason.clone()],
            reason,
        });
    }

    // Every pair of words that matches, best first; then each word takes
    // its best partner still free.
    let mut pairs: Vec<(usize, usize, Step)> = Vec::new();
    for (i, q) in qt.iter().enumerate().filter(|(_, t)| t.role != Role::Affix) {
        for (j, c) in ct.iter().enumerate().filter(|(_, t)| t.role != Role::Affix) {
            if let Some(step) = pair_step(q, c, nicknames) {
                pairs.push((i, j, step));
            }
        }
    }
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| {
        let weight = |p: &(usize, usize, Step)| {
            p.2.score() * qt[p.0].role.weight().max(ct[p.1].role.weight())
        };
        weight(b).total_cmp(&weight(a))
    });
    let (mut q_used, mut c_used) = (0u32, 0u32); // at most MAX_TOKENS (16) words
    let mut chosen: Vec<(usize, usize, Step)> = Vec::new();
    for (i, j, step) in pairs {
        if q_used & (1 << i) == 0 && c_used & (1 << j) == 0 {
            q_used |= 1 << i;
            c_used |= 1 << j;
            chosen.push((i, j, step));
        }
    }

    let telling = chosen
        .iter()
        .any(|&(i, j, step)| step != Step::Initial && qt[i].key && ct[j].key);
    if !telling {
        return None;
    }

    let weight = |tokens: &[Token]| tokens.iter().map(|t| t.role.weight()).sum::<f64>();
    let (wq, wc) = (weight(qt), weight(ct));
    // A pair weighs what its lighter word weighs, on both sides: an
    // initial covers "John" no better than it covers itself, so "James
    // S. Cox" does not cover "James Smith".
    let matched: f64 = chosen
        .iter()
        .map(|&(i, j, s)| s.score() * qt[i].role.weight().min(ct[j].role.weight()))
        .sum();
    let (cov_q, cov_c) = (matched / wq, matched / wc);
    // The better-covered side sets the score; words the other side has
    // besides lower it.
    let (base, other, other_used) = if cov_q >= cov_c {
        (cov_q, ct, c_used)
    } else {
        (cov_c, qt, q_used)
    };
    let mut score = base;
    for (k, t) in other.iter().enumerate() {
        if other_used & (1 << k) == 0 {
            score *= match t.role {
                Role::Core => 0.93,
                Role::Initial => 0.97,
                Role::Generic => 0.98,
                Role::Affix => 1.0,
            };
        }
    }
    chosen.sort_by_key(|&(i, _, _)| i);
    let reordered = chosen.windows(2).any(|w| w[0].1 > w[1].1);
    if reordered {
        score *= 0.99;
    }
    fn affixes(tokens: &[Token]) -> Vec<&str> {
        let mut a: Vec<&str> = tokens
            .iter()
            .filter(|t| t.role == Role::Affix)
            .map(|t| t.latin.as_str())
            .collect();
        a.sort_unstable();
        a
    }
    let affixes_differ = affixes(qt) != affixes(ct);
    if affixes_differ {
        score *= 0.98;
    }
    if score < HIT_THRESHOLD {
        return None;
    }

    // Only hits get their reasons spelled out.
    let mut steps = Vec::new();
    if reordered {
        steps.push(MatchReason::SameTokensDifferentOrder);
    }
    if affixes_differ {
        let removed = qt
            .iter()
            .chain(ct.iter())
            .filter(|t| t.role == Role::Affix)
            .map(|t| t.display.clone())
            .collect();
        steps.push(MatchReason::LegalFormStripped { removed });
    }
    let extra: Vec<String> = qt
        .iter()
        .enumerate()
        .filter(|&(i, t)| q_used & (1 << i) == 0 && t.role != Role::Affix)
        .chain(
            ct.iter()
                .enumerate()
                .filter(|&(j, t)| c_used & (1 << j) == 0 && t.role != Role::Affix),
        )
        .map(|(_, t)| t.display.clone())
        .collect();
    if !extra.is_empty() {
        steps.push(MatchReason::ExtraTokens { tokens: extra });
    }
    for &(i, j, step) in &chosen {
        let (q, c) = (&qt[i], &ct[j]);
        let (from, to) = (q.display.clone(), c.display.clone());
        steps.push(match step {
            Step::Same => continue,
            Step::Transliterated => MatchReason::Transliteration { from, to },
            Step::Nickname => match tables().nickname_direction(&q.latin, &c.latin) {
                Some(false) => MatchReason::Nickname { from: to, to: from },
                _ => MatchReason::Nickname { from, to },
            },
            Step::Phonetic(k) => MatchReason::Phonetic {
                code: q.phonetic[k].clone(),
                from,
                to,
            },
            Step::Similar(jw) => MatchReason::Similar {
                score: (jw * 100.0).round() / 100.0,
                from,
                to,
            },
            Step::Initial if q.role == Role::Initial => MatchReason::Initial {
                initial: from,
                name: to,
            },
            Step::Initial => MatchReason::Initial {
                initial: to,
                name: from,
            },
        });
    }
    if steps.is_empty() {
        // Same words, same order; only punctuation or affix-free
        // differences such as spacing remain.
        steps.push(MatchReason::Exact);
    }
    steps.sort_by_key(MatchReason::rank);
    let reason = steps.last().cloned().unwrap_or(MatchReason::Exact);
    let explanation = steps
        .iter()
        .map(MatchReason::explain)
        .collect::<Vec<_>>()
        .join("; ");
    Some(Match {
        score: score.min(if reason == MatchReason::Exact {
            1.0
        } else {
            0.999
        }),
        reason,
        steps,
        explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::NameKind::{self, *};

    fn check(a: &str, b: &str, kind: NameKind, expect: Option<&str>) {
        let m = compare(&NameKeys::of(a, kind), &NameKeys::of(b, kind));
        match (m, expect) {
            (None, None) => {}
            (Some(m), Some(explanation)) => assert_eq!(m.explanation, explanation, "{a} / {b}"),
            (m, _) => panic!("{a} / {b}: {m:?}"),
        }
    }

    #[test]
    fn reasons_and_explanations() {
        check("John Smith", "john  SMITH", Person, Some("the same name"));
        check(
            "Smith, John",
            "John Smith",
            Person,
            Some("the same words in another order"),
        );
        check(
            "Иванов",
            "Ivanov",
            Person,
            Some("'Иванов' and 'Ivanov' are the same in Latin letters"),
        );
        check(
            "Mueller",
            "Müller",
            Person,
            Some("'Mueller' and 'Müller' are the same in Latin letters"),
        );
        check(
            "Acme Ltd",
            "ACME Corporation",
            Organisation,
            Some("legal forms and titles set aside: 'Ltd', 'Corporation'"),
        );
        check(
            "Robert Smyth",
            "Bob Smith",
            Person,
            Some("'Bob' is a nickname of 'Robert'; 'Smyth' sounds like 'Smith' (SM0)"),
        );
        check(
            "J. Smith",
            "John Smith",
            Person,
            Some("'J' may be the initial of 'John'"),
        );
        check(
            "Jonh Smith",
            "John Smith",
            Person,
            Some("'Jonh' sounds like 'John' (JN)"),
        );
        check(
            "Acne Ltd",
            "Acme Ltd",
            Organisation,
            Some("'Acne' is spelled almost like 'Acme' (similarity 0.87)"),
        );
        check("Jon Smith", "Ronjon Arrowsmith", Person, None);
        check("John Smith", "Mary Smith", Person, None);
        check("Smith & Sons Ltd", "Jones & Sons Ltd", Organisation, None);
        check("J. K.", "John Kennedy", Person, None);
    }

    #[test]
    fn one_edit() {
        for (a, b, expect) in [
            ("smith", "smith", true),
            ("smith", "smiths", true),
            ("smith", "smyth", true),
            ("smith", "smtih", true),
            ("smith", "mith", true),
            ("smith", "smithers", false),
            ("smith", "msiht", false),
            ("acme", "acne", true),
            ("ab", "ba", true),
            ("", "a", true),
        ] {
            assert_eq!(
                within_one_edit(a.as_bytes(), b.as_bytes()),
                expect,
                "{a} / {b}"
            );
        }
    }
}
