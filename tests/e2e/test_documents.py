"""Documents in the real app: import through the system file picker,
preview (PDF pages, images, text), duplicates, search, export through the
save dialog, and copies opened with another application wiped on lock and
at start."""
import hashlib
import re
import time
import struct
import zlib
from pathlib import Path

from conftest import wait_for
from test_app import create_vault

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PDF = FIXTURES / "boundary-survey.pdf"


def png(width, height, rgb):
    """A small solid-colour PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def new_matter(app, client="Ottoline Marsh (fictional)", title="Marsh boundary dispute", opened=None):
    """Adds a client and opens a matter for it, through the UI."""
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", client)
    app.click("save-client")
    app.find("client-detail")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text=client)
    app.type("matter-title", title)
    if opened:
        app.type("matter-opened", opened)
    app.click("open-matter")
    app.find("documents")


def import_file(app, path):
    before = len(app.find_all("document-row"))
    app.click("import-documents")
    app.file_dialog("Import documents", path)
    wait_for(lambda: len(app.find_all("document-row")) == before + 1 or app.present("import-problem"),
             what=f"{path.name} imported")


def row(app, title):
    return wait_for(lambda: next((r for r in app.find_all("document-row") if title in r.text), None),
                    what=f"the row of {title}")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_import_preview_search_and_export_in_the_app(app):
    create_vault(app)
    new_matter(app)
    src = app.data_dir / "scans"
    src.mkdir()
    (src / "site-photo.png").write_bytes(png(64, 48, (200, 40, 40)))
    letter = src / "letter.txt"
    letter.write_text("Dear Ottoline,\nthe zircon clause stands.\n")

    for path in (PDF, src / "site-photo.png", letter):
        import_file(app, path)
    assert "Imported 1 document" in app.text("import-done")
    # The image has no text layer: the list says its text is being (or was)
    # recognised instead.
    note = row(app, "site-photo.png").text.lower()
    assert any(s in note for s in ("text recognition", "recognising text", "text recognised")), note

    # The same content again is flagged; the user skips it.
    import_file(app, letter)
    assert "same content" in app.text("import-problem")
    app.click("skip-file")
    assert len(app.find_all("document-row")) == 3
    app.screenshot("10-documents")

    # PDF preview: both pages drawn by the bundled pdf.js, with ink on them.
    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
    wait_for(lambda: len(app.find_all("pdf-page")) == 2, what="two PDF pages")
    ink = lambda: app.driver.execute_script(  # noqa: E731
        """
        return [...document.querySelectorAll('[data-testid="pdf-page"]')].map((c) => {
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let dark = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) dark++;
          return dark;
        });
        """
    )
    # Pages are drawn one after the other; wait for the last.
    wait_for(lambda: all(n > 100 for n in ink()), what="ink on both pages")
    app.screenshot("11-pdf-preview")
    app.click("close-document")

    # Image preview from a blob URL; text preview as text.
    row(app, "site-photo.png").find_element("css selector", "button").click()
    img = app.find("preview-image")
    wait_for(lambda: app.driver.execute_script("return arguments[0].naturalWidth", img) == 64,
             what="the image to decode")
    app.click("close-document")
    row(app, "letter.txt").find_element("css selector", "button").click()
    wait_for(lambda: "the zircon clause stands." in app.text("preview-text"), what="the text preview")
    app.click("close-document")

    # Search across matters finds the PDF's text layer, and opens the document.
    app.click("nav-search")
    app.type("search-text", "hedge line")
    app.click("search-go")
    hit = app.find("search-hit")
    assert "boundary-survey.pdf" in hit.text
    marks = app.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"snippet\"] mark')].map((m) => m.textContent)")
    assert [m.lower() for m in marks] == ["hedge", "line"], marks
    # The exact count of matches, and no "show more" when all are shown.
    assert app.text("search-count") == "1 document matches"
    assert not app.driver.find_elements("css selector", '[data-testid="search-more"]')
    app.screenshot("12-search")

    # Results as you type: an operator changes the count, no button pressed.
    app.type("search-text", "zircon OR hedge")
    wait_for(lambda: app.text("search-count") == "2 documents match", what="either word, as typed")
    app.type("search-text", "zircon OR hedge -ottoline")
    wait_for(lambda: app.text("search-count") == "1 document matches", what="the letter left out, as typed")
    assert "boundary-survey.pdf" in app.text("search-hit")
    # The syntax help lists the operators.
    app.click("search-syntax-toggle")
    assert "NEAR(notice cure, 5)" in app.text("search-syntax")
    # A search saved under a name, listed, and run again later.
    app.type("save-search-name", "Survey, no letters")
    app.click("save-search")
    wait_for(lambda: [e.text for e in app.find_all("saved-search-run")] == ["Survey, no letters"],
             what="the saved search listed")
    app.screenshot("search-saved")
    app.type("search-text", "zircon")
    wait_for(lambda: "letter.txt" in app.text("search-hit"), what="the letter found")
    # Opening a hit marks its words in the preview.
    app.find("search-hit").find_element("css selector", "button").click()
    wait_for(lambda: [m.text for m in app.driver.find_elements(
        "css selector", '[data-testid="preview-text"] mark')] == ["zircon"], what="the word marked")
    app.click("close-document")
    # Back on the search screen, the saved search is still listed (from the vault).
    app.click("nav-search")
    wait_for(lambda: [e.text for e in app.find_all("saved-search-run")] == ["Survey, no letters"],
             what="the saved search listed again")
    app.click("saved-search-run")
    wait_for(lambda: app.find("search-text").get_property("value") == "zircon OR hedge -ottoline",
             what="the saved words back in the box")
    wait_for(lambda: "boundary-survey.pdf" in app.text("search-hit"), what="the saved search's hit")
    assert app.text("search-count") == "1 document matches"
    saved = app.invoke("saved_search_list")["ok"]
    assert [(s["name"], s["query"]) for s in saved] == [("Survey, no letters", "zircon OR hedge -ottoline")]
    hit = app.find("search-hit")
    hit.find_element("css selector", "button").click()
    assert app.text("document-title") == "boundary-survey.pdf"
    # The hit's word is marked on the PDF's page (its text layer).
    wait_for(lambda: int(app.find("preview").get_attribute("data-marks") or 0) >= 1, what="the word marked")
    app.screenshot("search-hit-opened")

    # Export through the save dialog: the decrypted copy is byte for byte.
    out = app.data_dir / "exported" / "survey-copy.pdf"
    out.parent.mkdir()
    app.click("export-document")
    app.file_dialog("Save a decrypted copy", out, save=True)
    wait_for(lambda: "Saved a decrypted copy" in app.text("document-notice"), what="the export notice")
    assert sha256(out) == sha256(PDF)

    # File names are client data: the dialogs added none of them to the
    # desktop's recently-used list (GTK saves it shortly after a change).
    time.sleep(3)
    recent = app.data_dir / "data" / "recently-used.xbel"
    listed = recent.read_text(errors="replace") if recent.exists() else ""
    for name in ("boundary-survey", "survey-copy", "letter"):
        assert name not in listed, f"{name} is in {recent}:\n{listed[:2000]}"


def test_files_dropped_on_the_window_are_imported_into_the_open_matter(app):
    create_vault(app)
    new_matter(app)
    src = app.data_dir / "dropped"
    src.mkdir()
    (src / "witness-statement.txt").write_text("Statement of the fictional witness Perpetua Lark.\n")
    (src / "site-photo.png").write_bytes(png(32, 32, (40, 120, 40)))
    # While the files are dragged over the window, a drop zone names the
    # matter they will go to (recorded as it shows: the drag is real).
    app.driver.execute_script("""
        window.__dropZone = null;
        new MutationObserver(() => {
          const z = document.querySelector('[data-testid="drop-zone"]');
          if (z && window.__dropZone === null) window.__dropZone = z.textContent;
        }).observe(document.body, { childList: true, subtree: true });
    """)
    app.drop_files([src / "witness-statement.txt", src / "site-photo.png", PDF])
    wait_for(lambda: len(app.find_all("document-row")) == 3, what="three dropped files imported")
    assert "Imported 3 documents" in app.text("import-done")
    shown = app.driver.execute_script("return window.__dropZone")
    assert shown and re.search(r"Drop to import into \d{4}-\d{4} Marsh boundary dispute — Ottoline Marsh \(fictional\)",
                               shown), shown
    assert not app.present("drop-zone")
    titles = sorted(r.find_element("css selector", ".title").text for r in app.find_all("document-row"))
    assert titles == ["boundary-survey.pdf", "site-photo.png", "witness-statement.txt"], titles
    # The originals stay where they were.
    assert (src / "witness-statement.txt").exists() and PDF.exists()


def test_copies_opened_with_another_app_are_private_and_wiped(app, opener):
    create_vault(app)
    new_matter(app)
    import_file(app, PDF)
    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
    app.click("open-external")
    wait_for(lambda: (opener / "opened.log").exists(), what="the application to be started")
    opened = Path((opener / "opened.log").read_text().strip())
    copies = app.runtime_dir / "matterbox" / "open-copies"
    assert opened.is_relative_to(copies), opened
    assert sha256(opener / "boundary-survey.pdf") == sha256(PDF)
    assert opened.exists()
    assert opened.stat().st_mode & 0o777 == 0o600
    assert opened.parent.stat().st_mode & 0o777 == 0o700
    assert "wiped when the vault locks" in app.text("document-notice")

    # Locking wipes the copy.
    app.click("close-document")
    app.click("lock")
    app.find("unlock-screen")
    wait_for(lambda: not opened.exists(), what="the copy to be wiped on lock")
    assert list(copies.iterdir()) == []

    # A copy left by a crash is wiped at the next start.
    app.stop()
    leftover = copies / "crashed" / "left-behind.pdf"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(PDF.read_bytes())
    app.start()
    app.find("unlock-screen")
    wait_for(lambda: not leftover.exists(), what="the leftover copy to be wiped at start")


def test_the_viewer_steps_through_the_matter_zooms_and_keeps_focus_inside(app):
    from selenium.webdriver.common.keys import Keys
    from test_accessibility import keys

    create_vault(app)
    new_matter(app)
    src = app.data_dir / "dropped"
    src.mkdir()
    (src / "witness-statement.txt").write_text("Statement of the fictional witness Perpetua Lark.\n")
    (src / "site-photo.png").write_bytes(png(400, 300, (40, 120, 40)))
    app.drop_files([src / "witness-statement.txt", src / "site-photo.png", PDF])
    wait_for(lambda: len(app.find_all("document-row")) == 3, what="three dropped files imported")
    assert app.text("document-count") == "3 documents"

    # The list sorted by title; the viewer follows the list's order.
    app.find("sort-doc-title").find_element("css selector", "button").click()
    wait_for(lambda: app.find("sort-doc-title").get_attribute("aria-sort") == "ascending", what="sorted by title")
    titles = [r.find_element("css selector", ".title").text for r in app.find_all("document-row")]
    assert titles == ["boundary-survey.pdf", "site-photo.png", "witness-statement.txt"], titles
    app.find("sort-doc-title").find_element("css selector", "button").click()
    wait_for(lambda: app.find("sort-doc-title").get_attribute("aria-sort") == "descending", what="title reversed")
    assert [r.find_element("css selector", ".title").text for r in app.find_all("document-row")] == titles[::-1]
    app.find("sort-doc-title").find_element("css selector", "button").click()
    wait_for(lambda: app.find("sort-doc-title").get_attribute("aria-sort") == "ascending", what="sorted by title")

    active = lambda: app.driver.execute_script(  # noqa: E731
        "const a = document.activeElement; return a ? (a.dataset.testid || a.tagName) : null")
    inside = lambda: app.driver.execute_script(  # noqa: E731
        "return document.querySelector('[data-testid=\"document-view\"]').contains(document.activeElement)")
    shown = lambda title: wait_for(  # noqa: E731
        lambda: app.present("document-title") and app.text("document-title") == title, what=f"{title} shown")

    # Opened from its row: first of three, no previous.
    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
    shown("boundary-survey.pdf")
    assert app.text("document-position") == "1 of 3"
    # The viewer names the matter and client the document belongs to.
    assert re.fullmatch(r"\d{4}-\d{4} Marsh boundary dispute — Ottoline Marsh \(fictional\)", app.text("document-matter"))
    assert not app.find("previous-document").is_enabled()
    wait_for(lambda: len(app.find_all("pdf-page")) == 2, what="two PDF pages")

    # PDF zoom: the pages are drawn again, a quarter wider.
    page = app.find_all("pdf-page")[0]
    fit = wait_for(lambda: app.driver.execute_script("return arguments[0].getBoundingClientRect().width", page),
                   what="the page drawn")
    app.click("zoom-in")
    wait_for(lambda: app.text("zoom-level") == "125%", what="125%")
    wait_for(lambda: abs(app.driver.execute_script(
        "return arguments[0].getBoundingClientRect().width", app.find_all("pdf-page")[0]) - fit * 1.25) < 2,
        what="the page a quarter wider")
    app.screenshot("13-viewer-zoomed-pdf")
    # The page being read is named as the reader scrolls to it.
    assert app.text("pdf-page-number") == "Page 1 of 2"
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", app.find_all("pdf-page")[1])
    wait_for(lambda: app.text("pdf-page-number") == "Page 2 of 2", what="page 2 named")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", app.find_all("pdf-page")[0])
    wait_for(lambda: app.text("pdf-page-number") == "Page 1 of 2", what="page 1 named again")

    # Next (the button keeps focus, so Enter goes on), then Alt+→ by keyboard.
    app.click("next-document")
    shown("site-photo.png")
    assert app.text("document-position") == "2 of 3"
    wait_for(lambda: active() == "next-document", what="focus back on Next")
    keys(app, Keys.ALT, Keys.ARROW_RIGHT)
    shown("witness-statement.txt")
    assert not app.find("next-document").is_enabled()
    keys(app, Keys.ALT, Keys.ARROW_LEFT)
    shown("site-photo.png")

    # Image zoom by button and by key; 0 fits it again.
    img = app.find("preview-image")
    wait_for(lambda: app.driver.execute_script("return arguments[0].naturalWidth", img) == 400, what="the image")
    width = lambda: app.driver.execute_script(  # noqa: E731
        "return document.querySelector('[data-testid=\"preview-image\"]').getBoundingClientRect().width")
    fit = wait_for(width, what="the image laid out")
    assert app.text("zoom-level") == "100%"
    app.click("zoom-in")
    wait_for(lambda: app.text("zoom-level") == "125%", what="125%")
    wait_for(lambda: abs(width() - fit * 1.25) < 2, what="the image a quarter wider")
    keys(app, "-")
    keys(app, "-")
    wait_for(lambda: app.text("zoom-level") == "75%", what="75%")
    wait_for(lambda: abs(width() - fit * 0.75) < 2, what="the image smaller")
    keys(app, "0")
    wait_for(lambda: app.text("zoom-level") == "100%", what="back to fit")
    assert not app.find("zoom-reset").is_enabled()
    app.accessibility("the document viewer")

    # Tab and Shift+Tab go round inside the viewer, never behind it.
    count = app.driver.execute_script(
        "return document.querySelector('[data-testid=\"document-view\"]')"
        ".querySelectorAll('button:not([disabled]), input, select, textarea, a[href]').length")
    seen = set()
    for _ in range(count + 3):
        keys(app, Keys.TAB)
        assert inside(), f"Tab left the viewer for {active()}"
        seen.add(active())
    assert "close-document" in seen and "zoom-in" in seen, seen
    for _ in range(4):
        keys(app, Keys.SHIFT, Keys.TAB)
        assert inside(), f"Shift+Tab left the viewer for {active()}"

    # Escape closes it, and focus is back on the row of the document shown.
    keys(app, Keys.ESCAPE)
    wait_for(lambda: not app.present("document-view"), what="the viewer closed")
    focused_row = wait_for(lambda: app.driver.execute_script(
        "const r = document.activeElement && document.activeElement.closest('tr'); return r && r.textContent"),
        what="focus on a row")
    assert "site-photo.png" in focused_row, focused_row


def test_a_large_import_shows_its_bytes_and_cancel_keeps_nothing(app):
    """A 4 GB file (sparse: it takes no disk) shows how many bytes are
    encrypted; Cancel stops it part-way, and nothing of it is kept: no
    document, no encrypted file, no temporary file in the vault."""
    create_vault(app)
    new_matter(app)
    big = app.data_dir / "hearing-recording.mp4"
    with open(big, "wb") as f:
        f.truncate(4 * 1000 ** 3)
    vault_files = lambda: sorted(p for p in (app.data_dir / "data").rglob("*")
                                 if p.is_file() and "blobs" in p.parts)
    before = vault_files()
    app.click("import-documents")
    app.file_dialog("Import documents", big)
    shown = wait_for(lambda: app.present("import-bytes") and app.text("import-bytes"),
                     what="the bytes of the file being encrypted")
    assert re.fullmatch(r"[\d.]+ (bytes|KB|MB|GB) of 4\.0 GB", shown), shown
    app.screenshot("27-import-progress")
    app.click("import-cancel")
    done = wait_for(lambda: app.present("import-done") and app.text("import-done"), timeout=60,
                    what="the import stopped")
    assert done == "Cancelled: hearing-recording.mp4 was stopped part-way, and nothing of it was kept.", done
    assert not app.present("import-progress")
    assert app.find_all("document-row") == []
    assert vault_files() == before, "an encrypted or temporary file was left in the vault"



# Pixels on a drawn PDF page that find's marks coloured (the survey's pages are black on white).
MARKED_PIXELS = """
const canvas = document.querySelectorAll('[data-testid="pdf-page"]')[arguments[0]];
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let n = 0;
for (let i = 0; i < data.length; i += 4) if (data[i] - data[i + 2] > 90) n++;
return n;
"""


def test_ctrl_f_in_the_viewer_finds_marks_and_goes_to_the_page(app):
    from selenium.webdriver.common.keys import Keys
    from test_accessibility import keys

    create_vault(app)
    new_matter(app)
    src = app.data_dir / "dropped"
    src.mkdir()
    (src / "site-photo.png").write_bytes(png(400, 300, (40, 120, 40)))
    app.drop_files([PDF, src / "site-photo.png"])
    wait_for(lambda: len(app.find_all("document-row")) == 2, what="two dropped files imported")

    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
    wait_for(lambda: app.present("document-title") and app.text("document-title") == "boundary-survey.pdf",
             what="the survey shown")
    wait_for(lambda: len(app.find_all("pdf-page")) == 2, what="two PDF pages")
    assert app.text("pdf-page-number") == "Page 1 of 2"

    # Ctrl+F in the viewer opens its find bar, not the app's search.
    keys(app, Keys.CONTROL, "f")
    app.find("find-bar")
    assert app.find("nav-search").get_attribute("aria-current") is None
    assert app.present("document-view")
    wait_for(lambda: app.driver.execute_script("return document.activeElement.dataset.testid") == "find-input",
             what="the typing in the find field")

    def found(count, page):
        # The answer to the whole query typed (not to a prefix of it, found
        # while typing), finished (marks drawn), then what it shows.
        bar = app.find("find-bar")
        return bar.get_attribute("data-find-query") == app.find("find-input").get_attribute("value") \
            and bar.get_attribute("data-find-state") == "done" and app.text("find-count") == count \
            and bar.get_attribute("data-find-page") == str(page)

    # A word only on page 2: the viewer goes there and marks it.
    app.driver.switch_to.active_element.send_keys("MEASUREMENTS")
    wait_for(lambda: found("1 of 1", 2), what="one match, on page 2")
    wait_for(lambda: app.text("pdf-page-number") == "Page 2 of 2", what="the viewer at page 2")
    pages = app.find_all("pdf-page")
    assert pages[1].get_attribute("data-find-marks") == "1"
    assert pages[0].get_attribute("data-find-marks") in (None, "0")
    assert app.driver.execute_script(MARKED_PIXELS, 1) > 50
    assert app.driver.execute_script(MARKED_PIXELS, 0) == 0
    app.screenshot("30-find-in-document")

    # A word on both pages: Enter goes to the next, Shift+Enter back.
    field = app.find("find-input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("boundary")
    wait_for(lambda: found("1 of 2", 1), what="two matches, the first on page 1")
    wait_for(lambda: app.text("pdf-page-number") == "Page 1 of 2", what="the viewer back at page 1")
    field.send_keys(Keys.ENTER)
    wait_for(lambda: found("2 of 2", 2), what="the second match, on page 2")
    wait_for(lambda: app.text("pdf-page-number") == "Page 2 of 2", what="the viewer at page 2 again")
    field.send_keys(Keys.ENTER)
    wait_for(lambda: found("1 of 2", 1), what="round to the first match")
    field.send_keys(Keys.SHIFT, Keys.ENTER)
    wait_for(lambda: found("2 of 2", 2), what="back round to the last match")

    # Escape closes the find bar first, the marks go, the viewer stays.
    field.send_keys(Keys.ESCAPE)
    wait_for(lambda: not app.present("find-bar"), what="the find bar closed")
    assert app.present("document-view")
    assert app.driver.execute_script(
        "return document.querySelector('[data-testid=\"document-view\"]').contains(document.activeElement)")
    wait_for(lambda: app.driver.execute_script(MARKED_PIXELS, 0) == 0
             and app.driver.execute_script(MARKED_PIXELS, 1) == 0, what="the marks gone")

    # The second Escape closes the viewer.
    keys(app, Keys.ESCAPE)
    wait_for(lambda: not app.present("document-view"), what="the viewer closed")

    # An image with no recognised text: nothing to search in.
    row(app, "site-photo.png").find_element("css selector", "button").click()
    wait_for(lambda: app.present("document-title") and app.text("document-title") == "site-photo.png",
             what="the photo shown")
    app.find("preview-image")
    keys(app, Keys.CONTROL, "f")
    app.find("find-input").send_keys("hedge")
    wait_for(lambda: app.text("find-count") == "No text to search in this document", what="no text said")
    app.screenshot("find-no-text")
