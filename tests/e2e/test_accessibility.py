"""Every screen of the app checked with axe-core in the real WebView: no
serious or critical accessibility violation anywhere a user can go."""
import datetime

from conftest import wait_for
from test_app import PASSPHRASE, create_vault, unlock
from test_documents import PDF, import_file, new_matter, row


def test_every_screen_has_no_serious_accessibility_violation(app):
    app.find("vault-name")
    # The check itself fails on a violation: a button with no name, put on
    # the page for a moment.
    app.driver.execute_script(
        "const b = document.createElement('button'); b.id = 'unnamed'; document.body.appendChild(b);")
    try:
        app.accessibility("a page with a nameless button")
        raise AssertionError("axe-core passed a page with a nameless button")
    except AssertionError as e:
        assert "button-name" in str(e), e
    app.driver.execute_script("document.getElementById('unnamed').remove();")
    app.accessibility("first run")
    app.type("vault-name", "Fictional & Partners")
    app.type("new-passphrase", PASSPHRASE)
    app.type("confirm-passphrase", PASSPHRASE)
    app.click("create-vault")
    app.find("recovery-key")
    app.accessibility("the recovery key")
    key = app.text("recovery-key").replace(" ", "").replace("\n", "").split("-")
    app.click("stored-checkbox")
    app.type("confirm-group-3", key[2])
    app.type("confirm-group-7", key[6])
    app.accessibility("the recovery key check")
    app.click("confirm-recovery")
    app.find("nav-matters")
    app.accessibility("matters, empty")

    new_matter(app, opened="2020-01-15")
    import_file(app, PDF)
    app.accessibility("a matter with a document")
    row(app, "boundary-survey.pdf").click()
    wait_for(lambda: app.find_all("pdf-page"), what="the preview")
    app.accessibility("the document viewer")
    app.click("close-document")

    app.click("nav-matters")
    wait_for(lambda: app.find_all("matter-row"), what="the matter list")
    app.accessibility("matters")
    app.click("new-matter")
    app.select("matter-client", value="new")
    app.type("intake-client-name", "Ottoline Marsh")
    wait_for(lambda: app.find_all("intake-hit"), what="a conflict hit")
    app.accessibility("intake with a conflict hit")

    app.click("nav-clients")
    app.accessibility("clients")
    app.click("new-client")
    app.accessibility("a new client")

    app.click("nav-search")
    app.type("search-text", "boundary")
    app.click("search-go")
    wait_for(lambda: app.find_all("search-hit"), what="a search hit")
    app.accessibility("search with results")

    app.click("nav-inbox")
    app.find("unfiled-empty")
    app.accessibility("inbox")

    app.click("nav-retention")
    app.find("policies")
    app.accessibility("retention")

    # A short policy, so the matter is due once closed.
    app.type("policy-name", "Test - 1 month after closing")
    app.type("policy-years", "0")
    app.type("policy-months", "1")
    app.click("add-policy")
    wait_for(lambda: "Test - 1 month" in app.text("policies"), what="the new policy")
    app.click("nav-matters")
    wait_for(lambda: app.find_all("matter-row"), what="the matter list")[0].click()
    app.select("matter-policy", text="Test - 1 month after closing")
    closed = (datetime.date.today() - datetime.timedelta(days=70)).isoformat()
    app.type("close-on", closed)
    app.click("close-matter")
    app.find("close-confirm")
    app.accessibility("closing a matter")
    app.click("confirm-close")
    wait_for(lambda: "due for destruction on" in app.text("matter-retention"), what="the due date")
    app.click("nav-retention")
    app.click("due-select")
    app.click("approve-destruction")
    app.find("approve-form")
    # The panel opens with the passphrase field focused.
    wait_for(lambda: app.driver.switch_to.active_element.get_attribute("data-testid") == "approve-passphrase",
             what="focus on the passphrase field")
    app.accessibility("approving destruction")

    app.click("nav-settings")
    app.find("change-passphrase")
    app.accessibility("settings")

    app.click("lock")
    app.find("unlock-screen")
    app.accessibility("unlock")
    unlock(app, "not the passphrase at all")
    app.find("error")
    app.accessibility("unlock with an error")
