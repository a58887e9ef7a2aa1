//! The incident register through the `matterbox` binary: a scripted
//! history (each CLI command is one unlock … lock session; documents of
//! three clients exported inside a window, one before and one after),
//! the scope of incidents over that window and over a gap when the vault
//! was locked, a tampered audit log that makes scope refuse the
//! safe-harbour claim, a vault copied to another computer that cannot
//! speak for the old device past its last entry, the clocks and a late
//! notice, the report, and no name or notice text in clear under the
//! vault folder or in the audit export.

use matterbox_tests::{COMMAND_LIMIT, Home, Run, files_containing, run_within};
use matterbox_vault::{RecoveryKey, Vault};

const PASS: &str = "a long test passphrase";
const CANARY_CLIENT: &str = "Quillon Fernsby-Marrowgate";
const CANARY_NOTICE: &str = "Zephyrine notice wording 7Q3X";

fn mb(home: &Home, args: &[&str]) -> Run {
    home.run("v", Some(PASS), args)
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

/// The audit log as exported: one JSON object per entry.
fn audit(home: &Home) -> Vec<serde_json::Value> {
    mb(home, &["audit", "export"])
        .ok()
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn details(e: &serde_json::Value) -> serde_json::Value {
    serde_json::from_str(e["details"].as_str().unwrap()).unwrap()
}

struct Setup {
    recovery: String,
    /// Document id by client name.
    docs: Vec<(String, String)>,
}

/// A vault with four clients, one matter and one document each.
fn vault(home: &Home) -> Setup {
    let created = json(
        home,
        &[
            "vault",
            "create",
            "--name",
            "Fictional Chambers",
            "--danger-device-secret-in-plain-file",
        ],
    );
    let recovery = created["recoveryKey"].as_str().unwrap().to_string();
    let mut docs = Vec::new();
    for (i, name) in [
        "Ada Fictional",
        "Bertram Imaginary",
        CANARY_CLIENT,
        "Dora Madeup",
    ]
    .iter()
    .enumerate()
    {
        let client = json(home, &["client", "add", "--name", name])["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let matter = json(
            home,
            &["matter", "open", "--client", &client, "--title", "Advice"],
        )["number"]
            .as_str()
            .unwrap()
            .to_string();
        let file = home.path().join(format!("letter-{i}.txt"));
        std::fs::write(&file, format!("A fictional letter number {i}.")).unwrap();
        let doc = json(home, &["doc", "add", &matter, file.to_str().unwrap()])["id"]
            .as_i64()
            .unwrap()
            .to_string();
        docs.push((name.to_string(), doc));
    }
    Setup { recovery, docs }
}

fn export(home: &Home, doc: &str, n: usize) {
    let out = home.path().join(format!("export-{doc}-{n}.txt"));
    mb(
        home,
        &["doc", "export", doc, "--output", out.to_str().unwrap()],
    )
    .ok();
}

/// The unlock and lock times of the session of the `nth` export of `doc`.
fn session_bounds(entries: &[serde_json::Value], doc: &str, nth: usize) -> (String, String) {
    let export = entries
        .iter()
        .filter(|e| e["action"] == "document_exported" && e["object"] == format!("document:{doc}"))
        .nth(nth)
        .unwrap();
    let session = details(export)["session"].clone();
    let at = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && details(e)["session"] == session)
            .unwrap_or_else(|| panic!("no {action} for session {session}"))["at"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (at("vault_unlocked"), at("vault_locked"))
}

fn this_device(home: &Home) -> String {
    let devices = json(home, &["incident", "devices"]);
    devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["thisDevice"] == true)
        .unwrap()["device"]
        .as_str()
        .unwrap()
        .to_string()
}

fn open_incident(home: &Home, from: &str, to: &str, device: &str) -> String {
    json(
        home,
        &[
            "incident",
            "open",
            "--title",
            "Laptop stolen from a parked car",
            "--kind",
            "confidentiality",
            "--cause",
            "stolen-device",
            "--from",
            from,
            "--to",
            to,
            "--aware",
            to,
            "--device",
            device,
        ],
    )["incident"]["reference"]
        .as_str()
        .unwrap()
        .to_string()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    let mut n: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

/// Shifts an RFC 3339 time by `ms` milliseconds.
fn shift(at: &str, ms: i64) -> String {
    (chrono::DateTime::parse_from_rfc3339(at).unwrap() + chrono::Duration::milliseconds(ms))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[test]
fn scope_finds_the_three_clients_opened_in_the_window_and_the_locked_gap_before_it() {
    let home = Home::new();
    let setup = vault(&home);
    let doc = |name: &str| {
        setup
            .docs
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    // Before the window: Dora's letter. In the window: three clients'
    // letters, each in its own session. After it: Dora's again. No other
    // command runs in between.
    export(&home, &doc("Dora Madeup"), 1);
    export(&home, &doc("Ada Fictional"), 1);
    export(&home, &doc("Bertram Imaginary"), 1);
    export(&home, &doc(CANARY_CLIENT), 1);
    export(&home, &doc("Dora Madeup"), 2);
    let entries = audit(&home);
    let dora = session_bounds(&entries, &doc("Dora Madeup"), 0);
    let first = session_bounds(&entries, &doc("Ada Fictional"), 0);
    let last = session_bounds(&entries, &doc(CANARY_CLIENT), 0);
    let (locked_at, first_unlock, window_end) = (dora.1, first.0, last.1);
    // Every unlock, lock and export says on which device, in which session.
    for e in entries.iter().filter(|e| {
        ["vault_unlocked", "vault_locked", "document_exported"]
            .contains(&e["action"].as_str().unwrap())
    }) {
        let d = details(e);
        assert!(d["device"].is_string() && d["session"].is_string(), "{e}");
    }
    let device = this_device(&home);
    assert_eq!(device.len(), 16);

    // The window: unlocked, three clients' documents accessed.
    let inc = open_incident(&home, &first_unlock, &window_end, &device);
    assert_eq!(inc, format!("INC-{}-001", &window_end[..4]));
    let scope = json(&home, &["incident", "scope", &inc]);
    assert_eq!(scope["chainIntact"], true, "{scope:#}");
    assert_eq!(scope["verification"]["status"], "intact");
    assert!(
        scope["statements"][0]
            .as_str()
            .unwrap()
            .contains("verified first")
    );
    assert_eq!(
        names(&scope["accessedClients"]),
        ["Ada Fictional", "Bertram Imaginary", CANARY_CLIENT]
    );
    let accessed = scope["accessed"].as_array().unwrap();
    assert_eq!(accessed.len(), 3);
    assert!(
        accessed
            .iter()
            .all(|d| d["actions"] == serde_json::json!(["document_exported"]))
    );
    // Exposed: everything in the vault, Dora's letter too.
    assert_eq!(scope["exposed"].as_array().unwrap().len(), 4);
    assert_eq!(scope["exposedClients"].as_array().unwrap().len(), 4);
    assert_eq!(scope["safeHarbourSupported"], false);
    assert_eq!(scope["devices"][0]["lockedThroughout"], false);

    // The gap between Dora's session and the first in the window: locked.
    let gap = open_incident(
        &home,
        &shift(&locked_at, 1),
        &shift(&first_unlock, -1),
        &device,
    );
    assert_eq!(gap, format!("INC-{}-002", &window_end[..4]));
    let scope = json(&home, &["incident", "scope", &gap]);
    assert_eq!(scope["devices"][0]["lockedThroughout"], true, "{scope:#}");
    assert_eq!(scope["safeHarbourSupported"], true);
    assert!(scope["accessed"].as_array().unwrap().is_empty());
    assert!(scope["exposed"].as_array().unwrap().is_empty());
    let text = mb(&home, &["incident", "scope", &gap]).ok().stdout;
    assert!(text.contains("keys were not on the device"), "{text}");

    // Scope is audited by counts, never by names.
    let entries = audit(&home);
    let computed: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "incident_scope_computed")
        .collect();
    assert_eq!(computed.len(), 3);
    assert_eq!(details(computed[0])["accessed_clients"], 3);

    // A tampered log: scope says so and claims nothing.
    let key = database_key_hex(&home, &setup.recovery);
    let conn = rusqlite::Connection::open(home.vault_dir("v").join("vault.db")).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))
        .unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
         UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let scope = json(&home, &["incident", "scope", &gap]);
    assert_eq!(scope["chainIntact"], false, "{scope:#}");
    assert_eq!(scope["verification"]["status"], "broken");
    assert_eq!(scope["safeHarbourSupported"], false);
    assert!(
        scope["statements"][0]
            .as_str()
            .unwrap()
            .contains("does NOT verify"),
        "{scope:#}"
    );
    let text = mb(&home, &["incident", "scope", &gap]).ok().stdout;
    assert!(
        text.contains("safe harbour supported by the log: no"),
        "{text}"
    );
}

fn database_key_hex(home: &Home, recovery_key: &str) -> String {
    let vault = Vault::open(&home.vault_dir("v")).unwrap();
    let master = vault
        .danger_master_key_from_recovery(&RecoveryKey::parse(recovery_key).unwrap())
        .unwrap();
    vault.danger_database_key_hex(&master).to_string()
}

#[test]
fn clocks_decision_notices_and_the_report_and_nothing_in_clear() {
    let home = Home::new();
    vault(&home);
    let device = this_device(&home);
    // Aware four days ago: the 72-hour clock has passed.
    let aware = (chrono::Utc::now() - chrono::Duration::days(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let from = (chrono::Utc::now() - chrono::Duration::days(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let inc = json(
        &home,
        &[
            "incident",
            "open",
            "--title",
            "Laptop lost on a train",
            "--kind",
            "confidentiality",
            "--cause",
            "lost-device",
            "--from",
            &from,
            "--to",
            &aware,
            "--aware",
            &aware,
            "--device",
            &device,
            "--rule",
            "gdpr-authority",
            "--rule",
            "aba-483-client",
            "--description",
            CANARY_NOTICE,
        ],
    );
    let reference = inc["incident"]["reference"].as_str().unwrap().to_string();
    let clocks = inc["clocks"].as_array().unwrap();
    assert_eq!(clocks[0]["rule"]["id"], "gdpr-authority");
    assert_eq!(clocks[0]["state"], "overdue");
    assert_eq!(clocks[1]["state"], "no_fixed_period");
    let shown = mb(&home, &["incident", "show", &reference]).ok().stdout;
    assert!(shown.contains("OVERDUE"), "{shown}");

    // Bad input: clear errors, nothing changed.
    let bad = mb(
        &home,
        &[
            "incident",
            "open",
            "--title",
            "x",
            "--kind",
            "integrity",
            "--cause",
            "other",
            "--from",
            "yesterday",
            "--to",
            &aware,
            "--aware",
            &aware,
        ],
    );
    assert_eq!(bad.code, 6, "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
    let bad = mb(&home, &["incident", "show", "INC-1999-001"]);
    assert_ne!(bad.code, 0);
    assert_eq!(
        json(&home, &["incident", "list"]).as_array().unwrap().len(),
        1
    );

    // The decision, then a late notice needs reasons for the delay.
    json(
        &home,
        &[
            "incident",
            "update",
            &reference,
            "--likelihood",
            "medium",
            "--severity",
            "high",
            "--rationale",
            "Client files on the device.",
            "--decision",
            "notify",
            "--decision-reason",
            "The laptop held unencrypted exports.",
            "--event-at",
            &aware,
            "--event",
            "Police report filed",
        ],
    );
    let template = mb(
        &home,
        &["incident", "template", &reference, "--to", "authority"],
    )
    .ok()
    .stdout;
    assert!(
        template.contains(&reference) && template.contains("(c) Likely consequences"),
        "{template}"
    );
    let text_file = home.path().join("notice.txt");
    std::fs::write(&text_file, format!("{template}\n{CANARY_NOTICE}\n")).unwrap();
    let late = mb(
        &home,
        &[
            "incident",
            "notify",
            &reference,
            "--to",
            "authority",
            "--recipient",
            "Fictional Data Protection Office",
            "--channel",
            "web form",
            "--rule",
            "gdpr-authority",
            "--text-file",
            text_file.to_str().unwrap(),
        ],
    );
    assert_eq!(late.code, 6, "{}", late.stderr);
    assert!(
        late.stderr.contains("reasons for the delay"),
        "{}",
        late.stderr
    );
    let v = json(
        &home,
        &[
            "incident",
            "notify",
            &reference,
            "--to",
            "authority",
            "--recipient",
            "Fictional Data Protection Office",
            "--channel",
            "web form",
            "--rule",
            "gdpr-authority",
            "--text-file",
            text_file.to_str().unwrap(),
            "--delay-reasons",
            "The loss was reported to us late.",
        ],
    );
    let notice = &v["incident"]["notices"][0];
    let sent = std::fs::read_to_string(&text_file).unwrap();
    assert_eq!(notice["text"], sent.as_str(), "kept verbatim");
    assert_eq!(
        notice["sha256"],
        matterbox_core::breach::notice_hash(&sent).as_str()
    );
    assert_eq!(v["clocks"][0]["state"], "met_late");
    // Notified needs the incident's own reasons for the delay.
    let refused = mb(
        &home,
        &["incident", "update", &reference, "--status", "notified"],
    );
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    json(
        &home,
        &[
            "incident",
            "update",
            &reference,
            "--status",
            "notified",
            "--delay-reasons",
            "The loss was reported to us on day four.",
        ],
    );
    let back = mb(
        &home,
        &["incident", "update", &reference, "--status", "open"],
    );
    assert_eq!(back.code, 6, "{}", back.stderr);

    let report = mb(&home, &["incident", "report", &reference]).ok().stdout;
    for want in [
        "INCIDENT REPORT",
        "SCOPE FROM THE AUDIT LOG",
        "verified first",
        "Police report filed",
        "gdpr-authority",
        "Art. 33(1)",
        "SHA-256 of the text",
        CANARY_NOTICE,
        "Reasons for delay",
    ] {
        assert!(report.contains(want), "{want} missing from:\n{report}");
    }

    // Nothing in clear in the vault folder; the log has ids and counts.
    let dir = home.vault_dir("v");
    for needle in [
        CANARY_NOTICE,
        CANARY_CLIENT,
        "Fictional Data Protection Office",
        "Police report filed",
    ] {
        assert!(
            files_containing(&dir, needle).is_empty(),
            "{needle} in clear"
        );
    }
    let export = mb(&home, &["audit", "export"]).ok().stdout;
    for needle in [
        CANARY_NOTICE,
        "Fictional Data Protection Office",
        "Police report filed",
        "Laptop lost",
    ] {
        assert!(!export.contains(needle), "{needle} in the audit log");
    }
    for action in [
        "incident_opened",
        "incident_updated",
        "incident_notice_recorded",
        "incident_report_printed",
    ] {
        assert!(export.contains(action), "{action} not audited");
    }
}

#[test]
fn a_copy_recovered_on_another_computer_speaks_for_the_old_laptop_only_up_to_its_last_entry() {
    let laptop = Home::new();
    let setup = vault(&laptop);
    let device = this_device(&laptop);
    // The vault folder reaches another computer, which enrolls with the recovery key.
    let desk = Home::new();
    matterbox_tests::copy_dir(&laptop.vault_dir("v"), &desk.vault_dir("v"));
    let mut recover = desk.cmd();
    recover
        .arg("--vault")
        .arg(desk.vault_dir("v"))
        .args(["vault", "recover", "--danger-device-secret-in-plain-file"])
        .env("MATTERBOX_RECOVERY_KEY", &setup.recovery)
        .env("MATTERBOX_NEW_PASSPHRASE", PASS);
    let run = run_within(&mut recover, COMMAND_LIMIT).0;
    run.ok();
    assert_ne!(
        this_device(&desk),
        device,
        "a new enrollment is a new device"
    );
    // The laptop's last entry in this copy (the lock of its last session).
    let entries = audit(&desk);
    let last = entries
        .iter()
        .rev()
        .find(|e| details(e)["device"] == device.as_str())
        .unwrap();
    assert_eq!(last["action"], "vault_locked");
    let last = last["at"].as_str().unwrap().to_string();
    // As scope writes times (a zero fraction dropped).
    let last_shown = chrono::DateTime::parse_from_rfc3339(&last)
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    // Stolen after its last recorded lock: this copy cannot say what
    // happened on it since.
    let inc = open_incident(&desk, &shift(&last, 1000), &shift(&last, 2000), &device);
    let scope = json(&desk, &["incident", "scope", &inc]);
    assert_eq!(scope["chainIntact"], true, "{scope:#}");
    assert_eq!(scope["safeHarbourSupported"], false);
    assert_eq!(scope["devices"][0]["knownUntil"], last_shown.as_str());
    let statement = scope["devices"][0]["statement"].as_str().unwrap();
    assert!(statement.contains("not known"), "{scope:#}");
    assert!(
        statement.contains(&format!(
            "last recorded state was locked (since {last_shown})"
        )),
        "{statement}"
    );
}

/// The "done when", over a real backup and restore: the laptop's
/// three clients' documents opened that week are found from the copy
/// restored on another computer. The copy cannot show the laptop locked
/// after the snapshot (the backup ran in an unlocked session whose lock
/// came after it), so no safe-harbour claim is made — and scope says why.
#[test]
fn a_vault_restored_on_another_computer_finds_the_week_s_three_clients_and_claims_no_more_than_it_knows()
 {
    let laptop = Home::new();
    let setup = vault(&laptop);
    let device = this_device(&laptop);
    for name in ["Ada Fictional", "Bertram Imaginary", CANARY_CLIENT] {
        let doc = &setup.docs.iter().find(|(n, _)| n == name).unwrap().1;
        export(&laptop, doc, 1);
    }
    let entries = audit(&laptop);
    let week_from = shift(entries[0]["at"].as_str().unwrap(), -1);
    let dest = laptop.path().join("backup-drive");
    std::fs::create_dir(&dest).unwrap();
    let mut c = laptop.cmd();
    c.arg("--vault")
        .arg(laptop.vault_dir("v"))
        .args(["--json", "backup", "run", "--to"])
        .arg(&dest)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("TMPDIR", laptop.path());
    let run = run_within(&mut c, COMMAND_LIMIT).0;
    run.ok();

    // An hour later, on another computer.
    let desk = Home::new();
    let mut c = desk.cmd();
    c.arg("--vault")
        .arg(desk.vault_dir("v"))
        .args([
            "--json",
            "backup",
            "restore",
            "--danger-device-secret-in-plain-file",
            "--from",
        ])
        .arg(&dest)
        .env("MATTERBOX_RECOVERY_KEY", &setup.recovery)
        .env("MATTERBOX_NEW_PASSPHRASE", PASS);
    let run = run_within(&mut c, COMMAND_LIMIT).0;
    let restored = run.ok().json();
    let taken_at = chrono::DateTime::parse_from_rfc3339(restored["takenAt"].as_str().unwrap())
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let stolen = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let inc = open_incident(&desk, &week_from, &stolen, &device);
    let scope = json(&desk, &["incident", "scope", &inc]);
    assert_eq!(scope["chainIntact"], true, "{scope:#}");
    assert_eq!(
        names(&scope["accessedClients"]),
        ["Ada Fictional", "Bertram Imaginary", CANARY_CLIENT]
    );
    assert_eq!(scope["safeHarbourSupported"], false);
    let laptop_scope = &scope["devices"][0];
    assert_eq!(laptop_scope["device"], device.as_str());
    assert_eq!(laptop_scope["lockedThroughout"], false);
    assert!(
        laptop_scope["statement"]
            .as_str()
            .unwrap()
            .contains("no recorded lock"),
        "{scope:#}"
    );
    // The report for the regulator says all of it.
    let report = json(&desk, &["incident", "report", &inc]);
    let report = report.as_str().unwrap();
    assert!(
        report.contains("verified first") && report.contains(CANARY_CLIENT),
        "{report}"
    );

    // The theft as the done-when has it: after the backup was taken. This
    // copy's log ends at the backup, so it says it has no evidence after
    // that time — never that the laptop was locked, nor that it saw an
    // unlock in the window.
    let after_backup = (chrono::Utc::now() - chrono::Duration::milliseconds(500))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let now = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let later = open_incident(&desk, &after_backup, &now, &device);
    let scope = json(&desk, &["incident", "scope", &later]);
    assert_eq!(scope["chainIntact"], true, "{scope:#}");
    assert_eq!(scope["safeHarbourSupported"], false, "{scope:#}");
    let laptop_scope = &scope["devices"][0];
    assert_eq!(laptop_scope["lockedThroughout"], false);
    assert_eq!(laptop_scope["evidenceEndsAtBackup"], taken_at.as_str());
    let statement = laptop_scope["statement"].as_str().unwrap();
    assert!(
        statement.starts_with(&format!(
            "This copy of the vault was restored from a backup taken at {taken_at}: its audit log holds no evidence about device {device} after that time."
        )),
        "{statement}"
    );
    assert!(
        !statement.contains("locked for the whole window")
            && !statement.contains("was unlocked on device"),
        "{statement}"
    );
    let report = json(&desk, &["incident", "report", &later]);
    let report = report.as_str().unwrap();
    assert!(
        report.contains("holds no evidence about device")
            && report.contains("Encryption safe harbour supported by the log: no"),
        "{report}"
    );
}

const CANARY_RECIPIENT: &str = "Wrongly Addressed Ophelius Brandywhisk";

/// Shares `doc` as an age package for `whom`; returns the share record.
fn share(home: &Home, doc: &str, whom: &str) -> serde_json::Value {
    let out = home.path().join("packages");
    std::fs::create_dir_all(&out).unwrap();
    json(
        home,
        &[
            "share",
            "create",
            "--documents",
            doc,
            "--words",
            "6",
            "--for",
            whom,
            "--to",
            out.to_str().unwrap(),
        ],
    )["share"]
        .clone()
}

#[test]
fn scope_lists_the_package_shared_in_the_window_with_its_documents_and_no_other() {
    let home = Home::new();
    let setup = vault(&home);
    let doc = |name: &str| {
        setup
            .docs
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    // Dora's letter before the window, the canary client's letter inside
    // it (to the wrong person), Ada's after it.
    let before = share(&home, &doc("Dora Madeup"), "Dora Madeup");
    let inside = share(&home, &doc(CANARY_CLIENT), CANARY_RECIPIENT);
    let after = share(&home, &doc("Ada Fictional"), "Ada Fictional");
    let at = |s: &serde_json::Value| s["createdAt"].as_str().unwrap().to_string();
    let (from, to) = (shift(&at(&before), 1), shift(&at(&after), -1));
    assert!(from <= at(&inside) && at(&inside) <= to);
    let device = this_device(&home);
    let inc = open_incident(&home, &from, &to, &device);

    let scope = json(&home, &["incident", "scope", &inc]);
    let shared = scope["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{scope:#}");
    let p = &shared[0];
    assert_eq!(p["shareId"], inside["id"]);
    assert_eq!(p["createdAt"], inside["createdAt"]);
    assert_eq!(p["recipient"], CANARY_RECIPIENT);
    assert_eq!(p["format"], "age");
    assert_eq!(p["protection"], "passphrase_words");
    assert_eq!(p["clientName"], CANARY_CLIENT);
    let docs = p["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["documentId"].to_string(), doc(CANARY_CLIENT));
    assert_eq!(docs[0]["clientName"], CANARY_CLIENT);
    assert!(docs[0]["matterNumber"].is_string());
    assert_eq!(names(&scope["sharedClients"]), [CANARY_CLIENT]);
    assert_eq!(scope["sharedClients"][0]["documents"], 1);
    assert_eq!(scope["sharedMatters"].as_array().unwrap().len(), 1);
    assert!(
        scope["statements"].as_array().unwrap().iter().any(|s| s
            .as_str()
            .unwrap()
            .contains("1 package(s) holding 1 document(s)")),
        "{scope:#}"
    );

    // The text says the same, package by package.
    let text = mb(&home, &["incident", "scope", &inc]).ok().stdout;
    assert!(
        text.contains("Shared: 1 package(s), 1 document(s), 1 matter(s), 1 client(s)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("to {CANARY_RECIPIENT} (age, passphrase words)")),
        "{text}"
    );
    assert!(!text.contains("to Dora Madeup") && !text.contains("to Ada Fictional"));
    // The regulator's report carries it too.
    let report = mb(&home, &["incident", "report", &inc]).ok().stdout;
    assert!(report.contains(CANARY_RECIPIENT), "{report}");

    // A window with no share lists none.
    let empty = open_incident(
        &home,
        &shift(&at(&after), 1),
        &shift(&at(&after), 2),
        &device,
    );
    let scope = json(&home, &["incident", "scope", &empty]);
    assert!(scope["shared"].as_array().unwrap().is_empty(), "{scope:#}");

    // The log holds counts, never a name or the recipient.
    let entries = audit(&home);
    let computed = entries
        .iter()
        .find(|e| e["action"] == "incident_scope_computed")
        .unwrap();
    let d = details(computed);
    assert_eq!(
        (
            &d["shared_packages"],
            &d["shared_documents"],
            &d["shared_clients"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    let log = mb(&home, &["audit", "export"]).ok().stdout;
    assert!(!log.contains(CANARY_CLIENT) && !log.contains(CANARY_RECIPIENT));
    for needle in [CANARY_CLIENT, CANARY_RECIPIENT] {
        assert!(
            files_containing(&home.vault_dir("v"), needle).is_empty(),
            "{needle} in clear"
        );
    }
}

/// The receipts (#17's "done when" with evidence): the laptop's lock after
/// its backup leaves a signed lock receipt in the backup folder; the copy
/// restored on another computer, whose log ends at the backup, reads it
/// and says the laptop was locked when the theft's window began, citing
/// the receipt. An edited receipt is refused and the claim goes with it.
#[test]
fn a_lock_receipt_in_the_backup_folder_shows_a_restored_copy_the_laptop_was_locked() {
    let laptop = Home::new();
    let setup = vault(&laptop);
    let device = this_device(&laptop);
    let doc = &setup
        .docs
        .iter()
        .find(|(n, _)| n == CANARY_CLIENT)
        .unwrap()
        .1;
    export(&laptop, doc, 1);
    let dest = laptop.path().join("backup-drive");
    std::fs::create_dir(&dest).unwrap();
    let mut c = laptop.cmd();
    c.arg("--vault")
        .arg(laptop.vault_dir("v"))
        .args(["--json", "backup", "run", "--to"])
        .arg(&dest)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("TMPDIR", laptop.path());
    run_within(&mut c, COMMAND_LIMIT).0.ok();
    // The backup command's own lock, after the snapshot, left a receipt.
    let receipts_dir = dest.join("matterbox-lock-receipts");
    let receipts: Vec<std::path::PathBuf> = std::fs::read_dir(&receipts_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&device)
        })
        .collect();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&receipts[0]).unwrap()).unwrap();
    let body: serde_json::Value = serde_json::from_str(receipt["body"].as_str().unwrap()).unwrap();
    // Ids, a time and the audit head: nothing else.
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "auditMac", "auditSeq", "device", "format", "lockedAt", "vaultId"
        ]
    );
    assert_eq!(body["device"], device.as_str());
    let locked_at = chrono::DateTime::parse_from_rfc3339(body["lockedAt"].as_str().unwrap())
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert!(
        files_containing(&dest, CANARY_CLIENT).is_empty(),
        "a client's name in clear in the backup folder"
    );

    // Stolen later; on another computer, the backup is restored.
    let desk = Home::new();
    let mut c = desk.cmd();
    c.arg("--vault")
        .arg(desk.vault_dir("v"))
        .args([
            "--json",
            "backup",
            "restore",
            "--danger-device-secret-in-plain-file",
            "--from",
        ])
        .arg(&dest)
        .env("MATTERBOX_RECOVERY_KEY", &setup.recovery)
        .env("MATTERBOX_NEW_PASSPHRASE", PASS);
    let restored = run_within(&mut c, COMMAND_LIMIT).0.ok().json();
    let taken_at = restored["takenAt"].as_str().unwrap().to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&taken_at).unwrap()
            < chrono::DateTime::parse_from_rfc3339(body["lockedAt"].as_str().unwrap()).unwrap(),
        "the receipt is later than the snapshot"
    );
    let from = (chrono::Utc::now() - chrono::Duration::milliseconds(200))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let to = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let inc = open_incident(&desk, &from, &to, &device);
    let scope = json(&desk, &["incident", "scope", &inc]);
    assert_eq!(scope["chainIntact"], true, "{scope:#}");
    let laptop_scope = &scope["devices"][0];
    assert_eq!(
        laptop_scope["lockedByReceipt"],
        locked_at.as_str(),
        "{scope:#}"
    );
    assert_eq!(laptop_scope["lockedThroughout"], false);
    assert_eq!(scope["receiptsRefused"], 0);
    assert_eq!(scope["exposed"].as_array().unwrap().len(), 0, "{scope:#}");
    let statement = laptop_scope["statement"].as_str().unwrap();
    assert!(
        statement.contains("holds no evidence about device")
            && statement.contains(&format!(
                "verified with the vault's key, shows the vault was locked there at {locked_at}"
            )),
        "{statement}"
    );
    let audit_entries = audit(&desk);
    let computed = audit_entries
        .iter()
        .rev()
        .find(|e| e["action"] == "incident_scope_computed")
        .unwrap();
    assert_eq!(details(computed)["receipts_used"], 1);

    // An edited receipt (the time moved) is refused: no claim from it.
    let later = body["lockedAt"].as_str().unwrap().replace(
        &body["lockedAt"].as_str().unwrap()[..4],
        &(body["lockedAt"].as_str().unwrap()[..4]
            .parse::<i32>()
            .unwrap()
            + 1)
        .to_string(),
    );
    let edited = serde_json::json!({
        "body": receipt["body"].as_str().unwrap().replace(body["lockedAt"].as_str().unwrap(), &later),
        "mac": receipt["mac"],
    });
    std::fs::write(&receipts[0], serde_json::to_vec(&edited).unwrap()).unwrap();
    let scope = json(&desk, &["incident", "scope", &inc]);
    let laptop_scope = &scope["devices"][0];
    assert_eq!(
        laptop_scope["lockedByReceipt"],
        serde_json::Value::Null,
        "{scope:#}"
    );
    assert!(scope["receiptsRefused"].as_i64().unwrap() >= 1, "{scope:#}");
    let statements = scope["statements"].to_string();
    assert!(
        statements.contains("did not verify with this vault's key")
            && !statements.contains("shows the vault was locked there"),
        "{statements}"
    );
    assert_eq!(scope["safeHarbourSupported"], false);
}

/// A lock whose backup folder is not reachable (the drive unplugged) still
/// locks, and the next unlock warns that no receipt was left; once the
/// drive is back the receipt is written and the warning goes.
#[test]
fn a_lock_receipt_not_written_never_fails_the_lock_and_is_a_warning_at_the_next_unlock() {
    let home = Home::new();
    vault(&home);
    let dest = home.path().join("backup-drive");
    std::fs::create_dir(&dest).unwrap();
    let mut c = home.cmd();
    c.arg("--vault")
        .arg(home.vault_dir("v"))
        .args(["--json", "backup", "run", "--to"])
        .arg(&dest)
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("TMPDIR", home.path());
    run_within(&mut c, COMMAND_LIMIT).0.ok();
    let count = || std::fs::read_dir(dest.join("matterbox-lock-receipts")).map_or(0, |d| d.count());
    assert_eq!(count(), 1);
    let marker = home.vault_dir("v").join("lock-receipt-failed");
    assert!(!marker.exists());

    let away = home.path().join("drive-in-the-drawer");
    std::fs::rename(&dest, &away).unwrap();
    let run = mb(&home, &["client", "list"]).ok();
    assert!(!run.stderr.contains("lock receipt"), "{}", run.stderr);
    assert!(!dest.exists(), "the unplugged drive's folder was created");
    let noted = std::fs::read_to_string(&marker).unwrap();
    assert!(
        noted.len() <= 30 && chrono::DateTime::parse_from_rfc3339(&noted).is_ok(),
        "{noted}"
    );
    let run = mb(&home, &["client", "list"]).ok();
    assert!(
        run.stderr
            .contains("could not leave its lock receipt at the backup folder"),
        "{}",
        run.stderr
    );

    std::fs::rename(&away, &dest).unwrap();
    // The warning of the second lock, then a receipt written at this lock.
    let run = mb(&home, &["client", "list"]).ok();
    assert!(run.stderr.contains("could not leave its lock receipt"));
    assert!(!marker.exists());
    assert_eq!(count(), 2);
    let run = mb(&home, &["client", "list"]).ok();
    assert!(!run.stderr.contains("lock receipt"), "{}", run.stderr);
    assert_eq!(count(), 3);
}
