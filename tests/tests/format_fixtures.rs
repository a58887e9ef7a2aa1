//! Files written today must open in ten years: the committed fixture sets
//! in `tests/fixtures/format/` (made by earlier code, see the README there)
//! are opened with the current code. Each set holds a document blob with
//! its wrapped key, and a whole small vault with its passphrase, device
//! secret and recovery key (all TEST DATA). The vault's database is also
//! opened by an external SQLCipher 4 client (`MATTERBOX_TEST_PYTHON`).
//!
//! The vault is only ever opened in a temporary copy: unlocking writes
//! (audit entries, the anchor, migrations), and the committed files must
//! stay as they were made. `SHA256SUMS` in each set, itself pinned below,
//! shows any change to a committed file.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use matterbox_core::audit::Verification;
use matterbox_core::domain::search::SearchFilter;
use matterbox_core::vault::{DeviceSecretStorage, Passphrase};
use matterbox_core::{Environment, ErrorCode, Session};
use matterbox_documents::blobs::BlobStore;
use matterbox_tests::sqlcipher_python;
use matterbox_vault::{RecoveryKey, Vault, VaultHeader};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Every committed set, with the SHA-256 of its `SHA256SUMS`. A new set is
/// added here; an existing line is **never** changed (see the README).
const SETS: &[(&str, &str)] = &[(
    "vault1-doc1-schema10",
    "8c369e8d3468d5971c22539ca530a1f3bf467cb2092238f209f1212ee99c2a6c",
)];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn expected(dir: &Path) -> Value {
    let path = dir.join("expected.json");
    serde_json::from_slice(&fs::read(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(text(v)).unwrap().try_into().unwrap()
}

/// The sets, checked against their pinned sums first: a test of a fixture
/// that was regenerated in place would prove nothing about old files.
fn sets() -> Vec<PathBuf> {
    let root = fixtures_root();
    let mut found: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    found.sort();
    let mut pinned: Vec<String> = SETS.iter().map(|(n, _)| n.to_string()).collect();
    pinned.sort();
    assert_eq!(
        found,
        pinned,
        "every set in {} is pinned in SETS",
        root.display()
    );
    SETS.iter()
        .map(|(name, sums_sha)| {
            let dir = root.join(name);
            let sums = fs::read(dir.join("SHA256SUMS")).unwrap();
            assert_eq!(
                &sha256_hex(&sums),
                sums_sha,
                "{name}/SHA256SUMS changed: committed fixtures are never regenerated in place"
            );
            let sums = String::from_utf8(sums).unwrap();
            let mut listed = Vec::new();
            for line in sums.lines() {
                let (sum, file) = line.split_once("  ").unwrap();
                let bytes =
                    fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
                assert_eq!(sha256_hex(&bytes), sum, "{name}/{file} changed");
                listed.push(file.to_string());
            }
            let mut present = files_below(&dir);
            present.retain(|f| f != "SHA256SUMS");
            listed.sort();
            assert_eq!(present, listed, "{name}: files added or removed");
            dir
        })
        .collect()
}

/// Files below `dir`, as sorted relative paths.
fn files_below(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
                files.push(rel.to_str().unwrap().to_string());
            }
        }
    }
    files.sort();
    files
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[cfg(unix)]
fn make_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600)).unwrap();
    }
}
#[cfg(not(unix))]
fn make_private(_dir: &Path) {}

/// A temporary copy of a set's vault and device secret, and an
/// environment that finds them. A checkout does not keep file modes, so
/// the device secret is made private again, as a user restoring it would.
struct Copy {
    dir: tempfile::TempDir,
    env: Environment,
    vault: PathBuf,
}

fn copy_of(set: &Path, e: &Value) -> Copy {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault");
    copy_tree(&set.join(text(&e["vault_dir"])), &vault);
    let secrets = dir.path().join("device-secrets");
    copy_tree(&set.join(text(&e["device_secret_dir"])), &secrets);
    make_private(&secrets);
    let env = Environment {
        keychain_timeout: Duration::from_secs(20),
        device_secret_dir: secrets,
        actor: "test:format-fixtures".into(),
        attempts_mirror: Some(dir.path().join("unlock-attempts")),
    };
    Copy { dir, env, vault }
}

fn secret_file(set: &Path, e: &Value, key: &str) -> String {
    fs::read_to_string(set.join(text(&e[key])))
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn document_blobs_decrypt_to_their_known_plaintext() {
    for set in sets() {
        let dir = set.join("document");
        let e = expected(&dir);
        let blob_id = text(&e["blob_id"]);
        let key = matterbox_documents::unwrap_key(
            &hex32(&e["wrapping_key"]),
            &hex::decode(text(&e["wrapped_key"])).unwrap(),
            blob_id,
        )
        .unwrap();
        assert_eq!(hex::encode(key.expose()), text(&e["document_key"]));

        let plain = fs::read(dir.join(text(&e["plaintext_file"]))).unwrap();
        assert!(
            plain.len() > matterbox_documents::CHUNK_SIZE,
            "the fixture spans a full chunk and a last one"
        );
        let mut out = Vec::new();
        let summary = BlobStore::new(&dir).read(blob_id, &key, &mut out).unwrap();
        assert!(out == plain, "{}: decrypted bytes differ", set.display());
        assert_eq!(hex::encode(summary.key_id), text(&e["key_id"]));
        assert_eq!(summary.plaintext_len, e["plaintext_len"].as_u64().unwrap());
        assert_eq!(hex::encode(summary.sha256), text(&e["plaintext_sha256"]));
        assert_eq!(sha256_hex(&plain), text(&e["plaintext_sha256"]));

        // The key is bound to its blob: another id does not unwrap it.
        let other = "0".repeat(32);
        assert!(
            matterbox_documents::unwrap_key(
                &hex32(&e["wrapping_key"]),
                &hex::decode(text(&e["wrapped_key"])).unwrap(),
                &other,
            )
            .is_err()
        );
    }
}

#[test]
fn vault_headers_parse_to_their_known_values() {
    for set in sets() {
        let e = expected(&set);
        let x = &e["header"];
        let h = VaultHeader::read(&set.join(text(&e["vault_dir"])).join("vault.json")).unwrap();
        assert_eq!(h.format, text(&x["format"]));
        assert_eq!(u64::from(h.version), x["version"].as_u64().unwrap());
        assert_eq!(h.vault_id, text(&x["vault_id"]));
        assert_eq!(h.name, text(&x["name"]));
        assert_eq!(h.created_at.to_rfc3339(), text(&x["created_at"]));
        assert_eq!(
            h.device_secret_storage,
            DeviceSecretStorage::DangerPlainFile
        );
        let kdf = &x["kdf"];
        assert_eq!(
            (
                u64::from(h.unlock_slot.kdf.memory_kib),
                u64::from(h.unlock_slot.kdf.iterations),
                u64::from(h.unlock_slot.kdf.parallelism)
            ),
            (
                kdf["memory_kib"].as_u64().unwrap(),
                kdf["iterations"].as_u64().unwrap(),
                kdf["parallelism"].as_u64().unwrap()
            )
        );
        assert_eq!(
            hex::encode(h.unlock_slot.argon_salt),
            text(&x["argon_salt"])
        );
        assert_eq!(
            hex::encode(h.unlock_slot.hkdf_salt),
            text(&x["unlock_hkdf_salt"])
        );
        assert_eq!(
            hex::encode(h.recovery_slot.hkdf_salt),
            text(&x["recovery_hkdf_salt"])
        );
        assert_eq!(
            h.unlock_slot.enrolled_at.to_rfc3339(),
            text(&x["enrolled_at"])
        );
        assert_eq!(h.unlock_slot.device_secret_entry, None);
    }
}

/// Everything the fixture's vault holds, read through the core.
fn check_contents(s: &mut Session, set: &Path, e: &Value, work: &Path) {
    let clients = s.clients(None).unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].id, e["client"]["id"].as_i64().unwrap());
    assert_eq!(clients[0].name, text(&e["client"]["name"]));
    assert_eq!(clients[0].email, text(&e["client"]["email"]));

    let m = &e["matter"];
    let matter = s.matter(m["id"].as_i64().unwrap()).unwrap();
    assert_eq!(matter.summary.number, text(&m["number"]));
    assert_eq!(matter.summary.title, text(&m["title"]));
    assert_eq!(matter.summary.client_id, clients[0].id);
    assert_eq!(matter.summary.opened_on.to_string(), text(&m["opened_on"]));

    let docs = s.documents(matter.summary.id).unwrap();
    let want = e["documents"].as_array().unwrap();
    assert_eq!(docs.len(), want.len());
    for w in want {
        let id = w["id"].as_i64().unwrap();
        let doc = s.document(id).unwrap();
        assert_eq!(doc.title, text(&w["title"]));
        let tags: Vec<&str> = w["tags"].as_array().unwrap().iter().map(text).collect();
        assert_eq!(doc.tags, tags);
        let versions = w["versions"].as_array().unwrap();
        assert_eq!(doc.versions, versions.len() as i64);
        for v in versions {
            let n = v["version"].as_i64().unwrap();
            let known = fs::read(set.join(text(&v["file"]))).unwrap();
            assert_eq!(sha256_hex(&known), text(&v["sha256"]));
            let out = work.join(format!("export-{id}-{n}"));
            s.export_document(id, Some(n), &out).unwrap();
            assert!(
                fs::read(&out).unwrap() == known,
                "document {id} version {n} differs from {}",
                text(&v["file"])
            );
        }
    }

    for search in e["searches"].as_array().unwrap() {
        let mut ids: Vec<i64> = s
            .search(text(&search["words"]), &SearchFilter::default())
            .unwrap()
            .hits
            .iter()
            .map(|h| h.document_id)
            .collect();
        ids.sort();
        let want: Vec<i64> = search["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(ids, want, "search for {}", search["words"]);
    }

    // The chain made by the old code verifies, with what was added since.
    let actions: Vec<String> = s
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    let old: Vec<&str> = e["audit_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert_eq!(actions[..old.len()], old[..]);
    match s.verify_audit().unwrap() {
        Verification::Intact { entries } => assert_eq!(entries, actions.len() as i64),
        broken => panic!("{}: audit chain {broken:?}", set.display()),
    }

    let report = s.doctor(false, true, Duration::ZERO, false).unwrap();
    assert!(report.healthy(), "{report:?}");
}

#[test]
fn vaults_unlock_with_their_passphrase_and_device_secret() {
    for set in sets() {
        let e = expected(&set);
        let copy = copy_of(&set, &e);
        let pass = Passphrase::new(secret_file(&set, &e, "passphrase_file"));
        let mut s = matterbox_core::unlock(&copy.env, &copy.vault, &pass).unwrap();
        check_contents(&mut s, &set, &e, copy.dir.path());
        s.lock().unwrap();
        // Opened, changed and locked by today's code, it opens again.
        let s = matterbox_core::unlock(&copy.env, &copy.vault, &pass).unwrap();
        assert!(matches!(
            s.verify_audit().unwrap(),
            Verification::Intact { .. }
        ));
        s.lock().unwrap();
    }
}

#[test]
fn vaults_open_with_their_recovery_key() {
    for set in sets() {
        let e = expected(&set);
        let copy = copy_of(&set, &e);
        // Recovery does not need the old device secret.
        fs::remove_dir_all(&copy.env.device_secret_dir).unwrap();
        let key = secret_file(&set, &e, "recovery_key_file");
        let new_pass = Passphrase::new("a new passphrase after recovery".into());
        let mut s = matterbox_core::recover(
            &copy.env,
            &copy.vault,
            &key,
            &new_pass,
            DeviceSecretStorage::DangerPlainFile,
        )
        .unwrap();
        check_contents(&mut s, &set, &e, copy.dir.path());
        s.lock().unwrap();
        // Re-enrolled: the new passphrase opens it, the old one does not.
        matterbox_core::unlock(&copy.env, &copy.vault, &new_pass)
            .unwrap()
            .lock()
            .unwrap();
        let old = Passphrase::new(secret_file(&set, &e, "passphrase_file"));
        let err = matterbox_core::unlock(&copy.env, &copy.vault, &old).unwrap_err();
        assert_eq!(err.code(), ErrorCode::WrongSecret);
    }
}

#[test]
fn a_wrong_passphrase_does_not_open_a_fixture() {
    for set in sets() {
        let e = expected(&set);
        let copy = copy_of(&set, &e);
        let err = matterbox_core::unlock(
            &copy.env,
            &copy.vault,
            &Passphrase::new("not the fixture passphrase".into()),
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::WrongSecret);
    }
}

/// The fixture's database is real SQLCipher 4, readable in years by a
/// standard client that is not Matterbox, given the key derived from the
/// master key (here from the recovery slot).
#[test]
fn the_fixture_database_opens_in_an_external_sqlcipher_4_client() {
    for set in sets() {
        let e = expected(&set);
        // The client may add -wal and -shm files: only ever a copy.
        let copy = copy_of(&set, &e);
        let vault = Vault::open(&copy.vault).unwrap();
        let key = RecoveryKey::parse(&secret_file(&set, &e, "recovery_key_file")).unwrap();
        let master = vault.danger_master_key_from_recovery(&key).unwrap();
        let db_key = vault.danger_database_key_hex(&master);
        let out = std::process::Command::new(sqlcipher_python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/python/sqlcipher_check.py"
            ))
            .arg(copy.vault.join("vault.db"))
            .arg(db_key.as_str())
            .output()
            .expect("run the Python SQLCipher client");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let with_key = &report["with_key"];
        assert_eq!(with_key["opened"], true, "{report}");
        assert_eq!(
            with_key["clients"],
            serde_json::json!([e["client"]["name"]])
        );
        assert_eq!(
            with_key["matters"],
            serde_json::json!([e["matter"]["title"]])
        );
        assert!(
            text(&with_key["cipher_version"]).starts_with('4'),
            "{report}"
        );
        for attempt in ["with_wrong_key", "without_key", "key_as_passphrase"] {
            assert_eq!(report[attempt]["opened"], false, "{attempt}: {report}");
        }
    }
}
