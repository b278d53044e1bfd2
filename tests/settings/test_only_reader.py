"""Only the settings package reads the environment; the rest asks it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "worker", "retraining", "store", "analytics")
# Not reads: gunicorn_conf hands prometheus_client its folder, and the local launcher
# passes the API's environment on to the worker it starts.
PASS_THROUGH = {"api/gunicorn_conf.py", "retraining/local.py"}


def environment_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "environb")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ] + [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module == "os"
        and any(alias.name in ("environ", "getenv") for alias in node.names)
    ]


def test_no_module_outside_settings_reads_the_environment():
    readers = {
        f"{path.relative_to(ROOT)}:{line}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in PASS_THROUGH
        for line in environment_uses(path)
    }
    assert not readers, f"read these through the settings package: {sorted(readers)}"
