//! Matter numbers and the schemes that make them, such as `{year}-{seq:04}`.
//!
//! Tokens: `{year}` (2026), `{yy}` (26), `{seq}` or `{seq:N}` (sequence,
//! zero-padded to N digits). Exactly one sequence token is required. Literal
//! text may use letters, digits and `-`, `_`, `.`, so a number is always
//! safe as a file or folder name (the inbox routes by it).
//!
//! A number names an inbox folder, so [`check_number`] also keeps it short
//! (the inbox finds numbers of up to [`MAX_NUMBER`] characters in file
//! names) and away from the names the inbox and Windows reserve. Every
//! number a scheme makes passes it: [`NumberScheme::parse`] refuses a
//! scheme whose numbers could not.

use chrono::{Datelike, NaiveDate};

use crate::{DomainError, required, validation};

pub const DEFAULT_SCHEME: &str = "{year}-{seq:04}";

/// The longest matter number, in characters (all ASCII). The inbox looks
/// for numbers of up to this length in file names; folder names allow 255.
pub const MAX_NUMBER: usize = 64;

/// The longest scheme template accepted.
pub const MAX_SCHEME: usize = 100;

/// Folder names in the inbox that a matter number may not take, compared
/// ignoring case: the inbox's own folders (`quarantine`; `.matterbox`
/// cannot be a number, which never starts with '.'), and the device names
/// Windows reserves, alone or before a '.' (`CON`, `NUL.1`).
const RESERVED: [&str; 2] = ["quarantine", ".matterbox"];
const WINDOWS_DEVICES: [&str; 4] = ["con", "prn", "aux", "nul"];

fn reserved(number: &str) -> bool {
    let lower = number.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) {
        return true;
    }
    let stem = lower.split('.').next().unwrap_or_default();
    WINDOWS_DEVICES.contains(&stem)
        || (stem.len() == 4
            && (stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.ends_with(|c: char| c.is_ascii_digit()))
}

/// Checks a matter number; returns it trimmed. A number names an inbox
/// folder: letters, digits, `-`, `_`, `.`; it begins with a letter or a
/// digit and does not end with '.' (Windows drops it); at most
/// [`MAX_NUMBER`] characters; never a reserved folder name.
pub fn check_number(number: &str) -> Result<String, DomainError> {
    let n = required("number", "The matter number", number)?;
    // Numbers name inbox folders and files: never "." or "..", never hidden.
    if !n.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(validation(
            "number",
            "A matter number must begin with a letter or a digit.",
        ));
    }
    if let Some(bad) = n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(validation(
            "number",
            format!(
                "'{}' cannot be part of a matter number; use letters, digits, '-', '_' or '.'",
                bad.escape_debug()
            ),
        ));
    }
    if n.len() > MAX_NUMBER {
        return Err(validation(
            "number",
            format!(
                "A matter number names its inbox folder and is at most {MAX_NUMBER} characters; this one has {}.",
                n.len()
            ),
        ));
    }
    if n.ends_with('.') {
        return Err(validation(
            "number",
            format!(
                "{n} ends with '.', which folder names on Windows lose; end it with a letter or a digit."
            ),
        ));
    }
    if reserved(&n) {
        return Err(validation(
            "number",
            format!(
                "{n} is a reserved folder name (the inbox's quarantine, or a Windows device name); choose another number."
            ),
        ));
    }
    Ok(n)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    YearShort,
    Seq { width: usize },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberScheme {
    template: String,
    parts: Vec<Part>,
}

fn invalid(message: String) -> DomainError {
    DomainError::Validation {
        field: "matter_number_scheme".into(),
        message,
    }
}

impl NumberScheme {
    /// Parses a new scheme: its syntax, and the numbers it makes (short
    /// enough, never reserved; see [`check_number`]).
    pub fn parse(template: &str) -> Result<Self, DomainError> {
        let length = template.trim().chars().count();
        if length > MAX_SCHEME {
            return Err(invalid(format!(
                "A scheme is at most {MAX_SCHEME} characters; this one has {length}."
            )));
        }
        let scheme = Self::parse_syntax(template)?;
        let longest = scheme.longest();
        if longest > MAX_NUMBER {
            return Err(invalid(format!(
                "\"{}\" makes numbers of up to {longest} characters (with a 4-digit year and a 6-digit sequence); a matter number names its inbox folder and is at most {MAX_NUMBER}: shorten the fixed text.",
                scheme.template
            )));
        }
        let sample = scheme.render(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(), 1);
        check_number(&sample).map_err(|e| {
            invalid(format!(
                "\"{}\" makes numbers like {sample}, which cannot be used: {e}",
                scheme.template
            ))
        })?;
        Ok(scheme)
    }

    /// Parses a scheme already kept in a vault: its syntax only. A scheme
    /// stored before the limits on length existed still reads (so it can
    /// be shown and replaced); a number it makes that is too long is
    /// refused when a matter is opened with it.
    pub fn parse_stored(template: &str) -> Result<Self, DomainError> {
        Self::parse_syntax(template)
    }

    /// The longest number the scheme makes with a 4-digit year and a
    /// sequence of up to six digits (or its width, if wider).
    fn longest(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Year => 4,
                Part::YearShort => 2,
                Part::Seq { width } => (*width).max(6),
            })
            .sum()
    }

    fn parse_syntax(template: &str) -> Result<Self, DomainError> {
        let mut parts = Vec::new();
        let mut rest = template.trim();
        let mut seqs = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after
                    .find('}')
                    .ok_or_else(|| invalid(format!("'{{' without '}}' in \"{template}\"")))?;
                let token = &after[..end];
                let part = match token {
                    "year" => Part::Year,
                    "yy" => Part::YearShort,
                    "seq" => Part::Seq { width: 1 },
                    t if t.starts_with("seq:") => {
                        let width: usize = t[4..]
                            .parse()
                            .ok()
                            .filter(|w| (1..=9).contains(w))
                            .ok_or_else(|| {
                                invalid(format!("in {{{t}}} the width must be 1 to 9"))
                            })?;
                        Part::Seq { width }
                    }
                    other => {
                        return Err(invalid(format!(
                            "unknown token {{{other}}}; use {{year}}, {{yy}}, {{seq}} or {{seq:4}}"
                        )));
                    }
                };
                if matches!(part, Part::Seq { .. }) {
                    seqs += 1;
                }
                parts.push(part);
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if let Some(bad) = literal
                    .chars()
                    .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                {
                    return Err(invalid(format!(
                        "'{}' cannot be part of a matter number; use letters, digits, '-', '_' or '.'",
                        bad.escape_debug()
                    )));
                }
                parts.push(Part::Literal(literal.to_string()));
                rest = &rest[end..];
            }
        }
        if !matches!(
            parts.first(),
            Some(Part::Year | Part::YearShort | Part::Seq { .. })
        ) && !matches!(parts.first(), Some(Part::Literal(l)) if l.starts_with(|c: char| c.is_ascii_alphanumeric()))
        {
            return Err(invalid(format!(
                "\"{template}\" must begin with a letter, a digit or a token, so numbers never start with '.' or '-'"
            )));
        }
        if seqs != 1 {
            return Err(invalid(format!(
                "a scheme needs exactly one {{seq}} token; \"{template}\" has {seqs}"
            )));
        }
        Ok(Self {
            template: template.trim().to_string(),
            parts,
        })
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    fn render_with(&self, date: NaiveDate, seq: Option<u64>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Year => out.push_str(&format!("{:04}", date.year())),
                Part::YearShort => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
                Part::Seq { width } => match seq {
                    Some(n) => out.push_str(&format!("{n:0width$}")),
                    None => out.push_str("{seq}"),
                },
            }
        }
        out
    }

    /// The number for sequence `seq` of a matter opened on `date`.
    pub fn render(&self, date: NaiveDate, seq: u64) -> String {
        self.render_with(date, Some(seq))
    }

    /// What the sequence counts within: the number with `{seq}` left in, so
    /// `{year}-{seq:04}` starts again at 1 each year.
    pub fn scope(&self, date: NaiveDate) -> String {
        self.render_with(date, None)
    }
}

impl Default for NumberScheme {
    fn default() -> Self {
        // The default template is a constant that parses (tested below).
        #[allow(clippy::expect_used)]
        Self::parse(DEFAULT_SCHEME).expect("default scheme parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(template: &str, date: (i32, u32, u32), seq: u64, expect: &str) {
        let d = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
        let scheme = NumberScheme::parse(template).unwrap();
        assert_eq!(scheme.render(d, seq), expect, "{template}");
    }

    fn check_err(template: &str, expect: &str) {
        let err = NumberScheme::parse(template).unwrap_err().to_string();
        assert!(err.contains(expect), "{template}: {err}");
    }

    #[test]
    fn rendering_table() {
        check("{year}-{seq:04}", (2026, 3, 1), 42, "2026-0042");
        check("{year}-{seq:04}", (2026, 3, 1), 12345, "2026-12345");
        check("M{yy}.{seq:3}", (2009, 1, 1), 7, "M09.007");
        check("{seq}", (2026, 1, 1), 1, "1");
        check("LIT-{seq:2}-{year}", (1999, 12, 31), 5, "LIT-05-1999");
        check("  {year}_{seq}  ", (2026, 1, 1), 1, "2026_1");
    }

    #[test]
    fn bad_schemes_are_explained() {
        check_err("{year}", "exactly one {seq}");
        check_err("{seq}-{seq}", "exactly one {seq}");
        check_err("{year}-{sq}", "unknown token {sq}");
        check_err("{seq:0}", "width must be 1 to 9");
        check_err("{seq:10}", "width must be 1 to 9");
        check_err("{year}/{seq}", "'/' cannot be part");
        check_err("{seq", "without");
        check_err("A B {seq}", "' ' cannot be part");
        check_err(".{seq}", "must begin with");
        check_err("-{seq}", "must begin with");
        // Numbers name inbox folders: short, never reserved.
        check_err(
            &"A".repeat(100_000),
            "at most 100 characters; this one has 100000",
        );
        check_err(
            &format!("{}-{{seq}}", "A".repeat(58)),
            "up to 65 characters",
        );
        check_err(
            &format!("{}{{seq}}", "{year}".repeat(15)),
            "up to 66 characters",
        );
        check_err("CON.{seq}", "reserved folder name");
        check_err("COM{seq}", "reserved folder name");
        check_err("{seq}.", "ends with '.'");
        // The longest that fits: 57 letters, '-', six digits.
        check(
            &format!("{}-{{seq}}", "A".repeat(57)),
            (2026, 1, 1),
            1,
            &format!("{}-1", "A".repeat(57)),
        );
    }

    #[test]
    fn numbers_are_checked_as_folder_names() {
        let ok = |n: &str| assert_eq!(check_number(n).unwrap(), n.trim(), "{n}");
        let refused = |n: &str, expect: &str| match check_number(n) {
            Err(DomainError::Validation { field, message }) => {
                assert_eq!(field, "number");
                assert!(message.contains(expect), "{n}: {message}");
            }
            other => panic!("{n}: {other:?}"),
        };
        ok("2026-0042");
        ok(" ACME-12 ");
        ok("M09.007");
        ok(&"7".repeat(MAX_NUMBER));
        ok("CONTRACT-1");
        ok("COM10");
        ok("quarantine-1");
        ok("console");
        refused(
            &"7".repeat(MAX_NUMBER + 1),
            "at most 64 characters; this one has 65",
        );
        refused("quarantine", "reserved folder name");
        refused("QUARANTINE", "reserved folder name");
        refused("Quarantine", "reserved folder name");
        refused("con", "reserved folder name");
        refused("NUL.2026", "reserved folder name");
        refused("Aux", "reserved folder name");
        refused("com1", "reserved folder name");
        refused("LPT9.A", "reserved folder name");
        refused("2026.", "ends with '.'");
        refused(".matterbox", "must begin with");
        refused("\u{200b}", "only invisible");
        refused("2026/1", "'/' cannot be part");
        refused("2026\u{1b}1", "control characters");
    }

    #[test]
    fn sequences_restart_per_year_only_when_the_year_is_in_the_number() {
        let d1 = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let d2 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let yearly = NumberScheme::default();
        assert_ne!(yearly.scope(d1), yearly.scope(d2));
        let running = NumberScheme::parse("M-{seq:5}").unwrap();
        assert_eq!(running.scope(d1), running.scope(d2));
    }

    proptest! {
        #[test]
        fn numbers_are_unique_per_scope_and_file_name_safe(
            seq_a in 1u64..1_000_000, seq_b in 1u64..1_000_000, width in 1usize..9,
            year in 1900i32..2200, prefix in "[A-Z]{0,3}",
        ) {
            let scheme = NumberScheme::parse(&format!("{prefix}{{year}}-{{seq:{width}}}")).unwrap();
            let d = NaiveDate::from_ymd_opt(year, 6, 1).unwrap();
            let (a, b) = (scheme.render(d, seq_a), scheme.render(d, seq_b));
            prop_assert_eq!(a == b, seq_a == seq_b);
            prop_assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }

        #[test]
        fn every_number_an_accepted_scheme_makes_is_a_valid_number(
            prefix in "[A-Za-z0-9][A-Za-z0-9._-]{0,70}", suffix in "[A-Za-z0-9_-]{0,8}",
            year_token in prop_oneof![Just(""), Just("{year}"), Just("{yy}")],
            width in 1usize..9, seq in 1u64..1_000_000, year in 1000i32..=9999,
        ) {
            let template = format!("{prefix}{year_token}{{seq:{width}}}{suffix}");
            if let Ok(scheme) = NumberScheme::parse(&template) {
                let d = NaiveDate::from_ymd_opt(year, 6, 1).unwrap();
                let n = scheme.render(d, seq);
                prop_assert!(check_number(&n).is_ok(), "{template} made {n}: {:?}", check_number(&n));
            }
        }
    }
}
