"""The fairness audit the worker stores with each run, on the demo organisation in a real
store: its figures recomputed from the run's published tiers on groups made up here, its
suppression, and protected attributes that never reach a model."""

from __future__ import annotations

import secrets

import numpy as np
import pandas as pd
import psycopg2
import pytest

from store.bulk import load
from store.datasets import DATASETS
from store.validation import validate
from tests.helpers import query, seed_demo
from worker.run import execute_run

MIN_GROUP_SIZE = 5


def plant_attributes(database_url: str, frame: pd.DataFrame) -> None:
    """Replace every protected attribute with `frame`'s, through validation and bulk load."""
    dataset = DATASETS["protected-attributes"]
    conn = psycopg2.connect(database_url)
    try:
        with conn:
            with conn.cursor() as cur:
                cur.execute("DELETE FROM protected_attributes")
            load(conn, dataset, validate(frame, dataset))
    finally:
        conn.close()


def random_groups(employee_ids: list[str], seed: int) -> pd.DataFrame:
    """Two attributes of names and sizes the code cannot know: one with a few large groups,
    one with many, some of them small; a share of people left without a group."""
    rng = np.random.default_rng(seed)
    rows = []
    for attribute, groups in ((f"a{seed % 997}", 3), (f"b{seed % 991}", 9)):
        names = [f"g{rng.integers(10**6)}-{i}" for i in range(groups)]
        weights = rng.dirichlet(np.ones(groups) * 0.8)
        for employee in employee_ids:
            if rng.random() < 0.9:
                rows.append({"employee_id": employee, "attribute": attribute,
                             "group": rng.choice(names, p=weights)})  # fmt: skip
    frame = pd.DataFrame(rows)
    # Always one group under the minimum, so suppression is exercised whatever the draw.
    many = np.flatnonzero(frame["attribute"].str.startswith("b"))
    frame.loc[rng.choice(many, size=2, replace=False), "group"] = f"g{rng.integers(10**6)}-tiny"
    return frame


def recomputed(database_url: str, run_id: int) -> pd.DataFrame:
    """Each group's people and tier shares, from the run's published scores, in SQL."""
    rows = query(
        database_url,
        """SELECT p.attribute, p."group", count(*) AS employees,
                  avg((s.tier = 'High')::int)::float AS high_share,
                  avg((s.tier = 'Low')::int)::float AS low_share
           FROM scores s JOIN protected_attributes p USING (employee_id)
           WHERE s.run_id = %s GROUP BY 1, 2""",
        (run_id,),
        as_dicts=True,
    )
    return pd.DataFrame(rows).set_index(["attribute", "group"])


def stored_audit(database_url: str, run_id: int) -> pd.DataFrame:
    rows = query(
        database_url,
        'SELECT * FROM fairness_audit WHERE run_id = %s ORDER BY attribute, "group"',
        (run_id,),
        as_dicts=True,
    )
    return pd.DataFrame(rows).set_index(["attribute", "group"])


@pytest.fixture
def demo(database_url: str) -> list[str]:
    frames = seed_demo(database_url, employees=300)
    return frames["employees"]["employee_id"].tolist()


def test_the_audit_of_a_run_matches_the_shares_recomputed_from_its_published_tiers(
    database_url, demo
):
    seed = secrets.randbits(32)
    plant_attributes(database_url, random_groups(demo, seed))
    outcome = execute_run(database_url)

    audit = stored_audit(database_url, outcome.run_id)
    truth = recomputed(database_url, outcome.run_id)
    assert set(audit.index) == set(truth.index), seed
    reported = audit[~audit["suppressed"]]
    assert len(reported) >= 3, seed
    for key, row in reported.iterrows():
        expected = truth.loc[key]
        assert row["employees"] == expected["employees"], (seed, key)
        assert row["high_share"] == pytest.approx(expected["high_share"], abs=0.002), (seed, key)
        assert row["low_share"] == pytest.approx(expected["low_share"], abs=0.002), (seed, key)
    for _, shown in truth.loc[reported.index].groupby(level="attribute"):
        # Against the highest High share among the attribute's reported groups.
        best = shown["high_share"].max()
        for key, expected in shown.iterrows():
            ratio = expected["high_share"] / best
            row = audit.loc[key]
            assert row["impact_ratio"] == pytest.approx(ratio, abs=0.002), (seed, key)
            assert row["adverse_impact"] == (row["impact_ratio"] < 0.8), (seed, key)
            if len(shown) == 1:  # its groups' others suppressed: nothing to compare with
                assert pd.isna(row["p_value"]), (seed, key)
            else:
                assert 0 <= row["p_value"] <= 1, (seed, key)


def test_small_groups_are_suppressed_and_no_hidden_group_can_be_subtracted(database_url, demo):
    seed = secrets.randbits(32)
    plant_attributes(database_url, random_groups(demo, seed))
    outcome = execute_run(database_url)

    audit = stored_audit(database_url, outcome.run_id)
    truth = recomputed(database_url, outcome.run_id)
    assert audit["suppressed"].sum() >= 2, seed
    for attribute, groups in audit.groupby(level="attribute"):
        sizes = truth.loc[groups.index, "employees"]
        hidden = groups["suppressed"]
        assert hidden[sizes < MIN_GROUP_SIZE].all(), (seed, attribute)
        if hidden.any():
            # Two or more hidden, of at least the minimum together: none is recoverable.
            assert hidden.sum() >= 2, (seed, attribute)
            assert sizes[hidden].sum() >= MIN_GROUP_SIZE, (seed, attribute)
        figures = groups.loc[hidden, ["employees", "high_share", "impact_ratio", "p_value"]]
        assert figures.isna().all().all(), (seed, attribute)


def test_the_run_keeps_the_minimum_group_size_and_test_it_audited_with(database_url, demo):
    query(database_url, "UPDATE reporting.settings SET min_group_size = 40")
    outcome = execute_run(database_url)

    (fairness,) = query(
        database_url, "SELECT metrics -> 'fairness' FROM model_runs WHERE run_id = %s",
        (outcome.run_id,),
    )[0]  # fmt: skip
    audit = stored_audit(database_url, outcome.run_id)
    assert fairness["min_group_size"] == 40
    assert fairness["test"].startswith("fisher_exact, two-sided")
    assert fairness["adverse_impact_groups"] == int(audit["adverse_impact"].fillna(False).sum())
    assert (audit.loc[~audit["suppressed"], "employees"] >= 40).all()
    # The demo's non-binary group (about 3% of 300) is under 40, so it is suppressed.
    assert audit.loc[("gender", "non-binary"), "suppressed"]


def test_protected_attributes_are_no_feature_and_changing_them_changes_no_result(
    database_url, demo
):
    first = execute_run(database_url)
    # Reassign every group: the same people, the groups shuffled between them.
    groups = pd.DataFrame(
        query(database_url, 'SELECT employee_id, attribute, "group" FROM protected_attributes',
              as_dicts=True)
    )  # fmt: skip
    groups["group"] = groups.groupby("attribute")["group"].transform(
        lambda g: g.sample(frac=1, random_state=secrets.randbits(32)).to_numpy()
    )
    plant_attributes(database_url, groups)
    second = execute_run(database_url)

    results = """SELECT employee_id, score, tier, is_anomaly, anomaly_score, predicted_tier,
                        p_high, p_medium, p_low, flags
                 FROM scores WHERE run_id = %s ORDER BY employee_id"""
    assert query(database_url, results, (first.run_id,)) == query(
        database_url, results, (second.run_id,)
    )
    # The audits did see the change (or the test would prove nothing).
    assert not stored_audit(database_url, first.run_id).equals(
        stored_audit(database_url, second.run_id)
    )
    (metrics,) = query(
        database_url, "SELECT metrics FROM model_runs WHERE run_id = %s", (second.run_id,)
    )[0]
    features = set(metrics["predictor"]["feature_importances"])
    planted = {"age_band", "gender", *groups["group"]}
    assert features and not any(p in f for f in features for p in planted)
