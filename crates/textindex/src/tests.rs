use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn doc(id: u64, title: &str, body: &str) -> Doc {
    Doc {
        id,
        live: true,
        matter: id % 3,
        client: id % 2,
        day: 20_000 + id as i64,
        tags: if id.is_multiple_of(4) {
            vec!["deed".into()]
        } else {
            Vec::new()
        },
        columns: [
            words(title),
            Vec::new(),
            words(body),
            Vec::new(),
            Vec::new(),
        ],
    }
}

fn word(w: &str) -> Clause {
    Clause::Words {
        words: words(w),
        prefix: false,
        title_only: false,
    }
}

fn plan(must: Vec<Clause>) -> Plan {
    Plan {
        must,
        limit: 100,
        ..Plan::default()
    }
}

fn corpus() -> (tempfile::TempDir, TextIndex) {
    let t = tempfile::tempdir().unwrap();
    let index = TextIndex::open(t.path(), &[9; 32]).unwrap();
    let docs: Vec<Doc> = (1..=40)
        .map(|i| {
            doc(
                i,
                if i == 7 { "indemnity deed" } else { "letter" },
                &format!(
                    "the tenant {} shall {} quiet enjoyment",
                    if i % 2 == 0 { "indemnify" } else { "pay" },
                    if i % 5 == 0 { "draft" } else { "keep" }
                ),
            )
        })
        .collect();
    index.update(&[], &docs, "first").unwrap();
    (t, index)
}

#[test]
fn counts_every_match_and_pages_through_them_in_one_order() {
    let (_t, index) = corpus();
    assert_eq!(index.committed().unwrap().as_deref(), Some("first"));
    let (total, all) = index.search(&plan(vec![word("tenant")])).unwrap();
    assert_eq!(total, 40);
    // Equal scores, by id; 7's longer title ranks it last (bm25 weighs
    // a match by the row's length).
    let mut expected: Vec<u64> = (1..=40).filter(|&i| i != 7).collect();
    expected.push(7);
    assert_eq!(all, expected);
    // Every match at once, as `--all` asks: the page is cut to the count.
    let every = Plan {
        limit: usize::MAX,
        ..plan(vec![word("tenant")])
    };
    assert_eq!(index.search(&every).unwrap(), (40, all.clone()));
    let past = Plan {
        offset: 40,
        limit: u32::MAX as usize,
        ..plan(vec![word("tenant")])
    };
    assert_eq!(index.search(&past).unwrap(), (40, Vec::new()));
    let mut paged = Vec::new();
    for offset in (0..40).step_by(7) {
        let p = Plan {
            offset,
            limit: 7,
            ..plan(vec![word("tenant")])
        };
        let (t, ids) = index.search(&p).unwrap();
        assert_eq!(t, 40);
        paged.extend(ids);
    }
    assert_eq!(paged, all);
}

#[test]
fn prefixes_phrases_exclusions_titles_and_filters() {
    let (_t, index) = corpus();
    let prefix = Clause::Words {
        words: words("indemn"),
        prefix: true,
        title_only: false,
    };
    // 20 even ids say "indemnify", and 7's title "indemnity".
    let (total, ids) = index.search(&plan(vec![prefix.clone()])).unwrap();
    assert_eq!(total, 21);
    assert_eq!(ids[0], 7, "the title weighs most");
    let p = Plan {
        must_not: vec![word("draft")],
        ..plan(vec![prefix.clone()])
    };
    // Without the ten multiples of 5 (10, 20, 30, 40 are even).
    assert_eq!(index.search(&p).unwrap().0, 17);
    let (total, _) = index.search(&plan(vec![word("quiet enjoyment")])).unwrap();
    assert_eq!(total, 40);
    let (total, _) = index.search(&plan(vec![word("enjoyment quiet")])).unwrap();
    assert_eq!(total, 0, "a phrase keeps its order");
    let title = Clause::Words {
        words: words("deed"),
        prefix: false,
        title_only: true,
    };
    assert_eq!(index.search(&plan(vec![title])).unwrap(), (1, vec![7]));
    let any = Clause::Any(vec![word("draft"), word("indemnity")]);
    assert_eq!(index.search(&plan(vec![any])).unwrap().0, 9);
    let filtered = |filters: Vec<(Filter, bool)>| {
        index
            .search(&Plan {
                filters,
                ..plan(vec![word("tenant")])
            })
            .unwrap()
            .1
    };
    assert_eq!(
        filtered(vec![(Filter::Matter(0), false)]),
        (1..=40).filter(|i| i % 3 == 0).collect::<Vec<_>>()
    );
    assert_eq!(
        filtered(vec![(Filter::Client(1), true)]),
        (1..=40).filter(|i| i % 2 == 0).collect::<Vec<_>>()
    );
    assert_eq!(
        filtered(vec![(Filter::Tag("deed".into()), false)]),
        vec![4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    );
    assert_eq!(
        filtered(vec![(
            Filter::Days {
                from: Some(20_010),
                to: Some(20_012)
            },
            false
        )]),
        vec![10, 11, 12]
    );
    // A prefix with many expansions counts them all.
    let docs: Vec<Doc> = (100..400)
        .map(|i| doc(i, "memo", &format!("zz{i} tenant")))
        .collect();
    index.update(&[], &docs, "second").unwrap();
    let zz = Clause::Words {
        words: words("zz"),
        prefix: true,
        title_only: false,
    };
    assert_eq!(index.search(&plan(vec![zz])).unwrap().0, 300);
}

#[test]
fn updates_replace_and_remove_and_survive_reopening() {
    let t = tempfile::tempdir().unwrap();
    let index = TextIndex::open(t.path(), &[9; 32]).unwrap();
    assert_eq!(index.committed().unwrap(), None);
    index
        .update(
            &[],
            &[doc(1, "memo", "alpha"), doc(2, "memo", "alpha")],
            "a",
        )
        .unwrap();
    index.update(&[2], &[doc(1, "memo", "beta")], "b").unwrap();
    assert_eq!(index.search(&plan(vec![word("alpha")])).unwrap().0, 0);
    assert_eq!(index.search(&plan(vec![word("beta")])).unwrap().1, vec![1]);
    drop(index);
    let again = TextIndex::open(t.path(), &[9; 32]).unwrap();
    assert_eq!(again.committed().unwrap().as_deref(), Some("b"));
    assert_eq!(again.len().unwrap(), 1);
    drop(again);
    // Another key opens nothing.
    assert!(TextIndex::open(t.path(), &[8; 32]).is_err());
}

#[test]
fn nothing_is_on_disk_in_clear_and_a_wipe_leaves_nothing() {
    let t = tempfile::tempdir().unwrap();
    let folder = t.path().join("generation");
    let index = TextIndex::open(&folder, &[3; 32]).unwrap();
    let docs: Vec<Doc> = (1..=200)
        .map(|i| doc(i, "confidentialtitle", "secretword tenant"))
        .collect();
    index.update(&[], &docs, "payloadmarker").unwrap();
    drop(index);
    let mut files = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        for needle in ["secretword", "confidentialtitle", "tenant", "payloadmarker"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear"
            );
        }
    }
    assert!(files > 2);
    crypt_dir::wipe(&folder).unwrap();
    assert!(!folder.exists());
}

#[test]
fn two_processes_taking_turns_leave_no_file_behind() {
    // Two handles on one folder stand for two processes (the app and the
    // CLI); the vault's write lock makes them take turns.
    let t = tempfile::tempdir().unwrap();
    let a = TextIndex::open(t.path(), &[4; 32]).unwrap();
    let b = TextIndex::open(t.path(), &[4; 32]).unwrap();
    for round in 0..12u64 {
        let docs: Vec<Doc> = (0..5)
            .map(|i| doc(round * 10 + i, "memo", "tenant"))
            .collect();
        let (first, second) = docs.split_at(2);
        a.update(&[], first, &format!("a{round}")).unwrap();
        b.update(&[round * 10], second, &format!("b{round}"))
            .unwrap();
    }
    for index in [&a, &b] {
        assert_eq!(index.committed().unwrap().as_deref(), Some("b11"));
        assert_eq!(index.search(&plan(vec![word("tenant")])).unwrap().0, 48);
    }
    // The CLI exits; the app goes on, and merges what it wrote away.
    drop(b);
    for round in 12..30u64 {
        let docs: Vec<Doc> = (0..3)
            .map(|i| doc(round * 10 + i, "memo", "tenant"))
            .collect();
        a.update(&[], &docs, &format!("a{round}")).unwrap();
    }
    assert_eq!(
        a.search(&plan(vec![word("tenant")])).unwrap().0,
        48 + 18 * 3
    );
    let fresh = Index::open(CryptDir::new(t.path(), &[4; 32]).unwrap()).unwrap();
    let mut used: std::collections::BTreeSet<String> = fresh
        .searchable_segment_metas()
        .unwrap()
        .iter()
        .flat_map(|m| m.list_files())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    used.extend(
        [
            "meta.json",
            ".managed.json",
            ".tantivy-writer.lock",
            ".tantivy-meta.lock",
        ]
        .map(String::from),
    );
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let left: Vec<&String> = on_disk.difference(&used).collect();
    assert!(left.is_empty(), "files no commit uses: {left:?}");
}

/// FTS5 over the same rows, with the vault index's tokenizer and weights:
/// each live match's score (FTS5's bm25, negated so higher is better) and
/// id, best first, ties by id, as the vault's search orders them.
fn fts5_ranked(docs: &[Doc], query: &str) -> Vec<(f64, u64)> {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(title, original_name, body, meta, ocr,
             tokenize = 'unicode61 remove_diacritics 2');
         CREATE TABLE live (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    for d in docs {
        let c: Vec<String> = d.columns.iter().map(|w| w.join(" ")).collect();
        conn.execute(
            "INSERT INTO t (rowid, title, original_name, body, meta, ocr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![d.id as i64, c[0], c[1], c[2], c[3], c[4]],
        )
        .unwrap();
        if d.live {
            conn.execute("INSERT INTO live (id) VALUES (?1)", [d.id as i64])
                .unwrap();
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT rowid, bm25(t, 5.0, 2.0, 1.0, 3.0, 1.0) AS score FROM t
             WHERE t MATCH ?1 AND rowid IN (SELECT id FROM live) ORDER BY score, rowid",
        )
        .unwrap();
    stmt.query_map([query], |r| {
        Ok((-r.get::<_, f64>(1)?, r.get::<_, i64>(0)? as u64))
    })
    .unwrap()
    .collect::<std::result::Result<_, _>>()
    .unwrap()
}

/// A plan's words as FTS5 reads them (as the vault's query language
/// writes them).
fn fts5_query(plan: &Plan) -> String {
    fn clause(c: &Clause) -> String {
        match c {
            Clause::Any(any) => format!(
                "({})",
                any.iter().map(clause).collect::<Vec<_>>().join(" OR ")
            ),
            Clause::Words {
                words,
                prefix,
                title_only,
            } => format!(
                "{}\"{}\"{}",
                if *title_only { "title : " } else { "" },
                words.join(" "),
                if *prefix { " *" } else { "" }
            ),
        }
    }
    let join = |cs: &[Clause], with: &str| cs.iter().map(clause).collect::<Vec<_>>().join(with);
    let must = join(&plan.must, " AND ");
    if plan.must_not.is_empty() {
        must
    } else {
        format!("({must}) NOT ({})", join(&plan.must_not, " OR "))
    }
}

/// Ours, with the scores.
fn ours_ranked(index: &TextIndex, plan: &Plan) -> (u64, Vec<(f64, u64)>) {
    let (total, hits) = index.ranked(plan).unwrap();
    (total, hits.into_iter().map(|h| (h.score, h.id)).collect())
}

#[test]
fn ranks_exactly_as_fts5_scores_to_the_last_bit() {
    let t = tempfile::tempdir().unwrap();
    let index = TextIndex::open(t.path(), &[5; 32]).unwrap();
    let mut docs: Vec<Doc> = (1..=60)
        .map(|i| {
            let mut d = doc(
                i,
                if i % 6 == 0 {
                    "lease indemnity"
                } else {
                    "memo"
                },
                &"tenant lease quiet enjoyment indemnify draft "
                    .repeat(1 + (i as usize % 4))
                    .split_whitespace()
                    .skip(i as usize % 5)
                    .filter(|w| *w != "draft" || i % 3 == 0)
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            d.columns[3] = words(if i % 4 == 0 { "deed lease" } else { "" });
            d.columns[1] = words(&format!("lease {i} pdf"));
            d.live = i % 7 != 0;
            d
        })
        .collect();
    // Two commits and a replacement: three segments, one with a deletion.
    index.update(&[], &docs[..30], "a").unwrap();
    index.update(&[], &docs[30..], "b").unwrap();
    docs[3].columns[2] = words("lease lease lease");
    index.update(&[4], &docs[3..4], "c").unwrap();
    let prefix = |w: &str| Clause::Words {
        words: words(w),
        prefix: true,
        title_only: false,
    };
    let plans = [
        plan(vec![word("lease")]),
        plan(vec![word("lease"), word("tenant")]),
        plan(vec![word("quiet enjoyment")]),
        plan(vec![prefix("indemn")]),
        Plan {
            must_not: vec![word("draft")],
            ..plan(vec![prefix("indemn")])
        },
        plan(vec![Clause::Any(vec![word("deed"), word("quiet")])]),
        plan(vec![Clause::Words {
            words: words("lease"),
            prefix: false,
            title_only: true,
        }]),
        plan(vec![prefix("enjoyment indem")]),
        plan(vec![word("pdf")]),
    ];
    for p in &plans {
        let expected = fts5_ranked(&docs, &fts5_query(p));
        assert!(!expected.is_empty(), "{p:?}");
        let (total, got) = ours_ranked(&index, p);
        assert_eq!(total, expected.len() as u64, "{p:?}");
        assert_eq!(got, expected, "{p:?}");
    }
    // A page is a slice of that order.
    let p = Plan {
        offset: 5,
        limit: 4,
        ..plans[0].clone()
    };
    let all: Vec<u64> = fts5_ranked(&docs, "\"lease\"")
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(index.search(&p).unwrap().1, all[5..9].to_vec());
}

/// The one shape FTS5 scores by its walk rather than by the words: an
/// `AND` under a `NOT`, holding an `OR` and a phrase. Row 1 holds "deed"
/// and "tenant" apart; FTS5 stops there, clears every phrase's instances
/// below the `AND`, "notice" among them though it already stands on row
/// 2, and on row 2 then counts "deed" only. Without the exclusion it
/// counts both. Should SQLite change this, the accelerator can take the
/// shape back.
#[test]
fn fts5_scores_an_excluded_and_with_an_or_by_its_walk() {
    let row = |id, columns: [&str; 5]| Doc {
        id,
        live: true,
        columns: columns.map(words),
        ..Doc::default()
    };
    let docs = [
        row(1, ["", "deed", "", "", "tenant"]),
        row(2, ["", "", "deed notice", "", ""]),
        row(3, ["", "", "", "", ""]),
    ];
    let t = tempfile::tempdir().unwrap();
    let index = TextIndex::open(t.path(), &[7; 32]).unwrap();
    index.update(&[], &docs, "a").unwrap();
    let included = plan(vec![
        word("deed"),
        Clause::Any(vec![word("deed tenant"), word("notice")]),
    ]);
    let excluded = Plan {
        must_not: vec![word("lease")],
        ..included.clone()
    };
    let both = fts5_ranked(&docs, &fts5_query(&included));
    assert_eq!(ours_ranked(&index, &included), (1, both.clone()));
    assert!(included.scored_as_fts5());

    let deed_only = fts5_ranked(&docs, &fts5_query(&excluded));
    assert_eq!(deed_only.len(), 1);
    assert!(
        deed_only[0].0 < both[0].0 / 1000.0,
        "FTS5 counted \"notice\" under the exclusion: {deed_only:?} against {both:?}"
    );
    assert!(!excluded.scored_as_fts5());
    // The same shape without a phrase that can hold its words apart.
    let single = Plan {
        must: vec![
            word("deed"),
            Clause::Any(vec![word("tenant"), word("notice")]),
        ],
        ..excluded.clone()
    };
    assert!(single.scored_as_fts5());
    assert_eq!(
        ours_ranked(&index, &single).1,
        fts5_ranked(&docs, &fts5_query(&single))
    );
}

mod exact_order {
    use super::*;
    use proptest::prelude::*;

    const VOCABULARY: &[&str] = &[
        "lease",
        "leased",
        "leasehold",
        "tenant",
        "indemnity",
        "indemnify",
        "indemn",
        "quiet",
        "enjoyment",
        "draft",
        "deed",
        "notice",
    ];

    fn column(max: usize) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..max)
            .prop_map(|w| w.into_iter().map(String::from).collect())
    }

    fn row() -> impl Strategy<Value = (bool, [Vec<String>; 5])> {
        (
            proptest::bool::weighted(0.85),
            [column(4), column(3), column(40), column(4), column(12)],
        )
    }

    fn clause() -> impl Strategy<Value = Clause> {
        let words = (
            proptest::collection::vec(proptest::sample::select(VOCABULARY), 1..3),
            any::<bool>(),
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(w, prefix, title_only)| {
                let last = w.len() - 1;
                Clause::Words {
                    // A prefix is the start of the last word.
                    words: w
                        .into_iter()
                        .enumerate()
                        .map(|(i, w)| {
                            if prefix && i == last {
                                w.chars().take(4).collect()
                            } else {
                                w.to_string()
                            }
                        })
                        .collect(),
                    prefix,
                    title_only,
                }
            });
        prop_oneof![
            4 => words.clone(),
            1 => proptest::collection::vec(words, 2..4).prop_map(Clause::Any),
        ]
    }

    proptest! {
        // PROPTEST_CASES runs more (48 in the test command).
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48),
            ..ProptestConfig::default()
        })]

        /// Over any rows (some trashed, in several segments, some
        /// replaced) and any query of the kinds the accelerator takes,
        /// the order and every score are FTS5's.
        #[test]
        fn over_any_rows_and_query(
            rows in proptest::collection::vec(row(), 1..80),
            must in proptest::collection::vec(clause(), 1..3),
            must_not in proptest::collection::vec(clause(), 0..2),
            replaced in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
        ) {
            let t = tempfile::tempdir().unwrap();
            let index = TextIndex::open(t.path(), &[6; 32]).unwrap();
            let mut docs: Vec<Doc> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (live, columns))| Doc {
                    id: i as u64 + 1,
                    live,
                    columns,
                    ..Doc::default()
                })
                .collect();
            let half = docs.len() / 2;
            index.update(&[], &docs[..half], "a").unwrap();
            index.update(&[], &docs[half..], "b").unwrap();
            let replaced: std::collections::BTreeSet<usize> =
                replaced.iter().map(|r| r.index(docs.len())).collect();
            let mut changed = Vec::new();
            for i in replaced {
                docs[i].columns.swap(0, 2);
                docs[i].live = !docs[i].live;
                changed.push(docs[i].clone());
            }
            index.update(&[], &changed, "c").unwrap();
            let p = Plan { must, must_not, limit: 1_000, ..Plan::default() };
            let expected = fts5_ranked(&docs, &fts5_query(&p));
            let (total, got) = ours_ranked(&index, &p);
            prop_assert_eq!(total, expected.len() as u64);
            if p.scored_as_fts5() {
                prop_assert_eq!(got, expected);
            } else {
                // FTS5's to rank (see the test below); the matches agree.
                let ids = |hits: &[(f64, u64)]| {
                    let mut ids: Vec<u64> = hits.iter().map(|h| h.1).collect();
                    ids.sort_unstable();
                    ids
                };
                prop_assert_eq!(ids(&got), ids(&expected));
            }
        }
    }
}
