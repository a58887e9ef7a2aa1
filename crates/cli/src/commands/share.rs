//! `matterbox share …`: packages of documents for a client, a colleague
//! or a court (age or AES-256 zip, with a signed manifest), the record of
//! what was shared, recipients' age keys, and the signing public key.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use matterbox_core::Session;
use matterbox_core::domain::shares::{KeyHolder, RecipientKey, Share, ShareFormat};
use matterbox_core::shares::{
    DEFAULT_WORDS, KeySaved, ShareCreated, ShareProtection, ShareRequest,
};

use crate::ctx::Ctx;
use crate::failure::{Failure, Outcome};
use crate::shown::shown;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// age: opens with `age -d` (passphrase or age key); the default.
    Age,
    /// Zip with AES-256: opens with 7-Zip and Windows tools. Names and
    /// sizes are readable without the password unless --hide-names.
    Zip,
}

/// Whose age key: a client or a matter's party.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct HolderArgs {
    #[arg(long, value_name = "ID")]
    client: Option<i64>,
    #[arg(long, value_name = "ID")]
    party: Option<i64>,
}

impl HolderArgs {
    fn holder(&self) -> KeyHolder {
        match (self.client, self.party) {
            (Some(c), _) => KeyHolder::Client(c),
            (None, p) => KeyHolder::Party(p.unwrap_or_default()),
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum ShareCmd {
    /// Write one package of documents (their current versions) into a
    /// folder, and record it. A generated passphrase is shown once: send
    /// it by another channel (phone, text message), never with the file.
    Create {
        /// Document ids, comma-separated (all of one client).
        #[arg(long, value_delimiter = ',', required = true, value_name = "IDS")]
        documents: Vec<i64>,
        /// Check that every document is in this matter (its number).
        #[arg(long, value_name = "NUMBER")]
        matter: Option<String>,
        #[arg(long, value_enum, default_value = "age")]
        format: FormatArg,
        /// A passphrase of this many words (5 to 24; the default is 8).
        #[arg(long, value_name = "N", group = "protection")]
        words: Option<usize>,
        /// A passphrase of 24 random letters and digits instead of words.
        #[arg(long, group = "protection")]
        random: bool,
        /// Encrypt to this age public key (age1…) instead of a passphrase.
        #[arg(long, value_name = "AGE1…", group = "protection")]
        recipient: Option<String>,
        /// Encrypt to the age key kept with this client.
        #[arg(long, value_name = "ID", group = "protection")]
        recipient_client: Option<i64>,
        /// Encrypt to the age key kept with this party.
        #[arg(long, value_name = "ID", group = "protection")]
        recipient_party: Option<i64>,
        /// The fingerprint the key's holder read back to you by phone
        /// (needed the first time a kept key is used).
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: Option<String>,
        /// Zip only: put the documents in an inner archive so their names
        /// and sizes are hidden too.
        #[arg(long)]
        hide_names: bool,
        /// Who it is for, for the record (default: the key holder or client).
        #[arg(long = "for", value_name = "WHO")]
        for_whom: Option<String>,
        /// The folder to write the package into.
        #[arg(long, value_name = "FOLDER")]
        to: PathBuf,
    },
    /// Write a court bundle: ONE UNENCRYPTED, text-searchable PDF of the
    /// documents (scans recognised, an index, bookmarks, page numbers) and
    /// its signature beside it, and record it. Needs
    /// --unencrypted-court-bundle.
    CourtBundle(crate::commands::share_bundle::CourtBundleArgs),
    /// Return a client's file (Model Rule 1.16(d)): every document of a
    /// matter (--matter) or of every matter of a client (--client), with
    /// an index (HTML, CSV), the parties and the timeline, in one package.
    /// Recorded as a share and in each matter's timeline.
    Return(super::share_return::ReturnArgs),
    /// Packages shared, newest first, of a matter or a client.
    List {
        #[arg(long, value_name = "NUMBER", conflicts_with = "client")]
        matter: Option<String>,
        #[arg(long, value_name = "ID")]
        client: Option<i64>,
    },
    /// One package: every document with its version and SHA-256.
    Show { id: i64 },
    /// The public key recipients check manifests with; publish it.
    SigningKey,
    /// Recipients' age public keys.
    #[command(subcommand)]
    Key(KeyCmd),
}

#[derive(Subcommand)]
pub(crate) enum KeyCmd {
    /// Keep an age public key with a client or party (replacing theirs,
    /// with a warning, if it differs).
    Set {
        #[command(flatten)]
        holder: HolderArgs,
        /// The age public key (age1…).
        key: String,
    },
    /// Record that the holder read back the key's fingerprint.
    Confirm {
        /// The key's id (from `share key list`).
        id: i64,
        #[arg(long, value_name = "FINGERPRINT")]
        fingerprint: String,
    },
    /// Every key a client or party has had, newest first.
    List {
        #[command(flatten)]
        holder: HolderArgs,
    },
}

fn share_line(s: &Share) -> String {
    format!(
        "{:>5}  {}  {} ({})  {} document(s)  for {}  {}\n",
        s.id,
        s.created_at,
        s.format.as_str(),
        s.protection.as_str(),
        s.documents.len(),
        shown(&s.recipient),
        shown(&s.file_path),
    )
}

fn share_text(s: &Share) -> String {
    let mut out = format!(
        "Share {}  package {}\nMade:      {} by {}\nFor:       {}\nFormat:    {} ({}){}\nFile:      {}\nPackage:   {} bytes, SHA-256 {}\n",
        s.id,
        s.package_id,
        s.created_at,
        shown(&s.created_by),
        shown(&s.recipient),
        s.format.as_str(),
        s.protection.as_str(),
        if s.hide_names { ", names hidden" } else { "" },
        shown(&s.file_path),
        s.package_size,
        s.package_sha256,
    );
    if let Some(k) = &s.recipient_key {
        out.push_str(&format!("Key:       {k}\n"));
    }
    out.push_str("Documents:\n");
    for d in &s.documents {
        out.push_str(&format!(
            "  document {} v{} (matter id {})  {} bytes  {}  {}\n",
            d.document_id,
            d.version,
            d.matter_id,
            d.size,
            d.sha256,
            shown(&d.name)
        ));
    }
    out
}

pub(crate) fn created_text(c: &ShareCreated) -> String {
    let mut out = format!(
        "Wrote {}\n({} document(s), {} bytes, SHA-256 {}); recorded as share {}.\n",
        shown(&c.share.file_path),
        c.share.documents.len(),
        c.share.package_size,
        c.share.package_sha256,
        c.share.id
    );
    if let Some(f) = &c.fingerprint {
        out.push_str(&format!("Encrypted to the age key with fingerprint {f}.\n"));
    }
    if c.names_visible {
        out.push_str(
            "Note: a zip shows its file names and sizes without the password (use --hide-names to hide them).\n",
        );
    }
    if let Some(p) = &c.passphrase {
        out.push_str(&format!(
            "\nPassphrase (shown once, not stored):\n\n    {p}\n\n\
             Send it by another channel than the file: tell it by phone, by text message or in person, never in the same e-mail.\n"
        ));
        let mut contact = Vec::new();
        if !c.contact.phone.is_empty() {
            contact.push(format!("phone {}", shown(&c.contact.phone)));
        }
        if !c.contact.email.is_empty() {
            contact.push(format!("e-mail {}", shown(&c.contact.email)));
        }
        if !contact.is_empty() {
            out.push_str(&format!(
                "On file for {}: {}.\n",
                shown(&c.contact.name),
                contact.join(", ")
            ));
        }
    }
    out
}

fn key_text(k: &RecipientKey) -> String {
    let holder = match k.holder {
        KeyHolder::Client(id) => format!("client {id}"),
        KeyHolder::Party(id) => format!("party {id}"),
    };
    let state = match (&k.replaced_at, &k.confirmed_at) {
        (Some(at), _) => format!("replaced {at}"),
        (None, Some(at)) => format!("confirmed {at}"),
        (None, None) => "not confirmed yet".into(),
    };
    format!(
        "{:>5}  {}  {}  fingerprint {}  {}\n",
        k.id, holder, k.public_key, k.fingerprint, state
    )
}

fn saved_text(s: &KeySaved) -> String {
    let mut out = String::new();
    if let Some(old) = &s.replaced {
        out.push_str(&format!(
            "WARNING: this replaces a different key (fingerprint {}). A changed key can mean someone is trying to intercept documents: confirm the change with its holder by phone before using it.\n",
            old.fingerprint
        ));
    }
    out.push_str(&key_text(&s.key));
    if s.key.confirmed_at.is_none() {
        out.push_str(&format!(
            "Call its holder and have them read out its fingerprint; it must be {}. Then run `matterbox share key confirm {} --fingerprint …`.\n",
            s.key.fingerprint, s.key.id
        ));
    }
    out
}

/// How the signing public key reads, with what to do with it.
pub(crate) fn signing_key_text(key: &str) -> String {
    format!(
        "{key}\n\nPublish this key (your website, letterhead): recipients check a package's manifest with\n    minisign -Vm MANIFEST.txt -P {key}\n"
    )
}

fn matter_id(s: &Session, number: Option<&str>) -> Result<Option<i64>, Failure> {
    number
        .map(|n| s.matter_id(n).map_err(Failure::from))
        .transpose()
}

pub(crate) fn share_cmd(ctx: &Ctx, cmd: ShareCmd) -> Outcome {
    ctx.with_session(|s| match cmd {
        ShareCmd::Create {
            documents,
            matter,
            format,
            words,
            random,
            recipient,
            recipient_client,
            recipient_party,
            fingerprint,
            hide_names,
            for_whom,
            to,
        } => {
            let protection = if let Some(key) = recipient {
                ShareProtection::AgeKey { key }
            } else if let Some(c) = recipient_client {
                ShareProtection::KeptKey { holder: KeyHolder::Client(c) }
            } else if let Some(p) = recipient_party {
                ShareProtection::KeptKey { holder: KeyHolder::Party(p) }
            } else if random {
                ShareProtection::Random
            } else {
                ShareProtection::Words { words: words.unwrap_or(DEFAULT_WORDS) }
            };
            let request = ShareRequest {
                document_ids: documents,
                matter_id: matter_id(s, matter.as_deref())?,
                format: match format {
                    FormatArg::Age => ShareFormat::Age,
                    FormatArg::Zip => ShareFormat::Zip,
                },
                protection,
                hide_names,
                recipient: for_whom,
                confirm_fingerprint: fingerprint,
            };
            let created = s.create_share(&request, &to)?;
            ctx.print(&created, created_text)
        }
        ShareCmd::CourtBundle(args) => crate::commands::share_bundle::court_bundle(ctx, s, args),
        ShareCmd::Return(args) => {
            let (request, to) = args.request(s)?;
            let returned = s.return_file(&request, &to, &matterbox_core::Watch::NONE)?;
            ctx.print(&returned, super::share_return::returned_text)
        }
        ShareCmd::List { matter, client } => {
            let list = s.shares(matter_id(s, matter.as_deref())?, client)?;
            ctx.print(&list, |l| {
                if l.is_empty() {
                    return "Nothing shared yet.\n".into();
                }
                l.iter().map(share_line).collect()
            })
        }
        ShareCmd::Show { id } => {
            let share = s.share(id)?;
            ctx.print(&share, share_text)
        }
        ShareCmd::SigningKey => {
            let key = s.signing_public_key()?;
            ctx.print(&serde_json::json!({ "publicKey": key }), |_| {
                signing_key_text(&key)
            })
        }
        ShareCmd::Key(KeyCmd::Set { holder, key }) => {
            let saved = s.set_recipient_key(holder.holder(), &key)?;
            if let Some(old) = &saved.replaced {
                eprintln!(
                    "matterbox: warning: the key kept for this recipient changed (was fingerprint {}, now {}).",
                    old.fingerprint, saved.key.fingerprint
                );
            }
            ctx.print(&saved, saved_text)
        }
        ShareCmd::Key(KeyCmd::Confirm { id, fingerprint }) => {
            let key = s.confirm_recipient_key(id, &fingerprint)?;
            ctx.print(&key, key_text)
        }
        ShareCmd::Key(KeyCmd::List { holder }) => {
            let keys = s.recipient_keys(holder.holder())?;
            ctx.print(&keys, |l| {
                if l.is_empty() {
                    return "No age key kept.\n".into();
                }
                l.iter().map(key_text).collect()
            })
        }
    })
}
