"""The compliance report from the real app: saved from Settings through the
save dialog as a self-contained page, and a client's own report saved from
the client's page, which names no other client."""
import json

from conftest import wait_for
from test_app import create_vault

ADA = "Ada Quorvath-Fictional"
BRUNO = "Bruno Zellweger-Imaginary"


def ok(result):
    assert "ok" in result, result
    return result["ok"]


def add_client(app, name):
    return ok(app.invoke("client_create", {"input": {
        "kind": "person", "name": name, "aliases": [], "email": "", "phone": "", "address": "", "notes": ""}}))


def open_matter(app, client, title, area):
    return ok(app.invoke("matter_open", {"input": {
        "number": None, "title": title, "clientId": client["id"], "practiceArea": area,
        "openedOn": "2024-01-01", "responsibleLawyer": "", "notes": ""}}))


def test_the_compliance_report_is_saved_from_settings_and_from_a_client(app):
    create_vault(app)
    ada = add_client(app, ADA)
    bruno = add_client(app, BRUNO)
    open_matter(app, ada, "Quorvath lease", "Property")
    bruno_matter = open_matter(app, bruno, "Zellweger boundary dispute", "Property")

    # The whole vault's report, from Settings.
    exports = app.data_dir / "exports"
    exports.mkdir()
    out = exports / "report.html"
    app.click("nav-settings")
    app.click("report-export")
    app.file_dialog("Save the compliance report", out, save=True)
    wait_for(lambda: "saved" in app.text("report-saved"), what="the report saved")
    app.screenshot("40-settings-compliance-report")
    html = out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert html.startswith("<!doctype html>") and "<script" not in html
    for heading in ["Protections", "Audit log", "Data inventory", "Legal holds", "Backups", "Policies and training"]:
        assert f"<h2>{heading}</h2>" in html, heading
    assert "The whole vault" in html and "Fictional &amp; Partners" in html
    assert "intact: every entry chains" in html

    # Ada's own report, from her page: her matter, nothing of Bruno's.
    app.click("nav-clients")
    rows = wait_for(lambda: [r for r in app.find_all("client-row") if "Ada" in r.text], what="Ada's row")
    rows[0].find_element("css selector", "button").click()
    client_out = exports / "ada.json"
    app.click("client-report")
    app.file_dialog("Save the compliance report", client_out, save=True)
    wait_for(lambda: "saved" in app.text("client-report-saved"), what="Ada's report saved")
    text = client_out.read_text()
    report = json.loads(text)
    assert report["scope"] == {"kind": "client", "clientId": ada["id"], "clientName": ADA}
    assert report["inventory"]["data"]["matters"] == 1
    for other in [BRUNO, "Zellweger", bruno_matter["number"]]:
        assert other not in text, other
