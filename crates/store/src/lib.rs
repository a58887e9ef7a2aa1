//! The vault database: SQLCipher 4 opened with a raw key derived from the
//! master key (never a passphrase), with WAL, foreign keys, secure delete
//! and SQLCipher's memory security on, and the schema brought up to date
//! by versioned migrations on every open.
//!
//! This crate owns the schema (`migrations.rs`); the audit and domain
//! crates own the queries.

mod migrations;

use std::path::Path;

use matterbox_vault::DerivedKey;
use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

pub use migrations::{LATEST_VERSION, MIGRATIONS, Migration, migrate_to};

static SQLCIPHER_STARTED: std::sync::Once = std::sync::Once::new();

/// Starts SQLCipher once per process, on one thread, before any vault
/// database is opened, and turns on its memory security.
///
/// SQLite marks itself initialised before SQLCipher's own start-up has run,
/// so a second thread opening its first database at that moment could key it
/// before SQLCipher was ready ("PRAGMA key requires a key…"). Every other
/// thread waits here until the start-up is complete.
///
/// The start-up runs on whichever thread first touches SQLite, possibly one
/// that opens a plain connection, so this waits until SQLCipher accepts a key
/// on a scratch in-memory database, which it does only once it has started.
///
/// Memory security wipes SQLCipher's and SQLite's freed memory, so keys and
/// pages do not linger. It is process-wide, so it is turned on here, before
/// any vault connection allocates anything.
fn start_sqlcipher() {
    SQLCIPHER_STARTED.call_once(|| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while let Ok(c) = Connection::open_in_memory() {
            if c.execute_batch("PRAGMA key = 'start';").is_ok() {
                let _ = c.execute_batch("PRAGMA cipher_memory_security = ON;");
                return;
            }
            if std::time::Instant::now() > deadline {
                // Opening the vault will report what is wrong.
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not open this database (or the file is not one).
    #[error(
        "The vault database does not open with this vault's key (wrong vault, or a damaged file)."
    )]
    WrongKey,
    #[error(
        "The vault database has schema version {found}; this version of Matterbox knows up to {known}. Update Matterbox to open it."
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("The vault's database file is missing.")]
    Missing,
    #[error("A database file already exists where a new vault's database was to be created.")]
    Exists,
    #[error("SQLCipher did not turn on {0}; refusing to use the database without it.")]
    MissingProtection(&'static str),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Opens the existing database at `path` with `key`, and migrates it to the
/// latest schema. A missing database is an error, never a fresh empty one:
/// deleting `vault.db` must not turn into an empty vault with a clean log.
pub fn open(path: &Path, key: &DerivedKey) -> Result<Connection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Missing);
    }
    let mut conn = open_unmigrated(path, key, false)?;
    migrate_to(&mut conn, LATEST_VERSION)?;
    Ok(conn)
}

/// Creates a new database at `path` (which must not exist) with `key`.
pub fn create(path: &Path, key: &DerivedKey) -> Result<Connection, StoreError> {
    let mut conn = open_unmigrated(path, key, true)?;
    migrate_to(&mut conn, LATEST_VERSION)?;
    Ok(conn)
}

/// Opens with the key and checks it, without migrating. For tests that
/// build an older schema, and for tools that only read.
pub fn open_unmigrated(
    path: &Path,
    key: &DerivedKey,
    create: bool,
) -> Result<Connection, StoreError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        if path.exists() {
            return Err(StoreError::Exists);
        }
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    start_sqlcipher();
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher would print a line to stderr on a wrong key; the error is ours to report.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    {
        let raw = key.sqlcipher_raw_key();
        let pragma = Zeroizing::new(format!("PRAGMA key = \"{}\";", raw.as_str()));
        conn.execute_batch(&pragma)?;
    }
    // The first read tells whether the key is right.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StoreError::WrongKey);
        }
        Err(e) => return Err(e.into()),
    }
    let security: String = conn.query_row("PRAGMA cipher_memory_security", [], |r| r.get(0))?;
    if security != "1" {
        return Err(StoreError::MissingProtection("cipher_memory_security"));
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::MissingProtection("write-ahead logging"));
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -65536;",
    )?;
    Ok(conn)
}

/// The schema version recorded in the database.
pub fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> DerivedKey {
        DerivedKey::from_bytes([b; 32])
    }

    #[test]
    fn the_file_is_encrypted_and_opens_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        {
            let conn = create(&path, &key(1)).unwrap();
            conn.execute(
                "INSERT INTO settings(key, value) VALUES ('marker', 'Fictional Client Zanzibar Quill')",
                [],
            )
            .unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.starts_with(b"SQLite format 3"));
        assert!(!bytes.windows(8).any(|w| w == b"Zanzibar"));
        assert!(matches!(open(&path, &key(2)), Err(StoreError::WrongKey)));
        let conn = open(&path, &key(1)).unwrap();
        let v: String = conn
            .query_row("SELECT value FROM settings WHERE key = 'marker'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, "Fictional Client Zanzibar Quill");
    }

    #[test]
    fn protections_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let conn = create(&dir.path().join("vault.db"), &key(1)).unwrap();
        let get = |sql: &str| -> String {
            conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
                .unwrap()
        };
        assert_eq!(get("PRAGMA journal_mode"), "wal");
        assert_eq!(get("PRAGMA foreign_keys"), "1");
        assert_eq!(get("PRAGMA secure_delete"), "1");
        assert_eq!(get("PRAGMA cipher_memory_security"), "1");
        assert!(get("PRAGMA cipher_version").starts_with('4'));
        // Deleted search entries are removed from the index, not only marked.
        let secure: i64 = conn
            .query_row(
                "SELECT v FROM document_search_config WHERE k = 'secure-delete'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(secure, 1);
        assert_eq!(schema_version(&conn).unwrap(), LATEST_VERSION);
    }

    #[test]
    fn a_missing_database_is_not_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        assert!(matches!(open(&path, &key(1)), Err(StoreError::Missing)));
        assert!(!path.exists());
        create(&path, &key(1)).unwrap();
        assert!(matches!(create(&path, &key(1)), Err(StoreError::Exists)));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        {
            let conn = create(&path, &key(1)).unwrap();
            conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
                .unwrap();
        }
        assert!(matches!(
            open(&path, &key(1)),
            Err(StoreError::NewerSchema { .. })
        ));
    }
}
