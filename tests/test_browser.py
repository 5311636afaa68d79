"""The dashboard in a real browser: Debian's chromium, headless, drives the app as a commissioner and as a council
officer at a laptop's 1366x768, runs a match, and saves a screenshot of every page as each role (the first screen,
and the whole page at that width) under $RCC_SCREENSHOTS (default: rcc-screenshots in the temporary folder) for
people to look at."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from app.dashboard.server import streamlit_command
from tests.dashboard_run import dashboard_run

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("RCC_SCREENSHOTS", Path(tempfile.gettempdir()) / "rcc-screenshots"))
SCREEN = (1366, 768)  # the commonest laptop screen: every page must read at this size
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PAGES = {"overview": "Overview", "demand": "Demand", "matching": "Matching", "market": "Market",
         "england": "England's market", "strategy": "Strategy", "runs": "Runs", "data_upload": "Data"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    """The dashboard served by `streamlit run` on a free port, on the session's monthly run."""
    run = dashboard_run()
    env = os.environ | {"RCC_OUT": str(run.out), "RCC_STORE": str(run.store)}
    env.pop("RCC_REGION", None)
    yield from serve(env)


def serve(env: dict, port: int | None = None, secrets: Path | None = None):
    """Serve the dashboard with these environment variables on a free port (or this one); yield its address,
    then stop it."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            pytest.fail(f"{program} is missing: install Debian's chromium and chromium-driver "
                        "(apt-get install chromium chromium-driver; .ci/run does this)", pytrace=False)
    port = port or _free_port()
    env = env | {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    log = tempfile.NamedTemporaryFile(prefix="rcc-streamlit-", suffix=".log", delete=False)
    # the command `rcc app` runs, so the tests see the served app's options and headers
    server = subprocess.Popen(streamlit_command(port, secrets=secrets), env=env, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        server.wait()
        log.close()
        pytest.fail("streamlit did not start within 60 s: " + Path(log.name).read_text()[-2000:])
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)
    log.close()
    Path(log.name).unlink()


@pytest.fixture()
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={SCREEN[0]},{SCREEN[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _settled(driver, title: str, timeout: float = 120) -> None:
    """Wait until the page's title is shown and Streamlit has stopped running for a moment."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: title in d.execute_script(
        "return Array.from(document.querySelectorAll('h1')).map(h => h.innerText)"))
    quiet = 0
    while quiet < 3:
        time.sleep(0.2)
        busy = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"], [data-testid="stSpinner"]')
        quiet = 0 if busy else quiet + 1


def _log_in(driver, url: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    field = WebDriverWait(driver, 60).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, 'input[aria-label="User name"]')))
    field.send_keys(name)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]').send_keys(password)
    driver.find_element(By.XPATH, '//button[.//p[text()="Log in"]]').click()
    _settled(driver, "Overview")


def _open(driver, page: str) -> float:
    """Click the page in the sidebar; seconds until it has rendered."""
    from selenium.webdriver.common.by import By

    started = time.perf_counter()
    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    # a link's text is its icon's name then the page title
    next(link for link in links if link.text.strip().endswith(PAGES[page])).click()
    _settled(driver, PAGES[page])
    return time.perf_counter() - started - 0.6  # minus the quiet period _settled waits out


def _screenshots(driver, name: str) -> None:
    """The page's first screen at 1366x768, then the whole page at that width (Streamlit scrolls its main panel,
    not the window, so the window is made as tall as the panel's content for the second)."""
    driver.set_window_size(*SCREEN)
    time.sleep(0.3)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    height = driver.execute_script(
        "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body; return m.scrollHeight;")
    driver.set_window_size(SCREEN[0], min(max(int(height) + 40, SCREEN[1]), 9000))
    time.sleep(0.8)  # charts re-lay themselves out at the new height
    driver.save_screenshot(str(SCREENSHOTS / f"{name}-full.png"))
    driver.set_window_size(*SCREEN)
    time.sleep(0.3)


def _button(driver, label: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f'//button[.//p[text()="{label}"]]')


def test_commissioner_runs_a_match_in_chromium(app_url, browser):
    """Log in as the commissioner, re-solve the match, see the result, and screenshot every page. Each page's
    seconds once cached go to page-seconds.json beside the screenshots: speed is measured, not asserted (a loaded CI
    machine would make a timed test flaky)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _log_in(browser, app_url, "commissioner", "commissioner-demo")
    for page in PAGES:  # first visit fills the caches
        _open(browser, page)
    timings = {}
    for page in PAGES:
        timings[page] = round(_open(browser, page), 2)
        _screenshots(browser, f"commissioner-{page}")
    (SCREENSHOTS / "page-seconds.json").write_text(json.dumps(timings, indent=2) + "\n")

    _open(browser, "matching")
    _button(browser, "Re-solve the match with these controls").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 180).until(lambda d: "Re-solved with" in d.page_source)
    _settled(browser, "Matching")
    browser.save_screenshot(str(SCREENSHOTS / "commissioner-matching-resolved.png"))
    assert "Back to this month's run" in browser.page_source


def test_council_officer_sees_own_council_in_chromium(app_url, browser):
    """Log in as Bolton's officer: the pages say so, the allocation lists Bolton's referrals only, and every page is
    screenshot."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _log_in(browser, app_url, "bolton", "bolton-demo")
    assert "council officer, Bolton" in browser.page_source
    for page in PAGES:
        _open(browser, page)
        _screenshots(browser, f"bolton-{page}")
        if page == "matching":
            assert "(Bolton's referrals only)" in browser.find_element("tag name", "body").text
