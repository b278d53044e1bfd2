"""The browsable API reference at /api/v1/docs: Swagger UI on /api/v1/openapi.json.

Swagger UI's files come from the swagger-ui-bundle package and are served from here, so
the page needs no CDN. A plain Flask blueprint, not a flask-smorest one: the page is
documentation, not an operation of the API. Public, like the document (api.auth).

The page has a policy of its own: scripts, styles and images from 'self' (Swagger UI's
stylesheet draws its icons as data: images) and requests to 'self' (the document, and "Try
it out"). No inline script: the initialisation is assets/epa-docs.js. Every other response
keeps the `default-src 'none'` of api.security_headers.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from api.errors import ApiError

SWAGGER_UI = Path(swagger_ui_path)
OWN_ASSETS = Path(__file__).resolve().parent.parent / "assets"
# The files the page loads and where each one is; any other name is a 404.
ASSETS = {
    "swagger-ui-bundle.js": SWAGGER_UI,
    "swagger-ui.css": SWAGGER_UI,
    "index.css": SWAGGER_UI,
    "favicon-32x32.png": SWAGGER_UI,
    "favicon-16x16.png": SWAGGER_UI,
    "epa-docs.js": OWN_ASSETS,
}
# Named here: Python's guess for .js differs between versions and systems, and with
# nosniff a browser runs a script only under a JavaScript media type.
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

blp = Blueprint("docs", __name__, url_prefix="/api/v1/docs")


@blp.get("")
def page() -> Response:
    html = render_template("docs.html", title=current_app.config["API_TITLE"])
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@blp.get("/static/<string:filename>")
def asset(filename: str) -> Response:
    folder = ASSETS.get(filename)
    if folder is None:
        raise ApiError(404, "no such file")
    return send_from_directory(folder, filename, mimetype=MEDIA_TYPES[Path(filename).suffix])
