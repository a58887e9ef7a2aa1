"""Desktop figures for the README and the issue notes, each beside its
reference from the same launch:

- cold start of the release build to an interactive unlock screen, beside
  the time until the WebView has loaded any document at all;
- cold start to an unlocked matter list (20 matters), beside the same
  vault unlocked and listed by the CLI (Argon2id + keychain + database);
- the UI bundle size, beside the release binary;
- resident memory of the idle, unlocked app: the app process beside its
  WebKit helper processes.

Run with scripts/bench-desktop.sh (release build, private Secret Service, Xvfb).
"""
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from conftest import App, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "target" / "release" / "matterbox"
PASS = "benchmark passphrase 2026"
RUNS = 5


def ms(seconds):
    return f"{seconds * 1000:8.0f} ms"


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    found = [int(p) for p in out]
    for c in list(found):
        found += children(c)
    return found


def prepare_vault(data_dir):
    env = dict(os.environ, XDG_DATA_HOME=str(data_dir / "data"), MATTERBOX_PASSPHRASE=PASS)
    run = lambda *args: subprocess.run([str(CLI), *args], env=env, check=True, capture_output=True)  # noqa: E731
    run("vault", "create", "--name", "Bench practice")
    run("client", "add", "--name", "Fictional Client Ltd")
    for i in range(20):
        run("matter", "open", "--client", "1", "--title", f"Fictional matter {i}")
    started = time.monotonic()
    run("matter", "list")
    return env, time.monotonic() - started


def main():
    display_proc, display = start_xvfb()
    try:
        loaded, interactive, unlocked, cli = [], [], [], []
        data_dir = Path(tempfile.mkdtemp(prefix="matterbox-bench-"))
        env, _ = prepare_vault(data_dir)
        for _ in range(RUNS):
            app = App(display, data_dir)
            t0 = time.monotonic()
            app.start()
            wait_for(lambda: app.driver.execute_script("return document.readyState") == "complete")
            loaded.append(time.monotonic() - t0)
            app.find("passphrase", timeout=60)
            wait_for(lambda: app.find("passphrase").is_enabled())
            interactive.append(time.monotonic() - t0)
            app.type("passphrase", PASS)
            app.click("unlock")
            wait_for(lambda: len(app.find_all("matter-row")) == 20, timeout=60)
            unlocked.append(time.monotonic() - t0)
            app.stop()
            started = time.monotonic()
            subprocess.run([str(CLI), "matter", "list"], env=env, check=True, capture_output=True)
            cli.append(time.monotonic() - started)

        print(f"== Cold start, release build, median of {RUNS}")
        print(f"interactive unlock screen      {ms(statistics.median(interactive))}   | WebView has loaded a document    {ms(statistics.median(loaded))}")
        print(f"unlocked matter list (20)      {ms(statistics.median(unlocked))}   | CLI unlock + matter list          {ms(statistics.median(cli))}")
        print("  (the GUI figures include typing the passphrase over WebDriver)")

        dist = ROOT / "ui" / "dist"
        files = [p for p in dist.rglob("*") if p.is_file()]
        raw = sum(p.stat().st_size for p in files)
        gz = sum(len(gzip.compress(p.read_bytes())) for p in files)
        binary = (ROOT / "target" / "release" / "matterbox-desktop").stat().st_size
        print("\n== Size")
        print(f"UI bundle (ui/dist)            {raw / 1024:8.0f} KiB ({gz / 1024:.0f} KiB gzipped) | release binary, UI embedded     {binary / 1048576:8.1f} MiB")

        app = App(display, data_dir)
        app.start()
        app.type("passphrase", PASS)
        app.click("unlock")
        wait_for(lambda: len(app.find_all("matter-row")) == 20, timeout=60)
        pid = int(subprocess.run(["pgrep", "-f", "-n", str(ROOT / "target" / "release" / "matterbox-desktop")],
                                 capture_output=True, text=True, check=True).stdout.split()[0])
        time.sleep(5)  # idle on purpose: this measures an app at rest
        own = rss_kib(pid)
        helpers = sum(rss_kib(c) for c in children(pid))
        app.stop()
        print("\n== Resident memory, unlocked and idle")
        print(f"app process                    {own / 1024:8.0f} MiB   | WebKit helper processes          {helpers / 1024:8.0f} MiB   (total {(own + helpers) / 1024:.0f} MiB)")
    finally:
        display_proc.terminate()


def start_xvfb():
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    number = os.read(read, 16).decode().strip()
    os.close(read)
    return proc, f":{number}"


if __name__ == "__main__":
    main()
