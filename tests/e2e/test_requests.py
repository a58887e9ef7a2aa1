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
