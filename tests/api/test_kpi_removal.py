"""Removing KPIs and scorecards through the API on a real PostgreSQL: a KPI that a
scorecard uses, a built-in KPI or an unknown one is refused and nothing changes; an unused
custom KPI goes with its values, audited."""

from __future__ import annotations

import pytest

from tests.api.test_audit import records
from tests.api.test_ingest import post
from tests.api.test_kpi_ingest import KPIS, SCORECARD, VALUES, stored
from tests.helpers import EMPLOYEES


@pytest.fixture
def in_use(client):
    """Two custom KPIs with values, both used by the Software Engineer scorecard."""
    for dataset, rows in (
        ("employees", EMPLOYEES),
        ("kpis", KPIS),
        ("kpi-values", VALUES),
        ("scorecards", SCORECARD),
    ):
        assert post(client, dataset, rows).status_code == 200
    return client


def test_a_kpi_a_scorecard_uses_is_refused_naming_the_job_title_and_nothing_changes(in_use, conn):
    before = stored(conn)
    response = in_use.delete("/api/v1/kpis/guest_satisfaction")
    assert response.status_code == 409, response.json
    assert "Software Engineer" in response.json["message"]
    assert stored(conn) == before
    assert records(conn, action="kpi_delete") == []


def test_a_builtin_kpi_cannot_be_removed(in_use, conn):
    before = stored(conn)
    response = in_use.delete("/api/v1/kpis/completion_rate")
    assert response.status_code == 409
    assert "built-in" in response.json["message"]
    assert stored(conn) == before


def test_an_unknown_kpi_is_a_404(in_use, conn):
    before = stored(conn)
    assert in_use.delete("/api/v1/kpis/no_such_kpi").status_code == 404
    assert stored(conn) == before


def test_once_its_scorecard_is_removed_a_kpi_goes_with_its_values_and_both_are_audited(
    in_use, conn
):
    removed = in_use.delete("/api/v1/scorecards/Software Engineer")
    assert removed.status_code == 200, removed.json
    assert removed.json == {"job_title": "Software Engineer", "kpis_removed": 3}

    response = in_use.delete("/api/v1/kpis/guest_satisfaction")
    assert response.status_code == 200, response.json
    assert response.json == {"kpi_id": "guest_satisfaction", "values_deleted": 2}

    left = stored(conn)
    assert "guest_satisfaction" not in {r[0] for r in left["kpis"]}
    assert {r[2] for r in left["kpi_values"]} == {"wait_minutes"}
    assert left["scorecards"] == []
    actions = [(r["action"], r["target"]) for r in records(conn)]
    assert ("scorecard_delete", "Software Engineer") in actions
    assert ("kpi_delete", "guest_satisfaction") in actions


def test_removing_a_scorecard_that_does_not_exist_is_a_404(in_use, conn):
    before = stored(conn)
    assert in_use.delete("/api/v1/scorecards/Astronaut").status_code == 404
    assert stored(conn) == before
