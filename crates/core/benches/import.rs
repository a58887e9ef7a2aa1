//! Import throughput, each figure beside its references on the same file
//! in the same run:
//!
//! - in memory: a vault and its input in `/dev/shm` (no disk in the way),
//!   `Session::import_document` beside `age -r` (X25519 recipient) and `cp`;
//! - on disk: a vault and its input under `MATTERBOX_BENCH_DISK_DIR` (else
//!   the system's temporary folder), the import (which fsyncs its blob)
//!   beside `cp` + `sync FILE` and `age -r` + `sync FILE`.
//!
//! The input is read once before timing, so every run finds it in the page
//! cache. Each figure is the best of `RUNS`. "CPUs" is the process's CPU
//! time over the import's wall time: above 1 means the read-and-hash and
//! the sealing threads overlapped. The unlock is not timed (the session is
//! open before the first run). Size: `MATTERBOX_BENCH_IMPORT_MIB` (512).
//!
//! Run with `./scripts/with-secret-service.sh cargo bench -p matterbox-core
//! --features test-support --bench import` (needs `age`: `scripts/setup.sh
//! --test` installs it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

const RUNS: usize = 5;

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

fn rate(mib: u64, d: Duration) -> f64 {
    mib as f64 / d.as_secs_f64()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a reference command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `size_mib` MiB from /dev/urandom (incompressible, like scans and PDFs).
fn make_input(path: &Path, size_mib: u64) {
    let mut urandom = std::fs::File::open("/dev/urandom").expect("urandom");
    let mut out = std::fs::File::create(path).expect("input file");
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..size_mib {
        std::io::Read::read_exact(&mut urandom, &mut buf).expect("random bytes");
        out.write_all(&buf).expect("write input");
    }
    out.sync_all().expect("sync input");
    // Read it once so every timed run finds it in the page cache.
    std::io::copy(
        &mut std::fs::File::open(path).expect("input"),
        &mut std::io::sink(),
    )
    .expect("read input");
}

struct Figures {
    import: Duration,
    cpus: f64,
    cp: Duration,
    age: Duration,
}

fn measure(root: &Path, size_mib: u64, on_disk: bool, recipient: &str) -> Figures {
    let work = tempfile::tempdir_in(root).expect("work folder");
    let (mut s, client) = support::vault_with_client(work.path(), "import");
    let matter = support::open_matter(&mut s, client, "Bench matter");
    let input = work.path().join("input.bin");
    make_input(&input, size_mib);
    let sync = |p: &Path| {
        if on_disk {
            run(Command::new("sync").arg(p));
        }
    };
    let timed = |target: &Path, cmd: &mut Command| {
        let t0 = Instant::now();
        run(cmd);
        sync(target);
        let t = t0.elapsed();
        let _ = std::fs::remove_file(target);
        t
    };
    let (cp_out, age_out) = (work.path().join("out.cp"), work.path().join("out.age"));
    let mut f = Figures {
        import: Duration::MAX,
        cpus: 0.0,
        cp: Duration::MAX,
        age: Duration::MAX,
    };
    // Interleaved, so that each gets the same chance of a quiet moment.
    for _ in 0..RUNS {
        let (c0, t0) = (cpu_time(), Instant::now());
        s.import_document(matter, &input, None, true)
            .expect("import");
        let (t, c) = (t0.elapsed(), cpu_time() - c0);
        if t < f.import {
            f.import = t;
            f.cpus = c.as_secs_f64() / t.as_secs_f64();
        }
        f.cp =
            f.cp.min(timed(&cp_out, Command::new("cp").arg(&input).arg(&cp_out)));
        f.age = f.age.min(timed(
            &age_out,
            Command::new("age")
                .arg("-r")
                .arg(recipient)
                .arg("-o")
                .arg(&age_out)
                .arg(&input),
        ));
    }
    s.lock().expect("lock");
    f
}

fn report(label: &str, size_mib: u64, f: &Figures, sync: &str) {
    let (ours, cp, age) = (
        rate(size_mib, f.import),
        rate(size_mib, f.cp),
        rate(size_mib, f.age),
    );
    println!(
        "{label:<10} import {ours:7.0} MiB/s ({:.2} CPUs) | age -r{sync:<7} {age:7.0} MiB/s ({:.2}x) | cp{sync:<7} {cp:7.0} MiB/s ({:.2}x)",
        f.cpus,
        ours / age,
        ours / cp
    );
}

fn main() {
    if Command::new("age").arg("--version").output().is_err() {
        eprintln!("`age` is missing: run scripts/setup.sh --test");
        std::process::exit(2);
    }
    let size_mib: u64 = std::env::var("MATTERBOX_BENCH_IMPORT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let keys = tempfile::tempdir().expect("key folder");
    let key_file = keys.path().join("age.key");
    run(Command::new("age-keygen").arg("-o").arg(&key_file));
    let key = std::fs::read_to_string(&key_file).expect("age key");
    let recipient = key
        .split_whitespace()
        .find(|w| w.starts_with("age1"))
        .expect("age recipient")
        .to_string();
    let disk = std::env::var_os("MATTERBOX_BENCH_DISK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);

    println!("== Import of a {size_mib} MiB file, best of {RUNS} (MiB/s; higher is faster)");
    // Other work on the machine takes CPU from the import's two threads
    // (and from age's and cp's one): the load says how much there was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "(load average {} on {} CPUs)",
        load.split_whitespace().next().unwrap_or("?"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let memory = measure(Path::new("/dev/shm"), size_mib, false, &recipient);
    report("in memory", size_mib, &memory, "");
    let on_disk = measure(&disk, size_mib, true, &recipient);
    report("on disk", size_mib, &on_disk, " + sync");
}
