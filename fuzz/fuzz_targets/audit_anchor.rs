//! The audit anchor file (`audit-anchor.json`), read at every unlock.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_audit::Anchor;

fuzz_target!(|data: &[u8]| {
    if let Ok(anchor) = serde_json::from_slice::<Anchor>(data) {
        // What is read back is what would be written again.
        let again: Anchor = serde_json::from_slice(&serde_json::to_vec(&anchor).unwrap()).unwrap();
        assert_eq!(again, anchor);
    }
});
