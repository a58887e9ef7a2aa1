"""The Incidents view: a lost laptop's incident opened in the app, its
deadline clocks, its scope from the audit log (verified first: the
document opened on this computer and its client) and the package shared
in its window, the decision, and a
notice recorded verbatim with its hash — none of it in clear on disk."""
import json
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
    choices = app.find_all("incident-device-choice")
    assert len(choices) == 1 and choices[0].is_selected()
    device = choices[0].get_property("value")
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


EVENT_CANARY = "Vellacourt concierge phoned about the missing laptop bag"
DELAY_CANARY = "Quintabel holiday closure delayed the notice"


def test_timeline_devices_rules_and_reasons_for_delay_once_a_deadline_passed(app):
    """The forms the CLI has, in the app: the devices and deadline rules
    chosen when the incident is opened and changed later, a timeline event,
    the risk assessment, decision, lessons — and, because the 72 hours have
    passed, the reasons for the delay required before the form saves. Then
    the compliance report dated yesterday for one client, from Settings."""
    create_vault(app)
    client = ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": "Ludovina Fictional", "aliases": [], "email": "", "phone": "", "address": "",
        "notes": ""}}))
    app.click("nav-incidents")
    app.find("incidents-empty")
    app.click("incident-new")
    app.type("incident-title", "Laptop bag left on a train")
    app.select("incident-cause", value="lost_device")
    # Four days ago: the authority's 72 hours are gone.
    local = datetime.now() - timedelta(days=4)
    app.type("incident-from", (local - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"))
    app.type("incident-to", (local - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
    app.type("incident-aware", local.strftime("%Y-%m-%d %H:%M"))
    # This computer is ticked as the device; the default rules are ticked.
    devices = app.find_all("incident-device-choice")
    assert len(devices) == 1 and devices[0].is_selected(), [d.get_property("value") for d in devices]
    device = devices[0].get_property("value")
    rules = {r.get_property("value"): r for r in app.find_all("incident-rule-choice")}
    assert len(rules) == 7, list(rules)
    assert [k for k, r in rules.items() if r.is_selected()] == ["gdpr-authority", "gdpr-data-subjects", "aba-483-client"]
    # Only the authority's notice and Colorado's 30 days apply here.
    rules["gdpr-data-subjects"].click()
    rules["aba-483-client"].click()
    rules["us-co-residents"].click()
    app.screenshot("35-incident-form-devices-and-rules")
    app.click("incident-open")

    wait_for(lambda: app.present("incident-reference"), what="the incident opened")
    assert app.text("incident-rules-named") == "gdpr-authority, us-co-residents"
    assert app.text("incident-devices-named") == device
    states = {c.get_attribute("data-state") for c in app.find_all("incident-clock")}
    assert states == {"overdue", "running"}, states

    # A timeline event.
    app.find("incident-events-empty")
    app.type("incident-event-at", (local + timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M"))
    app.type("incident-event-text", EVENT_CANARY)
    app.click("incident-event-add")
    events = wait_for(lambda: app.find_all("incident-event"), what="the timeline event")
    assert len(events) == 1 and EVENT_CANARY in events[0].text, events[0].text

    # Devices and rules changed later: Florida added.
    app.driver.find_element("css selector", '[data-testid="incident-edit-scope"] summary').click()
    edit_rules = {r.get_property("value"): r for r in app.find_all("edit-rule-choice")}
    assert [k for k, r in edit_rules.items() if r.is_selected()] == ["gdpr-authority", "us-co-residents"]
    edit_rules["us-fl-individuals"].click()
    app.click("incident-edit-save")
    wait_for(lambda: app.text("incident-rules-named") == "gdpr-authority, us-co-residents, us-fl-individuals",
             what="the rules saved")
    wait_for(lambda: len(app.find_all("incident-clock")) == 3, what="three clocks")

    # The deadline has passed: reasons for the delay are required.
    delay = app.find("decision-delay")
    assert delay.get_attribute("data-required") == "yes"
    assert app.driver.execute_script("return arguments[0].validity.valueMissing", delay) is True
    assert "gdpr-authority has passed" in app.driver.execute_script(
        "return arguments[0].closest('label').textContent", delay)
    app.select("risk-likelihood", value="low")
    app.select("risk-severity", value="medium")
    app.type("risk-rationale", "The laptop is encrypted and was locked.")
    app.select("decision-select", value="notify")
    app.type("decision-reason", "Client files were on the laptop.")
    app.type("decision-lessons", "Carry the laptop, not a bag.")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", delay)
    app.screenshot("36-incident-delay-required")
    app.type("decision-delay", DELAY_CANARY)
    app.click("decision-save")
    wait_for(lambda: app.present("incident-delay-reasons"), what="the reasons for delay saved")
    assert DELAY_CANARY in app.text("incident-delay-reasons")
    assert app.text("incident-risk") == "likelihood low, severity medium: The laptop is encrypted and was locked."
    assert "Carry the laptop" in app.text("incident-lessons")
    assert app.find("decision-delay").get_attribute("data-required") == "no"
    view = ok(app.invoke("incident_get", {"reference": app.text("incident-reference").split(" ")[0]}))
    b = view["incident"]
    assert (b["devices"], b["rules"]) == ([device], ["gdpr-authority", "us-co-residents", "us-fl-individuals"])
    assert (b["likelihood"], b["severity"], b["decision"]) == ("low", "medium", "notify")
    assert b["events"][0]["description"] == EVENT_CANARY and b["delayReasons"] == DELAY_CANARY

    # A notice under the passed deadline needs its own reasons.
    app.select("notice-rule", value="gdpr-authority")
    notice_delay = app.find("notice-delay")
    wait_for(lambda: notice_delay.get_attribute("data-required") == "yes", what="the notice's delay required")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", app.find("incident-events"))
    app.screenshot("37-incident-timeline-and-decision")

    # The compliance report dated yesterday, for the one client, from Settings.
    yesterday = (datetime.now().date() - timedelta(days=1)).isoformat()
    app.click("nav-settings")
    app.type("report-as-of", yesterday)
    wait_for(lambda: len(app.find("report-client").find_elements("css selector", "option")) == 2,
             what="the client to choose")
    app.select("report-client", value=str(client["id"]))
    exports = app.data_dir / "exports"
    exports.mkdir()
    out = exports / "dated.json"
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", app.find("report-export"))
    app.screenshot("38-report-as-of-and-client")
    app.click("report-export")
    app.file_dialog("Save the compliance report", out, save=True)
    wait_for(lambda: app.present("report-saved") and "saved" in app.text("report-saved"), what="the report saved")
    report = json.loads(out.read_text())
    assert report["at"].startswith(f"{yesterday}T23:59:59"), report["at"]
    assert report["scope"]["kind"] == "client" and report["scope"]["clientId"] == client["id"], report["scope"]
    # A day after today is refused by the field before it reaches the backend.
    tomorrow = (datetime.now().date() + timedelta(days=1)).isoformat()
    app.type("report-as-of", tomorrow)
    assert app.driver.execute_script("return arguments[0].validity.valid", app.find("report-as-of")) is False

    for needle in (EVENT_CANARY, DELAY_CANARY, "Laptop bag left on a train"):
        assert files_containing(app.data_dir / "data", needle) == [], needle
