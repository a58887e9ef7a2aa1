"""Data-subject requests in the real app: a request recorded in the
Requests view shows its deadline (days left; an old one overdue, in red),
and "find everything" lists the client, a party under a nickname and a
transliterated spelling, and a document found by its text; an item is
marked withheld with its reason."""
from conftest import wait_for
from test_app import create_vault
from test_documents import import_file, new_matter


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def test_a_request_shows_its_deadline_and_what_was_found(app):
    create_vault(app)
    # The requester is a client with a document that names him.
    new_matter(app, client="Robert Brankovic", title="Boundary survey")
    survey = app.data_dir / "survey.txt"
    survey.write_text("Survey of the boundary, instructed by Robert Brankovic.\n")
    import_file(app, survey)
    # He is also the adverse party of another client's matter, spelt another way.
    other = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Perpetua Quillfeather", "aliases": [], "email": "", "phone": "",
        "address": "", "notes": ""}}))
    ok(app.invoke("settings_update", {"patch": {"conflictCheckRequired": False}}))
    matter = ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Quillfeather v. Neighbour", "clientId": other["id"], "practiceArea": "",
        "openedOn": "2024-05-01", "responsibleLawyer": "", "notes": ""}}))
    ok(app.invoke("matter_add_party", {"id": matter["id"], "party": {
        "name": "Bob Branković", "role": "defendant", "side": "adverse"}}))
    # An old request, long overdue.
    ok(app.invoke("request_open", {"input": {
        "kind": "rectification", "requester": "Ottilie Fictional-Quist", "relation": "other",
        "alsoKnown": [], "receivedOn": "2025-01-31", "notes": ""}}))

    app.click("nav-requests")
    wait_for(lambda: len(app.find_all("request-row")) == 1, what="the old request")
    app.select("request-kind", value="access")
    app.select("request-relation", value="client")
    app.type("request-name", "Robert Brankovic")
    app.click("request-open")
    wait_for(lambda: len(app.find_all("request-row")) == 2, what="the new request listed")
    deadlines = [d for d in app.find_all("request-deadline")]
    texts = [d.text for d in deadlines]
    assert any("left (due" in t for t in texts), texts
    overdue = [d for d in deadlines if "Overdue" in d.text]
    assert len(overdue) == 1, texts
    assert "overdue" in overdue[0].get_attribute("class"), overdue[0].get_attribute("class")
    assert "left (due" in app.text("request-detail-deadline")

    app.click("request-find")
    items = wait_for(lambda: len(app.find_all("request-item")) >= 3 and app.find_all("request-item"),
                     what="found items")
    text = "\n".join(i.text for i in items)
    assert "Client\nRobert Brankovic" in text or "Client Robert Brankovic" in text, text
    assert "Bob Branković (defendant)" in text and matter["number"] in text, text
    assert "nickname" in text, text
    assert "survey.txt" in text or "Survey" in text, text
    app.screenshot("30-requests-found")

    party = next(i for i in items if "Bob Branković" in i.text)
    number = next(n for n in range(1, 20)
                  if party.find_elements("css selector", f'[data-testid="withhold-{n}"]'))
    app.select(f"withhold-reason-{number}", value="art15_4")
    app.click(f"withhold-{number}")
    wait_for(lambda: any("withhold (art15_4)" in m.text for m in app.find_all("item-mark")),
             what="the withheld mark")
    app.screenshot("31-requests-marked")
    view = ok(app.invoke("request_list"))
    mine = next(r for r in view if r["requester"] == "Robert Brankovic")
    assert mine["unmarked"] == mine["items"] - 1, mine


def test_an_erasure_request_is_extended_and_erased_through_the_approval(app):
    """The extension dialog (within the first month, with reasons) and the
    erasure approval: the matter due under its policy is erased (passphrase
    again, register); the held matter and the one still kept stay, each
    with its basis and the date erasure becomes possible."""
    from test_app import PASSPHRASE

    create_vault(app)
    ok(app.invoke("settings_update", {"patch": {"conflictCheckRequired": False}}))
    person = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Ottilie Marchbanks", "aliases": [], "email": "", "phone": "",
        "address": "", "notes": ""}}))

    def matter(title, opened, closed):
        m = ok(app.invoke("matter_open", {"input": {
            "number": None, "title": title, "clientId": person["id"], "practiceArea": "",
            "openedOn": opened, "responsibleLawyer": "", "notes": ""}}))
        ok(app.invoke("matter_close", {"id": m["id"], "on": closed}))
        return m

    due = matter("Old conveyance", "2010-01-04", "2011-05-31")
    held = matter("Lease arrears", "2012-03-01", "2013-04-30")
    kept = matter("Boundary dispute", "2019-02-01", "2020-06-30")
    policy = ok(app.invoke("retention_policy_save", {"id": None, "input": {
        "name": "Seven years", "trigger": "matter_closed", "years": 7, "months": 0}}))
    for m in (due, held, kept):
        ok(app.invoke("retention_set_matter_policy", {"matterId": m["id"], "policy": policy["id"]}))
    ok(app.invoke("retention_place_hold", {"target": "matter", "id": held["id"], "reason": "Appeal pending"}))

    app.click("nav-requests")
    app.select("request-kind", value="erasure")
    app.select("request-relation", value="client")
    app.type("request-name", "Ottilie Marchbanks")
    app.click("request-open")
    wait_for(lambda: app.present("request-detail"), what="the request opened")
    before = app.text("request-detail-deadline")

    # Extension: up to two months, announced today (within the first month), with reasons.
    app.click("request-extend")
    app.select("extend-months", value="2")
    app.type("extend-reasons", "Three closed files to review, one in archive storage")
    app.click("extend-save")
    wait_for(lambda: app.present("request-extension"), what="the extension recorded")
    assert "by 2 month(s)" in app.text("request-extension")
    assert "archive storage" in app.text("request-extension")
    assert not app.present("request-extend")
    assert app.text("request-detail-deadline") != before
    app.screenshot("32-requests-extended")

    app.click("request-find")
    wait_for(lambda: len(app.find_all("request-item")) >= 1, what="found items")
    app.click("request-erasure")
    wait_for(lambda: app.present("erasure-approve"), what="the erasure assessment")
    rows = {r.get_attribute("data-outcome"): r.text for r in app.find_all("erasure-row")}
    erasable = [r for r in app.find_all("erasure-row") if r.get_attribute("data-outcome") == "erasable"]
    assert len(erasable) == 1 and due["number"] in erasable[0].text, rows
    kept_text = app.text("request-erasure-rows")
    assert "Legal hold" in kept_text and "Art. 17(3)(e)" in kept_text, kept_text
    assert "possible from 2027-06-30" in kept_text and "Art. 17(3)(b)" in kept_text, kept_text
    app.screenshot("33-requests-erasure-assessed")

    # A wrong passphrase destroys nothing.
    app.click("erasure-approve")
    app.type("erasure-passphrase", "not the passphrase")
    app.click("erasure-confirm")
    wait_for(lambda: app.present("requests-error"), what="the refusal")
    assert ok(app.invoke("retention_register")) == []
    app.type("erasure-passphrase", PASSPHRASE)
    app.click("erasure-confirm")
    wait_for(lambda: app.present("requests-notice") and "certificate" in app.text("requests-notice"),
             what="the erasure done")
    register = ok(app.invoke("retention_register"))
    assert [e["matterNumber"] for e in register if e["kind"] == "matter"] == [due["number"]], register
    wait_for(lambda: any(r.get_attribute("data-outcome") == "destroyed" for r in app.find_all("erasure-row")),
             what="the destroyed row")
    assert not app.present("erasure-approve")
    assert "Legal hold" in app.text("request-erasure-rows")
    app.screenshot("34-requests-erased")
    assert "err" in app.invoke("matter_get", {"id": due["id"]})
    assert "ok" in app.invoke("matter_get", {"id": held["id"]})
