"""Scorecards: the default scorecard keeps today's results; custom scorecards score people
on their own KPIs, with imputation, points, tiers, anomalies, the predictor and trends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisConfig, AnalysisError, analyze, analyze_records
from analytics.explanations import kpi_points
from analytics.scorecards import KpiFrames, resolve_scorecards
from tests.analytics.demo_windows import demo_frames, demo_window_features
from tests.analytics.test_pipeline import assert_json_columns_hold_the_same_values, window_features

PINNED = Path(__file__).parent / "data"
RESTAURANT_KPIS = pd.DataFrame(
    {
        "kpi_id": ["guest_satisfaction", "order_accuracy", "wait_time"],
        "name": ["Guest satisfaction", "Order accuracy", "Wait time"],
        "unit": ["1-5", "share", "minutes"],
        "direction": ["higher_is_better", "higher_is_better", "lower_is_better"],
        "aggregation": ["mean", "mean", "mean"],
        "builtin": [False, False, False],
    }
)
SERVER_SCORECARD = pd.DataFrame(
    {
        "job_title": ["Server"] * 3,
        "kpi_id": ["guest_satisfaction", "order_accuracy", "wait_time"],
        "weight": [2.0, 1.0, 1.0],
    }
)
# Four servers: satisfaction, accuracy, wait time.
SERVERS = {
    "S1": (4.8, 0.98, 10.0),
    "S2": (4.0, 0.90, 20.0),
    "S3": (4.4, 0.94, 15.0),
    "S4": (3.6, 0.99, 12.0),
}


def _people(ids, department, job_title, **tasks) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "employee_id": list(ids),
            "window": 0,
            "department": department,
            "team": f"{department} team",
            "job_title": job_title,
            "tenure_years": np.linspace(1, 5, n),
            "engagement": 3.0,
            "satisfaction": 3.0,
            "skill_match": 0.5,
            "total_tasks": tasks.get("total", 0),
            "completed_tasks": tasks.get("completed", 0),
            "hours_logged": tasks.get("hours", 0.0),
        }
    )


def _kpi_values(values: dict[str, tuple[float, ...]], window: int = 0) -> pd.DataFrame:
    rows = [
        {"employee_id": e, "window": window, "kpi_id": k, "value": v}
        for e, vs in values.items()
        for k, v in zip(SERVER_SCORECARD["kpi_id"], vs, strict=True)
        if not np.isnan(v)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def restaurant(fast_config):
    """Servers (no task records) on the Server scorecard; kitchen staff on the default."""
    kitchen = _people(
        [f"K{i}" for i in range(6)],
        "Kitchen",
        "Cook",
        total=[20, 22, 18, 25, 30, 15],
        completed=[18, 20, 10, 25, 21, 15],
        hours=[40.0, 50.0, 60.0, 45.0, 70.0, 30.0],
    )
    servers = _people(list(SERVERS), "Dining", "Server")
    features = pd.concat([kitchen, servers], ignore_index=True)
    kpis = KpiFrames(RESTAURANT_KPIS, SERVER_SCORECARD, _kpi_values(SERVERS))
    config = AnalysisConfig(clip_quantiles=None, param_grid=fast_config.param_grid)
    return features, kpis, analyze(features, config, kpis=kpis)


# --- the default scorecard is today's analysis -----------------------------------------


@pytest.mark.parametrize(
    "name, features",
    [
        ("synthetic", lambda: window_features()),
        ("demo", lambda: demo_window_features(demo_frames())),
    ],
)
def test_the_default_scorecard_reproduces_the_scores_tiers_and_predictions_pinned_before_scorecards(
    fast_config, name, features
):
    pinned = pd.read_csv(PINNED / f"default_scorecard_{name}.csv", keep_default_na=False)
    scores = analyze(features(), fast_config).scores
    assert list(scores["employee_id"]) == list(pinned["employee_id"])
    for column in ("score", "score_w1", "score_w2", "completion_rate", "task_efficiency"):
        expected = pd.to_numeric(pinned[column].replace("", np.nan)).to_numpy()
        np.testing.assert_allclose(scores[column].to_numpy(float), expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(scores["throughput"], pinned["throughput"], rtol=0, atol=1e-9)
    for column in ("tier", "predicted_tier", "tier_w1", "tier_w2"):
        assert list(scores[column].fillna("")) == list(pinned[column]), column
    assert list(scores["is_anomaly"]) == list(pinned["is_anomaly"].astype(str) == "True")
    assert list(scores["flags"].map("|".join)) == list(pinned["flags"])
    assert scores["scorecard"].isna().all()


def test_the_default_scorecard_lists_the_task_measures_with_points_that_add_up_to_the_score(
    fast_config,
):
    result = analyze(window_features(), fast_config)
    scale = result.metrics["score_scale"]
    baseline = -100 * scale["raw_min"] / (scale["raw_max"] - scale["raw_min"])
    for row in result.scores.itertuples():
        assert [k["kpi_id"] for k in row.kpis] == [
            "completion_rate",
            "task_efficiency",
            "throughput",
        ]
        assert [k["weight"] for k in row.kpis] == [0.4, 0.3, 0.3]
        assert row.kpis[0]["normalised"] == row.completion_rate
        assert row.kpis[1]["value"] == row.avg_task_hours
        assert row.kpis[2]["value"] == row.completed_tasks
        assert baseline + sum(k["points"] for k in row.kpis) == pytest.approx(row.score, abs=1e-9)


# --- a department of servers scored on three KPIs ---------------------------------------


def test_servers_without_task_records_get_the_hand_worked_scorecard_score(restaurant):
    _, _, result = restaurant
    servers = result.scores.set_index("employee_id").loc[list(SERVERS)]
    # Normalised: satisfaction (4.8, 4.0, 4.4, 3.6) -> (1, 1/3, 2/3, 0); accuracy (.98, .90,
    # .94, .99) -> (8/9, 0, 4/9, 1); wait time, lower is better, (10, 20, 15, 12) -> (1, 0,
    # .5, .8). raw = (2 sat + acc + wait) / 4 = (.9722, .1667, .5694, .45); min-max x 100:
    assert servers["score"].to_list() == pytest.approx([100.0, 0.0, 50.0, 35.17], abs=0.05)
    assert (servers["scorecard"] == "Server").all()
    assert servers["flags"].map(len).eq(0).all()  # no `no_tasks`: they need no tasks
    assert servers[["completion_rate", "task_efficiency", "total_tasks"]].isna().all().all()
    s4 = servers.loc["S4", "kpis"]
    assert [k["kpi_id"] for k in s4] == ["guest_satisfaction", "order_accuracy", "wait_time"]
    assert [k["weight"] for k in s4] == [2.0, 1.0, 1.0]
    assert [k["value"] for k in s4] == [3.6, 0.99, 12.0]
    assert [k["normalised"] for k in s4] == pytest.approx([0.0, 1.0, 0.8])


def test_the_default_scorecard_people_beside_them_are_scored_as_if_alone(restaurant, fast_config):
    features, _, result = restaurant
    config = AnalysisConfig(clip_quantiles=None, param_grid=fast_config.param_grid)
    alone = analyze(features[features["job_title"] == "Cook"], config).scores
    mixed = result.scores[result.scores["job_title"] == "Cook"]
    np.testing.assert_allclose(mixed["score"], alone["score"], atol=1e-9)
    assert list(mixed["tier"]) == list(alone["tier"])


def test_each_scorecard_has_its_tiers_ordered_by_score(restaurant):
    _, _, result = restaurant
    for _, part in result.scores.groupby(result.scores["scorecard"].fillna("default")):
        means = part.groupby("tier")["score"].mean()
        assert means.get("High", 101) >= means.get("Medium", -1) >= means.get("Low", -2)
    servers = result.scores[result.scores["scorecard"] == "Server"].set_index("employee_id")
    assert servers.loc["S1", "tier"] == "High" and servers.loc["S2", "tier"] == "Low"
    described = {c["scorecard"]: c for c in result.metrics["scorecards"]}
    assert set(described) == {None, "Server"}
    assert described["Server"]["employees"] == 4
    assert [k["direction"] for k in described["Server"]["kpis"]][-1] == "lower_is_better"


def test_points_per_kpi_add_up_to_every_score(restaurant):
    _, _, result = restaurant
    scales = {c["scorecard"]: c for c in result.metrics["scorecards"]}
    for row in result.scores.itertuples():
        scale = scales[row.scorecard]
        split = kpi_points(
            {k["kpi_id"]: k["normalised"] for k in row.kpis},
            {k["kpi_id"]: k["weight"] for k in row.kpis},
            scale["raw_min"],
            scale["raw_max"],
        )
        assert list(split["points"].values()) == pytest.approx([k["points"] for k in row.kpis])
        total = split["baseline"] + sum(k["points"] for k in row.kpis)
        assert total == pytest.approx(row.score, abs=1e-9)


def test_a_missing_kpi_value_gets_the_peer_median_and_a_flag(fast_config):
    values = dict(SERVERS) | {"S5": (4.2, 0.95, np.nan)}
    features = _people(list(values), "Dining", "Server")
    kpis = KpiFrames(RESTAURANT_KPIS, SERVER_SCORECARD, _kpi_values(values))
    scores = analyze(features, fast_config, kpis=kpis).scores.set_index("employee_id")
    assert scores.loc["S5", "flags"] == ["kpi_imputed:wait_time"]
    assert scores.loc["S5", "kpis"][2]["value"] == 13.5  # median of 10, 20, 15, 12
    assert scores.drop("S5")["flags"].map(len).eq(0).all()


def test_a_scorecard_naming_an_unknown_kpi_is_refused():
    bad = SERVER_SCORECARD.assign(kpi_id=["guest_satisfaction", "order_accuracy", "tips"])
    with pytest.raises(AnalysisError, match="tips"):
        resolve_scorecards(KpiFrames(RESTAURANT_KPIS, bad))


# --- a KPI-only organisation ------------------------------------------------------------


def kpi_only_organisation(n: int = 300, seed: int = 1) -> tuple[pd.DataFrame, KpiFrames]:
    """Servers and account executives without a single task record, over three windows;
    engagement decides how good the current window's KPIs are."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:04d}" for i in range(n)]
    sales = rng.random(n) < 0.5
    engagement = rng.uniform(1, 5, n)
    base = pd.DataFrame(
        {
            "employee_id": ids,
            "department": np.where(sales, "Sales", "Dining"),
            "team": np.where(sales, "Sales team", "Dining team"),
            "job_title": np.where(sales, "Account Executive", "Server"),
            "engagement": engagement,
            "satisfaction": rng.uniform(1, 5, n),
            "skill_match": rng.random(n),
            "total_tasks": 0,
            "completed_tasks": 0,
            "hours_logged": 0.0,
        }
    )
    frames, values = [], []
    for w in (0, 1, 2):
        frames.append(base.assign(window=w, tenure_years=np.linspace(0.5, 8, n) - w / 12))
        good = engagement / 5 if w == 0 else rng.random(n)
        noise = rng.normal(0, 0.05, (n, 3))
        kpi = {
            "guest_satisfaction": 1 + 4 * good + noise[:, 0],
            "order_accuracy": 0.8 + 0.2 * good + noise[:, 1] / 10,
            "wait_time": 30 - 20 * good + noise[:, 2] * 10,
            "revenue_vs_quota": 0.5 + good + noise[:, 0],
            "conversion": 0.1 + 0.3 * good + noise[:, 1] / 10,
            "churn": 0.3 - 0.25 * good + noise[:, 2] / 10,
        }
        for name, column in kpi.items():
            on_card = ~sales if name in SERVER_SCORECARD["kpi_id"].to_list() else sales
            values.append(
                pd.DataFrame(
                    {
                        "employee_id": np.asarray(ids)[on_card],
                        "window": w,
                        "kpi_id": name,
                        "value": column[on_card],
                    }
                )
            )
    sales_kpis = pd.DataFrame(
        {
            "kpi_id": ["revenue_vs_quota", "conversion", "churn"],
            "direction": ["higher_is_better", "higher_is_better", "lower_is_better"],
        }
    )
    kpis = pd.concat([RESTAURANT_KPIS[["kpi_id", "direction"]], sales_kpis], ignore_index=True)
    cards = pd.concat(
        [
            SERVER_SCORECARD,
            pd.DataFrame(
                {
                    "job_title": "Account Executive",
                    "kpi_id": ["revenue_vs_quota", "conversion", "churn"],
                    "weight": [0.5, 0.3, 0.2],
                }
            ),
        ],
        ignore_index=True,
    )
    return pd.concat(frames, ignore_index=True), KpiFrames(
        kpis, cards, pd.concat(values, ignore_index=True)
    )


@pytest.fixture(scope="module")
def kpi_only(fast_config):
    features, kpis = kpi_only_organisation()
    return analyze(features, fast_config, kpis=kpis)


def test_the_predictor_learns_from_kpi_values_alone(kpi_only):
    assert kpi_only.metrics["predictor"]["status"] == "trained"
    importances = kpi_only.metrics["predictor"]["feature_importances"]
    assert any(name.startswith("kpi:") for name in importances)
    assert kpi_only.scores["predicted_tier"].notna().all()
    drivers = [d for row in kpi_only.scores["tier_drivers"] for d in row]
    assert drivers and all({"feature", "value", "contribution"} <= set(d) for d in drivers)


def test_anomalies_of_a_kpi_only_organisation_are_explained_by_kpis(kpi_only):
    scores = kpi_only.scores
    assert scores["is_anomaly"].any()
    own_kpis = {
        "Server": {"guest_satisfaction", "order_accuracy", "wait_time"},
        "Account Executive": {"revenue_vs_quota", "conversion", "churn"},
    }
    for row in scores[scores["is_anomaly"]].itertuples():
        assert {d["feature"] for d in row.anomaly_drivers} <= own_kpis[row.scorecard]


def test_trends_of_a_kpi_only_organisation_cover_its_three_windows(kpi_only):
    scores = kpi_only.scores
    assert scores[["score_w1", "score_w2"]].notna().all().all()
    assert scores["tier_w1"].notna().all() and scores["trend"].notna().all()
    trends = kpi_only.department_trends
    assert set(zip(trends["department"], trends["window"], strict=True)) == {
        (d, w) for d in ("Dining", "Sales") for w in (0, 1, 2)
    }
    assert kpi_only.metrics["flag_counts"] == {"no_tasks": 0, "hours_imputed": 0}
    assert set(kpi_only.metrics["tier_counts"]) == {"High", "Medium", "Low"}


# --- posted records (POST /api/v1/analyze) ----------------------------------------------


def test_posted_kpi_records_are_scored_by_the_posted_scorecard():
    kpi_records = [
        {"employee_id": e, "kpi_id": k, "value": v}
        for e, vs in SERVERS.items()
        for k, v in zip(SERVER_SCORECARD["kpi_id"], vs, strict=True)
    ]
    scorecard = [
        {"kpi_id": "guest_satisfaction", "weight": 2.0},
        {"kpi_id": "order_accuracy", "weight": 1.0, "direction": "higher_is_better"},
        {"kpi_id": "wait_time", "weight": 1.0, "direction": "lower_is_better"},
    ]
    out = analyze_records(
        [],
        AnalysisConfig(clip_quantiles=None),
        kpi_records=kpi_records,
        scorecard=scorecard,
    )
    assert list(out["employee_id"]) == list(SERVERS)
    assert list(out["performance_score"]) == pytest.approx([100.0, 0.0, 50.0, 35.17], abs=0.05)
    assert out["completion_rate"].isna().all() and out["flags"].map(len).eq(0).all()
    assert [k["kpi_id"] for k in out.loc[0, "kpis"]] == list(SERVER_SCORECARD["kpi_id"])


def test_json_columns_of_custom_scorecards_hold_the_same_breakdowns_and_drivers(
    restaurant, kpi_only, fast_config
):
    features, kpis, result = restaurant
    config = AnalysisConfig(clip_quantiles=None, param_grid=fast_config.param_grid)
    as_text = analyze(features, config, kpis=kpis, json_columns=True)
    assert_json_columns_hold_the_same_values(result.scores, as_text.scores)

    features, kpis = kpi_only_organisation()
    as_text = analyze(features, fast_config, kpis=kpis, json_columns=True)
    assert kpi_only.scores["anomaly_drivers"].notna().any()
    assert_json_columns_hold_the_same_values(kpi_only.scores, as_text.scores)
