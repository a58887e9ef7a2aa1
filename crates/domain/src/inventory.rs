//! The data inventory of the compliance report (#17 §2): what the vault
//! holds, counted — clients, matters and documents by practice area,
//! documents by kind, and the categories of personal data present. Every
//! count is of the whole vault, or of one client's records (`client`).
//! Counts only: no name or text leaves these queries.

use rusqlite::{Connection, params};
use serde::Serialize;
use ts_rs::TS;

use crate::DomainError;

/// Matters and documents (not in the trash) of one practice area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AreaCount {
    /// The practice area as typed on the matters ("" when none was given).
    pub practice_area: String,
    pub matters: i64,
    pub open_matters: i64,
    pub documents: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KindCount {
    /// The file name's extension, lower case ("" when it has none).
    pub kind: String,
    pub documents: i64,
}

/// A category of personal data and how many records hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub category: String,
    /// What was counted, in words.
    pub counted: String,
    pub records: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    pub clients: i64,
    pub matters: i64,
    pub documents: i64,
    pub by_practice_area: Vec<AreaCount>,
    pub documents_by_kind: Vec<KindCount>,
    pub personal_data: Vec<Category>,
}

fn count(conn: &Connection, sql: &str, client: Option<i64>) -> Result<i64, DomainError> {
    Ok(conn.query_row(sql, params![client], |r| r.get(0))?)
}

// `?1` is the client (NULL: all). Documents in the trash still count: they
// are still held.
const MATTER_OF: &str = "(?1 IS NULL OR m.client_id = ?1)";

/// The inventory of the vault, or of client `client`'s records.
pub fn inventory(conn: &Connection, client: Option<i64>) -> Result<Inventory, DomainError> {
    let clients = count(
        conn,
        "SELECT count(*) FROM clients WHERE ?1 IS NULL OR id = ?1",
        client,
    )?;
    let matters = count(
        conn,
        &format!("SELECT count(*) FROM matters m WHERE {MATTER_OF}"),
        client,
    )?;
    let documents = count(
        conn,
        &format!(
            "SELECT count(*) FROM documents d JOIN matters m ON m.id = d.matter_id WHERE {MATTER_OF}"
        ),
        client,
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT m.practice_area, count(*), sum(m.status = 'open'),
                (SELECT count(*) FROM documents d JOIN matters m2 ON m2.id = d.matter_id
                  WHERE m2.practice_area = m.practice_area AND (?1 IS NULL OR m2.client_id = ?1))
         FROM matters m WHERE {MATTER_OF}
         GROUP BY m.practice_area ORDER BY m.practice_area"
    ))?;
    let by_practice_area = stmt
        .query_map(params![client], |r| {
            Ok(AreaCount {
                practice_area: r.get(0)?,
                matters: r.get(1)?,
                open_matters: r.get(2)?,
                documents: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT d.original_name FROM documents d JOIN matters m ON m.id = d.matter_id WHERE {MATTER_OF}"
    ))?;
    let names: Vec<String> = stmt
        .query_map(params![client], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut kinds: std::collections::BTreeMap<String, i64> = Default::default();
    for n in names {
        *kinds.entry(extension(&n)).or_default() += 1;
    }
    let documents_by_kind = kinds
        .into_iter()
        .map(|(kind, documents)| KindCount { kind, documents })
        .collect();
    Ok(Inventory {
        clients,
        matters,
        documents,
        by_practice_area,
        documents_by_kind,
        personal_data: categories(conn, client)?,
    })
}

fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 10 => {
            ext.to_lowercase()
        }
        _ => String::new(),
    }
}

fn categories(conn: &Connection, client: Option<i64>) -> Result<Vec<Category>, DomainError> {
    let whole = client.is_none();
    let mut rows: Vec<(&str, &str, String)> = vec![
        ("Client names", "clients", "SELECT count(*) FROM clients WHERE ?1 IS NULL OR id = ?1".into()),
        ("Other names of clients", "aliases and former names of clients", "SELECT count(*) FROM client_aliases WHERE ?1 IS NULL OR client_id = ?1".into()),
        ("Contact details: e-mail", "clients with an e-mail address", "SELECT count(*) FROM clients WHERE (?1 IS NULL OR id = ?1) AND trim(email) <> ''".into()),
        ("Contact details: telephone", "clients with a telephone number", "SELECT count(*) FROM clients WHERE (?1 IS NULL OR id = ?1) AND trim(phone) <> ''".into()),
        ("Contact details: postal address", "clients with an address", "SELECT count(*) FROM clients WHERE (?1 IS NULL OR id = ?1) AND trim(address) <> ''".into()),
        ("Notes about clients", "clients with notes", "SELECT count(*) FROM clients WHERE (?1 IS NULL OR id = ?1) AND trim(notes) <> ''".into()),
        ("Names of parties to matters", "parties named on matters (related and adverse)", format!("SELECT count(*) FROM matter_parties p JOIN matters m ON m.id = p.matter_id WHERE {MATTER_OF}")),
        ("Document contents", "documents (any content, including personal data in them)", format!("SELECT count(*) FROM documents d JOIN matters m ON m.id = d.matter_id WHERE {MATTER_OF}")),
        ("Searchable text of documents", "documents whose text was extracted for search", format!("SELECT count(*) FROM documents d JOIN matters m ON m.id = d.matter_id WHERE {MATTER_OF} AND d.text_status = 'extracted'")),
        ("Text recognised in scans (OCR)", "documents with text recognised from images", format!("SELECT count(DISTINCT v.document_id) FROM ocr_pages o JOIN document_versions v ON v.id = o.version_id JOIN documents d ON d.id = v.document_id JOIN matters m ON m.id = d.matter_id WHERE {MATTER_OF} AND o.status = 'recognised' AND o.text <> ''")),
        ("Consent records", "consents covering the client(s)", "SELECT count(DISTINCT c.consent_id) FROM consent_clients c WHERE ?1 IS NULL OR c.client_id = ?1".into()),
        ("Data-subject requests", "requests (whole vault) or requests that found this client's records", "SELECT count(*) FROM dsr_requests r WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM dsr_items i LEFT JOIN matters m ON m.id = i.matter_id WHERE i.request_id = r.id AND (i.client_id = ?1 OR m.client_id = ?1))".into()),
    ];
    if whole {
        rows.push((
            "Names checked for conflicts",
            "names recorded in conflict checks (prospective clients and parties)",
            "SELECT count(*) FROM conflict_check_names WHERE ?1 IS NULL".into(),
        ));
        rows.push((
            "Incident records",
            "incidents in the register",
            "SELECT count(*) FROM breaches WHERE ?1 IS NULL".into(),
        ));
    }
    rows.into_iter()
        .map(|(category, counted, sql)| {
            Ok(Category {
                category: category.into(),
                counted: counted.into(),
                records: count(conn, &sql, client)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn a_document_kind_is_its_extension() {
        for (name, kind) in [
            ("Lease.PDF", "pdf"),
            ("notes.txt", "txt"),
            ("README", ""),
            (".hidden", ""),
            ("a.", ""),
            ("x.tar.gz", "gz"),
        ] {
            assert_eq!(extension(name), kind, "{name}");
        }
    }
}
