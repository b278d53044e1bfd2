"""Model metrics on /metrics: read from the current run in a real store on scrape, cached
briefly, and a scrape that still succeeds (with epa_model_metrics_up 0) when the store is
down."""

from __future__ import annotations

import psycopg2
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from psycopg2.extras import Json

from api import create_app
from api.metrics.model import ModelMetricsCollector
from store.db import Database
from tests.prometheus import Exposition, free_port


@pytest.fixture
def scrape():
    """scrape(database_url) -> the app's /metrics page, through a fresh app."""
    apps = []

    def scrape(database_url: str) -> Exposition:
        app = create_app({"DATABASE_URL": database_url, "TESTING": True})
        apps.append(app)
        response = app.test_client().get("/metrics")
        assert response.status_code == 200
        return Exposition(response.text)

    yield scrape
    for app in apps:
        app.extensions["epa_db"].close()


def collect(collector: ModelMetricsCollector) -> Exposition:
    registry = CollectorRegistry()
    registry.register(collector)
    return Exposition(generate_latest(registry).decode())


def insert_current_run(conn, metrics: dict) -> int:
    with conn.cursor() as cur:
        cur.execute(
            """INSERT INTO model_runs (status, is_current, as_of, finished_at, duration_seconds,
                                       employees_scored, metrics)
               VALUES ('succeeded', true, '2026-09-01', now(), 12.5, 10, %s)
               RETURNING run_id""",
            (Json(metrics),),
        )
        run_id = cur.fetchone()[0]
    conn.commit()
    return run_id


HANDMADE_METRICS = {
    "tier_counts": {"High": 3, "Medium": 5, "Low": 2},
    "anomaly_ratio": 0.1,
    "predictor": {"status": "skipped", "cv_f1_macro": None},
    "drift_psi": None,
    "backtest": None,
}


def test_model_metrics_report_the_current_run_of_the_store(scored_database_url, scrape):
    page = scrape(scored_database_url)

    conn = psycopg2.connect(scored_database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT run_id, as_of, extract(epoch FROM finished_at)::float,
                          duration_seconds, metrics
                   FROM model_runs WHERE is_current"""
            )
            run_id, as_of, finished_at, duration, metrics = cur.fetchone()
            cur.execute(
                "SELECT tier, count(*), sum(is_anomaly::int) FROM scores WHERE run_id = %s "
                "GROUP BY tier",
                (run_id,),
            )
            tiers = {tier: (n, anomalies) for tier, n, anomalies in cur.fetchall()}
            cur.execute(
                "SELECT attribute, count(*) FILTER (WHERE adverse_impact) FROM fairness_audit "
                "WHERE run_id = %s GROUP BY attribute",
                (run_id,),
            )
            adverse = dict(cur.fetchall())
    finally:
        conn.close()
    scored = sum(n for n, _ in tiers.values())
    anomalies = sum(a for _, a in tiers.values())

    assert page.value("epa_model_metrics_up") == 1
    (info,) = page.matching("epa_model_info")
    assert info.labels == {"run_id": str(run_id), "as_of": as_of.isoformat()}
    assert info.value == 1
    assert page.value("epa_model_employees_scored") == scored
    assert page.by_label("epa_model_tier_employees", "tier") == {
        tier: n for tier, (n, _) in tiers.items()
    }
    assert page.value("epa_model_anomaly_ratio") == pytest.approx(anomalies / scored)
    assert page.value("epa_model_last_success_timestamp_seconds") == pytest.approx(finished_at)
    assert page.value("epa_model_run_duration_seconds") == pytest.approx(duration)
    assert page.value("epa_model_predictor_f1_macro") == pytest.approx(
        metrics["predictor"]["cv_f1_macro"]
    )
    # The fixture's second run is compared with its first.
    assert page.value("epa_model_score_drift_psi") == pytest.approx(metrics["drift_psi"])
    # Recounted from the stored audit; the demo organisation has two protected attributes.
    assert set(adverse) == {"age_band", "gender"}
    assert page.by_label("epa_model_fairness_adverse_impact_groups", "attribute") == adverse
    assert page.value("epa_model_backtest_macro_f1") == pytest.approx(
        metrics["backtest"]["macro_f1"]
    )
    assert page.value("epa_model_backtest_accuracy") == pytest.approx(
        metrics["backtest"]["accuracy"]
    )


def test_before_any_run_the_store_is_up_and_no_model_is_reported(database_url, scrape):
    page = scrape(database_url)
    assert page.value("epa_model_metrics_up") == 1
    model = {s.name for s in page.samples if s.name.startswith("epa_model_")}
    assert model == {"epa_model_metrics_up"}


def test_a_scrape_succeeds_with_metrics_up_zero_when_the_store_is_unreachable(scrape):
    page = scrape(f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    assert page.value("epa_model_metrics_up") == 0
    assert page.matching("epa_model_info") == []
    # The rest of the page is still served.
    assert page.matching("epa_analyze_records_total")


def test_predictor_f1_drift_and_backtest_are_absent_when_the_run_has_none(database_url, conn):
    insert_current_run(conn, HANDMADE_METRICS)
    db = Database(database_url)
    try:
        page = collect(ModelMetricsCollector(db))
    finally:
        db.close()
    assert page.value("epa_model_anomaly_ratio") == pytest.approx(0.1)
    assert page.by_label("epa_model_tier_employees", "tier") == {"High": 3, "Medium": 5, "Low": 2}
    assert page.matching("epa_model_predictor_f1_macro") == []
    assert page.matching("epa_model_score_drift_psi") == []
    # No protected attributes were audited: no fairness series rather than a reassuring 0.
    assert page.matching("epa_model_fairness_adverse_impact_groups") == []
    assert page.matching("epa_model_backtest_macro_f1") == []
    assert page.matching("epa_model_backtest_accuracy") == []


def test_the_store_is_read_at_most_once_per_cache_period(database_url, conn):
    now = [1000.0]
    db = Database(database_url)
    collector = ModelMetricsCollector(db, cache_seconds=5, clock=lambda: now[0])
    try:
        assert collect(collector).matching("epa_model_info") == []
        run_id = insert_current_run(conn, HANDMADE_METRICS)
        now[0] += 4
        assert collect(collector).matching("epa_model_info") == []  # still the cached read
        now[0] += 1
        (info,) = collect(collector).matching("epa_model_info")
    finally:
        db.close()
    assert info.labels["run_id"] == str(run_id)
