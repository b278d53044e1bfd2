"""Reports for HR meetings: printable HTML pages and CSV downloads.

HTML is rendered from Jinja templates (autoescaped: every name and label in them comes
from ingested data). Its one stylesheet is inline and allowed by its hash, and its charts
are SVG images inside the page as data: URIs (api.report_charts), so the report keeps the
API's strict Content-Security-Policy otherwise: no script, nothing loaded from anywhere.

CSV starts with a UTF-8 byte order mark: without it, spreadsheets that guess the encoding
show the accents of names (José, Zoë) as mojibake.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Iterable, Sequence

from flask import Response, render_template
from psycopg2.extensions import connection

from store.queries import employees as employee_queries
from store.queries import kpis as kpi_queries
from store.scope import EVERYONE

REPORT_CSS = """
body { font: 11pt/1.4 system-ui, sans-serif; color: #222; margin: 2em; }
h1 { font-size: 18pt; margin-bottom: 0; } h2 { font-size: 13pt; margin-top: 1.6em; }
.meta { color: #666; margin-top: 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num, th.num { text-align: right; }
.improving { color: #1a7f37; } .declining { color: #b42318; } .stable { color: #555; }
.note { color: #666; font-size: 9pt; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0 2em; }
figure { margin: 0.8em 0; } figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 9pt; margin-top: 0.2em; }
@media print {
  body { margin: 0; } h2 { break-after: avoid; } tr, figure { break-inside: avoid; }
}
"""
_CSS_HASH = base64.b64encode(hashlib.sha256(REPORT_CSS.encode()).digest()).decode()
# img-src data: lets the page show its own embedded charts and still load nothing.
REPORT_CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; frame-ancestors 'none'"
)
CSV_BOM = "\ufeff"


def document_body(media_type: str, description: str) -> dict:
    """The OpenAPI 200 response of a report: a body of `media_type`, not JSON."""
    return {
        "200": {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
    }


def kpi_names(conn: connection) -> dict[str, str]:
    """Each KPI's stored name, which the reports show instead of its id."""
    return {k["kpi_id"]: k["name"] for k in kpi_queries.kpi_definitions(conn)}


def scored_rows(conn: connection, department: str, team: str | None, people: int) -> list[dict]:
    """The stored results of a department's (or team's) `people`, whose KPI points the
    report's breakdown averages. Reports are HR's: nobody is hidden."""
    return employee_queries.results(
        conn,
        scope=EVERYONE,
        department=department,
        team=team,
        tier=None,
        anomaly=None,
        after=None,
        limit=max(people, 1),
    )


def html_response(template: str, **context) -> Response:
    response = Response(render_template(template, css=REPORT_CSS, **context), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


def _cell(value) -> object:
    """A CSV cell: lists joined, and a leading =, +, - or @ defused so a spreadsheet does
    not run text from ingested data as a formula."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[dict]) -> Response:
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
