//! The one thing the desktop shell does with the system itself: starting
//! the desktop's opener on a decrypted copy.
//!
//! Invariant: the path it is given is a copy the core made in the private
//! open-copies folder (`Session::open_copy`), which is wiped on lock, on
//! exit and at the next start; the opener is started directly, never
//! through a shell, with no input and its output discarded.

/// Starts the desktop's default application for `path`, without a shell.
/// `MATTERBOX_OPEN_WITH` names another program (used by the tests).
pub fn open_with_system(path: &std::path::Path) -> std::io::Result<()> {
    use std::process::{Command, Stdio};
    let mut cmd = if let Some(program) = std::env::var_os("MATTERBOX_OPEN_WITH") {
        Command::new(program)
    } else if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut c = Command::new("explorer");
        c.arg("/open,");
        c
    } else {
        Command::new("xdg-open")
    };
    cmd.arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
}
