"""Schemas of ingestion: one record of each dataset, built from its spec, and the outcome
of a batch."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from store.datasets import Dataset

_FIELD_TYPES = {
    "text": fields.String,
    "int": fields.Integer,
    "float": fields.Float,
    "date": fields.Date,
}


def record_schema(dataset: Dataset) -> type[Schema]:
    """The OpenAPI description of one record of a dataset, built from its spec."""
    attrs = {}
    for f in dataset.fields:
        checks = []
        if f.min is not None or f.max is not None:
            checks.append(validate.Range(min=f.min, max=f.max))
        if f.above is not None:
            checks.append(validate.Range(min=f.above, min_inclusive=False))
        if f.max_length is not None:
            checks.append(validate.Length(min=1, max=f.max_length))
        if f.choices:
            checks.append(validate.OneOf(f.choices))
        if f.pattern is not None:
            checks.append(validate.Regexp(f"^{f.pattern}$"))
        options = {"load_default": f.default} if f.default is not None else {}
        attrs[f.name] = _FIELD_TYPES[f.kind](
            required=f.required,
            allow_none=not f.required,
            validate=checks,
            metadata={"description": f.description},
            **options,
        )
    name = "".join(part.capitalize() for part in dataset.name.split("-")) + "Record"
    return Schema.from_dict(attrs, name=name)


class IngestResultSchema(Schema):
    dataset = fields.String(required=True)
    received = fields.Integer(required=True, metadata={"description": "records in the request"})
    inserted = fields.Integer(required=True, metadata={"description": "new records"})
    updated = fields.Integer(
        required=True, metadata={"description": "records whose values changed"}
    )
    unchanged = fields.Integer(
        required=True, metadata={"description": "records already stored as sent"}
    )
