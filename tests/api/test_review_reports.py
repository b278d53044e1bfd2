"""Reports show the final tier with the model's next to it where a review changed it: the
department CSV (final_tier and review_decision columns), the department, team and
employee pages, and the department summaries' tier counts."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from tests.api.test_reviews import People, other_tier, reviews_path
from tests.helpers import query


@pytest.fixture(scope="module")
def overridden(scored_client, db) -> dict:
    """One person of the busiest department, listed on its page, overridden by HR."""
    (department,) = query(
        db,
        """SELECT s.department FROM scores s JOIN model_runs r USING (run_id)
           WHERE r.is_current GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""",
    )[0]
    page = scored_client.get(f"/api/v1/departments/{department}/report.html").text
    employees_table = page.split("<h2>Employees</h2>")[1]
    results = People(db).results
    person = next(p for p in sorted(results) if f"{p}" in employees_table)
    model = results[person]["tier"]
    team = query(
        db,
        "SELECT team FROM scores JOIN model_runs USING (run_id) "
        "WHERE is_current AND employee_id = %s",
        (person,),
    )[0][0]
    response = scored_client.post(
        reviews_path(person),
        json={"decision": "override", "tier": other_tier(model), "reason": "calibrated"},
    )
    assert response.status_code == 201, response.json
    return {
        "employee_id": person,
        "department": department,
        "team": team,
        "model": model,
        "final": other_tier(model),
    }


def csv_rows(client, department: str) -> list[dict]:
    response = client.get(f"/api/v1/departments/{department}/report.csv?section=employees")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_department_csv_has_the_final_tier_and_the_review_decision(scored_client, overridden):
    rows = csv_rows(scored_client, overridden["department"])

    row = next(r for r in rows if r["employee_id"] == overridden["employee_id"])
    assert (row["tier"], row["final_tier"], row["review_decision"]) == (
        overridden["model"],
        overridden["final"],
        "override",
    )
    others = [r for r in rows if r["employee_id"] != overridden["employee_id"]]
    assert all(r["final_tier"] == r["tier"] and r["review_decision"] == "" for r in others)


def test_the_department_team_and_employee_pages_show_the_final_tier_beside_the_models(
    scored_client, overridden
):
    shown = f'{overridden["final"]} <span class="note">(model: {overridden["model"]})</span>'
    pages = [
        f"/api/v1/departments/{overridden['department']}/report.html",
        f"/api/v1/teams/{overridden['team']}/report.html",
        f"/api/v1/employees/{overridden['employee_id']}/report",
    ]
    for path in pages:
        response = scored_client.get(path)
        assert response.status_code == 200, path
        assert shown in response.text, path
    assert "calibrated" in scored_client.get(pages[2]).text


def test_department_summaries_count_final_tiers(scored_client, db, overridden):
    (summary,) = [
        d
        for d in scored_client.get("/api/v1/departments").json["data"]
        if d["department"] == overridden["department"]
    ]

    model = Counter(
        t
        for (t,) in query(
            db,
            "SELECT tier FROM scores JOIN model_runs USING (run_id) "
            "WHERE is_current AND department = %s",
            (overridden["department"],),
        )
    )
    model[overridden["model"]] -= 1
    model[overridden["final"]] += 1
    assert summary["tiers"] == {t: model[t] for t in ("High", "Medium", "Low")}
