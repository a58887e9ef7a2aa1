//! Consent records through the `matterbox` binary (#16 §2): a "waiver
//! needed" decision drafts the waiver; oral consent gets its reminder to
//! confirm in writing; confirming clears it; withdrawing re-opens the
//! conflict check that relied on the waiver (and the matter no longer
//! opens under it); exports; bad input; and neither names nor the
//! client's words in clear anywhere under the vault or in the audit log.

use matterbox_tests::{Home, Run, fails_with, files_containing};

const PASS: &str = "a long test passphrase";
/// The client's words: a distinctive canary that must never be in clear.
const SCOPE: &str = "I, Wilhelmina Quorvath-Pennyroyal, agree that you act for Robert Smyth against us <in the Zephyrine matter> & only that.";
const RISKS: &str = "Explained: confidential facts from the Quorvath supply contract stay confidential; alternative: separate counsel.";

fn mb(home: &Home, args: &[&str]) -> Run {
    home.run("v", Some(PASS), args)
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

fn id_of(v: &serde_json::Value) -> String {
    v["id"].as_i64().unwrap().to_string()
}

fn days_ago(n: u64) -> String {
    (chrono::Local::now().date_naive() - chrono::Days::new(n)).to_string()
}

/// A vault where Wilhelmina Quorvath-Pennyroyal (a fictional company
/// owner) was a client, and Robert Smyth's check against her found her.
fn vault_with_a_waiver_needed(home: &Home) -> (String, String, String) {
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
    let former = id_of(&json(
        home,
        &["client", "add", "--name", "Wilhelmina Quorvath-Pennyroyal"],
    ));
    json(
        home,
        &[
            "matter",
            "open",
            "--client",
            &former,
            "--title",
            "Supply",
            "--opened",
            "2018-03-01",
        ],
    );
    let robert = id_of(&json(home, &["client", "add", "--name", "Robert Smyth"]));
    let check = json(
        home,
        &[
            "conflict",
            "check",
            "Robert Smyth",
            "--client",
            &robert,
            "--adverse",
            "Wilhelmina Quorvath-Pennyroyal",
        ],
    );
    assert_eq!(check["hits"].as_array().unwrap().len(), 1, "{check:#}");
    (id_of(&check), former, robert)
}

#[test]
fn a_waiver_is_tracked_as_a_consent_until_confirmed_and_withdrawing_it_reopens_the_check() {
    let home = Home::new();
    let (check, former, robert) = vault_with_a_waiver_needed(&home);

    // "Waiver needed" drafts the consent records for the affected clients.
    let decided = json(
        &home,
        &[
            "conflict",
            "decide",
            &check,
            "1",
            "--decision",
            "waiver-needed",
            "--reason",
            "Former client; unrelated matter",
        ],
    );
    assert_eq!(decided["status"], "cleared");
    let drafted: Vec<i64> = decided["hits"][0]["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_i64().unwrap())
        .collect();
    assert_eq!(drafted.len(), 2, "one per affected client: {decided:#}");
    let list = json(&home, &["consent", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    for c in list.as_array().unwrap() {
        assert_eq!(c["kind"], "conflict_waiver");
        assert_eq!(c["state"], "requested");
        assert_eq!(
            c["conflict"]["checkId"].as_i64().unwrap().to_string(),
            check
        );
        assert!(c["scope"].is_null());
    }
    let mine = json(&home, &["consent", "list", "--client", &former]);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let waiver = id_of(&mine[0]);
    assert_eq!(
        mine[0]["clients"][0]["name"],
        "Wilhelmina Quorvath-Pennyroyal"
    );

    // Given orally ten days ago: informed consent needs the risks, and the
    // client's words; then a reminder to confirm in writing is overdue.
    fails_with(
        mb(
            &home,
            &[
                "consent", "give", &waiver, "--method", "oral", "--scope", SCOPE,
            ],
        ),
        6,
        "risks and alternatives",
    );
    let given = json(
        &home,
        &[
            "consent",
            "give",
            &waiver,
            "--method",
            "oral",
            "--on",
            &days_ago(10),
            "--scope",
            SCOPE,
            "--risks",
            RISKS,
        ],
    );
    assert_eq!(given["state"], "given");
    assert_eq!(given["scope"], SCOPE);
    let hash = given["scopeSha256"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(given["confirmBy"], days_ago(3).as_str());
    let due = json(&home, &["consent", "due"]);
    let reminder = due
        .as_array()
        .unwrap()
        .iter()
        .find(|d| id_of(&serde_json::json!({"id": d["consentId"]})) == waiver)
        .expect("a reminder for the oral consent");
    assert_eq!(reminder["what"], "confirm_in_writing");
    assert_eq!(reminder["overdue"], true);
    let text = mb(&home, &["consent", "due"]).ok().stdout;
    assert!(
        text.contains("OVERDUE") && text.contains("confirm in writing"),
        "{text}"
    );
    // The scope is never edited.
    fails_with(
        mb(
            &home,
            &[
                "consent",
                "give",
                &waiver,
                "--method",
                "oral",
                "--scope",
                "other words",
            ],
        ),
        6,
        "",
    );

    // A matter opens under the cleared check.
    let matter = json(
        &home,
        &[
            "matter",
            "open",
            "--client",
            &robert,
            "--title",
            "Smyth v. Quorvath",
            "--conflict-check",
            &check,
        ],
    );
    let number = matter["number"].as_str().unwrap().to_string();

    // Confirmed in writing, with the letter from the vault as evidence.
    let letter = home.path().join("confirmation.txt");
    std::fs::write(&letter, "Confirmation letter (fictional)").unwrap();
    let doc = json(
        &home,
        &[
            "doc",
            "add",
            &number,
            letter.to_str().unwrap(),
            "--title",
            "Waiver confirmation",
        ],
    );
    let doc_id = doc["id"].as_i64().unwrap().to_string();
    let confirmed = json(
        &home,
        &[
            "consent",
            "confirm",
            &waiver,
            "--method",
            "signed-letter",
            "--evidence",
            &doc_id,
        ],
    );
    assert_eq!(confirmed["state"], "confirmed");
    assert!(confirmed["confirmBy"].is_null());
    assert_eq!(confirmed["evidence"][0]["title"], "Waiver confirmation");
    let review = confirmed["reviewOn"].as_str().unwrap().to_string();
    assert!(review > days_ago(0), "review in a year: {review}");
    let due = json(&home, &["consent", "due"]);
    assert!(
        !due.as_array()
            .unwrap()
            .iter()
            .any(|d| d["consentId"].as_i64().unwrap().to_string() == waiver),
        "{due:#}"
    );
    // Due for review within 400 days.
    let later = json(&home, &["consent", "due", "--within", "400"]);
    assert!(
        later
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["what"] == "review"
                && d["consentId"].as_i64().unwrap().to_string() == waiver
                && d["dueOn"] == review.as_str())
    );

    // Exports: a printable page with everything escaped, and JSON.
    let html = mb(&home, &["consent", "export", &waiver]).ok().stdout;
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("against us &lt;in the Zephyrine matter&gt; &amp; only that."));
    assert!(!html.contains("<in the Zephyrine"));
    assert!(html.contains(hash) && html.contains("confirmed"));
    let out = home.path().join("waiver.json");
    mb(
        &home,
        &[
            "consent",
            "export",
            &waiver,
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
    )
    .ok();
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(exported["format"], "matterbox-consent/1");
    assert_eq!(exported["consent"]["scope"], SCOPE);
    assert_eq!(exported["consent"]["scopeSha256"], hash);
    std::fs::remove_file(&out).unwrap();

    // Withdrawn: as easy as recording. The check is no longer cleared,
    // and says why; the check record itself is unchanged.
    let withdrawn = json(&home, &["consent", "withdraw", &waiver]);
    assert_eq!(withdrawn["consent"]["state"], "withdrawn");
    assert_eq!(
        withdrawn["reopenedChecks"][0].as_i64().unwrap().to_string(),
        check
    );
    let text = mb(&home, &["conflict", "show", &check]).ok().stdout;
    assert!(text.contains("Status:  reopened"), "{text}");
    assert!(
        text.contains(&format!("waiver (consent {waiver}) withdrawn")),
        "{text}"
    );
    let shown = json(&home, &["conflict", "show", &check]);
    assert_eq!(shown["status"], "reopened");
    assert_eq!(shown["hits"][0]["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(
        shown["hits"][0]["waiverEnded"]
            .as_i64()
            .unwrap()
            .to_string(),
        waiver
    );
    // The matter opened under it says so.
    let opened = json(&home, &["matter", "show", &number]);
    assert_eq!(
        opened["unresolvedConflictChecks"][0]
            .as_i64()
            .unwrap()
            .to_string(),
        check
    );
    // A new matter does not open under it.
    let robert_again = mb(
        &home,
        &[
            "--json",
            "matter",
            "open",
            "--client",
            &robert,
            "--title",
            "Another",
            "--conflict-check",
            &check,
        ],
    );
    assert_eq!(robert_again.code, 6, "{}", robert_again.stderr);
    fails_with(mb(&home, &["consent", "withdraw", &waiver]), 6, "withdrawn");
    // A new decision counts again (and drafts new waivers).
    let again = json(
        &home,
        &[
            "conflict",
            "decide",
            &check,
            "1",
            "--decision",
            "no-conflict",
            "--reason",
            "Unrelated after all",
        ],
    );
    assert_eq!(again["status"], "cleared");

    // Everything audited, with ids and counts only.
    let audit = mb(&home, &["audit", "export"]).ok().stdout;
    for event in [
        "consent_drafted",
        "consent_given",
        "consent_confirmed",
        "consent_exported",
        "consent_withdrawn",
        "conflict_check_reopened",
    ] {
        assert!(audit.contains(event), "{event} not audited");
    }
    // No name and none of the client's words in clear anywhere under the
    // home folder (vault, WAL, state), nor in the audit log.
    for needle in [
        "Wilhelmina",
        "Quorvath",
        "Zephyrine",
        "Robert Smyth",
        "separate counsel",
        "Waiver confirmation",
    ] {
        assert!(
            files_containing(home.path(), needle).is_empty(),
            "{needle} in clear: {:?}",
            files_containing(home.path(), needle)
        );
        assert!(!audit.contains(needle), "{needle} is in the audit log");
    }
    mb(&home, &["audit", "verify"]).ok();
}

#[test]
fn consents_are_recorded_given_in_writing_superseded_and_bad_input_loses_nothing() {
    let home = Home::new();
    let (_check, former, _robert) = vault_with_a_waiver_needed(&home);
    // Recorded and given by e-mail at once: confirmed in writing.
    let c = json(
        &home,
        &[
            "consent",
            "record",
            "--kind",
            "email-communication",
            "--client",
            &former,
            "--scope",
            "E-mail is fine for everything.",
            "--given",
            "email",
        ],
    );
    assert_eq!(c["state"], "confirmed");
    assert_eq!(c["method"], "email");
    let first = id_of(&c);
    let actions: Vec<&str> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["requested", "given", "confirmed"]);
    // A changed scope is a new consent that supersedes the old one.
    let newer = json(
        &home,
        &[
            "consent",
            "record",
            "--kind",
            "email-communication",
            "--scope",
            "E-mail, but never invoices.",
            "--supersedes",
            &first,
        ],
    );
    assert_eq!(
        newer["clients"][0]["id"].as_i64().unwrap().to_string(),
        former
    );
    let old = json(&home, &["consent", "show", &first]);
    assert_eq!(old["state"], "superseded");
    assert_eq!(old["supersededBy"], newer["id"]);
    let text = mb(&home, &["consent", "show", &first]).ok().stdout;
    assert!(text.contains("Superseded by consent"), "{text}");

    // Bad input: a clear error, nothing recorded.
    let before = json(&home, &["consent", "list"]).as_array().unwrap().len();
    fails_with(
        mb(
            &home,
            &["consent", "record", "--kind", "other", "--client", &former],
        ),
        6,
        "other",
    );
    fails_with(
        mb(
            &home,
            &[
                "consent",
                "record",
                "--kind",
                "gdpr-processing",
                "--client",
                "999",
            ],
        ),
        7,
        "No client",
    );
    fails_with(
        mb(
            &home,
            &[
                "consent",
                "record",
                "--kind",
                "gdpr-processing",
                "--client",
                &former,
                "--evidence",
                "999",
            ],
        ),
        7,
        "No document",
    );
    fails_with(
        mb(
            &home,
            &[
                "consent",
                "record",
                "--kind",
                "conflict-waiver",
                "--client",
                &former,
                "--scope",
                "ok",
                "--given",
                "oral",
            ],
        ),
        6,
        "risks and alternatives",
    );
    fails_with(
        mb(
            &home,
            &[
                "consent",
                "give",
                &id_of(&newer),
                "--method",
                "oral",
                "--on",
                "2999-01-01",
            ],
        ),
        6,
        "in the future",
    );
    fails_with(mb(&home, &["consent", "show", "999"]), 7, "No consent");
    fails_with(
        mb(&home, &["consent", "confirm", &id_of(&newer)]),
        6,
        "not been given",
    );
    assert_eq!(
        json(&home, &["consent", "list"]).as_array().unwrap().len(),
        before
    );

    // The two periods are vault settings.
    assert_eq!(
        json(&home, &["settings", "consent-confirm-days"])["consentConfirmDays"],
        7
    );
    json(&home, &["settings", "consent-confirm-days", "14"]);
    fails_with(
        mb(&home, &["settings", "consent-review-months", "0"]),
        6,
        "reviewed every",
    );
    let oral = json(
        &home,
        &[
            "consent",
            "record",
            "--kind",
            "third-party-service",
            "--client",
            &former,
            "--scope",
            "Cloud backup is fine.",
            "--given",
            "oral",
            "--on",
            &days_ago(0),
        ],
    );
    assert_eq!(
        oral["confirmBy"],
        (chrono::Local::now().date_naive() + chrono::Days::new(14))
            .to_string()
            .as_str()
    );
}
