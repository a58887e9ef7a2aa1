"""The harness itself: the end-to-end suite must fail fast, never hang.

In CI the suite once hung until the time limit: the harness closed Xvfb's
`-displayfd` pipe after the digits, before the newline, so Xvfb died with
"Cannot write display number to fd N"; the app then could not open the
display ("Failed to initialize GTK") and the WebDriver session request
waited forever. These tests recreate each link of that chain.
"""
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

import conftest
from conftest import APP, App, start_x_server, wait_for, webdriver_client_config

# These tests must not hang the suite either; none needs more than a minute.
pytestmark = pytest.mark.timeout(120)


def _client_sees(display):
    """An X client's round trip; it succeeds only once Xvfb serves clients."""
    env = dict(os.environ, DISPLAY=display)
    run = subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True, text=True, timeout=30)
    return run.stdout.split(), run.stderr


def test_the_x_server_survives_its_start_on_a_busy_cpu(tmp_path):
    # On one CPU the reader wakes as soon as the digits arrive, before Xvfb
    # writes the newline. Started this way, a harness that closed the pipe
    # after one read lost Xvfb in 19 of 20 starts.
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(saved)})  # Xvfb inherits it
    try:
        for i in range(10):
            server = start_x_server(tmp_path / f"xvfb-{i}.log")
            try:
                assert _client_sees(server.display)[0] == ["1280", "800"], server.log()
                assert server.alive(), server.log()
            finally:
                server.stop()
    finally:
        os.sched_setaffinity(0, saved)


def test_a_dead_x_server_fails_the_test_at_once_with_its_log(tmp_path, monkeypatch):
    server = start_x_server(tmp_path / "xvfb.log")
    monkeypatch.setattr(conftest, "_x_server", server)
    server.process.kill()
    server.process.wait()
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=f"the X server {server.display} has died") as failure:
        wait_for(lambda: False, timeout=60, what="something that never comes")
    assert time.monotonic() - started < 5
    assert str(server.log_path) in str(failure.value)


def _session_fails_in_time(app, attempts, request_timeout):
    started = time.monotonic()
    try:
        with pytest.raises(AssertionError, match=f"no WebDriver session within {request_timeout} s"):
            app.start(attempts=attempts)
    finally:
        app.stop()
    elapsed = time.monotonic() - started
    # Per attempt: tauri-driver listens within a second or two, then the
    # session request gives up after `request_timeout`.
    assert elapsed < attempts * (request_timeout + 10), f"took {elapsed:.0f} s"


def test_the_app_on_a_dead_display_fails_the_session_in_time_and_says_why(tmp_path):
    # What CI saw: Xvfb was gone, the app could not open the display, and
    # the session request waited forever. Here every retry is bounded too.
    dead = start_x_server(tmp_path / "xvfb.log")
    dead.stop()
    app = App(dead.display, tmp_path, request_timeout=3)
    _session_fails_in_time(app, attempts=3, request_timeout=3)
    assert "Failed to initialize GTK" in app.log()


def test_a_program_that_exits_at_once_fails_the_session_in_time(tmp_path):
    x = start_x_server(tmp_path / "xvfb.log")
    try:
        app = App(x.display, tmp_path, request_timeout=3, application="/bin/false")
        _session_fails_in_time(app, attempts=1, request_timeout=3)
    finally:
        x.stop()


def _pytest_run(tmp_path, test_source, timeout):
    """A whole pytest run of `test_source` with this harness (conftest.py)
    and the project's pytest.ini, its per-test timeout set to `timeout`."""
    (tmp_path / "test_sample.py").write_text(test_source)
    env = dict(os.environ, PYTHONPATH=str(conftest.ROOT / "tests" / "e2e"))
    command = [sys.executable, "-m", "pytest", "-c", str(conftest.ROOT / "pytest.ini"), "--rootdir", str(tmp_path),
               "-p", "no:cacheprovider", "-p", "conftest", "-o", f"timeout={timeout}", str(tmp_path / "test_sample.py")]
    run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, start_new_session=True)
    started = time.monotonic()
    try:
        output, _ = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    return run.returncode, output, time.monotonic() - started


def test_a_hanging_test_fails_in_time_and_shows_the_app_output(tmp_path, pytestconfig):
    # The suite's own setting: every test has a bound, enforced by a signal
    # so that teardown runs.
    assert float(pytestconfig.getini("timeout") or 0) > 0, "pytest.ini sets no per-test timeout"
    assert pytestconfig.getini("timeout_method") == "signal"
    # The test hangs after the app started.
    code, output, took = _pytest_run(tmp_path, "import time\n\ndef test_hangs(app):\n    time.sleep(3600)\n", 10)
    assert code == 1, output
    assert "Timeout (>10.0s) from pytest-timeout" in output, output
    assert "tauri-driver and app output" in output, output
    assert took < 45, f"took {took:.0f} s:\n{output}"
    # Its teardown ran: no app is left behind.
    assert subprocess.run(["pgrep", "-f", str(APP)], capture_output=True).returncode != 0


def test_an_x_server_dying_during_a_test_fails_it_at_once_and_shows_its_log(tmp_path):
    # The app is running and the test waits for an element when Xvfb dies.
    code, output, took = _pytest_run(tmp_path, (
        "def test_x_dies(app, x_server):\n"
        "    x_server.process.kill()\n"
        "    app.find('never-there', timeout=60)\n"
        "\n"
        "def test_next(app):\n"
        "    pass\n"
    ), 60)
    assert code == 1, output
    assert output.count("has died") >= 2, output  # the test, and the next one at its start
    assert "Xvfb log" in output, output
    assert "1 failed" in output and "error" in output, output
    assert took < 40, f"took {took:.0f} s:\n{output}"
    assert subprocess.run(["pgrep", "-f", str(APP)], capture_output=True).returncode != 0


def test_a_webdriver_request_without_an_answer_fails_after_one_timeout():
    # A stand-in driver that opens a session and then never answers.
    class Silent(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path == "/session":
                body = json.dumps({"value": {"sessionId": "s1", "capabilities": {}}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                released.wait(60)

        do_GET = do_DELETE = lambda self: released.wait(60)  # noqa: E731

        def log_message(self, *args):
            pass

    released = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        driver = webdriver.Remote(command_executor=url, options=ArgOptions(),
                                  client_config=webdriver_client_config(url, 2))
        for what, command in [("a GET", lambda: driver.title), ("a POST", lambda: driver.find_element("id", "x"))]:
            started = time.monotonic()
            with pytest.raises(Exception, match="timed out"):
                command()
            # Sent once: urllib3's default would repeat a GET three times (8 s).
            assert time.monotonic() - started < 6, what
    finally:
        released.set()
        server.shutdown()
        server.server_close()


def test_the_harness_waits_for_its_own_processes_only_and_not_for_zombies():
    # `App.stop()` waits until nothing it launched is alive. It recognises
    # its processes by a mark in their environment, so another program with
    # the same command line cannot hold it up, and an unreaped zombie (which
    # a container's first process may never reap) does not count.
    mark = "MATTERBOX_TEST_LAUNCH=harness-self-test"
    unmarked = subprocess.Popen(["sleep", "60"])
    marked = subprocess.Popen(["sleep", "60"], env=dict(os.environ, MATTERBOX_TEST_LAUNCH="harness-self-test"))
    try:
        assert [pid for pid, _ in conftest.live_processes_marked(mark)] == [marked.pid]
        marked.kill()
        # Not yet reaped: a zombie until wait() below.
        wait_for(lambda: open(f"/proc/{marked.pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z",
                 timeout=10, what="the marked process to become a zombie", check_x=False)
        assert conftest.live_processes_marked(mark) == []
    finally:
        for process in (unmarked, marked):
            process.kill()
            process.wait()
