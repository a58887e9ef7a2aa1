//! Retention figures, each beside a reference in the same run:
//! - time to sweep 1,000,000 documents for due items (SQLCipher) beside the
//!   same sweep on an unencrypted copy of the database;
//! - time to destroy 10,000 documents (crypto-erase: rows, secure_delete,
//!   WAL truncate, vacuum, blobs overwritten) beside plainly deleting the
//!   same rows from the unencrypted copy;
//! - database size before and after;
//! - time to destroy a matter of three documents of 4 MB of text each (a
//!   long transcript or log: numbered lines), beside the time it took to
//!   import them and beside destroying a matter of three 1 KB documents.
//!
//! Run with `scripts/bench.sh` (it runs every benchmark of the core).

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use chrono::NaiveDate;
use matterbox_core::Session;
use matterbox_core::domain::MatterPatch;
use matterbox_core::domain::retention::{PolicyInput, Trigger};
use matterbox_core::retention::{Disposal, DisposalKind};
use matterbox_core::vault::Passphrase;
use matterbox_domain::retention;

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
            kind: d.kind,
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
    large_documents(&dir.path().join("texts"));
}

/// Numbered lines of pseudo-words, `bytes` long: a transcript or a log,
/// whose line numbers make tens of thousands of distinct words.
fn numbered_text(bytes: usize, seed: u64) -> String {
    let syllables = [
        "ka", "lo", "mi", "ter", "vos", "an", "qui", "del", "ru", "sen", "pa", "tor", "el", "mon",
        "gra", "ve",
    ];
    let mut state = seed * 2 + 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::with_capacity(bytes + 100);
    let mut line = 0;
    while text.len() < bytes {
        line += 1;
        text.push_str(&format!("{line} "));
        for _ in 0..8 {
            for _ in 0..2 + next() % 3 {
                text.push_str(syllables[(next() % syllables.len() as u64) as usize]);
            }
            text.push(' ');
        }
        text.push('\n');
    }
    text
}

/// Opens a matter (opened in 2010), imports `texts` into it as text files,
/// closes it in 2020 and returns its id and the time the imports took.
fn closed_matter_with(
    s: &mut Session,
    client: i64,
    dir: &Path,
    name: &str,
    texts: &[String],
) -> (i64, Duration) {
    let matter = support::open_matter(s, client, name);
    s.update_matter(
        matter,
        &MatterPatch {
            opened_on: Some("2010-01-01".parse().expect("date")),
            ..Default::default()
        },
    )
    .expect("opened");
    let mut took = Duration::ZERO;
    for (i, text) in texts.iter().enumerate() {
        let file = dir.join(format!("{name}-{i}.txt"));
        std::fs::write(&file, text).expect("text file");
        let t = Instant::now();
        s.import_document(matter, &file, None, false)
            .expect("import");
        took += t.elapsed();
    }
    s.close_matter(matter, Some("2020-06-30".parse().expect("date")))
        .expect("close");
    (matter, took)
}

/// Destroys a matter of three 4 MB text documents and one of three 1 KB
/// documents, both due under a policy, in a vault of their own.
fn large_documents(dir: &Path) {
    std::fs::create_dir_all(dir).expect("folder");
    let (mut s, client) = support::vault_with_client(dir, "texts");
    let pass = Passphrase::new(support::PASSPHRASE.into());
    let policy = s
        .create_retention_policy(&PolicyInput {
            name: "Closed - 1 year".into(),
            trigger: Some(Trigger::MatterClosed),
            years: 1,
            ..Default::default()
        })
        .expect("policy");
    let large: Vec<String> = (0..3).map(|i| numbered_text(4 << 20, 11 + i)).collect();
    let small: Vec<String> = (0..3).map(|i| numbered_text(1000, 21 + i)).collect();
    let (large_matter, import) = closed_matter_with(&mut s, client, dir, "large", &large);
    let (small_matter, _) = closed_matter_with(&mut s, client, dir, "small", &small);
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let mut destroy = |matter: i64| {
        s.set_matter_policy(matter, Some(policy.id))
            .expect("policy");
        let t = Instant::now();
        let report = s
            .destroy_approved(
                &[Disposal {
                    kind: DisposalKind::Matter,
                    id: matter,
                }],
                &pass,
                today,
            )
            .expect("destroy");
        assert_eq!(report.documents, 3);
        t.elapsed()
    };
    let small_time = destroy(small_matter);
    let large_time = destroy(large_matter);
    println!(
        "== Retention: destroying a matter of three documents of {} MB of text each (numbered lines)",
        large[0].len() >> 20
    );
    println!(
        "destroy the matter   {:8.2} s   | importing its documents {:8.2} s | destroying a matter of three 1 KB documents {:8.2} s",
        large_time.as_secs_f64(),
        import.as_secs_f64(),
        small_time.as_secs_f64()
    );
}
