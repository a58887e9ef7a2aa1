//! Matter number schemes such as `{year}-{seq:04}`.
//!
//! Tokens: `{year}` (2026), `{yy}` (26), `{seq}` or `{seq:N}` (sequence,
//! zero-padded to N digits). Exactly one sequence token is required. Literal
//! text may use letters, digits and `-`, `_`, `.`, so a number is always
//! safe as a file or folder name (the inbox routes by it).

use chrono::{Datelike, NaiveDate};

use crate::DomainError;

pub const DEFAULT_SCHEME: &str = "{year}-{seq:04}";

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
    pub fn parse(template: &str) -> Result<Self, DomainError> {
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
                        "'{bad}' cannot be part of a matter number; use letters, digits, '-', '_' or '.'"
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
    }
}
