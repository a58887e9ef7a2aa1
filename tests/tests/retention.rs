//! Retention's forensic test: documents carrying marker strings are
//! destroyed, and then neither their text, nor their words as the search
//! index keeps them, nor their keys can be found anywhere in the vault
//! folder — not in the files as stored, and not in any page of the
//! database or its write-ahead log *decrypted with the database key* (freed
//! pages included). A blob copied away beforehand
//! cannot be decrypted with anything left in the vault. Plus the CLI flow.

use std::path::Path;
use std::time::Duration;

use aes::cipher::{BlockDecryptMut, KeyIvInit};
use chrono::NaiveDate;
use matterbox_core::domain::retention::{PolicyInput, Trigger};
use matterbox_core::domain::{ClientInput, MatterInput, MatterPatch};
use matterbox_core::retention::{Disposal, DisposalKind};
use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
use matterbox_core::{Environment, KdfChoice, create_vault, unlock};
use matterbox_tests::Home;
use matterbox_vault::{RecoveryKey, Vault};

const PAGE: usize = 4096;
/// SQLCipher 4's reserve at the end of each page: IV (16) + HMAC-SHA512 (64).
const RESERVE: usize = 80;

/// Every page of a SQLCipher 4 database file, and of its WAL, decrypted
/// with the raw key (AES-256-CBC, IV in the page's reserve). Page 1 starts
/// after the 16-byte salt. Free pages are decrypted too.
fn decrypted_pages(db: &Path, key: &[u8; 32]) -> Vec<Vec<u8>> {
    let decrypt = |page: &[u8], first: bool| -> Vec<u8> {
        let offset = if first { 16 } else { 0 };
        let iv = &page[PAGE - RESERVE..PAGE - RESERVE + 16];
        let mut data = page[offset..PAGE - RESERVE].to_vec();
        cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
            .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut data)
            .unwrap();
        data
    };
    let mut pages = Vec::new();
    let bytes = std::fs::read(db).unwrap();
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        if page.len() == PAGE {
            pages.push(decrypt(page, i == 0));
        }
    }
    let wal = db.with_file_name("vault.db-wal");
    if let Ok(w) = std::fs::read(&wal) {
        // 32-byte WAL header, then frames of a 24-byte header and a page.
        let mut at = 32;
        while at + 24 + PAGE <= w.len() {
            let number = u32::from_be_bytes(w[at..at + 4].try_into().unwrap());
            pages.push(decrypt(&w[at + 24..at + 24 + PAGE], number == 1));
            at += 24 + PAGE;
        }
    }
    pages
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn found_anywhere(vault: &Path, db_key: &[u8; 32], needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for p in decrypted_pages(&vault.join("vault.db"), db_key) {
        if contains(&p, needle) {
            hits.push("a decrypted database page".to_string());
            break;
        }
    }
    let mut stack = vec![vault.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if contains(&std::fs::read(&p).unwrap(), needle) {
                hits.push(p.display().to_string());
            }
        }
    }
    hits
}

fn env(home: &Home) -> Environment {
    Environment {
        keychain_timeout: Duration::from_secs(5),
        device_secret_dir: home.path().join("device-secrets"),
        actor: "test:retention".into(),
        attempts_mirror: Some(home.path().join("unlock-attempts")),
    }
}

const PASS: &str = "a test passphrase";
const MARKERS: [&str; 3] = [
    "Destroy-Marker-Quokka-5521",
    "Destroy-Marker-Narwhal-8832",
    "Destroy-Marker-Axolotl-1207",
];
const KEPT: &str = "Kept-Marker-Pangolin-4410";
/// Words of the markers as the search index keeps them (lower case, one
/// token each): found in the index's pages only, never in the text.
const INDEXED: [&str; 3] = ["quokka", "narwhal", "axolotl"];

/// Large documents leave the search index by a rewrite of the index.
#[test]
fn destroyed_documents_leave_no_text_and_no_key_in_the_vault() {
    // Larger than a chunk, the marker throughout.
    destroy_and_look_for_traces(5000);
}

/// Small ones leave it entry by entry (FTS5's secure-delete).
#[test]
fn destroyed_small_documents_leave_no_text_and_no_key_in_the_vault() {
    destroy_and_look_for_traces(1);
}

/// Destroys a matter of three documents of `lines` lines each carrying a
/// marker, and looks for the markers and the keys everywhere.
fn destroy_and_look_for_traces(lines: usize) {
    let home = Home::new();
    let dir = home.vault_dir("main");
    let created = create_vault(
        &env(&home),
        &dir,
        "Forensic test",
        &Passphrase::new(PASS.into()),
        DeviceSecretStorage::DangerPlainFile,
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .unwrap();
    let recovery = created.recovery_key.expose().to_string();
    let mut s = created.session;
    let c = s
        .create_client(&ClientInput {
            name: "Ada Fictional".into(),
            ..Default::default()
        })
        .unwrap();
    let mut open = |title: &str| {
        let id = s
            .open_matter(&MatterInput {
                title: title.into(),
                client_id: c.id,
                ..Default::default()
            })
            .unwrap()
            .summary
            .id;
        s.update_matter(
            id,
            &MatterPatch {
                opened_on: Some("2010-01-01".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        id
    };
    let doomed = open("Closed long ago");
    let kept = open("Still running");
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut keys = Vec::new();
    let mut copied = Vec::new();
    for (i, m) in MARKERS.iter().enumerate() {
        let f = src.join(format!("exhibit-{i}.txt"));
        std::fs::write(&f, format!("{m} privileged text\n").repeat(lines)).unwrap();
        // Titles stay in the destruction register by design; the markers
        // are in the content only.
        let blobs = || -> std::collections::HashSet<std::path::PathBuf> {
            std::fs::read_dir(dir.join("blobs"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        };
        let before = blobs();
        let d = s
            .import_document(doomed, &f, Some(&format!("Exhibit {i}")), false)
            .unwrap();
        keys.push(s.danger_document_key(d.id).unwrap());
        // A copy of the encrypted file taken away before destruction: the
        // one blob this import added.
        let added: Vec<_> = blobs().difference(&before).cloned().collect();
        assert_eq!(added.len(), 1, "{added:?}");
        copied.push(std::fs::read(&added[0]).unwrap());
    }
    let f = src.join("kept.txt");
    std::fs::write(&f, format!("{KEPT} stays")).unwrap();
    s.import_document(kept, &f, None, false).unwrap();

    let vault = Vault::open(&dir).unwrap();
    let master = vault
        .danger_master_key_from_recovery(&RecoveryKey::parse(&recovery).unwrap())
        .unwrap();
    let db_key: [u8; 32] = hex::decode(vault.danger_database_key_hex(&master).as_str())
        .unwrap()
        .try_into()
        .unwrap();
    // The decryptor works: the text and keys are there before destruction.
    s.lock().unwrap();
    for m in MARKERS.iter().chain(&INDEXED) {
        assert!(
            !found_anywhere(&dir, &db_key, m.as_bytes()).is_empty(),
            "{m} not found before: the check would prove nothing"
        );
    }
    assert!(!found_anywhere(&dir, &db_key, KEPT.as_bytes()).is_empty());

    let mut s = unlock(&env(&home), &dir, &Passphrase::new(PASS.into())).unwrap();
    let policy = s
        .create_retention_policy(&PolicyInput {
            name: "One year".into(),
            trigger: Some(Trigger::MatterClosed),
            years: 1,
            ..Default::default()
        })
        .unwrap();
    s.set_matter_policy(doomed, Some(policy.id)).unwrap();
    s.close_matter(doomed, Some("2020-06-30".parse().unwrap()))
        .unwrap();
    let today: NaiveDate = "2026-11-25".parse().unwrap();
    let report = s
        .destroy_approved(
            &[Disposal {
                kind: DisposalKind::Matter,
                id: doomed,
            }],
            &Passphrase::new(PASS.into()),
            today,
        )
        .unwrap();
    assert_eq!(report.documents, 3);
    s.lock().unwrap();

    for m in MARKERS.iter().chain(&INDEXED) {
        let hits = found_anywhere(&dir, &db_key, m.as_bytes());
        assert!(hits.is_empty(), "{m} still in {hits:?}");
    }
    for k in &keys {
        assert!(
            found_anywhere(&dir, &db_key, k).is_empty(),
            "a destroyed document key is still in the vault"
        );
        assert!(found_anywhere(&dir, &db_key, hex::encode(k).as_bytes()).is_empty());
    }
    assert!(
        !found_anywhere(&dir, &db_key, KEPT.as_bytes()).is_empty(),
        "live data is untouched"
    );

    // The copies taken away decrypt with none of the keys left in the vault.
    let s = unlock(&env(&home), &dir, &Passphrase::new(PASS.into())).unwrap();
    let mut remaining = Vec::new();
    for m in s.matters(&Default::default()).unwrap() {
        for d in s.documents(m.id).unwrap() {
            remaining.push(s.danger_document_key(d.id).unwrap());
        }
    }
    assert_eq!(remaining.len(), 1);
    for blob in &copied {
        for k in &remaining {
            let key =
                matterbox_documents::DocumentKey::from_bytes(k.as_slice().try_into().unwrap());
            let out =
                matterbox_documents::decrypt(&mut blob.as_slice(), &mut std::io::sink(), &key);
            assert!(
                out.is_err(),
                "a copied blob decrypted with a key left in the vault"
            );
        }
    }
    assert_eq!(s.destruction_register().unwrap().len(), 4);
}

#[test]
fn the_cli_destroys_only_with_the_passphrase_and_writes_a_certificate() {
    let home = Home::new();
    let run = |args: &[&str]| home.run("v", Some(PASS), args);
    run(&["vault", "create", "--danger-device-secret-in-plain-file"]).ok();
    run(&["client", "add", "--name", "Ada Fictional"]).ok();
    let m = run(&[
        "--json",
        "matter",
        "open",
        "--client",
        "1",
        "--title",
        "Old estate",
        "--opened",
        "2015-01-01",
    ])
    .ok()
    .json();
    let number = m["number"].as_str().unwrap().to_string();
    let number = number.as_str();
    let f = home.path().join("will.txt");
    std::fs::write(&f, "a fictional will").unwrap();
    run(&["doc", "add", number, f.to_str().unwrap()]).ok();
    run(&[
        "retention",
        "policy",
        "add",
        "--name",
        "Estates - 6 years",
        "--years",
        "6",
    ])
    .ok();
    // No flag shows the policy and changes nothing (it once cleared it).
    for _ in 0..2 {
        run(&["retention", "matter", number, "--policy", "1"]).ok();
        let shown = run(&["--json", "retention", "matter", number]).ok().json();
        assert_eq!(shown["policy"]["id"], 1, "{shown}");
        assert_eq!(shown["ownPolicy"], true, "{shown}");
        let text = run(&["retention", "matter", number]).ok().stdout;
        assert!(
            text.contains("policy 1 (Estates - 6 years) (its own)"),
            "{text}"
        );
    }
    run(&["retention", "area", "Probate", "--policy", "1"]).ok();
    let area = run(&["--json", "retention", "area", "probate"]).ok().json();
    assert_eq!(area["policy"]["name"], "Estates - 6 years", "{area}");
    run(&["retention", "area", "Probate", "--none"]).ok();
    let area = run(&["--json", "retention", "area", "Probate"]).ok().json();
    assert!(area["policy"].is_null(), "{area}");
    // A policy that does not exist is "not found" (7), not bad input.
    let missing = run(&["retention", "policy", "edit", "9", "--years", "3"]);
    assert_eq!(missing.code, 7, "{}", missing.stderr);
    // An edit changes only what it names; made permanent, a policy drops
    // its period, unless one is given (refused: nothing changes).
    run(&[
        "retention",
        "policy",
        "add",
        "--name",
        "Drafts",
        "--years",
        "3",
        "--months",
        "2",
    ])
    .ok();
    let edit = |args: &[&str]| {
        let mut all = vec!["--json", "retention", "policy", "edit", "2"];
        all.extend_from_slice(args);
        run(&all)
    };
    let renamed = edit(&["--name", "Drafts kept"]).ok().json();
    assert_eq!(
        (
            &renamed["name"],
            &renamed["trigger"],
            &renamed["years"],
            &renamed["months"]
        ),
        (
            &"Drafts kept".into(),
            &"matter_closed".into(),
            &3.into(),
            &2.into()
        ),
        "{renamed}"
    );
    let refused = edit(&["--trigger", "permanent", "--years", "1"]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("\"validation\""),
        "{}",
        refused.stderr
    );
    let permanent = edit(&["--trigger", "permanent"]).ok().json();
    assert_eq!(
        (
            &permanent["trigger"],
            &permanent["years"],
            &permanent["months"]
        ),
        (&"permanent".into(), &0.into(), &0.into()),
        "{permanent}"
    );
    run(&["matter", "close", number, "--on", "2019-05-01"]).ok();
    let due = run(&["--json", "retention", "due", "--today", "2025-05-01"])
        .ok()
        .json();
    assert_eq!(due.as_array().unwrap().len(), 1, "{due}");
    assert!(
        run(&["--json", "retention", "due", "--today", "2025-04-30"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The sweep destroys nothing under a policy that needs approval: the
    // matter waits for it.
    let sweep = run(&["--json", "retention", "sweep", "--today", "2025-05-01"])
        .ok()
        .json();
    assert_eq!(sweep["resumed"], 0, "{sweep}");
    assert_eq!(sweep["destroyed"]["matters"], 0, "{sweep}");
    let waiting = sweep["awaitingApproval"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{sweep}");
    assert_eq!(waiting[0]["kind"], "matter", "{sweep}");
    assert_eq!(waiting[0]["matterNumber"], number, "{sweep}");
    run(&[
        "retention",
        "hold",
        "place",
        "--matter",
        number,
        "--reason",
        "Dispute expected",
    ])
    .ok();
    assert!(
        run(&["--json", "retention", "due", "--today", "2025-05-01"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let refused = run(&[
        "--json",
        "retention",
        "destroy",
        "--matter",
        number,
        "--today",
        "2025-05-01",
    ]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("\"retention_hold\""),
        "{}",
        refused.stderr
    );
    // The hold names the matter by number, title and client.
    let held = run(&["retention", "hold", "list"]).ok().stdout;
    assert!(held.contains(&format!("matter {number} ")), "{held}");
    assert!(held.contains("Dispute expected"), "{held}");
    run(&["retention", "hold", "release", "1"]).ok();

    run(&["retention", "register-titles", "--hash-only"]).ok();
    let report = run(&[
        "--json",
        "retention",
        "destroy",
        "--matter",
        number,
        "--today",
        "2025-05-01",
    ])
    .ok()
    .json();
    assert_eq!(report["documents"], 1);
    let cert = report["certificate"].as_str().unwrap().to_string();
    let register = run(&["--json", "retention", "register"]).ok().json();
    assert_eq!(register.as_array().unwrap().len(), 2);
    // Hash only: the title is not kept, its SHA-256 is.
    let doc = register
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "document")
        .unwrap();
    assert!(doc["title"].is_null(), "{doc}");
    assert_eq!(doc["titleSha256"].as_str().unwrap().len(), 64);
    let out = home.path().join("certificate.html");
    run(&[
        "retention",
        "certificate",
        &cert,
        "--output",
        out.to_str().unwrap(),
    ])
    .ok();
    let html = std::fs::read_to_string(&out).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a certificate is the user's alone");
    }
    // Never over an existing file; an unknown certificate is not found.
    let again = run(&[
        "retention",
        "certificate",
        &cert,
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 6, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), html);
    let other = home.path().join("other.html");
    let unknown = run(&[
        "retention",
        "certificate",
        "MBX-20250501-NOSUCH00",
        "--output",
        other.to_str().unwrap(),
    ]);
    assert_eq!(unknown.code, 7, "{}", unknown.stderr);
    assert!(!other.exists());
    assert!(html.contains(&cert) && html.contains("Estates - 6 years"));
    assert!(
        !html.contains("will.txt"),
        "hash-only registers keep no title"
    );
    let matter = run(&["matter", "show", number]);
    assert_eq!(matter.code, 7, "the matter is gone");
}
