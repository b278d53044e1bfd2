"""The fairness audit of a run: per protected attribute and group, the shares of High, Low,
anomalies and predicted Low among the group's scored people, the impact ratio against the
attribute's best reported group (the four-fifths rule) and Fisher's exact p-value.

It reads the run's published results only, after scoring: protected attributes are never a
model input. Small groups are suppressed, complementarily within each attribute (the rule
of the reporting views, migration 0008), because the run's organisation-wide tier counts
are published: with one group hidden, the total minus the groups shown would be that group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

# The four-fifths rule: a group whose High share is under 80% of the best group's.
ADVERSE_IMPACT_RATIO = 0.8
P_VALUE_TEST = "fisher_exact, two-sided, group vs the rest of the attribute's reported groups"

AUDIT_COLUMNS = (
    "attribute",
    "group",
    "suppressed",
    "employees",
    "high_share",
    "low_share",
    "anomaly_share",
    "predicted_low_share",
    "impact_ratio",
    "adverse_impact",
    "p_value",
)
_FIGURES = AUDIT_COLUMNS[3:]


def suppressed_groups(sizes: pd.Series, min_group_size: int) -> pd.Series:
    """Which groups of one attribute (sizes indexed by group) are hidden: those under the
    minimum and, when there is any, the next-smallest (by size, then name) until at least
    two are hidden and together they have at least the minimum."""
    small = sizes < min_group_size
    hidden = small.copy()
    if not small.any():
        return hidden
    count, total = int(small.sum()), int(sizes[small].sum())
    others = sorted((int(n), str(g)) for g, n in sizes[~small].items())
    for n, group in others:
        if count >= 2 and total >= min_group_size:
            break
        hidden[group] = True
        count, total = count + 1, total + n
    return hidden


def _p_value(high: int, size: int, rest_high: int, rest_size: int) -> float | None:
    if rest_size == 0:  # a single reported group has nothing to be compared with
        return None
    table = [[high, size - high], [rest_high, rest_size - rest_high]]
    if high + rest_high in (0, size + rest_size):
        # Nobody (or everybody) High: the observed table is the only one possible, p = 1.
        # scipy answers NaN for such a zero margin.
        return 1.0
    return float(min(fisher_exact(table, alternative="two-sided")[1], 1.0))


def _audit_attribute(attribute: str, people: pd.DataFrame, min_group_size: int) -> list[dict]:
    groups = people.groupby("group", sort=True).agg(
        employees=("high", "size"),
        high=("high", "sum"),
        low=("low", "sum"),
        anomalies=("anomaly", "sum"),
        predicted=("predicted", "sum"),
        predicted_low=("predicted_low", "sum"),
    )
    hidden = suppressed_groups(groups["employees"], min_group_size)
    reported = groups[~hidden]
    high_share = reported["high"] / reported["employees"]
    best = float(high_share.max()) if len(reported) else 0.0
    all_high, all_size = int(reported["high"].sum()), int(reported["employees"].sum())
    rows = []
    for group, g in groups.iterrows():
        if hidden[group]:
            rows.append({"attribute": attribute, "group": group, "suppressed": True})
            continue
        size, high = int(g["employees"]), int(g["high"])
        ratio = high / size / best if best > 0 else None
        rows.append(
            {
                "attribute": attribute,
                "group": group,
                "suppressed": False,
                "employees": size,
                "high_share": high / size,
                "low_share": int(g["low"]) / size,
                "anomaly_share": int(g["anomalies"]) / size,
                # Over the people with a prediction: a run without a predictor has none.
                "predicted_low_share": (
                    int(g["predicted_low"]) / int(g["predicted"]) if g["predicted"] else None
                ),
                "impact_ratio": ratio,
                "adverse_impact": None if ratio is None else bool(ratio < ADVERSE_IMPACT_RATIO),
                "p_value": _p_value(high, size, all_high - high, all_size - size),
            }
        )
    return rows


def fairness_audit(
    scores: pd.DataFrame, attributes: pd.DataFrame, min_group_size: int
) -> pd.DataFrame:
    """The audit rows (AUDIT_COLUMNS) of a run's `scores` (employee_id, tier, is_anomaly,
    predicted_tier) by the groups of `attributes` (employee_id, attribute, group). People
    without a row for an attribute are in none of its groups; attribute rows of people the
    run did not score are left out. Suppressed groups have no figures (NA)."""
    if min_group_size < 1:
        raise ValueError("min_group_size must be at least 1")
    results = scores[["employee_id", "tier", "is_anomaly", "predicted_tier"]]
    people = attributes[["employee_id", "attribute", "group"]].merge(
        results, on="employee_id", how="inner", validate="many_to_one"
    )
    people = pd.DataFrame(
        {
            "attribute": people["attribute"].astype(str),
            "group": people["group"].astype(str),
            "high": (people["tier"] == "High").to_numpy(),
            "low": (people["tier"] == "Low").to_numpy(),
            "anomaly": people["is_anomaly"].astype(bool).to_numpy(),
            "predicted": people["predicted_tier"].notna().to_numpy(),
            "predicted_low": (people["predicted_tier"] == "Low").to_numpy(),
        }
    )
    rows: list[dict] = []
    for attribute, members in people.groupby("attribute", sort=True):
        rows += _audit_attribute(str(attribute), members, min_group_size)
    audit = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    audit["employees"] = audit["employees"].astype("Int64")
    for column in ("high_share", "low_share", "anomaly_share", "predicted_low_share",
                   "impact_ratio", "p_value"):  # fmt: skip
        audit[column] = audit[column].astype("float64")
    audit["suppressed"] = audit["suppressed"].astype(bool)
    audit["adverse_impact"] = audit["adverse_impact"].astype("boolean")
    return audit


def audit_summary(audit: pd.DataFrame, min_group_size: int) -> dict:
    """What the run's metrics keep of its audit: the minimum group size and test used, and
    how many reported groups show adverse impact, in all and per attribute."""
    adverse = audit["adverse_impact"].fillna(False).astype(bool)
    by_attribute = {
        str(attribute): int(n)
        for attribute, n in adverse.groupby(audit["attribute"], sort=True).sum().items()
    }
    return {
        "min_group_size": int(min_group_size),
        "test": P_VALUE_TEST,
        "groups": len(audit),
        "suppressed_groups": int(audit["suppressed"].sum()),
        "adverse_impact_groups": int(np.sum(adverse)),
        "adverse_impact_groups_by_attribute": by_attribute,
    }
