//! Returning a client's file (#18 §3, ABA Model Rule 1.16(d)): one
//! package of a whole matter, or of every matter of a client — every
//! current document (or every version), an index (`INDEX.html`,
//! `INDEX.csv`), the parties (`PARTIES.csv`) and the timeline
//! (`TIMELINE.csv`) — written and recorded like any share
//! ([`Session::package`](crate::Session)): the same formats and
//! protections, the same signed manifest, the same permanent share record
//! that the incident register's scope reads. A return adds, in the same
//! transaction, its mark (`matterbox_domain::returns`), a `file_returned`
//! entry in each matter's timeline, and the audit entry `file_returned`
//! (ids and counts only).
//!
//! Documents in the trash are not part of the file returned; they are not
//! current documents of the matter.

use std::path::Path;

use matterbox_domain::documents::{self, Shelf};
use matterbox_domain::returns::{self as db, FileReturn, ReturnScope};
use matterbox_domain::shares::ShareFormat;
use matterbox_domain::{Matter, MatterFilter, matters};
use matterbox_share::{Extra, csv_cell, html_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::cancel::Watch;
use crate::shares::{Contents, MAX_DOCUMENTS, Packed, ShareCreated, ShareProtection, ShareRequest};
use crate::{CoreError, Result, Session};

/// Whose file is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum ReturnOf {
    Matter(i64),
    /// Every matter of the client.
    Client(i64),
}

/// A return, with the same choices as a share.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnRequest {
    pub of: ReturnOf,
    /// Every version of each document, not only the current one.
    pub all_versions: bool,
    pub format: ShareFormat,
    pub protection: ShareProtection,
    pub hide_names: bool,
    pub recipient: Option<String>,
    pub confirm_fingerprint: Option<String>,
}

/// A file that was returned: the share (with the passphrase, shown once)
/// and its mark.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReturnCreated {
    pub created: ShareCreated,
    pub file_return: FileReturn,
}

/// One document version in the index.
struct Row<'a> {
    matter: &'a Matter,
    document: &'a documents::DocumentSummary,
    version: &'a documents::VersionInfo,
    name: String,
}

impl Session {
    /// Writes the file of a matter or of every matter of a client into
    /// `folder` and records the return. `watch` hears the document bytes
    /// written (of all of them) and which document is being written; its
    /// stop is the user's Cancel, after which no file is left (`Cancelled`).
    pub fn return_file(
        &mut self,
        req: &ReturnRequest,
        folder: &Path,
        watch: &Watch<'_>,
    ) -> Result<ReturnCreated> {
        self.cancel.check()?;
        let (client_id, scope, matter_list) = match req.of {
            ReturnOf::Matter(id) => {
                let m = matters::get(&self.conn, id)?;
                (m.summary.client_id, ReturnScope::Matter, vec![m])
            }
            ReturnOf::Client(id) => {
                matterbox_domain::clients::get(&self.conn, id)?;
                let mut list = matters::list(
                    &self.conn,
                    &MatterFilter {
                        client_id: Some(id),
                        ..Default::default()
                    },
                )?;
                list.sort_by(|a, b| (a.opened_on, &a.number).cmp(&(b.opened_on, &b.number)));
                let full = list
                    .iter()
                    .map(|m| matters::get(&self.conn, m.id))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                if full.is_empty() {
                    return Err(CoreError::Invalid(
                        "That client has no matters: there is no file to return.".into(),
                    ));
                }
                (id, ReturnScope::Client, full)
            }
        };
        // Every live document of each matter, oldest first, with the
        // versions to return (oldest first).
        let mut docs = Vec::new();
        for m in &matter_list {
            let mut list = documents::list(&self.conn, m.summary.id, Shelf::Live)?;
            list.reverse();
            for d in list {
                let mut versions = documents::versions(&self.conn, d.id)?;
                if !req.all_versions {
                    versions.truncate(1);
                }
                versions.reverse();
                docs.push((m, d, versions));
            }
        }
        let count: usize = docs.iter().map(|(_, _, v)| v.len()).sum();
        if count == 0 {
            return Err(CoreError::Invalid(match scope {
                ReturnScope::Matter => {
                    "The matter has no documents: there is nothing to put in a package.".into()
                }
                ReturnScope::Client => {
                    "The client's matters have no documents: there is nothing to put in a package."
                        .into()
                }
            }));
        }
        if count > MAX_DOCUMENTS {
            return Err(CoreError::Invalid(format!(
                "A package holds at most {MAX_DOCUMENTS} documents; this file has {count}. Return its matters one by one."
            )));
        }
        let mut wanted = Vec::with_capacity(count);
        let mut rows_of = Vec::with_capacity(count);
        for (m, d, versions) in &docs {
            let base = crate::document_ops::safe_file_name(&d.original_name, &d.title);
            for v in versions {
                let mut name = if d.versions > 1 && req.all_versions {
                    versioned_name(&base, v.version)
                } else {
                    base.clone()
                };
                if scope == ReturnScope::Client {
                    name = format!("{} - {name}", m.summary.number);
                }
                wanted.push(name);
                rows_of.push((*m, d, v));
            }
        }
        let names = matterbox_share::package_names(&wanted);
        let rows: Vec<Row<'_>> = rows_of
            .into_iter()
            .zip(names)
            .map(|((matter, document, version), name)| Row {
                matter,
                document,
                version,
                name,
            })
            .collect();
        let mut packed = Vec::with_capacity(rows.len());
        for r in &rows {
            packed.push(Packed {
                matter_id: r.matter.summary.id,
                size: r.version.size,
                name: r.name.clone(),
                key: documents::version_key(&self.conn, r.document.id, Some(r.version.version))?,
            });
        }
        let contents = Contents {
            client_id,
            documents: packed,
            extras: index_files(&matter_list, &rows),
        };
        let share_req = ShareRequest {
            document_ids: Vec::new(),
            matter_id: None,
            format: req.format,
            protection: req.protection.clone(),
            hide_names: req.hide_names,
            recipient: req.recipient.clone(),
            confirm_fingerprint: req.confirm_fingerprint.clone(),
        };
        let matter_ids: Vec<i64> = matter_list.iter().map(|m| m.summary.id).collect();
        let document_count = docs.len();
        let all_versions = req.all_versions;
        let created = self.package(&share_req, folder, &contents, watch, |tx, rec, share_id| {
            db::record(tx, share_id, scope, all_versions, &matter_ids)?;
            let share = matterbox_domain::shares::get(tx, share_id)?;
            let text = format!(
                "File returned to {}: package {} ({} documents{}), share {}",
                share.recipient,
                share.package_id,
                document_count,
                if all_versions { ", every version" } else { "" },
                share_id
            );
            for m in &matter_ids {
                db::add_timeline_event(tx, *m, matters::today(), &text)?;
            }
            rec.record(
                "file_returned",
                &format!("share:{share_id}"),
                json!({
                    "client": format!("client:{client_id}"),
                    "scope": scope.as_str(),
                    "matters": matter_ids.iter().map(|m| format!("matter:{m}")).collect::<Vec<_>>(),
                    "documents": document_count,
                    "versions": count,
                    "all_versions": all_versions,
                }),
            )
        })?;
        let file_return = db::of_share(&self.conn, created.share.id)?.ok_or(
            CoreError::Internal("a return was recorded without its mark"),
        )?;
        Ok(ReturnCreated {
            created,
            file_return,
        })
    }

    /// The returns among a client's shares (or every client's).
    pub fn file_returns(&self, client_id: Option<i64>) -> Result<Vec<FileReturn>> {
        db::share_ids(&self.conn, client_id)?
            .into_iter()
            .map(|id| {
                db::of_share(&self.conn, id)?
                    .ok_or(CoreError::Internal("a listed return has no rows"))
            })
            .collect()
    }
}

/// `contract.pdf`, version 2 → `contract (version 2).pdf`.
fn versioned_name(base: &str, version: i64) -> String {
    match base.rfind('.') {
        Some(i) if i > 0 => format!("{} (version {version}){}", &base[..i], &base[i..]),
        _ => format!("{base} (version {version})"),
    }
}

/// A path inside the package as an `href`: every byte but unreserved
/// characters percent-encoded, so no name can break out of the attribute.
fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn csv_line(cells: &[&str]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// `INDEX.csv`, `INDEX.html`, `PARTIES.csv` and `TIMELINE.csv`.
fn index_files(matter_list: &[Matter], rows: &[Row<'_>]) -> Vec<Extra> {
    let mut index = csv_line(&[
        "Matter",
        "Title",
        "File",
        "Date added",
        "Version",
        "Version added",
        "Current version",
        "Tags",
        "Notes",
        "Bytes",
        "SHA-256",
    ]);
    for r in rows {
        let version = r.version.version.to_string();
        let size = r.version.size.to_string();
        index.push_str(&csv_line(&[
            &r.matter.summary.number,
            &r.document.title,
            &format!("{}/{}", matterbox_share::DOCUMENTS_DIR, r.name),
            &r.document.created_at,
            &version,
            &r.version.created_at,
            if r.version.version == r.document.versions {
                "yes"
            } else {
                "no"
            },
            &r.document.tags.join("; "),
            &r.document.notes,
            &size,
            &r.version.sha256,
        ]));
    }
    let mut parties = csv_line(&["Matter", "Name", "Role", "Side"]);
    let mut timeline = csv_line(&["Matter", "Date", "Kind", "Description"]);
    for m in matter_list {
        for p in &m.parties {
            parties.push_str(&csv_line(&[
                &m.summary.number,
                &p.name,
                &p.role,
                p.side.as_str(),
            ]));
        }
        for e in &m.timeline {
            timeline.push_str(&csv_line(&[
                &m.summary.number,
                &e.occurred_on.to_string(),
                &e.kind,
                &e.description,
            ]));
        }
    }
    vec![
        Extra {
            name: "INDEX.html".into(),
            body: index_html(matter_list, rows).into_bytes(),
        },
        Extra {
            name: "INDEX.csv".into(),
            body: index.into_bytes(),
        },
        Extra {
            name: "PARTIES.csv".into(),
            body: parties.into_bytes(),
        },
        Extra {
            name: "TIMELINE.csv".into(),
            body: timeline.into_bytes(),
        },
    ]
}

fn index_html(matter_list: &[Matter], rows: &[Row<'_>]) -> String {
    let h = html_text;
    let client = matter_list
        .first()
        .map(|m| m.summary.client_name.as_str())
        .unwrap_or_default();
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>File of {client}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}\
         th,td{{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}}\
         td.hash{{font-family:monospace;font-size:.8em}}</style></head><body>\n\
         <h1>File of {client}</h1>\n\
         <p>Every document listed here is in the folder <code>documents/</code> beside this index, \
         with its SHA-256 (also in <code>MANIFEST.txt</code>, which is signed). \
         The same lists are in <code>INDEX.csv</code>, <code>PARTIES.csv</code> and <code>TIMELINE.csv</code>.</p>\n",
        client = h(client)
    );
    for m in matter_list {
        let s = &m.summary;
        out.push_str(&format!(
            "<h2>{} — {}</h2>\n<p>Practice area: {} · Responsible lawyer: {} · Opened {}{} · Status: {}</p>\n",
            h(&s.number),
            h(&s.title),
            h(&s.practice_area),
            h(&s.responsible_lawyer),
            s.opened_on,
            s.closed_on
                .map(|c| format!(" · Closed {c}"))
                .unwrap_or_default(),
            s.status.as_str(),
        ));
        if !m.notes.trim().is_empty() {
            out.push_str(&format!("<p>Notes: {}</p>\n", h(&m.notes)));
        }
        out.push_str("<h3>Documents</h3>\n<table><tr><th>Title</th><th>File</th><th>Date added</th><th>Version</th><th>Tags</th><th>Notes</th><th>Bytes</th><th>SHA-256</th></tr>\n");
        for r in rows.iter().filter(|r| r.matter.summary.id == s.id) {
            let path = format!("{}/{}", matterbox_share::DOCUMENTS_DIR, r.name);
            out.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>\n",
                h(&r.document.title),
                href(&path),
                h(&r.name),
                h(&r.document.created_at),
                r.version.version,
                if r.version.version == r.document.versions { " (current)" } else { "" },
                h(&r.document.tags.join(", ")),
                h(&r.document.notes),
                r.version.size,
                h(&r.version.sha256),
            ));
        }
        out.push_str("</table>\n<h3>Parties</h3>\n");
        if m.parties.is_empty() {
            out.push_str("<p>None recorded.</p>\n");
        } else {
            out.push_str("<table><tr><th>Name</th><th>Role</th><th>Side</th></tr>\n");
            for p in &m.parties {
                out.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    h(&p.name),
                    h(&p.role),
                    p.side.as_str()
                ));
            }
            out.push_str("</table>\n");
        }
        out.push_str(
            "<h3>Timeline</h3>\n<table><tr><th>Date</th><th>Event</th><th>Description</th></tr>\n",
        );
        for e in &m.timeline {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                e.occurred_on,
                h(&e.kind),
                h(&e.description)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_get_distinct_names() {
        assert_eq!(versioned_name("a.pdf", 2), "a (version 2).pdf");
        assert_eq!(versioned_name("noext", 1), "noext (version 1)");
        assert_eq!(versioned_name(".pdf", 1), ".pdf (version 1)");
    }

    #[test]
    fn hrefs_cannot_break_out() {
        assert_eq!(
            href("documents/a \"b\" <c>.pdf"),
            "documents/a%20%22b%22%20%3Cc%3E.pdf"
        );
        assert_eq!(href("documents/Müller.pdf"), "documents/M%C3%BCller.pdf");
    }

    #[test]
    fn csv_lines_end_with_crlf_and_escape_formulas() {
        assert_eq!(csv_line(&["a", "=1+1", "x,y"]), "a,\"'=1+1\",\"x,y\"\r\n");
    }
}
