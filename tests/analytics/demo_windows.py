"""Window features of a demo organisation built in pandas, without the store: the same
windows as store.run_inputs (window w covers the `window_months` periods up to `w` months
before the last one), for pinning analytics results on realistic data."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from worker.demo import generate_organisation

DEMO_END = dt.date(2024, 6, 1)


def demo_frames(employees: int = 400, seed: int = 7, months: int = 6) -> dict[str, pd.DataFrame]:
    return generate_organisation(employees=employees, seed=seed, months=months, end_period=DEMO_END)


def demo_window_features(frames: dict[str, pd.DataFrame], window_months: int = 3) -> pd.DataFrame:
    """One row per (employee, window 0-2) in the shape analytics.analyze takes."""
    people = frames["employees"]
    tasks = frames["task-records"].assign(period=lambda f: pd.to_datetime(f["period"]))
    surveys = frames["surveys"].groupby("employee_id")[["engagement", "satisfaction"]].mean()
    hire = pd.to_datetime(people["hire_date"])
    skill_match = _skill_match(frames).reindex(people["employee_id"]).to_numpy()
    parts = []
    for w in (0, 1, 2):
        end = pd.Timestamp(DEMO_END) - pd.DateOffset(months=w)
        start = end - pd.DateOffset(months=window_months)
        in_window = tasks[(tasks["period"] > start) & (tasks["period"] <= end)]
        sums = in_window.groupby("employee_id")[["tasks_total", "tasks_completed", "hours_logged"]]
        sums = sums.sum()
        alive = (hire < end + pd.DateOffset(months=1)).to_numpy()
        present = people[alive]
        ids = present["employee_id"]
        parts.append(
            pd.DataFrame(
                {
                    "employee_id": ids.to_numpy(),
                    "window": w,
                    "department": present["department"].to_numpy(),
                    "team": present["team"].to_numpy(),
                    "job_title": present["job_title"].to_numpy(),
                    "tenure_years": ((end - hire[present.index]).dt.days / 365.25).to_numpy(),
                    "engagement": surveys["engagement"].reindex(ids).to_numpy(),
                    "satisfaction": surveys["satisfaction"].reindex(ids).to_numpy(),
                    "skill_match": skill_match[alive],
                    "total_tasks": sums["tasks_total"].reindex(ids, fill_value=0).to_numpy(),
                    "completed_tasks": sums["tasks_completed"]
                    .reindex(ids, fill_value=0)
                    .to_numpy(),
                    "hours_logged": sums["hours_logged"].reindex(ids, fill_value=0.0).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _skill_match(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Importance-weighted share of the role's required levels reached, per employee."""
    needs = frames["employees"][["employee_id", "job_title"]].merge(
        frames["role-requirements"], on="job_title"
    )
    levels = needs.merge(frames["skills"], on=["employee_id", "skill"], how="left")
    reached = (levels["level"].fillna(0) / levels["required_level"]).clip(upper=1.0)
    weighted = (reached * levels["importance"]).groupby(levels["employee_id"]).sum()
    return weighted / levels.groupby("employee_id")["importance"].sum()
