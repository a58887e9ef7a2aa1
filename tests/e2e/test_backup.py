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
    app.type("backup-destination-folder", str(drive))
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
        laptop.type("restore-destination-folder", str(drive))
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


def test_back_up_to_an_object_store_with_its_key_kept_in_the_keychain(app, tmp_path):
    """An off-site destination: an S3-compatible store (moto's server on
    loopback), its access key typed once and kept in the real keychain."""
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
        s3.create_bucket(Bucket="office-backups")
        create_vault(app)
        app.click("nav-settings")
        app.click("backup-destination-kind-store")
        app.type("backup-destination-store", f"s3:{endpoint}/office-backups/matterbox")
        app.type("backup-destination-key-id", "AKIAFICTIONAL")
        app.type("backup-destination-secret", "fictional-secret-e2e")
        app.screenshot("19-backups-object-store")
        app.click("backup-now")
        wait_for(lambda: app.present("backup-result") and "verified" in app.text("backup-result"),
                 timeout=120, what="a verified backup in the store")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="office-backups")["Contents"]]
        assert "matterbox/repository/config" in keys
        assert "matterbox/matterbox-backup.json" in keys
        # The next backup uses the key kept on this computer: no key typed.
        assert app.find("backup-destination-secret").get_attribute("value") == ""
        def snapshots():
            listed = s3.list_objects_v2(Bucket="office-backups", Prefix="matterbox/repository/snapshots/")
            return len(listed.get("Contents", []))

        assert snapshots() == 1
        app.click("backup-now")
        wait_for(lambda: snapshots() == 2 and not app.present("backup-running")
                 and "verified" in app.text("backup-result"),
                 timeout=120, what="a second verified backup with the kept key")
    finally:
        server.stop()
