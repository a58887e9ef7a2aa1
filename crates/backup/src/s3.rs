//! An S3-compatible object store as a backup destination (AWS, Backblaze,
//! Wasabi, MinIO, Ceph…): the restic repository's files as objects under
//! `<prefix>/repository/`, the caller's public files under `<prefix>/`.
//!
//! Requests are signed with AWS Signature V4 (`rusty-s3`, which does no
//! I/O) and sent with a small blocking HTTP client (`ureq`, TLS from the
//! operating system through `native-tls`). No SDK, no async runtime, and
//! nothing of the repository is cached on this computer.
//!
//! A location is written as restic writes it, so the same text works with
//! `restic -r`: `s3:https://host[:port]/bucket[/prefix]`, with an optional
//! `?region=…` (default `us-east-1`, which MinIO and most other stores
//! accept).

use std::fmt;
use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use rustic_core::{
    BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend,
};
use rusty_s3::{Bucket, S3Action, UrlStyle};
use zeroize::Zeroizing;

use crate::{BackupError, Result, S3Location};

/// How long a signed request stays valid: long enough for a large pack on
/// a slow line, short enough to be useless if a URL ever leaked.
const SIGNED_FOR: Duration = Duration::from_secs(60 * 60);
/// Attempts of one request when the store or the line fails for a moment.
const ATTEMPTS: u32 = 4;

/// The access key of an object store. Kept in the OS keychain by the
/// caller, never in a file.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl S3Location {
    /// The key of an object under the prefix.
    pub(crate) fn key_of(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

/// A connection to one bucket, with the access key.
#[derive(Clone)]
pub(crate) struct Store {
    location: S3Location,
    bucket: Bucket,
    credentials: rusty_s3::Credentials,
    agent: ureq::Agent,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location.to_string())
            .finish_non_exhaustive()
    }
}

/// What a request came back with: the status and the body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Store {
    pub(crate) fn new(location: &S3Location, credentials: &S3Credentials) -> Result<Self> {
        // AWS serves buckets by host name; other stores (MinIO, Ceph, a
        // NAS) mostly by path.
        let style = match location.endpoint.host_str() {
            Some(h) if h.ends_with(".amazonaws.com") => UrlStyle::VirtualHost,
            _ => UrlStyle::Path,
        };
        let bucket = Bucket::new(
            location.endpoint.clone(),
            style,
            location.bucket.clone(),
            location.region.clone(),
        )
        .map_err(|e| {
            BackupError::Destination(format!("{location} cannot be used as a bucket: {e}"))
        })?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .build();
        Ok(Store {
            location: location.clone(),
            bucket,
            credentials: rusty_s3::Credentials::new(
                credentials.access_key_id.clone(),
                credentials.secret_access_key.to_string(),
            ),
            agent: config.into(),
        })
    }

    pub(crate) fn location(&self) -> &S3Location {
        &self.location
    }

    /// Sends one request, again after a pause when the line or the store
    /// failed for a moment (no answer, 5xx, 429). Any other answer,
    /// including 4xx, is returned as it is.
    fn send(
        &self,
        what: &str,
        request: impl Fn() -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500 * 3u64.pow(attempt - 1)));
            }
            match request() {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let mut body = Vec::new();
                    let read = response
                        .body_mut()
                        .as_reader()
                        .read_to_end(&mut body)
                        .map(|_| ());
                    if status >= 500 || status == 429 {
                        last = format!("the store answered {status}");
                        continue;
                    }
                    match read {
                        Ok(()) => return Ok(Answer { status, body }),
                        Err(e) => last = format!("the answer broke off ({e})"),
                    }
                }
                Err(e) => last = transport(&e),
            }
        }
        Err(BackupError::Destination(format!(
            "The backup store {} is not reachable ({what}: {last}).",
            self.location
        )))
    }

    /// Reads an object; `None` when there is none.
    pub(crate) fn get(&self, key: &str, range: Option<(u32, u32)>) -> Result<Option<Vec<u8>>> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self.send("reading", || {
            let mut req = self.agent.get(url.as_str());
            if let Some((offset, length)) = range {
                let last = u64::from(offset) + u64::from(length.max(1)) - 1;
                req = req.header("Range", &format!("bytes={offset}-{last}"));
            }
            req.call()
        })?;
        match answer.status {
            200 | 206 => Ok(Some(answer.body)),
            404 => Ok(None),
            _ => Err(self.refused("reading", key, &answer)),
        }
    }

    pub(crate) fn put(&self, key: &str, body: &[u8]) -> Result<()> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self.send("writing", || self.agent.put(url.as_str()).send(body))?;
        match answer.status {
            200 | 201 | 204 => Ok(()),
            _ => Err(self.refused("writing", key, &answer)),
        }
    }

    pub(crate) fn delete(&self, key: &str) -> Result<()> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let answer = self.send("removing", || self.agent.delete(url.as_str()).call())?;
        match answer.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.refused("removing", key, &answer)),
        }
    }

    /// Every object under `prefix` (a key prefix ending in `/`), with its
    /// size, page by page.
    pub(crate) fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            action.with_prefix(prefix.to_string());
            if let Some(t) = &token {
                action.with_continuation_token(t.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let answer = self.send("listing", || self.agent.get(url.as_str()).call())?;
            if answer.status != 200 {
                return Err(self.refused("listing", prefix, &answer));
            }
            let text = String::from_utf8_lossy(&answer.body);
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&text).map_err(|e| {
                BackupError::Destination(format!(
                    "The backup store {} gave a listing that cannot be read ({e}).",
                    self.location
                ))
            })?;
            out.extend(
                page.contents
                    .into_iter()
                    .map(|c| (c.key, c.size.unwrap_or(0))),
            );
            match page.next_continuation_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Whether the bucket answers to this access key: a missing bucket, a
    /// refused key and an unreachable store each say so.
    pub(crate) fn check_reachable(&self) -> Result<()> {
        let url = self
            .bucket
            .head_bucket(Some(&self.credentials))
            .sign(SIGNED_FOR);
        let answer = self.send("connecting", || self.agent.head(url.as_str()).call())?;
        match answer.status {
            200 => Ok(()),
            _ => Err(self.refused("opening", "", &answer)),
        }
    }

    /// Before a repository is started under `dir` (which holds no
    /// `config`): what an interrupted start left (key files only) goes;
    /// anything else there is someone's data and is refused.
    pub(crate) fn clear_interrupted_start(&self, dir: &str) -> Result<()> {
        let root = self.location.key_of(dir);
        let found = self.list(&format!("{root}/"))?;
        if found
            .iter()
            .any(|(k, _)| !k.starts_with(&format!("{root}/keys/")))
        {
            return Err(BackupError::Destination(format!(
                "{}/{dir} holds other files and no backup repository; choose another place.",
                self.location
            )));
        }
        for (key, _) in found {
            self.delete(&key)?;
        }
        Ok(())
    }

    fn refused(&self, what: &str, key: &str, answer: &Answer) -> BackupError {
        let code = error_code(&answer.body);
        let why = match (answer.status, code.as_deref()) {
            (_, Some("NoSuchBucket")) | (404, None) if key.is_empty() => format!(
                "the bucket {} does not exist; create it first",
                self.location.bucket
            ),
            (_, Some("NoSuchBucket")) => format!(
                "the bucket {} does not exist; create it first",
                self.location.bucket
            ),
            (
                _,
                Some(
                    "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "AccessDenied"
                    | "InvalidToken"
                    | "ExpiredToken",
                ),
            )
            | (401 | 403, _) => {
                "the store refused the access key (check the key and its permissions)".to_string()
            }
            (status, Some(code)) => format!("the store answered {status} {code}"),
            (status, None) => format!("the store answered {status}"),
        };
        BackupError::Destination(format!(
            "The backup store {} refused {what}: {why}.",
            self.location
        ))
    }
}

/// The `<Code>` of an S3 error answer.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    let code = &text[start..end];
    (code.len() < 64 && code.chars().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_string())
}

fn transport(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.kind().to_string(),
        ureq::Error::Timeout(_) => "no answer in time".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => other.to_string(),
    }
}

/// The repository inside a bucket, for rustic.
#[derive(Clone, Debug)]
pub(crate) struct S3Backend {
    store: Store,
    /// `<prefix>/repository` or a staging place beside it.
    root: String,
}

impl S3Backend {
    pub(crate) fn new(store: &Store, dir: &str) -> Self {
        S3Backend {
            store: store.clone(),
            root: store.location.key_of(dir),
        }
    }

    fn key(&self, tpe: FileType, id: &Id) -> String {
        let hex = id.to_hex();
        match tpe {
            FileType::Config => format!("{}/config", self.root),
            FileType::Pack => format!("{}/data/{}/{}", self.root, &hex[..2], &*hex),
            _ => format!("{}/{}/{}", self.root, tpe.dirname(), &*hex),
        }
    }
}

fn rustic_error(e: BackupError, key: &str) -> Box<RusticError> {
    // rustic fills `{…}` in its message from the context: keep ours literal.
    let text = e.to_string().replace(['{', '}'], "");
    RusticError::new(ErrorKind::Backend, text).attach_context("key", key.to_string())
}

impl ReadBackend for S3Backend {
    fn location(&self) -> String {
        format!("s3:{}", self.root)
    }

    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        if tpe == FileType::Config {
            let key = format!("{}/config", self.root);
            return Ok(self
                .store
                .list(&key)
                .map_err(|e| rustic_error(e, &key))?
                .into_iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, size)| (Id::default(), u32::try_from(size).unwrap_or(u32::MAX)))
                .collect());
        }
        let prefix = format!("{}/{}/", self.root, tpe.dirname());
        let listed = self
            .store
            .list(&prefix)
            .map_err(|e| rustic_error(e, &prefix))?;
        Ok(listed
            .into_iter()
            .filter_map(|(key, size)| {
                let name = key.rsplit('/').next()?;
                let id = Id::parse_some(name, tpe)?;
                Some((id, u32::try_from(size).ok()?))
            })
            .collect())
    }

    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        let key = self.key(tpe, id);
        match self.store.get(&key, None) {
            Ok(Some(body)) => Ok(body.into()),
            Ok(None) => Err(RusticError::new(
                ErrorKind::Backend,
                "A file of the repository is missing from the store.",
            )
            .attach_context("key", key)),
            Err(e) => Err(rustic_error(e, &key)),
        }
    }

    fn read_partial(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        offset: u32,
        length: u32,
    ) -> RusticResult<Bytes> {
        let key = self.key(tpe, id);
        match self.store.get(&key, Some((offset, length))) {
            Ok(Some(body)) if body.len() == length as usize => Ok(body.into()),
            Ok(Some(body)) => Err(RusticError::new(
                ErrorKind::Backend,
                "The store gave fewer bytes than asked for.",
            )
            .attach_context("key", key)
            .attach_context("got", body.len().to_string())),
            Ok(None) => Err(RusticError::new(
                ErrorKind::Backend,
                "A file of the repository is missing from the store.",
            )
            .attach_context("key", key)),
            Err(e) => Err(rustic_error(e, &key)),
        }
    }

    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.key(tpe, id)
    }
}

impl WriteBackend for S3Backend {
    fn write_bytes(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        content: BytesList,
    ) -> RusticResult<()> {
        let key = self.key(tpe, id);
        let parts = content.into_vec();
        let body: Vec<u8> = if parts.len() == 1 {
            parts[0].to_vec()
        } else {
            parts.concat()
        };
        self.store
            .put(&key, &body)
            .map_err(|e| rustic_error(e, &key))
    }

    fn remove(&self, tpe: FileType, id: &Id, _cacheable: bool) -> RusticResult<()> {
        let key = self.key(tpe, id);
        self.store.delete(&key).map_err(|e| rustic_error(e, &key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_from_the_answer() {
        let body =
            b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
        assert_eq!(error_code(body).as_deref(), Some("NoSuchBucket"));
        assert_eq!(error_code(b"<Code>a b</Code>"), None);
        assert_eq!(error_code(b"nothing"), None);
    }
}
