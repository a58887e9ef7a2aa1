//! Which names in the inbox are never documents: partial downloads and
//! editor or OS bookkeeping files.

/// Whether a file name is temporary or OS junk, never to be ingested (it
/// stays where it is).
pub fn is_junk(name: &str) -> bool {
    let lower = name.to_lowercase();
    const SUFFIXES: [&str; 6] = [".part", ".tmp", ".crdownload", ".partial", ".download", "~"];
    const NAMES: [&str; 3] = ["thumbs.db", "desktop.ini", ".ds_store"];
    lower.starts_with("~$")
        || lower.starts_with("._")
        || lower.starts_with('.')
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
        || NAMES.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::is_junk;

    #[test]
    fn junk_names() {
        for junk in [
            "scan.pdf.part",
            "upload.TMP",
            "~$letter.docx",
            ".DS_Store",
            "._scan.pdf",
            "Thumbs.db",
            "desktop.ini",
            "notes.txt~",
            ".hidden",
            "file.crdownload",
        ] {
            assert!(is_junk(junk), "{junk}");
        }
        for real in [
            "scan.pdf",
            "2026-0042_engagement.pdf",
            "Übersicht.docx",
            "part.pdf",
            "tmp.txt",
        ] {
            assert!(!is_junk(real), "{real}");
        }
    }
}
