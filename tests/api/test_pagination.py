"""Every keyset-paginated list links its next page (RFC 8288 `Link: <…>; rel="next"`): a
client that follows the links from the first page sees each item once, and the last page
links nowhere."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.helpers import query

NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')
MAX_PAGES = 500
ORIGIN = "https://hr.example.com"


def _demand_key(row: dict) -> tuple:
    return row["department"], row["team"], row["skill"]


# (first page, the whole list in one page, what identifies an item, the cursor parameter)
LISTS = {
    "employees": ("/api/v1/employees?limit=17", "/api/v1/employees?limit=500", "employee_id"),
    "employees-filtered": (
        "/api/v1/employees?tier=Medium&anomaly=false&limit=9",
        "/api/v1/employees?tier=Medium&anomaly=false&limit=500",
        "employee_id",
    ),
    "teams": ("/api/v1/teams?limit=3", "/api/v1/teams?limit=500", "team"),
    "training-demand": (
        "/api/v1/training/demand?level=team&limit=25",
        "/api/v1/training/demand?level=team&limit=1000",
        _demand_key,
    ),
    "audit": (
        "/api/v1/audit?action=employee_read&limit=2",
        "/api/v1/audit?action=employee_read&limit=1000",
        "id",
    ),
    "runs": ("/api/v1/models?limit=1", "/api/v1/models?limit=100", "run_id"),
    "review-queue": (
        "/api/v1/reviews?status=all&limit=40",
        "/api/v1/reviews?status=all&limit=500",
        "employee_id",
    ),
}


@pytest.fixture(scope="module")
def app_config() -> dict:
    return {"CORS_ORIGINS": [ORIGIN]}


@pytest.fixture(scope="module")
def employee_reads(scored_client, db) -> None:
    """Some audit records of one action, for the audit log to have pages of."""
    ids = query(
        db,
        """SELECT s.employee_id FROM scores s JOIN model_runs r USING (run_id)
           WHERE r.is_current ORDER BY s.employee_id LIMIT 5""",
    )
    for (employee_id,) in ids:
        assert scored_client.get(f"/api/v1/employees/{employee_id}").status_code == 200


def next_link(response) -> str | None:
    link = response.headers.get("Link")
    if link is None:
        return None
    match = NEXT.match(link)
    assert match, link
    return match["url"]


def follow(client, url: str) -> list:
    """The responses from `url` on, following each page's Link to the next."""
    pages = []
    while url is not None:
        assert len(pages) < MAX_PAGES, "the links go round in circles"
        response = client.get(url)
        assert response.status_code == 200, response.json
        pages.append(response)
        url = next_link(response)
    return pages


def identify(key, item: dict):
    return key(item) if callable(key) else item[key]


@pytest.mark.parametrize("name", sorted(LISTS))
def test_following_the_links_visits_every_item_once_and_the_last_page_has_none(
    scored_client, employee_reads, name
):
    first, whole, key = LISTS[name]
    expected = [identify(key, item) for item in scored_client.get(whole).json["data"]]
    pages = follow(scored_client, first)
    visited = [identify(key, item) for page in pages for item in page.json["data"]]
    assert len(pages) > 2
    assert visited == expected
    assert len(set(visited)) == len(visited)
    assert next_link(pages[-1]) is None
    # The body's cursor and the header agree: a link exactly when there is a next page.
    cursor = next(field for field in pages[0].json if field.startswith("next_"))
    for page in pages:
        assert (page.json[cursor] is None) == (next_link(page) is None)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_the_next_link_is_this_request_with_only_its_cursor_replaced(
    scored_client, employee_reads, name
):
    first = LISTS[name][0]
    response = scored_client.get(first)
    cursor = next(field for field in response.json if field.startswith("next_"))
    link = urlsplit(next_link(response))
    asked = urlsplit(first)
    assert (link.scheme, link.netloc, link.path) == ("http", "localhost", asked.path)
    param = cursor.removeprefix("next_")
    assert parse_qsl(link.query) == [
        *parse_qsl(asked.query),
        (param, str(response.json[cursor])),
    ]


def test_a_cursor_already_in_the_request_is_replaced_not_repeated(scored_client):
    response = scored_client.get("/api/v1/employees?after=E00010&tier=Medium&limit=5")
    after = response.json["next_after"]
    assert response.headers["Link"] == (
        f'<http://localhost/api/v1/employees?tier=Medium&limit=5&after={after}>; rel="next"'
    )


def test_a_page_without_a_next_page_has_no_link(scored_client):
    response = scored_client.get("/api/v1/teams?limit=500")
    assert response.json["next_after"] is None
    assert "Link" not in response.headers


def test_browser_frontends_may_read_the_link_header(scored_client):
    response = scored_client.get("/api/v1/employees?limit=5", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Link" in response.headers["Access-Control-Expose-Headers"].split(", ")


def test_the_openapi_document_declares_the_link_header_of_every_paginated_list(scored_client):
    spec = scored_client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    paginated = set()
    for path, operations in spec["paths"].items():
        ok = operations.get("get", {}).get("responses", {}).get("200", {})
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        fields = schemas[ref.rpartition("/")[2]]["properties"] if ref else {}
        if any(field.startswith("next_") for field in fields):
            paginated.add(path)
            assert ok["headers"]["Link"]["schema"] == {"type": "string"}, path
    # The walks above cover every paginated list of the API.
    assert paginated == {urlsplit(first).path for first, *_ in LISTS.values()}
