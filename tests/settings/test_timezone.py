"""EPA_TIMEZONE: whose calendar decides at ingest which dates lie in the future."""

from __future__ import annotations

import pytest

import settings
from settings import SettingsError


def test_the_time_zone_is_utc_unless_set():
    assert settings.load({}).timezone == "UTC"
    assert settings.load({"EPA_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "../../etc/passwd", "CEST+2"])
def test_a_time_zone_that_is_no_iana_name_stops_the_start_naming_the_variable(value):
    with pytest.raises(SettingsError, match=r"EPA_TIMEZONE=.*IANA time zone"):
        settings.load({"EPA_TIMEZONE": value})


def test_the_api_takes_its_calendar_from_the_setting(monkeypatch):
    from api.config import from_environment

    monkeypatch.setenv("EPA_TIMEZONE", "Asia/Tokyo")
    assert from_environment()["TIMEZONE"] == "Asia/Tokyo"
