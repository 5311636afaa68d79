"""The dashboard on a region built from published data: the Overview draws the real council boundaries and says
there is no monthly run, and England's market page shows the region's real figures beside England's."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.dashboard.auth import User
from tests.dashboard_run import open_page
from tests.public_raw import GM_NAMES, OFSTED, PUBLIC, kind, live, ofsted_records

OFFICER = User("bolton", "council_officer", "E08000001", "Bolton officer")
COMMISSIONER = User("commissioner", "commissioner", display_name="Commissioner")


@pytest.fixture(scope="module")
def public_region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gm-public")
    assert main(["public", "region", str(PUBLIC), "--rcc", "greater-manchester", "--out", str(folder)]) == 0
    out = tmp_path_factory.mktemp("out")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCC_REGION", str(folder))
        patch.setenv("RCC_OUT", str(out))
        patch.setenv("RCC_STORE", str(out / "runs.duckdb"))
        patch.setenv("RCC_PUBLIC_DATA", str(PUBLIC))
        yield folder


@pytest.mark.parametrize("user", [COMMISSIONER, OFFICER], ids=["commissioner", "council_officer"])
def test_overview_of_a_public_region_draws_its_real_boundaries(public_region, user):
    """No monthly run is needed: the page says the region is built from published data, and its map's council
    areas are ONS's boundaries (the region's boundaries.geojson), not approximate cells."""
    at = open_page(user, "overview")
    assert any("built from published data" in i.value for i in at.info)
    spec = at.get("vega_lite_chart")[0].proto.spec
    boundary = json.loads((public_region / "boundaries.geojson").read_text())["features"][0]
    assert boundary["properties"]["la_name"] in spec
    assert str(boundary["geometry"]["coordinates"][0][0][0][0])[:8] in spec
    assert any("boundaries.geojson" in c.value for c in at.caption)


def test_englands_market_shows_the_regions_real_figures(public_region):
    """The region's homes at 31 March 2025 on England's market page are the raw list's count for its councils."""
    homes = [r for r in ofsted_records(OFSTED / "provider_at_march_2025.csv")
             if kind(r) in ("home", "secure", "rss_home") and live(r)
             and r["Local authority"].strip().lower() in GM_NAMES]
    at = open_page(COMMISSIONER, "england")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children's homes (Greater Manchester)"] == f"{len(homes):,}"
    assert any("provider_at_march_2025.csv" in c.value for c in at.caption)
    assert "geoshape" in at.get("vega_lite_chart")[0].proto.spec


def test_englands_market_on_the_embedded_extract_says_england_needs_the_full_data(public_region, monkeypatch):
    """The repository's extract holds Greater Manchester's rows only, so England's totals cannot be made from it:
    the page says so and still shows the region's homes, counted here from the extract's raw Ofsted file."""
    from data.public import EMBEDDED_EXTRACT

    monkeypatch.setenv("RCC_PUBLIC_DATA", str(EMBEDDED_EXTRACT))
    homes = [r for r in ofsted_records(EMBEDDED_EXTRACT / "ofsted" / "provider_at_march_2025.csv")
             if kind(r) in ("home", "secure", "rss_home") and live(r)
             and r["Local authority"].strip().lower() in GM_NAMES]
    at = open_page(COMMISSIONER, "england")
    assert any("England's figures need every council's published files" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Children's homes (Greater Manchester)"] == f"{len(homes):,}" and len(homes) > 0
    assert any(c.value == "England: not in these files" for c in at.caption)
