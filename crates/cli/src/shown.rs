//! Text from users and files, made safe to print on a terminal.
//!
//! Names, titles, file names, notes, quarantine reasons and paths are
//! chosen by whoever typed them or dropped a file into the inbox. Printed
//! raw, a control character can move the cursor, clear the screen or
//! recolour what follows (an escape sequence), and a bidirectional override
//! can make `invoice\u{202e}fdp.exe` read as `invoiceexe.pdf`. Every piece
//! of such text in human output goes through [`shown`]; `--json` output
//! stays exact (JSON escapes control characters itself).

use std::borrow::Cow;
use std::fmt::Write;

use matterbox_core::domain::text::is_bidi_control;

/// Whether `c` is written as an escape: control characters, line and
/// paragraph separators, bidirectional controls, and the invisible
/// characters that can hide text or make two names look alike
/// (zero-width space, word joiners, byte-order mark, soft hyphen,
/// interlinear annotations, tag characters). Zero-width joiners and
/// variation selectors print as they are: scripts and emoji need them,
/// and they reorder nothing.
fn escaped(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// `text` for a terminal: the characters above become `\u{…}` escapes
/// (U+202E as `\u{202e}`), everything else prints as it is.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text of several lines (notes, an address): each line through
/// [`shown`], later lines indented by `indent` so they stay under their
/// label.
pub fn shown_lines(text: &str, indent: &str) -> String {
    text.split('\n')
        .map(|line| shown(line.strip_suffix('\r').unwrap_or(line)).into_owned())
        .collect::<Vec<_>>()
        .join(&format!("\n{indent}"))
}

/// A path for a terminal, through [`shown`].
pub fn shown_path(path: &std::path::Path) -> String {
    shown(&path.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_terminal_would_obey_is_escaped() {
        let check = |raw: &str, expect: &str| assert_eq!(shown(raw), expect, "{raw:?}");
        check("Ada Fictional", "Ada Fictional");
        check("Müller & Söhne — 中文 עברית", "Müller & Söhne — 中文 עברית");
        check("O'Brien \"Ltd\" C:\\path", "O'Brien \"Ltd\" C:\\path");
        check("invoice\u{202e}fdp.exe", "invoice\\u{202e}fdp.exe");
        check("\u{2066}a\u{2069}", "\\u{2066}a\\u{2069}");
        check("\u{200e}\u{200f}\u{61c}", "\\u{200e}\\u{200f}\\u{61c}");
        check("red\u{1b}[31m", "red\\u{1b}[31m");
        check("fake\nline\r\t", "fake\\u{a}line\\u{d}\\u{9}");
        check("\u{7f}\u{85}\u{9b}", "\\u{7f}\\u{85}\\u{9b}");
        check("a\u{200b}b\u{feff}", "a\\u{200b}b\\u{feff}");
        check("x\u{2028}y", "x\\u{2028}y");
        check("hidden\u{e0041}\u{e0042}", "hidden\\u{e0041}\\u{e0042}");
        // Joiners and variation selectors belong to scripts and emoji.
        check(
            "می\u{200c}خواهم ❤\u{fe0f} 👩\u{200d}⚖",
            "می\u{200c}خواهم ❤\u{fe0f} 👩\u{200d}⚖",
        );
        assert!(matches!(shown("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_stay_lines_under_their_label() {
        assert_eq!(
            shown_lines("1 Main St\r\nSpringfield\u{1b}[2J", "         "),
            "1 Main St\n         Springfield\\u{1b}[2J"
        );
        assert_eq!(shown_lines("", "  "), "");
    }
}
