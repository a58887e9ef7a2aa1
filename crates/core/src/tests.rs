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

/// A session with one client and two matters; returns the matter ids.
fn with_two_matters(s: &mut Session) -> (i64, i64) {
    let c = s
        .create_client(&ClientInput {
            name: "Thessaly Vantwood".into(),
            ..Default::default()
        })
        .unwrap();
    let mut open = |title: &str| {
        s.open_matter(&MatterInput {
            title: title.into(),
            client_id: c.id,
            ..Default::default()
        })
        .unwrap()
        .summary
        .id
    };
    (open("Vantwood estate"), open("Vantwood lease"))
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn search_ids(s: &mut Session, text: &str, filter: SearchFilterInput) -> Vec<i64> {
    s.search(text, &filter.0)
        .unwrap()
        .into_iter()
        .map(|h| h.document_id)
        .collect()
}

struct SearchFilterInput(matterbox_domain::search::SearchFilter);

fn all() -> SearchFilterInput {
    SearchFilterInput(Default::default())
}

#[test]
fn documents_are_renamed_tagged_annotated_moved_and_trashed_with_audit() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, lease) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let file = write_file(
        src.path(),
        "will.txt",
        b"Last will of the fictional Thessaly Vantwood, marigold clause",
    );
    let d = s.import_document(estate, &file, None, false).unwrap();
    assert_eq!(d.text_status, "extracted");

    let patch = matterbox_domain::documents::DocumentPatch {
        title: Some("Signed will".into()),
        notes: Some("Original in the safe".into()),
        tags: Some(vec![" signed ".into(), "Estate".into(), "SIGNED".into()]),
    };
    let d = s.update_document(d.id, &patch).unwrap();
    assert_eq!(d.title, "Signed will");
    assert_eq!(d.notes, "Original in the safe");
    assert_eq!(d.tags, vec!["Estate".to_string(), "signed".to_string()]);
    // The new title, the tags and the notes are searchable; the tag filters.
    assert_eq!(search_ids(&mut s, "signed will", all()), vec![d.id]);
    assert_eq!(search_ids(&mut s, "safe", all()), vec![d.id]);
    assert_eq!(search_ids(&mut s, "estate", all()), vec![d.id]);
    let mut by_tag = all();
    by_tag.0.tag = Some("estate".into());
    assert_eq!(search_ids(&mut s, "marigold", by_tag), vec![d.id]);
    let mut other_tag = all();
    other_tag.0.tag = Some("invoice".into());
    assert!(search_ids(&mut s, "marigold", other_tag).is_empty());
    let mut bad_date = all();
    bad_date.0.added_from = Some("next week".into());
    assert_eq!(
        s.search("marigold", &bad_date.0).unwrap_err().code(),
        ErrorCode::Validation
    );
    let mut future = all();
    future.0.added_from = Some("2999-01-01".into());
    assert!(search_ids(&mut s, "marigold", future).is_empty());

    let bad = matterbox_domain::documents::DocumentPatch {
        tags: Some(vec!["a,b".into()]),
        ..Default::default()
    };
    assert_eq!(
        s.update_document(d.id, &bad).unwrap_err().code(),
        ErrorCode::Validation
    );

    let moved = s.move_document(d.id, lease).unwrap();
    assert_eq!(moved.matter_id, lease);
    assert!(s.documents(estate).unwrap().is_empty());
    assert_eq!(
        s.move_document(d.id, lease).unwrap_err().code(),
        ErrorCode::Validation
    );

    s.set_document_trashed(d.id, true).unwrap();
    assert!(s.documents(lease).unwrap().is_empty());
    assert_eq!(s.trashed_documents(lease).unwrap().len(), 1);
    assert!(
        search_ids(&mut s, "marigold", all()).is_empty(),
        "trash leaves search"
    );
    assert_eq!(
        s.update_document(d.id, &patch).unwrap_err().code(),
        ErrorCode::Validation,
        "a trashed document is not edited"
    );
    s.set_document_trashed(d.id, false).unwrap();
    assert_eq!(search_ids(&mut s, "marigold", all()), vec![d.id]);

    let log = actions(&s);
    for a in [
        "document_imported",
        "document_updated",
        "document_moved",
        "document_trashed",
        "document_restored",
    ] {
        assert!(log.iter().any(|x| x == a), "{a} in {log:?}");
    }
    // Audit details never carry titles, notes or tags.
    let details: String = s
        .audit_entries()
        .unwrap()
        .iter()
        .map(|e| e.details.to_string())
        .collect();
    for secret in ["Signed will", "safe", "Estate", "marigold"] {
        assert!(!details.contains(secret), "{secret} in the audit log");
    }
}

#[test]
fn versions_are_added_restored_and_each_stays_readable() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let v1 = write_file(src.path(), "draft.txt", b"first draft mentions periwinkle");
    let d = s.import_document(estate, &v1, None, false).unwrap();
    let v2 = write_file(src.path(), "draft2.txt", b"second draft mentions tamarind");
    let d = s.add_document_version(d.id, &v2).unwrap();
    assert_eq!(d.versions, 2);
    assert_eq!(search_ids(&mut s, "tamarind", all()), vec![d.id]);
    assert!(
        search_ids(&mut s, "periwinkle", all()).is_empty(),
        "the index follows the current version"
    );

    let read =
        |s: &mut Session, v: Option<i64>| s.preview_document(d.id, v).unwrap().bytes.to_vec();
    assert_eq!(read(&mut s, Some(1)), b"first draft mentions periwinkle");
    assert_eq!(read(&mut s, None), b"second draft mentions tamarind");

    let d = s.restore_document_version(d.id, 1).unwrap();
    assert_eq!(d.versions, 3);
    assert_eq!(read(&mut s, None), b"first draft mentions periwinkle");
    assert_eq!(search_ids(&mut s, "periwinkle", all()), vec![d.id]);
    let versions = s.document_versions(d.id).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(versions[0].sha256, versions[2].sha256);

    let out = src.path().join("exported-v2.txt");
    s.export_document(d.id, Some(2), &out).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"second draft mentions tamarind"
    );
    assert_eq!(
        s.restore_document_version(d.id, 9).unwrap_err().code(),
        ErrorCode::NotFound
    );
    // Three versions, three blobs, nothing else: the doctor agrees.
    let report = s.doctor(false, true, Duration::ZERO).unwrap();
    assert!(report.healthy(), "{report:?}");
    assert_eq!(report.checked, 3);
    let log = actions(&s);
    assert!(log.iter().any(|a| a == "document_version_added"));
    assert!(log.iter().any(|a| a == "document_version_restored"));
    assert!(log.iter().filter(|a| *a == "document_viewed").count() >= 3);
}

#[test]
fn restoring_a_damaged_version_adds_nothing() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let data = vec![7u8; 300_000];
    let d = s
        .import_document(
            estate,
            &write_file(src.path(), "scan.bin", &data),
            None,
            false,
        )
        .unwrap();
    s.add_document_version(d.id, &write_file(src.path(), "scan2.bin", b"v2"))
        .unwrap();
    // Flip a byte in the middle of version 1's blob.
    let blob = {
        let v = matterbox_domain::documents::version_key(&s.conn, d.id, Some(1)).unwrap();
        s.vault.blobs_dir().join(&v.blob_id)
    };
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[200_000] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    assert_eq!(
        s.restore_document_version(d.id, 1).unwrap_err().code(),
        ErrorCode::DecryptionFailed
    );
    assert_eq!(s.document(d.id).unwrap().versions, 2);
    let report = s.doctor(false, false, Duration::ZERO).unwrap();
    assert!(
        report.orphans.is_empty() && report.temporary == 0,
        "{report:?}"
    );
}

#[test]
fn previews_by_kind_and_opened_copies_are_private_and_wiped() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let eml = b"From: Orla Brightwater <orla@example.invalid>\r\nSubject: Calendula offer\r\n\r\nBody text\r\n";
    let mail = s
        .import_document(
            estate,
            &write_file(src.path(), "offer.eml", eml),
            None,
            false,
        )
        .unwrap();
    let p = s.preview_document(mail.id, None).unwrap();
    assert_eq!(p.kind, PreviewKind::ExtractedText);
    assert!(String::from_utf8_lossy(&p.bytes).contains("Subject: Calendula offer"));
    let bin = s
        .import_document(
            estate,
            &write_file(src.path(), "data.bin", b"\x00\x01"),
            None,
            false,
        )
        .unwrap();
    assert_eq!(
        s.preview_document(bin.id, None).unwrap().kind,
        PreviewKind::None
    );

    let copies = OpenCopies::new(src.path().join("open-copies"));
    let path = s.open_copy(mail.id, &copies).unwrap();
    assert_eq!(path.file_name().unwrap(), "offer.eml");
    assert_eq!(std::fs::read(&path).unwrap(), eml);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&copies.dir), 0o700);
    }
    assert!(
        actions(&s)
            .iter()
            .any(|a| a == "document_opened_externally")
    );
    let second = s.open_copy(mail.id, &copies).unwrap();
    assert_ne!(second, path, "each copy has its own folder");
    // Another application keeps a hard link: wiping overwrites the content it sees.
    let kept = src.path().join("kept-by-viewer");
    std::fs::hard_link(&path, &kept).unwrap();
    assert_eq!(copies.wipe().unwrap(), 2);
    assert!(!path.exists() && !second.exists());
    assert!(std::fs::read_dir(&copies.dir).unwrap().next().is_none());
    assert!(std::fs::read(&kept).unwrap().iter().all(|b| *b == 0));
    assert_eq!(
        OpenCopies::new(src.path().join("never-made"))
            .wipe()
            .unwrap(),
        0
    );
}
