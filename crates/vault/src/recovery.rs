//! The recovery key: 160 random bits shown once at creation, written as
//! eight groups of five Crockford base32 characters. The fifth character of
//! each group is a Luhn mod 32 check over the group's position and its four
//! data characters, so any single mistyped character, and most swaps of
//! neighbours or of whole groups, are caught before any unlock is tried —
//! and the user is told which group to look at.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::VaultError;
use crate::secret::random_bytes;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const GROUPS: usize = 8;
const DATA_PER_GROUP: usize = 4;
const N: u32 = 32;

/// 20 bytes = 160 bits.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct RecoveryKey([u8; 20]);

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey([redacted])")
    }
}

fn value_of(c: char) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u32)
}

fn luhn_addend(factor: u32, value: u32) -> u32 {
    let a = factor * value;
    a / N + a % N
}

/// The check symbol for `values` (Luhn mod N).
fn check_value(values: &[u32]) -> u32 {
    let mut factor = 2;
    let mut sum = 0;
    for &v in values.iter().rev() {
        sum += luhn_addend(factor, v);
        factor = if factor == 2 { 1 } else { 2 };
    }
    (N - sum % N) % N
}

impl RecoveryKey {
    pub fn generate() -> Result<Self, VaultError> {
        let mut bytes = [0u8; 20];
        random_bytes(&mut bytes)?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8; 20] {
        &self.0
    }

    fn data_values(&self) -> [u32; GROUPS * DATA_PER_GROUP] {
        // 160 bits read 5 at a time, most significant first.
        let mut out = [0u32; GROUPS * DATA_PER_GROUP];
        for (i, slot) in out.iter_mut().enumerate() {
            let mut v = 0u32;
            for b in 0..5 {
                let bit = i * 5 + b;
                let byte = self.0[bit / 8];
                v = (v << 1) | u32::from((byte >> (7 - bit % 8)) & 1);
            }
            *slot = v;
        }
        out
    }

    /// The grouped form shown to the user, e.g. `7Q2MX-…` (8 groups).
    pub fn display(&self) -> Zeroizing<String> {
        let data = Zeroizing::new(self.data_values());
        let mut s = Zeroizing::new(String::with_capacity(GROUPS * 6));
        for (g, chunk) in data.chunks(DATA_PER_GROUP).enumerate() {
            if g > 0 {
                s.push('-');
            }
            let mut with_pos = vec![g as u32];
            with_pos.extend_from_slice(chunk);
            for &v in chunk {
                s.push(ALPHABET[v as usize] as char);
            }
            s.push(ALPHABET[check_value(&with_pos) as usize] as char);
            with_pos.zeroize();
        }
        s
    }

    /// Reads a typed recovery key. Case, spaces and dashes do not matter;
    /// `O`, `I` and `L` are read as `0`, `1` and `1`.
    pub fn parse(typed: &str) -> Result<Self, VaultError> {
        let symbols: Zeroizing<Vec<u32>> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| {
                    value_of(c).ok_or_else(|| {
                        VaultError::RecoveryKeyFormat(format!(
                            "'{c}' is not a recovery key character"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        );
        let want = GROUPS * (DATA_PER_GROUP + 1);
        if symbols.len() != want {
            return Err(VaultError::RecoveryKeyFormat(format!(
                "a recovery key has {want} characters in {GROUPS} groups; {} were given",
                symbols.len()
            )));
        }
        let mut data = Zeroizing::new(Vec::with_capacity(GROUPS * DATA_PER_GROUP));
        for (g, group) in symbols.chunks(DATA_PER_GROUP + 1).enumerate() {
            let mut with_pos = Zeroizing::new(vec![g as u32]);
            with_pos.extend_from_slice(&group[..DATA_PER_GROUP]);
            if check_value(&with_pos) != group[DATA_PER_GROUP] {
                return Err(VaultError::RecoveryKeyFormat(format!(
                    "group {} has a typo; compare it with your emergency kit",
                    g + 1
                )));
            }
            data.extend_from_slice(&group[..DATA_PER_GROUP]);
        }
        let mut bytes = [0u8; 20];
        for (i, v) in data.iter().enumerate() {
            for b in 0..5 {
                let bit = i * 5 + b;
                if (v >> (4 - b)) & 1 == 1 {
                    bytes[bit / 8] |= 1 << (7 - bit % 8);
                }
            }
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_has_eight_groups_of_five() {
        let key = RecoveryKey::from_bytes([0xA5; 20]);
        let shown = key.display();
        let groups: Vec<&str> = shown.split('-').collect();
        assert_eq!(groups.len(), 8);
        assert!(groups.iter().all(|g| g.len() == 5));
        assert!(
            shown
                .chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
    }

    #[test]
    fn reading_is_forgiving_about_case_spacing_and_lookalikes() {
        let key = RecoveryKey::from_bytes([0; 20]);
        let shown = key.display().to_string();
        assert!(shown.starts_with("0000"));
        let typed = shown.replace('-', " ").to_lowercase().replacen('0', "o", 1);
        assert_eq!(RecoveryKey::parse(&typed).unwrap(), key);
    }

    #[test]
    fn wrong_lengths_and_characters_are_named() {
        let err = RecoveryKey::parse("ABCDE-FGHJK").unwrap_err().to_string();
        assert!(err.contains("40 characters"), "{err}");
        let err = RecoveryKey::parse("U").unwrap_err().to_string();
        assert!(err.contains("'U'"), "{err}");
    }

    #[test]
    fn swapped_groups_are_caught() {
        let key = RecoveryKey::from_bytes(*b"0123456789abcdefghij");
        let shown = key.display().to_string();
        let mut groups: Vec<&str> = shown.split('-').collect();
        groups.swap(0, 1);
        assert!(RecoveryKey::parse(&groups.join("-")).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(bytes in any::<[u8; 20]>()) {
            let key = RecoveryKey::from_bytes(bytes);
            prop_assert_eq!(RecoveryKey::parse(&key.display()).unwrap(), key);
        }

        #[test]
        fn every_single_typo_is_caught(
            bytes in any::<[u8; 20]>(),
            pos in 0usize..40,
            replacement in 0usize..32,
        ) {
            let key = RecoveryKey::from_bytes(bytes);
            let mut symbols: Vec<char> = key.display().chars().filter(|c| *c != '-').collect();
            let new = ALPHABET[replacement] as char;
            prop_assume!(symbols[pos] != new);
            symbols[pos] = new;
            let typed: String = symbols.into_iter().collect();
            let err = RecoveryKey::parse(&typed).unwrap_err().to_string();
            let expected_group = format!("group {}", pos / 5 + 1);
            prop_assert!(err.contains(&expected_group), "{}", err);
        }
    }
}
