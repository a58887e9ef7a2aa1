//! Retention figures, each beside a reference in the same run:
//! - time to sweep 1,000,000 documents for due items (SQLCipher) beside the
//!   same sweep on an unencrypted copy of the database;
//! - time to destroy 10,000 documents (crypto-erase: rows, secure_delete,
//!   WAL truncate, vacuum, blobs overwritten) beside plainly deleting the
//!   same rows from the unencrypted copy;
//! - database size before and after.
//!
//! Run with `scripts/bench.sh` (it runs every benchmark of the core).

use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

use chrono::NaiveDate;
use matterbox_core::domain::MatterPatch;
use matterbox_core::domain::retention::{self, PolicyInput, Trigger};
use matterbox_core::retention::Disposal;
use matterbox_core::vault::Passphrase;

const DOCS: usize = 1_000_000;
const PER_MATTER: usize = 1_000;
const DESTROY: usize = 10_000;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (mut s, client) = support::vault_with_client(dir.path(), "retention");
    let vault_dir = dir.path().join("vaults").join("retention");
    let pass = Passphrase::new(support::PASSPHRASE.into());
    let policy = s
        .create_retention_policy(&PolicyInput {
            name: "Documents - 1 year after adding".into(),
            trigger: Some(Trigger::DateAdded),
            years: 1,
            ..Default::default()
        })
        .expect("policy");
    s.set_practice_area_policy("Bench", Some(policy.id))
        .expect("area policy");
    let matters: Vec<i64> = (0..DOCS / PER_MATTER)
        .map(|i| {
            let id = support::open_matter(&mut s, client, &format!("Bench matter {i}"));
            s.update_matter(
                id,
                &MatterPatch {
                    practice_area: Some("Bench".into()),
                    ..Default::default()
                },
            )
            .expect("area");
            id
        })
        .collect();

    // A million document records over two years, written directly (the
    // import path is measured by the documents benchmark).
    let blobs = vault_dir.join("blobs");
    let t = Instant::now();
    {
        let conn = s.danger_connection();
        conn.execute_batch("BEGIN").expect("begin");
        let mut doc = conn
            .prepare("INSERT INTO documents (id, matter_id, title, original_name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3, ?4, ?4)")
            .expect("prepare");
        let mut ver = conn
            .prepare("INSERT INTO document_versions (document_id, version, blob_id, key_id, wrapped_key, size, sha256, created_at) VALUES (?1, 1, ?2, ?3, ?4, 1000, ?5, ?6)")
            .expect("prepare");
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        for i in 0..DOCS {
            let id = i as i64 + 1;
            let added = start + chrono::Days::new((i % 730) as u64);
            let at = format!("{added}T12:00:00Z");
            let blob = format!("{id:032x}");
            doc.execute(rusqlite::params![
                id,
                matters[i / PER_MATTER],
                format!("scan-{i}.pdf"),
                at
            ])
            .expect("document");
            ver.execute(rusqlite::params![
                id,
                blob,
                [7u8; 16],
                [9u8; 60],
                [id as u8; 32],
                at
            ])
            .expect("version");
        }
        drop(doc);
        drop(ver);
        conn.execute_batch("COMMIT").expect("commit");
    }
    let build = t.elapsed();
    let size_before = std::fs::metadata(vault_dir.join("vault.db"))
        .map(|m| m.len())
        .unwrap_or(0);

    let plain = support::plain_copy(&s, &dir.path().join("plain.db"));

    let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let t = Instant::now();
    let due = s.retention_due(today).expect("sweep");
    let sweep = t.elapsed();
    let t = Instant::now();
    let due_plain = retention::due(&plain, today).expect("plain sweep");
    let sweep_plain = t.elapsed();
    assert_eq!(due.len(), due_plain.len());
    println!(
        "== Retention: {DOCS} documents in {} matters (records written in {:.1} s)",
        matters.len(),
        build.as_secs_f64()
    );
    println!(
        "sweep for due items {:8.2} s ({} due)   | same sweep, unencrypted copy {:8.2} s",
        sweep.as_secs_f64(),
        due.len(),
        sweep_plain.as_secs_f64()
    );

    // Destroy 10,000 of them; each has a (stand-in) encrypted file to overwrite.
    let chosen: Vec<Disposal> = due
        .iter()
        .take(DESTROY)
        .map(|d| Disposal {
            kind: d.kind.clone(),
            id: d.id,
        })
        .collect();
    for d in &chosen {
        std::fs::write(blobs.join(format!("{:032x}", d.id)), [0u8; 1000]).expect("blob");
    }
    let t = Instant::now();
    let report = s.destroy_approved(&chosen, &pass, today).expect("destroy");
    let destroy = t.elapsed();
    assert_eq!(report.documents, DESTROY);
    let size_after = std::fs::metadata(vault_dir.join("vault.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    let t = Instant::now();
    plain
        .execute_batch("PRAGMA secure_delete = OFF; BEGIN")
        .expect("begin");
    for d in &chosen {
        plain
            .execute(
                "DELETE FROM document_versions WHERE document_id = ?1",
                [d.id],
            )
            .expect("delete");
        plain
            .execute("DELETE FROM documents WHERE id = ?1", [d.id])
            .expect("delete");
    }
    plain.execute_batch("COMMIT").expect("commit");
    let delete_plain = t.elapsed();
    println!(
        "destroy {DESTROY} documents      {:8.2} s   | plain DELETE of the same rows (no erase) {:8.2} s",
        destroy.as_secs_f64(),
        delete_plain.as_secs_f64()
    );
    println!(
        "database size        {:8.1} MiB before | {:8.1} MiB after (vacuumed; {} register entries added)",
        mib(size_before),
        mib(size_after),
        report.register.len()
    );
}
