//! How names and sizes read to people: which characters show nothing, and
//! sizes in binary units. Pure functions; the CLI and the core's messages
//! use them so every surface says the same thing.

/// Whether `c` draws nothing: white space, control characters, and the
/// Unicode `Default_Ignorable_Code_Point` set (zero-width spaces and
/// joiners, bidirectional marks, embeddings, overrides and isolates,
/// variation selectors, tag characters, Hangul fillers, the soft hyphen),
/// plus U+2800 BRAILLE PATTERN BLANK, which renders as a blank.
///
/// The ranges follow `DerivedCoreProperties.txt` (Unicode 15); the set is
/// stable, as Unicode reserves its unassigned parts for invisible use.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Whether `text` has at least one character that shows.
pub fn has_visible(text: &str) -> bool {
    !text.chars().all(is_invisible)
}

/// Whether `c` changes the direction text is laid out in (the Unicode
/// `Bidi_Control` set): printed raw, it can make a name read as another.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The longest name a file name becomes (file systems allow 255 bytes).
const MAX_FILE_NAME: usize = 255;

/// A file's name made fit to be a document's title and file name: file
/// systems allow any character but `/` and NUL, so control characters
/// become U+FFFD (the name stays recognisable, and nothing is refused for
/// its name); a name that shows nothing becomes "Unnamed file".
pub fn name_from_file(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .take(MAX_FILE_NAME)
        .collect();
    if has_visible(&cleaned) {
        cleaned
    } else {
        "Unnamed file".into()
    }
}

const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// A size and the number of bytes its text stands for.
fn shown(bytes: u64) -> (String, u64) {
    if bytes < 1024 {
        let unit = if bytes == 1 { "byte" } else { "bytes" };
        return (format!("{bytes} {unit}"), bytes);
    }
    // The largest unit the size has at least one of.
    let mut i = 0;
    while i + 1 < UNITS.len() && bytes >> (10 * (i + 2)) > 0 {
        i += 1;
    }
    let unit = 1u128 << (10 * (i + 1));
    let bytes = u128::from(bytes);
    if bytes % unit == 0 {
        let n = bytes / unit;
        return (
            format!("{n} {}", UNITS[i]),
            u64::try_from(n * unit).unwrap_or(u64::MAX),
        );
    }
    // Tenths, rounded down: a size never reads as more than it is.
    let tenths = bytes * 10 / unit;
    let text = format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[i]);
    (text, u64::try_from(tenths * unit / 10).unwrap_or(u64::MAX))
}

/// A size for people in binary units: "512 bytes", "1 MiB", "1.9 MiB".
/// Whole units have no decimals; other sizes have one, rounded down, so
/// a size never reads as more than it is.
pub fn size_text(bytes: u64) -> String {
    shown(bytes).0
}

/// "1.9 MiB, over the limit of 1 MiB" for a `size` above `limit`. When
/// rounding would make the two read alike (1 MiB and one byte against
/// 1 MiB), both are given in bytes.
pub fn over_limit_text(size: u64, limit: u64) -> String {
    let (size_shown, stands_for) = shown(size);
    if stands_for > limit {
        format!("{size_shown}, over the limit of {}", size_text(limit))
    } else {
        format!("{size} bytes, over the limit of {limit} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters() {
        for c in [
            ' ',
            '\t',
            '\n',
            '\u{0}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{a0}',
            '\u{ad}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{202e}',
            '\u{2066}',
            '\u{2069}',
            '\u{2028}',
            '\u{2060}',
            '\u{3000}',
            '\u{3164}',
            '\u{2800}',
            '\u{fe0f}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'Ä', 'ß', '中', 'ا', 'א', '-', '.', '0', '€', '\u{301}'] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
        assert!(!has_visible(""));
        assert!(!has_visible(" \u{200b}\u{202e}\u{2066}\u{feff} "));
        assert!(has_visible("\u{202e}Ada"));
        assert!(has_visible("\u{5d0}\u{200f}"));
    }

    #[test]
    fn file_names_become_names() {
        let check = |name: &str, expect: &str| assert_eq!(name_from_file(name), expect, "{name:?}");
        check("scan.pdf", "scan.pdf");
        check(" scan.pdf ", "scan.pdf");
        check("a\u{1b}[31mred.txt", "a\u{FFFD}[31mred.txt");
        check("line\nbreak.pdf", "line\u{FFFD}break.pdf");
        check("\u{202e}fdp.exe", "\u{202e}fdp.exe");
        check("\u{200b}", "Unnamed file");
        check("\u{200b}\u{7}", "\u{200b}\u{FFFD}");
        assert_eq!(name_from_file(&"n".repeat(1000)).chars().count(), 255);
    }

    #[test]
    fn bidi_controls() {
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_bidi_control(c), "U+{:04X}", c as u32);
        }
        for c in [
            'a', '\u{200b}', '\u{200d}', '\u{2065}', '\u{206a}', '\u{2029}',
        ] {
            assert!(!is_bidi_control(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn sizes_read_as_what_they_are() {
        let check = |bytes: u64, expect: &str| assert_eq!(size_text(bytes), expect, "{bytes}");
        check(0, "0 bytes");
        check(1, "1 byte");
        check(1023, "1023 bytes");
        check(1024, "1 KiB");
        check(1536, "1.5 KiB");
        check(1 << 20, "1 MiB");
        check((1 << 20) - 1, "1023.9 KiB");
        check(1_992_294, "1.8 MiB"); // 1.9 MiB less a byte: rounded down
        check(1_992_295, "1.9 MiB");
        check(2 << 30, "2 GiB");
        check(256 << 20, "256 MiB");
        check((256 << 20) + (1 << 19), "256.5 MiB");
        check(u64::MAX, "15.9 EiB");
    }

    #[test]
    fn over_the_limit_never_reads_as_at_or_under_it() {
        let mib = 1u64 << 20;
        assert_eq!(
            over_limit_text(1_992_295, mib),
            "1.9 MiB, over the limit of 1 MiB"
        );
        assert_eq!(
            over_limit_text(3 * mib, 2 * mib),
            "3 MiB, over the limit of 2 MiB"
        );
        assert_eq!(
            over_limit_text(mib + 1, mib),
            "1048577 bytes, over the limit of 1048576 bytes"
        );
        assert_eq!(
            over_limit_text(mib + 100_000, mib),
            "1148576 bytes, over the limit of 1048576 bytes"
        );
    }
}
