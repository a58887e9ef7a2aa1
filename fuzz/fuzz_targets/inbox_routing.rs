//! Inbox routing: user rules (globs and regular expressions) checked and
//! compiled, then file names and subfolders routed. Bad rules are refused
//! with an error; nothing panics, and a routed matter is one that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matterbox_inbox::routing::check_rules;
use matterbox_inbox::{Router, Rule};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // "pattern\nsubfolder\nname", the first line's leading 'r' making it a regex.
    let mut lines = text.splitn(3, '\n');
    let (Some(pattern), Some(subfolder), Some(name)) = (lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    let (regex, pattern) = match pattern.strip_prefix('r') {
        Some(p) => (true, p),
        None => (false, pattern),
    };
    let rules = vec![Rule {
        pattern: pattern.to_string(),
        regex,
        matter: Some("2024-0001".into()),
        tags: vec!["fuzz".into()],
    }];
    if check_rules(&rules).is_err() {
        return;
    }
    let Ok(router) = Router::new(&rules) else {
        return;
    };
    let subfolder = (!subfolder.is_empty()).then_some(subfolder);
    let mut is_matter = |n: &str| n == "2024-0001" || n == "2024-0002";
    let decision = router.route(subfolder, name, &mut is_matter);
    if let Some(m) = decision.matter {
        assert!(is_matter(&m), "routed to a matter that does not exist: {m}");
    }
});
