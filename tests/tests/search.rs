//! The search language and saved searches through the `matterbox` binary:
//! each operator and field changes what matches (with the exact total);
//! FTS5's syntax typed by a user is never an error; saved searches are
//! kept, run, replaced and forgotten, audited by id, and never in clear
//! on disk.

use matterbox_tests::{Home, fails_with, files_containing};

const PASS: &str = "a long test passphrase";

/// A vault with two clients, a matter each, and four documents:
/// `[survey, draft, letter, will]` (their ids), and the estate's number.
fn setup() -> (Home, [i64; 4], String) {
    let home = Home::new();
    let run = |args: &[&str]| home.run("v", Some(PASS), args).ok().json();
    home.run(
        "v",
        Some(PASS),
        &["vault", "create", "--danger-device-secret-in-plain-file"],
    )
    .ok();
    run(&["--json", "client", "add", "--name", "Ada Fictional"]);
    run(&[
        "--json",
        "client",
        "add",
        "--name",
        "Bartholomew Imaginary",
        "--alias",
        "Bart Notreal",
    ]);
    let open = |client: &str, title: &str| {
        run(&[
            "--json", "matter", "open", "--client", client, "--title", title,
        ])["number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let lease = open("1", "Lease of the mill");
    let estate = open("2", "Estate");
    let dir = home.path().join("to-import");
    std::fs::create_dir_all(&dir).unwrap();
    let add = |matter: &str, name: &str, text: &str| {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        run(&["--json", "doc", "add", matter, file.to_str().unwrap()])["id"]
            .as_i64()
            .unwrap()
    };
    let survey = add(
        &lease,
        "survey.txt",
        "the indemnity clause and quiet enjoyment",
    );
    let draft = add(
        &lease,
        "draft.txt",
        "an indemnification draft, enjoyment quiet",
    );
    let letter = add(&estate, "letter.txt", "the tenancy and the indemnity");
    let will = add(&estate, "will.txt", "nothing of the kind");
    run(&[
        "--json",
        "doc",
        "edit",
        &letter.to_string(),
        "--tags",
        "Deed",
    ]);
    (home, [survey, draft, letter, will], estate)
}

/// The ids a search finds (sorted), checking the total is what it lists.
fn found(home: &Home, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["--json", "search"];
    all.extend(args);
    all.push("--all");
    let page = home.run("v", Some(PASS), &all).ok().json();
    let mut ids: Vec<i64> = page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["documentId"].as_i64().unwrap())
        .collect();
    assert_eq!(page["total"], ids.len(), "{args:?}: {page}");
    ids.sort_unstable();
    ids
}

/// Each operator and field changes the result as it says: every case
/// below would find something else if its operator were read as words
/// (or ignored).
#[test]
fn each_operator_and_field_finds_what_it_says() {
    let (home, [survey, draft, letter, will], estate) = setup();
    let in_estate = format!("matter:{estate}");
    let cases: &[(&str, Vec<i64>)] = &[
        ("indemnity", vec![survey, letter]),
        ("indemn", vec![]),
        ("indemn*", vec![survey, draft, letter]),
        ("indemn* -draft", vec![survey, letter]),
        ("indemnity -\"quiet enjoyment\"", vec![letter]),
        ("quiet enjoyment", vec![survey, draft]),
        ("\"quiet enjoyment\"", vec![survey]),
        ("tenancy OR enjoyment", vec![survey, draft, letter]),
        ("tenancy enjoyment", vec![]),
        ("NEAR(indemnity enjoyment, 2)", vec![]),
        ("NEAR(indemnity enjoyment, 5)", vec![survey]),
        ("title:draft", vec![draft]),
        ("draft", vec![draft]),
        ("title:indemnification", vec![]),
        ("tag:deed", vec![letter]),
        ("indemnity -tag:DEED", vec![survey]),
        ("client:imaginary", vec![letter, will]),
        ("client:notreal indemnity", vec![letter]),
        ("-client:imaginary", vec![survey, draft]),
        (&in_estate, vec![letter, will]),
        ("matter:mill indemn*", vec![survey, draft]),
        ("added:2000..", vec![survey, draft, letter, will]),
        ("added:..2000", vec![]),
        ("added:1999-01..1999-06 indemnity", vec![]),
        // Only an exclusion: every document without the word.
        ("-indemn*", vec![will]),
        // FTS5's operators typed as words are words.
        ("indemnification AND", vec![]),
        ("NOT indemnity", vec![]),
        ("indemnity OR", vec![]),
    ];
    for (query, expect) in cases {
        assert_eq!(&found(&home, &[query]), expect, "{query}");
    }
    // The query's fields and the options narrow together.
    assert_eq!(
        found(&home, &["indemn*", "--tag", "deed"]),
        [letter],
        "--tag"
    );
    assert_eq!(
        found(&home, &["-nothing", "--matter", &estate]),
        [letter],
        "--matter with an exclusion"
    );
    // Exclusions alone are listed newest first, with the start of the text.
    let page = home
        .run("v", Some(PASS), &["--json", "search", "-nothing"])
        .ok()
        .json();
    assert_eq!(page["total"], 3);
    assert_eq!(page["hits"][0]["documentId"], letter);
    assert_eq!(page["hits"][0]["snippet"], "the tenancy and the indemnity");
    // Paging with a field: the exact total on each page, every match once.
    let mut paged = Vec::new();
    for offset in ["0", "2"] {
        let page = home
            .run(
                "v",
                Some(PASS),
                &[
                    "--json",
                    "search",
                    "added:2000..",
                    "--limit",
                    "2",
                    "--offset",
                    offset,
                ],
            )
            .ok()
            .json();
        assert_eq!(page["total"], 4);
        paged.extend(
            page["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["documentId"].as_i64().unwrap()),
        );
    }
    paged.sort_unstable();
    assert_eq!(paged, [survey, draft, letter, will]);
}

/// Hostile input is never an error from FTS5: it is searched as words;
/// only a search with nothing to look for, or a document's worth of text,
/// is refused, with a message saying what to do.
#[test]
fn no_input_is_a_syntax_error() {
    let (home, [survey, _, letter, _], _) = setup();
    for query in [
        "indemnity AND",
        "\"indemnity",
        "indemnity \"",
        "NEAR(indemnity",
        "NEAR(indemnity enjoyment, x)",
        "((indemnity",
        "indemnity)",
        "{title}:indemnity",
        "body:indemnity",
        "^indemnity",
        "indemnity +",
        "indemnity:",
        "indemnity NOT",
        "tag:\"unclosed indemnity",
        "added:yesterday indemnity",
        "indemnity \u{202e}\u{200b} 🙂 Zürich",
    ] {
        let run = home.run("v", Some(PASS), &["--json", "search", query]);
        assert_eq!(run.code, 0, "{query}: {}", run.stderr);
        assert!(!run.stderr.contains("fts5"), "{query}: {}", run.stderr);
    }
    // What is left of them is words: an unclosed quote is ignored.
    assert_eq!(found(&home, &["\"indemnity"]), [survey, letter]);
    for nothing in ["", "***", "\" ( ) -", "-"] {
        fails_with(
            home.run("v", Some(PASS), &["search", nothing]),
            6,
            "Type a word to search for",
        );
    }
    let long = "indemnity ".repeat(1_000);
    fails_with(
        home.run("v", Some(PASS), &["search", &long]),
        6,
        "search for a few words",
    );
}

/// Saved searches: kept under a name, listed, run (with the options of a
/// search), replaced by saving the name again, forgotten; audited by id
/// and counts only; the name and the words never in clear in the vault.
#[test]
fn saved_searches_are_kept_run_and_forgotten_never_in_clear() {
    let (home, [survey, _, letter, _], _) = setup();
    const NAME: &str = "Hollowmere Canary Review";
    const WORD: &str = "quixotrelian";
    let query = format!("indemn* -draft -{WORD}");
    let saved = home
        .run("v", Some(PASS), &["--json", "search", "save", NAME, &query])
        .ok()
        .json();
    let id = saved["id"].as_i64().unwrap();
    assert_eq!(saved["name"], NAME);
    assert_eq!(saved["query"], query.as_str());
    home.run("v", Some(PASS), &["search", "save", "Deeds", "tag:deed"])
        .ok();

    let list = home
        .run("v", Some(PASS), &["--json", "search", "saved"])
        .ok()
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Deeds", NAME]);
    let shown = home.run("v", Some(PASS), &["search", "saved"]).ok().stdout;
    assert!(shown.contains(NAME) && shown.contains(&query), "{shown}");

    let run_saved = |name: &str, extra: &[&str]| {
        let mut args = vec!["--json", "search", "run-saved", name];
        args.extend(extra);
        home.run("v", Some(PASS), &args).ok().json()
    };
    let page = run_saved("hollowmere canary review", &[]);
    assert_eq!(page["total"], 2, "{page}");
    let page = run_saved(NAME, &["--limit", "1", "--sort", "title"]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["hits"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    assert_eq!(
        page["hits"][0]["documentId"], letter,
        "letter.txt before survey.txt"
    );
    assert_eq!(run_saved("Deeds", &[])["hits"][0]["documentId"], letter);

    // Saving the name again replaces the query.
    let again = home
        .run(
            "v",
            Some(PASS),
            &["--json", "search", "save", NAME, "\"quiet enjoyment\""],
        )
        .ok()
        .json();
    assert_eq!(again["id"], id);
    let page = run_saved(NAME, &[]);
    assert_eq!(page["total"], 1);
    assert_eq!(page["hits"][0]["documentId"], survey);
    home.run("v", Some(PASS), &["search", "save", NAME, &query])
        .ok();

    // Bad input: a clear error, nothing saved.
    fails_with(
        home.run("v", Some(PASS), &["search", "save", "Empty", "*** ("]),
        6,
        "nothing to look for",
    );
    fails_with(
        home.run("v", Some(PASS), &["search", "save", " ", "lease"]),
        6,
        "cannot be empty",
    );
    fails_with(
        home.run("v", Some(PASS), &["search", "run-saved", "No such"]),
        7,
        "saved search",
    );
    // A word that names a subcommand is searched after `--`.
    home.run("v", Some(PASS), &["search", "--", "forget"]).ok();

    // Encrypted like everything else: neither the name nor the words in
    // clear anywhere in the vault folder.
    for canary in ["Hollowmere", WORD] {
        assert!(
            files_containing(&home.vault_dir("v"), canary).is_empty(),
            "{canary} in clear"
        );
    }

    home.run("v", Some(PASS), &["search", "forget", NAME]).ok();
    let list = home
        .run("v", Some(PASS), &["--json", "search", "saved"])
        .ok()
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    fails_with(
        home.run("v", Some(PASS), &["search", "run-saved", NAME]),
        7,
        "saved search",
    );
    for canary in ["Hollowmere", WORD] {
        assert!(
            files_containing(&home.vault_dir("v"), canary).is_empty(),
            "{canary} in clear after forgetting"
        );
    }

    // The audit log: ids and counts, never the name or the query.
    let audit = home.run("v", Some(PASS), &["audit", "export"]).ok().stdout;
    assert!(
        audit.contains(&format!("\"object\":\"saved_search:{id}\"")),
        "{audit}"
    );
    assert!(audit.contains("\"action\":\"search_saved\""));
    assert!(audit.contains("\"action\":\"saved_search_forgotten\""));
    assert!(
        audit.contains(&format!("\\\"saved_search\\\":{id}")),
        "{audit}"
    );
    for secret in ["Hollowmere", "hollowmere", WORD, "Deeds", "indemn", "quiet"] {
        assert!(!audit.contains(secret), "{secret} in the audit log");
    }
    home.run("v", Some(PASS), &["audit", "verify"]).ok();
}
