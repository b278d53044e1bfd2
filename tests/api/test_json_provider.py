"""The app's JSON (orjson) writes what Flask's own provider wrote, byte for byte for the
types EPA sends, and reads bodies without recursing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from typing import NamedTuple

import numpy as np
import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from api.json_provider import MAX_DEPTH, NestedTooDeep, OrjsonProvider
from tests.helpers import EMPLOYEES


@dataclasses.dataclass
class Score:
    employee_id: str
    score: float
    tiers: list[str]


class Point(NamedTuple):
    x: int
    y: float


SAMPLE = {
    "date": dt.date(2026, 9, 1),
    "naive datetime": dt.datetime(2026, 9, 1, 12, 30, 5),
    "aware datetime": dt.datetime(2026, 9, 1, 12, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "dataclass": Score("E1", 71.25, ["High"]),
    "numpy float": np.float64(0.1),
    "named tuple": Point(1, 2.5),
    "tuple": (1, "two"),
    "markup": Markup("<b>x</b>"),
    "int keys": {1: "one", 2: None},
    "big int": 2**70,
    "floats": [0.0, -1.5, 1e-7, 123456.789, 1e300],
    "nested": {"b": [True, False, None], "a": {"z": 1, "y": [1, 2, 3]}},
}


BARE_APP = Flask(__name__)  # providers hold their app by a weak reference


def providers(**attributes) -> tuple[OrjsonProvider, DefaultJSONProvider]:
    ours, flasks = OrjsonProvider(BARE_APP), DefaultJSONProvider(BARE_APP)
    for provider in (ours, flasks):
        for name, value in attributes.items():
            setattr(provider, name, value)
    return ours, flasks


@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize("compact", [None, False])
def test_responses_are_byte_for_byte_what_flask_wrote(sort_keys, compact):
    ours, flasks = providers(sort_keys=sort_keys, compact=compact)
    for key, value in SAMPLE.items():
        if key == "floats":
            continue  # the same numbers, written shortest by both, but 1e-07 against 1e-7
        assert ours.response(value).get_data() == flasks.response(value).get_data(), key
    assert ours.response(SAMPLE).get_json() == flasks.response(SAMPLE).get_json()


def test_dates_are_http_dates_as_flask_wrote_them():
    ours, _ = providers()
    assert ours.dumps(dt.date(2026, 9, 1)) == '"Tue, 01 Sep 2026 00:00:00 GMT"'


def test_what_flask_could_not_write_is_still_refused():
    ours, flasks = providers()
    for value in (np.int64(3), {1, 2}, object()):
        for provider in (ours, flasks):
            with pytest.raises(TypeError):
                provider.dumps(value)


def test_text_is_sent_as_utf_8():
    ours, _ = providers()
    assert ours.response({"name": "Zoë"}).get_data() == '{"name":"Zoë"}\n'.encode()


def test_reading_refuses_nesting_past_the_limit_without_recursing():
    ours, _ = providers()
    assert ours.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(NestedTooDeep):
        ours.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(NestedTooDeep):
        ours.loads(b"[" * 1_000_000)
    with pytest.raises(ValueError):
        ours.loads(b'{"a": ')


def test_the_app_answers_through_orjson_with_keys_in_documented_order(client):
    assert type(client.application.json) is OrjsonProvider
    response = client.post("/api/v1/ingest/employees", json=EMPLOYEES)
    assert response.get_data() == (
        b'{"dataset":"employees","received":3,"inserted":3,"updated":0,"unchanged":0}\n'
    )
