"""Authentication and the role rules of every endpoint, against a real, scored store."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from api import create_app
from api.auth import PUBLIC_ENDPOINTS, is_api_path
from tests.conftest import ROOT
from tests.helpers import issue_token, one, query

ROLES = ("admin", "hr", "manager", "employee", "ingest")
EVERY_READER = {"admin", "hr", "manager", "employee"}
STAFF = {"admin", "hr", "manager"}
WRITERS = {"admin", "hr", "ingest"}
ADMIN = {"admin"}
HR = {"admin", "hr"}

# Who may call what, written out independently of api.auth.RULES: (method, rule) -> roles.
EXPECTED = {
    ("GET", "/api/v1/employees"): EVERY_READER,
    ("GET", "/api/v1/employees/<string:employee_id>"): EVERY_READER,
    ("GET", "/api/v1/employees/<string:employee_id>/history"): EVERY_READER,
    ("GET", "/api/v1/departments"): EVERY_READER,
    ("GET", "/api/v1/employees/<string:employee_id>/skill-gaps"): EVERY_READER,
    ("GET", "/api/v1/employees/<string:employee_id>/trend"): EVERY_READER,
    ("GET", "/api/v1/employees/<string:employee_id>/report"): EVERY_READER,
    ("GET", "/api/v1/teams"): STAFF,
    ("GET", "/api/v1/teams/<string:team>"): STAFF,
    ("GET", "/api/v1/training/demand"): STAFF,
    ("GET", "/api/v1/training/effectiveness"): HR,
    ("POST", "/api/v1/compositions/evaluate"): HR,
    ("GET", "/api/v1/departments/<string:department>/trend"): HR,
    ("GET", "/api/v1/departments/<string:department>/team-suggestions"): HR,
    ("GET", "/api/v1/departments/<string:department>/report.csv"): HR,
    ("GET", "/api/v1/departments/<string:department>/report.html"): HR,
    ("GET", "/api/v1/teams/<string:team>/report.html"): HR,
    ("GET", "/api/v1/models"): STAFF,
    ("GET", "/api/v1/models/current"): STAFF,
    ("GET", "/api/v1/models/<int:run_id>"): STAFF,
    ("POST", "/api/v1/models/<int:run_id>/promote"): ADMIN,
    ("GET", "/api/v1/models/current/fairness"): HR,
    ("GET", "/api/v1/models/<int:run_id>/fairness"): HR,
    ("GET", "/api/v1/models/current/card"): HR,
    ("GET", "/api/v1/models/<int:run_id>/card"): HR,
    ("POST", "/api/v1/analyze"): STAFF,
    ("POST", "/analyze"): STAFF,
    ("POST", "/api/v1/models/retrain"): ADMIN,
    ("GET", "/api/v1/models/retrain/<string:retrain_id>"): ADMIN,
    ("POST", "/api/v1/ingest/employees"): WRITERS,
    ("POST", "/api/v1/ingest/task-records"): WRITERS,
    ("POST", "/api/v1/ingest/surveys"): WRITERS,
    ("POST", "/api/v1/ingest/skills"): WRITERS,
    ("POST", "/api/v1/ingest/role-requirements"): WRITERS,
    ("POST", "/api/v1/ingest/training-programs"): WRITERS,
    ("POST", "/api/v1/ingest/training-completions"): WRITERS,
    ("POST", "/api/v1/ingest/kpis"): WRITERS,
    ("POST", "/api/v1/ingest/kpi-values"): WRITERS,
    ("POST", "/api/v1/ingest/scorecards"): WRITERS,
    ("POST", "/api/v1/ingest/protected-attributes"): HR,
    ("GET", "/api/v1/kpis"): EVERY_READER,
    ("DELETE", "/api/v1/kpis/<string:kpi_id>"): HR,
    ("GET", "/api/v1/scorecards"): EVERY_READER,
    ("DELETE", "/api/v1/scorecards/<path:job_title>"): HR,
    ("GET", "/api/v1/tokens"): ADMIN,
    ("POST", "/api/v1/tokens"): ADMIN,
    ("DELETE", "/api/v1/tokens/<string:token_id>"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("POST", "/api/v1/employees/<string:employee_id>/reviews"): EVERY_READER,
    ("GET", "/api/v1/reviews"): STAFF,
    ("GET", "/api/v1/departments/<string:department>/calibration"): STAFF,
}
OPEN = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/static/swagger-ui-bundle.js",
)


@pytest.fixture(scope="module")
def manager_id(db) -> str:
    return query(db, "SELECT min(manager_id) FROM employees WHERE manager_id IS NOT NULL")[0][0]


@pytest.fixture(scope="module")
def app_config() -> dict:
    # A retrain would start a Kubernetes Job: point it at nothing, so it fails with a 503.
    return {"RETRAIN_MODE": "kubernetes", "RETRAIN_KUBECONFIG": str(ROOT / "no-such-kubeconfig")}


@pytest.fixture(scope="module")
def bearer(scored_database_url, manager_id) -> dict[str, str]:
    bound = {"manager": manager_id, "employee": manager_id}
    return {
        role: issue_token(scored_database_url, role, bound.get(role))
        for role in ("admin", "hr", "manager", "employee", "ingest")
    }


def served_routes(scored_app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in scored_app.url_map.iter_rules()
        if is_api_path(rule.rule) and rule.endpoint not in PUBLIC_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_has_an_expected_rule_in_this_table(scored_app):
    assert served_routes(scored_app) == set(EXPECTED)


@pytest.mark.parametrize(("method", "rule"), sorted(EXPECTED))
def test_each_role_is_allowed_or_refused_as_the_role_table_says(
    scored_app, bearer, db, manager_id, method, rule
):
    run_id = query(db, "SELECT run_id FROM model_runs WHERE is_current")[0][0]
    team, department = one(
        db, "SELECT team, department FROM employees WHERE employee_id = %s", (manager_id,)
    )
    path = (
        rule.replace("<string:employee_id>", manager_id)
        .replace("<string:team>", team)
        .replace("<string:department>", department)
        .replace("<int:run_id>", str(run_id))
        .replace("<string:retrain_id>", "no-such-retrain")
        .replace("<string:token_id>", "0" * 16)
        # Unknown to the store: an allowed DELETE answers 404 and removes nothing.
        .replace("<string:kpi_id>", "no_such_kpi")
        .replace("<path:job_title>", "No such job title")
    )
    # Bodies that are refused by validation: an allowed call must not change the store.
    body = (
        {"records": []}
        if rule.endswith("/analyze")
        else {"moves": []}
        if rule.endswith("/evaluate")
        else []
    )
    client = scored_app.test_client()
    for role in ROLES:
        headers = {"Authorization": f"Bearer {bearer[role]}"}
        kwargs = {"json": body} if method == "POST" else {}
        response = client.open(path, method=method, headers=headers, **kwargs)
        if role in EXPECTED[(method, rule)]:
            assert response.status_code not in (401, 403), (role, response.json)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.json == {
                "status": "error",
                "code": 403,
                "message": f"the {role} role may not use this endpoint",
            }


def test_a_route_without_a_rule_is_refused_even_to_an_admin(scored_database_url):
    app = create_app({"DATABASE_URL": scored_database_url, "TESTING": True})
    app.add_url_rule("/api/v1/unruled", "unruled", lambda: "secret")
    try:
        response = app.test_client().get(
            "/api/v1/unruled",
            headers={"Authorization": f"Bearer {issue_token(scored_database_url)}"},
        )
        assert response.status_code == 403
    finally:
        app.extensions["epa_db"].close()


def test_probes_metrics_the_openapi_document_and_its_docs_page_need_no_token(scored_app):
    client = scored_app.test_client()
    for path in OPEN:
        assert client.get(path).status_code == 200, path


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.json["status"] == "error"
    assert response.json["code"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer not-a-token",
        f"Bearer epa_{'0' * 16}",
        f"Token epa_{'0' * 16}_{'x' * 43}",
    ],
    ids=["missing", "empty", "no-value", "basic", "garbage", "no-secret", "wrong-scheme"],
)
def test_a_missing_or_malformed_token_is_a_json_401(scored_app, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_unauthorized(scored_app.test_client().get("/api/v1/employees", headers=headers))


def test_an_unknown_token_or_a_wrong_secret_is_a_401(scored_app, bearer):
    client = scored_app.test_client()
    unknown = f"epa_{'0' * 16}_{'x' * 43}"
    assert_unauthorized(client.get("/api/v1/departments", headers={"Authorization": unknown}))
    assert_unauthorized(
        client.get("/api/v1/departments", headers={"Authorization": f"Bearer {unknown}"})
    )
    token_id = bearer["admin"].split("_")[1]
    forged = f"epa_{token_id}_{'x' * 43}"
    assert_unauthorized(
        client.get("/api/v1/departments", headers={"Authorization": f"Bearer {forged}"})
    )


def test_an_expired_token_is_a_401(scored_app, db, scored_database_url):
    token = issue_token(scored_database_url, "hr")
    headers = {"Authorization": f"Bearer {token}"}
    client = scored_app.test_client()
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    with db.cursor() as cur:
        cur.execute(
            """UPDATE api_tokens SET created_at = now() - interval '2 days',
                                     expires_at = now() - interval '1 second'
               WHERE token_id = %s""",
            (token.split("_")[1],),
        )
    assert_unauthorized(client.get("/api/v1/departments", headers=headers))


def test_a_revoked_token_is_a_401_at_once(scored_app, scored_database_url):
    token = issue_token(scored_database_url, "hr")
    token_id = token.split("_")[1]
    client = scored_app.test_client()
    ok = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    admin = {"Authorization": f"Bearer {issue_token(scored_database_url)}"}
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"]
    assert_unauthorized(
        client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    )


def test_last_use_is_recorded_at_most_once_a_minute(scored_app, db, scored_database_url):
    token = issue_token(scored_database_url, "hr")
    token_id = token.split("_")[1]
    client = scored_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert one(db, "SELECT last_used_at FROM api_tokens WHERE token_id = %s", (token_id,)) == (
        None,
    )
    client.get("/api/v1/departments", headers=headers)
    (first,) = one(db, "SELECT last_used_at FROM api_tokens WHERE token_id = %s", (token_id,))
    client.get("/api/v1/departments", headers=headers)
    assert one(db, "SELECT last_used_at FROM api_tokens WHERE token_id = %s", (token_id,)) == (
        first,
    )
    assert first is not None


def secret_part(bearer: str) -> str:
    return bearer.split("_", 2)[2]


def stored_text(db) -> str:
    """Everything in the token and audit tables, as text."""
    with db.cursor() as cur:
        cur.execute(
            """SELECT coalesce(string_agg(t::text, ' '), '') FROM api_tokens t
               UNION ALL SELECT coalesce(string_agg(a::text, ' '), '') FROM audit_log a"""
        )
        return " ".join(r[0] for r in cur.fetchall())


def test_a_token_created_through_the_api_is_shown_once_and_stored_only_as_a_hash(
    scored_app, db, bearer
):
    client = scored_app.test_client()
    admin = {"Authorization": f"Bearer {bearer['admin']}"}
    created = client.post("/api/v1/tokens", json={"role": "hr", "name": "payroll"}, headers=admin)
    assert created.status_code == 201
    secret = created.json["secret"]
    token_id = created.json["token"]["token_id"]
    assert secret.startswith(f"epa_{token_id}_")
    assert len(secret_part(secret)) >= 43  # 32 random bytes, base64url
    assert secret_part(secret) not in stored_text(db)
    (digest,) = one(db, "SELECT secret_hash FROM api_tokens WHERE token_id = %s", (token_id,))
    assert bytes(digest) == hashlib.sha256(secret_part(secret).encode()).digest()
    listed = client.get("/api/v1/tokens", headers=admin)
    assert token_id in listed.get_data(as_text=True)
    assert secret_part(secret) not in listed.get_data(as_text=True)
    assert all("secret" not in key for t in listed.json["data"] for key in t)
    works = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {secret}"})
    assert works.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"role": "manager"},
        {"role": "employee", "employee_id": "NOBODY"},
        {"role": "hr", "employee_id": "E00001"},
        {"role": "root"},
    ],
    ids=["manager-unbound", "unknown-employee", "hr-bound", "unknown-role"],
)
def test_a_token_that_cannot_be_made_is_a_422(scored_app, bearer, body):
    response = scored_app.test_client().post(
        "/api/v1/tokens", json=body, headers={"Authorization": f"Bearer {bearer['admin']}"}
    )
    assert response.status_code == 422


def worker(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "worker", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_creates_lists_and_revokes_tokens_without_ever_showing_a_secret_again(
    scored_app, db, scored_database_url, manager_id
):
    created = worker(
        scored_database_url,
        "tokens",
        "create",
        "--role",
        "manager",
        "--employee-id",
        manager_id,
        "--name",
        "team lead",
        "--expires-in-days",
        "30",
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert created.stdout.strip() == secret  # alone on stdout, for scripts
    token_id = secret.split("_")[1]
    assert secret_part(secret) not in stored_text(db)
    role, employee_id, expires = one(
        db,
        "SELECT role, employee_id, expires_at - created_at FROM api_tokens WHERE token_id = %s",
        (token_id,),
    )
    assert (role, employee_id, expires.days) == ("manager", manager_id, 30)
    client = scored_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/departments", headers=headers).status_code == 200

    listed = worker(scored_database_url, "tokens", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith(token_id))
    assert line.split("\t")[1:4] == ["manager", manager_id, "team lead"]
    assert secret_part(secret) not in listed.stdout

    revoked = worker(scored_database_url, "tokens", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert_unauthorized(client.get("/api/v1/departments", headers=headers))
    assert worker(scored_database_url, "tokens", "revoke", "f" * 16).returncode != 0

    actions = [
        r
        for r in audit_rows(db, token_id)
        if r[0] in ("token_create", "token_revoke") and r[2]["via"] == "cli"
    ]
    assert [a[0] for a in actions] == ["token_create", "token_revoke"]


def audit_rows(db, target: str) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute(
            "SELECT action, token_id, details FROM audit_log WHERE target = %s ORDER BY id",
            (target,),
        )
        return cur.fetchall()


def test_the_cli_refuses_a_bound_role_without_an_employee(scored_database_url):
    result = worker(scored_database_url, "tokens", "create", "--role", "employee")
    assert result.returncode != 0
    assert "employee id" in result.stderr
    assert result.stdout == ""


def test_the_openapi_document_declares_the_bearer_scheme_on_every_api_operation(scored_app):
    spec = scored_app.test_client().get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operations = [
        (path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method != "parameters"
    ]
    for path, op in operations:
        if is_api_path(path):
            assert op["security"] == [{"bearerAuth": []}], path
            assert {"401", "403"} <= set(op["responses"]), path
        else:
            assert "security" not in op, path
