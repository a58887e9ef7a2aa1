//! `matterbox share return`: the client's file (Model Rule 1.16(d)) — a
//! whole matter, or every matter of a client — as one package with its
//! index, parties and timeline, recorded as a share and as a return.

use std::path::PathBuf;

use clap::Args;
use matterbox_core::Session;
use matterbox_core::domain::shares::{KeyHolder, ShareFormat};
use matterbox_core::returns::{ReturnCreated, ReturnOf, ReturnRequest};
use matterbox_core::shares::{DEFAULT_WORDS, ShareProtection};

use super::share::{FormatArg, created_text};
use crate::failure::Failure;

#[derive(Args)]
pub(crate) struct ReturnArgs {
    /// The matter to return (its number).
    #[arg(
        long,
        value_name = "NUMBER",
        group = "whose",
        required_unless_present = "client"
    )]
    matter: Option<String>,
    /// Return every matter of this client (its id).
    #[arg(long, value_name = "ID", group = "whose")]
    client: Option<i64>,
    /// Every version of each document, not only the current one
    /// (named `name (version N).ext`).
    #[arg(long)]
    all_versions: bool,
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
}

impl ReturnArgs {
    pub(crate) fn request(self, s: &Session) -> Result<(ReturnRequest, PathBuf), Failure> {
        let of = match (self.matter, self.client) {
            (Some(number), _) => ReturnOf::Matter(s.matter_id(&number)?),
            (None, c) => ReturnOf::Client(c.unwrap_or_default()),
        };
        let protection = if let Some(key) = self.recipient {
            ShareProtection::AgeKey { key }
        } else if let Some(c) = self.recipient_client {
            ShareProtection::KeptKey {
                holder: KeyHolder::Client(c),
            }
        } else if let Some(p) = self.recipient_party {
            ShareProtection::KeptKey {
                holder: KeyHolder::Party(p),
            }
        } else if self.random {
            ShareProtection::Random
        } else {
            ShareProtection::Words {
                words: self.words.unwrap_or(DEFAULT_WORDS),
            }
        };
        let request = ReturnRequest {
            of,
            all_versions: self.all_versions,
            format: match self.format {
                FormatArg::Age => ShareFormat::Age,
                FormatArg::Zip => ShareFormat::Zip,
            },
            protection,
            hide_names: self.hide_names,
            recipient: self.for_whom,
            confirm_fingerprint: self.fingerprint,
        };
        Ok((request, self.to))
    }
}

pub(crate) fn returned_text(r: &ReturnCreated) -> String {
    format!(
        "Returned the file of {} matter(s) ({}{}), with INDEX.html, INDEX.csv, PARTIES.csv and TIMELINE.csv; recorded in each matter's timeline.\n{}",
        r.file_return.matter_ids.len(),
        match r.file_return.scope {
            matterbox_core::domain::returns::ReturnScope::Matter => "one matter",
            matterbox_core::domain::returns::ReturnScope::Client => "every matter of the client",
        },
        if r.file_return.all_versions {
            ", every version"
        } else {
            ", current versions"
        },
        created_text(&r.created)
    )
}
