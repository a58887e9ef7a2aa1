"""Settings a password-manager user expects, in the real app: change the
passphrase, check the written-down recovery key, print the emergency kit
again, and verify and export the audit log."""
import json
import re

from conftest import wait_for
from test_app import PASSPHRASE, create_vault, unlock

NEW_PASSPHRASE = "harbour lantern 93 slowly"


def test_passphrase_recovery_key_kit_and_audit_log_from_settings(app):
    key = create_vault(app)
    app.click("nav-settings")

    # The recovery key: a mistyped group is named, the right key opens.
    groups = key.split("-")
    wrong = "-".join(groups[:3] + [groups[4]] + [groups[3]] + groups[5:])
    app.type("recovery-key-check", wrong)
    app.click("recovery-key-check-submit")
    result = wait_for(lambda: app.text("recovery-key-result") or None, what="the recovery key result")
    assert "group" in result.lower(), result
    app.type("recovery-key-check", key.lower())
    app.click("recovery-key-check-submit")
    wait_for(lambda: "opens the vault" in app.text("recovery-key-result"), what="the recovery key accepted")
    assert app.find("recovery-key-check").get_property("value") == "", "the key stayed in the field"

    # The passphrase: the current one is asked again, a mismatch is caught.
    app.type("current-passphrase", "not the passphrase at all")
    app.type("new-passphrase", NEW_PASSPHRASE)
    app.type("new-passphrase-again", NEW_PASSPHRASE)
    app.click("change-passphrase-submit")
    wait_for(lambda: app.present("passphrase-error"), what="the wrong-passphrase error")
    app.type("current-passphrase", PASSPHRASE)
    app.type("new-passphrase", NEW_PASSPHRASE)
    app.type("new-passphrase-again", NEW_PASSPHRASE + "x")
    app.click("change-passphrase-submit")
    assert "differ" in app.text("passphrase-error")
    app.type("new-passphrase-again", NEW_PASSPHRASE)
    app.click("change-passphrase-submit")
    wait_for(lambda: app.present("passphrase-changed"), what="the passphrase changed")
    # Still unlocked, and the data commands work.
    app.click("audit-verify")
    wait_for(lambda: "intact" in app.text("audit-result"), what="the audit log verified")
    app.screenshot("20-settings-vault-keys")

    # The emergency kit: the system's print dialog opens (it offers
    # printing to a PDF file), and the sheet names the vault.
    sheet = app.find("kit-sheet")
    info = app.invoke("app_status")
    vault_id = info["ok"]["vaults"][0]["id"]
    assert vault_id in sheet.get_attribute("textContent")
    app.click("print-kit-again")
    dialogs = wait_for(lambda: app._xdotool("search", "--onlyvisible", "--name", "^Print$").stdout.split(),
                       timeout=20, what="the print dialog")
    app._xdotool("windowfocus", "--sync", dialogs[-1])
    app._xdotool("key", "Escape")
    wait_for(lambda: not app._xdotool("search", "--onlyvisible", "--name", "^Print$").stdout.split(),
             what="the print dialog to close")
    # The kit carries the vault's package-signing public key (#18).
    signing = app.invoke("share_signing_key")["ok"]
    assert signing.startswith("RW"), signing
    assert app.find("kit-signing-key").get_attribute("textContent") == signing

    # Saved as a PDF file instead (no printer needed): one private page.
    kit = app.data_dir / "kit" / "Fictional emergency kit.pdf"
    kit.parent.mkdir()
    app.click("save-kit-pdf")
    app.file_dialog("Save the emergency kit as PDF", kit, save=True)
    wait_for(lambda: app.present("kit-saved"), timeout=60, what="the emergency kit saved")
    assert str(kit) in app.text("kit-saved")
    pdf = kit.read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:], pdf[:32]
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) == 1, f"the kit is one page, not the settings screen: {len(pages)} pages"
    assert oct(kit.stat().st_mode & 0o777) == "0o600"

    # The audit log exported, with the changes above in it, and its name
    # kept out of the desktop's recent files.
    out = app.data_dir / "exports" / "vault-audit.jsonl"
    out.parent.mkdir()
    app.click("audit-export")
    app.file_dialog("Save the audit log", out, save=True)
    wait_for(lambda: "saved" in app.text("audit-saved"), what="the export notice")
    actions = [json.loads(line)["action"] for line in out.read_text().splitlines()]
    assert "passphrase_changed" in actions and "recovery_key_checked" in actions, actions
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    # Text recognition: the installed languages are offered; German added.
    assert app.find("ocr-language-eng").is_selected()
    assert not app.find("ocr-language-deu").is_selected()
    app.click("ocr-language-deu")
    # Scans recognised at once: automatic names this computer's count.
    automatic = app.invoke("settings_get")["ok"]["ocrWorkersAutomatic"]
    assert f"Automatic ({automatic} on this computer)" in app.text("ocr-workers")
    app.select("ocr-workers", "2")
    app.click("save-settings")
    wait_for(lambda: "saved" in app.text("saved"), what="the settings saved")
    settings = app.invoke("settings_get")["ok"]
    assert sorted(settings["ocrLanguages"]) == ["deu", "eng"], settings
    assert settings["ocrWorkers"] == 2, settings

    # The new passphrase unlocks; the old one no longer does.
    app.click("lock")
    app.find("unlock-screen")
    unlock(app, PASSPHRASE)
    assert "not right" in app.text("error")
    unlock(app, NEW_PASSPHRASE)
    app.find("nav-matters")
