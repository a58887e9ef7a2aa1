"""The Consents view: a "waiver needed" decision drafts the waiver, the
lawyer records it as given orally (a reminder to confirm in writing is
due), records another consent from the form, then withdraws the waiver,
which re-opens the conflict check; nothing readable under the data folder."""
import datetime
import os

from conftest import wait_for
from test_app import create_vault

SCOPE = "I agree that you act for Robert Smyth against us in the Zephyrine matter only."


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def files_containing(root, needle):
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            try:
                with open(path, "rb") as fh:
                    if needle.encode() in fh.read():
                        found.append(path)
            except OSError:
                pass
    return found


def test_record_give_and_withdraw_a_consent_in_the_app(app):
    create_vault(app)
    former = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Wilhelmina Quorvath-Pennyroyal", "aliases": [], "email": "", "phone": "",
        "address": "", "notes": ""}}))
    ok(app.invoke("matter_open", {"input": {
        "number": None, "title": "Supply", "clientId": former["id"], "practiceArea": "",
        "openedOn": "2018-03-01", "responsibleLawyer": "", "notes": ""}}))
    robert = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Robert Smyth", "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))
    check = ok(app.invoke("conflict_check", {"request": {"names": [
        {"name": "Robert Smyth", "kind": "person", "role": "client"},
        {"name": "Wilhelmina Quorvath-Pennyroyal", "kind": "unknown", "role": "adverse"}],
        "clientId": robert["id"]}}))
    decided = ok(app.invoke("conflict_decide", {"id": check["id"], "hit": 1, "decision": "waiver_needed",
                                                "reason": "Former client; unrelated"}))
    assert decided["status"] == "cleared" and len(decided["hits"][0]["consents"]) == 2, decided

    # From the client's page to her consents: the drafted waiver.
    app.click("nav-clients")
    rows = wait_for(lambda: [r for r in app.find_all("client-row") if "Wilhelmina" in r.text], what="client row")
    rows[0].find_element("css selector", "button").click()
    app.click("client-consents")
    wait_for(lambda: len(app.find_all("consent-row")) == 1, what="her one consent")
    row = app.find_all("consent-row")[0]
    assert row.get_attribute("data-state") == "requested" and "Conflict waiver" in row.text, row.text
    row.click()

    # Given orally, with her words and the risks explained.
    app.select("give-method", value="oral")
    app.type("give-scope", SCOPE)
    app.type("give-risks", "Confidential facts stay confidential; alternative: other counsel.")
    app.click("give-consent")
    wait_for(lambda: app.text("consent-state").lower() == "given", what="given")
    assert app.present("consent-confirm-by")
    assert SCOPE in app.text("consent-scope-shown")
    wait_for(lambda: any("confirm in writing" in d.text for d in app.find_all("consent-due")), what="reminder")

    # Another consent recorded from the form, given by e-mail: confirmed.
    app.click("new-consent")
    app.select("consent-kind", value="email_communication")
    app.type("consent-scope", "E-mail is fine.")
    app.select("consent-given", value="email")
    app.click("consent-save")
    wait_for(lambda: app.present("consent-detail") and app.text("consent-state").lower() == "confirmed", what="recorded")
    app.screenshot("30-consents")

    # Withdraw the waiver: the conflict check is no longer cleared.
    waiver = [r for r in app.find_all("consent-row") if "Conflict waiver" in r.text][0]
    waiver.click()
    wait_for(lambda: app.text("consent-state").lower() == "given", what="the waiver shown")
    app.type("withdraw-reason", "Client changed her mind")
    app.click("withdraw-consent")
    wait_for(lambda: app.text("consent-state").lower() == "withdrawn", what="withdrawn")
    assert f"Conflict check {check['id']} is no longer cleared" in app.text("consent-notice")
    app.screenshot("31-consent-withdrawn")
    assert ok(app.invoke("conflict_get", {"id": check["id"]}))["status"] == "reopened"

    # An oral consent given ten days ago and not confirmed: overdue, counted
    # in the sidebar; the sidebar's view lists every consent.
    ten_days_ago = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    ok(app.invoke("consent_record", {"input": {
        "kind": "gdpr_processing", "label": "", "clientIds": [robert["id"]], "matterIds": [],
        "scope": "Processing for the file.", "evidence": []},
        "give": {"method": "oral", "on": ten_days_ago, "evidence": []}}))
    app.click("nav-consents")
    wait_for(lambda: len(app.find_all("consent-row")) == 4, what="all consents")
    assert app.text("consents-due-count") == "1"
    assert any("overdue" in d.text for d in app.find_all("consent-due"))
    app.screenshot("32-consents-all")

    for needle in ["Zephyrine", "Quorvath", "Client changed her mind"]:
        assert files_containing(app.data_dir, needle) == [], needle
