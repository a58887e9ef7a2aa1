"""Returning a client's file and recipients' keys in the real app (#18):
a matter returned as an age package through the system folder picker,
with progress, its passphrase shown once, the return marked in the
matter's and the client's Shares lists and entered in the timeline, the
package opened with the real `age` to the documents and an index whose
SHA-256 values match them; an age key kept with the client, its
fingerprint shown and confirmed, then documents shared to it and opened
with the real `age` and the identity."""
import csv
import hashlib
import io
import subprocess
import zipfile

from conftest import wait_for
from test_app import create_vault
from test_documents import import_file
from test_shares import age_decrypt

CLIENT = "Aurelian Fitzwarren (fictional)"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fingerprint(public_key):
    """The app's fingerprint: the first 64 bits of the key's SHA-256, in four groups."""
    digest = hashlib.sha256(public_key.encode()).hexdigest()[:16].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def click_row(app, testid, text):
    """Clicks the row that says `text` (scrolled into view first: the pane
    may keep the scroll of the previous screen)."""
    row = wait_for(lambda: next((r for r in app.find_all(testid) if text in r.text), None),
                   what=f"the row of {text}")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    row.find_element("css selector", "button").click()


def test_return_a_matter_then_share_to_a_confirmed_key(app, tmp_path):
    create_vault(app)
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", CLIENT)
    app.type("client-phone", "+1 555 0142")
    app.click("save-client")
    app.find("client-detail")
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text=CLIENT)
    app.type("matter-title", "Fitzwarren lease")
    app.click("open-matter")
    app.find("documents")
    sources = {}
    for name, body in [("lease.txt", b"The lease of the fictional Fitzwarren mill.\n"),
                       ("plan.pdf", b"%PDF-1.4 a fictional plan\n" * 40)]:
        path = tmp_path / name
        path.write_bytes(body)
        sources[name] = body
        import_file(app, path)
    wait_for(lambda: len(app.find_all("document-select")) == 2, what="two documents")

    # Return the matter: the dialog, the folder, the passphrase once.
    app.click("return-matter")
    app.find("return-dialog")
    app.screenshot("29-return-file")
    out = app.data_dir / "returned"
    out.mkdir()
    app.click("return-write")
    app.file_dialog("Choose the folder for the returned file", out)
    app.find("return-done", timeout=60)
    passphrase = app.text("share-passphrase")
    assert len(passphrase.split("-")) == 8, passphrase
    assert "+1 555 0142" in app.text("share-contact")
    app.screenshot("returns-02-done")
    packages = list(out.iterdir())
    assert len(packages) == 1 and packages[0].name.endswith(".zip.age"), packages

    # Marked as a return in the matter's Shares; in the timeline.
    row = wait_for(lambda: next((r for r in app.find_all("share-row")
                                 if r.get_attribute("data-returned") == "true"), None),
                   what="the return in the Shares list")
    assert row.get_attribute("data-documents") == "2"
    wait_for(lambda: "File returned to" in app.text("timeline"), what="the return in the timeline")
    assert CLIENT in app.text("timeline")
    app.click("share-close")
    wait_for(lambda: not app.present("share-passphrase"), what="the passphrase to go")
    app.driver.execute_script("arguments[0].scrollIntoView()", app.find("timeline"))
    app.screenshot("returns-03-timeline")

    # The package opens with the real age: the documents and their index.
    inner = tmp_path / "inner.zip"
    assert age_decrypt(packages[0], inner, passphrase)
    with zipfile.ZipFile(inner) as z:
        for name, body in sources.items():
            assert sha256(z.read(f"documents/{name}")) == sha256(body)
        rows = list(csv.DictReader(io.StringIO(z.read("INDEX.csv").decode())))
        assert {r["File"]: r["SHA-256"] for r in rows} == {
            f"documents/{n}": sha256(b) for n, b in sources.items()}
        assert {"INDEX.html", "PARTIES.csv", "TIMELINE.csv", "MANIFEST.txt.minisig"} <= set(z.namelist())

    # The client: an age key kept, its fingerprint confirmed; the client's
    # Shares list shows the return.
    identity = tmp_path / "key.txt"
    keygen = subprocess.run(["age-keygen", "-o", str(identity)], capture_output=True, text=True,
                            timeout=60, check=True)
    public = next(line.split(": ", 1)[1] for line in keygen.stderr.splitlines()
                  if line.startswith("Public key: "))
    app.click("nav-clients")
    click_row(app, "client-row", CLIENT)
    wait_for(lambda: app.find("recipient-keys").get_attribute("data-loaded") == "true", what="the keys")
    assert app.present("key-none")
    wait_for(lambda: any(r.get_attribute("data-returned") == "true" for r in app.find_all("share-row")),
             what="the return in the client's Shares")
    app.type("key-input", public)
    app.click("key-save")
    shown = wait_for(lambda: app.present("key-fingerprint") and app.text("key-fingerprint"),
                     what="the key's fingerprint")
    assert shown == fingerprint(public)
    assert app.find("key-current").get_attribute("data-confirmed") == "false"
    app.type("key-read-back", "0000-0000-0000-0000")
    app.click("key-confirm")
    wait_for(lambda: app.present("key-error"), what="a wrong fingerprint refused")
    assert app.find("key-current").get_attribute("data-confirmed") == "false"
    app.type("key-read-back", shown.lower())
    app.click("key-confirm")
    wait_for(lambda: app.present("key-confirmed"), what="the key confirmed")
    app.driver.execute_script("arguments[0].scrollIntoView()", app.find("recipient-keys"))
    app.screenshot("returns-04-client-key")

    # Share both documents to the kept key: no passphrase, its fingerprint.
    app.click("nav-matters")
    click_row(app, "matter-row", "Fitzwarren lease")
    wait_for(lambda: len(app.find_all("document-select")) == 2, what="the documents")
    for box in app.find_all("document-select"):
        box.click()
    app.click("share-documents")
    app.find("share-dialog")
    app.select("share-passphrase-kind", value="kept")
    shared = app.data_dir / "shared"
    shared.mkdir()
    app.click("share-write")
    app.file_dialog("Choose the folder for the package", shared)
    app.find("share-done", timeout=60)
    assert shown in app.text("share-fingerprint")
    assert not app.present("share-passphrase")
    app.screenshot("returns-05-shared-to-key")
    package = next(shared.iterdir())
    opened = tmp_path / "to-key.zip"
    done = subprocess.run(["age", "-d", "-i", str(identity), "-o", str(opened), str(package)],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(opened) as z:
        for name, body in sources.items():
            assert sha256(z.read(f"documents/{name}")) == sha256(body)


def add_client(app, client):
    app.click("nav-clients")
    app.click("new-client")
    app.type("client-name", client)
    app.click("save-client")
    app.find("client-detail")


def open_matter(app, client, title):
    app.click("nav-matters")
    app.click("new-matter")
    app.select("matter-client", text=client)
    app.type("matter-title", title)
    app.click("open-matter")
    app.find("documents")


def test_share_ticked_search_hits_of_one_client(app, tmp_path):
    create_vault(app)
    other = "Benedikta Quarrell (fictional)"
    add_client(app, CLIENT)
    add_client(app, other)
    sources = {}
    for client, title, name in [(CLIENT, "Fitzwarren lease", "lease.txt"),
                                (CLIENT, "Fitzwarren mill", "mill.txt"),
                                (other, "Quarrell estate", "estate.txt")]:
        open_matter(app, client, title)
        body = f"The {name} mentions the millrace covenant (fictional).\n".encode()
        path = tmp_path / name
        path.write_bytes(body)
        sources[name] = body
        import_file(app, path)

    app.click("nav-search")
    app.type("search-text", "millrace")
    app.click("search-go")
    wait_for(lambda: len(app.find_all("search-hit")) == 3, what="three hits")
    assert not app.find("share-hits").is_enabled()
    hits = {next(n for n in sources if n in h.text): h for h in app.find_all("search-hit")}
    hits["lease.txt"].find_element("css selector", '[data-testid="hit-select"]').click()
    # Another client's hit cannot join; the same client's other matter can.
    wait_for(lambda: not hits["estate.txt"].find_element(
        "css selector", '[data-testid="hit-select"]').is_enabled(), what="the other client's hit disabled")
    hits["mill.txt"].find_element("css selector", '[data-testid="hit-select"]').click()
    wait_for(lambda: app.text("share-hits").startswith("Share 2"), what="two hits ticked")
    app.click("share-hits")
    app.find("share-dialog")
    app.screenshot("returns-06-search-share")
    out = app.data_dir / "from-search"
    out.mkdir()
    app.click("share-write")
    app.file_dialog("Choose the folder for the package", out)
    app.find("share-done", timeout=60)
    passphrase = app.text("share-passphrase")
    package = next(out.iterdir())
    inner = tmp_path / "inner.zip"
    assert age_decrypt(package, inner, passphrase)
    with zipfile.ZipFile(inner) as z:
        names = {n for n in z.namelist() if n.startswith("documents/")}
        assert names == {"documents/lease.txt", "documents/mill.txt"}, names
        for name in ("lease.txt", "mill.txt"):
            assert sha256(z.read(f"documents/{name}")) == sha256(sources[name])
    app.click("share-close")
    wait_for(lambda: not app.present("share-passphrase"), what="the passphrase to go")


def test_documents_shared_to_a_partys_kept_key(app, tmp_path):
    """Opposing counsel's age key, kept on the matter's party and confirmed,
    is offered when sharing from that matter; the package opens with the
    party's identity."""
    create_vault(app)
    add_client(app, CLIENT)
    open_matter(app, CLIENT, "Fitzwarren boundary dispute")
    counsel = "Quillfeather & Dunmore LLP (fictional)"
    app.type("party-name", counsel)
    app.type("party-role", "counsel for the neighbour")
    app.click("add-party")
    wait_for(lambda: counsel in app.text("parties"), what="the party")
    identity = tmp_path / "counsel.txt"
    keygen = subprocess.run(["age-keygen", "-o", str(identity)], capture_output=True, text=True,
                            timeout=60, check=True)
    public = next(line.split(": ", 1)[1] for line in keygen.stderr.splitlines()
                  if line.startswith("Public key: "))
    app.click("party-keys")
    wait_for(lambda: app.find("recipient-keys").get_attribute("data-loaded") == "true", what="the keys")
    app.type("key-input", public)
    app.click("key-save")
    shown = wait_for(lambda: app.present("key-fingerprint") and app.text("key-fingerprint"),
                     what="the key's fingerprint")
    assert shown == fingerprint(public)
    app.type("key-read-back", shown)
    app.click("key-confirm")
    wait_for(lambda: app.present("key-confirmed"), what="the key confirmed")

    body = b"Survey of the boundary wall, sent to counsel (fictional).\n"
    source = tmp_path / "survey.txt"
    source.write_bytes(body)
    import_file(app, source)
    wait_for(lambda: len(app.find_all("document-select")) == 1, what="the document")
    app.find("document-select").click()
    app.click("share-documents")
    app.find("share-dialog")
    # The party's key is offered by name, once it is loaded.
    option = wait_for(lambda: next((o for o in app.find("share-passphrase-kind").find_elements("css selector", "option")
                                    if counsel in o.text), None), what="the party's key offered")
    app.select("share-passphrase-kind", value=option.get_attribute("value"))
    shared = app.data_dir / "shared"
    shared.mkdir()
    app.click("share-write")
    app.file_dialog("Choose the folder for the package", shared)
    app.find("share-done", timeout=60)
    assert shown in app.text("share-fingerprint")
    assert not app.present("share-passphrase")
    row = wait_for(lambda: app.find_all("share-row") or None, what="the share in the list")[0]
    assert counsel in row.text, row.text
    package = next(shared.iterdir())
    opened = tmp_path / "to-counsel.zip"
    done = subprocess.run(["age", "-d", "-i", str(identity), "-o", str(opened), str(package)],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(opened) as z:
        assert sha256(z.read("documents/survey.txt")) == sha256(body)
