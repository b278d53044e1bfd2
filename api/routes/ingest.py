"""Ingest: JSON arrays or CSV (a text/csv body or a multipart `file`) of one dataset.

A batch is all-or-nothing: validated as a whole, then loaded in one transaction."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pandas as pd
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas.common import ErrorResponseSchema
from api.schemas.ingest import IngestResultSchema, record_schema
from store.bulk import load, unknown_references
from store.csv_text import copy_text, is_plain
from store.datasets import DATASETS, Dataset
from store.validation import Problem, ValidationFailed, validate, warm_up

blp = Blueprint(
    "ingest",
    __name__,
    url_prefix="/api/v1/ingest",
    description="Load employees, task records, surveys, skills, role requirements, "
    "training programs, KPIs, KPI values and scorecards. Re-sending the same data changes "
    "nothing.",
)


def _read_csv(data: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(data),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ApiError(422, f"the CSV could not be read: {exc}") from exc


def _read_json() -> pd.DataFrame:
    body = request.get_json(silent=True)
    if not isinstance(body, list):
        raise ApiError(422, "the JSON body must be an array of records (objects)")
    problems = [
        Problem(i + 1, None, "must be an object").to_dict()
        for i, record in enumerate(body)
        if not isinstance(record, dict)
    ]
    problems += [
        Problem(i + 1, key, "must be a single value, not an object or array").to_dict()
        for i, record in enumerate(body)
        if isinstance(record, dict)
        for key, value in record.items()
        if isinstance(value, dict | list)
    ]
    if problems:
        raise ApiError(422, f"{len(problems)} problem(s) found; nothing was written", problems)
    # object dtype keeps each value as sent: 10 stays 10 beside a 2.5, not 10.0
    return pd.DataFrame(body, dtype=object)


def read_batch() -> tuple[pd.DataFrame, bytes | None]:
    """The request's records as text cells, whatever format they came in, and the CSV
    they were read from (None for JSON)."""
    if "file" in request.files:
        data = request.files["file"].read()
        return _read_csv(data), data
    if request.mimetype in ("text/csv", "application/csv"):
        data = request.get_data()
        return _read_csv(data), data
    if request.is_json:
        return _read_json(), None
    raise ApiError(
        415, "send application/json (an array of records), text/csv, or a multipart 'file'"
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today on the calendar of the configured time zone (TIMEZONE), which decides what is
    in the future. The app's CLOCK (an aware datetime, now) can be replaced in tests."""
    now = current_app.config.get("CLOCK", _utc_now)()
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _ingest(dataset: Dataset) -> dict:
    raw, data = read_batch()
    try:
        frame = validate(
            raw, dataset, today=today(), has_whitespace=data is None or not is_plain(data)
        )
    except ValidationFailed as exc:
        if any(p.row is None for p in exc.problems):
            raise  # the batch's columns are wrong; row-level findings would only be noise
        with get_db().connection() as conn:
            extra = unknown_references(conn, dataset, raw.reset_index(drop=True))
        problems = sorted([*exc.problems, *extra], key=lambda p: (p.row or 0, p.column or ""))
        raise ValidationFailed(problems) from None
    text = copy_text(data, raw, frame, dataset) if data is not None else None
    # load() checks references again inside the transaction: that check is the binding one.
    with get_db().transaction() as conn:
        result = load(conn, dataset, frame, csv_text=text)
        # In the load's own transaction: no committed batch without its record.
        audit.record(conn, "ingest", dataset.name, **result.to_dict())
    return {"dataset": dataset.name, **result.to_dict()}


def _register(dataset: Dataset) -> None:
    body_schema = record_schema(dataset)
    columns = ", ".join(dataset.columns)

    class IngestView(MethodView):
        @blp.doc(
            summary=f"Load {dataset.name}",
            description=f"{dataset.description} Key: {', '.join(dataset.key)}. "
            f"CSV header: {columns}.",
            requestBody={
                "required": True,
                "content": {
                    # An empty batch has no columns to check, and is refused (422).
                    "application/json": {
                        "schema": {"type": "array", "minItems": 1, "items": body_schema}
                    },
                    "text/csv": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                            "required": ["file"],
                        }
                    },
                },
            },
        )
        @blp.response(200, IngestResultSchema)
        @blp.alt_response(
            422,
            schema=ErrorResponseSchema,
            description="The batch is not valid; nothing was written.",
        )
        @blp.alt_response(
            400, schema=ErrorResponseSchema, description="The JSON body is nested too deeply."
        )
        @blp.alt_response(413, schema=ErrorResponseSchema, description="The request is too large.")
        @blp.alt_response(415, schema=ErrorResponseSchema, description="Unsupported content type.")
        def post(self):
            return _ingest(dataset)

    blp.add_url_rule(
        f"/{dataset.name}", endpoint=dataset.name.replace("-", "_"), view_func=IngestView
    )


for _dataset in DATASETS.values():
    _register(_dataset)

warm_up()  # at import, as the app is built: the first batch a worker takes does not pay it
