//! Lines of visible text in a standard font (WinAnsiEncoding), with the
//! characters that encoding lacks kept in an invisible glyph-less copy of
//! the line, so search and copy still find them.

use crate::{LAYER_FONT, utf16_hex};

/// The WinAnsi byte for a character, if it has one.
pub(crate) fn win_ansi(c: char) -> Option<u8> {
    const HIGH: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    let u = c as u32;
    if (0x20..0x7F).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    HIGH.iter().find(|(h, _)| *h == c).map(|(_, b)| *b)
}

/// A PDF literal string of WinAnsi bytes; `?` for what has none. Returns
/// whether every character was encoded.
fn literal(text: &str) -> (Vec<u8>, bool) {
    let mut out = vec![b'('];
    let mut complete = true;
    for c in text.chars() {
        let b = win_ansi(c).unwrap_or_else(|| {
            complete = false;
            b'?'
        });
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    (out, complete)
}

/// Operators showing `text` at (`x`, `y`) in `font` at `size` points, whose
/// glyphs are `advance` × size wide (Courier: 0.6). Characters WinAnsi
/// lacks show as `?` and are written again, invisibly, in the glyph-less
/// font over the same width.
pub(crate) fn show(font: &str, size: f32, advance: f32, x: f32, y: f32, text: &str) -> Vec<u8> {
    let mut out = format!("BT\n/{font} {size:.1} Tf\n1 0 0 1 {x:.2} {y:.2} Tm\n").into_bytes();
    let (lit, complete) = literal(text);
    out.extend_from_slice(&lit);
    out.extend_from_slice(b" Tj\nET\n");
    if !complete {
        let (hex, units) = utf16_hex(text);
        let width = text.chars().count() as f32 * size * advance;
        let natural = units as f32 * size * 0.5;
        let scale = if natural > 0.0 {
            100.0 * width / natural
        } else {
            100.0
        };
        out.extend_from_slice(
            format!(
                "BT\n3 Tr\n/{LAYER_FONT} {size:.1} Tf\n{scale:.2} Tz\n1 0 0 1 {x:.2} {y:.2} Tm\n{hex} Tj\nET\n"
            )
            .as_bytes(),
        );
    }
    out
}

/// Splits text into lines of at most `columns` characters: tabs become
/// spaces, control characters go, long lines wrap at a space where there
/// is one.
pub(crate) fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for raw in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        let clean: String = raw
            .replace('\t', "    ")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let mut rest: Vec<char> = clean.trim_end().chars().collect();
        if rest.is_empty() {
            lines.push(String::new());
            continue;
        }
        while rest.len() > columns {
            let cut = rest[..=columns]
                .iter()
                .rposition(|c| *c == ' ')
                .filter(|&i| i > columns / 2)
                .unwrap_or(columns);
            lines.push(
                rest[..cut]
                    .iter()
                    .collect::<String>()
                    .trim_end()
                    .to_string(),
            );
            rest = rest[cut..]
                .iter()
                .copied()
                .skip_while(|c| *c == ' ')
                .collect();
        }
        lines.push(rest.into_iter().collect());
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Cuts `text` to `columns` characters, with an ellipsis when cut.
pub(crate) fn fit(text: &str, columns: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= columns {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(columns.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
