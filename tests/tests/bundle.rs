//! The court bundle (#18 §1) and the searchable-PDF export (#15 §3)
//! through the `matterbox` binary, checked with the tools a court or a
//! recipient has: `qpdf --check` passes, poppler's `pdftotext` finds every
//! document's words (a scan's through the OCR text layer) and `pdfinfo`
//! counts the pages the index promises; `minisign` verifies the bundle's
//! detached signature. The markers are in clear nowhere but inside the
//! bundle; without `--unencrypted-court-bundle` nothing is written; a
//! writer killed mid-bundle leaves no file; a signed PDF is only copied.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use matterbox_tests::{COMMAND_LIMIT, Home, Run, fails_with, files_containing, run_within};
use sha2::{Digest, Sha256};

const PASS: &str = "a long test passphrase";
/// Each document's marker words (the scan's are in its image only).
const SCAN_WORDS: &str = "Thistlewood covenant";
const PDF_WORDS: &str = "Marigold easement";
const TEXT_WORDS: &str = "Wexcombe orchard";
const DOCX_WORDS: &str = "Bramblegate tenancy";

struct Vault {
    home: Home,
    tmp: PathBuf,
    /// Where the test makes its files (deleted once imported).
    src: PathBuf,
    out: PathBuf,
}

impl Vault {
    fn new() -> Vault {
        let home = Home::new();
        let tmp = home.path().join("tmp");
        let src = home.path().join("made-by-the-test");
        let out = home.path().join("out");
        for d in [&tmp, &src, &out] {
            std::fs::create_dir_all(d).unwrap();
        }
        let v = Vault {
            home,
            tmp,
            src,
            out,
        };
        v.run(&["vault", "create", "--danger-device-secret-in-plain-file"])
            .ok();
        v.run(&["client", "add", "--name", "Ada Fictional"]).ok();
        v.run(&[
            "matter",
            "open",
            "--client",
            "1",
            "--title",
            "Estate",
            "--opened",
            "2026-01-15",
        ])
        .ok();
        v
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.home.cmd();
        c.arg("--vault")
            .arg(self.home.vault_dir("v"))
            .args(args)
            .env("MATTERBOX_PASSPHRASE", PASS)
            .env("TMPDIR", &self.tmp);
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        run_within(&mut self.cmd(args), COMMAND_LIMIT).0
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all).ok().json()
    }

    /// Imports `file` (then deletes it) and returns the document's id.
    fn import(&self, file: &Path, title: &str) -> String {
        let d = self.json(&[
            "doc",
            "add",
            "2026-0001",
            file.to_str().unwrap(),
            "--title",
            title,
        ]);
        std::fs::remove_file(file).unwrap();
        d["id"].to_string()
    }

    /// A scanned PDF showing `text`: one 200 dpi gray image, wrapped by
    /// `img2pdf` without re-encoding.
    fn scan_pdf(&self, name: &str, text: &str) -> PathBuf {
        let png = self.src.join(format!("{name}.png"));
        let out = Command::new("convert")
            .args(["-size", "1700x600", "xc:white", "-font", "DejaVu-Sans"])
            .args(["-pointsize", "48", "-fill", "black"])
            .args(["-annotate", "+120+200", text])
            .args([
                "-density",
                "200",
                "-units",
                "PixelsPerInch",
                "-type",
                "Grayscale",
            ])
            .arg(&png)
            .output()
            .expect("ImageMagick convert");
        assert!(out.status.success(), "{out:?}");
        let pdf = self.src.join(name);
        let out = Command::new("img2pdf")
            .arg(&png)
            .arg("-o")
            .arg(&pdf)
            .output()
            .expect("img2pdf (scripts/setup.sh --test installs it)");
        assert!(out.status.success(), "{out:?}");
        std::fs::remove_file(&png).unwrap();
        pdf
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.src.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// A one-page PDF with `text` in its text layer (Helvetica); `signed` adds
/// a signature field with a `/ByteRange`, as a signing tool leaves it.
fn text_pdf(text: &str, signed: bool) -> Vec<u8> {
    let content = format!("BT /F1 18 Tf 72 700 Td ({text}) Tj ET");
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    if signed {
        objects[0] =
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] /SigFlags 3 >> >>".into();
        objects.push("<< /FT /Sig /T (Signature1) /V 7 0 R >>".into());
        objects.push(
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 100 200 300] /Contents <00> >>"
                .into(),
        );
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).into_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

/// A DOCX whose one paragraph is `text` (Python's zipfile).
fn docx(path: &Path, text: &str) {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nz.writestr('[Content_Types].xml', '<Types/>')\nz.writestr('word/document.xml', sys.argv[2])\nz.close()\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(xml)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
}

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (scripts/setup.sh --test installs it): {e}"))
}

/// `pdftotext` of pages `first..=last` (all when `None`), lowercased.
fn pdf_text(pdf: &Path, pages: Option<(usize, usize)>) -> String {
    pdf_text_with(pdf, pages, &[])
}

fn pdf_text_with(pdf: &Path, pages: Option<(usize, usize)>, extra: &[&str]) -> String {
    let mut args = extra.to_vec();
    let range;
    if let Some((f, l)) = pages {
        range = [f.to_string(), l.to_string()];
        args.extend(["-f", range[0].as_str(), "-l", range[1].as_str()]);
    }
    let p = pdf.to_str().unwrap();
    args.extend([p, "-"]);
    let out = tool("pdftotext", &args);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

fn pdf_pages(pdf: &Path) -> usize {
    let out = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages:")
}

fn qpdf_check(pdf: &Path) {
    let out = tool("qpdf", &["--check", pdf.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "qpdf --check failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How many dark pixels page `page` shows below its top 8% (where a text
/// page's title is) and above its bottom tenth (the page number), rendered by poppler's `pdftoppm` in gray: the
/// body is drawn visibly, not only present as text.
fn dark_pixels_below_title(pdf: &Path, page: usize) -> usize {
    let n = page.to_string();
    let out = tool(
        "pdftoppm",
        &[
            "-r",
            "100",
            "-gray",
            "-f",
            &n,
            "-l",
            &n,
            pdf.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    // PGM: "P5\n<w> <h>\n255\n" then one byte a pixel.
    let header: Vec<&[u8]> = out.stdout.splitn(4, |b| b.is_ascii_whitespace()).collect();
    let (w, h): (usize, usize) = (
        std::str::from_utf8(header[1]).unwrap().parse().unwrap(),
        std::str::from_utf8(header[2]).unwrap().parse().unwrap(),
    );
    let pixels = &out.stdout[out.stdout.len() - w * h..];
    // Between the title and the page number at the foot.
    pixels[w * (h * 8 / 100)..w * (h * 9 / 10)]
        .iter()
        .filter(|p| **p < 160)
        .count()
}

fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// A scan, a text PDF, a text file and a DOCX: refused without the
/// confirmation (nothing written), then one bundle that real tools accept,
/// whose index matches its pages, whose every document is found by its
/// words, signed beside it, recorded as a share — and its markers are in
/// clear nowhere else.
#[test]
fn a_court_bundle_is_checked_by_qpdf_searchable_by_pdftotext_and_recorded() {
    let v = Vault::new();
    let scan = v.scan_pdf("scan.pdf", &format!("The {SCAN_WORDS} holds"));
    let scan = v.import(&scan, "Scanned deed");
    let pdf = v.write(
        "letter.pdf",
        &text_pdf(&format!("The {PDF_WORDS} letter"), false),
    );
    let pdf = v.import(&pdf, "Letter of consent");
    let txt = v.write(
        "note.txt",
        format!("Attendance note: the {TEXT_WORDS} is sold.\n\nCompletion is set for spring.\nKeys are with the agent.\n").as_bytes(),
    );
    // A title beyond WinAnsi: shown as `?`, kept as the line's ActualText.
    let txt = v.import(&txt, "Attendance note, Łódź office");
    let docx_path = v.src.join("lease.docx");
    docx(
        &docx_path,
        &format!("The {DOCX_WORDS} agreement, signed by both parties and witnessed"),
    );
    let docx = v.import(&docx_path, "Lease");
    let ids = format!("{scan},{pdf},{txt},{docx}");
    let out = v.out.to_str().unwrap();

    // No confirmation: refused, nothing written, nothing recorded.
    fails_with(
        v.run(&["share", "court-bundle", "--documents", &ids, "--to", out]),
        6,
        "UNENCRYPTED",
    );
    assert!(files_in(&v.out).is_empty());
    assert!(v.json(&["share", "list"]).as_array().unwrap().is_empty());

    let created = v.json(&[
        "share",
        "court-bundle",
        "--documents",
        &ids,
        "--to",
        out,
        "--for",
        "County Court",
        "--unencrypted-court-bundle",
    ]);
    let files = files_in(&v.out);
    assert_eq!(files.len(), 2, "{files:?}");
    let bundle = PathBuf::from(created["share"]["filePath"].as_str().unwrap());
    assert!(bundle.extension().is_some_and(|e| e == "pdf"));
    assert_eq!(files[0], bundle);
    qpdf_check(&bundle);

    // Every document is found by its words, the scan's through OCR.
    let all = pdf_text(&bundle, None);
    for words in [SCAN_WORDS, PDF_WORDS, TEXT_WORDS, DOCX_WORDS, "Łódź office"] {
        assert!(
            all.contains(&words.to_lowercase()),
            "{words} not found in:\n{all}"
        );
    }
    // The index lists each title with its first page; that page shows the
    // document's words; the page count is what the index adds up to.
    let pages = pdf_pages(&bundle);
    assert_eq!(pages as u64, created["pages"].as_u64().unwrap());
    // Its rows read as rows with the layout kept.
    let index = pdf_text_with(&bundle, Some((1, 1)), &["-layout"]);
    let mut starts = Vec::new();
    for title in [
        "scanned deed",
        "letter of consent",
        "attendance note",
        "lease",
    ] {
        let row = index
            .lines()
            .find(|l| l.contains(title))
            .unwrap_or_else(|| panic!("{title} not in the index:\n{index}"));
        let page: usize = row.split_whitespace().last().unwrap().parse().unwrap();
        starts.push(page);
    }
    assert_eq!(starts[0], 2, "{index}");
    for (start, words) in starts
        .iter()
        .zip([SCAN_WORDS, PDF_WORDS, TEXT_WORDS, DOCX_WORDS])
    {
        let text = pdf_text(&bundle, Some((*start, *start)));
        assert!(text.contains(&words.to_lowercase()), "page {start}: {text}");
    }
    // The text file's and the DOCX's pages show their text, not just hold it.
    for start in &starts[2..] {
        assert!(
            dark_pixels_below_title(&bundle, *start) > 20,
            "page {start} shows no text"
        );
    }
    // One page each here: the last document ends on the last page.
    assert_eq!(*starts.last().unwrap(), pages);
    assert!(pdf_text(&bundle, Some((pages, pages))).contains(&format!("page {pages} of {pages}")));

    // The detached signature verifies with the vault's published key.
    let key = v.json(&["share", "signing-key"])["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let sig = tool(
        "minisign",
        &[
            "-Vm",
            bundle.to_str().unwrap(),
            "-x",
            files[1].to_str().unwrap(),
            "-P",
            &key,
        ],
    );
    assert!(sig.status.success(), "{sig:?}");

    // Recorded like every share: format pdf, no protection, each document
    // with its version and the vault's SHA-256, and the file's SHA-256.
    let share = &created["share"];
    assert_eq!(share["format"], "pdf");
    assert_eq!(share["protection"], "none");
    assert_eq!(share["recipient"], "County Court");
    assert_eq!(
        share["packageSha256"].as_str().unwrap(),
        sha256_file(&bundle)
    );
    assert_eq!(share["documents"].as_array().unwrap().len(), 4);
    let listed = v.json(&["share", "list", "--matter", "2026-0001"]);
    assert_eq!(listed[0]["id"], share["id"]);
    let audit = v.run(&["audit", "export"]).ok().stdout;
    assert!(
        audit.contains("share_created") && audit.contains("pdf"),
        "{audit}"
    );

    // Canary: in clear only inside the bundle (compressed there, so not
    // even there as bytes) — never under the vault or the temporary folder.
    for words in [PDF_WORDS, TEXT_WORDS, DOCX_WORDS, "Attendance note"] {
        let found: Vec<PathBuf> = files_containing(v.home.path(), words)
            .into_iter()
            .filter(|f| f != &bundle)
            .collect();
        assert!(found.is_empty(), "{words} in clear in {found:?}");
    }
    assert!(files_in(&v.tmp).is_empty(), "{:?}", files_in(&v.tmp));
}

/// A searchable export of a scan: `pdftotext` finds its words, `qpdf`
/// accepts it, and the stored original is unchanged (its SHA-256, and a
/// plain export of it, are what they were). A signed PDF and a PDF with
/// text are copied byte for byte.
#[test]
fn a_searchable_export_finds_the_words_and_leaves_the_original_and_signed_pdfs_alone() {
    let v = Vault::new();
    let scan_file = v.scan_pdf("scan.pdf", &format!("The {SCAN_WORDS} holds"));
    let scan_sha = sha256_file(&scan_file);
    let scan = v.import(&scan_file, "Scanned deed");
    let signed_bytes = text_pdf(&format!("The {PDF_WORDS} signed"), true);
    let signed = v.import(&v.write("signed.pdf", &signed_bytes), "Signed");
    let texty_bytes = text_pdf("Already text", false);
    let texty = v.import(&v.write("texty.pdf", &texty_bytes), "Texty");

    let searchable = v.out.join("scan-searchable.pdf");
    let run = v.run(&[
        "doc",
        "export",
        &scan,
        "--searchable",
        "--output",
        searchable.to_str().unwrap(),
    ]);
    let run = run.ok();
    assert!(
        run.stderr.contains("Recognising text: page 1 of 1"),
        "{}",
        run.stderr
    );
    qpdf_check(&searchable);
    assert!(pdf_text(&searchable, None).contains(&SCAN_WORDS.to_lowercase()));
    assert_eq!(pdf_pages(&searchable), 1);

    // The original in the vault is unchanged.
    let shown = v.json(&["doc", "show", &scan]);
    assert_eq!(shown["versions"].as_array().unwrap().len(), 1);
    assert_eq!(shown["versions"][0]["sha256"].as_str().unwrap(), scan_sha);
    let plain = v.out.join("scan-plain.pdf");
    v.run(&["doc", "export", &scan, "--output", plain.to_str().unwrap()])
        .ok();
    assert_eq!(sha256_file(&plain), scan_sha);

    for (id, bytes, name, says) in [
        (
            &signed,
            &signed_bytes,
            "signed-copy.pdf",
            "digitally signed",
        ),
        (
            &texty,
            &texty_bytes,
            "texty-copy.pdf",
            "already has a text layer",
        ),
    ] {
        let dest = v.out.join(name);
        let run = v
            .run(&[
                "doc",
                "export",
                id,
                "--searchable",
                "--output",
                dest.to_str().unwrap(),
            ])
            .ok();
        assert!(run.stdout.contains(says), "{}", run.stdout);
        assert_eq!(
            &std::fs::read(&dest).unwrap(),
            bytes,
            "{name} was rewritten"
        );
    }
    // An export never replaces a file.
    fails_with(
        v.run(&[
            "doc",
            "export",
            &scan,
            "--searchable",
            "--output",
            searchable.to_str().unwrap(),
        ]),
        6,
        "",
    );
    assert!(files_in(&v.tmp).is_empty());
}

/// A document that cannot be laid out as pages is refused by name before
/// anything is written, as is a bundle of nothing.
#[test]
fn an_unrenderable_document_is_refused_by_name_and_nothing_is_written() {
    let v = Vault::new();
    let txt = v.import(&v.write("a.txt", b"fine text"), "Fine note");
    let bin = v.import(&v.write("blob.bin", &[0u8, 1, 2, 3, 255]), "Opaque exhibit");
    let out = v.out.to_str().unwrap();
    fails_with(
        v.run(&[
            "share",
            "court-bundle",
            "--documents",
            &format!("{txt},{bin}"),
            "--to",
            out,
            "--unencrypted-court-bundle",
        ]),
        6,
        "\u{201c}Opaque exhibit\u{201d}",
    );
    assert!(files_in(&v.out).is_empty());
    assert!(v.json(&["share", "list"]).as_array().unwrap().is_empty());
}

/// kill -9 while the bundle is being written: no file under any name in
/// the destination, no share recorded, and the next attempt completes.
#[test]
fn a_writer_killed_mid_bundle_leaves_no_file() {
    let v = Vault::new();
    let body = format!("{TEXT_WORDS} line\n").repeat(6_000);
    let txt = v.import(&v.write("long.txt", body.as_bytes()), "Long note");
    let mut c = v.cmd(&[
        "share",
        "court-bundle",
        "--documents",
        &txt,
        "--to",
        v.out.to_str().unwrap(),
        "--unencrypted-court-bundle",
    ]);
    c.env("MATTERBOX_DANGER_TEST_BUNDLE_STALL", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("bundle writer stalled") {
                let _ = tx.send(());
            }
        }
    });
    let stalled = rx.recv_timeout(Duration::from_secs(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        stalled.is_ok(),
        "the writer never reached the middle of the bundle"
    );
    assert!(files_in(&v.out).is_empty(), "{:?}", files_in(&v.out));
    assert!(v.json(&["share", "list"]).as_array().unwrap().is_empty());
    assert!(files_containing(v.home.path(), TEXT_WORDS).is_empty());

    v.json(&[
        "share",
        "court-bundle",
        "--documents",
        &txt,
        "--to",
        v.out.to_str().unwrap(),
        "--unencrypted-court-bundle",
    ]);
    assert_eq!(files_in(&v.out).len(), 2);
}
