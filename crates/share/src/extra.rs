//! Small files the caller makes for a package (a returned file's index,
//! its parties and timeline), and the escaping they need: they hold names
//! and notes typed by users, read by a recipient's spreadsheet or browser.

use crate::{DOCUMENTS_DIR, Result, ShareError};

/// A file at the package's root, after the documents, listed in the
/// manifest with its SHA-256 like them. Kept whole in memory: it is made
/// from the vault's records, never from a document's content.
#[derive(Clone, Debug)]
pub struct Extra {
    /// One path component (`INDEX.csv`); not a manifest's name.
    pub name: String,
    pub body: Vec<u8>,
}

/// Extras have plain, unique names that cannot pass for the manifest, its
/// signatures or the documents' folder.
pub(crate) fn check(extras: &[Extra]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for x in extras {
        crate::check_name(&x.name)?;
        let lower = x.name.to_lowercase();
        if lower.starts_with("manifest.") || lower == DOCUMENTS_DIR || !seen.insert(lower) {
            return Err(ShareError::Invalid(format!(
                "{:?} cannot be an added file's name in a package.",
                x.name
            )));
        }
    }
    Ok(())
}

/// One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a
/// line break, and **safe against formula injection** — a cell a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
/// or a tab or carriage return before one) gets a leading `'`, so it
/// shows as the text it is (OWASP's advice for CSV files).
pub fn csv_cell(text: &str) -> String {
    let risky = text
        .trim_start_matches(['\t', '\r', ' '])
        .starts_with(['=', '+', '-', '@'])
        || text.starts_with(['\t', '\r']);
    let text = if risky {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) || risky {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Text for HTML element content or a quoted attribute.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_csv(input: &str, expect: &str) {
        assert_eq!(csv_cell(input), expect, "{input:?}");
    }

    #[test]
    fn csv_cells_are_quoted_and_never_run_as_formulas() {
        check_csv("Lease review", "Lease review");
        check_csv("a, b", "\"a, b\"");
        check_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
        check_csv("two\nlines", "\"two\nlines\"");
        check_csv(
            "=HYPERLINK(\"http://x\")",
            "\"'=HYPERLINK(\"\"http://x\"\")\"",
        );
        check_csv("+1 555", "\"'+1 555\"");
        check_csv("-2", "\"'-2\"");
        check_csv("@SUM(A1)", "\"'@SUM(A1)\"");
        check_csv(" =1+1", "\"' =1+1\"");
        check_csv("\t=1", "\"'\t=1\"");
        check_csv("a=b", "a=b");
        check_csv("", "");
    }

    #[test]
    fn html_text_escapes_markup() {
        assert_eq!(
            html_text("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    fn extra(name: &str) -> Extra {
        Extra {
            name: name.into(),
            body: Vec::new(),
        }
    }

    #[test]
    fn extras_cannot_pass_for_the_manifest_or_each_other() {
        assert!(check(&[extra("INDEX.csv"), extra("INDEX.html")]).is_ok());
        for bad in [
            vec![extra("MANIFEST.txt")],
            vec![extra("manifest.json.minisig")],
            vec![extra("documents")],
            vec![extra("a/b.csv")],
            vec![extra(".hidden")],
            vec![extra("x.csv"), extra("X.CSV")],
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }
}
