//! Packaging throughput (#18 figures): writing one share package of
//! `MATTERBOX_BENCH_SHARE_MIB` MiB (1,024) of documents in
//! `MATTERBOX_BENCH_SHARE_DOCS` files (40; random bytes, incompressible
//! like scans and PDFs), beside the `age` and `7z` CLIs on the same
//! decrypted files in the same run:
//!
//! - Matterbox age to a passphrase, age to an X25519 key, and AES-256 zip
//!   (each with its signed manifest and the package's SHA-256);
//! - `tar c | age -r KEY` (the age CLI's passphrase mode needs a terminal;
//!   the payload cipher is the same, only the key wrap differs);
//! - `7z a -tzip -mem=AES256 -mx=0 -p…` (the same container as Matterbox's
//!   zip) and `7z a -p…` with its defaults (7z format, LZMA2).
//!
//! This measures packaging, not reading from the vault: the documents are
//! plain files read from the page cache (read once before timing), as the
//! CLIs see them. Files go under `MATTERBOX_BENCH_DISK_DIR` (else
//! `/var/tmp`); about three times the size is needed.
//!
//! Run with `cargo bench -p matterbox-share --bench package` (needs `age`
//! and `7z`: `scripts/setup.sh --test`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use matterbox_share::{
    Entry, Format, PackageInfo, Passphrase, PassphraseKind, Signer, parse_recipient, write_package,
};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes `docs` files of random bytes, `total` bytes in all.
fn documents(dir: &Path, docs: u64, total: u64) -> Vec<(PathBuf, u64)> {
    std::fs::create_dir_all(dir).expect("documents folder");
    let mut chunk = vec![0u8; 1 << 20];
    let mut out = Vec::new();
    for i in 0..docs {
        let size = total / docs + u64::from(i < total % docs);
        let path = dir.join(format!("document-{i:03}.pdf"));
        let mut f = BufWriter::new(File::create(&path).expect("create a document"));
        let mut left = size;
        while left > 0 {
            getrandom::fill(&mut chunk).expect("random bytes");
            let n = left.min(chunk.len() as u64) as usize;
            f.write_all(&chunk[..n]).expect("write a document");
            left -= n as u64;
        }
        f.flush().expect("write a document");
        out.push((path, size));
    }
    out
}

fn matterbox(format: &Format, files: &[(PathBuf, u64)], out: &Path) -> Duration {
    let signer = Signer::generate().expect("signing key");
    let info = PackageInfo {
        package_id: "bench".into(),
        from: "Fictional Chambers".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    let entries: Vec<Entry> = files
        .iter()
        .map(|(p, size)| Entry {
            name: p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned(),
            size: *size,
        })
        .collect();
    let start = Instant::now();
    let file = BufWriter::new(File::create(out).expect("create the package"));
    let mut fill = |i: usize, sink: &mut dyn Write| -> io::Result<()> {
        let mut f = File::open(&files[i].0)?;
        io::copy(&mut f, sink)?;
        Ok(())
    };
    let written = write_package(file, format, &info, &entries, &signer, &mut fill)
        .expect("write the package");
    let took = start.elapsed();
    assert!(written.package_size >= files.iter().map(|f| f.1).sum::<u64>());
    took
}

fn timed(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().expect("run the reference tool");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn main() {
    for tool in ["age", "7z"] {
        if Command::new(tool).arg("--help").output().is_err() {
            eprintln!("`{tool}` is missing: run scripts/setup.sh --test");
            std::process::exit(1);
        }
    }
    let mib = env_number("MATTERBOX_BENCH_SHARE_MIB", 1024).max(1);
    let docs = env_number("MATTERBOX_BENCH_SHARE_DOCS", 40).max(1);
    let base =
        std::env::var_os("MATTERBOX_BENCH_DISK_DIR").map_or("/var/tmp".into(), PathBuf::from);
    let work = tempfile::tempdir_in(base).expect("work folder");
    let input = work.path().join("documents");
    let files = documents(&input, docs, mib << 20);
    // Read once so every run finds the documents in the page cache.
    for (p, _) in &files {
        io::copy(
            &mut File::open(p).expect("open a document"),
            &mut io::sink(),
        )
        .expect("read a document");
    }
    let keys = work.path().join("age.key");
    let keygen = Command::new("age-keygen")
        .arg("-o")
        .arg(&keys)
        .output()
        .expect("run age-keygen");
    assert!(keygen.status.success());
    let public = String::from_utf8_lossy(&keygen.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("Public key: ").map(str::to_string))
        .expect("age-keygen prints the public key");
    let password = Passphrase::generate(PassphraseKind::Random).expect("password");
    let out = work.path().join("out");
    let reset = || {
        let _ = std::fs::remove_file(&out);
    };
    let rate = |d: Duration| mib as f64 / d.as_secs_f64();
    println!("share packaging: {mib} MiB in {docs} documents (random bytes), one run each");
    let line = |label: &str, d: Duration| {
        println!(
            "  {label:<40} {:7.2} s  {:7.1} MiB/s",
            d.as_secs_f64(),
            rate(d)
        );
        reset();
    };
    let words =
        Format::AgePassphrase(Passphrase::generate(PassphraseKind::Words(8)).expect("passphrase"));
    line(
        "matterbox age (passphrase)",
        matterbox(&words, &files, &out),
    );
    let key = Format::AgeRecipient(parse_recipient(&public).expect("age public key"));
    line("matterbox age (X25519 key)", matterbox(&key, &files, &out));
    let zip = Format::Zip {
        password: Passphrase::generate(PassphraseKind::Random).expect("password"),
        hide_names: false,
    };
    line("matterbox zip (AES-256)", matterbox(&zip, &files, &out));
    line(
        "tar c | age -r (X25519 key)",
        timed(
            Command::new("sh")
                .arg("-c")
                .arg("tar -cf - -C \"$1\" . | age -r \"$2\" -o \"$3\"")
                .arg("sh")
                .arg(&input)
                .arg(&public)
                .arg(&out),
        ),
    );
    let out_zip = work.path().join("out.zip");
    line(
        "7z a -tzip -mem=AES256 -mx=0 -p",
        timed(
            Command::new("7z")
                .args(["a", "-bd", "-tzip", "-mem=AES256", "-mx=0"])
                .arg(format!("-p{}", password.expose()))
                .arg(&out_zip)
                .arg(&input),
        ),
    );
    let _ = std::fs::remove_file(&out_zip);
    let out_7z = work.path().join("out.7z");
    line(
        "7z a -p (7z defaults: LZMA2, AES-256)",
        timed(
            Command::new("7z")
                .args(["a", "-bd"])
                .arg(format!("-p{}", password.expose()))
                .arg(&out_7z)
                .arg(&input),
        ),
    );
    let _ = std::fs::remove_file(&out_7z);
}
