//! Saved searches: a query kept under a name, per vault (in its encrypted
//! database), to run again later.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::search::Query;
use crate::{DomainError, now, required, validation};

/// The most searches a vault keeps.
pub const MAX_SAVED: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    /// What the user typed, in the search language.
    pub query: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether a save made a new search or replaced one of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    New(i64),
    Replaced(i64),
}

/// Keeps `query` under `name` (names are unique ignoring case: saving
/// under a name in use replaces that search's query). The query must have
/// something to search for and be no longer than a search may be.
pub fn save(conn: &Connection, name: &str, query: &str) -> Result<Saved, DomainError> {
    let name = required("name", "The name of a saved search", name)?;
    let query = required("query", "The search", query)?;
    if Query::parse(&query).is_empty() {
        return Err(validation(
            "query",
            "The search has nothing to look for: type a word, a phrase or a field.",
        ));
    }
    let at = now();
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM saved_searches WHERE name = ?1",
            [&name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        conn.execute(
            "UPDATE saved_searches SET name = ?2, query = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, name, query, at],
        )?;
        return Ok(Saved::Replaced(id));
    }
    let count: i64 = conn.query_row("SELECT count(*) FROM saved_searches", [], |r| r.get(0))?;
    if count >= MAX_SAVED {
        return Err(validation(
            "name",
            format!("This vault keeps {MAX_SAVED} saved searches at most; forget one first."),
        ));
    }
    conn.execute(
        "INSERT INTO saved_searches (name, query, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![name, query, at],
    )?;
    Ok(Saved::New(conn.last_insert_rowid()))
}

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.get(0)?,
        name: r.get(1)?,
        query: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

const COLUMNS: &str = "id, name, query, created_at, updated_at";

/// Every saved search, by name.
pub fn list(conn: &Connection) -> Result<Vec<SavedSearch>, DomainError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM saved_searches ORDER BY name COLLATE NOCASE, id"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The saved search of this id.
pub fn get(conn: &Connection, id: i64) -> Result<SavedSearch, DomainError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM saved_searches WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "saved search",
        key: format!("id {id}"),
    })
}

/// The saved search of this name (case ignored).
pub fn by_name(conn: &Connection, name: &str) -> Result<SavedSearch, DomainError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM saved_searches WHERE name = ?1"),
        [name.trim()],
        from_row,
    )
    .optional()?
    .ok_or_else(|| DomainError::NotFound {
        what: "saved search",
        key: format!("the name {}", name.trim()),
    })
}

/// Forgets a saved search (its row is deleted; `secure_delete` zeroes it).
pub fn forget(conn: &Connection, id: i64) -> Result<(), DomainError> {
    get(conn, id)?;
    conn.execute("DELETE FROM saved_searches WHERE id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    #[test]
    fn saved_searches_are_kept_by_name_replaced_and_forgotten() {
        let (_d, conn) = db();
        let Saved::New(a) = save(&conn, " Indemnities ", "indemn* -draft").unwrap() else {
            panic!("new")
        };
        let Saved::New(b) = save(&conn, "Deeds", "tag:deed").unwrap() else {
            panic!("new")
        };
        assert_eq!(
            save(&conn, "INDEMNITIES", "indemn*").unwrap(),
            Saved::Replaced(a)
        );
        let all = list(&conn).unwrap();
        assert_eq!(
            all.iter()
                .map(|s| (s.id, s.name.as_str(), s.query.as_str()))
                .collect::<Vec<_>>(),
            [(b, "Deeds", "tag:deed"), (a, "INDEMNITIES", "indemn*")]
        );
        assert_eq!(by_name(&conn, "deeds").unwrap().id, b);
        forget(&conn, b).unwrap();
        assert!(matches!(
            by_name(&conn, "deeds"),
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            forget(&conn, b),
            Err(DomainError::NotFound { .. })
        ));
    }

    #[test]
    fn a_saved_search_needs_a_name_and_something_to_look_for() {
        let (_d, conn) = db();
        for (name, query, field) in [
            ("", "lease", "name"),
            ("\u{200b}", "lease", "name"),
            ("x", "   ", "query"),
            ("x", "*** \" (", "query"),
            ("x", &"lease ".repeat(100), "query"),
            (&"n".repeat(501), "lease", "name"),
        ] {
            match save(&conn, name, query) {
                Err(DomainError::Validation { field: f, .. }) => assert_eq!(f, field, "{name}"),
                other => panic!("{name:?} {query:?}: {other:?}"),
            }
        }
        assert!(list(&conn).unwrap().is_empty());
    }
}
