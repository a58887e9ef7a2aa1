//! Backups with real components: the `matterbox` binary writes a
//! restic-format repository to a folder, the real `restic` CLI (Debian
//! package) lists, checks and restores it with the password Matterbox
//! shows, and a new computer (another home, no keychain entry, no device
//! secret) gets every client file back with the recovery key alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use matterbox_tests::{
    COMMAND_LIMIT, Home, ObjectStore, Run, copy_dir, files_containing, run_within,
};

const PASS: &str = "a long test passphrase";
const NEW_PASS: &str = "the new laptop's passphrase";

struct Office {
    home: Home,
    recovery_key: String,
    /// Text found only in the client's document and name.
    marker: String,
    document: Vec<u8>,
}

fn office() -> Office {
    let home = Home::new();
    let created = home
        .run(
            "v",
            Some(PASS),
            &[
                "--json",
                "vault",
                "create",
                "--name",
                "Fictional & Co",
                "--danger-device-secret-in-plain-file",
            ],
        )
        .ok()
        .json();
    let marker = format!("MARKER{}", std::process::id());
    home.run(
        "v",
        Some(PASS),
        &["client", "add", "--name", &format!("Ada {marker}")],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &[
            "--json", "matter", "open", "--client", "1", "--title", "Estate",
        ],
    )
    .ok();
    let document = format!("Last will of the fictional Ada. {marker}\n")
        .repeat(2000)
        .into_bytes();
    add_document(&home, "will.txt", &document);
    Office {
        home,
        recovery_key: created["recoveryKey"].as_str().unwrap().to_string(),
        marker,
        document,
    }
}

fn matter_number(home: &Home) -> String {
    home.run("v", Some(PASS), &["--json", "matter", "list"])
        .ok()
        .json()[0]["number"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Imports `bytes` as a new document of the first matter; returns its id.
fn add_document(home: &Home, name: &str, bytes: &[u8]) -> i64 {
    let file = home.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let number = matter_number(home);
    let added = home
        .run(
            "v",
            Some(PASS),
            &["--json", "doc", "add", &number, file.to_str().unwrap()],
        )
        .ok()
        .json();
    std::fs::remove_file(&file).unwrap();
    added["id"].as_i64().unwrap()
}

fn backup_run(home: &Home, dest: &Path) -> Run {
    backup_to(home, dest.as_os_str(), &[])
}

/// `backup run --to DEST EXTRA…` with the vault's passphrase.
fn backup_to(home: &Home, dest: &std::ffi::OsStr, extra: &[&str]) -> Run {
    let mut c = home.cmd();
    c.arg("--vault")
        .arg(home.vault_dir("v"))
        .args(["--json", "backup", "run", "--to"])
        .arg(dest)
        .args(extra)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("MATTERBOX_S3_SECRET_ACCESS_KEY", STORE_SECRET)
        .env("TMPDIR", home.path().join("tmp"));
    std::fs::create_dir_all(home.path().join("tmp")).unwrap();
    run_within(&mut c, COMMAND_LIMIT).0
}

/// The secret access key the tests' object store is given.
const STORE_SECRET: &str = "fictional-store-secret-4f1d";

fn restore(home: &Home, from: &Path, key: &str, extra: &[&str]) -> Run {
    let mut c = home.cmd();
    c.arg("--vault")
        .arg(home.vault_dir("restored"))
        .args([
            "--json",
            "backup",
            "restore",
            "--danger-device-secret-in-plain-file",
            "--from",
        ])
        .arg(from)
        .args(extra)
        .env("MATTERBOX_RECOVERY_KEY", key)
        .env("MATTERBOX_NEW_PASSPHRASE", NEW_PASS)
        .env("MATTERBOX_S3_SECRET_ACCESS_KEY", STORE_SECRET);
    run_within(&mut c, COMMAND_LIMIT).0
}

fn restic(repo: &Path, password: &str, args: &[&str]) -> Run {
    let mut c = Command::new("restic");
    c.arg("-r")
        .arg(repo)
        .args(args)
        .env("RESTIC_PASSWORD", password)
        .env("RESTIC_CACHE_DIR", repo.with_extension("restic-cache"));
    run_within(&mut c, COMMAND_LIMIT).0
}

/// The vault `name` in `home` holds the office's client and document, its
/// audit log verifies and every document decrypts to its checksum.
fn holds_everything(home: &Home, name: &str, pass: &str, office: &Office) {
    let clients = home
        .run(name, Some(pass), &["--json", "client", "list"])
        .ok()
        .json();
    assert_eq!(clients[0]["name"], format!("Ada {}", office.marker));
    let out = home.path().join(format!("{name}-will.txt"));
    home.run(
        name,
        Some(pass),
        &["doc", "export", "1", "--output", out.to_str().unwrap()],
    )
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), office.document);
    std::fs::remove_file(&out).unwrap();
    home.run(name, Some(pass), &["audit", "verify"]).ok();
    let doctor = home
        .run(name, Some(pass), &["--json", "doctor", "--deep"])
        .ok()
        .json();
    assert!(doctor["checked"].as_u64().unwrap() >= 1, "{doctor}");
    for list in ["missing", "damaged", "orphans", "databaseProblems"] {
        assert_eq!(doctor[list].as_array().map(Vec::len), Some(0), "{doctor}");
    }
}

#[test]
fn a_lost_laptop_is_restored_from_its_backup_with_the_recovery_key_alone() {
    let office = office();
    let dest = office.home.path().join("usb-drive");
    std::fs::create_dir(&dest).unwrap();
    let report = backup_run(&office.home, &dest).ok().json();
    assert!(
        report["dataChecked"].as_str().unwrap().ends_with("/30"),
        "{report}"
    );
    assert!(report["bytesWritten"].as_u64().unwrap() > 0);

    // Nothing readable at the destination or in the temporary folder.
    for needle in [office.marker.as_str(), "Last will", "Ada "] {
        assert_eq!(
            files_containing(&dest, needle),
            Vec::<PathBuf>::new(),
            "{needle}"
        );
        assert_eq!(
            files_containing(&office.home.path().join("tmp"), needle),
            Vec::<PathBuf>::new()
        );
    }
    // Nothing of the backup is left in the vault folder.
    assert!(!office.home.vault_dir("v").join(".backup").exists());

    // The status says when the last verified backup was made.
    let status = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "status"])
        .ok()
        .json();
    assert_eq!(status["lastSnapshot"], report["snapshot"]);
    assert!(status["lastVerifiedAt"].is_string());

    // A new laptop: another home, no device secret, no keychain entry.
    let laptop = Home::new();
    let wrong = restore(&laptop, &dest, &"0".repeat(office.recovery_key.len()), &[]);
    assert_ne!(wrong.code, 0, "{}", wrong.stdout);
    assert!(!laptop.vault_dir("restored").exists());
    let restored = restore(&laptop, &dest, &office.recovery_key, &[])
        .ok()
        .json();
    assert_eq!(restored["snapshot"], report["snapshot"]);
    holds_everything(&laptop, "restored", NEW_PASS, &office);
    let log = laptop
        .run("restored", Some(NEW_PASS), &["audit", "export"])
        .ok()
        .stdout;
    assert!(log.contains("backup_restored"));

    // The restore drill on the office machine passes, and is recorded.
    let drill = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "drill"])
        .ok()
        .json();
    assert_eq!(drill["snapshot"], report["snapshot"]);
    assert!(drill["documents"].as_u64().unwrap() >= 1);
    assert!(!office.home.vault_dir("v").join(".backup-drill").exists());
    let log = office
        .home
        .run("v", Some(PASS), &["audit", "export"])
        .ok()
        .stdout;
    assert!(log.contains("backup_restore_drill"));

    // A restore never writes over a vault.
    let again = restore(&laptop, &dest, &office.recovery_key, &[]);
    assert_eq!(again.code, 5, "{}", again.stderr);
    holds_everything(&laptop, "restored", NEW_PASS, &office);
}

#[test]
fn plain_restic_lists_checks_and_restores_what_matterbox_wrote() {
    let office = office();
    let dest = office.home.path().join("nas");
    std::fs::create_dir(&dest).unwrap();
    add_document(&office.home, "scan.pdf", &noise(2 << 20, 5));
    let first = backup_run(&office.home, &dest).ok().json();
    assert!(first["bytesWritten"].as_u64().unwrap() > 2 << 20, "{first}");
    // The next backup stores the documents again by reference only: what
    // it writes is the database that changed, not the 2 MiB document.
    let second = backup_run(&office.home, &dest).ok().json();
    assert!(
        second["bytesWritten"].as_u64().unwrap() < 1 << 20,
        "an unchanged vault wrote {second}"
    );
    let shown = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "password"])
        .ok()
        .json();
    let password = shown["password"].as_str().unwrap();
    let repo = dest.join("repository");

    let snapshots = restic(&repo, password, &["snapshots", "--json"])
        .ok()
        .json();
    let ids: Vec<&str> = snapshots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&first["snapshot"].as_str().unwrap()),
        "{ids:?}"
    );
    assert_eq!(ids.len(), 2);
    restic(&repo, password, &["check", "--read-data"]).ok();
    // Another password does not open it.
    assert_ne!(restic(&repo, "not the password", &["snapshots"]).code, 0);

    // Restored by restic alone, the files are a vault folder that opens
    // with the recovery key on another computer.
    let laptop = Home::new();
    let target = laptop.path().join("restic-restore");
    restic(
        &repo,
        password,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    )
    .ok();
    let vaults = laptop.path().join("vaults");
    std::fs::create_dir_all(&vaults).unwrap();
    std::fs::rename(target.join("vault"), laptop.vault_dir("v")).unwrap();
    let mut recover = laptop.cmd();
    recover
        .arg("--vault")
        .arg(laptop.vault_dir("v"))
        .args(["vault", "recover", "--danger-device-secret-in-plain-file"])
        .env("MATTERBOX_RECOVERY_KEY", &office.recovery_key)
        .env("MATTERBOX_NEW_PASSPHRASE", NEW_PASS);
    Run::from(recover.output().unwrap()).ok();
    holds_everything(&laptop, "v", NEW_PASS, &office);

    // The password was shown once, and the log says so.
    let log = office
        .home
        .run("v", Some(PASS), &["audit", "export"])
        .ok()
        .stdout;
    assert!(log.contains("backup_password_shown"));
    assert_eq!(log.matches("backup_verified").count(), 2);
}

#[test]
fn a_damaged_backup_is_reported_and_never_called_done() {
    let office = office();
    let dest = office.home.path().join("drive");
    std::fs::create_dir(&dest).unwrap();
    let first = backup_run(&office.home, &dest).ok().json();
    // Flip bytes in every stored pack.
    let mut stack = vec![dest.join("repository/data")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let mut b = std::fs::read(&p).unwrap();
                let mid = b.len() / 2;
                b[mid] ^= 0x55;
                std::fs::write(&p, b).unwrap();
            }
        }
    }
    let mut c = office.home.cmd();
    c.arg("--vault")
        .arg(office.home.vault_dir("v"))
        .args(["backup", "run", "--check-all"])
        .env("MATTERBOX_PASSPHRASE", PASS);
    let run = run_within(&mut c, COMMAND_LIMIT).0;
    assert_eq!(
        run.code, 11,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("does not verify") || run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
    let status = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "status"])
        .ok()
        .json();
    // The last verified backup is still the first one; the failure is told.
    assert_eq!(status["lastSnapshot"], first["snapshot"]);
    assert!(status["lastProblem"].is_string(), "{status}");
}

#[test]
fn a_backup_folder_that_is_not_there_or_not_ours_is_refused() {
    let office = office();
    // An unplugged drive.
    let gone = office.home.path().join("unplugged");
    let run = backup_run(&office.home, &gone);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert!(run.stderr.contains("not there"), "{}", run.stderr);
    // Inside the vault folder.
    let inside = office.home.vault_dir("v").join("blobs");
    let run = backup_run(&office.home, &inside);
    assert_eq!(run.code, 6, "{}", run.stderr);
    // Another vault's backups.
    let other = Home::new();
    other
        .run(
            "v",
            Some(PASS),
            &["vault", "create", "--danger-device-secret-in-plain-file"],
        )
        .ok();
    let shared = office.home.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    backup_run(&other, &shared).ok();
    let run = backup_run(&office.home, &shared);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("another vault"), "{}", run.stderr);
}

#[test]
fn a_vault_put_back_to_an_older_copy_is_found_by_the_next_backup() {
    let office = office();
    let dest = office.home.path().join("drive");
    std::fs::create_dir(&dest).unwrap();
    let first = backup_run(&office.home, &dest).ok().json();
    assert!(first["rollback"].is_null(), "{first}");
    let old_copy = office.home.path().join("old-copy");
    copy_dir(&office.home.vault_dir("v"), &old_copy);
    office
        .home
        .run(
            "v",
            Some(PASS),
            &["client", "add", "--name", "Later Fictional"],
        )
        .ok();
    let second = backup_run(&office.home, &dest).ok().json();
    assert!(second["rollback"].is_null(), "{second}");

    // Someone puts the older folder back, hiding the later client.
    std::fs::remove_dir_all(office.home.vault_dir("v")).unwrap();
    std::fs::rename(&old_copy, office.home.vault_dir("v")).unwrap();
    // Found before any backup runs.
    let status = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "status"])
        .ok()
        .json();
    assert!(
        status["rollback"].as_str().unwrap().contains("older copy"),
        "{status}"
    );
    let run = backup_run(&office.home, &dest).ok();
    let report = run.json();
    assert!(
        report["rollback"].as_str().unwrap().contains("older copy"),
        "{report}"
    );
    assert!(run.stderr.contains("older copy"), "{}", run.stderr);
    let log = office
        .home
        .run("v", Some(PASS), &["audit", "export"])
        .ok()
        .stdout;
    assert!(log.contains("vault_rollback_detected"));
    // The next backup has seen this head: no alarm again.
    let again = backup_run(&office.home, &dest).ok().json();
    assert!(again["rollback"].is_null(), "{again}");
    let status = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "status"])
        .ok()
        .json();
    assert!(status["rollback"].is_null(), "{status}");
}

/// Bytes that neither compress nor repeat, like an encrypted file.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn killed_after(mut cmd: Command, delay: std::time::Duration) -> Option<Run> {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    if child.try_wait().unwrap().is_some() {
        return Some(child.wait_with_output().unwrap().into());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

#[test]
fn a_backup_or_restore_killed_at_any_moment_loses_nothing_and_the_next_run_completes() {
    let office = office();
    add_document(&office.home, "scan.pdf", &noise(24 << 20, 7));
    let dest = office.home.path().join("drive");
    std::fs::create_dir(&dest).unwrap();
    let password = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "password"])
        .ok()
        .json()["password"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = dest.join("repository");
    let mut killed = 0;
    for ms in [20, 60, 120, 250, 500, 900, 1500, 2500] {
        let mut c = office.home.cmd();
        c.arg("--vault")
            .arg(office.home.vault_dir("v"))
            .args(["--json", "backup", "run", "--to"])
            .arg(&dest)
            .env("MATTERBOX_PASSPHRASE", PASS);
        if killed_after(c, std::time::Duration::from_millis(ms)).is_none() {
            killed += 1;
        }
        // Whatever the destination holds is a valid repository.
        if repo.join("config").exists() {
            restic(&repo, &password, &["check"]).ok();
        }
        // The vault is untouched (and the next unlock tidies up).
        office.home.run("v", Some(PASS), &["audit", "verify"]).ok();
        assert!(!office.home.vault_dir("v").join(".backup").exists());
    }
    assert!(
        killed >= 3,
        "only {killed} backups were killed before they ended"
    );
    let done = backup_run(&office.home, &dest).ok().json();
    restic(&repo, &password, &["check", "--read-data"]).ok();
    holds_everything(&office.home, "v", PASS, &office);

    let laptop = Home::new();
    let target = laptop.vault_dir("restored");
    let mut killed = 0;
    for ms in [20, 100, 300, 700, 1500] {
        let mut c = laptop.cmd();
        c.arg("--vault")
            .arg(&target)
            .args([
                "--json",
                "backup",
                "restore",
                "--danger-device-secret-in-plain-file",
                "--from",
            ])
            .arg(&dest)
            .env("MATTERBOX_RECOVERY_KEY", &office.recovery_key)
            .env("MATTERBOX_NEW_PASSPHRASE", NEW_PASS);
        match killed_after(c, std::time::Duration::from_millis(ms)) {
            Some(run) => {
                run.ok();
            }
            None => killed += 1,
        }
        // Either nothing is in place, or a whole vault that the recovery
        // key opens (killed after the folder was placed, before this
        // computer was enrolled).
        if target.exists() {
            let mut recover = laptop.cmd();
            recover
                .arg("--vault")
                .arg(&target)
                .args(["vault", "recover", "--danger-device-secret-in-plain-file"])
                .env("MATTERBOX_RECOVERY_KEY", &office.recovery_key)
                .env("MATTERBOX_NEW_PASSPHRASE", NEW_PASS);
            Run::from(recover.output().unwrap()).ok();
            holds_everything(&laptop, "restored", NEW_PASS, &office);
            std::fs::remove_dir_all(&target).unwrap();
        }
        restic(&repo, &password, &["check"]).ok();
    }
    assert!(
        killed >= 2,
        "only {killed} restores were killed before they ended"
    );
    let restored = restore(&laptop, &dest, &office.recovery_key, &[])
        .ok()
        .json();
    assert_eq!(restored["snapshot"], done["snapshot"]);
    holds_everything(&laptop, "restored", NEW_PASS, &office);
    // No unfinished restore folder is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(laptop.path().join("vaults"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn blob_names(home: &Home) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(home.vault_dir("v").join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn data_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                total += e.metadata().unwrap().len();
            }
        }
    }
    total
}

#[test]
fn a_destroyed_document_is_gone_from_the_backups_after_the_next_one() {
    let office = office();
    let run = |args: &[&str]| office.home.run("v", Some(PASS), args);
    let number = matter_number(&office.home);
    // A second, large document of its own, to be destroyed.
    let before = blob_names(&office.home);
    let doomed = add_document(&office.home, "settlement.pdf", &noise(3 << 20, 11)).to_string();
    let blob: Vec<String> = blob_names(&office.home)
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(blob.len(), 1);
    let dest = office.home.path().join("drive");
    std::fs::create_dir(&dest).unwrap();
    let old = backup_run(&office.home, &dest).ok().json();
    let password = run(&["--json", "backup", "password"]).ok().json()["password"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = dest.join("repository");
    let listed = restic(&repo, &password, &["ls", "latest"]).ok().stdout;
    assert!(
        listed.contains(&blob[0]),
        "the backup does not hold the document"
    );
    let stored_before = data_size(&repo.join("data"));

    run(&[
        "retention",
        "policy",
        "add",
        "--name",
        "One year",
        "--trigger",
        "date-added",
        "--years",
        "1",
    ])
    .ok();
    run(&["retention", "matter", &number, "--policy", "1"]).ok();
    let destroyed = run(&[
        "--json",
        "retention",
        "destroy",
        "--document",
        &doomed,
        "--today",
        "2099-01-01",
    ])
    .ok()
    .json();
    assert_eq!(destroyed["documents"], 1, "{destroyed}");
    // Until the next backup, the status and the certificate say the
    // backups still hold it.
    let status = run(&["--json", "backup", "status"]).ok().json();
    assert!(status["purge"].is_object(), "{status}");
    let cert = destroyed["certificate"].as_str().unwrap().to_string();
    let certificate = |name: &str| {
        let out = office.home.path().join(name);
        run(&[
            "retention",
            "certificate",
            &cert,
            "--output",
            out.to_str().unwrap(),
        ])
        .ok();
        std::fs::read_to_string(out).unwrap()
    };
    assert!(certificate("before.html").contains("copies remain in the backups"));

    let new = backup_run(&office.home, &dest).ok().json();
    assert_eq!(new["purged"], serde_json::json!([old["snapshot"]]), "{new}");
    let snapshots = restic(&repo, &password, &["snapshots", "--json"])
        .ok()
        .json();
    assert_eq!(snapshots.as_array().unwrap().len(), 1);
    let listed = restic(&repo, &password, &["ls", "latest"]).ok().stdout;
    assert!(!listed.contains(&blob[0]));
    restic(&repo, &password, &["check", "--read-data"]).ok();
    let stored_after = data_size(&repo.join("data"));
    assert!(
        stored_before > stored_after + (3 << 20) - 65536,
        "the destroyed document's 3 MiB are still stored ({stored_before} -> {stored_after} bytes)"
    );
    let status = run(&["--json", "backup", "status"]).ok().json();
    assert!(status["purge"].is_null(), "{status}");
    let after = certificate("after.html");
    assert!(
        after.contains("were removed, and the repository pruned"),
        "{after}"
    );
    // What remains restores, without the destroyed document.
    let laptop = Home::new();
    restore(&laptop, &dest, &office.recovery_key, &[]).ok();
    holds_everything(&laptop, "restored", NEW_PASS, &office);
    let gone = laptop.run("restored", Some(NEW_PASS), &["doc", "show", &doomed]);
    assert_eq!(gone.code, 7, "{}", gone.stdout);
}

#[test]
fn backups_go_to_an_object_store_and_a_new_laptop_restores_from_it() {
    let store = ObjectStore::start();
    store.create_bucket("office-backups");
    let office = office();
    let dest = format!("s3:{}/office-backups/matterbox", store.endpoint());

    // The first backup needs the store's access key.
    let no_key = backup_to(&office.home, dest.as_ref(), &[]);
    assert_ne!(no_key.code, 0);
    assert!(no_key.stderr.contains("access key"), "{}", no_key.stderr);
    let report = backup_to(
        &office.home,
        dest.as_ref(),
        &["--access-key-id", "AKIAFICTIONAL"],
    )
    .ok()
    .json();
    assert_eq!(report["destination"], dest.as_str());
    assert!(report["bytesWritten"].as_u64().unwrap() > 0);
    // The next one takes the key from this computer's store of secrets.
    let again = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "run"])
        .ok()
        .json();
    assert_ne!(again["snapshot"], report["snapshot"]);
    // The key is not in the vault folder (nor in its database, which is
    // encrypted anyway).
    assert_eq!(
        files_containing(&office.home.vault_dir("v"), STORE_SECRET),
        Vec::<PathBuf>::new()
    );

    // Nothing readable in the bucket.
    let copy = office.home.path().join("bucket-copy");
    store.download_all("office-backups", &copy);
    assert!(copy.join("matterbox/repository/config").is_file());
    assert!(copy.join("matterbox/matterbox-backup.json").is_file());
    for needle in [office.marker.as_str(), "Last will", "Ada ", STORE_SECRET] {
        assert_eq!(
            files_containing(&copy, needle),
            Vec::<PathBuf>::new(),
            "{needle}"
        );
    }

    // Plain restic reads it with the password Matterbox shows.
    let password = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "password"])
        .ok()
        .json();
    let repository = password["repository"].as_str().unwrap().to_string();
    assert_eq!(repository, format!("{dest}/repository"));
    let mut c = Command::new("restic");
    c.args(["-r", &repository, "--json", "snapshots"])
        .env("RESTIC_PASSWORD", password["password"].as_str().unwrap())
        .env("AWS_ACCESS_KEY_ID", "AKIAFICTIONAL")
        .env("AWS_SECRET_ACCESS_KEY", STORE_SECRET)
        .env("RESTIC_CACHE_DIR", office.home.path().join("restic-cache"));
    let listed = run_within(&mut c, COMMAND_LIMIT).0.ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    // A new laptop: the location, the store's key and the recovery key.
    let laptop = Home::new();
    let restored = restore(
        &laptop,
        Path::new(&dest),
        &office.recovery_key,
        &["--access-key-id", "AKIAFICTIONAL"],
    )
    .ok()
    .json();
    assert_eq!(restored["snapshot"], again["snapshot"]);
    holds_everything(&laptop, "restored", NEW_PASS, &office);
    // …and it backs up to the same place with the key it was given.
    laptop
        .run("restored", Some(NEW_PASS), &["--json", "backup", "run"])
        .ok();
}

#[test]
fn an_object_store_that_is_unreachable_or_missing_or_named_with_its_key_is_refused() {
    let store = ObjectStore::start();
    store.create_bucket("office-backups");
    let office = office();
    let key = ["--access-key-id", "AKIAFICTIONAL"];
    // Nothing listens on port 9 of loopback.
    let gone = backup_to(
        &office.home,
        "s3:http://127.0.0.1:9/office-backups".as_ref(),
        &key,
    );
    assert_eq!(gone.code, 11, "{}", gone.stderr);
    assert!(gone.stderr.contains("not reachable"), "{}", gone.stderr);
    let no_bucket = backup_to(
        &office.home,
        format!("s3:{}/no-such-bucket", store.endpoint()).as_ref(),
        &key,
    );
    assert_ne!(no_bucket.code, 0);
    assert!(
        no_bucket.stderr.contains("does not exist"),
        "{}",
        no_bucket.stderr
    );
    // A key in the location is refused before anything is sent.
    let in_url = backup_to(
        &office.home,
        format!(
            "s3:http://AKIA:secret@127.0.0.1:{}/office-backups",
            store.port
        )
        .as_ref(),
        &[],
    );
    assert_ne!(in_url.code, 0);
    assert!(
        in_url.stderr.contains("never goes in the location"),
        "{}",
        in_url.stderr
    );
    // None of these became the destination or counted as a backup.
    let status = office
        .home
        .run("v", Some(PASS), &["--json", "backup", "status"])
        .ok()
        .json();
    assert!(status["lastVerifiedAt"].is_null(), "{status}");
}
