"""Backups in the desktop app as a user meets them: choose a backup folder,
back up, see the last verified backup in the status bar and in Settings,
run a restore drill, and restore on the first screen of a new computer with
the recovery key alone."""
import shutil
import tempfile
from pathlib import Path

from conftest import App, wait_for
from test_app import create_vault

NEW_PASSPHRASE = "copper meadow 58 slowly"


def test_back_up_from_settings_and_restore_on_a_new_computer(app, display, tmp_path):
    key = create_vault(app)
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", "Wrenfield Trust (fictional)")
    app.click("save-client")
    detail = app.find("client-detail")
    wait_for(lambda: "Wrenfield" in detail.text, what="client detail")
    wait_for(lambda: app.find("backup-status").get_attribute("data-level") == "not_set",
             what="the status bar saying no backups are set up")

    drive = tmp_path / "drive"
    drive.mkdir()
    app.click("nav-settings")
    app.type("backup-folder", str(drive))
    app.click("backup-now")
    wait_for(lambda: app.present("backup-result") and "verified" in app.text("backup-result"),
             timeout=120, what="a verified backup")
    wait_for(lambda: app.find("backup-status").get_attribute("data-level") == "current",
             what="the status bar showing a current backup")
    assert "today" in app.text("backup-status")
    assert "today" in app.text("backup-last")
    assert (drive / "repository" / "config").is_file()
    app.screenshot("17-backups")

    app.click("backup-drill")
    wait_for(lambda: app.present("drill-result"), timeout=120, what="the restore drill")
    assert "passed" in app.text("drill-result")

    # A new computer: its own data folder, no vault, the recovery key. (One
    # Matterbox runs per desktop session, so the office's app stops first.)
    app.stop()
    laptop_dir = Path(tempfile.mkdtemp(prefix="matterbox-e2e-laptop-"))
    laptop = App(display, laptop_dir)
    try:
        laptop.start()
        laptop.click("restore-from-backup")
        laptop.type("restore-folder", str(drive))
        laptop.type("restore-recovery-key", "AAAAA-" + key[6:])
        laptop.click("restore-list")
        wait_for(lambda: laptop.present("restore-error"), what="a wrong recovery key refused")
        laptop.type("restore-recovery-key", key)
        laptop.click("restore-list")
        wait_for(lambda: laptop.find_all("restore-snapshot"), timeout=60, what="the backups listed")
        laptop.type("restore-passphrase", NEW_PASSPHRASE)
        laptop.type("restore-confirm", NEW_PASSPHRASE)
        laptop.screenshot("18-restore-from-backup")
        laptop.click("restore-start")
        laptop.find("nav-matters", timeout=120)
        laptop.click("nav-clients")
        wait_for(lambda: "Wrenfield" in laptop.text("client-list"), what="the restored client")
    finally:
        try:
            laptop.stop()
        finally:
            laptop.keep_log()
            shutil.rmtree(laptop_dir, ignore_errors=True)
