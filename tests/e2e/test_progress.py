"""Long work shows its progress in the real app, and its Cancel leaves
nothing half-done (#14 §2): a large export names the file and its bytes
and, cancelled, leaves no file at the destination nor anywhere else; the
doctor names the document it checks, of how many, then its result, and a
cancelled check says after how many it stopped, never "all in order".

The app runs with `paced_work` (a test-support pace on every watched
write), so the bars stay on screen long enough to be seen and cancelled
with files of a few hundred MB."""
import re

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file, new_matter, row

MB = 1000 ** 2


def sparse(path, size):
    """A file of `size` bytes that takes almost no disk: its name, then
    zeros (so that two such files are not the same content)."""
    with open(path, "wb") as f:
        f.write(path.name.encode())
        f.truncate(size)
    return path


def large_files(folder):
    """Files over a MB below `folder`, but the WebView's shader cache."""
    return sorted(str(p) for p in folder.rglob("*")
                  if p.is_file() and p.stat().st_size > MB and "mesa_shader_cache" not in p.parts)


def test_a_large_export_shows_its_bytes_and_cancel_leaves_no_file(app, paced_work):
    create_vault(app)
    new_matter(app)
    big = sparse(app.data_dir / "Wombat hearing recording.mp4", 200 * MB)
    import_file(app, big)
    big.unlink()
    row(app, "Wombat hearing recording.mp4").find_element("css selector", "button").click()
    app.find("document-view")
    before = large_files(app.data_dir)
    assert len(before) == 1 and "blobs" in before[0], before

    out_dir = app.data_dir / "exported"
    out_dir.mkdir()
    app.click("export-document")
    app.file_dialog("Save a decrypted copy", out_dir / "hearing-copy.mp4", save=True)
    status = wait_for(lambda: app.present("export-progress") and app.text("export-progress"),
                      what="the export's progress")
    assert re.search(r"^Exporting Wombat hearing recording\.mp4 — [\d.]+ (bytes|KB|MB) of 200 MB…", status), status
    bar = app.find("export-progress").find_element("css selector", "progress")
    assert bar.get_attribute("aria-label") == "Bytes of Wombat hearing recording.mp4"
    assert bar.get_attribute("max") == str(200 * MB)
    app.screenshot("31-export-progress")
    app.click("export-cancel")
    notice = wait_for(lambda: app.present("document-notice") and app.text("document-notice"), timeout=60,
                      what="the export cancelled")
    assert notice == "Cancelled: the export was stopped, and no file was written.", notice
    assert not app.present("export-progress")
    # Nothing at the destination, not even part of a file, and no copy
    # anywhere else: the vault's encrypted file is the only large file.
    assert list(out_dir.iterdir()) == []
    assert large_files(app.data_dir) == before
    assert app.find("export-document").is_enabled()


def test_the_doctor_names_the_document_it_checks_then_reports_and_cancel_says_so(app, paced_work):
    create_vault(app)
    new_matter(app)
    for n in (1, 2, 3):
        import_file(app, sparse(app.data_dir / f"hearing-{n}.mp4", 40 * MB))
    app.click("nav-settings")
    app.click("doctor-run")
    status = wait_for(lambda: app.present("doctor-progress") and app.text("doctor-progress"),
                      what="the check's progress")
    assert re.search(r"^Checking hearing-[123]\.mp4 — [\d.]+ (bytes|KB|MB) of 40 MB \(document [123] of 3\)…", status), status
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", app.find("doctor"))
    app.screenshot("32-doctor-progress")
    summary = wait_for(lambda: app.present("doctor-summary") and app.text("doctor-summary"), timeout=60,
                       what="the check's result")
    assert summary == "Checked 3 document versions: all present and intact.", summary
    # The audit log is checked link by link too.
    assert app.text("doctor-audit").startswith("The audit log is intact:"), app.text("doctor-audit")
    assert not app.present("doctor-progress")

    # Again, cancelled part-way: the report says so, and is not "all in order".
    app.click("doctor-run")
    wait_for(lambda: app.present("doctor-cancel"), what="the check's Cancel")
    app.click("doctor-cancel")
    cancelled = wait_for(lambda: app.present("doctor-cancelled") and app.text("doctor-cancelled"), timeout=60,
                         what="the check cancelled")
    assert re.fullmatch(r"Cancelled after [012] of 3 document versions: the others were not checked\. "
                        r"Run the check again to check them all\.", cancelled), cancelled
    assert not app.present("doctor-summary")
    assert not app.present("doctor-audit")
    assert not app.present("doctor-progress")
