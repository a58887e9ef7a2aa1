"""The package a practice installs: `scripts/package.sh` bundles this
build into a .deb, apt installs it (resolving its dependencies), the
installed `matterbox` and desktop app work, and `apt-get remove` takes the
program away and leaves the user's vaults alone.

The package is made from the debug build the suite has just built (the
release packages come from the same script and configuration, without
`--debug`), so the test costs no second build."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import App, wait_for

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "copper meadow 58 slowly"
# Bundling a 400 MB debug binary twice (deb, then the package test's apt
# run) takes minutes on a loaded 2-core machine.
pytestmark = pytest.mark.timeout(900)


def as_root(*args):
    """Runs a system command as root: directly when the tests run as root
    (CI), else through sudo without a password prompt."""
    command = list(args) if os.geteuid() == 0 else ["sudo", "-n", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def files_below(folder):
    return sorted((p.relative_to(folder), p.stat().st_size, p.read_bytes())
                  for p in folder.rglob("*") if p.is_file())


def test_the_deb_installs_runs_and_removes_cleanly(display):
    made = subprocess.run([str(ROOT / "scripts/package.sh"), "--debug", "--bundles", "deb"],
                          cwd=ROOT, capture_output=True, text=True, timeout=800)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    debs = sorted((ROOT / "target/debug/bundle/deb").glob("Matterbox_*_amd64.deb"))
    assert debs, made.stdout[-2000:]
    deb = debs[-1]

    installed = as_root("apt-get", "install", "-y", "--no-install-recommends", str(deb))
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    home = Path(tempfile.mkdtemp(prefix="matterbox-package-"))
    try:
        # What the package put in place.
        for path in ["/usr/bin/matterbox", "/usr/bin/matterbox-desktop",
                     "/usr/share/applications/Matterbox.desktop",
                     "/usr/share/metainfo/app.matterbox.desktop.metainfo.xml",
                     "/usr/share/man/man1/matterbox.1.gz",
                     "/usr/share/man/man1/matterbox-backup-run.1.gz",
                     "/usr/share/bash-completion/completions/matterbox",
                     "/usr/share/zsh/vendor-completions/_matterbox",
                     "/usr/share/fish/vendor_completions.d/matterbox.fish",
                     "/usr/share/icons/hicolor/16x16/apps/matterbox-desktop.png",
                     "/usr/share/icons/hicolor/512x512/apps/matterbox-desktop.png"]:
            assert Path(path).is_file(), path
        desktop = Path("/usr/share/applications/Matterbox.desktop").read_text()
        assert "Exec=matterbox-desktop" in desktop and "Categories=Office;" in desktop, desktop

        # The installed CLI: its version, and a vault made with it.
        env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
               "MATTERBOX_DEVICE_SECRET_DIR": str(home / "device-secrets"),
               "MATTERBOX_PASSPHRASE": PASSPHRASE}
        version = subprocess.run(["/usr/bin/matterbox", "--version"], capture_output=True,
                                 text=True, timeout=60)
        assert version.returncode == 0 and version.stdout.startswith("matterbox 0."), version
        vault = home / "data" / "matterbox" / "vaults" / "default"
        created = subprocess.run(
            ["/usr/bin/matterbox", "--vault", str(vault), "--json", "vault", "create",
             "--name", "Fictional Practice", "--danger-device-secret-in-plain-file"],
            capture_output=True, text=True, timeout=120, env=env)
        assert created.returncode == 0, created.stderr
        added = subprocess.run(
            ["/usr/bin/matterbox", "--vault", str(vault), "client", "add", "--name", "Wrenfield Trust (fictional)"],
            capture_output=True, text=True, timeout=120, env=env)
        assert added.returncode == 0, added.stderr

        # The installed desktop app starts and shows its window.
        (home / "app").mkdir()
        app = App(display, home / "app", application="/usr/bin/matterbox-desktop")
        try:
            app.start()
            app.find("vault-name")
            app.screenshot("20-installed-from-the-deb")
        finally:
            app.stop()

        before = files_below(home / "data")
        removed = as_root("apt-get", "remove", "-y", "matterbox")
        assert removed.returncode == 0, removed.stdout[-3000:] + removed.stderr[-3000:]
        assert not Path("/usr/bin/matterbox").exists()
        assert not Path("/usr/bin/matterbox-desktop").exists()
        assert not Path("/usr/share/applications/Matterbox.desktop").exists()
        # Nothing of the user's vaults is touched by removal.
        assert files_below(home / "data") == before
        assert (vault / "vault.db").is_file()
    finally:
        if Path("/usr/bin/matterbox-desktop").exists():
            as_root("apt-get", "remove", "-y", "matterbox")
        shutil.rmtree(home, ignore_errors=True)
