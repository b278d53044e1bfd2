"""The configuration of the API, the worker and gunicorn: the one reader of the environment.

`load()` reads a fresh copy (an app factory, a test), `get()` the process's cached one.
Defaults of the analysis come from analytics.config rather than being restated."""

from __future__ import annotations

from settings.loading import SettingsError, get, load
from settings.model import AS_OF_MODES, LOG_LEVELS, RETRAIN_MODES, WINDOW_DAYS_RANGE, Settings

__all__ = [
    "AS_OF_MODES",
    "LOG_LEVELS",
    "RETRAIN_MODES",
    "WINDOW_DAYS_RANGE",
    "Settings",
    "SettingsError",
    "get",
    "load",
]
