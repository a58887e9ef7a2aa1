use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn doc(id: u64, title: &str, body: &str) -> Doc {
    Doc {
        id,
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
    // Equal scores: by id.
    assert_eq!(all, (1..=40).collect::<Vec<_>>());
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
    // A prefix with more expansions than are scored still counts them all.
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
