"""The API reference at /api/v1/docs: Swagger UI from the API's own files (no CDN), public,
under a policy of its own that runs scripts from 'self' only; every other response keeps
`default-src 'none'`."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from swagger_ui_bundle import swagger_ui_path

from api.security_headers import HEADERS

PAGE = "/api/v1/docs"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "epa-docs.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


class Page(HTMLParser):
    """What a page loads: its scripts (with any inline code) and linked files."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            self.scripts.append({"src": attributes.get("src"), "code": ""})
            self._in_script = True
        elif tag == "link":
            self.links.append(attributes["href"])

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1]["code"] += data.strip()


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (d.split() for d in policy.split(";"))}


@pytest.fixture
def anonymous(app):
    return app.test_client()


def test_the_docs_page_loads_swagger_ui_from_the_api_and_needs_no_token(anonymous):
    response = anonymous.get(PAGE)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert [s["src"] for s in page.scripts] == [
        "/api/v1/docs/static/swagger-ui-bundle.js",
        "/api/v1/docs/static/epa-docs.js",
    ]
    assert "/api/v1/docs/static/swagger-ui.css" in page.links
    assert all(url.startswith("/api/v1/docs/static/") for url in page.links)
    assert 'data-openapi-url="/api/v1/openapi.json"' in response.get_data(as_text=True)


@pytest.mark.parametrize(("name", "media_type"), sorted(ASSETS.items()))
def test_each_file_of_the_page_is_served_with_its_media_type(anonymous, name, media_type):
    response = anonymous.get(f"/api/v1/docs/static/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == media_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_is_served_as_the_package_ships_it(anonymous):
    served = anonymous.get("/api/v1/docs/static/swagger-ui-bundle.js").data
    assert served == (Path(swagger_ui_path) / "swagger-ui-bundle.js").read_bytes()


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js", "nothing.js"])
def test_files_the_page_does_not_load_are_not_served(anonymous, name):
    response = anonymous.get(f"/api/v1/docs/static/{name}")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_the_page_policy_runs_scripts_from_self_only_and_the_page_has_no_inline_script(
    anonymous,
):
    response = anonymous.get(PAGE)
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert "'self'" in policy["img-src"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any(v.startswith("'unsafe-") for values in policy.values() for v in values)
    page = Page(response.get_data(as_text=True))
    assert all(s["src"] and not s["code"] for s in page.scripts)
    assert page.handlers == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/openapi.json",
        "/api/v1/docs/static/epa-docs.js",
        "/api/v1/docs/static/nothing.js",
        "/api/v1/docs/",
        "/api/v1/employees",
        "/healthz",
    ],
)
def test_every_other_path_keeps_the_strict_policy(client, path):
    policy = client.get(path).headers["Content-Security-Policy"]
    assert policy == HEADERS["Content-Security-Policy"]


def test_the_docs_page_is_no_operation_of_the_openapi_document(anonymous):
    spec = anonymous.get("/api/v1/openapi.json").json
    assert [path for path in spec["paths"] if path.startswith(PAGE)] == []
