//! A process that leaks nothing (`matterbox_core::harden_process`): an
//! unlocked `matterbox inbox watch`, killed by signals whose default action
//! writes a core file, leaves none, even with `ulimit -c unlimited` and
//! the kernel writing core files into the working folder; while it runs,
//! other programs of the same user cannot read its memory; and a panic
//! with client data in hand prints none of it.
//!
//! Each check first shows that it can fail: the same wrapper around a
//! plain `sleep` does dump core and is readable, so a test that passes
//! says something about Matterbox, not about the machine.
//!
//! SIGSEGV is not used: sent with `kill`, Rust's stack-overflow handler
//! absorbs it, so it proves nothing.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use matterbox_tests::{Home, TempDir, require_secret_service, run_within};

const PASS: &str = "a long test passphrase";
const WAIT: Duration = Duration::from_secs(60);
const SIGABRT: i32 = 6;
const SIGQUIT: i32 = 3;

/// A vault in the real Secret Service with an inbox folder.
fn setup() -> Home {
    require_secret_service();
    let home = Home::new();
    let run = |args: &[&str]| {
        let mut c = home.cmd();
        c.arg("--vault")
            .arg(home.vault_dir("v"))
            .args(args)
            .env("MATTERBOX_PASSPHRASE", PASS)
            .env("XDG_STATE_HOME", home.path().join("state"));
        run_within(&mut c, WAIT).0.ok()
    };
    run(&["vault", "create"]);
    let inbox = home.path().join("inbox");
    run(&["inbox", "settings", "--folder", inbox.to_str().unwrap()]);
    home
}

/// Whether this test process holds CAP_SYS_PTRACE (root usually does):
/// with it, the kernel lets it read any process's memory, dumpable or not.
fn can_ptrace_anything() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    eff & (1 << 19) != 0
}

/// What every process of these tests runs under: both signals at their
/// default action (a shell's background job starts with SIGQUIT ignored,
/// and children inherit that), core files unlimited, and (when this process
/// holds CAP_SYS_PTRACE) that capability dropped, so the test's own checks
/// below run with no more power than the same user.
fn wrapper() -> Vec<String> {
    let mut w: Vec<String> = [
        "env",
        "--default-signal=ABRT,QUIT",
        "sh",
        "-c",
        "ulimit -c unlimited && exec \"$@\"",
        "sh",
    ]
    .map(String::from)
    .to_vec();
    w.extend(without_ptrace_capability());
    w
}

fn without_ptrace_capability() -> Vec<String> {
    if can_ptrace_anything() {
        [
            "setpriv",
            "--bounding-set=-sys_ptrace",
            "--inh-caps=-sys_ptrace",
            "--",
        ]
        .map(String::from)
        .to_vec()
    } else {
        Vec::new()
    }
}

/// Whether another process of this user (with no capability the target
/// lacks) can read `pid`'s memory. A normal user sees it in ownership: the
/// kernel gives a non-dumpable process's `/proc/<pid>` files to root. Root
/// owns everything anyway, so as root the check opens `/proc/<pid>/mem`
/// from a process without CAP_SYS_PTRACE, which the kernel refuses when the
/// target is not dumpable.
fn memory_readable_by_same_user(pid: u32) -> bool {
    let me = std::fs::metadata("/proc/self").unwrap().uid();
    if me != 0 {
        let environ = std::fs::metadata(format!("/proc/{pid}/environ")).unwrap();
        return environ.uid() == me;
    }
    let mut argv = without_ptrace_capability();
    argv.extend(["sh", "-c", "exec 3< \"$1\"", "sh"].map(String::from));
    argv.push(format!("/proc/{pid}/mem"));
    let mut open = Command::new(&argv[0]);
    open.args(&argv[1..]).stderr(Stdio::null());
    open.status().unwrap().success()
}

/// The core files in `dir` (`core`, or `core.<pid>` with core_uses_pid).
fn core_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name == "core" || name.starts_with("core.")
        })
        .collect()
}

/// Sends `signal` to `pid` and waits (bounded) for `child` to end.
fn kill_and_wait(child: &mut Child, signal: i32) -> ExitStatus {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} failed");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "pid {} still ran {WAIT:?} after signal {signal}",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The control: the same wrapper around `sleep` in `cwd` does dump core on
/// `signal` and is readable. Without this, a machine that never writes
/// core files would pass every test here.
fn machine_dumps_core(cwd: &Path, signal: i32) {
    let w = wrapper();
    let mut sleep = Command::new(&w[0]);
    sleep.args(&w[1..]).args(["sleep", "60"]).current_dir(cwd);
    let mut child = sleep.spawn().unwrap();
    // The wrapper execs into sleep (same pid); wait until it has.
    let deadline = Instant::now() + WAIT;
    while std::fs::read_link(format!("/proc/{}/exe", child.id()))
        .map(|p| !p.to_string_lossy().ends_with("/sleep"))
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "sleep did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        memory_readable_by_same_user(child.id()),
        "control: a plain process's memory is not readable by its own user here \
         (Yama ptrace_scope? /proc/sys/kernel/yama/ptrace_scope), so this test cannot tell"
    );
    let status = kill_and_wait(&mut child, signal);
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    assert!(
        status.core_dumped(),
        "control: `sleep` killed by signal {signal} under `ulimit -c unlimited` dumped no core \
         ({status:?}; core_pattern {pattern:?}), so this test cannot tell"
    );
    // With a plain core_pattern (`core` on the project's machines) the file
    // is in the working folder; a pipe (systemd-coredump) takes it elsewhere.
    if !pattern.trim_start().starts_with('|') {
        let cores = core_files(cwd);
        assert!(!cores.is_empty(), "control: no core file in {cwd:?}");
        for c in cores {
            std::fs::remove_file(c).unwrap();
        }
    }
}

/// `matterbox inbox watch`, unlocked and watching, in `cwd`.
fn start_watcher(home: &Home, cwd: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut cmd = home.cmd_under(&wrapper());
    cmd.arg("--vault")
        .arg(home.vault_dir("v"))
        .args(["inbox", "watch"])
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("XDG_STATE_HOME", home.path().join("state"))
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, said) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // "Watching …" comes after the unlock: the keys are in memory.
    let deadline = Instant::now() + WAIT;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match said.recv_timeout(left) {
            Ok(line) if line.starts_with("Watching ") => break,
            Ok(line) => lines.push(line),
            Err(_) => panic!("the watcher did not start watching: {lines:?}"),
        }
    }
    (child, said)
}

fn an_unlocked_watcher_leaves_no_core_file(signal: i32) {
    let home = setup();
    let cwd = TempDir::new().unwrap();
    machine_dumps_core(cwd.path(), signal);

    let (mut watcher, said) = start_watcher(&home, cwd.path());
    let pid = watcher.id();
    assert!(
        !memory_readable_by_same_user(pid),
        "another process of the same user could read the unlocked watcher's memory"
    );
    let status = kill_and_wait(&mut watcher, signal);
    assert_eq!(status.signal(), Some(signal), "{status:?}");
    let warnings: Vec<String> = said.try_iter().collect();
    assert!(
        !status.core_dumped(),
        "the kernel dumped the watcher's core ({status:?}); it said {warnings:?}"
    );
    assert_eq!(core_files(cwd.path()), Vec::<PathBuf>::new());
    assert!(
        !warnings.iter().any(|l| l.contains("warning")),
        "hardening was refused: {warnings:?}"
    );
}

#[test]
fn an_unlocked_watcher_killed_with_sigabrt_leaves_no_core_file() {
    an_unlocked_watcher_leaves_no_core_file(SIGABRT);
}

#[test]
fn an_unlocked_watcher_killed_with_sigquit_leaves_no_core_file() {
    an_unlocked_watcher_leaves_no_core_file(SIGQUIT);
}

#[test]
fn a_panic_with_client_data_in_hand_prints_none_of_it() {
    let home = setup();
    let cwd = TempDir::new().unwrap();
    let marker = "CLIENT-MARKER-Ada-Fictional-7Q2MX";
    let mut cmd = home.cmd_under(&wrapper());
    cmd.arg("--vault")
        .arg(home.vault_dir("v"))
        .args(["client", "list"])
        .env("MATTERBOX_PASSPHRASE", PASS)
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("MATTERBOX_DANGER_TEST_PANIC", marker)
        .current_dir(cwd.path());
    let (run, _) = run_within(&mut cmd, WAIT);
    // Rust's exit code for a panic that unwound out of main.
    assert_eq!(
        run.code, 101,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stdout.contains(marker), "{}", run.stdout);
    assert!(!run.stderr.contains(marker), "{}", run.stderr);
    assert!(!run.stderr.contains("test panic"), "{}", run.stderr);

    // The message names an incident, and the log has where, never what.
    let id = run
        .stderr
        .split("incident ")
        .nth(1)
        .map(|rest| rest.chars().take(8).collect::<String>())
        .unwrap_or_else(|| panic!("no incident id: {}", run.stderr));
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{}", run.stderr);
    let log = std::fs::read_to_string(home.path().join("state/matterbox/incidents.log")).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains(&format!("incident {id} ")))
        .unwrap_or_else(|| panic!("incident {id} is not in the log: {log}"));
    assert!(line.contains("internal: panic at "), "{line}");
    assert!(line.contains(".rs:"), "{line}");
    assert!(!log.contains(marker), "{log}");
    assert!(!log.contains("test panic"), "{log}");
    assert_eq!(core_files(cwd.path()), Vec::<PathBuf>::new());
}
