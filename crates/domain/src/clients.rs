//! Clients: people and organizations, with aliases and contact details.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DomainError, like_pattern, notes, now, optional, required, validation};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Person,
    Organization,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Person => "person",
            ClientKind::Organization => "organization",
        }
    }

    pub(crate) fn from_db(s: &str) -> Self {
        if s == "organization" {
            ClientKind::Organization
        } else {
            ClientKind::Person
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClientInput {
    pub kind: Option<ClientKind>,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Names the client used before (searched by conflict checks like aliases).
    #[serde(default)]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub former_names: Vec<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub notes: String,
}

/// A change to a client: `None` leaves a field as it is.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClientPatch {
    pub kind: Option<ClientKind>,
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    #[serde(default)]
    #[ts(optional)]
    pub former_names: Option<Vec<String>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
}

impl ClientPatch {
    /// Names of the fields this patch sets (for the audit log: names, never values).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        for (name, set) in [
            ("kind", self.kind.is_some()),
            ("name", self.name.is_some()),
            ("aliases", self.aliases.is_some()),
            ("former_names", self.former_names.is_some()),
            ("email", self.email.is_some()),
            ("phone", self.phone.is_some()),
            ("address", self.address.is_some()),
            ("notes", self.notes.is_some()),
        ] {
            if set {
                f.push(name);
            }
        }
        f
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: i64,
    pub kind: ClientKind,
    pub name: String,
    pub aliases: Vec<String>,
    pub former_names: Vec<String>,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub notes: String,
    pub created_at: String,
    pub updated_at: String,
}

fn check_email(email: &str) -> Result<String, DomainError> {
    let e = optional("email", "Email", email)?;
    if !e.is_empty() {
        let ok = e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !e.contains(' ')
        });
        if !ok {
            return Err(validation(
                "email",
                format!("\"{e}\" is not an email address."),
            ));
        }
    }
    Ok(e)
}

/// The most aliases a client has.
pub const MAX_ALIASES: usize = 50;

fn check_aliases(aliases: &[String]) -> Result<Vec<String>, DomainError> {
    if aliases.len() > MAX_ALIASES {
        return Err(validation(
            "aliases",
            format!("A client has at most {MAX_ALIASES} aliases."),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for a in aliases {
        let a = required("aliases", "An alias", a)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&a)) {
            out.push(a);
        }
    }
    Ok(out)
}

/// Replaces the client's aliases (`former` false) or former names (true).
fn write_aliases(
    conn: &Connection,
    id: i64,
    aliases: &[String],
    former: bool,
) -> Result<(), DomainError> {
    conn.execute(
        "DELETE FROM client_aliases WHERE client_id = ?1 AND former = ?2",
        params![id, former],
    )?;
    for a in aliases {
        // A name that is both an alias and a former name is kept once.
        conn.execute(
            "INSERT OR IGNORE INTO client_aliases (client_id, alias, former) VALUES (?1, ?2, ?3)",
            params![id, a, former],
        )?;
    }
    Ok(())
}

/// Creates a client; returns its id.
pub fn create(conn: &Connection, input: &ClientInput) -> Result<i64, DomainError> {
    let name = required("name", "The client's name", &input.name)?;
    let aliases = check_aliases(&input.aliases)?;
    let former = check_aliases(&input.former_names)?;
    let email = check_email(&input.email)?;
    let phone = optional("phone", "Phone", &input.phone)?;
    let address = notes(&input.address)?;
    let note = notes(&input.notes)?;
    let at = now();
    conn.execute(
        "INSERT INTO clients (kind, name, email, phone, address, notes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            input.kind.unwrap_or(ClientKind::Person).as_str(),
            name,
            email,
            phone,
            address,
            note,
            at
        ],
    )?;
    let id = conn.last_insert_rowid();
    write_aliases(conn, id, &aliases, false)?;
    write_aliases(conn, id, &former, true)?;
    Ok(id)
}

pub fn get(conn: &Connection, id: i64) -> Result<Client, DomainError> {
    let client = conn
        .query_row(
            "SELECT id, kind, name, email, phone, address, notes, created_at, updated_at
             FROM clients WHERE id = ?1",
            [id],
            |r| {
                Ok(Client {
                    id: r.get(0)?,
                    kind: ClientKind::from_db(&r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    aliases: Vec::new(),
                    former_names: Vec::new(),
                    email: r.get(3)?,
                    phone: r.get(4)?,
                    address: r.get(5)?,
                    notes: r.get(6)?,
                    created_at: r.get(7)?,
                    updated_at: r.get(8)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| DomainError::NotFound {
            what: "client",
            key: format!("id {id}"),
        })?;
    let mut stmt = conn
        .prepare("SELECT alias, former FROM client_aliases WHERE client_id = ?1 ORDER BY alias")?;
    let (mut aliases, mut former_names) = (Vec::new(), Vec::new());
    for row in stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))? {
        let (alias, former) = row?;
        if former {
            former_names.push(alias);
        } else {
            aliases.push(alias);
        }
    }
    Ok(Client {
        aliases,
        former_names,
        ..client
    })
}

/// Applies a patch. Returns the field names it changed.
pub fn update(
    conn: &Connection,
    id: i64,
    patch: &ClientPatch,
) -> Result<Vec<&'static str>, DomainError> {
    let current = get(conn, id)?;
    let name = match &patch.name {
        Some(n) => required("name", "The client's name", n)?,
        None => current.name,
    };
    let email = match &patch.email {
        Some(e) => check_email(e)?,
        None => current.email,
    };
    let phone = match &patch.phone {
        Some(p) => optional("phone", "Phone", p)?,
        None => current.phone,
    };
    let address = match &patch.address {
        Some(a) => notes(a)?,
        None => current.address,
    };
    let note = match &patch.notes {
        Some(n) => notes(n)?,
        None => current.notes,
    };
    let aliases = patch.aliases.as_deref().map(check_aliases).transpose()?;
    let former = patch
        .former_names
        .as_deref()
        .map(check_aliases)
        .transpose()?;
    conn.execute(
        "UPDATE clients SET kind = ?2, name = ?3, email = ?4, phone = ?5, address = ?6, notes = ?7,
                            updated_at = ?8 WHERE id = ?1",
        params![
            id,
            patch.kind.unwrap_or(current.kind).as_str(),
            name,
            email,
            phone,
            address,
            note,
            now()
        ],
    )?;
    if let Some(aliases) = aliases {
        write_aliases(conn, id, &aliases, false)?;
    }
    if let Some(former) = former {
        write_aliases(conn, id, &former, true)?;
    }
    Ok(patch.fields())
}

/// Clients whose name or alias contains `search` (all when `None`), by name.
pub fn list(conn: &Connection, search: Option<&str>) -> Result<Vec<Client>, DomainError> {
    let pattern = like_pattern(search.unwrap_or(""));
    let mut stmt = conn.prepare(
        "SELECT id FROM clients c
         WHERE c.name LIKE ?1 ESCAPE '\\'
            OR EXISTS (SELECT 1 FROM client_aliases a WHERE a.client_id = c.id AND a.alias LIKE ?1 ESCAPE '\\')
         ORDER BY c.name COLLATE NOCASE, c.id",
    )?;
    let ids = stmt
        .query_map([pattern], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    ids.into_iter().map(|id| get(conn, id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::db;

    fn input(name: &str) -> ClientInput {
        ClientInput {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn create_get_and_search_by_name_or_alias() {
        let (_d, conn) = db();
        let id = create(
            &conn,
            &ClientInput {
                kind: Some(ClientKind::Organization),
                name: "  Quillfeather Holdings Ltd ".into(),
                aliases: vec!["QFH".into(), "qfh".into(), "Quill Group".into()],
                email: "office@quillfeather.example".into(),
                ..Default::default()
            },
        )
        .unwrap();
        create(&conn, &input("Ada Fictional")).unwrap();
        let c = get(&conn, id).unwrap();
        assert_eq!(c.name, "Quillfeather Holdings Ltd");
        assert_eq!(c.kind, ClientKind::Organization);
        assert_eq!(c.aliases, ["QFH", "Quill Group"]);
        let names = |s| {
            list(&conn, Some(s))
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("group"), ["Quillfeather Holdings Ltd"]);
        assert_eq!(names("ada"), ["Ada Fictional"]);
        assert_eq!(names("%"), Vec::<String>::new());
        assert_eq!(list(&conn, None).unwrap().len(), 2);
    }

    #[test]
    fn bad_input_is_refused_and_changes_nothing() {
        let (_d, conn) = db();
        for (bad, field) in [
            (input("   "), "name"),
            (
                ClientInput {
                    email: "not-an-email".into(),
                    ..input("A")
                },
                "email",
            ),
            (
                ClientInput {
                    aliases: vec![" ".into()],
                    ..input("A")
                },
                "aliases",
            ),
            (input(&"x".repeat(501)), "name"),
            // Only invisible characters: as empty as a blank name.
            (input("\u{200b}\u{202e}\u{2066}"), "name"),
            (
                ClientInput {
                    aliases: vec!["\u{feff}".into()],
                    ..input("A")
                },
                "aliases",
            ),
            (
                ClientInput {
                    aliases: (0..=MAX_ALIASES).map(|i| format!("Alias {i}")).collect(),
                    ..input("A")
                },
                "aliases",
            ),
        ] {
            match create(&conn, &bad) {
                Err(DomainError::Validation { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
        assert!(list(&conn, None).unwrap().is_empty());
        let id = create(&conn, &input("Ada Fictional")).unwrap();
        let err = update(
            &conn,
            id,
            &ClientPatch {
                name: Some("".into()),
                ..Default::default()
            },
        );
        assert!(err.is_err());
        assert_eq!(get(&conn, id).unwrap().name, "Ada Fictional");
        assert!(matches!(get(&conn, 999), Err(DomainError::NotFound { .. })));
    }

    #[test]
    fn update_changes_only_what_is_given() {
        let (_d, conn) = db();
        let id = create(
            &conn,
            &ClientInput {
                phone: "+1 555 0100".into(),
                ..input("Ada Fictional")
            },
        )
        .unwrap();
        let fields = update(
            &conn,
            id,
            &ClientPatch {
                name: Some("Ada B. Fictional".into()),
                aliases: Some(vec!["Ada B".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(fields, ["name", "aliases"]);
        let c = get(&conn, id).unwrap();
        assert_eq!(
            (c.name.as_str(), c.phone.as_str()),
            ("Ada B. Fictional", "+1 555 0100")
        );
        assert_eq!(c.aliases, ["Ada B"]);
    }
}
