"""Which employees a caller may see, as a filter applied inside the SQL of every read.

A manager sees themselves and everyone who reports to them, directly or through other
managers (employees.manager_id followed down the hierarchy); an employee sees only
themselves. Applying it in the queries means a list, a summary or a lookup cannot leak
someone outside the scope, whatever the route does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Everyone; or `root`, with everyone below root when `reports`; or nobody."""

    root: str | None = None
    reports: bool = False
    everyone: bool = False

    def sql(self, column: str) -> str:
        """A condition on `column` (an employee id expression; never user input) that
        holds for the visible employees; it reads the parameters of `params()`."""
        if self.everyone:
            return "true"
        if self.root is None:
            return "false"
        # UNION, not UNION ALL: a cycle in manager_id cannot make the recursion endless.
        return f"""{column} IN (
            WITH RECURSIVE visible(employee_id) AS (
                SELECT employee_id FROM employees WHERE employee_id = %(scope_root)s
                UNION
                SELECT e.employee_id FROM employees e
                JOIN visible v ON e.manager_id = v.employee_id
                WHERE %(scope_reports)s)
            SELECT employee_id FROM visible)"""

    def team_sql(self, team: str, run_id: str) -> str:
        """A condition on `team` (in run `run_id`) that holds when the caller may see every
        member of the team: a team's figures describe all its members."""
        if self.everyone:
            return "true"
        # Only the teams of visible people are candidates (index lookups), and of those the
        # ones with nobody outside the scope are kept.
        return f"""{team} IN (
            SELECT m.team FROM scores m
            WHERE m.run_id = {run_id} AND m.team IN (
                SELECT v.team FROM scores v
                WHERE v.run_id = {run_id} AND {self.sql("v.employee_id")})
            GROUP BY m.team HAVING bool_and({self.sql("m.employee_id")}))"""

    def params(self) -> dict:
        return {"scope_root": self.root, "scope_reports": self.reports}


EVERYONE = Scope(everyone=True)
NOBODY = Scope()
