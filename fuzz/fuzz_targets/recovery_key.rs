//! The typed recovery key: any text is a key or a clear error, and an
//! accepted key reads back the same from its own grouped form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_vault::RecoveryKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = RecoveryKey::parse(text) {
        let again = RecoveryKey::parse(&key.display()).expect("its own form parses");
        assert_eq!(again.expose(), key.expose());
    }
});
