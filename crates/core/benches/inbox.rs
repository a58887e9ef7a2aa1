//! Inbox figures, each beside its reference in the same run:
//! - latency from a file's last write to "ingested and original removed",
//!   p50/p95 for 1 MB files, beside the configured quiet period;
//! - throughput for 500 files dropped at once, beside `cp` of the same
//!   files (and `sync`);
//! - CPU used while watching an idle folder, native events beside polling.
//!
//! Run with `scripts/bench.sh` (it runs every benchmark of the core).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use matterbox_core::Session;
use matterbox_core::inbox::{InboxRunner, InboxSettings, Watching};

const QUIET_MS: u32 = 1500;
const LATENCY_FILES: usize = 30;
const BULK_FILES: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU time (user + system) of this process so far, from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // The kernel's USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

fn session(dir: &Path) -> Session {
    let (mut s, client) = support::vault_with_client(dir, "inbox");
    support::open_matter(&mut s, client, "Bench matter");
    s
}

/// Runs the watcher until `expected` files are ingested; returns when
/// each name was done.
fn watch_until(
    s: &mut Session,
    runner: &mut InboxRunner,
    watching: &Watching,
    expected: usize,
) -> HashMap<String, Instant> {
    let mut done = HashMap::new();
    let mut hinted = true;
    let deadline = Instant::now() + Duration::from_secs(600);
    while done.len() < expected && Instant::now() < deadline {
        if runner.due(hinted, Instant::now()) {
            let pass = runner.pass(s, Instant::now()).expect("pass");
            let at = Instant::now();
            for i in pass.ingested {
                done.insert(i.name, at);
            }
        }
        let interval = runner.tick_interval();
        hinted = watching.wait(runner, interval);
    }
    assert_eq!(done.len(), expected, "not every file was ingested");
    done
}

fn settings(folder: &Path, poll: bool) -> InboxSettings {
    InboxSettings {
        folder: Some(folder.display().to_string()),
        quiet_ms: QUIET_MS,
        poll,
        ..Default::default()
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut s = session(dir.path());
    let folder = dir.path().join("inbox");
    let saved = s
        .set_inbox_settings(&settings(&folder, false), false)
        .expect("inbox settings");
    let mut runner = InboxRunner::with_settings(saved.folder.as_deref().expect("folder"), &saved)
        .expect("runner");
    let watching = Watching::start(&runner, false);

    // Latency: 1 MB files written one after another, 250 ms apart.
    let written: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let writer = {
        let written = Arc::clone(&written);
        let target = folder.join("2026-0001");
        std::fs::create_dir_all(&target).expect("matter folder");
        std::thread::spawn(move || {
            for i in 0..LATENCY_FILES {
                let name = format!("scan-{i:03}.bin");
                let mut f = std::fs::File::create(target.join(&name)).expect("create");
                let mut body = vec![(i % 251) as u8; 1 << 20];
                body[..8].copy_from_slice(&(i as u64).to_le_bytes());
                f.write_all(&body).expect("write");
                drop(f);
                written.lock().expect("lock").insert(name, Instant::now());
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    let done = watch_until(&mut s, &mut runner, &watching, LATENCY_FILES);
    writer.join().expect("writer");
    let written = written.lock().expect("lock");
    let mut latencies: Vec<Duration> = done
        .iter()
        .map(|(name, at)| at.saturating_duration_since(written[name]))
        .collect();
    latencies.sort();
    println!(
        "== Inbox: {LATENCY_FILES} files of 1 MB, last write -> ingested and original removed"
    );
    println!(
        "latency p50 {:7.0} ms   p95 {:7.0} ms   | configured quiet period {QUIET_MS} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
    );

    // Throughput: 500 files of 100 KB dropped at once.
    let source = dir.path().join("bulk-source");
    std::fs::create_dir_all(&source).expect("source");
    let files: Vec<PathBuf> = (0..BULK_FILES)
        .map(|i| {
            let p = source.join(format!("bundle-{i:03}.bin"));
            let mut body = vec![(i % 13) as u8; 100_000];
            body[..8].copy_from_slice(&(i as u64 + 1_000).to_le_bytes());
            std::fs::write(&p, body).expect("source file");
            p
        })
        .collect();
    let copy_to = dir.path().join("bulk-copy");
    std::fs::create_dir_all(&copy_to).expect("copy folder");
    let t = Instant::now();
    let cp = std::process::Command::new("cp")
        .args(&files)
        .arg(&copy_to)
        .status()
        .expect("cp");
    assert!(cp.success());
    let _ = std::process::Command::new("sync").status();
    let t_cp = t.elapsed();
    let target = folder.join("2026-0001");
    let t = Instant::now();
    for p in &files {
        std::fs::rename(p, target.join(p.file_name().expect("name"))).expect("drop");
    }
    watch_until(&mut s, &mut runner, &watching, BULK_FILES);
    let t_inbox = t.elapsed();
    println!("== Inbox: {BULK_FILES} files of 100 KB dropped at once");
    println!(
        "all ingested in {:6.2} s ({:5.0} files/s, incl. the {QUIET_MS} ms quiet period) | cp + sync of the same files {:6.2} s",
        t_inbox.as_secs_f64(),
        BULK_FILES as f64 / t_inbox.as_secs_f64(),
        t_cp.as_secs_f64()
    );

    // Idle CPU: watching an empty folder for 10 s, native beside polling.
    let idle = |runner: &mut InboxRunner, watching: &Watching, s: &mut Session| {
        let cpu0 = cpu_time();
        let t = Instant::now();
        let mut hinted = false;
        while t.elapsed() < Duration::from_secs(10) {
            if runner.due(hinted, Instant::now()) {
                runner.pass(s, Instant::now()).expect("pass");
            }
            let interval = runner.tick_interval();
            hinted = watching.wait(runner, interval);
        }
        (cpu_time() - cpu0).as_secs_f64() / t.elapsed().as_secs_f64() * 100.0
    };
    let native = idle(&mut runner, &watching, &mut s);
    // One runner holds an inbox at a time: let go before the polling one.
    drop(watching);
    drop(runner);
    let polled = settings(&folder, true);
    let mut poll_runner =
        InboxRunner::with_settings(&folder.display().to_string(), &polled).expect("runner");
    let poll_watching = Watching::start(&poll_runner, true);
    let polling = idle(&mut poll_runner, &poll_watching, &mut s);
    println!("== Inbox: watching an idle folder for 10 s (CPU of one core)");
    println!("native events {native:5.2} %   | polling every second {polling:5.2} %");
}
