//! Vault settings kept in the database (not secrets).

use rusqlite::{Connection, OptionalExtension, params};

use crate::DomainError;
use crate::numbering::NumberScheme;

pub const MATTER_NUMBER_SCHEME: &str = "matter_number_scheme";
pub const AUTO_LOCK_SECONDS: &str = "auto_lock_seconds";
pub const CONSENT_CONFIRM_DAYS: &str = "consent_confirm_days";
pub const CONSENT_REVIEW_MONTHS: &str = "consent_review_months";

/// Oral consent is to be confirmed in writing within this many days.
pub const DEFAULT_CONSENT_CONFIRM_DAYS: u32 = 7;
pub const CONSENT_CONFIRM_RANGE: std::ops::RangeInclusive<u32> = 1..=365;
/// Every consent in force is reviewed after this many months.
pub const DEFAULT_CONSENT_REVIEW_MONTHS: u32 = 12;
pub const CONSENT_REVIEW_RANGE: std::ops::RangeInclusive<u32> = 1..=120;

/// Auto-lock after this many idle seconds unless the user chose otherwise.
pub const DEFAULT_AUTO_LOCK_SECONDS: u32 = 600;
/// The shortest and longest auto-lock delays accepted.
pub const AUTO_LOCK_RANGE: std::ops::RangeInclusive<u32> = 15..=86_400;

pub const OCR_WORKERS: &str = "ocr_workers";
/// How many scans the app recognises at once: 0 is automatic (one fewer
/// than the computer's cores), else a count up to the most.
pub const OCR_WORKERS_RANGE: std::ops::RangeInclusive<u32> = 0..=MAX_OCR_WORKERS;
/// Each worker holds a Tesseract engine (about 140 MiB while it works).
pub const MAX_OCR_WORKERS: u32 = 8;

pub const OCR_LANGUAGES: &str = "ocr_languages";
/// At most this many languages are recognised at once (each one slows
/// recognition and adds a model to memory).
pub const MAX_OCR_LANGUAGES: usize = 6;

/// The languages new OCR jobs recognise: Tesseract codes, `+`-joined
/// (`eng`, `eng+deu`); English unless set.
pub fn ocr_languages(conn: &Connection) -> Result<String, DomainError> {
    Ok(get(conn, OCR_LANGUAGES)?.unwrap_or_else(|| crate::ocr::DEFAULT_LANGUAGES.to_string()))
}

/// Sets the OCR languages after checking their form
/// ([`ocr_languages_text`]); the core checks that each is installed.
/// Returns the stored `+`-joined form.
pub fn set_ocr_languages(conn: &Connection, codes: &[String]) -> Result<String, DomainError> {
    let joined = ocr_languages_text(codes)?;
    set(conn, OCR_LANGUAGES, &joined)?;
    Ok(joined)
}

/// OCR languages as stored (`+`-joined), once their form is checked: one
/// to [`MAX_OCR_LANGUAGES`] distinct codes of letters, digits and `_`.
pub fn ocr_languages_text(codes: &[String]) -> Result<String, DomainError> {
    let invalid = |m: String| Err(crate::validation("ocr_languages", m));
    if codes.is_empty() || codes.len() > MAX_OCR_LANGUAGES {
        return invalid(format!(
            "Choose between 1 and {MAX_OCR_LANGUAGES} languages to recognise."
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for code in codes {
        let well_formed = !code.is_empty()
            && code.len() <= 32
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return invalid(format!(
                "{code:?} is not a Tesseract language code (such as eng, deu or chi_sim)."
            ));
        }
        if !seen.insert(code.as_str()) {
            return invalid(format!("{code} is listed twice."));
        }
    }
    Ok(codes.join("+"))
}

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

fn number_in(
    conn: &Connection,
    key: &str,
    range: &std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, DomainError> {
    Ok(get(conn, key)?
        .and_then(|v| v.parse().ok())
        .filter(|v| range.contains(v))
        .unwrap_or(default))
}

/// The OCR worker setting: 0 (automatic, the default) or a count.
pub fn ocr_workers(conn: &Connection) -> Result<u32, DomainError> {
    number_in(conn, OCR_WORKERS, &OCR_WORKERS_RANGE, 0)
}

pub fn set_ocr_workers(conn: &Connection, workers: u32) -> Result<(), DomainError> {
    if !OCR_WORKERS_RANGE.contains(&workers) {
        return Err(crate::validation(
            "ocr_workers",
            format!("Recognise between 1 and {MAX_OCR_WORKERS} scans at once, or 0 for automatic."),
        ));
    }
    set(conn, OCR_WORKERS, &workers.to_string())
}

pub fn consent_confirm_days(conn: &Connection) -> Result<u32, DomainError> {
    number_in(
        conn,
        CONSENT_CONFIRM_DAYS,
        &CONSENT_CONFIRM_RANGE,
        DEFAULT_CONSENT_CONFIRM_DAYS,
    )
}

pub fn set_consent_confirm_days(conn: &Connection, days: u32) -> Result<(), DomainError> {
    if !CONSENT_CONFIRM_RANGE.contains(&days) {
        return Err(crate::validation(
            "consent_confirm_days",
            format!(
                "Oral consent is confirmed within {} to {} days.",
                CONSENT_CONFIRM_RANGE.start(),
                CONSENT_CONFIRM_RANGE.end()
            ),
        ));
    }
    set(conn, CONSENT_CONFIRM_DAYS, &days.to_string())
}

pub fn consent_review_months(conn: &Connection) -> Result<u32, DomainError> {
    number_in(
        conn,
        CONSENT_REVIEW_MONTHS,
        &CONSENT_REVIEW_RANGE,
        DEFAULT_CONSENT_REVIEW_MONTHS,
    )
}

pub fn set_consent_review_months(conn: &Connection, months: u32) -> Result<(), DomainError> {
    if !CONSENT_REVIEW_RANGE.contains(&months) {
        return Err(crate::validation(
            "consent_review_months",
            format!(
                "Consents are reviewed every {} to {} months.",
                CONSENT_REVIEW_RANGE.start(),
                CONSENT_REVIEW_RANGE.end()
            ),
        ));
    }
    set(conn, CONSENT_REVIEW_MONTHS, &months.to_string())
}
