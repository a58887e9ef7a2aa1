"""A court bundle in the real app (#18 §1): two documents of a matter; the
Share dialog's "Court bundle" format asks a second time, naming the
documents and saying the file is UNENCRYPTED, before the folder picker;
the bundle is in the matter's Shares list as an unencrypted court bundle,
and poppler's pdftotext finds both documents' words in it."""
import subprocess

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file

CLIENT = "Octavia Pennyworth (fictional)"


def test_court_bundle_of_two_documents_asks_twice_and_is_recorded(app, tmp_path):
    create_vault(app)
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", CLIENT)
    app.click("save-client")
    app.find("client-detail")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text=CLIENT)
    app.type("matter-title", "Pennyworth boundary dispute")
    app.click("open-matter")
    app.find("documents")

    for name, body in [("statement.txt", b"Witness statement about the Hollowmere boundary.\n"),
                       ("survey.txt", b"Survey notes on the Larkspur fence line.\n")]:
        path = tmp_path / name
        path.write_bytes(body)
        import_file(app, path)
    wait_for(lambda: len(app.find_all("document-select")) == 2, what="two documents to select")
    wait_for(lambda: app.find("shares").get_attribute("data-loaded") == "true", what="the Shares list")

    for box in app.find_all("document-select"):
        box.click()
    app.click("share-documents")
    app.find("share-dialog")
    app.select("share-format", value="pdf")
    app.find("court-bundle")
    app.type("court-bundle-recipient", "County Court")
    app.click("court-bundle-continue")

    # The second confirmation: unencrypted, and what is in it.
    wait_for(lambda: app.find("court-bundle").get_attribute("data-step") == "confirm", what="the second confirmation")
    warning = app.text("court-bundle-warning")
    assert "UNENCRYPTED" in warning, warning
    contents = app.text("court-bundle-contents")
    assert "statement" in contents and "survey" in contents, contents
    app.screenshot("court-bundle-01-confirm")

    out = app.data_dir / "bundle"
    out.mkdir()
    app.click("court-bundle-confirm")
    app.file_dialog("Choose the folder for the UNENCRYPTED court bundle", out)
    wait_for(lambda: app.find("court-bundle").get_attribute("data-step") == "done", what="the bundle to be written", timeout=120)
    path = app.text("court-bundle-file")
    assert path.endswith(".pdf"), path
    app.screenshot("court-bundle-02-done")

    rows = wait_for(lambda: app.find_all("share-row") or None, what="the bundle in the Shares list")
    assert len(rows) == 1
    assert rows[0].get_attribute("data-documents") == "2"
    assert "UNENCRYPTED court bundle" in rows[0].text, rows[0].text
    assert "for County Court" in rows[0].text, rows[0].text
    app.click("court-bundle-close")
    wait_for(lambda: not app.present("court-bundle"), what="the dialog to close")
    app.screenshot("court-bundle-03-list")

    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Hollowmere boundary" in text and "Larkspur fence" in text, text
