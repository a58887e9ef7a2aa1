//! Setup shared by the core's benchmarks: a vault in a temporary folder
//! (device secret in a private file, minimum Argon2id cost) with one
//! fictional client, and an unencrypted copy of a database for the
//! reference runs.

use std::path::Path;
use std::time::Duration;

use matterbox_core::domain::ClientInput;
use matterbox_core::vault::{DeviceSecretStorage, KdfCost, Passphrase};
use matterbox_core::{Environment, KdfChoice, NewVault, Session, create_vault};

pub const PASSPHRASE: &str = "benchmark passphrase";

/// The environment of the vaults made under `dir`.
pub fn environment(dir: &Path) -> Environment {
    Environment {
        keychain_timeout: Duration::from_secs(5),
        device_secret_dir: dir.join("device-secrets"),
        actor: "bench".into(),
        attempts_mirror: Some(dir.join("unlock-attempts")),
    }
}

/// A new vault named `name` under `dir`, unlocked, with its recovery key.
pub fn new_vault(dir: &Path, name: &str) -> NewVault {
    create_vault(
        &environment(dir),
        &dir.join("vaults").join(name),
        name,
        &Passphrase::new(PASSPHRASE.into()),
        DeviceSecretStorage::DangerPlainFile,
        KdfChoice::Fixed(KdfCost::MINIMUM),
    )
    .expect("create vault")
}

/// A new vault named `name` under `dir`, unlocked, and its client's id.
#[allow(dead_code)] // the backup benchmark needs the recovery key too
pub fn vault_with_client(dir: &Path, name: &str) -> (Session, i64) {
    let mut s = new_vault(dir, name).session;
    let client = s
        .create_client(&ClientInput {
            name: "Fictional Client".into(),
            ..Default::default()
        })
        .expect("client")
        .id;
    (s, client)
}

/// Opens a matter for `client`; returns its id.
pub fn open_matter(s: &mut Session, client: i64, title: &str) -> i64 {
    s.open_matter(&matterbox_core::domain::MatterInput {
        title: title.into(),
        client_id: client,
        ..Default::default()
    })
    .expect("matter")
    .summary
    .id
}

/// An unencrypted copy of the session's database at `path`, for the
/// reference runs (`sqlcipher_export` into a database with an empty key).
#[allow(dead_code)] // not every benchmark has an unencrypted reference
pub fn plain_copy(s: &Session, path: &Path) -> rusqlite::Connection {
    let conn = s.danger_connection();
    std::fs::File::create(path).expect("plain file");
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [path.to_str().expect("utf-8 path")],
    )
    .expect("attach");
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .expect("export");
    conn.execute_batch("DETACH DATABASE plain").expect("detach");
    rusqlite::Connection::open(path).expect("open plain")
}
