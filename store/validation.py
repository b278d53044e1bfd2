"""Validation of an ingest batch against its dataset spec, vectorised with pandera.

Two passes: the first turns text into typed columns and reports values that are not of
their type; the second checks ranges and rules on the rows whose types were right, so one
bad cell does not hide the problems of the others. Every problem names its row (1 is the
first record: the first line after a CSV header, or the first element of a JSON array),
its column and the reason. No problem quotes more than ECHO_LIMIT characters of the input
(see `clip`), however long a value or column name was sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

from store.datasets import Dataset, Field

MAX_PROBLEMS = 1000  # enough to fix a file; more would only make the response huge
ECHO_LIMIT = 200  # characters of input an error may quote (a value, a column or field name)
VALUE_ECHO = 60  # characters of a bad cell quoted in its reason: enough to recognise it


def clip(text: object, limit: int = ECHO_LIMIT) -> str:
    """`text` as a string of at most `limit` characters, ending in an ellipsis when cut.
    Every echo of input in an error goes through here (api.errors applies it to whole
    responses), so a 10 kB column name or a 64 MiB line is never sent back."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    row: int | None  # None when the problem is with the batch as a whole (a missing column)
    column: str | None
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


class ValidationFailed(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the batch")
        self.problems = problems[:MAX_PROBLEMS]
        self.total = len(problems)


_TYPE_NAMES = {
    "text": "text",
    "int": "a whole number",
    "float": "a number",
    "date": "a date (YYYY-MM-DD)",
}


def warm_up() -> None:
    """Validate a one-cell frame: pandera registers its pandas backends (importing their
    check and strategy modules) on a process's first validation, which is then a few
    tenths of a second slower. A server calls this as it starts, not on its first batch."""
    pa.DataFrameSchema({"x": pa.Column(int, pa.Check.ge(0))}).validate(pd.DataFrame({"x": [0]}))


def _dtype(f: Field):
    return {
        "text": pandas_engine.NpString(),
        "int": "Int64",  # nullable, so a masked bad cell can stay empty in the second pass
        "float": "Float64",
        "date": None,  # parsed beforehand by _parse_dates
    }[f.kind]


def _type_schema(dataset: Dataset, *, enforce_required: bool = True) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            f.name: pa.Column(
                _dtype(f), nullable=not (f.required and enforce_required), coerce=True
            )
            for f in dataset.fields
        }
    )


def _rule_schema(dataset: Dataset, today: dt.date) -> pa.DataFrameSchema:
    columns = {}
    for f in dataset.fields:
        checks = []
        if f.min is not None:
            checks.append(pa.Check.ge(f.min, error=f"must be at least {f.min:g}"))
        if f.max is not None:
            checks.append(pa.Check.le(f.max, error=f"must be at most {f.max:g}"))
        if f.kind == "text":
            checks.append(pa.Check.str_length(min_value=1, error="must not be blank"))
            # PostgreSQL text cannot hold NUL, and psycopg2 refuses to send it.
            checks.append(
                pa.Check(
                    lambda s: ~s.str.contains("\x00", regex=False),
                    error="must not contain NUL characters",
                )
            )
        if f.max_length is not None:
            checks.append(
                pa.Check.str_length(
                    max_value=f.max_length, error=f"must be at most {f.max_length} characters"
                )
            )
        if f.month_start:
            checks.append(
                pa.Check(lambda s: s.dt.day == 1, error="must be the first day of a month")
            )
        if f.not_future and f.month_start:
            # A monthly period may be the current month, whatever day of it today is.
            next_month = pd.Timestamp((today.replace(day=1) + dt.timedelta(days=31)).replace(day=1))
            checks.append(
                pa.Check(
                    lambda s, lim=next_month: s < lim, error="must not be after the current month"
                )
            )
        elif f.not_future:
            limit = pd.Timestamp(today)
            checks.append(
                pa.Check(lambda s, lim=limit: s <= lim, error="must not be in the future")
            )
        if f.not_before is not None:
            earliest = pd.Timestamp(f.not_before)
            checks.append(
                pa.Check(
                    lambda s, lim=earliest: s >= lim,
                    error=f"must not be before {f.not_before.isoformat()}",
                )
            )
        checks += _value_rules(f)
        columns[f.name] = pa.Column(nullable=True, checks=checks)
    return pa.DataFrameSchema(
        columns,
        checks=[
            # Rows with an empty (or already reported) cell are not judged by row rules.
            pa.Check(
                lambda d, rc=rc: rc.valid(d).fillna(False).astype(bool) | d.isna().any(axis=1),
                error=rc.message,
            )
            for rc in dataset.row_checks
        ],
    )


def _value_rules(f: Field) -> list[pa.Check]:
    """Checks of a field's value against a bound, a list of choices, a pattern or the
    reserved values of its spec."""
    checks = []
    if f.finite:
        checks.append(
            pa.Check(
                lambda s: pd.Series(np.isfinite(s.to_numpy(dtype="float64")), index=s.index),
                error="must be a finite number (not NaN or infinity)",
            )
        )
    if f.above is not None:
        # NaN (and, for a finite field, -infinity) is left to the finite check: it is no
        # number, not one too small.
        checks.append(
            pa.Check(
                lambda s, lim=f.above, finite=f.finite: (
                    ~(s <= lim) | (finite & np.isinf(s.to_numpy(dtype="float64", na_value=np.nan)))
                ),
                error=f"must be greater than {f.above:g}",
            )
        )
    if f.choices:
        checks.append(pa.Check.isin(f.choices, error=f"must be one of {', '.join(f.choices)}"))
    if f.pattern is not None:
        checks.append(
            pa.Check(
                lambda s, rx=f.pattern: s.str.fullmatch(rx).fillna(False).astype(bool),
                error=f"must be {f.pattern_rule}",
            )
        )
    if f.reserved:
        checks.append(pa.Check.notin(f.reserved, error=f.reserved_reason))
    return checks


def _fill_defaults(typed: pd.DataFrame, dataset: Dataset) -> None:
    """Empty cells of optional columns that have a default take it, in place."""
    for f in dataset.fields:
        if f.default is not None:
            typed[f.name] = typed[f.name].astype(object).where(typed[f.name].notna(), f.default)


def _all_text(col: pd.Series) -> bool:
    """Whether a column holds only text by its dtype (every CSV column), so no cell of it
    can be a JSON number or boolean and none needs looking at one by one."""
    return isinstance(col.dtype, pd.StringDtype)


def _clean_text(frame: pd.DataFrame, dataset: Dataset, *, strip: bool = True) -> pd.DataFrame:
    """Everything as stripped text (JSON numbers included), empty cells as missing; cells
    known to hold no whitespace (`strip=False`) are taken as they are."""
    out = pd.DataFrame(index=frame.index)
    for f in dataset.fields:
        if f.name not in frame:
            out[f.name] = pd.Series(pd.NA, index=frame.index, dtype="object")
            continue
        col = frame[f.name]
        is_missing = col.isna()
        if f.kind in ("int", "float") and not _all_text(col):
            # JSON booleans are numbers in Python; never accept them as numbers.
            bools = col.map(lambda v: isinstance(v, bool))
            text = col.astype("string").str.strip().astype(object)
            text[bools] = "true/false"
        elif strip:
            text = col.astype("string").str.strip().astype(object)
        else:
            text = col.astype("string").astype(object)
        text[is_missing | (text == "")] = None
        out[f.name] = text
    return out


def _numbers_as_text(frame: pd.DataFrame, text: pd.DataFrame, dataset: Dataset) -> set[Problem]:
    """JSON numbers and booleans sent where text is expected: an identifier or a name sent
    as 5e16 would be stored as '5e+16'. Reported, and emptied so the other cells are still
    checked. (CSV cells are all text already.)"""
    found: set[Problem] = set()
    for f in dataset.fields:
        if f.kind != "text" or f.name not in frame or _all_text(frame[f.name]):
            continue
        values = frame[f.name].reset_index(drop=True)
        # NaN is how pandas marks a key missing from a JSON record: that is no value at all.
        wrong = values.map(lambda v: type(v) in (int, float, bool) and v == v)
        for index in values.index[wrong]:
            found.add(Problem(_row(index), f.name, "must be a string"))
            text.at[index, f.name] = None
    return found


def _parse_dates(text: pd.DataFrame, dataset: Dataset) -> set[Problem]:
    """Parse ISO dates in place. Done here rather than by pandera, whose nanosecond dates
    end in 2262 and fail a whole column at once, without naming the row."""
    problems = set()
    for f in dataset.fields:
        if f.kind != "date":
            continue
        raw = text[f.name]
        parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        for index in raw.index[raw.notna() & parsed.isna()]:
            value = clip(raw[index], VALUE_ECHO)
            problems.add(
                Problem(_row(index), f.name, f"must be a date (YYYY-MM-DD), got {value!r}")
            )
        text[f.name] = parsed
    return problems


def _row(index) -> int:
    return int(index) + 1


def _problems_from(
    err: pa.errors.SchemaErrors, dataset: Dataset
) -> tuple[set[Problem], list[tuple[int, str]]]:
    """The problems pandera found, and the (row index, column) cells that had the wrong type."""
    problems: set[Problem] = set()
    bad_cells: list[tuple[int, str]] = []
    for case in err.failure_cases.itertuples(index=False):
        check = str(case.check)
        if check.startswith("dtype("):
            continue  # the same cell is already reported by its coercion failure
        index = case.index
        if index is None or pd.isna(index):
            continue
        if check == "not_nullable":
            reason = "is required"
        elif check.startswith("coerce_dtype"):
            f = dataset.field(case.column)
            reason = f"must be {_TYPE_NAMES[f.kind]}, got {clip(case.failure_case, VALUE_ECHO)!r}"
            bad_cells.append((index, case.column))
        else:
            reason = check
        column = case.column if isinstance(case.column, str) else None
        if case.schema_context == "DataFrameSchema":
            rc = next((rc for rc in dataset.row_checks if rc.message == check), None)
            column = rc.columns[0] if rc else column
        problems.add(Problem(_row(index), column, reason))
    return problems, bad_cells


def validate(
    frame: pd.DataFrame,
    dataset: Dataset,
    today: dt.date | None = None,
    *,
    has_whitespace: bool = True,
) -> pd.DataFrame:
    """Return the batch as typed columns in the dataset's order, or raise ValidationFailed.
    `has_whitespace=False` says no cell holds whitespace (a plain CSV file, see
    store.csv_text.is_plain), which spares stripping every cell of a large batch."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    unknown = [c for c in frame.columns if c not in dataset.columns]
    if unknown:
        named = clip(", ".join(clip(c, VALUE_ECHO) for c in unknown))
        problems.append(Problem(None, named, f"unknown column(s); expected {dataset.columns}"))
    missing = [f.name for f in dataset.fields if f.required and f.name not in frame.columns]
    for name in missing:
        problems.append(Problem(None, name, "required column is missing"))
    if problems:
        raise ValidationFailed(problems)
    if frame.empty:
        raise ValidationFailed([Problem(None, None, "the batch has no records")])

    text = _clean_text(frame.reset_index(drop=True), dataset, strip=has_whitespace)
    found = _numbers_as_text(frame.reset_index(drop=True), text, dataset)
    found |= _parse_dates(text, dataset)
    try:
        typed = _type_schema(dataset).validate(text, lazy=True)
    except pa.errors.SchemaErrors as err:
        type_problems, bad_cells = _problems_from(err, dataset)
        found |= type_problems
        for index, column in bad_cells:
            text.at[index, column] = None  # reported; empty it so the other cells still get checked
        typed = _type_schema(dataset, enforce_required=False).validate(text, lazy=True)

    try:
        _rule_schema(dataset, today).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        found |= _problems_from(err, dataset)[0]
    # A cell that was not a date is empty by now; do not also call it missing.
    explained = {(p.row, p.column) for p in found if p.reason != "is required"}
    problems = [p for p in found if p.reason != "is required" or (p.row, p.column) not in explained]

    duplicated = typed.duplicated(subset=list(dataset.key), keep="first")
    for index in typed.index[duplicated]:
        problems.append(
            Problem(
                _row(index), dataset.key[-1], f"duplicate key {tuple(dataset.key)} in this batch"
            )
        )
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise ValidationFailed(problems)
    for f in dataset.fields:
        if f.kind == "date":
            typed[f.name] = typed[f.name].dt.date
        elif f.kind == "int" and f.required:
            typed[f.name] = typed[f.name].astype("int64")
        elif f.kind == "float" and f.required:
            typed[f.name] = typed[f.name].astype("float64")
    _fill_defaults(typed, dataset)
    return typed[dataset.columns]
