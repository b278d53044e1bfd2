"""Whether a finished run may replace the current one, or must be held for a person to look at.

A run that differs from the current run beyond these limits is stored as 'held' with the
reasons, and the current run stays current (`worker runs promote` publishes it after all).
Each reason is {check, current, previous, limit, message}: `current` is the held run's
value, `previous` the current run's. The first run has nothing to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

import settings
from store.run_profiles import NO_TIER, RunProfile


@dataclass(frozen=True)
class HoldLimits:
    people_drop: float = 0.2  # share fewer people scored
    rows_drop: float = 0.5  # share fewer task records read
    no_tasks_share: float = 0.5  # share of people without tasks
    imputed_share_rise: float = 0.3  # rise of the share with imputed hours or KPIs
    tier_share_shift: float = 0.3  # move of any tier's share
    department_mean_shift: float = 25.0  # score points a department's mean moves

    @classmethod
    def from_settings(cls, config: settings.Settings) -> HoldLimits:
        return cls(
            people_drop=config.hold_people_drop,
            rows_drop=config.hold_rows_drop,
            no_tasks_share=config.hold_no_tasks_share,
            imputed_share_rise=config.hold_imputed_share_rise,
            tier_share_shift=config.hold_tier_share_shift,
            department_mean_shift=config.hold_department_mean_shift,
        )


def _reason(check: str, current: float, previous: float, limit: float, message: str) -> dict:
    return {
        "check": check,
        "current": round(float(current), 4),
        "previous": round(float(previous), 4),
        "limit": limit,
        "message": message,
    }


def _fell_by(new: float, old: float) -> float:
    return (old - new) / old if old > 0 else 0.0


def hold_reasons(new: RunProfile, previous: RunProfile | None, limits: HoldLimits) -> list[dict]:
    """Why `new` must not replace `previous`; empty when it may (or there is none)."""
    if previous is None:
        return []
    reasons = []
    fall = _fell_by(new.employees_scored, previous.employees_scored)
    if fall > limits.people_drop:
        reasons.append(
            _reason(
                "employees_scored",
                new.employees_scored,
                previous.employees_scored,
                limits.people_drop,
                f"{fall:.0%} fewer people scored than by the current run "
                f"({new.employees_scored} against {previous.employees_scored})",
            )
        )
    fall = _fell_by(new.rows_read, previous.rows_read)
    if fall > limits.rows_drop:
        reasons.append(
            _reason(
                "rows_read",
                new.rows_read,
                previous.rows_read,
                limits.rows_drop,
                f"{fall:.0%} fewer task records read than by the current run "
                f"({new.rows_read} against {previous.rows_read})",
            )
        )
    if new.no_tasks_share > limits.no_tasks_share and new.no_tasks_share > previous.no_tasks_share:
        reasons.append(
            _reason(
                "no_tasks_share",
                new.no_tasks_share,
                previous.no_tasks_share,
                limits.no_tasks_share,
                f"{new.no_tasks_share:.0%} of people have no tasks in the window "
                f"(the current run: {previous.no_tasks_share:.0%})",
            )
        )
    rise = new.imputed_share - previous.imputed_share
    if rise > limits.imputed_share_rise:
        reasons.append(
            _reason(
                "imputed_share",
                new.imputed_share,
                previous.imputed_share,
                limits.imputed_share_rise,
                f"the share of people with imputed values rose from "
                f"{previous.imputed_share:.0%} to {new.imputed_share:.0%}",
            )
        )
    for tier, share in new.tier_shares.items():
        before = previous.tier_shares.get(tier, 0.0)
        if abs(share - before) > limits.tier_share_shift:
            label = "without a tier" if tier == NO_TIER else f"in tier {tier}"
            reasons.append(
                _reason(
                    f"tier_share:{tier}",
                    share,
                    before,
                    limits.tier_share_shift,
                    f"the share of people {label} moved from {before:.0%} to {share:.0%}",
                )
            )
    for department, mean in sorted(new.department_mean_score.items()):
        before = previous.department_mean_score.get(department)
        if before is not None and abs(mean - before) > limits.department_mean_shift:
            reasons.append(
                _reason(
                    f"department_mean_score:{department}",
                    mean,
                    before,
                    limits.department_mean_shift,
                    f"the mean score of {department} moved from {before:.1f} to {mean:.1f}",
                )
            )
    return reasons
