//! Returning a file at the core's boundary, for what the CLI cannot
//! reach: progress reaches the total, and the user's Cancel leaves no
//! file, no share, no return and no timeline entry.

use super::*;
use crate::returns::{ReturnOf, ReturnRequest};
use crate::shares::ShareProtection;
use matterbox_domain::shares::ShareFormat;

fn request(matter: i64) -> ReturnRequest {
    ReturnRequest {
        of: ReturnOf::Matter(matter),
        all_versions: false,
        format: ShareFormat::Age,
        protection: ShareProtection::Random,
        hide_names: false,
        recipient: None,
        confirm_fingerprint: None,
    }
}

#[test]
fn progress_reaches_the_total_and_a_cancel_leaves_nothing() {
    let f = fixture();
    let mut s = create(&f).session;
    let (c, m) = person_with_matter(&mut s, "Philippa Fictional-Dunmore", "Estate");
    for (name, size) in [("a.pdf", 300_000usize), ("b.pdf", 200_000)] {
        let file = f._dir.path().join(name);
        std::fs::write(&file, vec![7u8; size]).unwrap();
        s.import_document(m, &file, None, false).unwrap();
    }
    let out = f._dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let timeline = |s: &mut Session| s.matter(m).unwrap().timeline.len();
    let before = timeline(&mut s);

    // Cancelled once the first bytes are written: nothing is left.
    let stop = Cancel::new();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let on_progress = |p: &crate::Progress| {
        assert_eq!(p.total, 500_000);
        seen.store(p.bytes, std::sync::atomic::Ordering::SeqCst);
        stop.cancel();
    };
    let watch = crate::Watch {
        on_progress: &on_progress,
        stop: &|| stop.is_cancelled(),
    };
    let err = s.return_file(&request(m), &out, &watch).unwrap_err();
    assert!(matches!(err, CoreError::Cancelled), "{err:?}");
    let seen = seen.load(std::sync::atomic::Ordering::SeqCst);
    assert!(seen > 0 && seen < 500_000);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "no file");
    assert!(s.shares(None, Some(c)).unwrap().is_empty());
    assert!(s.file_returns(Some(c)).unwrap().is_empty());
    assert_eq!(timeline(&mut s), before);
    // The session is not the one cancelled: it goes on working.
    let last = std::sync::atomic::AtomicU64::new(0);
    let on_progress =
        |p: &crate::Progress| last.store(p.bytes, std::sync::atomic::Ordering::SeqCst);
    let watch = crate::Watch {
        on_progress: &on_progress,
        stop: &|| false,
    };
    let done = s.return_file(&request(m), &out, &watch).unwrap();
    assert_eq!(last.load(std::sync::atomic::Ordering::SeqCst), 500_000);
    assert_eq!(done.file_return.matter_ids, [m]);
    assert_eq!(s.file_returns(Some(c)).unwrap().len(), 1);
    assert_eq!(timeline(&mut s), before + 1);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

/// A share of two documents cancelled part-way through the second: no
/// package file, no share recorded; the watch named each document, of
/// two, with the bytes of both.
#[test]
fn a_cancelled_share_leaves_no_package_and_no_record() {
    use std::sync::Mutex;
    let f = fixture();
    let mut s = create(&f).session;
    let (c, m) = person_with_matter(&mut s, "Cosmo Fictional-Lyle", "Lyle probate");
    let mut ids = Vec::new();
    for (name, size) in [("will.bin", 2usize << 20), ("codicil.bin", 3 << 20)] {
        let file = f._dir.path().join(name);
        std::fs::write(&file, vec![name.as_bytes()[0]; size]).unwrap();
        ids.push(s.import_document(m, &file, None, false).unwrap().id);
    }
    let out = f._dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let req = crate::shares::ShareRequest {
        document_ids: ids,
        matter_id: Some(m),
        format: ShareFormat::Age,
        protection: ShareProtection::Random,
        hide_names: false,
        recipient: None,
        confirm_fingerprint: None,
    };
    let heard: Mutex<Vec<crate::Progress>> = Mutex::new(Vec::new());
    let watch = crate::Watch {
        on_progress: &|p| heard.lock().unwrap().push(p.clone()),
        stop: &|| heard.lock().unwrap().last().is_some_and(|p| p.item == 2),
    };
    assert!(
        s.create_share_watched(&req, &out, &watch)
            .unwrap()
            .is_none()
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "no file");
    assert!(s.shares(None, Some(c)).unwrap().is_empty());
    let last = heard.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.item, last.items, last.name.as_str(), last.total),
        (2, 2, "codicil.bin", 5 << 20)
    );
    assert!(last.bytes > 2 << 20 && last.bytes < 5 << 20, "{last:?}");

    let done = s
        .create_share_watched(&req, &out, &crate::Watch::NONE)
        .unwrap();
    assert!(done.is_some());
    assert_eq!(s.shares(None, Some(c)).unwrap().len(), 1);
}
