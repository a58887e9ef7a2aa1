//! Share packages: one file a client, a colleague or a court opens with
//! free, standard tools, holding chosen documents and a signed manifest.
//!
//! - **age** ([`Format::Age`]): a zip inside an age file, encrypted to a
//!   passphrase (age's scrypt recipient) or to the recipient's X25519 key
//!   (`age1…`). Opens with `age -d`; the zip inside with any unzip tool.
//! - **zip** ([`Format::Zip`]): a zip whose entries are AES-256 encrypted
//!   (WinZip AE-2), which 7-Zip and Windows tools open. Names and sizes
//!   stay readable without the password; with `hide_names` the documents go
//!   into an inner zip, so only `documents.zip` and its size show.
//!
//! Every package holds `documents/…`, `MANIFEST.txt` and `MANIFEST.json`
//! (each file's name, size and SHA-256) and their minisign signatures
//! (`MANIFEST.txt.minisig`, `MANIFEST.json.minisig`) by the vault's
//! signing key ([`Signer`]).
//!
//! This crate never opens a vault and never touches a path: it writes to
//! the [`Write`] it is given, pulling each document's content through a
//! callback, one chunk at a time (**a document is never held whole in
//! memory**). Choosing where the file goes, making it private and putting
//! it in place without overwriting anything is the caller's job.

mod extra;
mod manifest;
mod passphrase;
mod signing;

use std::io::{self, Write};

use sha2::{Digest, Sha256};
use zip::ZipWriter;
use zip::write::{SimpleFileOptions, StreamWriter};

pub use extra::{Extra, csv_cell, html_text};
pub use manifest::{Manifest, ManifestFile, PackageInfo};
pub use passphrase::{MIN_WORDS, Passphrase, PassphraseKind};
pub use signing::{SignatureCheck, Signer, verify_signature};

/// Where the documents go inside a package.
pub const DOCUMENTS_DIR: &str = "documents";
/// The inner archive's name when names are hidden in a zip package.
pub const HIDDEN_ARCHIVE: &str = "documents.zip";

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The destination or a document source failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the zip archive could not be written: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the package could not be encrypted: {0}")]
    Encrypt(String),
    #[error("the manifest could not be signed: {0}")]
    Sign(String),
    /// The caller's input: no documents, a duplicate name, a bad key.
    #[error("{0}")]
    Invalid(String),
    /// A document's content came out different from its recorded size.
    #[error("a document was {got} bytes, but {expected} were expected")]
    SizeMismatch { expected: u64, got: u64 },
}

pub type Result<T> = std::result::Result<T, ShareError>;

/// How a package is protected.
pub enum Format {
    /// age to a passphrase (scrypt).
    AgePassphrase(Passphrase),
    /// age to the recipient's X25519 public key.
    AgeRecipient(age::x25519::Recipient),
    /// Zip with AES-256 entries; `hide_names` puts the documents in an
    /// inner zip so their names and sizes are not readable.
    Zip {
        password: Passphrase,
        hide_names: bool,
    },
}

impl Format {
    /// The extension a package of this format is named with.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::AgePassphrase(_) | Format::AgeRecipient(_) => "zip.age",
            Format::Zip { .. } => "zip",
        }
    }
}

/// Parses an age X25519 public key (`age1…`).
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient> {
    text.trim().parse().map_err(|_| {
        ShareError::Invalid(
            "That is not an age public key (it starts with \u{201c}age1\u{201d}).".into(),
        )
    })
}

/// A short fingerprint of an age public key, to read out over the phone:
/// the first 64 bits of its SHA-256, in four groups of four hex digits.
pub fn recipient_fingerprint(recipient: &age::x25519::Recipient) -> String {
    let digest = Sha256::digest(recipient.to_string().as_bytes());
    let hex = hex::encode(&digest[..8]).to_uppercase();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A document going into a package.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its name inside `documents/` (see [`package_names`]).
    pub name: String,
    /// Its size, as recorded; the content must match it.
    pub size: u64,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Written {
    pub manifest: Manifest,
    /// SHA-256 of the package file, as written.
    pub package_sha256: [u8; 32],
    pub package_size: u64,
}

/// Writes a package to `out`.
///
/// `fill(i, sink)` writes entry `i`'s content into `sink`; it is called
/// once per entry, in order. The package's SHA-256 is computed from the
/// bytes passed to `out`. On error, what reached `out` is garbage: the
/// caller throws it away.
pub fn write_package<W: Write>(
    out: W,
    format: &Format,
    info: &PackageInfo,
    entries: &[Entry],
    signer: &Signer,
    fill: &mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>,
) -> Result<Written> {
    write_package_with(out, format, info, entries, &[], signer, fill)
}

/// [`write_package`] with small files the caller made (an index, a list
/// of parties) at the package's root, after the documents, listed and
/// signed in the manifest like them.
pub fn write_package_with<W: Write>(
    out: W,
    format: &Format,
    info: &PackageInfo,
    entries: &[Entry],
    extras: &[Extra],
    signer: &Signer,
    fill: &mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>,
) -> Result<Written> {
    if entries.is_empty() {
        return Err(ShareError::Invalid(
            "A package needs at least one document.".into(),
        ));
    }
    extra::check(extras)?;
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        check_name(&e.name)?;
        if !seen.insert(e.name.to_lowercase()) {
            return Err(ShareError::Invalid(format!(
                "Two documents would have the same name in the package: {}",
                e.name
            )));
        }
    }
    let mut hashed = Hashing::new(out);
    let manifest = match format {
        Format::AgePassphrase(p) => {
            let encryptor = age::Encryptor::with_user_passphrase(p.to_secret());
            write_age(encryptor, &mut hashed, info, entries, extras, signer, fill)?
        }
        Format::AgeRecipient(r) => {
            let encryptor =
                age::Encryptor::with_recipients(std::iter::once(r as &dyn age::Recipient))
                    .map_err(|e| ShareError::Encrypt(e.to_string()))?;
            write_age(encryptor, &mut hashed, info, entries, extras, signer, fill)?
        }
        Format::Zip {
            password,
            hide_names,
        } => {
            let options = SimpleFileOptions::default()
                .with_aes_encryption(zip::AesMode::Aes256, password.expose())
                .unix_permissions(0o600);
            let mut zip = ZipWriter::new_stream(&mut hashed);
            let manifest = if *hide_names {
                let inner_options = options
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(true);
                zip.start_file(HIDDEN_ARCHIVE, inner_options)?;
                let mut inner = ZipWriter::new_stream(&mut zip);
                let manifest = write_contents(
                    &mut inner,
                    plain_options(),
                    info,
                    entries,
                    extras,
                    signer,
                    fill,
                )?;
                inner.finish()?;
                manifest
            } else {
                write_contents(&mut zip, options, info, entries, extras, signer, fill)?
            };
            zip.finish()?.into_inner().flush()?;
            manifest
        }
    };
    let (package_sha256, package_size) = hashed.finish();
    Ok(Written {
        manifest,
        package_sha256,
        package_size,
    })
}

fn plain_options() -> SimpleFileOptions {
    SimpleFileOptions::default().unix_permissions(0o600)
}

/// How an entry is stored: documents that are already compressed (PDFs,
/// scans, photos, Office files — nearly everything a matter holds) are
/// stored as they are, since deflating them costs most of the packaging
/// time and saves nothing; plain text, and the manifest, is deflated.
fn compression_of(name: &str) -> (zip::CompressionMethod, Option<i64>) {
    const TEXT: [&str; 12] = [
        "txt", "csv", "tsv", "html", "htm", "xml", "json", "md", "rtf", "eml", "log", "minisig",
    ];
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if TEXT.contains(&ext.as_str()) {
        (zip::CompressionMethod::Deflated, Some(1))
    } else {
        (zip::CompressionMethod::Stored, None)
    }
}

fn with_compression<'k, 'a>(
    options: zip::write::FileOptions<'k, 'a, ()>,
    name: &str,
) -> zip::write::FileOptions<'k, 'a, ()> {
    let (method, level) = compression_of(name);
    options.compression_method(method).compression_level(level)
}

fn write_age<W: Write>(
    encryptor: age::Encryptor,
    out: &mut W,
    info: &PackageInfo,
    entries: &[Entry],
    extras: &[Extra],
    signer: &Signer,
    fill: &mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>,
) -> Result<Manifest> {
    let stream = encryptor.wrap_output(out)?;
    let mut zip = ZipWriter::new_stream(stream);
    let manifest = write_contents(
        &mut zip,
        plain_options(),
        info,
        entries,
        extras,
        signer,
        fill,
    )?;
    let stream: StreamWriter<_> = zip.finish()?;
    // Finishing the age stream writes its last chunk; without it the file
    // is truncated and age refuses it.
    stream.into_inner().finish()?;
    Ok(manifest)
}

/// The documents, then the manifest and its signatures, into one zip.
fn write_contents<W: Write + io::Seek>(
    zip: &mut ZipWriter<W>,
    options: zip::write::FileOptions<'_, '_, ()>,
    info: &PackageInfo,
    entries: &[Entry],
    extras: &[Extra],
    signer: &Signer,
    fill: &mut dyn FnMut(usize, &mut dyn Write) -> io::Result<()>,
) -> Result<Manifest> {
    let mut files = Vec::with_capacity(entries.len() + extras.len());
    for (i, e) in entries.iter().enumerate() {
        let path = format!("{DOCUMENTS_DIR}/{}", e.name);
        zip.start_file(
            path.as_str(),
            with_compression(options, &e.name).large_file(e.size >= 0xFFFF_0000),
        )?;
        let mut sink = Hashing::new(&mut *zip);
        fill(i, &mut sink)?;
        let (sha256, size) = sink.finish();
        if size != e.size {
            return Err(ShareError::SizeMismatch {
                expected: e.size,
                got: size,
            });
        }
        files.push(ManifestFile {
            path,
            size,
            sha256: hex::encode(sha256),
        });
    }
    let small = with_compression(options, "MANIFEST.txt").large_file(false);
    for x in extras {
        zip.start_file(x.name.as_str(), small)?;
        zip.write_all(&x.body)?;
        files.push(ManifestFile {
            path: x.name.clone(),
            size: x.body.len() as u64,
            sha256: hex::encode(Sha256::digest(&x.body)),
        });
    }
    let manifest = Manifest::new(info, files, signer.public_key_text());
    let txt = manifest.to_text();
    let json = manifest.to_json();
    for (name, body) in [
        ("MANIFEST.txt", txt.as_bytes()),
        ("MANIFEST.json", json.as_bytes()),
    ] {
        zip.start_file(name, small)?;
        zip.write_all(body)?;
        let signature = signer.sign(body, &info.package_id)?;
        zip.start_file(format!("{name}.minisig"), small)?;
        zip.write_all(signature.as_bytes())?;
    }
    Ok(manifest)
}

/// A name in a package: one path component, printable, not hidden.
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 240
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(ShareError::Invalid(format!(
            "{name:?} cannot be a file name in a package."
        )));
    }
    Ok(())
}

/// Names for documents in a package: path separators, control characters
/// and colons replaced, leading dots removed, never empty, at most 200
/// bytes, and unique without regard to case (`name (2).pdf`).
pub fn package_names(wanted: &[String]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    wanted
        .iter()
        .map(|w| {
            let clean = clean_name(w);
            let (stem, ext) = match clean.rfind('.') {
                Some(i) if i > 0 => (&clean[..i], &clean[i..]),
                _ => (clean.as_str(), ""),
            };
            let mut name = clean.clone();
            let mut n = 2;
            while !taken.insert(name.to_lowercase()) {
                name = format!("{stem} ({n}){ext}");
                n += 1;
            }
            name
        })
        .collect()
}

fn clean_name(wanted: &str) -> String {
    let mut name: String = wanted
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == ':' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    while name.len() > 200 {
        name.pop();
    }
    let name = name.trim().trim_start_matches('.').trim().to_string();
    if name.is_empty() {
        "document".into()
    } else {
        name
    }
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    fn finish(self) -> ([u8; 32], u64) {
        (self.hasher.finalize().into(), self.count)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests;
