"""The worker's logs: JSON lines for a collector, text for a person at a terminal, ISO 8601
times with the UTC offset in both; and the CLI's --version."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

from click.testing import CliRunner

from worker import logs
from worker.cli import cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _log_into(stream: io.StringIO) -> str:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("info", stream)
        logging.getLogger("epa.worker.run").info("window read", extra={"rows_read": 42})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    return stream.getvalue()


def test_off_a_terminal_each_event_is_one_json_object_with_an_iso_time():
    (line,) = _log_into(io.StringIO()).splitlines()
    event = json.loads(line)
    assert event["message"] == "window read"
    assert event["level"] == "INFO" and event["logger"] == "epa.worker.run"
    assert event["rows_read"] == 42
    assert dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S%z").tzinfo is not None


def test_on_a_terminal_events_are_readable_text_with_their_data():
    (line,) = _log_into(Terminal()).splitlines()
    time, level, rest = line.split(" ", 2)
    assert dt.datetime.strptime(time, "%Y-%m-%dT%H:%M:%S%z").tzinfo is not None
    assert level == "INFO"
    assert rest.strip() == "epa.worker.run: window read rows_read=42"


def test_the_cli_tells_its_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("epa-worker, version ")
