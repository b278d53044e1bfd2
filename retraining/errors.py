"""Why a retrain could not be started or read, in the retrain's own terms.

Callers decide what each means to them (the API answers 409, 404 or 503)."""

from __future__ import annotations


class RetrainError(Exception):
    """A retrain could not be started or read; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetrainConflict(RetrainError):
    """Another retrain is pending or running: one at a time."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"retrain {request_id} is already in progress")
        self.request_id = request_id


class RetrainNotFound(RetrainError):
    """What the retrain was asked about does not exist."""


class RetrainUnavailable(RetrainError):
    """The means of retraining (Kubernetes, its permissions, a local process) is missing."""
