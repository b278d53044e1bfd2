"""The department, team and employee reports and the model card of a real run, opened in
headless Chromium under their own Content-Security-Policy: every chart the page embeds is
drawn on screen, and the card is styled and prints.

A page saved to a file has no response headers, so its policy goes into the file as a
<meta> element (which enforces everything but frame-ancestors, which no image needs).

Each chart draws in a colour of its own (api.report_charts), so the screenshot shows which
charts rendered: a chart blocked by the policy, or broken, leaves its colour out. With
UPDATE_SCREENSHOTS=1 the screenshots replace those of docs/images, which the README links.

Chromium comes from the `chromium` fixture of tests/system/conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image

from api import report_charts
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

WINDOW = (1280, 2000)
DOCS_IMAGES = ROOT / "docs" / "images"
# Each chart's own colour and the fewest pixels of it a drawn chart shows at this size.
CHART_COLOURS = {
    "tiers": (report_charts.TIER_COLOURS["Medium"], 1000),
    "trend": (report_charts.TREND_COLOUR, 150),
    "kpis": (report_charts.KPI_COLOUR, 3000),
    "training": (report_charts.EFFECT_COLOUR, 150),
}
EMBEDDED = re.compile(r'<img src="data:image/svg\+xml;base64,')


def screenshot(chromium: str, response, folder: Path, name: str) -> np.ndarray:
    """The top WINDOW of the report as Chromium shows it under the report's policy, as an
    RGB array."""
    policy = response.headers["Content-Security-Policy"]
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    page = response.get_data(as_text=True).replace("<head>", f"<head>\n{meta}", 1)
    html, png = folder / f"{name}.html", folder / f"{name}.png"
    html.write_text(page, encoding="utf-8")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--hide-scrollbars",
            f"--user-data-dir={folder / 'profile'}",
            f"--screenshot={png}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, DOCS_IMAGES / f"{name}.png")
    with Image.open(png) as image:
        assert image.size == WINDOW
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def pixels_of(shot: np.ndarray, colour: str) -> int:
    """Pixels within a small distance of `colour` (edges are blended into the white)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(shot - rgb).max(axis=2) <= 12).sum())


def assert_charts_drawn(shot: np.ndarray, charts: tuple[str, ...]) -> None:
    for chart in charts:
        colour, fewest = CHART_COLOURS[chart]
        assert pixels_of(shot, colour) >= fewest, f"the {chart} chart is blank on screen"


def page_with_charts(client, paths: list[str], charts: int):
    """The response of the first of `paths` whose page embeds `charts` charts."""
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if len(EMBEDDED.findall(response.get_data(as_text=True))) == charts:
            return response
    raise AssertionError(f"no page of {paths[:3]}... has {charts} charts")


def test_the_department_report_shows_its_four_charts_in_a_browser(
    scored_client, chromium, tmp_path
):
    departments = [d["department"] for d in scored_client.get("/api/v1/departments").json["data"]]
    response = page_with_charts(
        scored_client, [f"/api/v1/departments/{quote(d)}/report.html" for d in departments], 4
    )
    shot = screenshot(chromium, response, tmp_path, "department-report")
    assert_charts_drawn(shot, ("tiers", "trend", "kpis", "training"))


def test_the_team_report_shows_its_four_charts_in_a_browser(scored_client, chromium, tmp_path):
    teams = [t["team"] for t in scored_client.get("/api/v1/teams?limit=100").json["data"]]
    response = page_with_charts(
        scored_client, [f"/api/v1/teams/{quote(t)}/report.html" for t in teams], 4
    )
    shot = screenshot(chromium, response, tmp_path, "team-report")
    assert_charts_drawn(shot, ("tiers", "trend", "kpis", "training"))


def test_the_employee_report_shows_its_score_charts_in_a_browser(scored_client, chromium, tmp_path):
    people = scored_client.get("/api/v1/employees?limit=20").json["data"]
    response = page_with_charts(
        scored_client, [f"/api/v1/employees/{p['employee_id']}/report" for p in people], 2
    )
    shot = screenshot(chromium, response, tmp_path, "employee-report")
    assert_charts_drawn(shot, ("trend", "kpis"))


def test_the_model_card_is_styled_under_its_policy_and_prints(scored_client, chromium, tmp_path):
    response = scored_client.get("/api/v1/models/current/card?format=html")
    assert response.status_code == 200
    shot = screenshot(chromium, response, tmp_path, "model-card")
    # The report stylesheet (allowed by its hash only) shades table headers: unstyled, the
    # page would have none of that grey.
    assert pixels_of(shot, "#f3f3f3") >= 20_000, "the card's stylesheet did not apply"
    assert int((shot.max(axis=2) < 90).sum()) >= 5_000, "no text on screen"

    pdf = tmp_path / "model-card.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            (tmp_path / "model-card.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    printed = pdf.read_bytes()
    assert printed.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", printed)) >= 1, "the card printed no page"
