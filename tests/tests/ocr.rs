//! Text recognition of scans through the `matterbox` binary, with the real
//! Tesseract (installed by `scripts/setup.sh --test`): scans made here
//! (text rendered by ImageMagick with DejaVu Sans, wrapped by `img2pdf`),
//! imported or dropped into the inbox, recognised by `ocr run` or `inbox
//! watch`, found by search on the right page, never in clear on disk.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lopdf::dictionary;
use matterbox_tests::{COMMAND_LIMIT, Home, Run, files_containing, run_within};

const PASS: &str = "a long test passphrase";
const WAIT: Duration = Duration::from_secs(300);

struct Vault {
    home: Home,
    /// A private temporary folder for every command (TMPDIR).
    tmp: PathBuf,
    /// Where the test makes its scans (outside everything checked).
    src: PathBuf,
}

impl Vault {
    fn new() -> Vault {
        let home = Home::new();
        let tmp = home.path().join("tmp");
        let src = home.path().join("made-by-the-test");
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::create_dir_all(&src).unwrap();
        let v = Vault { home, tmp, src };
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

    /// A scanned PDF whose page `i` shows `lines[i]`, made as a scanner
    /// would: one 200 dpi gray image per page, wrapped without re-encoding.
    fn scan_pdf(&self, name: &str, pages: &[&str]) -> PathBuf {
        let mut images = Vec::new();
        for (i, text) in pages.iter().enumerate() {
            let png = self.src.join(format!("{name}-{i}.png"));
            render(text, &png);
            images.push(png);
        }
        let pdf = self.src.join(name);
        let out = Command::new("img2pdf")
            .args(&images)
            .arg("-o")
            .arg(&pdf)
            .output()
            .expect("img2pdf (scripts/setup.sh --test installs it)");
        assert!(out.status.success(), "{out:?}");
        pdf
    }

    fn import(&self, file: &Path) -> String {
        let d = self.json(&["doc", "add", "2026-0001", file.to_str().unwrap()]);
        d["id"].to_string()
    }

    fn search(&self, words: &str) -> Vec<serde_json::Value> {
        self.json(&["search", words])["hits"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn ocr_of(&self, id: &str) -> serde_json::Value {
        self.json(&["doc", "show", id])["ocr"].clone()
    }
}

/// Renders `text` (lines separated by `\n`) as a 200 dpi gray page image.
fn render(text: &str, png: &Path) {
    let mut c = Command::new("convert");
    c.args(["-size", "1700x900", "xc:white", "-font", "DejaVu-Sans"])
        .args(["-pointsize", "40", "-fill", "black"]);
    for (i, line) in text.lines().enumerate() {
        c.args(["-annotate", &format!("+100+{}", 150 + 110 * i), line]);
    }
    let out = c
        .args([
            "-density",
            "200",
            "-units",
            "PixelsPerInch",
            "-type",
            "Grayscale",
        ])
        .arg(png)
        .output()
        .expect("ImageMagick convert");
    assert!(out.status.success(), "{out:?}");
}

/// Everything below `dirs` holding `word` in clear.
fn in_clear(dirs: &[&Path], word: &str) -> Vec<PathBuf> {
    dirs.iter()
        .filter(|d| d.exists())
        .flat_map(|d| files_containing(d, word))
        .collect()
}

/// A three-page scan is found by a word on its third page, and the hit
/// names page 3. Its canary words are found by search and appear in clear
/// nowhere under the vault, the temporary folder or the user's cache, and
/// the recognised text took no temporary file of its own.
#[test]
fn a_three_page_scan_is_found_by_a_word_on_page_three_and_nothing_is_in_clear() {
    let v = Vault::new();
    let pdf = v.scan_pdf(
        "deposition.pdf",
        &[
            "Deposition of the first witness\nThe weather was mild that morning",
            "The second page speaks of the lease\nand of the garden wall",
            "On the third page the witness said\nPelican Quarantine Zanzibar",
        ],
    );
    let id = v.import(&pdf);
    assert_eq!(v.ocr_of(&id)["status"], "queued");
    let report = v.json(&["ocr", "run"]);
    assert_eq!(report["pages"], 3, "{report}");
    assert_eq!(report["done"], 1, "{report}");
    let ocr = v.ocr_of(&id);
    assert_eq!(ocr["status"], "done", "{ocr}");
    assert_eq!(ocr["pageCount"], 3);
    assert!(ocr["meanConfidence"].as_u64().unwrap() >= 80, "{ocr}");

    let hits = v.search("zanzibar");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["documentId"].to_string(), id);
    assert_eq!(hits[0]["page"], 3, "{hits:?}");
    let hits = v.search("garden wall");
    assert_eq!(hits[0]["page"], 2, "{hits:?}");
    // The human output says the page too.
    let shown = v.run(&["search", "pelican"]).ok().stdout;
    assert!(shown.contains("(page 3)"), "{shown}");

    let vault = v.home.vault_dir("v");
    let cache = v.home.path().join(".cache");
    for word in ["Zanzibar", "Pelican", "Quarantine", "garden wall"] {
        let found = in_clear(&[&vault, &v.tmp, &cache], word);
        assert!(found.is_empty(), "{word} in clear in {found:?}");
    }
    let left: Vec<_> = std::fs::read_dir(&v.tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// `ocr run` killed (SIGKILL) in the middle of a six-page scan: the next
/// run starts at the page after the last one recorded, and in the end
/// every page is recorded once and at most the page in flight was started
/// twice.
#[test]
fn a_run_killed_mid_document_resumes_at_the_next_page() {
    let v = Vault::new();
    const WORDS: [&str; 6] = [
        "walrus", "quokka", "narwhal", "axolotl", "pangolin", "okapi",
    ];
    let pages: Vec<String> = WORDS
        .iter()
        .map(|w| format!("A transcript page of the hearing\nThe keyword here is {w}"))
        .collect();
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let id = v.import(&v.scan_pdf("transcript.pdf", &pages));

    let mut child = v
        .cmd(&["ocr", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + WAIT;
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("ocr run reported no second page");
        if line.contains("page 2 of 6") {
            break;
        }
    }
    // Recognition runs below the process's normal priority.
    let nice = wait_for_recognition_nice(child.id());
    assert_eq!(nice, 10, "the recognition thread's nice value");
    child.kill().unwrap();
    child.wait().unwrap();
    let ocr = v.ocr_of(&id);
    let recorded = ocr["pagesDone"].as_u64().unwrap();
    assert!((2..6).contains(&recorded), "{ocr}");
    assert_eq!(ocr["status"], "running", "{ocr}");

    let rerun = v.run(&["ocr", "run"]).ok();
    let redone: Vec<&str> = rerun
        .stderr
        .lines()
        .filter(|l| l.starts_with("OCR: "))
        .collect();
    assert_eq!(redone.len() as u64, 6 - recorded, "{redone:?}");
    assert!(
        redone[0].contains(&format!("page {} of 6", recorded + 1)),
        "{redone:?}"
    );
    let ocr = v.ocr_of(&id);
    assert_eq!(ocr["status"], "done", "{ocr}");
    assert_eq!(ocr["pagesDone"], 6);
    let attempts = ocr["attempts"].as_u64().unwrap();
    assert!(
        (6..=7).contains(&attempts),
        "six pages started {attempts} times: {ocr}"
    );
    for (i, word) in WORDS.iter().enumerate() {
        let hits = v.search(word);
        assert_eq!(hits.len(), 1, "{word}: {hits:?}");
        assert_eq!(hits[0]["page"], i + 1, "{hits:?}");
    }
}

/// The nice value of process `pid`'s recognition thread (`matterbox-ocr`),
/// read from `/proc` once one is running.
fn wait_for_recognition_nice(pid: u32) -> i32 {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the process runs");
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() != "matterbox-ocr" {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            // After the command's closing parenthesis: state is field 3,
            // nice field 19.
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            if let Some(nice) = rest.split(' ').nth(16).and_then(|n| n.parse().ok()) {
                return nice;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no recognition thread was seen running");
}

/// The CRC-32 of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A decompression bomb (a PNG declaring 30,000 × 30,000 pixels in a few
/// bytes) and a damaged JPEG end `failed` with their reasons, listed by
/// `ocr status`; nothing crashes and the queue goes on to a good scan.
#[test]
fn a_decompression_bomb_and_a_corrupt_image_fail_with_their_reasons() {
    let v = Vault::new();
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&30_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut bomb, b"IHDR", &ihdr);
    png_chunk(
        &mut bomb,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut bomb, b"IEND", &[]);
    let bomb_file = v.src.join("bomb.png");
    std::fs::write(&bomb_file, &bomb).unwrap();
    let corrupt_file = v.src.join("photo.jpg");
    let mut corrupt = vec![0xFF, 0xD8, 0xFF, 0xE0];
    corrupt.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&corrupt_file, &corrupt).unwrap();
    let bomb_id = v.import(&bomb_file);
    let corrupt_id = v.import(&corrupt_file);
    let good = v.import(&v.scan_pdf("good.pdf", &["A plain page about the orchard"]));

    let report = v.json(&["ocr", "run"]);
    assert_eq!(report["failed"], 2, "{report}");
    assert_eq!(report["done"], 1, "{report}");
    let bomb_ocr = v.ocr_of(&bomb_id);
    assert_eq!(bomb_ocr["status"], "failed", "{bomb_ocr}");
    let reason = bomb_ocr["reason"].as_str().unwrap();
    assert!(
        reason.contains("30000") && reason.contains("refused"),
        "{reason}"
    );
    let corrupt_ocr = v.ocr_of(&corrupt_id);
    assert_eq!(corrupt_ocr["status"], "failed", "{corrupt_ocr}");
    assert!(
        corrupt_ocr["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let status = v.json(&["ocr", "status"]);
    assert_eq!(status["failed"], 2, "{status}");
    let listed: Vec<String> = status["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["documentId"].to_string())
        .collect();
    assert!(
        listed.contains(&bomb_id) && listed.contains(&corrupt_id),
        "{status}"
    );
    let human = v.run(&["ocr", "status"]).ok().stdout;
    assert!(human.contains("recognition failed: "), "{human}");
    assert_eq!(v.search("orchard")[0]["documentId"].to_string(), good);

    // A retry queues it again (and fails again, for the same reason).
    let again = v.json(&["doc", "ocr", &bomb_id, "--redo"]);
    assert_eq!(again["status"], "queued");
    assert_eq!(again["mode"], "redo");
}

/// A scan dropped into a matter's subfolder of the inbox is searchable by
/// its words with no user action: `inbox watch` ingests and recognises it.
#[test]
fn an_inbox_scan_in_a_matter_subfolder_becomes_searchable() {
    let v = Vault::new();
    let inbox = v.home.path().join("inbox");
    v.run(&[
        "inbox",
        "settings",
        "--folder",
        inbox.to_str().unwrap(),
        "--quiet-ms",
        "300",
    ])
    .ok();
    let scan = v.scan_pdf(
        "letter.pdf",
        &["Letter from the landlord\nabout the Marmalade clause"],
    );
    let mut watcher = v
        .cmd(&["--json", "inbox", "watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let out = watcher.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    // The folder exists once the watcher has started.
    let deadline = Instant::now() + WAIT;
    while !inbox.exists() {
        assert!(Instant::now() < deadline, "the inbox folder was not made");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sub = inbox.join("2026-0001");
    std::fs::create_dir_all(&sub).unwrap();
    let staging = inbox.join(".letter.pdf.part");
    std::fs::copy(&scan, &staging).unwrap();
    std::fs::rename(&staging, sub.join("letter.pdf")).unwrap();
    let mut seen = Vec::new();
    let done = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = lines.recv_timeout(left) else {
            let _ = watcher.kill();
            panic!("no recognised scan within {WAIT:?}: {seen:?}");
        };
        if event["ocr"]["status"] == "done" {
            break event;
        }
        seen.push(event);
    };
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(
        seen.iter()
            .any(|e| e["ingested"]["matterNumber"] == "2026-0001"),
        "{seen:?}"
    );
    let hits = v.search("marmalade");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["documentId"], done["ocr"]["documentId"]);
    assert_eq!(hits[0]["matterNumber"], "2026-0001");
    assert_eq!(hits[0]["page"], 1);
}

/// How many scans the app recognises at once: automatic by default, a
/// count kept, nonsense refused with the setting unchanged.
#[test]
fn the_worker_count_is_a_vault_setting() {
    let v = Vault::new();
    let shown = v.json(&["settings", "ocr-workers"]);
    assert_eq!(shown["ocrWorkers"], 0, "{shown}");
    let automatic = shown["automatic"].as_u64().unwrap();
    assert!((1..=4).contains(&automatic), "{shown}");
    assert_eq!(shown["inUse"], automatic, "{shown}");
    let set = v.json(&["settings", "ocr-workers", "3"]);
    assert_eq!(
        (set["ocrWorkers"].as_u64(), set["inUse"].as_u64()),
        (Some(3), Some(3)),
        "{set}"
    );
    for bad in ["0", "9", "two", "-1"] {
        let refused = v.run(&["settings", "ocr-workers", "--", bad]);
        assert_ne!(refused.code, 0, "{bad}");
        assert!(
            refused.stderr.contains("1 to 8") || refused.stderr.contains("between 1 and 8"),
            "{bad}: {}",
            refused.stderr
        );
    }
    assert_eq!(v.json(&["settings", "ocr-workers"])["ocrWorkers"], 3);
    let auto = v.json(&["settings", "ocr-workers", "auto"]);
    assert_eq!(auto["ocrWorkers"], 0, "{auto}");
}

#[test]
fn the_vault_setting_chooses_the_languages_and_refuses_one_not_installed() {
    let v = Vault::new();
    let shown = v.json(&["settings", "ocr-languages"]);
    assert_eq!(shown["ocrLanguages"], serde_json::json!(["eng"]), "{shown}");
    let installed: Vec<&str> = shown["installed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    // ./scripts/setup.sh --test installs English and German.
    assert!(
        installed.contains(&"eng") && installed.contains(&"deu"),
        "{shown}"
    );
    assert!(
        !installed.contains(&"osd"),
        "orientation data is no language"
    );

    // A language whose data is missing is refused, naming its package, and
    // the setting stays as it was.
    let refused = v.run(&["settings", "ocr-languages", "eng", "fin"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("tesseract-ocr-fin"),
        "{}",
        refused.stderr
    );
    let bad = v.run(&["settings", "ocr-languages", "../eng"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("not a Tesseract language code"),
        "{}",
        bad.stderr
    );
    assert_eq!(
        v.json(&["settings", "ocr-languages"])["ocrLanguages"],
        serde_json::json!(["eng"])
    );

    // Chosen: new scans are queued in those languages.
    let set = v.json(&["settings", "ocr-languages", "deu", "eng"]);
    assert_eq!(
        set["ocrLanguages"],
        serde_json::json!(["deu", "eng"]),
        "{set}"
    );
    let id = v.import(&v.scan_pdf("brief.pdf", &["Ein Brief an die fiktive Kanzlei"]));
    let job = v.ocr_of(&id);
    assert_eq!(job["languages"], serde_json::json!(["deu", "eng"]), "{job}");
    let report = v.json(&["ocr", "run"]);
    assert_eq!(report["done"], 1, "{report}");
    assert!(!v.search("Kanzlei").is_empty());
}

/// A conflict check finds a name in a scan's recognised text: the
/// document hit names the page the name is on and says it was found in
/// the recognised (OCR) text; the name is in clear nowhere.
#[test]
fn a_conflict_check_finds_a_name_on_the_page_of_a_scan_that_shows_it() {
    let v = Vault::new();
    let pdf = v.scan_pdf(
        "letter.pdf",
        &[
            "A letter about the estate\nThe weather was mild that morning",
            "Signed for the buyer by\nPerpetua Quillfeather",
        ],
    );
    let id = v.import(&pdf);
    let report = v.json(&["ocr", "run"]);
    assert_eq!(report["done"], 1, "{report}");

    let check = v.json(&["conflict", "check", "Quillfeather, Perpetua"]);
    assert_eq!(check["documentCounts"][0]["total"], 1, "{check:#}");
    let hit = &check["documentHits"][0];
    assert_eq!(hit["documentId"].to_string(), id);
    assert_eq!(hit["page"], 2, "{hit}");
    assert_eq!(hit["clientName"], "Ada Fictional");
    let why = hit["why"].as_str().unwrap();
    assert!(
        why.contains("recognised (OCR) text, best on page 2"),
        "{why}"
    );
    let shown = v
        .run(&["conflict", "show", &check["id"].to_string()])
        .ok()
        .stdout;
    assert!(shown.contains("(client Ada Fictional), page 2"), "{shown}");

    let vault = v.home.vault_dir("v");
    let cache = v.home.path().join(".cache");
    for word in ["Quillfeather", "Perpetua"] {
        let found = in_clear(&[&vault, &v.tmp, &cache], word);
        assert!(found.is_empty(), "{word} in clear in {found:?}");
    }
}

/// Runs ImageMagick's `convert` with `args`.
fn convert(args: &[&str]) {
    let out = Command::new("convert")
        .args(args)
        .output()
        .expect("ImageMagick convert");
    assert!(out.status.success(), "{out:?}");
}

/// An image XObject of `data` with `entries`.
fn image(entries: Vec<(&str, lopdf::Object)>, data: Vec<u8>) -> lopdf::Stream {
    let mut dict = dictionary! { "Type" => "XObject", "Subtype" => "Image" };
    for (k, v) in entries {
        dict.set(k, v);
    }
    lopdf::Stream::new(dict, data)
}

fn jpeg(path: &Path, width: i64, height: i64) -> lopdf::Stream {
    image(
        vec![
            ("Width", width.into()),
            ("Height", height.into()),
            ("ColorSpace", "DeviceGray".into()),
            ("BitsPerComponent", 8.into()),
            ("Filter", "DCTDecode".into()),
        ],
        std::fs::read(path).unwrap(),
    )
}

/// One page of a hand-made PDF: its MediaBox, `/Rotate`, content, and
/// the XObjects it names.
struct PdfPage {
    media_box: [i64; 4],
    rotate: i64,
    content: String,
    xobjects: Vec<(&'static str, lopdf::Object)>,
}

/// A PDF of `pages`, written with lopdf. `objects` holds streams the
/// pages' XObjects refer to (added first, in order, as objects 1, 2, …).
fn write_pdf(objects: Vec<lopdf::Stream>, pages: Vec<PdfPage>) -> Vec<u8> {
    use lopdf::{Document, Object};
    let mut doc = Document::with_version("1.5");
    for o in objects {
        doc.add_object(o);
    }
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for p in pages {
        let mut xobjects = lopdf::Dictionary::new();
        for (name, o) in p.xobjects {
            let id = match o {
                Object::Reference(id) => id,
                other => doc.add_object(other),
            };
            xobjects.set(name, id);
        }
        let content = doc.add_object(lopdf::Stream::new(dictionary! {}, p.content.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! { "XObject" => xobjects },
            "MediaBox" => p.media_box.iter().map(|&v| Object::Integer(v)).collect::<Vec<_>>(),
            "Rotate" => p.rotate,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Scanner PDFs whose pages are made of several images are recognised
/// and found by search on the right page: a page stored as three JPEG
/// strips, an MRC page (a gray JPEG background under a one-bit text layer
/// drawn as an /ImageMask, whose Decode array says 1 is ink), a page
/// placed by a scaled form beside a logo, and a page scanned sideways
/// in two halves and shown upright by /Rotate 90.
#[test]
fn pages_made_of_several_images_are_recognised_and_found() {
    let v = Vault::new();
    let words = [
        "Strip page about the Ptarmigan easement",
        "Layered page about the Wolverine covenant",
        "Framed page about the Capybara tenancy",
        "Turned page about the Gannet boundary",
    ];
    // 1700 × 900 pixels at 200 dpi: 612 × 324 points.
    let png = |i: usize| {
        let p = v.src.join(format!("page-{i}.png"));
        render(words[i], &p);
        p
    };
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let src = |name: &str| v.src.join(name);

    // Three strips of 300 rows.
    let p0 = png(0);
    convert(&[
        &s(&p0),
        "-crop",
        "1700x300",
        "+repage",
        "-quality",
        "90",
        &s(&src("strip-%d.jpg")),
    ]);
    let mut strips = Vec::new();
    let mut content = String::new();
    for i in 0..3 {
        strips.push((
            ["S0", "S1", "S2"][i],
            jpeg(&src(&format!("strip-{i}.jpg")), 1700, 300).into(),
        ));
        content.push_str(&format!(
            "q 612 0 0 108 0 {} cm /S{i} Do Q\n",
            216 - 108 * i
        ));
    }
    let strips_page = PdfPage {
        media_box: [0, 0, 612, 324],
        rotate: 0,
        content,
        xobjects: strips,
    };

    // MRC: a 100 dpi paper background and the text as a one-bit mask,
    // 1 where the text is dark (so painted only through Decode [1 0]).
    let p1 = png(1);
    convert(&[
        "-size",
        "850x450",
        "gradient:gray85-gray97",
        "-quality",
        "60",
        &s(&src("bg.jpg")),
    ]);
    convert(&[
        &s(&p1),
        "-threshold",
        "50%",
        "-negate",
        "-depth",
        "1",
        &format!("gray:{}", s(&src("mask.raw"))),
    ]);
    let mask = image(
        vec![
            ("Width", 1700.into()),
            ("Height", 900.into()),
            ("ImageMask", true.into()),
            ("Decode", vec![1.into(), 0.into()].into()),
        ],
        std::fs::read(src("mask.raw")).unwrap(),
    );
    let mrc_page = PdfPage {
        media_box: [0, 0, 612, 324],
        rotate: 0,
        content: "q 612 0 0 324 0 0 cm /Bg Do Q q 0.15 g 612 0 0 324 0 0 cm /Fg Do Q".into(),
        xobjects: vec![
            ("Bg", jpeg(&src("bg.jpg"), 850, 450).into()),
            ("Fg", mask.into()),
        ],
    };

    // A form (object 1, drawing image object 2 at twice the page's size)
    // scaled by a half, and a small logo.
    let p2 = png(2);
    convert(&[&s(&p2), "-quality", "90", &s(&src("framed.jpg"))]);
    let form = lopdf::Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Form",
            "BBox" => vec![0.into(), 0.into(), 1224.into(), 648.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im" => (2, 0) } },
        },
        b"q 1224 0 0 648 0 0 cm /Im Do Q".to_vec(),
    );
    let logo = image(
        vec![
            ("Width", 2.into()),
            ("Height", 2.into()),
            ("ColorSpace", "DeviceGray".into()),
            ("BitsPerComponent", 8.into()),
        ],
        vec![190, 230, 230, 190],
    );
    let framed_page = PdfPage {
        media_box: [0, 0, 612, 324],
        rotate: 0,
        content: "q 0.5 0 0 0.5 0 0 cm /F Do Q q 16 0 0 16 590 300 cm /Logo Do Q".into(),
        xobjects: vec![
            ("F", lopdf::Object::Reference((1, 0))),
            ("Logo", logo.into()),
        ],
    };

    // Scanned sideways: 900 × 1700 on a portrait page, in two halves,
    // shown turned a quarter clockwise.
    let p3 = png(3);
    convert(&[
        &s(&p3),
        "-rotate",
        "-90",
        "-crop",
        "900x850",
        "+repage",
        "-quality",
        "90",
        &s(&src("half-%d.jpg")),
    ]);
    let turned_page = PdfPage {
        media_box: [0, 0, 324, 612],
        rotate: 90,
        content: "q 324 0 0 306 0 306 cm /A Do Q q 324 0 0 306 0 0 cm /B Do Q".into(),
        xobjects: vec![
            ("A", jpeg(&src("half-0.jpg"), 900, 850).into()),
            ("B", jpeg(&src("half-1.jpg"), 900, 850).into()),
        ],
    };

    let framed_image = jpeg(&src("framed.jpg"), 1700, 900);
    let pdf = write_pdf(
        vec![form, framed_image],
        vec![strips_page, mrc_page, framed_page, turned_page],
    );
    let file = src("composed-scan.pdf");
    std::fs::write(&file, pdf).unwrap();
    let id = v.import(&file);
    let report = v.json(&["ocr", "run"]);
    assert_eq!(
        (report["pages"].as_u64(), report["done"].as_u64()),
        (Some(4), Some(1)),
        "{report}"
    );
    let ocr = v.ocr_of(&id);
    assert_eq!(ocr["status"], "done", "{ocr}");
    assert!(ocr["meanConfidence"].as_u64().unwrap() >= 80, "{ocr}");
    for (i, word) in ["ptarmigan", "wolverine", "capybara", "gannet"]
        .iter()
        .enumerate()
    {
        let hits = v.search(word);
        assert_eq!(hits.len(), 1, "{word}: {hits:?}");
        assert_eq!(hits[0]["documentId"].to_string(), id);
        assert_eq!(hits[0]["page"], i + 1, "{word}: {hits:?}");
    }
    // The recognised words are in clear nowhere.
    let vault = v.home.vault_dir("v");
    for word in ["Ptarmigan", "Wolverine", "Capybara", "Gannet"] {
        let found = in_clear(&[&vault, &v.tmp], word);
        assert!(found.is_empty(), "{word} in clear in {found:?}");
    }
}

/// The most `matterbox-ocr` recognition threads of process `pid` seen at
/// once (and their nice values) until it exits or `enough` of them ran
/// together. A thread counts from its second sighting (5 ms on), so one
/// caught between its start and lowering its own priority is not read.
fn concurrent_recognition(pid: u32, enough: usize) -> (usize, Vec<i32>) {
    let deadline = Instant::now() + WAIT;
    let mut most = (0, Vec::new());
    let mut before = std::collections::HashSet::new();
    while Instant::now() < deadline {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            break;
        };
        let mut now = std::collections::HashSet::new();
        let mut nices = Vec::new();
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() != "matterbox-ocr" {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            // A thread that is ending (Z, X) is no longer recognising.
            if rest.starts_with('Z') || rest.starts_with('X') {
                continue;
            }
            let tid = task.file_name();
            now.insert(tid.clone());
            if !before.contains(&tid) {
                continue;
            }
            if let Some(nice) = rest.split(' ').nth(16).and_then(|n| n.parse().ok()) {
                nices.push(nice);
            }
        }
        before = now;
        if nices.len() > most.0 {
            most = (nices.len(), nices);
        }
        if most.0 >= enough {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    most
}

/// `ocr run` and `inbox watch` recognise as many scans at once as the
/// vault's `settings ocr-workers` says, each at the low priority the app
/// uses, and each document once.
#[test]
fn ocr_run_and_inbox_watch_use_the_vaults_worker_count() {
    let v = Vault::new();
    v.run(&["settings", "ocr-workers", "2"]).ok();
    let mut ids = Vec::new();
    for (name, word) in [("first.pdf", "Aardvark"), ("second.pdf", "Bittern")] {
        let pages = [
            format!("The first page names the {word}"),
            format!("The second page names the {word} again"),
        ];
        let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
        ids.push(v.import(&v.scan_pdf(name, &pages)));
    }
    let child = v
        .cmd(&["--json", "ocr", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (together, nices) = concurrent_recognition(child.id(), 2);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(together, 2, "two documents were recognised at once");
    assert_eq!(nices, [10, 10], "both at the recognition nice value");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["pages"].as_u64(), report["done"].as_u64()),
        (Some(4), Some(2)),
        "{report}"
    );
    for id in &ids {
        let ocr = v.ocr_of(id);
        assert_eq!(
            (ocr["status"].as_str(), ocr["attempts"].as_u64()),
            (Some("done"), Some(2)),
            "{ocr}"
        );
    }
    assert_eq!(v.search("aardvark").len(), 1);
    assert_eq!(v.search("bittern").len(), 1);

    // inbox watch: two scans dropped at once are recognised together.
    let inbox = v.home.path().join("inbox");
    v.run(&[
        "inbox",
        "settings",
        "--folder",
        inbox.to_str().unwrap(),
        "--quiet-ms",
        "300",
    ])
    .ok();
    // Three pages each: recognising one takes long enough for the other
    // to start even if the two are ingested by separate passes.
    let scans: Vec<PathBuf> = [("third.pdf", "Cormorant"), ("fourth.pdf", "Dugong")]
        .iter()
        .map(|(name, word)| {
            let pages = [
                format!("The first page names the {word}"),
                format!("The second page names the {word} again"),
                format!("The third page names the {word} once more"),
            ];
            let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
            v.scan_pdf(name, &pages)
        })
        .collect();
    let mut watcher = v
        .cmd(&["--json", "inbox", "watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let out = watcher.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    while !inbox.exists() {
        assert!(Instant::now() < deadline, "the inbox folder was not made");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Into the matter's subfolder: filed there, so recognised at once.
    let sub = inbox.join("2026-0001");
    std::fs::create_dir_all(&sub).unwrap();
    for scan in &scans {
        let name = scan.file_name().unwrap().to_str().unwrap();
        let staging = inbox.join(format!(".{name}.part"));
        std::fs::copy(scan, &staging).unwrap();
        std::fs::rename(&staging, sub.join(name)).unwrap();
    }
    let (together, nices) = concurrent_recognition(watcher.id(), 2);
    let mut done = 0;
    let mut seen = Vec::new();
    while done < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = lines.recv_timeout(left) else {
            let _ = watcher.kill();
            panic!("not both recognised within {WAIT:?}: {seen:?}");
        };
        if event["ocr"]["status"] == "done" {
            done += 1;
        }
        seen.push(event);
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert_eq!(together, 2, "two scans were recognised at once: {seen:?}");
    assert_eq!(nices, [10, 10]);
    assert_eq!(v.search("cormorant").len(), 1);
    assert_eq!(v.search("dugong").len(), 1);
}
