"""Validation of a JSON body of record lists, vectorised over each whole list.

A body is declared, not coded: each top-level key names a `RecordList` of `Field`s (type,
required or default, range, length) and `RowRule`s (checks across fields of one record).
Each field of a list becomes one column, built once from the parsed JSON; types, ranges
and lengths are then checked on whole columns with NumPy and pandas, rather than by one
schema object per record, so 50,000 bad records cost milliseconds, not seconds.

Problems are located like the API's other body errors (`location` json, `field`
"records.3.tasks_total") and worded as marshmallow words them, since the same fields were
validated by marshmallow schemas before. A rule is judged only on records whose fields it
reads are valid, so one bad cell does not hide the problems of the others. However many
problems there are, at most `limit` are listed, in record and field order, with their
total: the answer to a body of 50,000 bad records stays small.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

import numpy as np
import pandas as pd
from marshmallow import fields, validate

from store.validation import MAX_PROBLEMS


class _Missing:
    """A key absent from a record (JSON null is None, which is another problem)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()
FieldKind = Literal["string", "integer", "number"]

_NOT_A = {
    "string": "Not a valid string.",
    "integer": "Not a valid integer.",
    "number": "Not a valid number.",
}
_REQUIRED = "Missing data for required field."
_NULL = "Field may not be null."
_SPECIAL = "Special numeric values (nan or infinity) are not permitted."
_INTEGER_TEXT = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$")
_SPECIAL_TEXT = re.compile(r"^\s*[+-]?(nan|inf|infinity)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One field of a record. Absent and not `required`, it takes `default`."""

    name: str
    kind: FieldKind
    required: bool = True
    default: Any = MISSING
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    description: str | None = None
    # False: numbers must lie strictly above `minimum` (a weight above 0).
    minimum_inclusive: bool = True
    # Text that must be one of these values.
    choices: tuple[str, ...] = ()
    # A number that may be absent or null: not known (NaN), which is no problem.
    nullable: bool = False

    def documented(self) -> fields.Field:
        """The marshmallow field that documents this one in the OpenAPI document."""
        if self.kind == "string":
            rules: list = [validate.Length(min=self.min_length, max=self.max_length)]
            if self.choices:
                rules.append(validate.OneOf(self.choices))
        else:
            rules = [
                validate.Range(
                    min=self.minimum, max=self.maximum, min_inclusive=self.minimum_inclusive
                )
            ]
        options: dict[str, Any] = {
            "required": self.required,
            "validate": rules,
            "allow_none": self.nullable,
        }
        if self.default is not MISSING:
            options["load_default"] = self.default
        if self.description:
            options["metadata"] = {"description": self.description}
        kind = {"string": fields.String, "integer": fields.Integer, "number": fields.Float}
        return kind[self.kind](**options)

    def range_reason(self) -> str:
        """As marshmallow's validate.Range words it."""
        low, high = self.minimum, self.maximum
        above = "greater than or equal to" if self.minimum_inclusive else "greater than"
        if high is None:
            return f"Must be {above} {low}."
        if low is None:
            return f"Must be less than or equal to {high}."
        return f"Must be {above} {low} and less than or equal to {high}."

    def choice_reason(self) -> str:
        """As marshmallow's validate.OneOf words it."""
        return f"Must be one of: {', '.join(self.choices)}."

    def length_reason(self) -> str:
        """As marshmallow's validate.Length words it."""
        low, high = self.min_length, self.max_length
        if high is None:
            return f"Shorter than minimum length {low}."
        if low is None:
            return f"Longer than maximum length {high}."
        return f"Length must be between {low} and {high}."


@dataclass(frozen=True)
class RowRule:
    """A check across fields of one record, reported at `field` when `holds` is False.

    `holds` receives the typed columns of the records whose `reads` fields are all valid
    and answers one boolean per record."""

    field: str
    reads: tuple[str, ...]
    reason: str
    holds: Callable[[pd.DataFrame], np.ndarray | pd.Series]


@dataclass(frozen=True)
class RecordList:
    """A top-level key holding a list of records."""

    fields: tuple[Field, ...]
    rules: tuple[RowRule, ...] = ()
    required: bool = True
    min_items: int = 1

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


class BodyInvalid(ValueError):
    """The body broke its declaration: the first problems (at most the limit) and how
    many there were in all."""

    def __init__(self, problems: list[dict], total: int) -> None:
        super().__init__(f"{total} problem(s) in the request body")
        self.problems, self.total = problems, total


class _Problems:
    """Problems of one record list, gathered as arrays and ordered once at the end."""

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []
        self._ranks: list[np.ndarray] = []
        self._fields: list[np.ndarray] = []
        self._reasons: list[np.ndarray] = []

    def add(self, rows: np.ndarray, rank: int | np.ndarray, field: Any, reason: Any) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        self._rows.append(rows)
        self._ranks.append(np.broadcast_to(np.asarray(rank, dtype=np.int64), rows.shape))
        self._fields.append(np.broadcast_to(np.asarray(field, dtype=object), rows.shape))
        self._reasons.append(np.broadcast_to(np.asarray(reason, dtype=object), rows.shape))

    def first(self, path: str, limit: int) -> tuple[list[dict], int]:
        if not self._rows:
            return [], 0
        rows = np.concatenate(self._rows)
        ranks = np.concatenate(self._ranks)
        order = np.lexsort((ranks, rows))[:limit]
        names = np.concatenate(self._fields)[order]
        reasons = np.concatenate(self._reasons)[order]
        listed = [
            {"location": "json", "field": _at(path, row, name), "reason": reason}
            for row, name, reason in zip(rows[order].tolist(), names, reasons, strict=True)
        ]
        return listed, len(rows)


def _at(path: str, row: int, name: str | None) -> str:
    return f"{path}.{row}" if name is None else f"{path}.{row}.{name}"


def _kinds(values: Sequence) -> np.ndarray:
    """The exact type of every value (JSON gives exact types: no subclass to allow for)."""
    return np.fromiter(map(type, values), dtype=object, count=len(values))


def _of(kinds: np.ndarray, kind: type) -> np.ndarray:
    return np.equal(kinds, kind)


def _objects(values: Sequence) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _check_field(
    f: Field, values: np.ndarray, rows: np.ndarray, rank: int, found: _Problems
) -> tuple[np.ndarray, np.ndarray]:
    """The field's typed column and which records hold a valid value; problems to `found`."""
    kinds = _kinds(values)
    missing = _of(kinds, _Missing)
    unknown = (missing | _of(kinds, type(None))) if f.nullable else None
    if unknown is not None:
        values = values.copy()
        values[unknown] = 0.0  # checked as a valid number, then NaN below
        kinds[unknown] = float
        missing[:] = False
    if not f.required:
        values = values.copy()
        values[missing] = f.default
        kinds[missing] = type(f.default)
        missing[:] = False
    null = _of(kinds, type(None))
    found.add(rows[missing], rank, f.name, _REQUIRED)
    found.add(rows[null], rank, f.name, _NULL)
    present = ~(missing | null)
    check = _check_text if f.kind == "string" else _check_number
    typed, valid = check(
        f, values, kinds, present, lambda bad, reason: found.add(rows[bad], rank, f.name, reason)
    )
    if unknown is not None:
        typed = np.where(unknown, np.nan, typed)
    return typed, valid


def _matches(pattern: re.Pattern, strings: np.ndarray) -> np.ndarray:
    """Which strings match: one C-level pass (pandas' .str methods loop in Python)."""
    found = np.fromiter(map(pattern.match, strings), dtype=object, count=len(strings))
    return np.not_equal(found, None)


def _check_text(
    f: Field, values: np.ndarray, kinds: np.ndarray, present: np.ndarray, report: Callable
) -> tuple[np.ndarray, np.ndarray]:
    text = _of(kinds, str)
    report(present & ~text, _NOT_A[f.kind])
    lengths = np.zeros(len(values), dtype=np.int64)
    lengths[text] = np.fromiter(map(len, values[text]), dtype=np.int64, count=int(text.sum()))
    bad_length = np.zeros(len(values), dtype=bool)
    if f.min_length is not None:
        bad_length |= text & (lengths < f.min_length)
    if f.max_length is not None:
        bad_length |= text & (lengths > f.max_length)
    report(bad_length, f.length_reason())
    return values, text & ~bad_length


def _parse_numbers(strings: np.ndarray, kind: FieldKind) -> np.ndarray:
    """Numbers sent as strings ("12", " 1.5 "), NaN where a string is none. Only strings
    shaped like a number are handed to float(), which then cannot fail."""
    shaped = _matches(_INTEGER_TEXT if kind == "integer" else _NUMBER_TEXT, strings)
    numbers = np.full(len(strings), np.nan)
    numbers[shaped] = np.fromiter(map(float, strings[shaped]), dtype=np.float64)
    return numbers


def _check_number(
    f: Field, values: np.ndarray, kinds: np.ndarray, present: np.ndarray, report: Callable
) -> tuple[np.ndarray, np.ndarray]:
    # bool is no number here: JSON true is not 1 (marshmallow decided the same).
    number = _of(kinds, int) | _of(kinds, float)
    text = _of(kinds, str)
    numbers = np.full(len(values), np.nan)
    numbers[number] = values[number].astype(np.float64)
    special = np.zeros(len(values), dtype=bool)
    if text.any():
        # Numbers sent as strings were accepted, and still are.
        strings = values[text]
        numbers[text] = _parse_numbers(strings, f.kind)
        if f.kind == "number":
            special[text] = _matches(_SPECIAL_TEXT, strings) | np.isinf(numbers[text])
    readable = (number | text) & np.isfinite(numbers)
    if f.kind == "integer":
        readable &= np.floor(numbers) == numbers
    report(special, _SPECIAL)
    report(present & ~readable & ~special, _NOT_A[f.kind])
    in_range = readable.copy()
    if f.minimum is not None:
        in_range &= ~(numbers < f.minimum)
    if f.maximum is not None:
        in_range &= ~(numbers > f.maximum)
    report(readable & ~in_range, f.range_reason())
    typed = np.where(in_range, numbers, 0.0)
    return (typed.astype(np.int64) if f.kind == "integer" else typed), in_range


def _check_records(
    items: list, spec: RecordList, path: str, limit: int
) -> tuple[pd.DataFrame | None, list[dict], int]:
    """Typed columns of a valid list, else None, with its first problems and their total."""
    found = _Problems()
    kinds = _kinds(items)
    is_record = _of(kinds, dict)
    found.add(np.flatnonzero(_of(kinds, type(None))), -1, None, _NULL)
    found.add(
        np.flatnonzero(~is_record & ~_of(kinds, type(None))), -1, "_schema", "Invalid input type."
    )
    rows = np.flatnonzero(is_record)
    records = [items[i] for i in rows]
    known = set(spec.names())
    # Unknown keys come after the declared fields, in the order they were sent.
    unknown = [
        (row, len(spec.fields) + order, key)
        for row, record in zip(rows.tolist(), records, strict=True)
        if not record.keys() <= known
        for order, key in enumerate(key for key in record if key not in known)
    ]
    if unknown:
        at, ranks, keys = zip(*unknown, strict=True)
        found.add(np.array(at), np.array(ranks), _objects(keys), "Unknown field.")
    columns: dict[str, np.ndarray] = {}
    valid: dict[str, np.ndarray] = {}
    for rank, f in enumerate(spec.fields):
        # dict.get mapped in C: no Python frame per record.
        cells = map(dict.get, records, repeat(f.name), repeat(MISSING))
        values = np.fromiter(cells, dtype=object, count=len(records))
        columns[f.name], valid[f.name] = _check_field(f, values, rows, rank, found)
    typed = pd.DataFrame(columns)
    ranks = {name: rank for rank, name in enumerate(spec.names())}
    for rule in spec.rules:
        judged = np.logical_and.reduce([valid[name] for name in rule.reads])
        broken = np.zeros(len(records), dtype=bool)
        broken[judged] = ~np.asarray(rule.holds(typed[judged]), dtype=bool)
        found.add(rows[broken], ranks[rule.field], rule.field, rule.reason)
    listed, total = found.first(path, limit)
    return (None if total else typed), listed, total


def validate_body(
    body: Any, declaration: Mapping[str, RecordList], *, limit: int = MAX_PROBLEMS
) -> dict[str, pd.DataFrame]:
    """Each declared record list of `body` as typed columns (one row per record, in
    order), or BodyInvalid with the first `limit` problems and their total."""
    if not isinstance(body, dict):
        raise BodyInvalid(
            [{"location": "json", "field": "_schema", "reason": "Invalid input type."}], 1
        )
    listed: list[dict] = []
    total = 0
    lists: dict[str, pd.DataFrame] = {}

    def report(field: str, reason: str) -> None:
        nonlocal total
        listed.append({"location": "json", "field": field, "reason": reason})
        total += 1

    for name, spec in declaration.items():
        items = body.get(name, MISSING)
        if items is MISSING:
            if spec.required:
                report(name, _REQUIRED)
            continue
        if items is None:
            report(name, _NULL)
        elif not isinstance(items, list):
            report(name, "Not a valid list.")
        elif len(items) < spec.min_items:
            report(name, f"Shorter than minimum length {spec.min_items}.")
        else:
            typed, problems, count = _check_records(items, spec, name, limit)
            listed += problems
            total += count
            if typed is not None:
                lists[name] = typed
    for key in body:
        if key not in declaration:
            report(key, "Unknown field.")
    if total:
        raise BodyInvalid(listed[:limit], total)
    return lists
