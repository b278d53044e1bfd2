"""Every setting of the API, the worker and gunicorn, each read from one environment variable.

Each field's `validation_alias` is the variable's name and its description documents it
(the README's configuration table lists the same variables; a test keeps them in step)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from analytics.config import DEFAULT_INSIGHTS

RetrainMode = Literal["kubernetes", "local"]
RETRAIN_MODES: tuple[str, ...] = get_args(RetrainMode)
AsOfMode = Literal["complete", "current"]
AS_OF_MODES: tuple[str, ...] = get_args(AsOfMode)
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Kubernetes mounts the pod's namespace here, next to its service account token.
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
WINDOW_DAYS_RANGE = (28, 730)


class Settings(BaseSettings):
    """The configuration of one process, from its environment (see settings.load)."""

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        # An empty variable means unset, as `EPA_X= command` is commonly written.
        env_ignore_empty=True,
        extra="ignore",
    )

    # --- shared -----------------------------------------------------------------------
    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL URL of the EPA store (required by the API and the worker).",
    )
    log_level: str = Field(
        "info",
        validation_alias="EPA_LOG_LEVEL",
        description=f"Log level of the API (gunicorn) and the worker: {', '.join(LOG_LEVELS)}.",
    )

    # --- API --------------------------------------------------------------------------
    db_pool_size: int = Field(
        10, ge=1, validation_alias="EPA_DB_POOL_SIZE", description="API: connections per process."
    )
    db_acquire_timeout_seconds: int = Field(
        5,
        ge=0,
        validation_alias="EPA_DB_ACQUIRE_TIMEOUT_SECONDS",
        description="API: seconds to wait for a free connection before answering 503.",
    )
    db_statement_timeout_ms: int = Field(
        30_000,
        ge=0,
        validation_alias="EPA_DB_STATEMENT_TIMEOUT_MS",
        description="API: longest query, in milliseconds (0: no limit).",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias="EPA_CORS_ORIGINS",
        description="API: comma-separated browser origins allowed to call /api/*; "
        "none means same-origin only.",
    )
    max_upload_mb: int = Field(
        64, ge=1, validation_alias="EPA_MAX_UPLOAD_MB", description="API: largest request body."
    )
    analyze_max_records: int = Field(
        100_000,
        ge=1,
        validation_alias="EPA_ANALYZE_MAX_RECORDS",
        description="API: most records one POST /api/v1/analyze may carry.",
    )
    heavy_requests_per_process: int = Field(
        2,
        ge=1,
        validation_alias="EPA_HEAVY_REQUESTS_PER_PROCESS",
        description="API: heavy requests (analyze, ingest, reports, composition evaluation) "
        "one process runs at once; more are refused with 429 and Retry-After. gunicorn runs "
        "this many threads on top of EPA_THREADS, so probes never wait behind them.",
    )
    hsts_seconds: int = Field(
        0,
        ge=0,
        validation_alias="EPA_HSTS_SECONDS",
        description="API: Strict-Transport-Security max-age; 0 (off) since TLS usually ends "
        "at the ingress.",
    )
    timezone: str = Field(
        "UTC",
        validation_alias="EPA_TIMEZONE",
        description="API and worker: IANA time zone (such as Europe/Berlin) whose calendar "
        "decides, at ingest, which dates lie in the future and which month is the current "
        "one, and which month a worker run is as of.",
    )
    prometheus_multiproc_dir: str | None = Field(
        None,
        validation_alias="PROMETHEUS_MULTIPROC_DIR",
        description="API: where gunicorn workers share request metrics (a private temporary "
        "folder when unset); emptied at start.",
    )

    # --- gunicorn ---------------------------------------------------------------------
    bind: str = Field(
        "0.0.0.0:8000", validation_alias="EPA_BIND", description="gunicorn: address to listen on."
    )
    workers: int = Field(
        2, ge=1, validation_alias="EPA_WORKERS", description="gunicorn: worker processes."
    )
    threads: int = Field(
        4,
        ge=1,
        validation_alias="EPA_THREADS",
        description="gunicorn: threads per worker for probes and light requests (plus "
        "EPA_HEAVY_REQUESTS_PER_PROCESS threads for heavy ones).",
    )
    worker_timeout: int = Field(
        60,
        ge=0,
        validation_alias="EPA_WORKER_TIMEOUT",
        description="gunicorn: seconds a request may take before its worker is restarted.",
    )

    # --- retraining on demand ---------------------------------------------------------
    retrain_mode: RetrainMode = Field(
        "local",
        validation_alias="EPA_RETRAIN_MODE",
        description="API: how a retrain runs, as a Kubernetes Job (kubernetes) or a local "
        "process (local); kubernetes in a pod, local elsewhere.",
    )
    namespace: str = Field(
        "default",
        validation_alias="EPA_NAMESPACE",
        description="API: Kubernetes namespace of the worker CronJob; the pod's own "
        "namespace, else default.",
    )
    retrain_cronjob: str = Field(
        "epa-worker",
        validation_alias="EPA_RETRAIN_CRONJOB",
        description="API: the worker CronJob a retrain's Job is made from.",
    )
    kubeconfig: str | None = Field(
        None,
        validation_alias="KUBECONFIG",
        description="API: kubeconfig to reach Kubernetes with from outside a cluster.",
    )
    kubernetes_service_host: str | None = Field(
        None,
        validation_alias="KUBERNETES_SERVICE_HOST",
        description="Set by Kubernetes in every pod: the API then retrains through "
        "Kubernetes with the pod's service account.",
    )

    # --- worker -----------------------------------------------------------------------
    window_days: int = Field(
        90,
        ge=WINDOW_DAYS_RANGE[0],
        le=WINDOW_DAYS_RANGE[1],
        validation_alias="EPA_WINDOW_DAYS",
        description="Worker: days of task records each window covers.",
    )
    keep_runs: int = Field(
        30,
        ge=1,
        validation_alias="EPA_KEEP_RUNS",
        description="Worker: how many past runs (and their scores) to keep.",
    )
    trend_threshold: float = Field(
        DEFAULT_INSIGHTS.trend_threshold,
        gt=0,
        validation_alias="EPA_TREND_THRESHOLD",
        description="Worker: score points of change that make a trend improving or declining.",
    )
    team_size: Annotated[tuple[int, int], NoDecode] = Field(
        (DEFAULT_INSIGHTS.min_team_size, DEFAULT_INSIGHTS.max_team_size),
        validation_alias="EPA_TEAM_SIZE",
        description="Worker: smallest and largest team that suggested moves may leave behind "
        "(MIN MAX).",
    )
    audit_retention_days: int = Field(
        365,
        ge=1,
        validation_alias="EPA_AUDIT_RETENTION_DAYS",
        description="Worker: audit records older than this many days are deleted (after each "
        "run, or by audit-prune).",
    )
    pushgateway_url: str | None = Field(
        None,
        validation_alias="EPA_PUSHGATEWAY_URL",
        description="Worker: Prometheus Pushgateway to push each run's batch metrics to "
        "(none when unset).",
    )
    as_of_mode: AsOfMode = Field(
        "complete",
        validation_alias="EPA_AS_OF_MODE",
        description="Worker: the month a run is as of, by the clock in EPA_TIMEZONE: the last "
        "complete month (complete) or the current, partial one (current); task records "
        "after it are ignored and counted.",
    )
    hold_people_drop: float = Field(
        0.2,
        ge=0,
        le=1,
        validation_alias="EPA_HOLD_PEOPLE_DROP",
        description="Worker: a run scoring this share fewer people than the current run is "
        "held instead of published.",
    )
    hold_rows_drop: float = Field(
        0.5,
        ge=0,
        le=1,
        validation_alias="EPA_HOLD_ROWS_DROP",
        description="Worker: a run reading this share fewer task records than the current "
        "run is held.",
    )
    hold_no_tasks_share: float = Field(
        0.5,
        ge=0,
        le=1,
        validation_alias="EPA_HOLD_NO_TASKS_SHARE",
        description="Worker: a run in which more than this share of people have no tasks "
        "(and more than in the current run) is held.",
    )
    hold_imputed_share_rise: float = Field(
        0.3,
        ge=0,
        le=1,
        validation_alias="EPA_HOLD_IMPUTED_SHARE_RISE",
        description="Worker: a run whose share of people with imputed hours rises by more "
        "than this against the current run is held.",
    )
    hold_tier_share_shift: float = Field(
        0.3,
        ge=0,
        le=1,
        validation_alias="EPA_HOLD_TIER_SHARE_SHIFT",
        description="Worker: a run in which a tier's share of people (or the share without "
        "a tier) moves by more than this against the current run is held.",
    )
    hold_department_mean_shift: float = Field(
        25.0,
        ge=0,
        le=100,
        validation_alias="EPA_HOLD_DEPARTMENT_MEAN_SHIFT",
        description="Worker: a run in which a department's mean score moves by more than "
        "this many points against the current run is held.",
    )

    @property
    def in_cluster(self) -> bool:
        return bool(self.kubernetes_service_host)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable a field is read from."""
        alias = cls.model_fields[field].validation_alias
        assert isinstance(alias, str)
        return alias

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every environment variable read, in field order."""
        return tuple(cls.variable(field) for field in cls.model_fields)

    @model_validator(mode="before")
    @classmethod
    def _in_a_pod(cls, data: Any) -> Any:
        """In a pod, retrains default to Kubernetes Jobs in the pod's own namespace."""
        # The values arrive keyed by variable name.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if not data.get("EPA_RETRAIN_MODE") and data.get("KUBERNETES_SERVICE_HOST"):
            data["EPA_RETRAIN_MODE"] = "kubernetes"
        if not data.get("EPA_NAMESPACE") and IN_CLUSTER_NAMESPACE.exists():
            own = IN_CLUSTER_NAMESPACE.read_text().strip()
            if own:
                data["EPA_NAMESPACE"] = own
        return data

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("team_size", mode="before")
    @classmethod
    def _min_max(cls, value: Any) -> Any:
        # "3 12" as click wrote it for --team-size; "3,12" is accepted too.
        if not isinstance(value, str):
            return value
        sizes = tuple(value.replace(",", " ").split())
        if len(sizes) != 2:
            raise ValueError("expected two whole numbers, MIN MAX")
        return sizes

    @field_validator("team_size")
    @classmethod
    def _ordered_sizes(cls, value: tuple[int, int]) -> tuple[int, int]:
        smallest, largest = value
        if not 1 <= smallest <= largest:
            raise ValueError(f"team sizes must satisfy 1 <= MIN <= MAX, got {smallest} {largest}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "must be an IANA time zone name, such as UTC or Europe/Berlin"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.lower()
