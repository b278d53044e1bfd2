"""Small shapes every presenter uses: rounding that keeps a missing value missing, and a
row's tier counts."""

from __future__ import annotations


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def tiers(row: dict) -> dict:
    return {"High": row["tier_high"], "Medium": row["tier_medium"], "Low": row["tier_low"]}
