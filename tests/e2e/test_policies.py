"""Policies and training in the real app: a policy recorded and
acknowledged, the person's annual training then due, and due no more once
a training session with them is recorded."""
from datetime import date, timedelta

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file, new_matter


def test_a_policy_is_acknowledged_and_training_falls_due_until_recorded(app, tmp_path):
    create_vault(app)
    # The training's slides, kept in the practice's own matter.
    new_matter(app, "Practice management (fictional)", "Staff training")
    slides = tmp_path / "phishing-slides.txt"
    slides.write_text("Phishing awareness: check the sender, never open unexpected attachments.\n")
    import_file(app, slides)
    app.click("nav-policies")
    app.find("policies-empty")
    app.find("policies-nothing-due")

    app.type("policy-title", "Information security policy")
    app.type("policy-topic", "information security")
    app.type("policy-text", "Lock the screen when you leave your desk. Client files stay in the vault.")
    app.click("add-policy")
    wait_for(lambda: "version 1" in app.text("policies-notice"), what="the policy recorded")
    assert "Information security policy" in app.text("policy-row")
    assert "nobody yet" in app.text("policy-row")

    app.type("ack-person", "Ada Fictional")
    app.click("ack-policy")
    wait_for(lambda: "Ada Fictional (" in app.text("policy-row"), what="the acknowledgement")
    # Someone who acknowledged a policy but never trained is due at once.
    due = wait_for(lambda: [d.text for d in app.find_all("policy-due")] or None, what="the due list")
    assert any("annual training for Ada Fictional" in d for d in due), due
    # The policy's review, a year away, shows once the window reaches it.
    assert not any("review" in d for d in due), due
    app.select("due-window", value="365")
    wait_for(lambda: any("review “Information security policy”" in d.text for d in app.find_all("policy-due")),
             what="the review within a year")
    app.select("due-window", value="90")
    wait_for(lambda: not any("review" in d.text for d in app.find_all("policy-due")), what="the 90-day window again")
    app.accessibility("policies and training")

    app.type("training-topic", "Phishing and safe e-mail")
    app.type("training-attendees", "Ada Fictional, Bertram Quillon")
    # Its materials: a document of the vault, found by a word in it.
    app.type("material-query", "phishing")
    app.click("material-find")
    hit = wait_for(lambda: app.find_all("material-hit") or None, what="the slides found")[0]
    assert "phishing-slides" in hit.text, hit.text
    hit.click()
    assert "Practice management (fictional)" in app.text("material-chosen")
    app.click("add-training")
    wait_for(lambda: "2 attendees" in app.text("policies-notice"), what="the training recorded")
    assert "1 document of materials" in app.text("policies-notice")
    assert "Phishing and safe e-mail" in app.text("training-row")
    wait_for(lambda: "materials: phishing-slides" in app.text("training-row"), what="the materials named")
    trainings = app.invoke("training_list")["ok"]
    assert len(trainings[0]["materials"]) == 1, trainings
    wait_for(lambda: not any("Ada Fictional" in d.text for d in app.find_all("policy-due")),
             what="Ada's training no longer due")
    app.screenshot("25-policies-and-training")

    # A new version of the policy; Bertram acknowledges version 1 on a day given.
    app.click("new-version")
    effective = (date.today() + timedelta(days=10)).isoformat()
    app.type("version-effective", effective)
    app.type("version-text", "Lock the screen when you leave your desk. Use the vault for every client file.")
    app.click("add-version")
    wait_for(lambda: app.present("policies-notice") and "version 2 recorded" in app.text("policies-notice"),
             what="version 2 recorded")
    # Version 1 stays in effect until version 2's day comes.
    versions = app.text("policy-versions")
    assert "version 1 in effect since" in versions and f"version 2 takes effect on {effective}" in versions, versions
    app.select("ack-version", value="1")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    app.type("ack-on", yesterday)
    app.type("ack-person", "Bertram Quillon")
    app.click("ack-policy")
    wait_for(lambda: "Bertram Quillon acknowledged" in app.text("policies-notice"), what="the acknowledgement")
    policy = app.invoke("policy_list")["ok"][0]
    acks = {a["person"]: (v["version"], a["acknowledgedOn"]) for v in policy["versions"] for a in v["acknowledgements"]}
    assert acks["Bertram Quillon"] == (1, yesterday), acks
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", app.find("policy-row"))
    app.screenshot("26-policy-version-and-acknowledgement")
