//! Foundation figures, each beside its reference run in the same process:
//!
//! - Argon2id parameters calibrated on this machine;
//! - unlock (passphrase + keychain device secret + database open + audit
//!   entry) beside Argon2id alone and the keychain read alone;
//! - vault open and matter list with 100,000 matters, beside the same
//!   queries on an unencrypted SQLite copy of the same data.
//!
//! Run with `scripts/bench.sh` (it provides the Secret Service).

use std::path::Path;
use std::time::{Duration, Instant};

use matterbox_core::domain::{ClientInput, MatterFilter, MatterStatus};
use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
use matterbox_core::{Environment, KdfChoice, create_vault, unlock};
use matterbox_domain::matters;
use matterbox_vault::{DeviceSecretStore, OsKeychain, Vault};

const RUNS: usize = 7;
const MATTERS: usize = 100_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn ms(d: Duration) -> String {
    format!("{:9.2} ms", d.as_secs_f64() * 1000.0)
}

fn row(label: &str, ours: Duration, reference_label: &str, reference: Duration) {
    println!(
        "{label:<44} {}   | {reference_label:<34} {}   ({:.2}x)",
        ms(ours),
        ms(reference),
        ours.as_secs_f64() / reference.as_secs_f64()
    );
}

fn main() {
    let storage = if std::env::var_os("MATTERBOX_TEST_SECRET_SERVICE").is_some() {
        DeviceSecretStorage::OsKeychain
    } else {
        eprintln!("no private Secret Service: run scripts/bench.sh for the keychain figures");
        std::process::exit(2);
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let env = Environment {
        keychain_timeout: Duration::from_secs(20),
        device_secret_dir: dir.path().join("device-secrets"),
        actor: "bench".into(),
        attempts_mirror: Some(dir.path().join("unlock-attempts")),
    };
    let pass = Passphrase::new("benchmark passphrase".into());

    println!(
        "== Argon2id calibration (target {} ms)",
        KdfCost::TARGET.as_millis()
    );
    let (cost, took) = KdfCost::calibrate(KdfCost::TARGET).expect("calibrate");
    println!(
        "chosen: m = {} MiB, t = {}, p = {}; one run {}",
        cost.memory_kib / 1024,
        cost.iterations,
        cost.parallelism,
        ms(took)
    );

    println!("\n== Unlock, median of {RUNS}");
    let vault_dir = dir.path().join("unlock");
    let created = create_vault(
        &env,
        &vault_dir,
        "Bench",
        &pass,
        storage,
        KdfChoice::Fixed(cost),
    )
    .expect("create vault");
    let vault_id = created.session.vault().id().to_string();
    created.session.lock().expect("lock");
    let unlocks = (0..RUNS)
        .map(|_| {
            let (d, s) = time(|| unlock(&env, &vault_dir, &pass).expect("unlock"));
            s.lock().expect("lock");
            d
        })
        .collect();
    let header = Vault::open(&vault_dir).expect("open").header().clone();
    let argon = (0..RUNS)
        .map(|_| {
            time(|| {
                cost.stretch(&pass, &header.unlock_slot.argon_salt)
                    .expect("argon2")
            })
            .0
        })
        .collect();
    let keychain = OsKeychain::default();
    let reads = (0..RUNS)
        .map(|_| time(|| keychain.load(&vault_id).expect("keychain read")).0)
        .collect();
    let (unlock_t, argon_t, read_t) = (median(unlocks), median(argon), median(reads));
    row(
        "unlock (passphrase + keychain + open)",
        unlock_t,
        "Argon2id alone",
        argon_t,
    );
    row("", unlock_t, "keychain read alone", read_t);

    println!("\n== {MATTERS} matters");
    let big_dir = dir.path().join("big");
    let mut session = create_vault(
        &env,
        &big_dir,
        "Big",
        &pass,
        storage,
        KdfChoice::Fixed(cost),
    )
    .expect("create")
    .session;
    let clients: Vec<i64> = (0..1000)
        .map(|i| {
            session
                .create_client(&ClientInput {
                    name: format!("Fictional Client {i:04}"),
                    ..Default::default()
                })
                .expect("client")
                .id
        })
        .collect();
    let (fill, ()) = time(|| fill_matters(session.danger_connection(), &clients));
    println!("filled in {:.1} s", fill.as_secs_f64());
    session.lock().expect("lock");
    let plain = dir.path().join("plain.db");
    copy_to_plain(&env, &big_dir, &pass, &plain);

    let opens = (0..RUNS)
        .map(|_| {
            let (d, s) = time(|| unlock(&env, &big_dir, &pass).expect("unlock"));
            s.lock().expect("lock");
            d
        })
        .collect();
    row(
        "vault open (unlock, 100k matters)",
        median(opens),
        "unlock of an empty vault",
        unlock_t,
    );

    let session = unlock(&env, &big_dir, &pass).expect("unlock");
    let plain_conn = rusqlite::Connection::open(&plain).expect("open plain");
    let cases: [(&str, MatterFilter); 4] = [
        ("list all 100k", MatterFilter::default()),
        (
            "first page (50)",
            MatterFilter {
                limit: Some(50),
                ..Default::default()
            },
        ),
        (
            "open matters, first 50",
            MatterFilter {
                status: Some(MatterStatus::Open),
                limit: Some(50),
                ..Default::default()
            },
        ),
        (
            "search \"client 0042\"",
            MatterFilter {
                search: Some("client 0042".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, filter) in cases {
        let ours = median(
            (0..RUNS)
                .map(|_| time(|| session.matters(&filter).expect("list")).0)
                .collect(),
        );
        let reference = median(
            (0..RUNS)
                .map(|_| time(|| matters::list(&plain_conn, &filter).expect("list plain")).0)
                .collect(),
        );
        row(
            &format!("matter list: {label}"),
            ours,
            "same query, plain SQLite",
            reference,
        );
    }
    session.lock().expect("lock");
}

/// Inserts the matters in one transaction straight through the domain
/// layer (the audit log would only slow the fill, not the reads).
fn fill_matters(conn: &rusqlite::Connection, clients: &[i64]) {
    conn.execute_batch("BEGIN").expect("begin");
    let areas = ["Litigation", "Estates", "Property", "Corporate", "Family"];
    for i in 0..MATTERS {
        let day = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).expect("date")
            + chrono::Days::new((i % 5000) as u64);
        matters::open(
            conn,
            &matterbox_core::domain::MatterInput {
                title: format!("Matter {i} of a fictional client"),
                client_id: clients[i % clients.len()],
                practice_area: areas[i % areas.len()].into(),
                opened_on: Some(day),
                ..Default::default()
            },
        )
        .expect("open matter");
    }
    conn.execute_batch("COMMIT").expect("commit");
}

/// An unencrypted copy of the vault database, same schema and rows.
fn copy_to_plain(env: &Environment, dir: &Path, pass: &Passphrase, plain: &Path) {
    let session = unlock(env, dir, pass).expect("unlock");
    let conn = session.danger_connection();
    // The vault connection may not create files: make the (empty) file first.
    std::fs::File::create(plain).expect("create plain database file");
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [plain.to_str().expect("utf-8 path")],
    )
    .expect("attach");
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .expect("export");
    conn.execute_batch("DETACH DATABASE plain").expect("detach");
    session.lock().expect("lock");
}
