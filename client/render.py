"""Human output: the API's answers as tables on the terminal (rich). `--json` bypasses all
of this and prints the API's JSON as it came."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

TIERS = ("High", "Medium", "Low")


def number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    out = Table(title=title, title_justify="left", header_style="bold")
    for index, column in enumerate(columns):
        out.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        out.add_row(*(number(cell) for cell in row))
    return out


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> Table:
    out = Table(title=title, title_justify="left", show_header=False, box=None)
    out.add_column(style="bold")
    out.add_column()
    for name, value in pairs:
        out.add_row(name, number(value))
    return out


def tier_label(result: dict) -> str | None:
    """The final tier; an override says so and names the model's tier beside it (servers
    before reviews send only the model's tier)."""
    final, model = result.get("final_tier") or result.get("tier"), result.get("tier")
    review = result.get("review") or {}
    if review.get("decision") == "override" and final != model:
        return f"{final} (overridden; model: {model})"
    return final


def employee(console: Console, body: dict) -> None:
    person, result = body.get("employee") or {}, body.get("result") or {}
    prediction = result.get("prediction") or {}
    anomaly = result.get("anomaly") or {}
    trend = result.get("trend") or {}
    console.print(
        fields(
            f"{person.get('name', '')} ({person.get('employee_id', '')})",
            [
                ("Department", person.get("department")),
                ("Team", person.get("team")),
                ("Job title", person.get("job_title")),
                ("Score", result.get("score")),
                ("Tier", tier_label(result)),
                ("Next tier (predicted)", prediction.get("next_tier")),
                ("Trend", trend.get("direction")),
                ("Flagged as unusual", anomaly.get("is_anomaly")),
                ("Run", f"{result.get('run_id')} (as of {result.get('as_of')})"),
            ],
        )
    )
    breakdown = (result.get("explanation") or {}).get("score") or {}
    kpis = breakdown.get("kpis") or (result.get("components") or {}).get("kpis") or []
    if kpis:
        console.print(
            table(
                "What the score is made of",
                ("KPI", "Value", "Normalised", "Weight", "Points"),
                [
                    (
                        k.get("kpi_id"),
                        k.get("value"),
                        k.get("normalised"),
                        k.get("weight"),
                        k.get("points"),
                    )
                    for k in kpis
                ],
            )
        )
    flags = result.get("flags") or []
    if flags:
        console.print("Flags: " + ", ".join(flags))


def department(console: Console, summary: dict, trend: dict) -> None:
    tiers = summary.get("tiers") or {}
    console.print(
        fields(
            summary.get("department", ""),
            [
                ("Employees scored", summary.get("employees")),
                ("Average score", summary.get("average_score")),
                ("Average completion rate", share(summary.get("average_completion_rate"))),
                *((f"{tier} tier", tiers.get(tier)) for tier in TIERS),
                ("Flagged as unusual", summary.get("anomalies")),
                ("Predicted Low next", summary.get("predicted_low")),
                ("Trend", trend.get("direction")),
                ("Score change", trend.get("score_change")),
            ],
        )
    )
    windows = trend.get("windows") or []
    if windows:
        console.print(
            table(
                "Average score by month",
                ("Month ending", "Employees", "Average score", *TIERS),
                [
                    (
                        w.get("period_end"),
                        w.get("employees"),
                        w.get("average_score"),
                        *((w.get("tiers") or {}).get(t) for t in TIERS),
                    )
                    for w in windows
                ],
            )
        )


def runs(console: Console, body: dict) -> None:
    console.print(
        table(
            "Model runs",
            ("Run", "Status", "Current", "As of", "Finished", "Employees", "Seconds"),
            [
                (
                    r.get("run_id"),
                    r.get("status"),
                    r.get("is_current"),
                    r.get("as_of"),
                    r.get("finished_at"),
                    r.get("employees_scored"),
                    r.get("duration_seconds"),
                )
                for r in body.get("data") or []
            ],
        )
    )


def fairness(console: Console, body: dict) -> None:
    rows = body.get("data") or []
    console.print(
        table(
            f"Fairness audit of run {body.get('run_id')} "
            f"(groups under {body.get('min_group_size')} people suppressed)",
            ("Attribute", "Group", "Employees", "High", "Low", "Impact ratio", "Adverse", "p"),
            [
                (
                    r.get("attribute"),
                    r.get("group"),
                    "suppressed" if r.get("suppressed") else r.get("employees"),
                    share(r.get("high_share")),
                    share(r.get("low_share")),
                    number(r.get("impact_ratio")),
                    "yes" if r.get("adverse_impact") else "",
                    number(r.get("p_value"), 3),
                )
                for r in rows
            ],
        )
    )
    if not rows:
        console.print("No protected attributes were loaded, so there is nothing to audit.")
    elif body.get("test"):
        console.print(f"Adverse impact: impact ratio under 0.8. p: {body['test']}.")


def retrain(console: Console, body: dict) -> None:
    console.print(
        fields(
            f"Retrain {body.get('id', '')}",
            [
                ("Status", body.get("status")),
                ("Mode", body.get("mode")),
                ("Created", body.get("created_at")),
                ("Finished", body.get("finished_at")),
                ("Exit code", body.get("exit_code")),
                ("Error", body.get("error")),
            ],
        )
    )


def ingest(console: Console, body: dict) -> None:
    console.print(
        table(
            f"Ingested {body.get('dataset', '')}",
            ("Received", "Inserted", "Updated", "Unchanged"),
            [
                (
                    body.get("received"),
                    body.get("inserted"),
                    body.get("updated"),
                    body.get("unchanged"),
                )
            ],
        )
    )


def problems(console: Console, found: list[dict]) -> None:
    console.print(
        table(
            None,
            ("Row", "Column", "Problem"),
            [(p.get("row"), p.get("column") or p.get("field"), p.get("reason")) for p in found],
        )
    )
