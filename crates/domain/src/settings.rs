//! Vault settings kept in the database (not secrets).

use rusqlite::{Connection, OptionalExtension, params};

use crate::DomainError;
use crate::numbering::NumberScheme;

pub const MATTER_NUMBER_SCHEME: &str = "matter_number_scheme";

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
        Some(t) => NumberScheme::parse(&t),
        None => Ok(NumberScheme::default()),
    }
}

/// Validates and stores a new scheme; returns it.
pub fn set_number_scheme(conn: &Connection, template: &str) -> Result<NumberScheme, DomainError> {
    let scheme = NumberScheme::parse(template)?;
    set(conn, MATTER_NUMBER_SCHEME, scheme.template())?;
    Ok(scheme)
}
