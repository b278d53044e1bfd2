"""The README's example responses are what the demo of `make run` answers: the demo is
built here as `make run` builds it (1,000 employees, seed 7, the task profile), as of the
month the examples show, and scripts/readme_examples.py's check runs on it."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import admin_client, fresh_database, running_app

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "readme_examples.py"
spec = importlib.util.spec_from_file_location("readme_examples", SCRIPT)
readme_examples = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = readme_examples  # a script, not a package: loaded from its path
spec.loader.exec_module(readme_examples)


@pytest.fixture(scope="module")
def demo_client(pg_server, template_url) -> Iterator:
    from worker.demo import generate_organisation
    from worker.demo.loading import load_organisation
    from worker.run import execute_run

    as_of = dt.date.fromisoformat(readme_examples.README_AS_OF)
    with fresh_database(pg_server) as url:
        frames = generate_organisation(employees=1000, seed=7, months=12, end_period=as_of)
        with psycopg2.connect(url) as conn:
            for _ in load_organisation(conn, frames):
                pass
        conn.close()
        assert execute_run(url, as_of=as_of).status == "succeeded"
        with running_app(url) as app:
            yield admin_client(app, url)


def fetch_with(client):
    def fetch(path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    return fetch


def test_the_readme_examples_are_what_the_demo_answers(demo_client):
    text = readme_examples.README.read_text()
    assert len(readme_examples.examples(text)) >= 10
    assert readme_examples.check(text, fetch_with(demo_client)) == []


def test_writing_leaves_a_readme_that_matches_unchanged(demo_client):
    text = readme_examples.README.read_text()
    assert readme_examples.write(text, fetch_with(demo_client)) == text


# ------------------------------------------------------------------- the check itself

EXAMPLE = """```sh
curl -s -H "Authorization: Bearer $EPA_TOKEN" http://127.0.0.1:8000/api/v1/things/T1
curl -s -H "Authorization: Bearer $EPA_TOKEN" -o t.html http://127.0.0.1:8000/api/v1/t.html
```
```json
{"id": "T1", "score": 33.03, "finished_at": "2026-11-01T00:00:00Z",
 "rule": "higher is better (…) or else", "items": [{"n": 1}, "..."], "...": "..."}
```
"""
ANSWER = {
    "id": "T1",
    "score": 33.0252,
    "finished_at": "2026-12-06T13:27:19Z",
    "rule": "higher is better (two, else one) or else",
    "items": [{"n": 1, "m": 2}, {"n": 2}],
    "more": True,
}


def test_an_abbreviated_example_that_still_holds_has_no_drift():
    (example,) = readme_examples.examples(EXAMPLE)
    assert example.path == "/api/v1/things/T1"
    assert readme_examples.check(EXAMPLE, lambda path: ANSWER) == []


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"score": 30.45}, ".score: shown 33.03, the API answers 30.45"),
        ({"id": "T2"}, '.id: shown "T1", the API answers "T2"'),
        ({"items": []}, ".items: shown 1 items"),
        ({"rule": "lower is better"}, ".rule: shown"),
    ],
)
def test_a_changed_answer_is_reported_where_it_differs(change, says):
    problems = readme_examples.check(EXAMPLE, lambda path: ANSWER | change)
    assert len(problems) == 1 and says in problems[0], problems


def test_a_key_the_api_no_longer_answers_is_reported():
    answer = {k: v for k, v in ANSWER.items() if k != "id"}
    assert readme_examples.check(EXAMPLE, lambda path: answer) == [
        "/api/v1/things/T1 .id: shown, but the API answers no such key"
    ]


def test_writing_refreshes_a_drifted_example_in_its_own_shape_and_digits():
    written = readme_examples.write(EXAMPLE, lambda path: ANSWER | {"score": 30.4549})
    (example,) = readme_examples.examples(written)
    assert example.shown["score"] == Decimal("30.45")
    assert example.shown["items"] == [{"n": Decimal(1)}, "..."]
    assert readme_examples.check(written, lambda path: ANSWER | {"score": 30.4549}) == []
