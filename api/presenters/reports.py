"""What the HR reports show beyond the JSON shapes: plain-language labels for the names the
analytics use, teams in natural order (Team 2 before Team 10), training effects with their
sample caveat, and the inputs of each report's charts."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from analytics.training_effect import MIN_PARTICIPANTS
from api import report_charts as charts
from api.presenters.employees import components

TOO_FEW = "too few participants"

# The analytics' feature, component and flag names, as a meeting reads them.
PLAIN_NAMES = {
    "completion": "Completion rate",
    "efficiency": "Task efficiency",
    "throughput": "Throughput",
    "completion_rate": "Completion rate",
    "task_efficiency": "Task efficiency",
    "tenure_years": "Years at the company",
    "engagement": "Engagement (survey)",
    "satisfaction": "Satisfaction (survey)",
    "skill_match": "Skill match with the role",
    "avg_task_hours": "Hours per task",
    "completed_tasks": "Completed tasks",
    "score": "Score",
    "trend": "Score trend",
    "department": "Department",
    "job_title": "Job title",
    "relative_task_hours": "Hours per task against peers",
    "relative_throughput": "Completed tasks against peers",
    "no_tasks": "no task records",
    "hours_imputed": "hours per task estimated",
    "no_tier": "no tier",
}
# Prefixed names of one KPI: predictor features, normalised columns, imputation flags.
_KPI_PREFIXES = {
    "kpi:": "{}",
    "kpi_value:": "{}",
    "kpi_normalised:": "{}",
    "kpi_imputed:": "{} estimated",
}
# Metric -> (label, factor, unit): completion rates are shares, read as percentage points.
METRICS = {
    "score": ("Score", 1.0, "points"),
    "completion_rate": ("Completion rate", 100.0, "percentage points"),
}
_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str | None) -> tuple:
    """Sort key with the numbers inside a name compared as numbers: Team 2 before Team 10."""
    parts = _NUMBER.split((text or "").casefold())
    # split() puts text at even and digits at odd positions, so like compares with like.
    return (tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), text or "")


def labeller(kpi_names: Mapping[str, str]) -> Callable[[str | None], str]:
    """A function from an analytics name to its plain label; KPIs by their stored name."""

    def label(name: str | None) -> str:
        if not name:
            return "–"
        if name in kpi_names:
            return kpi_names[name]
        if name in PLAIN_NAMES:
            return PLAIN_NAMES[name]
        for prefix, shape in _KPI_PREFIXES.items():
            if name.startswith(prefix):
                return shape.format(label(name.removeprefix(prefix)))
        return name.replace("_", " ").capitalize()

    return label


def months_before(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` before the month of `day`."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def month_label(window: int, period_end: dt.date | None) -> str:
    """A window of the run as a month: "Latest month (November 2026)"."""
    name = {0: "Latest month", 1: "One month earlier", 2: "Two months earlier"}.get(
        window, f"{window} months earlier"
    )
    return name if period_end is None else f"{name} ({period_end:%B %Y})"


def trend_rule(threshold: float) -> str:
    """The trend rule in the words of a report."""
    return (
        "Trend: the latest month's score against the score two months earlier (one month "
        f"earlier when that is all there is). Improving when it rose by {threshold:g} points "
        f"or more, declining when it fell by {threshold:g} points or more, stable otherwise."
    )


def effect_rows(programs: Iterable[dict]) -> list[dict]:
    """One table row per program and metric, in the metric's unit; `too_few` when fewer
    people took part than an interval needs, so no figure stands for a single person."""
    rows = []
    for program in programs:
        for effect in program["effects"]:
            name, factor, unit = METRICS.get(effect["metric"], (effect["metric"], 1.0, ""))
            participants = effect["participants"] or 0

            def scaled(key: str, factor: float = factor, effect: dict = effect) -> float | None:
                value = effect.get(key)
                return None if value is None else value * factor

            rows.append(
                {
                    "program_name": program["program_name"],
                    "metric": f"{name} ({unit})" if unit else name,
                    "participants": participants,
                    "comparison_employees": effect["comparison_employees"],
                    "too_few": participants < MIN_PARTICIPANTS or effect.get("ci_low") is None,
                    "effect": scaled("effect"),
                    "ci_low": scaled("ci_low"),
                    "ci_high": scaled("ci_high"),
                }
            )
    return rows


def csv_effects(rows: Iterable[dict]) -> list[dict]:
    """The stored effectiveness rows with a note where there are too few participants."""
    return [
        {**r, "note": TOO_FEW if (r["participants"] or 0) < MIN_PARTICIPANTS else None}
        for r in rows
    ]


def _score_intervals(programs: Iterable[dict]) -> list[charts.EffectInterval]:
    return [
        charts.EffectInterval(p["program_name"], e["effect"], e["ci_low"], e["ci_high"])
        for p in programs
        for e in p["effects"]
        if e["metric"] == "score" and (e["participants"] or 0) >= MIN_PARTICIPANTS
    ]


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def kpi_groups(results: Iterable[dict], label: Callable[[str], str]) -> list[charts.KpiGroup]:
    """Per scorecard (the default one first, then job titles in natural order), the mean
    points each of its KPIs adds to the scores of the people it scored."""
    points: dict[str | None, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    people: dict[str | None, int] = defaultdict(int)
    for row in results:
        shape = components(row)
        if not shape["kpis"]:
            continue
        people[shape["scorecard"]] += 1
        for kpi in shape["kpis"]:
            if kpi["points"] is not None:
                points[shape["scorecard"]][kpi["kpi_id"]].append(kpi["points"])
    order = sorted(points, key=lambda card: (card is not None, natural_key(card)))
    return [
        charts.KpiGroup(
            f"{'Default' if card is None else card} scorecard · {_people(people[card])}",
            [(label(kpi), sum(values) / len(values)) for kpi, values in points[card].items()],
        )
        for card in order
    ]


def _run_points(runs: Sequence[dict]) -> list[tuple[str, float | None]]:
    return [
        (
            f"Run {r['run_id']}\n{r['as_of']:%b %Y}" if r["as_of"] else f"Run {r['run_id']}",
            r["average_score"],
        )
        for r in runs
    ]


def stored_kpi_groups(stored: Mapping, label: Callable[[str], str]) -> list[charts.KpiGroup]:
    """kpi_groups from the sums the store counted (store.queries.departments.kpi_points)
    instead of everyone's rows: the same groups, titles and KPIs in the same order."""
    people = {r["scorecard"]: r["people"] for r in stored["people"]}
    points: dict[str | None, list[tuple[str, float]]] = defaultdict(list)
    for r in stored["points"]:
        if r["count"]:
            points[r["scorecard"]].append((label(r["kpi_id"]), r["total"] / r["count"]))
    order = sorted(points, key=lambda card: (card is not None, natural_key(card)))
    return [
        charts.KpiGroup(
            f"{'Default' if card is None else card} scorecard · {_people(people[card])}",
            points[card],
        )
        for card in order
    ]


def group_charts(
    subject: str,
    bands: Mapping[str, Sequence[int]],
    runs: Sequence[dict],
    kpis: Sequence[charts.KpiGroup],
    programs: Iterable[dict],
) -> dict[str, charts.Chart]:
    """The charts of a department or team report: scores by tier (their counts per band,
    charts.score_bands), the average score over the kept runs, mean points per KPI (the
    groups of kpi_groups) and the effect of the training it needs."""
    programs = list(programs)
    return {
        "tiers": charts.tier_histogram(bands, subject),
        "trend": charts.score_trend(
            _run_points(runs),
            f"Average score of {subject} in each kept run",
            "A trend over runs needs at least two kept runs with a score; there are fewer.",
        ),
        "kpis": charts.kpi_breakdown(kpis, f"Mean points per KPI of the scores in {subject}"),
        "training": charts.training_effects(
            _score_intervals(programs), "Effect of each program on the score, 95% interval"
        ),
    }


def final_tier_scores(people: Iterable[dict]) -> list[tuple[float | None, str | None]]:
    """Each person's score and final tier, which the tier chart counts."""
    return [(p["score"], p.get("final_tier") or p["tier"]) for p in people]


def employee_charts(result: dict, label: Callable[[str], str]) -> dict[str, charts.Chart]:
    """The charts of an employee report: the score over the run's months and the points
    each component of the scorecard adds to it."""
    months = [
        (
            f"{p['period_end']:%b %Y}" if p["period_end"] else month_label(p["window"], None),
            p["score"],
        )
        for p in result["trend"]["trajectory"]
    ]
    breakdown = result["explanation"]["score"]
    parts = breakdown["components"] if breakdown else []
    return {
        "trend": charts.score_trend(
            months,
            "Score over the last months",
            "A trend needs scores of at least two months; there are fewer.",
            "Score",
        ),
        "kpis": charts.kpi_breakdown(
            [
                charts.KpiGroup(
                    "Points per component", [(label(c["component"]), c["points"]) for c in parts]
                )
            ],
            "Points each part of the scorecard adds to the score",
            "Points of the score",
        ),
    }
