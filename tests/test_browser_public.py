"""A region built from published data in a real browser (headless Debian chromium): the commissioner logs in, the
Overview draws the real council boundaries without a monthly run, and England's market page renders its map."""

from __future__ import annotations

import os

import pytest

from app.cli import main
from app.dashboard.auth import add_user
from tests.public_raw import PUBLIC
from tests.test_browser import SCREENSHOTS, _log_in, _open, browser, serve  # noqa: F401  (browser: a fixture)

COMMISSIONER_PASSWORD = "a-public-region-password"


@pytest.fixture(scope="module")
def public_url(tmp_path_factory):
    region = tmp_path_factory.mktemp("gm-public")
    assert main(["public", "region", str(PUBLIC), "--rcc", "greater-manchester", "--out", str(region)]) == 0
    out = tmp_path_factory.mktemp("out")
    # the demo users sign in on the embedded synthetic region only: this region needs a real account
    users = out / "users.toml"
    add_user(users, "chief", "commissioner", COMMISSIONER_PASSWORD)
    yield from serve(os.environ | {"RCC_REGION": str(region), "RCC_OUT": str(out), "RCC_USERS": str(users),
                                   "RCC_STORE": str(out / "runs.duckdb"), "RCC_PUBLIC_DATA": str(PUBLIC)})


def test_a_public_region_renders_in_chromium(public_url, browser):  # noqa: F811
    """Both pages render in the browser with their maps (an SVG or canvas of the councils) and say where the
    figures come from; screenshots go to out/screenshots/public-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _log_in(browser, public_url, "chief", COMMISSIONER_PASSWORD)
    assert "built from published data" in browser.page_source
    assert browser.find_elements("css selector", ".vega-embed canvas, .vega-embed svg")
    browser.save_screenshot(str(SCREENSHOTS / "public-overview.png"))
    _open(browser, "england")
    assert "provider_at_march_2025.csv" in browser.page_source
    assert browser.find_elements("css selector", ".vega-embed canvas, .vega-embed svg")
    browser.save_screenshot(str(SCREENSHOTS / "public-england.png"))
