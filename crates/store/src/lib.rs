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
    /// The file is there but is not this vault's database any more: empty,
    /// cut short, replaced, or a page that fails its check. Never treated
    /// as a new vault.
    #[error(
        "The vault database is damaged: {0}. Nothing was changed. Put back vault.db from a backup; `matterbox doctor` lists what is affected."
    )]
    Damaged(String),
    #[error("A database file already exists where a new vault's database was to be created.")]
    Exists,
    #[error("SQLCipher did not turn on {0}; refusing to use the database without it.")]
    MissingProtection(&'static str),
    /// A migration that rebuilt a table left a reference without its row;
    /// it was rolled back.
    #[error(
        "The database upgrade to schema version {version} would break references between records; nothing was changed."
    )]
    ForeignKeys { version: i64 },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Opens the existing database at `path` with `key`, and migrates it to the
/// latest schema. A missing database is an error, never a fresh empty one:
/// deleting `vault.db` must not turn into an empty vault with a clean log.
///
/// A file that is empty, cut short to less than a page, or holds no
/// schema (SQLCipher would happily start a new database in it) is
/// [`StoreError::Damaged`]: a sync tool, a failed copy or a full disk must
/// never turn a vault into an empty one whose documents look like orphans.
pub fn open(path: &Path, key: &DerivedKey) -> Result<Connection, StoreError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Err(StoreError::Damaged("vault.db is not a file".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::Missing),
        Err(e) => {
            return Err(StoreError::Damaged(format!(
                "vault.db cannot be read ({e})"
            )));
        }
    };
    if meta.len() < PAGE_SIZE {
        return Err(StoreError::Damaged(format!(
            "vault.db is {} bytes long, less than one page: it was emptied or cut short",
            meta.len()
        )));
    }
    let mut conn = open_unmigrated(path, key, false)?;
    if schema_version(&conn)? == 0 {
        return Err(StoreError::Damaged(
            "vault.db holds no vault (no schema): it was emptied or replaced".into(),
        ));
    }
    migrate_to(&mut conn, LATEST_VERSION)?;
    Ok(conn)
}

/// SQLCipher 4's page size: a database file is never shorter than a page.
const PAGE_SIZE: u64 = 4096;

/// Whether a database error means the file itself is damaged (a page that
/// fails SQLCipher's HMAC or SQLite's structure checks), not a bug or a
/// busy database.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Reads every page: SQLCipher's `cipher_integrity_check` (each page's
/// HMAC) and SQLite's `integrity_check` (the b-trees and indexes). Returns
/// the problems found, at most `max` of them; empty when the file is sound.
pub fn integrity_problems(conn: &Connection, max: usize) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    let mut collect = |sql: &str, ok: Option<&str>| -> Result<(), StoreError> {
        let rows = conn.prepare(sql).and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<String>, _>>()
        });
        match rows {
            Ok(rows) => problems.extend(
                rows.into_iter()
                    .filter(|r| Some(r.as_str()) != ok)
                    .take(max.saturating_sub(problems.len())),
            ),
            Err(e) if is_damage(&e) => problems.push(format!("{sql}: {e}")),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    };
    collect("PRAGMA cipher_integrity_check", None)?;
    collect(
        &format!("PRAGMA integrity_check({})", max.max(1)),
        Some("ok"),
    )?;
    Ok(problems)
}

/// [`integrity_problems`] on a connection of its own to the database at
/// `path`: once SQLCipher has read a page that fails its HMAC, the
/// connection that read it fails every later read (its pager stays in an
/// error state), so the check must never run on a connection that is
/// still to be used — the doctor would otherwise fail on its next query
/// instead of naming the damage, and the app's session would be broken.
pub fn integrity_problems_at(
    path: &Path,
    key: &DerivedKey,
    max: usize,
) -> Result<Vec<String>, StoreError> {
    let conn = open_unmigrated(path, key, false)?;
    integrity_problems(&conn, max)
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
    if create {
        // Created private, before SQLite opens it: it never exists 0644.
        crate::private_file(path)?;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    match keyed(&conn, path, key) {
        Ok(()) => Ok(conn),
        Err(StoreError::Sqlite(e)) => Err(StoreError::Sqlite(name_full_disk(path, e))),
        Err(e) => Err(e),
    }
}

/// Keys `conn` and checks the key, SQLCipher's protections and the
/// write-ahead log.
fn keyed(conn: &Connection, path: &Path, key: &DerivedKey) -> Result<(), StoreError> {
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
    // SQLite creates the -wal and -shm files with the database's mode; keep
    // all three readable by the user alone, whatever made them before.
    restrict_files(path);
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -65536;",
    )?;
    Ok(())
}

/// SQLite reports a full disk met while growing its shared-memory file or
/// its log as an I/O error ("disk I/O error"). When the disk holding `path`
/// has less than [`FULL_DISK_BYTES`] left at that moment, so does this: the
/// error becomes `SQLITE_FULL`, which is reported to the user as a full
/// disk instead of an internal failure. Any other error is returned as is.
pub fn name_full_disk(path: &Path, e: rusqlite::Error) -> rusqlite::Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure)
        && space_left(path).is_some_and(|left| left < FULL_DISK_BYTES)
    {
        return rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        );
    }
    e
}

/// Below this much free space an I/O error is taken for a full disk: less
/// than the database's cache of pages that one change may write.
pub const FULL_DISK_BYTES: u64 = 1024 * 1024;

/// The bytes an unprivileged writer may still use on the disk holding
/// `path` (its folder, if `path` itself is missing).
fn space_left(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let at = if path.exists() { path } else { path.parent()? };
        let s = rustix::fs::statvfs(at).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Runs `f` holding the database's write lock (`BEGIN IMMEDIATE`, then
/// `ROLLBACK`): no commit of any connection can happen meanwhile.
///
/// A backup copies the database file and then its write-ahead log under
/// it: one consistent state, since a checkpoint by another connection
/// moves only pages that stay in the log until a writer restarts it, which
/// the lock prevents. The pages are copied unchanged, so a page that did
/// not change is byte for byte the same as in the last backup and
/// deduplicates; `VACUUM INTO` or the backup API would re-encrypt every
/// page with a fresh IV. The log is first folded into the database (best
/// effort), so it is short.
pub fn with_write_lock<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| E::from(StoreError::from(e)))?;
    let out = f();
    let ended = conn.execute_batch("ROLLBACK");
    let out = out?;
    ended.map_err(|e| E::from(StoreError::from(e)))?;
    Ok(out)
}

/// Creates an empty file readable by the user alone for SQLite to fill.
fn private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            StoreError::Exists
        } else {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("cannot create {}: {e}", path.display())),
            ))
        }
    })
}

/// Makes the database and its -wal and -shm files 0600 (best effort: a
/// file that is not there yet is created by SQLite with the database's
/// mode).
fn restrict_files(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let name = path.as_os_str().to_owned();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = name.clone();
            p.push(suffix);
            if let Ok(m) = std::fs::metadata(&p)
                && m.permissions().mode() & 0o077 != 0
            {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
    fn under_the_write_lock_no_other_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vault.db");
        let conn = create(&db, &key(3)).unwrap();
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('marker', 'm')",
            [],
        )
        .unwrap();
        let refused = with_write_lock(&conn, || {
            let other = open(&db, &key(3))?;
            other.execute_batch("PRAGMA busy_timeout = 0")?;
            Ok::<_, StoreError>(
                other
                    .execute("INSERT INTO settings (key, value) VALUES ('x', 'y')", [])
                    .is_err(),
            )
        })
        .unwrap();
        assert!(refused, "a writer got in while the lock was held");
        // The lock is released: writing works again.
        conn.execute("INSERT INTO settings (key, value) VALUES ('z', 'z')", [])
            .unwrap();
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
