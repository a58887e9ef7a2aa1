//! The vault header (`vault.json`): any bytes are a header or a clear
//! error, never a panic; an accepted header passes the floor checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_vault::VaultHeader;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = VaultHeader::from_bytes(data, std::path::Path::new("vault.json")) {
        assert!(matterbox_vault::header::valid_vault_id(&header.vault_id));
        header.unlock_slot.kdf.check_floor().expect("an accepted header is above the floor");
    }
});
