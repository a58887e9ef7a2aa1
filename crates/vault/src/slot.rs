//! Key slots: the master key wrapped with AES-256-GCM under a slot's
//! key-encryption key. The slot kind and vault id are bound in as
//! associated data, so a slot cannot be moved to another vault or role.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::kdf::KdfCost;
use crate::secret::{DeviceSecret, MasterKey, WrappingKey, random_bytes};
use crate::{Passphrase, RecoveryKey, VaultError};

/// A wrapped master key: random 96-bit nonce and ciphertext with tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    #[serde(with = "hex::serde")]
    pub nonce: [u8; 12],
    #[serde(with = "hex::serde")]
    pub ciphertext: Vec<u8>,
}

/// Which slot a wrapped key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    Unlock,
    Recovery,
}

impl SlotKind {
    fn label(self) -> &'static str {
        match self {
            SlotKind::Unlock => "unlock",
            SlotKind::Recovery => "recovery",
        }
    }
}

fn aad(vault_id: &str, kind: SlotKind) -> Vec<u8> {
    format!("matterbox/v1/slot/{}/{vault_id}", kind.label()).into_bytes()
}

fn cipher(kek: &WrappingKey) -> Aes256Gcm {
    // A 32-byte key is always the right length for AES-256.
    #[allow(clippy::expect_used)]
    Aes256Gcm::new_from_slice(kek.expose()).expect("32-byte key")
}

/// Wraps `master` under `kek`. A fresh random nonce is drawn every time:
/// with one wrap per slot change, a nonce is **never** reused under a key.
pub fn wrap(
    kek: &WrappingKey,
    master: &MasterKey,
    vault_id: &str,
    kind: SlotKind,
) -> Result<WrappedKey, VaultError> {
    let mut nonce = [0u8; 12];
    random_bytes(&mut nonce)?;
    let ciphertext = cipher(kek)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: master.expose(),
                aad: &aad(vault_id, kind),
            },
        )
        .map_err(|_| VaultError::Random("AES-GCM refused to encrypt".into()))?;
    Ok(WrappedKey { nonce, ciphertext })
}

/// Unwraps a master key. Any failure — wrong key, edited ciphertext, slot
/// moved between vaults — is the one opaque [`VaultError::WrongSecret`].
pub fn unwrap(
    kek: &WrappingKey,
    wrapped: &WrappedKey,
    vault_id: &str,
    kind: SlotKind,
) -> Result<MasterKey, VaultError> {
    let plain = Zeroizing::new(
        cipher(kek)
            .decrypt(
                &Nonce::from(wrapped.nonce),
                Payload {
                    msg: &wrapped.ciphertext,
                    aad: &aad(vault_id, kind),
                },
            )
            .map_err(|_| VaultError::WrongSecret)?,
    );
    MasterKey::from_slice(&plain).ok_or(VaultError::WrongSecret)
}

fn hkdf_kek(salt: &[u8], ikm: &[u8], label: &[u8]) -> WrappingKey {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's output limit: cannot fail.
    #[allow(clippy::expect_used)]
    hk.expand(label, out.as_mut()).expect("32-byte HKDF output");
    WrappingKey::from_bytes(*out)
}

/// The unlock slot's key: Argon2id(passphrase) and the device secret, both
/// required, combined with HKDF.
pub fn unlock_kek(
    passphrase: &Passphrase,
    device: &DeviceSecret,
    cost: &KdfCost,
    argon_salt: &[u8],
    hkdf_salt: &[u8],
) -> Result<WrappingKey, VaultError> {
    let stretched = cost.stretch(passphrase, argon_salt)?;
    let mut ikm = Zeroizing::new([0u8; 64]);
    ikm[..32].copy_from_slice(stretched.as_ref());
    ikm[32..].copy_from_slice(device.expose());
    Ok(hkdf_kek(
        hkdf_salt,
        ikm.as_ref(),
        b"matterbox/v1/unlock-slot-kek",
    ))
}

/// The recovery slot's key. The recovery key carries 160 random bits, so it
/// needs no stretching.
pub fn recovery_kek(recovery: &RecoveryKey, hkdf_salt: &[u8]) -> WrappingKey {
    hkdf_kek(
        hkdf_salt,
        recovery.expose(),
        b"matterbox/v1/recovery-slot-kek",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn wrap_round_trips(key in any::<[u8; 32]>(), kek in any::<[u8; 32]>()) {
            let master = MasterKey::from_bytes(key);
            let kek = WrappingKey::from_bytes(kek);
            let w = wrap(&kek, &master, "v1", SlotKind::Unlock).unwrap();
            prop_assert_ne!(&w.ciphertext[..32], &key[..]);
            let back = unwrap(&kek, &w, "v1", SlotKind::Unlock).unwrap();
            prop_assert_eq!(back.expose(), &key);
        }

        #[test]
        fn any_flipped_bit_is_refused(key in any::<[u8; 32]>(), bit in 0usize..(48 * 8)) {
            let master = MasterKey::from_bytes(key);
            let kek = WrappingKey::from_bytes([9; 32]);
            let mut w = wrap(&kek, &master, "v1", SlotKind::Recovery).unwrap();
            w.ciphertext[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(matches!(
                unwrap(&kek, &w, "v1", SlotKind::Recovery),
                Err(VaultError::WrongSecret)
            ));
        }

        #[test]
        fn a_different_key_is_refused(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            prop_assume!(a != b);
            let master = MasterKey::from_bytes([1; 32]);
            let w = wrap(&WrappingKey::from_bytes(a), &master, "v1", SlotKind::Unlock).unwrap();
            prop_assert!(unwrap(&WrappingKey::from_bytes(b), &w, "v1", SlotKind::Unlock).is_err());
        }
    }

    #[test]
    fn a_slot_is_bound_to_its_vault_and_kind() {
        let master = MasterKey::from_bytes([1; 32]);
        let kek = WrappingKey::from_bytes([2; 32]);
        let w = wrap(&kek, &master, "vault-a", SlotKind::Unlock).unwrap();
        assert!(unwrap(&kek, &w, "vault-b", SlotKind::Unlock).is_err());
        assert!(unwrap(&kek, &w, "vault-a", SlotKind::Recovery).is_err());
        assert!(unwrap(&kek, &w, "vault-a", SlotKind::Unlock).is_ok());
    }

    #[test]
    fn nonces_are_fresh_per_wrap() {
        let master = MasterKey::from_bytes([1; 32]);
        let kek = WrappingKey::from_bytes([2; 32]);
        let a = wrap(&kek, &master, "v", SlotKind::Unlock).unwrap();
        let b = wrap(&kek, &master, "v", SlotKind::Unlock).unwrap();
        assert_ne!(a.nonce, b.nonce);
    }

    #[test]
    fn both_factors_matter() {
        let cost = KdfCost::MINIMUM;
        let pass = Passphrase::new("a long enough phrase".into());
        let other = Passphrase::new("a long enough phrasE".into());
        let dev = DeviceSecret::from_bytes([3; 32]);
        let dev2 = DeviceSecret::from_bytes([4; 32]);
        let k = unlock_kek(&pass, &dev, &cost, &[5; 16], &[6; 16]).unwrap();
        assert_ne!(
            k.expose(),
            unlock_kek(&other, &dev, &cost, &[5; 16], &[6; 16])
                .unwrap()
                .expose()
        );
        assert_ne!(
            k.expose(),
            unlock_kek(&pass, &dev2, &cost, &[5; 16], &[6; 16])
                .unwrap()
                .expose()
        );
        assert_eq!(
            k.expose(),
            unlock_kek(&pass, &dev, &cost, &[5; 16], &[6; 16])
                .unwrap()
                .expose()
        );
    }
}
