//! The text of a document, for the search index and the text preview.
//!
//! Everything works on bytes in memory: the caller decides where they come
//! from (a file being imported, a decrypted version) and the text only ever
//! goes into the encrypted database. Documents are untrusted input: sizes
//! are capped, decompression is bounded, and a parser that panics yields
//! "unsupported", never a crash.

use std::io::Read;

/// The most text kept per document.
pub const MAX_TEXT: usize = 16 << 20;
/// The largest file whose text is extracted (PDF, DOCX, e-mail).
pub const MAX_INPUT: u64 = 128 << 20;

/// What kind of file a name is, for extraction and preview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Pdf,
    Docx,
    Email,
    Image,
    Other,
}

impl Kind {
    /// The kind by file name extension (case-insensitive).
    pub fn of(name: &str) -> Kind {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "txt" | "text" | "md" | "markdown" | "csv" | "log" => Kind::Text,
            "pdf" => Kind::Pdf,
            "docx" => Kind::Docx,
            "eml" => Kind::Email,
            "png" | "jpg" | "jpeg" | "gif" | "bmp" | "webp" | "tif" | "tiff" | "heic" => {
                Kind::Image
            }
            _ => Kind::Other,
        }
    }

    /// Whether extraction reads this kind at all.
    pub fn has_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Pdf | Kind::Docx | Kind::Email)
    }
}

/// The outcome of extraction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Extraction {
    Text(String),
    /// The kind carries text but this file has none (an image-only scan).
    NoText,
    /// Extraction does not handle this kind, or the file could not be parsed.
    Unsupported,
}

/// The name of the thread [`extract_within`] parses on. A panic there is
/// contained (the file is `Unsupported`): the shells' panic hook records it
/// without telling the user.
pub const THREAD_NAME: &str = "extract";

/// Extracts the text of a file of `kind` from its bytes.
pub fn extract(kind: Kind, bytes: &[u8]) -> Extraction {
    if kind == Kind::Image {
        return Extraction::NoText;
    }
    if !kind.has_text() || bytes.len() as u64 > MAX_INPUT {
        return Extraction::Unsupported;
    }
    let parsed = std::panic::catch_unwind(|| match kind {
        Kind::Text => Some(String::from_utf8_lossy(bytes).into_owned()),
        Kind::Pdf => pdf(bytes),
        Kind::Docx => docx(bytes),
        Kind::Email => email(bytes),
        Kind::Image | Kind::Other => None,
    });
    match parsed {
        Ok(Some(text)) => {
            let text = tidy(text);
            if text.trim().is_empty() {
                Extraction::NoText
            } else {
                Extraction::Text(text)
            }
        }
        Ok(None) | Err(_) => Extraction::Unsupported,
    }
}

/// How long extraction of a file of `len` bytes may take before it is
/// given up: 30 s, plus 1 s per MiB.
pub fn time_limit(len: usize) -> std::time::Duration {
    std::time::Duration::from_secs(30 + (len >> 20) as u64)
}

/// [`extract`] on a thread of its own, given up after `limit`: some
/// malformed files make a parser run forever (a 1 KB PDF that pdf-extract
/// never finishes was found by fuzzing), and such a file must not hold up
/// an import. A file given up on is `Unsupported`, like any file that
/// could not be parsed. `stop` is asked every 10 ms; when it says so, the
/// wait ends with `None` (a lock: the caller stops its work).
///
/// A parser cannot be interrupted: the thread given up on runs on until
/// it ends or the process exits, and then drops `bytes`.
pub fn extract_within<B: AsRef<[u8]> + Send + 'static>(
    kind: Kind,
    bytes: B,
    limit: std::time::Duration,
    stop: &dyn Fn() -> bool,
) -> std::io::Result<Option<Extraction>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(THREAD_NAME.into())
        .spawn(move || {
            let _ = tx.send(extract(kind, bytes.as_ref()));
        })?;
    let deadline = std::time::Instant::now() + limit;
    loop {
        if stop() {
            return Ok(None);
        }
        match rx.recv_timeout(std::time::Duration::from_millis(10)) {
            Ok(extraction) => return Ok(Some(extraction)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if std::time::Instant::now() >= deadline {
                    return Ok(Some(Extraction::Unsupported));
                }
            }
            // `extract` turns a parser's panic into `Unsupported`; a
            // thread gone without an answer means the same.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Ok(Some(Extraction::Unsupported));
            }
        }
    }
}

/// Caps the text at [`MAX_TEXT`] on a character boundary and drops NULs.
fn tidy(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    if text.contains('\0') {
        text = text.replace('\0', "");
    }
    text
}

fn pdf(bytes: &[u8]) -> Option<String> {
    pdf_extract::extract_text_from_mem(bytes).ok()
}

/// The paragraphs of `word/document.xml`, one per line.
fn docx(bytes: &[u8]) -> Option<String> {
    use quick_xml::events::Event;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut xml = Vec::new();
    archive
        .by_name("word/document.xml")
        .ok()?
        .take(MAX_INPUT)
        .read_to_end(&mut xml)
        .ok()?;
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut text = String::new();
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "t" => in_text = true,
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => text.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => text.push('\t'),
                "br" | "cr" => text.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => {
                text.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0))
            }
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    match r.as_ref() {
                        "amp" => text.push('&'),
                        "lt" => text.push('<'),
                        "gt" => text.push('>'),
                        "quot" => text.push('"'),
                        "apos" => text.push('\''),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if text.len() > MAX_TEXT {
            break;
        }
        buf.clear();
    }
    Some(text)
}

/// Subject, sender, recipients, date and the text parts of an e-mail.
fn email(bytes: &[u8]) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse(bytes)?;
    let mut text = String::new();
    let addresses = |a: Option<&mail_parser::Address>| {
        a.map(|a| {
            a.iter()
                .map(|x| match (x.name(), x.address()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (Some(n), None) => n.to_string(),
                    (None, Some(e)) => e.to_string(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    if let Some(s) = message.subject() {
        text.push_str(&format!("Subject: {s}\n"));
    }
    text.push_str(&format!("From: {}\n", addresses(message.from())));
    text.push_str(&format!("To: {}\n", addresses(message.to())));
    if let Some(d) = message.date() {
        text.push_str(&format!("Date: {}\n", d.to_rfc3339()));
    }
    text.push('\n');
    for i in 0..message.text_body.len() {
        if let Some(body) = message.body_text(i) {
            text.push_str(&body);
            text.push('\n');
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests;
