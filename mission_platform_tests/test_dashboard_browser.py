"""The dashboard end to end: ``mission-platform dashboard`` as a subprocess on the embedded warehouse, in Chromium.

The warehouse is the embedded PostgreSQL of a data folder, filled by the real pipeline from a
generated export in a separate process (which lets the server go when it exits): the command
starts it again, as it would after ``mission-platform demo``. Every page is opened by its URL
path; each must show a chart or a table, its footer, and no error. Screenshots go to
``test-output/dashboard/`` at the repository root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from selenium.webdriver.common.by import By

from mission_platform.dashboard.app import PAGES
from mission_platform_tests.browser_support import chromium, log_tail, stop_process_group, visible, wait_for
from mission_platform_tests.conftest import free_port
from mission_platform_tests.dashboard_support import BuiltWarehouse, personal_values

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "test-output" / "dashboard"
PAGE_TIMEOUT = 90.0
START_TIMEOUT = 180.0

BUILD = """
import sys
from pathlib import Path
from mission_platform.warehouse.embedded import embedded_postgres_url
from mission_platform_tests.dashboard_support import build_warehouse
data = Path(sys.argv[1])
print(build_warehouse(data / "lake", embedded_postgres_url(data / "warehouse")).export_id)
"""


def command_env(data: Path, **extra: str) -> dict[str, str]:
    """The machine's environment without the project's settings, on the given data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISSION_") or k.startswith("MISSION_TEST_")}
    for name in ("LOOKER_READER_PASSWORD", "DAGSTER_HOME", "ANONYMISATION_KEY"):
        env.pop(name, None)
    return {**env, "MISSION_DATA_DIR": str(data), **extra}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    parent = Path(tempfile.mkdtemp(prefix="mp-dash-data-"))
    parent.chmod(0o755)  # as root the embedded server runs as an unprivileged user that must enter it
    data = parent / "data"
    done = subprocess.run([sys.executable, "-c", BUILD, str(data)], env=command_env(data), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    export_id = done.stdout.strip().splitlines()[-1]
    yield BuiltWarehouse(owner_url="", lake_url=str(data / "lake"), export_id=export_id), data
    shutil.rmtree(parent, ignore_errors=True)


def wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited with code {proc.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} not up after {timeout} s:\n{log_tail(log)}") from None
            time.sleep(0.5)


@contextmanager
def command(args: list[str], env: dict[str, str], log_path: Path, ready_url: str):
    """A ``mission-platform`` command in its own process group; Ctrl+C (SIGINT) to the group on exit."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "mission_platform.cli", *args], env=env, cwd=REPO_ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_http(ready_url, proc, log_path)
            yield proc
        finally:
            interrupt(proc)


def interrupt(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """Ctrl+C, as a person stops the command (it then releases the embedded server); killed if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        stop_process_group(proc)


def socket_answers(data: Path) -> bool:
    """Whether the embedded server under ``data`` accepts a connection (without holding it up)."""
    try:
        with psycopg.connect(host=str(data / "warehouse"), user="looker_reader", dbname="postgres", connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM reporting.fraicheur_donnees").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def page_settled(driver, export_id: str):
    """The page's footer is drawn and nothing is still running: its elements, or None."""
    if visible(driver, "//*[@data-testid='stStatusWidget']"):
        return None
    footer = [e for e in visible(driver, "//*[@data-testid='stCaptionContainer']")
              if e.text.startswith("Dernière mise à jour des données")]
    if not footer or export_id not in footer[-1].text:
        return None
    shown = visible(driver, "//*[@data-testid='stVegaLiteChart' or @data-testid='stDataFrame']")
    return shown or None


def test_every_page_in_a_real_browser(embedded, tmp_path):
    built, data = embedded
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    personal = personal_values(built)
    log = OUTPUT / "dashboard.log"
    with command(["dashboard", "--port", str(port)], command_env(data), log, f"{base}/_stcore/health"), \
            chromium(tmp_path / "chromium-profile") as browser:
        try:
            browser.get(base)  # "/" opens the overview at its own path
            wait_for(browser, lambda d: d.current_url.rstrip("/").endswith("/vue_ensemble"), PAGE_TIMEOUT, "/ → /vue_ensemble")
            for number, (_, title, path, _) in enumerate(PAGES, start=1):
                browser.set_window_size(1600, 1000)
                browser.get(f"{base}/{path}")
                wait_for(browser, lambda d: page_settled(d, built.export_id), PAGE_TIMEOUT, f"page {path}")
                heading = visible(browser, "//h1")
                assert heading and heading[0].text.strip() == title, path
                errors = visible(browser, "//*[@data-testid='stException' or @data-testid='stAlertContentError']")
                assert not errors, f"{path}: {[e.text for e in errors]}"
                time.sleep(1.0)  # charts finish drawing after their container appears
                height = browser.execute_script(
                    "return document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                browser.set_window_size(1600, min(max(1000, height + 80), 5000))
                time.sleep(1.0)
                browser.save_screenshot(str(OUTPUT / f"{number:02d}-{path}.png"))
                text = browser.find_element(By.TAG_NAME, "body").text
                leaked = sorted(v for v in personal if v in text)
                assert not leaked, f"{path} shows {leaked[:5]}"
        except BaseException:
            browser.save_screenshot(str(OUTPUT / "failure.png"))
            raise
    announced = [line for line in log.read_text().splitlines() if line.startswith("Dashboard on")]
    assert announced and announced[0].startswith(f"Dashboard on {base} (export {built.export_id}, read as looker_reader")


def test_ui_and_dashboard_run_at_once_on_the_embedded_warehouse(embedded, tmp_path):
    _, data = embedded
    env = command_env(data, DAGSTER_HOME=str(tmp_path / "dagster"))
    ui_port, dash_port = free_port(), free_port()
    with command(["ui", "--port", str(ui_port)], env, tmp_path / "ui.log", f"http://127.0.0.1:{ui_port}/server_info"):
        assert socket_answers(data)
        with command(["dashboard", "--port", str(dash_port)], env, tmp_path / "dashboard.log",
                     f"http://127.0.0.1:{dash_port}/_stcore/health"):
            with urllib.request.urlopen(f"http://127.0.0.1:{dash_port}/_stcore/health", timeout=10) as answer:
                assert answer.read() == b"ok"
        # The dashboard stopped; the UI still holds the warehouse up.
        assert socket_answers(data)
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/server_info", timeout=10) as answer:
            assert answer.status == 200
    # The last holder gone, the embedded server stops.
    deadline = time.monotonic() + 30
    while socket_answers(data) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not socket_answers(data)


def test_the_ops_audience_in_a_real_browser(embedded, tmp_path):
    """``--audience ops``: read as ops_reader, the people pages show real names and contact details."""
    built, data = embedded
    out = OUTPUT / "ops"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    personal = personal_values(built)
    log = out / "dashboard.log"
    with command(["dashboard", "--port", str(port), "--audience", "ops"], command_env(data), log,
                 f"{base}/_stcore/health"), chromium(tmp_path / "chromium-profile") as browser:
        try:
            for path in ("missions_a_affecter", "recherche_extras", "recherche_hotels", "missions_a_venir",
                         "missions_passees", "classement_extras"):
                browser.set_window_size(1600, 1400)
                browser.get(f"{base}/{path}")
                wait_for(browser, lambda d: page_settled(d, built.export_id), PAGE_TIMEOUT, f"page {path}")
                errors = visible(browser, "//*[@data-testid='stException' or @data-testid='stAlertContentError']")
                assert not errors, f"{path}: {[e.text for e in errors]}"
                time.sleep(2.0)  # the grids finish drawing after their container appears
                browser.save_screenshot(str(out / f"{path}.png"))
                # The grids are drawn on a canvas (their values are checked with AppTest, test_dashboard.py); the
                # chosen mission's heading names its hotel in text.
                if path == "missions_a_affecter":
                    text = browser.find_element(By.TAG_NAME, "body").text
                    assert any(v in text for v in personal), f"{path} shows no real name"
        except BaseException:
            browser.save_screenshot(str(out / "failure.png"))
            raise
    announced = [line for line in log.read_text().splitlines() if line.startswith("Dashboard on")]
    assert announced and "read as ops_reader" in announced[0]
