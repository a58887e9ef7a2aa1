"""Text recognition in the real app: a scanned PDF imported through the
file picker is recognised in the background (the document shows its OCR
state move to "Text recognised"), and a word on its third page is found by
search with the hit naming page 3, and Ctrl+F in the viewer finds in its
recognised text."""
import subprocess

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file, new_matter, row

PAGES = [
    "Deposition of the first witness\nThe weather was mild that morning",
    "The second page speaks of the lease\nand of the garden wall",
    "On the third page the witness said\nPelican Quarantine Zanzibar",
]


def scanned_pdf(folder, name):
    """A scanner's PDF: one 200 dpi gray image per page, wrapped by img2pdf."""
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for i, text in enumerate(PAGES):
        image = folder / f"page-{i}.png"
        args = ["convert", "-size", "1700x900", "xc:white", "-font", "DejaVu-Sans",
                "-pointsize", "40", "-fill", "black"]
        for n, line in enumerate(text.split("\n")):
            args += ["-annotate", f"+100+{150 + 110 * n}", line]
        args += ["-density", "200", "-units", "PixelsPerInch", "-type", "Grayscale", str(image)]
        subprocess.run(args, check=True, timeout=60, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        images.append(str(image))
    pdf = folder / name
    subprocess.run(["img2pdf", *images, "-o", str(pdf)], check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return pdf


def test_a_scanned_pdf_is_recognised_and_found_on_its_page(app):
    create_vault(app)
    new_matter(app)
    pdf = scanned_pdf(app.data_dir / "scans", "deposition-scan.pdf")
    import_file(app, pdf)
    row(app, "deposition-scan.pdf").find_element("css selector", "button").click()
    app.find("document-view")

    seen = []

    def recognised():
        status = app.find("ocr-status")
        # The state first, then the text: once the state reads "done" the text
        # read after it is the finished one (the state never leaves "done").
        done = status.get_attribute("data-ocr-state") == "done"
        text = status.text
        if not seen or seen[-1] != text:
            seen.append(text)
        return done

    wait_for(recognised, timeout=180, what="the scan recognised")
    assert seen[-1].startswith("Text recognised, confidence "), seen
    confidence = int(seen[-1].split("confidence ")[1].rstrip("%").split()[0].rstrip("%"))
    assert confidence >= 80, seen
    # Any state shown on the way was one the user can read.
    for text in seen[:-1]:
        assert text.startswith(("Waiting to recognise text", "Recognising text (page ")), seen
    app.screenshot("ocr-recognised")
    app.click("close-document")

    app.click("nav-search")
    app.type("search-text", "zanzibar")
    app.click("search-go")
    hit = app.find("search-hit")
    assert "deposition-scan.pdf" in hit.text
    assert app.text("hit-page") == "page 3"
    assert "Zanzibar" in app.text("snippet")
    app.screenshot("ocr-search")

    # Opening the hit opens the preview at its page: page 3 drawn and
    # scrolled into view.
    hit.find_element("css selector", "button").click()
    preview = app.find("preview")
    wait_for(lambda: preview.get_attribute("data-focus-page") == "3"
             and int(preview.get_attribute("data-pages-shown") or 0) >= 3, what="page 3 drawn")
    wait_for(lambda: app.driver.execute_script(
        """
        const page = document.querySelectorAll('[data-testid="pdf-page"]')[2];
        const box = page.getBoundingClientRect();
        return box.top < window.innerHeight && box.bottom > 0 && box.top > -box.height / 2;
        """), what="page 3 in view")
    app.screenshot("ocr-hit-opened")

    # Ctrl+F in the viewer finds in the scan's recognised text: the count,
    # the page turned to, and that page's recognised text shown marked.
    from selenium.webdriver.common.keys import Keys
    from test_accessibility import keys
    keys(app, Keys.CONTROL, "f")
    field = app.find("find-input")
    field.send_keys("witness")

    def found(count, page):
        # The answer to the whole query typed (not to a prefix of it, found
        # while typing), finished (marks drawn), then what it shows.
        bar = app.find("find-bar")
        return bar.get_attribute("data-find-query") == app.find("find-input").get_attribute("value") \
            and bar.get_attribute("data-find-state") == "done" and app.text("find-count") == count \
            and bar.get_attribute("data-find-page") == str(page)

    wait_for(lambda: found("1 of 2", 1), what="two matches, the first on page 1")
    wait_for(lambda: app.text("pdf-page-number") == "Page 1 of 3", what="the viewer at page 1")
    assert app.find("find-ocr").get_attribute("data-page") == "1"
    assert app.text("find-current").lower() == "witness"
    field.send_keys(Keys.ENTER)
    wait_for(lambda: found("2 of 2", 3), what="the second match, on page 3")
    wait_for(lambda: app.text("pdf-page-number") == "Page 3 of 3", what="the viewer at page 3")
    assert app.find("find-ocr").get_attribute("data-page") == "3"
    assert "Zanzibar" in app.text("find-ocr-text")
    app.screenshot("find-in-scan")
