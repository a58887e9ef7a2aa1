//! The vault database is real SQLCipher 4: an external client opens it
//! with the derived key and with nothing else; client data never appears
//! in clear anywhere in the vault folder; tampering with the audit log by
//! direct SQL (with the database key) is caught by `matterbox audit verify`.

use std::process::Command;
use std::time::Duration;

use matterbox_core::domain::{ClientInput, ClientKind, MatterInput};
use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
use matterbox_core::{Environment, KdfChoice, create_vault};
use matterbox_tests::{Home, files_containing, sqlcipher_python};
use matterbox_vault::{RecoveryKey, Vault};

const MARKERS: [&str; 4] = [
    "Quetzal-Fictional-Client-7731",
    "Alias-Marker-Umbra-5520",
    "Privileged-Note-Marker-9044",
    "Matter-Title-Marker-Orrery-3187",
];

fn env(home: &Home) -> Environment {
    Environment {
        keychain_timeout: Duration::from_secs(5),
        device_secret_dir: home.path().join("device-secrets"),
        actor: "test:sqlcipher".into(),
        attempts_mirror: Some(home.path().join("unlock-attempts")),
    }
}

/// Creates a vault holding the markers; returns the recovery key.
fn vault_with_markers(home: &Home) -> String {
    let dir = home.vault_dir("main");
    let created = create_vault(
        &env(home),
        &dir,
        "Marker test",
        &Passphrase::new("a test passphrase".into()),
        DeviceSecretStorage::DangerPlainFile,
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .unwrap();
    let mut s = created.session;
    let c = s
        .create_client(&ClientInput {
            kind: Some(ClientKind::Person),
            name: MARKERS[0].into(),
            aliases: vec![MARKERS[1].into()],
            notes: MARKERS[2].into(),
            ..Default::default()
        })
        .unwrap();
    s.open_matter(&MatterInput {
        title: MARKERS[3].into(),
        client_id: c.id,
        ..Default::default()
    })
    .unwrap();
    // While the session is open the changes sit in the WAL: it must be
    // encrypted too.
    assert!(dir.join("vault.db-wal").exists());
    for m in MARKERS {
        assert_eq!(
            files_containing(&dir, m),
            Vec::<std::path::PathBuf>::new(),
            "{m} in clear (open)"
        );
    }
    s.lock().unwrap();
    created.recovery_key.expose().to_string()
}

fn database_key_hex(home: &Home, recovery_key: &str) -> String {
    let vault = Vault::open(&home.vault_dir("main")).unwrap();
    let master = vault
        .danger_master_key_from_recovery(&RecoveryKey::parse(recovery_key).unwrap())
        .unwrap();
    vault.danger_database_key_hex(&master).to_string()
}

#[test]
fn an_external_sqlcipher_4_client_opens_the_file_with_the_key_and_nothing_else() {
    let home = Home::new();
    let recovery = vault_with_markers(&home);
    let dir = home.vault_dir("main");
    for m in MARKERS {
        assert!(
            files_containing(&dir, m).is_empty(),
            "{m} in clear (locked)"
        );
    }
    let key = database_key_hex(&home, &recovery);
    assert!(
        files_containing(home.path(), &key).is_empty(),
        "the database key is on disk"
    );

    let out = Command::new(sqlcipher_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/sqlcipher_check.py"
        ))
        .arg(dir.join("vault.db"))
        .arg(&key)
        .output()
        .expect("run the Python SQLCipher client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let with_key = &report["with_key"];
    assert_eq!(with_key["opened"], true, "{report}");
    assert_eq!(with_key["clients"], serde_json::json!([MARKERS[0]]));
    assert_eq!(with_key["matters"], serde_json::json!([MARKERS[3]]));
    assert!(
        with_key["cipher_version"]
            .as_str()
            .unwrap()
            .starts_with('4'),
        "{report}"
    );
    for attempt in ["with_wrong_key", "without_key", "key_as_passphrase"] {
        assert_eq!(report[attempt]["opened"], false, "{attempt}: {report}");
    }
}

/// Opens the database as an attacker holding the database key would.
fn tamper(home: &Home, recovery: &str, sql: &str) {
    let conn = rusqlite::Connection::open(home.vault_dir("main").join("vault.db")).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA key = \"x'{}'\";",
        database_key_hex(home, recovery)
    ))
    .unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn audit_tampering_with_the_database_key_is_caught_by_the_cli() {
    let cases = [
        (
            "edit",
            "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3",
            3,
        ),
        ("delete", "DELETE FROM audit_log WHERE seq = 2", 2),
        (
            "reorder",
            "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100;",
            2,
        ),
        (
            "insert",
            "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3; UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1003; \
             INSERT INTO audit_log (seq, at, actor, action, object, details, mac) \
             SELECT 3, at, actor, 'vault_unlocked', object, details, mac FROM audit_log WHERE seq = 1",
            3,
        ),
        ("truncate", "DELETE FROM audit_log WHERE seq >= 4", 4),
    ];
    for (name, sql, first_bad) in cases {
        let home = Home::new();
        let recovery = vault_with_markers(&home);
        let intact = home.run("main", Some("a test passphrase"), &["audit", "verify"]);
        assert_eq!(intact.code, 0, "{name}: {}", intact.stderr);
        tamper(&home, &recovery, sql);
        let run = home.run("main", Some("a test passphrase"), &["audit", "verify"]);
        assert_eq!(
            run.code, 8,
            "{name} not detected: {}{}",
            run.stdout, run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("broken at entry {first_bad}:")),
            "{name}: {}",
            run.stderr
        );
        // The doctor checks the log too: it names the broken entry, never
        // says all is in order, and fails as `audit verify` does.
        let doctor = home.run("main", Some("a test passphrase"), &["doctor"]);
        assert_eq!(
            doctor.code, 8,
            "{name}: doctor: {}{}",
            doctor.stdout, doctor.stderr
        );
        assert!(
            doctor
                .stdout
                .contains(&format!("AUDIT LOG BROKEN at entry {first_bad}:"))
                && !doctor.stdout.contains("in order"),
            "{name}: doctor: {}",
            doctor.stdout
        );
    }
}

#[test]
fn a_deleted_or_rolled_back_database_is_never_taken_for_a_clean_vault() {
    let home = Home::new();
    vault_with_markers(&home);
    let db = home.vault_dir("main").join("vault.db");
    let pass = Some("a test passphrase");

    // An older copy of the database, taken while the vault was locked.
    let backup = home.path().join("older-vault.db");
    std::fs::copy(&db, &backup).unwrap();
    home.run(
        "main",
        pass,
        &["client", "add", "--name", "Later Client (fictional)"],
    )
    .ok();
    home.run("main", pass, &["audit", "verify"]).ok();

    // Restoring it is found: the anchor beside the database remembers more.
    std::fs::copy(&backup, &db).unwrap();
    let run = home.run("main", pass, &["audit", "verify"]);
    assert_eq!(
        run.code, 8,
        "rollback not detected: {}{}",
        run.stdout, run.stderr
    );
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);

    // A deleted database is an error, never a fresh empty vault.
    std::fs::remove_file(&db).unwrap();
    let run = home.run("main", pass, &["client", "list"]);
    assert_eq!(run.code, 9, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
    assert!(!db.exists());
}
