"""A change that is saved but not completely tidied up after is shown to
the user until dismissed: here the audit log's record beside the database
(audit-anchor.json) cannot be replaced, so adding a client saves the client
and warns that the record could not be updated."""
import shutil

from conftest import wait_for
from test_app import create_vault


def test_a_change_saved_with_a_warning_shows_the_warning_until_dismissed(app):
    create_vault(app)
    anchors = list((app.data_dir / "data").rglob("audit-anchor.json"))
    assert len(anchors) == 1, anchors
    anchor = anchors[0]
    kept = anchor.read_bytes()
    anchor.unlink()
    anchor.mkdir()
    (anchor / "x").write_bytes(b"x")
    assert not app.present("warnings")

    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", "Wrenfield Trust (fictional)")
    app.click("save-client")
    detail = app.find("client-detail")
    wait_for(lambda: "Wrenfield" in detail.text, what="the client saved")
    wait_for(lambda: app.present("warnings"), what="the warning shown")
    text = app.text("warnings")
    assert "The change was saved" in text, text
    assert "audit log" in text, text
    app.screenshot("warning")
    app.accessibility("warning")

    # It stays until dismissed, across screens.
    app.click("nav-matters")
    assert app.present("warnings")
    app.click("dismiss-warnings")
    wait_for(lambda: not app.present("warnings"), what="the warning dismissed")

    # With the record writable again, the next change warns of nothing.
    shutil.rmtree(anchor)
    anchor.write_bytes(kept)
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", "Quillon Estate (fictional)")
    app.click("save-client")
    detail = app.find("client-detail")
    wait_for(lambda: "Quillon" in detail.text, what="the second client saved")
    assert not app.present("warnings")
