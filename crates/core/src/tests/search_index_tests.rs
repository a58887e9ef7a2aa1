//! The search accelerator answers exactly what FTS5 answers: the same
//! count and the same documents in the same best-first order, for every
//! kind of query it takes, after every kind of change; and FTS5 answers
//! whenever it is not in step.

use super::*;
use crate::search_index::Standing;
use matterbox_domain::search::{self, SearchFilter};

const WORDS: &[&str] = &[
    "lease",
    "tenant",
    "indemnity",
    "indemnify",
    "indemnified",
    "draft",
    "quiet",
    "enjoyment",
    "notice",
    "cure",
    "boundary",
    "survey",
    "deed",
    "estate",
    "codicil",
    "café",
    "Straße",
    "naïve",
    "résumé",
    "Ærø",
    "Øresund",
    "漢字",
    "ﬁnal",
    "Ⅻ",
    "O'Brien",
    "e-mail",
    "2025-0001",
];

/// A vault of `n` documents in three matters of two clients, their words
/// drawn from [`WORDS`] by a fixed sequence, tags on some, dates over
/// 2025, a few trashed.
fn corpus(s: &mut Session, n: i64) -> Vec<i64> {
    let (estate, lease) = with_two_matters(s);
    let other = s
        .create_client(&ClientInput {
            name: "Corvina Ashgrove".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let third = s
        .open_matter(&MatterInput {
            title: "Boundary dispute".into(),
            client_id: other,
            ..Default::default()
        })
        .unwrap()
        .summary
        .id;
    let matters = [estate, lease, third];
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let tx = s.conn.unchecked_transaction().unwrap();
    let mut ids = Vec::new();
    for i in 1..=n {
        let body: Vec<&str> = (0..30).map(|_| WORDS[next() % WORDS.len()]).collect();
        let title = format!("{} {i}", WORDS[next() % WORDS.len()]);
        let month = 1 + next() % 12;
        tx.execute(
            "INSERT INTO documents (id, matter_id, title, original_name, created_at, updated_at, notes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, '')",
            rusqlite::params![
                i,
                matters[next() % 3],
                title,
                format!("scan-{i}.pdf"),
                format!("2025-{month:02}-15T10:00:00.000Z")
            ],
        )
        .unwrap();
        if i % 4 == 0 {
            tx.execute(
                "INSERT INTO document_tags (document_id, tag) VALUES (?1, 'Deed')",
                [i],
            )
            .unwrap();
        }
        search::index(
            &tx,
            i,
            &title,
            &format!("scan-{i}.pdf"),
            &body.join(" "),
            search::TextStatus::Extracted,
        )
        .unwrap();
        if i % 17 == 0 {
            tx.execute(
                "UPDATE documents SET trashed_at = '2025-12-01T00:00:00.000Z' WHERE id = ?1",
                [i],
            )
            .unwrap();
        }
        ids.push(i);
    }
    tx.commit().unwrap();
    ids
}

/// Queries of every kind the accelerator takes, and some it leaves to
/// FTS5 (`NEAR`, `client:`, `matter:`, an exclusion from an `AND` with an
/// `OR` and a phrase).
const QUERIES: &[&str] = &[
    "lease",
    "indemnity",
    "lease tenant",
    "\"quiet enjoyment\"",
    "indemn*",
    "indemn* -draft",
    "lease OR survey",
    "title:deed",
    "title:indem*",
    "tag:deed lease",
    "-tag:deed lease",
    "lease added:2025-03..2025-06",
    "cafe",
    "CAFÉ",
    "strasse",
    "straße",
    "naive resume",
    "aerø",
    "ærø",
    "漢字",
    "final",
    "ﬁnal",
    "xii",
    "o brien",
    "O'Brien",
    "e-mail",
    "2025 0001",
    "\"quiet enj\"*",
    "resum*",
    "scan",
    "pdf",
    "nothingmatches",
    "lease -lease",
    "NEAR(quiet tenant, 3)",
    "client:corvina lease",
    "matter:boundary lease",
    "lease (\"quiet enjoyment\" OR survey) -draft",
];

/// `filter` asking for every match at once.
fn everything(filter: &SearchFilter) -> SearchFilter {
    SearchFilter {
        limit: Some(10_000),
        ..filter.clone()
    }
}

/// The count and the ids of a page holding every match, in its order.
fn count_and_ids(page: &search::SearchPage) -> (u64, Vec<i64>) {
    let ids: Vec<i64> = page.hits.iter().map(|h| h.document_id).collect();
    assert_eq!(ids.len() as u64, page.total, "every match shown");
    (page.total, ids)
}

/// The same, in id order.
fn count_and_sorted(page: (u64, Vec<i64>)) -> (u64, Vec<i64>) {
    let (total, mut ids) = page;
    ids.sort_unstable();
    (total, ids)
}

/// Every match of `text` as FTS5 alone answers it.
fn by_fts5(s: &Session, text: &str, filter: &SearchFilter) -> (u64, Vec<i64>) {
    count_and_ids(&search::search(&s.conn, text, &everything(filter)).unwrap())
}

/// The same through the session (the accelerator when it can).
fn by_session(s: &mut Session, text: &str, filter: &SearchFilter) -> (u64, Vec<i64>) {
    count_and_ids(&s.search(text, &everything(filter)).unwrap())
}

fn filters(s: &Session) -> Vec<SearchFilter> {
    let (matter, client): (i64, i64) = s
        .conn
        .query_row(
            "SELECT id, client_id FROM matters ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    vec![
        SearchFilter::default(),
        SearchFilter {
            matter_id: Some(matter),
            ..Default::default()
        },
        SearchFilter {
            client_id: Some(client),
            tag: Some("DEED".into()),
            ..Default::default()
        },
        SearchFilter {
            added_from: Some("2025-02-15".into()),
            added_to: Some("2025-05-14".into()),
            ..Default::default()
        },
    ]
}

/// Runs every query under every filter both ways; returns how many the
/// accelerator answered.
fn compare_all(s: &mut Session) -> u64 {
    let before = s.search_index.answered();
    let mut nonempty = 0;
    for filter in filters(s) {
        for q in QUERIES {
            let expected = by_fts5(s, q, &filter);
            let got = by_session(s, q, &filter);
            assert_eq!(got, expected, "{q} with {filter:?}");
            nonempty += usize::from(expected.0 > 0);
        }
    }
    assert!(nonempty > 60, "the corpus matches most queries: {nonempty}");
    assert_eq!(s.search_index_error(), None);
    s.search_index.answered() - before
}

#[test]
fn the_accelerator_answers_exactly_what_fts5_answers() {
    let f = fixture();
    let mut s = create(&f).session;
    let ids = corpus(&mut s, 600);
    assert_eq!(
        s.search_index_upkeep(Duration::from_secs(600)).unwrap(),
        Standing::InStep
    );
    let answered = compare_all(&mut s);
    // 33 of the 37 queries are its own, under each of the 4 filters.
    assert_eq!(answered, 33 * 4);
    // In step, an upkeep (the app's, every few seconds) writes nothing:
    // no transaction, no audit anchor.
    let anchor = f.vault_dir.join("audit-anchor.json");
    let written = std::fs::metadata(&anchor).unwrap().modified().unwrap();
    let changes = s.conn.total_changes();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        s.search_index_upkeep(Duration::from_secs(1)).unwrap(),
        Standing::InStep
    );
    assert_eq!(s.conn.total_changes(), changes);
    assert_eq!(
        std::fs::metadata(&anchor).unwrap().modified().unwrap(),
        written
    );

    // Pages of one search, best first, reach every match once.
    let all = by_session(&mut s, "lease", &SearchFilter::default());
    let mut paged = Vec::new();
    for offset in (0..all.0).step_by(7) {
        let page = s
            .search(
                "lease",
                &SearchFilter {
                    offset: Some(offset),
                    limit: Some(7),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(page.total, all.0);
        paged.extend(page.hits.iter().map(|h| h.document_id));
    }
    assert_eq!(paged, all.1, "no match skipped or shown twice");
    // Best first: the title, weighed most, puts a document with the word
    // in its title before one with it only in its text.
    let first = s
        .search("codicil", &SearchFilter::default())
        .unwrap()
        .hits
        .remove(0);
    assert!(first.title.starts_with("codicil"), "{first:?}");

    // Every kind of change reaches it: a new document, renamed, tagged,
    // noted, moved, trashed and restored, a matter given to another
    // client.
    let (first_matter, third): (i64, i64) = s
        .conn
        .query_row("SELECT min(id), max(id) FROM matters", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let src = tempfile::tempdir().unwrap();
    let mut real = Vec::new();
    for (i, text) in [
        "lease of the wharf",
        "indemnity for the wharf",
        "survey of the wharf",
    ]
    .into_iter()
    .enumerate()
    {
        let file = write_file(src.path(), &format!("wharf-{i}.txt"), text.as_bytes());
        real.push(
            s.import_document(first_matter, &file, None, false)
                .unwrap()
                .id,
        );
    }
    let doc = real[0];
    s.update_document(
        doc,
        &matterbox_domain::documents::DocumentPatch {
            title: Some("Zanzibar memorandum".into()),
            notes: Some("kumquat".into()),
            tags: Some(vec!["Quokka".into()]),
        },
    )
    .unwrap();
    s.move_document(real[1], third).unwrap();
    s.set_document_trashed(real[2], true).unwrap();
    s.set_document_trashed(real[1], true).unwrap();
    s.set_document_trashed(real[1], false).unwrap();
    assert_eq!(ids.len(), 600);
    let clients: Vec<i64> = s
        .conn
        .prepare("SELECT id FROM clients ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    s.conn
        .execute(
            "UPDATE matters SET client_id = ?1 WHERE id = ?2",
            [clients[1], third - 1],
        )
        .unwrap();
    assert_eq!(
        by_session(
            &mut s,
            "zanzibar kumquat tag:quokka",
            &SearchFilter::default()
        ),
        (1, vec![doc])
    );
    assert_eq!(
        count_and_sorted(by_session(&mut s, "wharf", &SearchFilter::default())),
        (2, vec![real[0], real[1]])
    );
    let moved = SearchFilter {
        matter_id: Some(third),
        ..Default::default()
    };
    assert_eq!(by_session(&mut s, "wharf", &moved), (1, vec![real[1]]));
    let answered = compare_all(&mut s);
    assert_eq!(answered, 33 * 4, "in step again after the changes");
}

#[test]
fn fts5_answers_while_the_index_is_behind_lost_altered_or_from_another_database() {
    let f = fixture();
    let mut s = create(&f).session;
    corpus(&mut s, 300);
    // Never built: the first search builds it within its budget (300
    // documents fit), and answers.
    assert_eq!(
        by_session(&mut s, "lease", &SearchFilter::default()),
        by_fts5(&s, "lease", &SearchFilter::default())
    );
    assert_eq!(s.search_index.answered(), 1);
    let root = f.vault_dir.join(crate::search_index::FOLDER);
    let generation = |root: &Path| -> Vec<String> {
        std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let first = generation(&root);
    assert_eq!(first.len(), 1);

    // The log names a change the index never saw (the database restored
    // from a backup taken on another day): not trusted, built anew.
    s.conn
        .execute(
            "UPDATE search_changes SET stamp = stamp + 1 WHERE seq = (SELECT max(seq) FROM search_changes)",
            [],
        )
        .unwrap();
    assert_eq!(
        by_session(&mut s, "tenant", &SearchFilter::default()),
        by_fts5(&s, "tenant", &SearchFilter::default())
    );
    assert_eq!(s.search_index.answered(), 1, "FTS5 answered");
    assert!(
        s.search_index_error().unwrap().contains("another copy"),
        "{:?}",
        s.search_index_error()
    );
    assert_eq!(
        s.search_index_upkeep(Duration::from_secs(600)).unwrap(),
        Standing::InStep
    );
    let second = generation(&root);
    assert_eq!(second.len(), 1);
    assert_ne!(second, first, "a new generation, the old one wiped");

    // A file of the index altered on disk: the search still answers
    // (FTS5), and the index is built again under a new key.
    let folder = root.join(&second[0]);
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".idx") || name.ends_with(".term") {
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x55;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    s.lock().unwrap();
    let mut s = unlock(&f.env, &f.vault_dir, &pass("first passphrase")).unwrap();
    for q in ["lease", "indemn* -draft", "\"quiet enjoyment\""] {
        assert_eq!(
            by_session(&mut s, q, &SearchFilter::default()),
            by_fts5(&s, q, &SearchFilter::default()),
            "{q}"
        );
    }
    assert!(s.search_index_error().is_some());
    assert_eq!(
        s.search_index_upkeep(Duration::from_secs(600)).unwrap(),
        Standing::InStep
    );
    assert_ne!(generation(&root), second);
    let before = s.search_index.answered();
    assert_eq!(
        by_session(&mut s, "lease", &SearchFilter::default()),
        by_fts5(&s, "lease", &SearchFilter::default())
    );
    assert_eq!(s.search_index.answered(), before + 1);

    // Behind by more than a search may catch up on: FTS5 answers now,
    // and the upkeep brings it in step.
    let more = s.conn.unchecked_transaction().unwrap();
    for i in 1..=300 {
        search::refresh_names(&more, i).unwrap();
    }
    more.commit().unwrap();
    let mut zero = std::mem::replace(
        &mut s.search_index,
        crate::search_index::SearchIndex::new(&f.vault_dir),
    );
    assert_eq!(
        zero.upkeep(&s.conn, Duration::ZERO).unwrap(),
        Standing::Behind
    );
    s.search_index = zero;
    assert_eq!(
        s.search_index_upkeep(Duration::from_secs(600)).unwrap(),
        Standing::InStep
    );
    let left: i64 = s
        .conn
        .query_row("SELECT count(*) FROM search_changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1, "applied changes are forgotten but the last");
}
