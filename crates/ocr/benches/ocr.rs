//! OCR figures beside the `tesseract` CLI on the same page images:
//! pages per minute, character accuracy, peak memory.
//!
//!   cargo bench -p matterbox-ocr --bench ocr
//!   MATTERBOX_OCR_BENCH_PAGES=20 (default) sets the number of pages.
//!
//! Pages are US Letter at 300 dpi, 40 lines of 12 pt DejaVu Serif each,
//! as PNG files. The crate decodes, measures skew and recognises each page
//! with one engine per thread; the CLI reads the same files, once with all
//! pages in one process (models loaded once, as the crate does) and once a
//! process per page (as most tools call it). Both run with
//! OMP_THREAD_LIMIT=1 (Debian's libtesseract uses OpenMP), so "per thread"
//! means one core each.

#[path = "../tests/corpus/mod.rs"]
mod corpus;

use std::process::Command;
use std::time::{Duration, Instant};

use matterbox_ocr::{Document, Engine, Kind, Limits, Options, PageOutcome};

fn main() {
    // OpenMP reads its limit at start: run again with it set.
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        let status = Command::new(std::env::current_exe().expect("bench binary"))
            .args(std::env::args_os().skip(1))
            .env("OMP_THREAD_LIMIT", "1")
            .status()
            .expect("bench runs");
        std::process::exit(status.code().unwrap_or(1));
    }
    let n: usize = std::env::var("MATTERBOX_OCR_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("temporary folder");
    println!("ocr bench: {n} pages, US Letter 300 dpi (2550 x 3300), 40 lines each, PNG");
    let mut pages = Vec::new();
    let mut files = Vec::new();
    for i in 0..n {
        let page = corpus::render(&corpus::lines(1000 + i as u64, 40, 62), 300);
        let png = corpus::png(&page);
        let path = dir.path().join(format!("page-{i:03}.png"));
        std::fs::write(&path, &png).expect("write page");
        files.push(path);
        pages.push((page.text, png));
    }

    // The crate, one thread.
    let options = Options::default();
    let started = Instant::now();
    let mut engine = Engine::new(&options).expect("engine");
    let startup = started.elapsed();
    let mut texts = Vec::new();
    let started = Instant::now();
    for (_, png) in &pages {
        texts.push(recognise(&mut engine, png));
    }
    let crate_time = started.elapsed();
    let crate_accuracy = mean_accuracy(&pages, &texts);
    let crate_hwm = vm_hwm_kib();

    // The crate, two threads (an engine each, pages split between them).
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let pages = &pages;
            let options = &options;
            s.spawn(move || {
                let mut engine = Engine::new(options).expect("engine");
                for (_, png) in pages.iter().skip(t).step_by(2) {
                    recognise(&mut engine, png);
                }
            });
        }
    });
    let crate_two = started.elapsed();

    // The CLI, all pages in one process.
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .expect("list");
    let started = Instant::now();
    let (out, cli_hwm) = run_measured(
        Command::new("tesseract")
            .arg(&list)
            .arg("-")
            .args(["--psm", "1"]),
    );
    let cli_time = started.elapsed();
    let cli_texts: Vec<String> = out.split('\u{c}').map(str::to_owned).collect();
    let cli_accuracy = mean_accuracy(&pages, &cli_texts[..n.min(cli_texts.len())]);

    // The CLI, a process per page.
    let started = Instant::now();
    let mut per_page_texts = Vec::new();
    for f in &files {
        let (out, _) = run_measured(
            Command::new("tesseract")
                .arg(f)
                .arg("-")
                .args(["--psm", "1"]),
        );
        per_page_texts.push(out);
    }
    let cli_per_page = started.elapsed();

    let ppm = |d: Duration| n as f64 * 60.0 / d.as_secs_f64();
    println!(
        "engine start (models loaded): {:.2} s",
        startup.as_secs_f64()
    );
    println!(
        "matterbox-ocr, 1 thread:         {:6.1} pages/min  accuracy {:.4}  peak memory (VmHWM, whole bench process) {} MiB",
        ppm(crate_time),
        crate_accuracy,
        crate_hwm / 1024
    );
    println!(
        "matterbox-ocr, 2 threads:        {:6.1} pages/min  ({:.2}x one thread)",
        ppm(crate_two),
        crate_time.as_secs_f64() / crate_two.as_secs_f64()
    );
    println!(
        "tesseract CLI, one process:      {:6.1} pages/min  accuracy {:.4}  peak memory {} MiB",
        ppm(cli_time),
        cli_accuracy,
        cli_hwm / 1024
    );
    println!(
        "tesseract CLI, process per page: {:6.1} pages/min  accuracy {:.4}",
        ppm(cli_per_page),
        mean_accuracy(&pages, &per_page_texts)
    );
    println!(
        "ratio crate / CLI (one process, one thread): {:.2}",
        cli_time.as_secs_f64() / crate_time.as_secs_f64()
    );
}

fn recognise(engine: &mut Engine, png: &[u8]) -> String {
    let doc = Document::open(Kind::Png, png, &Limits::default()).expect("opens");
    match engine.recognise_page(&doc, 0).expect("page") {
        PageOutcome::Recognised(t) => t.text.to_string(),
        PageOutcome::HasTextLayer => String::new(),
    }
}

fn mean_accuracy(pages: &[(String, Vec<u8>)], texts: &[String]) -> f64 {
    let sum: f64 = pages
        .iter()
        .zip(texts)
        .map(|((e, _), g)| corpus::accuracy(e, g))
        .sum();
    sum / pages.len() as f64
}

fn vm_hwm_kib() -> u64 {
    hwm(&std::fs::read_to_string("/proc/self/status").unwrap_or_default())
}

fn hwm(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs a command to its end, reading its stdout and sampling its peak
/// resident memory (VmHWM only grows, so the last sample is close to it).
fn run_measured(command: &mut Command) -> (String, u64) {
    let mut child = command
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tesseract runs (Debian tesseract-ocr; scripts/setup.sh --test)");
    let status_path = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).expect("read");
        s
    });
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            peak = peak.max(hwm(&s));
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (reader.join().expect("reader"), peak)
}
