//! The manifest inside every package: what it holds, for the recipient to
//! check, in a text form for people and a JSON form for programs.

use serde::{Deserialize, Serialize};

/// Who made the package, for the manifest's heading.
#[derive(Clone, Debug)]
pub struct PackageInfo {
    /// A random id of the package, also the signatures' trusted comment.
    pub package_id: String,
    /// The practice or vault name the package comes from.
    pub from: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
}

/// One file listed in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its path inside the package (`documents/…`).
    pub path: String,
    pub size: u64,
    /// SHA-256, 64 lowercase hex digits.
    pub sha256: String,
}

/// `MANIFEST.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub package_id: String,
    pub from: String,
    pub created_at: String,
    /// The signing public key, in minisign's one-line form.
    pub signing_public_key: String,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    pub(crate) fn new(info: &PackageInfo, files: Vec<ManifestFile>, public_key: String) -> Self {
        Self {
            format: "matterbox-share-manifest/1".into(),
            package_id: info.package_id.clone(),
            from: info.from.clone(),
            created_at: info.created_at.clone(),
            signing_public_key: public_key,
            files,
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// `MANIFEST.txt`: the list, then how to check it.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        t.push_str("MANIFEST of a package of documents made with Matterbox\n\n");
        t.push_str(&format!("Package:  {}\n", self.package_id));
        t.push_str(&format!("From:     {}\n", self.from));
        t.push_str(&format!("Made:     {}\n", self.created_at));
        t.push_str(&format!("Files:    {}\n\n", self.files.len()));
        t.push_str(
            "SHA-256                                                           Bytes  File\n",
        );
        for f in &self.files {
            t.push_str(&format!("{}  {:>12}  {}\n", f.sha256, f.size, f.path));
        }
        t.push_str(&format!(
            "\nHOW TO CHECK THIS PACKAGE\n\n\
             1. Check that this manifest was signed by the sender and not altered.\n   \
             Ask the sender for their signing public key by a channel you trust\n   \
             (their website, a letter, a phone call); it must be exactly:\n\n       \
             {key}\n\n   \
             With minisign (https://jedisct1.github.io/minisign/), in this folder:\n\n       \
             minisign -Vm MANIFEST.txt -P {key}\n\n   \
             It must say \"Signature and comment signature verified\" and show the\n   \
             trusted comment \"{comment}\".\n   \
             MANIFEST.json is signed the same way (MANIFEST.json.minisig).\n\n\
             2. Check that every file matches its SHA-256 above:\n\n       \
             sha256sum documents/*            (Linux)\n       \
             shasum -a 256 documents/*        (macOS)\n       \
             Get-FileHash documents\\*         (Windows PowerShell)\n\n\
             A file whose SHA-256 differs is not the one that was sent.\n",
            key = self.signing_public_key,
            comment = crate::signing::trusted_comment(&self.package_id),
        ));
        t
    }
}
