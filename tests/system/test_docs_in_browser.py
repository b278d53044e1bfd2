"""The API reference page opened in headless Chromium from the API under gunicorn: Swagger UI
loads from the API's own files under the page's Content-Security-Policy, reads the OpenAPI
document and draws every operation of it.

Chromium reports each blocked script, style or request on its console, which
--enable-logging=stderr writes out: a policy that blocked part of the page fails the test
even when the rest of it rendered.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.processes import call, running_gunicorn

pytestmark = pytest.mark.slow

# Swagger UI fetches the document after the load event; virtual time lets the page run its
# requests and rendering before the DOM is dumped, without a fixed sleep.
VIRTUAL_TIME_MS = 20_000
CSP_VIOLATION = re.compile(r"violates the following Content Security Policy directive.*")


def rendered_dom(chromium: str, url: str, profile: Path) -> tuple[str, str]:
    """The DOM of `url` once its scripts have run, and Chromium's log."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            "--dump-dom",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout, done.stderr


def test_swagger_ui_draws_every_operation_in_a_browser_under_the_page_policy(
    chromium, database_url, tmp_path
):
    with running_gunicorn(database_url, tmp_path, EPA_WORKERS="1") as server:
        spec = call(server.url + "/api/v1/openapi.json").json()
        dom, log = rendered_dom(chromium, server.url + "/api/v1/docs", tmp_path / "profile")
    assert CSP_VIOLATION.findall(log) == []
    assert 'class="opblock opblock-get' in dom
    # Swagger UI gives each operation it draws the id operations-<tag>-<operationId>.
    drawn = set(re.findall(r'id="operations-[^"]*?-([A-Za-z0-9]+)"', dom))
    documented = {
        op["operationId"]
        for ops in spec["paths"].values()
        for method, op in ops.items()
        if method != "parameters"
    }
    assert documented <= drawn, sorted(documented - drawn)
    assert "/api/v1/employees/{employee_id}" in dom
