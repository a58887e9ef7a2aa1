//! Names typed by anyone: any string is accepted, bounded, and never
//! panics, through the keys, a comparison and an index check.

use matterbox_names::{Entry, MAX_TOKENS, NameIndex, NameKeys, NameKind, compare};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = NameKind> {
    prop_oneof![
        Just(NameKind::Person),
        Just(NameKind::Organisation),
        Just(NameKind::Unknown)
    ]
}

proptest! {
    #[test]
    fn any_string_is_a_name(a in any::<String>(), b in "\\PC{0,80}", k in kind()) {
        let (ka, kb) = (NameKeys::of(&a, k), NameKeys::of(&b, k));
        prop_assert!(ka.exact().split(' ').count() <= MAX_TOKENS);
        if let Some(m) = compare(&ka, &kb) {
            prop_assert!(m.score > 0.0 && m.score <= 1.0);
            prop_assert!(!m.explanation.is_empty());
        }
        let index = NameIndex::from_entries([Entry { payload: (), kind: k, name: b.clone(), aliases: vec![a.clone()] }]);
        let hits = index.check(&a, k);
        prop_assert!(hits.len() <= 1);
        if !ka.is_empty() {
            // A name always finds itself.
            prop_assert_eq!(hits.len(), 1);
        }
    }
}

#[test]
fn control_characters_and_marks_alone_are_no_name() {
    let index = NameIndex::from_entries([Entry {
        payload: (),
        kind: NameKind::Unknown,
        name: "\u{0}\u{200B}\u{202E}\u{FEFF}".to_owned(),
        aliases: vec!["\n\t\r".to_owned(), String::new()],
    }]);
    assert!(index.check("\u{0}\u{200B}", NameKind::Unknown).is_empty());
    assert!(index.check("", NameKind::Unknown).is_empty());
    // Combining marks pile up on one letter without harm.
    let zalgo = format!("a{}", "\u{0301}".repeat(100_000));
    let _ = index.check(&zalgo, NameKind::Person);
}
