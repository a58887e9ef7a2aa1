//! Where an inbox file goes, by rules evaluated in order:
//! 1. a subfolder named after a matter number;
//! 2. a matter number in the file name (`2026-0042_engagement.pdf`);
//! 3. the user's rules: a glob or regular expression on the name, giving a
//!    matter and/or tags (the first rule with a matter decides the matter;
//!    every matching rule adds its tags);
//! 4. otherwise the Unfiled queue.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A user rule, as kept in the vault's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// A glob (`*` any run, `?` one character) or, with `regex`, a regular
    /// expression; matched against the whole file name, ignoring case.
    pub pattern: String,
    #[serde(default)]
    pub regex: bool,
    /// The matter number files go to.
    #[serde(default)]
    pub matter: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("The inbox rule \u{201c}{pattern}\u{201d} is not a valid pattern: {reason}")]
pub struct RuleError {
    pub pattern: String,
    pub reason: String,
}

/// Why a file went where it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RouteBy {
    Subfolder,
    FileName,
    Rule,
    Unfiled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub matter: Option<String>,
    pub by: RouteBy,
    pub tags: Vec<String>,
}

/// The most rules an inbox keeps, and the longest pattern.
pub const MAX_RULES: usize = 100;
pub const MAX_PATTERN: usize = 500;

/// The longest matter number looked for in a file name (the domain's
/// matter numbers are no longer than this).
pub const MAX_NUMBER_IN_NAME: usize = 64;

fn refused(pattern: &str, reason: impl Into<String>) -> RuleError {
    // A pattern is named in the message, but not all of a very long one.
    let mut shown: String = pattern.chars().take(60).collect();
    if shown.len() < pattern.len() {
        shown.push('\u{2026}');
    }
    RuleError {
        pattern: shown,
        reason: reason.into(),
    }
}

/// Checks rules about to be saved, beyond compiling (which
/// [`Router::new`] does): a pattern is not empty, not too long, and a glob
/// can match a file name; a rule names a matter or tags, and there are
/// not too many rules. Rules saved before these checks still load.
pub fn check_rules(rules: &[Rule]) -> Result<(), RuleError> {
    if rules.len() > MAX_RULES {
        return Err(RuleError {
            pattern: String::new(),
            reason: format!("an inbox keeps at most {MAX_RULES} rules"),
        });
    }
    for r in rules {
        let length = r.pattern.chars().count();
        if r.pattern.trim().is_empty() {
            return Err(refused(
                &r.pattern,
                "it is empty; give a file name pattern such as *invoice*.pdf",
            ));
        }
        if length > MAX_PATTERN {
            return Err(refused(
                &r.pattern,
                format!("it has {length} characters; a pattern has at most {MAX_PATTERN}"),
            ));
        }
        if r.pattern.chars().any(char::is_control) {
            return Err(refused(&r.pattern, "it contains control characters"));
        }
        if !r.regex && r.pattern.contains('/') {
            return Err(refused(
                &r.pattern,
                "a file name never contains '/'; a rule matches the name only, not its folder",
            ));
        }
        if r.matter.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(refused(
                &r.pattern,
                "its matter number is empty; give one or leave it out",
            ));
        }
        if r.matter.is_none() && r.tags.iter().all(|t| t.trim().is_empty()) {
            return Err(refused(
                &r.pattern,
                "it gives neither a matter nor tags, so it would do nothing",
            ));
        }
    }
    Router::new(rules).map(|_| ())
}

/// Rules compiled once.
pub struct Router {
    rules: Vec<(regex::Regex, Rule)>,
}

fn glob_to_regex(glob: &str) -> String {
    let mut out = String::from("(?i)^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

impl Router {
    pub fn new(rules: &[Rule]) -> Result<Self, RuleError> {
        let compiled = rules
            .iter()
            .map(|r| {
                let source = if r.regex {
                    format!("(?i){}", r.pattern)
                } else {
                    glob_to_regex(&r.pattern)
                };
                regex::RegexBuilder::new(&source)
                    .size_limit(1 << 20)
                    .build()
                    .map(|re| (re, r.clone()))
                    .map_err(|e| RuleError {
                        pattern: r.pattern.clone(),
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules: compiled })
    }

    /// Decides where `name` (in `subfolder` of the inbox, if any) goes;
    /// `is_matter` says whether a matter number exists.
    pub fn route(
        &self,
        subfolder: Option<&str>,
        name: &str,
        is_matter: &mut dyn FnMut(&str) -> bool,
    ) -> Decision {
        let mut tags: Vec<String> = Vec::new();
        let mut rule_matter = None;
        for (re, rule) in &self.rules {
            if re.is_match(name) {
                for t in &rule.tags {
                    if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                        tags.push(t.clone());
                    }
                }
                if rule_matter.is_none() {
                    rule_matter = rule.matter.clone();
                }
            }
        }
        let decide = |matter: Option<String>, by| Decision {
            matter,
            by,
            tags: tags.clone(),
        };
        if let Some(folder) = subfolder
            && is_matter(folder)
        {
            return decide(Some(folder.to_string()), RouteBy::Subfolder);
        }
        if let Some(number) = number_in_name(name, is_matter) {
            return decide(Some(number), RouteBy::FileName);
        }
        if let Some(number) = rule_matter
            && is_matter(&number)
        {
            return decide(Some(number), RouteBy::Rule);
        }
        decide(None, RouteBy::Unfiled)
    }
}

/// The longest matter number in a file name: pieces of the name between
/// separators (`_`, `-`, `.`, spaces and other punctuation) are joined back
/// into candidates, longest first, and looked up.
pub fn number_in_name(name: &str, is_matter: &mut dyn FnMut(&str) -> bool) -> Option<String> {
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    // Boundaries: the start, the end, and every position next to a
    // character that cannot be inside a number or is a separator.
    let chars: Vec<(usize, char)> = stem.char_indices().collect();
    let mut starts = vec![0];
    let mut ends = vec![stem.len()];
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            ends.push(at);
            if let Some(&(next, _)) = chars.get(i + 1) {
                starts.push(next);
            }
        }
    }
    let mut candidates: Vec<&str> = Vec::new();
    for &s in &starts {
        for &e in &ends {
            if e > s && e - s <= MAX_NUMBER_IN_NAME {
                let c = &stem[s..e];
                if c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                    && c.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
                    && c.chars().any(|ch| ch.is_ascii_digit())
                {
                    candidates.push(c);
                }
            }
        }
    }
    candidates.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    candidates.dedup();
    candidates
        .into_iter()
        .find(|c| is_matter(c))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, regex: bool, matter: Option<&str>, tags: &[&str]) -> Rule {
        Rule {
            pattern: pattern.into(),
            regex,
            matter: matter.map(str::to_string),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn routing_table() {
        let matters = ["2026-0042", "2026-0007", "ACME-12", "2026-0042.A"];
        let router = Router::new(&[
            rule("*invoice*", false, Some("ACME-12"), &["invoice"]),
            rule(r"^scan_\d+\.pdf$", true, None, &["scanner"]),
            rule("*.pdf", false, Some("2026-0007"), &["pdf"]),
            rule("*", false, Some("NO-SUCH"), &[]),
        ])
        .unwrap();
        let check =
            |sub: Option<&str>, name: &str, matter: Option<&str>, by: RouteBy, tags: &[&str]| {
                let mut exists = |n: &str| matters.contains(&n);
                let d = router.route(sub, name, &mut exists);
                assert_eq!(d.matter.as_deref(), matter, "{sub:?} {name}");
                assert_eq!(d.by, by, "{sub:?} {name}");
                assert_eq!(
                    d.tags,
                    tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                    "{sub:?} {name}"
                );
            };
        // 1. The subfolder wins over everything.
        check(
            Some("2026-0042"),
            "2026-0007_letter.docx",
            Some("2026-0042"),
            RouteBy::Subfolder,
            &[],
        );
        // An unknown subfolder falls through.
        check(
            Some("misc"),
            "2026-0007_letter.docx",
            Some("2026-0007"),
            RouteBy::FileName,
            &[],
        );
        // 2. A number in the name, with separators around it, longest first.
        check(
            None,
            "2026-0042_engagement.docx",
            Some("2026-0042"),
            RouteBy::FileName,
            &[],
        );
        check(
            None,
            "Engagement 2026-0042.docx",
            Some("2026-0042"),
            RouteBy::FileName,
            &[],
        );
        check(
            None,
            "2026-0042.A engagement.docx",
            Some("2026-0042.A"),
            RouteBy::FileName,
            &[],
        );
        check(None, "x2026-0042.docx", None, RouteBy::Unfiled, &[]);
        check(None, "2026-00421.docx", None, RouteBy::Unfiled, &[]);
        // 3. Rules: the first with a matter decides; tags from every match.
        check(
            None,
            "March INVOICE.pdf",
            Some("ACME-12"),
            RouteBy::Rule,
            &["invoice", "pdf"],
        );
        check(
            None,
            "scan_0001.pdf",
            Some("2026-0007"),
            RouteBy::Rule,
            &["scanner", "pdf"],
        );
        // Tags apply whatever decided the matter.
        check(
            Some("2026-0042"),
            "invoice.pdf",
            Some("2026-0042"),
            RouteBy::Subfolder,
            &["invoice", "pdf"],
        );
        // 4. A rule naming a matter that does not exist: Unfiled.
        check(None, "letter.docx", None, RouteBy::Unfiled, &[]);
    }

    #[test]
    fn rules_are_checked_before_they_are_saved() {
        let refused = |rules: &[Rule], expect: &str| match check_rules(rules) {
            Err(e) => assert!(e.to_string().contains(expect), "{rules:?}: {e}"),
            Ok(()) => panic!("{rules:?} accepted"),
        };
        let fine = rule("*invoice*.pdf", false, Some("ACME-12"), &[]);
        check_rules(std::slice::from_ref(&fine)).unwrap();
        check_rules(&[rule(r"^scan_\d+\.pdf$", true, None, &["scanner"])]).unwrap();
        refused(&[rule("", false, Some("ACME-12"), &[])], "it is empty");
        refused(&[rule("  ", true, None, &["x"])], "it is empty");
        refused(&[rule("(", true, None, &["x"])], "not a valid pattern");
        refused(
            &[rule("a\u{1b}b", false, None, &["x"])],
            "control characters",
        );
        refused(
            &[rule("scans/*.pdf", false, None, &["x"])],
            "never contains '/'",
        );
        refused(
            &[rule("*.pdf", false, Some(" "), &[])],
            "matter number is empty",
        );
        refused(
            &[rule("*.pdf", false, None, &[])],
            "neither a matter nor tags",
        );
        refused(
            &[rule("*.pdf", false, None, &[" "])],
            "neither a matter nor tags",
        );
        let long = "x".repeat(100_000);
        refused(&[rule(&long, false, None, &["x"])], "has 100000 characters");
        let Err(e) = check_rules(&[rule(&long, false, None, &["x"])]) else {
            panic!()
        };
        assert!(
            e.to_string().len() < 300,
            "the message names the start: {e}"
        );
        refused(&vec![fine; MAX_RULES + 1], "at most 100 rules");
    }

    #[test]
    fn bad_patterns_are_refused_with_the_pattern_named() {
        let err = Router::new(&[rule("(", true, None, &[])]).err().unwrap();
        assert_eq!(err.pattern, "(");
        // Globs are literal apart from * and ?.
        let r = Router::new(&[rule("a+b(1).pdf", false, Some("X1"), &[])]).unwrap();
        let mut only_x1 = |n: &str| n == "X1";
        assert_eq!(r.route(None, "a+b(1).pdf", &mut only_x1).by, RouteBy::Rule);
        assert_eq!(r.route(None, "aab1.pdf", &mut only_x1).by, RouteBy::Unfiled);
    }
}
