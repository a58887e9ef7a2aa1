//! Conflict checks at the core's boundary: severity, the issue's example,
//! opening under a cleared check, parties re-checked, names that outlive
//! destruction, common parties, and an audit log without names.

use super::*;
use crate::conflicts::{CheckRequest, severity};
use crate::domain::conflicts::{
    CheckPurpose, CheckStatus, Decision, HitSide, HitSource, NameKind, SearchRole, SearchedName,
    Severity,
};
use crate::retention::{Disposal, DisposalKind};
use matterbox_domain::retention::{PolicyInput, Trigger};

fn searched(name: &str, kind: NameKind, role: SearchRole) -> SearchedName {
    SearchedName {
        name: name.into(),
        kind,
        role,
    }
}

fn check(names: Vec<SearchedName>) -> CheckRequest {
    CheckRequest {
        names,
        ..Default::default()
    }
}

fn client(s: &mut Session, name: &str, kind: ClientKind) -> i64 {
    s.create_client(&ClientInput {
        kind: Some(kind),
        name: name.into(),
        ..Default::default()
    })
    .unwrap()
    .id
}

/// Checks off while setting up, so the fixtures open freely.
fn setup_matter(s: &mut Session, client_id: i64, title: &str, opened: &str) -> i64 {
    s.open_matter(&MatterInput {
        title: title.into(),
        client_id,
        opened_on: Some(opened.parse().unwrap()),
        ..Default::default()
    })
    .unwrap()
    .summary
    .id
}

fn party(s: &mut Session, matter: i64, name: &str, role: &str, side: PartySide) {
    s.add_party(
        matter,
        &PartyInput {
            name: name.into(),
            role: role.into(),
            side,
        },
    )
    .unwrap();
}

/// A vault with "Acme Ltd" as a client and "Bob Smith" as the adverse
/// party of a matter closed in 2019.
fn the_issue_s_vault(s: &mut Session) -> (i64, i64) {
    let acme = client(s, "Acme Ltd", ClientKind::Organization);
    setup_matter(s, acme, "Acme supply contract", "2018-03-01");
    let jane = client(s, "Jane Roe", ClientKind::Person);
    let old = setup_matter(s, jane, "Roe v. Smith", "2019-01-15");
    party(s, old, "Bob Smith", "defendant", PartySide::Adverse);
    s.close_matter(old, Some("2019-11-30".parse().unwrap()))
        .unwrap();
    (acme, old)
}

#[test]
fn severity_follows_the_roles() {
    use HitSide as S;
    use SearchRole as R;
    for (role, side, expect) in [
        (R::Client, S::Adverse, Severity::High),
        (R::Adverse, S::Client, Severity::High),
        (R::Adverse, S::Prospect, Severity::Medium),
        (R::Client, S::Related, Severity::Medium),
        (R::Related, S::Adverse, Severity::Medium),
        (R::Client, S::Client, Severity::Low),
        (R::Adverse, S::Adverse, Severity::Low),
        (R::Client, S::Prospect, Severity::Low),
    ] {
        assert_eq!(severity(role, side), expect, "{role:?} vs {side:?}");
    }
}

#[test]
fn the_issue_s_example_is_found_with_a_reason_per_hit_and_decided() {
    let f = fixture();
    let mut s = create(&f).session;
    let (acme, old) = the_issue_s_vault(&mut s);
    let record = s
        .conflict_check(&check(vec![
            searched("Robert Smyth", NameKind::Person, SearchRole::Client),
            searched(
                "ACME Corporation",
                NameKind::Organization,
                SearchRole::Adverse,
            ),
        ]))
        .unwrap();
    assert_eq!(record.matcher_version, matterbox_names::MATCHER_VERSION);
    assert_eq!(record.status, CheckStatus::Undecided);
    assert_eq!(record.hits.len(), 2, "{:#?}", record.hits);
    let bob = record
        .hits
        .iter()
        .find(|h| h.hit.matched_name == "Bob Smith")
        .unwrap();
    assert_eq!(bob.hit.target.source, HitSource::Party);
    assert_eq!(bob.hit.target.side, HitSide::Adverse);
    assert_eq!(bob.hit.target.matter_id, Some(old));
    assert_eq!(bob.hit.target.matter_status.as_deref(), Some("closed"));
    assert_eq!(bob.hit.target.closed_on.as_deref(), Some("2019-11-30"));
    assert_eq!(bob.hit.target.party_role, "defendant");
    assert_eq!(bob.hit.severity, Severity::High);
    assert!(bob.hit.explanation.contains("nickname"), "{bob:?}");
    let acme_hit = record
        .hits
        .iter()
        .find(|h| h.hit.matched_name == "Acme Ltd")
        .unwrap();
    assert_eq!(acme_hit.hit.target.source, HitSource::Client);
    assert_eq!(acme_hit.hit.target.client_id, Some(acme));
    assert_eq!(acme_hit.hit.severity, Severity::High);
    assert_eq!(acme_hit.hit.reason_kind(), "legal_form_stripped");

    // Decisions are appended; the record says who and why.
    let r = s
        .conflict_decide(
            record.id,
            bob.number,
            Decision::NoConflict,
            "Different person: Bob Smith of Leeds, born 1950",
        )
        .unwrap();
    assert_eq!(r.status, CheckStatus::Undecided);
    let r = s
        .conflict_decide(
            record.id,
            acme_hit.number,
            Decision::WaiverNeeded,
            "Former client; matter unrelated, waiver to be sought",
        )
        .unwrap();
    assert_eq!(r.status, CheckStatus::Cleared);
    let decided = r.hits.iter().find(|h| h.number == bob.number).unwrap();
    assert_eq!(decided.decisions[0].decided_by, "test:ada");

    // The matter opens under the cleared check and is linked to it.
    let robert = client(&mut s, "Robert Smyth", ClientKind::Person);
    let m = s
        .open_matter(&MatterInput {
            title: "Smyth v. ACME".into(),
            client_id: robert,
            conflict_check: Some(record.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(m.conflict_check, Some(record.id));
    assert_eq!(
        s.conflict_check_record(record.id)
            .unwrap()
            .opened_matter_number
            .as_deref(),
        Some(m.summary.number.as_str())
    );
    let html = s.conflict_check_html(record.id).unwrap();
    assert!(html.contains("Bob Smith") && html.contains("born 1950"));
    assert!(html.contains("waiver_needed") && html.contains(&m.summary.number));
}

#[test]
fn opening_a_matter_needs_a_cleared_check_of_its_client() {
    let f = fixture();
    let mut s = create(&f).session;
    the_issue_s_vault(&mut s);
    let robert = client(&mut s, "Robert Smyth", ClientKind::Person);
    let open = |s: &mut Session, check: Option<i64>| {
        s.open_matter(&MatterInput {
            title: "Smyth v. ACME".into(),
            client_id: robert,
            conflict_check: check,
            ..Default::default()
        })
    };

    // No check given: the automatic check of the client finds Bob Smith,
    // is saved, and the open is refused with its id.
    let err = open(&mut s, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    let auto = s.conflict_checks().unwrap()[0].clone();
    assert!(err.user_message().contains(&format!("check {}", auto.id)));
    assert_eq!(auto.hits, 1);
    assert_eq!(auto.status, CheckStatus::Undecided);
    assert_eq!(
        open(&mut s, Some(auto.id)).unwrap_err().code(),
        ErrorCode::Conflict
    );

    // Decided as a conflict: refused; a later decision supersedes it.
    s.conflict_decide(auto.id, 1, Decision::Conflict, "Same person")
        .unwrap();
    let err = open(&mut s, Some(auto.id)).unwrap_err();
    assert!(err.user_message().contains("decided as a conflict"));
    s.conflict_decide(auto.id, 1, Decision::NoConflict, "Checked: another Bob")
        .unwrap();
    let m = open(&mut s, Some(auto.id)).unwrap();
    assert_eq!(m.conflict_check, Some(auto.id));
    // A check opens one matter only.
    assert_eq!(
        open(&mut s, Some(auto.id)).unwrap_err().code(),
        ErrorCode::Conflict
    );

    // A check of someone else is not this client's check.
    let other = s
        .conflict_check(&check(vec![searched(
            "Zebedee Quarrington",
            NameKind::Person,
            SearchRole::Client,
        )]))
        .unwrap();
    assert_eq!(other.status, CheckStatus::Clear);
    assert_eq!(
        open(&mut s, Some(other.id)).unwrap_err().code(),
        ErrorCode::Validation
    );
    assert_eq!(
        open(&mut s, Some(9999)).unwrap_err().code(),
        ErrorCode::NotFound
    );

    // A client nobody else resembles opens with an automatic clear check.
    let zeb = client(&mut s, "Zebedee Quarrington", ClientKind::Person);
    let m = s
        .open_matter(&MatterInput {
            title: "Will".into(),
            client_id: zeb,
            ..Default::default()
        })
        .unwrap();
    let linked = s.conflict_check_record(m.conflict_check.unwrap()).unwrap();
    assert_eq!(linked.status, CheckStatus::Clear);

    // With the requirement off, no check is made or needed.
    s.update_settings(&SettingsPatch {
        conflict_check_required: Some(false),
        ..Default::default()
    })
    .unwrap();
    assert!(!s.settings().unwrap().conflict_check_required);
    let m = open(&mut s, None).unwrap();
    assert_eq!(m.conflict_check, None);
}

#[test]
fn a_party_added_to_an_open_matter_is_checked_and_recorded() {
    let f = fixture();
    let mut s = create(&f).session;
    let (acme, _) = the_issue_s_vault(&mut s);
    let zeb = client(&mut s, "Zebedee Quarrington", ClientKind::Person);
    let m = setup_matter(&mut s, zeb, "Quarrington v. Acme", "2026-01-05");
    party(
        &mut s,
        m,
        "ACME Corporation",
        "defendant",
        PartySide::Adverse,
    );
    let matter = s.matter(m).unwrap();
    assert_eq!(matter.unresolved_conflict_checks.len(), 1);
    let id = matter.unresolved_conflict_checks[0];
    let record = s.conflict_check_record(id).unwrap();
    assert_eq!(record.for_matter_id, Some(m));
    assert_eq!(record.hits.len(), 1);
    assert_eq!(record.hits[0].hit.target.client_id, Some(acme));
    assert_eq!(record.hits[0].hit.severity, Severity::High);
    s.conflict_decide(id, 1, Decision::WaiverNeeded, "Acme consents in writing")
        .unwrap();
    assert!(s.matter(m).unwrap().unresolved_conflict_checks.is_empty());
    let entry = s
        .audit_entries()
        .unwrap()
        .into_iter()
        .rfind(|e| e.action == "matter_party_added")
        .unwrap();
    assert!(
        entry.details.contains("\"conflict_hits\":1"),
        "{}",
        entry.details
    );
}

#[test]
fn common_parties_are_recorded_but_need_no_decision() {
    let f = fixture();
    let mut s = create(&f).session;
    let c = client(&mut s, "Jane Roe", ClientKind::Person);
    let m = setup_matter(&mut s, c, "Roe v. IRS", "2024-01-01");
    party(
        &mut s,
        m,
        "Internal Revenue Service",
        "respondent",
        PartySide::Adverse,
    );
    let req = check(vec![
        searched("Wilbur Quince", NameKind::Person, SearchRole::Client),
        searched(
            "Internal Revenue Service",
            NameKind::Organization,
            SearchRole::Adverse,
        ),
    ]);
    assert_eq!(s.conflict_preview(&req).unwrap()[0].severity, Severity::Low);
    let parties = s
        .add_conflict_common_party("Internal Revenue Service")
        .unwrap();
    assert_eq!(
        s.add_conflict_common_party("internal revenue service")
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    let record = s.conflict_check(&req).unwrap();
    assert_eq!(record.hits.len(), 1);
    assert_eq!(record.hits[0].hit.severity, Severity::Suppressed);
    assert_eq!(record.status, CheckStatus::Clear);
    s.remove_conflict_common_party(parties[0].id).unwrap();
    assert!(s.conflict_common_parties().unwrap().is_empty());
}

#[test]
fn names_of_destroyed_matters_stay_in_the_index_while_the_setting_is_on() {
    let f = fixture();
    let mut s = create(&f).session;
    let c = client(&mut s, "Thessaly Vantwood", ClientKind::Person);
    s.update_client(
        c,
        &ClientPatch {
            former_names: Some(vec!["Thessaly Brackenridge".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let estate = setup_matter(&mut s, c, "Vantwood estate", "2010-01-01");
    party(
        &mut s,
        estate,
        "Octavian Pellworth",
        "executor",
        PartySide::Related,
    );
    party(
        &mut s,
        estate,
        "Mordecai Blenkinsop",
        "claimant",
        PartySide::Adverse,
    );
    s.close_matter(estate, Some("2012-06-30".parse().unwrap()))
        .unwrap();
    let p = s
        .create_retention_policy(&PolicyInput {
            name: "Estates".into(),
            trigger: Some(Trigger::MatterClosed),
            years: 1,
            ..Default::default()
        })
        .unwrap();
    s.set_matter_policy(estate, Some(p.id)).unwrap();
    let report = s
        .destroy_approved(
            &[Disposal {
                kind: DisposalKind::Matter,
                id: estate,
            }],
            &pass("first passphrase"),
            "2020-01-01".parse().unwrap(),
        )
        .unwrap();
    assert_eq!((report.matters, report.clients), (1, 1));
    assert!(s.clients(None).unwrap().is_empty());

    let record = s
        .conflict_check(&check(vec![
            searched("Mordecai Blenkinsopp", NameKind::Person, SearchRole::Client),
            searched(
                "Thessaly Brackenridge",
                NameKind::Person,
                SearchRole::Adverse,
            ),
        ]))
        .unwrap();
    assert_eq!(record.hits.len(), 2, "{:#?}", record.hits);
    for h in &record.hits {
        assert_eq!(h.hit.target.source, HitSource::Destroyed);
        assert_eq!(h.hit.target.destroyed_on.as_deref(), Some("2020-01-01"));
        assert_eq!(h.hit.target.closed_on.as_deref(), Some("2012-06-30"));
        assert_eq!(h.hit.severity, Severity::High, "{h:?}");
    }
    let former = record
        .hits
        .iter()
        .find(|h| h.hit.target.side == HitSide::Client)
        .unwrap();
    assert_eq!(
        former.hit.alias,
        Some(crate::domain::conflicts::AliasKind::FormerName)
    );
    let entry = s
        .audit_entries()
        .unwrap()
        .into_iter()
        .find(|e| e.action == "matter_destroyed")
        .unwrap();
    assert!(
        entry.details.contains("\"conflict_names_kept\":3"),
        "{}",
        entry.details
    );

    // Off: the next destruction keeps nothing.
    s.update_settings(&SettingsPatch {
        keep_conflict_names: Some(false),
        ..Default::default()
    })
    .unwrap();
    let c = client(&mut s, "Perpetua Winterbourne", ClientKind::Person);
    let m = setup_matter(&mut s, c, "Lease", "2010-01-01");
    s.close_matter(m, Some("2012-06-30".parse().unwrap()))
        .unwrap();
    s.set_matter_policy(m, Some(p.id)).unwrap();
    s.destroy_approved(
        &[Disposal {
            kind: DisposalKind::Matter,
            id: m,
        }],
        &pass("first passphrase"),
        "2020-01-01".parse().unwrap(),
    )
    .unwrap();
    let record = s
        .conflict_check(&check(vec![searched(
            "Perpetua Winterbourne",
            NameKind::Person,
            SearchRole::Adverse,
        )]))
        .unwrap();
    assert!(record.hits.is_empty());
}

#[test]
fn the_index_follows_changes_and_hostile_names_do_no_harm() {
    let f = fixture();
    let mut s = create(&f).session;
    let req = check(vec![searched(
        "Müller",
        NameKind::Unknown,
        SearchRole::Adverse,
    )]);
    assert!(s.conflict_preview(&req).unwrap().is_empty());
    let c = client(&mut s, "Hans Mueller", ClientKind::Person);
    assert_eq!(s.conflict_preview(&req).unwrap().len(), 1);
    s.update_client(
        c,
        &ClientPatch {
            name: Some("Hans Schmidt".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(s.conflict_preview(&req).unwrap().is_empty());

    for bad in [
        String::new(),
        " \u{200b}".into(),
        "a\u{0}b".into(),
        "x".repeat(10_000),
    ] {
        let err = s
            .conflict_check(&check(vec![searched(
                &bad,
                NameKind::Unknown,
                SearchRole::Client,
            )]))
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation);
    }
    assert_eq!(
        s.conflict_check(&check(vec![])).unwrap_err().code(),
        ErrorCode::Validation
    );
    let zalgo = format!("H{}ans", "\u{0301}".repeat(400));
    s.conflict_check(&check(vec![searched(
        &zalgo,
        NameKind::Person,
        SearchRole::Client,
    )]))
    .unwrap();
    assert_eq!(
        s.conflict_decide(1, 1, Decision::Conflict, "x")
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

#[test]
fn the_audit_log_records_ids_and_counts_never_names() {
    let f = fixture();
    let mut s = create(&f).session;
    the_issue_s_vault(&mut s);
    let record = s
        .conflict_check(&CheckRequest {
            names: vec![
                searched("Robert Smyth", NameKind::Person, SearchRole::Client),
                searched(
                    "ACME Corporation",
                    NameKind::Organization,
                    SearchRole::Adverse,
                ),
            ],
            save_prospect: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert!(record.prospect_id.is_some());
    s.conflict_decide(record.id, 1, Decision::Conflict, "Quillon reasoning canary")
        .unwrap();
    s.conflict_check_html(record.id).unwrap();
    s.add_conflict_common_party("Zorblatt County Court")
        .unwrap();
    // The prospect is found by the next check.
    let next = s
        .conflict_check(&check(vec![searched(
            "Rob Smyth",
            NameKind::Person,
            SearchRole::Adverse,
        )]))
        .unwrap();
    assert!(
        next.hits
            .iter()
            .any(|h| h.hit.target.source == HitSource::Prospect
                && h.hit.severity == Severity::Medium)
    );
    let audit = String::from_utf8(s.export_audit(AuditFormat::Jsonl).unwrap()).unwrap();
    for name in [
        "Robert", "Smyth", "ACME", "Acme", "Bob", "Smith", "Quillon", "Zorblatt",
    ] {
        assert!(!audit.contains(name), "{name} is in the audit log");
    }
    assert!(audit.contains("conflict_checked") && audit.contains("conflict_decided"));
}

/// The lower tier: every document mentioning a name is counted (one
/// full-text query per name), the first twenty are recorded with their
/// matter, client and why; the check's own client's documents and the
/// matter a party joins are left out; an undecided mention holds nothing
/// back, one decided a conflict does.
#[test]
fn documents_that_mention_a_name_are_a_counted_lower_tier() {
    let f = fixture();
    let mut s = create(&f).session;
    let (acme, old) = the_issue_s_vault(&mut s);
    let files = tempfile::tempdir().unwrap();
    for i in 0..23 {
        let body =
            format!("Memo {i}. Counsel met Smyth, Robert J. about the delivery dispute; item{i}.");
        let path = write_file(files.path(), &format!("memo-{i}.txt"), body.as_bytes());
        s.import_document(old, &path, None, false).unwrap();
    }
    let far = write_file(
        files.path(),
        "far.txt",
        b"Robert wrote to the bank, and many weeks later a Mr Smyth replied.",
    );
    s.import_document(old, &far, None, false).unwrap();
    let own = setup_matter(&mut s, acme, "Acme lease", "2020-01-01");
    let acme_doc = write_file(files.path(), "acme.txt", b"ACME Corporation board minutes.");
    s.import_document(own, &acme_doc, None, false).unwrap();

    let record = s
        .conflict_check(&check(vec![
            searched("Robert Smyth", NameKind::Person, SearchRole::Client),
            searched(
                "ACME Corporation",
                NameKind::Organization,
                SearchRole::Adverse,
            ),
        ]))
        .unwrap();
    assert_eq!(record.document_counts.len(), 2);
    // The words near each other, in any order; not words far apart.
    assert_eq!(record.document_counts[0].total, 23);
    let robert: Vec<_> = record
        .document_hits
        .iter()
        .filter(|h| h.hit.searched == 0)
        .collect();
    assert_eq!(robert.len(), crate::conflicts::DOCUMENTS_RECORDED as usize);
    let first = &robert[0].hit;
    assert_eq!(first.matter_id, old);
    assert_eq!(first.client_name, "Jane Roe");
    assert!(
        first
            .why
            .contains("\u{201c}Robert\u{201d}, \u{201c}Smyth\u{201d} within 2 words")
            && first.why.ends_with("in its text"),
        "{}",
        first.why
    );
    assert_eq!(
        crate::conflicts::document_count_line(&record.document_counts[0], &record.document_hits),
        "23 documents mention this name; the first 20 are recorded here."
    );
    // "ACME Corporation" is searched as "ACME" (legal form left out).
    assert_eq!(record.document_counts[1].total, 1);
    // Mentions need no decision: the name hits decide the status.
    assert_eq!(record.status, CheckStatus::Undecided);

    // The check for Acme itself leaves Acme's own documents out.
    let own_check = s
        .conflict_check(&CheckRequest {
            names: vec![searched(
                "Acme Ltd",
                NameKind::Organization,
                SearchRole::Client,
            )],
            client_id: Some(acme),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(own_check.document_counts[0].total, 0);
    assert_eq!(own_check.status, CheckStatus::Clear);
    let mentioned = s
        .conflict_check(&check(vec![searched(
            "Acme Ltd",
            NameKind::Organization,
            SearchRole::Related,
        )]))
        .unwrap();
    assert_eq!(mentioned.document_counts[0].total, 1);
    let d = mentioned.document_hits[0].number;
    assert!(
        s.conflict_decide_document(mentioned.id, d, Decision::WaiverNeeded, "x")
            .is_err()
    );
    let decided = s
        .conflict_decide_document(
            mentioned.id,
            d,
            Decision::Conflict,
            "the board minutes show it",
        )
        .unwrap();
    assert_eq!(decided.status, CheckStatus::Conflict);

    // A party added to the matter whose documents mention it: its own
    // matter's documents are no mention.
    party(&mut s, old, "Robert Smyth", "witness", PartySide::Related);
    let newest = s.conflict_checks().unwrap()[0].id;
    let party_check = s.conflict_check_record(newest).unwrap();
    assert_eq!(party_check.purpose, CheckPurpose::PartyAdded);
    assert_eq!(party_check.document_counts[0].total, 0);

    // The audit log counts mentions, never names or titles.
    let audit = s.audit_entries().unwrap();
    let text = serde_json::to_string(&audit).unwrap();
    let checked = audit
        .iter()
        .find(|e| {
            e.action == "conflict_checked" && e.object == format!("conflict_check:{}", record.id)
        })
        .unwrap();
    let details: serde_json::Value = serde_json::from_str(&checked.details).unwrap();
    assert_eq!(details["document_mentions"], 24);
    assert_eq!(details["document_hits"], 21);
    assert!(!text.contains("Smyth") && !text.contains("Memo"));
}
