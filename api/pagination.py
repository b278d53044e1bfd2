"""Keyset pages and their RFC 8288 `Link: <…>; rel="next"` header.

A list answers its next cursor in the body (`next_after`, or `next_before` for the
newest-first lists) and, when there is a next page, the absolute URL of that page in
`Link`: the same path and query with the cursor parameter replaced, so the limit and the
filters carry over and a client follows links without building URLs.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

# The `headers` of a list's 200 response in the OpenAPI document.
NEXT_LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 `<URL of the next page>; rel="next"`: this request with its '
        "cursor replaced; absent on the last page.",
        "schema": {"type": "string"},
    }
}


def next_url(param: str, cursor: str | int) -> str:
    query = [(k, v) for k, v in request.args.items(multi=True) if k != param]
    return f"{request.base_url}?{urlencode([*query, (param, str(cursor))])}"


def page(body: dict, param: str, cursor: str | int | None) -> tuple[dict, dict[str, str]]:
    """`body` with `next_<param>` set to `cursor` (None on the last page), and the headers
    of the response: the link to the next page when there is one."""
    headers = {"Link": f'<{next_url(param, cursor)}>; rel="next"'} if cursor is not None else {}
    return {**body, f"next_{param}": cursor}, headers
