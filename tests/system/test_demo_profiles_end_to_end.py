"""Every demo organisation, end to end: loaded through the real validation and bulk load,
scored by a worker run on real PostgreSQL, and read back through the API. Tiers,
anomalies, the predictor, explanations, trends, teams and reports all follow each
organisation's scorecards, including the restaurant group that has no task record at all."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import psycopg2
import pytest

from store.datasets import BUILTIN_KPIS
from tests.conftest import admin_client, fresh_database, running_app
from tests.helpers import first_of_month
from worker.demo import generate_organisation
from worker.demo.loading import load_organisation
from worker.demo.profiles import PROFILES
from worker.run import execute_run

EMPLOYEES = 400
KPI_PROFILES = [name for name, company in PROFILES.items() if company.kpis]


@pytest.fixture(scope="module", params=list(PROFILES))
def profile(request, pg_server, template_url) -> Iterator[tuple[str, object, dict]]:
    """(profile name, an admin client of the API over it, the generated frames)."""
    name = request.param
    with fresh_database(pg_server) as url:
        frames = generate_organisation(
            employees=EMPLOYEES, seed=5, end_period=first_of_month(1), company=PROFILES[name]
        )
        with psycopg2.connect(url) as conn:
            for _ in load_organisation(conn, frames):
                pass
        conn.close()
        outcome = execute_run(url)
        assert outcome.status == "succeeded", outcome
        with running_app(url) as app:
            yield name, admin_client(app, url), frames


def get(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.json)
    return response.json


def results(client) -> list[dict]:
    rows = get(client, f"/api/v1/employees?limit={EMPLOYEES}")["data"]
    assert len(rows) == EMPLOYEES
    return rows


def custom_kpis(frames) -> set[str]:
    return set(frames["kpis"]["kpi_id"])


def test_a_run_scores_everyone_with_three_tiers_some_anomalies_and_a_trained_predictor(profile):
    _, client, _ = profile
    run = get(client, "/api/v1/models/current")
    metrics = run["metrics"]
    assert metrics["employees_scored"] == EMPLOYEES
    assert all(metrics["tier_counts"][t] > 0 for t in ("High", "Medium", "Low"))
    assert 0 < metrics["anomaly_count"] < 0.1 * EMPLOYEES
    assert metrics["predictor"]["status"] == "trained", metrics["predictor"]
    assert metrics["flag_counts"]["no_tasks"] < 0.02 * EMPLOYEES


def test_tiers_follow_the_scores_on_every_scorecard(profile):
    _, client, _ = profile
    by_card: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in results(client):
        if row["tier"] is not None:
            by_card[row["components"]["scorecard"] or "default"][row["tier"]].append(row["score"])
    checked = 0
    for card, tiers in by_card.items():
        means = [np.mean(tiers[t]) for t in ("High", "Medium", "Low") if t in tiers]
        assert means == sorted(means, reverse=True), (card, means)
        checked += len(means) >= 2
    assert checked >= 1


def test_every_result_names_the_kpis_of_its_scorecard_with_points_that_add_up(profile):
    name, client, frames = profile
    cards = frames["scorecards"].groupby("job_title")["kpi_id"].agg(set).to_dict()
    for row in results(client)[:: EMPLOYEES // 40]:  # every tenth person
        detail = get(client, f"/api/v1/employees/{row['employee_id']}")["result"]
        expected = cards.get(row["job_title"])
        named = {k["kpi_id"] for k in detail["components"]["kpis"]}
        if expected is None:  # the default scorecard: the task measures
            assert named == set(BUILTIN_KPIS), (name, row["job_title"])
        else:
            assert named == expected, (name, row["job_title"])
        score = detail["explanation"]["score"]
        total = score["baseline"] + sum(c["points"] for c in score["components"])
        assert total == pytest.approx(detail["score"], abs=0.01)


@pytest.mark.parametrize("profile", KPI_PROFILES, indirect=True)
def test_anomaly_drivers_and_predictor_features_name_the_custom_kpis(profile):
    _, client, frames = profile
    kpis = custom_kpis(frames)
    anomalies = get(client, "/api/v1/employees?anomaly=true&limit=100")["data"]
    assert anomalies
    drivers = set()
    for row in anomalies:
        detail = get(client, f"/api/v1/employees/{row['employee_id']}")["result"]
        drivers |= {d["feature"] for d in detail["explanation"]["anomaly_drivers"]}
    assert drivers & kpis
    predictor = get(client, "/api/v1/models/current")["metrics"]["predictor"]
    used = {f for f, importance in predictor["feature_importances"].items() if importance > 0}
    assert {f"kpi:{kpi}" for kpi in kpis} & used


def test_trends_teams_and_reports_answer_for_every_department(profile):
    _, client, frames = profile
    departments = [d["department"] for d in get(client, "/api/v1/departments")["data"]]
    assert departments
    for department in departments:
        trend = get(client, f"/api/v1/departments/{department}/trend")
        assert trend["windows"], department
        csv = client.get(f"/api/v1/departments/{department}/report.csv")
        html = client.get(f"/api/v1/departments/{department}/report.html")
        assert csv.status_code == html.status_code == 200, department
    teams = get(client, "/api/v1/teams?limit=100")["data"]
    assert teams and all(sum(t["tiers"].values()) == t["members"] for t in teams)
    someone = results(client)[0]
    assert get(client, f"/api/v1/employees/{someone['employee_id']}/trend")["trend"]
    report = client.get(f"/api/v1/employees/{someone['employee_id']}/report")
    assert report.status_code == 200
    # The person's report names the KPIs of their scorecard (by name or id).
    card = frames["scorecards"].loc[frames["scorecards"]["job_title"] == someone["job_title"]]
    kpis = frames["kpis"].loc[frames["kpis"]["kpi_id"].isin(card["kpi_id"])]
    for kpi_id, kpi_name in zip(kpis["kpi_id"], kpis["name"], strict=True):
        assert kpi_id in report.text or kpi_name in report.text, kpi_id


@pytest.mark.parametrize("profile", ["restaurant"], indirect=True)
def test_a_kpi_only_organisation_has_no_workload_and_nobody_without_tasks_flagged(profile):
    _, client, _ = profile
    assert not any("no_tasks" in row["flags"] for row in results(client))
    teams = get(client, "/api/v1/teams?limit=100")["data"]
    assert all(t["workload"] == {"average": None, "cv": None} for t in teams)
    suggestions = get(client, f"/api/v1/departments/{teams[0]['department']}/team-suggestions")
    for suggestion in suggestions["data"]:
        assert suggestion["details"]["workload_imbalance"]["before"] is None


def test_the_demo_ends_with_the_month_before_the_run(profile):
    _, client, frames = profile
    as_of = dt.date.fromisoformat(get(client, "/api/v1/models/current")["as_of"])
    assert as_of == first_of_month(1)
    for dataset in ("kpi-values", "task-records"):
        if len(frames[dataset]):
            assert max(frames[dataset]["period"]) == as_of
