"""Retention in the real app: a matter closed under a short policy shows
its due date, appears in the disposition queue, is destroyed only after
the passphrase is typed again, and leaves a register entry and a
certificate that can be exported."""
import datetime

from conftest import wait_for
from test_app import PASSPHRASE, create_vault
from test_documents import PDF, import_file, new_matter


def test_a_closed_matter_is_destroyed_with_approval_and_certified(app):
    create_vault(app)
    new_matter(app, "Perpetua Lark (fictional)", "Lark conveyancing", opened="2020-01-15")
    import_file(app, PDF)

    # A short policy, for this matter.
    app.click("nav-retention")
    app.type("policy-name", "Test - 1 month after closing")
    app.type("policy-years", "0")
    app.type("policy-months", "1")
    app.click("add-policy")
    wait_for(lambda: "Test - 1 month" in app.text("policies"), what="the new policy")
    app.click("nav-matters")
    wait_for(lambda: app.find_all("matter-row"), what="the matter list")[0].find_element("css selector", "button").click()
    app.select("matter-policy", text="Test - 1 month after closing")
    closed = (datetime.date.today() - datetime.timedelta(days=70)).isoformat()
    app.type("close-on", closed)
    app.click("close-matter")
    assert f"due for destruction 1 month after {closed}" in app.text("close-confirm")
    app.click("confirm-close")
    wait_for(lambda: "due for destruction on" in app.text("matter-retention"), what="the due date")
    # The count beside Retention follows at once, not at the next hourly sweep.
    wait_for(lambda: app.present("due-count") and app.text("due-count") == "1", what="the due count")

    # The disposition queue; approval asks for the passphrase.
    app.click("nav-retention")
    item = app.find("due-item")
    assert "Lark conveyancing" in item.text and "Test - 1 month after closing" in item.text
    app.click("due-select")
    app.click("approve-destruction")
    # The approval names everything that goes before the passphrase is asked.
    assert app.text("approve-scope").startswith("1 matter with 1 document in all"), app.text("approve-scope")
    scope = app.text("approve-items")
    for expected in ("Lark conveyancing", "Perpetua Lark (fictional)", "boundary-survey.pdf", "the client's record goes too"):
        assert expected in scope, scope
    app.type("approve-passphrase", "not the passphrase")
    app.click("confirm-destruction")
    assert "not right" in app.text("retention-error")
    assert app.present("due-item"), "nothing destroyed on a wrong passphrase"
    app.screenshot("15-retention-approve")
    app.type("approve-passphrase", PASSPHRASE)
    app.click("confirm-destruction")
    notice = app.text("retention-notice")
    assert "Destroyed 1 document and 1 matter" in notice, notice
    certificate = notice.split("Certificate ")[1].rstrip(".")
    wait_for(lambda: "boundary-survey.pdf" in app.text("register") and certificate in app.text("register"),
             what="the register entry")
    app.find("due-empty")
    wait_for(lambda: not app.present("due-count"), what="the due count to clear")
    app.screenshot("16-retention-register")

    # The certificate, through the save dialog.
    out = app.data_dir / "certificate.html"
    app.click("export-certificate")
    app.file_dialog("Save the certificate of destruction", out, save=True)
    # Written whole, not only created.
    wait_for(lambda: out.exists() and "</html>" in out.read_text(), what="the certificate file")
    html = out.read_text()
    assert certificate in html and "Lark conveyancing" in html and "boundary-survey.pdf" in html

    # The matter is gone.
    app.click("nav-matters")
    app.find("matters-empty")
