"""The record lists and dates in the real app: matters and clients as tables
with a count, sorted by a click (or a key) on a column header, the filters
and sort still there after leaving the list and coming back (and gone after
a lock); dates typed and shown as YYYY-MM-DD, the ambiguous 12/05/2026
refused."""
from selenium.webdriver.common.keys import Keys

from conftest import wait_for
from test_accessibility import keys
from test_app import create_vault, unlock


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def client(app, name):
    return ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": name, "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))


def matter(app, client_id, title, opened, area=""):
    return ok(app.invoke("matter_open", {"input": {
        "number": None, "title": title, "clientId": client_id, "practiceArea": area,
        "openedOn": opened, "responsibleLawyer": "", "notes": ""}}))


def column(app, testid, index):
    """The text of cell `index` in each row of the list, top to bottom."""
    return [r.find_elements("css selector", "td")[index].text for r in app.find_all(testid)]


def sorted_by(app, header):
    return app.find(header).get_attribute("aria-sort")


def test_lists_sort_count_and_keep_their_filters(app):
    create_vault(app)
    marsh = client(app, "Ottoline Marsh (fictional)")
    quill = client(app, "Barnaby Quillfeather (fictional)")
    abbot = client(app, "Araminta Abbot (fictional)")
    matter(app, marsh["id"], "Marsh boundary dispute", "2026-03-02", "property")
    matter(app, quill["id"], "Quillfeather estate", "2025-11-20", "probate")
    matter(app, abbot["id"], "Abbot lease renewal", "2026-01-09", "property")
    matter(app, marsh["id"], "Marsh hedge easement", "2024-06-30", "")
    app.click("nav-clients")
    app.click("nav-matters")

    # The count, and newest number first until the user says otherwise.
    wait_for(lambda: len(app.find_all("matter-row")) == 4, what="four matters")
    assert app.text("matter-count") == "4 matters"
    numbers = column(app, "matter-row", 0)
    assert numbers == sorted(numbers, reverse=True), numbers
    assert sorted_by(app, "sort-number") == "descending"
    assert sorted_by(app, "sort-title") == "none"
    # Dates in the one format.
    assert sorted(column(app, "matter-row", 4)) == ["2024-06-30", "2025-11-20", "2026-01-09", "2026-03-02"]
    app.accessibility("the matter table")
    app.screenshot("42-matter-table")

    # A click on a header sorts by it; a second click reverses.
    app.find("sort-title").find_element("css selector", "button").click()
    wait_for(lambda: sorted_by(app, "sort-title") == "ascending", what="sorted by title")
    assert sorted_by(app, "sort-number") == "none"
    titles = ["Abbot lease renewal", "Marsh boundary dispute", "Marsh hedge easement", "Quillfeather estate"]
    assert column(app, "matter-row", 1) == titles
    app.find("sort-title").find_element("css selector", "button").click()
    wait_for(lambda: sorted_by(app, "sort-title") == "descending", what="sorted by title, reversed")
    assert column(app, "matter-row", 1) == titles[::-1]

    # ... and by keyboard: Enter on the focused header.
    app.driver.execute_script("arguments[0].focus()", app.find("sort-opened").find_element("css selector", "button"))
    keys(app, Keys.ENTER)
    wait_for(lambda: sorted_by(app, "sort-opened") == "descending", what="sorted by opening date")
    assert column(app, "matter-row", 4) == ["2026-03-02", "2026-01-09", "2025-11-20", "2024-06-30"]
    # Empty practice areas sort last.
    app.find("sort-area").find_element("css selector", "button").click()
    wait_for(lambda: sorted_by(app, "sort-area") == "ascending", what="sorted by practice area")
    assert column(app, "matter-row", 3)[-1] == "—"

    # A filter narrows the list and the count says so.
    app.type("matter-search", "Marsh")
    wait_for(lambda: len(app.find_all("matter-row")) == 2, what="Marsh's two matters")
    assert app.text("matter-count") == "2 matters match the filters"

    # Clients: sorted by name, counted.
    app.click("nav-clients")
    wait_for(lambda: len(app.find_all("client-row")) == 3, what="three clients")
    assert app.text("client-count") == "3 clients"
    assert [n.split("\n")[0] for n in column(app, "client-row", 0)] == [
        "Araminta Abbot (fictional)", "Barnaby Quillfeather (fictional)", "Ottoline Marsh (fictional)"]
    app.find("sort-name").find_element("css selector", "button").click()
    wait_for(lambda: sorted_by(app, "sort-name") == "descending", what="names reversed")
    assert column(app, "client-row", 0)[0].startswith("Ottoline Marsh")
    app.type("client-search", "Quill")
    wait_for(lambda: app.text("client-count") == "1 client matches", what="one client")
    app.accessibility("the client table")
    app.screenshot("43-client-table")

    # Back to the matters: the filter and the sort are as they were left.
    app.click("nav-matters")
    wait_for(lambda: len(app.find_all("matter-row")) == 2, what="the filtered matters")
    assert app.find("matter-search").get_property("value") == "Marsh"
    assert sorted_by(app, "sort-area") == "ascending"
    assert column(app, "matter-row", 1) == ["Marsh boundary dispute", "Marsh hedge easement"]
    # ... and the clients' too.
    app.click("nav-clients")
    wait_for(lambda: app.text("client-count") == "1 client matches", what="the client search kept")
    assert app.find("client-search").get_property("value") == "Quill"
    assert sorted_by(app, "sort-name") == "descending"

    # A lock forgets them: a search for a client is client data.
    app.click("lock")
    app.find("unlock-screen")
    unlock(app)
    wait_for(lambda: len(app.find_all("matter-row")) == 4, what="every matter after the lock")
    assert app.find("matter-search").get_property("value") == ""
    assert sorted_by(app, "sort-number") == "descending"


def test_dates_are_typed_and_shown_as_year_month_day(app):
    create_vault(app)
    client(app, "Ottoline Marsh (fictional)")
    app.click("nav-clients")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text="Ottoline Marsh (fictional)")
    app.type("matter-title", "Marsh boundary dispute")

    # The field is text in the one format, and spells the day out.
    field = app.find("matter-opened")
    assert field.get_attribute("type") == "text"
    assert field.get_attribute("placeholder") == "YYYY-MM-DD"
    # 12/05/2026: December or May? Refused, saying what to write.
    app.type("matter-opened", "12/05/2026")
    wait_for(lambda: field.get_attribute("aria-invalid") == "true", what="the date refused")
    assert app.text("matter-opened-hint").startswith("Write the date as YYYY-MM-DD")
    app.screenshot("40-date-refused")
    app.click("open-matter")
    # The form does not submit: still on the form, no matter made.
    assert app.present("open-matter-form")
    assert ok(app.invoke("matter_list", {"filter": {"status": None, "clientId": None, "practiceArea": None,
                                                    "search": None, "limit": 10, "offset": None}})) == []
    app.type("matter-opened", "2026-2-30")
    wait_for(lambda: app.text("matter-opened-hint") == "There is no such day: 2026-2-30.", what="no 30 February")

    app.type("matter-opened", "2026-5-12")
    wait_for(lambda: field.get_attribute("aria-invalid") == "false", what="the date taken")
    assert app.text("matter-opened-hint") == "Tuesday 12 May 2026"
    app.screenshot("41-date-spelled-out")
    app.accessibility("a date field")
    app.click("open-matter")
    detail = wait_for(lambda: app.present("matter-detail") and app.text("matter-detail"), what="the matter opened")
    assert "2026-05-12" in detail
    wait_for(lambda: app.find_all("matter-row"), what="the matter listed")
    assert column(app, "matter-row", 4) == ["2026-05-12"]
    # The close date is checked too: the button waits for a real day.
    app.type("close-on", "31.12.2026")
    wait_for(lambda: not app.find("close-matter").is_enabled(), what="closing refused without a real day")
    app.type("close-on", "2026-12-31")
    wait_for(lambda: app.find("close-matter").is_enabled(), what="closing allowed")


def test_practice_areas_and_lawyers_are_offered_from_those_in_use(app):
    create_vault(app)
    marsh = client(app, "Ottoline Marsh (fictional)")
    ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Marsh boundary dispute", "clientId": marsh["id"], "practiceArea": "Conveyancing",
        "openedOn": "2026-03-02", "responsibleLawyer": "J. Fictional", "notes": ""}}))
    matter(app, marsh["id"], "Marsh hedge easement", "2026-04-01", "Probate")
    app.click("nav-clients")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text="Ottoline Marsh (fictional)")
    app.type("matter-title", "Marsh garage lease")

    # The areas in use are offered (a datalist on the field).
    offered = lambda testid: app.driver.execute_script(  # noqa: E731
        "const i = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);"
        "return i.list ? [...i.list.options].map((o) => o.value) : null", testid)
    wait_for(lambda: offered("matter-area") == ["Conveyancing", "Probate"], what="the areas in use offered")
    assert offered("matter-lawyer") == ["J. Fictional"]
    # Typed in another case, it takes the known spelling when the field is left.
    app.type("matter-area", "conveyancing")
    app.driver.execute_script("arguments[0].blur()", app.find("matter-area"))
    wait_for(lambda: app.find("matter-area").get_property("value") == "Conveyancing", what="the known spelling")
    # A new one is named as new.
    app.type("matter-lawyer", "P. Imaginary")
    wait_for(lambda: app.text("matter-lawyer-note").startswith("New"), what="the new lawyer named as new")
    app.accessibility("the intake with offered areas")
    app.click("open-matter")
    wait_for(lambda: app.present("matter-detail"), what="the matter opened")
    areas = [m["practiceArea"] for m in ok(app.invoke("matter_list", {"filter": {
        "status": None, "clientId": None, "practiceArea": None, "search": None, "limit": None, "offset": None}}))]
    assert sorted(areas) == ["Conveyancing", "Conveyancing", "Probate"], areas
