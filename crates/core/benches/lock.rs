//! How fast a lock takes effect during long work: the time from a lock
//! request (the session's `Cancel` set from another thread, as the
//! desktop app's `lock()` does without waiting for the session) until the
//! running operation has returned, the lock is recorded and the session,
//! with its keys, is dropped. Target: 250 ms.
//!
//! - importing a 2 GiB file (`MATTERBOX_BENCH_LOCK_MIB`), the lock
//!   requested at several points of the sealing, in memory (`/dev/shm`) and
//!   on disk (`MATTERBOX_BENCH_DISK_DIR`, else the temporary folder);
//! - a deep doctor run (decrypting every document) and an export of a
//!   large document, each locked half-way.
//!
//! After each cancelled import the bench checks that nothing was kept: no
//! blob, no temporary file, no document recorded.
//!
//! Run with `./scripts/with-secret-service.sh cargo bench -p matterbox-core
//! --features test-support --bench lock`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use matterbox_core::{CoreError, Session};

/// How long a lock took: until the running work returned, and until the
/// session (with its keys) was dropped after recording the lock.
#[derive(Clone, Copy)]
struct Latency {
    returned: Duration,
    dropped: Duration,
}

/// Runs `work` on the session on another thread (holding the session's
/// mutex, like a desktop command), requests a lock once `ready` says the
/// work is under way, and returns how long the lock took, and what the
/// work returned.
fn lock_during<T: Send + 'static>(
    session: Session,
    work: impl FnOnce(&mut Session) -> Result<T, CoreError> + Send + 'static,
    ready: impl Fn() -> bool,
) -> (Latency, Result<T, CoreError>) {
    let cancel = session.cancel_handle();
    let shared = Arc::new(Mutex::new(Some(session)));
    let running = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut guard = shared.lock().expect("session mutex");
            let s = guard.as_mut().expect("session");
            let out = work(s);
            (out, Instant::now())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while !ready() && !running.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!running.is_finished(), "the work ended before the lock");
    let t0 = Instant::now();
    cancel.cancel();
    let session = shared.lock().expect("session mutex").take();
    if let Some(s) = session {
        s.lock().expect("record the lock");
    }
    let dropped = t0.elapsed();
    let (out, returned) = running.join().expect("work thread");
    let returned = returned.saturating_duration_since(t0);
    (Latency { returned, dropped }, out)
}

fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:7.1} ms", d.as_secs_f64() * 1000.0)
}

fn report(label: &str, samples: Vec<Latency>) {
    let stats = |mut d: Vec<Duration>| {
        d.sort();
        (d[d.len() / 2], d[d.len() - 1])
    };
    let (returned, returned_max) = stats(samples.iter().map(|l| l.returned).collect());
    let (dropped, dropped_max) = stats(samples.iter().map(|l| l.dropped).collect());
    println!(
        "{label:<32} keys dropped: median {} max {} | work returned: median {} max {}   ({} runs; target 250 ms)",
        ms(dropped),
        ms(dropped_max),
        ms(returned),
        ms(returned_max),
        samples.len()
    );
}

/// A sparse file of `mib` MiB: reading it costs no disk, so the import's
/// own work (hashing, sealing, writing) is what the lock interrupts.
fn sparse_input(dir: &Path, mib: u64) -> PathBuf {
    let path = dir.join("input.bin");
    let f = std::fs::File::create(&path).expect("input");
    f.set_len(mib << 20).expect("size input");
    path
}

fn imports(root: &Path, mib: u64, label: &str) {
    let mut samples = Vec::new();
    for (i, fraction) in [0.1, 0.3, 0.5, 0.7, 0.9].into_iter().enumerate() {
        let work = tempfile::tempdir_in(root).expect("work folder");
        let (mut s, client) = support::vault_with_client(work.path(), &format!("lock{i}"));
        let matter = support::open_matter(&mut s, client, "Bench matter");
        let input = sparse_input(work.path(), mib);
        let blobs = s.vault().blobs_dir();
        let tmp = blobs.join("tmp");
        let target = ((mib << 20) as f64 * fraction) as u64;
        let (took, out) = lock_during(
            s,
            {
                let input = input.clone();
                move |s| s.import_document(matter, &input, None, false)
            },
            || size_of(&tmp) >= target,
        );
        assert!(
            matches!(out, Err(CoreError::Cancelled)),
            "the import was not cancelled: {out:?}"
        );
        assert_eq!(files_in(&blobs), 0, "a blob was left behind");
        assert_eq!(files_in(&tmp), 0, "a temporary file was left behind");
        samples.push(took);
    }
    report(&format!("import {mib} MiB, {label}"), samples);
}

fn doctor_and_export(root: &Path) {
    let work = tempfile::tempdir_in(root).expect("work folder");
    let (mut s, client) = support::vault_with_client(work.path(), "read");
    let matter = support::open_matter(&mut s, client, "Bench matter");
    let input = sparse_input(work.path(), 1024);
    let doc = s
        .import_document(matter, &input, None, false)
        .expect("import")
        .id;
    let started = Arc::new(Mutex::new(None::<Instant>));
    let mark = |started: &Arc<Mutex<Option<Instant>>>| {
        *started.lock().expect("mark") = Some(Instant::now());
    };
    // A deep check or an export of 1 GiB takes about a second here: lock
    // a tenth of a second in.
    let after = |started: &Arc<Mutex<Option<Instant>>>| {
        started
            .lock()
            .expect("mark")
            .is_some_and(|t| t.elapsed() >= Duration::from_millis(100))
    };
    let (took, out) = lock_during(
        s,
        {
            let started = Arc::clone(&started);
            move |s| {
                mark(&started);
                s.doctor(false, true, Duration::from_secs(60), false)
            }
        },
        || after(&started),
    );
    assert!(
        matches!(out, Err(CoreError::Cancelled)),
        "the doctor was not cancelled: {out:?}"
    );
    report("doctor --deep (1 GiB document)", vec![took]);

    let env = support::environment(work.path());
    let s = matterbox_core::unlock(
        &env,
        &work.path().join("vaults").join("read"),
        &matterbox_core::vault::Passphrase::new(support::PASSPHRASE.into()),
    )
    .expect("unlock");
    let destination = work.path().join("exported.bin");
    *started.lock().expect("mark") = None;
    let (took, out) = lock_during(
        s,
        {
            let started = Arc::clone(&started);
            let destination = destination.clone();
            move |s| {
                mark(&started);
                s.export_document(doc, None, &destination)
            }
        },
        || after(&started),
    );
    assert!(
        matches!(out, Err(CoreError::Cancelled)),
        "the export was not cancelled: {out:?}"
    );
    assert!(!destination.exists(), "a partial export was left");
    report("export (1 GiB document)", vec![took]);
}

fn main() {
    let mib: u64 = std::env::var("MATTERBOX_BENCH_LOCK_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    let disk = std::env::var_os("MATTERBOX_BENCH_DISK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    println!("== Lock requested during long work: until the keys are dropped");
    imports(Path::new("/dev/shm"), mib, "in memory");
    imports(&disk, mib, "on disk");
    doctor_and_export(Path::new("/dev/shm"));
}
