//! Where backups go, as the user writes it: a folder, or a place in an
//! S3-compatible object store in restic's notation. Pure parsing, with no
//! repository code, so it builds without the `repository` feature (the
//! fuzz target for it does).

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::{BackupError, REPOSITORY_DIR, Result};

const DEFAULT_REGION: &str = "us-east-1";
/// Where backups go, as the user names it (no secret): a folder (an
/// external drive, a mounted share) or a place in an S3-compatible object
/// store (`s3:https://host/bucket/folder`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Folder(PathBuf),
    Store(S3Location),
}

impl Location {
    /// `s3:…` is an object store; anything else is a folder.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            return Err(BackupError::Destination(
                "No backup destination was given.".into(),
            ));
        }
        if text.starts_with("s3:") {
            return Ok(Location::Store(S3Location::parse(text)?));
        }
        Ok(Location::Folder(PathBuf::from(text)))
    }

    /// Whether using it needs an access key.
    pub fn needs_credentials(&self) -> bool {
        matches!(self, Location::Store(_))
    }

    /// The repository, as `restic -r` takes it.
    pub fn repository(&self) -> String {
        match self {
            Location::Folder(root) => root.join(REPOSITORY_DIR).display().to_string(),
            Location::Store(s) => s.repository(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Folder(root) => write!(f, "{}", root.display()),
            Location::Store(s) => write!(f, "{s}"),
        }
    }
}

/// Where in an object store backups go (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub(crate) endpoint: Url,
    pub(crate) bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub(crate) prefix: String,
    pub(crate) region: String,
}

impl S3Location {
    /// Parses `s3:https://host[:port]/bucket[/prefix][?region=…]`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            BackupError::Destination(format!(
                "{text:?} is not an object store location ({why}); write it as s3:https://host/bucket/folder"
            ))
        };
        let rest = text
            .trim()
            .strip_prefix("s3:")
            .ok_or_else(|| bad("no s3:"))?;
        // Checked before parsing, which would resolve them away.
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        if path.split('/').skip(3).any(|s| s == "." || s == "..") {
            return Err(bad("the folder may not hold . or .."));
        }
        let url = Url::parse(rest).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad("it needs http:// or https:// and a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "an access key never goes in the location; it is kept in the keychain",
            ));
        }
        let mut segments = url
            .path_segments()
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty());
        let bucket = segments.next().ok_or_else(|| bad("no bucket"))?.to_string();
        // S3's rules (3 to 63 letters, digits, dots, hyphens), with the
        // underscores and capitals some older stores accept.
        if !(3..=63).contains(&bucket.len())
            || !bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(
                "a bucket name has 3 to 63 letters, digits, dots or hyphens",
            ));
        }
        let prefix = segments.collect::<Vec<_>>().join("/");
        let region = url
            .query_pairs()
            .find(|(k, _)| k == "region")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        if region.is_empty()
            || region.len() > 32
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("a region is written like eu-central-1"));
        }
        let mut endpoint = url.clone();
        endpoint.set_path("/");
        endpoint.set_query(None);
        endpoint.set_fragment(None);
        Ok(S3Location {
            endpoint,
            bucket,
            prefix,
            region,
        })
    }

    /// The repository, as `restic -r` takes it.
    pub fn repository(&self) -> String {
        let mut out = format!(
            "s3:{}/{}",
            self.endpoint.as_str().trim_end_matches('/'),
            self.bucket
        );
        if !self.prefix.is_empty() {
            out.push('/');
            out.push_str(&self.prefix);
        }
        out.push('/');
        out.push_str(REPOSITORY_DIR);
        out
    }

    /// The same bucket of the same store (the folder may differ).
    pub fn same_store(&self, other: &S3Location) -> bool {
        self.endpoint == other.endpoint && self.bucket == other.bucket
    }

    pub fn region(&self) -> &str {
        &self.region
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "s3:{}/{}",
            self.endpoint.as_str().trim_end_matches('/'),
            self.bucket
        )?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        if self.region != DEFAULT_REGION {
            write!(f, "?region={}", self.region)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_as_restic_writes_them() {
        let l =
            S3Location::parse("s3:https://s3.example.test/office-backups/matterbox/main").unwrap();
        assert_eq!(l.bucket, "office-backups");
        assert_eq!(l.prefix, "matterbox/main");
        assert_eq!(l.region, "us-east-1");
        assert_eq!(
            l.to_string(),
            "s3:https://s3.example.test/office-backups/matterbox/main"
        );
        assert_eq!(
            l.repository(),
            "s3:https://s3.example.test/office-backups/matterbox/main/repository"
        );
        let l = S3Location::parse("s3:http://127.0.0.1:9000/bkt?region=eu-west-1").unwrap();
        assert_eq!((l.prefix.as_str(), l.region.as_str()), ("", "eu-west-1"));
        assert_eq!(l.repository(), "s3:http://127.0.0.1:9000/bkt/repository");
        assert_eq!(
            l.to_string(),
            "s3:http://127.0.0.1:9000/bkt?region=eu-west-1"
        );
    }

    #[test]
    fn a_location_with_a_key_or_no_bucket_is_refused() {
        for bad in [
            "s3:https://AKIA:secret@s3.example.test/b",
            "s3:https://s3.example.test/",
            "s3:ftp://s3.example.test/b",
            "https://s3.example.test/b",
            "s3:https://s3.example.test/bucket/../c",
            "s3:https://s3.example.test/b",
            // Found by fuzzing: a bucket named "@".
            "s3:http://127.0.0.1:9000/@?regdon=eu-west?r^g-1",
            "s3:http://127.0.0.1:9000/bucket%40x",
            // Found by fuzzing: a region of spaces.
            "s3:http://127.0.0.1:90/00b?region=+++#++++",
            "s3:http://127.0.0.1:90/bkt?region=",
        ] {
            assert!(S3Location::parse(bad).is_err(), "{bad}");
        }
    }
}
