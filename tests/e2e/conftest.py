"""End-to-end harness: the real Matterbox binary in a real WebKitGTK
WebView, driven by tauri-driver + WebKitWebDriver under a private Xvfb.

Each test gets a fresh data folder. The Secret Service comes from the test
command (scripts/with-secret-service.sh); without it these tests fail
rather than skip.

Nothing here waits without a bound: the X server is checked before and
after each test and whenever a test polls; every WebDriver request (the
session request included) and tauri-driver's start have timeouts; and
pytest-timeout bounds each whole test (pytest.ini). A test that fails or
times out shows tauri-driver's log, which holds the app's output, and the
X server's log if it died. Child processes write to files, never to
pytest's stdout: an orphan holding that pipe would keep the `tee` in
scripts/test.sh waiting forever.
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import urllib3
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.client_config import ClientConfig

ROOT = Path(__file__).resolve().parents[2]
APP = Path(os.environ.get("MATTERBOX_APP", ROOT / "target" / "debug" / "matterbox-desktop"))
# axe-core, the accessibility checker, from the UI's npm packages.
AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"

# Upper bounds in seconds. A session normally starts in about 2 s and a
# command answers in milliseconds: these only turn a hang into a failure.
X_SERVER_START_TIMEOUT = 30
TAURI_DRIVER_START_TIMEOUT = 30
# One HTTP request to tauri-driver, the session request included. Longer
# than the script and page-load timeouts, so those report first.
WEBDRIVER_REQUEST_TIMEOUT = 60
SCRIPT_TIMEOUT = 30
PAGE_LOAD_TIMEOUT = 30


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_log(path):
    try:
        return Path(path).read_text(errors="replace") or "(empty)"
    except FileNotFoundError:
        return "(no log was written)"


class XServer:
    """A private Xvfb and its log file."""

    def __init__(self, process, display, log_path):
        self.process = process
        self.display = display
        self.log_path = Path(log_path)

    def alive(self):
        return self.process.poll() is None

    def log(self):
        return _read_log(self.log_path)

    def check(self):
        """Fails the running test at once, with Xvfb's log, if Xvfb has exited."""
        if not self.alive():
            pytest.fail(
                f"the X server {self.display} has died (exit code {self.process.returncode}); "
                f"no app can run without it. Xvfb's log: {self.log_path}",
                pytrace=False,
            )

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()


def start_x_server(log_path, timeout=X_SERVER_START_TIMEOUT):
    """Starts Xvfb on a free display and returns it.

    Xvfb reports its display number on a pipe (`-displayfd`) in two writes:
    the number, then a newline. The pipe is read up to the newline before it
    is closed; closing it after the digits alone makes the second write fail,
    and Xvfb exits with "Cannot write display number to fd N"."""
    read, write = os.pipe()
    try:
        with open(log_path, "ab") as log:
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                pass_fds=(write,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
    finally:
        os.close(write)
    server = XServer(xvfb, None, log_path)
    try:
        received = b""
        deadline = time.monotonic() + timeout
        while not received.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"Xvfb gave no display number within {timeout} s. Its log:\n{server.log()}")
            if not select.select([read], [], [], left)[0]:
                continue
            chunk = os.read(read, 64)
            if not chunk:
                xvfb.wait(timeout=10)
                raise AssertionError(
                    f"Xvfb exited (code {xvfb.returncode}) without a display number. Its log:\n{server.log()}"
                )
            received += chunk
    except BaseException:
        server.stop()
        raise
    finally:
        os.close(read)
    server.display = f":{received.decode().strip()}"
    return server


def webdriver_client_config(url, timeout):
    """Selenium's HTTP settings: each request to the driver gives up after
    `timeout` seconds. urllib3 would send a GET or DELETE that got no answer
    three more times (four times the wait); here it is not repeated."""
    no_read_retries = {"retries": urllib3.Retry(total=3, read=0)}
    return ClientConfig(remote_server_addr=url, timeout=timeout,
                        init_args_for_pool_manager={"init_args_for_pool_manager": no_read_retries})


# The session's X server once it runs; `wait_for` checks it while polling.
_x_server = None


def check_x_server():
    """Fails the running test at once if the session's X server has died."""
    if _x_server is not None:
        _x_server.check()


def wait_for(predicate, timeout=20.0, interval=0.1, what="condition", check_x=True):
    """Polls until predicate() is truthy; returns its value. No fixed sleeps.
    Fails at once if the X server dies meanwhile (unless `check_x` is off,
    as when cleaning up)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if check_x:
            check_x_server()
        try:
            value = predicate()
            if value:
                return value
        except WebDriverException as e:  # element not there yet
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}: {last_error}")


@pytest.fixture(scope="session")
def x_server(tmp_path_factory):
    global _x_server
    server = start_x_server(tmp_path_factory.mktemp("xvfb") / "xvfb.log")
    _x_server = server
    yield server
    _x_server = None
    server.stop()


@pytest.fixture(scope="session")
def display(x_server):
    assert os.environ.get("MATTERBOX_TEST_SECRET_SERVICE"), (
        "the end-to-end tests need the private Secret Service that ./scripts/test.sh starts"
    )
    assert APP.exists(), f"{APP} is missing: build it with cargo build -p matterbox-desktop"
    assert shutil.which("tauri-driver"), "tauri-driver is missing: ./scripts/setup.sh --test installs it"
    assert shutil.which("WebKitWebDriver"), "WebKitWebDriver is missing (Debian webkit2gtk-driver)"
    return x_server.display


@pytest.fixture(autouse=True)
def _x_server_alive(request):
    """Before and after each test on the display: the X server still runs."""
    if "display" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("x_server")
    server.check()
    yield
    server.check()


def live_processes_marked(mark):
    """(pid, command line) of every live process whose environment holds
    `mark` ("NAME=value"). Zombies are left out: they hold nothing, and in a
    container whose first process does not reap them they never go away."""
    wanted = mark.encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
            if state in (b"Z", b"X"):
                continue
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                if wanted not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue  # gone meanwhile, or not ours to read
        found.append((int(entry.name), command))
    return found


def live_processes_in_group(group):
    """(pid, command line) of every live process in process group `group`
    (zombies left out, as above)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if fields[0] in (b"Z", b"X") or int(fields[2]) != group:
                continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
        found.append((int(entry.name), command))
    return found


class App:
    """One data folder; `start()` launches the app on it (again after `stop()`)."""

    def __init__(self, display, data_dir, extra_env=None, request_timeout=WEBDRIVER_REQUEST_TIMEOUT,
                 application=APP, cwd=None, wrapper=()):
        self.display = display
        self.application = application
        # The working folder of tauri-driver, and so of the app it starts;
        # `wrapper` runs tauri-driver (and so the app) under a command such
        # as `sh -c 'ulimit -c unlimited && exec "$@"' sh`.
        self.cwd = cwd
        self.wrapper = list(wrapper)
        self.data_dir = data_dir
        self.extra_env = extra_env or {}
        # Marks every process this App launches (tauri-driver, WebKitWebDriver
        # and the app inherit it), so `stop()` waits for exactly those.
        self.launch_mark = f"MATTERBOX_TEST_LAUNCH={uuid.uuid4().hex}"
        self.request_timeout = request_timeout
        self.driver = None
        self.tauri_driver = None
        self._group = None
        # tauri-driver's output; WebKitWebDriver and the app write there too.
        self.log_path = data_dir / "tauri-driver.log"
        self._kept_log = None
        # The app's private runtime folder (where opened copies go).
        self.runtime_dir = data_dir / "runtime"
        self.runtime_dir.mkdir(mode=0o700, exist_ok=True)

    def env(self):
        """The environment the app runs with (for launching it a second time)."""
        env = dict(os.environ)
        env.update(
            DISPLAY=self.display,
            NO_AT_BRIDGE="1",
            XDG_DATA_HOME=str(self.data_dir / "data"),
            XDG_CONFIG_HOME=str(self.data_dir / "config"),
            XDG_CACHE_HOME=str(self.data_dir / "cache"),
            XDG_RUNTIME_DIR=str(self.runtime_dir),
        )
        env.update(self.extra_env)
        name, value = self.launch_mark.split("=", 1)
        env[name] = value
        return env

    def running_processes(self):
        """Live processes (zombies aside) this App launched: found by the mark
        in their environment, never by a command line another program could
        share."""
        found = dict(live_processes_marked(self.launch_mark))
        # The app marks itself non-dumpable, and then its environment is
        # readable only by root: for a normal user it is found by the
        # process group tauri-driver leads instead.
        if self._group is not None:
            found.update(live_processes_in_group(self._group))
        return sorted(found.items())

    def app_pid(self):
        """The pid of the running app (not tauri-driver, WebKitWebDriver or
        the WebView's processes), or None. By its command line, which stays
        readable when the app is not dumpable (its environment does not)."""
        for pid, command in self.running_processes():
            if command.split(" ", 1)[0] == str(self.application):
                return pid
        return None

    def log(self):
        return self._kept_log if self._kept_log is not None else _read_log(self.log_path)

    def keep_log(self):
        """Keeps the log in memory, for a report made after the data folder is gone."""
        self._kept_log = _read_log(self.log_path)

    def start(self, attempts=3):
        """Launches the app. WebKitWebDriver occasionally drops the very first
        session request while the WebView process starts; that is retried
        with a fresh driver, and the last failure is raised. A dead X server
        is not retried."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once()
            except Exception:  # noqa: BLE001 - re-raised on the last attempt
                self._stop_driver()
                check_x_server()
                if attempt == attempts:
                    raise
        return self

    def _start_once(self):
        port, native_port = _free_port(), _free_port()
        env = self.env()
        with open(self.log_path, "ab") as log:
            self.tauri_driver = subprocess.Popen(
                [*self.wrapper, "tauri-driver", "--port", str(port), "--native-port", str(native_port)],
                env=env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._group = self.tauri_driver.pid
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(self.application)})

        def listening():
            if self.tauri_driver.poll() is not None:
                raise AssertionError(f"tauri-driver exited with code {self.tauri_driver.returncode}")
            for p in (port, native_port):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", p)) != 0:
                        return False
            return True

        # tauri-driver answers a request that comes before WebKitWebDriver
        # (which it starts) listens by closing the connection: wait for both.
        wait_for(listening, timeout=TAURI_DRIVER_START_TIMEOUT, interval=0.1,
                 what="tauri-driver and WebKitWebDriver to listen")
        url = f"http://127.0.0.1:{port}"
        try:
            self.driver = webdriver.Remote(command_executor=url, options=options,
                                           client_config=webdriver_client_config(url, self.request_timeout))
        except Exception as e:  # noqa: BLE001 - said plainly, with where to look
            raise AssertionError(
                f"no WebDriver session within {self.request_timeout} s; did the app start? "
                f"Its output is in {self.log_path}. ({type(e).__name__}: {e})"
            ) from e
        self.driver.set_script_timeout(SCRIPT_TIMEOUT)
        self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        return self

    def _stop_driver(self):
        if self.driver:
            try:
                self.driver.quit()
            except Exception:  # noqa: BLE001 - gone or hung; its process group is killed next
                pass
            self.driver = None
        if self.tauri_driver:
            # Its process group holds WebKitWebDriver and the app.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.tauri_driver.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    self.tauri_driver.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    pass
            self.tauri_driver = None
        # The app must be gone before the next launch, or the single-instance
        # guard would hand the new launch to it.
        # Anything it launched that left the group (a new session, say) is
        # still marked, and ends here too.
        def app_gone():
            remaining = self.running_processes()
            for pid, _ in remaining:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return not remaining

        try:
            wait_for(app_gone, timeout=15, what="the app to exit", check_x=False)
        except AssertionError as e:
            raise AssertionError(f"{e}; still running: {self.running_processes()}") from None

    def stop(self):
        self._stop_driver()

    # --- helpers -----------------------------------------------------------

    def find(self, testid, timeout=20.0):
        try:
            return wait_for(lambda: self.driver.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]'),
                            timeout=timeout, what=testid)
        except AssertionError as e:
            page = self.driver.find_element(By.TAG_NAME, "body").text
            raise AssertionError(f"{e}\n--- the page shows ---\n{page}") from None

    def find_all(self, testid):
        return self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def present(self, testid):
        return len(self.find_all(testid)) > 0

    def type(self, testid, text):
        """Fills a field the way the page sees typing: the value changes and an
        `input` event fires. (WebKitWebDriver's synthetic keystrokes sometimes
        land in the previously focused field, so text is set directly; real
        key presses are still used for shortcuts such as Ctrl+L.)"""
        el = self.find(testid)
        self.driver.execute_script(
            """
            const [el, text] = arguments;
            el.focus();
            const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
            Object.getOwnPropertyDescriptor(proto, "value").set.call(el, text);
            el.dispatchEvent(new Event("input", { bubbles: true }));
            el.dispatchEvent(new Event("change", { bubbles: true }));
            """,
            el,
            text,
        )
        assert el.get_property("value") == text
        return el

    def click(self, testid):
        el = self.find(testid)
        wait_for(lambda: el.is_enabled(), what=f"{testid} enabled")
        el.click()

    def select(self, testid, value=None, text=None):
        from selenium.webdriver.support.ui import Select

        s = Select(self.find(testid))
        if value is not None:
            s.select_by_value(value)
        else:
            s.select_by_visible_text(text)

    def text(self, testid):
        return self.find(testid).text

    def invoke(self, command, args=None):
        """Calls a backend command the way the UI does, returning {ok} or {err}."""
        return self.driver.execute_async_script(
            """
            const [cmd, args, done] = arguments;
            window.__TAURI_INTERNALS__.invoke(cmd, args || {})
              .then((ok) => done({ ok }), (err) => done({ err }));
            """,
            command,
            args or {},
        )

    def _xdotool(self, *args):
        env = dict(os.environ, DISPLAY=self.display)
        return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, check=False)

    def file_dialog(self, title, path, save=False):
        """Answers the native GTK file dialog titled `title` with `path`, the
        way a user types a location. GTK completes paths inline as they are
        typed, so the path is typed without its leading slash (nothing to
        complete against) and the slash is added at the start afterwards."""
        def open_dialogs():
            return self._xdotool("search", "--onlyvisible", "--name", title).stdout.split()

        windows = wait_for(open_dialogs, timeout=20, what=f"the {title!r} dialog")
        # A slow machine can take keys before the field they are meant for
        # has focus; then the dialog stays open and the path is typed again.
        for attempt in range(3):
            self._xdotool("windowfocus", "--sync", windows[-1])
            time.sleep(0.5)
            # Save dialogs focus the name field (pre-filled); open dialogs
            # need Ctrl+L. Ctrl+A then selects whatever the field holds.
            if not save:
                self._xdotool("key", "ctrl+l")
                time.sleep(0.3)
            self._xdotool("key", "ctrl+a")
            time.sleep(0.3)
            self._xdotool("type", "--delay", "15", str(path)[1:])
            time.sleep(0.3)
            self._xdotool("key", "Home", "slash")
            time.sleep(0.3)
            self._xdotool("key", "Return")
            try:
                wait_for(lambda: not open_dialogs(), timeout=8 if attempt < 2 else 20,
                         what=f"the {title!r} dialog to close")
                return
            except AssertionError:
                windows = open_dialogs() or windows
                if attempt == 2:
                    raise

    def drop_files(self, paths, onto=(500, 350)):
        """Drags `paths` from a file-manager-like window onto the app at
        `onto` (screen pixels), as a user drops files from a file manager."""
        x, y = 1020, 640
        env = dict(os.environ, DISPLAY=self.display, NO_AT_BRIDGE="1")
        source = subprocess.Popen(["/usr/bin/python3", str(Path(__file__).parent / "drag_source.py"),
                                   str(x), str(y), *map(str, paths)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: self._xdotool("search", "--onlyvisible", "--name", "matterbox-drag-source").stdout.split(),
                     timeout=20, what="the drag source window")
            time.sleep(0.5)
            start = (x + 80, y + 45)
            self._xdotool("mousemove", "--sync", *map(str, start))
            self._xdotool("mousedown", "1")
            # Past GTK's drag threshold, then over the app in steps (XDND
            # sends positions as the pointer moves), then release.
            steps = 12
            for i in range(1, steps + 1):
                px = start[0] + (onto[0] - start[0]) * i // steps
                py = start[1] + (onto[1] - start[1]) * i // steps
                self._xdotool("mousemove", "--sync", str(px), str(py))
                time.sleep(0.05)
            time.sleep(0.3)
            self._xdotool("mouseup", "1")
            # The source quits when the drop has finished (it has handed
            # over the files); ending it earlier could empty the drop.
            source.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if source.poll() is None:
                source.terminate()
                source.wait()

    def accessibility(self, screen):
        """Runs axe-core (the npm package, injected through WebDriver) on the
        page as it is and fails on any serious or critical violation (and on
        headings that skip a level), naming the rule, the elements and
        `screen`."""
        source = AXE.read_text()
        violations = self.driver.execute_async_script(
            source + """
            ;const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then((r) => done(r.violations
                  .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "heading-order")
                  .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }))),
                    (e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));
            """
        )
        assert not violations, f"accessibility violations on {screen}:\n" + "\n".join(
            f"  {v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in violations)
        return screen

    def screenshot(self, name):
        folder = os.environ.get("MATTERBOX_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            # Let the page paint what the test just did before capturing it.
            self.driver.execute_async_script(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()))"
            )
            self.driver.save_screenshot(str(Path(folder) / f"{name}.png"))


@pytest.fixture
def system_bus():
    """A private bus standing in for the system bus, where the test plays logind."""
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    address = bus.stdout.readline().decode().strip()
    yield address
    bus.terminate()
    bus.wait()


@pytest.fixture
def opener():
    """A folder where the stand-in "open with" application leaves what it opened."""
    folder = Path(tempfile.mkdtemp(prefix="matterbox-opened-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def paced_work():
    """Milliseconds a MB that the app (a test-support build) waits on every
    watched write — exports, the doctor's checks — so that a progress bar
    can be seen and cancelled on a file of reasonable size."""
    return 50


# The apps a test started, for the report of a failure.
APPS = pytest.StashKey[list]()


@pytest.fixture
def app(display, request):
    data_dir = Path(tempfile.mkdtemp(prefix="matterbox-e2e-"))
    extra = {}
    if "opener" in request.fixturenames:
        extra["MATTERBOX_OPEN_WITH"] = str(Path(__file__).parent / "record-open.sh")
        extra["MATTERBOX_OPENED_DIR"] = str(request.getfixturevalue("opener"))
    if "system_bus" in request.fixturenames:
        extra["DBUS_SYSTEM_BUS_ADDRESS"] = request.getfixturevalue("system_bus")
    if "paced_work" in request.fixturenames:
        extra["MATTERBOX_DANGER_TEST_WORK_PACE"] = str(request.getfixturevalue("paced_work"))
    a = App(display, data_dir, extra)
    request.node.stash[APPS] = [*request.node.stash.get(APPS, []), a]
    try:
        a.start()
        yield a
    finally:
        # Also after a failed or timed-out start: no driver or app outlives its test.
        try:
            a.stop()
        finally:
            a.keep_log()
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed or timed-out test shows what the app and the X server said."""
    report = yield
    if report.failed:
        for a in item.stash.get(APPS, []):
            report.sections.append((f"tauri-driver and app output ({a.log_path})", a.log()))
        if _x_server is not None and not _x_server.alive():
            report.sections.append((f"Xvfb log ({_x_server.log_path})", _x_server.log()))
    return report
