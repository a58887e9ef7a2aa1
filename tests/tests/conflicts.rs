//! Conflict checks through the `matterbox` binary: the issue's "done
//! when" (Robert Smyth against ACME Corporation finds Bob Smith, adverse
//! in a closed 2019 matter, and Acme Ltd, a client, each with its reason),
//! decisions, opening the matter under the cleared check, bad input, and
//! no name in clear anywhere under the vault or in the audit export.

use matterbox_tests::{Home, Run, fails_with, files_containing};

const PASS: &str = "a long test passphrase";

fn mb(home: &Home, args: &[&str]) -> Run {
    home.run("v", Some(PASS), args)
}

fn json(home: &Home, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    mb(home, &all).ok().json()
}

/// A vault where Acme Ltd is a client and Bob Smith the adverse party of
/// Jane Roe's matter, opened and closed in 2019.
fn the_issue_s_vault(home: &Home) -> String {
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
    let acme = json(
        home,
        &[
            "client",
            "add",
            "--name",
            "Acme Ltd",
            "--kind",
            "organization",
        ],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    json(
        home,
        &[
            "matter",
            "open",
            "--client",
            &acme,
            "--title",
            "Supply contract",
            "--opened",
            "2018-03-01",
        ],
    );
    let jane = json(home, &["client", "add", "--name", "Jane Roe"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let old = json(
        home,
        &[
            "matter",
            "open",
            "--client",
            &jane,
            "--title",
            "Roe v. Smith",
            "--opened",
            "2019-01-15",
        ],
    )["number"]
        .as_str()
        .unwrap()
        .to_string();
    json(
        home,
        &[
            "matter",
            "add-party",
            &old,
            "--name",
            "Bob Smith",
            "--side",
            "adverse",
            "--role",
            "defendant",
        ],
    );
    json(home, &["matter", "close", &old, "--on", "2019-11-30"]);
    old
}

#[test]
fn robert_smyth_against_acme_finds_bob_smith_and_acme_ltd_each_with_a_reason() {
    let home = Home::new();
    let old = the_issue_s_vault(&home);

    let check = json(
        &home,
        &[
            "conflict",
            "check",
            "Robert Smyth",
            "--kind",
            "person",
            "--adverse",
            "ACME Corporation",
        ],
    );
    let id = check["id"].as_i64().unwrap().to_string();
    assert_eq!(check["status"], "undecided");
    assert!(
        check["matcherVersion"]
            .as_str()
            .unwrap()
            .starts_with("matterbox-names/")
    );
    let hits = check["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2, "{check:#}");
    let bob = hits
        .iter()
        .find(|h| h["matchedName"] == "Bob Smith")
        .unwrap();
    assert_eq!(bob["source"], "party");
    assert_eq!(bob["side"], "adverse");
    assert_eq!(bob["partyRole"], "defendant");
    assert_eq!(bob["matterNumber"], old.as_str());
    assert_eq!(bob["matterStatus"], "closed");
    assert_eq!(bob["openedOn"], "2019-01-15");
    assert_eq!(bob["closedOn"], "2019-11-30");
    assert_eq!(bob["severity"], "high");
    assert_eq!(
        bob["explanation"],
        "'Bob' is a nickname of 'Robert'; 'Smyth' sounds like 'Smith' (SM0)"
    );
    let acme = hits
        .iter()
        .find(|h| h["matchedName"] == "Acme Ltd")
        .unwrap();
    assert_eq!(acme["source"], "client");
    assert_eq!(acme["severity"], "high");
    assert_eq!(acme["reason"]["kind"], "legal_form_stripped");

    // The human output says where each hit is and why.
    let text = mb(&home, &["conflict", "show", &id]).ok().stdout;
    assert!(
        text.contains(&format!(
            "adverse party (defendant) in matter {old} (closed"
        )),
        "{text}"
    );
    assert!(
        text.contains("why: 'Bob' is a nickname of 'Robert'"),
        "{text}"
    );
    assert!(text.contains("not decided"), "{text}");

    // Not decided yet: the matter does not open under it, nor without one.
    let robert = json(&home, &["client", "add", "--name", "Robert Smyth"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let open = |check: Option<&str>| {
        let mut args = vec![
            "--json",
            "matter",
            "open",
            "--client",
            &robert,
            "--title",
            "Smyth v. ACME",
        ];
        if let Some(c) = check {
            args.extend(["--conflict-check", c]);
        }
        mb(&home, &args)
    };
    fails_with(open(Some(&id)), 6, "not decided yet");
    fails_with(open(None), 6, "possible conflict");

    for (hit, decision, reason) in [
        (
            bob["number"].as_u64().unwrap(),
            "no-conflict",
            "Another Bob Smith: born 1950, Leeds",
        ),
        (
            acme["number"].as_u64().unwrap(),
            "waiver-needed",
            "Former client, unrelated matter",
        ),
    ] {
        json(
            &home,
            &[
                "conflict",
                "decide",
                &id,
                &hit.to_string(),
                "--decision",
                decision,
                "--reason",
                reason,
            ],
        );
    }
    let shown = json(&home, &["conflict", "show", &id]);
    assert_eq!(shown["status"], "cleared");
    let decided = &shown["hits"][0]["decisions"][0];
    assert!(decided["decidedBy"].as_str().unwrap().starts_with("cli"));

    let matter = open(Some(&id)).ok().json();
    assert_eq!(matter["conflictCheck"].as_i64().unwrap().to_string(), id);
    let number = matter["number"].as_str().unwrap();
    let list = json(&home, &["conflict", "list"]);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_i64().unwrap().to_string() == id)
        .unwrap();
    assert_eq!(listed["openedMatterNumber"], number);
    // A check opens one matter.
    fails_with(open(Some(&id)), 6, "already linked");

    let html = mb(&home, &["conflict", "show", &id, "--html"]).ok().stdout;
    assert!(
        html.starts_with("<!doctype html>") && html.contains("Bob Smith") && html.contains(number)
    );

    // Adverse party added to the open matter: checked and recorded.
    let added = json(
        &home,
        &[
            "matter",
            "add-party",
            number,
            "--name",
            "ACME Corporation",
            "--side",
            "adverse",
        ],
    );
    assert_eq!(
        added["unresolvedConflictChecks"].as_array().unwrap().len(),
        1
    );

    // No name in clear anywhere in the home folder (vault, its WAL, the
    // device secrets, state), nor in the audit export.
    let audit = mb(&home, &["audit", "export"]).ok().stdout;
    for name in [
        "Robert Smyth",
        "Smyth",
        "Bob Smith",
        "ACME Corporation",
        "Acme Ltd",
        "Jane Roe",
        "born 1950",
    ] {
        assert!(
            files_containing(home.path(), name).is_empty(),
            "{name} in clear: {:?}",
            files_containing(home.path(), name)
        );
        assert!(!audit.contains(name), "{name} is in the audit log");
    }
    assert!(audit.contains("conflict_checked") && audit.contains("conflict_decided"));
}

#[test]
fn bad_input_gets_a_clear_error_and_settings_change_the_rules() {
    let home = Home::new();
    the_issue_s_vault(&home);
    fails_with(mb(&home, &["conflict", "check", " "]), 6, "cannot be empty");
    fails_with(
        mb(&home, &["conflict", "check", "a\u{7}b"]),
        6,
        "control characters",
    );
    fails_with(
        mb(&home, &["conflict", "show", "99"]),
        7,
        "No conflict check",
    );
    fails_with(
        mb(
            &home,
            &[
                "conflict",
                "decide",
                "99",
                "1",
                "--decision",
                "conflict",
                "--reason",
                "x",
            ],
        ),
        7,
        "No conflict check",
    );
    let id = json(&home, &["conflict", "check", "Quentin Marlowe-Ashby"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    fails_with(
        mb(
            &home,
            &[
                "conflict",
                "decide",
                &id,
                "1",
                "--decision",
                "conflict",
                "--reason",
                "x",
            ],
        ),
        7,
        "No hit",
    );

    // A common party: hits recorded, no decision needed.
    json(&home, &["conflict", "common", "add", "Bob Smith"]);
    let check = json(&home, &["conflict", "check", "Robert Smyth"]);
    assert_eq!(check["hits"][0]["severity"], "suppressed");
    assert_eq!(check["status"], "clear");

    // Prospects are found by later checks.
    json(
        &home,
        &[
            "conflict",
            "check",
            "Perpetua Quillfeather",
            "--save-prospect",
        ],
    );
    let later = json(
        &home,
        &[
            "conflict",
            "check",
            "Zed",
            "--adverse",
            "Perpetua Quillfeather",
        ],
    );
    assert_eq!(later["hits"][0]["source"], "prospect");

    // The requirement can be turned off; then a matter opens with no check.
    assert_eq!(
        json(&home, &["settings", "conflict-check-required"])["conflictCheckRequired"],
        true
    );
    json(&home, &["settings", "conflict-check-required", "off"]);
    let c = json(&home, &["client", "add", "--name", "Perpetua Quillfeather"])["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let m = json(
        &home,
        &["matter", "open", "--client", &c, "--title", "Lease"],
    );
    assert!(m["conflictCheck"].is_null());
    assert_eq!(
        json(&home, &["settings", "keep-conflict-names", "off"])["keepConflictNames"],
        false
    );
}

/// The lower tier through the binary: a text document in Jane Roe's old
/// matter mentions "Smyth, Robert J."; checking "Robert Smyth" names that
/// document, its matter and client and why, apart from the name hits; it
/// is decided like a hit (`--document`), printed in the HTML, and neither
/// the document's words nor the decision's reason is in clear anywhere.
#[test]
fn a_document_that_mentions_a_name_is_a_separate_lower_tier_of_the_check() {
    let home = Home::new();
    let old = the_issue_s_vault(&home);
    let file = home.path().join("made-by-the-test").join("witness.txt");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        "Witness statement. Smyth, Robert J. saw the Ostrevane crate delivered.",
    )
    .unwrap();
    json(
        &home,
        &[
            "doc",
            "add",
            &old,
            file.to_str().unwrap(),
            "--title",
            "Witness statement",
        ],
    );
    std::fs::remove_file(&file).unwrap();

    let check = json(
        &home,
        &["conflict", "check", "Robert Smyth", "--kind", "person"],
    );
    let id = check["id"].as_i64().unwrap().to_string();
    assert_eq!(check["documentCounts"][0]["total"], 1, "{check:#}");
    let doc = &check["documentHits"][0];
    assert_eq!(doc["number"], 1);
    assert_eq!(doc["title"], "Witness statement");
    assert_eq!(doc["matterNumber"], old.as_str());
    assert_eq!(doc["clientName"], "Jane Roe");
    assert!(doc["page"].is_null());
    assert!(
        doc["why"]
            .as_str()
            .unwrap()
            .contains("\u{201c}Robert\u{201d}, \u{201c}Smyth\u{201d} within 2 words"),
        "{doc}"
    );
    // Name hits stay the upper tier; the mention decides nothing by itself.
    assert_eq!(check["hits"].as_array().unwrap().len(), 1);
    assert_eq!(check["status"], "undecided");

    let text = mb(&home, &["conflict", "show", &id]).ok().stdout;
    assert!(
        text.contains("Documents that mention a name (lower tier")
            && text.contains("1 document mentions this name.")
            && text.contains(&format!(
                "[D1] \u{201c}Witness statement\u{201d} in matter {old} (client Jane Roe)"
            )),
        "{text}"
    );

    fails_with(
        mb(
            &home,
            &[
                "conflict",
                "decide",
                &id,
                "--document",
                "1",
                "--decision",
                "waiver-needed",
                "--reason",
                "x",
            ],
        ),
        6,
        "no conflict or conflict",
    );
    fails_with(
        mb(
            &home,
            &[
                "conflict",
                "decide",
                &id,
                "--document",
                "2",
                "--decision",
                "conflict",
                "--reason",
                "x",
            ],
        ),
        7,
        "D2",
    );
    let decided = json(
        &home,
        &[
            "conflict",
            "decide",
            &id,
            "--document",
            "1",
            "--decision",
            "conflict",
            "--reason",
            "Quorvath saw him at the delivery",
        ],
    );
    assert_eq!(decided["status"], "conflict");
    assert_eq!(
        decided["documentHits"][0]["decisions"][0]["decision"],
        "conflict"
    );
    let html = mb(&home, &["conflict", "show", &id, "--html"]).ok().stdout;
    assert!(
        html.contains("Documents that mention a name (lower tier)")
            && html.contains("<td>D1</td><td>Witness statement</td>")
            && html.contains("Quorvath saw him"),
        "{html}"
    );
    let list = json(&home, &["conflict", "list"]);
    assert_eq!(list[0]["documentMentions"], 1);

    let audit = mb(&home, &["audit", "export"]).ok().stdout;
    assert!(audit.contains(r#"\"document_hit\":1"#), "{audit}");
    for secret in ["Ostrevane", "Witness statement", "Quorvath", "Smyth"] {
        assert!(
            files_containing(home.path(), secret).is_empty(),
            "{secret} in clear: {:?}",
            files_containing(home.path(), secret)
        );
        assert!(!audit.contains(secret), "{secret} is in the audit log");
    }
}
