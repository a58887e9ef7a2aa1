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
        attempts_mirror: Some(dir.path().join("unlock-attempts")),
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
    assert_eq!(created.recovery_key.expose().split('-').count(), 8);
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
    let key = created.recovery_key.expose().to_string();
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
#[test]
fn details_bring_what_a_page_shows_and_opening_a_client_is_audited() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, lease) = with_two_matters(&mut s);
    let client = s.matter(estate).unwrap().summary.client_id;
    let detail = s.client_detail(client).unwrap();
    let mut ids: Vec<i64> = detail.matters.iter().map(|m| m.id).collect();
    ids.sort();
    assert_eq!(ids, vec![estate, lease]);
    assert_eq!(actions(&s).last().unwrap(), "client_viewed");
    let src = tempfile::tempdir().unwrap();
    let file = write_file(src.path(), "scan.pdf", b"%PDF-1.4 fictional\n%%EOF\n");
    let d = s.import_document(estate, &file, None, false).unwrap();
    let detail = s.document_detail(d.id).unwrap();
    assert_eq!(detail.document.id, d.id);
    assert_eq!(detail.versions.len(), 1);
    assert_eq!(detail.preview_kind, PreviewKind::Pdf);
}

#[test]
fn a_new_vault_folder_is_default_first_then_named_after_the_vault() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().join("vaults");
    create_vaults_folder(&root).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
    assert_eq!(new_vault_dir(&root, "Ada & Co"), root.join("default"));
    std::fs::create_dir(root.join("default")).unwrap();
    assert_eq!(new_vault_dir(&root, "Ada & Co."), root.join("ada---co"));
    std::fs::create_dir(root.join("ada---co")).unwrap();
    assert_eq!(new_vault_dir(&root, "Ada & Co."), root.join("ada---co-2"));
    assert_eq!(new_vault_dir(&root, "../../etc"), root.join("etc"));
    assert_eq!(new_vault_dir(&root, "\u{202e}"), root.join("vault"));
}

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

/// A person client with one matter, conflict checks not required (for
/// tests about something else): (client id, matter id).
fn person_with_matter(s: &mut Session, name: &str, title: &str) -> (i64, i64) {
    s.update_settings(&SettingsPatch {
        conflict_check_required: Some(false),
        ..Default::default()
    })
    .unwrap();
    let client = s
        .create_client(&ClientInput {
            kind: Some(ClientKind::Person),
            name: name.into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let matter = s
        .open_matter(&MatterInput {
            title: title.into(),
            client_id: client,
            ..Default::default()
        })
        .unwrap()
        .summary
        .id;
    (client, matter)
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn search_ids(s: &mut Session, text: &str, filter: SearchFilterInput) -> Vec<i64> {
    s.search(text, &filter.0)
        .unwrap()
        .hits
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
    let report = s.doctor(false, true, Duration::ZERO, false).unwrap();
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
    let report = s.doctor(false, false, Duration::ZERO, false).unwrap();
    assert!(
        report.orphans.is_empty() && report.temporary == 0,
        "{report:?}"
    );
}

/// A large source that asks the session to stop once `cancel_at` bytes
/// went through (as the desktop app's lock does from another thread),
/// and counts what it gave.
struct CancelsAt {
    cancel: Cancel,
    cancel_at: u64,
    len: u64,
    at: u64,
}

impl std::io::Read for CancelsAt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.cancel_at {
            self.cancel.cancel();
        }
        let n = buf.len().min((self.len - self.at) as usize);
        buf[..n].fill(b'x');
        self.at += n as u64;
        Ok(n)
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default()
}

/// A lock during an import stops it between chunks: `Cancelled` (which
/// the app shows as `vault_locked`), no record, no audit entry, and no
/// blob or temporary file left — also when the lock comes after the last
/// byte was read, while the blob is being made durable.
#[test]
fn a_lock_during_an_import_stops_it_and_leaves_nothing() {
    let len: u64 = 256 << 20;
    for cancel_at in [3 << 20, len / 2, len] {
        let f = fixture();
        let mut s = create(&f).session;
        let (matter, _) = with_two_matters(&mut s);
        let before = actions(&s);
        let mut source = CancelsAt {
            cancel: s.cancel_handle(),
            cancel_at,
            len,
            at: 0,
        };
        let out = s.import_from(matter, &mut source, "transcript.txt", "Transcript", false);
        assert!(
            matches!(out, Err(CoreError::Cancelled)),
            "{cancel_at}: {out:?}"
        );
        assert_eq!(out.unwrap_err().code(), ErrorCode::VaultLocked);
        if cancel_at < len {
            // Stopped within a few chunks, not at the end of the source.
            assert!(
                source.at < cancel_at + (8 << 20),
                "{cancel_at}: read {}",
                source.at
            );
        }
        let blobs = s.vault().blobs_dir();
        assert_eq!(files_in(&blobs), Vec::<PathBuf>::new(), "{cancel_at}");
        assert_eq!(
            files_in(&blobs.join("tmp")),
            Vec::<PathBuf>::new(),
            "{cancel_at}"
        );
        assert!(s.documents(matter).unwrap().is_empty());
        assert_eq!(actions(&s), before);
        // Every later long operation is refused before it starts, and the
        // lock itself is still recorded.
        let file = write_file(f._dir.path(), "later.txt", b"later");
        assert!(matches!(
            s.import_document(matter, &file, None, false),
            Err(CoreError::Cancelled)
        ));
        assert!(matches!(
            s.doctor(false, true, Duration::ZERO, false),
            Err(CoreError::Cancelled)
        ));
        s.lock().unwrap();
    }
}

/// The user's Cancel during one large import: the watch hears the bytes
/// read as they go, the import stops within a chunk of the request, and
/// nothing of the file is kept (no record, no audit entry, no blob, no
/// temporary file); the session stays usable. Unwatched, the same file
/// imports whole, and the watch hears every byte.
#[test]
fn a_cancelled_large_import_keeps_nothing_and_reports_its_bytes() {
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    let len: u64 = 48 << 20;
    let file = f._dir.path().join("deposition-video.bin");
    std::fs::File::create(&file)
        .and_then(|f| f.set_len(len))
        .unwrap();
    let before = actions(&s);
    let read = std::sync::atomic::AtomicU64::new(0);
    let stop_at = 8 << 20;
    let watch = Watch {
        on_progress: &|p| read.store(p.bytes, std::sync::atomic::Ordering::SeqCst),
        stop: &|| read.load(std::sync::atomic::Ordering::SeqCst) >= stop_at,
    };
    let out = s
        .import_document_watched(matter, &file, None, false, &watch)
        .unwrap();
    assert!(out.is_none(), "stopped: {out:?}");
    let at = read.load(std::sync::atomic::Ordering::SeqCst);
    assert!((stop_at..stop_at + (4 << 20)).contains(&at), "read {at}");
    let blobs = s.vault().blobs_dir();
    assert_eq!(files_in(&blobs), Vec::<PathBuf>::new());
    assert_eq!(files_in(&blobs.join("tmp")), Vec::<PathBuf>::new());
    assert!(s.documents(matter).unwrap().is_empty());
    assert_eq!(actions(&s), before);

    let heard = std::sync::atomic::AtomicU64::new(0);
    let watch = Watch {
        on_progress: &|p| {
            assert_eq!((p.item, p.items, p.total), (1, 1, len));
            assert_eq!(p.name, "deposition-video.bin");
            heard.store(p.bytes, std::sync::atomic::Ordering::SeqCst)
        },
        stop: &|| false,
    };
    let doc = s
        .import_document_watched(matter, &file, None, false, &watch)
        .unwrap()
        .expect("imported");
    assert_eq!(heard.load(std::sync::atomic::Ordering::SeqCst), len);
    assert_eq!(doc.size, len as i64);
    assert_eq!(files_in(&blobs).len(), 1);
}

/// Every file below `dir`, for "nothing else was written" checks.
fn all_files(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut found = std::collections::BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                found.insert(p);
            }
        }
    }
    found
}

/// The user's Cancel during a large export: the watch hears the bytes
/// written of the document's size, the export stops within a chunk, and
/// no file is left at the destination nor anywhere else (the temporary
/// folder holds exactly the files it held before); the log says the
/// export began and was cancelled. The session stays usable: the same
/// export unwatched-to-the-end reaches the total and writes the copy.
#[test]
fn a_cancelled_export_leaves_no_file_and_is_recorded_as_cancelled() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    let len: u64 = 40 << 20;
    // A canary at the start of the content: once the source is gone, no
    // file anywhere may hold it in clear after a cancelled export.
    const CANARY: &[u8] = b"Canary: Wombat-Quillfeather hearing (fictional)";
    let file = f._dir.path().join("Wombat hearing recording.bin");
    std::fs::write(&file, CANARY).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_len(len))
        .unwrap();
    let doc = s.import_document(matter, &file, None, false).unwrap().id;
    std::fs::remove_file(&file).unwrap();
    let out_dir = f._dir.path().join("exports");
    std::fs::create_dir(&out_dir).unwrap();
    let destination = out_dir.join("copy.bin");
    let before = all_files(f._dir.path());
    let audit_before = actions(&s).len();

    let written = AtomicU64::new(0);
    let stop_at = 8 << 20;
    let watch = Watch {
        on_progress: &|p| {
            assert_eq!((p.item, p.items, p.total), (1, 1, len));
            assert_eq!(p.name, "Wombat hearing recording.bin");
            written.store(p.bytes, Ordering::SeqCst)
        },
        stop: &|| written.load(Ordering::SeqCst) >= stop_at,
    };
    let out = s
        .export_document_watched(doc, None, &destination, &watch)
        .unwrap();
    assert_eq!(out, None);
    let at = written.load(Ordering::SeqCst);
    assert!((stop_at..stop_at + (2 << 20)).contains(&at), "wrote {at}");
    assert!(!destination.exists());
    assert_eq!(all_files(&out_dir), Default::default(), "a partial file");
    assert_eq!(
        all_files(f._dir.path()),
        before,
        "a file was left elsewhere"
    );
    let in_clear: Vec<_> = before
        .iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.windows(CANARY.len()).any(|w| w == CANARY)))
        .collect();
    assert!(in_clear.is_empty(), "the content in clear in {in_clear:?}");
    let entries = s.audit_entries().unwrap();
    let new: Vec<_> = entries[audit_before..]
        .iter()
        .map(|e| {
            let details: serde_json::Value = serde_json::from_str(&e.details).unwrap();
            (e.action.as_str(), details.get("error").cloned())
        })
        .collect();
    assert_eq!(
        new,
        [
            ("document_exported", None),
            (
                "document_export_failed",
                Some(serde_json::json!("cancelled"))
            ),
        ]
    );

    let heard = AtomicU64::new(0);
    let watch = Watch {
        on_progress: &|p| heard.store(p.bytes, Ordering::SeqCst),
        stop: &|| false,
    };
    let out = s.export_document_watched(doc, None, &destination, &watch);
    assert_eq!(out.unwrap(), Some(()));
    assert_eq!(heard.load(Ordering::SeqCst), len);
    assert_eq!(std::fs::metadata(&destination).unwrap().len(), len);
    assert_eq!(actions(&s).last().unwrap(), "document_exported");
}

/// The doctor stopped by the user while it decrypts: it reports how many
/// versions it checked of how many, is never "healthy", and says so in
/// the log; run to the end it checks all of them and hears each one's
/// name and bytes.
#[test]
fn a_cancelled_deep_doctor_reports_cancelled_after_k_of_n() {
    use std::sync::Mutex;
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    for (name, size) in [
        ("first.bin", 3u64 << 20),
        ("second.bin", 5 << 20),
        ("third.bin", 1 << 20),
    ] {
        let file = f._dir.path().join(name);
        std::fs::write(&file, vec![name.as_bytes()[0]; size as usize]).unwrap();
        s.import_document(matter, &file, None, false).unwrap();
    }
    let heard: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        // Stopped while the second document is being decrypted.
        stop: &|| {
            heard
                .lock()
                .unwrap()
                .last()
                .is_some_and(|p| p.item == 2 && p.bytes >= 1 << 20)
        },
    };
    let report = s
        .doctor_watched(false, true, Duration::ZERO, false, &watch)
        .unwrap();
    assert_eq!(report.cancelled_after, Some(1), "{report:?}");
    assert_eq!((report.checked, report.recorded), (1, 3));
    assert!(!report.healthy());
    assert!(
        report.damaged.is_empty(),
        "a stop is not damage: {report:?}"
    );
    let entry = s.audit_entries().unwrap().pop().unwrap();
    assert_eq!(entry.action, "doctor_run");
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["cancelled_after"], 1);
    assert_eq!(details["checked"], 1);

    heard.lock().unwrap().clear();
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| false,
    };
    let report = s
        .doctor_watched(false, true, Duration::ZERO, false, &watch)
        .unwrap();
    assert!(report.healthy(), "{report:?}");
    assert_eq!(
        (report.checked, report.recorded, report.cancelled_after),
        (3, 3, None)
    );
    let heard = heard.lock().unwrap();
    let last_of = |item: u64| heard.iter().rfind(|p| p.item == item).unwrap().clone();
    let names: Vec<_> = (1..=3)
        .map(|i| (last_of(i).name, last_of(i).bytes, last_of(i).total))
        .collect();
    assert_eq!(
        names,
        [
            ("first.bin".to_string(), 3 << 20, 3 << 20),
            ("second.bin".to_string(), 5 << 20, 5 << 20),
            ("third.bin".to_string(), 1 << 20, 1 << 20),
        ]
    );
    assert!(heard.iter().all(|p| p.items == 3));
}

/// A court bundle stopped while its second document is laid out: no PDF,
/// no signature, no share; the log says it failed as cancelled.
#[test]
fn a_cancelled_court_bundle_writes_nothing() {
    use std::sync::Mutex;
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    let mut ids = Vec::new();
    for name in ["first-letter.txt", "second-letter.txt", "third-letter.txt"] {
        let file = write_file(
            f._dir.path(),
            name,
            format!("A fictional {name}.").as_bytes(),
        );
        ids.push(s.import_document(matter, &file, None, false).unwrap().id);
    }
    let out = f._dir.path().join("bundle");
    std::fs::create_dir(&out).unwrap();
    let req = crate::bundle::CourtBundleRequest {
        document_ids: ids,
        matter_id: Some(matter),
        recipient: None,
        confirm_unencrypted: true,
    };
    let heard: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| heard.lock().unwrap().len() >= 2,
    };
    let made = s.create_court_bundle_watched(&req, &out, &watch).unwrap();
    assert!(made.is_none());
    assert_eq!(all_files(&out), Default::default());
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard
            .iter()
            .map(|p| (p.item, p.items, p.name.as_str()))
            .collect::<Vec<_>>(),
        [(1, 3, "first-letter.txt"), (2, 3, "second-letter.txt")]
    );
    let entry = s.audit_entries().unwrap().pop().unwrap();
    assert_eq!(entry.action, "share_failed");
    assert!(
        entry.details.contains("\"error\":\"cancelled\""),
        "{}",
        entry.details
    );

    let made = s
        .create_court_bundle_watched(&req, &out, &Watch::NONE)
        .unwrap();
    assert_eq!(made.unwrap().share.documents.len(), 3);
}

/// A searchable PDF of a two-page scan (pages drawn by ImageMagick,
/// recognised by the real Tesseract) stopped after its first page: the
/// watch heard "page 1 of 2" by the document's title, nothing is written,
/// and the log says the export was cancelled.
#[test]
fn a_cancelled_searchable_export_stops_between_pages_and_writes_nothing() {
    use std::sync::Mutex;
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let tiff = src.path().join("wombat-scan.tif");
    let made = std::process::Command::new("convert")
        .args(["-size", "800x300", "xc:white", "-font", "DejaVu-Sans"])
        .args(["-pointsize", "40", "-fill", "black"])
        .args(["-annotate", "+40+150", "Page one of the Wombat scan"])
        .args(["(", "-size", "800x300", "xc:white", "-font", "DejaVu-Sans"])
        .args(["-pointsize", "40", "-fill", "black"])
        .args(["-annotate", "+40+150", "Page two of the Wombat scan", ")"])
        .args([
            "-density",
            "200",
            "-units",
            "PixelsPerInch",
            "-type",
            "Grayscale",
        ])
        .arg(&tiff)
        .status()
        .expect("ImageMagick convert (scripts/setup.sh --test)");
    assert!(made.success());
    let doc = s.import_document(matter, &tiff, None, false).unwrap().id;
    let out = f._dir.path().join("searchable");
    std::fs::create_dir(&out).unwrap();
    let destination = out.join("wombat-scan (searchable).pdf");
    let heard: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| !heard.lock().unwrap().is_empty(),
    };
    let made = s
        .export_searchable_watched(doc, None, &destination, &watch)
        .unwrap();
    assert!(made.is_none());
    assert_eq!(all_files(&out), Default::default());
    let heard = heard.lock().unwrap().clone();
    assert_eq!(
        heard
            .iter()
            .map(|p| (p.item, p.items, p.name.as_str()))
            .collect::<Vec<_>>(),
        [(1, 2, "wombat-scan.tif")]
    );
    let entry = s.audit_entries().unwrap().pop().unwrap();
    assert_eq!(entry.action, "document_export_failed");
    assert!(
        entry.details.contains("\"error\":\"cancelled\""),
        "{}",
        entry.details
    );
}

#[test]
fn a_lock_stops_exports_and_deep_checks_leaving_no_copy() {
    let f = fixture();
    let mut s = create(&f).session;
    let (matter, _) = with_two_matters(&mut s);
    let file = write_file(f._dir.path(), "letter.txt", &vec![b'a'; 3 << 20]);
    let doc = s.import_document(matter, &file, None, false).unwrap().id;
    s.cancel_handle().cancel();
    let destination = f._dir.path().join("exported.txt");
    let out = s.export_document(doc, None, &destination);
    assert!(matches!(out, Err(CoreError::Cancelled)), "{out:?}");
    assert!(!destination.exists());
    assert!(matches!(
        s.doctor(false, true, Duration::ZERO, false),
        Err(CoreError::Cancelled)
    ));
    assert!(matches!(
        s.preview_document(doc, None),
        Err(CoreError::Cancelled)
    ));
    s.lock().unwrap();
    // Nothing was damaged: the next session reads it whole.
    let mut s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    s.export_document(doc, None, &destination).unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), vec![b'a'; 3 << 20]);
    let report = s.doctor(false, true, Duration::ZERO, false).unwrap();
    assert!(report.healthy(), "{report:?}");
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

mod retention_tests {
    use super::*;
    use crate::retention::{Disposal, DisposalKind, PolicyPatch};
    use matterbox_domain::retention::{HoldTarget, PolicyInput, Trigger};

    fn import(
        s: &mut Session,
        matter: i64,
        dir: &Path,
        name: &str,
        bytes: &[u8],
    ) -> matterbox_domain::documents::DocumentSummary {
        s.import_document(matter, &write_file(dir, name, bytes), None, false)
            .unwrap()
    }

    fn policy(
        s: &mut Session,
        name: &str,
        trigger: Trigger,
        years: u32,
        months: u32,
    ) -> matterbox_domain::retention::Policy {
        s.create_retention_policy(&PolicyInput {
            name: name.into(),
            trigger: Some(trigger),
            years,
            months,
            ..Default::default()
        })
        .unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Dates the matter's opening back, so it can close in the past.
    fn opened_long_ago(s: &mut Session, id: i64) {
        s.update_matter(
            id,
            &MatterPatch {
                opened_on: Some(day("2010-01-01")),
                ..Default::default()
            },
        )
        .unwrap();
    }

    fn due_ids(s: &Session, today: &str) -> Vec<(DisposalKind, i64)> {
        s.retention_due(day(today))
            .unwrap()
            .into_iter()
            .map(|d| (d.kind, d.id))
            .collect()
    }

    #[test]
    fn a_closed_matter_is_due_after_its_period_unless_held_or_reopened() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        let seven = policy(
            &mut s,
            "Litigation \u{2014} 7 years after closing",
            Trigger::MatterClosed,
            7,
            0,
        );
        s.set_matter_policy(estate, Some(seven.id)).unwrap();
        opened_long_ago(&mut s, estate);
        s.close_matter(estate, Some(day("2019-01-10"))).unwrap();
        assert!(due_ids(&s, "2026-01-09").is_empty());
        assert_eq!(
            due_ids(&s, "2026-01-10"),
            vec![(DisposalKind::Matter, estate)]
        );
        // Months later (the laptop was off): still due, once.
        assert_eq!(due_ids(&s, "2027-06-01").len(), 1);

        let client = s.matter(estate).unwrap().summary.client_id;
        let hold = s
            .place_hold(
                HoldTarget::Client,
                client,
                "Litigation threatened",
                day("2026-01-05"),
            )
            .unwrap();
        // The hold names what it holds for people, never by id alone.
        let name = s.client(client).unwrap().name;
        assert_eq!(hold.subject, format!("client {name}"));
        assert_eq!(s.holds().unwrap()[0].subject, hold.subject);
        assert!(
            due_ids(&s, "2026-02-01").is_empty(),
            "a client hold covers its matters"
        );
        s.release_hold(hold.id).unwrap();
        assert_eq!(due_ids(&s, "2026-02-01").len(), 1);

        // A policy change recomputes at once.
        s.update_retention_policy(
            seven.id,
            &PolicyInput {
                name: seven.name.clone(),
                trigger: Some(Trigger::MatterClosed),
                years: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(due_ids(&s, "2026-02-01").is_empty());
        assert_eq!(due_ids(&s, "2029-01-10").len(), 1);

        // Reopening suspends the clock; closing again restarts it.
        s.reopen_matter(estate).unwrap();
        assert!(due_ids(&s, "2040-01-01").is_empty());
        s.close_matter(estate, Some(day("2026-03-01"))).unwrap();
        assert!(due_ids(&s, "2036-02-29").is_empty());
        assert_eq!(due_ids(&s, "2036-03-01").len(), 1);

        // Deferred: not due until the new date, which must be ahead.
        let estate_item = Disposal {
            kind: DisposalKind::Matter,
            id: estate,
        };
        let past = s
            .defer_disposal(&estate_item, day("2036-05-31"), day("2036-06-01"))
            .unwrap_err();
        assert_eq!(past.code(), ErrorCode::Validation, "{past}");
        s.defer_disposal(&estate_item, day("2037-01-01"), day("2036-06-01"))
            .unwrap();
        assert!(due_ids(&s, "2036-06-01").is_empty());
        assert_eq!(due_ids(&s, "2037-01-01").len(), 1);
        let log = actions(&s);
        for a in [
            "retention_policy_created",
            "retention_policy_changed",
            "hold_placed",
            "hold_released",
            "disposal_deferred",
        ] {
            assert!(log.iter().any(|x| x == a), "{a}");
        }
    }

    /// A scan recognised by the real Tesseract (a page rendered by
    /// ImageMagick, which `scripts/setup.sh --test` installs) and then
    /// destroyed by retention leaves no OCR page, no job and no recognised
    /// word in the search index.
    #[test]
    fn destroying_a_recognised_scan_removes_its_ocr_rows_and_words() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let png = src.path().join("scan.png");
        let made = std::process::Command::new("convert")
            .args(["-size", "1200x400", "xc:white", "-font", "DejaVu-Sans"])
            .args(["-pointsize", "48", "-fill", "black"])
            .args(["-annotate", "+60+200", "Codicil of the Wombat estate"])
            .args([
                "-density",
                "200",
                "-units",
                "PixelsPerInch",
                "-type",
                "Grayscale",
            ])
            .arg(&png)
            .status()
            .expect("ImageMagick convert (scripts/setup.sh --test)");
        assert!(made.success());
        let doc = s.import_document(estate, &png, None, false).unwrap();
        assert_eq!(
            s.ocr_job(doc.id).unwrap().unwrap().status,
            crate::ocr::OcrState::Queued
        );
        let mut recogniser = crate::ocr::Recogniser::default();
        // A lock while the page is read: the page is dropped unrecorded,
        // and read again by the next run (the attempt was counted).
        let task = s.ocr_next_page().unwrap().unwrap();
        assert!(recogniser.recognise(task, &|| true).is_none());
        let job = s.ocr_job(doc.id).unwrap().unwrap();
        assert_eq!(
            (job.status, job.pages_done, job.attempts),
            (crate::ocr::OcrState::Running, 0, 1)
        );
        let report = s
            .ocr_run(
                std::slice::from_mut(&mut recogniser),
                None,
                &|| false,
                &|_, _| {},
            )
            .unwrap();
        assert_eq!((report.pages, report.done), (1, 1), "{report:?}");
        let job = s.ocr_job(doc.id).unwrap().unwrap();
        assert_eq!((job.pages_done, job.attempts), (1, 2));
        let page_attempts: i64 = s
            .conn
            .query_row("SELECT attempts FROM ocr_pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(page_attempts, 2);
        assert_eq!(search_ids(&mut s, "wombat", all()), [doc.id]);
        // The viewer's find reads the recognised text, page by page; the
        // reading is audited as a view, without the text.
        let pages = s.recognised_text(doc.id).unwrap();
        assert_eq!(pages.len(), 1, "{pages:?}");
        assert_eq!(pages[0].page, 1);
        assert!(pages[0].text.contains("Wombat"), "{:?}", pages[0].text);
        assert!(!format!("{pages:?}").contains("Wombat"));
        let entries = s.audit_entries().unwrap();
        let viewed = &entries.last().unwrap();
        assert_eq!(
            (viewed.action.as_str(), viewed.object.clone()),
            ("document_viewed", format!("document:{}", doc.id))
        );
        let viewed = &viewed.details;
        assert!(
            viewed.contains("recognised_text") && !viewed.contains("Wombat"),
            "{viewed}"
        );
        assert!(s.recognised_text(doc.id + 1000).is_err());

        // A page past the time limit is recorded failed with that reason
        // (its thread, given up on, finishes alone; the next page waits for
        // it). A retry then reads it.
        s.ocr_document(doc.id, crate::ocr::OcrMode::Redo).unwrap();
        let mut hasty = crate::ocr::Recogniser::new(Duration::ZERO);
        let report = s
            .ocr_run(
                std::slice::from_mut(&mut hasty),
                None,
                &|| false,
                &|_, _| {},
            )
            .unwrap();
        assert_eq!(report.failed, 1, "{report:?}");
        let job = s.ocr_job(doc.id).unwrap().unwrap();
        assert_eq!(job.status, crate::ocr::OcrState::Failed);
        assert_eq!(
            job.reason.as_deref(),
            Some("page 1: recognition took longer than 0 seconds")
        );
        s.ocr_document(doc.id, crate::ocr::OcrMode::Redo).unwrap();
        let report = s
            .ocr_run(
                std::slice::from_mut(&mut recogniser),
                None,
                &|| false,
                &|_, _| {},
            )
            .unwrap();
        assert_eq!(report.done, 1, "{report:?}");

        let p = policy(&mut s, "Estates", Trigger::MatterClosed, 1, 0);
        s.set_matter_policy(estate, Some(p.id)).unwrap();
        opened_long_ago(&mut s, estate);
        s.close_matter(estate, Some(day("2020-01-31"))).unwrap();
        let item = Disposal {
            kind: DisposalKind::Matter,
            id: estate,
        };
        // The search accelerator, built by the searches above, holds the
        // word: its generation goes with the destruction (key, then files).
        let index_root = f.vault_dir.join(crate::search_index::FOLDER);
        let generations = || -> Vec<std::ffi::OsString> {
            std::fs::read_dir(&index_root)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect()
        };
        let before = generations();
        assert_eq!(before.len(), 1, "{before:?}");
        s.destroy_approved(&[item], &pass("first passphrase"), day("2021-03-01"))
            .unwrap();
        assert!(generations().is_empty(), "the index's folder is wiped");
        let keys: i64 = s
            .conn
            .query_row("SELECT count(*) FROM search_index_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 0, "and its key deleted");
        let left: i64 = s
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM ocr_pages) + (SELECT count(*) FROM ocr_jobs)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "OCR rows left after destruction");
        assert!(search_ids(&mut s, "wombat", all()).is_empty());
        let after = generations();
        assert_eq!(after.len(), 1, "a new generation: {after:?}");
        assert_ne!(after, before);
        let in_index: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM document_search_data WHERE instr(block, 'wombat') > 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(in_index, 0, "a recognised word left in the index");
    }

    /// The nice value of this process's recognition threads
    /// (`matterbox-ocr`) running now, from `/proc`.
    fn recognition_nice() -> Option<i32> {
        for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() != crate::ocr::THREAD_NAME {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            // Fields after the command's closing parenthesis: state is
            // field 3, nice field 19.
            let rest = &stat[stat.rfind(')')? + 2..];
            return rest.split(' ').nth(16)?.parse().ok();
        }
        None
    }

    /// Two workers take two different scans, recognise them at the same
    /// time at a lower priority, and both are recorded; the worker count
    /// follows the setting.
    #[test]
    fn two_workers_take_different_scans_at_low_priority() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        assert_eq!(s.settings().unwrap().ocr_workers, 0, "automatic by default");
        assert_eq!(
            s.ocr_worker_count().unwrap(),
            crate::ocr::automatic_workers()
        );
        s.update_settings(&SettingsPatch {
            ocr_workers: Some(2),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.ocr_worker_count().unwrap(), 2);
        assert!(matches!(
            s.update_settings(&SettingsPatch {
                ocr_workers: Some(9),
                ..Default::default()
            }),
            Err(CoreError::Domain(_))
        ));
        assert_eq!(
            s.ocr_worker_count().unwrap(),
            2,
            "a refused value changes nothing"
        );

        let src = tempfile::tempdir().unwrap();
        let mut docs = Vec::new();
        for word in ["Platypus", "Echidna"] {
            let png = src.path().join(format!("{word}.png"));
            let made = std::process::Command::new("convert")
                .args(["-size", "1200x400", "xc:white", "-font", "DejaVu-Sans"])
                .args(["-pointsize", "48", "-fill", "black"])
                .args([
                    "-annotate",
                    "+60+200",
                    &format!("Affidavit of the {word} trust"),
                ])
                .args(["-density", "200", "-units", "PixelsPerInch"])
                .args(["-type", "Grayscale"])
                .arg(&png)
                .status()
                .expect("ImageMagick convert (scripts/setup.sh --test)");
            assert!(made.success());
            docs.push(s.import_document(estate, &png, None, false).unwrap().id);
        }
        let first = s.ocr_next_page_passing_over(&[]).unwrap().unwrap();
        let second = s
            .ocr_next_page_passing_over(&[first.version_id])
            .unwrap()
            .unwrap();
        assert_ne!(first.document_id, second.document_id);
        assert!(
            s.ocr_next_page_passing_over(&[first.version_id, second.version_id])
                .unwrap()
                .is_none(),
            "a third worker finds nothing free"
        );
        let seen = std::sync::Mutex::new(Vec::new());
        let (a, b) = std::thread::scope(|scope| {
            let other =
                scope.spawn(|| crate::ocr::Recogniser::default().recognise(second, &|| false));
            let mine = crate::ocr::Recogniser::default().recognise(first, &|| {
                if let Some(n) = recognition_nice() {
                    seen.lock().unwrap().push(n);
                }
                false
            });
            (mine, other.join().unwrap())
        });
        let seen = seen.into_inner().unwrap();
        assert!(!seen.is_empty(), "no recognition thread was seen running");
        assert!(
            seen.iter().all(|&n| n == crate::ocr::RECOGNITION_NICE),
            "recognition ran at nice {seen:?}"
        );
        s.ocr_commit(a.unwrap()).unwrap();
        s.ocr_commit(b.unwrap()).unwrap();
        for (id, word) in docs.iter().zip(["platypus", "echidna"]) {
            assert_eq!(
                s.ocr_job(*id).unwrap().unwrap().status,
                crate::ocr::OcrState::Done
            );
            assert_eq!(search_ids(&mut s, word, all()), vec![*id], "{word}");
        }
    }

    #[test]
    fn destruction_needs_the_passphrase_and_leaves_a_register_and_certificate() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, lease) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let d1 = import(
            &mut s,
            estate,
            src.path(),
            "will.txt",
            b"the will of a fictional testator",
        );
        let d2 = import(&mut s, estate, src.path(), "deed.txt", b"a fictional deed");
        let keep = import(&mut s, lease, src.path(), "lease.txt", b"a fictional lease");
        let p = policy(
            &mut s,
            "Estates \u{2014} 1 year",
            Trigger::MatterClosed,
            1,
            0,
        );
        s.set_matter_policy(estate, Some(p.id)).unwrap();
        opened_long_ago(&mut s, estate);
        s.close_matter(estate, Some(day("2020-02-29"))).unwrap();
        let item = Disposal {
            kind: DisposalKind::Matter,
            id: estate,
        };
        let today = day("2021-02-28");

        // Not due yet, held, or a wrong passphrase: nothing is destroyed.
        assert_eq!(
            s.destroy_approved(
                std::slice::from_ref(&item),
                &pass("first passphrase"),
                day("2021-02-27")
            )
            .unwrap_err()
            .code(),
            ErrorCode::Conflict
        );
        assert_eq!(
            s.destroy_approved(
                std::slice::from_ref(&item),
                &pass("not the passphrase"),
                today
            )
            .unwrap_err()
            .code(),
            ErrorCode::WrongSecret
        );
        let h = s
            .place_hold(HoldTarget::Document, d2.id, "Subpoena", today)
            .unwrap();
        assert_eq!(
            s.destroy_approved(
                std::slice::from_ref(&item),
                &pass("first passphrase"),
                today
            )
            .unwrap_err()
            .code(),
            ErrorCode::RetentionHold,
            "a hold on one document holds its matter"
        );
        s.release_hold(h.id).unwrap();
        assert_eq!(s.documents(estate).unwrap().len(), 2);

        let blobs_before = std::fs::read_dir(s.vault.blobs_dir())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count();
        let report = s
            .destroy_approved(&[item], &pass("first passphrase"), today)
            .unwrap();
        assert_eq!(
            (report.documents, report.matters, report.clients),
            (2, 1, 0),
            "the client keeps its other matter"
        );
        assert_eq!(s.matter(estate).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(s.document(d1.id).unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(s.document(keep.id).unwrap().title, "lease.txt");
        let blobs_after = std::fs::read_dir(s.vault.blobs_dir())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_file())
            .count();
        assert_eq!(blobs_before - blobs_after, 2);
        assert!(
            s.search("testator", &Default::default())
                .unwrap()
                .hits
                .is_empty()
        );
        let report_doctor = s.doctor(false, true, Duration::ZERO, false).unwrap();
        assert!(report_doctor.healthy(), "{report_doctor:?}");

        let register = s.destruction_register().unwrap();
        assert_eq!(register.len(), 3);
        let will = register
            .iter()
            .find(|e| e.title.as_deref() == Some("will.txt"))
            .unwrap();
        assert_eq!(will.content_sha256.as_deref(), Some(d1.sha256.as_str()));
        assert_eq!(will.closed_on.as_deref(), Some("2020-02-29"));
        assert_eq!(will.policy, "Estates \u{2014} 1 year");
        assert_eq!(will.approved_by, "test:ada");
        // The register is permanent.
        assert!(
            s.conn
                .execute("DELETE FROM destruction_register", [])
                .is_err()
        );
        assert!(
            s.conn
                .execute("UPDATE destruction_register SET title = 'x'", [])
                .is_err()
        );
        let html = s.destruction_certificate(&report.certificate).unwrap();
        assert!(
            html.contains(&report.certificate)
                && html.contains("will.txt")
                && html.contains(&d1.sha256)
        );
        let log = actions(&s);
        assert_eq!(log.iter().filter(|a| *a == "document_destroyed").count(), 2);
        assert!(log.iter().any(|a| a == "matter_destroyed"));
        assert!(log.iter().any(|a| a == "certificate_exported"));
        assert!(
            matches!(
                s.verify_audit().unwrap(),
                matterbox_audit::Verification::Intact { .. }
            ),
            "the audit chain still verifies"
        );

        // Its last matter gone, the client goes too.
        let p2 = policy(&mut s, "Short", Trigger::MatterClosed, 0, 1);
        s.set_matter_policy(lease, Some(p2.id)).unwrap();
        opened_long_ago(&mut s, lease);
        s.close_matter(lease, Some(day("2021-01-01"))).unwrap();
        let r = s
            .destroy_approved(
                &[Disposal {
                    kind: DisposalKind::Matter,
                    id: lease,
                }],
                &pass("first passphrase"),
                today,
            )
            .unwrap();
        assert_eq!(r.clients, 1);
        assert!(s.clients(None).unwrap().is_empty());
    }

    #[test]
    fn documents_under_a_date_added_policy_are_due_one_by_one() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let d = import(&mut s, estate, src.path(), "note.txt", b"a fictional note");
        let p = policy(&mut s, "Notes", Trigger::DateAdded, 2, 0);
        let area = "Estates";
        s.update_matter(
            estate,
            &MatterPatch {
                practice_area: Some(area.into()),
                ..Default::default()
            },
        )
        .unwrap();
        s.set_practice_area_policy(area, Some(p.id)).unwrap();
        let added = day(&d.created_at[..10]);
        let due = matterbox_domain::retention::add_period(added, 2, 0);
        assert!(due_ids(&s, &due.pred_opt().unwrap().to_string()).is_empty());
        assert_eq!(
            due_ids(&s, &due.to_string()),
            vec![(DisposalKind::Document, d.id)]
        );
    }

    #[test]
    fn the_sweep_destroys_only_under_policies_that_say_so() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, lease) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let gone = import(&mut s, lease, src.path(), "gone.txt", b"fictional");
        let kept = import(&mut s, estate, src.path(), "kept.txt", b"fictional too");
        let blob = |s: &Session, id: i64| {
            let b = matterbox_domain::documents::version_key(&s.conn, id, None)
                .unwrap()
                .blob_id;
            f.vault_dir.join("blobs").join(b)
        };
        let (gone_blob, kept_blob) = (blob(&s, gone.id), blob(&s, kept.id));
        let careful = policy(&mut s, "Careful", Trigger::MatterClosed, 1, 0);
        let automatic = s
            .create_retention_policy(&PolicyInput {
                name: "Automatic".into(),
                trigger: Some(Trigger::MatterClosed),
                years: 1,
                danger_destroy_without_approval: true,
                ..Default::default()
            })
            .unwrap();
        for (m, p) in [(estate, careful.id), (lease, automatic.id)] {
            s.set_matter_policy(m, Some(p)).unwrap();
            opened_long_ago(&mut s, m);
            s.close_matter(m, Some(day("2020-01-01"))).unwrap();
        }
        // Nothing due yet: the sweep destroys nothing and nothing waits.
        let early = s.retention_sweep(day("2020-12-31")).unwrap();
        assert_eq!(early, crate::retention::SweepReport::default());
        let report = s.retention_sweep(day("2026-01-01")).unwrap();
        assert_eq!(
            (report.destroyed.matters, report.destroyed.documents),
            (1, 1)
        );
        assert_eq!(report.resumed, 0, "nothing was left from before");
        assert!(!gone_blob.exists() && kept_blob.exists());
        assert_eq!(s.matter(lease).unwrap_err().code(), ErrorCode::NotFound);
        let waiting: Vec<_> = report
            .awaiting_approval
            .iter()
            .map(|d| (d.kind, d.id))
            .collect();
        assert_eq!(
            waiting,
            vec![(DisposalKind::Matter, estate)],
            "the careful one waits for approval"
        );
        assert_eq!(due_ids(&s, "2026-01-01"), waiting);
        assert!(s.matter(estate).is_ok() && s.document(kept.id).is_ok());
        // Run again: nothing more is destroyed, the careful one still waits.
        let again = s.retention_sweep(day("2026-01-02")).unwrap();
        assert_eq!(again.destroyed, Default::default());
        assert_eq!(again.awaiting_approval.len(), 1);
        let register = s.destruction_register().unwrap();
        assert!(register[0].approved_by.contains("scheduler"));
        // A permanent policy may not destroy without approval.
        let bad = PolicyInput {
            name: "Bad".into(),
            trigger: Some(Trigger::Permanent),
            danger_destroy_without_approval: true,
            ..Default::default()
        };
        assert_eq!(
            s.create_retention_policy(&bad).unwrap_err().code(),
            ErrorCode::Validation
        );
    }

    #[test]
    fn the_sweep_finishes_a_destruction_cut_short() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let d = import(&mut s, estate, src.path(), "gone.txt", b"fictional");
        let blob = matterbox_domain::documents::version_key(&s.conn, d.id, None)
            .unwrap()
            .blob_id;
        s.conn
            .execute(
                "INSERT INTO destruction_jobs (blob_id) VALUES (?1)",
                [&blob],
            )
            .unwrap();
        let report = s.retention_sweep(day("2026-01-01")).unwrap();
        assert_eq!(report.resumed, 1);
        assert_eq!(report.destroyed, Default::default());
        assert!(!f.vault_dir.join("blobs").join(&blob).exists());
    }

    #[test]
    fn a_policy_patch_changes_only_what_it_gives() {
        let f = fixture();
        let mut s = create(&f).session;
        let p = s
            .create_retention_policy(&PolicyInput {
                name: "Litigation".into(),
                trigger: Some(Trigger::MatterClosed),
                years: 7,
                months: 6,
                danger_destroy_without_approval: true,
            })
            .unwrap();
        let renamed = s
            .edit_retention_policy(
                p.id,
                &PolicyPatch {
                    name: Some("Litigation, 7.5 years".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            (renamed.trigger, renamed.years, renamed.months),
            (Trigger::MatterClosed, 7, 6)
        );
        assert!(renamed.danger_destroy_without_approval);
        // A permanent policy never destroys: refused while the flag is on.
        let permanent = PolicyPatch {
            trigger: Some(Trigger::Permanent),
            ..Default::default()
        };
        let refused = s.edit_retention_policy(p.id, &permanent).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::Validation, "{refused}");
        assert_eq!(s.retention_policies().unwrap()[0], renamed, "unchanged");
        // Made permanent, the policy drops its period.
        let made = s
            .edit_retention_policy(
                p.id,
                &PolicyPatch {
                    danger_destroy_without_approval: Some(false),
                    ..permanent.clone()
                },
            )
            .unwrap();
        assert_eq!(
            (made.trigger, made.years, made.months),
            (Trigger::Permanent, 0, 0)
        );
        // Unless it is given one, which a permanent policy cannot have.
        let with_period = PolicyPatch {
            years: Some(3),
            ..Default::default()
        };
        assert_eq!(
            s.edit_retention_policy(p.id, &with_period)
                .unwrap_err()
                .code(),
            ErrorCode::Validation
        );
        let missing = s.edit_retention_policy(999, &with_period).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound, "{missing}");
        let log = actions(&s);
        assert_eq!(
            log.iter()
                .filter(|a| *a == "retention_policy_changed")
                .count(),
            2,
            "only the changes that were made are recorded"
        );
    }

    #[test]
    fn a_destruction_cut_short_finishes_at_the_next_unlock() {
        let f = fixture();
        let mut s = create(&f).session;
        let (estate, _) = with_two_matters(&mut s);
        let src = tempfile::tempdir().unwrap();
        let d = import(&mut s, estate, src.path(), "gone.txt", b"fictional");
        let blob = matterbox_domain::documents::version_key(&s.conn, d.id, None)
            .unwrap()
            .blob_id;
        // The records went (as in the destroying transaction) and then the
        // process died before the blobs were removed.
        s.conn
            .execute(
                "INSERT INTO destruction_jobs (blob_id) VALUES (?1)",
                [&blob],
            )
            .unwrap();
        drop(s);
        assert!(f.vault_dir.join("blobs").join(&blob).exists());
        let s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
        assert!(!f.vault_dir.join("blobs").join(&blob).exists());
        let left: i64 = s
            .conn
            .query_row("SELECT count(*) FROM destruction_jobs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}

mod conflicts_tests;
mod faults;
mod requests_tests;
mod returns_tests;
mod search_index_tests;

mod inbox_tests {
    use super::*;
    use crate::inbox::{InboxPass, InboxRunner, InboxSettings, Rule};
    use std::time::Instant;

    /// A vault with two matters and an inbox folder; returns the session,
    /// the inbox folder and the first matter's id and number.
    fn with_inbox(f: &Fixture, max_bytes: u64) -> (Session, tempfile::TempDir, i64, String) {
        let mut s = create(f).session;
        let (estate, _) = with_two_matters(&mut s);
        let number = s.matter(estate).unwrap().summary.number;
        let inbox = tempfile::tempdir().unwrap();
        s.set_inbox_settings(
            &InboxSettings {
                folder: Some(inbox.path().display().to_string()),
                max_bytes,
                ..Default::default()
            },
            false,
        )
        .unwrap();
        (s, inbox, estate, number)
    }

    /// Two passes a quiet period apart (the clock is passed in).
    fn take(s: &mut Session) -> Result<InboxPass> {
        let mut runner = InboxRunner::new(s)?.unwrap();
        let t0 = Instant::now();
        let mut out = runner.pass(s, t0)?;
        let later = runner.pass(s, t0 + Duration::from_secs(5))?;
        out.ingested.extend(later.ingested);
        out.quarantined.extend(later.quarantined);
        Ok(out)
    }

    #[test]
    fn suggestions_say_why_put_open_matters_first_and_ignore_numbers_and_scan_words() {
        let f = fixture();
        let (mut s, inbox, estate, _) = with_inbox(&f, 1 << 20);
        let lease = s
            .matters(&MatterFilter::default())
            .unwrap()
            .into_iter()
            .find(|m| m.title == "Vantwood lease")
            .unwrap()
            .id;
        s.close_matter(lease, None).unwrap();
        for name in [
            "2026-0999_notes.txt",
            "scan_0001.txt",
            "vantwood-letter.txt",
        ] {
            write_file(inbox.path(), name, b"A fictional page.\n");
        }
        take(&mut s).unwrap();
        let items = s.unfiled().unwrap();
        let id = |n: &str| {
            items
                .iter()
                .find(|i| i.item.original_name == n)
                .unwrap()
                .item
                .id
        };
        // A number that is no matter's, and words every scan carries, are
        // no reason to suggest anything.
        assert!(
            s.unfiled_suggestions(id("2026-0999_notes.txt"))
                .unwrap()
                .is_empty()
        );
        assert!(
            s.unfiled_suggestions(id("scan_0001.txt"))
                .unwrap()
                .is_empty()
        );
        let named = s.unfiled_suggestions(id("vantwood-letter.txt")).unwrap();
        assert_eq!(named.len(), 2, "{named:?}");
        assert_eq!(named[0].matter.id, estate, "the open matter comes first");
        assert_eq!(named[1].matter.status, MatterStatus::Closed);
        assert!(
            named.iter().all(|m| m.reason.contains("vantwood")),
            "{named:?}"
        );
    }

    #[test]
    fn settings_and_rules_change_by_typed_patches_and_an_empty_patch_records_nothing() {
        use crate::inbox::InboxSettingsPatch;
        let f = fixture();
        let (mut s, _inbox, _, number) = with_inbox(&f, 1 << 20);
        let entries = |s: &Session| s.audit_entries().unwrap().len();
        let before = s.inbox_settings().unwrap();
        let count = entries(&s);
        assert_eq!(
            s.update_inbox_settings(&InboxSettingsPatch::default(), false)
                .unwrap(),
            before
        );
        assert_eq!(entries(&s), count, "an empty patch is not a change");
        let after = s
            .update_inbox_settings(
                &InboxSettingsPatch {
                    poll: Some(true),
                    quiet_ms: Some(900),
                    ..Default::default()
                },
                false,
            )
            .unwrap();
        assert_eq!((after.poll, after.quiet_ms), (true, 900));
        assert_eq!(
            (after.folder, after.max_bytes),
            (before.folder, before.max_bytes)
        );
        assert_eq!(s.inbox_settings().unwrap().quiet_ms, 900);
        // The same checks as a whole settings write: a bad value changes nothing.
        let refused = s.update_inbox_settings(
            &InboxSettingsPatch {
                quiet_ms: Some(1),
                ..Default::default()
            },
            false,
        );
        assert_eq!(refused.unwrap_err().code(), ErrorCode::Validation);
        assert_eq!(s.inbox_settings().unwrap().quiet_ms, 900);

        let rule = |pattern: &str| Rule {
            pattern: pattern.into(),
            regex: false,
            matter: Some(number.clone()),
            tags: vec![],
        };
        s.add_inbox_rule(rule("*.invoice.pdf")).unwrap();
        let two = s.add_inbox_rule(rule("scan-*")).unwrap();
        assert_eq!(two.rules.len(), 2);
        let missing = s.remove_inbox_rule(3).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound);
        assert_eq!(
            s.remove_inbox_rule(0).unwrap_err().code(),
            ErrorCode::NotFound
        );
        let one = s.remove_inbox_rule(1).unwrap();
        assert_eq!(one.rules, vec![rule("scan-*")]);
    }

    #[test]
    fn the_driver_takes_a_settled_file_after_the_watcher_sees_it() {
        let f = fixture();
        let (mut s, inbox, estate, number) = with_inbox(&f, 1 << 20);
        s.update_inbox_settings(
            &crate::inbox::InboxSettingsPatch {
                quiet_ms: Some(200),
                ..Default::default()
            },
            false,
        )
        .unwrap();
        let mut driver = crate::inbox::InboxDriver::start(&s).unwrap().unwrap();
        assert_eq!(driver.folder(), inbox.path());
        assert!(driver.due(false), "the first pass is due at once");
        assert!(driver.pass(&mut s).unwrap().ingested.is_empty());
        write_file(
            inbox.path(),
            &format!("{number} letter.txt"),
            b"fictional letter",
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut taken = Vec::new();
        while taken.is_empty() && Instant::now() < deadline {
            driver.wait();
            if driver.due(false) {
                taken = driver.pass(&mut s).unwrap().ingested;
            }
        }
        assert_eq!(taken.len(), 1, "the file was not taken within 30 s");
        assert_eq!(s.documents(estate).unwrap().len(), 1);
    }

    #[test]
    fn a_failure_after_the_commit_of_an_ingest_keeps_the_document_and_its_original_until_then() {
        let f = fixture();
        let (mut s, inbox, estate, number) = with_inbox(&f, 1 << 20);
        let body = b"Scanned: Quill lease, fictional".repeat(50);
        let dropped = write_file(inbox.path(), &format!("{number} scan.txt"), &body);
        // The anchor cannot be replaced during the pass (a folder in its
        // place), so every write fails *after* its commit.
        let anchor = f.vault_dir.join("audit-anchor.json");
        let kept = std::fs::read(&anchor).unwrap();
        std::fs::remove_file(&anchor).unwrap();
        std::fs::create_dir(&anchor).unwrap();
        std::fs::write(anchor.join("x"), b"x").unwrap();

        let mut runner = InboxRunner::new(&s).unwrap().unwrap();
        let t0 = Instant::now();
        let mut taken = runner.pass(&mut s, t0).unwrap();
        // While the file waits for its quiet period, or is claimed but not
        // yet recorded, the original is still there.
        if taken.ingested.is_empty() {
            assert!(s.documents(estate).unwrap().is_empty());
            assert!(
                files_named(inbox.path(), "scan.txt") == 1,
                "the original went before its document existed"
            );
            taken = runner.pass(&mut s, t0 + Duration::from_secs(5)).unwrap();
        }
        assert_eq!(taken.ingested.len(), 1, "{taken:?}");
        assert!(taken.quarantined.is_empty(), "{taken:?}");
        let warnings = s.take_warnings();
        assert!(
            warnings.iter().any(|w| w.contains("saved")),
            "the failure after the commit is a warning: {warnings:?}"
        );
        // The document is recorded and its encrypted file is there...
        let docs = s.documents(estate).unwrap();
        assert_eq!(docs.len(), 1);
        let out = tempfile::tempdir().unwrap();
        let exported = out.path().join("scan.txt");
        s.export_document(docs[0].id, None, &exported).unwrap();
        assert_eq!(std::fs::read(&exported).unwrap(), body);
        let r = s.doctor(false, true, Duration::ZERO, false).unwrap();
        // Every document is there and intact; the audit log is reported as
        // `audit verify` reports it: its record beside the database is missing.
        assert!(
            r.missing.is_empty()
                && r.damaged.is_empty()
                && r.orphans.is_empty()
                && r.temporary == 0,
            "{r:?}"
        );
        assert!(
            matches!(&r.audit, Some(crate::Verification::Broken { reason, .. }) if reason.contains("missing")),
            "{r:?}"
        );
        // ...so the original (and its claim) is gone, and never earlier.
        assert!(!dropped.exists());
        assert_eq!(files_named(inbox.path(), "scan.txt"), 0);
        // A later pass takes nothing twice.
        let again = runner.pass(&mut s, t0 + Duration::from_secs(10)).unwrap();
        assert!(again.ingested.is_empty(), "{again:?}");
        assert_eq!(s.documents(estate).unwrap().len(), 1);

        // Once the anchor can be written again, the log verifies.
        std::fs::remove_dir_all(&anchor).unwrap();
        std::fs::write(&anchor, kept).unwrap();
        s.create_client(&ClientInput {
            name: "Orrin Fictive".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(matches!(
            s.verify_audit().unwrap(),
            Verification::Intact { .. }
        ));
    }

    /// How many files below `dir` (claims included) end with `suffix`.
    fn files_named(dir: &Path, suffix: &str) -> usize {
        let mut n = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.to_string_lossy().ends_with(suffix) {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn a_file_name_with_control_characters_is_taken_under_a_clean_name() {
        let f = fixture();
        let (mut s, inbox, estate, number) = with_inbox(&f, 1 << 20);
        write_file(
            inbox.path(),
            &format!("{number} a\u{1b}[31mred.txt"),
            b"fictional",
        );
        // Before: "The document title contains control characters", on
        // every pass, with the file stuck in its claim.
        let pass = take(&mut s).unwrap();
        assert_eq!(pass.ingested.len(), 1, "{pass:?}");
        let docs = s.documents(estate).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].title, format!("{number} a\u{fffd}[31mred.txt"));
        assert!(inbox.path().read_dir().unwrap().all(|e| {
            let name = e.unwrap().file_name();
            name == ".matterbox" || name == "quarantine"
        }));
    }

    #[test]
    fn an_oversized_file_is_quarantined_with_sizes_that_make_sense() {
        let f = fixture();
        let (mut s, inbox, _, _) = with_inbox(&f, 1 << 20);
        // 1.9 MiB: the old message said "1 MiB, over the inbox's limit of 1 MiB".
        write_file(inbox.path(), "big.txt", &vec![b'x'; 1_992_295]);
        let pass = take(&mut s).unwrap();
        assert_eq!(pass.quarantined.len(), 1, "{pass:?}");
        assert_eq!(
            pass.quarantined[0].1,
            "The file is 1.9 MiB, over the limit of 1 MiB set for this inbox."
        );
    }

    #[test]
    fn rules_that_cannot_work_are_refused_when_saved() {
        let f = fixture();
        let (mut s, _inbox, _, number) = with_inbox(&f, 1 << 20);
        let before = s.inbox_settings().unwrap();
        let with_rule = |pattern: &str, matter: Option<&str>, tags: &[&str]| InboxSettings {
            rules: vec![Rule {
                pattern: pattern.into(),
                regex: false,
                matter: matter.map(str::to_string),
                tags: tags.iter().map(|t| t.to_string()).collect(),
            }],
            ..before.clone()
        };
        let refused = |s: &mut Session, settings: InboxSettings, expect: &str| {
            let e = s.set_inbox_settings(&settings, false).unwrap_err();
            assert_eq!(e.code(), ErrorCode::Validation, "{e}");
            assert!(e.to_string().contains(expect), "{e}");
        };
        refused(
            &mut s,
            with_rule("*invoice*", Some("1999-0001"), &[]),
            "matter 1999-0001, which does not exist",
        );
        refused(&mut s, with_rule("", Some(&number), &[]), "it is empty");
        refused(
            &mut s,
            with_rule("*.pdf", None, &[]),
            "neither a matter nor tags",
        );
        refused(
            &mut s,
            with_rule("*.pdf", None, &["\u{200b}"]),
            "only invisible",
        );
        assert_eq!(s.inbox_settings().unwrap(), before, "nothing was saved");
        let saved = s
            .set_inbox_settings(&with_rule("*invoice*", Some(&number), &["invoice"]), false)
            .unwrap();
        assert_eq!(saved.rules.len(), 1);
    }

    #[test]
    fn matter_numbers_never_take_the_inbox_folders_or_outgrow_file_name_routing() {
        use matterbox_inbox::folder::{QUARANTINE_DIR, STATE_DIR};
        for name in [QUARANTINE_DIR, STATE_DIR, &QUARANTINE_DIR.to_uppercase()] {
            assert!(
                matterbox_domain::numbering::check_number(name).is_err(),
                "{name}"
            );
        }
        assert_eq!(
            matterbox_domain::numbering::MAX_NUMBER,
            matterbox_inbox::routing::MAX_NUMBER_IN_NAME
        );
    }
}

#[test]
fn vaults_that_cannot_be_read_are_listed_with_their_error() {
    let f = fixture();
    let root = f.vault_dir.parent().unwrap().join("vaults");
    for name in ["good", "damaged", "attempts"] {
        create_vault(
            &f.env,
            &root.join(name),
            &format!("{name} practice"),
            &pass("first passphrase"),
            DeviceSecretStorage::DangerPlainFile,
            KdfChoice::Fixed(KdfCost::MINIMUM),
        )
        .unwrap()
        .session
        .lock()
        .unwrap();
    }
    std::fs::write(root.join("damaged/vault.json"), b"{ not a header").unwrap();
    // The header reads, but the failed-unlock record cannot be read (one
    // that reads but does not check counts as the maximum delay instead).
    std::fs::create_dir(root.join("attempts/unlock-attempts.json")).unwrap();

    let listed = list_vaults(&root).unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(matches!(&listed[0], VaultListing::Readable(i) if i.name == "good practice"));
    let unreadable: Vec<(&Path, &ApiError)> = listed[1..]
        .iter()
        .map(|l| match l {
            VaultListing::Unreadable(u) => (u.path.as_path(), &u.error),
            VaultListing::Readable(i) => panic!("{i:?}"),
        })
        .collect();
    assert_eq!(unreadable[0].0, root.join("attempts"));
    assert_eq!(unreadable[1].0, root.join("damaged"));
    assert_eq!(unreadable[1].1.code(), ErrorCode::DecryptionFailed);
    assert!(
        unreadable[1].1.message().contains("header is damaged"),
        "{}",
        unreadable[1].1.message()
    );
    // As JSON, for the CLI and the app: a status, and the error's code.
    let json = serde_json::to_value(&listed).unwrap();
    assert_eq!(json[0]["status"], "readable");
    assert_eq!(json[0]["name"], "good practice");
    assert_eq!(json[2]["status"], "unreadable");
    assert_eq!(json[2]["error"]["code"], "decryption_failed");

    assert!(list_vaults(&root.join("none")).unwrap().is_empty());
}

#[test]
fn a_secret_text_crosses_ipc_as_a_string_and_never_prints() {
    let key = SecretText::new(zeroize::Zeroizing::new("ABCD-EFGH".into()));
    assert_eq!(format!("{key:?}"), "SecretText([redacted])");
    assert_eq!(serde_json::to_value(&key).unwrap(), "ABCD-EFGH");
    let back: SecretText = serde_json::from_str("\"ABCD-EFGH\"").unwrap();
    assert_eq!(back, key);
    let f = fixture();
    let created = create(&f);
    assert!(!format!("{created:?}").contains(created.recovery_key.expose()));
}
