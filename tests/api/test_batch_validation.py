"""The vectorised validation of record lists (api.batch_validation): the same problems,
worded and ordered as marshmallow reported them, and never more than the limit."""

from __future__ import annotations

import numpy as np
import pytest

from api.batch_validation import BodyInvalid, validate_body
from api.schemas.analyze import ANALYZE_BODY

GOOD = {"employee_id": "A", "name": "Ann", "tasks_total": 10, "tasks_completed": 9,
        "hours_logged": 20.5}  # fmt: skip


def problems_of(body) -> list[tuple[str, str]]:
    with pytest.raises(BodyInvalid) as invalid:
        validate_body(body, ANALYZE_BODY)
    return [(p["field"], p["reason"]) for p in invalid.value.problems]


def one_record(**changes) -> dict:
    return {"records": [{**GOOD, **changes}]}


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("employee_id", 5, "Not a valid string."),
        ("employee_id", "", "Length must be between 1 and 64."),
        ("employee_id", "x" * 65, "Length must be between 1 and 64."),
        ("employee_id", None, "Field may not be null."),
        ("name", "n" * 201, "Longer than maximum length 200."),
        ("name", ["a"], "Not a valid string."),
        ("tasks_total", True, "Not a valid integer."),
        ("tasks_total", 10.5, "Not a valid integer."),
        ("tasks_total", "10.0", "Not a valid integer."),
        ("tasks_total", {"a": 1}, "Not a valid integer."),
        ("tasks_total", -1, "Must be greater than or equal to 0 and less than or equal to 100000."),
        (
            "tasks_total",
            10**19,
            "Must be greater than or equal to 0 and less than or equal to 100000.",
        ),
        ("hours_logged", False, "Not a valid number."),
        ("hours_logged", "abc", "Not a valid number."),
        ("hours_logged", "nan", "Special numeric values (nan or infinity) are not permitted."),
        ("hours_logged", "1e400", "Special numeric values (nan or infinity) are not permitted."),
        (
            "hours_logged",
            1e6,
            "Must be greater than or equal to 0 and less than or equal to 100000.",
        ),
    ],
)
def test_a_bad_value_is_named_with_its_reason(field, value, reason):
    assert problems_of(one_record(**{field: value})) == [(f"records.0.{field}", reason)]


def test_numbers_sent_as_strings_and_whole_floats_are_accepted_as_before():
    body = {"records": [{**GOOD, "tasks_total": " 10 ", "tasks_completed": 9.0,
                         "hours_logged": "1.5"}]}  # fmt: skip
    records = validate_body(body, ANALYZE_BODY)["records"]
    assert records.loc[0, ["tasks_total", "tasks_completed", "hours_logged"]].tolist() == [
        10,
        9,
        1.5,
    ]
    assert records["tasks_total"].dtype == np.int64


def test_a_missing_name_defaults_to_empty_and_missing_required_fields_are_named():
    records = validate_body({"records": [{k: v for k, v in GOOD.items() if k != "name"}]},
                            ANALYZE_BODY)["records"]  # fmt: skip
    assert records.loc[0, "name"] == ""
    assert problems_of({"records": [{}]}) == [
        (f"records.0.{name}", "Missing data for required field.")
        for name in ("employee_id", "tasks_total", "tasks_completed", "hours_logged")
    ]


def test_problems_come_in_record_then_field_order_with_unknown_keys_last_as_sent():
    body = {"records": [{**GOOD, "zz": 1, "hours_logged": "x", "aa": 2, "employee_id": ""},
                        7, None, {**GOOD, "tasks_total": -1}]}  # fmt: skip
    assert problems_of(body) == [
        ("records.0.employee_id", "Length must be between 1 and 64."),
        ("records.0.hours_logged", "Not a valid number."),
        ("records.0.zz", "Unknown field."),
        ("records.0.aa", "Unknown field."),
        ("records.1._schema", "Invalid input type."),
        ("records.2", "Field may not be null."),
        ("records.3.tasks_total",
         "Must be greater than or equal to 0 and less than or equal to 100000."),
    ]  # fmt: skip


def test_a_rule_across_fields_is_judged_wherever_its_fields_are_valid():
    body = {"records": [{**GOOD, "tasks_total": "x"}, {**GOOD, "tasks_completed": 11}]}
    assert problems_of(body) == [
        ("records.0.tasks_total", "Not a valid integer."),
        ("records.1.tasks_completed", "must not exceed tasks_total"),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], [("_schema", "Invalid input type.")]),
        ({}, [("records", "Missing data for required field.")]),
        ({"records": None}, [("records", "Field may not be null.")]),
        ({"records": {}}, [("records", "Not a valid list.")]),
        ({"records": []}, [("records", "Shorter than minimum length 1.")]),
        ({"records": [GOOD], "x": 1}, [("x", "Unknown field.")]),
    ],
)
def test_the_body_itself_is_checked_like_before(body, expected):
    assert problems_of(body) == expected


def test_at_most_the_limit_of_problems_is_listed_with_their_total():
    body = {"records": [{"employee_id": "", "tasks_total": -1, "tasks_completed": "x",
                         "hours_logged": -1, "bonus": 1}] * 3000}  # fmt: skip
    with pytest.raises(BodyInvalid) as invalid:
        validate_body(body, ANALYZE_BODY, limit=1000)
    assert len(invalid.value.problems) == 1000
    assert invalid.value.total == 5 * 3000
    assert invalid.value.problems[-1]["field"] == "records.199.bonus"
