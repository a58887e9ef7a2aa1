use super::*;

/// A one-page PDF; `text` is drawn with a standard font when given.
pub fn pdf_with(text: Option<&str>) -> Vec<u8> {
    let content = match text {
        Some(t) => format!("BT /F1 12 Tf 72 720 Td ({t}) Tj ET"),
        None => "0 0 1 rg 72 72 200 200 re f".to_string(),
    };
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A minimal DOCX whose body is `document_xml`.
pub fn docx_with(document_xml: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(document_xml.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn kinds_come_from_the_extension() {
    assert_eq!(Kind::of("Lease.PDF"), Kind::Pdf);
    assert_eq!(Kind::of("notes.md"), Kind::Text);
    assert_eq!(Kind::of("brief.docx"), Kind::Docx);
    assert_eq!(Kind::of("reply.eml"), Kind::Email);
    assert_eq!(Kind::of("scan.JPG"), Kind::Image);
    assert_eq!(Kind::of("archive.zip"), Kind::Other);
    assert_eq!(Kind::of("no-extension"), Kind::Other);
}

#[test]
fn a_pdf_text_layer_is_extracted() {
    match extract(Kind::Pdf, &pdf_with(Some("Quillfeather boundary survey"))) {
        Extraction::Text(t) => assert!(t.contains("Quillfeather boundary survey"), "{t:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pdf_without_text_is_recorded_as_having_none() {
    assert_eq!(extract(Kind::Pdf, &pdf_with(None)), Extraction::NoText);
}

#[test]
fn a_broken_pdf_is_unsupported_not_a_crash() {
    let mut bytes = pdf_with(Some("Quillfeather"));
    bytes.truncate(40);
    assert_eq!(extract(Kind::Pdf, &bytes), Extraction::Unsupported);
    assert_eq!(
        extract(Kind::Pdf, b"not a pdf at all"),
        Extraction::Unsupported
    );
}

#[test]
fn docx_paragraphs_become_lines() {
    let xml = r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Engagement letter for Zephyrine</w:t></w:r><w:r><w:t xml:space="preserve"> Moss &amp; Co</w:t></w:r></w:p>
<w:p><w:r><w:t>Fees</w:t><w:tab/><w:t>hourly</w:t></w:r></w:p></w:body></w:document>"#;
    match extract(Kind::Docx, &docx_with(xml)) {
        Extraction::Text(t) => assert_eq!(
            t,
            "Engagement letter for Zephyrine Moss & Co\nFees\thourly\n"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        extract(Kind::Docx, b"PK not really"),
        Extraction::Unsupported
    );
}

#[test]
fn email_headers_and_body_are_extracted() {
    let eml = b"From: Orla Brightwater <orla@example.invalid>\r\nTo: Desk <desk@example.invalid>\r\nSubject: Settlement offer\r\nDate: Tue, 3 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe offer stands until Friday.\r\n";
    match extract(Kind::Email, eml) {
        Extraction::Text(t) => {
            assert!(t.contains("Subject: Settlement offer"), "{t}");
            assert!(t.contains("Orla Brightwater <orla@example.invalid>"), "{t}");
            assert!(t.contains("The offer stands until Friday."), "{t}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn plain_text_and_images() {
    assert_eq!(
        extract(Kind::Text, "Ünïcode ok".as_bytes()),
        Extraction::Text("Ünïcode ok".into())
    );
    assert_eq!(extract(Kind::Text, b"   \n"), Extraction::NoText);
    assert_eq!(extract(Kind::Image, b"\x89PNG"), Extraction::NoText);
    assert_eq!(extract(Kind::Other, b"anything"), Extraction::Unsupported);
}

#[test]
fn text_is_capped_on_a_character_boundary() {
    let long = "é".repeat(MAX_TEXT); // two bytes each
    match extract(Kind::Text, long.as_bytes()) {
        Extraction::Text(t) => assert!(t.len() <= MAX_TEXT && t.chars().all(|c| c == 'é')),
        other => panic!("{other:?}"),
    }
}
