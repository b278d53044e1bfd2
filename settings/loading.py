"""Reading the settings: a fresh copy from an environment, or the process's cached copy."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from pydantic import ValidationError
from pydantic_settings import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from settings.model import Settings


class SettingsError(RuntimeError):
    """A variable holds a value its setting does not accept; the message names it."""


class _EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings read now from `environ` (the process's environment by default)."""
    source = _EnvironmentSource(os.environ if environ is None else environ)
    try:
        return Settings(_build_sources=((source,), {}))
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@functools.cache
def get() -> Settings:
    """The process's settings, read once; `get.cache_clear()` makes the next call re-read."""
    return load()


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        variable = error["loc"][0] if error["loc"] else "the environment"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}={error['input']!r}: {message}")
    return "invalid configuration: " + "; ".join(problems)
