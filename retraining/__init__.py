"""On-demand retraining: one more worker run now instead of waiting for the schedule.

In Kubernetes a retrain is a Job made from the worker CronJob (retraining.kubernetes);
elsewhere a local worker process tracked in the store (retraining.local, whose supervisor
is retraining.supervisor). Failures are the domain errors of retraining.errors."""

from __future__ import annotations

from retraining.config import MODES, RetrainSettings
from retraining.errors import RetrainConflict, RetrainError, RetrainNotFound, RetrainUnavailable
from retraining.kubernetes import KubernetesLauncher
from retraining.local import LocalLauncher

__all__ = [
    "MODES",
    "KubernetesLauncher",
    "LocalLauncher",
    "RetrainConflict",
    "RetrainError",
    "RetrainNotFound",
    "RetrainSettings",
    "RetrainUnavailable",
    "launcher",
]


def launcher(settings: RetrainSettings, database_url: str) -> KubernetesLauncher | LocalLauncher:
    """The launcher of the configured mode."""
    if settings.mode == "kubernetes":
        return KubernetesLauncher(settings)
    return LocalLauncher(database_url)
