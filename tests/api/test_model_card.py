"""The model card of a run through the API: its JSON sections taken from the run as stored
(window, sizes, features, scorecards, CV / hold-out / back-tested metrics, fairness audit),
the printable HTML page with every section, 404s, and admin and HR only."""

from __future__ import annotations

import pytest

from api.presenters.model_cards import LIMITATIONS, NO_PROTECTED_ATTRIBUTES
from store.tokens import BOUND_ROLES
from tests.helpers import issue_token, query, seed_demo
from worker.run import RunFailed, execute_run

SECTIONS = (
    "Intended use",
    "Data",
    "Features",
    "Scorecards",
    "Performance",
    "Back-test",
    "Fairness audit",
    "Known limitations",
)


def as_role(app, database_url: str, role: str, employee_id: str | None = None):
    client = app.test_client()
    bearer = issue_token(database_url, role, employee_id if role in BOUND_ROLES else None)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return client


def stored_run(database_url: str, run_id: int) -> dict:
    return query(
        database_url,
        "SELECT run_id, as_of, params, metrics, rows_read, employees_scored FROM model_runs "
        "WHERE run_id = %s",
        (run_id,),
        as_dicts=True,
    )[0]


def test_the_card_of_a_run_after_a_run_carries_its_data_features_metrics_and_backtest(
    scored_client, db
):
    (second,) = query(db, "SELECT max(run_id) FROM model_runs")[0]
    (first,) = query(db, "SELECT min(run_id) FROM model_runs")[0]
    response = scored_client.get(f"/api/v1/models/{second}/card")

    assert response.status_code == 200, response.json
    assert response.mimetype == "application/json"
    card = response.json
    run = stored_run(db, second)
    predictor = run["metrics"]["predictor"]
    assert card["run_id"] == second
    assert "Never an automated decision" in card["intended_use"]
    assert card["data"]["as_of"] == run["as_of"].isoformat()
    assert card["data"]["window_days"] == run["params"]["window_days"]
    assert card["data"]["rows_read"] == run["rows_read"]
    assert card["data"]["employees_scored"] == run["employees_scored"]
    features = [f["feature"] for f in card["features"]["predictor"]]
    assert set(features) == set(predictor["feature_importances"]) and features
    importances = [f["importance"] for f in card["features"]["predictor"]]
    assert importances == sorted(importances, reverse=True)  # most important first
    assert "never model features" in card["features"]["protected_attributes"]
    # The demo's protected attributes are stored apart and never a feature.
    attributes = [r[0] for r in query(db, "SELECT DISTINCT attribute FROM protected_attributes")]
    assert attributes
    assert not any(a in f for a in attributes for f in features)
    assert [s["scorecard"] for s in card["scorecards"]] == [
        s["scorecard"] for s in run["metrics"]["scorecards"]
    ]
    performance = card["performance"]
    assert performance["cv_f1_macro"] == pytest.approx(predictor["cv_f1_macro"], abs=1e-4)
    assert performance["holdout_f1_macro"] == pytest.approx(predictor["holdout_f1_macro"], abs=1e-4)
    backtest = run["metrics"]["backtest"]
    assert performance["backtest"]["previous_run_id"] == first
    assert performance["backtest"]["employees"] == backtest["employees"]
    assert performance["backtest"]["macro_f1"] == pytest.approx(backtest["macro_f1"], abs=1e-4)
    assert performance["backtest"]["confusion"] == backtest["confusion"]
    assert card["limitations"] == list(LIMITATIONS)


def test_the_card_shows_the_runs_fairness_audit_as_stored(scored_client, db):
    card = scored_client.get("/api/v1/models/current/card").json
    (run_id,) = query(db, "SELECT run_id FROM model_runs WHERE is_current")[0]
    stored = query(
        db,
        'SELECT attribute, "group", suppressed, employees FROM fairness_audit '
        'WHERE run_id = %s ORDER BY attribute, "group" COLLATE "C"',
        (run_id,),
    )
    assert card["run_id"] == run_id
    assert stored
    assert [
        (g["attribute"], g["group"], g["suppressed"], g["employees"])
        for g in card["fairness"]["data"]
    ] == [tuple(row) for row in stored]


def test_the_first_runs_card_has_no_backtest(scored_client, db):
    (first,) = query(db, "SELECT min(run_id) FROM model_runs")[0]
    card = scored_client.get(f"/api/v1/models/{first}/card").json
    assert card["performance"]["backtest"] is None


@pytest.mark.parametrize(
    ("query_string", "headers"),
    [("?format=html", {}), ("", {"Accept": "text/html"})],
)
def test_the_card_renders_as_a_printable_page_with_every_section(
    scored_client, db, query_string, headers
):
    (second,) = query(db, "SELECT max(run_id) FROM model_runs")[0]
    response = scored_client.get(f"/api/v1/models/{second}/card{query_string}", headers=headers)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    for section in SECTIONS:
        assert f">{section}</h" in page, section
    assert f"Model card · run {second}" in page
    assert "Realised \\ predicted" in page
    assert LIMITATIONS[0] in page
    assert "<script" not in page


def test_an_unknown_format_is_refused_naming_the_field(scored_client):
    response = scored_client.get("/api/v1/models/current/card?format=pdf")
    assert response.status_code == 422
    assert "format" in str(response.json)


def test_an_unknown_run_is_a_404_naming_it(scored_client):
    response = scored_client.get("/api/v1/models/987654/card")
    assert response.status_code == 404
    assert "987654" in response.json["message"]


def test_without_a_current_run_the_current_card_is_a_404(client):
    assert client.get("/api/v1/models/current/card").status_code == 404


def test_a_failed_run_has_no_card(client, database_url):
    with pytest.raises(RunFailed):  # nothing to analyse: the run is recorded as failed
        execute_run(database_url)
    (failed,) = query(database_url, "SELECT run_id FROM model_runs WHERE status = 'failed'")[0]
    response = client.get(f"/api/v1/models/{failed}/card")
    assert response.status_code == 404
    assert "failed" in response.json["message"]


def test_without_protected_attributes_the_card_says_none_were_provided(client, database_url):
    seed_demo(database_url, employees=120)
    query(database_url, "DELETE FROM protected_attributes")
    run_id = execute_run(database_url).run_id

    card = client.get(f"/api/v1/models/{run_id}/card").json
    assert card["fairness"]["data"] == []
    assert card["fairness"]["note"] == NO_PROTECTED_ATTRIBUTES
    page = client.get(f"/api/v1/models/{run_id}/card?format=html").get_data(as_text=True)
    assert "No protected attributes were provided" in page


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_admin_and_hr_read_the_card(scored_app, scored_database_url, role):
    client = as_role(scored_app, scored_database_url, role)
    assert client.get("/api/v1/models/current/card").status_code == 200


@pytest.mark.parametrize("role", ["manager", "employee", "ingest"])
def test_other_roles_may_not_read_the_card(scored_app, scored_database_url, db, role):
    (someone,) = query(db, "SELECT min(manager_id) FROM employees")[0]
    client = as_role(scored_app, scored_database_url, role, someone)
    assert client.get("/api/v1/models/current/card").status_code == 403
    assert client.get("/api/v1/models/current/card?format=html").status_code == 403
