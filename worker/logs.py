"""Logs on stderr for the worker: JSON, one object per event, where a log collector reads
them; readable text lines when a person watches a terminal. Times are ISO 8601 with the
UTC offset either way."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

ISO_8601 = "%Y-%m-%dT%H:%M:%S%z"
# What every LogRecord carries; anything else was passed as `extra` and is the event's data.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value ...`, the extras after the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", ISO_8601)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return " ".join([line, *(f"{k}={v}" for k, v in extras.items())])


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        datefmt=ISO_8601,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


class _CurrentStderr:
    """Whatever `sys.stderr` is at each write: while a progress bar is drawn it is the bar's
    proxy, which prints each line above the bar instead of through it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    stream = _CurrentStderr() if stream is None else stream
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter() if stream.isatty() else json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
