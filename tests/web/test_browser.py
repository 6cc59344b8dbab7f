"""The web app in a real browser: Debian's Chromium driven by Selenium through Debian's
ChromeDriver (nothing is downloaded). One server and one browser for the whole run.

Logs in as each role, opens every page open to it, checks the charts drew, changes a filter,
checks a number on the page against the store, and saves a screenshot of each page under
`test-artifacts/browser/` (or $YOC_TEST_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.web.conftest import PASSWORD, USERS
from yearofcare.web import auth
from yearofcare.web.registry import PAGES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = (
    Path(os.environ.get("YOC_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
    / "browser"
)

if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium and ChromeDriver are missing: `make browser` installs them")
    pytest.skip("Chromium not installed (make test installs it)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_app):
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://localhost:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _log_in(driver, base: str, username: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.ID, "who")))


def _log_out(driver) -> None:
    driver.find_element(By.ID, "logout").click()
    WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.ID, "login-form")))


def _wait_for_charts(driver) -> int:
    charts = driver.find_elements(By.CSS_SELECTOR, ".chart[data-spec]")
    if charts:
        WebDriverWait(driver, 30).until(
            lambda d: all(
                c.get_attribute("data-drawn") == "1"
                for c in d.find_elements(By.CSS_SELECTOR, ".chart[data-spec]")
            )
        )
        for c in driver.find_elements(By.CSS_SELECTOR, ".chart[data-spec]"):
            assert c.find_elements(By.TAG_NAME, "svg"), "chart has no SVG"
    return len(charts)


def _registered(store: Path, practice: str | None = None) -> int:
    con = duckdb.connect(str(store / "yoc.duckdb"), read_only=True)
    where = f"AND practice_code = '{practice}'" if practice else ""
    try:
        return con.execute(
            "SELECT count(*) FROM person_year WHERE months_registered > 0 AND fy = "
            f"(SELECT max(fy) FROM person_year) {where}"
        ).fetchone()[0]
    finally:
        con.close()


def _headline(driver, label: str) -> int:
    el = driver.find_element(By.CSS_SELECTOR, f'.figure .value[data-label="{label}"]')
    return int(el.text.replace(",", ""))


@pytest.mark.parametrize("role", list(auth.ROLES))
def test_role_in_the_browser(server, browser, web_store, role):
    _log_in(browser, server, USERS[role])
    try:
        if role == auth.REIDENTIFICATION:
            assert browser.current_url.endswith("/reidentify")
            browser.save_screenshot(str(ARTIFACTS / f"{role}-reidentify.png"))
            browser.get(f"{server}/pages/population")
            assert "Not allowed" in browser.find_element(By.TAG_NAME, "h1").text
            return
        pages = [p for p in PAGES.values() if role in p.roles]
        for page in pages:
            browser.get(f"{server}/pages/{page.slug}")
            assert browser.find_element(By.ID, "page-title").text == page.title
            drawn = _wait_for_charts(browser)
            if page.slug == "population":
                assert drawn >= 5
            browser.save_screenshot(str(ARTIFACTS / f"{role}-{page.slug}.png"))
        if role == auth.ADMINISTRATOR:
            browser.get(f"{server}/admin/users")
            assert browser.find_elements(By.ID, "users")
            browser.save_screenshot(str(ARTIFACTS / f"{role}-users.png"))
        if any(p.slug == "population" for p in pages):
            browser.get(f"{server}/pages/population")
            exact = _registered(web_store)
            shown = _headline(browser, "Registered population")
            expected = exact if role == auth.ANALYST else round(exact / 5) * 5
            assert shown == expected
            select = Select(browser.find_element(By.ID, "filter-practice"))
            practice = select.options[1].get_attribute("value")
            select.select_by_value(practice)  # the page reloads with the filter applied
            WebDriverWait(browser, 30).until(lambda d: f"practice={practice}" in d.current_url)
            _wait_for_charts(browser)
            exact = _registered(web_store, practice)
            expected = exact if role == auth.ANALYST else round(exact / 5) * 5
            assert _headline(browser, "Registered population") == expected
            browser.save_screenshot(str(ARTIFACTS / f"{role}-population-{practice}.png"))
    finally:
        _log_out(browser)


def _submit_input(driver, name: str, text: str) -> None:
    box = driver.find_element(By.ID, f"input-{name}")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, "apply-filters").click()


def _figure(driver, label: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'.figure .value[data-label="{label}"]').text


def _count(store: Path, sql: str):
    con = duckdb.connect(str(store / "yoc.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


STAGE_PAGES = {
    "cohorts": auth.SERVICE_PLANNER,
    "budget": auth.FINANCE,
    "risk-share": auth.FINANCE,
    "scenarios": auth.SERVICE_PLANNER,
}


@pytest.mark.parametrize("slug", list(STAGE_PAGES))
def test_stage_page_in_the_browser(server, browser, web_store, slug):
    """Each stage's page as a permitted role: open it, change its input or a filter, check a
    number against the store, screenshot it."""
    role = STAGE_PAGES[slug]
    assert role in PAGES[slug].roles
    _log_in(browser, server, USERS[role])
    try:
        browser.get(f"{server}/pages/{slug}")
        assert browser.find_element(By.ID, "page-title").text == PAGES[slug].title
        if slug == "cohorts":
            _submit_input(browser, "rule", "ltc_count >= 2 and age >= 75")
            WebDriverWait(browser, 30).until(lambda d: "rule=" in d.current_url)
            _wait_for_charts(browser)
            (n,) = _count(
                web_store,
                "SELECT count(*) FROM person_year WHERE months_registered > 0 AND ltc_count >= 2 "
                "AND age >= 75 AND fy = (SELECT max(fy) FROM person_year)",
            )
            assert int(_figure(browser, "People selected").replace(",", "")) == round(n / 5) * 5
        elif slug == "budget":
            (total,) = _count(
                web_store,
                "SELECT running_total_pence FROM budget WHERE step = 'total' "
                "ORDER BY cohort_id, fy LIMIT 1",
            )
            assert _figure(browser, "Calculator budget") == f"£{total / 100:,.2f}"
            _submit_input(browser, "tariff_change", "5")
            WebDriverWait(browser, 30).until(lambda d: "tariff_change=5" in d.current_url)
            assert _figure(browser, "Calculator budget") != f"£{total / 100:,.2f}"
            _wait_for_charts(browser)
        elif slug == "risk-share":
            (n,) = _count(web_store, "SELECT count(DISTINCT contract_id) FROM settlement_contract")
            assert _figure(browser, "Contracts settled") == str(n)
            _submit_input(browser, "outturn", "2.5m")
            WebDriverWait(browser, 30).until(lambda d: "outturn=2.5m" in d.current_url)
            assert browser.find_elements(By.ID, "table-calc_parties")
            _wait_for_charts(browser)
        else:
            select = Select(browser.find_element(By.ID, "filter-fy"))
            first = select.options[0].get_attribute("value")
            select.select_by_value(first)
            WebDriverWait(browser, 30).until(lambda d: f"fy={first}" in d.current_url)
            assert browser.find_element(By.ID, "missing-command").text == "yoc simulate"
        browser.save_screenshot(str(ARTIFACTS / f"{role}-{slug}-changed.png"))
    finally:
        _log_out(browser)
