"""The KPIs resource: every KPI definition (built-in ones included) with the job titles
whose scorecards use it, and the removal of a custom KPI with its values."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2.extensions import connection

from store.queries._sql import fetch_all, fetch_one


def kpi_definitions(conn: connection) -> list[dict]:
    """Every KPI, built-in first, then by kpi_id; `scorecards` lists the job titles whose
    scorecards weigh it (definitions, not personal data)."""
    return fetch_all(
        conn,
        """SELECT k.kpi_id, k.name, k.unit, k.direction, k.aggregation, k.description,
                  k.builtin,
                  coalesce(array_agg(s.job_title ORDER BY s.job_title)
                           FILTER (WHERE s.job_title IS NOT NULL), '{}') AS scorecards
           FROM kpis k LEFT JOIN scorecards s USING (kpi_id)
           GROUP BY k.kpi_id
           ORDER BY NOT k.builtin, k.kpi_id""",
    )


class KpiRemovalRefused(Exception):
    """The KPI cannot be removed: `kind` is 'not_found' or 'conflict'."""

    def __init__(self, kind: str, message: str, job_titles: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.job_titles = job_titles


@dataclass(frozen=True)
class RemovedKpi:
    kpi_id: str
    values_deleted: int


def remove_kpi(conn: connection, kpi_id: str) -> RemovedKpi:
    """Delete a custom KPI and its values in the caller's transaction. Refused for a
    built-in KPI and while any scorecard uses it (naming the job titles)."""
    # FOR UPDATE conflicts with the key-share lock a scorecards upsert takes on the KPI, so
    # a scorecard cannot start using it between the check and the delete.
    row = fetch_one(
        conn, "SELECT builtin FROM kpis WHERE kpi_id = %(kpi)s FOR UPDATE", {"kpi": kpi_id}
    )
    if row is None:
        raise KpiRemovalRefused("not_found", f"no KPI {kpi_id!r}")
    if row["builtin"]:
        raise KpiRemovalRefused(
            "conflict", f"{kpi_id!r} is a built-in KPI (from task records) and cannot be removed"
        )
    users = tuple(
        r["job_title"]
        for r in fetch_all(
            conn,
            "SELECT job_title FROM scorecards WHERE kpi_id = %(kpi)s ORDER BY job_title",
            {"kpi": kpi_id},
        )
    )
    if users:
        raise KpiRemovalRefused(
            "conflict",
            f"KPI {kpi_id!r} is used by the scorecard(s) of {', '.join(users)}; remove "
            "those first (DELETE /api/v1/scorecards/{job_title}, then load them again "
            "without it)",
            users,
        )
    with conn.cursor() as cur:
        cur.execute("DELETE FROM kpi_values WHERE kpi_id = %s", (kpi_id,))
        deleted = cur.rowcount
        cur.execute("DELETE FROM kpis WHERE kpi_id = %s", (kpi_id,))
    return RemovedKpi(kpi_id=kpi_id, values_deleted=deleted)
