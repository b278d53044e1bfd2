"""Security headers on every response.

The API serves JSON only (its one document is the OpenAPI JSON), so the policy is the
strictest there is: nothing may be loaded, framed or sniffed. Responses under /api/v1
carry personal data and must never be cached by a browser or a proxy.

A few static headers in one `after_request` hook, rather than flask-talisman: talisman
targets HTML sites (an HTTPS redirect on by default, which would break the plain-HTTP
hop behind the ingress where TLS ends; session cookie flags and CSP nonces this API has no
use for), and it has no per-path Cache-Control, which would still have to be written here.
"""

from __future__ import annotations

from flask import Flask, Response, request

from api.auth import is_api_path

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def init_app(app: Flask) -> None:
    headers = dict(HEADERS)
    hsts_seconds = app.config.get("HSTS_SECONDS", 0)
    if hsts_seconds:
        # Off by default: TLS ends at the ingress, which is where HSTS belongs unless the
        # operator knows every hop in front of the app is HTTPS.
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if is_api_path(request.path):
            response.headers["Cache-Control"] = "no-store"
        return response
