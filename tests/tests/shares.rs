//! Secure sharing (#18 §1–2) through the `matterbox` binary, opened and
//! checked with the tools a recipient has: Debian's `age` opens passphrase
//! packages (through `script`, as it reads passphrases only from a
//! terminal) and X25519 packages (identity file); `7z` extracts AES zips
//! with the password and refuses a wrong one; `minisign` verifies the
//! manifest and refuses it after one byte changed. Every extracted file's
//! SHA-256 equals the manifest's and the vault's record; no marker is in
//! clear under the vault, the destination or the temporary folder; a
//! writer killed mid-package leaves no file under any name.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use matterbox_tests::{Home, Run, fails_with, files_containing};
use sha2::{Digest, Sha256};

const PASS: &str = "a long test passphrase";
const MARKER: &str = "Zephyrine Quillfeather-Okonkwo";
const SECRET_TEXT: &str = "the hidden orchard deed of Wexcombe Farm";

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

struct Fixture {
    home: Home,
    client: String,
    matter: String,
    docs: Vec<String>,
    out: PathBuf,
}

/// A vault with one client (with contact details) and a matter holding
/// two documents whose names and text carry the markers.
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
        &[
            "client",
            "add",
            "--name",
            MARKER,
            "--phone",
            "+1 555 0100",
            "--email",
            "zq@example.test",
        ],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let matter = json(
        &home,
        &[
            "matter",
            "open",
            "--client",
            &client,
            "--title",
            "Wexcombe Farm sale",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut docs = Vec::new();
    for (name, body) in [
        (
            format!("{MARKER} letter.txt"),
            format!("Dear {MARKER}, {SECRET_TEXT}.\n"),
        ),
        (
            "deed.txt".to_string(),
            format!("{SECRET_TEXT}\n").repeat(2000),
        ),
    ] {
        let f = src.join(&name);
        std::fs::write(&f, body).unwrap();
        let added = json(&home, &["doc", "add", &matter, f.to_str().unwrap()]);
        docs.push(
            added["id"]
                .as_i64()
                .or_else(|| added[0]["id"].as_i64())
                .unwrap()
                .to_string(),
        );
        std::fs::remove_file(&f).unwrap();
    }
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    Fixture {
        home,
        client,
        matter,
        docs,
        out,
    }
}

fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

/// The one file in `dir`.
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

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed by scripts/setup.sh --test: {e}"))
}

/// Checks an extracted package: the manifest's signature with minisign
/// (and its failure after one changed byte), every file against the
/// manifest, and the manifest against the vault's record.
fn check_extracted(dir: &Path, fx: &Fixture, share: &serde_json::Value) {
    let key = json(&fx.home, &["share", "signing-key"])["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json(&fx.home, &["settings", "signing-key"])["publicKey"],
        key.as_str()
    );
    for name in ["MANIFEST.txt", "MANIFEST.json"] {
        let file = dir.join(name);
        let ok = tool("minisign", &["-Vm", file.to_str().unwrap(), "-P", &key]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains("matterbox share package"));
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[20] ^= 0x01;
        let changed = dir.join(format!("changed-{name}"));
        std::fs::write(&changed, bytes).unwrap();
        std::fs::copy(
            dir.join(format!("{name}.minisig")),
            dir.join(format!("changed-{name}.minisig")),
        )
        .unwrap();
        let bad = tool("minisign", &["-Vm", changed.to_str().unwrap(), "-P", &key]);
        assert!(!bad.status.success(), "a changed manifest verified");
    }
    let text = std::fs::read_to_string(dir.join("MANIFEST.txt")).unwrap();
    assert!(text.contains(&format!("minisign -Vm MANIFEST.txt -P {key}")));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let recorded = share["documents"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(recorded.len(), 2);
    let listed: Vec<serde_json::Value> =
        serde_json::from_value(json(&fx.home, &["doc", "list", &fx.matter])).unwrap();
    for (f, r) in files.iter().zip(recorded) {
        let path = dir.join(f["path"].as_str().unwrap());
        let actual = sha256_file(&path);
        assert_eq!(
            f["sha256"],
            actual.as_str(),
            "{path:?} differs from the manifest"
        );
        assert_eq!(
            r["sha256"],
            actual.as_str(),
            "{path:?} differs from the vault's record"
        );
        assert_eq!(
            f["size"].as_u64().unwrap(),
            std::fs::metadata(&path).unwrap().len()
        );
        let doc = listed.iter().find(|d| d["id"] == r["documentId"]).unwrap();
        assert_eq!(
            doc["sha256"],
            actual.as_str(),
            "differs from the document itself"
        );
    }
    let letter = files[0]["path"].as_str().unwrap();
    assert!(
        std::fs::read_to_string(dir.join(letter))
            .unwrap()
            .contains(SECRET_TEXT)
    );
}

/// No marker in clear under the vault, the destinations, the data and
/// temporary folders; except, where given, the client's name in the file
/// names a plain AES zip shows (as the user was warned).
fn no_marker_in_clear(fx: &Fixture, names_visible_in: Option<&Path>) {
    for needle in [MARKER, SECRET_TEXT, "Quillfeather"] {
        let hits = files_containing(fx.home.path(), needle);
        let allowed: Vec<PathBuf> = match names_visible_in {
            Some(p) if needle != SECRET_TEXT => vec![p.to_path_buf()],
            _ => vec![],
        };
        assert_eq!(hits, allowed, "{needle} in clear");
    }
    let audit = mb(&fx.home, &["audit", "export"]).ok().stdout;
    assert!(audit.contains("share_created"));
    assert!(!audit.contains(MARKER) && !audit.contains("Quillfeather") && !audit.contains("/out/"));
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_age_passphrase_package_opens_with_the_age_cli_and_matches_the_record() {
    let fx = fixture();
    let created = json(
        &fx.home,
        &[
            "share",
            "create",
            "--matter",
            &fx.matter,
            "--documents",
            &fx.docs.join(","),
            "--words",
            "6",
            "--to",
            fx.out.to_str().unwrap(),
        ],
    );
    let passphrase = created["passphrase"].as_str().unwrap().to_string();
    assert_eq!(passphrase.split('-').count(), 6);
    assert_eq!(created["contact"]["phone"], "+1 555 0100");
    let package = only_file(&fx.out);
    assert!(package.to_str().unwrap().ends_with(".zip.age"));
    assert_eq!(mode(&package), 0o600);
    let share = &created["share"];
    assert_eq!(share["packageSha256"], sha256_file(&package).as_str());
    assert_eq!(share["format"], "age");
    assert_eq!(share["protection"], "passphrase_words");
    assert_eq!(share["recipient"], MARKER);

    // The passphrase is shown once: nowhere in the vault's record.
    let listed = json(&fx.home, &["share", "list", "--matter", &fx.matter]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&passphrase));
    assert_eq!(
        json(&fx.home, &["share", "list", "--client", &fx.client])[0]["id"],
        share["id"]
    );
    assert!(files_containing(fx.home.path(), &passphrase).is_empty());

    let work = tempfile::tempdir().unwrap();
    let wrong = work.path().join("wrong.zip");
    assert!(!age_decrypt_with_passphrase(
        &package,
        &wrong,
        "not-the-right-passphrase-at-all"
    ));
    let inner = work.path().join("inner.zip");
    assert!(
        age_decrypt_with_passphrase(&package, &inner, &passphrase),
        "age refused the passphrase"
    );
    let dir = work.path().join("x");
    let x = tool(
        "7z",
        &[
            "x",
            &format!("-o{}", dir.display()),
            inner.to_str().unwrap(),
        ],
    );
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stdout));
    check_extracted(
        &dir,
        &fx,
        &json(&fx.home, &["share", "show", &share["id"].to_string()]),
    );
    no_marker_in_clear(&fx, None);

    // The human output says how to send the passphrase, once.
    let run = mb(
        &fx.home,
        &[
            "share",
            "create",
            "--documents",
            &fx.docs[0],
            "--random",
            "--to",
            fx.out.to_str().unwrap(),
        ],
    )
    .ok();
    assert!(run.stdout.contains("another channel"), "{}", run.stdout);
    assert!(run.stdout.contains("+1 555 0100"));
}

#[test]
fn an_x25519_package_opens_with_the_identity_and_a_kept_key_is_confirmed_first() {
    let fx = fixture();
    let work = tempfile::tempdir().unwrap();
    let identity = work.path().join("id.txt");
    assert!(
        tool("age-keygen", &["-o", identity.to_str().unwrap()])
            .status
            .success()
    );
    let public = tool("age-keygen", &["-y", identity.to_str().unwrap()]);
    let public = String::from_utf8(public.stdout).unwrap().trim().to_string();

    let saved = json(
        &fx.home,
        &["share", "key", "set", "--client", &fx.client, &public],
    );
    let fingerprint = saved["key"]["fingerprint"].as_str().unwrap().to_string();
    assert!(saved["key"]["confirmedAt"].is_null());
    let create = |extra: &[&str]| {
        let mut args = vec![
            "share",
            "create",
            "--documents",
            &fx.docs[0],
            "--recipient-client",
            &fx.client,
            "--to",
            fx.out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        mb(&fx.home, &args)
    };
    // First use: the fingerprint must be read back.
    fails_with(create(&[]), 6, &fingerprint);
    fails_with(
        create(&["--fingerprint", "0000-0000-0000-0000"]),
        6,
        &fingerprint,
    );
    assert_eq!(std::fs::read_dir(&fx.out).unwrap().count(), 0);
    let mut args = vec!["--json", "share", "create", "--documents"];
    let docs = fx.docs.join(",");
    args.extend_from_slice(&[&docs, "--recipient-client", &fx.client, "--fingerprint"]);
    let lower = fingerprint.to_lowercase();
    args.extend_from_slice(&[&lower, "--to", fx.out.to_str().unwrap()]);
    let created = mb(&fx.home, &args).ok().json();
    assert!(created["passphrase"].is_null());
    assert_eq!(created["fingerprint"], fingerprint.as_str());
    assert_eq!(created["share"]["recipientKey"], public.as_str());
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
    assert!(
        tool(
            "7z",
            &[
                "x",
                &format!("-o{}", dir.display()),
                inner.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    check_extracted(&dir, &fx, &created["share"]);
    // Another identity cannot open it.
    let other = work.path().join("other.txt");
    assert!(
        tool("age-keygen", &["-o", other.to_str().unwrap()])
            .status
            .success()
    );
    let refused = tool(
        "age",
        &[
            "-d",
            "-i",
            other.to_str().unwrap(),
            package.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());

    // Confirmed now: the next package needs no fingerprint.
    create(&[]).ok();
    // A changed key warns, and must be confirmed again.
    let new_identity = work.path().join("new.txt");
    assert!(
        tool("age-keygen", &["-o", new_identity.to_str().unwrap()])
            .status
            .success()
    );
    let new_public =
        String::from_utf8(tool("age-keygen", &["-y", new_identity.to_str().unwrap()]).stdout)
            .unwrap();
    let changed = mb(
        &fx.home,
        &[
            "share",
            "key",
            "set",
            "--client",
            &fx.client,
            new_public.trim(),
        ],
    )
    .ok();
    assert!(changed.stderr.contains("changed"), "{}", changed.stderr);
    assert!(changed.stdout.contains("WARNING"), "{}", changed.stdout);
    fails_with(create(&[]), 6, "fingerprint");
    let keys = json(&fx.home, &["share", "key", "list", "--client", &fx.client]);
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert!(keys[1]["replacedAt"].is_string());
    no_marker_in_clear(&fx, None);
}

#[test]
fn an_aes_zip_opens_with_7z_and_refuses_a_wrong_password_and_can_hide_names() {
    let fx = fixture();
    let created = json(
        &fx.home,
        &[
            "share",
            "create",
            "--documents",
            &fx.docs.join(","),
            "--format",
            "zip",
            "--to",
            fx.out.to_str().unwrap(),
        ],
    );
    assert_eq!(created["namesVisible"], true);
    let password = created["passphrase"].as_str().unwrap().to_string();
    let plain_package = only_file(&fx.out);
    let package = plain_package.clone();
    assert!(package.to_str().unwrap().ends_with(".zip"));
    assert_eq!(mode(&package), 0o600);
    let work = tempfile::tempdir().unwrap();

    let wrong_dir = work.path().join("wrong");
    let wrong = tool(
        "7z",
        &[
            "x",
            "-pnot-it",
            &format!("-o{}", wrong_dir.display()),
            package.to_str().unwrap(),
        ],
    );
    assert!(!wrong.status.success(), "7z accepted a wrong password");
    assert!(files_containing(work.path(), SECRET_TEXT).is_empty());

    let dir = work.path().join("x");
    let x = tool(
        "7z",
        &[
            "x",
            &format!("-p{password}"),
            &format!("-o{}", dir.display()),
            package.to_str().unwrap(),
        ],
    );
    assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stdout));
    check_extracted(&dir, &fx, &created["share"]);
    // Names show in a plain AES zip, as the warning says.
    let listing =
        String::from_utf8_lossy(&tool("7z", &["l", package.to_str().unwrap()]).stdout).into_owned();
    assert!(listing.contains("deed.txt"));

    // With hidden names, only the inner archive's name shows.
    let hidden_out = fx.home.path().join("out2");
    std::fs::create_dir_all(&hidden_out).unwrap();
    let created = json(
        &fx.home,
        &[
            "share",
            "create",
            "--documents",
            &fx.docs.join(","),
            "--format",
            "zip",
            "--hide-names",
            "--to",
            hidden_out.to_str().unwrap(),
        ],
    );
    assert_eq!(created["namesVisible"], false);
    assert_eq!(created["share"]["hideNames"], true);
    let package = only_file(&hidden_out);
    let listing =
        String::from_utf8_lossy(&tool("7z", &["l", package.to_str().unwrap()]).stdout).into_owned();
    assert!(
        listing.contains("documents.zip") && !listing.contains("deed.txt"),
        "{listing}"
    );
    let password = created["passphrase"].as_str().unwrap();
    let outer = work.path().join("outer");
    assert!(
        tool(
            "7z",
            &[
                "x",
                &format!("-p{password}"),
                &format!("-o{}", outer.display()),
                package.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    let dir = work.path().join("y");
    assert!(
        tool(
            "7z",
            &[
                "x",
                &format!("-o{}", dir.display()),
                outer.join("documents.zip").to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    check_extracted(&dir, &fx, &created["share"]);
    no_marker_in_clear(&fx, Some(&plain_package));
}

#[test]
fn a_writer_killed_mid_package_leaves_no_file_and_no_record() {
    let fx = fixture();
    // A larger document, so the package is still being written.
    let big = fx.home.path().join("src").join("big.bin");
    let mut bytes = vec![0u8; 8 << 20];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2654435761) >> 13) as u8;
    }
    std::fs::write(&big, &bytes).unwrap();
    let added = json(&fx.home, &["doc", "add", &fx.matter, big.to_str().unwrap()]);
    let big_id = added["id"].as_i64().unwrap().to_string();
    std::fs::remove_file(&big).unwrap();

    let mut c = fx.home.cmd();
    c.arg("--vault")
        .arg(fx.home.vault_dir("v"))
        .args([
            "share",
            "create",
            "--documents",
            &format!("{},{big_id}", fx.docs[0]),
            "--to",
        ])
        .arg(&fx.out)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("TMPDIR", fx.home.path().join("tmp"))
        .env("MATTERBOX_DANGER_TEST_SHARE_STALL", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("share writer stalled") {
                let _ = tx.send(());
            }
        }
    });
    let stalled = rx.recv_timeout(Duration::from_secs(120));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        stalled.is_ok(),
        "the writer never reached the middle of the package"
    );

    assert_eq!(
        std::fs::read_dir(&fx.out).unwrap().count(),
        0,
        "a file was left in the destination"
    );
    assert!(
        json(&fx.home, &["share", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let audit = mb(&fx.home, &["audit", "export"]).ok().stdout;
    assert!(audit.contains("share_started"));
    for needle in [MARKER, SECRET_TEXT] {
        assert!(
            files_containing(fx.home.path(), needle).is_empty(),
            "{needle} left in clear"
        );
    }
    // The next attempt completes.
    json(
        &fx.home,
        &[
            "share",
            "create",
            "--documents",
            &format!("{},{big_id}", fx.docs[0]),
            "--to",
            fx.out.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read_dir(&fx.out).unwrap().count(), 1);
}

#[test]
fn bad_requests_get_a_clear_error_and_write_nothing() {
    let fx = fixture();
    let out = fx.out.to_str().unwrap();
    let other_client =
        json(&fx.home, &["client", "add", "--name", "Otto Fictional"])["id"].to_string();
    let other_matter = json(
        &fx.home,
        &[
            "matter",
            "open",
            "--client",
            &other_client,
            "--title",
            "Other",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    let f = fx.home.path().join("src").join("o.txt");
    std::fs::write(&f, "other").unwrap();
    let other_doc = json(
        &fx.home,
        &["doc", "add", &other_matter, f.to_str().unwrap()],
    )["id"]
        .to_string();

    let both = format!("{},{other_doc}", fx.docs[0]);
    fails_with(
        mb(
            &fx.home,
            &["share", "create", "--documents", &both, "--to", out],
        ),
        6,
        "one client",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "create",
                "--matter",
                &fx.matter,
                "--documents",
                &other_doc,
                "--to",
                out,
            ],
        ),
        6,
        "not in the chosen matter",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "create",
                "--documents",
                &fx.docs[0],
                "--words",
                "4",
                "--to",
                out,
            ],
        ),
        6,
        "5 to 24",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "create",
                "--documents",
                &fx.docs[0],
                "--format",
                "zip",
                "--recipient",
                "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
                "--to",
                out,
            ],
        ),
        6,
        "age format",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "create",
                "--documents",
                &fx.docs[0],
                "--recipient",
                "age1nonsense",
                "--to",
                out,
            ],
        ),
        6,
        "not an age public key",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "create",
                "--documents",
                &fx.docs[0],
                "--to",
                fx.home.path().join("missing").to_str().unwrap(),
            ],
        ),
        6,
        "not a folder",
    );
    fails_with(
        mb(
            &fx.home,
            &["share", "create", "--documents", "999", "--to", out],
        ),
        7,
        "999",
    );
    fails_with(
        mb(
            &fx.home,
            &[
                "share",
                "key",
                "set",
                "--client",
                &fx.client,
                "ssh-ed25519 AAAA",
            ],
        ),
        6,
        "age public key",
    );
    mb(&fx.home, &["doc", "trash", &fx.docs[1]]).ok();
    fails_with(
        mb(
            &fx.home,
            &["share", "create", "--documents", &fx.docs[1], "--to", out],
        ),
        6,
        "trash",
    );
    assert_eq!(std::fs::read_dir(&fx.out).unwrap().count(), 0);
    assert!(
        json(&fx.home, &["share", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}
