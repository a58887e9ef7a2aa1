//! Faults and hostile input found when the vault was attacked: each test
//! failed on the code before its fix.

use super::*;

fn unlock_err(f: &Fixture) -> CoreError {
    unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap_err()
}

fn db(f: &Fixture) -> PathBuf {
    f.vault_dir.join("vault.db")
}

#[test]
fn an_emptied_cut_or_replaced_database_is_damaged_never_a_new_vault() {
    let f = fixture();
    let mut s = create(&f).session;
    with_two_matters(&mut s);
    s.lock().unwrap();
    let good = std::fs::read(db(&f)).unwrap();

    // Emptied (a sync tool, a failed copy, a full disk).
    std::fs::write(db(&f), b"").unwrap();
    let e = unlock_err(&f);
    assert_eq!(e.code(), ErrorCode::VaultDamaged, "{e}");
    // Nothing was created in its place.
    assert_eq!(std::fs::metadata(db(&f)).unwrap().len(), 0);

    // Cut short.
    for len in [100, 4096, good.len() / 2] {
        std::fs::write(db(&f), &good[..len]).unwrap();
        let e = unlock_err(&f);
        assert_eq!(e.code(), ErrorCode::VaultDamaged, "cut at {len}: {e}");
    }

    // Another vault's database (same passphrase, different keys).
    let other = fixture();
    create(&other).session.lock().unwrap();
    std::fs::copy(db(&other), db(&f)).unwrap();
    assert_eq!(unlock_err(&f).code(), ErrorCode::VaultDamaged);

    // Put back, everything is there again.
    std::fs::write(db(&f), &good).unwrap();
    let s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    assert_eq!(s.clients(None).unwrap().len(), 1);
}

#[test]
fn a_database_that_lost_its_records_keeps_its_documents_from_the_doctor() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let doc = s
        .import_document(
            estate,
            &write_file(src.path(), "a.txt", b"lease"),
            None,
            false,
        )
        .unwrap();
    // Seven encrypted files the records do not know: what a database that
    // lost rows looks like from the blob area.
    let blob = {
        let v = matterbox_domain::documents::version_key(&s.conn, doc.id, None).unwrap();
        s.vault.blobs_dir().join(&v.blob_id)
    };
    for n in 0..7 {
        std::fs::copy(&blob, s.vault.blobs_dir().join(format!("{n:032x}"))).unwrap();
    }
    let r = s.doctor(true, false, Duration::ZERO, false).unwrap();
    assert_eq!(r.orphans_removed, 0);
    assert_eq!(r.orphans.len(), 7);
    assert!(
        r.fix_refused
            .as_deref()
            .unwrap()
            .contains("7 encrypted files")
    );
    // Asked for explicitly, they go.
    let r = s.doctor(true, false, Duration::ZERO, true).unwrap();
    assert_eq!(r.orphans_removed, 7);
    assert!(r.healthy(), "{r:?}");

    // A database that lost every document its log says was added removes
    // none, even one...
    let g = fixture();
    let mut t = create(&g).session;
    let (estate, _) = with_two_matters(&mut t);
    t.import_document(
        estate,
        &write_file(src.path(), "b.txt", b"deed"),
        None,
        false,
    )
    .unwrap();
    t.conn
        .execute_batch(
            "PRAGMA foreign_keys = OFF; DELETE FROM document_search; DELETE FROM document_versions; DELETE FROM documents; PRAGMA foreign_keys = ON;",
        )
        .unwrap();
    let r = t.doctor(true, false, Duration::ZERO, false).unwrap();
    assert_eq!(r.orphans_removed, 0, "{r:?}");
    assert!(
        r.fix_refused
            .as_deref()
            .unwrap()
            .contains("lost its records"),
        "{r:?}"
    );
    // ...while a new vault whose first import was cut short is tidied.
    let h = fixture();
    let mut u = create(&h).session;
    std::fs::copy(&blob, u.vault.blobs_dir().join(format!("{:032x}", 1))).unwrap();
    let r = u.doctor(true, false, Duration::ZERO, false).unwrap();
    assert_eq!((r.orphans_removed, r.orphans.len()), (1, 0), "{r:?}");
}

#[test]
fn a_failure_after_the_commit_is_a_warning_never_an_undo() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    // The anchor cannot be replaced (a folder in its place: this holds
    // for root too, unlike permissions).
    let anchor = f.vault_dir.join("audit-anchor.json");
    let kept = std::fs::read(&anchor).unwrap();
    std::fs::remove_file(&anchor).unwrap();
    std::fs::create_dir(&anchor).unwrap();
    std::fs::write(anchor.join("x"), b"x").unwrap();

    let src = tempfile::tempdir().unwrap();
    let doc = s
        .import_document(
            estate,
            &write_file(src.path(), "a.txt", b"Quill lease"),
            None,
            false,
        )
        .expect("the import committed, so it succeeded");
    let warnings = s.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("saved"), "{warnings:?}");
    // The document and its file are there.
    let out = src.path().join("out.txt");
    s.export_document(doc.id, None, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"Quill lease");
    let r = s.doctor(false, true, Duration::ZERO, false).unwrap();
    // Every document is there and intact; the audit log is reported as
    // `audit verify` reports it: its record beside the database is missing.
    assert!(
        r.missing.is_empty() && r.damaged.is_empty() && r.orphans.is_empty() && r.temporary == 0,
        "{r:?}"
    );
    assert!(
        matches!(&r.audit, Some(crate::Verification::Broken { reason, .. }) if reason.contains("missing")),
        "{r:?}"
    );
    // No temporary file of the failed anchor writes is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&f.vault_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Every change while it could not be written said so.
    assert_eq!(s.take_warnings().len(), 2);
    // Once the anchor can be written, the next change repairs it.
    std::fs::remove_dir_all(&anchor).unwrap();
    std::fs::write(&anchor, kept).unwrap();
    s.create_client(&ClientInput {
        name: "Orrin Fictive".into(),
        ..Default::default()
    })
    .unwrap();
    assert!(s.take_warnings().is_empty());
    assert!(matches!(
        s.verify_audit().unwrap(),
        Verification::Intact { .. }
    ));
    s.lock().unwrap();
    let s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    assert!(matches!(
        s.verify_audit().unwrap(),
        Verification::Intact { .. }
    ));
}

#[test]
fn parallel_wrong_guesses_are_each_counted_and_one_copy_resets_nothing() {
    let f = fixture();
    create(&f).session.lock().unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let e = unlock(&f.env, &f.vault_dir, &pass("wrong passphrase")).unwrap_err();
                assert_eq!(e.code(), ErrorCode::WrongSecret);
            });
        }
    });
    let counted = |f: &Fixture| {
        Vault::open(&f.vault_dir)
            .unwrap()
            .with_attempts_mirror(f.env.attempts_mirror.clone())
            .pending_failed_attempts()
            .unwrap()
    };
    let state = counted(&f);
    assert_eq!(state.consecutive_failures, 4);
    assert_eq!(state.unaudited.len(), 4);
    // Deleting the record in the vault folder resets nothing.
    std::fs::remove_file(f.vault_dir.join("unlock-attempts.json")).unwrap();
    assert_eq!(counted(&f).consecutive_failures, 4);
    // Nor does deleting both files: the device-secret store keeps a copy.
    let vault_id = Vault::open(&f.vault_dir).unwrap().id().to_string();
    let mirror = f.env.attempts_mirror.clone().unwrap();
    std::fs::remove_file(mirror.join(format!("{vault_id}.json"))).unwrap();
    let store = f.env.store(DeviceSecretStorage::DangerPlainFile);
    let checked = Vault::open(&f.vault_dir)
        .unwrap()
        .with_attempts_mirror(f.env.attempts_mirror.clone())
        .failed_attempts_checked(store.as_ref())
        .unwrap();
    assert_eq!(checked.consecutive_failures, 4);
    assert_eq!(checked.unaudited.len(), 4);
    // Every failure is audited at the next unlock, then the count resets.
    let s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    assert_eq!(
        actions(&s).iter().filter(|a| *a == "unlock_failed").count(),
        4
    );
    assert_eq!(counted(&f).consecutive_failures, 0);
}

#[test]
fn a_guess_that_cannot_be_counted_is_not_tried() {
    let f = fixture();
    create(&f).session.lock().unwrap();
    // The record can be written nowhere (a folder in place of each copy).
    let vault_id = Vault::open(&f.vault_dir).unwrap().id().to_string();
    let mirror = f.env.attempts_mirror.clone().unwrap();
    let record = f.vault_dir.join("unlock-attempts.json");
    let mirrored = mirror.join(format!("{vault_id}.json"));
    let in_store = f
        .env
        .device_secret_dir
        .join(format!("{vault_id}.unlock-attempts"));
    for r in [&record, &mirrored, &in_store] {
        std::fs::create_dir_all(r).unwrap();
        std::fs::write(r.join("x"), b"x").unwrap();
    }
    // Even the right passphrase is not tried: its attempt could not be
    // counted had it been wrong.
    let e = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Internal, "{e}");
    // (One copy that can be written is enough: the full-disk test in
    // tests/faults.rs opens a vault on a full disk.)
    std::fs::remove_dir_all(&mirrored).unwrap();
    std::fs::remove_dir_all(&record).unwrap();
    std::fs::remove_dir_all(&in_store).unwrap();
    unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
}

#[test]
fn changing_the_passphrase_to_itself_is_refused_and_changes_nothing() {
    let f = fixture();
    create(&f).session.lock().unwrap();
    let header = std::fs::read(f.vault_dir.join("vault.json")).unwrap();
    let e = change_passphrase(
        &f.env,
        &f.vault_dir,
        &pass("first passphrase"),
        &pass("first passphrase"),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    assert_eq!(
        std::fs::read(f.vault_dir.join("vault.json")).unwrap(),
        header
    );
}

#[test]
fn a_passphrase_change_and_its_audit_entry_land_together() {
    let f = fixture();
    create(&f).session.lock().unwrap();
    let s = change_passphrase(
        &f.env,
        &f.vault_dir,
        &pass("first passphrase"),
        &pass("second passphrase"),
    )
    .unwrap();
    assert!(actions(&s).iter().any(|a| a == "passphrase_changed"));
    s.lock().unwrap();
    assert_eq!(unlock_err(&f).code(), ErrorCode::WrongSecret);
    let s = unlock(&f.env, &f.vault_dir, &pass("second passphrase")).unwrap();
    assert!(matches!(
        s.verify_audit().unwrap(),
        Verification::Intact { .. }
    ));
}

#[test]
fn recovery_switches_to_a_new_device_entry_only_with_the_header() {
    let f = fixture();
    let created = create(&f);
    let recovery = created.recovery_key.expose().to_string();
    created.session.lock().unwrap();
    let secrets = |f: &Fixture| {
        let mut names: Vec<String> = std::fs::read_dir(&f.env.device_secret_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = secrets(&f);
    assert_eq!(before.len(), 1);
    let s = recover(
        &f.env,
        &f.vault_dir,
        &recovery,
        &pass("recovered passphrase"),
        DeviceSecretStorage::DangerPlainFile,
    )
    .unwrap();
    s.lock().unwrap();
    let after = secrets(&f);
    // One entry, a new one: the old is gone once the header switched.
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
    assert_eq!(unlock_err(&f).code(), ErrorCode::WrongSecret);
    unlock(&f.env, &f.vault_dir, &pass("recovered passphrase")).unwrap();
}

/// The page holding the root of `table` in the locked vault's database,
/// read with the database key from a connection of its own (a lock may
/// move pages, so this is read after it).
fn root_page(f: &Fixture, master: &matterbox_vault::MasterKey, table: &str) -> usize {
    let vault = Vault::open(&f.vault_dir).unwrap();
    let key = master.derive(vault.id(), matterbox_vault::KeyPurpose::Database);
    let conn = matterbox_store::open_unmigrated(&db(f), &key, false).unwrap();
    let page: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    assert!(!f.vault_dir.join("vault.db-wal").exists(), "checkpointed");
    usize::try_from(page).unwrap()
}

/// Flips a byte in the middle of page `page` (numbered from 1) of the
/// database file, as a bad sector or a bit flip in a sync would.
fn damage_page(db: &Path, page: usize) {
    let mut bytes = std::fs::read(db).unwrap();
    assert!(bytes.len() >= page * 4096, "page {page} is past the end");
    bytes[(page - 1) * 4096 + 1000] ^= 0x55;
    std::fs::write(db, &bytes).unwrap();
}

#[test]
fn a_damaged_page_is_reported_as_damage_and_named_by_the_doctor() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    for n in 0..40 {
        s.import_document(
            estate,
            &write_file(
                src.path(),
                &format!("{n}.txt"),
                format!("lease {n} ").repeat(400).as_bytes(),
            ),
            None,
            false,
        )
        .unwrap();
    }
    let master = s.master.clone();
    let blob = {
        let doc = s.documents(estate).unwrap()[0].id;
        let v = matterbox_domain::documents::version_key(&s.conn, doc, None).unwrap();
        s.vault.blobs_dir().join(&v.blob_id)
    };
    s.lock().unwrap();
    // A page unlock never reads: the search index's stored text.
    let page = root_page(&f, &master, "document_search_content");
    damage_page(&db(&f), page);

    let mut s = unlock(&f.env, &f.vault_dir, &pass("first passphrase"))
        .expect("unlock reads no page of the search index");
    // The doctor reads every page and names the damaged one.
    let r = s.doctor(false, false, Duration::ZERO, false).unwrap();
    assert!(!r.healthy());
    assert!(
        r.database_problems
            .iter()
            .any(|p| p.contains(&format!("page {page}"))),
        "page {page} is not named: {:?}",
        r.database_problems
    );
    // With a damaged database, `--fix` removes nothing: its records cannot
    // tell an orphan from a document.
    let orphan = s.vault.blobs_dir().join(format!("{:032x}", 7));
    std::fs::copy(&blob, &orphan).unwrap();
    let r = s.doctor(true, false, Duration::ZERO, false).unwrap();
    assert_eq!(r.orphans_removed, 0, "{r:?}");
    assert!(
        r.fix_refused
            .as_deref()
            .is_some_and(|why| why.contains("database itself fails its checks")),
        "{r:?}"
    );
    assert!(orphan.exists());
    assert!(blob.exists());
    // Whatever reads the damaged page is told so.
    let e = s.search("lease", &Default::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VaultDamaged, "{e}");
}

#[cfg(unix)]
#[test]
fn importing_a_fifo_is_refused_at_once() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let fifo = src.path().join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let out = s.import_document(estate, &fifo, None, false);
        // Closed before answering: the test's process must not exit while
        // this thread is still closing the database (SQLCipher's teardown
        // racing the process's exit crashed the test binary once).
        drop(s);
        let _ = tx.send(out.map(|_| ()).map_err(|e| (e.code(), e.to_string())));
    });
    let out = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("importing a FIFO must not wait for a writer");
    let (code, message) = out.unwrap_err();
    assert_eq!(code, ErrorCode::Validation);
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn an_inbox_is_never_a_system_folder_the_home_folder_or_someone_elses_files() {
    for system in ["/etc", "/usr/share", "/", "/home", "/tmp", "/var/lib/x"] {
        let e = inbox::check_inbox_folder(Path::new(system), true).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{system}");
    }
    let home = resolve_path(Path::new(&std::env::var("HOME").unwrap()));
    for refused in [home.clone(), home.parent().unwrap().to_path_buf()] {
        assert_eq!(
            inbox::check_inbox_folder(&refused, true)
                .unwrap_err()
                .code(),
            ErrorCode::Validation,
            "{}",
            refused.display()
        );
    }

    let f = fixture();
    let mut s = create(&f).session;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("Documents");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("family photos.txt"), b"not for the vault").unwrap();
    let settings = |folder: &Path| inbox::InboxSettings {
        folder: Some(folder.display().to_string()),
        ..Default::default()
    };
    let e = s.set_inbox_settings(&settings(&files), false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConfirmationNeeded);
    assert!(e.to_string().contains("1 file(s)"), "{e}");
    assert!(s.inbox_settings().unwrap().folder.is_none());
    // Nothing was created in the refused folder.
    assert_eq!(std::fs::read_dir(&files).unwrap().count(), 1);
    // With the user's confirmation it is taken, and made private.
    s.set_inbox_settings(&settings(&files), true).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    // A new folder needs no confirmation, and saving other settings for
    // the same folder asks nothing again.
    let fresh = dir.path().join("Scans");
    s.set_inbox_settings(&settings(&fresh), false).unwrap();
    s.set_inbox_settings(&settings(&fresh), false).unwrap();
}

#[test]
fn an_export_never_removes_a_file_it_did_not_create() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    let doc = s
        .import_document(
            estate,
            &write_file(src.path(), "a.txt", b"Quill lease"),
            None,
            false,
        )
        .unwrap();
    // A file that happens to have the name the old code used for its
    // partial export: it is the user's, and stays.
    let lookalike = src.path().join(".out.txt.matterbox-partial");
    std::fs::write(&lookalike, b"the user's").unwrap();
    let out = src.path().join("out.txt");
    s.export_document(doc.id, None, &out).unwrap();
    assert_eq!(std::fs::read(&lookalike).unwrap(), b"the user's");
    assert_eq!(std::fs::read(&out).unwrap(), b"Quill lease");
    let names: Vec<String> = std::fs::read_dir(src.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn vault_files_are_private() {
    let f = fixture();
    let mut s = create(&f).session;
    let (estate, _) = with_two_matters(&mut s);
    let src = tempfile::tempdir().unwrap();
    s.import_document(
        estate,
        &write_file(src.path(), "a.txt", b"lease"),
        None,
        false,
    )
    .unwrap();
    assert!(f.vault_dir.join("blobs/tmp").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in [
            "vault.db",
            "vault.db-wal",
            "vault.db-shm",
            "vault.json",
            "audit-anchor.json",
        ] {
            let path = f.vault_dir.join(name);
            if let Ok(m) = std::fs::metadata(&path) {
                assert_eq!(m.permissions().mode() & 0o777, 0o600, "{name}");
            }
        }
        for dir in ["", "blobs", "blobs/tmp"] {
            let path = f.vault_dir.join(dir);
            if let Ok(m) = std::fs::metadata(&path) {
                assert_eq!(m.permissions().mode() & 0o777, 0o700, "{dir}");
            }
        }
    }
    drop(s);
}

#[test]
fn a_damaged_recovery_slot_is_put_back_at_unlock_not_found_when_needed() {
    let f = fixture();
    let created = create(&f);
    let recovery = created.recovery_key.expose().to_string();
    created.session.lock().unwrap();
    // The first unlock keeps its copy; then the header's slot is damaged.
    unlock(&f.env, &f.vault_dir, &pass("first passphrase"))
        .unwrap()
        .lock()
        .unwrap();
    let path = f.vault_dir.join("vault.json");
    let mut header: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let good = header["recovery_slot"].clone();
    let ct = header["recovery_slot"]["wrapped"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = format!(
        "{}{}",
        if ct.starts_with('0') { "1" } else { "0" },
        &ct[1..]
    );
    header["recovery_slot"]["wrapped"]["ciphertext"] = flipped.into();
    std::fs::write(&path, serde_json::to_vec_pretty(&header).unwrap()).unwrap();

    let mut s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    let warnings = s.take_warnings();
    assert!(
        warnings.iter().any(|w| w.contains("recovery")),
        "{warnings:?}"
    );
    assert!(actions(&s).iter().any(|a| a == "recovery_slot_repaired"));
    s.lock().unwrap();
    let repaired: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(repaired["recovery_slot"], good);
    // And the recovery key works.
    recover(
        &f.env,
        &f.vault_dir,
        &recovery,
        &pass("recovered passphrase"),
        DeviceSecretStorage::DangerPlainFile,
    )
    .unwrap();
}

#[test]
fn a_vault_name_that_shows_nothing_is_refused_before_anything_is_written() {
    for name in ["", "\u{200b}\u{202e}", "   "] {
        let f = fixture();
        let e = create_vault(
            &f.env,
            &f.vault_dir,
            name,
            &pass("first passphrase"),
            DeviceSecretStorage::DangerPlainFile,
            KdfChoice::Fixed(KdfCost::MINIMUM),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Validation, "{name:?}");
        assert!(!f.vault_dir.exists());
        assert!(!f.env.device_secret_dir.exists());
    }
}
