"""The fairness audit on hand-made frames: shares, impact ratio, the four-fifths rule,
Fisher's p-value, and suppression (complementary within an attribute)."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import fisher_exact

from analytics.fairness import (
    AUDIT_COLUMNS,
    P_VALUE_TEST,
    audit_summary,
    fairness_audit,
    suppressed_groups,
)


def people(groups: dict[str, list[str]], attribute: str = "age_band"):
    """Scores and attributes for groups given as lists of tiers (one person each)."""
    scores, attributes = [], []
    for group, tiers in groups.items():
        for i, tier in enumerate(tiers):
            employee = f"{attribute}-{group}-{i}"
            scores.append(
                {
                    "employee_id": employee,
                    "tier": tier,
                    "is_anomaly": i == 0,
                    "predicted_tier": "Low" if tier == "Low" else "Medium",
                }
            )
            attributes.append({"employee_id": employee, "attribute": attribute, "group": group})
    return pd.DataFrame(scores), pd.DataFrame(attributes)


def by_group(audit: pd.DataFrame) -> dict[str, dict]:
    return {row["group"]: row for row in audit.to_dict("records")}


def test_shares_and_impact_ratio_are_those_of_each_groups_people():
    scores, attributes = people(
        {
            "<30": ["High"] * 5 + ["Medium"] * 3 + ["Low"] * 2,  # High 0.5
            "50+": ["High"] * 2 + ["Medium"] * 4 + ["Low"] * 4,  # High 0.2
        }
    )
    audit = fairness_audit(scores, attributes, min_group_size=5)

    assert list(audit.columns) == list(AUDIT_COLUMNS)
    young, old = by_group(audit)["<30"], by_group(audit)["50+"]
    assert (young["employees"], young["high_share"], young["low_share"]) == (10, 0.5, 0.2)
    assert (old["employees"], old["high_share"], old["low_share"]) == (10, 0.2, 0.4)
    assert young["anomaly_share"] == old["anomaly_share"] == 0.1
    assert old["predicted_low_share"] == 0.4
    assert young["impact_ratio"] == 1.0 and young["adverse_impact"] is False
    assert old["impact_ratio"] == pytest.approx(0.4) and old["adverse_impact"] is True


def test_the_p_value_is_fishers_exact_of_the_group_against_the_rest():
    scores, attributes = people(
        {"a": ["High"] * 6 + ["Low"] * 4, "b": ["High"] * 2 + ["Low"] * 8, "c": ["High"] * 5}
    )
    audit = by_group(fairness_audit(scores, attributes, min_group_size=5))

    expected = fisher_exact([[2, 8], [11, 4]], alternative="two-sided")[1]
    assert audit["b"]["p_value"] == pytest.approx(expected)
    assert "fisher_exact" in P_VALUE_TEST and "two-sided" in P_VALUE_TEST


def test_a_ratio_of_exactly_four_fifths_is_no_adverse_impact():
    scores, attributes = people(
        {"a": ["High"] * 5 + ["Low"] * 5, "b": ["High"] * 4 + ["Low"] * 6}  # 0.4 / 0.5 = 0.8
    )
    audit = by_group(fairness_audit(scores, attributes, min_group_size=5))

    assert audit["b"]["impact_ratio"] == pytest.approx(0.8)
    assert audit["b"]["adverse_impact"] is False


def test_nobody_high_among_the_reported_groups_gives_no_ratio():
    scores, attributes = people({"a": ["Low"] * 6, "b": ["Medium"] * 6})
    audit = fairness_audit(scores, attributes, min_group_size=5)

    assert audit["impact_ratio"].isna().all()
    assert audit["adverse_impact"].isna().all()


def test_a_small_group_is_suppressed_with_the_next_smallest_so_none_can_be_subtracted():
    scores, attributes = people(
        {
            "tiny": ["High"] * 2,  # under 5
            "small": ["Low"] * 6,  # the next-smallest: hidden with it
            "large": ["High"] * 4 + ["Low"] * 6,
            "largest": ["High"] * 9 + ["Low"] * 3,
        }
    )
    audit = by_group(fairness_audit(scores, attributes, min_group_size=5))

    assert {g for g, row in audit.items() if row["suppressed"]} == {"tiny", "small"}
    for group in ("tiny", "small"):
        figures = [audit[group][c] for c in AUDIT_COLUMNS[3:]]
        assert all(pd.isna(v) for v in figures), group
    # The ratio is against the best reported group only (largest: 0.75), not tiny's 1.0.
    assert audit["large"]["impact_ratio"] == pytest.approx(0.4 / 0.75)
    assert audit["largest"]["impact_ratio"] == 1.0


def test_complementary_suppression_hides_more_until_the_hidden_reach_the_minimum():
    sizes = pd.Series({"a": 1, "b": 2, "c": 3, "d": 20})
    # a and b are small; hidden together they are 3 < 5, so c goes too (6 >= 5).
    assert suppressed_groups(sizes, 5).to_dict() == {"a": True, "b": True, "c": True, "d": False}
    # Ties in size are broken by name.
    ties = pd.Series({"x": 4, "n": 9, "m": 9, "z": 30})
    assert suppressed_groups(ties, 5)[lambda s: s].index.tolist() == ["x", "m"]
    # No small group: nothing hidden.
    assert not suppressed_groups(pd.Series({"a": 5, "b": 6}), 5).any()


def test_people_without_a_group_or_without_a_score_are_in_no_group():
    scores, attributes = people({"a": ["High"] * 5, "b": ["Low"] * 5})
    unscored = pd.DataFrame([{"employee_id": "new", "attribute": "age_band", "group": "a"}])
    ungrouped = pd.DataFrame(
        [{"employee_id": "x", "tier": "High", "is_anomaly": False, "predicted_tier": None}]
    )
    audit = by_group(
        fairness_audit(
            pd.concat([scores, ungrouped]), pd.concat([attributes, unscored]), min_group_size=5
        )
    )

    assert (audit["a"]["employees"], audit["b"]["employees"]) == (5, 5)


def test_each_attribute_is_audited_on_its_own_and_summarised():
    s1, a1 = people({"f": ["High"] * 5 + ["Low"] * 5, "m": ["High"] * 2 + ["Low"] * 8}, "gender")
    s2, a2 = people({"x": ["High"] * 6, "y": ["High"] * 6}, "site")
    audit = fairness_audit(pd.concat([s1, s2]), pd.concat([a1, a2]), min_group_size=5)
    summary = audit_summary(audit, 5)

    assert audit[["attribute", "group"]].values.tolist() == [
        ["gender", "f"],
        ["gender", "m"],
        ["site", "x"],
        ["site", "y"],
    ]
    assert summary["adverse_impact_groups"] == 1
    assert summary["adverse_impact_groups_by_attribute"] == {"gender": 1, "site": 0}
    assert summary["min_group_size"] == 5 and summary["test"] == P_VALUE_TEST


def test_without_predictions_the_predicted_low_share_is_missing_not_zero():
    scores, attributes = people({"a": ["High"] * 5, "b": ["Low"] * 5})
    scores["predicted_tier"] = None
    audit = fairness_audit(scores, attributes, min_group_size=5)

    assert audit["predicted_low_share"].isna().all()


def test_a_p_value_with_nobody_high_on_either_side_is_one_not_nan():
    from analytics.fairness import _p_value

    assert _p_value(0, 7, 0, 40) == 1.0
    assert _p_value(7, 7, 40, 40) == 1.0
