"""Where retrains run: the mode and, in Kubernetes, the CronJob its Jobs are made from."""

from __future__ import annotations

from dataclasses import dataclass

from settings import RETRAIN_MODES, Settings

MODES = RETRAIN_MODES


@dataclass(frozen=True)
class RetrainSettings:
    mode: str
    cronjob: str
    namespace: str
    kubeconfig: str | None = None
    # In a pod without a kubeconfig the pod's service account reaches the API server.
    in_cluster: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrainSettings:
        return cls(
            mode=settings.retrain_mode,
            cronjob=settings.retrain_cronjob,
            namespace=settings.namespace,
            kubeconfig=settings.kubeconfig,
            in_cluster=settings.in_cluster,
        )
