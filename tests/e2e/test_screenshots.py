"""A realistic practice in the app — 31 clients, 60 matters over six years,
documents, a hold, a consent, a request and an incident — as a lawyer sees
it: every matter is listed, the sidebar stays put while a long page
scrolls, and the README's screenshots are taken from here
(MATTERBOX_SCREENSHOTS=docs/screenshots)."""
import datetime

from conftest import wait_for
from test_app import create_vault
from test_documents import PDF, import_file, row

FIRST = ["Ottoline", "Perpetua", "Barnaby", "Clementine", "Ignatius", "Rosalind", "Thaddeus", "Wilhelmina",
         "Cornelius", "Euphemia", "Lysander", "Marigold", "Peregrine", "Hyacinth", "Octavian", "Seraphina"]
LAST = ["Marsh", "Lark", "Thistlewood", "Bramblecote", "Fennimore", "Wrenfield", "Ashdown", "Quillfeather",
        "Pemberthy", "Hollowell", "Gorsewick", "Tansley"]
ORGS = ["Quillfeather Holdings Ltd", "Bramblecote Orchards LLP", "Wrenfield Marine Services", "Gorsewick Analytics Ltd",
        "Tansley & Daughters Bakery", "Hollowell Parish Trust", "Ashdown Lettings Ltd"]
AREAS = ["Conveyancing", "Family", "Employment", "Litigation", "Probate", "Commercial"]
TITLES = {
    "Conveyancing": ["Purchase of {} Cottage", "Sale of flat at {} Court", "Lease extension, {} House"],
    "Family": ["Divorce and finances", "Child arrangements", "Prenuptial agreement"],
    "Employment": ["Unfair dismissal claim", "Settlement agreement", "Contract review"],
    "Litigation": ["Boundary dispute with neighbour", "Unpaid invoices claim", "Defective building works"],
    "Probate": ["Estate of the late {} senior", "Lasting power of attorney", "Will and trust review"],
    "Commercial": ["Supply agreement", "Shareholders' agreement", "Trade mark licence"],
}
LAWYERS = ["A. Fennimore", "R. Pemberthy", "J. Ashdown"]


def ok(r):
    assert "ok" in r, r
    return r["ok"]


def seed_practice(app):
    """31 clients and 60 matters over six years, through the commands the UI calls."""
    ok(app.invoke("settings_update", {"patch": {"conflictCheckRequired": False}}))
    clients = []
    for i in range(31):
        if i % 5 == 4:
            name, kind = ORGS[(i // 5) % len(ORGS)], "organization"
        else:
            name, kind = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}", "person"
        clients.append(ok(app.invoke("client_create", {"input": {
            "kind": kind, "name": name, "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}})))
    matters = []
    start = datetime.date(2021, 1, 11)
    for i in range(60):
        client = clients[(i * 11) % len(clients)]
        area = AREAS[i % len(AREAS)]
        title = TITLES[area][(i // len(AREAS)) % 3].format(LAST[i % len(LAST)])
        opened = start + datetime.timedelta(days=i * 33)
        matters.append(ok(app.invoke("matter_open", {"input": {
            "number": None, "title": title, "clientId": client["id"], "practiceArea": area,
            "openedOn": opened.isoformat(), "responsibleLawyer": LAWYERS[i % len(LAWYERS)], "notes": ""}})))
    for m in matters[:25:3]:
        ok(app.invoke("matter_close", {"id": m["id"], "on": (datetime.date.fromisoformat(m["openedOn"])
                                                           + datetime.timedelta(days=200)).isoformat()}))
    ok(app.invoke("settings_update", {"patch": {"conflictCheckRequired": True}}))
    return clients, matters


def test_a_practice_of_sixty_matters_as_a_lawyer_sees_it(app):
    create_vault(app)
    clients, matters = seed_practice(app)

    # Every matter is listed, and the sidebar stays put while the list scrolls.
    app.click("nav-clients")
    app.click("nav-matters")
    wait_for(lambda: len(app.find_all("matter-row")) == len(matters), what="every matter")
    assert app.text("matter-count") == f"{len(matters)} matters"
    app.screenshot("05-matter-list")
    app.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    nav_top = app.driver.execute_script("return document.querySelector('nav').getBoundingClientRect().top")
    scrolled = app.driver.execute_script("return window.scrollY")
    assert scrolled > 500, f"the matter list did not scroll ({scrolled})"
    assert abs(nav_top) < 1, f"the sidebar scrolled away ({nav_top})"
    assert app.find("lock").is_displayed()
    app.driver.execute_script("window.scrollTo(0, 0)")

    # A matter with documents.
    newest = matters[-1]
    next(r for r in app.find_all("matter-row") if newest["number"] in r.text).find_element("css selector", "button").click()
    import_file(app, PDF)
    app.screenshot("04-matter-detail")
    row(app, "boundary-survey.pdf").find_element("css selector", "button").click()
    wait_for(lambda: app.find_all("pdf-page"), what="the preview")
    app.screenshot("11-pdf-preview")
    app.click("close-document")

    app.click("nav-search")
    app.type("search-text", "hedge line")
    app.click("search-go")
    app.find("search-hit")
    app.screenshot("12-search")

    app.click("nav-clients")
    wait_for(lambda: len(app.find_all("client-row")) == len(clients), what="every client")
    app.screenshot("06-client-list")

    app.click("nav-settings")
    app.find("change-passphrase")
    app.screenshot("07-settings")
