//! Returning a client's file (#18 §3, Model Rule 1.16(d)) through the
//! `matterbox` binary, opened with the tools a client has: Debian's `age`
//! (its passphrase typed through `script`, or an identity file) and `7z`.
//! Every returned file's SHA-256 equals the index's, the manifest's, the
//! share record's and the vault's; the index (CSV safe against formula
//! injection, HTML), the parties and the timeline are in the package; the
//! return is in each matter's timeline, in the share list, in an
//! incident's scope, and in the audit log with ids and counts only; no
//! marker is in clear under the vault, the destination or `TMPDIR`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use matterbox_tests::{Home, Run, fails_with, files_containing};
use sha2::{Digest, Sha256};

const PASS: &str = "a long test passphrase";
const CLIENT: &str = "Ottoline Vantreece-Marblewood";
const PARTY: &str = "Crispin Hollowbeck Holdings";
const SECRET_TEXT: &str = "the sealed boundary map of Quarrendon Mill";
const NOTE: &str = "Quarrendon timeline marker";
/// A document note a spreadsheet would run as a formula.
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";

fn mb(home: &Home, args: &[&str]) -> Run {
    let mut c = home.cmd();
    c.arg("--vault")
        .arg(home.vault_dir("v"))
        .args(args)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("TMPDIR", home.path().join("tmp"));
    matterbox_tests::run_within(&mut c, matterbox_tests::COMMAND_LIMIT).0
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn quoted(p: &Path) -> String {
    format!("'{}'", p.display())
}

fn wait_bounded(child: &mut std::process::Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.success();
        }
        assert!(Instant::now() < deadline, "the external tool hung");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `age -d` with the passphrase typed on a terminal (`script` gives it one).
fn age_decrypt_with_passphrase(package: &Path, out: &Path, passphrase: &str) -> bool {
    let mut child = Command::new("script")
        .args([
            "-qec",
            &format!("age -d -o {} {}", quoted(out), quoted(package)),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux) and age are installed by scripts/setup.sh --test");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{passphrase}\n").as_bytes())
        .unwrap();
    let status = wait_bounded(&mut child);
    status && out.exists() && std::fs::metadata(out).unwrap().len() > 0
}

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed by scripts/setup.sh --test: {e}"))
}

fn unzip(zip: &Path, dir: &Path) {
    let x = tool(
        "7z",
        &["x", &format!("-o{}", dir.display()), zip.to_str().unwrap()],
    );
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stdout));
}

/// RFC 4180 records (quoted cells, doubled quotes, CRLF), enough to read
/// back what the index wrote.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

/// The CSV's rows as maps from its header.
fn csv_records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let rows = parse_csv(&std::fs::read_to_string(path).unwrap());
    let header = rows[0].clone();
    rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

fn audit(home: &Home) -> Vec<serde_json::Value> {
    mb(home, &["audit", "export"])
        .ok()
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn details(e: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(e["details"].as_str().unwrap()).unwrap()
}

struct Fixture {
    home: Home,
    client: String,
    out: PathBuf,
}

fn fixture() -> Fixture {
    let home = Home::new();
    std::fs::create_dir_all(home.path().join("tmp")).unwrap();
    mb(
        &home,
        &[
            "vault",
            "create",
            "--name",
            "Fictional & Co",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok();
    let client = json(
        &home,
        &["client", "add", "--name", CLIENT, "--phone", "+1 555 0199"],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    Fixture { home, client, out }
}

fn open_matter(fx: &Fixture, title: &str) -> String {
    json(
        &fx.home,
        &["matter", "open", "--client", &fx.client, "--title", title],
    )["number"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Adds a file with `body` to `matter` as `name`; returns the document id.
fn add_doc(fx: &Fixture, matter: &str, name: &str, body: &[u8]) -> String {
    let src = fx.home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let f = src.join(name);
    std::fs::write(&f, body).unwrap();
    let added = json(&fx.home, &["doc", "add", matter, f.to_str().unwrap()]);
    std::fs::remove_file(&f).unwrap();
    added["id"]
        .as_i64()
        .or_else(|| added[0]["id"].as_i64())
        .unwrap()
        .to_string()
}

/// Every version's SHA-256 the vault records for a document, by version.
fn vault_hashes(fx: &Fixture, doc: &str) -> BTreeMap<i64, String> {
    json(&fx.home, &["doc", "show", doc])["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn no_marker_in_clear(fx: &Fixture) {
    for needle in [CLIENT, PARTY, SECRET_TEXT, NOTE, "Vantreece", "Hollowbeck"] {
        assert_eq!(
            files_containing(fx.home.path(), needle),
            Vec::<PathBuf>::new(),
            "{needle} in clear"
        );
    }
}

#[test]
fn a_returned_matter_opens_with_age_and_matches_its_index_the_record_and_the_vault() {
    let fx = fixture();
    let matter = open_matter(&fx, "Quarrendon Mill boundary");
    mb(
        &fx.home,
        &[
            "matter",
            "add-party",
            &matter,
            "--name",
            PARTY,
            "--side",
            "adverse",
            "--role",
            "neighbour",
        ],
    )
    .ok();
    mb(&fx.home, &["matter", "note", &matter, NOTE]).ok();
    // A scan-like document (stored) with two versions, and a letter.
    let map_v1: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let map = add_doc(&fx, &matter, "boundary map.pdf", &map_v1);
    let src = fx.home.path().join("src");
    let v2 = src.join("boundary map v2.pdf");
    std::fs::write(&v2, format!("%PDF-1.4 {SECRET_TEXT} revised")).unwrap();
    mb(
        &fx.home,
        &["doc", "add-version", &map, v2.to_str().unwrap()],
    )
    .ok();
    std::fs::remove_file(&v2).unwrap();
    let letter = add_doc(
        &fx,
        &matter,
        "letter.txt",
        format!("Dear {CLIENT}, {SECRET_TEXT}.\n").as_bytes(),
    );
    mb(
        &fx.home,
        &[
            "doc",
            "edit",
            &letter,
            "--notes",
            FORMULA,
            "--tags",
            "court,urgent",
        ],
    )
    .ok();

    let returned = json(
        &fx.home,
        &[
            "share",
            "return",
            "--matter",
            &matter,
            "--all-versions",
            "--words",
            "6",
            "--to",
            fx.out.to_str().unwrap(),
        ],
    );
    let created = &returned["created"];
    let share = &created["share"];
    let passphrase = created["passphrase"].as_str().unwrap().to_string();
    assert_eq!(passphrase.split('-').count(), 6);
    assert_eq!(returned["fileReturn"]["scope"], "matter");
    assert_eq!(returned["fileReturn"]["allVersions"], true);
    let matter_id = json(&fx.home, &["matter", "show", &matter])["id"].clone();
    assert_eq!(
        returned["fileReturn"]["matterIds"],
        serde_json::json!([matter_id])
    );
    let package = only_file(&fx.out);
    assert_eq!(share["packageSha256"], sha256_file(&package).as_str());
    assert_eq!(share["recipient"], CLIENT);
    // Three versions of two documents, in the record.
    assert_eq!(share["documents"].as_array().unwrap().len(), 3);

    let work = tempfile::tempdir().unwrap();
    let inner = work.path().join("inner.zip");
    assert!(!age_decrypt_with_passphrase(
        &package,
        &work.path().join("wrong.zip"),
        "not-the-right-passphrase-at-all"
    ));
    assert!(
        age_decrypt_with_passphrase(&package, &inner, &passphrase),
        "age refused the passphrase"
    );
    let dir = work.path().join("x");
    unzip(&inner, &dir);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("documents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "boundary map (version 1).pdf",
            "boundary map (version 2).pdf",
            "letter.txt"
        ]
    );

    // The manifest is signed and lists every file, the index files too.
    let key = json(&fx.home, &["share", "signing-key"])["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let verified = tool(
        "minisign",
        &[
            "-Vm",
            dir.join("MANIFEST.txt").to_str().unwrap(),
            "-P",
            &key,
        ],
    );
    assert!(verified.status.success());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let listed: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 7, "{listed:?}");
    for (path, sha) in &listed {
        assert_eq!(&sha256_file(&dir.join(path)), sha, "{path}");
    }

    // Every document's SHA-256: the file = the index = the record = the vault.
    let index = csv_records(&dir.join("INDEX.csv"));
    assert_eq!(index.len(), 3);
    let recorded = share["documents"].as_array().unwrap();
    for row in &index {
        let file = dir.join(&row["File"]);
        let actual = sha256_file(&file);
        assert_eq!(row["SHA-256"], actual, "{row:?}");
        assert_eq!(
            row["Bytes"],
            std::fs::metadata(&file).unwrap().len().to_string()
        );
        assert_eq!(row["Matter"], matter);
        let r = recorded
            .iter()
            .find(|r| format!("documents/{}", r["name"].as_str().unwrap()) == row["File"])
            .unwrap();
        assert_eq!(r["sha256"], actual.as_str());
        let doc = r["documentId"].to_string();
        let version: i64 = row["Version"].parse().unwrap();
        assert_eq!(r["version"], version);
        assert_eq!(
            vault_hashes(&fx, &doc)[&version],
            actual,
            "the vault's record"
        );
        assert!(!row["Date added"].is_empty());
    }
    let letter_row = index
        .iter()
        .find(|r| r["Title"] == "letter")
        .unwrap_or_else(|| {
            index
                .iter()
                .find(|r| r["File"] == "documents/letter.txt")
                .unwrap()
        });
    // The formula is text: a leading apostrophe, never run by a spreadsheet.
    assert_eq!(letter_row["Notes"], format!("'{FORMULA}"));
    assert_eq!(letter_row["Tags"], "court; urgent");
    assert_eq!(letter_row["Current version"], "yes");
    let raw = std::fs::read_to_string(dir.join("INDEX.csv")).unwrap();
    assert!(!raw.contains(",=HYPERLINK") && !raw.contains("\n=HYPERLINK"));
    let versions: Vec<(&str, &str)> = index
        .iter()
        .filter(|r| r["File"].starts_with("documents/boundary"))
        .map(|r| (r["Version"].as_str(), r["Current version"].as_str()))
        .collect();
    assert_eq!(versions, [("1", "no"), ("2", "yes")]);
    assert!(
        std::fs::read_to_string(dir.join("documents/letter.txt"))
            .unwrap()
            .contains(SECRET_TEXT)
    );

    // The HTML index: the matter, escaped notes, links, parties, timeline.
    let html = std::fs::read_to_string(dir.join("INDEX.html")).unwrap();
    assert!(html.contains(CLIENT) && html.contains("Quarrendon Mill boundary"));
    assert!(html.contains("href=\"documents/boundary%20map%20%28version%202%29.pdf\""));
    assert!(html.contains("=HYPERLINK(&quot;http://evil.example&quot;"));
    assert!(!html.contains("<script"));
    assert!(html.contains(PARTY) && html.contains("neighbour") && html.contains(NOTE));
    for row in &index {
        assert!(html.contains(&row["SHA-256"]));
    }
    let parties = csv_records(&dir.join("PARTIES.csv"));
    assert_eq!(parties.len(), 1);
    assert_eq!(
        (parties[0]["Name"].as_str(), parties[0]["Side"].as_str()),
        (PARTY, "adverse")
    );
    let timeline = csv_records(&dir.join("TIMELINE.csv"));
    let kinds: Vec<&str> = timeline.iter().map(|e| e["Kind"].as_str()).collect();
    assert_eq!(kinds, ["opened", "note"]);
    assert_eq!(timeline[1]["Description"], NOTE);

    // The matter's timeline records the return; its share list shows it.
    let shown = json(&fx.home, &["matter", "show", &matter]);
    let event = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "file_returned")
        .unwrap_or_else(|| panic!("no return in the timeline: {shown:#}"));
    let text = event["description"].as_str().unwrap();
    assert!(text.contains(CLIENT), "{text}");
    assert!(
        text.contains(share["packageId"].as_str().unwrap()),
        "{text}"
    );
    let shares = json(&fx.home, &["share", "list", "--matter", &matter]);
    assert_eq!(shares[0]["id"], share["id"]);

    // The audit log: ids and counts, never a name, a note or a path.
    let entries = audit(&fx.home);
    let e = entries
        .iter()
        .find(|e| e["action"] == "file_returned")
        .expect("a file_returned entry");
    assert_eq!(e["object"], format!("share:{}", share["id"]));
    let d = details(e);
    assert_eq!(d["scope"], "matter");
    assert_eq!(d["documents"], 2);
    assert_eq!(d["versions"], 3);
    assert_eq!(d["all_versions"], true);
    assert_eq!(
        d["matters"],
        serde_json::json!([format!("matter:{matter_id}")])
    );
    assert_eq!(d["client"], format!("client:{}", fx.client));
    let created_entry = entries
        .iter()
        .find(|e| e["action"] == "share_created")
        .unwrap();
    assert_eq!(
        details(created_entry)["documents"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let exported = mb(&fx.home, &["audit", "export"]).ok().stdout;
    for needle in [CLIENT, PARTY, NOTE, "HYPERLINK", "boundary map", "/out/"] {
        assert!(!exported.contains(needle), "{needle} in the audit log");
    }

    // The incident register's scope sees the return as a package shared.
    let at = share["createdAt"].as_str().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    let shift = |s: i64| {
        (at + chrono::Duration::seconds(s))
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let device = json(&fx.home, &["incident", "devices"])
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["thisDevice"] == true)
        .unwrap()["device"]
        .as_str()
        .unwrap()
        .to_string();
    let inc = json(
        &fx.home,
        &[
            "incident",
            "open",
            "--title",
            "Laptop stolen",
            "--kind",
            "confidentiality",
            "--cause",
            "stolen-device",
            "--from",
            &shift(-60),
            "--to",
            &shift(1),
            "--aware",
            &shift(1),
            "--device",
            &device,
        ],
    )["incident"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let scope = json(&fx.home, &["incident", "scope", &inc]);
    let shared = scope["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{scope:#}");
    assert_eq!(shared[0]["shareId"], share["id"]);

    no_marker_in_clear(&fx);
    assert!(files_containing(fx.home.path(), &passphrase).is_empty());
}

#[test]
fn a_whole_client_returns_every_matter_to_an_age_key() {
    let fx = fixture();
    let first = open_matter(&fx, "Quarrendon Mill sale");
    let second = open_matter(&fx, "Quarrendon Mill lease");
    let empty = open_matter(&fx, "Quarrendon Mill advice");
    let a = add_doc(&fx, &first, "contract.pdf", b"%PDF-1.4 first contract");
    let b = add_doc(&fx, &second, "contract.pdf", SECRET_TEXT.as_bytes());
    // A document in the trash is not part of the file returned.
    let trashed = add_doc(&fx, &second, "draft.txt", b"old draft");
    mb(&fx.home, &["doc", "trash", &trashed]).ok();

    let work = tempfile::tempdir().unwrap();
    let identity = work.path().join("key.txt");
    let keygen = tool("age-keygen", &["-o", identity.to_str().unwrap()]);
    assert!(keygen.status.success());
    let public = String::from_utf8_lossy(&keygen.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("Public key: ").map(str::to_string))
        .unwrap();
    let run = mb(
        &fx.home,
        &[
            "share",
            "return",
            "--client",
            &fx.client,
            "--recipient",
            &public,
            "--to",
            fx.out.to_str().unwrap(),
        ],
    )
    .ok();
    assert!(
        run.stdout.contains("every matter of the client"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Encrypted to the age key"),
        "{}",
        run.stdout
    );
    let package = only_file(&fx.out);
    let inner = work.path().join("inner.zip");
    let d = tool(
        "age",
        &[
            "-d",
            "-i",
            identity.to_str().unwrap(),
            "-o",
            inner.to_str().unwrap(),
            package.to_str().unwrap(),
        ],
    );
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    let dir = work.path().join("x");
    unzip(&inner, &dir);
    let index = csv_records(&dir.join("INDEX.csv"));
    let files: Vec<&str> = index.iter().map(|r| r["File"].as_str()).collect();
    assert_eq!(
        files,
        [
            format!("documents/{first} - contract.pdf"),
            format!("documents/{second} - contract.pdf")
        ]
    );
    for (row, doc) in index.iter().zip([&a, &b]) {
        let actual = sha256_file(&dir.join(&row["File"]));
        assert_eq!(row["SHA-256"], actual);
        assert_eq!(vault_hashes(&fx, doc)[&1], actual);
    }
    let timeline = csv_records(&dir.join("TIMELINE.csv"));
    let matters: std::collections::BTreeSet<&str> =
        timeline.iter().map(|e| e["Matter"].as_str()).collect();
    assert_eq!(
        matters.len(),
        3,
        "every matter's timeline, the empty one's too"
    );
    let html = std::fs::read_to_string(dir.join("INDEX.html")).unwrap();
    assert!(html.contains(&empty) && html.contains("Quarrendon Mill advice"));
    assert!(!html.contains("draft.txt"));

    // Every matter's timeline has the return; the client's shares list it.
    for m in [&first, &second, &empty] {
        let shown = json(&fx.home, &["matter", "show", m]);
        assert!(
            shown["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "file_returned"),
            "{m}: {shown:#}"
        );
    }
    let shares = json(&fx.home, &["share", "list", "--client", &fx.client]);
    assert_eq!(shares.as_array().unwrap().len(), 1);
    assert_eq!(shares[0]["protection"], "age_key");
    let entries = audit(&fx.home);
    let e = entries
        .iter()
        .find(|e| e["action"] == "file_returned")
        .unwrap();
    let d = details(e);
    assert_eq!(d["scope"], "client");
    assert_eq!(d["matters"].as_array().unwrap().len(), 3);
    assert_eq!(
        (d["documents"].clone(), d["versions"].clone()),
        (serde_json::json!(2), serde_json::json!(2))
    );
    no_marker_in_clear(&fx);
}

#[test]
fn a_return_with_nothing_to_send_or_a_bad_request_writes_nothing() {
    let fx = fixture();
    let empty = open_matter(&fx, "Quarrendon Mill advice");
    let to = fx.out.to_str().unwrap().to_string();
    fails_with(
        mb(
            &fx.home,
            &["share", "return", "--matter", &empty, "--to", &to],
        ),
        6,
        "no documents",
    );
    let matter = open_matter(&fx, "Quarrendon Mill sale");
    add_doc(&fx, &matter, "contract.pdf", b"%PDF-1.4 contract");
    fails_with(
        mb(
            &fx.home,
            &["share", "return", "--matter", "NOPE-1", "--to", &to],
        ),
        7,
        "",
    );
    fails_with(
        mb(
            &fx.home,
            &["share", "return", "--client", "999", "--to", &to],
        ),
        7,
        "",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "return",
                "--matter",
                &matter,
                "--format",
                "zip",
                "--recipient",
                "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
                "--to",
                &to,
            ],
        ),
        6,
        "age key needs the age format",
    );
    let missing = fx.home.path().join("missing");
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "return",
                "--matter",
                &matter,
                "--to",
                missing.to_str().unwrap(),
            ],
        ),
        6,
        "is not a folder",
    );
    assert_eq!(std::fs::read_dir(&fx.out).unwrap().count(), 0);
    assert!(
        json(&fx.home, &["share", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !audit(&fx.home)
            .iter()
            .any(|e| e["action"] == "file_returned")
    );
}
