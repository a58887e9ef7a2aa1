//! What both shells do first: a process that leaks nothing when it dies.
//!
//! [`harden_process`] turns core dumps off (RLIMIT_CORE 0, soft and hard,
//! so without CAP_SYS_RESOURCE neither the process nor a child it starts
//! can turn them back on), marks the process
//! non-dumpable on Linux (PR_SET_DUMPABLE 0: no core file whatever the
//! limit, and other processes of the same user can neither attach a
//! debugger nor read its memory through `/proc/<pid>/mem`), and installs a
//! panic hook that prints a generic message with an incident id instead of
//! the panic's message, which may quote client data.
//!
//! What the OS refuses is a warning, never a failure: Matterbox still
//! works, and the shells print the warning. Coverage: Linux all of it;
//! macOS and the BSDs the core limit only; Windows none (it writes no core
//! files unless Windows Error Reporting is set up to keep full dumps).

/// Hardens this process; call it first thing in `main`. `program` names
/// the binary in the panic message. Returns warnings for what the OS
/// refused (each a plain sentence, no data).
pub fn harden_process(program: &'static str) -> Vec<String> {
    install_panic_hook(program);
    let mut warnings = Vec::new();
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let off = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        if let Err(e) = setrlimit(Resource::Core, off) {
            warnings.push(format!(
                "core dumps could not be turned off ({e}); a crash could write this process's memory to disk"
            ));
        }
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
            warnings.push(format!(
                "this process could not be marked non-dumpable ({e}); other programs of this user may be able to read its memory"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = &mut warnings;
    warnings
}

/// Every panic prints only a fixed message and an incident id; the log
/// line says where (`panic at <source file>:<line>`), never what: a panic
/// message can quote whatever the code had in hand.
fn install_panic_hook(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let (file, line) = info
            .location()
            .map(|l| (l.file(), l.line()))
            .unwrap_or(("unknown", 0));
        // A document parser that panics is contained: the import goes on
        // without the document's text (`matterbox_extract::extract`).
        // Recorded, but nothing to tell the user.
        // So is the backup library stopping on damaged repository data:
        // `matterbox_backup` reports it as a damaged backup.
        let thread = std::thread::current();
        let contained = thread.name() == Some(matterbox_extract::THREAD_NAME)
            || thread.name() == Some(crate::ocr::THREAD_NAME)
            || matterbox_backup::panics_are_contained_in(file);
        let incident = crate::incident::record_panic(file, line, contained);
        if contained {
            return;
        }
        // Written in one call; stderr may be gone, and a hook must not panic.
        let where_ = match &incident.log {
            Some(log) => format!(
                " (its place in the code is in {}, which holds no client data)",
                log.display()
            ),
            None => " (it could not be written to the incident log)".into(),
        };
        let message = format!(
            "{program}: internal error, incident {}{where_}. Nothing else about it is shown, to keep client data private.\n",
            incident.id
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
    }));
}

/// Test support: panics with `marker` in the panic's message when
/// `MATTERBOX_DANGER_TEST_PANIC` is set, so the repository's tests can show
/// that a panic with client data in hand prints none of it. Compiled only
/// with the `test-support` feature; release builds have no trigger.
#[cfg(feature = "test-support")]
pub(crate) fn danger_test_panic(place: &str) {
    if let Some(marker) = std::env::var_os("MATTERBOX_DANGER_TEST_PANIC") {
        panic!(
            "test panic {place}, with client data in hand: {}",
            marker.to_string_lossy()
        );
    }
}
