//! The vault's signing key: Ed25519 in minisign's format, so a recipient
//! checks a manifest with the standard `minisign -V`.
//!
//! The secret key is generated once per vault and kept only inside the
//! encrypted vault database (the caller stores [`Signer::secret_bytes`]);
//! it is never written to a file. The public key is published.

use std::fmt;
use std::io::Cursor;

use minisign::{KeyPair, PublicKey, SecretKey, SignatureBox};
use zeroize::Zeroizing;

use crate::{Result, ShareError};

/// The trusted comment signed with a package's manifest.
pub(crate) fn trusted_comment(package_id: &str) -> String {
    format!("matterbox share package {package_id}")
}

/// A key pair that signs manifests.
pub struct Signer {
    secret: SecretKey,
    public: PublicKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.public_key_text())
    }
}

fn sign_err(e: minisign::PError) -> ShareError {
    ShareError::Sign(e.to_string())
}

impl Signer {
    /// A new key pair from the OS's random numbers.
    pub fn generate() -> Result<Self> {
        let pair = KeyPair::generate_unencrypted_keypair().map_err(sign_err)?;
        Ok(Self {
            secret: pair.sk,
            public: pair.pk,
        })
    }

    /// The key pair from what [`Signer::secret_bytes`] returned.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        let secret = SecretKey::from_bytes(bytes).map_err(sign_err)?;
        if secret.is_encrypted() {
            return Err(ShareError::Sign(
                "the stored signing key does not check".into(),
            ));
        }
        let public = PublicKey::from_secret_key(&secret).map_err(sign_err)?;
        Ok(Self { secret, public })
    }

    /// The secret key, for storing inside the encrypted vault only.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public key's one-line form (`RW…`), for `minisign -P`.
    pub fn public_key_text(&self) -> String {
        self.public.to_base64()
    }

    /// A `.minisig` file's text for `data`.
    pub fn sign(&self, data: &[u8], package_id: &str) -> Result<String> {
        let sig = minisign::sign(
            Some(&self.public),
            &self.secret,
            Cursor::new(data),
            Some(&trusted_comment(package_id)),
            Some("signature from a Matterbox vault's signing key"),
        )
        .map_err(sign_err)?;
        Ok(sig.into_string())
    }
}

/// What checking a signature found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid { trusted_comment: String },
    Invalid,
}

/// Checks a `.minisig` text over `data` against a public key (`RW…`).
pub fn verify_signature(public_key: &str, signature: &str, data: &[u8]) -> SignatureCheck {
    let Ok(pk) = PublicKey::from_base64(public_key.trim()) else {
        return SignatureCheck::Invalid;
    };
    let Ok(sig) = SignatureBox::from_string(signature) else {
        return SignatureCheck::Invalid;
    };
    match minisign::verify(&pk, &sig, Cursor::new(data), true, false, false) {
        Ok(()) => SignatureCheck::Valid {
            trusted_comment: sig.trusted_comment().unwrap_or_default(),
        },
        Err(_) => SignatureCheck::Invalid,
    }
}
