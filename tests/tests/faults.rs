//! Faults injected systematically, the SQLite way: every mutating command
//! of the CLI is run again and again under `strace`, killed (SIGKILL) at
//! chosen invocations of the system calls that write, sync, rename, link
//! and remove, or made to fail there with ENOSPC or EIO. After each run the
//! vault's invariants are checked:
//!
//! - exactly one passphrase opens the vault (none, for a creation that did
//!   not finish, and then creating it again works);
//! - what the command reported is what happened: success means the change
//!   is there; a failure means it is not, unless the message says the
//!   change was saved ("completed", "in effect");
//! - `doctor --fix` leaves no orphan and `doctor --deep` finds every
//!   recorded document intact (each decrypts to its SHA-256);
//! - `audit verify` passes;
//! - no inbox original is gone without its document;
//! - no plaintext of a client document is left under the home folder
//!   (vault, export folder, temporary folder) outside the files it came
//!   from and a completed export.
//!
//! Each run starts from a copy of the same prepared home folder, with the
//! device secret in a plain file inside it, so one copy restores
//! everything. The number of fault points per command is printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use matterbox_tests::{Home, Run, files_containing};

const PASS: &str = "fault passphrase one";
const NEW: &str = "fault passphrase two";
const CANARY: &str = "Zanzibar Quillfeather canary clause";

/// The system calls a kill is injected at: everything that changes files.
const KILL_AT: &[&str] = &[
    "openat",
    "write",
    "pwrite64",
    "fsync",
    "fdatasync",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "ftruncate",
];
/// The system calls an error (ENOSPC, EIO) is injected into.
const FAIL_AT: &[&str] = &[
    "write",
    "pwrite64",
    "fsync",
    "fdatasync",
    "rename",
    "renameat",
    "renameat2",
    "linkat",
    "mkdir",
];
/// Where EIO is injected: at every sampled invocation of a sync (a failed
/// sync is the classic lost write), and at one invocation (the middle
/// sample) of a write or rename, whose error paths are the ENOSPC ones
/// with another message: one point each keeps the suite's time small.
fn eio_samples(name: &str, max: usize) -> Vec<usize> {
    let all = samples(max);
    if name.contains("sync") {
        all
    } else if name.starts_with("write") || name.starts_with("pwrite") || name.starts_with("rename")
    {
        all.get(all.len() / 2).copied().into_iter().collect()
    } else {
        Vec::new()
    }
}
/// At most this many invocations of one system call are tried per fault
/// kind: the first, the last, and evenly spread ones between.
const SAMPLES: usize = 3;
/// Fault points run side by side, each in a home folder of its own.
const WORKERS: usize = 2;

struct Lab {
    home: Home,
    pristine: tempfile::TempDir,
    values: BTreeMap<&'static str, String>,
}

impl Lab {
    fn path(&self, rel: &str) -> PathBuf {
        self.home.path().join(rel)
    }

    fn value(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    /// `matterbox --vault v ARGS`, optionally under a wrapper.
    fn run_under(&self, wrapper: &[String], args: &[String], env: &[(&str, String)]) -> Run {
        let mut c = self.home.cmd_under(wrapper);
        c.arg("--vault").arg(self.home.vault_dir("v")).args(args);
        c.env("TMPDIR", self.path("tmp"));
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run matterbox").into()
    }

    fn run(&self, pass: &str, args: &[&str]) -> Run {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.run_under(&[], &args, &[("MATTERBOX_PASSPHRASE", pass.to_string())])
    }

    /// Saves the prepared home folder as the state every run starts from.
    fn freeze(&self) {
        copy_tree(self.home.path(), self.pristine.path());
    }

    fn restore(&self) {
        for entry in std::fs::read_dir(self.home.path()).unwrap().flatten() {
            let p = entry.path();
            let _ = chmod_tree_writable(&p);
            if entry.file_type().unwrap().is_dir() {
                std::fs::remove_dir_all(&p).unwrap();
            } else {
                std::fs::remove_file(&p).unwrap();
            }
        }
        copy_tree(self.pristine.path(), self.home.path());
    }

    /// Whether `pass` opens the vault: `Some(true)`, `Some(false)` for a
    /// wrong passphrase, `None` when there is no vault. Anything else (a
    /// damaged vault) fails the test.
    fn opens(&self, pass: &str, ctx: &str) -> Option<bool> {
        let r = self.run(pass, &["client", "list"]);
        match r.code {
            0 => Some(true),
            3 => Some(false),
            5 => None,
            _ => panic!(
                "{ctx}: the vault does not open cleanly (exit {}): {}",
                r.code, r.stderr
            ),
        }
    }

    /// The vault is sound: leftovers of the crash removed, every document
    /// intact, the audit log verified.
    fn assert_sound(&self, pass: &str, ctx: &str) {
        // Leftovers of the crash are removed, then nothing else may remain,
        // every document must decrypt to its recorded SHA-256, and the
        // audit log must verify link by link (the doctor checks all three).
        let deep = self.run(
            pass,
            &["doctor", "--fix", "--deep", "--min-age-seconds", "0"],
        );
        assert!(
            deep.code == 0
                && deep.stdout.contains("All documents are in order")
                && deep.stdout.contains("The audit log is intact"),
            "{ctx}: doctor --fix --deep (exit {}): {}{}",
            deep.code,
            deep.stdout,
            deep.stderr
        );
    }

    /// No plaintext of the client document outside `allowed` files.
    fn assert_no_plaintext(&self, allowed: &[PathBuf], ctx: &str) {
        let leaks: Vec<PathBuf> = files_containing(self.home.path(), CANARY)
            .into_iter()
            .filter(|p| !p.starts_with(self.path("src")) && !p.starts_with(self.path("inbox")))
            .filter(|p| !allowed.contains(p))
            .collect();
        assert!(leaks.is_empty(), "{ctx}: plaintext left in {leaks:?}");
    }

    fn json(&self, pass: &str, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(pass, &all).ok().json()
    }

    fn count(&self, pass: &str, args: &[&str]) -> usize {
        self.json(pass, args).as_array().map_or(0, Vec::len)
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

fn chmod_tree_writable(p: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if p.is_dir() {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// How the command ended, as the invariants see it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reported {
    Done,
    Failed,
    /// Failed, but the message says the change was saved.
    FailedAfterSaving,
    Killed,
}

fn reported(r: &Run) -> Reported {
    match r.code {
        0 => Reported::Done,
        -1 | 137 => Reported::Killed,
        _ if r.stderr.contains("completed") || r.stderr.contains("in effect") => {
            Reported::FailedAfterSaving
        }
        _ => Reported::Failed,
    }
}

/// Checks that `happened` agrees with what the command reported.
fn assert_reported(r: &Run, happened: bool, ctx: &str) {
    match reported(r) {
        Reported::Done | Reported::FailedAfterSaving => assert!(
            happened,
            "{ctx}: reported done (exit {}) but the change is not there: {}{}",
            r.code, r.stdout, r.stderr
        ),
        Reported::Failed => assert!(
            !happened,
            "{ctx}: reported a failure (exit {}) but the change was made: {}",
            r.code, r.stderr
        ),
        Reported::Killed => {}
    }
}

/// One command under test.
struct Scenario {
    name: &'static str,
    setup: fn(&mut Lab),
    args: fn(&Lab) -> Vec<String>,
    env: fn(&Lab) -> Vec<(&'static str, String)>,
    check: fn(&Lab, &Run, &str),
}

fn pass_env(_: &Lab) -> Vec<(&'static str, String)> {
    vec![("MATTERBOX_PASSPHRASE", PASS.to_string())]
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// --- setups ------------------------------------------------------------

fn make_dirs(lab: &Lab) {
    for d in ["src", "out", "tmp"] {
        std::fs::create_dir_all(lab.path(d)).unwrap();
    }
    std::fs::write(
        lab.path("src/letter.txt"),
        format!("Dear client, {CANARY}.\n").repeat(200),
    )
    .unwrap();
    std::fs::write(
        lab.path("src/letter2.txt"),
        format!("Revised: {CANARY}.\n").repeat(300),
    )
    .unwrap();
}

fn setup_vault(lab: &mut Lab) {
    make_dirs(lab);
    let created = lab.json(
        PASS,
        &[
            "vault",
            "create",
            "--name",
            "Fault lab",
            "--danger-device-secret-in-plain-file",
        ],
    );
    lab.values.insert(
        "recovery",
        created["recoveryKey"].as_str().unwrap().to_string(),
    );
    lab.run(PASS, &["client", "add", "--name", "Ada Fictional"])
        .ok();
}

fn setup_matters(lab: &mut Lab) {
    setup_vault(lab);
    for title in ["Old estate", "New lease"] {
        let m = lab.json(
            PASS,
            &[
                "matter",
                "open",
                "--client",
                "1",
                "--title",
                title,
                "--opened",
                "2015-01-01",
            ],
        );
        let key = if title == "Old estate" { "m1" } else { "m2" };
        lab.values
            .insert(key, m["number"].as_str().unwrap().to_string());
    }
}

fn setup_document(lab: &mut Lab) {
    setup_matters(lab);
    let m1 = lab.value("m1").to_string();
    let src = lab.path("src/letter.txt");
    let d = lab.json(PASS, &["doc", "add", &m1, src.to_str().unwrap()]);
    lab.values.insert("doc", d["id"].to_string());
}

fn setup_due(lab: &mut Lab) {
    setup_document(lab);
    let m1 = lab.value("m1").to_string();
    lab.run(
        PASS,
        &[
            "retention",
            "policy",
            "add",
            "--name",
            "Six years",
            "--years",
            "6",
        ],
    )
    .ok();
    lab.run(PASS, &["retention", "matter", &m1, "--policy", "1"])
        .ok();
    lab.run(PASS, &["matter", "close", &m1, "--on", "2019-05-01"])
        .ok();
}

fn setup_inbox(lab: &mut Lab) {
    setup_matters(lab);
    let inbox = lab.path("inbox");
    lab.run(
        PASS,
        &[
            "inbox",
            "settings",
            "--folder",
            inbox.to_str().unwrap(),
            "--quiet-ms",
            "200",
        ],
    )
    .ok();
    let m1 = lab.value("m1").to_string();
    lab.run(PASS, &["inbox", "mkdir", &m1]).ok();
    let dropped = inbox.join(&m1).join("scan.txt");
    std::fs::write(&dropped, format!("Scanned: {CANARY}.\n").repeat(300)).unwrap();
    // Settled long ago: the first pass takes it.
    Command::new("touch")
        .args(["-d", "2 minutes ago"])
        .arg(&dropped)
        .status()
        .unwrap();
}

// --- the scenarios -----------------------------------------------------

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "vault create",
            setup: |lab| make_dirs(lab),
            args: |_| {
                strings(&[
                    "vault",
                    "create",
                    "--name",
                    "Fault lab",
                    "--danger-device-secret-in-plain-file",
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                match lab.opens(PASS, ctx) {
                    None => {
                        assert_reported(r, false, ctx);
                        // Nothing half-made blocks creating it again.
                        let again = lab.run(
                            PASS,
                            &["vault", "create", "--danger-device-secret-in-plain-file"],
                        );
                        assert_eq!(again.code, 0, "{ctx}: create again: {}", again.stderr);
                    }
                    Some(true) => {
                        assert_reported(r, true, ctx);
                        lab.assert_sound(PASS, ctx);
                    }
                    Some(false) => panic!("{ctx}: a vault the passphrase does not open"),
                }
                lab.assert_no_plaintext(&[], ctx);
            },
        },
        Scenario {
            name: "unlock (client list)",
            setup: setup_vault,
            args: |_| strings(&["client", "list"]),
            env: pass_env,
            check: |lab, _r, ctx| {
                assert_eq!(lab.opens(PASS, ctx), Some(true), "{ctx}");
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "client add",
            setup: setup_vault,
            args: |_| strings(&["client", "add", "--name", "Orrin Fictive"]),
            env: pass_env,
            check: |lab, r, ctx| {
                let n = lab.count(PASS, &["client", "list"]);
                assert!(n == 1 || n == 2, "{ctx}: {n} clients");
                assert_reported(r, n == 2, ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "client edit",
            setup: setup_vault,
            args: |_| strings(&["client", "edit", "1", "--name", "Ada Renamed"]),
            env: pass_env,
            check: |lab, r, ctx| {
                let clients = lab.json(PASS, &["client", "list"]);
                let name = clients[0]["name"].as_str().unwrap_or_default().to_string();
                assert_eq!(clients.as_array().map_or(0, Vec::len), 1, "{ctx}");
                assert!(
                    name == "Ada Fictional" || name == "Ada Renamed",
                    "{ctx}: {name}"
                );
                assert_reported(r, name == "Ada Renamed", ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "matter close",
            setup: setup_matters,
            args: |lab| strings(&["matter", "close", lab.value("m1"), "--on", "2020-01-31"]),
            env: pass_env,
            check: |lab, r, ctx| {
                let m = lab.json(PASS, &["matter", "show", lab.value("m1")]);
                let status = matter_status(&m);
                assert!(status == "open" || status == "closed", "{ctx}: {m}");
                assert_reported(r, status == "closed", ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "matter add-party",
            setup: setup_matters,
            args: |lab| {
                strings(&[
                    "matter",
                    "add-party",
                    lab.value("m1"),
                    "--name",
                    "Bertram Opposing",
                    "--side",
                    "adverse",
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let m = lab.json(PASS, &["matter", "show", lab.value("m1")]);
                let parties = m["parties"].as_array().map_or(0, Vec::len);
                assert!(parties <= 1, "{ctx}: {m}");
                assert_reported(r, parties == 1, ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "matter open",
            setup: setup_vault,
            args: |_| {
                strings(&[
                    "matter",
                    "open",
                    "--client",
                    "1",
                    "--title",
                    "Boundary dispute",
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let n = lab.count(PASS, &["matter", "list"]);
                assert!(n <= 1, "{ctx}: {n} matters");
                assert_reported(r, n == 1, ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "doc add",
            setup: setup_matters,
            args: |lab| {
                let src = lab.path("src/letter.txt");
                strings(&["doc", "add", lab.value("m1"), src.to_str().unwrap()])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let docs = lab.json(PASS, &["doc", "list", lab.value("m1")]);
                let n = docs.as_array().map_or(0, Vec::len);
                assert!(n <= 1, "{ctx}: {n} documents");
                assert_reported(r, n == 1, ctx);
                lab.assert_sound(PASS, ctx);
                lab.assert_no_plaintext(&[], ctx);
            },
        },
        Scenario {
            name: "doc export",
            setup: setup_document,
            args: |lab| {
                let out = lab.path("out/letter.txt");
                strings(&[
                    "doc",
                    "export",
                    lab.value("doc"),
                    "--output",
                    out.to_str().unwrap(),
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let out = lab.path("out/letter.txt");
                let whole = std::fs::read(lab.path("src/letter.txt")).unwrap();
                let there = match std::fs::read(&out) {
                    Ok(bytes) => {
                        assert_eq!(bytes, whole, "{ctx}: an export appeared, but not whole");
                        true
                    }
                    Err(_) => false,
                };
                assert_reported(r, there, ctx);
                // Nothing else in the export folder, ever.
                let names: Vec<_> = std::fs::read_dir(lab.path("out"))
                    .unwrap()
                    .flatten()
                    .map(|e| e.file_name())
                    .collect();
                assert!(names.len() <= 1, "{ctx}: {names:?}");
                lab.assert_sound(PASS, ctx);
                lab.assert_no_plaintext(&[out], ctx);
            },
        },
        Scenario {
            name: "doc add-version",
            setup: setup_document,
            args: |lab| {
                let src = lab.path("src/letter2.txt");
                strings(&[
                    "doc",
                    "add-version",
                    lab.value("doc"),
                    src.to_str().unwrap(),
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let d = lab.json(PASS, &["doc", "show", lab.value("doc")]);
                let versions = d["versions"].as_array().map_or(0, Vec::len);
                assert!(versions == 1 || versions == 2, "{ctx}: {d}");
                assert_reported(r, versions == 2, ctx);
                lab.assert_sound(PASS, ctx);
                lab.assert_no_plaintext(&[], ctx);
            },
        },
        Scenario {
            name: "doc move",
            setup: setup_document,
            args: |lab| strings(&["doc", "move", lab.value("doc"), lab.value("m2")]),
            env: pass_env,
            check: |lab, r, ctx| {
                let moved = lab.count(PASS, &["doc", "list", lab.value("m2")]);
                let stayed = lab.count(PASS, &["doc", "list", lab.value("m1")]);
                assert_eq!(moved + stayed, 1, "{ctx}");
                assert_reported(r, moved == 1, ctx);
                lab.assert_sound(PASS, ctx);
            },
        },
        Scenario {
            name: "vault change-passphrase",
            setup: setup_document,
            args: |_| strings(&["vault", "change-passphrase"]),
            env: |_| {
                vec![
                    ("MATTERBOX_PASSPHRASE", PASS.to_string()),
                    ("MATTERBOX_NEW_PASSPHRASE", NEW.to_string()),
                ]
            },
            check: |lab, r, ctx| one_passphrase_works(lab, r, ctx),
        },
        Scenario {
            name: "vault recover",
            setup: setup_document,
            args: |_| strings(&["vault", "recover", "--danger-device-secret-in-plain-file"]),
            env: |lab| {
                vec![
                    ("MATTERBOX_RECOVERY_KEY", lab.value("recovery").to_string()),
                    ("MATTERBOX_NEW_PASSPHRASE", NEW.to_string()),
                ]
            },
            check: |lab, r, ctx| one_passphrase_works(lab, r, ctx),
        },
        Scenario {
            name: "inbox scan (ingest)",
            setup: setup_inbox,
            args: |_| strings(&["inbox", "scan", "--wait", "10"]),
            env: pass_env,
            check: |lab, r, ctx| {
                let m1 = lab.value("m1").to_string();
                let originals = files_containing(&lab.path("inbox"), CANARY).len();
                let docs = lab.count(PASS, &["doc", "list", &m1]);
                assert!(
                    originals + docs >= 1,
                    "{ctx}: the original is gone and no document holds it"
                );
                assert!(docs <= 1, "{ctx}: ingested {docs} times");
                if reported(r) == Reported::Done {
                    assert_eq!((docs, originals), (1, 0), "{ctx}");
                }
                // The next pass finishes what was cut short, exactly once.
                lab.run(PASS, &["inbox", "scan", "--wait", "10"]).ok();
                assert_eq!(lab.count(PASS, &["doc", "list", &m1]), 1, "{ctx}");
                assert!(
                    files_containing(&lab.path("inbox"), CANARY).is_empty(),
                    "{ctx}"
                );
                lab.assert_sound(PASS, ctx);
                lab.assert_no_plaintext(&[], ctx);
            },
        },
        Scenario {
            name: "retention destroy",
            setup: setup_due,
            args: |lab| {
                strings(&[
                    "retention",
                    "destroy",
                    "--matter",
                    lab.value("m1"),
                    "--today",
                    "2025-05-01",
                ])
            },
            env: pass_env,
            check: |lab, r, ctx| {
                let shown = lab.run(PASS, &["matter", "show", lab.value("m1")]);
                let destroyed = shown.code == 7;
                assert!(destroyed || shown.code == 0, "{ctx}: {}", shown.stderr);
                assert_reported(r, destroyed, ctx);
                let register = lab.count(PASS, &["retention", "register"]);
                assert_eq!(register > 0, destroyed, "{ctx}: register {register}");
                lab.assert_sound(PASS, ctx);
                if destroyed {
                    // Its encrypted file is gone too, once the next unlock
                    // finished the destruction.
                    let blobs = std::fs::read_dir(lab.home.vault_dir("v").join("blobs"))
                        .unwrap()
                        .flatten()
                        .filter(|e| e.file_type().unwrap().is_file())
                        .count();
                    assert_eq!(blobs, 0, "{ctx}");
                }
                lab.assert_no_plaintext(&[], ctx);
            },
        },
        Scenario {
            // The second backup to a folder: saves, verifies, thins out
            // the first (same day) and prunes.
            name: "backup run",
            setup: |lab| {
                setup_document(lab);
                let to = lab.path("backup");
                std::fs::create_dir_all(&to).unwrap();
                lab.run(PASS, &["backup", "run", "--to", to.to_str().unwrap()])
                    .ok();
            },
            args: |_| strings(&["backup", "run"]),
            env: pass_env,
            check: |lab, r, ctx| {
                // Whatever happened, the repository still opens, lists a
                // backup, and the next backup completes and verifies.
                let listed = lab.json(PASS, &["backup", "list"]);
                assert!(
                    !listed.as_array().unwrap().is_empty(),
                    "{ctx}: no backup left ({})",
                    r.stderr
                );
                let next = lab.run(PASS, &["backup", "run", "--check-all"]);
                // A panic inside the repository code leaves its place in
                // the incident log (no client data): shown to find it.
                let incidents = std::fs::read_to_string(
                    lab.home.path().join(".local/state/matterbox/incidents.log"),
                )
                .unwrap_or_default();
                assert_eq!(
                    next.code,
                    0,
                    "{ctx}: the next backup after it failed: {}\nincident log:\n{}",
                    next.stderr,
                    incidents
                        .lines()
                        .rev()
                        .take(20)
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                lab.assert_no_plaintext(&[], ctx);
            },
        },
    ]
}

/// A matter's status as `matter show --json` gives it.
fn matter_status(m: &serde_json::Value) -> String {
    m["status"]
        .as_str()
        .or_else(|| m["matter"]["status"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn one_passphrase_works(lab: &Lab, r: &Run, ctx: &str) {
    let new = lab.opens(NEW, ctx) == Some(true);
    let old = lab.opens(PASS, ctx) == Some(true);
    assert!(new != old, "{ctx}: old opens: {old}, new opens: {new}");
    assert_reported(r, new, ctx);
    let pass = if new { NEW } else { PASS };
    lab.assert_sound(pass, ctx);
    let log = lab.run(pass, &["audit", "export"]).ok().stdout;
    let recorded = log.contains("\"action\":\"passphrase_changed\"")
        || log.contains("\"action\":\"recovery_key_used\"");
    assert_eq!(
        recorded, new,
        "{ctx}: the change and its audit entry disagree"
    );
}

/// How often each system call of `KILL_AT` is made by one thread of the
/// command, at most.
fn syscall_counts(lab: &Lab, s: &Scenario) -> BTreeMap<String, usize> {
    let log = lab.path("tmp/trace.log");
    let wrapper = strings(&["strace", "-f", "--seccomp-bpf", "-qq", "-o"])
        .into_iter()
        .chain(strings(&[log.to_str().unwrap(), "-e"]))
        .chain([format!("trace={}", KILL_AT.join(","))])
        .collect::<Vec<_>>();
    let r = lab.run_under(&wrapper, &(s.args)(lab), &(s.env)(lab));
    assert_eq!(
        r.code, 0,
        "{}: the command fails without a fault: {}",
        s.name, r.stderr
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let mut per_thread: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(2, ' ');
        let (Some(pid), Some(rest)) = (parts.next(), parts.next()) else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(name) = rest.split('(').next()
            && KILL_AT.contains(&name)
            && rest.contains('(')
        {
            *per_thread
                .entry((pid.to_string(), name.to_string()))
                .or_default() += 1;
        }
    }
    let mut counts = BTreeMap::new();
    for ((_, name), n) in per_thread {
        let c: &mut usize = counts.entry(name).or_default();
        *c = (*c).max(n);
    }
    counts
}

/// The invocations tried of a call made `max` times: [`SAMPLES`] of them,
/// or as many as `MATTERBOX_FAULTS_SAMPLES` says (a longer run by hand).
fn samples(max: usize) -> Vec<usize> {
    let wanted = std::env::var("MATTERBOX_FAULTS_SAMPLES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(SAMPLES)
        .max(2);
    if max <= wanted {
        return (1..=max).collect();
    }
    let mut v: Vec<usize> = (0..wanted)
        .map(|i| 1 + i * (max - 1) / (wanted - 1))
        .collect();
    v.dedup();
    v
}

fn new_lab(s: &Scenario) -> Lab {
    let mut lab = Lab {
        home: Home::new(),
        pristine: tempfile::tempdir().unwrap(),
        values: BTreeMap::new(),
    };
    (s.setup)(&mut lab);
    lab.freeze();
    lab
}

fn run_scenario(s: &Scenario) -> usize {
    let started = std::time::Instant::now();
    let lab = new_lab(s);
    let counts = syscall_counts(&lab, s);
    let mut faults: Vec<String> = Vec::new();
    for (name, &max) in &counts {
        for n in samples(max) {
            faults.push(format!("{name}:signal=KILL:when={n}"));
        }
        if FAIL_AT.contains(&name.as_str()) {
            for n in samples(max) {
                faults.push(format!("{name}:error=ENOSPC:when={n}"));
            }
            for n in eio_samples(name, max) {
                faults.push(format!("{name}:error=EIO:when={n}"));
            }
        }
    }
    std::thread::scope(|scope| {
        let labs: Vec<Lab> = std::iter::once(lab)
            .chain((1..WORKERS).map(|_| new_lab(s)))
            .collect();
        for (worker, lab) in labs.into_iter().enumerate() {
            let faults = &faults;
            scope.spawn(move || {
                for fault in faults.iter().skip(worker).step_by(WORKERS) {
                    lab.restore();
                    // Only the faulted call stops the command (seccomp-bpf),
                    // not every call it makes: a third of the suite's time.
                    let call = fault.split(':').next().unwrap_or_default();
                    let wrapper: Vec<String> = strings(&["strace", "-f", "--seccomp-bpf"])
                        .into_iter()
                        .chain(strings(&["-qq", "-o", "/dev/null", "-e"]))
                        .chain([format!("trace={call}"), "-e".into()])
                        .chain([format!("inject={fault}")])
                        .collect();
                    let r = lab.run_under(&wrapper, &(s.args)(&lab), &(s.env)(&lab));
                    let ctx = format!("{} with {fault}", s.name);
                    (s.check)(&lab, &r, &ctx);
                }
            });
        }
    });
    eprintln!(
        "fault injection: {}: {} fault points in {:.0} s over {:?} (most calls by one thread)",
        s.name,
        faults.len(),
        started.elapsed().as_secs_f64(),
        counts
    );
    faults.len()
}

#[test]
fn every_mutating_command_survives_kills_and_failures_at_its_system_calls() {
    let strace = Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "strace is missing: ./scripts/setup.sh --test installs it"
    );
    let only = std::env::var("MATTERBOX_FAULTS_ONLY").ok();
    let started = std::time::Instant::now();
    let mut table = Vec::new();
    for s in scenarios() {
        if only.as_deref().is_some_and(|o| !s.name.contains(o)) {
            continue;
        }
        let t = std::time::Instant::now();
        let points = run_scenario(&s);
        table.push((s.name, points, t.elapsed().as_secs_f64()));
    }
    let total: usize = table.iter().map(|(_, n, _)| n).sum();
    eprintln!("fault injection: fault points per command");
    for (name, points, secs) in &table {
        eprintln!("  {name:<28} {points:>4} points {secs:>6.0} s");
    }
    eprintln!(
        "fault injection: {total} fault points in all, {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(total > 0);
}

/// Whether this process may mount file systems. As root it may; otherwise
/// the test `test` runs itself again inside a user and mount namespace
/// (`unshare -rm`), where mounting is allowed, and this returns `false`
/// once that run has passed.
fn in_mount_namespace(test: &str) -> bool {
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        return true;
    }
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount"])
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .status()
        .expect("unshare (util-linux) runs the test in a mount namespace");
    assert!(status.success(), "{test} failed inside its mount namespace");
    false
}

/// A small file system (tmpfs of `size`) mounted at a folder until dropped,
/// which a test can fill.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .unwrap();
        assert!(
            mounted.success(),
            "cannot mount a small file system at {}",
            dir.display()
        );
        Self(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The room left on the small disk for each command of the suite: none,
/// and a little (enough for the unlock's audit entry, not for much more).
const FULL_DISK_ROOM: &[u64] = &[0, 64 * 1024];

/// Fills the file system holding `dir` to the last byte; returns the filler.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let _ = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", filler.display()))
        .args(["bs=4k", "status=none"])
        .status();
    let probe = std::fs::write(dir.join("probe"), b"x");
    assert!(probe.is_err(), "the disk is not full");
    filler
}

fn empty_lab() -> Lab {
    Lab {
        home: Home::new(),
        pristine: tempfile::tempdir().unwrap(),
        values: BTreeMap::new(),
    }
}

#[test]
fn a_full_disk_loses_nothing_and_every_command_says_what_happened() {
    if !in_mount_namespace("a_full_disk_loses_nothing_and_every_command_says_what_happened") {
        return;
    }
    // Every command of the suite, with the vault on a disk filled after
    // its setup: to the last byte (the unlock's own audit entry already
    // fails), and with a little room left (the unlock passes and the
    // command's own writes meet the full disk); then room again, and the
    // same invariants as after a fault.
    for s in scenarios() {
        for room in FULL_DISK_ROOM {
            let mut lab = empty_lab();
            let disk = lab.home.path().join("vaults");
            let _mounted = SmallDisk::mount(&disk, "8m");
            (s.setup)(&mut lab);
            let filler = fill(&disk);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&filler)
                .unwrap();
            let len = file.metadata().unwrap().len();
            file.set_len(len.saturating_sub(*room)).unwrap();
            drop(file);
            let r = lab.run_under(&[], &(s.args)(&lab), &(s.env)(&lab));
            std::fs::remove_file(&filler).unwrap();
            let ctx = format!(
                "{} on a full disk with {room} bytes left (exit {}: {})",
                s.name, r.code, r.stderr
            );
            (s.check)(&lab, &r, &ctx);
            // What it reports is what happened: a full disk, never an
            // internal failure.
            assert!(
                r.code == 0 || r.stderr.contains("has no space left"),
                "{ctx}: a failure on a full disk not reported as one"
            );
            eprintln!(
                "full disk: {} with {room} bytes left: exit {} {}",
                s.name,
                r.code,
                r.stderr.lines().next().unwrap_or_default()
            );
        }
    }

    // What a full disk does to a large import and to guesses.
    let mut lab = empty_lab();
    let disk = lab.home.path().join("vaults");
    let _mounted = SmallDisk::mount(&disk, "8m");
    setup_document(&mut lab);
    // A copy of the device secret on the full disk, for the guess below
    // that can be counted nowhere.
    let secrets = disk.join("device-secrets");
    std::fs::create_dir(&secrets).unwrap();
    for e in std::fs::read_dir(lab.path("device-secrets"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), secrets.join(e.file_name())).unwrap();
    }
    let filler = fill(&disk);
    let ctx = "on a full disk";

    let big = lab.path("src/big.txt");
    std::fs::write(&big, format!("{CANARY}\n").repeat(100_000)).unwrap();
    let imported = lab.run(
        PASS,
        &["doc", "add", lab.value("m2"), big.to_str().unwrap()],
    );
    assert_ne!(imported.code, 0, "{ctx}: 3.7 MB imported onto a full disk?");
    // A wrong guess is counted in the user's own folder and beside the
    // device secret when the vault's disk is full...
    let guess = lab.run("not the passphrase", &["client", "list"]);
    assert_eq!(guess.code, 3, "{ctx}: {}", guess.stderr);
    // ...and when it can be counted nowhere, it is not tried.
    let guess = lab.run_under(
        &[],
        &strings(&["client", "list"]),
        &[
            ("MATTERBOX_PASSPHRASE", "not the passphrase".to_string()),
            ("XDG_STATE_HOME", disk.join("state").display().to_string()),
            ("MATTERBOX_DEVICE_SECRET_DIR", secrets.display().to_string()),
        ],
    );
    assert_eq!(
        guess.code, 1,
        "{ctx}: an uncounted guess was tried: {}",
        guess.stderr
    );
    assert!(guess.stderr.contains("space"), "{ctx}: {}", guess.stderr);

    // Room again: nothing was lost, nothing is left over.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(
        lab.count(PASS, &["doc", "list", lab.value("m2")]),
        0,
        "{ctx}"
    );
    let deep = lab.run(PASS, &["doctor", "--deep", "--min-age-seconds", "0"]);
    assert!(
        deep.code == 0 && deep.stdout.contains("All documents are in order"),
        "{ctx}: leftovers or damage after the disk was full: {}{}",
        deep.stdout,
        deep.stderr
    );
    lab.assert_sound(PASS, ctx);
    lab.assert_no_plaintext(&[], ctx);
}

#[test]
fn twenty_writers_at_once_each_report_what_they_did() {
    let mut lab = Lab {
        home: Home::new(),
        pristine: tempfile::tempdir().unwrap(),
        values: BTreeMap::new(),
    };
    setup_vault(&mut lab);
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let lab = &lab;
        let handles: Vec<_> = (0..20)
            .map(|i| {
                scope.spawn(move || {
                    lab.run(
                        PASS,
                        &["client", "add", "--name", &format!("Fictive Writer {i}")],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<&Run> = runs.iter().filter(|r| r.code != 0).collect();
    let clients = lab.count(PASS, &["client", "list"]);
    // Each writer that says it added its client did, and only those.
    assert_eq!(
        clients,
        1 + runs.len() - failed.len(),
        "{}",
        failed
            .iter()
            .map(|r| r.stderr.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        failed.is_empty(),
        "parallel writers failed: {}",
        failed
            .iter()
            .map(|r| r.stderr.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    lab.assert_sound(PASS, "after twenty writers");
    // No temporary file of theirs is left.
    let left: Vec<_> = std::fs::read_dir(lab.home.vault_dir("v"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_doctor_names_a_damaged_page_that_unlock_never_reads_and_exits_9() {
    let mut lab = empty_lab();
    setup_document(&mut lab);
    let dir = lab.home.vault_dir("v");
    // The page to damage: the root of the search index's stored text,
    // which unlocking never reads (found with the database key).
    let vault = matterbox_vault::Vault::open(&dir).unwrap();
    let recovery = matterbox_vault::RecoveryKey::parse(lab.value("recovery")).unwrap();
    let master = vault.danger_master_key_from_recovery(&recovery).unwrap();
    let key = vault.danger_database_key_hex(&master);
    let page: usize = {
        let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.as_str()))
            .unwrap();
        let page: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'document_search_content'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        usize::try_from(page).unwrap()
    };
    let db = dir.join("vault.db");
    assert!(!dir.join("vault.db-wal").exists(), "checkpointed");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[(page - 1) * 4096 + 1000] ^= 0x55;
    std::fs::write(&db, &bytes).unwrap();

    // Unlocking and commands that do not read the page work...
    let listed = lab.run(PASS, &["client", "list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    // ...and the doctor names the damage and exits 9 ("vault damaged").
    let doctor = lab.run(PASS, &["doctor"]);
    assert_eq!(doctor.code, 9, "{}{}", doctor.stdout, doctor.stderr);
    assert!(
        doctor.stdout.contains("DATABASE DAMAGED")
            && doctor.stdout.contains(&format!("page {page}")),
        "page {page} is not named: {}",
        doctor.stdout
    );
    // `--fix` removes nothing while the database fails its checks.
    let blobs = dir.join("blobs");
    let blob = std::fs::read_dir(&blobs)
        .unwrap()
        .flatten()
        .find(|e| e.file_type().unwrap().is_file())
        .unwrap()
        .path();
    let orphan = blobs.join(format!("{:032x}", 7));
    std::fs::copy(&blob, &orphan).unwrap();
    let fixed = lab.run(PASS, &["doctor", "--fix", "--min-age-seconds", "0"]);
    assert_eq!(fixed.code, 9, "{}{}", fixed.stdout, fixed.stderr);
    assert!(
        fixed
            .stdout
            .contains("Removed no orphaned encrypted file: the database itself fails its checks"),
        "{}",
        fixed.stdout
    );
    assert!(orphan.exists() && blob.exists());
}
