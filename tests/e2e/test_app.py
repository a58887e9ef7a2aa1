"""The desktop app as a user meets it, in the real WebView."""
import re

from conftest import wait_for

PASSPHRASE = "lantern orchard 47 quietly"


def create_vault(app, name="Fictional & Partners", passphrase=PASSPHRASE):
    app.type("vault-name", name)
    app.type("new-passphrase", passphrase)
    app.type("confirm-passphrase", passphrase)
    assert app.find("new-passphrase").get_property("value") == passphrase
    app.screenshot("01-create-vault")
    app.click("create-vault")
    key = app.text("recovery-key").replace(" ", "").replace("\n", "")
    assert re.fullmatch(r"([0-9A-Z]{5}-){7}[0-9A-Z]{5}", key), key
    app.screenshot("02-recovery-key")
    groups = key.split("-")
    app.click("stored-checkbox")
    app.type("confirm-group-3", groups[2])
    app.type("confirm-group-7", groups[6])
    app.click("confirm-recovery")
    app.find("nav-matters")
    return key


def unlock(app, passphrase=PASSPHRASE):
    app.type("passphrase", passphrase)
    app.click("unlock")


def test_first_run_to_a_closed_matter_that_survives_a_restart(app):
    create_vault(app)
    empty = app.text("matters-empty")
    assert "Add a client first" in empty

    # Lock, a wrong passphrase, then the right one.
    app.click("lock")
    app.find("unlock-screen")
    unlock(app, "not the passphrase at all")
    assert "not right" in app.text("error")
    assert app.present("unlock-screen")
    app.screenshot("03-unlock-error")
    unlock(app)
    app.find("nav-matters")

    # A client.
    app.click("nav-clients")
    app.click("new-client")
    app.click("client-kind-organization")
    app.type("client-name", "Quillfeather Holdings (fictional)")
    app.type("client-aliases", "QFH, Quill Group")
    app.type("client-email", "office@quillfeather.example")
    app.click("save-client")
    detail = app.find("client-detail")
    wait_for(lambda: "Quillfeather Holdings" in detail.text, what="client detail")
    assert "QFH, Quill Group" in detail.text

    # A matter for it.
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text="Quillfeather Holdings (fictional)")
    app.type("matter-title", "Contract claim against Nobody Ltd")
    app.type("matter-area", "Litigation")
    app.type("matter-lawyer", "B. Counsel")
    app.click("open-matter")
    number = app.text("matter-number-shown")
    assert re.fullmatch(r"\d{4}-0001", number), number
    assert app.text("matter-status").lower() == "open"
    app.type("party-name", "Nobody Ltd")
    app.type("party-role", "defendant")
    app.click("add-party")
    wait_for(lambda: "Nobody Ltd" in app.text("parties"), what="party")
    app.type("note-text", "Claim letter sent")
    app.click("add-note")
    wait_for(lambda: "Claim letter sent" in app.text("timeline"), what="timeline entry")
    app.screenshot("04-matter-detail")

    # Close it: one click only asks, and says what closing starts.
    app.click("close-matter")
    assert "No retention policy applies" in app.text("close-confirm")
    app.click("cancel-close")
    assert app.text("matter-status").lower() == "open"
    app.click("close-matter")
    app.click("confirm-close")
    wait_for(lambda: app.text("matter-status").lower() == "closed", what="closed status")
    assert app.present("reopen-matter")

    # Restart the app: everything is still there, behind the passphrase.
    app.stop()
    app.start()
    app.find("unlock-screen")
    unlock(app)
    rows = wait_for(lambda: app.find_all("matter-row"), what="matter rows")
    assert len(rows) == 1
    assert number in rows[0].text and "closed" in rows[0].text.lower()
    app.screenshot("05-matter-list")
    rows[0].find_element("css selector", "button").click()
    wait_for(lambda: "Nobody Ltd" in app.text("parties"), what="the matter's parties")
    app.click("nav-clients")
    wait_for(lambda: "Quillfeather" in app.text("client-list"), what="client list")
    app.find_all("client-row")[0].find_element("css selector", "button").click()
    app.find("client-detail")
    app.screenshot("06-client-detail")


def test_auto_lock_fires_and_data_commands_are_refused(app):
    create_vault(app)
    app.click("nav-settings")
    app.select("auto-lock", value="15")
    app.click("save-settings")
    assert "saved" in app.text("saved").lower()
    app.screenshot("07-settings")
    # While unlocked, data commands answer.
    assert "ok" in app.invoke("client_list", {"search": None})

    # No activity now: the app locks itself.
    notice = app.find("lock-notice", timeout=60)
    assert "without activity" in notice.text
    app.screenshot("08-auto-locked")
    refused = app.invoke("client_list", {"search": None})
    assert refused.get("err", {}).get("code") == "vault_locked", refused
    refused = app.invoke("matter_list", {"filter": {"status": None, "clientId": None, "practiceArea": None, "search": None, "limit": None, "offset": None}})
    assert refused.get("err", {}).get("code") == "vault_locked", refused


def test_ctrl_l_locks_and_the_recovery_key_opens(app):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    key = create_vault(app)
    ActionChains(app.driver).key_down(Keys.CONTROL).send_keys("l").key_up(Keys.CONTROL).perform()
    app.find("unlock-screen")
    assert app.invoke("client_list", {"search": None}).get("err", {}).get("code") == "vault_locked"

    app.click("use-recovery")
    app.type("recovery-key-input", key.lower())
    app.type("recovery-new-passphrase", "a different passphrase 2026")
    app.type("recovery-confirm-passphrase", "a different passphrase 2026")
    app.click("recover")
    app.find("nav-matters")
    app.click("lock")
    unlock(app, "a different passphrase 2026")
    app.find("nav-matters")


def test_two_vaults_one_instance_and_sleep_locks(app, system_bus):
    import subprocess

    from conftest import APP

    create_vault(app, "Office vault")
    app.click("lock")
    app.click("create-another")
    create_vault(app, "Home office vault", passphrase="second vault passphrase 99")
    app.click("lock")

    # The picker offers both; each opens with its own passphrase.
    app.select("vault-picker", text="Office vault")
    unlock(app)
    app.find("nav-matters")
    assert "Office vault" in app.driver.find_element("css selector", "nav .brand").text

    # A second launch hands over to this window and exits; this one still answers.
    second = subprocess.run([str(APP)], env=app.env(), timeout=60, capture_output=True)
    assert second.returncode == 0, second.stderr
    assert "ok" in app.invoke("client_list", {"search": None})
    assert app.present("nav-matters")

    # logind says the computer is going to sleep: the vault locks.
    subprocess.run(
        ["dbus-send", f"--bus={system_bus}", "--type=signal", "/org/freedesktop/login1",
         "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:true"],
        check=True,
    )
    assert "went to sleep" in app.text("lock-notice")
    assert app.invoke("client_list", {"search": None}).get("err", {}).get("code") == "vault_locked"
