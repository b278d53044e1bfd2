"""Request and response schemas, one module per resource (common.py holds what they share):
they validate input and write the OpenAPI document."""

from __future__ import annotations

from api.schemas.common import ErrorResponseSchema

__all__ = ["ErrorResponseSchema"]
