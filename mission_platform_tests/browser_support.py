"""A Dagster webserver and a headless Chromium for end-to-end tests.

Chromium and its driver are Debian's packages (``chromium``, ``chromium-driver``);
both paths are given to Selenium so that Selenium Manager never downloads anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from mission_platform_tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1600,1000",
)

# A re-render can replace an element between finding and clicking it, or an animation can cover it for a moment.
TRANSIENT_UI_ERRORS = (
    StaleElementReferenceException,
    ElementClickInterceptedException,
    ElementNotInteractableException,
)

# The run page's status tag (RunStatusTag in Dagster's UI).
RUN_STATUSES = {"Queued", "Not started", "Starting", "Started", "Success", "Failure", "Canceling", "Canceled"}
FINAL_RUN_STATUSES = {"Success", "Failure", "Canceled"}
RUN_STATUS_TAG = "(//div[contains(@class, 'PageHeader')]//div[contains(@class, 'BaseTag')])[1]"

# Shown about a second after the first page of a fresh instance loads; may cover what a test wants to click.
COMMUNITY_DIALOG_SKIP = "//button[normalize-space() = 'Skip']"

LOCAL_INSTANCE_YAML = """\
# Runs start as soon as they are launched, without a daemon (which would also tick the lake sensor).
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""

T = TypeVar("T")


def write_local_instance(dagster_home: Path) -> None:
    """A Dagster instance folder whose runs launch straight from the webserver."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(LOCAL_INSTANCE_YAML)


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def dagster_webserver(workspace: Path, log_path: Path, *, timeout: float = 180.0) -> Iterator[str]:
    """``dagster-webserver`` on a free loopback port, with this process's environment; yields its base URL.

    The whole process group (webserver, code server, run workers) is killed on exit.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dagster_webserver", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)],
            cwd=workspace.parent,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"dagster-webserver exited with code {proc.returncode}:\n{log_tail(log_path)}")
                try:
                    with urllib.request.urlopen(f"{base_url}/server_info", timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"dagster-webserver not up after {timeout} s:\n{log_tail(log_path)}")
                    time.sleep(0.5)
            yield base_url
        finally:
            stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    # Children (code server, run workers) may outlive the webserver's own exit.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@contextmanager
def chromium(profile_dir: Path) -> Iterator[WebDriver]:
    """Headless Debian Chromium with a fresh profile, driven by Debian's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], T], timeout: float, what: str) -> T:
    """The first truthy value of ``condition``, polled until ``timeout``; a clear error naming ``what`` otherwise."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.5, ignored_exceptions=TRANSIENT_UI_ERRORS).until(
            condition
        )
    except TimeoutException:
        raise TimeoutError(f"{what}: not seen after {timeout} s on {driver.current_url}") from None


def visible(driver: WebDriver, xpath: str) -> list[WebElement]:
    return [element for element in driver.find_elements(By.XPATH, xpath) if element.is_displayed()]


def click(driver: WebDriver, xpath: str, timeout: float, what: str) -> None:
    """Click the first visible element matching ``xpath`` once it can take the click."""

    def clicked(d: WebDriver) -> bool:
        skip_community_dialog(d)
        for element in visible(d, xpath):
            if element.is_enabled():
                element.click()
                return True
        return False

    wait_for(driver, clicked, timeout, what)


def skip_community_dialog(driver: WebDriver) -> bool:
    """Click Skip on the "Join the Dagster community" dialog if it shows; True once none shows."""
    for button in visible(driver, COMMUNITY_DIALOG_SKIP):
        button.click()
    return not visible(driver, COMMUNITY_DIALOG_SKIP)


def dismiss_community_dialog(driver: WebDriver, timeout: float = 10.0) -> None:
    """A fresh instance greets its first page with that dialog: wait for it, skip it."""
    try:
        wait_for(driver, lambda d: visible(d, COMMUNITY_DIALOG_SKIP), timeout, "the community dialog")
    except TimeoutError:
        return
    wait_for(driver, skip_community_dialog, timeout, "the community dialog closing")


def run_status(driver: WebDriver) -> str | None:
    """The status shown in the run page's header, or None while it is not rendered."""
    tags = driver.find_elements(By.XPATH, RUN_STATUS_TAG)
    if not tags:
        return None
    text = tags[0].text.strip()
    if text and text not in RUN_STATUSES:
        raise AssertionError(f"the run page's first header tag reads {text!r}, not a run status")
    return text or None
