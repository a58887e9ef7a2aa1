//! The real Secret Service: gnome-keyring in the private D-Bus session the
//! test command starts. The device secret lands in the keychain under the
//! vault's id; deleting it with `secret-tool` locks the user out until the
//! recovery key re-enrolls this computer; a missing keychain service gives
//! a clear error at once, and one that never answers gives it once the
//! keychain timeout has passed, never a hang.

use std::process::Command;
use std::time::Duration;

use matterbox_tests::{COMMAND_LIMIT, Home, Run, require_secret_service, run_within};
use matterbox_vault::OsKeychain;

/// No CLI run here may take longer: past it the run is killed and the test
/// fails, so a hang can never stall the suite.
const HARD_LIMIT: Duration = Duration::from_secs(60);

const PASS: &str = "first keychain passphrase";
const NEW_PASS: &str = "second keychain passphrase";

fn secret_tool(args: &[&str]) -> Run {
    Command::new("secret-tool")
        .args(args)
        .output()
        .expect("secret-tool (Debian libsecret-tools) is installed by ./scripts/test.sh")
        .into()
}

fn keychain_value(vault_id: &str) -> Option<String> {
    let user = format!("vault-{vault_id}");
    let run = secret_tool(&["lookup", "service", "matterbox", "username", &user]);
    (run.code == 0 && !run.stdout.is_empty()).then(|| run.stdout.trim().to_string())
}

fn create(home: &Home, vault: &str) -> (String, String) {
    let out = home
        .run(
            vault,
            Some(PASS),
            &["--json", "vault", "create", "--name", vault],
        )
        .ok()
        .json();
    (
        out["vaultId"].as_str().unwrap().to_string(),
        out["recoveryKey"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_device_secret_lives_in_the_keychain_and_the_recovery_key_reenrolls() {
    require_secret_service();
    let home = Home::new();
    let (id, recovery) = create(&home, "office");
    let info = home
        .run("office", None, &["--json", "vault", "info"])
        .ok()
        .json();
    assert_eq!(info["deviceSecretStorage"], "os_keychain");

    let secret = keychain_value(&id).expect("device secret in the Secret Service");
    assert_eq!(secret.len(), 64, "32 bytes in hex");
    // Not in the vault folder, nor anywhere else in this test's files.
    assert!(matterbox_tests::files_containing(home.path(), &secret).is_empty());

    home.run(
        "office",
        Some(PASS),
        &["client", "add", "--name", "Ada Fictional"],
    )
    .ok();
    let wrong = home.run("office", Some("not the passphrase"), &["client", "list"]);
    assert_eq!(wrong.code, 3, "{}", wrong.stderr);

    // Lose the keychain entry: the passphrase alone no longer opens the vault.
    secret_tool(&[
        "clear",
        "service",
        "matterbox",
        "username",
        &format!("vault-{id}"),
    ])
    .ok();
    assert_eq!(keychain_value(&id), None);
    let locked_out = home.run("office", Some(PASS), &["client", "list"]);
    assert_eq!(locked_out.code, 4, "{}", locked_out.stderr);
    assert!(
        locked_out
            .stderr
            .contains("no device secret for this vault"),
        "{}",
        locked_out.stderr
    );
    assert!(
        locked_out.stderr.contains("recovery key"),
        "{}",
        locked_out.stderr
    );

    // The recovery key opens it and enrolls this computer again.
    let mut recover = home.cmd();
    recover
        .arg("--vault")
        .arg(home.vault_dir("office"))
        .args(["--json", "vault", "recover"])
        .env(
            "MATTERBOX_RECOVERY_KEY",
            recovery.to_lowercase().replace('-', " "),
        )
        .env("MATTERBOX_NEW_PASSPHRASE", NEW_PASS);
    let run = run_within(&mut recover, COMMAND_LIMIT).0;
    assert_eq!(run.ok().json()["reenrolled"], true);
    // The new device secret has an entry of its own, named in the header:
    // it was written before the header switched to it.
    let header: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.vault_dir("office").join("vault.json")).unwrap(),
    )
    .unwrap();
    let tag = header["unlock_slot"]["device_secret_entry"]
        .as_str()
        .expect("a re-enrollment names its entry");
    let new_secret = keychain_value(&format!("{id}-{tag}")).expect("a new device secret");
    assert_ne!(new_secret, secret);
    assert_eq!(keychain_value(&id), None);

    let clients = home
        .run("office", Some(NEW_PASS), &["--json", "client", "list"])
        .ok()
        .json();
    assert_eq!(clients[0]["name"], "Ada Fictional");
    assert_eq!(home.run("office", Some(PASS), &["client", "list"]).code, 3);

    let audit = home
        .run("office", Some(NEW_PASS), &["audit", "export"])
        .ok()
        .stdout;
    for action in [
        "vault_created",
        "unlock_failed",
        "recovery_key_used",
        "vault_locked",
    ] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "{action} not audited"
        );
    }
    home.run("office", Some(NEW_PASS), &["audit", "verify"])
        .ok();
}

#[test]
fn several_vaults_keep_separate_keychain_entries() {
    require_secret_service();
    let home = Home::new();
    let (a, _) = create(&home, "alpha");
    let (b, _) = create(&home, "beta");
    let (sa, sb) = (keychain_value(&a).unwrap(), keychain_value(&b).unwrap());
    assert_ne!(sa, sb);
    home.run("alpha", Some(PASS), &["client", "list"]).ok();
    home.run("beta", Some(PASS), &["client", "list"]).ok();
    // Removing one vault's entry leaves the other working.
    secret_tool(&[
        "clear",
        "service",
        "matterbox",
        "username",
        &format!("vault-{a}"),
    ])
    .ok();
    assert_eq!(home.run("alpha", Some(PASS), &["client", "list"]).code, 4);
    home.run("beta", Some(PASS), &["client", "list"]).ok();
}

/// A private session bus with no Secret Service on it. Its configuration
/// names no service folders: the standard session one would start
/// gnome-keyring on demand where it is installed.
struct BareBus {
    child: std::process::Child,
    address: String,
    _config: tempfile::TempDir,
}

const BARE_BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

impl BareBus {
    fn start() -> Self {
        use std::io::BufRead;
        let config = tempfile::tempdir().unwrap();
        let file = config.path().join("bare-session.conf");
        std::fs::write(&file, BARE_BUS_CONFIG).unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", file.display()))
            .args(["--nofork", "--print-address"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian dbus)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(!line.trim().is_empty(), "dbus-daemon printed no address");
        Self {
            child,
            address: line.trim().to_string(),
            _config: config,
        }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_missing_keychain_service_is_a_clear_error_at_once() {
    require_secret_service();
    let home = Home::new();
    let (_id, _) = create(&home, "v");

    let bare = BareBus::start();
    for (label, address) in [
        (
            "no bus at all",
            "unix:path=/nonexistent/matterbox-test-bus".to_string(),
        ),
        ("a bus without a Secret Service", bare.address.clone()),
    ] {
        let mut cmd = home.cmd();
        cmd.arg("--vault")
            .arg(home.vault_dir("v"))
            .args(["client", "list"])
            .env("MATTERBOX_PASSPHRASE", PASS)
            .env("DBUS_SESSION_BUS_ADDRESS", &address);
        let (run, took) = run_within(&mut cmd, HARD_LIMIT);
        assert_eq!(run.code, 4, "{label}: {}", run.stderr);
        assert!(
            run.stderr.contains("Cannot use the keychain"),
            "{label}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("recovery key"),
            "{label}: {}",
            run.stderr
        );
        assert!(took < Duration::from_secs(15), "{label}: took {took:?}");

        // Creating a vault there fails the same way and leaves nothing behind.
        let mut cmd = home.cmd();
        cmd.arg("--vault")
            .arg(home.vault_dir("other"))
            .args(["vault", "create"])
            .env("MATTERBOX_PASSPHRASE", PASS)
            .env("DBUS_SESSION_BUS_ADDRESS", &address);
        let (run, _) = run_within(&mut cmd, HARD_LIMIT);
        assert_eq!(run.code, 4, "{label}: {}", run.stderr);
        assert!(
            !home.vault_dir("other").exists(),
            "{label}: a half-made vault was left"
        );
    }

    // Never a silent fallback: only the explicitly named option uses a file.
    let mut cmd = home.cmd();
    cmd.arg("--vault")
        .arg(home.vault_dir("headless"))
        .args(["vault", "create", "--danger-device-secret-in-plain-file"])
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/matterbox-test-bus",
        );
    let run = run_within(&mut cmd, COMMAND_LIMIT).0;
    run.ok();
}

/// A Secret Service that owns its name on a private bus and never answers
/// a call (tests/python/silent_secret_service.py, on Debian's python3-gi).
struct SilentSecretService {
    child: std::process::Child,
}

impl SilentSecretService {
    fn start(bus: &BareBus) -> Self {
        use std::io::BufRead;
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/silent_secret_service.py"
        );
        // Debian's interpreter: python3-gi is installed for it, not for
        // whatever python3 comes first on PATH.
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 with python3-gi (./scripts/setup.sh --test)");
        // It says "ready" once it owns the name; wait for that, with a bound.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let service = Self { child };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the silent Secret Service did not start within 30 s");
        assert_eq!(
            line.trim(),
            "ready",
            "the silent Secret Service did not start"
        );
        service
    }
}

impl Drop for SilentSecretService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_keychain_that_never_answers_is_a_clear_error_within_the_timeout() {
    require_secret_service();
    let home = Home::new();
    // Made with the real keychain, then unlocked where the keychain is silent.
    let (_id, _) = create(&home, "v");

    let bus = BareBus::start();
    let _silent = SilentSecretService::start(&bus);
    // The Secret Service store gives up on its own after its D-Bus timeout
    // (about 2 s): a 1 s keychain timeout shows the CLI's own bound at work,
    // and the default shows what a user gets.
    for timeout in [Some(1), None] {
        for (action, vault, args) in [
            ("vault create", "new", &["vault", "create"][..]),
            ("unlock", "v", &["client", "list"][..]),
        ] {
            let label = format!("{action}, keychain timeout {timeout:?}");
            let mut cmd = home.cmd();
            cmd.arg("--vault")
                .arg(home.vault_dir(vault))
                .args(args)
                .env("MATTERBOX_PASSPHRASE", PASS)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
            if let Some(secs) = timeout {
                cmd.env("MATTERBOX_KEYCHAIN_TIMEOUT_SECS", secs.to_string());
            } else {
                cmd.env_remove("MATTERBOX_KEYCHAIN_TIMEOUT_SECS");
            }
            let (run, took) = run_within(&mut cmd, HARD_LIMIT);
            assert_eq!(run.code, 4, "{label}: {}", run.stderr);
            assert!(
                run.stderr.contains("Cannot use the keychain"),
                "{label}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains("recovery key"),
                "{label}: {}",
                run.stderr
            );
            // The timeout, plus the key derivation and the start.
            let keychain_timeout =
                timeout.map_or(OsKeychain::default().timeout, Duration::from_secs);
            let bound = keychain_timeout + Duration::from_secs(10);
            assert!(took < bound, "{label}: took {took:?}");
            if timeout.is_some() {
                assert!(
                    run.stderr.contains("did not answer in time"),
                    "{label}: {}",
                    run.stderr
                );
            }
        }
        assert!(
            !home.vault_dir("new").exists(),
            "a half-made vault was left"
        );
    }
}

#[test]
fn the_failed_unlock_count_has_a_sealed_copy_in_the_keychain_that_deleting_files_leaves() {
    require_secret_service();
    let home = Home::new();
    let (id, _) = create(&home, "office");
    for _ in 0..2 {
        let wrong = home.run("office", Some("not the passphrase"), &["client", "list"]);
        assert_eq!(wrong.code, 3, "{}", wrong.stderr);
    }
    // The third copy, beside the device secret, MACed like the files.
    let record_user = format!("vault-{id}-unlock-attempts");
    let lookup = || secret_tool(&["lookup", "service", "matterbox", "username", &record_user]);
    let kept = lookup();
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    assert!(
        kept.stdout.contains(r#"\"consecutive_failures\":2"#) && kept.stdout.contains("\"mac\""),
        "{}",
        kept.stdout
    );
    // Deleting both files resets nothing: the next unlock still reports
    // both failures to the audit log.
    for file in [
        home.vault_dir("office").join("unlock-attempts.json"),
        home.path()
            .join(".local/state/matterbox/unlock-attempts")
            .join(format!("{id}.json")),
    ] {
        std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    let log = home
        .run("office", Some(PASS), &["audit", "export"])
        .ok()
        .stdout;
    assert_eq!(
        log.matches("\"action\":\"unlock_failed\"").count(),
        2,
        "{log}"
    );
    // Once they are in the log, every copy is cleared.
    assert_ne!(lookup().code, 0, "the keychain copy was not cleared");
}
