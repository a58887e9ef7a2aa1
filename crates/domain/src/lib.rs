//! Clients and matters: the rules (validation, numbering, status changes)
//! and their queries. Functions take a connection (usually a transaction
//! the caller opened) and never write the audit log themselves: the core
//! records each change in the same transaction.

pub mod breaches;
pub mod clients;
pub mod conflicts;
pub mod consents;
pub mod documents;
pub mod inbox;
pub mod inventory;
pub mod matters;
pub mod numbering;
pub mod ocr;
pub mod policies;
pub mod requests;
pub mod retention;
pub mod returns;
pub mod saved_searches;
pub mod search;
pub mod settings;
pub mod shares;
pub mod text;

pub use clients::{Client, ClientInput, ClientKind, ClientPatch};
pub use matters::{
    Matter, MatterEvent, MatterFilter, MatterInput, MatterPatch, MatterStatus, MatterSummary,
    Party, PartyInput, PartySide,
};
pub use numbering::NumberScheme;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input that breaks a rule; nothing was changed.
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("No {what} with {key}.")]
    NotFound { what: &'static str, key: String },
    /// The input clashes with something that exists (a matter number).
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub(crate) fn validation(field: &str, message: impl Into<String>) -> DomainError {
    DomainError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

/// Longest free-text field accepted (names, titles); notes may be longer.
pub(crate) const MAX_SHORT: usize = 500;
pub(crate) const MAX_NOTES: usize = 100_000;

/// Trims and checks a required short text field: something must show, so
/// a name of only invisible characters (zero-width spaces, bidirectional
/// controls) is as empty as a blank one.
pub(crate) fn required(field: &str, label: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(validation(field, format!("{label} cannot be empty.")));
    }
    if !text::has_visible(v) {
        return Err(validation(
            field,
            format!("{label} has only invisible characters; type a name that shows."),
        ));
    }
    optional(field, label, v)
}

/// Checks a vault's name (kept in its header and shown before unlocking)
/// by the rules of every other name; returns it trimmed.
pub fn vault_name(name: &str) -> Result<String, DomainError> {
    required("name", "The vault name", name)
}

/// Trims and checks an optional short text field.
pub(crate) fn optional(field: &str, label: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > MAX_SHORT {
        return Err(validation(
            field,
            format!("{label} is longer than {MAX_SHORT} characters."),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(validation(
            field,
            format!("{label} contains control characters."),
        ));
    }
    Ok(v.to_string())
}

pub(crate) fn notes(value: &str) -> Result<String, DomainError> {
    if value.chars().count() > MAX_NOTES {
        return Err(validation(
            "notes",
            format!("Notes are longer than {MAX_NOTES} characters."),
        ));
    }
    Ok(value.to_string())
}

/// `%text%` for LIKE, with the wildcards in `text` escaped (use `ESCAPE '\'`).
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
pub(crate) mod testutil {
    use matterbox_vault::DerivedKey;

    /// A fresh encrypted database at the latest schema.
    pub fn db() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            matterbox_store::create(&dir.path().join("v.db"), &DerivedKey::from_bytes([1; 32]))
                .unwrap();
        (dir, conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_show_something() {
        let check = |value: &str, expect: Result<&str, &str>| {
            let got = required("name", "The name", value);
            match (got, expect) {
                (Ok(v), Ok(e)) => assert_eq!(v, e, "{value:?}"),
                (Err(DomainError::Validation { message, .. }), Err(e)) => {
                    assert!(message.contains(e), "{value:?}: {message}")
                }
                (got, expect) => panic!("{value:?}: got {got:?}, expected {expect:?}"),
            }
        };
        check("  Ada Fictional ", Ok("Ada Fictional"));
        check("\u{202e}Ada", Ok("\u{202e}Ada"));
        check("\u{5d0}\u{5d1}", Ok("\u{5d0}\u{5d1}"));
        check("   ", Err("cannot be empty"));
        check("\u{200b}", Err("only invisible characters"));
        check(
            " \u{202e}\u{2066}\u{2069} ",
            Err("only invisible characters"),
        );
        check("\u{feff}\u{200d}\u{3164}", Err("only invisible characters"));
        check("\u{2800}", Err("only invisible characters"));
        check("a\u{1b}[2J", Err("control characters"));
        check(&"x".repeat(501), Err("longer than 500"));
        assert!(vault_name("\u{200b}\u{200b}").is_err());
        assert_eq!(vault_name(" Fictional & Co ").unwrap(), "Fictional & Co");
    }
}
