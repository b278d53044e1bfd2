"""The README's configuration table lists exactly the variables the settings read."""

from __future__ import annotations

import re
from pathlib import Path

from settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def configuration_table_variables() -> list[str]:
    """The variables named in the first column of the table under "## Configuration"."""
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])]


def test_every_variable_the_settings_read_is_in_the_readme():
    missing = set(Settings.variables()) - set(configuration_table_variables())
    assert not missing, f"add to README.md's configuration table: {sorted(missing)}"


def test_the_readme_names_no_variable_the_settings_do_not_read():
    unknown = set(configuration_table_variables()) - set(Settings.variables())
    assert not unknown, f"README.md's configuration table names unread variables: {unknown}"


def test_the_readme_names_each_variable_once():
    listed = configuration_table_variables()
    assert len(listed) == len(set(listed))
