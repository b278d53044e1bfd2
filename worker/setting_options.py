"""Click options whose defaults are EPA settings: a flag wins, else the setting's
environment variable, else the setting's default (all read through the settings package)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.types import OptionHelpExtra

import settings

_META_KEY = "epa.settings"


def current_settings() -> settings.Settings:
    """The settings of this invocation, read once when an option first needs them (the
    context's meta is shared by the group and its commands)."""
    meta = click.get_current_context().meta
    if _META_KEY not in meta:
        try:
            meta[_META_KEY] = settings.load()
        except settings.SettingsError as exc:
            raise click.UsageError(str(exc)) from exc
    return meta[_META_KEY]


class SettingOption(click.Option):
    """An option defaulting to one setting; its help names the setting's variable and
    shows the setting's own default."""

    def __init__(self, *args: Any, setting: str, **kwargs: Any) -> None:
        super().__init__(*args, default=self._from_settings, **kwargs)
        self.setting = setting
        self.setting_variable = settings.Settings.variable(setting)
        self.setting_default = settings.Settings.model_fields[setting].default

    def _from_settings(self) -> Any:
        value = getattr(current_settings(), self.setting)
        # An unset setting is no value: click would take None for one.
        if value is None and self.required:
            raise click.MissingParameter(ctx=click.get_current_context(), param=self)
        return value

    def get_help_extra(self, ctx: click.Context) -> OptionHelpExtra:
        extra = super().get_help_extra(ctx)
        extra["envvars"] = (self.setting_variable,)
        extra.pop("default", None)  # "(dynamic)", for the lambda
        shown = self.setting_default
        if shown is not None:
            # Tuples as their variable is written: EPA_TEAM_SIZE="3 12".
            extra["default"] = " ".join(map(str, shown)) if isinstance(shown, tuple) else str(shown)
        return extra


def setting_option(*decls: str, setting: str, **kwargs: Any) -> Callable:
    return click.option(*decls, cls=SettingOption, setting=setting, **kwargs)
