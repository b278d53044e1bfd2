"""System tests: faults, fuzzing and end to end, with real gunicorn, PostgreSQL and
Prometheus processes."""

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.served_api import api, traffic  # noqa: F401  (the API under gunicorn, and its traffic)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Headless Chromium for the pages the API serves, from scripts/ensure-tools.sh
    (Debian's chromium package). In CI a missing browser fails the test; elsewhere it is
    installed here when possible, else the test is skipped."""
    found = shutil.which("chromium")
    if found is None:
        subprocess.run([ROOT / "scripts" / "ensure-tools.sh"], check=False)
        found = shutil.which("chromium")
    if found is None:
        message = "chromium is not installed; run scripts/ensure-tools.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found
