//! Secure sharing (#18 §1–2): the core API over `matterbox_share` (the
//! package writer) and `matterbox_domain::shares` (the record), used by
//! the CLI and the app.
//!
//! A package is written through [`crate::partial`]: invisible until it is
//! complete and synced, linked into place under a name that must not
//! exist, readable by the user alone (0600). Its record (document ids,
//! versions and SHA-256, recipient, format, who and when, the package's
//! SHA-256) lands in the same transaction as its audit entry, once the
//! file is in place; if that fails the file is removed again.
//!
//! **The passphrase is returned once and never stored or logged.** Audit
//! entries carry ids, kinds and counts, never a name or a path.

use std::io::Write;
use std::path::Path;

use matterbox_domain::shares::{
    self as db, KeyHolder, NewShare, Protection, RecipientKey, Share, ShareFilter, ShareFormat,
    SharedDocument,
};
use matterbox_domain::{clients, documents, matters};
use matterbox_share::{Entry, Format, Passphrase, PassphraseKind, Signer};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::cancel::{Counted, Progress, Watch};
use crate::{CoreError, Result, Session};

/// The most documents in one package.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Words in a generated passphrase unless the user asks for another count.
pub const DEFAULT_WORDS: usize = 8;

/// How a package is protected, as the user chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ShareProtection {
    /// A passphrase of `words` words (5 to 24) from the BIP-39 list.
    Words { words: usize },
    /// A random string of 24 letters and digits.
    Random,
    /// An age public key given for this package only.
    AgeKey { key: String },
    /// The age key kept with a client or a party.
    KeptKey { holder: KeyHolder },
}

/// What to put in a package (the folder is chosen apart: the app asks
/// with the system's folder picker).
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShareRequest {
    pub document_ids: Vec<i64>,
    /// When given, every document must be in this matter.
    pub matter_id: Option<i64>,
    pub format: ShareFormat,
    pub protection: ShareProtection,
    /// Zip only: the documents go into an inner archive, so their names
    /// and sizes are not readable without the password.
    pub hide_names: bool,
    /// Who it is for; defaults to the key holder's or the client's name.
    pub recipient: Option<String>,
    /// The fingerprint the recipient read back, confirming a kept key on
    /// its first use.
    pub confirm_fingerprint: Option<String>,
}

/// Where to send the passphrase: the client's contact details on file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A package that was written and recorded. Its `Debug` leaves the
/// passphrase out.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShareCreated {
    pub share: Share,
    /// The generated passphrase: shown once, never stored.
    pub passphrase: Option<String>,
    /// The fingerprint of the age key it was encrypted to.
    pub fingerprint: Option<String>,
    /// Zip without hidden names: names and sizes are readable.
    pub names_visible: bool,
    pub contact: Contact,
}

impl std::fmt::Debug for ShareCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareCreated")
            .field("share", &self.share.id)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "[redacted]"),
            )
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// The result of keeping a recipient's key.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeySaved {
    pub key: RecipientKey,
    /// The key it replaced: a changed key, which the user is warned about.
    pub replaced: Option<RecipientKey>,
}

/// A document version going into a package, under its name there.
pub(crate) struct Packed {
    pub matter_id: i64,
    /// The version's recorded size.
    pub size: i64,
    pub name: String,
    pub key: documents::VersionKey,
}

/// What a package holds: documents of one client, and small files made
/// from the vault's records (a return's index).
pub(crate) struct Contents {
    pub client_id: i64,
    pub documents: Vec<Packed>,
    pub extras: Vec<matterbox_share::Extra>,
}

fn share_object(id: i64) -> String {
    format!("share:{id}")
}

fn holder_object(holder: KeyHolder) -> String {
    match holder {
        KeyHolder::Client(id) => format!("client:{id}"),
        KeyHolder::Party(id) => format!("party:{id}"),
    }
}

/// Fingerprints compare without regard to case, spaces or hyphens.
fn same_fingerprint(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    !norm(a).is_empty() && norm(a) == norm(b)
}

/// The chosen protection, resolved.
struct Resolved {
    format: Format,
    protection: Protection,
    key: Option<(String, String, Option<RecipientKey>)>,
}

impl Session {
    /// The vault's signing key, made (and audited) the first time.
    pub(crate) fn signer(&mut self) -> Result<Signer> {
        if let Some((secret, _)) = db::signing_key(&self.conn)? {
            let secret = zeroize::Zeroizing::new(secret);
            return Signer::from_secret_bytes(&secret)
                .map_err(|_| CoreError::Internal("the vault's signing key does not load"));
        }
        let signer =
            Signer::generate().map_err(|_| CoreError::Internal("no signing key could be made"))?;
        let public = signer.public_key_text();
        self.write(|tx, rec| {
            db::save_signing_key(tx, &signer.secret_bytes(), &public)?;
            rec.record("signing_key_created", "signing_key", json!({}))
        })?;
        Ok(signer)
    }

    /// The public key recipients check package manifests with (minisign's
    /// `RW…` form), to publish; made the first time it is asked for.
    pub fn signing_public_key(&mut self) -> Result<String> {
        Ok(self.signer()?.public_key_text())
    }

    /// Keeps an age public key with a client or a party. A different key
    /// than the one kept replaces it and is returned in `replaced`, so the
    /// user is warned; either way it must be confirmed before its first use.
    pub fn set_recipient_key(&mut self, holder: KeyHolder, key: &str) -> Result<KeySaved> {
        let recipient =
            matterbox_share::parse_recipient(key).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let text = recipient.to_string();
        let fingerprint = matterbox_share::recipient_fingerprint(&recipient);
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let before = db::current_key(tx, holder)?.map(|k| k.id);
            let (key, replaced) = db::set_key(tx, holder, &text, &fingerprint, &actor)?;
            if before != Some(key.id) {
                rec.record(
                    if replaced.is_some() {
                        "recipient_key_replaced"
                    } else {
                        "recipient_key_added"
                    },
                    &holder_object(holder),
                    json!({
                        "key": format!("recipient_key:{}", key.id),
                        "replaced": replaced.as_ref().map(|r| format!("recipient_key:{}", r.id)),
                    }),
                )?;
            }
            Ok(KeySaved { key, replaced })
        })
    }

    /// Records that the holder read the key's fingerprint back (by phone);
    /// `fingerprint` must be the key's.
    pub fn confirm_recipient_key(&mut self, id: i64, fingerprint: &str) -> Result<RecipientKey> {
        let key = db::key(&self.conn, id)?;
        if !same_fingerprint(&key.fingerprint, fingerprint) {
            return Err(CoreError::Invalid(format!(
                "That is not this key's fingerprint ({}). Do not use the key until its holder reads back the same fingerprint.",
                key.fingerprint
            )));
        }
        let actor = self.actor.clone();
        self.write(|tx, rec| {
            let k = db::confirm_key(tx, id, &actor)?;
            rec.record(
                "recipient_key_confirmed",
                &format!("recipient_key:{id}"),
                json!({}),
            )?;
            Ok(k)
        })
    }

    /// Every key a client or party has had, newest first.
    pub fn recipient_keys(&self, holder: KeyHolder) -> Result<Vec<RecipientKey>> {
        Ok(db::keys(&self.conn, holder)?)
    }

    /// Shares, newest first, of a matter or a client (or all).
    pub fn shares(&self, matter_id: Option<i64>, client_id: Option<i64>) -> Result<Vec<Share>> {
        Ok(db::list(
            &self.conn,
            ShareFilter {
                matter_id,
                client_id,
            },
        )?)
    }

    pub fn share(&self, id: i64) -> Result<Share> {
        Ok(db::get(&self.conn, id)?)
    }

    fn resolve_protection(&self, req: &ShareRequest, client_id: i64) -> Result<Resolved> {
        let passphrase = |kind| {
            Passphrase::generate(kind).map_err(|e| match e {
                matterbox_share::ShareError::Invalid(m) => CoreError::Invalid(m),
                _ => CoreError::Internal("no passphrase could be generated"),
            })
        };
        let age_key = |text: &str, kept: Option<RecipientKey>| -> Result<Resolved> {
            if req.format != ShareFormat::Age {
                return Err(CoreError::Invalid(
                    "A zip package is protected by a passphrase; an age key needs the age format."
                        .into(),
                ));
            }
            let r = matterbox_share::parse_recipient(text)
                .map_err(|e| CoreError::Invalid(e.to_string()))?;
            let fingerprint = matterbox_share::recipient_fingerprint(&r);
            let key_text = r.to_string();
            Ok(Resolved {
                format: Format::AgeRecipient(r),
                protection: Protection::AgeKey,
                key: Some((key_text, fingerprint, kept)),
            })
        };
        let with_passphrase = |p: Passphrase, protection| {
            let format = match req.format {
                ShareFormat::Pdf => return Err(court_bundle_elsewhere()),
                ShareFormat::Age => Format::AgePassphrase(p),
                ShareFormat::Zip => Format::Zip {
                    password: p,
                    hide_names: req.hide_names,
                },
            };
            Ok(Resolved {
                format,
                protection,
                key: None,
            })
        };
        match &req.protection {
            ShareProtection::Words { words } => with_passphrase(
                passphrase(PassphraseKind::Words(*words))?,
                Protection::PassphraseWords,
            ),
            ShareProtection::Random => with_passphrase(
                passphrase(PassphraseKind::Random)?,
                Protection::PassphraseRandom,
            ),
            ShareProtection::AgeKey { key } => age_key(key, None),
            ShareProtection::KeptKey { holder } => {
                if let KeyHolder::Client(c) = holder
                    && *c != client_id
                {
                    return Err(CoreError::Invalid(
                        "The documents belong to another client than the key's holder.".into(),
                    ));
                }
                let Some(kept) = db::current_key(&self.conn, *holder)? else {
                    return Err(CoreError::NotFound(
                        "No age key is kept for that recipient; add one first.".into(),
                    ));
                };
                if kept.confirmed_at.is_none()
                    && !req
                        .confirm_fingerprint
                        .as_deref()
                        .is_some_and(|f| same_fingerprint(f, &kept.fingerprint))
                {
                    return Err(CoreError::NeedsConfirmation(format!(
                        "This key is used for the first time. Call the recipient and have them read out their key's fingerprint; it must be {}. Then confirm it (--fingerprint).",
                        kept.fingerprint
                    )));
                }
                let text = kept.public_key.clone();
                age_key(&text, Some(kept))
            }
        }
    }

    /// The documents to put in a package or a court bundle (`what`): each
    /// once, in the order given, at most `max`, none in the trash, all in
    /// `matter` when one is named and all of one client; with their
    /// current versions and that client.
    pub(crate) fn chosen_documents(
        &self,
        document_ids: &[i64],
        matter: Option<i64>,
        max: usize,
        what: &str,
    ) -> Result<(
        i64,
        Vec<(documents::DocumentSummary, documents::VersionKey)>,
    )> {
        let mut ids = document_ids.to_vec();
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        if ids.is_empty() {
            return Err(CoreError::Invalid(format!(
                "Choose at least one document for the {what}."
            )));
        }
        if ids.len() > max {
            return Err(CoreError::Invalid(format!(
                "A {what} holds at most {max} documents."
            )));
        }
        let mut client_id = None;
        let mut chosen = Vec::with_capacity(ids.len());
        for id in &ids {
            let d = documents::get(&self.conn, *id)?;
            if d.trashed_at.is_some() {
                return Err(CoreError::Invalid(format!(
                    "\u{201c}{}\u{201d} is in the trash; restore it to share it.",
                    d.title
                )));
            }
            if matter.is_some_and(|m| m != d.matter_id) {
                return Err(CoreError::Invalid(format!(
                    "\u{201c}{}\u{201d} is not in the chosen matter.",
                    d.title
                )));
            }
            let summary = matters::get(&self.conn, d.matter_id)?.summary;
            match client_id {
                None => client_id = Some(summary.client_id),
                Some(c) if c != summary.client_id => {
                    return Err(CoreError::Invalid(format!(
                        "A {what} holds the documents of one client only."
                    )));
                }
                Some(_) => {}
            }
            let v = documents::version_key(&self.conn, *id, None)?;
            chosen.push((d, v));
        }
        Ok((client_id.unwrap_or_default(), chosen))
    }

    /// Writes a package of the current versions of `req.document_ids`
    /// into `folder` and records it. See the module documentation.
    pub fn create_share(&mut self, req: &ShareRequest, folder: &Path) -> Result<ShareCreated> {
        self.create_share_watched(req, folder, &Watch::NONE)?
            .ok_or(CoreError::Cancelled)
    }

    /// [`Session::create_share`], telling `watch` which document of how
    /// many is written and the bytes of all of them written so far, and
    /// stopping within a chunk when it says so: `None` when stopped, with
    /// no package file and no share recorded.
    pub fn create_share_watched(
        &mut self,
        req: &ShareRequest,
        folder: &Path,
        watch: &Watch<'_>,
    ) -> Result<Option<ShareCreated>> {
        self.cancel.check()?;
        if req.format == ShareFormat::Pdf {
            return Err(court_bundle_elsewhere());
        }
        let (client_id, chosen) =
            self.chosen_documents(&req.document_ids, req.matter_id, MAX_DOCUMENTS, "package")?;
        let names = matterbox_share::package_names(
            &chosen
                .iter()
                .map(|(d, _)| crate::document_ops::safe_file_name(&d.original_name, &d.title))
                .collect::<Vec<_>>(),
        );
        let contents = Contents {
            client_id,
            documents: chosen
                .into_iter()
                .zip(names)
                .map(|((d, key), name)| Packed {
                    matter_id: d.matter_id,
                    size: d.size,
                    name,
                    key,
                })
                .collect(),
            extras: Vec::new(),
        };
        let created = self.package(req, folder, &contents, watch, |_, _, _| Ok(()));
        self.unless_stopped(created, watch)
    }

    /// Writes `contents` as a package into `folder`, protected as `req`
    /// says, and records it as a share; `also` adds to the share's record
    /// in the same transaction (a return marks itself there).
    pub(crate) fn package(
        &mut self,
        req: &ShareRequest,
        folder: &Path,
        contents: &Contents,
        watch: &Watch<'_>,
        also: impl FnOnce(&rusqlite::Connection, &crate::Recorder<'_>, i64) -> Result<()>,
    ) -> Result<ShareCreated> {
        let client_id = contents.client_id;
        let client = clients::get(&self.conn, client_id)?;
        let resolved = self.resolve_protection(req, client_id)?;
        let recipient = match (&req.recipient, &resolved.key) {
            (Some(r), _) if !r.trim().is_empty() => db::recipient_text(r)?,
            (_, Some((_, _, Some(kept)))) => match kept.holder {
                KeyHolder::Client(_) => client.name.clone(),
                KeyHolder::Party(p) => party_name(&self.conn, p)?,
            },
            _ => client.name.clone(),
        };
        if !folder.is_dir() {
            return Err(CoreError::Invalid(format!(
                "{} is not a folder.",
                folder.display()
            )));
        }
        let signer = self.signer()?;
        let package_id = uuid::Uuid::new_v4().simple().to_string();
        let created_at = chrono::Utc::now();
        let file_name = format!(
            "share-{}-{}.{}",
            created_at.format("%Y%m%d"),
            &package_id[..8],
            resolved.format.extension()
        );
        let destination = folder.join(file_name);
        if destination.symlink_metadata().is_ok() {
            return Err(CoreError::Exists(destination));
        }
        let entries: Vec<Entry> = contents
            .documents
            .iter()
            .map(|d| Entry {
                name: d.name.clone(),
                size: u64::try_from(d.size).unwrap_or_default(),
            })
            .collect();
        // Each document once, though a return may hold several versions.
        let mut seen = std::collections::HashSet::new();
        let doc_ids: Vec<String> = contents
            .documents
            .iter()
            .filter(|d| seen.insert(d.key.document_id))
            .map(|d| format!("document:{}", d.key.document_id))
            .collect();
        // Recorded before the first byte is written, so even a crash
        // leaves a trace; a failure is recorded too.
        self.write(|_, rec| {
            rec.record(
                "share_started",
                &format!("client:{client_id}"),
                json!({ "documents": doc_ids, "format": req.format.as_str(), "package": package_id }),
            )
        })?;
        let written = self.write_package(
            &destination,
            &resolved.format,
            &package_id,
            &created_at,
            &entries,
            contents,
            &signer,
            watch,
        );
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                let code = e.code();
                let _ = self.write(|_, rec| {
                    rec.record(
                        "share_failed",
                        &format!("client:{client_id}"),
                        json!({ "package": package_id, "error": code }),
                    )
                });
                return Err(e);
            }
        };
        let shared: Vec<SharedDocument> = contents
            .documents
            .iter()
            .zip(&written.manifest.files)
            .map(|(d, f)| SharedDocument {
                document_id: d.key.document_id,
                version: d.key.version,
                matter_id: d.matter_id,
                name: d.name.clone(),
                size: i64::try_from(f.size).unwrap_or(i64::MAX),
                sha256: f.sha256.clone(),
            })
            .collect();
        let package_sha256 = hex::encode(written.package_sha256);
        let path_text = destination.to_string_lossy().into_owned();
        let (key_text, fingerprint, kept) = match &resolved.key {
            Some((k, f, kept)) => (Some(k.as_str()), Some(f.clone()), kept.clone()),
            None => (None, None, None),
        };
        let actor = self.actor.clone();
        let matters_count = shared
            .iter()
            .map(|d| d.matter_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let recorded = self.write(|tx, rec| {
            if let Some(k) = &kept
                && k.confirmed_at.is_none()
            {
                db::confirm_key(tx, k.id, &actor)?;
                rec.record(
                    "recipient_key_confirmed",
                    &format!("recipient_key:{}", k.id),
                    json!({}),
                )?;
            }
            let id = db::record(
                tx,
                &NewShare {
                    package_id: &package_id,
                    client_id,
                    format: req.format,
                    protection: resolved.protection,
                    hide_names: req.hide_names && req.format == ShareFormat::Zip,
                    recipient: &recipient,
                    recipient_key_id: kept.as_ref().map(|k| k.id),
                    recipient_key: key_text,
                    file_path: &path_text,
                    package_sha256: &package_sha256,
                    package_size: written.package_size,
                    created_at: &created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    documents: &shared,
                },
                &actor,
            )?;
            rec.record(
                "share_created",
                &share_object(id),
                json!({
                    "client": format!("client:{client_id}"),
                    "documents": doc_ids,
                    "matters": matters_count,
                    "format": req.format.as_str(),
                    "protection": resolved.protection.as_str(),
                    "recipient_key": kept.as_ref().map(|k| format!("recipient_key:{}", k.id)),
                    "package": package_id,
                }),
            )?;
            also(tx, rec, id)?;
            Ok(db::get(tx, id)?)
        });
        let share = match recorded {
            Ok(s) => s,
            Err(e) => {
                // Nothing leaves the vault unrecorded: the package goes.
                let _ = std::fs::remove_file(&destination);
                return Err(e);
            }
        };
        let passphrase = match &resolved.format {
            Format::AgePassphrase(p) | Format::Zip { password: p, .. } => {
                Some(p.expose().to_owned())
            }
            Format::AgeRecipient(_) => None,
        };
        Ok(ShareCreated {
            share,
            passphrase,
            fingerprint,
            names_visible: req.format == ShareFormat::Zip && !req.hide_names,
            contact: Contact {
                name: client.name,
                email: client.email,
                phone: client.phone,
            },
        })
    }

    /// The package file itself; see [`Session::create_share`].
    #[allow(clippy::too_many_arguments)]
    fn write_package(
        &self,
        destination: &Path,
        format: &Format,
        package_id: &str,
        created_at: &chrono::DateTime<chrono::Utc>,
        entries: &[Entry],
        contents: &Contents,
        signer: &Signer,
        watch: &Watch<'_>,
    ) -> Result<matterbox_share::Written> {
        let records = matterbox_vault::paths::interrupted_exports_dir().ok();
        let cannot = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CoreError::Exists(destination.to_path_buf())
            } else {
                CoreError::user_file("write", destination)(e)
            }
        };
        let mut partial =
            crate::partial::Partial::create(destination, records.as_deref()).map_err(cannot)?;
        let info = matterbox_share::PackageInfo {
            package_id: package_id.to_owned(),
            from: self.vault.header().name.clone(),
            created_at: created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let blobs = self.blobs();
        // The first error of a document, kept to return it as it was (the
        // package writer sees only an I/O error).
        let mut failed: Option<CoreError> = None;
        let written = {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, partial.file());
            // Long packages: how far the writing is (bytes of documents
            // written, of the total) and the user's Cancel, checked between
            // chunks. A cancelled package leaves no file.
            let mut progress = Progress {
                items: contents.documents.len() as u64,
                total: entries.iter().map(|e| e.size).sum(),
                ..Default::default()
            };
            let written = matterbox_share::write_package_with(
                &mut out,
                format,
                &info,
                entries,
                &contents.extras,
                signer,
                &mut |i, sink| {
                    let v = &contents.documents[i].key;
                    progress.item = i as u64 + 1;
                    progress.name.clone_from(&contents.documents[i].name);
                    let mut watched = Counted::new(sink, progress.clone(), watch);
                    let done = self.version_key(v).and_then(|key| {
                        crate::document_ops::decrypt_with(
                            &blobs,
                            &key,
                            v,
                            &mut watched,
                            &self.cancel,
                        )
                    });
                    progress.bytes = watched.progress.bytes;
                    #[cfg(feature = "test-support")]
                    danger_test_stall(i);
                    done.map_err(|e| {
                        let io = std::io::Error::other(e.to_string());
                        failed = Some(e);
                        io
                    })
                },
            );
            match written {
                Ok(w) => out.flush().map(|()| w).map_err(cannot),
                Err(_) if watch.stopped() => Err(CoreError::Cancelled),
                Err(e) => Err(match failed.take() {
                    Some(doc) => doc,
                    None => match e {
                        matterbox_share::ShareError::Io(io) => cannot(io),
                        matterbox_share::ShareError::Invalid(m) => CoreError::Invalid(m),
                        matterbox_share::ShareError::SizeMismatch { .. } => CoreError::Internal(
                            "a document's content differs from its recorded size",
                        ),
                        _ => CoreError::Internal("the package could not be written"),
                    },
                }),
            }
        }?;
        partial.finish(destination).map_err(cannot)?;
        Ok(written)
    }
}

/// A court bundle is made by [`Session::create_court_bundle`], which asks
/// for its own confirmation.
fn court_bundle_elsewhere() -> CoreError {
    CoreError::Invalid(
        "A court bundle is made with its own command, which asks to confirm an unencrypted file."
            .into(),
    )
}

fn party_name(conn: &rusqlite::Connection, id: i64) -> Result<String> {
    Ok(
        conn.query_row("SELECT name FROM matter_parties WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
    )
}

/// Test support: when `MATTERBOX_DANGER_TEST_SHARE_STALL` is set, the
/// writer stops for good after the first document (saying so on stderr),
/// so the tests can kill it mid-package. Release builds have no trigger.
#[cfg(feature = "test-support")]
fn danger_test_stall(written: usize) {
    if written == 0 && std::env::var_os("MATTERBOX_DANGER_TEST_SHARE_STALL").is_some() {
        eprintln!("matterbox: test: share writer stalled");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_fingerprint;

    #[test]
    fn fingerprints_compare_loosely_but_never_empty() {
        assert!(same_fingerprint(
            "ABCD-1234-EF00-9999",
            "abcd 1234 ef00 9999"
        ));
        assert!(!same_fingerprint(
            "ABCD-1234-EF00-9999",
            "ABCD-1234-EF00-9998"
        ));
        assert!(!same_fingerprint("", "--"));
    }
}
