//! Writes a set of format fixtures (`tests/fixtures/format/README.md`):
//!
//! ```text
//! cargo run -p matterbox-tests --bin make-format-fixtures -- tests/fixtures/format/<new set>
//! ```
//!
//! It refuses a folder that exists: a committed set is **never** written
//! again. A format change adds a new set next to the old ones, whose test
//! must keep passing (`tests/tests/format_fixtures.rs`).
//!
//! Everything written is TEST DATA: the passphrase, the device secret, the
//! recovery key and the keys of the document fixture are public, and the
//! client and matter are fictional.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use matterbox_core::domain::documents::DocumentPatch;
use matterbox_core::domain::{ClientInput, ClientKind, MatterInput};
use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
use matterbox_core::{Environment, KdfChoice, create_vault, unlock};
use matterbox_documents::{DocumentKey, encrypt, new_key_id, wrap_key};
use matterbox_vault::VaultHeader;
use serde_json::json;
use sha2::{Digest, Sha256};

const PASSPHRASE: &str = "fixture passphrase: test data, never a real one";

fn main() {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: make-format-fixtures <new folder>");
        std::process::exit(2);
    };
    if out.exists() {
        eprintln!(
            "{} exists: committed fixtures are never regenerated in place; write a new set next to them",
            out.display()
        );
        std::process::exit(2);
    }
    fs::create_dir_all(&out).unwrap();
    document(&out.join("document"));
    vault(&out);
    remove_empty_dirs(&out);
    write_sums(&out);
    println!("wrote {}", out.display());
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Text that anyone can check by eye: numbered lines, fictional content.
fn known_text(lines: usize, what: &str) -> Vec<u8> {
    let mut text = format!("TEST DATA for Matterbox format fixtures: {what}.\n");
    for i in 1..=lines {
        text.push_str(&format!(
            "Line {i:05}: Fixture Client Ltd, matter FX-0001, nothing confidential here.\n"
        ));
    }
    text.into_bytes()
}

/// A sealed document on its own, with its key wrapped the way the vault
/// wraps document keys (bound to the blob id).
fn document(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    // More than one chunk, so the fixture holds a full chunk and a last one.
    let plain = known_text(900, "a standalone document blob");
    assert!(plain.len() > matterbox_documents::CHUNK_SIZE);
    let key = DocumentKey::generate().unwrap();
    let key_id = new_key_id().unwrap();
    let mut sealed = Vec::new();
    let summary = encrypt(&mut plain.as_slice(), &mut sealed, &key, key_id).unwrap();
    // Blob ids are 16 random bytes in hex, as the blob store makes them.
    let blob_id = hex::encode(new_key_id().unwrap());
    // Stands for the vault's document-wrapping key (derived there).
    let wrapping = *DocumentKey::generate().unwrap().expose();
    let wrapped = wrap_key(&wrapping, &key, &blob_id).unwrap();
    fs::write(dir.join("plaintext.txt"), &plain).unwrap();
    fs::write(dir.join(&blob_id), &sealed).unwrap();
    let expected = json!({
        "test_data": "TEST DATA: these keys are public; they protect nothing.",
        "blob_id": blob_id,
        "plaintext_file": "plaintext.txt",
        "plaintext_len": summary.plaintext_len,
        "plaintext_sha256": hex::encode(summary.sha256),
        "key_id": hex::encode(key_id),
        "document_key": hex::encode(key.expose()),
        "wrapping_key": hex::encode(wrapping),
        "wrapped_key": hex::encode(&wrapped),
    });
    write_json(&dir.join("expected.json"), &expected);
}

fn write_json(path: &Path, value: &serde_json::Value) {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    fs::write(path, text).unwrap();
}

/// A small vault: one client, one matter, two documents (one with two
/// versions, tagged), locked; its secrets written next to it.
fn vault(out: &Path) {
    let work = tempfile::tempdir().unwrap();
    let secrets = out.join("device-secrets");
    let env = Environment {
        keychain_timeout: Duration::from_secs(20),
        device_secret_dir: secrets.clone(),
        actor: "fixture:generator".into(),
        attempts_mirror: Some(work.path().join("unlock-attempts")),
    };
    let vault_dir = out.join("vault");
    let created = create_vault(
        &env,
        &vault_dir,
        "Fixture Practice (test data)",
        &Passphrase::new(PASSPHRASE.into()),
        DeviceSecretStorage::DangerPlainFile,
        // The lowest cost the normal open path accepts: the fixture proves
        // that real users' files open, so nothing below the floor.
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .unwrap();
    let mut s = created.session;
    let client = s
        .create_client(&ClientInput {
            kind: Some(ClientKind::Organization),
            name: "Fixture Client Ltd".into(),
            email: "office@fixture-client.invalid".into(),
            notes: "Fictional client of the format fixtures.".into(),
            ..Default::default()
        })
        .unwrap();
    let matter = s
        .open_matter(&MatterInput {
            number: Some("FX-0001".into()),
            title: "Fixture Client Ltd v. Nobody".into(),
            client_id: client.id,
            practice_area: "Litigation".into(),
            opened_on: Some("2026-01-15".parse().unwrap()),
            ..Default::default()
        })
        .unwrap();

    let docs = out.join("documents");
    fs::create_dir_all(&docs).unwrap();
    let letter = b"TEST DATA. Engagement letter for Fixture Client Ltd.\nThe word quillfeather appears only in this letter.\n".to_vec();
    let letter_v2 = b"TEST DATA. Engagement letter for Fixture Client Ltd, second version.\nThe word quillfeather appears only in this letter; marrowbank only in its second version.\n".to_vec();
    let notes = known_text(40, "attendance notes of the vault fixture");
    fs::write(docs.join("engagement-letter.txt"), &letter).unwrap();
    fs::write(docs.join("engagement-letter-v2.txt"), &letter_v2).unwrap();
    fs::write(docs.join("attendance-notes.txt"), &notes).unwrap();

    let first = s
        .import_document(
            matter.summary.id,
            &docs.join("engagement-letter.txt"),
            Some("Engagement letter"),
            false,
        )
        .unwrap();
    s.add_document_version(first.id, &docs.join("engagement-letter-v2.txt"))
        .unwrap();
    s.update_document(
        first.id,
        &DocumentPatch {
            tags: Some(vec!["engagement".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let second = s
        .import_document(
            matter.summary.id,
            &docs.join("attendance-notes.txt"),
            None,
            false,
        )
        .unwrap();
    s.lock().unwrap();

    // Unlock once more, so the log also holds an unlock and a lock.
    let s = unlock(&env, &vault_dir, &Passphrase::new(PASSPHRASE.into())).unwrap();
    let entries = s.audit_entries().unwrap();
    let schema_version: i64 = s
        .danger_connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    s.lock().unwrap();
    let mut actions: Vec<String> = entries.into_iter().map(|e| e.action).collect();
    actions.push("vault_locked".into());

    let header = VaultHeader::read(&vault_dir.join("vault.json")).unwrap();
    fs::write(out.join("passphrase.txt"), format!("{PASSPHRASE}\n")).unwrap();
    fs::write(
        out.join("recovery-key.txt"),
        format!("{}\n", created.recovery_key.expose()),
    )
    .unwrap();
    let expected = json!({
        "test_data": "TEST DATA: the passphrase, device secret and recovery key next to this file are public; the client is fictional.",
        "generated_with": env!("CARGO_PKG_VERSION"),
        "schema_version": schema_version,
        "passphrase_file": "passphrase.txt",
        "recovery_key_file": "recovery-key.txt",
        "device_secret_dir": "device-secrets",
        "vault_dir": "vault",
        "header": {
            "format": header.format,
            "version": header.version,
            "vault_id": header.vault_id,
            "name": header.name,
            "created_at": header.created_at.to_rfc3339(),
            "device_secret_storage": "danger_plain_file",
            "kdf": {
                "memory_kib": header.unlock_slot.kdf.memory_kib,
                "iterations": header.unlock_slot.kdf.iterations,
                "parallelism": header.unlock_slot.kdf.parallelism,
            },
            "argon_salt": hex::encode(header.unlock_slot.argon_salt),
            "unlock_hkdf_salt": hex::encode(header.unlock_slot.hkdf_salt),
            "recovery_hkdf_salt": hex::encode(header.recovery_slot.hkdf_salt),
            "enrolled_at": header.unlock_slot.enrolled_at.to_rfc3339(),
        },
        "client": { "id": client.id, "name": client.name, "email": client.email },
        "matter": {
            "id": matter.summary.id,
            "number": matter.summary.number,
            "title": matter.summary.title,
            "opened_on": matter.summary.opened_on.to_string(),
        },
        "documents": [
            {
                "id": first.id,
                "title": "Engagement letter",
                "tags": ["engagement"],
                "versions": [
                    { "version": 1, "file": "documents/engagement-letter.txt", "sha256": sha256_hex(&letter) },
                    { "version": 2, "file": "documents/engagement-letter-v2.txt", "sha256": sha256_hex(&letter_v2) },
                ],
            },
            {
                "id": second.id,
                "title": "attendance-notes.txt",
                "tags": [],
                "versions": [
                    { "version": 1, "file": "documents/attendance-notes.txt", "sha256": sha256_hex(&notes) },
                ],
            },
        ],
        "searches": [
            { "words": "quillfeather", "documents": [first.id] },
            { "words": "marrowbank", "documents": [first.id] },
            { "words": "attendance", "documents": [second.id] },
        ],
        "audit_actions": actions,
    });
    write_json(&out.join("expected.json"), &expected);
}

/// Git keeps no empty folder: remove them, so the fixture tested here is
/// the one a checkout gives.
fn remove_empty_dirs(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            remove_empty_dirs(&entry.path());
            let _ = fs::remove_dir(entry.path());
        }
    }
}

/// `SHA256SUMS`: every file of the set, so the test sees any change to it.
fn write_sums(out: &Path) {
    let mut files = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    let mut lines: Vec<String> = files
        .iter()
        .map(|p| {
            let name = p.strip_prefix(out).unwrap().to_str().unwrap().to_string();
            format!("{}  {name}\n", sha256_hex(&fs::read(p).unwrap()))
        })
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    fs::write(out.join("SHA256SUMS"), lines.concat()).unwrap();
}
