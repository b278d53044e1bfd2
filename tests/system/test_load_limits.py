"""Errors and load stay bounded, under real gunicorn: probes answer while the heaviest
requests run, excess heavy requests are refused with 429, a bad batch gets a small answer,
and a large valid batch still gets its scores."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pandas as pd
import pytest

from analytics import analyze_records
from tests.helpers import issue_token
from tests.processes import Gunicorn, call, running_gunicorn

pytestmark = pytest.mark.slow

MAX_RECORDS = 100_000
CONCURRENT = 8
PROBE_SECONDS = 1.0  # the readiness probe waits longer; a second is already far too slow
ANALYZE = "/api/v1/analyze"


@pytest.fixture(scope="module")
def served(scored_database_url: str, tmp_path_factory) -> Iterator[tuple[Gunicorn, str]]:
    folder: Path = tmp_path_factory.mktemp("gunicorn")
    settings = {"EPA_WORKERS": "2", "EPA_ANALYZE_MAX_RECORDS": str(MAX_RECORDS)}
    with running_gunicorn(scored_database_url, folder, **settings) as api:
        yield api, issue_token(scored_database_url)


def post(api: Gunicorn, token: str, body: bytes):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return call(api.url + ANALYZE, method="POST", body=body, headers=headers, timeout=120)


def invalid_records(n: int) -> list[dict]:
    # Two problems per record: a negative count, and hours that are no number.
    return [
        {"employee_id": f"E{i}", "tasks_total": -1, "tasks_completed": 0, "hours_logged": "x"}
        for i in range(n)
    ]


def valid_records(n: int) -> list[dict]:
    return [
        {
            "employee_id": f"E{i % (n // 2)}",
            "name": f"Person {i % (n // 2)}",
            "tasks_total": 10 + i % 37,
            "tasks_completed": (10 + i % 37) * (i % 11) // 10,
            "hours_logged": 20.0 + (i * 7919) % 1000 / 10,
        }
        for i in range(n)
    ]


def probe(api: Gunicorn, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status = call(api.url + path, timeout=30).status
    return status, time.monotonic() - started


def test_probes_answer_at_once_while_the_largest_invalid_batches_run(served):
    api, token = served
    body = orjson.dumps({"records": invalid_records(MAX_RECORDS)})
    probes: list[tuple[str, int, float]] = []
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        heavy = [pool.submit(post, api, token, body) for _ in range(CONCURRENT)]
        while not all(f.done() for f in heavy):
            for path in ("/readyz", "/healthz"):
                probes.append((path, *probe(api, path)))
            time.sleep(0.05)
        replies = [f.result() for f in heavy]
    assert len(probes) >= 4, "the heavy requests ended before the probes could be checked"
    assert all(status == 200 for _, status, _ in probes), probes
    slowest = max(seconds for _, _, seconds in probes)
    assert slowest < PROBE_SECONDS, probes
    statuses = sorted(r.status for r in replies)
    assert set(statuses) <= {422, 429}, statuses
    refused = [r for r in replies if r.status == 429]
    # Two workers, two heavy requests each: eight at once cannot all be taken.
    assert refused, statuses
    assert 422 in statuses, statuses
    for reply in refused:
        assert int(reply.headers["Retry-After"]) > 0
        assert reply.json()["status"] == "error" and reply.json()["code"] == 429
    assert "Traceback" not in api.log()


def test_an_invalid_batch_of_20k_records_answers_small_with_1000_problems_and_the_total(served):
    api, token = served
    reply = post(api, token, orjson.dumps({"records": invalid_records(20_000)}))
    assert reply.status == 422
    assert len(reply.body) < 1_000_000
    answer = reply.json()
    assert len(answer["problems"]) == 1000
    assert answer["problems_total"] == 2 * 20_000
    assert answer["problems"][0] == {
        "location": "json",
        "field": "records.0.tasks_total",
        "reason": "Must be greater than or equal to 0 and less than or equal to 100000.",
    }


def test_a_valid_batch_of_100k_records_gets_the_scores_of_the_pipeline(served):
    api, token = served
    records = valid_records(MAX_RECORDS)
    reply = post(api, token, orjson.dumps({"records": records}))
    assert reply.status == 200, reply.body[:500]
    expected = analyze_records(pd.DataFrame.from_records(records)).to_dict(orient="records")
    assert reply.json()["data"] == orjson.loads(orjson.dumps(expected))
