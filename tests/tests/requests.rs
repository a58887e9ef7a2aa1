//! Data-subject requests (#16 §3) through the `matterbox` binary: the
//! one-month clock with a pause and an extension; "find everything" finds
//! the client, a party under a nickname and a transliterated spelling, a
//! note and documents by their text; marking; erasure refused for a held
//! matter and a retained one (each with its basis and date) and done for a
//! due one through the disposition; the export (documents + JSON + CSV);
//! no name in clear anywhere under the vault, none in the audit log.

use matterbox_tests::{Home, Run, fails_with, files_containing};

const PASS: &str = "a long test passphrase";
/// The requester: a fictional name found nowhere else.
const NAME: &str = "Robert Brankovic";

fn mb(home: &Home, args: &[&str]) -> Run {
    home.run("v", Some(PASS), args)
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

fn open_matter(home: &Home, client: &str, title: &str, opened: &str) -> String {
    json(
        home,
        &[
            "matter", "open", "--client", client, "--title", title, "--opened", opened,
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string()
}

fn add_doc(home: &Home, matter: &str, file: &str, text: &str) -> i64 {
    let f = home.path().join(file);
    std::fs::write(&f, text).unwrap();
    json(home, &["doc", "add", matter, f.to_str().unwrap()])["id"]
        .as_i64()
        .unwrap()
}

struct Vault {
    retained: String,
    held: String,
    due: String,
    other: String,
    own_doc: i64,
    other_doc: i64,
}

/// The requester is a client with three matters (one retained until
/// 2027-06-30, one held, one due), and "Bob Branković" is the adverse
/// party of another client's matter, whose notes and a statement name him.
fn the_vault(home: &Home) -> Vault {
    mb(
        home,
        &[
            "vault",
            "create",
            "--name",
            "Fictional & Co",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok();
    json(home, &["settings", "conflict-check-required", "off"]);
    let client = json(
        home,
        &[
            "client",
            "add",
            "--name",
            NAME,
            "--email",
            "rb@example.invalid",
        ],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let retained = open_matter(home, &client, "Boundary dispute", "2019-02-01");
    json(home, &["matter", "close", &retained, "--on", "2020-06-30"]);
    let held = open_matter(home, &client, "Lease arrears", "2012-03-01");
    json(home, &["matter", "close", &held, "--on", "2013-04-30"]);
    let due = open_matter(home, &client, "Old conveyance", "2010-01-04");
    json(home, &["matter", "close", &due, "--on", "2011-05-31"]);
    json(
        home,
        &[
            "retention",
            "policy",
            "add",
            "--name",
            "Seven years",
            "--years",
            "7",
        ],
    );
    for m in [&retained, &held, &due] {
        json(home, &["retention", "matter", m, "--policy", "1"]);
    }
    json(
        home,
        &[
            "retention",
            "hold",
            "place",
            "--matter",
            &held,
            "--reason",
            "Appeal pending",
        ],
    );
    let own_doc = add_doc(
        home,
        &retained,
        "survey.txt",
        "Survey of the boundary, instructed by Robert Brankovic in 2019.",
    );

    let other_client = json(home, &["client", "add", "--name", "Perpetua Quillfeather"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let other = open_matter(
        home,
        &other_client,
        "Quillfeather v. Neighbour",
        "2024-05-01",
    );
    json(
        home,
        &[
            "matter",
            "add-party",
            &other,
            "--name",
            "Bob Branković",
            "--side",
            "adverse",
            "--role",
            "defendant",
        ],
    );
    json(
        home,
        &[
            "matter",
            "edit",
            &other,
            "--notes",
            "Phone call: Bobby Brankovich threatened to sue.",
        ],
    );
    let other_doc = add_doc(
        home,
        &other,
        "statement.txt",
        "Witness statement: the fence was moved by Bob Branković at night.",
    );
    Vault {
        retained,
        held,
        due,
        other,
        own_doc,
        other_doc,
    }
}

fn item<'a>(request: &'a serde_json::Value, source: &str) -> Vec<&'a serde_json::Value> {
    request["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == source)
        .collect()
}

#[test]
fn a_request_finds_everything_marks_it_exports_it_and_erases_only_what_retention_allows() {
    let home = Home::new();
    let v = the_vault(&home);

    // The clock: received 31 January 2026, due Monday 2 March (28 February
    // is a Saturday).
    let r = json(
        &home,
        &[
            "request",
            "open",
            "--kind",
            "access",
            "--name",
            NAME,
            "--relation",
            "client",
            "--received",
            "2026-01-31",
            "--today",
            "2026-02-10",
        ],
    );
    let id = r["id"].as_i64().unwrap().to_string();
    assert_eq!(r["status"], "received");
    assert_eq!(r["deadline"]["dueOn"], "2026-03-02");
    assert_eq!(r["deadline"]["daysLeft"], 20);

    // Find everything.
    let r = json(&home, &["request", "find", &id, "--today", "2026-02-10"]);
    let clients = item(&r, "client");
    assert_eq!(clients.len(), 1, "{r:#}");
    assert_eq!(clients[0]["label"], NAME);
    let parties = item(&r, "party");
    assert_eq!(parties.len(), 1, "{r:#}");
    assert!(
        parties[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("Bob Branković"),
        "{r:#}"
    );
    assert_eq!(parties[0]["matterNumber"], v.other.as_str());
    let notes = item(&r, "note");
    assert!(
        notes.iter().any(|n| n["matterNumber"] == v.other.as_str()
            && n["label"].as_str().unwrap().starts_with("Notes of matter")),
        "the matter's notes name him as Bobby Brankovich: {r:#}"
    );
    let docs = item(&r, "document");
    let doc_ids: Vec<i64> = docs
        .iter()
        .map(|d| d["documentId"].as_i64().unwrap())
        .collect();
    assert!(doc_ids.contains(&v.own_doc), "{r:#}");
    assert!(
        doc_ids.contains(&v.other_doc),
        "found by the spelling the party list uses: {r:#}"
    );
    // Finding again adds nothing and keeps the numbers.
    let again = json(&home, &["request", "find", &id, "--today", "2026-02-10"]);
    assert_eq!(again["items"], r["items"]);

    // Exporting before every item is marked is refused.
    let out = home.path().join("export");
    fails_with(
        mb(
            &home,
            &["request", "export", &id, "--to", out.to_str().unwrap()],
        ),
        6,
        "Mark every found item",
    );
    // Marking: withholding needs a reason.
    let number = |i: &serde_json::Value| i["number"].as_u64().unwrap().to_string();
    let other_doc_item = docs
        .iter()
        .find(|d| d["documentId"] == v.other_doc)
        .unwrap();
    let withheld = number(other_doc_item);
    fails_with(
        mb(&home, &["request", "mark", &id, &withheld]),
        6,
        "--disclose",
    );
    json(
        &home,
        &["request", "mark", &id, &withheld, "--withhold", "art15-4"],
    );
    for i in r["items"].as_array().unwrap() {
        let n = number(i);
        if n != withheld {
            json(&home, &["request", "mark", &id, &n, "--disclose"]);
        }
    }
    let shown = json(&home, &["request", "show", &id, "--today", "2026-02-10"]);
    let marked = shown["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| number(i) == withheld)
        .unwrap();
    assert_eq!(marked["mark"], "withhold");
    assert_eq!(marked["marks"][0]["reason"], "art15_4");

    // The export: refused into a non-empty folder or inside the vault.
    let full = home.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("x"), "x").unwrap();
    fails_with(
        mb(
            &home,
            &["request", "export", &id, "--to", full.to_str().unwrap()],
        ),
        6,
        "not empty",
    );
    let inside = home.vault_dir("v").join("export");
    fails_with(
        mb(
            &home,
            &["request", "export", &id, "--to", inside.to_str().unwrap()],
        ),
        6,
        "inside the vault",
    );
    assert!(!inside.exists());
    let e = json(
        &home,
        &["request", "export", &id, "--to", out.to_str().unwrap()],
    );
    let written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 3, "{written:?}");
    let doc_file = e["documents"][0].as_str().unwrap();
    assert!(doc_file.ends_with("survey.txt"), "{e:#}");
    assert_eq!(
        std::fs::read_to_string(out.join(doc_file)).unwrap(),
        "Survey of the boundary, instructed by Robert Brankovic in 2019."
    );
    let person: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("person.json")).unwrap()).unwrap();
    assert_eq!(person["requester"], NAME);
    assert_eq!(person["clientRecords"][0]["email"], "rb@example.invalid");
    let numbers: Vec<&str> = person["matters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_str().unwrap())
        .collect();
    for m in [&v.retained, &v.held, &v.due, &v.other] {
        assert!(numbers.contains(&m.as_str()), "{person:#}");
    }
    assert_eq!(person["parties"][0]["matterNumber"], v.other.as_str());
    assert_eq!(
        person["documents"].as_array().unwrap().len(),
        1,
        "withheld stays out"
    );
    let csv = std::fs::read_to_string(out.join("person.csv")).unwrap();
    assert!(csv.starts_with("category,name,matter_number,matter_title,role,detail\n"));
    assert!(csv.contains(&format!("client,{NAME},")), "{csv}");
    assert!(
        csv.contains(&format!("party,Bob Branković (defendant),{},", v.other)),
        "{csv}"
    );
    assert!(!csv.contains("statement.txt"), "{csv}");
    // A second export into the same folder is refused.
    fails_with(
        mb(
            &home,
            &["request", "export", &id, "--to", out.to_str().unwrap()],
        ),
        6,
        "not empty",
    );

    // The clock stops for an identity check and the extension moves it.
    json(
        &home,
        &[
            "request",
            "pause",
            &id,
            "--reason",
            "identity-check",
            "--from",
            "2026-02-12",
        ],
    );
    let paused = json(&home, &["request", "show", &id, "--today", "2026-02-13"]);
    assert!(paused["deadline"]["dueOn"].is_null());
    assert_eq!(paused["deadline"]["paused"], true);
    let r = json(
        &home,
        &[
            "request",
            "resume",
            &id,
            "--on",
            "2026-02-15",
            "--today",
            "2026-02-15",
        ],
    );
    assert_eq!(r["deadline"]["dueOn"], "2026-03-03");
    fails_with(
        mb(
            &home,
            &[
                "request",
                "extend",
                &id,
                "--months",
                "2",
                "--announced",
                "2026-03-04",
                "--reasons",
                "many files",
            ],
        ),
        6,
        "within the first month",
    );
    fails_with(
        mb(
            &home,
            &[
                "request",
                "extend",
                &id,
                "--months",
                "3",
                "--reasons",
                "many files",
            ],
        ),
        2,
        "3",
    );
    let r = json(
        &home,
        &[
            "request",
            "extend",
            &id,
            "--months",
            "2",
            "--announced",
            "2026-02-20",
            "--reasons",
            "Many files across four matters",
            "--today",
            "2026-05-05",
        ],
    );
    // 31 January + 3 months = 30 April, + 3 paused days = Sunday 3 May → Monday.
    assert_eq!(r["deadline"]["dueOn"], "2026-05-04");
    assert_eq!(r["deadline"]["overdue"], true);
    let list = json(&home, &["request", "list", "--today", "2026-05-01"]);
    assert_eq!(list[0]["deadline"]["daysLeft"], 3);
    let closed = json(&home, &["request", "close", &id, "--outcome", "answered"]);
    let history: Vec<&str> = closed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["received", "identity_check", "in_progress", "answered"]
    );
    fails_with(
        mb(&home, &["request", "mark", &id, "1", "--disclose"]),
        6,
        "finished",
    );

    // Erasure: held and retained matters are refused with their basis and
    // date; the due one goes through the disposition.
    let er = json(
        &home,
        &[
            "request",
            "open",
            "--kind",
            "erasure",
            "--name",
            NAME,
            "--relation",
            "client",
            "--received",
            "2026-02-01",
            "--today",
            "2026-02-02",
        ],
    );
    let eid = er["id"].as_i64().unwrap().to_string();
    json(&home, &["request", "find", &eid, "--today", "2026-02-02"]);
    let assessed = json(&home, &["request", "erase", &eid, "--today", "2026-02-02"]);
    let rows = assessed["erasure"].as_array().unwrap();
    let row = |number: &str| {
        rows.iter()
            .find(|r| r["label"].as_str().unwrap().contains(number))
            .unwrap_or_else(|| panic!("no row for {number}: {assessed:#}"))
    };
    let retained = row(&v.retained);
    assert_eq!(retained["outcome"], "refused");
    assert_eq!(retained["possibleFrom"], "2027-06-30");
    assert!(
        retained["basis"]
            .as_str()
            .unwrap()
            .contains("Art. 17(3)(b)")
    );
    let held = row(&v.held);
    assert_eq!(held["outcome"], "refused");
    assert!(held["basis"].as_str().unwrap().contains("Legal hold"));
    assert!(held["basis"].as_str().unwrap().contains("Art. 17(3)(e)"));
    let other = row(&v.other);
    assert_eq!(other["outcome"], "refused");
    assert!(other["basis"].as_str().unwrap().contains("another client"));
    assert_eq!(row(&v.due)["outcome"], "erasable");
    // Nothing was destroyed by the assessment.
    assert_eq!(
        json(&home, &["retention", "register"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Approval asks for the passphrase again: a wrong one destroys nothing.
    let mut wrong = home.cmd();
    wrong
        .arg("--vault")
        .arg(home.vault_dir("v"))
        .args([
            "request",
            "erase",
            &eid,
            "--approve",
            "--today",
            "2026-02-02",
        ])
        .env("MATTERBOX_PASSPHRASE", "not the passphrase");
    let wrong = matterbox_tests::run_within(&mut wrong, std::time::Duration::from_secs(60)).0;
    assert_ne!(wrong.code, 0);
    let report = json(
        &home,
        &[
            "request",
            "erase",
            &eid,
            "--approve",
            "--today",
            "2026-02-02",
        ],
    );
    assert_eq!(report["destroyed"]["matters"], 1);
    let register = json(&home, &["retention", "register"]);
    assert_eq!(register.as_array().unwrap().len(), 1);
    assert_eq!(register[0]["matterNumber"], v.due.as_str());
    let after = &report["request"]["erasure"];
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["outcome"] == "destroyed"
                && r["basis"].as_str().unwrap().contains("certificate")),
        "{after:#}"
    );
    fails_with(mb(&home, &["matter", "show", &v.due]), 7, "");
    json(&home, &["matter", "show", &v.held]);
    json(&home, &["matter", "show", &v.retained]);

    // Bad input: clear errors, nothing saved.
    fails_with(
        mb(
            &home,
            &[
                "request",
                "open",
                "--kind",
                "access",
                "--name",
                " \u{200b} ",
                "--relation",
                "other",
            ],
        ),
        6,
        "invisible",
    );
    fails_with(
        mb(&home, &["request", "show", "99"]),
        7,
        "No data-subject request",
    );
    assert_eq!(
        json(&home, &["request", "list"]).as_array().unwrap().len(),
        2
    );

    // A document that fails its integrity check stops an export, and the
    // export leaves nothing behind: no document, no person.json.
    let again = json(
        &home,
        &[
            "request",
            "open",
            "--kind",
            "portability",
            "--name",
            NAME,
            "--relation",
            "client",
        ],
    );
    let aid = again["id"].as_i64().unwrap().to_string();
    let found = json(&home, &["request", "find", &aid]);
    for i in found["items"].as_array().unwrap() {
        json(&home, &["request", "mark", &aid, &number(i), "--disclose"]);
    }
    for blob in std::fs::read_dir(home.vault_dir("v").join("blobs")).unwrap() {
        let blob = blob.unwrap().path();
        if blob.is_file() {
            let mut bytes = std::fs::read(&blob).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 0xff;
            std::fs::write(&blob, bytes).unwrap();
        }
    }
    let failed = home.path().join("failed-export");
    let run = mb(
        &home,
        &["request", "export", &aid, "--to", failed.to_str().unwrap()],
    );
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        !failed.exists(),
        "a failed export left {:?}",
        std::fs::read_dir(&failed).map(|d| d.count())
    );

    // No name, note or request text in clear anywhere under the vault.
    lock_and_look_for_canaries(&home);
    // The audit log records ids and counts, never names.
    let audit = mb(&home, &["audit", "export"]).ok().stdout;
    for action in [
        "request_opened",
        "request_searched",
        "request_item_marked",
        "request_exported",
        "request_erasure_assessed",
        "request_status_changed",
        "matter_destroyed",
    ] {
        assert!(
            audit.contains(action),
            "{action} missing from the audit log"
        );
    }
    for canary in [
        "Brankovic",
        "Branković",
        "Brankovich",
        "Many files across",
        "Appeal pending",
    ] {
        assert!(!audit.contains(canary), "{canary:?} in the audit log");
    }
    mb(&home, &["audit", "verify"]).ok();
}

fn lock_and_look_for_canaries(home: &Home) {
    for canary in [
        "Brankovic",
        "Branković",
        "Brankovich",
        "Many files across four matters",
        "Witness statement",
    ] {
        let found = files_containing(&home.vault_dir("v"), canary);
        assert!(found.is_empty(), "{canary:?} in clear in {found:?}");
    }
}
