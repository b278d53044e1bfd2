"""The settings: defaults, values from the environment, and errors that name the variable."""

from __future__ import annotations

import pytest

import settings
from analytics.config import DEFAULT_INSIGHTS
from settings import Settings, SettingsError
from settings import model as settings_model


def test_without_variables_every_setting_has_its_default():
    s = settings.load({})

    assert s.database_url is None
    assert (s.db_pool_size, s.db_acquire_timeout_seconds, s.db_statement_timeout_ms) == (
        10,
        5,
        30_000,
    )
    assert (s.cors_origins, s.max_upload_mb, s.analyze_max_records, s.hsts_seconds) == (
        (),
        64,
        100_000,
        0,
    )
    assert (s.bind, s.workers, s.threads, s.worker_timeout, s.log_level) == (
        "0.0.0.0:8000",
        2,
        4,
        60,
        "info",
    )
    assert (s.retrain_mode, s.retrain_cronjob, s.kubeconfig, s.in_cluster) == (
        "local",
        "epa-worker",
        None,
        False,
    )
    assert (s.window_days, s.keep_runs, s.audit_retention_days, s.pushgateway_url) == (
        90,
        30,
        365,
        None,
    )


def test_the_insight_defaults_are_the_analytics_ones():
    s = settings.load({})

    assert s.trend_threshold == DEFAULT_INSIGHTS.trend_threshold
    assert s.team_size == (DEFAULT_INSIGHTS.min_team_size, DEFAULT_INSIGHTS.max_team_size)


def test_variables_override_the_defaults():
    s = settings.load(
        {
            "DATABASE_URL": "postgresql://epa@db/epa",
            "EPA_DB_POOL_SIZE": "3",
            "EPA_CORS_ORIGINS": "https://a.example, https://b.example,",
            "EPA_MAX_UPLOAD_MB": "8",
            "EPA_WORKERS": "5",
            "EPA_LOG_LEVEL": "DEBUG",
            "EPA_TREND_THRESHOLD": "7.5",
            "EPA_TEAM_SIZE": "4 10",
            "EPA_PUSHGATEWAY_URL": "http://pushgateway:9091",
        }
    )

    assert s.database_url == "postgresql://epa@db/epa"
    assert s.db_pool_size == 3
    assert s.cors_origins == ("https://a.example", "https://b.example")
    assert s.max_upload_mb == 8
    assert s.workers == 5
    assert s.log_level == "debug"
    assert s.trend_threshold == 7.5
    assert s.team_size == (4, 10)
    assert s.pushgateway_url == "http://pushgateway:9091"


def test_an_empty_variable_counts_as_unset():
    assert settings.load({"EPA_DB_POOL_SIZE": "", "EPA_TEAM_SIZE": ""}) == settings.load({})


def test_in_a_pod_retrains_default_to_kubernetes_unless_told_otherwise():
    in_pod = {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}

    assert settings.load(in_pod).retrain_mode == "kubernetes"
    assert settings.load(in_pod).in_cluster
    assert settings.load({**in_pod, "EPA_RETRAIN_MODE": "local"}).retrain_mode == "local"


def test_the_namespace_is_the_pods_own_when_not_set(tmp_path, monkeypatch):
    mounted = tmp_path / "namespace"
    mounted.write_text("epa-prod\n")
    monkeypatch.setattr(settings_model, "IN_CLUSTER_NAMESPACE", mounted)

    assert settings.load({}).namespace == "epa-prod"
    assert settings.load({"EPA_NAMESPACE": "epa"}).namespace == "epa"
    mounted.unlink()
    assert settings.load({}).namespace == "default"


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("EPA_DB_POOL_SIZE", "ten", "valid integer"),
        ("EPA_DB_POOL_SIZE", "0", "greater than or equal to 1"),
        ("EPA_WINDOW_DAYS", "7", "greater than or equal to 28"),
        ("EPA_TREND_THRESHOLD", "0", "greater than 0"),
        ("EPA_TEAM_SIZE", "12 3", "MIN <= MAX"),
        ("EPA_TEAM_SIZE", "3", "two whole numbers"),
        ("EPA_RETRAIN_MODE", "cloud", "'kubernetes' or 'local'"),
        ("EPA_LOG_LEVEL", "loud", "one of debug, info"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable, value, reason):
    with pytest.raises(SettingsError) as refused:
        settings.load({variable: value})

    assert f"{variable}={value!r}" in str(refused.value)
    assert reason in str(refused.value)


def test_loading_reads_the_process_environment_and_get_caches_it(monkeypatch):
    settings.get.cache_clear()
    monkeypatch.setenv("EPA_KEEP_RUNS", "12")
    try:
        assert settings.load().keep_runs == 12
        assert settings.get().keep_runs == 12
        monkeypatch.setenv("EPA_KEEP_RUNS", "13")
        assert settings.get().keep_runs == 12
        assert settings.load().keep_runs == 13
        settings.get.cache_clear()
        assert settings.get().keep_runs == 13
    finally:
        settings.get.cache_clear()


def test_every_setting_is_described_and_read_from_one_variable():
    variables = Settings.variables()

    assert len(set(variables)) == len(variables) == len(Settings.model_fields)
    assert all(field.description for field in Settings.model_fields.values())
