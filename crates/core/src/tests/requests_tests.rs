//! Erasure assessments at the core's boundary, for the cases the CLI test
//! does not reach: a matter with no policy, an open matter, a deferred
//! one, and a policy that keeps documents one by one.

use super::*;
use crate::domain::requests::{ErasureOutcome, Relation, RequestInput, RequestKind};
use crate::retention::{Disposal, DisposalKind};
use matterbox_domain::retention::{PolicyInput, Trigger};

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[test]
fn erasure_says_why_each_matter_stays_and_when_it_may_go() {
    let f = fixture();
    let mut s = create(&f).session;
    s.update_settings(&SettingsPatch {
        conflict_check_required: Some(false),
        ..Default::default()
    })
    .unwrap();
    let c = s
        .create_client(&ClientInput {
            kind: Some(ClientKind::Person),
            name: "Hieronymus Fictional-Pratt".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    let matter = |s: &mut Session, title: &str, opened: &str| {
        s.open_matter(&MatterInput {
            title: title.into(),
            client_id: c,
            opened_on: Some(d(opened)),
            ..Default::default()
        })
        .unwrap()
        .summary
        .id
    };
    let unpoliced = matter(&mut s, "No policy", "2015-01-05");
    s.close_matter(unpoliced, Some(d("2015-06-30"))).unwrap();
    let open = matter(&mut s, "Still open", "2024-01-05");
    let deferred = matter(&mut s, "Deferred", "2010-01-05");
    s.close_matter(deferred, Some(d("2010-06-30"))).unwrap();
    let by_document = matter(&mut s, "Documents one by one", "2016-01-05");
    let file = f._dir.path().join("note.txt");
    std::fs::write(&file, "A fictional note.").unwrap();
    let doc = s.import_document(by_document, &file, None, false).unwrap();

    let closed = s
        .create_retention_policy(&PolicyInput {
            name: "Six years".into(),
            trigger: Some(Trigger::MatterClosed),
            years: 6,
            ..Default::default()
        })
        .unwrap();
    let added = s
        .create_retention_policy(&PolicyInput {
            name: "Ten years from adding".into(),
            trigger: Some(Trigger::DateAdded),
            years: 10,
            ..Default::default()
        })
        .unwrap();
    for m in [open, deferred] {
        s.set_matter_policy(m, Some(closed.id)).unwrap();
    }
    s.set_matter_policy(by_document, Some(added.id)).unwrap();
    let today = d("2026-02-02");
    s.defer_disposal(
        &Disposal {
            kind: DisposalKind::Matter,
            id: deferred,
        },
        d("2026-09-01"),
        today,
    )
    .unwrap();

    let r = s
        .open_request(
            &RequestInput {
                kind: RequestKind::Erasure,
                requester: "Hieronymus Fictional-Pratt".into(),
                relation: Relation::Client,
                also_known: vec![],
                received_on: d("2026-02-01"),
                notes: String::new(),
            },
            today,
        )
        .unwrap();
    // Nothing found yet: erasure has nothing to look at.
    assert!(s.assess_erasure(r.request.id, today).is_err());
    s.find_for_request(r.request.id, today).unwrap();
    let v = s.assess_erasure(r.request.id, today).unwrap();
    let row = |kind: DisposalKind, id: i64| {
        v.request
            .erasure
            .iter()
            .find(|e| e.kind == kind && e.target_id == id)
            .unwrap_or_else(|| panic!("no row for {kind} {id}: {:#?}", v.request.erasure))
    };
    let e = row(DisposalKind::Matter, unpoliced);
    assert_eq!(e.outcome, ErasureOutcome::NeedsPolicy);
    let e = row(DisposalKind::Matter, open);
    assert_eq!(
        (e.outcome, e.possible_from),
        (ErasureOutcome::Refused, None)
    );
    assert!(e.basis.contains("open"), "{}", e.basis);
    let e = row(DisposalKind::Matter, deferred);
    assert_eq!(
        (e.outcome, e.possible_from),
        (ErasureOutcome::Refused, Some(d("2026-09-01")))
    );
    let added_on = d(&doc.created_at[..10]);
    let e = row(DisposalKind::Document, doc.id);
    assert_eq!(e.outcome, ErasureOutcome::Refused);
    assert_eq!(
        e.possible_from,
        Some(matterbox_domain::retention::add_period(added_on, 10, 0))
    );
    // Nothing is erasable: approval destroys nothing and says so.
    let err = s
        .erase_for_request(r.request.id, &pass("first passphrase"), today)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(s.destruction_register().unwrap().is_empty());
    // The audit log has the assessments, with counts only.
    let entries = s.audit_entries().unwrap();
    let assessed: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "request_erasure_assessed")
        .collect();
    assert_eq!(assessed.len(), 2);
    for e in &entries {
        let text = serde_json::to_string(e).unwrap();
        assert!(!text.contains("Hieronymus"), "{text}");
        assert!(!text.contains("Pratt"), "{text}");
    }
}

/// An access export cancelled while it writes its second document: every
/// file it wrote is removed with the folder it made, the watch heard
/// which document of how many; run to the end, it reaches the last.
#[test]
fn a_cancelled_request_export_removes_every_file_it_wrote() {
    use crate::domain::requests::Mark;
    use std::sync::Mutex;
    let f = fixture();
    let mut s = create(&f).session;
    let (_, m) = person_with_matter(&mut s, "Philippa Fictional-Marr", "Marr lease");
    for (name, mb) in [("marr-1.txt", 2usize), ("marr-2.txt", 3), ("marr-3.txt", 1)] {
        let file = f._dir.path().join(name);
        let mut text = format!("Letter about Philippa Fictional-Marr, {name}.\n").into_bytes();
        text.resize(mb << 20, b' ');
        std::fs::write(&file, text).unwrap();
        s.import_document(m, &file, None, false).unwrap();
    }
    let today = d("2026-02-02");
    let id = s
        .open_request(
            &RequestInput {
                kind: RequestKind::Access,
                requester: "Philippa Fictional-Marr".into(),
                relation: Relation::Client,
                also_known: vec![],
                received_on: d("2026-02-01"),
                notes: String::new(),
            },
            today,
        )
        .unwrap()
        .request
        .id;
    let found = s.find_for_request(id, today).unwrap();
    for item in &found.request.items {
        s.mark_request_item(id, item.number, Mark::Disclose, None, "", today)
            .unwrap();
    }
    let documents = found
        .request
        .items
        .iter()
        .filter(|i| i.document_id.is_some())
        .count();
    assert_eq!(documents, 3, "{:?}", found.request.items);

    let folder = f._dir.path().join("marr-access");
    let heard: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| {
            heard
                .lock()
                .unwrap()
                .last()
                .is_some_and(|p| p.item == 2 && p.bytes >= 1 << 20)
        },
    };
    let out = s.export_request_watched(id, &folder, &watch).unwrap();
    assert!(out.is_none(), "{out:?}");
    assert!(!folder.exists(), "the folder the export made is removed");
    assert!(heard.lock().unwrap().iter().all(|p| p.items == 3));

    heard.lock().unwrap().clear();
    let watch = Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| false,
    };
    let done = s
        .export_request_watched(id, &folder, &watch)
        .unwrap()
        .unwrap();
    assert_eq!(done.documents.len(), 3);
    let last = heard.lock().unwrap().last().cloned().unwrap();
    assert_eq!((last.item, last.items, last.bytes), (3, 3, last.total));
}
