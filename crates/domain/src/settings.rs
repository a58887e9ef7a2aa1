//! Vault settings kept in the database (not secrets).

use rusqlite::{Connection, OptionalExtension, params};

use crate::DomainError;
use crate::numbering::NumberScheme;

pub const MATTER_NUMBER_SCHEME: &str = "matter_number_scheme";
pub const AUTO_LOCK_SECONDS: &str = "auto_lock_seconds";

/// Auto-lock after this many idle seconds unless the user chose otherwise.
pub const DEFAULT_AUTO_LOCK_SECONDS: u32 = 600;
/// The shortest and longest auto-lock delays accepted.
pub const AUTO_LOCK_RANGE: std::ops::RangeInclusive<u32> = 15..=86_400;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, DomainError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<(), DomainError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn number_scheme(conn: &Connection) -> Result<NumberScheme, DomainError> {
    match get(conn, MATTER_NUMBER_SCHEME)? {
        // Stored before today's limits, perhaps: readable, so it can be
        // shown and replaced (its numbers are still checked when used).
        Some(t) => NumberScheme::parse_stored(&t),
        None => Ok(NumberScheme::default()),
    }
}

/// Validates and stores a new scheme; returns it.
pub fn set_number_scheme(conn: &Connection, template: &str) -> Result<NumberScheme, DomainError> {
    let scheme = NumberScheme::parse(template)?;
    set(conn, MATTER_NUMBER_SCHEME, scheme.template())?;
    Ok(scheme)
}

pub fn auto_lock_seconds(conn: &Connection) -> Result<u32, DomainError> {
    Ok(get(conn, AUTO_LOCK_SECONDS)?
        .and_then(|v| v.parse().ok())
        .filter(|v| AUTO_LOCK_RANGE.contains(v))
        .unwrap_or(DEFAULT_AUTO_LOCK_SECONDS))
}

pub fn set_auto_lock_seconds(conn: &Connection, seconds: u32) -> Result<(), DomainError> {
    if !AUTO_LOCK_RANGE.contains(&seconds) {
        return Err(crate::validation(
            "auto_lock_seconds",
            format!(
                "Auto-lock must be between {} seconds and {} hours.",
                AUTO_LOCK_RANGE.start(),
                AUTO_LOCK_RANGE.end() / 3600
            ),
        ));
    }
    set(conn, AUTO_LOCK_SECONDS, &seconds.to_string())
}
