"""Sharing in the real app (#18): two documents of a matter shared as an
age package through the system folder picker; the passphrase shown once,
with the "send it by another channel" message and the client's phone on
file; the share in the matter's Shares list; the package opens with the
real `age` and holds both documents byte for byte."""
import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file

CLIENT = "Perpetua Langridge (fictional)"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def age_decrypt(package, out, passphrase):
    """`age -d` with the passphrase typed on a terminal (`script` gives it one)."""
    cmd = f"age -d -o '{out}' '{package}'"
    done = subprocess.run(["script", "-qec", cmd, "/dev/null"], input=f"{passphrase}\n",
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode == 0 and out.exists()


def test_share_two_documents_as_an_age_package(app, tmp_path):
    create_vault(app)
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", CLIENT)
    app.type("client-phone", "+1 555 0199")
    app.click("save-client")
    app.find("client-detail")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text=CLIENT)
    app.type("matter-title", "Langridge estate")
    app.click("open-matter")
    app.find("documents")

    sources = {}
    for name, body in [("will.txt", b"The last will of P. Langridge (fictional).\n"),
                       ("inventory.txt", b"Inventory of the estate, item by item.\n" * 50)]:
        path = tmp_path / name
        path.write_bytes(body)
        sources[name] = body
        import_file(app, path)
    wait_for(lambda: len(app.find_all("document-select")) == 2, what="two documents to select")
    wait_for(lambda: app.find("shares").get_attribute("data-loaded") == "true", what="the Shares list")
    assert app.present("shares-empty")

    for box in app.find_all("document-select"):
        box.click()
    app.click("share-documents")
    app.find("share-dialog")
    app.screenshot("shares-01-dialog")
    out = app.data_dir / "shared"
    out.mkdir()
    app.click("share-write")
    app.file_dialog("Choose the folder for the package", out)
    app.find("share-done", timeout=60)
    passphrase = app.text("share-passphrase")
    assert len(passphrase.split("-")) == 8, passphrase
    assert "another channel" in app.text("share-other-channel")
    assert "+1 555 0199" in app.text("share-contact")
    app.screenshot("shares-02-passphrase")

    packages = list(out.iterdir())
    assert len(packages) == 1 and packages[0].name.endswith(".zip.age"), packages
    assert os.stat(packages[0]).st_mode & 0o777 == 0o600

    # The share is on the matter's record, with both documents.
    rows = wait_for(lambda: app.find_all("share-row") or None, what="the share in the Shares list")
    assert len(rows) == 1
    assert rows[0].get_attribute("data-documents") == "2"
    assert packages[0].name in rows[0].text

    # Shown once: closing the dialog takes the passphrase off the screen.
    app.click("share-close")
    wait_for(lambda: not app.present("share-passphrase"), what="the passphrase to go")
    assert passphrase not in app.driver.find_element("tag name", "body").text
    app.screenshot("shares-03-list")

    # The package opens with the real age and holds both documents.
    inner = tmp_path / "inner.zip"
    assert age_decrypt(packages[0], inner, passphrase)
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(inner) as z:
        names = set(z.namelist())
        for name, body in sources.items():
            assert sha256(z.read(f"documents/{name}")) == sha256(body)
        assert {"MANIFEST.txt", "MANIFEST.json", "MANIFEST.txt.minisig", "MANIFEST.json.minisig"} <= names
        z.extractall(extracted)

    # Settings shows the public key the manifest is signed with; minisign
    # verifies the manifest with it.
    app.click("nav-settings")
    key = app.text("signing-key")
    app.driver.execute_script("arguments[0].scrollIntoView()", app.find("signing-key-card"))
    app.screenshot("shares-04-signing-key")
    checked = subprocess.run(["minisign", "-Vm", str(extracted / "MANIFEST.txt"), "-P", key],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert not any(Path(p).name.endswith("-partial") for p in os.listdir(out))
