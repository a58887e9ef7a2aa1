//! The watched inbox with the real watcher (inotify here): `matterbox inbox
//! watch` runs as its own process, files are written into the folder the
//! way scanners and staff do, and the vault is checked through the CLI.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use matterbox_tests::{Home, files_containing};

const PASS: &str = "a long test passphrase";

struct Inbox {
    home: Home,
    dir: PathBuf,
}

fn setup(extra: &[&str]) -> Inbox {
    let home = Home::new();
    let run = |args: &[&str]| home.run("v", Some(PASS), args).ok();
    run(&["vault", "create", "--danger-device-secret-in-plain-file"]);
    run(&["client", "add", "--name", "Ada Fictional"]);
    // Opened in 2026, so the numbers are 2026-0001 and 2026-0002 in any year.
    let open = |title| {
        [
            "matter",
            "open",
            "--client",
            "1",
            "--title",
            title,
            "--opened",
            "2026-01-15",
        ]
    };
    run(&open("Estate"));
    run(&open("Lease"));
    let dir = home.path().join("inbox");
    let mut args = vec![
        "inbox",
        "settings",
        "--folder",
        dir.to_str().unwrap(),
        "--quiet-ms",
        "400",
    ];
    args.extend_from_slice(extra);
    run(&args);
    Inbox { home, dir }
}

/// `matterbox --json inbox watch` with its output lines on a channel.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<serde_json::Value>,
    /// What the watcher said on stderr, for failure messages.
    said: Arc<Mutex<Vec<String>>>,
    /// Its "Watching <folder> (native events|polling…)" line.
    watching: String,
}

impl Watcher {
    /// Starts the watcher and returns once it is watching, so files written
    /// after this arrive as events, not as the first scan's findings.
    fn start(inbox: &Inbox) -> Watcher {
        let mut cmd = inbox.home.cmd();
        cmd.arg("--vault")
            .arg(inbox.home.vault_dir("v"))
            .args(["--json", "inbox", "watch"])
            .env("MATTERBOX_PASSPHRASE", PASS)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start the watcher");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let err = child.stderr.take().unwrap();
        let said = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready) = mpsc::channel();
        {
            let said = Arc::clone(&said);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                    if line.starts_with("Watching ") {
                        let _ = ready_tx.send(line.clone());
                    }
                    said.lock().unwrap().push(line);
                }
            });
        }
        let watching = ready
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("the watcher did not start: {:?}", said.lock().unwrap()));
        Watcher {
            child,
            lines,
            said,
            watching,
        }
    }

    /// The next `n` events (ingested or quarantined), within `timeout`.
    fn events(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => out.push(v),
                Err(_) => panic!(
                    "only {} of {n} inbox events within {timeout:?}: {out:?}; the watcher said {:?}",
                    out.len(),
                    self.said.lock().unwrap()
                ),
            }
        }
        out
    }

    /// Nothing more arrives for `quiet`.
    fn no_more(&self, quiet: Duration) {
        if let Ok(v) = self.lines.recv_timeout(quiet) {
            panic!("unexpected inbox event: {v}");
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(inbox: &Inbox, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    inbox.home.run("v", Some(PASS), &all).ok().json()
}

fn docs(inbox: &Inbox, number: &str) -> Vec<serde_json::Value> {
    json(inbox, &["doc", "list", number])
        .as_array()
        .unwrap()
        .clone()
}

fn export(inbox: &Inbox, id: &serde_json::Value) -> Vec<u8> {
    let out = inbox.home.path().join(format!("export-{id}"));
    inbox
        .home
        .run(
            "v",
            Some(PASS),
            &[
                "doc",
                "export",
                &id.to_string(),
                "--output",
                out.to_str().unwrap(),
            ],
        )
        .ok();
    std::fs::read(out).unwrap()
}

/// Regular files left in the inbox (claimed ones included), not the quarantine.
fn left_in_inbox(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.file_name().unwrap() == "quarantine" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                out.push(p);
            }
        }
    }
    out
}

const WAIT: Duration = Duration::from_secs(30);

/// A scanner writing a file in chunks, pausing longer than the quiet
/// period (400 ms) between them. A text file: no end marker to wait for,
/// only the writer closing it. Returns what was written.
fn write_slowly(path: &Path) -> Vec<u8> {
    let mut content = b"Scanned letter, fictional\n".to_vec();
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&content).unwrap();
    for i in 0..5 {
        std::thread::sleep(Duration::from_millis(700));
        let chunk = vec![b'a' + i as u8; 100_000];
        file.write_all(&chunk).unwrap();
        file.flush().unwrap();
        content.extend_from_slice(&chunk);
    }
    content
}

/// The one document of `number` is `content`, and the inbox is empty.
fn ingested_once_and_complete(inbox: &Inbox, w: &Watcher, number: &str, content: &[u8]) {
    let events = w.events(1, WAIT);
    assert_eq!(events[0]["ingested"]["matterNumber"], number, "{events:?}");
    w.no_more(Duration::from_secs(2));
    let list = docs(inbox, number);
    assert_eq!(list.len(), 1);
    let exported = export(inbox, &list[0]["id"]);
    assert!(
        exported == content,
        "exported {} bytes of the {} written",
        exported.len(),
        content.len()
    );
    assert!(left_in_inbox(&inbox.dir).is_empty());
}

#[test]
fn a_slow_writer_is_ingested_once_and_complete() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    assert!(w.watching.contains("(native events"), "{}", w.watching);
    // Native events see the writer still has it open.
    let content = write_slowly(&inbox.dir.join("2026-0001_slow-scan.txt"));
    ingested_once_and_complete(&inbox, &w, "2026-0001", &content);
}

#[test]
fn polling_waits_for_a_slow_writer_that_still_has_the_file_open() {
    let inbox = setup(&["--poll"]);
    let w = Watcher::start(&inbox);
    assert!(w.watching.contains("(polling"), "{}", w.watching);
    // A poll sees no writer; the system's list of open files does.
    let content = write_slowly(&inbox.dir.join("2026-0002_slow-scan.txt"));
    ingested_once_and_complete(&inbox, &w, "2026-0002", &content);
}

#[test]
fn a_file_renamed_into_the_folder_is_ingested() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    let outside = inbox.home.path().join("staging.txt");
    std::fs::write(&outside, "engagement letter, fictional").unwrap();
    std::fs::rename(&outside, inbox.dir.join("2026-0002 engagement.txt")).unwrap();
    let events = w.events(1, WAIT);
    assert_eq!(
        events[0]["ingested"]["matterNumber"], "2026-0002",
        "{events:?}"
    );
    assert_eq!(events[0]["ingested"]["routedBy"], "file_name");
}

#[test]
fn five_hundred_files_dropped_at_once_are_all_ingested_exactly_once() {
    let inbox = setup(&[]);
    let sub = inbox.dir.join("2026-0001");
    std::fs::create_dir(&sub).unwrap();
    let w = Watcher::start(&inbox);
    for i in 0..500 {
        std::fs::write(
            sub.join(format!("page-{i:03}.txt")),
            format!("page {i} of the fictional bundle"),
        )
        .unwrap();
    }
    let events = w.events(500, Duration::from_secs(120));
    assert!(
        events
            .iter()
            .all(|e| e["ingested"]["matterNumber"] == "2026-0001"),
        "{events:?}"
    );
    w.no_more(Duration::from_secs(2));
    let list = docs(&inbox, "2026-0001");
    let mut titles: Vec<String> = list
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 500);
    assert!(left_in_inbox(&inbox.dir).is_empty());
    assert!(
        json(&inbox, &["inbox", "unfiled"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Kills the watcher with SIGKILL at spread moments while 60 files are
/// ingested; after each kill, every original gone from the inbox must be
/// in the vault. At the end each file is in the vault exactly once.
#[test]
fn killed_at_any_moment_nothing_is_lost_or_duplicated() {
    let inbox = setup(&[]);
    let sub = inbox.dir.join("2026-0001");
    std::fs::create_dir(&sub).unwrap();
    let names: Vec<String> = (0..60).map(|i| format!("exhibit-{i:02}.txt")).collect();
    for (i, n) in names.iter().enumerate() {
        // Some larger files so kills land mid-encryption too.
        let size = if i % 7 == 0 { 3_000_000 } else { 2_000 };
        let mut body = format!("exhibit {i} fictional\n").into_bytes();
        body.resize(size, b'x');
        std::fs::write(sub.join(n), body).unwrap();
    }
    let delays = [80u64, 150, 230, 320, 410, 500, 650, 800, 950, 1200, 1500];
    for delay in delays {
        let w = Watcher::start(&inbox);
        std::thread::sleep(Duration::from_millis(delay));
        w.kill();
        let in_vault: std::collections::HashSet<String> = docs(&inbox, "2026-0001")
            .iter()
            .map(|d| d["title"].as_str().unwrap().to_string())
            .collect();
        let left: std::collections::HashSet<String> = left_in_inbox(&inbox.dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for n in &names {
            assert!(
                in_vault.contains(n) || left.contains(n),
                "{n} was removed from the inbox without being in the vault (kill after {delay} ms)"
            );
        }
    }
    let scan = json(&inbox, &["inbox", "scan", "--wait", "60"]);
    assert_eq!(scan["waiting"], 0, "{scan}");
    let list = docs(&inbox, "2026-0001");
    let mut titles: Vec<String> = list
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    assert_eq!(titles, names, "each file exactly once");
    assert!(
        json(&inbox, &["inbox", "unfiled"])
            .as_array()
            .unwrap()
            .is_empty(),
        "no duplicates"
    );
    assert!(left_in_inbox(&inbox.dir).is_empty());
    // Every document decrypts to its recorded content; leftovers of the
    // kills are cleaned up.
    let report = json(
        &inbox,
        &["doctor", "--fix", "--deep", "--min-age-seconds", "0"],
    );
    assert!(report["missing"].as_array().unwrap().is_empty(), "{report}");
    assert!(report["damaged"].as_array().unwrap().is_empty(), "{report}");
}

#[test]
fn polling_mode_ingests_without_native_events() {
    let inbox = setup(&["--poll"]);
    let w = Watcher::start(&inbox);
    assert!(w.watching.contains("(polling"), "{}", w.watching);
    std::fs::write(inbox.dir.join("2026-0002_note.txt"), "polled, fictional").unwrap();
    let events = w.events(1, WAIT);
    assert_eq!(
        events[0]["ingested"]["matterNumber"], "2026-0002",
        "{events:?}"
    );
}

#[test]
fn links_and_special_files_are_quarantined_and_their_targets_untouched() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    let secret = inbox.home.path().join("outside.txt");
    std::fs::write(&secret, "outside the inbox").unwrap();
    std::os::unix::fs::symlink(&secret, inbox.dir.join("link.txt")).unwrap();
    std::fs::hard_link(&secret, inbox.dir.join("hard.txt")).unwrap();
    std::os::unix::fs::symlink(inbox.home.path(), inbox.dir.join("2026-0001")).unwrap();
    std::fs::write(inbox.dir.join("empty.txt"), "").unwrap();
    let events = w.events(4, WAIT);
    assert!(
        events.iter().all(|e| e.get("quarantined").is_some()),
        "{events:?}"
    );
    w.no_more(Duration::from_secs(2));
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "outside the inbox"
    );
    let q = json(&inbox, &["inbox", "quarantine"]);
    let names: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["2026-0001", "empty.txt", "hard.txt", "link.txt"]
    );
    assert!(docs(&inbox, "2026-0001").is_empty());
    // Retry puts a regular file back; it is quarantined again (still empty).
    inbox
        .home
        .run("v", Some(PASS), &["inbox", "retry", "empty.txt"])
        .ok();
    let again = w.events(1, WAIT);
    assert_eq!(again[0]["quarantined"], "empty.txt");
}

#[test]
fn the_same_content_twice_waits_in_unfiled_flagged_and_is_filed_by_hand() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    std::fs::write(
        inbox.dir.join("2026-0001_deed.txt"),
        "deed of the fictional estate",
    )
    .unwrap();
    w.events(1, WAIT);
    std::fs::write(
        inbox.dir.join("deed copy.txt"),
        "deed of the fictional estate",
    )
    .unwrap();
    std::fs::write(inbox.dir.join("unplaced.txt"), "no number here").unwrap();
    let events = w.events(2, WAIT);
    let dup = events
        .iter()
        .find(|e| e["ingested"]["name"] == "deed copy.txt")
        .unwrap();
    assert!(dup["ingested"]["duplicateOf"].is_number(), "{dup}");
    let unfiled = json(&inbox, &["inbox", "unfiled"]);
    assert_eq!(unfiled.as_array().unwrap().len(), 2);
    // The copy names the document it repeats by title, matter and client.
    let copy = unfiled
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["originalName"] == "deed copy.txt")
        .unwrap();
    let named = copy["duplicateOfName"].as_str().unwrap_or_default();
    assert!(
        named.contains("2026-0001_deed.txt") && named.contains("in matter 2026-0001"),
        "{copy}"
    );
    let item = unfiled
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["originalName"] == "unplaced.txt")
        .unwrap()["id"]
        .to_string();
    let filed = json(&inbox, &["inbox", "file", &item, "2026-0002"]);
    let d = &filed[0];
    assert_eq!(d["title"], "unplaced.txt");
    assert_eq!(export(&inbox, &d["id"]), b"no number here");
    assert_eq!(
        json(&inbox, &["inbox", "unfiled"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Filed documents are searchable like any other.
    let hits = json(&inbox, &["search", "unplaced"])["hits"].clone();
    assert_eq!(hits.as_array().unwrap().len(), 1);
}

/// Files of the encrypted blob area (what the vault keeps on disk).
fn blob_files(inbox: &Inbox) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![inbox.home.vault_dir("v").join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn several_unfiled_items_are_filed_at_once_or_not_at_all_and_discarding_destroys_one() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    for (name, text) in [
        ("scan one.txt", "first fictional scan"),
        ("scan two.txt", "second fictional scan"),
        (
            "blank page.txt",
            "Quentin Marbleworth canary, not for this practice",
        ),
    ] {
        std::fs::write(inbox.dir.join(name), text).unwrap();
    }
    w.events(3, WAIT);
    w.kill();
    let unfiled = json(&inbox, &["inbox", "unfiled"]);
    let id_of = |name: &str| {
        unfiled
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["originalName"] == name)
            .unwrap()["id"]
            .to_string()
    };
    let (one, two, blank) = (
        id_of("scan one.txt"),
        id_of("scan two.txt"),
        id_of("blank page.txt"),
    );

    // One id that is not waiting: nothing is filed, and the error says so.
    let r = inbox.home.run(
        "v",
        Some(PASS),
        &["inbox", "file", &one, "999999", "2026-0002"],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("999999"), "{}", r.stderr);
    assert_eq!(
        json(&inbox, &["inbox", "unfiled"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(docs(&inbox, "2026-0002").is_empty());

    // Both at once, in the order given.
    let filed = json(&inbox, &["inbox", "file", &two, &one, "2026-0002"]);
    let titles: Vec<&str> = filed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["scan two.txt", "scan one.txt"]);
    assert_eq!(docs(&inbox, "2026-0002").len(), 2);

    // Discarding the last: its encrypted copy goes from the blob area, its
    // name from the queue, and the audit log says an item was discarded
    // without naming it.
    let before = blob_files(&inbox);
    let r = json(&inbox, &["inbox", "discard", &blank]);
    assert_eq!(r["discarded"], 1);
    assert!(
        json(&inbox, &["inbox", "unfiled"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let after = blob_files(&inbox);
    assert_eq!(after.len() + 1, before.len(), "{before:?} -> {after:?}");
    let audit = inbox
        .home
        .run("v", Some(PASS), &["audit", "export"])
        .ok()
        .stdout;
    let discarded: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("inbox_discarded"))
        .collect();
    assert_eq!(discarded.len(), 1, "{audit}");
    assert!(!audit.contains("blank page"), "{audit}");
    // Discarded again: a clear error, nothing else changes.
    let again = inbox
        .home
        .run("v", Some(PASS), &["inbox", "discard", &blank]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains(&blank), "{}", again.stderr);
    assert_eq!(docs(&inbox, "2026-0002").len(), 2);
    // Nothing of the discarded scan is left in clear anywhere.
    assert!(
        files_containing(inbox.home.path(), "Quentin Marbleworth").is_empty(),
        "{:?}",
        files_containing(inbox.home.path(), "Quentin Marbleworth")
    );
    inbox.home.run("v", Some(PASS), &["audit", "verify"]).ok();
}

#[test]
fn odd_names_are_kept_as_they_were() {
    use std::os::unix::ffi::OsStrExt;
    let inbox = setup(&[]);
    let sub = inbox.dir.join("2026-0001");
    std::fs::create_dir(&sub).unwrap();
    let long = format!("{}.txt", "Ä".repeat(120)); // 244 bytes
    let names = [
        "Zürich – Überweisung 📎.txt".to_string(),
        long.clone(),
        "CON.txt".to_string(),
        "aux".to_string(),
        "  spaced  name .txt".to_string(),
    ];
    for (i, n) in names.iter().enumerate() {
        std::fs::write(sub.join(n), format!("odd name {i}")).unwrap();
    }
    // Not UTF-8 at all (Latin-1 bytes).
    let raw = std::ffi::OsStr::from_bytes(b"Stra\xdfe-\xe9t\xe9.txt");
    std::fs::write(sub.join(raw), "latin-1 name").unwrap();
    // Control characters (an escape sequence): no title may hold them, so
    // they become U+FFFD; the file used to stop every pass.
    std::fs::write(sub.join("red\u{1b}[31m.txt"), "escape in the name").unwrap();
    let w = Watcher::start(&inbox);
    w.events(names.len() + 2, WAIT);
    let mut titles: Vec<String> = docs(&inbox, "2026-0001")
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    let mut expected: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
    expected.push("Stra\u{fffd}e-\u{fffd}t\u{fffd}.txt".into());
    expected.push("red\u{fffd}[31m.txt".into());
    expected.sort();
    assert_eq!(titles, expected);
    assert!(left_in_inbox(&inbox.dir).is_empty());
}

#[test]
fn only_one_watcher_takes_files_from_an_inbox() {
    let inbox = setup(&[]);
    let w = Watcher::start(&inbox);
    std::fs::write(inbox.dir.join("2026-0001_first.txt"), "first, fictional").unwrap();
    w.events(1, WAIT);
    // The first holds the inbox: a second watcher and a scan are refused,
    // while listing the quarantine still works.
    let second = inbox
        .home
        .run("v", Some(PASS), &["inbox", "scan", "--wait", "1"]);
    assert_ne!(second.code, 0);
    assert!(
        second.stderr.contains("Another Matterbox"),
        "{}",
        second.stderr
    );
    inbox
        .home
        .run("v", Some(PASS), &["inbox", "quarantine"])
        .ok();
    w.kill();
    std::fs::write(inbox.dir.join("2026-0001_second.txt"), "second, fictional").unwrap();
    let scan = json(&inbox, &["inbox", "scan", "--wait", "10"]);
    assert_eq!(scan["ingested"].as_array().unwrap().len(), 1, "{scan}");
}
