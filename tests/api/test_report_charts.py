"""The report charts and what the reports say with them: valid, deterministic SVG with alt
text; a sentence instead of a chart when there is nothing to draw; plain-language labels,
teams in natural order and training effects behind too few people marked as such."""

from __future__ import annotations

import base64
import datetime as dt
import math
import xml.etree.ElementTree as ET

import pytest
from flask import Flask, render_template_string

from api import report_charts as charts
from api.presenters.reports import (
    TOO_FEW,
    csv_effects,
    effect_rows,
    kpi_groups,
    labeller,
    month_label,
    natural_key,
    trend_rule,
)

SCORES = [(12.0, "Low"), (48.5, "Low"), (55.0, "Medium"), (61.2, "Medium"), (88.0, "High")]
RUNS = [("Run 1\nSep 2026", 60.5), ("Run 2\nOct 2026", 62.0), ("Run 3\nNov 2026", 58.25)]
GROUPS = [
    charts.KpiGroup(
        "Default scorecard · 3 people", [("Completion rate", 30.0), ("Throughput", 9.5)]
    ),
    charts.KpiGroup("Server scorecard · 1 person", [("Wait time", 12.0)]),
]
EFFECTS = [
    charts.EffectInterval("Python Foundations", 3.2, -1.0, 7.4),
    charts.EffectInterval("Testing Foundations", -2.0, -5.0, 1.0),
]
DRAWN = {
    "tiers": lambda: charts.tier_distribution(SCORES, "Engineering"),
    "trend": lambda: charts.score_trend(RUNS, "Average score of Engineering", "no trend"),
    "kpis": lambda: charts.kpi_breakdown(GROUPS, "Mean points per KPI"),
    "training": lambda: charts.training_effects(EFFECTS, "Effect of each program"),
}


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_each_chart_is_valid_svg_with_alt_text_and_a_data_uri_of_it(name):
    chart = DRAWN[name]()
    root = ET.fromstring(chart.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert chart.caption and chart.alt and not chart.empty
    prefix = "data:image/svg+xml;base64,"
    assert chart.src.startswith(prefix)
    assert base64.b64decode(chart.src.removeprefix(prefix)).decode() == chart.svg


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_each_chart_is_the_same_bytes_for_the_same_data_and_carries_no_date(name):
    first, second = DRAWN[name](), DRAWN[name]()
    assert first.svg == second.svg
    assert "<dc:date>" not in first.svg


def test_the_alt_text_says_what_the_chart_shows():
    assert charts.tier_distribution(SCORES, "Engineering").alt == (
        "Histogram of the scores of 5 people in Engineering: 1 High, 2 Medium, 2 Low."
    )
    trend = charts.score_trend(RUNS, "Average score of Engineering", "no trend").alt
    assert "Run 1 Sep 2026 60.5" in trend and "\n" not in trend
    assert "Wait time 12.0" in charts.kpi_breakdown(GROUPS, "Mean points").alt
    assert "Python Foundations +3.2 points (from -1.0 to +7.4)" in (
        charts.training_effects(EFFECTS, "Effect").alt
    )


@pytest.mark.parametrize(
    "chart",
    [
        charts.tier_distribution([], "Sales"),
        charts.tier_distribution([(None, "Low"), (math.nan, "High"), (50.0, None)], "Sales"),
        charts.score_trend([], "Average score", "A trend needs two runs."),
        charts.score_trend([("Run 1", 50.0), ("Run 2", None)], "Average", "A trend needs two."),
        charts.kpi_breakdown([], "Mean points"),
        charts.kpi_breakdown([charts.KpiGroup("Default", [("Throughput", math.inf)])], "Mean"),
        charts.training_effects([], "Effect"),
        charts.training_effects([charts.EffectInterval("One person", 4.0, None, None)], "Effect"),
    ],
)
def test_nothing_to_draw_gives_no_chart_and_a_sentence_instead(chart):
    assert chart.svg is None and chart.src == ""
    assert chart.empty.endswith(".") and len(chart.empty.split()) >= 4


def test_what_cannot_be_drawn_is_left_out_of_a_chart_of_the_rest():
    chart = charts.tier_distribution([*SCORES, (None, "Low"), (math.nan, "High")], "Sales")
    assert chart.svg is not None
    assert "5 people" in chart.alt
    # Out-of-range scores fall into the outermost bands rather than off the chart.
    assert "2 people" in charts.tier_distribution([(-3.0, "Low"), (104.0, "High")], "x").alt


def test_the_report_shows_a_chart_as_a_figure_and_an_empty_one_as_its_sentence():
    page = "{% from 'macros.html' import figure %}{{ figure(drawn) }}|{{ figure(empty) }}"
    app = Flask("api")
    with app.app_context():
        html = render_template_string(
            page, drawn=DRAWN["tiers"](), empty=charts.kpi_breakdown([], "Mean points")
        )
    drawn, empty = html.split("|")
    assert drawn.startswith('<figure><img src="data:image/svg+xml;base64,')
    assert 'alt="Histogram of the scores of 5 people' in drawn
    assert "<figcaption>Scores of Engineering by tier" in drawn
    assert empty == '<p class="note">No score breakdown is stored for this run.</p>'


def test_teams_sort_naturally():
    teams = ["Team 10", "team 2", "Team 1", "Alpha", "Team 2b", None]
    assert sorted(teams, key=natural_key) == [
        None,
        "Alpha",
        "Team 1",
        "team 2",
        "Team 2b",
        "Team 10",
    ]


def test_labels_are_plain_language():
    label = labeller({"wait_time": "Wait time"})
    assert label("kpi:wait_time") == "Wait time"
    assert label("kpi_normalised:wait_time") == "Wait time"
    assert label("kpi_imputed:wait_time") == "Wait time estimated"
    assert label("relative_throughput") == "Completed tasks against peers"
    assert label("completion") == "Completion rate"
    assert label("hours_imputed") == "hours per task estimated"
    assert label("some_new_feature") == "Some new feature"
    assert label(None) == "–"
    assert month_label(0, dt.date(2026, 11, 1)) == "Latest month (November 2026)"
    assert month_label(2, None) == "Two months earlier"
    assert "window" not in trend_rule(5.0) and "5 points" in trend_rule(5.0)


def _effect(metric: str, participants: int, ci: tuple | None) -> dict:
    low, high = ci or (None, None)
    return {
        "metric": metric,
        "participants": participants,
        "comparison_employees": 9,
        "effect": 0.12,
        "ci_low": low,
        "ci_high": high,
    }


def test_training_effects_behind_too_few_participants_are_marked_so():
    programs = [
        {
            "program_name": "Coaching",
            "effects": [
                _effect("completion_rate", 6, (0.05, 0.2)),
                _effect("score", 1, None),
                _effect("score", 0, None),
            ],
        }
    ]
    enough, one, none = effect_rows(programs)
    assert not enough["too_few"]
    assert enough["metric"] == "Completion rate (percentage points)"
    assert enough["effect"] == pytest.approx(12.0) and enough["ci_high"] == pytest.approx(20.0)
    assert one["too_few"] and none["too_few"]
    notes = [r["note"] for r in csv_effects(programs[0]["effects"])]
    assert notes == [None, TOO_FEW, TOO_FEW]


def _result(scorecard: str | None, points: dict[str, float]) -> dict:
    kpis = [
        {"kpi_id": k, "value": 1.0, "normalised": 0.5, "weight": 0.5, "points": p}
        for k, p in points.items()
    ]
    return {
        "scorecard": scorecard,
        "kpis": kpis,
        "completion_rate": None,
        "task_efficiency": None,
        "throughput": None,
        "weights": {},
    }


def test_kpi_groups_are_mean_points_per_kpi_of_each_scorecard_default_first():
    rows = [
        _result("Server", {"wait_time": 10.0}),
        _result(None, {"completion_rate": 30.0, "throughput": 5.0}),
        _result(None, {"completion_rate": 40.0, "throughput": 15.0}),
        _result("Server", {"wait_time": 20.0}),
        {**_result(None, {}), "kpis": None},
    ]
    groups = kpi_groups(rows, labeller({"wait_time": "Wait time"}))
    assert [g.title for g in groups] == [
        "Default scorecard · 2 people",
        "Server scorecard · 2 people",
    ]
    assert list(groups[0].points) == [("Completion rate", 35.0), ("Throughput", 10.0)]
    assert list(groups[1].points) == [("Wait time", 15.0)]
