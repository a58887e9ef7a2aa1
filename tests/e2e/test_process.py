"""A process that leaks nothing, for the desktop app: unlocked and killed by
a signal whose default action writes a core file, it leaves none, even with
`ulimit -c unlimited` and the kernel writing core files into the working
folder; while it runs, other programs of the same user cannot read its
memory; and a panic with client data in hand prints none of it.

Each check first shows it can fail: the same wrapper around `sleep` does
dump core and is readable. (SIGSEGV is not used: sent with `kill`, Rust's
stack-overflow handler absorbs it.)
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import App, wait_for
from test_app import PASSPHRASE, create_vault, unlock


def _can_ptrace_anything():
    """Whether this process holds CAP_SYS_PTRACE (root usually does)."""
    status = Path("/proc/self/status").read_text()
    eff = next(line.split(":")[1] for line in status.splitlines() if line.startswith("CapEff:"))
    return int(eff, 16) & (1 << 19) != 0


def _without_ptrace_capability():
    if _can_ptrace_anything():
        return ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace", "--"]
    return []


# Both signals at their default action (a shell's background job starts
# with SIGQUIT ignored, and children inherit that), core files unlimited,
# and CAP_SYS_PTRACE dropped where this process has it, so the checks
# below have no more power than the same user.
WRAPPER = ["env", "--default-signal=ABRT,QUIT", "sh", "-c", 'ulimit -c unlimited && exec "$@"', "sh",
           *_without_ptrace_capability()]


def memory_readable_by_same_user(pid):
    """A normal user sees it in ownership (the kernel gives a non-dumpable
    process's /proc files to root); as root, a process without
    CAP_SYS_PTRACE tries to open /proc/<pid>/mem, which the kernel refuses
    when the target is not dumpable."""
    me = os.stat("/proc/self").st_uid
    if me != 0:
        return os.stat(f"/proc/{pid}/environ").st_uid == me
    opened = subprocess.run([*_without_ptrace_capability(), "sh", "-c", 'exec 3< "$1"', "sh",
                             f"/proc/{pid}/mem"], stderr=subprocess.DEVNULL)
    return opened.returncode == 0


def core_files(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name == "core" or p.name.startswith("core."))


def machine_dumps_core(cwd, sig):
    """The control: `sleep` under the same wrapper in `cwd` does dump core on
    `sig` and is readable, or these tests could not tell anything."""
    sleep = subprocess.Popen([*WRAPPER, "sleep", "60"], cwd=cwd)
    wait_for(lambda: os.readlink(f"/proc/{sleep.pid}/exe").endswith("/sleep"), timeout=10,
             what="sleep to start", check_x=False)
    assert memory_readable_by_same_user(sleep.pid), \
        "control: a plain process's memory is not readable by its user here (Yama ptrace_scope?)"
    os.kill(sleep.pid, sig)
    _, status = os.waitpid(sleep.pid, 0)
    sleep.returncode = status  # reaped here, not by Popen
    pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    assert os.WCOREDUMP(status), f"control: sleep dumped no core (core_pattern {pattern!r})"
    if not pattern.lstrip().startswith("|"):
        cores = core_files(cwd)
        assert cores, f"control: no core file in {cwd}"
        for c in cores:
            (Path(cwd) / c).unlink()


@pytest.fixture
def hardened_app(display, tmp_path):
    """An app running in its own working folder under `ulimit -c unlimited`."""
    data_dir = Path(tempfile.mkdtemp(prefix="matterbox-e2e-"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    app = App(display, data_dir, extra_env={"XDG_STATE_HOME": str(data_dir / "state")},
              cwd=cwd, wrapper=WRAPPER)
    try:
        yield app
    finally:
        try:
            app.stop()
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.parametrize("sig", [signal.SIGABRT, signal.SIGQUIT], ids=["SIGABRT", "SIGQUIT"])
def test_the_unlocked_app_killed_by_a_signal_leaves_no_core_file(hardened_app, sig):
    app = hardened_app
    machine_dumps_core(app.cwd, sig)
    app.start()
    create_vault(app)  # unlocked: the keys are in memory
    pid = app.app_pid()
    assert pid, app.running_processes()
    assert not memory_readable_by_same_user(pid), \
        "another process of the same user could read the unlocked app's memory"

    os.kill(pid, sig)
    # Dumping core happens before the process ends; then WebKit's processes
    # lose their parent and end too (they inherit the core limit of 0).
    wait_for(lambda: not [p for p, cmd in app.running_processes()
                          if not cmd.startswith(("tauri-driver", "WebKitWebDriver", "/usr/bin/WebKitWebDriver"))],
             timeout=30, what="the app and its WebView processes to end", check_x=False)
    assert core_files(app.cwd) == [], app.log()
    assert "warning" not in app.log(), app.log()


def test_a_panic_with_client_data_in_hand_prints_none_of_it(hardened_app):
    app = hardened_app
    app.start()
    create_vault(app)
    app.stop()
    marker = "CLIENT-MARKER-Ada-Fictional-7Q2MX"
    app.extra_env["MATTERBOX_DANGER_TEST_PANIC"] = marker
    app.start()
    unlock(app, PASSPHRASE)
    said = wait_for(lambda: re.search(r"internal error, incident ([0-9A-F]{8})", app.log()), timeout=30,
                    what="the incident message in the app's output")
    log = app.log()
    assert marker not in log, log
    assert "test panic" not in log, log
    text = (app.data_dir / "state" / "matterbox" / "incidents.log").read_text()
    assert f"incident {said.group(1)} internal: panic at " in text, text
    assert marker not in text, text
    assert core_files(app.cwd) == []
