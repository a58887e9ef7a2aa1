"""The Incidents view: a lost laptop's incident opened in the app, its
deadline clocks, its scope from the audit log (verified first: the
document opened on this computer and its client) and the package shared
in its window, the decision, and a
notice recorded verbatim with its hash — none of it in clear on disk."""
from datetime import datetime, timedelta, timezone

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file, new_matter, row

CLIENT = "Ottoline Fabricant"
RECIPIENT = "Fictional Supervisory Authority"


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def files_containing(folder, needle):
    data = needle.encode()
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and data in p.read_bytes()]


def test_a_lost_laptop_incident_with_clocks_scope_and_a_notice(app):
    create_vault(app)
    new_matter(app, client=CLIENT, title="Boundary dispute")
    src = app.data_dir / "scans"
    src.mkdir()
    letter = src / "letter.txt"
    letter.write_text("A fictional letter about the boundary.\n")
    import_file(app, letter)
    row(app, "letter")
    # The letter is opened (previewed) on this computer.
    matters = ok(app.invoke("matter_list", {"filter": {
        "status": None, "clientId": None, "practiceArea": None, "search": None, "limit": None, "offset": None}}))
    docs = ok(app.invoke("document_list", {"matterId": matters[0]["id"], "trash": False}))
    doc_id = docs[0]["id"]
    result = app.invoke("document_preview", {"id": doc_id, "version": None})
    assert "err" not in result, result
    # And shared as an age package: it left the vault.
    wait_for(lambda: len(app.find_all("document-select")) == 1, what="the letter to select")
    app.find_all("document-select")[0].click()
    app.click("share-documents")
    app.find("share-dialog")
    out = app.data_dir / "shared"
    out.mkdir()
    app.click("share-write")
    app.file_dialog("Choose the folder for the package", out)
    app.find("share-done", timeout=60)
    app.click("share-close")
    wait_for(lambda: not app.present("share-dialog"), what="the share dialog to close")

    app.click("nav-incidents")
    app.find("incidents-empty")
    app.click("incident-new")
    app.type("incident-title", "Laptop stolen from a parked car")
    app.select("incident-cause", value="stolen_device")
    device = app.find("incident-device").get_property("value")
    assert len(device) == 16, device
    app.screenshot("30-incident-form")
    app.click("incident-open")

    reference = wait_for(lambda: app.present("incident-reference") and app.text("incident-reference"),
                         what="the incident opened")
    assert reference.startswith("INC-") and reference.split(" ")[0].endswith("-001"), reference
    clocks = app.find_all("incident-clock")
    assert len(clocks) == 3
    states = [c.get_attribute("data-state") for c in clocks]
    assert states == ["running", "no_fixed_period", "no_fixed_period"], states
    assert "left" in clocks[0].text and "Art. 33(1)" in clocks[0].text, clocks[0].text

    app.click("incident-scope")
    chain = wait_for(lambda: app.present("scope-chain") and app.text("scope-chain"), what="the scope")
    assert "verified first" in chain and "intact" in chain, chain
    assert "1 document(s) of 1 client(s)" in app.text("scope-accessed-count")
    assert CLIENT in app.text("scope-accessed-clients")
    # What was shared in the window: the package, to the client, with the letter.
    assert "1 package(s), 1 document(s) of 1 client(s)" in app.text("scope-shared-count")
    shares = app.find_all("scope-share")
    assert len(shares) == 1 and f"to {CLIENT} (age, passphrase words)" in shares[0].text, shares[0].text
    assert "letter" in shares[0].text, shares[0].text
    # This computer has the vault unlocked now: no safe-harbour claim.
    assert app.text("scope-safe-harbour").endswith("no")
    statements = " ".join(s.text for s in app.find_all("scope-statement"))
    assert "this session: the vault is unlocked on this computer now" in statements, statements
    app.screenshot("31-incident-clocks-and-scope")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", app.find("scope-shared"))
    app.screenshot("31b-incident-scope-shared")

    app.select("decision-select", value="notify")
    app.type("decision-reason", "Client documents were opened on the laptop that week.")
    app.click("decision-save")
    wait_for(lambda: app.present("incident-decision"), what="the decision")

    app.type("notice-recipient", RECIPIENT)
    app.type("notice-channel", "web form")
    app.click("notice-template")
    wait_for(lambda: "Art. 33" in app.find("notice-text").get_property("value"), what="the template")
    text = app.find("notice-text").get_property("value")
    assert reference.split(" ")[0] in text and "(d) Measures taken" in text, text
    app.click("notice-record")
    notice = wait_for(lambda: app.find_all("incident-notice"), what="the notice recorded")[0]
    assert RECIPIENT in notice.text and "SHA-256" in notice.text, notice.text
    app.screenshot("32-incident-notice")

    app.select("status-select", value="notified")
    app.click("decision-save")
    wait_for(lambda: app.text("incident-status") == "notified", what="the status notified")
    app.click("incident-report-button")
    report = wait_for(lambda: app.present("incident-report") and app.text("incident-report"), what="the report")
    for want in ("INCIDENT REPORT", "verified first", CLIENT, "SHA-256 of the text", RECIPIENT):
        assert want in report, (want, report)
    app.driver.execute_script("arguments[0].scrollIntoView()", app.find("incident-report"))
    app.screenshot("33-incident-report")

    view = ok(app.invoke("incident_get", {"reference": reference.split(" ")[0]}))
    assert view["incident"]["notices"][0]["text"] == text
    assert view["clocks"][0]["state"] == "met"
    # A second incident whose 72 hours are nearly up: the app warns.
    aware = (datetime.now(timezone.utc) - timedelta(hours=70)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok(app.invoke("incident_open", {"input": {
        "title": "Letter sent to the wrong address", "kind": "confidentiality", "cause": "misdirected_package",
        "happenedFrom": aware, "happenedTo": aware, "awareAt": aware, "description": "",
        "devices": [], "rules": ["gdpr-authority"]}}))
    app.click("nav-matters")
    app.click("nav-incidents")
    wait_for(lambda: app.present("incident-alerts") and app.text("incident-alerts") == "1", what="the warning")
    alerts = wait_for(lambda: app.find_all("incident-item-alert"), what="the incident's warning")
    assert len(alerts) == 1 and "1 deadline(s) need attention" in alerts[0].text
    app.screenshot("34-incident-deadline-warning")

    # Only inside the encrypted database.
    for needle in (RECIPIENT, "Laptop stolen from a parked car"):
        assert files_containing(app.data_dir / "data", needle) == [], needle
