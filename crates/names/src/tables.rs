//! The word lists shipped in `data/`, parsed once on first use.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const NICKNAMES_CSV: &str = include_str!("../data/nicknames.csv");
const LEGAL_FORMS: &str = include_str!("../data/legal_forms.txt");
const TITLES: &str = include_str!("../data/titles.txt");
const GENERIC_WORDS: &str = include_str!("../data/generic_words.txt");

pub(crate) struct Tables {
    /// Every name linked to a name by one row of the nickname list, either
    /// direction.
    related: HashMap<&'static str, Vec<&'static str>>,
    /// `(name, nickname)` as the list has them.
    has_nickname: HashSet<(&'static str, &'static str)>,
    /// Legal forms as token sequences, longest first.
    pub(crate) legal_forms: Vec<Vec<&'static str>>,
    pub(crate) titles_before: HashSet<&'static str>,
    pub(crate) titles_after: HashSet<&'static str>,
    pub(crate) generic_person: HashSet<&'static str>,
    pub(crate) generic_organisation: HashSet<&'static str>,
}

impl Tables {
    /// Names linked to `name` by the nickname list (not `name` itself).
    pub(crate) fn related(&self, name: &str) -> &[&'static str] {
        self.related.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether the list links the two names, and if so which is the
    /// nickname: `Some(true)` when `a` is a nickname of `b`. The list has
    /// some pairs both ways ("bob" has the nickname "robert"); then the
    /// shorter name is taken as the nickname.
    pub(crate) fn nickname_direction(&self, a: &str, b: &str) -> Option<bool> {
        let a_of_b = self.has_nickname.contains(&(b, a));
        let b_of_a = self.has_nickname.contains(&(a, b));
        match (a_of_b, b_of_a) {
            (true, true) => Some(a.len() <= b.len()),
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        }
    }
}

pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(parse)
}

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Lines of a file with `[section]` headers, grouped by section.
fn sections(text: &'static str) -> HashMap<&'static str, HashSet<&'static str>> {
    let mut out: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
    let mut current = "";
    for line in lines(text) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name;
        } else {
            out.entry(current).or_default().insert(line);
        }
    }
    out
}

fn parse() -> Tables {
    let mut related: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    let mut has_nickname = HashSet::new();
    for line in NICKNAMES_CSV.lines().skip(1) {
        let mut fields = line.split(',');
        let (Some(name), Some("has_nickname"), Some(nickname)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (name, nickname) = (name.trim(), nickname.trim());
        if name.is_empty() || nickname.is_empty() || name == nickname {
            continue;
        }
        has_nickname.insert((name, nickname));
        related.entry(name).or_default().push(nickname);
        related.entry(nickname).or_default().push(name);
    }
    for names in related.values_mut() {
        names.sort_unstable();
        names.dedup();
    }

    let mut legal_forms: Vec<Vec<&'static str>> = lines(LEGAL_FORMS)
        .map(|line| line.split_whitespace().collect())
        .collect();
    legal_forms.sort_by_key(|form| std::cmp::Reverse(form.len()));

    let mut titles = sections(TITLES);
    let mut generic = sections(GENERIC_WORDS);
    Tables {
        related,
        has_nickname,
        legal_forms,
        titles_before: titles.remove("before").unwrap_or_default(),
        titles_after: titles.remove("after").unwrap_or_default(),
        generic_person: generic.remove("person").unwrap_or_default(),
        generic_organisation: generic.remove("organisation").unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_lists_parse() {
        let t = tables();
        assert!(t.related("robert").contains(&"bob"));
        assert!(t.related("bob").contains(&"robert"));
        assert_eq!(t.nickname_direction("bob", "robert"), Some(true));
        assert_eq!(t.nickname_direction("robert", "bob"), Some(false));
        assert_eq!(t.nickname_direction("robert", "mary"), None);
        assert!(
            t.legal_forms
                .iter()
                .any(|f| f == &["gmbh", "and", "co", "kg"])
        );
        assert!(t.titles_before.contains("dr"));
        assert!(t.titles_after.contains("jr"));
        assert!(t.generic_organisation.contains("holdings"));
        assert!(t.generic_person.contains("van"));
    }
}
