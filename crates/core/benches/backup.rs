//! Backup and restore figures, each beside the `restic` CLI on the same
//! vault in the same run:
//!
//! - first backup of a vault with `MATTERBOX_BENCH_BACKUP_DOCS` documents
//!   (10,000) of `MATTERBOX_BENCH_BACKUP_MIB` MiB in all (2,048; random
//!   bytes, incompressible like scans and PDFs): time, bytes written and
//!   peak memory, beside `restic backup` of the same vault folder (and
//!   `restic backup` + `restic check --read-data-subset 1/30`, which is what
//!   a Matterbox backup does: it is verified before it counts);
//! - an incremental backup after 10 more documents: the bytes written should
//!   be little more than those 10 documents;
//! - a restore on a new computer (`restore_backup`: restore, then
//!   re-enroll with a new passphrase) beside `restic restore latest`.
//!
//! Matterbox runs in this process (its peak memory is this process's
//! high-water mark, reset before each step through `/proc/self/clear_refs`);
//! restic runs under `/usr/bin/time` (Debian `time`), which gives its own.
//! Folders go under `MATTERBOX_BENCH_DISK_DIR` (else `/var/tmp`); about
//! five times the vault's size is needed.
//!
//! Run with `cargo bench -p matterbox-core --features test-support --bench
//! backup` (`scripts/setup.sh --test` installs restic and time).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use matterbox_core::backup::{Location, RestoreRequest};
use matterbox_core::vault::{DeviceSecretStorage, Passphrase};

#[path = "support/mod.rs"]
mod support;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resets this process's peak memory to what it uses now.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak memory since the last reset, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Bytes in the files below `dir`.
fn du(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

struct Measured {
    time: Duration,
    peak_mib: f64,
}

/// Runs restic with `args` under `/usr/bin/time`: its wall time and peak
/// memory.
fn restic(repo: &Path, args: &[&str]) -> Measured {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "restic", "-q", "-r"])
        .arg(repo)
        .args(args)
        .env("RESTIC_PASSWORD", "bench-restic-password")
        .env("RESTIC_CACHE_DIR", repo.with_extension("cache"))
        .output()
        .expect("restic and time are installed by scripts/setup.sh --test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "restic {args:?} failed: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    let secs: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let kb: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    Measured {
        time: Duration::from_secs_f64(secs),
        peak_mib: kb / 1024.0,
    }
}

/// Writes `count` documents of `each` bytes (random) and imports them.
fn add_documents(s: &mut matterbox_core::Session, matter: i64, work: &Path, count: u64, each: u64) {
    let mut urandom = std::fs::File::open("/dev/urandom").expect("urandom");
    let mut buf = vec![0u8; each as usize];
    let input = work.join("input.bin");
    for _ in 0..count {
        std::io::Read::read_exact(&mut urandom, &mut buf).expect("random bytes");
        std::fs::File::create(&input)
            .and_then(|mut f| f.write_all(&buf))
            .expect("input");
        s.import_document(matter, &input, None, true)
            .expect("import");
    }
    let _ = std::fs::remove_file(input);
}

fn main() {
    let docs = env_number("MATTERBOX_BENCH_BACKUP_DOCS", 10_000);
    let mib = env_number("MATTERBOX_BENCH_BACKUP_MIB", 2_048);
    let each = mib * 1024 * 1024 / docs.max(1);
    let root = std::env::var_os("MATTERBOX_BENCH_DISK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp"));
    let work = tempfile::tempdir_in(&root).expect("work folder");
    let work = work.path();
    let vault_dir = work.join("vaults").join("office");
    let created = support::new_vault(work, "office");
    let recovery_key = created.recovery_key.expose().to_string();
    let mut s = created.session;
    let client = s
        .create_client(&matterbox_core::domain::ClientInput {
            name: "Fictional Client".into(),
            ..Default::default()
        })
        .expect("client")
        .id;
    let matter = support::open_matter(&mut s, client, "Bulk");
    eprintln!(
        "backup bench: importing {docs} documents of {each} bytes into {}",
        vault_dir.display()
    );
    let started = Instant::now();
    add_documents(&mut s, matter, work, docs, each);
    eprintln!("backup bench: imported in {:.0?}", started.elapsed());
    let vault_bytes = du(&vault_dir);

    let ours = work.join("matterbox-dest");
    let theirs = work.join("restic-repo");
    std::fs::create_dir(&ours).expect("destination");
    let ours_text = ours.display().to_string();
    restic(&theirs, &["init"]);

    // First backup.
    reset_peak();
    let t = Instant::now();
    let first = s.backup(Some(&ours_text), false, None).expect("backup");
    let first_ours = Measured {
        time: t.elapsed(),
        peak_mib: peak_mib(),
    };
    let vault_arg = vault_dir.to_str().expect("utf-8");
    let first_theirs = restic(&theirs, &["backup", vault_arg]);
    let theirs_after_first = du(&theirs.join("data"));
    let check_theirs = restic(&theirs, &["check", "--read-data-subset", "1/30"]);

    // Ten more documents, then an incremental backup.
    add_documents(&mut s, matter, work, 10, each);
    reset_peak();
    let t = Instant::now();
    let second = s.backup(None, false, None).expect("incremental backup");
    let second_ours = Measured {
        time: t.elapsed(),
        peak_mib: peak_mib(),
    };
    let second_theirs = restic(&theirs, &["backup", vault_arg]);
    let theirs_incremental = du(&theirs.join("data")) - theirs_after_first;

    // Restore on a new computer.
    let laptop = work.join("laptop");
    let laptop_env = support::environment(&laptop);
    let to = laptop.join("vaults").join("restored");
    let location = Location::parse(&ours_text).expect("location");
    let new_passphrase = Passphrase::new("the new laptop's passphrase".into());
    reset_peak();
    let t = Instant::now();
    let (restored, _) = matterbox_core::backup::restore_backup(
        &laptop_env,
        &RestoreRequest {
            from: &location,
            store_key: None,
            snapshot: None,
            recovery_key: &recovery_key,
            to: &to,
            new_passphrase: &new_passphrase,
            storage: DeviceSecretStorage::DangerPlainFile,
        },
        None,
    )
    .expect("restore");
    let restore_ours = Measured {
        time: t.elapsed(),
        peak_mib: peak_mib(),
    };
    drop(restored);
    let restic_target = work.join("restic-restored");
    let restore_theirs = restic(
        &theirs,
        &[
            "restore",
            "latest",
            "--target",
            restic_target.to_str().expect("utf-8"),
        ],
    );
    assert!(du(&to) > vault_bytes / 2, "the restored vault is complete");

    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let added = 10 * each;
    println!(
        "backup: {docs} documents, {:.0} MiB vault ({:.0} MiB of documents); 10 added = {:.1} MiB",
        mb(vault_bytes),
        mb(docs * each),
        mb(added)
    );
    println!(
        "{:<44} {:>9} {:>12} {:>10}",
        "", "time", "written", "peak mem"
    );
    let row = |what: &str, m: &Measured, written: u64| {
        println!(
            "{:<44} {:>8.1}s {:>8.1} MiB {:>6.0} MiB",
            what,
            m.time.as_secs_f64(),
            mb(written),
            m.peak_mib
        );
    };
    row(
        "first backup: matterbox (incl. verification)",
        &first_ours,
        first.bytes_written,
    );
    row(
        "first backup: restic backup",
        &first_theirs,
        theirs_after_first,
    );
    let combined = Measured {
        time: first_theirs.time + check_theirs.time,
        peak_mib: first_theirs.peak_mib.max(check_theirs.peak_mib),
    };
    row(
        "  restic backup + check --read-data-subset 1/30",
        &combined,
        theirs_after_first,
    );
    row("incremental: matterbox", &second_ours, second.bytes_written);
    row(
        "incremental: restic backup",
        &second_theirs,
        theirs_incremental,
    );
    row(
        "restore: matterbox (restore + re-enroll)",
        &restore_ours,
        du(&to),
    );
    row(
        "restore: restic restore latest",
        &restore_theirs,
        du(&restic_target),
    );
    println!(
        "incremental written / documents added: matterbox {:.2}, restic {:.2}",
        second.bytes_written as f64 / added as f64,
        theirs_incremental as f64 / added as f64
    );
}
