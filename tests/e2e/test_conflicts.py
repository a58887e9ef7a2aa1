"""The intake screen: names typed, hits shown with their reasons, each hit
decided, and the matter opened under the cleared check."""
from conftest import wait_for
from test_app import create_vault


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def test_intake_checks_names_as_typed_and_opens_under_the_cleared_check(app):
    create_vault(app)
    # The vault's history, set up through the same commands the UI calls.
    acme = ok(app.invoke("client_create", {"input": {
        "kind": "organization", "name": "Acme Ltd", "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))
    ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Supply contract", "clientId": acme["id"], "practiceArea": "",
        "openedOn": "2018-03-01", "responsibleLawyer": "", "notes": ""}}))
    jane = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Jane Roe", "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))
    old = ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Roe v. Smith", "clientId": jane["id"], "practiceArea": "",
        "openedOn": "2019-01-15", "responsibleLawyer": "", "notes": ""}}))
    ok(app.invoke("matter_add_party", {"id": old["id"], "party": {"name": "Bob Smith", "role": "defendant", "side": "adverse"}}))
    ok(app.invoke("matter_close", {"id": old["id"], "on": "2019-11-30"}))

    app.click("nav-clients")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", value="new")
    app.type("intake-client-name", "Robert Smyth")
    app.type("intake-adverse", "ACME Corporation")
    hits = wait_for(lambda: len(app.find_all("intake-hit")) == 2 and app.find_all("intake-hit"), what="two hits")
    text = "\n".join(h.text for h in hits)
    assert "Bob Smith" in text and "'Bob' is a nickname of 'Robert'" in text, text
    assert f"adverse party (defendant) in matter {old['number']} (closed" in text, text
    assert "Acme Ltd" in text and "legal forms" in text, text
    assert text.count("HIGH") == 2 or text.lower().count("high") == 2, text
    app.screenshot("19-intake-hits")

    app.type("matter-title", "Smyth v. ACME")
    app.click("save-check")
    wait_for(lambda: len(app.find_all("check-hit")) == 2, what="saved check")
    assert app.text("check-status").lower() == "undecided"
    assert not app.find("open-matter").is_enabled()
    for n, decision, reason in [(1, "no_conflict", "Another Bob Smith, born 1950"),
                                (2, "waiver_needed", "Former client; unrelated matter")]:
        app.select(f"decision-{n}", value=decision)
        app.type(f"decision-reason-{n}", reason)
        app.click(f"decide-{n}")
    wait_for(lambda: app.text("check-status").lower() == "cleared", what="cleared check")
    assert len(app.find_all("hit-decision")) == 2
    app.screenshot("20-intake-decided")

    app.click("open-matter")
    number = app.text("matter-number-shown")
    assert number != old["number"]
    wait_for(lambda: "ACME Corporation" in app.text("parties"), what="the adverse party added")
    assert "conflict check" in app.text("matter-conflict-check").lower()
    # The party was checked again when added; its hit waits for a decision.
    assert app.present("unresolved-conflicts")

    checks = ok(app.invoke("conflict_list"))
    opened = [c for c in checks if c["openedMatterNumber"] == number]
    assert len(opened) == 1 and opened[0]["status"] == "cleared", checks


def test_document_mentions_party_checks_and_the_checks_list_are_decided_in_the_app(app):
    """The lower tier on the intake screen (a letter mentioning the name),
    a party check decided from the matter page, and the vault-wide list
    of checks opening one to decide it."""
    from test_documents import import_file, new_matter

    create_vault(app)
    acme = ok(app.invoke("client_create", {"input": {
        "kind": "organization", "name": "Acme Ltd", "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))
    ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Supply contract", "clientId": acme["id"], "practiceArea": "",
        "openedOn": "2018-03-01", "responsibleLawyer": "", "notes": ""}}))
    new_matter(app, client="Jane Roe", title="Roe estate")
    src = app.data_dir / "letters"
    src.mkdir()
    letter = src / "letter.txt"
    letter.write_text("Signed for the buyer by Quillfeather, Perpetua A., in Ostrevane.\n")
    import_file(app, letter)

    # A party added to the open matter is checked; its check is decided here.
    app.type("party-name", "ACME Corporation")
    app.select("party-side", value="adverse")
    app.click("add-party")
    wait_for(lambda: app.present("unresolved-conflicts"), what="the party's check waiting")
    button = wait_for(lambda: next(iter(app.driver.find_elements(
        "css selector", '[data-testid^="decide-check-"]')), None), what="a decide button")
    button.click()
    wait_for(lambda: len(app.find_all("check-hit")) == 1, what="the party check's hit")
    assert "Acme Ltd" in app.text("party-check")
    app.select("decision-1", value="no_conflict")
    app.type("decision-reason-1", "Acme Ltd is a different company")
    app.click("decide-1")
    wait_for(lambda: app.text("check-status").lower() == "cleared", what="the party check cleared")
    wait_for(lambda: not app.present("unresolved-conflicts"), what="no check waiting on the matter")
    app.screenshot("21-party-check-decided")

    # Intake: the new client's name is in the letter: a lower-tier hit.
    app.click("nav-clients")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", value="new")
    app.type("intake-client-name", "Perpetua Quillfeather")
    app.type("matter-title", "Quillfeather purchase")
    wait_for(lambda: app.present("save-check"), what="the save button")
    app.click("save-check")
    wait_for(lambda: len(app.find_all("document-hit")) == 1, what="the letter as a document hit")
    assert app.text("check-status").lower() == "clear"
    assert app.text("document-count-line") == "1 document mentions this name."
    hit = app.text("document-hit")
    assert "D1" in hit and "letter" in hit and "(client Jane Roe)" in hit, hit
    assert "\u201cPerpetua\u201d, \u201cQuillfeather\u201d within 2 words" in hit, hit
    app.select("document-decision-1", value="no_conflict")
    app.type("document-reason-1", "She bought from Jane Roe; no adversity")
    app.click("document-decide-1")
    wait_for(lambda: len(app.find_all("document-decision")) == 1, what="the mention decided")
    assert app.text("check-status").lower() == "clear"
    app.screenshot("22-intake-document-tier")
    intake_check = ok(app.invoke("conflict_list"))[0]["id"]

    # The vault-wide list: every check, its status, opening one to decide.
    app.click("nav-conflicts")
    rows = wait_for(lambda: len(app.find_all("check-row")) >= 3 and app.find_all("check-row"), what="the checks")
    statuses = {r.get_attribute("data-check-id"): r.get_attribute("data-status") for r in rows}
    assert statuses[str(intake_check)] == "clear", statuses
    assert "cleared" in statuses.values(), statuses
    app.screenshot("28-conflict-checks")
    app.click(f"open-check-{intake_check}")
    wait_for(lambda: len(app.find_all("document-hit")) == 1, what="the check opened")
    app.select("document-decision-1", value="conflict")
    app.type("document-reason-1", "On reflection: she is the other side's buyer")
    app.click("document-decide-1")
    wait_for(lambda: app.text("check-status").lower() == "conflict", what="the check in conflict")
    app.click("checks-back")
    row = wait_for(lambda: next((r for r in app.find_all("check-row")
                                 if r.get_attribute("data-check-id") == str(intake_check)
                                 and r.get_attribute("data-status") == "conflict"), None),
                   what="the list showing the conflict")
    assert "Perpetua Quillfeather" in row.text
