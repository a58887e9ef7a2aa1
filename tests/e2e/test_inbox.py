"""The watched inbox in the real app: a file dropped into the folder lands
in its matter, an unplaced one is filed from the Unfiled queue, and files
dropped while the vault is locked wait, counted on the unlock screen, and
are taken in on unlock."""
from conftest import wait_for
from test_app import PASSPHRASE, create_vault, unlock
from test_documents import new_matter, row


def open_first_matter(app):
    app.click("nav-matters")
    wait_for(lambda: app.find_all("matter-row"), what="the matter list")[0].find_element("css selector", "button").click()
    app.find("documents")


def test_files_dropped_into_the_inbox_folder_land_in_their_matter(app):
    create_vault(app)
    new_matter(app, opened="2026-01-15")  # numbered 2026-0001 in any year
    folder = app.data_dir / "scanner-inbox"

    app.click("nav-settings")
    # A folder that already holds someone's files is not taken without
    # asking: everything in an inbox is encrypted and then removed.
    occupied = app.data_dir / "family-photos"
    occupied.mkdir()
    (occupied / "holiday.txt").write_text("Not for the vault.\n")
    app.type("inbox-folder", str(occupied))
    app.click("save-inbox")
    assert "already holds 1 file" in app.text("inbox-confirm")
    app.click("inbox-confirm-cancel")
    assert not app.find_all("inbox-confirm")
    assert (occupied / "holiday.txt").read_text() == "Not for the vault.\n"
    assert not (occupied / ".matterbox").exists()

    app.type("inbox-folder", str(folder))
    app.type("inbox-quiet", "300")
    app.click("save-inbox")
    assert "saved" in app.text("inbox-saved")
    assert folder.is_dir()
    app.screenshot("14-inbox-settings")

    # A scan whose name carries the matter number goes to that matter.
    (folder / "2026-0001_site-survey.txt").write_text("Survey notes for the fictional Marsh boundary.\n")
    wait_for(lambda: any("filed into 2026-0001" in t.text for t in app.find_all("toast")), what="the filed notice")
    wait_for(lambda: not (folder / "2026-0001_site-survey.txt").exists(), what="the original to be removed")
    open_first_matter(app)
    row(app, "2026-0001_site-survey.txt")

    # The matter's own inbox subfolder: anything dropped there is filed here.
    app.click("matter-inbox-folder")
    assert str(folder / "2026-0001") in app.text("matter-inbox-folder-path")
    (folder / "2026-0001" / "photo of the hedge.txt").write_text("A fictional photo caption.\n")
    wait_for(lambda: any("photo of the hedge.txt was filed into 2026-0001" in t.text for t in app.find_all("toast")),
             what="the subfolder file filed")
    row(app, "photo of the hedge.txt")

    # One with no number waits in Unfiled and is filed by hand.
    (folder / "letter from neighbour.txt").write_text("A fictional letter about the hedge.\n")
    wait_for(lambda: app.present("unfiled-count"), what="the Unfiled count")
    app.click("nav-inbox")
    item = app.find("unfiled-item")
    assert "letter from neighbour.txt" in item.text
    app.screenshot("13-inbox-unfiled")
    # Nothing is chosen for the user: "File" alone must not misfile it.
    assert app.find("unfiled-matter").get_property("value") == ""
    app.click("file-unfiled")
    assert app.present("unfiled-item"), "filed without a matter chosen"
    app.select("unfiled-matter", text="2026-0001 — Marsh boundary dispute · Ottoline Marsh (fictional)")
    app.click("file-unfiled")
    assert "Filed letter from neighbour.txt into 2026-0001" in app.text("inbox-notice")
    app.find("unfiled-empty")

    # Seen before filing, several filed at once, and a stray page discarded.
    for name, text in [("fax page one.txt", "Fictional fax, page one: the hedge survey.\n"),
                       ("fax page two.txt", "Fictional fax, page two.\n"),
                       ("stray cover sheet.txt", "Cover sheet for some other office.\n")]:
        (folder / name).write_text(text)
    wait_for(lambda: len(app.find_all("unfiled-item")) == 3, what="three Unfiled items")
    items = {name: next(i for i in app.find_all("unfiled-item") if name in i.text)
             for name in ("fax page one.txt", "fax page two.txt", "stray cover sheet.txt")}
    items["fax page one.txt"].find_element("css selector", "[data-testid=preview-unfiled]").click()
    assert "the hedge survey" in app.text("preview-text")
    # Ctrl+F finds in the file previewed, not in the vault's search.
    from selenium.webdriver.common.keys import Keys
    from test_accessibility import keys
    keys(app, Keys.CONTROL, "f")
    app.find("find-bar")
    assert app.find("nav-inbox").get_attribute("aria-current") == "page"
    app.find("find-input").send_keys("hedge")
    wait_for(lambda: app.find("find-bar").get_attribute("data-find-query") == "hedge"
             and app.find("find-bar").get_attribute("data-find-state") == "done"
             and app.text("find-count") == "1 of 1", what="the word found in the preview")
    app.find("find-input").send_keys(Keys.ESCAPE)
    wait_for(lambda: not app.present("find-bar"), what="the find bar closed")
    for name in ("fax page one.txt", "fax page two.txt"):
        items[name].find_element("css selector", "[data-testid=unfiled-select]").click()
    assert "2 selected" in app.text("unfiled-bulk")
    app.select("bulk-matter", text="2026-0001 — Marsh boundary dispute · Ottoline Marsh (fictional)")
    app.screenshot("13b-inbox-unfiled-several")
    app.click("bulk-file")
    assert "Filed 2 files into 2026-0001" in app.text("inbox-notice")
    wait_for(lambda: len(app.find_all("unfiled-item")) == 1, what="one Unfiled item left")
    app.click("discard-unfiled")
    assert "stray cover sheet.txt" in app.text("discard-confirm")
    app.click("cancel-discard")
    assert app.present("unfiled-item"), "cancelling discarded the file"
    app.click("discard-unfiled")
    app.click("confirm-discard")
    assert "Discarded stray cover sheet.txt" in app.text("inbox-notice")
    app.find("unfiled-empty")
    open_first_matter(app)
    row(app, "fax page one.txt")
    row(app, "fax page two.txt")
    assert not any("stray cover sheet" in r.text for r in app.find_all("document-row"))
    app.click("nav-inbox")

    # While locked, files wait and are counted; unlocking takes them in.
    app.click("lock")
    app.find("unlock-screen")
    (folder / "2026-0001_late-scan.txt").write_text("Arrived while the vault was locked.\n")
    wait_for(lambda: app.present("inbox-pending"), timeout=30, what="the pending count")
    assert "1 file waits" in app.text("inbox-pending")
    assert (folder / "2026-0001_late-scan.txt").exists()
    unlock(app, PASSPHRASE)
    wait_for(lambda: not (folder / "2026-0001_late-scan.txt").exists(), what="the waiting file to be taken in")
    open_first_matter(app)
    row(app, "2026-0001_late-scan.txt")
