//! Backup destinations as the user types them (a folder or
//! `s3:https://host/bucket/folder?region=…`): any text parses or gives a
//! clear error, never a panic; an object-store location never carries a
//! key, and reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_backup::{Location, S3Location};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Location::Store(store)) = Location::parse(text) {
        let shown = store.to_string();
        let host = shown.split("//").nth(1).and_then(|r| r.split('/').next());
        assert!(!host.is_some_and(|h| h.contains('@')), "a key in the location: {shown}");
        let again = S3Location::parse(&shown).expect("a location reads back");
        assert_eq!(again, store, "{shown}");
        assert!(store.repository().ends_with("/repository"));
    }
});
