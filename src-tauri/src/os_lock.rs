//! Locks the vault when the OS goes to sleep or locks the screen.
//!
//! Linux: logind's `PrepareForSleep(true)` and `Session.Lock` on the system
//! bus, and the screensaver's `ActiveChanged(true)` (GNOME, freedesktop) on
//! the session bus. The match rules name no sender on purpose: any process
//! may ask us to lock, which is the safe direction. Without a bus (a bare
//! container) there is nothing to listen to and idle auto-lock still works.
//!
//! macOS and Windows are not wired yet: there the idle auto-lock and Ctrl/Cmd+L
//! apply. (macOS reports sleep through NSWorkspace notifications and Windows
//! through WM_POWERBROADCAST / WTS session notifications.)

use crate::state::LockReason;

/// Starts the listeners; `on_lock` is called from their threads.
#[cfg(target_os = "linux")]
pub fn watch(on_lock: impl Fn(LockReason) + Send + Sync + Clone + 'static) {
    use std::time::Duration;

    use dbus::blocking::Connection;
    use dbus::message::MatchRule;

    fn listen(
        connect: fn() -> Result<Connection, dbus::Error>,
        rules: Vec<(&'static str, &'static str, LockReason, bool)>,
        on_lock: impl Fn(LockReason) + Send + Sync + Clone + 'static,
    ) {
        std::thread::Builder::new()
            .name("os-lock-watch".into())
            .spawn(move || {
                let Ok(conn) = connect() else { return };
                for (interface, member, reason, needs_true) in rules {
                    let on_lock = on_lock.clone();
                    let rule = MatchRule::new_signal(interface, member);
                    let added = conn.add_match(rule, move |(): (), _, msg| {
                        let fire = !needs_true || msg.read1::<bool>().unwrap_or(false);
                        if fire {
                            on_lock(reason);
                        }
                        true
                    });
                    if added.is_err() {
                        return;
                    }
                }
                loop {
                    if conn.process(Duration::from_secs(5)).is_err() {
                        return;
                    }
                }
            })
            .ok();
    }

    listen(
        Connection::new_system,
        vec![
            (
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                LockReason::Suspend,
                true,
            ),
            (
                "org.freedesktop.login1.Session",
                "Lock",
                LockReason::ScreenLocked,
                false,
            ),
        ],
        on_lock.clone(),
    );
    listen(
        Connection::new_session,
        vec![
            (
                "org.gnome.ScreenSaver",
                "ActiveChanged",
                LockReason::ScreenLocked,
                true,
            ),
            (
                "org.freedesktop.ScreenSaver",
                "ActiveChanged",
                LockReason::ScreenLocked,
                true,
            ),
        ],
        on_lock,
    );
}

#[cfg(not(target_os = "linux"))]
pub fn watch(_on_lock: impl Fn(LockReason) + Send + Sync + Clone + 'static) {}
