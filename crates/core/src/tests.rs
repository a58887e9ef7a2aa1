//! Core API tests on temporary vaults. The device secret goes to a private
//! file in the temporary folder here (fast); the real keychain is exercised
//! by the suite in `tests/`.

use super::*;
use matterbox_domain::{ClientKind, MatterStatus, PartySide};

struct Fixture {
    _dir: tempfile::TempDir,
    env: Environment,
    vault_dir: PathBuf,
}

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.into())
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let env = Environment {
        keychain_timeout: Duration::from_secs(5),
        device_secret_dir: dir.path().join("device-secrets"),
        actor: "test:ada".into(),
    };
    let vault_dir = dir.path().join("vault");
    Fixture {
        _dir: dir,
        env,
        vault_dir,
    }
}

fn create(f: &Fixture) -> NewVault {
    create_vault(
        &f.env,
        &f.vault_dir,
        "Fictional & Partners",
        &pass("first passphrase"),
        DeviceSecretStorage::DangerPlainFile,
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .unwrap()
}

fn actions(s: &Session) -> Vec<String> {
    s.audit_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn the_life_of_a_vault_is_audited() {
    let f = fixture();
    let created = create(&f);
    assert_eq!(created.recovery_key.split('-').count(), 8);
    created.session.lock().unwrap();

    let err = unlock(&f.env, &f.vault_dir, &pass("wrong passphrase")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongSecret);
    assert_eq!(vault_info(&f.vault_dir).unwrap().pending_failed_unlocks, 1);

    let s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    assert_eq!(
        actions(&s),
        [
            "vault_created",
            "danger_device_secret_in_plain_file",
            "vault_locked",
            "unlock_failed",
            "vault_unlocked"
        ]
    );
    assert_eq!(vault_info(&f.vault_dir).unwrap().pending_failed_unlocks, 0);
    assert!(matches!(
        s.verify_audit().unwrap(),
        Verification::Intact { entries: 5 }
    ));
}

#[test]
fn client_and_matter_changes_are_audited_without_client_data() {
    let f = fixture();
    let mut s = create(&f).session;
    let c = s
        .create_client(&ClientInput {
            kind: Some(ClientKind::Organization),
            name: "Zanzibar Quill Holdings".into(),
            ..Default::default()
        })
        .unwrap();
    s.update_client(
        c.id,
        &ClientPatch {
            notes: Some("Prefers post".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let m = s
        .open_matter(&MatterInput {
            title: "Quill v. Nobody".into(),
            client_id: c.id,
            opened_on: Some("2026-01-10".parse().unwrap()),
            ..Default::default()
        })
        .unwrap();
    let id = m.summary.id;
    s.add_party(
        id,
        &PartyInput {
            name: "Nobody Ltd".into(),
            role: "defendant".into(),
            side: PartySide::Adverse,
        },
    )
    .unwrap();
    s.close_matter(id, Some("2026-03-01".parse().unwrap()))
        .unwrap();
    let m = s.reopen_matter(id).unwrap();
    assert_eq!(m.summary.status, MatterStatus::Open);
    let entries = s.audit_entries().unwrap();
    let acts: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        &acts[2..],
        [
            "client_created",
            "client_updated",
            "matter_opened",
            "matter_party_added",
            "matter_closed",
            "matter_reopened"
        ]
    );
    let text = serde_json::to_string(&entries).unwrap();
    for secret in ["Zanzibar", "Quill v.", "Nobody Ltd", "Prefers post"] {
        assert!(!text.contains(secret), "{secret} leaked into the audit log");
    }
    assert!(matches!(
        s.verify_audit().unwrap(),
        Verification::Intact { .. }
    ));
}

#[test]
fn a_refused_change_leaves_no_trace_and_no_row() {
    let f = fixture();
    let mut s = create(&f).session;
    let before = s.audit_entries().unwrap().len();
    let err = s
        .open_matter(&MatterInput {
            title: "Orphan".into(),
            client_id: 42,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    let err = s
        .create_client(&ClientInput {
            name: " ".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Validation);
    assert_eq!(s.matter(7).unwrap_err().code(), ErrorCode::NotFound);
    let c = s
        .create_client(&ClientInput {
            name: "Ada Fictional".into(),
            ..Default::default()
        })
        .unwrap();
    let input = MatterInput {
        title: "One".into(),
        client_id: c.id,
        number: Some("X-1".into()),
        ..Default::default()
    };
    s.open_matter(&input).unwrap();
    assert_eq!(
        s.open_matter(&input).unwrap_err().code(),
        ErrorCode::Conflict
    );
    assert_eq!(s.audit_entries().unwrap().len(), before + 2);
    assert_eq!(s.matters(&MatterFilter::default()).unwrap().len(), 1);
}

#[test]
fn recovery_and_passphrase_change() {
    let f = fixture();
    let created = create(&f);
    let key = created.recovery_key.to_string();
    created.session.lock().unwrap();

    // Lose this computer's device secret.
    std::fs::remove_dir_all(&f.env.device_secret_dir).unwrap();
    let err = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeychainUnavailable);
    assert!(err.user_message().contains("recovery key"));

    // A typo is caught before any attempt; a wrong key is the opaque error.
    let typo = format!(
        "{}{}",
        if key.starts_with('Z') { 'Y' } else { 'Z' },
        &key[1..]
    );
    let err = recover(
        &f.env,
        &f.vault_dir,
        &typo,
        &pass("second passphrase"),
        DeviceSecretStorage::DangerPlainFile,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidRecoveryKey);

    let s = recover(
        &f.env,
        &f.vault_dir,
        &key.to_lowercase(),
        &pass("second passphrase"),
        DeviceSecretStorage::DangerPlainFile,
    )
    .unwrap();
    assert!(actions(&s).contains(&"recovery_key_used".to_string()));
    s.lock().unwrap();

    let s = change_passphrase(
        &f.env,
        &f.vault_dir,
        &pass("second passphrase"),
        &pass("third passphrase"),
    )
    .unwrap();
    assert_eq!(actions(&s).last().unwrap(), "passphrase_changed");
    s.lock().unwrap();
    assert!(unlock(&f.env, &f.vault_dir, &pass("third passphrase")).is_ok());
}

#[test]
fn a_device_secret_inside_the_vault_folder_is_refused() {
    let mut f = fixture();
    f.env.device_secret_dir = f.vault_dir.join("secrets");
    let err = create_vault(
        &f.env,
        &f.vault_dir,
        "x",
        &pass("first passphrase"),
        DeviceSecretStorage::DangerPlainFile,
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .unwrap_err();
    assert!(err.to_string().contains("inside the vault folder"), "{err}");
    assert!(!f.vault_dir.exists());
}

#[test]
fn internal_errors_show_a_generic_message() {
    let e = CoreError::Store(matterbox_store::StoreError::MissingProtection("x"));
    assert_eq!(e.code(), ErrorCode::Internal);
    assert!(!e.user_message().contains("protection"));
    let api = serde_json::to_value(e.to_api()).unwrap();
    assert_eq!(api["code"], "internal");
}
