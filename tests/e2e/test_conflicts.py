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
