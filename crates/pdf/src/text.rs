//! Lines of visible text in a standard font (WinAnsiEncoding), with the
//! characters that encoding lacks kept as the line's `/ActualText`, so
//! search and copy still find them.

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

/// Operators showing `text` at (`x`, `y`) in `font` at `size` points.
/// Characters WinAnsi lacks show as `?`; the line then carries its real
/// text as `/ActualText` (UTF-16), which text extraction, search and copy
/// use instead of the glyphs, so nothing is lost. The text state is set in
/// full each time (render mode and scaling persist past `ET`).
pub(crate) fn show(font: &str, size: f32, x: f32, y: f32, text: &str) -> Vec<u8> {
    let (lit, complete) = literal(text);
    let mut out = Vec::new();
    if !complete {
        let mut actual = String::from("<FEFF");
        for u in text.encode_utf16() {
            actual.push_str(&format!("{u:04X}"));
        }
        actual.push('>');
        out.extend_from_slice(format!("/Span << /ActualText {actual} >> BDC\n").as_bytes());
    }
    out.extend_from_slice(
        format!("BT\n0 Tr\n100 Tz\n/{font} {size:.1} Tf\n1 0 0 1 {x:.2} {y:.2} Tm\n").as_bytes(),
    );
    out.extend_from_slice(&lit);
    out.extend_from_slice(b" Tj\nET\n");
    if !complete {
        out.extend_from_slice(b"EMC\n");
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
