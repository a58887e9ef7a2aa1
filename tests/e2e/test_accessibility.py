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
    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
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
    wait_for(lambda: app.find_all("matter-row"), what="the matter list")[0].find_element("css selector", "button").click()
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

    # The registers of the practice's duties.
    app.click("nav-consents")
    app.click("new-consent")
    app.find("consent-form")
    app.accessibility("consents, recording one")
    app.click("nav-requests")
    app.find("request-form")
    app.accessibility("data-subject requests")
    app.click("nav-incidents")
    app.click("incident-new")
    app.find("incident-form")
    app.accessibility("incidents, opening one")

    app.click("nav-settings")
    app.find("change-passphrase")
    app.accessibility("settings")

    app.click("lock")
    app.find("unlock-screen")
    app.accessibility("unlock")
    unlock(app, "not the passphrase at all")
    app.find("error")
    app.accessibility("unlock with an error")


def keys(app, *combo):
    """Presses a key combination (modifiers first) on the focused element."""
    from selenium.webdriver.common.action_chains import ActionChains
    chain = ActionChains(app.driver)
    mods, last = combo[:-1], combo[-1]
    for m in mods:
        chain = chain.key_down(m)
    chain = chain.send_keys(last)
    for m in reversed(mods):
        chain = chain.key_up(m)
    chain.perform()


def test_a_day_without_the_mouse_goes_through_the_shortcuts(app):
    from selenium.webdriver.common.keys import Keys
    create_vault(app)
    ok = lambda r: r["ok"]  # noqa: E731
    marsh = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Ottoline Marsh (fictional)", "aliases": [], "email": "", "phone": "", "address": "",
        "notes": ""}}))
    matter = ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Marsh boundary dispute", "clientId": marsh["id"], "practiceArea": "",
        "openedOn": "2026-01-15", "responsibleLawyer": "", "notes": ""}}))
    app.click("nav-clients")

    # F1 lists the shortcuts; Escape closes the list.
    keys(app, Keys.F1)
    assert "Ctrl K" in app.text("shortcuts")
    app.accessibility("the shortcuts")
    keys(app, Keys.ESCAPE)
    wait_for(lambda: not app.find_all("shortcuts"), what="the shortcuts to close")

    # Ctrl+K goes to a matter by its number.
    keys(app, Keys.CONTROL, "k")
    app.find("palette-input")
    app.accessibility("the command palette")
    app.driver.switch_to.active_element.send_keys(matter["number"])
    wait_for(lambda: matter["number"] in app.text("palette-choice"), what="the matter offered")
    app.screenshot("21-command-palette")
    app.driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: "Marsh boundary dispute" in app.text("matter-detail"), what="the matter shown")

    # ... and to a client by name, down one row.
    keys(app, Keys.CONTROL, "k")
    app.find("palette-input").send_keys("ottoline")
    wait_for(lambda: len(app.find_all("palette-choice")) >= 3, what="the matter, the client and a search")
    app.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait_for(lambda: "Ottoline Marsh" in app.text("client-detail"), what="the client shown")

    # ... or searches the documents for the words.
    keys(app, Keys.CONTROL, "k")
    app.find("palette-input").send_keys("hedge line")
    app.driver.switch_to.active_element.send_keys(Keys.ARROW_UP, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.ENTER)
    wait_for(lambda: app.find("search-text").get_property("value") == "hedge line", what="the search view with the words")

    # Ctrl+F: the search field, focused.
    app.click("nav-clients")
    keys(app, Keys.CONTROL, "f")
    wait_for(lambda: app.driver.switch_to.active_element.get_attribute("data-testid") == "search-text",
             what="the search field focused")

    # Ctrl+N: a new matter, starting with its conflict check.
    keys(app, Keys.CONTROL, "n")
    app.find("open-matter-form")
