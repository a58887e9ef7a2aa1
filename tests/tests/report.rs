//! The compliance report through the `matterbox` binary (#17 §2, §3): a
//! vault with two clients, matters, documents, a hold, a destruction, a
//! consent due, an open request, an incident, a policy with an
//! acknowledgement and a training. Every section's numbers are checked
//! against the registers' own `--json` outputs; the client-scoped report
//! holds no name, matter number or document title of the other client;
//! two reports at the same time are identical; written to a new private
//! file only; audited with counts only; and the policy and training texts
//! are nowhere in clear in the vault folder.

use std::collections::BTreeSet;

use matterbox_tests::{Home, Run, files_containing};
use serde_json::Value;

const PASS: &str = "a long test passphrase";
const ADA: &str = "Ada Quorvath-Fictional";
const BRUNO: &str = "Bruno Zellweger-Imaginary";
const BRUNO_MATTER_TITLE: &str = "Zellweger boundary dispute";
const BRUNO_DOC: &str = "Zellweger-survey-plan.txt";
/// Canaries of §3: recorded through the feature, never in clear on disk.
const POLICY_TEXT: &str = "Quillfeatherly screens lock after five minutes, always.";
const PERSON: &str = "Petronella Staffington-Vexley";
const TRAINING: &str = "Phishing drills of the Vexmoor kind";

fn mb(home: &Home, args: &[&str]) -> Run {
    home.run("v", Some(PASS), args)
}

fn json(home: &Home, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn day(offset_days: i64) -> String {
    (today() + chrono::Duration::days(offset_days)).to_string()
}

fn add_doc(home: &Home, number: &str, name: &str, text: &str) {
    let f = home.path().join(name);
    std::fs::write(&f, text).unwrap();
    mb(home, &["doc", "add", number, f.to_str().unwrap()]).ok();
    std::fs::remove_file(&f).unwrap();
}

fn open_matter(home: &Home, client: &str, title: &str, opened: &str, area: &str) -> String {
    json(
        home,
        &[
            "matter",
            "open",
            "--client",
            client,
            "--title",
            title,
            "--opened",
            opened,
            "--practice-area",
            area,
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string()
}

struct Vault {
    home: Home,
    ada_matters: Vec<String>,
    bruno_matter: String,
}

fn build() -> Vault {
    let home = Home::new();
    mb(
        &home,
        &[
            "vault",
            "create",
            "--name",
            "Fictional & Co",
            "--danger-device-secret-in-plain-file",
        ],
    )
    .ok();
    json(
        &home,
        &[
            "client",
            "add",
            "--name",
            ADA,
            "--email",
            "ada@example.invalid",
        ],
    );
    json(
        &home,
        &["client", "add", "--name", BRUNO, "--phone", "+00 0000"],
    );
    // Ada: an estate closed long ago (due for destruction now), a lease
    // (held), and an old file destroyed already.
    let estate = open_matter(
        &home,
        "1",
        "Estate of the late Quorvath",
        "2015-01-01",
        "Probate",
    );
    let lease = open_matter(&home, "1", "Quorvath lease", "2020-01-01", "Property");
    let gone = open_matter(&home, "1", "Quorvath old probate", "2010-01-01", "Probate");
    add_doc(&home, &estate, "Quorvath-will.txt", "a fictional will");
    add_doc(&home, &lease, "Quorvath-lease.txt", "a fictional lease");
    add_doc(
        &home,
        &gone,
        "Quorvath-inventory.txt",
        "a fictional inventory",
    );
    // Bruno: one open matter, held.
    let bruno = open_matter(&home, "2", BRUNO_MATTER_TITLE, "2024-01-01", "Property");
    add_doc(&home, &bruno, BRUNO_DOC, "a fictional survey");

    mb(
        &home,
        &[
            "retention",
            "policy",
            "add",
            "--name",
            "Estates - 6 years",
            "--years",
            "6",
        ],
    )
    .ok();
    mb(&home, &["retention", "area", "Probate", "--policy", "1"]).ok();
    mb(&home, &["matter", "close", &estate, "--on", "2019-05-01"]).ok();
    mb(&home, &["matter", "close", &gone, "--on", "2012-01-01"]).ok();
    json(
        &home,
        &[
            "retention",
            "destroy",
            "--matter",
            &gone,
            "--today",
            &day(0),
        ],
    );
    for (number, reason) in [(&lease, "Lease dispute"), (&bruno, "Boundary claim")] {
        mb(
            &home,
            &[
                "retention",
                "hold",
                "place",
                "--matter",
                number,
                "--reason",
                reason,
            ],
        )
        .ok();
    }
    // A consent covering both clients, given orally yesterday: its written
    // confirmation is due.
    json(
        &home,
        &[
            "consent",
            "record",
            "--kind",
            "email-communication",
            "--client",
            "1",
            "--client",
            "2",
            "--scope",
            "Plain e-mail is fine",
            "--given",
            "oral",
            "--on",
            &day(-1),
        ],
    );
    // Ada asked for her data; the search finds her records.
    let r = json(
        &home,
        &[
            "request",
            "open",
            "--kind",
            "access",
            "--name",
            ADA,
            "--relation",
            "client",
            "--received",
            &day(-3),
        ],
    );
    let rid = r["id"].as_i64().unwrap().to_string();
    json(&home, &["request", "find", &rid]);
    // An incident whose title names Bruno's matter.
    let from = format!("{}T09:00:00Z", day(-2));
    let to = format!("{}T10:00:00Z", day(-2));
    json(
        &home,
        &[
            "incident",
            "open",
            "--title",
            "Laptop with the Zellweger file stolen",
            "--kind",
            "confidentiality",
            "--cause",
            "stolen-device",
            "--from",
            &from,
            "--to",
            &to,
            "--aware",
            &to,
        ],
    );
    json(
        &home,
        &[
            "policy",
            "add",
            "Information security",
            "--topic",
            "information security",
            "--text",
            POLICY_TEXT,
            "--effective",
            "2025-01-15",
        ],
    );
    json(
        &home,
        &[
            "policy",
            "ack",
            "1",
            "--person",
            PERSON,
            "--on",
            "2025-02-01",
        ],
    );
    json(
        &home,
        &[
            "training",
            "add",
            TRAINING,
            "--on",
            "2025-03-01",
            "--attendee",
            PERSON,
            "--material",
            "1",
        ],
    );
    Vault {
        home,
        ada_matters: vec![estate, lease],
        bruno_matter: bruno,
    }
}

/// A time after everything was recorded: the last audit entry's.
fn settled_time(home: &Home) -> String {
    let log = mb(home, &["audit", "export"]).ok().stdout;
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    last["at"].as_str().unwrap().to_string()
}

fn report(home: &Home, extra: &[&str]) -> String {
    let mut args = vec!["report"];
    args.extend_from_slice(extra);
    mb(home, &args).ok().stdout
}

fn count(list: &Value, kind: &str) -> i64 {
    arr(list).iter().filter(|x| x["kind"] == kind).count() as i64
}

#[test]
fn the_report_reconciles_with_every_register_and_is_the_same_twice() {
    matterbox_tests::require_secret_service();
    let v = build();
    let home = &v.home;
    let at = settled_time(home);
    let today = today();
    let r: Value = serde_json::from_str(&report(home, &["--at", &at, "--format", "json"])).unwrap();
    assert_eq!(r["scope"]["kind"], "whole");
    assert_eq!(r["at"], at);

    // Every section says when its evidence was taken.
    for s in [
        "protections",
        "audit",
        "users",
        "inventory",
        "retention",
        "holds",
        "destructionRegister",
        "backups",
        "incidents",
        "consentsDue",
        "requests",
        "policies",
    ] {
        assert!(
            r[s]["evidenceAt"].as_str().is_some_and(|t| !t.is_empty()),
            "{s}: {r}"
        );
    }

    // Protections: from the header and the settings.
    // (The CLI has no auto-lock setting: a new vault's default of 10 minutes.)
    assert_eq!(r["protections"]["data"]["autoLockSeconds"], 600);
    assert_eq!(
        r["protections"]["data"]["deviceSecretStorage"],
        "danger_plain_file"
    );

    // Audit: verified, cut at the report's time.
    let a = &r["audit"]["data"];
    assert_eq!(a["verification"], "intact", "{a}");
    assert_eq!(a["headAt"], at);
    let log = mb(home, &["audit", "export"]).ok().stdout;
    let upto = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["at"].as_str().unwrap() <= at.as_str())
        .count() as i64;
    assert_eq!(a["entries"], upto);
    let actors: Vec<&str> = arr(&r["users"]["data"]["actors"])
        .iter()
        .map(|u| u["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors.len(), 1, "{actors:?}");
    assert_eq!(r["users"]["data"]["devices"].as_array().unwrap().len(), 1);

    // Inventory against the client, matter and document lists.
    let inv = &r["inventory"]["data"];
    assert_eq!(
        inv["clients"],
        arr(&json(home, &["client", "list"])).len() as i64
    );
    let matters = json(home, &["matter", "list"]);
    assert_eq!(inv["matters"], arr(&matters).len() as i64);
    let docs: i64 = arr(&matters)
        .iter()
        .map(|m| arr(&json(home, &["doc", "list", m["number"].as_str().unwrap()])).len() as i64)
        .sum();
    assert_eq!(inv["documents"], docs);
    assert_eq!(
        (inv["clients"].as_i64(), inv["matters"].as_i64(), docs),
        (Some(2), Some(3), 3)
    );
    let areas: Vec<(String, i64, i64)> = arr(&inv["byPracticeArea"])
        .iter()
        .map(|a| {
            (
                a["practiceArea"].as_str().unwrap().into(),
                a["matters"].as_i64().unwrap(),
                a["documents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(areas, [("Probate".into(), 1, 1), ("Property".into(), 2, 2)]);
    let category = |name: &str| {
        arr(&inv["personalData"])
            .iter()
            .find(|c| c["category"] == name)
            .unwrap_or_else(|| panic!("{name}: {inv}"))["records"]
            .clone()
    };
    assert_eq!(category("Contact details: e-mail"), 1);
    assert_eq!(category("Contact details: telephone"), 1);
    assert_eq!(category("Consent records"), 1);
    assert_eq!(category("Data-subject requests"), 1);

    // Retention outlook: the register's own "due" at each horizon.
    for h in arr(&r["retention"]["data"]["horizons"]) {
        let due = json(
            home,
            &["retention", "due", "--today", h["by"].as_str().unwrap()],
        );
        assert_eq!(h["matters"], count(&due, "matter"), "{h}");
        assert_eq!(h["documents"], count(&due, "document"), "{h}");
    }
    assert_eq!(r["retention"]["data"]["horizons"][0]["matters"], 1);

    // Holds and the destruction register.
    let holds = json(home, &["retention", "hold", "list"]);
    let ids =
        |v: &Value| -> Vec<i64> { arr(v).iter().map(|x| x["id"].as_i64().unwrap()).collect() };
    assert_eq!(ids(&r["holds"]["data"]), ids(&holds));
    assert_eq!(ids(&holds).len(), 2);
    let register = json(home, &["retention", "register"]);
    let d = &r["destructionRegister"]["data"];
    assert_eq!(ids(&d["entries"]), ids(&register));
    assert_eq!(d["matters"], count(&register, "matter"));
    assert_eq!(d["documents"], count(&register, "document"));
    assert_eq!(
        (d["matters"].as_i64(), d["documents"].as_i64()),
        (Some(1), Some(1))
    );

    // Backups: none yet.
    assert_eq!(r["backups"]["data"]["lastVerifiedBackup"], "none");
    assert_eq!(r["backups"]["data"]["lastRestoreDrill"], "none");

    // Incidents, consents, requests.
    let incidents = json(home, &["incident", "list"]);
    let refs = |v: &Value| -> BTreeSet<String> {
        arr(v)
            .iter()
            .map(|x| x["reference"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(refs(&r["incidents"]["data"]), refs(&incidents));
    assert_eq!(refs(&incidents).len(), 1);
    let consents = json(
        home,
        &[
            "consent",
            "due",
            "--within",
            "90",
            "--today",
            &today.to_string(),
        ],
    );
    assert_eq!(r["consentsDue"]["data"], consents);
    assert_eq!(arr(&consents).len(), 1);
    let requests = json(home, &["request", "list", "--today", &today.to_string()]);
    let open: Vec<&Value> = arr(&requests)
        .iter()
        .filter(|q| !["answered", "refused", "withdrawn"].contains(&q["status"].as_str().unwrap()))
        .collect();
    assert_eq!(arr(&r["requests"]["data"]).len(), open.len());
    assert_eq!(open.len(), 1);
    assert_eq!(
        r["requests"]["data"][0]["dueOn"],
        open[0]["deadline"]["dueOn"]
    );

    // Policies and training.
    let p = &r["policies"]["data"];
    let policies = json(home, &["policy", "list"]);
    assert_eq!(arr(&p["policies"]).len(), arr(&policies).len());
    assert_eq!(p["policies"][0]["acknowledgedBy"][0], PERSON);
    assert_eq!(p["trainings"][0]["attendees"], 1);
    assert_eq!(
        arr(&p["trainings"]).len(),
        arr(&json(home, &["training", "list"])).len()
    );
    let due = json(
        home,
        &[
            "policy",
            "due",
            "--within",
            "90",
            "--today",
            &today.to_string(),
        ],
    );
    assert_eq!(p["due"], due);

    // The same vault and time: the same report, byte for byte.
    for format in ["json", "html"] {
        let one = report(home, &["--at", &at, "--format", format]);
        let two = report(home, &["--at", &at, "--format", format]);
        assert_eq!(one, two, "{format}");
    }
    let html = report(home, &["--at", &at]);
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(
        html.contains("Fictional &amp; Co"),
        "the vault's name is escaped"
    );
    for heading in [
        "Protections",
        "Audit log",
        "Users of the vault",
        "Data inventory",
        "Retention outlook",
        "Legal holds",
        "Destruction register",
        "Backups",
        "Incidents",
        "Consents due",
        "Open data-subject requests",
        "Policies and training",
    ] {
        assert!(html.contains(&format!("<h2>{heading}</h2>")), "{heading}");
    }
}

#[test]
fn a_client_report_names_no_other_client_and_exports_only_to_a_new_private_file() {
    matterbox_tests::require_secret_service();
    let v = build();
    let home = &v.home;
    let at = settled_time(home);
    let bruno_number = v.bruno_matter.as_str();
    let forbidden = [
        BRUNO,
        "Zellweger",
        BRUNO_MATTER_TITLE,
        BRUNO_DOC,
        bruno_number,
        "Boundary claim",
    ];
    for client in ["1", ADA] {
        for format in ["json", "html"] {
            let text = report(home, &["--client", client, "--at", &at, "--format", format]);
            for f in forbidden {
                assert!(!text.contains(f), "{f:?} in Ada's {format} report");
            }
            for m in &v.ada_matters {
                assert!(text.contains(m.as_str()), "{m} missing from Ada's report");
            }
        }
    }
    let r: Value = serde_json::from_str(&report(
        home,
        &["--client", "1", "--at", &at, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(r["scope"]["clientName"], ADA);
    let inv = &r["inventory"]["data"];
    assert_eq!(
        (
            inv["clients"].as_i64(),
            inv["matters"].as_i64(),
            inv["documents"].as_i64()
        ),
        (Some(1), Some(2), Some(2))
    );
    assert_eq!(r["holds"]["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        r["consentsDue"]["data"][0]["clients"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(r["requests"]["data"].as_array().unwrap().len(), 1);
    assert!(r["incidents"]["data"][0]["title"].is_null());
    // Bruno's report: his hold, no request of Ada's, none of Ada's names.
    let b = report(home, &["--client", "2", "--at", &at, "--format", "json"]);
    assert!(!b.contains("Quorvath") && !b.contains(&v.ada_matters[0]));
    let b: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(b["requests"]["data"].as_array().unwrap().len(), 0);
    assert_eq!(b["holds"]["data"].as_array().unwrap().len(), 1);
    // A name no client bears is a clear error.
    let missing = mb(home, &["report", "--client", "Nobody Fictional"]);
    assert_eq!(missing.code, 7, "{}", missing.stderr);

    // --output: a new file, 0600; never over an existing one.
    let out = home.path().join("report.html");
    mb(home, &["report", "--output", out.to_str().unwrap()]).ok();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = std::fs::read(&out).unwrap();
    let again = mb(home, &["report", "--output", out.to_str().unwrap()]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // Audited with the scope kind and counts; no names anywhere in the log.
    let log = mb(home, &["audit", "export"]).ok().stdout;
    let exported: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["action"] == "report_exported")
        .collect();
    assert!(
        exported.iter().any(|e| e["object"] == "client:1"),
        "{exported:?}"
    );
    assert!(
        exported
            .iter()
            .any(|e| e["details"].to_string().contains("whole"))
    );
    for secret in [
        ADA,
        BRUNO,
        POLICY_TEXT,
        PERSON,
        TRAINING,
        "Zellweger",
        "Quorvath",
    ] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
    // Policies and training live only inside the encrypted database.
    for canary in [POLICY_TEXT, PERSON, TRAINING] {
        let hits = files_containing(&home.vault_dir("v"), canary);
        assert!(hits.is_empty(), "{canary} in clear in {hits:?}");
    }
}

#[test]
fn policies_and_training_refuse_bad_input_and_keep_versions() {
    matterbox_tests::require_secret_service();
    let home = Home::new();
    mb(
        &home,
        &["vault", "create", "--danger-device-secret-in-plain-file"],
    )
    .ok();
    let empty = mb(
        &home,
        &[
            "policy",
            "add",
            "Retention",
            "--topic",
            "retention",
            "--text",
            "  ",
        ],
    );
    assert_eq!(empty.code, 6, "{}", empty.stderr);
    assert!(empty.stderr.contains("cannot be empty"), "{}", empty.stderr);
    json(
        &home,
        &[
            "policy",
            "add",
            "Retention",
            "--topic",
            "retention",
            "--text",
            "v1",
            "--effective",
            "2025-01-01",
            "--review-months",
            "6",
        ],
    );
    let early = mb(
        &home,
        &[
            "policy",
            "version",
            "1",
            "--text",
            "v2",
            "--effective",
            "2024-12-31",
        ],
    );
    assert_eq!(early.code, 6, "{}", early.stderr);
    let p = json(
        &home,
        &[
            "policy",
            "version",
            "1",
            "--text",
            "v2",
            "--effective",
            "2025-06-01",
        ],
    );
    assert_eq!(p["versions"].as_array().unwrap().len(), 2);
    json(
        &home,
        &[
            "policy",
            "ack",
            "1",
            "--person",
            "Ann Example",
            "--version",
            "1",
            "--on",
            "2025-01-02",
        ],
    );
    let twice = mb(
        &home,
        &[
            "policy",
            "ack",
            "1",
            "--person",
            "Ann Example",
            "--version",
            "1",
        ],
    );
    assert_eq!(twice.code, 6, "{}", twice.stderr);
    let missing = mb(&home, &["policy", "ack", "9", "--person", "Ann Example"]);
    assert_eq!(missing.code, 7, "{}", missing.stderr);
    let list = json(&home, &["policy", "list"]);
    // The current version is 2, reviewed six months after it took effect;
    // Ann acknowledged version 1 only.
    let shown = json(&home, &["policy", "show", "1"]);
    assert_eq!(
        shown["versions"][0]["acknowledgements"][0]["person"],
        "Ann Example"
    );
    assert!(
        shown["versions"][1]["acknowledgements"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(list[0]["versions"][1]["version"], 2);
    let due = json(
        &home,
        &["training", "due", "--today", "2025-12-01", "--within", "0"],
    );
    let subjects: Vec<(&str, &str)> = arr(&due)
        .iter()
        .map(|d| (d["kind"].as_str().unwrap(), d["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        subjects,
        [("policy_review", "Retention"), ("training", "Ann Example")]
    );
    let none = mb(
        &home,
        &[
            "training",
            "add",
            "Phishing",
            "--on",
            "2025-01-01",
            "--attendee",
            " ",
        ],
    );
    assert_eq!(none.code, 6, "{}", none.stderr);
    json(
        &home,
        &[
            "training",
            "add",
            "Phishing",
            "--on",
            "2025-11-01",
            "--attendee",
            "Ann Example",
        ],
    );
    let due = json(
        &home,
        &["training", "due", "--today", "2025-12-01", "--within", "0"],
    );
    assert_eq!(arr(&due).len(), 1, "{due}");
}
