//! The `matterbox` binary as scripts use it: default vault location,
//! secrets from files or the environment (never argv, never a hang without
//! a terminal), `--json`, and the documented exit codes. The device secret
//! goes to the plain-file store here; `secret_service.rs` covers the keychain.

use matterbox_tests::{COMMAND_LIMIT, Home, Run, copy_dir, fails_with, run_within};

const PASS: &str = "a long test passphrase";

fn new_vault(home: &Home, name: &str) -> serde_json::Value {
    home.run(
        name,
        Some(PASS),
        &[
            "--json",
            "vault",
            "create",
            "--name",
            "Fictional & Co",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok()
    .json()
}

fn add_client(home: &Home, name: &str) -> i64 {
    home.run(
        "v",
        Some(PASS),
        &["--json", "client", "add", "--name", name],
    )
    .ok()
    .json()["id"]
        .as_i64()
        .unwrap()
}

/// Also the one vault of these tests made as a user's is: calibrated on
/// this machine (the others take the floor cost, see `Home::cmd`).
#[test]
fn the_default_vault_lives_in_the_users_data_folder() {
    let home = Home::new();
    let mut cmd = home.cmd();
    cmd.args([
        "--json",
        "vault",
        "create",
        "--danger-device-secret-in-plain-file",
    ])
    .env("MATTERBOX_PASSPHRASE", PASS)
    .env_remove("MATTERBOX_DANGER_TEST_KDF_FLOOR");
    let created = run_within(&mut cmd, COMMAND_LIMIT).0;
    let created = created.ok().json();
    assert!(
        created["argon2idMillis"].as_u64().is_some_and(|ms| ms > 0),
        "calibrated, with the time it took: {created}"
    );
    assert!(created["argon2idMemoryKib"].as_u64().unwrap() >= 64 * 1024);
    assert!(created["argon2idIterations"].as_u64().unwrap() >= 3);
    let expected = home.path().join("data/matterbox/vaults/default");
    assert_eq!(created["path"], expected.to_str().unwrap());
    assert!(expected.join("vault.json").is_file());
    assert!(expected.join("vault.db").is_file());
    // Without --vault, later commands find it too.
    let mut list = home.cmd();
    list.args(["--json", "matter", "list"])
        .env("MATTERBOX_PASSPHRASE", PASS);
    let run = run_within(&mut list, COMMAND_LIMIT).0;
    assert_eq!(run.ok().json(), serde_json::json!([]));
    // And the vault list shows it.
    let mut vaults = home.cmd();
    vaults.args(["--json", "vault", "list"]);
    let run = run_within(&mut vaults, COMMAND_LIMIT).0;
    assert_eq!(run.ok().json()[0]["name"], "My practice");
}

#[test]
fn a_vault_whose_header_does_not_read_is_listed_as_unreadable_with_the_reason() {
    let home = Home::new();
    let root = home.path().join("data/matterbox/vaults");
    for name in ["good", "broken"] {
        let mut cmd = home.cmd();
        cmd.arg("--vault")
            .arg(root.join(name))
            .args(["vault", "create", "--name", name])
            .arg("--danger-device-secret-in-plain-file")
            .env("MATTERBOX_PASSPHRASE", PASS);
        Run::from(cmd.output().unwrap()).ok();
    }
    std::fs::write(root.join("broken/vault.json"), "{ not a header").unwrap();

    let mut list = home.cmd();
    list.args(["--json", "vault", "list"]);
    let json = Run::from(list.output().unwrap()).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json[0]["status"], "readable");
    assert_eq!(json[0]["name"], "good");
    assert_eq!(json[1]["status"], "unreadable");
    assert_eq!(json[1]["path"], root.join("broken").to_str().unwrap());
    assert_eq!(json[1]["error"]["code"], "decryption_failed");
    assert!(
        json[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("header is damaged"),
        "{json}"
    );

    let mut list = home.cmd();
    list.args(["vault", "list"]);
    let text = Run::from(list.output().unwrap()).ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("good\t"), "{text}");
    assert!(
        lines[1].starts_with("(cannot be read)\t")
            && lines[1].contains(root.join("broken").to_str().unwrap())
            && lines[1].contains("header is damaged"),
        "{text}"
    );
}

#[test]
fn secrets_come_from_files_or_the_environment_and_never_hang_without_a_terminal() {
    let home = Home::new();
    // No terminal, no file, no variable: a usage error naming the ways in.
    fails_with(
        home.run(
            "v",
            None,
            &["vault", "create", "--danger-device-secret-in-plain-file"],
        ),
        2,
        "--passphrase-file",
    );
    assert!(!home.vault_dir("v").exists());

    let file = home.path().join("pass.txt");
    std::fs::write(&file, format!("{PASS}\n")).unwrap();
    let f = file.to_str().unwrap();
    home.run(
        "v",
        None,
        &[
            "--passphrase-file",
            f,
            "vault",
            "create",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok();
    // The trailing newline of the file is not part of the passphrase.
    home.run("v", Some(PASS), &["client", "list"]).ok();
    home.run("v", None, &["--passphrase-file", f, "client", "list"])
        .ok();

    // A short passphrase is refused before anything is written.
    fails_with(
        home.run(
            "w",
            Some("short"),
            &["vault", "create", "--danger-device-secret-in-plain-file"],
        ),
        6,
        "at least 10 characters",
    );
    assert!(!home.vault_dir("w").exists());
}

#[test]
fn exit_codes_and_json_errors() {
    let home = Home::new();
    fails_with(
        home.run("v", Some(PASS), &["client", "list"]),
        5,
        "No vault at",
    );
    let created = new_vault(&home, "v");
    assert_eq!(created["recoveryKey"].as_str().unwrap().len(), 47);
    assert!(created["argon2idMemoryKib"].as_u64().unwrap() >= 65536);
    assert!(created["argon2idIterations"].as_u64().unwrap() >= 3);
    fails_with(
        home.run(
            "v",
            Some(PASS),
            &["vault", "create", "--danger-device-secret-in-plain-file"],
        ),
        5,
        "already exist",
    );
    fails_with(
        home.run("v", Some("not the passphrase"), &["client", "list"]),
        3,
        "not right",
    );
    // The failure is counted, and the next attempt's wait is said (the app
    // shows it on the unlock screen).
    let info = home
        .run("v", None, &["--json", "vault", "info"])
        .ok()
        .json();
    assert_eq!(info["pendingFailedUnlocks"], 1, "{info}");
    assert!(
        info["unlockWaitSeconds"].as_u64().is_some_and(|s| s <= 1),
        "{info}"
    );

    let ada = add_client(&home, "Ada Fictional");
    let opened = home
        .run(
            "v",
            Some(PASS),
            &[
                "--json",
                "matter",
                "open",
                "--client",
                &ada.to_string(),
                "--title",
                "Lease",
                "--opened",
                "2026-02-01",
            ],
        )
        .ok()
        .json();
    let number = opened["number"].as_str().unwrap().to_string();
    assert_eq!(number, "2026-0001");

    fails_with(
        home.run(
            "v",
            Some(PASS),
            &["matter", "open", "--client", "99", "--title", "Orphan"],
        ),
        6,
        "no client with id 99",
    );
    fails_with(
        home.run(
            "v",
            Some(PASS),
            &[
                "matter",
                "open",
                "--client",
                &ada.to_string(),
                "--title",
                "Twin",
                "--number",
                &number,
            ],
        ),
        6,
        "already in use",
    );
    fails_with(
        home.run("v", Some(PASS), &["client", "add", "--name", "   "]),
        6,
        "cannot be empty",
    );
    fails_with(
        home.run(
            "v",
            Some(PASS),
            &["matter", "close", &number, "--on", "2026-01-15"],
        ),
        6,
        "opened on 2026-02-01",
    );
    fails_with(
        home.run("v", Some(PASS), &["matter", "show", "1999-0001"]),
        7,
        "No matter",
    );

    // --json errors are machine-readable on stderr.
    let run = home.run("v", Some(PASS), &["--json", "matter", "reopen", &number]);
    assert_eq!(run.code, 6);
    let err: serde_json::Value = serde_json::from_str(run.stderr.trim()).unwrap();
    assert_eq!(err["error"]["code"], "validation");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already open")
    );

    // Nothing refused above left a row behind.
    let list = home
        .run("v", Some(PASS), &["--json", "matter", "list"])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn clients_and_matters_from_open_to_close_and_reopen() {
    let home = Home::new();
    new_vault(&home, "v");
    let ada = add_client(&home, "Ada Fictional").to_string();
    let quill = home
        .run(
            "v",
            Some(PASS),
            &[
                "--json",
                "client",
                "add",
                "--name",
                "Quillfeather Holdings",
                "--kind",
                "organization",
                "--alias",
                "QFH",
                "--email",
                "office@quillfeather.example",
            ],
        )
        .ok()
        .json();
    assert_eq!(quill["aliases"], serde_json::json!(["QFH"]));
    let quill = quill["id"].to_string();

    let found = home
        .run(
            "v",
            Some(PASS),
            &["--json", "client", "list", "--search", "qfh"],
        )
        .ok()
        .json();
    assert_eq!(found[0]["name"], "Quillfeather Holdings");
    home.run(
        "v",
        Some(PASS),
        &["client", "edit", &ada, "--phone", "+1 555 0100"],
    )
    .ok();
    let shown = home
        .run("v", Some(PASS), &["--json", "client", "show", &ada])
        .ok()
        .json();
    assert_eq!(shown["client"]["phone"], "+1 555 0100");

    home.run(
        "v",
        Some(PASS),
        &["settings", "number-scheme", "LIT{yy}-{seq:3}"],
    )
    .ok();
    fails_with(
        home.run("v", Some(PASS), &["settings", "number-scheme", "{year}"]),
        6,
        "exactly one {seq}",
    );
    let m = home
        .run(
            "v",
            Some(PASS),
            &[
                "--json",
                "matter",
                "open",
                "--client",
                &quill,
                "--title",
                "Contract claim",
                "--practice-area",
                "Litigation",
                "--opened",
                "2026-03-01",
                "--lawyer",
                "B. Counsel",
            ],
        )
        .ok()
        .json();
    assert_eq!(m["number"], "LIT26-001");
    home.run(
        "v",
        Some(PASS),
        &[
            "matter",
            "open",
            "--client",
            &ada,
            "--title",
            "Will",
            "--practice-area",
            "Estates",
            "--opened",
            "2026-03-02",
        ],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &[
            "matter",
            "add-party",
            "LIT26-001",
            "--name",
            "Nobody Ltd",
            "--side",
            "adverse",
            "--role",
            "defendant",
        ],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &[
            "matter",
            "note",
            "LIT26-001",
            "Claim filed",
            "--on",
            "2026-03-05",
        ],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &[
            "matter",
            "edit",
            "LIT26-001",
            "--title",
            "Contract claim (amended)",
        ],
    )
    .ok();
    home.run(
        "v",
        Some(PASS),
        &["matter", "close", "LIT26-001", "--on", "2026-06-30"],
    )
    .ok();

    let closed = home
        .run(
            "v",
            Some(PASS),
            &["--json", "matter", "list", "--status", "closed"],
        )
        .ok()
        .json();
    assert_eq!(closed.as_array().unwrap().len(), 1);
    assert_eq!(closed[0]["title"], "Contract claim (amended)");
    let by_area = home
        .run(
            "v",
            Some(PASS),
            &["--json", "matter", "list", "--practice-area", "estates"],
        )
        .ok()
        .json();
    assert_eq!(by_area[0]["title"], "Will");

    let shown = home
        .run(
            "v",
            Some(PASS),
            &["--json", "matter", "reopen", "LIT26-001"],
        )
        .ok()
        .json();
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["parties"][0]["side"], "adverse");
    let kinds: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "note", "closed", "reopened"]);

    let human = home
        .run("v", Some(PASS), &["matter", "show", "LIT26-001"])
        .ok();
    assert!(
        human.stdout.contains("Nobody Ltd — defendant (adverse)"),
        "{}",
        human.stdout
    );
}

#[test]
fn passphrase_change_and_audit_export() {
    let home = Home::new();
    new_vault(&home, "v");
    home.run("v", Some("wrong passphrase!"), &["client", "list"]);
    let newfile = home.path().join("new.txt");
    std::fs::write(&newfile, "the second passphrase").unwrap();
    home.run(
        "v",
        Some(PASS),
        &[
            "vault",
            "change-passphrase",
            "--new-passphrase-file",
            newfile.to_str().unwrap(),
        ],
    )
    .ok();
    fails_with(
        home.run("v", Some(PASS), &["client", "list"]),
        3,
        "not right",
    );
    let new = Some("the second passphrase");

    let csv = home.path().join("audit.csv");
    let export_csv = [
        "audit",
        "export",
        "--format",
        "csv",
        "--output",
        csv.to_str().unwrap(),
    ];
    home.run("v", new, &export_csv).ok();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("seq,at,actor,action,object,details,mac\r\n"));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an audit export is the user's alone");
    }
    for action in [
        "vault_created",
        "danger_device_secret_in_plain_file",
        "unlock_failed",
        "passphrase_changed",
    ] {
        assert!(text.contains(action), "{action} missing from\n{text}");
    }
    // An export never overwrites a file, and says so as `doc export`
    // does: invalid input, exit code 6 (it was 2, a usage error).
    let before = std::fs::read(&csv).unwrap();
    fails_with(
        home.run("v", new, &export_csv),
        6,
        "exists already; an export never overwrites a file",
    );
    assert_eq!(std::fs::read(&csv).unwrap(), before);
    let jsonl = home.run("v", new, &["audit", "export"]).ok();
    let last: serde_json::Value =
        serde_json::from_str(jsonl.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "vault_unlocked");
    let verify = home
        .run("v", new, &["--json", "audit", "verify"])
        .ok()
        .json();
    assert_eq!(verify["status"], "intact");
    let info = home
        .run("v", None, &["--json", "vault", "info"])
        .ok()
        .json();
    assert_eq!(info["deviceSecretStorage"], "danger_plain_file");
}

#[test]
fn a_copied_vault_folder_does_not_open_with_the_passphrase_alone() {
    let office = Home::new();
    let created = new_vault(&office, "v");
    add_client(&office, "Ada Fictional");

    // The vault folder is copied to another computer (another home, its own
    // device secrets), as a backup drive or a synced folder would carry it.
    let elsewhere = Home::new();
    copy_dir(&office.vault_dir("v"), &elsewhere.vault_dir("v"));
    fails_with(
        elsewhere.run("v", Some(PASS), &["client", "list"]),
        4,
        "no device secret",
    );

    // Even a guessed device secret with the right passphrase is refused.
    let id = created["vaultId"].as_str().unwrap();
    let secrets = elsewhere.path().join("device-secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    let planted = secrets.join(format!("{id}.device-secret"));
    std::fs::write(&planted, "11".repeat(32)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    fails_with(
        elsewhere.run("v", Some(PASS), &["client", "list"]),
        3,
        "not right",
    );

    // The recovery key opens the copy and enrolls that computer.
    let mut recover = elsewhere.cmd();
    recover
        .arg("--vault")
        .arg(elsewhere.vault_dir("v"))
        .args(["vault", "recover", "--danger-device-secret-in-plain-file"])
        .env(
            "MATTERBOX_RECOVERY_KEY",
            created["recoveryKey"].as_str().unwrap(),
        )
        .env("MATTERBOX_NEW_PASSPHRASE", "a passphrase for this computer");
    let run = run_within(&mut recover, COMMAND_LIMIT).0;
    run.ok();
    let clients = elsewhere
        .run(
            "v",
            Some("a passphrase for this computer"),
            &["--json", "client", "list"],
        )
        .ok()
        .json();
    assert_eq!(clients[0]["name"], "Ada Fictional");
}

/// True if `text` holds a character a terminal would obey or reorder by.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

#[test]
fn names_are_printed_with_control_and_bidi_characters_escaped() {
    let home = Home::new();
    // A vault name with a bidi override and an escape sequence (names
    // come from whoever created the vault, or edited its header).
    let vault_name = "Fictional\u{202e}oC & \u{1b}[2J";
    // Creating one with a control character is refused...
    let refused = home.run(
        "v",
        Some(PASS),
        &[
            "vault",
            "create",
            "--name",
            vault_name,
            "--danger-device-secret-in-plain-file",
        ],
    );
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    home.run(
        "v",
        Some(PASS),
        &[
            "vault",
            "create",
            "--name",
            "Fictional",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok();
    // ...but a header can be edited: what it says is still shown safely.
    let header_path = home.vault_dir("v").join("vault.json");
    let mut header: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&header_path).unwrap()).unwrap();
    header["name"] = vault_name.into();
    std::fs::write(&header_path, serde_json::to_vec_pretty(&header).unwrap()).unwrap();
    let info = home.run("v", None, &["vault", "info"]).ok();
    assert_eq!(raw_controls(&info.stdout), [], "{}", info.stdout);
    assert!(
        info.stdout
            .contains("Name:           Fictional\\u{202e}oC & \\u{1b}[2J\n"),
        "{}",
        info.stdout
    );
    // --json stays exact.
    let json = home
        .run("v", None, &["--json", "vault", "info"])
        .ok()
        .json();
    assert_eq!(json["name"], vault_name);

    // A client name, a matter title and an inbox file name.
    let client = "Ada\u{2066}\u{202e}nosnhoJ\u{2069}";
    let id = add_client(&home, client);
    let number = home
        .run(
            "v",
            Some(PASS),
            &[
                "--json",
                "matter",
                "open",
                "--client",
                &id.to_string(),
                "--title",
                "Lease\u{202d}31",
            ],
        )
        .ok()
        .json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let list = home.run("v", Some(PASS), &["matter", "list"]).ok();
    assert_eq!(raw_controls(&list.stdout), [], "{}", list.stdout);
    assert!(
        list.stdout
            .contains("Lease\\u{202d}31  Ada\\u{2066}\\u{202e}nosnhoJ\\u{2069}"),
        "{}",
        list.stdout
    );
    let inbox = home.path().join("inbox");
    home.run(
        "v",
        Some(PASS),
        &[
            "inbox",
            "settings",
            "--folder",
            inbox.to_str().unwrap(),
            "--quiet-ms",
            "200",
        ],
    )
    .ok();
    std::fs::write(inbox.join("invoice\u{202e}fdp.exe"), b"fictional").unwrap();
    home.run("v", Some(PASS), &["inbox", "scan", "--wait", "20"])
        .ok();
    let unfiled = home.run("v", Some(PASS), &["inbox", "unfiled"]).ok();
    assert_eq!(raw_controls(&unfiled.stdout), [], "{}", unfiled.stdout);
    assert!(
        unfiled.stdout.contains("invoice\\u{202e}fdp.exe"),
        "{}",
        unfiled.stdout
    );
    // Errors quote what was typed: escaped too.
    let run = home.run(
        "v",
        Some(PASS),
        &["matter", "show", &format!("{number}\u{1b}[2J")],
    );
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(raw_controls(&run.stderr), [], "{}", run.stderr);
    assert!(run.stderr.contains("\\u{1b}[2J"), "{}", run.stderr);
}

#[test]
fn bad_input_is_refused_with_a_clear_error_and_nothing_changes() {
    let home = Home::new();
    new_vault(&home, "v");
    let run = |args: &[&str]| home.run("v", Some(PASS), args);
    let ada = add_client(&home, "Ada Fictional").to_string();

    // Number schemes: bounded, and making numbers a folder can take.
    let huge = format!("{}{{seq}}", "A".repeat(100_000));
    fails_with(
        run(&["settings", "number-scheme", &huge]),
        6,
        "at most 100 characters",
    );
    let long_prefix = format!("{}-{{seq}}", "A".repeat(70));
    fails_with(
        run(&["settings", "number-scheme", &long_prefix]),
        6,
        "names its inbox folder",
    );
    assert_eq!(
        run(&["--json", "settings", "number-scheme"]).ok().json()["numberScheme"],
        "{year}-{seq:04}"
    );
    // Reserved folder names, whatever their case.
    for reserved in ["quarantine", "QUARANTINE", "nul"] {
        fails_with(
            run(&[
                "matter", "open", "--client", &ada, "--title", "T", "--number", reserved,
            ]),
            6,
            "reserved folder name",
        );
    }
    // Names that show nothing.
    fails_with(
        run(&["client", "add", "--name", "\u{200b}\u{202e}"]),
        6,
        "only invisible characters",
    );
    // Inbox rules to a matter that does not exist, or with no pattern.
    let inbox = home.path().join("inbox");
    run(&["inbox", "settings", "--folder", inbox.to_str().unwrap()]).ok();
    fails_with(
        run(&[
            "inbox",
            "rule",
            "add",
            "--pattern",
            "*invoice*",
            "--matter",
            "1999-0001",
        ]),
        6,
        "which does not exist",
    );
    fails_with(
        run(&["inbox", "rule", "add", "--pattern", "", "--tag", "x"]),
        6,
        "it is empty",
    );
    assert_eq!(
        run(&["--json", "inbox", "rule", "list"]).ok().json(),
        serde_json::json!([])
    );
    // Retention: a permanent policy with a period; a deferral in the past.
    fails_with(
        run(&[
            "retention",
            "policy",
            "add",
            "--name",
            "Forever",
            "--trigger",
            "permanent",
            "--years",
            "7",
        ]),
        6,
        "has no period",
    );
    let number = run(&[
        "--json", "matter", "open", "--client", &ada, "--title", "Lease",
    ])
    .ok()
    .json()["number"]
        .as_str()
        .unwrap()
        .to_string();
    fails_with(
        run(&[
            "retention",
            "defer",
            "--matter",
            &number,
            "--until",
            "2020-01-01",
        ]),
        6,
        "has passed",
    );
    assert_eq!(
        run(&["--json", "retention", "policy", "list"]).ok().json(),
        serde_json::json!([])
    );
}

#[test]
fn a_written_down_recovery_key_is_checked_without_changing_anything() {
    let home = Home::new();
    let create = |v: &str| {
        home.run(
            v,
            Some(PASS),
            &[
                "--json",
                "vault",
                "create",
                "--danger-device-secret-in-plain-file",
            ],
        )
        .ok()
        .json()["recoveryKey"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (own, other) = (create("v"), create("w"));
    let check = |key: &str| {
        let mut c = home.cmd();
        c.arg("--vault")
            .arg(home.vault_dir("v"))
            .args(["vault", "check-recovery-key"])
            .env("MATTERBOX_PASSPHRASE", PASS)
            .env("MATTERBOX_RECOVERY_KEY", key);
        run_within(&mut c, COMMAND_LIMIT).0
    };
    let header = std::fs::read(home.vault_dir("v").join("vault.json")).ok();
    let ok = check(&own.to_lowercase());
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("opens the vault"), "{}", ok.stdout);
    // Another vault's key is well formed but does not open this one.
    fails_with(check(&other), 3, "does not open this vault");
    // A mistyped group is named before anything is tried.
    let groups: Vec<&str> = own.split('-').collect();
    let swapped = [
        groups[0], groups[1], groups[3], groups[2], groups[4], groups[5], groups[6], groups[7],
    ]
    .join("-");
    let typo = check(&swapped);
    assert_eq!(typo.code, 3, "{}", typo.stderr);
    assert!(
        typo.stderr.to_lowercase().contains("group"),
        "{}",
        typo.stderr
    );
    // Nothing changed: the passphrase still opens, the header is the same.
    home.run("v", Some(PASS), &["client", "list"]).ok();
    assert_eq!(
        std::fs::read(home.vault_dir("v").join("vault.json")).ok(),
        header
    );
    // Each check is audited with its outcome, never the key.
    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    let checks: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("recovery_key_checked"))
        .collect();
    assert_eq!(checks.len(), 2, "{audit}");
    assert!(
        checks[0].contains("true") && checks[1].contains("false"),
        "{checks:?}"
    );
    for g in own.split('-').chain(other.split('-')) {
        assert!(
            !audit.contains(g),
            "a group of a recovery key is in the audit log"
        );
    }
}
