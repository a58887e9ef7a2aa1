//! Passphrases Matterbox generates for packages, to be told to the
//! recipient by another channel.
//!
//! Words come from the BIP-39 English list (2,048 words, 11 bits each,
//! no two sharing their first four letters), the list age itself uses
//! for the passphrases it generates; `assets/NOTICE` says where it is from.
//! A random string uses 31 letters and digits that cannot be confused when
//! read out (no 0/o, 1/l/i), almost 5 bits each.

use std::fmt;

use age::secrecy::SecretString;
use zeroize::Zeroizing;

const WORDS: &str = include_str!("../assets/bip39-english.txt");
const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The fewest words a passphrase may have.
pub const MIN_WORDS: usize = 5;
/// The most words a passphrase may have.
pub const MAX_WORDS: usize = 24;
/// The length of a random-string passphrase (about 119 bits).
pub const RANDOM_LENGTH: usize = 24;

/// Which kind of passphrase to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassphraseKind {
    /// Words separated by hyphens.
    Words(usize),
    /// A random string of [`RANDOM_LENGTH`] characters, in groups of four.
    Random,
}

/// A generated passphrase; wiped when dropped, never printed by `Debug`.
pub struct Passphrase(Zeroizing<String>);

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase([redacted])")
    }
}

fn uniform(below: u32) -> std::io::Result<u32> {
    // Rejection sampling: values in the biased top range are drawn again.
    let zone = u32::MAX - (u32::MAX % below);
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(std::io::Error::other)?;
        let v = u32::from_le_bytes(b);
        if v < zone {
            return Ok(v % below);
        }
    }
}

impl Passphrase {
    /// Generates a passphrase from the OS's random numbers.
    pub fn generate(kind: PassphraseKind) -> crate::Result<Self> {
        let mut out = Zeroizing::new(String::new());
        match kind {
            PassphraseKind::Words(n) => {
                if !(MIN_WORDS..=MAX_WORDS).contains(&n) {
                    return Err(crate::ShareError::Invalid(format!(
                        "A passphrase has {MIN_WORDS} to {MAX_WORDS} words."
                    )));
                }
                let words: Vec<&str> = WORDS.lines().collect();
                for i in 0..n {
                    if i > 0 {
                        out.push('-');
                    }
                    let len = u32::try_from(words.len()).unwrap_or(u32::MAX);
                    let w = uniform(len)? as usize;
                    out.push_str(words[w]);
                }
            }
            PassphraseKind::Random => {
                for i in 0..RANDOM_LENGTH {
                    if i > 0 && i % 4 == 0 {
                        out.push('-');
                    }
                    out.push(char::from(CHARS[uniform(CHARS.len() as u32)? as usize]));
                }
            }
        }
        Ok(Self(out))
    }

    /// The passphrase, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn to_secret(&self) -> SecretString {
        SecretString::from(self.0.as_str().to_owned())
    }

    /// For tests: a passphrase given as text.
    pub fn danger_from_text(text: &str) -> Self {
        Self(Zeroizing::new(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_is_bip39() {
        let words: Vec<&str> = WORDS.lines().collect();
        assert_eq!(words.len(), 2048);
        let prefixes: std::collections::HashSet<String> =
            words.iter().map(|w| w.chars().take(4).collect()).collect();
        assert_eq!(prefixes.len(), 2048, "the first four letters are unique");
        assert!(
            words
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_lowercase()))
        );
    }

    #[test]
    fn words_and_random_strings_have_the_asked_shape() {
        let p = Passphrase::generate(PassphraseKind::Words(6)).unwrap();
        let parts: Vec<&str> = p.expose().split('-').collect();
        assert_eq!(parts.len(), 6);
        assert!(parts.iter().all(|w| WORDS.lines().any(|l| l == *w)));
        let r = Passphrase::generate(PassphraseKind::Random).unwrap();
        assert_eq!(r.expose().replace('-', "").len(), RANDOM_LENGTH);
        assert!(
            r.expose()
                .replace('-', "")
                .bytes()
                .all(|b| CHARS.contains(&b))
        );
        assert_ne!(
            Passphrase::generate(PassphraseKind::Random)
                .unwrap()
                .expose(),
            r.expose()
        );
        assert_eq!(format!("{r:?}"), "Passphrase([redacted])");
    }

    #[test]
    fn fewer_than_five_words_are_refused() {
        assert!(Passphrase::generate(PassphraseKind::Words(4)).is_err());
        assert!(Passphrase::generate(PassphraseKind::Words(25)).is_err());
        assert!(Passphrase::generate(PassphraseKind::Words(5)).is_ok());
    }
}
