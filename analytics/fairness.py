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


def _audit_attribute(attribute: str, groups: pd.DataFrame, min_group_size: int) -> list[dict]:
    """The rows of one attribute from its groups' counts (indexed by group, sorted)."""
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
    ids = pd.Index(scores["employee_id"])
    if not ids.is_unique:
        raise pd.errors.MergeError("scores has more than one row for some employee_id")
    # Counted per (attribute, group) through integer codes: at scale the attribute rows
    # are millions, and a join and group-by on their names would hash them several times.
    person = ids.get_indexer(attributes["employee_id"])
    scored = person >= 0
    person = person[scored]
    attribute, attribute_names = pd.factorize(
        attributes["attribute"].astype(str)[scored], sort=True
    )
    group, group_names = pd.factorize(attributes["group"].astype(str)[scored], sort=True)
    key, pair = np.unique(
        attribute.astype(np.int64) * len(group_names) + group, return_inverse=True
    )
    flags = {
        "high": scores["tier"] == "High",
        "low": scores["tier"] == "Low",
        "anomalies": scores["is_anomaly"].astype(bool),
        "predicted": scores["predicted_tier"].notna(),
        "predicted_low": scores["predicted_tier"] == "Low",
    }
    counts = pd.DataFrame(
        {"employees": np.bincount(pair, minlength=len(key))}
        | {
            name: np.bincount(
                pair, weights=flag.fillna(False).to_numpy(dtype=bool)[person], minlength=len(key)
            ).astype(np.int64)
            for name, flag in flags.items()
        },
        index=pd.Index(np.asarray(group_names, dtype=object)[key % len(group_names)], name="group"),
    )
    rows: list[dict] = []
    of_attribute = key // len(group_names)
    for code, name in enumerate(attribute_names):
        rows += _audit_attribute(str(name), counts[of_attribute == code], min_group_size)
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
