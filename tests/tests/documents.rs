//! Documents through the `matterbox` binary: imported encrypted (no marker
//! in clear anywhere under the vault or the temporary folder), exported
//! byte for byte, the same content flagged, a damaged blob refused with
//! the document named and nothing written.

use matterbox_tests::{COMMAND_LIMIT, Home, Run, files_containing, run_within};

const PASS: &str = "a long test passphrase";
const MARKER_SMALL: &str = "Canary-Privileged-Marker-4711";
const MARKER_LARGE: &str = "Canary-Large-Exhibit-Marker-0815";

fn setup() -> (Home, String) {
    let home = Home::new();
    home.run(
        "v",
        Some(PASS),
        &["vault", "create", "--danger-device-secret-in-plain-file"],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &["client", "add", "--name", "Ada Fictional"],
    )
    .ok();
    let number = open_matter(&home, "Estate");
    (home, number)
}

/// Opens a matter for client 1; returns its number.
fn open_matter(home: &Home, title: &str) -> String {
    let args = [
        "--json", "matter", "open", "--client", "1", "--title", title,
    ];
    let m = home.run("v", Some(PASS), &args).ok().json();
    m["number"].as_str().unwrap().to_string()
}

fn write_inputs(home: &Home) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let inbox = home.path().join("to-import");
    std::fs::create_dir_all(&inbox).unwrap();
    let small = inbox.join("engagement-letter.txt");
    std::fs::write(&small, format!("Dear client,\n{MARKER_SMALL}\n")).unwrap();
    // Larger than several chunks, the marker repeated throughout.
    let mut large = Vec::new();
    while large.len() < 300_000 {
        large.extend_from_slice(MARKER_LARGE.as_bytes());
        large.extend_from_slice(b" exhibit text line\n");
    }
    let big = inbox.join("exhibit-a.txt");
    std::fs::write(&big, &large).unwrap();
    (small, big, large)
}

/// `matterbox doc export ID --output OUT [--version V]`.
fn export(home: &Home, id: &str, out: &std::path::Path, version: Option<&str>) -> Run {
    let mut args = vec!["doc", "export", id, "--output", out.to_str().unwrap()];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    home.run("v", Some(PASS), &args)
}

fn add_letter(home: &Home, number: &str, file: &std::path::Path) -> serde_json::Value {
    let args = [
        "--json",
        "doc",
        "add",
        number,
        file.to_str().unwrap(),
        "--title",
        "Engagement letter",
    ];
    home.run("v", Some(PASS), &args).ok().json()
}

#[test]
fn documents_are_encrypted_at_rest_and_export_byte_for_byte() {
    let (home, number) = setup();
    let (small, big, large) = write_inputs(&home);
    let added = add_letter(&home, &number, &small);
    assert_eq!(added["title"], "Engagement letter");
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, big.to_str().unwrap()],
    )
    .ok();
    let list = home
        .run("v", Some(PASS), &["--json", "doc", "list", &number])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);

    // No marker in clear anywhere in the vault folder or the system's temporary folder.
    for marker in [MARKER_SMALL, MARKER_LARGE] {
        assert!(
            files_containing(&home.vault_dir("v"), marker).is_empty(),
            "{marker} in the vault"
        );
    }
    // Blob files are named by random ids, never by document names.
    let blobs: Vec<String> = std::fs::read_dir(home.vault_dir("v").join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(blobs.len(), 2);
    assert!(
        blobs
            .iter()
            .all(|b| b.len() == 32 && b.chars().all(|c| c.is_ascii_hexdigit())),
        "{blobs:?}"
    );

    let big_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "exhibit-a.txt")
        .unwrap()["id"]
        .to_string();
    let out = home.path().join("exported.txt");
    export(&home, &big_id, &out, None).ok();
    assert_eq!(std::fs::read(&out).unwrap(), large);
    let again = export(&home, &big_id, &out, None);
    assert_eq!(again.code, 6, "{}", again.stderr);

    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    assert_eq!(audit.matches("\"action\":\"document_imported\"").count(), 2);
    assert!(audit.contains("\"action\":\"document_exported\""));
    assert!(!audit.contains(MARKER_SMALL) && !audit.contains("Engagement letter"));
    home.run("v", Some(PASS), &["audit", "verify"]).ok();
}

#[test]
fn the_same_content_twice_is_flagged_and_the_user_chooses() {
    let (home, number) = setup();
    let (small, _, _) = write_inputs(&home);
    let f = small.to_str().unwrap();
    home.run("v", Some(PASS), &["doc", "add", &number, f]).ok();
    let dup = home.run("v", Some(PASS), &["doc", "add", &number, f]);
    assert_eq!(dup.code, 6, "{}", dup.stderr);
    assert!(dup.stderr.contains("same content"), "{}", dup.stderr);
    // The refused import left no blob behind.
    let blobs = std::fs::read_dir(home.vault_dir("v").join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .count();
    assert_eq!(blobs, 1);
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, f, "--allow-duplicate"],
    )
    .ok();
    let list = home
        .run("v", Some(PASS), &["--json", "doc", "list", &number])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_file_and_content_unlike_its_name_are_imported_with_a_warning() {
    let (home, number) = setup();
    let dir = home.path().join("odd");
    std::fs::create_dir(&dir).unwrap();
    let empty = dir.join("blank scan.pdf");
    std::fs::write(&empty, b"").unwrap();
    let renamed = dir.join("survey.pdf");
    std::fs::write(&renamed, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fictional").unwrap();
    let fine = dir.join("letter.pdf");
    std::fs::write(&fine, b"%PDF-1.4\n% a fictional letter\n").unwrap();
    for (file, warning) in [
        (&empty, Some("is empty (0 bytes)")),
        (
            &renamed,
            Some("named as a PDF but its content is a PNG image"),
        ),
        (&fine, None),
    ] {
        let r = home
            .run(
                "v",
                Some(PASS),
                &["doc", "add", &number, file.to_str().unwrap()],
            )
            .ok();
        match warning {
            Some(w) => assert!(r.stderr.contains(w), "{}: {}", file.display(), r.stderr),
            None => assert!(!r.stderr.contains("Warning"), "{}", r.stderr),
        }
    }
    // Flagged, never refused: all three are in the matter.
    let list = home
        .run("v", Some(PASS), &["--json", "doc", "list", &number])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn a_damaged_blob_is_refused_with_the_document_named_and_nothing_written() {
    let (home, number) = setup();
    let (small, _, _) = write_inputs(&home);
    let added = add_letter(&home, &number, &small);
    let blob = std::fs::read_dir(home.vault_dir("v").join("blobs"))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_file())
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&blob, bytes).unwrap();

    let out = home.path().join("exported.txt");
    let run = export(&home, &added["id"].to_string(), &out, None);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stderr.contains("Engagement letter") && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
    assert!(
        files_containing(home.path(), MARKER_SMALL)
            .iter()
            .all(|p| p == &small),
        "partial plaintext left behind"
    );
}

/// A tiny deterministic generator for crash points (no test flakiness from
/// a random seed: the same points every run).
fn crash_points(n: usize) -> Vec<u64> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 400
        })
        .collect()
}

#[test]
fn imports_killed_at_any_point_lose_nothing_and_the_doctor_cleans_up() {
    let (home, number) = setup();
    // Big enough that an import takes a while: the kills land before,
    // during and after writing the blob.
    let big = home.path().join("large-scan.pdf");
    let mut content = Vec::with_capacity(64 << 20);
    let mut i: u32 = 0;
    while content.len() < (64 << 20) {
        content.extend_from_slice(&i.to_le_bytes());
        i = i.wrapping_mul(1_103_515_245).wrapping_add(12_345);
    }
    std::fs::write(&big, &content).unwrap();
    let import = |title: &str| {
        let mut cmd = home.cmd();
        cmd.arg("--vault")
            .arg(home.vault_dir("v"))
            .args([
                "doc",
                "add",
                &number,
                big.to_str().unwrap(),
                "--allow-duplicate",
                "--title",
                title,
            ])
            .env("MATTERBOX_PASSPHRASE", PASS)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };

    // One import runs to the end first: how long a whole one takes (the
    // unlock, sealing the blob, reading its text, recording it) spreads
    // the kills over every step, however fast this machine unlocks.
    let (whole, took) = run_within(&mut import("Whole"), COMMAND_LIMIT);
    whole.ok();
    let whole_ms = took.as_millis() as u64;
    for (round, point) in crash_points(10).into_iter().enumerate() {
        let delay_ms = whole_ms * (point + 1) / 401;
        let mut child = import(&format!("Scan {round}")).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms)); // the crash point, not a wait
        let _ = child.kill();
        child.wait().unwrap();
    }

    // One more import runs to the end after the crashes.
    run_within(&mut import("After the crashes"), COMMAND_LIMIT)
        .0
        .ok();

    // The doctor removes what interrupted imports left behind. Ten killed
    // imports may leave more orphaned files than one crash does: then it
    // removes nothing unasked and says why, and removes them when told the
    // database is right.
    let doctor = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "doctor",
            "--fix",
            "--deep",
            "--min-age-seconds",
            "0",
        ];
        args.extend_from_slice(extra);
        home.run("v", Some(PASS), &args).ok().json()
    };
    let mut report = doctor(&[]);
    if let Some(refused) = report["fixRefused"].as_str() {
        assert!(
            refused.contains("more than the 5 a crash leaves behind"),
            "{report}"
        );
        assert!(report["orphans"].as_array().unwrap().len() > 5, "{report}");
        assert_eq!(report["orphansRemoved"], 0, "{report}");
        report = doctor(&["--i-know-the-orphans-are-not-documents"]);
        assert!(report["fixRefused"].is_null(), "{report}");
    }
    assert_eq!(report["missing"], serde_json::json!([]), "{report}");
    assert_eq!(report["damaged"], serde_json::json!([]), "{report}");
    let again = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doctor", "--deep", "--min-age-seconds", "0"],
        )
        .ok()
        .json();
    assert_eq!(
        again["orphans"],
        serde_json::json!([]),
        "after {report}\nagain {again}"
    );
    assert_eq!(again["temporary"], 0);

    // Every document that was recorded is complete; nothing else is on disk.
    let list = home
        .run("v", Some(PASS), &["--json", "doc", "list", &number])
        .ok()
        .json();
    let docs = list.as_array().unwrap();
    let blobs = std::fs::read_dir(home.vault_dir("v").join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .count();
    assert_eq!(blobs, docs.len());
    for d in docs {
        let out = home.path().join(format!("out-{}", d["id"]));
        export(&home, &d["id"].to_string(), &out, None).ok();
        assert!(
            std::fs::read(&out).unwrap() == content,
            "document {} differs",
            d["id"]
        );
        // CI disks can be small: keep one 64 MiB copy at a time.
        std::fs::remove_file(&out).unwrap();
    }
    home.run("v", Some(PASS), &["audit", "verify"]).ok();
}

#[test]
fn the_doctor_removes_leftovers_and_names_missing_documents() {
    let (home, number) = setup();
    let (small, _, _) = write_inputs(&home);
    add_letter(&home, &number, &small);
    let blobs = home.vault_dir("v").join("blobs");
    let real = std::fs::read_dir(&blobs)
        .unwrap()
        .flatten()
        .find(|e| e.path().is_file())
        .unwrap()
        .path();
    // What a crash between the blob and its record leaves: an orphaned blob
    // and a temporary file.
    std::fs::copy(&real, blobs.join("0123456789abcdef0123456789abcdef")).unwrap();
    std::fs::write(
        blobs
            .join("tmp")
            .join("feedfeedfeedfeedfeedfeedfeedfeed.part"),
        b"half",
    )
    .unwrap();

    let dry = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doctor", "--min-age-seconds", "0"],
        )
        .ok()
        .json();
    assert_eq!(dry["orphans"].as_array().unwrap().len(), 1);
    assert_eq!(dry["temporary"], 1);
    // Too recent to touch with the default age limit, even with --fix.
    let recent = home
        .run("v", Some(PASS), &["--json", "doctor", "--fix"])
        .ok()
        .json();
    assert_eq!(recent["orphansRemoved"], 0);
    let fixed = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doctor", "--fix", "--min-age-seconds", "0"],
        )
        .ok()
        .json();
    assert_eq!(
        (
            fixed["orphansRemoved"].as_u64(),
            fixed["temporaryRemoved"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(real.exists());

    // A record whose blob is gone is named, with exit code 9.
    std::fs::remove_file(&real).unwrap();
    let run = home.run("v", Some(PASS), &["doctor"]);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stdout.contains("MISSING") && run.stdout.contains("Engagement letter"),
        "{}",
        run.stdout
    );
    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    assert!(audit.contains("\"action\":\"doctor_run\""));
}

#[test]
fn document_text_is_searchable_yet_never_in_clear_on_disk() {
    let (home, number) = setup();
    let other = open_matter(&home, "Lease");
    let dir = home.path().join("to-import");
    std::fs::create_dir_all(&dir).unwrap();
    let memo = dir.join("memo.md");
    std::fs::write(
        &memo,
        "# Memo\nThe Quetzalcoatlite easement runs along the northern boundary.\n",
    )
    .unwrap();
    let scan = dir.join("scan.png");
    std::fs::write(&scan, [0x89, b'P', b'N', b'G', 0, 1, 2, 3]).unwrap();
    let lease = dir.join("lease.txt");
    std::fs::write(&lease, "Lease of the Quetzalcoatlite warehouse, fictional.").unwrap();
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, memo.to_str().unwrap()],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, scan.to_str().unwrap()],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &other, lease.to_str().unwrap()],
    )
    .ok();

    let hits = home
        .run("v", Some(PASS), &["--json", "search", "quetzalcoatlite"])
        .ok()
        .json()["hits"]
        .clone();
    assert_eq!(hits.as_array().unwrap().len(), 2, "{hits}");
    let memo_hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == "memo.md")
        .unwrap();
    assert!(
        memo_hit["snippet"]
            .as_str()
            .unwrap()
            .contains("[Quetzalcoatlite]"),
        "{memo_hit}"
    );
    // A prefix match, and a filter by matter.
    let hits = home
        .run(
            "v",
            Some(PASS),
            &["--json", "search", "quetzal*", "--matter", &other],
        )
        .ok()
        .json()["hits"]
        .clone();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["title"], "lease.txt");
    // Titles and names are searched too; FTS5's syntax typed is no error.
    let hits = home
        .run("v", Some(PASS), &["--json", "search", "scan"])
        .ok()
        .json()["hits"]
        .clone();
    assert_eq!(hits[0]["title"], "scan.png");
    home.run("v", Some(PASS), &["search", "NEAR( OR \""]).ok();
    assert_eq!(home.run("v", Some(PASS), &["search", "***"]).code, 6);

    // The index is inside the encrypted database: the words are nowhere in clear.
    for word in ["Quetzalcoatlite", "easement", "warehouse"] {
        assert!(
            files_containing(&home.vault_dir("v"), word).is_empty(),
            "{word} in clear"
        );
    }
    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    assert!(audit.contains("\"action\":\"documents_searched\""));
    assert!(!audit.contains("quetzal"));
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

#[test]
fn a_pdf_text_layer_is_searchable_and_the_pdf_never_in_clear_on_disk() {
    let (home, number) = setup();
    let pdf = fixture("boundary-survey.pdf");
    let d = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doc", "add", &number, pdf.to_str().unwrap()],
        )
        .ok()
        .json();
    assert_eq!(d["textStatus"], "extracted", "{d}");
    // Page one's text, and page two's.
    for words in ["Canary-Survey-Marker", "schedule measurements"] {
        let hits = home
            .run("v", Some(PASS), &["--json", "search", words])
            .ok()
            .json()["hits"]
            .clone();
        assert_eq!(hits.as_array().unwrap().len(), 1, "{words}: {hits}");
    }
    for marker in ["Canary-Survey-Marker-2718", "hedge line follows"] {
        assert!(
            files_containing(home.path(), marker).is_empty(),
            "{marker} in clear: {:?}",
            files_containing(home.path(), marker)
        );
    }
}

#[test]
fn documents_are_edited_moved_versioned_and_trashed_through_the_cli() {
    let (home, estate) = setup();
    let lease = open_matter(&home, "Lease");
    let dir = home.path().join("to-import");
    std::fs::create_dir_all(&dir).unwrap();
    let draft = dir.join("draft.txt");
    std::fs::write(&draft, "first draft: the juniper clause").unwrap();
    let run = |args: &[&str]| home.run("v", Some(PASS), args).ok().json();
    let d = run(&["--json", "doc", "add", &estate, draft.to_str().unwrap()]);
    let id = d["id"].to_string();

    let d = run(&[
        "--json",
        "doc",
        "edit",
        &id,
        "--title",
        "Draft deed",
        "--tags",
        "draft, deed",
        "--notes",
        "Check the plan",
    ]);
    assert_eq!(d["title"], "Draft deed");
    assert_eq!(d["tags"], serde_json::json!(["deed", "draft"]));
    let hits = run(&["--json", "search", "juniper", "--tag", "deed"])["hits"].clone();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");

    let second = dir.join("draft-2.txt");
    std::fs::write(&second, "second draft: the rowan clause").unwrap();
    let d = run(&[
        "--json",
        "doc",
        "add-version",
        &id,
        second.to_str().unwrap(),
    ]);
    assert_eq!(d["versions"], 2);
    let d = run(&["--json", "doc", "restore-version", &id, "1"]);
    assert_eq!(d["versions"], 3);
    let out = dir.join("restored.txt");
    export(&home, &id, &out, None).ok();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "first draft: the juniper clause"
    );
    let old = dir.join("v2.txt");
    export(&home, &id, &old, Some("2")).ok();
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "second draft: the rowan clause"
    );
    let shown = run(&["--json", "doc", "show", &id]);
    assert_eq!(shown["versions"].as_array().unwrap().len(), 3);

    let d = run(&["--json", "doc", "move", &id, &lease]);
    assert_ne!(d["matterId"], serde_json::Value::Null);
    assert!(
        run(&["--json", "doc", "list", &estate])
            .as_array()
            .unwrap()
            .is_empty()
    );
    run(&["--json", "doc", "trash", &id]);
    assert!(
        run(&["--json", "doc", "list", &lease])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        run(&["--json", "doc", "list", &lease, "--trash"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A trashed document is not edited; the error says why.
    let refused = home.run("v", Some(PASS), &["doc", "edit", &id, "--title", "x"]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(refused.stderr.contains("trash"), "{}", refused.stderr);
    run(&["--json", "doc", "untrash", &id]);
    assert_eq!(
        run(&["--json", "doc", "list", &lease])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A sparse 96 MiB + 3 bytes file with marks at chunk edges goes through the
/// whole stack: the importer, the blob store, the database and export. It
/// needs about 200 MiB of free disk, because ciphertext is never sparse; the
/// format's own test takes a 4 GiB + 3 bytes document through a pipe to
/// cross the 32-bit boundaries without needing gigabytes of disk.
#[test]
fn a_large_sparse_file_round_trips_through_the_cli() {
    use sha2::Digest;
    use std::io::{Read, Seek, SeekFrom, Write};
    let (home, number) = setup();
    let dir = home.path().join("to-import");
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("disk-image.bin");
    let len: u64 = (96 << 20) + 3;
    {
        let mut f = std::fs::File::create(&big).unwrap();
        f.set_len(len).unwrap();
        for at in [0, 65_535, 65_536, 48 << 20, len - 1] {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(&[0xA5]).unwrap();
        }
    }
    let hash = |p: &std::path::Path| {
        let mut f = std::fs::File::open(p).unwrap();
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        hex::encode(h.finalize())
    };
    let expected = hash(&big);
    let d = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doc", "add", &number, big.to_str().unwrap()],
        )
        .ok()
        .json();
    assert_eq!(d["size"], len);
    assert_eq!(d["sha256"], expected.as_str());
    std::fs::remove_file(&big).unwrap();
    let out = dir.join("exported.bin");
    export(&home, &d["id"].to_string(), &out, None).ok();
    assert_eq!(std::fs::metadata(&out).unwrap().len(), len);
    assert_eq!(hash(&out), expected);
}

/// An internal failure (here the vault's folder for encrypted files in the
/// making is a plain file) shows the user a generic message with an
/// incident id and exit code 1; the incident log, private to the user,
/// says what failed and holds no passphrase, client name, file name,
/// title or document text.
#[test]
fn an_internal_error_gives_an_incident_id_and_its_log_holds_no_data() {
    const CLIENT: &str = "Canary Client Quill7 Ltd";
    const TEXT: &str = "canary-document-text-9f3e51";
    const TITLE: &str = "Canary Title Wren4";
    let home = Home::new();
    home.run(
        "v",
        Some(PASS),
        &["vault", "create", "--danger-device-secret-in-plain-file"],
    )
    .ok();
    home.run("v", Some(PASS), &["client", "add", "--name", CLIENT])
        .ok();
    let number = open_matter(&home, "Estate");
    let folder = home.path().join("Canary Client Quill7 Ltd papers");
    std::fs::create_dir_all(&folder).unwrap();
    let source = folder.join("canary-file-name-Heron2.txt");
    std::fs::write(&source, TEXT).unwrap();
    let tmp = home.vault_dir("v").join("blobs").join("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::write(&tmp, b"not a folder").unwrap();

    let run = home.run(
        "v",
        Some(PASS),
        &[
            "--json",
            "doc",
            "add",
            &number,
            source.to_str().unwrap(),
            "--title",
            TITLE,
        ],
    );
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let error: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(error["error"]["code"], "internal");
    let message = error["error"]["message"].as_str().unwrap();
    let id = message
        .split("incident ")
        .nth(1)
        .map(|rest| &rest[..8])
        .unwrap_or_else(|| panic!("no incident id in {message:?}"));
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{message}");
    assert!(
        !message.contains("blobs") && !message.contains("Heron2"),
        "{message}"
    );

    let log_path = home.path().join(".local/state/matterbox/incidents.log");
    let log = std::fs::read_to_string(&log_path).expect("the incident log");
    let line = log
        .lines()
        .find(|l| l.contains(&format!("incident {id} internal:")))
        .unwrap_or_else(|| panic!("incident {id} is not in the log:\n{log}"));
    // What failed is there: the step and the system's error kind.
    assert!(
        line.contains("sealing") && line.contains("os error"),
        "{line}"
    );
    for canary in [
        PASS,
        CLIENT,
        "Quill7",
        TEXT,
        TITLE,
        "Heron2",
        "papers",
        home.path().to_str().unwrap(),
    ] {
        assert!(
            !log.contains(canary),
            "the incident log holds {canary:?}:\n{log}"
        );
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the incident log is readable by others");
    }
    // Nothing was recorded, and with the folder back the import works.
    std::fs::remove_file(&tmp).unwrap();
    let list = home
        .run("v", Some(PASS), &["--json", "doc", "list", &number])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 0);
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, source.to_str().unwrap()],
    )
    .ok();
}

/// Every match is counted and reachable: pages of `--limit`/`--offset`
/// reach each matching document once, in the same order as `--all`, with
/// the exact total on every page; `--sort` orders by title or date; the
/// human output says how many match and where the next page starts; the
/// audit records counts, never the words; the words are nowhere in clear.
#[test]
fn a_search_reports_its_total_and_pages_through_every_match() {
    let (home, number) = setup();
    let dir = home.path().join("to-import");
    std::fs::create_dir_all(&dir).unwrap();
    let mut matching = Vec::new();
    for i in 0..7 {
        let file = dir.join(format!("note-{i}.txt"));
        let word = "Xylocarpine indemnity ".repeat(1 + i);
        std::fs::write(&file, format!("Fictional note {i}: {word}")).unwrap();
        let d = home
            .run(
                "v",
                Some(PASS),
                &["--json", "doc", "add", &number, file.to_str().unwrap()],
            )
            .ok()
            .json();
        matching.push(d["id"].as_i64().unwrap());
    }
    let other = dir.join("other.txt");
    std::fs::write(&other, "Nothing about it here.").unwrap();
    home.run(
        "v",
        Some(PASS),
        &["doc", "add", &number, other.to_str().unwrap()],
    )
    .ok();

    let search = |args: &[&str]| {
        let mut all = vec!["--json", "search", "xylocarpine"];
        all.extend(args);
        home.run("v", Some(PASS), &all).ok().json()
    };
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["documentId"].as_i64().unwrap())
            .collect()
    };
    let every = search(&["--all"]);
    assert_eq!(every["total"], 7, "{every}");
    let all_ids = ids(&every);
    assert_eq!(all_ids.len(), 7);
    // Best first: the note repeating the word most.
    assert_eq!(all_ids[0], matching[6], "{every}");
    let mut paged = Vec::new();
    for offset in ["0", "3", "6", "9"] {
        let page = search(&["--limit", "3", "--offset", offset]);
        assert_eq!(page["total"], 7, "{page}");
        assert_eq!(page["offset"], offset.parse::<u64>().unwrap());
        paged.extend(ids(&page));
    }
    assert_eq!(paged, all_ids, "pages reach every match once, in order");
    let mut sorted = paged.clone();
    sorted.sort_unstable();
    let mut expected = matching.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected);

    let by_title = ids(&search(&["--all", "--sort", "title"]));
    assert_eq!(by_title, matching, "note-0.txt to note-6.txt");
    let newest_first = ids(&search(&["--all", "--sort", "added"]));
    let mut reversed = matching.clone();
    reversed.reverse();
    assert_eq!(newest_first, reversed);

    let shown = home
        .run("v", Some(PASS), &["search", "xylocarpine", "--limit", "2"])
        .ok()
        .stdout;
    assert!(
        shown.starts_with("7 documents match; showing 1 to 2 (next: --offset 2, or --all)."),
        "{shown}"
    );
    let shown = home
        .run("v", Some(PASS), &["search", "xylocarpine", "--all"])
        .ok()
        .stdout;
    assert!(shown.starts_with("7 documents match.\n"), "{shown}");
    // --all is every match: a limit or an offset beside it is an error.
    let both = home.run(
        "v",
        Some(PASS),
        &["search", "xylocarpine", "--all", "--limit", "2"],
    );
    assert_ne!(both.code, 0);

    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    assert!(audit.contains(r#"\"results\":7"#), "{audit}");
    assert!(!audit.to_lowercase().contains("xylocarpine"));
    assert!(files_containing(&home.vault_dir("v"), "Xylocarpine").is_empty());
}
