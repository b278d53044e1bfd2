"""The API under gunicorn with two workers, and a mix of traffic it has served: shared by
the end-to-end metrics tests and the dashboards' PromQL tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.helpers import issue_token, query
from tests.processes import running_gunicorn

EMPLOYEE = "/api/v1/employees/<string:employee_id>"
HISTORY = "/api/v1/employees/<string:employee_id>/history"
MAX_ROUNDS = 20
ANALYZE_BODY = {
    "records": [
        {
            "employee_id": x,
            "name": f"Person {x}",
            "tasks_total": 10,
            "tasks_completed": done,
            "hours_logged": hours,
        }
        for x, done, hours in (("X1", 9, 20), ("X2", 5, 60), ("X3", 1, 90))
    ]
}


class Api:
    def __init__(self, url: str, metrics_dir: Path, token: str) -> None:
        self.url = url
        self.metrics_dir = metrics_dir
        self.token = token

    def call(self, path: str, body: dict | None = None) -> int:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.read().decode()

    def requests_per_worker(self) -> dict[str, float]:
        """Requests counted by each worker, read from its own multiprocess file."""
        counts = {}
        for path in self.metrics_dir.glob("counter_*.db"):
            counts[path.stem.removeprefix("counter_")] = sum(
                value
                for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path))
                if json.loads(key)[1] == "epa_http_request_total"
            )
        return counts


@pytest.fixture(scope="module")
def api(scored_database_url, tmp_path_factory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("gunicorn")
    with running_gunicorn(scored_database_url, folder, EPA_WORKERS="2") as server:
        yield Api(server.url, server.metrics_dir, issue_token(scored_database_url))


@pytest.fixture(scope="module")
def traffic(api, db) -> Counter:
    """Send rounds of requests until both workers have served some; return what was sent
    as {url_rule: requests}."""
    ids = [
        r[0]
        for r in query(
            db,
            """SELECT s.employee_id FROM scores s JOIN model_runs r USING (run_id)
               WHERE r.is_current ORDER BY s.employee_id LIMIT 5""",
        )
    ]
    calls = [(f"/api/v1/employees/{i}", None, EMPLOYEE, 200) for i in ids]
    calls += [(f"/api/v1/employees/{i}/history", None, HISTORY, 200) for i in ids]
    calls += [
        ("/api/v1/employees/NOBODY", None, EMPLOYEE, 404),
        ("/api/v1/employees?limit=5", None, "/api/v1/employees", 200),
        ("/api/v1/models/current", None, "/api/v1/models/current", 200),
        ("/api/v1/analyze", ANALYZE_BODY, "/api/v1/analyze", 200),
    ]
    sent: Counter = Counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(MAX_ROUNDS):
            statuses = list(pool.map(lambda c: api.call(c[0], c[1]), calls))
            assert statuses == [c[3] for c in calls]
            sent.update(c[2] for c in calls)
            # Probes and scrapes, which must not be counted.
            for path in ("/healthz", "/readyz", "/metrics"):
                assert api.call(path) == 200
            if len([n for n in api.requests_per_worker().values() if n > 0]) >= 2:
                break
    return sent
