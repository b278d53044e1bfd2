"""The worker's options fall back to the settings, and so to their environment variables."""

from __future__ import annotations

from click.testing import CliRunner

from worker.cli import cli


def test_the_help_names_each_options_variable_and_default():
    shown = CliRunner().invoke(cli, ["run", "--help"], env={"EPA_WINDOW_DAYS": "120"})

    assert shown.exit_code == 0, shown.output
    help_text = " ".join(shown.output.split())
    assert "env var: EPA_WINDOW_DAYS; default: 90" in help_text
    assert "env var: EPA_TEAM_SIZE; default: 3 12" in help_text
    assert "env var: DATABASE_URL; required" in help_text


def test_a_bad_variable_is_a_usage_error_naming_it():
    refused = CliRunner().invoke(
        cli, ["audit-prune", "--database-url", "postgresql://x"], env={"EPA_KEEP_RUNS": "none"}
    )

    assert refused.exit_code == 2
    assert "EPA_KEEP_RUNS='none'" in refused.output


def test_without_a_database_url_the_option_is_missing():
    refused = CliRunner().invoke(cli, ["migrate"], env={"DATABASE_URL": ""})

    assert refused.exit_code == 2
    assert "Missing option '--database-url'" in refused.output
